/*
 * expect.c - data-set expectations: checks of the input as a whole,
 * decided when it has been read to its end.
 *
 * Each expectation keeps a small running state per record (counts, the
 * newest time, a table of key hashes for --unique and --distinct, the
 * first few offending lines) and is decided by expect_finish(): a verdict,
 * the observed value, and the first lines at fault.  Every record read
 * that is not a bad record counts, valid or invalid.  A check is "fail"
 * (the run exits 1 and the gate releases nothing) or "warn" (reported
 * only), as its option says (--X or --warn-X).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "decimal.h"
#include "die.h"
#include "hash.h"
#include "jsonw.h"
#include "mem.h"
#include "out.h"
#include "path.h"
#include "scan.h"
#include "timefmt.h"
#include "validate.h"
#include "banned.h"

#define MAX_LINES 5

struct expect {
	int kind; /* OPT_UNIQUE ... */
	int warn;
	const char *arg; /* as written */
	size_t *idx;     /* the fields' indexes in the record's values */
	size_t nidx;
	char *field; /* the field as written, for messages */
	double mostly;
	int has_lo, has_hi;
	uint64_t lo, hi;  /* --rows, --distinct */
	char *rlo, *rhi;  /* --range: number texts (NULL: open) */
	char **accepted;  /* --accepted */
	size_t naccepted; /* its values */
	int64_t max_age;  /* --fresh, microseconds */
	uint64_t max_abs; /* --max-invalid N */
	double max_pct;   /* --max-invalid P% */
	int pct;

	/* state */
	uint64_t n, bad; /* records seen; offending ones */
	struct hash_table seen;
	/* --unique, --distinct: the last record's key, put into seen when the
	 * next record's key has been hashed and its slot prefetched (settle()) */
	int have_pend;
	struct hash128 pend;
	const char *pend_file;
	uint64_t pend_line;
	int64_t newest;
	int have_newest;
	char *lines[MAX_LINES];
	size_t nlines;

	/* verdict */
	int failed;
	double observed;
	char shown[160]; /* observed and allowed, for the table */
};

static const char *const names[] = {
	[OPT_UNIQUE - OPT_EXPECT_FIRST] = "unique",
	[OPT_NOT_NULL - OPT_EXPECT_FIRST] = "not-null",
	[OPT_ROWS - OPT_EXPECT_FIRST] = "rows",
	[OPT_FRESH - OPT_EXPECT_FIRST] = "fresh",
	[OPT_DISTINCT - OPT_EXPECT_FIRST] = "distinct",
	[OPT_ACCEPTED - OPT_EXPECT_FIRST] = "accepted",
	[OPT_RANGE - OPT_EXPECT_FIRST] = "range",
	[OPT_MAX_INVALID - OPT_EXPECT_FIRST] = "max-invalid",
	[OPT_SCHEMA_DRIFT - OPT_EXPECT_FIRST] = "schema-drift",
};

/* --schema-drift: the fields seen (paths into nested objects, a.b) and
 * the JSON types of their values, in this run and in the saved one. */
enum { J_NULL, J_BOOLEAN, J_INTEGER, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT, J_N };
static const char *const jtypes[J_N] = {"null",   "boolean", "integer", "number",
					"string", "array",   "object"};
struct field {
	char *path;
	unsigned now, before; /* bits of J_ */
	int seen_before;
};
static struct field *dfields;
static size_t ndfields;
static struct hash_table dindex; /* hash of the path -> index + 1 */
static int drift_file_exists;
static const char *drift_file;
static struct buf dpath = BUF_INIT;

static struct expect *ex;
static size_t nex;
static uint64_t records, invalid;
static struct hash_canon canon;
static struct buf tmp = BUF_INIT;

int expect_id(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !memcmp(names[i], name, n))
			return OPT_EXPECT_FIRST + (int)i;
	return -1;
}

int expect_any(void)
{
	return nex > 0;
}

/* "MIN..MAX" of integers, either end may be left out. */
static void parse_count_range(struct expect *e, const char *s)
{
	const char *dots = strstr(s, "..");
	char *end;

	if (!dots)
		cli_usage_error(cli_optname, "expected MIN..MAX, got '%s'", s);
	if (dots > s) {
		errno = 0;
		e->lo = strtoull(s, &end, 10);
		if (end != dots || *s < '0' || *s > '9' || errno)
			cli_usage_error(cli_optname, "expected MIN..MAX, got '%s'", s);
		e->has_lo = 1;
	}
	if (dots[2]) {
		errno = 0;
		e->hi = strtoull(dots + 2, &end, 10);
		if (*end || dots[2] < '0' || dots[2] > '9' || errno)
			cli_usage_error(cli_optname, "expected MIN..MAX, got '%s'", s);
		e->has_hi = 1;
	}
	if (!e->has_lo && !e->has_hi)
		cli_usage_error(cli_optname, "expected MIN..MAX, got '%s'", s);
	if (e->has_lo && e->has_hi && e->lo > e->hi)
		cli_usage_error(cli_optname, "MIN is greater than MAX in '%s'", s);
}

