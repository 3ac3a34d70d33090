/*
 * bad.h - the bad-record policy of CONVENTIONS section 4, in one place.
 *
 * --bad-records fail (default): the first bad record is fatal, status 65.
 * --bad-records skip: it is dropped and counted; one warning names the first
 * location, and the count is reported at exit.
 * --bad-records FILE: it is appended to FILE as
 *   {"file":"x","line":42,"column":7,"error":"...","raw":"<line>"}
 * ("raw_base64" instead of "raw" when the line is not valid UTF-8).
 * --max-bad N or N%: with skip/FILE, more than N bad records (or more than
 * N% of the records read, checked at exit) fail the run with status 1.
 */
#ifndef ETL_BAD_H
#define ETL_BAD_H

#include <stddef.h>
#include <stdint.h>

/* Configure from the option values (NULL = default).  Dies with status 2 on
 * a malformed value. */
void bad_setup(const char *policy, const char *max_bad);
/* Report a bad record. col is 1-based, 0 when unknown.  Under "fail" this
 * does not return (status 65). raw may be NULL. */
void bad_record(const char *file, uint64_t line, unsigned long col, const char *raw, size_t rawlen,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));
uint64_t bad_count(void);
/* Has --max-bad N% been exceeded by the records read so far?  A program
 * that commits (etl-load-pg) asks before committing, so that a run that will
 * fail commits nothing. */
int bad_over_limit(void);
/* Write out what the reject file holds so far; dies with status 74 when it
 * cannot.  A program that commits (etl-load-pg) calls it before committing,
 * so that no record is committed while its rejected neighbours could still
 * be lost. */
void bad_flush(void);
/* At the end of a run: close the reject file, print the skip summary and
 * check --max-bad N%.  Returns 0, or ETL_EXIT_CHECK when the run must fail. */
int bad_finish(void);

#endif
