/*
 * test_scan.c - unit tests of common/scan.c, the validating scanner.
 *
 * What is proved: scan_record() accepts exactly the JSON objects RFC 8259
 * allows and reports every rejection at the right byte offset with a stable
 * message, whether or not wanted paths are tracked (the two code paths must
 * agree); wanted paths come back as raw spans, last duplicate winning, absent
 * when missing or under a non-object; nesting stops at SCAN_MAX_DEPTH; and
 * the helpers for validated text (scan_kind, scan_iter, scan_unescape,
 * scan_string, scan_key_eq, scan_lookup) see through escapes and nesting.
 *
 * Every input is copied into a heap buffer of exactly n + 1 bytes with the
 * '\0' sentinel that scan.h requires, so that AddressSanitizer catches a
 * read one byte further.
 */
#include "scan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "path.h"
#include "unit.h"

#include "banned.h"

/* One named test point. */
static void point(int ok, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void point(int ok, int line, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	for (char *c = what; *c; c++) /* one TAP line, whatever the name holds */
		if ((unsigned char)*c < 0x20)
			*c = '?';
	unit_point(ok, __FILE__, line, what);
}

/* A heap copy of [s, s+n) followed by the '\0' sentinel. */
static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Printable form of an input for test names. */
static const char *show(const char *s, size_t n)
{
	static char out[4][160];
	static int k;
	char *o = out[k++ & 3];
	size_t j = 0;

	for (size_t i = 0; i < n && j < sizeof(out[0]) - 8; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f)
			o[j++] = c;
		else
			j += snprintf(o + j, 8, "\\x%02x", c);
	}
	if (j >= sizeof(out[0]) - 8)
		j += snprintf(o + j, 8, "...");
	o[j] = '\0';
	return o;
}

/* The text of a span as a C string ("(missing)" when absent), for CHECK_STR. */
static const char *sp(struct span v)
{
	static struct buf b[4];
	static int k;
	struct buf *o = &b[k++ & 3];

	buf_reset(o);
	if (!v.p)
		buf_adds(o, "(missing)");
	else
		buf_add(o, v.p, v.n);
	return o->p;
}

static struct path *paths(const char *list, size_t *n)
{
	struct path *p;
	const char *err;
	size_t off;

	if (path_list_parse(list, &p, n, &err, &off) != 0) {
		printf("# bad path list '%s': %s at %zu\n", list, err, off);
		abort();
	}
	return p;
}

/* ---- validation verdicts ---- */

static const char *const valid[] = {
	"{}",
	" {} ",
	"\t{\t}\t",
	"{\"a\":1}",
	"{ \"a\" : 1 , \"b\" : 2 }",
	"{\"\":\"\"}",
	"{\"a\":null,\"b\":true,\"c\":false}",
	"{\"a\":[]}",
	"{\"a\":[ ]}",
	"{\"a\":{}}",
	"{\"a\":[1,[2,[3,{\"b\":[]}]]]}",
	"{\"n\":0}",
	"{\"n\":-0}",
	"{\"n\":-0.0}",
	"{\"n\":0.5}",
	"{\"n\":19.99}",
	"{\"n\":1e2}",
	"{\"n\":1E2}",
	"{\"n\":1e+2}",
	"{\"n\":1e-2}",
	"{\"n\":-1.5E-300}",
	"{\"n\":12345678901234567890123}",
	"{\"n\":1e999999}",
	"{\"n\":0.000000000000000000000000000000000000000000000001}",
	"{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
	"{\"s\":\"\\u0000\"}",
	"{\"s\":\"\\u0041\\u00e9\\u20AC\"}",
	"{\"s\":\"\\ud83d\\ude00\"}",
	"{\"s\":\"\\uDBFF\\uDFFF\"}",
	"{\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
	"{\"s\":\"\xf4\x8f\xbf\xbf\"}",
	"{\"s\":\"\xef\xbf\xbf\"}",
	"{\"s\":\"\x7f\"}",
	"{\"s\":\"\xe2\x80\xa8\"}",
	"{\"\\u0061\":1}",
	"{\"a\":1,\"a\":2}",
	"{\"s\":\"0123456789abcdef0123456789abcdef\"}",
	"{\"s\":\"0123456789abcde\\\"0123456789abcdef\\\\\"}",
	"{\"s\":\"0123456789abcdef\xc3\xa9"
	"0123456789abcdef\"}",
	"{\"a\":1}\r",
	"{\"a\":\n1}",
};

struct invalid_case {
	const char *in;
	size_t n;   /* 0: strlen(in) */
	size_t off; /* 0-based offset of the fault */
	const char *msg;
};

