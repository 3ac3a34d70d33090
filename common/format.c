/*
 * format.c - the string formats of JSON Schema (format.h).
 *
 * Each check is a small hand-written recognizer of the grammar its RFC
 * gives: nothing is allocated except for the regex format, which compiles
 * the text.  Only ASCII is accepted where the grammar says ALPHA or DIGIT,
 * so a non-ASCII digit never passes for one.
 */
#include "format.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "buf.h"
#include "utf8.h"
#include "banned.h"

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

static int alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int hex(char c)
{
	return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* n digits at p as a number, or -1. */
static int num(const char *p, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int date_ok(const char *p, size_t n)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d;

	if (n != 10 || p[4] != '-' || p[7] != '-')
		return 0;
	y = num(p, 4);
	m = num(p + 5, 2);
	d = num(p + 8, 2);
	if (y < 0 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= mdays[m - 1] + (m == 2 && leap(y));
}

static int time_ok(const char *p, size_t n)
{
	int h, mi, s, oh = 0, om = 0, sign = 0;
	size_t i = 8;

	if (n < 9 || p[2] != ':' || p[5] != ':')
		return 0;
	h = num(p, 2);
	mi = num(p + 3, 2);
	s = num(p + 6, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
		return 0;
	if (p[i] == '.') {
		size_t k = ++i;

		while (i < n && digit(p[i]))
			i++;
		if (i == k)
			return 0;
	}
	if (i == n)
		return 0;
	if ((p[i] == 'Z' || p[i] == 'z') && i + 1 == n) {
		sign = 0;
	} else if ((p[i] == '+' || p[i] == '-') && n - i == 6 && p[i + 3] == ':') {
		sign = p[i] == '+' ? 1 : -1;
		oh = num(p + i + 1, 2);
		om = num(p + i + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return 0;
	} else {
		return 0;
	}
	if (s == 60) {
		/* a leap second is 23:59:60 in UTC */
		int utc = (h * 60 + mi - sign * (oh * 60 + om)) % 1440;

		if (utc < 0)
			utc += 1440;
		if (utc != 23 * 60 + 59)
			return 0;
	}
	return 1;
}

static int datetime_ok(const char *p, size_t n)
{
	return n > 11 && (p[10] == 'T' || p[10] == 't') && date_ok(p, 10) &&
	       time_ok(p + 11, n - 11);
}

/* RFC 3339 appendix A: P[nY][nM][nD][T[nH][nM][nS]] or PnW. */
static int duration_ok(const char *p, size_t n)
{
	static const char date_units[] = "YMD", time_units[] = "HMS";
	size_t i = 1;
	int any = 0, in_time = 0, last = -1;

	if (n < 2 || p[0] != 'P')
		return 0;
	if (p[n - 1] == 'W') {
		for (i = 1; i < n - 1; i++)
			if (!digit(p[i]))
				return 0;
		return n > 2;
	}
	while (i < n) {
		size_t k = i;
		const char *units, *u;

		if (p[i] == 'T') {
			if (in_time || i + 1 == n)
				return 0;
			in_time = 1;
			last = -1;
			i++;
			continue;
		}
		while (i < n && digit(p[i]))
			i++;
		if (i == k || i == n)
			return 0;
		units = in_time ? time_units : date_units;
		u = strchr(units, p[i]);
		/* RFC 3339: Y[M[D]], M[D], D (and H[M[S]]...): no unit skipped */
		if (!u || !p[i] || (last >= 0 && (int)(u - units) != last + 1))
			return 0;
		last = (int)(u - units);
		any = 1;
		i++;
	}
	return any && p[n - 1] != 'T';
}

static int ipv4_ok(const char *p, size_t n)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t k = i;
		int v = 0;

		if (part && (i >= n || p[i++] != '.'))
			return 0;
		k = i;
		while (i < n && digit(p[i]) && i - k < 3)
			v = v * 10 + (p[i++] - '0');
		if (i == k || v > 255 || (i - k > 1 && p[k] == '0'))
			return 0;
	}
	return i == n;
}

static int ipv6_ok(const char *p, size_t n)
{
	int groups = 0, gap = 0;
	size_t i = 0;

	if (n >= 2 && p[0] == ':' && p[1] == ':') {
		gap = 1;
		i = 2;
	} else if (n && p[0] == ':') {
		return 0;
	}
	while (i < n) {
		size_t k = i;

		while (i < n && hex(p[i]) && i - k < 5)
			i++;
		if (i < n && p[i] == '.') {
			/* an IPv4 address ends it */
			if (!ipv4_ok(p + k, n - k))
				return 0;
			groups += 2;
			i = n;
			break;
		}
		if (i == k || i - k > 4)
			return 0;
		groups++;
		if (i == n)
			break;
		if (p[i] != ':')
			return 0;
		i++;
		if (i < n && p[i] == ':') {
			if (gap)
				return 0;
			gap = 1;
			i++;
		} else if (i == n) {
			return 0;
		}
	}
	return gap ? groups <= 7 : groups == 8;
}

static int hostname_ok(const char *p, size_t n)
{
	size_t i = 0;

	if (!n || n > 253)
		return 0;
	while (i <= n) {
		size_t k = i;

		while (i < n && p[i] != '.') {
			if (!alpha(p[i]) && !digit(p[i]) && p[i] != '-')
				return 0;
			i++;
		}
		if (i == k || i - k > 63 || p[k] == '-' || p[i - 1] == '-')
			return 0;
		if (i - k >= 4 && p[k + 2] == '-' && p[k + 3] == '-') {
			/* only a Punycode label ("xn--") may hold "--" there */
			if ((p[k] | 32) != 'x' || (p[k + 1] | 32) != 'n' || i - k < 5)
				return 0;
		}
		if (i == n)
			return 1;
		i++;
	}
	return 0;
}

/* A non-ASCII hostname: each label of letters (any script), digits and
 * hyphens; U+3002 and its kin separate labels as '.' does. */
static int idn_hostname_ok(const char *p, size_t n)
{
	size_t i = 0, lab = 0, total = 0;

	if (!n || !utf8_valid(p, n))
		return 0;
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		size_t k = c < 0x80 ? 1
				    : utf8_seq((const unsigned char *)p + i,
					       (const unsigned char *)p + n);

		if (!k)
			return 0;
		if (c == '.' || (k == 3 && (!memcmp(p + i, "\xe3\x80\x82", 3) ||
					    !memcmp(p + i, "\xef\xbc\x8e", 3) ||
					    !memcmp(p + i, "\xef\xbd\xa1", 3)))) {
			if (!lab || p[i - 1] == '-')
				return 0;
			lab = 0;
		} else if (c < 0x80) {
			if (!alpha((char)c) && !digit((char)c) && c != '-')
				return 0;
			if (c == '-' && !lab)
				return 0;
			lab++;
		} else {
			lab++;
		}
		total++;
		i += k;
	}
	return lab && p[n - 1] != '-' && total <= 253;
}

static int email_ok(const char *p, size_t n, int idn)
{
	const char *at = NULL;
	size_t i;

	if (!n)
		return 0;
	if (p[0] == '"') {
		for (i = 1; i < n && p[i] != '"'; i++)
			if (p[i] == '\\')
				i++;
		if (i >= n || i + 1 >= n || p[i + 1] != '@')
			return 0;
		at = p + i + 1;
	} else {
		at = memrchr(p, '@', n);
		if (!at || at == p || p[0] == '.' || at[-1] == '.')
			return 0;
		for (const char *q = p; q < at; q++) {
			unsigned char c = (unsigned char)*q;

			if (c == '.' && q[1] == '.')
				return 0;
			if (c >= 0x80 && idn)
				continue;
			if (!alpha((char)c) && !digit((char)c) &&
			    !strchr("!#$%&'*+-/=?^_`{|}~.", c))
				return 0;
		}
	}
	at++;
	n -= (size_t)(at - p);
	if (n >= 2 && at[0] == '[' && at[n - 1] == ']') {
		if (n > 7 && !strncmp(at + 1, "IPv6:", 5))
			return ipv6_ok(at + 6, n - 7);
		return ipv4_ok(at + 1, n - 2);
	}
	return idn ? idn_hostname_ok(at, n) : hostname_ok(at, n);
}

static int uuid_ok(const char *p, size_t n)
{
	if (n != 36)
		return 0;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (p[i] != '-')
				return 0;
		} else if (!hex(p[i])) {
			return 0;
		}
	}
	return 1;
}

