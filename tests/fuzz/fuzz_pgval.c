/*
 * fuzz_pgval.c - libFuzzer target for common/pgval.c: the checks that stand
 * between a record's JSON values and COPY, and the reshaping of the
 * server's text output into JSON.
 *
 * The first input byte picks a column type (and a typmod), the rest is the
 * value.  Invariants checked (abort() on a violation):
 *
 *   - pg_json_to_text() on a valid JSON value either fails with a message,
 *     or succeeds with text that holds no NUL byte (COPY could not carry
 *     it) and, for the integer types, is an integer in the type's range;
 *   - pg_copy_unescape() inverts pg_copy_escape() on any bytes, and the
 *     escaped form holds no tab, newline or carriage return;
 *   - pg_text_to_json() turns any valid UTF-8 text of a string kind into
 *     one valid JSON value, and valid JSON of the json kinds into one line;
 *   - pg_parse_iso() accepts a date without a time only at a midnight.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pgval.h"
#include "scan.h"
#include "utf8.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

#define MOD(p, s) ((((p) << 16) | (s)) + 4)

static const struct {
	unsigned oid;
	int typmod;
	unsigned elem; /* an array of elem when set */
} types[] = {
	{21, -1, 0},      {23, -1, 0},           {20, -1, 0},          {26, -1, 0},
	{1700, -1, 0},    {1700, MOD(12, 2), 0}, {1700, MOD(4, 4), 0}, {700, -1, 0},
	{701, -1, 0},     {16, -1, 0},           {25, -1, 0},          {1043, 3 + 4, 0},
	{1042, 1 + 4, 0}, {19, -1, 0},           {18, -1, 0},          {1082, -1, 0},
	{1114, -1, 0},    {1184, -1, 0},         {1083, -1, 0},        {114, -1, 0},
	{3802, -1, 0},    {17, -1, 0},           {2950, -1, 0},        {1007, -1, 23},
	{1009, -1, 25},   {1231, -1, 1700},      {3807, -1, 3802},
};

static struct buf out = BUF_INIT, tmp = BUF_INIT, back = BUF_INIT;

static void check_int_text(unsigned oid, const char *p, size_t n)
{
	char num[32];
	long long v, lo, hi;
	char *end;

	check(n > 0 && n < sizeof(num));
	memcpy(num, p, n);
	num[n] = '\0';
	v = strtoll(num, &end, 10);
	check(*end == '\0');
	lo = oid == 21 ? -32768 : oid == 23 ? INT32_MIN : oid == 26 ? 0 : INT64_MIN;
	hi = oid == 21 ? 32767 : oid == 23 ? INT32_MAX : oid == 26 ? UINT32_MAX : INT64_MAX;
	check(v >= lo && v <= hi);
}

static void json_to_text(unsigned pick, const char *p, size_t n)
{
	struct scan_err serr;
	unsigned i = pick % (sizeof(types) / sizeof(*types));
	struct pg_type t = {types[i].oid,  types[i].typmod,           PGK_ARRAY,
			    types[i].elem, pg_kind_of(types[i].elem), -1,
			    "the type"};
	struct span v = {p, n};
	char err[256] = "";

	if (scan_value(p, n, &serr) < 0)
		return;
	/* whitespace around a value is the reader's business: trim it */
	while (v.n && (*v.p == ' ' || *v.p == '\t' || *v.p == '\n' || *v.p == '\r'))
		v.p++, v.n--;
	while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t' || v.p[v.n - 1] == '\n' ||
		       v.p[v.n - 1] == '\r'))
		v.n--;
	if (scan_kind(v) == SCAN_NULL)
		return; /* NULL never reaches the conversion */
	if (!types[i].elem)
		t.kind = pg_kind_of(t.oid);
	buf_reset(&out);
	if (pg_json_to_text(&out, &t, v, err, sizeof(err)) < 0) {
		check(err[0] != '\0');
		return;
	}
	check(!out.len || !memchr(out.p, '\0', out.len));
	if (t.kind == PGK_INT)
		check_int_text(t.oid, out.p, out.len);
}

static void copy_round_trip(const char *p, size_t n)
{
	buf_reset(&out);
	pg_copy_escape(&out, p, n);
	check(!out.len || (!memchr(out.p, '\t', out.len) && !memchr(out.p, '\n', out.len) &&
			   !memchr(out.p, '\r', out.len)));
	buf_reset(&back);
	buf_add(&back, out.p ? out.p : "", out.len);
	buf_addc(&back, '\0');
	check(pg_copy_unescape(back.p, out.len) == n);
	check(!n || !memcmp(back.p, p, n));
}

static void text_to_json(const char *p, size_t n)
{
	static const enum pg_kind kinds[] = {PGK_TEXT, PGK_OTHER, PGK_DATE, PGK_TSTZ,
					     PGK_TS,   PGK_TIME,  PGK_UUID};
	struct scan_err serr;

	if (!utf8_valid(p, n))
		return;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
		buf_reset(&out);
		pg_text_to_json(&out, kinds[k], p, n);
		buf_addc(&out, '\0');
		check(scan_value(out.p, out.len - 1, &serr) == 0);
		check(scan_kind((struct span){out.p, out.len - 1}) == SCAN_STRING);
	}
	if (scan_value(p, n, &serr) == 0) {
		buf_reset(&out);
		pg_text_to_json(&out, PGK_JSONB, p, n);
		buf_addc(&out, '\0');
		check(!memchr(out.p, '\n', out.len - 1));
		check(scan_value(out.p, out.len - 1, &serr) == 0);
	}
}

static void parse_iso(const char *p, size_t n)
{
	int64_t us;
	int has_time, has_zone;

	if (pg_parse_iso(p, n, &us, &has_time, &has_zone) < 0)
		return;
	check(has_zone >= 0 && has_zone <= 2);
	if (!has_time)
		check(us % (86400LL * 1000000) == 0 && !has_zone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p;
	size_t n;

	if (!size)
		return 0;
	/* the value, NUL-terminated (the scanner's sentinel) */
	buf_reset(&tmp);
	buf_add(&tmp, (const char *)data + 1, size - 1);
	buf_addc(&tmp, '\0');
	p = tmp.p;
	n = size - 1;
	json_to_text(data[0], p, n);
	copy_round_trip(p, n);
	text_to_json(p, n);
	parse_iso(p, n);
	return 0;
}
