/*
 * func.c - the aggregate functions and the state blocks that hold them
 * (agg.h).
 *
 * Each function is a row of the table at the end: the size of its state and
 * what to do to add a value, merge two states, finish a result, and save or
 * load a state as JSON for --partial and --merge.  A state block is every
 * aggregate's state side by side (offsets in the plan); zeroed memory is an
 * empty state for every function, so a new group costs one calloc.  The
 * plan that lays them out is defined here, filled in by main.c.
 *
 * Invariants:
 *  - Nulls never reach add(): they are skipped as in SQL, and a state that
 *    saw no value finishes as null (count() and count(EXPR) as 0).
 *  - add() cannot fail: fn_check() has refused what a function cannot
 *    take before any state of the record was touched, so a record counts
 *    in all of its aggregates or in none.
 *  - merge(dst, src) with src from later input is the same as having added
 *    src's values after dst's: first, last, mode's ties and collect's order
 *    follow input order, and exact states merge exactly.  So the partial
 *    states of N consecutive shards, merged in order, finish as one pass
 *    over the whole input would (sketches within their error).
 */
#include "agg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "jsonw.h"
#include "mem.h"
#include "sketch.h"
#include "timefmt.h"
#include "banned.h"

/* Groups of up to this many values have exact percentiles; larger ones
 * switch to a t-digest. */
#define PCT_EXACT_MAX 10000

struct plan plan;
struct arena scratch = ARENA_INIT;

static struct buf tmp;          /* a value's JSON text */
static struct hash_canon canon; /* its canonical key */
static int canon_ready;

/* The 128-bit hash of a value's canonical text (1.0 and 1 alike). */
static struct hash128 value_hash(const struct val *v)
{
	struct span s;

	if (!canon_ready) {
		hash_canon_init(&canon, 0);
		canon_ready = 1;
	}
	buf_reset(&tmp);
	val_to_json(&tmp, v);
	s.p = tmp.p;
	s.n = tmp.len;
	hash_canon_reset(&canon);
	hash_canon_add(&canon, s);
	return hash_canon_sum(&canon);
}

static struct hash128 raw_hash(struct span s)
{
	if (!canon_ready) {
		hash_canon_init(&canon, 0);
		canon_ready = 1;
	}
	hash_canon_reset(&canon);
	hash_canon_add(&canon, s);
	return hash_canon_sum(&canon);
}

static void add_raw_value(struct buf *b, struct span v)
{
	buf_add(b, v.p, v.n);
}

static void put_u64(struct buf *b, uint64_t v)
{
	char t[24];
	size_t i = sizeof(t);

	do
		t[--i] = (char)('0' + v % 10);
	while (v /= 10);
	buf_add(b, t + i, sizeof(t) - i);
}

/* ---- count(), count(EXPR) ---- */

static void count_add(const struct agg *a, void *st, const struct val *v)
{
	(void)a;
	(void)v;
	(*(uint64_t *)st)++;
}

static void count_merge(const struct agg *a, void *dst, void *src)
{
	(void)a;
	*(uint64_t *)dst += *(uint64_t *)src;
}

static void count_finish(const struct agg *a, void *st, struct buf *b)
{
	(void)a;
	put_u64(b, *(uint64_t *)st);
}

static int count_load(const struct agg *a, void *st, struct span v)
{
	uint64_t n = 0;

	(void)a;
	if (!v.p || !v.n || v.n > 19)
		return -1;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	*(uint64_t *)st += n;
	return 0;
}

/* ---- sum, avg ---- */

struct st_sum {
	struct xsum s;
	uint64_t n;
};

static void sum_add(const struct agg *a, void *st, const struct val *v)
{
	struct st_sum *s = st;

	(void)a;
	xsum_add(&s->s, v);
	s->n++;
}

static void sum_merge(const struct agg *a, void *dst, void *src)
{
	struct st_sum *d = dst, *s = src;

	(void)a;
	if (s->n) {
		xsum_merge(&d->s, &s->s);
		d->n += s->n;
	}
	xsum_release(&s->s);
}

static void sum_finish(const struct agg *a, void *st, struct buf *b)
{
	struct st_sum *s = st;

	(void)a;
	if (s->n)
		xsum_write(&s->s, b);
	else
		buf_adds(b, "null");
}

static void avg_finish(const struct agg *a, void *st, struct buf *b)
{
	struct st_sum *s = st;

	(void)a;
	if (s->n)
		xsum_write_div(&s->s, s->n, 1, b);
	else
		buf_adds(b, "null");
}

static void sum_save(const struct agg *a, void *st, struct buf *b)
{
	struct st_sum *s = st;

	(void)a;
	buf_addc(b, '[');
	put_u64(b, s->n);
	buf_addc(b, ',');
	xsum_write(&s->s, b);
	buf_addc(b, ']');
}

