/*
 * test_dtoa.c - unit tests of common/dtoa.c.
 *
 * What is proved: the text reads back to the same double, is JSON, has the
 * JavaScript layout, and is the shortest: printf's nearest decimal with one
 * digit fewer does not read back (and, at powers of two, where the interval
 * of a double is lopsided, neither do its two neighbours).  Besides the
 * fixed cases, a few hundred thousand doubles from random bit patterns and
 * from random short decimals are checked.
 */
#include "dtoa.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "banned.h"

static char out[DTOA_BUFSZ];

static const char *fmt(double v)
{
	size_t n = dtoa_shortest(v, out);

	if (n != strlen(out))
		return "(wrong length)";
	return out;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int is_json_number(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return 0;
	if (*p == '.') {
		if (!(*++p >= '0' && *p <= '9'))
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/* Significant digits of a number's text: leading zeros, the point and the
 * exponent do not count; trailing zeros of the mantissa do not either. */
static int sig_digits(const char *s)
{
	int n = 0, lead = 1, zeros = 0;

	for (; *s && *s != 'e' && *s != 'E'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (lead && *s == '0')
			continue;
		lead = 0;
		n++;
		zeros = *s == '0' ? zeros + 1 : 0;
	}
	return n - zeros;
}

static int reads_back(const char *s, double v)
{
	double r = strtod(s, NULL);

	return r == v && signbit(r) == signbit(v);
}

/* printf's nearest decimal of prec digits, moved by step units of its last
 * digit (-1, 0, 1): as digits and an exponent, for strtod. */
static void candidate(double v, int prec, int step, char *buf, size_t size)
{
	char tmp[64], dig[32];
	int n = 0, e;
	char *p;

	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, fabs(v));
	for (p = tmp; *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			dig[n++] = *p;
	e = (int)strtol(p + 1, NULL, 10) - (prec - 1);
	dig[n] = '\0';
	snprintf(buf, size, "%llue%d",
		 strtoull(dig, NULL, 10) + (unsigned long long)(long long)step, e);
}

/* Does a decimal of prec digits read back as v?  With neighbours, also the
 * decimals one unit away from printf's nearest. */
static int prec_reads_back(double v, int prec, int neighbours)
{
	char buf[64];

	for (int step = neighbours ? -1 : 0; step <= (neighbours ? 1 : 0); step++) {
		candidate(v, prec, step, buf, sizeof(buf));
		if (strtod(buf, NULL) == fabs(v))
			return 1;
	}
	return 0;
}

static void test_fixed(void)
{
	CHECK_STR(fmt(0.1), "0.1");
	CHECK_STR(fmt(0.1 + 0.2), "0.30000000000000004");
	CHECK_STR(fmt(68.16), "68.16");
	CHECK_STR(fmt(19.99 * 3), "59.97");
	CHECK_STR(fmt(1e21), "1e+21");
	CHECK_STR(fmt(1e20), "100000000000000000000");
	CHECK_STR(fmt(1e-7), "1e-7");
	CHECK_STR(fmt(0.000001), "0.000001");
	CHECK_STR(fmt(0.0000015), "0.0000015");
	CHECK_STR(fmt(1.2345e-7), "1.2345e-7");
	CHECK_STR(fmt(5e-324), "5e-324");
	CHECK_STR(fmt(-5e-324), "-5e-324");
	CHECK_STR(fmt(DBL_MAX), "1.7976931348623157e+308");
	CHECK_STR(fmt(DBL_MIN), "2.2250738585072014e-308");
	CHECK_STR(fmt(2.2250738585072009e-308), "2.225073858507201e-308");
	CHECK_STR(fmt(-0.0), "-0");
	CHECK_STR(fmt(0.0), "0");
	CHECK_STR(fmt(100), "100");
	CHECK_STR(fmt(-1.5), "-1.5");
	CHECK_STR(fmt(1), "1");
	CHECK_STR(fmt(123.456), "123.456");
	CHECK_STR(fmt(1.5e300), "1.5e+300");
	CHECK_STR(fmt(-1.5e-300), "-1.5e-300");
	CHECK_STR(fmt(123456789012345680000.0), "123456789012345680000");
	CHECK_STR(fmt(9007199254740993.0), "9007199254740992");
	CHECK_STR(fmt(9223372036854775808.0), "9223372036854776000");
	CHECK_STR(fmt(0.000123), "0.000123");
	CHECK_STR(fmt(1e22), "1e+22");
	CHECK_STR(fmt(1.7976931348623157e308), "1.7976931348623157e+308");
	CHECK_STR(fmt(4.35), "4.35");
	CHECK_STR(fmt(0.3), "0.3");
	CHECK_STR(fmt(2.0 / 3.0), "0.6666666666666666");
	CHECK_STR(fmt(1.0 / 3.0), "0.3333333333333333");
	CHECK_STR(fmt(5e-7), "5e-7");
	CHECK_STR(fmt(9.999999999999999e20), "999999999999999900000");
	CHECK_STR(fmt(9.5367431640625e-7), "9.5367431640625e-7");

	/* Non-finite values are not JSON: nothing is written. */
	memset(out, 'x', sizeof(out));
	CHECK(dtoa_shortest(NAN, out) == 0 && out[0] == 'x');
	CHECK(dtoa_shortest(-NAN, out) == 0 && out[0] == 'x');
	CHECK(dtoa_shortest(INFINITY, out) == 0 && out[0] == 'x');
	CHECK(dtoa_shortest(-INFINITY, out) == 0 && out[0] == 'x');
}

/* Every power of two: the lopsided intervals, also across the subnormals. */
static void test_powers_of_two(void)
{
	long bad_back = 0, bad_short = 0;

	for (int k = -1074; k <= 1023; k++) {
		double v = ldexp(1.0, k);
		int p;

		fmt(v);
		if (!reads_back(out, v))
			bad_back++;
		p = sig_digits(out);
		if (p > 1 && prec_reads_back(v, p - 1, 1)) {
			printf("# 2^%d: %s is not the shortest\n", k, out);
			bad_short++;
		}
	}
	CHECK(bad_back == 0);
	CHECK(bad_short == 0);
}

/* xorshift64: fixed seed, reproducible. */
static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The checks on one double; returns which one failed, 0 if none. */
static int check_one(double v)
{
	char g17[40];
	size_t n = dtoa_shortest(v, out);
	int p;
	const char *x;

	if (n == 0 || n >= DTOA_BUFSZ || n != strlen(out))
		return 1;
	if (!reads_back(out, v))
		return 2;
	if (!is_json_number(out))
		return 3;
	snprintf(g17, sizeof(g17), "%.17g", v);
	p = sig_digits(out);
	if (p > sig_digits(g17))
		return 4;
	if (p > 1 && prec_reads_back(v, p - 1, 0))
		return 5;
	/* JavaScript's layout: an exponent exactly outside 1e-7 < |v| < 1e21. */
	x = strchr(out, 'e');
	if (fabs(v) < 1e21 && fabs(v) >= 1e-6 && x)
		return 6;
	if ((fabs(v) >= 1e21 || fabs(v) < 1e-7) && !x)
		return 6;
	return 0;
}

static void test_random(void)
{
	long fails[7] = {0}, count = 0;

	/* Random bit patterns: every exponent equally, mostly 16-17 digits. */
	for (int i = 0; i < 300000; i++) {
		uint64_t bits = next();
		double v;
		int r;

		memcpy(&v, &bits, sizeof(v));
		if (!isfinite(v))
			continue;
		count++;
		r = check_one(v);
		if (r && fails[r]++ == 0)
			printf("# %a (%.17g): check %d fails: %s\n", v, v, r, out);
	}
	/* Random short decimals, as data holds: the text comes back. */
	for (int i = 0; i < 100000; i++) {
		char text[64];
		unsigned long long c = next() % 1000000000000000ULL;
		int e = (int)(next() % 60) - 40;
		double v;
		int r;

		while (c && c % 10 == 0)
			c /= 10;
		snprintf(text, sizeof(text), "%llue%d", c, e);
		v = strtod(text, NULL);
		r = check_one(v);
		if (!r && c && sig_digits(out) != sig_digits(text))
			r = 4;
		if (r && fails[r]++ == 0)
			printf("# %s: check %d fails: %s\n", text, r, out);
	}
	CHECK(count > 290000);
	CHECK(fails[1] == 0); /* length and NUL */
	CHECK(fails[2] == 0); /* reads back */
	CHECK(fails[3] == 0); /* JSON */
	CHECK(fails[4] == 0); /* no more digits than %.17g or the source */
	CHECK(fails[5] == 0); /* no shorter precision reads back */
	CHECK(fails[6] == 0); /* layout */
}

int main(void)
{
	test_fixed();
	test_powers_of_two();
	test_random();
	return unit_done();
}
