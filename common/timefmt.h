/*
 * timefmt.h - instants and their text: ISO-8601 parsing and printing, and
 * strptime/strftime-like formats that do not depend on the C locale or the
 * TZ variable.
 *
 * An instant is a count of microseconds since 1970-01-01T00:00:00Z plus the
 * UTC offset it was written with (seconds east of UTC), so that a time read
 * as "18:30+01:00" prints back with its own offset.  Years 0000 to 9999 of
 * the proleptic Gregorian calendar are representable; the functions refuse
 * anything else rather than print a date that does not read back.
 */
#ifndef ETL_TIMEFMT_H
#define ETL_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define TIMEFMT_US_PER_SEC INT64_C(1000000)
#define TIMEFMT_US_PER_DAY (86400 * TIMEFMT_US_PER_SEC)
/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z. */
#define TIMEFMT_MIN_US (-INT64_C(719528) * TIMEFMT_US_PER_DAY)
#define TIMEFMT_MAX_US (INT64_C(2932897) * TIMEFMT_US_PER_DAY - 1)
/* Offsets up to 23:59 either way. */
#define TIMEFMT_MAX_OFF (23 * 3600 + 59 * 60)
/* Longest ISO-8601 text timefmt_iso() writes, with its NUL. */
#define TIMEFMT_ISO_BUFSZ 40

/* Days since 1970-01-01 of a valid date (1 <= m <= 12, 1 <= d <= days in m). */
int64_t timefmt_days(int y, int m, int d);
/* The date of a day number; the inverse of timefmt_days(). */
void timefmt_civil(int64_t days, int *y, int *m, int *d);
int timefmt_days_in_month(int y, int m);
/* Is the instant us, seen at offset off, within years 0000..9999? */
int timefmt_in_range(int64_t us, int32_t off);
/* The local time of an instant split into day number and microseconds of the
 * day (0 <= *us_of_day < TIMEFMT_US_PER_DAY). */
void timefmt_split(int64_t us, int32_t off, int64_t *days, int64_t *us_of_day);

/* Parse ISO-8601: "YYYY-MM-DD" (midnight UTC), or a date, 'T' (or a space),
 * "HH:MM", optional ":SS", optional fraction (',' or '.', any number of
 * digits, kept to the microsecond), and an optional offset "Z", "+HH",
 * "+HHMM" or "+HH:MM" (none means UTC).  0, or -1 if s is not one. */
int timefmt_parse_iso(const char *s, size_t n, int64_t *us, int32_t *off);
/* Is s such a text?  The same check, without computing the instant. */
int timefmt_valid_iso(const char *s, size_t n);
/* A duration: one or more numbers, each with a unit, ms, s, m, h, d or w
 * ("30s", "5m", "1h30m", "250ms", "2w"), or "0".  0 and the total in
 * microseconds, at most a quarter of INT64_MAX (twice a duration is added
 * to or subtracted from times); -1 if s is not one. */
int timefmt_duration(const char *s, int64_t *us);
/* Write "2026-11-24T18:30:00.123+01:00": 'Z' for offset 0, the fraction
 * only when nonzero (3 digits, or 6 when the microseconds need them).
 * Returns the length; buf holds TIMEFMT_ISO_BUFSZ bytes. */
size_t timefmt_iso(int64_t us, int32_t off, char *buf);

/* Check a format string for timefmt_parse (parsing != 0) or timefmt_format:
 * NULL when valid, else a static message about the first bad directive, whose
 * offset is stored in *erroff. */
const char *timefmt_check(const char *fmt, size_t fn, int parsing, size_t *erroff);
/* strptime-like: the whole of s must match fmt (see etl-expr(7) for the
 * directives).  Fields not in the format default to 1970-01-01T00:00:00Z.
 * 0, or -1 when s does not match or names an impossible date. */
int timefmt_parse(const char *s, size_t n, const char *fmt, size_t fn, int64_t *us, int32_t *off);
/* strftime-like: writes at most cap bytes of the text to out (no NUL) and
 * returns the full length, so a caller can retry with a larger buffer.
 * fmt must have passed timefmt_check(); the instant must be in range. */
size_t timefmt_format(char *out, size_t cap, const char *fmt, size_t fn, int64_t us, int32_t off);

#endif