/* The elements of a saved array: n spans, exactly.  0, or -1. */
static int elements(struct span v, struct span *out, size_t n)
{
	struct scan_iter it;
	struct span k, e;
	size_t i = 0;

	if (scan_kind(v) != SCAN_ARRAY)
		return -1;
	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &k, &e)) {
		if (i == n)
			return -1;
		out[i++] = e;
	}
	return i == n ? 0 : -1;
}

static int sum_load(const struct agg *a, void *st, struct span v)
{
	struct st_sum *s = st;
	struct span e[2];
	uint64_t n = 0;

	if (elements(v, e, 2) || count_load(a, &n, e[0]) || xsum_read(&s->s, e[1]))
		return -1;
	s->n += n;
	return 0;
}

static void sum_release(void *st)
{
	xsum_release(&((struct st_sum *)st)->s);
}

static size_t sum_bytes(const void *st)
{
	return xsum_bytes(&((const struct st_sum *)st)->s);
}

/* ---- var, stddev (sample) ---- */

struct st_var {
	struct xsum s, q;
	uint64_t n;
};

static void var_add(const struct agg *a, void *st, const struct val *v)
{
	struct st_var *s = st;

	(void)a;
	xsum_add(&s->s, v);
	xsum_add_square(&s->q, v);
	s->n++;
}

static void var_merge(const struct agg *a, void *dst, void *src)
{
	struct st_var *d = dst, *s = src;

	(void)a;
	if (s->n) {
		xsum_merge(&d->s, &s->s);
		xsum_merge(&d->q, &s->q);
		d->n += s->n;
	}
	xsum_release(&s->s);
	xsum_release(&s->q);
}

static void var_finish(const struct agg *a, void *st, struct buf *b)
{
	struct st_var *s = st;

	if (s->n < 2)
		buf_adds(b, "null");
	else
		xsum_write_var(s->n, &s->s, &s->q, strcmp(a->fi->name, "stddev") == 0, b);
}

static void var_save(const struct agg *a, void *st, struct buf *b)
{
	struct st_var *s = st;

	(void)a;
	buf_addc(b, '[');
	put_u64(b, s->n);
	buf_addc(b, ',');
	xsum_write(&s->s, b);
	buf_addc(b, ',');
	xsum_write(&s->q, b);
	buf_addc(b, ']');
}

static int var_load(const struct agg *a, void *st, struct span v)
{
	struct st_var *s = st;
	struct span e[3];
	uint64_t n = 0;

	if (elements(v, e, 3) || count_load(a, &n, e[0]) || xsum_read(&s->s, e[1]) ||
	    xsum_read(&s->q, e[2]))
		return -1;
	s->n += n;
	return 0;
}

static void var_release(void *st)
{
	struct st_var *s = st;

	xsum_release(&s->s);
	xsum_release(&s->q);
}

static size_t var_bytes(const void *st)
{
	const struct st_var *s = st;

	return xsum_bytes(&s->s) + xsum_bytes(&s->q);
}

/* ---- min, max ---- */

/* The best value so far, its bytes owned (v.s points into text). */
struct st_mm {
	struct val v;
	struct buf text;
	int64_t t_us; /* the instant, when is_time */
	uint8_t has, is_time;
};

/* A time, or a string holding an ISO-8601 date or time: its instant. */
static int instant(const struct val *v, int64_t *us)
{
	int32_t off;
	const char *p = v->s.p;

	if (v->k == VAL_TIME) {
		*us = v->t_us;
		return 1;
	}
	if (v->k != VAL_STR || v->s.n < 10 || p[4] != '-' || p[7] != '-' || p[0] < '0' ||
	    p[0] > '9')
		return 0;
	return timefmt_parse_iso(p, v->s.n, us, &off) == 0;
}

/* val_cmp, except that times and ISO-8601 strings compare by instant, so
 * that 18:30+01:00 comes before 18:00Z. */
static int mm_cmp(const struct val *v, int v_is_time, int64_t v_us, const struct st_mm *m)
{
	if (v_is_time && m->is_time && v_us != m->t_us)
		return v_us < m->t_us ? -1 : 1;
	return val_cmp(v, &m->v);
}

static void mm_set(struct st_mm *m, const struct val *v, int is_time, int64_t us)
{
	m->v = *v;
	if (v->s.p) {
		buf_reset(&m->text);
		buf_add(&m->text, v->s.p, v->s.n);
		m->v.s.p = m->text.p;
	}
	m->is_time = (uint8_t)is_time;
	m->t_us = us;
	m->has = 1;
}

static void mm_offer(const struct agg *a, struct st_mm *m, const struct val *v)
{
	int64_t us = 0;
	int t = instant(v, &us), c;

	if (!m->has) {
		mm_set(m, v, t, us);
		return;
	}
	c = mm_cmp(v, t, us, m);
	if (a->fi->name[1] == 'i' ? c < 0 : c > 0)
		mm_set(m, v, t, us);
}

