/*
 * etl-sort - records in the order of typed key fields, stable, byte-exact,
 * in memory or by an external merge sort.
 *
 * Each record's key is encoded once, as it is read, into a byte string
 * whose memcmp() order is the order asked for (sortkey.h: numbers by exact
 * value, strings bytewise, null first or last, each field ascending or
 * descending); from then on the sort and the merge compare bytes only.
 * Records and their keys are copied into large blocks until --memory is
 * reached; the entries are then merge-sorted (stable) and written as a run
 * to a spill file, and memory starts afresh.  At the end the runs and what
 * is still in memory are merged (kmerge.h), ties going to the earlier run,
 * so the output is the stable order of the whole input.  Past MAX_RUNS runs
 * the runs so far are merged into one, which keeps the open files few
 * whatever the input's size.
 *
 * Invariants:
 *  - Records are written as the bytes they were read as; equal keys keep
 *    their input order (the first file's records before the second's).
 *  - With -u only the first record of each key is written; the others are
 *    counted as dropped.  records_in = records_out + bad + dropped.
 *  - --check writes nothing: a record is dropped once checked.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "die.h"
#include "kmerge.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "sortkey.h"
#include "spill.h"
#include "stats.h"
#include "banned.h"

enum { OPT_KEY = 1, OPT_UNIQUE, OPT_CHECK, OPT_MERGE, OPT_MEMORY, OPT_TEMP };

static const struct cli_opt opts[] = {
	{OPT_KEY, "key", 'k', CLI_ARG, "FIELDS",
	 "sort on FIELD[:desc][:nulls-first|:nulls-last],... (required)"},
	{OPT_UNIQUE, "unique", 'u', CLI_NOARG, NULL, "only the first record of each key"},
	{OPT_CHECK, "check", 'c', CLI_NOARG, NULL,
	 "write nothing; exit 1 at the first record out of order"},
	{OPT_MERGE, "merge", 'm', CLI_NOARG, NULL, "merge inputs that are each sorted already"},
	{OPT_MEMORY, "memory", 0, CLI_ARG, "SIZE",
	 "records held in memory before a run is sorted to a temporary file (default: 1G)"},
	{OPT_TEMP, "temp-dir", 0, CLI_ARG, "DIR", "where the temporary files go"},
	{0, NULL, 0, 0, NULL, NULL},
};

static struct path *keys;
static unsigned *kflags;
static size_t nkeys;
static int unique, check, merge;
static uint64_t budget = (uint64_t)1 << 30;
static const char *memory_arg, *temp_dir;

/* ---- -k ---- */

static const struct {
	const char *word;
	unsigned set, clear;
} mods[] = {
	{"asc", 0, SORTKEY_DESC},
	{"desc", SORTKEY_DESC, 0},
	{"nulls-first", SORTKEY_NULLS_FIRST, 0},
	{"nulls-last", 0, SORTKEY_NULLS_FIRST},
};

/* One FIELD[:MOD...] of arg[at, end): the modifiers are the trailing
 * ":word" parts that name one, so a field may itself hold a colon. */
