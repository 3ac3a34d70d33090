/*
 * test_expr.c - unit tests of the expression language (common/expr.c,
 * common/exprfn.c, common/timefmt.c).
 *
 * What is proved: parse errors name the right column and say what is
 * wrong; literal-only mistakes are caught at parse time; arithmetic on
 * decimals is exact (0.1 added ten times is 1.0, 19.99 * 3 is 59.97),
 * integers of any size add, multiply and compare exactly; SQL null
 * semantics hold operator by operator; every function does what
 * etl-expr(7) says, including its edge cases; times parse with their offset
 * and print back with it; ISO weeks start on Monday; runtime type errors are
 * reported with the subexpression at fault; and evaluation reads fields
 * through the callback from records checked by the scanner.
 *
 * Each case evaluates an expression against a literal record and compares
 * the JSON text of the result (or "error: MESSAGE", or "parse error COL:
 * MESSAGE") with the expected text.
 */
#include "die.h"
#include "expr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "scan.h"
#include "timefmt.h"
#include "unit.h"

#include "banned.h"

static struct expr_fields fields;
static struct arena scratch = ARENA_INIT;
static struct buf out = BUF_INIT;
static struct span cur_rec;

/* 2026-11-24T18:30:00Z */
#define NOW_US (INT64_C(1795545000) * 1000000)

static struct span by_lookup(void *arg, size_t idx)
{
	(void)arg;
	return scan_lookup(cur_rec, &fields.paths[idx]);
}

/* Evaluate src against rec (a JSON object, or NULL for {}): the result as
 * JSON text, "error: MSG" or "parse error COL: MSG". */
static const char *run(const char *src, const char *rec)
{
	struct expr_err err;
	struct expr *e = expr_parse(src, &fields, &err);
	struct expr_ctx ctx = {by_lookup, NULL, &scratch, NOW_US};
	struct val v;

	buf_reset(&out);
	if (!e) {
		buf_printf(&out, "parse error %zu: %s", err.col, err.msg);
		return out.p;
	}
	cur_rec.p = rec ? rec : "{}";
	cur_rec.n = strlen(cur_rec.p);
	if (expr_eval(e, &ctx, &v, &err))
		buf_printf(&out, "error: %s", err.msg);
	else
		val_to_json(&out, &v);
	expr_free(e);
	arena_reset(&scratch);
	return out.p;
}

#define T(src, want) CHECK_STR(run(src, NULL), want)
#define TR(src, rec, want) CHECK_STR(run(src, rec), want)

static void test_parse_errors(void)
{
	T("qty *", "parse error 6: expected an operand, found the end of the expression");
	T("lowr(name)", "parse error 1: unknown function 'lowr' (did you mean lower()?)");
	T("frobnicate(x)", "parse error 1: unknown function 'frobnicate'");
	T("a.b(x)", "parse error 1: unknown function 'a.b'");
	T("lower(a, b)", "parse error 1: lower() takes 1 argument");
	T("x + substr(a)", "parse error 5: substr() takes 2 or 3 arguments");
	T("now(1)", "parse error 1: now() takes no arguments");
	T("concat()", "parse error 1: concat() takes at least 1 argument");
	T("(a + b", "parse error 7: expected ')', found the end of the expression");
	T("lower(a b)", "parse error 9: expected ',' or ')', found 'b'");
	T("x in [1, 2", "parse error 11: expected ',' or ']', found the end of the expression");
	T("a + b)", "parse error 6: unbalanced ')'");
	T("a b", "parse error 3: unexpected 'b'");
	T("'abc' * 2", "parse error 7: 'abc' * 2: cannot multiply the string \"abc\"");
	T("1 + (2 - 'x')", "parse error 8: 2 - 'x': cannot subtract the string \"x\"");
	T("'a' + 1",
	  "parse error 5: 'a' + 1: cannot add the string \"a\" and a number (concat() joins text)");
	T("1 / 0", "parse error 3: 1 / 0: division by zero");
	T("a = 1", "parse error 3: '=' is not an operator: use '==' to compare");
	T("a <> 1", "parse error 3: '<>' is not an operator: use '!='");
	T("a && b", "parse error 3: '&&' is not an operator: use 'and'");
	T("a || b", "parse error 3: '||' is not an operator: use 'or'");
	T("!a", "parse error 1: '!' is not an operator: use 'not'");
	T("a ? b", "parse error 3: expected '?\?'");
	T("+a", "parse error 1: unary '+' is not an operator");
	T("1 < 2 < 3", "parse error 7: comparisons do not chain: join them with 'and'");
	T("a == b == c", "parse error 8: comparisons do not chain: join them with 'and'");
	T("'abc", "parse error 1: unterminated string");
	T("'a\\qb'", "parse error 3: invalid escape '\\q' in a string");
	T("'\\u12'", "parse error 2: expected four hex digits after \\u");
	T("'\\udc00'", "parse error 2: lone surrogate \\uDC00");
	T("\"abc", "parse error 1: unterminated quoted field name");
	T("a.b.", "parse error 5: expected a field name after '.'");
	T("2024_total", "parse error 1: invalid number (a field name that starts with a digit must "
			"be quoted: \"2024_total\")");
	T("1.", "parse error 3: expected a digit after '.'");
	T("1e+", "parse error 4: expected a digit in the exponent");
	T("", "parse error 1: empty expression");
	T("   ", "parse error 1: empty expression");
	T("x # y", "parse error 3: unexpected character '#'");
	T("a not b", "parse error 7: expected 'in' after 'not', found 'b'");
	/* Columns count characters, not bytes. */
	T("'é' * 2", "parse error 5: 'é' * 2: cannot multiply the string \"é\"");
	T("matches(x, 'a(')",
	  "parse error 12: 'a(': invalid regular expression: missing closing parenthesis at offset 2");
	T("matches(x, 3)", "parse error 12: 3: the pattern of matches() must be a string");
	T("trunc(t, 'fortnight')", "parse error 10: 'fortnight': the unit of trunc() is one of "
				   "second, minute, hour, day, week, month, quarter or year");
	T("format_time(t, '%Y %Q')", "parse error 16: '%Y %Q': unknown directive in format_time() "
				     "format (at '%Q')");
	T("parse_time(t, '%G')", "parse error 15: '%G': unknown directive in parse_time() format "
				 "(at '%G')");
	T("format_time(t, '%')", "parse error 16: '%': format ends with a lone '%' (at '%')");

	/* Nesting is bounded, and so is the height of a long chain. */
	struct buf deep = BUF_INIT;
	for (int i = 0; i < 300; i++)
		buf_addc(&deep, '(');
	buf_addc(&deep, '1');
	for (int i = 0; i < 300; i++)
		buf_addc(&deep, ')');
	CHECK(strstr(run(deep.p, NULL), "nested too deeply") != NULL);
	buf_reset(&deep);
	buf_adds(&deep, "x");
	for (int i = 0; i < 2000; i++)
		buf_adds(&deep, " + x");
	CHECK(strstr(run(deep.p, NULL), "nested too deeply") != NULL);
	buf_reset(&deep);
	buf_adds(&deep, "1");
	for (int i = 0; i < 500; i++)
		buf_adds(&deep, " + 1");
	CHECK_STR(run(deep.p, NULL), "501");
	buf_release(&deep);

	/* Invalid UTF-8 in the expression. */
	T("name == 'a\xff'", "parse error 11: invalid UTF-8");
}

