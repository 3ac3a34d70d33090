/*
 * request.c - one request and its retries (fetch.h): the rate limit and the
 * server's limits, the verdict on an answer (judge), the blocking loop that
 * acts on it (fetch), the OAuth2 token, and the writing of a record.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fetch.h"
#include "banned.h"

/* ---- the run's state ---- */

struct http *http;
enum body_format body_fmt;
struct body_spec spec;
struct buf line, hdrbuf, bearer;
struct span page_root;
uint64_t records_seen, pages;
const char **hv;     /* the headers of each request */
char **secret_names; /* the --query-env parameter names, for redaction */

/* Counters for --stats. */
struct http_counts hs;

/* OAuth2 */
char *token;
static double token_expiry;
const char *client_id, *client_secret;

double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void pause_for(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

const char *env_secret(const char *opt, const char *var)
{
	const char *v = getenv(var);

	if (!v || !*v)
		etl_die(ETL_EXIT_USAGE, opt, "the environment variable %s is not set", var);
	return v;
}

/* The URL as messages show it: the --query-env values hidden. */
char *url_shown(const char *url)
{
	return http_url_redact(url, (const char *const *)secret_names, nquery_envs);
}

ETL_NORETURN ETL_PRINTF(3, 4) void die_url(int status, const char *url, const char *fmt, ...)
{
	char *s = url_shown(url);
	struct buf m = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	{
		char tmp[1024];

		vsnprintf(tmp, sizeof(tmp), fmt, ap);
		buf_adds(&m, tmp);
	}
	va_end(ap);
	etl_die(status, s, "%s", m.p);
}

/* A short, printable excerpt of a body for a message: white space and
 * control characters run together into one space. */
static void excerpt(struct buf *b, const struct http_resp *r)
{
	size_t n = utf8_cut(r->body.p ? r->body.p : "", r->body.len, 200);
	int space = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)r->body.p[i];

		if (c <= 0x20 || c == 0x7f) {
			space = b->len > 0;
			continue;
		}
		if (space)
			buf_addc(b, ' ');
		space = 0;
		buf_addc(b, (char)c);
	}
	if (n < r->body.len)
		buf_adds(b, "...");
}

/* ---- rate limits ---- */

double next_slot; /* monotonic time before which no request may start */
/* The quota policies of RateLimit-Policy ("name";q=Q;w=W: Q requests in a
 * window of W seconds), counted here: the answers seen in the current
 * window of each policy; at Q, no request before the window ends. */
struct policy {
	char name[32];
	double start; /* monotonic time of the window's first answer */
	double n;
};
static struct policy policies[8];
static size_t npolicies;

/* The server's limits push the next slot back (never forward). */
static void hold_until(double t)
{
	if (t > next_slot)
		next_slot = t;
}

/* Wait for the slot of the request to url, and take it. */
void rate_wait(const char *url)
{
	double t = mono();

	if (next_slot - t > max_wait)
		die_url(ETL_EXIT_TEMPFAIL, url,
			"the rate limit asks to wait %.0fs, more than --max-wait", next_slot - t);
	if (t < next_slot) {
		hs.waits++;
		hs.wait_seconds += next_slot - t;
		pause_for(next_slot - t);
		t = mono();
	}
	next_slot = t + rate_interval;
}

/* A number after "key=" in a RateLimit header's value, or -1. */
static double rl_field(struct span v, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i + kl < v.n; i++) {
		if ((i == 0 || v.p[i - 1] == ' ' || v.p[i - 1] == ',' || v.p[i - 1] == ';') &&
		    !strncasecmp(v.p + i, key, kl) && v.p[i + kl] == '=') {
			char tmp[32];
			size_t j = i + kl + 1, k = 0;

			while (j < v.n && k + 1 < sizeof(tmp) && v.p[j] >= '0' && v.p[j] <= '9')
				tmp[k++] = v.p[j++];
			tmp[k] = '\0';
			return k ? strtod(tmp, NULL) : -1;
		}
	}
	return -1;
}

