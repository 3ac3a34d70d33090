/*
 * fuzz_expr.c - libFuzzer target for the expression language
 * (common/expr.c, common/exprfn.c, common/timefmt.c).
 *
 * The input is an expression.  Invariants checked (abort() on a violation,
 * so the fuzzer reports it): a parse error has a message and a column
 * within the text; an expression that parses evaluates against a fixed
 * record (fields read through scan_record, as programs do) to either an
 * error with a message or a value whose JSON text scan_value() accepts as
 * exactly one valid JSON value; a second evaluation gives the same text
 * (no hidden state changes a result); and val_cmp() orders the value
 * equal to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "expr.h"
#include "scan.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char record[] =
	"{\"qty\":3,\"unit_price\":19.99,\"name\":\" Ann \",\"ts\":\"2026-11-24T18:30:00.123+01:00\","
	"\"day\":\"2026-11-24\",\"big\":123456789012345678901234567890123456789012,"
	"\"tags\":[\"a\",\"b\",1,null],\"n\":null,\"esc\":\"a\\\"b\\u00e9\\ud83d\\ude00\","
	"\"o\":{\"k\":[1,{\"z\":true}]},\"neg\":-0.5,\"e\":1e400,\"tiny\":1e-400,\"f\":false,"
	"\"t\":true,\"re\":\"^a.*\",\"fmt\":\"%Y-%m-%d %H:%M:%S %z\",\"s\":\"\",\"zero\":0}";

static struct span *vals;

static void check(int ok)
{
	if (!ok)
		abort();
}

static struct span field(void *arg, size_t idx)
{
	(void)arg;
	return vals[idx];
}

/* Evaluate e and write the result's JSON (or nothing) into b; 0 or -1. */
static int eval_to(struct expr *e, struct expr_ctx *ctx, struct buf *b, struct val *v)
{
	struct expr_err err;

	buf_reset(b);
	if (expr_eval(e, ctx, v, &err)) {
		check(err.msg[0] != '\0');
		return -1;
	}
	val_to_json(b, v);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = malloc(size + 1);
	struct expr_fields f;
	struct expr_err err;
	struct expr *e;

	memcpy(src, data, size);
	src[size] = '\0';
	expr_fields_init(&f);
	e = expr_parse(src, &f, &err);
	if (!e) {
		size_t chars = 0;

		for (size_t i = 0; src[i]; i++)
			chars += ((unsigned char)src[i] & 0xc0) != 0x80;
		check(err.msg[0] != '\0');
		check(err.col >= 1 && err.col <= chars + 1);
	} else {
		struct scan_want *w = scan_want_new(f.paths, f.n);
		struct arena scratch = ARENA_INIT;
		struct expr_ctx ctx = {field, NULL, &scratch, INT64_C(1795545000) * 1000000};
		struct buf b1 = BUF_INIT, b2 = BUF_INIT;
		struct scan_err serr;
		struct val v1, v2;

		vals = calloc(f.n + 1, sizeof(*vals));
		check(scan_record(record, sizeof(record) - 1, w, vals, &serr) == 0);
		int r1 = eval_to(e, &ctx, &b1, &v1);
		if (r1 == 0) {
			/* The sentinel scan_value() needs. */
			buf_grow(&b1, 1);
			b1.p[b1.len] = '\0';
			check(b1.len > 0 && scan_value(b1.p, b1.len, &serr) == 0);
			check(val_cmp(&v1, &v1) == 0);
		}
		int r2 = eval_to(e, &ctx, &b2, &v2);
		check(r1 == r2);
		if (r1 == 0)
			check(b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0);
		check(expr_text(e) && strcmp(expr_text(e), src) == 0);
		buf_release(&b1);
		buf_release(&b2);
		arena_release(&scratch);
		free(vals);
		scan_want_free(w);
		expr_free(e);
	}
	expr_fields_release(&f);
	free(src);
	return 0;
}
