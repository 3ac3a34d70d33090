/*
 * arena.h - a bump allocator for per-record scratch memory.
 *
 * The hot loop does not allocate: what a record needs for the time it is
 * processed (decoded strings, intermediate values) comes from an arena that
 * is reset before the next record.  Blocks are kept across resets, so after
 * the first few records the arena stops calling malloc at all.  Memory
 * returned is aligned for any type and valid until the next arena_reset().
 */
#ifndef ETL_ARENA_H
#define ETL_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head; /* current block; earlier ones follow */
	size_t used;              /* bytes used in head */
};

#define ARENA_INIT      \
	{               \
		NULL, 0 \
	}

void *arena_alloc(struct arena *a, size_t n);
/* Forget everything allocated; keep the largest block for reuse. */
void arena_reset(struct arena *a);
void arena_release(struct arena *a);

#endif
