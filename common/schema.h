/*
 * schema.h - JSON Schema (draft 2020-12) compiled once, checked per value.
 *
 * schema_load() reads a schema document, follows its $refs (relative ones
 * against the document's own URI, absolute ones through the URI prefix ->
 * folder map of the options, the draft 2020-12 meta-schemas built in; never
 * the network), checks each document against its meta-schema, and compiles
 * the whole into a plan: one node per subschema, with the keywords a node
 * holds already taken apart.  schema_check() then validates a value given
 * as validated JSON text (a span from the scanner): numbers are compared as
 * their text, exactly, and strings are decoded only when a keyword looks at
 * them.  Nothing is allocated per value outside the schema's own arena,
 * which each call resets.
 *
 * Errors: schema_load() returns NULL and fills struct schema_cerr with the
 * document and the JSON pointer of the problem; schema_check() with
 * SCHEMA_ERRORS collects every violation (keyword, instance pointer, schema
 * pointer, message), valid until the next call.
 */
#ifndef ETL_SCHEMA_H
#define ETL_SCHEMA_H

#include <stddef.h>

#include "scan.h"

struct schema;

struct schema_opts {
	/* URI prefix -> folder: a URI starting with map_prefix[i] is the file
	 * map_dir[i]/REST. */
	const char *const *map_prefix;
	const char *const *map_dir;
	size_t nmap;
	int format_annotation; /* 1: format is an annotation only */
	int no_meta_check;     /* 1: do not check documents against their meta-schema */
};

struct schema_cerr {
	char where[512]; /* "FILE" or "FILE#/pointer" of the problem */
	char msg[512];
};

/* Load and compile the schema in the file path; NULL with *err filled. */
struct schema *schema_load(const char *path, const struct schema_opts *opts,
			   struct schema_cerr *err);
/* The same from text [p, p+n) whose URI is uri (its relative references
 * resolve against it). */
struct schema *schema_load_text(const char *p, size_t n, const char *uri,
				const struct schema_opts *opts, struct schema_cerr *err);
void schema_free(struct schema *s);

struct schema_error {
	const char *rule;        /* the keyword: "minimum", "required", ... */
	const char *path;        /* JSON pointer into the value: "/items/0/qty" */
	const char *schema_path; /* JSON pointer of the keyword in the schema */
	const char *message;
};

enum { SCHEMA_ERRORS = 1 };

/* Validate a JSON value (validated text, as the scanner hands out).
 * Returns 1 when valid, 0 when not; with SCHEMA_ERRORS in flags every
 * violation is collected for schema_errors(). */
int schema_check(struct schema *s, struct span value, unsigned flags);
/* When the schema looks at an object value only through the members that
 * properties and required name (no additionalProperties, allOf, $ref...
 * at its root), those names: a program can have the scanner hand back
 * their values in its one pass (scan_want) and call schema_check_fields()
 * with them, so the value is not walked again.  0 otherwise.  A name given
 * twice counts once, with its last value, as the scanner's lookups do. */
size_t schema_fields(const struct schema *s, const char *const **names, const size_t **lens);
/* schema_check() with vals[i] the value of member names[i] of value (p ==
 * NULL when missing); the same as schema_check() when value is not an
 * object or schema_fields() is 0.  Violations are listed in the order of
 * the schema's keywords. */
int schema_check_fields(struct schema *s, struct span value, const struct span *vals,
			unsigned flags);
/* The violations of the last schema_check() with SCHEMA_ERRORS. */
const struct schema_error *schema_errors(const struct schema *s, size_t *n);

/* Is text [p, p+n) valid for the named format ("date", "ipv4", ...)?  1
 * valid, 0 invalid, -1 unknown format (any value is valid). */
int schema_format_check(const char *format, const char *p, size_t n);

#endif
