/*
 * spill.c - --memory: when the groups outgrow the limit, their partial
 * states go to a temporary file and memory starts afresh; at the end the
 * files are merged, so a run never fails for want of memory.
 *
 * A spill writes every group, sorted by the hash of its key, as one line
 *   HASH(32 hex) SEQ(16 hex) {"key":{...},"state":[...]}
 * to a run file.  Runs cover consecutive stretches of the input, oldest
 * first, and are always merged in that order, so folding a group's states
 * run after run is the same as one pass (first(), last() and the rest keep
 * input order); a group's first-seen number is the smallest of its runs'.
 * When FANIN runs have piled up they are merged into one, so no more than
 * FANIN + 1 files are ever open.
 *
 * The end: the groups still in memory become the last run; a k-way merge
 * by hash folds each group's states, holding one group at a time, and
 * writes its finished result (or partial state) as
 *   SEQ(16 hex) {...}
 * to a file that is then sorted, in memory-sized chunks merged the same
 * way, by first-seen number, or by the --sort keys and then first-seen
 * number, exactly the order of a run that never spilled.
 *
 * The files are spills (spill.h): unlinked as soon as they are made, so
 * whatever way the run ends, they leave nothing behind.
 */
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "die.h"
#include "hex.h"
#include "mem.h"
#include "out.h"
#include "spill.h"
#include "banned.h"

#define FANIN 16
#define HASH_HEX 32
#define SEQ_HEX 16

static struct spill **runs; /* state runs, oldest first */
static size_t nruns, capruns;
static int did_spill;

static struct spill *temp_file(void)
{
	return spill_open(opt.temp_dir);
}

static void hex(struct buf *b, uint64_t x)
{
	buf_grow(b, 16);
	hex_put64(b->p + b->len, x);
	b->len += 16;
	b->p[b->len] = '\0';
}

/* ---- readers of runs ---- */

struct reader {
	struct spill *f;
	const char *line; /* the current line, a view into f's buffer */
	ssize_t len;      /* of the current line, without its '\n'; -1 at the end */
	struct span *sv;  /* --sort values of the current line (final runs) */
};

static void rd_next(struct reader *r)
{
	size_t n;

	r->len = spill_line(r->f, &r->line, &n) ? (ssize_t)n : -1;
}

static void rd_close(struct reader *r)
{
	spill_close(r->f);
	free(r->sv);
}

/* ---- spilling ---- */

static int group_cmp(const void *pa, const void *pb)
{
	const struct group *a = *(struct group *const *)pa, *b = *(struct group *const *)pb;

	if (a->h.hi != b->h.hi)
		return a->h.hi < b->h.hi ? -1 : 1;
	if (a->h.lo != b->h.lo)
		return a->h.lo < b->h.lo ? -1 : 1;
	return 0;
}

static void merge_state_runs(void);

void spill_groups(void)
{
	struct buf b = BUF_INIT;
	struct spill *f;

	if (!batch.n)
		return;
	f = temp_file();
	qsort(batch.list, batch.n, sizeof(*batch.list), group_cmp);
	for (size_t i = 0; i < batch.n; i++) {
		struct group *g = batch.list[i];

		buf_reset(&b);
		hex(&b, g->h.hi);
		hex(&b, g->h.lo);
		buf_addc(&b, ' ');
		hex(&b, g->seq);
		buf_addc(&b, ' ');
		partial_group(&b, g->key, g->keylen, g->st);
		buf_addc(&b, '\n');
		spill_write(f, b.p, b.len);
	}
	buf_release(&b);
	spill_rewind(f);
	groups_clear();
	xgrow(&runs, &capruns, nruns + 1, sizeof(*runs));
	runs[nruns++] = f;
	did_spill = 1;
	if (nruns > FANIN)
		merge_state_runs();
}

/* ---- merging state runs ---- */

/* The merged stream's output: a state run (out != NULL) or finished lines
 * for the final sort (fin). */
static struct path kpaths[2];
static struct scan_want *kwant;

