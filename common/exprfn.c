/*
 * exprfn.c - the functions of the expression language (etl-expr(7)).
 *
 * One table lists every function with its arity and flags; the parser
 * checks the arity, runs the function's check hook (which validates literal
 * arguments: a regular expression, a time format, a trunc() unit) and folds
 * calls whose arguments are all literals.  At run time a function receives
 * its evaluated arguments; unless it is marked FN_NULLS it never sees a
 * null one, because a null argument makes the call null (SQL).
 *
 * Invariants: strings handed back are valid UTF-8 (every input string is,
 * and every operation cuts at character boundaries); results that are
 * slices of an argument are returned without a copy (trim, substr, a lower()
 * of text that is already lower case); anything new lives in the scratch
 * arena.  A regular expression is compiled once: at parse time when it is a
 * literal, else again only when the pattern differs from the last one.
 */
#include "exprfn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "die.h"
#include "dtoa.h"
#include "mem.h"
#include "timefmt.h"
#include "utf8.h"
#include "banned.h"

typedef unsigned __int128 u128;

/* A regular expression may try this many backtracking steps per match
 * before the match fails with an error instead of running for ever. */
#define RX_MATCH_LIMIT 1000000

/* ---- argument checks ---- */

static const char *kind_word(int k)
{
	switch (k) {
	case VAL_STR:
		return "a string";
	case VAL_NUM:
		return "a number";
	case VAL_BOOL:
		return "a boolean";
	default:
		return "a value";
	}
}

static int type_error(struct ev *ev, const struct node *n, const struct val *args, uint32_t i,
		      const char *want)
{
	if (n->nargs == 1)
		return ev_fail(ev, n, "%s() needs %s, not %s", n->fn->name, want,
			       val_kind_name(&args[i]));
	return ev_fail(ev, n, "argument %u of %s() must be %s, not %s", i + 1, n->fn->name, want,
		       val_kind_name(&args[i]));
}

static int want(struct ev *ev, const struct node *n, const struct val *args, uint32_t i, int k)
{
	return (int)args[i].k == k ? 0 : type_error(ev, n, args, i, kind_word(k));
}

static int int_arg(struct ev *ev, const struct node *n, const struct val *args, uint32_t i,
		   int64_t *out)
{
	if (want(ev, n, args, i, VAL_NUM))
		return -1;
	if (!val_as_i64(&args[i], out))
		return ev_fail(ev, n, "argument %u of %s() must be an integer", i + 1, n->fn->name);
	return 0;
}

/* A string argument shown in a message: at most 40 bytes, cut on a
 * character boundary. */
static int shown_len(struct span s)
{
	return (int)utf8_cut(s.p, s.n, 40);
}

/* The time an argument denotes: 0, 1 when it is an empty string (the call
 * is null), -1 after an error. */
static int time_arg(struct ev *ev, const struct node *n, const struct val *args, uint32_t i,
		    int64_t *us, int32_t *off)
{
	const struct val *v = &args[i];

	if (v->k == VAL_STR && v->s.n == 0)
		return 1;
	if (val_as_time(v, us, off))
		return 0;
	if (v->k == VAL_STR)
		return ev_fail(ev, n, "'%.*s%s' is not an ISO-8601 time", shown_len(v->s), v->s.p,
			       (size_t)shown_len(v->s) < v->s.n ? "..." : "");
	return type_error(ev, n, args, i, "a time or an ISO-8601 string");
}

static char *alloc(struct ev *ev, size_t n)
{
	return arena_alloc(ev->a, n ? n : 1);
}

/* ---- control ---- */

static int fn_if(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	struct val c;

	(void)args;
	if (ev_eval(ev, n->args[0], &c))
		return -1;
	if (c.k != VAL_BOOL && c.k != VAL_NULL)
		return ev_fail(ev, n, "the condition of if() must be a boolean, not %s",
			       val_kind_name(&c));
	return ev_eval(ev, n->args[val_true(&c) ? 1 : 2], out);
}

static int fn_coalesce(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	(void)args;
	for (uint32_t i = 0; i < n->nargs; i++) {
		if (ev_eval(ev, n->args[i], out))
			return -1;
		if (out->k != VAL_NULL)
			return 0;
	}
	return 0;
}

static int fn_is_null(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	(void)ev;
	(void)n;
	val_set_bool(out, args[0].k == VAL_NULL);
	return 0;
}

/* The JSON type of a value, as jq's type names it.  A time is written
 * as a string, so it is one. */
