/*
 * wmark.h - watermark values and their order, shared by the programs that
 * keep a watermark in the state table (etl-load-pg, etl-fetch-api).
 *
 * Values compare as numbers when both are numbers (exactly, as decimals,
 * when both fit), as instants when both are ISO-8601 dates or timestamps
 * (so "2026-01-05T10:00:00+02:00" is before "2026-01-05T09:00:00Z"), and
 * as text otherwise.  A struct wmark owns its text: release it with
 * wmark_release().
 */
#ifndef ETL_WMARK_H
#define ETL_WMARK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "decimal.h"
#include "scan.h"

struct wmark {
	int set;
	int kind; /* 1 number, 2 instant, 3 text */
	dec_t d;
	int exact;
	double f;
	int64_t us;
	struct buf text; /* the value as written (a string decoded) */
};

/* The value s[0..n). */
void wmark_parse(struct wmark *w, const char *s, size_t n);
/* A JSON value: a string (decoded) or a number; 0 and w unchanged for
 * anything else (null, missing), 1 otherwise. */
int wmark_json(struct wmark *w, struct span v);
/* < 0, 0, > 0 as a is before, equal to, after b. */
int wmark_cmp(const struct wmark *a, const struct wmark *b);
void wmark_release(struct wmark *w);

#endif
