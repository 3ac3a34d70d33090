/*
 * cli.c - the command line of every program (cli.h).
 *
 * The program's table and the common table are merged into one getopt_long
 * table; --help is printed from the same two tables.  getopt's own messages
 * are off (opterr = 0) so that usage errors read "etl-NAME: --opt: WHAT" and
 * exit 2 like every other message.  GNU getopt permutes argv, so options may
 * follow file names; "--" ends the options.
 *
 * The redacted copy of argv kept for --stats lives until the process ends, on
 * purpose: the --stats record is written by an exit hook, which may run at
 * any exit, so there is no earlier point at which it could be freed.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bad.h"
#include "buf.h"
#include "die.h"
#include "follow.h"
#include "mem.h"
#include "out.h"
#include "path.h"
#include "redact.h"
#include "shard.h"
#include "stats.h"
#include "timefmt.h"
#include "utf8.h"
#include "banned.h"

struct cli_common cli;
const char *cli_optname;

enum {
	OPT_OUTPUT = -1,
	OPT_BAD = -2,
	OPT_MAXBAD = -3,
	OPT_PROGRESS = -4,
	OPT_STATS = -5,
	OPT_QUIET = -6,
	OPT_HELP = -7,
	OPT_VERSION = -8,
	OPT_SHARD = -9,
	OPT_SHARD_KEY = -10,
	OPT_FOLLOW = -11,
	OPT_FROM_OFFSET = -12,
	OPT_FROM_STATE = -13,
	OPT_STATE_DB = -14,
	OPT_STATE_TABLE = -15,
};

static const struct cli_opt common_opts[] = {
	{OPT_OUTPUT, "output", 'o', CLI_ARG, "FILE", "write to FILE, atomically (default: stdout)"},
	{OPT_BAD, "bad-records", 0, CLI_ARG, "fail|skip|FILE",
	 "what a bad record gets (default: fail)"},
	{OPT_MAXBAD, "max-bad", 0, CLI_ARG, "N|N%", "with skip or FILE: fail past N bad records"},
	{OPT_PROGRESS, "progress", 0, CLI_OPTARG, "always", "show a live status line on stderr"},
	{OPT_STATS, "stats", 0, CLI_ARG, "FILE", "write run statistics as JSON to FILE at exit"},
	{OPT_FOLLOW, "follow", 0, CLI_NOARG, NULL,
	 "read the FILE as it grows (tail -F); records get _off"},
	{OPT_FROM_OFFSET, "from-offset", 0, CLI_ARG, "BYTE", "--follow: begin at this byte"},
	{OPT_FROM_STATE, "from-state", 0, CLI_ARG, "NAME",
	 "--follow: begin after the offset a sink committed as NAME"},
	{OPT_STATE_DB, "state-db", 0, CLI_ARG | CLI_SECRET, "CONNINFO",
	 "the database of --from-state (default: PG* environment)"},
	{OPT_STATE_TABLE, "state-table", 0, CLI_ARG, "[SCHEMA.]TABLE",
	 "the state table of --from-state (default: etl_state)"},
	{OPT_QUIET, "quiet", 'q', CLI_NOARG, NULL, "no warnings, only errors"},
	{OPT_HELP, "help", 'h', CLI_NOARG, NULL, "show this help and exit"},
	{OPT_VERSION, "version", 0, CLI_NOARG, NULL, "print the version and exit"},
	{0, NULL, 0, 0, NULL, NULL},
};

/* The option group of the programs with keyed state (CLI_SHARD). */
static const struct cli_opt shard_opts[] = {
	{OPT_SHARD, "shard", 0, CLI_ARG, "K/N", "keep only the records of shard K of N"},
	{OPT_SHARD_KEY, "shard-key", 0, CLI_ARG, "FIELDS", "the key that --shard hashes"},
	{0, NULL, 0, 0, NULL, NULL},
};

static const struct cli_prog *prog;

