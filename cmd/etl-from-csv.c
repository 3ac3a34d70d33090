/*
 * etl-from-csv - RFC 4180 CSV to NDJSON: one JSON object per CSV record.
 *
 * libcsv splits the bytes into fields; this file names them (header row,
 * --header or c1..cN), types them and writes each record as one line.
 * Invariants:
 *  - Every line written is a valid JSON object, keys in column order.  A
 *    value becomes a JSON number only when the written text is a valid JSON
 *    number: with --infer the field's own text, unchanged (007 stays "007");
 *    with --types the value as cast.h converts it, by the rules etl-map
 *    --cast follows too.
 *  - Every data record is counted once in stats.records_in and ends up either
 *    written (records_out) or in bad_record() (bad).  A header problem is
 *    not a record: it stops the run.
 *  - The hot loop does not allocate: a field is converted straight from
 *    libcsv's buffer into the record's line buffer, reused for every record.
 *
 * Input goes to libcsv one physical line at a time, so the line number of
 * every callback is known; libcsv's state between records (pstate 0, its
 * ROW_NOT_BEGUN) says where a record starts.  The raw text of the record
 * in progress is a span of the current chunk, plus a copy of the part that
 * was in earlier chunks; it is needed only for --bad-records FILE.
 *
 * libcsv runs in strict mode so that text after a closing quote ("ab"c) and
 * a quote left open at the end of a file are errors; a quote inside an
 * unquoted field (5'11") is taken as data, as most readers do: the strict
 * parser stops there, and the quote is handed to it once in lenient mode.
 *
 * libcsv runs in a second thread, which hands the fields on in batches to
 * the main thread (see "Pipeline"); everything else happens in the main
 * thread, in the order of the input.
 *
 * tests/fuzz/fuzz_csv.c includes this file with FROM_CSV_EMIT and
 * FROM_CSV_DIE defined, to drive the conversion (conv_*) without a process
 * per input.
 */
#include <csv.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bad.h"
#include "buf.h"
#include "cast.h"
#include "cli.h"
#include "csvopt.h"
#include "die.h"
#include "input.h"
#include "jsonw.h"
#include "mem.h"
#include "out.h"
#include "path.h"
#include "scan.h"
#include "stats.h"
#include "utf8.h"
#include "banned.h"

#ifndef FROM_CSV_EMIT
#define FROM_CSV_EMIT(p, n) out_line(p, n)
#endif
#ifndef FROM_CSV_DIE
#define FROM_CSV_DIE etl_die
#endif

enum {
	OPT_HEADER = 1,
	OPT_NO_HEADER,
	OPT_NULL,
	OPT_INFER,
	OPT_TYPES,
};

static const struct cli_opt opts[] = {
	{OPT_HEADER, "header", 0, CLI_ARG, "NAMES", "column names; the first row is data"},
	{OPT_NO_HEADER, "no-header", 0, CLI_NOARG, NULL, "no header row: columns are c1..cN"},
	CSVOPT_OPTIONS,
	{OPT_NULL, "null", 0, CLI_ARG, "STR", "a field equal to STR is null (repeatable)"},
	{OPT_INFER, "infer", 'i', CLI_NOARG, NULL, "JSON numbers and true/false stay unquoted"},
	{OPT_TYPES, "types", 't', CLI_ARG, "COL=TYPE,...",
	 "type the columns (int, decimal, bool, date...)"},
	{0, NULL, 0, 0, NULL, NULL},
};

/* Column types: those of cast.h, and T_INFER, the default with --infer
 * (CAST_STRING is the default without). */
enum { T_INFER = CAST_NTYPES };

enum { HDR_FIRST_ROW, HDR_GIVEN, HDR_NONE };

/* The options. */
static int header_mode = HDR_FIRST_ROW;
static struct path *given;
static size_t ngiven;
static struct csv_dialect dialect = CSV_DIALECT_INIT;
static struct span *nulls;
static size_t nnull, capnull;
static int infer;
static struct cast_spec *types; /* paths of one segment: the columns' names */
static size_t ntypes;

struct col {
	size_t name_off, name_len; /* the decoded name, in conv.names */
	size_t key_off, key_len;   /* its JSON text '{"name":' or ',"name":', in conv.keys */
	int type;
};

/* A batch of parser events (see "Pipeline" below). */
struct batch {
	char *p;
	size_t len, cap;
	int last; /* the last batch of a job */
};
#define NBATCH 4
#define BATCH_BYTES (64 * 1024)

