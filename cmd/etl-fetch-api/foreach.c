/*
 * foreach.c - --for-each (fetch.h): one request per input record, up to
 * --parallel of them at once, in input order unless --unordered.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fetch.h"
#include "template.h"
#include "banned.h"

/* ---- --for-each: one request per input record, several at once ---- */

/*
 * Each input record takes a slot; a slot's request runs, waits for a retry,
 * or holds its finished output until its turn.  In input order (the
 * default), the record of sequence number n takes slot n % N, so a record is
 * read only when the output of the one N before it was written: memory is N
 * responses, and a slow request holds back the writing, never the order.
 * With --unordered, any free slot takes the next record and output goes as
 * it comes.
 */
enum { S_FREE, S_READY, S_RUNNING, S_WAITING, S_DONE };

struct slot {
	int state;
	struct buf rec; /* the input record's line */
	const char *file;
	uint64_t lineno;
	char *url, *body;
	size_t body_len;
	struct http_resp r;
	struct attempt a;
	double ready_at;
	const char **hl;
	struct buf tokhdr;
	struct buf out;  /* the lines to write */
	struct buf fail; /* a per-record failure, for --bad-records */
};

/* The slot's request from the record: 0, or -1 with s->fail set. */
static int slot_prepare(struct slot *s, const char *url_tpl, const char *data_tpl)
{
	struct span rec = {s->rec.p, s->rec.len};
	struct buf u = BUF_INIT, b = BUF_INIT;
	char *url;

	if (template_expand(&u, url_tpl, rec, 'u', &s->fail) < 0) {
		buf_release(&u);
		return -1;
	}
	url = buf_detach(&u, NULL);
	for (size_t i = 0; i < nqueries; i++) {
		char *eq = strchr(queries[i], '='), *nu;

		buf_reset(&b);
		if (template_expand(&b, eq + 1, rec, 'r', &s->fail) < 0) {
			free(url);
			buf_release(&b);
			return -1;
		}
		*eq = '\0';
		nu = http_url_add(url, queries[i], b.p ? b.p : "");
		*eq = '=';
		free(url);
		if (!nu) {
			buf_adds(&s->fail, "the URL made from the template is not a URL");
			buf_release(&b);
			return -1;
		}
		url = nu;
	}
	for (size_t i = 0; i < nquery_envs; i++) {
		char *nu = http_url_add(url, query_envs[i].name, getenv(query_envs[i].var));

		free(url);
		url = nu;
	}
	s->url = url;
	buf_reset(&b);
	if (data_tpl && template_expand(&b, data_tpl, rec, 'j', &s->fail) < 0) {
		buf_release(&b);
		return -1;
	}
	s->body = data_tpl ? buf_detach(&b, &s->body_len) : NULL;
	buf_release(&b);
	return 0;
}