static int applies(const struct cli_opt *o)
{
	unsigned f = prog->flags;

	if (o->id == OPT_OUTPUT)
		return !(f & CLI_NO_OUTPUT);
	if (o->id == OPT_BAD || o->id == OPT_MAXBAD)
		return !(f & CLI_NO_RECORDS);
	if (o->id <= OPT_FOLLOW && o->id >= OPT_STATE_TABLE)
		return !!(f & CLI_FOLLOW);
	return 1;
}

static void help_table(const struct cli_opt *o, int common)
{
	for (; o->id; o++) {
		char left[64];
		int n;

		if (common && !applies(o))
			continue;
		if (o->shrt)
			n = snprintf(left, sizeof(left), "-%c, --%s", o->shrt, o->lng);
		else
			n = snprintf(left, sizeof(left), "    --%s", o->lng);
		if (o->meta && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - n,
				 (o->arg & ~CLI_SECRET) == CLI_OPTARG ? "[=%s]" : " %s", o->meta);
		if (strlen(left) > 26)
			printf("  %s\n  %-26s  %s\n", left, "", o->help);
		else
			printf("  %-26s  %s\n", left, o->help);
	}
}

static void help(void)
{
	printf("Usage: %s %s\n%s\n", prog->name, prog->synopsis, prog->summary);
	if (prog->opts && prog->opts[0].id) {
		printf("\nOptions:\n");
		help_table(prog->opts, 0);
	}
	printf("\nCommon options:\n");
	help_table(common_opts, 1);
	if (prog->flags & CLI_SHARD) {
		printf("\nSharding options (etl(7), SCALING OUT):\n");
		help_table(shard_opts, 0);
	}
	printf("\nSee %s(1) for details and etl(7) for the conventions all etl programs share.\n",
	       prog->name);
}

void cli_usage_error(const char *opt, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&m, fmt, ap);
	va_end(ap);
	/* through etl_error(), so that a quoted value is redacted too */
	etl_error(opt, "%s", m.p);
	buf_release(&m);
	fprintf(stderr, "Try '%s --help' for more information.\n", etl_progname);
	etl_exit(ETL_EXIT_USAGE);
}

/* After --help or --version: what was printed must have reached stdout, as
 * any other output must (a full disk is status 74, a closed pipe is quiet). */
static void __attribute__((noreturn)) exit_printed(void)
{
	int failed = ferror(stdout);

	errno = 0;
	if (fflush(stdout) != 0)
		failed = 1;
	if (failed && errno != EPIPE)
		etl_die(ETL_EXIT_IOERR, "<stdout>", "write error: %s",
			strerror(errno ? errno : EIO));
	exit(0);
}

static struct follow_opts follow;

static void common_opt(int id, const char *arg)
{
	switch (id) {
	case OPT_FOLLOW:
		follow.on = 1;
		break;
	case OPT_FROM_OFFSET:
		follow.from_offset = cli_uint(cli_optname, arg, 0, INT64_MAX);
		follow.from_offset_set = 1;
		break;
	case OPT_FROM_STATE:
		follow.from_state = arg;
		break;
	case OPT_STATE_DB:
		follow.state_db = arg;
		break;
	case OPT_STATE_TABLE:
		follow.state_table = arg;
		break;
	case OPT_OUTPUT:
		cli.output = arg;
		break;
	case OPT_BAD:
		cli.bad_records = arg;
		break;
	case OPT_MAXBAD:
		cli.max_bad = arg;
		break;
	case OPT_PROGRESS:
		if (!arg)
			cli.progress = 1;
		else if (strcmp(arg, "always") == 0)
			cli.progress = 2;
		else if (strcmp(arg, "never") == 0)
			cli.progress = 0;
		else
			cli_usage_error("--progress", "expected 'always' or 'never', got '%s'",
					arg);
		break;
	case OPT_STATS:
		cli.stats = arg;
		break;
	case OPT_QUIET:
		etl_quiet = 1;
		break;
	case OPT_HELP:
		help();
		exit_printed();
	case OPT_VERSION:
		printf("%s %s\n", prog->name, ETL_VERSION);
		exit_printed();
	case OPT_SHARD: {
		char err[160];

		if (shard_parse(arg, &shard_slice.k, &shard_slice.n, err, sizeof(err)) != 0)
			cli_usage_error(cli_optname, "%s", err);
		break;
	}
	case OPT_SHARD_KEY:
		path_list_free(shard_slice.keys, shard_slice.nkeys);
		shard_slice.keys = NULL;
		shard_slice.nkeys = 0;
		cli_paths(cli_optname, arg, &shard_slice.keys, &shard_slice.nkeys);
		break;
	}
}

