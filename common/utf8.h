/*
 * utf8.h - UTF-8 validation (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF), encoding, and the cutting and counting of text
 * for messages and string functions.
 */
#ifndef ETL_UTF8_H
#define ETL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 prefix of [p, p+n): == n when all is valid. */
size_t utf8_valid_prefix(const char *p, size_t n);
static inline int utf8_valid(const char *p, size_t n)
{
	return utf8_valid_prefix(p, n) == n;
}
/* Validate one sequence starting at p (p[0] >= 0x80): its length, or 0. */
size_t utf8_seq(const unsigned char *p, const unsigned char *end);
/* Encode code point c (valid scalar value) into out; returns 1..4. */
size_t utf8_encode(uint32_t c, char *out);
/* The length of the longest prefix of [p, p+n) of at most max bytes that
 * does not split a UTF-8 sequence: n when n <= max.  Of valid UTF-8, the
 * prefix is valid UTF-8; of anything else it backs off at most 3 bytes. */
size_t utf8_cut(const char *p, size_t n, size_t max);
/* The number of code points of valid UTF-8 [p, p+n): its bytes that are
 * not continuation bytes. */
size_t utf8_count(const char *p, size_t n);

/* The columns valid UTF-8 [p, p+n) takes on a terminal: 0 for combining
 * marks, zero-width characters and variation selectors, 2 for East Asian
 * wide and full-width characters and emoji, 1 for the others (control
 * characters included: utf8_cell() makes them spaces). */
size_t utf8_width(const char *p, size_t n);
/* Append [p, p+n) to b as a table cell: control characters as spaces, cut
 * to at most max columns (0: no limit), the last of them an ellipsis when
 * cut.  Returns the cell's width in columns. */
struct buf;
size_t utf8_cell(struct buf *b, const char *p, size_t n, size_t max);

#endif
