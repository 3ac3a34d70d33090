/*
 * template.h - text with "{path}" placeholders filled from a record.
 *
 * A placeholder is "{" a field path "}" (letters, digits, '_', '.', '-');
 * any other brace is literal text.  A string value is put in decoded, a
 * number or a boolean as written; a missing, null, array or object value is
 * an error, reported to the caller, so that a record that cannot fill its
 * template is a bad record and not a request or a message keyed "".
 */
#ifndef ETL_TEMPLATE_H
#define ETL_TEMPLATE_H

#include "buf.h"
#include "scan.h"

/* Append tpl with each {path} replaced by rec's value there: percent-encoded
 * (how 'u'), as it is (how 'r'), or escaped for a JSON string without its
 * quotes (how 'j').  0, or -1 with a message appended to err. */
int template_expand(struct buf *dst, const char *tpl, struct span rec, int how, struct buf *err);

#endif
