/*
 * schema.c - JSON Schema draft 2020-12: load, compile, validate (schema.h).
 *
 * Loading.  Every document (the schema file, the files its $refs name, the
 * built-in meta-schemas) is kept as its text, validated once by the scanner;
 * the schema is read through spans into that text, so a number in a schema
 * keeps its text and compares exactly with a number of a record.  An index
 * pass walks each document through the keywords that hold subschemas and
 * notes, for each subschema, its base URI, its resource (the nearest $id)
 * and its JSON pointer, and registers $id, $anchor and $dynamicAnchor.
 *
 * Compiling.  compile() turns a subschema into a struct node, memoized by
 * the address of its text, so a $ref cycle compiles to a cycle of nodes and
 * every subschema is compiled once.  A $ref is resolved at compile time; a
 * $dynamicRef keeps its static target and its anchor name, and is resolved
 * against the dynamic scope (the resources entered so far) when it runs.
 *
 * Validating.  check() walks a node and a value together.  Annotations for
 * unevaluatedProperties/unevaluatedItems are a bit per member (item) of the
 * value, passed down to the subschemas applied in place; a node that holds
 * an unevaluated* keyword starts its own set and adds it to its parent's
 * when done, and branches that may fail without failing their parent
 * (anyOf, oneOf, if) get a set of their own that counts only when they pass.
 * Without SCHEMA_ERRORS, or under a branch whose errors do not count, a
 * failure returns at once.
 *
 * Speed.  The members of an object of the value are found once per value
 * (a small cache keyed by their address, reset per value), not once per
 * keyword; plain integers compare as integers; and a root that looks at an
 * object only through properties and required gets the values of those
 * fields from the caller (schema_check_fields()), who has the scanner find
 * them in the pass that validates the line.
 */
#include "schema.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "buf.h"
#include "decimal.h"
#include "format.h"
#include "mem.h"
#include "utf8.h"
#include "banned.h"

#define META_URI "https://json-schema.org/draft/2020-12/schema"

/* The built-in meta-schemas (generated from common/schema/meta/). */
struct schema_meta_doc {
	const char *uri;
	const char *text;
	size_t len;
};
extern const struct schema_meta_doc schema_meta_docs[];
extern const size_t schema_meta_ndocs;

/* ---- A map from addresses to pointers ---------------------------------- */

struct pmap {
	const void **keys;
	void **vals;
	size_t cap, n;
};

static size_t phash(const void *k, size_t cap)
{
	uint64_t x = (uint64_t)(uintptr_t)k * 0x9E3779B97F4A7C15ull;

	return (size_t)(x >> 20) & (cap - 1);
}

static void pmap_put(struct pmap *m, const void *k, void *v);

static void pmap_grow(struct pmap *m)
{
	struct pmap old = *m;

	m->cap = old.cap ? old.cap * 2 : 64;
	m->keys = xcalloc(m->cap, sizeof(*m->keys));
	m->vals = xcalloc(m->cap, sizeof(*m->vals));
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[i])
			pmap_put(m, old.keys[i], old.vals[i]);
	free(old.keys);
	free(old.vals);
}

static void pmap_put(struct pmap *m, const void *k, void *v)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap)
		pmap_grow(m);
	for (i = phash(k, m->cap); m->keys[i] && m->keys[i] != k; i = (i + 1) & (m->cap - 1))
		;
	if (!m->keys[i])
		m->n++;
	m->keys[i] = k;
	m->vals[i] = v;
}

static void *pmap_get(const struct pmap *m, const void *k)
{
	if (!m->cap)
		return NULL;
	for (size_t i = phash(k, m->cap); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == k)
			return m->vals[i];
	return NULL;
}

