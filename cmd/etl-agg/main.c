/*
 * etl-agg - group records and aggregate them: in one batch (one result per
 * group at the end of the input), or per event-time window over a
 * never-ending stream; with mergeable partial states for more than one
 * machine, and temporary files when the groups outgrow memory.
 *
 * The options compile into a plan (agg.h): the distinct expressions, the
 * aggregates with their state offsets, and the paths the scanner hands
 * back per record (the expressions' fields, the group fields, the time
 * field).  A record's expressions are all evaluated and checked before any
 * state is touched, so a record that fails counts nowhere and goes where
 * --bad-records says.
 *
 * Groups are found by the 128-bit hash of their key's canonical text (hash.h:
 * 1.0 and 1 are one group, a missing field and null are one group) in one
 * open-addressing table; a group is one allocation from an arena: its
 * first-seen number, its key as output text (the first spelling seen), and
 * its state block.  Memory grows with the number of groups only: per record
 * nothing is allocated once the scratch arena has grown.
 *
 * Invariants:
 *  - Results come out in first-seen order of their groups, unless --sort.
 *  - Every record read is aggregated (records_out), bad, or late (dropped):
 *    records_in = records_out + bad + dropped.  The results written are
 *    not records of the input and are not counted.
 *  - A batch run splits a large regular input file between --jobs worker
 *    processes at line boundaries; each aggregates its part and hands its
 *    partial states back, merged in input order, so the output is the same
 *    bytes as a run in one process (partial.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "cli.h"
#include "die.h"
#include "fields.h"
#include "jsonw.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "stats.h"
#include "utf8.h"
#include "banned.h"

enum {
	OPT_GROUP = 1,
	OPT_AGG,
	OPT_SORT,
	OPT_PARTIAL,
	OPT_MERGE,
	OPT_JOBS,
	OPT_MEMORY,
	OPT_TEMP,
	OPT_WINDOW,
	OPT_TIME,
	OPT_LATENESS,
	OPT_LATE,
	OPT_EMIT,
	OPT_IDLE,
};

static const struct cli_opt opts[] = {
	{OPT_GROUP, "group-by", 'g', CLI_ARG, "FIELDS", "one result per distinct value of FIELDS"},
	{OPT_AGG, "aggregate", 'a', CLI_ARG, "NAME=FUNC(EXPR)",
	 "add field NAME, FUNC over EXPR (repeatable, in order)"},
	{OPT_SORT, "sort", 0, CLI_ARG, "KEYS", "sort the results by KEYS (-KEY: descending)"},
	{OPT_PARTIAL, "partial", 0, CLI_NOARG, NULL, "write mergeable partial states, not results"},
	{OPT_MERGE, "merge", 0, CLI_NOARG, NULL,
	 "read partial states (of --partial) and finish them"},
	{OPT_JOBS, "jobs", 'j', CLI_ARG, "N", "split a large input file between N processes"},
	{OPT_MEMORY, "memory", 0, CLI_ARG, "SIZE", "spill to temporary files past SIZE (512M, 2G)"},
	{OPT_TEMP, "temp-dir", 0, CLI_ARG, "DIR", "where to spill (default: $TMPDIR or /tmp)"},
	{OPT_WINDOW, "window", 'w', CLI_ARG, "SPEC",
	 "per event-time window: tumbling:SIZE, hopping:SIZE,HOP, session:GAP"},
	{OPT_TIME, "time-field", 't', CLI_ARG, "FIELD",
	 "the event time of a record (with --window)"},
	{OPT_LATENESS, "lateness", 0, CLI_ARG, "DURATION",
	 "how far behind the latest event time an event may come (default: 0s)"},
	{OPT_LATE, "late", 0, CLI_ARG, "drop|fail|FILE", "what a late record gets (default: drop)"},
	{OPT_EMIT, "emit", 0, CLI_ARG, "close|update",
	 "a window's result when it closes, or at every change"},
	{OPT_IDLE, "idle-timeout", 0, CLI_ARG, "DURATION",
	 "close the open windows after DURATION without input"},
	{0, NULL, 0, 0, NULL, NULL},
};

struct plan plan;
struct opts opt = {.jobs = -1, .late = "drop"};
struct arena scratch = ARENA_INIT;

static struct expr_fields efields;
static char **agg_specs;
static size_t nagg_specs, capagg_specs;
static const char *gspec, *sort_spec;

/* ---- options ---- */

