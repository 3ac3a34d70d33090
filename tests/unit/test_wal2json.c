/*
 * test_wal2json.c - unit tests of common/wal2json.h and of the array
 * literals of pg_array_text_to_json() (pgval.h) that it relies on.
 *
 * What is proved: LSNs read and print in PostgreSQL's "X/Y" form and
 * malformed ones are refused; each action of format version 2 parses with
 * its fields, and a message without what its action needs is refused with
 * a message; columns iterate with their name, type OID and raw value; each
 * kind of value takes the JSON form of a plain extract (numbers and
 * booleans as they come, strings through pg_text_to_json(), bytea's bare
 * hex as base64, arrays nested, quoted, with NULLs and bounds), and a value
 * of the wrong shape is refused.
 */
#include "wal2json.h"

#include <string.h>

#include "unit.h"

#include "banned.h"

static int parse(const char *s, struct w2j_msg *m, const char **err)
{
	return w2j_parse(s, strlen(s), m, err);
}

static const char *value(enum pg_kind k, enum pg_kind elem, const char *v)
{
	static struct buf b = BUF_INIT, tmp[2] = {BUF_INIT, BUF_INIT};
	struct span sp = {v, strlen(v)};
	const char *err = NULL;

	buf_reset(&b);
	if (w2j_value_json(&b, k, elem, sp, tmp, &err) < 0)
		return err ? "ERR" : "ERR without message";
	return b.p ? b.p : "";
}

static const char *array(enum pg_kind elem, const char *lit)
{
	static struct buf b = BUF_INIT, tmp = BUF_INIT;

	buf_reset(&b);
	buf_adds(&b, "<");
	if (pg_array_text_to_json(&b, elem, lit, strlen(lit), &tmp) < 0)
		return strcmp(b.p, "<") ? "ERR, b changed" : "ERR";
	return b.p;
}

