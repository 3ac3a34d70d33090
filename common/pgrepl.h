/*
 * pgrepl.h - PostgreSQL's streaming replication protocol on a replication
 * connection (pg_connect_replication()): a logical slot made with an
 * exported snapshot, START_REPLICATION, and the CopyBoth stream that
 * follows: XLogData ('w') messages handed to the caller, primary keepalives
 * ('k') answered here, standby status updates ('r') sent with the position
 * the caller allows.
 *
 * Invariant: the flush position reported to the server is never more than
 * what the caller set with pg_repl_confirm(): the slot keeps every change
 * after it, so a restart can resume there.  Received data never moves it.
 */
#ifndef ETL_PGREPL_H
#define ETL_PGREPL_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct pg_repl {
	PGconn *c;
	uint64_t received;      /* the end of the latest XLogData */
	uint64_t confirmed;     /* flush position reported (pg_repl_confirm) */
	int64_t last_status_us; /* when the latest status update went */
	char *msg;              /* the message last handed out (PQfreemem) */
};

/* CREATE_REPLICATION_SLOT slot LOGICAL plugin (SNAPSHOT 'export'): 0 with
 * the consistent point and the exported snapshot's name (a new string), or
 * -1 with the result (the caller reads it and PQclear()s it) in *res. */
int pg_repl_create_slot(PGconn *c, const char *slot, const char *plugin, uint64_t *consistent,
			char **snapshot, PGresult **res);

/* START_REPLICATION SLOT slot LOGICAL start (opts), opts a NULL-terminated
 * list of name, value pairs, each quoted.  0, or -1 with *res as above. */
int pg_repl_start(struct pg_repl *r, PGconn *c, const char *slot, uint64_t start,
		  const char *const *opts, PGresult **res);

/* The next XLogData message within timeout_ms: 1 with its WAL start and the
 * data (valid until the next call, NUL-terminated), 0 on timeout, -1 when
 * the stream failed or ended (the connection is then to be closed: a
 * message in pg_message(c, NULL)).  Keepalives are answered on the way,
 * and a status update goes at least every 10 s. */
int pg_repl_recv(struct pg_repl *r, int timeout_ms, uint64_t *start, const char **data, size_t *n);

/* Allow the server to forget changes before lsn (never moves back), and
 * tell it now.  0, or -1 when sending failed. */
int pg_repl_confirm(struct pg_repl *r, uint64_t lsn);

/* Drop the stream's message and end the copy. */
void pg_repl_release(struct pg_repl *r);

#endif
