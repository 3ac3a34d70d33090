/*
 * expr.h - the expression language shared by etl-map, etl-agg, etl-top and
 * etl-validate (described for users in etl-expr(7)).
 *
 * An expression is parsed once into a tree and evaluated per record.  It
 * reads fields by path; each distinct path gets an index in a struct
 * expr_fields shared by all the expressions of a program, and at evaluation
 * the program's callback hands back a field's raw JSON text by index (from
 * the scanner's spans, or from etl-map's edited record).  Evaluation does
 * not call malloc: intermediate strings live in the context's arena, which
 * the program resets per record.
 *
 * Semantics (CONVENTIONS section 1): a missing field and null are both
 * null; an operation on null yields null, a comparison with null is false;
 * +, -, * on exact decimals are exact (numbers read from the record as
 * decimal whenever their text fits 38 digits), and so are they on numbers
 * of any size, large or small, up to 2000 digits (beyond, an error: never a
 * silent rounding or underflow); / is exact when the quotient has an exact
 * decimal form of 38 digits, a double otherwise, as are the functions that
 * cannot be exact, and a double that overflows or underflows is an error;
 * numbers of any size and kind compare exactly.  A syntax or type error
 * found by expr_parse() is a usage error (the caller exits 2 with the
 * column); a runtime type error (name * 2 on a string) or a division by
 * zero is reported by expr_eval() and the caller treats the record as bad.
 */
#ifndef ETL_EXPR_H
#define ETL_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "decimal.h"
#include "path.h"
#include "scan.h"

/* The distinct field paths read by a program's expressions. */
struct expr_fields {
	struct path *paths;
	size_t n, cap;
};

void expr_fields_init(struct expr_fields *f);
void expr_fields_release(struct expr_fields *f);
/* Index of path p in f, adding a copy when new. */
size_t expr_fields_add(struct expr_fields *f, const struct path *p);

struct expr_err {
	size_t col;    /* 1-based column (in characters) in the expression text: where
			   parsing failed, or the operator or function at fault at run
			   time; 0 if none */
	char msg[256]; /* quotes the subexpression at fault when there is one:
			   "name * 2: cannot multiply a string" */
};

struct expr;
/* Parse src; field paths it reads are added to fields. NULL on error (the
 * fields added before the error stay).  Parts made only of literals are
 * computed here, so an error in them is a parse error. */
struct expr *expr_parse(const char *src, struct expr_fields *fields, struct expr_err *err);
void expr_free(struct expr *e);
/* The source text, for messages. */
const char *expr_text(const struct expr *e);

enum val_kind {
	VAL_NULL,
	VAL_BOOL,
	VAL_NUM,  /* see num below */
	VAL_STR,  /* decoded UTF-8 bytes in s */
	VAL_TIME, /* an instant: us since the epoch, and the UTC offset it was written with */
	VAL_JSON, /* an object or array: raw JSON text in s */
};

enum num_kind {
	NUM_DEC, /* exact: d */
	NUM_DBL, /* binary floating point: f */
	NUM_BIG, /* an exact number beyond the decimal type (an integer of more
		     than 38 digits, or more than 38 decimals), kept as its
		     JSON number text in s */
};

struct val {
	enum val_kind k;
	enum num_kind nk;
	int b;
	dec_t d;
	double f;
	struct span s; /* VAL_STR, VAL_JSON, NUM_BIG; also VAL_NUM's JSON text when
			    the number is unchanged from where it was written (the
			    record, a literal, a string given to to_number());
			    s.p == NULL otherwise */
	int64_t t_us;
	int32_t t_off; /* seconds east of UTC */
};

struct expr_ctx {
	/* The raw JSON text of field idx of the current record (p == NULL when
	 * missing). */
	struct span (*field)(void *arg, size_t idx);
	void *arg;
	struct arena *scratch; /* reset by the program between records */
	int64_t now_us;        /* now(): fixed per run, so a run is reproducible */
};

/* Set up a context: field and arg as above, scratch the arena the program
 * resets per record, now_us read from the clock once, here. */
void expr_ctx_init(struct expr_ctx *ctx, struct span (*field)(void *arg, size_t idx), void *arg,
		   struct arena *scratch);

/* 0, or -1 with err->msg set (a runtime type error: a bad record).  The
 * result may point into the record (the field callback's text), into e, or
 * into ctx->scratch: it is valid until the next arena reset or record.  An
 * expression is evaluated by one thread at a time (a regular expression's
 * match data is reused). */
int expr_eval(const struct expr *e, struct expr_ctx *ctx, struct val *out, struct expr_err *err);

/* At the end of input: for each field that e read and never found in a
 * record (a misspelled name, or "DE" meant as the text 'DE'), one message
 * on stderr, where: field "DE" never present in N records; for the text DE
 * write 'DE' (the hint when the name was written in double quotes; N is
 * the number of records e read the field in).  A warning (silenced by -q),
 * or with strict an error, after which the program exits ETL_EXIT_CHECK.
 * A field e never had to read (the right side of an 'and' whose left side
 * was never true) is not reported.  Returns the number of such fields. */
size_t expr_report_absent(const struct expr *e, const char *where, int strict);

/* The counts behind expr_report_absent(), for a program that evaluates e
 * in several processes: a worker appends its counts to b as a JSON array,
 * and the parent adds them to its own copy of e (parsed from the same
 * text).  expr_seen_add() returns 0, or -1 when counts is not such an
 * array (e's counts are then not to be trusted: a program stops there). */
void expr_seen_write(const struct expr *e, struct buf *b);
int expr_seen_add(struct expr *e, struct span counts);

/* Keep a value past the current record: *dst is *src with its bytes (a
 * string's, a JSON text's, a number's written text) appended to store and
 * pointed to there.  dst stays valid until store is changed again or
 * released; a value without bytes (null, a boolean, a time, a computed
 * number) takes nothing from store. */
void val_copy(struct val *dst, const struct val *src, struct buf *store);
/* A raw JSON value, validated by the scanner, as a val (strings decoded
 * into the arena). */
void val_from_json(struct val *v, struct span raw, struct arena *a);
/* Append v as JSON text: numbers exact (a number that came unchanged from
 * the record keeps its text), doubles in shortest round-trip form, times as
 * ISO-8601 strings. */
void val_to_json(struct buf *b, const struct val *v);
/* Truth for --where and if(): only true is true; null and false are not. */
int val_true(const struct val *v);
/* A total order for sorting and ranking: null < false < true < numbers (by
 * value, exact across kinds: 1.0 and 1.00 are equal) < strings (bytewise)
 * < times (by instant) < JSON (text, bytewise). */
int val_cmp(const struct val *a, const struct val *b);
/* A number (VAL_NUM) as the double nearest to it, whatever its size:
 * +-inf beyond a double's range, +-0 below it. */
double val_num_double(const struct val *v);
/* "a string", "a number"...: what v is, for messages. */
const char *val_kind_name(const struct val *v);

#endif
