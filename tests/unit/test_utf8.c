/*
 * test_utf8.c - unit tests of common/utf8.c.
 *
 * What is proved: every Unicode scalar value encodes to the UTF-8 that
 * RFC 3629 prescribes and validates back; the boundaries of each sequence
 * length are exact; overlong forms, UTF-16 surrogates, values above U+10FFFF,
 * stray continuation bytes and truncated sequences are refused, and the
 * valid prefix stops exactly before the first bad byte, also inside the
 * word-at-a-time fast path; a cut never splits a character and keeps the
 * most it can, and counting gives the characters.
 */
#include "buf.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "banned.h"

static void point(int ok, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void point(int ok, int line, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	unit_point(ok, __FILE__, line, what);
}

static const char *hex(const char *s, size_t n)
{
	static char out[4][128];
	static int k;
	char *o = out[k++ & 3];
	size_t j = 0;

	for (size_t i = 0; i < n && j + 4 < sizeof(out[0]); i++)
		j += snprintf(o + j, 4, "%s%02x", i ? " " : "", (unsigned char)s[i]);
	o[j] = '\0';
	return n ? o : "(empty)";
}

/* A heap copy without a terminator, so that ASan sees any read past n. */
static size_t prefix(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);
	size_t k;

	memcpy(p, s, n);
	k = utf8_valid_prefix(p, n);
	free(p);
	return k;
}

static void test_encode(void)
{
	static const struct {
		unsigned c;
		const char *enc;
	} c[] = {
		{0x00, "\x00"},
		{0x41, "A"},
		{0x7f, "\x7f"},
		{0x80, "\xc2\x80"},
		{0xe9, "\xc3\xa9"},
		{0x7ff, "\xdf\xbf"},
		{0x800, "\xe0\xa0\x80"},
		{0x20ac, "\xe2\x82\xac"},
		{0xd7ff, "\xed\x9f\xbf"},
		{0xe000, "\xee\x80\x80"},
		{0xfffd, "\xef\xbf\xbd"},
		{0xffff, "\xef\xbf\xbf"},
		{0x10000, "\xf0\x90\x80\x80"},
		{0x1f600, "\xf0\x9f\x98\x80"},
		{0x10ffff, "\xf4\x8f\xbf\xbf"},
	};
	unsigned long bad = 0, first_bad = 0;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char out[4];
		size_t want = c[i].c ? strlen(c[i].enc) : 1;
		size_t n = utf8_encode(c[i].c, out);

		point(n == want && memcmp(out, c[i].enc, n) == 0, __LINE__,
		      "utf8_encode(U+%04X) is %s", c[i].c, hex(c[i].enc, want));
		point(utf8_seq((const unsigned char *)c[i].enc,
			       (const unsigned char *)c[i].enc + want) == want,
		      __LINE__, "utf8_seq(%s) == %zu", hex(c[i].enc, want), want);
	}
	/* every scalar value: encode, then the encoding validates as one sequence */
	for (unsigned long u = 0; u <= 0x10ffff; u++) {
		char out[4];
		size_t n, want;

		if (u >= 0xd800 && u <= 0xdfff)
			continue;
		want = u < 0x80 ? 1 : u < 0x800 ? 2 : u < 0x10000 ? 3 : 4;
		n = utf8_encode(u, out);
		if (n != want || !utf8_valid(out, n) ||
		    utf8_seq((unsigned char *)out, (unsigned char *)out + n) != n) {
			if (!bad++)
				first_bad = u;
		}
	}
	point(bad == 0, __LINE__, "all 1,112,064 scalar values encode and validate");
	if (bad)
		printf("#   %lu failures, the first at U+%04lX\n", bad, first_bad);
}

struct bad_case {
	const char *s;
	size_t n;
	size_t valid; /* length of the valid prefix */
	const char *what;
};