static void add_key(const char *opt, const char *arg, size_t at, size_t end)
{
	unsigned flags = 0, seen = 0;
	size_t pend = end, where[8], which[8], nmod = 0;
	char *text;
	const char *err;
	size_t erroff;
	struct path p;

	/* the modifiers, found from the end, then applied from the start */
	while (nmod < 8) {
		size_t c = pend, m;

		while (c > at && arg[c - 1] != ':' && arg[c - 1] != '"')
			c--;
		if (c == at || arg[c - 1] != ':')
			break;
		for (m = 0; m < sizeof(mods) / sizeof(mods[0]); m++)
			if (strlen(mods[m].word) == pend - c &&
			    !memcmp(arg + c, mods[m].word, pend - c))
				break;
		if (m == sizeof(mods) / sizeof(mods[0]))
			break;
		where[nmod] = c;
		which[nmod++] = m;
		pend = c - 1;
	}
	while (nmod--) {
		size_t m = which[nmod], i = m < 2 ? 1 : 2; /* the direction, or where null goes */

		if (seen & i)
			cli_usage_error(opt, "column %zu: '%s' after another %s", where[nmod] + 1,
					mods[m].word, i == 1 ? "direction" : "place of null");
		seen |= i;
		flags = (flags | mods[m].set) & ~mods[m].clear;
	}
	text = xmalloc(pend - at + 1);
	memcpy(text, arg + at, pend - at);
	text[pend - at] = '\0';
	if (path_parse(&p, text, 1, &err, &erroff) < 0)
		cli_usage_error(opt, "column %zu: %s", at + erroff + 1, err);
	free(text);
	/* null sorts as the largest value, as in PostgreSQL: last ascending,
	 * first descending, unless placed */
	if (!(seen & 2) && (flags & SORTKEY_DESC))
		flags |= SORTKEY_NULLS_FIRST;
	keys = xrealloc(keys, (nkeys + 1) * sizeof(*keys));
	kflags = xrealloc(kflags, (nkeys + 1) * sizeof(*kflags));
	keys[nkeys] = p;
	kflags[nkeys++] = flags;
}

static void parse_keys(const char *opt, const char *arg)
{
	size_t at = 0, i = 0;
	int quoted = 0;

	for (;; i++) {
		if (quoted && arg[i] == '\\' && arg[i + 1]) {
			i++;
			continue;
		}
		if (arg[i] == '"')
			quoted = !quoted;
		if (arg[i] == '\0' || (arg[i] == ',' && !quoted)) {
			if (i == at)
				cli_usage_error(opt, "column %zu: expected a field", i + 1);
			add_key(opt, arg, at, i);
			if (!arg[i])
				break;
			at = i + 1;
		}
	}
}

static void encode(struct buf *b, const struct record *rec)
{
	buf_reset(b);
	for (size_t i = 0; i < nkeys; i++)
		sortkey_add(b, rec->vals[i], kflags[i]);
}

/* ---- output ---- */

static struct buf last_key;
static int have_last;

static void emit(const char *key, size_t klen, const char *line, size_t llen)
{
	if (unique) {
		if (have_last && !sortkey_cmp(last_key.p, last_key.len, key, klen)) {
			stats.dropped++;
			return;
		}
		buf_reset(&last_key);
		buf_add(&last_key, key, klen);
		have_last = 1;
	}
	out_line(line, llen);
	stats.records_out++;
}

/* ---- in memory ---- */

/* A record held in memory: its key, then its line, in a block. */
struct ent {
	uint64_t pre; /* the key's first 8 bytes, big-endian, 0-padded */
	const char *key;
	size_t klen, llen;
};

#define BLOCK (1 << 20)

static struct ent *ents;
static size_t nents, capents;
static char **blocks;
static size_t nblocks, capblocks, block_used, block_size;
static uint64_t held; /* bytes of records, keys and entries in memory */

static char *hold(size_t n)
{
	if (!nblocks || block_size - block_used < n) {
		block_size = n > BLOCK ? n : BLOCK;
		xgrow(&blocks, &capblocks, nblocks + 1, sizeof(*blocks));
		blocks[nblocks++] = xmalloc(block_size);
		block_used = 0;
		held += block_size;
	}
	block_used += n;
	return blocks[nblocks - 1] + block_used - n;
}

static void release_held(void)
{
	for (size_t i = 0; i < nblocks; i++)
		free(blocks[i]);
	nblocks = 0;
	nents = 0;
	held = (uint64_t)capents * sizeof(*ents);
}