static char *number_text(const char *s, size_t n, const char *whole)
{
	char *t = xstrndup(s, n);
	struct scan_err err;

	if (!n || scan_value(t, n, &err) < 0 || scan_kind((struct span){t, n}) != SCAN_NUMBER)
		cli_usage_error(cli_optname, "expected MIN..MAX of numbers, got '%s'", whole);
	return t;
}

/* FIELD:REST with the field before the last ':' (first with first). */
static const char *split_field(struct expect *e, const char *arg, int first,
			       struct expr_fields *fields)
{
	const char *c = first ? strchr(arg, ':') : strrchr(arg, ':');
	struct path p;

	if (!c)
		cli_usage_error(cli_optname, "expected FIELD:..., got '%s'", arg);
	e->field = xstrndup(arg, (size_t)(c - arg));
	cli_path(cli_optname, e->field, 0, 1, &p);
	e->idx = xmalloc(sizeof(*e->idx));
	e->idx[0] = expr_fields_add(fields, &p);
	e->nidx = 1;
	path_release(&p);
	return c + 1;
}

static struct field *dfield(const char *p, size_t n)
{
	int added;
	uint64_t *slot = hash_table_put(&dindex, hash_bytes(p, n), &added);

	if (added) {
		dfields = xrealloc(dfields, (ndfields + 1) * sizeof(*dfields));
		memset(&dfields[ndfields], 0, sizeof(*dfields));
		dfields[ndfields].path = xstrndup(p, n);
		*slot = ++ndfields;
	}
	return &dfields[*slot - 1];
}

/* Read the saved fields of a previous run, if any. */
static void drift_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf text = BUF_INIT, name = BUF_INIT;
	char chunk[65536];
	size_t n;
	struct scan_err err;
	struct span fields;
	struct scan_iter it, j;
	struct span k, v, k2, t;

	hash_table_init(&dindex, 8);
	drift_file = path;
	if (!f) {
		if (errno == ENOENT)
			return;
		cli_usage_error(cli_optname, "%s: %s", path, strerror(errno));
	}
	drift_file_exists = 1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&text, chunk, n);
	fclose(f);
	if (!text.p)
		buf_adds(&text, "");
	if (scan_value(text.p, text.len, &err) < 0 ||
	    scan_kind((struct span){text.p, text.len}) != SCAN_OBJECT ||
	    scan_kind(fields = scan_lookup((struct span){text.p, text.len},
					   &(struct path){&(struct path_seg){"fields", 6}, 1,
							  NULL})) != SCAN_OBJECT)
		cli_usage_error(cli_optname, "%s: not a file of --schema-drift", path);
	scan_iter_init(&it, fields);
	while (scan_iter_next(&it, &k, &v)) {
		struct field *fd;

		buf_reset(&name);
		scan_unescape(&name, k.p, k.n);
		fd = dfield(name.p ? name.p : "", name.len);
		fd->seen_before = 1;
		if (scan_kind(v) != SCAN_ARRAY)
			cli_usage_error(cli_optname, "%s: not a file of --schema-drift", path);
		scan_iter_init(&j, v);
		while (scan_iter_next(&j, &k2, &t))
			for (unsigned i = 0; i < J_N; i++)
				if (scan_kind(t) == SCAN_STRING && t.n == strlen(jtypes[i]) + 2 &&
				    !memcmp(t.p + 1, jtypes[i], t.n - 2))
					fd->before |= 1u << i;
	}
	buf_release(&text);
	buf_release(&name);
}

static int is_integer_text(struct span v)
{
	struct dec_text m;
	__int128 place;

	dec_text_parse(&m, v.p, v.n);
	if (m.z == m.nint + m.nfrac)
		return 1;
	return !dec_text_place(&m, m.last, &place) ? place > 0 : place >= 0;
}