/* The arguments as --stats shows them (argv's strings, redacted), and
 * argv's strings in their given order, which getopt_long changes. */
static char **copy, **given;

/* The value of a secret option, wherever getopt found it (the argument
 * itself, or after "--opt=" or "-x"), is "***" in the copy. */
static void hide_secret(int argc, const char *value)
{
	redact_remember(value, strlen(value));
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(given[i]);

		if (value >= given[i] && value <= given[i] + n) {
			struct buf b = BUF_INIT;

			buf_add(&b, given[i], value - given[i]);
			buf_adds(&b, "***");
			free(copy[i]);
			copy[i] = buf_detach(&b, NULL);
			return;
		}
	}
}

void cli_start(const struct cli_prog *p, int argc, char **argv)
{
	const struct cli_opt *tables[3] = {p->opts, common_opts, shard_opts};
	const struct cli_opt **byval;
	struct option *lo;
	char shorts[128] = ":";
	size_t nlo = 0, ns = 1, total = 0;
	int c;

	prog = p;
	etl_progname = p->name;
	/* --stats reports the arguments as given (getopt_long permutes argv),
	 * with their secrets taken out */
	if (getenv("PGPASSWORD"))
		redact_remember(getenv("PGPASSWORD"), strlen(getenv("PGPASSWORD")));
	copy = xcalloc(argc + 1, sizeof(*copy));
	given = xcalloc(argc + 1, sizeof(*given));
	for (int i = 0; i < argc; i++)
		copy[i] = redact(given[i] = argv[i]);
	stats_setup(NULL, argc, copy);
	signal(SIGPIPE, SIG_IGN);
	for (int t = 0; t < 3; t++)
		for (const struct cli_opt *o = tables[t]; o && o->id; o++)
			total++;
	lo = xcalloc(total + 1, sizeof(*lo));
	byval = xcalloc(total + 1, sizeof(*byval));
	for (int t = 0; t < 3; t++) {
		if (t == 2 && !(p->flags & CLI_SHARD))
			break;
		for (const struct cli_opt *o = tables[t]; o && o->id; o++) {
			if (t == 1 && !applies(o))
				continue;
			lo[nlo].name = o->lng;
			int kind = o->arg & ~CLI_SECRET;

			lo[nlo].has_arg = kind == CLI_NOARG ? no_argument
					  : kind == CLI_ARG ? required_argument
							    : optional_argument;
			lo[nlo].val = 256 + (int)nlo;
			byval[nlo] = o;
			if (o->shrt) {
				if (strchr(shorts, o->shrt) || ns + 3 >= sizeof(shorts))
					etl_die(ETL_EXIT_SOFTWARE, NULL, "option -%c defined twice",
						o->shrt);
				shorts[ns++] = o->shrt;
				if (kind == CLI_ARG)
					shorts[ns++] = ':';
				else if (kind == CLI_OPTARG)
					shorts[ns++] = ':', shorts[ns++] = ':';
			}
			nlo++;
		}
	}
	shorts[ns] = '\0';
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		static char spelled[80];
		const struct cli_opt *o = NULL;
		char name[80];

		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];

			if (optopt && optopt < 256)
				snprintf(name, sizeof(name), "-%c", optopt);
			else if (optopt >= 256)
				snprintf(name, sizeof(name), "--%s", lo[optopt - 256].name);
			else
				snprintf(name, sizeof(name), "%s", bad);
			if (c == ':')
				cli_usage_error(name, "requires an argument");
			if (optopt >= 256)
				cli_usage_error(name, "takes no argument");
			{
				char *eq = strchr(name, '=');

				if (eq)
					*eq = '\0';
			}
			cli_usage_error(name, "unknown option");
		}
		if (c >= 256) {
			o = byval[c - 256];
		} else {
			for (size_t i = 0; i < nlo; i++)
				if (byval[i]->shrt == c)
					o = byval[i];
		}
		if (!o)
			etl_die(ETL_EXIT_SOFTWARE, NULL, "option table mismatch");
		if (c >= 256)
			snprintf(spelled, sizeof(spelled), "--%s", o->lng);
		else
			snprintf(spelled, sizeof(spelled), "-%c", c);
		cli_optname = spelled;
		if ((o->arg & CLI_SECRET) && optarg)
			hide_secret(argc, optarg);
		if (o->id < 0)
			common_opt(o->id, optarg);
		else
			p->on_opt(o->id, optarg);
	}
	cli_optname = NULL;
	free(lo);
	free(byval);
	/* the values of secret options are known now: hide them wherever else
	 * they were given (--stats shows the arguments from here on) */
	for (int i = 0; i < argc; i++) {
		char *r = redact(copy[i]);

		free(copy[i]);
		copy[i] = r;
	}
	cli.files = argv + optind;
	cli.nfiles = argc - optind;
	if ((p->flags & CLI_NO_ARGS) && cli.nfiles)
		cli_usage_error(NULL, "unexpected argument '%s'", cli.files[0]);
	if (shard_slice.n && !shard_slice.nkeys)
		cli_usage_error("--shard", "needs --shard-key");
	if (shard_slice.nkeys && !shard_slice.n)
		cli_usage_error("--shard-key", "applies only with --shard");
	stats.sharded = shard_slice.n != 0;
	{
		struct follow_err fe;

		if (follow_setup(&follow, cli.files, cli.nfiles, &fe) < 0)
			cli_usage_error(fe.opt, "%s", fe.msg);
	}
	stats_path_set(cli.stats);
	if (!(p->flags & CLI_NO_RECORDS))
		bad_setup(cli.bad_records, cli.max_bad);
	progress_setup(cli.progress);
	out_open(cli.output);
	if (!(p->flags & CLI_NO_OUTPUT))
		out_count_records();
	etl_signals_catch();
}

