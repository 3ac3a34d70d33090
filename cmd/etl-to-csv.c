/*
 * etl-to-csv - NDJSON to RFC 4180 CSV: one CSV row per record; or, with
 * --pretty, an aligned table for a person to read.
 *
 * The columns are the --fields paths, or else the first record's top-level
 * keys, or with --all-keys (and --pretty) the union of the keys of all the
 * records, in first-seen order.  Invariants:
 *  - Every row has exactly one field per column, so the CSV is rectangular:
 *    a missing field or null is --null's text (default empty), a key that is
 *    not a column is left out (without --fields, the first such key is
 *    named in one warning).
 *  - A field is quoted only when RFC 4180 needs it: it holds the delimiter,
 *    the quote, CR or LF; or it is the empty value of a one-column table,
 *    whose row would otherwise be a blank line that readers skip.
 *  - Values keep their JSON text where CSV can carry it: numbers exactly as
 *    written (41.00 stays 41.00), true and false, objects and arrays as
 *    compact JSON (or, with --flatten, nested objects as columns a.b, as
 *    etl-map --flatten makes them: common/fields.h); strings are decoded.
 *  - Memory stays flat: the union of keys and the widths of a table need
 *    the whole input before the first row, so the records go to a spill
 *    file (common/spill.h) while the columns are gathered, and are read
 *    back from there.
 *
 * With --fields, the scanner looks the paths up while it validates each
 * record.  Without, each record's members are walked once; keys usually come
 * in the first record's order, so the member at position j is tried against
 * column j before the column index (a hash of the names) is asked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "csvopt.h"
#include "die.h"
#include "fields.h"
#include "hash.h"
#include "jsonw.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "scan.h"
#include "spill.h"
#include "stats.h"
#include "utf8.h"
#include "banned.h"

enum {
	OPT_FIELDS = 1,
	OPT_NO_HEADER,
	OPT_NULL,
	OPT_CRLF,
	OPT_FLATTEN,
	OPT_SEP,
	OPT_ALL_KEYS,
	OPT_PRETTY,
	OPT_COUNT,
	OPT_MAX_WIDTH,
	OPT_TEMP,
};

static const struct cli_opt opts[] = {
	{OPT_FIELDS, "fields", 'f', CLI_ARG, "PATHS", "columns: these fields, in this order"},
	{OPT_NO_HEADER, "no-header", 0, CLI_NOARG, NULL, "do not write a header row"},
	CSVOPT_OPTIONS,
	{OPT_NULL, "null", 0, CLI_ARG, "STR",
	 "write null and missing fields as STR (default: empty)"},
	{OPT_CRLF, "crlf", 0, CLI_NOARG, NULL, "end rows with CRLF, as RFC 4180 says"},
	{OPT_FLATTEN, "flatten", 0, CLI_NOARG, NULL,
	 "nested objects as columns a.b, not JSON text"},
	{OPT_SEP, "sep", 0, CLI_ARG, "SEP", "key separator of --flatten (default: .)"},
	{OPT_ALL_KEYS, "all-keys", 0, CLI_NOARG, NULL,
	 "columns: the keys of all the records, not only the first's"},
	{OPT_PRETTY, "pretty", 0, CLI_NOARG, NULL,
	 "an aligned table to read, not CSV (implies --flatten --all-keys)"},
	{OPT_COUNT, "count", 'n', CLI_ARG, "N",
	 "only the first N records (default: 20 with --pretty on a terminal, else all)"},
	{OPT_MAX_WIDTH, "max-width", 0, CLI_ARG, "N",
	 "with --pretty, cut cells to N columns (default: 40; 0: no limit)"},
	{OPT_TEMP, "temp-dir", 0, CLI_ARG, "DIR",
	 "where --all-keys and --pretty keep the records (default: $TMPDIR or /tmp)"},
	{0, NULL, 0, 0, NULL, NULL},
};

static struct path *fields;
static size_t nfields;
static int header = 1, crlf;
static struct csv_dialect dialect = CSV_DIALECT_INIT;
static const char *null_text = "";
static int flatten, all_keys, pretty;
static const char *sep = ".", *temp_dir;
static int sep_given, temp_given;
static uint64_t limit;
static int limit_given;
static size_t max_width = 40;
static int max_width_given;

/* The columns: decoded names (the header), and for the first-record mode
 * the keys that are looked up. */
struct col {
	size_t off, len; /* the name in names */
	size_t width;    /* --pretty: the widest cell, header included */
	int text;        /* --pretty: a value that is not a number was seen */
};
static struct buf names = BUF_INIT;
static struct col *cols;
static size_t ncols, capcols;
static struct hash_table colidx; /* hash of a name -> its column + 1 */

