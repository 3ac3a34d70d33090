/*
 * buf.h - a growable byte buffer (the strbuf of this project).
 *
 * Invariant: p[len] == '\0' whenever p != NULL, so a buf can be used as a C
 * string; the buffer may also hold NUL bytes within its len.  A buf is
 * reused across records with buf_reset(), which keeps the memory: the hot
 * loop does not allocate once the buffer has grown to the largest record.
 */
#ifndef ETL_BUF_H
#define ETL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct buf {
	char *p;
	size_t len, cap;
};

#define BUF_INIT           \
	{                  \
		NULL, 0, 0 \
	}

void buf_init(struct buf *b);
/* Forget the content, keep the memory. */
static inline void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}
/* Free the memory; the buf is then as after buf_init(). */
void buf_release(struct buf *b);
/* Make room for n more bytes (plus the terminating NUL). */
void buf_grow(struct buf *b, size_t n);
void buf_add(struct buf *b, const void *p, size_t n);
static inline void buf_addc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap)
		buf_grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}
static inline void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Detach the content: the caller owns the returned string (never NULL). */
char *buf_detach(struct buf *b, size_t *len);

#endif
