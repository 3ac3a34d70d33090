/*
 * template.c - text with "{path}" placeholders (template.h), for
 * etl-fetch-api's URLs and bodies and etl-kafka's message keys.
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "jsonw.h"
#include "mem.h"
#include "path.h"
#include "template.h"
#include "banned.h"

/* A template's "{path}": the path's text, from s (after '{') to its '}'. */
static size_t placeholder(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");

	return n && s[n] == '}' ? n : 0;
}

/* See template.h. */
int template_expand(struct buf *dst, const char *tpl, struct span rec, int how, struct buf *err)
{
	struct buf v = BUF_INIT;

	for (const char *p = tpl; *p;) {
		size_t n = *p == '{' ? placeholder(p + 1) : 0;
		struct path path;
		struct span val;
		const char *e;
		size_t eo;

		if (!n) {
			buf_addc(dst, *p++);
			continue;
		}
		{
			char *text = xstrndup(p + 1, n);

			if (path_parse(&path, text, 1, &e, &eo) < 0) {
				free(text);
				buf_add(dst, p, n + 2);
				p += n + 2;
				continue;
			}
			free(text);
		}
		val = scan_lookup(rec, &path);
		path_release(&path);
		buf_reset(&v);
		switch (scan_kind(val)) {
		case SCAN_STRING:
			scan_string(&v, val);
			break;
		case SCAN_NUMBER:
		case SCAN_TRUE:
		case SCAN_FALSE:
			buf_add(&v, val.p, val.n);
			break;
		default:
			buf_printf(err, "the field %.*s of the template is %s", (int)n, p + 1,
				   scan_kind(val) == SCAN_NONE || scan_kind(val) == SCAN_NULL
					   ? "missing"
					   : "not a string, a number or a boolean");
			buf_release(&v);
			return -1;
		}
		if (how == 'u') {
			http_escape(dst, v.p ? v.p : "", v.len);
		} else if (how == 'j') {
			size_t at = dst->len;

			jw_string(dst, v.p ? v.p : "", v.len);
			/* without its quotes: the template has them */
			memmove(dst->p + at, dst->p + at + 1, dst->len - at - 2);
			dst->len -= 2;
			dst->p[dst->len] = '\0';
		} else {
			buf_add(dst, v.p ? v.p : "", v.len);
		}
		p += n + 2;
	}
	buf_release(&v);
	return 0;
}
