/*
 * decimal.c - exact fixed-point decimal arithmetic (see decimal.h).
 *
 * Invariant of every dec_t this file hands back with DEC_OK: coef < 10^38,
 * 0 <= scale <= DEC_MAX_SCALE, and neg == 0 when coef == 0, so there is no
 * negative zero and a plain field comparison of two results made the same
 * way is meaningful.
 *
 * Exactness first, scale second: an operation keeps the SQL scale (the
 * larger one for a sum, the sum of both for a product) whenever the result
 * fits in that scale.  When it does not, but the exact value does fit once
 * trailing fractional zeros are dropped (0.10000000000000000000 squared has
 * scale 40, yet is exactly 0.01), the result is that exact value with the
 * smallest scale reduction that fits; only a value that truly needs more than
 * 38 digits, or digits beyond 10^-38, is DEC_INEXACT.  Parsing follows the
 * same rule.
 *
 * Intermediate results that can exceed 128 bits (products, and a sum whose
 * operands must be aligned to a common scale) are held in a 256-bit integer
 * of four 64-bit limbs.  The 128 x 128 -> 256 bit product is written out by
 * hand: overflow checks with __builtin_mul_overflow on __int128 would make
 * clang call __muloti4 from compiler-rt, which a gcc-built toolchain does not
 * provide.
 */
#include "decimal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

typedef unsigned __int128 u128;

/* 10^i for i = 0..38; 10^38 is the bound that no coefficient reaches. */
#define E19 ((u128)10000000000000000000ULL)
static const u128 ten_to[DEC_MAX_DIGITS + 1] = {
	1ULL,
	10ULL,
	100ULL,
	1000ULL,
	10000ULL,
	100000ULL,
	1000000ULL,
	10000000ULL,
	100000000ULL,
	1000000000ULL,
	10000000000ULL,
	100000000000ULL,
	1000000000000ULL,
	10000000000000ULL,
	100000000000000ULL,
	1000000000000000ULL,
	10000000000000000ULL,
	100000000000000000ULL,
	1000000000000000000ULL,
	E19,
	E19 * 10ULL,
	E19 * 100ULL,
	E19 * 1000ULL,
	E19 * 10000ULL,
	E19 * 100000ULL,
	E19 * 1000000ULL,
	E19 * 10000000ULL,
	E19 * 100000000ULL,
	E19 * 1000000000ULL,
	E19 * 10000000000ULL,
	E19 * 100000000000ULL,
	E19 * 1000000000000ULL,
	E19 * 10000000000000ULL,
	E19 * 100000000000000ULL,
	E19 * 1000000000000000ULL,
	E19 * 10000000000000000ULL,
	E19 * 100000000000000000ULL,
	E19 * 1000000000000000000ULL,
	E19 *E19,
};
#define COEF_LIMIT (ten_to[DEC_MAX_DIGITS])

/* Exponents beyond this are out of range whatever the digits; saturating
 * there keeps "1e999999999999" from overflowing or looping. */
#define EXP_CAP 1000000000

/* A 256-bit unsigned integer, least significant limb first. */
typedef struct {
	uint64_t w[4];
} u256;

static u256 u256_from(u128 v)
{
	u256 r = {{(uint64_t)v, (uint64_t)(v >> 64), 0, 0}};
	return r;
}

/* a * b, exactly: four 64 x 64 -> 128 bit partial products. */
static u256 u256_mul(u128 a, u128 b)
{
	uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64);
	uint64_t b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
	u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1;
	u128 p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
	/* Neither sum can wrap: mid < 3 * 2^64, and hi is the top half of a
	 * product that fits in 256 bits. */
	u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
	u128 hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
	u256 r = {{(uint64_t)p00, (uint64_t)mid, (uint64_t)hi, (uint64_t)(hi >> 64)}};
	return r;
}

