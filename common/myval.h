/*
 * myval.h - MySQL and MariaDB values as JSON: the text a server sends for
 * each column type (the text protocol), reshaped into the JSON value that
 * means the same.  Pure functions: no connection needed.
 */
#ifndef ETL_MYVAL_H
#define ETL_MYVAL_H

#include <stddef.h>

#include "buf.h"

/* How a column type maps to JSON. */
enum my_kind {
	MYK_TEXT,      /* character data (in the connection's UTF-8): a string */
	MYK_INT,       /* every integer width, signed or not, and YEAR: a number */
	MYK_DECIMAL,   /* DECIMAL: an exact number, every digit and the scale kept */
	MYK_DOUBLE,    /* DOUBLE: shortest round-trip number */
	MYK_FLOAT,     /* FLOAT, sent widened to DOUBLE: shortest number that reads
			  back to the same single-precision value */
	MYK_BIT,       /* BIT(n): its bytes, big-endian, as an unsigned number */
	MYK_BINARY,    /* binary strings, BLOBs, GEOMETRY: base64 */
	MYK_DATE,      /* "2026-11-24" */
	MYK_DATETIME,  /* "2026-11-24T18:30:00.5", no zone; the fraction only
			  when there is one, without its trailing zeros */
	MYK_TIMESTAMP, /* the same in UTC (the session's time zone), with "Z" */
	MYK_TIME,      /* "18:30:00", "-838:59:59.5": as the server writes it,
			  the fraction as for DATETIME */
	MYK_JSON,      /* a JSON column: the value itself, on one line */
};

/* The kind of a column, from its MYSQL_FIELD: type (enum_field_types),
 * flags, charsetnr (63 is binary) and whether the server's extended
 * metadata calls its format "json". */
enum my_kind my_kind_of(int type, unsigned flags, unsigned charsetnr, int is_json);
/* The column type's SQL name, for messages ("bigint unsigned"). */
const char *my_type_name(int type, unsigned flags, unsigned charsetnr);

/* Append the JSON value for a non-NULL value in the server's text form.
 * Text that is not what the kind expects (a number that is not a JSON
 * number, a zero date) becomes a JSON string of the text as it is, so the
 * output is always valid JSON.  -1, with nothing appended, when the value
 * cannot be written without changing it: text that is not valid UTF-8 (in
 * any kind but MYK_BINARY and MYK_BIT, whose values are bytes), a JSON
 * column holding text that is not JSON. */
int my_text_to_json(struct buf *b, enum my_kind k, const char *s, size_t n);

/* A watermark for a DATETIME or TIMESTAMP column in the server's input
 * form ("2026-11-24 18:30:00.000000") from ISO-8601 text: for a TIMESTAMP
 * an offset is applied (UTC when none is given); a DATETIME has no zone,
 * and a value with one is refused.  0, or -1 with a message in err. */
int my_iso_to_datetime(struct buf *b, const char *s, int timestamp, char *err, size_t errsz);

/* Shortest decimal text that reads back (strtof) to exactly f, in JSON
 * form; 0 for NaN and infinities (nothing written).  buf holds 32 bytes. */
size_t my_float_shortest(float f, char *buf);

#endif
