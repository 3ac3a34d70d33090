/*
 * out.h - the program's output: buffered, checked, atomic with -o.
 *
 * Output goes to stdout, or with -o FILE to a temporary file in FILE's
 * folder that out_close() renames over FILE only on success; on any failure
 * exit (etl_die) the temporary file is removed, so make never sees a
 * half-written target.  Write errors are fatal (status 74) with the file
 * named; writing to a closed pipe ends the program quietly, status 0
 * (the reader chose to stop; its own status tells the pipeline).  When a run
 * fails, the whole records already written to stdout are flushed, so the
 * reader gets everything before the failure (and the failing status).  A
 * run ended by a signal removes its temporary file too (a signal hook).
 */
#ifndef ETL_OUT_H
#define ETL_OUT_H

#include <stddef.h>
#include <string.h>

/* Replacing a file in one step, as -o and --stats do.  A regular file (or
 * none yet) is written to a hidden temporary file beside it (beside the
 * target of a symbolic link) that replace_commit() renames over it; a
 * device, a pipe or an open descriptor (/dev/null, a FIFO, /dev/stdout,
 * /dev/fd/3) is written in place (tmp is NULL). */
struct replace {
	int fd;
	int in_place;
	char *tmp, *target;
};
/* 0, or -1 with errno set and nothing left to release or remove. */
int replace_open(struct replace *r, const char *path);
/* The file that replacing path replaces: the file a chain of symbolic
 * links names (made or not), or path itself.  *in_place is set when the
 * path is to be written in place instead (see struct replace); the result
 * is then path.  *fd is the number of this process's descriptor that the
 * path names (/dev/stdout, /dev/fd/3), to be written through as it is, or
 * -1.  A new string (the caller frees it). */
char *replace_target(const char *path, int *in_place, int *fd);
/* Give the file the mode a new file gets, fsync, close, rename it into
 * place.  0; or with errno set and the temporary file removed, -1 when
 * writing failed (mode, fsync, close), -2 when the rename did. */
int replace_commit(struct replace *r);
/* Close, and remove the temporary file. */
void replace_abort(struct replace *r);
/* Open the output: NULL or "-" is stdout. Dies with 74 on failure. */
void out_open(const char *path);
/* The output's records are what stats.records_out counts (a program with
 * an output of its own, such as a table, does not call this).  From then on
 * records_out, at exit, is what was delivered: the records that stdout took
 * whole, or those of an -o file renamed into place; a run that fails or is
 * ended by a signal delivers nothing to an -o file.  A program counts a
 * record after handing all its bytes to out_*(). */
void out_count_records(void);
void out_write(const void *p, size_t n);
void out_flush(void);
/* The input is about to wait for a live source: run the idle hook, then
 * flush, so that a stream's results flow instead of waiting for more input
 * (input.c calls it).  The hook is for a program that holds a decided record
 * back while the next one is read (etl-dedupe): it writes that record now.
 * At most one hook; NULL removes it. */
void out_idle(void);
void out_on_idle(void (*fn)(void));
/* A source that waits for more input without writing (--follow) learns
 * here when the reader of its output pipe has gone: the run ends as on a
 * closed pipe, quietly with status 0. */
void out_check_reader(void);
/* Flush, fsync and rename a -o file into place; dies with 74 on failure. */
void out_close(void);

/* The buffer, exposed so that the inline helpers stay cheap. */
extern char *out_buf;
extern size_t out_len, out_cap;

static inline void out_putc(char c)
{
	if (out_len == out_cap)
		out_flush();
	out_buf[out_len++] = c;
}
static inline void out_puts(const char *s)
{
	out_write(s, strlen(s));
}
/* Write one record line and its "\n". */
static inline void out_line(const char *p, size_t n)
{
	if (n < out_cap - out_len) {
		memcpy(out_buf + out_len, p, n);
		out_len += n;
		out_buf[out_len++] = '\n';
	} else {
		out_write(p, n);
		out_putc('\n');
	}
}

#endif
