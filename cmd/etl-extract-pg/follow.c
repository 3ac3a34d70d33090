/*
 * follow.c - etl-extract-pg --follow: the changes of tables, read through a
 * logical replication slot with the wal2json plugin, one record per row
 * changed, then an exit only at --idle-exit, SIGTERM, or a failure.
 *
 * Offsets (CONVENTIONS section 6): a change's _off is "SLOT:LSN.SEQ", LSN
 * the decimal commit LSN of its transaction (where the commit record
 * starts: wal2json's "lsn" of B and C) and SEQ its place in the transaction
 * from 1.  A snapshot row's is "SLOT:CP.0.N", CP the slot's consistent
 * point, N from 1, so every snapshot row sorts before every change (a
 * transaction committed at CP itself gets CP.1, CP.2...).  The last row of
 * a snapshot has ".0" appended (CP.0.N.0): a sink that committed it has the
 * whole snapshot, which is how a restart tells a finished snapshot from an
 * interrupted one.
 *
 * Exactly once, with a sink that commits the offsets (--from-state):
 *  - START_REPLICATION at LSN L makes the server send every transaction
 *    whose commit record starts at or after L, so resuming at the commit
 *    LSN of the sink's committed position sends that transaction again, and
 *    the changes at or before the position are skipped here (counted as
 *    dropped);
 *  - the slot's flush position is moved to that commit LSN, never further,
 *    and never by what was merely read: the server then keeps everything a
 *    restart may need;
 *  - after a lost connection the stream resumes from the commit LSN of the
 *    last change written, skipping what was written already.
 *
 * The snapshot: CREATE_REPLICATION_SLOT exports the snapshot of the slot's
 * consistent point; a second, plain connection reads the tables in a
 * transaction set to it (SET TRANSACTION SNAPSHOT) with main.c's COPY code,
 * then the stream starts at the consistent point: no change is both in the
 * snapshot and in the stream, and none is in neither.
 *
 * The values: wal2json writes each column's text output in the walsender's
 * session, which pg_connect_replication() sets up as for any extract; the
 * column's type OID gives its kind, from the same catalog (domains as their
 * base type, arrays through their element type).  wal2json itself writes
 * the floats NaN and Infinity as null: that loss is the plugin's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "die.h"
#include "jsonw.h"
#include "mem.h"
#include "offset.h"
#include "out.h"
#include "pg.h"
#include "pgrepl.h"
#include "pgval.h"
#include "scan.h"
#include "stats.h"
#include "wal2json.h"
#include "xpg.h"
#include "banned.h"

static PGconn *meta;   /* the source, plain SQL: catalog, slot, snapshot */
static PGconn *statec; /* the state table's database */
static struct pg_table state_t;
static struct buf stream;  /* the slot's name as an offset STREAM */
static struct buf skip;    /* changes at or before this position are not written again */
static uint64_t committed; /* the commit LSN of the sink's committed position */
static struct buf where_slot;
static volatile sig_atomic_t stopping;

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- types ---------------------------------------------------------------- */

struct typ {
	unsigned oid;
	enum pg_kind kind, elem;
};
static struct typ *types;
static size_t ntypes;

/* A column type's kind, from the catalog once per type. */
static const struct typ *type_of(unsigned oid)
{
	char o[16];
	const char *v[1] = {o};
	PGresult *r;
	struct typ t = {oid, PGK_OTHER, PGK_OTHER};

	for (size_t i = 0; i < ntypes; i++)
		if (types[i].oid == oid)
			return &types[i];
	snprintf(o, sizeof(o), "%u", oid);
	r = pg_exec_params(meta, where_slot.p,
			   "SELECT b.typcategory, b.oid, b.typelem FROM pg_catalog.pg_type t "
			   "JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN t.typtype = 'd' "
			   "THEN t.typbasetype ELSE t.oid END WHERE t.oid = $1",
			   1, v);
	if (PQntuples(r) == 1) {
		unsigned base = (unsigned)strtoul(PQgetvalue(r, 0, 1), NULL, 10);

		if (PQgetvalue(r, 0, 0)[0] == 'A') {
			t.kind = PGK_ARRAY;
			t.elem = pg_kind_of((unsigned)strtoul(PQgetvalue(r, 0, 2), NULL, 10));
		} else {
			t.kind = pg_kind_of(base);
		}
	}
	PQclear(r);
	types = xrealloc(types, (ntypes + 1) * sizeof(*types));
	types[ntypes] = t;
	return &types[ntypes++];
}

/* ---- the sink's committed offsets ------------------------------------------ */