static u256 u256_add(u256 a, u256 b)
{
	u256 r;
	unsigned carry = 0;

	for (int i = 0; i < 4; i++) {
		uint64_t s = a.w[i] + b.w[i];
		unsigned c = s < a.w[i];
		r.w[i] = s + carry;
		carry = c | (r.w[i] < s);
	}
	return r;
}

/* a - b for a >= b. */
static u256 u256_sub(u256 a, u256 b)
{
	u256 r;
	unsigned borrow = 0;

	for (int i = 0; i < 4; i++) {
		uint64_t d = a.w[i] - b.w[i];
		unsigned c = a.w[i] < b.w[i];
		r.w[i] = d - borrow;
		borrow = c | (d < borrow);
	}
	return r;
}

static int u256_cmp(u256 a, u256 b)
{
	for (int i = 3; i >= 0; i--)
		if (a.w[i] != b.w[i])
			return a.w[i] < b.w[i] ? -1 : 1;
	return 0;
}

/* Divide by 10 in place, returning the remainder.  Done in 32-bit halves
 * so that every division is a 64-bit one, not a libgcc __udivti3 call. */
static unsigned u256_divmod10(u256 *v)
{
	uint64_t rem = 0;

	for (int i = 3; i >= 0; i--) {
		uint64_t hi = (rem << 32) | (v->w[i] >> 32);
		uint64_t qh = hi / 10;
		uint64_t lo = ((hi % 10) << 32) | (v->w[i] & 0xffffffffu);
		v->w[i] = (qh << 32) | (lo / 10);
		rem = lo % 10;
	}
	return (unsigned)rem;
}

/*
 * Store the exact value v / 10^scale in r, dropping trailing zeros only as
 * far as the coefficient and scale limits demand (the policy in the file's
 * comment).  scale may start above DEC_MAX_SCALE, as a product's does.
 */