static const struct invalid_case invalid[] = {
	{"", 0, 0, "empty record"},
	{"   ", 0, 3, "empty record"},
	{"[1]", 0, 0, "not a JSON object: an array"},
	{" [", 0, 2, "unexpected end of line, expected a value"},
	{"1", 0, 0, "not a JSON object: a number"},
	{"-1", 0, 0, "not a JSON object: a number"},
	{"\"x\"", 0, 0, "not a JSON object: a string"},
	{"null", 0, 0, "not a JSON object: null"},
	{"true", 0, 0, "not a JSON object: a boolean"},
	{"false", 0, 0, "not a JSON object: a boolean"},
	{"x", 0, 0, "expected a JSON object"},
	{"}", 0, 0, "expected a JSON object"},
	{"\xef\xbb\xbf{}", 0, 0, "expected a JSON object"},
	{"\0{}", 3, 0, "NUL byte"},
	{"{", 0, 1, "unexpected end of line, expected a key"},
	{"{ ", 0, 2, "unexpected end of line, expected a key"},
	{"{1:2}", 0, 1, "expected a string key"},
	{"{'a':1}", 0, 1, "expected a string key"},
	{"{a:1}", 0, 1, "expected a string key"},
	{"{\"a\"}", 0, 4, "expected ':'"},
	{"{\"a\" 1}", 0, 5, "expected ':'"},
	{"{\"a\"", 0, 4, "expected ':'"},
	{"{\"a\":}", 0, 5, "expected a value"},
	{"{\"a\":", 0, 5, "unexpected end of line, expected a value"},
	{"{\"a\":1,}", 0, 7, "expected a string key"},
	{"{\"a\":1,", 0, 7, "unexpected end of line, expected a key"},
	{"{\"a\":1", 0, 6, "unexpected end of line, expected ',' or '}'"},
	{"{\"a\":1 \"b\":2}", 0, 7, "expected ',' or '}'"},
	{"{\"a\":1]", 0, 6, "expected ',' or '}'"},
	{"{\"a\":1}x", 0, 7, "unexpected data after the value"},
	{"{\"a\":1}{}", 0, 7, "unexpected data after the value"},
	{"{\"a\":1} ,", 0, 8, "unexpected data after the value"},
	{"{\"a\":1} \0", 9, 8, "NUL byte"},
	{"{\"a\":01}", 0, 6, "expected ',' or '}'"},
	{"{\"a\":-01}", 0, 7, "expected ',' or '}'"},
	{"{\"a\":+1}", 0, 5, "expected a value"},
	{"{\"a\":.5}", 0, 5, "expected a value"},
	{"{\"a\":1.}", 0, 7, "invalid number: expected a digit after '.'"},
	{"{\"a\":1.e5}", 0, 7, "invalid number: expected a digit after '.'"},
	{"{\"a\":1e}", 0, 7, "invalid number: expected a digit in the exponent"},
	{"{\"a\":1e+}", 0, 8, "invalid number: expected a digit in the exponent"},
	{"{\"a\":1E-x}", 0, 8, "invalid number: expected a digit in the exponent"},
	{"{\"a\":-}", 0, 6, "invalid number"},
	{"{\"a\":-a}", 0, 6, "invalid number"},
	{"{\"a\":0x10}", 0, 6, "expected ',' or '}'"},
	{"{\"a\":NaN}", 0, 5, "expected a value"},
	{"{\"a\":Infinity}", 0, 5, "expected a value"},
	{"{\"a\":tru}", 0, 8, "invalid literal"},
	{"{\"a\":nul", 0, 8, "invalid literal"},
	{"{\"a\":True}", 0, 5, "expected a value"},
	{"{\"a\":falsey}", 0, 10, "expected ',' or '}'"},
	{"{\"a\":\"x}", 0, 8, "unterminated string"},
	{"{\"a\":\"0123456789abcdef0123456789abcdef}", 0, 39, "unterminated string"},
	{"{\"a\":\"\\x\"}", 0, 6, "invalid escape in string"},
	{"{\"a\":\"\\'\"}", 0, 6, "invalid escape in string"},
	{"{\"a\":\"\\", 0, 6, "invalid escape in string"},
	{"{\"a\":\"\\u12\"}", 0, 6, "invalid \\u escape"},
	{"{\"a\":\"\\u00", 0, 6, "invalid \\u escape"},
	{"{\"a\":\"\\U0041\"}", 0, 6, "invalid escape in string"},
	{"{\"a\":\"\\ud800\"}", 0, 6, "lone high surrogate in \\u escape"},
	{"{\"a\":\"\\ud800\\", 0, 6, "lone high surrogate in \\u escape"},
	{"{\"a\":\"\\ud800\\u", 0, 6, "lone high surrogate in \\u escape"},
	{"{\"a\":\"\\ud800\\u0041\"}", 0, 6, "lone high surrogate in \\u escape"},
	{"{\"a\":\"\\ud800\\ud800\"}", 0, 6, "lone high surrogate in \\u escape"},
	{"{\"a\":\"x\\udbff\"}", 0, 7, "lone high surrogate in \\u escape"},
	{"{\"a\":\"\\udc00\"}", 0, 6, "lone low surrogate in \\u escape"},
	{"{\"a\":\"\\ude00\\ud83d\"}", 0, 6, "lone low surrogate in \\u escape"},
	{"{\"\\udfff\":1}", 0, 2, "lone low surrogate in \\u escape"},
	{"{\"a\":\"\t\"}", 0, 6, "control character in string"},
	{"{\"a\":\"\n\"}", 0, 6, "control character in string"},
	{"{\"a\":\"\x1f\"}", 0, 6, "control character in string"},
	{"{\"a\":\"0123456789abcdefghij\x01\"}", 0, 26, "control character in string"},
	{"{\"a\":\"x\0\"}", 10, 7, "NUL byte"},
	{"{\"a\":\"0123456789abcdefghij\0\"}", 29, 26, "NUL byte"},
	{"{\"a\":\0}", 7, 5, "NUL byte"},
	{"{\"a\":1\0}", 8, 6, "expected ',' or '}'"},
	{"{\"a\":\"\xc0\xaf\"}", 0, 6, "invalid UTF-8"},
	{"{\"a\":\"\xc1\xbf\"}", 0, 6, "invalid UTF-8"},
	{"{\"a\":\"\xe0\x80\xaf\"}", 0, 6, "invalid UTF-8"},
	{"{\"a\":\"\xed\xa0\x80\"}", 0, 6, "invalid UTF-8"},
	{"{\"a\":\"\xed\xbf\xbf\"}", 0, 6, "invalid UTF-8"},
	{"{\"a\":\"\xf4\x90\x80\x80\"}", 0, 6, "invalid UTF-8"},
	{"{\"a\":\"\xf5\x80\x80\x80\"}", 0, 6, "invalid UTF-8"},
	{"{\"a\":\"\xf8\x88\x80\x80\x80\"}", 0, 6, "invalid UTF-8"},
	{"{\"a\":\"\xff\"}", 0, 6, "invalid UTF-8"},
	{"{\"a\":\"\x80\"}", 0, 6, "invalid UTF-8"},
	{"{\"a\":\"x\xc3\"}", 0, 7, "invalid UTF-8"},
	{"{\"a\":\"\xe2\x82\"}", 0, 6, "invalid UTF-8"},
	{"{\"a\":\"\xf0\x9f\x98\"}", 0, 6, "invalid UTF-8"},
	{"{\"a\":\"\xf0\x9f\x98", 0, 6, "invalid UTF-8"},
	{"{\"a\":\"0123456789abcdef\xe9t\xe9\"}", 0, 22, "invalid UTF-8"},
	{"{\"\xe9\":1}", 0, 2, "invalid UTF-8"},
	{"{\"a\":[1,]}", 0, 8, "expected a value"},
	{"{\"a\":[,1]}", 0, 6, "expected a value"},
	{"{\"a\":[1 2]}", 0, 8, "expected ',' or ']'"},
	{"{\"a\":[1}", 0, 7, "expected ',' or ']'"},
	{"{\"a\":[1", 0, 7, "unexpected end of line, expected ',' or ']'"},
	{"{\"a\":[", 0, 6, "unexpected end of line, expected a value"},
	{"{\"a\":{\"b\":1,}}", 0, 12, "expected a string key"},
	{"{\"a\":{\"b\"}}", 0, 9, "expected ':'"},
	{"{\"a\":{\"b\":[{\"c\":x}]}}", 0, 16, "expected a value"},
	{"{\"a\":1}}", 0, 7, "unexpected data after the value"},
	{"{\"a\":1,\"b\":{}}]", 0, 14, "unexpected data after the value"},
	{"{\"a\":1/*c*/}", 0, 6, "expected ',' or '}'"},
	{"{\"a\":1\x0b}", 0, 6, "expected ',' or '}'"},
	{"{\"a\":1\x0c}", 0, 6, "expected ',' or '}'"},
	{"{\"a\":\xc2\xa0"
	 "1}",
	 0, 5, "expected a value"},
};

