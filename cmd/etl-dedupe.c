/*
 * etl-dedupe - drop records whose key was seen before.
 *
 * A key is the canonical text of the -k fields (or of the whole record),
 * remembered only as its 128-bit hash (hash.h), so memory per distinct key
 * is fixed whatever the key.  Four ways to run, chosen once:
 *
 *   first   (default) a record is written the moment its key is new, as its
 *           own bytes; the table of hashes is all that grows.
 *   window  --window N: the same, but only the N most recently added keys
 *           are remembered (a ring of their hashes evicts the oldest).
 *   within  --within D --time-field F: a key is a duplicate only within D of
 *           event time of the record written for it; keys older than the
 *           newest event time seen minus 2D are forgotten, in arrival order,
 *           so records out of order by up to D are still compared rightly.
 *   hold    --keep last or --latest-by F: the winning record of each key is
 *           held back and all are written at the end, in the order in which
 *           the keys first appeared.
 *
 * The held records live in an append-only log of items (a header naming the
 * key, the record's bytes, the --latest-by value's bytes): its tail in
 * memory, up to --memory bytes, and the rest in a spill file (spill.h).
 * Per key, only the log offset of its current item is kept (off[], in
 * first-seen order); an item replaced in memory becomes garbage.  When the
 * tail would exceed the budget, it is compacted in place if at least half of
 * it is garbage, else its live items are appended to the file; so each byte
 * is moved a bounded number of times, and the output is the same whether or
 * not anything spilled.
 *
 * Invariant: every record read is written, counted bad, or counted dropped
 * exactly once, so records_in = records_out + bad + dropped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "die.h"
#include "evtime.h"
#include "hash.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "spill.h"
#include "stats.h"
#include "banned.h"

enum {
	OPT_KEY = 1,
	OPT_KEEP,
	OPT_LATEST,
	OPT_EXACT,
	OPT_REQUIRE,
	OPT_MEMORY,
	OPT_TEMP,
	OPT_WINDOW,
	OPT_WITHIN,
	OPT_TIME,
};

static const struct cli_opt opts[] = {
	{OPT_KEY, "key", 'k', CLI_ARG, "FIELDS", "key fields (default: the whole record)"},
	{OPT_KEEP, "keep", 0, CLI_ARG, "first|last",
	 "which record of a key to write (default: first)"},
	{OPT_LATEST, "latest-by", 0, CLI_ARG, "FIELD",
	 "keep the record with the greatest FIELD (ties: the later)"},
	{OPT_EXACT, "exact", 0, CLI_NOARG, NULL, "compare key values byte for byte, not by value"},
	{OPT_REQUIRE, "require-key", 0, CLI_NOARG, NULL,
	 "a missing or null key field is a bad record"},
	{OPT_MEMORY, "memory", 0, CLI_ARG, "SIZE",
	 "held records kept in memory before spilling to a temporary file"},
	{OPT_TEMP, "temp-dir", 0, CLI_ARG, "DIR", "where to spill (default: $TMPDIR or /tmp)"},
	{OPT_WINDOW, "window", 0, CLI_ARG, "N", "remember only the last N distinct keys"},
	{OPT_WITHIN, "within", 0, CLI_ARG, "DURATION",
	 "a duplicate only within DURATION of event time"},
	{OPT_TIME, "time-field", 0, CLI_ARG, "FIELD", "the ISO-8601 event time for --within"},
	{0, NULL, 0, 0, NULL, NULL},
};

static struct path *keys;
static size_t nkeys;
static struct path latest, timef;
static int have_latest, have_time, keep_last, keep_given, exact, require_key;
static const char *memory_arg, *temp_dir;
static uint64_t memory_budget, window;
static int64_t within_us;

static void on_opt(int id, const char *arg)
{
	switch (id) {
	case OPT_KEY: {
		struct path *more;
		size_t n;

		/* -k a -k b is -k a,b */
		cli_paths(cli_optname, arg, &more, &n);
		keys = xrealloc(keys, (nkeys + n) * sizeof(*keys));
		memcpy(keys + nkeys, more, n * sizeof(*more));
		nkeys += n;
		free(more);
		break;
	}
	case OPT_KEEP:
		if (strcmp(arg, "first") && strcmp(arg, "last"))
			cli_usage_error("--keep", "expected 'first' or 'last', got '%s'", arg);
		keep_last = arg[0] == 'l';
		keep_given = 1;
		break;
	case OPT_LATEST:
		path_release(&latest);
		cli_path(cli_optname, arg, 0, 1, &latest);
		have_latest = 1;
		break;
	case OPT_EXACT:
		exact = 1;
		break;
	case OPT_REQUIRE:
		require_key = 1;
		break;
	case OPT_MEMORY:
		memory_budget = cli_size(cli_optname, arg, 0);
		memory_arg = arg;
		break;
	case OPT_TEMP:
		temp_dir = arg;
		break;
	case OPT_WINDOW:
		window = cli_uint(cli_optname, arg, 1, UINT64_MAX);
		break;
	case OPT_WITHIN:
		within_us = cli_duration(cli_optname, arg, 1);
		break;
	case OPT_TIME:
		path_release(&timef);
		cli_path(cli_optname, arg, 0, 1, &timef);
		have_time = 1;
		break;
	}
}

