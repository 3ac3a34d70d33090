/*
 * scan.h - the validating JSON scanner: the toolkit's fast path.
 *
 * scan_record() checks that a line is exactly one JSON object, strictly as
 * RFC 8259 says (UTF-8 validated, no trailing commas, no leading zeros, no
 * lone surrogate escapes, nesting up to SCAN_MAX_DEPTH), and in the same pass
 * hands back the raw text of the fields the program asked for, as spans into
 * the line.  Nothing is copied, decoded or allocated: a pass-through program
 * writes the line's own bytes, and decodes only the few values it looks at.
 *
 * Lookups: a key that occurs twice in one object yields its last value (as
 * jq and jansson do).  A wanted path whose value is missing, or whose parent
 * is not an object, gives an empty span (p == NULL).
 *
 * The functions after scan_record() work on text that was already validated.
 */
#ifndef ETL_SCAN_H
#define ETL_SCAN_H

#include <stddef.h>

#include "path.h"

/* The deepest nesting a record may have: the record's own object is level
 * 1, an object or array inside it level 2...  The scanner refuses a deeper
 * record, so every writer refuses to make one (fields_set()). */
#define SCAN_MAX_DEPTH 1024

/* A slice of the input: p == NULL means absent. */
struct span {
	const char *p;
	size_t n;
};

struct scan_err {
	size_t off;      /* 0-based byte offset in the line */
	const char *msg; /* static text, e.g. "expected ',' or '}'" */
	int syntax;      /* 1: the text breaks JSON's grammar; 0: it is not text
			  * (a NUL byte, invalid UTF-8) or not an object */
};

/* The set of paths a program wants from each record, compiled once.  It
 * also learns, record after record, the order in which the keys it looks
 * for come, to try the likely one first: one thread uses it at a time. */
struct scan_want;
struct scan_want *scan_want_new(const struct path *paths, size_t n);
void scan_want_free(struct scan_want *w);

/* Validate [p, p+n) as one JSON object (surrounding whitespace allowed) and,
 * if w != NULL, fill vals[i] with the raw value text of w's i-th path.
 * p[n] must be readable and hold '\0': the sentinel spares a bounds check
 * per byte (the reader provides it).  Returns 0, or -1 with *err set. */
int scan_record(const char *p, size_t n, const struct scan_want *w, struct span *vals,
		struct scan_err *err);
/* Validate [p, p+n) as exactly one JSON value of any kind; p[n] == '\0'. */
int scan_value(const char *p, size_t n, struct scan_err *err);

/* v without the JSON white space around it (a validated value may carry
 * it: a whole line, a member's value as the iterator returns it). */
struct span scan_trim(struct span v);
/* The kind of a raw value, from its first byte. */
enum scan_kind {
	SCAN_NONE, /* absent */
	SCAN_NULL,
	SCAN_FALSE,
	SCAN_TRUE,
	SCAN_NUMBER,
	SCAN_STRING,
	SCAN_ARRAY,
	SCAN_OBJECT
};
enum scan_kind scan_kind(struct span v);
/* The same for a value already trimmed (or absent: NULL or empty), without
 * the trimming: for hot loops over validated values. */
static inline enum scan_kind scan_kind_trimmed(struct span v)
{
	if (!v.p || !v.n)
		return SCAN_NONE;
	switch (v.p[0]) {
	case 'n':
		return SCAN_NULL;
	case 'f':
		return SCAN_FALSE;
	case 't':
		return SCAN_TRUE;
	case '"':
		return SCAN_STRING;
	case '[':
		return SCAN_ARRAY;
	case '{':
		return SCAN_OBJECT;
	default:
		return SCAN_NUMBER;
	}
}
/* The nesting levels of a validated value: 0 for a scalar, 1 for an array or
 * object of scalars, and so on. */
size_t scan_depth(struct span v);

/* Iterate the members (or elements) of a validated object (or array). */
struct scan_iter {
	const char *p, *end;
};
/* v must be a validated object or array span. */
void scan_iter_init(struct scan_iter *it, struct span v);
/* Next member: key is the raw key between its quotes (still escaped), val the
 * raw value.  For arrays key is empty.  Returns 0 at the end. */
int scan_iter_next(struct scan_iter *it, struct span *key, struct span *val);
/* The number of members (elements) of a validated object (array). */
size_t scan_count(struct span v);

/* Does the raw (escaped) key equal the decoded bytes s[0..n)? */
int scan_key_eq(struct span rawkey, const char *s, size_t n);
/* Decode a validated string's content (without its quotes, still escaped)
 * into out (appending).  Returns the decoded length appended. */
struct buf;
size_t scan_unescape(struct buf *out, const char *p, size_t n);
/* The same into out, which has room for n bytes (the decoded form is never
 * longer): returns the decoded length; no NUL is added. */
size_t scan_unescape_to(char *out, const char *p, size_t n);
/* Decode a validated string value (with quotes) into out, appending. */
size_t scan_string(struct buf *out, struct span v);
/* Find a path inside a validated value (an object); empty span if absent. */
struct span scan_lookup(struct span obj, const struct path *path);

#endif
