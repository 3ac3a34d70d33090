/*
 * etl-join - each record with the matching records of a smaller NDJSON
 * file (--with): their fields appended, one output per match.
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "die.h"
#include "hash.h"
#include "jsonw.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "scan.h"
#include "stats.h"
#include "utf8.h"
#include "banned.h"

enum { OPT_KEY = 1, OPT_WITH, OPT_WITH_KEY, OPT_LEFT, OPT_INNER, OPT_SEMI, OPT_ANTI, OPT_PREFIX };

static const struct cli_opt opts[] = {
	{OPT_KEY, "key", 'k', CLI_ARG, "FIELDS", "the input's key fields (required)"},
	{OPT_WITH, "with", 0, CLI_ARG, "FILE", "the NDJSON file to look records up in (required)"},
	{OPT_WITH_KEY, "with-key", 0, CLI_ARG, "FIELDS",
	 "--with's key fields (default: those of -k)"},
	{OPT_INNER, "inner", 0, CLI_NOARG, NULL, "only records with a match (the default)"},
	{OPT_LEFT, "left", 0, CLI_NOARG, NULL, "also records without a match, unchanged"},
	{OPT_SEMI, "semi", 0, CLI_NOARG, NULL, "records with a match, once and unchanged"},
	{OPT_ANTI, "anti", 0, CLI_NOARG, NULL, "records without a match, unchanged"},
	{OPT_PREFIX, "prefix", 0, CLI_ARG, "P", "put P before the names of --with's fields"},
	{0, NULL, 0, 0, NULL, NULL},
};

enum mode { INNER, LEFT, SEMI, ANTI };

static enum mode mode = INNER;
static char *mode_opt;
static struct path *keys, *wkeys;
static size_t nkeys, nwkeys;
static int have_wkeys;
static const char *with_file, *prefix = "", *key_arg;

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

static void load_side(void)
{
	char *files[1] = {(char *)with_file};
	struct ndjson *nd = nd_open(files, 1, wkeys, nwkeys);
	struct record rec;
	struct buf prefix_json = BUF_INIT, tmp = BUF_INIT;
	uint64_t in_before = stats.records_in;

	/* the prefix as it goes into JSON text: escaped, without quotes */
	jw_string(&prefix_json, prefix, strlen(prefix));
	memmove(prefix_json.p, prefix_json.p + 1, prefix_json.len - 2);
	prefix_json.len -= 2;
	while (nd_next(nd, &rec)) {
		struct hash128 h;
		struct scan_iter it;
		struct span k, v;
		struct side *s;
		struct chain *c;
		int added;

		if (!key_hash(rec.vals, nwkeys, &h))
			continue;
		xgrow(&sides, &capsides, nsides + 1, sizeof(*sides));
		s = &sides[nsides++];
		s->off = side_text.len;
		s->next = 0;
		scan_iter_init(&it, rec.line);
		while (scan_iter_next(&it, &k, &v)) {
			if (is_key_field(k))
				continue;
			if (side_text.len > s->off)
				buf_addc(&side_text, ',');
			buf_addc(&side_text, '"');
			buf_add(&side_text, prefix_json.p, prefix_json.len);
			buf_add(&side_text, k.p, k.n);
			buf_add(&side_text, "\":", 2);
			v = scan_trim(v);
			buf_add(&side_text, v.p, v.n);
			hash_table_put(&names, name_hash(&tmp, k), &added);
		}
		s->len = side_text.len - s->off;
		c = hash_table_put(&index_, h, &added);
		if (added)
			c->first = nsides;
		else
			sides[c->last - 1].next = nsides;
		c->last = nsides;
	}
	nd_close(nd);
	stats.records_in = in_before;
	buf_release(&prefix_json);
	buf_release(&tmp);
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

static void write_joined(const struct record *rec, size_t e, int empty, const struct side *s)
{
	out_write(rec->line.p, e);
	if (s->len) {
		if (!empty)
			out_putc(',');
		out_write(side_text.p + s->off, s->len);
	}
	out_write(rec->line.p + e, rec->line.n - e);
	out_putc('\n');
	stats.records_out++;
}

/* A field of the record has the name of a field --with adds: say which. */
static int clash(const struct record *rec, struct buf *tmp, struct span *which)
{
	struct scan_iter it;
	struct span k, v;

	if (!names.count)
		return 0;
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
	hash_canon_init(&canon, 0);
	hash_table_init(&index_, sizeof(struct chain));
	hash_table_init(&names, 0);
	load_side();

	nd = nd_open(cli.files, cli.nfiles, keys, nkeys);
	while (nd_next(nd, &rec)) {
		struct hash128 h;
		struct chain *c = NULL;
		struct span which;

		if (key_hash(rec.vals, nkeys, &h))
			c = hash_table_get(&index_, h);
		if (mode == SEMI || mode == ANTI) {
			if ((c != NULL) == (mode == SEMI)) {
				out_line(rec.line.p, rec.line.n);
				stats.records_out++;
			} else {
				stats.dropped++;
			}
			continue;
		}
		if (!c) {
			if (mode == LEFT) {
				out_line(rec.line.p, rec.line.n);
				stats.records_out++;
			} else {
				stats.dropped++;
			}
			continue;
		}
		if (clash(&rec, &tmp, &which)) {
			nd_reject(nd, &rec, 0,
				  "field \"%.*s\" is also a field of %s; --prefix names them apart",
				  (int)which.n, which.p, with_file);
			continue;
		}
		{
			int empty;
			size_t e = closing(rec.line, &empty);

			for (uint64_t i = c->first; i; i = sides[i - 1].next)
				write_joined(&rec, e, empty, &sides[i - 1]);
		}
	}
	nd_close(nd);
	buf_release(&tmp);
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
