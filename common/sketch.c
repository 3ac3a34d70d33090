/*
 * sketch.c - HyperLogLog and t-digest (sketch.h).
 *
 * HyperLogLog.  A sketch starts sparse: the distinct 64-bit hashes in an
 * open-addressing set (load at most 1/2, 0 marks an empty slot and a hash of
 * 0 is stored as 1), so small sets cost little and count exactly.  When the
 * set would pass HLL_SPARSE_MAX it is replayed into the HLL_M registers and
 * freed; from then on the sketch is dense for good.  A register holds the
 * largest rank seen among the hashes whose top HLL_P bits select it, the
 * rank being one more than the number of leading zeros of the other
 * 64 - HLL_P bits (64 - HLL_P + 1 when they are all zero).  Registers merge
 * by maximum, so merging is exact and order-insensitive: the sketch of a
 * union is the merge of the sketches.
 *
 * The estimate is Ertl's "improved raw estimator" (2017), computed from the
 * histogram of register values: unbiased over the whole range without the
 * empirical correction tables of HyperLogLog++, and continuous at the
 * switch from sparse (exact) to dense.
 *
 * t-digest.  Values are buffered; a full buffer (or a query) sorts buffer
 * and centroids together by mean and merges neighbours greedily while the
 * merged centroid stays within one unit of the scale function
 * k(q) = delta / (2 pi) * asin(2q - 1), which keeps centroids small near
 * q = 0 and q = 1.  Invariant after a merge: c[] is sorted by mean, the
 * weights add up to total, and min and max are the exact extremes.
 */
#include "sketch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "mem.h"
#include "banned.h"

/* ---- HyperLogLog ---- */

#define Q (64 - HLL_P) /* bits of a hash that make the rank */

void hll_init(struct hll *h)
{
	memset(h, 0, sizeof(*h));
}

void hll_release(struct hll *h)
{
	free(h->set);
	free(h->reg);
	memset(h, 0, sizeof(*h));
}

static void reg_add(uint8_t *reg, uint64_t x)
{
	uint32_t i = (uint32_t)(x >> Q);
	uint64_t rest = x << HLL_P;
	uint8_t r = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : Q + 1;

	if (r > reg[i])
		reg[i] = r;
}

static void set_put(uint64_t *set, uint32_t cap, uint32_t *n, uint64_t x)
{
	uint32_t i = (uint32_t)(x ^ x >> 29) & (cap - 1);

	while (set[i]) {
		if (set[i] == x)
			return;
		i = (i + 1) & (cap - 1);
	}
	set[i] = x;
	(*n)++;
}

static void to_dense(struct hll *h)
{
	h->reg = xcalloc(HLL_M, 1);
	for (uint32_t i = 0; i < h->capset; i++)
		if (h->set[i])
			reg_add(h->reg, h->set[i]);
	free(h->set);
	h->set = NULL;
	h->nset = h->capset = 0;
}

void hll_add(struct hll *h, uint64_t x)
{
	if (h->reg) {
		reg_add(h->reg, x);
		return;
	}
	if (!x)
		x = 1;
	if ((h->nset + 1) * 2 > h->capset) {
		uint32_t cap = h->capset ? h->capset * 2 : 16, n = 0;
		uint64_t *set;

		if (h->nset + 1 > HLL_SPARSE_MAX) {
			to_dense(h);
			reg_add(h->reg, x);
			return;
		}
		set = xcalloc(cap, sizeof(*set));
		for (uint32_t i = 0; i < h->capset; i++)
			if (h->set[i])
				set_put(set, cap, &n, h->set[i]);
		free(h->set);
		h->set = set;
		h->capset = cap;
	}
	set_put(h->set, h->capset, &h->nset, x);
}

void hll_merge(struct hll *dst, const struct hll *src)
{
	if (src->reg) {
		if (!dst->reg)
			to_dense(dst);
		for (uint32_t i = 0; i < HLL_M; i++)
			if (src->reg[i] > dst->reg[i])
				dst->reg[i] = src->reg[i];
		return;
	}
	for (uint32_t i = 0; i < src->capset; i++)
		if (src->set[i])
			hll_add(dst, src->set[i]);
}

static double sigma(double x)
{
	double y = 1, z = x, zp;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		zp = z;
		z += x * y;
		y += y;
	} while (z != zp);
	return z;
}

static double tau(double x)
{
	double y = 1, z, zp;

	if (x == 0 || x == 1)
		return 0;
	z = 1 - x;
	do {
		x = sqrt(x);
		zp = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != zp);
	return z / 3;
}

