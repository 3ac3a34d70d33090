/*
 * test_decimal.c - unit tests of common/decimal.c.
 *
 * What is proved: JSON number grammar and nothing else is accepted (and the
 * lenient forms only by dec_parse_lenient), exponents are applied exactly,
 * 38 digits fit and 39 do not, sums and products are exact with SQL scales or
 * DEC_INEXACT, comparison ignores scale, zero is never negative, and the
 * conversions to int64_t and double are exact or correctly rounded; number
 * texts of any size, exponents of any length included, order exactly.
 * Randomized checks compare against 128-bit integer arithmetic done here.
 */
#include "decimal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "banned.h"

static char out[DEC_BUFSZ + 16];

static const char *status_name(int rc)
{
	return rc == DEC_SYNTAX ? "SYNTAX" : rc == DEC_INEXACT ? "INEXACT" : "?";
}

static const char *show(int rc, const dec_t *d)
{
	if (rc != DEC_OK)
		return status_name(rc);
	dec_format(d, out);
	return out;
}

static dec_t num(const char *s)
{
	dec_t d;

	if (dec_parse(&d, s, strlen(s)) != DEC_OK) {
		printf("# test bug: %s does not parse\n", s);
		abort();
	}
	return d;
}

/* Parse, then format: the text, or the error's name. */
static const char *strict(const char *s)
{
	dec_t d;

	return show(dec_parse(&d, s, strlen(s)), &d);
}

static const char *lenient(const char *s)
{
	dec_t d;

	return show(dec_parse_lenient(&d, s, strlen(s)), &d);
}

static const char *op(int (*f)(dec_t *, const dec_t *, const dec_t *), const char *a, const char *b)
{
	dec_t x = num(a), y = num(b), r;

	return show(f(&r, &x, &y), &r);
}

static int cmp(const char *a, const char *b)
{
	dec_t x = num(a), y = num(b);

	return dec_cmp(&x, &y);
}

static const char *rescale(const char *s, int scale)
{
	dec_t d = num(s);

	return show(dec_rescale(&d, scale), &d);
}

static const char *round_to(const char *s, int scale)
{
	dec_t d = num(s);

	dec_round(&d, scale);
	return show(DEC_OK, &d);
}

static const char *normalize(const char *s)
{
	dec_t d = num(s);

	dec_normalize(&d);
	return show(DEC_OK, &d);
}

static int to_i64(const char *s, int64_t *v)
{
	dec_t d = num(s);

	return dec_to_i64(&d, v);
}

static double to_double(const char *s)
{
	dec_t d = num(s);

	return dec_to_double(&d);
}

static int tcmp(const char *a, const char *b)
{
	return dec_text_cmp(a, strlen(a), b, strlen(b));
}

/* The power of ten of digit i of a number's text; 0 when saturated. */
static int place(const char *s, size_t i, __int128 *p)
{
	struct dec_text m;

	dec_text_parse(&m, s, strlen(s));
	return dec_text_place(&m, i, p);
}

static void test_text_parts(void)
{
	struct dec_text m;
	__int128 p;

	dec_text_parse(&m, "-00120.0500e+007", 16);
	CHECK(m.neg && !m.eneg && m.nint == 5 && m.nfrac == 4 && m.z == 2 && m.last == 6);
	CHECK(m.ne == 1 && m.ep[0] == '7');
	CHECK(dec_text_digit(&m, 2) == '1' && dec_text_digit(&m, 6) == '5');
	CHECK(dec_text_place(&m, 2, &p) == 1 && p == 9);
	CHECK(dec_text_place(&m, 6, &p) == 1 && p == 5);
	dec_text_parse(&m, "0.000", 5);
	CHECK(m.z == m.nint + m.nfrac);
	CHECK(place("1e10000000000000", 0, &p) == 1 && p == 10000000000000);
	CHECK(place("5e-10000000000001", 0, &p) == 1 && p == -10000000000001);
	/* 30 exponent digits are exact; 31 saturate beyond any exact power */
	CHECK(place("1e999999999999999999999999999999", 0, &p) == 1 &&
	      p == (__int128)999999999999999 * 1000000000000000 + 999999999999999);
	CHECK(place("1e1000000000000000000000000000000", 0, &p) == 0 &&
	      p > (__int128)1000000000000000 * 1000000000000000);
	CHECK(place("1e-1000000000000000000000000000000", 0, &p) == 0 &&
	      p < -(__int128)1000000000000000 * 1000000000000000);
}

