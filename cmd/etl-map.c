/*
 * etl-map - change records field by field: select, drop, rename, default,
 * cast, set, where, flatten, nest.
 *
 * The options are compiled into a list of operations, in command-line
 * order, and each record runs through the list: an operation sees what the
 * ones before it made of the record (--set b=a+1 after --set a=1 sees the
 * new a), and --where drops the record at its own place in the list.
 * Invariants:
 *  - A record is edited as a list of raw members (common/fields.h), so the
 *    fields no operation touched keep their exact text and order, and a
 *    record that no operation changed is written as the input line, byte
 *    for byte.  With no operation at all the program is a validating
 *    pass-through.
 *  - Every record read ends up written (records_out), dropped by --where
 *    (dropped), or bad (a cast that cannot be made, a runtime error of an
 *    expression, a field set inside a non-object): records_in = records_out
 *    + bad + dropped.
 *  - The loop does not allocate once warmed up: the fields' arrays and
 *    arena, the expressions' arena and the value buffers are reused.
 *
 * Expressions (--set, --where) share one expr_fields table; the callback
 * reads a field from the record as edited so far.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "cast.h"
#include "cli.h"
#include "die.h"
#include "expr.h"
#include "fields.h"
#include "jsonw.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "scan.h"
#include "stats.h"
#include "utf8.h"
#include "banned.h"

enum {
	OPT_SELECT = 1,
	OPT_DROP,
	OPT_RENAME,
	OPT_DEFAULT,
	OPT_CAST,
	OPT_SET,
	OPT_WHERE,
	OPT_FLATTEN,
	OPT_NEST,
	OPT_SEP,
};

static const struct cli_opt opts[] = {
	{OPT_SELECT, "select", 0, CLI_ARG, "FIELDS", "keep only these fields, in this order"},
	{OPT_DROP, "drop", 0, CLI_ARG, "FIELDS", "remove these fields"},
	{OPT_RENAME, "rename", 0, CLI_ARG, "OLD=NEW,...", "rename fields"},
	{OPT_DEFAULT, "default", 0, CLI_ARG, "FIELD=VALUE", "fill a null or missing field"},
	{OPT_CAST, "cast", 0, CLI_ARG, "FIELD=TYPE,...",
	 "convert: string int decimal float bool date timestamp json"},
	{OPT_SET, "set", 's', CLI_ARG, "FIELD=EXPR", "set a field to an expression's value"},
	{OPT_WHERE, "where", 'w', CLI_ARG, "EXPR", "keep only records where EXPR is true"},
	{OPT_FLATTEN, "flatten", 0, CLI_NOARG, NULL, "nested objects to top-level keys a.b"},
	{OPT_NEST, "nest", 0, CLI_NOARG, NULL, "top-level keys a.b to nested objects"},
	{OPT_SEP, "sep", 0, CLI_ARG, "SEP", "key separator of --flatten and --nest (default: .)"},
	{0, NULL, 0, 0, NULL, NULL},
};

/* One operation; the fields used depend on the option. */
struct op {
	int kind;           /* an OPT_ id */
	const char *name;   /* "--set", for messages */
	struct path *paths; /* the fields it works on */
	struct path *to;    /* --rename: the new names, paths[i] -> to[i] */
	int *types;         /* --cast: the type of paths[i] (cast.h) */
	size_t n;
	struct span val; /* --default: the value's JSON text */
	struct expr *e;  /* --set, --where */
};

static struct op *ops;
static size_t nops;
static const char *sep = ".";
static int sep_given;
static struct expr_fields efields;

/* The record being edited, and scratch reused for every record. */
static struct fields rec_fields;
static struct arena scratch = ARENA_INIT;
static struct buf valbuf = BUF_INIT, strbuf = BUF_INIT, outbuf = BUF_INIT;

/* --- Options ----------------------------------------------------------- */

