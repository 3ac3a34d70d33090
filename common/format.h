/*
 * format.h - the string formats of JSON Schema's format keyword: dates and
 * times of RFC 3339, durations, e-mail addresses, host names, IP
 * addresses, URIs and IRIs, UUIDs, regular expressions, JSON pointers.
 */
#ifndef ETL_FORMAT_H
#define ETL_FORMAT_H

#include <stddef.h>

/* Is the text [p, p+n) (decoded, may hold NUL bytes) valid for format name?
 * 1 valid, 0 not, -1 the format is unknown (every text passes). */
int format_check(const char *name, const char *p, size_t n);

/* The ECMA-262 regular expression src (what pattern and the regex format
 * hold) as PCRE2 source: \s and \S stand for ECMA-262's white space.
 * Appends to out. */
struct buf;
void format_ecma_regex(struct buf *out, const char *src, size_t n);

#endif
