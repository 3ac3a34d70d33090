/*
 * hex.h - hexadecimal digits, read and written in one place: the scanner's
 * and the expression lexer's \uXXXX escapes, PostgreSQL's bytea and array
 * text, and the 64-bit hashes and counters that etl-agg saves in its
 * partial states and spill runs (16 lowercase digits each).
 *
 * Inline, because the scanner calls it for every escape it validates.
 * hex_4() stops at the first byte that is not a digit, so on text that ends
 * in a '\0' sentinel it never reads past the sentinel.
 */
#ifndef ETL_HEX_H
#define ETL_HEX_H

#include <stdint.h>
#include <string.h>

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

/* x as 16 lowercase hex digits at out (printf's %016llx without its cost:
 * a saved state may hold millions). */
static inline void hex_put64(char *out, uint64_t x)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--, x >>= 4)
		out[i] = digits[x & 15];
}

/* The value of 8 lowercase hex digits at p, read all at once, or -1 when
 * one is not [0-9a-f]. */
static inline int64_t hex_read32(const char *p)
{
	const uint64_t ones = 0x0101010101010101u, high = ones * 0x80;
	uint64_t x, digit, letter, v;

	memcpy(&x, p, 8);
	if (x & high)
		return -1;
	/* a byte's high bit is set when it is >= lo, by adding 0x80 - lo */
	digit = (x + ones * (0x80 - '0')) & ~(x + ones * (0x80 - '9' - 1));
	letter = (x + ones * (0x80 - 'a')) & ~(x + ones * (0x80 - 'f' - 1));
	if (((digit | letter) & high) != high)
		return -1;
	/* '0'-'9' are 0x30-0x39, 'a'-'f' 0x61-0x66: the low nibble, plus 9
	 * for a letter; then the first digit (the lowest byte) goes highest */
	v = (x & ones * 0x0f) + ((x >> 6) & ones) * 9;
	v = ((v << 4) | (v >> 8)) & 0x00ff00ff00ff00ffu;
	v = ((v << 8) | (v >> 16)) & 0x0000ffff0000ffffu;
	v = ((v << 16) | (v >> 32)) & 0xffffffffu;
	return (int64_t)v;
}

/* The value of the 16 lowercase hex digits at p into *x: 0, or -1 when one
 * is not [0-9a-f]. */
static inline int hex_read64(const char *p, uint64_t *x)
{
	int64_t hi = hex_read32(p), lo = hex_read32(p + 8);

	if (hi < 0 || lo < 0)
		return -1;
	*x = (uint64_t)hi << 32 | (uint64_t)lo;
	return 0;
}

#endif