static void add_ent(const struct buf *key, const struct record *rec)
{
	char *p = hold(key->len + rec->line.n);
	struct ent *e;
	unsigned char pre[8] = {0};

	memcpy(p, key->p, key->len);
	memcpy(p + key->len, rec->line.p, rec->line.n);
	if (nents == capents) {
		held -= (uint64_t)capents * sizeof(*ents);
		xgrow(&ents, &capents, nents + 1, sizeof(*ents));
		held += (uint64_t)capents * sizeof(*ents);
	}
	e = &ents[nents++];
	memcpy(pre, key->p, key->len < 8 ? key->len : 8);
	e->pre = (uint64_t)pre[0] << 56 | (uint64_t)pre[1] << 48 | (uint64_t)pre[2] << 40 |
		 (uint64_t)pre[3] << 32 | (uint64_t)pre[4] << 24 | (uint64_t)pre[5] << 16 |
		 (uint64_t)pre[6] << 8 | pre[7];
	e->key = p;
	e->klen = key->len;
	e->llen = rec->line.n;
}

static inline int ent_cmp(const struct ent *a, const struct ent *b)
{
	if (a->pre != b->pre)
		return a->pre < b->pre ? -1 : 1;
	/* keys are prefix-free: two of at most 8 bytes with the same prefix
	 * are the same key */
	if (a->klen <= 8 && b->klen <= 8)
		return 0;
	return sortkey_cmp(a->key, a->klen, b->key, b->klen);
}

/* Stable merge sort of e[0, n), tmp as large; the result in e. */
static void sort_ents(struct ent *e, struct ent *tmp, size_t n)
{
	size_t h = n / 2, i = 0, j = h, k = 0;

	if (n <= 12) {
		for (size_t a = 1; a < n; a++) {
			struct ent x = e[a];
			size_t b = a;

			for (; b > 0 && ent_cmp(&e[b - 1], &x) > 0; b--)
				e[b] = e[b - 1];
			e[b] = x;
		}
		return;
	}
	sort_ents(e, tmp, h);
	sort_ents(e + h, tmp, n - h);
	if (ent_cmp(&e[h - 1], &e[h]) <= 0)
		return;
	memcpy(tmp, e, h * sizeof(*e));
	/* the left half from tmp, the right one in place: ties to the left */
	while (i < h && j < n)
		e[k++] = ent_cmp(&e[j], &tmp[i]) < 0 ? e[j++] : tmp[i++];
	while (i < h)
		e[k++] = tmp[i++];
}

static void sort_held(void)
{
	struct ent *tmp = xmalloc((nents / 2 + 1) * sizeof(*tmp));

	sort_ents(ents, tmp, nents);
	free(tmp);
}

/* ---- runs and the merge ---- */

/* A run on disk: records as a header (key and line lengths), the key, the
 * line. */
struct run_hdr {
	uint64_t klen, llen;
};

#define MAX_RUNS 64

static struct spill **runs;
static size_t nruns, capruns;

/* A source of the merge: a run, the entries in memory, or (--merge) an
 * input; its current record is key[0, klen) and line[0, llen). */
struct src {
	struct spill *run;
	uint64_t off;
	struct buf cur;
	size_t at; /* the entries in memory: the next one */
	struct ndjson *nd;
	struct buf kbuf[2]; /* --merge: this key and the one before */
	int kb;
	const char *key, *line;
	size_t klen, llen;
};

static int src_cmp(void *arg, size_t a, size_t b)
{
	struct src *s = arg;

	return sortkey_cmp(s[a].key, s[a].klen, s[b].key, s[b].klen);
}

