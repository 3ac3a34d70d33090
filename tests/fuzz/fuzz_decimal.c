/*
 * fuzz_decimal.c - libFuzzer target for common/decimal.c and common/dtoa.c.
 *
 * Invariants checked on any input (abort() on a violation, so the fuzzer
 * reports it): a parsed decimal keeps the struct invariant, formats to JSON
 * text that parses back to the identical value; the lenient parser agrees
 * with the strict one on everything the strict one accepts; arithmetic on
 * the two halves of the input is consistent (a + b - b == a, commutativity,
 * cmp antisymmetry, the double of an exact product near the product of the
 * doubles); dec_text_cmp() on two number texts is antisymmetric and agrees
 * with dec_cmp() when both fit; and any 8 bytes taken as a double print as
 * JSON that reads back to the same double and that dec_parse accepts as a
 * number.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "dtoa.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void check_invariant(const dec_t *d)
{
	unsigned __int128 limit = 1;

	for (int i = 0; i < DEC_MAX_DIGITS; i++)
		limit *= 10;
	check(d->coef < limit);
	check(d->scale >= 0 && d->scale <= DEC_MAX_SCALE);
	check(!(d->neg && d->coef == 0));
}

static int identical(const dec_t *a, const dec_t *b)
{
	return a->coef == b->coef && a->scale == b->scale && a->neg == b->neg;
}

/* Parse, and on success check the round trip through dec_format. */
static int parse_checked(dec_t *d, const char *s, size_t n)
{
	char buf[DEC_BUFSZ];
	dec_t back, len;
	int rc = dec_parse(d, s, n), lrc = dec_parse_lenient(&len, s, n);

	check(rc == DEC_OK || rc == DEC_INEXACT || rc == DEC_SYNTAX);
	/* Strict acceptance implies lenient acceptance of the same value. */
	if (rc != DEC_SYNTAX)
		check(lrc == rc);
	if (rc != DEC_OK)
		return rc;
	check_invariant(d);
	check(identical(d, &len));
	size_t k = dec_format(d, buf);
	check(k < DEC_BUFSZ && k == strlen(buf));
	check(strchr(buf, 'e') == NULL && strchr(buf, 'E') == NULL);
	check(dec_parse(&back, buf, k) == DEC_OK);
	check(identical(d, &back));
	check(dec_cmp(d, &back) == 0);
	return rc;
}

static void exercise(const dec_t *a, const dec_t *b)
{
	dec_t s, d, m, m2, t, u;
	int c = dec_cmp(a, b);

	check(c >= -1 && c <= 1);
	check(dec_cmp(b, a) == -c);
	check(dec_cmp(a, a) == 0);

	if (dec_add(&s, a, b) == DEC_OK) {
		check_invariant(&s);
		check(dec_add(&t, b, a) == DEC_OK && dec_cmp(&s, &t) == 0);
		if (dec_sub(&t, &s, b) == DEC_OK) {
			check_invariant(&t);
			check(dec_cmp(&t, a) == 0);
		}
		if (dec_sub(&u, &s, a) == DEC_OK)
			check(dec_cmp(&u, b) == 0);
	}
	if (dec_sub(&d, a, b) == DEC_OK) {
		check_invariant(&d);
		if (dec_add(&t, &d, b) == DEC_OK)
			check(dec_cmp(&t, a) == 0);
		dec_t nb = *b;
		dec_neg(&nb);
		check(dec_add(&t, a, &nb) == DEC_OK && dec_cmp(&t, &d) == 0);
	}
	if (dec_mul(&m, a, b) == DEC_OK) {
		check_invariant(&m);
		check(dec_mul(&m2, b, a) == DEC_OK && identical(&m, &m2));
		double x = dec_to_double(a) * dec_to_double(b), y = dec_to_double(&m);
		/* Three roundings at most separate the two. */
		check(fabs(x - y) <= fabs(y) * 1e-15);
	}

	t = *a;
	dec_normalize(&t);
	check_invariant(&t);
	check(dec_cmp(&t, a) == 0 && t.scale <= a->scale);
	u = *a;
	if (dec_rescale(&u, b->scale) == DEC_OK) {
		check_invariant(&u);
		check(u.scale == b->scale && dec_cmp(&u, a) == 0);
	}
	if (b->scale < a->scale) {
		/* |round(a) - a| <= half a unit of the new scale. */
		dec_t r = *a, half, diff;

		dec_round(&r, b->scale);
		check_invariant(&r);
		check(r.scale == b->scale);
		half.coef = 5;
		half.scale = (int16_t)(b->scale + 1);
		half.neg = 0;
		if (dec_sub(&diff, &r, a) == DEC_OK) {
			diff.neg = 0;
			check(dec_cmp(&diff, &half) <= 0);
		}
	}
	int64_t v;
	if (dec_to_i64(a, &v)) {
		dec_from_i64(&t, v);
		check(dec_cmp(&t, a) == 0);
	}
}

static void exercise_dtoa(const uint8_t *data, size_t size)
{
	char buf[DTOA_BUFSZ];
	uint64_t bits = 0;
	double v;
	dec_t d;

	memcpy(&bits, data, size < 8 ? size : 8);
	memcpy(&v, &bits, sizeof(v));
	size_t n = dtoa_shortest(v, buf);
	if (!isfinite(v)) {
		check(n == 0);
		return;
	}
	check(n > 0 && n < DTOA_BUFSZ && n == strlen(buf));
	double r = strtod(buf, NULL);
	check(r == v && signbit(r) == signbit(v));
	int rc = dec_parse(&d, buf, n);
	check(rc != DEC_SYNTAX);
	/* Correct rounding both ways: the exact decimal gives v back. */
	if (rc == DEC_OK && v != 0)
		check(dec_to_double(&d) == v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	dec_t whole, a, b;

	parse_checked(&whole, s, size);
	size_t h = size / 2;
	int ra = parse_checked(&a, s, h), rb = parse_checked(&b, s + h, size - h);
	if (ra == DEC_OK && rb == DEC_OK)
		exercise(&a, &b);
	if (ra != DEC_SYNTAX && rb != DEC_SYNTAX) {
		int c = dec_text_cmp(s, h, s + h, size - h);

		check(c >= -1 && c <= 1);
		check(dec_text_cmp(s + h, size - h, s, h) == -c);
		check(dec_text_cmp(s, h, s, h) == 0);
		if (ra == DEC_OK && rb == DEC_OK)
			check(c == dec_cmp(&a, &b));
	}
	exercise_dtoa(data, size);
	return 0;
}