static void pmap_release(struct pmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- The compiled plan ------------------------------------------------- */

enum {
	T_NULL = 1 << 0,
	T_BOOLEAN = 1 << 1,
	T_OBJECT = 1 << 2,
	T_ARRAY = 1 << 3,
	T_NUMBER = 1 << 4,
	T_STRING = 1 << 5,
	T_INTEGER = 1 << 6,
};

/* Vocabularies a document's meta-schema enables. */
enum {
	V_CORE = 1 << 0,
	V_APPLICATOR = 1 << 1,
	V_UNEVALUATED = 1 << 2,
	V_VALIDATION = 1 << 3,
	V_FORMAT_ASSERT = 1 << 4,
	V_ALL = V_CORE | V_APPLICATOR | V_UNEVALUATED | V_VALIDATION,
};

struct node;

struct named {
	const char *name;
	size_t n;
	struct node *s;
};

struct pat {
	pcre2_code *re;
	struct node *s;
};

struct names {
	const char **v;
	size_t *len;
	size_t n;
};

struct depreq {
	const char *name;
	size_t n;
	struct names req;
};

struct dynanchor {
	const char *name;
	struct span v;
	struct node *s;
};

struct res {
	char *uri;
	struct span root;
	struct dynanchor *dyn;
	size_t ndyn;
};

struct list {
	struct node **v;
	size_t n;
};

struct node {
	int boolean;     /* -1: an object schema; else its value */
	const char *loc; /* JSON pointer of the subschema, for messages */
	struct res *res;
	const char *dyn_anchor; /* its own $dynamicAnchor, or NULL */
	unsigned types;
	int has_const, has_enum;
	struct span konst;
	struct span *enums;
	size_t nenum;
	struct span minimum, maximum, exmin, exmax, multiple;
	long long min_len, max_len, min_items, max_items, min_props, max_props;
	long long min_contains, max_contains;
	int unique;
	pcre2_code *pattern;
	const char *pattern_src;
	const char *format;
	struct list prefix, all, any, one;
	struct node *items, *contains, *uneval_items;
	struct named *props, *dschemas;
	size_t nprops, ndschemas;
	struct pat *pprops;
	size_t npprops;
	struct node *addl, *prop_names, *uneval_props;
	struct names required;
	struct depreq *dreq;
	size_t ndreq;
	struct node * not, *if_, *then_, *else_;
	struct node *ref, *dref;
	const char *dref_name;
	int uneval; /* holds unevaluatedProperties or unevaluatedItems */

	/* A leaf: no applicator, no const; a scalar value is then checked by
	 * leaf_ok() alone (see there). */
	int leaf;
	int pattern_jit;      /* the pattern has JIT code: pcre2_jit_match() */
	struct fixpat *fix;   /* the pattern, when it is that simple */
	struct span *estr;    /* the enum's strings, decoded (p == NULL: not a string) */
	long long imin, imax; /* minimum, maximum as plain integers */
	int has_imin, has_imax;
};

/* An anchored pattern of ASCII characters and classes, each once or a
 * fixed number of times, the last one possibly repeated to the end
 * ("^C[0-9]{6}$", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "^[A-Z]+$"): the byte
 * set of each position, matched without PCRE2.  A non-ASCII character is
 * in no set, so counting bytes or characters makes no difference. */
struct fixpat {
	unsigned char (*set)[256]; /* set[i][c]: byte c may stand at position i */
	size_t n;
	int rep; /* the last set repeats: n - 1 or more bytes */
	int bs;  /* some set holds '\\' */
};

struct doc {
	char *text;
	size_t n;
	char *uri;
	unsigned vocab;
	int checked; /* against its meta-schema */
};

/* What the index pass learned about a subschema. */
struct idx {
	const char *base;
	const char *ptr;
	struct res *res;
	struct doc *doc;
	size_t n;
};

struct anchor {
	char *uri; /* base#name */
	struct span v;
};

/* A step of the instance path, for error messages. */
struct step {
	const char *key; /* NULL: an index */
	size_t n;
};

/* The members (elements) of an object (array) of the value, found once. */
struct member {
	struct span k, v;
};
#define MCACHE 16
struct mcache {
	uint64_t gen; /* the check it was filled in: entries of earlier ones are stale */
	const char *p;
	struct member *m;
	size_t n;
};

struct schema {
	struct arena mem; /* nodes and their strings: as long as the schema */
	struct schema_opts opts;
	struct doc **docs;
	size_t ndocs;
	struct res **res;
	size_t nres;
	struct anchor *anchors;
	size_t nanchors;
	struct pmap index, memo;
	pcre2_code **codes;
	size_t ncodes;
	struct node *root;
	struct schema_cerr *cerr;
	const char *display; /* the main document's name in messages */
	int failed;
	int depth;

	/* validation */
	struct arena scratch;
	pcre2_match_data *md;
	int collect, quiet;
	struct res **scope;
	size_t nscope, capscope;
	struct step *steps;
	size_t nsteps, capsteps;
	struct schema_error *errs;
	size_t nerrs, caperrs;
	struct mcache mc[MCACHE];
	uint64_t gen; /* the current check, counted */
	struct member *mtmp;
	size_t capmtmp;

	/* A root that looks at an object only through properties and
	 * required: the fields it names, and the root without those two. */
	const char **fnames;
	size_t *flens, nfields;
	const struct node **fprop; /* the property's schema, or NULL */
	size_t *freq;              /* the required names' indexes in fnames */
	size_t nfreq;
	struct node *shell;
	int shell_open; /* the shell accepts every object: it is not checked */
};

/* ---- Small helpers ------------------------------------------------------ */

static char *sdup(struct schema *S, const char *p, size_t n)
{
	char *s = arena_alloc(&S->mem, n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void cfail(struct schema *S, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cfail(struct schema *S, const char *where, const char *fmt, ...)
{
	va_list ap;

	if (S->failed)
		return;
	S->failed = 1;
	/* the main document is named as the user named it */
	if (S->display && (!*where || *where == '/'))
		snprintf(S->cerr->where, sizeof(S->cerr->where), "%s#%s", S->display, where);
	else if (S->display && S->ndocs &&
		 !strncmp(where, S->docs[0]->uri, strlen(S->docs[0]->uri)))
		snprintf(S->cerr->where, sizeof(S->cerr->where), "%s%s", S->display,
			 where + strlen(S->docs[0]->uri));
	else
		snprintf(S->cerr->where, sizeof(S->cerr->where), "%s", where);
	va_start(ap, fmt);
	vsnprintf(S->cerr->msg, sizeof(S->cerr->msg), fmt, ap);
	va_end(ap);
}

/* The decoded content of a validated string value (with its quotes), in
 * arena a when it holds escapes. */
static struct span str_of(struct arena *a, struct span v)
{
	struct span s = {v.p + 1, v.n - 2};

	if (memchr(s.p, '\\', s.n)) {
		char *d = arena_alloc(a, s.n + 1);

		s.n = scan_unescape_to(d, s.p, s.n);
		d[s.n] = '\0';
		s.p = d;
	}
	return s;
}

/* A raw key (between its quotes) decoded. */
static struct span key_of(struct arena *a, struct span rawkey)
{
	return str_of(a, (struct span){rawkey.p - 1, rawkey.n + 2});
}

static struct span obj_get(struct span obj, const char *key)
{
	struct scan_iter it;
	struct span k, v, found = {NULL, 0};
	size_t n = strlen(key);

	scan_iter_init(&it, obj);
	while (scan_iter_next(&it, &k, &v))
		if (scan_key_eq(k, key, n))
			found = v;
	return found;
}

static int span_is(struct span a, const char *s)
{
	return a.n == strlen(s) && memcmp(a.p, s, a.n) == 0;
}

/* ---- Exact JSON equality ---------------------------------------------- */

static int json_eq(struct arena *a, struct span x, struct span y)
{
	enum scan_kind kx = scan_kind(x), ky = scan_kind(y);
	struct scan_iter ix, iy;
	struct span k1, v1, k2, v2;
	size_t nx = 0, ny = 0;

	if (kx != ky)
		return 0;
	x = scan_trim(x);
	y = scan_trim(y);
	switch (kx) {
	case SCAN_NUMBER:
		return dec_text_cmp(x.p, x.n, y.p, y.n) == 0;
	case SCAN_STRING: {
		struct span sx = str_of(a, x), sy = str_of(a, y);

		return sx.n == sy.n && memcmp(sx.p, sy.p, sx.n) == 0;
	}
	case SCAN_ARRAY: {
		int mx, my;

		scan_iter_init(&ix, x);
		scan_iter_init(&iy, y);
		for (;;) {
			mx = scan_iter_next(&ix, &k1, &v1);
			my = scan_iter_next(&iy, &k2, &v2);
			if (!mx || !my)
				return mx == my;
			if (!json_eq(a, v1, v2))
				return 0;
		}
	}
	case SCAN_OBJECT:
		ny = scan_count(y);
		scan_iter_init(&ix, x);
		while (scan_iter_next(&ix, &k1, &v1)) {
			struct span key = key_of(a, k1), found = {NULL, 0};

			nx++;
			scan_iter_init(&iy, y);
			while (scan_iter_next(&iy, &k2, &v2))
				if (scan_key_eq(k2, key.p, key.n))
					found = v2;
			if (!found.p || !json_eq(a, v1, found))
				return 0;
		}
		return nx == ny;
	default:
		return 1;
	}
}

/* ---- URIs (RFC 3986 section 5) ---------------------------------------- */

struct uri {
	struct span scheme, auth, path, query, frag;
};

static void uri_parse(const char *s, struct uri *u)
{
	const char *p = s, *q;

	memset(u, 0, sizeof(*u));
	for (q = p; *q && *q != ':' && *q != '/' && *q != '?' && *q != '#'; q++)
		;
	if (*q == ':' && q > p && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
		u->scheme = (struct span){p, (size_t)(q - p)};
		p = q + 1;
	}
	if (p[0] == '/' && p[1] == '/') {
		p += 2;
		for (q = p; *q && *q != '/' && *q != '?' && *q != '#'; q++)
			;
		u->auth = (struct span){p, (size_t)(q - p)};
		p = q;
	}
	for (q = p; *q && *q != '?' && *q != '#'; q++)
		;
	u->path = (struct span){p, (size_t)(q - p)};
	p = q;
	if (*p == '?') {
		for (q = p + 1; *q && *q != '#'; q++)
			;
		u->query = (struct span){p + 1, (size_t)(q - p - 1)};
		p = q;
	}
	if (*p == '#')
		u->frag = (struct span){p + 1, strlen(p + 1)};
}

/* remove_dot_segments of RFC 3986 5.2.4, appending to out. */
static void remove_dots(struct buf *out, const char *p, size_t n)
{
	char *in = xstrndup(p, n);
	const char *s = in;
	size_t start = out->len;

	while (*s) {
		if (!strncmp(s, "../", 3)) {
			s += 3;
		} else if (!strncmp(s, "./", 2)) {
			s += 2;
		} else if (!strncmp(s, "/./", 3)) {
			s += 2;
		} else if (!strcmp(s, "/.")) {
			s = "/";
		} else if (!strncmp(s, "/../", 4) || !strcmp(s, "/..")) {
			s = s[3] ? s + 3 : "/";
			while (out->len > start && out->p[out->len - 1] != '/')
				out->len--;
			if (out->len > start)
				out->len--;
			out->p[out->len] = '\0';
		} else if (!strcmp(s, ".") || !strcmp(s, "..")) {
			break;
		} else {
			size_t k = 1;

			while (s[k] && s[k] != '/')
				k++;
			if (s[0] != '/')
				k = strcspn(s, "/");
			buf_add(out, s, k);
			s += k;
		}
	}
	free(in);
}

static void add_part(struct buf *b, const char *pre, struct span s, const char *post)
{
	buf_adds(b, pre);
	buf_add(b, s.p, s.n);
	buf_adds(b, post);
}

/* ref resolved against base, as a new string. */
static char *uri_resolve(const char *base, const char *ref)
{
	struct uri b, r;
	struct buf out = BUF_INIT;

	uri_parse(ref, &r);
	uri_parse(base, &b);
	if (r.scheme.p) {
		add_part(&out, "", r.scheme, ":");
		if (r.auth.p)
			add_part(&out, "//", r.auth, "");
		remove_dots(&out, r.path.p, r.path.n);
		if (r.query.p)
			add_part(&out, "?", r.query, "");
	} else {
		if (b.scheme.p)
			add_part(&out, "", b.scheme, ":");
		if (r.auth.p) {
			add_part(&out, "//", r.auth, "");
			remove_dots(&out, r.path.p, r.path.n);
			if (r.query.p)
				add_part(&out, "?", r.query, "");
		} else {
			if (b.auth.p)
				add_part(&out, "//", b.auth, "");
			if (!r.path.n) {
				buf_add(&out, b.path.p, b.path.n);
				if (r.query.p)
					add_part(&out, "?", r.query, "");
				else if (b.query.p)
					add_part(&out, "?", b.query, "");
			} else {
				if (r.path.p[0] == '/') {
					remove_dots(&out, r.path.p, r.path.n);
				} else {
					struct buf m = BUF_INIT;
					const char *slash = NULL;

					for (size_t i = 0; i < b.path.n; i++)
						if (b.path.p[i] == '/')
							slash = b.path.p + i;
					if (b.auth.p && !b.path.n)
						buf_addc(&m, '/');
					else if (slash)
						buf_add(&m, b.path.p,
							(size_t)(slash - b.path.p) + 1);
					buf_add(&m, r.path.p, r.path.n);
					remove_dots(&out, m.p, m.len);
					buf_release(&m);
				}
				if (r.query.p)
					add_part(&out, "?", r.query, "");
			}
		}
	}
	if (r.frag.p)
		add_part(&out, "#", r.frag, "");
	if (!out.p)
		buf_adds(&out, "");
	return buf_detach(&out, NULL);
}

/* The URI without its fragment (a new string). */
static char *uri_nofrag(const char *u)
{
	const char *h = strchr(u, '#');

	return xstrndup(u, h ? (size_t)(h - u) : strlen(u));
}

static int hexdig(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s into a new string. */
static char *pct_decode(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s; s++) {
		if (*s == '%' && hexdig(s[1]) >= 0 && hexdig(s[2]) >= 0) {
			buf_addc(&b, (char)(hexdig(s[1]) * 16 + hexdig(s[2])));
			s += 2;
		} else {
			buf_addc(&b, *s);
		}
	}
	if (!b.p)
		buf_adds(&b, "");
	return buf_detach(&b, NULL);
}

/* Append a JSON pointer token, escaped (~0, ~1). */
static void ptr_add(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '/');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '~')
			buf_adds(b, "~0");
		else if (s[i] == '/')
			buf_adds(b, "~1");
		else
			buf_addc(b, s[i]);
	}
}

/* The value at JSON pointer ptr (decoded, "" or "/a/0") in v; p NULL if none. */
static struct span ptr_walk(struct arena *a, struct span v, const char *ptr)
{
	struct span none = {NULL, 0};

	while (*ptr) {
		struct buf tok = BUF_INIT;
		struct scan_iter it;
		struct span k, val, found = none;
		const char *q;

		if (*ptr != '/')
			return none;
		ptr++;
		for (q = ptr; *q && *q != '/'; q++) {
			if (*q == '~' && q[1] == '0')
				buf_addc(&tok, '~'), q++;
			else if (*q == '~' && q[1] == '1')
				buf_addc(&tok, '/'), q++;
			else
				buf_addc(&tok, *q);
		}
		ptr = q;
		if (!tok.p)
			buf_adds(&tok, "");
		if (scan_kind(v) == SCAN_OBJECT) {
			scan_iter_init(&it, v);
			while (scan_iter_next(&it, &k, &val))
				if (scan_key_eq(k, tok.p, tok.len))
					found = val;
		} else if (scan_kind(v) == SCAN_ARRAY) {
			char *end;
			unsigned long long i;

			errno = 0;
			i = strtoull(tok.p, &end, 10);
			if (*tok.p >= '0' && *tok.p <= '9' && !*end && !errno &&
			    (tok.p[0] != '0' || tok.len == 1)) {
				scan_iter_init(&it, v);
				while (scan_iter_next(&it, &k, &val))
					if (i-- == 0) {
						found = val;
						break;
					}
			}
		}
		buf_release(&tok);
		(void)a;
		if (!found.p)
			return none;
		v = found;
	}
	return v;
}

/* ---- Documents and the index ------------------------------------------ */

static struct res *res_find(struct schema *S, const char *uri)
{
	for (size_t i = 0; i < S->nres; i++)
		if (!strcmp(S->res[i]->uri, uri))
			return S->res[i];
	return NULL;
}

static struct res *res_add(struct schema *S, const char *uri, struct span root)
{
	struct res *r = res_find(S, uri);

	if (r)
		return r;
	r = xcalloc(1, sizeof(*r));
	r->uri = xstrdup(uri);
	r->root = root;
	S->res = xrealloc(S->res, (S->nres + 1) * sizeof(*S->res));
	S->res[S->nres++] = r;
	return r;
}

static void anchor_add(struct schema *S, const char *base, struct span name, struct span v)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, base);
	buf_addc(&b, '#');
	buf_add(&b, name.p, name.n);
	for (size_t i = 0; i < S->nanchors; i++)
		if (!strcmp(S->anchors[i].uri, b.p)) {
			buf_release(&b);
			return;
		}
	S->anchors = xrealloc(S->anchors, (S->nanchors + 1) * sizeof(*S->anchors));
	S->anchors[S->nanchors].uri = buf_detach(&b, NULL);
	S->anchors[S->nanchors++].v = v;
}

static const char *const single_kw[] = {"additionalProperties",
					"propertyNames",
					"items",
					"contains",
					"not",
					"if",
					"then",
					"else",
					"unevaluatedItems",
					"unevaluatedProperties",
					"contentSchema",
					NULL};
static const char *const array_kw[] = {"allOf", "anyOf", "oneOf", "prefixItems", NULL};
static const char *const map_kw[] = {"properties",       "patternProperties", "$defs",
				     "dependentSchemas", "definitions",       NULL};

static int kw_in(const char *const *list, struct span k)
{
	for (; *list; list++)
		if (span_is(k, *list))
			return 1;
	return 0;
}

static void index_node(struct schema *S, struct span v, const char *base, struct res *res,
		       struct buf *ptr, struct doc *d, int depth)
{
	struct idx *x;
	struct scan_iter it;
	struct span k, val, id;
	size_t mark = ptr->len;

	if (depth > 200 || pmap_get(&S->index, v.p))
		return;
	if (scan_kind(v) == SCAN_OBJECT) {
		id = obj_get(v, "$id");
		if (scan_kind(id) == SCAN_STRING) {
			struct span s = str_of(&S->mem, id);
			char *ids = xstrndup(s.p, s.n), *full = uri_resolve(base, ids);
			char *nf = uri_nofrag(full);

			base = sdup(S, nf, strlen(nf));
			res = res_add(S, base, v);
			free(ids);
			free(full);
			free(nf);
		}
		id = obj_get(v, "$anchor");
		if (scan_kind(id) == SCAN_STRING)
			anchor_add(S, base, str_of(&S->mem, id), v);
		id = obj_get(v, "$dynamicAnchor");
		if (scan_kind(id) == SCAN_STRING) {
			struct span name = str_of(&S->mem, id);

			anchor_add(S, base, name, v);
			res->dyn = xrealloc(res->dyn, (res->ndyn + 1) * sizeof(*res->dyn));
			res->dyn[res->ndyn].name = sdup(S, name.p, name.n);
			res->dyn[res->ndyn].v = v;
			res->dyn[res->ndyn++].s = NULL;
		}
	} else if (scan_kind(v) != SCAN_TRUE && scan_kind(v) != SCAN_FALSE) {
		return;
	}
	x = arena_alloc(&S->mem, sizeof(*x));
	x->base = base;
	x->ptr = sdup(S, ptr->p ? ptr->p : "", ptr->len);
	x->res = res;
	x->doc = d;
	x->n = v.n;
	pmap_put(&S->index, v.p, x);
	if (scan_kind(v) != SCAN_OBJECT)
		return;
	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &k, &val)) {
		struct span key = key_of(&S->mem, k);
		struct scan_iter j;
		struct span k2, v2;
		size_t i = 0;

		ptr->len = mark;
		ptr_add(ptr, key.p, key.n);
		if (kw_in(single_kw, key)) {
			index_node(S, val, base, res, ptr, d, depth + 1);
		} else if (kw_in(array_kw, key) && scan_kind(val) == SCAN_ARRAY) {
			size_t m2 = ptr->len;

			scan_iter_init(&j, val);
			while (scan_iter_next(&j, &k2, &v2)) {
				ptr->len = m2;
				buf_printf(ptr, "/%zu", i++);
				index_node(S, v2, base, res, ptr, d, depth + 1);
			}
		} else if (kw_in(map_kw, key) && scan_kind(val) == SCAN_OBJECT) {
			size_t m2 = ptr->len;

			scan_iter_init(&j, val);
			while (scan_iter_next(&j, &k2, &v2)) {
				struct span name = key_of(&S->mem, k2);

				ptr->len = m2;
				ptr_add(ptr, name.p, name.n);
				index_node(S, v2, base, res, ptr, d, depth + 1);
			}
		}
	}
	ptr->len = mark;
	if (ptr->p)
		ptr->p[mark] = '\0';
}

