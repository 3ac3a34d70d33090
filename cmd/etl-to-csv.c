/*
 * etl-to-csv - NDJSON to RFC 4180 CSV: one CSV row per record.
 *
 * The columns are the --fields paths, or else the first record's top-level
 * keys.  Invariants:
 *  - Every row has exactly one field per column, so the CSV is rectangular:
 *    a missing field or null is --null's text (default empty), a key that is
 *    not a column is left out (without --fields, the first such key is
 *    named in one warning).
 *  - A field is quoted only when RFC 4180 needs it: it holds the delimiter,
 *    the quote, CR or LF; or it is the empty value of a one-column table,
 *    whose row would otherwise be a blank line that readers skip.
 *  - Values keep their JSON text where CSV can carry it: numbers exactly as
 *    written (41.00 stays 41.00), true and false, objects and arrays as
 *    compact JSON; strings are decoded.
 *
 * With --fields, the scanner looks the paths up while it validates each
 * record.  Without, each record's members are walked once; keys usually come
 * in the first record's order, so the member at position j is tried against
 * column j before the columns are searched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "csvopt.h"
#include "die.h"
#include "jsonw.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "scan.h"
#include "stats.h"
#include "banned.h"

enum {
	OPT_FIELDS = 1,
	OPT_NO_HEADER,
	OPT_NULL,
	OPT_CRLF,
};

static const struct cli_opt opts[] = {
	{OPT_FIELDS, "fields", 'f', CLI_ARG, "PATHS", "columns: these fields, in this order"},
	{OPT_NO_HEADER, "no-header", 0, CLI_NOARG, NULL, "do not write a header row"},
	CSVOPT_OPTIONS,
	{OPT_NULL, "null", 0, CLI_ARG, "STR",
	 "write null and missing fields as STR (default: empty)"},
	{OPT_CRLF, "crlf", 0, CLI_NOARG, NULL, "end rows with CRLF, as RFC 4180 says"},
	{0, NULL, 0, 0, NULL, NULL},
};

static struct path *fields;
static size_t nfields;
static int header = 1, crlf;
static struct csv_dialect dialect = CSV_DIALECT_INIT;
static const char *null_text = "";

/* The columns: decoded names (the header), and for the first-record mode
 * the keys that are looked up. */
struct col {
	size_t off, len; /* the name in names */
};
static struct buf names = BUF_INIT;
static struct col *cols;
static size_t ncols, capcols;

static unsigned char special[256]; /* bytes that make a field need quotes */
static struct buf tmp = BUF_INIT;

static void on_opt(int id, const char *arg)
{
	if (csvopt_on_opt(&dialect, id, arg))
		return;
	switch (id) {
	case OPT_FIELDS:
		path_list_free(fields, nfields);
		cli_paths(cli_optname, arg, &fields, &nfields);
		break;
	case OPT_NO_HEADER:
		header = 0;
		break;
	case OPT_NULL:
		null_text = arg;
		break;
	case OPT_CRLF:
		crlf = 1;
		break;
	}
}

static const struct cli_prog prog = {
	"etl-to-csv",
	"[OPTIONS] [FILE...]",
	"Convert NDJSON to CSV (RFC 4180), one row per record.",
	opts,
	0,
	on_opt,
};

/* Write one field, quoted only if it must be. */
static void put_field(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && !special[(unsigned char)s[i]])
		i++;
	if (i == n && (n || ncols != 1)) {
		out_write(s, n);
		return;
	}
	out_putc(dialect.quote);
	for (;;) {
		const char *q = memchr(s, dialect.quote, n);

		if (!q) {
			out_write(s, n);
			break;
		}
		out_write(s, q + 1 - s);
		out_putc(dialect.quote); /* a quote is written twice */
		n -= q + 1 - s;
		s = q + 1;
	}
	out_putc(dialect.quote);
}

static void put_eol(void)
{
	if (crlf)
		out_putc('\r');
	out_putc('\n');
}

