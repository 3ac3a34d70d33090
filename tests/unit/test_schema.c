/*
 * test_schema.c - common/schema: exact numbers and error reports, then the
 * official JSON Schema Test Suite for draft 2020-12.
 *
 * The suite is read from $ETL_TESTDATA (default ../shared/testdata, from
 * the repository root where tests/run starts us).  Its remotes are served
 * from its remotes/ folder through the URI map (http://localhost:1234/ ->
 * remotes/), never over the network.  One test point per file: a required
 * file passes when every case passes but those of known_failures[] (which
 * the man page's CONFORMANCE section lists), and each of those still
 * fails; an optional file passes when at least its recorded number of
 * cases passes.  The counts are printed as TAP comments.  Without the
 * suite, one skipped point says so.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "scan.h"
#include "schema.h"
#include "unit.h"
#include "banned.h"

static const char *const known_failures[] = {
	NULL,
};

/* Optional files: the cases known to pass (a floor, so a regression fails). */
struct floor {
	const char *file;
	int pass;
};
static const struct floor optional_floor[] = {
	{"optional/anchor.json", 4},
	{"optional/bignum.json", 9},
	{"optional/cross-draft.json", 0},
	{"optional/dependencies-compatibility.json", 36},
	{"optional/dynamicRef.json", 2},
	{"optional/ecmascript-regex.json", 74},
	{"optional/float-overflow.json", 1},
	{"optional/format-assertion.json", 4},
	{"optional/id.json", 3},
	{"optional/no-schema.json", 3},
	{"optional/non-bmp-regex.json", 12},
	{"optional/refOfUnknownKeyword.json", 10},
	{"optional/unknownKeyword.json", 3},
	{"optional/format/date-time.json", 33},
	{"optional/format/date.json", 81},
	{"optional/format/duration.json", 52},
	{"optional/format/ecmascript-regex.json", 11},
	{"optional/format/email.json", 27},
	{"optional/format/hostname.json", 41},
	{"optional/format/idn-email.json", 18},
	{"optional/format/idn-hostname.json", 56},
	{"optional/format/ipv4.json", 41},
	{"optional/format/ipv6.json", 42},
	{"optional/format/iri-reference.json", 13},
	{"optional/format/iri.json", 24},
	{"optional/format/json-pointer.json", 40},
	{"optional/format/regex.json", 8},
	{"optional/format/relative-json-pointer.json", 25},
	{"optional/format/time.json", 47},
	{"optional/format/unknown.json", 7},
	{"optional/format/uri-reference.json", 28},
	{"optional/format/uri-template.json", 38},
	{"optional/format/uri.json", 46},
	{"optional/format/uuid.json", 28},
	{NULL, 0},
};

static struct span S(const char *s) {
	return (struct span){s, strlen(s)};
}

static struct schema *
load(const char *text)
{
	struct schema_cerr err;
	struct schema *s = schema_load_text(text, strlen(text), "urn:etl:test", NULL, &err);

	if (!s)
		printf("# schema error: %s: %s\n", err.where, err.msg);
	return s;
}

static int valid(const char *schema, const char *value)
{
	struct schema *s = load(schema);
	int r = s ? schema_check(s, S(value), 0) : -1;

	schema_free(s);
	return r;
}

