/*
 * expr.c - the expression language (expr.h, etl-expr(7)): values, the
 * operators, the parser; the functions are in exprfn.c.
 *
 * Parsing is a recursive descent over a one-token lexer, one function per
 * precedence level.  Nodes live in the expression's own arena and carry the
 * span of source text they came from, so that every message, at parse time
 * or at run time, quotes the part of the expression at fault.  A subtree made
 * only of literals is evaluated once at parse time and replaced by its value
 * (constant folding): that is how "'abc' * 2" becomes a usage error, and why
 * the hot loop never re-decodes a literal.
 *
 * Evaluation invariants:
 * - no malloc: values point into the record (strings without escapes, number
 *   text), into the expression (literals), or into the context's scratch
 *   arena (decoded strings, results);
 * - a number from the record is decoded with dec_parse() when it is read;
 *   it keeps its text in s, and every operation that changes a number clears
 *   s, so val_to_json() prints a number unchanged exactly as it was written;
 * - a number is NUM_DEC whenever its value fits the decimal type exactly,
 *   NUM_BIG (its text) when it is an exact number beyond it, NUM_DBL only
 *   after an operation that cannot be exact (or with an operand that is a
 *   double), and a double is always finite, never -0, and never 0 where
 *   the exact result is not;
 * - comparisons between numbers are exact whatever their kinds.
 */
#include "expr.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "die.h"
#include "dtoa.h"
#include "exprfn.h"
#include "hex.h"
#include "jsonw.h"
#include "mem.h"
#include "timefmt.h"
#include "utf8.h"
#include "banned.h"

typedef unsigned __int128 u128;
typedef __int128 i128;

/* Nesting of parentheses, calls and prefix operators the parser accepts:
 * evaluation recurses as deep, so this bounds its stack too. */
#define MAX_DEPTH 200
/* Height of the tree, which left-associative chains grow without nesting. */
#define MAX_HEIGHT 1000
/* Sums, differences and products beyond the decimal type are computed
 * exactly on digit strings of up to this many digits; beyond, they fail. */
#define MAX_EXACT_DIGITS 2000
/* Powers of ten as struct exact holds them: beyond this one may be
 * saturated (dec_text_place()), and a number that far out is beyond any
 * double anyway. */
#define EXP_HUGE ((i128)1 << 100)
/* A double's exact decimal expansion has at most 767 significant digits. */
#define EXACT_DBL_BUFSZ 800

struct cleanup {
	void (*fn)(void *);
	void *p;
	struct cleanup *next;
};

struct expr {
	char *src;
	struct node *root;
	struct arena mem; /* nodes, literals, folded constants */
	struct cleanup *cleanups;
	struct fref *refs, **refs_tail; /* in order of first appearance */
};

/* ---- fields ---- */

void expr_fields_init(struct expr_fields *f)
{
	f->paths = NULL;
	f->n = f->cap = 0;
}

void expr_fields_release(struct expr_fields *f)
{
	path_list_free(f->paths, f->n);
	expr_fields_init(f);
}

size_t expr_fields_add(struct expr_fields *f, const struct path *p)
{
	struct path *c;

	for (size_t i = 0; i < f->n; i++)
		if (path_eq(&f->paths[i], p))
			return i;
	xgrow(&f->paths, &f->cap, f->n + 1, sizeof(*f->paths));
	c = &f->paths[f->n];
	c->nseg = p->nseg;
	c->seg = xcalloc(p->nseg ? p->nseg : 1, sizeof(*c->seg));
	for (size_t i = 0; i < p->nseg; i++) {
		c->seg[i].s = xstrndup(p->seg[i].s, p->seg[i].n);
		c->seg[i].n = p->seg[i].n;
	}
	c->text = xstrdup(p->text ? p->text : "");
	return f->n++;
}

/* ---- messages ---- */

const char *val_kind_name(const struct val *v)
{
	switch (v->k) {
	case VAL_NULL:
		return "null";
	case VAL_BOOL:
		return "a boolean";
	case VAL_NUM:
		return "a number";
	case VAL_STR:
		return "a string";
	case VAL_TIME:
		return "a time";
	case VAL_JSON:
		return v->s.n && v->s.p[0] == '[' ? "an array" : "an object";
	}
	return "a value";
}

/* 1-based column of byte offset off, counting characters. */
static uint32_t column(const char *src, size_t off)
{
	return 1 + (uint32_t)utf8_count(src, off);
}

/* "<text of the node>: " with long texts shortened on a character boundary. */
static size_t quote_node(char *buf, size_t cap, const char *src, const struct node *n)
{
	size_t len = n->len, max = 60;
	const char *p = src + n->off;
	int cut = 0;

	if (len > max) {
		len = utf8_cut(p, len, max - 3);
		cut = 1;
	}
	return (size_t)snprintf(buf, cap, "%.*s%s: ", (int)len, p, cut ? "..." : "");
}

static void set_msg(struct expr_err *err, const char *src, const struct node *n, const char *fmt,
		    va_list ap)
{
	size_t k = quote_node(err->msg, sizeof(err->msg), src, n);

	if (k < sizeof(err->msg))
		vsnprintf(err->msg + k, sizeof(err->msg) - k, fmt, ap);
	err->col = column(src, n->coff);
}

int ev_fail(struct ev *ev, const struct node *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_msg(ev->err, ev->src, n, fmt, ap);
	va_end(ap);
	return -1;
}

int expr_node_error(struct expr *e, const struct node *n, struct expr_err *err, const char *fmt,
		    ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_msg(err, e->src, n, fmt, ap);
	va_end(ap);
	return -1;
}

void expr_on_free(struct expr *e, void (*fn)(void *), void *p)
{
	struct cleanup *c = xmalloc(sizeof(*c));

	c->fn = fn;
	c->p = p;
	c->next = e->cleanups;
	e->cleanups = c;
}

/* ---- values from JSON text ---- */

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The usual number of a record, "19.99" or "-3": at most 19 digits and no
 * exponent, read into 64 bits.  The text is valid JSON already (checked by
 * the scanner, the lexer or dec_parse), so only its shape is looked at; the
 * result is the one dec_parse() gives, at a fraction of its cost.
 */
static int plain_decimal(dec_t *d, const char *p, size_t n)
{
	const char *end = p + n;
	uint64_t c = 0;
	int neg = 0, scale = -1, digits = 0;

	if (n > 20 || n == 0)
		return 0;
	if (*p == '-')
		neg = 1, p++;
	for (; p < end; p++) {
		unsigned x = (unsigned)(unsigned char)*p - '0';

		if (x < 10) {
			c = c * 10 + x;
			digits++;
			scale += scale >= 0;
		} else if (*p == '.' && scale < 0) {
			scale = 0;
		} else {
			return 0;
		}
	}
	if (!digits || digits > 19)
		return 0;
	d->coef = c;
	d->scale = (int16_t)(scale < 0 ? 0 : scale);
	d->neg = neg && c;
	return 1;
}

/* JSON number text as a val that keeps its text, given what dec_parse()
 * made of it (rc; v->d when DEC_OK). */
static void number_keep_text(struct val *v, int rc, const char *p, size_t n)
{
	v->k = VAL_NUM;
	v->s.p = p;
	v->s.n = n;
	if (rc == DEC_OK)
		v->nk = NUM_DEC;
	else if (rc == DEC_INEXACT)
		v->nk = NUM_BIG;
	else
		v->k = VAL_NULL; /* not JSON: a caller's bug, read as missing */
}

/* JSON number text (already valid) as a val that keeps its text. */
static void number_from_json(struct val *v, const char *p, size_t n)
{
	number_keep_text(v, plain_decimal(&v->d, p, n) ? DEC_OK : dec_parse(&v->d, p, n), p, n);
}

void expr_ctx_init(struct expr_ctx *ctx, struct span (*field)(void *arg, size_t idx), void *arg,
		   struct arena *scratch)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ctx->field = field;
	ctx->arg = arg;
	ctx->scratch = scratch;
	ctx->now_us = (int64_t)ts.tv_sec * TIMEFMT_US_PER_SEC + ts.tv_nsec / 1000;
}

void val_copy(struct val *dst, const struct val *src, struct buf *store)
{
	*dst = *src;
	/* only these kinds use s; in the others it is left unset */
	if ((src->k == VAL_STR || src->k == VAL_JSON || src->k == VAL_NUM) && src->s.p) {
		size_t at = store->len;

		buf_add(store, src->s.p, src->s.n);
		dst->s.p = store->p + at;
	}
}

void val_from_json(struct val *v, struct span raw, struct arena *a)
{
	const char *p = raw.p;
	size_t n = raw.n;

	if (!p) {
		v->k = VAL_NULL;
		return;
	}
	while (n && is_blank(*p))
		p++, n--;
	while (n && is_blank(p[n - 1]))
		n--;
	if (!n) {
		v->k = VAL_NULL;
		return;
	}
	switch (*p) {
	case 'n':
		v->k = VAL_NULL;
		return;
	case 't':
		val_set_bool(v, 1);
		return;
	case 'f':
		val_set_bool(v, 0);
		return;
	case '[':
	case '{':
		v->k = VAL_JSON;
		v->s.p = p;
		v->s.n = n;
		return;
	case '"':
		if (n < 2) {
			v->k = VAL_NULL;
			return;
		}
		p++;
		n -= 2;
		if (!memchr(p, '\\', n)) {
			val_set_str(v, p, n);
		} else {
			char *o = arena_alloc(a, n);

			val_set_str(v, o, scan_unescape_to(o, p, n));
		}
		return;
	default:
		number_from_json(v, p, n);
		return;
	}
}

/* ---- values to JSON text ---- */

void val_to_json(struct buf *b, const struct val *v)
{
	char tmp[TIMEFMT_ISO_BUFSZ + 2];

	switch (v->k) {
	case VAL_NULL:
		buf_add(b, "null", 4);
		break;
	case VAL_BOOL:
		v->b ? buf_add(b, "true", 4) : buf_add(b, "false", 5);
		break;
	case VAL_NUM:
		if (v->s.p)
			buf_add(b, v->s.p, v->s.n);
		else if (v->nk == NUM_DEC)
			jw_decimal(b, &v->d);
		else
			jw_double(b, v->f);
		break;
	case VAL_STR:
		jw_string(b, v->s.p, v->s.n);
		break;
	case VAL_TIME:
		tmp[0] = '"';
		size_t k = timefmt_iso(v->t_us, v->t_off, tmp + 1);
		tmp[k + 1] = '"';
		buf_add(b, tmp, k + 2);
		break;
	case VAL_JSON:
		buf_add(b, v->s.p, v->s.n);
		break;
	}
}

