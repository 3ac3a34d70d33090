/*
 * csvread.c - the CSV reader (csvread.h).
 *
 * libcsv splits the bytes into fields; this file names them (header row,
 * given names or c1..cN), types them and hands each record on as one line.
 * Invariants:
 *  - Every line emitted is a valid JSON object, keys in column order.  A
 *    value becomes a JSON number only when the written text is a valid JSON
 *    number: with infer the field's own text, unchanged (007 stays "007");
 *    with types the value as cast.h converts it, by the rules etl-map
 *    --cast follows too.
 *  - Every data record is emitted or goes to bad_record() (or is fatal,
 *    with strict); with count it is counted once in stats.records_in.  A
 *    header problem is not a record: it stops the run.
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
 * The first 64 KiB or 1000 lines of each file (the sample) are held back
 * when the
 * delimiter is to be detected or the columns' kinds inferred, then parsed as
 * any chunk.  With threads, libcsv runs in a second thread, which hands the
 * fields on in batches to the caller's thread (see "Pipeline"); everything
 * else happens in the caller's thread, in the order of the input.
 */
#include "csvread.h"

#include <csv.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bad.h"
#include "buf.h"
#include "die.h"
#include "jsonw.h"
#include "mem.h"
#include "stats.h"
#include "utf8.h"
#include "banned.h"

/* Column types: those of cast.h, and T_INFER, the default with infer
 * (CAST_STRING is the default without). */
enum { T_INFER = CAST_NTYPES };

/* The sample: the first 64 KiB or 1000 lines of a file, whichever comes
 * first, so that a slow stream is not held back long. */
#define SAMPLE_BYTES (64 * 1024)
#define SAMPLE_LINES 1000

struct col {
	size_t name_off, name_len; /* the decoded name, in names */
	size_t key_off, key_len;   /* its JSON text '{"name":' or ',"name":', in keys */
	int type;
	int empty_null; /* infer: an empty field is null (a column of numbers...) */
};

/* A batch of parser events (see "Pipeline" below). */
struct batch {
	char *p;
	size_t len, cap;
	int last; /* the last batch of a job */
};
#define NBATCH 4
#define BATCH_BYTES (64 * 1024)

enum { JOB_NONE, JOB_CHUNK, JOB_END, JOB_QUIT };

/* One reader: one input stream, file after file.  The parser (libcsv, line
 * numbers, raw text) and the converter (columns, values, output) may run in
 * two threads: each field says which side owns it. */
struct csvread {
	struct csvread_opts o;
	csvread_emit_fn emit;
	void *ctx;
	csvread_die_fn die;
	/* parser side */
	struct csv_parser p;
	unsigned char opts;
	unsigned char delim;             /* this file's */
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
	int have_header;   /* columns are known (always, unless CSVREAD_HEADER_ROW) */
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
	/* the sample: held back until it is complete */
	int sampling;
	struct buf sample;
	size_t sample_lines;
	unsigned char *typed; /* infer: per column of the sample, its values are typed */
	size_t ntyped;
	/* shared, under mu when the pipeline runs */
	_Alignas(64) struct batch b[NBATCH];
	unsigned nfull; /* batches filled and not yet converted */
	int on;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t job_cv, full_cv, free_cv;
	int job;
	const char *job_p;
	size_t job_n;
};

/* --- Field values ------------------------------------------------------ */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* JSON number text without an exponent: what infer leaves unquoted, so
 * that the number's text is exactly the field's. */
static inline __attribute__((always_inline)) int plain_number(const char *s, size_t n)
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
static void field_error(struct csvread *r, size_t i, const char *s, size_t n, const char *what)
{
	const struct col *c = &r->cols[i];
	struct buf v = BUF_INIT;
	size_t k = utf8_cut(s, n, 40);

	if (r->bad_col)
		return;
	r->bad_col = i + 1;
	if (!s) {
		snprintf(r->bad_msg, sizeof(r->bad_msg), "%.*s: %s", (int)c->name_len,
			 r->names.p + c->name_off, what);
		return;
	}
	jw_string(&v, s, k);
	snprintf(r->bad_msg, sizeof(r->bad_msg), "%.*s: %s%s is not %s", (int)c->name_len,
		 r->names.p + c->name_off, v.p, k < n ? "..." : "", what);
	buf_release(&v);
}

/* Printable ASCII other than '"' and '\\': valid UTF-8 that needs no JSON
 * escape, so the field can be copied as it is (most fields are). */
static inline int plain_ascii(const char *s, size_t n)
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