static void mm_add(const struct agg *a, void *st, const struct val *v)
{
	mm_offer(a, st, v);
}

static void mm_merge(const struct agg *a, void *dst, void *src)
{
	struct st_mm *s = src;

	if (s->has)
		mm_offer(a, dst, &s->v);
	buf_release(&s->text);
}

static void mm_finish(const struct agg *a, void *st, struct buf *b)
{
	struct st_mm *m = st;

	(void)a;
	if (m->has)
		val_to_json(b, &m->v);
	else
		buf_adds(b, "null");
}

/* A saved JSON value as a val whose bytes live in the scratch arena. */
static int load_value(struct span v, struct val *out)
{
	if (!v.p || scan_kind(v) == SCAN_NONE)
		return -1;
	val_from_json(out, v, &scratch);
	return 0;
}

static int mm_load(const struct agg *a, void *st, struct span v)
{
	struct val x;

	if (load_value(v, &x))
		return -1;
	if (x.k != VAL_NULL)
		mm_offer(a, st, &x);
	return 0;
}

static void mm_release(void *st)
{
	buf_release(&((struct st_mm *)st)->text);
}

static size_t mm_bytes(const void *st)
{
	return ((const struct st_mm *)st)->text.cap;
}

/* ---- first, last: the value's JSON text ---- */

static void first_add(const struct agg *a, void *st, const struct val *v)
{
	struct buf *b = st;

	(void)a;
	if (!b->len)
		val_to_json(b, v);
}

static void last_add(const struct agg *a, void *st, const struct val *v)
{
	struct buf *b = st;

	(void)a;
	buf_reset(b);
	val_to_json(b, v);
}

static void text_merge(const struct agg *a, void *dst, void *src)
{
	struct buf *d = dst, *s = src;

	if (s->len && (!d->len || a->fi->name[0] == 'l')) {
		buf_release(d);
		*d = *s;
		buf_init(s);
	}
	buf_release(s);
}

static void text_finish(const struct agg *a, void *st, struct buf *b)
{
	struct buf *s = st;

	(void)a;
	if (s->len)
		buf_add(b, s->p, s->len);
	else
		buf_adds(b, "null");
}

static int text_load(const struct agg *a, void *st, struct span v)
{
	struct buf *s = st;

	if (!v.p || scan_kind(v) == SCAN_NONE)
		return -1;
	if (scan_kind(v) == SCAN_NULL || (s->len && a->fi->name[0] == 'f'))
		return 0;
	buf_reset(s);
	add_raw_value(s, v);
	return 0;
}

static void text_release(void *st)
{
	buf_release(st);
}

static size_t text_bytes(const void *st)
{
	return ((const struct buf *)st)->cap;
}

/* ---- count_distinct: the set of the values' 128-bit hashes ----
 *
 * Merging sets must stay linear.  Another table's entries, or a saved state
 * (written in its table's slot order), come in the order of their home
 * slots; a table that grows while taking them in that order piles each pass
 * onto the homes of the last, and probing turns quadratic (2 x 2.5M keys
 * took minutes).  So a merge first counts what is new, reserves room for it,
 * then inserts: a table that does not grow costs the same in any order. */

static void distinct_init(struct hash_table *t)
{
	if (!t->stride)
		hash_table_init(t, 0);
}

static void distinct_put(struct hash_table *t, struct hash128 h)
{
	int added;

	distinct_init(t);
	hash_table_put(t, h, &added);
}

static void distinct_add(const struct agg *a, void *st, const struct val *v)
{
	(void)a;
	distinct_put(st, value_hash(v));
}

static inline struct hash128 slot_hash(const struct hash_table *t, size_t i)
{
	const uint64_t *slot = (const uint64_t *)(t->slots + i * t->stride);

	return (struct hash128){slot[0], slot[1]};
}

static void distinct_merge(const struct agg *a, void *dst, void *src)
{
	struct hash_table *d = dst, *s = src, t;
	size_t fresh = 0;

	(void)a;
	/* the smaller set goes into the larger */
	if (s->count > d->count) {
		t = *d;
		*d = *s;
		*s = t;
	}
	if (!s->count) {
		hash_table_release(s);
		return;
	}
	distinct_init(d);
	for (size_t i = 0; i < s->cap; i++) {
		struct hash128 h = slot_hash(s, i);

		fresh += (h.lo || h.hi) && !hash_table_get(d, h);
	}
	hash_table_reserve(d, d->count + fresh);
	for (size_t i = 0; i < s->cap; i++) {
		struct hash128 h = slot_hash(s, i);

		if (h.lo || h.hi)
			distinct_put(d, h);
	}
	hash_table_release(s);
}

static void distinct_finish(const struct agg *a, void *st, struct buf *b)
{
	(void)a;
	put_u64(b, ((struct hash_table *)st)->count);
}

