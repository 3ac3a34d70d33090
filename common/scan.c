/*
 * scan.c - the validating JSON scanner (see scan.h).
 *
 * Design: one forward pass, no allocation, no recursion for the values a
 * program does not want.  Untracked values are validated by an iterative
 * state machine with a byte stack of open containers; only objects on the
 * way to a wanted path are walked by obj_tracked(), whose recursion depth is
 * bounded by the longest wanted path.  String bodies, the bulk of NDJSON,
 * are skipped 16 bytes at a time (SSE2, baseline on x86-64) until a quote,
 * backslash, control or non-ASCII byte shows up; non-ASCII is then checked
 * as UTF-8 byte-exactly.
 *
 * Invariant: the text is followed by a '\0' sentinel, so the scanner reads
 * at most one byte past the end and needs no bounds check in its loops:
 * '\0' is never valid where it is met, and p == end tells "end of line"
 * from "NUL byte".
 */
#include "scan.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "buf.h"
#include "hex.h"
#include "mem.h"
#include "utf8.h"
#include "banned.h"

typedef const unsigned char *cp;

struct sc {
	cp start, end;
	cp errp;
	const char *msg;
	int syntax; /* the failure breaks JSON's grammar (see struct scan_err) */
};

/* The compiled wanted paths: a trie of segments. */
struct want_node {
	const char *key;
	size_t keylen;
	int leaf; /* index into vals, or -1 */
	int esc;  /* the key holds a backslash */
	struct want_node *kids;
	size_t nkids, capkids;
	/* after[j]: the kid that came after kid j in the last object (after[nkids]:
	 * its first), the one tried first; learned while scanning */
	size_t *after;
};

struct scan_want {
	struct want_node root;
	size_t n;
	int *dup_of; /* dup_of[i] = j < i when path i repeats path j, else -1 */
};

/* Out of line and cold: inlined, it costs the loops that never fail
 * registers (2% more instructions on a clean file). */
static __attribute__((noinline, cold)) cp fail(struct sc *s, cp p, const char *msg)
{
	s->errp = p;
	s->msg = msg;
	s->syntax = 1;
	/* a byte that is not text is reported as such wherever it stands, in
	 * a string or between tokens ({"a":<0xFF>}) */
	if (*p >= 0x80 && p < s->end && !utf8_seq(p, s->end)) {
		s->msg = "invalid UTF-8";
		s->syntax = 0;
	}
	return NULL;
}

/* A failure that is not about JSON's grammar: the bytes are not text (a NUL,
 * invalid UTF-8), or the record is valid JSON of the wrong kind. */
static cp fail_other(struct sc *s, cp p, const char *msg)
{
	fail(s, p, msg);
	s->syntax = 0;
	return NULL;
}

static inline cp ws(cp p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* A string starting at the quote p; returns the byte after its closing quote. */
static cp string(struct sc *s, cp p)
{
	p++;
	for (;;) {
		unsigned c;

#ifdef __SSE2__
		const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'),
			      sp = _mm_set1_epi8(0x20);

		while (s->end - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)p);
			__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q),
							      _mm_cmpeq_epi8(v, bs)),
						 _mm_cmplt_epi8(v, sp));
			unsigned mask = _mm_movemask_epi8(m);

			if (mask) {
				p += __builtin_ctz(mask);
				break;
			}
			p += 16;
		}
#endif
		c = *p;
		if (c == '"')
			return p + 1;
		if (c >= 0x20 && c < 0x80 && c != '\\') {
			p++;
			continue;
		}
		if (c == '\\') {
			long u;

			switch (p[1]) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				p += 2;
				continue;
			case 'u':
				u = hex_4((const char *)p + 2);
				if (u < 0)
					return fail(s, p, "invalid \\u escape");
				if (u >= 0xdc00 && u <= 0xdfff)
					return fail(s, p, "lone low surrogate in \\u escape");
				if (u >= 0xd800 && u <= 0xdbff) {
					long lo = p[6] == '\\' && p[7] == 'u'
							  ? hex_4((const char *)p + 8)
							  : -1;

					if (lo < 0xdc00 || lo > 0xdfff)
						return fail(s, p,
							    "lone high surrogate in \\u escape");
					p += 12;
					continue;
				}
				p += 6;
				continue;
			default:
				return fail(s, p, "invalid escape in string");
			}
		}
		if (c >= 0x80) {
			size_t k = utf8_seq(p, s->end);

			if (!k)
				return fail_other(s, p, "invalid UTF-8");
			p += k;
			continue;
		}
		if (p >= s->end)
			return fail(s, p, "unterminated string");
		if (c == 0)
			return fail_other(s, p, "NUL byte");
		return fail(s, p, "control character in string");
	}
}

