/*
 * path.c - parsing and printing field paths (path.h).  A parsed path owns
 * unescaped copies of its segments, so lookups compare bytes directly.
 */
#include "path.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mem.h"
#include "banned.h"

static int is_bare(unsigned char c)
{
	return c != '.' && c != ',' && c != '"' && c != '=' && c != ' ' && c != '\t' && c != '\n' &&
	       c != '\r' && c != '\0';
}

long path_parse(struct path *p, const char *s, int whole, const char **err, size_t *erroff)
{
	const char *q = s;
	size_t cap = 0;
	struct buf seg = BUF_INIT;

	p->seg = NULL;
	p->nseg = 0;
	p->text = NULL;
	for (;;) {
		buf_reset(&seg);
		if (*q == '"') {
			q++;
			while (*q != '"') {
				if (!*q) {
					*err = "unterminated quoted segment";
					goto fail;
				}
				if (*q == '\\') {
					q++;
					if (*q != '"' && *q != '\\') {
						*err = "only \\\" and \\\\ escapes are allowed in a "
						       "quoted segment";
						goto fail;
					}
				}
				buf_addc(&seg, *q++);
			}
			q++;
		} else {
			const char *b = q;

			while (is_bare((unsigned char)*q))
				q++;
			if (q == b) {
				*err = "empty field name";
				goto fail;
			}
			buf_add(&seg, b, q - b);
		}
		xgrow(&p->seg, &cap, p->nseg + 1, sizeof(*p->seg));
		p->seg[p->nseg].n = seg.len;
		p->seg[p->nseg].s = xstrndup(seg.p ? seg.p : "", seg.len);
		p->nseg++;
		if (*q != '.')
			break;
		q++;
	}
	if (whole && *q) {
		*err = "unexpected character in field path";
		goto fail;
	}
	buf_release(&seg);
	p->text = xstrndup(s, q - s);
	return q - s;
fail:
	*erroff = q - s;
	buf_release(&seg);
	path_release(p);
	return -1;
}

int path_list_parse(const char *s, struct path **paths, size_t *n, const char **err, size_t *erroff)
{
	const char *q = s;
	size_t cap = 0;

	*paths = NULL;
	*n = 0;
	for (;;) {
		long k;

		xgrow(paths, &cap, *n + 1, sizeof(**paths));
		k = path_parse(&(*paths)[*n], q, 0, err, erroff);
		if (k < 0) {
			*erroff += q - s;
			goto fail;
		}
		(*n)++;
		q += k;
		if (!*q)
			return 0;
		if (*q != ',') {
			*err = "expected ',' between field paths";
			*erroff = q - s;
			goto fail;
		}
		q++;
	}
fail:
	path_list_free(*paths, *n);
	*paths = NULL;
	*n = 0;
	return -1;
}

void path_release(struct path *p)
{
	for (size_t i = 0; i < p->nseg; i++)
		free(p->seg[i].s);
	free(p->seg);
	free(p->text);
	p->seg = NULL;
	p->nseg = 0;
	p->text = NULL;
}

void path_list_free(struct path *paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		path_release(&paths[i]);
	free(paths);
}

int path_seg_eq(const struct path_seg *a, const struct path_seg *b)
{
	return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
}

int path_has_prefix(const struct path *p, const struct path *prefix)
{
	if (p->nseg < prefix->nseg)
		return 0;
	for (size_t i = 0; i < prefix->nseg; i++)
		if (!path_seg_eq(&p->seg[i], &prefix->seg[i]))
			return 0;
	return 1;
}

int path_eq(const struct path *a, const struct path *b)
{
	return a->nseg == b->nseg && path_has_prefix(a, b);
}

void path_format(struct buf *b, const struct path *p)
{
	for (size_t i = 0; i < p->nseg; i++) {
		const struct path_seg *sg = &p->seg[i];
		int bare = sg->n > 0;

		for (size_t j = 0; j < sg->n && bare; j++)
			bare = is_bare((unsigned char)sg->s[j]);
		if (i)
			buf_addc(b, '.');
		if (bare) {
			buf_add(b, sg->s, sg->n);
			continue;
		}
		buf_addc(b, '"');
		for (size_t j = 0; j < sg->n; j++) {
			if (sg->s[j] == '"' || sg->s[j] == '\\')
				buf_addc(b, '\\');
			buf_addc(b, sg->s[j]);
		}
		buf_addc(b, '"');
	}
}