static void distinct_save(const struct agg *a, void *st, struct buf *b)
{
	struct hash_table *s = st;
	int first = 1;

	(void)a;
	buf_addc(b, '[');
	for (size_t i = 0; i < s->cap; i++) {
		const uint64_t *slot = (const uint64_t *)(s->slots + i * s->stride);

		if (!slot[0] && !slot[1])
			continue;
		if (!first)
			buf_addc(b, ',');
		buf_addc(b, '"');
		buf_grow(b, 32);
		hex_put64(b->p + b->len, slot[1]);
		hex_put64(b->p + b->len + 16, slot[0]);
		b->len += 32;
		b->p[b->len] = '\0';
		buf_addc(b, '"');
		first = 0;
	}
	buf_addc(b, ']');
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The next hash of a saved state (a validated array), "<hi><lo>" in 32 hex
 * digits, from *pp on: 1, 0 at the end, or -1 for anything else. */
static int distinct_next(const char **pp, const char *end, struct hash128 *h)
{
	const char *p = *pp;

	while (p < end && (is_ws(*p) || *p == ','))
		p++;
	if (p == end || *p == ']')
		return 0;
	if (end - p < 34 || p[0] != '"' || p[33] != '"' || hex_read64(p + 1, &h->hi) ||
	    hex_read64(p + 17, &h->lo))
		return -1;
	*pp = p + 34;
	return 1;
}

static int distinct_load(const struct agg *a, void *st, struct span v)
{
	struct hash_table *t = st;
	const char *p, *end;
	struct hash128 h;
	size_t fresh = 0;
	int r;

	(void)a;
	if (scan_kind(v) != SCAN_ARRAY)
		return -1;
	v = scan_trim(v);
	end = v.p + v.n;
	distinct_init(t);
	/* check and count first, then insert into a table that will not grow */
	for (p = v.p + 1; (r = distinct_next(&p, end, &h)) > 0;)
		fresh += !t->count || !hash_table_get(t, h);
	if (r < 0)
		return -1;
	hash_table_reserve(t, t->count + fresh);
	for (p = v.p + 1; distinct_next(&p, end, &h) > 0;)
		distinct_put(t, h);
	return 0;
}

static void distinct_release(void *st)
{
	hash_table_release(st);
}

static size_t distinct_bytes(const void *st)
{
	return hash_table_bytes(st);
}

/* ---- approx_distinct ---- */

static void hll_add_v(const struct agg *a, void *st, const struct val *v)
{
	(void)a;
	hll_add(st, value_hash(v).lo);
}

static void hll_merge_v(const struct agg *a, void *dst, void *src)
{
	(void)a;
	hll_merge(dst, src);
	hll_release(src);
}

static void hll_finish(const struct agg *a, void *st, struct buf *b)
{
	(void)a;
	put_u64(b, hll_count(st));
}

static void hll_save(const struct agg *a, void *st, struct buf *b)
{
	(void)a;
	hll_write(st, b);
}

static int hll_load(const struct agg *a, void *st, struct span v)
{
	(void)a;
	return hll_read(st, v);
}

static void hll_release_v(void *st)
{
	hll_release(st);
}

static size_t hll_bytes_v(const void *st)
{
	return hll_bytes(st);
}

/* ---- median, percentile ---- */

/* Exact while small: the values as decimals (or doubles once one value is
 * not a decimal); then a t-digest. */
struct st_pct {
	dec_t *d;
	double *f;
	size_t n, cap;
	uint8_t dbl;
	struct tdigest *td;
};

static void pct_to_double(struct st_pct *s)
{
	if (s->dbl)
		return;
	s->f = xmalloc((s->cap ? s->cap : 1) * sizeof(*s->f));
	for (size_t i = 0; i < s->n; i++)
		s->f[i] = dec_to_double(&s->d[i]);
	free(s->d);
	s->d = NULL;
	s->dbl = 1;
}

static void pct_to_digest(struct st_pct *s)
{
	s->td = xmalloc(sizeof(*s->td));
	td_init(s->td);
	for (size_t i = 0; i < s->n; i++)
		td_add(s->td, s->dbl ? s->f[i] : dec_to_double(&s->d[i]), 1);
	free(s->d);
	free(s->f);
	s->d = NULL;
	s->f = NULL;
	s->n = s->cap = 0;
}

static void pct_put_dec(struct st_pct *s, const dec_t *d)
{
	if (s->td) {
		td_add(s->td, dec_to_double(d), 1);
		return;
	}
	if (s->dbl) {
		if (s->n == s->cap)
			xgrow(&s->f, &s->cap, s->n + 1, sizeof(*s->f));
		s->f[s->n++] = dec_to_double(d);
	} else {
		if (s->n == s->cap)
			xgrow(&s->d, &s->cap, s->n + 1, sizeof(*s->d));
		s->d[s->n++] = *d;
	}
	if (s->n > PCT_EXACT_MAX)
		pct_to_digest(s);
}

static void pct_put_double(struct st_pct *s, double x)
{
	if (s->td) {
		td_add(s->td, x, 1);
		return;
	}
	if (!s->dbl)
		pct_to_double(s);
	if (s->n == s->cap)
		xgrow(&s->f, &s->cap, s->n + 1, sizeof(*s->f));
	s->f[s->n++] = x;
	if (s->n > PCT_EXACT_MAX)
		pct_to_digest(s);
}

static void pct_add(const struct agg *a, void *st, const struct val *v)
{
	(void)a;
	if (v->nk == NUM_DEC)
		pct_put_dec(st, &v->d);
	else
		pct_put_double(st, val_num_double(v));
}

static void pct_merge(const struct agg *a, void *dst, void *src)
{
	struct st_pct *d = dst, *s = src;

	(void)a;
	if (s->td) {
		if (!d->td)
			pct_to_digest(d);
		td_merge(d->td, s->td);
	} else if (s->dbl) {
		for (size_t i = 0; i < s->n; i++)
			pct_put_double(d, s->f[i]);
	} else {
		for (size_t i = 0; i < s->n; i++)
			pct_put_dec(d, &s->d[i]);
	}
	if (s->td)
		td_release(s->td);
	free(s->td);
	free(s->d);
	free(s->f);
	memset(s, 0, sizeof(*s));
}

static int dec_cmp_q(const void *a, const void *b)
{
	return dec_cmp(a, b);
}

static int dbl_cmp_q(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return a < b ? -1 : a > b;
}

/* 10^k as a u128, k <= 38. */
static unsigned __int128 pow10_128(int k)
{
	unsigned __int128 r = 1;

	while (k-- > 0)
		r *= 10;
	return r;
}

/* The interpolated quantile of sorted decimals, exactly: x[i] + f *
 * (x[i+1] - x[i]) where i + f = p * (n - 1).  0, or -1 when a step is not
 * exact. */
static int pct_exact(const dec_t *x, size_t n, const dec_t *p, dec_t *out)
{
	dec_t h, nm1, lo, frac, diff, prod;
	unsigned __int128 unit;
	int64_t i;

	dec_from_i64(&nm1, (int64_t)n - 1);
	if (dec_mul(&h, p, &nm1) != DEC_OK)
		return -1;
	unit = pow10_128(h.scale);
	lo = h;
	lo.coef = h.coef / unit * unit;
	if (dec_sub(&frac, &h, &lo) != DEC_OK || dec_rescale(&lo, 0) != DEC_OK ||
	    !dec_to_i64(&lo, &i))
		return -1;
	if (frac.coef == 0 || (uint64_t)i + 1 >= n) {
		*out = x[i < (int64_t)n ? i : (int64_t)n - 1];
		return 0;
	}
	if (dec_sub(&diff, &x[i + 1], &x[i]) != DEC_OK || dec_mul(&prod, &diff, &frac) != DEC_OK)
		return -1;
	dec_normalize(&prod);
	return dec_add(out, &x[i], &prod) == DEC_OK ? 0 : -1;
}

static double pct_double(const double *x, size_t n, double p)
{
	double h = p * (n - 1), fl = floor(h), f, r;
	size_t i = (size_t)fl;

	if (i + 1 >= n)
		return x[n - 1];
	if (h == fl)
		return x[i];
	f = h - fl;
	r = x[i] + f * (x[i + 1] - x[i]);
	/* the step from -1.7e308 to 1.7e308 is beyond a double, the quantile
	 * between them is not: long double's range holds the step */
	if (!isfinite(r))
		r = (double)((long double)x[i] + f * ((long double)x[i + 1] - x[i]));
	return r;
}

static void pct_finish(const struct agg *a, void *st, struct buf *b)
{
	struct st_pct *s = st;
	dec_t r;

	if (s->td) {
		jw_double(b, td_quantile(s->td, a->pf));
		return;
	}
	if (!s->n) {
		buf_adds(b, "null");
		return;
	}
	if (!s->dbl) {
		qsort(s->d, s->n, sizeof(*s->d), dec_cmp_q);
		if (pct_exact(s->d, s->n, &a->p, &r) == 0) {
			jw_decimal(b, &r);
			return;
		}
		pct_to_double(s);
	}
	qsort(s->f, s->n, sizeof(*s->f), dbl_cmp_q);
	jw_double(b, pct_double(s->f, s->n, a->pf));
}

static void pct_save(const struct agg *a, void *st, struct buf *b)
{
	struct st_pct *s = st;

	(void)a;
	if (s->td) {
		buf_adds(b, "{\"td\":");
		td_write(s->td, b);
		buf_addc(b, '}');
		return;
	}
	buf_adds(b, s->dbl ? "{\"f\":[" : "{\"d\":[");
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			buf_addc(b, ',');
		if (s->dbl)
			buf_printf(b, "%.17g", s->f[i]);
		else
			jw_decimal(b, &s->d[i]);
	}
	buf_adds(b, "]}");
}