static inline int digit(unsigned c)
{
	return c - '0' < 10;
}

static cp number(struct sc *s, cp p)
{
	if (*p == '-')
		p++;
	if (*p == '0') {
		p++;
	} else if (digit(*p)) {
		while (digit(*++p))
			;
	} else {
		return fail(s, p, "invalid number");
	}
	if (*p == '.') {
		if (!digit(*++p))
			return fail(s, p, "invalid number: expected a digit after '.'");
		while (digit(*++p))
			;
	}
	if ((*p | 0x20) == 'e') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!digit(*p))
			return fail(s, p, "invalid number: expected a digit in the exponent");
		while (digit(*++p))
			;
	}
	return p;
}

static cp literal(struct sc *s, cp p, const char *word, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)word[i])
			return fail(s, p + i, "invalid literal");
	return p + n;
}

/* Validate one value starting at p (white space already skipped), at
 * container depth depth0. */
static cp skip_value(struct sc *s, cp p, int depth0)
{
	unsigned char stack[SCAN_MAX_DEPTH];
	int d = 0;

value:
	switch (*p) {
	case '{':
		if (depth0 + d >= SCAN_MAX_DEPTH)
			return fail(s, p, "nesting too deep");
		stack[d++] = '{';
		p = ws(p + 1);
		if (*p == '}') {
			p++;
			d--;
			goto close;
		}
		goto key;
	case '[':
		if (depth0 + d >= SCAN_MAX_DEPTH)
			return fail(s, p, "nesting too deep");
		stack[d++] = '[';
		p = ws(p + 1);
		if (*p == ']') {
			p++;
			d--;
			goto close;
		}
		goto value;
	case '"':
		p = string(s, p);
		break;
	case 't':
		p = literal(s, p, "true", 4);
		break;
	case 'f':
		p = literal(s, p, "false", 5);
		break;
	case 'n':
		p = literal(s, p, "null", 4);
		break;
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		p = number(s, p);
		break;
	default:
		if (p >= s->end)
			return fail(s, p, "unexpected end of line, expected a value");
		return *p ? fail(s, p, "expected a value") : fail_other(s, p, "NUL byte");
	}
	if (!p)
		return NULL;
close:
	if (d == 0)
		return p;
	p = ws(p);
	if (stack[d - 1] == '{') {
		if (*p == ',') {
			p = ws(p + 1);
			goto key;
		}
		if (*p == '}') {
			p++;
			d--;
			goto close;
		}
		return fail(s, p,
			    p >= s->end ? "unexpected end of line, expected ',' or '}'"
					: "expected ',' or '}'");
	}
	if (*p == ',') {
		p = ws(p + 1);
		goto value;
	}
	if (*p == ']') {
		p++;
		d--;
		goto close;
	}
	return fail(s, p,
		    p >= s->end ? "unexpected end of line, expected ',' or ']'"
				: "expected ',' or ']'");
key:
	if (*p != '"')
		return fail(s, p,
			    p >= s->end ? "unexpected end of line, expected a key"
					: "expected a string key");
	p = string(s, p);
	if (!p)
		return NULL;
	p = ws(p);
	if (*p != ':')
		return fail(s, p, "expected ':'");
	p = ws(p + 1);
	goto value;
}

/* ---- wanted paths ---- */

static struct want_node *child_for(struct want_node *n, const char *key, size_t len)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i].keylen == len && memcmp(n->kids[i].key, key, len) == 0)
			return &n->kids[i];
	xgrow(&n->kids, &n->capkids, n->nkids + 1, sizeof(*n->kids));
	n = memset(&n->kids[n->nkids++], 0, sizeof(*n->kids));
	n->key = xstrndup(key, len);
	n->keylen = len;
	n->esc = memchr(key, '\\', len) != NULL;
	n->leaf = -1;
	return n;
}

