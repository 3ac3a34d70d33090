/*
 * wal2json.h - the messages of the wal2json output plugin (format version
 * 2: one JSON object per message) and their values as the records of
 * etl-extract-pg --follow.
 *
 * A message is {"action":"B|C|I|U|D|T|M", ...}: B and C open and close a
 * transaction and, with include-lsn, carry its commit LSN ("lsn", where the
 * commit record starts) and its end ("nextlsn"); I, U and D carry "schema",
 * "table", the new row in "columns" and the replica identity in "identity"
 * (old key of an update, key of a delete), each column an object
 * {"name","type","typeoid","value"} whose value is a JSON number or boolean
 * for numeric and boolean types, a string (the type's text output) for the
 * others, or null.
 *
 * Pure functions over spans of the message: no connection, no allocation
 * but the caller's buffers.  Every span a parse returns points into the
 * message.
 */
#ifndef ETL_WAL2JSON_H
#define ETL_WAL2JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "pgval.h"
#include "scan.h"

struct w2j_msg {
	char action;                   /* 'B', 'C', 'I', 'U', 'D', 'T', 'M' */
	uint64_t lsn, nextlsn;         /* 0 when absent */
	struct span timestamp;         /* raw JSON string, or {NULL, 0} */
	struct span schema, table;     /* raw JSON strings, or {NULL, 0} */
	struct span columns, identity; /* raw JSON arrays, or {NULL, 0} */
};

struct w2j_col {
	struct span name;  /* raw JSON string */
	unsigned typeoid;  /* 0 when absent */
	struct span value; /* raw JSON value */
};

/* Parse the message p[0..n): 0, or -1 with a static message in *err (not
 * JSON, not an object, an unknown action, a field of the wrong type, an
 * LSN that is not "X/Y", a change without its table). */
int w2j_parse(const char *p, size_t n, struct w2j_msg *m, const char **err);

/* The next column of a "columns" or "identity" array: 1, 0 at the end, or
 * -1 with *err when an element is not a column object. */
int w2j_col_next(struct scan_iter *it, struct w2j_col *c, const char **err);

/* "16/B374D848" to a 64-bit LSN: 0, or -1 when malformed. */
int w2j_lsn_parse(const char *s, size_t n, uint64_t *lsn);
/* Append the LSN in PostgreSQL's "16/B374D848" form. */
void w2j_lsn_format(struct buf *b, uint64_t lsn);

/* Append the JSON form of a column's value, the same as a plain extract of
 * the column (pg_text_to_json()): kind is the column type's, elem the
 * element kind when kind is PGK_ARRAY.  tmp is two scratch buffers, kept
 * by the caller from one value to the next so that none is allocated.  0, or -1
 * with *err when the value does not fit the kind (a string where a number
 * was due, a malformed array). */
int w2j_value_json(struct buf *b, enum pg_kind kind, enum pg_kind elem, struct span v,
		   struct buf *tmp, const char **err);

#endif