static int pct_load(const struct agg *a, void *st, struct span v)
{
	struct st_pct *s = st;
	struct scan_iter it, ai;
	struct span k, e, ak, av;

	(void)a;
	if (scan_kind(v) != SCAN_OBJECT)
		return -1;
	scan_iter_init(&it, v);
	if (!scan_iter_next(&it, &k, &e))
		return -1;
	if (scan_key_eq(k, "td", 2)) {
		struct tdigest t;
		int r;

		td_init(&t);
		r = td_read(&t, e);
		if (r == 0) {
			if (!s->td)
				pct_to_digest(s);
			td_merge(s->td, &t);
		}
		td_release(&t);
		return r;
	}
	if (scan_kind(e) != SCAN_ARRAY || (!scan_key_eq(k, "d", 1) && !scan_key_eq(k, "f", 1)))
		return -1;
	scan_iter_init(&ai, e);
	while (scan_iter_next(&ai, &ak, &av)) {
		dec_t d;
		struct val x;

		if (scan_kind(av) != SCAN_NUMBER)
			return -1;
		if (k.p[0] == 'd') {
			if (dec_parse(&d, av.p, av.n) != DEC_OK)
				return -1;
			pct_put_dec(s, &d);
		} else {
			val_from_json(&x, av, &scratch);
			pct_put_double(s, val_num_double(&x));
		}
	}
	return 0;
}