/* The conversion state: one input stream, file after file.  The parser
 * (libcsv, line numbers, raw text) and the converter (columns, values,
 * output) may run in two threads: each field says which side owns it. */
static struct {
	/* parser side */
	struct csv_parser p;
	unsigned char opts;
	uint64_t lineno;                 /* the physical line being parsed (1-based) */
	uint64_t rec_start;              /* where the record in progress starts */
	const char *seg_start, *seg_end; /* the line being parsed (NULL in csv_fini) */
	const char *raw_from;            /* where the record starts in the current chunk */
	struct buf carry;                /* its text from earlier chunks */
	int skip_line;                   /* after a syntax error: drop the rest of the line */
	int bom;     /* bytes of a UTF-8 BOM matched at the file's start; 3 = done */
	int failed;  /* libcsv failed (not a syntax error): parse no more */
	unsigned wi; /* the batch being filled */
	/* converter side (apart from the parser's, not to share cache lines) */
	_Alignas(64) const char *file;
	uint64_t rec_line; /* where the record being converted starts */
	int have_header;   /* columns are known (always, unless HDR_FIRST_ROW) */
	int width_fixed;   /* the number of columns is known */
	struct col *cols;
	size_t ncols, capcols;
	struct buf names, keys;
	size_t nf;             /* fields of the record in progress so far */
	struct buf line;       /* its JSON text so far */
	unsigned long bad_col; /* the first field error of the record, 1-based */
	char bad_msg[512];
	const char *ev_carry, *ev_raw; /* its raw text: carried part, chunk part */
	size_t ev_carry_n, ev_raw_n;
	struct buf raw;
	unsigned ri; /* the batch being converted */
	/* shared, under pipe_.mu when the pipeline runs */
	_Alignas(64) struct batch b[NBATCH];
	unsigned nfull; /* batches filled and not yet converted */
} conv;

static void on_opt(int id, const char *arg)
{
	if (csvopt_on_opt(&dialect, id, arg))
		return;
	switch (id) {
	case OPT_HEADER:
		path_list_free(given, ngiven);
		cli_paths(cli_optname, arg, &given, &ngiven);
		for (size_t i = 0; i < ngiven; i++) {
			if (given[i].nseg != 1)
				cli_usage_error(cli_optname,
						"'%s' is a path; quote a name that "
						"holds a dot: '\"a.b\"'",
						given[i].text);
			for (size_t j = 0; j < i; j++)
				if (path_seg_eq(&given[j].seg[0], &given[i].seg[0]))
					cli_usage_error(cli_optname, "duplicate name '%s'",
							given[i].text);
		}
		break;
	case OPT_NO_HEADER:
		break;
	case OPT_NULL:
		xgrow(&nulls, &capnull, nnull + 1, sizeof(*nulls));
		nulls[nnull].p = arg;
		nulls[nnull++].n = strlen(arg);
		break;
	case OPT_INFER:
		infer = 1;
		break;
	case OPT_TYPES: {
		size_t n0 = ntypes;
		char err[256];

		if (cast_list_parse(arg, &types, &ntypes, err, sizeof(err)) < 0)
			cli_usage_error(cli_optname, "%s", err);
		for (size_t i = n0; i < ntypes; i++)
			if (types[i].path.nseg != 1)
				cli_usage_error(
					cli_optname,
					"column %zu: '%s' is a path; quote a name that holds "
					"a dot: '\"a.b\"=int'",
					types[i].col, types[i].path.text);
		break;
	}
	}
	if (id == OPT_HEADER || id == OPT_NO_HEADER) {
		int mode = id == OPT_HEADER ? HDR_GIVEN : HDR_NONE;

		if (header_mode != HDR_FIRST_ROW && header_mode != mode)
			cli_usage_error(cli_optname, "conflicts with %s",
					mode == HDR_GIVEN ? "--no-header" : "--header");
		header_mode = mode;
	}
}

static const struct cli_prog prog = {
	"etl-from-csv",
	"[OPTIONS] [FILE...]",
	"Convert CSV (RFC 4180) to NDJSON, one object per record.",
	opts,
	0,
	on_opt,
};

/* --- Field values ------------------------------------------------------ */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* JSON number text without an exponent: what --infer leaves unquoted, so
 * that the number's text is exactly the field's. */
