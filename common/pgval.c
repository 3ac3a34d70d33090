/*
 * pgval.c - PostgreSQL values as text (pgval.h): COPY's text format, and the
 * mapping between PostgreSQL's text forms and JSON values.
 *
 * Values: the session is set by pg_connect() so that PostgreSQL's text
 * output already is ISO-8601 and shortest round-trip floats;
 * pg_text_to_json() only reshapes it.  In the other direction
 * pg_json_to_text() checks every value the way the server's input functions
 * would, and refuses what they would reject or silently change (round a
 * numeric, drop a time zone, truncate a name), so a bad value is a bad
 * record with its line and not a failed COPY.
 *
 * Nothing here talks to the server: these are pure functions of their
 * arguments, unit-tested in tests/unit/test_pgval.c and checked against a
 * real server by the etl-load-pg and etl-extract-pg tests.
 */
#include "pgval.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "decimal.h"
#include "hex.h"
#include "jsonw.h"
#include "mem.h"
#include "path.h"
#include "utf8.h"
#include "banned.h"

/* Built-in type OIDs (pg_type.dat; stable across versions). */
enum {
	OID_BOOL = 16,
	OID_BYTEA = 17,
	OID_CHAR = 18,
	OID_NAME = 19,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_TEXT = 25,
	OID_OID = 26,
	OID_JSON = 114,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701,
	OID_BPCHAR = 1042,
	OID_VARCHAR = 1043,
	OID_DATE = 1082,
	OID_TIME = 1083,
	OID_TIMESTAMP = 1114,
	OID_TIMESTAMPTZ = 1184,
	OID_NUMERIC = 1700,
	OID_UUID = 2950,
	OID_JSONB = 3802,
};

/* ---- COPY text format ---------------------------------------------------- */

void pg_copy_escape(struct buf *b, const char *s, size_t n)
{
	const char *end = s + n, *run = s;

	buf_grow(b, n);
	for (; s < end; s++) {
		char e;

		switch (*s) {
		case '\\':
			e = '\\';
			break;
		case '\t':
			e = 't';
			break;
		case '\n':
			e = 'n';
			break;
		case '\r':
			e = 'r';
			break;
		default:
			continue;
		}
		buf_add(b, run, s - run);
		buf_addc(b, '\\');
		buf_addc(b, e);
		run = s + 1;
	}
	buf_add(b, run, s - run);
}

size_t pg_copy_unescape(char *s, size_t n)
{
	char *w, *r = memchr(s, '\\', n), *end = s + n;

	if (!r)
		return n;
	for (w = r; r < end; r++) {
		if (*r != '\\' || r + 1 == end) {
			*w++ = *r;
			continue;
		}
		r++;
		switch (*r) {
		case 'b':
			*w++ = '\b';
			break;
		case 'f':
			*w++ = '\f';
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 'r':
			*w++ = '\r';
			break;
		case 't':
			*w++ = '\t';
			break;
		case 'v':
			*w++ = '\v';
			break;
		case 'x':
			if (r + 1 < end && hex_val((unsigned char)r[1]) >= 0) {
				int v = hex_val((unsigned char)*++r);

				if (r + 1 < end && hex_val((unsigned char)r[1]) >= 0)
					v = v * 16 + hex_val((unsigned char)*++r);
				*w++ = (char)v;
			} else {
				*w++ = 'x';
			}
			break;
		default:
			if (*r >= '0' && *r <= '7') {
				int v = *r - '0';

				for (int k = 0; k < 2 && r + 1 < end && r[1] >= '0' && r[1] <= '7';
				     k++)
					v = v * 8 + (*++r - '0');
				*w++ = (char)v;
			} else {
				*w++ = *r;
			}
		}
	}
	return w - s;
}

/* ---- PostgreSQL text to JSON --------------------------------------------- */

