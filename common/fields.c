/*
 * fields.c - a record as an editable list of raw members (fields.h).
 *
 * Design: fields_load() walks the validated line once with scan_iter and
 * records each top-level member as two spans into the line.  Edits replace
 * spans, never bytes: a new value or key is copied into the record's arena,
 * whose allocations do not move, so every span handed out stays valid until
 * the next record.  An edit below the top level rebuilds the text of the one
 * top-level member it is under (rebuild()), copying the raw text of every
 * sibling it passes, and the member's value span then points at the result.
 * select and nest build a new list from the old one (the two arrays swap
 * roles, so neither is allocated per record).
 *
 * Invariants: m[0..n) are the members in output order; every key span is
 * valid escaped JSON string content and every value span one valid JSON
 * value, so fields_write() always produces a valid object and the scan_*
 * helpers for validated text can read any value back.  f->changed is set
 * exactly when the written text would differ from the line.
 *
 * Keys are compared raw against decoded path segments: a raw key without a
 * backslash is its own decoding, and escapes only ever make the raw form
 * longer, so most comparisons end at a length check or at the first byte.
 */
#include "fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "mem.h"
#include "banned.h"

enum { ED_SET, ED_DEL, ED_REN };

/* One edit at the end of a path, for rebuild(). */
struct edit {
	int op;
	struct span val;               /* ED_SET: the new value */
	struct span rawkey;            /* ED_REN: the new key, escaped */
	const struct path_seg *newkey; /* ED_REN: the new key, decoded */
};

void fields_init(struct fields *f)
{
	memset(f, 0, sizeof(*f));
}

void fields_release(struct fields *f)
{
	free(f->m);
	free(f->old);
	free(f->made);
	free(f->segs);
	arena_release(&f->arena);
	buf_release(&f->tmp);
	buf_release(&f->key);
	fields_init(f);
}

static inline void push(struct fields *f, struct span key, struct span val)
{
	if (f->n == f->cap)
		xgrow(&f->m, &f->cap, f->n + 1, sizeof(*f->m));
	f->m[f->n].key = key;
	f->m[f->n].val = val;
	f->n++;
}

void fields_load(struct fields *f, struct span line)
{
	struct scan_iter it;
	struct span k, v;

	arena_reset(&f->arena);
	f->n = 0;
	f->changed = 0;
	f->err[0] = '\0';
	scan_iter_init(&it, line);
	while (scan_iter_next(&it, &k, &v))
		push(f, k, v);
}

/* Up to the first backslash, a raw key is its own decoding; the rest of a
 * longer raw key decodes to at least one more byte. */
static int key_eq(struct span raw, const char *s, size_t n)
{
	if (raw.n < n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (raw.p[i] == '\\')
			return scan_key_eq(raw, s, n);
		if (raw.p[i] != s[i])
			return 0;
	}
	return raw.n == n;
}

