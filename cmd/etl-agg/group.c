/*
 * group.c - the state of a batch run: records evaluated against the plan,
 * their group keys, and the groups with their state blocks (agg.h).
 *
 * Groups are found by the 128-bit hash of their key's canonical text (hash.h:
 * 1.0 and 1 are one group, a missing field and null are one group) in one
 * open-addressing table; a group is one allocation from an arena: its
 * first-seen number, its key as output text (the first spelling seen), and
 * its state block.  Memory grows with the number of groups only: per record
 * nothing is allocated once the scratch arena has grown.
 *
 * A record's expressions are all evaluated and checked before any state is
 * touched, so a record that fails counts nowhere and goes where
 * --bad-records says.  With --memory, the groups call their full() hook
 * when they outgrow the limit (spill.c writes them out and forgets them);
 * this file knows nothing of where they go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "die.h"
#include "fields.h"
#include "jsonw.h"
#include "mem.h"
#include "ndjson.h"
#include "stats.h"
#include "banned.h"

struct opts opt = {.jobs = -1, .late = "drop"};
struct groups batch = {.arena = ARENA_INIT};

/* ---- evaluation ---- */

static struct span field_of(void *arg, size_t idx)
{
	return ((const struct span *)arg)[idx];
}

static struct expr_ctx ctx = {field_of, NULL, &scratch, 0};
static struct val *vals; /* of the record being consumed */

int eval_record(struct span *rvals, struct val *out, char *err, size_t errsz)
{
	struct expr_err eerr;

	ctx.arg = rvals;
	for (size_t i = 0; i < plan.nex; i++) {
		if (expr_eval(plan.ex[i], &ctx, &out[i], &eerr) != 0) {
			snprintf(err, errsz, "%s", eerr.msg);
			return -1;
		}
	}
	for (size_t i = 0; i < plan.naggs; i++) {
		const struct agg *a = &plan.aggs[i];

		if (a->ex >= 0 && fn_check(a, &out[a->ex], err, errsz) != 0)
			return -1;
	}
	return 0;
}

/* ---- keys ---- */

static struct hash_canon canon;
static struct fields kfields;
static struct buf ktmp, kfields_out;

struct hash128 key_hash(const struct span *gv)
{
	hash_canon_reset(&canon);
	for (size_t i = 0; i < plan.ngpaths; i++)
		hash_canon_add(&canon, gv[i]);
	return hash_canon_sum(&canon);
}

void key_text(struct buf *b, const struct span *gv)
{
	static const char empty[] = "{}";
	static const struct span null_span = {"null", 4};

	if (plan.gflat) {
		for (size_t i = 0; i < plan.ngpaths; i++) {
			if (i)
				buf_addc(b, ',');
			jw_string(b, plan.gpaths[i].seg[0].s, plan.gpaths[i].seg[0].n);
			buf_addc(b, ':');
			if (gv[i].p)
				buf_add(b, gv[i].p, gv[i].n);
			else
				buf_add(b, "null", 4);
		}
		return;
	}
	fields_load(&kfields, (struct span){empty, 2});
	for (size_t i = 0; i < plan.ngpaths; i++)
		if (fields_set(&kfields, &plan.gpaths[i], gv[i].p ? gv[i] : null_span) != 0)
			etl_die(ETL_EXIT_SOFTWARE, NULL, "group key: %s", fields_error(&kfields));
	buf_reset(&kfields_out);
	fields_write(&kfields, &kfields_out);
	buf_add(b, kfields_out.p + 1, kfields_out.len - 2);
}

/* ---- groups ---- */

void groups_init(int64_t now_us)
{
	hash_canon_init(&canon, 0);
	fields_init(&kfields);
	hash_table_init(&batch.index, sizeof(uint64_t));
	ctx.now_us = now_us;
	vals = xcalloc(plan.nex + 1, sizeof(*vals));
}

