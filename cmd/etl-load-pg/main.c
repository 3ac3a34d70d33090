/*
 * etl-load-pg - load NDJSON records into a PostgreSQL table with COPY.
 *
 * Every record becomes one row of COPY ... FROM STDIN in text format; no
 * row is ever INSERTed one by one.  Fields map to columns by name.  Before a
 * record is sent, each of its values is checked against its column's type
 * (pg_json_to_text), so a value the server would refuse, or silently change,
 * is a bad record with its file and line and never a failed COPY; a record
 * is sent whole or not at all.
 *
 * Transactions: the whole load is one transaction (all or nothing), or with
 * --batch N one per N records, each naming the last line it holds, so a
 * failed run can resume after it.  A watermark (--state-key) is written to
 * the state table in the same transaction as the rows it describes, and so
 * are the stream offsets of --offsets (offsets.c), which commits at least
 * every --commit-interval while records flow and whenever the input waits,
 * so a never-ending stream lands in bounded steps.
 *
 * Modes: append COPYs into the table.  upsert COPYs into a temporary
 * staging table, then merges with INSERT ... SELECT DISTINCT ON (key) ...
 * ON CONFLICT (key) DO UPDATE; the staging table numbers its rows, so of
 * several records with one key the last wins.  replace deletes the old rows
 * and COPYs the new ones in one transaction: DELETE (not TRUNCATE, which is
 * not MVCC-safe) lets readers see the old content until the commit and the
 * new content after it, never an empty table; a SHARE ROW EXCLUSIVE lock
 * keeps two replacing loads apart without blocking readers.
 *
 * The COPY column list holds the columns that records have named so far; a
 * field seen for the first time ends the COPY and starts another with the
 * longer list (after ALTER TABLE ADD COLUMN with --evolve), so columns that
 * no record names keep their defaults.
 *
 * --stats counts as loaded (records_out) only what a COMMIT made part of
 * the table; the records of a transaction that is rolled back are left to
 * the "unwritten" count of stats.c.
 *
 * This file is the program's spine; load.h says what the others hold.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bad.h"
#include "cli.h"
#include "crash.h"
#include "die.h"
#include "load.h"
#include "mem.h"
#include "offset.h"
#include "out.h"
#include "path.h"
#include "stats.h"
#include "banned.h"

enum {
	OPT_DB = 1,
	OPT_TABLE,
	OPT_MODE,
	OPT_KEY,
	OPT_CREATE,
	OPT_EVOLVE,
	OPT_IGNORE,
	OPT_COLUMNS,
	OPT_BATCH,
	OPT_ALLOW_EMPTY,
	OPT_STATE_KEY,
	OPT_WATERMARK,
	OPT_STATE_TABLE,
	OPT_OFFSETS,
	OPT_COMMIT_INTERVAL,
};

static const struct cli_opt opts[] = {
	{OPT_DB, "db", 'd', CLI_ARG, "CONNINFO",
	 "libpq connection string or URI (default: PG* environment)"},
	{OPT_TABLE, "table", 't', CLI_ARG, "[SCHEMA.]TABLE", "the table to load (required)"},
	{OPT_MODE, "mode", 'm', CLI_ARG, "append|upsert|replace",
	 "how rows join the table (default: append)"},
	{OPT_KEY, "key", 'k', CLI_ARG, "COLS",
	 "the key columns (upsert; primary key with --create)"},
	{OPT_CREATE, "create", 0, CLI_NOARG, NULL, "create a missing table from the data's types"},
	{OPT_EVOLVE, "evolve", 0, CLI_NOARG, NULL, "add a column for a field the table lacks"},
	{OPT_IGNORE, "ignore-extra", 0, CLI_NOARG, NULL, "drop fields the table has no column for"},
	{OPT_COLUMNS, "columns", 0, CLI_ARG, "COLS", "load only these fields"},
	{OPT_BATCH, "batch", 'b', CLI_ARG, "N", "commit every N records"},
	{OPT_ALLOW_EMPTY, "allow-empty", 0, CLI_NOARG, NULL,
	 "replace: let empty input empty the table"},
	{OPT_STATE_KEY, "state-key", 0, CLI_ARG, "NAME",
	 "record the greatest --watermark value as NAME"},
	{OPT_WATERMARK, "watermark", 0, CLI_ARG, "FIELD",
	 "the field whose greatest value is recorded"},
	{OPT_STATE_TABLE, "state-table", 0, CLI_ARG, "[SCHEMA.]TABLE",
	 "the state table (default: etl_state)"},
	{OPT_OFFSETS, "offsets", 0, CLI_ARG, "NAME",
	 "commit the records' _off set as NAME with the rows; skip what it covers"},
	{OPT_COMMIT_INTERVAL, "commit-interval", 0, CLI_ARG, "DURATION",
	 "commit at least this often, and when the input waits (default with --offsets: 1s)"},
	{0, NULL, 0, 0, NULL, NULL},
};

static const char *db, *table_spec, *columns_list, *wm_field, *state_table = "etl_state";
const char *key_list, *state_key, *offsets_name;
enum mode mode = APPEND;
static int create, evolve, ignore_extra, allow_empty;
static unsigned long long batch;
static int64_t commit_us = -1; /* --commit-interval; -1: not given */
static struct path wm_path, off_path;
static size_t off_i; /* the index of _off in a record's vals */