/* The order of number texts of any size: exact, however long the exponent. */
static void test_text_cmp(void)
{
	CHECK(tcmp("1", "1.0") == 0);
	CHECK(tcmp("1", "2") < 0);
	CHECK(tcmp("-1", "-2") > 0);
	CHECK(tcmp("-0", "0") == 0);
	CHECK(tcmp("0.1", "1e-1") == 0);
	CHECK(tcmp("99999999999999999999999999999999999999", "1e38") < 0);
	CHECK(tcmp("1e38", "100000000000000000000000000000000000001") < 0);
	CHECK(tcmp("123456789012345678901234567890123456789",
		   "123456789012345678901234567890123456788") > 0);
	CHECK(tcmp("1e400", "9e399") > 0);
	CHECK(tcmp("1e400", "10e399") == 0);
	CHECK(tcmp("-1e400", "-9e399") < 0);
	CHECK(tcmp("1e-400", "0") > 0);
	CHECK(tcmp("-1e-400", "0") < 0);
	CHECK(tcmp("1e-400", "1e-399") < 0);
	CHECK(tcmp("1e99999999999999999999", "1e99999999999999999998") > 0);
	CHECK(tcmp("10e99999999999999999998", "1e99999999999999999999") == 0);
	CHECK(tcmp("1e-99999999999999999999", "1e-99999999999999999998") < 0);
	CHECK(tcmp("1e-99999999999999999999", "1e-400") < 0);
	CHECK(tcmp("1.00000000000000000000000000000000000000001", "1") > 0);
	CHECK(tcmp("0e999999999999999999999", "0.0") == 0);
	/* exponents past 10^12, and past 64 bits, are read in full */
	CHECK(tcmp("1e10000000000000", "1e10000000000001") < 0);
	CHECK(tcmp("1e10000000000001", "1e10000000000000") > 0);
	CHECK(tcmp("1e10000000000000", "1e10000000000000") == 0);
	CHECK(tcmp("10e10000000000000", "1e10000000000001") == 0);
	CHECK(tcmp("-1e10000000000000", "-1e10000000000001") > 0);
	CHECK(tcmp("1e-10000000000001", "1e-10000000000000") < 0);
	CHECK(tcmp("1e1000000000000000000000000000000000000000",
		   "1e1000000000000000000000000000000000000001") < 0);
	CHECK(tcmp("100e999999999999999999999999999999999999998",
		   "1e1000000000000000000000000000000000000000") == 0);
	CHECK(tcmp("0.01e1000000000000000000000000000000000000002",
		   "1e1000000000000000000000000000000000000000") == 0);
	CHECK(tcmp("1.5e1000000000000000000000000000000000000000",
		   "1.49e1000000000000000000000000000000000000000") > 0);
	CHECK(tcmp("1e-1000000000000000000000000000000000000001",
		   "1e-1000000000000000000000000000000000000000") < 0);
	CHECK(tcmp("1e-1000000000000000000000000000000000000000", "0") > 0);
	CHECK(tcmp("1e-1000000000000000000000000000000000000000", "1e-400") < 0);
	CHECK(tcmp("1e1000000000000000000000000000000000000000", "1e400") > 0);
	CHECK(tcmp("-1e1000000000000000000000000000000000000000", "-1e400") < 0);
	CHECK(tcmp("1e000000000000000000000000000000000000000005", "100000") == 0);
	/* the lenient spellings and printf's "%e" */
	CHECK(tcmp("+007", "7") == 0);
	CHECK(tcmp("+1.5", "1.50") == 0);
	CHECK(tcmp("1.5e+02", "150") == 0);
	CHECK(tcmp("-2.5e-01", "-0.25") == 0);
}

