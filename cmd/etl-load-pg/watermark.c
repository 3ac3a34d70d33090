/*
 * watermark.c - --state-key NAME --watermark FIELD (load.h): the greatest
 * FIELD value among the records loaded is written to the state table in
 * the same transaction as the rows, so the watermark moves exactly when the
 * data lands, and never backwards.  Values compare as wmark.h says.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "load.h"
#include "wmark.h"
#include "banned.h"

static struct wmark wm_max, wm_cur;
struct pg_table state_tbl; /* --state-table */
static int st_made;        /* pg_state_create() has run */

void wm_setup(const char *spec)
{
	char err[256];

	if (pg_table_parse(&state_tbl, conn, spec, err, sizeof(err)) < 0)
		cli_usage_error("--state-table", "%s", err);
}

void state_create(void)
{
	/* once: a failed transaction ends the run, so what a committed one
	 * created stays */
	if (!st_made) {
		pg_state_create(conn, &state_tbl);
		st_made = 1;
	}
}

void wm_see(struct span v)
{
	if (!wmark_json(&wm_cur, v))
		return; /* null, missing: no watermark */
	if (!wm_max.set || wmark_cmp(&wm_cur, &wm_max) > 0) {
		struct wmark t = wm_max;

		wm_max = wm_cur;
		wm_cur = t;
	}
}

/* Write the greatest value loaded, unless the stored one is greater still. */
void wm_save(void)
{
	char *old;

	if (!state_key || !wm_max.set)
		return;
	state_create();
	old = pg_state_get(conn, &state_tbl, state_key, 1);
	if (old) {
		struct wmark o = {0};

		wmark_parse(&o, old, strlen(old));
		if (wmark_cmp(&o, &wm_max) >= 0) {
			free(old);
			wmark_release(&o);
			return;
		}
		wmark_release(&o);
		free(old);
	}
	pg_state_set(conn, &state_tbl, state_key, wm_max.text.p);
}

void wm_release(void)
{
	wmark_release(&wm_max);
	wmark_release(&wm_cur);
	pg_table_release(&state_tbl);
}
