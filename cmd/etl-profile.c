/*
 * etl-profile - what each field of a stream holds: its JSON types, the
 * logical type they fit, nulls, missing values, empty strings, distinct
 * values, the smallest and largest, the most frequent, string lengths and
 * the precision of numbers.  One NDJSON record per field, or a table on a
 * terminal; --schema writes a JSON Schema of the data seen.
 *
 * Fields are the paths of the records' members: an object is walked into
 * (its members are fields "a.b", each listed after its parent), an array is
 * one value.  A field is found per member by its position among its
 * parent's members (records of one shape hit at once), else by a hash of
 * (parent, decoded key).  Of a key that occurs twice in one object the last
 * value counts, for its whole subtree, as in every lookup of the toolkit.
 *
 * Invariants:
 *  - Memory is the fields, each with at most --exact-distinct distinct
 *    values (their 128-bit hashes, counts and first spellings), plus a
 *    fixed HyperLogLog once that is exceeded; it does not grow with the
 *    number of records.
 *  - Distinct values are canonical JSON values (hash.h): 1, 1.0 and 1e0 are
 *    one, 1 and "1" are two.  Counts are exact while a field has at most
 *    --exact-distinct of them; past that the count is the sketch's estimate
 *    and the top values are those among the first --exact-distinct
 *    distinct values, still counted exactly over the whole input.
 *  - Every valid record is profiled (records_out), every other one is bad:
 *    records_in = records_out + bad; nothing is dropped.
 *  - The values are profiled by a second thread, in input order, so the
 *    results are those of one pass by one thread.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "decimal.h"
#include "die.h"
#include "hash.h"
#include "jsonw.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "scan.h"
#include "sketch.h"
#include "stats.h"
#include "timefmt.h"
#include "utf8.h"
#include "banned.h"

enum { OPT_EXACT = 1, OPT_TABLE, OPT_SCHEMA, OPT_RULES };

static const struct cli_opt opts[] = {
	{OPT_EXACT, "exact-distinct", 0, CLI_ARG, "N",
	 "count up to N distinct values per field exactly, then estimate (default: 100000)"},
	{OPT_TABLE, "table", 0, CLI_NOARG, NULL,
	 "write an aligned table, as on a terminal, instead of NDJSON"},
	{OPT_SCHEMA, "schema", 0, CLI_ARG, "FILE", "also write a JSON Schema of the data to FILE"},
	{OPT_RULES, "rules", 0, CLI_ARG, "FILE",
	 "also write expectations the data meets, for etl-validate --rules, to FILE"},
	{0, NULL, 0, 0, NULL, NULL},
};

static uint64_t exact_max = 100000;
static int want_table;
static const char *schema_file, *rules_file;

#define TOP_N 5

/* JSON types, in the order they are listed. */
enum { JT_NULL, JT_BOOL, JT_NUM, JT_STR, JT_ARR, JT_OBJ, JT_N };
static const char *const jt_name[JT_N] = {"null", "boolean", "number", "string", "array", "object"};

/* Logical kinds of non-null values; a field's type is what they agree on. */
enum {
	LK_BOOL = 1 << 0,
	LK_INT = 1 << 1,
	LK_DEC = 1 << 2,
	LK_DATE = 1 << 3,
	LK_TS = 1 << 4,
	LK_UUID = 1 << 5,
	LK_EMAIL = 1 << 6,
	LK_TEXT = 1 << 7,
	LK_ARR = 1 << 8,
	LK_OBJ = 1 << 9,
};
#define LK_NUM (LK_INT | LK_DEC)
#define LK_STR (LK_DATE | LK_TS | LK_UUID | LK_EMAIL | LK_TEXT)

/* A distinct value: how often it came, and where its first spelling is. */
struct seen {
	uint64_t count, off;
};

/* What the quick order of number texts needs to know of one. */
struct numkey {
	uint8_t plain; /* no exponent, and not zero */
	uint8_t neg;
	size_t ilen; /* digits before the point */
};

/* A field: its place among the fields, kept by the main thread, then its
 * statistics, kept by the worker (see "the worker" below). */
struct field {
	char *key; /* decoded */
	size_t nkey;
	int key_bs; /* the key holds a backslash */
	char *path; /* as written in messages and output */
	size_t parent;
	size_t *kids; /* members, in first-seen order */
	size_t nkids, capkids;
	uint64_t stamp; /* the record it was last seen in */

	/* the worker's */
	uint64_t types[JT_N], empty;
	unsigned kinds;
	int ts_loose; /* a timestamp that RFC 3339 would not take */

	struct hash_table seen; /* hash -> struct seen */
	struct buf spell;       /* first spellings, each ended by a NUL */
	int overflow;
	struct hll hll;

	int bmin, bmax;        /* booleans seen: -1 none */
	struct buf nmin, nmax; /* number texts; len 0: none */
	struct numkey kmin, kmax;
	struct buf smin, smax; /* decoded strings */
	int has_str;
	struct buf tmin, tmax; /* date and time texts, by instant */
	int64_t tmin_us, tmax_us;
	int has_time;
	uint64_t lmin, lmax; /* lengths in characters */
	uint64_t int_digits, scale;
	int huge; /* a number whose exponent is beyond counting */
};

static struct field **fields; /* each allocated once: pointers stay valid */
static size_t nfields, capfields;
static struct hash_table index_; /* hash(parent, key) -> field number */
static uint64_t recno;
static struct hash_canon canon;
/* keybuf and idbuf are the main thread's, strbuf the worker's */
static struct buf keybuf, idbuf, strbuf;

/* One object's members being profiled: the field and the value of each. */
struct member {
	size_t f;
	struct span v;
};
struct mlist {
	struct member *m;
	size_t n, cap;
};
static struct mlist *levels;
static size_t nlevels;