/* The wanted paths used to walk the tracked code path of scan_record(). */
static const char *const track_lists[] = {"a", "a.b", "a,b,a.b.c,x", "\"\",s,n"};

static void test_verdicts(void)
{
	struct scan_err e;

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		size_t n = strlen(valid[i]);
		char *s = dup_n(valid[i], n);
		int rc = scan_record(s, n, NULL, NULL, &e);

		point(rc == 0, __LINE__, "valid: %s", show(s, n));
		if (rc)
			printf("#   rejected at %zu: %s\n", e.off, e.msg);
		for (size_t t = 0; t < sizeof(track_lists) / sizeof(track_lists[0]); t++) {
			size_t nw;
			struct path *pl = paths(track_lists[t], &nw);
			struct scan_want *w = scan_want_new(pl, nw);
			struct span vals[8];

			rc = scan_record(s, n, w, vals, &e);
			point(rc == 0, __LINE__, "valid with wanted %s: %s", track_lists[t],
			      show(s, n));
			scan_want_free(w);
			path_list_free(pl, nw);
		}
		/* a valid object is a valid value */
		point(scan_value(s, n, &e) == 0, __LINE__, "scan_value accepts %s", show(s, n));
		free(s);
	}

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		const struct invalid_case *c = &invalid[i];
		size_t n = c->n ? c->n : strlen(c->in);
		char *s = dup_n(c->in, n);
		int rc;

		e.off = 999999;
		e.msg = NULL;
		rc = scan_record(s, n, NULL, NULL, &e);
		point(rc == -1 && e.off == c->off && e.msg && strcmp(e.msg, c->msg) == 0, __LINE__,
		      "invalid at %zu (%s): %s", c->off, c->msg, show(s, n));
		if (rc != -1)
			printf("#   accepted\n");
		else if (e.off != c->off || !e.msg || strcmp(e.msg, c->msg) != 0)
			printf("#   got offset %zu: %s\n", e.off, e.msg ? e.msg : "(null)");
		/* the tracked path must reach the same verdict */
		for (size_t t = 0; t < sizeof(track_lists) / sizeof(track_lists[0]); t++) {
			size_t nw;
			struct path *pl = paths(track_lists[t], &nw);
			struct scan_want *w = scan_want_new(pl, nw);
			struct span vals[8];
			struct scan_err e2 = {999999, NULL, -1};

			rc = scan_record(s, n, w, vals, &e2);
			point(rc == -1 && e2.off == c->off && e2.msg && strcmp(e2.msg, c->msg) == 0,
			      __LINE__, "invalid with wanted %s: %s", track_lists[t], show(s, n));
			if (rc == -1 &&
			    (e2.off != c->off || !e2.msg || strcmp(e2.msg, c->msg) != 0))
				printf("#   got offset %zu: %s\n", e2.off,
				       e2.msg ? e2.msg : "(null)");
			scan_want_free(w);
			path_list_free(pl, nw);
		}
		free(s);
	}
}

/* ---- scan_value ---- */

