/*
 * etl-extract-mysql - a MySQL or MariaDB table or query's rows as NDJSON,
 * one record per row.
 *
 * The rows stream with mysql_use_result(): the server sends them as the
 * program reads, each is converted and written, and memory stays constant
 * whatever the size of the result.  The columns come first, from the
 * server's description of the prepared query (mysql_stmt_result_metadata),
 * so that the options can be checked against them and the query built;
 * each value is then converted by its column's type (myval.h).  FLOAT
 * columns are widened in the generated query (CAST AS DOUBLE), because the
 * server writes a FLOAT with six digits, not all of its bits.
 *
 * The query is run as given unless an option needs it inside a derived
 * table (SELECT ... FROM (query) AS etl_src WHERE ... ORDER BY ...), where
 * MariaDB ignores the query's own ORDER BY: the man page says so.
 *
 * Incremental extraction (--since-column C --since V) compares with ">=":
 * rows that tie with the watermark are extracted again rather than lost,
 * and an upsert downstream makes the repetition harmless.  V is quoted as a
 * string literal by libmariadb and cast to C's type; it is checked by the
 * server first (a cast that warns is a bad value), so SQL in it is only a
 * bad value.  What the program writes reads back as a watermark: ISO-8601
 * times are turned into the server's form here, UTC for a TIMESTAMP (the
 * session reads TIMESTAMPs in UTC), base64 into a binary string's bytes,
 * and a FLOAT's shortest text is cast to FLOAT, not DOUBLE, which may be
 * above the column's value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "cli.h"
#include "die.h"
#include "extract.h"
#include "mem.h"
#include "my.h"
#include "myval.h"
#include "out.h"
#include "stats.h"
#include "utf8.h"
#include "banned.h"

enum {
	OPT_DEFAULTS = 1,
	OPT_HOST,
	OPT_PORT,
	OPT_SOCKET,
	OPT_USER,
	OPT_DATABASE,
};

static const struct cli_opt opts[] = {
	{OPT_DEFAULTS, "defaults-file", 0, CLI_ARG, "FILE",
	 "read the connection options from FILE only"},
	{OPT_HOST, "host", 0, CLI_ARG, "HOST", "the server's host (localhost: the socket)"},
	{OPT_PORT, "port", 'P', CLI_ARG, "PORT", "the server's TCP port"},
	{OPT_SOCKET, "socket", 'S', CLI_ARG, "PATH", "the server's Unix socket"},
	{OPT_USER, "user", 'u', CLI_ARG, "USER", "the user (default: the login name)"},
	{OPT_DATABASE, "database", 'D', CLI_ARG, "DB", "the default database"},
	EXTRACT_CLI_OPTS("[DATABASE.]TABLE"),
	{0, NULL, 0, 0, NULL, NULL},
};

static struct my_params conn;

static const char *nonempty(const char *arg)
{
	if (!*arg)
		cli_usage_error(cli_optname, "cannot be empty");
	return arg;
}

static void on_opt(int id, const char *arg)
{
	switch (id) {
	case OPT_DEFAULTS:
		conn.defaults_file = nonempty(arg);
		break;
	case OPT_HOST:
		conn.host = nonempty(arg);
		break;
	case OPT_PORT:
		conn.port = (unsigned)cli_uint(cli_optname, arg, 1, 65535);
		break;
	case OPT_SOCKET:
		conn.socket = nonempty(arg);
		break;
	case OPT_USER:
		conn.user = nonempty(arg);
		break;
	case OPT_DATABASE:
		conn.database = nonempty(arg);
		break;
	default:
		extract_opt(id, arg);
	}
}

static const struct cli_prog prog = {
	"etl-extract-mysql",
	"[OPTIONS] (-t TABLE | -c SQL | -f FILE.sql) [--since-column COL --since VALUE]",
	"Extract a MySQL or MariaDB table or query as NDJSON, streaming.",
	opts,
	CLI_NO_INPUT | CLI_NO_RECORDS | CLI_NO_ARGS,
	on_opt,
};

struct col {
	int type;
	unsigned flags, charsetnr;
	int widen; /* a FLOAT: CAST(... AS DOUBLE) in the query */
	enum my_kind kind;
};

