/*
 * http.c - libcurl plumbing: one multi handle per struct http, one easy
 * handle per request.
 *
 * The multi handle owns the connection cache, so an easy handle made for
 * each request still reuses the connections of the ones before it; a fresh
 * easy handle per request means no option of one request (a body, a method)
 * can leak into the next.  The header callback keeps only the final
 * response's lines: each status line ("HTTP/...") starts them afresh, so the
 * headers of a redirect or of a "100 Continue" are dropped.
 */
#include "http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "banned.h"

struct xfer;

struct http {
	CURLM *multi;
	struct http_opts o;
	int running;       /* transfers started and not yet handed back */
	struct xfer *done; /* finished, not yet handed back, in order */
};

static int global_done;

struct http *http_new(const struct http_opts *o, char *err, size_t errlen)
{
	struct http *h;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, errlen, "cannot initialize libcurl");
			return NULL;
		}
		global_done = 1;
	}
	h = xcalloc(1, sizeof(*h));
	h->o = *o;
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h);
		snprintf(err, errlen, "cannot initialize libcurl");
		return NULL;
	}
	return h;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	curl_multi_cleanup(h->multi);
	free(h);
}

void http_resp_init(struct http_resp *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->head);
	buf_init(&r->body);
}

void http_resp_release(struct http_resp *r)
{
	buf_release(&r->head);
	buf_release(&r->body);
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct http_resp *r = ctx;

	buf_add(&r->body, p, size * n);
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct http_resp *r = ctx;
	size_t len = size * n;

	if (len >= 5 && !memcmp(p, "HTTP/", 5))
		buf_reset(&r->head);
	buf_add(&r->head, p, len);
	return len;
}

static enum http_fail fail_kind(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_FAIL_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return HTTP_FAIL_CONNECT;
	default:
		return HTTP_FAIL_OTHER;
	}
}

/* One transfer under way. */
struct xfer {
	CURL *e;
	struct curl_slist *hl;
	struct http_resp *r;
	void *tag;
	char errbuf[CURL_ERROR_SIZE];
	CURLcode res;
	struct xfer *next; /* in the finished list */
};

int http_start(struct http *h, const struct http_req *q, struct http_resp *r, void *tag)
{
	struct xfer *x = xcalloc(1, sizeof(*x));
	CURL *e = curl_easy_init();

	buf_reset(&r->head);
	buf_reset(&r->body);
	r->status = 0;
	r->bytes = 0;
	r->fail = HTTP_OK;
	r->msg[0] = '\0';
	if (!e) {
		free(x);
		r->fail = HTTP_FAIL_OTHER;
		snprintf(r->msg, sizeof(r->msg), "cannot make a request handle");
		return -1;
	}
	x->e = e;
	x->r = r;
	x->tag = tag;
	for (size_t i = 0; i < q->nheaders; i++)
		x->hl = curl_slist_append(x->hl, q->headers[i]);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_URL, q->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, h->o.no_redirects ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	if (x->hl)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hl);
	if (h->o.user_agent)
		curl_easy_setopt(e, CURLOPT_USERAGENT, h->o.user_agent);
	if (h->o.timeout_ms)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
	if (h->o.connect_timeout_ms)
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
	if (h->o.cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->o.cacert);
	if (h->o.insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (h->o.netrc)
		curl_easy_setopt(e, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	if (q->userpwd) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERPWD, q->userpwd);
	}
	if (q->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
		/* copied: the caller may reuse its body before the transfer ends */
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, q->body);
	}
	if (q->method)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
	curl_multi_add_handle(h->multi, e);
	h->running++;
	return 0;
}

/* A finished transfer's answer, and its handle released; its tag. */
static void *finish(struct http *h, struct xfer *x, int *rc)
{
	struct http_resp *r = x->r;
	curl_off_t dl = 0;
	long hsize = 0;
	void *tag = x->tag;

	curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(x->e, CURLINFO_SIZE_DOWNLOAD_T, &dl);
	curl_easy_getinfo(x->e, CURLINFO_HEADER_SIZE, &hsize);
	r->bytes = (uint64_t)dl + (uint64_t)hsize;
	curl_multi_remove_handle(h->multi, x->e);
	curl_easy_cleanup(x->e);
	curl_slist_free_all(x->hl);
	*rc = 0;
	if (x->res != CURLE_OK) {
		r->fail = fail_kind(x->res);
		snprintf(r->msg, sizeof(r->msg), "%s",
			 x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->res));
		*rc = -1;
	}
	free(x);
	h->running--;
	return tag;
}

