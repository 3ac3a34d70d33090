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
 * the state table in the same transaction as the rows it describes.
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
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "bad.h"
#include "cli.h"
#include "decimal.h"
#include "die.h"
#include "mem.h"
#include "ndjson.h"
#include "path.h"
#include "pg.h"
#include "pgval.h"
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
	{0, NULL, 0, 0, NULL, NULL},
};

enum mode { APPEND, UPSERT, REPLACE };

static const char *db, *table_spec, *key_list, *columns_list, *state_key, *wm_field;
static const char *state_table = "etl_state";
static enum mode mode = APPEND;
static int create, evolve, ignore_extra, allow_empty;
static unsigned long long batch;

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

/* ---- the table's columns ------------------------------------------------- */

struct col {
	char *name;
	size_t namelen;
	struct pg_type type;
	char *typname;
	int notnull;
	int copy; /* in the current COPY column list */
	int is_key;
	int pending; /* --evolve: added by the current record, not yet in the table */
};

static PGconn *conn;
static struct pg_table tbl;
static struct col *cols;
static size_t ncols, capcols;
static char **wanted; /* --columns */
static char **keys;   /* --key */
static size_t nkeys;

static struct col *col_find(const char *name, size_t n)
{
	for (size_t i = 0; i < ncols; i++)
		if (cols[i].namelen == n && !memcmp(cols[i].name, name, n))
			return &cols[i];
	return NULL;
}

static int is_wanted(const char *name, size_t n)
{
	if (!wanted)
		return 1;
	for (char **w = wanted; *w; w++)
		if (strlen(*w) == n && !memcmp(*w, name, n))
			return 1;
	return 0;
}

static void col_release(struct col *c)
{
	free(c->name);
	free(c->typname);
}

/* The table's columns and their types, domains resolved to their base. */
static int load_columns(void)
{
	const char *v[1] = {tbl.quoted};
	PGresult *r = pg_exec_params(
		conn, tbl.display,
		"SELECT a.attname, bt.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod "
		"ELSE a.atttypmod END, bt.typcategory, bt.typelem, "
		"format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attgenerated <> '' "
		"FROM pg_catalog.pg_attribute a "
		"JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
		"JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' "
		"THEN t.typbasetype ELSE t.oid END "
		"WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
		"ORDER BY a.attnum",
		1, v);
	int n = PQntuples(r);

	for (size_t i = 0; i < ncols; i++)
		col_release(&cols[i]);
	ncols = 0;
	for (int i = 0; i < n; i++) {
		struct col *c;

		if (PQgetvalue(r, i, 7)[0] == 't')
			continue; /* generated: not loadable */
		xgrow(&cols, &capcols, ncols + 1, sizeof(*cols));
		c = &cols[ncols++];
		memset(c, 0, sizeof(*c));
		c->name = xstrdup(PQgetvalue(r, i, 0));
		c->namelen = strlen(c->name);
		c->typname = xstrdup(PQgetvalue(r, i, 5));
		c->type.oid = (unsigned)strtoul(PQgetvalue(r, i, 1), NULL, 10);
		c->type.typmod = (int)strtol(PQgetvalue(r, i, 2), NULL, 10);
		c->type.name = c->typname;
		if (PQgetvalue(r, i, 3)[0] == 'A') {
			c->type.kind = PGK_ARRAY;
			c->type.elem = (unsigned)strtoul(PQgetvalue(r, i, 4), NULL, 10);
			c->type.elem_kind = pg_kind_of(c->type.elem);
			c->type.elem_typmod = c->type.typmod;
		} else {
			c->type.kind = pg_kind_of(c->type.oid);
		}
		c->notnull = PQgetvalue(r, i, 6)[0] == 't';
	}
	PQclear(r);
	return n;
}

/* ---- types of new columns (--create, --evolve) ---------------------------- */

enum {
	T_BOOL = 1,
	T_INT = 2,
	T_BIGNUM = 4,
	T_DEC = 8,
	T_EXP = 16,
	T_DATE = 32,
	T_TSTZ = 64,
	T_TEXT = 128,
	T_JSON = 256
};