static void test_value(void)
{
	static const char *const ok[] = {
		"0",
		"-0",
		"1.5e-3",
		" 1 ",
		"\"\"",
		"\"x\"",
		"null",
		"true",
		"false",
		"[]",
		"[[]]",
		"{}",
		"[1,\"2\",{\"3\":[null]}]",
		"\t\"\\u00e9\"\r",
		"123456789012345678901234567890",
	};
	static const struct {
		const char *in;
		size_t off;
		const char *msg;
	} bad[] = {
		{"", 0, "unexpected end of line, expected a value"},
		{"  ", 2, "unexpected end of line, expected a value"},
		{"01", 1, "unexpected data after the value"},
		{"1 2", 2, "unexpected data after the value"},
		{"[", 1, "unexpected end of line, expected a value"},
		{"[1,]", 3, "expected a value"},
		{"nul", 3, "invalid literal"},
		{"\"abc", 4, "unterminated string"},
		{"-", 1, "invalid number"},
		{"{\"a\"}", 4, "expected ':'"},
		{"[]]", 2, "unexpected data after the value"},
		{"'x'", 0, "expected a value"},
	};
	struct scan_err e;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *s = dup_n(ok[i], strlen(ok[i]));

		point(scan_value(s, strlen(s), &e) == 0, __LINE__, "scan_value accepts %s",
		      show(s, strlen(s)));
		free(s);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *s = dup_n(bad[i].in, strlen(bad[i].in));
		int rc = scan_value(s, strlen(s), &e);

		point(rc == -1 && e.off == bad[i].off && strcmp(e.msg, bad[i].msg) == 0, __LINE__,
		      "scan_value rejects %s at %zu (%s)", show(s, strlen(s)), bad[i].off,
		      bad[i].msg);
		if (rc == -1 && (e.off != bad[i].off || strcmp(e.msg, bad[i].msg) != 0))
			printf("#   got offset %zu: %s\n", e.off, e.msg);
		free(s);
	}
}

/* ---- nesting ---- */

/* depth objects nested through key "a", innermost {}. */
static char *nested_objects(int depth, size_t *n)
{
	struct buf b = BUF_INIT;

	for (int i = 1; i < depth; i++)
		buf_adds(&b, "{\"a\":");
	buf_adds(&b, "{}");
	for (int i = 1; i < depth; i++)
		buf_addc(&b, '}');
	return buf_detach(&b, n);
}

/* An object holding depth - 1 nested arrays. */
static char *nested_arrays(int depth, size_t *n)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "{\"a\":");
	for (int i = 1; i < depth; i++)
		buf_addc(&b, '[');
	for (int i = 1; i < depth; i++)
		buf_addc(&b, ']');
	buf_addc(&b, '}');
	return buf_detach(&b, n);
}

static void test_depth(void)
{
	size_t nw;
	struct path *pl = paths("a.a.a", &nw);
	struct scan_want *w = scan_want_new(pl, nw);
	struct span vals[1];
	struct scan_err e;
	size_t n;
	char *s;

	for (int k = 0; k < 2; k++) {
		const char *what = k ? "arrays" : "objects";

		s = k ? nested_arrays(SCAN_MAX_DEPTH, &n) : nested_objects(SCAN_MAX_DEPTH, &n);
		point(scan_record(s, n, NULL, NULL, &e) == 0, __LINE__, "%d nested %s are accepted",
		      SCAN_MAX_DEPTH, what);
		point(scan_record(s, n, w, vals, &e) == 0, __LINE__,
		      "%d nested %s are accepted with a wanted path", SCAN_MAX_DEPTH, what);
		point(scan_value(s, n, &e) == 0, __LINE__, "scan_value: %d nested %s",
		      SCAN_MAX_DEPTH, what);
		free(s);

		s = k ? nested_arrays(SCAN_MAX_DEPTH + 1, &n)
		      : nested_objects(SCAN_MAX_DEPTH + 1, &n);
		{
			/* the fault is the bracket that opens level 1025 */
			size_t want_off = k ? 5 + SCAN_MAX_DEPTH - 1 : 5 * (size_t)SCAN_MAX_DEPTH;
			int rc = scan_record(s, n, NULL, NULL, &e);

			point(rc == -1 && strcmp(e.msg, "nesting too deep") == 0 &&
				      e.off == want_off,
			      __LINE__, "%d nested %s: nesting too deep at %zu", SCAN_MAX_DEPTH + 1,
			      what, want_off);
			if (rc == -1 && e.off != want_off)
				printf("#   got offset %zu: %s\n", e.off, e.msg);
			rc = scan_record(s, n, w, vals, &e);
			point(rc == -1 && strcmp(e.msg, "nesting too deep") == 0 &&
				      e.off == want_off,
			      __LINE__, "%d nested %s: nesting too deep with a wanted path",
			      SCAN_MAX_DEPTH + 1, what);
			rc = scan_value(s, n, &e);
			point(rc == -1 && strcmp(e.msg, "nesting too deep") == 0, __LINE__,
			      "scan_value: %d nested %s too deep", SCAN_MAX_DEPTH + 1, what);
		}
		free(s);
	}
	scan_want_free(w);
	path_list_free(pl, nw);

	/* a wanted path as deep as the limit */
	{
		struct buf pb = BUF_INIT;
		struct path *deep;

		for (int i = 1; i < SCAN_MAX_DEPTH; i++)
			buf_adds(&pb, i > 1 ? ".a" : "a");
		deep = paths(pb.p, &nw);
		w = scan_want_new(deep, nw);
		s = nested_objects(SCAN_MAX_DEPTH, &n);
		point(scan_record(s, n, w, vals, &e) == 0 && strcmp(sp(vals[0]), "{}") == 0,
		      __LINE__, "a wanted path %d segments deep finds the innermost {}",
		      SCAN_MAX_DEPTH - 1);
		free(s);
		scan_want_free(w);
		path_list_free(deep, nw);
		buf_release(&pb);
	}

	/* 100000 open brackets: rejected, no stack overflow */
	{
		size_t big = 100000;
		char *t = malloc(big + 8);

		memcpy(t, "{\"a\":", 5);
		memset(t + 5, '[', big);
		t[5 + big] = '\0';
		point(scan_record(t, 5 + big, NULL, NULL, &e) == -1 &&
			      strcmp(e.msg, "nesting too deep") == 0,
		      __LINE__, "100000 open arrays: nesting too deep");
		free(t);
	}
}