/* The fields of object obj under the path in dpath. */
static void drift_walk(struct span obj, int depth)
{
	struct scan_iter it;
	struct span k, v;
	size_t mark = dpath.len;

	scan_iter_init(&it, obj);
	while (scan_iter_next(&it, &k, &v)) {
		enum scan_kind kind = scan_kind(v);
		unsigned t;
		size_t start;

		dpath.len = mark;
		if (mark)
			buf_addc(&dpath, '.');
		start = dpath.len;
		scan_unescape(&dpath, k.p, k.n);
		if (strcspn(dpath.p + start, ".,\" =") < dpath.len - start ||
		    memchr(dpath.p + start, 0, dpath.len - start)) {
			/* a key that a path must quote */
			char *seg = xstrndup(dpath.p + start, dpath.len - start);
			size_t segn = dpath.len - start;

			dpath.len = start;
			jw_string(&dpath, seg, segn);
			free(seg);
		}
		switch (kind) {
		case SCAN_NULL:
			t = J_NULL;
			break;
		case SCAN_TRUE:
		case SCAN_FALSE:
			t = J_BOOLEAN;
			break;
		case SCAN_NUMBER:
			t = is_integer_text(scan_trim(v)) ? J_INTEGER : J_NUMBER;
			break;
		case SCAN_STRING:
			t = J_STRING;
			break;
		case SCAN_ARRAY:
			t = J_ARRAY;
			break;
		default:
			t = J_OBJECT;
		}
		dfield(dpath.p, dpath.len)->now |= 1u << t;
		if (kind == SCAN_OBJECT && depth < 64)
			drift_walk(v, depth + 1);
	}
	dpath.len = mark;
}

static void types_text(char *s, size_t n, unsigned t)
{
	size_t k = 0;

	s[0] = '\0';
	for (unsigned i = 0; i < J_N && k < n; i++)
		if (t & (1u << i))
			k += (size_t)snprintf(s + k, n - k, "%s%s", k ? ", " : "", jtypes[i]);
}

void expect_add(int id, const char *arg, struct expr_fields *fields)
{
	struct expect *e;
	const char *rest;
	char *end;

	ex = xrealloc(ex, (nex + 1) * sizeof(*ex));
	e = &ex[nex++];
	memset(e, 0, sizeof(*e));
	e->warn = id >= OPT_EXPECT_END;
	e->kind = e->warn ? id - OPT_WARN : id;
	e->arg = arg;
	hash_table_init(&e->seen, 0);
	switch (e->kind) {
	case OPT_UNIQUE: {
		struct path *p;
		size_t n;

		cli_paths(cli_optname, arg, &p, &n);
		e->idx = xmalloc(n * sizeof(*e->idx));
		for (size_t i = 0; i < n; i++)
			e->idx[i] = expr_fields_add(fields, &p[i]);
		e->nidx = n;
		e->field = xstrdup(arg);
		path_list_free(p, n);
		break;
	}
	case OPT_NOT_NULL: {
		const char *c = strrchr(arg, ':');
		struct path p;

		e->mostly = 1;
		if (c && c[1] && strspn(c + 1, "0123456789.") == strlen(c + 1)) {
			e->mostly = strtod(c + 1, &end);
			if (*end || e->mostly < 0 || e->mostly > 1)
				cli_usage_error(
					cli_optname,
					"expected FIELD[:MOSTLY], MOSTLY from 0 to 1, got '%s'",
					arg);
			e->field = xstrndup(arg, (size_t)(c - arg));
		} else {
			e->field = xstrdup(arg);
		}
		cli_path(cli_optname, e->field, 0, 1, &p);
		e->idx = xmalloc(sizeof(*e->idx));
		e->idx[0] = expr_fields_add(fields, &p);
		e->nidx = 1;
		path_release(&p);
		break;
	}
	case OPT_ROWS:
		parse_count_range(e, arg);
		break;
	case OPT_DISTINCT:
		parse_count_range(e, split_field(e, arg, 0, fields));
		break;
	case OPT_FRESH:
		rest = split_field(e, arg, 0, fields);
		if (timefmt_duration(rest, &e->max_age) < 0)
			cli_usage_error(cli_optname,
					"expected FIELD:DURATION (30m, 1h, 2d), got '%s'", arg);
		break;
	case OPT_ACCEPTED: {
		size_t n;

		rest = split_field(e, arg, 1, fields);
		e->accepted = cli_split(rest, &n);
		e->naccepted = n;
		break;
	}
	case OPT_RANGE: {
		const char *dots;

		rest = split_field(e, arg, 0, fields);
		dots = strstr(rest, "..");
		if (!dots || (dots == rest && !dots[2]))
			cli_usage_error(cli_optname, "expected FIELD:MIN..MAX, got '%s'", arg);
		if (dots > rest)
			e->rlo = number_text(rest, (size_t)(dots - rest), arg);
		if (dots[2])
			e->rhi = number_text(dots + 2, strlen(dots + 2), arg);
		if (e->rlo && e->rhi &&
		    dec_text_cmp(e->rlo, strlen(e->rlo), e->rhi, strlen(e->rhi)) > 0)
			cli_usage_error(cli_optname, "MIN is greater than MAX in '%s'", arg);
		break;
	}
	case OPT_SCHEMA_DRIFT:
		if (drift_file)
			cli_usage_error(cli_optname, "given twice");
		drift_load(arg);
		break;
	case OPT_MAX_INVALID: {
		size_t n = strspn(arg, "0123456789");

		if (n && !arg[n]) {
			errno = 0;
			e->max_abs = strtoull(arg, NULL, 10);
			if (errno)
				cli_usage_error(cli_optname, "too large: '%s'", arg);
		} else {
			n += strspn(arg + n, ".0123456789");
			e->max_pct = strtod(arg, &end);
			if (!n || end != arg + n || strcmp(end, "%") || e->max_pct > 100)
				cli_usage_error(cli_optname,
						"expected a count N or a percentage N%%, got '%s'",
						arg);
			e->pct = 1;
		}
		break;
	}
	}
}

