/*
 * mem.h - allocation that cannot fail: on exhaustion the program dies with
 * status 70 and a message, so callers never check for NULL.
 */
#ifndef ETL_MEM_H
#define ETL_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow *p (holding *cap elements of size) to hold at least need elements. */
void xgrow(void *pp, size_t *cap, size_t need, size_t size);

#endif