/* Before any object is seen, the kids are guessed to come in their order. */
static void plan_order(struct want_node *n)
{
	if (!n->nkids)
		return;
	n->after = xmalloc((n->nkids + 1) * sizeof(*n->after));
	for (size_t i = 0; i < n->nkids; i++) {
		n->after[i] = i + 1;
		plan_order(&n->kids[i]);
	}
	n->after[n->nkids] = 0;
}

struct scan_want *scan_want_new(const struct path *paths, size_t n)
{
	struct scan_want *w = xcalloc(1, sizeof(*w));

	w->root.leaf = -1;
	w->n = n;
	w->dup_of = xmalloc((n ? n : 1) * sizeof(int));
	for (size_t i = 0; i < n; i++) {
		struct want_node *node = &w->root;

		for (size_t j = 0; j < paths[i].nseg; j++)
			node = child_for(node, paths[i].seg[j].s, paths[i].seg[j].n);
		w->dup_of[i] = node->leaf;
		if (node->leaf < 0)
			node->leaf = i;
	}
	plan_order(&w->root);
	return w;
}

static void free_node(struct want_node *n)
{
	for (size_t i = 0; i < n->nkids; i++) {
		free_node(&n->kids[i]);
		free((char *)n->kids[i].key);
	}
	free(n->kids);
	free(n->after);
}

void scan_want_free(struct scan_want *w)
{
	if (!w)
		return;
	free_node(&w->root);
	free(w->dup_of);
	free(w);
}

static void clear_leaves(const struct want_node *n, struct span *vals)
{
	for (size_t i = 0; i < n->nkids; i++) {
		if (n->kids[i].leaf >= 0)
			vals[n->kids[i].leaf] = (struct span){NULL, 0};
		clear_leaves(&n->kids[i], vals);
	}
}

/* The kid that the raw key [key, key + len) names, or NULL.  The kid that
 * followed the one matched last (*last) in the objects before is tried
 * first: the objects of a stream mostly hold their keys in one order.  A
 * key without escapes is its own decoded text and is compared as bytes
 * with the names that hold no backslash; a key that none of them matches
 * is decoded only when it holds escapes. */
static const struct want_node *match(const struct want_node *n, cp key, size_t len, size_t *last)
{
	const struct want_node *k;
	size_t i;

	if (!n->nkids) /* a path of no segment wants the whole record */
		return NULL;
	k = &n->kids[n->after[*last]];
	if (n->after[*last] < n->nkids && k->keylen == len && !k->esc &&
	    memcmp(k->key, key, len) == 0) {
		i = n->after[*last];
		goto found;
	}
	for (i = 0; i < n->nkids; i++) {
		k = &n->kids[i];
		if (k->keylen == len && !k->esc && memcmp(k->key, key, len) == 0)
			goto learn;
	}
	if (!memchr(key, '\\', len))
		return NULL;
	for (i = 0; i < n->nkids; i++) {
		k = &n->kids[i];
		if (scan_key_eq((struct span){(const char *)key, len}, k->key, k->keylen))
			goto learn;
	}
	return NULL;
learn:
	n->after[*last] = i;
found:
	*last = i;
	return k;
}

/* An object on the way to wanted paths; p is at its '{'. */
static cp obj_tracked(struct sc *s, cp p, const struct want_node *node, struct span *vals,
		      int depth)
{
	size_t last = node->nkids;

	if (depth >= SCAN_MAX_DEPTH)
		return fail(s, p, "nesting too deep");
	p = ws(p + 1);
	if (*p == '}')
		return p + 1;
	for (;;) {
		const struct want_node *kid;
		cp k, v;

		if (*p != '"')
			return fail(s, p,
				    p >= s->end ? "unexpected end of line, expected a key"
						: "expected a string key");
		k = p + 1;
		p = string(s, p);
		if (!p)
			return NULL;
		kid = match(node, k, p - 1 - k, &last);
		p = ws(p);
		if (*p != ':')
			return fail(s, p, "expected ':'");
		v = p = ws(p + 1);
		if (kid && kid->nkids) {
			clear_leaves(kid, vals);
			if (*p == '{')
				p = obj_tracked(s, p, kid, vals, depth + 1);
			else
				p = skip_value(s, p, depth + 1);
		} else {
			p = skip_value(s, p, depth + 1);
		}
		if (!p)
			return NULL;
		if (kid && kid->leaf >= 0)
			vals[kid->leaf] = (struct span){(const char *)v, p - v};
		p = ws(p);
		if (*p == ',') {
			p = ws(p + 1);
			continue;
		}
		if (*p == '}')
			return p + 1;
		return fail(s, p,
			    p >= s->end ? "unexpected end of line, expected ',' or '}'"
					: "expected ',' or '}'");
	}
}