static void offend_at(struct expect *e, const char *file, uint64_t lineno)
{
	e->bad++;
	if (e->nlines < MAX_LINES)
		e->lines[e->nlines++] = xstrdup(etl_where(file, lineno, 0));
}

static void offend(struct expect *e, const struct record *rec)
{
	offend_at(e, rec->file, rec->lineno);
}

/* Put the key waiting into the table: a repeated one offends --unique. */
static void settle(struct expect *e)
{
	int added;

	if (!e->have_pend)
		return;
	e->have_pend = 0;
	hash_table_put(&e->seen, e->pend, &added);
	if (!added && e->kind == OPT_UNIQUE)
		offend_at(e, e->pend_file, e->pend_line);
}

/* Hash the key of a record, start loading its slot, and put the one before
 * it meanwhile: with a table larger than the cache, the load is most of
 * the cost of a put. */
static void defer(struct expect *e, const struct record *rec, struct hash128 h)
{
	hash_table_prefetch(&e->seen, h);
	settle(e);
	e->have_pend = 1;
	e->pend = h;
	e->pend_file = rec->file;
	e->pend_line = rec->lineno;
}

static int is_null(struct span v)
{
	enum scan_kind k = scan_kind(v);

	return k == SCAN_NONE || k == SCAN_NULL;
}

static int accepted(const struct expect *e, struct span v)
{
	v = scan_trim(v);
	for (size_t i = 0; i < e->naccepted; i++) {
		const char *a = e->accepted[i];
		size_t n = strlen(a);

		switch (scan_kind(v)) {
		case SCAN_STRING:
			buf_reset(&tmp);
			scan_string(&tmp, v);
			if (tmp.len == n && !memcmp(tmp.p, a, n))
				return 1;
			break;
		case SCAN_NUMBER: {
			struct scan_err err;

			if (n && scan_value(a, n, &err) == 0 &&
			    scan_kind((struct span){a, n}) == SCAN_NUMBER &&
			    dec_text_cmp(v.p, v.n, a, n) == 0)
				return 1;
			break;
		}
		default:
			if (v.n == n && !memcmp(v.p, a, n))
				return 1;
		}
	}
	return 0;
}

void expect_record(const struct record *rec, int valid)
{
	records++;
	invalid += !valid;
	for (size_t i = 0; i < nex; i++) {
		struct expect *e = &ex[i];
		struct span v = e->nidx ? rec->vals[e->idx[0]] : (struct span){NULL, 0};

		e->n++;
		switch (e->kind) {
		case OPT_UNIQUE:
			hash_canon_reset(&canon);
			for (size_t j = 0; j < e->nidx; j++)
				hash_canon_add(&canon, rec->vals[e->idx[j]]);
			defer(e, rec, hash_canon_sum(&canon));
			break;
		case OPT_NOT_NULL:
			if (is_null(v))
				offend(e, rec);
			break;
		case OPT_DISTINCT:
			if (!is_null(v)) {
				hash_canon_reset(&canon);
				hash_canon_add(&canon, v);
				defer(e, rec, hash_canon_sum(&canon));
			}
			break;
		case OPT_FRESH:
			if (!is_null(v)) {
				int64_t us;
				int32_t off;

				buf_reset(&tmp);
				if (scan_kind(v) != SCAN_STRING ||
				    (scan_string(&tmp, v),
				     timefmt_parse_iso(tmp.p, tmp.len, &us, &off) < 0)) {
					offend(e, rec);
				} else if (!e->have_newest || us > e->newest) {
					e->newest = us;
					e->have_newest = 1;
				}
			}
			break;
		case OPT_ACCEPTED:
			if (!is_null(v) && !accepted(e, v))
				offend(e, rec);
			break;
		case OPT_RANGE:
			if (!is_null(v)) {
				v = scan_trim(v);
				if (scan_kind(v) != SCAN_NUMBER ||
				    (e->rlo &&
				     dec_text_cmp(v.p, v.n, e->rlo, strlen(e->rlo)) < 0) ||
				    (e->rhi && dec_text_cmp(v.p, v.n, e->rhi, strlen(e->rhi)) > 0))
					offend(e, rec);
			}
			break;
		case OPT_MAX_INVALID:
			if (!valid)
				offend(e, rec);
			break;
		case OPT_SCHEMA_DRIFT:
			buf_reset(&dpath);
			drift_walk(rec->line, 0);
			break;
		}
	}
}