static int fn_type(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	static const char *const names[] = {"null", "boolean", "number", "string", "string"};
	const char *t;

	(void)ev;
	(void)n;
	if (args[0].k == VAL_JSON)
		t = args[0].s.n && args[0].s.p[0] == '[' ? "array" : "object";
	else
		t = names[args[0].k];
	val_set_str(out, t, strlen(t));
	return 0;
}

/* ---- strings ---- */

/* Decode one UTF-8 sequence (valid text); returns its length. */
static size_t u8_decode(const unsigned char *p, const unsigned char *end, uint32_t *cp)
{
	size_t k = utf8_seq(p, end);

	switch (k) {
	case 1:
		*cp = p[0];
		break;
	case 2:
		*cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		break;
	case 3:
		*cp = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		break;
	case 4:
		*cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
		      (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
		break;
	default:
		*cp = p[0];
		k = 1;
		break; /* not UTF-8: leave the byte alone */
	}
	return k;
}

/* Byte offset of character i (clamped to the end). */
static size_t char_offset(struct span s, size_t i)
{
	size_t off = 0;

	while (off < s.n && i) {
		off++;
		while (off < s.n && ((unsigned char)s.p[off] & 0xc0) == 0x80)
			off++;
		i--;
	}
	return off;
}

/* Is c in [lo, hi], a range where upper and lower case letters alternate? */
static int in_pairs(uint32_t c, uint32_t lo, uint32_t hi)
{
	return c >= lo && c <= hi;
}

/*
 * Simple (one to one) case mapping for the scripts most data is written in:
 * ASCII, Latin-1, Latin Extended-A, Latin Extended Additional (Vietnamese),
 * Greek, Cyrillic, Armenian and the fullwidth Latin letters.  Every mapping
 * here keeps or shortens the UTF-8 length.
 */
static uint32_t lower_cp(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c == 0x130)
		return 'i';
	if (c == 0x178)
		return 0xff;
	if (in_pairs(c, 0x100, 0x12f) || in_pairs(c, 0x132, 0x137) || in_pairs(c, 0x14a, 0x177) ||
	    in_pairs(c, 0x460, 0x481) || in_pairs(c, 0x48a, 0x4bf) || in_pairs(c, 0x4d0, 0x52f) ||
	    in_pairs(c, 0x1e00, 0x1e95) || in_pairs(c, 0x1ea0, 0x1eff))
		return c | 1;
	if (in_pairs(c, 0x139, 0x148) || in_pairs(c, 0x179, 0x17e) || in_pairs(c, 0x4c1, 0x4ce))
		return c & 1 ? c + 1 : c;
	if (c >= 0x391 && c <= 0x3ab && c != 0x3a2)
		return c + 32;
	if (c == 0x386)
		return 0x3ac;
	if (c >= 0x388 && c <= 0x38a)
		return c + 37;
	if (c == 0x38c)
		return 0x3cc;
	if (c == 0x38e || c == 0x38f)
		return c + 63;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c == 0x4c0)
		return 0x4cf;
	if (c >= 0x531 && c <= 0x556)
		return c + 48;
	if (c == 0x1e9e)
		return 0xdf;
	if (c >= 0xff21 && c <= 0xff3a)
		return c + 32;
	return c;
}

static uint32_t upper_cp(uint32_t c)
{
	if (c < 0x80)
		return c >= 'a' && c <= 'z' ? c - 32 : c;
	if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
		return c - 32;
	if (c == 0xff)
		return 0x178;
	if (c == 0xb5)
		return 0x39c;
	if (c == 0x131)
		return 'I';
	if (c == 0x17f)
		return 'S';
	if (in_pairs(c, 0x100, 0x12f) || in_pairs(c, 0x132, 0x137) || in_pairs(c, 0x14a, 0x177) ||
	    in_pairs(c, 0x460, 0x481) || in_pairs(c, 0x48a, 0x4bf) || in_pairs(c, 0x4d0, 0x52f) ||
	    in_pairs(c, 0x1e00, 0x1e95) || in_pairs(c, 0x1ea0, 0x1eff))
		return c & ~(uint32_t)1;
	if (in_pairs(c, 0x139, 0x148) || in_pairs(c, 0x179, 0x17e) || in_pairs(c, 0x4c1, 0x4ce))
		return c & 1 ? c : c - 1;
	if (c == 0x3c2)
		return 0x3a3;
	if (c >= 0x3b1 && c <= 0x3cb)
		return c - 32;
	if (c == 0x3ac)
		return 0x386;
	if (c >= 0x3ad && c <= 0x3af)
		return c - 37;
	if (c == 0x3cc)
		return 0x38c;
	if (c == 0x3cd || c == 0x3ce)
		return c - 63;
	if (c >= 0x430 && c <= 0x44f)
		return c - 32;
	if (c >= 0x450 && c <= 0x45f)
		return c - 80;
	if (c == 0x4cf)
		return 0x4c0;
	if (c >= 0x561 && c <= 0x586)
		return c - 48;
	if (c >= 0xff41 && c <= 0xff5a)
		return c - 32;
	return c;
}

