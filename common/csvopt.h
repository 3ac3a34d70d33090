/*
 * csvopt.h - the CSV dialect options, read the same way by every program
 * that reads or writes CSV (etl-from-csv, etl-to-csv).
 *
 * A program puts CSVOPT_OPTIONS in its option table, passes each option to
 * csvopt_on_opt() before its own, and calls csvopt_check() once the command
 * line is read.  So -d/--delimiter, --tsv and --quote mean, default and
 * fail alike everywhere, with the same messages: a value that is not one
 * ASCII character (cli_char()), --tsv with --delimiter, and a quote equal to
 * the delimiter are usage errors.
 */
#ifndef ETL_CSVOPT_H
#define ETL_CSVOPT_H

#include "cli.h"

/* Option ids, above any program's own. */
enum { CSVOPT_DELIM = 1000, CSVOPT_TSV, CSVOPT_QUOTE };

/* The entries of the dialect options, for a program's table. */
#define CSVOPT_OPTIONS                                                                          \
	{CSVOPT_DELIM, "delimiter", 'd',                                                        \
	 CLI_ARG,      "CHAR",      "field delimiter (default: , or, reading, detected)"},      \
		{CSVOPT_TSV, "tsv", 0, CLI_NOARG, NULL, "tab-separated: the same as -d '\\t'"}, \
	{                                                                                       \
		CSVOPT_QUOTE, "quote", 0, CLI_ARG, "CHAR", "quote character (default: \")"      \
	}

struct csv_dialect {
	unsigned char delim, quote;
	int delim_opt; /* the option that set delim, for the conflict */
};

#define CSV_DIALECT_INIT    \
	{                   \
		',', '"', 0 \
	}

/* Take option id with its argument (cli_optname names it) when it is one of
 * the dialect's: returns 1; 0 when it is another option. */
int csvopt_on_opt(struct csv_dialect *d, int id, const char *arg);
/* The options as a whole: the quote must differ from the delimiter. */
void csvopt_check(const struct csv_dialect *d);

#endif