static unsigned kind_of_value(struct span v, struct buf *tmp)
{
	int64_t us;
	int ht, hz;
	dec_t d;
	int64_t i;

	switch (scan_kind(v)) {
	case SCAN_TRUE:
	case SCAN_FALSE:
		return T_BOOL;
	case SCAN_NUMBER:
		if (memchr(v.p, 'e', v.n) || memchr(v.p, 'E', v.n))
			return T_EXP;
		if (memchr(v.p, '.', v.n))
			return T_DEC;
		return dec_parse(&d, v.p, v.n) == DEC_OK && dec_to_i64(&d, &i) ? T_INT : T_BIGNUM;
	case SCAN_STRING:
		buf_reset(tmp);
		scan_string(tmp, v);
		if (tmp->len && pg_parse_iso(tmp->p, tmp->len, &us, &ht, &hz) == 0)
			return !ht ? T_DATE : hz ? T_TSTZ : T_TEXT;
		return T_TEXT;
	case SCAN_OBJECT:
	case SCAN_ARRAY:
		return T_JSON;
	default:
		return 0;
	}
}

/* The narrowest type that holds every value seen, exactly. */
static const char *type_for(unsigned k)
{
	const unsigned nums = T_INT | T_BIGNUM | T_DEC | T_EXP, strs = T_DATE | T_TSTZ | T_TEXT;

	if (!k)
		return "text";
	if (k == T_BOOL)
		return "boolean";
	if (!(k & ~nums)) {
		if (k == T_INT)
			return "bigint";
		if (k == T_EXP)
			return "double precision";
		return "numeric";
	}
	if (k == T_DATE)
		return "date";
	if (!(k & ~(T_DATE | T_TSTZ)))
		return "timestamptz";
	if (!(k & ~strs))
		return "text";
	return "jsonb"; /* mixed kinds: only JSON keeps each value as it was */
}

/* ---- records kept for --create -------------------------------------------- */

struct held {
	char *line;
	size_t n;
	const char *file;
	uint64_t lineno;
};

#define SAMPLE 1000

static struct held *held;
static size_t nheld;

struct field_kind {
	char *name;
	unsigned kinds;
};

/* 0 when there was no record to make the table from. */
static int create_table(struct ndjson *nd)
{
	struct field_kind *fk = NULL;
	size_t nfk = 0, capfk = 0;
	struct buf q = BUF_INIT, tmp = BUF_INIT, name = BUF_INIT;
	struct record rec;

	held = xcalloc(SAMPLE, sizeof(*held));
	if (wanted) {
		for (char **w = wanted; *w; w++) {
			xgrow(&fk, &capfk, nfk + 1, sizeof(*fk));
			fk[nfk].name = xstrdup(*w);
			fk[nfk++].kinds = 0;
		}
	}
	while (nheld < SAMPLE && nd_next(nd, &rec)) {
		struct scan_iter it;
		struct span k, v;

		held[nheld].line = xstrndup(rec.line.p, rec.line.n);
		held[nheld].n = rec.line.n;
		held[nheld].file = rec.file;
		held[nheld++].lineno = rec.lineno;
		scan_iter_init(&it, rec.line);
		while (scan_iter_next(&it, &k, &v)) {
			size_t j;

			buf_reset(&name);
			scan_unescape(&name, k.p, k.n);
			if (!name.len || memchr(name.p, '\0', name.len) ||
			    !is_wanted(name.p, name.len))
				continue;
			for (j = 0; j < nfk; j++)
				if (!strcmp(fk[j].name, name.p))
					break;
			if (j == nfk) {
				xgrow(&fk, &capfk, nfk + 1, sizeof(*fk));
				fk[nfk].name = xstrdup(name.p);
				fk[nfk++].kinds = 0;
			}
			fk[j].kinds |= kind_of_value(v, &tmp);
		}
	}
	if (!nheld) {
		free(fk);
		buf_release(&tmp);
		buf_release(&name);
		return 0;
	}
	for (char **kp = keys; kp && *kp; kp++) {
		size_t j;

		for (j = 0; j < nfk; j++)
			if (!strcmp(fk[j].name, *kp))
				break;
		if (j == nfk)
			cli_usage_error("--key",
					"no field \"%s\" in the first records to make a "
					"column of",
					*kp);
	}
	if (!nfk)
		etl_die(ETL_EXIT_DATA, tbl.display,
			"cannot create the table: the records have no fields");
	buf_printf(&q, "CREATE TABLE %s (", tbl.quoted);
	for (size_t j = 0; j < nfk; j++) {
		if (j)
			buf_adds(&q, ", ");
		pg_ident(&q, conn, fk[j].name, strlen(fk[j].name));
		buf_printf(&q, " %s", type_for(fk[j].kinds));
	}
	if (keys) {
		buf_adds(&q, ", PRIMARY KEY (");
		for (size_t j = 0; j < nkeys; j++) {
			if (j)
				buf_adds(&q, ", ");
			pg_ident(&q, conn, keys[j], strlen(keys[j]));
		}
		buf_addc(&q, ')');
	}
	buf_addc(&q, ')');
	pg_run(conn, tbl.display, q.p);
	for (size_t j = 0; j < nfk; j++)
		free(fk[j].name);
	free(fk);
	buf_release(&q);
	buf_release(&tmp);
	buf_release(&name);
	return 1;
}

