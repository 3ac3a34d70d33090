/*
 * etl-agg - group records and aggregate them: in one batch (one result per
 * group at the end of the input), or per event-time window over a
 * never-ending stream; with mergeable partial states for more than one
 * machine, and temporary files when the groups outgrow memory.
 *
 * This file reads the options, compiles them into a plan (agg.h): the
 * distinct expressions, the aggregates with their state offsets, and the
 * paths the scanner hands back per record (the expressions' fields, the
 * group fields, the time field); then it runs what they ask for: --merge
 * (partial.c), --window (window.c) or a batch, whose records group.c
 * aggregates and whose groups spill.c and result.c write.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "cli.h"
#include "jsonw.h"
#include "mem.h"
#include "ndjson.h"
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
	OPT_CHECKPOINT,
	OPT_CKPT_INTERVAL,
	OPT_FROM_STATE,
	OPT_STATE_DB,
	OPT_STATE_TABLE,
};

static const struct cli_opt opts[] = {
	{OPT_GROUP, "group-by", 'g', CLI_ARG, "FIELDS", "one result per distinct value of FIELDS"},
	{OPT_AGG, "aggregate", 'a', CLI_ARG, "[NAME=]FUNC(EXPR)",
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
	{OPT_CHECKPOINT, "checkpoint", 0, CLI_ARG, "DIR",
	 "keep the windows' state in DIR, to resume exactly where a sink stopped"},
	{OPT_CKPT_INTERVAL, "checkpoint-interval", 0, CLI_ARG, "DURATION",
	 "also checkpoint this often (default: 10s)"},
	{OPT_FROM_STATE, "from-state", 0, CLI_ARG, "NAME",
	 "resume from the checkpoint the sink's committed offsets NAME reach"},
	{OPT_STATE_DB, "state-db", 0, CLI_ARG | CLI_SECRET, "CONNINFO",
	 "the database of --from-state (default: PG* environment)"},
	{OPT_STATE_TABLE, "state-table", 0, CLI_ARG, "[SCHEMA.]TABLE",
	 "the state table of --from-state (default: etl_state)"},
	{0, NULL, 0, 0, NULL, NULL},
};

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
	case OPT_CHECKPOINT:
		opt.ckpt_dir = arg;
		break;
	case OPT_CKPT_INTERVAL:
		opt.ckpt_interval_us = cli_duration(cli_optname, arg, 1000);
		break;
	case OPT_FROM_STATE:
		opt.from_state = arg;
		break;
	case OPT_STATE_DB:
		opt.state_db = arg;
		break;
	case OPT_STATE_TABLE:
		opt.state_table = arg;
		break;
	}
}

static const struct cli_prog prog = {
	"etl-agg",
	"[-g FIELDS] -a [NAME=]FUNC(EXPR) [-a ...] [--sort KEYS] [--window SPEC -t FIELD] "
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

/* Is spec a call without a name: FUNC(...) of a known function, or of any
 * name when there is no '=' (so that an unknown one is reported as such)? */
static int unnamed(const char *spec)
{
	const char *p = spec, *id;

	while (*p == ' ' || *p == '\t')
		p++;
	for (id = p; (*p >= 'a' && *p <= 'z') || *p == '_'; p++)
		;
	if (p == id)
		return 0;
	while (*p == ' ')
		p++;
	return *p == '(' && (!strchr(spec, '=') || fn_find(id, p - id, 0) ||
			     fn_find(id, p - id, 1) || fn_find(id, p - id, 2));
}

/* The name of an unnamed aggregate: FUNC, then each argument's text with
 * every run of other characters than letters, digits and '_' made one '_'
 * (sum(qty) is sum_qty, percentile(x, 0.9) is percentile_x_0_9), as
 * Miller names qty_sum. */
static char *auto_name(const char *fn, char **args, size_t nargs)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, fn);
	for (size_t i = 0; i < nargs; i++) {
		int gap = 1;

		for (const char *p = args[i]; *p; p++) {
			int word = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				   (*p >= '0' && *p <= '9') || *p == '_' ||
				   (unsigned char)*p >= 0x80;

			if (word) {
				if (gap)
					buf_addc(&b, '_');
				buf_addc(&b, *p);
			}
			gap = !word;
		}
	}
	return buf_detach(&b, NULL);
}

