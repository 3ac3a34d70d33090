/*
 * myval.c - MySQL and MariaDB values as JSON (myval.h).
 *
 * The server's text protocol already writes most values in a form JSON can
 * take: integers and DECIMALs with every digit (UNSIGNED BIGINT included),
 * DOUBLEs with enough digits to read back.  What is reshaped here: ZEROFILL
 * padding ("00042"), which is not JSON, goes; DOUBLEs are re-read and
 * written in the shortest round-trip form; FLOATs arrive widened to DOUBLE
 * (the server writes FLOAT itself with six digits, which loses bits) and are
 * written as the shortest text of the single-precision value; dates and
 * times get the 'T' of ISO-8601, and TIMESTAMPs, which the session reads in
 * UTC, a 'Z'; BIT values are numbers; binary strings are base64.
 *
 * Invariant: whatever the text, my_text_to_json() appends one valid JSON
 * value or nothing (and says so); it never writes a number that is not the
 * column's value.  Unit-tested in tests/unit/test_myval.c and fuzzed by
 * tests/fuzz/fuzz_myval.c; checked against a real server by
 * tests/etl-extract-mysql.bats.
 */
#include "myval.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "base64.h"
#include "dtoa.h"
#include "jsonw.h"
#include "scan.h"
#include "timefmt.h"
#include "utf8.h"
#include "banned.h"

enum my_kind my_kind_of(int type, unsigned flags, unsigned charsetnr, int is_json)
{
	(void)flags;
	switch (type) {
	case MYSQL_TYPE_TINY:
	case MYSQL_TYPE_SHORT:
	case MYSQL_TYPE_LONG:
	case MYSQL_TYPE_INT24:
	case MYSQL_TYPE_LONGLONG:
	case MYSQL_TYPE_YEAR:
		return MYK_INT;
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
		return MYK_DECIMAL;
	case MYSQL_TYPE_FLOAT:
		return MYK_FLOAT;
	case MYSQL_TYPE_DOUBLE:
		return MYK_DOUBLE;
	case MYSQL_TYPE_BIT:
		return MYK_BIT;
	case MYSQL_TYPE_DATE:
	case MYSQL_TYPE_NEWDATE:
		return MYK_DATE;
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_DATETIME2:
		return MYK_DATETIME;
	case MYSQL_TYPE_TIMESTAMP:
	case MYSQL_TYPE_TIMESTAMP2:
		return MYK_TIMESTAMP;
	case MYSQL_TYPE_TIME:
	case MYSQL_TYPE_TIME2:
		return MYK_TIME;
	case MYSQL_TYPE_JSON:
		return MYK_JSON;
	case MYSQL_TYPE_GEOMETRY:
		return MYK_BINARY;
	default:
		if (is_json)
			return MYK_JSON;
		return charsetnr == 63 ? MYK_BINARY : MYK_TEXT;
	}
}

const char *my_type_name(int type, unsigned flags, unsigned charsetnr)
{
	int u = (flags & UNSIGNED_FLAG) != 0;

	switch (type) {
	case MYSQL_TYPE_TINY:
		return u ? "tinyint unsigned" : "tinyint";
	case MYSQL_TYPE_SHORT:
		return u ? "smallint unsigned" : "smallint";
	case MYSQL_TYPE_INT24:
		return u ? "mediumint unsigned" : "mediumint";
	case MYSQL_TYPE_LONG:
		return u ? "int unsigned" : "int";
	case MYSQL_TYPE_LONGLONG:
		return u ? "bigint unsigned" : "bigint";
	case MYSQL_TYPE_YEAR:
		return "year";
	case MYSQL_TYPE_DECIMAL:
	case MYSQL_TYPE_NEWDECIMAL:
		return "decimal";
	case MYSQL_TYPE_FLOAT:
		return "float";
	case MYSQL_TYPE_DOUBLE:
		return "double";
	case MYSQL_TYPE_BIT:
		return "bit";
	case MYSQL_TYPE_DATE:
	case MYSQL_TYPE_NEWDATE:
		return "date";
	case MYSQL_TYPE_DATETIME:
	case MYSQL_TYPE_DATETIME2:
		return "datetime";
	case MYSQL_TYPE_TIMESTAMP:
	case MYSQL_TYPE_TIMESTAMP2:
		return "timestamp";
	case MYSQL_TYPE_TIME:
	case MYSQL_TYPE_TIME2:
		return "time";
	case MYSQL_TYPE_JSON:
		return "json";
	case MYSQL_TYPE_GEOMETRY:
		return "geometry";
	case MYSQL_TYPE_NULL:
		return "null";
	case MYSQL_TYPE_TINY_BLOB:
	case MYSQL_TYPE_MEDIUM_BLOB:
	case MYSQL_TYPE_LONG_BLOB:
	case MYSQL_TYPE_BLOB:
		return charsetnr == 63 ? "blob" : "text";
	default:
		if (flags & ENUM_FLAG)
			return "enum";
		if (flags & SET_FLAG)
			return "set";
		if (type == MYSQL_TYPE_STRING)
			return charsetnr == 63 ? "binary" : "char";
		return charsetnr == 63 ? "varbinary" : "varchar";
	}
}

