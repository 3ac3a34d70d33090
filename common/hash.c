/*
 * hash.c - canonical forms of keys, their hashes, an exact order of raw
 * values, and a table of hashes (hash.h).
 *
 * Canonical text.  The builder writes into one reused buffer, so a key costs
 * no allocation once the buffers have grown.  The common cases cost a copy:
 * an integer of up to 38 digits is its own canonical text (JSON allows no
 * leading zeros; only "-0" becomes "0"), and so is a string without a
 * backslash (it holds no byte that needs escaping).  Other numbers go
 * through dec_parse() and dec_normalize(); dec_parse() succeeds exactly when
 * the value fits the decimal type, whatever its spelling, so the choice
 * between the plain and the exponent form depends on the value alone.  The
 * exponent form is computed on the text, with exact decimal arithmetic on
 * the exponent however many digits it has.  An object's members are written
 * one after another, then sorted by key and copied in order behind them, and
 * the result is moved back into place; nested objects keep their members on
 * the same stack (c->mem), above their parent's.
 *
 * Table.  Slots are [lo, hi, value...]; the slot index is lo masked by the
 * capacity (a power of two), and the hash is uniform, so linear probing
 * stays short at load 7/10.  Growth reallocates to twice the size (for large
 * tables glibc moves the pages with mremap rather than copying them, so old
 * and new never coexist) and rehashes in place: every entry is taken out in
 * turn and put at the first slot of its new probe sequence that is empty or
 * holds an entry not yet moved, which is then moved next.  A bitmap marks
 * the moved entries.  Every slot a moved entry skipped holds a moved entry,
 * and moved entries stay put, so the probing invariant holds at the end.
 */
#include "hash.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "decimal.h"
#include "expr.h"
#include "jsonw.h"
#include "mem.h"
#include "banned.h"

struct hash128 hash_bytes(const void *p, size_t n)
{
	XXH128_hash_t h = XXH3_128bits(p, n);
	struct hash128 r = {h.low64, h.high64};

	return r;
}

/* ---- canonical text ---- */

struct hash_canon_member {
	size_t off, klen, len, ord; /* in c->text: "key" at off (klen bytes), ':value' after */
	uint64_t pre; /* the key's first 8 bytes, big-endian: most compares end here */
};

void hash_canon_init(struct hash_canon *c, int exact)
{
	memset(c, 0, sizeof(*c));
	c->exact = exact;
	buf_init(&c->text);
	buf_init(&c->tmp);
	c->order = (struct arena)ARENA_INIT;
}

void hash_canon_release(struct hash_canon *c)
{
	buf_release(&c->text);
	buf_release(&c->tmp);
	arena_release(&c->order);
	free(c->mem);
	c->mem = NULL;
	c->nmem = c->capmem = 0;
}