static struct op *new_op(int kind, const char *name)
{
	ops = xrealloc(ops, (nops + 1) * sizeof(*ops));
	memset(&ops[nops], 0, sizeof(*ops));
	ops[nops].kind = kind;
	ops[nops].name = name;
	return &ops[nops++];
}

static void add_path(struct op *o, const struct path *p)
{
	o->paths = xrealloc(o->paths, (o->n + 1) * sizeof(*o->paths));
	o->paths[o->n++] = *p;
}

/* "PATH=" at the start of arg; returns the offset just after '='. */
static size_t parse_target(const char *opt, const char *arg, struct path *p)
{
	size_t k = cli_path(opt, arg, 0, 0, p);

	if (arg[k] != '=')
		cli_usage_error(opt, "column %zu: expected '=' after the field name", k + 1);
	return k + 1;
}

/* A list "X=Y,X=Y" where X is a path and Y is parsed by each(). */
static void parse_pairs(struct op *o, const char *arg,
			void (*each)(struct op *, const char *, size_t, size_t))
{
	size_t i = 0;

	for (;;) {
		struct path p;
		size_t k = cli_path(cli_optname, arg, i, 0, &p), end;

		add_path(o, &p);
		i += k;
		if (arg[i] != '=')
			cli_usage_error(cli_optname,
					"column %zu: expected '=' after the field name", i + 1);
		i++;
		end = i + strcspn(arg + i, ",");
		each(o, arg, i, end);
		i = end;
		if (!arg[i])
			break;
		i++;
	}
}

static void rename_to(struct op *o, const char *arg, size_t from, size_t end)
{
	struct path p;
	size_t k = cli_path(cli_optname, arg, from, 0, &p);

	if (from + k != end)
		cli_usage_error(cli_optname, "column %zu: expected ',' between renames",
				from + k + 1);
	o->to = xrealloc(o->to, o->n * sizeof(*o->to));
	o->to[o->n - 1] = p;
}

static struct expr *compile(const char *opt, const char *src, size_t off)
{
	struct expr_err err;
	struct expr *e = expr_parse(src, &efields, &err);

	if (!e) {
		if (err.col)
			cli_usage_error(opt, "column %zu: %s", off + err.col, err.msg);
		cli_usage_error(opt, "%s", err.msg);
	}
	return e;
}

/* --default's VALUE: a JSON literal when it is one, else a string. */
static struct span default_value(const char *s)
{
	struct scan_err err;
	struct buf b = BUF_INIT;
	size_t n = strlen(s);

	if (n && scan_value(s, n, &err) == 0) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++, n--;
		while (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')
			n--;
		buf_add(&b, s, n);
	} else {
		if (!utf8_valid(s, n))
			cli_usage_error(cli_optname, "the value is not valid UTF-8");
		jw_string(&b, s, n);
	}
	n = b.len;
	return (struct span){buf_detach(&b, NULL), n};
}

static void on_opt(int id, const char *arg)
{
	static const char *const names[] = {
		[OPT_SELECT] = "--select",   [OPT_DROP] = "--drop",       [OPT_RENAME] = "--rename",
		[OPT_DEFAULT] = "--default", [OPT_CAST] = "--cast",       [OPT_SET] = "--set",
		[OPT_WHERE] = "--where",     [OPT_FLATTEN] = "--flatten", [OPT_NEST] = "--nest",
	};
	struct op *o;
	struct path p;
	size_t off;

	if (id == OPT_SEP) {
		if (!*arg)
			cli_usage_error(cli_optname, "the separator cannot be empty");
		if (!utf8_valid(arg, strlen(arg)))
			cli_usage_error(cli_optname, "the separator is not valid UTF-8");
		sep = arg;
		sep_given = 1;
		return;
	}
	o = new_op(id, names[id]);
	switch (id) {
	case OPT_SELECT:
	case OPT_DROP:
		cli_paths(cli_optname, arg, &o->paths, &o->n);
		break;
	case OPT_RENAME:
		parse_pairs(o, arg, rename_to);
		break;
	case OPT_CAST: {
		struct cast_spec *cs = NULL;
		size_t nc = 0;
		char err[256];

		if (cast_list_parse(arg, &cs, &nc, err, sizeof(err)) < 0)
			cli_usage_error(cli_optname, "%s", err);
		o->types = xcalloc(nc, sizeof(*o->types));
		for (size_t i = 0; i < nc; i++) {
			add_path(o, &cs[i].path); /* o owns the path now */
			o->types[i] = cs[i].type;
		}
		free(cs);
		break;
	}
	case OPT_DEFAULT:
		off = parse_target(cli_optname, arg, &p);
		add_path(o, &p);
		o->val = default_value(arg + off);
		break;
	case OPT_SET:
		off = parse_target(cli_optname, arg, &p);
		add_path(o, &p);
		o->e = compile(cli_optname, arg + off, off);
		break;
	case OPT_WHERE:
		o->e = compile(cli_optname, arg, 0);
		break;
	}
}