static void test_exact(void)
{
	CHECK(valid("{\"multipleOf\": 0.01}", "4.35") == 1);
	CHECK(valid("{\"multipleOf\": 0.01}", "4.351") == 0);
	CHECK(valid("{\"multipleOf\": 0.1}", "1e400") == 1);
	CHECK(valid("{\"multipleOf\": 3}", "123456789012345678901234567891") == 0);
	CHECK(valid("{\"multipleOf\": 3}", "123456789012345678901234567890") == 1);
	CHECK(valid("{\"maximum\": 9007199254740992}", "9007199254740993") == 0);
	CHECK(valid("{\"maximum\": 9007199254740993}", "9007199254740993") == 1);
	CHECK(valid("{\"const\": 1}", "1.0") == 1);
	CHECK(valid("{\"const\": 1}", "true") == 0);
	CHECK(valid("{\"enum\": [1.50, \"a\\u0062\"]}", "15e-1") == 1);
	CHECK(valid("{\"enum\": [1.50, \"a\\u0062\"]}", "\"ab\"") == 1);
	/* strings with escapes, in the value or in the schema */
	CHECK(valid("{\"enum\": [\"a\\\\b\"]}", "\"a\\\\b\"") == 1);
	CHECK(valid("{\"enum\": [\"a\\\\b\"]}", "\"a\\u005cb\"") == 1);
	CHECK(valid("{\"enum\": [\"a\\\\b\"]}", "\"a\\\\c\"") == 0);
	CHECK(valid("{\"enum\": [\"EUR\"]}", "\"\\u0045UR\"") == 1);
	CHECK(valid("{\"enum\": [\"EUR\"]}", "\"\\u0045UX\"") == 0);
	CHECK(valid("{\"pattern\": \"^C[0-9]{2}$\"}", "\"C\\u00312\"") == 1);
	CHECK(valid("{\"pattern\": \"^C[0-9]{2}$\"}", "\"C\\u0031x\"") == 0);
	CHECK(valid("{\"pattern\": \"^[a\\\\\\\\]{2}$\"}", "\"a\\\\\"") == 1);
	CHECK(valid("{\"pattern\": \"^[a\\\\\\\\]{2}$\"}", "\"\\u0061a\"") == 1);
	CHECK(valid("{\"pattern\": \"^[a\\\\\\\\]{2}$\"}", "\"\\\\n\"") == 0);
	CHECK(valid("{\"minimum\": 0}", "-0.5") == 0);
	CHECK(valid("{\"minimum\": 0}", "-0.0") == 1);
	CHECK(valid("{\"minimum\": 0}", "0.01") == 1);
	CHECK(valid("{\"minimum\": -1}", "-1.5") == 0);
	CHECK(valid("{\"minimum\": -1}", "-0.5") == 1);
	CHECK(valid("{\"minimum\": -1}", "-1.00") == 1);
	CHECK(valid("{\"maximum\": 5}", "5.01") == 0);
	CHECK(valid("{\"maximum\": 5}", "5.00") == 1);
	CHECK(valid("{\"maximum\": 5}", "4.99") == 1);
	CHECK(valid("{\"maximum\": 5}", "4.99e1") == 0);
	CHECK(valid("{\"type\": \"integer\"}", "1.0") == 1);
	CHECK(valid("{\"type\": \"integer\"}", "1.5e1") == 1);
	CHECK(valid("{\"type\": \"integer\"}", "1.05e1") == 0);
	CHECK(valid("{\"uniqueItems\": true}", "[1, 1.0]") == 0);
	CHECK(valid("{\"uniqueItems\": true}", "[{\"a\":1,\"b\":2}, {\"b\":2,\"a\":1.0}]") == 0);
	CHECK(valid("{\"minLength\": 2}", "\"\\u00e9\"") == 0);
	CHECK(valid("{\"pattern\": \"^\\\\d+$\"}", "\"\\u0661\"") == 0);
	CHECK(valid("{\"pattern\": \"^\\\\s$\"}", "\"\\u00a0\"") == 1);
	/* a keyword given twice in one schema object: the last counts */
	CHECK(valid("{\"prefixItems\": [{}, {\"type\": \"string\"}], "
		    "\"prefixItems\": [{\"type\": \"string\"}]}",
		    "[\"a\", 1]") == 1);
	CHECK(valid("{\"enum\": [1, 2], \"enum\": [3]}", "1") == 0);
	/* a schema that refers to itself without end is invalid, with a reason */
	{
		struct schema *s = load("{\"$ref\": \"\"}");
		const struct schema_error *e;
		size_t n = 0;

		CHECK(s && schema_check(s, S("1"), SCHEMA_ERRORS) == 0);
		e = s ? schema_errors(s, &n) : NULL;
		CHECK(n == 1 && !strcmp(e[0].message, "the schema refers to itself without end"));
		schema_free(s);
	}
}

static void test_errors(void)
{
	struct schema *s = load("{\"properties\": {\"qty\": {\"minimum\": 1}, \"a/b\": false},"
				" \"required\": [\"id\"]}");
	const struct schema_error *e;
	size_t n = 0;

	CHECK(s && schema_check(s, S("{\"qty\": 0, \"a/b\": 1}"), SCHEMA_ERRORS) == 0);
	e = s ? schema_errors(s, &n) : NULL;
	CHECK(n == 3);
	if (n == 3) {
		CHECK_STR(e[0].rule, "required");
		CHECK_STR(e[0].path, "");
		CHECK_STR(e[0].schema_path, "/required");
		CHECK_STR(e[0].message, "the property \"id\" is missing");
		CHECK_STR(e[1].rule, "minimum");
		CHECK_STR(e[1].path, "/qty");
		CHECK_STR(e[1].schema_path, "/properties/qty/minimum");
		CHECK_STR(e[1].message, "0 is less than the minimum of 1");
		CHECK_STR(e[2].rule, "properties");
		CHECK_STR(e[2].path, "/a~1b");
	}
	schema_free(s);
}