static void test_literals_and_fields(void)
{
	T("42", "42");
	T("19.990", "19.990");
	T("1e2", "1e2");
	T("-1e2", "-1e2");
	T("- 5", "-5");
	T("--5", "5");
	T("-(5)", "-5");
	T("'it\\'s'", "\"it's\"");
	T("'a\\\\b\\n\\t\\u00e9\\ud83d\\ude00'", "\"a\\\\b\\n\\té😀\"");
	T("'say \"hi\"'", "\"say \\\"hi\\\"\"");
	T("true", "true");
	T("false", "false");
	T("null", "null");
	T("[1]", "parse error 1: unexpected '['");
	TR("qty", "{\"qty\":3}", "3");
	TR("price", "{\"price\": 19.990 }", "19.990");
	TR("big", "{\"big\":123456789012345678901234567890123456789012}",
	   "123456789012345678901234567890123456789012");
	TR("customer.address.city", "{\"customer\":{\"address\":{\"city\":\"Lyon\"}}}", "\"Lyon\"");
	TR("\"odd key\"", "{\"odd key\":1}", "1");
	TR("\"a.b\".c", "{\"a.b\":{\"c\":true}}", "true");
	TR("\"say \\\"x\\\"\"", "{\"say \\\"x\\\"\":5}", "5");
	TR("@timestamp", "{\"@timestamp\":\"t\"}", "\"t\"");
	TR("missing", "{\"qty\":3}", "null");
	TR("a.b", "{\"a\":3}", "null");
	TR("tags", "{\"tags\":[\"a\", \"b\"]}", "[\"a\", \"b\"]");
	TR("o", "{\"o\":{\"k\":1}}", "{\"k\":1}");
	TR("esc", "{\"esc\":\"a\\\"b\\u00e9\\ud83d\\ude00\"}", "\"a\\\"bé😀\"");
	/* Keywords are lower case; other spellings are field names. */
	TR("NULL", "{\"NULL\":1}", "1");
}

static void test_exact_arithmetic(void)
{
	/* 0.1 added ten times, one evaluation per record. */
	struct buf total = BUF_INIT;
	buf_adds(&total, "0");
	for (int i = 0; i < 10; i++) {
		char rec[128];

		snprintf(rec, sizeof(rec), "{\"total\":%s}", total.p);
		const char *r = run("total + 0.1", rec);
		buf_reset(&total);
		buf_adds(&total, r);
	}
	CHECK_STR(total.p, "1.0");
	buf_release(&total);

	T("19.99 * 3", "59.97");
	T("4.35 * 100", "435.00");
	T("0.10 + 0.2", "0.30");
	T("2.5 * 0.10", "0.250");
	T("0.1 + 1 / 3", "0.43333333333333335");
	T("19.99 * 3 == 59.97", "true");
	TR("qty * unit_price", "{\"qty\":3,\"unit_price\":19.99}", "59.97");
	TR("qty * unit_price", "{\"qty\":2.5,\"unit_price\":0.10}", "0.250");
	T("0.1 + 0.2", "0.3");
	T("0.1 + 0.2 == 0.3", "true");
	T("1.10 - 0.1", "1.00");
	T("123456789012345678901234567890 + 1", "123456789012345678901234567891");
	T("12345678901234567890123 > 12345678901234567890122", "true");
	T("12345678901234567890123 < 12345678901234567890122", "false");
	T("12345678901234567890123 == 12345678901234567890123.0", "true");
	/* Beyond 38 digits: exact integer sums, differences and products. */
	T("99999999999999999999999999999999999999 + 1", "100000000000000000000000000000000000000");
	T("9999999999999999999999999999999999999999 + 1",
	  "10000000000000000000000000000000000000000");
	T("10000000000000000000000000000000000000000 - 1",
	  "9999999999999999999999999999999999999999");
	T("1 - 10000000000000000000000000000000000000000",
	  "-9999999999999999999999999999999999999999");
	T("-10000000000000000000000000000000000000000 + 10000000000000000000000000000000000000000",
	  "0");
	T("100000000000000000000 * 100000000000000000000",
	  "10000000000000000000000000000000000000000");
	T("-12345678901234567890123456789 * 98765432109876543210987654321",
	  "-1219326311370217952261850327336229233322374638011112635269");
	T("1234567890123456789012345678901234567890 > 1234567890123456789012345678901234567889",
	  "true");
	T("-1234567890123456789012345678901234567890 < -1234567890123456789012345678901234567889",
	  "true");
	T("1234567890123456789012345678901234567890 > 1e39", "true");
	T("1234567890123456789012345678901234567890 < 1.3e39", "true");
	T("100000000000000000000000000000000000000000 == 1e41", "true");
	T("12345678901234567890123456789012345678901 % 10", "1");
	T("-12345678901234567890123456789012345678901 % 7", "-3");
	TR("big + 1", "{\"big\":123456789012345678901234567890123456789012}",
	   "123456789012345678901234567890123456789013");
	/* Beyond the decimal type, not integers: exact too, as number text. */
	T("0.1 * 1e-38", "0.000000000000000000000000000000000000001");
	T("99999999999999999999999999999999999999 + 0.1",
	  "99999999999999999999999999999999999999.1");
	T("99999999999999999999999999999999999999 + 0.10",
	  "99999999999999999999999999999999999999.10");
	T("0.1 + 1e-38 > 0.1", "true");
	T("123456789012345678901234567890123456789012 * 0.5",
	  "61728394506172839450617283945061728394506");
	T("123456789012345678901234567890123456789012 * 0.1",
	  "12345678901234567890123456789012345678901.2");
	T("1e400 - 1e400", "0");
	T("1e-400 * 1e-400", "1e-800");
	/* Nothing underflows: small numbers stay exact, or the expression
	 * fails; a double result that would be 0 or infinite is an error. */
	T("1e-400 + 0", "1e-400");
	TR("x + 0", "{\"x\":1e-400}", "1e-400");
	TR("x * 1e-400", "{\"x\":1e-400}", "1e-800");
	T("1e-38 + 1", "1.00000000000000000000000000000000000001");
	T("1e-38 + 1 > 1", "true");
	T("length(to_string(1e-400 + 1))", "402");
	T("1e-400 - 1e-400", "0");
	T("2e-1000 * -3e-1000", "-6e-2000");
	T("1e-3000 + 1",
	  "parse error 9: 1e-3000 + 1: the exact result needs more than 2000 digits");
	T("(1 / 3 - 1 / 3) + 1e-400", "1e-400");
	T("(1 / 3 - 1 / 3) - 1e-400", "-1e-400");
	T("1e-400 + 1 / 3", "0.3333333333333333");
	T("1e-400 / 1e-400", "1");
	T("1e-400 / 3e-400", "0.3333333333333333");
	T("1e-400 / 3e-401", "3.3333333333333335");
	T("6e-400 / 2e-401", "30");
	T("1e400 / 1e399", "10");
	T("1e-400 / 3", "parse error 8: 1e-400 / 3: the result is too small for a number");
	T("1e-300 / 1e300", "1e-600");
	T("1e-400 / 4", "25e-402");
	T("1e-400 / -8", "-125e-403");
	T("1e-400 / 1", "1e-400");
	T("3e-400 / 1099511627776", "27284841053187847137451171875e-440");
	T("1e-400 / 2e36", "5e-437");
	T("12345678901234567890123456789012345678901 / 10",
	  "1234567890123456789012345678901234567890.1");
	T("1e400 / 7", "parse error 7: 1e400 / 7: the result is too large for a number");
	T("1e-400 * (1 / 3)",
	  "parse error 8: 1e-400 * (1 / 3): the result is too small for a number");
	/* remainders of numbers beyond a double, exact */
	T("1e400 % 3", "1");
	T("-1e400 % 7", "-4");
	T("1e400 % 0.7", "0.5");
	T("1e400 % 1e399", "0");
	T("1e-400 % 3", "1e-400");
	T("1e-400 % (1 / 3)", "1e-400");
	T("1e-400 % 1e-401", "0");
	T("11665338981531512840974018670e-363 % -8875676e-346", "3801473151284097401867e-362");
	T("528394510232640487792386813e-185 % 1772e-167", "58232640487792386813e-185");
	T("56148669e128 % 937696707e17", "71052735600000000000000000");
	T("1e400 % 1234567890123456789012345678901234567", "465497235762247701330736035240571261");
	T("-831638316521151.290843 % 73e450", "-831638316521151.290843");
	T("1e400 % (1 / 3)", "parse error 7: 1e400 % (1 / 3): the remainder of a number beyond a "
			     "double's range by a double cannot be computed");
	T("1e400 > 1", "true");
	T("length(to_string(1e400 * 10))", "402");
	T("1e1999 * 10", "1e2000");
	T("length(to_string(1e308 / 1e-308))", "617");
	/* Exponents are read in full, however long. */
	T("1e10000000000000 == 1e10000000000001", "false");
	T("1e10000000000000 < 1e10000000000001", "true");
	T("1e10000000000001 > 1e10000000000000", "true");
	T("-1e10000000000001 < -1e10000000000000", "true");
	T("1e-10000000000001 < 1e-10000000000000", "true");
	T("10e10000000000000 == 1e10000000000001", "true");
	T("1e1000000000000000000000000000000000000000 < 1e1000000000000000000000000000000000000001",
	  "true");
	T("1e1000000000000000000000000000000000000000 == 10e999999999999999999999999999999999999999",
	  "true");
	T("1e10000000000000 * 1e-10000000000001", "0.1");
	T("1e10000000000001 - 1e10000000000000", "9e10000000000000");
	/* Division: exact when the quotient is, else a double. */
	T("10 / 4", "2.5");
	T("10.00 / 4", "2.50");
	T("59.97 / 3", "19.99");
	T("100 / 0.5", "200");
	T("1 / 8", "0.125");
	T("-6 / 3", "-2");
	T("1 / 3", "0.3333333333333333");
	T("2 / 3 * 3", "2");
	T("(1 / 3) * 3 == 1", "true");
	TR("x / y", "{\"x\":1,\"y\":0}", "error: x / y: division by zero");
	TR("x % y", "{\"x\":1,\"y\":0.0}", "error: x % y: division by zero");
	T("7 % 3", "1");
	T("-7 % 3", "-1");
	T("7 % -3", "1");
	T("5.5 % 2", "1.5");
	T("1 / 3 % 0.25", "0.08333333333333331");
	/* Exact comparison across kinds: a decimal against a double. */
	T("0.1 == 1 / 3 - 1 / 3 + 0.1", "false");
	T("1 / 3 < 0.3333333333333333", "false");
	T("1 / 3 > 0.3333333333333333", "true");
	T("0.5 == 1 / 3 * 0 + 0.5", "true");
	/* A number unchanged keeps its text; a changed one is printed anew. */
	TR("x", "{\"x\":1.50}", "1.50");
	TR("x * 1", "{\"x\":1.50}", "1.50");
	TR("x + 0", "{\"x\":1e2}", "100");
	TR("-x", "{\"x\":2.50}", "-2.50");
	TR("-x", "{\"x\":-123456789012345678901234567890123456789012}",
	   "123456789012345678901234567890123456789012");
	TR("-x", "{\"x\":123456789012345678901234567890123456789012}",
	   "-123456789012345678901234567890123456789012");
}

