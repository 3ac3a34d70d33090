/*
 * utf8.c - UTF-8 validation per RFC 3629.  The ASCII run is skipped a word
 * at a time; multi-byte sequences are checked exactly (no overlong forms, no
 * UTF-16 surrogates, nothing above U+10FFFF).  Cutting and counting trust
 * that their text is valid (the scanner has checked it): a sequence is a
 * lead byte and the continuation bytes (10xxxxxx) after it.
 */
#include "utf8.h"

#include <string.h>

#include "banned.h"

size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t avail = end - p;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned lo = c == 0xe0 ? 0xa0 : 0x80;
		unsigned hi = c == 0xed ? 0x9f : 0xbf;

		if (avail < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned lo = c == 0xf0 ? 0x90 : 0x80;
		unsigned hi = c == 0xf4 ? 0x8f : 0xbf;

		if (avail < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

size_t utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		if (end - p >= 8) {
			unsigned long long w;

			memcpy(&w, p, 8);
			if (!(w & 0x8080808080808080ULL)) {
				p += 8;
				continue;
			}
		}
		if (*p < 0x80) {
			p++;
		} else {
			size_t k = utf8_seq(p, end);

			if (!k)
				break;
			p += k;
		}
	}
	return p - (const unsigned char *)s;
}

size_t utf8_encode(uint32_t c, char *out)
{
	unsigned char *o = (unsigned char *)out;

	if (c < 0x80) {
		o[0] = c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = 0xc0 | (c >> 6);
		o[1] = 0x80 | (c & 0x3f);
		return 2;
	}
	if (c < 0x10000) {
		o[0] = 0xe0 | (c >> 12);
		o[1] = 0x80 | ((c >> 6) & 0x3f);
		o[2] = 0x80 | (c & 0x3f);
		return 3;
	}
	o[0] = 0xf0 | (c >> 18);
	o[1] = 0x80 | ((c >> 12) & 0x3f);
	o[2] = 0x80 | ((c >> 6) & 0x3f);
	o[3] = 0x80 | (c & 0x3f);
	return 4;
}

static int continuation(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

size_t utf8_cut(const char *p, size_t n, size_t max)
{
	size_t k = max;
	unsigned c;

	if (n <= max)
		return n;
	/* p[max] is the first byte left out: back off over continuation
	 * bytes to the lead byte of its sequence, at most 3 bytes before it */
	while (k > 0 && max - k < 3 && continuation(p[k]))
		k--;
	c = (unsigned char)p[k];
	if (k < max && c >= 0xc0 && k + (c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2) > max)
		return k;
	return max; /* no sequence goes across the cut */
}

size_t utf8_count(const char *p, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += !continuation(p[i]);
	return k;
}
