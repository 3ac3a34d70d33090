/*
 * sortkey.c - order-preserving encodings of JSON values (sortkey.h).
 *
 * One value is a tag byte and what the tag needs:
 *   0x01 false, 0x02 true
 *   0x03 a negative number: the bytes of its magnitude (below), inverted,
 *        so that a larger magnitude sorts first
 *   0x04 zero (0, -0, 0.000, 0e5)
 *   0x05 a positive number: its magnitude
 *   0x06 a string: its decoded bytes, 0x00 written 0x00 0xff, then 0x00 0x01
 *   0x07 an array or object: its text as written, then 0x00 0x01 (valid
 *        JSON text holds no 0x00 byte)
 * With SORTKEY_DESC every byte of the value, tag included, is inverted
 * (0xf8 to 0xfe); null is one byte that is never inverted: 0x00 with
 * SORTKEY_NULLS_FIRST, 0xff otherwise.
 *
 * A magnitude 0.d1d2...dn x 10^(P+1), d1 and dn not zero, is P's class and
 * value, then the digits in pairs, one byte 1 + 10a + b each (a lone last
 * digit paired with 0; no trailing zeros, so that pair is unambiguous),
 * then 0x00.  P, the power of ten of the first digit, may be of any size
 * (the exponent of a JSON number has no limit), so it comes in classes that
 * sort in this order:
 *   0x20 P <= -10^18: the count of its digits and the digits, inverted
 *   0x30 -10^18 < P < -128: 8 bytes, big-endian, offset by 2^63
 *   0x40 -128 <= P <= 127: one byte, P + 128
 *   0x50 127 < P < 10^18: 8 bytes, big-endian, offset by 2^63
 *   0x60 P >= 10^18: the count of its digits (8 bytes) and the digits
 * Each value has one encoding, so equal numbers have equal bytes.
 */
#include "sortkey.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "mem.h"
#include "banned.h"

#define BIG_EXP 1000000000000000000LL /* 10^18 */

static void put_be64(struct buf *b, uint64_t v)
{
	unsigned char x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (56 - 8 * i));
	buf_add(b, x, 8);
}

static void invert(struct buf *b, size_t from)
{
	for (size_t i = from; i < b->len; i++)
		b->p[i] = (char)~(unsigned char)b->p[i];
}

/* P of at least 10^18 in magnitude, as its n decimal digits. */
static void put_big_exp(struct buf *b, int neg, const char *digits, size_t n)
{
	size_t from;

	buf_addc(b, neg ? 0x20 : 0x60);
	from = b->len;
	put_be64(b, n);
	buf_add(b, digits, n);
	if (neg)
		invert(b, from);
}

static void put_exp_value(struct buf *b, __int128 p);

/* |E + k| as digits, where E has ne >= 19 digits (so |E| > |k|) and the sign
 * eneg: the magnitude grows when k has E's sign and shrinks otherwise. */
static void put_huge_exp(struct buf *b, const char *ep, size_t ne, int eneg, int64_t k)
{
	char *d = xmalloc(ne + 1);
	uint64_t c = k < 0 ? (uint64_t)0 - (uint64_t)k : (uint64_t)k;
	int grow = (k < 0) == eneg;
	size_t i = ne + 1, s = 0;

	d[0] = '0';
	memcpy(d + 1, ep, ne);
	while (c && i-- > 0) {
		int t = d[i] - '0';

		if (grow) {
			t += (int)(c % 10);
			c /= 10;
			if (t >= 10) {
				t -= 10;
				c++;
			}
		} else {
			t -= (int)(c % 10);
			c /= 10;
			if (t < 0) {
				t += 10;
				c++;
			}
		}
		d[i] = (char)('0' + t);
	}
	while (s < ne && d[s] == '0')
		s++;
	if (ne + 1 - s <= 18) {
		/* back within the classes of fixed size: one encoding a value */
		__int128 p = 0;

		for (size_t j = s; j <= ne; j++)
			p = p * 10 + (d[j] - '0');
		put_exp_value(b, eneg ? -p : p);
	} else {
		put_big_exp(b, eneg, d + s, ne + 1 - s);
	}
	free(d);
}