static int plain_number(const char *s, size_t n)
{
	size_t i = s[0] == '-';

	if (i >= n)
		return 0;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (i < n && is_digit(s[i]))
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		size_t f = ++i;

		while (i < n && is_digit(s[i]))
			i++;
		if (i == f)
			return 0;
	}
	return i == n;
}

/* Record the first field error of the record: "NAME: "VALUE" is not TYPE". */
static void field_error(size_t i, const char *s, size_t n, const char *what)
{
	const struct col *c = &conv.cols[i];
	struct buf v = BUF_INIT;
	size_t k = utf8_cut(s, n, 40);

	if (conv.bad_col)
		return;
	conv.bad_col = i + 1;
	if (!s) {
		snprintf(conv.bad_msg, sizeof(conv.bad_msg), "%.*s: %s", (int)c->name_len,
			 conv.names.p + c->name_off, what);
		return;
	}
	jw_string(&v, s, k);
	snprintf(conv.bad_msg, sizeof(conv.bad_msg), "%.*s: %s%s is not %s", (int)c->name_len,
		 conv.names.p + c->name_off, v.p, k < n ? "..." : "", what);
	buf_release(&v);
}

/* Printable ASCII other than '"' and '\\': valid UTF-8 that needs no JSON
 * escape, so the field can be copied as it is (most fields are). */
static int plain_ascii(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;

	for (; end - p >= 8; p += 8) {
		uint64_t w, q, b;

		memcpy(&w, p, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		/* the classic tests for a byte below 0x20, a zero byte in q or b
		 * ('"' or '\\' in w), and a byte >= 0x80 */
		if ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) | w) & high)
			return 0;
	}
	for (; p < end; p++)
		if (*p < 0x20 || *p >= 0x80 || *p == '"' || *p == '\\')
			return 0;
	return 1;
}

/* Append s as a JSON string; plain says it needs no escape. */
static void put_string(struct buf *b, const char *s, size_t n, int plain)
{
	if (!plain) {
		jw_string(b, s, n);
		return;
	}
	if (b->cap - b->len < n + 3)
		buf_grow(b, n + 2);
	b->p[b->len] = '"';
	memcpy(b->p + b->len + 1, s, n);
	b->p[b->len + n + 1] = '"';
	b->len += n + 2;
	b->p[b->len] = '\0';
}

/* Append field i's value (s[n] == '\0', libcsv's CSV_APPEND_NULL) to the line. */
static void field_value(size_t i, const char *s, size_t n)
{
	struct buf *b = &conv.line;
	int type = conv.cols[i].type, plain;

	for (size_t k = 0; k < nnull; k++) {
		if (nulls[k].n == n && memcmp(nulls[k].p, s, n) == 0) {
			buf_add(b, "null", 4);
			return;
		}
	}
	plain = plain_ascii(s, n);
	if (!plain && !utf8_valid(s, n)) {
		field_error(i, NULL, 0, "invalid UTF-8");
		return;
	}
	if (type == T_INFER && n &&
	    (plain_number(s, n) || (n == 4 && memcmp(s, "true", 4) == 0) ||
	     (n == 5 && memcmp(s, "false", 5) == 0))) {
		buf_add(b, s, n);
		return;
	}
	if (type == CAST_STRING || type == T_INFER) {
		put_string(b, s, n, plain);
		return;
	}
	if (!n) {
		buf_add(b, "null", 4);
		return;
	}
	if (cast_text(b, type, s, n))
		field_error(i, s, n, cast_expects(type));
}

/* --- Columns ----------------------------------------------------------- */

static const char *col_name(size_t i)
{
	return conv.names.p + conv.cols[i].name_off;
}

static void col_add(const char *name, size_t n)
{
	struct col *c;

	xgrow(&conv.cols, &conv.capcols, conv.ncols + 1, sizeof(*conv.cols));
	c = &conv.cols[conv.ncols++];
	c->name_off = conv.names.len;
	c->name_len = n;
	buf_add(&conv.names, name, n);
	buf_addc(&conv.names, '\0');
}

/* Give column i its key text and its type. */
static void col_finish(size_t i)
{
	struct col *c = &conv.cols[i];

	c->key_off = conv.keys.len;
	buf_addc(&conv.keys, i ? ',' : '{');
	jw_string(&conv.keys, col_name(i), c->name_len);
	buf_addc(&conv.keys, ':');
	c->key_len = conv.keys.len - c->key_off;
	c->type = infer ? T_INFER : CAST_STRING;
	for (size_t k = 0; k < ntypes; k++) {
		const struct path_seg *t = &types[k].path.seg[0];

		if (t->n == c->name_len && memcmp(t->s, col_name(i), t->n) == 0)
			c->type = types[k].type;
	}
}

