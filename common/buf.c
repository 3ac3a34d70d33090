/*
 * buf.c - the growable byte buffer; see buf.h for the invariant (always
 * NUL-terminated once allocated, memory kept across buf_reset()).
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "mem.h"
#include "banned.h"

void buf_init(struct buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

void buf_release(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

void buf_grow(struct buf *b, size_t n)
{
	size_t need = b->len + n + 1;
	size_t c = b->cap ? b->cap : 64;

	if (need <= b->cap)
		return;
	while (c < need)
		c = c < 1024 * 1024 ? c * 2 : c + c / 2;
	b->p = xrealloc(b->p, c);
	b->cap = c;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	if (!n) {
		if (!b->p)
			buf_grow(b, 0), b->p[0] = '\0';
		return;
	}
	if (b->len + n + 1 > b->cap)
		buf_grow(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	buf_grow(b, 64);
	va_copy(aq, ap);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		buf_grow(b, n);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (!b->p)
		buf_grow(b, 0), b->p[0] = '\0';
	p = b->p;
	if (len)
		*len = b->len;
	buf_init(b);
	return p;
}