static void put_value(struct span v)
{
	struct span s = v; /* numbers, true, false: their text */

	switch (scan_kind(v)) {
	case SCAN_NONE:
	case SCAN_NULL:
		s.p = null_text;
		s.n = strlen(null_text);
		break;
	case SCAN_STRING:
		s.p = v.p + 1;
		s.n = v.n - 2;
		if (!memchr(s.p, '\\', s.n))
			break;
		buf_reset(&tmp);
		scan_string(&tmp, v);
		s.p = tmp.p;
		s.n = tmp.len;
		break;
	case SCAN_OBJECT:
	case SCAN_ARRAY:
		buf_reset(&tmp);
		jw_compact(&tmp, v.p, v.n);
		s.p = tmp.p;
		s.n = tmp.len;
		break;
	default:
		break;
	}
	put_field(s.p, s.n);
}

static void col_add(const char *s, size_t n)
{
	xgrow(&cols, &capcols, ncols + 1, sizeof(*cols));
	cols[ncols].off = names.len;
	cols[ncols++].len = n;
	buf_add(&names, s, n);
	buf_addc(&names, '\0');
}

static int col_is(size_t i, struct span rawkey)
{
	return scan_key_eq(rawkey, names.p + cols[i].off, cols[i].len);
}

static void put_header(void)
{
	if (!header)
		return;
	for (size_t i = 0; i < ncols; i++) {
		if (i)
			out_putc(dialect.delim);
		put_field(names.p + cols[i].off, cols[i].len);
	}
	put_eol();
}

/* The columns are the first record's keys, each once, in order. */
static void columns_from(const struct record *rec)
{
	struct scan_iter it;
	struct span k, v;

	scan_iter_init(&it, rec->line);
	while (scan_iter_next(&it, &k, &v)) {
		size_t i;

		buf_reset(&tmp);
		scan_unescape(&tmp, k.p, k.n);
		for (i = 0; i < ncols; i++)
			if (cols[i].len == tmp.len &&
			    memcmp(names.p + cols[i].off, tmp.p, tmp.len) == 0)
				break;
		if (i == ncols)
			col_add(tmp.p, tmp.len);
	}
}

/* Fill vals[0..ncols) from the record's top-level members. */
static void lookup(const struct record *rec, struct span *vals)
{
	static int warned;
	struct scan_iter it;
	struct span k, v;
	size_t j = 0;

	for (size_t i = 0; i < ncols; i++)
		vals[i].p = NULL;
	scan_iter_init(&it, rec->line);
	for (; scan_iter_next(&it, &k, &v); j++) {
		size_t i = j;

		if (i >= ncols || !col_is(i, k)) {
			for (i = 0; i < ncols; i++)
				if (col_is(i, k))
					break;
		}
		if (i < ncols) {
			vals[i] = v;
		} else if (!warned) {
			warned = 1;
			etl_warn(
				etl_where(rec->file, rec->lineno, 0),
				"key \"%.*s\" is not in the first record: left out (further ones are "
				"not reported)",
				(int)k.n, k.p);
		}
	}
}

int main(int argc, char **argv)
{
	struct ndjson *nd;
	struct record rec;
	struct span *vals = NULL;

	cli_start(&prog, argc, argv);
	csvopt_check(&dialect);
	special[dialect.delim] = special[dialect.quote] = special['\r'] = special['\n'] = 1;
	for (size_t i = 0; i < nfields; i++) {
		/* the header names a nested field by its keys joined with dots */
		buf_reset(&tmp);
		for (size_t j = 0; j < fields[i].nseg; j++) {
			if (j)
				buf_addc(&tmp, '.');
			buf_add(&tmp, fields[i].seg[j].s, fields[i].seg[j].n);
		}
		col_add(tmp.p, tmp.len);
	}
	nd = nd_open(cli.files, cli.nfiles, fields, nfields);
	if (nfields)
		put_header();
	while (nd_next(nd, &rec)) {
		if (nfields) {
			vals = rec.vals;
		} else {
			if (!vals) {
				columns_from(&rec);
				put_header();
				vals = xcalloc(ncols + 1, sizeof(*vals));
			}
			lookup(&rec, vals);
		}
		for (size_t i = 0; i < ncols; i++) {
			if (i)
				out_putc(dialect.delim);
			put_value(vals[i]);
		}
		put_eol();
		stats.records_out++;
	}
	nd_close(nd);
	if (!nfields)
		free(vals);
	path_list_free(fields, nfields);
	free(cols);
	buf_release(&names);
	buf_release(&tmp);
	cli_finish();
}