int csvread_plain_ascii(const char *s, size_t n)
{
	return plain_ascii(s, n);
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
static void field_value(struct csvread *r, size_t i, const char *s, size_t n)
{
	struct buf *b = &r->line;
	int type = r->cols[i].type, plain;

	for (size_t k = 0; k < r->o.nnull; k++) {
		if (r->o.nulls[k].n == n && memcmp(r->o.nulls[k].p, s, n) == 0) {
			buf_add(b, "null", 4);
			return;
		}
	}
	plain = plain_ascii(s, n);
	if (!plain && !utf8_valid(s, n)) {
		field_error(r, i, NULL, 0, "invalid UTF-8");
		return;
	}
	if (type == T_INFER && (n ? plain_number(s, n) || (n == 4 && memcmp(s, "true", 4) == 0) ||
						(n == 5 && memcmp(s, "false", 5) == 0)
				  : r->cols[i].empty_null)) {
		if (n)
			buf_add(b, s, n);
		else
			buf_add(b, "null", 4);
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
		field_error(r, i, s, n, cast_expects(type));
}

/* --- Columns ----------------------------------------------------------- */

static const char *col_name(const struct csvread *r, size_t i)
{
	return r->names.p + r->cols[i].name_off;
}

static void col_add(struct csvread *r, const char *name, size_t n)
{
	struct col *c;

	xgrow(&r->cols, &r->capcols, r->ncols + 1, sizeof(*r->cols));
	c = &r->cols[r->ncols++];
	c->name_off = r->names.len;
	c->name_len = n;
	c->empty_null = 0;
	buf_add(&r->names, name, n);
	buf_addc(&r->names, '\0');
}

/* Give column i its key text and its type. */
static void col_finish(struct csvread *r, size_t i)
{
	struct col *c = &r->cols[i];

	c->key_off = r->keys.len;
	buf_addc(&r->keys, i ? ',' : '{');
	jw_string(&r->keys, col_name(r, i), c->name_len);
	buf_addc(&r->keys, ':');
	c->key_len = r->keys.len - c->key_off;
	c->type = r->o.infer ? T_INFER : CAST_STRING;
	c->empty_null = i < r->ntyped && r->typed[i];
	for (size_t k = 0; k < r->o.ntypes; k++) {
		const struct path_seg *t = &r->o.types[k].path.seg[0];

		if (t->n == c->name_len && memcmp(t->s, col_name(r, i), t->n) == 0)
			c->type = r->o.types[k].type;
	}
}

static void col_positional(struct csvread *r, size_t i)
{
	char name[32];

	col_add(r, name, snprintf(name, sizeof(name), "c%zu", i + 1));
	col_finish(r, i);
}

static int name_taken(const struct csvread *r, const char *s, size_t n, size_t upto)
{
	for (size_t j = 0; j < upto; j++)
		if (r->cols[j].name_len == n && memcmp(col_name(r, j), s, n) == 0)
			return 1;
	return 0;
}

/* Every --types column must exist, checked once the columns are known
 * against the columns as they are then: --no-header forgets the columns of
 * a first record that is bad.  in names them (a file, or --header). */
static void types_check(struct csvread *r, const char *in)
{
	for (size_t k = 0; k < r->o.ntypes; k++) {
		const struct path_seg *t = &r->o.types[k].path.seg[0];

		if (!name_taken(r, t->s, t->n, r->ncols))
			r->die(ETL_EXIT_USAGE, "--types", "no column '%s' in %s",
			       r->o.types[k].path.text, in);
	}
}

/* A header of one column whose name holds a likely delimiter: the file was
 * probably split with the wrong one. */
static void header_hint(struct csvread *r)
{
	static const char cands[] = ",;\t|";
	const char *name = col_name(r, 0);

	if (r->ncols != 1)
		return;
	for (const char *c = cands; *c; c++) {
		if ((unsigned char)*c != r->delim && memchr(name, *c, r->cols[0].name_len)) {
			etl_warn(etl_where(r->file, r->rec_line, 0),
				 "one column named '%s': is the delimiter '%s'? (-d)", name,
				 *c == '\t' ? "\\t" : (char[]){*c, '\0'});
			return;
		}
	}
}

/* The header row is complete: check and name its columns. */
static void header_finish(struct csvread *r)
{
	struct buf nb = BUF_INIT;

	for (size_t i = 0; i < r->ncols; i++) {
		struct col *c = &r->cols[i];
		char pos[32];

		if (!utf8_valid(col_name(r, i), c->name_len))
			r->die(ETL_EXIT_DATA, etl_where(r->file, r->rec_line, i + 1),
			       "invalid UTF-8 in the header");
		if (!c->name_len) {
			c->name_off = r->names.len;
			c->name_len = snprintf(pos, sizeof(pos), "c%zu", i + 1);
			buf_add(&r->names, pos, c->name_len + 1);
		}
	}
	/* A name seen before gets the first free suffix _2, _3... so that no
	 * column is lost; the warning says so. */
	for (size_t i = 1; i < r->ncols; i++) {
		struct col *c = &r->cols[i];

		if (!name_taken(r, col_name(r, i), c->name_len, i))
			continue;
		for (unsigned k = 2;; k++) {
			buf_reset(&nb);
			buf_add(&nb, col_name(r, i), c->name_len);
			buf_printf(&nb, "_%u", k);
			if (!name_taken(r, nb.p, nb.len, r->ncols))
				break;
		}
		etl_warn(etl_where(r->file, r->rec_line, i + 1),
			 "duplicate column name '%s' renamed '%s'", col_name(r, i), nb.p);
		c->name_off = r->names.len;
		c->name_len = nb.len;
		buf_add(&r->names, nb.p, nb.len + 1);
	}
	buf_release(&nb);
	for (size_t i = 0; i < r->ncols; i++)
		col_finish(r, i);
	header_hint(r);
	types_check(r, r->file);
	r->have_header = 1;
	r->width_fixed = 1;
}

/* --- Records: the converter side --------------------------------------- */

/* The raw text of the record being converted, for the reject file: without
 * its line ending.  Lines after the one where libcsv ended it (CR-only line
 * ends) may come along. */
static void record_raw(struct csvread *r, const char **p, size_t *n)
{
	buf_reset(&r->raw);
	if (r->ev_carry_n)
		buf_add(&r->raw, r->ev_carry, r->ev_carry_n);
	if (r->ev_raw_n)
		buf_add(&r->raw, r->ev_raw, r->ev_raw_n);
	if (r->raw.len && r->raw.p[r->raw.len - 1] == '\n')
		r->raw.len--;
	if (r->raw.len && r->raw.p[r->raw.len - 1] == '\r')
		r->raw.len--;
	*p = r->raw.p ? r->raw.p : "";
	*n = r->raw.len;
}

static void record_bad(struct csvread *r, unsigned long col, const char *fmt, ...) ETL_PRINTF(3, 4);
static void record_bad(struct csvread *r, unsigned long col, const char *fmt, ...)
{
	char msg[1024];
	const char *raw;
	size_t rawlen;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->o.strict)
		r->die(ETL_EXIT_DATA, etl_where(r->file, r->rec_line, col), "%s", msg);
	record_raw(r, &raw, &rawlen);
	bad_record(r->file, r->rec_line, col, raw, rawlen, "%s", msg);
}

/* Forget the record in progress. */
static void record_reset(struct csvread *r)
{
	r->nf = 0;
	r->bad_col = 0;
	buf_reset(&r->line);
}

/* A field ended (s[n] == '\0'). */
static void c_field(struct csvread *r, const char *s, size_t n)
{
	size_t i = r->nf++;

	if (!r->have_header) {
		col_add(r, s, n);
		return;
	}
	if (i >= r->ncols) {
		if (r->width_fixed)
			return;
		col_positional(r, i);
	}
	if (r->bad_col)
		return;
	buf_add(&r->line, r->keys.p + r->cols[i].key_off, r->cols[i].key_len);
	field_value(r, i, s, n);
}

/* A record ended. */
static void c_record(struct csvread *r)
{
	if (!r->have_header) {
		header_finish(r);
		record_reset(r);
		return;
	}
	if (r->o.count) {
		stats.records_in++;
		progress_tick();
	}
	if (!r->width_fixed) {
		r->width_fixed = 1;
		types_check(r, r->file);
	}
	if (r->nf != r->ncols) {
		record_bad(r, 0, "expected %zu field%s, found %zu", r->ncols,
			   r->ncols == 1 ? "" : "s", r->nf);
	} else if (r->bad_col) {
		record_bad(r, r->bad_col, "%s", r->bad_msg);
	} else {
		buf_addc(&r->line, '}');
		r->emit(r->ctx, r->line.p, r->line.len);
		if (r->o.count)
			stats.records_out++;
	}
	record_reset(r);
}

/* A syntax error ended the record where it was. */
static void c_syntax(struct csvread *r, const char *what)
{
	if (!r->have_header)
		r->die(ETL_EXIT_DATA, etl_where(r->file, r->rec_line, r->nf + 1),
		       "invalid CSV in the header: %s", what);
	if (r->o.count) {
		stats.records_in++;
		progress_tick();
	}
	record_bad(r, r->nf + 1, "invalid CSV: %s", what);
	if (!r->width_fixed) {
		/* --no-header: the width comes from the first good record */
		r->ncols = 0;
		buf_reset(&r->names);
		buf_reset(&r->keys);
	}
	record_reset(r);
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

static void batch_send(struct csvread *r, int last);

/* Room for n more bytes in the batch being filled. */
static char *ev_room(struct csvread *r, size_t n)
{
	struct batch *b = &r->b[r->wi];

	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : BATCH_BYTES + 256;

		while (cap - b->len < n)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	return b->p + b->len;
}

static void ev_done(struct csvread *r, char *end)
{
	struct batch *b = &r->b[r->wi];

	b->len = end - b->p;
	if (b->len >= BATCH_BYTES)
		batch_send(r, 0);
}

static void ev_field(struct csvread *r, const char *s, size_t n)
{
	struct batch *b = &r->b[r->wi];
	uint64_t h = (uint64_t)n << 2 | EV_FIELD;
	char *w = b->cap - b->len > sizeof(h) + n ? b->p + b->len
						  : ev_room(r, sizeof(uint64_t) + n + 1);

	memcpy(w, &h, sizeof(h));
	w += sizeof(h);
	memcpy(w, s, n);
	w[n] = '\0';
	ev_done(r, w + n + 1);
}

/* The record in progress ended (EV_RECORD) or broke (EV_SYNTAX). */
static void ev_record(struct csvread *r, int kind, const char *what)
{
	size_t cn = r->carry.len;
	char *w = ev_room(r, sizeof(uint64_t) + sizeof(struct ev_rec) + cn);
	uint64_t h = (uint64_t)cn << 2 | kind;
	struct ev_rec e = {r->rec_start, NULL, 0, what};

	if (r->raw_from && r->seg_end) {
		e.raw = r->raw_from;
		e.raw_n = r->seg_end - r->raw_from;
	}
	memcpy(w, &h, sizeof(h));
	w += sizeof(h);
	memcpy(w, &e, sizeof(e));
	w += sizeof(e);
	if (cn)
		memcpy(w, r->carry.p, cn);
	ev_done(r, w + cn);
}

/* Convert one batch of events. */
static void convert(struct csvread *r, const struct batch *b)
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
			c_field(r, p, n);
			p += n + 1;
			break;
		case EV_RECORD:
		case EV_SYNTAX: {
			struct ev_rec e;

			memcpy(&e, p, sizeof(e));
			p += sizeof(e);
			r->rec_line = e.line;
			r->ev_carry = p;
			r->ev_carry_n = n;
			r->ev_raw = e.raw;
			r->ev_raw_n = e.raw_n;
			p += n;
			if ((h & 3) == EV_RECORD)
				c_record(r);
			else
				c_syntax(r, e.what);
			break;
		}
		case EV_FAIL:
			r->die(ETL_EXIT_SOFTWARE, r->file, "libcsv: %s", csv_strerror((int)n));
		}
	}
}

