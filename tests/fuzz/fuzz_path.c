/*
 * fuzz_path.c - libFuzzer target for common/path.c (and the wanted-path
 * trie of scan.c).
 *
 * The input is a field path or a list of them, as a user would type it
 * (up to its first NUL byte).  Invariants checked (abort() on a violation):
 *
 *   - path_parse() either consumes a prefix and keeps it as text, or fails
 *     with a message and an offset within the input, leaving nothing to free;
 *   - with whole set it succeeds exactly when the path is the whole input, and
 *     the prefix it stops at without whole parses whole to the same path;
 *   - path_format() writes a form that parses back to the same segments, and
 *     formatting that again gives the same text (a canonical fixpoint);
 *   - path_list_parse() agrees with path_parse() on each element;
 *   - an object built with the parsed keys is found by both scan_record()'s
 *     wanted paths and scan_lookup(), at the same spans.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonw.h"
#include "path.h"
#include "scan.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static int same_path(const struct path *a, const struct path *b)
{
	if (a->nseg != b->nseg)
		return 0;
	for (size_t i = 0; i < a->nseg; i++)
		if (a->seg[i].n != b->seg[i].n ||
		    memcmp(a->seg[i].s, b->seg[i].s, a->seg[i].n) != 0)
			return 0;
	return 1;
}

static int empty(const struct path *p)
{
	return p->nseg == 0 && !p->seg && !p->text;
}

/* Format p, parse it back whole, and check the round trip and the fixpoint. */
static void round_trip(const struct path *p)
{
	struct buf f = BUF_INIT, g = BUF_INIT;
	struct path q;
	const char *err;
	size_t off;
	long k;

	path_format(&f, p);
	check(f.p != NULL);
	k = path_parse(&q, f.p, 1, &err, &off);
	check(k == (long)f.len);
	check(same_path(p, &q));
	path_format(&g, &q);
	check(g.len == f.len && memcmp(g.p, f.p, f.len) == 0);
	path_release(&q);
	buf_release(&f);
	buf_release(&g);
}

/* {"k1":{"k2":...{"kn":42}...}} built from p's segments (valid UTF-8 only). */
static void lookup(const struct path *p)
{
	struct buf rec = BUF_INIT;
	struct scan_want *w;
	struct span v, l;
	struct scan_err e;

	if (p->nseg > 64)
		return;
	for (size_t i = 0; i < p->nseg; i++) {
		buf_addc(&rec, '{');
		jw_string(&rec, p->seg[i].s, p->seg[i].n);
		buf_addc(&rec, ':');
	}
	buf_adds(&rec, "42");
	for (size_t i = 0; i < p->nseg; i++)
		buf_addc(&rec, '}');
	if (scan_record(rec.p, rec.len, NULL, NULL, &e) == 0) {
		w = scan_want_new(p, 1);
		check(scan_record(rec.p, rec.len, w, &v, &e) == 0);
		check(v.p && v.n == 2 && memcmp(v.p, "42", 2) == 0);
		l = scan_lookup((struct span){rec.p, rec.len}, p);
		check(l.p == v.p && l.n == v.n);
		scan_want_free(w);
	}
	buf_release(&rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	size_t len;
	struct path p, q, *list;
	const char *err = NULL;
	size_t off = 0, n;
	long k;

	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s);

	/* whole */
	k = path_parse(&p, s, 1, &err, &off);
	if (k >= 0) {
		check((size_t)k == len);
		check(p.nseg > 0 && p.text && strcmp(p.text, s) == 0);
		round_trip(&p);
		lookup(&p);
		path_release(&p);
		check(empty(&p));
	} else {
		check(err != NULL && off <= len);
		check(empty(&p));
	}

	/* prefix */
	k = path_parse(&p, s, 0, &err, &off);
	if (k >= 0) {
		char *prefix = malloc(k + 1);

		check((size_t)k <= len);
		memcpy(prefix, s, k);
		prefix[k] = '\0';
		check(path_parse(&q, prefix, 1, &err, &off) == k);
		check(same_path(&p, &q));
		path_release(&q);
		path_release(&p);
		free(prefix);
	} else {
		check(err != NULL && off <= len);
	}

	/* list */
	if (path_list_parse(s, &list, &n, &err, &off) == 0) {
		const char *at = s;

		check(n > 0);
		for (size_t i = 0; i < n; i++) {
			k = path_parse(&q, at, 0, &err, &off);
			check(k >= 0 && same_path(&list[i], &q));
			path_release(&q);
			round_trip(&list[i]);
			at += k;
			check(*at == (i + 1 < n ? ',' : '\0'));
			at++;
		}
		/* the compiled want set handles duplicates and shared prefixes */
		{
			struct scan_want *w = scan_want_new(list, n);

			scan_want_free(w);
		}
		path_list_free(list, n);
	} else {
		check(err != NULL && off <= len && list == NULL && n == 0);
	}
	free(s);
	return 0;
}
