/*
 * checkpoint.c - the files of --checkpoint DIR (agg.h): window.c says what
 * a checkpoint holds, this file keeps them.
 *
 * A checkpoint is DIR/checkpoint-SEQ.ndjson, SEQ a 20-digit number that
 * grows by one with each checkpoint, so the newest has the greatest name.
 * Its first line is {"etl_agg_checkpoint":SEQ,"off":"OFFSET"}, the input
 * offset set the state reflects; window.c's lines follow.  A checkpoint is
 * written to a temporary file, fsynced, renamed into place, and the folder
 * fsynced: a crash leaves the old one or the new one, never half of one.
 *
 * Which one to start from (CONVENTIONS section 6): with --from-state NAME,
 * the newest whose offset the sink's committed set, cut to the first
 * component of each position, covers: exactly the point the source resumes
 * after, for the sink commits only what was emitted at checkpointed points.
 * The others are deleted: the older ones can no longer be needed, the
 * newer ones hold input the sink never got, which the source sends again.
 * Without --from-state, the newest.  After each checkpoint, those older
 * than the newest the sink covers (without --from-state: than the newest)
 * are deleted, so the folder holds a few.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agg.h"
#include "cli.h"
#include "die.h"
#include "jsonw.h"
#include "mem.h"
#include "offset.h"
#include "out.h"
#include "pg.h"
#include "banned.h"

#define PREFIX "checkpoint-"
#define SUFFIX ".ndjson"

struct ckpt {
	unsigned long long seq;
	struct offset_set at;
};

static struct ckpt *list; /* sorted by seq */
static size_t nlist, caplist;
static unsigned long long next_seq = 1;
static PGconn *sconn;
static struct pg_table stbl;

static char *path_of(unsigned long long seq)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/" PREFIX "%020llu" SUFFIX, opt.ckpt_dir, seq);
	return buf_detach(&b, NULL);
}

/* Read a whole file; NULL when it does not exist. */
static char *slurp(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return NULL;
		etl_die(ETL_EXIT_IOERR, path, "cannot open: %s", strerror(errno));
	}
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			etl_die(ETL_EXIT_IOERR, path, "read error: %s", strerror(errno));
		buf_add(&b, chunk, (size_t)r);
	}
	close(fd);
	if (!b.p)
		buf_adds(&b, "");
	return buf_detach(&b, len);
}

/* The offset of a checkpoint's first line, into at: 0, or -1. */
static int header(const char *p, size_t n, struct offset_set *at)
{
	const char *nl = memchr(p, '\n', n);
	struct buf l = BUF_INIT, t = BUF_INIT;
	struct span line, k, v;
	struct scan_iter it;
	struct scan_err err;
	int r = -1;

	/* the scanner wants a NUL after the text */
	buf_add(&l, p, nl ? (size_t)(nl - p) : n);
	line = (struct span){l.p ? l.p : "", l.len};
	if (scan_value(line.p, line.n, &err) != 0) {
		buf_release(&l);
		return -1;
	}
	scan_iter_init(&it, line);
	while (scan_iter_next(&it, &k, &v)) {
		if (scan_key_eq(k, "off", 3) && scan_kind(v) == SCAN_STRING) {
			scan_string(&t, v);
			r = offset_set_add_text(at, t.p ? t.p : "", t.len);
			if (t.len == 0)
				r = 0;
		}
	}
	buf_release(&t);
	buf_release(&l);
	return r;
}

static void drop(size_t i)
{
	char *p = path_of(list[i].seq);

	if (unlink(p) != 0 && errno != ENOENT)
		etl_die(ETL_EXIT_IOERR, p, "cannot remove: %s", strerror(errno));
	free(p);
	offset_set_release(&list[i].at);
	memmove(list + i, list + i + 1, (nlist - i - 1) * sizeof(*list));
	nlist--;
}

