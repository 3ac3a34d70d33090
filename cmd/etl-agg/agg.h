/*
 * agg.h - the inside of etl-agg, shared by its files, each with one job;
 * a file calls only those listed below it, never one above:
 *
 *   main.c    options, the plan, and the run they ask for
 *   partial.c --merge, and the workers of a parallel run
 *   window.c  event-time windows over never-ending streams, their
 *             offsets and what their checkpoints hold
 *   checkpoint.c  the files of --checkpoint DIR
 *   spill.c   --memory: groups spilled to sorted runs, merged back
 *   result.c  result records, partial states, --sort
 *   group.c   records evaluated, their keys, the groups of a batch run
 *   func.c    the aggregate functions and the state blocks that hold them
 *   exact.c   exact sums of any size (struct xsum) and their quotients
 *
 * The plan (func.c) and the options (group.c) are filled in by main.c
 * before anything runs and only read afterwards.  Single-threaded
 * throughout: parallel runs fork worker processes, which share nothing but
 * the input file and hand back their partial states as NDJSON, so
 * module-level scratch buffers are safe.
 */
#ifndef ETL_AGG_H
#define ETL_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "decimal.h"
#include "expr.h"
#include "hash.h"
#include "path.h"
#include "scan.h"

/* ---- exact.c: exact sums ---- */

/* A nonnegative integer of any size in base 10^9 limbs, least significant
 * first, with a sign and a scale: value = (neg ? -1 : 1) * limbs / 10^scale. */
struct wide {
	uint32_t *d;
	uint32_t n, cap; /* n == 0 for zero; d[n-1] != 0 otherwise */
	int32_t scale;
	uint8_t neg;
};

/* The largest exponent (either sign) and number of digits an exact sum takes:
 * a number beyond is refused (a record error), never rounded. */
#define WIDE_MAX_DIGITS 4000

/* An exact sum: a decimal while it fits 38 digits at the largest scale of
 * its terms, then a wide number.  Zeroed memory is a valid empty sum. */
struct xsum {
	dec_t d;
	struct wide *w;
};

void xsum_release(struct xsum *s);
/* 0, or -1 for a number beyond WIDE_MAX_DIGITS (nothing added). */
int xsum_add(struct xsum *s, const struct val *v);
/* Add v * v. */
int xsum_add_square(struct xsum *s, const struct val *v);
/* Can v be added (a number within range)? */
int xsum_can_add(const struct val *v);
void xsum_merge(struct xsum *s, const struct xsum *o);
/* The exact decimal text, scale kept (19.99 + 0.01 = 20.00). */
void xsum_write(const struct xsum *s, struct buf *b);
/* Add a number written by xsum_write().  0, or -1. */
int xsum_read(struct xsum *s, struct span v);
/* Append s / (n1 * n2) as a JSON number: the double nearest the exact
 * quotient, or, beyond the range of doubles, its 17 significant digits
 * ("5e+399").  Never null. */
void xsum_write_div(const struct xsum *s, uint64_t n1, uint64_t n2, struct buf *b);
/* Append the sample variance of n >= 2 values whose sum and sum of squares
 * are given, (n * sumsq - sum^2) / (n (n - 1)), exact up to the final
 * rounding, or with root its square root (the standard deviation), in the
 * same form. */
void xsum_write_var(uint64_t n, const struct xsum *sum, const struct xsum *sumsq, int root,
		    struct buf *b);
size_t xsum_bytes(const struct xsum *s);

/* ---- func.c: aggregate functions ---- */

struct agg;

