/*
 * offset.c - stream offsets (offset.h).
 */
#include "offset.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

void offset_set_init(struct offset_set *s)
{
	s->e = NULL;
	s->n = s->cap = 0;
}

void offset_set_clear(struct offset_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->e[i].stream);
		free(s->e[i].pos);
	}
	s->n = 0;
}

void offset_set_release(struct offset_set *s)
{
	offset_set_clear(s);
	free(s->e);
	offset_set_init(s);
}

int offset_pos_valid(const char *p, size_t n)
{
	int digits = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9') {
			digits = 1;
		} else if (p[i] == '.' && digits) {
			digits = 0;
		} else {
			return 0;
		}
	}
	return digits;
}

/* The next component of a position at *i: its digits without leading
 * zeros, as [*start, *start + *len). */
static void component(const char *p, size_t n, size_t *i, size_t *start, size_t *len)
{
	size_t j = *i;

	while (j < n && p[j] == '0' && j + 1 < n && p[j + 1] != '.')
		j++;
	*start = j;
	while (j < n && p[j] != '.')
		j++;
	*len = j - *start;
	*i = j < n ? j + 1 : j;
}

int offset_pos_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i = 0, j = 0;

	while (i < alen && j < blen) {
		size_t as, al, bs, bl;
		int c;

		component(a, alen, &i, &as, &al);
		component(b, blen, &j, &bs, &bl);
		if (al != bl)
			return al < bl ? -1 : 1;
		c = memcmp(a + as, b + bs, al);
		if (c)
			return c < 0 ? -1 : 1;
	}
	/* "5" < "5.0": the one with components left is later */
	if (i < alen)
		return 1;
	if (j < blen)
		return -1;
	return 0;
}

static int stream_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Index of the stream, or where it would go (*found says which). */
static size_t find(const struct offset_set *s, const char *stream, size_t slen, int *found)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = stream_cmp(s->e[mid].stream, s->e[mid].slen, stream, slen);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static int stream_valid(const char *stream, size_t slen)
{
	return slen > 0 && !memchr(stream, ',', slen);
}

int offset_set_put(struct offset_set *s, const char *stream, size_t slen, const char *pos,
		   size_t plen)
{
	int found;
	size_t i;
	struct offset_entry *e;

	if (!stream_valid(stream, slen) || !offset_pos_valid(pos, plen))
		return -1;
	i = find(s, stream, slen, &found);
	if (found) {
		e = &s->e[i];
		if (offset_pos_cmp(pos, plen, e->pos, e->plen) > 0) {
			free(e->pos);
			e->pos = xstrndup(pos, plen);
			e->plen = plen;
		}
		return 0;
	}
	xgrow(&s->e, &s->cap, s->n + 1, sizeof(*s->e));
	memmove(&s->e[i + 1], &s->e[i], (s->n - i) * sizeof(*s->e));
	e = &s->e[i];
	e->stream = xstrndup(stream, slen);
	e->slen = slen;
	e->pos = xstrndup(pos, plen);
	e->plen = plen;
	s->n++;
	return 0;
}

/* Split the entry text[0..len) at its last ':'. */
static int split_entry(const char *text, size_t len, size_t *colon)
{
	size_t k = len;

	while (k > 0 && text[k - 1] != ':')
		k--;
	if (k == 0)
		return -1;
	*colon = k - 1;
	if (!stream_valid(text, *colon) || !offset_pos_valid(text + k, len - k))
		return -1;
	return 0;
}

/* Call fn on each entry of the offset text; -1 at the first malformed one
 * (checked all before any call when check_first). */
static int each_entry(const char *text, size_t len,
		      int (*fn)(void *, const char *, size_t, const char *, size_t), void *arg)
{
	size_t i = 0;

	if (len == 0)
		return -1;
	while (i <= len) {
		const char *comma = memchr(text + i, ',', len - i);
		size_t end = comma ? (size_t)(comma - text) : len, colon;
		int r;

		if (split_entry(text + i, end - i, &colon) < 0)
			return -1;
		if (fn) {
			r = fn(arg, text + i, colon, text + i + colon + 1, end - i - colon - 1);
			if (r)
				return r;
		}
		if (!comma)
			break;
		i = end + 1;
	}
	return 0;
}

static int put_cb(void *arg, const char *stream, size_t slen, const char *pos, size_t plen)
{
	return offset_set_put(arg, stream, slen, pos, plen);
}

int offset_set_add_text(struct offset_set *s, const char *text, size_t len)
{
	if (each_entry(text, len, NULL, NULL) < 0)
		return -1;
	return each_entry(text, len, put_cb, s);
}

void offset_set_merge(struct offset_set *dst, const struct offset_set *src)
{
	for (size_t i = 0; i < src->n; i++)
		offset_set_put(dst, src->e[i].stream, src->e[i].slen, src->e[i].pos,
			       src->e[i].plen);
}

const struct offset_entry *offset_set_get(const struct offset_set *s, const char *stream,
					  size_t slen)
{
	int found;
	size_t i = find(s, stream, slen, &found);

	return found ? &s->e[i] : NULL;
}

static int covers_cb(void *arg, const char *stream, size_t slen, const char *pos, size_t plen)
{
	const struct offset_entry *e = offset_set_get(arg, stream, slen);

	/* 1 stops the walk: this entry is not covered */
	return !e || offset_pos_cmp(pos, plen, e->pos, e->plen) > 0;
}

int offset_set_covers(const struct offset_set *s, const char *text, size_t len)
{
	int r;

	if (each_entry(text, len, NULL, NULL) < 0)
		return -1;
	r = each_entry(text, len, covers_cb, (void *)s);
	return r == 0;
}

/* The set as offset text, each position followed by suffix (or nothing). */
static void format(const struct offset_set *s, const char *suffix, struct buf *out)
{
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			buf_addc(out, ',');
		buf_add(out, s->e[i].stream, s->e[i].slen);
		buf_addc(out, ':');
		buf_add(out, s->e[i].pos, s->e[i].plen);
		if (suffix)
			buf_adds(out, suffix);
	}
}

void offset_set_format(const struct offset_set *s, struct buf *out)
{
	format(s, NULL, out);
}

void offset_stream_escape(struct buf *out, const char *name, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (name[i] == ',')
			buf_adds(out, "%2C");
		else if (name[i] == '%')
			buf_adds(out, "%25");
		else
			buf_addc(out, name[i]);
	}
}

int offset_pos_first(const char *pos, size_t n, unsigned long long *v)
{
	unsigned long long x = 0;

	for (size_t i = 0; i < n && pos[i] != '.'; i++) {
		unsigned d = (unsigned)(pos[i] - '0');

		if (x > (ULLONG_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

void offset_set_format_sub(const struct offset_set *s, uint64_t k, struct buf *out)
{
	char suffix[24];

	snprintf(suffix, sizeof(suffix), ".%llu", (unsigned long long)k);
	format(s, suffix, out);
}

void offset_set_first(struct offset_set *dst, const struct offset_set *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const char *dot = memchr(src->e[i].pos, '.', src->e[i].plen);

		offset_set_put(dst, src->e[i].stream, src->e[i].slen, src->e[i].pos,
			       dot ? (size_t)(dot - src->e[i].pos) : src->e[i].plen);
	}
}