static void test_parse_format(void)
{
	CHECK_STR(strict("0"), "0");
	CHECK_STR(strict("-0"), "0");
	CHECK_STR(strict("-0.00"), "0.00");
	CHECK_STR(strict("2.50"), "2.50");
	CHECK_STR(strict("-12.50"), "-12.50");
	CHECK_STR(strict("0.001"), "0.001");
	CHECK_STR(strict("19.99"), "19.99");
	CHECK_STR(strict("12345678901234567890"), "12345678901234567890");
	CHECK_STR(strict("-123456789012345678901234567890.12345678"),
		  "-123456789012345678901234567890.12345678");

	/* Exponents are applied exactly. */
	CHECK_STR(strict("1.5e2"), "150");
	CHECK_STR(strict("1e-3"), "0.001");
	CHECK_STR(strict("1.50e1"), "15.0");
	CHECK_STR(strict("1E+2"), "100");
	CHECK_STR(strict("-1.5E-2"), "-0.015");
	CHECK_STR(strict("1e0"), "1");
	CHECK_STR(strict("123e-1"), "12.3");
	CHECK_STR(strict("0e5"), "0");
	CHECK_STR(strict("0.00e1"), "0.0");
	CHECK_STR(strict("-0e-3"), "0.000");
	CHECK_STR(strict("1e37"), "10000000000000000000000000000000000000");
	CHECK_STR(strict("1e38"), "INEXACT");
	CHECK_STR(strict("1e-38"), "0.00000000000000000000000000000000000001");
	CHECK_STR(strict("1e-39"), "INEXACT");
	CHECK_STR(strict("1e999999999999"), "INEXACT");
	CHECK_STR(strict("1e-999999999999"), "INEXACT");
	CHECK_STR(strict("1e99999999999999999999999999999999999999999"), "INEXACT");
	CHECK_STR(strict("0e999999999999"), "0");
	CHECK_STR(strict("0e-999999999999"), "0.00000000000000000000000000000000000000");

	/* 38 digits fit, 39 do not, wherever the point is. */
	CHECK_STR(strict("99999999999999999999999999999999999999"),
		  "99999999999999999999999999999999999999");
	CHECK_STR(strict("-99999999999999999999999999999999999999"),
		  "-99999999999999999999999999999999999999");
	CHECK_STR(strict("999999999999999999999999999999999999999"), "INEXACT");
	CHECK_STR(strict("100000000000000000000000000000000000000"), "INEXACT");
	CHECK_STR(strict("0.99999999999999999999999999999999999999"),
		  "0.99999999999999999999999999999999999999");
	CHECK_STR(strict("0.999999999999999999999999999999999999999"), "INEXACT");
	CHECK_STR(strict("9.9999999999999999999999999999999999999"),
		  "9.9999999999999999999999999999999999999");
	CHECK_STR(strict("9.99999999999999999999999999999999999999"), "INEXACT");
	CHECK_STR(strict("0.00000000000000000000000000000000000001"),
		  "0.00000000000000000000000000000000000001");
	CHECK_STR(strict("0.000000000000000000000000000000000000001"), "INEXACT");
	/* Trailing zeros that do not fit are dropped, since the value does. */
	CHECK_STR(strict("1.0000000000000000000000000000000000000000"),
		  "1.0000000000000000000000000000000000000");
	CHECK_STR(strict("100000000000000000000000000000000000000.0"), "INEXACT");
	CHECK_STR(strict("1000000000000000000000000000000000000e-40"),
		  "0.00010000000000000000000000000000000000");

	/* The length is n, not the NUL. */
	dec_t d;
	CHECK(dec_parse(&d, "12345", 3) == DEC_OK && d.coef == 123 && d.scale == 0);
	CHECK(dec_parse(&d, "1\0", 2) == DEC_SYNTAX);
	CHECK(dec_parse(&d, "2.50", 4) == DEC_OK && d.coef == 250 && d.scale == 2 && !d.neg);
	CHECK(dec_parse(&d, "-0.0", 4) == DEC_OK && d.coef == 0 && d.scale == 1 && !d.neg);
	CHECK(dec_format(&d, out) == 3 && strcmp(out, "0.0") == 0);

	/* The longest text fits DEC_BUFSZ. */
	d = num("-0.00000000000000000000000000000000000001");
	CHECK(dec_format(&d, out) == 41 && 41 < DEC_BUFSZ);
	d = num("-0.99999999999999999999999999999999999999");
	CHECK(dec_format(&d, out) == 41);
}

