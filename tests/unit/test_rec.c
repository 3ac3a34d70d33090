/*
 * test_rec.c - unit tests of common/rec.c, records as jansson trees.
 *
 * What is proved: rec_parse() followed by rec_write() gives back compact
 * JSON with every number's text exactly as written (big integers, exponents,
 * trailing zeros, -0) and keys in their order; strings are decoded and then
 * re-encoded in one canonical way (short escapes for the usual controls,
 * \u00XX for the others, everything else as raw UTF-8), including \u0000
 * inside strings and keys; duplicate keys keep the last value; raw numbers
 * are told apart from strings; values built with jansson's own constructors
 * are written too; and everything rec_write() produces is valid JSON.
 */
#include "rec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "scan.h"
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
	for (char *c = what; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
	unit_point(ok, __FILE__, line, what);
}

/* Validate, parse and write back; returns the text (static), or a note. */
static const char *round_trip(const char *in, size_t n)
{
	static struct buf out;
	struct scan_err e;
	char *s = malloc(n + 1);
	json_t *v;

	memcpy(s, in, n);
	s[n] = '\0';
	buf_reset(&out);
	if (scan_value(s, n, &e) != 0) {
		buf_printf(&out, "(invalid input at %zu: %s)", e.off, e.msg);
		free(s);
		return out.p;
	}
	v = rec_parse((struct span){s, n});
	free(s);
	if (!v)
		return "(rec_parse gave NULL)";
	rec_write(&out, v);
	json_decref(v);
	return out.p ? out.p : "";
}

struct rt_case {
	const char *in;
	const char *out; /* NULL: the same as in */
};

static const struct rt_case rts[] = {
	/* numbers keep their text */
	{"{\"a\":1}", NULL},
	{"{\"price\":19.99,\"qty\":3}", NULL},
	{"{\"n\":1e2}", NULL},
	{"{\"n\":1E+2}", NULL},
	{"{\"n\":-1.5e-300}", NULL},
	{"{\"n\":0.10}", NULL},
	{"{\"n\":2.500}", NULL},
	{"{\"n\":-0}", NULL},
	{"{\"n\":-0.0}", NULL},
	{"{\"n\":12345678901234567890123}", NULL},
	{"{\"n\":-98765432109876543210987654321098765432109876543210}", NULL},
	{"{\"n\":1e999999}", NULL},
	{"{\"n\":0.000000000000000000000000000000000000000000000000001}", NULL},
	{"{\"n\":9007199254740993}", NULL},
	{"[1.0,2.50,3e0,-4E-0]", NULL},
	/* key order is kept, new or odd keys included */
	{"{\"z\":1,\"a\":2,\"m\":3}", NULL},
	{"{\"\":0,\" \":1,\"a.b\":2}", NULL},
	{"{\"b\":{\"d\":1,\"c\":2},\"a\":[{\"y\":1,\"x\":2}]}", NULL},
	/* every kind of value */
	{"{\"t\":true,\"f\":false,\"z\":null,\"s\":\"x\",\"a\":[],\"o\":{}}", NULL},
	{"[]", NULL},
	{"{}", NULL},
	{"[[[[]]]]", NULL},
	{"\"x\"", NULL},
	{"42", NULL},
	{"null", NULL},
	/* white space goes */
	{"{ \"a\" : [ 1 , 2 ] , \"b\" : { } }", "{\"a\":[1,2],\"b\":{}}"},
	{" {\"a\":1}", "{\"a\":1}"},
	{"\t{\"a\":1}", "{\"a\":1}"},
	{"{\"a\":1} ", "{\"a\":1}"},
	{"{\"a\":1}\r", "{\"a\":1}"},
	{"[1] ", "[1]"},
	{" \"x\" ", "\"x\""},
	{"1 ", "1"},
	{" null\t", "null"},
	/* strings: decoded, then written in the canonical form */
	{"{\"s\":\"plain\"}", NULL},
	{"{\"s\":\"\\u0041\\u0062\"}", "{\"s\":\"Ab\"}"},
	{"{\"s\":\"\\/\"}", "{\"s\":\"/\"}"},
	{"{\"s\":\"\\\"\\\\\"}", NULL},
	{"{\"s\":\"\\b\\f\\n\\r\\t\"}", NULL},
	{"{\"s\":\"\\u0008\\u000c\\u000A\\u000D\\u0009\"}", "{\"s\":\"\\b\\f\\n\\r\\t\"}"},
	{"{\"s\":\"\\u0001\\u001f\\u001F\"}", "{\"s\":\"\\u0001\\u001f\\u001f\"}"},
	{"{\"s\":\"\\u007f\"}", "{\"s\":\"\x7f\"}"},
	{"{\"s\":\"\\u00e9\\u20ac\"}", "{\"s\":\"\xc3\xa9\xe2\x82\xac\"}"},
	{"{\"s\":\"\xc3\xa9\"}", NULL},
	{"{\"s\":\"\\ud83d\\ude00\"}", "{\"s\":\"\xf0\x9f\x98\x80\"}"},
	{"{\"s\":\"\\u2028\\u2029\"}", "{\"s\":\"\xe2\x80\xa8\xe2\x80\xa9\"}"},
	{"{\"s\":\"\xc3\xbf\"}", NULL},
	{"{\"s\":\"1.5\"}", NULL},
	/* \u0000 inside a string and inside a key */
	{"{\"s\":\"\\u0000\"}", NULL},
	{"{\"s\":\"a\\u0000b\"}", NULL},
	{"{\"a\\u0000b\":1,\"a\":2}", NULL},
	{"{\"\\u0061\":1}", "{\"a\":1}"},
	{"{\"k\\\"q\":\"v\\\\w\"}", NULL},
	/* duplicate keys: the last value wins */
	{"{\"a\":1,\"a\":2}", "{\"a\":2}"},
	{"{\"a\":{\"x\":1},\"a\":{\"y\":2}}", "{\"a\":{\"y\":2}}"},
	{"{\"a\":1,\"\\u0061\":\"two\"}", "{\"a\":\"two\"}"},
};