static void pct_release(void *st)
{
	struct st_pct *s = st;

	if (s->td)
		td_release(s->td);
	free(s->td);
	free(s->d);
	free(s->f);
	memset(s, 0, sizeof(*s));
}

static size_t pct_bytes(const void *st)
{
	const struct st_pct *s = st;

	return (size_t)s->cap * (s->dbl ? sizeof(double) : sizeof(dec_t)) +
	       (s->td ? sizeof(*s->td) + td_bytes(s->td) : 0);
}

/* ---- collect: the values' JSON texts, comma-separated ---- */

static void collect_add(const struct agg *a, void *st, const struct val *v)
{
	struct buf *b = st;

	(void)a;
	if (b->len)
		buf_addc(b, ',');
	val_to_json(b, v);
}

static void collect_merge(const struct agg *a, void *dst, void *src)
{
	struct buf *d = dst, *s = src;

	(void)a;
	if (s->len) {
		if (d->len)
			buf_addc(d, ',');
		buf_add(d, s->p, s->len);
	}
	buf_release(s);
}

static void collect_finish(const struct agg *a, void *st, struct buf *b)
{
	struct buf *s = st;

	(void)a;
	if (!s->len) {
		buf_adds(b, "null");
		return;
	}
	buf_addc(b, '[');
	buf_add(b, s->p, s->len);
	buf_addc(b, ']');
}

static void collect_save(const struct agg *a, void *st, struct buf *b)
{
	struct buf *s = st;

	(void)a;
	buf_addc(b, '[');
	buf_add(b, s->p ? s->p : "", s->len);
	buf_addc(b, ']');
}

static int collect_load(const struct agg *a, void *st, struct span v)
{
	struct buf *s = st;
	struct scan_iter it;
	struct span k, e;

	(void)a;
	if (scan_kind(v) != SCAN_ARRAY)
		return -1;
	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &k, &e)) {
		if (s->len)
			buf_addc(s, ',');
		add_raw_value(s, e);
	}
	return 0;
}

/* ---- mode: the most frequent value, the first seen among equals ---- */

struct mode_ent {
	uint64_t count;
	char *text; /* JSON */
	size_t len;
};

struct st_mode {
	struct hash_table t; /* value hash -> index + 1 in e */
	struct mode_ent *e;
	size_t n, cap;
	/* the sum of len + 16 over e, kept as entries come: --memory asks
	 * mode_bytes twice per record, too often to walk e */
	size_t textbytes;
};

static void mode_put(struct st_mode *m, struct hash128 h, const char *text, size_t len,
		     uint64_t count)
{
	uint64_t *slot;
	int added;

	if (!m->t.stride)
		hash_table_init(&m->t, sizeof(uint64_t));
	slot = hash_table_put(&m->t, h, &added);
	if (added) {
		xgrow(&m->e, &m->cap, m->n + 1, sizeof(*m->e));
		m->e[m->n].count = 0;
		m->e[m->n].text = xstrndup(text, len);
		m->e[m->n].len = len;
		m->textbytes += len + 16;
		*slot = ++m->n;
	}
	m->e[*slot - 1].count += count;
}

static void mode_add(const struct agg *a, void *st, const struct val *v)
{
	struct hash128 h = value_hash(v); /* leaves the JSON text in tmp */

	(void)a;
	mode_put(st, h, tmp.p, tmp.len, 1);
}

