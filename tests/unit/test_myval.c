/*
 * test_myval.c - MySQL and MariaDB values as JSON, without a server: the
 * kind of each column type, the text the server sends reshaped into JSON
 * (ZEROFILL, FLOAT widened to DOUBLE, BIT, base64, dates and times, JSON),
 * watermarks in the server's DATETIME form, and the exit status of each
 * kind of failure (tests/etl-extract-mysql.bats checks the same against a
 * real server).
 */
#include <stdlib.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "die.h"
#include "my.h"
#include "myval.h"
#include "unit.h"

static const char *js(enum my_kind k, const char *s, size_t n)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	if (my_text_to_json(&b, k, s, n) < 0)
		return "(refused)";
	buf_addc(&b, '\0');
	return b.p;
}

#define J(k, s) js(k, s, sizeof(s) - 1)

static const char *wm(const char *s, int timestamp)
{
	static struct buf b = BUF_INIT;
	static char err[128];

	buf_reset(&b);
	if (my_iso_to_datetime(&b, s, timestamp, err, sizeof(err)) < 0)
		return err;
	buf_addc(&b, '\0');
	return b.p;
}

static const char *fl(float f)
{
	static char buf[32];

	if (!my_float_shortest(f, buf))
		return "(none)";
	return buf;
}

