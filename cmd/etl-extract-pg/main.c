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
 *
 * --follow (follow.c) follows the changes of tables instead, through a
 * logical replication slot; its snapshot uses the COPY code here.
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

enum {
	OPT_DB = 1,
	OPT_FOLLOW,
	OPT_SLOT,
	OPT_CREATE_SLOT,
	OPT_FROM_STATE,
	OPT_STATE_DB,
	OPT_STATE_TABLE,
	OPT_IDLE_EXIT,
	OPT_RETRIES,
};

static const struct cli_opt opts[] = {
	{OPT_DB, "db", 'd', CLI_ARG, "CONNINFO",
	 "libpq connection string or URI (default: PG* environment)"},
	EXTRACT_CLI_OPTS("[SCHEMA.]TABLE"),
	{OPT_FOLLOW, "follow", 0, CLI_NOARG, NULL,
	 "follow the changes of the tables (-t, repeatable) through --slot"},
	{OPT_SLOT, "slot", 0, CLI_ARG, "NAME", "follow: the logical replication slot"},
	{OPT_CREATE_SLOT, "create-slot", 0, CLI_NOARG, NULL,
	 "follow: make the slot when missing, with a snapshot of the tables first"},
	{OPT_FROM_STATE, "from-state", 0, CLI_ARG, "NAME",
	 "follow: resume after the offsets a sink committed as NAME"},
	{OPT_STATE_DB, "state-db", 0, CLI_ARG, "CONNINFO",
	 "the database of --from-state (default: PG* environment)"},
	{OPT_STATE_TABLE, "state-table", 0, CLI_ARG, "[SCHEMA.]TABLE",
	 "the state table of --from-state (default: etl_state)"},
	{OPT_IDLE_EXIT, "idle-exit", 0, CLI_ARG, "DURATION",
	 "follow: exit 0 once no change came for DURATION"},
	{OPT_RETRIES, "retries", 0, CLI_ARG, "N",
	 "follow: reconnections after a lost connection (default: 5)"},
	{0, NULL, 0, 0, NULL, NULL},
};

static int follow_only; /* an option that only --follow takes */

static void on_opt(int id, const char *arg)
{
	switch (id) {
	case OPT_DB:
		db = arg;
		return;
	case OPT_FOLLOW:
		fo.on = 1;
		return;
	case OPT_SLOT:
		fo.slot = arg;
		break;
	case OPT_CREATE_SLOT:
		fo.create_slot = 1;
		break;
	case OPT_FROM_STATE:
		fo.from_state = arg;
		break;
	case OPT_STATE_DB:
		fo.state_db = arg;
		break;
	case OPT_STATE_TABLE:
		fo.state_table = arg;
		break;
	case OPT_IDLE_EXIT:
		fo.idle_exit_us = cli_duration(cli_optname, arg, 1000);
		break;
	case OPT_RETRIES:
		fo.retries = cli_uint(cli_optname, arg, 0, 1000);
		break;
	case EXTRACT_OPT_TABLE:
		fo.tables = xrealloc(fo.tables, (fo.ntables + 1) * sizeof(*fo.tables));
		fo.tables[fo.ntables++] = (char *)arg;
		extract_opt(id, arg);
		return;
	default:
		extract_opt(id, arg);
		return;
	}
	if (!follow_only)
		follow_only = id;
}

/* The combinations --follow rules out, or needs. */
static void check_follow(void)
{
	static const char *const need_follow[] = {
		[OPT_SLOT] = "--slot",
		[OPT_CREATE_SLOT] = "--create-slot",
		[OPT_FROM_STATE] = "--from-state",
		[OPT_STATE_DB] = "--state-db",
		[OPT_STATE_TABLE] = "--state-table",
		[OPT_IDLE_EXIT] = "--idle-exit",
		[OPT_RETRIES] = "--retries",
	};

	if (!fo.on) {
		if (follow_only)
			cli_usage_error(need_follow[follow_only], "only with --follow");
		if (fo.ntables > 1)
			cli_usage_error("--table", "one table, unless --follow");
		extract_check();
		return;
	}
	if (xo.query || xo.file)
		cli_usage_error("--follow", "follows tables (-t), not queries");
	if (xo.since_col || xo.since || xo.order_by || xo.part_n || xo.part_col)
		cli_usage_error("--follow",
				"--since, --order-by and --partition are for a plain extract");
	if (!fo.slot)
		cli_usage_error("--follow", "needs --slot NAME");
	if ((fo.state_db || strcmp(fo.state_table, "etl_state")) && !fo.from_state)
		cli_usage_error(fo.state_db ? "--state-db" : "--state-table",
				"only with --from-state");
}

static const struct cli_prog prog = {
	"etl-extract-pg",
	"[OPTIONS] (-t TABLE | -c SQL | -f FILE.sql) [--since-column COL --since VALUE]",
	"Extract a PostgreSQL table or query as NDJSON, streaming.",
	opts,
	CLI_NO_INPUT | CLI_NO_RECORDS | CLI_NO_ARGS,
	on_opt,
};

int main(int argc, char **argv)
{
	cli_start(&prog, argc, argv);
	check_follow();
	if (fo.on)
		follow();
	xpg_extract();
	free(fo.tables);
	cli_finish();
}