static int span_eq(struct span a, struct span b)
{
	return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

/* Index of the last member named s in m[0..n), or -1. */
static long find_last(const struct fields_member *m, size_t n, const struct path_seg *s)
{
	for (size_t i = n; i-- > 0;)
		if (key_eq(m[i].key, s->s, s->n))
			return (long)i;
	return -1;
}

static struct span lookup(const struct fields_member *m, size_t n, const struct path *p)
{
	long i = p->nseg ? find_last(m, n, &p->seg[0]) : -1;
	struct path rest;

	if (i < 0)
		return (struct span){NULL, 0};
	if (p->nseg == 1)
		return m[i].val;
	rest.seg = p->seg + 1;
	rest.nseg = p->nseg - 1;
	rest.text = NULL;
	return scan_lookup(m[i].val, &rest);
}

struct span fields_get(const struct fields *f, const struct path *p)
{
	return lookup(f->m, f->n, p);
}

/* A copy of [p, p+n) in the record's arena. */
static struct span keep(struct fields *f, const char *p, size_t n)
{
	char *q = arena_alloc(&f->arena, n ? n : 1);

	memcpy(q, p, n);
	return (struct span){q, n};
}

/* The escaped form of a decoded key, kept in the arena. */
static struct span raw_key(struct fields *f, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (unsigned char)s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
		i++;
	if (i == n) /* nothing to escape, the usual case */
		return keep(f, s, n);
	buf_reset(&f->key);
	jw_string(&f->key, s, n);
	return keep(f, f->key.p + 1, f->key.len - 2);
}

static const char *kind_name(struct span v)
{
	switch (scan_kind(v)) {
	case SCAN_NUMBER:
		return "a number";
	case SCAN_STRING:
		return "a string";
	case SCAN_ARRAY:
		return "an array";
	case SCAN_TRUE:
	case SCAN_FALSE:
		return "a boolean";
	default:
		return "not an object";
	}
}

/* "PATH is a number, not an object", PATH being the first nseg segments. */
static int not_object(struct fields *f, const struct path *p, size_t nseg, struct span v)
{
	struct path head = {p->seg, nseg, NULL};

	buf_reset(&f->key);
	path_format(&f->key, &head);
	snprintf(f->err, sizeof(f->err), "%s is %s, not an object", f->key.p, kind_name(v));
	return -1;
}

static void put_member(struct buf *b, int *first, struct span key, struct span val)
{
	if (!*first)
		buf_addc(b, ',');
	*first = 0;
	buf_addc(b, '"');
	buf_add(b, key.p, key.n);
	buf_add(b, "\":", 2);
	buf_add(b, val.p, val.n);
}

/* Objects for the segments p->seg[depth..] around val: {"b":{"c":val}}. */
static void create(struct buf *b, const struct path *p, size_t depth, struct span val)
{
	if (depth == p->nseg) {
		buf_add(b, val.p, val.n);
		return;
	}
	buf_addc(b, '{');
	jw_string(b, p->seg[depth].s, p->seg[depth].n);
	buf_addc(b, ':');
	create(b, p, depth + 1, val);
	buf_addc(b, '}');
}

/*
 * Write the object obj (absent: an empty one) into b with the edit applied
 * at p->seg[depth..].  Members other than the one on the path are copied
 * raw; earlier duplicates of the key on the path are dropped.
 */
static int rebuild(struct fields *f, struct buf *b, struct span obj, const struct path *p,
		   size_t depth, const struct edit *ed)
{
	const struct path_seg *s = &p->seg[depth];
	int last = depth + 1 == p->nseg, first = 1;
	struct scan_iter it;
	struct span k, v;
	long hit = -1, i;

	if (obj.p) {
		scan_iter_init(&it, obj);
		for (i = 0; scan_iter_next(&it, &k, &v); i++)
			if (key_eq(k, s->s, s->n))
				hit = i;
	}
	buf_addc(b, '{');
	if (obj.p) {
		scan_iter_init(&it, obj);
		for (i = 0; scan_iter_next(&it, &k, &v); i++) {
			if (!key_eq(k, s->s, s->n)) {
				if (!(last && ed->op == ED_REN &&
				      key_eq(k, ed->newkey->s, ed->newkey->n)))
					put_member(b, &first, k, v);
				continue;
			}
			if (i != hit || (last && ed->op == ED_DEL))
				continue;
			if (last) {
				if (ed->op == ED_SET)
					put_member(b, &first, k, ed->val);
				else
					put_member(b, &first, ed->rawkey, v);
				continue;
			}
			switch (scan_kind(v)) {
			case SCAN_OBJECT:
				put_member(b, &first, k, (struct span){"", 0});
				if (rebuild(f, b, v, p, depth + 1, ed) < 0)
					return -1;
				break;
			case SCAN_NULL:
				if (ed->op == ED_SET) {
					put_member(b, &first, k, (struct span){"", 0});
					create(b, p, depth + 1, ed->val);
					break;
				}
				put_member(b, &first, k, v);
				break;
			default:
				if (ed->op == ED_SET)
					return not_object(f, p, depth + 1, v);
				put_member(b, &first, k, v);
			}
		}
	}
	if (hit < 0 && ed->op == ED_SET) {
		if (!first)
			buf_addc(b, ',');
		jw_string(b, s->s, s->n);
		buf_addc(b, ':');
		create(b, p, depth + 1, ed->val);
	}
	buf_addc(b, '}');
	return 0;
}

/* Remove the members named s other than m[keep_i]; returns keep_i's new
 * index (or -1 when keep_i is -1: remove all). */
static long remove_named(struct fields *f, const struct path_seg *s, long keep_i)
{
	size_t j = 0;
	long at = -1;

	for (size_t i = 0; i < f->n; i++) {
		if ((long)i != keep_i && key_eq(f->m[i].key, s->s, s->n))
			continue;
		if ((long)i == keep_i)
			at = (long)j;
		f->m[j++] = f->m[i];
	}
	f->n = j;
	return at;
}

/* Apply ed at path p under the top-level member m[top], whose value is an
 * object (or null, for a set). */
static int edit_below(struct fields *f, long top, const struct path *p, const struct edit *ed)
{
	struct span cur = top >= 0 ? f->m[top].val : (struct span){NULL, 0};
	enum scan_kind kind = scan_kind(cur);

	if (kind != SCAN_NONE && kind != SCAN_OBJECT && kind != SCAN_NULL)
		return not_object(f, p, 1, cur);
	buf_reset(&f->tmp);
	if (rebuild(f, &f->tmp, kind == SCAN_OBJECT ? cur : (struct span){NULL, 0}, p, 1, ed) < 0)
		return -1;
	cur = keep(f, f->tmp.p, f->tmp.len);
	if (top >= 0) {
		top = remove_named(f, &p->seg[0], top);
		f->m[top].val = cur;
	} else {
		push(f, raw_key(f, p->seg[0].s, p->seg[0].n), cur);
	}
	return 0;
}

/* Would val at p make the record deeper than a reader accepts?  Every edit
 * that can deepen a record (set, rename to a longer path, nest) comes here,
 * so no record this module writes is refused by the scanner. */
static int too_deep(struct fields *f, const struct path *p, struct span val)
{
	enum scan_kind k = scan_kind(val);
	size_t depth = p->nseg;

	if (k == SCAN_OBJECT || k == SCAN_ARRAY)
		depth += scan_depth(val);
	if (depth <= SCAN_MAX_DEPTH)
		return 0;
	snprintf(f->err, sizeof(f->err),
		 "nesting too deep: the record would have %zu levels, more than %d", depth,
		 SCAN_MAX_DEPTH);
	return 1;
}

int fields_set(struct fields *f, const struct path *p, struct span val)
{
	long top = find_last(f->m, f->n, &p->seg[0]);

	if (too_deep(f, p, val))
		return -1;
	if (p->nseg == 1) {
		if (top >= 0 && span_eq(f->m[top].val, val))
			return 0;
		val = keep(f, val.p, val.n);
		if (top < 0) {
			push(f, raw_key(f, p->seg[0].s, p->seg[0].n), val);
		} else {
			top = remove_named(f, &p->seg[0], top);
			f->m[top].val = val;
		}
	} else {
		struct edit ed = {ED_SET, val, {NULL, 0}, NULL};
		struct span old = fields_get(f, p);

		if (old.p && span_eq(old, val))
			return 0;
		if (edit_below(f, top, p, &ed) < 0)
			return -1;
	}
	f->changed = 1;
	return 0;
}

void fields_delete(struct fields *f, const struct path *p)
{
	struct edit ed = {ED_DEL, {NULL, 0}, {NULL, 0}, NULL};

	if (!fields_get(f, p).p)
		return;
	if (p->nseg == 1)
		remove_named(f, &p->seg[0], -1);
	else
		edit_below(f, find_last(f->m, f->n, &p->seg[0]), p, &ed);
	f->changed = 1;
}

int fields_rename(struct fields *f, const struct path *from, const struct path *to)
{
	struct span v = fields_get(f, from);
	const struct path_seg *nk = &to->seg[to->nseg - 1];
	size_t i, j;
	int same = from->nseg == to->nseg;

	if (!v.p)
		return 0;
	for (i = 0; same && i + 1 < from->nseg; i++)
		same = path_seg_eq(&from->seg[i], &to->seg[i]);
	if (same && path_seg_eq(&from->seg[from->nseg - 1], nk))
		return 0;
	if (!same) {
		if (too_deep(f, to, v))
			return -1;
		fields_delete(f, from);
		return fields_set(f, to, v);
	}
	if (from->nseg == 1) {
		long hit = find_last(f->m, f->n, &from->seg[0]);
		struct span rk = raw_key(f, nk->s, nk->n);

		for (i = j = 0; i < f->n; i++) {
			if ((long)i == hit)
				f->m[i].key = rk;
			else if (key_eq(f->m[i].key, from->seg[0].s, from->seg[0].n) ||
				 key_eq(f->m[i].key, nk->s, nk->n))
				continue;
			f->m[j++] = f->m[i];
		}
		f->n = j;
	} else {
		struct edit ed = {ED_REN, {NULL, 0}, raw_key(f, nk->s, nk->n), nk};

		if (edit_below(f, find_last(f->m, f->n, &from->seg[0]), from, &ed) < 0)
			return -1;
	}
	f->changed = 1;
	return 0;
}

/* Move the member list to f->old and start an empty one. */
static void start_over(struct fields *f)
{
	struct fields_member *t = f->old;
	size_t c = f->capold;

	f->old = f->m;
	f->capold = f->cap;
	f->nold = f->n;
	f->m = t;
	f->cap = c;
	f->n = 0;
}

/* After a rebuild from f->old: is the list still the same text? */
static int same_as_old(const struct fields *f)
{
	if (f->n != f->nold)
		return 0;
	for (size_t i = 0; i < f->n; i++)
		if (f->m[i].key.p != f->old[i].key.p || f->m[i].val.p != f->old[i].val.p ||
		    f->m[i].val.n != f->old[i].val.n)
			return 0;
	return 1;
}

int fields_select(struct fields *f, const struct path *paths, size_t n)
{
	int changed = f->changed;

	start_over(f);
	for (size_t i = 0; i < n; i++) {
		const struct path *p = &paths[i];

		if (p->nseg == 1) {
			long at = find_last(f->old, f->nold, &p->seg[0]);
			long have = find_last(f->m, f->n, &p->seg[0]);

			if (at < 0)
				continue;
			if (have >= 0)
				f->m[have].val = f->old[at].val;
			else
				push(f, f->old[at].key, f->old[at].val);
		} else {
			struct span v = lookup(f->old, f->nold, p);

			if (v.p && fields_set(f, p, v) < 0)
				return -1;
		}
	}
	f->changed = changed || !same_as_old(f);
	return 0;
}

static int nonempty_object(struct span v)
{
	struct scan_iter it;
	struct span k, e;

	if (scan_kind(v) != SCAN_OBJECT)
		return 0;
	scan_iter_init(&it, v);
	return scan_iter_next(&it, &k, &e);
}

static void flatten(struct fields *f, struct span prefix, struct span sep, struct span obj)
{
	struct scan_iter it;
	struct span k, v;

	scan_iter_init(&it, obj);
	while (scan_iter_next(&it, &k, &v)) {
		char *key = arena_alloc(&f->arena, prefix.n + sep.n + k.n + 1);
		struct span nk = {key, prefix.n + sep.n + k.n};

		memcpy(key, prefix.p, prefix.n);
		memcpy(key + prefix.n, sep.p, sep.n);
		memcpy(key + prefix.n + sep.n, k.p, k.n);
		if (nonempty_object(v))
			flatten(f, nk, sep, v);
		else
			push(f, nk, v);
	}
}

void fields_flatten(struct fields *f, const char *sep, size_t seplen)
{
	struct span rawsep;
	size_t i;

	for (i = 0; i < f->n && !nonempty_object(f->m[i].val); i++)
		;
	if (i == f->n)
		return;
	rawsep = raw_key(f, sep, seplen);
	start_over(f);
	for (i = 0; i < f->nold; i++) {
		if (nonempty_object(f->old[i].val))
			flatten(f, f->old[i].key, rawsep, f->old[i].val);
		else
			push(f, f->old[i].key, f->old[i].val);
	}
	f->changed = 1;
}

/* The decoded form of a raw key: the key itself, or its unescaping in
 * f->key. */
static struct span decoded(struct fields *f, struct span raw)
{
	if (!memchr(raw.p, '\\', raw.n))
		return raw;
	buf_reset(&f->key);
	scan_unescape(&f->key, raw.p, raw.n);
	return (struct span){f->key.p, f->key.len};
}

static int has_sep(struct span k, const char *sep, size_t seplen)
{
	return seplen && memmem(k.p, k.n, sep, seplen) != NULL;
}

/* Split the decoded key k at every sep into f->segs; k must outlive the
 * path.  Returns the path. */
static struct path split_key(struct fields *f, struct span k, const char *sep, size_t seplen)
{
	struct path p = {f->segs, 0, NULL};
	const char *s = k.p, *end = k.p + k.n;

	for (;;) {
		const char *e = memmem(s, end - s, sep, seplen);

		if (!e)
			e = end;
		if (p.nseg == f->capsegs) {
			xgrow(&f->segs, &f->capsegs, p.nseg + 1, sizeof(*f->segs));
			p.seg = f->segs;
		}
		f->segs[p.nseg].s = (char *)s;
		f->segs[p.nseg].n = e - s;
		p.nseg++;
		if (e == end)
			break;
		s = e + seplen;
	}
	return p;
}

int fields_nest(struct fields *f, const char *sep, size_t seplen)
{
	size_t i, nmade = 0;

	for (i = 0; i < f->n && !has_sep(decoded(f, f->m[i].key), sep, seplen); i++)
		;
	if (i == f->n)
		return 0;
	start_over(f);
	for (i = 0; i < f->nold; i++) {
		struct span k = decoded(f, f->old[i].key);
		struct path p;
		size_t before = f->n;

		if (!has_sep(k, sep, seplen)) {
			for (size_t j = 0; j < nmade; j++) {
				if (span_eq(f->made[j], k)) {
					snprintf(f->err, sizeof(f->err),
						 "key \"%.*s\" is both a field and the parent of "
						 "nested keys",
						 (int)(k.n > 100 ? 100 : k.n), k.p);
					return -1;
				}
			}
			push(f, f->old[i].key, f->old[i].val);
			continue;
		}
		/* the path's segments must survive the key scratch buffer */
		if (k.p == f->key.p)
			k = keep(f, k.p, k.n);
		p = split_key(f, k, sep, seplen);
		if (fields_set(f, &p, f->old[i].val) < 0)
			return -1;
		if (f->n > before) {
			if (nmade == f->capmade)
				xgrow(&f->made, &f->capmade, nmade + 1, sizeof(*f->made));
			f->made[nmade++] = (struct span){p.seg[0].s, p.seg[0].n};
		}
	}
	f->changed = 1;
	return 0;
}

void fields_write(const struct fields *f, struct buf *out)
{
	size_t need = 2;
	char *p;

	for (size_t i = 0; i < f->n; i++)
		need += f->m[i].key.n + f->m[i].val.n + 4;
	/* one size check, then plain copies: this runs for every record */
	buf_grow(out, need);
	p = out->p + out->len;
	*p++ = '{';
	for (size_t i = 0; i < f->n; i++) {
		const struct fields_member *m = &f->m[i];

		if (i)
			*p++ = ',';
		*p++ = '"';
		memcpy(p, m->key.p, m->key.n);
		p += m->key.n;
		*p++ = '"';
		*p++ = ':';
		memcpy(p, m->val.p, m->val.n);
		p += m->val.n;
	}
	*p++ = '}';
	*p = '\0';
	out->len = p - out->p;
}