void cli_finish(void)
{
	int status = bad_finish();

	if (status)
		etl_exit(status);
	out_close();
	etl_exit(0);
}

unsigned char cli_char(const char *opt, const char *arg)
{
	unsigned char c = (unsigned char)arg[0];

	if (strcmp(arg, "\\t") == 0)
		return '\t';
	if (c == '\0' || arg[1] != '\0')
		cli_usage_error(opt, "expected one character, got '%s'", arg);
	if (c == '\r' || c == '\n' || c >= 0x80)
		cli_usage_error(opt, "cannot be a line break or a non-ASCII byte");
	return c;
}

const char *cli_separator(const char *opt, const char *arg)
{
	if (!*arg)
		cli_usage_error(opt, "the separator cannot be empty");
	if (!utf8_valid(arg, strlen(arg)))
		cli_usage_error(opt, "the separator is not valid UTF-8");
	return arg;
}

unsigned long long cli_uint(const char *opt, const char *arg, unsigned long long min,
			    unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	/* strtoull would take blanks and a sign: only digits are a count */
	if (*arg < '0' || *arg > '9' || *end || (errno != ERANGE && v < min)) {
		if (min <= 1)
			cli_usage_error(opt, "expected a %s integer, got '%s'",
					min ? "positive" : "non-negative", arg);
		cli_usage_error(opt, "expected an integer of at least %llu, got '%s'", min, arg);
	}
	if (errno == ERANGE || v > max)
		cli_usage_error(opt, "too large: '%s'", arg);
	return v;
}

