/*
 * unit.h - the smallest test harness that does the job: each CHECK is one
 * test point printed in TAP ("ok N - what" / "not ok N - what"), and
 * unit_done() prints the plan and returns the exit status.  tests/run counts
 * the points of every unit test binary.
 */
#ifndef ETL_UNIT_H
#define ETL_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_n, unit_failed;

static inline void unit_point(int ok, const char *file, int line, const char *what)
{
	unit_n++;
	if (!ok)
		unit_failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", unit_n, what);
	if (!ok)
		printf("#   at %s:%d\n", file, line);
}

/* CHECK(cond): one test point named by the condition's text. */
#define CHECK(cond) unit_point(!!(cond), __FILE__, __LINE__, #cond)
/* CHECK_STR(got, want): string equality, showing both on failure. */
#define CHECK_STR(got, want)                                                              \
	do {                                                                              \
		const char *g_ = (got), *w_ = (want);                                     \
		int ok_ = g_ && w_ && strcmp(g_, w_) == 0;                                \
		unit_point(ok_, __FILE__, __LINE__, #got " == " #want);                   \
		if (!ok_)                                                                 \
			printf("#   got  '%s'\n#   want '%s'\n", g_ ? g_ : "(null)", w_); \
	} while (0)

static inline int unit_done(void)
{
	printf("1..%d\n", unit_n);
	return unit_failed ? 1 : 0;
}

#endif