static double span_num(struct span v)
{
	char tmp[32];

	if (!v.p || !v.n || v.n >= sizeof(tmp) || strspn(v.p, "0123456789.") < v.n)
		return -1;
	memcpy(tmp, v.p, v.n);
	tmp[v.n] = '\0';
	return strtod(tmp, NULL);
}

/* The members of a structured-field list (RFC 8941), as RateLimit and
 * RateLimit-Policy send them: "name";key=value;..., separated by commas
 * outside quoted strings.  fn(member) for each. */
static void sf_members(struct span v, void (*fn)(struct span))
{
	size_t start = 0;
	int inq = 0;

	for (size_t i = 0; i <= v.n; i++) {
		if (i < v.n && v.p[i] == '"' && (i == 0 || v.p[i - 1] != '\\'))
			inq = !inq;
		if (i == v.n || (!inq && v.p[i] == ',')) {
			fn((struct span){v.p + start, i - start});
			start = i + 1;
		}
	}
}

/* RateLimit: a policy with nothing left (r=0) holds requests for t seconds. */
static void rl_member(struct span m)
{
	double left = rl_field(m, "r"), reset = rl_field(m, "t");

	if (left == 0 && reset > 0)
		hold_until(mono() + reset);
}

/* RateLimit-Policy: one more answer in the window of each policy. */
static void policy_member(struct span m)
{
	double q = rl_field(m, "q"), w = rl_field(m, "w"), now = mono();
	size_t nl = 0, i;
	struct policy *p;

	if (q <= 0 || w <= 0)
		return;
	m = scan_trim(m);
	while (nl < m.n && m.p[nl] != ';')
		nl++;
	if (nl >= sizeof(policies[0].name))
		nl = sizeof(policies[0].name) - 1;
	for (i = 0; i < npolicies; i++)
		if (strlen(policies[i].name) == nl && !memcmp(policies[i].name, m.p, nl))
			break;
	if (i == npolicies) {
		if (npolicies == sizeof(policies) / sizeof(policies[0]))
			return;
		memcpy(policies[npolicies].name, m.p, nl);
		policies[npolicies].name[nl] = '\0';
		policies[npolicies].n = 0;
		policies[npolicies++].start = now;
	}
	p = &policies[i];
	if (now - p->start >= w) {
		p->start = now;
		p->n = 0;
	}
	if (++p->n >= q)
		hold_until(p->start + w);
}

/* A reset: seconds from now, or a Unix time (GitHub's X-RateLimit-Reset). */
static void hold_reset(double reset)
{
	if (reset > 1e9)
		reset -= wall();
	if (reset > 0)
		hold_until(mono() + reset);
}

/* The server's limits, which can only make requests wait longer: when none
 * is left, no request before the reset; a quota policy paces them. */
static void server_limits(const struct http_resp *r)
{
	struct span v = http_header(r, "X-RateLimit-Remaining");

	if (span_num(v) == 0)
		hold_reset(span_num(http_header(r, "X-RateLimit-Reset")));
	/* the IETF draft's first form: three fields */
	v = http_header(r, "RateLimit-Remaining");
	if (span_num(v) == 0)
		hold_reset(span_num(http_header(r, "RateLimit-Reset")));
	/* RateLimit: "limit=10, remaining=0, reset=30" in the drafts of 2022,
	 * the structured list "name";r=0;t=30,... since */
	v = http_header(r, "RateLimit");
	if (v.p) {
		double left = rl_field(v, "remaining");

		if (left >= 0) {
			if (left == 0)
				hold_reset(rl_field(v, "reset"));
		} else {
			sf_members(v, rl_member);
		}
	}
	v = http_header(r, "RateLimit-Policy");
	if (v.p)
		sf_members(v, policy_member);
}

/* ---- requests ---- */

/* Redraw the progress line, when it is shown, at most five times a second. */
void progress_now(void)
{
	if (progress_countdown)
		progress_update();
}

static int retryable(long status)
{
	return status == 408 || status == 425 || status == 429 || status == 500 || status == 502 ||
	       status == 503 || status == 504;
}

static int ignored(long status)
{
	for (size_t i = 0; i < nignore; i++)
		if (ignore_status[i] == status)
			return 1;
	return 0;
}

