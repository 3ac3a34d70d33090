/*
 * etl-fetch-api - the records of a paginated REST API as NDJSON.
 *
 * The run is a loop over pages: make the request (waiting for the rate
 * limit, retrying what may succeed later), hand the body to body_records(),
 * write each record as it is found, then work out the next page's request
 * from the body or the headers, or stop.  Memory is one page's body.
 * With --for-each, each input record makes one request instead, up to
 * --parallel of them at once over libcurl's multi interface (for_each()).
 *
 * Invariants:
 * - a page is written whole or not at all: body_records() validates a JSON
 *   body before the first record, and a retried request never wrote anything;
 * - every request, retries and token requests included, passes the rate
 *   limit first; the server's own limits (Retry-After, X-RateLimit-*,
 *   RateLimit) can only make the wait longer;
 * - a request (its URL and body) is never made twice in one run: a next
 *   link that leads back is an error, not an endless loop;
 * - secrets (the values of --bearer-env, --basic-env, --header-env,
 *   --query-env, the client secret and the OAuth2 token) are sent, never
 *   printed: URLs in messages show the --query-env parameters as "***", and
 *   headers are never printed.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bad.h"
#include "body.h"
#include "buf.h"
#include "cli.h"
#include "die.h"
#include "hash.h"
#include "http.h"
#include "jsonw.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "scan.h"
#include "stats.h"
#include "pg.h"
#include "timefmt.h"
#include "utf8.h"
#include "wmark.h"
#include "banned.h"

enum {
	OPT_METHOD = 1,
	OPT_HEADER,
	OPT_DATA,
	OPT_QUERY,
	OPT_TIMEOUT,
	OPT_CONNECT_TIMEOUT,
	OPT_CACERT,
	OPT_INSECURE,
	OPT_RECORDS,
	OPT_FORMAT,
	OPT_META,
	OPT_PAGINATE,
	OPT_TOTAL_PATH,
	OPT_STOP_WHEN,
	OPT_MAX_PAGES,
	OPT_RETRIES,
	OPT_RETRY_MAX_TIME,
	OPT_IGNORE_STATUS,
	OPT_RATE,
	OPT_MAX_WAIT,
	OPT_BEARER_ENV,
	OPT_BASIC_ENV,
	OPT_HEADER_ENV,
	OPT_QUERY_ENV,
	OPT_NETRC,
	OPT_TOKEN_URL,
	OPT_CLIENT_ID_ENV,
	OPT_CLIENT_SECRET_ENV,
	OPT_SCOPE,
	OPT_OAUTH2_AUTH,
	OPT_SINCE,
	OPT_SINCE_PARAM,
	OPT_STATE_KEY,
	OPT_CURSOR_FIELD,
	OPT_SINCE_LAG,
	OPT_STATE_TABLE,
	OPT_DB,
	OPT_FOR_EACH,
	OPT_PARALLEL,
	OPT_UNORDERED,
	OPT_INTO,
};

static const struct cli_opt opts[] = {
	{OPT_METHOD, "request", 'X', CLI_ARG, "METHOD",
	 "the HTTP method (default: GET, POST with --data)"},
	{OPT_HEADER, "header", 'H', CLI_ARG, "'NAME: VALUE'", "send this header (repeatable)"},
	{OPT_DATA, "data", 0, CLI_ARG, "BODY|@FILE", "send this request body"},
	{OPT_QUERY, "query", 0, CLI_ARG, "NAME=VALUE",
	 "add a query parameter, encoded (repeatable)"},
	{OPT_TIMEOUT, "timeout", 0, CLI_ARG, "DURATION",
	 "give up on a request after this (default: 60s)"},
	{OPT_CONNECT_TIMEOUT, "connect-timeout", 0, CLI_ARG, "DURATION",
	 "give up connecting after this (default: 10s)"},
	{OPT_CACERT, "cacert", 0, CLI_ARG, "FILE", "trust the certificate authorities in FILE"},
	{OPT_INSECURE, "insecure", 0, CLI_NOARG, NULL, "do not verify the server's certificate"},
	{OPT_RECORDS, "records", 0, CLI_ARG, "PATH",
	 "where the records are in a body: data.items, ., data[*].attributes"},
	{OPT_FORMAT, "format", 0, CLI_ARG, "json|ndjson",
	 "the format of the bodies (default: json)"},
	{OPT_META, "meta", 0, CLI_ARG, "FIELD=PATH",
	 "add the body's value at PATH to each record as FIELD (repeatable)"},
	{OPT_PAGINATE, "paginate", 0, CLI_ARG, "STYLE",
	 "follow the pages: link, next-url:, cursor:, cursor-body:, header-cursor:, page:, offset:"},
	{OPT_TOTAL_PATH, "total-path", 0, CLI_ARG, "PATH",
	 "stop when the records number the body's value at PATH"},
	{OPT_STOP_WHEN, "stop-when", 0, CLI_ARG, "PATH=VALUE",
	 "stop after a page whose value at PATH is VALUE (has_more=false)"},
	{OPT_MAX_PAGES, "max-pages", 0, CLI_ARG, "N", "stop after N pages"},
	{OPT_RETRIES, "retries", 0, CLI_ARG, "N",
	 "retry a failed request up to N times (default: 5)"},
	{OPT_RETRY_MAX_TIME, "retry-max-time", 0, CLI_ARG, "DURATION",
	 "give up when the waits between retries would add up to more"},
	{OPT_IGNORE_STATUS, "ignore-status", 0, CLI_ARG, "CODES",
	 "take a response with these statuses as an empty page (404,410)"},
	{OPT_RATE, "rate", 0, CLI_ARG, "N/s|N/min", "make at most N requests a second (minute)"},
	{OPT_MAX_WAIT, "max-wait", 0, CLI_ARG, "DURATION",
	 "fail rather than wait longer than this at once (default: 5m)"},
	{OPT_BEARER_ENV, "bearer-env", 0, CLI_ARG, "VAR", "send 'Authorization: Bearer $VAR'"},
	{OPT_BASIC_ENV, "basic-env", 0, CLI_ARG, "VAR",
	 "basic authentication with $VAR (user:password)"},
	{OPT_HEADER_ENV, "header-env", 0, CLI_ARG, "NAME=VAR",
	 "send the header NAME: $VAR (repeatable)"},
	{OPT_QUERY_ENV, "query-env", 0, CLI_ARG, "NAME=VAR",
	 "add the query parameter NAME=$VAR (repeatable)"},
	{OPT_NETRC, "netrc", 0, CLI_NOARG, NULL, "take the credentials for the host from ~/.netrc"},
	{OPT_TOKEN_URL, "oauth2-token-url", 0, CLI_ARG, "URL",
	 "OAuth2 client credentials: get a token from URL"},
	{OPT_CLIENT_ID_ENV, "client-id-env", 0, CLI_ARG, "VAR", "OAuth2: the client id is $VAR"},
	{OPT_CLIENT_SECRET_ENV, "client-secret-env", 0, CLI_ARG, "VAR",
	 "OAuth2: the client secret is $VAR"},
	{OPT_SCOPE, "scope", 0, CLI_ARG, "SCOPE", "OAuth2: ask for this scope"},
	{OPT_OAUTH2_AUTH, "oauth2-auth", 0, CLI_ARG, "basic|post",
	 "OAuth2: send the client credentials in a basic header or in the body (default: basic)"},
	{OPT_SINCE, "since", 0, CLI_ARG, "VALUE", "incremental: send VALUE as --since-param"},
	{OPT_SINCE_PARAM, "since-param", 0, CLI_ARG, "PARAM",
	 "the query parameter that takes the watermark"},
	{OPT_STATE_KEY, "state-key", 0, CLI_ARG, "NAME",
	 "the watermark is the state NAME; set to the greatest --cursor-field after the run"},
	{OPT_CURSOR_FIELD, "cursor-field", 0, CLI_ARG, "FIELD",
	 "the records' field the watermark follows"},
	{OPT_SINCE_LAG, "since-lag", 0, CLI_ARG, "DURATION",
	 "send the stored watermark minus DURATION, to read a margin again"},
	{OPT_STATE_TABLE, "state-table", 0, CLI_ARG, "[SCHEMA.]TABLE",
	 "the state table (default: etl_state)"},
	{OPT_DB, "db", 'd', CLI_ARG, "CONNINFO",
	 "libpq connection string or URI of the state table (default: PG* environment)"},
	{OPT_FOR_EACH, "for-each", 0, CLI_NOARG, NULL,
	 "one request per NDJSON record of the input, the URL, --query and --data templates"},
	{OPT_PARALLEL, "parallel", 0, CLI_ARG, "N", "with --for-each: up to N requests at once"},
	{OPT_UNORDERED, "unordered", 0, CLI_NOARG, NULL,
	 "with --for-each: write the output as it comes, not in input order"},
	{OPT_INTO, "into", 0, CLI_ARG, "FIELD",
	 "with --for-each: the input record, with the response's records as FIELD"},
	{0, NULL, 0, 0, NULL, NULL},
};

enum pg_style {
	PG_NONE,
	PG_LINK,
	PG_NEXT_URL,
	PG_CURSOR,
	PG_CURSOR_BODY,
	PG_HEADER,
	PG_PAGE,
	PG_OFFSET
};

struct meta {
	char *field;
	struct path path;
};

struct env_pair {
	char *name, *var;
	char *value; /* the header line made of them */
};