/* ---- wanted paths ---- */

struct want_case {
	const char *rec;
	const char *want;      /* path list */
	const char *expect[6]; /* raw texts, "(missing)" for absent */
};

static const struct want_case wants[] = {
	{"{\"a\":1,\"b\":{\"c\":\"x\",\"d\":[1, 2]},\"e\":null}",
	 "a,b.c,b.d,e,f,b",
	 {"1", "\"x\"", "[1, 2]", "null", "(missing)", "{\"c\":\"x\",\"d\":[1, 2]}"}},
	{"{ \"a\" : 19.99 , \"b\" : 1e2 }", "a,b", {"19.99", "1e2"}},
	{"{\"big\":12345678901234567890123,\"neg\":-0.0}",
	 "big,neg",
	 {"12345678901234567890123", "-0.0"}},
	/* duplicates: the last one wins, also for a whole subtree */
	{"{\"a\":1,\"a\":2}", "a", {"2"}},
	{"{\"a\":1,\"b\":0,\"a\":\"two\"}", "a,b", {"\"two\"", "0"}},
	{"{\"b\":{\"c\":1},\"b\":{\"d\":2}}", "b.c,b.d", {"(missing)", "2"}},
	{"{\"b\":{\"c\":1},\"b\":5}", "b.c,b", {"(missing)", "5"}},
	{"{\"b\":{\"c\":1},\"b\":{\"c\":2}}", "b,b.c", {"{\"c\":2}", "2"}},
	{"{\"b\":{\"c\":{\"d\":1}},\"b\":{\"c\":7}}", "b.c.d,b.c", {"(missing)", "7"}},
	{"{\"b\":5,\"b\":{\"c\":1}}", "b.c", {"1"}},
	/* the same path twice in the list */
	{"{\"a\":3}", "a,a,a.b,a.b", {"3", "3", "(missing)", "(missing)"}},
	/* parent not an object */
	{"{\"a\":[{\"b\":1}],\"s\":\"x\",\"n\":null}",
	 "a.b,s.x,n.x,a.0",
	 {"(missing)", "(missing)", "(missing)", "(missing)"}},
	/* escaped keys match their decoded form */
	{"{\"\\u0061\":1,\"\\u00e9t\\u00e9\":2,\"q\\\"k\":3,\"b\\\\s\":4}",
	 "a,\xc3\xa9t\xc3\xa9,\"q\\\"k\",b\\s",
	 {"1", "2", "3", "4"}},
	{"{\"a\\u002eb\":1,\"a\":{\"b\":2}}", "\"a.b\",a.b", {"1", "2"}},
	/* keys holding dots, commas, spaces and the empty key */
	{"{\"a.b\":{\"c\":3},\"x,y\":4,\"p q\":5,\"\":6}",
	 "\"a.b\".c,\"x,y\",\"p q\",\"\"",
	 {"3", "4", "5", "6"}},
	/* a key is not matched by a prefix or an extension */
	{"{\"ab\":1,\"abc\":2}", "a,abcd,ab", {"(missing)", "(missing)", "1"}},
	/* values of every kind, nested deeper */
	{"{\"o\":{\"p\":{\"q\":[true,{\"r\":false}],\"s\":\"\\\"}\"}}}",
	 "o.p.q,o.p.s,o.p.q.r",
	 {"[true,{\"r\":false}]", "\"\\\"}\"", "(missing)"}},
	/* the wanted object itself, with white space inside kept */
	{"{\"o\":{ \"k\" : [ 1 ] }}", "o,o.k", {"{ \"k\" : [ 1 ] }", "[ 1 ]"}},
	/* a key holding \u0000 is not the same as an empty key */
	{"{\"\\u0000\":1}", "\"\"", {"(missing)"}},
};