static int json_pointer_ok(const char *p, size_t n)
{
	if (n && p[0] != '/')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '~' && (i + 1 == n || (p[i + 1] != '0' && p[i + 1] != '1')))
			return 0;
	return 1;
}

static int rel_json_pointer_ok(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && digit(p[i]))
		i++;
	if (!i || (i > 1 && p[0] == '0'))
		return 0;
	if (i == n)
		return 1;
	if (p[i] == '#')
		return i + 1 == n;
	return json_pointer_ok(p + i, n - i);
}

/* RFC 3986 (RFC 3987 with iri): may the byte at p start a valid
 * character of the class (ASCII in allowed, or non-ASCII for an IRI)?
 * Returns its length, 0 if not. */
static size_t uri_char(const char *p, const char *end, const char *allowed, int iri)
{
	unsigned char c = (unsigned char)*p;

	if (c == '%')
		return end - p >= 3 && hex(p[1]) && hex(p[2]) ? 3 : 0;
	if (c >= 0x80)
		return iri ? utf8_seq((const unsigned char *)p, (const unsigned char *)end) : 0;
	if (alpha((char)c) || digit((char)c) || strchr("-._~!$&'()*+,;=", c))
		return c ? 1 : 0;
	return c && strchr(allowed, c) ? 1 : 0;
}

