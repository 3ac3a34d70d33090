/*
 * etl-head - the first or last N records, per group, or a random sample,
 * written byte-exact.
 *
 * One mode per run:
 *  - first N (-n, the default, 10): written as they are read; without -g
 *    the input is not read past the N-th record, so an upstream program
 *    ends at its next write (a closed pipe ends it quietly) and a file is
 *    not read to its end;
 *  - last N (--tail): a ring of N copies per group;
 *  - a sample of N (--sample): a reservoir of N copies per group, one pass,
 *    every record of a group equally likely to be kept (Algorithm R);
 *  - a fraction (--fraction P): each record kept with probability P, as it
 *    is read (Bernoulli sampling), so memory is one record.
 *
 * Invariants:
 *  - Records kept are written in input order, whatever the mode, and as the
 *    bytes they were read as.
 *  - The random choices depend only on --seed and the input: the same seed
 *    and input give the same output on every machine (the generator is
 *    xoshiro256**, seeded through splitmix64, and bounded draws are exact:
 *    no modulo bias).  Without --seed the seed comes from the system.
 *  - Every record read is written (records_out) or dropped (not chosen);
 *    records_in = records_out + bad + dropped.  Records never read (after
 *    the first N) are in no count.
 *  - Group keys are the canonical texts of the -g fields (hash.h), as in
 *    etl-top and etl-dedupe: 1.0 and 1 are one group, missing and null are
 *    one group.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "hash.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "stats.h"
#include "banned.h"

enum { OPT_COUNT = 1, OPT_TAIL, OPT_SAMPLE, OPT_FRACTION, OPT_SEED, OPT_GROUP };

static const struct cli_opt opts[] = {
	{OPT_COUNT, "count", 'n', CLI_ARG, "N",
	 "the first N records (per group with -g; default: 10)"},
	{OPT_TAIL, "tail", 0, CLI_ARG, "N", "the last N records (per group with -g)"},
	{OPT_SAMPLE, "sample", 0, CLI_ARG, "N",
	 "a uniform random sample of N records (per group with -g)"},
	{OPT_FRACTION, "fraction", 0, CLI_ARG, "P", "keep each record with probability P (0 to 1)"},
	{OPT_SEED, "seed", 0, CLI_ARG, "S", "seed of --sample and --fraction (default: random)"},
	{OPT_GROUP, "group-by", 'g', CLI_ARG, "FIELDS",
	 "apply -n, --tail or --sample per value of FIELDS"},
	{0, NULL, 0, 0, NULL, NULL},
};

enum mode { HEAD, TAIL, SAMPLE, FRACTION };

static enum mode mode = HEAD;
static char *mode_opt; /* the option that chose the mode, as written */
static uint64_t count = 10;
static double fraction;
static int seeded;
static uint64_t seed;
static struct path *gpaths;
static size_t ngpaths;

/* ---- random numbers: xoshiro256**, seeded by splitmix64 ---- */

static uint64_t rng[4];

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void rng_seed(uint64_t s)
{
	for (int i = 0; i < 4; i++)
		rng[i] = splitmix64(&s);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
	uint64_t r = rotl(rng[1] * 5, 7) * 9, t = rng[1] << 17;

	rng[2] ^= rng[0];
	rng[3] ^= rng[1];
	rng[1] ^= rng[2];
	rng[0] ^= rng[3];
	rng[2] ^= t;
	rng[3] = rotl(rng[3], 45);
	return r;
}

/* Uniform in [0, n), n > 0: the high half of a 128-bit product, redrawn in
 * the few cases that would favour some values. */
