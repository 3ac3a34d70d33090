/*
 * evtime.c - reading event times (evtime.h).
 *
 * Numbers are read from their text, digit by digit (decimal.h's dec_text),
 * so 1795517999.25 is exactly a quarter second and never a double's
 * neighbour of it, and a number of any length is read; the microseconds are
 * rounded down, as the parser of ISO-8601 fractions drops its digits past
 * the sixth, so that "...:59.9999999Z" and the same time as a number agree.
 */
#include "evtime.h"

#include <stdio.h>
#include <string.h>

#include "decimal.h"
#include "timefmt.h"
#include "utf8.h"
#include "banned.h"

/* Seconds as number text to microseconds, rounded down; 0, or -1 when the
 * time is out of range.  The digits are read from the first nonzero one
 * down to the microsecond, their places known from the text, so a number of
 * any length or exponent is read exactly. */
static int seconds(struct span v, int64_t *us)
{
	struct dec_text m;
	uint64_t x = 0; /* the microseconds, without the sign */
	size_t i, nd;
	__int128 p;

	dec_text_parse(&m, v.p, v.n);
	nd = m.nint + m.nfrac;
	i = m.z;
	if (i < nd) {
		dec_text_place(&m, i, &p);
		p += 6; /* the power of ten of a microsecond */
		if (p > 18)
			return -1; /* 10^19 us is far beyond the year 9999 */
		for (; i < nd && p >= 0; i++, p--)
			x = x * 10 + (uint64_t)(dec_text_digit(&m, i) - '0');
		for (; p >= 0; p--)
			x *= 10;
		/* a nonzero digit is left past the microsecond: down, which
		 * before 1970 is away from zero */
		if (m.neg && i <= m.last)
			x++;
	}
	if (x > (uint64_t)(m.neg ? -TIMEFMT_MIN_US : TIMEFMT_MAX_US))
		return -1;
	*us = m.neg ? -(int64_t)x : (int64_t)x;
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
