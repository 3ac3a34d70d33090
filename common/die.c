/*
 * die.c - messages and exits.  Every program-level failure passes through
 * etl_die(), so the message format of CONVENTIONS section 3 and the exit
 * hooks (remove a half-written -o file, write --stats) are kept in one place.
 * Hooks run once even if a hook itself dies.  A signal that ends the run
 * runs the signal hooks instead, from the handler, and exits 128+N; while the
 * exit hooks run, the signals wait, so the two never mix.  The wait is a
 * blocked mask in the thread that holds and, for a program with threads
 * (etl-from-csv), a flag that the handler obeys in any other.  Every message
 * passes through redact_buf(), so no password reaches stderr.
 */
#include "die.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static void (*sig_hooks[MAX_HOOKS])(int);
static int nsig_hooks;
static pid_t owner;
static volatile sig_atomic_t holding;
static volatile sig_atomic_t *stop_flag;
static const int caught[] = {SIGINT, SIGTERM, SIGHUP};

void etl_atsignal(void (*fn)(int status))
{
	if (nsig_hooks == MAX_HOOKS)
		etl_die(ETL_EXIT_SOFTWARE, NULL, "too many signal hooks");
	sig_hooks[nsig_hooks++] = fn;
}

/* The other two signals are blocked while this runs (sa_mask), so the hooks
 * run once. */
static void on_signal(int sig)
{
	if (getpid() != owner) {
		/* a forked worker dies of the signal, as its parent expects */
		sigset_t set;

		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		_exit(128 + sig);
	}
	/* caught by another thread while the run is being finished */
	if (holding)
		return;
	/* a stream source finishes what it read, then exits 128+N itself */
	if (stop_flag) {
		*stop_flag = sig;
		return;
	}
	for (int i = nsig_hooks; i-- > 0;)
		sig_hooks[i](128 + sig);
	_exit(128 + sig);
}

void etl_signals_catch(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaddset(&sa.sa_mask, caught[i]);
	owner = getpid();
	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		if (sigaction(caught[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(caught[i], &sa, NULL);
}

void etl_signals_stop(volatile sig_atomic_t *flag)
{
	stop_flag = flag;
}

static void mask(int how)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaddset(&set, caught[i]);
	sigprocmask(how, &set, NULL);
}

void etl_signals_hold(void)
{
	mask(SIG_BLOCK);
	holding = 1;
}

void etl_signals_release(void)
{
	holding = 0;
	mask(SIG_UNBLOCK);
}

void etl_exit(int status)
{
	etl_signals_hold();
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

	progress_clear();
	buf_printf(&m, "%s: ", etl_progname);
	if (where)
		buf_printf(&m, "%s: ", where);
	buf_vprintf(&m, fmt, ap);
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
