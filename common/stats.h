/*
 * stats.h - the run's counters, --progress and --stats.
 *
 * Invariant kept by every program: records_in = records_out + bad + dropped
 * + unwritten.  The reader counts records_in and bad, programs count
 * records_out (out side) and dropped (deduplicated, filtered); out.c makes
 * records_out what was delivered (out_count_records()).  unwritten is not
 * counted but found at exit: the records a run that ended early (a closed
 * pipe, a write error, a failure, a signal) read and did not finish; it is
 * 0 when a run succeeds.  progress_tick() is cheap enough
 * to call per record: it looks at the clock only every few thousand calls.
 */
#ifndef ETL_STATS_H
#define ETL_STATS_H

#include <stdint.h>

struct input;

struct stats {
	uint64_t records_in, records_out, bad, dropped;
	uint64_t bytes_in; /* counted by input.c as it reads */
	/* records of other shards (shard.h), counted in dropped too; in the
	 * --stats record as "skipped" when the run keeps one shard */
	uint64_t skipped;
	int sharded;
};
extern struct stats stats;

/* mode: 0 off, 1 if stderr is a terminal, 2 always. */
void progress_setup(int mode);
/* The input whose total size (when known) gives the bar and ETA. */
void progress_input(const struct input *in);
/* The number of records expected (0: unknown), for inputs whose size in
 * bytes is not known (a query's rows): the bar and ETA then follow
 * records_in.  It may be an estimate; past it, the bar is left out.  A
 * known byte total takes precedence. */
void progress_total_records(uint64_t n);
void progress_update(void);
extern unsigned progress_countdown;
static inline void progress_tick(void)
{
	if (progress_countdown && !--progress_countdown)
		progress_update();
}
/* A program's own part of the progress line: fn appends ", 3 pages"... */
struct buf;
void progress_extra(void (*fn)(struct buf *b));
/* Erase the progress line (before a message, at exit). */
void progress_clear(void);

/* Remember argv (already redacted) and the --stats file; the record is
 * written at exit, or when a signal ends the run. */
void stats_setup(const char *path, int argc, char **argv);
/* The --stats file, known only once the options are parsed. */
void stats_path_set(const char *path);
/* A program's own counters for the --stats record: fn appends them as
 * ",\"name\":value..." after the common ones. */
void stats_extra(void (*fn)(struct buf *b));
/* Exit hook: writes the --stats record with the exit status. */
void stats_finish(int status);
/* Signal hook: the same, async-signal-safe, for a run ended by a signal. */
void stats_on_signal(int status);

#endif