int val_true(const struct val *v)
{
	return v->k == VAL_BOOL && v->b;
}

/* ---- numbers ---- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static double text_to_double(const char *p, size_t n);

double val_num_double(const struct val *v)
{
	switch (v->nk) {
	case NUM_DEC:
		return dec_to_double(&v->d);
	case NUM_DBL:
		return v->f;
	case NUM_BIG:
		return text_to_double(v->s.p, v->s.n);
	}
	return 0;
}

struct span val_num_text(const struct val *v, struct arena *a)
{
	struct span r;
	char *p;

	if (v->s.p)
		return v->s;
	p = arena_alloc(a, DEC_BUFSZ > DTOA_BUFSZ ? DEC_BUFSZ : DTOA_BUFSZ);
	r.p = p;
	if (v->nk == NUM_DEC) {
		r.n = dec_format(&v->d, p);
	} else {
		r.n = dtoa_shortest(v->f, p);
		if (!r.n) {
			r.p = "null";
			r.n = 4;
		}
	}
	return r;
}

int val_parse_number(struct val *v, const char *p, size_t n)
{
	int rc;

	while (n && is_blank(*p))
		p++, n--;
	while (n && is_blank(p[n - 1]))
		n--;
	rc = dec_parse(&v->d, p, n);
	if (rc != DEC_SYNTAX) {
		/* JSON number text: keep it as written. */
		number_keep_text(v, rc, p, n);
		return 0;
	}
	rc = dec_parse_lenient(&v->d, p, n);
	if (rc == DEC_OK) {
		val_set_dec(v, &v->d);
		return 0;
	}
	if (rc == DEC_INEXACT) {
		double f = text_to_double(p, n);

		if (!isfinite(f))
			return -1;
		val_set_dbl(v, f);
		return 0;
	}
	return -1;
}

int val_as_i64(const struct val *v, int64_t *out)
{
	if (v->k != VAL_NUM)
		return 0;
	if (v->nk == NUM_DEC)
		return dec_to_i64(&v->d, out);
	if (v->nk == NUM_DBL && v->f == trunc(v->f) && fabs(v->f) < 9.2e18) {
		*out = (int64_t)v->f;
		return 1;
	}
	return 0;
}

/*
 * Number text of any length to the correctly rounded double, whatever the
 * locale's radix: rewritten as "DIGITSe-N" for strtod.  Digits beyond the
 * 780th cannot change the rounding except to break a tie, which a last
 * nonzero digit does (a double's exact halfway points have fewer digits).
 */
static double text_to_double(const char *p, size_t n)
{
	char buf[820];
	struct dec_text m;
	size_t k = 0, first;
	i128 top;

	dec_text_parse(&m, p, n);
	if (m.z == m.nint + m.nfrac)
		return m.neg ? -0.0 : 0.0;
	dec_text_place(&m, m.z, &top);
	if (top >= 400)
		return m.neg ? -HUGE_VAL : HUGE_VAL;
	if (top < -400)
		return m.neg ? -0.0 : 0.0;
	if (m.neg)
		buf[k++] = '-';
	first = k;
	for (size_t i = m.z; i <= m.last; i++) {
		char d = dec_text_digit(&m, i);

		if (k - first < 780) {
			buf[k++] = d;
		} else if (d != '0') {
			buf[k++] = '1';
			break;
		}
	}
	snprintf(buf + k, sizeof(buf) - k, "e%lld", (long long)(top - (i128)(k - first - 1)));
	return strtod(buf, NULL);
}

/* The exact decimal text of a number, in buf (EXACT_DBL_BUFSZ bytes) when
 * it has to be written out. */
static struct span exact_text(const struct val *v, char *buf)
{
	struct span s;

	if (v->nk == NUM_BIG)
		return v->s;
	s.p = buf;
	if (v->nk == NUM_DEC)
		s.n = dec_format(&v->d, buf);
	else
		s.n = (size_t)snprintf(buf, EXACT_DBL_BUFSZ, "%.766e", v->f);
	return s;
}

/* Exact comparison by text, for big numbers and for a decimal and a double
 * that round to the same double: rare, so its buffers stay off the common
 * path's stack. */
static __attribute__((noinline)) int num_cmp_text(const struct val *a, const struct val *b)
{
	char ba[EXACT_DBL_BUFSZ], bb[EXACT_DBL_BUFSZ];
	struct span sa = exact_text(a, ba), sb = exact_text(b, bb);

	return dec_text_cmp(sa.p, sa.n, sb.p, sb.n);
}

static int num_cmp(const struct val *a, const struct val *b)
{
	if (a->nk == NUM_DEC && b->nk == NUM_DEC)
		return dec_cmp(&a->d, &b->d);
	if (a->nk == NUM_DBL && b->nk == NUM_DBL)
		return a->f < b->f ? -1 : a->f > b->f;
	if (a->nk != NUM_BIG && b->nk != NUM_BIG) {
		/* A decimal and a double: rounding is monotonic, so doubles
		 * that differ order the exact values alike. */
		double x = a->nk == NUM_DEC ? dec_to_double(&a->d) : a->f;
		double y = b->nk == NUM_DEC ? dec_to_double(&b->d) : b->f;

		if (x != y)
			return x < y ? -1 : 1;
	}
	if (a->nk == NUM_DBL && isinf(a->f))
		return a->f < 0 ? -1 : 1;
	if (b->nk == NUM_DBL && isinf(b->f))
		return b->f < 0 ? 1 : -1;
	return num_cmp_text(a, b);
}

/* A number as +-D x 10^E, D its digits: for arithmetic beyond the
 * decimal type.  0 if v is a double, which has no exact digits here.  E is
 * exact unless the number's exponent has more than DEC_TEXT_EXP_DIGITS
 * digits; then it is saturated (dec_text_place()), beyond EXP_HUGE. */
struct exact {
	const char *d;
	size_t n;
	int neg;
	i128 e;
};

static int exact_of(const struct val *v, char *buf, struct arena *ar, struct exact *x)
{
	if (v->nk == NUM_DEC) {
		dec_t t = v->d;

		t.scale = 0;
		t.neg = 0;
		x->n = dec_format(&t, buf);
		x->d = buf;
		x->neg = v->d.neg;
		x->e = -v->d.scale;
		return 1;
	}
	if (v->nk == NUM_BIG) {
		struct dec_text m;
		char *o = arena_alloc(ar, v->s.n + 1);
		size_t k = 0;

		dec_text_parse(&m, v->s.p, v->s.n);
		x->d = o;
		if (m.z == m.nint + m.nfrac) {
			o[0] = '0';
			x->n = 1;
			x->neg = 0;
			x->e = 0;
			return 1;
		}
		for (size_t i = m.z; i <= m.last; i++)
			o[k++] = dec_text_digit(&m, i);
		x->n = k;
		x->neg = m.neg;
		dec_text_place(&m, m.last, &x->e);
		return 1;
	}
	return 0;
}

/* Digit k (0 = units) of x written at exponent e <= x->e. */
static int aligned_digit(const struct exact *x, i128 e, int64_t k)
{
	i128 i = k - (x->e - e);

	return i >= 0 && i < (int64_t)x->n ? x->d[x->n - 1 - i] - '0' : 0;
}

static void fraction_text(struct arena *ar, const char *r, size_t nr, int neg, i128 e,
			  struct val *v);

/* "e" and the exponent e (any i128) at o, which has room for 42 bytes;
 * returns the length. */
static size_t exp_text(char *o, i128 e)
{
	char t[40];
	u128 m = e < 0 ? -(u128)e : (u128)e;
	size_t k = 0, n = 0;

	o[k++] = 'e';
	if (e < 0)
		o[k++] = '-';
	do
		t[n++] = (char)('0' + (int)(m % 10));
	while ((m /= 10) != 0);
	while (n)
		o[k++] = t[--n];
	return k;
}

/*
 * Store the exact value +-r x 10^e (r: nr digits, maybe with leading
 * zeros): a decimal when it fits the decimal type, else its exact text: an
 * integer in plain digits up to MAX_EXACT_DIGITS of them, a fraction as
 * fraction_text() writes it, a larger integer as digits and an exponent.
 * Never a double: nothing is rounded, however small or large the value.
 */
static void exact_result(struct arena *ar, char *r, size_t nr, int neg, i128 e, struct val *v)
{
	dec_t d;
	size_t fit;
	i128 fe = e;

	while (nr > 1 && *r == '0')
		r++, nr--;
	if (nr == 1 && *r == '0') {
		dec_from_i64(&d, 0);
		val_set_dec(v, &d);
		return;
	}
	fit = nr;
	while (fe < 0 && (fit > DEC_MAX_DIGITS || fe < -DEC_MAX_SCALE) && r[fit - 1] == '0')
		fit--, fe++;
	if (fit <= DEC_MAX_DIGITS && fe <= 0 && fe >= -DEC_MAX_SCALE) {
		dec_parse(&d, r, fit);
		d.scale = (int16_t)-fe;
		d.neg = (uint8_t)neg;
		val_set_dec(v, &d);
		return;
	}
	if (fe < 0) {
		fraction_text(ar, r, nr, neg, e, v);
		return;
	}
	/* an integer */
	nr = fit;
	e = fe;
	int plain = (i128)nr + e <= MAX_EXACT_DIGITS;
	char *o = arena_alloc(ar, (plain ? nr + (size_t)e : nr + 48) + 2), *q = o;

	if (!plain)
		while (nr > 1 && r[nr - 1] == '0')
			nr--, e++;
	if (neg)
		*q++ = '-';
	memcpy(q, r, nr);
	q += nr;
	if (plain) {
		memset(q, '0', (size_t)e);
		q += (size_t)e;
	} else if (e) {
		q += exp_text(q, e);
	}
	v->k = VAL_NUM;
	v->nk = NUM_BIG;
	v->s.p = o;
	v->s.n = (size_t)(q - o);
}

