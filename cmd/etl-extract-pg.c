/*
 * etl-extract-pg - a table or a query's rows as NDJSON, one record per row.
 *
 * The rows stream through COPY (SELECT ...) TO STDOUT in text format: the
 * server sends one row per message, each is converted and written, and
 * memory stays constant whatever the size of the result.  The types of the
 * columns come first, from a description of the query (PQdescribePrepared),
 * so that each field is converted by its type OID (pg_text_to_json); array
 * and composite columns are wrapped in to_json() in the generated query, so
 * the server itself writes them as JSON.
 *
 * Incremental extraction (--since-column C --since V) compares with ">=":
 * rows that tie with the watermark are extracted again rather than lost,
 * and an upsert downstream makes the repetition harmless.  V reaches the
 * server as a bound parameter (set_config($1)) and the query reads it with
 * current_setting(), because COPY takes no parameters: it is never pasted
 * into SQL text.  Column and table names are quoted by libpq.
 *
 * --progress of a whole table (or of a partition of it) shows a bar and an
 * ETA from the planner's row estimate, pg_class.reltuples: an estimate, so
 * the bar is left out once the rows outnumber it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "die.h"
#include "jsonw.h"
#include "mem.h"
#include "out.h"
#include "pg.h"
#include "pgval.h"
#include "stats.h"
#include "utf8.h"
#include "banned.h"

enum {
	OPT_DB = 1,
	OPT_TABLE,
	OPT_QUERY,
	OPT_FILE,
	OPT_SINCE_COL,
	OPT_SINCE,
	OPT_ORDER,
	OPT_PART,
	OPT_PART_COL,
};

static const struct cli_opt opts[] = {
	{OPT_DB, "db", 'd', CLI_ARG, "CONNINFO",
	 "libpq connection string or URI (default: PG* environment)"},
	{OPT_TABLE, "table", 't', CLI_ARG, "[SCHEMA.]TABLE", "extract this table"},
	{OPT_QUERY, "query", 'c', CLI_ARG, "SQL", "extract the rows of this query"},
	{OPT_FILE, "file", 'f', CLI_ARG, "FILE.sql", "extract the rows of the query in FILE"},
	{OPT_SINCE_COL, "since-column", 0, CLI_ARG, "COL",
	 "incremental: order by COL, rows with COL >= --since"},
	{OPT_SINCE, "since", 0, CLI_ARG, "VALUE", "the watermark (empty: from the beginning)"},
	{OPT_ORDER, "order-by", 0, CLI_ARG, "COLS", "order by these columns (ascending)"},
	{OPT_PART, "partition", 0, CLI_ARG, "K/N", "only the K-th of N disjoint slices"},
	{OPT_PART_COL, "partition-column", 0, CLI_ARG, "COL",
	 "the column whose hash picks the slice"},
	{0, NULL, 0, 0, NULL, NULL},
};

static const char *db, *table_spec, *query, *file, *since_col, *since, *order_by, *part_col;
static long part_k, part_n;

static void on_opt(int id, const char *arg)
{
	size_t nk, nn;

	switch (id) {
	case OPT_DB:
		db = arg;
		break;
	case OPT_TABLE:
		table_spec = arg;
		break;
	case OPT_QUERY:
		query = arg;
		break;
	case OPT_FILE:
		file = arg;
		break;
	case OPT_SINCE_COL:
		since_col = arg;
		break;
	case OPT_SINCE:
		since = arg;
		break;
	case OPT_ORDER:
		order_by = arg;
		break;
	case OPT_PART_COL:
		part_col = arg;
		break;
	case OPT_PART:
		/* digits only: strtol alone would take blanks and signs */
		nk = strspn(arg, "0123456789");
		nn = strspn(arg + nk + (arg[nk] == '/'), "0123456789");
		if (!nk || arg[nk] != '/' || !nn || arg[nk + 1 + nn])
			cli_usage_error(cli_optname, "expected K/N, got '%s'", arg);
		errno = 0;
		part_k = strtol(arg, NULL, 10);
		part_n = strtol(arg + nk + 1, NULL, 10);
		if (errno == ERANGE)
			cli_usage_error(cli_optname, "too large: '%s'", arg);
		if (part_n < 1 || part_k < 1 || part_k > part_n)
			cli_usage_error(cli_optname, "expected K/N with 1 <= K <= N, got '%s'",
					arg);
		break;
	}
}

static const struct cli_prog prog = {
	"etl-extract-pg",
	"[OPTIONS] (-t TABLE | -c SQL | -f FILE.sql) [--since-column COL --since VALUE]",
	"Extract a PostgreSQL table or query as NDJSON, streaming.",
	opts,
	CLI_NO_INPUT | CLI_NO_RECORDS | CLI_NO_ARGS,
	on_opt,
};