static char *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t k;

	if (!f)
		return NULL;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, k);
	if (ferror(f)) {
		fclose(f);
		buf_release(&b);
		return NULL;
	}
	fclose(f);
	if (!b.p)
		buf_adds(&b, "");
	return buf_detach(&b, n);
}

static struct doc *doc_add(struct schema *S, char *text, size_t n, const char *uri)
{
	struct doc *d = xcalloc(1, sizeof(*d));
	struct buf ptr = BUF_INIT;
	struct res *r;
	struct span root;
	struct scan_err e;

	d->text = text;
	d->n = n;
	d->uri = xstrdup(uri);
	d->vocab = V_ALL;
	S->docs = xrealloc(S->docs, (S->ndocs + 1) * sizeof(*S->docs));
	S->docs[S->ndocs++] = d;
	if (scan_value(text, n, &e) < 0) {
		size_t line = 1, col = 1;

		for (size_t i = 0; i < e.off && i < n; i++, col++)
			if (text[i] == '\n')
				line++, col = 0;
		cfail(S, uri, "%zu:%zu: invalid JSON: %s", line, col, e.msg);
		return NULL;
	}
	root = scan_trim((struct span){text, n});
	r = res_add(S, uri, root);
	index_node(S, root, r->uri, r, &ptr, d, 0);
	buf_release(&ptr);
	return d;
}

/* Fetch the document named by uri (no fragment): a mapped folder, a
 * file: URI, or a built-in meta-schema. */
static struct doc *doc_load(struct schema *S, const char *uri)
{
	char *path = NULL, *text;
	size_t n;
	struct stat st;

	for (size_t i = 0; i < S->opts.nmap; i++) {
		size_t k = strlen(S->opts.map_prefix[i]);

		if (!strncmp(uri, S->opts.map_prefix[i], k)) {
			struct buf b = BUF_INIT;
			char *rest = pct_decode(uri + k);

			buf_printf(&b, "%s/%s", S->opts.map_dir[i], rest);
			free(rest);
			path = buf_detach(&b, NULL);
			break;
		}
	}
	if (!path) {
		for (size_t i = 0; i < schema_meta_ndocs; i++)
			if (!strcmp(uri, schema_meta_docs[i].uri)) {
				text = xmalloc(schema_meta_docs[i].len + 1);
				memcpy(text, schema_meta_docs[i].text, schema_meta_docs[i].len);
				text[schema_meta_docs[i].len] = '\0';
				return doc_add(S, text, schema_meta_docs[i].len, uri);
			}
	}
	if (!path && !strncmp(uri, "file://", 7))
		path = pct_decode(uri + 7);
	if (!path)
		return NULL;
	/* only a regular file: a $ref to a device or a FIFO would never end */
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		free(path);
		return NULL;
	}
	text = read_file(path, &n);
	free(path);
	if (!text)
		return NULL;
	return doc_add(S, text, n, uri);
}

/* ---- Compiling ---------------------------------------------------------- */

static struct node *compile(struct schema *S, struct span v, const char *base, struct res *res,
			    struct doc *d, const char *ptr);

static const char *loc_of(struct schema *S, const struct idx *x)
{
	struct buf b = BUF_INIT;
	const char *s;

	if (x->doc != S->docs[0]) {
		/* a document beside the main one is named relative to it */
		const char *main = S->docs[0]->uri, *u = x->doc->uri, *slash = strrchr(main, '/');
		size_t dir = slash ? (size_t)(slash - main) + 1 : 0;

		if (dir && !strncmp(main, "file://", 7) && !strncmp(u, main, dir))
			u += dir;
		buf_adds(&b, u);
		buf_addc(&b, '#');
	}
	buf_adds(&b, x->ptr);
	s = sdup(S, b.p, b.len);
	buf_release(&b);
	return s;
}

/* The subschema that the reference ref (against base) names. */
static struct node *resolve(struct schema *S, const char *base, const char *ref, const char *where)
{
	char *abs = uri_resolve(base, ref), *u = uri_nofrag(abs), *frag;
	const char *h = strchr(abs, '#');
	struct res *r;
	struct span target = {NULL, 0};
	struct node *n = NULL;
	struct idx *x;

	frag = pct_decode(h ? h + 1 : "");
	r = res_find(S, u);
	if (!r) {
		doc_load(S, u);
		r = res_find(S, u);
		if (S->failed)
			goto out;
	}
	if (!*frag || frag[0] == '/') {
		if (r)
			target = ptr_walk(&S->mem, r->root, frag);
	} else {
		char *full = xmalloc(strlen(u) + strlen(frag) + 2);

		snprintf(full, strlen(u) + strlen(frag) + 2, "%s#%s", u, frag);
		for (size_t i = 0; i < S->nanchors; i++)
			if (!strcmp(S->anchors[i].uri, full))
				target = S->anchors[i].v;
		free(full);
	}
	if (!target.p) {
		cfail(S, where, "cannot resolve the reference '%s'", ref);
		goto out;
	}
	x = pmap_get(&S->index, target.p);
	if (x)
		n = compile(S, target, x->base, x->res, x->doc, x->ptr);
	else
		n = compile(S, target, r->uri, r, S->docs[0], frag);
out:
	free(abs);
	free(u);
	free(frag);
	return n;
}

static long long nonneg(struct schema *S, struct span v, const char *where, const char *kw)
{
	struct dec_text m;
	long long r = 0;
	__int128 place;

	if (scan_kind(v) == SCAN_NUMBER) {
		v = scan_trim(v);
		dec_text_parse(&m, v.p, v.n);
		if (!m.neg || m.z == m.nint + m.nfrac) {
			if (m.z == m.nint + m.nfrac)
				return 0;
			if (dec_text_place(&m, m.last, &place) && place >= 0) {
				if (!dec_text_place(&m, m.z, &place) || place > 17)
					return LLONG_MAX;
				for (size_t i = m.z; i <= m.last; i++)
					r = r * 10 + (dec_text_digit(&m, i) - '0');
				dec_text_place(&m, m.last, &place);
				while (place-- > 0)
					r *= 10;
				return r;
			}
		}
	}
	cfail(S, where, "%s must be a non-negative integer", kw);
	return -1;
}

static void names_of(struct schema *S, struct span v, struct names *out, const char *where,
		     const char *kw)
{
	struct scan_iter it;
	struct span k, e;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (scan_kind(v) != SCAN_ARRAY) {
		cfail(S, where, "%s must be an array of strings", kw);
		return;
	}
	n = scan_count(v);
	out->v = arena_alloc(&S->mem, (n + 1) * sizeof(*out->v));
	out->len = arena_alloc(&S->mem, (n + 1) * sizeof(*out->len));
	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &k, &e)) {
		struct span s;

		if (scan_kind(e) != SCAN_STRING) {
			cfail(S, where, "%s must be an array of strings", kw);
			return;
		}
		s = str_of(&S->mem, e);
		out->v[out->n] = sdup(S, s.p, s.n);
		out->len[out->n++] = s.n;
	}
}

/* ECMA-262 regular expressions through PCRE2: \d and \w are ASCII, as
 * without PCRE2_UCP, and \s, \S take ECMA-262's Unicode white space. */
static pcre2_code *regex_compile(struct schema *S, struct span src, const char *where)
{
	struct buf b = BUF_INIT;
	int ecode;
	PCRE2_SIZE eoff;
	pcre2_code *re;

	format_ecma_regex(&b, src.p, src.n);
	if (!b.p)
		buf_adds(&b, "");
	re = pcre2_compile((PCRE2_SPTR)b.p, b.len,
			   PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C, &ecode,
			   &eoff, NULL);
	buf_release(&b);
	if (!re) {
		PCRE2_UCHAR text[256];

		pcre2_get_error_message(ecode, text, sizeof(text));
		cfail(S, where, "invalid regular expression: %s", (char *)text);
		return NULL;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	S->codes = xrealloc(S->codes, (S->ncodes + 1) * sizeof(*S->codes));
	S->codes[S->ncodes++] = re;
	return re;
}

/* The ASCII byte set of one atom of an ECMA-262 pattern at *pp: a literal,
 * an escaped punctuator, \d, or a class of characters and ranges; 0 when
 * it is something else (then the pattern is left to PCRE2). */
static int fix_atom(const char **pp, const char *end, unsigned char set[32])
{
	const char *p = *pp;

	memset(set, 0, 32);
#define FIX_ADD(c) (set[(unsigned char)(c) / 8] |= (unsigned char)(1u << ((unsigned char)(c) % 8)))
	if (*p == '\\') {
		if (p + 1 == end)
			return 0;
		if (p[1] == 'd') {
			for (int c = '0'; c <= '9'; c++)
				FIX_ADD(c);
		} else if (strchr("\\/.-^$*+?()[]{}|", p[1]) && p[1]) {
			FIX_ADD(p[1]);
		} else {
			return 0;
		}
		*pp = p + 2;
		return 1;
	}
	if (*p == '[') {
		p++;
		if (p < end && *p == '^')
			return 0;
		while (p < end && *p != ']') {
			int lo = (unsigned char)*p, hi;

			if (lo == '\\') {
				if (p + 1 == end)
					return 0;
				if (p[1] == 'd') {
					for (int c = '0'; c <= '9'; c++)
						FIX_ADD(c);
					p += 2;
					continue;
				}
				if (!p[1] || !strchr("\\/.-^$*+?()[]{}|", p[1]))
					return 0;
				lo = (unsigned char)p[1];
				p++;
			} else if (lo < 0x20 || lo > 0x7e || lo == '[') {
				return 0;
			}
			p++;
			hi = lo;
			if (p + 1 < end && *p == '-' && p[1] != ']') {
				hi = (unsigned char)p[1];
				if (hi < 0x20 || hi > 0x7e || hi == '\\' || hi == '[' || hi < lo)
					return 0;
				p += 2;
			}
			for (int c = lo; c <= hi; c++)
				FIX_ADD(c);
		}
		if (p == end)
			return 0;
		*pp = p + 1;
		return 1;
	}
	if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || strchr(".*+?()[]{}|^$", *p))
		return 0;
	FIX_ADD(*p);
#undef FIX_ADD
	*pp = p + 1;
	return 1;
}

/* src as a struct fixpat, or NULL when it is not that simple. */
static struct fixpat *fix_compile(struct schema *S, struct span src)
{
	const char *p = src.p, *end = src.p + src.n;
	unsigned char set[32], (*sets)[32] = NULL;
	size_t n = 0, cap = 0;
	struct fixpat *f;
	int rep = 0;

	if (src.n < 2 || *p != '^' || end[-1] != '$' || end[-2] == '\\')
		return NULL;
	p++;
	end--;
	while (p < end) {
		unsigned long count = 1;

		if (rep || !fix_atom(&p, end, set))
			goto no;
		if (p < end && *p == '{') {
			char *e;

			if (p + 1 == end || p[1] < '0' || p[1] > '9')
				goto no;
			count = strtoul(p + 1, &e, 10);
			if (e >= end || *e != '}' || count > 256)
				goto no;
			p = e + 1;
		} else if (p < end && (*p == '+' || *p == '*')) {
			/* only the last atom: a greedy run to the end needs no
			 * backtracking */
			if (p + 1 != end)
				goto no;
			count = *p == '+' ? 2 : 1;
			rep = 1;
			p++;
		}
		if (p < end && strchr("*+?{", *p))
			goto no;
		if (n + count > 1024)
			goto no;
		if (n + count > cap)
			xgrow(&sets, &cap, n + count, sizeof(*sets));
		for (unsigned long i = 0; i < count; i++)
			memcpy(sets[n++], set, 32);
	}
	f = arena_alloc(&S->mem, sizeof(*f));
	f->set = arena_alloc(&S->mem, (n + 1) * sizeof(*f->set));
	f->bs = 0;
	for (size_t i = 0; i < n; i++) {
		for (int c = 0; c < 256; c++)
			f->set[i][c] = (sets[i][c / 8] >> (c % 8)) & 1;
		f->bs |= f->set[i]['\\'];
	}
	f->n = n;
	f->rep = rep;
	free(sets);
	return f;
no:
	free(sets);
	return NULL;
}

