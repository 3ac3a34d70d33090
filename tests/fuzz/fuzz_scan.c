/*
 * fuzz_scan.c - libFuzzer target for common/scan.c (and rec.c, utf8.c).
 *
 * The input is one line, copied into a buffer of exactly size + 1 bytes that
 * ends with the '\0' sentinel the scanner requires, so AddressSanitizer sees
 * any read further.  Invariants checked (abort() on a violation, so the
 * fuzzer reports it):
 *
 *   - scan_record() gives the same verdict, offset and message with and
 *     without wanted paths (the tracked and untracked code paths agree), and
 *     an error offset lies within the line;
 *   - a valid record is a valid value (scan_value);
 *   - on a valid record, scan_lookup() finds exactly the spans scan_record()
 *     handed out; scan_iter() walks every object and array, each member it
 *     yields validates on its own, and each decoded key is valid UTF-8;
 *   - rec_parse() + rec_write() of any valid value gives valid JSON, and
 *     doing it again gives the same text (the canonical form is a fixpoint);
 *     a record stays a record;
 *   - jansson agrees on validity, except where etl differs on purpose:
 *     numbers beyond what jansson stores (etl keeps any number as text),
 *     lone surrogate escapes (etl refuses them, PostgreSQL cannot store
 *     them), nesting beyond SCAN_MAX_DEPTH, \u0000 (jansson needs a flag),
 *     and a raw NUL byte (jansson takes it for the end of its input).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "path.h"
#include "rec.h"
#include "scan.h"
#include "utf8.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NWANT 8
static const char *const want_list = "a,a.b,b,a.b.c,\"x.y\",\"\",a,c.d";
static struct path *paths;
static size_t npaths;
static struct scan_want *want;

static void check(int ok)
{
	if (!ok)
		abort();
}

static void setup(void)
{
	const char *err;
	size_t off;

	if (want)
		return;
	check(path_list_parse(want_list, &paths, &npaths, &err, &off) == 0);
	check(npaths == NWANT);
	want = scan_want_new(paths, npaths);
}

static int same_span(struct span a, struct span b)
{
	if (!a.p || !b.p)
		return !a.p && !b.p;
	return a.p == b.p && a.n == b.n;
}

/* A span validates on its own (copied, with the sentinel). */
static int span_valid(struct span v)
{
	char *c = malloc(v.n + 1);
	struct scan_err e;
	int ok;

	memcpy(c, v.p, v.n);
	c[v.n] = '\0';
	ok = scan_value(c, v.n, &e) == 0;
	free(c);
	return ok;
}

/* Walk a validated value with scan_iter, checking each member. */
static void walk(struct span v, int depth, struct buf *tmp)
{
	enum scan_kind k = scan_kind(v);
	struct scan_iter it;
	struct span key, val;

	check(k != SCAN_NONE);
	if (k != SCAN_OBJECT && k != SCAN_ARRAY)
		return;
	if (depth > 64) /* deeper walks add nothing but time */
		return;
	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &key, &val)) {
		check(val.p >= v.p && val.p + val.n <= v.p + v.n && val.n > 0);
		check(span_valid(val));
		if (k == SCAN_OBJECT) {
			check(key.p != NULL);
			buf_reset(tmp);
			scan_unescape(tmp, key.p, key.n);
			check(utf8_valid(tmp->p ? tmp->p : "", tmp->len));
			/* a key equals its own decoded form */
			check(scan_key_eq(key, tmp->p ? tmp->p : "", tmp->len));
		}
		walk(val, depth + 1, tmp);
	}
}

/* rec_parse + rec_write; the output is valid and a fixpoint. */
static void rewrite(const char *p, size_t n, int is_record)
{
	struct buf out = BUF_INIT, again = BUF_INIT;
	struct scan_err e;
	json_t *v = rec_parse((struct span){p, n}), *w;

	check(v != NULL);
	rec_write(&out, v);
	json_decref(v);
	check(out.p != NULL);
	check(scan_value(out.p, out.len, &e) == 0);
	if (is_record)
		check(scan_record(out.p, out.len, NULL, NULL, &e) == 0);
	w = rec_parse((struct span){out.p, out.len});
	rec_write(&again, w);
	json_decref(w);
	check(again.len == out.len && memcmp(again.p, out.p, out.len) == 0);
	buf_release(&out);
	buf_release(&again);
}

/* Where etl and jansson differ on purpose. */
static int deliberate_difference(const char *p, size_t n, const char *jerr)
{
	size_t opens = 0;

	if (jerr &&
	    (strstr(jerr, "too big") || strstr(jerr, "overflow") || strstr(jerr, "underflow")))
		return 1;
	if (memmem(p, n, "\\u", 2))
		return 1; /* surrogates and \u0000 */
	if (memchr(p, '\0', n))
		return 1; /* jansson takes a raw NUL byte for the end of its input */
	for (size_t i = 0; i < n; i++)
		opens += p[i] == '[' || p[i] == '{';
	return opens >= SCAN_MAX_DEPTH;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct scan_err e1 = {0, NULL}, e2 = {0, NULL}, ev;
	struct span vals[NWANT];
	int r1, r2, rv;

	setup();
	memcpy(s, data, size);
	s[size] = '\0';

	r1 = scan_record(s, size, NULL, NULL, &e1);
	r2 = scan_record(s, size, want, vals, &e2);
	rv = scan_value(s, size, &ev);
	check(r1 == r2);
	if (r1 != 0) {
		check(e1.msg && e2.msg && strcmp(e1.msg, e2.msg) == 0 && e1.off == e2.off);
		check(e1.off <= size);
	} else {
		check(rv == 0);
	}
	if (rv != 0)
		check(ev.msg != NULL && ev.off <= size);

	if (r1 == 0) {
		struct span line = {s, size};
		struct buf tmp = BUF_INIT;

		for (size_t i = 0; i < npaths; i++)
			check(same_span(scan_lookup(line, &paths[i]), vals[i]));
		check(scan_kind(line) == SCAN_OBJECT);
		walk(line, 0, &tmp);
		buf_release(&tmp);
	}
	if (rv == 0)
		rewrite(s, size, r1 == 0);

	/* jansson's verdict */
	{
		json_error_t je;
		json_t *j = json_loadb(s, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		int jok = j != NULL;

		json_decref(j);
		if (jok != (rv == 0) && !deliberate_difference(s, size, jok ? NULL : je.text))
			abort();
	}
	free(s);
	return 0;
}
