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
 *
 * Partial states.  With --partial the heaps are written instead of the
 * records: a header naming the options,
 *   {"etl_top":"partial","version":1,"count":N,"by":"EXPR","asc":false,"group_by":"FIELDS"}
 * then one line per group in first-seen order, groups without an entry
 * included (their place in the order is part of the state),
 *   {"key":[VALUES],"top":["RECORD",...]}
 * with the kept records best first, each as a JSON string of its exact
 * bytes.  --merge reads such streams in order and offers each record to its
 * group again, its --by value computed anew from its bytes, in the order
 * read: since a part's records of equal value are listed in input order and
 * parts are read in input order, the tie rule (the earlier record ranks
 * higher) holds across parts, and merging the partial states of consecutive
 * parts gives exactly the output of one run over the whole input.  In a
 * merge each record carried counts as a record read; a line that carries
 * none (a header, an empty group) counts as read and dropped.
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
#include "die.h"
#include "out.h"
#include "path.h"
#include "shard.h"
#include "stats.h"
#include "utf8.h"
#include "banned.h"

enum { OPT_COUNT = 1, OPT_BY, OPT_ASC, OPT_GROUP, OPT_RANK, OPT_STRICT, OPT_PARTIAL, OPT_MERGE };

static const struct cli_opt opts[] = {
	{OPT_COUNT, "count", 'n', CLI_ARG, "N", "keep N records per group (default: 10)"},
	{OPT_BY, "by", 0, CLI_ARG, "EXPR", "rank by the value of EXPR (required)"},
	{OPT_ASC, "asc", 0, CLI_NOARG, NULL, "keep the smallest values instead of the largest"},
	{OPT_GROUP, "group-by", 'g', CLI_ARG, "FIELDS", "one top list per value of FIELDS"},
	{OPT_RANK, "rank-field", 0, CLI_ARG, "NAME", "add the rank (1 = best) as field NAME"},
	{OPT_STRICT, "strict", 0, CLI_NOARG, NULL,
	 "a field --by reads that no record had is an error (exit 1)"},
	{OPT_PARTIAL, "partial", 0, CLI_NOARG, NULL, "write mergeable partial states, not records"},
	{OPT_MERGE, "merge", 0, CLI_NOARG, NULL,
	 "read partial states (of the same -n, --by, --asc, -g) and merge them"},
	{0, NULL, 0, 0, NULL, NULL},
};

static size_t count = 10;
static const char *by_src;
static int asc;
static struct path *gpaths;
static size_t ngpaths;
static const char *rank_name;
static int strict;
static const char *group_src;
static int partial, merge;

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
	char *key;          /* with --partial: "[VALUES]" as first seen */
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

/* The --partial header of this run's options, into b. */
static void partial_header(struct buf *b)
{
	buf_printf(b, "{\"etl_top\":\"partial\",\"version\":1,\"count\":%zu,\"by\":", count);
	jw_string(b, by_src, strlen(by_src));
	buf_printf(b, ",\"asc\":%s,\"group_by\":", asc ? "true" : "false");
	if (group_src)
		jw_string(b, group_src, strlen(group_src));
	else
		buf_adds(b, "null");
	buf_addc(b, '}');
}

/* One group's partial state: its key and its records, best first. */
static void write_partial(const struct group *g, struct buf *b)
{
	buf_reset(b);
	buf_adds(b, "{\"key\":");
	buf_adds(b, g->key ? g->key : "[]");
	buf_adds(b, ",\"top\":[");
	for (size_t i = 0; i < g->n; i++) {
		if (i)
			buf_addc(b, ',');
		jw_string(b, g->heap[i].bytes.p, g->heap[i].linelen);
	}
	buf_adds(b, "]}");
	out_line(b->p, b->len);
}

