/*
 * watermark.c - --state-key NAME --watermark FIELD (load.h): the greatest
 * FIELD value among the records loaded is written to the state table in
 * the same transaction as the rows, so the watermark moves exactly when the
 * data lands, and never backwards.
 *
 * Values compare as numbers when both are numbers (exactly, as decimals,
 * when both fit), as instants when both are ISO-8601 dates or timestamps
 * (so "2026-01-05T10:00:00+02:00" is before "2026-01-05T09:00:00Z"), and
 * as text otherwise.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "decimal.h"
#include "load.h"
#include "banned.h"

/* A watermark value and how it compares: as a number, an instant, or text. */
struct wm {
	int set;
	int kind; /* 1 number, 2 instant, 3 text */
	dec_t d;
	int exact;
	double f;
	int64_t us;
	struct buf text;
};

static struct wm wm_max, wm_cur;
static struct pg_table st; /* --state-table */
static int st_made;        /* pg_state_create() has run */

void wm_setup(const char *spec)
{
	char err[256];

	if (pg_table_parse(&st, conn, spec, err, sizeof(err)) < 0)
		cli_usage_error("--state-table", "%s", err);
}

static void wm_parse(struct wm *w, const char *s, size_t n)
{
	int ht, hz;

	buf_reset(&w->text);
	buf_add(&w->text, s, n);
	w->set = 1;
	w->exact = 0;
	if (n && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) {
		int rc = dec_parse(&w->d, s, n);

		if (rc != DEC_SYNTAX) {
			w->kind = 1;
			w->exact = rc == DEC_OK;
			w->f = strtod(w->text.p, NULL);
			return;
		}
	}
	if (pg_parse_iso(s, n, &w->us, &ht, &hz) == 0) {
		w->kind = 2;
		return;
	}
	w->kind = 3;
}

static int wm_cmp(const struct wm *a, const struct wm *b)
{
	if (a->kind == b->kind && a->kind == 1) {
		if (a->exact && b->exact)
			return dec_cmp(&a->d, &b->d);
		return a->f < b->f ? -1 : a->f > b->f;
	}
	if (a->kind == b->kind && a->kind == 2 && a->us != b->us)
		return a->us < b->us ? -1 : 1;
	{
		size_t n = a->text.len < b->text.len ? a->text.len : b->text.len;
		int c = memcmp(a->text.p, b->text.p, n);

		return c ? c : (a->text.len > b->text.len) - (a->text.len < b->text.len);
	}
}

void wm_see(struct span v)
{
	static struct buf tmp = BUF_INIT;
	enum scan_kind k = scan_kind(v);

	if (k == SCAN_STRING) {
		buf_reset(&tmp);
		scan_string(&tmp, v);
		wm_parse(&wm_cur, tmp.p ? tmp.p : "", tmp.len);
	} else if (k == SCAN_NUMBER) {
		wm_parse(&wm_cur, v.p, v.n);
	} else {
		return; /* null, missing: no watermark */
	}
	if (!wm_max.set || wm_cmp(&wm_cur, &wm_max) > 0) {
		struct wm t = wm_max;

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
	/* once: a failed transaction ends the run, so what a committed one
	 * created stays */
	if (!st_made) {
		pg_state_create(conn, &st);
		st_made = 1;
	}
	old = pg_state_get(conn, &st, state_key, 1);
	if (old) {
		struct wm o = {0};

		wm_parse(&o, old, strlen(old));
		if (wm_cmp(&o, &wm_max) >= 0) {
			free(old);
			buf_release(&o.text);
			return;
		}
		buf_release(&o.text);
		free(old);
	}
	pg_state_set(conn, &st, state_key, wm_max.text.p);
}

void wm_release(void)
{
	buf_release(&wm_max.text);
	buf_release(&wm_cur.text);
	pg_table_release(&st);
}
