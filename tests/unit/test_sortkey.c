/*
 * test_sortkey.c - sort keys compare with memcmp() as hash_value_cmp()
 * orders their values, one field or several, ascending or descending, with
 * null first or last: checked on every pair of a set of values chosen at
 * the edges (zeros, signs, exponents of any size, long digit strings,
 * escapes, \u0000) and of random numbers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "sortkey.h"
#include "unit.h"

static const char *fixed[] = {
	"null",
	"false",
	"true",
	"0",
	"-0",
	"0.000",
	"0e7",
	"1",
	"1.0",
	"1e0",
	"10e-1",
	"100",
	"1e2",
	"99.99",
	"-1",
	"-1.00",
	"-100",
	"-1e2",
	"0.5",
	"-0.5",
	"5e-1",
	"123456789012345678901234567890123456789012",
	"123456789012345678901234567890123456789013",
	"-123456789012345678901234567890123456789012",
	"1e-400",
	"-1e-400",
	"1e400",
	"1e127",
	"1e128",
	"1e-128",
	"1e-129",
	"1e126",
	"9e127",
	"1e999999999999999999",
	"1e1000000000000000000",
	"1e1000000000000000001",
	"1e99999999999999999999999",
	"1e100000000000000000000000",
	"-1e99999999999999999999999",
	"1e-99999999999999999999999",
	"1e-100000000000000000000000",
	"0.1e1000000000000000000",
	"10e999999999999999999",
	"123e-999999999999999998",
	"1.5",
	"1.05",
	"1.50",
	"15e-1",
	"\"\"",
	"\"a\"",
	"\"\\u0061\"",
	"\"a\\u0000\"",
	"\"a\\u0000b\"",
	"\"ab\"",
	"\"b\"",
	"\"\\u00e9\"",
	"\"\xc3\xa9\"",
	"\"2026-11-24\"",
	"\"2026-11-24T18:30:00Z\"",
	"[]",
	"[1]",
	"[1,2]",
	"{}",
	"{\"a\":1}",
	"\"a\\\"\"",
	"\"\\n\"",
};

static int sign(int c)
{
	return (c > 0) - (c < 0);
}

/* The reference order of one field with flags. */
static int ref(struct hash_canon *h, struct span a, struct span b, unsigned flags)
{
	int na = scan_kind(a) <= SCAN_NULL, nb = scan_kind(b) <= SCAN_NULL, c;

	if (na || nb) {
		if (na && nb)
			return 0;
		c = na ? 1 : -1; /* null after everything */
		return flags & SORTKEY_NULLS_FIRST ? -c : c;
	}
	c = sign(hash_value_cmp(h, a, b));
	return flags & SORTKEY_DESC ? -c : c;
}

static struct span sp(const char *s)
{
	struct span v = {s, strlen(s)};

	return v;
}

int main(void)
{
	enum { NF = sizeof(fixed) / sizeof(fixed[0]), NR = 400 };
	const char *vals[NF + NR + 1];
	char rnd[NR][64];
	size_t n = 0;
	struct hash_canon h;
	struct buf a = BUF_INIT, b = BUF_INIT;
	int ok = 1, ok2 = 1;

	hash_canon_init(&h, 0);
	for (size_t i = 0; i < NF; i++)
		vals[n++] = fixed[i];
	srand(7);
	for (int i = 0; i < NR; i++) {
		/* digits, a point, an exponent, a sign, at random */
		int len = 1 + rand() % 25, at = 0;

		if (rand() % 2)
			rnd[i][at++] = '-';
		rnd[i][at++] = (char)('1' + rand() % 9);
		for (int j = 1; j < len; j++)
			rnd[i][at++] = (char)('0' + rand() % 10);
		if (rand() % 2) {
			rnd[i][at++] = '.';
			rnd[i][at++] = (char)('0' + rand() % 10);
			for (int j = rand() % 5; j > 0; j--)
				rnd[i][at++] = (char)('0' + rand() % 10);
		}
		if (rand() % 3 == 0)
			at += snprintf(rnd[i] + at, sizeof(rnd[i]) - (size_t)at, "e%d",
				       rand() % 400 - 200);
		rnd[i][at] = '\0';
		vals[n++] = rnd[i];
	}
	vals[n] = NULL; /* a missing value */
	for (unsigned flags = 0; flags < 4; flags++)
		for (size_t i = 0; i <= n; i++)
			for (size_t j = 0; j <= n; j++) {
				struct span x = i < n ? sp(vals[i]) : (struct span){NULL, 0};
				struct span y = j < n ? sp(vals[j]) : (struct span){NULL, 0};
				int want = ref(&h, x, y, flags);

				buf_reset(&a);
				buf_reset(&b);
				sortkey_add(&a, x, flags);
				sortkey_add(&b, y, flags);
				if (sortkey_cmp(a.p, a.len, b.p, b.len) != want) {
					if (ok)
						printf("# %s vs %s, flags %u: want %d\n",
						       i < n ? vals[i] : "(missing)",
						       j < n ? vals[j] : "(missing)", flags, want);
					ok = 0;
				}
				/* two fields: the second decides only on a tie */
				sortkey_add(&a, y, flags ^ 1);
				sortkey_add(&b, x, flags ^ 1);
				if (sortkey_cmp(a.p, a.len, b.p, b.len) !=
				    (want ? want : ref(&h, y, x, flags ^ 1)))
					ok2 = 0;
			}
	CHECK(ok);
	CHECK(ok2);
	/* white space around a value is not part of it */
	buf_reset(&a);
	buf_reset(&b);
	sortkey_add(&a, sp(" 1.50 "), 0);
	sortkey_add(&b, sp("15e-1"), 0);
	CHECK(sortkey_cmp(a.p, a.len, b.p, b.len) == 0);
	buf_release(&a);
	buf_release(&b);
	hash_canon_release(&h);
	return unit_done();
}