/* --flatten: the record as edited, and its text. */
static struct fields flat;
static struct buf flatbuf = BUF_INIT;
static struct buf cellbuf = BUF_INIT, rowbuf = BUF_INIT;

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
	case OPT_FLATTEN:
		flatten = 1;
		break;
	case OPT_SEP:
		sep = cli_separator(cli_optname, arg);
		sep_given = 1;
		break;
	case OPT_ALL_KEYS:
		all_keys = 1;
		break;
	case OPT_PRETTY:
		pretty = 1;
		break;
	case OPT_COUNT:
		limit = cli_uint(cli_optname, arg, 0, UINT64_MAX);
		limit_given = 1;
		break;
	case OPT_MAX_WIDTH:
		max_width = (size_t)cli_uint(cli_optname, arg, 0, 1000000);
		if (max_width == 1)
			cli_usage_error(cli_optname,
					"a cell needs 2 columns or more (or 0: no limit)");
		max_width_given = 1;
		break;
	case OPT_TEMP:
		temp_dir = arg;
		temp_given = 1;
		break;
	}
}

static const struct cli_prog prog = {
	"etl-to-csv",
	"[OPTIONS] [FILE...]",
	"Convert NDJSON to CSV (RFC 4180), one row per record, or to an aligned table.",
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

/* A value as CSV carries it: its text in the returned span (valid until
 * the next call). */
static inline struct span cell_text(struct span v)
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
	return s;
}

static void put_value(struct span v)
{
	struct span s = cell_text(v);

	put_field(s.p, s.n);
}

/* --pretty: the cell of v appended to cellbuf; its width. */
static size_t pretty_cell(struct span v)
{
	struct span s = cell_text(v);

	return utf8_cell(&cellbuf, s.p, s.n, max_width);
}

static void col_add(const char *s, size_t n)
{
	int added;
	size_t *slot = hash_table_put(&colidx, hash_bytes(s, n), &added);

	*slot = ncols + 1;
	xgrow(&cols, &capcols, ncols + 1, sizeof(*cols));
	cols[ncols].off = names.len;
	cols[ncols].len = n;
	buf_reset(&cellbuf);
	cols[ncols].width = utf8_cell(&cellbuf, s, n, max_width);
	cols[ncols++].text = 0;
	buf_add(&names, s, n);
	buf_addc(&names, '\0');
}

static int col_is(size_t i, struct span rawkey)
{
	return scan_key_eq(rawkey, names.p + cols[i].off, cols[i].len);
}

/* The column of a raw key (still escaped), or ncols; with add, a key not
 * yet a column becomes the last one. */