/* Why exact_arith() could not: */
enum {
	EXACT_DOUBLE = 1, /* an operand is a double: the caller computes in double */
	EXACT_DIGITS,     /* the operands, aligned, have more than MAX_EXACT_DIGITS digits */
	EXACT_EXPONENT,   /* an exponent is beyond EXP_HUGE */
};

/*
 * Add, subtract or multiply exactly on digit strings: for operands or
 * results beyond the decimal type.  Returns 0 when done, or why not.
 */
static int exact_arith(struct arena *ar, int op, const struct val *a, const struct val *b,
		       struct val *out)
{
	char ba[DEC_BUFSZ], bb[DEC_BUFSZ];
	struct exact x, y;
	size_t nr;
	char *r;

	if (!exact_of(a, ba, ar, &x) || !exact_of(b, bb, ar, &y))
		return EXACT_DOUBLE;
	/* a saturated exponent is not exact */
	if (x.e > EXP_HUGE || x.e < -EXP_HUGE || y.e > EXP_HUGE || y.e < -EXP_HUGE)
		return EXACT_EXPONENT;
	if (op == OP_SUB)
		y.neg = !y.neg;
	if (op == OP_MUL) {
		if (x.n + y.n > MAX_EXACT_DIGITS)
			return EXACT_DIGITS;
		nr = x.n + y.n;
		uint32_t *acc = arena_alloc(ar, nr * sizeof(*acc));
		memset(acc, 0, nr * sizeof(*acc));
		for (size_t i = 0; i < x.n; i++)
			for (size_t j = 0; j < y.n; j++)
				acc[i + j + 1] +=
					(uint32_t)(x.d[i] - '0') * (uint32_t)(y.d[j] - '0');
		r = arena_alloc(ar, nr);
		uint32_t carry = 0;
		for (size_t k = nr; k-- > 0;) {
			uint32_t t = acc[k] + carry;

			r[k] = (char)('0' + t % 10);
			carry = t / 10;
		}
		exact_result(ar, r, nr, x.neg != y.neg, x.e + y.e, out);
		return 0;
	}

	i128 e = x.e < y.e ? x.e : y.e;
	i128 lx = (i128)x.n + (x.e - e), ly = (i128)y.n + (y.e - e);
	if (lx > MAX_EXACT_DIGITS || ly > MAX_EXACT_DIGITS)
		return EXACT_DIGITS;
	nr = (size_t)(lx > ly ? lx : ly) + 1;
	r = arena_alloc(ar, nr);
	if (x.neg == y.neg) {
		int carry = 0;

		for (size_t k = 0; k < nr; k++) {
			int t = aligned_digit(&x, e, (int64_t)k) +
				aligned_digit(&y, e, (int64_t)k) + carry;

			r[nr - 1 - k] = (char)('0' + t % 10);
			carry = t / 10;
		}
		exact_result(ar, r, nr, x.neg, e, out);
		return 0;
	}
	/* Different signs: the larger magnitude less the smaller. */
	int c = 0;
	for (size_t k = nr; k-- > 0 && !c;)
		c = aligned_digit(&x, e, (int64_t)k) - aligned_digit(&y, e, (int64_t)k);
	const struct exact *big = c >= 0 ? &x : &y, *small = c >= 0 ? &y : &x;
	int borrow = 0;
	for (size_t k = 0; k < nr; k++) {
		int t = aligned_digit(big, e, (int64_t)k) - aligned_digit(small, e, (int64_t)k) -
			borrow;

		borrow = t < 0;
		r[nr - 1 - k] = (char)('0' + (t + 10) % 10);
	}
	exact_result(ar, r, nr, big->neg, e, out);
	return 0;
}

/*
 * The exact value +-r x 10^e, e < 0, as number text: for a fraction beyond
 * the decimal type.  Plain notation
 * ("123456789012345678901234567890123456789012.56", the zeros at the end
 * kept as the scale) unless more than DEC_MAX_SCALE zeros would follow the
 * point: then the digits and an exponent ("2e-1000").
 */
static void fraction_text(struct arena *ar, const char *r, size_t nr, int neg, i128 e,
			  struct val *v)
{
	size_t k = 0, nint, cap;
	char *o;

	while (nr > 1 && *r == '0')
		r++, nr--;
	cap = nr + 2 * DEC_MAX_SCALE + 32;
	o = arena_alloc(ar, cap);
	if (neg)
		o[k++] = '-';
	if (-e - (i128)nr > DEC_MAX_SCALE) {
		memcpy(o + k, r, nr);
		k += nr;
		k += exp_text(o + k, e);
	} else {
		size_t frac = (size_t)-e;

		nint = nr > frac ? nr - frac : 0;
		memcpy(o + k, nint ? r : "0", nint ? nint : 1);
		k += nint ? nint : 1;
		o[k++] = '.';
		for (size_t z = nr - nint; z < frac; z++)
			o[k++] = '0';
		memcpy(o + k, r + nint, nr - nint);
		k += nr - nint;
	}
	v->k = VAL_NUM;
	v->nk = NUM_BIG;
	v->s.p = o;
	v->s.n = k;
}

int num_round(struct ev *ev, const struct node *n, const struct val *v, int64_t digits,
	      enum round_mode mode, struct val *out)
{
	char buf[DEC_BUFSZ];
	struct exact x;
	i128 t = -(i128)digits; /* the power of ten of the last digit kept */
	size_t keep, i;
	int up = 0, rest = 0;
	char *r;

	if (!exact_of(v, buf, ev->a, &x))
		return ev_fail(ev, n, "a double has no exact digits to round");
	if (x.e >= t) {
		/* nothing below 10^t: as it is, and as it was written */
		*out = *v;
		return 0;
	}
	/* Cut the digits below 10^t: the last t - x.e of them, which may be
	 * all of them and more (then the first one cut is a 0). */
	keep = t - x.e < (i128)x.n ? x.n - (size_t)(t - x.e) : 0;
	for (i = keep; i < x.n && !rest; i++)
		rest = x.d[i] != '0';
	switch (mode) {
	case ROUND_DOWN:
		up = rest && x.neg;
		break;
	case ROUND_UP:
		up = rest && !x.neg;
		break;
	case ROUND_TRUNC:
		break;
	case ROUND_HALF_AWAY:
		up = t - x.e <= (i128)x.n && x.d[keep] >= '5';
		break;
	}
	r = arena_alloc(ev->a, keep + 1);
	r[0] = '0'; /* room for a carry */
	memcpy(r + 1, x.d, keep);
	for (i = keep + 1; up && i-- > 0;) {
		up = r[i] == '9';
		r[i] = up ? '0' : (char)(r[i] + 1);
	}
	exact_result(ev->a, r, keep + 1, x.neg, t, out);
	return 0;
}

static u128 pow10_u128(int k)
{
	u128 p = 1;

	while (k-- > 0)
		p *= 10;
	return p;
}

/*
 * a / b exactly when the quotient has at most 38 digits and scale 38, else
 * DEC_INEXACT.  Long division: the integer quotient, then one digit at a
 * time until the remainder is zero.  The scale is what the value needs, but
 * at least the dividend's scale less the divisor's (10.00 / 4 = 2.50).
 */
static int dec_div(dec_t *r, const dec_t *a, const dec_t *b)
{
	const u128 limit = pow10_u128(DEC_MAX_DIGITS), top = limit / 10;
	u128 ca = a->coef, cb = b->coef, q, rem;
	int e = b->scale - a->scale, k = 0, scale;

	while (cb % 10 == 0) {
		cb /= 10;
		e--;
	}
	q = ca / cb;
	rem = ca % cb;
	while (rem) {
		if (q >= top || rem > ~(u128)0 / 10)
			return DEC_INEXACT;
		rem *= 10;
		q = q * 10 + rem / cb;
		rem %= cb;
		k++;
	}
	scale = k - e;
	if (scale < 0) {
		if (q && q >= limit / pow10_u128(-scale > DEC_MAX_DIGITS ? DEC_MAX_DIGITS : -scale))
			return DEC_INEXACT;
		q *= pow10_u128(-scale);
		scale = 0;
	}
	while (scale > DEC_MAX_SCALE && q % 10 == 0) {
		q /= 10;
		scale--;
	}
	if (scale > DEC_MAX_SCALE)
		return DEC_INEXACT;
	r->coef = q;
	r->scale = (int16_t)scale;
	r->neg = q && a->neg != b->neg;
	if (a->scale - b->scale > scale)
		dec_rescale(r, a->scale - b->scale); /* leaves r as it was if it cannot */
	return DEC_OK;
}

/* a % b with the sign of a, exactly when both align to one scale. */
static int dec_mod(dec_t *r, const dec_t *a, const dec_t *b)
{
	dec_t x = *a, y = *b;
	int s = a->scale > b->scale ? a->scale : b->scale;

	if (dec_rescale(&x, s) != DEC_OK || dec_rescale(&y, s) != DEC_OK)
		return DEC_INEXACT;
	r->coef = x.coef % y.coef;
	r->scale = (int16_t)s;
	r->neg = r->coef && a->neg;
	return DEC_OK;
}

/* a * b mod m for a, b < m < 2^126, without overflow: doubling. */
static u128 mulmod(u128 a, u128 b, u128 m)
{
	u128 r = 0;

	for (; b; b >>= 1) {
		if (b & 1)
			r = (r + a) % m;
		a = (a << 1) % m;
	}
	return r;
}

/*
 * a % b exactly, with the sign of a, for numbers that are not doubles: both
 * are written at the smaller of their exponents, and a's digits are reduced
 * modulo b's, which must then have at most 37 digits (a's trailing zeros by
 * squaring, so 1e400 % 3 costs a few hundred steps).  1 when it cannot.
 */
