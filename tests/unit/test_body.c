/*
 * test_body.c - unit tests of common/body.c (the records of an API body)
 * and of the header and URL helpers of common/http.c.
 *
 * What is proved: the records path finds an array's elements, a single
 * object, nothing at null or a missing path, and elements' fields with
 * [*]; records keep their bytes; NDJSON skips blank lines and gives back
 * its buffer unchanged; a fault is reported with its byte offset before any
 * record is handed out.  Link headers yield the rel="next" target among
 * others and quoted commas; Retry-After reads seconds and HTTP dates; a
 * query parameter is set in place, added at the end, and hidden.
 */
#include "body.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "unit.h"

#include "banned.h"

static void join(void *ctx, struct span rec)
{
	struct buf *b = ctx;

	if (b->len)
		buf_addc(b, '|');
	buf_add(b, rec.p, rec.n);
}

/* The records of body under spec, joined by '|', or "ERR@off: msg". */
static const char *records(const char *spec_text, const char *body, enum body_format f)
{
	static struct buf out = BUF_INIT;
	struct body_spec spec;
	struct body_err err;
	struct span root;
	const char *e;
	size_t eo;
	char *copy = strdup(body);
	long n;

	buf_reset(&out);
	if (body_spec_parse(&spec, spec_text, &e, &eo) < 0) {
		buf_printf(&out, "SPEC@%zu: %s", eo, e);
		free(copy);
		return out.p;
	}
	n = body_records(copy, strlen(copy), f, &spec, join, &out, &root, &err);
	if (n < 0) {
		CHECK(out.len == 0); /* nothing handed out before the fault */
		buf_reset(&out);
		buf_printf(&out, "ERR@%zu: %s", err.off, err.msg);
	}
	CHECK(strcmp(copy, body) == 0); /* the body is given back as it came */
	body_spec_release(&spec);
	free(copy);
	return out.p ? out.p : "";
}

static void test_body(void)
{
	CHECK_STR(records(".", "[{\"a\":1.50}, {\"b\":1e2}]", BODY_JSON),
		  "{\"a\":1.50}|{\"b\":1e2}");
	CHECK_STR(records("data.items", "{\"data\":{\"items\":[{\"x\":1}]}}", BODY_JSON),
		  "{\"x\":1}");
	CHECK_STR(records("data", "{\"data\":{\"id\":7}}", BODY_JSON), "{\"id\":7}");
	CHECK_STR(records("data", "{\"data\":null}", BODY_JSON), "");
	CHECK_STR(records("nothing", "{\"data\":[]}", BODY_JSON), "");
	CHECK_STR(
		records("data[*].attributes",
			"{\"data\":[{\"attributes\":{\"id\":1}},{\"x\":2},{\"attributes\":{\"id\":3}}]}",
			BODY_JSON),
		"{\"id\":1}|{\"id\":3}");
	CHECK_STR(records(".", "[{\"a\":1},2]", BODY_JSON), "ERR@9: a record is not an object");
	CHECK_STR(records(".", "[{\"a\":1},]", BODY_JSON), "ERR@9: expected a value");
	CHECK_STR(records("a[*]b", "{}", BODY_JSON), "SPEC@4: expected '.' after [*]");
	CHECK_STR(records(".", "{\"a\":1}\n\n{\"b\":2}\r\n", BODY_NDJSON), "{\"a\":1}|{\"b\":2}");
	CHECK_STR(records(".", "{\"a\":1}\n{\"b\":\n", BODY_NDJSON),
		  "ERR@13: unexpected end of line, expected a value");
}

static struct http_resp *resp(const char *head)
{
	static struct http_resp r;
	static int init;

	if (!init) {
		http_resp_init(&r);
		init = 1;
	}
	buf_reset(&r.head);
	buf_adds(&r.head, head);
	return &r;
}

static void test_http(void)
{
	char *s;

	s = http_link_next(resp("HTTP/1.1 200 OK\r\nLink: </a?page=1>; rel=\"first\", "
				"</a?page=3>; title=\"x, y\"; rel=\"prev next\"\r\n\r\n"));
	CHECK_STR(s, "/a?page=3");
	free(s);
	s = http_link_next(resp("HTTP/1.1 200 OK\r\nlink: <u>; rel=last\r\n\r\n"));
	CHECK(s == NULL);
	CHECK(http_retry_after(resp("HTTP/1.1 429 x\r\nRetry-After: 12\r\n\r\n"), 0) == 12);
	CHECK(http_retry_after(
		      resp("HTTP/1.1 429 x\r\nRetry-After: Thu, 01 Jan 1970 00:01:40 GMT\r\n"
			   "\r\n"),
		      40) == 60);
	CHECK(http_retry_after(resp("HTTP/1.1 429 x\r\n\r\n"), 0) == -1);

	s = http_url_set("http://h/p?a=1&page=2&b=3", "page", "3");
	CHECK_STR(s, "http://h/p?a=1&page=3&b=3");
	free(s);
	s = http_url_add("http://h/p", "q", "a b&c");
	CHECK_STR(s, "http://h/p?q=a%20b%26c");
	free(s);
	{
		const char *names[] = {"key"};

		s = http_url_redact("http://h/p?a=1&key=s3cr3t", names, 1);
		CHECK_STR(s, "http://h/p?a=1&key=***");
		free(s);
	}
	s = http_url_resolve("http://h/a/b?x=1", "../c?y=2");
	CHECK_STR(s, "http://h/c?y=2");
	free(s);
}

int main(void)
{
	test_body();
	test_http();
	return unit_done();
}