/* Sort each heap best first and write the groups in first-seen order. */
static void write_all(void)
{
	struct buf line = BUF_INIT;

	if (partial) {
		partial_header(&line);
		out_line(line.p, line.len);
	}
	for (size_t gi = 0; gi < ngroups; gi++) {
		struct group *g = &groups[gi];

		for (size_t n = g->n; n > 1; n--) {
			swap(&g->heap[0], &g->heap[n - 1]);
			sift_down(g->heap, n - 1, 0);
		}
		if (partial)
			write_partial(g, &line);
		for (size_t i = 0; i < g->n; i++) {
			struct entry *e = &g->heap[i];

			if (partial)
				;
			else if (rank_name)
				write_ranked(e->bytes.p, e->linelen, i + 1);
			else
				out_line(e->bytes.p, e->linelen);
			stats.records_out++;
			buf_release(&e->bytes);
		}
		free(g->heap);
		free(g->key);
	}
	free(groups);
	buf_release(&line);
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
		group_src = arg;
		break;
	case OPT_PARTIAL:
		partial = 1;
		break;
	case OPT_MERGE:
		merge = 1;
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
	"[-n N] --by EXPR [--asc] [-g FIELDS] [--partial | --merge] [OPTIONS] [FILE...]",
	"Keep the N records with the largest (or smallest) value of EXPR, per group.",
	opts,
	CLI_SHARD,
	on_opt,
};

static struct span field_of(void *arg, size_t idx)
{
	const struct record *rec = arg;

	return rec->vals[idx];
}

static struct hash_canon canon;
static struct hash_table index_;

/* The group of the key values keys[0..ngpaths), made when new (with
 * --partial remembering its key as written, keytext when given, else
 * built from the values). */
static struct group *group_of(const struct span *keys, struct span keytext)
{
	uint64_t *slot;
	int added;

	hash_canon_reset(&canon);
	for (size_t i = 0; i < ngpaths; i++)
		hash_canon_add(&canon, keys[i]);
	slot = hash_table_put(&index_, hash_canon_sum(&canon), &added);
	if (added) {
		struct group *g;

		*slot = ngroups;
		g = new_group();
		if (partial) {
			struct buf b = BUF_INIT;

			if (keytext.p) {
				buf_add(&b, keytext.p, keytext.n);
			} else {
				buf_addc(&b, '[');
				for (size_t i = 0; i < ngpaths; i++) {
					struct span v = scan_trim(keys[i]);

					if (i)
						buf_addc(&b, ',');
					if (v.p)
						buf_add(&b, v.p, v.n);
					else
						buf_adds(&b, "null");
				}
				buf_addc(&b, ']');
			}
			g->key = buf_detach(&b, NULL);
		}
	}
	return &groups[*slot];
}

static struct path mpaths[3]; /* etl_top, key, top */

/* Read partial states and offer their records again, in the order read. */
static void merge_run(struct expr *by, struct expr_ctx *ctx, struct record *cur,
		      struct arena *scratch, size_t nby, const struct path *bypaths)
{
	static const char *const names[] = {"etl_top", "key", "top"};
	static struct ndjson *nd; /* static: reachable when a record dies */
	struct scan_want *want = nby ? scan_want_new(bypaths, nby) : NULL;
	struct span *ivals = xcalloc(nby ? nby : 1, sizeof(*ivals));
	struct span *keys = xcalloc(ngpaths ? ngpaths : 1, sizeof(*keys));
	struct buf own = BUF_INIT, inner = BUF_INIT;
	struct record rec;
	uint64_t seq = 0;
	int seen = 0;

