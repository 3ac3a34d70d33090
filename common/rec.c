/*
 * rec.c - records as jansson trees with numbers kept as written (rec.h).
 *
 * The marker byte 0xFF can never start a string that came from validated
 * UTF-8 input, so a raw number can never be confused with a real string.
 * Strings are created with the _nocheck setters: the input was validated by
 * the scanner already, and "\u0000" may legitimately put a NUL inside.
 */
#include "rec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "jsonw.h"
#include "mem.h"
#include "banned.h"

#define RAW_MARK '\xff'

json_t *rec_number(const char *text, size_t n)
{
	char small[64];
	char *p = n + 1 <= sizeof(small) ? small : xmalloc(n + 1);
	json_t *v;

	p[0] = RAW_MARK;
	memcpy(p + 1, text, n);
	v = json_stringn_nocheck(p, n + 1);
	if (p != small)
		free(p);
	if (!v)
		etl_die(ETL_EXIT_SOFTWARE, NULL, "out of memory");
	return v;
}

int rec_is_number(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) > 0 &&
	       json_string_value(v)[0] == RAW_MARK;
}

struct span rec_number_text(const json_t *v)
{
	return (struct span){json_string_value(v) + 1, json_string_length(v) - 1};
}

static json_t *build(struct span v, struct buf *tmp)
{
	struct scan_iter it;
	struct span k, e;
	json_t *r;

	switch (scan_kind(v)) {
	case SCAN_NULL:
		return json_null();
	case SCAN_TRUE:
		return json_true();
	case SCAN_FALSE:
		return json_false();
	case SCAN_NUMBER:
		return rec_number(v.p, v.n);
	case SCAN_STRING:
		buf_reset(tmp);
		scan_string(tmp, v);
		return json_stringn_nocheck(tmp->p ? tmp->p : "", tmp->len);
	case SCAN_ARRAY:
		r = json_array();
		scan_iter_init(&it, v);
		while (scan_iter_next(&it, &k, &e))
			json_array_append_new(r, build(e, tmp));
		return r;
	case SCAN_OBJECT:
		r = json_object();
		scan_iter_init(&it, v);
		while (scan_iter_next(&it, &k, &e)) {
			char *key;
			size_t kn;

			buf_reset(tmp);
			scan_unescape(tmp, k.p, k.n);
			kn = tmp->len;
			key = xstrndup(tmp->p ? tmp->p : "", kn);
			json_object_setn_new_nocheck(r, key, kn, build(e, tmp));
			free(key);
		}
		return r;
	default:
		return json_null();
	}
}

json_t *rec_parse(struct span v)
{
	struct buf tmp = BUF_INIT;
	json_t *r;

	r = build(scan_trim(v), &tmp);

	buf_release(&tmp);
	return r;
}

void rec_write(struct buf *b, const json_t *v)
{
	char tmp[32];
	size_t i;
	json_t *e;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		int first = 1;
		void *it;

		buf_addc(b, '{');
		for (it = json_object_iter((json_t *)v); it;
		     it = json_object_iter_next((json_t *)v, it)) {
			key = json_object_iter_key(it);
			if (!first)
				buf_addc(b, ',');
			first = 0;
			jw_string(b, key, json_object_iter_key_len(it));
			buf_addc(b, ':');
			rec_write(b, json_object_iter_value(it));
		}
		buf_addc(b, '}');
		break;
	}
	case JSON_ARRAY:
		buf_addc(b, '[');
		json_array_foreach (v, i, e) {
			if (i)
				buf_addc(b, ',');
			rec_write(b, e);
		}
		buf_addc(b, ']');
		break;
	case JSON_STRING:
		if (rec_is_number(v)) {
			struct span t = rec_number_text(v);

			buf_add(b, t.p, t.n);
		} else {
			jw_string(b, json_string_value(v), json_string_length(v));
		}
		break;
	case JSON_INTEGER:
		snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		buf_adds(b, tmp);
		break;
	case JSON_REAL:
		jw_double(b, json_real_value(v));
		break;
	case JSON_TRUE:
		buf_add(b, "true", 4);
		break;
	case JSON_FALSE:
		buf_add(b, "false", 5);
		break;
	case JSON_NULL:
		buf_add(b, "null", 4);
		break;
	}
}