static void test_round_trip(void)
{
	for (size_t i = 0; i < sizeof(rts) / sizeof(rts[0]); i++) {
		const struct rt_case *c = &rts[i];
		const char *want = c->out ? c->out : c->in;
		const char *got = round_trip(c->in, strlen(c->in));

		point(strcmp(got, want) == 0, __LINE__, "round trip of %s", c->in);
		if (strcmp(got, want) != 0)
			printf("#   got  %s\n#   want %s\n", got, want);
	}
	/* duplicate keys: the last value wins; where the key stands is pinned too */
	{
		const char *got = round_trip("{\"a\":1,\"b\":0,\"a\":2}", 19);

		CHECK_STR(got, "{\"a\":2,\"b\":0}");
	}
}

/* The output of rec_write is always valid JSON. */
static void test_output_valid(void)
{
	int ok = 1;

	for (size_t i = 0; i < sizeof(rts) / sizeof(rts[0]); i++) {
		const char *got = round_trip(rts[i].in, strlen(rts[i].in));
		struct scan_err e;

		if (scan_value(got, strlen(got), &e) != 0) {
			printf("#   %s: invalid at %zu: %s\n", got, e.off, e.msg);
			ok = 0;
		}
	}
	point(ok, __LINE__, "every rec_write output above validates");
}