static void range_text(char *s, size_t n, const struct expect *e)
{
	if (e->has_lo && e->has_hi)
		snprintf(s, n, "%llu..%llu", (unsigned long long)e->lo, (unsigned long long)e->hi);
	else if (e->has_lo)
		snprintf(s, n, "at least %llu", (unsigned long long)e->lo);
	else
		snprintf(s, n, "at most %llu", (unsigned long long)e->hi);
}

static int in_range(const struct expect *e, uint64_t v)
{
	return (!e->has_lo || v >= e->lo) && (!e->has_hi || v <= e->hi);
}

static int64_t now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static void decide(struct expect *e)
{
	char r[64];

	settle(e);
	switch (e->kind) {
	case OPT_UNIQUE:
		e->observed = (double)e->bad;
		e->failed = e->bad > 0;
		snprintf(e->shown, sizeof(e->shown), "%llu duplicate%s", (unsigned long long)e->bad,
			 e->bad == 1 ? "" : "s");
		break;
	case OPT_NOT_NULL:
		e->observed = e->n ? (double)e->bad / (double)e->n : 0;
		/* non-null share at least mostly, in integers: n - bad >= mostly * n */
		e->failed = (double)(e->n - e->bad) < e->mostly * (double)e->n - 1e-9;
		snprintf(e->shown, sizeof(e->shown), "null share %.4g, allowed %.4g", e->observed,
			 1 - e->mostly);
		break;
	case OPT_ROWS:
		e->observed = (double)e->n;
		e->failed = !in_range(e, e->n);
		range_text(r, sizeof(r), e);
		snprintf(e->shown, sizeof(e->shown), "%llu rows, expected %s",
			 (unsigned long long)e->n, r);
		break;
	case OPT_DISTINCT:
		e->observed = (double)e->seen.count;
		e->failed = !in_range(e, e->seen.count);
		range_text(r, sizeof(r), e);
		snprintf(e->shown, sizeof(e->shown), "%llu distinct values, expected %s",
			 (unsigned long long)e->seen.count, r);
		break;
	case OPT_FRESH:
		if (!e->have_newest) {
			e->observed = NAN;
			e->failed = 1;
			snprintf(e->shown, sizeof(e->shown), "no time found");
			break;
		}
		e->observed = (double)(now_us() - e->newest) / 1e6;
		e->failed = e->bad > 0 || now_us() - e->newest > e->max_age;
		snprintf(e->shown, sizeof(e->shown), "newest is %.0fs old, allowed %.0fs%s",
			 e->observed, (double)e->max_age / 1e6,
			 e->bad ? ", and some are not times" : "");
		break;
	case OPT_ACCEPTED:
	case OPT_RANGE:
		e->observed = (double)e->bad;
		e->failed = e->bad > 0;
		snprintf(e->shown, sizeof(e->shown), "%llu value%s outside",
			 (unsigned long long)e->bad, e->bad == 1 ? "" : "s");
		break;
	case OPT_SCHEMA_DRIFT:
		e->bad = 0;
		if (!drift_file_exists) {
			snprintf(e->shown, sizeof(e->shown), "no previous run in %s", drift_file);
			break;
		}
		for (size_t i = 0; i < ndfields; i++) {
			struct field *f = &dfields[i];
			unsigned a = f->now & ~(1u << J_NULL), b = f->before & ~(1u << J_NULL);
			char finding[300], ta[80], tb[80];

			types_text(ta, sizeof(ta), f->now);
			types_text(tb, sizeof(tb), f->before);
			if (f->now && !f->seen_before)
				snprintf(finding, sizeof(finding), "new field %s (%s)", f->path,
					 ta);
			else if (!f->now && f->seen_before)
				snprintf(finding, sizeof(finding), "missing field %s (was %s)",
					 f->path, tb);
			else if (a && b && a != b)
				snprintf(finding, sizeof(finding), "type of %s: %s, was %s",
					 f->path, ta, tb);
			else
				continue;
			e->bad++;
			if (e->nlines < MAX_LINES)
				e->lines[e->nlines++] = xstrdup(finding);
		}
		e->observed = (double)e->bad;
		e->failed = e->bad > 0;
		snprintf(e->shown, sizeof(e->shown), "%llu finding%s", (unsigned long long)e->bad,
			 e->bad == 1 ? "" : "s");
		break;
	case OPT_MAX_INVALID:
		if (e->pct) {
			e->observed = records ? 100.0 * (double)invalid / (double)records : 0;
			e->failed = e->observed > e->max_pct;
			snprintf(e->shown, sizeof(e->shown), "%.4g%% invalid, allowed %.4g%%",
				 e->observed, e->max_pct);
		} else {
			e->observed = (double)invalid;
			e->failed = invalid > e->max_abs;
			snprintf(e->shown, sizeof(e->shown), "%llu invalid, allowed %llu",
				 (unsigned long long)invalid, (unsigned long long)e->max_abs);
		}
		break;
	}
}