static int exact_mod(struct arena *ar, const struct val *a, const struct val *b, struct val *out)
{
	char ba[DEC_BUFSZ], bb[DEC_BUFSZ], *r;
	struct exact x, y;
	u128 m = 0, rem = 0, p10, f = 1;
	i128 e, k;
	size_t nr = 0;
	char t[40];

	if (!exact_of(a, ba, ar, &x) || !exact_of(b, bb, ar, &y))
		return 1;
	if (x.e > EXP_HUGE || x.e < -EXP_HUGE || y.e > EXP_HUGE || y.e < -EXP_HUGE)
		return 1;
	if (x.e + (i128)x.n < y.e + (i128)y.n) {
		/* |a| < |b|: a is its own remainder, however far apart they are */
		*out = *a;
		return 0;
	}
	while (y.n > 1 && y.d[y.n - 1] == '0')
		y.n--, y.e++;
	e = x.e < y.e ? x.e : y.e;
	if ((i128)y.n + (y.e - e) > 37)
		return 1;
	for (size_t i = 0; i < y.n; i++)
		m = m * 10 + (unsigned)(y.d[i] - '0');
	for (k = y.e - e; k > 0; k--)
		m *= 10;
	if (!m)
		return 1;
	for (size_t i = 0; i < x.n; i++)
		rem = (rem * 10 + (unsigned)(x.d[i] - '0')) % m;
	p10 = 10 % m;
	for (k = x.e - e; k > 0; k >>= 1) {
		if (k & 1)
			f = mulmod(f, p10, m);
		p10 = mulmod(p10, p10, m);
	}
	rem = mulmod(rem, f, m);
	do
		t[nr++] = (char)('0' + (int)(rem % 10));
	while ((rem /= 10) != 0);
	r = arena_alloc(ar, nr);
	for (size_t i = 0; i < nr; i++)
		r[i] = t[nr - 1 - i];
	exact_result(ar, r, nr, x.neg && !(nr == 1 && r[0] == '0'), e, out);
	return 0;
}

static int is_zero(const struct val *v)
{
	switch (v->nk) {
	case NUM_DEC:
		return v->d.coef == 0;
	case NUM_DBL:
		return v->f == 0;
	case NUM_BIG:
		return 0; /* zero always fits the decimal type */
	}
	return 0;
}

/*
 * a / b exactly when an operand is beyond the decimal type (dec_div() does
 * the rest), the divisor has at most 37 significant digits and the
 * quotient is a finite decimal: long division, which for a divisor below
 * 10^37 < 2^123 ends within 123 digits past the dividend's when it ends at
 * all (what is left of the divisor must divide a power of ten).
 * 1 when it cannot: the caller computes in double.
 */
static int exact_div(struct arena *ar, const struct val *a, const struct val *b, struct val *out)
{
	char ba[DEC_BUFSZ], bb[DEC_BUFSZ], *r;
	struct exact x, y;
	u128 m = 0, rem = 0;
	size_t k = 0, extra = 0;

	if (a->nk != NUM_BIG && b->nk != NUM_BIG)
		return 1;
	if (!exact_of(a, ba, ar, &x) || !exact_of(b, bb, ar, &y))
		return 1;
	if (x.e > EXP_HUGE || x.e < -EXP_HUGE || y.e > EXP_HUGE || y.e < -EXP_HUGE)
		return 1;
	while (y.n > 1 && y.d[y.n - 1] == '0')
		y.n--, y.e++;
	if (y.n > 37 || x.n > MAX_EXACT_DIGITS)
		return 1;
	for (size_t i = 0; i < y.n; i++)
		m = m * 10 + (unsigned)(y.d[i] - '0');
	r = arena_alloc(ar, x.n + 123);
	for (size_t i = 0; i < x.n; i++) {
		rem = rem * 10 + (unsigned)(x.d[i] - '0');
		r[k++] = (char)('0' + (int)(rem / m));
		rem %= m;
	}
	while (rem && extra < 123) {
		rem *= 10;
		r[k++] = (char)('0' + (int)(rem / m));
		rem %= m;
		extra++;
	}
	if (rem)
		return 1;
	exact_result(ar, r, k, x.neg != y.neg, x.e - y.e - (i128)extra, out);
	return 0;
}

/* A number that is not 0 but that a double holds only as 0 or infinity,
 * or as a subnormal, with fewer digits than a double has. */
static int beyond_double(const struct val *v, double f)
{
	return v->nk != NUM_DBL && (isinf(f) || fabs(f) < DBL_MIN) && !is_zero(v);
}

/* The leading digits of x (19 of them at most, which a long double holds
 * exactly) as m, and the power of ten p that scales it: x ~ m x 10^p. */
static long double leading(const struct exact *x, i128 *p)
{
	long double m = 0;
	size_t k = x->n < 19 ? x->n : 19;

	for (size_t i = 0; i < k; i++)
		m = m * 10 + (x->d[i] - '0');
	*p = x->e + (i128)(x->n - k);
	return x->neg ? -m : m;
}

/*
 * a / b in double for two numbers that are not doubles, one of them beyond
 * a double's range (1e-400 / 3e-400): the leading digits are divided in
 * long double and the powers of ten subtracted, then the quotient is read
 * back as one number, so it is right (to the last bit, but for rare ties)
 * whenever a double can hold it.
 */
static double scaled_div(struct arena *ar, const struct val *a, const struct val *b)
{
	char ba[DEC_BUFSZ], bb[DEC_BUFSZ], t[96];
	struct exact x, y;
	i128 px, py, e;
	long double q;
	char *ep;
	int k;

	exact_of(a, ba, ar, &x);
	exact_of(b, bb, ar, &y);
	q = leading(&x, &px) / leading(&y, &py);
	e = px - py;
	if (e > 1000 || e < -1000)
		return e > 0 ? (q < 0 ? -HUGE_VAL : HUGE_VAL) : 0;
	snprintf(t, sizeof(t), "%.21Le", q);
	ep = strchr(t, 'e');
	if (!ep)
		return (double)q;
	e += strtol(ep + 1, NULL, 10);
	k = (int)(ep - t);
	snprintf(t + k, sizeof(t) - (size_t)k, "e%d", (int)e);
	return strtod(t, NULL);
}

static int num_arith(struct ev *ev, const struct node *n, const struct val *a, const struct val *b,
		     struct val *out)
{
	int op = n->op, rc = DEC_INEXACT;
	struct val za, zb;
	dec_t r;

	if ((op == OP_DIV || op == OP_MOD) && is_zero(b))
		return ev_fail(ev, n, "division by zero");
	if (a->nk == NUM_DEC && b->nk == NUM_DEC) {
		switch (op) {
		case OP_ADD:
			rc = dec_add(&r, &a->d, &b->d);
			break;
		case OP_SUB:
			rc = dec_sub(&r, &a->d, &b->d);
			break;
		case OP_MUL:
			rc = dec_mul(&r, &a->d, &b->d);
			break;
		case OP_DIV:
			rc = dec_div(&r, &a->d, &b->d);
			break;
		case OP_MOD:
			rc = dec_mod(&r, &a->d, &b->d);
			break;
		}
		if (rc == DEC_OK) {
			val_set_dec(out, &r);
			return 0;
		}
	}
	/* A double 0 is exactly 0: with a number a double cannot hold, the
	 * sum or product is exact (0.0 + 1e-400 is not 0). */
	if (a->nk == NUM_DBL && a->f == 0 && beyond_double(b, val_num_double(b))) {
		dec_from_i64(&r, 0);
		val_set_dec(&za, &r);
		a = &za;
	}
	if (b->nk == NUM_DBL && b->f == 0 && beyond_double(a, val_num_double(a))) {
		dec_from_i64(&r, 0);
		val_set_dec(&zb, &r);
		b = &zb;
	}
	if (op == OP_ADD || op == OP_SUB || op == OP_MUL) {
		switch (exact_arith(ev->a, op, a, b, out)) {
		case 0:
			return 0;
		case EXACT_DIGITS:
			return ev_fail(ev, n, "the exact result needs more than %d digits",
				       MAX_EXACT_DIGITS);
		case EXACT_EXPONENT:
			return ev_fail(ev, n, "an exponent is too large for exact arithmetic");
		}
	}
	if (op == OP_MOD && exact_mod(ev->a, a, b, out) == 0)
		return 0;
	if (op == OP_DIV && exact_div(ev->a, a, b, out) == 0)
		return 0;

	double x = val_num_double(a), y = val_num_double(b), f = 0;
	switch (op) {
	case OP_ADD:
		f = x + y;
		break;
	case OP_SUB:
		f = x - y;
		break;
	case OP_MUL:
		f = x * y;
		break;
	case OP_DIV:
		if (a->nk != NUM_DBL && b->nk != NUM_DBL &&
		    (beyond_double(a, x) || beyond_double(b, y)))
			f = scaled_div(ev->a, a, b);
		else
			f = x / y;
		break;
	case OP_MOD:
		if (b->nk == NUM_DBL && x == 0 && beyond_double(a, x)) {
			/* |a| is below every double but 0, so below |b| */
			*out = *a;
			return 0;
		}
		f = fmod(x, y);
		if (!isfinite(f))
			return ev_fail(ev, n,
				       "the remainder of a number beyond a double's range "
				       "by a double cannot be computed");
		break;
	}
	if (!isfinite(f))
		return ev_fail(ev, n, "the result is too large for a number");
	/* a product or quotient of numbers that are not 0 is not 0 */
	if (f == 0 && (op == OP_MUL || op == OP_DIV) && !is_zero(a) && !is_zero(b))
		return ev_fail(ev, n, "the result is too small for a number");
	val_set_dbl(out, f);
	return 0;
}

/* Seconds (a number) as microseconds, rounded half away from zero. */
static int seconds_to_us(const struct val *v, int64_t *us)
{
	static const dec_t million = {1000000, 0, 0};
	dec_t m;

	if (v->nk == NUM_DEC) {
		if (dec_mul(&m, &v->d, &million) != DEC_OK)
			return 0;
		if (m.scale > 0)
			dec_round(&m, 0);
		return dec_to_i64(&m, us);
	}
	if (v->nk != NUM_DBL)
		return 0;
	double f = v->f * 1e6;
	if (!(fabs(f) < 9e18))
		return 0;
	*us = (int64_t)llround(f);
	return 1;
}

static void set_seconds(struct val *out, int64_t us)
{
	dec_t d;

	d.neg = us < 0;
	d.coef = us < 0 ? 0 - (uint64_t)us : (uint64_t)us;
	d.scale = 6;
	dec_normalize(&d);
	val_set_dec(out, &d);
}

static const char *verb(int op)
{
	switch (op) {
	case OP_ADD:
		return "add";
	case OP_SUB:
		return "subtract";
	case OP_MUL:
		return "multiply";
	case OP_DIV:
		return "divide";
	default:
		return "take the remainder of";
	}
}

/* The operand arithmetic refused, for its message: a string with its value
 * (cut to 40 characters), anything else by its kind.  An empty string is
 * most often a CSV cell: the hint says how to read it as null. */
