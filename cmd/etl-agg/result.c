/*
 * result.c - what a run writes: result records, partial states, and the
 * --sort order of results (agg.h).
 *
 * A result is {KEY,EXTRA,aggregates} with each aggregate's finished value;
 * a partial state is {"key":{KEY},"state":[...]} after a header that names
 * the options that made it (partial.c reads them back).  Without --sort a
 * result goes out as soon as it is made; with it, results are kept in one
 * buffer and sorted at the end (stable: ties keep first-seen order).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "cli.h"
#include "die.h"
#include "jsonw.h"
#include "mem.h"
#include "out.h"
#include "banned.h"

/* ---- partial states ---- */

void partial_header(struct buf *b)
{
	struct buf t = BUF_INIT;

	buf_adds(b, "{\"etl_agg\":\"partial\",\"version\":1,\"group_by\":[");
	for (size_t i = 0; i < plan.ngpaths; i++) {
		buf_reset(&t);
		path_format(&t, &plan.gpaths[i]);
		if (i)
			buf_addc(b, ',');
		jw_string(b, t.p, t.len);
	}
	buf_adds(b, "],\"aggregates\":[");
	for (size_t i = 0; i < plan.naggs; i++) {
		if (i)
			buf_addc(b, ',');
		jw_string(b, plan.aggs[i].spec, strlen(plan.aggs[i].spec));
	}
	buf_adds(b, "]}");
	buf_release(&t);
}

void partial_group(struct buf *b, const char *key, size_t keylen, void *st)
{
	buf_adds(b, "{\"key\":{");
	buf_add(b, key, keylen);
	buf_adds(b, "},\"state\":");
	states_save(st, b);
	buf_addc(b, '}');
}

/* ---- results ---- */

void result_write(struct buf *b, const char *key, size_t keylen, const char *extra, size_t extralen,
		  void *st)
{
	unsigned char *s = st;
	int comma = keylen > 0;

	buf_addc(b, '{');
	buf_add(b, key, keylen);
	if (extralen) {
		if (comma)
			buf_addc(b, ',');
		buf_add(b, extra, extralen);
		comma = 1;
	}
	for (size_t i = 0; i < plan.naggs; i++) {
		const struct agg *a = &plan.aggs[i];

		if (comma)
			buf_addc(b, ',');
		comma = 1;
		buf_add(b, a->label.p, a->label.len);
		a->fi->finish(a, s + a->off, b);
	}
	buf_addc(b, '}');
}

/* Sort keys: "f,-g": paths, each after an optional '-'. */
struct sortkey {
	struct path p;
	int desc;
};
static struct sortkey *skeys;
static size_t nskeys;
static struct hash_canon canon; /* for hash_value_cmp() */

void sort_setup(const char *s)
{
	const char *p = s;

	while (*p) {
		const char *err;
		size_t off;
		long n;
		int desc = *p == '-';

		skeys = xrealloc(skeys, (nskeys + 1) * sizeof(*skeys));
		p += desc;
		n = path_parse(&skeys[nskeys].p, p, 0, &err, &off);
		if (n <= 0)
			cli_usage_error("--sort", "column %zu: %s",
					(size_t)(p - s) + (n < 0 ? off : 0) + 1,
					n < 0 ? err : "expected a field name");
		skeys[nskeys++].desc = desc;
		p += n;
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			cli_usage_error("--sort", "column %zu: expected ',' between keys",
					(size_t)(p - s) + 1);
	}
	if (!nskeys)
		cli_usage_error("--sort", "no key given");
	hash_canon_init(&canon, 0);
}

const struct path *sort_key(size_t i)
{
	return &skeys[i].p;
}

/* --sort: the results in one buffer, sorted at the end. */
struct sorted {
	size_t off, len;
	uint64_t seq;
};
static struct buf sortbuf;
static struct sorted *sorted;
static size_t nsorted, capsorted;
static struct span *sortvals; /* nskeys per result */

void result_emit(const char *p, size_t n, uint64_t seq)
{
	if (!nskeys) {
		out_line(p, n);
		return;
	}
	xgrow(&sorted, &capsorted, nsorted + 1, sizeof(*sorted));
	sorted[nsorted].off = sortbuf.len;
	sorted[nsorted].len = n;
	sorted[nsorted].seq = seq;
	nsorted++;
	buf_add(&sortbuf, p, n);
	buf_addc(&sortbuf, '\0'); /* the scanner's sentinel */
}

static struct scan_want *sortwant;

size_t sort_nkeys(void)
{
	return nskeys;
}

void sort_values(const char *json, size_t n, struct span *out)
{
	struct scan_err err;

	if (!sortwant) {
		struct path *paths = xcalloc(nskeys, sizeof(*paths));

		for (size_t i = 0; i < nskeys; i++)
			paths[i] = skeys[i].p;
		sortwant = scan_want_new(paths, nskeys);
		free(paths);
	}
	if (scan_record(json, n, sortwant, out, &err) != 0)
		etl_die(ETL_EXIT_SOFTWARE, NULL, "a result is not valid JSON: %s", err.msg);
}

int sort_cmp(const struct span *va, const struct span *vb)
{
	for (size_t i = 0; i < nskeys; i++) {
		int c = hash_value_cmp(&canon, va[i], vb[i]);

		if (c)
			return skeys[i].desc ? -c : c;
	}
	return 0;
}

static int sorted_cmp(const void *pa, const void *pb, void *arg)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int c = sort_cmp(sortvals + a * nskeys, sortvals + b * nskeys);

	(void)arg;
	if (c)
		return c;
	return sorted[a].seq < sorted[b].seq ? -1 : sorted[a].seq > sorted[b].seq;
}

/* Sort the results (stable: ties keep first-seen order) and write them. */
static void sort_flush(void)
{
	size_t *idx;

	if (!nskeys)
		return;
	sortvals = xcalloc(nsorted * nskeys + 1, sizeof(*sortvals));
	for (size_t i = 0; i < nsorted; i++)
		sort_values(sortbuf.p + sorted[i].off, sorted[i].len, sortvals + i * nskeys);
	idx = xmalloc((nsorted + 1) * sizeof(*idx));
	for (size_t i = 0; i < nsorted; i++)
		idx[i] = i;
	qsort_r(idx, nsorted, sizeof(*idx), sorted_cmp, NULL);
	for (size_t i = 0; i < nsorted; i++)
		out_line(sortbuf.p + sorted[idx[i]].off, sorted[idx[i]].len);
	free(idx);
	free(sortvals);
	buf_release(&sortbuf);
	free(sorted);
}

/* ---- the end of a batch ---- */

static struct buf line;

void results_write(void)
{
	if (!plan.ngpaths && !batch.n)
		group_of(NULL); /* no input: one result, count 0 and nulls */
	if (opt.partial) {
		buf_reset(&line);
		partial_header(&line);
		out_line(line.p, line.len);
	}
	for (size_t i = 0; i < batch.n; i++) {
		struct group *g = batch.list[i];

		buf_reset(&line);
		if (opt.partial) {
			partial_group(&line, g->key, g->keylen, g->st);
			out_line(line.p, line.len);
		} else {
			result_write(&line, g->key, g->keylen, NULL, 0, g->st);
			result_emit(line.p, line.len, g->seq);
		}
	}
	sort_flush();
}

void results_release(void)
{
	for (size_t i = 0; i < nskeys; i++)
		path_release(&skeys[i].p);
	free(skeys);
	scan_want_free(sortwant);
	if (nskeys)
		hash_canon_release(&canon);
	buf_release(&line);
}
