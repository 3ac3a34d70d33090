/*
 * offset.h - stream offsets, the _off field of CONVENTIONS section 6.
 *
 * An offset is one or more entries "STREAM:POS" joined by ",":
 *
 *     payments/3:1204                       a Kafka record (topic/partition)
 *     etl_slot:23967816.4                   a change of PostgreSQL (slot, LSN.seq)
 *     /var/log/app.ndjson:81920             a line of a followed file
 *     payments/0:88,payments/1:95           what a window's state reflects
 *
 * STREAM is the text before an entry's last ':' (it may hold ':' itself, but
 * not ',' or '%', which offset_stream_escape() writes as %2C and %25); POS is
 * one or more decimal integers joined by '.', compared component by component
 * as numbers ("9" < "10", "5.2" < "5.10", "5" < "5.0").  Offsets of different
 * streams are not ordered: a set keeps the greatest position per stream.
 *
 * A sink commits the set of what it has written (etl-load-pg --offsets NAME
 * writes offset_set_format() to the state table in the transaction of the
 * rows); a source restarted with --from-state NAME resumes after it, and a
 * stateful filter skips a record whose offset the set covers.
 */
#ifndef ETL_OFFSET_H
#define ETL_OFFSET_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define OFFSET_FIELD "_off"

struct offset_entry {
	char *stream, *pos; /* owned, NUL-terminated */
	size_t slen, plen;
};

/* Entries sorted by stream (bytes), one per stream. */
struct offset_set {
	struct offset_entry *e;
	size_t n, cap;
};

#define OFFSET_SET_INIT    \
	{                  \
		NULL, 0, 0 \
	}

void offset_set_init(struct offset_set *s);
void offset_set_release(struct offset_set *s);
/* Forget every entry, keep the memory of the array. */
void offset_set_clear(struct offset_set *s);

/* Is p[0..n) a position ("17", "23967816.4")? */
int offset_pos_valid(const char *p, size_t n);
/* <0, 0, >0 as position a is before, equal to, after b; both valid. */
int offset_pos_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* Raise the stream's position to pos when greater (or add the stream).
 * Returns -1, leaving s as it was, when the stream is empty or holds ',' or
 * the position is not valid. */
int offset_set_put(struct offset_set *s, const char *stream, size_t slen, const char *pos,
		   size_t plen);
/* offset_set_put() each entry of the offset text[0..len).  Returns -1,
 * leaving s as it was, when the text is not an offset. */
int offset_set_add_text(struct offset_set *s, const char *text, size_t len);
/* offset_set_put() each entry of src into dst. */
void offset_set_merge(struct offset_set *dst, const struct offset_set *src);

/* The position of a stream, or NULL. */
const struct offset_entry *offset_set_get(const struct offset_set *s, const char *stream,
					  size_t slen);
/* 1 when every entry of the offset text[0..len) is at or before the set's
 * position for its stream: a record so tagged is already reflected by the
 * set.  0 when one is after, or of a stream the set does not have; -1 when
 * the text is not an offset. */
int offset_set_covers(const struct offset_set *s, const char *text, size_t len);

/* Append the set as offset text, streams in order ("" for an empty set). */
void offset_set_format(const struct offset_set *s, struct buf *out);
/* Append the set with one more position component k to each entry
 * ("p/0:15" and k = 2 give "p/0:15.2"): the offset of the k-th record
 * derived at the input point the set is (etl-agg's windows). */
void offset_set_format_sub(const struct offset_set *s, uint64_t k, struct buf *out);
/* Put into dst each entry of src cut to its first position component
 * ("p/0:15.2" gives "p/0:15"): where a source resumes after. */
void offset_set_first(struct offset_set *dst, const struct offset_set *src);
/* Append name with ',' and '%' written as %2C and %25, fit for a STREAM. */
void offset_stream_escape(struct buf *out, const char *name, size_t n);

#endif
