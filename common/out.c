/*
 * out.c - the program's output (out.h).
 *
 * With -o, data goes to a mkstemp() file beside the target; out_close()
 * flushes, fsyncs and renames it over the target, so the target is either
 * the old file or the complete new one.  The exit hook removes the temp file
 * on any other way out.  SIGPIPE is ignored (cli.c), so a closed pipe shows
 * up here as EPIPE and ends the run quietly.
 */
#include "out.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "die.h"
#include "mem.h"
#include "banned.h"

#define OUT_BUFSZ (256 * 1024)

char *out_buf;
size_t out_len, out_cap;
static int fd = 1;
static char *target, *tmp;

static void cleanup(int status)
{
	if (!tmp && status != 0 && out_buf) {
		/* A failing run still hands on the whole records it finished
		 * (the exit status says the rest is missing); errors here are
		 * ignored, the run is failing already. */
		const char *p = out_buf;
		size_t n = out_len;

		out_len = 0;
		while (n) {
			ssize_t w = write(fd, p, n);

			if (w <= 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			p += w;
			n -= w;
		}
	}
	if (tmp) {
		unlink(tmp);
		free(tmp);
		tmp = NULL;
	}
}

/* A regular file (or none yet) is replaced atomically; anything else, such
 * as /dev/null or a named pipe, must be written in place: renaming over it
 * would replace the device itself. */
int atomic_target(const char *path)
{
	struct stat st;

	return stat(path, &st) != 0 || S_ISREG(st.st_mode);
}

char *out_resolve(const char *path)
{
	struct stat st;
	char *real;

	/* through a symbolic link, the file to replace is the one it names */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && (real = realpath(path, NULL)))
		return real;
	return xstrdup(path);
}

void out_open(const char *path)
{
	out_cap = OUT_BUFSZ;
	out_buf = xmalloc(out_cap);
	out_len = 0;
	etl_atexit(cleanup);
	if (!path || (path[0] == '-' && !path[1])) {
		/* a pipe as wide as our buffer: one write per flush instead of
		 * four, and fewer switches between the programs of a pipeline
		 * (best effort; the system may cap the size) */
		fcntl(1, F_SETPIPE_SZ, OUT_BUFSZ);
		return;
	}
	target = xstrdup(path);
	if (!atomic_target(path)) {
		/* a device or a pipe: there is nothing to replace, write to it */
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (fd < 0)
			etl_die(ETL_EXIT_IOERR, path, "cannot open: %s", strerror(errno));
		return;
	}
	free(target);
	target = out_resolve(path);
	{
		const char *slash = strrchr(target, '/');
		size_t dirlen = slash ? (size_t)(slash - target + 1) : 0;
		size_t n = strlen(target) + 16;

		tmp = xmalloc(n);
		snprintf(tmp, n, "%.*s.%s.XXXXXX", (int)dirlen, target, slash ? slash + 1 : target);
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;

		free(tmp);
		tmp = NULL;
		etl_die(ETL_EXIT_IOERR, path, "cannot create: %s", strerror(e));
	}
}

static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE)
				etl_exit(0);
			out_len = 0; /* nothing more to flush on the way out */
			etl_die(ETL_EXIT_IOERR, target ? target : "<stdout>", "write error: %s",
				strerror(errno));
		}
		p += w;
		n -= w;
	}
}

void out_flush(void)
{
	size_t n = out_len;

	out_len = 0;
	write_all(out_buf, n);
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
	if (!tmp) {
		if (fd > 2 && close(fd) != 0)
			etl_die(ETL_EXIT_IOERR, target, "write error: %s", strerror(errno));
		return;
	}
	{
		mode_t mask = umask(0);

		umask(mask);
		if (fchmod(fd, 0666 & ~mask) != 0 || fsync(fd) != 0 || close(fd) != 0)
			etl_die(ETL_EXIT_IOERR, target, "write error: %s", strerror(errno));
	}
	if (rename(tmp, target) != 0)
		etl_die(ETL_EXIT_IOERR, target, "cannot rename into place: %s", strerror(errno));
	free(tmp);
	tmp = NULL;
	fd = 1;
}
