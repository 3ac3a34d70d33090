/*
 * test_jsonw.c - JSON text output: string escapes (the word-at-a-time scan
 * agrees with the byte-by-byte rule at every position of every byte value),
 * numbers, and compacting validated values.
 */
#include <stdlib.h>

#include "jsonw.h"
#include "scan.h"
#include "unit.h"

static const char *str(const char *s, size_t n)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	jw_string(&b, s, n);
	return b.p;
}

static const char *compact(const char *s)
{
	static struct buf b = BUF_INIT;
	struct scan_err err;

	if (scan_value(s, strlen(s), &err) != 0)
		return "(invalid)";
	buf_reset(&b);
	buf_adds(&b, "");
	jw_compact(&b, s, strlen(s));
	return b.p;
}

/* The escape of one byte, byte by byte: what jw_string must write. */
static void slow_string(struct buf *b, const unsigned char *s, size_t n)
{
	buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned c = s[i];

		if (c == '"' || c == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
		} else if (c == '\n') {
			buf_adds(b, "\\n");
		} else if (c == '\r') {
			buf_adds(b, "\\r");
		} else if (c == '\t') {
			buf_adds(b, "\\t");
		} else if (c == '\b') {
			buf_adds(b, "\\b");
		} else if (c == '\f') {
			buf_adds(b, "\\f");
		} else if (c < 0x20) {
			buf_printf(b, "\\u%04x", c);
		} else {
			buf_addc(b, (char)c);
		}
	}
	buf_addc(b, '"');
}

int main(void)
{
	CHECK_STR(str("", 0), "\"\"");
	CHECK_STR(str("plain text", 10), "\"plain text\"");
	CHECK_STR(str("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	CHECK_STR(str("\n\r\t\b\f\x01\x1f", 7), "\"\\n\\r\\t\\b\\f\\u0001\\u001f\"");
	CHECK_STR(str("caf\xc3\xa9 \xe2\x82\xac", 9), "\"caf\xc3\xa9 \xe2\x82\xac\"");
	CHECK_STR(str("0123456789abcdef\"0123456789", 27), "\"0123456789abcdef\\\"0123456789\"");
	CHECK_STR(str("a\0b", 3), "\"a\\u0000b\"");
	{
		/* every byte value at every position of a 19-byte text (two
		 * words and a tail), in plain text and after a UTF-8 letter */
		struct buf got = BUF_INIT, want = BUF_INIT;
		unsigned char s[19];
		int ok = 1;

		for (int c = 0; c < 256; c++) {
			for (size_t at = 0; at < sizeof(s); at++) {
				for (int hi = 0; hi < 2; hi++) {
					memset(s, hi ? 0xc3 : 'x', sizeof(s));
					if (hi)
						for (size_t i = 1; i < sizeof(s); i += 2)
							s[i] = 0xa9;
					s[at] = (unsigned char)c;
					buf_reset(&got);
					buf_reset(&want);
					jw_string(&got, (const char *)s, sizeof(s));
					slow_string(&want, s, sizeof(s));
					if (got.len != want.len ||
					    memcmp(got.p, want.p, got.len) != 0)
						ok = 0;
				}
			}
		}
		CHECK(ok); /* the fast scan escapes exactly the bytes it must */
		buf_release(&got);
		buf_release(&want);
	}

	CHECK_STR(compact("1.50"), "1.50");
	CHECK_STR(compact(" { \"a\" : [ 1 , 2 ] ,\t\"b\" :\n\"x y\" } "),
		  "{\"a\":[1,2],\"b\":\"x y\"}");
	CHECK_STR(compact("[\"a \\\" b\", \"\\\\\", \" \"]"), "[\"a \\\" b\",\"\\\\\",\" \"]");
	CHECK_STR(compact("\"\\u00e9 \""), "\"\\u00e9 \"");
	CHECK_STR(compact("[ ]"), "[]");
	CHECK_STR(compact("1e2"), "1e2");

	{
		struct buf b = BUF_INIT;
		dec_t d;

		jw_double(&b, 0.1 + 0.2);
		buf_addc(&b, ' ');
		jw_double(&b, 1.0 / 0.0);
		buf_addc(&b, ' ');
		dec_parse(&d, "-12.50", 6);
		jw_decimal(&b, &d);
		CHECK_STR(b.p, "0.30000000000000004 null -12.50");
		buf_release(&b);
	}
	return unit_done();
}
