/*
 * test_cast.c - the conversion rules of cast.h, type by type: text (a CSV
 * field, a string's content) and JSON values of every kind, what each
 * gives or why it is refused; text already in a type's written form comes
 * back byte for byte; a refused value leaves the output unchanged.
 */
#include <stdlib.h>

#include "cast.h"
#include "decimal.h"
#include "jsonw.h"
#include "scan.h"
#include "unit.h"

/* cast_text of s to the type named tname: the JSON text, or "! REASON". */
static const char *text(const char *tname, const char *s)
{
	static struct buf out = BUF_INIT;
	const char *why;
	int t = cast_type_parse(tname, strlen(tname));

	buf_reset(&out);
	buf_adds(&out, "");
	why = cast_text(&out, t, s, strlen(s));
	if (why) {
		if (out.len)
			return "(output written although refused)";
		buf_printf(&out, "! %s", why);
	}
	return out.p;
}

/* cast_json of the raw JSON value v. */
static const char *json(const char *tname, const char *v)
{
	static struct buf out = BUF_INIT, tmp = BUF_INIT;
	const char *why;
	int t = cast_type_parse(tname, strlen(tname));

	buf_reset(&out);
	buf_adds(&out, "");
	why = cast_json(&out, t, (struct span){v, strlen(v)}, &tmp);
	if (why) {
		if (out.len)
			return "(output written although refused)";
		buf_printf(&out, "! %s", why);
	}
	return out.p;
}

static void test_names(void)
{
	CHECK(cast_type_parse("int", 3) == CAST_INT);
	CHECK(cast_type_parse("timestamp", 9) == CAST_TIMESTAMP);
	CHECK(cast_type_parse("json", 4) == CAST_JSON);
	CHECK(cast_type_parse("integer", 7) == -1);
	CHECK(cast_type_parse("in", 2) == -1);
	CHECK_STR(cast_type_name(CAST_DECIMAL), "decimal");
	CHECK_STR(cast_expects(CAST_INT), "an int");
	CHECK_STR(cast_expects(CAST_DATE), "a date (YYYY-MM-DD)");
	/* the list names every type, in order */
	{
		struct buf b = BUF_INIT;

		for (int t = 0; t < CAST_NTYPES; t++)
			buf_printf(&b, "%s%s",
				   t == 0                 ? ""
				   : t + 1 == CAST_NTYPES ? " or "
							  : ", ",
				   cast_type_name(t));
		CHECK_STR(b.p, CAST_TYPE_LIST);
		buf_release(&b);
	}
}

static void test_int(void)
{
	CHECK_STR(text("int", "42"), "42");
	CHECK_STR(text("int", "-12"), "-12");
	CHECK_STR(text("int", "+007"), "7");
	CHECK_STR(text("int", "-0"), "0");
	CHECK_STR(text("int", "-000"), "0");
	CHECK_STR(text("int", "7.0"), "7");
	CHECK_STR(text("int", "7.000"), "7");
	CHECK_STR(text("int", "1e2"), "100");
	CHECK_STR(text("int", "1.5E1"), "15");
	CHECK_STR(text("int", "-2.50e1"), "-25");
	CHECK_STR(text("int", "7.5"), "! not an integer");
	CHECK_STR(text("int", "1e-1"), "! not an integer");
	CHECK_STR(text("int", "12a"), "! not a number");
	CHECK_STR(text("int", "+"), "! not a number");
	CHECK_STR(text("int", " 5"), "! not a number");
	CHECK_STR(text("int", "5 "), "! not a number");
	CHECK_STR(text("int", ".5"), "! not a number");
	CHECK_STR(text("int", ""), "! not a number");
	CHECK_STR(text("int", "0x10"), "! not a number");
	/* any size, digits kept */
	CHECK_STR(text("int", "12345678901234567890123456789012345678901234567890"),
		  "12345678901234567890123456789012345678901234567890");
	CHECK_STR(text("int", "0012345678901234567890123456789012345678901234567890"),
		  "12345678901234567890123456789012345678901234567890");
	CHECK_STR(text("int", "-12345678901234567890123456789012345678901234567890.000"),
		  "-12345678901234567890123456789012345678901234567890");
	CHECK_STR(text("int", "12345678901234567890123456789012345678901234567890.5"),
		  "! not an integer");
	CHECK_STR(text("int", "-0.000000000000000000000000000000000000000000000"), "0");
	CHECK_STR(text("int", "1e50"), "! too many digits for an exact integer");
}