/* ---- COPY ------------------------------------------------------------------ */

/*
 * COPY data goes to libpq in small chunks so that the server works while we
 * convert: a chunk larger than the socket's buffer (about 200 KB on Linux)
 * makes the send wait until the server has drained nearly all of it, and the
 * server then sits idle while we build the next chunk, so the two take turns
 * instead of overlapping.  With 256 KB chunks a 1M-row load took 2.9 s;
 * with 32 KB, 1.4 s (bench/run pg).
 */
#define COPY_CHUNK (32 * 1024)

/* Where each COPY line came from, as runs of consecutive input lines, so
 * that an error the server finds at "COPY t, line 812" names the record. */
struct run {
	uint64_t copyline; /* first COPY line of the run, 1-based */
	const char *file;
	uint64_t lineno;
};

static struct run *runs;
static size_t nruns, capruns;
static uint64_t copylines;
static int copying;
static struct buf copybuf = BUF_INIT;
static const char *target; /* the table COPY writes to: tbl.quoted or the stage */
static const char *stage = "pg_temp.etl_load_stage";

static void copy_start(void)
{
	struct buf q = BUF_INIT;
	int first = 1;

	buf_printf(&q, "COPY %s (", target);
	for (size_t i = 0; i < ncols; i++) {
		if (!cols[i].copy)
			continue;
		if (!first)
			buf_adds(&q, ", ");
		pg_ident(&q, conn, cols[i].name, strlen(cols[i].name));
		first = 0;
	}
	buf_adds(&q, ") FROM STDIN");
	pg_copy_in_start(conn, tbl.display, q.p);
	buf_release(&q);
	copying = 1;
	copylines = 0;
	nruns = 0;
}

static void copy_flush(void)
{
	if (copybuf.len) {
		pg_copy_in_put(conn, tbl.display, copybuf.p, copybuf.len);
		buf_reset(&copybuf);
	}
}

static void copy_end(void)
{
	PGresult *r;
	const char *ctx, *at;

	if (!copying)
		return;
	copy_flush();
	copying = 0;
	r = pg_copy_in_end(conn, tbl.display);
	if (!r)
		return;
	/* "COPY t, line 812, column qty: ..." names the record */
	ctx = PQresultErrorField(r, PG_DIAG_CONTEXT);
	if (ctx && (at = strstr(ctx, ", line ")) != NULL) {
		uint64_t line = strtoull(at + 7, NULL, 10);

		for (size_t i = nruns; line && i-- > 0;) {
			if (runs[i].copyline <= line) {
				char where[4200];

				int status = pg_exit_status(conn, r);
				const char *msg = pg_message(conn, r);

				PQclear(r);
				snprintf(where, sizeof(where), "%s",
					 etl_where(runs[i].file,
						   runs[i].lineno + (line - runs[i].copyline), 0));
				etl_die(status, where, "%s: %s", tbl.display, msg);
			}
		}
	}
	pg_die(conn, r, tbl.display, NULL);
}

static void copy_line(const struct record *rec, const struct buf *line)
{
	copylines++;
	if (!nruns || runs[nruns - 1].file != rec->file ||
	    runs[nruns - 1].lineno + (copylines - runs[nruns - 1].copyline) != rec->lineno) {
		xgrow(&runs, &capruns, nruns + 1, sizeof(*runs));
		runs[nruns].copyline = copylines;
		runs[nruns].file = rec->file;
		runs[nruns++].lineno = rec->lineno;
	}
	buf_add(&copybuf, line->p, line->len);
	if (copybuf.len >= COPY_CHUNK)
		copy_flush();
}

/* ---- the watermark --------------------------------------------------------- */

/* A watermark value and how it compares: as a number, an instant, or text. */
struct wm {
	int set;
	int kind; /* 1 number, 2 instant, 3 text */
	dec_t d;
	int exact;
	double f;
	int64_t us;
	struct buf text;
};

static struct path wm_path;
static struct wm wm_max, wm_cur;

