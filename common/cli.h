/*
 * cli.h - command lines, the same for every program (CONVENTIONS section 2).
 *
 * A program describes its own options in one table; cli_start() adds the
 * common ones (-o, --bad-records, --max-bad, --progress, --stats, -q, -h,
 * --version), parses with getopt_long (options may follow file names), prints
 * --help from the tables, and sets up output, the bad-record policy, progress
 * and stats.  The same tables are what the tests compare with the man pages
 * and the completions, so the three cannot drift apart.
 *
 * The arguments kept for --stats are redacted (redact.h): a password in a
 * connection string or URI, the value of a CLI_SECRET option, and the
 * value of $PGPASSWORD never reach the --stats file or a message.
 *
 * The value parsers below (cli_char, cli_uint, cli_size, cli_duration,
 * cli_paths, cli_path) are for on_opt handlers: each checks one kind of
 * value the same way in every program and reports a bad one as a usage
 * error with the same words.
 */
#ifndef ETL_CLI_H
#define ETL_CLI_H

#include <stddef.h>
#include <stdint.h>

enum { CLI_NOARG, CLI_ARG, CLI_OPTARG };
/* Or'ed into arg for an option whose value is a secret (a token, a
 * password): --stats shows it as "***", and no message shows it. */
enum { CLI_SECRET = 1 << 4 };

struct cli_opt {
	int id;           /* passed to the program's handler; > 0 */
	const char *lng;  /* long name without "--" */
	int shrt;         /* short letter or 0 */
	int arg;          /* CLI_NOARG, CLI_ARG, CLI_OPTARG, maybe | CLI_SECRET */
	const char *meta; /* argument name in --help ("FIELDS") */
	const char *help; /* one line */
};

/* Which common options a program takes; most take them all. */
enum {
	CLI_NO_INPUT = 1 << 0,   /* arguments are words, not input files (etl-state) */
	CLI_NO_OUTPUT = 1 << 1,  /* no -o (writes elsewhere, e.g. etl-load-pg) */
	CLI_NO_RECORDS = 1 << 2, /* no --bad-records/--max-bad */
	CLI_NO_ARGS = 1 << 3,    /* no arguments besides options: any is a usage
				    error "unexpected argument 'X'" (etl-extract-pg) */
	CLI_FOLLOW = 1 << 4,     /* --follow FILE and its options (follow.h) */
};

struct cli_prog {
	const char *name;           /* "etl-from-csv" */
	const char *synopsis;       /* "[OPTIONS] [FILE...]" */
	const char *summary;        /* one line: what it does */
	const struct cli_opt *opts; /* terminated by an entry with id 0 */
	unsigned flags;
	/* Called for each program option in command-line order; arg is NULL
	 * for CLI_NOARG.  Report bad values with cli_usage_error(), naming
	 * the option cli_optname. */
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

/* The option being handled, as the user spelled it ("-n" or "--count"),
 * for messages: set before each call of on_opt, valid during it. */
extern const char *cli_optname;

/* Parse argv, handle -h and --version (exit 0), set everything up. */
void cli_start(const struct cli_prog *prog, int argc, char **argv);
/* "etl-x: --opt: message", status 2. */
void cli_usage_error(const char *opt, const char *fmt, ...) __attribute__((format(printf, 2, 3)))
__attribute__((noreturn));
/* Finish a successful run: close the output, write stats, exit 0 (or the
 * status that --max-bad or the policy demand). */
void cli_finish(void) __attribute__((noreturn));
/* One ASCII character that is not a line break (a delimiter, a quote);
 * the two characters "\t" are a tab.  Otherwise "OPT: expected one character,
 * got 'X'" or "OPT: cannot be a line break or a non-ASCII byte". */
unsigned char cli_char(const char *opt, const char *arg);
/* A decimal integer in [min, max]: digits only, no sign or blanks (leading
 * zeros are fine).  Otherwise "OPT: expected a positive integer, got 'X'"
 * (min 1; "a non-negative integer" for min 0, "an integer of at least MIN"
 * above) or "OPT: too large: 'X'". */
unsigned long long cli_uint(const char *opt, const char *arg, unsigned long long min,
			    unsigned long long max);
/* A size in bytes: a number (decimals allowed) with an optional K, M, G or
 * T, powers of 1024, and an optional B ("512M", "1.5G", "64k", "4096"), of
 * at least min.  Otherwise "OPT: expected a size (512M, 1.5G, 64k), got
 * 'X'" ("a size of at least MIN" when min > 0). */
uint64_t cli_size(const char *opt, const char *arg, uint64_t min);
/* A duration (timefmt_duration(): "30s", "5m", "1h30m", "250ms", "2w") of
 * at least min_us microseconds, in microseconds.  Otherwise "OPT: expected
 * a duration (30s, 5m, 1h30m), got 'X'" ("a positive duration" for min_us
 * 1, "a duration of at least MIN" above). */
int64_t cli_duration(const char *opt, const char *arg, int64_t min_us);
/* A comma-separated list of field paths (path.h) into a new array, freed
 * with path_list_free().  A malformed list is "OPT: column N: WHAT", N the
 * 1-based column of the fault in arg. */
struct path;
void cli_paths(const char *opt, const char *arg, struct path **paths, size_t *n);
/* One field path starting at arg + at: with whole, the rest of arg must be
 * the path; otherwise it ends before the first byte that cannot continue it
 * ("a.b=1" gives "a.b").  Returns the bytes it took; a malformed path is an
 * error as for cli_paths(), its column counted from the start of arg. */
size_t cli_path(const char *opt, const char *arg, size_t at, int whole, struct path *p);

/* Split "a,b,c" (no quoting) into a new NULL-terminated array of strings. */
char **cli_split(const char *s, size_t *n);
void cli_split_free(char **v);

#endif