static void test_wanted(void)
{
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		const struct want_case *c = &wants[i];
		size_t nw, n = strlen(c->rec);
		struct path *pl = paths(c->want, &nw);
		struct scan_want *w = scan_want_new(pl, nw);
		struct span vals[8];
		struct scan_err e;
		char *s = dup_n(c->rec, n);
		int rc;

		for (size_t j = 0; j < 8; j++)
			vals[j] = (struct span){"garbage", 7};
		rc = scan_record(s, n, w, vals, &e);
		point(rc == 0, __LINE__, "wanted %s: record accepted: %s", c->want, show(s, n));
		for (size_t j = 0; j < nw; j++) {
			const char *got = rc == 0 ? sp(vals[j]) : "(rejected)";
			int ok = strcmp(got, c->expect[j]) == 0;

			point(ok, __LINE__, "wanted %s: path %s of %s is %s", c->want, pl[j].text,
			      show(s, n), c->expect[j]);
			if (!ok)
				printf("#   got '%s'\n", got);
			/* scan_lookup agrees with the scanner */
			if (rc == 0) {
				struct span v = scan_lookup((struct span){s, n}, &pl[j]);

				ok = strcmp(sp(v), c->expect[j]) == 0;
				point(ok, __LINE__, "scan_lookup %s of %s is %s", pl[j].text,
				      show(s, n), c->expect[j]);
				if (!ok)
					printf("#   got '%s'\n", sp(v));
			}
		}
		free(s);
		scan_want_free(w);
		path_list_free(pl, nw);
	}

	/* spans point into the line itself: nothing is copied */
	{
		const char *rec = "{\"a\":\"xyz\"}";
		size_t nw, n = strlen(rec);
		struct path *pl = paths("a", &nw);
		struct scan_want *w = scan_want_new(pl, nw);
		struct span v;
		struct scan_err e;
		char *s = dup_n(rec, n);

		scan_record(s, n, w, &v, &e);
		CHECK(v.p == s + 5 && v.n == 5);
		free(s);
		scan_want_free(w);
		path_list_free(pl, nw);
	}

	/* an empty want set behaves as no want set */
	{
		struct scan_want *w = scan_want_new(NULL, 0);
		struct scan_err e;
		char *s = dup_n("{\"a\":[1,]}", 10);

		CHECK(scan_record(s, 10, w, NULL, &e) == -1 && e.off == 8);
		free(s);
		scan_want_free(w);
		scan_want_free(NULL);
	}
}

/* ---- helpers on validated text ---- */

/* scan_depth counts levels, not brackets inside strings. */
static size_t depth_of(const char *v)
{
	return scan_depth((struct span){v, strlen(v)});
}

static void test_value_depth(void)
{
	size_t n;
	char *s = nested_arrays(SCAN_MAX_DEPTH, &n);

	CHECK(depth_of("1") == 0);
	CHECK(depth_of("\"[{\"") == 0);
	CHECK(depth_of("[]") == 1);
	CHECK(depth_of(" {\"a\":[1,{}],\"b\":[[\"]]\\\"\"]]} ") == 3);
	CHECK(scan_depth((struct span){s, n}) == SCAN_MAX_DEPTH);
	free(s);
}

static void test_kind(void)
{
	CHECK(scan_kind((struct span){NULL, 0}) == SCAN_NONE);
	CHECK(scan_kind((struct span){"", 0}) == SCAN_NONE);
	CHECK(scan_kind((struct span){"null", 4}) == SCAN_NULL);
	CHECK(scan_kind((struct span){"true", 4}) == SCAN_TRUE);
	CHECK(scan_kind((struct span){"false", 5}) == SCAN_FALSE);
	CHECK(scan_kind((struct span){"-1", 2}) == SCAN_NUMBER);
	CHECK(scan_kind((struct span){"0.5", 3}) == SCAN_NUMBER);
	CHECK(scan_kind((struct span){"\"\"", 2}) == SCAN_STRING);
	CHECK(scan_kind((struct span){"[]", 2}) == SCAN_ARRAY);
	CHECK(scan_kind((struct span){"{}", 2}) == SCAN_OBJECT);
}

/* Iterate v and join "key=value" pairs with '|'. */
static const char *iterate(const char *v)
{
	static struct buf out;
	struct scan_iter it;
	struct span k, e;
	char *s = dup_n(v, strlen(v));

	buf_reset(&out);
	buf_addc(&out, '|');
	scan_iter_init(&it, (struct span){s, strlen(s)});
	while (scan_iter_next(&it, &k, &e)) {
		if (k.p)
			buf_add(&out, k.p, k.n);
		buf_addc(&out, '=');
		buf_add(&out, e.p, e.n);
		buf_addc(&out, '|');
	}
	free(s);
	return out.p;
}

static void test_iter(void)
{
	CHECK_STR(iterate("{}"), "|");
	CHECK_STR(iterate("{ }"), "|");
	CHECK_STR(iterate("[]"), "|");
	CHECK_STR(iterate("[ \t]"), "|");
	CHECK_STR(iterate("{\"a\":1}"), "|a=1|");
	CHECK_STR(iterate("{\"a\":1,\"b\":\"x\"}"), "|a=1|b=\"x\"|");
	CHECK_STR(iterate("{ \"a\" : 1 , \"b\" : [ 1 , 2 ] }"), "|a=1|b=[ 1 , 2 ]|");
	CHECK_STR(iterate("{\"c\\\"d\":\"e,f\",\"g\":\"}]\"}"), "|c\\\"d=\"e,f\"|g=\"}]\"|");
	CHECK_STR(iterate("{\"a\\\\\":\"x\\\\\",\"b\":{\"c\":[{}]}}"),
		  "|a\\\\=\"x\\\\\"|b={\"c\":[{}]}|");
	CHECK_STR(iterate("{\"n\":-1.5e+3,\"t\":true,\"f\":false,\"z\":null}"),
		  "|n=-1.5e+3|t=true|f=false|z=null|");
	CHECK_STR(iterate("{\"a\":1,\"a\":2}"), "|a=1|a=2|");
	CHECK_STR(iterate("[1, \"a,]\", {\"k\":[2]}, null]"), "|=1|=\"a,]\"|={\"k\":[2]}|=null|");
	CHECK_STR(iterate("[[],[[]],{}]"), "|=[]|=[[]]|={}|");
	CHECK_STR(iterate("[\"\\\"\"]"), "|=\"\\\"\"|");
	CHECK_STR(iterate("{\"\":\"\"}"), "|=\"\"|");
	CHECK_STR(iterate("[0]"), "|=0|");
	/* a string ends at a quote after an even run of backslashes */
	CHECK_STR(iterate("[\"a\\\\\\\"b\",\"\\\\\\\\\",1]"), "|=\"a\\\\\\\"b\"|=\"\\\\\\\\\"|=1|");
	CHECK_STR(iterate("{\"\\\\\":\"\\\"\\\\\"}"), "|\\\\=\"\\\"\\\\\"|");
	CHECK_STR(iterate("{\"a\":\"\xc3\xa9\"}"), "|a=\"\xc3\xa9\"|");
}