enum pg_kind pg_kind_of(unsigned oid)
{
	switch (oid) {
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		return PGK_INT;
	case OID_NUMERIC:
		return PGK_NUMERIC;
	case OID_FLOAT4:
	case OID_FLOAT8:
		return PGK_FLOAT;
	case OID_BOOL:
		return PGK_BOOL;
	case OID_TEXT:
	case OID_VARCHAR:
	case OID_BPCHAR:
	case OID_NAME:
	case OID_CHAR:
		return PGK_TEXT;
	case OID_DATE:
		return PGK_DATE;
	case OID_TIMESTAMPTZ:
		return PGK_TSTZ;
	case OID_TIMESTAMP:
		return PGK_TS;
	case OID_TIME:
		return PGK_TIME;
	case OID_JSON:
		return PGK_JSON;
	case OID_JSONB:
		return PGK_JSONB;
	case OID_BYTEA:
		return PGK_BYTEA;
	case OID_UUID:
		return PGK_UUID;
	default:
		return PGK_OTHER;
	}
}

/* "\x0a1b..." (bytea_output hex) as a base64 JSON string. */
static void bytea_json(struct buf *b, const char *s, size_t n)
{
	struct buf raw = BUF_INIT;

	if (n < 2 || s[0] != '\\' || s[1] != 'x' || n % 2) {
		jw_string(b, s, n);
		return;
	}
	/* not hex: as the text it is (the server never sends that) */
	for (size_t i = 2; i < n; i++) {
		if (hex_val((unsigned char)s[i]) < 0) {
			jw_string(b, s, n);
			return;
		}
	}
	buf_grow(&raw, (n - 2) / 2);
	for (size_t i = 2; i + 1 < n; i += 2)
		buf_addc(&raw, (char)(hex_val((unsigned char)s[i]) << 4 |
				      hex_val((unsigned char)s[i + 1])));
	buf_addc(b, '"');
	b64_encode(b, raw.p, raw.len);
	buf_addc(b, '"');
	buf_release(&raw);
}

/* json keeps its input text as written, line breaks included: take out the
 * white space between tokens so that the record stays on one line. */
static void json_compact(struct buf *b, const char *s, size_t n)
{
	const char *end = s + n;
	int instr = 0;

	buf_grow(b, n);
	for (; s < end; s++) {
		char c = *s;

		if (instr) {
			if (c == '\\' && s + 1 < end) {
				buf_addc(b, c);
				c = *++s;
			} else if (c == '"') {
				instr = 0;
			}
		} else if (c == '"') {
			instr = 1;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		}
		buf_addc(b, c);
	}
}

/* "2026-11-24 18:30:00.5+00" -> "2026-11-24T18:30:00.5Z"; an offset that
 * is not zero keeps its value as "+05:30". */
static void ts_json(struct buf *b, const char *s, size_t n, int zone)
{
	const char *sp = memchr(s, ' ', n);
	char tmp[64];
	size_t k = 0;

	if (!sp || n >= sizeof(tmp) - 8 || (n > 3 && !memcmp(s + n - 3, " BC", 3))) {
		jw_string(b, s, n); /* infinity, BC dates: as the server writes them */
		return;
	}
	memcpy(tmp, s, n);
	tmp[sp - s] = 'T';
	k = n;
	if (zone) {
		size_t i = n;

		while (i > (size_t)(sp - s) && tmp[i - 1] != '+' && tmp[i - 1] != '-')
			i--;
		if (i > (size_t)(sp - s)) {
			const char *off = tmp + i; /* after the sign */
			size_t on = n - i;

			if ((on == 2 && !memcmp(off, "00", 2)) ||
			    (on == 5 && !memcmp(off, "00:00", 5))) {
				k = i - 1;
				tmp[k++] = 'Z';
			} else if (on == 2) {
				tmp[k++] = ':';
				tmp[k++] = '0';
				tmp[k++] = '0';
			}
		}
	}
	jw_string(b, tmp, k);
}

void pg_text_to_json(struct buf *b, enum pg_kind k, const char *s, size_t n)
{
	switch (k) {
	case PGK_INT:
		buf_add(b, s, n);
		return;
	case PGK_NUMERIC:
	case PGK_FLOAT:
		/* NaN, Infinity and -Infinity are not JSON numbers */
		if (n && ((s[0] >= '0' && s[0] <= '9') ||
			  (s[0] == '-' && n > 1 && s[1] >= '0' && s[1] <= '9')))
			buf_add(b, s, n);
		else
			jw_string(b, s, n);
		return;
	case PGK_BOOL:
		buf_adds(b, n && s[0] == 't' ? "true" : "false");
		return;
	case PGK_TSTZ:
		ts_json(b, s, n, 1);
		return;
	case PGK_TS:
		ts_json(b, s, n, 0);
		return;
	case PGK_JSON:
	case PGK_JSONB:
		json_compact(b, s, n);
		return;
	case PGK_BYTEA:
		bytea_json(b, s, n);
		return;
	default:
		jw_string(b, s, n);
	}
}