int main(void)
{
	struct w2j_msg m;
	struct w2j_col c;
	struct scan_iter it;
	const char *err = NULL;
	uint64_t lsn = 0;
	struct buf b = BUF_INIT;

	CHECK(w2j_lsn_parse("0/16B3748", 9, &lsn) == 0 && lsn == 0x16B3748);
	CHECK(w2j_lsn_parse("1A/0000000F", 11, &lsn) == 0 && lsn == (0x1AULL << 32 | 15));
	CHECK(w2j_lsn_parse("0/", 2, &lsn) == -1);
	CHECK(w2j_lsn_parse("/1", 2, &lsn) == -1);
	CHECK(w2j_lsn_parse("12", 2, &lsn) == -1);
	CHECK(w2j_lsn_parse("0/1/2", 5, &lsn) == -1);
	CHECK(w2j_lsn_parse("0/123456789", 11, &lsn) == -1);
	CHECK(w2j_lsn_parse("0/g", 3, &lsn) == -1);
	w2j_lsn_format(&b, 0x1AULL << 32 | 0xB374D848);
	CHECK_STR(b.p, "1A/B374D848");

	CHECK(parse("{\"action\":\"B\",\"timestamp\":\"2026-11-24 18:30:00+00\",\"lsn\":\"0/1517B88\","
		    "\"nextlsn\":\"0/1517BB8\"}",
		    &m, &err) == 0);
	CHECK(m.action == 'B' && m.lsn == 0x1517B88 && m.nextlsn == 0x1517BB8);
	CHECK(m.timestamp.n == 24);
	CHECK(parse("{\"action\":\"I\",\"schema\":\"public\",\"table\":\"t\",\"columns\":"
		    "[{\"name\":\"id\",\"type\":\"integer\",\"typeoid\":23,\"value\":1},"
		    "{\"name\":\"n\\u00e9\",\"typeoid\":25,\"value\":null}]}",
		    &m, &err) == 0);
	CHECK(m.action == 'I' && m.columns.p && !m.identity.p);
	scan_iter_init(&it, m.columns);
	CHECK(w2j_col_next(&it, &c, &err) == 1);
	CHECK(c.typeoid == 23 && c.name.n == 4 && c.value.n == 1 && c.value.p[0] == '1');
	CHECK(w2j_col_next(&it, &c, &err) == 1);
	CHECK(c.typeoid == 25 && c.value.n == 4);
	CHECK(w2j_col_next(&it, &c, &err) == 0);
	CHECK(parse("{\"action\":\"D\",\"schema\":\"s\",\"table\":\"t\",\"identity\":[]}", &m,
		    &err) == 0);

	/* a key written with an escape is the same key */
	CHECK(parse("{\"\\u0061ction\":\"B\",\"ls\\u006e\":\"0/1\"}", &m, &err) == 0);
	CHECK(m.action == 'B' && m.lsn == 1);

	/* what each action needs */
	CHECK(parse("{\"action\":\"D\",\"schema\":\"s\",\"table\":\"t\"}", &m, &err) == -1);
	CHECK_STR(err, "a delete without identity");
	CHECK(parse("{\"action\":\"I\",\"table\":\"t\",\"columns\":[]}", &m, &err) == -1);
	CHECK_STR(err, "a change without its schema and table");
	CHECK(parse("{\"action\":\"U\",\"schema\":\"s\",\"table\":\"t\"}", &m, &err) == -1);
	CHECK(parse("{\"action\":\"X\"}", &m, &err) == -1);
	CHECK_STR(err, "unknown action");
	CHECK(parse("{\"action\":\"BB\"}", &m, &err) == -1);
	CHECK(parse("{\"lsn\":\"0/1\"}", &m, &err) == -1);
	CHECK_STR(err, "no action");
	CHECK(parse("{\"action\":\"B\",\"lsn\":\"zz\"}", &m, &err) == -1);
	CHECK(parse("{\"action\":\"B\",\"lsn\":5}", &m, &err) == -1);
	CHECK(parse("{\"action\":\"I\",\"schema\":\"s\",\"table\":\"t\",\"columns\":{}}", &m,
		    &err) == -1);
	CHECK(parse("[1]", &m, &err) == -1);
	CHECK(parse("{\"action\":", &m, &err) == -1);

	/* columns of the wrong shape */
	CHECK(parse("{\"action\":\"I\",\"schema\":\"s\",\"table\":\"t\",\"columns\":[1]}", &m,
		    &err) == 0);
	scan_iter_init(&it, m.columns);
	CHECK(w2j_col_next(&it, &c, &err) == -1);
	CHECK(parse("{\"action\":\"I\",\"schema\":\"s\",\"table\":\"t\",\"columns\":"
		    "[{\"name\":\"a\",\"typeoid\":-1,\"value\":1}]}",
		    &m, &err) == 0);
	scan_iter_init(&it, m.columns);
	CHECK(w2j_col_next(&it, &c, &err) == -1);
	CHECK(parse("{\"action\":\"I\",\"schema\":\"s\",\"table\":\"t\",\"columns\":"
		    "[{\"name\":\"a\",\"typeoid\":99999999999,\"value\":1}]}",
		    &m, &err) == 0);
	scan_iter_init(&it, m.columns);
	CHECK(w2j_col_next(&it, &c, &err) == -1);
	CHECK(parse("{\"action\":\"I\",\"schema\":\"s\",\"table\":\"t\",\"columns\":"
		    "[{\"name\":\"a\"}]}",
		    &m, &err) == 0);
	scan_iter_init(&it, m.columns);
	CHECK(w2j_col_next(&it, &c, &err) == -1);
	CHECK_STR(err, "a column without its name or value");

	/* values */
	CHECK_STR(value(PGK_INT, PGK_OTHER, "9223372036854775807"), "9223372036854775807");
	CHECK_STR(value(PGK_NUMERIC, PGK_OTHER, "19.90"), "19.90");
	CHECK_STR(value(PGK_NUMERIC, PGK_OTHER, "\"NaN\""), "\"NaN\"");
	CHECK_STR(value(PGK_BOOL, PGK_OTHER, "true"), "true");
	CHECK_STR(value(PGK_TEXT, PGK_OTHER, "null"), "null");
	CHECK_STR(value(PGK_TEXT, PGK_OTHER, "\"he\\\"llo\\u00e9\""), "\"he\\\"lloé\"");
	CHECK_STR(value(PGK_TSTZ, PGK_OTHER, "\"2026-11-24 18:30:00.5+00\""),
		  "\"2026-11-24T18:30:00.5Z\"");
	CHECK_STR(value(PGK_JSONB, PGK_OTHER, "\"{\\\"a\\\": [1, 2]}\""), "{\"a\":[1,2]}");
	CHECK_STR(value(PGK_BYTEA, PGK_OTHER, "\"00ff10\""), "\"AP8Q\"");
	CHECK_STR(value(PGK_ARRAY, PGK_INT, "\"{1,NULL,3}\""), "[1,null,3]");
	CHECK_STR(value(PGK_INT, PGK_OTHER, "true"), "ERR");
	CHECK_STR(value(PGK_TEXT, PGK_OTHER, "12"), "ERR");
	CHECK_STR(value(PGK_TEXT, PGK_OTHER, "[1]"), "ERR");
	CHECK_STR(value(PGK_ARRAY, PGK_INT, "\"{1,\""), "ERR");
	CHECK_STR(value(PGK_INT, PGK_OTHER, "\"12x\""), "ERR");
	CHECK_STR(value(PGK_JSON, PGK_OTHER, "\"{\""), "ERR");
	CHECK_STR(value(PGK_ARRAY, PGK_INT, "\"{1x}\""), "ERR");
	CHECK_STR(value(PGK_NUMERIC, PGK_OTHER, "\"Infinity\""), "\"Infinity\"");

	/* arrays */
	CHECK_STR(array(PGK_INT, "{}"), "<[]");
	CHECK_STR(array(PGK_INT, "{{1,2},{3,4}}"), "<[[1,2],[3,4]]");
	CHECK_STR(array(PGK_TEXT, "{\"a b\",\"c\\\"d\",NULL,\"NULL\", x }"),
		  "<[\"a b\",\"c\\\"d\",null,\"NULL\",\"x\"]");
	CHECK_STR(array(PGK_TEXT, "{a\\,b}"), "<[\"a,b\"]");
	CHECK_STR(array(PGK_INT, "[0:1]={7,8}"), "<[7,8]");
	CHECK_STR(array(PGK_TSTZ, "{\"2026-11-24 18:30:00+00\"}"),
		  "<[\"2026-11-24T18:30:00+00:00\"]");
	CHECK_STR(array(PGK_JSONB, "{\"{\\\"a\\\": 1}\"}"), "<[{\"a\":1}]");
	CHECK_STR(array(PGK_INT, "{1,2"), "ERR");
	CHECK_STR(array(PGK_INT, "{1,2}x"), "ERR");
	CHECK_STR(array(PGK_INT, "{1,,2}"), "ERR");
	CHECK_STR(array(PGK_INT, "{\"1}"), "ERR");
	CHECK_STR(array(PGK_INT, "1,2"), "ERR");
	CHECK_STR(array(PGK_INT, "[1:2]{1,2}"), "ERR");
	CHECK_STR(array(PGK_INT, "{{{{{{{{1}}}}}}}}"), "ERR");

	buf_release(&b);
	return unit_done();
}
