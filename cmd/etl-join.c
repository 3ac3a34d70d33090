/*
 * etl-join - each record with the matching records of a smaller file
 * (--with, NDJSON or CSV): their fields appended, one output per match.
 *
 * The --with file is read first, whole: each of its records is kept as the
 * text of the fields it adds ("name":value,... as written, but for its key
 * fields, with --prefix before each name), in a table from the 128-bit hash
 * of its key's canonical text (hash.h) to the list of its records in file
 * order.  Then the input streams through: a record's key is hashed, looked
 * up, and the record written per --inner, --left, --semi or --anti.
 *
 * Invariants:
 *  - A record written is its own bytes, unchanged, with the side's fields
 *    inserted before its closing brace: new fields at the end.
 *  - Keys are equal as in etl-dedupe: the same JSON value whatever its
 *    spelling (1 == 1.0 == 1e0, "\u0061" == "a"), a number never equal to a
 *    string.  A key with a null or missing field matches nothing, as in SQL.
 *  - Matches come in the --with file's order; the output follows the input.
 *  - records_in counts the input's records (not --with's); a record is
 *    written once per match (records_out), or once (unmatched with --left,
 *    --semi, --anti), or dropped.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "csvread.h"
#include "input.h"
#include "tempfile.h"
#include "die.h"
#include "hash.h"
#include "jsonw.h"
#include "kmerge.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "scan.h"
#include "sortkey.h"
#include "spill.h"
#include "stats.h"
#include "utf8.h"
#include "banned.h"

enum {
	OPT_KEY = 1,
	OPT_WITH,
	OPT_WITH_KEY,
	OPT_LEFT,
	OPT_INNER,
	OPT_SEMI,
	OPT_ANTI,
	OPT_PREFIX,
	OPT_MEMORY,
	OPT_TEMP,
	OPT_SORTED,
	OPT_WITH_FORMAT
};

static const struct cli_opt opts[] = {
	{OPT_KEY, "key", 'k', CLI_ARG, "FIELDS", "the input's key fields (required)"},
	{OPT_WITH, "with", 0, CLI_ARG, "FILE", "the file to look records up in (required)"},
	{OPT_WITH_KEY, "with-key", 0, CLI_ARG, "FIELDS",
	 "--with's key fields (default: those of -k)"},
	{OPT_WITH_FORMAT, "with-format", 0, CLI_ARG, "FORMAT",
	 "ndjson, or csv (read as etl-from-csv --infer); default: csv for a name ending in .csv"},
	{OPT_INNER, "inner", 0, CLI_NOARG, NULL, "only records with a match (the default)"},
	{OPT_LEFT, "left", 0, CLI_NOARG, NULL, "also records without a match, unchanged"},
	{OPT_SEMI, "semi", 0, CLI_NOARG, NULL, "records with a match, once and unchanged"},
	{OPT_ANTI, "anti", 0, CLI_NOARG, NULL, "records without a match, unchanged"},
	{OPT_PREFIX, "prefix", 0, CLI_ARG, "P", "put P before the names of --with's fields"},
	{OPT_MEMORY, "memory", 0, CLI_ARG, "SIZE",
	 "past this much of --with, join partition by partition on disk (default: 1G)"},
	{OPT_TEMP, "temp-dir", 0, CLI_ARG, "DIR", "where the partitions go"},
	{OPT_SORTED, "sorted", 0, CLI_NOARG, NULL,
	 "the input and --with are sorted on the key: merge them, holding one key's records"},
	{0, NULL, 0, 0, NULL, NULL},
};

enum mode { INNER, LEFT, SEMI, ANTI };

static enum mode mode = INNER;
static char *mode_opt;
static struct path *keys, *wkeys;
static size_t nkeys, nwkeys;
static int have_wkeys;
static const char *with_file, *prefix = "", *key_arg, *temp_dir;
static uint64_t budget = (uint64_t)1 << 30;
static const char *memory_arg, *with_format;
static int sorted;

static void set_mode(enum mode m)
{
	if (mode_opt && mode != m)
		cli_usage_error(cli_optname, "cannot be used with %s", mode_opt);
	mode = m;
	free(mode_opt);
	mode_opt = xstrdup(cli_optname);
}

static void on_opt(int id, const char *arg)
{
	switch (id) {
	case OPT_KEY:
		path_list_free(keys, nkeys);
		cli_paths(cli_optname, arg, &keys, &nkeys);
		key_arg = arg;
		break;
	case OPT_WITH:
		with_file = arg;
		break;
	case OPT_WITH_KEY:
		path_list_free(wkeys, nwkeys);
		cli_paths(cli_optname, arg, &wkeys, &nwkeys);
		have_wkeys = 1;
		break;
	case OPT_INNER:
		set_mode(INNER);
		break;
	case OPT_LEFT:
		set_mode(LEFT);
		break;
	case OPT_SEMI:
		set_mode(SEMI);
		break;
	case OPT_ANTI:
		set_mode(ANTI);
		break;
	case OPT_MEMORY:
		budget = cli_size(cli_optname, arg, 1);
		memory_arg = arg;
		break;
	case OPT_TEMP:
		temp_dir = arg;
		break;
	case OPT_SORTED:
		sorted = 1;
		break;
	case OPT_WITH_FORMAT:
		if (strcmp(arg, "ndjson") && strcmp(arg, "csv"))
			cli_usage_error(cli_optname, "expected 'ndjson' or 'csv', got '%s'", arg);
		with_format = arg;
		break;
	case OPT_PREFIX:
		if (!utf8_valid(arg, strlen(arg)))
			cli_usage_error(cli_optname, "not valid UTF-8");
		prefix = arg;
		break;
	}
}

/* ---- keys ---- */

