/*
 * timefmt.c - calendar arithmetic and time text (timefmt.h).
 *
 * Everything is computed here, not by the C library: strptime(3) and
 * strftime(3) depend on the locale and on TZ, and mktime(3) on the machine's
 * time zone, while a pipeline must give the same result everywhere.  An
 * instant is microseconds since the epoch in UTC plus the offset it is shown
 * at; calendar fields are always those of the local time (instant + offset).
 *
 * The calendar is the proleptic Gregorian one for years 0..9999.  Day
 * numbers count from 1970-01-01; internally dates are first counted from
 * 0000-01-01, where the number of leap years before year y >= 0 has a closed
 * form, and the inverse starts from an estimate of the year and corrects it,
 * which is short and plainly right.
 */
#include "timefmt.h"

#include <string.h>

#include "banned.h"

/* Days from 0000-01-01 to 1970-01-01. */
#define EPOCH_DAYS INT64_C(719528)

static const int cum_days[13] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};

static const char *const month_names[12] = {
	"January", "February", "March",     "April",   "May",      "June",
	"July",    "August",   "September", "October", "November", "December",
};
/* Monday first, as ISO weeks are. */
static const char *const day_names[7] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
};

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int timefmt_days_in_month(int y, int m)
{
	return cum_days[m] - cum_days[m - 1] + (m == 2 && is_leap(y));
}

/* Days from 0000-01-01 to January 1 of year y >= 0: year 0 is a leap year,
 * so the leap years before y are the multiples of 4, less those of 100,
 * plus those of 400, in [0, y). */