/* Full jitter: a uniform wait in [0, min(cap, base * 2^attempt)). */
static double backoff(unsigned attempt)
{
	double ceil_s = attempt >= 6 ? 60 : fmin(60, ldexp(1.0, (int)attempt));

	return ceil_s * ((double)random() / ((double)RAND_MAX + 1));
}

/* What an answer (rc as http_do() returns it) calls for.  For V_RETRY,
 * *wait is the pause and the retry is counted; for V_REFUSED and
 * V_GIVEUP, m holds the message. */
enum verdict judge(int rc, const struct http_resp *r, struct attempt *a, int token_req,
		   double *wait, struct buf *m)
{
	double after = -1, w;

	buf_reset(m);
	hs.bytes += r->bytes;
	stats.bytes_in += r->bytes;
	progress_now();
	if (rc < 0) {
		if (r->fail == HTTP_FAIL_OTHER) {
			buf_adds(m, r->msg);
			return V_REFUSED;
		}
	} else {
		server_limits(r);
		if (r->status >= 200 && r->status < 300)
			return V_OK;
		if (ignored(r->status))
			return V_IGNORED;
		if (r->status == 401 && token_url && !token_req && !a->refreshed) {
			/* the token may have been revoked early: one new one */
			a->refreshed = 1;
			return V_REFRESH;
		}
		if (!retryable(r->status)) {
			buf_printf(m, "HTTP %ld", r->status);
			if (r->body.len) {
				buf_adds(m, ": ");
				excerpt(m, r);
			}
			return V_REFUSED;
		}
		after = http_retry_after(r, wall());
	}
	if (a->n >= retries) {
		if (rc < 0) {
			buf_printf(m, "%s (after %u retries)", r->msg, a->n);
		} else {
			buf_printf(m, "HTTP %ld (after %u retries)", r->status, a->n);
			if (r->body.len) {
				buf_adds(m, ": ");
				excerpt(m, r);
			}
		}
		return V_GIVEUP;
	}
	w = after >= 0 ? after : backoff(a->n);
	if (after > max_wait) {
		buf_printf(m, "HTTP %ld: Retry-After asks to wait %.0fs, more than --max-wait",
			   r->status, after);
		return V_GIVEUP;
	}
	if (retry_max_time > 0 && a->waited + w > retry_max_time) {
		if (rc < 0)
			buf_printf(m, "%s (the retries would wait more than --retry-max-time)",
				   r->msg);
		else
			buf_printf(m,
				   "HTTP %ld (the retries would wait more than --retry-max-time)",
				   r->status);
		return V_GIVEUP;
	}
	if (rc < 0) {
		if (r->fail == HTTP_FAIL_TIMEOUT)
			hs.retry_timeout++;
		else
			hs.retry_connect++;
	} else {
		hs.retry_status[r->status]++;
	}
	hs.waits++;
	hs.wait_seconds += w;
	a->waited += w;
	a->n++;
	*wait = w;
	return V_RETRY;
}

/* The headers of a request: the run's, and the current token's. */
void auth_headers(struct http_req *q, const char **hl, const char *const *base, size_t nbase,
		  int token_req, struct buf *tokhdr)
{
	memcpy(hl, base, nbase * sizeof(*hl));
	q->headers = hl;
	q->nheaders = nbase;
	if (!token_req && token_url) {
		buf_reset(tokhdr);
		buf_printf(tokhdr, "Authorization: Bearer %s", token);
		hl[q->nheaders++] = tokhdr->p;
	}
}

/* Make a request, retrying as the options say, until a 2xx response (0),
 * a status of --ignore-status (1), or a failure (dies). */
