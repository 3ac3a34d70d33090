/*
 * crash.h - named crash points, a test facility.
 *
 * ETL_CRASH_AT=NAME[@N] in the environment makes the N-th passage (default
 * the first) through crash_point(NAME) kill the process with SIGKILL, as a
 * power cut would: no exit hook runs, nothing is flushed.  The tests of
 * exactly-once delivery use it to stop a program in the rare windows
 * between two durable steps (after a sink's commit, after a checkpoint,
 * in the middle of a batch).  Without ETL_CRASH_AT a crash point costs one
 * comparison.
 */
#ifndef ETL_CRASH_H
#define ETL_CRASH_H

void crash_point(const char *name);

#endif
