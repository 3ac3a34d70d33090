/*
 * load.h - the inside of etl-load-pg, shared by its files:
 *
 *   main.c       options, transactions, each record checked and sent, main
 *   columns.c    the table's columns; new columns' types for --create and
 *                --evolve
 *   copy.c       COPY into the table or the staging table; the upsert merge
 *   watermark.c  the state table; the greatest --watermark value, saved
 *                with the data
 *   offsets.c    --offsets: the stream offsets loaded, saved with the data
 *
 * One connection and one thread: the module-level state below is the state
 * of the one load the process does.
 */
#ifndef ETL_LOAD_H
#define ETL_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ndjson.h"
#include "pg.h"
#include "pgval.h"
#include "scan.h"

enum mode { APPEND, UPSERT, REPLACE };

/* ---- main.c: the options and the connection ---- */

extern enum mode mode;
extern const char *key_list, *state_key, *offsets_name;
extern PGconn *conn;
extern struct pg_table tbl;

/* ---- columns.c ---- */

struct col {
	char *name;
	size_t namelen;
	struct pg_type type;
	char *typname;
	int notnull;
	int hasdef; /* a default or an identity fills it when the COPY leaves it out */
	int copy;   /* in the current COPY column list */
	int is_key;
	int pending; /* --evolve: added by the current record, not yet in the table */
};

extern struct col *cols;
extern size_t ncols;
extern char **wanted; /* --columns, NULL-terminated; NULL for all */
extern char **keys;   /* --key */
extern size_t nkeys;

struct col *col_find(const char *name, size_t n);
/* Is the field one that --columns names (or is there no --columns)? */
int is_wanted(const char *name, size_t n);
void col_release(struct col *c);
/* Read the table's columns and their types; returns how many it has (0:
 * no such table). */
int load_columns(void);
void columns_release(void);

/* --create: the table made from the types of the first records, which are
 * kept here (held[0..nheld)) to be loaded first; 0 when there was no
 * record to make it from. */
struct held {
	char *line;
	size_t n;
	const char *file;
	uint64_t lineno;
};
extern struct held *held;
extern size_t nheld;
int create_table(struct ndjson *nd);

/* --evolve: a column for a new field, in memory only (pending) until the
 * record proves good; drop_pending() forgets those of a refused record. */
struct col *add_pending(const char *name, size_t n, struct span v);
void drop_pending(void);

/* ---- copy.c ---- */

extern int copying;        /* a COPY is open */
extern const char *target; /* the table COPY writes to: tbl.quoted or stage */
extern const char *stage;  /* upsert's staging table */

/* Open a COPY with the columns marked copy; send one row (its line from
 * rec, for the messages); end it, dying with the record's line when the
 * server refuses a row. */
void copy_start(void);
void copy_line(const struct record *rec, const struct buf *line);
void copy_end(void);
void copy_release(void);
/* upsert: create the staging table; merge what it holds into the table. */
void setup_stage(void);
void merge(void);

/* ---- watermark.c ---- */

/* Take the --state-table (before any work: a malformed name is a usage
 * error); create it when missing (once); note a --watermark value; write
 * the greatest one noted to the state table, in the current transaction. */
extern struct pg_table state_tbl;
void wm_setup(const char *spec);
void state_create(void);
void wm_see(struct span v);
void wm_save(void);
void wm_release(void);

/* ---- offsets.c ---- */

/* Read the committed offset set (before the first transaction).  Judge a
 * record by its _off value v: 1 to load it (its offset joins the open
 * transaction's), 0 when it is already loaded (skipped, counted) or bad
 * (rejected).  off_save() merges the transaction's offsets into the stored
 * set, in the transaction; off_committed() after its COMMIT. */
void off_setup(void);
int off_see(struct ndjson *nd, const struct record *rec, struct span v);
int off_pending(void);
void off_save(void);
void off_committed(void);
void off_release(void);

#endif
