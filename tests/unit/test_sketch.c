/*
 * test_sketch.c - unit tests of common/sketch.c.
 *
 * What is proved: HyperLogLog counts exactly while sparse, estimates within
 * its documented error once dense (0.81% standard error: every estimate
 * here within 3 sigma, and most within 1), merges exactly (the merge of two
 * sketches is the sketch of the union, whatever the order), and survives
 * hll_write()/hll_read() unchanged in both forms; the t-digest keeps the
 * exact minimum and maximum, estimates quantiles of uniform and skewed data
 * within the rank error documented in etl-agg(1), merges, and survives
 * td_write()/td_read(); malformed serialisations are refused.
 */
#include "sketch.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "unit.h"

#include "banned.h"

static uint64_t h64(uint64_t i)
{
	return hash_bytes(&i, sizeof(i)).lo;
}

static struct span sp(const struct buf *b)
{
	struct span s = {b->p, b->len};

	return s;
}

static void test_hll(void)
{
	struct hll a, b, c, d;
	struct buf t = BUF_INIT;
	static const uint64_t sizes[] = {20000, 100000, 1000000};
	int within1 = 0, within3 = 0, n = 0;

	hll_init(&a);
	CHECK(hll_count(&a) == 0);
	for (uint64_t i = 0; i < 1000; i++) {
		hll_add(&a, h64(i));
		hll_add(&a, h64(i)); /* twice: counted once */
	}
	CHECK(hll_count(&a) == 1000);
	CHECK(a.reg == NULL);
	hll_add(&a, 0); /* the empty-slot marker is a value like any other */
	CHECK(hll_count(&a) == 1001);

	/* the sparse form round-trips */
	hll_write(&a, &t);
	CHECK(t.p[0] == '[');
	hll_init(&b);
	CHECK(hll_read(&b, sp(&t)) == 0);
	CHECK(hll_count(&b) == 1001);
	hll_release(&b);

	/* dense: within the documented error (0.81% standard error) */
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (uint64_t seed = 0; seed < 4; seed++) {
			double err;

			hll_init(&b);
			for (uint64_t i = 0; i < sizes[k]; i++)
				hll_add(&b, h64(i + seed * 10000000));
			err = fabs((double)hll_count(&b) - (double)sizes[k]) / (double)sizes[k];
			within1 += err <= 0.0081;
			within3 += err <= 3 * 0.0081;
			n++;
			hll_release(&b);
		}
	}
	CHECK(within3 == n);
	CHECK(within1 >= n / 2);

	/* merging is exact: merge(A, B) == sketch(A u B), in either order */
	hll_init(&b);
	hll_init(&c);
	hll_init(&d);
	for (uint64_t i = 0; i < 60000; i++) {
		if (i < 40000)
			hll_add(&b, h64(i));
		if (i >= 20000)
			hll_add(&c, h64(i));
		hll_add(&d, h64(i));
	}
	hll_merge(&b, &c);
	CHECK(memcmp(b.reg, d.reg, HLL_M) == 0);
	hll_release(&c);
	hll_init(&c);
	for (uint64_t i = 20000; i < 60000; i++)
		hll_add(&c, h64(i));
	for (uint64_t i = 0; i < 1000; i++)
		hll_add(&a, h64(i)); /* a: sparse, 0..999 and 0 */
	hll_merge(&c, &a);           /* dense <- sparse */
	hll_merge(&a, &c);           /* sparse <- dense */
	CHECK(a.reg && memcmp(a.reg, c.reg, HLL_M) == 0);

	/* the dense form round-trips */
	buf_reset(&t);
	hll_write(&d, &t);
	CHECK(t.p[0] == '"');
	hll_release(&b);
	hll_init(&b);
	CHECK(hll_read(&b, sp(&t)) == 0);
	CHECK(b.reg && memcmp(b.reg, d.reg, HLL_M) == 0);
	CHECK(hll_count(&b) == hll_count(&d));

	/* refused: not hex, wrong length, a register out of range */
	{
		static const char *bad[] = {"[\"xyz\"]", "[12]", "\"AAAA\"", "{}"};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct span s = {bad[i], strlen(bad[i])};
			struct hll e;

			hll_init(&e);
			CHECK(hll_read(&e, s) == -1);
			hll_release(&e);
		}
		t.p[1] = '/'; /* 63: beyond the largest rank */
		t.p[2] = '/';
		hll_release(&c);
		hll_init(&c);
		CHECK(hll_read(&c, sp(&t)) == -1);
	}
	hll_release(&a);
	hll_release(&b);
	hll_release(&c);
	hll_release(&d);
	buf_release(&t);
}

