/*
 * wal2json.c - wal2json's format-version 2 messages (wal2json.h).
 *
 * The plugin writes what the server's output functions write, in the
 * walsender's session (etl-extract-pg sets DateStyle, TimeZone and the float
 * digits there as pg_connect() does), so a value's text is the text a COPY
 * of the table would carry and pg_text_to_json() gives it the same JSON
 * form.  Only the wrapping differs: numbers and booleans come as JSON
 * literals, everything else as JSON strings, arrays as their text literal,
 * which pg_array_text_to_json() turns into what to_json() gives a plain
 * extract, and bytea as bare hex digits.
 */
#include "wal2json.h"

#include <string.h>

#include "banned.h"

static int hexdig(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int w2j_lsn_parse(const char *s, size_t n, uint64_t *lsn)
{
	uint64_t hi = 0, lo = 0, *part = &hi;
	size_t digits = 0;
	int slash = 0;

	for (size_t i = 0; i < n; i++) {
		int d = hexdig(s[i]);

		if (s[i] == '/' && !slash && digits) {
			slash = 1;
			part = &lo;
			digits = 0;
			continue;
		}
		if (d < 0 || ++digits > 8)
			return -1;
		*part = *part << 4 | (uint64_t)d;
	}
	if (!slash || !digits)
		return -1;
	*lsn = hi << 32 | lo;
	return 0;
}

void w2j_lsn_format(struct buf *b, uint64_t lsn)
{
	buf_printf(b, "%X/%X", (unsigned)(lsn >> 32), (unsigned)lsn);
}

/* An LSN field: a JSON string "X/Y" without escapes. */
static int lsn_field(struct span v, uint64_t *lsn)
{
	if (scan_kind_trimmed(v) != SCAN_STRING || v.n < 2)
		return -1;
	return w2j_lsn_parse(v.p + 1, v.n - 2, lsn);
}

/* wal2json writes its keys plain; one that holds an escape is decoded into
 * buf (a key longer than buf matches none of ours), so that the keys then
 * compare as bytes. */
static struct span plain_key(struct span k, char *buf, size_t cap)
{
	struct span d = {buf, 0};

	if (!memchr(k.p, '\\', k.n))
		return k;
	if (k.n <= cap)
		d.n = scan_unescape_to(buf, k.p, k.n);
	return d;
}

#define KEY(k, lit) ((k).n == sizeof(lit) - 1 && !memcmp((k).p, lit, sizeof(lit) - 1))

int w2j_parse(const char *p, size_t n, struct w2j_msg *m, const char **err)
{
	struct scan_err se;
	struct scan_iter it;
	struct span k, v, obj = {p, n};

	memset(m, 0, sizeof(*m));
	if (scan_value(p, n, &se) < 0) {
		*err = se.msg;
		return -1;
	}
	obj = scan_trim(obj);
	if (scan_kind_trimmed(obj) != SCAN_OBJECT) {
		*err = "not a JSON object";
		return -1;
	}
	scan_iter_init(&it, obj);
	while (scan_iter_next(&it, &k, &v) > 0) {
		enum scan_kind t = scan_kind_trimmed(v);
		char kb[16];

		k = plain_key(k, kb, sizeof(kb));
		if (KEY(k, "action")) {
			if (t != SCAN_STRING || v.n != 3 || !strchr("BCIUDTM", v.p[1]) || !v.p[1]) {
				*err = "unknown action";
				return -1;
			}
			m->action = v.p[1];
		} else if (KEY(k, "lsn") || KEY(k, "nextlsn")) {
			if (lsn_field(v, KEY(k, "lsn") ? &m->lsn : &m->nextlsn) < 0) {
				*err = "an LSN is not of the form \"X/Y\"";
				return -1;
			}
		} else if (KEY(k, "timestamp") || KEY(k, "schema") || KEY(k, "table")) {
			if (t != SCAN_STRING) {
				*err = "timestamp, schema and table must be strings";
				return -1;
			}
			*(KEY(k, "timestamp") ? &m->timestamp
			  : KEY(k, "schema")  ? &m->schema
					      : &m->table) = v;
		} else if (KEY(k, "columns") || KEY(k, "identity")) {
			if (t != SCAN_ARRAY) {
				*err = "columns and identity must be arrays";
				return -1;
			}
			*(KEY(k, "columns") ? &m->columns : &m->identity) = v;
		}
	}
	if (!m->action) {
		*err = "no action";
		return -1;
	}
	if (strchr("IUDT", m->action) && (!m->schema.p || !m->table.p)) {
		*err = "a change without its schema and table";
		return -1;
	}
	if ((m->action == 'I' || m->action == 'U') && !m->columns.p) {
		*err = "an insert or update without columns";
		return -1;
	}
	if (m->action == 'D' && !m->identity.p) {
		*err = "a delete without identity";
		return -1;
	}
	return 0;
}

int w2j_col_next(struct scan_iter *it, struct w2j_col *c, const char **err)
{
	struct span k, v, el;
	struct scan_iter ci;
	int r = scan_iter_next(it, &k, &el);

	if (r <= 0)
		return r;
	el = scan_trim(el);
	memset(c, 0, sizeof(*c));
	if (scan_kind_trimmed(el) != SCAN_OBJECT) {
		*err = "a column is not an object";
		return -1;
	}
	scan_iter_init(&ci, el);
	while (scan_iter_next(&ci, &k, &v) > 0) {
		char kb[16];

		k = plain_key(k, kb, sizeof(kb));
		if (KEY(k, "name")) {
			if (scan_kind_trimmed(v) != SCAN_STRING) {
				*err = "a column's name is not a string";
				return -1;
			}
			c->name = v;
		} else if (KEY(k, "typeoid")) {
			unsigned long long o = 0;

			if (scan_kind_trimmed(v) != SCAN_NUMBER || v.n > 10) {
				*err = "a column's typeoid is not a type OID";
				return -1;
			}
			for (size_t i = 0; i < v.n; i++) {
				if (v.p[i] < '0' || v.p[i] > '9') {
					*err = "a column's typeoid is not a type OID";
					return -1;
				}
				o = o * 10 + (unsigned)(v.p[i] - '0');
			}
			if (o > 0xffffffffULL) {
				*err = "a column's typeoid is not a type OID";
				return -1;
			}
			c->typeoid = (unsigned)o;
		} else if (KEY(k, "value")) {
			c->value = v;
		}
	}
	if (!c->name.p || !c->value.p) {
		*err = "a column without its name or value";
		return -1;
	}
	return 1;
}

/* The text of a number, json or array column became one JSON value? The
 * server's output always does; a message that says otherwise is refused
 * rather than passed on as broken JSON. */
static int json_ok(struct buf *b, size_t mark, const char **err)
{
	struct scan_err se;

	if (b->len > mark && scan_value(b->p + mark, b->len - mark, &se) == 0)
		return 0;
	b->len = mark;
	if (b->p)
		b->p[mark] = '\0';
	*err = "a value that is not of its column's type";
	return -1;
}

int w2j_value_json(struct buf *b, enum pg_kind kind, enum pg_kind elem, struct span v,
		   struct buf *tmp, const char **err)
{
	struct buf *text = &tmp[0];
	size_t mark = b->len;
	int rc = 0;

	switch (scan_kind_trimmed(v)) {
	case SCAN_NULL:
		buf_adds(b, "null");
		return 0;
	case SCAN_TRUE:
	case SCAN_FALSE:
		if (kind != PGK_BOOL) {
			*err = "a boolean for a column that is not boolean";
			return -1;
		}
		buf_add(b, v.p, v.n);
		return 0;
	case SCAN_NUMBER:
		if (kind != PGK_INT && kind != PGK_NUMERIC && kind != PGK_FLOAT) {
			*err = "a number for a column that is not numeric";
			return -1;
		}
		pg_text_to_json(b, kind, v.p, v.n);
		return 0;
	case SCAN_STRING:
		break;
	default:
		*err = "a value that is neither a string, a number, a boolean nor null";
		return -1;
	}
	buf_reset(text);
	/* bytea comes as bare hex digits, without the "\\x" of its output */
	if (kind == PGK_BYTEA)
		buf_adds(text, "\\x");
	scan_string(text, v);
	if (kind == PGK_ARRAY) {
		if (pg_array_text_to_json(b, elem, text->p ? text->p : "", text->len, &tmp[1]) <
		    0) {
			*err = "an array value that is not an array literal";
			rc = -1;
		}
	} else {
		pg_text_to_json(b, kind, text->p ? text->p : "", text->len);
		if (kind == PGK_INT || kind == PGK_NUMERIC || kind == PGK_FLOAT ||
		    kind == PGK_JSON || kind == PGK_JSONB)
			rc = json_ok(b, mark, err);
	}
	if (rc == 0 && kind == PGK_ARRAY &&
	    (elem == PGK_INT || elem == PGK_NUMERIC || elem == PGK_FLOAT || elem == PGK_JSON ||
	     elem == PGK_JSONB))
		rc = json_ok(b, mark, err);
	return rc;
}
