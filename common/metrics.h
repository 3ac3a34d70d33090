/*
 * metrics.h - --metrics FILE: the run's counters in the Prometheus text
 * format (CONVENTIONS section 6), for a node exporter's textfile collector
 * or any scraper that reads a file.
 *
 * The file is replaced atomically (out.h's replace: a temporary file
 * renamed over it), so a reader never sees half of it: at most every
 * interval while the program runs (metrics_tick(), cheap enough per record:
 * it reads the clock every few thousand calls, or when asked to), and once
 * more at exit.  Every program's file has the counters of stats.h, named
 * etl_<program>_records_in_total, _records_out_total, _bad_total and
 * _dropped_total ("etl-kafka" gives etl_kafka_...); a program adds its own
 * with metrics_counter() and metrics_gauge(), whose values it keeps
 * current in the variables it registers.
 */
#ifndef ETL_METRICS_H
#define ETL_METRICS_H

#include <stdint.h>

/* Write to path (NULL: no metrics) every interval_us microseconds. */
void metrics_setup(const char *path, int64_t interval_us);
/* Register a value; name is appended to "etl_<program>_" (so "lag" for
 * etl-kafka is etl_kafka_lag).  The pointers must stay valid to the end. */
void metrics_counter(const char *name, const char *help, const uint64_t *v);
void metrics_gauge(const char *name, const char *help, const int64_t *v);
/* Write the file now when the interval has passed since the last time;
 * force 1 looks at the clock at once (a program that is waiting). */
void metrics_tick(int force);

#endif
