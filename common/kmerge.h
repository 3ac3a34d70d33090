/*
 * kmerge.h - a k-way merge: which of k sorted sources holds the smallest
 * current item, for merging sorted runs from spill files (etl-sort) or
 * sorted inputs.
 *
 * The merge knows sources only by their index; the caller keeps each
 * source's current item and compares two sources' items with cmp.  Ties go
 * to the lower index, so merging runs numbered in input order is stable.
 * A binary heap: log2(k) comparisons per item.
 */
#ifndef ETL_KMERGE_H
#define ETL_KMERGE_H

#include <stddef.h>

struct kmerge {
	/* <0, 0, >0 as source a's current item sorts before, with, after b's */
	int (*cmp)(void *arg, size_t a, size_t b);
	void *arg;
	size_t *heap;
	size_t n, cap;
};

void kmerge_init(struct kmerge *m, int (*cmp)(void *arg, size_t a, size_t b), void *arg);
void kmerge_release(struct kmerge *m);
/* Add source i, which has a current item. */
void kmerge_add(struct kmerge *m, size_t i);
/* The number of sources with a current item. */
static inline size_t kmerge_count(const struct kmerge *m)
{
	return m->n;
}
/* The source whose current item comes next; kmerge_count() > 0. */
static inline size_t kmerge_top(const struct kmerge *m)
{
	return m->heap[0];
}
/* The top source moved on to its next item (more != 0) or ran out. */
void kmerge_next(struct kmerge *m, int more);

#endif