static int finish(struct sc *s, cp p, struct scan_err *err)
{
	if (p) {
		p = ws(p);
		if (p == s->end)
			return 0;
		if (*p)
			fail(s, p, "unexpected data after the value");
		else
			fail_other(s, p, "NUL byte");
	}
	err->off = s->errp - s->start;
	err->msg = s->msg;
	err->syntax = s->syntax;
	return -1;
}

int scan_record(const char *text, size_t n, const struct scan_want *w, struct span *vals,
		struct scan_err *err)
{
	struct sc s = {(cp)text, (cp)text + n, NULL, NULL, 0};
	cp p = ws(s.start);

	if (*p != '{') {
		/* a valid value that is not an object is "not an object";
		 * anything else is reported as the JSON error it is */
		if (p >= s.end)
			fail(&s, p, "empty record");
		else if (*p && !strchr("[\"tfn-0123456789", *p))
			fail(&s, p, "expected a JSON object"); /* nothing a value begins with */
		else if (finish(&s, skip_value(&s, p, 0), err) != 0)
			return -1;
		else if (*p == '[')
			fail_other(&s, p, "not a JSON object: an array");
		else if (*p == '"')
			fail_other(&s, p, "not a JSON object: a string");
		else if (*p == 't' || *p == 'f')
			fail_other(&s, p, "not a JSON object: a boolean");
		else if (*p == 'n')
			fail_other(&s, p, "not a JSON object: null");
		else
			fail_other(&s, p, "not a JSON object: a number");
		return finish(&s, NULL, err);
	}
	if (w && w->n) {
		for (size_t i = 0; i < w->n; i++)
			vals[i] = (struct span){NULL, 0};
		p = obj_tracked(&s, p, &w->root, vals, 0);
		if (p)
			for (size_t i = 0; i < w->n; i++)
				if (w->dup_of[i] >= 0)
					vals[i] = vals[w->dup_of[i]];
	} else {
		p = skip_value(&s, p, 0);
	}
	return finish(&s, p, err);
}

int scan_value(const char *text, size_t n, struct scan_err *err)
{
	struct sc s = {(cp)text, (cp)text + n, NULL, NULL, 0};

	return finish(&s, skip_value(&s, ws(s.start), 0), err);
}

/* ---- validated text ---- */

struct span scan_trim(struct span v)
{
	while (v.n && (v.p[0] == ' ' || v.p[0] == '\t' || v.p[0] == '\r' || v.p[0] == '\n'))
		v.p++, v.n--;
	while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t' || v.p[v.n - 1] == '\r' ||
		       v.p[v.n - 1] == '\n'))
		v.n--;
	return v;
}

enum scan_kind scan_kind(struct span v)
{
	if (!v.p)
		return SCAN_NONE;
	return scan_kind_trimmed(scan_trim(v));
}

size_t scan_depth(struct span v)
{
	const char *p = v.p, *end = v.p + v.n;
	size_t d = 0, max = 0;

	for (; p < end; p++) {
		switch (*p) {
		case '"':
			/* validated: the string ends at the first quote not escaped */
			for (p++; *p != '"'; p++)
				if (*p == '\\')
					p++;
			break;
		case '{':
		case '[':
			if (++d > max)
				max = d;
			break;
		case '}':
		case ']':
			d--;
			break;
		}
	}
	return max;
}

/* Skip a validated value; p at its first byte.  No validation is needed:
 * a string ends at the first quote not escaped, a scalar at the first byte
 * that cannot continue it. */
static const char *fast_skip(const char *p, const char *end)
{
	int d = 0;

	do {
		switch (*p) {
		case '"':
			/* the first quote after an even run of backslashes */
			for (p++;; p++) {
				size_t bs = 0;

				p = memchr(p, '"', end - p);
				while (p[-1 - (ptrdiff_t)bs] == '\\')
					bs++;
				if (bs % 2 == 0)
					break;
			}
			p++;
			break;
		case '{':
		case '[':
			d++;
			p++;
			break;
		case '}':
		case ']':
			d--;
			p++;
			break;
		case ' ':
		case '\t':
		case '\r':
		case '\n':
		case ',':
		case ':':
			p++;
			break;
		default:
			while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' &&
			       *p != ':' && *p != '\t' && *p != '\r' && *p != '\n')
				p++;
			break;
		}
	} while (d > 0 && p < end);
	return p;
}