static struct col *cols;
static char **names;
static int ncols;
static const char *where;

static void stmt_die(MYSQL_STMT *st)
{
	etl_die(my_exit_status(mysql_stmt_errno(st), mysql_stmt_sqlstate(st)), where, "%s",
		mysql_stmt_error(st));
}

static int is_json(MYSQL_FIELD *f)
{
	MARIADB_CONST_STRING fmt = {NULL, 0};

	return !mariadb_field_attr(&fmt, f, MARIADB_FIELD_ATTR_FORMAT_NAME) && fmt.length == 4 &&
	       !memcmp(fmt.str, "json", 4);
}

/* The columns and their types, from the server's description of the query;
 * the query is prepared, not run. */
static void describe(MYSQL *m, const char *base)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	MYSQL_RES *meta;
	MYSQL_FIELD *f;

	if (!st)
		my_die(m, where);
	if (mysql_stmt_prepare(st, base, strlen(base)))
		stmt_die(st);
	meta = mysql_stmt_result_metadata(st);
	if (!meta) {
		if (mysql_stmt_errno(st))
			stmt_die(st);
		etl_die(ETL_EXIT_USAGE, where, "the query returns no columns");
	}
	ncols = (int)mysql_num_fields(meta);
	f = mysql_fetch_fields(meta);
	cols = xcalloc(ncols, sizeof(*cols));
	names = xcalloc(ncols, sizeof(*names));
	for (int i = 0; i < ncols; i++) {
		names[i] = xstrdup(f[i].name);
		cols[i].type = f[i].type;
		cols[i].flags = f[i].flags;
		cols[i].charsetnr = f[i].charsetnr;
		cols[i].kind = my_kind_of(f[i].type, f[i].flags, f[i].charsetnr, is_json(&f[i]));
		cols[i].widen = cols[i].kind == MYK_FLOAT;
	}
	mysql_free_result(meta);
	mysql_stmt_close(st);
}

static int need_col(const char *opt, const char *name)
{
	return extract_need_col(opt, names, ncols, name);
}

static void quote_ident(void *ctx, struct buf *b, const char *name)
{
	(void)ctx;
	my_ident(b, name, strlen(name));
}

/* The type a watermark is cast to, to compare with a column of kind k as
 * the column's values compare; NULL for strings, which compare as they are
 * (with the column's collation). */
static const char *cast_type(enum my_kind k)
{
	switch (k) {
	case MYK_INT:
	case MYK_DECIMAL:
	case MYK_BIT:
		return "DECIMAL(65,30)";
	case MYK_DOUBLE:
		return "DOUBLE";
	case MYK_FLOAT:
		/* a FLOAT's shortest text may be above its value (0.7 for
		 * 0.699999988): read back as a DOUBLE, the row with that very
		 * value would fail >= */
		return "FLOAT";
	case MYK_DATE:
		return "DATE";
	case MYK_DATETIME:
	case MYK_TIMESTAMP:
		return "DATETIME(6)";
	case MYK_TIME:
		return "TIME(6)";
	default:
		return NULL;
	}
}

/* The watermark as SQL: a literal, cast to the column's type.  A value
 * that the cast does not take whole (the server warns) is a usage error,
 * found before any row is read. */