static uint64_t rng_below(uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)rng_next() * n;
	uint64_t low = (uint64_t)m;

	if (low < n) {
		uint64_t floor = -n % n;

		while (low < floor) {
			m = (unsigned __int128)rng_next() * n;
			low = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* Uniform in [0, 1) with 53 random bits. */
static double rng_unit(void)
{
	return (double)(rng_next() >> 11) * 0x1.0p-53;
}

/* ---- kept records ---- */

/* A copy of a record's line and its place in the input. */
struct kept {
	uint64_t seq;
	struct buf line;
};

/* A group: how many of its records were read, and (for --tail and
 * --sample) the copies kept, at most count of them. */
struct group {
	uint64_t seen;
	struct kept *slots;
	size_t n, cap;
};

static struct group *groups;
static size_t ngroups, capgroups;

static void keep(struct kept *k, const struct record *rec, uint64_t seq)
{
	buf_reset(&k->line);
	buf_add(&k->line, rec->line.p, rec->line.n);
	k->seq = seq;
}

/* Offer a record to its group; 1 if kept, 0 if dropped (for --tail and
 * --sample, a record pushed out is counted as dropped here). */
static int offer(struct group *g, const struct record *rec, uint64_t seq)
{
	uint64_t i = g->seen++;

	if (count == 0)
		return 0;
	if (g->n < count) {
		/* the first count records of a group are all kept for now */
		if (g->n == g->cap) {
			size_t old = g->cap;

			xgrow(&g->slots, &g->cap, g->n + 1, sizeof(*g->slots));
			memset(g->slots + old, 0, (g->cap - old) * sizeof(*g->slots));
		}
		keep(&g->slots[g->n++], rec, seq);
		return 1;
	}
	if (mode == TAIL) {
		keep(&g->slots[i % count], rec, seq);
		stats.dropped++; /* the oldest one, pushed out */
		return 1;
	}
	/* sample: the i-th record (from 0) replaces a kept one with
	 * probability count / (i + 1) */
	{
		uint64_t j = rng_below(i + 1);

		if (j >= count)
			return 0;
		keep(&g->slots[j], rec, seq);
		stats.dropped++;
		return 1;
	}
}

static int by_seq(const void *a, const void *b)
{
	const struct kept *x = *(struct kept *const *)a, *y = *(struct kept *const *)b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Write every kept record of every group in input order. */
static void write_kept(void)
{
	struct kept **all;
	size_t n = 0;

	for (size_t g = 0; g < ngroups; g++)
		n += groups[g].n;
	all = xcalloc(n ? n : 1, sizeof(*all));
	n = 0;
	for (size_t g = 0; g < ngroups; g++)
		for (size_t i = 0; i < groups[g].n; i++)
			all[n++] = &groups[g].slots[i];
	qsort(all, n, sizeof(*all), by_seq);
	for (size_t i = 0; i < n; i++) {
		out_line(all[i]->line.p, all[i]->line.len);
		stats.records_out++;
	}
	free(all);
	for (size_t g = 0; g < ngroups; g++) {
		for (size_t i = 0; i < groups[g].n; i++)
			buf_release(&groups[g].slots[i].line);
		free(groups[g].slots);
	}
	free(groups);
}

static struct group *new_group(void)
{
	xgrow(&groups, &capgroups, ngroups + 1, sizeof(*groups));
	memset(&groups[ngroups], 0, sizeof(*groups));
	return &groups[ngroups++];
}

/* A probability: a decimal number from 0 to 1 ("0.1", ".25", "1"), digits
 * and one point only. */
static double parse_fraction(const char *opt, const char *arg)
{
	const char *p = arg;
	size_t digits = 0;
	double v;

	while (*p >= '0' && *p <= '9')
		p++, digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (!digits || *p)
		cli_usage_error(opt, "expected a probability from 0 to 1 (0.1, .25), got '%s'",
				arg);
	v = strtod(arg, NULL);
	if (v > 1)
		cli_usage_error(opt, "a probability is at most 1, got '%s'", arg);
	return v;
}

static void set_mode(enum mode m)
{
	if (mode_opt && mode != m)
		cli_usage_error(cli_optname, "cannot be used with %s", mode_opt);
	mode = m;
	free(mode_opt);
	mode_opt = xstrdup(cli_optname);
}

static void on_opt(int id, const char *arg)
{
	switch (id) {
	case OPT_COUNT:
		set_mode(HEAD);
		count = cli_uint(cli_optname, arg, 0, SIZE_MAX / sizeof(struct kept));
		break;
	case OPT_TAIL:
		set_mode(TAIL);
		count = cli_uint(cli_optname, arg, 0, SIZE_MAX / sizeof(struct kept));
		break;
	case OPT_SAMPLE:
		set_mode(SAMPLE);
		count = cli_uint(cli_optname, arg, 0, SIZE_MAX / sizeof(struct kept));
		break;
	case OPT_FRACTION:
		set_mode(FRACTION);
		fraction = parse_fraction(cli_optname, arg);
		break;
	case OPT_SEED:
		seed = cli_uint(cli_optname, arg, 0, UINT64_MAX);
		seeded = 1;
		break;
	case OPT_GROUP:
		path_list_free(gpaths, ngpaths);
		gpaths = NULL;
		ngpaths = 0;
		cli_paths(cli_optname, arg, &gpaths, &ngpaths);
		break;
	}
}

static const struct cli_prog prog = {
	"etl-head",
	"[-n N | --tail N | --sample N | --fraction P] [--seed S] [-g FIELDS] [OPTIONS] [FILE...]",
	"Write the first or last N records, per group, or a random sample.",
	opts,
	CLI_SHARD,
	on_opt,
};

int main(int argc, char **argv)
{
	struct ndjson *nd;
	struct record rec;
	struct hash_canon canon;
	struct hash_table index;
	struct group *single = NULL;
	uint64_t seq = 0;

	cli_start(&prog, argc, argv);
	if (ngpaths && mode == FRACTION)
		cli_usage_error("--group-by",
				"cannot be used with --fraction (each record is drawn alone)");
	if (seeded && (mode == HEAD || mode == TAIL))
		cli_usage_error("--seed", "only --sample and --fraction draw at random");
	if (!seeded && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	rng_seed(seed);
	hash_canon_init(&canon, 0);
	hash_table_init(&index, sizeof(uint64_t));
	if (!ngpaths)
		single = new_group();

	/* first N of the whole input: read no more than N records */
	if (mode == HEAD && !ngpaths && count == 0)
		goto done;
	nd = nd_open(cli.files, cli.nfiles, gpaths, ngpaths);
	while (nd_next(nd, &rec)) {
		struct group *g = single;

		if (mode == FRACTION) {
			if (rng_unit() < fraction) {
				out_line(rec.line.p, rec.line.n);
				stats.records_out++;
			} else {
				stats.dropped++;
			}
			continue;
		}
		if (!g) {
			uint64_t *slot;
			int added;

			hash_canon_reset(&canon);
			for (size_t i = 0; i < ngpaths; i++)
				hash_canon_add(&canon, rec.vals[i]);
			slot = hash_table_put(&index, hash_canon_sum(&canon), &added);
			if (added) {
				*slot = ngroups;
				new_group();
			}
			g = &groups[*slot];
		}
		if (mode == HEAD) {
			if (g->seen++ < count) {
				out_line(rec.line.p, rec.line.n);
				stats.records_out++;
				if (!ngpaths && g->seen == count)
					break;
			} else {
				stats.dropped++;
			}
			continue;
		}
		if (!offer(g, &rec, seq++))
			stats.dropped++;
	}
	nd_close(nd);
done:
	if (mode == TAIL || mode == SAMPLE)
		write_kept();
	else
		free(groups);
	hash_table_release(&index);
	hash_canon_release(&canon);
	path_list_free(gpaths, ngpaths);
	free(mode_opt);
	cli_finish();
}