static int fit(dec_t *r, u256 v, int scale, int neg)
{
	for (;;) {
		if (!v.w[2] && !v.w[3] && scale <= DEC_MAX_SCALE) {
			u128 c = ((u128)v.w[1] << 64) | v.w[0];
			if (c < COEF_LIMIT) {
				r->coef = c;
				r->scale = (int16_t)scale;
				r->neg = c && neg;
				return DEC_OK;
			}
		}
		if (scale == 0 || u256_divmod10(&v) != 0)
			return DEC_INEXACT;
		scale--;
	}
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The i-th digit of the number's digits with the point removed: the integer
 * part is s[ip..ip+nint), the fraction s[fp..]. */
static int digit_at(const char *s, size_t ip, size_t nint, size_t fp, size_t i)
{
	return (i < nint ? s[ip + i] : s[fp + i - nint]) - '0';
}

/* Append the digits s[0..n) to acc; the caller guarantees the result is
 * below 10^38.  Nineteen digits at a time go through a 64-bit integer. */
static u128 accumulate(u128 acc, const char *s, size_t n)
{
	while (n) {
		size_t k = n < 19 ? n : 19;
		uint64_t chunk = 0;

		for (size_t i = 0; i < k; i++)
			chunk = chunk * 10 + (uint64_t)(s[i] - '0');
		acc = acc * ten_to[k] + chunk;
		s += k;
		n -= k;
	}
	return acc;
}

/*
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, or with lenient also a
 * leading '+' and leading zeros.  The grammar is checked in full before any
 * value is computed, so DEC_SYNTAX never depends on the number's size.
 */
static int parse(dec_t *d, const char *s, size_t n, int lenient)
{
	size_t i = 0, ip, nint, fp, nfrac = 0;
	int neg = 0, eneg = 0;
	int64_t ex = 0;

	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	} else if (lenient && i < n && s[i] == '+') {
		i++;
	}
	ip = i;
	while (i < n && is_digit(s[i]))
		i++;
	nint = i - ip;
	if (nint == 0 || (!lenient && nint > 1 && s[ip] == '0'))
		return DEC_SYNTAX;
	fp = i;
	if (i < n && s[i] == '.') {
		fp = ++i;
		while (i < n && is_digit(s[i]))
			i++;
		nfrac = i - fp;
		if (nfrac == 0)
			return DEC_SYNTAX;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t e0;

		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		e0 = i;
		for (; i < n && is_digit(s[i]); i++)
			if (ex < EXP_CAP)
				ex = ex * 10 + (s[i] - '0');
		if (i == e0)
			return DEC_SYNTAX;
		if (eneg)
			ex = -ex;
	}
	if (i != n)
		return DEC_SYNTAX;

	size_t len = nint + nfrac;
	if (ex == 0 && len <= DEC_MAX_DIGITS) {
		/* The usual "123.45": the digits are the coefficient as is. */
		u128 c = accumulate(accumulate(0, s + ip, nint), s + fp, nfrac);

		d->coef = c;
		d->scale = (int16_t)nfrac;
		d->neg = c && neg;
		return DEC_OK;
	}

	/* Otherwise the value is S * 10^-sc, S being all the digits with
	 * leading zeros stripped: m digits, the last t of them zeros.  Zero
	 * first, whose scale is merely clamped. */
	size_t z = 0, last;
	while (z < len && digit_at(s, ip, nint, fp, z) == 0)
		z++;
	if (z == len) {
		int64_t sc = (int64_t)nfrac - ex;

		d->coef = 0;
		d->scale = (int16_t)(sc < 0 ? 0 : sc > DEC_MAX_SCALE ? DEC_MAX_SCALE : sc);
		d->neg = 0;
		return DEC_OK;
	}
	last = len - 1;
	while (digit_at(s, ip, nint, fp, last) == 0)
		last--;
	int64_t m = (int64_t)(len - z), t = (int64_t)(len - 1 - last);
	int64_t sc = (int64_t)nfrac - ex, keep, mul = 0;

	if (sc < 0) {
		/* A positive net exponent appends zeros to the integer. */
		if (m > DEC_MAX_DIGITS || -sc > DEC_MAX_DIGITS - m)
			return DEC_INEXACT;
		keep = m;
		mul = -sc;
		sc = 0;
	} else {
		int64_t drop = 0;

		if (sc - DEC_MAX_SCALE > drop)
			drop = sc - DEC_MAX_SCALE;
		if (m - DEC_MAX_DIGITS > drop)
			drop = m - DEC_MAX_DIGITS;
		if (drop > t || drop > sc)
			return DEC_INEXACT;
		keep = m - drop;
		sc -= drop;
	}

	/* Digits z .. z+keep of the integer-then-fraction sequence. */
	u128 acc = 0;
	size_t from = z, to = z + (size_t)keep;
	if (from < nint) {
		size_t e = to < nint ? to : nint;
		acc = accumulate(acc, s + ip + from, e - from);
		from = e;
	}
	if (from < to)
		acc = accumulate(acc, s + fp + (from - nint), to - from);
	d->coef = acc * ten_to[mul];
	d->scale = (int16_t)sc;
	d->neg = (uint8_t)neg;
	return DEC_OK;
}

int dec_parse(dec_t *d, const char *s, size_t n)
{
	return parse(d, s, n, 0);
}

int dec_parse_lenient(dec_t *d, const char *s, size_t n)
{
	return parse(d, s, n, 1);
}

void dec_from_i64(dec_t *d, int64_t v)
{
	/* Negate in unsigned arithmetic: -INT64_MIN does not exist. */
	d->neg = v < 0;
	d->coef = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	d->scale = 0;
}

