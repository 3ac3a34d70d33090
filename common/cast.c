/*
 * cast.c - conversions to a type (cast.h).
 *
 * Numbers are parsed once by dec_parse_lenient(), which settles the syntax
 * for int, decimal and float alike.  Text that is already in the written
 * form of int or decimal (no '+', no leading zero, no exponent, not a
 * negative zero) is copied as it is: that is what most data holds, and it is
 * byte for byte what formatting the parsed value would write.  Numbers
 * beyond the decimal type stay text: their digits are rewritten without a
 * sign or leading zeros, never rounded.
 *
 * Dates and times are checked by timefmt_valid_iso() and then rewritten from
 * their own text, not from the parsed instant: the written date is the date
 * at the text's own offset, and a fraction keeps every digit it was given.
 *
 * Every function checks before it writes, so a refused value leaves the
 * output as it was.
 */
#include "cast.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "jsonw.h"
#include "mem.h"
#include "timefmt.h"
#include "banned.h"

static const char *const names[CAST_NTYPES] = {
	[CAST_STRING] = "string",       [CAST_INT] = "int",   [CAST_DECIMAL] = "decimal",
	[CAST_FLOAT] = "float",         [CAST_BOOL] = "bool", [CAST_DATE] = "date",
	[CAST_TIMESTAMP] = "timestamp", [CAST_JSON] = "json",
};

static const char *const expects[CAST_NTYPES] = {
	[CAST_STRING] = "a string",
	[CAST_INT] = "an int",
	[CAST_DECIMAL] = "a decimal",
	[CAST_FLOAT] = "a finite float",
	[CAST_BOOL] = "a bool (true/false, yes/no, 1/0)",
	[CAST_DATE] = "a date (YYYY-MM-DD)",
	[CAST_TIMESTAMP] = "a timestamp (YYYY-MM-DD[THH:MM[:SS[.f]]][Z|+HH:MM])",
	[CAST_JSON] = "JSON",
};

int cast_type_parse(const char *s, size_t n)
{
	for (int t = 0; t < CAST_NTYPES; t++)
		if (strlen(names[t]) == n && memcmp(names[t], s, n) == 0)
			return t;
	return -1;
}

const char *cast_type_name(int t)
{
	return t >= 0 && t < CAST_NTYPES ? names[t] : "?";
}

const char *cast_expects(int t)
{
	return t >= 0 && t < CAST_NTYPES ? expects[t] : "?";
}

/* ---- lists ---- */

int cast_list_parse(const char *s, struct cast_spec **specs, size_t *n, char *err, size_t errsz)
{
	size_t at = 0, n0 = *n;

	for (;;) {
		struct cast_spec c = {{NULL, 0, NULL}, -1, at + 1};
		const char *perr;
		size_t off, w;
		long k = path_parse(&c.path, s + at, 0, &perr, &off);

		if (k < 0) {
			snprintf(err, errsz, "column %zu: %s", at + off + 1, perr);
			goto fail;
		}
		at += (size_t)k;
		if (s[at] != '=') {
			snprintf(err, errsz, "column %zu: expected '=' after '%s'", at + 1,
				 c.path.text);
			path_release(&c.path);
			goto fail;
		}
		w = ++at;
		at += strcspn(s + at, ",");
		c.type = cast_type_parse(s + w, at - w);
		if (c.type < 0) {
			snprintf(err, errsz, "column %zu: unknown type '%.*s' (" CAST_TYPE_LIST ")",
				 w + 1, (int)(at - w), s + w);
			path_release(&c.path);
			goto fail;
		}
		for (size_t i = 0; i < *n; i++) {
			if (path_eq(&(*specs)[i].path, &c.path)) {
				snprintf(err, errsz, "column %zu: '%s' is typed twice", c.col,
					 c.path.text);
				path_release(&c.path);
				goto fail;
			}
		}
		*specs = xrealloc(*specs, (*n + 1) * sizeof(**specs));
		(*specs)[(*n)++] = c;
		if (!s[at])
			return 0;
		at++;
	}
fail:
	while (*n > n0)
		path_release(&(*specs)[--*n].path);
	return -1;
}

void cast_list_free(struct cast_spec *specs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		path_release(&specs[i].path);
	free(specs);
}

/* ---- numbers ---- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Is [s, s+n) already the written form: -?(0|[1-9][0-9]*), with frac also
 * (\.[0-9]+)?, and not a negative zero? */
static int written_form(const char *s, size_t n, int frac)
{
	size_t i = s[0] == '-';
	int nonzero = 0;

	if (i >= n || !is_digit(s[i]) || (s[i] == '0' && i + 1 < n && is_digit(s[i + 1])))
		return 0;
	for (; i < n && is_digit(s[i]); i++)
		nonzero |= s[i] != '0';
	if (frac && i < n && s[i] == '.') {
		size_t f = ++i;

		for (; i < n && is_digit(s[i]); i++)
			nonzero |= s[i] != '0';
		if (i == f)
			return 0;
	}
	return i == n && (s[0] != '-' || nonzero);
}