/* Is [s, s+n) a JSON number?  (No leading zeros, no '+', digits on both
 * sides of the point.) */
static int json_number(const char *s, size_t n)
{
	size_t i = 0, b;

	if (i < n && s[i] == '-')
		i++;
	b = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == b || (i - b > 1 && s[b] == '0'))
		return 0;
	if (i < n && s[i] == '.') {
		b = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == b)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		b = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == b)
			return 0;
	}
	return i == n;
}

/* An integer or a DECIMAL without its ZEROFILL padding: "000012.50" is
 * 12.50, "00000" is 0.  Anything else is written as a string. */
static void exact_number(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, z;
	int neg = n && s[0] == '-';

	i = neg;
	z = i;
	while (z + 1 < n && s[z] == '0' && s[z + 1] >= '0' && s[z + 1] <= '9')
		z++;
	if (z > i && json_number(s + z, n - z)) {
		if (neg)
			buf_addc(b, '-');
		buf_add(b, s + z, n - z);
	} else if (json_number(s, n)) {
		buf_add(b, s, n);
	} else {
		jw_string(b, s, n);
	}
}

/* The text as a double, when all of it is a finite number. */
static int read_double(const char *s, size_t n, double *v)
{
	char tmp[64];
	char *end;

	if (!n || n >= sizeof(tmp) || !json_number(s, n))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*v = strtod(tmp, &end);
	return *end || !isfinite(*v) ? -1 : 0;
}

size_t my_float_shortest(float f, char *buf)
{
	char tmp[32];
	double back;

	if (!isfinite(f))
		return 0;
	/* the fewest significant digits that read back to f; nine always do */
	for (int p = 1; p <= 9; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, (double)f);
		if (strtof(tmp, NULL) == f)
			break;
	}
	/* the same digits in the form every number of the project has: the
	 * double nearest to them, printed shortest, has them again (or fewer,
	 * which must still read back to f as a float) */
	back = strtod(tmp, NULL);
	{
		size_t len = dtoa_shortest(back, buf);

		if (len && strtof(buf, NULL) == f)
			return len;
	}
	/* never seen; the exponent form is JSON all the same */
	return (size_t)snprintf(buf, 32, "%s", tmp);
}

static void float_json(struct buf *b, const char *s, size_t n, int single)
{
	char num[DTOA_BUFSZ];
	double v;
	size_t len;

	if (read_double(s, n, &v) < 0) {
		jw_string(b, s, n);
		return;
	}
	len = single ? my_float_shortest((float)v, num) : dtoa_shortest(v, num);
	/* a double beyond a float's range would have been no FLOAT's value */
	if (!len || (single && (double)(float)v != v))
		buf_add(b, s, n);
	else
		buf_add(b, num, len);
}

static void bit_json(struct buf *b, const char *s, size_t n)
{
	uint64_t v = 0;

	if (n > 8) {
		/* BIT is at most 64 bits: longer text is not a BIT value */
		buf_addc(b, '"');
		b64_encode(b, s, n);
		buf_addc(b, '"');
		return;
	}
	for (size_t i = 0; i < n; i++)
		v = v << 8 | (unsigned char)s[i];
	buf_printf(b, "%llu", (unsigned long long)v);
}

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* "YYYY-MM-DD HH:MM:SS[.f...]" with a month and a day that are not 0 (a
 * zero date is not a date ISO-8601 can write). */