static void mode_release(void *st)
{
	struct st_mode *m = st;

	for (size_t i = 0; i < m->n; i++)
		free(m->e[i].text);
	free(m->e);
	hash_table_release(&m->t);
	memset(m, 0, sizeof(*m));
}

static void mode_merge(const struct agg *a, void *dst, void *src)
{
	struct st_mode *s = src;
	struct span sp;

	(void)a;
	for (size_t i = 0; i < s->n; i++) {
		sp.p = s->e[i].text;
		sp.n = s->e[i].len;
		mode_put(dst, raw_hash(sp), s->e[i].text, s->e[i].len, s->e[i].count);
	}
	mode_release(s);
}

static void mode_finish(const struct agg *a, void *st, struct buf *b)
{
	struct st_mode *m = st;
	size_t best = 0;

	(void)a;
	if (!m->n) {
		buf_adds(b, "null");
		return;
	}
	for (size_t i = 1; i < m->n; i++)
		if (m->e[i].count > m->e[best].count)
			best = i;
	buf_add(b, m->e[best].text, m->e[best].len);
}

static void mode_save(const struct agg *a, void *st, struct buf *b)
{
	struct st_mode *m = st;

	(void)a;
	buf_addc(b, '[');
	for (size_t i = 0; i < m->n; i++) {
		buf_adds(b, i ? ",[" : "[");
		buf_add(b, m->e[i].text, m->e[i].len);
		buf_addc(b, ',');
		put_u64(b, m->e[i].count);
		buf_addc(b, ']');
	}
	buf_addc(b, ']');
}

static int mode_load(const struct agg *a, void *st, struct span v)
{
	struct scan_iter it;
	struct span k, e;

	if (scan_kind(v) != SCAN_ARRAY)
		return -1;
	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &k, &e)) {
		struct span pair[2];
		uint64_t n = 0;

		if (elements(e, pair, 2) || count_load(a, &n, pair[1]) || n == 0)
			return -1;
		mode_put(st, raw_hash(pair[0]), pair[0].p, pair[0].n, n);
	}
	return 0;
}

static size_t mode_bytes(const void *st)
{
	const struct st_mode *m = st;

	return hash_table_bytes(&m->t) + m->cap * sizeof(*m->e) + m->textbytes;
}

/* ---- the table ---- */

static void count_save(const struct agg *a, void *st, struct buf *b)
{
	count_finish(a, st, b);
}

static const struct fninfo fns[] = {
	{"count", 0, 0, sizeof(uint64_t), count_add, count_merge, count_finish, count_save,
	 count_load, NULL, NULL},
	{"count", 1, 0, sizeof(uint64_t), count_add, count_merge, count_finish, count_save,
	 count_load, NULL, NULL},
	{"count_distinct", 1, 0, sizeof(struct hash_table), distinct_add, distinct_merge,
	 distinct_finish, distinct_save, distinct_load, distinct_release, distinct_bytes},
	{"approx_distinct", 1, 0, sizeof(struct hll), hll_add_v, hll_merge_v, hll_finish, hll_save,
	 hll_load, hll_release_v, hll_bytes_v},
	{"sum", 1, 1, sizeof(struct st_sum), sum_add, sum_merge, sum_finish, sum_save, sum_load,
	 sum_release, sum_bytes},
	{"avg", 1, 1, sizeof(struct st_sum), sum_add, sum_merge, avg_finish, sum_save, sum_load,
	 sum_release, sum_bytes},
	{"min", 1, 0, sizeof(struct st_mm), mm_add, mm_merge, mm_finish, mm_finish, mm_load,
	 mm_release, mm_bytes},
	{"max", 1, 0, sizeof(struct st_mm), mm_add, mm_merge, mm_finish, mm_finish, mm_load,
	 mm_release, mm_bytes},
	{"first", 1, 0, sizeof(struct buf), first_add, text_merge, text_finish, text_finish,
	 text_load, text_release, text_bytes},
	{"last", 1, 0, sizeof(struct buf), last_add, text_merge, text_finish, text_finish,
	 text_load, text_release, text_bytes},
	{"stddev", 1, 1, sizeof(struct st_var), var_add, var_merge, var_finish, var_save, var_load,
	 var_release, var_bytes},
	{"var", 1, 1, sizeof(struct st_var), var_add, var_merge, var_finish, var_save, var_load,
	 var_release, var_bytes},
	{"median", 1, 1, sizeof(struct st_pct), pct_add, pct_merge, pct_finish, pct_save, pct_load,
	 pct_release, pct_bytes},
	{"percentile", 2, 1, sizeof(struct st_pct), pct_add, pct_merge, pct_finish, pct_save,
	 pct_load, pct_release, pct_bytes},
	{"collect", 1, 0, sizeof(struct buf), collect_add, collect_merge, collect_finish,
	 collect_save, collect_load, text_release, text_bytes},
	{"mode", 1, 0, sizeof(struct st_mode), mode_add, mode_merge, mode_finish, mode_save,
	 mode_load, mode_release, mode_bytes},
};

