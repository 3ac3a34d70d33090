/*
 * http.h - HTTP requests through libcurl's multi interface.
 *
 * One struct http holds the multi handle, and with it the pool of open
 * connections, so that the requests of a run reuse them (and HTTP/2 where
 * the server offers it), one at a time (http_do) or several at once
 * (http_start, http_wait).  A request is described by a struct http_req and
 * answered in a struct http_resp: the status, the header lines of the final
 * response (those of redirects are dropped) and the whole body, decoded when
 * it came gzip- or deflate-compressed.  Transport failures are returned to
 * the caller as a kind (connection, timeout, other) and libcurl's message:
 * the caller decides whether to retry and how to fail.
 *
 * The URL helpers edit a URL's query without decoding the rest of it.
 */
#ifndef ETL_HTTP_H
#define ETL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "scan.h"

struct http_opts {
	long timeout_ms;         /* whole transfer; 0: none */
	long connect_timeout_ms; /* 0: libcurl's default */
	const char *cacert;      /* CA bundle file, or NULL */
	int insecure;            /* no TLS verification */
	int netrc;               /* credentials from ~/.netrc when there are some */
	int no_redirects;        /* a 3xx is the answer, not followed */
	const char *user_agent;
};

struct http_req {
	const char *method; /* NULL: GET, or POST when there is a body */
	const char *url;
	const char *const *headers; /* "Name: value" */
	size_t nheaders;
	const char *body; /* NULL: none */
	size_t body_len;
	const char *userpwd; /* "user:password" for basic auth, or NULL */
};

enum http_fail {
	HTTP_OK = 0,
	HTTP_FAIL_CONNECT, /* could not connect, or the connection broke */
	HTTP_FAIL_TIMEOUT,
	HTTP_FAIL_OTHER, /* TLS, a malformed response, too many redirects... */
};

struct http_resp {
	long status;
	struct buf head; /* the final response's header lines */
	struct buf body; /* decoded; body.p[body.len] == '\0' */
	uint64_t bytes;  /* bytes received (headers and body, as sent) */
	enum http_fail fail;
	char msg[256]; /* libcurl's message when fail != HTTP_OK */
};

/* NULL with a message in err when libcurl cannot be set up. */
struct http *http_new(const struct http_opts *o, char *err, size_t errlen);
void http_free(struct http *h);

void http_resp_init(struct http_resp *r);
void http_resp_release(struct http_resp *r);

/* Make the request and wait for its answer.  Returns 0 when a response
 * came (whatever its status), or -1 with r->fail and r->msg set. */
int http_do(struct http *h, const struct http_req *q, struct http_resp *r);

/* Concurrent requests: start several (each answered in its own r, which
 * must stay in place until handed back), then wait for any to finish.
 * http_start() returns 0, or -1 with r->fail and r->msg set when the
 * request cannot start.  http_wait() waits up to timeout_ms and returns the
 * tag of a finished request, *rc being what http_do() would return, or
 * NULL when none finished in time (or none is running).  http_do() may run
 * among started requests: theirs are kept for http_wait(). */
int http_start(struct http *h, const struct http_req *q, struct http_resp *r, void *tag);
void *http_wait(struct http *h, int timeout_ms, int *rc);
/* Requests started and not yet handed back. */
int http_running(const struct http *h);

/* The value of the response's header name (case-insensitive), without the
 * white space around it; with several, the one after *pos (start with
 * *pos = 0).  Returns 0 when there is no (further) such header. */
int http_header_next(const struct http_resp *r, const char *name, size_t *pos, struct span *val);
/* The last value of header name, or an empty span. */
struct span http_header(const struct http_resp *r, const char *name);

/* The target of the rel="next" link of RFC 8288 Link header values, as a
 * new string, or NULL. */
char *http_link_next(const struct http_resp *r);
/* Retry-After in seconds (delta-seconds, or an HTTP date compared with
 * now, a Unix time), or -1 when absent or unreadable. */
double http_retry_after(const struct http_resp *r, double now);

/* url with the query parameter name set to value (both encoded here): in
 * the place of the first parameter of that name (the others go), or at the
 * end.  A new string, or NULL when url
 * is not a URL libcurl accepts. */
char *http_url_set(const char *url, const char *name, const char *value);
/* url with "name=value" appended to its query, name and value encoded. */
char *http_url_add(const char *url, const char *name, const char *value);
/* ref (absolute, or relative to base) as an absolute URL, or NULL. */
char *http_url_resolve(const char *base, const char *ref);
/* url with the values of the parameters in names[0..n) replaced by "***",
 * for messages; a new string (url itself when it cannot be parsed). */
char *http_url_redact(const char *url, const char *const *names, size_t n);
/* "a b&c" percent-encoded for a query or a form body, appended to b. */
void http_escape(struct buf *b, const char *s, size_t n);

#endif
