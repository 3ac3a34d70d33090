/*
 * cli.h - command lines, the same for every program (CONVENTIONS section 2).
 *
 * A program describes its own options in one table; cli_start() adds the
 * common ones (-o, --bad-records, --max-bad, --progress, --stats, -q, -h,
 * --version), parses with getopt_long (options may follow file names), prints
 * --help from the tables, and sets up output, the bad-record policy, progress
 * and stats.  The same tables are what the tests compare with the man pages
 * and the completions, so the three cannot drift apart.
 */
#ifndef ETL_CLI_H
#define ETL_CLI_H

#include <stddef.h>

enum { CLI_NOARG, CLI_ARG, CLI_OPTARG };

struct cli_opt {
	int id;           /* passed to the program's handler; > 0 */
	const char *lng;  /* long name without "--" */
	int shrt;         /* short letter or 0 */
	int arg;          /* CLI_NOARG, CLI_ARG, CLI_OPTARG */
	const char *meta; /* argument name in --help ("FIELDS") */
	const char *help; /* one line */
};

/* Which common options a program takes; most take them all. */
enum {
	CLI_NO_INPUT = 1 << 0,   /* arguments are words, not input files (etl-state) */
	CLI_NO_OUTPUT = 1 << 1,  /* no -o (writes elsewhere, e.g. etl-load-pg) */
	CLI_NO_RECORDS = 1 << 2, /* no --bad-records/--max-bad */
};

struct cli_prog {
	const char *name;     /* "etl-from-csv" */
	const char *synopsis; /* "[OPTIONS] [FILE...]" */
	const char *summary;  /* one line: what it does */
	const struct cli_opt *opts; /* terminated by an entry with id 0 */
	unsigned flags;
	/* Called for each program option in command-line order; arg is NULL
	 * for CLI_NOARG.  Report bad values with cli_usage_error(). */
	void (*on_opt)(int id, const char *arg);
};

/* The parsed common options. */
struct cli_common {
	const char *output;
	const char *bad_records;
	const char *max_bad;
	const char *stats;
	int progress; /* 0 off, 1 when stderr is a terminal, 2 always */
	char **files; /* the non-option arguments: input files, or words */
	size_t nfiles;
};
extern struct cli_common cli;

/* Parse argv, handle -h and --version (exit 0), set everything up. */
void cli_start(const struct cli_prog *prog, int argc, char **argv);
/* "etl-x: --opt: message", status 2. */
void cli_usage_error(const char *opt, const char *fmt, ...) __attribute__((format(printf, 2, 3)))
	__attribute__((noreturn));
/* Finish a successful run: close the output, write stats, exit 0 (or the
 * status that --max-bad or the policy demand). */
void cli_finish(void) __attribute__((noreturn));
/* Split "a,b,c" (no quoting) into a new NULL-terminated array of strings. */
char **cli_split(const char *s, size_t *n);
void cli_split_free(char **v);

#endif
