/*
 * hex.h - hexadecimal digits, read in one place: the scanner's and the
 * expression lexer's \uXXXX escapes, PostgreSQL's bytea and array text.
 *
 * Inline, because the scanner calls it for every escape it validates.
 * hex_4() stops at the first byte that is not a digit, so on text that ends
 * in a '\0' sentinel it never reads past the sentinel.
 */
#ifndef ETL_HEX_H
#define ETL_HEX_H

/* The value of the hex digit c (either case), or -1. */
static inline int hex_val(unsigned c)
{
	if (c - '0' < 10)
		return (int)(c - '0');
	c |= 0x20;
	if (c - 'a' < 6)
		return (int)(c - 'a' + 10);
	return -1;
}

/* The value of the four hex digits at p, or -1 when one is not a digit. */
static inline long hex_4(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	int a, b, c, d;

	if ((a = hex_val(u[0])) < 0 || (b = hex_val(u[1])) < 0 || (c = hex_val(u[2])) < 0 ||
	    (d = hex_val(u[3])) < 0)
		return -1;
	return (long)a << 12 | b << 8 | c << 4 | d;
}

#endif