static const struct cli_prog prog = {
	.name = "etl-dedupe",
	.synopsis = "[-k FIELDS] [--keep first|last] [--latest-by FIELD] [OPTIONS] [FILE...]",
	.summary = "Drop records whose key was seen before; write the others byte-exact.",
	.opts = opts,
	.flags = CLI_SHARD,
	.on_opt = on_opt,
};

/* Refuse combinations that would leave an option without effect. */
static void check_options(void)
{
	if (have_latest && keep_given && !keep_last)
		cli_usage_error("--latest-by", "cannot be combined with --keep first");
	if (have_latest)
		keep_last = 1;
	if (window && within_us)
		cli_usage_error("--window", "cannot be combined with --within");
	if ((window || within_us) && keep_last)
		cli_usage_error(window ? "--window" : "--within",
				"keeps the first record of a key; it cannot be combined with "
				"--keep last or --latest-by");
	if (within_us && !have_time)
		cli_usage_error("--within", "needs --time-field");
	if (have_time && !within_us)
		cli_usage_error("--time-field", "applies only to --within");
	if (memory_arg && !keep_last)
		cli_usage_error("--memory", "applies only to --keep last and --latest-by");
	if (temp_dir && !keep_last)
		cli_usage_error("--temp-dir", "applies only to --keep last and --latest-by");
	if (require_key && !nkeys)
		cli_usage_error("--require-key", "needs key fields (-k)");
}

/* ---- keys ---- */

static struct hash_canon canon;
static struct hash_table seen; /* the keys; their values depend on the mode */

/* The key of rec in *h; 0 when --require-key rejected the record. */
static int record_key(struct ndjson *nd, const struct record *rec, struct hash128 *h)
{
	hash_canon_reset(&canon);
	if (!nkeys)
		hash_canon_add(&canon, rec->line);
	for (size_t i = 0; i < nkeys; i++) {
		struct span v = rec->vals[i];

		if (require_key && (!v.p || v.p[0] == 'n')) {
			nd_reject(nd, rec, v.p ? (unsigned long)(v.p - rec->line.p) + 1 : 0,
				  "key field %s is %s", keys[i].text, v.p ? "null" : "missing");
			return 0;
		}
		hash_canon_add(&canon, v);
	}
	*h = hash_canon_sum(&canon);
	return 1;
}

static void emit(const struct record *rec)
{
	out_line(rec->line.p, rec->line.n);
	stats.records_out++;
}

/* ---- window: the last N keys ---- */

static struct hash128 *ring;
static size_t ring_n, ring_cap, ring_pos;

static int window_new(struct hash_table *t, struct hash128 h)
{
	int added;

	if (hash_table_get(t, h))
		return 0;
	if (ring_n == window) {
		hash_table_del(t, ring[ring_pos]);
		ring[ring_pos] = h;
		ring_pos = (ring_pos + 1) % ring_n;
	} else {
		xgrow(&ring, &ring_cap, ring_n + 1, sizeof(*ring));
		ring[ring_n++] = h;
	}
	hash_table_put(t, h, &added);
	return 1;
}

/* ---- within: keys by event time ---- */

struct timed {
	struct hash128 h;
	int64_t t;
};
/* The keys in the order their times were set, a ring that doubles. */
static struct timed *queue;
static size_t q_head, q_len, q_cap;
static int64_t max_time = INT64_MIN;
static struct buf tbuf = BUF_INIT;

static void queue_push(struct hash128 h, int64_t t)
{
	if (q_len == q_cap) {
		size_t cap = q_cap ? q_cap * 2 : 1024;
		struct timed *q = xmalloc(cap * sizeof(*q));

		for (size_t i = 0; i < q_len; i++)
			q[i] = queue[(q_head + i) % q_cap];
		free(queue);
		queue = q;
		q_cap = cap;
		q_head = 0;
	}
	queue[(q_head + q_len++) % q_cap] = (struct timed){h, t};
}