static const struct bad_case bads[] = {
	{"\xc0\x80", 2, 0, "overlong NUL"},
	{"\xc0\xaf", 2, 0, "overlong '/' (2 bytes)"},
	{"\xc1\xbf", 2, 0, "overlong U+007F"},
	{"\xe0\x80\xaf", 3, 0, "overlong '/' (3 bytes)"},
	{"\xe0\x9f\xbf", 3, 0, "overlong U+07FF"},
	{"\xf0\x80\x80\xaf", 4, 0, "overlong '/' (4 bytes)"},
	{"\xf0\x8f\xbf\xbf", 4, 0, "overlong U+FFFF"},
	{"\xf8\x88\x80\x80\x80", 5, 0, "5-byte form"},
	{"\xfc\x84\x80\x80\x80\x80", 6, 0, "6-byte form"},
	{"\xed\xa0\x80", 3, 0, "surrogate U+D800"},
	{"\xed\xaf\xbf", 3, 0, "surrogate U+DBFF"},
	{"\xed\xb0\x80", 3, 0, "surrogate U+DC00"},
	{"\xed\xbf\xbf", 3, 0, "surrogate U+DFFF"},
	{"\xed\xa0\xbd\xed\xb8\x80", 6, 0, "surrogate pair in CESU-8"},
	{"\xf4\x90\x80\x80", 4, 0, "U+110000"},
	{"\xf5\x80\x80\x80", 4, 0, "lead byte F5"},
	{"\xf7\xbf\xbf\xbf", 4, 0, "U+1FFFFF"},
	{"\xfe", 1, 0, "byte FE"},
	{"\xff", 1, 0, "byte FF"},
	{"\x80", 1, 0, "lone continuation 80"},
	{"\xbf", 1, 0, "lone continuation BF"},
	{"a\x80", 2, 1, "continuation after ASCII"},
	{"\xc3", 1, 0, "truncated 2-byte"},
	{"\xe2\x82", 2, 0, "truncated 3-byte"},
	{"\xf0\x9f\x98", 3, 0, "truncated 4-byte"},
	{"ab\xc3", 3, 2, "truncated at the end"},
	{"\xc3\x41", 2, 0, "2-byte lead then ASCII"},
	{"\xe2\x28\xa1", 3, 0, "3-byte lead then ASCII"},
	{"\xe2\x82\x28", 3, 0, "3-byte, bad third byte"},
	{"\xf0\x9f\x98\x28", 4, 0, "4-byte, bad fourth byte"},
	{"\xc3\xa9\xc3", 3, 2, "valid then truncated"},
	{"\xc3\xa9\xe9t\xe9", 5, 2, "Latin-1 after UTF-8"},
	{"abcdefgh\x80", 9, 8, "bad byte after one ASCII word"},
	{"abcdefghijklmno\xe2\x82", 17, 15, "truncated after the fast path"},
	{"abcdefg\xc3\xa9\xff", 10, 9, "2-byte straddling a word"},
};

static void test_invalid(void)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad_case *c = &bads[i];
		size_t k = prefix(c->s, c->n);

		point(k == c->valid, __LINE__, "%s (%s): valid prefix %zu", c->what,
		      hex(c->s, c->n), c->valid);
		if (k != c->valid)
			printf("#   got %zu\n", k);
		point(!utf8_valid(c->s, c->n), __LINE__, "%s: not valid", c->what);
	}
	/* utf8_seq refuses a sequence that does not fit before end */
	CHECK(utf8_seq((const unsigned char *)"\xc3\xa9", (const unsigned char *)"\xc3\xa9" + 1) ==
	      0);
	CHECK(utf8_seq((const unsigned char *)"\xe2\x82\xac",
		       (const unsigned char *)"\xe2\x82\xac" + 2) == 0);
	CHECK(utf8_seq((const unsigned char *)"\xf0\x9f\x98\x80",
		       (const unsigned char *)"\xf0\x9f\x98\x80" + 3) == 0);
	CHECK(utf8_seq((const unsigned char *)"A", (const unsigned char *)"A" + 1) == 1);
}

static void test_valid(void)
{
	static const char *const ok[] = {
		"",
		"plain ASCII, longer than one word",
		"\x7f\x01\x1f",
		"\xc2\x80\xdf\xbf",
		"\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf",
		"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
		"caf\xc3\xa9 \xe2\x82\xac 1 \xf0\x9f\x98\x80",
		"\xef\xbb\xbf"
		"BOM",
		"\xef\xb7\x90 noncharacter U+FDD0",
		"\xf4\x8f\xbf\xbe noncharacter U+10FFFE",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t n = strlen(ok[i]);

		point(prefix(ok[i], n) == n, __LINE__, "valid: %s", hex(ok[i], n));
	}
	CHECK(utf8_valid("a\0b", 3));

	/* a bad byte at every position of a 40-byte run: the prefix stops there */
	{
		int good = 1;

		for (size_t pos = 0; pos < 40; pos++) {
			char s[40];

			memset(s, 'a', sizeof(s));
			s[pos] = (char)0x80;
			if (prefix(s, sizeof(s)) != pos) {
				printf("#   bad byte at %zu: prefix %zu\n", pos,
				       prefix(s, sizeof(s)));
				good = 0;
			}
			/* and a valid 4-byte sequence anywhere is passed whole */
			memset(s, 'a', sizeof(s));
			if (pos + 4 <= sizeof(s)) {
				memcpy(s + pos, "\xf0\x9f\x98\x80", 4);
				if (prefix(s, sizeof(s)) != sizeof(s))
					good = 0;
			}
		}
		point(good, __LINE__, "the valid prefix stops at a bad byte wherever it is");
	}
}