static int change_case(struct ev *ev, const struct node *n, struct val *args, struct val *out,
		       int up)
{
	if (want(ev, n, args, 0, VAL_STR))
		return -1;

	const unsigned char *s = (const unsigned char *)args[0].s.p, *end = s + args[0].s.n;
	unsigned lo = up ? 'a' : 'A', hi = up ? 'z' : 'Z';
	size_t i = 0, k;

	/* Text that is already in the case asked for is returned as it is. */
	while (s + i < end && s[i] < 0x80 && (s[i] < lo || s[i] > hi))
		i++;
	if (s + i == end) {
		*out = args[0];
		return 0;
	}
	char *o = alloc(ev, args[0].s.n);
	memcpy(o, s, i);
	k = i;
	while (s + i < end) {
		uint32_t c, m;
		size_t len;

		if (s[i] < 0x80) {
			o[k++] = (char)(s[i] >= lo && s[i] <= hi ? s[i] ^ 0x20 : s[i]);
			i++;
			continue;
		}
		len = u8_decode(s + i, end, &c);
		m = up ? upper_cp(c) : lower_cp(c);
		if (m == c) {
			memcpy(o + k, s + i, len);
			k += len;
		} else {
			k += utf8_encode(m, o + k);
		}
		i += len;
	}
	val_set_str(out, o, k);
	return 0;
}

static int fn_lower(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	return change_case(ev, n, args, out, 0);
}

