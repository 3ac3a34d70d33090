/*
 * cast.h - converting values to a type: the one set of rules behind
 * etl-from-csv --types (a CSV field's text) and etl-map --cast (a JSON
 * value), so that a column typed on the way in and a field cast later give
 * the same JSON for the same text.
 *
 * Text (a CSV field, the content of a JSON string) converts by these rules;
 * the result is appended as JSON text, and text already in the type's
 * written form is kept byte for byte:
 *
 *   string     the text as a JSON string.
 *   int        a number (as for decimal) whose value is an integer, of any
 *              size: "+007" is 7, "7.0" is 7, "1e2" is 100, "-0" is 0;
 *              "7.5" is not an integer.  Written as digits with a '-' when
 *              negative.  With an exponent the value must fit 38 digits.
 *   decimal    an optional sign, digits (leading zeros allowed), optionally
 *              a point with digits on both sides (".5" and "5." are not
 *              numbers) and an exponent.  Written exactly in plain notation,
 *              keeping the number of decimals: "+007.50" is 7.50, "1.5e2" is
 *              150, "-0.00" is 0.00.  Beyond 38 significant digits (or 38
 *              decimals) the digits are kept as written; with an exponent the
 *              value must fit 38 digits (no exponent is ever written).
 *   float      a number as for decimal, read as the nearest binary double
 *              and written in the shortest form that reads back to it
 *              ("0.10" is 0.1); an infinite one ("1e400") is refused.
 *   bool       true, false, yes, no, 1, 0 in any case: true or false.
 *   date       an ISO-8601 date YYYY-MM-DD that exists, or a timestamp as
 *              below, whose date as written (at its own offset) is kept:
 *              "2026-11-24T23:30:00-05:00" is "2026-11-24".
 *   timestamp  an ISO-8601 date and time as timefmt_parse_iso() reads it:
 *              a date alone (midnight), 'T' or a space, HH:MM, optional
 *              :SS and a fraction ('.' or ','; every digit kept), and an
 *              offset Z, +HH, +HHMM or +HH:MM; no offset is UTC.  Written
 *              as "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM)": "2026-11-24
 *              18:30" is "2026-11-24T18:30:00Z".
 *   json       a JSON value (RFC 8259), written without the white space
 *              between its tokens; at most SCAN_MAX_DEPTH - 1 levels deep,
 *              so that a record holding it is one a reader accepts.
 *
 * A JSON value converts by its kind: a string by its decoded text as above;
 * a number by its text, except that for date and timestamp it counts the
 * seconds since 1970-01-01T00:00:00Z (to the microsecond), for bool it is
 * true when nonzero and for string it is its text as a string; true and
 * false are themselves as bool, 1 and 0 as int, "true" and "false" as
 * string, and not numbers otherwise; an array or an object becomes only a
 * string (its compact text) or json; and any value but a string is itself
 * as json (a string is JSON text to read, as above).
 *
 * Nothing here allocates except to grow the output and scratch buffers.
 */
#ifndef ETL_CAST_H
#define ETL_CAST_H

#include <stddef.h>

#include "buf.h"
#include "path.h"
#include "scan.h"

enum cast_type {
	CAST_STRING,
	CAST_INT,
	CAST_DECIMAL,
	CAST_FLOAT,
	CAST_BOOL,
	CAST_DATE,
	CAST_TIMESTAMP,
	CAST_JSON,
	CAST_NTYPES
};

/* The names, for a message about an unknown one. */
#define CAST_TYPE_LIST "string, int, decimal, float, bool, date, timestamp or json"

/* The type named [s, s+n) ("int"), or -1. */
int cast_type_parse(const char *s, size_t n);
const char *cast_type_name(int t);
/* What a value of type t must be, for messages: "an int", "a date
 * (YYYY-MM-DD)". */
const char *cast_expects(int t);

/* One FIELD=TYPE of a list: etl-from-csv --types, etl-map --cast. */
struct cast_spec {
	struct path path; /* the field (owned) */
	int type;
	size_t col; /* 1-based column of the field in the option, for messages */
};

/*
 * Parse the list "FIELD=TYPE,FIELD=TYPE" (fields are paths, as path.h reads
 * them; types the names above) and append its entries to *specs, which holds
 * *n.  A field named twice, in this list or among the entries already there,
 * is an error.  Returns 0, or -1 with a message naming the column in err
 * ("column 9: unknown type 'integer' (string, ...)"); *specs and *n are
 * then as they were.  The one parser of such lists, so that every program
 * says the same of the same mistake.
 */
int cast_list_parse(const char *s, struct cast_spec **specs, size_t *n, char *err, size_t errsz);
/* Release the paths of specs[0..n) and the array. */
void cast_list_free(struct cast_spec *specs, size_t n);

/* Convert text [s, s+n) (valid UTF-8; s[n] must be readable and hold '\0',
 * as buf and libcsv's fields provide) to type t, appending its JSON text to
 * out.  NULL, or why not ("not an integer"), static text; out is then
 * unchanged. */
const char *cast_text(struct buf *out, int t, const char *s, size_t n);
/* Convert the validated raw JSON value v (not null, not absent) to type t,
 * appending its JSON text to out; tmp is scratch (its content is lost).
 * NULL, or why not ("an array"), static text. */
const char *cast_json(struct buf *out, int t, struct span v, struct buf *tmp);

#endif
