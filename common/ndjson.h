/*
 * ndjson.h - records from NDJSON input: input + scan + the bad-record policy.
 *
 * nd_next() yields only valid records (a line holding one JSON object); blank
 * lines are skipped; every other line is a bad record handed to bad_record()
 * with its file, line and column, and counted.  Each yielded record is counted
 * in stats.records_in.  The record is a view into the read buffer, valid until
 * the next call: a pass-through program writes rec.line as it is.
 *
 * With a shard slice (shard.h, --shard K/N) set before a reader opens, the
 * reader yields only the records of shard K: the others are counted in
 * stats.records_in, stats.dropped and stats.skipped, and never reach the
 * program.  A program whose other readers (partial states, its own workers'
 * streams) must see everything refuses --shard in those modes.
 */
#ifndef ETL_NDJSON_H
#define ETL_NDJSON_H

#include <stddef.h>
#include <stdint.h>

#include "path.h"
#include "scan.h"

struct ndjson;

struct record {
	struct span line; /* the line's bytes, without its line ending */
	const char *file; /* for messages */
	uint64_t lineno;
	struct span *vals; /* the wanted paths' values (see nd_open) */
	/* Where the line lies in its file, as struct line (input.h) says:
	 * with reread set, bytes [off, off + line.n + 1) of the open file fd
	 * are the line and its '\n'. */
	int reread;
	int fd;
	uint64_t off;
};

/* Open the program's inputs; the wanted paths (may be 0) are looked up in
 * every record and returned in rec.vals[0..nwant). */
struct ndjson *nd_open(char **files, size_t nfiles, const struct path *want, size_t nwant);
/* The same on an input opened by the caller (input_open_range()); the
 * ndjson takes it over and closes it. */
struct input;
struct ndjson *nd_open_input(struct input *in, const struct path *want, size_t nwant);
/* 1 and the next record, or 0 at the end of the input; with a timeout set,
 * ND_TIMEOUT when no record came in time (call again to go on). */
int nd_next(struct ndjson *nd, struct record *rec);
/* Is the line blank (empty, or only spaces, tabs and CRs)?  Such lines are
 * not records: nd_next() skips them, and so must any other reader. */
int nd_blank(const char *p, size_t n);
/* Give up waiting for input after ms milliseconds (input_set_timeout()). */
void nd_set_timeout(struct ndjson *nd, int ms);
#define ND_TIMEOUT (-1)
void nd_close(struct ndjson *nd);
/* Declare the current record bad after all (a program's own check failed):
 * applies the policy; under "fail" does not return. */
void nd_reject(struct ndjson *nd, const struct record *rec, unsigned long col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