int fetch(const struct http_req *q0, struct http_resp *r, int token_req)
{
	struct http_req q = *q0;
	const char **hl = xcalloc(q0->nheaders + 2, sizeof(*hl));
	struct attempt a = {0};
	struct buf m = BUF_INIT;
	double w = 0;

	for (;;) {
		int rc;

		rate_wait(q.url);
		/* checked after the wait, so that the token is fresh when sent */
		if (!token_req && token_url && token_stale()) {
			oauth_token(1);
			rate_wait(q.url);
		}
		auth_headers(&q, hl, q0->headers, q0->nheaders, token_req, &hdrbuf);
		hs.requests++;
		if (token_req)
			hs.token_requests++;
		rc = http_do(http, &q, r);
		switch (judge(rc, r, &a, token_req, &w, &m)) {
		case V_OK:
			free(hl);
			buf_release(&m);
			return 0;
		case V_IGNORED:
			free(hl);
			buf_release(&m);
			return 1;
		case V_REFRESH:
			oauth_token(1);
			break;
		case V_RETRY:
			progress_now();
			pause_for(w);
			break;
		case V_REFUSED:
			die_url(ETL_EXIT_UNAVAIL, q.url, "%s", m.p);
		case V_GIVEUP:
			die_url(ETL_EXIT_TEMPFAIL, q.url, "%s", m.p);
		}
	}
}

/* ---- OAuth2 client credentials ---- */

int token_stale(void)
{
	return !token || (token_expiry != 0 && mono() >= token_expiry);
}

void oauth_token(int force)
{
	struct buf body = BUF_INIT, up = BUF_INIT;
	struct http_resp r;
	struct http_req q = {0};
	const char *th[2] = {"Content-Type: application/x-www-form-urlencoded",
			     "Accept: application/json"};
	struct path p_tok, p_exp;
	struct span tok, exp;
	struct scan_err se;
	double ttl = -1, margin;

	if (!force && !token_stale())
		return;
	buf_adds(&body, "grant_type=client_credentials");
	if (scope) {
		buf_adds(&body, "&scope=");
		http_escape(&body, scope, strlen(scope));
	}
	if (!strcmp(oauth2_auth, "post")) {
		buf_adds(&body, "&client_id=");
		http_escape(&body, client_id, strlen(client_id));
		buf_adds(&body, "&client_secret=");
		http_escape(&body, client_secret, strlen(client_secret));
	} else {
		buf_printf(&up, "%s:%s", client_id, client_secret);
		q.userpwd = up.p;
	}
	q.method = "POST";
	q.url = token_url;
	q.headers = th;
	q.nheaders = 2;
	q.body = body.p;
	q.body_len = body.len;
	http_resp_init(&r);
	if (fetch(&q, &r, 1) != 0)
		die_url(ETL_EXIT_UNAVAIL, token_url, "the token request was refused: HTTP %ld",
			r.status);
	if (scan_value(r.body.p ? r.body.p : "", r.body.len, &se) < 0)
		die_url(ETL_EXIT_UNAVAIL, token_url,
			"the token response is not JSON: offset %zu: %s", se.off, se.msg);
	p_tok.seg = &(struct path_seg){"access_token", 12};
	p_tok.nseg = 1;
	p_exp.seg = &(struct path_seg){"expires_in", 10};
	p_exp.nseg = 1;
	tok = scan_lookup((struct span){r.body.p, r.body.len}, &p_tok);
	exp = scan_lookup((struct span){r.body.p, r.body.len}, &p_exp);
	if (scan_kind(tok) != SCAN_STRING)
		die_url(ETL_EXIT_UNAVAIL, token_url, "the token response has no access_token");
	free(token);
	{
		struct buf t = BUF_INIT;

		scan_string(&t, tok);
		token = buf_detach(&t, NULL);
	}
	if (scan_kind(exp) == SCAN_NUMBER)
		ttl = strtod(exp.p, NULL);
	/* renewed a little before it expires: a request never carries a
	 * token that dies on its way */
	margin = ttl > 0 ? fmin(60, ttl / 10) : 0;
	token_expiry = ttl > 0 ? mono() + ttl - margin : 0;
	http_resp_release(&r);
	buf_release(&body);
	buf_release(&up);
}

/* ---- records ---- */

struct wmark wm_max, wm_cur; /* the greatest --cursor-field, the record's */

/* Write a record (with --for-each: append its line to the buf ctx). */
/* ---- CSV bodies ---- */

int csv_body;                                               /* --format csv */
struct csvread_opts csv_ro = {.dialect = CSV_DIALECT_INIT}; /* the reading options */