static int by_seq(const void *a, const void *b)
{
	const struct ckpt *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The sink's committed set, cut to first components, into s. */
static void committed(struct offset_set *s)
{
	struct offset_set raw = OFFSET_SET_INIT;
	char *v = pg_state_get(sconn, &stbl, opt.from_state, 0);

	if (v && offset_set_add_text(&raw, v, strlen(v)) < 0)
		etl_die(ETL_EXIT_DATA, stbl.display, "state \"%s\" is not an offset set: '%.80s'",
			opt.from_state, v);
	offset_set_first(s, &raw);
	offset_set_release(&raw);
	free(v);
}

/* The index of the newest checkpoint the sink covers, or -1. */
static long newest_covered(void)
{
	struct offset_set s = OFFSET_SET_INIT;
	struct buf t = BUF_INIT;
	long found = -1;

	committed(&s);
	for (size_t i = nlist; i-- > 0;) {
		buf_reset(&t);
		offset_set_format(&list[i].at, &t);
		if (!list[i].at.n || offset_set_covers(&s, t.p, t.len) == 1) {
			found = (long)i;
			break;
		}
	}
	buf_release(&t);
	offset_set_release(&s);
	return found;
}

void ckpt_open(void)
{
	DIR *d;
	struct dirent *e;

	if (mkdir(opt.ckpt_dir, 0777) != 0 && errno != EEXIST)
		etl_die(ETL_EXIT_IOERR, opt.ckpt_dir, "cannot create: %s", strerror(errno));
	d = opendir(opt.ckpt_dir);
	if (!d)
		etl_die(ETL_EXIT_IOERR, opt.ckpt_dir, "cannot open: %s", strerror(errno));
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		unsigned long long seq;
		char *p, *text, *end;
		size_t len;

		if (n != strlen(PREFIX) + 20 + strlen(SUFFIX) ||
		    strncmp(e->d_name, PREFIX, strlen(PREFIX)) != 0 ||
		    strcmp(e->d_name + n - strlen(SUFFIX), SUFFIX) != 0)
			continue;
		seq = strtoull(e->d_name + strlen(PREFIX), &end, 10);
		if (end != e->d_name + strlen(PREFIX) + 20)
			continue;
		p = path_of(seq);
		text = slurp(p, &len);
		xgrow(&list, &caplist, nlist + 1, sizeof(*list));
		list[nlist].seq = seq;
		offset_set_init(&list[nlist].at);
		if (!text || header(text, len, &list[nlist].at) != 0)
			etl_die(ETL_EXIT_DATA, p, "not a checkpoint of etl-agg");
		nlist++;
		free(text);
		free(p);
	}
	closedir(d);
	qsort(list, nlist, sizeof(*list), by_seq);
	if (nlist)
		next_seq = list[nlist - 1].seq + 1;
	if (opt.from_state) {
		char err[256];

		sconn = pg_connect(opt.state_db);
		if (pg_table_parse(&stbl, sconn, opt.state_table, err, sizeof(err)) < 0)
			cli_usage_error("--state-table", "%s", err);
	}
}

char *ckpt_choose(size_t *len)
{
	long pick = (long)nlist - 1;
	char *p, *text;

	if (opt.from_state) {
		pick = newest_covered();
		/* newer ones hold input the sink never got: the source sends it
		 * again, and they would be written again */
		while ((long)nlist - 1 > pick)
			drop(nlist - 1);
	}
	if (pick < 0)
		return NULL;
	while (pick > 0)
		drop(0), pick--;
	p = path_of(list[0].seq);
	text = slurp(p, len);
	if (!text)
		etl_die(ETL_EXIT_IOERR, p, "cannot open: %s", strerror(ENOENT));
	free(p);
	return text;
}

void ckpt_write(const struct offset_set *at, const char *body, size_t n)
{
	struct replace r;
	struct buf head = BUF_INIT, off = BUF_INIT;
	char *p = path_of(next_seq);
	int dfd;

	offset_set_format(at, &off);
	buf_printf(&head, "{\"etl_agg_checkpoint\":%llu,\"off\":", next_seq);
	jw_string(&head, off.p ? off.p : "", off.len);
	buf_adds(&head, "}\n");
	if (replace_open(&r, p) != 0)
		etl_die(ETL_EXIT_IOERR, p, "cannot create: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		const char *q = i ? body : head.p;
		size_t left = i ? n : head.len;

		while (left) {
			ssize_t w = write(r.fd, q, left);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				replace_abort(&r);
				etl_die(ETL_EXIT_IOERR, p, "write error: %s", strerror(errno));
			}
			q += w;
			left -= (size_t)w;
		}
	}
	if (replace_commit(&r) != 0)
		etl_die(ETL_EXIT_IOERR, p, "write error: %s", strerror(errno));
	dfd = open(opt.ckpt_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0)
		etl_die(ETL_EXIT_IOERR, opt.ckpt_dir, "cannot sync: %s", strerror(errno));
	close(dfd);
	xgrow(&list, &caplist, nlist + 1, sizeof(*list));
	list[nlist].seq = next_seq++;
	offset_set_init(&list[nlist].at);
	offset_set_merge(&list[nlist].at, at);
	nlist++;
	/* prune what can no longer be needed */
	{
		long keep = opt.from_state ? newest_covered() : (long)nlist - 1;

		while (keep > 0)
			drop(0), keep--;
	}
	free(p);
	buf_release(&head);
	buf_release(&off);
}

void ckpt_release(void)
{
	for (size_t i = 0; i < nlist; i++)
		offset_set_release(&list[i].at);
	free(list);
	pg_table_release(&stbl);
}