static void test_null_semantics(void)
{
	static const char *const v[] = {"true", "false", "null"};
	/* and / or tables, SQL's three-valued logic. */
	static const char *const and_t[3][3] = {{"true", "false", "null"},
						{"false", "false", "false"},
						{"null", "false", "null"}};
	static const char *const or_t[3][3] = {{"true", "true", "true"},
					       {"true", "false", "null"},
					       {"true", "null", "null"}};
	char src[64];

	for (int i = 0; i < 3; i++) {
		for (int j = 0; j < 3; j++) {
			snprintf(src, sizeof(src), "a and b");
			char rec[64];

			snprintf(rec, sizeof(rec), "{\"a\":%s,\"b\":%s}", v[i], v[j]);
			CHECK_STR(run("a and b", rec), and_t[i][j]);
			CHECK_STR(run("a or b", rec), or_t[i][j]);
		}
	}
	T("not null", "null");
	T("not true", "false");
	T("not false", "true");
	T("null and false", "false");
	T("null or true", "true");
	T("null == null", "false");
	T("null != null", "false");
	T("null != 1", "false");
	T("null < 1", "false");
	T("1 >= null", "false");
	T("1 + null", "null");
	T("-null", "null");
	T("null * 'x'", "null");
	T("lower(null)", "null");
	T("null ?? 2", "2");
	T("1 ?? 2", "1");
	T("null ?? null ?? 'c'", "\"c\"");
	T("is_null(null)", "true");
	T("is_null(0)", "false");
	TR("is_null(missing)", "{}", "true");
	T("type(null)", "\"null\"");
	TR("type(missing)", "{}", "\"null\"");
	T("type(true)", "\"boolean\"");
	T("type(1.50)", "\"number\"");
	T("type(1e400)", "\"number\"");
	T("type(1 / 3)", "\"number\"");
	T("type('x')", "\"string\"");
	TR("type(a)", "{\"a\":[1]}", "\"array\"");
	TR("type(a)", "{\"a\":{\"b\":1}}", "\"object\"");
	TR("type(a)", "{\"a\":[]}", "\"array\"");
	T("type(date('2026-01-01'))", "\"string\"");
	T("type(type(1))", "\"string\"");
	TR("missing == null", "{}", "false");
	TR("x ?? 0", "{\"x\":null}", "0");
	T("null in [null, 1]", "false");
	T("null not in [1]", "false");
	T("2 in [null, 2]", "true");
	T("3 in [null, 2]", "false");
	T("3 not in [null, 2]", "true");
	T("if(null, 1, 2)", "2");
	T("coalesce(null, null, 3, 4)", "3");
	T("coalesce(null)", "null");
	T("concat('a', null, 'b')", "\"ab\"");
}

static void test_operators(void)
{
	T("1 + 2 * 3", "7");
	T("(1 + 2) * 3", "9");
	T("-2 * 3", "-6");
	T("10 - 2 - 3", "5");
	T("2 * 3 % 4", "2");
	T("1 + 2 == 3 and not 1 > 2 or false", "true");
	T("not 1 == 2", "true");
	T("null ?? 1 + 1", "2");
	T("null ?? 1 > 0", "true");
	T("true or false and false", "true");
	T("'ab' + 'cd'", "\"abcd\"");
	T("1.0 == 1", "true");
	T("1 != 1.00", "false");
	T("'a' < 'b'", "true");
	T("'b' <= 'a'", "false");
	T("'é' > 'z'", "true");
	T("'a' == 1", "false");
	T("'a' != 1", "true");
	T("false < true", "true");
	T("'a' == 'a'", "true");
	T("'1' in [1, 2]", "false");
	T("2 in [1, 2]", "true");
	T("2 in []", "false");
	T("'b' in ['a', 'b']", "true");
	T("3 not in [1, 2]", "true");
	TR("x in tags", "{\"x\":\"b\",\"tags\":[\"a\",\"b\"]}", "true");
	TR("x in tags", "{\"x\":2.0,\"tags\":[1,2]}", "true");
	TR("x not in tags", "{\"x\":\"c\",\"tags\":[\"a\",\"b\"]}", "true");
	TR("x in tags", "{\"x\":\"c\"}", "false");
	TR("x in tags", "{\"x\":\"c\",\"tags\":\"abc\"}",
	   "error: x in tags: 'in' needs a list or an array, not a string");
	TR("o == p", "{\"o\":{\"a\":1},\"p\":{\"a\":1}}", "true");
	TR("o < p", "{\"o\":{\"a\":1},\"p\":{\"a\":1}}",
	   "error: o < p: cannot compare an object with an object");
	TR("x in [y, 3]", "{\"x\":3,\"y\":1}", "true");
}