static void wm_parse(struct wm *w, const char *s, size_t n)
{
	int ht, hz;

	buf_reset(&w->text);
	buf_add(&w->text, s, n);
	w->set = 1;
	w->exact = 0;
	if (n && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) {
		int rc = dec_parse(&w->d, s, n);

		if (rc != DEC_SYNTAX) {
			w->kind = 1;
			w->exact = rc == DEC_OK;
			w->f = strtod(w->text.p, NULL);
			return;
		}
	}
	if (pg_parse_iso(s, n, &w->us, &ht, &hz) == 0) {
		w->kind = 2;
		return;
	}
	w->kind = 3;
}

static int wm_cmp(const struct wm *a, const struct wm *b)
{
	if (a->kind == b->kind && a->kind == 1) {
		if (a->exact && b->exact)
			return dec_cmp(&a->d, &b->d);
		return a->f < b->f ? -1 : a->f > b->f;
	}
	if (a->kind == b->kind && a->kind == 2 && a->us != b->us)
		return a->us < b->us ? -1 : 1;
	{
		size_t n = a->text.len < b->text.len ? a->text.len : b->text.len;
		int c = memcmp(a->text.p, b->text.p, n);

		return c ? c : (a->text.len > b->text.len) - (a->text.len < b->text.len);
	}
}

static void wm_see(struct span v)
{
	static struct buf tmp = BUF_INIT;
	enum scan_kind k = scan_kind(v);

	if (k == SCAN_STRING) {
		buf_reset(&tmp);
		scan_string(&tmp, v);
		wm_parse(&wm_cur, tmp.p ? tmp.p : "", tmp.len);
	} else if (k == SCAN_NUMBER) {
		wm_parse(&wm_cur, v.p, v.n);
	} else {
		return; /* null, missing: no watermark */
	}
	if (!wm_max.set || wm_cmp(&wm_cur, &wm_max) > 0) {
		struct wm t = wm_max;

		wm_max = wm_cur;
		wm_cur = t;
	}
}

/* Write the greatest value loaded, unless the stored one is greater still. */
static void wm_save(void)
{
	struct pg_table st;
	char err[256], *old;

	if (!state_key || !wm_max.set)
		return;
	if (pg_table_parse(&st, conn, state_table, err, sizeof(err)) < 0)
		cli_usage_error("--state-table", "%s", err);
	pg_state_create(conn, &st);
	old = pg_state_get(conn, &st, state_key, 1);
	if (old) {
		struct wm o = {0};

		wm_parse(&o, old, strlen(old));
		if (wm_cmp(&o, &wm_max) >= 0) {
			free(old);
			buf_release(&o.text);
			pg_table_release(&st);
			return;
		}
		buf_release(&o.text);
		free(old);
	}
	pg_state_set(conn, &st, state_key, wm_max.text.p);
	pg_table_release(&st);
}

/* ---- transactions ---------------------------------------------------------- */

static uint64_t in_txn;    /* records in the current transaction */
static uint64_t committed; /* records committed by earlier batches */
static const char *last_file;
static uint64_t last_line;
static char *committed_where;

static void merge(void)
{
	struct buf q = BUF_INIT, list = BUF_INIT, keyl = BUF_INIT;
	int any_set = 0;

	for (size_t i = 0, first = 1; i < ncols; i++) {
		if (!cols[i].copy)
			continue;
		if (!first)
			buf_adds(&list, ", ");
		pg_ident(&list, conn, cols[i].name, strlen(cols[i].name));
		first = 0;
	}
	for (size_t j = 0; j < nkeys; j++) {
		if (j)
			buf_adds(&keyl, ", ");
		pg_ident(&keyl, conn, keys[j], strlen(keys[j]));
	}
	buf_printf(&q,
		   "INSERT INTO %s (%s) SELECT %s FROM (SELECT DISTINCT ON (%s) * FROM %s "
		   "ORDER BY %s, etl_load_seq DESC) AS s ON CONFLICT (%s) DO ",
		   tbl.quoted, list.p, list.p, keyl.p, stage, keyl.p, keyl.p);
	for (size_t i = 0; i < ncols; i++) {
		if (!cols[i].copy || cols[i].is_key)
			continue;
		buf_adds(&q, any_set ? ", " : "UPDATE SET ");
		pg_ident(&q, conn, cols[i].name, strlen(cols[i].name));
		buf_adds(&q, " = EXCLUDED.");
		pg_ident(&q, conn, cols[i].name, strlen(cols[i].name));
		any_set = 1;
	}
	if (!any_set)
		buf_adds(&q, "NOTHING");
	{
		PGresult *r = PQexec(conn, q.p);
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		if (PQresultStatus(r) != PGRES_COMMAND_OK && st && !strcmp(st, "42P10")) {
			PQclear(r);
			etl_die(ETL_EXIT_USAGE, "--key",
				"%s has no primary key or unique index on "
				"(%s), which upsert needs",
				tbl.display, key_list);
		}
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			pg_die(conn, r, tbl.display, NULL);
		PQclear(r);
	}
	pg_run(conn, tbl.display, "TRUNCATE pg_temp.etl_load_stage");
	buf_release(&q);
	buf_release(&list);
	buf_release(&keyl);
}

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
	settle();
	wm_save();
	pg_run(conn, tbl.display, "COMMIT");
	committed += in_txn;
	in_txn = 0;
}

