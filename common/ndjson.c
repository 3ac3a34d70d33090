/*
 * ndjson.c - valid records out of NDJSON input (ndjson.h).  Counts every
 * non-blank line as a record read, so that records_in = records_out + bad +
 * dropped holds whatever the program does with them.
 */
#include "ndjson.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bad.h"
#include "input.h"
#include "jsonw.h"
#include "mem.h"
#include "offset.h"
#include "stats.h"
#include "banned.h"

struct ndjson {
	struct input *in;
	struct scan_want *want;
	struct span *vals;
	struct buf tagged; /* a followed file's record, with its _off */
};

/* A line of a followed file gets the field _off = "PATH:BYTE" (offset.h)
 * after its own, the bytes before it kept as they are.  0, or -1 when the
 * record has an _off of its own (it would then hold two). */
static int tag(struct ndjson *nd, const struct line *l)
{
	struct span rec = {l->p, l->n}, k, v;
	struct scan_iter it;
	struct buf off = BUF_INIT;
	size_t end = l->n;
	int empty = 1;

	scan_iter_init(&it, rec);
	while (scan_iter_next(&it, &k, &v)) {
		if (scan_key_eq(k, OFFSET_FIELD, strlen(OFFSET_FIELD)))
			return -1;
		empty = 0;
	}
	while (end > 0 && l->p[end - 1] != '}')
		end--;
	offset_stream_escape(&off, l->file, strlen(l->file));
	buf_printf(&off, ":%llu", (unsigned long long)l->off);
	buf_reset(&nd->tagged);
	buf_add(&nd->tagged, l->p, end - 1);
	buf_adds(&nd->tagged, empty ? "\"" OFFSET_FIELD "\":" : ",\"" OFFSET_FIELD "\":");
	jw_string(&nd->tagged, off.p, off.len);
	buf_add(&nd->tagged, l->p + end - 1, l->n - (end - 1));
	buf_release(&off);
	return 0;
}

struct ndjson *nd_open(char **files, size_t nfiles, const struct path *want, size_t nwant)
{
	return nd_open_input(input_open(files, nfiles), want, nwant);
}

struct ndjson *nd_open_input(struct input *in, const struct path *want, size_t nwant)
{
	struct ndjson *nd = xcalloc(1, sizeof(*nd));

	nd->in = in;
	if (nwant)
		nd->want = scan_want_new(want, nwant);
	nd->vals = xcalloc(nwant ? nwant : 1, sizeof(*nd->vals));
	progress_input(nd->in);
	return nd;
}

int nd_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

void nd_set_timeout(struct ndjson *nd, int ms)
{
	input_set_timeout(nd->in, ms);
}

int nd_next(struct ndjson *nd, struct record *rec)
{
	struct line l;
	struct scan_err err;
	int r;

	while ((r = input_line(nd->in, &l)) != 0) {
		if (r == INPUT_TIMEOUT)
			return ND_TIMEOUT;
		if (nd_blank(l.p, l.n))
			continue;
		stats.records_in++;
		progress_tick();
		if (scan_record(l.p, l.n, nd->want, nd->vals, &err) != 0) {
			bad_record(l.file, l.lineno, err.off + 1, l.p, l.n, "%s%s",
				   err.syntax ? "invalid JSON: " : "", err.msg);
			continue;
		}
		rec->line.p = l.p;
		rec->line.n = l.n;
		if (input_following(nd->in)) {
			if (tag(nd, &l) < 0) {
				bad_record(l.file, l.lineno, 0, l.p, l.n,
					   "a followed file's record has its own " OFFSET_FIELD);
				continue;
			}
			rec->line.p = nd->tagged.p;
			rec->line.n = nd->tagged.len;
		}
		rec->file = l.file;
		rec->lineno = l.lineno;
		rec->vals = nd->vals;
		return 1;
	}
	return 0;
}

void nd_reject(struct ndjson *nd, const struct record *rec, unsigned long col, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	(void)nd;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bad_record(rec->file, rec->lineno, col, rec->line.p, rec->line.n, "%s", msg);
}

void nd_close(struct ndjson *nd)
{
	if (!nd)
		return;
	input_close(nd->in);
	scan_want_free(nd->want);
	free(nd->vals);
	buf_release(&nd->tagged);
	free(nd);
}
