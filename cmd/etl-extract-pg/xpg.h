/*
 * xpg.h - etl-extract-pg's parts: main.c (options, a table or query
 * extracted through COPY) and follow.c (--follow: change data capture
 * through a logical replication slot, after a snapshot made with the same
 * COPY code).
 */
#ifndef ETL_XPG_H
#define ETL_XPG_H

#include <libpq-fe.h>

#include "buf.h"

/* The options of --follow (follow.c reads them). */
struct cdc_opts {
	int on;                 /* --follow */
	const char *slot;       /* --slot */
	int create_slot;        /* --create-slot */
	const char *from_state; /* --from-state */
	const char *state_db;   /* --state-db */
	const char *state_table;
	int64_t idle_exit_us; /* --idle-exit, 0: never */
	unsigned long retries;
	char **tables; /* every -t */
	size_t ntables;
};
extern struct cdc_opts fo;
extern const char *db;

/* Describe the rows of src_sql (the columns and their types), ready for
 * xpg_copy(); where names the source in messages. */
void xpg_describe(PGconn *c, const char *src_sql, const char *where);
/* Stream them through COPY: each record is written as head (the fields
 * that come first, "{..." without the closing brace; NULL: none) and the
 * columns, then handed to emit (NULL: written out).  Forget the
 * description after. */
void xpg_copy(PGconn *c, void (*head)(struct buf *rec, void *ctx),
	      void (*emit)(struct buf *rec, void *ctx), void *ctx);

/* --follow: runs until --idle-exit, a signal, or a failure. */
__attribute__((noreturn)) void follow(void);
/* The plain extract: the table or query in one snapshot, to the output. */
void xpg_extract(void);

#endif