static void test_runtime_errors(void)
{
	TR("name * 2", "{\"name\":\"abc\"}", "error: name * 2: cannot multiply the string \"abc\"");
	TR("2 * name", "{\"name\":\"abc\"}", "error: 2 * name: cannot multiply the string \"abc\"");
	TR("name - 1", "{\"name\":true}", "error: name - 1: cannot subtract a boolean");
	TR("qty * 2", "{\"qty\":\"\"}",
	   "error: qty * 2: cannot multiply the string \"\" (etl-from-csv --null '' reads empty "
	   "cells as null)");
	TR("qty + 1", "{\"qty\":\"\"}",
	   "error: qty + 1: cannot add the string \"\" and a number (etl-from-csv --null '' reads "
	   "empty cells as null)");
	TR("1 / qty", "{\"qty\":\"\"}",
	   "error: 1 / qty: cannot divide the string \"\" (etl-from-csv --null '' reads empty "
	   "cells as null)");
	TR("qty % 2", "{\"qty\":\"x\"}",
	   "error: qty % 2: cannot take the remainder of the string \"x\"");
	TR("-qty", "{\"qty\":\"\"}",
	   "error: -qty: cannot negate the string \"\" (etl-from-csv --null '' reads empty cells as "
	   "null)");
	TR("name * 2", "{\"name\":\"0123456789012345678901234567890123456789xyz\"}",
	   "error: name * 2: cannot multiply the string \"0123456789012345678901234567890123456789\"...");
	TR("name / 2", "{\"name\":[1]}", "error: name / 2: cannot divide an array");
	TR("-name", "{\"name\":\"x\"}", "error: -name: cannot negate the string \"x\"");
	TR("qty > '3'", "{\"qty\":5}", "error: qty > '3': cannot compare a number with a string");
	TR("lower(qty)", "{\"qty\":5}", "error: lower(qty): lower() needs a string, not a number");
	TR("substr(s, 'x')", "{\"s\":\"abc\"}",
	   "error: substr(s, 'x'): argument 2 of substr() must be a number, not a string");
	TR("substr(s, 1.5)", "{\"s\":\"abc\"}",
	   "error: substr(s, 1.5): argument 2 of substr() must be an integer");
	TR("qty and true", "{\"qty\":1}",
	   "error: qty and true: 'and' needs booleans, not a number");
	TR("not qty", "{\"qty\":1}", "error: not qty: 'not' needs booleans, not a number");
	TR("if(qty, 1, 2)", "{\"qty\":1}",
	   "error: if(qty, 1, 2): the condition of if() must be a boolean, not a number");
	TR("to_number(s)", "{\"s\":\"12abc\"}", "error: to_number(s): '12abc' is not a number");
	TR("date(s)", "{\"s\":\"yesterday\"}",
	   "error: date(s): 'yesterday' is not an ISO-8601 time");
	TR("date(n)", "{\"n\":5}",
	   "error: date(n): date() needs a time or an ISO-8601 string, not a number");
	TR("matches(s, p)", "{\"s\":\"a\",\"p\":\"(\"}",
	   "error: matches(s, p): invalid regular expression: missing closing parenthesis at offset "
	   "1");
	TR("trunc(t, u)", "{\"t\":\"2026-01-01\",\"u\":\"x\"}",
	   "error: trunc(t, u): the unit of trunc() is one of second, minute, hour, day, week, "
	   "month, quarter or year");
	/* The quoted text is shortened on a character boundary. */
	TR("lower(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)",
	   "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":1}",
	   "error: lower(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...: lower() needs a "
	   "string, not a number");

	/* The column of a runtime error is that of the operator. */
	struct expr_err err;
	struct expr *e = expr_parse("1 + name * 2", &fields, &err);
	struct expr_ctx ctx = {by_lookup, NULL, &scratch, NOW_US};
	struct val v;

	cur_rec.p = "{\"name\":\"x\"}";
	cur_rec.n = strlen(cur_rec.p);
	CHECK(e != NULL);
	CHECK(expr_eval(e, &ctx, &v, &err) == -1);
	CHECK(err.col == 10);
	CHECK_STR(expr_text(e), "1 + name * 2");
	expr_free(e);
	arena_reset(&scratch);
}

static void test_string_functions(void)
{
	T("lower('ÀBC Ünïcode ΣΑΣ ПРИВЕТ İ')", "\"àbc ünïcode σασ привет i\"");
	T("upper('straße ÿ ı ǆ ſ')", "\"STRAßE Ÿ I ǆ S\"");
	T("upper('ąčęėįšųūž ő')", "\"ĄČĘĖĮŠŲŪŽ Ő\"");
	T("lower('ĄČĘĖĮŠŲŪŽ Ő Ĺ')", "\"ąčęėįšųūž ő ĺ\"");
	T("upper('việt nam')", "\"VIỆT NAM\"");
	T("upper('ςάέ')", "\"ΣΆΈ\"");
	T("lower('plain')", "\"plain\"");
	T("upper('x')", "\"X\"");
	T("trim('  a b \\t\\n')", "\"a b\"");
	T("ltrim('  a ')", "\"a \"");
	T("rtrim('  a ')", "\"  a\"");
	T("trim('')", "\"\"");
	T("length('héllo😀')", "6");
	T("length('')", "0");
	TR("length(tags)", "{\"tags\":[1,[2,3],{\"a\":4}]}", "3");
	TR("length(o)", "{\"o\":{\"a\":1,\"b\":2}}", "2");
	TR("length(tags)", "{\"tags\":[]}", "0");
	T("length(5)", "parse error 1: length(5): length() needs a string, an array or an object, "
		       "not a number");
	T("substr('héllo', 2, 3)", "\"éll\"");
	T("substr('héllo', 2)", "\"éllo\"");
	T("substr('hello', 0, 2)", "\"he\"");
	T("substr('hello', -3)", "\"llo\"");
	T("substr('hello', -3, 2)", "\"ll\"");
	T("substr('hello', -10, 2)", "\"he\"");
	T("substr('hello', 10)", "\"\"");
	T("substr('hello', 2, 0)", "\"\"");
	T("substr('hello', 4, 100)", "\"lo\"");
	T("substr('hello', 2, -1)", "parse error 1: substr('hello', 2, -1): the length given to "
				    "substr() is negative");
	T("replace('a-b-c', '-', '+')", "\"a+b+c\"");
	T("replace('aaa', 'a', 'bb')", "\"bbbbbb\"");
	T("replace('abc', '', 'x')", "\"abc\"");
	T("replace('abc', 'x', 'y')", "\"abc\"");
	T("replace('abcabc', 'bc', '')", "\"aa\"");
	T("starts_with('hello', 'he')", "true");
	T("starts_with('hello', 'lo')", "false");
	T("starts_with('he', 'hello')", "false");
	T("ends_with('hello', 'lo')", "true");
	T("ends_with('hello', '')", "true");
	T("contains('hello', 'ell')", "true");
	T("contains('hello', 'xyz')", "false");
	T("contains('hello', '')", "true");
	T("matches('abc123', '^[a-z]+\\\\d+$')", "true");
	T("matches('abc', '^\\\\d')", "false");
	T("matches('Éric', '(?i)^éRIC$')", "true");
	TR("matches(s, '^(a|a)*$')", "{\"s\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"}",
	   "error: matches(s, '^(a|a)*$'): regular expression: match limit exceeded");
	/* A pattern from the record: compiled again only when it changes. */
	struct expr_err err;
	struct expr *e = expr_parse("matches(s, p)", &fields, &err);
	struct expr_ctx ctx = {by_lookup, NULL, &scratch, NOW_US};
	static const char *const recs[][2] = {
		{"{\"s\":\"abc\",\"p\":\"^a\"}", "true"}, {"{\"s\":\"xbc\",\"p\":\"^a\"}", "false"},
		{"{\"s\":\"xbc\",\"p\":\"^x\"}", "true"}, {"{\"s\":\"xbc\",\"p\":null}", "null"},
		{"{\"s\":\"abc\",\"p\":\"c$\"}", "true"},
	};
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		struct val v;

		cur_rec.p = recs[i][0];
		cur_rec.n = strlen(cur_rec.p);
		buf_reset(&out);
		if (expr_eval(e, &ctx, &v, &err) == 0)
			val_to_json(&out, &v);
		CHECK_STR(out.p ? out.p : "", recs[i][1]);
		arena_reset(&scratch);
	}
	expr_free(e);
	T("concat('a', 1, true, 2.50, null)", "\"a1true2.50\"");
	T("concat(parse_time('2026-11-24T18:30:00+01:00'))", "\"2026-11-24T18:30:00+01:00\"");
	TR("concat(o, '!')", "{\"o\":{\"a\":1}}", "\"{\\\"a\\\":1}!\"");
	T("concat(null)", "\"\"");
}

