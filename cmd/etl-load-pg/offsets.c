/*
 * offsets.c - --offsets NAME (load.h): exactly-once loading of a stream.
 *
 * Each record carries _off (CONVENTIONS section 6).  The set of offsets
 * the table reflects is the state table's value NAME; a record whose _off
 * the committed set covers is already in the table and is skipped (counted
 * as skipped, and dropped in the record counts).  The others' offsets are
 * gathered, and at each commit merged with the stored set, read FOR UPDATE
 * in the transaction of the rows and written back in it: the rows and the
 * offsets they come from land together or not at all.  A source restarted
 * with --from-state NAME resumes after the stored set.
 */
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "load.h"
#include "offset.h"
#include "stats.h"
#include "banned.h"

static struct offset_set done = OFFSET_SET_INIT; /* committed */
static struct offset_set todo = OFFSET_SET_INIT; /* in the open transaction */
static uint64_t skipped;

static void parse_stored(struct offset_set *s, const char *text)
{
	if (offset_set_add_text(s, text, strlen(text)) < 0)
		etl_die(ETL_EXIT_DATA, tbl.display,
			"state \"%s\" of %s is not an offset set: '%.80s'", offsets_name,
			state_tbl.display, text);
}

static void stats_skipped(struct buf *b)
{
	buf_printf(b, ",\"skipped\":%llu", (unsigned long long)skipped);
}

void off_setup(void)
{
	char *old;

	state_create();
	old = pg_state_get(conn, &state_tbl, offsets_name, 0);
	if (old)
		parse_stored(&done, old);
	free(old);
	stats_extra(stats_skipped);
}

int off_see(struct ndjson *nd, const struct record *rec, struct span v)
{
	static struct buf text = BUF_INIT;

	if (scan_kind(v) != SCAN_STRING) {
		nd_reject(nd, rec, 0,
			  "no %s string (--offsets needs the stream offset of each record)",
			  OFFSET_FIELD);
		return 0;
	}
	buf_reset(&text);
	scan_string(&text, v);
	switch (offset_set_covers(&done, text.p, text.len)) {
	case 1:
		skipped++;
		stats.dropped++;
		return 0;
	case -1:
		nd_reject(nd, rec, 0, "%s: not an offset: '%.80s'", OFFSET_FIELD, text.p);
		return 0;
	}
	offset_set_add_text(&todo, text.p, text.len);
	return 1;
}

int off_pending(void)
{
	return todo.n > 0;
}

void off_save(void)
{
	struct offset_set stored = OFFSET_SET_INIT;
	struct buf b = BUF_INIT;
	char *old;

	if (!todo.n)
		return;
	old = pg_state_get(conn, &state_tbl, offsets_name, 1);
	if (old)
		parse_stored(&stored, old);
	free(old);
	offset_set_merge(&stored, &todo);
	offset_set_format(&stored, &b);
	pg_state_set(conn, &state_tbl, offsets_name, b.p);
	offset_set_merge(&done, &stored);
	offset_set_release(&stored);
	buf_release(&b);
}

void off_committed(void)
{
	offset_set_clear(&todo);
}

void off_release(void)
{
	offset_set_release(&done);
	offset_set_release(&todo);
}
