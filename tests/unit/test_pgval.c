/*
 * test_pgval.c - PostgreSQL values as text, without a server: COPY's text
 * format both ways, the server's output reshaped into JSON, and JSON values
 * checked against column types the way the server's input functions would
 * take them (tests/etl-load-pg.bats checks the same against a real server).
 */
#include <stdlib.h>

#include "pgval.h"
#include "unit.h"

/* Type OIDs and typmods as pg_attribute holds them. */
#define INT2 21
#define INT4 23
#define INT8 20
#define NUMERIC 1700
#define FLOAT4 700
#define FLOAT8 701
#define VARCHAR 1043
#define TEXT 25
#define DATE 1082
#define TS 1114
#define TSTZ 1184
#define TIME 1083
#define JSONB 3802
#define BYTEA 17
#define UUID 2950
#define BOOL 16
#define NUMERIC_MOD(p, s) ((((p) << 16) | (s)) + 4)

static const char *to_json(unsigned oid, const char *s)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	pg_text_to_json(&b, pg_kind_of(oid), s, strlen(s));
	buf_addc(&b, '\0');
	return b.p;
}

/* The input text for JSON value json in a column of type oid(typmod), or
 * "ERR: " and the message. */
static const char *to_text_mod(unsigned oid, int typmod, const char *json)
{
	static struct buf b = BUF_INIT;
	static char out[512];
	char err[256];
	struct pg_type t = {oid, typmod, pg_kind_of(oid), 0, PGK_OTHER, -1, "the type"};
	struct span v = {json, strlen(json)};

	buf_reset(&b);
	if (pg_json_to_text(&b, &t, v, err, sizeof(err)) < 0) {
		snprintf(out, sizeof(out), "ERR: %s", err);
		return out;
	}
	snprintf(out, sizeof(out), "%.*s", (int)b.len, b.p ? b.p : "");
	return out;
}

static const char *to_text(unsigned oid, const char *json)
{
	return to_text_mod(oid, -1, json);
}

static const char *array_text(unsigned elem, const char *json)
{
	static struct buf b = BUF_INIT;
	static char out[512];
	char err[256];
	struct pg_type t = {1007, -1, PGK_ARRAY, elem, pg_kind_of(elem), -1, "integer[]"};
	struct span v = {json, strlen(json)};

	buf_reset(&b);
	if (pg_json_to_text(&b, &t, v, err, sizeof(err)) < 0) {
		snprintf(out, sizeof(out), "ERR: %s", err);
		return out;
	}
	snprintf(out, sizeof(out), "%.*s", (int)b.len, b.p);
	return out;
}

static const char *escape(const char *s)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	pg_copy_escape(&b, s, strlen(s));
	buf_addc(&b, '\0');
	return b.p;
}

static const char *unescape(const char *s)
{
	static char out[256];
	size_t n = strlen(s);

	memcpy(out, s, n);
	out[pg_copy_unescape(out, n)] = '\0';
	return out;
}

static int64_t iso_us(const char *s, int *tm, int *zone)
{
	int64_t us = -1;

	if (pg_parse_iso(s, strlen(s), &us, tm, zone) < 0)
		return -1;
	return us;
}