static int fix_match(const struct fixpat *f, const char *p, size_t n)
{
	size_t fixed = f->n - (size_t)f->rep;

	if (f->rep ? n < fixed : n != fixed)
		return 0;
	for (size_t i = 0; i < fixed; i++)
		if (!f->set[i][(unsigned char)p[i]])
			return 0;
	for (size_t i = fixed; i < n; i++)
		if (!f->set[f->n - 1][(unsigned char)p[i]])
			return 0;
	return 1;
}

static unsigned type_bit(struct span s)
{
	static const char *const names[] = {"null",   "boolean", "object", "array",
					    "number", "string",  "integer"};

	for (unsigned i = 0; i < 7; i++)
		if (span_is(s, names[i]))
			return 1u << i;
	return 0;
}

/* Child schemas of an array keyword. */
static void compile_list(struct schema *S, struct span v, struct list *l, const char *base,
			 struct res *res, struct doc *d, struct buf *ptr, const char *kw)
{
	struct scan_iter it;
	struct span k, e;
	size_t n = 0, mark = ptr->len;

	if (scan_kind(v) != SCAN_ARRAY) {
		cfail(S, ptr->p, "%s must be an array of schemas", kw);
		return;
	}
	n = scan_count(v);
	if (!n && strcmp(kw, "prefixItems") != 0) {
		cfail(S, ptr->p, "%s must not be empty", kw);
		return;
	}
	l->n = 0; /* a keyword given twice in one object: the last counts */
	l->v = arena_alloc(&S->mem, (n + 1) * sizeof(*l->v));
	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &k, &e)) {
		ptr->len = mark;
		buf_printf(ptr, "/%zu", l->n);
		l->v[l->n++] = compile(S, e, base, res, d, ptr->p);
	}
	ptr->len = mark;
	ptr->p[mark] = '\0';
}

static struct named *compile_map(struct schema *S, struct span v, size_t *n, const char *base,
				 struct res *res, struct doc *d, struct buf *ptr, const char *kw)
{
	struct scan_iter it;
	struct span k, e;
	struct named *out;
	size_t cnt = 0, mark = ptr->len;

	*n = 0;
	if (scan_kind(v) != SCAN_OBJECT) {
		cfail(S, ptr->p, "%s must be an object of schemas", kw);
		return NULL;
	}
	cnt = scan_count(v);
	out = arena_alloc(&S->mem, (cnt + 1) * sizeof(*out));
	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &k, &e)) {
		struct span name = key_of(&S->mem, k);

		ptr->len = mark;
		ptr_add(ptr, name.p, name.n);
		out[*n].name = sdup(S, name.p, name.n);
		out[*n].n = name.n;
		out[(*n)++].s = compile(S, e, base, res, d, ptr->p);
	}
	ptr->len = mark;
	ptr->p[mark] = '\0';
	return out;
}

static struct span num_kw(struct schema *S, struct span v, const char *where, const char *kw)
{
	if (scan_kind(v) != SCAN_NUMBER) {
		cfail(S, where, "%s must be a number", kw);
		return (struct span){NULL, 0};
	}
	return scan_trim(v);
}

/* Room for n more entries after the first have (arena memory is not
 * freed: the old array is left, the new one holds a copy). */
static struct depreq *grow_dreq(struct schema *S, struct depreq *old, size_t have, size_t n)
{
	struct depreq *a = arena_alloc(&S->mem, (have + n + 1) * sizeof(*a));

	if (have)
		memcpy(a, old, have * sizeof(*a));
	return a;
}

static struct named *grow_named(struct schema *S, struct named *old, size_t have, size_t n)
{
	struct named *a = arena_alloc(&S->mem, (have + n + 1) * sizeof(*a));

	if (have)
		memcpy(a, old, have * sizeof(*a));
	return a;
}

static void compile_keyword(struct schema *S, struct node *s, struct span key, struct span v,
			    const char *base, struct res *res, struct doc *d, struct buf *ptr)
{
	const char *w = ptr->p;
	unsigned voc = d->vocab;

#define KW(name) span_is(key, name)
	if (voc & V_CORE) {
		if (KW("$ref")) {
			if (scan_kind(v) != SCAN_STRING) {
				cfail(S, w, "$ref must be a string");
				return;
			}
			struct span r = str_of(&S->mem, v);
			char *rs = xstrndup(r.p, r.n);

			s->ref = resolve(S, base, rs, w);
			free(rs);
			return;
		}
		if (KW("$dynamicRef")) {
			if (scan_kind(v) != SCAN_STRING) {
				cfail(S, w, "$dynamicRef must be a string");
				return;
			}
			struct span r = str_of(&S->mem, v);
			char *rs = xstrndup(r.p, r.n);
			const char *h = strchr(rs, '#');

			s->dref = resolve(S, base, rs, w);
			if (h && h[1] && h[1] != '/')
				s->dref_name = sdup(S, h + 1, strlen(h + 1));
			free(rs);
			return;
		}
		if (KW("$dynamicAnchor")) {
			struct span a = str_of(&S->mem, v);

			s->dyn_anchor = sdup(S, a.p, a.n);
			return;
		}
	}
	if (voc & V_APPLICATOR) {
		if (KW("allOf"))
			return compile_list(S, v, &s->all, base, res, d, ptr, "allOf");
		if (KW("anyOf"))
			return compile_list(S, v, &s->any, base, res, d, ptr, "anyOf");
		if (KW("oneOf"))
			return compile_list(S, v, &s->one, base, res, d, ptr, "oneOf");
		if (KW("prefixItems"))
			return compile_list(S, v, &s->prefix, base, res, d, ptr, "prefixItems");
		if (KW("not"))
			s->not = compile(S, v, base, res, d, w);
		else if (KW("if"))
			s->if_ = compile(S, v, base, res, d, w);
		else if (KW("then"))
			s->then_ = compile(S, v, base, res, d, w);
		else if (KW("else"))
			s->else_ = compile(S, v, base, res, d, w);
		else if (KW("items"))
			s->items = compile(S, v, base, res, d, w);
		else if (KW("contains"))
			s->contains = compile(S, v, base, res, d, w);
		else if (KW("additionalProperties"))
			s->addl = compile(S, v, base, res, d, w);
		else if (KW("propertyNames"))
			s->prop_names = compile(S, v, base, res, d, w);
		else if (KW("properties"))
			s->props = compile_map(S, v, &s->nprops, base, res, d, ptr, "properties");
		else if (KW("dependentSchemas")) {
			size_t n;
			struct named *m =
				compile_map(S, v, &n, base, res, d, ptr, "dependentSchemas");

			/* with dependencies of earlier drafts, both count */
			s->dschemas = grow_named(S, s->dschemas, s->ndschemas, n);
			if (n)
				memcpy(s->dschemas + s->ndschemas, m, n * sizeof(*m));
			s->ndschemas += n;
		} else if (KW("patternProperties")) {
			size_t n;
			struct named *m =
				compile_map(S, v, &n, base, res, d, ptr, "patternProperties");

			s->pprops = arena_alloc(&S->mem, (n + 1) * sizeof(*s->pprops));
			for (size_t i = 0; i < n && !S->failed; i++) {
				s->pprops[i].re =
					regex_compile(S, (struct span){m[i].name, m[i].n}, w);
				s->pprops[i].s = m[i].s;
			}
			s->npprops = n;
		}
	}
	if (voc & V_UNEVALUATED) {
		if (KW("unevaluatedItems")) {
			s->uneval_items = compile(S, v, base, res, d, w);
			s->uneval = 1;
		} else if (KW("unevaluatedProperties")) {
			s->uneval_props = compile(S, v, base, res, d, w);
			s->uneval = 1;
		}
	}
	if (voc & V_VALIDATION) {
		if (KW("type")) {
			if (scan_kind(v) == SCAN_STRING) {
				s->types = type_bit(str_of(&S->mem, v));
			} else if (scan_kind(v) == SCAN_ARRAY) {
				struct scan_iter it;
				struct span k, e;

				scan_iter_init(&it, v);
				while (scan_iter_next(&it, &k, &e))
					if (scan_kind(e) == SCAN_STRING)
						s->types |= type_bit(str_of(&S->mem, e));
			}
			if (!s->types)
				cfail(S, w, "type must name JSON types");
		} else if (KW("const")) {
			s->has_const = 1;
			s->konst = scan_trim(v);
		} else if (KW("enum")) {
			struct scan_iter it;
			struct span k, e;
			size_t n = 0;

			if (scan_kind(v) != SCAN_ARRAY) {
				cfail(S, w, "enum must be an array");
				return;
			}
			n = scan_count(v);
			s->enums = arena_alloc(&S->mem, (n + 1) * sizeof(*s->enums));
			s->nenum = 0;
			scan_iter_init(&it, v);
			while (scan_iter_next(&it, &k, &e))
				s->enums[s->nenum++] = e;
			s->has_enum = 1;
		} else if (KW("minimum")) {
			s->minimum = num_kw(S, v, w, "minimum");
		} else if (KW("maximum")) {
			s->maximum = num_kw(S, v, w, "maximum");
		} else if (KW("exclusiveMinimum")) {
			s->exmin = num_kw(S, v, w, "exclusiveMinimum");
		} else if (KW("exclusiveMaximum")) {
			s->exmax = num_kw(S, v, w, "exclusiveMaximum");
		} else if (KW("multipleOf")) {
			s->multiple = num_kw(S, v, w, "multipleOf");
			if (s->multiple.p &&
			    (s->multiple.p[0] == '-' ||
			     dec_text_cmp(s->multiple.p, s->multiple.n, "0", 1) == 0))
				cfail(S, w, "multipleOf must be greater than 0");
		} else if (KW("minLength")) {
			s->min_len = nonneg(S, v, w, "minLength");
		} else if (KW("maxLength")) {
			s->max_len = nonneg(S, v, w, "maxLength");
		} else if (KW("minItems")) {
			s->min_items = nonneg(S, v, w, "minItems");
		} else if (KW("maxItems")) {
			s->max_items = nonneg(S, v, w, "maxItems");
		} else if (KW("minProperties")) {
			s->min_props = nonneg(S, v, w, "minProperties");
		} else if (KW("maxProperties")) {
			s->max_props = nonneg(S, v, w, "maxProperties");
		} else if (KW("minContains")) {
			s->min_contains = nonneg(S, v, w, "minContains");
		} else if (KW("maxContains")) {
			s->max_contains = nonneg(S, v, w, "maxContains");
		} else if (KW("uniqueItems")) {
			s->unique = scan_kind(v) == SCAN_TRUE;
		} else if (KW("pattern")) {
			if (scan_kind(v) != SCAN_STRING) {
				cfail(S, w, "pattern must be a string");
				return;
			}
			struct span p = str_of(&S->mem, v);

			s->pattern = regex_compile(S, p, w);
			s->pattern_src = sdup(S, p.p, p.n);
			s->fix = fix_compile(S, p);
		} else if (KW("required")) {
			names_of(S, v, &s->required, w, "required");
		} else if (KW("dependencies") && scan_kind(v) == SCAN_OBJECT) {
			/* the keyword of earlier drafts that 2020-12 split in two:
			 * an array is dependentRequired, a schema dependentSchemas */
			struct scan_iter it;
			struct span k, e;
			size_t n = 0, mark = ptr->len;

			n = scan_count(v);
			s->dreq = grow_dreq(S, s->dreq, s->ndreq, n);
			s->dschemas = grow_named(S, s->dschemas, s->ndschemas, n);
			scan_iter_init(&it, v);
			while (scan_iter_next(&it, &k, &e)) {
				struct span name = key_of(&S->mem, k);

				if (scan_kind(e) == SCAN_ARRAY) {
					s->dreq[s->ndreq].name = sdup(S, name.p, name.n);
					s->dreq[s->ndreq].n = name.n;
					names_of(S, e, &s->dreq[s->ndreq++].req, w, "dependencies");
				} else {
					ptr->len = mark;
					ptr_add(ptr, name.p, name.n);
					s->dschemas[s->ndschemas].name = sdup(S, name.p, name.n);
					s->dschemas[s->ndschemas].n = name.n;
					s->dschemas[s->ndschemas++].s =
						compile(S, e, base, res, d, ptr->p);
				}
			}
			ptr->len = mark;
			ptr->p[mark] = '\0';
		} else if (KW("dependentRequired")) {
			struct scan_iter it;
			struct span k, e;
			size_t n = 0;

			if (scan_kind(v) != SCAN_OBJECT) {
				cfail(S, w, "dependentRequired must be an object");
				return;
			}
			n = scan_count(v);
			s->dreq = grow_dreq(S, s->dreq, s->ndreq, n);
			scan_iter_init(&it, v);
			while (scan_iter_next(&it, &k, &e)) {
				struct span name = key_of(&S->mem, k);

				s->dreq[s->ndreq].name = sdup(S, name.p, name.n);
				s->dreq[s->ndreq].n = name.n;
				names_of(S, e, &s->dreq[s->ndreq++].req, w, "dependentRequired");
			}
		}
	}
	if (KW("format") && scan_kind(v) == SCAN_STRING &&
	    (!S->opts.format_annotation || (voc & V_FORMAT_ASSERT))) {
		struct span f = str_of(&S->mem, v);

		s->format = sdup(S, f.p, f.n);
	}
#undef KW
}

