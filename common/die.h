/*
 * die.h - the one place where messages are formatted and exit statuses chosen.
 *
 * Every message a program prints has the form "etl-NAME: WHERE: WHAT" (WHERE
 * may be omitted).  Only programs exit: library code returns an error to its
 * caller, and the program decides which status of CONVENTIONS section 3 the
 * failure deserves.  Before exiting, etl_die() runs the cleanup hooks (the
 * atomic output removes its temp file, --stats writes its record); a run
 * ended by a signal runs their async-signal-safe counterparts.
 */
#ifndef ETL_DIE_H
#define ETL_DIE_H

#include <signal.h>
#include <stdarg.h>

enum {
	ETL_EXIT_OK = 0,
	ETL_EXIT_CHECK = 1,     /* the data failed a check the user asked for */
	ETL_EXIT_USAGE = 2,     /* bad option, expression, schema or rule file */
	ETL_EXIT_DATA = 65,     /* bad input data with --bad-records fail */
	ETL_EXIT_UNAVAIL = 69,  /* a remote service refused for good */
	ETL_EXIT_SOFTWARE = 70, /* internal error */
	ETL_EXIT_IOERR = 74,    /* local I/O error */
	ETL_EXIT_TEMPFAIL = 75, /* temporary failure, retry later */
};

/* The program's name as printed in messages ("etl-agg"). */
extern const char *etl_progname;
/* Set by -q: etl_warn() prints nothing. */
extern int etl_quiet;

#define ETL_NORETURN __attribute__((noreturn))
#define ETL_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Print "etl-NAME: WHERE: WHAT" (WHERE may be NULL) and exit with status,
 * after running the exit hooks. */
ETL_NORETURN void etl_die(int status, const char *where, const char *fmt, ...) ETL_PRINTF(3, 4);
ETL_NORETURN void etl_vdie(int status, const char *where, const char *fmt, va_list ap);
/* The same message without exiting. */
void etl_error(const char *where, const char *fmt, ...) ETL_PRINTF(2, 3);
/* A warning; silenced by -q. */
void etl_warn(const char *where, const char *fmt, ...) ETL_PRINTF(2, 3);

/* Exit with status after running the exit hooks (latest registered first). */
ETL_NORETURN void etl_exit(int status);
/* Register a hook run by etl_exit() and etl_die(); it receives the status. */
void etl_atexit(void (*fn)(int status));

/* SIGINT, SIGTERM and SIGHUP end the run as a failure: the signal hooks run
 * (latest registered first), then the program exits 128+N.  A hook runs in
 * a signal handler, so it may do only what is async-signal-safe (unlink,
 * open, write, rename; no stdio, no malloc).  A signal ignored when the
 * program started (nohup) stays ignored.  Forked workers leave the hooks to
 * the process that caught the signals first. */
void etl_signals_catch(void);
void etl_atsignal(void (*fn)(int status));
/* For a source that reads until stopped (etl-kafka consume): from here on
 * the three signals only set *flag to the signal's number, and the program,
 * which polls it, stops reading, writes what it read and exits 128+N through
 * etl_exit().  A second signal while it finishes does the same (nothing). */
void etl_signals_stop(volatile sig_atomic_t *flag);
/* From here on, the three signals wait until the program has exited: for
 * the steps that finish a run (renaming -o into place, the exit hooks),
 * which a signal must not cut in two.  etl_exit() calls it. */
void etl_signals_hold(void);
/* Let held signals in again, after a short step that must not be cut (a
 * fork and the note of the child's pid). */
void etl_signals_release(void);

/* "file:line" or "file:line:col" (col 0 = unknown) in a static buffer. */
const char *etl_where(const char *file, unsigned long long line, unsigned long col);

#endif
