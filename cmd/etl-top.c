/*
 * etl-top - the N records with the largest (or, with --asc, smallest) value
 * of an expression, per group, written byte-exact.
 *
 * Each group keeps a bounded heap of at most N entries.  An entry owns a copy
 * of a winning record's bytes and of its --by value; the heap's root is the
 * worst entry kept, so a new record is compared with the root only, and when
 * it wins it is copied into the root's own buffer (no allocation once that
 * has grown) and sifted down.  Memory is O(groups x N x record size) and
 * does not grow with the input.  At the end each heap is sorted in place,
 * best first, and the groups are written in the order their first record
 * was seen.
 *
 * Invariants:
 *  - The order is total and deterministic: by value (val_cmp: numbers
 *    exactly, strings bytewise), then by input order, the earlier record
 *    ranking higher.  A record arriving later never displaces an equal one.
 *  - A record whose --by value is null (missing field, JSON null, or an
 *    expression giving null) never enters a heap.
 *  - Every valid record ends up written (records_out) or counted in
 *    stats.dropped (null value, or not among the N best of its group); a
 *    record whose expression fails at run time is a bad record.  So
 *    records_in = records_out + bad + dropped.
 *  - Group keys are the canonical texts of the -g fields (hash.h): 1.0 and
 *    1.00 are one group, a missing field and null are one group.  A group's
 *    place in the output is that of its first valid record, whatever its
 *    value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "cli.h"
#include "die.h"
#include "expr.h"
#include "hash.h"
#include "jsonw.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "stats.h"
#include "utf8.h"
#include "banned.h"

enum { OPT_COUNT = 1, OPT_BY, OPT_ASC, OPT_GROUP, OPT_RANK, OPT_STRICT };

static const struct cli_opt opts[] = {
	{OPT_COUNT, "count", 'n', CLI_ARG, "N", "keep N records per group (default: 10)"},
	{OPT_BY, "by", 0, CLI_ARG, "EXPR", "rank by the value of EXPR (required)"},
	{OPT_ASC, "asc", 0, CLI_NOARG, NULL, "keep the smallest values instead of the largest"},
	{OPT_GROUP, "group-by", 'g', CLI_ARG, "FIELDS", "one top list per value of FIELDS"},
	{OPT_RANK, "rank-field", 0, CLI_ARG, "NAME", "add the rank (1 = best) as field NAME"},
	{OPT_STRICT, "strict", 0, CLI_NOARG, NULL,
	 "a field --by reads that no record had is an error (exit 1)"},
	{0, NULL, 0, 0, NULL, NULL},
};

static size_t count = 10;
static const char *by_src;
static int asc;
static struct path *gpaths;
static size_t ngpaths;
static const char *rank_name;
static int strict;

/* One kept record: its line, and its --by value, whose bytes (a string, a
 * number's text) are copied after the line in the same buffer. */
struct entry {
	struct val v;
	uint64_t seq; /* input order among valid records */
	struct buf bytes;
	size_t linelen;
};

/* The heap holds the entries themselves, not pointers to them: a record
 * compared with the worst one kept touches the group and its array only. */
struct group {
	struct entry *heap; /* heap[0] is the worst entry kept */
	size_t n, cap;      /* cap <= count */
};

static struct group *groups; /* in first-seen order */
static size_t ngroups, capgroups;

/* Does a rank above b?  Larger values first (smaller with --asc), then the
 * earlier record. */
static int better(const struct val *av, uint64_t aseq, const struct entry *b)
{
	int c = val_cmp(av, &b->v);

	if (c)
		return asc ? c < 0 : c > 0;
	return aseq < b->seq;
}

static void swap(struct entry *a, struct entry *b)
{
	struct entry t = *a;

	*a = *b;
	*b = t;
}

static void sift_down(struct entry *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;

		if (l < n && better(&h[w].v, h[w].seq, &h[l]))
			w = l;
		if (r < n && better(&h[w].v, h[w].seq, &h[r]))
			w = r;
		if (w == i)
			return;
		swap(&h[i], &h[w]);
		i = w;
	}
}