static int plain_int(struct span v, long long *out);

/* Is s a leaf (no $ref, $dynamicRef, allOf, anyOf, oneOf, not, if, const)?
 * Its keywords about scalars are then all that a scalar value meets, and
 * their constants are taken apart once: the enum's strings decoded, integer
 * bounds as integers, whether the pattern has JIT code. */
static void plan_leaf(struct schema *S, struct node *s)
{
	size_t jit = 0;

	if (S->failed || s->boolean != -1 || s->ref || s->dref || s->all.n || s->any.n ||
	    s->one.n || s->not || s->if_ || s->then_ || s->else_ || s->has_const)
		return;
	s->leaf = 1;
	if (s->pattern && pcre2_pattern_info(s->pattern, PCRE2_INFO_JITSIZE, &jit) == 0 && jit)
		s->pattern_jit = 1;
	if (s->has_enum) {
		s->estr = arena_alloc(&S->mem, (s->nenum + 1) * sizeof(*s->estr));
		for (size_t i = 0; i < s->nenum; i++) {
			struct span e = scan_trim(s->enums[i]);

			s->estr[i] = scan_kind(e) == SCAN_STRING ? str_of(&S->mem, e)
								 : (struct span){NULL, 0};
			/* compared with raw bytes, a string holding a backslash
			 * would take an escape for itself: json_eq() decides */
			if (s->estr[i].p && memchr(s->estr[i].p, '\\', s->estr[i].n))
				s->estr[i].p = NULL;
		}
	}
	s->has_imin = s->minimum.p && plain_int(s->minimum, &s->imin);
	s->has_imax = s->maximum.p && plain_int(s->maximum, &s->imax);
}

static struct node *compile(struct schema *S, struct span v, const char *base, struct res *res,
			    struct doc *d, const char *ptr)
{
	struct node *s = pmap_get(&S->memo, v.p);
	struct idx *x = pmap_get(&S->index, v.p);
	struct idx local = {base, ptr ? ptr : "", res, d, v.n};
	struct scan_iter it;
	struct span k, val;
	struct buf p = BUF_INIT;

	if (s)
		return s;
	if (S->failed)
		return NULL;
	if (!x)
		x = &local;
	s = arena_alloc(&S->mem, sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->min_len = s->max_len = s->min_items = s->max_items = -1;
	s->min_props = s->max_props = s->min_contains = s->max_contains = -1;
	s->loc = loc_of(S, x);
	s->res = x->res;
	pmap_put(&S->memo, v.p, s);
	switch (scan_kind(v)) {
	case SCAN_TRUE:
		s->boolean = 1;
		return s;
	case SCAN_FALSE:
		s->boolean = 0;
		return s;
	case SCAN_OBJECT:
		break;
	default:
		cfail(S, s->loc, "a schema must be an object or a boolean");
		return s;
	}
	s->boolean = -1;
	if (++S->depth > 500) {
		cfail(S, s->loc, "schema nested too deeply");
		return s;
	}
	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &k, &val) && !S->failed) {
		struct span key = key_of(&S->mem, k);

		buf_reset(&p);
		buf_adds(&p, s->loc);
		ptr_add(&p, key.p, key.n);
		compile_keyword(S, s, key, val, x->base, x->res, x->doc, &p);
	}
	S->depth--;
	buf_release(&p);
	plan_leaf(S, s);
	return s;
}

/* ---- Formats ------------------------------------------------------------ */

int schema_format_check(const char *format, const char *p, size_t n)
{
	return format_check(format, p, n);
}

/* ---- Validating ---------------------------------------------------------- */

/* Every value here is trimmed (schema_check() trims the one it is given),
 * so scan_kind_trimmed() tells its kind. */

/* Evaluated members (items) of one object (array): a bit each. */
struct eval {
	unsigned char *bits;
	size_t n;
};

static struct eval *eval_new(struct schema *S, size_t n)
{
	struct eval *e = arena_alloc(&S->scratch, sizeof(*e));

	e->n = n;
	e->bits = arena_alloc(&S->scratch, n / 8 + 1);
	memset(e->bits, 0, n / 8 + 1);
	return e;
}

static inline void eval_set(struct eval *e, size_t i)
{
	if (e && i < e->n)
		e->bits[i / 8] |= (unsigned char)(1u << (i % 8));
}

static inline int eval_has(const struct eval *e, size_t i)
{
	return e && i < e->n && (e->bits[i / 8] >> (i % 8)) & 1;
}

static void eval_merge(struct eval *to, const struct eval *from)
{
	if (to && from)
		for (size_t i = 0; i < to->n / 8 + 1 && i < from->n / 8 + 1; i++)
			to->bits[i] |= from->bits[i];
}

/* The members of object (or elements of array) v: a pass of the iterator
 * the first time, from a small cache of the record's objects after. */
static struct member *members(struct schema *S, struct span v, size_t *n)
{
	struct mcache *c = &S->mc[((uintptr_t)v.p >> 2) % MCACHE];

	if (c->p != v.p || c->gen != S->gen) {
		struct scan_iter it;
		struct span k, e;
		size_t cnt = 0;

		scan_iter_init(&it, v);
		while (scan_iter_next(&it, &k, &e)) {
			if (cnt == S->capmtmp)
				xgrow(&S->mtmp, &S->capmtmp, cnt + 1, sizeof(*S->mtmp));
			S->mtmp[cnt].k = k;
			S->mtmp[cnt++].v = e;
		}
		c->m = arena_alloc(&S->scratch, (cnt + 1) * sizeof(*c->m));
		if (cnt)
			memcpy(c->m, S->mtmp, cnt * sizeof(*c->m));
		c->n = cnt;
		c->p = v.p;
		c->gen = S->gen;
	}
	*n = c->n;
	return c->m;
}

static size_t count_members(struct schema *S, struct span v)
{
	size_t n;

	members(S, v, &n);
	return n;
}

static const char *inst_path(struct schema *S)
{
	struct buf b = BUF_INIT;
	char *s;

	for (size_t i = 0; i < S->nsteps; i++) {
		if (S->steps[i].key)
			ptr_add(&b, S->steps[i].key, S->steps[i].n);
		else
			buf_printf(&b, "/%zu", S->steps[i].n);
	}
	s = arena_alloc(&S->scratch, b.len + 1);
	memcpy(s, b.p ? b.p : "", b.len + 1);
	buf_release(&b);
	return s;
}

static void add_error(struct schema *S, const struct node *s, const char *rule, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));
static void add_error(struct schema *S, const struct node *s, const char *rule, const char *fmt,
		      ...)
{
	struct schema_error *e;
	char msg[512];
	size_t n;
	char *sp;
	va_list ap;

	if (S->nerrs == S->caperrs)
		xgrow(&S->errs, &S->caperrs, S->nerrs + 1, sizeof(*S->errs));
	e = &S->errs[S->nerrs++];
	e->rule = rule;
	e->path = inst_path(S);
	n = strlen(s->loc) + strlen(rule) + 2;
	sp = arena_alloc(&S->scratch, n);
	snprintf(sp, n, "%s/%s", s->loc, rule);
	e->schema_path = sp;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = utf8_cut(msg, strlen(msg), sizeof(msg) - 1);
	e->message = memcpy(arena_alloc(&S->scratch, n + 1), msg, n);
	((char *)e->message)[n] = '\0';
}

/* A value for a message: its text, cut short. */
static const char *shown(struct schema *S, struct span v)
{
	size_t n = utf8_cut(v.p, v.n, 60);
	char *s = arena_alloc(&S->scratch, n + 4);

	memcpy(s, v.p, n);
	memcpy(s + n, n < v.n ? "..." : "", n < v.n ? 4 : 1);
	return s;
}

#define FAIL(rule, ...)                             \
	do {                                        \
		if (!S->collect || S->quiet)        \
			return 0;                   \
		add_error(S, s, rule, __VA_ARGS__); \
		ok = 0;                             \
	} while (0)

static void push_step(struct schema *S, const char *key, size_t n)
{
	if (S->nsteps == S->capsteps)
		xgrow(&S->steps, &S->capsteps, S->nsteps + 1, sizeof(*S->steps));
	S->steps[S->nsteps].key = key;
	S->steps[S->nsteps++].n = n;
}

static int check(struct schema *S, const struct node *s, struct span v, struct eval *ev);

/* Apply c to v for keyword rule of s: a false schema that fails is
 * reported under the keyword. */
static int sub(struct schema *S, const struct node *s, const struct node *c, struct span v,
	       struct eval *ev, const char *rule)
{
	if (check(S, c, v, ev))
		return 1;
	if (c->boolean == 0 && S->collect && !S->quiet) {
		int prop = !strcmp(rule, "additionalProperties") ||
			   !strcmp(rule, "unevaluatedProperties") || !strcmp(rule, "properties") ||
			   !strcmp(rule, "patternProperties");
		int item = !strcmp(rule, "items") || !strcmp(rule, "prefixItems") ||
			   !strcmp(rule, "unevaluatedItems");

		add_error(S, s, rule, "%s",
			  prop   ? "the property is not allowed"
			  : item ? "the item is not allowed"
				 : "no value is allowed here");
	}
	return 0;
}

/* A number text that is a plain integer of at most 18 digits ("-42"), as
 * most numbers of records are: its value, compared without dec_text. */
static int plain_int(struct span v, long long *out)
{
	size_t i = v.n && v.p[0] == '-';
	long long x = 0;

	if (v.n - i == 0 || v.n - i > 18)
		return 0;
	for (size_t j = i; j < v.n; j++) {
		if (v.p[j] < '0' || v.p[j] > '9')
			return 0;
		x = x * 10 + (v.p[j] - '0');
	}
	*out = i ? -x : x;
	return 1;
}

/* dec_text_cmp(), with plain integers compared as such. */
static int num_cmp(struct span a, struct span b)
{
	long long x, y;

	if (plain_int(a, &x) && plain_int(b, &y))
		return (x > y) - (x < y);
	return dec_text_cmp(a.p, a.n, b.p, b.n);
}

static int is_integer(struct span v)
{
	struct dec_text m;
	__int128 place;
	size_t i = 0;

	/* JSON's grammar: without '.', 'e' or 'E' the text is an integer */
	while (i < v.n && v.p[i] != '.' && v.p[i] != 'e' && v.p[i] != 'E')
		i++;
	if (i == v.n)
		return 1;
	dec_text_parse(&m, v.p, v.n);
	if (m.z == m.nint + m.nfrac)
		return 1;
	return !dec_text_place(&m, m.last, &place) ? place > 0 : place >= 0;
}

static unsigned __int128 mulmod(unsigned __int128 a, unsigned __int128 b, unsigned __int128 m)
{
	unsigned __int128 r = 0;

	for (int i = 127; i >= 0; i--) {
		r = (r * 2) % m;
		if ((b >> i) & 1)
			r = (r + a) % m;
	}
	return r;
}

/* Is value x an integer multiple of m (> 0)?  Exact: x = X * 10^px and
 * m = M * 10^pm with X, M integers not ending in 0; x / m is an integer
 * when px >= pm and X * 10^(px - pm) is divisible by M. */
