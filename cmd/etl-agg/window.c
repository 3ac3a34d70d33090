/*
 * window.c - aggregates per event-time window, for streams that never end.
 *
 * A window belongs to one group and spans [start, end) of event time, the
 * time each record carries in --time-field.  Tumbling windows of SIZE and
 * hopping windows of SIZE every HOP start at multiples of HOP since the
 * epoch (UTC), so 1h windows start on the hour and 1d windows at midnight
 * UTC; a record falls in every window that contains its time.  A session
 * window is the span of a group's records that follow each other within
 * GAP: each record stands for [t, t + GAP), and overlapping spans merge, so
 * a late-arriving record can join two sessions into one.
 *
 * The watermark W is the greatest event time seen minus --lateness, and it
 * never goes back.  A window closes when its end <= W: its result is
 * written at once and its memory freed, so memory holds only the open
 * windows (and, for sessions, groups whose last session may still be
 * reached).  Closing order is (end, start, creation order), which is also
 * the order of the output as a whole.  A record is late when a window it
 * belongs to has closed (end <= W for its earliest window; for sessions,
 * when its span would close at once or reach a session already written):
 * it is counted in none of its windows and goes to --late, so every window
 * holds exactly the records that were not late, all of them.
 *
 * Every open window has exactly one entry in a min-heap keyed by (end,
 * start, seq).  Sessions change their bounds as records arrive; their
 * entry is not moved then but put back with the new bounds when it comes
 * to the top, so a window is written at its true place in the order.  A
 * session absorbed by another is marked dead and freed when its entry
 * comes up.
 *
 * Offsets (CONVENTIONS section 6): the input's _off values make the set
 * cur, the point the state has reached.  A window written at that point
 * gets _off = cur with one more component, its index k among the windows
 * written there (p/0:15.0, p/0:15.1, ...), so each result has its own
 * offset, all after the input's own; the order at one point is the
 * closing order, which the same input makes again.
 *
 * Checkpoints (--checkpoint DIR, checkpoint.c keeps the files): the whole
 * state (watermark, open windows with their states, sessions' closed
 * groups, the size of the --late file) is saved at every input point
 * where windows are about to be written, before they are, and every
 * --checkpoint-interval, and before the end.  Restored, it writes the
 * windows of its point again with the same offsets (a sink skips those it
 * has), skips the input it already reflects, and cuts the --late file back
 * to the size it had then, so that late records are written once too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "cli.h"
#include "crash.h"
#include "die.h"
#include "evtime.h"
#include "jsonw.h"
#include "mem.h"
#include "ndjson.h"
#include "offset.h"
#include "out.h"
#include "stats.h"
#include "timefmt.h"
#include "banned.h"

enum { W_TUMBLING, W_HOPPING, W_SESSION };

#define MAX_HOPS 10000

static int wkind;
static int64_t wsize, whop, wgap; /* microseconds */

struct win {
	struct wgroup *g;
	int64_t start, end;
	uint64_t seq;
	int dead; /* absorbed by another session */
	unsigned char *st;
};

struct wgroup {
	struct hash128 h;
	struct win **w; /* open windows, sorted by start */
	size_t n, cap;
	int64_t closed_until; /* sessions: the end of the latest session written */
	char *key;
	size_t keylen;
};

struct hentry {
	int64_t end, start;
	uint64_t seq;
	struct win *w;
};

static struct hentry *heap;
static size_t nheap, capheap;
static struct hash_table table; /* group hash -> struct wgroup * */
static uint64_t wseq;
static int64_t maxt = INT64_MIN, wm = INT64_MIN;
static size_t nopen;

/* sessions: groups with nothing open, kept while a record could still
 * reach their last session (closed_until + gap > W), oldest first */
struct idle {
	struct hash128 h;
	int64_t until;
};
static struct idle *idles;
static size_t idle_head, nidle, capidle;

static FILE *late_file;
static uint64_t nlate;
static char late_where[512];
static struct buf line, extra;
static int emitted;

static struct offset_set cur = OFFSET_SET_INIT;     /* the input point reached */
static uint64_t kth;                                /* windows written at it */
static struct offset_set resumed = OFFSET_SET_INIT; /* the restored checkpoint's */
static uint64_t nskipped;                           /* inputs it reflects */

