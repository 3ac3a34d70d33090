/*
 * exact.c - exact sums of any size, for sum(), avg(), var() and stddev()
 * (agg.h).
 *
 * A sum starts as a dec_t (38 digits, the fast path: one dec_add per value)
 * and moves for good to a wide number the first time a term or the result
 * does not fit, or would fit only by dropping scale: the sum of 12.50 and
 * 0.50 must print 13.00, whatever path it took, so that a sum computed in
 * one pass, in two halves or from the partial states of N machines is the
 * same text.  A wide number is an integer in base 10^9 limbs with a sign and
 * a scale; additions align scales by multiplying the one with the smaller
 * scale, so nothing is ever rounded.  Doubles (the results of division)
 * enter as the shortest decimal that reads back to them, so they too add up
 * the same whatever the order.
 *
 * Quotients (avg, var) are rounded once: the exact numerator is divided by
 * the integer denominator with 40 significant digits to spare and a sticky
 * digit for a nonzero remainder, and strtod() rounds that text correctly.
 * stddev takes the integer square root of the quotient's first 36 or 37
 * digits, again with a sticky digit.  A result that no double holds (the
 * variance of 1e200 and 3e200 is 2e400) is printed from the same digits,
 * rounded to 17: a number, never the null of an infinite double.
 */
#include "agg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtoa.h"
#include "jsonw.h"
#include "mem.h"
#include "banned.h"

#define BASE 1000000000u

typedef unsigned __int128 u128;

static const uint32_t pow10_32[10] = {1,      10,      100,      1000,      10000,
				      100000, 1000000, 10000000, 100000000, 1000000000};

/* Scratch, reused: this program is single-threaded. */
static struct wide tmp1, tmp2, tmp3;
static struct buf text, dtext;

static void reserve(struct wide *w, uint32_t n)
{
	if (n > w->cap) {
		uint32_t cap = w->cap ? w->cap : 4;

		while (cap < n)
			cap *= 2;
		w->d = xrealloc(w->d, (size_t)cap * sizeof(*w->d));
		w->cap = cap;
	}
}

static void trim(struct wide *w)
{
	while (w->n && !w->d[w->n - 1])
		w->n--;
	if (!w->n)
		w->neg = 0;
}

static void set_u128(struct wide *w, u128 v)
{
	w->n = 0;
	reserve(w, 5);
	while (v) {
		w->d[w->n++] = (uint32_t)(v % BASE);
		v /= BASE;
	}
}

static void from_dec(struct wide *w, const dec_t *d)
{
	set_u128(w, d->coef);
	w->scale = d->scale;
	w->neg = d->neg && w->n;
}

static void copy(struct wide *dst, const struct wide *src)
{
	reserve(dst, src->n);
	if (src->n)
		memcpy(dst->d, src->d, src->n * sizeof(*dst->d));
	dst->n = src->n;
	dst->scale = src->scale;
	dst->neg = src->neg;
}

/* w *= m, m <= BASE. */
static void mul_small(struct wide *w, uint32_t m)
{
	uint64_t carry = 0;

	for (uint32_t i = 0; i < w->n; i++) {
		uint64_t x = (uint64_t)w->d[i] * m + carry;

		w->d[i] = (uint32_t)(x % BASE);
		carry = x / BASE;
	}
	while (carry) {
		reserve(w, w->n + 1);
		w->d[w->n++] = (uint32_t)(carry % BASE);
		carry /= BASE;
	}
	trim(w);
}

/* w *= 10^k, scale += k: the same value with k more digits of scale. */
static void scale_up(struct wide *w, int32_t k)
{
	uint32_t limbs = (uint32_t)k / 9;

	w->scale += k;
	if (!w->n)
		return;
	if (limbs) {
		reserve(w, w->n + limbs);
		memmove(w->d + limbs, w->d, w->n * sizeof(*w->d));
		memset(w->d, 0, limbs * sizeof(*w->d));
		w->n += limbs;
	}
	if (k % 9)
		mul_small(w, pow10_32[k % 9]);
}

static int mag_cmp(const struct wide *a, const struct wide *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (uint32_t i = a->n; i-- > 0;)
		if (a->d[i] != b->d[i])
			return a->d[i] < b->d[i] ? -1 : 1;
	return 0;
}

