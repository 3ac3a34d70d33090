/*
 * spill.h - scratch files for what outgrows memory: the records etl-dedupe
 * holds back, the runs of partial states etl-agg merges, and whatever runs
 * a sort or a join will write.
 *
 * A spill is an append-only file, unlinked as soon as it is made
 * (tempfile.h), so nothing is left behind however the run ends.  It is
 * written through a buffer and read back one of two ways, not both:
 *   - by offset (spill_read): any bytes written so far, even those still in
 *     the write buffer, with read-ahead for a pass in order;
 *   - once written, as lines from the start (spill_rewind, spill_line), as
 *     runs of NDJSON-like lines are merged.
 * Failing to create, write or read it is fatal (status 74), with the folder
 * as the place: "etl-NAME: /tmp: cannot write a temporary file: No space
 * left on device".
 */
#ifndef ETL_SPILL_H
#define ETL_SPILL_H

#include <stddef.h>
#include <stdint.h>

struct spill;

/* A new, empty spill in dir (NULL or "": $TMPDIR, or /tmp). */
struct spill *spill_open(const char *dir);
/* Append n bytes; the offset at which they start. */
uint64_t spill_write(struct spill *s, const void *p, size_t n);
/* The number of bytes written so far. */
uint64_t spill_size(const struct spill *s);
/* Copy the n bytes at off (off + n <= spill_size()) to dst.  Reading on
 * where the last read ended is served from a read-ahead buffer. */
void spill_read(struct spill *s, uint64_t off, void *dst, size_t n);
/* Done writing: read the lines from the start. */
void spill_rewind(struct spill *s);
/* The next line, without its '\n' and followed by a NUL (the scanner's
 * sentinel), in *line and *n: a view valid until the next call on s.  The
 * last line needs no '\n'.  1, or 0 at the end. */
int spill_line(struct spill *s, const char **line, size_t *n);
/* Close and free; NULL is nothing to do. */
void spill_close(struct spill *s);

#endif