/* Forget the keys whose time is before limit; an entry whose key has been
 * given a later time since is stale and only dropped from the queue.  The
 * limit is twice the duration behind the newest time, so that a record out
 * of order by up to the duration still finds every key it could match. */
static void expire(struct hash_table *t, int64_t limit)
{
	while (q_len && queue[q_head].t < limit) {
		struct timed e = queue[q_head];
		int64_t *v = hash_table_get(t, e.h);

		if (v && *v == e.t)
			hash_table_del(t, e.h);
		q_head = (q_head + 1) % q_cap;
		q_len--;
	}
}

/* The record's event time (evtime.h); 0 when it is a bad record. */
static int event_time(struct ndjson *nd, const struct record *rec, int64_t *us)
{
	struct span v = rec->vals[nkeys];
	int r = evtime_read(v, us, &tbuf);
	char err[256];

	if (r == EVTIME_OK)
		return 1;
	evtime_message(r, timef.text, v, err, sizeof(err));
	nd_reject(nd, rec, v.p ? (unsigned long)(v.p - rec->line.p) + 1 : 0, "%s", err);
	return 0;
}

/* Is the record new within the window of event time?  It is a duplicate
 * when its key's remembered time is at most within_us away. */
static int within_new(struct hash_table *t, struct hash128 h, int64_t ts)
{
	int64_t *v;
	int added;

	if (ts > max_time) {
		max_time = ts;
		expire(t, max_time - 2 * within_us);
	}
	v = hash_table_get(t, h);
	if (v && (ts > *v ? ts - *v : *v - ts) <= within_us)
		return 0;
	if (v && ts < *v)
		return 1; /* late: written, but the key keeps its newer time */
	v = hash_table_put(t, h, &added);
	*v = ts;
	queue_push(h, ts);
	return 1;
}

/* ---- hold: the winners, held back in a log that may spill ---- */

struct item {
	uint64_t key;  /* index into hold.off */
	uint64_t len;  /* the record's bytes */
	uint64_t vlen; /* then the --latest-by value's bytes */
};

#define IN_MEM ((uint64_t)1 << 63)
#define NO_ITEM UINT64_MAX
#define ITEM_SIZE(len, vlen) (sizeof(struct item) + (((len) + (vlen) + 7) & ~(uint64_t)7))
static struct {
	uint64_t *off; /* per key, first-seen order: IN_MEM | position, or file offset */
	size_t n, cap;
	char *mem; /* the log's tail */
	size_t mlen, mcap, garbage;
	uint64_t budget;
	struct spill *file; /* the rest of the log, NULL until needed */
	struct buf item;    /* an item read back from the file */
} hold;

static uint64_t default_budget(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
	uint64_t b = pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size / 4 : (1 << 30);

	return b > ((uint64_t)4 << 30) ? (uint64_t)4 << 30 : b;
}

/* Append one item to the file; its offset. */
static uint64_t spill_item(const struct item *it, const char *rec, const char *val)
{
	static const char pad[8];
	uint64_t at;

	if (!hold.file)
		hold.file = spill_open(temp_dir);
	at = spill_write(hold.file, it, sizeof(*it));
	spill_write(hold.file, rec, it->len);
	spill_write(hold.file, val, it->vlen);
	spill_write(hold.file, pad,
		    ITEM_SIZE(it->len, it->vlen) - sizeof(*it) - it->len - it->vlen);
	return at;
}

/* The item at a log offset: its header, record and value. */
static void item_at(uint64_t off, struct item *it, struct span *rec, struct span *val)
{
	const char *body;

	if (off & IN_MEM) {
		memcpy(it, hold.mem + (off & ~IN_MEM), sizeof(*it));
		body = hold.mem + (off & ~IN_MEM) + sizeof(*it);
	} else {
		spill_read(hold.file, off, it, sizeof(*it));
		buf_reset(&hold.item);
		buf_grow(&hold.item, it->len + it->vlen);
		spill_read(hold.file, off + sizeof(*it), hold.item.p, it->len + it->vlen);
		body = hold.item.p;
	}
	*rec = (struct span){body, it->len};
	*val = (struct span){it->vlen ? body + it->len : NULL, it->vlen};
}

/* Only the --latest-by value of the item at a log offset: a comparison
 * reads back the header and the value, not the whole record. */