/* ---- JSON to PostgreSQL input text --------------------------------------- */

/* The value's text: a string decoded into tmp, anything else as written. */
/* ---- array literals to JSON ------------------------------------------- */

/* An element as to_json() writes it: timestamps with a 'T' and a "+00:00"
 * offset, bytea as its text, the other kinds as pg_text_to_json(). */
static void elem_json(struct buf *b, enum pg_kind k, const char *s, size_t n)
{
	if ((k == PGK_TS || k == PGK_TSTZ) && memchr(s, ' ', n) && n < 60 &&
	    !(n > 3 && !memcmp(s + n - 3, " BC", 3))) {
		char tmp[64];
		size_t sp = (const char *)memchr(s, ' ', n) - s, k2 = n;

		memcpy(tmp, s, n);
		tmp[sp] = 'T';
		if (k == PGK_TSTZ && n >= 3 && (s[n - 3] == '+' || s[n - 3] == '-')) {
			tmp[k2++] = ':';
			tmp[k2++] = '0';
			tmp[k2++] = '0';
		}
		jw_string(b, tmp, k2);
		return;
	}
	if (k == PGK_BYTEA || k == PGK_TS || k == PGK_TSTZ)
		k = PGK_OTHER;
	pg_text_to_json(b, k, s, n);
}

static int is_array_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* One level "{...}" at *pp: elements separated by ',', each a nested
 * level, a quoted string with backslash escapes, NULL, or bare text. */
static int array_level(struct buf *b, enum pg_kind elem, const char **pp, const char *end,
		       struct buf *tmp, int depth)
{
	const char *p = *pp;
	int first = 1;

	if (depth > 6 || p >= end || *p != '{')
		return -1;
	p++;
	buf_addc(b, '[');
	while (p < end && is_array_space(*p))
		p++;
	if (p < end && *p == '}') {
		*pp = p + 1;
		buf_addc(b, ']');
		return 0;
	}
	for (;;) {
		while (p < end && is_array_space(*p))
			p++;
		if (p >= end)
			return -1;
		if (!first)
			buf_addc(b, ',');
		first = 0;
		if (*p == '{') {
			if (array_level(b, elem, &p, end, tmp, depth + 1) < 0)
				return -1;
		} else if (*p == '"') {
			buf_reset(tmp);
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && ++p >= end)
					return -1;
				buf_addc(tmp, *p);
			}
			if (p >= end)
				return -1;
			p++;
			elem_json(b, elem, tmp->p ? tmp->p : "", tmp->len);
		} else {
			size_t keep = 0;

			buf_reset(tmp);
			for (; p < end && *p != ',' && *p != '}'; p++) {
				if (*p == '\\') {
					if (++p >= end)
						return -1;
					buf_addc(tmp, *p);
					keep = tmp->len;
					continue;
				}
				if (*p == '{' || *p == '"')
					return -1;
				buf_addc(tmp, *p);
				if (!is_array_space(*p))
					keep = tmp->len;
			}
			tmp->len = keep;
			if (!keep)
				return -1;
			if (keep == 4 && !strncasecmp(tmp->p, "NULL", 4))
				buf_adds(b, "null");
			else
				elem_json(b, elem, tmp->p, keep);
		}
		while (p < end && is_array_space(*p))
			p++;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}') {
			*pp = p + 1;
			buf_addc(b, ']');
			return 0;
		}
		return -1;
	}
}

int pg_array_text_to_json(struct buf *b, enum pg_kind elem, const char *s, size_t n,
			  struct buf *tmp)
{
	const char *p = s, *end = s + n;
	size_t mark = b->len;

	/* "[0:2]={...}": bounds other than 1, which to_json() leaves out */
	if (p < end && *p == '[') {
		const char *eq = memchr(p, '=', n);

		if (!eq)
			return -1;
		p = eq + 1;
	}
	if (array_level(b, elem, &p, end, tmp, 0) < 0 || p != end) {
		b->len = mark;
		if (b->p)
			b->p[mark] = '\0';
		return -1;
	}
	return 0;
}