static void col_positional(size_t i)
{
	char name[32];

	col_add(name, snprintf(name, sizeof(name), "c%zu", i + 1));
	col_finish(i);
}

static int name_taken(const char *s, size_t n, size_t upto)
{
	for (size_t j = 0; j < upto; j++)
		if (conv.cols[j].name_len == n && memcmp(col_name(j), s, n) == 0)
			return 1;
	return 0;
}

/* Every --types column must exist, checked once the columns are known
 * against the columns as they are then: --no-header forgets the columns of
 * a first record that is bad.  in names them (a file, or --header). */
static void types_check(const char *in)
{
	for (size_t k = 0; k < ntypes; k++) {
		const struct path_seg *t = &types[k].path.seg[0];

		if (!name_taken(t->s, t->n, conv.ncols))
			FROM_CSV_DIE(ETL_EXIT_USAGE, "--types", "no column '%s' in %s",
				     types[k].path.text, in);
	}
}

/* The header row is complete: check and name its columns. */
static void header_finish(void)
{
	struct buf nb = BUF_INIT;

	for (size_t i = 0; i < conv.ncols; i++) {
		struct col *c = &conv.cols[i];
		char pos[32];

		if (!utf8_valid(col_name(i), c->name_len))
			FROM_CSV_DIE(ETL_EXIT_DATA, etl_where(conv.file, conv.rec_line, i + 1),
				     "invalid UTF-8 in the header");
		if (!c->name_len) {
			c->name_off = conv.names.len;
			c->name_len = snprintf(pos, sizeof(pos), "c%zu", i + 1);
			buf_add(&conv.names, pos, c->name_len + 1);
		}
	}
	/* A name seen before gets the first free suffix _2, _3... so that no
	 * column is lost; the warning says so. */
	for (size_t i = 1; i < conv.ncols; i++) {
		struct col *c = &conv.cols[i];

		if (!name_taken(col_name(i), c->name_len, i))
			continue;
		for (unsigned k = 2;; k++) {
			buf_reset(&nb);
			buf_add(&nb, col_name(i), c->name_len);
			buf_printf(&nb, "_%u", k);
			if (!name_taken(nb.p, nb.len, conv.ncols))
				break;
		}
		etl_warn(etl_where(conv.file, conv.rec_line, i + 1),
			 "duplicate column name '%s' renamed '%s'", col_name(i), nb.p);
		c->name_off = conv.names.len;
		c->name_len = nb.len;
		buf_add(&conv.names, nb.p, nb.len + 1);
	}
	buf_release(&nb);
	for (size_t i = 0; i < conv.ncols; i++)
		col_finish(i);
	types_check(conv.file);
	conv.have_header = 1;
	conv.width_fixed = 1;
}

/* --- Records: the converter side --------------------------------------- */

/* The raw text of the record being converted, for the reject file: without
 * its line ending.  Lines after the one where libcsv ended it (CR-only line
 * ends) may come along. */
static void record_raw(const char **p, size_t *n)
{
	buf_reset(&conv.raw);
	if (conv.ev_carry_n)
		buf_add(&conv.raw, conv.ev_carry, conv.ev_carry_n);
	if (conv.ev_raw_n)
		buf_add(&conv.raw, conv.ev_raw, conv.ev_raw_n);
	if (conv.raw.len && conv.raw.p[conv.raw.len - 1] == '\n')
		conv.raw.len--;
	if (conv.raw.len && conv.raw.p[conv.raw.len - 1] == '\r')
		conv.raw.len--;
	*p = conv.raw.p ? conv.raw.p : "";
	*n = conv.raw.len;
}

static void record_bad(unsigned long col, const char *fmt, ...) ETL_PRINTF(2, 3);
static void record_bad(unsigned long col, const char *fmt, ...)
{
	char msg[1024];
	const char *raw;
	size_t rawlen;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	record_raw(&raw, &rawlen);
	bad_record(conv.file, conv.rec_line, col, raw, rawlen, "%s", msg);
}

/* Forget the record in progress. */
static void record_reset(void)
{
	conv.nf = 0;
	conv.bad_col = 0;
	buf_reset(&conv.line);
}