/* ---- options ---- */

int window_parse(const char *spec)
{
	const char *colon = strchr(spec, ':');
	char *a, *comma;
	int r = 0;

	if (!colon)
		return -1;
	a = xstrdup(colon + 1);
	comma = strchr(a, ',');
	if (comma)
		*comma++ = '\0';
	if (!strncmp(spec, "tumbling:", 9) && !comma) {
		wkind = W_TUMBLING;
		r = timefmt_duration(a, &wsize);
		whop = wsize;
	} else if (!strncmp(spec, "hopping:", 8) && comma) {
		wkind = W_HOPPING;
		r = timefmt_duration(a, &wsize) | timefmt_duration(comma, &whop);
		if (whop > wsize)
			r = -1;
	} else if (!strncmp(spec, "session:", 8) && !comma) {
		wkind = W_SESSION;
		r = timefmt_duration(a, &wgap);
		wsize = whop = wgap;
	} else {
		r = -1;
	}
	free(a);
	/* a record joins SIZE/HOP windows: keep that sane */
	return r || wsize <= 0 || whop <= 0 || wsize / whop > MAX_HOPS ? -1 : 0;
}

/* ---- the heap ---- */

static int hless(const struct hentry *a, const struct hentry *b)
{
	if (a->end != b->end)
		return a->end < b->end;
	if (a->start != b->start)
		return a->start < b->start;
	return a->seq < b->seq;
}