void scan_iter_init(struct scan_iter *it, struct span v)
{
	v = scan_trim(v);
	it->p = v.p + 1; /* after '{' or '[' */
	it->end = v.p + v.n - 1;
}

static const char *skip_ws_c(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ','))
		p++;
	return p;
}

int scan_iter_next(struct scan_iter *it, struct span *key, struct span *val)
{
	const char *p = skip_ws_c(it->p, it->end), *q;

	if (p >= it->end)
		return 0;
	key->p = NULL;
	key->n = 0;
	if (it->end[0] == '}') {
		q = fast_skip(p, it->end);
		key->p = p + 1;
		key->n = q - p - 2;
		p = q;
		while (*p != ':')
			p++;
		p = skip_ws_c(p + 1, it->end);
	}
	q = fast_skip(p, it->end);
	val->p = p;
	val->n = q - p;
	it->p = q;
	return 1;
}

static size_t unescape_one(const char **pp, char *out)
{
	const char *p = *pp;
	unsigned long u;

	switch (p[1]) {
	case 'b':
		out[0] = '\b';
		break;
	case 'f':
		out[0] = '\f';
		break;
	case 'n':
		out[0] = '\n';
		break;
	case 'r':
		out[0] = '\r';
		break;
	case 't':
		out[0] = '\t';
		break;
	case 'u':
		u = hex_4(p + 2);
		*pp = p + 6;
		if (u >= 0xd800 && u <= 0xdbff) {
			u = 0x10000 + ((u - 0xd800) << 10) + (hex_4(p + 8) - 0xdc00);
			*pp = p + 12;
		}
		return utf8_encode(u, out);
	default:
		out[0] = p[1];
		break;
	}
	*pp = p + 2;
	return 1;
}

size_t scan_unescape_to(char *out, const char *p, size_t n)
{
	const char *end = p + n;
	char *o = out;

	/* o never overtakes p: every escape decodes to fewer bytes than it has */
	while (p < end) {
		const char *bs = memchr(p, '\\', end - p);

		if (!bs) {
			memcpy(o, p, end - p);
			o += end - p;
			break;
		}
		memcpy(o, p, bs - p);
		o += bs - p;
		p = bs;
		o += unescape_one(&p, o);
	}
	return o - out;
}

size_t scan_unescape(struct buf *out, const char *p, size_t n)
{
	size_t k;

	buf_grow(out, n);
	k = scan_unescape_to(out->p + out->len, p, n);
	out->len += k;
	out->p[out->len] = '\0';
	return k;
}

size_t scan_string(struct buf *out, struct span v)
{
	return scan_unescape(out, v.p + 1, v.n - 2);
}

size_t scan_count(struct span v)
{
	struct scan_iter it;
	struct span k, e;
	size_t n = 0;

	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &k, &e))
		n++;
	return n;
}

int scan_key_eq(struct span raw, const char *s, size_t n)
{
	const char *p = raw.p, *end = raw.p + raw.n;
	size_t i = 0;

	while (p < end) {
		char tmp[4];
		size_t k;

		if (*p != '\\') {
			if (i >= n || s[i] != *p)
				return 0;
			i++;
			p++;
			continue;
		}
		k = unescape_one(&p, tmp);
		if (i + k > n || memcmp(s + i, tmp, k) != 0)
			return 0;
		i += k;
	}
	return i == n;
}

struct span scan_lookup(struct span obj, const struct path *path)
{
	struct span cur = obj.p ? scan_trim(obj) : obj;

	for (size_t i = 0; i < path->nseg; i++) {
		struct scan_iter it;
		struct span k, v, found = {NULL, 0};

		if (scan_kind(cur) != SCAN_OBJECT)
			return (struct span){NULL, 0};
		scan_iter_init(&it, cur);
		while (scan_iter_next(&it, &k, &v))
			if (scan_key_eq(k, path->seg[i].s, path->seg[i].n))
				found = v;
		if (!found.p)
			return found;
		cur = found;
	}
	return cur;
}