static void test_cut(void)
{
	/* "caf\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80": 1-, 2-, 3- and 4-byte characters */
	static const char s[] = "caf\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	static const size_t want[] = {0, 1, 2, 3, 3, 5, 5, 5, 8, 8, 8, 8, 12, 12};
	const size_t n = sizeof(s) - 1;
	int good = 1;

	for (size_t max = 0; max < sizeof(want) / sizeof(want[0]); max++) {
		size_t k = utf8_cut(s, n, max);

		if (k != want[max] || !utf8_valid(s, k)) {
			printf("#   max %zu: cut %zu, want %zu\n", max, k, want[max]);
			good = 0;
		}
	}
	point(good, __LINE__, "a cut at every byte of %s keeps whole characters", hex(s, n));
	CHECK(utf8_cut("abc", 3, 3) == 3);
	CHECK(utf8_cut("abc", 3, 2) == 2);
	CHECK(utf8_cut("", 0, 0) == 0);
	CHECK(utf8_cut("\xc3\xa9", 2, 1) == 0);
	/* 62 bytes, then a 2-byte character across byte 64 */
	{
		char t[66];

		memset(t, 'x', 63);
		memcpy(t + 63, "\xc3\xa9x", 3);
		CHECK(utf8_cut(t, sizeof(t), 64) == 63);
		CHECK(utf8_cut(t, sizeof(t), 65) == 65);
	}
	/* not UTF-8: stray continuation bytes are no sequence to keep whole */
	CHECK(utf8_cut("\x80\x80\x80\x80\x80\x80", 6, 5) == 5);
	CHECK(utf8_cut("a\x80\x80\x80\x80\x80", 6, 4) == 4);
	CHECK(utf8_cut("a\x80\x80\x80\x80\x80", 6, 3) == 3);
	CHECK(utf8_cut("\xc3\xa9\x80\x80", 4, 2) == 2);
	CHECK(utf8_cut("\xe2\x82\x80\x80", 4, 2) == 0);
}

static void test_count(void)
{
	CHECK(utf8_count("", 0) == 0);
	CHECK(utf8_count("abc", 3) == 3);
	CHECK(utf8_count("caf\xc3\xa9", 5) == 4);
	CHECK(utf8_count("\xe2\x82\xac\xf0\x9f\x98\x80", 7) == 2);
	CHECK(utf8_count("a\0b", 3) == 3);
	/* every scalar value is one */
	{
		size_t total = 0, values = 0;
		char enc[4];

		for (uint32_t c = 0; c <= 0x10ffff; c++) {
			if (c >= 0xd800 && c <= 0xdfff)
				continue;
			total += utf8_count(enc, utf8_encode(c, enc));
			values++;
		}
		point(total == values, __LINE__, "each of the %zu scalar values counts as one",
		      values);
	}
}

/* utf8_width(), utf8_cell(): terminal columns, cells cut with an ellipsis. */
static void cell_is(const char *s, size_t max, const char *want, size_t wantw, int line)
{
	struct buf b = BUF_INIT;
	size_t w = utf8_cell(&b, s, strlen(s), max);

	buf_addc(&b, '\0');
	point(w == wantw && strcmp(b.p, want) == 0, line, "cell of '%s' at %zu: '%s' (%zu)", s, max,
	      b.p, w);
	buf_release(&b);
}

static void test_width(void)
{
	CHECK(utf8_width("abc", 3) == 3);
	CHECK(utf8_width("", 0) == 0);
	CHECK(utf8_width("\xe6\x97\xa5\xe6\x9c\xac", 6) == 4); /* CJK: 2 each */
	CHECK(utf8_width("e\xcc\x81", 3) == 1);                /* combining acute */
	CHECK(utf8_width("\xf0\x9f\x98\x80", 4) == 2);         /* emoji */
	CHECK(utf8_width("\xef\xbc\xa1", 3) == 2);             /* full-width A */
	CHECK(utf8_width("\xc3\xa9\xe2\x80\x8b", 5) == 1);     /* e-acute, zero-width space */
	cell_is("abcdef", 0, "abcdef", 6, __LINE__);
	cell_is("abcdef", 6, "abcdef", 6, __LINE__);
	cell_is("abcdef", 5, "abcd\xe2\x80\xa6", 5, __LINE__);
	cell_is("a\tb\nc", 0, "a b c", 5, __LINE__);
	/* a wide character that does not fit is left out whole */
	cell_is("a\xe6\x97\xa5\xe6\x9c\xac", 3, "a\xe2\x80\xa6", 2, __LINE__);
	cell_is("\xe6\x97\xa5\xe6\x9c\xac\xe6\x97\xa5", 5, "\xe6\x97\xa5\xe6\x9c\xac\xe2\x80\xa6",
		5, __LINE__);
	/* a combining mark stays with its letter */
	cell_is("abe\xcc\x81xyz", 4, "abe\xcc\x81\xe2\x80\xa6", 4, __LINE__);
}

int main(void)
{
	test_width();
	test_encode();
	test_invalid();
	test_valid();
	test_cut();
	test_count();
	return unit_done();
}