static size_t new_field(size_t parent, const char *k, size_t kn)
{
	struct field *f;
	struct buf b = BUF_INIT;
	size_t id = nfields, depth = 0;

	xgrow(&fields, &capfields, nfields + 1, sizeof(*fields));
	f = fields[nfields++] = xcalloc(1, sizeof(*f));
	f->key = xmalloc(kn + 1);
	memcpy(f->key, k, kn);
	f->key[kn] = '\0';
	f->nkey = kn;
	f->key_bs = memchr(k, '\\', kn) != NULL;
	f->parent = parent;
	f->bmin = f->bmax = -1;
	f->lmin = UINT64_MAX;
	hash_table_init(&f->seen, sizeof(struct seen));
	if (id) {
		struct field *p = fields[parent];
		struct path path;

		xgrow(&p->kids, &p->capkids, p->nkids + 1, sizeof(*p->kids));
		p->kids[p->nkids++] = id;
		for (size_t i = id; i; i = fields[i]->parent)
			depth++;
		path.nseg = depth;
		path.seg = xcalloc(depth, sizeof(*path.seg));
		path.text = NULL;
		for (size_t i = id; i; i = fields[i]->parent) {
			path.seg[--depth].s = fields[i]->key;
			path.seg[depth].n = fields[i]->nkey;
		}
		path_format(&b, &path);
		free(path.seg);
	}
	buf_addc(&b, '\0');
	f->path = buf_detach(&b, NULL);
	return id;
}

/* The field of member number pos of an object of field parent. */
static size_t child(size_t parent, size_t pos, struct span rawkey)
{
	const char *k = rawkey.p;
	size_t kn = rawkey.n, *slot;
	int added;

	if (pos < fields[parent]->nkids) {
		/* a key without a backslash is its raw text, and raw text that
		 * equals such a key has none */
		const struct field *c = fields[fields[parent]->kids[pos]];

		if (!c->key_bs && c->nkey == kn && !memcmp(c->key, k, kn))
			return fields[parent]->kids[pos];
	}
	if (memchr(k, '\\', kn)) {
		buf_reset(&keybuf);
		scan_unescape(&keybuf, k, kn);
		k = keybuf.p;
		kn = keybuf.len;
	}
	buf_reset(&idbuf);
	buf_add(&idbuf, &parent, sizeof(parent));
	buf_add(&idbuf, k, kn);
	slot = hash_table_put(&index_, hash_bytes(idbuf.p, idbuf.len), &added);
	if (added) {
		/* k may point into keybuf, which new_field does not touch */
		*slot = new_field(parent, k, kn);
	}
	return *slot;
}

/* ---- values ---- */

/* Count value v of field f; canonical when v is its own canonical text
 * (hash.h: a string without escapes, an integer of up to 38 digits other
 * than -0), whose hash is then that of its bytes, with no copy. */
static void distinct_add(struct field *f, struct span v, int kind, int canonical)
{
	struct hash128 h;
	struct seen *s;
	int added;

	if (canonical) {
		h = hash_bytes(v.p, v.n);
	} else {
		hash_canon_reset(&canon);
		hash_canon_add(&canon, v);
		h = hash_canon_sum(&canon);
	}
	if (f->overflow) {
		hll_add(&f->hll, h.lo);
		s = hash_table_get(&f->seen, h);
		if (s)
			s->count++;
		return;
	}
	s = hash_table_put(&f->seen, h, &added);
	if (!added) {
		s->count++;
		return;
	}
	if (f->seen.count > exact_max) {
		/* one too many: estimate from here on, counting the values
		 * already known on */
		hash_table_del(&f->seen, h);
		hll_init(&f->hll);
		for (size_t i = 0; i < f->seen.cap; i++) {
			const uint64_t *sl = (const uint64_t *)(f->seen.slots + i * f->seen.stride);

			if (sl[0] || sl[1])
				hll_add(&f->hll, sl[0]);
		}
		hll_add(&f->hll, h.lo);
		f->overflow = 1;
		return;
	}
	s->count = 1;
	s->off = f->spell.len;
	if (kind == SCAN_ARRAY)
		jw_compact(&f->spell, v.p, v.n);
	else
		buf_add(&f->spell, v.p, v.n);
	buf_addc(&f->spell, '\0');
}

static void set_text(struct buf *b, const char *p, size_t n)
{
	buf_reset(b);
	buf_add(b, p, n);
}

static int bytes_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	int r = memcmp(a, b, na < nb ? na : nb);

	if (r)
		return r;
	return na < nb ? -1 : na > nb;
}

static int has_exponent(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == 'e' || p[i] == 'E')
			return 1;
	return 0;
}

static int all_zeros(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] >= '1' && p[i] <= '9')
			return 0;
	return 1;
}

/* The order of number texts a and b: plain ones of the same sign compare by
 * the length of their integer part (JSON has no leading zeros), then digit
 * by digit, the shorter fraction padded with zeros; anything else by
 * dec_text_cmp(). */
static int num_cmp(const char *a, size_t na, struct numkey ka, const struct buf *b,
		   struct numkey kb)
{
	int r = 0;

	if (!ka.plain || !kb.plain || ka.neg != kb.neg)
		return dec_text_cmp(a, na, b->p, b->len);
	if (ka.ilen != kb.ilen) {
		r = ka.ilen < kb.ilen ? -1 : 1;
	} else {
		const char *x = a + ka.neg, *y = b->p + kb.neg;
		size_t nx = na - ka.neg, ny = b->len - kb.neg, m = nx < ny ? nx : ny;

		r = memcmp(x, y, m);
		if (r)
			r = r < 0 ? -1 : 1;
		else if (nx > ny)
			r = !all_zeros(x + m, nx - m);
		else if (ny > nx)
			r = -!all_zeros(y + m, ny - m);
	}
	return ka.neg ? -r : r;
}