static struct span value_at(uint64_t off)
{
	struct item it;

	if (off & IN_MEM) {
		const char *p = hold.mem + (off & ~IN_MEM);

		memcpy(&it, p, sizeof(it));
		return (struct span){it.vlen ? p + sizeof(it) + it.len : NULL, it.vlen};
	}
	spill_read(hold.file, off, &it, sizeof(it));
	if (!it.vlen)
		return (struct span){NULL, 0};
	buf_reset(&hold.item);
	buf_grow(&hold.item, it.vlen);
	spill_read(hold.file, off + sizeof(it) + it.len, hold.item.p, it.vlen);
	return (struct span){hold.item.p, it.vlen};
}

/* Drop the garbage of the memory tail, sliding live items down. */
static void hold_compact(void)
{
	size_t r = 0, w = 0;

	while (r < hold.mlen) {
		struct item it;
		size_t sz;

		memcpy(&it, hold.mem + r, sizeof(it));
		sz = ITEM_SIZE(it.len, it.vlen);
		if (hold.off[it.key] == (IN_MEM | r)) {
			memmove(hold.mem + w, hold.mem + r, sz);
			hold.off[it.key] = IN_MEM | w;
			w += sz;
		}
		r += sz;
	}
	hold.mlen = w;
	hold.garbage = 0;
}

/* Move the live items of the memory tail to the file. */
static void hold_spill(void)
{
	for (size_t r = 0; r < hold.mlen;) {
		struct item it;
		const char *body = hold.mem + r + sizeof(it);

		memcpy(&it, hold.mem + r, sizeof(it));
		if (hold.off[it.key] == (IN_MEM | r))
			hold.off[it.key] = spill_item(&it, body, body + it.len);
		r += ITEM_SIZE(it.len, it.vlen);
	}
	hold.mlen = 0;
	hold.garbage = 0;
}

/* Make key idx's item the record rec (with value val). */
static void hold_put(size_t idx, struct span rec, struct span val, int replace)
{
	struct item it = {idx, rec.n, val.p ? val.n : 0};
	size_t sz = ITEM_SIZE(it.len, it.vlen);

	if (replace && hold.off[idx] & IN_MEM) {
		struct item old;

		memcpy(&old, hold.mem + (hold.off[idx] & ~IN_MEM), sizeof(old));
		hold.garbage += ITEM_SIZE(old.len, old.vlen);
	}
	hold.off[idx] = NO_ITEM; /* the old item is garbage from now on */
	if (sz > hold.budget) {
		hold.off[idx] = spill_item(&it, rec.p, val.p);
		return;
	}
	if (hold.mlen + sz > hold.budget) {
		if (hold.garbage * 2 >= hold.mlen)
			hold_compact();
		if (hold.mlen + sz > hold.budget)
			hold_spill();
	}
	if (hold.mlen + sz > hold.mcap) {
		size_t cap = hold.mcap ? hold.mcap * 2 : 64 * 1024;

		while (cap < hold.mlen + sz)
			cap *= 2;
		if (cap > hold.budget)
			cap = (size_t)hold.budget;
		hold.mem = xrealloc(hold.mem, cap);
		hold.mcap = cap;
	}
	memcpy(hold.mem + hold.mlen, &it, sizeof(it));
	memcpy(hold.mem + hold.mlen + sizeof(it), rec.p, it.len);
	if (it.vlen)
		memcpy(hold.mem + hold.mlen + sizeof(it) + it.len, val.p, it.vlen);
	hold.off[idx] = IN_MEM | hold.mlen;
	hold.mlen += sz;
}

static void hold_record(struct hash_table *t, struct hash128 h, struct span line, struct span val)
{
	uint64_t *v;
	int added;

	v = hash_table_put(t, h, &added);
	if (added) {
		*v = hold.n;
		xgrow(&hold.off, &hold.cap, hold.n + 1, sizeof(*hold.off));
		hold_put(hold.n++, line, val, 0);
		return;
	}
	stats.dropped++;
	/* ties go to the later record, as with --keep last */
	if (have_latest && hash_value_cmp(&canon, val, value_at(hold.off[*v])) < 0)
		return;
	hold_put(*v, line, val, 1);
}

static void hold_write(void)
{
	for (size_t i = 0; i < hold.n; i++) {
		struct item it;
		struct span rec, val;

		item_at(hold.off[i], &it, &rec, &val);
		out_line(rec.p, rec.n);
		stats.records_out++;
	}
}