/* --- Records: the parser side ------------------------------------------ */

/* The next record starts here. */
static void parse_reset(struct csvread *r)
{
	buf_reset(&r->carry);
	r->rec_start = r->lineno;
	r->raw_from = r->seg_start;
}

/* libcsv: a field ended. */
static void on_field(void *data, size_t n, void *r)
{
	ev_field(r, data, n);
}

/* libcsv: a record ended. */
static void on_record(int term, void *r)
{
	(void)term;
	ev_record(r, EV_RECORD, NULL);
	parse_reset(r);
}

/* A syntax error ends the record where it is; the rest of the line goes. */
static void syntax_error(struct csvread *r, const char *what)
{
	unsigned char lenient = r->opts & ~(CSV_STRICT | CSV_STRICT_FINI);

	ev_record(r, EV_SYNTAX, what);
	/* csv_fini() resets libcsv between records; lenient, it cannot fail */
	csv_set_opts(&r->p, lenient);
	csv_fini(&r->p, NULL, NULL, NULL);
	csv_set_opts(&r->p, r->opts);
	parse_reset(r);
}

/* Parse [s, e), part of one line. */
static void parse(struct csvread *r, const char *s, const char *e)
{
	while (s < e && !r->failed) {
		size_t k = csv_parse(&r->p, s, e - s, on_field, on_record, r);

		if (k == (size_t)(e - s))
			return;
		if (csv_error(&r->p) != CSV_EPARSE) {
			char *w = ev_room(r, sizeof(uint64_t));
			uint64_t h = (uint64_t)csv_error(&r->p) << 2 | EV_FAIL;

			memcpy(w, &h, sizeof(h));
			ev_done(r, w + sizeof(h));
			r->failed = 1;
			return;
		}
		s += k;
		if ((unsigned char)*s == r->o.dialect.quote) {
			/* a quote inside an unquoted field: data */
			csv_set_opts(&r->p, r->opts & ~CSV_STRICT);
			csv_parse(&r->p, s, 1, on_field, on_record, r);
			csv_set_opts(&r->p, r->opts);
			s++;
			continue;
		}
		syntax_error(r, "text after the closing quote of a field");
		r->skip_line = 1;
		return;
	}
}