static const char *unescape(const char *raw)
{
	static struct buf out;

	buf_reset(&out);
	buf_adds(&out, "<");
	scan_unescape(&out, raw, strlen(raw));
	buf_adds(&out, ">");
	return out.p;
}

static void test_unescape(void)
{
	struct buf b = BUF_INIT;
	size_t k;

	CHECK_STR(unescape(""), "<>");
	CHECK_STR(unescape("plain"), "<plain>");
	CHECK_STR(unescape("\\\"\\\\\\/"), "<\"\\/>");
	CHECK_STR(unescape("\\b\\f\\n\\r\\t"), "<\b\f\n\r\t>");
	CHECK_STR(unescape("a\\u0041b"), "<aAb>");
	CHECK_STR(unescape("\\u00e9\\u00E9"), "<\xc3\xa9\xc3\xa9>");
	CHECK_STR(unescape("\\u0080\\u07ff\\u0800"), "<\xc2\x80\xdf\xbf\xe0\xa0\x80>");
	CHECK_STR(unescape("\\u20ac"), "<\xe2\x82\xac>");
	CHECK_STR(unescape("\\uffff"), "<\xef\xbf\xbf>");
	CHECK_STR(unescape("\\ud83d\\ude00"), "<\xf0\x9f\x98\x80>");
	CHECK_STR(unescape("\\uD834\\uDD1E"), "<\xf0\x9d\x84\x9e>");
	CHECK_STR(unescape("\\ud800\\udc00"), "<\xf0\x90\x80\x80>");
	CHECK_STR(unescape("\\udbff\\udfff"), "<\xf4\x8f\xbf\xbf>");
	CHECK_STR(unescape("x\\ud83d\\ude00y\\u0041"), "<x\xf0\x9f\x98\x80yA>");
	CHECK_STR(unescape("\xc3\xa9\\n"), "<\xc3\xa9\n>");
	CHECK_STR(unescape("\\\\u0041"), "<\\u0041>");

	/* \u0000 decodes to a NUL byte inside the content; the count says so */
	buf_adds(&b, "pre");
	k = scan_unescape(&b, "a\\u0000b", 8);
	CHECK(k == 3);
	CHECK(b.len == 6 && memcmp(b.p, "prea\0b", 6) == 0 && b.p[6] == '\0');
	buf_reset(&b);
	k = scan_unescape(&b, "\\ud83d\\ude00", 12);
	CHECK(k == 4);

	/* scan_string strips the quotes */
	buf_reset(&b);
	k = scan_string(&b, (struct span){"\"a\\tb\"", 6});
	CHECK(k == 3 && strcmp(b.p, "a\tb") == 0);
	buf_reset(&b);
	k = scan_string(&b, (struct span){"\"\"", 2});
	CHECK(k == 0 && b.len == 0);
	buf_release(&b);
}

static void test_key_eq(void)
{
	static const struct {
		const char *raw, *s;
		size_t n; /* 0: strlen(s) */
		int eq;
	} c[] = {
		{"a", "a", 0, 1},
		{"", "", 0, 1},
		{"a", "", 0, 0},
		{"", "a", 0, 0},
		{"a", "b", 0, 0},
		{"a", "ab", 0, 0},
		{"ab", "a", 0, 0},
		{"\\u0061", "a", 0, 1},
		{"\\u0061", "b", 0, 0},
		{"\\u0061b", "ab", 0, 1},
		{"\\u0061", "aa", 0, 0},
		{"a\\\"b", "a\"b", 0, 1},
		{"a\\\\b", "a\\b", 0, 1},
		{"a\\/b", "a/b", 0, 1},
		{"\\n", "\n", 0, 1},
		{"\\u00e9", "\xc3\xa9", 0, 1},
		{"\\u00e9", "\xc3", 0, 0},
		{"\xc3\xa9", "\xc3\xa9", 0, 1},
		{"\\ud83d\\ude00", "\xf0\x9f\x98\x80", 0, 1},
		{"\\ud83d\\ude00x", "\xf0\x9f\x98\x80", 0, 0},
		{"\\u0000", "\0", 1, 1},
		{"a\\u0000", "a", 0, 0},
		{"a\\u0000", "a\0", 2, 1},
		{"\\u002e", ".", 0, 1},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t n = c[i].n ? c[i].n : strlen(c[i].s);
		char *raw = dup_n(c[i].raw, strlen(c[i].raw));
		int got = scan_key_eq((struct span){raw, strlen(raw)}, c[i].s, n);

		point(!!got == c[i].eq, __LINE__, "scan_key_eq(%s, %s) == %d",
		      show(raw, strlen(raw)), show(c[i].s, n), c[i].eq);
		free(raw);
	}
}

static const char *lookup(const char *obj, const char *path)
{
	struct path p;
	const char *err;
	size_t off;
	const char *r;
	char *s = dup_n(obj, strlen(obj));

	if (path_parse(&p, path, 1, &err, &off) < 0)
		return "(bad path)";
	r = sp(scan_lookup((struct span){s, strlen(s)}, &p));
	path_release(&p);
	free(s);
	return r;
}