/* a + (bneg ? -1 : 1) * |b|, at the larger scale. */
static int add(dec_t *r, const dec_t *a, const dec_t *b, int bneg)
{
	const dec_t *lo = a, *hi = b;
	int lneg = a->neg, hneg = bneg;

	if (a->scale > b->scale) {
		lo = b;
		hi = a;
		lneg = bneg;
		hneg = a->neg;
	}
	int diff = hi->scale - lo->scale;

	/* Usual case: the aligned operands and their sum fit in 128 bits
	 * (each is below 10^38, their sum below 2^128). */
	if (lo->coef < ten_to[DEC_MAX_DIGITS - diff]) {
		u128 x = lo->coef * ten_to[diff], y = hi->coef, c;
		int neg;

		if (lneg == hneg) {
			c = x + y;
			neg = lneg;
		} else if (x >= y) {
			c = x - y;
			neg = lneg;
		} else {
			c = y - x;
			neg = hneg;
		}
		if (c < COEF_LIMIT) {
			r->coef = c;
			r->scale = hi->scale;
			r->neg = c && neg;
			return DEC_OK;
		}
		return fit(r, u256_from(c), hi->scale, neg);
	}

	u256 x = u256_mul(lo->coef, ten_to[diff]), y = u256_from(hi->coef);
	if (lneg == hneg)
		return fit(r, u256_add(x, y), hi->scale, lneg);
	if (u256_cmp(x, y) >= 0)
		return fit(r, u256_sub(x, y), hi->scale, lneg);
	return fit(r, u256_sub(y, x), hi->scale, hneg);
}

int dec_add(dec_t *r, const dec_t *a, const dec_t *b)
{
	return add(r, a, b, b->neg);
}

int dec_sub(dec_t *r, const dec_t *a, const dec_t *b)
{
	return add(r, a, b, !b->neg && b->coef);
}

int dec_mul(dec_t *r, const dec_t *a, const dec_t *b)
{
	int scale = a->scale + b->scale, neg = a->neg != b->neg;

	if (!(a->coef >> 64) && !(b->coef >> 64) && scale <= DEC_MAX_SCALE) {
		u128 c = (u128)(uint64_t)a->coef * (uint64_t)b->coef;

		if (c < COEF_LIMIT) {
			r->coef = c;
			r->scale = (int16_t)scale;
			r->neg = c && neg;
			return DEC_OK;
		}
	}
	return fit(r, u256_mul(a->coef, b->coef), scale, neg);
}

int dec_cmp(const dec_t *a, const dec_t *b)
{
	int an = a->neg && a->coef, bn = b->neg && b->coef, c;

	if (an != bn)
		return an ? -1 : 1;
	if (a->scale == b->scale) {
		c = a->coef < b->coef ? -1 : a->coef > b->coef;
	} else if (a->scale < b->scale) {
		c = u256_cmp(u256_mul(a->coef, ten_to[b->scale - a->scale]), u256_from(b->coef));
	} else {
		c = u256_cmp(u256_from(a->coef), u256_mul(b->coef, ten_to[a->scale - b->scale]));
	}
	return an ? -c : c;
}

void dec_neg(dec_t *d)
{
	if (d->coef)
		d->neg = !d->neg;
}

int dec_rescale(dec_t *d, int scale)
{
	if (scale < 0 || scale > DEC_MAX_SCALE)
		return DEC_INEXACT;
	if (scale >= d->scale) {
		int diff = scale - d->scale;

		if (d->coef >= ten_to[DEC_MAX_DIGITS - diff])
			return DEC_INEXACT;
		d->coef *= ten_to[diff];
	} else {
		u128 p = ten_to[d->scale - scale];

		if (d->coef % p)
			return DEC_INEXACT;
		d->coef /= p;
	}
	d->scale = (int16_t)scale;
	return DEC_OK;
}

void dec_normalize(dec_t *d)
{
	if (!d->coef) {
		d->scale = 0;
		return;
	}
	while (d->scale > 0 && d->coef % 10 == 0) {
		d->coef /= 10;
		d->scale--;
	}
}