static jmp_buf csv_jmp;
static struct buf csv_lines, *csv_err;
static size_t csv_url_len;

/* csvread: a record, kept until the whole body is read (NUL-separated, so
 * that each is NUL-terminated for scan_lookup()). */
static void csv_line(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	buf_add(&csv_lines, p, n);
	buf_addc(&csv_lines, '\0');
}

/* csvread: the body is bad.  where is "URL:LINE[:COLUMN]"; the message says
 * "line LINE[, column COLUMN]: WHAT", the caller adds the URL. */
static ETL_NORETURN ETL_PRINTF(3, 4) void csv_fail(int status, const char *where, const char *fmt,
						   ...)
{
	unsigned long long lno = 0;
	unsigned long col = 0;
	va_list ap;

	(void)status;
	buf_reset(csv_err);
	if (where && strlen(where) > csv_url_len &&
	    sscanf(where + csv_url_len, ":%llu:%lu", &lno, &col) >= 1) {
		buf_printf(csv_err, "line %llu", lno);
		if (col)
			buf_printf(csv_err, ", column %lu", col);
		buf_adds(csv_err, ": ");
	}
	va_start(ap, fmt);
	buf_vprintf(csv_err, fmt, ap);
	va_end(ap);
	longjmp(csv_jmp, 1);
}

/* Read a CSV body whole into csv_lines: 0, or -1 with err set. */
static int csv_read(const char *url, const struct buf *body, struct buf *err)
{
	char *shown = url_shown(url);
	struct csvread *volatile r = NULL;

	csv_url_len = strlen(shown);
	csv_err = err;
	buf_reset(&csv_lines);
	csv_ro.die = csv_fail;
	csv_ro.strict = 1;
	if (setjmp(csv_jmp)) {
		csvread_free(r);
		free(shown);
		return -1;
	}
	r = csvread_new(&csv_ro, csv_line, NULL);
	csvread_begin(r, shown);
	csvread_feed(r, body->p, body->len);
	csvread_end(r);
	csvread_free(r);
	free(shown);
	return 0;
}

long page_records(const char *url, struct buf *body, body_fn fn, void *ctx, struct buf *err)
{
	struct body_err be;
	long n = 0;

	if (!body->p)
		buf_add(body, "", 0);
	if (!csv_body) {
		n = body_records(body->p, body->len, body_fmt, &spec, fn, ctx, &page_root, &be);
		if (n < 0) {
			buf_reset(err);
			buf_printf(err, "offset %zu: %s%s", be.off,
				   be.syntax ? "invalid JSON: " : "", be.msg);
		}
		return n;
	}
	/* read whole, then handed out: a bad body gives no record */
	if (csv_read(url, body, err) < 0)
		return -1;
	for (size_t at = 0; at < csv_lines.len; n++) {
		size_t k = strlen(csv_lines.p + at);

		fn(ctx, (struct span){csv_lines.p + at, k});
		at += k + 1;
	}
	return n;
}

void write_record(void *ctx, struct span rec)
{
	buf_reset(&line);
	jw_compact(&line, rec.p, rec.n);
	if (nmetas) {
		line.len--; /* the closing brace */
		for (size_t i = 0; i < nmetas; i++) {
			struct span v = scan_lookup(page_root, &metas[i].path);

			if (line.len > 1)
				buf_addc(&line, ',');
			jw_string(&line, metas[i].field, strlen(metas[i].field));
			buf_addc(&line, ':');
			if (v.p)
				jw_compact(&line, v.p, v.n);
			else
				buf_adds(&line, "null");
		}
		buf_addc(&line, '}');
	}
	if (ctx) {
		buf_add(ctx, line.p, line.len);
		buf_addc(ctx, '\n');
	} else {
		out_line(line.p, line.len);
		stats.records_in++;
	}
	if (cursor_field_set && wmark_json(&wm_cur, scan_lookup(rec, &cursor_field)) &&
	    (!wm_max.set || wmark_cmp(&wm_cur, &wm_max) > 0)) {
		struct wmark t = wm_max;

		wm_max = wm_cur;
		wm_cur = t;
	}
	stats.records_out++;
	records_seen++;
	progress_tick();
}