static void write_all(const char *path, const struct buf *b);

static void write_report(const char *path, size_t nfailed)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "{\"passed\":%s,\"records\":%llu,\"invalid\":%llu,\"checks\":[",
		   nfailed ? "false" : "true", (unsigned long long)records,
		   (unsigned long long)invalid);
	for (size_t i = 0; i < nex; i++) {
		struct expect *e = &ex[i];
		const char *name = names[e->kind - OPT_EXPECT_FIRST];

		buf_adds(&b, i ? ",{\"check\":" : "{\"check\":");
		jw_string(&b, name, strlen(name));
		buf_adds(&b, ",\"arg\":");
		jw_string(&b, e->arg, strlen(e->arg));
		buf_printf(&b, ",\"severity\":\"%s\",\"verdict\":\"%s\",\"observed\":",
			   e->warn ? "warn" : "fail",
			   e->failed ? (e->warn ? "warn" : "fail") : "pass");
		jw_double(&b, e->observed);
		buf_printf(&b, ",\"offending\":%llu,\"%s\":[", (unsigned long long)e->bad,
			   e->kind == OPT_SCHEMA_DRIFT ? "findings" : "first_lines");
		for (size_t j = 0; j < e->nlines; j++) {
			if (j)
				buf_addc(&b, ',');
			jw_string(&b, e->lines[j], strlen(e->lines[j]));
		}
		buf_adds(&b, "]}");
	}
	buf_adds(&b, "]}\n");
	write_all(path, &b);
	buf_release(&b);
}

size_t expect_finish(const char *report)
{
	size_t nfailed = 0;

	for (size_t i = 0; i < nex; i++) {
		struct expect *e = &ex[i];
		const char *name = names[e->kind - OPT_EXPECT_FIRST];

		decide(e);
		nfailed += e->failed && !e->warn;
		const char *first = e->kind == OPT_SCHEMA_DRIFT ? ": " : "; first at ";

		if (e->failed && !e->warn)
			etl_error(NULL, "failed: --%s %s: %s%s%s", name, e->arg, e->shown,
				  e->nlines ? first : "", e->nlines ? e->lines[0] : "");
		else if (e->failed)
			etl_warn(NULL, "warning: --warn-%s %s: %s%s%s", name, e->arg, e->shown,
				 e->nlines ? first : "", e->nlines ? e->lines[0] : "");
		else
			etl_warn(NULL, "passed: --%s%s %s: %s", e->warn ? "warn-" : "", name,
				 e->arg, e->shown);
	}
	if (report)
		write_report(report, nfailed);
	return nfailed;
}

static int cmp_field(const void *a, const void *b)
{
	return strcmp(((const struct field *)a)->path, ((const struct field *)b)->path);
}

void expect_commit(void)
{
	struct buf b = BUF_INIT;
	size_t k = 0;

	if (!drift_file)
		return;
	qsort(dfields, ndfields, sizeof(*dfields), cmp_field);
	buf_adds(&b, "{\"fields\":{");
	for (size_t i = 0; i < ndfields; i++) {
		if (!dfields[i].now)
			continue;
		buf_adds(&b, k++ ? ",\n" : "\n");
		jw_string(&b, dfields[i].path, strlen(dfields[i].path));
		buf_adds(&b, ":[");
		for (unsigned t = 0, m = 0; t < J_N; t++)
			if (dfields[i].now & (1u << t))
				buf_printf(&b, "%s\"%s\"", m++ ? "," : "", jtypes[t]);
		buf_addc(&b, ']');
	}
	buf_adds(&b, "\n}}\n");
	write_all(drift_file, &b);
	buf_release(&b);
}