/* Move s to its next record; 0 at its end. */
static int src_next(struct src *s)
{
	if (s->run) {
		struct run_hdr h;

		if (s->off == spill_size(s->run))
			return 0;
		spill_read(s->run, s->off, &h, sizeof(h));
		buf_reset(&s->cur);
		buf_grow(&s->cur, h.klen + h.llen);
		spill_read(s->run, s->off + sizeof(h), s->cur.p, h.klen + h.llen);
		s->off += sizeof(h) + h.klen + h.llen;
		s->key = s->cur.p;
		s->klen = h.klen;
		s->line = s->cur.p + h.klen;
		s->llen = h.llen;
		return 1;
	}
	if (s->nd) {
		struct record rec;
		struct buf *k = &s->kbuf[s->kb ^= 1];

		if (!nd_next(s->nd, &rec))
			return 0;
		encode(k, &rec);
		if (s->key && sortkey_cmp(s->key, s->klen, k->p, k->len) > 0)
			etl_die(ETL_EXIT_DATA, etl_where(rec.file, rec.lineno, 0),
				"out of order: --merge needs inputs sorted on the key");
		s->key = k->p;
		s->klen = k->len;
		s->line = rec.line.p;
		s->llen = rec.line.n;
		return 1;
	}
	if (s->at == nents)
		return 0;
	s->key = ents[s->at].key;
	s->klen = ents[s->at].klen;
	s->line = ents[s->at].key + ents[s->at].klen;
	s->llen = ents[s->at].llen;
	s->at++;
	return 1;
}

static void write_rec(struct spill *sp, const char *key, size_t klen, const char *line, size_t llen)
{
	struct run_hdr h = {klen, llen};

	spill_write(sp, &h, sizeof(h));
	spill_write(sp, key, klen);
	spill_write(sp, line, llen);
}

/* Merge the sources into a new run (to) or to the output. */
static void merge_srcs(struct src *s, size_t n, struct spill *to)
{
	struct kmerge m;

	kmerge_init(&m, src_cmp, s);
	for (size_t i = 0; i < n; i++)
		if (src_next(&s[i]))
			kmerge_add(&m, i);
	while (kmerge_count(&m)) {
		struct src *t = &s[kmerge_top(&m)];

		if (to)
			write_rec(to, t->key, t->klen, t->line, t->llen);
		else
			emit(t->key, t->klen, t->line, t->llen);
		kmerge_next(&m, src_next(t));
	}
	kmerge_release(&m);
}

/* Merge the runs so far, and the entries in memory when mem, into one run
 * or the output. */
static void merge_runs(int mem, struct spill *to)
{
	size_t n = nruns + (mem != 0);
	struct src *s = xcalloc(n ? n : 1, sizeof(*s));

	for (size_t i = 0; i < nruns; i++)
		s[i].run = runs[i];
	merge_srcs(s, n, to);
	for (size_t i = 0; i < n; i++) {
		spill_close(s[i].run);
		buf_release(&s[i].cur);
	}
	free(s);
	nruns = 0;
}

static void add_run(struct spill *sp)
{
	spill_rewind(sp);
	xgrow(&runs, &capruns, nruns + 1, sizeof(*runs));
	runs[nruns++] = sp;
}

/* Memory is full: the entries, sorted, become a run. */
static void write_run(void)
{
	struct spill *sp;

	if (nruns == MAX_RUNS) {
		sp = spill_open(temp_dir);
		merge_runs(0, sp);
		add_run(sp);
	}
	sort_held();
	sp = spill_open(temp_dir);
	for (size_t i = 0; i < nents; i++)
		write_rec(sp, ents[i].key, ents[i].klen, ents[i].key + ents[i].klen, ents[i].llen);
	add_run(sp);
	release_held();
}

/* ---- the three ways to run ---- */

static void do_sort(void)
{
	struct ndjson *nd = nd_open(cli.files, cli.nfiles, keys, nkeys);
	struct record rec;
	struct buf key = BUF_INIT;

	while (nd_next(nd, &rec)) {
		encode(&key, &rec);
		add_ent(&key, &rec);
		if (held + sizeof(struct ent) > budget)
			write_run();
	}
	nd_close(nd);
	buf_release(&key);
	if (nruns) {
		if (nruns == MAX_RUNS) {
			struct spill *sp = spill_open(temp_dir);

			merge_runs(0, sp);
			add_run(sp);
		}
		sort_held();
		merge_runs(1, NULL);
	} else {
		sort_held();
		for (size_t i = 0; i < nents; i++)
			emit(ents[i].key, ents[i].klen, ents[i].key + ents[i].klen, ents[i].llen);
	}
	release_held();
	free(ents);
	free(blocks);
	free(runs);
}

