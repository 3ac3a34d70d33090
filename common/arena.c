/*
 * arena.c - the per-record bump allocator (arena.h).
 *
 * Invariant: head is the block being filled; a reset frees all blocks but
 * the largest, so a steady stream of similar records settles into one block
 * and zero mallocs per record.
 */
#include "arena.h"

#include <stdlib.h>

#include "mem.h"
#include "banned.h"

struct arena_block {
	struct arena_block *next;
	size_t size;
	_Alignas(16) unsigned char data[];
};

#define MIN_BLOCK (64 * 1024)

void *arena_alloc(struct arena *a, size_t n)
{
	size_t off = (a->used + 15) & ~(size_t)15;
	struct arena_block *b;

	if (a->head && off + n <= a->head->size) {
		a->used = off + n;
		return a->head->data + off;
	}
	{
		size_t size = a->head ? a->head->size * 2 : MIN_BLOCK;

		while (size < n)
			size *= 2;
		b = xmalloc(sizeof(*b) + size);
		b->size = size;
		b->next = a->head;
		a->head = b;
		a->used = n;
		return b->data;
	}
}

void arena_reset(struct arena *a)
{
	struct arena_block *b = a->head, *keep = NULL;

	/* blocks double, so the head is the largest */
	if (b) {
		keep = b;
		b = b->next;
		keep->next = NULL;
	}
	while (b) {
		struct arena_block *next = b->next;

		free(b);
		b = next;
	}
	a->head = keep;
	a->used = 0;
}

void arena_release(struct arena *a)
{
	arena_reset(a);
	free(a->head);
	a->head = NULL;
}