static void begin(void)
{
	pg_run(conn, tbl.display, "BEGIN");
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

/* Add a column for a new field (--evolve), in memory only until the record
 * proves good. */
static struct col *add_pending(const char *name, size_t n, struct span v)
{
	static struct buf tmp = BUF_INIT;
	struct col *c;

	xgrow(&cols, &capcols, ncols + 1, sizeof(*cols));
	c = &cols[ncols++];
	memset(c, 0, sizeof(*c));
	c->name = xstrndup(name, n);
	c->namelen = n;
	c->typname = xstrdup(type_for(kind_of_value(v, &tmp)));
	c->pending = 1;
	c->type.typmod = -1;
	c->type.name = c->typname;
	c->type.kind = !strcmp(c->typname, "bigint")             ? PGK_INT
		       : !strcmp(c->typname, "numeric")          ? PGK_NUMERIC
		       : !strcmp(c->typname, "double precision") ? PGK_FLOAT
		       : !strcmp(c->typname, "boolean")          ? PGK_BOOL
		       : !strcmp(c->typname, "date")             ? PGK_DATE
		       : !strcmp(c->typname, "timestamptz")      ? PGK_TSTZ
		       : !strcmp(c->typname, "jsonb")            ? PGK_JSONB
								 : PGK_TEXT;
	c->type.oid = c->type.kind == PGK_INT ? 20 : c->type.kind == PGK_FLOAT ? 701 : 25;
	return c;
}

static void drop_pending(void)
{
	while (ncols && cols[ncols - 1].pending)
		col_release(&cols[--ncols]);
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
		if (null && (cols[i].is_key || (cols[i].notnull && (x.p || cols[i].copy)))) {
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
	stats.records_out++;
	in_txn++;
	last_file = rec->file;
	last_line = rec->lineno;
	if (batch && in_txn == batch) {
		commit();
		free(committed_where);
		committed_where = xstrdup(etl_where(last_file, last_line, 0));
		etl_warn(tbl.display, "committed %llu records, through %s",
			 (unsigned long long)committed, committed_where);
		begin();
	}
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

static void setup_stage(void)
{
	struct buf q = BUF_INIT;

	buf_printf(&q,
		   "CREATE TEMP TABLE etl_load_stage ON COMMIT DELETE ROWS AS "
		   "SELECT * FROM %s WITH NO DATA",
		   tbl.quoted);
	pg_run(conn, tbl.display, q.p);
	pg_run(conn, tbl.display,
	       "ALTER TABLE pg_temp.etl_load_stage ADD COLUMN etl_load_seq "
	       "bigint GENERATED ALWAYS AS IDENTITY");
	buf_release(&q);
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

	conn = pg_connect(db);
	if (pg_table_parse(&tbl, conn, table_spec, err, sizeof(err)) < 0)
		cli_usage_error("--table", "%s", err);
	etl_atexit(resume_note);
	nd = nd_open(cli.files, cli.nfiles, wm_field ? &wm_path : NULL, wm_field ? 1 : 0);
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
		struct span wv;

		if (wm_field) {
			wv = scan_lookup(r.line, &wm_path);
			r.vals = &wv;
		}
		load(nd, &r);
		free(held[i].line);
	}
	free(held);
	while (nd_next(nd, &rec))
		load(nd, &rec);

	if (mode == REPLACE && !stats.records_out && !allow_empty)
		etl_die(ETL_EXIT_CHECK, tbl.display,
			"no records to load: refusing to empty the table "
			"(--allow-empty allows it)");
	commit();
	nd_close(nd);

	for (size_t i = 0; i < ncols; i++)
		col_release(&cols[i]);
	free(cols);
	free(vals);
	free(hint);
	free(runs);
	free(committed_where);
	buf_release(&copybuf);
	buf_release(&wm_max.text);
	buf_release(&wm_cur.text);
	if (wm_field)
		path_release(&wm_path);
	cli_split_free(keys);
	cli_split_free(wanted);
	pg_table_release(&tbl);
	cli_finish();
}