static void on_opt(int id, const char *arg)
{
	switch (id) {
	case OPT_GROUP:
		gspec = arg;
		break;
	case OPT_AGG:
		xgrow(&agg_specs, &capagg_specs, nagg_specs + 1, sizeof(*agg_specs));
		agg_specs[nagg_specs++] = (char *)arg;
		break;
	case OPT_SORT:
		sort_spec = arg;
		break;
	case OPT_PARTIAL:
		opt.partial = 1;
		break;
	case OPT_MERGE:
		opt.merge = 1;
		break;
	case OPT_JOBS:
		opt.jobs = (int)cli_uint(cli_optname, arg, 1, 64);
		break;
	case OPT_MEMORY:
		opt.memory = cli_size(cli_optname, arg, 1024);
		break;
	case OPT_TEMP:
		opt.temp_dir = arg;
		break;
	case OPT_WINDOW:
		opt.window = arg;
		break;
	case OPT_TIME:
		opt.time_field = arg;
		break;
	case OPT_LATENESS:
		opt.lateness_us = cli_duration(cli_optname, arg, 0);
		opt.lateness_set = 1;
		break;
	case OPT_LATE:
		opt.late = arg;
		break;
	case OPT_EMIT:
		if (strcmp(arg, "close") == 0)
			opt.emit_update = 0;
		else if (strcmp(arg, "update") == 0)
			opt.emit_update = 1;
		else
			cli_usage_error("--emit", "expected 'close' or 'update', got '%s'", arg);
		opt.emit_set = 1;
		break;
	case OPT_IDLE:
		opt.idle_us = cli_duration(cli_optname, arg, 1000);
		break;
	}
}

static const struct cli_prog prog = {
	"etl-agg",
	"[-g FIELDS] -a NAME=FUNC(EXPR) [-a ...] [--sort KEYS] [--window SPEC -t FIELD] "
	"[OPTIONS] [FILE...]",
	"Group records and aggregate them, in one batch or per event-time window.",
	opts,
	0,
	on_opt,
};

/* ---- the plan ---- */

static char *trim_dup(const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return xstrndup(p, n);
}

/* Split a function's arguments at its top-level commas (not inside
 * brackets or quotes).  Returns the number of arguments (0 for none). */
static size_t split_args(const char *s, size_t n, char **out, size_t max)
{
	size_t k = 0, start = 0, depth = 0;
	char q = 0;
	int blank = 1;

	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			blank = 0;
	if (blank)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : ',';

		if (q) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (c == q)
				q = 0;
			continue;
		}
		if (c == '\'' || c == '"')
			q = c;
		else if (c == '(' || c == '[' || c == '{')
			depth++;
		else if ((c == ')' || c == ']' || c == '}') && depth)
			depth--;
		else if (c == ',' && !depth) {
			if (k < max)
				out[k] = trim_dup(s + start, i - start);
			k++;
			start = i + 1;
		}
	}
	return k;
}

static int add_expr(const char *src, const char *spec)
{
	struct expr_err err;
	struct expr *e;

	for (size_t i = 0; i < plan.nex; i++)
		if (strcmp(expr_text(plan.ex[i]), src) == 0)
			return (int)i;
	e = expr_parse(src, &efields, &err);
	if (!e) {
		if (err.col)
			cli_usage_error("--aggregate", "'%s': column %zu of '%s': %s", spec,
					err.col, src, err.msg);
		cli_usage_error("--aggregate", "'%s': %s", spec, err.msg);
	}
	plan.ex = xrealloc(plan.ex, (plan.nex + 1) * sizeof(*plan.ex));
	plan.ex[plan.nex] = e;
	return (int)plan.nex++;
}

