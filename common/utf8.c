/*
 * utf8.c - UTF-8 validation per RFC 3629.  The ASCII run is skipped a word
 * at a time; multi-byte sequences are checked exactly (no overlong forms, no
 * UTF-16 surrogates, nothing above U+10FFFF).  Cutting and counting trust
 * that their text is valid (the scanner has checked it): a sequence is a
 * lead byte and the continuation bytes (10xxxxxx) after it.
 */
#include "utf8.h"

#include <string.h>

#include "buf.h"

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

/* The code point at p (valid UTF-8), and its length in *len. */
static uint32_t decode(const unsigned char *p, size_t *len)
{
	if (p[0] < 0x80) {
		*len = 1;
		return p[0];
	}
	if (p[0] < 0xE0) {
		*len = 2;
		return (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
	}
	if (p[0] < 0xF0) {
		*len = 3;
		return (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
	}
	*len = 4;
	return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
	       (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
}

static int in_ranges(uint32_t c, const uint32_t (*r)[2], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (c >= r[i][0] && c <= r[i][1])
			return 1;
	return 0;
}

/* Columns of one code point. */
static size_t cp_width(uint32_t c)
{
	static const uint32_t zero[][2] = {
		{0x0300, 0x036F},   {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A},
		{0x064B, 0x065F},   {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x1AB0, 0x1AFF},
		{0x1DC0, 0x1DFF},   {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064},
		{0x20D0, 0x20FF},   {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF},
		{0xE0100, 0xE01EF},
	};
	static const uint32_t wide[][2] = {
		{0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
		{0x2614, 0x2615},   {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},
		{0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xA960, 0xA97F},   {0xAC00, 0xD7A3},
		{0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},
		{0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x1FA70, 0x1FAFF},
		{0x20000, 0x3FFFD},
	};

	if (c < 0x300)
		return 1;
	if (in_ranges(c, zero, sizeof(zero) / sizeof(zero[0])))
		return 0;
	return in_ranges(c, wide, sizeof(wide) / sizeof(wide[0])) ? 2 : 1;
}

size_t utf8_width(const char *p, size_t n)
{
	size_t w = 0, len;

	for (size_t i = 0; i < n; i += len)
		w += cp_width(decode((const unsigned char *)p + i, &len));
	return w;
}

size_t utf8_cell(struct buf *b, const char *p, size_t n, size_t max)
{
	size_t w = 0, len, cut = n, plain = 0;

	/* printable ASCII, the common case: a byte is a column */
	while (plain < n && (unsigned char)p[plain] >= 0x20 && (unsigned char)p[plain] < 0x7F)
		plain++;
	if (plain == n) {
		if (!max || n <= max) {
			buf_add(b, p, n);
			return n;
		}
		buf_add(b, p, max - 1);
		buf_adds(b, "\xe2\x80\xa6");
		return max;
	}

	if (max && utf8_width(p, n) > max) {
		/* Keep what fits in max - 1 columns, then the ellipsis. */
		for (cut = 0; cut < n; cut += len) {
			size_t cw = cp_width(decode((const unsigned char *)p + cut, &len));

			if (w + cw > max - 1)
				break;
			w += cw;
		}
		/* combining marks that follow the last character kept */
		while (cut < n && cp_width(decode((const unsigned char *)p + cut, &len)) == 0)
			cut += len;
	}
	for (size_t i = 0; i < cut; i++)
		buf_addc(b, (unsigned char)p[i] < 0x20 || p[i] == 0x7F ? ' ' : p[i]);
	if (cut < n) {
		buf_adds(b, "\xe2\x80\xa6");
		return w + 1;
	}
	return utf8_width(p, n);
}
