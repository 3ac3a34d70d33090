/*
 * tempfile.c - unlinked scratch files (tempfile.h).
 *
 * mkstemp() creates the file with mode 0600 and a name no other process
 * can have chosen; unlinking it right away leaves only the descriptor, so
 * the space is returned when the process ends, however it ends.
 */
#include "tempfile.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "banned.h"

int tempfile_open(const char *dir, const char **used)
{
	struct buf path = BUF_INIT;
	int fd, e;

	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	if (used)
		*used = dir;
	buf_printf(&path, "%s/%s.XXXXXX", dir, etl_progname ? etl_progname : "etl");
	fd = mkstemp(path.p);
	e = errno;
	if (fd >= 0)
		unlink(path.p);
	buf_release(&path);
	errno = e;
	return fd;
}
