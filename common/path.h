/*
 * path.h - field paths: "a.b.c" reaches into nested objects, a segment that
 * holds a dot, comma, space or quote is written quoted ("a.b".c, "x \"y\"").
 *
 * A path list is comma-separated paths ("order_id,line_no", "\"a,b\",c").
 * Segments are kept unescaped (the bytes a JSON key holds after decoding).
 * A path owns its memory; release it with path_release().
 */
#ifndef ETL_PATH_H
#define ETL_PATH_H

#include <stddef.h>

struct path_seg {
	char *s;
	size_t n;
};

struct path {
	struct path_seg *seg;
	size_t nseg;
	char *text; /* the path as written, for messages */
};

/* Parse one path at the start of s.  A bare segment is any run of bytes
 * other than '.', ',', '"', '=' and white space; a quoted one is a JSON-like
 * string with \" and \\ escapes.  With whole, all of s must be the path;
 * otherwise parsing stops before the first byte that cannot continue it (so
 * "a.b=1" gives "a.b" and 3).  Returns the bytes consumed, or -1 with a
 * static message in *err and the 0-based offset of the fault in *erroff. */
long path_parse(struct path *p, const char *s, int whole, const char **err, size_t *erroff);
/* Parse a comma-separated list into a new array; 0 or -1 as path_parse. */
int path_list_parse(const char *s, struct path **paths, size_t *n, const char **err,
		    size_t *erroff);
void path_release(struct path *p);
void path_list_free(struct path *paths, size_t n);

/* Do two segments hold the same bytes?  The one comparison of segments. */
int path_seg_eq(const struct path_seg *a, const struct path_seg *b);
/* Does p begin with the segments of prefix (or is it prefix)? */
int path_has_prefix(const struct path *p, const struct path *prefix);
/* The same segments, in the same order. */
int path_eq(const struct path *a, const struct path *b);
/* Write p in its canonical written form (quoting only where needed). */
struct buf;
void path_format(struct buf *b, const struct path *p);

#endif