/* RFC 3986's IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ). */
static int ipvfuture_ok(const char *p, const char *end)
{
	const char *q = p + 1;

	if (p >= end || (*p != 'v' && *p != 'V'))
		return 0;
	while (q < end && hex(*q))
		q++;
	if (q == p + 1 || q >= end || *q != '.' || q + 1 >= end)
		return 0;
	for (q++; q < end; q++)
		if (!alpha(*q) && !digit(*q) && !strchr("-._~!$&'()*+,;=:", *q))
			return 0;
	return 1;
}

static int uri_part(const char *p, const char *end, const char *allowed, int iri)
{
	while (p < end) {
		size_t k = uri_char(p, end, allowed, iri);

		if (!k)
			return 0;
		p += k;
	}
	return 1;
}

static int uri_ok(const char *p, size_t n, int ref, int iri)
{
	const char *end = p + n, *q = p, *hash, *query, *path;

	while (q < end && (alpha(*q) || (q > p && (digit(*q) || strchr("+-.", *q)))))
		q++;
	if (q < end && *q == ':' && q > p) {
		p = q + 1;
	} else if (!ref) {
		return 0;
	}
	hash = memchr(p, '#', (size_t)(end - p));
	if (hash && !uri_part(hash + 1, end, ":@/?", iri))
		return 0;
	if (hash)
		end = hash;
	query = memchr(p, '?', (size_t)(end - p));
	if (query && !uri_part(query + 1, end, ":@/?", iri))
		return 0;
	if (query)
		end = query;
	path = p;
	if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
		const char *a = p + 2, *ae = memchr(a, '/', (size_t)(end - a)), *h, *at;

		if (!ae)
			ae = end;
		at = memchr(a, '@', (size_t)(ae - a));
		if (at) {
			if (!uri_part(a, at, ":", iri))
				return 0;
			a = at + 1;
		}
		if (a < ae && *a == '[') {
			const char *rb = memchr(a, ']', (size_t)(ae - a));

			if (!rb ||
			    (!ipv6_ok(a + 1, (size_t)(rb - a - 1)) && !ipvfuture_ok(a + 1, rb)))
				return 0;
			h = rb + 1;
		} else {
			h = a;
			while (h < ae && *h != ':')
				h++;
			if (!uri_part(a, h, "", iri))
				return 0;
		}
		if (h < ae) {
			if (*h != ':')
				return 0;
			for (h++; h < ae; h++)
				if (!digit(*h))
					return 0;
		}
		path = ae;
	}
	if (!uri_part(path, end, ":@/", iri))
		return 0;
	if (ref && path == p && path < end && path[0] != '/') {
		/* a relative path: no ':' in its first segment */
		const char *seg = memchr(path, '/', (size_t)(end - path));

		if (memchr(path, ':', (size_t)((seg ? seg : end) - path)))
			return 0;
	}
	return 1;
}

/* RFC 6570: literals, and expressions "{" [operator] varspec *("," varspec)
 * "}" where a varspec is a dotted name of ALPHA, DIGIT, "_" and
 * pct-encoded, with a prefix ":1".."9999" or an explode "*". */
