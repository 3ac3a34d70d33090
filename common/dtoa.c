/*
 * dtoa.c - shortest round-trip printing of doubles (see dtoa.h).
 *
 * Invariant: the text written reads back through strtod to the very same
 * double, and no text with fewer significant digits does.  The digits come
 * from the C library's correctly rounded printf and are checked with its
 * correctly rounded strtod, so this file does no floating-point arithmetic
 * of its own; it only picks the precision and lays the digits out as JSON.
 *
 * Picking the precision, for a normal double v (53 significant bits):
 *
 *  - If any decimal of at most 15 digits reads back as v, it is the one
 *    %.14e prints: such a decimal lies within half an ulp of v (at most
 *    2^-53 of v), closer than half the spacing of 15-digit decimals (at least
 *    5 * 10^-16 of v), so it is the nearest 15-digit decimal, padded with
 *    zeros.  One test at 15 digits, trailing zeros stripped, settles every
 *    double that came from a short decimal, which is what data holds.
 *  - At 16 digits the nearest decimal (%.15e) reads back whenever any 16-digit
 *    decimal does, because the interval of reals that round to v is symmetric
 *    around v -- except when v is a power of two, whose lower neighbour is
 *    twice as close as its upper one.  There the decimal one step above the
 *    nearest may read back when the nearest (below v) does not; it is tried.
 *  - 17 digits always read back.
 *
 * The 15- and 16-digit candidates are rounded from the one %.16e conversion
 * unless the digits dropped are exactly a half ("5", "50"), where the
 * 17-digit string cannot tell whether the exact value was above or below;
 * then printf is asked again at that precision.
 *
 * Subnormals have fewer significant bits (5e-324 is one bit), so the 15-digit
 * argument fails for them; their interval is symmetric, so a binary search on
 * the precision with printf's nearest decimal finds the shortest.
 *
 * Before any of that, a fast path for what data mostly holds, a double read
 * from a short decimal such as 68.16: for k = 0, 1, ... it rounds v * 10^k to
 * an integer m and asks whether m / 10^k reads back as v.  While m < 10^15
 * and k <= 22 that question is answered exactly by one division, m and 10^k
 * being exact doubles and the division correctly rounded (Clinger's fast
 * path; strtod gives the same double).  If the shortest decimal D * 10^-k has
 * at most 15 digits, v * 10^k is within 0.25 of D and its rounding within
 * 0.125 more, so m == D at that k; and a hit at a smaller k is a decimal of
 * at most 15 digits reading back as v, which by the argument above is the
 * same value.  So the first hit is the shortest, and a miss costs a few
 * multiplications before the printf path.
 *
 * strtod is only ever given digits and an exponent ("123e-5"), never a
 * radix point, so the result does not depend on LC_NUMERIC; the digits of
 * printf's output are picked out the same way, skipping its radix point.
 */
#include "dtoa.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define MAX_SIG 17

/* A decimal d[0].d[1]...d[n-1] * 10^e, d[0] != '0' unless the value is 0. */
struct digits {
	char d[MAX_SIG + 1];
	int n, e;
};

/* v (> 0, finite) rounded to prec significant digits by printf. */
static void nearest(double v, int prec, struct digits *out)
{
	char tmp[64];
	const char *p = tmp;
	int e = 0, eneg = 0;

	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
	out->n = 0;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && out->n < MAX_SIG)
			out->d[out->n++] = *p;
	if (*p == 'e')
		p++;
	if (*p == '+' || *p == '-')
		eneg = *p++ == '-';
	for (; *p >= '0' && *p <= '9'; p++)
		e = e * 10 + (*p - '0');
	out->e = eneg ? -e : e;
}

/* Does the decimal read back as v? */
static int reads_back(const struct digits *c, double v)
{
	char tmp[MAX_SIG + 16];

	memcpy(tmp, c->d, (size_t)c->n);
	snprintf(tmp + c->n, sizeof(tmp) - (size_t)c->n, "e%d", c->e - (c->n - 1));
	return strtod(tmp, NULL) == v;
}

/* Add one unit in the last place; 9.99 becomes 1.00 with e + 1. */
static void step_up(struct digits *c)
{
	int i = c->n - 1;

	while (i >= 0 && c->d[i] == '9')
		c->d[i--] = '0';
	if (i >= 0) {
		c->d[i]++;
	} else {
		c->d[0] = '1';
		c->e++;
	}
}