void hash_canon_reset(struct hash_canon *c)
{
	buf_reset(&c->text);
	c->nvals = 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Append the decimal text of E + adj, E being the exponent of m (its digits
 * may be arbitrarily many).  |adj| is below the length of the number's text. */
static void exp_add(struct buf *b, const struct dec_text *m, int64_t adj)
{
	size_t d0, end, i;
	uint64_t r;
	unsigned c = 0;

	if (m->ne <= 18) {
		int64_t v = 0;

		for (i = 0; i < m->ne; i++)
			v = v * 10 + (m->ep[i] - '0');
		buf_printf(b, "%lld", (long long)((m->eneg ? -v : v) + adj));
		return;
	}
	/* |E| >= 10^18 > |adj|: the sign is E's; the magnitude grows when adj
	 * has E's sign and shrinks otherwise, digit by digit. */
	if (m->eneg)
		buf_addc(b, '-');
	d0 = b->len;
	buf_addc(b, '0'); /* room for a carry */
	buf_add(b, m->ep, m->ne);
	end = b->len;
	r = adj >= 0 ? (uint64_t)adj : -(uint64_t)adj;
	if ((adj >= 0) != m->eneg) {
		for (i = end; i-- > d0 && (r || c);) {
			unsigned x = (unsigned)(b->p[i] - '0') + (unsigned)(r % 10) + c;

			r /= 10;
			c = x >= 10;
			b->p[i] = (char)('0' + x % 10);
		}
	} else {
		for (i = end; i-- > d0 && (r || c);) {
			int x = (b->p[i] - '0') - (int)(r % 10) - (int)c;

			r /= 10;
			c = x < 0;
			b->p[i] = (char)('0' + (x + 10) % 10);
		}
	}
	for (i = d0; i + 1 < end && b->p[i] == '0'; i++)
		;
	memmove(b->p + d0, b->p + i, end - i);
	b->len = d0 + (end - i);
	b->p[b->len] = '\0';
}

static void canon_number(struct hash_canon *c, struct span v)
{
	struct buf *t = &c->text;
	size_t i = v.p[0] == '-', k = i;
	char tmp[DEC_BUFSZ];
	struct dec_text m;
	dec_t d;

	while (k < v.n && is_digit(v.p[k]))
		k++;
	if (k == v.n && k - i <= DEC_MAX_DIGITS) {
		if (i && v.n == 2 && v.p[1] == '0')
			buf_addc(t, '0'); /* "-0" */
		else
			buf_add(t, v.p, v.n);
		return;
	}
	if (dec_parse(&d, v.p, v.n) == DEC_OK) {
		dec_normalize(&d);
		buf_add(t, tmp, dec_format(&d, tmp));
		return;
	}
	/* Beyond the decimal type, so not zero: d.ddd...e<exponent>. */
	dec_text_parse(&m, v.p, v.n);
	if (m.neg)
		buf_addc(t, '-');
	buf_addc(t, dec_text_digit(&m, m.z));
	if (m.last > m.z) {
		buf_addc(t, '.');
		for (size_t j = m.z + 1; j <= m.last; j++)
			buf_addc(t, dec_text_digit(&m, j));
	}
	buf_addc(t, 'e');
	exp_add(t, &m, (int64_t)m.nint - (int64_t)m.z - 1);
}

/* The content of a string (between its quotes, still escaped). */
static void canon_string(struct hash_canon *c, const char *p, size_t n)
{
	if (!memchr(p, '\\', n)) {
		buf_grow(&c->text, n + 2);
		buf_addc(&c->text, '"');
		buf_add(&c->text, p, n);
		buf_addc(&c->text, '"');
		return;
	}
	buf_reset(&c->tmp);
	scan_unescape(&c->tmp, p, n);
	jw_string(&c->text, c->tmp.p, c->tmp.len);
}

static void canon_value(struct hash_canon *c, struct span v);

static void canon_array(struct hash_canon *c, struct span v)
{
	struct scan_iter it;
	struct span k, e;
	int first = 1;

	buf_addc(&c->text, '[');
	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &k, &e)) {
		if (!first)
			buf_addc(&c->text, ',');
		first = 0;
		canon_value(c, e);
	}
	buf_addc(&c->text, ']');
}

/* Up to 8 bytes as a big-endian number, zero-padded: comparing two of them
 * orders as comparing the bytes, and "a" < "a\0" only ever ties. */
static uint64_t prefix(const char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8; i++)
		v = v << 8 | (i < n ? (unsigned char)p[i] : 0);
	return v;
}

/* Members by key bytes (without the quotes), then by position. */
static int member_cmp(const void *pa, const void *pb, void *arg)
{
	const struct hash_canon_member *a = pa, *b = pb;
	const char *base = arg;
	size_t na = a->klen - 2, nb = b->klen - 2;
	int r;

	if (a->pre != b->pre)
		return a->pre < b->pre ? -1 : 1;
	r = memcmp(base + a->off + 1, base + b->off + 1, na < nb ? na : nb);
	if (r)
		return r;
	if (na != nb)
		return na < nb ? -1 : 1;
	return a->ord < b->ord ? -1 : a->ord > b->ord;
}

static int same_key(const char *base, const struct hash_canon_member *a,
		    const struct hash_canon_member *b)
{
	return a->klen == b->klen && memcmp(base + a->off, base + b->off, a->klen) == 0;
}

