/*
 * evtime.c - reading event times (evtime.h).
 *
 * Numbers go through the exact decimal type, so 1795517999.25 is exactly a
 * quarter second and never a double's neighbour of it; the microseconds are
 * then rounded down, as the parser of ISO-8601 fractions drops its digits
 * past the sixth, so that "...:59.9999999Z" and the same time as a number
 * agree.
 */
#include "evtime.h"

#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "timefmt.h"
#include "utf8.h"
#include "banned.h"

/* Seconds as number text to microseconds, rounded down; 0, or -1 when the
 * text is no such number or the time is out of range. */
static int seconds(struct span v, int64_t *us)
{
	dec_t d, m;
	unsigned __int128 p10 = 1, q;
	int64_t x;

	dec_from_i64(&m, TIMEFMT_US_PER_SEC);
	if (dec_parse(&d, v.p, v.n) != DEC_OK || dec_mul(&d, &d, &m) != DEC_OK)
		return -1;
	for (int i = 0; i < d.scale; i++)
		p10 *= 10;
	q = d.coef / p10;
	if (d.neg && d.coef % p10)
		q++; /* down, for times before 1970 too */
	if (q > (unsigned __int128)INT64_MAX)
		return -1;
	x = d.neg ? -(int64_t)q : (int64_t)q;
	if (x < TIMEFMT_MIN_US || x > TIMEFMT_MAX_US)
		return -1;
	*us = x;
	return 0;
}

int evtime_read(struct span v, int64_t *us, struct buf *tmp)
{
	const char *s;
	size_t n;
	int32_t off;

	switch (scan_kind(v)) {
	case SCAN_NONE:
		return EVTIME_MISSING;
	case SCAN_NULL:
		return EVTIME_NULL;
	case SCAN_STRING:
		s = v.p + 1;
		n = v.n - 2;
		if (memchr(s, '\\', n)) {
			buf_reset(tmp);
			scan_string(tmp, v);
			s = tmp->p;
			n = tmp->len;
		}
		return timefmt_parse_iso(s, n, us, &off) == 0 ? EVTIME_OK : EVTIME_INVALID;
	case SCAN_NUMBER:
		return seconds(v, us) == 0 ? EVTIME_OK : EVTIME_INVALID;
	default:
		return EVTIME_INVALID;
	}
}

void evtime_message(int r, const char *field, struct span v, char *err, size_t errsz)
{
	if (r == EVTIME_MISSING || r == EVTIME_NULL)
		snprintf(err, errsz, "%s: no event time (the field is %s)", field,
			 r == EVTIME_NULL ? "null" : "missing");
	else
		snprintf(err, errsz, "%s: not an ISO-8601 time or seconds since the epoch: %.*s",
			 field, (int)utf8_cut(v.p, v.n, 64), v.p);
}
