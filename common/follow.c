/*
 * follow.c - --follow and where it begins (follow.h).
 */
#include "follow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "die.h"
#include "input.h"
#include "offset.h"
#include "pg.h"
#include "banned.h"

/* Does byte at of the file begin a line (the start, or just after '\n')? */
static int line_start(const char *file, uint64_t at)
{
	char c = '\n';
	int fd;

	if (at == 0)
		return 1;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		etl_die(ETL_EXIT_IOERR, file, "cannot open: %s", strerror(errno));
	if (pread(fd, &c, 1, (off_t)at - 1) != 1)
		c = 0;
	close(fd);
	return c == '\n';
}

/* The first component of the file's position in the committed set NAME:
 * 1 and *pos, or 0 when the set has no entry for the file. */
static int committed(const struct follow_opts *f, const char *file, uint64_t *pos)
{
	struct offset_set set = OFFSET_SET_INIT;
	struct pg_table t;
	struct buf stream = BUF_INIT;
	const struct offset_entry *e;
	char err[256];
	PGconn *c = pg_connect(f->state_db);
	int found = 0;

	if (pg_table_parse(&t, c, f->state_table ? f->state_table : "etl_state", err, sizeof(err)) <
	    0)
		cli_usage_error("--state-table", "%s", err);
	pg_state_offsets(c, &t, f->from_state, &set);
	offset_stream_escape(&stream, file, strlen(file));
	e = offset_set_get(&set, stream.p, stream.len);
	if (e) {
		*pos = strtoull(e->pos, NULL, 10);
		found = 1;
	}
	buf_release(&stream);
	offset_set_release(&set);
	pg_table_release(&t);
	return found;
}

void follow_setup(const struct follow_opts *f, char **files, size_t nfiles)
{
	struct stat st;
	uint64_t pos = 0;
	int skip = 0;

	if (!f->on) {
		if (f->from_offset_set || f->from_state)
			cli_usage_error(f->from_state ? "--from-state" : "--from-offset",
					"applies to --follow only");
		return;
	}
	if (nfiles != 1 || strcmp(files[0], "-") == 0)
		cli_usage_error("--follow", "follows one file, named (not standard input)");
	if (f->from_offset_set && f->from_state)
		cli_usage_error("--from-offset", "cannot be combined with --from-state");
	if (stat(files[0], &st) != 0)
		etl_die(ETL_EXIT_IOERR, files[0], "cannot open: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		cli_usage_error("--follow", "'%s' is not a regular file", files[0]);
	if (f->from_offset_set) {
		pos = f->from_offset;
		if (!line_start(files[0], pos))
			cli_usage_error("--from-offset", "byte %llu does not begin a line of %s",
					(unsigned long long)pos, files[0]);
	} else if (f->from_state && committed(f, files[0], &pos)) {
		skip = 1;
	}
	input_follow_all(pos, skip);
}
