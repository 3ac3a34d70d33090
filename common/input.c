/*
 * input.c - the program's input files, read in order (input.h).
 *
 * One buffer serves all files: [pos, len) holds the bytes not yet handed
 * out, and buf[len] always exists, so a line can be given a '\0' sentinel
 * in place of its '\n' (the scanner relies on it).  When a line does not fit,
 * the unread tail moves to the front and the buffer doubles; it never
 * shrinks, so memory follows the longest line, not the input.
 *
 * A range reader (input_open_range) is the same reader on one file, seeked
 * to its start and stopped at its end, so a file cut at line boundaries
 * reads as several inputs.  With a timeout (input_set_timeout), every read
 * that could block is preceded by poll(); when it times out, input_line()
 * returns INPUT_TIMEOUT and keeps the bytes of an unfinished line for the
 * next call, so a caller can do its periodic work and call again.
 *
 * A followed file (input_follow_all) never ends: where a read finds no more
 * bytes, follow_wait() looks for a rotation (the name now leads to another
 * file) or a truncation (the file is shorter than what was read), then
 * sleeps a little and reads again.  base is the file offset of buf[0], so a
 * line's offset is known without a lseek.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "die.h"
#include "mem.h"
#include "out.h"
#include "stats.h"
#include "banned.h"

#define CHUNK (1 << 20)

struct input {
	char **files;
	size_t nfiles, next; /* next file to open */
	int fd;              /* -1 when none is open */
	int eof;             /* the open file has no more bytes */
	const char *name;
	uint64_t lineno;
	char *buf;
	size_t pos, len, cap;
	size_t seen; /* bytes after pos already known to hold no '\n' */
	uint64_t bytes, total;
	int new_file;
	int ranged;           /* read only [start, end) of the one file */
	int live;             /* a pipe, terminal or socket: reads may block */
	uint64_t start, left; /* its start, and the bytes of it not read yet */
	uint64_t lineno0;     /* the line number before the range's first line */
	int timeout;          /* ms to wait for input before INPUT_TIMEOUT; < 0 forever */
	uint64_t base;        /* the file offset of buf[0] */
	int follow;           /* tail -F: the end of the file is not the end */
	uint64_t fstart;      /* followed: the byte to begin at */
	int skip_line;        /* followed: skip the line at fstart */
	uint64_t fpos;        /* followed: the file offset of the next read */
};

/* input_follow_all(): for the inputs opened after it. */
static int follow_on, follow_skip;
static uint64_t follow_start;

void input_follow_all(uint64_t start, int skip_line)
{
	follow_on = 1;
	follow_start = start;
	follow_skip = skip_line;
}

int input_following(const struct input *in)
{
	return in->follow;
}

static char *stdin_name[] = {"-"};

struct input *input_open(char **files, size_t n)
{
	struct input *in = xcalloc(1, sizeof(*in));

	if (n == 0) {
		files = stdin_name;
		n = 1;
	}
	in->files = files;
	in->nfiles = n;
	in->fd = -1;
	in->timeout = -1;
	in->cap = CHUNK + 1;
	in->buf = xmalloc(in->cap);
	in->follow = follow_on;
	in->fstart = follow_start;
	in->skip_line = follow_skip;
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (strcmp(files[i], "-") == 0 || stat(files[i], &st) != 0 ||
		    !S_ISREG(st.st_mode)) {
			in->total = 0;
			break;
		}
		in->total += st.st_size;
	}
	return in;
}

struct input *input_open_range(const char *file, uint64_t start, uint64_t end, uint64_t lineno)
{
	struct input *in = xcalloc(1, sizeof(*in));

	in->files = xcalloc(1, sizeof(*in->files));
	in->files[0] = xstrdup(file);
	in->nfiles = 1;
	in->fd = -1;
	in->timeout = -1;
	in->cap = CHUNK + 1;
	in->buf = xmalloc(in->cap);
	in->ranged = 1;
	in->start = start;
	in->left = end > start ? end - start : 0;
	in->lineno0 = lineno;
	in->total = in->left;
	return in;
}