static struct span value_text(struct span v, struct buf *tmp, int *is_string)
{
	*is_string = v.p[0] == '"';
	if (!*is_string)
		return v;
	buf_reset(tmp);
	scan_string(tmp, v);
	return (struct span){tmp->p ? tmp->p : "", tmp->len};
}

/* A short excerpt of a value for messages. */
static const char *shown(struct span s)
{
	static char m[64];

	if (s.n > 40)
		snprintf(m, sizeof(m), "'%.37s...'", s.p);
	else
		snprintf(m, sizeof(m), "'%.*s'", (int)s.n, s.p);
	for (char *p = m; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = '?';
	return m;
}

/* The shape of a decimal number (JSON syntax; with lenient, also a leading
 * '+' and leading zeros): how many digits it needs before and after the
 * point once the exponent is applied and the zeros that carry nothing are
 * dropped (0012.500e1 needs 3 and 1; 1200 needs 4 and -2, which a numeric
 * with a negative scale can hold).  -1 when it is not a number. */
static int num_shape(const char *s, size_t n, int lenient, long *intdig, long *fracdig)
{
	size_t i = 0, ib, ie, fb = 0, fe = 0, first, last;
	long e = 0, pos, nd;

	if (i < n && (s[i] == '-' || (lenient && s[i] == '+')))
		i++;
	ib = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	ie = i;
	if (ie == ib || (!lenient && ie - ib > 1 && s[ib] == '0'))
		return -1;
	fb = fe = ie;
	if (i < n && s[i] == '.') {
		fb = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		fe = i;
		if (fe == fb)
			return -1;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		int neg = 0;
		size_t eb;

		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			neg = s[i++] == '-';
		eb = i;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (e < 100000000)
				e = e * 10 + (s[i] - '0');
			i++;
		}
		if (i == eb)
			return -1;
		if (neg)
			e = -e;
	}
	if (i != n)
		return -1;
	/* the digits D = int part then fraction, the point after the int part:
	 * strip D's leading zeros (moving the point left) and trailing zeros */
	pos = (long)(ie - ib);
	nd = (long)(ie - ib) + (long)(fe - fb);
#define DIGIT(k) ((size_t)(k) < ie - ib ? s[ib + (k)] : s[fb + (k) - (ie - ib)])
	for (first = 0; (long)first < nd && DIGIT(first) == '0'; first++)
		pos--;
	for (last = nd; last > first && DIGIT(last - 1) == '0'; last--)
		;
#undef DIGIT
	if (last == first) {
		*intdig = *fracdig = 0;
		return 0;
	}
	pos += e;
	nd = (long)(last - first);
	*intdig = pos > 0 ? pos : 0;
	*fracdig = nd - pos; /* negative for 1200: the last nonzero digit is the hundreds */
	return 0;
}

static int is_special_float(struct span t)
{
	return (t.n == 3 && !memcmp(t.p, "NaN", 3)) || (t.n == 8 && !memcmp(t.p, "Infinity", 8)) ||
	       (t.n == 9 && !memcmp(t.p, "-Infinity", 9));
}

