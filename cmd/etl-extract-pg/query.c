/*
 * query.c - the table or query extracted in one snapshot (xpg.h): its
 * columns described by the server, the COPY that renders them as JSON, and
 * the rows written as records; also what a snapshot of --follow reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "die.h"
#include "extract.h"
#include "mem.h"
#include "out.h"
#include "pg.h"
#include "pgval.h"
#include "stats.h"
#include "utf8.h"
#include "xpg.h"
#include "banned.h"

const char *db;
struct cdc_opts fo = {.state_table = "etl_state", .retries = 5};

struct col {
	unsigned oid;
	enum pg_kind kind;
	int wrap;      /* to_json() in the query */
	char *typname; /* format_type() */
};

static struct col *cols;
static char **names;
static int ncols;
static char **keys; /* "\"name\":" with the comma before all but the first */
static const char *where;
static char *src_sql, *copy_sql; /* the query, and the COPY around it */
static const char *copy_base;    /* the query described last */

/* The columns and their types, from the server's description of the query. */
void xpg_describe(PGconn *c, const char *base, const char *src_where)
{
	struct buf oids = BUF_INIT;
	PGresult *r;
	const char *v[1];

	where = src_where;
	copy_base = base;
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
	names = xcalloc(ncols, sizeof(*names));
	buf_addc(&oids, '{');
	for (int i = 0; i < ncols; i++) {
		names[i] = xstrdup(PQfname(r, i));
		cols[i].oid = PQftype(r, i);
		cols[i].kind = pg_kind_of(cols[i].oid);
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
	return extract_need_col(opt, names, ncols, name);
}

static void quote_ident(void *c, struct buf *b, const char *name)
{
	add_ident(b, c, name);
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
				add_ident(&q, c, names[i]);
				buf_adds(&q, ") AS ");
			}
			add_ident(&q, c, names[i]);
		}
	}
	buf_printf(&q, " FROM (\n%s\n) AS etl_src", base);
	if (extract_has_since()) {
		int i = need_col("--since-column", xo.since_col);

		buf_adds(&q, " WHERE ");
		add_ident(&q, c, xo.since_col);
		buf_printf(&q, " >= CAST(current_setting('etl.since') AS %s)", cols[i].typname);
		where_and = 1;
	}
	if (xo.part_n) {
		buf_adds(&q, where_and ? " AND " : " WHERE ");
		/* hashtext() is the server's own text hash; NULLs go to slice 1 */
		buf_adds(&q, "coalesce(abs(hashtext(");
		add_ident(&q, c, xo.part_col);
		buf_printf(&q, "::text)::bigint) %% %ld, 0) = %ld", xo.part_n, xo.part_k - 1);
	}
	extract_order_by(&q, names, ncols, quote_ident, c);
	buf_adds(&q, ") TO STDOUT");
	return buf_detach(&q, NULL);
}

/* The watermark goes to the server as a parameter; a value that is not of
 * the column's type is a usage error, found before any row is sent. */
static void bind_since(PGconn *c)
{
	int i = need_col("--since-column", xo.since_col);
	struct buf q = BUF_INIT;
	const char *v[1] = {xo.since};
	PGresult *r;

	r = pg_exec_params(c, where, "SELECT set_config('etl.since', $1, false)", 1, v);
	PQclear(r);
	buf_printf(&q, "SELECT CAST(current_setting('etl.since') AS %s)", cols[i].typname);
	r = PQexec(c, q.p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		const char *m = pg_message(c, r);

		PQclear(r);
		etl_die(ETL_EXIT_USAGE, "--since", "'%s' is not a value of %s's type %s: %s",
			xo.since, xo.since_col, cols[i].typname, m);
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

	if (!cli.progress || !xo.table || extract_has_since())
		return 0;
	r = pg_exec_params(c, where,
			   "SELECT reltuples FROM pg_catalog.pg_class WHERE oid = to_regclass($1)",
			   1, v);
	if (PQntuples(r) == 1)
		n = strtod(PQgetvalue(r, 0, 0), NULL);
	PQclear(r);
	if (xo.part_n)
		n /= xo.part_n;
	return n >= 1 ? (uint64_t)n : 0;
}

static void forget_columns(void)
{
	for (int i = 0; i < ncols; i++) {
		free(names[i]);
		free(cols[i].typname);
	}
	free(cols);
	free(names);
	extract_keys_free(keys, ncols);
	free(copy_sql);
	cols = NULL;
	names = NULL;
	keys = NULL;
	copy_sql = NULL;
	ncols = 0;
}

void xpg_copy(PGconn *c, void (*head)(struct buf *rec, void *ctx),
	      void (*emit)(struct buf *rec, void *ctx), void *ctx)
{
	static struct buf rec = BUF_INIT, field = BUF_INIT;
	const char *row;
	size_t n;
	/* a SQL_ASCII database hands out its bytes unconverted */
	const char *enc = PQparameterStatus(c, "server_encoding");
	int check_utf8 = !strcmp(enc ? enc : "", "SQL_ASCII");

	if (!keys)
		keys = extract_keys(names, ncols, where);
	if (!copy_sql)
		copy_sql = build_copy(c, copy_base);
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
		if (head)
			head(&rec, ctx);
		for (;; i++) {
			const char *tab = memchr(p, '\t', end - p);
			const char *fe = tab ? tab : end;

			if (i >= ncols)
				etl_die(ETL_EXIT_SOFTWARE, where,
					"row %llu has more fields than columns",
					(unsigned long long)stats.records_in);
			if (head && i == 0) {
				buf_addc(&rec, ',');
				buf_adds(&rec, keys[0] + 1);
			} else {
				buf_adds(&rec, keys[i]);
			}
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
		if (emit) {
			emit(&rec, ctx);
		} else {
			out_line(rec.p, rec.len);
			stats.records_out++;
		}
	}
	forget_columns();
}

void xpg_extract(void)
{
	struct pg_table t = {0};
	char err[256];
	const char *src_where;
	PGconn *c;

	c = pg_connect(db);
	if (xo.table) {
		struct buf b = BUF_INIT;

		if (pg_table_parse(&t, c, xo.table, err, sizeof(err)) < 0)
			cli_usage_error("--table", "%s", err);
		buf_printf(&b, "SELECT * FROM %s", t.quoted);
		src_sql = buf_detach(&b, NULL);
		src_where = t.display;
	} else {
		src_sql = extract_source_sql(EXTRACT_PG);
		src_where = xo.query ? "--query" : xo.file;
	}
	xpg_describe(c, src_sql, src_where);
	if (xo.part_col)
		need_col("--partition-column", xo.part_col);
	if (extract_has_since())
		bind_since(c);
	progress_total_records(estimate_rows(c, &t));
	keys = extract_keys(names, ncols, where);
	copy_sql = build_copy(c, src_sql);

	/* one transaction: a consistent snapshot, and no commit per row */
	pg_run(c, where, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	xpg_copy(c, NULL, NULL, NULL);
	pg_run(c, src_where, "COMMIT");

	free(src_sql);
	pg_table_release(&t);
}
