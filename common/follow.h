/*
 * follow.h - --follow FILE and where to begin in it (CONVENTIONS section 6).
 *
 * A program whose cli_prog has CLI_FOLLOW takes --follow, --from-offset
 * BYTE, --from-state NAME, --state-db CONNINFO and --state-table TABLE;
 * cli_start() hands them here once parsed.  The one input file is read as
 * tail -F does (input_follow_all()) and each record gets _off = "PATH:BYTE"
 * (ndjson.c), PATH the file's name as given, escaped by
 * offset_stream_escape().  --from-offset begins at a byte that starts a
 * line; --from-state reads the offset set a sink committed as NAME in the
 * state table and begins after the line at the first component of the
 * file's position, or at the start when the set has no entry for it.
 */
#ifndef ETL_FOLLOW_H
#define ETL_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

struct follow_opts {
	int on;
	int from_offset_set;
	uint64_t from_offset;
	const char *from_state, *state_db, *state_table;
};

/* A usage error found by follow_setup(): the option and what is wrong. */
struct follow_err {
	const char *opt;
	char msg[512];
};

/* Check the options against the input files and set the input up (nothing
 * when on is 0): 0, or -1 with the usage error in *e for the caller to
 * report. */
int follow_setup(const struct follow_opts *f, char **files, size_t nfiles, struct follow_err *e);

#endif