static void test_decimal(void)
{
	CHECK_STR(text("decimal", "2.50"), "2.50");
	CHECK_STR(text("decimal", "+007.5"), "7.5");
	CHECK_STR(text("decimal", "1.5e2"), "150");
	CHECK_STR(text("decimal", "1e-3"), "0.001");
	CHECK_STR(text("decimal", "-0.00"), "0.00");
	CHECK_STR(text("decimal", "-0"), "0");
	CHECK_STR(text("decimal", "0.1000"), "0.1000");
	CHECK_STR(text("decimal", "-19.990"), "-19.990");
	CHECK_STR(text("decimal", ".5"), "! not a number");
	CHECK_STR(text("decimal", "5."), "! not a number");
	CHECK_STR(text("decimal", "1,5"), "! not a number");
	CHECK_STR(text("decimal", "1e"), "! not a number");
	CHECK_STR(text("decimal", "NaN"), "! not a number");
	CHECK_STR(text("decimal", "-12345678901234567890123456789012345678901.5"),
		  "-12345678901234567890123456789012345678901.5");
	CHECK_STR(text("decimal", "+00.000000000000000000000000000000000000000000001"),
		  "0.000000000000000000000000000000000000000000001");
	CHECK_STR(text("decimal", "-00.0"), "0.0");
	CHECK_STR(text("decimal", "1e400"), "! too many digits for an exact decimal");
	CHECK_STR(text("decimal", "1e-50"), "! too many digits for an exact decimal");
}

static void test_float(void)
{
	CHECK_STR(text("float", "0.10"), "0.1");
	CHECK_STR(text("float", "+1e3"), "1000");
	CHECK_STR(text("float", "-2.5E-3"), "-0.0025");
	CHECK_STR(text("float", "0.30000000000000004"), "0.30000000000000004");
	CHECK_STR(text("float", "123456789012345678901234567890"), "1.2345678901234568e+29");
	CHECK_STR(text("float", "1e400"), "! out of range for a float");
	CHECK_STR(text("float", "inf"), "! not a number");
	CHECK_STR(text("float", "0x1p3"), "! not a number");
}

static void test_bool(void)
{
	CHECK_STR(text("bool", "true"), "true");
	CHECK_STR(text("bool", "FALSE"), "false");
	CHECK_STR(text("bool", "Yes"), "true");
	CHECK_STR(text("bool", "no"), "false");
	CHECK_STR(text("bool", "1"), "true");
	CHECK_STR(text("bool", "0"), "false");
	CHECK_STR(text("bool", "maybe"), "! not a bool (true/false, yes/no, 1/0)");
	CHECK_STR(text("bool", "2"), "! not a bool (true/false, yes/no, 1/0)");
	CHECK_STR(text("bool", "tru"), "! not a bool (true/false, yes/no, 1/0)");
}

static void test_dates_and_times(void)
{
	CHECK_STR(text("date", "2026-11-24"), "\"2026-11-24\"");
	CHECK_STR(text("date", "2024-02-29"), "\"2024-02-29\"");
	CHECK_STR(text("date", "2026-02-29"), "! not a date");
	CHECK_STR(text("date", "1900-02-29"), "! not a date");
	CHECK_STR(text("date", "2026-13-01"), "! not a date");
	CHECK_STR(text("date", "2026-1-01"), "! not a date");
	CHECK_STR(text("date", "20261124"), "! not a date");
	/* a timestamp's date as written, at its own offset */
	CHECK_STR(text("date", "2026-11-24T23:30:00-05:00"), "\"2026-11-24\"");
	CHECK_STR(text("date", "2026-11-24 01:00"), "\"2026-11-24\"");

	/* the written form is kept as it is */
	CHECK_STR(text("timestamp", "2026-11-24T18:30:00Z"), "\"2026-11-24T18:30:00Z\"");
	CHECK_STR(text("timestamp", "2026-11-24T18:30:00.123+01:00"),
		  "\"2026-11-24T18:30:00.123+01:00\"");
	CHECK_STR(text("timestamp", "2026-11-24T18:30:00.123456789-05:30"),
		  "\"2026-11-24T18:30:00.123456789-05:30\"");
	CHECK_STR(text("timestamp", "2026-11-24T18:30:00+00:00"), "\"2026-11-24T18:30:00+00:00\"");
	/* other forms are completed */
	CHECK_STR(text("timestamp", "2026-11-24 18:30:00"), "\"2026-11-24T18:30:00Z\"");
	CHECK_STR(text("timestamp", "2026-11-24 18:30"), "\"2026-11-24T18:30:00Z\"");
	CHECK_STR(text("timestamp", "2026-11-24T18:30Z"), "\"2026-11-24T18:30:00Z\"");
	CHECK_STR(text("timestamp", "2026-11-24t18:30:00z"), "\"2026-11-24T18:30:00Z\"");
	CHECK_STR(text("timestamp", "2026-11-24"), "\"2026-11-24T00:00:00Z\"");
	CHECK_STR(text("timestamp", "2026-11-24 18:30:00,5+0100"),
		  "\"2026-11-24T18:30:00.5+01:00\"");
	CHECK_STR(text("timestamp", "2026-11-24T18:30:00.123456789+05"),
		  "\"2026-11-24T18:30:00.123456789+05:00\"");
	CHECK_STR(text("timestamp", "2026-11-24T18:30-0330"), "\"2026-11-24T18:30:00-03:30\"");
	/* refused */
	CHECK_STR(text("timestamp", "2026-11-24T24:00:00Z"), "! not a timestamp");
	CHECK_STR(text("timestamp", "2026-11-24T18:30:00+1:00"), "! not a timestamp");
	CHECK_STR(text("timestamp", "2026-02-30T00:00:00Z"), "! not a timestamp");
	CHECK_STR(text("timestamp", "2026-11-24T18:30:00.Z"), "! not a timestamp");
	CHECK_STR(text("timestamp", "2026-11-24T18:30:60Z"), "! not a timestamp");
	CHECK_STR(text("timestamp", "2026-11-24T18"), "! not a timestamp");
	CHECK_STR(text("timestamp", "24:00"), "! not a timestamp");
	CHECK_STR(text("timestamp", "2026-11-24T18:30:00Z "), "! not a timestamp");
}