static void test_grammar(void)
{
	static const char *const bad[] = {
		"",          "-",     "+1",    "01",   "-01",  "00",  ".5",   "5.",
		"-.5",       "1e",    "1e+",   "1E-",  "e5",   "NaN", "nan",  "Infinity",
		"-Infinity", "inf",   "1.5.2", " 1",   "1 ",   "\t1", "0x10", "1e5.5",
		"--1",       "1_000", "1,5",   "1.e5", "1.5e", "+",   "1ee5", "1e+-5",
		"0.",        "-e1",   "１",    "1d",   "1f",   "0b1", "1e5 ",
	};
	size_t nbad = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dec_t d;

		if (dec_parse(&d, bad[i], strlen(bad[i])) != DEC_SYNTAX) {
			printf("# accepted: '%s'\n", bad[i]);
			nbad++;
		}
	}
	CHECK(nbad == 0);
	CHECK_STR(strict("+1"), "SYNTAX");
	CHECK_STR(strict("007"), "SYNTAX");

	/* Lenient: a '+' and leading zeros, nothing more. */
	CHECK_STR(lenient("007"), "7");
	CHECK_STR(lenient("+1.5"), "1.5");
	CHECK_STR(lenient("-007.50"), "-7.50");
	CHECK_STR(lenient("+0"), "0");
	CHECK_STR(lenient("-00"), "0");
	CHECK_STR(lenient("0001e2"), "100");
	CHECK_STR(lenient("+1e-2"), "0.01");
	CHECK_STR(lenient("19.99"), "19.99");
	CHECK_STR(lenient(".5"), "SYNTAX");
	CHECK_STR(lenient("5."), "SYNTAX");
	CHECK_STR(lenient("+"), "SYNTAX");
	CHECK_STR(lenient("++1"), "SYNTAX");
	CHECK_STR(lenient("+-1"), "SYNTAX");
	CHECK_STR(lenient("-+1"), "SYNTAX");
	CHECK_STR(lenient(""), "SYNTAX");
	CHECK_STR(lenient(" 7"), "SYNTAX");
	CHECK_STR(lenient("NaN"), "SYNTAX");
	CHECK_STR(lenient("000000000000000000000000000000000000000000001"), "1");
}

static void test_add_sub(void)
{
	dec_t sum, tenth = num("0.1"), one = num("1.0");

	dec_from_i64(&sum, 0);
	for (int i = 0; i < 10; i++)
		dec_add(&sum, &sum, &tenth);
	CHECK(dec_cmp(&sum, &one) == 0);
	CHECK_STR(show(DEC_OK, &sum), "1.0");

	CHECK_STR(op(dec_add, "68.16", "0.01"), "68.17");
	CHECK_STR(op(dec_add, "123456789012345678901234567890", "1"),
		  "123456789012345678901234567891");
	CHECK_STR(op(dec_add, "0.10", "0.2"), "0.30");
	CHECK_STR(op(dec_add, "1.5", "2.25"), "3.75");
	CHECK_STR(op(dec_add, "2.25", "1.5"), "3.75");
	CHECK_STR(op(dec_sub, "1", "0.001"), "0.999");
	CHECK_STR(op(dec_sub, "1.5", "2.75"), "-1.25");
	CHECK_STR(op(dec_add, "-1.5", "1.5"), "0.0");
	CHECK_STR(op(dec_sub, "-1.5", "-1.5"), "0.0");
	CHECK_STR(op(dec_sub, "0", "0.00"), "0.00");
	CHECK_STR(op(dec_add, "-2.5", "-0.25"), "-2.75");
	CHECK_STR(op(dec_add, "-2.5", "0.25"), "-2.25");
	CHECK_STR(op(dec_sub, "-2.5", "0.25"), "-2.75");
	CHECK_STR(op(dec_sub, "0.25", "-2.5"), "2.75");
	CHECK_STR(op(dec_sub, "99999999999999999999999999999999999999", "1"),
		  "99999999999999999999999999999999999998");
	CHECK_STR(op(dec_add, "-99999999999999999999999999999999999999", "1"),
		  "-99999999999999999999999999999999999998");

	/* Overflow is DEC_INEXACT, never a wrapped or rounded value. */
	CHECK_STR(op(dec_add, "99999999999999999999999999999999999999", "1"), "INEXACT");
	CHECK_STR(op(dec_sub, "-99999999999999999999999999999999999999", "1"), "INEXACT");
	CHECK_STR(op(dec_add, "50000000000000000000000000000000000000",
		     "50000000000000000000000000000000000000"),
		  "INEXACT");
	CHECK_STR(op(dec_add, "10000000000000000000000000000000000000", "0.1"), "INEXACT");
	CHECK_STR(op(dec_add, "1", "0.00000000000000000000000000000000000001"), "INEXACT");

	/* Exact values that need a smaller scale than SQL's still come out. */
	CHECK_STR(op(dec_sub, "10000000000000000000000000000000000000",
		     "9999999999999999999999999999999999999.9"),
		  "0.1");
	CHECK_STR(op(dec_add, "9999999999999999999999999999999999999.9", "0.1"),
		  "10000000000000000000000000000000000000");
	CHECK_STR(op(dec_add, "10000000000000000000000000000000000000", "0.0"),
		  "10000000000000000000000000000000000000");
}