/* A field ended (s[n] == '\0'). */
static void c_field(const char *s, size_t n)
{
	size_t i = conv.nf++;

	if (!conv.have_header) {
		col_add(s, n);
		return;
	}
	if (i >= conv.ncols) {
		if (conv.width_fixed)
			return;
		col_positional(i);
	}
	if (conv.bad_col)
		return;
	buf_add(&conv.line, conv.keys.p + conv.cols[i].key_off, conv.cols[i].key_len);
	field_value(i, s, n);
}

/* A record ended. */
static void c_record(void)
{
	if (!conv.have_header) {
		header_finish();
		record_reset();
		return;
	}
	stats.records_in++;
	progress_tick();
	if (!conv.width_fixed) {
		conv.width_fixed = 1;
		types_check(conv.file);
	}
	if (conv.nf != conv.ncols) {
		record_bad(0, "expected %zu field%s, found %zu", conv.ncols,
			   conv.ncols == 1 ? "" : "s", conv.nf);
	} else if (conv.bad_col) {
		record_bad(conv.bad_col, "%s", conv.bad_msg);
	} else {
		buf_addc(&conv.line, '}');
		FROM_CSV_EMIT(conv.line.p, conv.line.len);
		stats.records_out++;
	}
	record_reset();
}

/* A syntax error ended the record where it was. */
static void c_syntax(const char *what)
{
	if (!conv.have_header)
		FROM_CSV_DIE(ETL_EXIT_DATA, etl_where(conv.file, conv.rec_line, conv.nf + 1),
			     "invalid CSV in the header: %s", what);
	stats.records_in++;
	progress_tick();
	record_bad(conv.nf + 1, "invalid CSV: %s", what);
	if (!conv.width_fixed) {
		/* --no-header: the width comes from the first good record */
		conv.ncols = 0;
		buf_reset(&conv.names);
		buf_reset(&conv.keys);
	}
	record_reset();
}

/* --- Events: from the parser to the converter -------------------------- */

/* A batch holds events one after the other, each a uint64_t head
 * (n << 2 | kind) and then:
 *  EV_FIELD: the field's n bytes and a '\0';
 *  EV_RECORD, EV_SYNTAX: a struct ev_rec, then n bytes of carried raw text;
 *  EV_FAIL: nothing (n is libcsv's error code).
 * The raw text's chunk part points into the chunk being parsed: a job's
 * events are all converted before the next chunk is read. */
enum { EV_FIELD, EV_RECORD, EV_SYNTAX, EV_FAIL };

struct ev_rec {
	uint64_t line;
	const char *raw;
	size_t raw_n;
	const char *what; /* EV_SYNTAX: the message (a string constant) */
};

static void batch_send(int last);

/* Room for n more bytes in the batch being filled. */
static char *ev_room(size_t n)
{
	struct batch *b = &conv.b[conv.wi];

	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : BATCH_BYTES + 256;

		while (cap - b->len < n)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	return b->p + b->len;
}

static void ev_done(char *end)
{
	struct batch *b = &conv.b[conv.wi];

	b->len = end - b->p;
	if (b->len >= BATCH_BYTES)
		batch_send(0);
}

static void ev_field(const char *s, size_t n)
{
	struct batch *b = &conv.b[conv.wi];
	uint64_t h = (uint64_t)n << 2 | EV_FIELD;
	char *w =
		b->cap - b->len > sizeof(h) + n ? b->p + b->len : ev_room(sizeof(uint64_t) + n + 1);

	memcpy(w, &h, sizeof(h));
	w += sizeof(h);
	memcpy(w, s, n);
	w[n] = '\0';
	ev_done(w + n + 1);
}

/* The record in progress ended (EV_RECORD) or broke (EV_SYNTAX). */
static void ev_record(int kind, const char *what)
{
	size_t cn = conv.carry.len;
	char *w = ev_room(sizeof(uint64_t) + sizeof(struct ev_rec) + cn);
	uint64_t h = (uint64_t)cn << 2 | kind;
	struct ev_rec r = {conv.rec_start, NULL, 0, what};

	if (conv.raw_from && conv.seg_end) {
		r.raw = conv.raw_from;
		r.raw_n = conv.seg_end - conv.raw_from;
	}
	memcpy(w, &h, sizeof(h));
	w += sizeof(h);
	memcpy(w, &r, sizeof(r));
	w += sizeof(r);
	if (cn)
		memcpy(w, conv.carry.p, cn);
	ev_done(w + cn);
}