struct fninfo {
	const char *name;
	uint8_t nargs;   /* 0: count(); 1: f(EXPR); 2: percentile(EXPR, p) */
	uint8_t numeric; /* takes numbers only */
	uint16_t size;   /* of its state */
	/* Add a non-null value that passed fn_check(). */
	void (*add)(const struct agg *a, void *st, const struct val *v);
	/* Fold src (from later input) into dst; src is released. */
	void (*merge)(const struct agg *a, void *dst, void *src);
	/* Append the result as a JSON value. */
	void (*finish)(const struct agg *a, void *st, struct buf *b);
	/* Append the state as a JSON value (for --partial). */
	void (*save)(const struct agg *a, void *st, struct buf *b);
	/* Fold a saved state (from later input) into st: 0, or -1. */
	int (*load)(const struct agg *a, void *st, struct span v);
	void (*release)(void *st);
	/* Heap bytes held, for --memory (NULL: none). */
	size_t (*bytes)(const void *st);
};

/* The function called name with nargs arguments (count has two forms). */
const struct fninfo *fn_find(const char *name, size_t n, int nargs);
/* The names, for messages: "count, count_distinct, ..." */
const char *fn_names(void);

/* One -a NAME=FUNC(EXPR[, P]). */
struct agg {
	char *name;
	char *spec; /* NAME=FUNC(ARGS) as given, for the partial header */
	const struct fninfo *fi;
	int ex;  /* index in plan.ex, -1 for count() */
	dec_t p; /* percentile(): the fraction, exact */
	double pf;
	size_t off;       /* of the state within a state block */
	struct buf label; /* "NAME": */
};

/* Is v acceptable to a's function?  0, or -1 with a message in err. */
int fn_check(const struct agg *a, const struct val *v, char *err, size_t errsz);

/* ---- the plan and options (main.c fills them in) ---- */

struct ndjson;

struct opts {
	int partial, merge;
	int jobs;        /* -1: as many as there are processors */
	uint64_t memory; /* --memory bytes, 0 = no limit */
	const char *temp_dir;
	const char *window;
	const char *time_field;
	struct path time_path;
	int64_t lateness_us;
	int lateness_set;
	const char *late; /* drop, fail or a file name */
	int emit_update, emit_set;
	int64_t idle_us;
	const char *ckpt_dir; /* --checkpoint */
	int64_t ckpt_interval_us;
	const char *from_state, *state_db, *state_table;
};
extern struct opts opt; /* group.c */

struct plan {
	struct agg *aggs;
	size_t naggs;
	size_t stsize;    /* a state block: every aggregate's state */
	struct expr **ex; /* distinct expressions */
	size_t nex;
	struct path *gpaths; /* -g */
	size_t ngpaths;
	int gflat;    /* every group path is one segment */
	size_t gbase; /* the group fields' index in the wanted values */
	size_t tbase; /* the time field's */
	size_t obase; /* _off's (with --window) */
	size_t nwant;
	struct path *want; /* expression fields, group fields, time field */
};
extern struct plan plan; /* func.c */

/* The per-record scratch of expression evaluation and of loaded states,
 * reset by the loop that reads the records (func.c). */
extern struct arena scratch;

/* ---- func.c: state blocks ---- */

/* State blocks: every aggregate's state, laid out by plan (zeroed = empty). */
void *states_new(void);
void states_add(void *st, const struct val *vals);
void states_merge(void *dst, void *src); /* releases src's contents */
void states_release(void *st);
size_t states_bytes(const void *st);
/* Fold a saved state array (of states_save) into st: 0, or -1 and err. */
int states_load(void *st, struct span arr, char *err, size_t errsz);
void states_save(void *st, struct buf *b);

/* ---- group.c: records, keys and the groups of a batch run ---- */

/* Evaluate every expression of a record into vals[plan.nex] and check them
 * against their aggregates: 0, or -1 with a message. */
int eval_record(struct span *rvals, struct val *vals, char *err, size_t errsz);

/* A group key's output text ("date":"2026-03-14","product_id":275) from the
 * raw values of the group fields (absent = null). */
void key_text(struct buf *b, const struct span *gvals);
/* Its hash (canonical: 1.0 and 1 are one group). */
struct hash128 key_hash(const struct span *gvals);

