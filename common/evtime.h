/*
 * evtime.h - the event time of a record: the one rule by which every
 * program reads its --time-field (etl(7), EVENT TIME).
 *
 * A time is a JSON string holding an ISO-8601 date or time (timefmt.h: its
 * offset applied, none meaning UTC), or a JSON number of seconds since
 * 1970-01-01T00:00:00Z.  Digits past the microsecond are dropped, for both
 * alike: the instant is the last microsecond not after the time.  It must
 * fall within years 0000 to 9999.  Nothing else is a time: not a string of
 * digits, not milliseconds (too far in the future as seconds), not true.
 */
#ifndef ETL_EVTIME_H
#define ETL_EVTIME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "scan.h"

enum { EVTIME_OK = 0, EVTIME_MISSING, EVTIME_NULL, EVTIME_INVALID };

/* The instant of v, the time field's value as the scanner found it (v.p
 * NULL when the field is missing), in microseconds since the epoch.
 * EVTIME_OK, or why there is none.  tmp is the caller's scratch buffer for
 * a string with escapes. */
int evtime_read(struct span v, int64_t *us, struct buf *tmp);
/* The message for a failure r of evtime_read() on v, the field's path as
 * written being field: "ts: no event time (the field is missing)", or
 * "ts: not an ISO-8601 time or seconds since the epoch: VALUE", VALUE being
 * the JSON text cut to 64 bytes between characters.  Written to err
 * (errsz bytes, NUL-terminated). */
void evtime_message(int r, const char *field, struct span v, char *err, size_t errsz);

#endif
