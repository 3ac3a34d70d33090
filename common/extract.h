/*
 * extract.h - what the database sources (etl-extract-pg, etl-extract-mysql)
 * share: the options that pick the rows (-t, -c, -f, --since-column,
 * --since, --order-by, --partition, --partition-column) and their checks,
 * the query text read from a file and trimmed so that it can be wrapped, the
 * keys of the records, and the ORDER BY clause.  The SQL dialect differs;
 * what the options mean does not.
 */
#ifndef ETL_EXTRACT_H
#define ETL_EXTRACT_H

#include "buf.h"
#include "cli.h"

/* Option ids, above those a program uses for its own options. */
enum {
	EXTRACT_OPT_TABLE = 100,
	EXTRACT_OPT_QUERY,
	EXTRACT_OPT_FILE,
	EXTRACT_OPT_SINCE_COL,
	EXTRACT_OPT_SINCE,
	EXTRACT_OPT_ORDER,
	EXTRACT_OPT_PART,
	EXTRACT_OPT_PART_COL,
};

/* The entries of a program's option table; TABLE is the -t argument's
 * name in --help ("[SCHEMA.]TABLE"). */
#define EXTRACT_CLI_OPTS(TABLE)                                                                      \
	{EXTRACT_OPT_TABLE, "table", 't', CLI_ARG, TABLE, "extract this table"},                     \
		{EXTRACT_OPT_QUERY, "query", 'c', CLI_ARG, "SQL", "extract the rows of this query"}, \
		{EXTRACT_OPT_FILE, "file",     'f',                                                  \
		 CLI_ARG,          "FILE.sql", "extract the rows of the query in FILE"},             \
		{EXTRACT_OPT_SINCE_COL,                                                              \
		 "since-column",                                                                     \
		 0,                                                                                  \
		 CLI_ARG,                                                                            \
		 "COL",                                                                              \
		 "incremental: order by COL, rows with COL >= --since"},                             \
		{EXTRACT_OPT_SINCE, "since", 0,                                                      \
		 CLI_ARG,           "VALUE", "the watermark (empty: from the beginning)"},           \
		{EXTRACT_OPT_ORDER, "order-by", 0,                                                   \
		 CLI_ARG,           "COLS",     "order by these columns (ascending)"},               \
		{EXTRACT_OPT_PART, "partition", 0,                                                   \
		 CLI_ARG,          "K/N",       "only the K-th of N disjoint slices"},               \
	{                                                                                            \
		EXTRACT_OPT_PART_COL, "partition-column", 0, CLI_ARG, "COL",                         \
			"the column whose hash picks the slice"                                      \
	}

/* The parsed options. */
struct extract_opts {
	const char *table, *query, *file, *since_col, *since, *order_by, *part_col;
	long part_k, part_n; /* 0 without --partition */
};
extern struct extract_opts xo;

/* Handle one of the options above (from the program's on_opt); 0 when id
 * is not one of them. */
int extract_opt(int id, const char *arg);
/* After cli_start(): exactly one of -t, -c and -f; --since needs
 * --since-column; --partition and --partition-column go together. */
void extract_check(void);
/* Is there a watermark to compare with (--since given and not empty)? */
int extract_has_since(void);

enum extract_dialect { EXTRACT_PG, EXTRACT_MYSQL };

/* The query of -c or -f, in a new string, trimmed by extract_trim_sql();
 * an empty query is a usage error, an unreadable file exits 74. */
char *extract_source_sql(enum extract_dialect d);
/* Cut a query after its last token, so that the semicolons, comments and
 * white space that end it go and it can stand inside SELECT ... FROM
 * (query).  Strings, quoted names, comments (and PostgreSQL's dollar
 * quotes) are skipped whole, so a ';' inside them counts for nothing.
 * Returns the new length (0: nothing but blanks and comments). */
size_t extract_trim_sql(char *s, enum extract_dialect d);

/* The record keys of the columns: "{\"name\":" for the first, ",\"name\":"
 * for the others.  Two columns with one name are a usage error at where. */
char **extract_keys(char *const *names, int n, const char *where);
void extract_keys_free(char **keys, int n);

/* The index of the column called name, or a usage error naming opt:
 * 'no column "x" in the table' (or "query"). */
int extract_need_col(const char *opt, char *const *names, int n, const char *name);

/* Append " ORDER BY since_col, order_by..." when either is given, each
 * name checked against the columns and quoted by ident(ctx, b, name). */
void extract_order_by(struct buf *q, char *const *names, int n,
		      void (*ident)(void *ctx, struct buf *b, const char *name), void *ctx);

#endif