static const char *method, *data_arg, *cacert, *records_arg, *format_arg = "json";
static const char *total_arg, *bearer_env, *basic_env, *token_url, *client_id_env;
static const char *client_secret_env, *scope, *oauth2_auth = "basic";
static const char *since, *since_param, *state_key, *state_table = "etl_state", *db;
static struct path cursor_field;
static int cursor_field_set;
static int64_t since_lag_us = -1;
static int for_each_mode, unordered;
static size_t parallel = 1;
static int parallel_set;
static const char *into;
static char *basic_up; /* --basic-env's user:password */
static char **headers;
static size_t nheaders;
static char **hidden; /* -H arguments that hold a secret, in argv */
static size_t nhidden;
static char **queries; /* "name=value", as given */
static size_t nqueries;
static struct env_pair *header_envs, *query_envs;
static size_t nheader_envs, nquery_envs;
static struct meta *metas;
static size_t nmetas;
static int insecure, use_netrc;
static long timeout_ms = 60000, connect_timeout_ms = 10000;
static unsigned long long max_pages, retries = 5;
static double retry_max_time, max_wait = 300, rate_interval;
static long ignore_status[16];
static size_t nignore;

/* pagination */
static enum pg_style style;
static char *pg_param, *pg_size_param, *pg_source; /* source: a header */
/* The cursor's (or next URL's) place in the body: pg_path, or with "[-1]",
 * pg_path_post inside the last element of the array at pg_path. */
static struct path pg_path, pg_path_post;
static int pg_last;
static unsigned long long pg_size, pg_start = 1;
static int pg_size_given;
static struct path total_path, stop_path;
static char *stop_value;

static void parse_path(const char *opt, const char *arg, size_t at, struct path *p)
{
	cli_path(opt, arg, at, 1, p);
}

/* PATH or PATH[-1].PATH (the last element of an array), from arg + at. */
static void parse_cursor_path(const char *arg, size_t at)
{
	const char *last = strstr(arg + at, "[-1]");
	char *pre;

	if (!last) {
		parse_path(cli_optname, arg, at, &pg_path);
		return;
	}
	if (last[4] != '.' || last == arg + at)
		cli_usage_error(cli_optname, "'%s': expected PATH[-1].PATH", arg);
	pre = xstrndup(arg, last - arg);
	parse_path(cli_optname, pre, at, &pg_path);
	free(pre);
	parse_path(cli_optname, arg, last + 5 - arg, &pg_path_post);
	pg_last = 1;
}

static void env_pair(const char *arg, struct env_pair **v, size_t *n)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || !eq[1])
		cli_usage_error(cli_optname, "expected NAME=VAR, got '%s'", arg);
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n].name = xstrndup(arg, eq - arg);
	(*v)[*n].var = xstrdup(eq + 1);
	(*v)[*n].value = NULL;
	(*n)++;
}