static void test_mul(void)
{
	CHECK_STR(op(dec_mul, "19.99", "3"), "59.97");
	CHECK_STR(op(dec_mul, "0.1", "0.1"), "0.01");
	CHECK_STR(op(dec_mul, "1.50", "2.0"), "3.000");
	CHECK_STR(op(dec_mul, "-2", "3"), "-6");
	CHECK_STR(op(dec_mul, "-2", "-3"), "6");
	CHECK_STR(op(dec_mul, "0", "-5"), "0");
	CHECK_STR(op(dec_mul, "-0.5", "0"), "0.0");
	CHECK_STR(op(dec_mul, "1234567890123456789", "9876543210987654321"),
		  "12193263113702179522374638011112635269");
	CHECK_STR(op(dec_mul, "-123456789012345678901234567890", "0.0000001"),
		  "-12345678901234567890123.4567890");
	CHECK_STR(op(dec_mul, "1000000000000000000", "10000000000000000000"),
		  "10000000000000000000000000000000000000");
	CHECK_STR(op(dec_mul, "10000000000000000000", "10000000000000000000"), "INEXACT");
	CHECK_STR(op(dec_mul, "12345678901234567890", "98765432109876543210"), "INEXACT");
	CHECK_STR(op(dec_mul, "99999999999999999999999999999999999999",
		     "99999999999999999999999999999999999999"),
		  "INEXACT");
	CHECK_STR(op(dec_mul, "-99999999999999999999999999999999999999", "2"), "INEXACT");
	CHECK_STR(op(dec_mul, "0.00000000000000000001", "0.00000000000000000001"), "INEXACT");
	CHECK_STR(op(dec_mul, "0.10000000000000000000", "0.10000000000000000000"),
		  "0.01000000000000000000000000000000000000");
	CHECK_STR(op(dec_mul, "99999999999999999999999999999999999999", "1"),
		  "99999999999999999999999999999999999999");
	CHECK_STR(op(dec_mul, "0.00000000000000000000000000000000000000", "1.5"),
		  "0.00000000000000000000000000000000000000");
}

static void test_cmp(void)
{
	CHECK(cmp("1.0", "1.00") == 0);
	CHECK(cmp("1", "1.00000000000000000000000000000000000") == 0);
	CHECK(cmp("-0.5", "0.1") < 0);
	CHECK(cmp("0.1", "-0.5") > 0);
	CHECK(cmp("0", "-0") == 0);
	CHECK(cmp("0.00", "0") == 0);
	CHECK(cmp("0.1", "0.09") > 0);
	CHECK(cmp("-1", "-0.9999") < 0);
	CHECK(cmp("-1.0", "-1.00") == 0);
	CHECK(cmp("-1.01", "-1.0") < 0);
	CHECK(cmp("2", "10") < 0);
	CHECK(cmp("10000000000000000000000000000000000000",
		  "0.00000000000000000000000000000000000001") > 0);
	CHECK(cmp("99999999999999999999999999999999999999",
		  "9999999999999999999999999999999999999.9") > 0);
	CHECK(cmp("0.99999999999999999999999999999999999999", "1") < 0);
	CHECK(cmp("-0.99999999999999999999999999999999999999", "-1") > 0);
	CHECK(cmp("12345678901234567890", "12345678901234567891") < 0);
}

