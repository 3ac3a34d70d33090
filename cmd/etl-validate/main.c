/*
 * etl-validate - pass on the records that a JSON Schema and the record
 * rules accept, byte for byte; divert the others with every reason; fail
 * the run when the data as a whole does not meet its expectations.
 *
 * The schema is compiled once (common/schema.h: draft 2020-12, exact
 * numbers, $refs resolved from files, never from the network); each record
 * is validated from the scanner's spans (the fields the schema's root
 * names come from the scanner's own pass when that is all it looks at),
 * and each --check rule is an expression (common/expr.h) evaluated on the
 * record's fields.  A record that fails anything goes to --rejects as one
 * line
 *   {"file":..,"line":..,"errors":[{"rule","path","schema_path","message"}],"record":{..}}
 * listing every violation, or is only counted without --rejects.  The
 * data-set expectations (expect.c) see every record; with any of them the
 * valid records are held by the gate (gate.c) and written only when every
 * fail check holds.  --rules reads all of this from a JSON file.
 * Invariants:
 *  - A valid record is written as the input line's bytes, or not at all.
 *  - Every record read is written (records_out), invalid or held by a gate
 *    that failed (dropped), or bad (not JSON: the --bad-records policy):
 *    records_in = out + bad + dropped.
 *  - The reject file is replaced atomically when the run ends (also when a
 *    check failed: it says why), and removed when the run fails otherwise.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "cli.h"
#include "die.h"
#include "expr.h"
#include "jsonw.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "scan.h"
#include "schema.h"
#include "shard.h"
#include "stats.h"
#include "utf8.h"
#include "validate.h"
#include "banned.h"

enum {
	OPT_SCHEMA = 1,
	OPT_AT,
	OPT_RESOLVE,
	OPT_FORMAT_ANNOTATION,
	OPT_CHECK,
	OPT_REJECTS,
	OPT_GATE,
	OPT_MEMORY,
	OPT_TEMP_DIR,
	OPT_REPORT,
	OPT_RULES,
	OPT_PARTIAL,
	OPT_MERGE,
	OPT_STRICT,
};

static const struct cli_opt opts[] = {
	{OPT_SCHEMA, "schema", 0, CLI_ARG, "FILE", "validate against this JSON Schema (2020-12)"},
	{OPT_AT, "at", 0, CLI_ARG, "PATH", "validate the value at PATH, not the whole record"},
	{OPT_RESOLVE, "resolve", 0, CLI_ARG, "PREFIX=DIR",
	 "read the schemas whose URI starts with PREFIX from DIR"},
	{OPT_FORMAT_ANNOTATION, "format-annotation", 0, CLI_NOARG, NULL,
	 "format is an annotation only, not checked"},
	{OPT_CHECK, "check", 'c', CLI_ARG, "'NAME: EXPR'",
	 "a record rule: EXPR must be true (repeatable)"},
	{OPT_REJECTS, "rejects", 0, CLI_ARG, "FILE",
	 "write the invalid records there, with every reason"},
	{OPT_UNIQUE, "unique", 0, CLI_ARG, "FIELDS", "expect no two records with the same FIELDS"},
	{OPT_NOT_NULL, "not-null", 0, CLI_ARG, "FIELD[:MOSTLY]",
	 "expect FIELD set in all records (or in the share MOSTLY)"},
	{OPT_ROWS, "rows", 0, CLI_ARG, "MIN..MAX", "expect between MIN and MAX records"},
	{OPT_FRESH, "fresh", 0, CLI_ARG, "FIELD:DURATION",
	 "expect the newest time in FIELD at most DURATION old"},
	{OPT_DISTINCT, "distinct", 0, CLI_ARG, "FIELD:MIN..MAX",
	 "expect between MIN and MAX distinct values of FIELD"},
	{OPT_ACCEPTED, "accepted", 0, CLI_ARG, "FIELD:V1,V2,...",
	 "expect every value of FIELD among V1, V2, ..."},
	{OPT_RANGE, "range", 0, CLI_ARG, "FIELD:MIN..MAX",
	 "expect every value of FIELD a number from MIN to MAX"},
	{OPT_MAX_INVALID, "max-invalid", 0, CLI_ARG, "N|P%",
	 "expect at most N (or P percent) invalid records"},
	{OPT_UNIQUE + OPT_WARN, "warn-unique", 0, CLI_ARG, "FIELDS", "--unique, only a warning"},
	{OPT_NOT_NULL + OPT_WARN, "warn-not-null", 0, CLI_ARG, "FIELD[:MOSTLY]",
	 "--not-null, only a warning"},
	{OPT_ROWS + OPT_WARN, "warn-rows", 0, CLI_ARG, "MIN..MAX", "--rows, only a warning"},
	{OPT_FRESH + OPT_WARN, "warn-fresh", 0, CLI_ARG, "FIELD:DURATION",
	 "--fresh, only a warning"},
	{OPT_DISTINCT + OPT_WARN, "warn-distinct", 0, CLI_ARG, "FIELD:MIN..MAX",
	 "--distinct, only a warning"},
	{OPT_ACCEPTED + OPT_WARN, "warn-accepted", 0, CLI_ARG, "FIELD:V1,V2,...",
	 "--accepted, only a warning"},
	{OPT_RANGE + OPT_WARN, "warn-range", 0, CLI_ARG, "FIELD:MIN..MAX",
	 "--range, only a warning"},
	{OPT_SCHEMA_DRIFT, "schema-drift", 0, CLI_ARG, "FILE",
	 "expect the fields and types saved in FILE by the last run that passed"},
	{OPT_MAX_INVALID + OPT_WARN, "warn-max-invalid", 0, CLI_ARG, "N|P%",
	 "--max-invalid, only a warning"},
	{OPT_SCHEMA_DRIFT + OPT_WARN, "warn-schema-drift", 0, CLI_ARG, "FILE",
	 "--schema-drift, only a warning"},
	{OPT_GATE, "gate", 0, CLI_NOARG, NULL,
	 "hold the valid records until every check holds (default with expectations)"},
	{OPT_MEMORY, "memory", 0, CLI_ARG, "SIZE",
	 "held records kept in memory before spilling to a temporary file (default 256M)"},
	{OPT_TEMP_DIR, "temp-dir", 0, CLI_ARG, "DIR", "where to spill (default: $TMPDIR or /tmp)"},
	{OPT_REPORT, "report", 0, CLI_ARG, "FILE",
	 "write the verdict of every check there, as JSON"},
	{OPT_RULES, "rules", 0, CLI_ARG, "FILE",
	 "read the schema, rules and expectations from a JSON file"},
	{OPT_PARTIAL, "partial", 0, CLI_ARG, "FILE",
	 "write the expectations' states to FILE instead of deciding them"},
	{OPT_MERGE, "merge", 0, CLI_NOARG, NULL,
	 "the FILEs are --partial states: merge them and decide"},
	{OPT_STRICT, "strict", 0, CLI_NOARG, NULL,
	 "a field a --check reads that no record had fails the run (exit 1)"},
	{0, NULL, 0, 0, NULL, NULL},
};

struct check {
	char *name;
	struct expr *e;
};

static const char *schema_file, *rejects_file;
static struct path at;
static int have_at;
static const char **map_prefix, **map_dir;
static size_t nmap;
static int format_annotation;
static struct check *checks;
static size_t nchecks;
static struct expr_fields efields;
static int gate;
static uint64_t memory;
static const char *temp_dir, *report_file, *partial_file;
static int merge;
static int memory_given, temp_dir_given;
static int strict;

static void add_check(const char *arg)
{
	const char *colon = strchr(arg, ':'), *src;
	struct expr_err err;
	struct check *c;
	size_t n;

	if (!colon)
		cli_usage_error(cli_optname, "expected 'NAME: EXPR'");
	n = (size_t)(colon - arg);
	for (size_t i = 0; i < n; i++) {
		char ch = arg[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			cli_usage_error(cli_optname,
					"column %zu: a rule name is letters, digits, '_' and '-'",
					i + 1);
	}
	if (!n)
		cli_usage_error(cli_optname, "column 1: expected a rule name before ':'");
	src = colon + 1;
	while (*src == ' ')
		src++;
	checks = xrealloc(checks, (nchecks + 1) * sizeof(*checks));
	c = &checks[nchecks++];
	c->name = xstrndup(arg, n);
	c->e = expr_parse(src, &efields, &err);
	if (!c->e) {
		if (err.col)
			cli_usage_error(cli_optname, "column %zu: %s",
					(size_t)(src - arg) + err.col, err.msg);
		cli_usage_error(cli_optname, "%s", err.msg);
	}
}

static void load_rules(const char *path);

static void on_opt(int id, const char *arg)
{
	const char *eq;

	switch (id) {
	case OPT_SCHEMA:
		if (schema_file)
			cli_usage_error(cli_optname, "given twice");
		schema_file = arg;
		break;
	case OPT_AT:
		if (have_at)
			cli_usage_error(cli_optname, "given twice");
		cli_path(cli_optname, arg, 0, 1, &at);
		have_at = 1;
		break;
	case OPT_RESOLVE:
		eq = strrchr(arg, '=');
		if (!eq || eq == arg || !eq[1])
			cli_usage_error(cli_optname, "expected PREFIX=DIR, got '%s'", arg);
		map_prefix = xrealloc(map_prefix, (nmap + 1) * sizeof(*map_prefix));
		map_dir = xrealloc(map_dir, (nmap + 1) * sizeof(*map_dir));
		map_prefix[nmap] = xstrndup(arg, (size_t)(eq - arg));
		map_dir[nmap++] = eq + 1;
		break;
	case OPT_FORMAT_ANNOTATION:
		format_annotation = 1;
		break;
	case OPT_CHECK:
		add_check(arg);
		break;
	case OPT_REJECTS:
		rejects_file = arg;
		break;
	case OPT_GATE:
		gate = 1;
		break;
	case OPT_MEMORY:
		memory = cli_size(cli_optname, arg, 1);
		memory_given = 1;
		break;
	case OPT_TEMP_DIR:
		temp_dir = arg;
		temp_dir_given = 1;
		break;
	case OPT_REPORT:
		report_file = arg;
		break;
	case OPT_RULES:
		load_rules(arg);
		break;
	case OPT_PARTIAL:
		partial_file = arg;
		break;
	case OPT_MERGE:
		merge = 1;
		break;
	case OPT_STRICT:
		strict = 1;
		break;
	default:
		expect_add(id, arg, &efields);
	}
}

/* ---- The rules file ----------------------------------------------------
 *
 * {"schema": FILE, "at": PATH, "format_annotation": true,
 *  "checks": {"NAME": "EXPR", ...},
 *  "expect": [{"not-null": "customer_id:0.99", "severity": "warn"}, ...]}
 *
 * Each entry is handled as the option of the same name would be, and a bad
 * one is reported with the file and the JSON pointer of the entry.  A
 * schema's file name is relative to the rules file.
 */