static int conv_int(struct buf *b, const struct pg_type *t, struct span v, struct buf *tmp,
		    char *err, size_t errsz)
{
	int str;
	struct span x = value_text(v, tmp, &str);
	dec_t d;
	int64_t i, lo, hi;
	const char *tn;
	char num[32];
	int rc;

	if (!str && scan_kind(v) != SCAN_NUMBER)
		goto notnum;
	/* the usual case: a JSON integer with fewer digits than the type can
	 * overflow with goes through as written */
	if (!str) {
		size_t k = x.p[0] == '-', maxd = t->oid == OID_INT2   ? 4
						 : t->oid == OID_INT8 ? 18
								      : 9;

		if (t->oid == OID_OID)
			maxd = x.p[0] == '-' ? 0 : 9;
		while (k < x.n && x.p[k] >= '0' && x.p[k] <= '9')
			k++;
		if (k == x.n && x.n - (x.p[0] == '-') <= maxd) {
			buf_add(b, x.p, x.n);
			return 0;
		}
	}
	rc = str ? dec_parse_lenient(&d, x.p, x.n) : dec_parse(&d, x.p, x.n);
	if (rc == DEC_SYNTAX)
		goto notnum;
	switch (t->oid) {
	case OID_INT2:
		lo = -32768, hi = 32767, tn = "smallint";
		break;
	case OID_INT4:
		lo = INT32_MIN, hi = INT32_MAX, tn = "integer";
		break;
	case OID_OID:
		lo = 0, hi = UINT32_MAX, tn = "oid";
		break;
	default:
		lo = INT64_MIN, hi = INT64_MAX, tn = "bigint";
	}
	if (rc == DEC_INEXACT) {
		snprintf(err, errsz, "%s is out of range for %s", shown(x), tn);
		return -1;
	}
	dec_normalize(&d);
	if (d.scale != 0) {
		snprintf(err, errsz, "%s is not an integer", shown(x));
		return -1;
	}
	if (!dec_to_i64(&d, &i) || i < lo || i > hi) {
		snprintf(err, errsz, "%s is out of range for %s", shown(x), tn);
		return -1;
	}
	buf_add(b, num, snprintf(num, sizeof(num), "%lld", (long long)i));
	return 0;
notnum:
	snprintf(err, errsz, "%s is not an integer", shown(x));
	return -1;
}

static int conv_numeric(struct buf *b, const struct pg_type *t, struct span v, struct buf *tmp,
			char *err, size_t errsz)
{
	int str;
	struct span x = value_text(v, tmp, &str);
	long id, fd;

	if (str && is_special_float(x)) {
		if (t->typmod >= 4 && x.p[0] != 'N') {
			snprintf(err, errsz, "%s does not fit %s", shown(x), t->name);
			return -1;
		}
		buf_add(b, x.p, x.n);
		return 0;
	}
	if ((!str && scan_kind(v) != SCAN_NUMBER) || num_shape(x.p, x.n, str, &id, &fd) < 0) {
		snprintf(err, errsz, "%s is not a number", shown(x));
		return -1;
	}
	if (t->typmod >= 4) {
		int prec = ((t->typmod - 4) >> 16) & 0xffff;
		int scale = (((t->typmod - 4) & 0x7ff) ^ 1024) - 1024;

		if (fd > scale) {
			snprintf(err, errsz, "%s would be rounded: %s keeps fewer decimal places",
				 shown(x), t->name);
			return -1;
		}
		if (id > prec - scale) {
			snprintf(err, errsz, "%s is too large for %s", shown(x), t->name);
			return -1;
		}
	} else if (id > 131072 || fd > 16383) {
		snprintf(err, errsz, "%s is out of range for numeric", shown(x));
		return -1;
	}
	buf_add(b, x.p, x.n);
	return 0;
}

static int conv_float(struct buf *b, const struct pg_type *t, struct span v, struct buf *tmp,
		      char *err, size_t errsz)
{
	static struct buf num = BUF_INIT;
	int str;
	struct span x = value_text(v, tmp, &str);
	long id, fd;
	double d;

	if (str && is_special_float(x)) {
		buf_add(b, x.p, x.n);
		return 0;
	}
	if ((!str && scan_kind(v) != SCAN_NUMBER) || num_shape(x.p, x.n, str, &id, &fd) < 0) {
		snprintf(err, errsz, "%s is not a number", shown(x));
		return -1;
	}
	buf_reset(&num);
	buf_add(&num, x.p, x.n);
	errno = 0;
	d = t->oid == OID_FLOAT4 ? strtof(num.p, NULL) : strtod(num.p, NULL);
	/* the server refuses what overflows, and what underflows to zero */
	if (errno == ERANGE && (d == 0 || isinf(d))) {
		snprintf(err, errsz, "%s is out of range for %s", shown(x), t->name);
		return -1;
	}
	buf_add(b, x.p, x.n);
	return 0;
}

