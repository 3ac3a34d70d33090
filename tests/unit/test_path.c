/*
 * test_path.c - unit tests of common/path.c, field paths.
 *
 * What is proved: bare and quoted segments parse to the unescaped bytes a
 * JSON key holds; parsing stops where a path ends (or fails with whole set);
 * every error names its fault and the 0-based offset of it, also inside a
 * comma-separated list; and path_format() writes a canonical form (quoting
 * only where needed) that parses back to the same segments.
 */
#include "path.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
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
	for (char *c = what; *c; c++) /* one TAP line, whatever the name holds */
		if ((unsigned char)*c < 0x20)
			*c = '?';
	unit_point(ok, __FILE__, line, what);
}

/* The segments of p joined by '|', each shown with its length when it holds
 * a byte that would hide in the output. */
static const char *segs(const struct path *p)
{
	static struct buf b;

	buf_reset(&b);
	for (size_t i = 0; i < p->nseg; i++) {
		if (i)
			buf_addc(&b, '|');
		buf_add(&b, p->seg[i].s, p->seg[i].n);
	}
	return b.p ? b.p : "";
}

struct ok_case {
	const char *in;
	int whole;
	long used; /* bytes consumed */
	size_t nseg;
	const char *segs;  /* joined by '|' */
	const char *canon; /* path_format() */
};

static const struct ok_case oks[] = {
	{"a", 1, 1, 1, "a", "a"},
	{"order_id", 1, 8, 1, "order_id", "order_id"},
	{"a.b.c", 1, 5, 3, "a|b|c", "a.b.c"},
	{"\"a.b\".c", 1, 7, 2, "a.b|c", "\"a.b\".c"},
	{"c.\"a.b\"", 1, 7, 2, "c|a.b", "c.\"a.b\""},
	{"\"abc\"", 1, 5, 1, "abc", "abc"},
	{"\"x,y\"", 1, 5, 1, "x,y", "\"x,y\""},
	{"\"p q\"", 1, 5, 1, "p q", "\"p q\""},
	{"\"a=b\"", 1, 5, 1, "a=b", "\"a=b\""},
	{"\"x \\\"y\\\"\"", 1, 9, 1, "x \"y\"", "\"x \\\"y\\\"\""},
	{"\"a\\\\b\"", 1, 6, 1, "a\\b", "a\\b"},
	{"a\\b", 1, 3, 1, "a\\b", "a\\b"},
	{"\"\"", 1, 2, 1, "", "\"\""},
	{"a.\"\".b", 1, 6, 3, "a||b", "a.\"\".b"},
	{"\"\t\"", 1, 3, 1, "\t", "\"\t\""},
	{"prix.\xe2\x82\xac", 1, 8, 2, "prix|\xe2\x82\xac", "prix.\xe2\x82\xac"},
	{"a:b", 1, 3, 1, "a:b", "a:b"},
	{"a-b_c/d", 1, 7, 1, "a-b_c/d", "a-b_c/d"},
	{"[0]", 1, 3, 1, "[0]", "[0]"},
	{"0.1", 1, 3, 2, "0|1", "0.1"},
	/* without whole, parsing stops before what cannot continue the path */
	{"a.b=1", 0, 3, 2, "a|b", "a.b"},
	{"a,b", 0, 1, 1, "a", "a"},
	{"a b", 0, 1, 1, "a", "a"},
	{"\"a b\"=x", 0, 5, 1, "a b", "\"a b\""},
	{"a.\"b\",c", 0, 5, 2, "a|b", "a.b"},
	{"a\"b", 0, 1, 1, "a", "a"},
};

struct err_case {
	const char *in;
	int whole;
	size_t off;
	const char *msg;
};