static void test_number_functions(void)
{
	T("to_number('19.990')", "19.990");
	T("to_number(' 42 ')", "42");
	T("to_number('+5')", "5");
	T("to_number('007')", "7");
	T("to_number('-0.5e1')", "-0.5e1");
	T("to_number('')", "null");
	T("to_number('   ')", "null");
	T("to_number('123456789012345678901234567890123456789012')",
	  "123456789012345678901234567890123456789012");
	T("to_number(true)", "1");
	T("to_number(3)", "3");
	T("to_number(parse_time('1970-01-01T00:00:01.5Z'))", "1.5");
	T("to_number('abc')", "parse error 1: to_number('abc'): 'abc' is not a number");
	T("to_number('1e400')", "1e400");
	/* JSON number text, read once, keeps its text and its kind */
	T("to_number(' 1e2 ')", "1e2");
	T("to_number(' 1e2 ') + 0", "100");
	T("to_number('-0.000')", "-0.000");
	T("to_number('12345678901234567890.5') * 2", "24691357802469135781.0");
	T("to_number('1e-400')", "1e-400");
	T("to_number('1e-400') > 0", "true");
	T("to_number('123456789012345678901234567890123456789012.50') * 2",
	  "246913578024691357802469135780246913578025");
	T("to_int('12.7')", "12");
	T("to_int(-12.7)", "-12");
	T("to_int(-0.5)", "0");
	T("to_int('1e3')", "1000");
	T("to_int(7)", "7");
	T("to_int(1 / 3)", "0");
	T("to_int('')", "null");
	T("to_int('123456789012345678901234567890123456789012.5')",
	  "123456789012345678901234567890123456789012");
	T("to_string(1.50)", "\"1.50\"");
	T("to_string(1 / 4)", "\"0.25\"");
	T("to_string(1 / 3)", "\"0.3333333333333333\"");
	T("to_string(true)", "\"true\"");
	T("to_string('x')", "\"x\"");
	T("to_string(parse_time('2026-11-24'))", "\"2026-11-24T00:00:00Z\"");
	TR("to_string(tags)", "{\"tags\":[1, 2]}", "\"[1, 2]\"");
	T("round(2.345, 2)", "2.35");
	T("round(-2.345, 2)", "-2.35");
	T("round(2.5)", "3");
	T("round(-2.5)", "-3");
	T("round(19.99)", "20");
	T("round(19.99, 5)", "19.99");
	T("round(1234, -2)", "1200");
	T("round(1250, -2)", "1300");
	T("round(49, -2)", "0");
	T("round(5, -50)", "0");
	T("round(1e300 * 10 / 3, -400)", "0");
	T("round(1e300 * 10 / 3, -9223372036854775808)", "0");
	T("round(123456789012345678901234567890123456789012, -40)",
	  "120000000000000000000000000000000000000000");
	T("round(1 / 3, 4)", "0.3333");
	T("round(2 / 3)", "1");
	T("round(1e-50 / 3, 2)", "0");
	T("round(2.5, 1.5)", "parse error 1: round(2.5, 1.5): argument 2 of round() must be an "
			     "integer");
	T("floor(2.7)", "2");
	T("floor(-2.5)", "-3");
	T("floor(-2)", "-2");
	T("ceil(2.1)", "3");
	T("ceil(-2.1)", "-2");
	T("ceil(-0.5)", "0");
	T("floor(1 / 3)", "0");
	T("ceil(1 / 3)", "1");
	T("abs(-3.5)", "3.5");
	T("abs(3.5)", "3.5");
	T("abs(-1 / 4)", "0.25");
	T("abs(-123456789012345678901234567890123456789012)",
	  "123456789012345678901234567890123456789012");
	T("floor('x')", "parse error 1: floor('x'): floor() needs a number, not a string");

	/* Beyond the decimal type, rounding is exact too; a number already
	 * as round as asked comes back as it was written. */
	T("floor(1e400)", "1e400");
	T("ceil(1e400)", "1e400");
	T("round(1e400)", "1e400");
	T("floor(-1e400)", "-1e400");
	T("to_int('1e400')", "1e400");
	T("ceil(to_number('1e400'))", "1e400");
	T("round(1e50)", "1e50");
	T("round(1.5e50, -49)", "1.5e50");
	T("round(1.5e50, -50)", "200000000000000000000000000000000000000000000000000");
	TR("round(x, 2)", "{\"x\":1.50e400}", "1.50e400");
	TR("floor(x)", "{\"x\":123456789012345678901234567890123456789012.5}",
	   "123456789012345678901234567890123456789012");
	TR("ceil(x)", "{\"x\":123456789012345678901234567890123456789012.5}",
	   "123456789012345678901234567890123456789013");
	TR("round(x)", "{\"x\":123456789012345678901234567890123456789012.5}",
	   "123456789012345678901234567890123456789013");
	TR("round(x, 2)", "{\"x\":123456789012345678901234567890123456789012.5}",
	   "123456789012345678901234567890123456789012.5");
	TR("to_int(x)", "{\"x\":123456789012345678901234567890123456789012.5}",
	   "123456789012345678901234567890123456789012");
	TR("floor(x)", "{\"x\":-123456789012345678901234567890123456789012.5}",
	   "-123456789012345678901234567890123456789013");
	TR("ceil(x)", "{\"x\":-123456789012345678901234567890123456789012.5}",
	   "-123456789012345678901234567890123456789012");
	TR("round(x)", "{\"x\":-123456789012345678901234567890123456789012.5}",
	   "-123456789012345678901234567890123456789013");
	TR("to_int(x)", "{\"x\":-123456789012345678901234567890123456789012.5}",
	   "-123456789012345678901234567890123456789012");
	T("round(123456789012345678901234567890123456789012.555, 2)",
	  "123456789012345678901234567890123456789012.56");
	T("round(123456789012345678901234567890123456789012.501, 2)",
	  "123456789012345678901234567890123456789012.50");
	T("round(-123456789012345678901234567890123456789012.449, 1)",
	  "-123456789012345678901234567890123456789012.4");
	T("round(0.12345678901234567890123456789012345678901234567895, 49)",
	  "0.1234567890123456789012345678901234567890123456790");
	T("round(99999999999999999999999999999999999999, -1)",
	  "100000000000000000000000000000000000000");
	T("ceil(-5e-50)", "0");
	T("floor(-5e-50)", "-1");
	T("ceil(5e-50)", "1");
	T("floor(5e-50)", "0");
	T("round(-5e-50)", "0");
	T("to_int(-5e-50)", "0");
	T("round(5e-50, 49)", "1e-49");
	T("round(-5e-50, 49)", "-1e-49");
	T("round(4e-50, 49)", "0");
	T("round(1.5e-1000, 1000)", "2e-1000");
	T("ceil(1e-400)", "1");
	T("floor(-1e-400)", "-1");
	/* exponents and digit counts far beyond 64 bits */
	T("ceil(1.5e-1000000000000000000000000000000000000)", "1");
	T("floor(1.5e-1000000000000000000000000000000000000)", "0");
	T("round(1e1000000000000000000000000000000000000, -9223372036854775807 - 1)",
	  "1e1000000000000000000000000000000000000");
	T("round(4e1000000000000000000, -1000000000000000001)", "0");
	T("round(5e999999999999999999, -1000000000000000000)", "1e1000000000000000000");
	/* zero is never -0 */
	T("ceil(-1 / 3)", "0");
	T("floor(-1 / 3)", "-1");
	T("0 * (-1 / 3)", "0");
	/* an integer of more than 2000 digits is written with an exponent
	 * rather than its zeros */
	struct buf big = BUF_INIT;
	buf_adds(&big, "floor(1");
	for (int i = 0; i < 2100; i++)
		buf_addc(&big, '0');
	buf_adds(&big, ".5)");
	CHECK_STR(run(big.p, NULL), "1e2100");
	buf_release(&big);
}