static size_t col_of(struct span rawkey, int add)
{
	const char *s = rawkey.p;
	size_t n = rawkey.n, *slot;

	if (memchr(s, '\\', n)) {
		buf_reset(&tmp);
		scan_unescape(&tmp, s, n);
		s = tmp.p;
		n = tmp.len;
	}
	slot = hash_table_get(&colidx, hash_bytes(s, n));
	if (slot)
		return *slot - 1;
	if (add)
		col_add(s, n);
	return ncols - add;
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

/* Add the record's keys that are not columns yet, in order (the first
 * record's keys, or with --all-keys every record's).  A key at the place
 * of its column is not looked up. */
static void columns_from(struct span line)
{
	struct scan_iter it;
	struct span k, v;

	size_t j = 0;

	scan_iter_init(&it, line);
	for (; scan_iter_next(&it, &k, &v); j++)
		if (j >= ncols || !col_is(j, k))
			col_of(k, 1);
}

/* The record as its columns see it: flattened with --flatten. */
static struct span prepare(struct span line)
{
	/* a record without a second '{' has no nested object */
	if (!flatten || !line.n || !memchr(line.p + 1, '{', line.n - 1))
		return line;
	fields_load(&flat, line);
	fields_flatten(&flat, sep, strlen(sep));
	if (!fields_changed(&flat))
		return line;
	buf_reset(&flatbuf);
	fields_write(&flat, &flatbuf);
	return (struct span){flatbuf.p, flatbuf.len};
}

/* Fill vals[0..ncols) from the record's top-level members; rec (NULL when
 * every key is a column) locates the warning about a key left out. */
static void lookup(struct span line, struct span *vals, const struct record *rec)
{
	static int warned;
	struct scan_iter it;
	struct span k, v;
	size_t j = 0;

	for (size_t i = 0; i < ncols; i++)
		vals[i].p = NULL;
	scan_iter_init(&it, line);
	for (; scan_iter_next(&it, &k, &v); j++) {
		size_t i = j < ncols && col_is(j, k) ? j : col_of(k, 0);

		if (i < ncols) {
			vals[i] = v;
		} else if (!warned && rec) {
			warned = 1;
			etl_warn(
				etl_where(rec->file, rec->lineno, 0),
				"key \"%.*s\" is not in the first record: left out (further ones are "
				"not reported; --all-keys keeps them)",
				(int)k.n, k.p);
		}
	}
}

/* --fields: fill vals[0..ncols) by path. */
static void lookup_paths(struct span line, struct span *vals)
{
	for (size_t i = 0; i < ncols; i++) {
		vals[i] = scan_lookup(line, &fields[i]);
		if (!vals[i].n)
			vals[i].p = NULL;
	}
}

/* --pretty: note the widths and kinds of a record's cells. */
static void measure(struct span *vals)
{
	for (size_t i = 0; i < ncols; i++) {
		enum scan_kind k = scan_kind(vals[i]);
		size_t w;

		buf_reset(&cellbuf);
		w = pretty_cell(vals[i]);
		if (w > cols[i].width)
			cols[i].width = w;
		if (k != SCAN_NONE && k != SCAN_NULL && k != SCAN_NUMBER)
			cols[i].text = 1;
	}
}

static void pad(size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_addc(&rowbuf, ' ');
}

/* --pretty: one row; vals NULL for the header.  Columns are two spaces
 * apart, numbers right-aligned, trailing blanks cut. */
static void put_pretty(const struct span *vals)
{
	buf_reset(&rowbuf);
	for (size_t i = 0; i < ncols; i++) {
		int right = vals && !cols[i].text;
		size_t w;

		buf_reset(&cellbuf);
		if (vals)
			w = pretty_cell(vals[i]);
		else
			w = utf8_cell(&cellbuf, names.p + cols[i].off, cols[i].len, max_width);
		if (i)
			buf_adds(&rowbuf, "  ");
		if (right)
			pad(cols[i].width - w);
		buf_add(&rowbuf, cellbuf.p, cellbuf.len);
		if (!right)
			pad(cols[i].width - w);
	}
	while (rowbuf.len && rowbuf.p[rowbuf.len - 1] == ' ')
		rowbuf.len--;
	out_line(rowbuf.p, rowbuf.len);
}

static inline void put_row(const struct span *vals)
{
	if (pretty) {
		put_pretty(vals);
		return;
	}
	for (size_t i = 0; i < ncols; i++) {
		if (i)
			out_putc(dialect.delim);
		put_value(vals[i]);
	}
	put_eol();
}

static void check_options(void)
{
	if (pretty && !nfields)
		flatten = all_keys = 1;
	if (nfields && (flatten || all_keys) && !pretty)
		cli_usage_error(flatten ? "--flatten" : "--all-keys",
				"not with --fields, which names the columns (customer.name)");
	if (sep_given && !flatten)
		cli_usage_error("--sep", "needs --flatten or --pretty");
	if (max_width_given && !pretty)
		cli_usage_error("--max-width", "needs --pretty");
	if (temp_given && !all_keys && !pretty)
		cli_usage_error("--temp-dir", "needs --all-keys or --pretty");
	if (pretty && (!header || crlf))
		cli_usage_error(!header ? "--no-header" : "--crlf", "not with --pretty");
	if (!limit_given && pretty && (!cli.output || !strcmp(cli.output, "-")) && isatty(1))
		limit = 20;
}

int main(int argc, char **argv)
{
	struct ndjson *nd;
	struct record rec;
	struct span *vals = NULL;
	struct spill *held = NULL;
	uint64_t n = 0;
	int more = 0;

	hash_table_init(&colidx, sizeof(size_t));
	fields_init(&flat);
	cli_start(&prog, argc, argv);
	csvopt_check(&dialect);
	check_options();
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
	if (all_keys || pretty)
		held = spill_open(temp_dir);
	nd = nd_open(cli.files, cli.nfiles, fields, nfields);
	if (nfields && !held)
		put_header();
	while (nd_next(nd, &rec)) {
		struct span line;

		if (limit && n == limit) {
			/* one record past the limit tells that there were more */
			more = 1;
			stats.dropped++;
			break;
		}
		n++;
		line = prepare(rec.line);
		if (held) {
			/* the columns and widths first; the rows from the spill */
			if (!nfields)
				columns_from(line);
			spill_write(held, line.p, line.n);
			spill_write(held, "\n", 1);
			if (pretty) {
				vals = xrealloc(vals, (ncols + 1) * sizeof(*vals));
				if (nfields)
					memcpy(vals, rec.vals, ncols * sizeof(*vals));
				else
					lookup(line, vals, NULL);
				measure(vals);
			}
			continue;
		}
		if (nfields) {
			vals = rec.vals;
		} else {
			if (!vals) {
				columns_from(line);
				put_header();
				vals = xcalloc(ncols + 1, sizeof(*vals));
			}
			lookup(line, vals, &rec);
		}
		put_row(vals);
		stats.records_out++;
	}
	nd_close(nd);
	if (held) {
		const char *p;
		size_t len;

		vals = xrealloc(vals, (ncols + 1) * sizeof(*vals));
		spill_rewind(held);
		if (pretty)
			put_pretty(NULL);
		else
			put_header();
		while (spill_line(held, &p, &len)) {
			if (nfields)
				lookup_paths((struct span){p, len}, vals);
			else
				lookup((struct span){p, len}, vals, NULL);
			put_row(vals);
			stats.records_out++;
		}
		spill_close(held);
		if (more && pretty) {
			buf_reset(&rowbuf);
			buf_printf(&rowbuf, "(the first %llu records; -n 0 shows all)",
				   (unsigned long long)limit);
			out_line(rowbuf.p, rowbuf.len);
		}
	}
	if (!nfields || held)
		free(vals);
	path_list_free(fields, nfields);
	free(cols);
	hash_table_release(&colidx);
	fields_release(&flat);
	buf_release(&names);
	buf_release(&tmp);
	buf_release(&flatbuf);
	buf_release(&cellbuf);
	buf_release(&rowbuf);
	cli_finish();
}