static void test_string_and_json(void)
{
	CHECK_STR(text("string", "a \"b\"\n"), "\"a \\\"b\\\"\\n\"");
	CHECK_STR(text("string", ""), "\"\"");
	CHECK_STR(text("json", "{\"a\": [1, 2], \"b\": \"x y\"}"), "{\"a\":[1,2],\"b\":\"x y\"}");
	CHECK_STR(text("json", " 42 "), "42");
	CHECK_STR(text("json", "\"s\""), "\"s\"");
	CHECK_STR(text("json", "null"), "null");
	CHECK_STR(text("json", "{bad"), "! not JSON");
	CHECK_STR(text("json", ""), "! not JSON");
	{
		/* a record holding the value must stay within SCAN_MAX_DEPTH */
		char deep[2 * SCAN_MAX_DEPTH + 1];

		memset(deep, '[', SCAN_MAX_DEPTH - 1);
		memset(deep + SCAN_MAX_DEPTH - 1, ']', SCAN_MAX_DEPTH - 1);
		deep[2 * SCAN_MAX_DEPTH - 2] = '\0';
		CHECK(text("json", deep)[0] == '[');
		memset(deep, '[', SCAN_MAX_DEPTH);
		memset(deep + SCAN_MAX_DEPTH, ']', SCAN_MAX_DEPTH);
		deep[2 * SCAN_MAX_DEPTH] = '\0';
		CHECK_STR(text("json", deep), "! nesting too deep for a record");
	}
}

static void test_json_values(void)
{
	/* strings convert by their decoded text */
	CHECK_STR(json("int", "\"+007\""), "7");
	CHECK_STR(json("decimal", "\"19.990\""), "19.990");
	CHECK_STR(json("bool", "\"Yes\""), "true");
	CHECK_STR(json("timestamp", "\"2026-11-24\\u002018:30\""), "\"2026-11-24T18:30:00Z\"");
	CHECK_STR(json("string", "\"caf\\u00e9\""), "\"caf\\u00e9\"");
	CHECK_STR(json("json", "\"[1, 2]\""), "[1,2]");
	CHECK_STR(json("json", "\"abc\""), "! not JSON");
	CHECK_STR(json("int", "\"abc\""), "! not a number");
	CHECK_STR(json("int", "\"\""), "! not a number");

	/* numbers by their text */
	CHECK_STR(json("int", "7"), "7");
	CHECK_STR(json("int", "7.0"), "7");
	CHECK_STR(json("int", "1e2"), "100");
	CHECK_STR(json("int", "7.5"), "! not an integer");
	CHECK_STR(json("int", "123456789012345678901234567890"), "123456789012345678901234567890");
	CHECK_STR(json("decimal", "19.990"), "19.990");
	CHECK_STR(json("decimal", "1.5e-3"), "0.0015");
	CHECK_STR(json("float", "19.990"), "19.99");
	CHECK_STR(json("float", "1e999"), "! out of range for a float");
	CHECK_STR(json("string", "1e2"), "\"1e2\"");
	CHECK_STR(json("bool", "0.00"), "false");
	CHECK_STR(json("bool", "0e5"), "false");
	CHECK_STR(json("bool", "-2"), "true");
	CHECK_STR(json("json", "1.50"), "1.50");
	/* and as seconds since the epoch for times */
	CHECK_STR(json("timestamp", "1764000000"), "\"2025-11-24T16:00:00Z\"");
	CHECK_STR(json("timestamp", "1764000000.25"), "\"2025-11-24T16:00:00.250Z\"");
	CHECK_STR(json("timestamp", "-1"), "\"1969-12-31T23:59:59Z\"");
	CHECK_STR(json("date", "1764000000"), "\"2025-11-24\"");
	CHECK_STR(json("timestamp", "1.0000001"), "! more precise than a microsecond");
	CHECK_STR(json("date", "1e50"), "! out of range for a time");
	CHECK_STR(json("timestamp", "1e12"), "! out of range for a time");

	/* booleans */
	CHECK_STR(json("bool", "true"), "true");
	CHECK_STR(json("int", "false"), "0");
	CHECK_STR(json("string", "true"), "\"true\"");
	CHECK_STR(json("json", "true"), "true");
	CHECK_STR(json("decimal", "true"), "! not a number");
	CHECK_STR(json("date", "false"), "! a boolean");

	/* arrays and objects */
	CHECK_STR(json("string", "{\"a\": [1, \"x y\"]}"), "\"{\\\"a\\\":[1,\\\"x y\\\"]}\"");
	CHECK_STR(json("json", "{\"a\": 1}"), "{\"a\": 1}");
	CHECK_STR(json("int", "[1]"), "! an array");
	CHECK_STR(json("bool", "{}"), "! an object");
}