/* The number of components of a position, and the first as a number. */
static size_t pos_parts(const char *p, uint64_t *first)
{
	size_t n = 1;

	*first = strtoull(p, NULL, 10);
	for (; *p; p++)
		n += *p == '.';
	return n;
}

/* Read the sink's position for the slot; raise skip and committed to it.
 * Returns the position (valid until the next call), or NULL. */
static const char *read_state(void)
{
	static struct offset_set set = OFFSET_SET_INIT;
	const struct offset_entry *e;
	char *v;

	if (!fo.from_state)
		return NULL;
	v = pg_state_get(statec, &state_t, fo.from_state, 0);
	offset_set_clear(&set);
	if (v && offset_set_add_text(&set, v, strlen(v)) < 0) {
		static char shown[256];

		snprintf(shown, sizeof(shown), "%s", v);
		free(v);
		etl_die(ETL_EXIT_DATA, state_t.display,
			"the state '%s' is not a set of offsets: %s", fo.from_state, shown);
	}
	free(v);
	e = offset_set_get(&set, stream.p, stream.len);
	if (!e)
		return NULL;
	pos_parts(e->pos, &committed);
	if (!skip.len || offset_pos_cmp(e->pos, e->plen, skip.p, skip.len) > 0) {
		buf_reset(&skip);
		buf_add(&skip, e->pos, e->plen);
	}
	return e->pos;
}

/* ---- the slot and the snapshot --------------------------------------------- */

struct table {
	char *schema, *name; /* as in the catalog */
	char *quoted;
};
static struct table *tabs;
static size_t ntabs;
static struct buf add_tables, filter_tables;

/* wal2json's table lists: '\' before a space, quote, comma, dot, star. */
static void w2j_name(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (strchr(" ',.*\\", *s))
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
}

static void add_table(const char *schema, const char *name)
{
	struct buf q = BUF_INIT;

	tabs = xrealloc(tabs, (ntabs + 1) * sizeof(*tabs));
	tabs[ntabs].schema = xstrdup(schema);
	tabs[ntabs].name = xstrdup(name);
	pg_ident(&q, meta, schema, strlen(schema));
	buf_addc(&q, '.');
	pg_ident(&q, meta, name, strlen(name));
	tabs[ntabs++].quoted = buf_detach(&q, NULL);
}

/* The tables of -t as the catalog names them (each must exist), or every
 * table but the state table. */