static int conv_bool(struct buf *b, struct span v, struct buf *tmp, char *err, size_t errsz)
{
	static const char *const yes[] = {"true", "t", "yes", "y", "on", "1"};
	static const char *const no[] = {"false", "f", "no", "n", "off", "0"};
	enum scan_kind k = scan_kind(v);
	int str;
	struct span x;

	if (k == SCAN_TRUE || k == SCAN_FALSE) {
		buf_addc(b, k == SCAN_TRUE ? 't' : 'f');
		return 0;
	}
	x = value_text(v, tmp, &str);
	if (str) {
		for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
			if (x.n == strlen(yes[i]) && !strncasecmp(x.p, yes[i], x.n)) {
				buf_addc(b, 't');
				return 0;
			}
			if (x.n == strlen(no[i]) && !strncasecmp(x.p, no[i], x.n)) {
				buf_addc(b, 'f');
				return 0;
			}
		}
	}
	snprintf(err, errsz, "%s is not a boolean", shown(x));
	return -1;
}

static int conv_text(struct buf *b, const struct pg_type *t, struct span v, struct buf *tmp,
		     char *err, size_t errsz)
{
	int str;
	struct span x = value_text(v, tmp, &str);

	if (memchr(x.p, '\0', x.n)) {
		snprintf(err, errsz, "text cannot hold a NUL character (\\u0000)");
		return -1;
	}
	if (t->oid == OID_NAME && x.n > 63) {
		snprintf(err, errsz, "%s is longer than 63 bytes (type name would cut it)",
			 shown(x));
		return -1;
	}
	if ((t->oid == OID_VARCHAR || t->oid == OID_BPCHAR) && t->typmod >= 4 &&
	    utf8_count(x.p, x.n) > (size_t)(t->typmod - 4)) {
		snprintf(err, errsz, "%s is longer than %s allows", shown(x), t->name);
		return -1;
	}
	if (t->oid == OID_CHAR && utf8_count(x.p, x.n) > 1) {
		snprintf(err, errsz, "%s is longer than one character", shown(x));
		return -1;
	}
	buf_add(b, x.p, x.n);
	return 0;
}

static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

static int days_in_month(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int pg_parse_iso(const char *s, size_t n, int64_t *us, int *has_time, int *has_zone)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	int64_t frac = 0;
	size_t i;

	*has_time = *has_zone = 0;
	if (n < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	if (y < 1)
		return -1; /* PostgreSQL has no year 0000: the year before 0001 is 1 BC */
	i = 10;
	if (i < n) {
		if ((s[i] != 'T' && s[i] != ' ') || i + 6 > n || !digits(s + i + 1, 2, &h) ||
		    s[i + 3] != ':' || !digits(s + i + 4, 2, &mi) || h > 23 || mi > 59)
			return -1;
		*has_time = 1;
		i += 6;
		if (i < n && s[i] == ':') {
			if (i + 3 > n || !digits(s + i + 1, 2, &sec) || sec > 59)
				return -1;
			i += 3;
			if (i < n && s[i] == '.') {
				size_t fb = ++i;
				int64_t scale = 100000;

				while (i < n && s[i] >= '0' && s[i] <= '9') {
					frac += (s[i] - '0') * scale;
					scale /= 10;
					i++;
				}
				/* the server keeps microseconds and rounds the rest */
				if (i == fb || i - fb > 6)
					return -1;
			}
		}
		if (i < n) {
			*has_zone = 1;
			if (s[i] == 'Z' && i + 1 == n) {
				i++;
			} else if (s[i] == '+' || s[i] == '-') {
				sign = s[i] == '-' ? -1 : 1;
				if (i + 3 > n || !digits(s + i + 1, 2, &oh) || oh > 15)
					return -1;
				i += 3;
				if (i < n && s[i] == ':')
					i++;
				if (i < n) {
					if (i + 2 != n || !digits(s + i, 2, &om) || om > 59)
						return -1;
					i += 2;
				}
			} else {
				return -1;
			}
		}
	}
	if (i != n)
		return -1;
	if (*has_zone && (oh || om))
		*has_zone = 2;
	*us = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) -
	       (int64_t)sign * (oh * 3600 + om * 60)) *
		      1000000 +
	      frac;
	return 0;
}

