/*
 * sketch.h - summaries of large sets in small, bounded memory, mergeable
 * across machines: HyperLogLog for counting distinct values, t-digest for
 * quantiles.
 *
 * Both are plain structs owned by the caller (_init/_release), grow by
 * malloc only up to a fixed bound, and serialise to one JSON value so that
 * partial results written on several machines can be merged later.  Merging
 * is order-insensitive for HyperLogLog (exactly) and for t-digest (within
 * the sketch's error).
 */
#ifndef ETL_SKETCH_H
#define ETL_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "scan.h"

/*
 * HyperLogLog of 2^HLL_P one-byte registers, fed 64-bit hashes (uniform:
 * XXH3 of the value's canonical text).  Below HLL_SPARSE_MAX distinct
 * hashes the sketch keeps the hashes themselves and its count is exact;
 * beyond, it switches to the registers (16 KiB) and estimates with Ertl's
 * improved estimator (no empirical bias tables), standard error
 * 1.04 / sqrt(2^HLL_P) = 0.81%.
 */
#define HLL_P 14
#define HLL_M (1u << HLL_P)
#define HLL_SPARSE_MAX 1024

struct hll {
	uint64_t *set; /* sparse: open addressing, 0 = empty slot */
	uint32_t nset, capset;
	uint8_t *reg; /* dense: HLL_M registers, or NULL while sparse */
};

void hll_init(struct hll *h);
void hll_release(struct hll *h);
void hll_add(struct hll *h, uint64_t hash);
/* Fold src into dst (src unchanged). */
void hll_merge(struct hll *dst, const struct hll *src);
uint64_t hll_count(const struct hll *h);
/* Bytes allocated, for memory accounting. */
size_t hll_bytes(const struct hll *h);
/* One JSON value: an array of 16-digit hex hashes while sparse, else a
 * base64 string of the registers. */
void hll_write(const struct hll *h, struct buf *b);
/* Read what hll_write() wrote (validated JSON) into an initialised sketch,
 * merging into what it holds.  0, or -1 if v is not such a value. */
int hll_read(struct hll *h, struct span v);

/*
 * t-digest (Dunning's merging variant, scale function k1) of compression
 * TD_COMPRESSION: at most about TD_COMPRESSION * pi / 2 centroids, each a
 * mean and a weight, plus a buffer of values not yet merged.  Quantiles are
 * interpolated between centroid means and the exact minimum and maximum;
 * centroids near the tails are small, so extreme quantiles are the most
 * accurate.
 */
#define TD_COMPRESSION 200

struct td_centroid {
	double mean, w;
};

struct tdigest {
	struct td_centroid *c; /* merged centroids, sorted by mean */
	size_t n, cap;
	struct td_centroid *in; /* values added since the last merge */
	size_t nin, capin;
	double total; /* weight of c[] and in[] */
	double min, max;
};

void td_init(struct tdigest *t);
void td_release(struct tdigest *t);
void td_add(struct tdigest *t, double x, double w);
void td_merge(struct tdigest *dst, const struct tdigest *src);
/* The q-quantile (0 <= q <= 1); NaN when empty.  Merges the buffer first. */
double td_quantile(struct tdigest *t, double q);
size_t td_bytes(const struct tdigest *t);
/* {"min":..,"max":..,"c":[[mean,weight],...]} (merges the buffer first). */
void td_write(struct tdigest *t, struct buf *b);
/* Merge what td_write() wrote into t.  0, or -1 if v is not such a value. */
int td_read(struct tdigest *t, struct span v);

#endif