/* min written back the way a user would write it: 1k, 64M, 4096. */
static void size_text(char *b, size_t n, uint64_t v)
{
	static const char units[] = "kMGT";
	int u = -1;

	while (u < 3 && v && v % 1024 == 0)
		v /= 1024, u++;
	if (u < 0)
		snprintf(b, n, "%llu", (unsigned long long)v);
	else
		snprintf(b, n, "%llu%c", (unsigned long long)v, units[u]);
}

uint64_t cli_size(const char *opt, const char *arg, uint64_t min)
{
	const char *p = arg, *units = "kmgt", *u;
	double v = 0, scale = 1;
	int digits = 0;
	char mintext[32];

	/* digits, then maybe a fraction: no sign, exponent, hex, inf or nan */
	for (; *p >= '0' && *p <= '9'; p++, digits++)
		v = v * 10 + (*p - '0');
	if (digits && *p == '.') {
		if (p[1] < '0' || p[1] > '9')
			digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++)
			v += (*p - '0') / (scale *= 10);
	}
	if (digits && *p && (u = strchr(units, *p | 0x20)) != NULL) {
		for (const char *k = units; k <= u; k++)
			v *= 1024;
		p++;
	}
	if (digits && (*p == 'B' || *p == 'b'))
		p++;
	if (!digits || *p || v >= 1.8e19 || (uint64_t)v < min) {
		if (!min)
			cli_usage_error(opt, "expected a size (512M, 1.5G, 64k), got '%s'", arg);
		size_text(mintext, sizeof(mintext), min);
		cli_usage_error(opt, "expected a size of at least %s (512M, 1.5G, 64k), got '%s'",
				mintext, arg);
	}
	return (uint64_t)v;
}

int64_t cli_duration(const char *opt, const char *arg, int64_t min_us)
{
	int64_t us;

	if (timefmt_duration(arg, &us) != 0 || us < min_us) {
		if (min_us <= 0)
			cli_usage_error(opt, "expected a duration (30s, 5m, 1h30m), got '%s'", arg);
		if (min_us == 1)
			cli_usage_error(opt,
					"expected a positive duration (30s, 5m, 1h30m), got '%s'",
					arg);
		if (min_us % 1000000 == 0)
			cli_usage_error(opt,
					"expected a duration of at least %llds (30s, 5m, 1h30m), "
					"got '%s'",
					(long long)(min_us / 1000000), arg);
		cli_usage_error(opt,
				"expected a duration of at least %lldms (30s, 5m, 1h30m), got '%s'",
				(long long)(min_us / 1000), arg);
	}
	return us;
}

size_t cli_path(const char *opt, const char *arg, size_t at, int whole, struct path *p)
{
	const char *err;
	size_t off;
	long k = path_parse(p, arg + at, whole, &err, &off);

	if (k < 0)
		cli_usage_error(opt, "column %zu: %s", at + off + 1, err);
	return (size_t)k;
}

void cli_paths(const char *opt, const char *arg, struct path **paths, size_t *n)
{
	const char *err;
	size_t off;

	if (path_list_parse(arg, paths, n, &err, &off) != 0)
		cli_usage_error(opt, "column %zu: %s", off + 1, err);
}

char **cli_split(const char *s, size_t *n)
{
	size_t k = 1, i = 0;
	char **v;
	const char *p;

	for (p = s; *p; p++)
		k += *p == ',';
	v = xcalloc(k + 1, sizeof(*v));
	for (p = s;; p++) {
		const char *e = strchr(p, ',');

		if (!e)
			e = p + strlen(p);
		v[i++] = xstrndup(p, e - p);
		p = e;
		if (!*p)
			break;
	}
	if (n)
		*n = i;
	return v;
}

void cli_split_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
