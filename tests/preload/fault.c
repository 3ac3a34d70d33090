/*
 * fault.c - an LD_PRELOAD shim that makes chosen I/O calls fail, so the
 * tests can prove how the programs react to faults they cannot cause from
 * outside: a failing disk read, fsync or rename, a disk filling up.
 *
 * ETL_FAULT selects one fault:
 *   read:NAME          read() from a file opened as ...NAME fails with EIO
 *   fsync              fsync() fails with EIO
 *   rename             rename() fails with EIO
 *   slow-rename        rename() takes a second before it renames (for a
 *                      signal to arrive while a run is being finished)
 *   write-enospc       write() to a file (fd > 2) fails with ENOSPC once
 *                      64 KiB have been written to it
 *   close-enospc:NAME  fclose() of a stream opened as ...NAME reports ENOSPC
 *                      (after really closing it)
 * Without ETL_FAULT, every call goes straight through.
 *
 * Built by tests/cli.bats: cc -shared -fPIC -o fault.so fault.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define MAXFD 1024

static char marked[MAXFD];    /* fd opened from the named file */
static size_t written[MAXFD]; /* bytes written per fd, for write-enospc */
static FILE *marked_stream;

/* Is the fault KIND selected?  *name receives its NAME part, if any. */
static int fault(const char *kind, const char **name)
{
	const char *f = getenv("ETL_FAULT");
	size_t n = strlen(kind);

	if (!f || strncmp(f, kind, n) != 0 || (f[n] != '\0' && f[n] != ':'))
		return 0;
	if (name)
		*name = f[n] == ':' ? f + n + 1 : "";
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return b && a >= b && strcmp(s + a - b, suffix) == 0;
}

static void *next(const char *sym)
{
	void *p = dlsym(RTLD_NEXT, sym);

	if (!p)
		abort();
	return p;
}

static int opened(const char *path, int fd)
{
	const char *name;

	if (fd >= 0 && fd < MAXFD) {
		marked[fd] = fault("read", &name) && ends_with(path, name);
		written[fd] = 0;
	}
	return fd;
}

int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;

	if (!real)
		real = next("open");
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return opened(path, real(path, flags, mode));
}

int open64(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;

	if (!real)
		real = next("open64");
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return opened(path, real(path, flags, mode));
}

ssize_t read(int fd, void *buf, size_t n)
{
	static ssize_t (*real)(int, void *, size_t);

	if (!real)
		real = next("read");
	if (fd >= 0 && fd < MAXFD && marked[fd]) {
		errno = EIO;
		return -1;
	}
	return real(fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	ssize_t w;

	if (!real)
		real = next("write");
	if (fd > 2 && fd < MAXFD && fault("write-enospc", NULL)) {
		if (written[fd] >= 64 * 1024) {
			errno = ENOSPC;
			return -1;
		}
		if (n > 64 * 1024 - written[fd])
			n = 64 * 1024 - written[fd];
	}
	w = real(fd, buf, n);
	if (w > 0 && fd >= 0 && fd < MAXFD)
		written[fd] += w;
	return w;
}

int fsync(int fd)
{
	static int (*real)(int);

	if (!real)
		real = next("fsync");
	if (fault("fsync", NULL)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

int rename(const char *from, const char *to)
{
	static int (*real)(const char *, const char *);

	if (!real)
		real = next("rename");
	if (fault("rename", NULL)) {
		errno = EIO;
		return -1;
	}
	if (fault("slow-rename", NULL))
		sleep(1);
	return real(from, to);
}

FILE *fopen(const char *path, const char *mode)
{
	static FILE *(*real)(const char *, const char *);
	const char *name;
	FILE *f;

	if (!real)
		real = next("fopen");
	f = real(path, mode);
	if (f && fault("close-enospc", &name) && ends_with(path, name))
		marked_stream = f;
	return f;
}

FILE *fopen64(const char *path, const char *mode)
{
	static FILE *(*real)(const char *, const char *);
	const char *name;
	FILE *f;

	if (!real)
		real = next("fopen64");
	f = real(path, mode);
	if (f && fault("close-enospc", &name) && ends_with(path, name))
		marked_stream = f;
	return f;
}

int fclose(FILE *f)
{
	static int (*real)(FILE *);
	int r;

	if (!real)
		real = next("fclose");
	if (f && f == marked_stream) {
		marked_stream = NULL;
		real(f);
		errno = ENOSPC;
		return EOF;
	}
	r = real(f);
	return r;
}