/* Move the finished transfers to the end of the finished list; how many. */
static int collect(struct http *h)
{
	struct xfer **tail = &h->done;
	CURLMsg *m;
	int left, n = 0;

	while (*tail)
		tail = &(*tail)->next;
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct xfer *x = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		x->res = m->data.result;
		x->next = NULL;
		*tail = x;
		tail = &x->next;
		n++;
	}
	return n;
}

/* Drive the transfers, waiting up to timeout_ms for one to finish. */
static void drive(struct http *h, int timeout_ms)
{
	int still;

	curl_multi_perform(h->multi, &still);
	if (collect(h) || timeout_ms <= 0)
		return;
	curl_multi_poll(h->multi, NULL, 0, timeout_ms, NULL);
	curl_multi_perform(h->multi, &still);
	collect(h);
}

void *http_wait(struct http *h, int timeout_ms, int *rc)
{
	struct xfer *x;

	if (!h->done && h->running)
		drive(h, timeout_ms);
	x = h->done;
	if (!x)
		return NULL;
	h->done = x->next;
	return finish(h, x, rc);
}

int http_running(const struct http *h)
{
	return h->running;
}

int http_do(struct http *h, const struct http_req *q, struct http_resp *r)
{
	struct xfer **p;
	int rc = 0;

	if (http_start(h, q, r, r) < 0)
		return -1;
	for (;;) {
		/* ours may finish among others: take it out of the list, leave theirs */
		for (p = &h->done; *p; p = &(*p)->next)
			if ((*p)->r == r) {
				struct xfer *x = *p;

				*p = x->next;
				finish(h, x, &rc);
				return rc;
			}
		drive(h, 1000);
	}
}

int http_header_next(const struct http_resp *r, const char *name, size_t *pos, struct span *val)
{
	size_t nl = strlen(name);
	const char *p = r->head.p ? r->head.p + *pos : NULL;
	const char *end = r->head.p ? r->head.p + r->head.len : NULL;

	while (p && p < end) {
		const char *eol = memchr(p, '\n', end - p);
		const char *le = eol ? eol : end;

		if ((size_t)(le - p) > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
			const char *v = p + nl + 1, *ve = le;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			val->p = v;
			val->n = ve - v;
			*pos = (eol ? eol + 1 : end) - r->head.p;
			return 1;
		}
		p = eol ? eol + 1 : end;
	}
	return 0;
}

struct span http_header(const struct http_resp *r, const char *name)
{
	struct span v = {NULL, 0}, s;
	size_t pos = 0;

	while (http_header_next(r, name, &pos, &s))
		v = s;
	return v;
}

/* Does the parameter list [p, end) of one link hold rel="next" (or
 * rel=next, or next among several space-separated relations)? */
static int rel_next(const char *p, const char *end)
{
	while (p < end) {
		const char *semi = memchr(p, ';', end - p), *pe = semi ? semi : end;

		while (p < pe && (*p == ' ' || *p == '\t'))
			p++;
		if (pe - p > 4 && !strncasecmp(p, "rel", 3)) {
			const char *v = p + 3;

			while (v < pe && *v == ' ')
				v++;
			if (v < pe && *v == '=') {
				v++;
				while (v < pe && *v == ' ')
					v++;
				if (v < pe && *v == '"')
					v++;
				while (v < pe) {
					const char *w = v;

					while (w < pe && *w != ' ' && *w != '"')
						w++;
					if (w - v == 4 && !strncasecmp(v, "next", 4))
						return 1;
					if (w >= pe || *w == '"')
						break;
					v = w + 1;
				}
			}
		}
		p = semi ? semi + 1 : end;
	}
	return 0;
}

char *http_link_next(const struct http_resp *r)
{
	struct span v;
	size_t pos = 0;

	while (http_header_next(r, "Link", &pos, &v)) {
		const char *p = v.p, *end = v.p + v.n;

		/* link-value = "<" URI-Reference ">" *( ";" link-param ), comma-separated */
		while (p < end) {
			const char *lt = memchr(p, '<', end - p), *gt, *next;

			if (!lt)
				break;
			gt = memchr(lt, '>', end - lt);
			if (!gt)
				break;
			/* the parameters run to the next link's '<' after a comma */
			next = gt + 1;
			while (next < end) {
				if (*next == '"') {
					const char *q = memchr(next + 1, '"', end - next - 1);

					next = q ? q + 1 : end;
					continue;
				}
				if (*next == ',')
					break;
				next++;
			}
			if (rel_next(gt + 1, next))
				return xstrndup(lt + 1, gt - lt - 1);
			p = next < end ? next + 1 : end;
		}
	}
	return NULL;
}

