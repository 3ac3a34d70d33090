/*
 * body.c - the records of a response body (body.h).
 *
 * A body is checked whole (JSON) or line by line (NDJSON) before the first
 * record is handed out, so a page is either all written or, when it is
 * malformed, not at all: a later run never finds half a page downstream.
 */
#include "body.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "ndjson.h"
#include "banned.h"

static int parse_part(struct path *p, const char *s, size_t off, const char **err, size_t *erroff)
{
	long r;

	if (!*s || !strcmp(s, ".")) {
		p->seg = NULL;
		p->nseg = 0;
		p->text = NULL;
		return 0;
	}
	r = path_parse(p, s, 1, err, erroff);
	if (r < 0) {
		*erroff += off;
		return -1;
	}
	return 0;
}

int body_spec_parse(struct body_spec *s, const char *text, const char **err, size_t *erroff)
{
	const char *star = strstr(text, "[*]");
	char *pre;
	int r;

	memset(s, 0, sizeof(*s));
	if (!star)
		return parse_part(&s->pre, text, 0, err, erroff);
	s->star = 1;
	if (star[3] && star[3] != '.') {
		*err = "expected '.' after [*]";
		*erroff = star + 3 - text;
		return -1;
	}
	if (strstr(star + 3, "[*]")) {
		*err = "only one [*] is allowed";
		*erroff = strstr(star + 3, "[*]") - text;
		return -1;
	}
	pre = xstrndup(text, star - text);
	r = parse_part(&s->pre, pre, 0, err, erroff);
	free(pre);
	if (r < 0)
		return -1;
	if (star[3] && parse_part(&s->post, star + 4, star + 4 - text, err, erroff) < 0) {
		path_release(&s->pre);
		return -1;
	}
	return 0;
}

void body_spec_release(struct body_spec *s)
{
	if (s->pre.nseg)
		path_release(&s->pre);
	if (s->post.nseg)
		path_release(&s->post);
	memset(s, 0, sizeof(*s));
}

static struct span lookup(struct span v, const struct path *p)
{
	return p->nseg ? scan_lookup(v, p) : scan_trim(v);
}

static int fail(struct body_err *err, const char *base, const char *at, const char *msg)
{
	err->off = at - base;
	err->msg = msg;
	err->syntax = 0;
	return -1;
}

static long json_records(const char *p, size_t n, const struct body_spec *s, body_fn fn, void *ctx,
			 struct span *root, struct body_err *err)
{
	struct scan_err se;
	struct span v, key, el;
	struct scan_iter it;
	long count = 0;

	if (scan_value(p, n, &se) < 0) {
		err->off = se.off;
		err->msg = se.msg;
		err->syntax = 1;
		return -1;
	}
	*root = scan_trim((struct span){p, n});
	v = lookup(*root, &s->pre);
	switch (scan_kind(v)) {
	case SCAN_NONE:
	case SCAN_NULL:
		return 0;
	case SCAN_OBJECT:
		if (s->star)
			return fail(err, p, v.p, "expected an array at the records path");
		fn(ctx, v);
		return 1;
	case SCAN_ARRAY:
		break;
	default:
		return fail(err, p, v.p, "expected an array or an object at the records path");
	}
	/* two passes: a page with a bad element writes nothing */
	for (int emit = 0; emit < 2; emit++) {
		scan_iter_init(&it, v);
		while (scan_iter_next(&it, &key, &el)) {
			struct span r = s->star ? lookup(el, &s->post) : scan_trim(el);

			if (s->star && scan_kind(r) == SCAN_NONE)
				continue;
			if (scan_kind(r) != SCAN_OBJECT)
				return fail(err, p, r.p ? r.p : scan_trim(el).p,
					    "a record is not an object");
			if (emit) {
				fn(ctx, r);
				count++;
			}
		}
	}
	return count;
}

static long ndjson_records(char *p, size_t n, body_fn fn, void *ctx, struct body_err *err)
{
	char *end = p + n;
	struct scan_err se;
	long count = 0;

	/* two passes, as for JSON: all lines are checked before the first
	 * record goes out */
	for (int emit = 0; emit < 2; emit++) {
		for (char *q = p; q < end;) {
			char *nl = memchr(q, '\n', end - q), *le = nl ? nl : end;
			size_t len = le - q;

			if (len && q[len - 1] == '\r')
				len--;
			if (nd_blank(q, len)) {
				/* skipped */
			} else if (emit) {
				fn(ctx, (struct span){q, len});
				count++;
			} else {
				/* the scanner wants a NUL after the text: lend it the line end */
				char save = q[len];
				int r;

				q[len] = '\0';
				r = scan_record(q, len, NULL, NULL, &se);
				q[len] = save;
				if (r < 0) {
					fail(err, p, q + se.off, se.msg);
					err->syntax = se.syntax;
					return -1;
				}
			}
			q = nl ? nl + 1 : end;
		}
	}
	return count;
}

long body_records(char *p, size_t n, enum body_format f, const struct body_spec *s, body_fn fn,
		  void *ctx, struct span *root, struct body_err *err)
{
	root->p = NULL;
	root->n = 0;
	if (f == BODY_NDJSON)
		return ndjson_records(p, n, fn, ctx, err);
	return json_records(p, n, s, fn, ctx, root, err);
}