static char *since_sql(MYSQL *m)
{
	int i = need_col("--since-column", xo.since_col);
	const char *type = my_type_name(cols[i].type, cols[i].flags, cols[i].charsetnr);
	const char *cast = cast_type(cols[i].kind);
	struct buf lit = BUF_INIT, sql = BUF_INIT, q = BUF_INIT;
	char err[128];
	MYSQL_RES *r;
	MYSQL_ROW row;

	if (!utf8_valid(xo.since, strlen(xo.since)))
		etl_die(ETL_EXIT_USAGE, "--since", "not valid UTF-8");
	if (cols[i].kind == MYK_BINARY) {
		/* the bytes that the program writes in base64, as a hex literal */
		struct buf v = BUF_INIT;

		if (b64_decode(&v, xo.since, strlen(xo.since)) < 0)
			etl_die(ETL_EXIT_USAGE, "--since",
				"'%s' is not a value of %s's type %s: %s", xo.since, xo.since_col,
				type, "not base64");
		buf_adds(&lit, "X'");
		for (size_t k = 0; k < v.len; k++)
			buf_printf(&lit, "%02x", (unsigned char)v.p[k]);
		buf_addc(&lit, '\'');
		buf_release(&v);
	} else if (cols[i].kind == MYK_DATETIME || cols[i].kind == MYK_TIMESTAMP) {
		struct buf v = BUF_INIT;

		if (my_iso_to_datetime(&v, xo.since, cols[i].kind == MYK_TIMESTAMP, err,
				       sizeof(err)) < 0)
			etl_die(ETL_EXIT_USAGE, "--since",
				"'%s' is not a value of %s's type %s: %s", xo.since, xo.since_col,
				type, err);
		my_literal(&lit, m, v.p, v.len);
		buf_release(&v);
	} else {
		my_literal(&lit, m, xo.since, strlen(xo.since));
	}
	if (!cast)
		return buf_detach(&lit, NULL);
	buf_printf(&sql, "CAST(%s AS %s)", lit.p, cast);
	buf_printf(&q, "SELECT %s", sql.p);
	if (mysql_real_query(m, q.p, q.len))
		my_die(m, where);
	r = mysql_store_result(m);
	if (!r)
		my_die(m, where);
	row = mysql_fetch_row(r);
	if (mysql_warning_count(m) || !row || !row[0]) {
		struct buf why = BUF_INIT;

		mysql_free_result(r);
		/* the server's reason, its first warning */
		if (!mysql_real_query(m, "SHOW WARNINGS", 13) && (r = mysql_store_result(m))) {
			if ((row = mysql_fetch_row(r)) && row[2])
				buf_adds(&why, row[2]);
			mysql_free_result(r);
		}
		if (!why.len)
			buf_adds(&why, "not a value of the type");
		etl_die(ETL_EXIT_USAGE, "--since", "'%s' is not a value of %s's type %s: %s",
			xo.since, xo.since_col, type, why.p);
	}
	mysql_free_result(r);
	buf_release(&lit);
	buf_release(&q);
	return buf_detach(&sql, NULL);
}

/* The query to run: the source itself, or the source as a derived table
 * when a FLOAT is widened, a watermark compared, a slice taken or an order
 * asked for. */
static char *build_query(MYSQL *m, const char *base)
{
	struct buf q = BUF_INIT;
	int widen = 0, where_and = 0;

	for (int i = 0; i < ncols; i++)
		widen |= cols[i].widen;
	if (!widen && !xo.since_col && !xo.order_by && !xo.part_n)
		return xstrdup(base);
	buf_adds(&q, "SELECT ");
	if (!widen) {
		buf_addc(&q, '*');
	} else {
		for (int i = 0; i < ncols; i++) {
			if (i)
				buf_adds(&q, ", ");
			if (cols[i].widen) {
				buf_adds(&q, "CAST(");
				quote_ident(NULL, &q, names[i]);
				buf_adds(&q, " AS DOUBLE) AS ");
			}
			quote_ident(NULL, &q, names[i]);
		}
	}
	buf_printf(&q, " FROM (\n%s\n) AS etl_src", base);
	if (extract_has_since()) {
		char *v = since_sql(m);

		buf_adds(&q, " WHERE ");
		quote_ident(NULL, &q, xo.since_col);
		buf_printf(&q, " >= %s", v);
		free(v);
		where_and = 1;
	}
	if (xo.part_n) {
		/* CRC32 of the value's text: the server's own hash; NULLs go to
		 * slice 1 */
		buf_adds(&q, where_and ? " AND " : " WHERE ");
		buf_adds(&q, "coalesce(crc32(");
		quote_ident(NULL, &q, xo.part_col);
		buf_printf(&q, ") %% %ld, 0) = %ld", xo.part_n, xo.part_k - 1);
	}
	extract_order_by(&q, names, ncols, quote_ident, NULL);
	return buf_detach(&q, NULL);
}