static struct hash_canon canon;

/* The hash of a record's key; 0 when a key field is null or missing. */
static int key_hash(const struct span *vals, size_t n, struct hash128 *h)
{
	hash_canon_reset(&canon);
	for (size_t i = 0; i < n; i++) {
		enum scan_kind k = scan_kind(vals[i]);

		if (k == SCAN_NONE || k == SCAN_NULL)
			return 0;
		hash_canon_add(&canon, vals[i]);
	}
	*h = hash_canon_sum(&canon);
	return 1;
}

/* ---- the --with side ---- */

/* A --with record: the text of the fields it adds, in side_text. */
struct side {
	struct hash128 h;
	size_t off, len;
	size_t next; /* the next record of the same key, + 1; 0 for none */
};

struct chain {
	uint64_t first, last; /* + 1 */
};

static struct side *sides;
static size_t nsides, capsides;
static struct buf side_text;
static struct hash_table index_; /* key hash -> struct chain */
static struct hash_table names;  /* hashes of the added fields' names */

/* Is the raw key one of the --with key fields (a top-level one)? */
static int is_key_field(struct span rawkey)
{
	for (size_t i = 0; i < nwkeys; i++)
		if (wkeys[i].nseg == 1 && scan_key_eq(rawkey, wkeys[i].seg[0].s, wkeys[i].seg[0].n))
			return 1;
	return 0;
}

static struct hash128 name_hash(struct buf *tmp, struct span rawkey)
{
	buf_reset(tmp);
	buf_adds(tmp, prefix);
	scan_unescape(tmp, rawkey.p, rawkey.n);
	return hash_bytes(tmp->p, tmp->len);
}

/* Past --memory, --with and the input are split by key hash into NPART
 * partitions on disk, and joined one partition at a time. */
#define NPART 64

static struct spill *side_part[NPART], *in_part[NPART];
static int partitioned;

static uint64_t held(void)
{
	return side_text.cap + capsides * sizeof(*sides) + hash_table_bytes(&index_);
}

static size_t part_of(struct hash128 h)
{
	return h.hi % NPART; /* the table uses the low bits */
}

/* A side record in a partition: its hash and length, then its text. */
struct side_hdr {
	struct hash128 h;
	uint64_t len;
};

static void spill_side(struct hash128 h, const char *text, size_t len)
{
	struct side_hdr hd = {h, len};
	size_t p = part_of(h);

	if (!side_part[p])
		side_part[p] = spill_open(temp_dir);
	spill_write(side_part[p], &hd, sizeof(hd));
	spill_write(side_part[p], text, len);
}

static void forget_sides(void)
{
	nsides = 0;
	buf_reset(&side_text);
	hash_table_release(&index_);
	hash_table_init(&index_, sizeof(struct chain));
}