static void operand_name(struct buf *m, const struct val *v)
{
	size_t k;

	if (v->k != VAL_STR) {
		buf_adds(m, val_kind_name(v));
		return;
	}
	k = utf8_cut(v->s.p, v->s.n, 40);
	buf_adds(m, "the string ");
	jw_string(m, v->s.p, k);
	if (k < v->s.n)
		buf_adds(m, "...");
}

static const char *operand_hint(const struct val *v)
{
	return v->k == VAL_STR && !v->s.n ? " (etl-from-csv --null '' reads empty cells as null)"
					  : "";
}

/* Fail with "cannot VERB OPERAND[ and a number][ (hint)]". */
static int arith_fail(struct ev *ev, const struct node *n, const char *verb_s,
		      const struct val *bad, const char *tail)
{
	struct buf m = BUF_INIT;
	int rc;

	operand_name(&m, bad);
	rc = ev_fail(ev, n, "cannot %s %s%s%s", verb_s, m.p, tail, operand_hint(bad));
	buf_release(&m);
	return rc;
}

static int arith(struct ev *ev, const struct node *n, const struct val *a, const struct val *b,
		 struct val *out)
{
	int op = n->op;
	int64_t t1, t2, d;
	int32_t o1, o2;

	if (a->k == VAL_NULL || b->k == VAL_NULL) {
		val_set_null(out);
		return 0;
	}
	if (a->k == VAL_NUM && b->k == VAL_NUM)
		return num_arith(ev, n, a, b, out);
	if (op == OP_ADD && a->k == VAL_STR && b->k == VAL_STR) {
		char *p = arena_alloc(ev->a, a->s.n + b->s.n + 1);

		memcpy(p, a->s.p, a->s.n);
		memcpy(p + a->s.n, b->s.p, b->s.n);
		val_set_str(out, p, a->s.n + b->s.n);
		return 0;
	}
	if (op == OP_SUB && (a->k == VAL_TIME || b->k == VAL_TIME) && val_as_time(a, &t1, &o1) &&
	    val_as_time(b, &t2, &o2)) {
		set_seconds(out, t1 - t2);
		return 0;
	}
	if ((op == OP_ADD || op == OP_SUB) && a->k == VAL_TIME && b->k == VAL_NUM) {
		if (!seconds_to_us(b, &d) ||
		    !timefmt_in_range(t1 = a->t_us + (op == OP_ADD ? d : -d), a->t_off))
			return ev_fail(ev, n, "the time is out of range");
		val_set_time(out, t1, a->t_off);
		return 0;
	}
	if (op == OP_ADD && a->k == VAL_NUM && b->k == VAL_TIME) {
		if (!seconds_to_us(a, &d) || !timefmt_in_range(t1 = b->t_us + d, b->t_off))
			return ev_fail(ev, n, "the time is out of range");
		val_set_time(out, t1, b->t_off);
		return 0;
	}
	const struct val *bad = a->k != VAL_NUM ? a : b;
	if (op == OP_ADD &&
	    ((a->k == VAL_STR && b->k == VAL_NUM) || (a->k == VAL_NUM && b->k == VAL_STR)))
		return arith_fail(ev, n, "add", bad,
				  bad->s.n ? " and a number (concat() joins text)"
					   : " and a number");
	return arith_fail(ev, n, verb(op), bad, "");
}

static int negate(struct ev *ev, const struct node *n, const struct val *a, struct val *out)
{
	char *p;

	switch (a->k) {
	case VAL_NULL:
		val_set_null(out);
		return 0;
	case VAL_NUM:
		break;
	default:
		return arith_fail(ev, n, "negate", a, "");
	}
	*out = *a;
	out->s.p = NULL;
	out->s.n = 0;
	switch (a->nk) {
	case NUM_DEC:
		dec_neg(&out->d);
		break;
	case NUM_DBL:
		out->f = -a->f;
		break;
	case NUM_BIG:
		if (a->s.p[0] == '-') {
			out->s.p = a->s.p + 1;
			out->s.n = a->s.n - 1;
		} else {
			p = arena_alloc(ev->a, a->s.n + 1);
			p[0] = '-';
			memcpy(p + 1, a->s.p, a->s.n);
			out->s.p = p;
			out->s.n = a->s.n + 1;
		}
		break;
	}
	return 0;
}

/* ---- comparison ---- */

int val_as_time(const struct val *v, int64_t *us, int32_t *off)
{
	if (v->k == VAL_TIME) {
		*us = v->t_us;
		*off = v->t_off;
		return 1;
	}
	return v->k == VAL_STR && timefmt_parse_iso(v->s.p, v->s.n, us, off) == 0;
}

static int bytes_cmp(struct span a, struct span b)
{
	int c = memcmp(a.p, b.p, a.n < b.n ? a.n : b.n);

	if (c)
		return c < 0 ? -1 : 1;
	return a.n < b.n ? -1 : a.n > b.n;
}

/* Order two non-null values of kinds that compare: 1 and *c, else 0. */
static int order(const struct val *a, const struct val *b, int *c)
{
	int64_t t1, t2;
	int32_t o;

	if (a->k == b->k) {
		switch (a->k) {
		case VAL_NUM:
			*c = num_cmp(a, b);
			return 1;
		case VAL_STR:
			*c = bytes_cmp(a->s, b->s);
			return 1;
		case VAL_BOOL:
			*c = a->b - b->b;
			return 1;
		case VAL_TIME:
			*c = a->t_us < b->t_us ? -1 : a->t_us > b->t_us;
			return 1;
		default:
			return 0;
		}
	}
	if ((a->k == VAL_TIME && b->k == VAL_STR) || (a->k == VAL_STR && b->k == VAL_TIME)) {
		if (!val_as_time(a, &t1, &o) || !val_as_time(b, &t2, &o))
			return 0;
		*c = t1 < t2 ? -1 : t1 > t2;
		return 1;
	}
	return 0;
}

/* Equality of two non-null values: values of kinds that do not compare
 * are different; arrays and objects are equal when their text is. */
static int equal(const struct val *a, const struct val *b)
{
	int c;

	if (a->k == VAL_JSON && b->k == VAL_JSON)
		return a->s.n == b->s.n && memcmp(a->s.p, b->s.p, a->s.n) == 0;
	return order(a, b, &c) && c == 0;
}

int val_cmp(const struct val *a, const struct val *b)
{
	static const int rank[] = {
		[VAL_NULL] = 0, [VAL_BOOL] = 1, [VAL_NUM] = 2,
		[VAL_STR] = 3,  [VAL_TIME] = 4, [VAL_JSON] = 5,
	};
	int c;

	if (a->k != b->k)
		return rank[a->k] < rank[b->k] ? -1 : 1;
	switch (a->k) {
	case VAL_NULL:
		return 0;
	case VAL_JSON:
		return bytes_cmp(a->s, b->s);
	default:
		order(a, b, &c);
		return c;
	}
}

static int compare(struct ev *ev, const struct node *n, const struct val *a, const struct val *b,
		   struct val *out)
{
	int c, r = 0;

	if (a->k == VAL_NULL || b->k == VAL_NULL) {
		val_set_bool(out, 0);
		return 0;
	}
	if (n->op == OP_EQ || n->op == OP_NE) {
		val_set_bool(out, equal(a, b) == (n->op == OP_EQ));
		return 0;
	}
	if (!order(a, b, &c))
		return ev_fail(ev, n, "cannot compare %s with %s", val_kind_name(a),
			       val_kind_name(b));
	switch (n->op) {
	case OP_LT:
		r = c < 0;
		break;
	case OP_LE:
		r = c <= 0;
		break;
	case OP_GT:
		r = c > 0;
		break;
	case OP_GE:
		r = c >= 0;
		break;
	}
	val_set_bool(out, r);
	return 0;
}

static int eval_in(struct ev *ev, const struct node *n, struct val *out)
{
	struct val x, y;
	int found = 0;

	if (ev_eval(ev, n->args[0], &x))
		return -1;
	if (n->list) {
		for (uint32_t i = 1; i < n->nargs && !found; i++) {
			if (ev_eval(ev, n->args[i], &y))
				return -1;
			found = x.k != VAL_NULL && y.k != VAL_NULL && equal(&x, &y);
		}
	} else {
		struct scan_iter it;
		struct span key, elem;

		if (ev_eval(ev, n->args[1], &y))
			return -1;
		if (y.k != VAL_NULL && !(y.k == VAL_JSON && y.s.p[0] == '['))
			return ev_fail(ev, n, "'in' needs a list or an array, not %s",
				       val_kind_name(&y));
		if (y.k == VAL_JSON && x.k != VAL_NULL) {
			scan_iter_init(&it, y.s);
			while (!found && scan_iter_next(&it, &key, &elem)) {
				val_from_json(&y, elem, ev->a);
				found = y.k != VAL_NULL && equal(&x, &y);
			}
		}
	}
	/* A comparison with null is false: so is "null not in [...]". */
	val_set_bool(out, x.k != VAL_NULL && found == (n->op == OP_IN));
	return 0;
}

static int want_bool(struct ev *ev, const struct node *n, const struct val *v, const char *what)
{
	if (v->k == VAL_BOOL || v->k == VAL_NULL)
		return 0;
	return ev_fail(ev, n, "'%s' needs booleans, not %s", what, val_kind_name(v));
}

/* SQL's three-valued and/or: a decisive operand wins over null. */
static int logic(struct ev *ev, const struct node *n, struct val *out)
{
	int is_and = n->op == OP_AND;
	const char *what = is_and ? "and" : "or";
	struct val a, b;

	if (ev_eval(ev, n->args[0], &a) || want_bool(ev, n, &a, what))
		return -1;
	if (a.k == VAL_BOOL && a.b != is_and) {
		val_set_bool(out, !is_and);
		return 0;
	}
	if (ev_eval(ev, n->args[1], &b) || want_bool(ev, n, &b, what))
		return -1;
	if (b.k == VAL_BOOL && b.b != is_and)
		val_set_bool(out, !is_and);
	else if (a.k == VAL_NULL || b.k == VAL_NULL)
		val_set_null(out);
	else
		val_set_bool(out, is_and);
	return 0;
}

