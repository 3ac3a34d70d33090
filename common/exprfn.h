/*
 * exprfn.h - the inside of the expression language, shared by expr.c (the
 * parser, the operators, values) and exprfn.c (the functions).  Private to
 * those two files: programs use expr.h.
 *
 * A parsed expression is a tree of nodes allocated in the expression's own
 * arena; subtrees made only of literals are folded into constants at parse
 * time.  Evaluation walks the tree with a struct ev, which carries the
 * caller's context and error slot; every function returns 0, or -1 after
 * filling the error through ev_fail().
 */
#ifndef ETL_EXPRFN_H
#define ETL_EXPRFN_H

#include "expr.h"

enum op {
	OP_CONST, /* k */
	OP_FIELD, /* field */
	OP_CALL,  /* fn(args) */
	OP_NEG,
	OP_NOT,
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_MOD,
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_AND,
	OP_OR,
	OP_COAL,
	OP_IN, /* args[0] in [args[1], ...], or in the array args[1] when !list */
	OP_NOTIN,
};

struct exprfn;

/* A field an expression reads, once per distinct path in the expression:
 * how many times it was read and how many of those found it present. */
struct fref {
	size_t field;
	uint64_t reads, hits;
	uint32_t off, len; /* the first reference's text, as written */
	struct fref *next;
};

struct node {
	uint8_t op;
	uint8_t list; /* OP_IN, OP_NOTIN: the right side is a bracketed list */
	uint32_t nargs;
	uint32_t off, len; /* the node's text in the source, for messages */
	uint32_t coff;     /* byte offset of its operator or function name */
	uint32_t height;   /* of the subtree: bounds the evaluator's recursion */
	struct node **args;
	struct val k;     /* OP_CONST */
	size_t field;     /* OP_FIELD: index in the program's expr_fields */
	struct fref *ref; /* OP_FIELD: what was seen of the field (expr_report_absent) */
	const struct exprfn *fn;
	void *aux; /* a function's parse-time state (a compiled regex) */
};

struct ev {
	struct expr_ctx *ctx;
	struct expr_err *err;
	const char *src; /* the expression's text */
	struct arena *a; /* where results live: the context's scratch */
};

enum {
	FN_LAZY = 1,   /* evaluates its own arguments (if, coalesce) */
	FN_IMPURE = 2, /* never folded at parse time (now) */
	FN_NULLS = 4,  /* sees null arguments; otherwise any null argument gives null */
};
#define FN_ANY 255 /* max: any number of arguments */

struct exprfn {
	const char *name;
	uint8_t min, max, flags;
	/* args: the evaluated arguments (NULL for FN_LAZY). */
	int (*eval)(struct ev *ev, const struct node *n, struct val *args, struct val *out);
	/* At parse time, after the arguments are parsed: validate literal
	 * arguments, prepare aux.  0, or -1 with err set. */
	int (*check)(struct expr *e, struct node *n, struct expr_err *err);
};

const struct exprfn *exprfn_find(const char *name, size_t n);
/* The known function nearest to a misspelt name, or NULL. */
const char *exprfn_suggest(const char *name, size_t n);

/* ---- provided by expr.c ---- */
int ev_eval(struct ev *ev, const struct node *n, struct val *out);
/* Set the error to "<the node's text>: <message>" at the node's column;
 * returns -1. */
int ev_fail(struct ev *ev, const struct node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Set a parse-time error at the node's column (for check hooks); -1. */
int expr_node_error(struct expr *e, const struct node *n, struct expr_err *err, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));
/* Run fn(p) when the expression is freed. */
void expr_on_free(struct expr *e, void (*fn)(void *), void *p);

/* Parse number text (lenient: also "+1", "007", surrounding blanks) into v;
 * the text must outlive v.  0, or -1 if it is not a number. */
int val_parse_number(struct val *v, const char *p, size_t n);
/* A number's JSON text (v->s when set, else formatted into the arena). */
struct span val_num_text(const struct val *v, struct arena *a);
/* The time a val denotes: a time, or a string in ISO-8601.  1 if it does. */
int val_as_time(const struct val *v, int64_t *us, int32_t *off);
/* Is v an integral number that fits int64_t?  1 and *out if so. */
int val_as_i64(const struct val *v, int64_t *out);

/* How num_round() rounds. */
enum round_mode {
	ROUND_DOWN,      /* toward -infinity: floor() */
	ROUND_UP,        /* toward +infinity: ceil() */
	ROUND_TRUNC,     /* toward 0: to_int() */
	ROUND_HALF_AWAY, /* to the nearest, halves away from 0: round() */
};
/* v, an exact number (a decimal or a big one, not a double), rounded to
 * digits places after the point (negative: to tens, hundreds...) exactly:
 * a decimal when it fits, else its text (an integer's digits, or the digits
 * of one beyond the decimal type with its point), 0 never negative.  A value
 * with no nonzero digit to cut comes back as it was, keeping its text:
 * floor(1e400) is 1e400.  0, or -1 after ev_fail() when the result is too
 * large for a number (an integer of more than 2000 digits). */
int num_round(struct ev *ev, const struct node *n, const struct val *v, int64_t digits,
	      enum round_mode mode, struct val *out);

static inline void val_set_null(struct val *v)
{
	v->k = VAL_NULL;
}

static inline void val_set_bool(struct val *v, int b)
{
	v->k = VAL_BOOL;
	v->b = b != 0;
}

static inline void val_set_dec(struct val *v, const dec_t *d)
{
	v->k = VAL_NUM;
	v->nk = NUM_DEC;
	v->d = *d;
	v->s.p = NULL;
	v->s.n = 0;
}

/* A computed zero is 0, never -0 (ceil(-0.5 / 3)). */
static inline void val_set_dbl(struct val *v, double f)
{
	v->k = VAL_NUM;
	v->nk = NUM_DBL;
	v->f = f == 0 ? 0 : f;
	v->s.p = NULL;
	v->s.n = 0;
}

static inline void val_set_str(struct val *v, const char *p, size_t n)
{
	v->k = VAL_STR;
	v->s.p = p;
	v->s.n = n;
}

static inline void val_set_time(struct val *v, int64_t us, int32_t off)
{
	v->k = VAL_TIME;
	v->t_us = us;
	v->t_off = off;
}

#endif