/* Returns 1 when the text is its own canonical form (an integer of at most
 * 38 digits, not -0). */
static int number(struct field *f, struct span v)
{
	size_t i = v.p[0] == '-', k = i;
	uint64_t digits, scale = 0;
	struct numkey key = {0, (uint8_t)i, 0};
	int canonical = 0;

	while (k < v.n && v.p[k] >= '0' && v.p[k] <= '9')
		k++;
	key.ilen = k - i;
	if (k == v.n) {
		f->kinds |= LK_INT;
		digits = (k - i == 1 && v.p[i] == '0') ? 0 : k - i;
		key.plain = digits > 0;
		canonical = k - i <= DEC_MAX_DIGITS && !(i && !digits);
	} else if (v.p[k] == '.' && !has_exponent(v.p + k, v.n - k)) {
		f->kinds |= LK_DEC;
		digits = (k - i == 1 && v.p[i] == '0') ? 0 : k - i;
		scale = v.n - k - 1;
		key.plain = digits > 0 || !all_zeros(v.p + k + 1, scale);
	} else {
		struct dec_text m;
		__int128 place;

		f->kinds |= LK_DEC;
		dec_text_parse(&m, v.p, v.n);
		if (!dec_text_place(&m, m.nint + m.nfrac - 1, &place))
			f->huge = 1;
		else if (place < 0)
			scale = (uint64_t)-place;
		digits = 0;
		if (m.z < m.nint + m.nfrac) {
			if (!dec_text_place(&m, m.z, &place))
				f->huge = 1;
			else if (place >= 0)
				digits = (uint64_t)place + 1;
		}
	}
	if (digits > f->int_digits)
		f->int_digits = digits;
	if (scale > f->scale)
		f->scale = scale;
	if (!f->nmin.len) {
		set_text(&f->nmin, v.p, v.n);
		set_text(&f->nmax, v.p, v.n);
		f->kmin = f->kmax = key;
	} else if (num_cmp(v.p, v.n, key, &f->nmin, f->kmin) < 0) {
		set_text(&f->nmin, v.p, v.n);
		f->kmin = key;
	} else if (num_cmp(v.p, v.n, key, &f->nmax, f->kmax) > 0) {
		set_text(&f->nmax, v.p, v.n);
		f->kmax = key;
	}
	return canonical;
}

static int one_bit(unsigned x)
{
	return x && !(x & (x - 1));
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_uuid(const char *s, size_t n)
{
	if (n != 36)
		return 0;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!is_hex(s[i])) {
			return 0;
		}
	}
	return 1;
}

static int is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* An address every reader of RFC 5321 takes: a dot-string of letters,
 * digits and !#$%&'*+/=?^_`{|}~- before the @, and a domain of two or
 * more labels of letters, digits and inner hyphens after it. */
static int is_email(const char *s, size_t n)
{
	size_t at = 0, i, label = 0, labels = 0;

	for (i = 0; i < n && s[i] != '@'; i++) {
		if (s[i] == '.') {
			if (i == 0 || s[i - 1] == '.')
				return 0;
		} else if (!is_alnum(s[i]) && !strchr("!#$%&'*+/=?^_`{|}~-", s[i])) {
			return 0;
		}
	}
	if (i == 0 || i == n || s[i - 1] == '.' || i > 64)
		return 0;
	at = i;
	for (i = at + 1; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!label || s[i - 1] == '-' || label > 63)
				return 0;
			labels++;
			label = 0;
		} else if (is_alnum(s[i]) || (s[i] == '-' && label)) {
			label++;
		} else {
			return 0;
		}
	}
	return labels >= 2 && n - at - 1 <= 253;
}

/* RFC 3339's date-time, JSON Schema's "date-time": seconds and an offset
 * are required, the separator is T. */