static int call(struct ev *ev, const struct node *n, struct val *out)
{
	const struct exprfn *fn = n->fn;
	struct val local[4], *args = local;
	int any_null = 0;

	if (fn->flags & FN_LAZY)
		return fn->eval(ev, n, NULL, out);
	if (n->nargs > 4)
		args = arena_alloc(ev->a, n->nargs * sizeof(*args));
	for (uint32_t i = 0; i < n->nargs; i++) {
		if (ev_eval(ev, n->args[i], &args[i]))
			return -1;
		any_null |= args[i].k == VAL_NULL;
	}
	if (any_null && !(fn->flags & FN_NULLS)) {
		val_set_null(out);
		return 0;
	}
	return fn->eval(ev, n, args, out);
}

int ev_eval(struct ev *ev, const struct node *n, struct val *out)
{
	struct val a, b;

	switch (n->op) {
	case OP_CONST:
		*out = n->k;
		return 0;
	case OP_FIELD: {
		struct span raw = ev->ctx->field(ev->ctx->arg, n->field);

		n->ref->reads++;
		n->ref->hits += raw.p != NULL;
		val_from_json(out, raw, ev->a);
		return 0;
	}
	case OP_CALL:
		return call(ev, n, out);
	case OP_NEG:
		if (ev_eval(ev, n->args[0], &a))
			return -1;
		return negate(ev, n, &a, out);
	case OP_NOT:
		if (ev_eval(ev, n->args[0], &a) || want_bool(ev, n, &a, "not"))
			return -1;
		*out = a;
		out->b = !a.b;
		return 0;
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_MOD:
		if (ev_eval(ev, n->args[0], &a) || ev_eval(ev, n->args[1], &b))
			return -1;
		return arith(ev, n, &a, &b, out);
	case OP_EQ:
	case OP_NE:
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		if (ev_eval(ev, n->args[0], &a) || ev_eval(ev, n->args[1], &b))
			return -1;
		return compare(ev, n, &a, &b, out);
	case OP_AND:
	case OP_OR:
		return logic(ev, n, out);
	case OP_COAL:
		if (ev_eval(ev, n->args[0], out))
			return -1;
		return out->k == VAL_NULL ? ev_eval(ev, n->args[1], out) : 0;
	case OP_IN:
	case OP_NOTIN:
		return eval_in(ev, n, out);
	}
	return ev_fail(ev, n, "internal error: unknown operator");
}

int expr_eval(const struct expr *e, struct expr_ctx *ctx, struct val *out, struct expr_err *err)
{
	struct expr_err dummy;
	struct ev ev = {ctx, err ? err : &dummy, e->src, ctx->scratch};

	ev.err->col = 0;
	ev.err->msg[0] = '\0';
	return ev_eval(&ev, e->root, out);
}

const char *expr_text(const struct expr *e)
{
	return e->src;
}

/* ---- lexer ---- */

enum tok {
	T_END,
	T_NUM,
	T_STR,
	T_PATH,
	T_TRUE,
	T_FALSE,
	T_NULL,
	T_LP,
	T_RP,
	T_LB,
	T_RB,
	T_COMMA,
	T_PLUS,
	T_MINUS,
	T_STAR,
	T_SLASH,
	T_PCT,
	T_EQ,
	T_NE,
	T_LT,
	T_LE,
	T_GT,
	T_GE,
	T_QQ,
	T_AND,
	T_OR,
	T_NOT,
	T_IN,
};

struct parser {
	struct expr *e;
	struct expr_fields *fields;
	struct expr_err *err;
	const char *src;
	size_t n, pos; /* the lexer's position */
	int t;         /* the current token */
	size_t toff, tlen;
	struct span str; /* T_STR: the decoded literal, in the arena */
	int depth;
	int failed;
};

static void *perr(struct parser *p, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void *perr(struct parser *p, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return NULL;
	p->failed = 1;
	p->err->col = column(p->src, off);
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return NULL;
}

static int is_ident(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
	       c == '@' || c >= 0x80 || (c >= '0' && c <= '9');
}

/* A quoted path segment from p (at the quote); returns the end or NULL. */
static const char *lex_quoted_seg(struct parser *p, const char *q)
{
	const char *start = q++;

	for (;;) {
		if (!*q)
			return perr(p, (size_t)(start - p->src), "unterminated quoted field name");
		if (*q == '"')
			return q + 1;
		if (*q == '\\') {
			if (q[1] != '"' && q[1] != '\\')
				return perr(p, (size_t)(q - p->src),
					    "only \\\" and \\\\ escapes are allowed in a quoted "
					    "field name");
			q++;
		}
		q++;
	}
}

static const char *lex_number(struct parser *p, const char *q)
{
	const char *start = q;

	if (*q == '0')
		q++;
	else
		while (is_digit(*q))
			q++;
	if (*q == '.') {
		q++;
		if (!is_digit(*q))
			return perr(p, (size_t)(q - p->src), "expected a digit after '.'");
		while (is_digit(*q))
			q++;
	}
	if (*q == 'e' || *q == 'E') {
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (!is_digit(*q))
			return perr(p, (size_t)(q - p->src), "expected a digit in the exponent");
		while (is_digit(*q))
			q++;
	}
	if (is_ident((unsigned char)*q) || *q == '.')
		return perr(p, (size_t)(start - p->src),
			    "invalid number (a field name that starts with a digit must be "
			    "quoted: \"%.*s\")",
			    (int)strcspn(start, " \t\r\n()+-*/%<>=!,?[]"), start);
	return q;
}

/* A single-quoted string literal: decoded into the arena. */
static const char *lex_string(struct parser *p, const char *q)
{
	const char *start = q++, *end = q;
	char *o, *out;

	/* The decoded text is never longer than the literal. */
	while (*end && *end != '\'')
		end += end[0] == '\\' && end[1] ? 2 : 1;
	o = out = arena_alloc(&p->e->mem, (size_t)(end - q) + 1);

	for (;;) {
		const char *run = q;
		long u;

		while (*q && *q != '\'' && *q != '\\')
			q++;
		memcpy(o, run, (size_t)(q - run));
		o += q - run;
		if (!*q)
			return perr(p, (size_t)(start - p->src), "unterminated string");
		if (*q == '\'')
			break;
		switch (q[1]) {
		case '\'':
			*o++ = '\'';
			break;
		case '"':
			*o++ = '"';
			break;
		case '\\':
			*o++ = '\\';
			break;
		case '/':
			*o++ = '/';
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u':
			if ((u = hex_4(q + 2)) < 0)
				return perr(p, (size_t)(q - p->src),
					    "expected four hex digits after \\u");
			if (u >= 0xdc00 && u <= 0xdfff)
				return perr(p, (size_t)(q - p->src), "lone surrogate \\u%04lX", u);
			if (u >= 0xd800 && u <= 0xdbff) {
				long lo = q[6] == '\\' && q[7] == 'u' ? hex_4(q + 8) : -1;

				if (lo < 0xdc00 || lo > 0xdfff)
					return perr(p, (size_t)(q - p->src),
						    "lone surrogate \\u%04lX", u);
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				q += 6;
			}
			o += utf8_encode((uint32_t)u, o);
			q += 6;
			continue;
		default:
			return perr(p, (size_t)(q - p->src), "invalid escape '\\%.*s' in a string",
				    q[1] ? (int)utf8_seq((const unsigned char *)q + 1,
							 (const unsigned char *)p->src + p->n)
					 : 0,
				    q + 1);
		}
		q += 2;
	}
	p->str.p = out;
	p->str.n = (size_t)(o - out);
	return q + 1;
}

static int keyword(const char *s, size_t n)
{
	static const struct {
		const char *w;
		int t;
	} kw[] = {
		{"and", T_AND},   {"or", T_OR},       {"not", T_NOT},   {"in", T_IN},
		{"true", T_TRUE}, {"false", T_FALSE}, {"null", T_NULL},
	};

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strlen(kw[i].w) == n && memcmp(kw[i].w, s, n) == 0)
			return kw[i].t;
	return -1;
}

/* Advance to the next token; 0, or -1 on a lexical error. */
static int next(struct parser *p)
{
	const char *s = p->src, *q = s + p->pos, *e;
	int t;

	while (is_blank(*q))
		q++;
	p->toff = (size_t)(q - s);
	e = q + 1;
	switch (*q) {
	case '\0':
		t = T_END;
		e = q;
		break;
	case '(':
		t = T_LP;
		break;
	case ')':
		t = T_RP;
		break;
	case '[':
		t = T_LB;
		break;
	case ']':
		t = T_RB;
		break;
	case ',':
		t = T_COMMA;
		break;
	case '+':
		t = T_PLUS;
		break;
	case '-':
		t = T_MINUS;
		break;
	case '*':
		t = T_STAR;
		break;
	case '/':
		t = T_SLASH;
		break;
	case '%':
		t = T_PCT;
		break;
	case '<':
		t = q[1] == '=' ? T_LE : T_LT;
		e += q[1] == '=';
		if (q[1] == '>')
			return perr(p, p->toff, "'<>' is not an operator: use '!='"), -1;
		break;
	case '>':
		t = q[1] == '=' ? T_GE : T_GT;
		e += q[1] == '=';
		break;
	case '=':
		if (q[1] != '=')
			return perr(p, p->toff, "'=' is not an operator: use '==' to compare"), -1;
		t = T_EQ;
		e++;
		break;
	case '!':
		if (q[1] != '=')
			return perr(p, p->toff, "'!' is not an operator: use 'not'"), -1;
		t = T_NE;
		e++;
		break;
	case '?':
		if (q[1] != '?')
			return perr(p, p->toff, "expected '?\?'"), -1;
		t = T_QQ;
		e++;
		break;
	case '&':
		return perr(p, p->toff, "'%.*s' is not an operator: use 'and'", q[1] == '&' ? 2 : 1,
			    q),
		       -1;
	case '|':
		return perr(p, p->toff, "'%.*s' is not an operator: use 'or'", q[1] == '|' ? 2 : 1,
			    q),
		       -1;
	case '\'':
		t = T_STR;
		e = lex_string(p, q);
		break;
	case '"':
		t = T_PATH;
		e = q;
		break;
	default:
		if (is_digit(*q)) {
			t = T_NUM;
			e = lex_number(p, q);
		} else if (is_ident((unsigned char)*q)) {
			e = q;
			while (is_ident((unsigned char)*e))
				e++;
			t = keyword(q, (size_t)(e - q));
			if (t < 0) {
				t = T_PATH;
				e = q;
			}
		} else {
			size_t k =
				utf8_seq((const unsigned char *)q, (const unsigned char *)s + p->n);

			return perr(p, p->toff, "unexpected character '%.*s'", (int)(k ? k : 1), q),
			       -1;
		}
		break;
	}
	if (t == T_PATH) {
		/* Segments, bare or quoted, joined by dots. */
		for (;;) {
			if (*e == '"') {
				e = lex_quoted_seg(p, e);
			} else if (is_ident((unsigned char)*e)) {
				while (is_ident((unsigned char)*e))
					e++;
			} else {
				perr(p, (size_t)(e - s), "expected a field name after '.'");
				e = NULL;
			}
			if (!e || *e != '.')
				break;
			e++;
		}
	}
	if (!e)
		return -1;
	p->t = t;
	p->tlen = (size_t)(e - q);
	p->pos = (size_t)(e - s);
	return 0;
}