static const struct cli_prog prog = {
	"etl-map",
	"[OPTIONS] [FILE...]",
	"Select, rename, cast, compute and filter the fields of NDJSON records.",
	opts,
	CLI_FOLLOW,
	on_opt,
};

/* --- Records ----------------------------------------------------------- */

static struct ndjson *nd;

static void reject(const struct record *rec, const char *fmt, ...) ETL_PRINTF(2, 3);
static void reject(const struct record *rec, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nd_reject(nd, rec, 0, "%s", msg);
}

static struct span field_value(void *arg, size_t idx)
{
	(void)arg;
	return fields_get(&rec_fields, &efields.paths[idx]);
}

static struct expr_ctx ctx;

/* A value for a message: its text, cut short. */
static const char *shown(struct span v)
{
	static char s[80];
	size_t n = utf8_cut(v.p, v.n, 40);

	snprintf(s, sizeof(s), "%.*s%s", (int)n, v.p, n < v.n ? "..." : "");
	return s;
}

/* A field's path for a message, cut short so the reason after it shows;
 * slot 0 or 1, for two paths in one message. */
static const char *shown_path(const struct path *p, int slot)
{
	static char s[2][120];
	size_t n = strlen(p->text), k = utf8_cut(p->text, n, 100);

	snprintf(s[slot], sizeof(s[slot]), "%.*s%s", (int)k, p->text, k < n ? "..." : "");
	return s[slot];
}