static void put_exp(struct buf *b, const struct dec_text *m)
{
	int64_t k = (int64_t)m->nint - 1 - (int64_t)m->z;
	__int128 p = 0;

	if (m->ne > 18) {
		put_huge_exp(b, m->ep, m->ne, m->eneg, k);
		return;
	}
	for (size_t i = 0; i < m->ne; i++)
		p = p * 10 + (m->ep[i] - '0');
	if (m->eneg)
		p = -p;
	put_exp_value(b, p + k);
}

static void put_exp_value(struct buf *b, __int128 p)
{
	if (p >= -128 && p <= 127) {
		buf_addc(b, 0x40);
		buf_addc(b, (char)(unsigned char)(p + 128));
	} else if (p > -BIG_EXP && p < BIG_EXP) {
		buf_addc(b, p < 0 ? 0x30 : 0x50);
		put_be64(b, (uint64_t)(int64_t)p ^ ((uint64_t)1 << 63));
	} else {
		char d[40];
		size_t n = 0;
		unsigned __int128 u = p < 0 ? (unsigned __int128)-p : (unsigned __int128)p;

		for (; u; u /= 10)
			d[sizeof(d) - ++n] = (char)('0' + (int)(u % 10));
		put_big_exp(b, p < 0, d + sizeof(d) - n, n);
	}
}

static void put_number(struct buf *b, struct span v)
{
	struct dec_text m;
	size_t from;

	dec_text_parse(&m, v.p, v.n);
	if (m.z == m.nint + m.nfrac) {
		buf_addc(b, 0x04);
		return;
	}
	buf_addc(b, m.neg ? 0x03 : 0x05);
	from = b->len;
	put_exp(b, &m);
	for (size_t i = m.z; i <= m.last; i += 2) {
		int hi = dec_text_digit(&m, i) - '0';
		int lo = i + 1 <= m.last ? dec_text_digit(&m, i + 1) - '0' : 0;

		buf_addc(b, (char)(1 + 10 * hi + lo));
	}
	buf_addc(b, 0);
	if (m.neg)
		invert(b, from);
}

static void put_string(struct buf *b, struct span v)
{
	const char *p = v.p + 1;
	size_t n = v.n - 2, at = b->len;

	buf_addc(b, 0x06);
	if (!memchr(p, '\\', n)) {
		buf_add(b, p, n);
	} else {
		size_t len;

		at = b->len;
		len = scan_unescape(b, p, n);
		if (memchr(b->p + at, 0, len)) {
			/* \u0000: write each 0x00 as 0x00 0xff */
			char *copy = xmalloc(len);

			memcpy(copy, b->p + at, len);
			b->len = at;
			for (size_t i = 0; i < len; i++) {
				buf_addc(b, copy[i]);
				if (!copy[i])
					buf_addc(b, (char)0xff);
			}
			free(copy);
		}
	}
	buf_addc(b, 0);
	buf_addc(b, 1);
}

void sortkey_add(struct buf *b, struct span v, unsigned flags)
{
	size_t from = b->len;

	switch (scan_kind(v)) {
	case SCAN_NONE:
	case SCAN_NULL:
		buf_addc(b, flags & SORTKEY_NULLS_FIRST ? 0 : (char)0xff);
		return;
	case SCAN_FALSE:
		buf_addc(b, 0x01);
		break;
	case SCAN_TRUE:
		buf_addc(b, 0x02);
		break;
	case SCAN_NUMBER:
		put_number(b, scan_trim(v));
		break;
	case SCAN_STRING:
		put_string(b, scan_trim(v));
		break;
	case SCAN_ARRAY:
	case SCAN_OBJECT:
		v = scan_trim(v);
		buf_addc(b, 0x07);
		buf_add(b, v.p, v.n);
		buf_addc(b, 0);
		buf_addc(b, 1);
		break;
	}
	if (flags & SORTKEY_DESC)
		invert(b, from);
}

int sortkey_cmp(const void *a, size_t na, const void *b, size_t nb)
{
	int c = memcmp(a, b, na < nb ? na : nb);

	if (c)
		return c < 0 ? -1 : 1;
	return (na > nb) - (na < nb);
}
