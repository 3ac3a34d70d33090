/*
 * wmark.c - watermark values (wmark.h).  A value is parsed once, as a
 * number, then as an instant, then taken as text, and keeps its text, so
 * that the greatest value seen is written back exactly as it came.
 */
#include "wmark.h"

#include <stdlib.h>
#include <string.h>

#include "pgval.h"
#include "banned.h"

/* Classify the value held in w->text. */
static void classify(struct wmark *w)
{
	const char *s = w->text.p ? w->text.p : "";
	size_t n = w->text.len;
	int ht, hz;

	w->set = 1;
	w->exact = 0;
	if (n && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))) {
		int rc = dec_parse(&w->d, s, n);

		if (rc != DEC_SYNTAX) {
			w->kind = 1;
			w->exact = rc == DEC_OK;
			w->f = strtod(s, NULL);
			return;
		}
	}
	if (pg_parse_iso(s, n, &w->us, &ht, &hz) == 0) {
		w->kind = 2;
		return;
	}
	w->kind = 3;
}

void wmark_parse(struct wmark *w, const char *s, size_t n)
{
	buf_reset(&w->text);
	buf_add(&w->text, s, n);
	classify(w);
}

int wmark_json(struct wmark *w, struct span v)
{
	switch (scan_kind(v)) {
	case SCAN_STRING:
		/* decoded straight into the value's own buffer: no allocation
		 * once it has grown */
		buf_reset(&w->text);
		scan_string(&w->text, v);
		classify(w);
		return 1;
	case SCAN_NUMBER:
		wmark_parse(w, v.p, v.n);
		return 1;
	default:
		return 0;
	}
}

int wmark_cmp(const struct wmark *a, const struct wmark *b)
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

void wmark_release(struct wmark *w)
{
	buf_release(&w->text);
	w->set = 0;
}