/* ---- parser ---- */

/* The expression's record of field idx, made at its first reference (the
 * current token). */
static struct fref *field_ref(struct parser *p, size_t idx)
{
	struct fref *r;

	for (r = p->e->refs; r; r = r->next)
		if (r->field == idx)
			return r;
	r = arena_alloc(&p->e->mem, sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->field = idx;
	r->off = (uint32_t)p->toff;
	r->len = (uint32_t)p->tlen;
	*p->e->refs_tail = r;
	p->e->refs_tail = &r->next;
	return r;
}

static struct node *new_node(struct parser *p, int op, uint32_t nargs, size_t off, size_t len,
			     size_t coloff)
{
	struct node *n = arena_alloc(&p->e->mem, sizeof(*n));

	memset(n, 0, sizeof(*n));
	n->op = (uint8_t)op;
	n->nargs = nargs;
	n->args = nargs ? arena_alloc(&p->e->mem, nargs * sizeof(*n->args)) : NULL;
	n->off = (uint32_t)off;
	n->len = (uint32_t)len;
	n->coff = (uint32_t)coloff;
	n->height = 1;
	return n;
}

static size_t node_end(const struct node *n)
{
	return (size_t)n->off + n->len;
}

/* Replace a node whose arguments are all constants by its value. */
static struct node *fold(struct parser *p, struct node *n)
{
	struct expr_ctx ctx = {NULL, NULL, &p->e->mem, 0};
	struct ev ev = {&ctx, p->err, p->src, &p->e->mem};
	struct val v;

	if (!n || n->op == OP_CONST || n->op == OP_FIELD)
		return n;
	if (n->op == OP_CALL && (n->fn->flags & FN_IMPURE))
		return n;
	for (uint32_t i = 0; i < n->nargs; i++)
		if (n->args[i]->op != OP_CONST)
			return n;
	if (ev_eval(&ev, n, &v)) {
		p->failed = 1;
		return NULL;
	}
	n->op = OP_CONST;
	n->k = v;
	return n;
}

static struct node *parse_or(struct parser *p);

/* A node whose arguments are set: bound the tree's height (a long chain of
 * a + a + ... nests as deep as parentheses do), then fold it. */
static struct node *finish(struct parser *p, struct node *n)
{
	uint32_t h = 0;

	for (uint32_t i = 0; i < n->nargs; i++)
		if (n->args[i]->height > h)
			h = n->args[i]->height;
	n->height = h + 1;
	if (n->height > MAX_HEIGHT)
		return perr(p, n->coff, "the expression is nested too deeply");
	return fold(p, n);
}

static int enter(struct parser *p)
{
	if (++p->depth > MAX_DEPTH) {
		perr(p, p->toff, "the expression is nested too deeply");
		return -1;
	}
	return 0;
}

static struct node *parse_nested(struct parser *p)
{
	struct node *n;

	if (enter(p))
		return NULL;
	n = parse_or(p);
	p->depth--;
	return n;
}

static void describe_token(struct parser *p, char *buf, size_t cap)
{
	if (p->t == T_END) {
		snprintf(buf, cap, "the end of the expression");
		return;
	}
	size_t len = utf8_cut(p->src + p->toff, p->tlen, 30);

	snprintf(buf, cap, "'%.*s%s'", (int)len, p->src + p->toff, len < p->tlen ? "..." : "");
}

static void *unexpected(struct parser *p, const char *want)
{
	char what[64];

	describe_token(p, what, sizeof(what));
	if (want)
		return perr(p, p->toff, "expected %s, found %s", want, what);
	return perr(p, p->toff, "unexpected %s", what);
}

/* Build the path of a T_PATH token (validated by the lexer). */
static void token_path(struct parser *p, struct path *path)
{
	const char *q = p->src + p->toff, *end = q + p->tlen;
	size_t cap = 0;

	path->seg = NULL;
	path->nseg = 0;
	path->text = xstrndup(q, p->tlen);
	while (q < end) {
		struct path_seg sg;

		if (*q == '"') {
			char *o = xmalloc(p->tlen + 1);

			sg.s = o;
			for (q++; *q != '"'; q++) {
				if (*q == '\\')
					q++;
				*o++ = *q;
			}
			q++;
			*o = '\0';
			sg.n = (size_t)(o - sg.s);
		} else {
			const char *b = q;

			while (q < end && *q != '.')
				q++;
			sg.s = xstrndup(b, (size_t)(q - b));
			sg.n = (size_t)(q - b);
		}
		xgrow(&path->seg, &cap, path->nseg + 1, sizeof(*path->seg));
		path->seg[path->nseg++] = sg;
		if (q < end)
			q++; /* the dot */
	}
}

/* The comma-separated expressions up to the closing token close (the
 * current token is the first one's), into a new array *items (the caller
 * frees it) of *count; the closing token stays current.  0, or -1 with the
 * error set and nothing to free. */
static int parse_list(struct parser *p, int close, const char *expected, struct node ***items,
		      size_t *count)
{
	size_t cap = 0;

	*items = NULL;
	*count = 0;
	if (p->t == close)
		return 0;
	for (;;) {
		struct node *a = parse_nested(p);

		if (!a)
			break;
		xgrow(items, &cap, *count + 1, sizeof(**items));
		(*items)[(*count)++] = a;
		if (p->t == close)
			return 0;
		if (p->t != T_COMMA) {
			unexpected(p, expected);
			break;
		}
		if (next(p))
			break;
	}
	free(*items);
	*items = NULL;
	return -1;
}

static struct node *parse_call(struct parser *p)
{
	size_t off = p->toff, nlen = p->tlen, nargs = 0;
	const char *name = p->src + off;
	const struct exprfn *fn;
	struct node **args = NULL, *n;

	for (size_t i = 0; i < nlen; i++)
		if (!is_ident((unsigned char)name[i]))
			return perr(p, off, "unknown function '%.*s'", (int)nlen, name);
	fn = exprfn_find(name, nlen);
	if (!fn) {
		const char *near = exprfn_suggest(name, nlen);

		if (near)
			return perr(p, off, "unknown function '%.*s' (did you mean %s()?)",
				    (int)nlen, name, near);
		return perr(p, off, "unknown function '%.*s'", (int)nlen, name);
	}
	if (next(p) || next(p)) /* the name, the '(' */
		return NULL;
	if (parse_list(p, T_RP, "',' or ')'", &args, &nargs) < 0)
		return NULL;
	if (nargs < fn->min || nargs > fn->max) {
		free(args);
		if (fn->min == 0 && fn->max == 0)
			return perr(p, off, "%s() takes no arguments", fn->name);
		if (fn->min == fn->max)
			return perr(p, off, "%s() takes %u argument%s", fn->name, fn->min,
				    fn->min == 1 ? "" : "s");
		if (fn->max == FN_ANY)
			return perr(p, off, "%s() takes at least %u argument%s", fn->name, fn->min,
				    fn->min == 1 ? "" : "s");
		if (fn->max == fn->min + 1)
			return perr(p, off, "%s() takes %u or %u arguments", fn->name, fn->min,
				    fn->max);
		return perr(p, off, "%s() takes %u to %u arguments", fn->name, fn->min, fn->max);
	}
	n = new_node(p, OP_CALL, (uint32_t)nargs, off, p->toff + 1 - off, off);
	if (nargs)
		memcpy(n->args, args, nargs * sizeof(*args));
	free(args);
	n->fn = fn;
	if (next(p))
		return NULL;
	if (fn->check && fn->check(p->e, n, p->err)) {
		p->failed = 1;
		return NULL;
	}
	return finish(p, n);
}

static struct node *parse_primary(struct parser *p)
{
	struct node *n;
	size_t off = p->toff;

	switch (p->t) {
	case T_NUM:
		n = new_node(p, OP_CONST, 0, off, p->tlen, off);
		number_from_json(&n->k, p->src + off, p->tlen);
		break;
	case T_STR:
		n = new_node(p, OP_CONST, 0, off, p->tlen, off);
		if (!utf8_valid(p->str.p, p->str.n))
			return perr(p, off, "invalid UTF-8 in a string");
		val_set_str(&n->k, p->str.p, p->str.n);
		break;
	case T_TRUE:
	case T_FALSE:
		n = new_node(p, OP_CONST, 0, off, p->tlen, off);
		val_set_bool(&n->k, p->t == T_TRUE);
		break;
	case T_NULL:
		n = new_node(p, OP_CONST, 0, off, p->tlen, off);
		val_set_null(&n->k);
		break;
	case T_PATH: {
		const char *after = p->src + p->pos;
		struct path path;

		while (is_blank(*after))
			after++;
		if (*after == '(')
			return parse_call(p);
		n = new_node(p, OP_FIELD, 0, off, p->tlen, off);
		token_path(p, &path);
		n->field = expr_fields_add(p->fields, &path);
		n->ref = field_ref(p, n->field);
		path_release(&path);
		break;
	}
	case T_LP:
		if (next(p) || !(n = parse_nested(p)))
			return NULL;
		if (p->t != T_RP)
			return unexpected(p, "')'");
		/* The node's text takes in its parentheses, for messages. */
		n->len = (uint32_t)(p->toff + 1 - off);
		n->off = (uint32_t)off;
		break;
	default:
		return unexpected(p, p->t == T_END ? "an operand" : NULL);
	}
	if (next(p))
		return NULL;
	return n;
}

static struct node *parse_unary(struct parser *p)
{
	size_t off = p->toff;
	struct node *a, *n;