static int conv_time(struct buf *b, const struct pg_type *t, struct span v, struct buf *tmp,
		     char *err, size_t errsz)
{
	int str, tm, zone, ok = 0;
	struct span x = value_text(v, tmp, &str);
	int64_t us;

	if (!str)
		goto bad;
	if ((x.n == 8 && !memcmp(x.p, "infinity", 8)) ||
	    (x.n == 9 && !memcmp(x.p, "-infinity", 9))) {
		if (t->kind == PGK_TIME)
			goto bad;
		buf_add(b, x.p, x.n);
		return 0;
	}
	if (t->kind == PGK_TIME) {
		/* a time of day: parse it behind a dummy date */
		char tmpbuf[48];
		int hz, ht;

		if (x.n + 11 < sizeof(tmpbuf)) {
			memcpy(tmpbuf, "2000-01-01T", 11);
			memcpy(tmpbuf + 11, x.p, x.n);
			ok = pg_parse_iso(tmpbuf, x.n + 11, &us, &ht, &hz) == 0 && !hz;
		}
	} else if (pg_parse_iso(x.p, x.n, &us, &tm, &zone) == 0) {
		if (t->kind == PGK_DATE)
			ok = !tm;
		else if (t->kind == PGK_TS && zone == 2) {
			snprintf(err, errsz,
				 "%s has a time zone offset that timestamp without time "
				 "zone would drop",
				 shown(x));
			return -1;
		} else {
			ok = 1;
		}
	}
	if (ok) {
		buf_add(b, x.p, x.n);
		return 0;
	}
bad:
	snprintf(err, errsz, "%s is not an ISO-8601 %s", shown(x),
		 t->kind == PGK_DATE   ? "date (YYYY-MM-DD)"
		 : t->kind == PGK_TIME ? "time (HH:MM:SS)"
				       : "date and time (YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+HH:MM])");
	return -1;
}

/* jsonb cannot hold \u0000 in a string: find the escape (not "\\u0000"). */
static int has_nul_escape(struct span v)
{
	for (size_t i = 0; i + 5 < v.n; i++) {
		if (v.p[i] != '\\')
			continue;
		if (v.p[i + 1] == 'u' && !memcmp(v.p + i + 2, "0000", 4))
			return 1;
		i++; /* skip the escaped character */
	}
	return 0;
}

static int conv_bytea(struct buf *b, struct span v, struct buf *tmp, char *err, size_t errsz)
{
	static const char hx[] = "0123456789abcdef";
	int str;
	struct span x = value_text(v, tmp, &str);
	struct buf raw = BUF_INIT;

	if (!str || b64_decode(&raw, x.p, x.n) != 0) {
		buf_release(&raw);
		snprintf(err, errsz, "%s is not base64 (bytea values are written in base64)",
			 shown(x));
		return -1;
	}
	buf_adds(b, "\\x");
	for (size_t i = 0; i < raw.len; i++) {
		unsigned char byte = (unsigned char)raw.p[i];

		buf_addc(b, hx[byte >> 4]);
		buf_addc(b, hx[byte & 15]);
	}
	buf_release(&raw);
	return 0;
}

static int conv_uuid(struct buf *b, struct span v, struct buf *tmp, char *err, size_t errsz)
{
	int str, hexd = 0, group = 0;
	struct span x = value_text(v, tmp, &str);
	size_t i = 0, n = x.n;

	if (!str)
		goto bad;
	if (n >= 2 && x.p[0] == '{' && x.p[n - 1] == '}')
		i = 1, n--;
	for (; i < n; i++) {
		if (hex_val((unsigned char)x.p[i]) >= 0) {
			hexd++;
			group++;
		} else if (x.p[i] == '-' && group == 4 && i + 1 < n) {
			group = 0;
			continue;
		} else {
			goto bad;
		}
		if (group > 4)
			group = 1;
	}
	if (hexd != 32)
		goto bad;
	buf_add(b, x.p, x.n);
	return 0;
bad:
	snprintf(err, errsz, "%s is not a UUID", shown(x));
	return -1;
}

static int conv_scalar(struct buf *b, const struct pg_type *t, struct span v, struct buf *tmp,
		       char *err, size_t errsz);

/* An array literal's element: always double-quoted, which every element
 * type accepts. */
static void array_elem(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_addc(b, '\\');
		buf_addc(b, s[i]);
	}
	buf_addc(b, '"');
}

#define MAXDIM 6

/* A JSON array as an array literal; dims[] records each level's length so
 * that a ragged array (which the server refuses) is found here. */