static char **kept; /* strings made from the rules file, freed at exit */
static size_t nkept;

static char *keep(char *s)
{
	kept = xrealloc(kept, (nkept + 1) * sizeof(*kept));
	return kept[nkept++] = s;
}

static char *rules_string(const char *where, struct span v)
{
	struct buf b = BUF_INIT;

	if (scan_kind(v) != SCAN_STRING)
		cli_usage_error(where, "expected a string");
	scan_string(&b, v);
	if (!b.p)
		buf_adds(&b, "");
	if (strlen(b.p) != b.len)
		cli_usage_error(where, "the string holds a NUL byte");
	return keep(buf_detach(&b, NULL));
}

/* "FILE#POINTER" for messages. */
static const char *rules_where(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *rules_where(const char *path, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	char ptr[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ptr, sizeof(ptr), fmt, ap);
	va_end(ap);
	buf_printf(&b, "%s#%s", path, ptr);
	return keep(buf_detach(&b, NULL));
}

static void rules_expect(const char *path, size_t i, struct span e)
{
	const char *w = rules_where(path, "/expect/%zu", i);
	struct scan_iter it;
	struct span k, v, arg = {NULL, 0};
	int id = -1, warn = 0;

	cli_optname = w;
	if (scan_kind(e) != SCAN_OBJECT)
		cli_usage_error(w, "expected an object such as {\"not-null\": \"FIELD\"}");
	scan_iter_init(&it, e);
	while (scan_iter_next(&it, &k, &v)) {
		if (k.n == 8 && !memcmp(k.p, "severity", 8)) {
			char *sev = rules_string(w, v);

			if (strcmp(sev, "warn") && strcmp(sev, "fail"))
				cli_usage_error(w, "severity is fail or warn, got '%s'", sev);
			warn = !strcmp(sev, "warn");
		} else if (id < 0 && expect_id(k.p, k.n) >= 0) {
			id = expect_id(k.p, k.n);
			arg = v;
		} else {
			cli_usage_error(w, "unknown or second check '%.*s'", (int)k.n, k.p);
		}
	}
	if (id < 0)
		cli_usage_error(w, "no check named");
	expect_add(id + (warn ? OPT_WARN : 0), rules_string(w, arg), &efields);
}

static void load_rules(const char *path)
{
	const char *saved = cli_optname;
	struct buf text = BUF_INIT;
	struct scan_err err = {0, NULL, 0};
	struct scan_iter it, j;
	struct span k, v, k2, e;
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		cli_usage_error(cli_optname, "%s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&text, chunk, n);
	fclose(f);
	if (!text.p)
		buf_adds(&text, "");
	if (scan_value(text.p, text.len, &err) < 0 ||
	    scan_kind((struct span){text.p, text.len}) != SCAN_OBJECT)
		cli_usage_error(cli_optname, "%s: not a JSON object%s%s", path, err.msg ? ": " : "",
				err.msg ? err.msg : "");
	scan_iter_init(&it, (struct span){text.p, text.len});
	while (scan_iter_next(&it, &k, &v)) {
		const char *w = rules_where(path, "/%.*s", (int)k.n, k.p);
		size_t i = 0;

		cli_optname = w;
		if (k.n == 6 && !memcmp(k.p, "schema", 6)) {
			char *s = rules_string(w, v);
			const char *slash = strrchr(path, '/');

			if (s[0] != '/' && slash) {
				struct buf b = BUF_INIT;

				buf_add(&b, path, (size_t)(slash - path) + 1);
				buf_adds(&b, s);
				s = keep(buf_detach(&b, NULL));
			}
			on_opt(OPT_SCHEMA, s);
		} else if (k.n == 2 && !memcmp(k.p, "at", 2)) {
			on_opt(OPT_AT, rules_string(w, v));
		} else if (k.n == 17 && !memcmp(k.p, "format_annotation", 17)) {
			if (scan_kind(v) != SCAN_TRUE && scan_kind(v) != SCAN_FALSE)
				cli_usage_error(w, "expected true or false");
			if (scan_kind(v) == SCAN_TRUE)
				on_opt(OPT_FORMAT_ANNOTATION, NULL);
		} else if (k.n == 6 && !memcmp(k.p, "checks", 6)) {
			if (scan_kind(v) != SCAN_OBJECT)
				cli_usage_error(w, "expected an object of \"NAME\": \"EXPR\"");
			scan_iter_init(&j, v);
			while (scan_iter_next(&j, &k2, &e)) {
				struct buf b = BUF_INIT;

				cli_optname = rules_where(path, "/checks/%.*s", (int)k2.n, k2.p);
				buf_printf(&b, "%.*s: %s", (int)k2.n, k2.p,
					   rules_string(cli_optname, e));
				add_check(keep(buf_detach(&b, NULL)));
			}
		} else if (k.n == 6 && !memcmp(k.p, "expect", 6)) {
			if (scan_kind(v) != SCAN_ARRAY)
				cli_usage_error(w, "expected an array of expectations");
			scan_iter_init(&j, v);
			while (scan_iter_next(&j, &k2, &e))
				rules_expect(path, i++, e);
		} else {
			cli_usage_error(w, "unknown entry (schema, at, format_annotation, checks, "
					   "expect)");
		}
	}
	buf_release(&text);
	cli_optname = saved;
}

static const struct cli_prog prog = {
	"etl-validate",
	"[--schema FILE] [--check 'NAME: EXPR'] [EXPECTATIONS] [OPTIONS] [FILE...]",
	"Pass on the records a JSON Schema and record rules accept; divert the others.",
	opts,
	CLI_SHARD,
	on_opt,
};

/* ---- The reject file --------------------------------------------------- */

static struct replace rej;
static int rej_open;
static struct buf rejbuf = BUF_INIT;

static void rej_write_out(void)
{
	size_t off = 0;

	while (off < rejbuf.len) {
		ssize_t k = write(rej.fd, rejbuf.p + off, rejbuf.len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			etl_die(ETL_EXIT_IOERR, rejects_file, "write error: %s", strerror(errno));
		off += (size_t)k;
	}
	buf_reset(&rejbuf);
}

static void rej_abort(int status)
{
	if (rej_open && status != 0) {
		replace_abort(&rej);
		free(rej.target);
		rej_open = 0;
	}
}

static void rej_start(void)
{
	if (replace_open(&rej, rejects_file) != 0)
		etl_die(ETL_EXIT_IOERR, rejects_file, "cannot open: %s", strerror(errno));
	rej_open = 1;
	etl_atexit(rej_abort);
}

static void rej_finish(void)
{
	int rc;

	if (!rej_open)
		return;
	rej_write_out();
	rc = replace_commit(&rej);
	free(rej.target);
	rej_open = 0;
	if (rc != 0)
		etl_die(ETL_EXIT_IOERR, rejects_file, "write error: %s", strerror(errno));
}

/* ---- Records ----------------------------------------------------------- */

static struct schema *schema;
static size_t *fidx, nfields; /* schema_fields(): their indexes in the record's values */
static struct span *fvals;
static struct arena scratch = ARENA_INIT;
static struct expr_ctx ctx;
static const struct record *cur;
static size_t at_idx;

static uint64_t invalid;
static char first_where[256], first_msg[600];

static struct span field_value(void *arg, size_t idx)
{
	(void)arg;
	return cur->vals[idx];
}

static struct buf errs = BUF_INIT;
static size_t nerrs;

static void error_add(const char *rule, const char *path, const char *schema_path, const char *msg)
{
	if (!nerrs) {
		snprintf(first_where, sizeof(first_where), "%s",
			 etl_where(cur->file, cur->lineno, 0));
		if (!schema_path)
			snprintf(first_msg, sizeof(first_msg), "--check %s: %s", rule, msg);
		else
			snprintf(first_msg, sizeof(first_msg), "%s%s%s", path, *path ? ": " : "",
				 msg);
	}
	if (nerrs++)
		buf_addc(&errs, ',');
	buf_adds(&errs, "{\"rule\":");
	jw_string(&errs, rule, strlen(rule));
	buf_adds(&errs, ",\"path\":");
	jw_string(&errs, path, strlen(path));
	buf_adds(&errs, ",\"schema_path\":");
	if (schema_path)
		jw_string(&errs, schema_path, strlen(schema_path));
	else
		buf_adds(&errs, "null");
	buf_adds(&errs, ",\"message\":");
	jw_string(&errs, msg, utf8_valid_prefix(msg, strlen(msg)));
	buf_addc(&errs, '}');
}

static int validate(const struct record *rec)
{
	struct span v = rec->line;
	struct expr_err err;
	struct val val;

	cur = rec;
	nerrs = 0;
	buf_reset(&errs);
	if (schema) {
		if (have_at) {
			v = rec->vals[at_idx];
			if (!v.p) {
				char msg[300];

				snprintf(msg, sizeof(msg), "the record has no field %s", at.text);
				error_add("at", "", NULL, msg);
			}
		}
		unsigned flags = rejects_file || !invalid ? SCHEMA_ERRORS : 0;
		int ok;

		if (v.p && nfields) {
			for (size_t i = 0; i < nfields; i++)
				fvals[i] = rec->vals[fidx[i]];
			ok = schema_check_fields(schema, v, fvals, flags);
		} else {
			ok = !v.p || schema_check(schema, v, flags);
		}
		if (!ok) {
			size_t n;
			const struct schema_error *e = schema_errors(schema, &n);

			for (size_t i = 0; i < n; i++)
				error_add(e[i].rule, e[i].path, e[i].schema_path, e[i].message);
			if (!n)
				error_add("schema", "", "", "the value is not valid");
		}
	}
	arena_reset(&scratch);
	for (size_t i = 0; i < nchecks; i++) {
		char msg[600];

		if (expr_eval(checks[i].e, &ctx, &val, &err) < 0) {
			snprintf(msg, sizeof(msg), "%s", err.msg);
			error_add(checks[i].name, "", NULL, msg);
		} else if (!val_true(&val)) {
			snprintf(msg, sizeof(msg), "not true: %s", expr_text(checks[i].e));
			error_add(checks[i].name, "", NULL, msg);
		}
	}
	if (!nerrs) {
		if (gate) {
			gate_hold(rec);
		} else {
			out_line(rec->line.p, rec->line.n);
			stats.records_out++;
		}
		return 1;
	}
	if (!invalid++)
		etl_warn(first_where, "%s", first_msg);
	stats.dropped++;
	if (rejects_file) {
		struct span line = scan_trim(rec->line);

		buf_adds(&rejbuf, "{\"file\":");
		jw_string(&rejbuf, rec->file, strlen(rec->file));
		buf_printf(&rejbuf, ",\"line\":%llu,\"errors\":[", (unsigned long long)rec->lineno);
		buf_add(&rejbuf, errs.p, errs.len);
		buf_adds(&rejbuf, "],\"record\":");
		buf_add(&rejbuf, line.p, line.n);
		buf_adds(&rejbuf, "}\n");
		if (rejbuf.len >= 1 << 16)
			rej_write_out();
	}
	return 0;
}

static void load_schema(void)
{
	struct schema_opts o = {map_prefix, map_dir, nmap, format_annotation, 0};
	struct schema_cerr err;

	schema = schema_load(schema_file, &o, &err);
	if (!schema)
		etl_die(ETL_EXIT_USAGE, "--schema", "%s: %s", err.where, err.msg);
	if (!have_at) {
		/* the fields the schema looks at come from the scanner's pass */
		const char *const *names;
		const size_t *lens;

		nfields = schema_fields(schema, &names, &lens);
		fidx = xmalloc((nfields + 1) * sizeof(*fidx));
		fvals = xmalloc((nfields + 1) * sizeof(*fvals));
		for (size_t i = 0; i < nfields; i++) {
			struct path_seg seg = {(char *)names[i], lens[i]};
			struct path p = {&seg, 1, (char *)names[i]};

			fidx[i] = expr_fields_add(&efields, &p);
		}
	}
}

static void release(void)
{
	schema_free(schema);
	free(fidx);
	free(fvals);
	for (size_t i = 0; i < nchecks; i++) {
		free(checks[i].name);
		expr_free(checks[i].e);
	}
	free(checks);
	for (size_t i = 0; i < nmap; i++)
		free((char *)map_prefix[i]);
	free(map_prefix);
	free(map_dir);
	for (size_t i = 0; i < nkept; i++)
		free(kept[i]);
	free(kept);
	if (have_at)
		path_release(&at);
	expr_fields_release(&efields);
	expect_release();
	gate_free();
	arena_release(&scratch);
	buf_release(&errs);
	buf_release(&rejbuf);
}

int main(int argc, char **argv)
{
	struct record rec;
	struct ndjson *nd;
	size_t nfailed;
	int absent = 0;

	expr_fields_init(&efields);
	expect_init();
	cli_start(&prog, argc, argv);
	if (!schema_file && !nchecks && !expect_any())
		cli_usage_error(NULL, "nothing to check: give --schema, --check or an expectation");
	if (partial_file) {
		if (!expect_any())
			cli_usage_error("--partial", "needs an expectation");
		if (gate || report_file || merge)
			cli_usage_error("--partial", "not with %s",
					gate          ? "--gate"
					: report_file ? "--report"
						      : "--merge");
	} else if (merge) {
		if (!expect_any())
			cli_usage_error("--merge", "needs the expectations of the partial states");
		if (schema_file || nchecks || rejects_file || cli.output || gate || memory_given ||
		    temp_dir_given)
			cli_usage_error("--merge", "not with %s",
					schema_file    ? "--schema"
					: nchecks      ? "--check"
					: rejects_file ? "--rejects"
					: cli.output   ? "--output"
					: gate         ? "--gate"
					: memory_given ? "--memory"
						       : "--temp-dir");
		if (!cli.nfiles)
			cli_usage_error("--merge", "needs the partial state files");
		if (shard_slice.n)
			cli_usage_error("--shard", "cannot be combined with --merge");
		for (size_t i = 0; i < cli.nfiles; i++)
			expect_merge_file(cli.files[i]);
		nfailed = expect_finish(report_file);
		if (nfailed) {
			etl_error(NULL, "%zu check%s failed", nfailed, nfailed == 1 ? "" : "s");
			release();
			etl_exit(ETL_EXIT_CHECK);
		}
		expect_commit();
		release();
		cli_finish();
	} else {
		gate |= expect_any();
	}
	if (gate && partial_file)
		cli_usage_error("--partial", "not with --gate");
	if (memory_given && !gate)
		cli_usage_error("--memory", "needs --gate or an expectation");
	if (temp_dir_given && !gate)
		cli_usage_error("--temp-dir", "needs --gate or an expectation");
	if (nmap && !schema_file)
		cli_usage_error("--resolve", "needs --schema");
	if (format_annotation && !schema_file)
		cli_usage_error("--format-annotation", "needs --schema");
	if (strict && !nchecks)
		cli_usage_error("--strict", "needs --check");
	if (have_at && !schema_file)
		cli_usage_error("--at", "needs --schema");
	if (schema_file)
		load_schema();
	if (have_at)
		at_idx = expr_fields_add(&efields, &at);
	expr_ctx_init(&ctx, field_value, NULL, &scratch);
	if (rejects_file)
		rej_start();
	gate_setup(memory, temp_dir);

	nd = nd_open(cli.files, cli.nfiles, efields.paths, efields.n);
	while (nd_next(nd, &rec))
		expect_record(&rec, validate(&rec));
	nd_close(nd);
	rej_finish();
	for (size_t i = 0; i < nchecks; i++) {
		char where[300];

		snprintf(where, sizeof(where), "--check %s", checks[i].name);
		if (expr_report_absent(checks[i].e, where, strict) && strict)
			absent = 1;
	}
	if (absent) {
		release();
		etl_exit(ETL_EXIT_CHECK);
	}
	if (invalid && rejects_file)
		etl_warn(NULL, "%llu invalid record%s written to %s", (unsigned long long)invalid,
			 invalid == 1 ? "" : "s", rejects_file);
	else if (invalid)
		etl_warn(NULL, "%llu invalid record%s dropped", (unsigned long long)invalid,
			 invalid == 1 ? "" : "s");
	if (partial_file) {
		expect_partial_write(partial_file);
		release();
		cli_finish();
	}
	nfailed = expect_finish(report_file);
	if (nfailed) {
		etl_error(NULL, "%zu check%s failed: no record written", nfailed,
			  nfailed == 1 ? "" : "s");
		stats.dropped += gate_count();
		release();
		etl_exit(ETL_EXIT_CHECK);
	}
	expect_commit();
	if (gate) {
		gate_release();
		stats.records_out += gate_count();
	}
	release();
	cli_finish();
}
