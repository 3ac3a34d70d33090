/*
 * columns.c - the table's columns as etl-load-pg sees them (load.h), and
 * the types of the columns it adds: --create makes the table from the
 * first records' values, --evolve adds a column for a new field.
 *
 * A new column gets the narrowest type that holds every value seen without
 * change: bigint for integers, numeric for decimals (exact), double
 * precision only for numbers written with an exponent, date and
 * timestamptz for ISO-8601 strings, and jsonb when the kinds are mixed,
 * since only JSON keeps each value as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "decimal.h"
#include "die.h"
#include "load.h"
#include "mem.h"
#include "banned.h"

/* ---- the table's columns ------------------------------------------------- */

struct col *cols;
size_t ncols;
static size_t capcols;
char **wanted;
char **keys;
size_t nkeys;

struct col *col_find(const char *name, size_t n)
{
	for (size_t i = 0; i < ncols; i++)
		if (cols[i].namelen == n && !memcmp(cols[i].name, name, n))
			return &cols[i];
	return NULL;
}

int is_wanted(const char *name, size_t n)
{
	if (!wanted)
		return 1;
	for (char **w = wanted; *w; w++)
		if (strlen(*w) == n && !memcmp(*w, name, n))
			return 1;
	return 0;
}

void col_release(struct col *c)
{
	free(c->name);
	free(c->typname);
}

/* The table's columns and their types, domains resolved to their base. */
int load_columns(void)
{
	const char *v[1] = {tbl.quoted};
	PGresult *r = pg_exec_params(
		conn, tbl.display,
		"SELECT a.attname, bt.oid, CASE WHEN t.typtype = 'd' THEN t.typtypmod "
		"ELSE a.atttypmod END, bt.typcategory, bt.typelem, "
		"format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attgenerated <> '', "
		"a.atthasdef OR a.attidentity <> '' "
		"FROM pg_catalog.pg_attribute a "
		"JOIN pg_catalog.pg_type t ON t.oid = a.atttypid "
		"JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' "
		"THEN t.typbasetype ELSE t.oid END "
		"WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
		"ORDER BY a.attnum",
		1, v);
	int n = PQntuples(r);

	for (size_t i = 0; i < ncols; i++)
		col_release(&cols[i]);
	ncols = 0;
	for (int i = 0; i < n; i++) {
		struct col *c;

		if (PQgetvalue(r, i, 7)[0] == 't')
			continue; /* generated: not loadable */
		xgrow(&cols, &capcols, ncols + 1, sizeof(*cols));
		c = &cols[ncols++];
		memset(c, 0, sizeof(*c));
		c->name = xstrdup(PQgetvalue(r, i, 0));
		c->namelen = strlen(c->name);
		c->typname = xstrdup(PQgetvalue(r, i, 5));
		c->type.oid = (unsigned)strtoul(PQgetvalue(r, i, 1), NULL, 10);
		c->type.typmod = (int)strtol(PQgetvalue(r, i, 2), NULL, 10);
		c->type.name = c->typname;
		if (PQgetvalue(r, i, 3)[0] == 'A') {
			c->type.kind = PGK_ARRAY;
			c->type.elem = (unsigned)strtoul(PQgetvalue(r, i, 4), NULL, 10);
			c->type.elem_kind = pg_kind_of(c->type.elem);
			c->type.elem_typmod = c->type.typmod;
		} else {
			c->type.kind = pg_kind_of(c->type.oid);
		}
		c->notnull = PQgetvalue(r, i, 6)[0] == 't';
		c->hasdef = PQgetvalue(r, i, 8)[0] == 't';
	}
	PQclear(r);
	return n;
}

/* ---- types of new columns (--create, --evolve) ---------------------------- */

enum {
	T_BOOL = 1,
	T_INT = 2,
	T_BIGNUM = 4,
	T_DEC = 8,
	T_EXP = 16,
	T_DATE = 32,
	T_TSTZ = 64,
	T_TEXT = 128,
	T_JSON = 256
};

static unsigned kind_of_value(struct span v, struct buf *tmp)
{
	int64_t us;
	int ht, hz;
	dec_t d;
	int64_t i;

	switch (scan_kind(v)) {
	case SCAN_TRUE:
	case SCAN_FALSE:
		return T_BOOL;
	case SCAN_NUMBER:
		if (memchr(v.p, 'e', v.n) || memchr(v.p, 'E', v.n))
			return T_EXP;
		if (memchr(v.p, '.', v.n))
			return T_DEC;
		return dec_parse(&d, v.p, v.n) == DEC_OK && dec_to_i64(&d, &i) ? T_INT : T_BIGNUM;
	case SCAN_STRING:
		buf_reset(tmp);
		scan_string(tmp, v);
		if (tmp->len && pg_parse_iso(tmp->p, tmp->len, &us, &ht, &hz) == 0)
			return !ht ? T_DATE : hz ? T_TSTZ : T_TEXT;
		return T_TEXT;
	case SCAN_OBJECT:
	case SCAN_ARRAY:
		return T_JSON;
	default:
		return 0;
	}
}