PGconn *conn;
struct pg_table tbl;

static void on_opt(int id, const char *arg)
{
	switch (id) {
	case OPT_DB:
		db = arg;
		break;
	case OPT_TABLE:
		table_spec = arg;
		break;
	case OPT_MODE:
		if (!strcmp(arg, "append"))
			mode = APPEND;
		else if (!strcmp(arg, "upsert"))
			mode = UPSERT;
		else if (!strcmp(arg, "replace"))
			mode = REPLACE;
		else
			cli_usage_error(cli_optname, "expected append, upsert or replace, got '%s'",
					arg);
		break;
	case OPT_KEY:
		key_list = arg;
		break;
	case OPT_CREATE:
		create = 1;
		break;
	case OPT_EVOLVE:
		evolve = 1;
		break;
	case OPT_IGNORE:
		ignore_extra = 1;
		break;
	case OPT_COLUMNS:
		columns_list = arg;
		break;
	case OPT_BATCH:
		batch = cli_uint(cli_optname, arg, 1, ULLONG_MAX);
		break;
	case OPT_ALLOW_EMPTY:
		allow_empty = 1;
		break;
	case OPT_STATE_KEY:
		state_key = arg;
		break;
	case OPT_WATERMARK:
		wm_field = arg;
		break;
	case OPT_STATE_TABLE:
		state_table = arg;
		break;
	case OPT_OFFSETS:
		offsets_name = arg;
		break;
	case OPT_COMMIT_INTERVAL:
		commit_us = cli_duration(cli_optname, arg, 1000);
		break;
	}
}

static const struct cli_prog prog = {
	"etl-load-pg",
	"[OPTIONS] -t [SCHEMA.]TABLE [FILE...]",
	"Load NDJSON records into a PostgreSQL table with COPY.",
	opts,
	CLI_NO_OUTPUT,
	on_opt,
};

/* ---- transactions ---------------------------------------------------------- */

static uint64_t in_txn;    /* records in the current transaction */
static uint64_t committed; /* records committed by earlier batches */
static const char *last_file;
static uint64_t last_line;
static char *committed_where;

/* End the COPY and make what it holds part of the table. */
static void settle(void)
{
	copy_end();
	if (mode == UPSERT && in_txn)
		merge();
}