static void parse_line(struct reader *r, struct span *key, struct span *state)
{
	struct span v[2];
	struct scan_err err;
	const char *json = r->line + HASH_HEX + 1 + SEQ_HEX + 1;

	if (!kpaths[0].nseg) {
		const char *e;
		size_t off;

		path_parse(&kpaths[0], "key", 1, &e, &off);
		path_parse(&kpaths[1], "state", 1, &e, &off);
	}
	if (!kwant)
		kwant = scan_want_new(kpaths, 2);
	if (r->len < HASH_HEX + SEQ_HEX + 4 ||
	    scan_record(json, (size_t)(r->len - (json - r->line)), kwant, v, &err) != 0 ||
	    scan_kind(v[0]) != SCAN_OBJECT || !v[1].p)
		etl_die(ETL_EXIT_SOFTWARE, NULL, "a spilled state is damaged");
	*key = v[0];
	*state = v[1];
}

/* Merge runs[0..n) by hash.  With fin, write each group's finished line to
 * fin; else write a state run and return it. */
static struct spill *merge(struct spill **in, size_t n, struct spill *fin)
{
	struct reader *rd = xcalloc(n, sizeof(*rd));
	void *st = states_new();
	struct buf b = BUF_INIT, key = BUF_INIT;
	struct spill *out = fin ? NULL : temp_file();
	char err[256];

	for (size_t i = 0; i < n; i++) {
		rd[i].f = in[i];
		rd_next(&rd[i]);
	}
	for (;;) {
		const char *min = NULL;
		uint64_t seq = UINT64_MAX;
		int first = 1;

		/* n is at most FANIN + 1: a scan beats a heap */
		for (size_t i = 0; i < n; i++)
			if (rd[i].len >= 0 && (!min || memcmp(rd[i].line, min, HASH_HEX) < 0))
				min = rd[i].line;
		if (!min)
			break;
		min = xstrndup(min, HASH_HEX);
		for (size_t i = 0; i < n; i++) {
			struct span k, s;

			if (rd[i].len < 0 || memcmp(rd[i].line, min, HASH_HEX) != 0)
				continue;
			parse_line(&rd[i], &k, &s);
			arena_reset(&scratch);
			if (states_load(st, s, err, sizeof(err)) != 0)
				etl_die(ETL_EXIT_SOFTWARE, NULL, "a spilled state: %s", err);
			if (first) {
				/* the earliest run saw the group first */
				if (hex_read64(rd[i].line + HASH_HEX + 1, &seq) != 0)
					etl_die(ETL_EXIT_SOFTWARE, NULL,
						"a spilled state is damaged");
				buf_reset(&key);
				buf_add(&key, k.p + 1, k.n - 2);
				first = 0;
			}
			rd_next(&rd[i]);
		}
		buf_reset(&b);
		if (!fin) {
			buf_add(&b, min, HASH_HEX);
			buf_addc(&b, ' ');
		}
		hex(&b, seq);
		buf_addc(&b, ' ');
		if (!fin || opt.partial) {
			partial_group(&b, key.p, key.len, st);
		} else {
			result_write(&b, key.p, key.len, NULL, 0, st);
		}
		buf_addc(&b, '\n');
		spill_write(fin ? fin : out, b.p, b.len);
		states_release(st);
		memset(st, 0, plan.stsize);
		free((char *)min);
	}
	for (size_t i = 0; i < n; i++)
		rd_close(&rd[i]);
	free(rd);
	free(st);
	buf_release(&b);
	buf_release(&key);
	if (out)
		spill_rewind(out);
	return out;
}

/* Too many runs: fold the oldest FANIN into one, which keeps its place. */
static void merge_state_runs(void)
{
	struct spill *m = merge(runs, FANIN, NULL);

	runs[0] = m;
	memmove(runs + 1, runs + FANIN, (nruns - FANIN) * sizeof(*runs));
	nruns -= FANIN - 1;
}

/* ---- the final sort ---- */

/* A finished line: "SEQ {json}". */
static int line_cmp(const char *a, const struct span *sa, const char *b, const struct span *sb)
{
	if (sort_nkeys()) {
		int c = sort_cmp(sa, sb);

		if (c)
			return c;
	}
	return memcmp(a, b, SEQ_HEX);
}

struct chunk_line {
	char *p;
	size_t n;
	struct span *sv;
};

static int chunk_cmp(const void *pa, const void *pb)
{
	const struct chunk_line *a = pa, *b = pb;

	return line_cmp(a->p, a->sv, b->p, b->sv);
}

static void sort_values_of(const char *line, size_t n, struct span *sv)
{
	if (sort_nkeys())
		sort_values(line + SEQ_HEX + 1, n - SEQ_HEX - 1, sv);
}