static int multiple_of(struct span x, struct span m)
{
	struct dec_text a, b;
	__int128 pa, pb;
	unsigned __int128 M = 0, r = 0, base = 10, e;
	int exa, exb;

	dec_text_parse(&a, x.p, x.n);
	dec_text_parse(&b, m.p, m.n);
	if (a.z == a.nint + a.nfrac)
		return 1;
	exa = dec_text_place(&a, a.last, &pa);
	exb = dec_text_place(&b, b.last, &pb);
	if (b.last - b.z + 1 > 37 || !exb) {
		double dx = strtod(x.p, NULL), dm = strtod(m.p, NULL), q = dx / dm;

		return isfinite(q) ? q == floor(q) : 0;
	}
	if (pa < pb)
		return 0;
	if (!exa)
		return 1; /* a power of ten beyond every exact one: a multiple */
	for (size_t i = b.z; i <= b.last; i++)
		M = M * 10 + (unsigned)(dec_text_digit(&b, i) - '0');
	for (size_t i = a.z; i <= a.last; i++)
		r = (r * 10 + (unsigned)(dec_text_digit(&a, i) - '0')) % M;
	/* r * 10^(pa - pb) mod M */
	e = (unsigned __int128)(pa - pb);
	base %= M;
	while (e && r) {
		if (e & 1)
			r = mulmod(r, base, M);
		base = mulmod(base, base, M);
		e >>= 1;
	}
	return r == 0;
}

static int check_number(struct schema *S, const struct node *s, struct span v)
{
	int ok = 1;

	if (s->minimum.p && num_cmp(v, s->minimum) < 0)
		FAIL("minimum", "%s is less than the minimum of %.*s", shown(S, v),
		     (int)s->minimum.n, s->minimum.p);
	if (s->maximum.p && num_cmp(v, s->maximum) > 0)
		FAIL("maximum", "%s is greater than the maximum of %.*s", shown(S, v),
		     (int)s->maximum.n, s->maximum.p);
	if (s->exmin.p && num_cmp(v, s->exmin) <= 0)
		FAIL("exclusiveMinimum", "%s is not greater than %.*s", shown(S, v),
		     (int)s->exmin.n, s->exmin.p);
	if (s->exmax.p && num_cmp(v, s->exmax) >= 0)
		FAIL("exclusiveMaximum", "%s is not less than %.*s", shown(S, v), (int)s->exmax.n,
		     s->exmax.p);
	if (s->multiple.p && !multiple_of(v, s->multiple))
		FAIL("multipleOf", "%s is not a multiple of %.*s", shown(S, v), (int)s->multiple.n,
		     s->multiple.p);
	return ok;
}

static int check_string(struct schema *S, const struct node *s, struct span v)
{
	struct span str = str_of(&S->scratch, v);
	int ok = 1;

	if (s->min_len >= 0 || s->max_len >= 0) {
		long long n = (long long)utf8_count(str.p, str.n);

		if (s->min_len >= 0 && n < s->min_len)
			FAIL("minLength", "%s is shorter than %lld characters", shown(S, v),
			     s->min_len);
		if (s->max_len >= 0 && n > s->max_len)
			FAIL("maxLength", "%s is longer than %lld characters", shown(S, v),
			     s->max_len);
	}
	if (s->pattern && pcre2_match(s->pattern, (PCRE2_SPTR)str.p, str.n, 0, 0, S->md, NULL) < 0)
		FAIL("pattern", "%s does not match the pattern %s", shown(S, v), s->pattern_src);
	if (s->format && format_check(s->format, str.p, str.n) == 0)
		FAIL("format", "%s is not a valid %s", shown(S, v), s->format);
	return ok;
}

static int check_array(struct schema *S, const struct node *s, struct span v, struct eval *ev)
{
	struct span e;
	size_t n = 0, i = 0, nm = 0;
	int ok = 1;
	struct member *m = NULL;

	if (s->min_items < 0 && s->max_items < 0 && !s->contains && !s->unique && !s->prefix.n &&
	    !s->items)
		return 1;
	m = members(S, v, &nm);
	n = nm;
	if (s->min_items >= 0 && (long long)n < s->min_items)
		FAIL("minItems", "the array has %zu items, fewer than %lld", n, s->min_items);
	if (s->max_items >= 0 && (long long)n > s->max_items)
		FAIL("maxItems", "the array has %zu items, more than %lld", n, s->max_items);
	if (s->prefix.n || s->items) {
		for (size_t mi = 0; mi < nm; mi++) {
			const struct node *c = i < s->prefix.n ? s->prefix.v[i] : s->items;

			e = m[mi].v;

			if (!c)
				break;
			push_step(S, NULL, i);
			if (!sub(S, s, c, e, NULL, i < s->prefix.n ? "prefixItems" : "items")) {
				S->nsteps--;
				if (!S->collect || S->quiet)
					return 0;
				ok = 0;
			} else {
				S->nsteps--;
			}
			eval_set(ev, i);
			i++;
		}
	}
	if (s->contains) {
		size_t matched = 0;

		i = 0;
		S->quiet++;
		for (size_t mi = 0; mi < nm; mi++) {
			e = m[mi].v;
			if (check(S, s->contains, e, NULL)) {
				matched++;
				eval_set(ev, i);
			}
			i++;
		}
		S->quiet--;
		long long minc = s->min_contains >= 0 ? s->min_contains : 1;
		if ((long long)matched < minc) {
			if (s->min_contains >= 0)
				FAIL("minContains",
				     "the array has %zu items that match contains, fewer than %lld",
				     matched, minc);
			else
				FAIL("contains", "no item of the array matches contains");
		}
		if (s->max_contains >= 0 && (long long)matched > s->max_contains)
			FAIL("maxContains",
			     "the array has %zu items that match contains, more than %lld", matched,
			     s->max_contains);
	}
	if (s->unique) {
		for (size_t a = 0; a < nm; a++)
			for (size_t b = a + 1; b < nm; b++)
				if (json_eq(&S->scratch, m[a].v, m[b].v)) {
					FAIL("uniqueItems", "items %zu and %zu are equal", a, b);
					goto unique_done;
				}
	}
unique_done:
	return ok;
}

static int has_key(const struct member *m, size_t nm, const char *name, size_t n)
{
	for (size_t i = 0; i < nm; i++)
		if (scan_key_eq(m[i].k, name, n))
			return 1;
	return 0;
}

static int check_object(struct schema *S, const struct node *s, struct span v, struct eval *ev)
{
	struct span k, e;
	size_t n = 0, i = 0, nm;
	int ok = 1;
	struct member *m;

	if (s->min_props < 0 && s->max_props < 0 && !s->required.n && !s->ndreq && !s->ndschemas &&
	    !s->nprops && !s->npprops && !s->addl && !s->prop_names)
		return 1;
	m = members(S, v, &nm);
	if (s->min_props >= 0 || s->max_props >= 0) {
		n = nm;
		if (s->min_props >= 0 && (long long)n < s->min_props)
			FAIL("minProperties", "the object has %zu properties, fewer than %lld", n,
			     s->min_props);
		if (s->max_props >= 0 && (long long)n > s->max_props)
			FAIL("maxProperties", "the object has %zu properties, more than %lld", n,
			     s->max_props);
	}
	for (size_t r = 0; r < s->required.n; r++)
		if (!has_key(m, nm, s->required.v[r], s->required.len[r]))
			FAIL("required", "the property \"%s\" is missing", s->required.v[r]);
	for (size_t d = 0; d < s->ndreq; d++) {
		if (!has_key(m, nm, s->dreq[d].name, s->dreq[d].n))
			continue;
		for (size_t r = 0; r < s->dreq[d].req.n; r++)
			if (!has_key(m, nm, s->dreq[d].req.v[r], s->dreq[d].req.len[r]))
				FAIL("dependentRequired",
				     "the property \"%s\" is missing (required by \"%s\")",
				     s->dreq[d].req.v[r], s->dreq[d].name);
	}
	for (size_t d = 0; d < s->ndschemas; d++)
		if (has_key(m, nm, s->dschemas[d].name, s->dschemas[d].n) &&
		    !sub(S, s, s->dschemas[d].s, v, ev, "dependentSchemas")) {
			if (!S->collect || S->quiet)
				return 0;
			ok = 0;
		}
	if (!s->nprops && !s->npprops && !s->addl && !s->prop_names)
		return ok;
	for (size_t mi = 0; mi < nm; mi++) {
		k = m[mi].k;
		e = m[mi].v;
		struct span key = key_of(&S->scratch, k);
		int matched = 0;

		push_step(S, key.p, key.n);
		for (size_t p = 0; p < s->nprops; p++) {
			if (s->props[p].n != key.n || memcmp(s->props[p].name, key.p, key.n))
				continue;
			matched = 1;
			eval_set(ev, i);
			if (!sub(S, s, s->props[p].s, e, NULL, "properties")) {
				if (!S->collect || S->quiet) {
					S->nsteps--;
					return 0;
				}
				ok = 0;
			}
		}
		for (size_t p = 0; p < s->npprops; p++) {
			if (pcre2_match(s->pprops[p].re, (PCRE2_SPTR)key.p, key.n, 0, 0, S->md,
					NULL) < 0)
				continue;
			matched = 1;
			eval_set(ev, i);
			if (!sub(S, s, s->pprops[p].s, e, NULL, "patternProperties")) {
				if (!S->collect || S->quiet) {
					S->nsteps--;
					return 0;
				}
				ok = 0;
			}
		}
		if (!matched && s->addl) {
			eval_set(ev, i);
			if (!sub(S, s, s->addl, e, NULL, "additionalProperties")) {
				if (!S->collect || S->quiet) {
					S->nsteps--;
					return 0;
				}
				ok = 0;
			}
		}
		if (s->prop_names) {
			char *q = arena_alloc(&S->scratch, k.n + 3);

			q[0] = '"';
			memcpy(q + 1, k.p, k.n);
			q[k.n + 1] = '"';
			q[k.n + 2] = '\0';
			if (!sub(S, s, s->prop_names, (struct span){q, k.n + 2}, NULL,
				 "propertyNames")) {
				if (!S->collect || S->quiet) {
					S->nsteps--;
					return 0;
				}
				ok = 0;
			}
		}
		S->nsteps--;
		i++;
	}
	return ok;
}

/* num_cmp() of the number text v, which is not a plain integer, with the
 * bound bs whose value is the integer b: a decimal of at most 18 integer
 * digits without an exponent ("68.10") is compared by its integer part and
 * whether its fraction is zero, the others by num_cmp(). */
static int num_cmp_int(struct span v, long long b, struct span bs)
{
	size_t i = v.n && v.p[0] == '-', j;
	long long ip = 0;
	int frac = 0;

	for (j = i; j < v.n && v.p[j] >= '0' && v.p[j] <= '9'; j++)
		ip = ip * 10 + (v.p[j] - '0');
	if (j == i || j - i > 18 || j == v.n || v.p[j] != '.')
		return num_cmp(v, bs);
	for (j++; j < v.n; j++) {
		if (v.p[j] < '0' || v.p[j] > '9')
			return num_cmp(v, bs);
		frac |= v.p[j] != '0';
	}
	if (!frac) {
		long long x = i ? -ip : ip;

		return (x > b) - (x < b);
	}
	/* ip < |v| < ip + 1 */
	if (!i)
		return ip >= b ? 1 : -1;
	return -ip <= b ? -1 : 1;
}

/* A leaf's verdict on a scalar value, built from nothing but the value's
 * bytes: 1 when it is valid.  0 when it is not, or when this path does not
 * decide (an object or an array, a string with escapes): check_inner() then
 * decides and says why.  The scanner validated the text, so a string
 * without escapes is its own content, valid UTF-8, and the pattern runs on
 * those bytes without PCRE2's UTF check. */
