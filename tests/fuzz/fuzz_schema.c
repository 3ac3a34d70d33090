/*
 * fuzz_schema.c - libFuzzer target for common/schema.c and common/format.c:
 * schema compilation and validation.
 *
 * The input is a schema and a value separated by the first NUL byte (the
 * whole input is the schema when there is none; the value is then the
 * schema itself).  Invariants checked (abort() on a violation):
 *
 *   - schema_load_text() either compiles the schema or fails with a place
 *     and a message, leaving nothing to free;
 *   - a compiled schema validates any JSON value without crashing, and
 *     gives the same verdict with and without SCHEMA_ERRORS;
 *   - an invalid value has at least one error when errors are asked for,
 *     each with a rule, a path, a schema path and a message, and a valid
 *     value has none;
 *   - on an object without repeated keys, schema_check_fields() with the
 *     members that schema_fields() names gives schema_check()'s verdict;
 *   - format_check() on the value's bytes never crashes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "format.h"
#include "scan.h"
#include "schema.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static const char *const formats[] = {"date",
				      "time",
				      "date-time",
				      "duration",
				      "email",
				      "hostname",
				      "ipv4",
				      "ipv6",
				      "uri",
				      "uri-reference",
				      "uuid",
				      "regex",
				      "json-pointer",
				      "relative-json-pointer",
				      NULL};

/* schema_check_fields() agrees with verdict on an object whose keys are
 * all distinct (a repeated key counts once there, with its last value). */
static void fields_agree(struct schema *s, struct span v, int verdict)
{
	const char *const *names;
	const size_t *lens;
	size_t n = schema_fields(s, &names, &lens);
	struct span vals[32], k, e, k2, e2;
	struct scan_iter it, j;

	if (!n || n > 32 || scan_kind(v) != SCAN_OBJECT)
		return;
	for (size_t i = 0; i < n; i++)
		vals[i] = (struct span){NULL, 0};
	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &k, &e)) {
		struct buf key = BUF_INIT;

		j = it;
		scan_unescape(&key, k.p, k.n);
		while (scan_iter_next(&j, &k2, &e2))
			if (scan_key_eq(k2, key.p ? key.p : "", key.len)) {
				buf_release(&key);
				return;
			}
		for (size_t i = 0; i < n; i++)
			if (scan_key_eq(k, names[i], lens[i]))
				vals[i] = e;
		buf_release(&key);
	}
	check(schema_check_fields(s, v, vals, 0) == verdict);
	check(schema_check_fields(s, v, vals, SCHEMA_ERRORS) == verdict);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, 0, size);
	size_t ns = nul ? (size_t)(nul - (const char *)data) : size;
	char *value = NULL;
	size_t nv;
	struct schema_cerr err;
	struct schema_opts o = {NULL, NULL, 0, 0, 0};
	struct schema *s;
	struct scan_err serr;

	if (nul) {
		nv = size - ns - 1;
		value = malloc(nv + 1);
		memcpy(value, nul + 1, nv);
	} else {
		nv = ns;
		value = malloc(nv + 1);
		memcpy(value, data, nv);
	}
	value[nv] = '\0';
	for (size_t i = 0; formats[i]; i++)
		format_check(formats[i], value, nv);
	s = schema_load_text((const char *)data, ns, "urn:fuzz", &o, &err);
	if (!s) {
		check(err.msg[0] != '\0');
	} else if (scan_value(value, nv, &serr) == 0) {
		struct span v = {value, nv};
		int a = schema_check(s, v, 0), b = schema_check(s, v, SCHEMA_ERRORS);
		const struct schema_error *e;
		size_t n;

		check(a == b);
		e = schema_errors(s, &n);
		check(a ? n == 0 : n > 0);
		for (size_t i = 0; i < n; i++)
			check(e[i].rule && e[i].path && e[i].schema_path && e[i].message);
		fields_agree(s, v, a);
	}
	schema_free(s);
	free(value);
	return 0;
}