static int fn_upper(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	return change_case(ev, n, args, out, 1);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int trim_sides(struct ev *ev, const struct node *n, struct val *args, struct val *out,
		      int left, int right)
{
	if (want(ev, n, args, 0, VAL_STR))
		return -1;

	const char *p = args[0].s.p;
	size_t len = args[0].s.n;

	while (left && len && is_space(*p))
		p++, len--;
	while (right && len && is_space(p[len - 1]))
		len--;
	val_set_str(out, p, len);
	return 0;
}

static int fn_trim(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	return trim_sides(ev, n, args, out, 1, 1);
}

static int fn_ltrim(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	return trim_sides(ev, n, args, out, 1, 0);
}

static int fn_rtrim(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	return trim_sides(ev, n, args, out, 0, 1);
}

static int fn_length(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	dec_t d;

	if (args[0].k == VAL_STR) {
		dec_from_i64(&d, (int64_t)utf8_count(args[0].s.p, args[0].s.n));
	} else if (args[0].k == VAL_JSON) {
		dec_from_i64(&d, (int64_t)scan_count(args[0].s));
	} else {
		return type_error(ev, n, args, 0, "a string, an array or an object");
	}
	val_set_dec(out, &d);
	return 0;
}

static int fn_substr(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	int64_t start, len = INT64_MAX, b, e, nch;
	struct span s = args[0].s;

	if (want(ev, n, args, 0, VAL_STR) || int_arg(ev, n, args, 1, &start))
		return -1;
	if (n->nargs > 2) {
		if (int_arg(ev, n, args, 2, &len))
			return -1;
		if (len < 0)
			return ev_fail(ev, n, "the length given to substr() is negative");
	}
	nch = (int64_t)utf8_count(s.p, s.n);
	if (start > 0)
		b = start - 1;
	else if (start < 0)
		b = nch + start < 0 ? 0 : nch + start;
	else
		b = 0;
	if (b >= nch) {
		val_set_str(out, s.p + s.n, 0);
		return 0;
	}
	e = len > nch - b ? nch : b + len;
	size_t from = char_offset(s, (size_t)b);
	size_t to = from + char_offset((struct span){s.p + from, s.n - from}, (size_t)(e - b));
	val_set_str(out, s.p + from, to - from);
	return 0;
}

static int fn_replace(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	if (want(ev, n, args, 0, VAL_STR) || want(ev, n, args, 1, VAL_STR) ||
	    want(ev, n, args, 2, VAL_STR))
		return -1;

	struct span s = args[0].s, from = args[1].s, to = args[2].s;
	const char *p = s.p, *end = s.p + s.n, *hit;
	size_t count = 0;

	if (from.n == 0) {
		*out = args[0];
		return 0;
	}
	while ((hit = memmem(p, (size_t)(end - p), from.p, from.n))) {
		count++;
		p = hit + from.n;
	}
	if (!count) {
		*out = args[0];
		return 0;
	}
	size_t size = s.n - count * from.n + count * to.n;
	char *o = alloc(ev, size), *q = o;
	for (p = s.p; (hit = memmem(p, (size_t)(end - p), from.p, from.n)); p = hit + from.n) {
		memcpy(q, p, (size_t)(hit - p));
		q += hit - p;
		memcpy(q, to.p, to.n);
		q += to.n;
	}
	memcpy(q, p, (size_t)(end - p));
	val_set_str(out, o, size);
	return 0;
}

static int strings2(struct ev *ev, const struct node *n, struct val *args)
{
	return want(ev, n, args, 0, VAL_STR) || want(ev, n, args, 1, VAL_STR) ? -1 : 0;
}

static int fn_starts_with(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	if (strings2(ev, n, args))
		return -1;
	val_set_bool(out, args[1].s.n <= args[0].s.n &&
				  memcmp(args[0].s.p, args[1].s.p, args[1].s.n) == 0);
	return 0;
}

static int fn_ends_with(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	if (strings2(ev, n, args))
		return -1;
	struct span s = args[0].s, t = args[1].s;
	val_set_bool(out, t.n <= s.n && memcmp(s.p + s.n - t.n, t.p, t.n) == 0);
	return 0;
}

static int fn_contains(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	if (strings2(ev, n, args))
		return -1;
	val_set_bool(out, args[1].s.n == 0 || memmem(args[0].s.p, args[0].s.n, args[1].s.p,
						     args[1].s.n) != NULL);
	return 0;
}

/* The text a value converts to: strings as they are, numbers and times as
 * they print in JSON, arrays and objects as their JSON text. */
static struct span as_text(struct ev *ev, const struct val *v)
{
	struct span s;
	char *p;

	switch (v->k) {
	case VAL_STR:
	case VAL_JSON:
		return v->s;
	case VAL_NUM:
		return val_num_text(v, ev->a);
	case VAL_BOOL:
		s.p = v->b ? "true" : "false";
		s.n = strlen(s.p);
		return s;
	case VAL_TIME:
		p = alloc(ev, TIMEFMT_ISO_BUFSZ);
		s.n = timefmt_iso(v->t_us, v->t_off, p);
		s.p = p;
		return s;
	default:
		s.p = "";
		s.n = 0;
		return s;
	}
}

static int fn_concat(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	struct span *parts = (struct span *)alloc(ev, n->nargs * sizeof(*parts));
	size_t total = 0;

	for (uint32_t i = 0; i < n->nargs; i++) {
		parts[i] = as_text(ev, &args[i]);
		total += parts[i].n;
	}
	char *o = alloc(ev, total), *q = o;
	for (uint32_t i = 0; i < n->nargs; i++) {
		memcpy(q, parts[i].p, parts[i].n);
		q += parts[i].n;
	}
	val_set_str(out, o, total);
	return 0;
}

static int fn_to_string(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	struct span s = as_text(ev, &args[0]);

	(void)n;
	val_set_str(out, s.p, s.n);
	return 0;
}

/* ---- regular expressions ---- */

struct rx {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	char *pat; /* the pattern compiled, for one that is not a literal */
	size_t patn;
};

static void rx_clear(struct rx *rx)
{
	pcre2_match_data_free(rx->md);
	pcre2_code_free(rx->code);
	free(rx->pat);
	rx->md = NULL;
	rx->code = NULL;
	rx->pat = NULL;
	rx->patn = 0;
}

static void rx_free(void *p)
{
	struct rx *rx = p;

	rx_clear(rx);
	pcre2_match_context_free(rx->mc);
	free(rx);
}

static int rx_compile(struct rx *rx, struct span pat, char *msg, size_t cap)
{
	PCRE2_UCHAR text[160];
	PCRE2_SIZE eoff;
	int ecode;

	rx_clear(rx);
	rx->code = pcre2_compile((PCRE2_SPTR)pat.p, pat.n, PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C,
				 &ecode, &eoff, NULL);
	if (!rx->code) {
		pcre2_get_error_message(ecode, text, sizeof(text));
		snprintf(msg, cap, "invalid regular expression: %s at offset %zu", (char *)text,
			 (size_t)eoff);
		return -1;
	}
	pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE); /* without JIT it still works */
	rx->md = pcre2_match_data_create_from_pattern(rx->code, NULL);
	rx->pat = xstrndup(pat.p, pat.n);
	rx->patn = pat.n;
	if (!rx->md)
		etl_die(ETL_EXIT_SOFTWARE, NULL, "out of memory (regular expression)");
	return 0;
}

