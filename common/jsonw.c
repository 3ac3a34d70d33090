/*
 * jsonw.c - JSON text output (jsonw.h).
 *
 * Strings are copied in runs between the bytes that need escaping, so plain
 * text costs one scan and one copy; the scan looks at eight bytes at a time
 * until the first byte that needs an escape, which in most text is none.
 * jw_compact() copies runs too: it only has to find white space outside
 * strings, and inside a string only a quote or a backslash matters.
 */
#include "jsonw.h"

#include <stdint.h>
#include <string.h>

#include "dtoa.h"
#include "banned.h"

static const char hex[] = "0123456789abcdef";

/* The length of the prefix of [p, end) that needs no escape: no byte below
 * 0x20, no '"', no '\\'.  A word passes the classic tests for a byte below
 * 0x20 and for a zero byte in w ^ '"' and w ^ '\\'; as a whole each test is
 * exact (bytes >= 0x80, valid UTF-8, never set it off), so the byte loop
 * only runs on the word that holds the first byte to escape, or the tail. */
static size_t plain_prefix(const unsigned char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	const unsigned char *p = s, *end = s + n;

	for (; end - p >= 8; p += 8) {
		uint64_t w, q, b;

		memcpy(&w, p, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		if ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high)
			break;
	}
	for (; p < end; p++)
		if (*p < 0x20 || *p == '"' || *p == '\\')
			break;
	return (size_t)(p - s);
}

void jw_string(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *run;
	size_t k = plain_prefix(p, n);

	buf_grow(b, n + 2);
	b->p[b->len++] = '"';
	memcpy(b->p + b->len, s, k);
	b->len += k;
	p += k;
	run = p;
	for (; p < end; p++) {
		unsigned c = *p;
		char e[6];
		size_t ke = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, run, p - run);
		run = p + 1;
		e[0] = '\\';
		switch (c) {
		case '"':
			e[1] = '"';
			break;
		case '\\':
			e[1] = '\\';
			break;
		case '\n':
			e[1] = 'n';
			break;
		case '\r':
			e[1] = 'r';
			break;
		case '\t':
			e[1] = 't';
			break;
		case '\b':
			e[1] = 'b';
			break;
		case '\f':
			e[1] = 'f';
			break;
		default:
			e[1] = 'u';
			e[2] = '0';
			e[3] = '0';
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			ke = 6;
		}
		buf_add(b, e, ke);
	}
	buf_add(b, run, p - run);
	buf_addc(b, '"');
}

void jw_double(struct buf *b, double v)
{
	char tmp[DTOA_BUFSZ];
	size_t n = dtoa_shortest(v, tmp);

	if (n)
		buf_add(b, tmp, n);
	else
		buf_add(b, "null", 4);
}

void jw_decimal(struct buf *b, const dec_t *d)
{
	char tmp[DEC_BUFSZ];

	buf_add(b, tmp, dec_format(d, tmp));
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void jw_compact(struct buf *b, const char *s, size_t n)
{
	const char *p = s, *end = s + n, *run = s;

	buf_grow(b, n);
	while (p < end) {
		if (*p == '"') {
			/* to the closing quote: the value is valid, so every
			 * backslash has a byte after it */
			for (p++; *p != '"'; p++)
				if (*p == '\\')
					p++;
			p++;
		} else if (is_space(*p)) {
			buf_add(b, run, p - run);
			while (p < end && is_space(*p))
				p++;
			run = p;
		} else {
			p++;
		}
	}
	buf_add(b, run, p - run);
}