double http_retry_after(const struct http_resp *r, double now)
{
	struct span v = http_header(r, "Retry-After");
	char tmp[128];
	size_t i;

	if (!v.p || v.n == 0 || v.n >= sizeof(tmp))
		return -1;
	memcpy(tmp, v.p, v.n);
	tmp[v.n] = '\0';
	for (i = 0; i < v.n && isdigit((unsigned char)tmp[i]); i++)
		;
	if (i == v.n)
		return i > 9 ? 1e9 : (double)strtol(tmp, NULL, 10);
	{
		time_t t = curl_getdate(tmp, NULL);

		if (t == (time_t)-1)
			return -1;
		return (double)t > now ? (double)t - now : 0;
	}
}

void http_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			buf_addc(b, (char)c);
		} else {
			buf_addc(b, '%');
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
}

/* The query of url rewritten: the parameters named in enames (encoded)
 * are dropped (mode 0) or get the value "***" (mode 1); with mode 0, add
 * ("name=value", encoded) takes the place of the first of them, or goes at
 * the end.  A new URL, or NULL. */
static char *edit_query(const char *url, const char *const *enames, size_t nnames, int mode,
			const char *add)
{
	CURLU *u = curl_url();
	char *q = NULL, *out = NULL;
	struct buf nq = BUF_INIT;

	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto done;
	if (curl_url_get(u, CURLUPART_QUERY, &q, 0) != CURLUE_OK)
		q = NULL;
	for (const char *p = q; p && *p;) {
		const char *amp = strchr(p, '&'), *pe = amp ? amp : p + strlen(p);
		const char *eq = memchr(p, '=', pe - p), *ne = eq ? eq : pe;
		int hit = 0;

		for (size_t i = 0; i < nnames && !hit; i++)
			hit = strlen(enames[i]) == (size_t)(ne - p) &&
			      !memcmp(enames[i], p, ne - p);
		if (!hit || mode == 1 || add) {
			if (nq.len)
				buf_addc(&nq, '&');
			if (!hit) {
				buf_add(&nq, p, pe - p);
			} else if (mode == 1) {
				buf_add(&nq, p, ne - p);
				buf_adds(&nq, "=***");
			} else {
				buf_adds(&nq, add);
				add = NULL;
			}
		}
		p = amp ? amp + 1 : pe;
	}
	if (add) {
		if (nq.len)
			buf_addc(&nq, '&');
		buf_adds(&nq, add);
	}
	if (curl_url_set(u, CURLUPART_QUERY, nq.len ? nq.p : NULL, 0) != CURLUE_OK)
		goto done;
	if (curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
		out = NULL;
done:
	if (out) {
		char *s = xstrdup(out);

		curl_free(out);
		out = s;
	}
	curl_free(q);
	curl_url_cleanup(u);
	buf_release(&nq);
	return out;
}

static char *set_or_add(const char *url, const char *name, const char *value, int replace)
{
	struct buf en = BUF_INIT, add = BUF_INIT;
	const char *names[1];
	char *r;

	http_escape(&en, name, strlen(name));
	buf_add(&add, en.p, en.len);
	buf_addc(&add, '=');
	http_escape(&add, value, strlen(value));
	names[0] = en.p;
	r = edit_query(url, names, replace ? 1 : 0, 0, add.p);
	buf_release(&en);
	buf_release(&add);
	return r;
}

char *http_url_set(const char *url, const char *name, const char *value)
{
	return set_or_add(url, name, value, 1);
}

char *http_url_add(const char *url, const char *name, const char *value)
{
	return set_or_add(url, name, value, 0);
}

char *http_url_resolve(const char *base, const char *ref)
{
	CURLU *u = curl_url();
	char *out = NULL, *r = NULL;

	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK) {
		r = xstrdup(out);
		curl_free(out);
	}
	curl_url_cleanup(u);
	return r;
}

char *http_url_redact(const char *url, const char *const *names, size_t n)
{
	char **en = xcalloc(n + 1, sizeof(*en));
	char *r;

	for (size_t i = 0; i < n; i++) {
		struct buf b = BUF_INIT;

		http_escape(&b, names[i], strlen(names[i]));
		en[i] = buf_detach(&b, NULL);
	}
	r = n ? edit_query(url, (const char *const *)en, n, 1, NULL) : NULL;
	for (size_t i = 0; i < n; i++)
		free(en[i]);
	free(en);
	return r ? r : xstrdup(url);
}