/* Run the operations on the loaded record; 0 when it is dropped or bad. */
static int run_ops(const struct record *rec)
{
	struct expr_err err;
	struct val v;

	for (size_t i = 0; i < nops; i++) {
		struct op *o = &ops[i];

		switch (o->kind) {
		case OPT_SELECT:
			if (fields_select(&rec_fields, o->paths, o->n) < 0)
				goto edit_failed;
			break;
		case OPT_DROP:
			for (size_t j = 0; j < o->n; j++)
				fields_delete(&rec_fields, &o->paths[j]);
			break;
		case OPT_RENAME:
			for (size_t j = 0; j < o->n; j++) {
				if (fields_rename(&rec_fields, &o->paths[j], &o->to[j]) < 0) {
					reject(rec, "--rename %s=%s: %s",
					       shown_path(&o->paths[j], 0),
					       shown_path(&o->to[j], 1), fields_error(&rec_fields));
					return 0;
				}
			}
			break;
		case OPT_DEFAULT: {
			enum scan_kind k = scan_kind(fields_get(&rec_fields, &o->paths[0]));

			if ((k == SCAN_NONE || k == SCAN_NULL) &&
			    fields_set(&rec_fields, &o->paths[0], o->val) < 0)
				goto edit_failed;
			break;
		}
		case OPT_CAST:
			for (size_t j = 0; j < o->n; j++) {
				struct span cur = fields_get(&rec_fields, &o->paths[j]);
				const char *why;

				if (scan_kind(cur) == SCAN_NONE || scan_kind(cur) == SCAN_NULL)
					continue;
				buf_reset(&valbuf);
				why = cast_json(&valbuf, o->types[j], cur, &strbuf);
				if (why) {
					reject(rec, "--cast %s=%s: %s: %s", o->paths[j].text,
					       cast_type_name(o->types[j]), why, shown(cur));
					return 0;
				}
				/* the field exists, so its parents are objects; but a
				 * string cast to json may nest too deep */
				if (fields_set(&rec_fields, &o->paths[j],
					       (struct span){valbuf.p, valbuf.len}) < 0) {
					reject(rec, "--cast %s=%s: %s", shown_path(&o->paths[j], 0),
					       cast_type_name(o->types[j]),
					       fields_error(&rec_fields));
					return 0;
				}
			}
			break;
		case OPT_SET:
		case OPT_WHERE:
			if (expr_eval(o->e, &ctx, &v, &err) < 0) {
				if (o->kind == OPT_SET)
					reject(rec, "--set %s: %s", o->paths[0].text, err.msg);
				else
					reject(rec, "--where: %s", err.msg);
				return 0;
			}
			if (o->kind == OPT_WHERE) {
				if (!val_true(&v)) {
					stats.dropped++;
					return 0;
				}
				break;
			}
			buf_reset(&valbuf);
			val_to_json(&valbuf, &v);
			if (fields_set(&rec_fields, &o->paths[0],
				       (struct span){valbuf.p, valbuf.len}) < 0)
				goto edit_failed;
			break;
		case OPT_FLATTEN:
			fields_flatten(&rec_fields, sep, strlen(sep));
			break;
		case OPT_NEST:
			if (fields_nest(&rec_fields, sep, strlen(sep)) < 0)
				goto edit_failed;
			break;
		}
		continue;
	edit_failed:
		if (o->kind == OPT_SELECT || o->kind == OPT_NEST)
			reject(rec, "%s: %s", o->name, fields_error(&rec_fields));
		else
			reject(rec, "%s %s: %s", o->name, shown_path(&o->paths[0], 0),
			       fields_error(&rec_fields));
		return 0;
	}
	return 1;
}

static void release(void)
{
	for (size_t i = 0; i < nops; i++) {
		path_list_free(ops[i].paths, ops[i].n);
		if (ops[i].to)
			path_list_free(ops[i].to, ops[i].n);
		free(ops[i].types);
		free((char *)ops[i].val.p);
		expr_free(ops[i].e);
	}
	free(ops);
	expr_fields_release(&efields);
	fields_release(&rec_fields);
	arena_release(&scratch);
	buf_release(&valbuf);
	buf_release(&strbuf);
	buf_release(&outbuf);
}

int main(int argc, char **argv)
{
	struct record rec;
	int flat = 0;

	expr_fields_init(&efields);
	fields_init(&rec_fields);
	cli_start(&prog, argc, argv);
	for (size_t i = 0; i < nops; i++)
		flat |= ops[i].kind == OPT_FLATTEN || ops[i].kind == OPT_NEST;
	if (sep_given && !flat)
		cli_usage_error("--sep", "needs --flatten or --nest");
	expr_ctx_init(&ctx, field_value, NULL, &scratch);

	nd = nd_open(cli.files, cli.nfiles, NULL, 0);
	while (nd_next(nd, &rec)) {
		if (nops) {
			fields_load(&rec_fields, rec.line);
			arena_reset(&scratch);
			if (!run_ops(&rec))
				continue;
		}
		if (!nops || !fields_changed(&rec_fields)) {
			out_line(rec.line.p, rec.line.n);
		} else {
			buf_reset(&outbuf);
			fields_write(&rec_fields, &outbuf);
			out_line(outbuf.p, outbuf.len);
		}
		stats.records_out++;
	}
	nd_close(nd);
	release();
	cli_finish();
}
