/*
 * spill.c - scratch files (spill.h).
 *
 * The file holds bytes [0, size - wlen); the write buffer the last wlen,
 * so an offset is valid as soon as spill_write() returns it.  The read
 * buffer holds the file's bytes [roff, roff + rlen) when reading by offset,
 * and the unread part of the lines [lpos, rlen) read from fpos onwards when
 * reading lines; the two ways of reading share it, which is why a spill is
 * read one way only.  Buffers are made when first needed, and the write
 * buffer is dropped at spill_rewind(), so that the many runs of a merge
 * each cost one read buffer.
 */
#include "spill.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"
#include "mem.h"
#include "tempfile.h"
#include "banned.h"

#define SPILL_BUFSZ (64 * 1024)

struct spill {
	int fd;
	const char *dir; /* for messages */
	uint64_t size;   /* counting the bytes still in wbuf */
	char *wbuf;
	size_t wlen;
	char *rbuf;
	size_t rcap, rlen;
	uint64_t roff; /* by offset: where rbuf's bytes are from */
	size_t lpos;   /* lines: the next line's start in rbuf */
	uint64_t fpos; /* lines: the next byte of the file to read */
};

struct spill *spill_open(const char *dir)
{
	struct spill *s = xcalloc(1, sizeof(*s));

	s->fd = tempfile_open(dir, &s->dir);
	if (s->fd < 0)
		etl_die(ETL_EXIT_IOERR, s->dir, "cannot create a temporary file: %s",
			strerror(errno));
	return s;
}

static void write_all(struct spill *s, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(s->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			etl_die(ETL_EXIT_IOERR, s->dir, "cannot write a temporary file: %s",
				strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

static void flush(struct spill *s)
{
	write_all(s, s->wbuf, s->wlen);
	s->wlen = 0;
}

uint64_t spill_write(struct spill *s, const void *p, size_t n)
{
	uint64_t at = s->size;

	if (!n)
		return at;
	if (!s->wbuf)
		s->wbuf = xmalloc(SPILL_BUFSZ);
	s->size += n;
	if (s->wlen + n > SPILL_BUFSZ)
		flush(s);
	if (n >= SPILL_BUFSZ) {
		write_all(s, p, n);
		return at;
	}
	memcpy(s->wbuf + s->wlen, p, n);
	s->wlen += n;
	return at;
}

uint64_t spill_size(const struct spill *s)
{
	return s->size;
}

/* Read at most n bytes at off; at least one. */
static size_t read_at(struct spill *s, char *dst, size_t n, uint64_t off)
{
	ssize_t r;

	do
		r = pread(s->fd, dst, n, (off_t)off);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		etl_die(ETL_EXIT_IOERR, s->dir, "cannot read a temporary file: %s",
			r < 0 ? strerror(errno) : "unexpected end of file");
	return (size_t)r;
}

/* Reading on where the read-ahead ends refills it; a read elsewhere is done
 * directly, so that the read-ahead of a pass in order survives the jumps. */
void spill_read(struct spill *s, uint64_t off, void *dst, size_t n)
{
	uint64_t ondisk = s->size - s->wlen;
	char *d = dst;

	if (!s->rbuf) {
		s->rcap = SPILL_BUFSZ;
		s->rbuf = xmalloc(s->rcap);
	}
	while (n) {
		uint64_t rend = s->roff + s->rlen;
		size_t k;

		if (off >= ondisk) {
			memcpy(d, s->wbuf + (off - ondisk), n);
			return;
		}
		if (off >= s->roff && off < rend) {
			k = rend - off < n ? (size_t)(rend - off) : n;
			memcpy(d, s->rbuf + (off - s->roff), k);
		} else if (off >= rend && off - rend < s->rcap) {
			s->rlen = read_at(s, s->rbuf, s->rcap, off);
			s->roff = off;
			continue;
		} else {
			k = ondisk - off < n ? (size_t)(ondisk - off) : n;
			k = read_at(s, d, k, off);
		}
		d += k;
		off += k;
		n -= k;
	}
}

void spill_rewind(struct spill *s)
{
	if (s->wlen)
		flush(s);
	free(s->wbuf);
	s->wbuf = NULL;
	s->rlen = s->lpos = 0;
	s->roff = s->fpos = 0;
}

int spill_line(struct spill *s, const char **line, size_t *n)
{
	size_t seen = 0;

	if (!s->rbuf) {
		s->rcap = SPILL_BUFSZ;
		s->rbuf = xmalloc(s->rcap);
	}
	for (;;) {
		char *p = s->rbuf + s->lpos;
		size_t avail = s->rlen - s->lpos;
		char *nl = avail > seen ? memchr(p + seen, '\n', avail - seen) : NULL;

		if (nl || (s->fpos == s->size && avail)) {
			/* a line, or the last one without its '\n': there is
			 * always a spare byte for its NUL (below) */
			*n = nl ? (size_t)(nl - p) : avail;
			p[*n] = '\0';
			*line = p;
			s->lpos += nl ? *n + 1 : *n;
			return 1;
		}
		if (s->fpos == s->size)
			return 0;
		/* keep the unfinished line at the start, with room to read more
		 * and one byte spare */
		if (s->lpos) {
			memmove(s->rbuf, p, avail);
			s->lpos = 0;
			s->rlen = avail;
		}
		if (s->rcap - s->rlen < SPILL_BUFSZ / 2) {
			s->rcap *= 2;
			s->rbuf = xrealloc(s->rbuf, s->rcap);
		}
		seen = avail;
		{
			uint64_t left = s->size - s->fpos;
			size_t want = s->rcap - s->rlen - 1;
			size_t k = read_at(s, s->rbuf + s->rlen, left < want ? (size_t)left : want,
					   s->fpos);

			s->rlen += k;
			s->fpos += k;
		}
	}
}

void spill_close(struct spill *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s->wbuf);
	free(s->rbuf);
	free(s);
}