const struct fninfo *fn_find(const char *name, size_t n, int nargs)
{
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (strlen(fns[i].name) == n && memcmp(fns[i].name, name, n) == 0 &&
		    (fns[i].nargs == nargs || strcmp(fns[i].name, "count") != 0))
			return &fns[i];
	return NULL;
}

const char *fn_names(void)
{
	return "count, count_distinct, approx_distinct, sum, avg, min, max, first, last, stddev, "
	       "var, median, percentile, collect, mode";
}

/* Does a double hold number v, neither infinite nor a nonzero number gone
 * to zero (1e400, 1e-400)?  Percentiles are doubles beyond 10,000 values,
 * so they take only those, whatever the size of the group. */
static int pct_can_add(const struct val *v)
{
	double d = val_num_double(v);

	if (!isfinite(d))
		return 0;
	if (d != 0)
		return 1;
	if (v->nk == NUM_DEC)
		return v->d.coef == 0;
	if (v->nk == NUM_BIG)
		for (size_t i = 0; i < v->s.n && v->s.p[i] != 'e' && v->s.p[i] != 'E'; i++)
			if (v->s.p[i] >= '1' && v->s.p[i] <= '9')
				return 0;
	return 1;
}

int fn_check(const struct agg *a, const struct val *v, char *err, size_t errsz)
{
	if (v->k == VAL_NULL || !a->fi->numeric)
		return 0;
	if (v->k != VAL_NUM) {
		snprintf(err, errsz, "%s: expected a number, got %s", a->spec, val_kind_name(v));
		return -1;
	}
	if (a->fi->add == pct_add ? !pct_can_add(v) : !xsum_can_add(v)) {
		snprintf(err, errsz, "%s: number out of range: %.*s", a->spec,
			 (int)(v->s.n < 40 ? v->s.n : 40), v->s.p ? v->s.p : "");
		return -1;
	}
	return 0;
}

/* ---- state blocks ---- */

void *states_new(void)
{
	return xcalloc(1, plan.stsize);
}

void states_add(void *st, const struct val *vals)
{
	unsigned char *b = st;

	for (size_t i = 0; i < plan.naggs; i++) {
		const struct agg *a = &plan.aggs[i];

		if (a->ex < 0)
			(*(uint64_t *)(b + a->off))++;
		else if (vals[a->ex].k != VAL_NULL)
			a->fi->add(a, b + a->off, &vals[a->ex]);
	}
}

void states_merge(void *dst, void *src)
{
	unsigned char *d = dst, *s = src;

	for (size_t i = 0; i < plan.naggs; i++) {
		const struct agg *a = &plan.aggs[i];

		a->fi->merge(a, d + a->off, s + a->off);
	}
}

void states_release(void *st)
{
	unsigned char *b = st;

	for (size_t i = 0; i < plan.naggs; i++) {
		const struct agg *a = &plan.aggs[i];

		if (a->fi->release)
			a->fi->release(b + a->off);
	}
}

size_t states_bytes(const void *st)
{
	const unsigned char *b = st;
	size_t n = 0;

	for (size_t i = 0; i < plan.naggs; i++) {
		const struct agg *a = &plan.aggs[i];

		if (a->fi->bytes)
			n += a->fi->bytes(b + a->off);
	}
	return n;
}

void states_save(void *st, struct buf *b)
{
	unsigned char *s = st;

	buf_addc(b, '[');
	for (size_t i = 0; i < plan.naggs; i++) {
		const struct agg *a = &plan.aggs[i];

		if (i)
			buf_addc(b, ',');
		a->fi->save(a, s + a->off, b);
	}
	buf_addc(b, ']');
}

int states_load(void *st, struct span arr, char *err, size_t errsz)
{
	unsigned char *s = st;
	struct scan_iter it;
	struct span k, e;
	size_t i = 0;

	if (scan_kind(arr) != SCAN_ARRAY) {
		snprintf(err, errsz, "\"state\" is not an array");
		return -1;
	}
	scan_iter_init(&it, arr);
	while (scan_iter_next(&it, &k, &e)) {
		const struct agg *a;

		if (i == plan.naggs) {
			snprintf(err, errsz, "more states than aggregates");
			return -1;
		}
		a = &plan.aggs[i++];
		if (a->fi->load(a, s + a->off, e) != 0) {
			snprintf(err, errsz, "invalid state of %s", a->spec);
			return -1;
		}
	}
	if (i != plan.naggs) {
		snprintf(err, errsz, "%zu states for %zu aggregates", i, plan.naggs);
		return -1;
	}
	return 0;
}
