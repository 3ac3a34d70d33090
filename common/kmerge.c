/*
 * kmerge.c - a k-way merge (kmerge.h).
 *
 * heap[0] is the source whose current item is least, ties broken by the
 * lower index; every parent is no greater than its children by that order.
 */
#include "kmerge.h"

#include <stdlib.h>

#include "mem.h"
#include "banned.h"

static int less(const struct kmerge *m, size_t a, size_t b)
{
	int c = m->cmp(m->arg, a, b);

	return c < 0 || (c == 0 && a < b);
}

void kmerge_init(struct kmerge *m, int (*cmp)(void *arg, size_t a, size_t b), void *arg)
{
	m->cmp = cmp;
	m->arg = arg;
	m->heap = NULL;
	m->n = m->cap = 0;
}

void kmerge_release(struct kmerge *m)
{
	free(m->heap);
	m->heap = NULL;
	m->n = m->cap = 0;
}

void kmerge_add(struct kmerge *m, size_t src)
{
	size_t i = m->n;

	xgrow(&m->heap, &m->cap, m->n + 1, sizeof(*m->heap));
	m->n++;
	while (i > 0 && less(m, src, m->heap[(i - 1) / 2])) {
		m->heap[i] = m->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	m->heap[i] = src;
}

static void sift_down(struct kmerge *m)
{
	size_t i = 0, src = m->heap[0];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= m->n)
			break;
		if (c + 1 < m->n && less(m, m->heap[c + 1], m->heap[c]))
			c++;
		if (!less(m, m->heap[c], src))
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	m->heap[i] = src;
}

void kmerge_next(struct kmerge *m, int more)
{
	if (!more) {
		m->heap[0] = m->heap[--m->n];
		if (!m->n)
			return;
	}
	sift_down(m);
}