static int64_t days_before_year(int64_t y)
{
	return 365 * y + (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400;
}

int64_t timefmt_days(int y, int m, int d)
{
	return days_before_year(y) + cum_days[m - 1] + (m > 2 && is_leap(y)) + d - 1 - EPOCH_DAYS;
}

void timefmt_civil(int64_t days, int *y, int *m, int *d)
{
	int64_t z = days + EPOCH_DAYS, yy = z * 400 / 146097, doy;
	int mm, leap;

	while (yy > 0 && days_before_year(yy) > z)
		yy--;
	while (days_before_year(yy + 1) <= z)
		yy++;
	doy = z - days_before_year(yy);
	leap = is_leap((int)yy);
	for (mm = 12; mm > 1; mm--)
		if (doy >= cum_days[mm - 1] + (mm > 2 && leap))
			break;
	*y = (int)yy;
	*m = mm;
	*d = (int)(doy - cum_days[mm - 1] - (mm > 2 && leap)) + 1;
}

void timefmt_split(int64_t us, int32_t off, int64_t *days, int64_t *us_of_day)
{
	int64_t local = us + (int64_t)off * TIMEFMT_US_PER_SEC;
	int64_t q = local / TIMEFMT_US_PER_DAY, r = local % TIMEFMT_US_PER_DAY;

	if (r < 0) {
		q--;
		r += TIMEFMT_US_PER_DAY;
	}
	*days = q;
	*us_of_day = r;
}

int timefmt_in_range(int64_t us, int32_t off)
{
	if (off < -TIMEFMT_MAX_OFF || off > TIMEFMT_MAX_OFF)
		return 0;
	if (us < TIMEFMT_MIN_US - TIMEFMT_US_PER_DAY || us > TIMEFMT_MAX_US + TIMEFMT_US_PER_DAY)
		return 0;
	int64_t local = us + (int64_t)off * TIMEFMT_US_PER_SEC;
	return local >= TIMEFMT_MIN_US && local <= TIMEFMT_MAX_US;
}

/* Monday = 0 .. Sunday = 6 (1970-01-01 was a Thursday). */
static int weekday(int64_t days)
{
	int w = (int)((days + 3) % 7);

	return w < 0 ? w + 7 : w;
}

static int iso_weeks_in_year(int y)
{
	int jan1 = weekday(timefmt_days(y, 1, 1));

	return jan1 == 3 || (jan1 == 2 && is_leap(y)) ? 53 : 52;
}

/* The ISO 8601 week-numbering year and week of a day. */
static void iso_week(int64_t days, int *wy, int *wn)
{
	int y, m, d;

	timefmt_civil(days, &y, &m, &d);
	int ordinal = (int)(days - timefmt_days(y, 1, 1)) + 1;
	int w = (ordinal - (weekday(days) + 1) + 10) / 7;

	if (w < 1) {
		*wy = y - 1;
		*wn = y > 0 ? iso_weeks_in_year(y - 1) : 52;
	} else if (w > iso_weeks_in_year(y)) {
		*wy = y + 1;
		*wn = 1;
	} else {
		*wy = y;
		*wn = w;
	}
}

/* ---- ISO-8601 ---- */

/* Exactly k digits at *p. */
static int fixed_digits(const char **p, const char *end, int k, int *v)
{
	int x = 0;

	if (end - *p < k)
		return 0;
	for (int i = 0; i < k; i++) {
		unsigned c = (unsigned char)(*p)[i] - '0';

		if (c > 9)
			return 0;
		x = x * 10 + (int)c;
	}
	*p += k;
	*v = x;
	return 1;
}

/* An offset: "Z", "+HH", "+HHMM" or "+HH:MM". */
static int parse_offset(const char **pp, const char *end, int32_t *off)
{
	const char *p = *pp;
	int h, mi = 0, neg;

	if (p < end && (*p == 'Z' || *p == 'z')) {
		*off = 0;
		*pp = p + 1;
		return 1;
	}
	if (p >= end || (*p != '+' && *p != '-'))
		return 0;
	neg = *p++ == '-';
	if (!fixed_digits(&p, end, 2, &h))
		return 0;
	if (p < end && *p == ':') {
		p++;
		if (!fixed_digits(&p, end, 2, &mi))
			return 0;
	} else if (p < end && *p >= '0' && *p <= '9') {
		if (!fixed_digits(&p, end, 2, &mi))
			return 0;
	}
	if (h > 23 || mi > 59)
		return 0;
	*off = (neg ? -1 : 1) * (h * 3600 + mi * 60);
	*pp = p;
	return 1;
}

/* A fraction after its separator: at least one digit, all read, the first
 * six kept. */
static int parse_fraction(const char **pp, const char *end, int64_t *frac)
{
	const char *p = *pp;
	int64_t f = 0;
	int k = 0;

	while (p < end && *p >= '0' && *p <= '9') {
		if (k < 6) {
			f = f * 10 + (*p - '0');
			k++;
		}
		p++;
	}
	if (p == *pp)
		return 0;
	while (k++ < 6)
		f *= 10;
	*frac = f;
	*pp = p;
	return 1;
}

static int64_t compose(int y, int mo, int d, int h, int mi, int s, int64_t frac, int32_t off)
{
	int64_t secs = timefmt_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off;

	return secs * TIMEFMT_US_PER_SEC + frac;
}

/* The two digits at p as a number, or -1. */
static int digits2(const char *p)
{
	unsigned a = (unsigned char)p[0] - '0', b = (unsigned char)p[1] - '0';

	return a <= 9 && b <= 9 ? (int)(a * 10 + b) : -1;
}

/* The fields of an ISO-8601 text; parse_iso() fills them, 0 or -1. */
struct iso {
	int y, mo, d, h, mi, sec;
	int64_t frac;
	int32_t off;
};

static int parse_iso(const char *s, size_t n, struct iso *t)
{
	const char *p, *end = s + n;
	int hi;

	/* the date, and the time up to its minutes, have fixed places: they are
	 * read in place, without a loop (this runs for every value of a
	 * timestamp column) */
	if (n < 10 || s[4] != '-' || s[7] != '-')
		return -1;
	hi = digits2(s);
	t->y = digits2(s + 2);
	t->mo = digits2(s + 5);
	t->d = digits2(s + 8);
	if (hi < 0 || t->y < 0 || t->mo < 1 || t->mo > 12 || t->d < 1)
		return -1;
	t->y += hi * 100;
	if (t->d > timefmt_days_in_month(t->y, t->mo))
		return -1;
	t->h = t->mi = t->sec = 0;
	t->frac = 0;
	t->off = 0;
	if (n == 10)
		return 0;
	if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || n < 16 || s[13] != ':')
		return -1;
	t->h = digits2(s + 11);
	t->mi = digits2(s + 14);
	if (t->h < 0 || t->h > 23 || t->mi < 0 || t->mi > 59)
		return -1;
	p = s + 16;
	if (p < end && *p == ':') {
		if (end - p < 3 || (t->sec = digits2(p + 1)) < 0 || t->sec > 59)
			return -1;
		p += 3;
		if (p < end && (*p == '.' || *p == ',')) {
			p++;
			if (!parse_fraction(&p, end, &t->frac))
				return -1;
		}
	}
	if (p < end && !parse_offset(&p, end, &t->off))
		return -1;
	return p == end ? 0 : -1;
}