static void test_time(void)
{
	/* ISO-8601 with offsets: the instant, and the offset it prints with. */
	T("parse_time('2026-11-24')", "\"2026-11-24T00:00:00Z\"");
	T("parse_time('2026-11-24T18:30:00Z')", "\"2026-11-24T18:30:00Z\"");
	T("parse_time('2026-11-24T18:30:00.123+01:00')", "\"2026-11-24T18:30:00.123+01:00\"");
	T("parse_time('2026-11-24T18:30:00.1234567-0530')", "\"2026-11-24T18:30:00.123456-05:30\"");
	T("parse_time('2026-11-24 18:30+02')", "\"2026-11-24T18:30:00+02:00\"");
	T("parse_time('2026-11-24T18:30:00')", "\"2026-11-24T18:30:00Z\"");
	T("parse_time('2026-11-24T18:30:00+00:00')", "\"2026-11-24T18:30:00Z\"");
	T("parse_time('2026-11-24T18:30:00.5+01:00') == parse_time('2026-11-24T17:30:00.5Z')",
	  "true");
	T("parse_time('2024-02-29')", "\"2024-02-29T00:00:00Z\"");
	T("parse_time('2026-02-29')",
	  "parse error 1: parse_time('2026-02-29'): '2026-02-29' is not "
	  "an ISO-8601 time");
	T("parse_time('2026-11-24T24:00:00Z')",
	  "parse error 1: parse_time('2026-11-24T24:00:00Z'): "
	  "'2026-11-24T24:00:00Z' is not an ISO-8601 time");
	T("parse_time('2026-11-24T18:30:00+24:00')",
	  "parse error 1: parse_time('2026-11-24T18:30:00+24:00'): '2026-11-24T18:30:00+24:00' is "
	  "not an ISO-8601 time");
	T("parse_time('')", "null");
	/* Comparisons parse a string against a time. */
	T("parse_time('2026-11-24T18:30:00Z') > '2026-11-24T19:00:00+01:00'", "true");
	T("parse_time('2026-11-24T18:30:00Z') == '2026-11-24T19:30:00+01:00'", "true");
	T("parse_time('2026-11-24T18:30:00Z') == 'soon'", "false");
	T("parse_time('2026-11-24T18:30:00Z') < 'soon'",
	  "parse error 36: parse_time('2026-11-24T18:30:00Z') < 'soon': cannot compare a time with a "
	  "string");
	/* date(): the calendar day in the time's own offset. */
	T("date('2026-11-24T23:30:00-05:00')", "\"2026-11-24\"");
	T("date(parse_time('2026-11-25T04:30:00Z'))", "\"2026-11-25\"");
	T("date('2026-11-24T00:30:00+01:00')", "\"2026-11-24\"");
	T("date('')", "null");
	T("date('1969-12-31T23:59:59.999999Z')", "\"1969-12-31\"");
	/* trunc(): ISO weeks start on Monday. */
	T("trunc('2026-11-26T18:30:00.123+01:00', 'week')", "\"2026-11-23T00:00:00+01:00\"");
	T("trunc('2026-11-23T00:00:00Z', 'week')", "\"2026-11-23T00:00:00Z\"");
	T("trunc('2026-11-29T23:59:59Z', 'week')", "\"2026-11-23T00:00:00Z\"");
	T("trunc('2027-01-01T12:00:00Z', 'week')", "\"2026-12-28T00:00:00Z\"");
	T("trunc('1970-01-01T12:00:00Z', 'week')", "\"1969-12-29T00:00:00Z\"");
	T("trunc('2026-11-24T18:30:15.5+01:00', 'second')", "\"2026-11-24T18:30:15+01:00\"");
	T("trunc('2026-11-24T18:30:15+01:00', 'minute')", "\"2026-11-24T18:30:00+01:00\"");
	T("trunc('2026-11-24T18:30:15+05:30', 'hour')", "\"2026-11-24T18:00:00+05:30\"");
	T("trunc('2026-11-24T00:30:00+01:00', 'day')", "\"2026-11-24T00:00:00+01:00\"");
	T("trunc('2026-11-24T18:30:00Z', 'month')", "\"2026-11-01T00:00:00Z\"");
	T("trunc('2026-11-24T18:30:00Z', 'quarter')", "\"2026-10-01T00:00:00Z\"");
	T("trunc('2026-11-24T18:30:00Z', 'year')", "\"2026-01-01T00:00:00Z\"");
	T("trunc('1969-07-20T20:17:40Z', 'hour')", "\"1969-07-20T20:00:00Z\"");
	/* parse_time() with a format. */
	T("parse_time('24/11/2026 18:30', '%d/%m/%Y %H:%M')", "\"2026-11-24T18:30:00Z\"");
	T("parse_time('24 Nov 2026 6:30:05 pm +0100', '%d %b %Y %I:%M:%S %p %z')",
	  "\"2026-11-24T18:30:05+01:00\"");
	T("parse_time('Tuesday, November 24, 2026', '%A, %B %d, %Y')", "\"2026-11-24T00:00:00Z\"");
	T("parse_time('2026-328', '%Y-%j')", "\"2026-11-24T00:00:00Z\"");
	T("parse_time('1795545000', '%s')", "\"2026-11-24T18:30:00Z\"");
	T("parse_time('1795545000 +01:00', '%s %z')", "\"2026-11-24T19:30:00+01:00\"");
	T("parse_time('18:30:00.25', '%T.%f')", "\"1970-01-01T18:30:00.250Z\"");
	T("parse_time('12:00 AM', '%I:%M %p')", "\"1970-01-01T00:00:00Z\"");
	T("parse_time('99-1-5', '%y-%m-%d')", "\"1999-01-05T00:00:00Z\"");
	T("parse_time('2026-11-24  x', '%F x')", "\"2026-11-24T00:00:00Z\"");
	T("parse_time('100%', '%j%%')", "\"1970-04-10T00:00:00Z\"");
	T("parse_time('2026-11-31', '%F')", "parse error 1: parse_time('2026-11-31', '%F'): "
					    "'2026-11-31' does not match the format");
	T("parse_time('2026-11-24x', '%F')", "parse error 1: parse_time('2026-11-24x', '%F'): "
					     "'2026-11-24x' does not match the format");
	TR("parse_time(s, f)", "{\"s\":\"2026\",\"f\":\"%Q\"}",
	   "error: parse_time(s, f): unknown directive in parse_time() format (at '%Q')");
	/* format_time(). */
	T("format_time('2026-11-24T18:30:05.25+01:00', '%Y/%m/%d %H:%M:%S.%f %z %:z')",
	  "\"2026/11/24 18:30:05.250000 +0100 +01:00\"");
	T("format_time('2026-11-26T18:30:00+01:00', '%a %A %b %B %e %j %u %w %G-W%V %I%p')",
	  "\"Thu Thursday Nov November 26 330 4 4 2026-W48 06PM\"");
	T("format_time('2027-01-01', '%G-W%V-%u')", "\"2026-W53-5\"");
	T("format_time('2021-01-03', '%G-W%V-%u')", "\"2020-W53-7\"");
	T("format_time('2026-11-24T18:30:00+01:00', '%s %F %T %R %y %%')",
	  "\"1795541400 2026-11-24 18:30:00 18:30 26 %\"");
	T("format_time('1969-12-31T23:59:59.5Z', '%s')", "\"-1\"");
	T("format_time('2026-11-24', '')", "\"\"");
	T("format_time('2026-11-24', 'no directives')", "\"no directives\"");
	/* now() is the context's fixed instant. */
	T("now()", "\"2026-11-24T18:30:00Z\"");
	T("now() - parse_time('2026-11-24T18:00:00Z')", "1800");
	/* Differences in seconds; a time plus seconds. */
	T("seconds_between('2026-11-24T18:00:00Z', '2026-11-24T18:30:00.5Z')", "1800.5");
	T("seconds_between('2026-11-24T19:00:00+01:00', '2026-11-24T18:00:00Z')", "0");
	T("seconds_between('2026-11-25', '2026-11-24')", "-86400");
	T("parse_time('2026-11-24T18:30:00Z') - parse_time('2026-11-24T18:00:00+01:00')", "5400");
	T("parse_time('2026-11-24T18:30:00Z') - '2026-11-24T18:30:01Z'", "-1");
	T("parse_time('2026-11-24T18:00:00+01:00') + 90", "\"2026-11-24T18:01:30+01:00\"");
	T("90.5 + parse_time('2026-11-24T18:00:00Z')", "\"2026-11-24T18:01:30.500Z\"");
	T("parse_time('2026-11-24T18:00:00Z') - 0.000001", "\"2026-11-24T17:59:59.999999Z\"");
	T("parse_time('9999-12-31T23:59:59Z') + 1",
	  "parse error 36: parse_time('9999-12-31T23:59:59Z') + 1: the time is out of range");
	T("parse_time('2026-11-24') * 2",
	  "parse error 26: parse_time('2026-11-24') * 2: cannot multiply a time");
	TR("ts > '2026-01-01'", "{\"ts\":\"2026-11-24T18:30:00Z\"}", "true");
}