static void test_tree(void)
{
	const char *rec =
		"{\"n\":19.99,\"s\":\"19.99\",\"o\":{\"k\":[1,\"x\"]},\"e\":\"\\u00e9\\u0000\"}";
	struct buf b = BUF_INIT;
	json_t *v = rec_parse((struct span){rec, strlen(rec)});
	json_t *n = json_object_get(v, "n"), *s = json_object_get(v, "s"), *e;

	CHECK(json_is_object(v) && json_object_size(v) == 4);
	CHECK(rec_is_number(n));
	CHECK(!rec_is_number(s));
	CHECK(json_is_string(s) && strcmp(json_string_value(s), "19.99") == 0);
	{
		struct span t = rec_number_text(n);

		CHECK(t.n == 5 && memcmp(t.p, "19.99", 5) == 0);
	}
	e = json_object_get(v, "e");
	CHECK(json_is_string(e) && json_string_length(e) == 3 &&
	      memcmp(json_string_value(e), "\xc3\xa9\0", 3) == 0);
	CHECK(json_is_array(json_object_get(json_object_get(v, "o"), "k")));
	CHECK(rec_is_number(json_array_get(json_object_get(json_object_get(v, "o"), "k"), 0)));

	/* change the tree: other fields keep their text, new fields go last */
	json_object_set_new(v, "added", rec_number("1e3", 3));
	json_object_set_new(v, "i", json_integer(-42));
	json_object_set_new(v, "r", json_real(0.5));
	json_object_set_new(v, "str", json_string("a\"b\n"));
	json_object_set_new(v, "t", json_true());
	json_object_set_new(v, "f", json_false());
	json_object_set_new(v, "z", json_null());
	json_object_set_new(v, "s", json_string("changed"));
	rec_write(&b, v);
	CHECK_STR(
		b.p,
		"{\"n\":19.99,\"s\":\"changed\",\"o\":{\"k\":[1,\"x\"]},\"e\":\"\xc3\xa9\\u0000\","
		"\"added\":1e3,\"i\":-42,\"r\":0.5,\"str\":\"a\\\"b\\n\",\"t\":true,"
		"\"f\":false,\"z\":null}");
	json_decref(v);
	buf_release(&b);

	/* raw numbers on their own */
	v = rec_number("12345678901234567890123", 23);
	CHECK(rec_is_number(v));
	CHECK(rec_number_text(v).n == 23);
	rec_write(&b, v);
	CHECK_STR(b.p, "12345678901234567890123");
	json_decref(v);
	buf_release(&b);

	/* a long number text (more than the small buffer) */
	{
		char digits[200];

		memset(digits, '7', sizeof(digits));
		v = rec_number(digits, sizeof(digits));
		rec_write(&b, v);
		CHECK(b.len == sizeof(digits) && memcmp(b.p, digits, sizeof(digits)) == 0);
		json_decref(v);
		buf_release(&b);
	}

	/* strings that are not numbers */
	v = json_string("");
	CHECK(!rec_is_number(v));
	json_decref(v);
	v = json_integer(5);
	CHECK(!rec_is_number(v));
	json_decref(v);

	/* rec_write appends */
	buf_adds(&b, "x=");
	v = rec_parse((struct span){"[1]", 3});
	rec_write(&b, v);
	CHECK_STR(b.p, "x=[1]");
	json_decref(v);
	buf_release(&b);
}

static void test_large(void)
{
	struct buf in = BUF_INIT;
	const char *got;

	/* a 1 MB string with escapes spread through it */
	buf_adds(&in, "{\"big\":\"");
	for (int i = 0; i < 100000; i++)
		buf_adds(&in, i % 10 ? "abcdefghij" : "\\n\\u00e9\\\"xyz");
	buf_adds(&in, "\"}");
	got = round_trip(in.p, in.len);
	{
		struct buf want = BUF_INIT;

		buf_adds(&want, "{\"big\":\"");
		for (int i = 0; i < 100000; i++)
			buf_adds(&want, i % 10 ? "abcdefghij" : "\\n\xc3\xa9\\\"xyz");
		buf_adds(&want, "\"}");
		point(strcmp(got, want.p) == 0, __LINE__, "a 1 MB string round-trips");
		buf_release(&want);
	}
	buf_release(&in);

	/* nesting to the scanner's limit */
	for (int i = 1; i < SCAN_MAX_DEPTH; i++)
		buf_adds(&in, "{\"a\":");
	buf_adds(&in, "[1]");
	for (int i = 1; i < SCAN_MAX_DEPTH; i++)
		buf_addc(&in, '}');
	got = round_trip(in.p, in.len);
	point(strcmp(got, in.p) == 0, __LINE__, "%d nested levels round-trip", SCAN_MAX_DEPTH);
	buf_release(&in);

	/* many keys keep their order */
	buf_addc(&in, '{');
	for (int i = 0; i < 5000; i++)
		buf_printf(&in, "%s\"k%d\":%d.%d", i ? "," : "", (i * 7919) % 5000, i, i % 7);
	buf_addc(&in, '}');
	got = round_trip(in.p, in.len);
	point(strcmp(got, in.p) == 0, __LINE__, "5000 keys keep their order and numbers");
	buf_release(&in);
}

int main(void)
{
	test_round_trip();
	test_output_valid();
	test_tree();
	test_large();
	return unit_done();
}
