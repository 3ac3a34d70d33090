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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fetch.h"
#include "redact.h"
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
	OPT_VERBOSE,
};

const struct cli_opt opts[] = {
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
	{OPT_FORMAT, "format", 0, CLI_ARG, "json|ndjson|csv",
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
	{CSVOPT_DELIM, "delimiter", 0, CLI_ARG, "CHAR",
	 "--format csv: the field delimiter (default: detected among , ; tab |)"},
	CSVREAD_OPTIONS,
	{OPT_VERBOSE, "verbose", 0, CLI_NOARG, NULL,
	 "--format csv: say which delimiter was detected"},
	{0, NULL, 0, 0, NULL, NULL},
};

/* Read by the other files too (fetch.h). */
const char *method, *basic_env, *token_url, *scope, *oauth2_auth = "basic", *into;
char *basic_up; /* --basic-env's user:password */
char **queries; /* "name=value", as given */
size_t nqueries;
struct env_pair *header_envs, *query_envs;
size_t nheader_envs, nquery_envs;
struct meta *metas;
size_t nmetas;
struct path cursor_field;
int cursor_field_set, unordered;
size_t parallel = 1;
unsigned long long retries = 5;
double retry_max_time, max_wait = 300, rate_interval;
long ignore_status[16];
size_t nignore;

static const char *data_arg, *cacert, *records_arg, *format_arg = "json", *total_arg;
static const char *csv_opt; /* a CSV reading option given, for the check */
static const char *bearer_env, *client_id_env, *client_secret_env;
static const char *since, *since_param, *state_key, *state_table = "etl_state", *db;
static int64_t since_lag_us = -1;
static int for_each_mode, parallel_set;
static char **headers;
static size_t nheaders;
static char **hidden; /* -H arguments that hold a secret, in argv */
static size_t nhidden;
static int insecure, use_netrc;
static long timeout_ms = 60000, connect_timeout_ms = 10000;
static unsigned long long max_pages;

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

	if (csvread_on_opt(&csv_ro, id, arg)) {
		csv_opt = cli_optname;
		return;
	}
	if (id == OPT_VERBOSE) {
		csv_ro.verbose = 1;
		csv_opt = "--verbose";
		return;
	}
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
			const char *v = eq + 1 + strspn(eq + 1, " \t");

			/* hidden by value wherever it would be echoed (--stats,
			 * messages), and in argv for ps */
			redact_remember(v, strlen(v));
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
		if (strcmp(arg, "json") && strcmp(arg, "ndjson") && strcmp(arg, "csv"))
			cli_usage_error(cli_optname, "expected json, ndjson or csv, got '%s'", arg);
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

const struct cli_prog prog = {
	"etl-fetch-api",
	"URL [OPTIONS]",
	"Fetch the records of a paginated REST API as NDJSON.",
	opts,
	CLI_NO_INPUT,
	on_opt,
};
/* ---- pagination ---- */

static struct hash128 *seen;
static size_t seen_cap, seen_n;

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
/* ---- the watermark in the state table ---- */

PGconn *conn;
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
	/* libcurl keeps Authorization and Cookie from other hosts, not the
	 * rest of the headers: a redirect could take a key elsewhere */
	ho.no_redirects = nheader_envs > 0 || nhidden > 0;
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
	struct buf perr = BUF_INIT;
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
	body_fmt = strcmp(format_arg, "ndjson") ? BODY_JSON : BODY_NDJSON;
	csv_body = !strcmp(format_arg, "csv");
	if (csv_opt && !csv_body)
		cli_usage_error(csv_opt, "needs --format csv");
	if (csv_body) {
		csvread_opts_check(&csv_ro);
		if (records_arg)
			cli_usage_error("--records",
					"does not apply to --format csv: each row is a record");
	}
	if (body_fmt == BODY_NDJSON || csv_body) {
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
		hv[nh++] = csv_body                ? "Accept: text/csv"
			   : body_fmt == BODY_JSON ? "Accept: application/json"
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
			n = page_records(url, &r.body, write_record, NULL, &perr);
			if (n < 0)
				die_url(ETL_EXIT_DATA, url, "%s", perr.p);
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
	buf_release(&perr);
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