/* The 17-digit decimal rounded to prec digits, half up, with printf
 * consulted when the dropped digits are an exact half (see the top). */
static void shorten(double v, const struct digits *full, int prec, struct digits *out)
{
	int half = full->d[prec] == '5';

	for (int i = prec + 1; i < full->n && half; i++)
		half = full->d[i] == '0';
	if (half) {
		nearest(v, prec, out);
		return;
	}
	memcpy(out->d, full->d, (size_t)prec);
	out->n = prec;
	out->e = full->e;
	if (full->d[prec] >= '5')
		step_up(out);
}

static int is_pow2(double v)
{
	int e;

	return frexp(v, &e) == 0.5;
}

/* The fast path described at the top: 1 and the digits on a hit. */
static int short_decimal(double v, struct digits *out)
{
#if FLT_EVAL_METHOD == 0
	static const double exact10[] = {
		1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
	};

	for (int k = 0; k <= 22; k++) {
		double x = v * exact10[k];

		if (x >= 1e15)
			break;
		/* x < 2^50: adding one half is exact, the truncation rounds. */
		uint64_t m = (uint64_t)(x + 0.5);
		if (m == 0 || (double)m / exact10[k] != v)
			continue;
		char tmp[24];
		int n = 0;
		for (uint64_t q = m; q; q /= 10)
			tmp[n++] = (char)('0' + q % 10);
		for (int i = 0; i < n; i++)
			out->d[i] = tmp[n - 1 - i];
		out->n = n;
		out->e = n - 1 - k;
		return 1;
	}
#else
	/* Excess precision (x87) would make the division test inexact. */
	(void)v;
	(void)out;
#endif
	return 0;
}

/* The shortest decimal that reads back as v (> 0, finite). */
static void shortest(double v, struct digits *out)
{
	struct digits full;

	if (v < DBL_MIN) {
		int lo = 1, hi = MAX_SIG;

		while (lo < hi) {
			int mid = (lo + hi) / 2;

			nearest(v, mid, out);
			if (reads_back(out, v))
				hi = mid;
			else
				lo = mid + 1;
		}
		nearest(v, lo, out);
		return;
	}
	if (short_decimal(v, out))
		return;
	nearest(v, MAX_SIG, &full);
	shorten(v, &full, 15, out);
	if (reads_back(out, v))
		return;
	shorten(v, &full, 16, out);
	if (reads_back(out, v))
		return;
	if (is_pow2(v)) {
		step_up(out);
		if (reads_back(out, v))
			return;
	}
	*out = full;
}

size_t dtoa_shortest(double v, char *buf)
{
	struct digits c;
	size_t o = 0;

	if (!isfinite(v))
		return 0;
	if (signbit(v))
		buf[o++] = '-';
	if (v == 0) {
		buf[o++] = '0';
		buf[o] = '\0';
		return o;
	}
	shortest(fabs(v), &c);
	while (c.n > 1 && c.d[c.n - 1] == '0')
		c.n--;

	/* The layout of JavaScript's Number.prototype.toString. */
	if (c.e >= 21 || c.e < -6) {
		buf[o++] = c.d[0];
		if (c.n > 1) {
			buf[o++] = '.';
			memcpy(buf + o, c.d + 1, (size_t)c.n - 1);
			o += (size_t)c.n - 1;
		}
		o += (size_t)snprintf(buf + o, DTOA_BUFSZ - o, "e%c%d", c.e < 0 ? '-' : '+',
				      abs(c.e));
		return o;
	}
	if (c.e < 0) {
		buf[o++] = '0';
		buf[o++] = '.';
		memset(buf + o, '0', (size_t)(-c.e - 1));
		o += (size_t)(-c.e - 1);
		memcpy(buf + o, c.d, (size_t)c.n);
		o += (size_t)c.n;
	} else if (c.e >= c.n - 1) {
		memcpy(buf + o, c.d, (size_t)c.n);
		o += (size_t)c.n;
		memset(buf + o, '0', (size_t)(c.e - (c.n - 1)));
		o += (size_t)(c.e - (c.n - 1));
	} else {
		memcpy(buf + o, c.d, (size_t)c.e + 1);
		o += (size_t)c.e + 1;
		buf[o++] = '.';
		memcpy(buf + o, c.d + c.e + 1, (size_t)(c.n - c.e - 1));
		o += (size_t)(c.n - c.e - 1);
	}
	buf[o] = '\0';
	return o;
}
