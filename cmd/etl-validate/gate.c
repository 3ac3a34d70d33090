/*
 * gate.c - the valid records held back until the end of the input.
 *
 * In a pipe, records already passed on cannot be taken back when a check
 * of the whole input fails at the end; so they are held, as their lines,
 * and released only when every check holds.  They are kept in memory up
 * to the --memory budget; past it the held bytes go to an unlinked
 * temporary file (tempfile.h) and the memory is reused, so the order of
 * the records is kept and memory stays flat whatever the input size.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "out.h"
#include "tempfile.h"
#include "validate.h"
#include "banned.h"

static struct buf mem = BUF_INIT;
static uint64_t budget = 256u << 20, held;
static const char *dir;
static int fd = -1;
static const char *fd_dir;

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
	buf_reset(&mem);
}

void gate_hold(const char *p, size_t n)
{
	if (mem.len + n + 1 > budget && mem.len)
		spill();
	buf_add(&mem, p, n);
	buf_addc(&mem, '\n');
	held++;
}

void gate_release(void)
{
	if (fd >= 0) {
		char chunk[1 << 16];
		ssize_t k;

		if (lseek(fd, 0, SEEK_SET) < 0)
			etl_die(ETL_EXIT_IOERR, fd_dir, "cannot read a temporary file: %s",
				strerror(errno));
		while ((k = read(fd, chunk, sizeof(chunk))) != 0) {
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				etl_die(ETL_EXIT_IOERR, fd_dir, "cannot read a temporary file: %s",
					strerror(errno));
			out_write(chunk, (size_t)k);
		}
	}
	if (mem.len)
		out_write(mem.p, mem.len);
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
	buf_release(&mem);
}
