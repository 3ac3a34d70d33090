/*
 * input.c - the program's input files, read in order (input.h).
 *
 * One buffer serves all files: [pos, len) holds the bytes not yet handed
 * out, and buf[len] always exists, so a line can be given a '\0' sentinel
 * in place of its '\n' (the scanner relies on it).  When a line does not fit,
 * the unread tail moves to the front and the buffer doubles; it never
 * shrinks, so memory follows the longest line, not the input.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "die.h"
#include "mem.h"
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
	uint64_t bytes, total;
	int new_file;
};

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
	in->cap = CHUNK + 1;
	in->buf = xmalloc(in->cap);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (strcmp(files[i], "-") == 0 || stat(files[i], &st) != 0 || !S_ISREG(st.st_mode)) {
			in->total = 0;
			break;
		}
		in->total += st.st_size;
	}
	return in;
}

void input_close(struct input *in)
{
	if (!in)
		return;
	if (in->fd > 0)
		close(in->fd);
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
	}
	in->eof = 0;
	in->lineno = 0;
	in->new_file = 1;
	return 1;
}

/* Read more bytes of the open file after [pos, len), compacting or growing
 * the buffer as needed. Sets eof at the end of the file. */
static void fill(struct input *in)
{
	ssize_t r;

	if (in->pos > 0) {
		memmove(in->buf, in->buf + in->pos, in->len - in->pos);
		in->len -= in->pos;
		in->pos = 0;
	}
	if (in->cap - 1 - in->len < CHUNK / 2) {
		in->cap = (in->cap - 1) * 2 + 1;
		in->buf = xrealloc(in->buf, in->cap);
	}
	do
		r = read(in->fd, in->buf + in->len, in->cap - 1 - in->len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		etl_die(ETL_EXIT_IOERR, in->name, "read error: %s", strerror(errno));
	if (r == 0)
		in->eof = 1;
	in->len += r;
	in->bytes += r;
	stats.bytes_in += r;
}

int input_line(struct input *in, struct line *l)
{
	for (;;) {
		char *start = in->buf + in->pos;
		char *nl = in->fd >= 0 ? memchr(start, '\n', in->len - in->pos) : NULL;
		char *end;

		if (nl) {
			in->pos = nl + 1 - in->buf;
			end = nl;
		} else if (in->fd >= 0 && !in->eof) {
			fill(in);
			continue;
		} else if (in->fd >= 0 && in->pos < in->len) {
			/* the last line, without a final newline */
			end = in->buf + in->len;
			in->pos = in->len;
		} else {
			in->pos = in->len = 0;
			if (!next_file(in))
				return 0;
			continue;
		}
		if (end > start && end[-1] == '\r')
			end--;
		*end = '\0';
		l->p = start;
		l->n = end - start;
		l->file = in->name;
		l->lineno = ++in->lineno;
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
		in->pos = in->len = 0;
		fill(in);
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