static int uri_template_ok(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)p[i];

		if (c == '{') {
			i++;
			if (i < n && strchr("+#./;?&=,!@|", p[i]) && p[i])
				i++;
			for (;;) {
				size_t start = i;
				int dot = 1; /* a name may not start with, or repeat, '.' */

				while (i < n) {
					if (alpha(p[i]) || digit(p[i]) || p[i] == '_') {
						dot = 0;
						i++;
					} else if (p[i] == '%' && i + 2 < n && hex(p[i + 1]) &&
						   hex(p[i + 2])) {
						dot = 0;
						i += 3;
					} else if (p[i] == '.' && !dot) {
						dot = 1;
						i++;
					} else {
						break;
					}
				}
				if (i == start || dot || i >= n)
					return 0;
				if (p[i] == ':') {
					size_t d = ++i;

					while (i < n && digit(p[i]))
						i++;
					if (i == d || i - d > 4 || p[d] == '0')
						return 0;
				} else if (p[i] == '*') {
					i++;
				}
				if (i >= n)
					return 0;
				if (p[i] == '}')
					break;
				if (p[i] != ',')
					return 0;
				i++;
			}
			i++;
		} else if (c <= 0x20 || c == 0x7f || strchr("\"%<>\\^`{|}", c)) {
			if (c == '%' && i + 2 < n && hex(p[i + 1]) && hex(p[i + 2])) {
				i += 3;
				continue;
			}
			return 0;
		} else {
			i++;
		}
	}
	return 1;
}

/* ECMA-262's long names of general categories, which PCRE2 10.42 does not
 * know, and their short forms. */
static const char *const gc_names[][2] = {
	{"Letter", "L"},
	{"Cased_Letter", "L&"},
	{"Uppercase_Letter", "Lu"},
	{"Lowercase_Letter", "Ll"},
	{"Titlecase_Letter", "Lt"},
	{"Modifier_Letter", "Lm"},
	{"Other_Letter", "Lo"},
	{"Mark", "M"},
	{"Combining_Mark", "M"},
	{"Nonspacing_Mark", "Mn"},
	{"Spacing_Mark", "Mc"},
	{"Enclosing_Mark", "Me"},
	{"Number", "N"},
	{"Decimal_Number", "Nd"},
	{"digit", "Nd"},
	{"Letter_Number", "Nl"},
	{"Other_Number", "No"},
	{"Punctuation", "P"},
	{"punct", "P"},
	{"Connector_Punctuation", "Pc"},
	{"Dash_Punctuation", "Pd"},
	{"Open_Punctuation", "Ps"},
	{"Close_Punctuation", "Pe"},
	{"Initial_Punctuation", "Pi"},
	{"Final_Punctuation", "Pf"},
	{"Other_Punctuation", "Po"},
	{"Symbol", "S"},
	{"Math_Symbol", "Sm"},
	{"Currency_Symbol", "Sc"},
	{"Modifier_Symbol", "Sk"},
	{"Other_Symbol", "So"},
	{"Separator", "Z"},
	{"Space_Separator", "Zs"},
	{"Line_Separator", "Zl"},
	{"Paragraph_Separator", "Zp"},
	{"Other", "C"},
	{"Control", "Cc"},
	{"cntrl", "Cc"},
	{"Format", "Cf"},
	{"Surrogate", "Cs"},
	{"Private_Use", "Co"},
	{"Unassigned", "Cn"},
};

/* \p{NAME} at src (after "\p"): the property in PCRE2's words. */
static size_t ecma_property(struct buf *out, const char *src, size_t n, char p)
{
	const char *end = memchr(src, '}', n), *name = src + 1, *eq;
	size_t len;

	if (!n || src[0] != '{' || !end)
		return 0;
	len = (size_t)(end - name);
	eq = memchr(name, '=', len);
	if (eq) {
		len -= (size_t)(eq + 1 - name);
		name = eq + 1;
	}
	buf_addc(out, '\\');
	buf_addc(out, p);
	buf_addc(out, '{');
	for (size_t i = 0; i < sizeof(gc_names) / sizeof(gc_names[0]); i++)
		if (strlen(gc_names[i][0]) == len && !memcmp(gc_names[i][0], name, len)) {
			buf_adds(out, gc_names[i][1]);
			buf_addc(out, '}');
			return (size_t)(end - src) + 1;
		}
	buf_add(out, name, len);
	buf_addc(out, '}');
	return (size_t)(end - src) + 1;
}