/* |r| += |a| */
static void mag_add(struct wide *r, const struct wide *a)
{
	uint32_t n = r->n > a->n ? r->n : a->n, carry = 0;

	reserve(r, n + 1);
	for (uint32_t i = r->n; i < n; i++)
		r->d[i] = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t x = r->d[i] + (i < a->n ? a->d[i] : 0) + carry;

		carry = x >= BASE;
		r->d[i] = carry ? x - BASE : x;
	}
	r->n = n;
	if (carry)
		r->d[r->n++] = 1;
}

/* |r| = |big| - |small|, |big| >= |small|; r may be either. */
static void mag_sub(struct wide *r, const struct wide *big, const struct wide *small)
{
	uint32_t n = big->n;
	int32_t borrow = 0;

	reserve(r, n);
	for (uint32_t i = 0; i < n; i++) {
		int64_t x = (int64_t)big->d[i] - (i < small->n ? small->d[i] : 0) - borrow;

		borrow = x < 0;
		r->d[i] = (uint32_t)(borrow ? x + BASE : x);
	}
	r->n = n;
}

/* r += a (a != r), exactly. */
static void wide_add(struct wide *r, const struct wide *a)
{
	if (!a->n) {
		if (a->scale > r->scale)
			scale_up(r, a->scale - r->scale);
		return;
	}
	if (a->scale < r->scale) {
		copy(&tmp3, a);
		scale_up(&tmp3, r->scale - a->scale);
		a = &tmp3;
	} else if (a->scale > r->scale) {
		scale_up(r, a->scale - r->scale);
	}
	if (!r->n) {
		int32_t scale = r->scale;

		copy(r, a);
		r->scale = scale;
		return;
	}
	if (r->neg == a->neg) {
		mag_add(r, a);
	} else if (mag_cmp(r, a) >= 0) {
		mag_sub(r, r, a);
	} else {
		struct wide t = *r; /* the limbs are read before they are written */

		reserve(r, a->n);
		t.d = r->d;
		mag_sub(r, a, &t);
		r->neg = a->neg;
	}
	trim(r);
}

/* r = a * b; r is neither. */
static void wide_mul(struct wide *r, const struct wide *a, const struct wide *b)
{
	uint32_t n = a->n + b->n;

	reserve(r, n ? n : 1);
	memset(r->d, 0, (size_t)n * sizeof(*r->d));
	for (uint32_t i = 0; i < a->n; i++) {
		uint64_t carry = 0;

		for (uint32_t j = 0; j < b->n; j++) {
			uint64_t x = r->d[i + j] + (uint64_t)a->d[i] * b->d[j] + carry;

			r->d[i + j] = (uint32_t)(x % BASE);
			carry = x / BASE;
		}
		for (uint32_t k = i + b->n; carry; k++) {
			uint64_t x = r->d[k] + carry;

			r->d[k] = (uint32_t)(x % BASE);
			carry = x / BASE;
		}
	}
	r->n = n;
	r->scale = a->scale + b->scale;
	r->neg = a->neg != b->neg;
	trim(r);
}

static uint32_t digits32(uint32_t x)
{
	uint32_t k = 1;

	while (k < 10 && x >= pow10_32[k])
		k++;
	return k;
}

static uint32_t ndigits(const struct wide *w)
{
	return w->n ? (w->n - 1) * 9 + digits32(w->d[w->n - 1]) : 1;
}

/* The coefficient's digits, most significant first ("0" for zero). */
static void coef_text(struct buf *b, const struct wide *w)
{
	char t[10];
	size_t k;
	uint32_t x;

	if (!w->n) {
		buf_addc(b, '0');
		return;
	}
	for (uint32_t i = w->n; i-- > 0;) {
		x = w->d[i];
		k = sizeof(t);
		do
			t[--k] = (char)('0' + x % 10);
		while ((x /= 10) && k > 1);
		if (i + 1 < w->n)
			while (k > 1)
				t[--k] = '0';
		buf_add(b, t + k, sizeof(t) - k);
	}
}

static void wide_write(const struct wide *w, struct buf *b)
{
	size_t start, nd;

	if (w->neg)
		buf_addc(b, '-');
	start = b->len;
	coef_text(b, w);
	nd = b->len - start;
	if (w->scale <= 0)
		return;
	if (nd <= (size_t)w->scale) {
		/* 0.00ddd: make room for "0." and the leading zeros */
		size_t pad = (size_t)w->scale - nd + 2;

		buf_grow(b, pad);
		memmove(b->p + start + pad, b->p + start, nd + 1);
		b->p[start] = '0';
		b->p[start + 1] = '.';
		memset(b->p + start + 2, '0', pad - 2);
		b->len += pad;
		return;
	}
	buf_grow(b, 1);
	memmove(b->p + b->len - w->scale + 1, b->p + b->len - w->scale, (size_t)w->scale + 1);
	b->p[b->len - w->scale] = '.';
	b->len++;
}