static void parse_agg(struct agg *a, const char *spec)
{
	const char *eq = strchr(spec, '='), *f, *open, *close;
	char *args[3] = {NULL, NULL, NULL};
	size_t nargs, fn;
	struct buf b = BUF_INIT;

	if (!eq)
		cli_usage_error("--aggregate", "'%s': expected NAME=FUNC(EXPR)", spec);
	a->name = trim_dup(spec, eq - spec);
	if (!*a->name)
		cli_usage_error("--aggregate", "'%s': the name is empty", spec);
	if (!utf8_valid(a->name, strlen(a->name)))
		cli_usage_error("--aggregate", "'%s': the name is not valid UTF-8", spec);
	for (f = eq + 1; *f == ' ' || *f == '\t'; f++)
		;
	for (open = f; (*open >= 'a' && *open <= 'z') || *open == '_'; open++)
		;
	fn = open - f;
	while (*open == ' ')
		open++;
	close = open + strlen(open);
	while (close > open && (close[-1] == ' ' || close[-1] == '\t'))
		close--;
	if (!fn || *open != '(' || close == open || close[-1] != ')')
		cli_usage_error("--aggregate", "'%s': expected NAME=FUNC(EXPR)", spec);
	nargs = split_args(open + 1, close - 1 - (open + 1), args, 3);
	a->fi = fn_find(f, fn, (int)nargs);
	if (!a->fi && fn_find(f, fn, 1))
		cli_usage_error("--aggregate", "'%s': count() takes no argument or one", spec);
	if (!a->fi)
		cli_usage_error("--aggregate", "'%s': unknown function '%.*s' (known: %s)", spec,
				(int)fn, f, fn_names());
	if (nargs != a->fi->nargs)
		cli_usage_error("--aggregate", "'%s': %s() takes %s", spec, a->fi->name,
				a->fi->nargs == 2 ? "two arguments: EXPR, P" : "one argument");
	for (size_t i = 0; i < nargs && i < 3; i++)
		if (!*args[i])
			cli_usage_error("--aggregate", "'%s': argument %zu is empty", spec, i + 1);
	a->ex = nargs ? add_expr(args[0], spec) : -1;
	if (strcmp(a->fi->name, "median") == 0) {
		dec_parse(&a->p, "0.5", 3);
		a->pf = 0.5;
	} else if (nargs == 2) {
		if (dec_parse(&a->p, args[1], strlen(args[1])) != DEC_OK || a->p.neg ||
		    dec_to_double(&a->p) > 1)
			cli_usage_error("--aggregate",
					"'%s': the fraction must be a number from 0 to 1, "
					"got '%s'",
					spec, args[1]);
		a->pf = dec_to_double(&a->p);
	}
	buf_printf(&b, "%s=%s(", a->name, a->fi->name);
	for (size_t i = 0; i < nargs; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", args[i]);
	buf_addc(&b, ')');
	a->spec = buf_detach(&b, NULL);
	jw_string(&a->label, a->name, strlen(a->name));
	buf_addc(&a->label, ':');
	for (size_t i = 0; i < 3; i++)
		free(args[i]);
}

static int name_is(const struct path *p, const char *name)
{
	return p->nseg && strlen(name) == p->seg[0].n && !memcmp(p->seg[0].s, name, p->seg[0].n);
}

/* Sort keys: "f,-g": paths, each after an optional '-'. */
struct sortkey {
	struct path p;
	int desc;
};
static struct sortkey *skeys;
static size_t nskeys;

static void parse_sort(const char *s)
{
	const char *p = s;

	while (*p) {
		const char *err;
		size_t off;
		long n;
		int desc = *p == '-';

		skeys = xrealloc(skeys, (nskeys + 1) * sizeof(*skeys));
		p += desc;
		n = path_parse(&skeys[nskeys].p, p, 0, &err, &off);
		if (n <= 0)
			cli_usage_error("--sort", "column %zu: %s",
					(size_t)(p - s) + (n < 0 ? off : 0) + 1,
					n < 0 ? err : "expected a field name");
		skeys[nskeys++].desc = desc;
		p += n;
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			cli_usage_error("--sort", "column %zu: expected ',' between keys",
					(size_t)(p - s) + 1);
	}
	if (!nskeys)
		cli_usage_error("--sort", "no key given");
}

static int is_output_field(const struct path *p)
{
	for (size_t i = 0; i < plan.ngpaths; i++)
		if (path_has_prefix(p, &plan.gpaths[i]) || path_has_prefix(&plan.gpaths[i], p))
			return 1;
	for (size_t i = 0; i < plan.naggs; i++)
		if (name_is(p, plan.aggs[i].name))
			return 1;
	return opt.window && (name_is(p, "window_start") || name_is(p, "window_end"));
}

static void make_plan(void)
{
	const char *err;
	size_t off, n;

	if (gspec && path_list_parse(gspec, &plan.gpaths, &plan.ngpaths, &err, &off) != 0)
		cli_usage_error("--group-by", "column %zu: %s", off + 1, err);
	for (size_t i = 0; i < plan.ngpaths; i++)
		for (size_t j = 0; j < plan.ngpaths; j++)
			if (i != j && path_has_prefix(&plan.gpaths[i], &plan.gpaths[j]))
				cli_usage_error("--group-by", "'%s' %s '%s'", plan.gpaths[i].text,
						plan.gpaths[i].nseg == plan.gpaths[j].nseg
							? "is given twice, as"
							: "lies within",
						plan.gpaths[j].text);
	plan.gflat = 1;
	for (size_t i = 0; i < plan.ngpaths; i++)
		if (plan.gpaths[i].nseg != 1)
			plan.gflat = 0;
	if (!nagg_specs)
		cli_usage_error("--aggregate", "at least one is required (-a 'n=count()')");
	expr_fields_init(&efields);
	plan.aggs = xcalloc(nagg_specs, sizeof(*plan.aggs));
	plan.naggs = nagg_specs;
	for (size_t i = 0; i < nagg_specs; i++) {
		struct agg *a = &plan.aggs[i];

		parse_agg(a, agg_specs[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(plan.aggs[j].name, a->name) == 0)
				cli_usage_error("--aggregate", "'%s': the name '%s' is taken twice",
						agg_specs[i], a->name);
		for (size_t j = 0; j < plan.ngpaths; j++)
			if (name_is(&plan.gpaths[j], a->name))
				cli_usage_error("--aggregate", "'%s': '%s' is a group field",
						agg_specs[i], a->name);
		if (opt.window &&
		    (!strcmp(a->name, "window_start") || !strcmp(a->name, "window_end")))
			cli_usage_error("--aggregate", "'%s': '%s' is the window's own field",
					agg_specs[i], a->name);
		a->off = plan.stsize;
		plan.stsize += (a->fi->size + 15) & ~(size_t)15;
	}
	if (!plan.stsize)
		plan.stsize = 16;

	/* the scanner's paths: the expressions' fields, the group, the time */
	n = efields.n;
	plan.gbase = n;
	plan.tbase = n + plan.ngpaths;
	plan.nwant = plan.tbase + (opt.time_path.nseg ? 1 : 0);
	plan.want = xcalloc(plan.nwant ? plan.nwant : 1, sizeof(*plan.want));
	if (n)
		memcpy(plan.want, efields.paths, n * sizeof(*plan.want));
	if (plan.ngpaths)
		memcpy(plan.want + n, plan.gpaths, plan.ngpaths * sizeof(*plan.want));
	if (opt.time_path.nseg)
		plan.want[plan.tbase] = opt.time_path;

	if (sort_spec) {
		parse_sort(sort_spec);
		for (size_t i = 0; i < nskeys; i++)
			if (!is_output_field(&skeys[i].p))
				cli_usage_error("--sort", "'%s' is not a field of the results",
						skeys[i].p.text);
	}
}

static void check_options(void)
{
	if (opt.partial && sort_spec)
		cli_usage_error("--sort", "partial states are not sorted (sort after --merge)");
	if (opt.window) {
		if (window_parse(opt.window) != 0)
			cli_usage_error("--window",
					"expected tumbling:SIZE, hopping:SIZE,HOP (HOP <= SIZE, "
					"SIZE/HOP <= 10000) or session:GAP (1h, 5m, 30s), got '%s'",
					opt.window);
		if (!opt.time_field)
			cli_usage_error("--window", "needs --time-field");
		if (opt.partial || opt.merge)
			cli_usage_error(opt.partial ? "--partial" : "--merge",
					"cannot be combined with --window");
		if (sort_spec)
			cli_usage_error("--sort", "window results are written as windows close");
		if (opt.memory)
			cli_usage_error("--memory", "windows hold only open windows in memory; "
						    "--memory applies to batch runs");
	} else {
		static const char *const wopts[] = {"--time-field", "--lateness", "--late",
						    "--emit", "--idle-timeout"};
		int set[] = {opt.time_field != NULL, opt.lateness_set,
			     strcmp(opt.late, "drop") != 0, opt.emit_set, opt.idle_us != 0};

		for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
			if (set[i])
				cli_usage_error(wopts[i], "needs --window");
	}
	if (opt.temp_dir && !opt.memory)
		cli_usage_error("--temp-dir", "applies only with --memory");
	if (opt.merge && opt.jobs > 0)
		cli_usage_error("--jobs", "cannot be combined with --merge");
	if (opt.time_field) {
		const char *err;
		size_t off;

		if (path_parse(&opt.time_path, opt.time_field, 1, &err, &off) < 0)
			cli_usage_error("--time-field", "column %zu: %s", off + 1, err);
	}
}

/* ---- evaluation ---- */

static struct span field_of(void *arg, size_t idx)
{
	return ((const struct span *)arg)[idx];
}

static struct expr_ctx ctx = {field_of, NULL, &scratch, 0};

int eval_record(struct span *rvals, struct val *vals, char *err, size_t errsz)
{
	struct expr_err eerr;

	ctx.arg = rvals;
	for (size_t i = 0; i < plan.nex; i++) {
		if (expr_eval(plan.ex[i], &ctx, &vals[i], &eerr) != 0) {
			snprintf(err, errsz, "%s", eerr.msg);
			return -1;
		}
	}
	for (size_t i = 0; i < plan.naggs; i++) {
		const struct agg *a = &plan.aggs[i];

		if (a->ex >= 0 && fn_check(a, &vals[a->ex], err, errsz) != 0)
			return -1;
	}
	return 0;
}

/* ---- keys ---- */

static struct hash_canon canon;
static struct fields kfields;
static struct buf ktmp, kfields_out;

struct hash128 key_hash(const struct span *gv)
{
	hash_canon_reset(&canon);
	for (size_t i = 0; i < plan.ngpaths; i++)
		hash_canon_add(&canon, gv[i]);
	return hash_canon_sum(&canon);
}

void key_text(struct buf *b, const struct span *gv)
{
	static const char empty[] = "{}";
	static const struct span null_span = {"null", 4};

	if (plan.gflat) {
		for (size_t i = 0; i < plan.ngpaths; i++) {
			if (i)
				buf_addc(b, ',');
			jw_string(b, plan.gpaths[i].seg[0].s, plan.gpaths[i].seg[0].n);
			buf_addc(b, ':');
			if (gv[i].p)
				buf_add(b, gv[i].p, gv[i].n);
			else
				buf_add(b, "null", 4);
		}
		return;
	}
	fields_load(&kfields, (struct span){empty, 2});
	for (size_t i = 0; i < plan.ngpaths; i++)
		if (fields_set(&kfields, &plan.gpaths[i], gv[i].p ? gv[i] : null_span) != 0)
			etl_die(ETL_EXIT_SOFTWARE, NULL, "group key: %s", fields_error(&kfields));
	buf_reset(&kfields_out);
	fields_write(&kfields, &kfields_out);
	buf_add(b, kfields_out.p + 1, kfields_out.len - 2);
}

/* ---- groups ---- */

struct group **groups;
size_t ngroups;
static size_t capgroups;
static struct hash_table index_;
static struct arena garena = ARENA_INIT;
static uint64_t group_seq;
static uint64_t mem_groups; /* bytes of the groups, their index and states */

struct group *group_get(const struct span *gv, struct hash128 h, const char *key, size_t keylen)
{
	uint64_t *slot;
	struct group *g;
	int added;
	size_t size;

	slot = hash_table_put(&index_, h, &added);
	if (!added)
		return (struct group *)(uintptr_t)*slot;
	if (!key) {
		buf_reset(&ktmp);
		key_text(&ktmp, gv);
		key = ktmp.p;
		keylen = ktmp.len;
	}
	size = sizeof(*g) + plan.stsize + keylen + 1;
	g = arena_alloc(&garena, size);
	memset(g, 0, sizeof(*g) + plan.stsize);
	g->h = h;
	g->seq = group_seq++;
	g->key = (char *)g->st + plan.stsize;
	if (keylen)
		memcpy(g->key, key, keylen);
	g->key[keylen] = '\0';
	g->keylen = (uint32_t)keylen;
	*slot = (uint64_t)(uintptr_t)g;
	if (ngroups == capgroups)
		xgrow(&groups, &capgroups, ngroups + 1, sizeof(*groups));
	groups[ngroups++] = g;
	mem_groups += size + 48;
	return g;
}

/* The group of a record's group values. */
/* The groups met lately, by hash: input often comes in runs of related
 * keys (a day's products), and a hit here spares a probe of the big
 * table, which for many groups is a cache miss. */
#define RECENT 4096
static struct {
	struct hash128 h;
	struct group *g;
} recent[RECENT];

static struct group *group_of(const struct span *gv)
{
	struct hash128 h = plan.ngpaths ? key_hash(gv) : (struct hash128){1, 0};
	size_t i = h.hi & (RECENT - 1);

	if (recent[i].g && hash_eq(recent[i].h, h))
		return recent[i].g;
	recent[i].h = h;
	recent[i].g = group_get(gv, h, NULL, 0);
	return recent[i].g;
}

void groups_clear(void)
{
	memset(recent, 0, sizeof(recent));
	for (size_t i = 0; i < ngroups; i++)
		states_release(groups[i]->st);
	ngroups = 0;
	hash_table_release(&index_);
	hash_table_init(&index_, sizeof(uint64_t));
	arena_reset(&garena);
	mem_groups = 0;
}

size_t groups_memory(void)
{
	return mem_groups + hash_table_bytes(&index_) + capgroups * sizeof(*groups);
}

/* Fold a loaded state block (from later input) into g. */
void group_fold(struct group *g, void *src)
{
	if (opt.memory) {
		size_t before = states_bytes(g->st);

		states_merge(g->st, src);
		mem_groups += states_bytes(g->st) - before;
		if (groups_memory() > opt.memory)
			spill_groups();
	} else {
		states_merge(g->st, src);
	}
}

/* Add a record whose values passed eval_record(). */
void group_add(const struct span *gv, const struct val *vals)
{
	struct group *g = group_of(gv);

	if (opt.memory) {
		size_t before = states_bytes(g->st);

		states_add(g->st, vals);
		mem_groups += states_bytes(g->st) - before;
		if (groups_memory() > opt.memory)
			spill_groups();
	} else {
		states_add(g->st, vals);
	}
}

/* ---- results ---- */

static struct buf line;

void result_write(struct buf *b, const char *key, size_t keylen, const char *extra, size_t extralen,
		  void *st)
{
	unsigned char *s = st;
	int comma = keylen > 0;

	buf_addc(b, '{');
	buf_add(b, key, keylen);
	if (extralen) {
		if (comma)
			buf_addc(b, ',');
		buf_add(b, extra, extralen);
		comma = 1;
	}
	for (size_t i = 0; i < plan.naggs; i++) {
		const struct agg *a = &plan.aggs[i];

		if (comma)
			buf_addc(b, ',');
		comma = 1;
		buf_add(b, a->label.p, a->label.len);
		a->fi->finish(a, s + a->off, b);
	}
	buf_addc(b, '}');
}

/* --sort: the results in one buffer, sorted at the end. */
struct sorted {
	size_t off, len;
	uint64_t seq;
};
static struct buf sortbuf;
static struct sorted *sorted;
static size_t nsorted, capsorted;
static struct span *sortvals; /* nskeys per result */

void result_emit(const char *p, size_t n, uint64_t seq)
{
	if (!nskeys) {
		out_line(p, n);
		return;
	}
	xgrow(&sorted, &capsorted, nsorted + 1, sizeof(*sorted));
	sorted[nsorted].off = sortbuf.len;
	sorted[nsorted].len = n;
	sorted[nsorted].seq = seq;
	nsorted++;
	buf_add(&sortbuf, p, n);
	buf_addc(&sortbuf, '\0'); /* the scanner's sentinel */
}

static struct scan_want *sortwant;

size_t sort_nkeys(void)
{
	return nskeys;
}

void sort_values(const char *json, size_t n, struct span *out)
{
	struct scan_err err;

	if (!sortwant) {
		struct path *paths = xcalloc(nskeys, sizeof(*paths));

		for (size_t i = 0; i < nskeys; i++)
			paths[i] = skeys[i].p;
		sortwant = scan_want_new(paths, nskeys);
		free(paths);
	}
	if (scan_record(json, n, sortwant, out, &err) != 0)
		etl_die(ETL_EXIT_SOFTWARE, NULL, "a result is not valid JSON: %s", err.msg);
}

int sort_cmp(const struct span *va, const struct span *vb)
{
	for (size_t i = 0; i < nskeys; i++) {
		int c = hash_value_cmp(&canon, va[i], vb[i]);

		if (c)
			return skeys[i].desc ? -c : c;
	}
	return 0;
}

static int sorted_cmp(const void *pa, const void *pb, void *arg)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int c = sort_cmp(sortvals + a * nskeys, sortvals + b * nskeys);

	(void)arg;
	if (c)
		return c;
	return sorted[a].seq < sorted[b].seq ? -1 : sorted[a].seq > sorted[b].seq;
}

/* Sort the results (stable: ties keep first-seen order) and write them. */
static void sort_flush(void)
{
	size_t *idx;

	if (!nskeys)
		return;
	sortvals = xcalloc(nsorted * nskeys + 1, sizeof(*sortvals));
	for (size_t i = 0; i < nsorted; i++)
		sort_values(sortbuf.p + sorted[i].off, sorted[i].len, sortvals + i * nskeys);
	idx = xmalloc((nsorted + 1) * sizeof(*idx));
	for (size_t i = 0; i < nsorted; i++)
		idx[i] = i;
	qsort_r(idx, nsorted, sizeof(*idx), sorted_cmp, NULL);
	for (size_t i = 0; i < nsorted; i++)
		out_line(sortbuf.p + sorted[idx[i]].off, sorted[idx[i]].len);
	free(idx);
	free(sortvals);
	buf_release(&sortbuf);
	free(sorted);
}

/* ---- batch ---- */

static struct val *vals;

void consume(struct ndjson *nd)
{
	struct record rec;
	char err[512];

	while (nd_next(nd, &rec) > 0) {
		arena_reset(&scratch);
		if (eval_record(rec.vals, vals, err, sizeof(err)) != 0) {
			nd_reject(nd, &rec, 0, "%s", err);
			continue;
		}
		group_add(rec.vals + plan.gbase, vals);
		stats.records_out++;
	}
}

/* Write every group: a result, or its partial state. */
static void groups_write_all(void)
{
	if (!plan.ngpaths && !ngroups)
		group_of(NULL); /* no input: one result, count 0 and nulls */
	if (opt.partial) {
		buf_reset(&line);
		partial_header(&line);
		out_line(line.p, line.len);
	}
	for (size_t i = 0; i < ngroups; i++) {
		struct group *g = groups[i];

		buf_reset(&line);
		if (opt.partial) {
			partial_group(&line, g->key, g->keylen, g->st);
			out_line(line.p, line.len);
		} else {
			result_write(&line, g->key, g->keylen, NULL, 0, g->st);
			result_emit(line.p, line.len, g->seq);
		}
	}
	sort_flush();
}

void groups_write(void)
{
	if (spilled())
		spill_finish();
	else
		groups_write_all();
}

static void batch_run(void)
{
	static struct ndjson *nd; /* static: reachable when a record dies */

	nd = workers_start();

	if (!nd)
		nd = nd_open(cli.files, cli.nfiles, plan.want, plan.nwant);
	consume(nd);
	nd_close(nd);
	workers_finish();
	groups_write();
}

static void release(void)
{
	groups_clear();
	hash_table_release(&index_);
	arena_release(&garena);
	free(groups);
	for (size_t i = 0; i < plan.naggs; i++) {
		free(plan.aggs[i].name);
		free(plan.aggs[i].spec);
		buf_release(&plan.aggs[i].label);
	}
	free(plan.aggs);
	for (size_t i = 0; i < plan.nex; i++)
		expr_free(plan.ex[i]);
	free(plan.ex);
	free(plan.want);
	expr_fields_release(&efields);
	path_list_free(plan.gpaths, plan.ngpaths);
	path_release(&opt.time_path);
	for (size_t i = 0; i < nskeys; i++)
		path_release(&skeys[i].p);
	free(skeys);
	scan_want_free(sortwant);
	free(agg_specs);
	free(vals);
	hash_canon_release(&canon);
	fields_release(&kfields);
	buf_release(&ktmp);
	buf_release(&kfields_out);
	buf_release(&line);
	arena_release(&scratch);
}

int main(int argc, char **argv)
{
	struct timespec ts;

	cli_start(&prog, argc, argv);
	check_options();
	make_plan();
	hash_canon_init(&canon, 0);
	fields_init(&kfields);
	hash_table_init(&index_, sizeof(uint64_t));
	clock_gettime(CLOCK_REALTIME, &ts);
	ctx.now_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	vals = xcalloc(plan.nex + 1, sizeof(*vals));

	if (opt.merge)
		merge_run();
	else if (opt.window)
		window_run();
	else
		batch_run();
	release();
	cli_finish();
}