void format_ecma_regex(struct buf *out, const char *src, size_t n)
{
	static const char ws[] = "\\t\\n\\v\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}"
				 "\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}";
	int inclass = 0;

	for (size_t i = 0; i < n; i++) {
		char c = src[i];

		if (c == '\\' && i + 1 < n) {
			char e = src[++i];

			if (e == 'p' || e == 'P') {
				size_t k = ecma_property(out, src + i + 1, n - i - 1, e);

				if (k) {
					i += k;
					continue;
				}
			}
			if (e == 's' && inclass)
				buf_adds(out, ws);
			else if ((e == 's' || e == 'S') && !inclass)
				buf_printf(out, "[%s%s]", e == 'S' ? "^" : "", ws);
			else
				buf_add(out, src + i - 1, 2);
			continue;
		}
		if (c == '[' && !inclass && i + 1 < n && src[i + 1] == ']') {
			buf_adds(out, "(?!)"); /* ECMA-262's empty class matches nothing */
			i++;
			continue;
		}
		if (c == '[' && !inclass && i + 2 < n && src[i + 1] == '^' && src[i + 2] == ']') {
			buf_adds(out, "(?s:.)"); /* and its negation anything */
			i += 2;
			continue;
		}
		if (c == '[' && !inclass)
			inclass = 1;
		else if (c == ']' && inclass)
			inclass = 0;
		buf_addc(out, c);
	}
}

static int regex_ok(const char *p, size_t n)
{
	struct buf b = BUF_INIT;
	pcre2_code *re;
	PCRE2_SIZE eoff;
	int ecode;

	/* ECMA-262 has no \a, \Z, \z, \A, (?#...), (?P...) or flags for the
	 * whole pattern such as (?i) */
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] == '\\') {
			if (strchr("aZzAeG", p[i + 1]))
				return 0;
			i++;
		} else if (p[i] == '(' && p[i + 1] == '?' && i + 2 < n) {
			size_t k = i + 2;

			if (p[k] == '#' || p[k] == 'P')
				return 0;
			while (k < n && alpha(p[k]))
				k++;
			if (k > i + 2 && k < n && p[k] == ')')
				return 0;
		}
	}
	format_ecma_regex(&b, p, n);
	re = pcre2_compile((PCRE2_SPTR)(b.p ? b.p : ""), b.len, PCRE2_UTF, &ecode, &eoff, NULL);
	buf_release(&b);
	if (!re)
		return 0;
	pcre2_code_free(re);
	return 1;
}

int format_check(const char *name, const char *p, size_t n)
{
	if (!strcmp(name, "date"))
		return date_ok(p, n);
	if (!strcmp(name, "time"))
		return time_ok(p, n);
	if (!strcmp(name, "date-time"))
		return datetime_ok(p, n);
	if (!strcmp(name, "duration"))
		return duration_ok(p, n);
	if (!strcmp(name, "email"))
		return email_ok(p, n, 0);
	if (!strcmp(name, "idn-email"))
		return email_ok(p, n, 1);
	if (!strcmp(name, "hostname"))
		return hostname_ok(p, n);
	if (!strcmp(name, "idn-hostname"))
		return idn_hostname_ok(p, n);
	if (!strcmp(name, "ipv4"))
		return ipv4_ok(p, n);
	if (!strcmp(name, "ipv6"))
		return ipv6_ok(p, n);
	if (!strcmp(name, "uri"))
		return uri_ok(p, n, 0, 0);
	if (!strcmp(name, "uri-reference"))
		return uri_ok(p, n, 1, 0);
	if (!strcmp(name, "iri"))
		return uri_ok(p, n, 0, 1);
	if (!strcmp(name, "iri-reference"))
		return uri_ok(p, n, 1, 1);
	if (!strcmp(name, "uri-template"))
		return uri_template_ok(p, n);
	if (!strcmp(name, "uuid"))
		return uuid_ok(p, n);
	if (!strcmp(name, "regex"))
		return regex_ok(p, n);
	if (!strcmp(name, "json-pointer"))
		return json_pointer_ok(p, n);
	if (!strcmp(name, "relative-json-pointer"))
		return rel_json_pointer_ok(p, n);
	return -1;
}
