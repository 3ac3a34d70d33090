/*
 * fuzz_csv.c - libFuzzer target for the CSV reader (common/csvread.c).
 *
 * The reader's two exits are the emit callback (a finished line), which
 * checks the line, and its die hook (a fatal header or usage problem),
 * which jumps back here instead of ending the process.  Bad records are
 * skipped and counted.
 *
 * The first two bytes choose the options (--infer, the header mode, --null,
 * --types, the delimiter or its detection, the quote) and the size of the
 * pieces the rest is fed in, so records cross chunk boundaries as they do in
 * big files.  Each piece is a fresh allocation freed after use, as the
 * reader's caller reuses its buffer: a pointer kept into an old chunk is a
 * use after free.
 *
 * Invariants checked (abort() on a violation): every line written is one
 * valid JSON object without a line break; every record is written or
 * counted bad (records_in = records_out + bad); the word-at-a-time
 * plain_ascii() agrees with the byte-by-byte definition; the detected
 * delimiter is one of the four candidates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bad.h"
#include "cast.h"
#include "csvread.h"
#include "die.h"
#include "path.h"
#include "scan.h"
#include "stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static jmp_buf fatal;
static char *chunk; /* the piece being fed, freed even after a longjmp */
static struct cast_spec *types;
static size_t ntypes;

static void check(int ok)
{
	if (!ok)
		abort();
}

static void fuzz_emit(void *ctx, const char *p, size_t n)
{
	struct scan_err err;

	(void)ctx;
	check(p[n] == '\0'); /* the line is a buf: scan_record's sentinel */
	check(!memchr(p, '\n', n));
	check(scan_record(p, n, NULL, NULL, &err) == 0);
}

static void fuzz_die(int status, const char *where, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
static void fuzz_die(int status, const char *where, const char *fmt, ...)
{
	(void)where;
	(void)fmt;
	/* a header or --types problem is the input's fault; anything else a bug */
	check(status == ETL_EXIT_DATA || status == ETL_EXIT_USAGE);
	longjmp(fatal, 1);
}

static void check_plain_ascii(const uint8_t *p, size_t n)
{
	int want = 1;

	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] >= 0x80 || p[i] == '"' || p[i] == '\\')
			want = 0;
	check(csvread_plain_ascii((const char *)p, n) == want);
}

/* --types for columns c1..ck, the types in turn from a starting one. */
static void set_types(unsigned k, unsigned first)
{
	static const int order[] = {CAST_INT,  CAST_DECIMAL,   CAST_FLOAT, CAST_BOOL,
				    CAST_DATE, CAST_TIMESTAMP, CAST_JSON,  CAST_STRING};

	types = calloc(k, sizeof(*types));
	for (unsigned i = 0; i < k; i++) {
		char name[8];
		const char *err;
		size_t off;

		snprintf(name, sizeof(name), "c%u", i + 1);
		check(path_parse(&types[i].path, name, 1, &err, &off) > 0);
		types[i].type = order[(first + i) % 8];
	}
	ntypes = k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct span null_list[2] = {{"", 0}, {"NA", 2}};
	static struct path given_names[3];
	static int once;
	uint64_t in0 = stats.records_in, out0 = stats.records_out, bad0 = stats.bad;
	struct csvread_opts o = {.dialect = CSV_DIALECT_INIT, .count = 1, .die = fuzz_die};
	struct csvread *volatile r = NULL;
	size_t piece;
	unsigned char d;

	if (!once) {
		const char *names[3] = {"c1", "c2", "c3"};
		const char *err;
		size_t off;

		once = 1;
		etl_quiet = 1;
		bad_setup("skip", NULL);
		for (int i = 0; i < 3; i++)
			check(path_parse(&given_names[i], names[i], 1, &err, &off) > 0);
	}
	if (size < 2)
		return 0;
	check_plain_ascii(data, size);
	d = csvread_detect((const char *)data, size, '"', 1);
	check(d == ',' || d == ';' || d == '\t' || d == '|');
	o.infer = data[0] & 1;
	o.header = (data[0] >> 1 & 3) % 3;
	o.given = given_names;
	o.ngiven = 3;
	o.nulls = data[0] & 8 ? null_list : NULL;
	o.nnull = data[0] & 8 ? 2 : 0;
	o.dialect.delim = data[0] & 16 ? ';' : data[0] & 32 ? '\t' : data[1] & 8 ? 0 : ',';
	o.dialect.quote = data[0] & 64 ? '\'' : '"';
	types = NULL;
	ntypes = 0;
	if (data[0] & 128)
		set_types(1 + data[1] % 8, data[1] / 8);
	o.types = types;
	o.ntypes = ntypes;
	piece = data[1] & 7 ? (size_t)(data[1] & 7) * (data[1] >> 3) + 1 : size;
	data += 2;
	size -= 2;

	if (setjmp(fatal) == 0) {
		r = csvread_new(&o, fuzz_emit, NULL);
		csvread_begin(r, "fuzz");
		for (size_t at = 0; at < size; at += piece) {
			size_t n = size - at < piece ? size - at : piece;

			chunk = malloc(n);
			memcpy(chunk, data + at, n);
			csvread_feed(r, chunk, n);
			free(chunk);
			chunk = NULL;
		}
		csvread_end(r);
		check(stats.records_in - in0 == (stats.records_out - out0) + (stats.bad - bad0));
	}
	free(chunk);
	chunk = NULL;
	csvread_free(r);
	cast_list_free(types, ntypes);
	types = NULL;
	ntypes = 0;
	return 0;
}