/* Add a side record whose text is side_text[off, end) to the table. */
static void add_side(struct hash128 h, size_t off)
{
	struct side *s;
	struct chain *c;
	int added;

	xgrow(&sides, &capsides, nsides + 1, sizeof(*sides));
	s = &sides[nsides++];
	s->h = h;
	s->off = off;
	s->len = side_text.len - off;
	s->next = 0;
	c = hash_table_put(&index_, h, &added);
	if (added)
		c->first = nsides;
	else
		sides[c->last - 1].next = nsides;
	c->last = nsides;
}

/* Memory is full: what it holds goes to the partitions, and so will the
 * rest. */
static void go_partitioned(void)
{
	for (size_t i = 0; i < nsides; i++)
		spill_side(sides[i].h, side_text.p + sides[i].off, sides[i].len);
	forget_sides();
	partitioned = 1;
}

/* ---- reading --with ---- */

/* A CSV file is read by common/csvread as etl-from-csv --infer reads it
 * (the same reader, the same types), into an unlinked temporary file of
 * NDJSON that the NDJSON reader then reads: one record a line, so a record
 * is named by its number in messages.  A bad CSV record stops the run (65)
 * with its file:line. */
static int csv_fd = -1;
static char csv_name[32];
static struct buf csv_out;

static int with_is_csv(void)
{
	size_t n = strlen(with_file);

	if (with_format)
		return !strcmp(with_format, "csv");
	return n > 4 && !strcasecmp(with_file + n - 4, ".csv");
}