static void test_normalize_rescale_round(void)
{
	CHECK_STR(normalize("2.50"), "2.5");
	CHECK_STR(normalize("3.000"), "3");
	CHECK_STR(normalize("0.000"), "0");
	CHECK_STR(normalize("100"), "100");
	CHECK_STR(normalize("-1.10"), "-1.1");
	CHECK_STR(normalize("1e-38"), "0.00000000000000000000000000000000000001");
	dec_t a = num("1.0"), b = num("1.00");
	dec_normalize(&a);
	dec_normalize(&b);
	CHECK(a.coef == b.coef && a.scale == b.scale && a.neg == b.neg);

	CHECK_STR(rescale("2.5", 2), "2.50");
	CHECK_STR(rescale("2.50", 1), "2.5");
	CHECK_STR(rescale("2.55", 1), "INEXACT");
	CHECK_STR(rescale("-3", 3), "-3.000");
	CHECK_STR(rescale("1", 38), "INEXACT");
	CHECK_STR(rescale("1", 37), "1.0000000000000000000000000000000000000");
	CHECK_STR(rescale("0", 38), "0.00000000000000000000000000000000000000");
	CHECK_STR(rescale("1", -1), "INEXACT");
	CHECK_STR(rescale("1", 39), "INEXACT");
	CHECK_STR(rescale("99999999999999999999999999999999999999", 1), "INEXACT");

	CHECK_STR(round_to("2.345", 2), "2.35");
	CHECK_STR(round_to("2.344", 2), "2.34");
	CHECK_STR(round_to("-2.345", 2), "-2.35");
	CHECK_STR(round_to("0.5", 0), "1");
	CHECK_STR(round_to("-0.5", 0), "-1");
	CHECK_STR(round_to("1.5", 0), "2");
	CHECK_STR(round_to("2.5", 0), "3");
	CHECK_STR(round_to("0.4999", 0), "0");
	CHECK_STR(round_to("-0.004", 2), "0.00");
	CHECK_STR(round_to("99.95", 1), "100.0");
	CHECK_STR(round_to("0.99999999999999999999999999999999999999", 0), "1");
	CHECK_STR(round_to("-0.99999999999999999999999999999999999999", 37),
		  "-1.0000000000000000000000000000000000000");
	CHECK_STR(round_to("1.25", 2), "1.25");
	CHECK_STR(round_to("1.25", 5), "1.25");
	CHECK_STR(round_to("17.5", -1), "18");
}

static void test_conversions(void)
{
	int64_t v = 0;
	dec_t d;

	CHECK(to_i64("9223372036854775807", &v) && v == INT64_MAX);
	CHECK(!to_i64("9223372036854775808", &v));
	CHECK(to_i64("-9223372036854775808", &v) && v == INT64_MIN);
	CHECK(!to_i64("-9223372036854775809", &v));
	CHECK(to_i64("-9223372036854775808.000", &v) && v == INT64_MIN);
	CHECK(!to_i64("99999999999999999999999999999999999999", &v));
	CHECK(!to_i64("1.5", &v));
	CHECK(!to_i64("0.00000000000000000000000000000000000001", &v));
	CHECK(to_i64("2.000", &v) && v == 2);
	CHECK(to_i64("-0", &v) && v == 0);
	CHECK(to_i64("1e3", &v) && v == 1000);
	CHECK(to_i64("-42", &v) && v == -42);

	dec_from_i64(&d, INT64_MIN);
	CHECK_STR(show(DEC_OK, &d), "-9223372036854775808");
	dec_from_i64(&d, INT64_MAX);
	CHECK_STR(show(DEC_OK, &d), "9223372036854775807");
	dec_from_i64(&d, 0);
	CHECK(d.coef == 0 && !d.neg && d.scale == 0);
	dec_from_i64(&d, -7);
	CHECK(dec_to_i64(&d, &v) && v == -7);

	CHECK(to_double("0.1") == 0.1);
	CHECK(to_double("68.16") == 68.16);
	CHECK(to_double("-2.5") == -2.5);
	CHECK(to_double("0") == 0.0);
	CHECK(to_double("12345678901234567890123456789") == 1.2345678901234568e28);
	CHECK(to_double("0.00000000000000000000000000000000000001") == 1e-38);
	CHECK(to_double("99999999999999999999999999999999999999") == 1e38);
	CHECK(to_double("9007199254740993") == 9007199254740992.0);
	CHECK(to_double("-9007199254740995") == -9007199254740996.0);
	CHECK(to_double("0.3") == 0.3);
	CHECK(to_double("-0.000") == 0.0 && !signbit(to_double("-0.000")));
}

