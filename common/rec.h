/*
 * rec.h - whole records as jansson trees, for programs that build or change
 * records and need their structure.
 *
 * jansson's own parser turns numbers into doubles or int64 (and rejects
 * integers beyond 64 bits), which would alter data; so records are built by
 * this module from validated text, and numbers are held as "raw numbers":
 * jansson strings whose first byte is 0xFF (a byte valid UTF-8 never holds)
 * followed by the number's text exactly as written.  rec_write() prints them
 * back unchanged; rec_is_number() tells them from real strings.  Never give
 * such a tree to json_dumps(): use rec_write().  Key order is preserved.
 */
#ifndef ETL_REC_H
#define ETL_REC_H

#include <jansson.h>

#include "buf.h"
#include "scan.h"

/* Build a tree from a validated JSON value (usually a record's line).
 * Returns a new reference. */
json_t *rec_parse(struct span v);
/* A new raw number holding text (which must be a valid JSON number). */
json_t *rec_number(const char *text, size_t n);
int rec_is_number(const json_t *v);
/* The number's text (without the marker byte). */
struct span rec_number_text(const json_t *v);
/* Append v as compact JSON. */
void rec_write(struct buf *b, const json_t *v);

#endif
