/*
 * gate.c - the valid records held back until the end of the input.
 *
 * In a pipe, records already passed on cannot be taken back when a check
 * of the whole input fails at the end; so they are held, and released only
 * when every check holds.
 *
 * A record read from a regular file is held as where it lies: the file (a
 * duplicate of its descriptor) and the byte range of its line and '\n';
 * consecutive records make one range, so what is held grows with the
 * number of gaps (invalid records, blank lines) rather than with the data,
 * and release reads the ranges back.  A file that changed in the meantime
 * (another size or modification time) is an I/O error, never other bytes
 * written.  The other records (stdin, a pipe, a line ending in "\r\n" or
 * without '\n') are held as their lines: in memory up to the --memory
 * budget, past it in an unlinked temporary file (tempfile.h), the memory
 * reused.  Ranges of both kinds are kept in one list, in input order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "mem.h"
#include "out.h"
#include "tempfile.h"
#include "validate.h"
#include "banned.h"

/* A held range: bytes [off, off + len) of source src, or of the held lines
 * (src < 0: offsets count the spilled bytes first, then those in mem). */
struct seg {
	int src;
	uint64_t off, len;
};

/* An input file that records are held from. */
struct src {
	int fd; /* a duplicate: the input closes its own */
	const char *name;
	struct stat st;
};

static struct buf mem = BUF_INIT;
static uint64_t budget = 256u << 20, held, spilled;
static const char *dir;
static int fd = -1;
static const char *fd_dir;
static struct seg *segs;
static size_t nsegs, capsegs;
static struct src *srcs;
static size_t nsrcs, capsrcs;
/* Held by range from at most this many files, each keeping a descriptor
 * open, and only with a descriptor in the lower half of those allowed, so
 * that the input, the output and the temporary file always find one: the
 * records of the files after them are held as bytes. */
#define MAX_SRCS 256

static const char *last_file; /* the input file of the last record held by range */
static int last_src = -1;     /* its source, or -1 when it cannot be one */

void gate_setup(uint64_t memory, const char *temp_dir)
{
	if (memory)
		budget = memory;
	dir = temp_dir;
}

static void spill(void)
{
	size_t off = 0;

	if (fd < 0) {
		fd = tempfile_open(dir, &fd_dir);
		if (fd < 0)
			etl_die(ETL_EXIT_IOERR, fd_dir, "cannot create a temporary file: %s",
				strerror(errno));
	}
	while (off < mem.len) {
		ssize_t k = write(fd, mem.p + off, mem.len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			etl_die(ETL_EXIT_IOERR, fd_dir, "cannot write a temporary file: %s",
				strerror(errno));
		off += (size_t)k;
	}
	spilled += mem.len;
	buf_reset(&mem);
}

/* The source of the record's file, made when its first record is held; -1
 * when there can be none (MAX_SRCS reached, no descriptor left). */
static int src_of(const struct record *rec)
{
	struct rlimit lim;
	struct src *s;
	int dup;

	if (rec->file == last_file)
		return last_src;
	last_file = rec->file;
	last_src = -1;
	if (nsrcs == MAX_SRCS)
		return -1;
	dup = fcntl(rec->fd, F_DUPFD_CLOEXEC, 3);
	if (dup < 0)
		return -1;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)dup >= lim.rlim_cur / 2) {
		close(dup);
		return -1;
	}
	if (nsrcs == capsrcs)
		xgrow(&srcs, &capsrcs, nsrcs + 1, sizeof(*srcs));
	s = &srcs[nsrcs];
	s->fd = dup;
	s->name = rec->file;
	if (fstat(dup, &s->st) != 0) {
		close(dup);
		return -1;
	}
	return last_src = (int)nsrcs++;
}

static void add(int src, uint64_t off, uint64_t len)
{
	struct seg *g = nsegs ? &segs[nsegs - 1] : NULL;

	if (g && g->src == src && g->off + g->len == off) {
		g->len += len;
		return;
	}
	if (nsegs == capsegs)
		xgrow(&segs, &capsegs, nsegs + 1, sizeof(*segs));
	segs[nsegs++] = (struct seg){src, off, len};
}

void gate_hold(const struct record *rec)
{
	size_t n = rec->line.n;
	int src;

	held++;
	if (rec->reread && (src = src_of(rec)) >= 0) {
		add(src, rec->off, n + 1);
		return;
	}
	if (mem.len + n + 1 > budget && mem.len)
		spill();
	add(-1, spilled + mem.len, n + 1);
	buf_add(&mem, rec->line.p, n);
	buf_addc(&mem, '\n');
}

/* Write bytes [off, off + len) of file descriptor f (named name) out. */
static void copy_out(int f, const char *name, uint64_t off, uint64_t len)
{
	char chunk[1 << 16];

	while (len) {
		ssize_t k = pread(f, chunk, len < sizeof(chunk) ? (size_t)len : sizeof(chunk),
				  (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			etl_die(ETL_EXIT_IOERR, name, "read error: %s", strerror(errno));
		if (k == 0)
			etl_die(ETL_EXIT_IOERR, name,
				"the file is shorter than when it was read: the held records "
				"are not written");
		out_write(chunk, (size_t)k);
		off += (uint64_t)k;
		len -= (uint64_t)k;
	}
}

void gate_release(void)
{
	/* every file as it was read, before a byte is written */
	for (size_t i = 0; i < nsrcs; i++) {
		struct stat st;

		if (fstat(srcs[i].fd, &st) != 0)
			etl_die(ETL_EXIT_IOERR, srcs[i].name, "cannot read again: %s",
				strerror(errno));
		if (st.st_size != srcs[i].st.st_size ||
		    st.st_mtim.tv_sec != srcs[i].st.st_mtim.tv_sec ||
		    st.st_mtim.tv_nsec != srcs[i].st.st_mtim.tv_nsec)
			etl_die(ETL_EXIT_IOERR, srcs[i].name,
				"the file changed while it was read: the held records are not "
				"written");
	}
	for (size_t i = 0; i < nsegs; i++) {
		const struct seg *g = &segs[i];

		if (g->src >= 0) {
			copy_out(srcs[g->src].fd, srcs[g->src].name, g->off, g->len);
			continue;
		}
		if (g->off < spilled) {
			uint64_t n = spilled - g->off < g->len ? spilled - g->off : g->len;

			copy_out(fd, fd_dir, g->off, n);
			if (n < g->len)
				out_write(mem.p, (size_t)(g->len - n));
		} else {
			out_write(mem.p + (g->off - spilled), (size_t)g->len);
		}
	}
}

uint64_t gate_count(void)
{
	return held;
}

void gate_free(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
	for (size_t i = 0; i < nsrcs; i++)
		close(srcs[i].fd);
	free(srcs);
	srcs = NULL;
	nsrcs = capsrcs = 0;
	free(segs);
	segs = NULL;
	nsegs = capsegs = 0;
	buf_release(&mem);
}
