/*
 * jsonw.h - writing JSON text into a buf: strings escaped per RFC 8259,
 * numbers from decimals and doubles, validated values re-spaced.  Output is
 * always valid JSON; the caller guarantees that string bytes are valid UTF-8
 * (utf8_valid()) and that a value given to jw_compact() was validated.
 */
#ifndef ETL_JSONW_H
#define ETL_JSONW_H

#include <stddef.h>

#include "buf.h"
#include "decimal.h"

/* Append "s" as a JSON string: quotes, backslashes and control characters
 * escaped ("\n", "\u001f"), everything else as it is. */
void jw_string(struct buf *b, const char *s, size_t n);
/* Append a double in shortest round-trip form, or null when not finite. */
void jw_double(struct buf *b, double v);
void jw_decimal(struct buf *b, const dec_t *d);
/* Append the validated JSON value [s, s+n) without the white space between
 * its tokens; strings and numbers keep their bytes ("\u00e9" stays escaped,
 * 1.50 stays 1.50). */
void jw_compact(struct buf *b, const char *s, size_t n);

#endif