/* Merge sorted runs in[0..n) into out (a file, or the output when NULL). */
static void merge_sorted(struct spill **in, size_t n, struct spill *out)
{
	struct reader *rd = xcalloc(n, sizeof(*rd));
	size_t nk = sort_nkeys();

	for (size_t i = 0; i < n; i++) {
		rd[i].f = in[i];
		rd[i].sv = xcalloc(nk + 1, sizeof(*rd[i].sv));
		rd_next(&rd[i]);
		if (rd[i].len >= 0)
			sort_values_of(rd[i].line, (size_t)rd[i].len, rd[i].sv);
	}
	for (;;) {
		struct reader *m = NULL;

		for (size_t i = 0; i < n; i++)
			if (rd[i].len >= 0 &&
			    (!m || line_cmp(rd[i].line, rd[i].sv, m->line, m->sv) < 0))
				m = &rd[i];
		if (!m)
			break;
		if (out) {
			spill_write(out, m->line, (size_t)m->len);
			spill_write(out, "\n", 1);
		} else {
			out_line(m->line + SEQ_HEX + 1, (size_t)m->len - SEQ_HEX - 1);
		}
		rd_next(m);
		if (m->len >= 0)
			sort_values_of(m->line, (size_t)m->len, m->sv);
	}
	for (size_t i = 0; i < n; i++)
		rd_close(&rd[i]);
	free(rd);
	if (out)
		spill_rewind(out);
}

/* Sort the finished lines of fin to the output, in chunks of about the
 * memory limit. */
static void sort_out(struct spill *fin)
{
	struct reader r = {fin, NULL, 0, NULL};
	struct chunk_line *lines = NULL;
	size_t nlines = 0, caplines = 0, bytes = 0, nk = sort_nkeys();
	struct spill **sruns = NULL;
	size_t nsruns = 0, capsruns = 0;
	int done = 0;

	while (!done) {
		rd_next(&r);
		done = r.len < 0;
		if (!done) {
			xgrow(&lines, &caplines, nlines + 1, sizeof(*lines));
			lines[nlines].p = xstrndup(r.line, (size_t)r.len);
			lines[nlines].n = (size_t)r.len;
			lines[nlines].sv = xcalloc(nk + 1, sizeof(*lines[nlines].sv));
			sort_values_of(lines[nlines].p, lines[nlines].n, lines[nlines].sv);
			bytes += (size_t)r.len + 64 + nk * sizeof(struct span);
			nlines++;
		}
		if ((done && (nsruns || nlines)) || bytes > opt.memory) {
			struct spill *f = done && !nsruns ? NULL : temp_file();

			qsort(lines, nlines, sizeof(*lines), chunk_cmp);
			for (size_t i = 0; i < nlines; i++) {
				if (f) {
					spill_write(f, lines[i].p, lines[i].n);
					spill_write(f, "\n", 1);
				} else {
					out_line(lines[i].p + SEQ_HEX + 1,
						 lines[i].n - SEQ_HEX - 1);
				}
				free(lines[i].p);
				free(lines[i].sv);
			}
			nlines = 0;
			bytes = 0;
			if (f) {
				spill_rewind(f);
				xgrow(&sruns, &capsruns, nsruns + 1, sizeof(*sruns));
				sruns[nsruns++] = f;
				if (nsruns > FANIN) {
					struct spill *m = temp_file();

					merge_sorted(sruns, FANIN, m);
					sruns[0] = m;
					memmove(sruns + 1, sruns + FANIN,
						(nsruns - FANIN) * sizeof(*sruns));
					nsruns -= FANIN - 1;
				}
			}
		}
	}
	if (nsruns)
		merge_sorted(sruns, nsruns, NULL);
	spill_close(fin);
	free(lines);
	free(sruns);
}

/* Merge the runs and the groups still in memory; write the results. */
static void spill_finish(void)
{
	struct spill *fin = temp_file();

	spill_groups(); /* what is left in memory is the last run */
	merge(runs, nruns, fin);
	nruns = 0;
	spill_rewind(fin);
	if (opt.partial) {
		struct buf h = BUF_INIT;

		partial_header(&h);
		out_line(h.p, h.len);
		buf_release(&h);
	}
	sort_out(fin);
	free(runs);
	runs = NULL;
	for (size_t i = 0; i < 2; i++)
		path_release(&kpaths[i]);
	scan_want_free(kwant);
	kwant = NULL;
}

/* The end of a batch run (or of --merge): with nothing spilled, the groups
 * in memory are all there is. */
void groups_write(void)
{
	if (did_spill)
		spill_finish();
	else
		results_write();
}