/* Parse one chunk of the current file: line by line, so that r->lineno
 * is the line of every callback.  p[0..n) stays valid until the job's
 * events are converted. */
static void parse_chunk(struct csvread *r, const char *p, size_t n)
{
	static const char bom[] = "\xef\xbb\xbf";
	const char *end = p + n;

	if (r->bom < 3) {
		while (p < end && r->bom < 3 && *p == bom[r->bom]) {
			p++;
			r->bom++;
		}
		if (p == end && r->bom < 3)
			return; /* all BOM so far: wait for more */
		if (r->bom < 3) {
			/* not a BOM after all: its first bytes are data */
			int k = r->bom;

			r->bom = 3;
			parse_chunk(r, bom, k);
		}
		r->bom = 3;
	}
	r->raw_from = p;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *e = nl ? nl + 1 : end;

		if (!r->skip_line) {
			/* state 0 is libcsv's ROW_NOT_BEGUN: a record starts on this line */
			if (r->p.pstate == 0) {
				r->rec_start = r->lineno;
				r->raw_from = p;
			}
			r->seg_start = p;
			r->seg_end = e;
			parse(r, p, e);
		}
		if (nl) {
			r->lineno++;
			r->skip_line = 0;
		}
		p = e;
	}
	if (r->p.pstate != 0 && !r->skip_line)
		buf_add(&r->carry, r->raw_from, end - r->raw_from);
	r->raw_from = r->seg_start = r->seg_end = NULL;
}