/* A group of the batch table: one arena allocation. */
struct group {
	struct hash128 h;
	uint64_t seq; /* first-seen order */
	char *key;    /* output text, NUL-terminated, after the states */
	uint32_t keylen;
	_Alignas(16) unsigned char st[];
};

/* The groups of a batch run, in first-seen order, and their index. */
struct groups {
	struct group **list;
	size_t n, cap;
	struct hash_table index; /* key hash -> group */
	struct arena arena;      /* the groups themselves */
	uint64_t seq;            /* the next first-seen number */
	uint64_t mem;            /* bytes of the groups and their states */
	/* With --memory, called when the groups outgrow it: it must write
	 * them out and forget them (groups_clear). */
	void (*full)(void);
};
extern struct groups batch;

/* Ready the groups once the plan is made; now_us is now() of expressions. */
void groups_init(int64_t now_us);
void groups_release(void);
/* The group of hash h, made when new: its key text is key (or, when NULL,
 * made from the group values gv). */
struct group *group_get(const struct span *gv, struct hash128 h, const char *key, size_t keylen);
/* The group of a record's group values. */
struct group *group_of(const struct span *gv);
/* Fold a state block (from later input) into g; src is left empty. */
void group_fold(struct group *g, void *src);
/* Add a record whose values passed eval_record(). */
void group_add(const struct span *gv, const struct val *vals);
/* Forget every group (after spilling them). */
void groups_clear(void);
size_t groups_memory(void);
/* Aggregate every record of nd. */
void consume(struct ndjson *nd);

/* ---- result.c: results, partial states, --sort ---- */

/* The header record of a partial stream (no newline). */
void partial_header(struct buf *b);
/* A group's partial record {"key":{KEY},"state":[...]} (no newline). */
void partial_group(struct buf *b, const char *key, size_t keylen, void *st);
/* Append a result record {KEY,EXTRA,aggregates} (no newline). */
void result_write(struct buf *b, const char *key, size_t keylen, const char *extra, size_t extralen,
		  void *st);
/* Write a result: straight out, or kept for --sort. */
void result_emit(const char *line, size_t n, uint64_t seq);
/* --sort KEYS: parse them (a usage error when bad); the number of keys (0:
 * first-seen order) and each one's path; the keys' values in a result
 * record (sort_nkeys() spans), and the order of two results' values. */
void sort_setup(const char *spec);
size_t sort_nkeys(void);
const struct path *sort_key(size_t i);
void sort_values(const char *json, size_t n, struct span *vals);
int sort_cmp(const struct span *a, const struct span *b);
/* Write every group in memory as a result (or a partial state, with
 * --partial), then the sorted results. */
void results_write(void);
void results_release(void);

/* ---- spill.c: --memory ---- */

/* Write the groups' partial states to a sorted run file and forget them
 * (the groups' full() hook). */
void spill_groups(void);
/* Write every group as a result (or a partial state), after merging what
 * was spilled. */
void groups_write(void);

/* ---- window.c ---- */

/* Check --window: 0, or -1. */
int window_parse(const char *spec);
void window_run(void);

/* ---- checkpoint.c ---- */

struct offset_set;
/* Read the folder (made when missing) and connect for --from-state. */
void ckpt_open(void);
/* The checkpoint to start from, whole (its first line is checkpoint.c's),
 * or NULL; the others are deleted. */
char *ckpt_choose(size_t *len);
/* Write a checkpoint at input point at, atomically, and prune. */
void ckpt_write(const struct offset_set *at, const char *body, size_t n);
void ckpt_release(void);

/* ---- partial.c: --merge and the workers of a parallel run ---- */

/* --merge: read partial streams, write results. */
void merge_run(void);
/* Split a large input file between worker processes: the reader of the
 * first part, which this process aggregates itself, or NULL when the input
 * is not split. */
struct ndjson *workers_start(void);
/* Fold in the workers' results, in input order. */
void workers_finish(void);

#endif