static int is_rfc3339(const char *s, size_t n)
{
	size_t i = 19;

	if (n < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return 0;
	if (s[i] == '.') {
		if (++i == n || s[i] < '0' || s[i] > '9')
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z'))
		return 1;
	return i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':';
}

/* Returns 1 when the string has no escapes (it is its canonical text). */
static int string(struct field *f, struct span v)
{
	const char *s = v.p + 1;
	size_t n = v.n - 2;
	uint64_t len;
	int64_t us;
	int32_t off;
	unsigned kind = LK_TEXT;
	int plain_text = 1;

	if (memchr(s, '\\', n)) {
		plain_text = 0;
		buf_reset(&strbuf);
		scan_unescape(&strbuf, s, n);
		s = strbuf.p;
		n = strbuf.len;
	}
	len = utf8_count(s, n);
	if (len < f->lmin)
		f->lmin = len;
	if (len > f->lmax)
		f->lmax = len;
	if (!n)
		f->empty++;
	if (!one_bit(f->kinds & LK_STR) && (f->kinds & LK_STR)) {
		/* strings of two kinds already: the type is text, whatever this
		 * one is, and dates and times no longer have a min and max */
	} else if (n >= 10 && s[4] == '-' && s[7] == '-' && s[0] >= '0' && s[0] <= '9' &&
		   (n == 10 || s[10] == 'T' || s[10] == 't' || s[10] == ' ') &&
		   !timefmt_parse_iso(s, n, &us, &off)) {
		if (n == 10) {
			kind = LK_DATE;
		} else {
			kind = LK_TS;
			if (!is_rfc3339(s, n))
				f->ts_loose = 1;
		}
		if (!f->has_time || us < f->tmin_us) {
			set_text(&f->tmin, v.p, v.n);
			f->tmin_us = us;
		}
		if (!f->has_time || us > f->tmax_us) {
			set_text(&f->tmax, v.p, v.n);
			f->tmax_us = us;
		}
		f->has_time = 1;
	} else if (is_uuid(s, n)) {
		kind = LK_UUID;
	} else if (n && memchr(s, '@', n) && is_email(s, n)) {
		kind = LK_EMAIL;
	}
	f->kinds |= kind;
	if (!f->has_str) {
		set_text(&f->smin, s, n);
		set_text(&f->smax, s, n);
		f->has_str = 1;
	} else if (bytes_cmp(s, n, f->smin.p, f->smin.len) < 0) {
		set_text(&f->smin, s, n);
	} else if (bytes_cmp(s, n, f->smax.p, f->smax.len) > 0) {
		set_text(&f->smax, s, n);
	}
	return plain_text;
}

/* Profile one value of field f (its object members are done by walk). */
static void value(struct field *f, struct span v)
{
	enum scan_kind k = scan_kind_trimmed(v);
	int canonical = 0;

	switch (k) {
	case SCAN_NULL:
		f->types[JT_NULL]++;
		return;
	case SCAN_FALSE:
	case SCAN_TRUE: {
		int b = k == SCAN_TRUE;

		f->types[JT_BOOL]++;
		f->kinds |= LK_BOOL;
		if (f->bmin < 0 || b < f->bmin)
			f->bmin = b;
		if (b > f->bmax)
			f->bmax = b;
		break;
	}
	case SCAN_NUMBER:
		f->types[JT_NUM]++;
		canonical = number(f, v);
		break;
	case SCAN_STRING:
		f->types[JT_STR]++;
		canonical = string(f, v);
		break;
	case SCAN_ARRAY:
		f->types[JT_ARR]++;
		f->kinds |= LK_ARR;
		break;
	default:
		f->types[JT_OBJ]++;
		f->kinds |= LK_OBJ;
		return;
	}
	distinct_add(f, v, k, canonical);
}

/* ---- the worker ---- */

/*
 * The main thread reads, checks and walks the records; the values, each
 * with its field, go in batches to one worker thread that profiles them:
 * two batches, one filled while the other is profiled, handed over under a
 * mutex.  A field's statistics are the worker's alone (the main thread
 * touches only its name, members and stamp), so no lock is taken per value,
 * and values are profiled in input order, as by one thread.
 */
struct item {
	struct field *f;
	size_t off, n; /* the value, in the batch's text */
};

struct batch {
	struct buf text; /* the records' lines */
	struct item *it;
	size_t n, cap;
	int full; /* handed to the worker, not yet profiled */
};

/* A batch is handed over at this size or count, whichever comes first. */
#define BATCH_BYTES (256 << 10)
#define BATCH_ITEMS 16384

static struct batch batches[2];
static int cur; /* the batch being filled */
static int ending;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *work(void *arg)
{
	(void)arg;
	for (int i = 0;; i ^= 1) {
		struct batch *b = &batches[i];
		int full;

		pthread_mutex_lock(&mu);
		while (!b->full && !ending)
			pthread_cond_wait(&cv, &mu);
		full = b->full;
		pthread_mutex_unlock(&mu);
		if (!full)
			return NULL;
		for (size_t k = 0; k < b->n; k++)
			value(b->it[k].f, (struct span){b->text.p + b->it[k].off, b->it[k].n});
		pthread_mutex_lock(&mu);
		b->full = 0;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
}

/* Hand the batch being filled to the worker; go on with the other once the
 * worker is done with it. */
static void hand_off(void)
{
	pthread_mutex_lock(&mu);
	batches[cur].full = 1;
	pthread_cond_broadcast(&cv);
	cur ^= 1;
	while (batches[cur].full)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	batches[cur].n = 0;
	buf_reset(&batches[cur].text);
}

static void queue(size_t fi, struct span v)
{
	struct batch *b = &batches[cur];

	if (b->n == b->cap)
		xgrow(&b->it, &b->cap, b->n + 1, sizeof(*b->it));
	b->it[b->n++] = (struct item){fields[fi], (size_t)(v.p - b->text.p), v.n};
}

/* Queue the members of an object value of field parent: first find each
 * member's field, the last of a repeated key replacing the earlier, then
 * queue the values, walking into objects. */
static void walk(size_t parent, struct span obj, size_t depth)
{
	struct scan_iter it;
	struct span key, v;
	size_t pos = 0, n;

	if (depth == nlevels) {
		levels = xrealloc(levels, (nlevels + 1) * sizeof(*levels));
		memset(&levels[nlevels++], 0, sizeof(*levels));
	}
	levels[depth].n = 0;
	scan_iter_init(&it, obj);
	while (scan_iter_next(&it, &key, &v)) {
		size_t fi = child(parent, pos++, key);
		struct mlist *l = &levels[depth];

		/* the iterator's values have no white space around them */
		if (fields[fi]->stamp == recno) {
			for (size_t i = 0; i < l->n; i++)
				if (l->m[i].f == fi)
					l->m[i].v = v;
			continue;
		}
		fields[fi]->stamp = recno;
		if (l->n == l->cap)
			xgrow(&l->m, &l->cap, l->n + 1, sizeof(*l->m));
		l->m[l->n++] = (struct member){fi, v};
	}
	n = levels[depth].n;
	for (size_t i = 0; i < n; i++) {
		struct member m = levels[depth].m[i];

		queue(m.f, m.v);
		if (scan_kind_trimmed(m.v) == SCAN_OBJECT)
			walk(m.f, m.v, depth + 1);
	}
}

/* ---- results ---- */

static uint64_t present(const struct field *f)
{
	uint64_t n = 0;

	for (int t = 0; t < JT_N; t++)
		n += f->types[t];
	return n;
}

/* The records a field could have been in: all, or those where its parent
 * is an object (for the schema's "required"). */
static uint64_t possible(const struct field *f)
{
	return f->parent ? fields[f->parent]->types[JT_OBJ] : stats.records_out;
}

/* Objects are walked into, not compared: such a field has no distinct
 * values, no min or max. */
static int only_objects(const struct field *f)
{
	return f->kinds == LK_OBJ;
}

static const char *logical(const struct field *f)
{
	unsigned k = f->kinds, fam = 0;

	fam += !!(k & LK_BOOL) + !!(k & LK_NUM) + !!(k & LK_STR) + !!(k & LK_ARR) + !!(k & LK_OBJ);
	if (!fam)
		return "null";
	if (fam > 1)
		return "mixed";
	if (k & LK_BOOL)
		return "boolean";
	if (k & LK_NUM)
		return k & LK_DEC ? "decimal" : "integer";
	if (k & LK_ARR)
		return "array";
	if (k & LK_OBJ)
		return "object";
	if (!one_bit(k))
		return "text";
	switch (k) {
	case LK_DATE:
		return "date";
	case LK_TS:
		return "timestamp";
	case LK_UUID:
		return "uuid";
	case LK_EMAIL:
		return "email";
	default:
		return "text";
	}
}

static int is_time_type(const struct field *f)
{
	return f->kinds == LK_DATE || f->kinds == LK_TS;
}

/* The smallest (max 0) or largest (max 1) value, as JSON, or 0 if none:
 * booleans < numbers < strings, dates and times by instant. */
static int extreme(const struct field *f, int max, struct buf *b)
{
	int has_b = f->bmin >= 0, has_n = f->nmin.len > 0, has_s = f->has_str;

	if (f->kinds & (LK_ARR | LK_OBJ))
		return 0;
	if (max ? has_s : !has_b && !has_n && has_s) {
		if (is_time_type(f)) {
			const struct buf *t = max ? &f->tmax : &f->tmin;

			buf_add(b, t->p, t->len);
		} else {
			const struct buf *s = max ? &f->smax : &f->smin;

			jw_string(b, s->p, s->len);
		}
		return 1;
	}
	if (max ? has_n : !has_b && has_n) {
		const struct buf *t = max ? &f->nmax : &f->nmin;

		buf_add(b, t->p, t->len);
		return 1;
	}
	if (has_b) {
		buf_adds(b, (max ? f->bmax : f->bmin) ? "true" : "false");
		return 1;
	}
	return 0;
}

static uint64_t distinct(const struct field *f)
{
	return f->overflow ? hll_count(&f->hll) : f->seen.count;
}

/* The TOP_N most frequent values: most first, then first seen first. */
static size_t top(const struct field *f, struct seen *out)
{
	size_t n = 0;

	for (size_t i = 0; i < f->seen.cap; i++) {
		const uint64_t *sl = (const uint64_t *)(f->seen.slots + i * f->seen.stride);
		struct seen s;
		size_t j;

		if (!sl[0] && !sl[1])
			continue;
		memcpy(&s, sl + 2, sizeof(s));
		for (j = n; j > 0; j--) {
			const struct seen *o = &out[j - 1];

			if (o->count > s.count || (o->count == s.count && o->off < s.off))
				break;
			if (j < TOP_N)
				out[j] = *o;
		}
		if (j < TOP_N) {
			out[j] = s;
			if (n < TOP_N)
				n++;
		}
	}
	return n;
}

static double hll_error(void)
{
	return 1.04 / sqrt((double)HLL_M);
}

static void put_u64(struct buf *b, uint64_t v)
{
	buf_printf(b, "%llu", (unsigned long long)v);
}

static void write_record(const struct field *f, struct buf *b)
{
	struct seen t[TOP_N];
	size_t nt;
	int first = 1;

	buf_reset(b);
	buf_adds(b, "{\"field\":");
	jw_string(b, f->path, strlen(f->path));
	buf_printf(b,
		   ",\"records\":%llu,\"count\":%llu,\"missing\":%llu,\"nulls\":%llu,\"types\":{",
		   (unsigned long long)stats.records_out, (unsigned long long)present(f),
		   (unsigned long long)(stats.records_out - present(f)),
		   (unsigned long long)f->types[JT_NULL]);
	for (int i = 0; i < JT_N; i++) {
		if (!f->types[i])
			continue;
		buf_printf(b, "%s\"%s\":%llu", first ? "" : ",", jt_name[i],
			   (unsigned long long)f->types[i]);
		first = 0;
	}
	buf_printf(b, "},\"type\":\"%s\",\"empty\":", logical(f));
	put_u64(b, f->empty);
	if (only_objects(f)) {
		buf_adds(b, ",\"distinct\":null,\"distinct_exact\":null,\"distinct_error\":null");
	} else {
		buf_adds(b, ",\"distinct\":");
		put_u64(b, distinct(f));
		buf_printf(b, ",\"distinct_exact\":%s,\"distinct_error\":",
			   f->overflow ? "false" : "true");
		if (f->overflow)
			buf_printf(b, "%.6g", hll_error());
		else
			buf_addc(b, '0');
	}
	buf_adds(b, ",\"min\":");
	if (!extreme(f, 0, b))
		buf_adds(b, "null");
	buf_adds(b, ",\"max\":");
	if (!extreme(f, 1, b))
		buf_adds(b, "null");
	buf_adds(b, ",\"top\":[");
	nt = top(f, t);
	for (size_t i = 0; i < nt; i++) {
		buf_adds(b, i ? ",{\"value\":" : "{\"value\":");
		buf_adds(b, f->spell.p + t[i].off);
		buf_printf(b, ",\"count\":%llu}", (unsigned long long)t[i].count);
	}
	buf_printf(b, "],\"top_exact\":%s", f->overflow ? "false" : "true");
	if (f->types[JT_STR])
		buf_printf(b, ",\"min_length\":%llu,\"max_length\":%llu",
			   (unsigned long long)f->lmin, (unsigned long long)f->lmax);
	else
		buf_adds(b, ",\"min_length\":null,\"max_length\":null");
	if (f->types[JT_NUM] && !f->huge)
		buf_printf(b, ",\"precision\":%llu,\"scale\":%llu}",
			   (unsigned long long)(f->int_digits + f->scale ? f->int_digits + f->scale
									 : 1),
			   (unsigned long long)f->scale);
	else
		buf_adds(b, ",\"precision\":null,\"scale\":null}");
}

/* The fields in output order: each after its parent, members in the order
 * they were first seen. */
static void order(size_t fi, size_t *out, size_t *n)
{
	for (size_t i = 0; i < fields[fi]->nkids; i++) {
		out[(*n)++] = fields[fi]->kids[i];
		order(fields[fi]->kids[i], out, n);
	}
}

/* ---- the table ---- */

#define NCOLS 11
#define CELL_MAX 30

static const char *const headers[NCOLS] = {"field",   "type",   "count",    "nulls",
					   "missing", "empty",  "distinct", "min",
					   "max",     "length", "top"};
/* right-aligned columns */
static const int numeric[NCOLS] = {0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0};

/* s as a cell of at most CELL_MAX columns (utf8_cell()). */
static char *cell(const char *s, size_t n)
{
	struct buf b = BUF_INIT;

	utf8_cell(&b, s, n, CELL_MAX);
	buf_addc(&b, '\0');
	return buf_detach(&b, NULL);
}

/* A JSON value as a person reads it: strings without quotes or escapes. */
static char *cell_json(const char *p, size_t n)
{
	struct buf b = BUF_INIT;
	char *c;

	if (n == 2 && p[0] == '"')
		buf_adds(&b, "\"\"");
	else if (n && p[0] == '"')
		scan_string(&b, (struct span){p, n});
	else
		buf_add(&b, p, n);
	c = cell(b.p ? b.p : "", b.len);
	buf_release(&b);
	return c;
}

static void table_row(char **cells, const struct field *f, struct buf *tmp)
{
	struct seen t[TOP_N];
	const char *ty = logical(f);

	buf_reset(tmp);
	if (!strcmp(ty, "decimal") && !f->huge)
		buf_printf(tmp, "decimal(%llu,%llu)",
			   (unsigned long long)(f->int_digits + f->scale ? f->int_digits + f->scale
									 : 1),
			   (unsigned long long)f->scale);
	else
		buf_adds(tmp, ty);
	cells[1] = cell(tmp->p, tmp->len);
	cells[0] = cell(f->path, strlen(f->path));
	buf_reset(tmp);
	put_u64(tmp, present(f));
	cells[2] = cell(tmp->p, tmp->len);
	buf_reset(tmp);
	put_u64(tmp, f->types[JT_NULL]);
	cells[3] = cell(tmp->p, tmp->len);
	buf_reset(tmp);
	put_u64(tmp, stats.records_out - present(f));
	cells[4] = cell(tmp->p, tmp->len);
	buf_reset(tmp);
	put_u64(tmp, f->empty);
	cells[5] = cell(tmp->p, tmp->len);
	buf_reset(tmp);
	if (!only_objects(f))
		buf_printf(tmp, "%s%llu", f->overflow ? "~" : "", (unsigned long long)distinct(f));
	cells[6] = cell(tmp->p ? tmp->p : "", tmp->len);
	for (int m = 0; m < 2; m++) {
		buf_reset(tmp);
		extreme(f, m, tmp);
		cells[7 + m] = cell_json(tmp->p ? tmp->p : "", tmp->len);
	}
	buf_reset(tmp);
	if (f->types[JT_STR])
		buf_printf(tmp, "%llu..%llu", (unsigned long long)f->lmin,
			   (unsigned long long)f->lmax);
	cells[9] = cell(tmp->p ? tmp->p : "", tmp->len);
	if (top(f, t)) {
		char *v = cell_json(f->spell.p + t[0].off, strlen(f->spell.p + t[0].off));

		buf_reset(tmp);
		buf_printf(tmp, "%s (%llu)", v, (unsigned long long)t[0].count);
		free(v);
		cells[10] = xstrdup(tmp->p);
	} else {
		cells[10] = xstrdup("");
	}
}

static void write_table(const size_t *ord, size_t n)
{
	char **cells = xcalloc((n + 1) * NCOLS, sizeof(*cells));
	size_t width[NCOLS] = {0};
	struct buf tmp = BUF_INIT;

	for (int c = 0; c < NCOLS; c++)
		cells[c] = xstrdup(headers[c]);
	for (size_t r = 0; r < n; r++)
		table_row(cells + (r + 1) * NCOLS, fields[ord[r]], &tmp);
	for (size_t r = 0; r <= n; r++)
		for (int c = 0; c < NCOLS; c++) {
			size_t w = utf8_width(cells[r * NCOLS + c], strlen(cells[r * NCOLS + c]));

			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; r <= n; r++) {
		buf_reset(&tmp);
		for (int c = 0; c < NCOLS; c++) {
			const char *s = cells[r * NCOLS + c];
			size_t pad = width[c] - utf8_width(s, strlen(s));

			if (c)
				buf_adds(&tmp, "  ");
			if (numeric[c] && r)
				for (size_t i = 0; i < pad; i++)
					buf_addc(&tmp, ' ');
			buf_adds(&tmp, s);
			if ((!numeric[c] || !r) && c < NCOLS - 1)
				for (size_t i = 0; i < pad; i++)
					buf_addc(&tmp, ' ');
		}
		while (tmp.len && tmp.p[tmp.len - 1] == ' ')
			tmp.len--;
		out_line(tmp.p, tmp.len);
	}
	buf_reset(&tmp);
	buf_printf(&tmp, "%llu record%s, %zu field%s", (unsigned long long)stats.records_out,
		   stats.records_out == 1 ? "" : "s", n, n == 1 ? "" : "s");
	out_line(tmp.p, tmp.len);
	for (size_t i = 0; i < (n + 1) * NCOLS; i++)
		free(cells[i]);
	free(cells);
	buf_release(&tmp);
}

/* ---- the schema ---- */

static void schema_members(const struct field *p, struct buf *b);

static void schema_field(const struct field *f, struct buf *b)
{
	const char *fmt = NULL;
	int ntypes = 0;

	for (int t = 0; t < JT_N; t++)
		ntypes += f->types[t] > 0;
	buf_adds(b, "{\"type\":");
	if (ntypes > 1)
		buf_addc(b, '[');
	for (int t = 0, i = 0; t < JT_N; t++) {
		if (!f->types[t])
			continue;
		if (i++)
			buf_addc(b, ',');
		buf_printf(b, "\"%s\"",
			   t == JT_NUM && !(f->kinds & LK_DEC) ? "integer" : jt_name[t]);
	}
	if (ntypes > 1)
		buf_addc(b, ']');
	switch (f->kinds & LK_STR) {
	case LK_DATE:
		fmt = "date";
		break;
	case LK_TS:
		fmt = f->ts_loose ? NULL : "date-time";
		break;
	case LK_UUID:
		fmt = "uuid";
		break;
	case LK_EMAIL:
		fmt = "email";
		break;
	}
	if (fmt)
		buf_printf(b, ",\"format\":\"%s\"", fmt);
	if (f->types[JT_OBJ])
		schema_members(f, b);
	buf_addc(b, '}');
}

static void schema_members(const struct field *p, struct buf *b)
{
	int any = 0;

	buf_adds(b, ",\"properties\":{");
	for (size_t i = 0; i < p->nkids; i++) {
		const struct field *c = fields[p->kids[i]];

		if (i)
			buf_addc(b, ',');
		jw_string(b, c->key, c->nkey);
		buf_addc(b, ':');
		schema_field(c, b);
	}
	buf_addc(b, '}');
	for (size_t i = 0; i < p->nkids; i++) {
		const struct field *c = fields[p->kids[i]];

		if (present(c) != possible(c))
			continue;
		buf_adds(b, any ? "," : ",\"required\":[");
		jw_string(b, c->key, c->nkey);
		any = 1;
	}
	if (any)
		buf_addc(b, ']');
}

/* The schema file is opened before the input is read, so that a path that
 * cannot be written fails the run at once; it is renamed into place at the
 * end, and removed by any failure exit. */
/* ---- files written beside the output: --schema, --rules ---- */

/* Opened before the input is read, so that a path that cannot be written
 * fails at once; written at the end, atomically. */
struct side {
	const char *file;
	struct replace r;
	int open;
};
static struct side side_schema, side_rules;

static void side_abort(int status)
{
	struct side *all[] = {&side_schema, &side_rules};

	(void)status;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (all[i]->open)
			replace_abort(&all[i]->r);
		all[i]->open = 0;
	}
}

static void side_start(struct side *sd, const char *file)
{
	static int hooked;

	sd->file = file;
	if (replace_open(&sd->r, file))
		etl_die(ETL_EXIT_IOERR, file, "cannot open: %s", strerror(errno));
	sd->open = 1;
	if (!hooked++)
		etl_atexit(side_abort);
}

static void side_finish(struct side *sd, const struct buf *b)
{
	size_t done = 0;

	while (done < b->len) {
		ssize_t w = write(sd->r.fd, b->p + done, b->len - done);

		if (w < 0)
			etl_die(ETL_EXIT_IOERR, sd->file, "write error: %s", strerror(errno));
		done += (size_t)w;
	}
	sd->open = 0;
	if (replace_commit(&sd->r))
		etl_die(ETL_EXIT_IOERR, sd->file, "write error: %s", strerror(errno));
}

static void schema_finish(void)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
		     "\"type\":\"object\"");
	schema_members(fields[0], &b);
	buf_adds(&b, "}\n");
	side_finish(&side_schema, &b);
	buf_release(&b);
}

