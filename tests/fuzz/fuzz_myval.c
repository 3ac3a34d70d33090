/*
 * fuzz_myval.c - libFuzzer target for common/myval.c, the reshaping of a
 * MySQL or MariaDB server's text into JSON, and for the query trimming of
 * common/extract.c that both database sources use.
 *
 * The first input byte picks a kind, the rest is the value.  Invariants
 * checked (abort() on a violation):
 *
 *   - my_text_to_json() on any bytes either refuses (-1) and appends
 *     nothing, or appends exactly one valid JSON value, and refuses only
 *     invalid UTF-8 (in any kind but binary and BIT) and JSON that is not
 *     JSON;
 *   - a number it writes for a DOUBLE reads back to the double the text
 *     held, and for a widened FLOAT to the same single-precision value;
 *   - my_iso_to_datetime() accepts a value or explains why not, and what
 *     it accepts is in the server's 26-character form;
 *   - extract_trim_sql() only ever shortens its text, and the text it keeps
 *     is where it started.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "extract.h"
#include "myval.h"
#include "scan.h"
#include "utf8.h"

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static struct buf out = BUF_INIT, tmp = BUF_INIT;

static const enum my_kind kinds[] = {MYK_TEXT,     MYK_INT,       MYK_DECIMAL, MYK_DOUBLE,
				     MYK_FLOAT,    MYK_BIT,       MYK_BINARY,  MYK_DATE,
				     MYK_DATETIME, MYK_TIMESTAMP, MYK_TIME,    MYK_JSON};

static void to_json(enum my_kind k, const char *p, size_t n)
{
	struct scan_err serr;
	int rc;

	buf_reset(&out);
	buf_adds(&out, "x"); /* something before, which must stay */
	rc = my_text_to_json(&out, k, p, n);
	if (rc < 0) {
		check(out.len == 1);
		check(k == MYK_JSON || (k != MYK_BINARY && k != MYK_BIT && !utf8_valid(p, n)));
		return;
	}
	check(rc == 0 && out.len > 1);
	buf_addc(&out, '\0');
	check(scan_value(out.p + 1, out.len - 2, &serr) == 0);
	if ((k == MYK_DOUBLE || k == MYK_FLOAT) && out.p[1] != '"') {
		double in, back;
		char *end;

		buf_reset(&tmp);
		buf_add(&tmp, p, n);
		buf_addc(&tmp, '\0');
		in = strtod(tmp.p, &end);
		back = strtod(out.p + 1, NULL);
		if (*end == '\0') {
			if (k == MYK_DOUBLE)
				check(back == in);
			else if ((double)(float)in == in)
				check((float)back == (float)in);
		}
	}
}

static void watermark(const char *p, size_t n, int timestamp)
{
	char err[128] = "";

	if (memchr(p, '\0', n))
		return;
	buf_reset(&out);
	if (my_iso_to_datetime(&out, p, timestamp, err, sizeof(err)) < 0) {
		check(err[0] != '\0' && out.len == 0);
		return;
	}
	check(out.len == 26 && out.p[10] == ' ' && out.p[19] == '.');
}

static void trim(const char *p, size_t n, enum extract_dialect d)
{
	size_t len;

	if (memchr(p, '\0', n))
		return;
	buf_reset(&out);
	buf_add(&out, p, n);
	buf_addc(&out, '\0');
	len = extract_trim_sql(out.p, d);
	check(len <= n && strlen(out.p) == len && !memcmp(out.p, p, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p;
	size_t n;

	if (!size)
		return 0;
	buf_reset(&tmp);
	buf_add(&tmp, (const char *)data + 1, size - 1);
	buf_addc(&tmp, '\0');
	/* a copy of its own, so that reading past n is caught */
	p = memcpy(malloc(size - 1 ? size - 1 : 1), data + 1, size - 1);
	n = size - 1;
	to_json(kinds[data[0] % (sizeof(kinds) / sizeof(*kinds))], p, n);
	watermark(tmp.p, n, data[0] & 1);
	trim(p, n, data[0] & 2 ? EXTRACT_MYSQL : EXTRACT_PG);
	free((void *)p);
	return 0;
}