void dec_round(dec_t *d, int scale)
{
	/* Rounding to tens or hundreds could need a 39th digit (38 nines
	 * round up to 10^38), and there is no status to report it: below
	 * zero means to an integer. */
	if (scale < 0)
		scale = 0;
	if (scale >= d->scale)
		return;
	u128 p = ten_to[d->scale - scale];
	u128 q = d->coef / p, rem = d->coef % p;

	/* Half away from zero: up when rem is at least half of p (written
	 * so that nothing is doubled). */
	if (rem >= p - rem)
		q++;
	d->coef = q;
	d->scale = (int16_t)scale;
	if (!q)
		d->neg = 0;
}

/* The decimal digits of c, without leading zeros ("0" for zero), at buf;
 * returns their count.  Below 2^64 the divisions are 64-bit ones; above,
 * one 128-bit division splits the number into two 64-bit halves. */
static size_t format_digits(u128 c, char *buf)
{
	char tmp[DEC_MAX_DIGITS + 2];
	char *p = tmp + sizeof(tmp);
	uint64_t lo;

	if (c >> 64) {
		uint64_t hi = (uint64_t)(c / E19);

		lo = (uint64_t)(c % E19);
		for (int i = 0; i < 19; i++) {
			*--p = (char)('0' + lo % 10);
			lo /= 10;
		}
		lo = hi;
	} else {
		lo = (uint64_t)c;
	}
	do {
		*--p = (char)('0' + lo % 10);
		lo /= 10;
	} while (lo);
	size_t n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(buf, p, n);
	return n;
}

size_t dec_format(const dec_t *d, char *buf)
{
	char dig[DEC_MAX_DIGITS + 2];
	size_t nd = format_digits(d->coef, dig), scale = (size_t)d->scale, o = 0;

	if (d->neg && d->coef)
		buf[o++] = '-';
	if (scale == 0) {
		memcpy(buf + o, dig, nd);
		o += nd;
	} else if (nd > scale) {
		memcpy(buf + o, dig, nd - scale);
		o += nd - scale;
		buf[o++] = '.';
		memcpy(buf + o, dig + nd - scale, scale);
		o += scale;
	} else {
		buf[o++] = '0';
		buf[o++] = '.';
		memset(buf + o, '0', scale - nd);
		o += scale - nd;
		memcpy(buf + o, dig, nd);
		o += nd;
	}
	buf[o] = '\0';
	return o;
}

double dec_to_double(const dec_t *d)
{
	static const double exact10[] = {
		1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
	};
	double v;

	if (d->coef <= ((u128)1 << 53) && d->scale <= 22) {
		/* Both operands are exact doubles, so the one rounding of the
		 * division is the correct rounding of the decimal. */
		v = (double)(uint64_t)d->coef / exact10[d->scale];
	} else {
		/* Digits and an exponent, no point: strtod reads that the
		 * same way whatever LC_NUMERIC says the radix is. */
		char buf[DEC_BUFSZ];
		size_t n = format_digits(d->coef, buf);

		snprintf(buf + n, sizeof(buf) - n, "e-%d", d->scale);
		v = strtod(buf, NULL);
	}
	return d->neg && d->coef ? -v : v;
}

int dec_to_i64(const dec_t *d, int64_t *v)
{
	u128 q = d->coef;

	if (d->scale > 0) {
		u128 p = ten_to[d->scale];

		if (q % p)
			return 0;
		q /= p;
	}
	if (d->neg && q) {
		if (q > (u128)INT64_MAX + 1)
			return 0;
		/* -(q - 1) - 1 reaches INT64_MIN without overflowing. */
		*v = -(int64_t)(q - 1) - 1;
	} else {
		if (q > INT64_MAX)
			return 0;
		*v = (int64_t)q;
	}
	return 1;
}

/* ---- number text of any size ---- */