static int check_matches(struct expr *e, struct node *n, struct expr_err *err)
{
	struct rx *rx = xcalloc(1, sizeof(*rx));
	const struct node *pn = n->args[1];
	char msg[200];

	rx->mc = pcre2_match_context_create(NULL);
	if (!rx->mc)
		etl_die(ETL_EXIT_SOFTWARE, NULL, "out of memory (regular expression)");
	pcre2_set_match_limit(rx->mc, RX_MATCH_LIMIT);
	n->aux = rx;
	expr_on_free(e, rx_free, rx);
	if (pn->op != OP_CONST || pn->k.k == VAL_NULL)
		return 0;
	if (pn->k.k != VAL_STR)
		return expr_node_error(e, pn, err, "the pattern of matches() must be a string");
	if (rx_compile(rx, pn->k.s, msg, sizeof(msg)))
		return expr_node_error(e, pn, err, "%s", msg);
	return 0;
}

static int fn_matches(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	struct rx *rx = n->aux;
	char msg[200];
	int rc;

	if (strings2(ev, n, args))
		return -1;
	if (!rx->code || rx->patn != args[1].s.n || memcmp(rx->pat, args[1].s.p, rx->patn) != 0) {
		if (rx_compile(rx, args[1].s, msg, sizeof(msg)))
			return ev_fail(ev, n, "%s", msg);
	}
	rc = pcre2_match(rx->code, (PCRE2_SPTR)args[0].s.p, args[0].s.n, 0, 0, rx->md, rx->mc);
	if (rc == PCRE2_ERROR_NOMATCH) {
		val_set_bool(out, 0);
		return 0;
	}
	if (rc < 0) {
		PCRE2_UCHAR text[160];

		pcre2_get_error_message(rc, text, sizeof(text));
		return ev_fail(ev, n, "regular expression: %s", (char *)text);
	}
	val_set_bool(out, 1);
	return 0;
}

/* ---- numbers ---- */