int timefmt_parse_iso(const char *s, size_t n, int64_t *us, int32_t *off)
{
	struct iso t;

	if (parse_iso(s, n, &t) < 0)
		return -1;
	*us = compose(t.y, t.mo, t.d, t.h, t.mi, t.sec, t.frac, t.off);
	*off = t.off;
	return 0;
}

int timefmt_valid_iso(const char *s, size_t n)
{
	struct iso t;

	return parse_iso(s, n, &t) == 0;
}

static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

static char *put_digits(char *p, int64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

size_t timefmt_iso(int64_t us, int32_t off, char *buf)
{
	int64_t days, tod;
	int y, m, d, sec;
	char *p = buf;

	timefmt_split(us, off, &days, &tod);
	timefmt_civil(days, &y, &m, &d);
	sec = (int)(tod / TIMEFMT_US_PER_SEC);
	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, sec / 3600);
	*p++ = ':';
	p = put2(p, sec / 60 % 60);
	*p++ = ':';
	p = put2(p, sec % 60);
	int64_t frac = tod % TIMEFMT_US_PER_SEC;
	if (frac) {
		*p++ = '.';
		if (frac % 1000 == 0)
			p = put_digits(p, frac / 1000, 3);
		else
			p = put_digits(p, frac, 6);
	}
	if (off == 0) {
		*p++ = 'Z';
	} else {
		int a = off < 0 ? -off : off;

		*p++ = off < 0 ? '-' : '+';
		p = put2(p, a / 3600);
		*p++ = ':';
		p = put2(p, a / 60 % 60);
	}
	*p = '\0';
	return (size_t)(p - buf);
}

/* ---- formats ---- */

static const char parse_directives[] = "YymdeHIMSfpjbhBaAzsTFRnt%";
static const char format_directives[] = "YymdeHIMSfpjbhBaAzsuwGVTFRnt%";

const char *timefmt_check(const char *fmt, size_t fn, int parsing, size_t *erroff)
{
	const char *set = parsing ? parse_directives : format_directives;

	for (size_t i = 0; i < fn; i++) {
		if (fmt[i] != '%')
			continue;
		*erroff = i;
		if (++i == fn)
			return "format ends with a lone '%'";
		if (!parsing && fmt[i] == ':' && i + 1 < fn && fmt[i + 1] == 'z') {
			i++;
			continue;
		}
		if (fmt[i] == '\0' || !strchr(set, fmt[i]))
			return parsing ? "unknown directive in parse_time() format"
				       : "unknown directive in format_time() format";
	}
	return NULL;
}