static void sort_members(struct hash_canon_member *m, size_t n, const char *base)
{
	if (n > 24) {
		qsort_r(m, n, sizeof(*m), member_cmp, (void *)base);
		return;
	}
	/* records have a dozen keys or so: insertion sort beats qsort there */
	for (size_t i = 1; i < n; i++) {
		struct hash_canon_member x = m[i];
		size_t j = i;

		while (j > 0 && member_cmp(&m[j - 1], &x, (void *)base) > 0) {
			m[j] = m[j - 1];
			j--;
		}
		m[j] = x;
	}
}

static void canon_object(struct hash_canon *c, struct span v)
{
	struct buf *t = &c->text;
	struct scan_iter it;
	struct span k, e;
	size_t start = t->len, base = c->nmem, ord = 0, n, mid;
	struct hash_canon_member *m;

	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &k, &e)) {
		size_t i = c->nmem++;

		xgrow(&c->mem, &c->capmem, c->nmem, sizeof(*c->mem));
		c->mem[i].off = t->len;
		c->mem[i].ord = ord++;
		canon_string(c, k.p, k.n);
		c->mem[i].klen = t->len - c->mem[i].off;
		c->mem[i].pre = prefix(t->p + c->mem[i].off + 1, c->mem[i].klen - 2);
		buf_addc(t, ':');
		canon_value(c, e);
		c->mem[i].len = t->len - c->mem[i].off;
	}
	n = c->nmem - base;
	m = c->mem + base;
	sort_members(m, n, t->p);
	/* Write the sorted object behind the members, then move it into place.
	 * The room is made first, so copying from the buffer into itself is
	 * safe. */
	mid = t->len;
	buf_grow(t, (mid - start) + n + 2);
	buf_addc(t, '{');
	for (size_t i = 0, first = 1; i < n; i++) {
		if (i + 1 < n && same_key(t->p, &m[i], &m[i + 1]))
			continue; /* a repeated key: the last one counts */
		if (!first)
			buf_addc(t, ',');
		first = 0;
		buf_add(t, t->p + m[i].off, m[i].len);
	}
	buf_addc(t, '}');
	memmove(t->p + start, t->p + mid, t->len - mid);
	t->len = start + (t->len - mid);
	t->p[t->len] = '\0';
	c->nmem = base;
}

static void canon_value(struct hash_canon *c, struct span v)
{
	switch (v.p[0]) {
	case '"':
		canon_string(c, v.p + 1, v.n - 2);
		break;
	case '{':
		canon_object(c, v);
		break;
	case '[':
		canon_array(c, v);
		break;
	case 't':
	case 'f':
	case 'n':
		buf_add(&c->text, v.p, v.n);
		break;
	default:
		canon_number(c, v);
		break;
	}
}

void hash_canon_add(struct hash_canon *c, struct span v)
{
	if (c->nvals++)
		buf_addc(&c->text, ',');
	if (v.p && c->exact) {
		buf_add(&c->text, v.p, v.n);
		return;
	}
	if (v.p)
		v = scan_trim(v);
	if (!v.p || !v.n)
		buf_add(&c->text, "null", 4);
	else
		canon_value(c, v);
}

struct hash128 hash_canon_sum(const struct hash_canon *c)
{
	return hash_bytes(c->text.p ? c->text.p : "", c->text.len);
}

/* ---- order ---- */

int hash_value_cmp(struct hash_canon *c, struct span a, struct span b)
{
	struct val x, y;

	arena_reset(&c->order);
	val_from_json(&x, a, &c->order);
	val_from_json(&y, b, &c->order);
	return val_cmp(&x, &y);
}

/* ---- the table ---- */

#define MIN_CAP 64
#define MAX_VSIZE 48

static inline uint64_t *slot_at(const struct hash_table *t, size_t i)
{
	return (uint64_t *)(t->slots + i * t->stride);
}

static inline int slot_empty(const uint64_t *s)
{
	return !s[0] && !s[1];
}

static inline struct hash128 not_zero(struct hash128 h)
{
	if (!h.lo && !h.hi)
		h.lo = 1;
	return h;
}