/* A per-record failure: "URL: WHAT", the URL as messages show it. */
static ETL_PRINTF(2, 3) void fail_at(struct slot *s, const char *fmt, ...)
{
	char *u = url_shown(s->url), tmp[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	buf_printf(&s->fail, "%s: %s", u, tmp);
	free(u);
}

static void slot_clear(struct slot *s)
{
	free(s->url);
	free(s->body);
	s->url = s->body = NULL;
	buf_reset(&s->rec);
	buf_reset(&s->out);
	buf_reset(&s->fail);
	memset(&s->a, 0, sizeof(s->a));
	s->state = S_FREE;
}

/* Append each record to the buf ctx as an element of a JSON array. */
static void collect_record(void *ctx, struct span rec)
{
	struct buf *b = ctx;

	if (b->len > 1)
		buf_addc(b, ',');
	jw_compact(b, rec.p, rec.n);
}

/* The slot's output from its answer (ignored: no records). */
static void slot_output(struct slot *s, int ignored_status)
{
	static struct buf err = BUF_INIT;
	long n = 0;

	page_root = (struct span){NULL, 0};
	pages++;
	if (into) {
		static struct buf arr = BUF_INIT;
		struct span t = scan_trim((struct span){s->rec.p, s->rec.len});
		size_t inner = t.n - 1; /* without the closing brace */

		buf_reset(&arr);
		buf_addc(&arr, '[');
		if (!ignored_status)
			n = page_records(s->url, &s->r.body, collect_record, &arr, &err);
		if (n < 0) {
			fail_at(s, "%s", err.p);
			return;
		}
		buf_addc(&arr, ']');
		while (inner > 1 && (t.p[inner - 1] == ' ' || t.p[inner - 1] == '\t'))
			inner--;
		buf_add(&s->out, t.p, inner);
		if (inner > 1)
			buf_addc(&s->out, ',');
		jw_string(&s->out, into, strlen(into));
		buf_addc(&s->out, ':');
		buf_add(&s->out, arr.p, arr.len);
		buf_adds(&s->out, "}\n");
		return;
	}
	if (ignored_status)
		return;
	n = page_records(s->url, &s->r.body, write_record, &s->out, &err);
	if (n < 0) {
		buf_reset(&s->out);
		fail_at(s, "%s", err.p);
	}
}

/* Write a finished slot: its lines, or its record to --bad-records. */
static void slot_emit(struct slot *s)
{
	if (s->fail.len) {
		bad_record(s->file, s->lineno, 0, s->rec.p, s->rec.len, "%s", s->fail.p);
	} else {
		if (s->out.len)
			out_write(s->out.p, s->out.len);
		if (into)
			stats.records_out++;
	}
	slot_clear(s);
}

/* Start the slot's request (its slot in the rate limit taken). */
static void slot_start(struct slot *s, const char *const *base, size_t nbase)
{
	struct http_req q = {0};

	if (token_url && token_stale())
		oauth_token(1);
	q.method = method;
	q.url = s->url;
	q.body = s->body;
	q.body_len = s->body_len;
	q.userpwd = basic_env ? basic_up : NULL;
	auth_headers(&q, s->hl, base, nbase, 0, &s->tokhdr);
	hs.requests++;
	if (http_start(http, &q, &s->r, s) < 0)
		die_url(ETL_EXIT_UNAVAIL, s->url, "%s", s->r.msg);
	s->state = S_RUNNING;
}

void for_each(const char *url_tpl, const char *data_tpl, const char *const *base, size_t nbase)
{
	struct ndjson *nd = nd_open(NULL, 0, NULL, 0);
	struct slot *slots = xcalloc(parallel, sizeof(*slots));
	uint64_t next_in = 0, next_out = 0;
	struct buf m = BUF_INIT;
	int eof = 0;

	for (size_t i = 0; i < parallel; i++) {
		http_resp_init(&slots[i].r);
		slots[i].hl = xcalloc(nbase + 2, sizeof(*slots[i].hl));
	}
	for (;;) {
		double t = mono(), wake = t + 1;
		int busy = 0, rc;
		struct slot *s;

		/* write what is finished, in input order unless --unordered */
		if (unordered) {
			for (size_t i = 0; i < parallel; i++)
				if (slots[i].state == S_DONE)
					slot_emit(&slots[i]);
		} else {
			while (slots[next_out % parallel].state == S_DONE)
				slot_emit(&slots[next_out++ % parallel]);
		}
		/* read records into free slots */
		while (!eof) {
			struct record rec;
			int any = 0, got;

			s = NULL;
			if (unordered) {
				for (size_t i = 0; i < parallel && !s; i++)
					if (slots[i].state == S_FREE)
						s = &slots[i];
			} else if (slots[next_in % parallel].state == S_FREE) {
				s = &slots[next_in % parallel];
			}
			if (!s)
				break;
			/* with requests to make or under way, a slow input is not
			 * waited for: they go on, and the input is read again after */
			for (size_t i = 0; i < parallel && !any; i++)
				any = slots[i].state != S_FREE;
			nd_set_timeout(nd, any ? 0 : -1);
			got = nd_next(nd, &rec);
			if (got == ND_TIMEOUT)
				break;
			if (!got) {
				eof = 1;
				break;
			}
			next_in++;
			buf_add(&s->rec, rec.line.p, rec.line.n);
			s->file = rec.file;
			s->lineno = rec.lineno;
			s->ready_at = 0;
			s->state = slot_prepare(s, url_tpl, data_tpl) < 0 ? S_DONE : S_READY;
		}
		/* start what may start, as the rate limit allows */
		for (size_t i = 0; i < parallel; i++) {
			s = &slots[i];
			if (s->state != S_READY && s->state != S_WAITING)
				continue;
			if (s->ready_at > t) {
				wake = fmin(wake, s->ready_at);
				continue;
			}
			if (next_slot - t > max_wait)
				die_url(ETL_EXIT_TEMPFAIL, s->url,
					"the rate limit asks to wait %.0fs, more than --max-wait",
					next_slot - t);
			if (next_slot > t) {
				wake = fmin(wake, next_slot);
				continue;
			}
			next_slot = t + rate_interval;
			slot_start(s, base, nbase);
		}
		for (size_t i = 0; i < parallel; i++)
			busy |= slots[i].state != S_FREE;
		if (eof && !busy)
			break;
		/* wait for an answer, or for the next start */
		s = http_wait(http, http_running(http) ? (int)fmax(1, (wake - mono()) * 1000) : 0,
			      &rc);
		if (!s) {
			if (!http_running(http) && wake > mono())
				pause_for(wake - mono());
			continue;
		}
		switch (judge(rc, &s->r, &s->a, 0, &t, &m)) {
		case V_OK:
			slot_output(s, 0);
			s->state = S_DONE;
			break;
		case V_IGNORED:
			slot_output(s, 1);
			s->state = S_DONE;
			break;
		case V_REFRESH:
			oauth_token(1);
			s->state = S_READY;
			break;
		case V_RETRY:
			s->ready_at = mono() + t;
			s->state = S_WAITING;
			break;
		case V_REFUSED:
			if (rc < 0)
				die_url(ETL_EXIT_UNAVAIL, s->url, "%s", m.p);
			fail_at(s, "%s", m.p);
			s->state = S_DONE;
			break;
		case V_GIVEUP:
			die_url(ETL_EXIT_TEMPFAIL, s->url, "%s", m.p);
		}
	}
	for (size_t i = 0; i < parallel; i++) {
		http_resp_release(&slots[i].r);
		buf_release(&slots[i].rec);
		buf_release(&slots[i].out);
		buf_release(&slots[i].fail);
		buf_release(&slots[i].tokhdr);
		free(slots[i].hl);
	}
	free(slots);
	buf_release(&m);
	nd_close(nd);
}
