/*
 * pg.h - PostgreSQL plumbing over libpq: connecting like psql, failures
 * classified into the exit statuses of CONVENTIONS section 3, identifiers
 * quoted by libpq, COPY in both directions and the etl_state table.  The
 * values themselves (COPY's text format, PostgreSQL text to and from JSON)
 * are pgval.h.
 *
 * The programs keep the PGconn and may call libpq directly; what every
 * program would otherwise repeat (error text and status, quoting, COPY
 * plumbing) is here.
 */
#ifndef ETL_PG_H
#define ETL_PG_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "buf.h"

/* Connect with a libpq connection string or URI; NULL or "" uses the PG*
 * environment, as psql does.  The session is set up for JSON: client
 * encoding UTF8, DateStyle ISO, TimeZone UTC, IntervalStyle iso_8601,
 * extra_float_digits 3 (shortest round-trip floats on PostgreSQL 12 and
 * later), bytea_output hex.  The connection is closed by an exit hook, at
 * whatever exit: callers do not PQfinish() it.  Dies with status 2 for a
 * malformed conninfo,
 * 69 when the server refuses (authentication, unknown role or database),
 * 75 when it cannot be reached or is not accepting connections now. */
PGconn *pg_connect(const char *conninfo);
/* The same session on a replication connection (replication=database): it
 * takes the walsender's commands (CREATE_REPLICATION_SLOT,
 * START_REPLICATION) and simple SQL.  With may_fail, a temporary failure
 * (status 75) is a warning and NULL, for a caller that retries. */
PGconn *pg_connect_replication(const char *conninfo, int may_fail);
/* Close a connection before the exit hook would. */
void pg_close(PGconn *c);
/* The connection as a message's WHERE: the --db text without its password,
 * or the parameters taken from the environment ("host=... dbname=..."). */
const char *pg_where(void);

/* The exit status a failure deserves, from its SQLSTATE (res may be NULL
 * for a connection-level failure): 75 for a lost connection, serialization
 * failure, deadlock, shutdown, lack of resources; 69 for a missing table or
 * schema, a permission or authentication failure; 65 for data exceptions
 * and constraint violations; 2 for other errors in the SQL text itself. */
int pg_exit_status(const PGconn *conn, const PGresult *res);
/* The failure as one line: primary message, then "(DETAIL)" when there is
 * one.  Valid until the next call. */
const char *pg_message(const PGconn *conn, const PGresult *res);
/* "etl-NAME: WHERE: WHAT: message" and exit with pg_exit_status(); res is
 * freed.  what may be NULL. */
__attribute__((noreturn)) void pg_die(const PGconn *conn, PGresult *res, const char *where,
				      const char *what);

/* Run sql (several statements allowed without params); die with pg_die()
 * unless it succeeds.  pg_exec returns the result of a query (the caller
 * PQclear()s it); pg_run discards it. */
PGresult *pg_exec(PGconn *c, const char *where, const char *sql);
void pg_run(PGconn *c, const char *where, const char *sql);
/* One statement with text parameters $1..$n bound, never pasted. */
PGresult *pg_exec_params(PGconn *c, const char *where, const char *sql, int n,
			 const char *const *vals);

/* Append name as a quoted identifier (PQescapeIdentifier). */
void pg_ident(struct buf *b, PGconn *c, const char *name, size_t n);

/* A table named "[schema.]table" on the command line; a part holding a dot
 * is written in double quotes, as field paths are ("my.schema".t). */
struct pg_table {
	char *schema; /* NULL when not given: the search_path decides */
	char *name;
	char *quoted;  /* "schema"."name", for SQL text */
	char *display; /* as given, for messages */
};
/* 0, or -1 with a message in err. */
int pg_table_parse(struct pg_table *t, PGconn *c, const char *spec, char *err, size_t errsz);
void pg_table_release(struct pg_table *t);
/* Does the table exist? (to_regclass, bound) */
int pg_table_exists(PGconn *c, const struct pg_table *t);

/* COPY ... TO STDOUT: start it, then take rows (each a text line with its
 * "\n", valid until the next call) until pg_copy_out_row() returns 0.  Any
 * failure dies with pg_die() and where. */
void pg_copy_out_start(PGconn *c, const char *where, const char *sql);
size_t pg_copy_out_row(PGconn *c, const char *where, const char **row);

/* COPY ... FROM STDIN: start it, put data (whole rows, in any chunks), end
 * it.  pg_copy_in_end() returns NULL on success, or the failed result (the
 * caller reads its context, PQclear()s it and dies). */
void pg_copy_in_start(PGconn *c, const char *where, const char *sql);
void pg_copy_in_put(PGconn *c, const char *where, const char *p, size_t n);
PGresult *pg_copy_in_end(PGconn *c, const char *where);

/* The state table: (name text primary key, value text, updated_at
 * timestamptz); a row whose value is NULL is an unset name.
 * pg_state_create() makes it if missing; pg_state_get() returns a new
 * string, or NULL when the name is unset or the table does not exist; lock
 * takes the row FOR UPDATE (for a read-modify-write in the caller's
 * transaction), inserting it unset first when it is missing, so that there
 * is a row to lock. */
void pg_state_create(PGconn *c, const struct pg_table *t);
char *pg_state_get(PGconn *c, const struct pg_table *t, const char *name, int lock);
void pg_state_set(PGconn *c, const struct pg_table *t, const char *name, const char *value);
/* A source's --from-state NAME: the offset set (offset.h) that a sink
 * committed under name, added to s; nothing when unset.  Dies with status
 * 65 when the stored value is not an offset set. */
struct offset_set;
void pg_state_offsets(PGconn *c, const struct pg_table *t, const char *name, struct offset_set *s);

#endif
