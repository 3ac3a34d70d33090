/*
 * etl-state - named values kept in a PostgreSQL table between runs: the
 * watermarks of incremental jobs ("orders.updated_at" -> the greatest value
 * loaded so far) and anything else a pipeline must remember.
 *
 * The table is (name text primary key, value text, updated_at timestamptz),
 * created by the first `set`.  Reading never creates it: `get` and `list` on
 * a database without the table see no values, so a read-only role can use
 * them.  A name whose value is NULL is unset (etl-load-pg makes such a row
 * to lock it).  `get` of an unset name prints nothing and succeeds, so that
 * `--since "$(etl-state get x)"` works on the first run; `etl-load-pg
 * --state-key` writes the same table in the transaction of its data, and
 * so does --offsets, whose offset sets `offsets NAME` prints by stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "die.h"
#include "jsonw.h"
#include "offset.h"
#include "out.h"
#include "pg.h"
#include "pgval.h"
#include "stats.h"
#include "banned.h"

enum { OPT_DB = 1, OPT_TABLE, OPT_DEFAULT };

static const struct cli_opt opts[] = {
	{OPT_DB, "db", 'd', CLI_ARG, "CONNINFO",
	 "libpq connection string or URI (default: PG* environment)"},
	{OPT_TABLE, "table", 't', CLI_ARG, "[SCHEMA.]TABLE",
	 "the state table (default: etl_state)"},
	{OPT_DEFAULT, "default", 0, CLI_ARG, "VALUE", "get: print VALUE when NAME is unset"},
	{0, NULL, 0, 0, NULL, NULL},
};

static const char *db, *table_spec = "etl_state", *dflt;

static void on_opt(int id, const char *arg)
{
	switch (id) {
	case OPT_DB:
		db = arg;
		break;
	case OPT_TABLE:
		table_spec = arg;
		break;
	case OPT_DEFAULT:
		dflt = arg;
		break;
	}
}

static const struct cli_prog prog = {
	"etl-state",
	"[OPTIONS] get NAME | set NAME VALUE | list | delete NAME | offsets NAME",
	"Keep named values (watermarks) in a PostgreSQL table.",
	opts,
	CLI_NO_INPUT | CLI_NO_RECORDS,
	on_opt,
};

static void get(PGconn *c, const struct pg_table *t, const char *name)
{
	char *v = pg_state_get(c, t, name, 0);

	if (v || dflt) {
		out_puts(v ? v : dflt);
		out_putc('\n');
		stats.records_out++;
	}
	free(v);
}

static void list(PGconn *c, const struct pg_table *t)
{
	struct buf q = BUF_INIT, line = BUF_INIT;
	PGresult *r;

	if (!pg_table_exists(c, t))
		return;
	/* a NULL value is an unset name, as for get (etl-load-pg makes such a
	 * row to lock it) */
	buf_printf(&q,
		   "SELECT name, value, updated_at FROM %s WHERE value IS NOT NULL ORDER BY name",
		   t->quoted);
	r = pg_exec(c, t->display, q.p);
	for (int i = 0; i < PQntuples(r); i++) {
		buf_reset(&line);
		buf_adds(&line, "{\"name\":");
		jw_string(&line, PQgetvalue(r, i, 0), PQgetlength(r, i, 0));
		buf_adds(&line, ",\"value\":");
		jw_string(&line, PQgetvalue(r, i, 1), PQgetlength(r, i, 1));
		buf_adds(&line, ",\"updated_at\":");
		if (PQgetisnull(r, i, 2))
			buf_adds(&line, "null");
		else
			pg_text_to_json(&line, PGK_TSTZ, PQgetvalue(r, i, 2), PQgetlength(r, i, 2));
		buf_addc(&line, '}');
		out_line(line.p, line.len);
		stats.records_out++;
	}
	PQclear(r);
	buf_release(&q);
	buf_release(&line);
}

/* A committed offset set (etl-load-pg --offsets), one record per stream. */
static void offsets(PGconn *c, const struct pg_table *t, const char *name)
{
	struct offset_set s = OFFSET_SET_INIT;
	struct buf line = BUF_INIT;
	char *v = pg_state_get(c, t, name, 0);

	if (v && offset_set_add_text(&s, v, strlen(v)) < 0)
		etl_die(ETL_EXIT_DATA, t->display, "\"%s\" is not an offset set: '%.80s'", name, v);
	for (size_t i = 0; i < s.n; i++) {
		buf_reset(&line);
		buf_adds(&line, "{\"stream\":");
		jw_string(&line, s.e[i].stream, s.e[i].slen);
		buf_adds(&line, ",\"position\":");
		jw_string(&line, s.e[i].pos, s.e[i].plen);
		buf_addc(&line, '}');
		out_line(line.p, line.len);
		stats.records_out++;
	}
	free(v);
	buf_release(&line);
	offset_set_release(&s);
}

static void delete (PGconn *c, const struct pg_table *t, const char *name)
{
	struct buf q = BUF_INIT;
	const char *v[1] = {name};

	if (!pg_table_exists(c, t))
		return;
	buf_printf(&q, "DELETE FROM %s WHERE name = $1", t->quoted);
	PQclear(pg_exec_params(c, t->display, q.p, 1, v));
	buf_release(&q);
}

int main(int argc, char **argv)
{
	struct pg_table t;
	const char *verb;
	char err[256];
	size_t want;
	PGconn *c;

	cli_start(&prog, argc, argv);
	if (cli.nfiles == 0)
		cli_usage_error(NULL, "expected get, set, list, delete or offsets");
	verb = cli.files[0];
	if (!strcmp(verb, "get") || !strcmp(verb, "delete") || !strcmp(verb, "offsets"))
		want = 2;
	else if (!strcmp(verb, "set"))
		want = 3;
	else if (!strcmp(verb, "list"))
		want = 1;
	else
		cli_usage_error(NULL,
				"unknown command '%s': expected get, set, list, delete or offsets",
				verb);
	if (cli.nfiles != want)
		cli_usage_error(NULL, "%s takes %s", verb,
				want == 1   ? "no arguments"
				: want == 2 ? "NAME"
					    : "NAME VALUE");
	if (dflt && strcmp(verb, "get") != 0)
		cli_usage_error("--default", "applies to get only");

	c = pg_connect(db);
	if (pg_table_parse(&t, c, table_spec, err, sizeof(err)) < 0)
		cli_usage_error("--table", "%s", err);
	if (!strcmp(verb, "get")) {
		get(c, &t, cli.files[1]);
	} else if (!strcmp(verb, "set")) {
		pg_state_create(c, &t);
		pg_state_set(c, &t, cli.files[1], cli.files[2]);
	} else if (!strcmp(verb, "list")) {
		list(c, &t);
	} else if (!strcmp(verb, "offsets")) {
		offsets(c, &t, cli.files[1]);
	} else {
		delete (c, &t, cli.files[1]);
	}
	pg_table_release(&t);
	cli_finish();
}