/* The server's estimate of a table's rows (information_schema.TABLES),
 * for --progress; 0 when unknown: a query, a watermark, a view. */
static uint64_t estimate_rows(MYSQL *m, const struct my_table *t)
{
	struct buf q = BUF_INIT;
	MYSQL_RES *r;
	MYSQL_ROW row;
	double n = 0;

	if (!cli.progress || !xo.table || extract_has_since())
		return 0;
	buf_adds(&q, "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ");
	if (t->database)
		my_literal(&q, m, t->database, strlen(t->database));
	else
		buf_adds(&q, "DATABASE()");
	buf_adds(&q, " AND TABLE_NAME = ");
	my_literal(&q, m, t->name, strlen(t->name));
	if (mysql_real_query(m, q.p, q.len) || !(r = mysql_store_result(m)))
		my_die(m, where);
	if ((row = mysql_fetch_row(r)) && row[0])
		n = strtod(row[0], NULL);
	mysql_free_result(r);
	buf_release(&q);
	if (xo.part_n)
		n /= xo.part_n;
	return n >= 1 ? (uint64_t)n : 0;
}

int main(int argc, char **argv)
{
	struct my_table t = {0};
	struct buf rec = BUF_INIT;
	char err[256];
	char *src_sql, *sql, **keys;
	MYSQL_RES *r;
	MYSQL_FIELD *f;
	MYSQL_ROW row;
	MYSQL *m;

	cli_start(&prog, argc, argv);
	extract_check();

	if (xo.table) {
		struct buf b = BUF_INIT;

		if (my_table_parse(&t, xo.table, err, sizeof(err)) < 0)
			cli_usage_error("--table", "%s", err);
		buf_printf(&b, "SELECT * FROM %s", t.quoted);
		src_sql = buf_detach(&b, NULL);
		where = t.display;
	} else {
		src_sql = extract_source_sql(EXTRACT_MYSQL);
		where = xo.query ? "--query" : xo.file;
	}
	m = my_connect(&conn);
	describe(m, src_sql);
	keys = extract_keys(names, ncols, where);
	if (xo.part_col)
		need_col("--partition-column", xo.part_col);
	progress_total_records(estimate_rows(m, &t));
	sql = build_query(m, src_sql);

	if (mysql_real_query(m, sql, strlen(sql)))
		my_die(m, where);
	r = mysql_use_result(m);
	if (!r)
		my_die(m, where);
	if ((int)mysql_num_fields(r) != ncols)
		etl_die(ETL_EXIT_SOFTWARE, where, "the query has %u columns, its description %d",
			mysql_num_fields(r), ncols);
	f = mysql_fetch_fields(r);
	for (int i = 0; i < ncols; i++)
		if (!cols[i].widen)
			cols[i].kind =
				my_kind_of(f[i].type, f[i].flags, f[i].charsetnr, is_json(&f[i]));

	while ((row = mysql_fetch_row(r))) {
		unsigned long *len = mysql_fetch_lengths(r);

		stats.records_in++;
		progress_tick();
		buf_reset(&rec);
		for (int i = 0; i < ncols; i++) {
			buf_adds(&rec, keys[i]);
			if (!row[i]) {
				buf_adds(&rec, "null");
				continue;
			}
			stats.bytes_in += len[i];
			if (my_text_to_json(&rec, cols[i].kind, row[i], len[i]) < 0)
				etl_die(ETL_EXIT_DATA, where,
					"row %llu: column \"%s\": not valid %s",
					(unsigned long long)stats.records_in, names[i],
					cols[i].kind == MYK_JSON ? "JSON" : "UTF-8");
		}
		buf_addc(&rec, '}');
		out_line(rec.p, rec.len);
		stats.records_out++;
	}
	if (mysql_errno(m))
		my_die(m, where);
	mysql_free_result(r);

	for (int i = 0; i < ncols; i++)
		free(names[i]);
	free(names);
	free(cols);
	extract_keys_free(keys, ncols);
	free(src_sql);
	free(sql);
	buf_release(&rec);
	my_table_release(&t);
	cli_finish();
}
