/*
 * sortkey.h - sort keys as byte strings: JSON values encoded so that
 * comparing two encodings with memcmp() gives the values' order.
 *
 * The order is hash_value_cmp()'s (and so val_cmp()'s on values read from
 * a record): null < false < true < numbers (by exact value, whatever their
 * text or size: 1e2 == 100 == 100.0) < strings (bytewise, decoded) <
 * arrays and objects (bytewise, by their text as written).  Each value's
 * encoding is prefix-free (none is the start of another), so the encodings
 * of several fields appended one after another compare field by field, and
 * a field's bytes inverted compare in the reverse order.  Where null goes
 * is a flag of its own: before or after every other value of its field,
 * whatever the direction.
 *
 * Equal encodings are equal values for the order: 1 and 1.0, "a" and
 * "\u0061"; objects and arrays are equal only when written alike.
 */
#ifndef ETL_SORTKEY_H
#define ETL_SORTKEY_H

#include <stddef.h>

#include "buf.h"
#include "scan.h"

enum {
	SORTKEY_DESC = 1,        /* the field in descending order */
	SORTKEY_NULLS_FIRST = 2, /* null (and missing) before every value, not after */
};

/* Append the encoding of one validated raw value (white space around it
 * allowed; v.p == NULL is missing, the same as null). */
void sortkey_add(struct buf *b, struct span v, unsigned flags);

/* Compare two whole keys: memcmp() order, a key that is the start of the
 * other first. */
int sortkey_cmp(const void *a, size_t na, const void *b, size_t nb);

#endif