static void add_str(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

/* page:PARAM[,size=N,size-param=P,start=N] and offset:PARAM,limit=N[,limit-param=P] */
static void parse_numbered(const char *arg, const char *rest, int offset)
{
	char **v = cli_split(rest, NULL);

	if (!v[0] || !v[0][0])
		cli_usage_error(cli_optname, "'%s': expected a parameter name", arg);
	pg_param = xstrdup(v[0]);
	for (char **p = v + 1; *p; p++) {
		const char *eq = strchr(*p, '=');
		size_t kl = eq ? (size_t)(eq - *p) : strlen(*p);

		if (!eq)
			cli_usage_error(cli_optname, "'%s': expected KEY=VALUE, got '%s'", arg, *p);
		if (kl == 4 && !strncmp(*p, "size", 4) && !offset) {
			pg_size = cli_uint(cli_optname, eq + 1, 1, 1000000000);
			pg_size_given = 1;
		} else if (kl == 5 && !strncmp(*p, "limit", 5) && offset) {
			pg_size = cli_uint(cli_optname, eq + 1, 1, 1000000000);
			pg_size_given = 1;
		} else if (kl == 10 && !strncmp(*p, "size-param", 10) && !offset) {
			free(pg_size_param);
			pg_size_param = xstrdup(eq + 1);
		} else if (kl == 11 && !strncmp(*p, "limit-param", 11) && offset) {
			free(pg_size_param);
			pg_size_param = xstrdup(eq + 1);
		} else if (kl == 5 && !strncmp(*p, "start", 5) && !offset) {
			pg_start = cli_uint(cli_optname, eq + 1, 0, 1000000000);
		} else {
			cli_usage_error(cli_optname, "'%s': unknown setting '%.*s'", arg, (int)kl,
					*p);
		}
	}
	cli_split_free(v);
	if (offset && !pg_size_given)
		cli_usage_error(cli_optname, "'%s': offset needs limit=N", arg);
	if (offset && !pg_size_param)
		pg_size_param = xstrdup("limit");
	if (!offset && pg_size_param && !pg_size_given)
		cli_usage_error(cli_optname, "'%s': size-param needs size=N", arg);
}

static void parse_paginate(const char *arg)
{
	const char *colon = strchr(arg, ':');
	size_t kl = colon ? (size_t)(colon - arg) : strlen(arg);
	const char *rest = colon ? colon + 1 : NULL;

	if (style != PG_NONE)
		cli_usage_error(cli_optname, "given twice");
	if (kl == 4 && !strncmp(arg, "link", 4) && !colon) {
		style = PG_LINK;
	} else if (kl == 8 && !strncmp(arg, "next-url", 8) && rest) {
		style = PG_NEXT_URL;
		parse_cursor_path(arg, rest - arg);
	} else if (((kl == 6 && !strncmp(arg, "cursor", 6)) ||
		    (kl == 11 && !strncmp(arg, "cursor-body", 11)) ||
		    (kl == 13 && !strncmp(arg, "header-cursor", 13))) &&
		   rest) {
		const char *eq = strchr(rest, '=');

		if (!eq || eq == rest || !eq[1])
			cli_usage_error(cli_optname, "'%s': expected %.*s:PARAM=%s", arg, (int)kl,
					arg, kl == 13 ? "HEADER" : "PATH");
		pg_param = xstrndup(rest, eq - rest);
		style = kl == 6 ? PG_CURSOR : kl == 11 ? PG_CURSOR_BODY : PG_HEADER;
		if (style == PG_HEADER)
			pg_source = xstrdup(eq + 1);
		else
			parse_cursor_path(arg, eq + 1 - arg);
	} else if (kl == 4 && !strncmp(arg, "page", 4) && rest) {
		style = PG_PAGE;
		parse_numbered(arg, rest, 0);
	} else if (kl == 6 && !strncmp(arg, "offset", 6) && rest) {
		style = PG_OFFSET;
		parse_numbered(arg, rest, 1);
	} else {
		cli_usage_error(cli_optname,
				"expected link, next-url:PATH, cursor:PARAM=PATH, "
				"cursor-body:PARAM=PATH, header-cursor:PARAM=HEADER, page:PARAM or "
				"offset:PARAM,limit=N, got '%s'",
				arg);
	}
}

/* Does a header of this name carry a secret? */
static int secret_header(const char *name, size_t n)
{
	static const char *const words[] = {"auth", "cookie", "key", "token", "secret", "password"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t wl = strlen(words[i]);

		for (size_t j = 0; j + wl <= n; j++)
			if (!strncasecmp(name + j, words[i], wl))
				return 1;
	}
	return 0;
}

/* The arguments of -H that carry a secret lose the header's value: the
 * headers were copied, and --stats (or ps) shows the argument as "***". */
static void hide_secret_args(void)
{
	for (size_t k = 0; k < nhidden; k++) {
		char *v = strchr(hidden[k], ':') + 1;
		size_t vl = strlen(v);

		if (vl >= 4)
			memcpy(v, " ***", 5);
		else
			memset(v, '*', vl);
	}
}

static double rate_arg(const char *arg)
{
	const char *slash = strchr(arg, '/');
	struct buf n = BUF_INIT;
	unsigned long long v;
	double per;

	if (!slash)
		cli_usage_error(cli_optname, "expected N/s or N/min, got '%s'", arg);
	if (!strcmp(slash, "/s"))
		per = 1;
	else if (!strcmp(slash, "/min"))
		per = 60;
	else if (!strcmp(slash, "/h"))
		per = 3600;
	else
		cli_usage_error(cli_optname, "expected N/s or N/min, got '%s'", arg);
	buf_add(&n, arg, slash - arg);
	v = cli_uint(cli_optname, n.p, 1, 1000000);
	buf_release(&n);
	return per / (double)v;
}

static void on_opt(int id, const char *arg)
{
	const char *eq;

	switch (id) {
	case OPT_METHOD:
		if (!*arg || strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(arg))
			cli_usage_error(cli_optname,
					"expected a method in capitals (GET, POST), got '%s'", arg);
		method = arg;
		break;
	case OPT_HEADER:
		eq = strchr(arg, ':');
		if (!eq || eq == arg || strchr(arg, '\n') || strchr(arg, '\r'))
			cli_usage_error(cli_optname, "expected 'NAME: VALUE', got '%s'", arg);
		add_str(&headers, &nheaders, arg);
		if (secret_header(arg, eq - arg)) {
			hidden = xrealloc(hidden, (nhidden + 1) * sizeof(*hidden));
			hidden[nhidden++] = (char *)arg;
		}
		break;
	case OPT_DATA:
		data_arg = arg;
		break;
	case OPT_QUERY:
		eq = strchr(arg, '=');
		if (!eq || eq == arg)
			cli_usage_error(cli_optname, "expected NAME=VALUE, got '%s'", arg);
		add_str(&queries, &nqueries, arg);
		break;
	case OPT_TIMEOUT:
		timeout_ms = (long)(cli_duration(cli_optname, arg, 1000) / 1000);
		break;
	case OPT_CONNECT_TIMEOUT:
		connect_timeout_ms = (long)(cli_duration(cli_optname, arg, 1000) / 1000);
		break;
	case OPT_CACERT:
		cacert = arg;
		break;
	case OPT_INSECURE:
		insecure = 1;
		break;
	case OPT_RECORDS:
		records_arg = arg;
		break;
	case OPT_FORMAT:
		if (strcmp(arg, "json") && strcmp(arg, "ndjson"))
			cli_usage_error(cli_optname, "expected json or ndjson, got '%s'", arg);
		format_arg = arg;
		break;
	case OPT_META:
		eq = strchr(arg, '=');
		if (!eq || eq == arg)
			cli_usage_error(cli_optname, "expected FIELD=PATH, got '%s'", arg);
		metas = xrealloc(metas, (nmetas + 1) * sizeof(*metas));
		metas[nmetas].field = xstrndup(arg, eq - arg);
		parse_path(cli_optname, arg, eq + 1 - arg, &metas[nmetas].path);
		nmetas++;
		break;
	case OPT_PAGINATE:
		parse_paginate(arg);
		break;
	case OPT_TOTAL_PATH:
		if (total_arg)
			path_release(&total_path);
		total_arg = arg;
		parse_path(cli_optname, arg, 0, &total_path);
		break;
	case OPT_STOP_WHEN:
		eq = strchr(arg, '=');
		if (!eq || eq == arg)
			cli_usage_error(cli_optname, "expected PATH=VALUE, got '%s'", arg);
		if (stop_value) {
			path_release(&stop_path);
			free(stop_value);
		}
		{
			size_t n = cli_path(cli_optname, arg, 0, 0, &stop_path);

			if (arg[n] != '=')
				cli_usage_error(cli_optname, "expected PATH=VALUE, got '%s'", arg);
			stop_value = xstrdup(arg + n + 1);
		}
		break;
	case OPT_MAX_PAGES:
		max_pages = cli_uint(cli_optname, arg, 1, UINT64_MAX);
		break;
	case OPT_RETRIES:
		retries = cli_uint(cli_optname, arg, 0, 100);
		break;
	case OPT_RETRY_MAX_TIME:
		retry_max_time = cli_duration(cli_optname, arg, 1) / 1e6;
		break;
	case OPT_IGNORE_STATUS: {
		char **v = cli_split(arg, NULL);

		for (char **p = v; *p; p++) {
			if (nignore == sizeof(ignore_status) / sizeof(ignore_status[0]))
				cli_usage_error(cli_optname, "too many statuses");
			ignore_status[nignore++] = (long)cli_uint(cli_optname, *p, 100, 599);
		}
		cli_split_free(v);
		break;
	}
	case OPT_RATE:
		rate_interval = rate_arg(arg);
		break;
	case OPT_MAX_WAIT:
		max_wait = cli_duration(cli_optname, arg, 0) / 1e6;
		break;
	case OPT_BEARER_ENV:
		bearer_env = arg;
		break;
	case OPT_BASIC_ENV:
		basic_env = arg;
		break;
	case OPT_HEADER_ENV:
		env_pair(arg, &header_envs, &nheader_envs);
		break;
	case OPT_QUERY_ENV:
		env_pair(arg, &query_envs, &nquery_envs);
		break;
	case OPT_NETRC:
		use_netrc = 1;
		break;
	case OPT_TOKEN_URL:
		token_url = arg;
		break;
	case OPT_CLIENT_ID_ENV:
		client_id_env = arg;
		break;
	case OPT_CLIENT_SECRET_ENV:
		client_secret_env = arg;
		break;
	case OPT_SCOPE:
		scope = arg;
		break;
	case OPT_SINCE:
		since = arg;
		break;
	case OPT_SINCE_PARAM:
		if (!*arg)
			cli_usage_error(cli_optname, "expected a parameter name");
		since_param = arg;
		break;
	case OPT_STATE_KEY:
		if (!*arg)
			cli_usage_error(cli_optname, "expected a name");
		state_key = arg;
		break;
	case OPT_CURSOR_FIELD:
		if (cursor_field_set)
			path_release(&cursor_field);
		parse_path(cli_optname, arg, 0, &cursor_field);
		cursor_field_set = 1;
		break;
	case OPT_SINCE_LAG:
		since_lag_us = cli_duration(cli_optname, arg, 0);
		break;
	case OPT_STATE_TABLE:
		state_table = arg;
		break;
	case OPT_DB:
		db = arg;
		break;
	case OPT_FOR_EACH:
		for_each_mode = 1;
		break;
	case OPT_PARALLEL:
		parallel = (size_t)cli_uint(cli_optname, arg, 1, 1000);
		parallel_set = 1;
		break;
	case OPT_UNORDERED:
		unordered = 1;
		break;
	case OPT_INTO:
		if (!*arg)
			cli_usage_error(cli_optname, "expected a field name");
		into = arg;
		break;
	case OPT_OAUTH2_AUTH:
		if (strcmp(arg, "basic") && strcmp(arg, "post"))
			cli_usage_error(cli_optname, "expected basic or post, got '%s'", arg);
		oauth2_auth = arg;
		break;
	}
}

static const struct cli_prog prog = {
	"etl-fetch-api",
	"URL [OPTIONS]",
	"Fetch the records of a paginated REST API as NDJSON.",
	opts,
	CLI_NO_INPUT,
	on_opt,
};

/* ---- the run's state ---- */

static struct http *http;
static enum body_format format;
static struct body_spec spec;
static struct buf line, hdrbuf, bearer;
static struct span page_root;
static uint64_t records_seen, pages;
static const char **hv;     /* the headers of each request */
static char **secret_names; /* the --query-env parameter names, for redaction */
static struct hash128 *seen;
static size_t seen_cap, seen_n;

/* Counters for --stats. */
static struct {
	uint64_t requests, bytes, waits, token_requests;
	double wait_seconds;
	uint64_t retry_connect, retry_timeout, retry_status[600];
} hs;

/* OAuth2 */
static char *token;
static double token_expiry;
static const char *client_id, *client_secret;

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pause_for(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *env_secret(const char *opt, const char *var)
{
	const char *v = getenv(var);

	if (!v || !*v)
		etl_die(ETL_EXIT_USAGE, opt, "the environment variable %s is not set", var);
	return v;
}

/* The URL as messages show it: the --query-env values hidden. */
static char *shown(const char *url)
{
	return http_url_redact(url, (const char *const *)secret_names, nquery_envs);
}

static ETL_NORETURN ETL_PRINTF(3, 4) void die_url(int status, const char *url, const char *fmt, ...)
{
	char *s = shown(url);
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

static double next_slot; /* monotonic time before which no request may start */

/* The server's limits push the next slot back (never forward). */
static void hold_until(double t)
{
	if (t > next_slot)
		next_slot = t;
}

/* Wait for the slot of the request to url, and take it. */
static void rate_wait(const char *url)
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

/* The server's limits: when none is left, no request before the reset. */
static void server_limits(const struct http_resp *r)
{
	struct span rem = http_header(r, "X-RateLimit-Remaining");
	double left = span_num(rem), reset;

	if (left == 0) {
		reset = span_num(http_header(r, "X-RateLimit-Reset"));
		/* a Unix time (GitHub) or seconds from now */
		if (reset > 1e9)
			reset -= wall();
		if (reset > 0)
			hold_until(mono() + reset);
		return;
	}
	rem = http_header(r, "RateLimit");
	if (rem.p) {
		left = rl_field(rem, "remaining");
		if (left < 0)
			left = rl_field(rem, "r");
		reset = rl_field(rem, "reset");
		if (reset < 0)
			reset = rl_field(rem, "t");
		if (left == 0 && reset > 0)
			hold_until(mono() + reset);
	}
}

/* ---- requests ---- */

/* Redraw the progress line, when it is shown, at most five times a second. */
static void progress_now(void)
{
	if (progress_countdown)
		progress_update();
}

static void oauth_token(int force);
static int token_stale(void);

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

/* The state of one request's attempts. */
struct attempt {
	unsigned n;    /* retries made */
	double waited; /* the pauses so far */
	int refreshed; /* a new token was fetched after a 401 */
};

enum verdict {
	V_OK,      /* a 2xx response */
	V_IGNORED, /* a status of --ignore-status */
	V_RETRY,   /* retry after *wait seconds */
	V_REFRESH, /* get a new token, then retry at once */
	V_REFUSED, /* for good: status 69, or a bad record in --for-each */
	V_GIVEUP,  /* retries ran out: status 75 */
};

/* What an answer (rc as http_do() returns it) calls for.  For V_RETRY,
 * *wait is the pause and the retry is counted; for V_REFUSED and
 * V_GIVEUP, m holds the message. */
static enum verdict judge(int rc, const struct http_resp *r, struct attempt *a, int token_req,
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
static void auth_headers(struct http_req *q, const char **hl, const char *const *base, size_t nbase,
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
static int fetch(const struct http_req *q0, struct http_resp *r, int token_req)
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

static int token_stale(void)
{
	return !token || (token_expiry != 0 && mono() >= token_expiry);
}

static void oauth_token(int force)
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

static struct wmark wm_max, wm_cur; /* the greatest --cursor-field, the record's */

/* Write a record (with --for-each: append its line to the buf ctx). */
static void write_record(void *ctx, struct span rec)
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

/* ---- pagination ---- */

/* Has this request (URL and body) been made before in this run? */
static int seen_before(const char *url, const char *body, size_t blen)
{
	struct buf k = BUF_INIT;
	struct hash128 h;
	size_t i;

	buf_adds(&k, url);
	buf_addc(&k, '\0');
	if (body)
		buf_add(&k, body, blen);
	h = hash_bytes(k.p, k.len);
	buf_release(&k);
	if (2 * (seen_n + 1) > seen_cap) {
		struct hash128 *old = seen;
		size_t oc = seen_cap;

		seen_cap = seen_cap ? 2 * seen_cap : 64;
		seen = xcalloc(seen_cap, sizeof(*seen));
		for (size_t j = 0; j < oc; j++) {
			if (!old[j].lo && !old[j].hi)
				continue;
			for (i = old[j].lo & (seen_cap - 1); seen[i].lo || seen[i].hi;
			     i = (i + 1) & (seen_cap - 1))
				;
			seen[i] = old[j];
		}
		free(old);
	}
	for (i = h.lo & (seen_cap - 1); seen[i].lo || seen[i].hi; i = (i + 1) & (seen_cap - 1))
		if (hash_eq(seen[i], h))
			return 1;
	seen[i] = h;
	seen_n++;
	return 0;
}

/* The cursor's value in the page's body. */
static struct span cursor_value(void)
{
	struct span v = scan_lookup(page_root, &pg_path), k, el, lastel = {NULL, 0};
	struct scan_iter it;

	if (!pg_last)
		return v;
	if (scan_kind(v) != SCAN_ARRAY)
		return (struct span){NULL, 0};
	scan_iter_init(&it, v);
	while (scan_iter_next(&it, &k, &el))
		lastel = el;
	return lastel.p ? scan_lookup(lastel, &pg_path_post) : lastel;
}

/* The text of a cursor value: a string decoded, a number as written; NULL
 * when there is none (missing, null, false, "", an object...). */
static char *cursor_text(struct span v)
{
	struct buf b = BUF_INIT;

	switch (scan_kind(v)) {
	case SCAN_STRING:
		scan_string(&b, v);
		if (!b.len) {
			buf_release(&b);
			return NULL;
		}
		return buf_detach(&b, NULL);
	case SCAN_NUMBER:
		return xstrndup(v.p, v.n);
	default:
		return NULL;
	}
}

/* The --data body with "param": cursor set (cursor-body:). */
static char *body_with_cursor(const char *base, size_t blen, struct span cur, size_t *outlen)
{
	struct buf b = BUF_INIT;
	struct scan_iter it;
	struct span k, v;

	buf_addc(&b, '{');
	if (base) {
		scan_iter_init(&it, scan_trim((struct span){base, blen}));
		while (scan_iter_next(&it, &k, &v)) {
			if (scan_key_eq(k, pg_param, strlen(pg_param)))
				continue;
			if (b.len > 1)
				buf_addc(&b, ',');
			buf_addc(&b, '"');
			buf_add(&b, k.p, k.n);
			buf_adds(&b, "\":");
			jw_compact(&b, v.p, v.n);
		}
	}
	if (b.len > 1)
		buf_addc(&b, ',');
	jw_string(&b, pg_param, strlen(pg_param));
	buf_addc(&b, ':');
	jw_compact(&b, cur.p, cur.n);
	buf_addc(&b, '}');
	return buf_detach(&b, outlen);
}

static int stop_matches(void)
{
	struct span v = scan_lookup(page_root, &stop_path);
	struct buf a = BUF_INIT, e = BUF_INIT;
	struct scan_err se;
	int r;

	if (!v.p)
		return 0;
	jw_compact(&a, v.p, v.n);
	if (scan_value(stop_value, strlen(stop_value), &se) == 0)
		jw_compact(&e, stop_value, strlen(stop_value));
	else
		jw_string(&e, stop_value, strlen(stop_value));
	r = a.len == e.len && !memcmp(a.p, e.p, a.len);
	buf_release(&a);
	buf_release(&e);
	return r;
}

static char *with_param(const char *url, const char *name, const char *value)
{
	char *u = http_url_set(url, name, value);

	if (!u)
		die_url(ETL_EXIT_USAGE, url, "not a URL");
	return u;
}

static char *with_number(const char *url, const char *name, unsigned long long v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%llu", v);
	return with_param(url, name, tmp);
}

static char *read_data(const char *arg, size_t *len)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	FILE *f;

	if (arg[0] != '@') {
		buf_adds(&b, arg);
		return buf_detach(&b, len);
	}
	f = fopen(arg + 1, "r");
	if (!f)
		etl_die(ETL_EXIT_IOERR, arg + 1, "cannot open: %s", strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(f))
		etl_die(ETL_EXIT_IOERR, arg + 1, "read error: %s", strerror(errno));
	fclose(f);
	return buf_detach(&b, len);
}

static double t_start;

static void progress_fields(struct buf *b)
{
	double el = mono() - t_start;

	buf_printf(b, ", %llu pages, %llu requests, %.1f req/s, waited %.1fs",
		   (unsigned long long)pages, (unsigned long long)hs.requests,
		   el > 0 ? (double)hs.requests / el : 0.0, hs.wait_seconds);
}

static void stats_fields(struct buf *b)
{
	static const char *const causes[] = {"connection", "timeout"};
	int first = 1;

	buf_printf(b,
		   ",\"requests\":%llu,\"token_requests\":%llu,\"pages\":%llu,\"bytes\":%llu,"
		   "\"waits\":%llu,\"wait_seconds\":%.3f,\"retries\":{",
		   (unsigned long long)hs.requests, (unsigned long long)hs.token_requests,
		   (unsigned long long)pages, (unsigned long long)hs.bytes,
		   (unsigned long long)hs.waits, hs.wait_seconds);
	for (int i = 0; i < 2; i++) {
		uint64_t n = i ? hs.retry_timeout : hs.retry_connect;

		if (n) {
			buf_printf(b, "%s\"%s\":%llu", first ? "" : ",", causes[i],
				   (unsigned long long)n);
			first = 0;
		}
	}
	for (int s = 0; s < 600; s++)
		if (hs.retry_status[s]) {
			buf_printf(b, "%s\"%d\":%llu", first ? "" : ",", s,
				   (unsigned long long)hs.retry_status[s]);
			first = 0;
		}
	buf_addc(b, '}');
}

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

/* A template's "{path}": the path's text, from s (after '{') to its '}'. */
static size_t placeholder(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");

	return n && s[n] == '}' ? n : 0;
}

/* tpl with each {path} replaced by the record's value there: percent-encoded
 * (how 'u'), as it is (how 'r'), or escaped for a JSON string (how 'j').
 * 0, or -1 with a message in err when a value is missing or not a scalar. */
static int expand(struct buf *dst, const char *tpl, struct span rec, int how, struct buf *err)
{
	struct buf v = BUF_INIT;

	for (const char *p = tpl; *p;) {
		size_t n = *p == '{' ? placeholder(p + 1) : 0;
		struct path path;
		struct span val;
		const char *e;
		size_t eo;

		if (!n) {
			buf_addc(dst, *p++);
			continue;
		}
		{
			char *text = xstrndup(p + 1, n);

			if (path_parse(&path, text, 1, &e, &eo) < 0) {
				free(text);
				buf_add(dst, p, n + 2);
				p += n + 2;
				continue;
			}
			free(text);
		}
		val = scan_lookup(rec, &path);
		path_release(&path);
		buf_reset(&v);
		switch (scan_kind(val)) {
		case SCAN_STRING:
			scan_string(&v, val);
			break;
		case SCAN_NUMBER:
		case SCAN_TRUE:
		case SCAN_FALSE:
			buf_add(&v, val.p, val.n);
			break;
		default:
			buf_printf(err, "the field %.*s of the template is %s", (int)n, p + 1,
				   scan_kind(val) == SCAN_NONE || scan_kind(val) == SCAN_NULL
					   ? "missing"
					   : "not a string, a number or a boolean");
			buf_release(&v);
			return -1;
		}
		if (how == 'u') {
			http_escape(dst, v.p ? v.p : "", v.len);
		} else if (how == 'j') {
			size_t at = dst->len;

			jw_string(dst, v.p ? v.p : "", v.len);
			/* without its quotes: the template has them */
			memmove(dst->p + at, dst->p + at + 1, dst->len - at - 2);
			dst->len -= 2;
			dst->p[dst->len] = '\0';
		} else {
			buf_add(dst, v.p ? v.p : "", v.len);
		}
		p += n + 2;
	}
	buf_release(&v);
	return 0;
}

/* The slot's request from the record: 0, or -1 with s->fail set. */
static int slot_prepare(struct slot *s, const char *url_tpl, const char *data_tpl)
{
	struct span rec = {s->rec.p, s->rec.len};
	struct buf u = BUF_INIT, b = BUF_INIT;
	char *url;

	if (expand(&u, url_tpl, rec, 'u', &s->fail) < 0) {
		buf_release(&u);
		return -1;
	}
	url = buf_detach(&u, NULL);
	for (size_t i = 0; i < nqueries; i++) {
		char *eq = strchr(queries[i], '='), *nu;

		buf_reset(&b);
		if (expand(&b, eq + 1, rec, 'r', &s->fail) < 0) {
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
	if (data_tpl && expand(&b, data_tpl, rec, 'j', &s->fail) < 0) {
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
	char *u = shown(s->url), tmp[1024];
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
	struct body_err be;
	long n = 0;

	page_root = (struct span){NULL, 0};
	pages++;
	if (into) {
		static struct buf arr = BUF_INIT;
		struct span t = scan_trim((struct span){s->rec.p, s->rec.len});
		size_t inner = t.n - 1; /* without the closing brace */

		buf_reset(&arr);
		buf_addc(&arr, '[');
		if (!ignored_status) {
			if (!s->r.body.p)
				buf_add(&s->r.body, "", 0);
			n = body_records(s->r.body.p, s->r.body.len, format, &spec, collect_record,
					 &arr, &page_root, &be);
		}
		if (n < 0) {
			fail_at(s, "offset %zu: %s%s", be.off, be.syntax ? "invalid JSON: " : "",
				be.msg);
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
	if (!s->r.body.p)
		buf_add(&s->r.body, "", 0);
	n = body_records(s->r.body.p, s->r.body.len, format, &spec, write_record, &s->out,
			 &page_root, &be);
	if (n < 0) {
		buf_reset(&s->out);
		fail_at(s, "offset %zu: %s%s", be.off, be.syntax ? "invalid JSON: " : "", be.msg);
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

static void for_each(const char *url_tpl, const char *data_tpl, const char *const *base,
		     size_t nbase)
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
			if (!nd_next(nd, &rec)) {
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

/* ---- the watermark in the state table ---- */

static PGconn *conn;
static struct pg_table st;

/* The stored watermark, less --since-lag, or NULL when there is none yet. */
static char *state_since(void)
{
	char err[256], *old;

	conn = pg_connect(db);
	if (pg_table_parse(&st, conn, state_table, err, sizeof(err)) < 0)
		cli_usage_error("--state-table", "%s", err);
	old = pg_state_get(conn, &st, state_key, 0);
	if (old && since_lag_us > 0) {
		char iso[TIMEFMT_ISO_BUFSZ];
		int64_t us;
		int32_t off;

		if (timefmt_parse_iso(old, strlen(old), &us, &off) < 0)
			etl_die(ETL_EXIT_USAGE, "--since-lag",
				"the stored value of %s is not a time: '%s'", state_key, old);
		timefmt_iso(us - since_lag_us, off, iso);
		free(old);
		old = xstrdup(iso);
	}
	return old;
}

/* After a whole run: the greatest --cursor-field seen becomes the stored
 * watermark, unless the stored one is greater (another run went further). */
static void state_save(void)
{
	char *old;

	if (!wm_max.set)
		return;
	pg_state_create(conn, &st);
	pg_run(conn, st.display, "BEGIN");
	old = pg_state_get(conn, &st, state_key, 1);
	if (old) {
		struct wmark o = {0};

		wmark_parse(&o, old, strlen(old));
		if (wmark_cmp(&o, &wm_max) < 0)
			pg_state_set(conn, &st, state_key, wm_max.text.p);
		wmark_release(&o);
		free(old);
	} else {
		pg_state_set(conn, &st, state_key, wm_max.text.p);
	}
	pg_run(conn, st.display, "COMMIT");
}

static void start_http(void)
{
	static struct buf ua = BUF_INIT;
	struct http_opts ho = {0};
	char err[256];

	buf_printf(&ua, "etl-fetch-api/%s", ETL_VERSION);
	ho.timeout_ms = timeout_ms;
	ho.connect_timeout_ms = connect_timeout_ms;
	ho.cacert = cacert;
	ho.insecure = insecure;
	ho.netrc = use_netrc;
	ho.user_agent = ua.p;
	http = http_new(&ho, err, sizeof(err));
	if (!http)
		etl_die(ETL_EXIT_SOFTWARE, NULL, "%s", err);
	srandom((unsigned)(wall() * 1e6));
	stats_extra(stats_fields);
	progress_extra(progress_fields);
	t_start = mono();
}

/* The options that belong to --for-each, or cannot go with it. */
static void check_for_each(void)
{
	if (!for_each_mode) {
		if (parallel_set || unordered || into || cli.bad_records || cli.max_bad)
			cli_usage_error(parallel_set      ? "--parallel"
					: unordered       ? "--unordered"
					: into            ? "--into"
					: cli.bad_records ? "--bad-records"
							  : "--max-bad",
					"needs --for-each");
		return;
	}
	if (style != PG_NONE)
		cli_usage_error("--paginate", "not with --for-each: one request per record");
	if (total_arg || stop_value || max_pages)
		cli_usage_error(total_arg    ? "--total-path"
				: stop_value ? "--stop-when"
					     : "--max-pages",
				"not with --for-each: one request per record");
	if (since || state_key)
		cli_usage_error(since ? "--since" : "--state-key", "not with --for-each");
}

int main(int argc, char **argv)
{
	struct http_req q = {0};
	struct http_resp r;
	struct buf basic = BUF_INIT;
	size_t nh = 0, data_len = 0, cur_len = 0;
	char *data = NULL, *url = NULL, *cur_body = NULL;
	unsigned long long pageno, offset = 0;
	int has_accept = 0, has_ctype = 0;
	const char *e;
	size_t eo;

	cli_start(&prog, argc, argv);
	hide_secret_args();
	http_resp_init(&r);
	if (cli.nfiles != 1)
		cli_usage_error(NULL,
				cli.nfiles ? "expected one URL, got %zu arguments"
					   : "expected a URL%.0zu",
				cli.nfiles);
	format = strcmp(format_arg, "ndjson") ? BODY_JSON : BODY_NDJSON;
	if (format == BODY_NDJSON) {
		if (records_arg)
			cli_usage_error("--records", "needs --format json");
		if (nmetas)
			cli_usage_error("--meta", "needs --format json");
		if (total_arg)
			cli_usage_error("--total-path", "needs --format json");
		if (stop_value)
			cli_usage_error("--stop-when", "needs --format json");
		if (style == PG_NEXT_URL || style == PG_CURSOR || style == PG_CURSOR_BODY)
			cli_usage_error("--paginate",
					"a cursor or next URL in the body needs --format json");
	}
	check_for_each();
	if (body_spec_parse(&spec, records_arg ? records_arg : ".", &e, &eo) < 0)
		cli_usage_error("--records", "column %zu: %s", eo + 1, e);
	if (token_url && (!client_id_env || !client_secret_env))
		cli_usage_error("--oauth2-token-url",
				"needs --client-id-env and --client-secret-env");
	if (!token_url && (client_id_env || client_secret_env || scope))
		cli_usage_error(client_id_env       ? "--client-id-env"
				: client_secret_env ? "--client-secret-env"
						    : "--scope",
				"needs --oauth2-token-url");
	if (!!bearer_env + !!basic_env + !!token_url > 1)
		cli_usage_error(NULL,
				"give one of --bearer-env, --basic-env and --oauth2-token-url");
	if (since && state_key)
		cli_usage_error("--since", "give --since or --state-key, not both");
	if ((since || state_key) && !since_param)
		cli_usage_error(since ? "--since" : "--state-key", "needs --since-param");
	if (since_param && !since && !state_key)
		cli_usage_error("--since-param", "needs --since or --state-key");
	if (!!state_key != cursor_field_set)
		cli_usage_error(state_key ? "--state-key" : "--cursor-field",
				"--state-key and --cursor-field go together");
	if (since_lag_us >= 0 && !state_key)
		cli_usage_error("--since-lag", "needs --state-key");
	if (!state_key && (db || strcmp(state_table, "etl_state")))
		cli_usage_error(db ? "--db" : "--state-table", "needs --state-key");
	if (style == PG_CURSOR_BODY && !data_arg)
		cli_usage_error("--paginate", "cursor-body needs --data with a JSON object");

	if (data_arg) {
		struct scan_err se;

		data = read_data(data_arg, &data_len);
		if (style == PG_CURSOR_BODY &&
		    (scan_value(data, data_len, &se) < 0 ||
		     scan_kind(scan_trim((struct span){data, data_len})) != SCAN_OBJECT))
			cli_usage_error("--data", "cursor-body needs a JSON object");
	}

	/* the headers: the user's, then the ones derived from the options */
	hv = xcalloc(nheaders + nheader_envs + 4, sizeof(*hv));
	for (size_t i = 0; i < nheaders; i++) {
		has_accept |= !strncasecmp(headers[i], "Accept:", 7);
		has_ctype |= !strncasecmp(headers[i], "Content-Type:", 13);
		hv[nh++] = headers[i];
	}
	if (!has_accept)
		hv[nh++] = format == BODY_JSON ? "Accept: application/json"
					       : "Accept: application/x-ndjson";
	if (data && !has_ctype) {
		struct span t = scan_trim((struct span){data, data_len});

		if (t.n && (t.p[0] == '{' || t.p[0] == '['))
			hv[nh++] = "Content-Type: application/json";
	}
	if (bearer_env) {
		buf_printf(&bearer, "Authorization: Bearer %s",
			   env_secret("--bearer-env", bearer_env));
		hv[nh++] = bearer.p;
	}
	for (size_t i = 0; i < nheader_envs; i++) {
		struct buf b = BUF_INIT;

		buf_printf(&b, "%s: %s", header_envs[i].name,
			   env_secret("--header-env", header_envs[i].var));
		hv[nh++] = header_envs[i].value = buf_detach(&b, NULL);
	}
	if (basic_env) {
		buf_adds(&basic, env_secret("--basic-env", basic_env));
		if (!strchr(basic.p, ':'))
			etl_die(ETL_EXIT_USAGE, "--basic-env", "%s is not user:password",
				basic_env);
		basic_up = basic.p;
	}
	if (token_url) {
		client_id = env_secret("--client-id-env", client_id_env);
		client_secret = env_secret("--client-secret-env", client_secret_env);
	}

	secret_names = xcalloc(nquery_envs + 1, sizeof(*secret_names));
	for (size_t i = 0; i < nquery_envs; i++) {
		secret_names[i] = query_envs[i].name;
		env_secret("--query-env", query_envs[i].var);
	}
	if (for_each_mode) {
		/* the URL is a template: checked when each record fills it */
		if (strncasecmp(cli.files[0], "http://", 7) &&
		    strncasecmp(cli.files[0], "https://", 8))
			cli_usage_error(NULL, "not an http or https URL: '%s'", cli.files[0]);
		start_http();
		for_each(cli.files[0], data, hv, nh);
		goto done;
	}

	/* the first URL: the user's, its query, the first page's parameters */
	url = http_url_resolve(cli.files[0], cli.files[0]);
	if (!url || (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)))
		cli_usage_error(NULL, "not an http or https URL: '%s'", cli.files[0]);
	for (size_t i = 0; i < nqueries; i++) {
		char *eq = strchr(queries[i], '='), *u;

		*eq = '\0';
		u = http_url_add(url, queries[i], eq + 1);
		*eq = '=';
		free(url);
		url = u;
	}
	for (size_t i = 0; i < nquery_envs; i++) {
		char *u = http_url_add(url, query_envs[i].name,
				       env_secret("--query-env", query_envs[i].var));

		free(url);
		url = u;
	}
	{
		char *sv = state_key ? state_since() : (since ? xstrdup(since) : NULL);

		/* empty or unset: from the beginning */
		if (sv && *sv) {
			char *u = http_url_add(url, since_param, sv);

			free(url);
			url = u;
		}
		free(sv);
	}
	pageno = pg_start;
	if (style == PG_PAGE) {
		char *u = with_number(url, pg_param, pageno);

		free(url);
		url = u;
	}
	if (style == PG_OFFSET) {
		char *u = with_number(url, pg_param, 0);

		free(url);
		url = u;
	}
	if ((style == PG_PAGE || style == PG_OFFSET) && pg_size_param) {
		char *u = with_number(url, pg_size_param, pg_size);

		free(url);
		url = u;
	}
	cur_body = data;
	cur_len = data_len;
	data = NULL;

	start_http();
	if (cur_body)
		data = xstrndup(cur_body, cur_len);

	for (;;) {
		struct body_err be;
		long n;
		char *next = NULL;
		int skip;

		if (seen_before(url, cur_body, cur_len))
			die_url(ETL_EXIT_DATA, url,
				"this request was made before in this run: "
				"the pagination would loop");
		q.method = method;
		q.url = url;
		q.headers = hv;
		q.nheaders = nh;
		q.body = cur_body;
		q.body_len = cur_len;
		q.userpwd = basic_env ? basic.p : NULL;
		skip = fetch(&q, &r, 0);
		pages++;
		page_root = (struct span){NULL, 0};
		if (skip) {
			n = 0;
		} else {
			if (!r.body.p)
				buf_add(&r.body, "", 0);
			n = body_records(r.body.p, r.body.len, format, &spec, write_record, NULL,
					 &page_root, &be);
			if (n < 0)
				die_url(ETL_EXIT_DATA, url, "offset %zu: %s%s", be.off,
					be.syntax ? "invalid JSON: " : "", be.msg);
		}
		/* the stop rules, most common first */
		if (n == 0 || style == PG_NONE || (max_pages && pages >= max_pages))
			break;
		if (total_arg) {
			struct span t = scan_lookup(page_root, &total_path);

			if (scan_kind(t) == SCAN_NUMBER &&
			    (double)records_seen >= strtod(t.p, NULL))
				break;
		}
		if (stop_value && stop_matches())
			break;
		switch (style) {
		case PG_NONE:
			break;
		case PG_LINK: {
			char *l = http_link_next(&r);

			if (l) {
				next = http_url_resolve(url, l);
				free(l);
			}
			break;
		}
		case PG_NEXT_URL: {
			char *l = cursor_text(cursor_value());

			if (l) {
				next = http_url_resolve(url, l);
				if (!next)
					die_url(ETL_EXIT_DATA, url, "the next URL is not a URL");
				free(l);
			}
			break;
		}
		case PG_CURSOR: {
			char *c = cursor_text(cursor_value());

			if (c) {
				next = with_param(url, pg_param, c);
				free(c);
			}
			break;
		}
		case PG_CURSOR_BODY: {
			struct span v = cursor_value();
			char *c = cursor_text(v);

			if (c) {
				char *nb = body_with_cursor(data, data_len, scan_trim(v), &cur_len);

				free(c);
				free(cur_body);
				cur_body = nb;
				next = xstrdup(url);
			}
			break;
		}
		case PG_HEADER: {
			struct span v = http_header(&r, pg_source);

			if (v.p && v.n) {
				char *c = xstrndup(v.p, v.n);

				next = with_param(url, pg_param, c);
				free(c);
			}
			break;
		}
		case PG_PAGE:
			if (pg_size_given && (unsigned long long)n < pg_size)
				break;
			next = with_number(url, pg_param, ++pageno);
			break;
		case PG_OFFSET:
			if ((unsigned long long)n < pg_size)
				break;
			offset += (unsigned long long)n;
			next = with_number(url, pg_param, offset);
			break;
		}
		if (!next)
			break;
		free(url);
		url = next;
	}

done:
	if (state_key) {
		/* the data first: the watermark never runs ahead of it */
		out_close();
		state_save();
		pg_table_release(&st); /* the connection closes at exit (pg.c) */
	}
	wmark_release(&wm_max);
	wmark_release(&wm_cur);
	http_resp_release(&r);
	http_free(http);
	free(url);
	free(cur_body);
	free(data);
	free(token);
	free(seen);
	free(hv);
	buf_release(&line);
	buf_release(&hdrbuf);
	buf_release(&basic);
	body_spec_release(&spec);
	cli_finish();
}
