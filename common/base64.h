/*
 * base64.h - RFC 4648 base64 (standard alphabet, '=' padding), for bytes
 * that JSON strings cannot hold: bytea columns and rejected lines that are
 * not valid UTF-8.
 */
#ifndef ETL_BASE64_H
#define ETL_BASE64_H

#include <stddef.h>

#include "buf.h"

/* Append the base64 text of [p, p+n) to b. */
void b64_encode(struct buf *b, const void *p, size_t n);
/* Append the bytes that base64 text [s, s+n) encodes; 0, or -1 (and b
 * unchanged) when s is not canonical padded base64. */
int b64_decode(struct buf *b, const char *s, size_t n);

#endif
