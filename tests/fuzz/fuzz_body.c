/*
 * fuzz_body.c - libFuzzer target for common/body.c, the records reader of
 * etl-fetch-api, and the response-header helpers of common/http.c.
 *
 * The first byte picks a records path and the format; the rest is a body,
 * copied into a buffer of exactly its size + 1 bytes ending with the '\0'
 * the scanner requires, so AddressSanitizer sees any read further.  The
 * same bytes are also read as response header lines.  Invariants checked
 * (abort() on a violation, so the fuzzer reports it):
 *
 *   - an error offset lies within the body, and on an error no record was
 *     handed out (a page is written whole or not at all);
 *   - the count returned is the number of records handed out;
 *   - each record is a valid JSON object on its own (scan_record), lies
 *     within the body, and its compact form (jw_compact) is one too;
 *   - an NDJSON body comes back exactly as it went in (the reader lends
 *     each line's end to the scanner and must give it back);
 *   - http_link_next() and http_retry_after() read any header lines
 *     without a fault, and a next link lies within them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "buf.h"
#include "http.h"
#include "jsonw.h"
#include "scan.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const specs[] = {".",     "data",  "data.items", "data[*].attributes",
				    "[*].a", "a.b[*]"};

static void check(int ok)
{
	if (!ok)
		abort();
}

struct ctx {
	const char *base;
	size_t n;
	long count;
	struct buf tmp;
};

static void on_record(void *vctx, struct span rec)
{
	struct ctx *c = vctx;
	struct scan_err se;
	char *copy;

	check(rec.p >= c->base && rec.p + rec.n <= c->base + c->n);
	copy = malloc(rec.n + 1);
	memcpy(copy, rec.p, rec.n);
	copy[rec.n] = '\0';
	check(scan_record(copy, rec.n, NULL, NULL, &se) == 0);
	free(copy);
	buf_reset(&c->tmp);
	jw_compact(&c->tmp, rec.p, rec.n);
	check(scan_record(c->tmp.p, c->tmp.len, NULL, NULL, &se) == 0);
	c->count++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct body_spec spec;
	struct body_err err;
	struct span root;
	struct ctx c = {0};
	struct http_resp r;
	const char *e;
	size_t eo, n;
	char *body, *orig, *link;
	long got;
	int sel, ndjson;

	if (size < 1)
		return 0;
	sel = data[0] % (int)(sizeof(specs) / sizeof(specs[0]));
	ndjson = (data[0] >> 7) & 1;
	n = size - 1;
	body = malloc(n + 1);
	memcpy(body, data + 1, n);
	body[n] = '\0';
	orig = malloc(n + 1);
	memcpy(orig, body, n + 1);
	check(body_spec_parse(&spec, specs[sel], &e, &eo) == 0);
	c.base = body;
	c.n = n;
	buf_init(&c.tmp);
	got = body_records(body, n, ndjson ? BODY_NDJSON : BODY_JSON, &spec, on_record, &c, &root,
			   &err);
	if (got < 0) {
		check(err.off <= n);
		check(err.msg != NULL);
		check(c.count == 0);
	} else {
		check(got == c.count);
	}
	check(memcmp(body, orig, n + 1) == 0);
	body_spec_release(&spec);
	buf_release(&c.tmp);

	/* the same bytes as the header lines of a response */
	http_resp_init(&r);
	buf_add(&r.head, data + 1, n);
	link = http_link_next(&r);
	if (link) {
		check(strlen(link) <= n);
		free(link);
	}
	(void)http_retry_after(&r, 0);
	http_resp_release(&r);
	free(body);
	free(orig);
	return 0;
}