struct col {
	char *name;
	unsigned oid;
	enum pg_kind kind;
	int wrap;      /* to_json() in the query */
	char *typname; /* format_type() */
};

static struct col *cols;
static int ncols;
static char **keys; /* "\"name\":" with the comma before all but the first */
static const char *where;
static char *src_sql, *copy_sql; /* the query, and the COPY around it */

static char *read_sql(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		etl_die(ETL_EXIT_IOERR, path, "cannot open: %s", strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(f))
		etl_die(ETL_EXIT_IOERR, path, "read error: %s", strerror(errno));
	fclose(f);
	return buf_detach(&b, NULL);
}

static int ident_char(char c)
{
	return c == '_' || ((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9') ||
	       (unsigned char)c >= 0x80;
}

/* A query as the inner part of SELECT ... FROM (query): cut after its last
 * token, so that the semicolons, comments and white space that end it go.
 * Strings, quoted names, dollar quotes and comments are skipped whole, so a
 * ';' or "--" inside them counts for nothing. */
static void trim_sql(char *s)
{
	size_t n = strlen(s), i = 0, end = 0;

	while (i < n) {
		char c = s[i];

		if (c == '-' && s[i + 1] == '-') {
			while (i < n && s[i] != '\n')
				i++;
		} else if (c == '/' && s[i + 1] == '*') {
			int depth = 1;

			for (i += 2; i < n && depth; i++) {
				if (s[i] == '/' && s[i + 1] == '*')
					depth++, i++;
				else if (s[i] == '*' && s[i + 1] == '/')
					depth--, i++;
			}
		} else if (c == '\'' || c == '"') {
			/* E'...' strings take backslash escapes */
			int esc = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e');

			for (i++; i < n; i++) {
				if (esc && s[i] == '\\' && i + 1 < n)
					i++;
				else if (s[i] == c && s[i + 1] == c)
					i++;
				else if (s[i] == c)
					break;
			}
			/* an unterminated quote runs to the end: the server says so */
			end = i < n ? ++i : n;
		} else if (c == '$' && (i == 0 || !ident_char(s[i - 1]))) {
			/* $tag$ ... $tag$, the tag possibly empty */
			size_t t = i + 1;

			while (t < n && ident_char(s[t]))
				t++;
			if (t < n && s[t] == '$' && !(s[i + 1] >= '0' && s[i + 1] <= '9')) {
				size_t tl = t + 1 - i;
				const char *q = s + t + 1, *close = NULL;

				while ((q = memchr(q, '$', n - (q - s))) != NULL) {
					if ((size_t)(n - (q - s)) >= tl && !memcmp(q, s + i, tl)) {
						close = q;
						break;
					}
					q++;
				}
				i = close ? (size_t)(close - s) + tl : n;
			} else {
				i++;
			}
			end = i;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
			   c == ';') {
			i++;
		} else {
			end = ++i;
		}
	}
	s[end] = '\0';
	if (!end)
		cli_usage_error(query ? "--query" : "--file", "the query is empty");
}

static int col_index(const char *name)
{
	for (int i = 0; i < ncols; i++)
		if (!strcmp(cols[i].name, name))
			return i;
	return -1;
}

/* The columns and their types, from the server's description of the query. */
static void describe(PGconn *c, const char *base)
{
	struct buf oids = BUF_INIT;
	PGresult *r;
	const char *v[1];

	/* the query itself, so that the server's errors point into its text */
	r = PQprepare(c, "", base, 0, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		pg_die(c, r, where, NULL);
	PQclear(r);
	r = PQdescribePrepared(c, "");
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		pg_die(c, r, where, NULL);
	ncols = PQnfields(r);
	if (ncols == 0)
		etl_die(ETL_EXIT_USAGE, where, "the query returns no columns");
	cols = xcalloc(ncols, sizeof(*cols));
	buf_addc(&oids, '{');
	for (int i = 0; i < ncols; i++) {
		cols[i].name = xstrdup(PQfname(r, i));
		cols[i].oid = PQftype(r, i);
		cols[i].kind = pg_kind_of(cols[i].oid);
		for (int j = 0; j < i; j++)
			if (!strcmp(cols[j].name, cols[i].name)) {
				PQclear(r);
				buf_release(&oids);
				etl_die(ETL_EXIT_USAGE, where,
					"the column name \"%s\" occurs twice: "
					"give one an alias, a record cannot hold both",
					cols[i].name);
			}
		buf_printf(&oids, "%s%u", i ? "," : "", cols[i].oid);
	}
	buf_addc(&oids, '}');
	PQclear(r);

	/* array, composite and record columns become JSON on the server */
	v[0] = oids.p;
	r = pg_exec_params(c, where,
			   "SELECT oid, typcategory, format_type(oid, NULL) FROM "
			   "pg_catalog.pg_type WHERE oid = ANY($1::oid[])",
			   1, v);
	for (int k = 0; k < PQntuples(r); k++) {
		unsigned oid = (unsigned)strtoul(PQgetvalue(r, k, 0), NULL, 10);
		char cat = PQgetvalue(r, k, 1)[0];

		for (int i = 0; i < ncols; i++) {
			if (cols[i].oid != oid)
				continue;
			cols[i].typname = xstrdup(PQgetvalue(r, k, 2));
			if (cat == 'A' || cat == 'C' || oid == 2249 /* record */) {
				cols[i].wrap = 1;
				cols[i].kind = PGK_JSON;
			}
		}
	}
	PQclear(r);
	buf_release(&oids);
}

static void add_ident(struct buf *b, PGconn *c, const char *name)
{
	pg_ident(b, c, name, strlen(name));
}

static int need_col(const char *opt, const char *name)
{
	int i = col_index(name);

	if (i < 0)
		cli_usage_error(opt, "no column \"%s\" in the %s", name,
				table_spec ? "table" : "query");
	return i;
}

static char *build_copy(PGconn *c, const char *base)
{
	struct buf q = BUF_INIT;
	int any = 0, where_and = 0;

	buf_adds(&q, "COPY (SELECT ");
	for (int i = 0; i < ncols; i++)
		any |= cols[i].wrap;
	if (!any) {
		buf_addc(&q, '*');
	} else {
		for (int i = 0; i < ncols; i++) {
			if (i)
				buf_adds(&q, ", ");
			if (cols[i].wrap) {
				buf_adds(&q, "to_json(");
				add_ident(&q, c, cols[i].name);
				buf_adds(&q, ") AS ");
			}
			add_ident(&q, c, cols[i].name);
		}
	}
	buf_printf(&q, " FROM (\n%s\n) AS etl_src", base);
	if (since_col && since && *since) {
		int i = need_col("--since-column", since_col);

		buf_adds(&q, " WHERE ");
		add_ident(&q, c, since_col);
		buf_printf(&q, " >= CAST(current_setting('etl.since') AS %s)", cols[i].typname);
		where_and = 1;
	}
	if (part_n) {
		buf_adds(&q, where_and ? " AND " : " WHERE ");
		/* hashtext() is the server's own text hash; NULLs go to slice 1 */
		buf_adds(&q, "coalesce(abs(hashtext(");
		add_ident(&q, c, part_col);
		buf_printf(&q, "::text)::bigint) %% %ld, 0) = %ld", part_n, part_k - 1);
	}
	if (since_col || order_by) {
		char **v = order_by ? cli_split(order_by, NULL) : NULL;
		int first = 1;

		buf_adds(&q, " ORDER BY ");
		if (since_col) {
			add_ident(&q, c, since_col);
			first = 0;
		}
		for (char **p = v; p && *p; p++) {
			need_col("--order-by", *p);
			if (!first)
				buf_adds(&q, ", ");
			add_ident(&q, c, *p);
			first = 0;
		}
		cli_split_free(v);
	}
	buf_adds(&q, ") TO STDOUT");
	return buf_detach(&q, NULL);
}

/* The watermark goes to the server as a parameter; a value that is not of
 * the column's type is a usage error, found before any row is sent. */
static void bind_since(PGconn *c)
{
	int i = need_col("--since-column", since_col);
	struct buf q = BUF_INIT;
	const char *v[1] = {since};
	PGresult *r;

	r = pg_exec_params(c, where, "SELECT set_config('etl.since', $1, false)", 1, v);
	PQclear(r);
	buf_printf(&q, "SELECT CAST(current_setting('etl.since') AS %s)", cols[i].typname);
	r = PQexec(c, q.p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		const char *m = pg_message(c, r);

		PQclear(r);
		etl_die(ETL_EXIT_USAGE, "--since", "'%s' is not a value of %s's type %s: %s", since,
			since_col, cols[i].typname, m);
	}
	PQclear(r);
	buf_release(&q);
}

/* The planner's estimate of the rows to come, for --progress: the table's
 * reltuples (divided among the partitions), or 0 when unknown: a query, a
 * watermark, a table never analysed. */
static uint64_t estimate_rows(PGconn *c, const struct pg_table *t)
{
	const char *v[1] = {t->quoted};
	PGresult *r;
	double n = 0;

	if (!cli.progress || !table_spec || (since_col && since && *since))
		return 0;
	r = pg_exec_params(c, where,
			   "SELECT reltuples FROM pg_catalog.pg_class WHERE oid = to_regclass($1)",
			   1, v);
	if (PQntuples(r) == 1)
		n = strtod(PQgetvalue(r, 0, 0), NULL);
	PQclear(r);
	if (part_n)
		n /= part_n;
	return n >= 1 ? (uint64_t)n : 0;
}

static void make_keys(void)
{
	struct buf b = BUF_INIT;

	keys = xcalloc(ncols, sizeof(*keys));
	for (int i = 0; i < ncols; i++) {
		buf_reset(&b);
		buf_adds(&b, i ? "," : "{");
		jw_string(&b, cols[i].name, strlen(cols[i].name));
		buf_addc(&b, ':');
		keys[i] = xstrdup(b.p);
	}
	buf_release(&b);
}

int main(int argc, char **argv)
{
	struct pg_table t = {0};
	struct buf rec = BUF_INIT, field = BUF_INIT;
	char err[256];
	const char *row;
	size_t n;
	int check_utf8;
	PGconn *c;

	cli_start(&prog, argc, argv);
	if (!!table_spec + !!query + !!file != 1)
		cli_usage_error(NULL, "give one of --table, --query and --file");
	if (since && !since_col)
		cli_usage_error("--since", "needs --since-column");
	if (!!part_n != !!part_col)
		cli_usage_error(part_n ? "--partition" : "--partition-column",
				"--partition and --partition-column go together");

	c = pg_connect(db);
	if (table_spec) {
		struct buf b = BUF_INIT;

		if (pg_table_parse(&t, c, table_spec, err, sizeof(err)) < 0)
			cli_usage_error("--table", "%s", err);
		buf_printf(&b, "SELECT * FROM %s", t.quoted);
		src_sql = buf_detach(&b, NULL);
		where = t.display;
	} else {
		src_sql = query ? xstrdup(query) : read_sql(file);
		trim_sql(src_sql);
		where = query ? "--query" : file;
	}
	describe(c, src_sql);
	if (part_col)
		need_col("--partition-column", part_col);
	if (since_col && since && *since)
		bind_since(c);
	progress_total_records(estimate_rows(c, &t));
	make_keys();
	copy_sql = build_copy(c, src_sql);
	/* a SQL_ASCII database hands out its bytes unconverted */
	check_utf8 = !strcmp(PQparameterStatus(c, "server_encoding")
				     ? PQparameterStatus(c, "server_encoding")
				     : "",
			     "SQL_ASCII");

	/* one transaction: a consistent snapshot, and no commit per row */
	pg_run(c, where, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	pg_copy_out_start(c, where, copy_sql);
	while ((n = pg_copy_out_row(c, where, &row)) > 0) {
		const char *p = row, *end = row + n;
		int i = 0;

		stats.records_in++;
		stats.bytes_in += n;
		progress_tick();
		if (end > p && end[-1] == '\n')
			end--;
		if (check_utf8 && !utf8_valid(p, end - p))
			etl_die(ETL_EXIT_DATA, where,
				"row %llu is not valid UTF-8 (the database's "
				"encoding is SQL_ASCII)",
				(unsigned long long)stats.records_in);
		buf_reset(&rec);
		for (;; i++) {
			const char *tab = memchr(p, '\t', end - p);
			const char *fe = tab ? tab : end;

			if (i >= ncols)
				etl_die(ETL_EXIT_SOFTWARE, where,
					"row %llu has more fields than columns",
					(unsigned long long)stats.records_in);
			buf_adds(&rec, keys[i]);
			if (fe - p == 2 && p[0] == '\\' && p[1] == 'N') {
				buf_adds(&rec, "null");
			} else if (memchr(p, '\\', fe - p)) {
				buf_reset(&field);
				buf_add(&field, p, fe - p);
				field.len = pg_copy_unescape(field.p, field.len);
				pg_text_to_json(&rec, cols[i].kind, field.p, field.len);
			} else {
				pg_text_to_json(&rec, cols[i].kind, p, fe - p);
			}
			if (!tab)
				break;
			p = tab + 1;
		}
		if (i + 1 != ncols)
			etl_die(ETL_EXIT_SOFTWARE, where, "row %llu has fewer fields than columns",
				(unsigned long long)stats.records_in);
		buf_addc(&rec, '}');
		out_line(rec.p, rec.len);
		stats.records_out++;
	}
	pg_run(c, where, "COMMIT");

	for (int i = 0; i < ncols; i++) {
		free(cols[i].name);
		free(cols[i].typname);
		free(keys[i]);
	}
	free(cols);
	free(keys);
	free(src_sql);
	free(copy_sql);
	buf_release(&rec);
	buf_release(&field);
	pg_table_release(&t);
	cli_finish();
}