	if (p->t == T_PLUS)
		return perr(p, off, "unary '+' is not an operator");
	if (p->t != T_MINUS)
		return parse_primary(p);
	if (enter(p) || next(p))
		return NULL;
	a = parse_unary(p);
	p->depth--;
	if (!a)
		return NULL;
	if (a->op == OP_CONST && a->k.k == VAL_NUM && a->k.s.p && a->off == off + 1 &&
	    a->k.s.p == p->src + a->off && a->k.s.p[0] != '-') {
		/* A negative literal keeps its text ("-1e2" prints -1e2). */
		a->k.s.p--;
		a->k.s.n++;
		if (a->k.nk == NUM_DEC)
			dec_neg(&a->k.d);
		a->off = (uint32_t)off;
		a->len++;
		a->coff = (uint32_t)off;
		return a;
	}
	n = new_node(p, OP_NEG, 1, off, node_end(a) - off, off);
	n->args[0] = a;
	return finish(p, n);
}

static struct node *binary(struct parser *p, int op, struct node *a, struct node *b, size_t opoff)
{
	struct node *n = new_node(p, op, 2, a->off, node_end(b) - a->off, opoff);

	n->args[0] = a;
	n->args[1] = b;
	return finish(p, n);
}

/* One level of left-associative binary operators: operands come from sub,
 * ops maps each of the level's tokens to its operation (ending with T_END). */
struct binop {
	int tok, op;
};

static struct node *left_assoc(struct parser *p, struct node *(*sub)(struct parser *),
			       const struct binop *ops)
{
	struct node *a = sub(p), *b;

	while (a) {
		const struct binop *o = ops;
		size_t opoff = p->toff;

		while (o->tok != T_END && o->tok != p->t)
			o++;
		if (o->tok == T_END)
			break;
		if (next(p) || !(b = sub(p)))
			return NULL;
		a = binary(p, o->op, a, b, opoff);
	}
	return a;
}

static struct node *parse_mul(struct parser *p)
{
	static const struct binop ops[] = {{T_STAR, OP_MUL},
					   {T_SLASH, OP_DIV},
					   {T_PCT, OP_MOD},
					   {T_END, 0}};

	return left_assoc(p, parse_unary, ops);
}

static struct node *parse_add(struct parser *p)
{
	static const struct binop ops[] = {{T_PLUS, OP_ADD}, {T_MINUS, OP_SUB}, {T_END, 0}};

	return left_assoc(p, parse_mul, ops);
}

static struct node *parse_coal(struct parser *p)
{
	static const struct binop ops[] = {{T_QQ, OP_COAL}, {T_END, 0}};

	return left_assoc(p, parse_add, ops);
}

static int is_cmp(int t)
{
	return t == T_EQ || t == T_NE || t == T_LT || t == T_LE || t == T_GT || t == T_GE ||
	       t == T_IN;
}

/* x in [a, b, c], or x in <an array value>. */
static struct node *parse_in(struct parser *p, struct node *x, int op, size_t opoff)
{
	struct node **items = NULL, *n;
	size_t count = 0;

	if (p->t != T_LB) {
		struct node *y = parse_coal(p);

		return y ? binary(p, op, x, y, opoff) : NULL;
	}
	if (next(p))
		return NULL;
	if (parse_list(p, T_RB, "',' or ']'", &items, &count) < 0)
		return NULL;
	n = new_node(p, op, (uint32_t)count + 1, x->off, p->toff + 1 - x->off, opoff);
	n->list = 1;
	n->args[0] = x;
	if (count)
		memcpy(n->args + 1, items, count * sizeof(*items));
	free(items);
	if (next(p))
		return NULL;
	return finish(p, n);
}

static struct node *parse_cmp(struct parser *p)
{
	struct node *a = parse_coal(p), *b, *n;
	size_t opoff = p->toff;
	int op;

	if (!a)
		return NULL;
	if (p->t == T_NOT) {
		/* "x not in [...]" */
		if (next(p))
			return NULL;
		if (p->t != T_IN)
			return unexpected(p, "'in' after 'not'");
		if (next(p))
			return NULL;
		n = parse_in(p, a, OP_NOTIN, opoff);
	} else if (is_cmp(p->t)) {
		switch (p->t) {
		case T_EQ:
			op = OP_EQ;
			break;
		case T_NE:
			op = OP_NE;
			break;
		case T_LT:
			op = OP_LT;
			break;
		case T_LE:
			op = OP_LE;
			break;
		case T_GT:
			op = OP_GT;
			break;
		case T_GE:
			op = OP_GE;
			break;
		default:
			op = OP_IN;
			break;
		}
		if (next(p))
			return NULL;
		if (op == OP_IN) {
			n = parse_in(p, a, OP_IN, opoff);
		} else {
			if (!(b = parse_coal(p)))
				return NULL;
			n = binary(p, op, a, b, opoff);
		}
	} else {
		return a;
	}
	if (n && (is_cmp(p->t) || p->t == T_NOT))
		return perr(p, p->toff, "comparisons do not chain: join them with 'and'");
	return n;
}

static struct node *parse_not(struct parser *p)
{
	size_t off = p->toff;
	struct node *a, *n;

	if (p->t != T_NOT)
		return parse_cmp(p);
	if (enter(p) || next(p))
		return NULL;
	a = parse_not(p);
	p->depth--;
	if (!a)
		return NULL;
	n = new_node(p, OP_NOT, 1, off, node_end(a) - off, off);
	n->args[0] = a;
	return finish(p, n);
}

static struct node *parse_and(struct parser *p)
{
	static const struct binop ops[] = {{T_AND, OP_AND}, {T_END, 0}};

	return left_assoc(p, parse_not, ops);
}

static struct node *parse_or(struct parser *p)
{
	static const struct binop ops[] = {{T_OR, OP_OR}, {T_END, 0}};

	return left_assoc(p, parse_and, ops);
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	while (e->cleanups) {
		struct cleanup *c = e->cleanups;

		e->cleanups = c->next;
		c->fn(c->p);
		free(c);
	}
	arena_release(&e->mem);
	free(e->src);
	free(e);
}

struct expr *expr_parse(const char *src, struct expr_fields *fields, struct expr_err *err)
{
	struct expr *e = xcalloc(1, sizeof(*e));
	struct parser p;
	size_t n = strlen(src), valid;

	memset(&p, 0, sizeof(p));
	err->col = 0;
	err->msg[0] = '\0';
	e->src = xstrdup(src);
	e->refs_tail = &e->refs;
	p.e = e;
	p.fields = fields;
	p.err = err;
	p.src = e->src;
	p.n = n;
	if (n >= UINT32_MAX / 2) {
		perr(&p, 0, "the expression is too long");
		goto fail;
	}
	valid = utf8_valid_prefix(src, n);
	if (valid != n) {
		perr(&p, valid, "invalid UTF-8");
		goto fail;
	}
	if (next(&p))
		goto fail;
	if (p.t == T_END) {
		perr(&p, 0, "empty expression");
		goto fail;
	}
	e->root = parse_or(&p);
	if (!e->root)
		goto fail;
	if (p.t != T_END) {
		if (p.t == T_RP)
			perr(&p, p.toff, "unbalanced ')'");
		else
			unexpected(&p, NULL);
		goto fail;
	}
	return e;
fail:
	if (!p.failed)
		perr(&p, 0, "invalid expression");
	expr_free(e);
	return NULL;
}

/* ---- fields never seen ---- */

/* The text of a field written as one double-quoted name ("DE"), decoded:
 * the string literal the user probably meant; NULL otherwise. */
static char *quoted_name(const char *q, size_t n)
{
	char *t, *o;

	if (n < 2 || q[0] != '"' || q[n - 1] != '"')
		return NULL;
	for (size_t i = 1; i < n - 1; i++)
		if (q[i] == '\\')
			i++;
		else if (q[i] == '"')
			return NULL; /* "a"."b": more than one segment */
	o = t = xmalloc(2 * n + 1);
	for (size_t i = 1; i < n - 1; i++) {
		if (q[i] == '\\')
			i++;
		if (q[i] == '\'' || q[i] == '\\')
			*o++ = '\\';
		*o++ = q[i];
	}
	*o = '\0';
	return t;
}

size_t expr_report_absent(const struct expr *e, const char *where, int strict)
{
	size_t n = 0;

	for (const struct fref *r = e->refs; r; r = r->next) {
		const char *text = e->src + r->off;
		char *lit;

		if (!r->reads || r->hits)
			continue;
		n++;
		lit = quoted_name(text, r->len);
		if (lit) {
			/* The hint shows the text without its quotes. */
			size_t k = strlen(lit);
			char *plain = xmalloc(k + 1), *o = plain;

			for (size_t i = 0; i < k; i++) {
				if (lit[i] == '\\')
					i++;
				*o++ = lit[i];
			}
			*o = '\0';
			(strict ? etl_error : etl_warn)(
				where,
				"field %.*s never present in %llu records; for the text %s write '%s'",
				(int)r->len, text, (unsigned long long)r->reads, plain, lit);
			free(plain);
			free(lit);
		} else {
			(strict ? etl_error
				: etl_warn)(where, "field %.*s never present in %llu records",
					    (int)r->len, text, (unsigned long long)r->reads);
		}
	}
	return n;
}

void expr_seen_write(const struct expr *e, struct buf *b)
{
	buf_addc(b, '[');
	for (const struct fref *r = e->refs; r; r = r->next)
		buf_printf(b, "%s%llu,%llu", r == e->refs ? "" : ",", (unsigned long long)r->reads,
			   (unsigned long long)r->hits);
	buf_addc(b, ']');
}

int expr_seen_add(struct expr *e, struct span counts)
{
	struct scan_iter it;
	struct span k, v;
	struct fref *r = e->refs;
	int second = 0;

	if (scan_kind(counts) != SCAN_ARRAY)
		return -1;
	scan_iter_init(&it, counts);
	while (scan_iter_next(&it, &k, &v)) {
		uint64_t c;

		if (!r || scan_kind(v) != SCAN_NUMBER)
			return -1;
		c = strtoull(v.p, NULL, 10);
		if (second) {
			r->hits += c;
			r = r->next;
		} else {
			r->reads += c;
		}
		second = !second;
	}
	return r || second ? -1 : 0;
}