static int dcmp(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return a < b ? -1 : a > b;
}

/* The largest rank error of the digest over q = 0.001 .. 0.999, against
 * the sorted values x[0..n). */
static double rank_error(struct tdigest *t, const double *x, size_t n)
{
	static const double qs[] = {0.001, 0.01, 0.05, 0.1,  0.25, 0.5,
				    0.75,  0.9,  0.95, 0.99, 0.999};
	double worst = 0;

	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double v = td_quantile(t, qs[i]);
		size_t lo = 0, hi = n;

		/* the rank of v: where it falls among the values */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (x[mid] < v)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (fabs((double)lo / (double)n - qs[i]) > worst)
			worst = fabs((double)lo / (double)n - qs[i]);
	}
	return worst;
}

static void test_tdigest(void)
{
	const size_t n = 200000;
	double *x = malloc(n * sizeof(*x)), *y = malloc(n * sizeof(*y));
	struct tdigest a, b, c;
	struct buf t = BUF_INIT;
	uint64_t s = 42;

	td_init(&a);
	CHECK(isnan(td_quantile(&a, 0.5)));
	td_add(&a, 7, 1);
	CHECK(td_quantile(&a, 0.5) == 7);
	td_release(&a);

	td_init(&a);
	td_init(&b);
	td_init(&c);
	for (size_t i = 0; i < n; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		x[i] = (double)(s >> 11) / 9007199254740992.0; /* uniform [0, 1) */
		y[i] = exp(8 * x[i]);                          /* skewed */
		td_add(&a, x[i], 1);
		td_add(i % 2 ? &b : &c, y[i], 1);
	}
	qsort(x, n, sizeof(*x), dcmp);
	qsort(y, n, sizeof(*y), dcmp);
	CHECK(td_quantile(&a, 0) == x[0]);
	CHECK(td_quantile(&a, 1) == x[n - 1]);
	CHECK(rank_error(&a, x, n) < 0.005);
	td_merge(&b, &c);
	CHECK(rank_error(&b, y, n) < 0.005);
	CHECK(td_quantile(&b, 1) == y[n - 1]);
	CHECK(a.n <= TD_COMPRESSION * 2);

	/* round trip, then merge with itself: the same quantiles */
	td_write(&a, &t);
	td_release(&c);
	td_init(&c);
	CHECK(td_read(&c, sp(&t)) == 0);
	CHECK(c.total == a.total);
	CHECK(fabs(td_quantile(&c, 0.5) - td_quantile(&a, 0.5)) < 1e-9);
	CHECK(td_read(&c, sp(&t)) == 0);
	CHECK(c.total == 2 * a.total);
	CHECK(rank_error(&c, x, n) < 0.005);
	{
		static const char *bad[] = {"[]", "{\"min\":1}", "{\"c\":[[1]]}",
					    "{\"c\":[[1,0]]}"};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct span sb = {bad[i], strlen(bad[i])};
			struct tdigest e;

			td_init(&e);
			CHECK(td_read(&e, sb) == -1);
			td_release(&e);
		}
	}
	td_release(&a);
	td_release(&b);
	td_release(&c);
	buf_release(&t);
	free(x);
	free(y);
}

int main(void)
{
	test_hll();
	test_tdigest();
	return unit_done();
}