/* Convert one batch of events. */
static void convert(const struct batch *b)
{
	const char *p = b->p, *end;

	if (!b->len)
		return;
	end = p + b->len;
	while (p < end) {
		uint64_t h;
		size_t n;

		memcpy(&h, p, sizeof(h));
		p += sizeof(h);
		n = h >> 2;
		switch (h & 3) {
		case EV_FIELD:
			c_field(p, n);
			p += n + 1;
			break;
		case EV_RECORD:
		case EV_SYNTAX: {
			struct ev_rec r;

			memcpy(&r, p, sizeof(r));
			p += sizeof(r);
			conv.rec_line = r.line;
			conv.ev_carry = p;
			conv.ev_carry_n = n;
			conv.ev_raw = r.raw;
			conv.ev_raw_n = r.raw_n;
			p += n;
			if ((h & 3) == EV_RECORD)
				c_record();
			else
				c_syntax(r.what);
			break;
		}
		case EV_FAIL:
			FROM_CSV_DIE(ETL_EXIT_SOFTWARE, conv.file, "libcsv: %s",
				     csv_strerror((int)n));
		}
	}
}

/* --- Records: the parser side ------------------------------------------ */

/* The next record starts here. */
static void parse_reset(void)
{
	buf_reset(&conv.carry);
	conv.rec_start = conv.lineno;
	conv.raw_from = conv.seg_start;
}

/* libcsv: a field ended. */
static void on_field(void *data, size_t n, void *unused)
{
	(void)unused;
	ev_field(data, n);
}

/* libcsv: a record ended. */
static void on_record(int term, void *unused)
{
	(void)term;
	(void)unused;
	ev_record(EV_RECORD, NULL);
	parse_reset();
}

/* A syntax error ends the record where it is; the rest of the line goes. */
static void syntax_error(const char *what)
{
	unsigned char lenient = conv.opts & ~(CSV_STRICT | CSV_STRICT_FINI);

	ev_record(EV_SYNTAX, what);
	/* csv_fini() resets libcsv between records; lenient, it cannot fail */
	csv_set_opts(&conv.p, lenient);
	csv_fini(&conv.p, NULL, NULL, NULL);
	csv_set_opts(&conv.p, conv.opts);
	parse_reset();
}

/* Parse [s, e), part of one line. */
static void parse(const char *s, const char *e)
{
	while (s < e && !conv.failed) {
		size_t k = csv_parse(&conv.p, s, e - s, on_field, on_record, NULL);

		if (k == (size_t)(e - s))
			return;
		if (csv_error(&conv.p) != CSV_EPARSE) {
			char *w = ev_room(sizeof(uint64_t));
			uint64_t h = (uint64_t)csv_error(&conv.p) << 2 | EV_FAIL;

			memcpy(w, &h, sizeof(h));
			ev_done(w + sizeof(h));
			conv.failed = 1;
			return;
		}
		s += k;
		if ((unsigned char)*s == dialect.quote) {
			/* a quote inside an unquoted field: data */
			csv_set_opts(&conv.p, conv.opts & ~CSV_STRICT);
			csv_parse(&conv.p, s, 1, on_field, on_record, NULL);
			csv_set_opts(&conv.p, conv.opts);
			s++;
			continue;
		}
		syntax_error("text after the closing quote of a field");
		conv.skip_line = 1;
		return;
	}
}

/* Parse one chunk of the current file: line by line, so that conv.lineno
 * is the line of every callback.  p[0..n) stays valid until the job's
 * events are converted. */
static void parse_chunk(const char *p, size_t n)
{
	static const char bom[] = "\xef\xbb\xbf";
	const char *end = p + n;

	if (conv.bom < 3) {
		while (p < end && conv.bom < 3 && *p == bom[conv.bom]) {
			p++;
			conv.bom++;
		}
		if (p == end && conv.bom < 3)
			return; /* all BOM so far: wait for more */
		if (conv.bom < 3) {
			/* not a BOM after all: its first bytes are data */
			int k = conv.bom;

			conv.bom = 3;
			parse_chunk(bom, k);
		}
		conv.bom = 3;
	}
	conv.raw_from = p;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *e = nl ? nl + 1 : end;

		if (!conv.skip_line) {
			/* state 0 is libcsv's ROW_NOT_BEGUN: a record starts on this line */
			if (conv.p.pstate == 0) {
				conv.rec_start = conv.lineno;
				conv.raw_from = p;
			}
			conv.seg_start = p;
			conv.seg_end = e;
			parse(p, e);
		}
		if (nl) {
			conv.lineno++;
			conv.skip_line = 0;
		}
		p = e;
	}
	if (conv.p.pstate != 0 && !conv.skip_line)
		buf_add(&conv.carry, conv.raw_from, end - conv.raw_from);
	conv.raw_from = conv.seg_start = conv.seg_end = NULL;
}

