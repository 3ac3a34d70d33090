/*
 * input.h - the input files of a program, read in order in large chunks.
 *
 * "FILE..." with none or "-" meaning stdin (CONVENTIONS section 2).  The
 * reader hands out whole lines as views into its buffer, valid until the next
 * call; a line longer than the buffer grows the buffer, so lines of any
 * length work and memory follows the longest line.  "\r\n" endings are
 * stripped to the line, a missing final newline is a line all the same.
 * Line numbers are the file's physical lines, 1-based, so blank lines count.
 *
 * Chunked access (input_chunk) serves readers of other formats (CSV) with
 * the same files, the same byte counting and the same error handling.
 * A file that cannot be opened or read is fatal: status 74.
 */
#ifndef ETL_INPUT_H
#define ETL_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct input;

/* files: NULL-terminated-free array of n names ("-" is stdin); n == 0 reads stdin. */
struct input *input_open(char **files, size_t n);
void input_close(struct input *in);

struct line {
	const char *p; /* without the line ending */
	size_t n;
	const char *file; /* name for messages ("-" shows as "<stdin>") */
	uint64_t lineno;
	uint64_t off; /* the byte offset of its first byte in the file */
};
/* Only the bytes [start, end) of one regular file, its lines numbered from
 * lineno + 1: a part of a file cut at line boundaries (start is 0 or just
 * after a '\n'), for several processes to read one file in parallel. */
struct input *input_open_range(const char *file, uint64_t start, uint64_t end, uint64_t lineno);

/* Follow the inputs opened after this call as tail -F does (--follow):
 * the end of the file is not the end of the input, more lines are waited
 * for (a short poll), a line is handed out only once its '\n' is written,
 * and a file renamed away (rotation) or truncated is read again from its
 * start, with a warning.  Reading begins at byte start; with skip_line,
 * after the line that begins there (a resume after a loaded line).  For
 * one regular file: cli checks it (CLI_FOLLOW). */
void input_follow_all(uint64_t start, int skip_line);
/* Is the input followed? */
int input_following(const struct input *in);

/* Wait at most ms milliseconds for bytes before a read (< 0: forever, the
 * default).  When the wait runs out, input_line() and input_chunk() return
 * INPUT_TIMEOUT; the bytes of an unfinished line are kept, and the next call
 * goes on where this one stopped.  For streams that may go quiet (tail -F). */
void input_set_timeout(struct input *in, int ms);
#define INPUT_TIMEOUT (-1)

/* Next line, blank lines included; 0 at the end of all inputs (or
 * INPUT_TIMEOUT, only with a timeout set). */
int input_line(struct input *in, struct line *l);
/* The number of the last line handed out (of a range: counted from its
 * lineno). */
uint64_t input_lineno(const struct input *in);

/* Next chunk of raw bytes of the current file.  *file is its name; *first is
 * set when the chunk starts a new file.  0 at the end of all inputs (or
 * INPUT_TIMEOUT, only with a timeout set). */
int input_chunk(struct input *in, const char **p, size_t *n, const char **file, int *first);

/* Bytes read so far, and the total size of all inputs when all are regular
 * files (else 0): for --progress. */
uint64_t input_bytes(const struct input *in);
uint64_t input_total(const struct input *in);

#endif