static void test_load_errors(void)
{
	struct schema_cerr err;
	struct schema *s;

	s = schema_load_text("{\"minimum\": \"1\"}", 16, "urn:x", NULL, &err);
	CHECK(s == NULL);
	CHECK_STR(err.where, "urn:x#/minimum");
	s = schema_load_text("{\"$ref\": \"#/$defs/no\"}", 22, "urn:x", NULL, &err);
	CHECK(s == NULL);
	CHECK_STR(err.where, "urn:x#/$ref");
	CHECK_STR(err.msg, "cannot resolve the reference '#/$defs/no'");
}

/* ---- The official suite ------------------------------------------------- */

/* A new string from a format. */
static char *str(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	char tmp[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	buf_adds(&b, tmp);
	return buf_detach(&b, NULL);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t k;

	if (!f)
		return NULL;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, k);
	fclose(f);
	if (!b.p)
		buf_adds(&b, "");
	return buf_detach(&b, n);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct span get(struct span obj, const char *key)
{
	struct scan_iter it;
	struct span k, v, r = {NULL, 0};

	scan_iter_init(&it, obj);
	while (scan_iter_next(&it, &k, &v))
		if (scan_key_eq(k, key, strlen(key)))
			r = v;
	return r;
}

static int is_known(const char *name)
{
	for (size_t i = 0; known_failures[i]; i++)
		if (!strcmp(known_failures[i], name))
			return 1;
	return 0;
}

static int total_pass, total_cases, opt_pass, opt_cases, fields_cases, fields_differ;

/* The verdict of schema_check_fields() on an object, the values found as
 * the scanner would (the last of a repeated key). */
static int check_fields(struct schema *s, struct span data)
{
	const char *const *names;
	const size_t *lens;
	size_t n = schema_fields(s, &names, &lens);
	struct span vals[64];
	struct scan_iter it;
	struct span k, v;

	if (!n || n > 64 || scan_kind(data) != SCAN_OBJECT)
		return -1;
	for (size_t i = 0; i < n; i++)
		vals[i] = (struct span){NULL, 0};
	scan_iter_init(&it, data);
	while (scan_iter_next(&it, &k, &v))
		for (size_t i = 0; i < n; i++)
			if (scan_key_eq(k, names[i], lens[i]))
				vals[i] = v;
	return schema_check_fields(s, data, vals, 0);
}

/* Run one file; rel is its name under the suite ("optional/bignum.json"). */
static void run_file(const char *dir, const char *rel, const char *remotes)
{
	char *path;
	const char *prefix[] = {"http://localhost:1234/"};
	const char *dirs[] = {remotes};
	struct schema_opts o = {prefix, dirs, 1, 1, 0};
	size_t n;
	char *text;
	struct scan_err serr;
	struct scan_iter groups;
	struct span k, g;
	int pass = 0, cases = 0, unexpected = 0, optional = !strncmp(rel, "optional/", 9);
	struct buf name = BUF_INIT;

	o.format_annotation = !!strncmp(rel, "optional/format/", 16);
	path = str("%s/%s", dir, rel);
	text = slurp(path, &n);
	free(path);
	if (!text || scan_value(text, n, &serr) < 0) {
		unit_point(0, __FILE__, __LINE__, rel);
		free(text);
		return;
	}
	scan_iter_init(&groups, (struct span){text, n});
	while (scan_iter_next(&groups, &k, &g)) {
		struct span schema = scan_trim(get(g, "schema")), tests = get(g, "tests"), t;
		struct span gd = get(g, "description");
		struct schema_cerr err;
		struct schema *s = schema_load_text(schema.p, schema.n, "urn:etl:suite", &o, &err);
		struct scan_iter ti;

		scan_iter_init(&ti, tests);
		while (scan_iter_next(&ti, &k, &t)) {
			struct span d = get(t, "description"), data = get(t, "data");
			int want = scan_kind(get(t, "valid")) == SCAN_TRUE, got = -1, ok, known;

			if (s)
				got = schema_check(s, data, 0);
			if (s && !optional) {
				int f = check_fields(s, data);

				if (f >= 0) {
					fields_cases++;
					if (f != got) {
						fields_differ++;
						printf("# schema_check_fields differs: %s %.*s\n",
						       rel, (int)d.n, d.p);
					}
				}
			}
			cases++;
			ok = got == want;
			pass += ok;
			buf_reset(&name);
			buf_printf(&name, "%s: %.*s: %.*s", rel, (int)gd.n - 2, gd.p + 1,
				   (int)d.n - 2, d.p + 1);
			known = is_known(name.p);
			if (!ok && !optional)
				printf("# %s %s%s%s\n", known ? "known failure:" : "FAIL:", name.p,
				       s ? "" : " (schema: ", s ? "" : err.msg);
			if (!optional && ok == known)
				unexpected++;
			if (ok == 0 && optional && getenv("ETL_SCHEMA_VERBOSE"))
				printf("# optional fails: %s%s%s\n", name.p,
				       s ? "" : " schema: ", s ? "" : err.msg);
		}
		schema_free(s);
	}
	buf_release(&name);
	free(text);
	if (optional) {
		int floor = 0;

		for (size_t i = 0; optional_floor[i].file; i++)
			if (!strcmp(optional_floor[i].file, rel))
				floor = optional_floor[i].pass;
		opt_pass += pass;
		opt_cases += cases;
		path = str("%s: %d of %d cases pass (at least %d)", rel, pass, cases, floor);
		unit_point(pass >= floor, __FILE__, __LINE__, path);
		free(path);
	} else {
		total_pass += pass;
		total_cases += cases;
		path = str("%s: %d of %d cases pass", rel, pass, cases);
		unit_point(!unexpected, __FILE__, __LINE__, path);
		free(path);
	}
}

static void run_dir(const char *root, const char *sub, const char *remotes)
{
	char *path;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	path = str("%s/%s", root, sub);
	d = opendir(path);
	free(path);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (strlen(e->d_name) > 5 && !strcmp(e->d_name + strlen(e->d_name) - 5, ".json")) {
			names = realloc(names, (n + 1) * sizeof(*names));
			names[n++] = strdup(e->d_name);
		}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		path = str("%s%s", sub, names[i]);
		run_file(root, path, remotes);
		free(path);
		free(names[i]);
	}
	free(names);
}