static void test_lookup(void)
{
	const char *o = "{\"a\":{\"b\":[1]},\"a\":{\"b\":2},\"c.d\":3,\"\\u0065\":{\"f\":\"g\"},"
			"\"h\":{\"i\":{\"j\":{}}}}";

	CHECK_STR(lookup(o, "a.b"), "2");
	CHECK_STR(lookup(o, "a"), "{\"b\":2}");
	CHECK_STR(lookup(o, "\"c.d\""), "3");
	CHECK_STR(lookup(o, "c.d"), "(missing)");
	CHECK_STR(lookup(o, "e.f"), "\"g\"");
	CHECK_STR(lookup(o, "a.b.c"), "(missing)");
	CHECK_STR(lookup(o, "x"), "(missing)");
	CHECK_STR(lookup(o, "h.i.j"), "{}");
	CHECK_STR(lookup(o, "h.i.j.k"), "(missing)");
	CHECK_STR(lookup("{ \"a\" : { \"b\" : true } }", "a.b"), "true");
	CHECK_STR(lookup("{\"a\":[{\"b\":1}]}", "a.b"), "(missing)");
	CHECK_STR(lookup("{}", "a"), "(missing)");
	CHECK_STR(lookup("{\"a\":{},\"a\":null}", "a"), "null");
}

/* The syntax flag tells a broken grammar ("invalid JSON: ...") from bytes
 * that are not text and from a valid value that is not an object. */
static void test_syntax_flag(void)
{
	static const struct {
		const char *s;
		size_t n;
		int syntax;
	} cases[] = {
		{"{\"a\":1,}", 8, 1},
		{"{\"a\" 1}", 7, 1},
		{"", 0, 1},
		{"{\"a\":tru}", 9, 1},
		{"[1,2]", 5, 0},
		{"\"s\"", 3, 0},
		{"null", 4, 0},
		{"{\"a\":\"\xff\"}", 9, 0},
		{"{\"a\":\xff}", 7, 0},
		{"{\xff:1}", 5, 0},
		{"{\"a\":1\xff}", 8, 0},
		{"{\"a\":\xc3\xa9}", 8, 1},
		{"{\"a\":1}\0", 8, 0},
		{"{\"a\":\"x\0y\"}", 11, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = malloc(cases[i].n + 1);
		struct scan_err e = {0, NULL, -1};
		int rc;

		memcpy(t, cases[i].s, cases[i].n);
		t[cases[i].n] = '\0';
		rc = scan_record(t, cases[i].n, NULL, NULL, &e);
		point(rc == -1 && e.syntax == cases[i].syntax, __LINE__,
		      "syntax flag %d for %s (%s)", cases[i].syntax, show(t, cases[i].n),
		      e.msg ? e.msg : "accepted");
		free(t);
	}
}

static void test_count(void)
{
	static const struct {
		const char *v;
		size_t n;
	} cases[] = {
		{"{}", 0},
		{"[]", 0},
		{"[ ]", 0},
		{"[1]", 1},
		{"[1,[2,3],{\"a\":[4]}]", 3},
		{"{\"a\":1,\"b\":{\"c\":2},\"a\":3}", 3},
		{"[\"x,y\",\"]\"]", 2},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(scan_count((struct span){cases[i].v, strlen(cases[i].v)}) == cases[i].n);
}

/* Wanted keys are found whatever the order of the record's keys, through
 * escapes, and a name holding a backslash is not taken for an escape. */
static void test_wanted_keys(void)
{
	struct path_seg segs[3] = {{"a", 1}, {"b", 1}, {"x\\ny", 4}};
	struct path pl[3] = {{&segs[0], 1, "a"}, {&segs[1], 1, "b"}, {&segs[2], 1, "x\\ny"}};
	struct scan_want *w = scan_want_new(pl, 3);
	static const struct {
		const char *rec;
		const char *a, *b, *x; /* the values found, NULL: none */
	} cases[] = {
		{"{\"a\":1,\"b\":2,\"x\\\\ny\":3}", "1", "2", "3"},
		{"{\"b\":2,\"a\":1}", "1", "2", NULL},
		{"{\"x\\\\ny\":3,\"b\":2,\"c\":0,\"a\":1}", "1", "2", "3"},
		{"{\"\\u0061\":1,\"\\u0062\":2}", "1", "2", NULL},
		{"{\"x\\ny\":3,\"a\":1}", "1", NULL, NULL},
		{"{\"aa\":0,\"b\":2,\"b\":5}", NULL, "5", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct span vals[3];
		struct scan_err e;
		const char *want[3] = {cases[i].a, cases[i].b, cases[i].x};
		int ok = scan_record(cases[i].rec, strlen(cases[i].rec), w, vals, &e) == 0;

		for (size_t j = 0; ok && j < 3; j++)
			ok = want[j] ? vals[j].p && vals[j].n == strlen(want[j]) &&
					       !memcmp(vals[j].p, want[j], vals[j].n)
				     : !vals[j].p;
		point(ok, __LINE__, "wanted keys of %s", cases[i].rec);
	}
	scan_want_free(w);
	{
		/* a path of no segment: the whole record, no key looked for */
		struct path whole = {NULL, 0, "."};
		struct span vals[1];
		struct scan_err e;

		w = scan_want_new(&whole, 1);
		point(scan_record("{\"a\":1}", 7, w, vals, &e) == 0, __LINE__,
		      "a path of no segment: the record scans");
		scan_want_free(w);
	}
}

int main(void)
{
	test_count();
	test_verdicts();
	test_value();
	test_depth();
	test_wanted();
	test_wanted_keys();
	test_value_depth();
	test_kind();
	test_iter();
	test_unescape();
	test_key_eq();
	test_lookup();
	test_syntax_flag();
	return unit_done();
}