static void test_calendar(void)
{
	int y, m, d, ok = 1;
	int64_t us;
	int32_t off;
	char buf[TIMEFMT_ISO_BUFSZ];

	/* Day numbers and dates agree over the whole range. */
	for (int64_t day = timefmt_days(0, 1, 1); day <= timefmt_days(9999, 12, 31); day += 97) {
		timefmt_civil(day, &y, &m, &d);
		ok &= timefmt_days(y, m, d) == day;
	}
	CHECK(ok);
	CHECK(timefmt_days(1970, 1, 1) == 0);
	CHECK(timefmt_days(2000, 3, 1) == 11017);
	CHECK(timefmt_days(0, 1, 1) == -719528);
	timefmt_civil(-1, &y, &m, &d);
	CHECK(y == 1969 && m == 12 && d == 31);
	CHECK(timefmt_parse_iso("0000-01-01T00:00:00Z", 20, &us, &off) == 0 &&
	      us == TIMEFMT_MIN_US);
	CHECK(timefmt_parse_iso("9999-12-31T23:59:59.999999Z", 27, &us, &off) == 0 &&
	      us == TIMEFMT_MAX_US);
	timefmt_iso(TIMEFMT_MAX_US, 0, buf);
	CHECK_STR(buf, "9999-12-31T23:59:59.999999Z");
	CHECK(timefmt_in_range(TIMEFMT_MIN_US, 0) && !timefmt_in_range(TIMEFMT_MIN_US - 1, 0));
	CHECK(!timefmt_in_range(TIMEFMT_MIN_US, -3600));
	CHECK(timefmt_parse_iso("2026-11-24T18:30", 16, &us, &off) == 0);
	CHECK(timefmt_parse_iso("2026-11-24T", 11, &us, &off) == -1);
	CHECK(timefmt_parse_iso("2026-1-24", 9, &us, &off) == -1);
	CHECK(timefmt_parse_iso("2026-11-24T18:30:00.Z", 21, &us, &off) == -1);
	CHECK(timefmt_parse_iso("2026-11-24T18:30:00,5Z", 22, &us, &off) == 0 &&
	      us % 1000000 == 500000);
}

/* Fields through the scanner: the callback hands back scan_record's spans. */
static struct span *scanned;

static struct span by_scan(void *arg, size_t idx)
{
	(void)arg;
	return scanned[idx];
}

static void test_records(void)
{
	static const char *const lines[] = {
		"{\"name\":\" Ann \",\"qty\":3,\"unit_price\":19.99,\"tags\":[\"x\"]}",
		"{\"name\":\"BOB\",\"qty\":5,\"unit_price\":0.5}",
		"{\"name\":\"x\",\"qty\":4}",
		"{\"qty\":\"7\",\"unit_price\":1,\"name\":\"X\\u0020\"}",
	};
	static const char *const want_revenue[] =
		{"59.97", "2.5", "null",
		 "error: qty * unit_price: cannot multiply the string \"7\""};
	static const char *const want_filter[] = {"false", "false", "true", "error"};
	struct expr_fields f;
	struct expr_err err;
	struct expr *rev, *filt;
	struct expr_ctx ctx = {by_scan, NULL, &scratch, NOW_US};

	expr_fields_init(&f);
	rev = expr_parse("qty * unit_price", &f, &err);
	filt = expr_parse("lower(trim(name)) == 'x' and qty > 3", &f, &err);
	CHECK(rev && filt);
	CHECK(f.n == 3); /* qty, unit_price, name: shared */
	CHECK_STR(f.paths[0].text, "qty");
	CHECK_STR(f.paths[2].text, "name");
	CHECK(expr_fields_add(&f, &f.paths[1]) == 1);

	struct scan_want *w = scan_want_new(f.paths, f.n);
	scanned = calloc(f.n, sizeof(*scanned));
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct scan_err serr;
		struct val v;

		CHECK(scan_record(lines[i], strlen(lines[i]), w, scanned, &serr) == 0);
		buf_reset(&out);
		if (expr_eval(rev, &ctx, &v, &err))
			buf_printf(&out, "error: %s", err.msg);
		else
			val_to_json(&out, &v);
		CHECK_STR(out.p, want_revenue[i]);
		buf_reset(&out);
		if (expr_eval(filt, &ctx, &v, &err))
			buf_adds(&out, "error");
		else
			val_to_json(&out, &v);
		CHECK_STR(out.p, want_filter[i]);
		/* A string without escapes is read in place, not copied. */
		if (i == 0) {
			struct expr *nm = expr_parse("name", &f, &err);

			CHECK(expr_eval(nm, &ctx, &v, &err) == 0 && v.k == VAL_STR &&
			      v.s.p > lines[i] && v.s.p < lines[i] + strlen(lines[i]));
			expr_free(nm);
		}
		arena_reset(&scratch);
	}
	free(scanned);
	scan_want_free(w);
	expr_free(rev);
	expr_free(filt);
	expr_fields_release(&f);
}

static struct val json_val(const char *text)
{
	struct val v;

	val_from_json(&v, (struct span){text, strlen(text)}, &scratch);
	return v;
}

/* Numbers read from records decode exactly as dec_parse() decodes them. */
static void test_number_decoding(void)
{
	static const char *const fixed[] = {
		"0",
		"-0",
		"7",
		"-7",
		"19.99",
		"-0.001",
		"0.10",
		"1234567890123456789",
		"-1234567890123456789",
		"9999999999999999999",
		"12345678901234567890",
		"1.000000000000000000",
		"0.0000000000000000001",
		"1e2",
		"-1.5E-3",
		"100000000000000000000000000000000000000",
	};
	char text[64];
	int ok = 1;
	unsigned long long seed = 42;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) + 20000; i++) {
		const char *t = text;
		struct val v;
		dec_t d;

		if (i < sizeof(fixed) / sizeof(fixed[0])) {
			t = fixed[i];
		} else {
			/* Random JSON numbers of 1 to 22 digits, point anywhere. */
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			int nd = (int)(seed >> 59) % 22 + 1, pt = (int)(seed >> 40) % (nd + 1),
			    k = 0;

			if (seed & 1)
				text[k++] = '-';
			for (int j = 0; j < nd; j++) {
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				if (j == pt && j > 0)
					text[k++] = '.';
				text[k++] = (char)('0' + (j == 0 && nd > 1 && pt != 1
								  ? 1 + (seed >> 60) % 9
								  : (seed >> 60) % 10));
			}
			text[k] = '\0';
		}
		val_from_json(&v, (struct span){t, strlen(t)}, &scratch);
		int rc = dec_parse(&d, t, strlen(t));
		if (rc == DEC_SYNTAX)
			continue;
		if (v.k != VAL_NUM || (rc == DEC_OK) != (v.nk == NUM_DEC) ||
		    (rc == DEC_OK &&
		     (v.d.coef != d.coef || v.d.scale != d.scale || v.d.neg != d.neg))) {
			printf("# %s decodes differently\n", t);
			ok = 0;
		}
	}
	CHECK(ok);
}