/* Text in the written form of int or decimal comes back unchanged, and the
 * fast path agrees with parsing and formatting on random numbers. */
static void test_written_form_agrees(void)
{
	unsigned long long seed = 7;
	struct buf a = BUF_INIT;
	int ok = 1;

	for (int i = 0; i < 20000; i++) {
		char s[64];
		int k = 0, nd, pt;
		dec_t d;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		nd = (int)(seed >> 59) % 24 + 1;
		pt = (int)(seed >> 40) % (nd + 1);
		if (seed & 1)
			s[k++] = '-';
		if (seed & 2)
			s[k++] = '0';
		for (int j = 0; j < nd; j++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			if (j == pt && j > 0)
				s[k++] = '.';
			s[k++] = (char)('0' + (seed >> 60) % (seed & 4 ? 2 : 10));
		}
		s[k] = '\0';
		for (int t = CAST_INT; t <= CAST_DECIMAL; t++) {
			const char *got = text(cast_type_name(t), s);
			int rc = dec_parse_lenient(&d, s, strlen(s));

			if (rc != DEC_OK) {
				if (rc == DEC_SYNTAX && got[0] != '!')
					ok = 0;
				continue;
			}
			if (t == CAST_INT) {
				dec_normalize(&d);
				if (d.scale > 0) {
					if (strcmp(got, "! not an integer") != 0)
						ok = 0;
					continue;
				}
			}
			buf_reset(&a);
			jw_decimal(&a, &d);
			if (strcmp(got, a.p) != 0) {
				printf("# %s to %s: %s, formatted %s\n", s, cast_type_name(t), got,
				       a.p);
				ok = 0;
			}
		}
	}
	CHECK(ok);
	buf_release(&a);
}

/* cast_list_parse of s onto a list that already holds "x=int": the
 * entries it adds as "path=type;...", or "! message". */
static const char *list(const char *s)
{
	static char res[512];
	struct cast_spec *specs = NULL;
	size_t n = 0, k = 0;
	char err[256];

	if (cast_list_parse("x=int", &specs, &n, err, sizeof(err)) != 0)
		return "(x=int refused)";
	if (cast_list_parse(s, &specs, &n, err, sizeof(err)) != 0) {
		snprintf(res, sizeof(res), "! %s (%zu left)", err, n);
	} else {
		res[0] = '\0';
		for (size_t i = 1; i < n; i++)
			k += (size_t)snprintf(res + k, sizeof(res) - k, "%s=%s@%zu;",
					      specs[i].path.text, cast_type_name(specs[i].type),
					      specs[i].col);
	}
	cast_list_free(specs, n);
	return res;
}

static void test_list(void)
{
	CHECK_STR(list("a=int"), "a=int@1;");
	CHECK_STR(list("a.b=date,\"c,d\"=json"), "a.b=date@1;\"c,d\"=json@10;");
	CHECK_STR(list("qty"), "! column 4: expected '=' after 'qty' (1 left)");
	CHECK_STR(list("a=int,qty=integer"),
		  "! column 11: unknown type 'integer' (" CAST_TYPE_LIST ") (1 left)");
	CHECK_STR(list("a=int,b="), "! column 9: unknown type '' (" CAST_TYPE_LIST ") (1 left)");
	CHECK_STR(list("a=int,a=date"), "! column 7: 'a' is typed twice (1 left)");
	CHECK_STR(list("x=date"), "! column 1: 'x' is typed twice (1 left)");
	CHECK_STR(list("=int"), "! column 1: empty field name (1 left)");
}

int main(void)
{
	test_names();
	test_list();
	test_int();
	test_decimal();
	test_float();
	test_bool();
	test_dates_and_times();
	test_string_and_json();
	test_json_values();
	test_written_form_agrees();
	return unit_done();
}
