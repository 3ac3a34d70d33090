/*
 * test_fields.c - unit tests of common/fields.c, record editing.
 *
 * What is proved: a loaded record written back unchanged is its members'
 * own text and reports no change; get sees top-level and nested values, the
 * last of duplicate keys, and escaped keys; set, delete and rename keep
 * untouched members' text and order, put new members at the end, rebuild
 * only the edited top-level member, and report a non-object parent; an edit
 * that writes the same text is no change; select keeps the listed order;
 * flatten and nest are inverse on nested objects, keep raw keys, and report
 * conflicts.  Every line is a heap copy with its '\0' sentinel and is
 * validated by scan_record() first, as etl-map does.
 */
#include "fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "path.h"
#include "scan.h"
#include "unit.h"

#include "banned.h"

static struct fields F;
static char *line;
static struct buf out = BUF_INIT;

static void load(const char *s)
{
	struct scan_err err;
	size_t n = strlen(s);

	free(line);
	line = malloc(n + 1);
	if (!line)
		abort();
	memcpy(line, s, n + 1);
	if (scan_record(line, n, NULL, NULL, &err) != 0) {
		printf("# test bug: invalid record %s: %s\n", s, err.msg);
		abort();
	}
	fields_load(&F, (struct span){line, n});
}

static const char *text(void)
{
	buf_reset(&out);
	fields_write(&F, &out);
	return out.p;
}

/* A parsed path; released at the end of the test run by the caller. */
static struct path P(const char *s) {
	struct path p;
	const char *err;
	size_t off;

	if (path_parse(&p, s, 1, &err, &off) < 0) {
		printf("# test bug: bad path %s: %s\n", s, err);
		abort();
	}
	return p;
}

static const char *
get(const char *path)
{
	static char res[256];
	struct path p = P(path);
	struct span v = fields_get(&F, &p);

	path_release(&p);
	if (!v.p)
		return "(missing)";
	snprintf(res, sizeof(res), "%.*s", (int)v.n, v.p);
	return res;
}

static int set(const char *path, const char *val)
{
	struct path p = P(path);
	int rc = fields_set(&F, &p, (struct span){val, strlen(val)});

	path_release(&p);
	return rc;
}

static void del(const char *path)
{
	struct path p = P(path);

	fields_delete(&F, &p);
	path_release(&p);
}

static int ren(const char *from, const char *to)
{
	struct path a = P(from), b = P(to);
	int rc = fields_rename(&F, &a, &b);

	path_release(&a);
	path_release(&b);
	return rc;
}

static int sel(const char *list)
{
	struct path *ps;
	size_t n, off;
	const char *err;
	int rc;

	if (path_list_parse(list, &ps, &n, &err, &off) < 0)
		abort();
	rc = fields_select(&F, ps, n);
	path_list_free(ps, n);
	return rc;
}

static void test_load_and_get(void)
{
	load("{ \"a\" : 1e2 , \"b\":{\"c\": [1, 2]},\"big\":123456789012345678901234567890 }");
	CHECK(!fields_changed(&F));
	CHECK(F.n == 3);
	CHECK_STR(text(),
		  "{\"a\":1e2,\"b\":{\"c\": [1, 2]},\"big\":123456789012345678901234567890}");
	CHECK_STR(get("a"), "1e2");
	CHECK_STR(get("b.c"), "[1, 2]");
	CHECK_STR(get("b.x"), "(missing)");
	CHECK_STR(get("a.x"), "(missing)");
	CHECK_STR(get("zz"), "(missing)");

	load("{\"a\":1,\"a\":2,\"\\u0062\":3,\"x\\ny\":4,\"x\\\\ny\":5}");
	CHECK_STR(get("a"), "2");
	CHECK_STR(get("b"), "3");
	CHECK_STR(get("\"x\\\\ny\""), "5");
	load("{\"\":1}");
	CHECK_STR(get("\"\""), "1");
	load("{}");
	CHECK(F.n == 0);
	CHECK_STR(text(), "{}");
}