static int leaf_ok(struct schema *S, const struct node *s, struct span v)
{
	unsigned t;
	long long x = 0;
	int pint;

	switch (v.p[0]) {
	case 'n':
		t = T_NULL;
		break;
	case 't':
	case 'f':
		t = T_BOOLEAN;
		break;
	case '"':
		t = T_STRING;
		break;
	case '{':
	case '[':
		return 0;
	default:
		t = T_NUMBER;
		break;
	}
	pint = t == T_NUMBER && plain_int(v, &x);
	if (s->types && !(t & s->types) &&
	    (t != T_NUMBER || !(s->types & T_INTEGER) || !(pint || is_integer(v))))
		return 0;
	if (t == T_STRING) {
		struct span str = {v.p + 1, v.n - 2};
		int plain = 0; /* the raw bytes are known to hold no escape */

		/* A pattern or an enum string without backslashes that the raw
		 * bytes match tells that they hold none: the content is the raw
		 * bytes.  Else they are looked at. */
		if (s->fix && !s->fix->bs) {
			if (!fix_match(s->fix, str.p, str.n))
				return 0;
			plain = 1;
		}
		if (s->has_enum) {
			size_t i;

			for (i = 0; i < s->nenum; i++)
				if (s->estr[i].p && s->estr[i].n == str.n &&
				    !memcmp(s->estr[i].p, str.p, str.n))
					break;
			if (i == s->nenum)
				return 0;
			plain = 1;
		}
		if (!plain && memchr(str.p, '\\', str.n))
			return 0;
		if (s->min_len >= 0 || s->max_len >= 0) {
			long long n = (long long)utf8_count(str.p, str.n);

			if ((s->min_len >= 0 && n < s->min_len) ||
			    (s->max_len >= 0 && n > s->max_len))
				return 0;
		}
		if (s->fix ? s->fix->bs && !fix_match(s->fix, str.p, str.n)
			   : s->pattern &&
				     (s->pattern_jit
					      ? pcre2_jit_match(s->pattern, (PCRE2_SPTR)str.p,
								str.n, 0, 0, S->md, NULL)
					      : pcre2_match(s->pattern, (PCRE2_SPTR)str.p, str.n, 0,
							    PCRE2_NO_UTF_CHECK, S->md, NULL)) < 0)
			return 0;
		return !s->format || format_check(s->format, str.p, str.n) != 0;
	}
	if (s->has_enum) {
		size_t i;

		for (i = 0; i < s->nenum; i++)
			if (json_eq(&S->scratch, v, s->enums[i]))
				break;
		if (i == s->nenum)
			return 0;
	}
	if (t != T_NUMBER)
		return 1;
	if (pint) {
		if (s->has_imin ? x < s->imin : s->minimum.p && num_cmp(v, s->minimum) < 0)
			return 0;
		if (s->has_imax ? x > s->imax : s->maximum.p && num_cmp(v, s->maximum) > 0)
			return 0;
	} else if ((s->minimum.p && (s->has_imin ? num_cmp_int(v, s->imin, s->minimum)
						 : num_cmp(v, s->minimum)) < 0) ||
		   (s->maximum.p && (s->has_imax ? num_cmp_int(v, s->imax, s->maximum)
						 : num_cmp(v, s->maximum)) > 0)) {
		return 0;
	}
	return !(s->exmin.p && num_cmp(v, s->exmin) <= 0) &&
	       !(s->exmax.p && num_cmp(v, s->exmax) >= 0) &&
	       !(s->multiple.p && !multiple_of(v, s->multiple));
}

static const char *type_names(unsigned t)
{
	static char s[80];
	static const char *const names[] = {"null",   "boolean", "object", "array",
					    "number", "string",  "integer"};
	size_t n = 0;

	s[0] = '\0';
	for (unsigned i = 0; i < 7; i++)
		if (t & (1u << i))
			n += (size_t)snprintf(s + n, sizeof(s) - n, "%s%s", n ? " or " : "",
					      names[i]);
	return s;
}

static struct node *dynamic_target(struct schema *S, const struct node *s)
{
	if (!s->dref_name || !s->dref || !s->dref->dyn_anchor ||
	    strcmp(s->dref->dyn_anchor, s->dref_name))
		return s->dref;
	for (size_t i = 0; i < S->nscope; i++) {
		struct res *r = S->scope[i];

		for (size_t j = 0; j < r->ndyn; j++)
			if (!strcmp(r->dyn[j].name, s->dref_name) && r->dyn[j].s)
				return r->dyn[j].s;
	}
	return s->dref;
}

static int check_inner(struct schema *S, const struct node *s, struct span v, struct eval *ev)
{
	enum scan_kind kind = scan_kind_trimmed(v);
	int ok = 1;

	if (s->ref && !sub(S, s, s->ref, v, ev, "$ref")) {
		if (!S->collect || S->quiet)
			return 0;
		ok = 0;
	}
	if (s->dref && !sub(S, s, dynamic_target(S, s), v, ev, "$dynamicRef")) {
		if (!S->collect || S->quiet)
			return 0;
		ok = 0;
	}
	if (s->types) {
		unsigned t = 0;

		switch (kind) {
		case SCAN_NULL:
			t = T_NULL;
			break;
		case SCAN_TRUE:
		case SCAN_FALSE:
			t = T_BOOLEAN;
			break;
		case SCAN_OBJECT:
			t = T_OBJECT;
			break;
		case SCAN_ARRAY:
			t = T_ARRAY;
			break;
		case SCAN_STRING:
			t = T_STRING;
			break;
		case SCAN_NUMBER:
			/* whether it is an integer matters only without "number" */
			t = T_NUMBER | (!(s->types & T_NUMBER) && is_integer(v) ? T_INTEGER : 0);
			break;
		default:
			break;
		}
		if (!(t & s->types))
			FAIL("type", "%s is not of type %s", shown(S, v), type_names(s->types));
	}
	if (s->has_const && !json_eq(&S->scratch, v, s->konst))
		FAIL("const", "%s is not %s", shown(S, v), shown(S, s->konst));
	if (s->has_enum) {
		size_t i;

		for (i = 0; i < s->nenum; i++)
			if (json_eq(&S->scratch, v, s->enums[i]))
				break;
		if (i == s->nenum)
			FAIL("enum", "%s is not one of the allowed values", shown(S, v));
	}
	{
		/* the keywords of the value's own type */
		int typed = kind == SCAN_NUMBER   ? check_number(S, s, v)
			    : kind == SCAN_STRING ? check_string(S, s, v)
			    : kind == SCAN_ARRAY  ? check_array(S, s, v, ev)
			    : kind == SCAN_OBJECT ? check_object(S, s, v, ev)
						  : 1;

		if (!typed) {
			if (!S->collect || S->quiet)
				return 0;
			ok = 0;
		}
	}
	for (size_t i = 0; i < s->all.n; i++)
		if (!sub(S, s, s->all.v[i], v, ev, "allOf")) {
			if (!S->collect || S->quiet)
				return 0;
			ok = 0;
		}
	if (s->any.n) {
		int any = 0;

		S->quiet++;
		for (size_t i = 0; i < s->any.n; i++) {
			struct eval *b = ev ? eval_new(S, ev->n) : NULL;

			if (check(S, s->any.v[i], v, b)) {
				any = 1;
				eval_merge(ev, b);
				if (!ev)
					break;
			}
		}
		S->quiet--;
		if (!any)
			FAIL("anyOf", "%s matches none of the schemas of anyOf", shown(S, v));
	}
	if (s->one.n) {
		size_t matched = 0, first = 0;

		S->quiet++;
		for (size_t i = 0; i < s->one.n; i++) {
			struct eval *b = ev ? eval_new(S, ev->n) : NULL;

			if (check(S, s->one.v[i], v, b)) {
				if (!matched++)
					first = i;
				eval_merge(ev, b);
				if (matched > 1)
					break;
			}
		}
		S->quiet--;
		if (matched == 0)
			FAIL("oneOf", "%s matches none of the schemas of oneOf", shown(S, v));
		else if (matched > 1)
			FAIL("oneOf", "%s matches more than one schema of oneOf (%zu and more)",
			     shown(S, v), first);
	}
	if (s->not ) {
		int r;

		S->quiet++;
		r = check(S, s->not, v, NULL);
		S->quiet--;
		if (r)
			FAIL("not", "%s must not match the schema of not", shown(S, v));
	}
	if (s->if_) {
		struct eval *b = ev ? eval_new(S, ev->n) : NULL;
		int r;

		S->quiet++;
		r = check(S, s->if_, v, b);
		S->quiet--;
		if (r) {
			eval_merge(ev, b);
			if (s->then_ && !sub(S, s, s->then_, v, ev, "then")) {
				if (!S->collect || S->quiet)
					return 0;
				ok = 0;
			}
		} else if (s->else_ && !sub(S, s, s->else_, v, ev, "else")) {
			if (!S->collect || S->quiet)
				return 0;
			ok = 0;
		}
	}
	if (s->uneval_items && kind == SCAN_ARRAY) {
		size_t i = 0, nm;
		struct member *m = members(S, v, &nm);

		for (size_t mi = 0; mi < nm; mi++) {
			struct span e = m[mi].v;

			if (!eval_has(ev, i)) {
				push_step(S, NULL, i);
				if (!sub(S, s, s->uneval_items, e, NULL, "unevaluatedItems")) {
					S->nsteps--;
					if (!S->collect || S->quiet)
						return 0;
					ok = 0;
				} else {
					S->nsteps--;
				}
				eval_set(ev, i);
			}
			i++;
		}
	}
	if (s->uneval_props && kind == SCAN_OBJECT) {
		size_t i = 0, nm;
		struct member *m = members(S, v, &nm);

		for (size_t mi = 0; mi < nm; mi++) {
			struct span k = m[mi].k, e = m[mi].v;

			if (!eval_has(ev, i)) {
				struct span key = key_of(&S->scratch, k);

				push_step(S, key.p, key.n);
				if (!sub(S, s, s->uneval_props, e, NULL, "unevaluatedProperties")) {
					S->nsteps--;
					if (!S->collect || S->quiet)
						return 0;
					ok = 0;
				} else {
					S->nsteps--;
				}
				eval_set(ev, i);
			}
			i++;
		}
	}
	return ok;
}

static int check(struct schema *S, const struct node *s, struct span v, struct eval *ev)
{
	int ok, pushed = 0;
	struct eval *own = ev;

	if (s->boolean == 1)
		return 1;
	if (s->boolean == 0)
		return 0;
	if (s->leaf && leaf_ok(S, s, v))
		return 1;
	if (S->depth > 2000) { /* a $ref loop that never moves into the value */
		if (S->collect && !S->quiet)
			add_error(S, s, "$ref", "the schema refers to itself without end");
		return 0;
	}
	if (s->uneval) {
		enum scan_kind k = scan_kind_trimmed(v);

		own = k == SCAN_OBJECT || k == SCAN_ARRAY ? eval_new(S, count_members(S, v)) : NULL;
	}
	if (!S->nscope || S->scope[S->nscope - 1] != s->res) {
		if (S->nscope == S->capscope)
			xgrow(&S->scope, &S->capscope, S->nscope + 1, sizeof(*S->scope));
		S->scope[S->nscope++] = s->res;
		pushed = 1;
	}
	S->depth++;
	ok = check_inner(S, s, v, own);
	S->depth--;
	if (pushed)
		S->nscope--;
	if (ok && own != ev)
		eval_merge(ev, own);
	return ok;
}

size_t schema_fields(const struct schema *s, const char *const **names, const size_t **lens)
{
	*names = s->fnames;
	*lens = s->flens;
	return s->nfields;
}

int schema_check_fields(struct schema *s, struct span value, const struct span *vals,
			unsigned flags)
{
	struct schema *S = s;
	const struct node *r = S->root;
	int ok;

	value = scan_trim(value);
	if (!S->nfields || scan_kind_trimmed(value) != SCAN_OBJECT)
		return schema_check(s, value, flags);
	arena_reset(&S->scratch);
	S->collect = (flags & SCHEMA_ERRORS) != 0;
	S->quiet = 0;
	S->nerrs = 0;
	S->nsteps = 0;
	S->nscope = 0;
	S->depth = 0;
	S->gen++; /* empties the member cache */
	ok = S->shell_open || check(S, S->shell, value, NULL);
	if (!ok && !S->collect)
		return 0;
	for (size_t i = 0; i < S->nfreq; i++)
		if (!vals[S->freq[i]].p) {
			if (!S->collect)
				return 0;
			add_error(S, r, "required", "the property \"%s\" is missing",
				  S->fnames[S->freq[i]]);
			ok = 0;
		}
	xgrow(&S->scope, &S->capscope, 1, sizeof(*S->scope));
	S->scope[0] = r->res;
	S->nscope = 1;
	for (size_t i = 0; i < S->nfields; i++) {
		struct span fv;

		if (!S->fprop[i] || !vals[i].p)
			continue;
		fv = vals[i];
		if ((unsigned char)fv.p[0] <= ' ' || (unsigned char)fv.p[fv.n - 1] <= ' ')
			fv = scan_trim(fv); /* the scanner's values are trimmed already */
		if (S->fprop[i]->leaf && leaf_ok(S, S->fprop[i], fv))
			continue;
		push_step(S, S->fnames[i], S->flens[i]);
		if (!sub(S, r, S->fprop[i], fv, NULL, "properties")) {
			if (!S->collect)
				return 0;
			ok = 0;
		}
		S->nsteps--;
	}
	S->nscope = 0;
	return ok;
}