void dec_text_parse(struct dec_text *m, const char *s, size_t n)
{
	const char *p = s, *e = s + n;
	size_t len;

	m->neg = p < e && *p == '-';
	if (p < e && (*p == '-' || *p == '+'))
		p++;
	m->ip = p;
	while (p < e && is_digit(*p))
		p++;
	m->nint = (size_t)(p - m->ip);
	m->fp = p;
	m->nfrac = 0;
	/* the point: '.', or whatever radix character printf wrote */
	if (p < e && *p != 'e' && *p != 'E') {
		m->fp = ++p;
		while (p < e && is_digit(*p))
			p++;
		m->nfrac = (size_t)(p - m->fp);
	}
	m->eneg = 0;
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			m->eneg = *p++ == '-';
		while (p < e && *p == '0')
			p++;
	}
	m->ep = p;
	m->ne = (size_t)(e - p);
	len = m->nint + m->nfrac;
	for (m->z = 0; m->z < len && dec_text_digit(m, m->z) == '0'; m->z++)
		;
	m->last = len ? len - 1 : 0;
	if (m->z < len)
		while (dec_text_digit(m, m->last) == '0')
			m->last--;
}

int dec_text_place(const struct dec_text *m, size_t i, __int128 *p)
{
	__int128 x = 0;
	int exact = m->ne <= DEC_TEXT_EXP_DIGITS;

	if (exact)
		for (size_t k = 0; k < m->ne; k++)
			x = x * 10 + (m->ep[k] - '0');
	else
		x = (__int128)ten_to[32];
	if (m->eneg)
		x = -x;
	*p = x + (__int128)m->nint - 1 - (__int128)i;
	return exact;
}

/* The exponent of x less that of y, exactly while within +-10^30, else
 * +-10^31.  Digit by digit from the top: once the running difference r
 * passes 10^30, 10 r + (a digit's difference) only moves further out, so
 * its sign is the answer's whatever digits follow. */
static __int128 exp_diff(const struct dec_text *x, const struct dec_text *y)
{
	const __int128 lim = (__int128)ten_to[30];
	size_t n = x->ne > y->ne ? x->ne : y->ne;
	int sx = x->eneg ? -1 : 1, sy = y->eneg ? -1 : 1;
	__int128 r = 0;

	for (size_t i = n; i-- > 0;) {
		int dx = i < x->ne ? x->ep[x->ne - 1 - i] - '0' : 0;
		int dy = i < y->ne ? y->ep[y->ne - 1 - i] - '0' : 0;

		r = r * 10 + sx * dx - sy * dy;
		if (r > lim || r < -lim)
			return r > 0 ? lim * 10 : -lim * 10;
	}
	return r;
}

/* |x| against |y|, both nonzero. */
static int text_mag_cmp(const struct dec_text *x, const struct dec_text *y)
{
	/* the power of ten of the first significant digit decides first; the
	 * digit counts are far below 10^30 */
	__int128 d = exp_diff(x, y) + ((__int128)x->nint - (__int128)x->z) -
		     ((__int128)y->nint - (__int128)y->z);
	size_t i, j;

	if (d)
		return d < 0 ? -1 : 1;
	for (i = x->z, j = y->z; i <= x->last && j <= y->last; i++, j++) {
		char a = dec_text_digit(x, i), b = dec_text_digit(y, j);

		if (a != b)
			return a < b ? -1 : 1;
	}
	/* the one with digits left has a nonzero one among them */
	if (i <= x->last)
		return 1;
	if (j <= y->last)
		return -1;
	return 0;
}

int dec_text_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	struct dec_text x, y;
	int sx, sy, r;

	dec_text_parse(&x, a, na);
	dec_text_parse(&y, b, nb);
	sx = x.z == x.nint + x.nfrac ? 0 : x.neg ? -1 : 1;
	sy = y.z == y.nint + y.nfrac ? 0 : y.neg ? -1 : 1;
	if (sx != sy)
		return sx < sy ? -1 : 1;
	if (sx == 0)
		return 0;
	r = text_mag_cmp(&x, &y);
	return sx < 0 ? -r : r;
}