static void test_val_cmp(void)
{
	static const char *const ordered[] = {
		"null",
		"false",
		"true",
		"-1e10000000000001",
		"-1e10000000000000",
		"-1e400",
		"-5",
		"0",
		"0.1",
		"1",
		"1.5",
		"123456789012345678901234567890123456789012",
		"1e400",
		"1e10000000000000",
		"1e10000000000001",
		"\"\"",
		"\"a\"",
		"\"ab\"",
		"\"b\"",
		"[1]",
		"{\"a\":1}",
	};
	size_t n = sizeof(ordered) / sizeof(ordered[0]);
	int ok = 1;

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			struct val a = json_val(ordered[i]), b = json_val(ordered[j]);
			int c = val_cmp(&a, &b), want = i < j ? -1 : i > j;

			if ((c > 0) - (c < 0) != want) {
				printf("# val_cmp(%s, %s) = %d\n", ordered[i], ordered[j], c);
				ok = 0;
			}
		}
	}
	CHECK(ok);
	struct val a = json_val("1.0"), b = json_val("1.00");
	CHECK(val_cmp(&a, &b) == 0);
	a = json_val("1e2");
	b = json_val("100");
	CHECK(val_cmp(&a, &b) == 0);
	/* Times sort after strings, by instant. */
	struct expr_err err;
	struct expr *e1 = expr_parse("parse_time('2026-11-24T18:30:00+01:00')", &fields, &err);
	struct expr *e2 = expr_parse("parse_time('2026-11-24T18:00:00Z')", &fields, &err);
	struct expr_ctx ctx = {by_lookup, NULL, &scratch, NOW_US};
	struct val t1, t2, s = json_val("\"zzz\""), j = json_val("[]");
	CHECK(expr_eval(e1, &ctx, &t1, &err) == 0 && expr_eval(e2, &ctx, &t2, &err) == 0);
	CHECK(val_cmp(&t1, &t2) < 0 && val_cmp(&t2, &t1) > 0 && val_cmp(&t1, &t1) == 0);
	CHECK(val_cmp(&s, &t1) < 0 && val_cmp(&t1, &j) < 0);
	expr_free(e1);
	expr_free(e2);
	a = json_val("true");
	CHECK(val_true(&a));
	a = json_val("null");
	CHECK(!val_true(&a));
	a = json_val("1");
	CHECK(!val_true(&a));
	arena_reset(&scratch);
}

/* val_num_double() (what etl-agg's percentiles use) is the nearest double
 * to a number of any size. */
static void test_num_double(void)
{
	struct buf t = BUF_INIT;
	struct val v;

	v = json_val("0.1");
	CHECK(val_num_double(&v) == 0.1);
	v = json_val("-19.99");
	CHECK(val_num_double(&v) == -19.99);
	v = json_val("123456789012345678901234567890123456789012");
	CHECK(val_num_double(&v) == 1.2345678901234568e41);
	v = json_val("1.5e-400");
	CHECK(val_num_double(&v) == 0);
	v = json_val("-1e400");
	CHECK(isinf(val_num_double(&v)) && val_num_double(&v) < 0);
	v = json_val("1e10000000000000");
	CHECK(isinf(val_num_double(&v)));
	/* 2^53 + 1 ties to even, and a nonzero digit far beyond the 780th
	 * still breaks the tie upward */
	v = json_val("9007199254740993");
	CHECK(val_num_double(&v) == 9007199254740992.0);
	buf_adds(&t, "9007199254740993.");
	for (int i = 0; i < 1000; i++)
		buf_addc(&t, '0');
	buf_addc(&t, '1');
	v = json_val(t.p);
	CHECK(v.nk == NUM_BIG && val_num_double(&v) == 9007199254740994.0);
	buf_release(&t);
	arena_reset(&scratch);
}

/* val_copy() keeps a value's bytes past the record and the arena they came
 * from; values without bytes take none. */
static void test_val_copy(void)
{
	static const char *const kinds[] = {"\"caf\\u00e9\"", "19.990", "[1, 2]", "true", "null"};
	struct buf store = BUF_INIT;
	struct val kept[5];
	char rec[64];

	for (int i = 0; i < 5; i++) {
		struct val v;

		snprintf(rec, sizeof(rec), "%s", kinds[i]);
		v = json_val(rec);
		if (i == 0)
			buf_reset(&store);
		val_copy(&kept[i], &v, &store);
	}
	/* only the string, the number's text and the array are stored */
	CHECK(store.len == strlen("caf\xc3\xa9") + strlen("19.990") + strlen("[1, 2]"));
	memset(rec, 'x', sizeof(rec));
	arena_reset(&scratch);
	buf_reset(&out);
	for (int i = 0; i < 5; i++) {
		if (i)
			buf_addc(&out, ' ');
		val_to_json(&out, &kept[i]);
	}
	CHECK_STR(out.p, "\"caf\xc3\xa9\" 19.990 [1, 2] true null");
	{
		struct val t, c;

		memset(&t, 0, sizeof(t));
		t.k = VAL_TIME;
		t.t_us = NOW_US;
		t.t_off = 3600;
		val_copy(&c, &t, &store);
		CHECK(c.k == VAL_TIME && c.t_us == NOW_US && c.t_off == 3600);
	}
	buf_release(&store);
}

/* expr_ctx_init() reads the clock once: now() is fixed for the run. */
static void test_ctx_init(void)
{
	struct expr_ctx ctx;

	expr_ctx_init(&ctx, by_lookup, NULL, &scratch);
	CHECK(ctx.field == by_lookup && ctx.arg == NULL && ctx.scratch == &scratch);
	/* after 2020-01-01 and before 9999 */
	CHECK(ctx.now_us > INT64_C(1577836800) * 1000000 && ctx.now_us < TIMEFMT_MAX_US);
}

/* The counts of fields read and found, and their report at the end. */
static void test_absent(void)
{
	static const char *const recs[] = {"{\"a\":1}", "{\"a\":7,\"b\":null}", "{\"a\":2}"};
	struct expr_err err;
	struct expr *e = expr_parse("a > 5 and b == \"DE\" or zz == 1", &fields, &err);
	struct expr *e2 = expr_parse("a > 5 and b == \"DE\" or zz == 1", &fields, &err);
	struct expr_ctx ctx = {by_lookup, NULL, &scratch, NOW_US};
	struct buf b = BUF_INIT;
	struct val v;

	CHECK(e && e2);
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		cur_rec.p = recs[i];
		cur_rec.n = strlen(recs[i]);
		CHECK(expr_eval(e, &ctx, &v, &err) == 0);
		arena_reset(&scratch);
	}
	/* a read 3 times, found 3; b and "DE" read once (after a > 5), b
	 * found (null is present), "DE" not; zz read 3 times, never found */
	expr_seen_write(e, &b);
	buf_addc(&b, '\0');
	CHECK_STR(b.p, "[3,3,1,1,1,0,3,0]");
	etl_quiet = 1;
	CHECK(expr_report_absent(e, "--where", 0) == 2);
	/* a worker's counts added to a copy that read nothing */
	CHECK(expr_report_absent(e2, "--where", 0) == 0);
	CHECK(expr_seen_add(e2, (struct span){b.p, b.len - 1}) == 0);
	CHECK(expr_report_absent(e2, "--where", 0) == 2);
	CHECK(expr_seen_add(e2, (struct span){"[1,1,1,1,1,1,1,1]", 17}) == 0);
	CHECK(expr_report_absent(e2, "--where", 0) == 0);
	CHECK(expr_seen_add(e2, (struct span){"[1,1]", 5}) == -1);
	CHECK(expr_seen_add(e2, (struct span){"[1,1,1,1,1,1,1,1,1]", 19}) == -1);
	CHECK(expr_seen_add(e2, (struct span){"{}", 2}) == -1);
	etl_quiet = 0;
	buf_release(&b);
	expr_free(e);
	expr_free(e2);
}

int main(void)
{
	expr_fields_init(&fields);
	test_absent();
	test_parse_errors();
	test_literals_and_fields();
	test_exact_arithmetic();
	test_null_semantics();
	test_operators();
	test_runtime_errors();
	test_string_functions();
	test_number_functions();
	test_time();
	test_calendar();
	test_records();
	test_number_decoding();
	test_val_cmp();
	test_num_double();
	test_val_copy();
	test_ctx_init();
	expr_fields_release(&fields);
	arena_release(&scratch);
	buf_release(&out);
	return unit_done();
}
