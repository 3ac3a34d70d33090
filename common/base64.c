/*
 * base64.c - RFC 4648 base64 (base64.h).  Decoding is strict: length a
 * multiple of 4, padding only at the end, no white space, the unused bits
 * before the padding zero, so that a value that decodes is the one that was
 * meant and has one spelling.
 */
#include "base64.h"

#include "banned.h"

static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void b64_encode(struct buf *b, const void *data, size_t n)
{
	const unsigned char *p = data;

	buf_grow(b, (n + 2) / 3 * 4);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);

		b->p[b->len++] = tbl[v >> 18 & 63];
		b->p[b->len++] = tbl[v >> 12 & 63];
		b->p[b->len++] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
		b->p[b->len++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	b->p[b->len] = '\0';
}

static int val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int b64_decode(struct buf *b, const char *s, size_t n)
{
	size_t start = b->len;

	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int last = i + 4 == n;
		int a = val(s[i]), c = val(s[i + 1]);
		int d = s[i + 2] == '=' && last ? -2 : val(s[i + 2]);
		int e = s[i + 3] == '=' && last ? -2 : val(s[i + 3]);
		unsigned v;

		if (a < 0 || c < 0 || d == -1 || e == -1 || (d == -2 && e != -2))
			goto bad;
		/* before padding, the bits that make no whole byte must be 0:
		 * else "Zh==" would decode to "f" as "Zg==" does */
		if ((d == -2 && (c & 15)) || (e == -2 && d >= 0 && (d & 3)))
			goto bad;
		v = (unsigned)a << 18 | (unsigned)c << 12 | (unsigned)(d < 0 ? 0 : d) << 6 |
		    (unsigned)(e < 0 ? 0 : e);
		buf_addc(b, (char)(v >> 16));
		if (d >= 0)
			buf_addc(b, (char)(v >> 8 & 255));
		if (e >= 0)
			buf_addc(b, (char)(v & 255));
	}
	return 0;
bad:
	b->len = start;
	if (b->p)
		b->p[start] = '\0';
	return -1;
}
