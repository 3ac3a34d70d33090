/*
 * body.h - the records of an API response's body.
 *
 * A JSON body is validated whole (scan_value), then its records are found
 * by a records path: "data.items" (the array, or the single object, at that
 * path), "." (the body itself), "data[*].attributes" (a path into each
 * element of the array at "data").  An array holds one record per element;
 * an object is one record; a missing value or null holds none.  An NDJSON
 * body holds one record per line, blank lines skipped.  Records are handed
 * out as spans into the body, never copied: a record's numbers and strings
 * keep their bytes.  Anything else (invalid JSON, an element that is not an
 * object) is an error with the body's byte offset of the fault.
 */
#ifndef ETL_BODY_H
#define ETL_BODY_H

#include <stddef.h>

#include "path.h"
#include "scan.h"

enum body_format { BODY_JSON, BODY_NDJSON };

struct body_spec {
	struct path pre;  /* to the records (or to the array of "[*]") */
	struct path post; /* with "[*]": into each element */
	int star;
};

/* Parse a records path; "." or "" is the body itself.  0, or -1 with a
 * static message and the 0-based offset of the fault. */
int body_spec_parse(struct body_spec *s, const char *text, const char **err, size_t *erroff);
void body_spec_release(struct body_spec *s);

struct body_err {
	size_t off; /* 0-based byte offset in the body */
	const char *msg;
	int syntax; /* msg says how the text breaks JSON's grammar */
};

/* Call fn(ctx, record) for each record of the body [p, p+n), p[n] == '\0'.
 * *root is set to the whole (validated) body for a JSON body, or to an
 * empty span for NDJSON (whose lines get a NUL written after them in turn
 * and restored).  Returns the number of records, or -1 with *err
 * set and no record handed out. */
typedef void (*body_fn)(void *ctx, struct span rec);
long body_records(char *p, size_t n, enum body_format f, const struct body_spec *s, body_fn fn,
		  void *ctx, struct span *root, struct body_err *err);

#endif