/* The file ended: the last record may have no line break after it. */
static void parse_end(struct csvread *r)
{
	static const char bom[] = "\xef\xbb\xbf";

	if (r->bom > 0 && r->bom < 3) {
		/* a file holding only the start of a BOM */
		int k = r->bom;

		r->bom = 3;
		parse_chunk(r, bom, k);
	}
	if (r->failed)
		return;
	if (csv_fini(&r->p, on_field, on_record, r) != 0)
		syntax_error(r, "quoted field not closed at the end of the file");
}

/* --- Pipeline ---------------------------------------------------------- */

/* With the pipeline on, a second thread parses while the caller's converts
 * and emits: jobs (a chunk, the end of a file) go to the parser one at a
 * time, and its events come back in batches, at most NBATCH in flight.
 * The caller's thread waits for a job's last batch before it returns for
 * the next chunk, so everything that may end the process (bad records, the
 * header, write errors) happens there, in the order of the input, while the
 * parser touches nothing but its own state and the batches.  Off, each
 * batch is converted as soon as it is full. */

/* The batch being filled is done: hand it over, start the next one. */
static void batch_send(struct csvread *r, int last)
{
	if (!r->on) {
		convert(r, &r->b[0]);
		r->b[0].len = 0;
		return;
	}
	r->b[r->wi].last = last;
	pthread_mutex_lock(&r->mu);
	r->nfull++;
	pthread_cond_signal(&r->full_cv);
	r->wi = (r->wi + 1) % NBATCH;
	while (r->nfull == NBATCH)
		pthread_cond_wait(&r->free_cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
	r->b[r->wi].len = 0;
}

static void job_do(struct csvread *r, int job, const char *p, size_t n)
{
	if (job == JOB_CHUNK)
		parse_chunk(r, p, n);
	else
		parse_end(r);
	batch_send(r, 1);
}

static void *parser_main(void *arg)
{
	struct csvread *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		int job;

		while (r->job == JOB_NONE)
			pthread_cond_wait(&r->job_cv, &r->mu);
		job = r->job;
		r->job = JOB_NONE;
		if (job == JOB_QUIT)
			break;
		pthread_mutex_unlock(&r->mu);
		job_do(r, job, r->job_p, r->job_n);
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* Run a job and convert its events. */
static void job_run(struct csvread *r, int job, const char *p, size_t n)
{
	int last = 0;

	if (!r->on) {
		job_do(r, job, p, n);
		return;
	}
	pthread_mutex_lock(&r->mu);
	r->job = job;
	r->job_p = p;
	r->job_n = n;
	pthread_cond_signal(&r->job_cv);
	pthread_mutex_unlock(&r->mu);
	while (!last) {
		struct batch *b = &r->b[r->ri];

		pthread_mutex_lock(&r->mu);
		while (r->nfull == 0)
			pthread_cond_wait(&r->full_cv, &r->mu);
		pthread_mutex_unlock(&r->mu);
		convert(r, b);
		last = b->last;
		pthread_mutex_lock(&r->mu);
		r->nfull--;
		pthread_cond_signal(&r->free_cv);
		pthread_mutex_unlock(&r->mu);
		r->ri = (r->ri + 1) % NBATCH;
	}
}

static void pipe_stop(struct csvread *r)
{
	if (!r->on)
		return;
	pthread_mutex_lock(&r->mu);
	r->job = JOB_QUIT;
	pthread_cond_signal(&r->job_cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->tid, NULL);
	r->on = 0;
}

/* --- The sample -------------------------------------------------------- */

/* Walk the complete records of the CSV text p[0..n): field(ctx, i, s, len)
 * for each field (quotes kept, doubled quotes not undone), then
 * record(ctx, nfields).  A blank line is no record. */
static void sample_walk(const char *p, size_t n, unsigned char delim, unsigned char quote, int eof,
			void (*field)(void *, size_t, const char *, size_t),
			void (*record)(void *, size_t), void *ctx)
{
	size_t i = 0;

	if (n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < n) {
		size_t start = i, nf = 0, fs = i;
		int inq = 0, done = 0;

		for (; i < n; i++) {
			unsigned char c = (unsigned char)p[i];

			if (inq) {
				if (c == quote)
					inq = 0;
			} else if (c == quote) {
				inq = 1;
			} else if (c == delim) {
				if (field)
					field(ctx, nf, p + fs, i - fs);
				nf++;
				fs = i + 1;
			} else if (c == '\n') {
				done = 1;
				break;
			}
		}
		if (!done && (!eof || inq))
			return; /* an incomplete record */
		{
			size_t fe = i;

			if (fe > fs && p[fe - 1] == '\r')
				fe--;
			if (nf == 0 && fe == start) {
				i++;
				continue; /* a blank line */
			}
			if (field)
				field(ctx, nf, p + fs, fe - fs);
			record(ctx, nf + 1);
		}
		i++;
	}
}

struct width {
	size_t first, records;
	int ragged;
};

static void width_record(void *ctx, size_t nf)
{
	struct width *w = ctx;

	if (!w->records++)
		w->first = nf;
	else if (nf != w->first)
		w->ragged = 1;
}

unsigned char csvread_detect(const char *p, size_t n, unsigned char quote, int eof)
{
	static const char cands[] = ",;\t|";

	for (const char *c = cands; *c; c++) {
		struct width w = {0, 0, 0};

		if ((unsigned char)*c == quote)
			continue;
		sample_walk(p, n, (unsigned char)*c, quote, eof, NULL, width_record, &w);
		if (w.records && !w.ragged && w.first > 1)
			return (unsigned char)*c;
	}
	return ',';
}

/* The kind of a sample value: K_TEXT, or the type it has (a number, a
 * boolean, a date, a timestamp, a time of day).  A column is typed when all
 * its values in the sample are of one such kind. */
enum { K_TEXT, K_NUMBER, K_BOOL, K_DATE, K_TIMESTAMP, K_TIME, K_NONE = 0xff };

static int value_kind(const char *s, size_t n, unsigned char quote, struct buf *tmp)
{
	if (n >= 2 && (unsigned char)s[0] == quote && (unsigned char)s[n - 1] == quote) {
		s++;
		n -= 2;
	}
	if (plain_number(s, n))
		return K_NUMBER;
	if ((n == 4 && !memcmp(s, "true", 4)) || (n == 5 && !memcmp(s, "false", 5)))
		return K_BOOL;
	buf_reset(tmp);
	if (!cast_text(tmp, CAST_DATE, s, n))
		return K_DATE;
	if (!cast_text(tmp, CAST_TIMESTAMP, s, n))
		return K_TIMESTAMP;
	/* a time of day: HH:MM or HH:MM:SS, fractions allowed */
	if ((n == 5 || n >= 8) && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':' &&
	    is_digit(s[3]) && is_digit(s[4])) {
		size_t i = 5;

		if (n >= 8 && s[5] == ':' && is_digit(s[6]) && is_digit(s[7])) {
			i = 8;
			if (i < n && s[i] == '.')
				for (i++; i < n && is_digit(s[i]); i++)
					;
		}
		return i == n ? K_TIME : K_TEXT;
	}
	return K_TEXT;
}

/* Sample typing: typed[i] is the kind of column i's values so far
 * (K_NONE while they are all empty or null). */
struct kinds {
	struct csvread *r;
	size_t records, skip;
	struct buf tmp;
};

static void kinds_field(void *ctx, size_t i, const char *s, size_t n)
{
	struct kinds *k = ctx;
	struct csvread *r = k->r;
	int kind;

	if (k->records < k->skip)
		return;
	if (i >= r->ntyped) {
		r->typed = xrealloc(r->typed, i + 1);
		memset(r->typed + r->ntyped, K_NONE, i + 1 - r->ntyped);
		r->ntyped = i + 1;
	}
	if (!n || r->typed[i] == K_TEXT)
		return;
	for (size_t j = 0; j < r->o.nnull; j++)
		if (r->o.nulls[j].n == n && !memcmp(r->o.nulls[j].p, s, n))
			return;
	kind = value_kind(s, n, r->o.dialect.quote, &k->tmp);
	r->typed[i] = r->typed[i] == K_NONE || r->typed[i] == kind ? kind : K_TEXT;
}

static void kinds_record(void *ctx, size_t nf)
{
	(void)nf;
	((struct kinds *)ctx)->records++;
}

/* The sample is complete (or the file ended, eof): settle the delimiter
 * and the columns' kinds, then parse it. */
static void sample_finish(struct csvread *r, int eof)
{
	const char *p = r->sample.p ? r->sample.p : "";
	size_t n = r->sample.len;
	/* a big first chunk: the sample is its start */
	size_t sn = n > SAMPLE_BYTES ? SAMPLE_BYTES : n;
	int whole = eof && sn == n;

	r->sampling = 0;
	if (!r->o.dialect.delim) {
		r->delim = csvread_detect(p, sn, r->o.dialect.quote, whole);
		csv_set_delim(&r->p, r->delim);
		if (r->o.verbose)
			etl_error(r->file, "the delimiter is '%s'",
				  r->delim == '\t' ? "\\t" : (char[]){(char)r->delim, '\0'});
	}
	r->ntyped = 0;
	if (r->o.infer) {
		struct kinds k = {r, 0, r->o.header == CSVREAD_HEADER_ROW, BUF_INIT};

		sample_walk(p, sn, r->delim, r->o.dialect.quote, whole, kinds_field, kinds_record,
			    &k);
		buf_release(&k.tmp);
		for (size_t i = 0; i < r->ntyped; i++)
			r->typed[i] = r->typed[i] != K_TEXT && r->typed[i] != K_NONE;
		/* given names: the columns exist already */
		for (size_t i = 0; i < r->ncols; i++)
			r->cols[i].empty_null = i < r->ntyped && r->typed[i];
	}
	if (n)
		job_run(r, JOB_CHUNK, p, n);
	buf_reset(&r->sample);
}

/* --- Options --------------------------------------------------------- */

int csvread_on_opt(struct csvread_opts *o, int id, const char *arg)
{
	if (csvopt_on_opt(&o->dialect, id, arg))
		return 1;
	switch (id) {
	case CSVREAD_NULL:
		xgrow(&o->nulls, &o->capnull, o->nnull + 1, sizeof(*o->nulls));
		o->nulls[o->nnull].p = arg;
		o->nulls[o->nnull++].n = strlen(arg);
		return 1;
	case CSVREAD_INFER:
		o->infer = 1;
		return 1;
	}
	return 0;
}

void csvread_opts_check(struct csvread_opts *o)
{
	csvopt_check(&o->dialect);
	if (!o->dialect.delim_opt)
		o->dialect.delim = 0;
}

void csvread_opts_release(struct csvread_opts *o)
{
	free(o->nulls);
	o->nulls = NULL;
	o->nnull = o->capnull = 0;
}

/* --- Files ------------------------------------------------------------- */

void csvread_feed(struct csvread *r, const char *p, size_t n)
{
	if (r->sampling) {
		for (const char *q = p, *e = p + n; (q = memchr(q, '\n', e - q)); q++)
			r->sample_lines++;
		buf_add(&r->sample, p, n);
		if (r->sample.len >= SAMPLE_BYTES || r->sample_lines >= SAMPLE_LINES)
			sample_finish(r, 0);
		return;
	}
	job_run(r, JOB_CHUNK, p, n);
}

void csvread_begin(struct csvread *r, const char *file)
{
	csvread_end(r);
	r->file = file;
	r->lineno = 1;
	r->bom = 0;
	r->skip_line = 0;
	r->failed = 0;
	if (r->o.header == CSVREAD_HEADER_ROW) {
		r->have_header = 0;
		r->width_fixed = 0;
		r->ncols = 0;
		buf_reset(&r->names);
		buf_reset(&r->keys);
	}
	r->seg_start = NULL;
	r->sampling = !r->o.dialect.delim || r->o.infer;
	r->sample_lines = 0;
	buf_reset(&r->sample);
	parse_reset(r);
	record_reset(r);
}

void csvread_end(struct csvread *r)
{
	if (!r->file)
		return;
	if (r->sampling)
		sample_finish(r, 1);
	job_run(r, JOB_END, NULL, 0);
	r->file = NULL;
}

/* libcsv grows its field buffer by a fixed block, which makes a long field
 * cost quadratic time; this realloc doubles instead.  libcsv's hook has no
 * context, so the capacity is kept in front of the buffer. */
#define CAP_HEAD 16

static void *field_realloc(void *p, size_t n)
{
	size_t cap = 0;
	char *base = p ? (char *)p - CAP_HEAD : NULL;

	if (base)
		memcpy(&cap, base, sizeof(cap));
	if (p && n <= cap)
		return p;
	if (n < 2 * cap)
		n = 2 * cap;
	if (n < 4096)
		n = 4096;
	base = xrealloc(base, n + CAP_HEAD);
	memcpy(base, &n, sizeof(n));
	return base + CAP_HEAD;
}

static void field_free(void *p)
{
	if (p)
		free((char *)p - CAP_HEAD);
}

static int no_space(unsigned char c)
{
	(void)c;
	return 0; /* RFC 4180: spaces are part of a field */
}

struct csvread *csvread_new(const struct csvread_opts *o, csvread_emit_fn emit, void *ctx)
{
	struct csvread *r;

	/* every --types column must be one of --header's, checked before
	 * anything is allocated */
	for (size_t k = 0; o->header == CSVREAD_HEADER_GIVEN && k < o->ntypes; k++) {
		size_t i = 0;

		while (i < o->ngiven && !path_seg_eq(&o->given[i].seg[0], &o->types[k].path.seg[0]))
			i++;
		if (i == o->ngiven)
			(o->die ? o->die : etl_die)(ETL_EXIT_USAGE, "--types",
						    "no column '%s' in %s", o->types[k].path.text,
						    "--header");
	}
	r = xcalloc(1, sizeof(*r));
	r->o = *o;
	r->emit = emit;
	r->ctx = ctx;
	r->die = o->die ? o->die : etl_die;
	r->delim = o->dialect.delim ? o->dialect.delim : ',';
	r->opts = CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL;
	csv_init(&r->p, r->opts);
	csv_set_delim(&r->p, r->delim);
	csv_set_quote(&r->p, o->dialect.quote);
	csv_set_space_func(&r->p, no_space);
	csv_set_realloc_func(&r->p, field_realloc);
	csv_set_free_func(&r->p, field_free);
	r->have_header = o->header != CSVREAD_HEADER_ROW;
	r->width_fixed = o->header == CSVREAD_HEADER_GIVEN;
	if (o->header == CSVREAD_HEADER_GIVEN) {
		for (size_t i = 0; i < o->ngiven; i++) {
			col_add(r, o->given[i].seg[0].s, o->given[i].seg[0].n);
			col_finish(r, i);
		}
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->job_cv, NULL);
	pthread_cond_init(&r->full_cv, NULL);
	pthread_cond_init(&r->free_cv, NULL);
	if (o->threads) {
		int e = pthread_create(&r->tid, NULL, parser_main, r);

		if (e)
			r->die(ETL_EXIT_SOFTWARE, NULL, "cannot start a thread: %s", strerror(e));
		r->on = 1;
	}
	return r;
}

void csvread_free(struct csvread *r)
{
	if (!r)
		return;
	pipe_stop(r);
	csv_free(&r->p);
	free(r->cols);
	buf_release(&r->names);
	buf_release(&r->keys);
	buf_release(&r->line);
	buf_release(&r->carry);
	buf_release(&r->raw);
	buf_release(&r->sample);
	free(r->typed);
	for (int i = 0; i < NBATCH; i++)
		free(r->b[i].p);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->job_cv);
	pthread_cond_destroy(&r->full_cv);
	pthread_cond_destroy(&r->free_cv);
	free(r);
}
