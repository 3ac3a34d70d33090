/*
 * fetch.h - the parts of etl-fetch-api and what they share.
 *
 *   main.c     options, the checks of their combinations, the loop over
 *              pages and the pagination styles, the watermark in the state
 *              table, --stats and --progress
 *   request.c  one request and its retries: rate limits, the verdict on an
 *              answer (judge), fetch(), the OAuth2 token, writing a record
 *   foreach.c  --for-each: one request per input record, several at once
 *
 * The options are set once by main.c's parser and read everywhere after.
 */
#ifndef ETL_FETCH_H
#define ETL_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "bad.h"
#include "body.h"
#include "buf.h"
#include "cli.h"
#include "csvread.h"
#include "die.h"
#include "hash.h"
#include "http.h"
#include "jsonw.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "pg.h"
#include "scan.h"
#include "stats.h"
#include "timefmt.h"
#include "utf8.h"
#include "wmark.h"

/* --paginate */
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

/* --meta FIELD=PATH */
struct meta {
	char *field;
	struct path path;
};

/* --header-env and --query-env NAME=VAR */
struct env_pair {
	char *name, *var;
	char *value; /* the header line made of them */
};

/* The attempts of one request so far. */
struct attempt {
	unsigned n;    /* retries made */
	double waited; /* the pauses so far */
	int refreshed; /* a new token was fetched after a 401 */
};

/* What an answer calls for (judge()). */
enum verdict {
	V_OK,      /* a 2xx response */
	V_IGNORED, /* a status of --ignore-status */
	V_RETRY,   /* retry after *wait seconds */
	V_REFRESH, /* get a new token, then retry at once */
	V_REFUSED, /* for good: status 69, or a bad record in --for-each */
	V_GIVEUP,  /* retries ran out: status 75 */
};

/* ---- the options (main.c) ---- */
extern const char *method, *token_url, *basic_env, *into;
extern char *basic_up;
extern char **queries;
extern size_t nqueries;
extern struct env_pair *header_envs, *query_envs;
extern size_t nheader_envs, nquery_envs;
extern struct meta *metas;
extern size_t nmetas;
extern const char *scope, *oauth2_auth;
extern struct path cursor_field;
extern int cursor_field_set, unordered;
extern size_t parallel;
extern unsigned long long retries;
extern double retry_max_time, max_wait, rate_interval;
extern long ignore_status[16];
extern size_t nignore;

/* ---- the run (request.c) ---- */
extern struct http *http;
extern enum body_format body_fmt;
extern struct body_spec spec;
extern struct buf line, hdrbuf, bearer;
extern struct span page_root; /* the body of the page whose records are written */
extern uint64_t records_seen, pages;
extern const char **hv;     /* the headers of each request */
extern char **secret_names; /* the --query-env parameter names, for redaction */
extern char *token;
extern const char *client_id, *client_secret;
extern struct wmark wm_max, wm_cur; /* the greatest --cursor-field, the record's */
extern double next_slot;            /* no request starts before (monotonic) */

/* Counters for --stats. */
struct http_counts {
	uint64_t requests, bytes, waits, token_requests;
	double wait_seconds;
	uint64_t retry_connect, retry_timeout, retry_status[600];
};
extern struct http_counts hs;

double mono(void);
double wall(void);
void pause_for(double s);
/* The value of the environment variable var, for opt: set and not empty. */
const char *env_secret(const char *opt, const char *var);
/* The URL as messages show it: the --query-env values hidden (a new string). */
char *url_shown(const char *url);
ETL_NORETURN ETL_PRINTF(3, 4) void die_url(int status, const char *url, const char *fmt, ...);
void rate_wait(const char *url);
void progress_now(void);
void oauth_token(int force);
int token_stale(void);
enum verdict judge(int rc, const struct http_resp *r, struct attempt *a, int token_req,
		   double *wait, struct buf *m);
void auth_headers(struct http_req *q, const char **hl, const char *const *base, size_t nbase,
		  int token_req, struct buf *tokhdr);
int fetch(const struct http_req *q0, struct http_resp *r, int token_req);
/* --format csv, and how the CSV bodies are read. */
extern int csv_body;
extern struct csvread_opts csv_ro;
/* The records of an answer's body, handed to fn one by one: JSON or NDJSON
 * by body_records() (page_root set), CSV by csvread, whole, with its own
 * header row.  Returns their number, or -1 with no record handed out and
 * err holding what is wrong and where in the body ("offset 7: ...",
 * "line 3, column 2: ..."), for a message after the URL. */
long page_records(const char *url, struct buf *body, body_fn fn, void *ctx, struct buf *err);
/* Write a record (ctx NULL), or append its line to the buf ctx. */
void write_record(void *ctx, struct span rec);

/* ---- foreach.c ---- */
void for_each(const char *url_tpl, const char *data_tpl, const char *const *base, size_t nbase);

#endif