static void test_set(void)
{
	load("{\"price\":19.990,\"n\":1e2,\"s\":\"caf\\u00e9\",\"q\":3}");
	CHECK(set("q", "4") == 0);
	CHECK_STR(text(), "{\"price\":19.990,\"n\":1e2,\"s\":\"caf\\u00e9\",\"q\":4}");
	CHECK(fields_changed(&F));
	CHECK(set("new", "\"x\"") == 0);
	CHECK_STR(text(),
		  "{\"price\":19.990,\"n\":1e2,\"s\":\"caf\\u00e9\",\"q\":4,\"new\":\"x\"}");
	CHECK_STR(get("new"), "\"x\"");

	load("{\"a\":1,\"b\":2}");
	CHECK(set("a", "1") == 0);
	CHECK(!fields_changed(&F));
	CHECK(set("\"a.b\"", "null") == 0);
	CHECK_STR(text(), "{\"a\":1,\"b\":2,\"a.b\":null}");
	CHECK(set("\"t\\\"ab\"", "0") == 0);
	CHECK_STR(text(), "{\"a\":1,\"b\":2,\"a.b\":null,\"t\\\"ab\":0}");

	/* duplicates: one member is left, where the last one was */
	load("{\"a\":1,\"b\":2,\"a\":3}");
	CHECK(set("a", "4") == 0);
	CHECK_STR(text(), "{\"b\":2,\"a\":4}");
}

static void test_set_nested(void)
{
	load("{\"id\":1,\"customer\":{\"name\":\"Ann\", \"n\": 1.50},\"z\":0}");
	CHECK(set("customer.tier", "\"gold\"") == 0);
	CHECK_STR(
		text(),
		"{\"id\":1,\"customer\":{\"name\":\"Ann\",\"n\":1.50,\"tier\":\"gold\"},\"z\":0}");
	CHECK_STR(get("customer.tier"), "\"gold\"");
	CHECK(set("customer.name", "\"Bob\"") == 0);
	CHECK_STR(
		text(),
		"{\"id\":1,\"customer\":{\"name\":\"Bob\",\"n\":1.50,\"tier\":\"gold\"},\"z\":0}");

	load("{\"a\":null}");
	CHECK(set("a.b.c", "1") == 0);
	CHECK_STR(text(), "{\"a\":{\"b\":{\"c\":1}}}");
	CHECK(set("a.b.d", "[]") == 0);
	CHECK_STR(text(), "{\"a\":{\"b\":{\"c\":1,\"d\":[]}}}");
	CHECK(set("x.\"y.z\"", "true") == 0);
	CHECK_STR(text(), "{\"a\":{\"b\":{\"c\":1,\"d\":[]}},\"x\":{\"y.z\":true}}");

	load("{\"a\":{\"b\":null,\"k\":{\"b\":1}}}");
	CHECK(set("a.b.c", "2") == 0);
	CHECK_STR(text(), "{\"a\":{\"b\":{\"c\":2},\"k\":{\"b\":1}}}");

	load("{\"a\":{\"b\":5}}");
	CHECK(set("a.b.c", "2") == -1);
	CHECK_STR(fields_error(&F), "a.b is a number, not an object");
	load("{\"a\":\"s\"}");
	CHECK(set("a.b", "2") == -1);
	CHECK_STR(fields_error(&F), "a is a string, not an object");
	load("{\"a\":[1]}");
	CHECK(set("a.b", "2") == -1);
	CHECK_STR(fields_error(&F), "a is an array, not an object");

	/* the same value is no change, even nested */
	load("{\"a\":{\"b\": 1}}");
	CHECK(set("a.b", "1") == 0);
	CHECK(!fields_changed(&F));
	CHECK_STR(text(), "{\"a\":{\"b\": 1}}");
}

static void test_delete(void)
{
	load("{\"a\":1,\"b\":{\"c\":2,\"d\":3},\"a\":4,\"e\":5}");
	del("zz");
	del("b.zz");
	del("a.x");
	CHECK(!fields_changed(&F));
	del("a");
	CHECK_STR(text(), "{\"b\":{\"c\":2,\"d\":3},\"e\":5}");
	del("b.c");
	CHECK_STR(text(), "{\"b\":{\"d\":3},\"e\":5}");
	del("b.d");
	CHECK_STR(text(), "{\"b\":{},\"e\":5}");
	CHECK_STR(get("b"), "{}");
}

