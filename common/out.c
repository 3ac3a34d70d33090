/*
 * out.c - the program's output (out.h).
 *
 * With -o, data goes to a mkstemp() file beside the target; out_close()
 * flushes, fsyncs and renames it over the target, so the target is either
 * the old file or the complete new one.  The exit hook removes the temp file
 * on any other way out.  The same replace_*() functions write --stats
 * (stats.c), so both files are replaced the same way.  SIGPIPE is ignored
 * (cli.c), so a closed pipe shows up here as EPIPE and ends the run quietly.
 * A signal hook removes the temp file of a run ended by SIGINT, SIGTERM or
 * SIGHUP.
 */
#include "out.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "mem.h"
#include "stats.h"
#include "banned.h"

#define OUT_BUFSZ (256 * 1024)

char *out_buf;
size_t out_len, out_cap;
static struct replace rep = {1, 1, NULL, NULL};
static void (*idle_hook)(void);

/* With out_count_records(): records_out as it was when the output last
 * took everything it had been given (stdout, or a file written in place);
 * an -o temporary file delivers only when renamed. */
static int counting, broken;
static uint64_t delivered;

void out_count_records(void)
{
	counting = 1;
}

static void settle_count(void)
{
	if (counting)
		stats.records_out = delivered;
}

/* Signal hook: async-signal-safe. */
static void on_signal(int status)
{
	(void)status;
	if (rep.tmp)
		unlink(rep.tmp);
	settle_count();
}

static void cleanup(int status)
{
	if (!rep.tmp && status != 0 && out_buf && !broken) {
		/* A failing run still hands on the whole records it finished
		 * (the exit status says the rest is missing); errors here are
		 * ignored, the run is failing already. */
		const char *p = out_buf;
		size_t n = out_len;

		out_len = 0;
		while (n) {
			ssize_t w = write(rep.fd, p, n);

			if (w <= 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			p += w;
			n -= w;
		}
		if (!n)
			delivered = stats.records_out;
	}
	if (rep.tmp)
		replace_abort(&rep);
	settle_count();
}

/* The descriptor p names (/dev/stdout, /dev/fd/3, /proc/self/fd/1): its
 * number, or -2 for another process's, or -1 when p names none.  Writing
 * there means writing into what the descriptor holds, at its offset: a
 * rename would replace the link itself, or the file a shell opened for us
 * while it goes on writing to the old one; and a new open(O_TRUNC) would
 * empty a log that stderr appends to. */
static int descriptor_of(const char *p)
{
	const char *q;
	char *end;
	long n, pid;

	if (!strcmp(p, "/dev/stdin"))
		return 0;
	if (!strcmp(p, "/dev/stdout"))
		return 1;
	if (!strcmp(p, "/dev/stderr"))
		return 2;
	if (!strncmp(p, "/dev/fd/", 8))
		q = p + 8;
	else if (!strncmp(p, "/proc/self/fd/", 14))
		q = p + 14;
	else if (!strncmp(p, "/proc/", 6) && p[6] >= '0' && p[6] <= '9') {
		pid = strtol(p + 6, &end, 10);
		if (strncmp(end, "/fd/", 4))
			return -1;
		if (pid != (long)getpid())
			return -2;
		q = end + 4;
	} else {
		return -1;
	}
	if (*q < '0' || *q > '9')
		return -1;
	n = strtol(q, &end, 10);
	return *end || n > INT_MAX ? -1 : (int)n;
}

char *replace_target(const char *path, int *in_place, int *fd)
{
	struct buf cur = BUF_INIT, link = BUF_INIT;
	struct stat st;

	*in_place = 0;
	*fd = -1;
	buf_adds(&cur, path);
	/* follow the links one by one: a link may name a file not made yet,
	 * or an open descriptor, which realpath() cannot resolve */
	for (int hops = 0; hops < 40; hops++) {
		ssize_t n;

		*fd = descriptor_of(cur.p);
		if (*fd != -1) {
			*in_place = 1;
			break;
		}
		if (lstat(cur.p, &st) != 0 || !S_ISLNK(st.st_mode))
			break;
		buf_reset(&link);
		buf_grow(&link, PATH_MAX);
		n = readlink(cur.p, link.p, PATH_MAX);
		if (n <= 0 || n >= PATH_MAX)
			break;
		link.p[n] = '\0';
		if (link.p[0] == '/') {
			buf_reset(&cur);
		} else {
			/* relative to the folder of the link */
			char *slash = strrchr(cur.p, '/');

			cur.len = slash ? (size_t)(slash - cur.p + 1) : 0;
			cur.p[cur.len] = '\0';
		}
		buf_add(&cur, link.p, (size_t)n);
	}
	if (!*in_place && stat(cur.p, &st) == 0 && !S_ISREG(st.st_mode))
		*in_place = 1;
	buf_release(&link);
	if (*in_place) {
		buf_release(&cur);
		return xstrdup(path);
	}
	return buf_detach(&cur, NULL);
}

/* A regular file (or none yet) is replaced atomically; anything else, such
 * as /dev/null, a named pipe or an open descriptor (/dev/stdout), must be
 * written in place: renaming over it would replace the device or the link
 * itself. */
int replace_open(struct replace *r, const char *path)
{
	const char *slash;
	size_t dirlen, n;
	int e, fd;

	r->tmp = NULL;
	/* through a symbolic link, the file to replace is the one it names */
	r->target = replace_target(path, &r->in_place, &fd);
	if (fd >= 0) {
		/* our own descriptor: write through a copy of it */
		r->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		goto done;
	}
	if (r->in_place) {
		r->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		goto done;
	}
	slash = strrchr(r->target, '/');
	dirlen = slash ? (size_t)(slash - r->target + 1) : 0;
	n = strlen(r->target) + 16;
	r->tmp = xmalloc(n);
	snprintf(r->tmp, n, "%.*s.%s.XXXXXX", (int)dirlen, r->target,
		 slash ? slash + 1 : r->target);
	r->fd = mkstemp(r->tmp);
	if (r->fd < 0) {
		free(r->tmp);
		r->tmp = NULL;
	}
done:
	if (r->fd >= 0)
		return 0;
	e = errno;
	free(r->target);
	r->target = NULL;
	errno = e;
	return -1;
}

int replace_commit(struct replace *r)
{
	mode_t mask = umask(0);
	int rc = 0;

	umask(mask);
	if (!r->tmp)
		rc = close(r->fd);
	else if (fchmod(r->fd, 0666 & ~mask) != 0 || fsync(r->fd) != 0 || close(r->fd) != 0)
		rc = -1;
	else if (rename(r->tmp, r->target) != 0)
		rc = -2;
	if (rc && r->tmp) {
		int e = errno;

		unlink(r->tmp);
		errno = e;
	}
	free(r->tmp);
	r->tmp = NULL;
	r->fd = -1;
	return rc;
}

void replace_abort(struct replace *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	if (r->tmp) {
		unlink(r->tmp);
		free(r->tmp);
		r->tmp = NULL;
	}
}

void out_open(const char *path)
{
	out_cap = OUT_BUFSZ;
	out_buf = xmalloc(out_cap);
	out_len = 0;
	etl_atexit(cleanup);
	etl_atsignal(on_signal);
	if (!path || (path[0] == '-' && !path[1])) {
		/* a pipe as wide as our buffer: one write per flush instead of
		 * four, and fewer switches between the programs of a pipeline
		 * (best effort; the system may cap the size) */
		fcntl(1, F_SETPIPE_SZ, OUT_BUFSZ);
		return;
	}
	if (replace_open(&rep, path) != 0)
		etl_die(ETL_EXIT_IOERR, path, "%s: %s",
			rep.in_place ? "cannot open" : "cannot create", strerror(errno));
}

static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(rep.fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			/* what was not taken is not delivered, and is not
			 * tried again on the way out */
			broken = 1;
			if (errno == EPIPE)
				etl_exit(0);
			out_len = 0; /* nothing more to flush on the way out */
			etl_die(ETL_EXIT_IOERR, rep.target ? rep.target : "<stdout>",
				"write error: %s", strerror(errno));
		}
		p += w;
		n -= w;
	}
}