struct group *group_get(const struct span *gv, struct hash128 h, const char *key, size_t keylen)
{
	uint64_t *slot;
	struct group *g;
	int added;
	size_t size;

	slot = hash_table_put(&batch.index, h, &added);
	if (!added)
		return (struct group *)(uintptr_t)*slot;
	if (!key) {
		buf_reset(&ktmp);
		key_text(&ktmp, gv);
		key = ktmp.p;
		keylen = ktmp.len;
	}
	size = sizeof(*g) + plan.stsize + keylen + 1;
	g = arena_alloc(&batch.arena, size);
	memset(g, 0, sizeof(*g) + plan.stsize);
	g->h = h;
	g->seq = batch.seq++;
	g->key = (char *)g->st + plan.stsize;
	if (keylen)
		memcpy(g->key, key, keylen);
	g->key[keylen] = '\0';
	g->keylen = (uint32_t)keylen;
	*slot = (uint64_t)(uintptr_t)g;
	if (batch.n == batch.cap)
		xgrow(&batch.list, &batch.cap, batch.n + 1, sizeof(*batch.list));
	batch.list[batch.n++] = g;
	batch.mem += size + 48;
	return g;
}

/* The groups met lately, by hash: input often comes in runs of related
 * keys (a day's products), and a hit here spares a probe of the big
 * table, which for many groups is a cache miss. */
#define RECENT 4096
static struct {
	struct hash128 h;
	struct group *g;
} recent[RECENT];

struct group *group_of(const struct span *gv)
{
	struct hash128 h = plan.ngpaths ? key_hash(gv) : (struct hash128){1, 0};
	size_t i = h.hi & (RECENT - 1);

	if (recent[i].g && hash_eq(recent[i].h, h))
		return recent[i].g;
	recent[i].h = h;
	recent[i].g = group_get(gv, h, NULL, 0);
	return recent[i].g;
}

void groups_clear(void)
{
	memset(recent, 0, sizeof(recent));
	for (size_t i = 0; i < batch.n; i++)
		states_release(batch.list[i]->st);
	batch.n = 0;
	hash_table_release(&batch.index);
	hash_table_init(&batch.index, sizeof(uint64_t));
	arena_reset(&batch.arena);
	batch.mem = 0;
}

size_t groups_memory(void)
{
	return batch.mem + hash_table_bytes(&batch.index) + batch.cap * sizeof(*batch.list);
}

/* With --memory: count what g's states grew by since before, and call
 * the full() hook past the limit. */
static void account(struct group *g, size_t before)
{
	batch.mem += states_bytes(g->st) - before;
	if (groups_memory() > opt.memory && batch.full)
		batch.full();
}

void group_fold(struct group *g, void *src)
{
	if (opt.memory) {
		size_t before = states_bytes(g->st);

		states_merge(g->st, src);
		account(g, before);
	} else {
		states_merge(g->st, src);
	}
}

void group_add(const struct span *gv, const struct val *v)
{
	struct group *g = group_of(gv);

	if (opt.memory) {
		size_t before = states_bytes(g->st);

		states_add(g->st, v);
		account(g, before);
	} else {
		states_add(g->st, v);
	}
}

void consume(struct ndjson *nd)
{
	struct record rec;
	char err[512];

	while (nd_next(nd, &rec) > 0) {
		arena_reset(&scratch);
		if (eval_record(rec.vals, vals, err, sizeof(err)) != 0) {
			nd_reject(nd, &rec, 0, "%s", err);
			continue;
		}
		group_add(rec.vals + plan.gbase, vals);
		stats.records_out++;
	}
}

void groups_release(void)
{
	groups_clear();
	hash_table_release(&batch.index);
	arena_release(&batch.arena);
	free(batch.list);
	free(vals);
	hash_canon_release(&canon);
	fields_release(&kfields);
	buf_release(&ktmp);
	buf_release(&kfields_out);
}
