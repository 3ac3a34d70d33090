/*
 * test_timefmt.c - ISO-8601 in and out, durations, and the strptime- and
 * strftime-like formats, checked against dates whose answers are known
 * (leap years, ISO weeks that belong to the year before, the ends of the
 * range).
 */
#include <string.h>

#include "timefmt.h"
#include "unit.h"

static int64_t iso_us(const char *s, int32_t *off)
{
	int64_t us = -1;

	*off = -1;
	if (timefmt_parse_iso(s, strlen(s), &us, off) != 0)
		return -1;
	return us;
}

static const char *iso(int64_t us, int32_t off)
{
	static char buf[TIMEFMT_ISO_BUFSZ];

	buf[timefmt_iso(us, off, buf)] = '\0';
	return buf;
}

static int64_t dur(const char *s)
{
	int64_t us;

	return timefmt_duration(s, &us) == 0 ? us : -1;
}

static const char *fmt(const char *f, const char *when)
{
	static char out[128];
	int64_t us;
	int32_t off;
	size_t err, n;

	if (timefmt_check(f, strlen(f), 0, &err) != NULL)
		return "(bad format)";
	us = iso_us(when, &off);
	n = timefmt_format(out, sizeof(out) - 1, f, strlen(f), us, off);
	out[n < sizeof(out) - 1 ? n : sizeof(out) - 1] = '\0';
	return out;
}

/* parse s with f and print the instant as ISO-8601, or "(no match)". */
static const char *parse(const char *s, const char *f)
{
	int64_t us;
	int32_t off;
	size_t err;

	if (timefmt_check(f, strlen(f), 1, &err) != NULL)
		return "(bad format)";
	if (timefmt_parse(s, strlen(s), f, strlen(f), &us, &off) != 0)
		return "(no match)";
	return iso(us, off);
}

int main(void)
{
	int32_t off;
	size_t err;

	/* ISO-8601 in */
	CHECK(iso_us("1970-01-01", &off) == 0 && off == 0);
	CHECK(iso_us("1970-01-01T00:00:01.5Z", &off) == 1500000);
	CHECK(iso_us("1970-01-01T01:00:00+01:00", &off) == 0 && off == 3600);
	CHECK(iso_us("1970-01-01 01:00+0100", &off) == 0 && off == 3600);
	CHECK(iso_us("1969-12-31T23:00:00-01", &off) == 0 && off == -3600);
	CHECK(iso_us("2024-02-29T12:00:00Z", &off) == (INT64_C(19782) * 86400 + 43200) * 1000000);
	CHECK(iso_us("2023-02-29", &off) == -1);
	CHECK(iso_us("2026-13-01", &off) == -1);
	CHECK(iso_us("2026-11-25T24:00:00Z", &off) == -1);
	CHECK(iso_us("2026-11-25T10:00:00+24:00", &off) == -1);
	CHECK(iso_us("2026-11-25T10:00:00.1234567891Z", &off) != -1); /* kept to the µs */
	CHECK(timefmt_valid_iso("2026-11-25T10:00", 16));
	CHECK(!timefmt_valid_iso("2026-11-25T", 11));

	/* ISO-8601 out: Z for zero, the fraction only when there is one */
	CHECK_STR(iso(0, 0), "1970-01-01T00:00:00Z");
	CHECK_STR(iso(1500000, 0), "1970-01-01T00:00:01.500Z");
	CHECK_STR(iso(1000001, 0), "1970-01-01T00:00:01.000001Z");
	CHECK_STR(iso(0, 5 * 3600 + 1800), "1970-01-01T05:30:00+05:30");
	CHECK_STR(iso(TIMEFMT_MIN_US, 0), "0000-01-01T00:00:00Z");
	CHECK(timefmt_in_range(TIMEFMT_MAX_US, 0) && !timefmt_in_range(TIMEFMT_MAX_US, 3600));

	/* durations */
	CHECK(dur("0") == 0);
	CHECK(dur("250ms") == 250000);
	CHECK(dur("1h30m") == INT64_C(5400) * 1000000);
	CHECK(dur("2w") == INT64_C(14) * 86400 * 1000000);
	CHECK(dur("1m1ms") == INT64_C(60001000));
	CHECK(dur("") == -1 && dur("5") == -1 && dur("1.5h") == -1 && dur("1H") == -1);
	CHECK(dur("-1s") == -1 && dur("1s ") == -1 && dur("99999999999999999999d") == -1);
	CHECK(dur("30000000d") == -1); /* beyond a quarter of the range */

	/* formats */
	CHECK_STR(fmt("%Y-%m-%d %H:%M:%S", "2026-11-25T18:30:05Z"), "2026-11-25 18:30:05");
	CHECK_STR(fmt("%a %A %b %B %e", "2026-11-05T00:00:00Z"), "Thu Thursday Nov November  5");
	CHECK_STR(fmt("%j", "2024-12-31T00:00:00Z"), "366");
	CHECK_STR(fmt("%G-W%V-%u", "2021-01-03T00:00:00Z"), "2020-W53-7");
	CHECK_STR(fmt("%G-W%V-%u", "2024-12-30T00:00:00Z"), "2025-W01-1");
	CHECK_STR(fmt("%w", "2026-11-29T00:00:00Z"), "0");
	CHECK_STR(fmt("%I %p", "2026-11-25T00:15:00Z"), "12 AM");
	CHECK_STR(fmt("%I %p", "2026-11-25T13:15:00Z"), "01 PM");
	CHECK_STR(fmt("%s", "2001-09-09T01:46:40Z"), "1000000000");
	CHECK_STR(fmt("%z %:z", "2026-11-25T10:00:00+05:30"), "+0530 +05:30");
	CHECK_STR(fmt("%H:%M %F", "2026-11-25T23:30:00-02:00"), "23:30 2026-11-25");
	CHECK_STR(fmt("%f", "2026-11-25T10:00:00.5Z"), "500000");
	CHECK(timefmt_check("%Y-%Q", 5, 0, &err) != NULL && err == 3);

	/* parsing */
	CHECK_STR(parse("24/11/2026 18:30", "%d/%m/%Y %H:%M"), "2026-11-24T18:30:00Z");
	CHECK_STR(parse("5 Nov 69", "%e %b %y"), "1969-11-05T00:00:00Z");
	CHECK_STR(parse("5 Nov 68", "%e %b %y"), "2068-11-05T00:00:00Z");
	CHECK_STR(parse("12:05 am", "%I:%M %p"), "1970-01-01T00:05:00Z");
	CHECK_STR(parse("2026-060", "%Y-%j"), "2026-03-01T00:00:00Z");
	CHECK_STR(parse("1000000000", "%s"), "2001-09-09T01:46:40Z");
	CHECK_STR(parse("2026-11-25 10:00 +05:30", "%F %R %z"), "2026-11-25T10:00:00+05:30");
	CHECK_STR(parse("31/02/2026", "%d/%m/%Y"), "(no match)");
	CHECK_STR(parse("2026-11-25x", "%Y-%m-%d"), "(no match)");
	return unit_done();
}