int schema_check(struct schema *s, struct span value, unsigned flags)
{
	struct schema *S = s;

	arena_reset(&S->scratch);
	S->collect = (flags & SCHEMA_ERRORS) != 0;
	S->quiet = 0;
	S->nerrs = 0;
	S->nsteps = 0;
	S->nscope = 0;
	S->depth = 0;
	S->gen++; /* empties the member cache */
	value = scan_trim(value);
	if (check(S, S->root, value, NULL))
		return 1;
	if (S->root->boolean == 0 && S->collect)
		add_error(S, S->root, "false", "no value is allowed by the schema");
	return 0;
}

const struct schema_error *schema_errors(const struct schema *s, size_t *n)
{
	*n = s->nerrs;
	return s->errs;
}

/* ---- Loading ------------------------------------------------------------ */

static const char *const vocab_uris[] = {
	"https://json-schema.org/draft/2020-12/vocab/core",
	"https://json-schema.org/draft/2020-12/vocab/applicator",
	"https://json-schema.org/draft/2020-12/vocab/unevaluated",
	"https://json-schema.org/draft/2020-12/vocab/validation",
	"https://json-schema.org/draft/2020-12/vocab/format-assertion",
};
static const char *const vocab_known[] = {
	"https://json-schema.org/draft/2020-12/vocab/meta-data",
	"https://json-schema.org/draft/2020-12/vocab/format-annotation",
	"https://json-schema.org/draft/2020-12/vocab/content",
};

static struct schema *schema_new(const struct schema_opts *opts, struct schema_cerr *err)
{
	struct schema *S = xcalloc(1, sizeof(*S));

	if (opts)
		S->opts = *opts;
	S->cerr = err;
	memset(err, 0, sizeof(*err));
	S->md = pcre2_match_data_create(1, NULL);
	return S;
}

/* The meta-schema of document d ($schema, or draft 2020-12): check d
 * against it, and take its $vocabulary. */
static void meta_check(struct schema *S, struct doc *d)
{
	struct span root = scan_trim((struct span){d->text, d->n}), ms, voc;
	char *uri = NULL;
	struct schema *M;
	struct schema_opts o = S->opts;
	struct schema_cerr e;

	d->checked = 1;
	if (scan_kind_trimmed(root) != SCAN_OBJECT)
		return;
	ms = obj_get(root, "$schema");
	if (scan_kind_trimmed(ms) == SCAN_STRING) {
		struct span u = str_of(&S->mem, ms);

		uri = xstrndup(u.p, u.n);
	} else {
		uri = xstrdup(META_URI);
	}
	o.no_meta_check = 1;
	{
		char *nf = uri_nofrag(uri);
		struct doc *md;

		M = schema_new(&o, &e);
		md = doc_load(M, nf);
		free(nf);
		if (!md) {
			if (!M->failed)
				cfail(S, d->uri, "cannot load the meta-schema '%s'", uri);
			else
				cfail(S, e.where, "%s", e.msg);
			goto out;
		}
		M->root = compile(M, scan_trim((struct span){md->text, md->n}), md->uri, M->res[0],
				  md, "");
		for (size_t changed = 1; changed && !M->failed;) {
			changed = 0;
			for (size_t i = 0; i < M->nres; i++)
				for (size_t j = 0; j < M->res[i]->ndyn; j++)
					if (!M->res[i]->dyn[j].s) {
						struct idx *x =
							pmap_get(&M->index, M->res[i]->dyn[j].v.p);

						M->res[i]->dyn[j].s =
							compile(M, M->res[i]->dyn[j].v, x->base,
								x->res, x->doc, x->ptr);
						changed = 1;
					}
		}
		if (M->failed) {
			cfail(S, e.where, "meta-schema: %s", e.msg);
			goto out;
		}
		voc = obj_get(scan_trim((struct span){md->text, md->n}), "$vocabulary");
		if (scan_kind_trimmed(voc) == SCAN_OBJECT) {
			struct scan_iter it;
			struct span k, v;

			d->vocab = 0;
			scan_iter_init(&it, voc);
			while (scan_iter_next(&it, &k, &v)) {
				struct span name = key_of(&S->mem, k);
				int known = 0;

				for (unsigned i = 0; i < 5; i++)
					if (span_is(name, vocab_uris[i])) {
						d->vocab |= 1u << i;
						known = 1;
					}
				for (unsigned i = 0; i < 3; i++)
					known |= span_is(name, vocab_known[i]);
				if (!known && scan_kind_trimmed(v) == SCAN_TRUE) {
					cfail(S, d->uri, "unknown required vocabulary '%.*s'",
					      (int)name.n, name.p);
					goto out;
				}
			}
		}
		if (!schema_check(M, root, SCHEMA_ERRORS)) {
			size_t n;
			const struct schema_error *er = schema_errors(M, &n);
			char where[512];

			snprintf(where, sizeof(where), "%s#%s", d->uri, n ? er[0].path : "");
			cfail(S, where, "not valid against its meta-schema: %s",
			      n ? er[0].message : "invalid");
		}
	}
out:
	if (M)
		schema_free(M);
	free(uri);
}

/* Can the root be checked from the values of the fields it names (see
 * schema_fields())?  Then note them, and a copy of the root without
 * properties and required for the rest of its keywords. */
static void plan_fields(struct schema *S)
{
	const struct node *r = S->root;
	size_t n = 0;

	if (r->boolean != -1 || r->ref || r->dref || r->all.n || r->any.n || r->one.n || r->not ||
	    r->if_ || r->uneval || r->npprops || r->addl || r->prop_names || r->ndschemas ||
	    r->ndreq || r->min_props >= 0 || r->max_props >= 0 || (!r->nprops && !r->required.n))
		return;
	S->fnames = arena_alloc(&S->mem, (r->nprops + r->required.n) * sizeof(*S->fnames));
	S->flens = arena_alloc(&S->mem, (r->nprops + r->required.n) * sizeof(*S->flens));
	S->fprop = arena_alloc(&S->mem, (r->nprops + r->required.n) * sizeof(*S->fprop));
	S->freq = arena_alloc(&S->mem, (r->required.n + 1) * sizeof(*S->freq));
	for (size_t i = 0; i < r->nprops; i++) {
		size_t j;

		for (j = 0; j < n; j++) /* a name given twice: the last schema */
			if (S->flens[j] == r->props[i].n &&
			    !memcmp(S->fnames[j], r->props[i].name, r->props[i].n))
				break;
		S->fnames[j] = r->props[i].name;
		S->flens[j] = r->props[i].n;
		S->fprop[j] = r->props[i].s;
		n += j == n;
	}
	for (size_t i = 0; i < r->required.n; i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (S->flens[j] == r->required.len[i] &&
			    !memcmp(S->fnames[j], r->required.v[i], r->required.len[i]))
				break;
		if (j == n) {
			S->fnames[n] = r->required.v[i];
			S->flens[n] = r->required.len[i];
			S->fprop[n++] = NULL;
		}
		S->freq[S->nfreq++] = j;
	}
	S->shell = arena_alloc(&S->mem, sizeof(*S->shell));
	*S->shell = *r;
	S->shell->props = NULL;
	S->shell->nprops = 0;
	S->shell->required.n = 0;
	S->nfields = n;
	/* Has the shell no keyword left but a type that allows objects?  Then
	 * it is a node as compile() starts one, with that type. */
	{
		struct node blank;

		memset(&blank, 0, sizeof(blank));
		blank.min_len = blank.max_len = blank.min_items = blank.max_items = -1;
		blank.min_props = blank.max_props = blank.min_contains = blank.max_contains = -1;
		blank.boolean = -1;
		blank.loc = S->shell->loc;
		blank.res = S->shell->res;
		blank.dyn_anchor = S->shell->dyn_anchor;
		blank.types = S->shell->types;
		blank.leaf = S->shell->leaf;
		blank.required = S->shell->required; /* its names, none of them left */
		S->shell_open = (!blank.types || (blank.types & T_OBJECT)) &&
				!memcmp(&blank, S->shell, sizeof(blank));
	}
}

static struct schema *finish_load(struct schema *S, struct doc *d)
{
	if (!d) {
		if (!S->failed)
			cfail(S, "", "cannot read the schema");
		schema_free(S);
		return NULL;
	}
	if (!S->opts.no_meta_check)
		meta_check(S, d);
	if (!S->failed)
		S->root = compile(S, scan_trim((struct span){d->text, d->n}), S->res[0]->uri,
				  S->res[0], d, "");
	/* every $dynamicAnchor compiled, for dynamic_target() at run time;
	 * each document loaded on the way checked against its meta-schema */
	for (size_t changed = 1; changed && !S->failed;) {
		changed = 0;
		for (size_t i = 0; i < S->nres && !S->failed; i++)
			for (size_t j = 0; j < S->res[i]->ndyn && !S->failed; j++)
				if (!S->res[i]->dyn[j].s) {
					struct idx *x = pmap_get(&S->index, S->res[i]->dyn[j].v.p);

					S->res[i]->dyn[j].s =
						compile(S, S->res[i]->dyn[j].v, x->base, x->res,
							x->doc, x->ptr);
					changed = 1;
				}
		for (size_t i = 0; i < S->ndocs && !S->failed; i++)
			if (!S->docs[i]->checked && !S->opts.no_meta_check) {
				meta_check(S, S->docs[i]);
				changed = 1;
			}
	}
	if (S->failed) {
		schema_free(S);
		return NULL;
	}
	plan_fields(S);
	return S;
}

struct schema *schema_load_text(const char *p, size_t n, const char *uri,
				const struct schema_opts *opts, struct schema_cerr *err)
{
	struct schema *S = schema_new(opts, err);
	char *text = xmalloc(n + 1);

	memcpy(text, p, n);
	text[n] = '\0';
	S->display = uri;
	return finish_load(S, doc_add(S, text, n, uri));
}

struct schema *schema_load(const char *path, const struct schema_opts *opts,
			   struct schema_cerr *err)
{
	struct schema *S = schema_new(opts, err);
	char *text, *abs, *uri;
	struct buf b = BUF_INIT;
	size_t n;

	text = read_file(path, &n);
	if (!text) {
		snprintf(err->where, sizeof(err->where), "%s", path);
		snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(errno));
		schema_free(S);
		return NULL;
	}
	S->display = path;
	abs = realpath(path, NULL);
	buf_adds(&b, "file://");
	buf_adds(&b, abs ? abs : path);
	free(abs);
	uri = buf_detach(&b, NULL);
	S = finish_load(S, doc_add(S, text, n, uri));
	free(uri);
	return S;
}

void schema_free(struct schema *S)
{
	if (!S)
		return;
	for (size_t i = 0; i < S->ndocs; i++) {
		free(S->docs[i]->text);
		free(S->docs[i]->uri);
		free(S->docs[i]);
	}
	free(S->docs);
	for (size_t i = 0; i < S->nres; i++) {
		free(S->res[i]->uri);
		free(S->res[i]->dyn);
		free(S->res[i]);
	}
	free(S->res);
	for (size_t i = 0; i < S->nanchors; i++)
		free(S->anchors[i].uri);
	free(S->anchors);
	for (size_t i = 0; i < S->ncodes; i++)
		pcre2_code_free(S->codes[i]);
	free(S->codes);
	pmap_release(&S->index);
	pmap_release(&S->memo);
	arena_release(&S->mem);
	arena_release(&S->scratch);
	pcre2_match_data_free(S->md);
	free(S->scope);
	free(S->steps);
	free(S->errs);
	free(S->mtmp);
	free(S);
}