static void sift_up(struct entry *h, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!better(&h[parent].v, h[parent].seq, &h[i]))
			return;
		swap(&h[i], &h[parent]);
		i = parent;
	}
}

/* Copy the record and its value into e, reusing e's buffer. */
static void entry_set(struct entry *e, struct span line, const struct val *v, uint64_t seq)
{
	buf_reset(&e->bytes);
	buf_add(&e->bytes, line.p, line.n);
	e->linelen = line.n;
	val_copy(&e->v, v, &e->bytes);
	e->seq = seq;
}

/* Offer a record to its group's heap; 1 if it was kept, 0 if dropped. */
static int offer(struct group *g, struct span line, const struct val *v, uint64_t seq)
{
	if (g->n < count) {
		if (g->n == g->cap) {
			/* grow to count at most: many groups may each hold few */
			size_t c = g->cap ? g->cap * 2 : 4;

			if (c > count)
				c = count;
			g->heap = xrealloc(g->heap, c * sizeof(*g->heap));
			memset(g->heap + g->cap, 0, (c - g->cap) * sizeof(*g->heap));
			g->cap = c;
		}
		entry_set(&g->heap[g->n], line, v, seq);
		sift_up(g->heap, g->n++);
		return 1;
	}
	if (!better(v, seq, &g->heap[0]))
		return 0;
	entry_set(&g->heap[0], line, v, seq);
	sift_down(g->heap, g->n, 0);
	stats.dropped++; /* the record it displaced */
	return 1;
}

static struct group *new_group(void)
{
	xgrow(&groups, &capgroups, ngroups + 1, sizeof(*groups));
	memset(&groups[ngroups], 0, sizeof(*groups));
	return &groups[ngroups++];
}

/* ",\"NAME\":" (or without the comma, for an empty object), made once. */
static struct buf rank_sep;

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The line with the rank inserted just before its final '}'. */
static void write_ranked(const char *p, size_t len, size_t rank)
{
	size_t close = len, j;
	char num[24];
	int n;

	while (close > 0 && p[close - 1] != '}')
		close--;
	close--; /* a validated object ends with '}' (and maybe white space) */
	for (j = close; j > 0 && is_ws(p[j - 1]); j--)
		;
	out_write(p, close);
	/* only an empty object has '{' just before its final '}' */
	if (p[j - 1] == '{')
		out_write(rank_sep.p + 1, rank_sep.len - 1);
	else
		out_write(rank_sep.p, rank_sep.len);
	n = snprintf(num, sizeof(num), "%zu", rank);
	out_write(num, (size_t)n);
	out_line(p + close, len - close);
}

/* Sort each heap best first and write the groups in first-seen order. */
static void write_all(void)
{
	for (size_t gi = 0; gi < ngroups; gi++) {
		struct group *g = &groups[gi];

		for (size_t n = g->n; n > 1; n--) {
			swap(&g->heap[0], &g->heap[n - 1]);
			sift_down(g->heap, n - 1, 0);
		}
		for (size_t i = 0; i < g->n; i++) {
			struct entry *e = &g->heap[i];

			if (rank_name)
				write_ranked(e->bytes.p, e->linelen, i + 1);
			else
				out_line(e->bytes.p, e->linelen);
			stats.records_out++;
			buf_release(&e->bytes);
		}
		free(g->heap);
	}
	free(groups);
}

