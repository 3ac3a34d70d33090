/*
 * jsonw.c - JSON text output (jsonw.h).  Strings are copied in runs between
 * the bytes that need escaping, so plain text costs one scan and one copy.
 */
#include "jsonw.h"

#include "dtoa.h"
#include "banned.h"

static const char hex[] = "0123456789abcdef";

void jw_string(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;

	buf_grow(b, n + 2);
	b->p[b->len++] = '"';
	for (; p < end; p++) {
		unsigned c = *p;
		char e[6];
		size_t k = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, run, p - run);
		run = p + 1;
		e[0] = '\\';
		switch (c) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\t': e[1] = 't'; break;
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		default:
			e[1] = 'u';
			e[2] = '0';
			e[3] = '0';
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			k = 6;
		}
		buf_add(b, e, k);
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