void hash_table_init(struct hash_table *t, size_t vsize)
{
	if (vsize % 8 || vsize > MAX_VSIZE)
		abort(); /* a programming error, not a run-time condition */
	t->slots = NULL;
	t->cap = t->count = 0;
	t->stride = 16 + vsize;
}

void hash_table_release(struct hash_table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->count = 0;
}

size_t hash_table_bytes(const struct hash_table *t)
{
	return t->cap * t->stride;
}

static void grow(struct hash_table *t)
{
	size_t old = t->cap, cap = old ? old * 2 : MIN_CAP, mask = cap - 1;
	uint64_t cur[(16 + MAX_VSIZE) / 8], tmp[(16 + MAX_VSIZE) / 8];
	uint64_t *moved;

	if (cap > SIZE_MAX / 2 / t->stride)
		xmalloc(SIZE_MAX); /* reports the exhaustion and dies */
	t->slots = xrealloc(t->slots, cap * t->stride);
	memset(t->slots + old * t->stride, 0, (cap - old) * t->stride);
	t->cap = cap;
	if (!old)
		return;
	moved = xcalloc((cap + 63) / 64, sizeof(*moved));
	for (size_t i = 0; i < old; i++) {
		if (moved[i / 64] >> (i % 64) & 1 || slot_empty(slot_at(t, i)))
			continue;
		memcpy(cur, slot_at(t, i), t->stride);
		memset(slot_at(t, i), 0, t->stride);
		for (;;) {
			size_t j = cur[0] & mask;
			uint64_t *s;

			while (moved[j / 64] >> (j % 64) & 1)
				j = (j + 1) & mask;
			moved[j / 64] |= (uint64_t)1 << (j % 64);
			s = slot_at(t, j);
			if (slot_empty(s)) {
				memcpy(s, cur, t->stride);
				break;
			}
			/* an entry not moved yet: take its place, move it next */
			memcpy(tmp, s, t->stride);
			memcpy(s, cur, t->stride);
			memcpy(cur, tmp, t->stride);
		}
	}
	free(moved);
}

void hash_table_reserve(struct hash_table *t, size_t n)
{
	if (n > SIZE_MAX / 10)
		xmalloc(SIZE_MAX); /* reports the exhaustion and dies */
	/* the bound that hash_table_put() keeps */
	while (n * 10 > t->cap * 7)
		grow(t);
}

/* The slot of h, or the empty slot where it would go. */
static inline uint64_t *find(const struct hash_table *t, struct hash128 h)
{
	size_t mask = t->cap - 1, i = h.lo & mask;

	for (;;) {
		uint64_t *s = slot_at(t, i);

		if ((s[0] == h.lo && s[1] == h.hi) || slot_empty(s))
			return s;
		i = (i + 1) & mask;
	}
}

void *hash_table_put(struct hash_table *t, struct hash128 h, int *added)
{
	uint64_t *s;

	h = not_zero(h);
	if ((t->count + 1) * 10 > t->cap * 7)
		grow(t);
	s = find(t, h);
	*added = slot_empty(s);
	if (*added) {
		s[0] = h.lo;
		s[1] = h.hi;
		t->count++;
	}
	return s + 2;
}

void *hash_table_get(const struct hash_table *t, struct hash128 h)
{
	uint64_t *s;

	if (!t->cap)
		return NULL;
	s = find(t, not_zero(h));
	return slot_empty(s) ? NULL : s + 2;
}

int hash_table_del(struct hash_table *t, struct hash128 h)
{
	size_t mask, i, j;
	uint64_t *s;

	if (!t->cap)
		return 0;
	s = find(t, not_zero(h));
	if (slot_empty(s))
		return 0;
	mask = t->cap - 1;
	i = j = ((unsigned char *)s - t->slots) / t->stride;
	/* Shift back every following entry of the run that may move: one whose
	 * home slot is not cyclically within (i, j]. */
	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		s = slot_at(t, j);
		if (slot_empty(s))
			break;
		k = s[0] & mask;
		if (j > i ? (k <= i || k > j) : (k <= i && k > j)) {
			memcpy(slot_at(t, i), s, t->stride);
			i = j;
		}
	}
	memset(slot_at(t, i), 0, t->stride);
	t->count--;
	return 1;
}
