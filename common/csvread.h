/*
 * csvread.h - the toolkit's one CSV reader: RFC 4180 bytes in, one NDJSON
 * object per record out.
 *
 * etl-from-csv, etl-fetch-api --format csv and etl-join --with FILE.csv all
 * read CSV through it, so a file gives the same records everywhere.  The
 * caller feeds bytes in chunks of any size (csvread_feed), file after file
 * (csvread_begin / csvread_end); each finished record comes back through the
 * emit callback as the text of one JSON object, keys in column order.
 *
 * Names come from the header row, --header (given) or are c1..cN.  Values are
 * strings, except: a field equal to a --null string is null; with infer, a
 * field that is a plain JSON number or true/false is written unquoted (its
 * text unchanged), and an empty field is null in a column whose values in
 * the sample (the first 64 KiB or 1000 lines of the file) are all numbers, booleans, dates
 * or times; a --types column is converted by cast.h.
 *
 * Delimiter 0 means: detect it per file from the sample among , ; TAB and |
 * (csvread_detect).
 *
 * A record that cannot be converted (wrong field count, invalid UTF-8, a
 * value that is not of its --types type, a syntax error) goes to
 * bad_record() with its file:line, or is fatal (status 65) with strict.  A
 * header problem is always fatal: it goes to die (etl_die by default), which
 * must not return.
 */
#ifndef ETL_CSVREAD_H
#define ETL_CSVREAD_H

#include <stddef.h>

#include "cast.h"
#include "csvopt.h"
#include "path.h"

enum { CSVREAD_HEADER_ROW, CSVREAD_HEADER_GIVEN, CSVREAD_HEADER_NONE };

typedef void (*csvread_emit_fn)(void *ctx, const char *line, size_t n);
typedef void (*csvread_die_fn)(int status, const char *where, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

struct csvread_opts {
	struct csv_dialect dialect; /* delim 0: detect it in each file */
	int header;                 /* CSVREAD_HEADER_* */
	const struct path *given;   /* CSVREAD_HEADER_GIVEN: names of one segment */
	size_t ngiven;
	struct span *nulls; /* fields read as null (csvread_on_opt allocates) */
	size_t nnull, capnull;
	int infer;
	const struct cast_spec *types; /* paths of one segment: the columns' names */
	size_t ntypes;
	int verbose;        /* say which delimiter was detected */
	int threads;        /* parse in a second thread while the caller converts */
	int count;          /* count records in stats.records_in and progress */
	int strict;         /* a bad record is fatal, whatever --bad-records says */
	csvread_die_fn die; /* NULL: etl_die */
};

/* The typing options every program that reads CSV takes, beside the
 * dialect's (csvopt.h), with the same meaning: --null STR (repeatable) and
 * -i/--infer. */
enum { CSVREAD_NULL = 1010, CSVREAD_INFER };

#define CSVREAD_OPTIONS                                                                         \
	{CSVREAD_NULL, "null", 0, CLI_ARG, "STR", "a field equal to STR is null (repeatable)"}, \
	{                                                                                       \
		CSVREAD_INFER, "infer", 'i', CLI_NOARG, NULL,                                   \
			"numbers and true/false unquoted; empty is null in typed columns"       \
	}

/* Take option id with its argument when it is a dialect option or one of
 * CSVREAD_OPTIONS: returns 1; 0 when it is another option. */
int csvread_on_opt(struct csvread_opts *o, int id, const char *arg);
/* Once the command line is read: the dialect's checks; no -d/--tsv means
 * the delimiter is detected. */
void csvread_opts_check(struct csvread_opts *o);
/* Free what csvread_on_opt allocated. */
void csvread_opts_release(struct csvread_opts *o);

struct csvread;

/* A reader with the options o (the arrays they point to must outlive it);
 * emit receives each record's JSON text, line[n] == '\0'. */
struct csvread *csvread_new(const struct csvread_opts *o, csvread_emit_fn emit, void *ctx);
/* A new file (a URL...) named file starts: its header row is read again. */
void csvread_begin(struct csvread *r, const char *file);
/* The next n bytes of the file; p[0..n) need not outlive the call. */
void csvread_feed(struct csvread *r, const char *p, size_t n);
/* The file ended: its last record may lack its line break. */
void csvread_end(struct csvread *r);
void csvread_free(struct csvread *r);

/* The delimiter of the CSV text p[0..n) among , ; TAB |: the first that
 * splits every complete record of it into the same number of fields, more
 * than one; ',' when none does.  eof says the text is the whole file (its
 * last line is complete without a line break). */
unsigned char csvread_detect(const char *p, size_t n, unsigned char quote, int eof);
/* Printable ASCII other than '"' and '\\' (exposed for the fuzzer). */
int csvread_plain_ascii(const char *s, size_t n);

#endif