	for (size_t i = 0; i < 3; i++) {
		const char *perr;
		size_t off;

		path_parse(&mpaths[i], names[i], 1, &perr, &off);
	}
	partial_header(&own);
	nd = nd_open(cli.files, cli.nfiles, mpaths, 3);
	while (nd_next(nd, &rec)) {
		struct span key = scan_trim(rec.vals[1]), top = rec.vals[2], k, v;
		struct scan_iter it;
		struct group *g;
		size_t nkeys = 0, n = 0;

		if (rec.vals[0].p) {
			if (rec.line.n != own.len || memcmp(rec.line.p, own.p, own.len) != 0)
				etl_die(ETL_EXIT_USAGE, etl_where(rec.file, rec.lineno, 0),
					"partial states of other options: this run's -n, --by, "
					"--asc and -g make %s",
					own.p);
			seen = 1;
			stats.dropped++;
			continue;
		}
		if (!seen)
			etl_die(ETL_EXIT_USAGE, etl_where(rec.file, rec.lineno, 0),
				"not a partial state of etl-top: no header before it");
		if (scan_kind(key) != SCAN_ARRAY || scan_kind(top) != SCAN_ARRAY ||
		    scan_count(key) != ngpaths) {
			nd_reject(nd, &rec, 0, "not a partial state of etl-top");
			continue;
		}
		scan_iter_init(&it, key);
		while (nkeys < ngpaths && scan_iter_next(&it, &k, &v))
			keys[nkeys++] = v;
		g = ngpaths ? group_of(keys, key) : &groups[0];
		scan_iter_init(&it, top);
		while (scan_iter_next(&it, &k, &v)) {
			struct scan_err serr;
			struct expr_err err;
			struct val val;

			n++;
			if (n > 1)
				stats.records_in++;
			buf_reset(&inner);
			if (scan_kind(v) != SCAN_STRING) {
				nd_reject(nd, &rec, 0,
					  "not a partial state of etl-top: a record "
					  "is not a string");
				continue;
			}
			scan_string(&inner, scan_trim(v));
			buf_addc(&inner, '\0');
			if (scan_record(inner.p, inner.len - 1, want, ivals, &serr) != 0) {
				nd_reject(nd, &rec, 0, "a record of the partial state: %s",
					  serr.msg);
				continue;
			}
			arena_reset(scratch);
			cur->vals = ivals;
			if (expr_eval(by, ctx, &val, &err) != 0) {
				nd_reject(nd, &rec, 0, "--by: %s", err.msg);
				continue;
			}
			if (val.k == VAL_NULL ||
			    !offer(g, (struct span){inner.p, inner.len - 1}, &val, seq++))
				stats.dropped++;
		}
		if (!n)
			stats.dropped++;
	}
	nd_close(nd);
	nd = NULL;
	for (size_t i = 0; i < 3; i++)
		path_release(&mpaths[i]);
	scan_want_free(want);
	free(ivals);
	free(keys);
	buf_release(&own);
	buf_release(&inner);
}

int main(int argc, char **argv)
{
	struct expr_fields fields;
	struct expr_err err;
	struct expr *by;
	struct path *want;
	struct ndjson *nd;
	struct record rec, cur;
	struct arena scratch = ARENA_INIT;
	struct expr_ctx ctx;
	struct group *single = NULL;
	uint64_t seq = 0;
	size_t nby;

	cli_start(&prog, argc, argv);
	if (!by_src)
		cli_usage_error("--by", "is required");
	if (partial && rank_name)
		cli_usage_error("--rank-field", "not with --partial: ranks are given at the merge");
	if (merge && shard_slice.n)
		cli_usage_error("--shard", "cannot be combined with --merge");
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
	expr_ctx_init(&ctx, field_of, &cur, &scratch);

	/* the record's wanted values: the expression's fields, then the group's */
	nby = fields.n;
	want = xcalloc(nby + ngpaths, sizeof(*want));
	if (nby)
		memcpy(want, fields.paths, nby * sizeof(*want));
	if (ngpaths)
		memcpy(want + nby, gpaths, ngpaths * sizeof(*want));
	hash_canon_init(&canon, 0);
	hash_table_init(&index_, sizeof(uint64_t));
	if (!ngpaths) {
		single = new_group();
		if (partial)
			single->key = xstrdup("[]");
	}

	if (merge) {
		merge_run(by, &ctx, &cur, &scratch, nby, fields.paths);
	} else {
		nd = nd_open(cli.files, cli.nfiles, want, nby + ngpaths);
		while (nd_next(nd, &rec)) {
			struct group *g = single;
			struct val v;

			cur = rec;
			arena_reset(&scratch);
			if (expr_eval(by, &ctx, &v, &err) != 0) {
				nd_reject(nd, &rec, 0, "--by: %s", err.msg);
				continue;
			}
			/* the group first, so that its place is that of its first
			 * record, even one whose value is null */
			if (!g)
				g = group_of(rec.vals + nby, (struct span){NULL, 0});
			if (v.k == VAL_NULL || !offer(g, rec.line, &v, seq++))
				stats.dropped++;
		}
		nd_close(nd);
		if (expr_report_absent(by, "--by", strict) && strict) {
			expr_free(by);
			etl_exit(ETL_EXIT_CHECK);
		}
	}

	write_all();
	hash_table_release(&index_);
	hash_canon_release(&canon);
	arena_release(&scratch);
	buf_release(&rank_sep);
	free(want);
	expr_free(by);
	expr_fields_release(&fields);
	path_list_free(gpaths, ngpaths);
	cli_finish();
}