static void test_rename(void)
{
	load("{\"a\":1,\"b\":2,\"c\":3}");
	CHECK(ren("a", "a") == 0);
	CHECK(!fields_changed(&F));
	CHECK(ren("zz", "y") == 0);
	CHECK(!fields_changed(&F));
	CHECK(ren("b", "x") == 0);
	CHECK_STR(text(), "{\"a\":1,\"x\":2,\"c\":3}");
	CHECK(ren("a", "c") == 0);
	CHECK_STR(text(), "{\"c\":1,\"x\":2}");

	load("{\"o\":{\"p\":1,\"q\":2},\"r\":0}");
	CHECK(ren("o.p", "o.z") == 0);
	CHECK_STR(text(), "{\"o\":{\"z\":1,\"q\":2},\"r\":0}");
	CHECK(ren("o.q", "top") == 0);
	CHECK_STR(text(), "{\"o\":{\"z\":1},\"r\":0,\"top\":2}");
	CHECK(ren("r", "o.r") == 0);
	CHECK_STR(text(), "{\"o\":{\"z\":1,\"r\":0},\"top\":2}");
	CHECK(ren("top", "top.inner") == 0);
	CHECK_STR(text(), "{\"o\":{\"z\":1,\"r\":0},\"top\":{\"inner\":2}}");
	load("{\"o\":{\"p\":1},\"n\":3}");
	CHECK(ren("o", "n.x") == -1);
	CHECK_STR(fields_error(&F), "n is a number, not an object");
}

static void test_select(void)
{
	load("{\"a\":1,\"b\":2,\"c\":{\"d\":3,\"e\":4}}");
	CHECK(sel("a,b,c") == 0);
	CHECK(!fields_changed(&F));
	CHECK(sel("c,a,zz") == 0);
	CHECK(fields_changed(&F));
	CHECK_STR(text(), "{\"c\":{\"d\":3,\"e\":4},\"a\":1}");

	load("{\"a\":1,\"b\":2,\"c\":{\"d\":3,\"e\":4}}");
	CHECK(sel("c.e,b") == 0);
	CHECK_STR(text(), "{\"c\":{\"e\":4},\"b\":2}");
	load("{\"a\":1,\"b\":2,\"c\":{\"d\":3,\"e\":4}}");
	CHECK(sel("c.e,c") == 0);
	CHECK_STR(text(), "{\"c\":{\"d\":3,\"e\":4}}");
	load("{\"a\":1,\"b\":2}");
	CHECK(sel("zz") == 0);
	CHECK_STR(text(), "{}");
}