/* ---- Partial states ------------------------------------------------------
 *
 * One JSON object per file:
 *   {"etl_validate":"partial","version":1,"records":N,"invalid":N,
 *    "expect":[{"check":"unique","arg":"id","severity":"fail","n":N,"bad":N,
 *               "lines":[...],"hashes":["<32 hex digits>",...],"newest":US},...],
 *    "fields":{"a":["integer"],...}}
 * "hashes" are the key hashes of --unique and --distinct, "newest" the
 * newest time of --fresh in microseconds, "fields" what --schema-drift saw.
 * Merging adds counts, keeps the first lines in file order, takes the union
 * of the hashes (a key already in it is one more duplicate) and the newest
 * of the times, so the states of the parts of an input, merged, decide as
 * one run over the whole would.
 */

static void write_all(const char *path, const struct buf *b)
{
	struct replace r;
	size_t off = 0;
	int rc;

	if (replace_open(&r, path) != 0)
		etl_die(ETL_EXIT_IOERR, path, "cannot open: %s", strerror(errno));
	while (off < b->len) {
		ssize_t k = write(r.fd, b->p + off, b->len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int err = errno;

			replace_abort(&r);
			free(r.target);
			etl_die(ETL_EXIT_IOERR, path, "write error: %s", strerror(err));
		}
		off += (size_t)k;
	}
	rc = replace_commit(&r);
	free(r.target);
	if (rc != 0)
		etl_die(ETL_EXIT_IOERR, path, "write error: %s", strerror(errno));
}

static void write_hashes(struct buf *b, const struct hash_table *t)
{
	size_t k = 0;

	for (size_t i = 0; i < t->cap; i++) {
		const uint64_t *sl = (const uint64_t *)(t->slots + i * t->stride);

		if (!sl[0] && !sl[1])
			continue;
		buf_printf(b, "%s\"%016llx%016llx\"", k++ ? "," : "", (unsigned long long)sl[1],
			   (unsigned long long)sl[0]);
	}
}

void expect_partial_write(const char *path)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < nex; i++)
		settle(&ex[i]);
	buf_printf(&b,
		   "{\"etl_validate\":\"partial\",\"version\":1,\"records\":%llu,"
		   "\"invalid\":%llu,\"expect\":[",
		   (unsigned long long)records, (unsigned long long)invalid);
	for (size_t i = 0; i < nex; i++) {
		struct expect *e = &ex[i];
		const char *name = names[e->kind - OPT_EXPECT_FIRST];

		buf_adds(&b, i ? ",{\"check\":" : "{\"check\":");
		jw_string(&b, name, strlen(name));
		buf_adds(&b, ",\"arg\":");
		jw_string(&b, e->arg, strlen(e->arg));
		buf_printf(&b, ",\"severity\":\"%s\",\"n\":%llu,\"bad\":%llu,\"lines\":[",
			   e->warn ? "warn" : "fail", (unsigned long long)e->n,
			   (unsigned long long)e->bad);
		for (size_t j = 0; j < e->nlines; j++) {
			if (j)
				buf_addc(&b, ',');
			jw_string(&b, e->lines[j], strlen(e->lines[j]));
		}
		buf_adds(&b, "],\"hashes\":[");
		write_hashes(&b, &e->seen);
		buf_adds(&b, "]");
		if (e->have_newest)
			buf_printf(&b, ",\"newest\":%lld", (long long)e->newest);
		buf_addc(&b, '}');
	}
	buf_adds(&b, "],\"fields\":{");
	for (size_t i = 0, k = 0; i < ndfields; i++) {
		if (!dfields[i].now)
			continue;
		if (k++)
			buf_addc(&b, ',');
		jw_string(&b, dfields[i].path, strlen(dfields[i].path));
		buf_printf(&b, ":%u", dfields[i].now);
	}
	buf_adds(&b, "}}\n");
	write_all(path, &b);
	buf_release(&b);
}

static struct span get(struct span obj, const char *key)
{
	struct path_seg seg = {(char *)key, strlen(key)};
	struct path p = {&seg, 1, NULL};

	return scan_lookup(obj, &p);
}

static uint64_t get_u64(struct span obj, const char *key, const char *path)
{
	struct span v = scan_trim(get(obj, key));
	char tmpn[32];

	if (scan_kind(v) != SCAN_NUMBER || v.n >= sizeof(tmpn) || v.p[0] == '-')
		etl_die(ETL_EXIT_USAGE, path, "not a partial state of etl-validate: bad \"%s\"",
			key);
	memcpy(tmpn, v.p, v.n);
	tmpn[v.n] = '\0';
	return strtoull(tmpn, NULL, 10);
}

static int span_eq(struct span v, const char *s)
{
	struct buf b = BUF_INIT;
	int eq;

	if (scan_kind(v) != SCAN_STRING)
		return 0;
	scan_string(&b, v);
	eq = b.len == strlen(s) && (!b.len || !memcmp(b.p, s, b.len));
	buf_release(&b);
	return eq;
}

