/*
 * pgval.h - PostgreSQL values as text: fields of COPY's text format, and
 * the mapping between a column's text form and a JSON value, both ways.
 * Pure functions: no connection needed.
 */
#ifndef ETL_PGVAL_H
#define ETL_PGVAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "scan.h"

/* Append s as a field of COPY's text format (backslash, tab, newline and
 * carriage return escaped). */
void pg_copy_escape(struct buf *b, const char *s, size_t n);
/* Decode a field of COPY's text format in place: returns the new length. */
size_t pg_copy_unescape(char *s, size_t n);

/* How a PostgreSQL type maps to JSON. */
enum pg_kind {
	PGK_OTHER,   /* anything else: the text form, as a JSON string */
	PGK_INT,     /* smallint, integer, bigint, oid: a JSON number */
	PGK_NUMERIC, /* an exact JSON number; NaN and infinities as strings */
	PGK_FLOAT,   /* real, double precision: shortest round-trip number */
	PGK_BOOL,
	PGK_TEXT,  /* text, varchar, char, name */
	PGK_DATE,  /* "2026-11-24" */
	PGK_TSTZ,  /* "2026-11-24T18:30:00Z" */
	PGK_TS,    /* "2026-11-24T18:30:00" */
	PGK_TIME,  /* "18:30:00" */
	PGK_JSON,  /* json: embedded */
	PGK_JSONB, /* jsonb: embedded */
	PGK_BYTEA, /* base64 */
	PGK_UUID,
	PGK_ARRAY, /* a JSON array */
};

/* A column's type, as the loader needs it to check values. */
struct pg_type {
	unsigned oid; /* after resolving a domain to its base type */
	int typmod;   /* -1 if none */
	enum pg_kind kind;
	unsigned elem; /* arrays: the element type */
	enum pg_kind elem_kind;
	int elem_typmod;
	const char *name; /* format_type(), for messages */
};

/* The kind of a built-in type by OID; PGK_OTHER for others (arrays are
 * recognised by the caller from pg_type.typcategory). */
enum pg_kind pg_kind_of(unsigned oid);

/* Append the JSON value for a value in PostgreSQL's text output form
 * (already COPY-unescaped), in a session set up by pg_connect(). */
void pg_text_to_json(struct buf *b, enum pg_kind k, const char *s, size_t n);

/* Append the JSON array for an array's text output ("{1,NULL,3}",
 * "{{a,\"b c\"}}", "[0:1]={1,2}"), each element as to_json() writes it
 * (elem its kind); tmp is scratch space.  0, or -1 (b as it was) when the
 * text is not an array literal. */
int pg_array_text_to_json(struct buf *b, enum pg_kind elem, const char *s, size_t n,
			  struct buf *tmp);

/* Append the PostgreSQL input text for the raw JSON value v (validated
 * JSON, not null) in a column of type t, checking that the server will take
 * it unchanged: integers in range, numerics within precision and scale
 * (never rounded), dates and times well-formed, text without NUL and within
 * its length limit, base64 for bytea, JSON arrays for arrays.  0, or -1 with
 * a message in err. */
int pg_json_to_text(struct buf *b, const struct pg_type *t, struct span v, char *err, size_t errsz);

/* A date, or a date and time, in ISO-8601 form (the time separated by 'T'
 * or a space; seconds, up to six fractional digits and the zone optional):
 * 0 and the microseconds since the epoch (UTC; no zone counts as UTC), or -1
 * (also for the year 0000, which PostgreSQL refuses).
 * *has_time says whether a time was given; *has_zone is 0 (none), 1 (Z or a
 * zero offset) or 2 (another offset). */
int pg_parse_iso(const char *s, size_t n, int64_t *us, int *has_time, int *has_zone);

#endif