uint64_t hll_count(const struct hll *h)
{
	uint32_t c[Q + 2] = {0};
	double m = HLL_M, z;

	if (!h->reg)
		return h->nset;
	for (uint32_t i = 0; i < HLL_M; i++)
		c[h->reg[i]]++;
	z = m * tau(1 - c[Q + 1] / m);
	for (int k = Q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += m * sigma(c[0] / m);
	return (uint64_t)llround(m * m / (2 * log(2)) / z);
}

size_t hll_bytes(const struct hll *h)
{
	return (h->reg ? HLL_M : 0) + (size_t)h->capset * sizeof(uint64_t);
}

void hll_write(const struct hll *h, struct buf *b)
{
	if (!h->reg) {
		int first = 1;

		buf_addc(b, '[');
		for (uint32_t i = 0; i < h->capset; i++) {
			if (!h->set[i])
				continue;
			buf_printf(b, "%s\"%016llx\"", first ? "" : ",",
				   (unsigned long long)h->set[i]);
			first = 0;
		}
		buf_addc(b, ']');
		return;
	}
	buf_addc(b, '"');
	b64_encode(b, h->reg, HLL_M);
	buf_addc(b, '"');
}

int hll_read(struct hll *h, struct span v)
{
	if (v.p && v.n && v.p[0] == '[') {
		struct scan_iter it;
		struct span k, e;

		scan_iter_init(&it, v);
		while (scan_iter_next(&it, &k, &e)) {
			uint64_t x = 0;

			if (e.n != 18 || e.p[0] != '"')
				return -1;
			for (size_t i = 1; i < 17; i++) {
				char c = e.p[i];
				int d = c >= '0' && c <= '9'   ? c - '0'
					: c >= 'a' && c <= 'f' ? c - 'a' + 10
							       : -1;

				if (d < 0)
					return -1;
				x = x << 4 | (unsigned)d;
			}
			if (!x)
				return -1;
			hll_add(h, x);
		}
		return 0;
	}
	if (!v.p || v.n != 2 + (HLL_M + 2) / 3 * 4 || v.p[0] != '"')
		return -1;
	{
		static struct buf raw = BUF_INIT;

		buf_reset(&raw);
		if (b64_decode(&raw, v.p + 1, v.n - 2) != 0 || raw.len != HLL_M)
			return -1;
		for (uint32_t i = 0; i < HLL_M; i++)
			if ((uint8_t)raw.p[i] > Q + 1)
				return -1;
		if (!h->reg)
			to_dense(h);
		for (uint32_t i = 0; i < HLL_M; i++)
			if ((uint8_t)raw.p[i] > h->reg[i])
				h->reg[i] = (uint8_t)raw.p[i];
	}
	return 0;
}

/* ---- t-digest ---- */

#define TD_BUFFER (5 * TD_COMPRESSION)

void td_init(struct tdigest *t)
{
	memset(t, 0, sizeof(*t));
	t->min = INFINITY;
	t->max = -INFINITY;
}

void td_release(struct tdigest *t)
{
	free(t->c);
	free(t->in);
	td_init(t);
}

static int centroid_cmp(const void *pa, const void *pb)
{
	const struct td_centroid *a = pa, *b = pb;

	return a->mean < b->mean ? -1 : a->mean > b->mean;
}

static double k_of_q(double q)
{
	return TD_COMPRESSION / (2 * M_PI) * asin(2 * q - 1);
}

static double q_of_k(double k)
{
	double x = k * (2 * M_PI) / TD_COMPRESSION;

	if (x >= M_PI / 2)
		return 1;
	return (sin(x) + 1) / 2;
}

/* Merge the buffer into the centroids. */
static void td_flush(struct tdigest *t)
{
	struct td_centroid *all, *out;
	size_t n = t->n + t->nin, m = 0;
	double sofar = 0, limit;

	if (!t->nin)
		return;
	all = xmalloc(n * sizeof(*all));
	if (t->n)
		memcpy(all, t->c, t->n * sizeof(*all));
	memcpy(all + t->n, t->in, t->nin * sizeof(*all));
	qsort(all, n, sizeof(*all), centroid_cmp);
	out = all; /* merging in place: out[m] never passes all[i] */
	limit = q_of_k(k_of_q(0) + 1);
	for (size_t i = 1; i < n; i++) {
		double w = out[m].w + all[i].w;

		if ((sofar + w) / t->total <= limit) {
			out[m].mean += (all[i].mean - out[m].mean) * all[i].w / w;
			out[m].w = w;
		} else {
			sofar += out[m].w;
			limit = q_of_k(k_of_q(sofar / t->total) + 1);
			out[++m] = all[i];
		}
	}
	m++;
	free(t->c);
	t->c = xrealloc(all, m * sizeof(*all));
	t->n = t->cap = m;
	t->nin = 0;
}

void td_add(struct tdigest *t, double x, double w)
{
	if (!(w > 0) || isnan(x))
		return;
	if (t->nin == TD_BUFFER)
		td_flush(t);
	if (t->nin == t->capin)
		xgrow(&t->in, &t->capin, t->nin + 1, sizeof(*t->in));
	t->in[t->nin].mean = x;
	t->in[t->nin].w = w;
	t->nin++;
	t->total += w;
	if (x < t->min)
		t->min = x;
	if (x > t->max)
		t->max = x;
}

void td_merge(struct tdigest *dst, const struct tdigest *src)
{
	double mn = src->min, mx = src->max;

	for (size_t i = 0; i < src->n; i++)
		td_add(dst, src->c[i].mean, src->c[i].w);
	for (size_t i = 0; i < src->nin; i++)
		td_add(dst, src->in[i].mean, src->in[i].w);
	if (mn < dst->min)
		dst->min = mn;
	if (mx > dst->max)
		dst->max = mx;
}

double td_quantile(struct tdigest *t, double q)
{
	const struct td_centroid *c;
	double index, sofar;
	size_t n;

	td_flush(t);
	n = t->n;
	c = t->c;
	if (!n)
		return NAN;
	if (q <= 0)
		return t->min;
	if (q >= 1)
		return t->max;
	if (n == 1)
		return t->min + q * (t->max - t->min);
	index = q * t->total;
	if (index < 1)
		return t->min;
	if (c[0].w > 2 && index < c[0].w / 2)
		return t->min + (index - 1) / (c[0].w / 2 - 1) * (c[0].mean - t->min);
	if (index > t->total - 1)
		return t->max;
	if (c[n - 1].w > 2 && t->total - index <= c[n - 1].w / 2)
		return t->max -
		       (t->total - index - 1) / (c[n - 1].w / 2 - 1) * (t->max - c[n - 1].mean);
	sofar = c[0].w / 2;
	for (size_t i = 0; i + 1 < n; i++) {
		double dw = (c[i].w + c[i + 1].w) / 2;

		if (sofar + dw > index) {
			double z1 = index - sofar, z2 = sofar + dw - index;

			return (c[i].mean * z2 + c[i + 1].mean * z1) / dw;
		}
		sofar += dw;
	}
	return c[n - 1].mean;
}

size_t td_bytes(const struct tdigest *t)
{
	return (t->cap + t->capin) * sizeof(struct td_centroid);
}

static void put_double(struct buf *b, double v)
{
	/* %.17g reads back exactly; the shortest form is not needed here */
	buf_printf(b, "%.17g", v);
}

void td_write(struct tdigest *t, struct buf *b)
{
	td_flush(t);
	buf_adds(b, "{\"min\":");
	if (t->n)
		put_double(b, t->min);
	else
		buf_adds(b, "null");
	buf_adds(b, ",\"max\":");
	if (t->n)
		put_double(b, t->max);
	else
		buf_adds(b, "null");
	buf_adds(b, ",\"c\":[");
	for (size_t i = 0; i < t->n; i++) {
		if (i)
			buf_addc(b, ',');
		buf_addc(b, '[');
		put_double(b, t->c[i].mean);
		buf_addc(b, ',');
		put_double(b, t->c[i].w);
		buf_addc(b, ']');
	}
	buf_adds(b, "]}");
}

/* A validated JSON number as a double; 0 on success. */
static int span_double(struct span v, double *x)
{
	char tmp[64];
	char *end;

	if (!v.p || !v.n || v.n >= sizeof(tmp) || scan_kind(v) != SCAN_NUMBER)
		return -1;
	memcpy(tmp, v.p, v.n);
	tmp[v.n] = '\0';
	*x = strtod(tmp, &end);
	return *end ? -1 : 0;
}

int td_read(struct tdigest *t, struct span v)
{
	struct scan_iter it, ci;
	struct span k, e, ek, ev;
	double mn = INFINITY, mx = -INFINITY;
	int have_c = 0;

	if (scan_kind(v) != SCAN_OBJECT)
		return -1;
	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &k, &e)) {
		if (scan_key_eq(k, "min", 3) && scan_kind(e) == SCAN_NUMBER) {
			if (span_double(e, &mn))
				return -1;
		} else if (scan_key_eq(k, "max", 3) && scan_kind(e) == SCAN_NUMBER) {
			if (span_double(e, &mx))
				return -1;
		} else if (scan_key_eq(k, "c", 1) && scan_kind(e) == SCAN_ARRAY) {
			have_c = 1;
			scan_iter_init(&ci, e);
			while (scan_iter_next(&ci, &ek, &ev)) {
				struct scan_iter pi;
				struct span pk, pm, pw;
				double m, w;

				if (scan_kind(ev) != SCAN_ARRAY)
					return -1;
				scan_iter_init(&pi, ev);
				if (!scan_iter_next(&pi, &pk, &pm) ||
				    !scan_iter_next(&pi, &pk, &pw) || span_double(pm, &m) ||
				    span_double(pw, &w) || !(w > 0))
					return -1;
				td_add(t, m, w);
			}
		}
	}
	if (!have_c)
		return -1;
	if (mn < t->min)
		t->min = mn;
	if (mx > t->max)
		t->max = mx;
	return 0;
}