/* ---- --rules: expectations that the data meets ---- */

#define ACCEPTED_MAX 10

static int by_off(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* One expectation, {"NAME": "ARG"}, on a line of its own. */
static void rule(struct buf *b, int *first, const char *name, const char *arg, size_t n)
{
	buf_adds(b, *first ? "\n  {\"" : ",\n  {\"");
	buf_adds(b, name);
	buf_adds(b, "\": ");
	jw_string(b, arg, n);
	buf_addc(b, '}');
	*first = 0;
}

/* "FIELD:V1,V2,..." of a text field of few distinct values, in first-seen
 * order; 0 when the values cannot be written so (a comma in one). */
static int accepted_list(const struct field *f, struct buf *arg)
{
	struct seen v[ACCEPTED_MAX];
	size_t n = 0;

	for (size_t i = 0; i < f->seen.cap; i++) {
		const uint64_t *sl = (const uint64_t *)(f->seen.slots + i * f->seen.stride);

		if (sl[0] || sl[1])
			memcpy(&v[n++], sl + 2, sizeof(v[0]));
	}
	qsort(v, n, sizeof(v[0]), by_off);
	buf_adds(arg, f->path);
	buf_addc(arg, ':');
	for (size_t i = 0; i < n; i++) {
		const char *j = f->spell.p + v[i].off;
		size_t start = arg->len;

		if (i)
			buf_addc(arg, ',');
		start = arg->len;
		scan_string(arg, (struct span){j, strlen(j)});
		if (memchr(arg->p + start, ',', arg->len - start))
			return 0;
	}
	return 1;
}

/* The expectations of one field: not-null when it was never null or
 * missing, unique when its exact distinct count is the number of records,
 * a range for numbers, accepted values for text of at most ACCEPTED_MAX
 * distinct values of which one at least came twice. */
static void field_rules(const struct field *f, struct buf *b, int *first, struct buf *arg)
{
	uint64_t rows = stats.records_out;
	int not_null = present(f) == rows && !f->types[JT_NULL];
	unsigned k = f->kinds;

	if (strchr(f->path, ':') || only_objects(f))
		return; /* FIELD:ARG could not be told apart */
	if (not_null)
		rule(b, first, "not-null", f->path, strlen(f->path));
	if (not_null && !f->overflow && distinct(f) == rows && rows > 1)
		rule(b, first, "unique", f->path, strlen(f->path));
	if (k && !(k & ~LK_NUM) && !f->huge && f->nmin.len) {
		buf_reset(arg);
		buf_printf(arg, "%s:%.*s..%.*s", f->path, (int)f->nmin.len, f->nmin.p,
			   (int)f->nmax.len, f->nmax.p);
		rule(b, first, "range", arg->p, arg->len);
	}
	if (k && !(k & ~LK_STR) && !(k & (LK_DATE | LK_TS | LK_UUID)) && !f->overflow &&
	    distinct(f) <= ACCEPTED_MAX && distinct(f) < f->types[JT_STR]) {
		buf_reset(arg);
		if (accepted_list(f, arg))
			rule(b, first, "accepted", arg->p, arg->len);
	}
}

static void rules_finish(const size_t *ord, size_t n)
{
	struct buf b = BUF_INIT, arg = BUF_INIT;
	int first = 1;

	buf_adds(&b, "{\"expect\": [");
	rule(&b, &first, "rows", stats.records_out ? "1.." : "0..0", stats.records_out ? 3 : 4);
	for (size_t i = 0; i < n; i++)
		field_rules(fields[ord[i]], &b, &first, &arg);
	buf_adds(&b, "\n]}\n");
	side_finish(&side_rules, &b);
	buf_release(&b);
	buf_release(&arg);
}

/* ---- main ---- */

static void on_opt(int id, const char *arg)
{
	switch (id) {
	case OPT_EXACT:
		exact_max = cli_uint(cli_optname, arg, 1, UINT32_MAX);
		break;
	case OPT_TABLE:
		want_table = 1;
		break;
	case OPT_SCHEMA:
		schema_file = arg;
		break;
	case OPT_RULES:
		rules_file = arg;
		break;
	}
}

static const struct cli_prog prog = {
	"etl-profile",
	"[--exact-distinct N] [--table] [--schema FILE] [--rules FILE] [OPTIONS] [FILE...]",
	"Describe each field: types, nulls, distinct values, min, max, top values.",
	opts,
	0,
	on_opt,
};

static void release(void)
{
	for (size_t i = 0; i < nfields; i++) {
		struct field *f = fields[i];

		free(f->key);
		free(f->path);
		free(f->kids);
		hash_table_release(&f->seen);
		buf_release(&f->spell);
		if (f->overflow)
			hll_release(&f->hll);
		buf_release(&f->nmin);
		buf_release(&f->nmax);
		buf_release(&f->smin);
		buf_release(&f->smax);
		buf_release(&f->tmin);
		buf_release(&f->tmax);
	}
	for (size_t i = 0; i < nfields; i++)
		free(fields[i]);
	free(fields);
	for (int i = 0; i < 2; i++) {
		buf_release(&batches[i].text);
		free(batches[i].it);
	}
	for (size_t i = 0; i < nlevels; i++)
		free(levels[i].m);
	free(levels);
	hash_table_release(&index_);
	hash_canon_release(&canon);
	buf_release(&keybuf);
	buf_release(&idbuf);
	buf_release(&strbuf);
}

int main(int argc, char **argv)
{
	struct ndjson *nd;
	struct record rec;
	size_t *ord, n = 0;
	struct buf line = BUF_INIT;
	pthread_t worker;

	cli_start(&prog, argc, argv);
	if (!want_table && (!cli.output || !strcmp(cli.output, "-")) && isatty(1))
		want_table = 1;
	if (schema_file)
		side_start(&side_schema, schema_file);
	if (rules_file)
		side_start(&side_rules, rules_file);
	hash_canon_init(&canon, 0);
	hash_table_init(&index_, sizeof(size_t));
	new_field(0, "", 0);

	if (pthread_create(&worker, NULL, work, NULL))
		etl_die(ETL_EXIT_SOFTWARE, NULL, "cannot start a thread: %s", strerror(errno));
	nd = nd_open(cli.files, cli.nfiles, NULL, 0);
	while (nd_next(nd, &rec)) {
		struct buf *t = &batches[cur].text;
		size_t at = t->len;

		recno++;
		buf_add(t, rec.line.p, rec.line.n);
		walk(0, (struct span){t->p + at, rec.line.n}, 0);
		stats.records_out++;
		if (t->len >= BATCH_BYTES || batches[cur].n >= BATCH_ITEMS)
			hand_off();
	}
	nd_close(nd);
	pthread_mutex_lock(&mu);
	batches[cur].full = 1;
	ending = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(worker, NULL);

	ord = xcalloc(nfields ? nfields : 1, sizeof(*ord));
	order(0, ord, &n);
	if (want_table) {
		write_table(ord, n);
	} else {
		for (size_t i = 0; i < n; i++) {
			write_record(fields[ord[i]], &line);
			out_line(line.p, line.len);
		}
	}
	if (schema_file)
		schema_finish();
	if (rules_file)
		rules_finish(ord, n);
	free(ord);
	buf_release(&line);
	release();
	cli_finish();
}