static void test_suite(void)
{
	const char *td = getenv("ETL_TESTDATA");
	char *root, *remotes;
	DIR *d;

	root = str("%s/JSON-Schema-Test-Suite-draft2020-12", td && *td ? td : "../shared/testdata");
	remotes = str("%s/remotes", root);
	d = opendir(root);
	if (!d) {
		unit_n++;
		printf("ok %d - # SKIP conformance data missing: %s\n", unit_n, root);
		free(root);
		free(remotes);
		return;
	}
	closedir(d);
	run_dir(root, "", remotes);
	printf("# required: %d of %d cases pass\n", total_pass, total_cases);
	{
		char *what = str("schema_check_fields() agrees with schema_check() on the %d cases "
				 "it applies to",
				 fields_cases);

		unit_point(!fields_differ && fields_cases > 50, __FILE__, __LINE__, what);
		free(what);
	}
	run_dir(root, "optional/", remotes);
	run_dir(root, "optional/format/", remotes);
	printf("# optional: %d of %d cases pass\n", opt_pass, opt_cases);
	free(root);
	free(remotes);
}

/* Simple anchored patterns are matched without PCRE2; each verdict here is
 * also PCRE2's (the same pattern with a group, which the simple matcher
 * leaves to PCRE2). */
static void test_simple_patterns(void)
{
	static const struct {
		const char *pat, *val;
		int ok;
	} cases[] = {
		{"^C[0-9]{6}$", "C000123", 1},
		{"^C[0-9]{6}$", "C00012", 0},
		{"^C[0-9]{6}$", "C0001234", 0},
		{"^C[0-9]{6}$", "c000123", 0},
		{"^\\\\d{4}-\\\\d{2}$", "2026-03", 1},
		{"^\\\\d{4}-\\\\d{2}$", "2026-3a", 0},
		{"^[A-Z]+$", "", 0},
		{"^[A-Z]+$", "EUR", 1},
		{"^[A-Z]*$", "", 1},
		{"^[A-Z]*$", "EUr", 0},
		{"^[a-c-]{2}$", "b-", 1},
		{"^[a-c-]{2}$", "d-", 0},
		{"^\\\\.\\\\$x$", ".$x", 1},
		{"^[0-9]{2}$", "\u0661\u0662", 0},
		{"^[0-9]{2}$", "\u00e91", 0},
		{"^.{2}$", "\u00e91", 1},
		{"^a{0}$", "", 1},
		{"^$", "", 1},
		{"^$", "a", 0},
	};
	char schema[256], grouped[256], value[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *p = cases[i].pat;
		size_t n = strlen(p);

		snprintf(schema, sizeof(schema), "{\"pattern\": \"%s\"}", p);
		snprintf(grouped, sizeof(grouped), "{\"pattern\": \"^(?:%.*s)$\"}", (int)(n - 2),
			 p + 1);
		snprintf(value, sizeof(value), "\"%s\"", cases[i].val);
		CHECK(valid(schema, value) == cases[i].ok);
		CHECK(valid(grouped, value) == cases[i].ok);
	}
}

int main(void)
{
	test_exact();
	test_simple_patterns();
	test_errors();
	test_load_errors();
	test_suite();
	return unit_done();
}