static void find_tables(void)
{
	PGresult *r;

	for (size_t i = 0; i < fo.ntables; i++) {
		struct pg_table t;
		char err[256];
		const char *v[1];

		if (pg_table_parse(&t, meta, fo.tables[i], err, sizeof(err)) < 0)
			cli_usage_error("--table", "%s", err);
		v[0] = t.quoted;
		r = pg_exec_params(meta, t.display,
				   "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN "
				   "pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
				   "WHERE c.oid = to_regclass($1)",
				   1, v);
		if (PQntuples(r) != 1) {
			static char shown[256];

			snprintf(shown, sizeof(shown), "%s", t.display);
			PQclear(r);
			pg_table_release(&t);
			etl_die(ETL_EXIT_UNAVAIL, shown, "no such table");
		}
		add_table(PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
		PQclear(r);
		pg_table_release(&t);
		if (add_tables.len)
			buf_addc(&add_tables, ',');
		w2j_name(&add_tables, tabs[ntabs - 1].schema);
		buf_addc(&add_tables, '.');
		w2j_name(&add_tables, tabs[ntabs - 1].name);
	}
	if (fo.ntables)
		return;
	r = pg_exec(meta, where_slot.p,
		    "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN "
		    "pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		    "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
		    "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
		    "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2");
	for (int i = 0; i < PQntuples(r); i++) {
		const char *s = PQgetvalue(r, i, 0), *n = PQgetvalue(r, i, 1);

		/* the sink's state table changes as the sink commits: following
		 * it would feed the stream its own acknowledgements */
		if (fo.from_state && !strcmp(n, state_t.name) &&
		    (!state_t.schema || !strcmp(s, state_t.schema)))
			continue;
		add_table(s, n);
	}
	PQclear(r);
	if (fo.from_state) {
		if (state_t.schema)
			w2j_name(&filter_tables, state_t.schema);
		else
			buf_addc(&filter_tables, '*');
		buf_addc(&filter_tables, '.');
		w2j_name(&filter_tables, state_t.name);
	}
}

/* Does the slot exist (in this database, with wal2json)? */
static int slot_exists(void)
{
	const char *v[1] = {fo.slot};
	PGresult *r = pg_exec_params(meta, where_slot.p,
				     "SELECT plugin, database = current_database() FROM "
				     "pg_catalog.pg_replication_slots WHERE slot_name = $1",
				     1, v);
	int yes = PQntuples(r) == 1;
	char plugin[64] = "";
	int here = 1;

	if (yes) {
		snprintf(plugin, sizeof(plugin), "%s", PQgetvalue(r, 0, 0));
		here = PQgetvalue(r, 0, 1)[0] == 't';
	}
	PQclear(r);
	if (yes && strcmp(plugin, "wal2json"))
		etl_die(ETL_EXIT_UNAVAIL, where_slot.p,
			"the slot decodes with %s; --follow needs wal2json", plugin);
	if (!here)
		etl_die(ETL_EXIT_UNAVAIL, where_slot.p, "the slot belongs to another database");
	return yes;
}

struct snap {
	uint64_t cp;
	unsigned long long n;
	const struct table *t;
	struct buf pending; /* the row before, written once the next one comes */
	size_t mark;        /* where its _off's closing quote is */
	size_t cur_mark;
};

static void snap_head(struct buf *rec, void *ctx)
{
	struct snap *s = ctx;
	struct buf off = BUF_INIT;

	buf_adds(rec, "{\"_op\":\"snapshot\",\"_table\":");
	buf_printf(&off, "%s.%s", s->t->schema, s->t->name);
	jw_string(rec, off.p, off.len);
	buf_adds(rec, ",\"_lsn\":\"");
	w2j_lsn_format(rec, s->cp);
	buf_adds(rec, "\",\"_off\":");
	buf_reset(&off);
	buf_add(&off, stream.p, stream.len);
	buf_printf(&off, ":%llu.0.%llu", (unsigned long long)s->cp, ++s->n);
	jw_string(rec, off.p, off.len);
	s->cur_mark = rec->len - 1;
	buf_release(&off);
}

static void snap_flush(struct snap *s)
{
	if (!s->pending.len)
		return;
	out_line(s->pending.p, s->pending.len);
	stats.records_out++;
	buf_reset(&s->pending);
}

static void snap_emit(struct buf *rec, void *ctx)
{
	struct snap *s = ctx;

	snap_flush(s);
	buf_add(&s->pending, rec->p, rec->len);
	s->mark = s->cur_mark;
}

/* Make the slot and write the tables as of its consistent point; returns
 * that point, where the stream starts. */
static uint64_t create_and_snapshot(PGconn *repl)
{
	struct snap s = {0};
	struct buf q = BUF_INIT;
	PGresult *r;
	char *name = NULL, *lit;

	if (pg_repl_create_slot(repl, fo.slot, "wal2json", &s.cp, &name, &r) < 0)
		pg_die(repl, r, where_slot.p, "cannot create the slot");
	pg_run(meta, where_slot.p, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	lit = PQescapeLiteral(meta, name, strlen(name));
	buf_printf(&q, "SET TRANSACTION SNAPSHOT %s", lit ? lit : "''");
	PQfreemem(lit);
	pg_run(meta, where_slot.p, q.p);
	for (size_t i = 0; i < ntabs; i++) {
		buf_reset(&q);
		buf_printf(&q, "SELECT * FROM %s", tabs[i].quoted);
		s.t = &tabs[i];
		xpg_describe(meta, q.p, tabs[i].quoted);
		xpg_copy(meta, snap_head, snap_emit, &s);
	}
	pg_run(meta, where_slot.p, "COMMIT");
	if (s.pending.len) {
		/* the last row says that the snapshot ends here */
		struct buf last = BUF_INIT;

		buf_add(&last, s.pending.p, s.mark);
		buf_adds(&last, ".0");
		buf_add(&last, s.pending.p + s.mark, s.pending.len - s.mark);
		buf_reset(&s.pending);
		buf_add(&s.pending, last.p, last.len);
		buf_release(&last);
		snap_flush(&s);
	}
	out_flush();
	buf_release(&s.pending);
	buf_release(&q);
	free(name);
	return s.cp;
}

/* ---- changes ----------------------------------------------------------------- */

static uint64_t txn_lsn;
static unsigned long long txn_seq;
static struct buf txn_ts, rec, pos, tmp, name, vtmp[2];

static void die_msg(uint64_t lsn, const char *what)
{
	struct buf w = BUF_INIT;

	buf_printf(&w, "%s: LSN ", where_slot.p);
	w2j_lsn_format(&w, lsn);
	etl_die(ETL_EXIT_DATA, w.p, "%s", what);
}

/* A name as JSON: the same bytes as jw_string() would write. */
static void add_name(struct buf *b, struct span raw)
{
	buf_reset(&name);
	scan_string(&name, raw);
	jw_string(b, name.p ? name.p : "", name.len);
}

static void add_columns(struct span arr, uint64_t lsn, int first)
{
	struct scan_iter it;
	struct w2j_col c;
	const char *err;
	int r;

	scan_iter_init(&it, arr);
	while ((r = w2j_col_next(&it, &c, &err)) > 0) {
		const struct typ *t = type_of(c.typeoid);

		if (!first)
			buf_addc(&rec, ',');
		first = 0;
		add_name(&rec, c.name);
		buf_addc(&rec, ':');
		if (w2j_value_json(&rec, t->kind, t->elem, c.value, vtmp, &err) < 0)
			die_msg(lsn, err);
	}
	if (r < 0)
		die_msg(lsn, err);
}

static void change(const char *data, size_t n, uint64_t at)
{
	static const char *const ops[] = {['I'] = "insert", ['U'] = "update", ['D'] = "delete"};
	struct w2j_msg m;
	const char *err;

	if (w2j_parse(data, n, &m, &err) < 0)
		die_msg(at, err);
	switch (m.action) {
	case 'B':
		if (!m.lsn)
			die_msg(at, "a transaction without its commit LSN");
		txn_lsn = m.lsn;
		txn_seq = 0;
		buf_reset(&txn_ts);
		if (m.timestamp.p) {
			buf_reset(&tmp);
			scan_string(&tmp, m.timestamp);
			pg_text_to_json(&txn_ts, PGK_TSTZ, tmp.p ? tmp.p : "", tmp.len);
		}
		return;
	case 'C':
		out_flush();
		return;
	case 'M':
		return;
	}
	txn_seq++;
	stats.records_in++;
	stats.bytes_in += n;
	progress_tick();
	buf_reset(&pos);
	buf_printf(&pos, "%llu.%llu", (unsigned long long)txn_lsn, txn_seq);
	if (skip.len && offset_pos_cmp(pos.p, pos.len, skip.p, skip.len) <= 0) {
		stats.dropped++;
		return;
	}
	buf_reset(&rec);
	buf_adds(&rec, "{\"_op\":");
	if (m.action == 'T') {
		buf_reset(&tmp);
		scan_string(&tmp, m.table);
		etl_warn(where_slot.p, "TRUNCATE of %s is not followed: its rows stay downstream",
			 tmp.p);
		stats.dropped++;
		goto done;
	}
	jw_string(&rec, ops[(int)m.action], strlen(ops[(int)m.action]));
	buf_adds(&rec, ",\"_table\":");
	buf_reset(&tmp);
	scan_string(&tmp, m.schema);
	buf_addc(&tmp, '.');
	scan_string(&tmp, m.table);
	jw_string(&rec, tmp.p, tmp.len);
	buf_adds(&rec, ",\"_lsn\":\"");
	w2j_lsn_format(&rec, txn_lsn);
	buf_adds(&rec, "\",\"_off\":\"");
	buf_add(&rec, stream.p, stream.len);
	buf_addc(&rec, ':');
	buf_add(&rec, pos.p, pos.len);
	buf_addc(&rec, '"');
	if (txn_ts.len) {
		buf_adds(&rec, ",\"_ts\":");
		buf_add(&rec, txn_ts.p, txn_ts.len);
	}
	if (m.action == 'U' && m.identity.p) {
		buf_adds(&rec, ",\"_old\":{");
		add_columns(m.identity, txn_lsn, 1);
		buf_addc(&rec, '}');
	}
	add_columns(m.action == 'D' ? m.identity : m.columns, txn_lsn, 0);
	buf_addc(&rec, '}');
	out_line(rec.p, rec.len);
	stats.records_out++;
done:
	buf_reset(&skip);
	buf_add(&skip, pos.p, pos.len);
}

/* ---- the loop ------------------------------------------------------------------ */

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void catch_stop(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static void pause_ms(int64_t ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stopping)
		;
}

static void finish(void)
{
	out_flush();
	free(types);
	for (size_t i = 0; i < ntabs; i++) {
		free(tabs[i].schema);
		free(tabs[i].name);
		free(tabs[i].quoted);
	}
	free(tabs);
	free(fo.tables);
	pg_table_release(&state_t);
	cli_finish();
}

void follow(void)
{
	const char *opts[20];
	size_t no = 0;
	uint64_t start = 0;
	unsigned long tries = 0;
	int64_t last_data = now_us(), last_state = 0;
	int first = 1;

	buf_printf(&where_slot, "slot %s", fo.slot);
	offset_stream_escape(&stream, fo.slot, strlen(fo.slot));
	if (fo.from_state) {
		char err[256];

		statec = pg_connect(fo.state_db);
		if (pg_table_parse(&state_t, statec, fo.state_table, err, sizeof(err)) < 0)
			cli_usage_error("--state-table", "%s", err);
	}
	meta = pg_connect(db);
	if (!fo.from_state)
		memset(&state_t, 0, sizeof(state_t));
	find_tables();

	opts[no++] = "format-version";
	opts[no++] = "2";
	opts[no++] = "include-lsn";
	opts[no++] = "1";
	opts[no++] = "include-timestamp";
	opts[no++] = "1";
	opts[no++] = "include-type-oids";
	opts[no++] = "1";
	/* the OID says all; the type's name would only lengthen every column */
	opts[no++] = "include-types";
	opts[no++] = "0";
	opts[no++] = "include-transaction";
	opts[no++] = "1";
	opts[no++] = "actions";
	opts[no++] = "insert,update,delete,truncate";
	if (add_tables.len) {
		opts[no++] = "add-tables";
		opts[no++] = add_tables.p;
	}
	if (filter_tables.len) {
		opts[no++] = "filter-tables";
		opts[no++] = filter_tables.p;
	}
	opts[no] = NULL;

	for (;;) {
		struct pg_repl r;
		PGconn *repl = pg_connect_replication(db, !first);
		PGresult *res;

		if (!repl)
			goto lost;
		if (first) {
			const char *at = read_state();
			uint64_t lsn;
			size_t parts = at ? pos_parts(at, &lsn) : 0;
			int have = slot_exists();
			int snapshot_cut = parts == 3 && strstr(at, ".0.") == strchr(at, '.');

			if (!have && !fo.create_slot)
				etl_die(ETL_EXIT_UNAVAIL, where_slot.p,
					"no such replication slot (--create-slot makes it)");
			if (have && (snapshot_cut || (fo.create_slot && fo.from_state && !at)))
				etl_die(ETL_EXIT_UNAVAIL, where_slot.p,
					"the snapshot taken when the slot was made did not reach "
					"the sink whole: drop the slot (and what was loaded) and "
					"start again");
			start = have ? committed : create_and_snapshot(repl);
			first = 0;
		} else if (skip.len) {
			pos_parts(skip.p, &start);
		}
		if (pg_repl_start(&r, repl, fo.slot, start, opts, &res) < 0) {
			const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			/* 55006: the slot is still held by a walsender of ours that
			 * has not yet seen its client go */
			if (pg_exit_status(repl, res) != ETL_EXIT_TEMPFAIL &&
			    !(st && !strcmp(st, "55006")))
				pg_die(repl, res, where_slot.p, "cannot start replication");
			etl_warn(where_slot.p, "cannot start replication: %s",
				 pg_message(repl, res));
			PQclear(res);
			pg_close(repl);
			goto lost;
		}
		r.confirmed = 0;
		catch_stop();
		last_data = now_us();
		for (;;) {
			const char *data;
			size_t n;
			uint64_t at;
			int rc = pg_repl_recv(&r, 500, &at, &data, &n);
			int64_t now = now_us();

			if (rc > 0) {
				tries = 0;
				last_data = now;
				change(data, n, at);
			} else if (rc == 0) {
				out_flush();
			} else {
				if (stopping)
					break;
				etl_warn(where_slot.p, "the replication connection was lost: %s",
					 pg_message(repl, NULL));
				break;
			}
			if (stopping)
				break;
			if (fo.from_state && now - last_state >= 2000000) {
				read_state();
				last_state = now;
				if (committed > r.confirmed && pg_repl_confirm(&r, committed) < 0)
					break;
			}
			if (fo.idle_exit_us && now - last_data >= fo.idle_exit_us) {
				stopping = 1;
				break;
			}
		}
		pg_repl_release(&r);
		pg_close(repl);
		if (stopping)
			finish();
	lost:
		if (stopping)
			finish();
		if (++tries > fo.retries)
			etl_die(ETL_EXIT_TEMPFAIL, where_slot.p,
				"the replication connection was lost; gave up after %lu %s",
				fo.retries, fo.retries == 1 ? "retry" : "retries");
		pause_ms(tries < 6 ? 200LL << (tries - 1) : 5000);
	}
}