static void heap_push(struct win *w)
{
	size_t i;

	xgrow(&heap, &capheap, nheap + 1, sizeof(*heap));
	i = nheap++;
	heap[i] = (struct hentry){w->end, w->start, w->seq, w};
	while (i > 0 && hless(&heap[i], &heap[(i - 1) / 2])) {
		struct hentry t = heap[i];

		heap[i] = heap[(i - 1) / 2];
		heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct hentry heap_pop(void)
{
	struct hentry top = heap[0];
	size_t i = 0;

	heap[0] = heap[--nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < nheap && hless(&heap[l], &heap[m]))
			m = l;
		if (r < nheap && hless(&heap[r], &heap[m]))
			m = r;
		if (m == i)
			break;
		{
			struct hentry t = heap[i];

			heap[i] = heap[m];
			heap[m] = t;
		}
		i = m;
	}
	return top;
}

/* ---- groups and windows ---- */

static struct wgroup *group_find(struct hash128 h)
{
	uint64_t *slot = hash_table_get(&table, h);

	return slot ? (struct wgroup *)(uintptr_t)*slot : NULL;
}

/* A new group: its key text from the group values gv, or given (key). */
static struct wgroup *group_make(struct hash128 h, const struct span *gv, const char *key,
				 size_t keylen)
{
	struct wgroup *g = xcalloc(1, sizeof(*g));
	struct buf k = BUF_INIT;
	int added;

	g->h = h;
	g->closed_until = INT64_MIN;
	if (gv)
		key_text(&k, gv);
	else
		buf_add(&k, key, keylen);
	if (!k.p)
		buf_adds(&k, "");
	g->key = buf_detach(&k, &g->keylen);
	*(uint64_t *)hash_table_put(&table, h, &added) = (uint64_t)(uintptr_t)g;
	return g;
}

static void group_free(struct wgroup *g)
{
	hash_table_del(&table, g->h);
	free(g->w);
	free(g->key);
	free(g);
}

static struct win *win_make(struct wgroup *g, int64_t start, int64_t end)
{
	struct win *w = xcalloc(1, sizeof(*w));
	size_t i = g->n;

	w->g = g;
	w->start = start;
	w->end = end;
	w->seq = wseq++;
	w->st = states_new();
	xgrow(&g->w, &g->cap, g->n + 1, sizeof(*g->w));
	while (i > 0 && g->w[i - 1]->start > start) {
		g->w[i] = g->w[i - 1];
		i--;
	}
	g->w[i] = w;
	g->n++;
	nopen++;
	heap_push(w);
	return w;
}

/* Take w out of its group's list. */
static void win_unlink(struct win *w)
{
	struct wgroup *g = w->g;
	size_t i = 0;

	while (i < g->n && g->w[i] != w)
		i++;
	if (i == g->n)
		return;
	memmove(g->w + i, g->w + i + 1, (g->n - i - 1) * sizeof(*g->w));
	g->n--;
	nopen--;
}

static void win_free(struct win *w)
{
	states_release(w->st);
	free(w->st);
	free(w);
}

/* ---- output ---- */

static void time_text(struct buf *b, int64_t us)
{
	char t[TIMEFMT_ISO_BUFSZ];

	if (!timefmt_in_range(us, 0)) {
		buf_adds(b, "null");
		return;
	}
	buf_addc(b, '"');
	buf_add(b, t, timefmt_iso(us, 0, t));
	buf_addc(b, '"');
}

static void win_write(struct win *w)
{
	buf_reset(&extra);
	buf_adds(&extra, "\"window_start\":");
	time_text(&extra, w->start);
	buf_adds(&extra, ",\"window_end\":");
	time_text(&extra, w->end);
	if (cur.n) {
		static struct buf off;

		buf_reset(&off);
		offset_set_format_sub(&cur, kth++, &off);
		buf_adds(&extra, ",\"" OFFSET_FIELD "\":");
		jw_string(&extra, off.p, off.len);
	}
	buf_reset(&line);
	result_write(&line, w->g->key, w->g->keylen, extra.p, extra.len, w->st);
	out_line(line.p, line.len);
	emitted = 1;
}

static void idle_push(struct wgroup *g)
{
	if (idle_head + nidle == capidle && idle_head) {
		memmove(idles, idles + idle_head, nidle * sizeof(*idles));
		idle_head = 0;
	}
	xgrow(&idles, &capidle, idle_head + nidle + 1, sizeof(*idles));
	idles[idle_head + nidle++] = (struct idle){g->h, g->closed_until};
}

/* Forget session groups that no record can reach any more. */
static void idle_sweep(void)
{
	while (nidle && (idles[idle_head].until >= INT64_MAX - wgap ||
			 idles[idle_head].until + wgap <= wm)) {
		struct wgroup *g = group_find(idles[idle_head].h);

		if (g && !g->n && g->closed_until == idles[idle_head].until)
			group_free(g);
		idle_head++;
		nidle--;
	}
	if (!nidle)
		idle_head = 0;
}

/* Close every window whose end is at most the watermark, in order. */
static void close_windows(void)
{
	while (nheap && heap[0].end <= wm) {
		struct hentry e = heap_pop();
		struct win *w = e.w;
		struct wgroup *g;

		if (w->dead) {
			win_free(w);
			continue;
		}
		if (w->end != e.end || w->start != e.start) {
			heap_push(w); /* a session that grew: back at its true place */
			continue;
		}
		g = w->g;
		if (!opt.emit_update)
			win_write(w);
		win_unlink(w);
		if (wkind == W_SESSION && w->end > g->closed_until)
			g->closed_until = w->end;
		win_free(w);
		if (!g->n) {
			if (wkind == W_SESSION)
				idle_push(g);
			else
				group_free(g);
		}
	}
	if (wkind == W_SESSION)
		idle_sweep();
}

static void flush(void)
{
	if (emitted) {
		out_flush();
		emitted = 0;
	}
	if (late_file)
		fflush(late_file);
}

/* ---- records ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return q - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static struct buf tbuf;

/* The event time of a record (evtime.h).  0, or -1 with a message. */
static int event_time(struct span v, int64_t *us, char *err, size_t errsz)
{
	int r = evtime_read(v, us, &tbuf);

	if (r == EVTIME_OK)
		return 0;
	evtime_message(r, opt.time_field, v, err, errsz);
	return -1;
}

static void late_record(const struct record *rec, int64_t t)
{
	char a[TIMEFMT_ISO_BUFSZ] = "?", b[TIMEFMT_ISO_BUFSZ] = "?";

	if (!nlate)
		snprintf(late_where, sizeof(late_where), "%s",
			 etl_where(rec->file, rec->lineno, 0));
	nlate++;
	stats.dropped++;
	if (strcmp(opt.late, "fail") == 0) {
		if (timefmt_in_range(t, 0))
			timefmt_iso(t, 0, a);
		if (timefmt_in_range(wm, 0))
			timefmt_iso(wm, 0, b);
		etl_die(ETL_EXIT_CHECK, etl_where(rec->file, rec->lineno, 0),
			"late record: event time %s, its window closed at watermark %s", a, b);
	}
	if (strcmp(opt.late, "drop") == 0)
		return;
	if (!late_file) {
		late_file = fopen(opt.late, "a");
		if (!late_file)
			etl_die(ETL_EXIT_IOERR, opt.late, "cannot open: %s", strerror(errno));
	}
	if (fwrite(rec->line.p, 1, rec->line.n, late_file) != rec->line.n ||
	    putc('\n', late_file) == EOF)
		etl_die(ETL_EXIT_IOERR, opt.late, "write error: %s", strerror(errno));
}

/* The open windows a record at time t joins (made as needed), in wins[];
 * 0, or -1 when the record is late. */
static int assign(struct wgroup *g, int64_t t, struct win ***wins, size_t *nw, size_t *capw)
{
	*nw = 0;
	if (wkind != W_SESSION) {
		int64_t kmax = floor_div(t, whop), kmin = floor_div(t - wsize, whop) + 1;

		size_t j = 0;

		if (kmin * whop + wsize <= wm)
			return -1;
		/* g->w is sorted by start and nothing is added to it here, so one
		 * index walks it once for all the record's windows */
		for (int64_t k = kmin; k <= kmax; k++) {
			int64_t start = k * whop;
			struct win *w = NULL;

			while (g && j < g->n && g->w[j]->start < start)
				j++;
			if (g && j < g->n && g->w[j]->start == start)
				w = g->w[j];
			xgrow(wins, capw, *nw + 1, sizeof(**wins));
			(*wins)[(*nw)++] = w; /* NULL: to be made */
		}
		return 0;
	} else {
		int64_t s = t, e = t + wgap;
		struct win *keep = NULL;

		if (g && t < g->closed_until)
			return -1;
		for (size_t i = 0; g && i < g->n; i++) {
			struct win *w = g->w[i];

			if (t < w->end && t + wgap > w->start) {
				if (w->start < s)
					s = w->start;
				if (w->end > e)
					e = w->end;
				if (!keep || w->seq < keep->seq)
					keep = w;
			}
		}
		if (e <= wm)
			return -1;
		xgrow(wins, capw, 1, sizeof(**wins));
		(*wins)[0] = keep;
		*nw = 1;
		if (keep) {
			/* absorb the other sessions the record bridges */
			for (size_t i = 0; i < g->n;) {
				struct win *w = g->w[i];

				if (w != keep && t < w->end && t + wgap > w->start) {
					/* w's records are not all later input than keep's:
					 * collect, first, last and ties follow keep's, then
					 * w's, as etl-agg(1) says */
					states_merge(keep->st, w->st);
					w->dead = 1;
					win_unlink(w);
					continue;
				}
				i++;
			}
			keep->start = s;
			keep->end = e;
		}
		return 0;
	}
}

static struct hash128 group_hash(const struct span *gv)
{
	return plan.ngpaths ? key_hash(gv) : (struct hash128){1, 0};
}

/* Close what is open, as at the end of the input or after --idle-timeout. */
static void close_all(void)
{
	int64_t top = wm;

	for (size_t i = 0; i < nheap; i++) {
		struct win *w = heap[i].w;

		if (!w->dead && w->end > top)
			top = w->end;
	}
	wm = top;
	close_windows();
}

/* ---- checkpoints ---- */

/* What makes the state mean what it means: a checkpoint of another command
 * is refused. */
static void plan_text(struct buf *b)
{
	buf_printf(b, "--window %s --time-field %s --lateness %lld", opt.window, opt.time_field,
		   (long long)opt.lateness_us);
	for (size_t i = 0; i < plan.ngpaths; i++)
		buf_printf(b, " -g %s", plan.gpaths[i].text);
	for (size_t i = 0; i < plan.naggs; i++)
		buf_printf(b, " -a %s", plan.aggs[i].spec);
}

static int late_is_file(void)
{
	return strcmp(opt.late, "drop") != 0 && strcmp(opt.late, "fail") != 0;
}

static void group_fields(struct buf *b, const struct wgroup *g)
{
	buf_printf(b, "{\"lo\":%llu,\"hi\":%llu,\"key\":", (unsigned long long)g->h.lo,
		   (unsigned long long)g->h.hi);
	jw_string(b, g->key, g->keylen);
	buf_printf(b, ",\"cu\":%lld", (long long)g->closed_until);
}

static void save(void)
{
	static struct buf b;
	uint64_t late_bytes = 0;
	struct stat st;

	if (late_file && (fflush(late_file) != 0 || fsync(fileno(late_file)) != 0))
		etl_die(ETL_EXIT_IOERR, opt.late, "write error: %s", strerror(errno));
	if (late_is_file() && stat(opt.late, &st) == 0)
		late_bytes = (uint64_t)st.st_size;
	buf_reset(&b);
	buf_adds(&b, "{\"plan\":");
	{
		struct buf p = BUF_INIT;

		plan_text(&p);
		jw_string(&b, p.p, p.len);
		buf_release(&p);
	}
	buf_printf(&b,
		   ",\"wm\":%lld,\"maxt\":%lld,\"wseq\":%llu,\"late_bytes\":%llu,\"nlate\":%llu}\n",
		   (long long)wm, (long long)maxt, (unsigned long long)wseq,
		   (unsigned long long)late_bytes, (unsigned long long)nlate);
	for (size_t i = 0; i < nheap; i++) {
		struct win *w = heap[i].w;

		if (w->dead)
			continue;
		group_fields(&b, w->g);
		buf_printf(&b, ",\"start\":%lld,\"end\":%lld,\"seq\":%llu,\"state\":",
			   (long long)w->start, (long long)w->end, (unsigned long long)w->seq);
		states_save(w->st, &b);
		buf_adds(&b, "}\n");
	}
	for (size_t i = idle_head; i < idle_head + nidle; i++) {
		struct wgroup *g = group_find(idles[i].h);

		if (!g || g->n || g->closed_until != idles[i].until)
			continue;
		group_fields(&b, g);
		buf_adds(&b, "}\n");
	}
	ckpt_write(&cur, b.p, b.len);
}

static int64_t num(struct span v)
{
	char t[32];
	size_t n = v.n < sizeof(t) - 1 ? v.n : sizeof(t) - 1;

	memcpy(t, v.p, n);
	t[n] = '\0';
	return t[0] == '-' ? (int64_t)strtoll(t, NULL, 10) : (int64_t)strtoull(t, NULL, 10);
}

/* Load a checkpoint's text (ckpt_choose()). */
static void restore(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	struct buf s = BUF_INIT, want = BUF_INIT, l = BUF_INIT;
	struct scan_err serr;
	char err[512];
	uint64_t lineno = 0, saved_wseq = 0;

	plan_text(&want);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct span rec, k, v;
		struct span state = {NULL, 0};
		struct scan_iter it;
		struct hash128 h = {0, 0};
		int64_t start = 0, wend = 0, cu = INT64_MIN;
		uint64_t seq = 0;

		/* the scanner wants a NUL after the text */
		buf_reset(&l);
		buf_add(&l, p, nl ? (size_t)(nl - p) : (size_t)(end - p));
		rec = (struct span){l.p ? l.p : "", l.len};
		p = nl ? nl + 1 : end;
		lineno++;
		if (!rec.n)
			continue;
		if (scan_value(rec.p, rec.n, &serr) != 0)
			etl_die(ETL_EXIT_DATA, opt.ckpt_dir, "checkpoint line %llu is not JSON",
				(unsigned long long)lineno);
		buf_reset(&s);
		scan_iter_init(&it, rec);
		while (scan_iter_next(&it, &k, &v)) {
			if (lineno == 1 && scan_key_eq(k, "off", 3)) {
				scan_string(&s, v);
				if (s.len && (offset_set_add_text(&resumed, s.p, s.len) < 0 ||
					      offset_set_add_text(&cur, s.p, s.len) < 0))
					etl_die(ETL_EXIT_DATA, opt.ckpt_dir,
						"checkpoint offset is not an offset");
			} else if (lineno == 2 && scan_key_eq(k, "plan", 4)) {
				scan_string(&s, v);
				if (s.len != want.len || memcmp(s.p, want.p, s.len) != 0)
					etl_die(ETL_EXIT_USAGE, opt.ckpt_dir,
						"the checkpoint is of another command (%s), not of "
						"this one (%s): a new --checkpoint folder starts "
						"afresh",
						s.p, want.p);
			} else if (lineno == 2 && scan_key_eq(k, "wm", 2)) {
				wm = num(v);
			} else if (lineno == 2 && scan_key_eq(k, "maxt", 4)) {
				maxt = num(v);
			} else if (lineno == 2 && scan_key_eq(k, "wseq", 4)) {
				saved_wseq = (uint64_t)num(v);
			} else if (lineno == 2 && scan_key_eq(k, "nlate", 5)) {
				nlate = (uint64_t)num(v);
			} else if (lineno == 2 && scan_key_eq(k, "late_bytes", 10)) {
				struct stat st;
				uint64_t n = (uint64_t)num(v);

				if (late_is_file() && stat(opt.late, &st) == 0) {
					if ((uint64_t)st.st_size > n &&
					    truncate(opt.late, (off_t)n) != 0)
						etl_die(ETL_EXIT_IOERR, opt.late,
							"cannot truncate: %s", strerror(errno));
					if ((uint64_t)st.st_size < n)
						etl_warn(opt.late,
							 "shorter than at the checkpoint (%llu "
							 "bytes): late records were lost",
							 (unsigned long long)n);
				}
			} else if (scan_key_eq(k, "lo", 2)) {
				h.lo = (uint64_t)num(v);
			} else if (scan_key_eq(k, "hi", 2)) {
				h.hi = (uint64_t)num(v);
			} else if (scan_key_eq(k, "key", 3)) {
				scan_string(&s, v);
			} else if (scan_key_eq(k, "cu", 2)) {
				cu = num(v);
			} else if (scan_key_eq(k, "start", 5)) {
				start = num(v);
			} else if (scan_key_eq(k, "end", 3)) {
				wend = num(v);
			} else if (scan_key_eq(k, "seq", 3)) {
				seq = (uint64_t)num(v);
			} else if (scan_key_eq(k, "state", 5)) {
				state = v;
			}
		}
		if (lineno > 2) {
			struct wgroup *g = group_find(h);

			if (!g)
				g = group_make(h, NULL, s.p ? s.p : "", s.len);
			g->closed_until = cu;
			if (state.p) {
				struct win *w;

				wseq = seq;
				w = win_make(g, start, wend);
				if (states_load(w->st, state, err, sizeof(err)) != 0)
					etl_die(ETL_EXIT_DATA, opt.ckpt_dir,
						"checkpoint line %llu: %s",
						(unsigned long long)lineno, err);
			} else {
				idle_push(g);
			}
		}
	}
	wseq = saved_wseq;
	buf_release(&l);
	buf_release(&s);
	buf_release(&want);
}

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void stats_skipped(struct buf *b)
{
	buf_printf(b, ",\"skipped\":%llu", (unsigned long long)nskipped);
}