/* The file ended: the last record may have no line break after it. */
static void parse_end(void)
{
	static const char bom[] = "\xef\xbb\xbf";

	if (conv.bom > 0 && conv.bom < 3) {
		/* a file holding only the start of a BOM */
		int k = conv.bom;

		conv.bom = 3;
		parse_chunk(bom, k);
	}
	if (conv.failed)
		return;
	if (csv_fini(&conv.p, on_field, on_record, NULL) != 0)
		syntax_error("quoted field not closed at the end of the file");
}

/* --- Pipeline ---------------------------------------------------------- */

/* With the pipeline on, a second thread parses while this one converts
 * and writes: jobs (a chunk, the end of a file) go to the parser one at a
 * time, and its events come back in batches, at most NBATCH in flight.
 * This thread waits for a job's last batch before it reads the next chunk,
 * so everything that may end the process (bad records, the header, read
 * and write errors) happens here, in the order of the input, while the
 * parser touches nothing but its own state and the batches.  Off (the
 * fuzzer), each batch is converted as soon as it is full. */
enum { JOB_NONE, JOB_CHUNK, JOB_END, JOB_QUIT };

static struct {
	int on;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t job_cv, full_cv, free_cv;
	int job;
	const char *job_p;
	size_t job_n;
} pipe_ = {0,
	   0,
	   PTHREAD_MUTEX_INITIALIZER,
	   PTHREAD_COND_INITIALIZER,
	   PTHREAD_COND_INITIALIZER,
	   PTHREAD_COND_INITIALIZER,
	   JOB_NONE,
	   NULL,
	   0};

/* The batch being filled is done: hand it over, start the next one. */
static void batch_send(int last)
{
	if (!pipe_.on) {
		convert(&conv.b[0]);
		conv.b[0].len = 0;
		return;
	}
	conv.b[conv.wi].last = last;
	pthread_mutex_lock(&pipe_.mu);
	conv.nfull++;
	pthread_cond_signal(&pipe_.full_cv);
	conv.wi = (conv.wi + 1) % NBATCH;
	while (conv.nfull == NBATCH)
		pthread_cond_wait(&pipe_.free_cv, &pipe_.mu);
	pthread_mutex_unlock(&pipe_.mu);
	conv.b[conv.wi].len = 0;
}

static void job_do(int job, const char *p, size_t n)
{
	if (job == JOB_CHUNK)
		parse_chunk(p, n);
	else
		parse_end();
	batch_send(1);
}

static void *parser_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&pipe_.mu);
	for (;;) {
		int job;

		while (pipe_.job == JOB_NONE)
			pthread_cond_wait(&pipe_.job_cv, &pipe_.mu);
		job = pipe_.job;
		pipe_.job = JOB_NONE;
		if (job == JOB_QUIT)
			break;
		pthread_mutex_unlock(&pipe_.mu);
		job_do(job, pipe_.job_p, pipe_.job_n);
		pthread_mutex_lock(&pipe_.mu);
	}
	pthread_mutex_unlock(&pipe_.mu);
	return NULL;
}

/* Run a job and convert its events. */
static void job_run(int job, const char *p, size_t n)
{
	int last = 0;

	if (!pipe_.on) {
		job_do(job, p, n);
		return;
	}
	pthread_mutex_lock(&pipe_.mu);
	pipe_.job = job;
	pipe_.job_p = p;
	pipe_.job_n = n;
	pthread_cond_signal(&pipe_.job_cv);
	pthread_mutex_unlock(&pipe_.mu);
	while (!last) {
		struct batch *b = &conv.b[conv.ri];

		pthread_mutex_lock(&pipe_.mu);
		while (conv.nfull == 0)
			pthread_cond_wait(&pipe_.full_cv, &pipe_.mu);
		pthread_mutex_unlock(&pipe_.mu);
		convert(b);
		last = b->last;
		pthread_mutex_lock(&pipe_.mu);
		conv.nfull--;
		pthread_cond_signal(&pipe_.free_cv);
		pthread_mutex_unlock(&pipe_.mu);
		conv.ri = (conv.ri + 1) % NBATCH;
	}
}