int main(void)
{
	/* kinds */
	CHECK(my_kind_of(MYSQL_TYPE_LONGLONG, UNSIGNED_FLAG, 63, 0) == MYK_INT);
	CHECK(my_kind_of(MYSQL_TYPE_YEAR, 0, 63, 0) == MYK_INT);
	CHECK(my_kind_of(MYSQL_TYPE_NEWDECIMAL, 0, 63, 0) == MYK_DECIMAL);
	CHECK(my_kind_of(MYSQL_TYPE_FLOAT, 0, 63, 0) == MYK_FLOAT);
	CHECK(my_kind_of(MYSQL_TYPE_DOUBLE, 0, 63, 0) == MYK_DOUBLE);
	CHECK(my_kind_of(MYSQL_TYPE_BIT, 0, 63, 0) == MYK_BIT);
	CHECK(my_kind_of(MYSQL_TYPE_TIMESTAMP, 0, 63, 0) == MYK_TIMESTAMP);
	CHECK(my_kind_of(MYSQL_TYPE_DATETIME, 0, 63, 0) == MYK_DATETIME);
	CHECK(my_kind_of(MYSQL_TYPE_DATE, 0, 63, 0) == MYK_DATE);
	CHECK(my_kind_of(MYSQL_TYPE_TIME, 0, 63, 0) == MYK_TIME);
	CHECK(my_kind_of(MYSQL_TYPE_JSON, 0, 45, 0) == MYK_JSON);
	CHECK(my_kind_of(MYSQL_TYPE_BLOB, BLOB_FLAG, 45, 1) == MYK_JSON);
	CHECK(my_kind_of(MYSQL_TYPE_BLOB, BLOB_FLAG, 63, 0) == MYK_BINARY);
	CHECK(my_kind_of(MYSQL_TYPE_BLOB, BLOB_FLAG, 45, 0) == MYK_TEXT);
	CHECK(my_kind_of(MYSQL_TYPE_STRING, ENUM_FLAG, 45, 0) == MYK_TEXT);
	CHECK(my_kind_of(MYSQL_TYPE_VAR_STRING, 0, 63, 0) == MYK_BINARY);
	CHECK(my_kind_of(MYSQL_TYPE_GEOMETRY, 0, 63, 0) == MYK_BINARY);
	CHECK_STR(my_type_name(MYSQL_TYPE_LONGLONG, UNSIGNED_FLAG, 63), "bigint unsigned");
	CHECK_STR(my_type_name(MYSQL_TYPE_STRING, SET_FLAG, 45), "set");
	CHECK_STR(my_type_name(MYSQL_TYPE_VAR_STRING, 0, 45), "varchar");

	/* integers and decimals: every digit, no ZEROFILL padding */
	CHECK_STR(J(MYK_INT, "18446744073709551615"), "18446744073709551615");
	CHECK_STR(J(MYK_INT, "-9223372036854775808"), "-9223372036854775808");
	CHECK_STR(J(MYK_INT, "00042"), "42");
	CHECK_STR(J(MYK_INT, "0000"), "0");
	CHECK_STR(J(MYK_INT, "0"), "0");
	CHECK_STR(J(MYK_DECIMAL, "000012.50"), "12.50");
	CHECK_STR(J(MYK_DECIMAL, "000000.00"), "0.00");
	CHECK_STR(J(MYK_DECIMAL, "-0.0000000001"), "-0.0000000001");
	CHECK_STR(J(MYK_DECIMAL, "123456789012345678901234567890.1234567890"),
		  "123456789012345678901234567890.1234567890");
	/* what is not a JSON number stays text */
	CHECK_STR(J(MYK_INT, "12a"), "\"12a\"");
	CHECK_STR(J(MYK_DECIMAL, ".5"), "\".5\"");
	CHECK_STR(J(MYK_DECIMAL, ""), "\"\"");
	CHECK_STR(J(MYK_INT, "-"), "\"-\"");

	/* doubles shortest; FLOATs arrive widened and print as floats */
	CHECK_STR(J(MYK_DOUBLE, "0.30000000000000004"), "0.30000000000000004");
	CHECK_STR(J(MYK_DOUBLE, "0.0000001"), "1e-7");
	CHECK_STR(J(MYK_DOUBLE, "1e300"), "1e+300");
	CHECK_STR(J(MYK_DOUBLE, "1.7976931348623157e308"), "1.7976931348623157e+308");
	CHECK_STR(J(MYK_DOUBLE, "inf"), "\"inf\"");
	CHECK_STR(J(MYK_FLOAT, "3.1415927410125732"), "3.1415927");
	CHECK_STR(J(MYK_FLOAT, "0.10000000149011612"), "0.1");
	CHECK_STR(J(MYK_FLOAT, "16777216"), "16777216");
	CHECK_STR(J(MYK_FLOAT, "1.1754943508222875e-38"), "1.1754944e-38");
	/* a FLOAT the server did not widen: its own text */
	CHECK_STR(J(MYK_FLOAT, "3.14159"), "3.14159");
	CHECK_STR(fl(3.4028235e38f), "3.4028235e+38");
	CHECK_STR(fl(-0.0f), "-0");
	CHECK_STR(fl(1e-45f), "1e-45");

	/* BIT: its bytes as an unsigned number */
	CHECK_STR(js(MYK_BIT, "\x0a\xaa", 2), "2730");
	CHECK_STR(js(MYK_BIT, "", 0), "0");
	CHECK_STR(js(MYK_BIT, "\xff\xff\xff\xff\xff\xff\xff\xff", 8), "18446744073709551615");

	/* binary: base64 */
	CHECK_STR(js(MYK_BINARY, "\x00\xff\x10\x20", 4), "\"AP8QIA==\"");
	CHECK_STR(js(MYK_BINARY, "", 0), "\"\"");

	/* dates and times */
	CHECK_STR(J(MYK_DATE, "2026-11-24"), "\"2026-11-24\"");
	CHECK_STR(J(MYK_DATETIME, "2026-11-24 18:30:00"), "\"2026-11-24T18:30:00\"");
	CHECK_STR(J(MYK_DATETIME, "2026-11-24 18:30:00.123450"), "\"2026-11-24T18:30:00.12345\"");
	CHECK_STR(J(MYK_TIMESTAMP, "2026-11-24 18:30:00.500"), "\"2026-11-24T18:30:00.5Z\"");
	CHECK_STR(J(MYK_TIMESTAMP, "1970-01-01 00:00:01.000"), "\"1970-01-01T00:00:01Z\"");
	CHECK_STR(J(MYK_DATETIME, "0000-00-00 00:00:00"), "\"0000-00-00 00:00:00\"");
	CHECK_STR(J(MYK_TIMESTAMP, "2026-00-24 18:30:00"), "\"2026-00-24 18:30:00\"");
	CHECK_STR(J(MYK_DATETIME, "2026-11-24 18:30"), "\"2026-11-24 18:30\"");
	CHECK_STR(J(MYK_TIME, "-838:59:59.500"), "\"-838:59:59.5\"");
	CHECK_STR(J(MYK_TIME, "00:00:00.000"), "\"00:00:00\"");
	CHECK_STR(J(MYK_TIME, "12:00:10"), "\"12:00:10\"");

	/* text and JSON */
	CHECK_STR(J(MYK_TEXT, "a \"q\"\n\\"), "\"a \\\"q\\\"\\n\\\\\"");
	CHECK_STR(J(MYK_TEXT, "\xff"), "(refused)");
	CHECK_STR(J(MYK_JSON, "{\"b\": [1, 2.50, \"x\"],\n \"a\": null}"),
		  "{\"b\":[1,2.50,\"x\"],\"a\":null}");
	CHECK_STR(J(MYK_JSON, "{\"a\":"), "(refused)");
	CHECK_STR(J(MYK_JSON, "nul"), "(refused)");

	/* watermarks */
	CHECK_STR(wm("2026-11-24T18:30:00Z", 1), "2026-11-24 18:30:00.000000");
	CHECK_STR(wm("2026-11-24T19:30:00.25+01:00", 1), "2026-11-24 18:30:00.250000");
	CHECK_STR(wm("2026-11-24 18:30", 1), "2026-11-24 18:30:00.000000");
	CHECK_STR(wm("2026-11-24", 0), "2026-11-24 00:00:00.000000");
	CHECK_STR(wm("2026-11-24T18:30:00.123456", 0), "2026-11-24 18:30:00.123456");
	CHECK_STR(wm("2026-11-24T18:30:00Z", 0),
		  "a datetime has no time zone, and the value has one");
	CHECK_STR(wm("2026-11-24T18:30:00-05:00", 0),
		  "a datetime has no time zone, and the value has one");
	CHECK_STR(wm("yesterday", 1), "not an ISO-8601 date and time");
	CHECK_STR(wm("0000-01-01T00:30:00+01:00", 1), "out of range in UTC");

	/* exit statuses */
	CHECK(my_exit_status(ER_NO_SUCH_TABLE, "42S02") == ETL_EXIT_UNAVAIL);
	CHECK(my_exit_status(ER_ACCESS_DENIED_ERROR, "28000") == ETL_EXIT_UNAVAIL);
	CHECK(my_exit_status(ER_TABLEACCESS_DENIED_ERROR, "42000") == ETL_EXIT_UNAVAIL);
	CHECK(my_exit_status(ER_BAD_DB_ERROR, "42000") == ETL_EXIT_UNAVAIL);
	CHECK(my_exit_status(ER_PARSE_ERROR, "42000") == ETL_EXIT_USAGE);
	CHECK(my_exit_status(ER_NO_DB_ERROR, "3D000") == ETL_EXIT_USAGE);
	CHECK(my_exit_status(CR_CONNECTION_ERROR, "HY000") == ETL_EXIT_TEMPFAIL);
	CHECK(my_exit_status(CR_SERVER_LOST, "HY000") == ETL_EXIT_TEMPFAIL);
	CHECK(my_exit_status(ER_CON_COUNT_ERROR, "08004") == ETL_EXIT_TEMPFAIL);
	CHECK(my_exit_status(ER_LOCK_DEADLOCK, "40001") == ETL_EXIT_TEMPFAIL);
	CHECK(my_exit_status(ER_DATA_OUT_OF_RANGE, "22003") == ETL_EXIT_DATA);
	CHECK(my_exit_status(ER_WRONG_VALUE_COUNT_ON_ROW, "21S01") == ETL_EXIT_UNAVAIL);
	return unit_done();
}
