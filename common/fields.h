/*
 * fields.h - editing a record's fields while keeping the text nobody touched.
 *
 * A record is held as the ordered list of its top-level members, each a raw
 * key (the bytes between the quotes, still escaped) and a raw value (JSON
 * text).  Both are views: into the input line for members as read, into the
 * record's own arena for keys and values an edit made.  Writing the record
 * back prints every member as "key":value with its own bytes, so untouched
 * numbers, strings and nested objects keep their exact text and their
 * order; only the white space between top-level members is normalised
 * ({"k":v,...}).  An edit inside a nested object rebuilds the text of that
 * top-level member only, compactly, keeping the text of its own untouched
 * members.
 *
 * Duplicate keys: as in scan.h, the last occurrence of a key is its value.
 * An edit of such a key (set, delete, rename) leaves exactly one member,
 * where the last occurrence was.
 *
 * Memory: nothing here allocates once the arrays, buffers and the arena have
 * grown to the largest record; fields_load() forgets the previous record.
 * A span handed out by fields_get() stays valid until the next fields_load().
 */
#ifndef ETL_FIELDS_H
#define ETL_FIELDS_H

#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "path.h"
#include "scan.h"

struct fields_member {
	struct span key; /* raw, escaped, without the quotes */
	struct span val; /* raw JSON value */
};

struct fields {
	struct fields_member *m; /* the members, in order */
	size_t n, cap;
	struct fields_member *old; /* the previous list, during select and nest */
	size_t nold, capold;
	struct span *made; /* nest: the decoded keys of the members it created */
	size_t capmade;
	struct path_seg *segs; /* nest: the path a key splits into */
	size_t capsegs;
	int changed;         /* an edit changed the record's text */
	struct arena arena;  /* text made by edits, for the current record */
	struct buf tmp, key; /* scratch for rebuilt objects and keys */
	char err[256];
};

void fields_init(struct fields *f);
void fields_release(struct fields *f);

/* Start on a new record: line must be a validated JSON object (scan_record)
 * and stay unchanged until the next fields_load(). */
void fields_load(struct fields *f, struct span line);

/* Did any edit change the record since fields_load()?  When not, the input
 * line itself is the output, byte for byte.  An edit that writes the text a
 * field already holds is no change. */
static inline int fields_changed(const struct fields *f)
{
	return f->changed;
}

/* The raw value at path p, or an empty span (p == NULL) when it is missing
 * or a parent on the way is not an object. */
struct span fields_get(const struct fields *f, const struct path *p);

/* Set the value at p to the JSON text val (copied).  An existing member keeps
 * its position; a new one goes at the end of its object; missing or null
 * parents become objects.  Returns 0, or -1 when a parent is not an object
 * or the record would nest deeper than SCAN_MAX_DEPTH levels, which no
 * reader accepts (fields_error() says which). */
int fields_set(struct fields *f, const struct path *p, struct span val);
/* Remove the field at p (every occurrence of its key); nothing when missing. */
void fields_delete(struct fields *f, const struct path *p);
/* Move the field at from to the path to.  Within one object the member keeps
 * its position and a member already named to is replaced (Miller's rename);
 * to another object it is deleted and set there, at the end.  Nothing when
 * from is missing.  Returns 0, or -1 as fields_set(). */
int fields_rename(struct fields *f, const struct path *from, const struct path *to);
/* Keep only the fields at paths, in the order given (missing ones are left
 * out; nested paths keep their parents).  Returns 0, or -1 as fields_set(). */
int fields_select(struct fields *f, const struct path *paths, size_t n);

/* Replace every top-level object member by its leaves, keys joined with sep:
 * {"a":{"b":1,"c":{}}} -> {"a.b":1,"a.c":{}}.  Empty objects and arrays are
 * leaves.  Keys keep their raw text. */
void fields_flatten(struct fields *f, const char *sep, size_t seplen);
/* The reverse: a top-level key holding sep becomes a nested path, split at
 * every sep.  Returns 0, or -1 when a key is both a plain member and a
 * nested one's parent, a parent holds a non-object, or the record would
 * nest too deep. */
int fields_nest(struct fields *f, const char *sep, size_t seplen);

/* Append the record as JSON text (compact between top-level members). */
void fields_write(const struct fields *f, struct buf *out);

/* The message of the last failed edit. */
static inline const char *fields_error(const struct fields *f)
{
	return f->err;
}

#endif