static u128 pow10_u128(int k)
{
	u128 p = 1;

	while (k-- > 0)
		p *= 10;
	return p;
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

/* to_number() of one argument: 0, 1 for null, -1 after an error. */
static int to_number(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	const struct val *v = &args[0];
	struct span s;
	dec_t d;

	switch (v->k) {
	case VAL_NUM:
		*out = *v;
		return 0;
	case VAL_BOOL:
		dec_from_i64(&d, v->b);
		val_set_dec(out, &d);
		return 0;
	case VAL_TIME:
		set_seconds(out, v->t_us);
		return 0;
	case VAL_STR:
		s = v->s;
		while (s.n && is_space(*s.p))
			s.p++, s.n--;
		if (!s.n)
			return 1;
		if (val_parse_number(out, s.p, s.n) == 0)
			return 0;
		return ev_fail(ev, n, "'%.*s%s' is not a number", shown_len(v->s), v->s.p,
			       (size_t)shown_len(v->s) < v->s.n ? "..." : "");
	default:
		return type_error(ev, n, args, 0, "a string or a number");
	}
}

static int fn_to_number(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	int rc = to_number(ev, n, args, out);

	if (rc == 1)
		val_set_null(out);
	return rc < 0 ? -1 : 0;
}

static int fn_to_int(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	struct val v;
	int rc = to_number(ev, n, args, &v);

	if (rc) {
		val_set_null(out);
		return rc < 0 ? -1 : 0;
	}
	if (v.nk == NUM_DEC) {
		dec_t d = v.d;

		if (d.scale) {
			d.coef /= pow10_u128(d.scale);
			d.scale = 0;
			d.neg = d.coef && d.neg;
		}
		val_set_dec(out, &d);
		return 0;
	}
	if (v.nk == NUM_BIG)
		return num_round(ev, n, &v, 0, ROUND_TRUNC, out);
	double t = trunc(v.f);
	if (fabs(t) < 1e18) {
		dec_t d;

		dec_from_i64(&d, (int64_t)t);
		val_set_dec(out, &d);
	} else {
		val_set_dbl(out, t);
	}
	return 0;
}

/* Round d half away from zero to digits after the point (negative: to tens,
 * hundreds...).  0, or -1 when the result does not fit. */
static int round_dec(dec_t *d, int64_t digits)
{
	if (digits >= d->scale)
		return 0;
	if (digits >= 0) {
		dec_round(d, (int)digits);
		return 0;
	}
	dec_round(d, 0);
	if (digits < -DEC_MAX_DIGITS) {
		*d = (dec_t){0, 0, 0};
		return 0;
	}
	u128 p = pow10_u128((int)-digits), q = d->coef / p, r = d->coef % p;
	if (r >= p - r)
		q++;
	if (q && q >= pow10_u128(DEC_MAX_DIGITS) / p)
		return -1;
	d->coef = q * p;
	if (!d->coef)
		d->neg = 0;
	return 0;
}

static int fn_round(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	int64_t digits = 0;
	const struct val *v = &args[0];
	dec_t d;

	if (want(ev, n, args, 0, VAL_NUM) || (n->nargs > 1 && int_arg(ev, n, args, 1, &digits)))
		return -1;
	if (v->nk == NUM_DEC) {
		d = v->d;
		if (digits >= d.scale) {
			*out = *v;
			return 0;
		}
		if (round_dec(&d, digits) == 0) {
			val_set_dec(out, &d);
			return 0;
		}
	}
	if (v->nk != NUM_DBL)
		return num_round(ev, n, v, digits, ROUND_HALF_AWAY, out);
	if (digits > DEC_MAX_SCALE) {
		*out = *v;
		return 0;
	}
	if (digits < -400)
		digits = -400; /* beyond any double: rounds everything to 0 */
	/* A double: its shortest text is the decimal the user sees; round that. */
	double f = v->f;
	char buf[DTOA_BUFSZ];
	size_t k = dtoa_shortest(f, buf);
	int rc = dec_parse(&d, buf, k);

	if (rc == DEC_OK && round_dec(&d, digits) == 0) {
		val_set_dec(out, &d);
		return 0;
	}
	if (fabs(f) < 1 && digits >= 0) {
		d = (dec_t){0, 0, 0};
		val_set_dec(out, &d);
		return 0;
	}
	if (digits < 0) {
		double p = pow(10, (double)-digits);

		f = isinf(p) ? 0 : round(f / p) * p;
		if (!isfinite(f))
			return ev_fail(ev, n, "the result is too large for a number");
	}
	val_set_dbl(out, f);
	return 0;
}

static int floor_ceil(struct ev *ev, const struct node *n, struct val *args, struct val *out,
		      int up)
{
	const struct val *v = &args[0];

	if (want(ev, n, args, 0, VAL_NUM))
		return -1;
	if (v->nk == NUM_DEC) {
		dec_t d = v->d;

		if (!d.scale) {
			*out = *v;
			return 0;
		}
		u128 p = pow10_u128(d.scale), q = d.coef / p, r = d.coef % p;
		if (r && (up ? !d.neg : d.neg))
			q++;
		d.coef = q;
		d.scale = 0;
		d.neg = q && d.neg;
		val_set_dec(out, &d);
		return 0;
	}
	if (v->nk == NUM_BIG)
		return num_round(ev, n, v, 0, up ? ROUND_UP : ROUND_DOWN, out);
	val_set_dbl(out, up ? ceil(v->f) : floor(v->f));
	return 0;
}

static int fn_floor(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	return floor_ceil(ev, n, args, out, 0);
}

static int fn_ceil(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	return floor_ceil(ev, n, args, out, 1);
}

static int fn_abs(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	const struct val *v = &args[0];

	if (want(ev, n, args, 0, VAL_NUM))
		return -1;
	*out = *v;
	switch (v->nk) {
	case NUM_DEC:
		if (v->d.neg) {
			val_set_dec(out, &v->d);
			out->d.neg = 0;
		}
		break;
	case NUM_DBL:
		out->f = fabs(v->f);
		break;
	case NUM_BIG:
		if (v->s.p[0] == '-')
			out->s.p++, out->s.n--;
		break;
	}
	return 0;
}

/* ---- time ---- */

static int fn_now(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	(void)n;
	(void)args;
	val_set_time(out, ev->ctx->now_us, 0);
	return 0;
}

static int fn_date(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	int64_t us, days, tod;
	int32_t off;
	int rc = time_arg(ev, n, args, 0, &us, &off);

	if (rc) {
		val_set_null(out);
		return rc < 0 ? -1 : 0;
	}
	char *p = alloc(ev, 16);
	timefmt_split(us, off, &days, &tod);
	size_t k = timefmt_format(p, 16, "%F", 2, days * TIMEFMT_US_PER_DAY, 0);
	val_set_str(out, p, k);
	return 0;
}

static const char *const units[] = {
	"second", "minute", "hour", "day", "week", "month", "quarter", "year",
};
enum { U_SECOND, U_MINUTE, U_HOUR, U_DAY, U_WEEK, U_MONTH, U_QUARTER, U_YEAR, U_COUNT };

static int find_unit(struct span s)
{
	for (int i = 0; i < U_COUNT; i++)
		if (strlen(units[i]) == s.n && memcmp(units[i], s.p, s.n) == 0)
			return i;
	return -1;
}

#define UNIT_LIST "second, minute, hour, day, week, month, quarter or year"

static int check_trunc(struct expr *e, struct node *n, struct expr_err *err)
{
	const struct node *u = n->args[1];

	if (u->op != OP_CONST || u->k.k == VAL_NULL)
		return 0;
	if (u->k.k != VAL_STR || find_unit(u->k.s) < 0)
		return expr_node_error(e, u, err, "the unit of trunc() is one of " UNIT_LIST);
	return 0;
}

static int fn_trunc(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	int64_t us, days, tod;
	int32_t off;
	int y, m, d, unit, rc;

	if (want(ev, n, args, 1, VAL_STR))
		return -1;
	unit = find_unit(args[1].s);
	if (unit < 0)
		return ev_fail(ev, n, "the unit of trunc() is one of " UNIT_LIST);
	rc = time_arg(ev, n, args, 0, &us, &off);
	if (rc) {
		val_set_null(out);
		return rc < 0 ? -1 : 0;
	}
	timefmt_split(us, off, &days, &tod);
	switch (unit) {
	case U_SECOND:
		tod -= tod % TIMEFMT_US_PER_SEC;
		break;
	case U_MINUTE:
		tod -= tod % (60 * TIMEFMT_US_PER_SEC);
		break;
	case U_HOUR:
		tod -= tod % (3600 * TIMEFMT_US_PER_SEC);
		break;
	case U_DAY:
		tod = 0;
		break;
	case U_WEEK:
		/* ISO weeks start on Monday; day 0 was a Thursday. */
		days -= ((days + 3) % 7 + 7) % 7;
		tod = 0;
		break;
	default:
		timefmt_civil(days, &y, &m, &d);
		if (unit == U_YEAR)
			m = 1;
		else if (unit == U_QUARTER)
			m = (m - 1) / 3 * 3 + 1;
		days = timefmt_days(y, m, 1);
		tod = 0;
		break;
	}
	us = days * TIMEFMT_US_PER_DAY + tod - (int64_t)off * TIMEFMT_US_PER_SEC;
	if (!timefmt_in_range(us, off))
		return ev_fail(ev, n, "the time is out of range");
	val_set_time(out, us, off);
	return 0;
}

static int check_format(struct expr *e, struct node *n, struct expr_err *err)
{
	const struct node *f = n->args[1 < n->nargs ? 1 : 0];
	const char *msg;
	size_t off;

	if (n->nargs < 2 || f->op != OP_CONST || f->k.k == VAL_NULL)
		return 0;
	if (f->k.k != VAL_STR)
		return expr_node_error(e, f, err, "the format of %s() must be a string",
				       n->fn->name);
	msg = timefmt_check(f->k.s.p, f->k.s.n, strcmp(n->fn->name, "parse_time") == 0, &off);
	if (msg)
		return expr_node_error(e, f, err, "%s (at '%.*s')", msg,
				       (int)(f->k.s.n - off < 2 ? f->k.s.n - off : 2),
				       f->k.s.p + off);
	return 0;
}

static int runtime_format(struct ev *ev, const struct node *n, struct span fmt, int parsing)
{
	size_t off;
	const char *msg = timefmt_check(fmt.p, fmt.n, parsing, &off);

	if (msg)
		return ev_fail(ev, n, "%s (at '%.*s')", msg,
			       (int)(fmt.n - off < 2 ? fmt.n - off : 2), fmt.p + off);
	return 0;
}

static int fn_parse_time(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	int64_t us;
	int32_t off;
	struct span s = args[0].s;

	if (args[0].k == VAL_TIME) {
		*out = args[0];
		return 0;
	}
	if (want(ev, n, args, 0, VAL_STR))
		return -1;
	if (s.n == 0) {
		val_set_null(out);
		return 0;
	}
	if (n->nargs == 1) {
		if (timefmt_parse_iso(s.p, s.n, &us, &off))
			return ev_fail(ev, n, "'%.*s%s' is not an ISO-8601 time", shown_len(s), s.p,
				       (size_t)shown_len(s) < s.n ? "..." : "");
	} else {
		struct span f = args[1].s;

		if (want(ev, n, args, 1, VAL_STR) || runtime_format(ev, n, f, 1))
			return -1;
		if (timefmt_parse(s.p, s.n, f.p, f.n, &us, &off))
			return ev_fail(ev, n, "'%.*s%s' does not match the format", shown_len(s),
				       s.p, (size_t)shown_len(s) < s.n ? "..." : "");
	}
	val_set_time(out, us, off);
	return 0;
}

static int fn_format_time(struct ev *ev, const struct node *n, struct val *args, struct val *out)
{
	int64_t us;
	int32_t off;
	char tmp[256];
	struct span f = args[1].s;
	int rc;

	if (want(ev, n, args, 1, VAL_STR) || runtime_format(ev, n, f, 0))
		return -1;
	rc = time_arg(ev, n, args, 0, &us, &off);
	if (rc) {
		val_set_null(out);
		return rc < 0 ? -1 : 0;
	}
	size_t k = timefmt_format(tmp, sizeof(tmp), f.p, f.n, us, off);
	char *p = alloc(ev, k);
	if (k <= sizeof(tmp))
		memcpy(p, tmp, k);
	else
		timefmt_format(p, k, f.p, f.n, us, off);
	val_set_str(out, p, k);
	return 0;
}

static int fn_seconds_between(struct ev *ev, const struct node *n, struct val *args,
			      struct val *out)
{
	int64_t a, b;
	int32_t off;
	int rc = time_arg(ev, n, args, 0, &a, &off);

	if (!rc)
		rc = time_arg(ev, n, args, 1, &b, &off);
	if (rc) {
		val_set_null(out);
		return rc < 0 ? -1 : 0;
	}
	set_seconds(out, b - a);
	return 0;
}

/* ---- the table ---- */

static const struct exprfn fns[] = {
	{"abs", 1, 1, 0, fn_abs, NULL},
	{"ceil", 1, 1, 0, fn_ceil, NULL},
	{"coalesce", 1, FN_ANY, FN_LAZY, fn_coalesce, NULL},
	{"concat", 1, FN_ANY, FN_NULLS, fn_concat, NULL},
	{"contains", 2, 2, 0, fn_contains, NULL},
	{"date", 1, 1, 0, fn_date, NULL},
	{"ends_with", 2, 2, 0, fn_ends_with, NULL},
	{"floor", 1, 1, 0, fn_floor, NULL},
	{"format_time", 2, 2, 0, fn_format_time, check_format},
	{"if", 3, 3, FN_LAZY, fn_if, NULL},
	{"is_null", 1, 1, FN_NULLS, fn_is_null, NULL},
	{"length", 1, 1, 0, fn_length, NULL},
	{"lower", 1, 1, 0, fn_lower, NULL},
	{"ltrim", 1, 1, 0, fn_ltrim, NULL},
	{"matches", 2, 2, 0, fn_matches, check_matches},
	{"now", 0, 0, FN_IMPURE, fn_now, NULL},
	{"parse_time", 1, 2, 0, fn_parse_time, check_format},
	{"replace", 3, 3, 0, fn_replace, NULL},
	{"round", 1, 2, 0, fn_round, NULL},
	{"rtrim", 1, 1, 0, fn_rtrim, NULL},
	{"seconds_between", 2, 2, 0, fn_seconds_between, NULL},
	{"starts_with", 2, 2, 0, fn_starts_with, NULL},
	{"substr", 2, 3, 0, fn_substr, NULL},
	{"to_int", 1, 1, 0, fn_to_int, NULL},
	{"to_number", 1, 1, 0, fn_to_number, NULL},
	{"to_string", 1, 1, 0, fn_to_string, NULL},
	{"trim", 1, 1, 0, fn_trim, NULL},
	{"trunc", 2, 2, 0, fn_trunc, check_trunc},
	{"type", 1, 1, FN_NULLS, fn_type, NULL},
	{"upper", 1, 1, 0, fn_upper, NULL},
};

const struct exprfn *exprfn_find(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (strlen(fns[i].name) == n && memcmp(fns[i].name, name, n) == 0)
			return &fns[i];
	return NULL;
}

/* Edit distance, for suggestions; names longer than 32 bytes are not
 * near anything. */
static size_t distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t row[33];

	if (na > 32 || nb > 32)
		return SIZE_MAX;
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[nb];
}

const char *exprfn_suggest(const char *name, size_t n)
{
	const char *best = NULL;
	size_t bd = 3;

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		size_t d = distance(name, n, fns[i].name, strlen(fns[i].name));

		if (d < bd && d < n) {
			bd = d;
			best = fns[i].name;
		}
	}
	return best;
}