static int array_lit(struct buf *b, const struct pg_type *et, struct span v, int depth, long *dims,
		     int *ndims, char *err, size_t errsz)
{
	struct scan_iter it;
	struct span key, e;
	struct buf tmp = BUF_INIT, conv = BUF_INIT;
	long count = 0;
	int sub = -1, rc = 0;

	if (depth >= MAXDIM) {
		snprintf(err, errsz, "arrays have at most %d dimensions", MAXDIM);
		return -1;
	}
	buf_addc(b, '{');
	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &key, &e)) {
		int is_arr =
			scan_kind(e) == SCAN_ARRAY && et->kind != PGK_JSON && et->kind != PGK_JSONB;

		if (count++)
			buf_addc(b, ',');
		if (sub == -1)
			sub = is_arr;
		if (sub != is_arr) {
			snprintf(err, errsz, "an array mixes sub-arrays and values");
			rc = -1;
			break;
		}
		if (is_arr) {
			if ((rc = array_lit(b, et, e, depth + 1, dims, ndims, err, errsz)) < 0)
				break;
		} else if (scan_kind(e) == SCAN_NULL) {
			buf_adds(b, "NULL");
		} else {
			buf_reset(&conv);
			if ((rc = conv_scalar(&conv, et, e, &tmp, err, errsz)) < 0)
				break;
			array_elem(b, conv.p ? conv.p : "", conv.len);
		}
	}
	buf_addc(b, '}');
	buf_release(&tmp);
	buf_release(&conv);
	if (rc < 0)
		return rc;
	if (sub != 1) {
		/* the innermost level decides the depth */
		if (*ndims == -1)
			*ndims = depth + 1;
		else if (*ndims != depth + 1)
			goto ragged;
	}
	if (dims[depth] == -1)
		dims[depth] = count;
	else if (dims[depth] != count)
		goto ragged;
	return 0;
ragged:
	snprintf(err, errsz, "a multidimensional array needs sub-arrays of equal lengths");
	return -1;
}

static int conv_scalar(struct buf *b, const struct pg_type *t, struct span v, struct buf *tmp,
		       char *err, size_t errsz)
{
	switch (t->kind) {
	case PGK_INT:
		return conv_int(b, t, v, tmp, err, errsz);
	case PGK_NUMERIC:
		return conv_numeric(b, t, v, tmp, err, errsz);
	case PGK_FLOAT:
		return conv_float(b, t, v, tmp, err, errsz);
	case PGK_BOOL:
		return conv_bool(b, v, tmp, err, errsz);
	case PGK_DATE:
	case PGK_TSTZ:
	case PGK_TS:
	case PGK_TIME:
		return conv_time(b, t, v, tmp, err, errsz);
	case PGK_JSONB:
		if (has_nul_escape(v)) {
			snprintf(err, errsz, "jsonb cannot hold \\u0000 in a string");
			return -1;
		}
		/* fall through */
	case PGK_JSON:
		buf_add(b, v.p, v.n);
		return 0;
	case PGK_BYTEA:
		return conv_bytea(b, v, tmp, err, errsz);
	case PGK_UUID:
		return conv_uuid(b, v, tmp, err, errsz);
	case PGK_ARRAY:
	case PGK_TEXT:
	case PGK_OTHER:
	default:
		return conv_text(b, t, v, tmp, err, errsz);
	}
}

int pg_json_to_text(struct buf *b, const struct pg_type *t, struct span v, char *err, size_t errsz)
{
	static struct buf tmp = BUF_INIT;

	if (t->kind == PGK_ARRAY && scan_kind(v) == SCAN_ARRAY) {
		struct pg_type et = {t->elem, t->elem_typmod, t->elem_kind, 0, PGK_OTHER,
				     -1,      t->name};
		long dims[MAXDIM];
		int nd = -1;

		for (int i = 0; i < MAXDIM; i++)
			dims[i] = -1;
		return array_lit(b, &et, v, 0, dims, &nd, err, errsz);
	}
	if (t->kind == PGK_ARRAY && scan_kind(v) != SCAN_STRING) {
		snprintf(err, errsz, "expected an array for %s", t->name);
		return -1;
	}
	return conv_scalar(b, t, v, &tmp, err, errsz);
}