static void do_merge(void)
{
	char *stdin_name = "-";
	size_t n = cli.nfiles ? cli.nfiles : 1;
	struct src *s = xcalloc(n, sizeof(*s));

	for (size_t i = 0; i < n; i++)
		s[i].nd = nd_open(cli.nfiles ? &cli.files[i] : &stdin_name, 1, keys, nkeys);
	merge_srcs(s, n, NULL);
	for (size_t i = 0; i < n; i++) {
		nd_close(s[i].nd);
		buf_release(&s[i].kbuf[0]);
		buf_release(&s[i].kbuf[1]);
	}
	free(s);
}

static void do_check(void)
{
	struct ndjson *nd = nd_open(cli.files, cli.nfiles, keys, nkeys);
	struct record rec;
	struct buf k[2] = {BUF_INIT, BUF_INIT};
	char *prev_file = NULL;
	uint64_t prev_line = 0;
	int cur = 0;

	while (nd_next(nd, &rec)) {
		encode(&k[cur], &rec);
		if (prev_file) {
			int c = sortkey_cmp(k[!cur].p, k[!cur].len, k[cur].p, k[cur].len);

			if (c > 0 || (unique && c == 0)) {
				char where[64];

				if (!strcmp(prev_file, rec.file))
					snprintf(where, sizeof(where), "line %llu",
						 (unsigned long long)prev_line);
				else
					snprintf(where, sizeof(where), "the last record of %s",
						 prev_file);
				etl_die(ETL_EXIT_CHECK, etl_where(rec.file, rec.lineno, 0),
					c > 0 ? "out of order: sorts before %s"
					      : "not unique: the same key as %s",
					where);
			}
		}
		if (!prev_file || strcmp(prev_file, rec.file)) {
			free(prev_file);
			prev_file = xstrdup(rec.file);
		}
		prev_line = rec.lineno;
		stats.dropped++;
		cur ^= 1;
	}
	nd_close(nd);
	free(prev_file);
	buf_release(&k[0]);
	buf_release(&k[1]);
}

static void on_opt(int id, const char *arg)
{
	switch (id) {
	case OPT_KEY:
		parse_keys(cli_optname, arg);
		break;
	case OPT_UNIQUE:
		unique = 1;
		break;
	case OPT_CHECK:
		check = 1;
		break;
	case OPT_MERGE:
		merge = 1;
		break;
	case OPT_MEMORY:
		budget = cli_size(cli_optname, arg, 1);
		memory_arg = arg;
		break;
	case OPT_TEMP:
		temp_dir = arg;
		break;
	}
}

static const struct cli_prog prog = {
	"etl-sort",
	"-k FIELD[:desc][:nulls-first|:nulls-last],... [-u] [--check | --merge] [OPTIONS] "
	"[FILE...]",
	"Sort records on typed key fields, stable and byte-exact, beyond memory if need be.",
	opts,
	0,
	on_opt,
};

int main(int argc, char **argv)
{
	cli_start(&prog, argc, argv);
	if (!nkeys)
		cli_usage_error("--key", "required: the fields to sort on");
	if (check && merge)
		cli_usage_error("--check", "cannot be used with --merge");
	if ((check || merge) && memory_arg)
		cli_usage_error("--memory", "cannot be used with %s (it holds no records)",
				check ? "--check" : "--merge");
	if ((check || merge) && temp_dir)
		cli_usage_error("--temp-dir",
				"cannot be used with %s (it writes no temporary file)",
				check ? "--check" : "--merge");
	if (check)
		do_check();
	else if (merge)
		do_merge();
	else
		do_sort();
	buf_release(&last_key);
	path_list_free(keys, nkeys);
	free(kflags);
	cli_finish();
}
