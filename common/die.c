/*
 * die.c - messages and exits.  Every program-level failure passes through
 * etl_die(), so the message format of CONVENTIONS section 3 and the exit
 * hooks (remove a half-written -o file, write --stats) are kept in one place.
 * Hooks run once even if a hook itself dies.  Every message passes through
 * redact_buf(), so no password reaches stderr.
 */
#include "die.h"

#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "redact.h"
#include "stats.h"
#include "banned.h"

const char *etl_progname = "etl";
int etl_quiet;

#define MAX_HOOKS 16
static void (*hooks[MAX_HOOKS])(int);
static int nhooks;
static int exiting;

void etl_atexit(void (*fn)(int status))
{
	if (nhooks == MAX_HOOKS)
		etl_die(ETL_EXIT_SOFTWARE, NULL, "too many exit hooks");
	hooks[nhooks++] = fn;
}

void etl_exit(int status)
{
	if (!exiting) {
		exiting = 1;
		while (nhooks > 0)
			hooks[--nhooks](status);
	}
	fflush(stdout);
	exit(status);
}

/* The message is made whole first so that redact_buf() sees all of it: a
 * message may quote an argument, or a library may quote a connection
 * string, with a password in it. */
static void vmsg(const char *where, const char *fmt, va_list ap)
{
	struct buf m = BUF_INIT;
	va_list aq;
	char small[512];
	int n;

	progress_clear();
	buf_printf(&m, "%s: ", etl_progname);
	if (where)
		buf_printf(&m, "%s: ", where);
	va_copy(aq, ap);
	n = vsnprintf(small, sizeof(small), fmt, aq);
	va_end(aq);
	if (n >= 0 && (size_t)n < sizeof(small)) {
		buf_add(&m, small, n);
	} else if (n >= 0) {
		buf_grow(&m, (size_t)n);
		vsnprintf(m.p + m.len, (size_t)n + 1, fmt, ap);
		m.len += (size_t)n;
	}
	redact_buf(&m);
	buf_addc(&m, '\n');
	fwrite(m.p, 1, m.len, stderr);
	buf_release(&m);
}

void etl_vdie(int status, const char *where, const char *fmt, va_list ap)
{
	vmsg(where, fmt, ap);
	etl_exit(status);
}

void etl_die(int status, const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	etl_vdie(status, where, fmt, ap);
}

void etl_error(const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(where, fmt, ap);
	va_end(ap);
}

void etl_warn(const char *where, const char *fmt, ...)
{
	va_list ap;

	if (etl_quiet)
		return;
	va_start(ap, fmt);
	vmsg(where, fmt, ap);
	va_end(ap);
}

const char *etl_where(const char *file, unsigned long long line, unsigned long col)
{
	static char buf[4096 + 64];

	if (col)
		snprintf(buf, sizeof(buf), "%s:%llu:%lu", file, line, col);
	else
		snprintf(buf, sizeof(buf), "%s:%llu", file, line);
	return buf;
}