static int has_exponent(const char *s, size_t n)
{
	return memchr(s, 'e', n) || memchr(s, 'E', n);
}

/*
 * A number without an exponent that is too large for the decimal type,
 * rewritten from its digits: no '+', no leading zeros, a '-' only when a
 * digit is not zero.  With whole, the fraction must be zeros and is left
 * out (an int).  s is a valid lenient number.  NULL, or why not.
 */
static const char *big_number(struct buf *out, const char *s, size_t n, int whole)
{
	size_t i = 0, z, point, end = n;
	int neg = 0, nonzero = 0;

	if (s[0] == '-' || s[0] == '+')
		neg = s[i++] == '-';
	z = i;
	while (z + 1 < n && s[z] == '0' && is_digit(s[z + 1]))
		z++;
	point = z;
	while (point < n && is_digit(s[point]))
		point++;
	for (size_t k = z; k < n; k++)
		nonzero |= is_digit(s[k]) && s[k] != '0';
	if (whole) {
		for (size_t k = point + 1; k < n; k++)
			if (s[k] != '0')
				return "not an integer";
		end = point;
	}
	if (neg && nonzero)
		buf_addc(out, '-');
	buf_add(out, s + z, end - z);
	return NULL;
}

static const char *to_int(struct buf *out, const char *s, size_t n)
{
	dec_t d;
	int rc;

	if (written_form(s, n, 0)) {
		buf_add(out, s, n);
		return NULL;
	}
	rc = dec_parse_lenient(&d, s, n);
	if (rc == DEC_SYNTAX)
		return "not a number";
	if (rc == DEC_OK) {
		dec_normalize(&d);
		if (d.scale > 0)
			return "not an integer";
		jw_decimal(out, &d);
		return NULL;
	}
	if (has_exponent(s, n))
		return "too many digits for an exact integer";
	return big_number(out, s, n, 1);
}

static const char *to_decimal(struct buf *out, const char *s, size_t n)
{
	dec_t d;
	int rc;

	if (written_form(s, n, 1)) {
		buf_add(out, s, n);
		return NULL;
	}
	rc = dec_parse_lenient(&d, s, n);
	if (rc == DEC_SYNTAX)
		return "not a number";
	if (rc == DEC_OK) {
		jw_decimal(out, &d);
		return NULL;
	}
	if (has_exponent(s, n))
		return "too many digits for an exact decimal";
	return big_number(out, s, n, 0);
}

/* s[n] == '\0': strtod reads exactly the validated number. */
static const char *to_float(struct buf *out, const char *s, size_t n)
{
	dec_t d;
	double v;

	if (dec_parse_lenient(&d, s, n) == DEC_SYNTAX)
		return "not a number";
	v = strtod(s, NULL);
	if (!isfinite(v))
		return "out of range for a float";
	jw_double(out, v);
	return NULL;
}

/* ---- words, dates and times ---- */

static int lower_eq(const char *s, size_t n, const char *word)
{
	size_t i = 0;

	for (; i < n && word[i]; i++)
		if ((s[i] | 0x20) != word[i])
			return 0;
	return i == n && !word[i];
}

static const char *to_bool(struct buf *out, const char *s, size_t n)
{
	if (lower_eq(s, n, "true") || lower_eq(s, n, "yes") || (n == 1 && s[0] == '1'))
		buf_add(out, "true", 4);
	else if (lower_eq(s, n, "false") || lower_eq(s, n, "no") || (n == 1 && s[0] == '0'))
		buf_add(out, "false", 5);
	else
		return "not a bool (true/false, yes/no, 1/0)";
	return NULL;
}

/*
 * A date or a timestamp from ISO-8601 text.  Once timefmt_valid_iso() has
 * accepted it the text is "YYYY-MM-DD", then maybe a separator, "HH:MM",
 * ":SS", a fraction after '.' or ',', and an offset "Z", "+HH", "+HHMM" or
 * "+HH:MM" (either case of 'T' and 'Z'): the parts are copied in place.
 */
static const char *to_time(struct buf *out, int t, const char *s, size_t n)
{
	size_t i = 16;

	if (!timefmt_valid_iso(s, n))
		return t == CAST_DATE ? "not a date" : "not a timestamp";
	buf_addc(out, '"');
	buf_add(out, s, 10);
	if (t == CAST_DATE) {
		buf_addc(out, '"');
		return NULL;
	}
	if (n == 10) {
		buf_add(out, "T00:00:00Z\"", 11);
		return NULL;
	}
	buf_addc(out, 'T');
	buf_add(out, s + 11, 5);
	if (i < n && s[i] == ':') {
		buf_add(out, s + i, 3);
		i += 3;
		if (i < n && (s[i] == '.' || s[i] == ',')) {
			size_t f = ++i;

			while (i < n && is_digit(s[i]))
				i++;
			buf_addc(out, '.');
			buf_add(out, s + f, i - f);
		}
	} else {
		buf_add(out, ":00", 3);
	}
	if (i == n || s[i] == 'Z' || s[i] == 'z') {
		buf_addc(out, 'Z');
	} else {
		/* +HH, +HHMM or +HH:MM */
		buf_add(out, s + i, 3);
		buf_addc(out, ':');
		if (n - i == 3)
			buf_add(out, "00", 2);
		else
			buf_add(out, s + n - 2, 2);
	}
	buf_addc(out, '"');
	return NULL;
}