/* The narrowest type that holds every value seen, exactly. */
static const char *type_for(unsigned k)
{
	const unsigned nums = T_INT | T_BIGNUM | T_DEC | T_EXP, strs = T_DATE | T_TSTZ | T_TEXT;

	if (!k)
		return "text";
	if (k == T_BOOL)
		return "boolean";
	if (!(k & ~nums)) {
		if (k == T_INT)
			return "bigint";
		if (k == T_EXP)
			return "double precision";
		return "numeric";
	}
	if (k == T_DATE)
		return "date";
	if (!(k & ~(T_DATE | T_TSTZ)))
		return "timestamptz";
	if (!(k & ~strs))
		return "text";
	return "jsonb"; /* mixed kinds: only JSON keeps each value as it was */
}

/* ---- records kept for --create -------------------------------------------- */

#define SAMPLE 1000

struct held *held;
size_t nheld;

struct field_kind {
	char *name;
	unsigned kinds;
};

/* 0 when there was no record to make the table from. */
int create_table(struct ndjson *nd)
{
	struct field_kind *fk = NULL;
	size_t nfk = 0, capfk = 0;
	struct buf q = BUF_INIT, tmp = BUF_INIT, name = BUF_INIT;
	struct record rec;

	held = xcalloc(SAMPLE, sizeof(*held));
	if (wanted) {
		for (char **w = wanted; *w; w++) {
			xgrow(&fk, &capfk, nfk + 1, sizeof(*fk));
			fk[nfk].name = xstrdup(*w);
			fk[nfk++].kinds = 0;
		}
	}
	while (nheld < SAMPLE && nd_next(nd, &rec)) {
		struct scan_iter it;
		struct span k, v;

		held[nheld].line = xstrndup(rec.line.p, rec.line.n);
		held[nheld].n = rec.line.n;
		held[nheld].file = rec.file;
		held[nheld++].lineno = rec.lineno;
		scan_iter_init(&it, rec.line);
		while (scan_iter_next(&it, &k, &v)) {
			size_t j;

			buf_reset(&name);
			scan_unescape(&name, k.p, k.n);
			if (!name.len || memchr(name.p, '\0', name.len) ||
			    !is_wanted(name.p, name.len))
				continue;
			for (j = 0; j < nfk; j++)
				if (!strcmp(fk[j].name, name.p))
					break;
			if (j == nfk) {
				xgrow(&fk, &capfk, nfk + 1, sizeof(*fk));
				fk[nfk].name = xstrdup(name.p);
				fk[nfk++].kinds = 0;
			}
			fk[j].kinds |= kind_of_value(v, &tmp);
		}
	}
	if (!nheld) {
		free(fk);
		buf_release(&tmp);
		buf_release(&name);
		return 0;
	}
	for (char **kp = keys; kp && *kp; kp++) {
		size_t j;

		for (j = 0; j < nfk; j++)
			if (!strcmp(fk[j].name, *kp))
				break;
		if (j == nfk)
			cli_usage_error("--key",
					"no field \"%s\" in the first records to make a "
					"column of",
					*kp);
	}
	if (!nfk)
		etl_die(ETL_EXIT_DATA, tbl.display,
			"cannot create the table: the records have no fields");
	buf_printf(&q, "CREATE TABLE %s (", tbl.quoted);
	for (size_t j = 0; j < nfk; j++) {
		if (j)
			buf_adds(&q, ", ");
		pg_ident(&q, conn, fk[j].name, strlen(fk[j].name));
		buf_printf(&q, " %s", type_for(fk[j].kinds));
	}
	if (keys) {
		buf_adds(&q, ", PRIMARY KEY (");
		for (size_t j = 0; j < nkeys; j++) {
			if (j)
				buf_adds(&q, ", ");
			pg_ident(&q, conn, keys[j], strlen(keys[j]));
		}
		buf_addc(&q, ')');
	}
	buf_addc(&q, ')');
	pg_run(conn, tbl.display, q.p);
	for (size_t j = 0; j < nfk; j++)
		free(fk[j].name);
	free(fk);
	buf_release(&q);
	buf_release(&tmp);
	buf_release(&name);
	return 1;
}

/* Add a column for a new field (--evolve), in memory only until the record
 * proves good. */
struct col *add_pending(const char *name, size_t n, struct span v)
{
	static struct buf tmp = BUF_INIT;
	struct col *c;

	xgrow(&cols, &capcols, ncols + 1, sizeof(*cols));
	c = &cols[ncols++];
	memset(c, 0, sizeof(*c));
	c->name = xstrndup(name, n);
	c->namelen = n;
	c->typname = xstrdup(type_for(kind_of_value(v, &tmp)));
	c->pending = 1;
	c->type.typmod = -1;
	c->type.name = c->typname;
	c->type.kind = !strcmp(c->typname, "bigint")             ? PGK_INT
		       : !strcmp(c->typname, "numeric")          ? PGK_NUMERIC
		       : !strcmp(c->typname, "double precision") ? PGK_FLOAT
		       : !strcmp(c->typname, "boolean")          ? PGK_BOOL
		       : !strcmp(c->typname, "date")             ? PGK_DATE
		       : !strcmp(c->typname, "timestamptz")      ? PGK_TSTZ
		       : !strcmp(c->typname, "jsonb")            ? PGK_JSONB
								 : PGK_TEXT;
	c->type.oid = c->type.kind == PGK_INT ? 20 : c->type.kind == PGK_FLOAT ? 701 : 25;
	return c;
}

void drop_pending(void)
{
	while (ncols && cols[ncols - 1].pending)
		col_release(&cols[--ncols]);
}

void columns_release(void)
{
	for (size_t i = 0; i < ncols; i++)
		col_release(&cols[i]);
	free(cols);
	cols = NULL;
	ncols = capcols = 0;
}