struct fields {
	int y, mo, d, h, mi, s, yday, pm, h12, have_md;
	int64_t frac, epoch;
	int have_epoch;
	int32_t off;
};

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int lower_ascii(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* 1..max digits, as strptime reads them. */
static int var_digits(const char **pp, const char *end, int max, int *v)
{
	const char *p = *pp;
	int x = 0, k = 0;

	while (k < max && p < end && *p >= '0' && *p <= '9') {
		x = x * 10 + (*p++ - '0');
		k++;
	}
	if (!k)
		return 0;
	*pp = p;
	*v = x;
	return 1;
}

/* A full or three-letter English name from names[0..count), any case. */
static int parse_name(const char **pp, const char *end, const char *const *names, int count,
		      int *idx)
{
	for (int i = 0; i < count; i++) {
		size_t full = strlen(names[i]), k;
		const char *p = *pp;

		for (k = 0; k < full && p + k < end; k++)
			if (lower_ascii((unsigned char)p[k]) !=
			    lower_ascii((unsigned char)names[i][k]))
				break;
		if (k == full || k >= 3) {
			*pp = p + (k == full ? full : 3);
			*idx = i;
			return 1;
		}
	}
	return 0;
}

static int parse_with(struct fields *f, const char **pp, const char *end, const char *fmt,
		      size_t fn)
{
	const char *p = *pp;
	int v;

	for (size_t i = 0; i < fn; i++) {
		int c = (unsigned char)fmt[i];

		if (is_space(c)) {
			while (p < end && is_space((unsigned char)*p))
				p++;
			continue;
		}
		if (c != '%') {
			if (p >= end || *p != c)
				return 0;
			p++;
			continue;
		}
		c = (unsigned char)fmt[++i];
		switch (c) {
		case 'Y':
			if (!fixed_digits(&p, end, 4, &f->y))
				return 0;
			break;
		case 'y':
			if (!fixed_digits(&p, end, 2, &v))
				return 0;
			f->y = v < 69 ? 2000 + v : 1900 + v;
			break;
		case 'm':
			if (!var_digits(&p, end, 2, &f->mo) || f->mo < 1 || f->mo > 12)
				return 0;
			f->have_md = 1;
			break;
		case 'e':
			if (p < end && *p == ' ')
				p++;
			/* fall through */
		case 'd':
			if (!var_digits(&p, end, 2, &f->d) || f->d < 1 || f->d > 31)
				return 0;
			f->have_md = 1;
			break;
		case 'H':
			if (!var_digits(&p, end, 2, &f->h) || f->h > 23)
				return 0;
			break;
		case 'I':
			if (!var_digits(&p, end, 2, &f->h) || f->h < 1 || f->h > 12)
				return 0;
			f->h12 = 1;
			break;
		case 'M':
			if (!var_digits(&p, end, 2, &f->mi) || f->mi > 59)
				return 0;
			break;
		case 'S':
			if (!var_digits(&p, end, 2, &f->s) || f->s > 59)
				return 0;
			break;
		case 'f':
			if (!parse_fraction(&p, end, &f->frac))
				return 0;
			break;
		case 'p':
			if (end - p < 2 || lower_ascii((unsigned char)p[1]) != 'm')
				return 0;
			if (lower_ascii((unsigned char)p[0]) == 'a')
				f->pm = 0;
			else if (lower_ascii((unsigned char)p[0]) == 'p')
				f->pm = 1;
			else
				return 0;
			p += 2;
			break;
		case 'j':
			if (!var_digits(&p, end, 3, &f->yday) || f->yday < 1 || f->yday > 366)
				return 0;
			break;
		case 'b':
		case 'h':
		case 'B':
			if (!parse_name(&p, end, month_names, 12, &v))
				return 0;
			f->mo = v + 1;
			f->have_md = 1;
			break;
		case 'a':
		case 'A':
			if (!parse_name(&p, end, day_names, 7, &v))
				return 0;
			break;
		case 'z':
			if (!parse_offset(&p, end, &f->off))
				return 0;
			break;
		case 's': {
			int neg = p < end && *p == '-';
			int64_t e = 0;
			const char *q;

			p += neg;
			q = p;
			while (p < end && *p >= '0' && *p <= '9' && p - q < 12)
				e = e * 10 + (*p++ - '0');
			if (p == q)
				return 0;
			f->epoch = neg ? -e : e;
			f->have_epoch = 1;
			break;
		}
		case 'T':
			if (!parse_with(f, &p, end, "%H:%M:%S", 8))
				return 0;
			break;
		case 'F':
			if (!parse_with(f, &p, end, "%Y-%m-%d", 8))
				return 0;
			break;
		case 'R':
			if (!parse_with(f, &p, end, "%H:%M", 5))
				return 0;
			break;
		case 'n':
		case 't':
			while (p < end && is_space((unsigned char)*p))
				p++;
			break;
		case '%':
			if (p >= end || *p != '%')
				return 0;
			p++;
			break;
		default:
			return 0;
		}
	}
	*pp = p;
	return 1;
}

int timefmt_parse(const char *s, size_t n, const char *fmt, size_t fn, int64_t *us, int32_t *off)
{
	struct fields f = {1970, 1, 1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0};
	const char *p = s, *end = s + n;
	int64_t r;

	if (!parse_with(&f, &p, end, fmt, fn) || p != end)
		return -1;
	if (f.h12 && f.pm >= 0)
		f.h = f.h % 12 + (f.pm ? 12 : 0);
	if (f.have_epoch) {
		r = f.epoch * TIMEFMT_US_PER_SEC + f.frac;
	} else {
		if (f.yday > 0 && !f.have_md) {
			if (f.yday > 365 + is_leap(f.y))
				return -1;
			timefmt_civil(timefmt_days(f.y, 1, 1) + f.yday - 1, &f.y, &f.mo, &f.d);
		}
		if (f.d > timefmt_days_in_month(f.y, f.mo))
			return -1;
		r = compose(f.y, f.mo, f.d, f.h, f.mi, f.s, f.frac, f.off);
	}
	if (!timefmt_in_range(r, f.off))
		return -1;
	*us = r;
	*off = f.off;
	return 0;
}

struct out {
	char *p;
	size_t cap, len;
};

static void out_add(struct out *o, const char *s, size_t n)
{
	if (o->len < o->cap) {
		size_t k = o->cap - o->len < n ? o->cap - o->len : n;

		memcpy(o->p + o->len, s, k);
	}
	o->len += n;
}

static void out_num(struct out *o, int64_t v, int width, char pad)
{
	char tmp[24], *e = tmp + sizeof(tmp), *q = e;
	int neg = v < 0;
	uint64_t u = neg ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (e - q < width)
		*--q = pad;
	if (neg)
		*--q = '-';
	out_add(o, q, (size_t)(e - q));
}

static void out_offset(struct out *o, int32_t off, int colon)
{
	int a = off < 0 ? -off : off;

	out_add(o, off < 0 ? "-" : "+", 1);
	out_num(o, a / 3600, 2, '0');
	if (colon)
		out_add(o, ":", 1);
	out_num(o, a / 60 % 60, 2, '0');
}

static void format_with(struct out *o, const char *fmt, size_t fn, int64_t us, int32_t off)
{
	int64_t days, tod, secs;
	int y, m, d, wy, wn;

	timefmt_split(us, off, &days, &tod);
	timefmt_civil(days, &y, &m, &d);
	secs = tod / TIMEFMT_US_PER_SEC;
	for (size_t i = 0; i < fn; i++) {
		if (fmt[i] != '%') {
			size_t j = i;

			while (j < fn && fmt[j] != '%')
				j++;
			out_add(o, fmt + i, j - i);
			i = j - 1;
			continue;
		}
		switch (fmt[++i]) {
		case 'Y':
			out_num(o, y, 4, '0');
			break;
		case 'y':
			out_num(o, y % 100, 2, '0');
			break;
		case 'm':
			out_num(o, m, 2, '0');
			break;
		case 'd':
			out_num(o, d, 2, '0');
			break;
		case 'e':
			out_num(o, d, 2, ' ');
			break;
		case 'H':
			out_num(o, secs / 3600, 2, '0');
			break;
		case 'I':
			out_num(o, (secs / 3600 + 11) % 12 + 1, 2, '0');
			break;
		case 'M':
			out_num(o, secs / 60 % 60, 2, '0');
			break;
		case 'S':
			out_num(o, secs % 60, 2, '0');
			break;
		case 'f':
			out_num(o, tod % TIMEFMT_US_PER_SEC, 6, '0');
			break;
		case 'p':
			out_add(o, secs < 12 * 3600 ? "AM" : "PM", 2);
			break;
		case 'j':
			out_num(o, days - timefmt_days(y, 1, 1) + 1, 3, '0');
			break;
		case 'a':
			out_add(o, day_names[weekday(days)], 3);
			break;
		case 'A':
			out_add(o, day_names[weekday(days)], strlen(day_names[weekday(days)]));
			break;
		case 'b':
		case 'h':
			out_add(o, month_names[m - 1], 3);
			break;
		case 'B':
			out_add(o, month_names[m - 1], strlen(month_names[m - 1]));
			break;
		case 'z':
			out_offset(o, off, 0);
			break;
		case ':':
			out_offset(o, off, 1);
			i++;
			break;
		case 's': {
			int64_t q = us / TIMEFMT_US_PER_SEC;

			if (us % TIMEFMT_US_PER_SEC < 0)
				q--;
			out_num(o, q, 1, '0');
			break;
		}
		case 'u':
			out_num(o, weekday(days) + 1, 1, '0');
			break;
		case 'w':
			out_num(o, (weekday(days) + 1) % 7, 1, '0');
			break;
		case 'G':
			iso_week(days, &wy, &wn);
			out_num(o, wy, 4, '0');
			break;
		case 'V':
			iso_week(days, &wy, &wn);
			out_num(o, wn, 2, '0');
			break;
		case 'T':
			format_with(o, "%H:%M:%S", 8, us, off);
			break;
		case 'F':
			format_with(o, "%Y-%m-%d", 8, us, off);
			break;
		case 'R':
			format_with(o, "%H:%M", 5, us, off);
			break;
		case 'n':
			out_add(o, "\n", 1);
			break;
		case 't':
			out_add(o, "\t", 1);
			break;
		default:
			out_add(o, "%", 1);
			break;
		}
	}
}

size_t timefmt_format(char *out, size_t cap, const char *fmt, size_t fn, int64_t us, int32_t off)
{
	struct out o = {out, cap, 0};

	format_with(&o, fmt, fn, us, off);
	return o.len;
}

int timefmt_duration(const char *s, int64_t *us)
{
	int64_t total = 0;
	const char *p = s;

	if (strcmp(s, "0") == 0) {
		*us = 0;
		return 0;
	}
	if (!*p)
		return -1;
	while (*p) {
		int64_t v = 0, unit;

		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (v > INT64_MAX / 10 - 10)
				return -1;
			v = v * 10 + (*p - '0');
		}
		if (p[0] == 'm' && p[1] == 's')
			unit = 1000, p += 2;
		else if (*p == 's')
			unit = TIMEFMT_US_PER_SEC, p++;
		else if (*p == 'm')
			unit = 60 * TIMEFMT_US_PER_SEC, p++;
		else if (*p == 'h')
			unit = 3600 * TIMEFMT_US_PER_SEC, p++;
		else if (*p == 'd')
			unit = TIMEFMT_US_PER_DAY, p++;
		else if (*p == 'w')
			unit = 7 * TIMEFMT_US_PER_DAY, p++;
		else
			return -1;
		if (v > (INT64_MAX / 4 - total) / unit)
			return -1;
		total += v * unit;
	}
	*us = total;
	return 0;
}