/* Seconds since the epoch, to the microsecond, as a date or a timestamp. */
static const char *from_epoch(struct buf *out, int t, const char *s, size_t n)
{
	char tmp[TIMEFMT_ISO_BUFSZ];
	dec_t d, mega, r;
	int64_t us;
	size_t k;

	dec_from_i64(&mega, 1000000);
	if (dec_parse(&d, s, n) != DEC_OK || dec_mul(&r, &d, &mega) != DEC_OK)
		return "out of range for a time";
	dec_normalize(&r);
	if (r.scale > 0)
		return "more precise than a microsecond";
	if (!dec_to_i64(&r, &us) || !timefmt_in_range(us, 0))
		return "out of range for a time";
	k = timefmt_iso(us, 0, tmp);
	buf_addc(out, '"');
	buf_add(out, tmp, t == CAST_DATE ? 10 : k);
	buf_addc(out, '"');
	return NULL;
}

/* ---- the two entries ---- */

const char *cast_text(struct buf *out, int t, const char *s, size_t n)
{
	struct scan_err err;

	switch (t) {
	case CAST_STRING:
		jw_string(out, s, n);
		return NULL;
	case CAST_INT:
		return to_int(out, s, n);
	case CAST_DECIMAL:
		return to_decimal(out, s, n);
	case CAST_FLOAT:
		return to_float(out, s, n);
	case CAST_BOOL:
		return to_bool(out, s, n);
	case CAST_DATE:
	case CAST_TIMESTAMP:
		return to_time(out, t, s, n);
	case CAST_JSON:
		if (scan_value(s, n, &err) != 0)
			return "not JSON";
		/* a record's member is one level below the record */
		if (scan_depth((struct span){s, n}) >= SCAN_MAX_DEPTH)
			return "nesting too deep for a record";
		jw_compact(out, s, n);
		return NULL;
	}
	return "unknown type";
}

/* Any digit other than 0 before the exponent: a nonzero number. */
static int nonzero(struct span v)
{
	for (size_t i = 0; i < v.n && (v.p[i] | 0x20) != 'e'; i++)
		if (v.p[i] >= '1' && v.p[i] <= '9')
			return 1;
	return 0;
}

static void quoted(struct buf *out, struct span v)
{
	buf_addc(out, '"');
	buf_add(out, v.p, v.n);
	buf_addc(out, '"');
}

const char *cast_json(struct buf *out, int t, struct span v, struct buf *tmp)
{
	enum scan_kind k = scan_kind(v);

	if ((t == CAST_STRING && k == SCAN_STRING) || (t == CAST_JSON && k != SCAN_STRING)) {
		/* already a value of the type (a string is JSON text to read) */
		buf_add(out, v.p, v.n);
		return NULL;
	}
	switch (k) {
	case SCAN_TRUE:
	case SCAN_FALSE:
		if (t == CAST_BOOL)
			buf_add(out, v.p, v.n);
		else if (t == CAST_INT)
			buf_addc(out, k == SCAN_TRUE ? '1' : '0');
		else if (t == CAST_STRING)
			quoted(out, v);
		else
			return t == CAST_DECIMAL || t == CAST_FLOAT ? "not a number" : "a boolean";
		return NULL;
	case SCAN_ARRAY:
	case SCAN_OBJECT:
		if (t != CAST_STRING)
			return k == SCAN_ARRAY ? "an array" : "an object";
		buf_reset(tmp);
		jw_compact(tmp, v.p, v.n);
		jw_string(out, tmp->p, tmp->len);
		return NULL;
	case SCAN_NUMBER:
		switch (t) {
		case CAST_STRING:
			quoted(out, v);
			return NULL;
		case CAST_BOOL:
			buf_adds(out, nonzero(v) ? "true" : "false");
			return NULL;
		case CAST_DATE:
		case CAST_TIMESTAMP:
			return from_epoch(out, t, v.p, v.n);
		case CAST_INT:
			return to_int(out, v.p, v.n);
		case CAST_DECIMAL:
			return to_decimal(out, v.p, v.n);
		default:
			break;
		}
		/* a float needs the number's text NUL-terminated */
		buf_reset(tmp);
		buf_add(tmp, v.p, v.n);
		return to_float(out, tmp->p, tmp->len);
	case SCAN_STRING:
		buf_reset(tmp);
		buf_adds(tmp, "");
		scan_string(tmp, v);
		return cast_text(out, t, tmp->p, tmp->len);
	default:
		return "null";
	}
}