int main(void)
{
	int tm, zone;

	/* COPY text format: the four characters that must be escaped */
	CHECK_STR(escape("plain"), "plain");
	CHECK_STR(escape("a\tb\nc\rd\\e"), "a\\tb\\nc\\rd\\\\e");
	CHECK_STR(unescape("a\\tb\\nc\\rd\\\\e"), "a\tb\nc\rd\\e");
	CHECK_STR(unescape("\\101\\x42C"), "ABC"); /* octal and hex escapes */
	CHECK_STR(unescape(escape("tab\there \\ back")), "tab\there \\ back");

	/* the server's output as JSON */
	CHECK_STR(to_json(INT8, "-9223372036854775808"), "-9223372036854775808");
	CHECK_STR(to_json(NUMERIC, "12345678901234567890.000100"), "12345678901234567890.000100");
	CHECK_STR(to_json(NUMERIC, "NaN"), "\"NaN\"");
	CHECK_STR(to_json(FLOAT8, "-Infinity"), "\"-Infinity\"");
	CHECK_STR(to_json(FLOAT8, "0.1"), "0.1");
	CHECK_STR(to_json(BOOL, "t"), "true");
	CHECK_STR(to_json(BOOL, "f"), "false");
	CHECK_STR(to_json(TSTZ, "2026-11-24 18:30:00.5+00"), "\"2026-11-24T18:30:00.5Z\"");
	CHECK_STR(to_json(TSTZ, "2026-11-24 18:30:00+05:30"), "\"2026-11-24T18:30:00+05:30\"");
	CHECK_STR(to_json(TSTZ, "2026-11-24 18:30:00-08"), "\"2026-11-24T18:30:00-08:00\"");
	CHECK_STR(to_json(TSTZ, "infinity"), "\"infinity\"");
	CHECK_STR(to_json(TS, "2026-11-24 18:30:00"), "\"2026-11-24T18:30:00\"");
	CHECK_STR(to_json(DATE, "2026-11-24"), "\"2026-11-24\"");
	CHECK_STR(to_json(JSONB, "{\"a\": [1, 2], \"b c\": \"x y\"}"),
		  "{\"a\":[1,2],\"b c\":\"x y\"}");
	CHECK_STR(to_json(BYTEA, "\\x666f6f"), "\"Zm9v\"");
	CHECK_STR(to_json(TEXT, "say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
	CHECK_STR(to_json(UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
		  "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");

	/* integers: in range goes through as written, out of range is refused */
	CHECK_STR(to_text(INT4, "2147483647"), "2147483647");
	CHECK_STR(to_text(INT4, "2147483648"), "ERR: \'2147483648\' is out of range for integer");
	CHECK_STR(to_text(INT2, "-32769"), "ERR: \'-32769\' is out of range for smallint");
	CHECK_STR(to_text(INT8, "9223372036854775807"), "9223372036854775807");
	CHECK_STR(to_text(INT8, "9223372036854775808"),
		  "ERR: \'9223372036854775808\' is out of range for bigint");
	CHECK_STR(to_text(INT4, "4.0"), "4"); /* an integral value in any form */
	CHECK_STR(to_text(INT4, "4.5"), "ERR: \'4.5\' is not an integer");
	CHECK_STR(to_text(INT4, "\"12\""), "12");
	CHECK_STR(to_text(INT4, "\"twelve\""), "ERR: \'twelve\' is not an integer");
	CHECK_STR(to_text(INT4, "true"), "ERR: \'true\' is not an integer");

	/* numeric keeps every digit; a typmod that would round is refused */
	CHECK_STR(to_text(NUMERIC, "12345678901234567890.123456789"),
		  "12345678901234567890.123456789");
	CHECK_STR(to_text_mod(NUMERIC, NUMERIC_MOD(12, 2), "41.00"), "41.00");
	CHECK_STR(to_text_mod(NUMERIC, NUMERIC_MOD(12, 2), "41.005"),
		  "ERR: \'41.005\' would be rounded: the type keeps fewer decimal places");
	CHECK_STR(to_text_mod(NUMERIC, NUMERIC_MOD(4, 2), "100.5"),
		  "ERR: \'100.5\' is too large for the type");
	CHECK_STR(to_text(NUMERIC, "\"NaN\""), "NaN");
	CHECK_STR(to_text(NUMERIC, "\"abc\""), "ERR: \'abc\' is not a number");

	/* floats: what overflows or underflows to zero is refused */
	CHECK_STR(to_text(FLOAT8, "1e308"), "1e308");
	CHECK_STR(to_text(FLOAT8, "1e309"), "ERR: \'1e309\' is out of range for the type");
	CHECK_STR(to_text(FLOAT4, "1e39"), "ERR: \'1e39\' is out of range for the type");
	CHECK_STR(to_text(FLOAT8, "\"-Infinity\""), "-Infinity");

	/* booleans: JSON's, and the words PostgreSQL accepts */
	CHECK_STR(to_text(BOOL, "true"), "t");
	CHECK_STR(to_text(BOOL, "\"off\""), "f");
	CHECK_STR(to_text(BOOL, "\"Yes\""), "t");
	CHECK_STR(to_text(BOOL, "1"), "ERR: \'1\' is not a boolean");

	/* text: decoded, length limits in characters, no NUL */
	CHECK_STR(to_text(TEXT, "\"caf\\u00e9\""), "caf\xc3\xa9");
	CHECK_STR(to_text_mod(VARCHAR, 3 + 4, "\"\xc3\xa9\xc3\xa9\xc3\xa9\""),
		  "\xc3\xa9\xc3\xa9\xc3\xa9");
	CHECK_STR(to_text_mod(VARCHAR, 3 + 4, "\"abcd\""),
		  "ERR: \'abcd\' is longer than the type allows");
	CHECK_STR(to_text(TEXT, "\"a\\u0000b\""),
		  "ERR: text cannot hold a NUL character (\\u0000)");
	CHECK_STR(to_text(TEXT, "42"), "42");

	/* dates and times */
	CHECK_STR(to_text(DATE, "\"2026-02-28\""), "2026-02-28");
	CHECK_STR(to_text(DATE, "\"2026-02-29\""),
		  "ERR: \'2026-02-29\' is not an ISO-8601 date (YYYY-MM-DD)");
	CHECK_STR(to_text(DATE, "\"2026-02-28T10:00:00Z\""),
		  "ERR: \'2026-02-28T10:00:00Z\' is not an ISO-8601 date (YYYY-MM-DD)");
	CHECK_STR(to_text(TSTZ, "\"2026-11-24T18:30:00.123456+05:30\""),
		  "2026-11-24T18:30:00.123456+05:30");
	CHECK_STR(to_text(TS, "\"2026-11-24T18:30:00+05:30\""),
		  "ERR: \'2026-11-24T18:30:00+05:30\' has a time zone offset that timestamp "
		  "without time zone would drop");
	CHECK_STR(to_text(TS, "\"2026-11-24T18:30:00Z\""), "2026-11-24T18:30:00Z");
	CHECK_STR(to_text(TIME, "\"18:30:05\""), "18:30:05");
	CHECK_STR(to_text(TIME, "\"25:00:00\""),
		  "ERR: \'25:00:00\' is not an ISO-8601 time (HH:MM:SS)");
	CHECK_STR(to_text(TSTZ, "20261124"), "ERR: \'20261124\' is not an ISO-8601 date and time "
					     "(YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+HH:MM])");

	/* json, bytea, uuid */
	CHECK_STR(to_text(JSONB, "{\"a\":[1,2.50]}"), "{\"a\":[1,2.50]}");
	CHECK_STR(to_text(JSONB, "\"a\\u0000\""), "ERR: jsonb cannot hold \\u0000 in a string");
	CHECK_STR(to_text(BYTEA, "\"Zm9v\""), "\\x666f6f");
	CHECK(!strncmp(to_text(BYTEA, "\"Zm9\""), "ERR: ", 5));
	CHECK_STR(to_text(UUID, "\"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11\""),
		  "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11");
	CHECK_STR(to_text(UUID, "\"a0eebc99\""), "ERR: \'a0eebc99\' is not a UUID");

	/* arrays: JSON arrays become array literals, checked element by element */
	CHECK_STR(array_text(INT4, "[1,2,null]"), "{\"1\",\"2\",NULL}");
	CHECK_STR(array_text(INT4, "[[1,2],[3,4]]"), "{{\"1\",\"2\"},{\"3\",\"4\"}}");
	CHECK_STR(array_text(INT4, "[[1,2],[3]]"),
		  "ERR: a multidimensional array needs sub-arrays of equal lengths");
	CHECK_STR(array_text(INT4, "[1,[2]]"), "ERR: an array mixes sub-arrays and values");
	CHECK_STR(array_text(INT4, "[1,99999999999]"),
		  "ERR: \'99999999999\' is out of range for integer");
	CHECK_STR(array_text(TEXT, "[\"a\\\"b\",\"c\\\\d\"]"), "{\"a\\\"b\",\"c\\\\d\"}");
	CHECK_STR(array_text(INT4, "5"), "ERR: expected an array for integer[]");

	/* ISO-8601 instants: microseconds since the epoch, UTC */
	CHECK(iso_us("1970-01-01", &tm, &zone) == 0 && !tm && !zone);
	CHECK(iso_us("1970-01-01T00:00:01.5Z", &tm, &zone) == 1500000 && tm && zone == 1);
	CHECK(iso_us("1970-01-01 01:00:00+01:00", &tm, &zone) == 0 && zone == 2);
	CHECK(iso_us("2000-02-29T00:00:00", &tm, &zone) == 951782400LL * 1000000);
	CHECK(iso_us("1900-02-29", &tm, &zone) == -1);
	CHECK(iso_us("2026-11-24T18:30", &tm, &zone) != -1);
	CHECK(iso_us("2026-11-24T", &tm, &zone) == -1);
	CHECK(iso_us("2026-11-24T18:30:00.1234567", &tm, &zone) == -1);
	/* PostgreSQL has no year 0000: 0001 is the first, the year before is 1 BC */
	CHECK(iso_us("0001-01-01", &tm, &zone) != -1);
	CHECK(iso_us("0000-01-01", &tm, &zone) == -1);
	CHECK(iso_us("0000-12-31T23:59:59Z", &tm, &zone) == -1);
	CHECK_STR(to_text(DATE, "\"0000-02-29\""),
		  "ERR: '0000-02-29' is not an ISO-8601 date (YYYY-MM-DD)");
	CHECK_STR(to_text(DATE, "\"0001-01-01\""), "0001-01-01");
	return unit_done();
}