static const struct err_case errs[] = {
	{"", 1, 0, "empty field name"},
	{"", 0, 0, "empty field name"},
	{".a", 1, 0, "empty field name"},
	{"a.", 1, 2, "empty field name"},
	{"a..b", 1, 2, "empty field name"},
	{"a.=", 0, 2, "empty field name"},
	{" a", 1, 0, "empty field name"},
	{"=a", 0, 0, "empty field name"},
	{"\"abc", 1, 4, "unterminated quoted segment"},
	{"a.\"b", 1, 4, "unterminated quoted segment"},
	{"\"a\\\"", 1, 4, "unterminated quoted segment"},
	{"\"a\\x\"", 1, 3, "only \\\" and \\\\ escapes are allowed in a quoted segment"},
	{"\"a\\n\"", 1, 3, "only \\\" and \\\\ escapes are allowed in a quoted segment"},
	{"\"a\\", 1, 3, "only \\\" and \\\\ escapes are allowed in a quoted segment"},
	{"a b", 1, 1, "unexpected character in field path"},
	{"a.b=1", 1, 3, "unexpected character in field path"},
	{"a,b", 1, 1, "unexpected character in field path"},
	{"\"a\"b", 1, 3, "unexpected character in field path"},
	{"a\"b\"", 1, 1, "unexpected character in field path"},
	{"a ", 1, 1, "unexpected character in field path"},
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof(oks) / sizeof(oks[0]); i++) {
		const struct ok_case *c = &oks[i];
		struct path p;
		const char *err = NULL;
		size_t off = 0;
		long used = path_parse(&p, c->in, c->whole, &err, &off);
		struct buf f = BUF_INIT;

		point(used == c->used, __LINE__, "path_parse('%s', whole=%d) consumes %ld", c->in,
		      c->whole, c->used);
		if (used != c->used) {
			printf("#   got %ld (%s at %zu)\n", used, err ? err : "", off);
			continue;
		}
		point(p.nseg == c->nseg && strcmp(segs(&p), c->segs) == 0, __LINE__,
		      "path_parse('%s'): segments %s", c->in, c->segs);
		if (p.nseg != c->nseg || strcmp(segs(&p), c->segs) != 0)
			printf("#   got %zu: %s\n", p.nseg, segs(&p));
		point(p.text && strlen(p.text) == (size_t)used && memcmp(p.text, c->in, used) == 0,
		      __LINE__, "path_parse('%s'): text is the path as written", c->in);
		path_format(&f, &p);
		point(f.p && strcmp(f.p, c->canon) == 0, __LINE__, "path_format('%s') == '%s'",
		      c->in, c->canon);
		if (!f.p || strcmp(f.p, c->canon) != 0)
			printf("#   got '%s'\n", f.p ? f.p : "(nothing)");
		/* the canonical form parses back to the same segments */
		{
			struct path q;
			long k = f.p ? path_parse(&q, f.p, 1, &err, &off) : -1;
			int same = k == (long)f.len && q.nseg == p.nseg;

			for (size_t j = 0; same && j < p.nseg; j++)
				same = q.seg[j].n == p.seg[j].n &&
				       memcmp(q.seg[j].s, p.seg[j].s, p.seg[j].n) == 0;
			point(same, __LINE__, "path_format('%s') parses back to the same path",
			      c->in);
			if (k >= 0)
				path_release(&q);
		}
		buf_release(&f);
		path_release(&p);
		/* releasing twice is harmless: the path is emptied */
		path_release(&p);
		point(p.nseg == 0 && !p.seg && !p.text, __LINE__, "path_release('%s') empties it",
		      c->in);
	}

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		const struct err_case *c = &errs[i];
		struct path p;
		const char *err = NULL;
		size_t off = 999;
		long used = path_parse(&p, c->in, c->whole, &err, &off);
		int ok = used == -1 && off == c->off && err && strcmp(err, c->msg) == 0;

		point(ok, __LINE__, "path_parse('%s', whole=%d) fails at %zu: %s", c->in, c->whole,
		      c->off, c->msg);
		if (!ok)
			printf("#   got %ld, offset %zu: %s\n", used, off, err ? err : "(none)");
		if (used >= 0)
			path_release(&p);
		else
			point(p.nseg == 0 && !p.seg && !p.text, __LINE__,
			      "a failed path_parse('%s') leaves nothing to release", c->in);
	}
}

/* Parse a list; "a|b;c" shows paths separated by ';' and segments by '|'. */
static const char *list(const char *s)
{
	static struct buf b;
	struct path *p;
	const char *err;
	size_t n, off;

	buf_reset(&b);
	if (path_list_parse(s, &p, &n, &err, &off) != 0) {
		buf_printf(&b, "error at %zu: %s", off, err);
		if (p || n)
			buf_adds(&b, " (and the list was not emptied)");
		return b.p;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addc(&b, ';');
		for (size_t j = 0; j < p[i].nseg; j++) {
			if (j)
				buf_addc(&b, '|');
			buf_add(&b, p[i].seg[j].s, p[i].seg[j].n);
		}
	}
	path_list_free(p, n);
	return b.p;
}