static void csv_flush(void)
{
	size_t off = 0;

	while (off < csv_out.len) {
		ssize_t k = write(csv_fd, csv_out.p + off, csv_out.len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			etl_die(ETL_EXIT_IOERR, temp_dir ? temp_dir : "temporary file",
				"cannot write: %s", strerror(errno));
		off += k;
	}
	buf_reset(&csv_out);
}

static void csv_emit(void *ctx, const char *line, size_t n)
{
	(void)ctx;
	buf_add(&csv_out, line, n);
	buf_addc(&csv_out, '\n');
	if (csv_out.len >= 1 << 16)
		csv_flush();
}

static void csv_convert(void)
{
	static char *files[1];
	struct csvread_opts o = {.dialect = {0, '"', 0}, .infer = 1, .strict = 1};
	struct csvread *r = csvread_new(&o, csv_emit, NULL);
	struct input *in;
	const char *p, *file, *used;
	size_t n;
	int first;

	csv_fd = tempfile_open(temp_dir, &used);
	if (csv_fd < 0)
		etl_die(ETL_EXIT_IOERR, used, "cannot make a temporary file: %s", strerror(errno));
	files[0] = (char *)with_file;
	in = input_open(files, 1);
	while (input_chunk(in, &p, &n, &file, &first)) {
		if (first)
			csvread_begin(r, file);
		csvread_feed(r, p, n);
	}
	csvread_end(r);
	csvread_free(r);
	input_close(in);
	csv_flush();
	buf_release(&csv_out);
	if (lseek(csv_fd, 0, SEEK_SET) < 0)
		etl_die(ETL_EXIT_IOERR, used, "cannot read a temporary file: %s", strerror(errno));
	snprintf(csv_name, sizeof(csv_name), "/dev/fd/%d", csv_fd);
}

static struct ndjson *open_with(void)
{
	static char *files[1]; /* the reader keeps the array */

	files[0] = (char *)with_file;
	if (!with_is_csv())
		return nd_open(files, 1, wkeys, nwkeys);
	if (csv_fd < 0)
		csv_convert();
	else if (lseek(csv_fd, 0, SEEK_SET) < 0)
		etl_die(ETL_EXIT_IOERR, with_file, "cannot read it again: %s", strerror(errno));
	files[0] = csv_name;
	return nd_open(files, 1, wkeys, nwkeys);
}

static void close_with(struct ndjson *nd)
{
	nd_close(nd);
}

/* The place of a --with record, for messages: a CSV file's records are
 * counted from 1. */
static const char *with_where(const struct record *rec)
{
	static char where[PATH_MAX + 32];

	if (csv_fd < 0)
		return etl_where(rec->file, rec->lineno, 0);
	snprintf(where, sizeof(where), "%s: record %llu", with_file,
		 (unsigned long long)rec->lineno);
	return where;
}

/* The prefix as it goes into JSON text: escaped, without quotes. */
static struct buf prefix_json, name_tmp;

static void prefix_setup(void)
{
	jw_string(&prefix_json, prefix, strlen(prefix));
	memmove(prefix_json.p, prefix_json.p + 1, prefix_json.len - 2);
	prefix_json.len -= 2;
}

/* The names added, as a record with no backslash would write them as keys
 * ("name", quotes included), one after another: such a record can have one
 * of them as a key only if its line holds that text, which memmem() finds
 * faster than the record's keys are decoded and hashed.  A name that needs
 * escaping is not a key of such a record and has no needle. */
static struct buf needles;
static size_t *needle_end;
static size_t nneedles, capneedles;

static void add_needle(const struct buf *name)
{
	for (size_t i = 0; i < name->len; i++)
		if (name->p[i] == '"' || name->p[i] == '\\' || (unsigned char)name->p[i] < 0x20)
			return;
	buf_addc(&needles, '"');
	buf_add(&needles, name->p, name->len);
	buf_addc(&needles, '"');
	xgrow(&needle_end, &capneedles, nneedles + 1, sizeof(*needle_end));
	needle_end[nneedles++] = needles.len;
}

/* Append the text of the fields a --with record adds to side_text. */
static void side_fields(const struct record *rec)
{
	struct scan_iter it;
	struct span k, v;
	size_t off = side_text.len;
	int added;

	scan_iter_init(&it, rec->line);
	while (scan_iter_next(&it, &k, &v)) {
		if (is_key_field(k))
			continue;
		if (side_text.len > off)
			buf_addc(&side_text, ',');
		buf_addc(&side_text, '"');
		buf_add(&side_text, prefix_json.p, prefix_json.len);
		buf_add(&side_text, k.p, k.n);
		buf_add(&side_text, "\":", 2);
		v = scan_trim(v);
		buf_add(&side_text, v.p, v.n);
		hash_table_put(&names, name_hash(&name_tmp, k), &added);
		if (added)
			add_needle(&name_tmp);
	}
}

static void load_side(void)
{
	struct ndjson *nd = open_with();
	struct record rec;
	uint64_t in_before = stats.records_in;

	while (nd_next(nd, &rec)) {
		struct hash128 h;
		size_t off = side_text.len;

		if (!key_hash(rec.vals, nwkeys, &h))
			continue;
		side_fields(&rec);
		if (partitioned) {
			spill_side(h, side_text.p + off, side_text.len - off);
			side_text.len = off;
			continue;
		}
		add_side(h, off);
		if (held() > budget)
			go_partitioned();
	}
	close_with(nd);
	stats.records_in = in_before;
}

/* Read partition p of --with into the table. */
static void load_part(size_t p)
{
	struct spill *sp = side_part[p];
	uint64_t off = 0, size = sp ? spill_size(sp) : 0;

	forget_sides();
	while (off < size) {
		struct side_hdr hd;
		size_t at = side_text.len;

		spill_read(sp, off, &hd, sizeof(hd));
		buf_grow(&side_text, hd.len);
		spill_read(sp, off + sizeof(hd), side_text.p + at, hd.len);
		side_text.len += hd.len;
		off += sizeof(hd) + hd.len;
		add_side(hd.h, at);
	}
}

/* ---- output ---- */

/* The record's closing brace, and whether the object is empty. */
static size_t closing(struct span line, int *empty)
{
	size_t e = line.n, b;

	while (line.p[--e] != '}')
		;
	b = e;
	while (b > 0 && (line.p[b - 1] == ' ' || line.p[b - 1] == '\t' || line.p[b - 1] == '\r' ||
			 line.p[b - 1] == '\n'))
		b--;
	*empty = line.p[b - 1] == '{';
	return e;
}

/* Where output goes: standard output, or, when joining by partitions, the
 * partition's output file, each line after its record's place in the input
 * (struct out_hdr), for the final merge. */
static struct spill *to;
static uint64_t to_seq;
static struct buf joined;

struct out_hdr {
	uint64_t seq, len;
};

static void emit(const char *p, size_t n)
{
	if (to)
		buf_add(&joined, p, n);
	else
		out_write(p, n);
}

static void emit_end(void)
{
	if (to) {
		struct out_hdr hd = {to_seq, joined.len};

		spill_write(to, &hd, sizeof(hd));
		spill_write(to, joined.p, joined.len);
		buf_reset(&joined);
	} else {
		out_putc('\n');
	}
	stats.records_out++;
}

static void write_joined(const struct record *rec, size_t e, int empty, const struct side *s)
{
	emit(rec->line.p, e);
	if (s->len) {
		if (!empty)
			emit(",", 1);
		emit(side_text.p + s->off, s->len);
	}
	emit(rec->line.p + e, rec->line.n - e);
	emit_end();
}

/* A field of the record has the name of a field --with adds: say which. */
static int clash(const struct record *rec, struct buf *tmp, struct span *which)
{
	struct scan_iter it;
	struct span k, v;

	if (!names.count)
		return 0;
	if (nneedles <= 16 && !memchr(rec->line.p, '\\', rec->line.n)) {
		size_t at = 0, i;

		for (i = 0; i < nneedles; at = needle_end[i++])
			if (memmem(rec->line.p, rec->line.n, needles.p + at, needle_end[i] - at))
				break;
		if (i == nneedles)
			return 0;
	}
	scan_iter_init(&it, rec->line);
	while (scan_iter_next(&it, &k, &v)) {
		buf_reset(tmp);
		scan_unescape(tmp, k.p, k.n);
		if (hash_table_get(&names, hash_bytes(tmp->p, tmp->len))) {
			*which = k;
			return 1;
		}
	}
	return 0;
}

/* Write the record as the mode says, c its matches (NULL: none). */
static void join_one(struct ndjson *nd, const struct record *rec, const struct chain *c,
		     struct buf *tmp)
{
	struct span which;
	int empty;
	size_t e;

	if (mode == SEMI || mode == ANTI || !c) {
		/* written unchanged, or not at all */
		int write =
			mode == SEMI || mode == ANTI ? (c != NULL) == (mode == SEMI) : mode == LEFT;

		if (write) {
			emit(rec->line.p, rec->line.n);
			emit_end();
		} else {
			stats.dropped++;
		}
		return;
	}
	if (clash(rec, tmp, &which)) {
		nd_reject(nd, rec, 0,
			  "field \"%.*s\" is also a field of %s; --prefix names them apart",
			  (int)which.n, which.p, with_file);
		return;
	}
	e = closing(rec->line, &empty);
	for (uint64_t i = c->first; i; i = sides[i - 1].next)
		write_joined(rec, e, empty, &sides[i - 1]);
}

/* ---- --sorted: a merge join ---- */

/* --with read along the input, one group of records of equal key at a
 * time, held as the table's only chain (under the hash zero); keys compared
 * as sort keys (sortkey.h: ascending, null last, as etl-sort sorts). */
static struct ndjson *snd;
static struct record srec;    /* the next --with record, not yet in a group */
static int shave;             /* srec is there */
static struct buf skey, gkey; /* srec's key, the group's */
static struct buf sprev;      /* the key of the --with record before srec */
static int ghave;             /* there is a group */
static uint64_t side_read;    /* --with records read, not the input's */
static const struct hash128 zero;

/* Encode a record's key; 0 when a field is null or missing. */
static int sort_key(struct buf *b, const struct span *vals, size_t n)
{
	int keyed = 1;

	buf_reset(b);
	for (size_t i = 0; i < n; i++) {
		enum scan_kind k = scan_kind(vals[i]);

		keyed &= k != SCAN_NONE && k != SCAN_NULL;
		sortkey_add(b, vals[i], 0);
	}
	return keyed;
}

/* Read the next --with record with a key (one with a null or missing key
 * field matches nothing and is passed over); shave says whether there was
 * one.  The order is checked on every record. */
static void side_next(void)
{
	shave = 0;
	for (;;) {
		int keyed;

		buf_reset(&sprev);
		buf_add(&sprev, skey.p, skey.len);
		if (!nd_next(snd, &srec))
			return;
		side_read++;
		keyed = sort_key(&skey, srec.vals, nwkeys);
		if (sprev.len && sortkey_cmp(sprev.p, sprev.len, skey.p, skey.len) > 0)
			etl_die(ETL_EXIT_DATA, with_where(&srec),
				"out of order: --sorted needs --with sorted on the key");
		if (keyed) {
			shave = 1;
			return;
		}
	}
}

/* The group of --with records whose key is the input key k, or NULL. */
static const struct chain *sorted_match(const struct buf *k)
{
	while (!ghave || sortkey_cmp(gkey.p, gkey.len, k->p, k->len) < 0) {
		struct buf first = BUF_INIT;

		if (!shave)
			return NULL;
		/* a new group: every record of srec's key */
		buf_add(&first, skey.p, skey.len);
		forget_sides();
		do {
			size_t off = side_text.len;

			side_fields(&srec);
			add_side(zero, off);
			side_next();
		} while (shave && !sortkey_cmp(first.p, first.len, skey.p, skey.len));
		buf_reset(&gkey);
		buf_add(&gkey, first.p, first.len);
		buf_release(&first);
		ghave = 1;
	}
	if (sortkey_cmp(gkey.p, gkey.len, k->p, k->len))
		return NULL;
	return hash_table_get(&index_, zero);
}

static void sorted_join(struct buf *tmp)
{
	struct ndjson *nd;
	struct record rec;
	struct buf k[2] = {BUF_INIT, BUF_INIT};
	int cur = 0, first = 1;

	snd = open_with();
	side_next();
	nd = nd_open(cli.files, cli.nfiles, keys, nkeys);
	while (nd_next(nd, &rec)) {
		int keyed = sort_key(&k[cur], rec.vals, nkeys);

		if (!first && sortkey_cmp(k[!cur].p, k[!cur].len, k[cur].p, k[cur].len) > 0)
			etl_die(ETL_EXIT_DATA, etl_where(rec.file, rec.lineno, 0),
				"out of order: --sorted needs the input sorted on the key");
		first = 0;
		join_one(nd, &rec, keyed ? sorted_match(&k[cur]) : NULL, tmp);
		cur ^= 1;
	}
	nd_close(nd);
	close_with(snd);
	stats.records_in -= side_read;
	buf_release(&k[0]);
	buf_release(&k[1]);
	buf_release(&skey);
	buf_release(&gkey);
	buf_release(&sprev);
}

/* An input record in a partition: its hash, where it was read, its line. */
struct in_hdr {
	struct hash128 h;
	const char *file; /* the input's name, valid for the whole run */
	uint64_t lineno, len, seq;
};

/* Each partition's output, and (last) that of the records without a key. */
static struct spill *part_out[NPART + 1];

static struct spill *part_output(size_t p)
{
	if (!part_out[p])
		part_out[p] = spill_open(temp_dir);
	return part_out[p];
}

static void spill_rec(const struct record *rec, struct hash128 h, uint64_t seq)
{
	struct in_hdr hd = {h, rec->file, rec->lineno, rec->line.n, seq};
	size_t p = part_of(h);

	if (!in_part[p])
		in_part[p] = spill_open(temp_dir);
	spill_write(in_part[p], &hd, sizeof(hd));
	spill_write(in_part[p], rec->line.p, rec->line.n);
}

/* The partitions' outputs, each in input order, merged by input order. */
struct out_src {
	struct spill *sp;
	uint64_t off, seq;
	struct buf line;
};

static int out_cmp(void *arg, size_t a, size_t b)
{
	struct out_src *o = arg;

	return (o[a].seq > o[b].seq) - (o[a].seq < o[b].seq);
}

static int out_next(struct out_src *o)
{
	struct out_hdr hd;

	if (!o->sp || o->off == spill_size(o->sp))
		return 0;
	spill_read(o->sp, o->off, &hd, sizeof(hd));
	buf_reset(&o->line);
	buf_grow(&o->line, hd.len);
	spill_read(o->sp, o->off + sizeof(hd), o->line.p, hd.len);
	o->line.len = hd.len;
	o->off += sizeof(hd) + hd.len;
	o->seq = hd.seq;
	return 1;
}

static void merge_outputs(void)
{
	struct out_src o[NPART + 1];
	struct kmerge m;

	memset(o, 0, sizeof(o));
	kmerge_init(&m, out_cmp, o);
	for (size_t p = 0; p <= NPART; p++) {
		o[p].sp = part_out[p];
		if (out_next(&o[p]))
			kmerge_add(&m, p);
	}
	while (kmerge_count(&m)) {
		struct out_src *t = &o[kmerge_top(&m)];

		out_line(t->line.p, t->line.len);
		kmerge_next(&m, out_next(t));
	}
	kmerge_release(&m);
	for (size_t p = 0; p <= NPART; p++) {
		spill_close(part_out[p]);
		buf_release(&o[p].line);
	}
}

/* Join partition by partition: --with's part in memory, the input's
 * streamed from disk. */
static void join_parts(struct ndjson *nd, struct buf *tmp)
{
	struct buf line = BUF_INIT;

	for (size_t p = 0; p < NPART; p++) {
		uint64_t off = 0, size = in_part[p] ? spill_size(in_part[p]) : 0;

		if (size) {
			load_part(p);
			to = part_output(p);
		}
		while (off < size) {
			struct in_hdr hd;
			struct record rec;

			spill_read(in_part[p], off, &hd, sizeof(hd));
			buf_reset(&line);
			buf_grow(&line, hd.len + 1);
			spill_read(in_part[p], off + sizeof(hd), line.p, hd.len);
			line.p[hd.len] = '\0';
			off += sizeof(hd) + hd.len;
			rec.line.p = line.p;
			rec.line.n = hd.len;
			rec.file = hd.file;
			rec.lineno = hd.lineno;
			rec.vals = NULL;
			to_seq = hd.seq;
			join_one(nd, &rec, hash_table_get(&index_, hd.h), tmp);
		}
		spill_close(in_part[p]);
		spill_close(side_part[p]);
	}
	buf_release(&line);
	to = NULL;
	merge_outputs();
}

static const struct cli_prog prog = {
	"etl-join",
	"-k FIELDS --with FILE [--with-key FIELDS] [--inner | --left | --semi | --anti] "
	"[--prefix P] [OPTIONS] [FILE...]",
	"Join each record with the matching records of another file, their fields appended.",
	opts,
	0,
	on_opt,
};

int main(int argc, char **argv)
{
	struct ndjson *nd;
	struct record rec;
	struct buf tmp = BUF_INIT;

	cli_start(&prog, argc, argv);
	if (!nkeys)
		cli_usage_error("--key", "required: the input's key fields");
	if (!with_file)
		cli_usage_error("--with", "required: the file to look records up in");
	if (!have_wkeys)
		cli_paths("--key", key_arg, &wkeys, &nwkeys);
	if (nwkeys != nkeys)
		cli_usage_error("--with-key", "%zu fields for the %zu of --key", nwkeys, nkeys);
	if (*prefix && (mode == SEMI || mode == ANTI))
		cli_usage_error("--prefix", "cannot be used with %s (it adds no field)", mode_opt);
	if (sorted && memory_arg)
		cli_usage_error("--memory",
				"cannot be used with --sorted (it holds one key's records)");
	if (sorted && temp_dir)
		cli_usage_error("--temp-dir",
				"cannot be used with --sorted (it writes no temporary file)");
	hash_canon_init(&canon, 0);
	hash_table_init(&index_, sizeof(struct chain));
	hash_table_init(&names, 0);
	prefix_setup();
	if (sorted) {
		sorted_join(&tmp);
		goto done;
	}
	load_side();

	nd = nd_open(cli.files, cli.nfiles, keys, nkeys);
	for (uint64_t seq = 0; nd_next(nd, &rec); seq++) {
		struct hash128 h;
		int keyed = key_hash(rec.vals, nkeys, &h);

		if (partitioned && keyed) {
			spill_rec(&rec, h, seq);
			continue;
		}
		if (partitioned) {
			to = part_output(NPART);
			to_seq = seq;
		}
		join_one(nd, &rec, keyed ? hash_table_get(&index_, h) : NULL, &tmp);
	}
	to = NULL;
	if (partitioned)
		join_parts(nd, &tmp);
	nd_close(nd);
done:
	buf_release(&tmp);
	buf_release(&joined);
	buf_release(&prefix_json);
	buf_release(&name_tmp);
	buf_release(&needles);
	free(needle_end);
	buf_release(&side_text);
	free(sides);
	hash_table_release(&index_);
	hash_table_release(&names);
	hash_canon_release(&canon);
	path_list_free(keys, nkeys);
	path_list_free(wkeys, nwkeys);
	free(mode_opt);
	cli_finish();
}