/* xorshift64: fixed seed, reproducible. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int64_t ipow10(int n)
{
	int64_t p = 1;

	while (n--)
		p *= 10;
	return p;
}

/* A random decimal of up to 18 digits, scale 0..18, and its signed value
 * times 10^scale. */
static dec_t random_dec(__int128 *val)
{
	char text[64];
	int scale = (int)(next() % 19), digits = 1 + (int)(next() % 18);
	long long c = (long long)(next() % (uint64_t)ipow10(digits));
	const char *sign = next() & 1 ? "-" : "";
	dec_t d;

	/* Written with an exponent, so the text's scale is exactly scale. */
	snprintf(text, sizeof(text), "%s%llde-%d", sign, c, scale);
	if (dec_parse(&d, text, strlen(text)) != DEC_OK) {
		printf("# random text %s does not parse\n", text);
		abort();
	}
	*val = *sign ? -(__int128)c : c;
	return d;
}

static int same(const dec_t *d, __int128 v, int scale)
{
	unsigned __int128 mag = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;

	return d->coef == mag && d->scale == scale && d->neg == (v < 0);
}

static void test_random_arithmetic(void)
{
	long bad_add = 0, bad_sub = 0, bad_mul = 0, bad_cmp = 0, bad_text_cmp = 0, bad_dbl = 0,
	     bad_fmt = 0;

	for (int i = 0; i < 200000; i++) {
		__int128 x, y;
		dec_t a = random_dec(&x), b = random_dec(&y), r, back;
		int s = a.scale > b.scale ? a.scale : b.scale;
		__int128 xa = x * ipow10(s - a.scale), ya = y * ipow10(s - b.scale);
		char text[DEC_BUFSZ], text2[DEC_BUFSZ];

		if (dec_add(&r, &a, &b) != DEC_OK || !same(&r, xa + ya, s))
			bad_add++;
		if (dec_sub(&r, &a, &b) != DEC_OK || !same(&r, xa - ya, s))
			bad_sub++;
		if (dec_mul(&r, &a, &b) != DEC_OK || !same(&r, x * y, a.scale + b.scale))
			bad_mul++;
		if (dec_cmp(&a, &b) != (xa < ya ? -1 : xa > ya))
			bad_cmp++;
		dec_format(&a, text);
		dec_format(&b, text2);
		if (dec_text_cmp(text, strlen(text), text2, strlen(text2)) !=
		    (xa < ya ? -1 : xa > ya))
			bad_text_cmp++;
		if (dec_to_double(&a) != strtod(text, NULL))
			bad_dbl++;
		if (dec_parse(&back, text, strlen(text)) != DEC_OK || back.coef != a.coef ||
		    back.scale != a.scale || back.neg != a.neg)
			bad_fmt++;
	}
	CHECK(bad_add == 0);
	CHECK(bad_sub == 0);
	CHECK(bad_mul == 0);
	CHECK(bad_cmp == 0);
	CHECK(bad_text_cmp == 0);
	CHECK(bad_dbl == 0);
	CHECK(bad_fmt == 0);
}

int main(void)
{
	test_parse_format();
	test_grammar();
	test_add_sub();
	test_mul();
	test_cmp();
	test_text_parts();
	test_text_cmp();
	test_normalize_rescale_round();
	test_conversions();
	test_random_arithmetic();
	return unit_done();
}
