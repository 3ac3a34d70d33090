/*
 * hash.h - keys: canonical forms of JSON values, their 128-bit hashes, an
 * exact order of raw values, and a table of hashes.
 *
 * Two values are the same key when they are the same JSON value, whatever
 * their spelling: numbers by exact value (1 == 1.0 == 1.00 == 1e0, at any
 * size), strings by decoded content ("\u0061" == "a"), objects whatever the
 * order of their keys, arrays in order.  A number and a string are never the
 * same key (1 != "1").  The canonical text makes that concrete; it is itself
 * compact JSON:
 *
 *   null, true, false      as they are
 *   numbers                plain decimal without trailing fractional zeros
 *                          ("100", "-0.5", "0") when the value fits the
 *                          decimal type (38 digits, 38 after the point);
 *                          beyond it, one digit, the rest after a point, and
 *                          an exponent ("1.5e40", "-1e-50")
 *   strings                quoted, escaped as jw_string() does
 *   arrays                 "[" canonical elements joined by "," "]"
 *   objects                "{" members "key":value sorted bytewise by their
 *                          canonical key, "," between them "}"; of a key
 *                          that occurs twice, the last value counts (as in
 *                          lookups)
 *
 * A key of several fields is their canonical texts joined by ","; a missing
 * field is null.  The hash is XXH3-128 of that text: two different keys
 * collide with probability 2^-128 per pair, about 10^-21 for any collision
 * among 10^9 distinct keys, so a key is remembered by its hash alone.
 */
#ifndef ETL_HASH_H
#define ETL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "scan.h"

struct hash128 {
	uint64_t lo, hi;
};

static inline int hash_eq(struct hash128 a, struct hash128 b)
{
	return a.lo == b.lo && a.hi == b.hi;
}

/* XXH3-128 of n bytes. */
struct hash128 hash_bytes(const void *p, size_t n);

/* The builder of one key's canonical text, reused from key to key so that
 * the hot loop does not allocate once its buffers have grown. */
struct hash_canon_member;
struct hash_canon {
	struct buf text; /* the key's text so far */
	int exact;       /* raw bytes instead of canonical forms */
	size_t nvals;    /* values added since the reset */
	/* scratch, private to hash.c */
	struct buf tmp;
	struct arena order; /* hash_value_cmp()'s decoded strings */
	struct hash_canon_member *mem;
	size_t nmem, capmem;
};

/* exact: hash_canon_add() appends the value's raw bytes as written. */
void hash_canon_init(struct hash_canon *c, int exact);
void hash_canon_release(struct hash_canon *c);
/* Start a new key. */
void hash_canon_reset(struct hash_canon *c);
/* Append one validated JSON value (surrounding white space allowed); an
 * absent value (v.p == NULL) is null. */
void hash_canon_add(struct hash_canon *c, struct span v);
/* The hash of the text built since the reset. */
struct hash128 hash_canon_sum(const struct hash_canon *c);

/* A total order of validated raw values: val_cmp() (expr.h) of the values
 * val_from_json() makes of them, so that there is one order: absent == null
 * < false < true < numbers (by exact value) < strings (bytewise, decoded) <
 * arrays and objects (bytewise, by their text as written). */
int hash_value_cmp(struct hash_canon *c, struct span a, struct span b);

/*
 * A set of 128-bit hashes, each with a value of vsize bytes (0, or a
 * multiple of 8), in one open-addressing table with linear probing: a slot
 * is the 16-byte hash followed by its value, nothing else.  The table grows
 * in place (doubling, realloc) and keeps its load at most 7/10, so a set
 * without values costs 23 to 46 bytes per hash.  Removal shifts the
 * following entries back, so there are no tombstones.  The all-zero hash
 * marks an empty slot and is stored as {1, 0} (one more collision of
 * probability 2^-128).  Value pointers are valid until the next put or del.
 */
struct hash_table {
	unsigned char *slots;
	size_t cap, count, stride;
};

void hash_table_init(struct hash_table *t, size_t vsize);
void hash_table_release(struct hash_table *t);
/* The value of h, inserting h (value zeroed) when absent; *added tells. */
void *hash_table_put(struct hash_table *t, struct hash128 h, int *added);
/* The value of h, or NULL when absent. */
void *hash_table_get(const struct hash_table *t, struct hash128 h);
/* Start loading h's slot into the cache: a caller that knows a key a little
 * before it needs the answer hides most of the cost of a large table. */
static inline void hash_table_prefetch(const struct hash_table *t, struct hash128 h)
{
	if (t->cap)
		__builtin_prefetch(t->slots + (h.lo & (t->cap - 1)) * t->stride);
}
/* Make room for n entries in all, so that puts up to that count never grow
 * the table.  A bulk insert reserves first: filled in an order that follows
 * another table's slots, a table that grows midway piles one pass's entries
 * onto the home slots of the last and its probe runs grow without bound. */
void hash_table_reserve(struct hash_table *t, size_t n);
/* Remove h; 1 if it was there. */
int hash_table_del(struct hash_table *t, struct hash128 h);
/* Bytes allocated, for tests and measurements. */
size_t hash_table_bytes(const struct hash_table *t);

#endif