static void parse_agg(struct agg *a, const char *spec)
{
	const char *eq = unnamed(spec) ? NULL : strchr(spec, '='), *f, *open, *close;
	char *args[3] = {NULL, NULL, NULL};
	size_t nargs, fn;
	struct buf b = BUF_INIT;

	if (eq) {
		a->name = trim_dup(spec, eq - spec);
		if (!*a->name)
			cli_usage_error("--aggregate", "'%s': the name is empty", spec);
		if (!utf8_valid(a->name, strlen(a->name)))
			cli_usage_error("--aggregate", "'%s': the name is not valid UTF-8", spec);
	} else if (!unnamed(spec)) {
		cli_usage_error("--aggregate", "'%s': expected NAME=FUNC(EXPR)", spec);
	}
	for (f = eq ? eq + 1 : spec; *f == ' ' || *f == '\t'; f++)
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
	if (!eq) {
		if (!utf8_valid(spec, strlen(spec)))
			cli_usage_error("--aggregate", "'%s': not valid UTF-8", spec);
		a->name = auto_name(a->fi->name, args, nargs);
	}
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
	plan.obase = plan.tbase + (opt.time_path.nseg ? 1 : 0);
	plan.nwant = plan.obase + (opt.window ? 1 : 0);
	plan.want = xcalloc(plan.nwant ? plan.nwant : 1, sizeof(*plan.want));
	if (n)
		memcpy(plan.want, efields.paths, n * sizeof(*plan.want));
	if (plan.ngpaths)
		memcpy(plan.want + n, plan.gpaths, plan.ngpaths * sizeof(*plan.want));
	if (opt.time_path.nseg)
		plan.want[plan.tbase] = opt.time_path;
	if (opt.window)
		cli_path("--window", "_off", 0, 1, &plan.want[plan.obase]);

	if (sort_spec) {
		sort_setup(sort_spec);
		for (size_t i = 0; i < sort_nkeys(); i++)
			if (!is_output_field(sort_key(i)))
				cli_usage_error("--sort", "'%s' is not a field of the results",
						sort_key(i)->text);
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
		if (opt.ckpt_dir && opt.emit_update)
			cli_usage_error("--checkpoint", "cannot be combined with --emit update");
	} else if (opt.ckpt_dir) {
		cli_usage_error("--checkpoint", "needs --window");
	} else {
		static const char *const wopts[] = {"--time-field", "--lateness", "--late",
						    "--emit", "--idle-timeout"};
		int set[] = {opt.time_field != NULL, opt.lateness_set,
			     strcmp(opt.late, "drop") != 0, opt.emit_set, opt.idle_us != 0};

		for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
			if (set[i])
				cli_usage_error(wopts[i], "needs --window");
	}
	{
		static const char *const copts[] = {"--checkpoint-interval", "--from-state",
						    "--state-db", "--state-table"};
		int set[] = {opt.ckpt_interval_us != 0, opt.from_state != NULL,
			     opt.state_db != NULL, opt.state_table != NULL};

		for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
			if (set[i] && !opt.ckpt_dir)
				cli_usage_error(copts[i], "needs --checkpoint");
	}
	if (!opt.ckpt_interval_us)
		opt.ckpt_interval_us = 10000000;
	if (!opt.state_table)
		opt.state_table = "etl_state";
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
	groups_release();
	results_release();
	for (size_t i = 0; i < plan.naggs; i++) {
		free(plan.aggs[i].name);
		free(plan.aggs[i].spec);
		buf_release(&plan.aggs[i].label);
	}
	free(plan.aggs);
	for (size_t i = 0; i < plan.nex; i++)
		expr_free(plan.ex[i]);
	free(plan.ex);
	if (opt.window)
		path_release(&plan.want[plan.obase]);
	free(plan.want);
	expr_fields_release(&efields);
	path_list_free(plan.gpaths, plan.ngpaths);
	path_release(&opt.time_path);
	free(agg_specs);
	arena_release(&scratch);
}

int main(int argc, char **argv)
{
	struct timespec ts;

	cli_start(&prog, argc, argv);
	check_options();
	make_plan();
	clock_gettime(CLOCK_REALTIME, &ts);
	groups_init((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	if (opt.memory)
		batch.full = spill_groups;

	if (opt.merge)
		merge_run();
	else if (opt.window)
		window_run();
	else
		batch_run();
	release();
	cli_finish();
}