static int datetime_shape(const char *s, size_t n)
{
	if (n < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
	    !digits(s, 4) || !digits(s + 5, 2) || !digits(s + 8, 2) || !digits(s + 11, 2) ||
	    !digits(s + 14, 2) || !digits(s + 17, 2))
		return 0;
	if (!memcmp(s + 5, "00", 2) || !memcmp(s + 8, "00", 2))
		return 0;
	if (n > 19 && (s[19] != '.' || n == 20 || !digits(s + 20, n - 20)))
		return 0;
	return 1;
}

/* The length of a time without the zeros that end its fraction (and the
 * point, when nothing is left of it): "18:30:00.500" is 18:30:00.5, as
 * etl-extract-pg writes times. */
static size_t trim_fraction(const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);

	if (!dot || !digits(dot + 1, n - (dot + 1 - s)))
		return n;
	while (n > (size_t)(dot - s) + 1 && s[n - 1] == '0')
		n--;
	return s[n - 1] == '.' ? n - 1 : n;
}

static void datetime_json(struct buf *b, const char *s, size_t n, int zone)
{
	char tmp[64];

	if (n + 1 >= sizeof(tmp) || !datetime_shape(s, n)) {
		jw_string(b, s, n);
		return;
	}
	n = trim_fraction(s, n);
	memcpy(tmp, s, n);
	tmp[10] = 'T';
	if (zone)
		tmp[n++] = 'Z';
	jw_string(b, tmp, n);
}

static int json_json(struct buf *b, const char *s, size_t n)
{
	static struct buf tmp = BUF_INIT;
	struct scan_err err;

	/* the scanner wants a NUL after the text */
	buf_reset(&tmp);
	buf_add(&tmp, s, n);
	buf_addc(&tmp, '\0');
	if (scan_value(tmp.p, n, &err) < 0)
		return -1;
	jw_compact(b, tmp.p, n);
	return 0;
}

int my_text_to_json(struct buf *b, enum my_kind k, const char *s, size_t n)
{
	if (k == MYK_BINARY) {
		buf_addc(b, '"');
		b64_encode(b, s, n);
		buf_addc(b, '"');
		return 0;
	}
	if (k == MYK_BIT) {
		bit_json(b, s, n);
		return 0;
	}
	/* every other kind is text, which a string keeps when it is not what
	 * the kind expects: it must be UTF-8 */
	if (!utf8_valid(s, n))
		return -1;
	switch (k) {
	case MYK_INT:
	case MYK_DECIMAL:
		exact_number(b, s, n);
		return 0;
	case MYK_DOUBLE:
		float_json(b, s, n, 0);
		return 0;
	case MYK_FLOAT:
		float_json(b, s, n, 1);
		return 0;
	case MYK_DATETIME:
	case MYK_TIMESTAMP:
		datetime_json(b, s, n, k == MYK_TIMESTAMP);
		return 0;
	case MYK_JSON:
		return json_json(b, s, n);
	case MYK_TIME:
		jw_string(b, s, trim_fraction(s, n));
		return 0;
	default:
		jw_string(b, s, n);
		return 0;
	}
}

int my_iso_to_datetime(struct buf *b, const char *s, int timestamp, char *err, size_t errsz)
{
	size_t n = strlen(s);
	int64_t us, days, uod;
	int32_t off;
	int y, m, d, zone;

	if (timefmt_parse_iso(s, n, &us, &off) < 0) {
		snprintf(err, errsz, "not an ISO-8601 date and time");
		return -1;
	}
	/* an offset or a Z after the date */
	zone = n > 10 && (s[n - 1] == 'Z' || s[n - 1] == 'z' || strpbrk(s + 10, "+-"));
	if (zone && !timestamp) {
		snprintf(err, errsz, "a datetime has no time zone, and the value has one");
		return -1;
	}
	if (!timefmt_in_range(us, 0)) {
		snprintf(err, errsz, "out of range in UTC");
		return -1;
	}
	timefmt_split(us, 0, &days, &uod);
	timefmt_civil(days, &y, &m, &d);
	buf_printf(b, "%04d-%02d-%02d %02d:%02d:%02d.%06d", y, m, d,
		   (int)(uod / (3600 * TIMEFMT_US_PER_SEC)),
		   (int)(uod / (60 * TIMEFMT_US_PER_SEC) % 60),
		   (int)(uod / TIMEFMT_US_PER_SEC % 60), (int)(uod % TIMEFMT_US_PER_SEC));
	return 0;
}