void out_flush(void)
{
	size_t n = out_len;
	uint64_t upto = stats.records_out;

	out_len = 0;
	write_all(out_buf, n);
	if (!rep.tmp)
		delivered = upto;
}

void out_on_idle(void (*fn)(void))
{
	idle_hook = fn;
}

void out_idle(void)
{
	if (idle_hook)
		idle_hook();
	out_flush();
}

void out_check_reader(void)
{
	struct pollfd p = {rep.fd, 0, 0};

	if (!rep.tmp && poll(&p, 1, 0) == 1 && (p.revents & POLLERR)) {
		broken = 1;
		out_len = 0;
		etl_exit(0);
	}
}

void out_write(const void *p, size_t n)
{
	if (n <= out_cap - out_len) {
		memcpy(out_buf + out_len, p, n);
		out_len += n;
		return;
	}
	out_flush();
	if (n >= out_cap / 2)
		write_all(p, n);
	else {
		memcpy(out_buf, p, n);
		out_len = n;
	}
}

void out_close(void)
{
	if (!out_buf)
		return;
	out_flush();
	free(out_buf);
	out_buf = NULL;
	out_cap = 0;
	if (!rep.target)
		return; /* stdout */
	if (!rep.tmp) {
		if (close(rep.fd) != 0)
			etl_die(ETL_EXIT_IOERR, rep.target, "write error: %s", strerror(errno));
		return;
	}
	/* once renamed, the file is the run's result: a signal now must not
	 * report a failure (the signal hook would also read rep.tmp as freed) */
	etl_signals_hold();
	switch (replace_commit(&rep)) {
	case -1:
		etl_die(ETL_EXIT_IOERR, rep.target, "write error: %s", strerror(errno));
	case -2:
		etl_die(ETL_EXIT_IOERR, rep.target, "cannot rename into place: %s",
			strerror(errno));
	}
	delivered = stats.records_out;
	rep.fd = 1;
}