/* Parse JSON number text exactly.  0, or -1 when it needs more than
 * WIDE_MAX_DIGITS digits or scale. */
static int wide_parse(struct wide *w, const char *s, size_t n)
{
	const char *p = s, *e = s + n;
	int64_t exp = 0, exp10;
	size_t nfrac = 0, nd;
	int eneg = 0;

	buf_reset(&text);
	w->neg = p < e && *p == '-';
	p += w->neg;
	for (; p < e && *p >= '0' && *p <= '9'; p++)
		if (text.len || *p != '0')
			buf_addc(&text, *p);
	if (p < e && *p == '.') {
		for (p++; p < e && *p >= '0' && *p <= '9'; p++, nfrac++)
			if (text.len || *p != '0')
				buf_addc(&text, *p);
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		for (; p < e && *p >= '0' && *p <= '9'; p++)
			if (exp < 1000000000)
				exp = exp * 10 + (*p - '0');
	}
	if (p != e || p == s)
		return -1;
	exp10 = (eneg ? -exp : exp) - (int64_t)nfrac;
	nd = text.len;
	w->n = 0;
	if (!nd) {
		/* zero keeps its scale, within reason */
		w->neg = 0;
		w->scale = exp10 < 0 ? (int32_t)(-exp10 < 38 ? -exp10 : 38) : 0;
		return 0;
	}
	if (nd > WIDE_MAX_DIGITS || exp10 > WIDE_MAX_DIGITS || exp10 < -WIDE_MAX_DIGITS)
		return -1;
	reserve(w, (uint32_t)(nd / 9 + 2));
	for (size_t end = nd; end > 0;) {
		size_t start = end >= 9 ? end - 9 : 0;
		uint32_t x = 0;

		for (size_t i = start; i < end; i++)
			x = x * 10 + (uint32_t)(text.p[i] - '0');
		w->d[w->n++] = x;
		end = start;
	}
	trim(w);
	w->scale = 0;
	if (exp10 >= 0) {
		scale_up(w, (int32_t)exp10);
		w->scale = 0;
	} else {
		w->scale = (int32_t)-exp10;
	}
	return 0;
}

/* ---- sums ---- */

void xsum_release(struct xsum *s)
{
	if (s->w) {
		free(s->w->d);
		free(s->w);
	}
	memset(s, 0, sizeof(*s));
}

size_t xsum_bytes(const struct xsum *s)
{
	return s->w ? sizeof(*s->w) + s->w->cap * sizeof(uint32_t) : 0;
}

static void promote(struct xsum *s)
{
	s->w = xcalloc(1, sizeof(*s->w));
	from_dec(s->w, &s->d);
}

static void add_dec(struct xsum *s, const dec_t *d)
{
	if (!s->w) {
		dec_t r;
		int scale = s->d.scale > d->scale ? s->d.scale : d->scale;

		if (dec_add(&r, &s->d, d) == DEC_OK && r.scale == scale) {
			s->d = r;
			return;
		}
		promote(s);
	}
	from_dec(&tmp1, d);
	wide_add(s->w, &tmp1);
}

static void add_wide(struct xsum *s, const struct wide *w)
{
	if (!s->w)
		promote(s);
	wide_add(s->w, w);
}

/* The exact decimal a number value stands for, as a dec_t (1) or, when it
 * does not fit, in tmp2 (0); -1 when out of range. */
static int number_of(const struct val *v, dec_t *d)
{
	char t[DTOA_BUFSZ];
	size_t n;

	switch (v->nk) {
	case NUM_DEC:
		*d = v->d;
		return 1;
	case NUM_DBL:
		n = dtoa_shortest(v->f, t);
		if (!n)
			return -1;
		if (dec_parse(d, t, n) == DEC_OK)
			return 1;
		return wide_parse(&tmp2, t, n);
	case NUM_BIG:
	default:
		if (dec_parse(d, v->s.p, v->s.n) == DEC_OK)
			return 1;
		return wide_parse(&tmp2, v->s.p, v->s.n);
	}
}