static void test_list(void)
{
	CHECK_STR(list("a"), "a");
	CHECK_STR(list("a,b"), "a;b");
	CHECK_STR(list("order_id,line_no"), "order_id;line_no");
	CHECK_STR(list("a.b,c.d.e"), "a|b;c|d|e");
	CHECK_STR(list("\"a,b\",c"), "a,b;c");
	CHECK_STR(list("\"a.b\".c,\"x y\""), "a.b|c;x y");
	CHECK_STR(list("a,a"), "a;a");
	CHECK_STR(list("\"\""), "");
	CHECK_STR(list(""), "error at 0: empty field name");
	CHECK_STR(list(","), "error at 0: empty field name");
	CHECK_STR(list("a,"), "error at 2: empty field name");
	CHECK_STR(list("a,,b"), "error at 2: empty field name");
	CHECK_STR(list("a,b."), "error at 4: empty field name");
	CHECK_STR(list("a, b"), "error at 2: empty field name");
	CHECK_STR(list("a,b "), "error at 3: expected ',' between field paths");
	CHECK_STR(list("a=1"), "error at 1: expected ',' between field paths");
	CHECK_STR(list("a,b\"c\""), "error at 3: expected ',' between field paths");
	CHECK_STR(list("a,\"b"), "error at 4: unterminated quoted segment");
	CHECK_STR(list("abc,de,\"f\\x\""),
		  "error at 10: only \\\" and \\\\ escapes are allowed in a "
		  "quoted segment");
}

/* path_format on segments built directly, holding every awkward byte. */
static void test_format(void)
{
	static const struct {
		const char *seg;
		size_t n;
		const char *canon;
	} c[] = {
		{"plain", 5, "plain"},
		{"", 0, "\"\""},
		{"a.b", 3, "\"a.b\""},
		{"a\"b", 3, "\"a\\\"b\""},
		{"\\", 1, "\\"},
		{"\"\\", 2, "\"\\\"\\\\\""},
		{"a=b", 3, "\"a=b\""},
		{"a\nb", 3, "\"a\nb\""},
		{"a\rb", 3, "\"a\rb\""},
		{"a b", 3, "\"a b\""},
		{"\xc3\xa9", 2, "\xc3\xa9"},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct path_seg sg = {(char *)c[i].seg, c[i].n};
		struct path p = {&sg, 1, NULL}, q;
		struct buf b = BUF_INIT;
		const char *err;
		size_t off;
		long k;

		path_format(&b, &p);
		point(b.p && strcmp(b.p, c[i].canon) == 0, __LINE__,
		      "path_format of segment #%zu is %s", i, c[i].canon);
		k = path_parse(&q, b.p, 1, &err, &off);
		point(k == (long)b.len && q.nseg == 1 && q.seg[0].n == c[i].n &&
			      memcmp(q.seg[0].s, c[i].seg, c[i].n) == 0,
		      __LINE__, "path_format of segment #%zu parses back", i);
		if (k >= 0)
			path_release(&q);
		buf_release(&b);
	}

	/* several segments, and appending after existing content */
	{
		struct path_seg sg[3] = {{"a", 1}, {"b.c", 3}, {"", 0}};
		struct path p = {sg, 3, NULL};
		struct buf b = BUF_INIT;

		buf_adds(&b, "x=");
		path_format(&b, &p);
		CHECK_STR(b.p, "x=a.\"b.c\".\"\"");
		buf_release(&b);
	}
}

/* Compare the paths written a and b with f. */
static int cmp_paths(int (*f)(const struct path *, const struct path *), const char *a,
		     const char *b)
{
	struct path pa, pb;
	const char *err;
	size_t off;
	int r;

	if (path_parse(&pa, a, 1, &err, &off) < 0 || path_parse(&pb, b, 1, &err, &off) < 0)
		abort();
	r = f(&pa, &pb);
	path_release(&pa);
	path_release(&pb);
	return r;
}

static void test_compare(void)
{
	struct path_seg a = {"ab", 2}, b = {"abc", 3}, c = {"ab\0x", 4}, d = {"ab\0y", 4};

	CHECK(path_seg_eq(&a, &a));
	CHECK(!path_seg_eq(&a, &b));
	CHECK(!path_seg_eq(&c, &d));
	CHECK(cmp_paths(path_eq, "a.b", "a.b"));
	CHECK(cmp_paths(path_eq, "a.b", "a.\"b\""));
	CHECK(!cmp_paths(path_eq, "a.b", "a.b.c"));
	CHECK(!cmp_paths(path_eq, "a.b", "\"a.b\""));
	CHECK(cmp_paths(path_has_prefix, "a.b.c", "a.b"));
	CHECK(cmp_paths(path_has_prefix, "a.b", "a.b"));
	CHECK(!cmp_paths(path_has_prefix, "a.b", "a.b.c"));
	CHECK(!cmp_paths(path_has_prefix, "ab.c", "a"));
}

int main(void)
{
	test_parse();
	test_list();
	test_format();
	test_compare();
	return unit_done();
}
