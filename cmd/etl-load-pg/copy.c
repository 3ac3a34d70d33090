/*
 * copy.c - etl-load-pg's COPY (load.h): rows go to the server as COPY ...
 * FROM STDIN in text format, into the table itself or, for upsert, into a
 * temporary staging table that merge() then folds into the table.
 *
 * The server names a row it refuses by its line in the COPY ("COPY t,
 * line 812"); the runs below map COPY lines back to input files and lines,
 * so that even that failure names the record.
 *
 * Upsert: the staging table numbers its rows (an identity column), and the
 * merge is INSERT ... SELECT DISTINCT ON (key) ... ORDER BY key, number
 * DESC ... ON CONFLICT (key) DO UPDATE, so of several records with one key
 * the last wins, and loading the same data twice changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "load.h"
#include "mem.h"
#include "banned.h"

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
int copying;
static struct buf copybuf = BUF_INIT;
const char *target;
const char *stage = "pg_temp.etl_load_stage";

void copy_start(void)
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

void copy_end(void)
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

void copy_line(const struct record *rec, const struct buf *line)
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

/* Merge the staged rows into the table: of several with one key the last
 * staged wins, and a key the table has is updated. */
void merge(void)
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

void setup_stage(void)
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

void copy_release(void)
{
	free(runs);
	runs = NULL;
	nruns = capruns = 0;
	buf_release(&copybuf);
}
