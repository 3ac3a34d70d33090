/*
 * follow.c - --follow and where it begins (follow.h).
 */
#include "follow.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
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

/* A usage error: its option and message for the caller to report. */
static int usage(struct follow_err *e, const char *opt, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int usage(struct follow_err *e, const char *opt, const char *fmt, ...)
{
	va_list ap;

	e->opt = opt;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* The first component of the file's position in the committed set NAME:
 * 1 and *pos, 0 when the set has no entry for the file, -1 for a usage
 * error. */
static int committed(const struct follow_opts *f, const char *file, uint64_t *pos,
		     struct follow_err *ue)
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
		return usage(ue, "--state-table", "%s", err);
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

int follow_setup(const struct follow_opts *f, char **files, size_t nfiles, struct follow_err *ue)
{
	struct stat st;
	uint64_t pos = 0;
	int skip = 0;

	if (!f->on) {
		if (f->from_offset_set || f->from_state)
			return usage(ue, f->from_state ? "--from-state" : "--from-offset",
				     "applies to --follow only");
		return 0;
	}
	if (nfiles != 1 || strcmp(files[0], "-") == 0)
		return usage(ue, "--follow", "follows one file, named (not standard input)");
	if (f->from_offset_set && f->from_state)
		return usage(ue, "--from-offset", "cannot be combined with --from-state");
	if (stat(files[0], &st) != 0)
		etl_die(ETL_EXIT_IOERR, files[0], "cannot open: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return usage(ue, "--follow", "'%s' is not a regular file", files[0]);
	if (f->from_offset_set) {
		pos = f->from_offset;
		if (!line_start(files[0], pos))
			return usage(ue, "--from-offset", "byte %llu does not begin a line of %s",
				     (unsigned long long)pos, files[0]);
	} else if (f->from_state) {
		int r = committed(f, files[0], &pos, ue);

		if (r < 0)
			return -1;
		skip = r;
	}
	input_follow_all(pos, skip);
	return 0;
}