static void hold_release(void)
{
	spill_close(hold.file);
	free(hold.off);
	free(hold.mem);
	buf_release(&hold.item);
}

/* ---- first and hold: decisions a record late ---- */

/* The decision on a record waits for the next one, so that its slot in the
 * table is fetched from memory while the next record is scanned; meanwhile
 * the record's bytes wait in a copy.  This alone takes a third off the time
 * of a large run.  It never delays the output: when the input is about to
 * wait for a live source, the idle hook of out.h decides at once, so a
 * record is written the moment it is read, as the man page says. */
static struct {
	struct buf line;
	struct hash128 h;
	size_t voff, vlen; /* the --latest-by value in line; vlen 0 when absent */
	int have;
} pending = {BUF_INIT, {0, 0}, 0, 0, 0};

static void decide(void)
{
	struct span line = {pending.line.p, pending.line.len};
	struct span val = {pending.vlen ? line.p + pending.voff : NULL, pending.vlen};
	int added;

	/* decided once, even when writing it fails and the exit hook asks */
	pending.have = 0;
	if (keep_last) {
		hold_record(&seen, pending.h, line, val);
		return;
	}
	hash_table_put(&seen, pending.h, &added);
	if (added) {
		out_line(line.p, line.n);
		stats.records_out++;
	} else {
		stats.dropped++;
	}
}

/* Take rec, and decide on the one before; NULL at the end of the input. */
static void defer(struct hash128 h, const struct record *rec)
{
	if (rec)
		hash_table_prefetch(&seen, h);
	if (pending.have)
		decide();
	pending.have = rec != NULL;
	if (!rec)
		return;
	buf_reset(&pending.line);
	buf_add(&pending.line, rec->line.p, rec->line.n);
	pending.h = h;
	pending.vlen = 0;
	if (have_latest && rec->vals[nkeys].p) {
		pending.voff = rec->vals[nkeys].p - rec->line.p;
		pending.vlen = rec->vals[nkeys].n;
	}
}

/* The input goes idle: decide on the record waiting, so that it is
 * written before the program waits for more. */
static void decide_now(void)
{
	if (pending.have) {
		pending.have = 0;
		decide();
	}
}

/* A failing run still hands on the whole records it wrote (out.h): the one
 * waiting for its decision is among them when its key is new.  Held records
 * are never written by a failing run. */
static void decide_on_exit(int status)
{
	if (status != 0 && !keep_last)
		decide_now();
}

int main(int argc, char **argv)
{
	struct path *want;
	struct ndjson *nd;
	struct record rec;
	struct hash128 h = {0, 0};
	size_t nwant;

	cli_start(&prog, argc, argv);
	check_options();
	want = xcalloc(nkeys + 1, sizeof(*want));
	if (nkeys)
		memcpy(want, keys, nkeys * sizeof(*keys));
	nwant = nkeys;
	if (have_latest)
		want[nwant++] = latest;
	else if (have_time)
		want[nwant++] = timef;
	hold.budget = memory_arg ? memory_budget : default_budget();
	hash_canon_init(&canon, exact);
	hash_table_init(&seen, keep_last || within_us ? 8 : 0);
	etl_atexit(decide_on_exit);
	out_on_idle(decide_now);

	nd = nd_open(cli.files, cli.nfiles, want, nwant);
	while (nd_next(nd, &rec)) {
		int64_t ts = 0;
		int fresh;

		if (within_us && !event_time(nd, &rec, &ts))
			continue;
		if (!record_key(nd, &rec, &h))
			continue;
		if (!window && !within_us) {
			defer(h, &rec);
			continue;
		}
		if (window)
			fresh = window_new(&seen, h);
		else
			fresh = within_new(&seen, h, ts);
		if (fresh)
			emit(&rec);
		else
			stats.dropped++;
	}
	defer(h, NULL);
	nd_close(nd);
	if (keep_last)
		hold_write();
	{
		/* the records of other shards were never looked at */
		uint64_t dups = stats.dropped - stats.skipped;

		etl_warn(NULL, "%llu duplicate%s dropped", (unsigned long long)dups,
			 dups == 1 ? "" : "s");
	}

	hash_table_release(&seen);
	hash_canon_release(&canon);
	hold_release();
	free(ring);
	free(queue);
	buf_release(&tbuf);
	buf_release(&pending.line);
	free(want);
	path_list_free(keys, nkeys);
	path_release(&latest);
	path_release(&timef);
	cli_finish();
}