static void pipe_start(void)
{
	int e = pthread_create(&pipe_.tid, NULL, parser_main, NULL);

	if (e)
		FROM_CSV_DIE(ETL_EXIT_SOFTWARE, NULL, "cannot start a thread: %s", strerror(e));
	pipe_.on = 1;
}

static void pipe_stop(void)
{
	if (!pipe_.on)
		return;
	pthread_mutex_lock(&pipe_.mu);
	pipe_.job = JOB_QUIT;
	pthread_cond_signal(&pipe_.job_cv);
	pthread_mutex_unlock(&pipe_.mu);
	pthread_join(pipe_.tid, NULL);
	pipe_.on = 0;
}

/* --- Files ------------------------------------------------------------- */

/* Feed one chunk of the current file.  p[0..n) stays valid until the next
 * call. */
static void conv_feed(const char *p, size_t n)
{
	job_run(JOB_CHUNK, p, n);
}

static void conv_begin_file(const char *file)
{
	conv.file = file;
	conv.lineno = 1;
	conv.bom = 0;
	conv.skip_line = 0;
	if (header_mode == HDR_FIRST_ROW) {
		conv.have_header = 0;
		conv.width_fixed = 0;
		conv.ncols = 0;
		buf_reset(&conv.names);
		buf_reset(&conv.keys);
	}
	conv.seg_start = NULL;
	parse_reset();
	record_reset();
}

/* The file ended. */
static void conv_end_file(void)
{
	if (!conv.file)
		return;
	job_run(JOB_END, NULL, 0);
	conv.file = NULL;
}

/* libcsv grows its field buffer by a fixed block, which makes a long field
 * cost quadratic time; this realloc doubles instead.  One parser per
 * process, so one capacity. */
static size_t field_cap;

static void *field_realloc(void *p, size_t n)
{
	if (p && n <= field_cap)
		return p;
	if (n < 2 * field_cap)
		n = 2 * field_cap;
	if (n < 4096)
		n = 4096;
	field_cap = n;
	return xrealloc(p, n);
}

static void field_free(void *p)
{
	free(p);
	field_cap = 0;
}

static int no_space(unsigned char c)
{
	(void)c;
	return 0; /* RFC 4180: spaces are part of a field */
}

static void conv_setup(void)
{
	conv.opts = CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL;
	csv_init(&conv.p, conv.opts);
	csv_set_delim(&conv.p, dialect.delim);
	csv_set_quote(&conv.p, dialect.quote);
	csv_set_space_func(&conv.p, no_space);
	csv_set_realloc_func(&conv.p, field_realloc);
	csv_set_free_func(&conv.p, field_free);
	conv.ncols = 0;
	conv.have_header = header_mode != HDR_FIRST_ROW;
	conv.width_fixed = header_mode == HDR_GIVEN;
	buf_reset(&conv.names);
	buf_reset(&conv.keys);
	if (header_mode == HDR_GIVEN) {
		for (size_t i = 0; i < ngiven; i++) {
			col_add(given[i].seg[0].s, given[i].seg[0].n);
			col_finish(i);
		}
		types_check("--header");
	}
}

static void conv_release(void)
{
	csv_free(&conv.p);
	free(conv.cols);
	conv.cols = NULL;
	conv.capcols = conv.ncols = 0;
	buf_release(&conv.names);
	buf_release(&conv.keys);
	buf_release(&conv.line);
	buf_release(&conv.carry);
	buf_release(&conv.raw);
	for (int i = 0; i < NBATCH; i++) {
		free(conv.b[i].p);
		conv.b[i].p = NULL;
		conv.b[i].len = conv.b[i].cap = 0;
	}
	conv.wi = conv.ri = conv.nfull = 0;
}

int main(int argc, char **argv)
{
	struct input *in;
	const char *p, *file;
	size_t n;
	int first;

	cli_start(&prog, argc, argv);
	csvopt_check(&dialect);
	conv_setup();
	in = input_open(cli.files, cli.nfiles);
	progress_input(in);
	pipe_start();
	while (input_chunk(in, &p, &n, &file, &first)) {
		if (first) {
			conv_end_file();
			conv_begin_file(file);
		}
		conv_feed(p, n);
	}
	conv_end_file();
	pipe_stop();
	input_close(in);
	conv_release();
	path_list_free(given, ngiven);
	cast_list_free(types, ntypes);
	free(nulls);
	cli_finish();
}
