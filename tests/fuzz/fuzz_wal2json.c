/*
 * fuzz_wal2json.c - libFuzzer target for common/wal2json.c: the parser of
 * the plugin's messages, as etl-extract-pg --follow reads them from the
 * server, and the conversion of each column's value.
 *
 * The first input byte picks a column kind (and an element kind for
 * arrays), the rest is the message.  Invariants checked (abort() on a
 * violation):
 *
 *   - w2j_parse() either fails with a message or gives an action among
 *     B C I U D T M, with the spans a change needs, each inside the input;
 *   - every column w2j_col_next() yields has a name and a value inside the
 *     input, and w2j_value_json() either fails with a message, leaving
 *     nothing half-written that is not JSON, or appends one valid JSON value;
 *   - w2j_lsn_parse() of what w2j_lsn_format() wrote gives the same LSN.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "scan.h"
#include "wal2json.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static int inside(struct span s, const char *p, size_t n)
{
	return !s.p || (s.p >= p && s.p + s.n <= p + n);
}

static const enum pg_kind kinds[] = {
	PGK_OTHER, PGK_INT,  PGK_NUMERIC, PGK_FLOAT, PGK_BOOL,  PGK_TEXT, PGK_DATE,  PGK_TSTZ,
	PGK_TS,    PGK_TIME, PGK_JSON,    PGK_JSONB, PGK_BYTEA, PGK_UUID, PGK_ARRAY,
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf in = BUF_INIT, out = BUF_INIT, tmp[2] = {BUF_INIT, BUF_INIT};
	struct w2j_msg m;
	const char *err = NULL;
	enum pg_kind k, elem;
	uint64_t lsn = 0, back = 0;

	if (size < 1)
		return 0;
	k = kinds[data[0] % NKINDS];
	elem = kinds[(data[0] / NKINDS) % (NKINDS - 1)];
	/* the parser needs the NUL that libpq puts after each message */
	buf_add(&in, data + 1, size - 1);
	if (w2j_parse(in.p ? in.p : "", in.len, &m, &err) < 0) {
		check(err != NULL);
		goto done;
	}
	check(m.action && strchr("BCIUDTM", m.action));
	check(inside(m.schema, in.p, in.len) && inside(m.table, in.p, in.len));
	check(inside(m.columns, in.p, in.len) && inside(m.identity, in.p, in.len));
	if (strchr("IUDT", m.action))
		check(m.schema.p && m.table.p);
	for (int pass = 0; pass < 2; pass++) {
		struct span arr = pass ? m.identity : m.columns;
		struct scan_iter it;
		struct w2j_col c;
		int r;

		if (!arr.p)
			continue;
		scan_iter_init(&it, arr);
		while ((r = w2j_col_next(&it, &c, &err)) > 0) {
			struct scan_err se;

			check(c.name.p && c.value.p && inside(c.name, in.p, in.len) &&
			      inside(c.value, in.p, in.len));
			buf_reset(&out);
			if (w2j_value_json(&out, k, elem, c.value, tmp, &err) < 0) {
				check(err != NULL);
				continue;
			}
			check(out.len > 0 && scan_value(out.p, out.len, &se) == 0);
		}
		if (r < 0)
			check(err != NULL);
	}
	buf_reset(&out);
	lsn = m.lsn ^ m.nextlsn;
	w2j_lsn_format(&out, lsn);
	check(w2j_lsn_parse(out.p, out.len, &back) == 0 && back == lsn);
done:
	buf_release(&in);
	buf_release(&out);
	buf_release(&tmp[0]);
	buf_release(&tmp[1]);
	return 0;
}