int xsum_can_add(const struct val *v)
{
	dec_t d;

	if (v->k != VAL_NUM)
		return 0;
	/* a finite double's shortest text has at most 17 digits and an
	 * exponent within 324, far inside WIDE_MAX_DIGITS: no need to print
	 * it here only for xsum_add to print it again */
	if (v->nk == NUM_DBL)
		return isfinite(v->f);
	return number_of(v, &d) >= 0;
}

int xsum_add(struct xsum *s, const struct val *v)
{
	dec_t d;
	int r;

	if (v->nk == NUM_DEC) {
		add_dec(s, &v->d);
		return 0;
	}
	r = number_of(v, &d);
	if (r < 0)
		return -1;
	if (r)
		add_dec(s, &d);
	else
		add_wide(s, &tmp2);
	return 0;
}

int xsum_add_square(struct xsum *s, const struct val *v)
{
	dec_t d, sq;
	int r = number_of(v, &d);

	if (r < 0)
		return -1;
	if (r) {
		if (dec_mul(&sq, &d, &d) == DEC_OK && sq.scale == 2 * d.scale) {
			add_dec(s, &sq);
			return 0;
		}
		from_dec(&tmp2, &d);
	}
	wide_mul(&tmp1, &tmp2, &tmp2);
	add_wide(s, &tmp1);
	return 0;
}

void xsum_merge(struct xsum *s, const struct xsum *o)
{
	if (o->w)
		add_wide(s, o->w);
	else
		add_dec(s, &o->d);
}

void xsum_write(const struct xsum *s, struct buf *b)
{
	if (s->w)
		wide_write(s->w, b);
	else
		jw_decimal(b, &s->d);
}

int xsum_read(struct xsum *s, struct span v)
{
	dec_t d;

	if (scan_kind(v) != SCAN_NUMBER)
		return -1;
	if (dec_parse(&d, v.p, v.n) == DEC_OK) {
		add_dec(s, &d);
		return 0;
	}
	if (wide_parse(&tmp2, v.p, v.n) != 0)
		return -1;
	add_wide(s, &tmp2);
	return 0;
}

/* w / (n1 * n2), with 40 significant digits to spare and a sticky digit
 * for a nonzero remainder: its digits go to text (no sign, no leading
 * zero), and the result is their exponent (value = digits * 10^exp); w is
 * changed.  w is not zero. */
static int64_t quotient(struct wide *w, uint64_t n1, uint64_t n2)
{
	uint64_t dv[2] = {n1, n2};
	int sticky = 0, k;

	/* 40 significant digits beyond the up to 40 of the divisor */
	k = 80 - (int)ndigits(w);
	if (k > 0)
		scale_up(w, k);
	for (int j = 0; j < 2; j++) {
		u128 rem = 0;

		if (dv[j] == 1)
			continue;
		for (uint32_t i = w->n; i-- > 0;) {
			u128 cur = rem * BASE + w->d[i];

			w->d[i] = (uint32_t)(cur / dv[j]);
			rem = cur % dv[j];
		}
		trim(w);
		sticky |= rem != 0;
	}
	buf_reset(&text);
	coef_text(&text, w);
	if (sticky)
		buf_addc(&text, '1');
	return -(int64_t)w->scale - sticky;
}

/*
 * Append the number digits * 10^exp (digits: nd of them, no leading zero,
 * more than 17 of them or exact) as JSON: the double nearest it, printed
 * shortest, when that is a normal double; otherwise, beyond a double's
 * range either way, its 17 significant digits rounded half to even, in the
 * same form ("4e+400", "-2.5e-330").  Never null: an average, a variance
 * or a standard deviation of numbers that an exact sum holds is a number.
 */
static void write_digits(struct buf *b, int neg, const char *digits, size_t nd, int64_t exp)
{
	int64_t e10 = exp + (int64_t)nd - 1; /* of the first digit */
	char t[24];
	size_t n = nd < 17 ? nd : 17;
	int up = 0;

	if (e10 > -330 && e10 < 330) {
		double r;

		buf_reset(&dtext);
		buf_add(&dtext, digits, nd);
		buf_printf(&dtext, "e%lld", (long long)exp);
		r = strtod(dtext.p, NULL);
		if (fpclassify(r) == FP_NORMAL) {
			jw_double(b, neg ? -r : r);
			return;
		}
	}
	memcpy(t, digits, n);
	if (nd > 17) {
		int rest = 0;

		for (size_t i = 18; i < nd && !rest; i++)
			rest = digits[i] != '0';
		up = digits[17] > '5' || (digits[17] == '5' && (rest || (t[16] - '0') % 2));
	}
	for (size_t i = n; up && i-- > 0;) {
		up = t[i] == '9';
		t[i] = up ? '0' : (char)(t[i] + 1);
	}
	if (up) {
		/* 99...9 rounded up to 100...0 */
		t[0] = '1';
		e10++;
	}
	while (n > 1 && t[n - 1] == '0')
		n--;
	if (neg)
		buf_addc(b, '-');
	buf_addc(b, t[0]);
	if (n > 1) {
		buf_addc(b, '.');
		buf_add(b, t + 1, n - 1);
	}
	buf_printf(b, "e%c%lld", e10 < 0 ? '-' : '+', (long long)(e10 < 0 ? -e10 : e10));
}