static void commit(void)
{
	/* a run that --max-bad N% will fail must not commit what it loaded */
	if (bad_over_limit())
		etl_exit(bad_finish());
	/* nor commit records whose rejected neighbours are not yet written */
	bad_flush();
	settle();
	wm_save();
	if (offsets_name)
		off_save();
	pg_run(conn, tbl.display, "COMMIT");
	if (offsets_name)
		off_committed();
	crash_point("load-pg-committed");
	committed += in_txn;
	/* records_out counts what is in the table: a transaction that does
	 * not commit leaves its records unwritten (etl(7)) */
	stats.records_out += in_txn;
	in_txn = 0;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t txn_start; /* when the open transaction began */

static void begin(void)
{
	pg_run(conn, tbl.display, "BEGIN");
	txn_start = now_us();
}

/* Commit what the transaction holds and begin the next; note names the
 * input line it ends at (the resume point of --batch without --offsets). */
static void next_batch(int note)
{
	commit();
	if (note) {
		free(committed_where);
		committed_where = xstrdup(etl_where(last_file, last_line, 0));
		etl_warn(tbl.display, "committed %llu records, through %s",
			 (unsigned long long)committed, committed_where);
	}
	begin();
}

/* --commit-interval: the input is about to wait; commit what came. */
static void on_idle(void)
{
	if (in_txn || (offsets_name && off_pending()))
		next_batch(0);
}

/* After a record: commit when --batch or --commit-interval says so. */
static void maybe_commit(void)
{
	if (batch && in_txn >= batch)
		next_batch(!offsets_name);
	else if (commit_us > 0 && now_us() - txn_start >= commit_us &&
		 (in_txn || (offsets_name && off_pending())))
		next_batch(0);
}

/* A failed run names what earlier batches committed, so it can resume. */
static void resume_note(int status)
{
	if (status && committed && committed_where)
		etl_error(tbl.display,
			  "%llu records were committed, through %s; resume with the "
			  "records after that line",
			  (unsigned long long)committed, committed_where);
}

/* ---- records ------------------------------------------------------------- */

static struct span *vals; /* per column: the current record's value */
static size_t capvals;
static size_t *hint; /* per field position: the column it was last time */
static size_t caphint;

/* Column of a field, trying first the column that the field in the same
 * position named in the previous record. */
static struct col *lookup(struct span rawkey, size_t pos)
{
	if (pos < caphint && hint[pos] < ncols) {
		struct col *c = &cols[hint[pos]];

		if (scan_key_eq(rawkey, c->name, c->namelen))
			return c;
	}
	for (size_t i = 0; i < ncols; i++) {
		if (scan_key_eq(rawkey, cols[i].name, cols[i].namelen)) {
			if (pos >= caphint) {
				size_t old = caphint;

				xgrow(&hint, &caphint, pos + 1, sizeof(*hint));
				for (size_t j = old; j < caphint; j++)
					hint[j] = (size_t)-1;
			}
			hint[pos] = i;
			return &cols[i];
		}
	}
	return NULL;
}

/* The record is good: add its new columns to the table, and widen the COPY
 * column list if it names columns the list lacks. */
static void widen(void)
{
	int grow = 0;

	for (size_t i = 0; i < ncols; i++)
		if (vals[i].p && !cols[i].copy)
			grow = 1;
	if (!grow)
		return;
	copy_end();
	for (size_t i = 0; i < ncols; i++) {
		struct buf q = BUF_INIT;

		if (!cols[i].pending)
			continue;
		buf_printf(&q, "ALTER TABLE %s ADD COLUMN ", tbl.quoted);
		pg_ident(&q, conn, cols[i].name, strlen(cols[i].name));
		buf_printf(&q, " %s", cols[i].typname);
		pg_run(conn, tbl.display, q.p);
		if (mode == UPSERT) {
			buf_reset(&q);
			buf_printf(&q, "ALTER TABLE %s ADD COLUMN ", stage);
			pg_ident(&q, conn, cols[i].name, strlen(cols[i].name));
			buf_printf(&q, " %s", cols[i].typname);
			pg_run(conn, tbl.display, q.p);
		}
		cols[i].pending = 0;
		buf_release(&q);
	}
	/* an upsert merges what was staged under the old list first */
	if (mode == UPSERT && in_txn)
		merge();
	for (size_t i = 0; i < ncols; i++)
		if (vals[i].p)
			cols[i].copy = 1;
}

static void load(struct ndjson *nd, const struct record *rec)
{
	static struct buf line = BUF_INIT, conv = BUF_INIT, esc = BUF_INIT, name = BUF_INIT;
	static size_t *off, capoff;
	struct scan_iter it;
	struct span k, v;
	size_t pos = 0, nfields = 0;
	char err[512];

	if (capvals < ncols + 64)
		xgrow(&vals, &capvals, ncols + 64, sizeof(*vals));
	memset(vals, 0, capvals * sizeof(*vals));
	scan_iter_init(&it, rec->line);
	while (scan_iter_next(&it, &k, &v)) {
		struct col *c = lookup(k, pos++);

		if (!c) {
			buf_reset(&name);
			scan_unescape(&name, k.p, k.n);
			c = col_find(name.p ? name.p : "", name.len);
			/* the stream's offset, when the table has no column for it */
			if (!c && offsets_name && name.len == strlen(OFFSET_FIELD) &&
			    !memcmp(name.p, OFFSET_FIELD, name.len))
				continue;
			if (!c && (!is_wanted(name.p ? name.p : "", name.len) || ignore_extra))
				continue;
			if (!c && evolve && scan_kind(v) == SCAN_NULL)
				continue; /* nothing to tell the type by: as if missing */
			if (!c && evolve && name.len && !memchr(name.p, '\0', name.len)) {
				c = add_pending(name.p, name.len, v);
				if (capvals < ncols) {
					size_t old = capvals;

					xgrow(&vals, &capvals, ncols + 64, sizeof(*vals));
					memset(vals + old, 0, (capvals - old) * sizeof(*vals));
				}
			}
			if (!c) {
				nd_reject(nd, rec, 0, "field \"%s\" is not a column of %s%s",
					  name.p ? name.p : "", tbl.display,
					  evolve ? ""
						 : " (--evolve adds it, --ignore-extra drops it)");
				drop_pending();
				return;
			}
		}
		if (wanted && !is_wanted(c->name, c->namelen))
			continue;
		vals[c - cols] = v;
		nfields++;
	}
	if (!nfields) {
		nd_reject(nd, rec, 0, "no field of the record is a column of %s", tbl.display);
		return;
	}
	/* check and convert every value before anything is sent or altered */
	if (capoff < ncols + 1)
		xgrow(&off, &capoff, ncols + 1, sizeof(*off));
	buf_reset(&esc);
	for (size_t i = 0; i < ncols; i++) {
		struct span x = vals[i];
		int null = !x.p || scan_kind(x) == SCAN_NULL;

		off[i] = esc.len;
		/* a NOT NULL column left out of the COPY gets its default; one
		 * without a default would get NULL and fail the whole COPY */
		if (null && (cols[i].is_key ||
			     (cols[i].notnull && (x.p || cols[i].copy || !cols[i].hasdef)))) {
			nd_reject(nd, rec, 0, "%s: %s cannot be null", cols[i].name,
				  cols[i].is_key ? "a key" : "the column");
			drop_pending();
			return;
		}
		if (null) {
			buf_adds(&esc, "\\N");
			continue;
		}
		buf_reset(&conv);
		if (pg_json_to_text(&conv, &cols[i].type, x, err, sizeof(err)) < 0) {
			nd_reject(nd, rec, 0, "%s: %s", cols[i].name, err);
			drop_pending();
			return;
		}
		pg_copy_escape(&esc, conv.p ? conv.p : "", conv.len);
	}
	off[ncols] = esc.len;
	widen();
	buf_reset(&line);
	for (size_t i = 0, first = 1; i < ncols; i++) {
		if (!cols[i].copy)
			continue;
		if (!first)
			buf_addc(&line, '\t');
		first = 0;
		buf_add(&line, esc.p + off[i], off[i + 1] - off[i]);
	}
	buf_addc(&line, '\n');
	if (!copying)
		copy_start();
	copy_line(rec, &line);
	if (wm_field)
		wm_see(rec->vals[0]);
	in_txn++;
	last_file = rec->file;
	last_line = rec->lineno;
	crash_point("load-pg-row");
}

/* A record: judged by its offset first with --offsets. */
static void take(struct ndjson *nd, const struct record *rec)
{
	if (!offsets_name || off_see(nd, rec, rec->vals[off_i]))
		load(nd, rec);
	maybe_commit();
}

/* ---- setup ----------------------------------------------------------------- */

static void setup_keys(void)
{
	for (size_t j = 0; j < nkeys; j++) {
		struct col *c = col_find(keys[j], strlen(keys[j]));

		if (!c)
			cli_usage_error("--key", "no column \"%s\" in %s", keys[j], tbl.display);
		c->is_key = 1;
	}
}

int main(int argc, char **argv)
{
	struct ndjson *nd;
	struct record rec;
	char err[256];

	cli_start(&prog, argc, argv);
	if (!table_spec)
		cli_usage_error("--table", "required: the table to load");
	if (mode == UPSERT && !key_list)
		cli_usage_error("--mode", "upsert needs --key");
	if (batch && mode == REPLACE)
		cli_usage_error("--batch",
				"cannot be combined with --mode replace, which swaps the "
				"whole content in one transaction");
	if (offsets_name && mode == REPLACE)
		cli_usage_error("--offsets", "cannot be combined with --mode replace, which swaps "
					     "the whole content in one transaction");
	if (commit_us >= 0 && mode == REPLACE)
		cli_usage_error("--commit-interval", "cannot be combined with --mode replace");
	if (offsets_name && commit_us < 0)
		commit_us = 1000000;
	if (!!state_key != !!wm_field)
		cli_usage_error(state_key ? "--state-key" : "--watermark",
				"--state-key and --watermark go together");
	if (allow_empty && mode != REPLACE)
		cli_usage_error("--allow-empty", "applies to --mode replace only");
	if (evolve && ignore_extra)
		cli_usage_error("--evolve", "cannot be combined with --ignore-extra");
	if (key_list)
		keys = cli_split(key_list, &nkeys);
	if (columns_list)
		wanted = cli_split(columns_list, NULL);
	if (wm_field)
		cli_path("--watermark", wm_field, 0, 1, &wm_path);
	cli_path("--offsets", OFFSET_FIELD, 0, 1, &off_path);

	conn = pg_connect(db);
	if (pg_table_parse(&tbl, conn, table_spec, err, sizeof(err)) < 0)
		cli_usage_error("--table", "%s", err);
	if (state_key || offsets_name)
		wm_setup(state_table);
	if (offsets_name)
		off_setup();
	if (commit_us > 0)
		out_on_idle(on_idle);
	etl_atexit(resume_note);
	{
		struct path want[2];
		size_t n = 0;

		if (wm_field)
			want[n++] = wm_path;
		off_i = n;
		if (offsets_name)
			want[n++] = off_path;
		nd = nd_open(cli.files, cli.nfiles, n ? want : NULL, n);
	}
	begin();
	if (!load_columns()) {
		if (!create)
			etl_die(ETL_EXIT_UNAVAIL, tbl.display,
				"no such table (--create makes it from "
				"the data)");
		if (!create_table(nd)) {
			if (mode == REPLACE && !allow_empty)
				etl_die(ETL_EXIT_CHECK, tbl.display, "no records to load");
			etl_warn(tbl.display, "no records: the table is not created");
			nd_close(nd);
			cli_finish();
		}
		load_columns();
	}
	if (!ncols)
		etl_die(ETL_EXIT_UNAVAIL, tbl.display, "the table has no column to load");
	for (char **w = wanted; w && *w; w++)
		if (!col_find(*w, strlen(*w)) && !evolve)
			cli_usage_error("--columns", "no column \"%s\" in %s", *w, tbl.display);
	setup_keys();
	target = tbl.quoted;
	if (mode == UPSERT) {
		setup_stage();
		target = stage;
	} else if (mode == REPLACE) {
		struct buf q = BUF_INIT;

		buf_printf(&q, "LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE; DELETE FROM %s",
			   tbl.quoted, tbl.quoted);
		pg_run(conn, tbl.display, q.p);
		buf_release(&q);
	}

	for (size_t i = 0; i < nheld; i++) {
		struct record r = {{held[i].line, held[i].n}, held[i].file, held[i].lineno, NULL};
		struct span wv[2] = {{NULL, 0}, {NULL, 0}};

		if (wm_field)
			wv[0] = scan_lookup(r.line, &wm_path);
		if (offsets_name)
			wv[off_i] = scan_lookup(r.line, &off_path);
		r.vals = wv;
		take(nd, &r);
		free(held[i].line);
	}
	free(held);
	while (nd_next(nd, &rec))
		take(nd, &rec);

	if (mode == REPLACE && !in_txn && !allow_empty)
		etl_die(ETL_EXIT_CHECK, tbl.display,
			"no records to load: refusing to empty the table "
			"(--allow-empty allows it)");
	commit();
	nd_close(nd);

	columns_release();
	free(vals);
	free(hint);
	copy_release();
	free(committed_where);
	wm_release();
	off_release();
	if (wm_field)
		path_release(&wm_path);
	path_release(&off_path);
	cli_split_free(keys);
	cli_split_free(wanted);
	pg_table_release(&tbl);
	cli_finish();
}