static void test_flatten_nest(void)
{
	const char *in = "{\"id\":7,\"a\":{\"b\":1,\"c\":{\"d\":[1,{\"x\":1}],\"e\":{}}},\"f\":{},"
			 "\"g\":{\"\\u0068\":\"\\n\"}}";
	const char *flat = "{\"id\":7,\"a.b\":1,\"a.c.d\":[1,{\"x\":1}],\"a.c.e\":{},\"f\":{},"
			   "\"g.\\u0068\":\"\\n\"}";

	load(in);
	fields_flatten(&F, ".", 1);
	CHECK(fields_changed(&F));
	CHECK_STR(text(), flat);
	load(flat);
	CHECK(fields_nest(&F, ".", 1) == 0);
	CHECK_STR(text(), "{\"id\":7,\"a\":{\"b\":1,\"c\":{\"d\":[1,{\"x\":1}],\"e\":{}}},\"f\":{},"
			  "\"g\":{\"h\":\"\\n\"}}");

	load("{\"a\":1,\"b\":[{\"c\":{}}]}");
	fields_flatten(&F, ".", 1);
	CHECK(!fields_changed(&F));
	CHECK(fields_nest(&F, ".", 1) == 0);
	CHECK(!fields_changed(&F));

	load("{\"a\":{\"b\":{\"c\":1}}}");
	fields_flatten(&F, "\"", 1);
	CHECK_STR(text(), "{\"a\\\"b\\\"c\":1}");
	load("{\"a\":{\"b\":{\"c\":1}}}");
	fields_flatten(&F, "__", 2);
	CHECK_STR(text(), "{\"a__b__c\":1}");
	load(text());
	CHECK(fields_nest(&F, "__", 2) == 0);
	CHECK_STR(text(), "{\"a\":{\"b\":{\"c\":1}}}");

	/* empty segments survive the round trip */
	load("{\"a.\":1,\".b\":2}");
	CHECK(fields_nest(&F, ".", 1) == 0);
	CHECK_STR(text(), "{\"a\":{\"\":1},\"\":{\"b\":2}}");
	load(text());
	fields_flatten(&F, ".", 1);
	CHECK_STR(text(), "{\"a.\":1,\".b\":2}");

	/* merging into an object, conflicts with anything else */
	load("{\"a\":{\"x\":1},\"a.y\":2,\"z.w\":3}");
	CHECK(fields_nest(&F, ".", 1) == 0);
	CHECK_STR(text(), "{\"a\":{\"x\":1,\"y\":2},\"z\":{\"w\":3}}");
	load("{\"a\":3,\"a.y\":2}");
	CHECK(fields_nest(&F, ".", 1) == -1);
	CHECK_STR(fields_error(&F), "a is a number, not an object");
	load("{\"a.y\":2,\"a\":3}");
	CHECK(fields_nest(&F, ".", 1) == -1);
	CHECK_STR(fields_error(&F), "key \"a\" is both a field and the parent of nested keys");
}

/* Many edits of one record: every span stays valid while the arena grows,
 * and the next record starts clean. */
static void test_many_edits(void)
{
	char val[64];
	int ok = 1;

	load("{\"k\":{\"n\":0}}");
	for (int i = 0; i < 20000; i++) {
		snprintf(val, sizeof(val), "%d", i);
		if (set("k.n", val) != 0 || set("t", val) != 0)
			ok = 0;
	}
	CHECK(ok);
	CHECK_STR(text(), "{\"k\":{\"n\":19999},\"t\":19999}");
	load("{\"k\":1}");
	CHECK_STR(text(), "{\"k\":1}");
	CHECK(!fields_changed(&F));
}

/* The path a.a.a... of n segments, as text. */
static const char *deep_path(int n)
{
	static struct buf b;

	buf_reset(&b);
	buf_adds(&b, "a");
	for (int i = 1; i < n; i++)
		buf_adds(&b, ".a");
	return b.p;
}

/* No edit makes a record deeper than SCAN_MAX_DEPTH levels: the record
 * itself is one, each segment of the path below it and each level of the
 * value one more. */
static void test_depth_limit(void)
{
	load("{}");
	CHECK(set(deep_path(SCAN_MAX_DEPTH), "1") == 0);
	load("{}");
	CHECK(set(deep_path(SCAN_MAX_DEPTH + 1), "1") == -1);
	CHECK_STR(fields_error(&F),
		  "nesting too deep: the record would have 1025 levels, more than 1024");
	CHECK(set(deep_path(SCAN_MAX_DEPTH), "[]") == -1);
	CHECK(!fields_changed(&F));
	CHECK_STR(text(), "{}");
	CHECK(set(deep_path(SCAN_MAX_DEPTH - 1), "[]") == 0);

	load("{\"v\":[[1]]}");
	CHECK(ren("v", deep_path(SCAN_MAX_DEPTH - 1)) == -1);
	CHECK_STR(fields_error(&F),
		  "nesting too deep: the record would have 1025 levels, more than 1024");
	CHECK_STR(text(), "{\"v\":[[1]]}");
	CHECK(ren("v", deep_path(SCAN_MAX_DEPTH - 2)) == 0);
}

int main(void)
{
	fields_init(&F);
	test_load_and_get();
	test_set();
	test_set_nested();
	test_delete();
	test_rename();
	test_select();
	test_flatten_nest();
	test_many_edits();
	test_depth_limit();
	fields_release(&F);
	buf_release(&out);
	free(line);
	return unit_done();
}