void expect_merge_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf text = BUF_INIT, s = BUF_INIT;
	char chunk[65536];
	size_t n, i = 0;
	struct scan_err err;
	struct span root, list, v, k;
	struct scan_iter it, j;

	if (!f)
		etl_die(ETL_EXIT_IOERR, path, "cannot read: %s", strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&text, chunk, n);
	fclose(f);
	if (!text.p)
		buf_adds(&text, "");
	root = (struct span){text.p, text.len};
	if (scan_value(text.p, text.len, &err) < 0 || scan_kind(root) != SCAN_OBJECT ||
	    !span_eq(get(root, "etl_validate"), "partial") ||
	    scan_kind(list = get(root, "expect")) != SCAN_ARRAY)
		etl_die(ETL_EXIT_USAGE, path, "not a partial state of etl-validate");
	records += get_u64(root, "records", path);
	invalid += get_u64(root, "invalid", path);
	scan_iter_init(&it, list);
	while (scan_iter_next(&it, &k, &v)) {
		struct expect *e = i < nex ? &ex[i] : NULL;
		struct span x;

		if (!e || !span_eq(get(v, "check"), names[e->kind - OPT_EXPECT_FIRST]) ||
		    !span_eq(get(v, "arg"), e->arg) ||
		    !span_eq(get(v, "severity"), e->warn ? "warn" : "fail"))
			etl_die(ETL_EXIT_USAGE, path,
				"made with other expectations than this run's (expectation %zu)",
				i + 1);
		e->n += get_u64(v, "n", path);
		e->bad += get_u64(v, "bad", path);
		x = get(v, "lines");
		if (scan_kind(x) == SCAN_ARRAY) {
			struct span lk, lv;

			scan_iter_init(&j, x);
			while (scan_iter_next(&j, &lk, &lv) && e->nlines < MAX_LINES) {
				buf_reset(&s);
				scan_string(&s, lv);
				e->lines[e->nlines++] = xstrndup(s.p ? s.p : "", s.len);
			}
		}
		x = get(v, "hashes");
		if (scan_kind(x) == SCAN_ARRAY) {
			struct span hk, hv;

			scan_iter_init(&j, x);
			while (scan_iter_next(&j, &hk, &hv)) {
				struct hash128 h;
				char hex[17];
				int added;

				if (hv.n != 34)
					etl_die(ETL_EXIT_USAGE, path,
						"not a partial state of etl-validate");
				memcpy(hex, hv.p + 1, 16);
				hex[16] = '\0';
				h.hi = strtoull(hex, NULL, 16);
				memcpy(hex, hv.p + 17, 16);
				h.lo = strtoull(hex, NULL, 16);
				hash_table_put(&e->seen, h, &added);
				if (!added && e->kind == OPT_UNIQUE)
					e->bad++;
			}
		}
		x = scan_trim(get(v, "newest"));
		if (scan_kind(x) == SCAN_NUMBER) {
			char t[32];
			long long us;

			snprintf(t, sizeof(t), "%.*s", (int)x.n, x.p);
			us = strtoll(t, NULL, 10);
			if (!e->have_newest || us > e->newest)
				e->newest = us;
			e->have_newest = 1;
		}
		i++;
	}
	if (i != nex)
		etl_die(ETL_EXIT_USAGE, path, "made with other expectations than this run's");
	v = get(root, "fields");
	if (drift_file && scan_kind(v) == SCAN_OBJECT) {
		struct span fk, fv;

		scan_iter_init(&it, v);
		while (scan_iter_next(&it, &fk, &fv)) {
			char t[16];

			buf_reset(&s);
			scan_unescape(&s, fk.p, fk.n);
			snprintf(t, sizeof(t), "%.*s", (int)scan_trim(fv).n, scan_trim(fv).p);
			dfield(s.p ? s.p : "", s.len)->now |= (unsigned)strtoul(t, NULL, 10);
		}
	}
	buf_release(&text);
	buf_release(&s);
}

void expect_release(void)
{
	for (size_t i = 0; i < nex; i++) {
		free(ex[i].idx);
		free(ex[i].field);
		free(ex[i].rlo);
		free(ex[i].rhi);
		if (ex[i].accepted)
			cli_split_free(ex[i].accepted);
		for (size_t j = 0; j < ex[i].nlines; j++)
			free(ex[i].lines[j]);
		hash_table_release(&ex[i].seen);
	}
	free(ex);
	for (size_t i = 0; i < ndfields; i++)
		free(dfields[i].path);
	free(dfields);
	if (drift_file)
		hash_table_release(&dindex);
	buf_release(&dpath);
	hash_canon_release(&canon);
	buf_release(&tmp);
}

void expect_init(void)
{
	hash_canon_init(&canon, 0);
}