static void on_opt(int id, const char *arg)
{
	switch (id) {
	case OPT_COUNT:
		/* the heap of a group is an array of up to count entries */
		count = cli_uint(cli_optname, arg, 1, SIZE_MAX / sizeof(struct entry));
		break;
	case OPT_BY:
		by_src = arg;
		break;
	case OPT_ASC:
		asc = 1;
		break;
	case OPT_GROUP:
		path_list_free(gpaths, ngpaths);
		gpaths = NULL;
		ngpaths = 0;
		cli_paths(cli_optname, arg, &gpaths, &ngpaths);
		break;
	case OPT_STRICT:
		strict = 1;
		break;
	case OPT_RANK:
		if (!*arg)
			cli_usage_error(cli_optname, "the name is empty");
		if (!utf8_valid(arg, strlen(arg)))
			cli_usage_error(cli_optname, "the name is not valid UTF-8");
		rank_name = arg;
		break;
	}
}

static const struct cli_prog prog = {
	"etl-top",
	"[-n N] --by EXPR [--asc] [-g FIELDS] [OPTIONS] [FILE...]",
	"Keep the N records with the largest (or smallest) value of EXPR, per group.",
	opts,
	0,
	on_opt,
};

static struct span field_of(void *arg, size_t idx)
{
	const struct record *rec = arg;

	return rec->vals[idx];
}

int main(int argc, char **argv)
{
	struct expr_fields fields;
	struct expr_err err;
	struct expr *by;
	struct path *want;
	struct ndjson *nd;
	struct record rec;
	struct arena scratch = ARENA_INIT;
	struct expr_ctx ctx;
	struct hash_canon canon;
	struct hash_table index;
	struct group *single = NULL;
	uint64_t seq = 0;
	size_t nby;

	cli_start(&prog, argc, argv);
	if (!by_src)
		cli_usage_error("--by", "is required");
	expr_fields_init(&fields);
	by = expr_parse(by_src, &fields, &err);
	if (!by) {
		if (err.col)
			cli_usage_error("--by", "column %zu: %s", err.col, err.msg);
		cli_usage_error("--by", "%s", err.msg);
	}
	if (rank_name) {
		buf_addc(&rank_sep, ',');
		jw_string(&rank_sep, rank_name, strlen(rank_name));
		buf_addc(&rank_sep, ':');
	}
	expr_ctx_init(&ctx, field_of, &rec, &scratch);

	/* the record's wanted values: the expression's fields, then the group's */
	nby = fields.n;
	want = xcalloc(nby + ngpaths, sizeof(*want));
	if (nby)
		memcpy(want, fields.paths, nby * sizeof(*want));
	if (ngpaths)
		memcpy(want + nby, gpaths, ngpaths * sizeof(*want));
	hash_canon_init(&canon, 0);
	hash_table_init(&index, sizeof(uint64_t));
	if (!ngpaths)
		single = new_group();

	nd = nd_open(cli.files, cli.nfiles, want, nby + ngpaths);
	while (nd_next(nd, &rec)) {
		struct group *g = single;
		struct val v;

		arena_reset(&scratch);
		if (expr_eval(by, &ctx, &v, &err) != 0) {
			nd_reject(nd, &rec, 0, "--by: %s", err.msg);
			continue;
		}
		/* the group first, so that its place is that of its first record,
		 * even one whose value is null */
		if (!g) {
			uint64_t *slot;
			int added;

			hash_canon_reset(&canon);
			for (size_t i = 0; i < ngpaths; i++)
				hash_canon_add(&canon, rec.vals[nby + i]);
			slot = hash_table_put(&index, hash_canon_sum(&canon), &added);
			if (added) {
				*slot = ngroups;
				new_group();
			}
			g = &groups[*slot];
		}
		if (v.k == VAL_NULL || !offer(g, rec.line, &v, seq++))
			stats.dropped++;
	}
	nd_close(nd);
	if (expr_report_absent(by, "--by", strict) && strict) {
		expr_free(by);
		etl_exit(ETL_EXIT_CHECK);
	}

	write_all();
	hash_table_release(&index);
	hash_canon_release(&canon);
	arena_release(&scratch);
	buf_release(&rank_sep);
	free(want);
	expr_free(by);
	expr_fields_release(&fields);
	path_list_free(gpaths, ngpaths);
	cli_finish();
}