/* A record's _off: 1 to go on (cur holds it), 0 when it was dealt with
 * (skipped as reflected by the checkpoint, or rejected). */
static int take_offset(struct ndjson *nd, const struct record *rec)
{
	static struct buf t;
	struct span v = rec->vals[plan.obase];

	if (scan_kind(v) != SCAN_STRING) {
		if (!opt.ckpt_dir)
			return 1;
		nd_reject(nd, rec, 0,
			  "no %s string (--checkpoint needs the stream offset of each record)",
			  OFFSET_FIELD);
		return 0;
	}
	buf_reset(&t);
	scan_string(&t, v);
	if (resumed.n && offset_set_covers(&resumed, t.p, t.len) == 1) {
		nskipped++;
		stats.dropped++;
		return 0;
	}
	if (offset_set_add_text(&cur, t.p, t.len) < 0) {
		nd_reject(nd, rec, 0, "%s: not an offset: '%.80s'", OFFSET_FIELD, t.p);
		return 0;
	}
	kth = 0;
	return 1;
}

void window_run(void)
{
	/* static: reachable when a record dies */
	static struct ndjson *nd;
	static struct val *vals;
	static struct win **wins;
	static size_t capw;
	size_t nw;
	struct record rec;
	char err[512];
	int r;
	int64_t last_ckpt = 0;

	nd = nd_open(cli.files, cli.nfiles, plan.want, plan.nwant);
	vals = xcalloc(plan.nex + 1, sizeof(*vals));
	hash_table_init(&table, sizeof(uint64_t));
	if (opt.ckpt_dir) {
		size_t len;
		char *text;

		stats_extra(stats_skipped);
		ckpt_open();
		text = ckpt_choose(&len);
		if (text) {
			restore(text, len);
			free(text);
			/* the windows the checkpoint was about to write, again */
			close_windows();
			flush();
		}
		last_ckpt = mono_us();
	}
	if (opt.idle_us)
		nd_set_timeout(nd, (int)(opt.idle_us / 1000 < 0x7fffffff ? opt.idle_us / 1000
									 : 0x7fffffff));
	while ((r = nd_next(nd, &rec)) != 0) {
		const struct span *gv;
		struct wgroup *g;
		struct hash128 h;
		int64_t t;

		if (r == ND_TIMEOUT) {
			if (opt.ckpt_dir && nopen) {
				save();
				crash_point("agg-checkpointed");
			}
			close_all();
			flush();
			continue;
		}
		if (!take_offset(nd, &rec))
			continue;
		arena_reset(&scratch);
		if (eval_record(rec.vals, vals, err, sizeof(err)) != 0 ||
		    event_time(rec.vals[plan.tbase], &t, err, sizeof(err)) != 0) {
			nd_reject(nd, &rec, 0, "%s", err);
			continue;
		}
		gv = rec.vals + plan.gbase;
		h = group_hash(gv);
		g = group_find(h);
		if (assign(g, t, &wins, &nw, &capw) != 0) {
			late_record(&rec, t);
			flush();
			continue;
		}
		if (!g)
			g = group_make(h, gv, NULL, 0);
		for (size_t i = 0; i < nw; i++) {
			struct win *w = wins[i];

			if (!w) {
				int64_t start =
					wkind == W_SESSION
						? t
						: (floor_div(t - wsize, whop) + 1 + (int64_t)i) *
							  whop;

				w = win_make(g, start,
					     wkind == W_SESSION ? t + wgap : start + wsize);
			}
			states_add(w->st, vals);
			if (opt.emit_update)
				win_write(w);
		}
		stats.records_out++;
		if (t > maxt) {
			maxt = t;
			if (maxt - opt.lateness_us > wm)
				wm = maxt - opt.lateness_us;
		}
		if (opt.ckpt_dir) {
			int64_t now = mono_us();

			if ((nheap && heap[0].end <= wm) ||
			    now - last_ckpt >= opt.ckpt_interval_us) {
				save();
				last_ckpt = now;
				crash_point("agg-checkpointed");
			}
		}
		close_windows();
		flush();
	}
	nd_close(nd);
	if (opt.ckpt_dir) {
		save();
		crash_point("agg-checkpointed");
	}
	close_all();
	flush();
	if (late_file && fclose(late_file) != 0)
		etl_die(ETL_EXIT_IOERR, opt.late, "write error: %s", strerror(errno));
	late_file = NULL;
	if (nlate && strcmp(opt.late, "drop") == 0)
		etl_warn(NULL,
			 "%llu late record%s dropped (the first at %s); --late FILE keeps them",
			 (unsigned long long)nlate, nlate == 1 ? "" : "s", late_where);
	for (size_t i = idle_head; i < idle_head + nidle; i++) {
		struct wgroup *g = group_find(idles[i].h);

		if (g && !g->n)
			group_free(g);
	}
	hash_table_release(&table);
	if (opt.ckpt_dir)
		ckpt_release();
	offset_set_release(&cur);
	offset_set_release(&resumed);
	free(idles);
	free(heap);
	free(wins);
	free(vals);
	buf_release(&line);
	buf_release(&extra);
	buf_release(&tbuf);
}