void input_set_timeout(struct input *in, int ms)
{
	in->timeout = ms;
}

uint64_t input_lineno(const struct input *in)
{
	return in->lineno;
}

void input_close(struct input *in)
{
	if (!in)
		return;
	if (in->fd > 0)
		close(in->fd);
	if (in->ranged) {
		free(in->files[0]);
		free(in->files);
	}
	free(in->buf);
	free(in);
}

/* Open the next file; 0 when there is none. */
static int next_file(struct input *in)
{
	const char *f;

	if (in->fd > 0)
		close(in->fd);
	in->fd = -1;
	if (in->next == in->nfiles)
		return 0;
	f = in->files[in->next++];
	if (strcmp(f, "-") == 0) {
		in->fd = 0;
		in->name = "<stdin>";
	} else {
		in->fd = open(f, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0)
			etl_die(ETL_EXIT_IOERR, f, "cannot open: %s", strerror(errno));
		in->name = f;
		posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		if (in->ranged && lseek(in->fd, (off_t)in->start, SEEK_SET) < 0)
			etl_die(ETL_EXIT_IOERR, f, "cannot seek: %s", strerror(errno));
		if (in->follow && lseek(in->fd, (off_t)in->fstart, SEEK_SET) < 0)
			etl_die(ETL_EXIT_IOERR, f, "cannot seek: %s", strerror(errno));
	}
	in->base = in->ranged ? in->start : in->follow ? in->fstart : 0;
	in->fpos = in->base;
	in->eof = 0;
	{
		struct stat st;

		in->live = fstat(in->fd, &st) != 0 || !S_ISREG(st.st_mode);
	}
	in->lineno = in->lineno0;
	in->new_file = 1;
	return 1;
}

/* Wait until the open file has bytes to read: 0, or -1 when the timeout
 * passed first. */