/* Append the quotient w / (n1 * n2); w is changed. */
static void write_quotient(struct buf *b, struct wide *w, uint64_t n1, uint64_t n2)
{
	int neg = w->neg;
	int64_t exp;

	if (!w->n) {
		buf_addc(b, '0');
		return;
	}
	exp = quotient(w, n1, n2);
	write_digits(b, neg, text.p, text.len, exp);
}

/* Append the square root of w / (n1 * n2), w >= 0; w is changed.  The root
 * of the quotient's first 36 or 37 digits (an even exponent left over) is an
 * integer of 18 or 19 digits, exact or with a sticky digit for the rest. */
static void write_root(struct buf *b, struct wide *w, uint64_t n1, uint64_t n2)
{
	int64_t exp;
	size_t nd, k;
	u128 m = 0;
	uint64_t r;
	int sticky;
	char t[24];

	if (!w->n) {
		buf_addc(b, '0');
		return;
	}
	exp = quotient(w, n1, n2);
	nd = text.len;
	k = (exp + (int64_t)nd - 37) % 2 ? 36 : 37;
	for (size_t i = 0; i < k; i++)
		m = m * 10 + (u128)(text.p[i] - '0');
	sticky = 0;
	for (size_t i = k; i < nd && !sticky; i++)
		sticky = text.p[i] != '0';
	exp += (int64_t)(nd - k);
	r = (uint64_t)sqrtl((long double)m);
	while ((u128)r * r > m)
		r--;
	while ((u128)(r + 1) * (r + 1) <= m)
		r++;
	sticky |= (u128)r * r != m;
	nd = (size_t)snprintf(t, sizeof(t), "%llu%s", (unsigned long long)r, sticky ? "1" : "");
	write_digits(b, 0, t, nd, exp / 2 - sticky);
}

void xsum_write_div(const struct xsum *s, uint64_t n1, uint64_t n2, struct buf *b)
{
	const u128 exact = (u128)1 << 53;

	/* Both operands exact as doubles: one IEEE division rounds once. */
	if (!s->w && s->d.coef < exact && s->d.scale <= 22) {
		u128 den = (u128)n1 * n2;

		for (int i = 0; i < s->d.scale && den < exact; i++)
			den *= 10;
		if (den < exact) {
			double q = (double)(uint64_t)s->d.coef / (double)(uint64_t)den;

			jw_double(b, s->d.neg ? -q : q);
			return;
		}
	}
	if (s->w)
		copy(&tmp1, s->w);
	else
		from_dec(&tmp1, &s->d);
	write_quotient(b, &tmp1, n1, n2);
}

void xsum_write_var(uint64_t n, const struct xsum *sum, const struct xsum *sumsq, int root,
		    struct buf *b)
{
	struct wide nw = {0};

	/* tmp1 = n * sumsq; tmp2 = sum^2; tmp1 -= tmp2 */
	if (sumsq->w)
		copy(&tmp2, sumsq->w);
	else
		from_dec(&tmp2, &sumsq->d);
	set_u128(&nw, n);
	nw.scale = 0;
	nw.neg = 0;
	wide_mul(&tmp1, &tmp2, &nw);
	free(nw.d);
	if (sum->w)
		copy(&tmp3, sum->w);
	else
		from_dec(&tmp3, &sum->d);
	wide_mul(&tmp2, &tmp3, &tmp3);
	tmp2.neg = !tmp2.neg && tmp2.n;
	wide_add(&tmp1, &tmp2);
	/* n * sumsq >= sum^2 (Cauchy-Schwarz), and both are exact */
	if (tmp1.neg)
		tmp1.n = 0;
	if (root)
		write_root(b, &tmp1, n, n - 1);
	else
		write_quotient(b, &tmp1, n, n - 1);
}