static int wait_input(struct input *in)
{
	struct pollfd p = {in->fd, POLLIN, 0};
	int r;

	do
		r = poll(&p, 1, in->timeout);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		etl_die(ETL_EXIT_IOERR, in->name, "read error: %s", strerror(errno));
	return r == 0 ? -1 : 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define FOLLOW_POLL_MS 50

/* A followed file has no more bytes now: wait until it may have, seeing to
 * a rotation or truncation.  0 to read again, -1 when the timeout passed. */
static int follow_wait(struct input *in, int64_t *since)
{
	struct stat now, cur;

	if (fstat(in->fd, &cur) != 0)
		etl_die(ETL_EXIT_IOERR, in->name, "cannot stat: %s", strerror(errno));
	if ((uint64_t)cur.st_size > in->fpos)
		return 0; /* written since the read */
	if ((uint64_t)cur.st_size < in->fpos) {
		etl_warn(in->name, "file truncated: following it from its start");
		goto restart;
	}
	if (stat(in->name, &now) == 0 && (now.st_ino != cur.st_ino || now.st_dev != cur.st_dev)) {
		/* renamed away and replaced, and the old file read to its end */
		int fd = open(in->name, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			close(in->fd);
			in->fd = fd;
			etl_warn(in->name, "file replaced (rotated): following the new one");
			goto begin;
		}
	}
	if (*since < 0) {
		*since = now_ms();
		out_idle();
	} else if (in->timeout >= 0 && now_ms() - *since >= in->timeout)
		return -1;
	out_check_reader();
	poll(NULL, 0, FOLLOW_POLL_MS);
	return 0;
restart:
	if (lseek(in->fd, 0, SEEK_SET) < 0)
		etl_die(ETL_EXIT_IOERR, in->name, "cannot seek: %s", strerror(errno));
begin:
	/* an unfinished line of the old content is lost: said, not hidden */
	if (in->len > in->pos)
		etl_warn(in->name, "an unfinished last line of %zu bytes is dropped",
			 in->len - in->pos);
	in->pos = in->len = in->seen = 0;
	in->base = in->fpos = 0;
	in->skip_line = 0;
	return 0;
}

/* Read more bytes of the open file after [pos, len), compacting or growing
 * the buffer as needed. Sets eof at the end of the file.  Returns 0, or -1
 * when a timeout is set and no byte came in time. */
static int fill(struct input *in)
{
	size_t want;
	ssize_t r;

	if (in->pos > 0) {
		memmove(in->buf, in->buf + in->pos, in->len - in->pos);
		in->len -= in->pos;
		in->base += in->pos;
		in->pos = 0;
	}
	if (in->cap - 1 - in->len < CHUNK / 2) {
		in->cap = (in->cap - 1) * 2 + 1;
		in->buf = xrealloc(in->buf, in->cap);
	}
	want = in->cap - 1 - in->len;
	if (in->ranged && want > in->left)
		want = in->left;
	if (want == 0) {
		in->eof = 1;
		return 0;
	}
	if (in->live) {
		/* About to wait for a live source: hand on the output so far,
		 * so a stream's results flow instead of waiting for a full
		 * buffer (tail -F log | etl-dedupe | ...). */
		struct pollfd pfd = {in->fd, POLLIN, 0};

		if (poll(&pfd, 1, 0) == 0)
			out_idle();
	}
	if (in->timeout >= 0 && !in->follow && wait_input(in) < 0)
		return -1;
	for (int64_t since = -1;;) {
		do
			r = read(in->fd, in->buf + in->len, want);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			etl_die(ETL_EXIT_IOERR, in->name, "read error: %s", strerror(errno));
		if (r > 0 || !in->follow)
			break;
		if (follow_wait(in, &since) < 0)
			return -1;
	}
	if (r == 0)
		in->eof = 1;
	in->fpos += r;
	in->len += r;
	in->bytes += r;
	if (in->ranged)
		in->left -= r;
	stats.bytes_in += r;
	return 0;
}

int input_line(struct input *in, struct line *l)
{
	for (;;) {
		char *start = in->buf + in->pos;
		size_t unseen = in->len - in->pos - in->seen;
		char *nl = in->fd >= 0 ? memchr(start + in->seen, '\n', unseen) : NULL;
		char *end;

		if (nl) {
			in->pos = nl + 1 - in->buf;
			end = nl;
		} else if (in->fd >= 0 && !in->eof) {
			/* The bytes so far hold no '\n': after the fill, look
			 * only at the new ones, or a long line that comes in
			 * small reads (a pipe) costs time quadratic in its
			 * length.  seen counts from pos, which the compaction in
			 * fill() moves together with the bytes. */
			in->seen = in->len - in->pos;
			if (fill(in) < 0)
				return INPUT_TIMEOUT;
			continue;
		} else if (in->fd >= 0 && in->pos < in->len) {
			/* the last line, without a final newline */
			end = in->buf + in->len;
			in->pos = in->len;
		} else {
			in->pos = in->len = in->seen = 0;
			if (!next_file(in))
				return 0;
			continue;
		}
		in->seen = 0;
		if (in->skip_line) {
			/* --from-state: this line is the one already loaded */
			in->skip_line = 0;
			continue;
		}
		if (end > start && end[-1] == '\r')
			end--;
		*end = '\0';
		l->p = start;
		l->n = end - start;
		l->file = in->name;
		l->lineno = ++in->lineno;
		l->off = in->base + (uint64_t)(start - in->buf);
		return 1;
	}
}

int input_chunk(struct input *in, const char **p, size_t *n, const char **file, int *first)
{
	for (;;) {
		if (in->fd < 0 || in->eof) {
			if (!next_file(in))
				return 0;
		}
		in->pos = in->len = in->seen = 0;
		if (fill(in) < 0)
			return INPUT_TIMEOUT;
		if (in->len == 0)
			continue;
		*p = in->buf;
		*n = in->len;
		*file = in->name;
		*first = in->new_file;
		in->new_file = 0;
		in->pos = in->len;
		return 1;
	}
}

uint64_t input_bytes(const struct input *in)
{
	return in->bytes;
}

uint64_t input_total(const struct input *in)
{
	return in->total;
}
