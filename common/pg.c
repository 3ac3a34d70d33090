/*
 * pg.c - PostgreSQL plumbing over libpq (pg.h).
 *
 * Failures: libpq gives a SQLSTATE for every error the server reports, and
 * pg_exit_status() turns its class into the scheduler's answer (retry later,
 * alert, fix the job).  A failed connection has no SQLSTATE in libpq's API,
 * so pg_connect() asks the server whether it is up (PQpingParams, the same
 * parameters): a server that answers and still refused us refused for good
 * (authentication, unknown role or database: 69), one that does not answer
 * or is starting up is a temporary failure (75).
 *
 * Passwords never reach a message: the WHERE of every message about the
 * connection is pg_where(), the conninfo with its password removed by
 * redact(), and every message passes through redact_buf() (die.c).
 *
 * The session is set so that the server's text output is what pgval.c
 * expects: ISO-8601 dates and times in UTC, shortest round-trip floats.
 */
#include "pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "die.h"
#include "mem.h"
#include "offset.h"
#include "path.h"
#include "redact.h"
#include "banned.h"

static char *where_text;
/* the connections the exit hook closes */
static PGconn *open_conns[8];

/* ---- messages ---------------------------------------------------------- */

/* A libpq message on one line: a line that goes on with a sentence is
 * joined with a space, one that starts another with "; "; trailing white
 * space goes. */
static void oneline(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r') {
			while (s[1] == '\n' || s[1] == '\t' || s[1] == ' ' || s[1] == '\r')
				s++;
			if (s[1])
				buf_adds(b, s[1] >= 'a' && s[1] <= 'z' ? " " : "; ");
			continue;
		}
		buf_addc(b, *s);
	}
	while (b->len && (b->p[b->len - 1] == ' ' || b->p[b->len - 1] == '\t'))
		b->p[--b->len] = '\0';
}

const char *pg_message(const PGconn *conn, const PGresult *res)
{
	static struct buf m = BUF_INIT;
	const char *prim = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	buf_reset(&m);
	if (prim) {
		const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);

		oneline(&m, prim);
		if (detail) {
			buf_adds(&m, " (");
			oneline(&m, detail);
			buf_adds(&m, ")");
		}
	} else {
		const char *t = res ? PQresultErrorMessage(res) : "";

		if (!*t)
			t = PQerrorMessage(conn);
		if (strncmp(t, "ERROR:  ", 8) == 0 || strncmp(t, "FATAL:  ", 8) == 0)
			t += 8;
		oneline(&m, t);
		if (!m.len)
			buf_adds(&m, "unknown error");
	}
	return m.p;
}

int pg_exit_status(const PGconn *conn, const PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (PQstatus(conn) != CONNECTION_OK)
		return ETL_EXIT_TEMPFAIL;
	if (!st || strlen(st) != 5)
		return ETL_EXIT_TEMPFAIL;
	/* a missing table or schema, or no right to it: alert a human */
	if (!strcmp(st, "42P01") || !strcmp(st, "42501") || !strcmp(st, "3F000") ||
	    !strcmp(st, "3D000") || !strncmp(st, "28", 2))
		return ETL_EXIT_UNAVAIL;
	/* connection exceptions, serialization failures and deadlocks, lack of
	 * resources, shutdowns and cancels, lock timeouts, system I/O errors */
	if (!strncmp(st, "08", 2) || !strncmp(st, "40", 2) || !strncmp(st, "53", 2) ||
	    !strncmp(st, "57", 2) || !strcmp(st, "55P03") || !strncmp(st, "58", 2))
		return ETL_EXIT_TEMPFAIL;
	if (!strncmp(st, "22", 2) || !strncmp(st, "23", 2))
		return ETL_EXIT_DATA;
	/* other syntax or access rule violations: the SQL or the options given */
	if (!strncmp(st, "42", 2))
		return ETL_EXIT_USAGE;
	return ETL_EXIT_UNAVAIL;
}

void pg_die(const PGconn *conn, PGresult *res, const char *where, const char *what)
{
	int status = pg_exit_status(conn, res);
	const char *msg = pg_message(conn, res);

	PQclear(res);
	if (what)
		etl_die(status, where, "%s: %s", what, msg);
	etl_die(status, where, "%s", msg);
}

/* ---- connecting -------------------------------------------------------- */

static int is_uri(const char *s)
{
	return !strncmp(s, "postgresql://", 13) || !strncmp(s, "postgres://", 11);
}

const char *pg_where(void)
{
	return where_text ? where_text : "postgresql";
}

/* Describe a connection made from the environment: the parameters libpq
 * settled on. */
static char *describe(const PGconn *c)
{
	struct buf b = BUF_INIT;
	const char *v;

	if ((v = PQhost(c)) && *v)
		buf_printf(&b, "host=%s", v);
	if ((v = PQport(c)) && *v)
		buf_printf(&b, "%sport=%s", b.len ? " " : "", v);
	if ((v = PQdb(c)) && *v)
		buf_printf(&b, "%sdbname=%s", b.len ? " " : "", v);
	if ((v = PQuser(c)) && *v)
		buf_printf(&b, "%suser=%s", b.len ? " " : "", v);
	if (!b.len)
		buf_adds(&b, "postgresql");
	return buf_detach(&b, NULL);
}

/* The server's warnings are the user's business; its notices ("relation
 * already exists, skipping") are not. */
static void notice(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	struct buf m = BUF_INIT;

	(void)arg;
	if (sev && strcmp(sev, "WARNING") != 0)
		return;
	oneline(&m, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
			    ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
			    : "");
	etl_warn(pg_where(), "server warning: %s", m.p ? m.p : "");
	buf_release(&m);
}

/* Exit hook: whatever way the program ends, the connection is closed (an
 * open transaction is then rolled back by the server). */
static void close_conn(int status)
{
	(void)status;
	for (size_t i = 0; i < sizeof(open_conns) / sizeof(open_conns[0]); i++) {
		if (open_conns[i])
			PQfinish(open_conns[i]);
		open_conns[i] = NULL;
	}
}

static void keep_conn(PGconn *c)
{
	static int hooked;

	for (size_t i = 0; i < sizeof(open_conns) / sizeof(open_conns[0]); i++) {
		if (!open_conns[i]) {
			open_conns[i] = c;
			break;
		}
	}
	if (!hooked)
		etl_atexit(close_conn);
	hooked = 1;
}

void pg_close(PGconn *c)
{
	for (size_t i = 0; i < sizeof(open_conns) / sizeof(open_conns[0]); i++)
		if (open_conns[i] == c)
			open_conns[i] = NULL;
	PQfinish(c);
}

/* Connect; with replication, as a walsender in database mode.  A failure
 * dies, unless may_fail and it is temporary: then a warning and NULL. */
static PGconn *connect_as(const char *conninfo, int replication, int may_fail)
{
	const char *keys[] = {"dbname", "client_encoding", "fallback_application_name",
			      "replication", NULL};
	const char *vals[] = {NULL, "UTF8", etl_progname, "database", NULL};
	PGconn *c;

	if (!replication)
		keys[3] = NULL;
	free(where_text); /* the latest connection's, for messages */
	where_text = NULL;

	if (conninfo && *conninfo) {
		if (is_uri(conninfo) || strchr(conninfo, '=')) {
			char *err = NULL;
			PQconninfoOption *o = PQconninfoParse(conninfo, &err);

			if (!o) {
				static struct buf m = BUF_INIT;

				oneline(&m, err ? err : "malformed connection string");
				PQfreemem(err);
				etl_die(ETL_EXIT_USAGE, "--db", "%s", m.p);
			}
			PQconninfoFree(o);
		}
		vals[0] = conninfo;
		where_text = redact(conninfo);
	}
	c = PQconnectdbParams(keys, vals, 1);
	if (!c)
		etl_die(ETL_EXIT_SOFTWARE, pg_where(), "could not connect: out of memory");
	if (!where_text)
		where_text = describe(c);
	if (PQstatus(c) != CONNECTION_OK) {
		static struct buf m = BUF_INIT;
		int status;

		oneline(&m, PQerrorMessage(c));
		if (PQconnectionNeedsPassword(c)) {
			status = ETL_EXIT_UNAVAIL;
		} else {
			switch (PQpingParams(keys, vals, 1)) {
			case PQPING_OK:
				/* up, and refused us; but a full server is a passing state */
				status = strstr(m.p, "too many clients") ||
							 strstr(m.p, "connection slots")
						 ? ETL_EXIT_TEMPFAIL
						 : ETL_EXIT_UNAVAIL;
				break;
			case PQPING_NO_ATTEMPT:
				status = ETL_EXIT_USAGE;
				break;
			default:
				status = ETL_EXIT_TEMPFAIL;
			}
		}
		if (may_fail && status == ETL_EXIT_TEMPFAIL) {
			etl_warn(pg_where(), "could not connect: %s", m.p);
			PQfinish(c);
			return NULL;
		}
		PQfinish(c);
		etl_die(status, pg_where(), "could not connect: %s", m.p);
	}
	keep_conn(c);
	PQsetNoticeReceiver(c, notice, NULL);
	pg_run(c, pg_where(),
	       "SET client_min_messages = warning; SET DateStyle = ISO; SET TimeZone = 'UTC'; SET IntervalStyle = iso_8601; "
	       "SET extra_float_digits = 3; SET bytea_output = hex");
	return c;
}

PGconn *pg_connect(const char *conninfo)
{
	return connect_as(conninfo, 0, 0);
}

PGconn *pg_connect_replication(const char *conninfo, int may_fail)
{
	return connect_as(conninfo, 1, may_fail);
}

/* ---- statements -------------------------------------------------------- */

static PGresult *check(PGconn *c, PGresult *res, const char *where)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT)
		etl_die(ETL_EXIT_SOFTWARE, where, "unexpected COPY");
	pg_die(c, res, where, NULL);
}

PGresult *pg_exec(PGconn *c, const char *where, const char *sql)
{
	return check(c, PQexec(c, sql), where);
}

void pg_run(PGconn *c, const char *where, const char *sql)
{
	PQclear(pg_exec(c, where, sql));
}

PGresult *pg_exec_params(PGconn *c, const char *where, const char *sql, int n,
			 const char *const *vals)
{
	return check(c, PQexecParams(c, sql, n, NULL, vals, NULL, NULL, 0), where);
}

void pg_ident(struct buf *b, PGconn *c, const char *name, size_t n)
{
	char *q = PQescapeIdentifier(c, name, n);

	if (!q) {
		static struct buf m = BUF_INIT;

		oneline(&m, PQerrorMessage(c));
		etl_die(ETL_EXIT_USAGE, NULL, "invalid name '%.*s': %s", (int)n, name, m.p);
	}
	buf_adds(b, q);
	PQfreemem(q);
}

int pg_table_parse(struct pg_table *t, PGconn *c, const char *spec, char *err, size_t errsz)
{
	struct path p;
	const char *e;
	size_t off;
	struct buf q = BUF_INIT;

	memset(t, 0, sizeof(*t));
	if (path_parse(&p, spec, 1, &e, &off) < 0) {
		snprintf(err, errsz, "%s at offset %zu", e, off);
		return -1;
	}
	if (p.nseg > 2) {
		path_release(&p);
		snprintf(err, errsz, "expected [schema.]table");
		return -1;
	}
	for (size_t i = 0; i < p.nseg; i++) {
		if (memchr(p.seg[i].s, '\0', p.seg[i].n)) {
			path_release(&p);
			snprintf(err, errsz, "a name cannot hold a NUL byte");
			return -1;
		}
		if (i)
			buf_addc(&q, '.');
		pg_ident(&q, c, p.seg[i].s, p.seg[i].n);
	}
	if (p.nseg == 2)
		t->schema = xstrdup(p.seg[0].s);
	t->name = xstrdup(p.seg[p.nseg - 1].s);
	t->quoted = buf_detach(&q, NULL);
	t->display = xstrdup(spec);
	path_release(&p);
	return 0;
}

void pg_table_release(struct pg_table *t)
{
	free(t->schema);
	free(t->name);
	free(t->quoted);
	free(t->display);
	memset(t, 0, sizeof(*t));
}

int pg_table_exists(PGconn *c, const struct pg_table *t)
{
	const char *v[1] = {t->quoted};
	PGresult *r = pg_exec_params(c, t->display, "SELECT to_regclass($1) IS NOT NULL", 1, v);
	int yes = PQgetvalue(r, 0, 0)[0] == 't';

	PQclear(r);
	return yes;
}

/* ---- COPY -------------------------------------------------------------- */

static char *copy_row;

void pg_copy_out_start(PGconn *c, const char *where, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COPY_OUT)
		pg_die(c, r, where, NULL);
	PQclear(r);
}

/* After the COPY: its result, then NULL. */
static void copy_result(PGconn *c, const char *where)
{
	PGresult *r = PQgetResult(c);

	if (!r)
		pg_die(c, NULL, where, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		pg_die(c, r, where, NULL);
	PQclear(r);
	while ((r = PQgetResult(c)))
		PQclear(r);
}

size_t pg_copy_out_row(PGconn *c, const char *where, const char **row)
{
	int n;

	if (copy_row) {
		PQfreemem(copy_row);
		copy_row = NULL;
	}
	n = PQgetCopyData(c, &copy_row, 0);
	if (n > 0) {
		*row = copy_row;
		return n;
	}
	copy_result(c, where);
	return 0;
}

void pg_copy_in_start(PGconn *c, const char *where, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COPY_IN)
		pg_die(c, r, where, NULL);
	PQclear(r);
}

void pg_copy_in_put(PGconn *c, const char *where, const char *p, size_t n)
{
	while (n) {
		int k = n > (1 << 30) ? (1 << 30) : (int)n;

		if (PQputCopyData(c, p, k) != 1) {
			PGresult *r = PQgetResult(c);

			pg_die(c, r, where, NULL);
		}
		p += k;
		n -= k;
	}
}

PGresult *pg_copy_in_end(PGconn *c, const char *where)
{
	PGresult *r, *more;

	if (PQputCopyEnd(c, NULL) != 1)
		pg_die(c, PQgetResult(c), where, NULL);
	r = PQgetResult(c);
	if (!r)
		pg_die(c, NULL, where, NULL);
	while ((more = PQgetResult(c)))
		PQclear(more);
	if (PQresultStatus(r) == PGRES_COMMAND_OK) {
		PQclear(r);
		return NULL;
	}
	return r;
}

/* ---- the state table ----------------------------------------------------- */

void pg_state_create(PGconn *c, const struct pg_table *t)
{
	struct buf q = BUF_INIT;

	buf_printf(&q,
		   "CREATE TABLE IF NOT EXISTS %s (name text PRIMARY KEY, value text, "
		   "updated_at timestamptz NOT NULL DEFAULT now())",
		   t->quoted);
	pg_run(c, t->display, q.p);
	buf_release(&q);
}

char *pg_state_get(PGconn *c, const struct pg_table *t, const char *name, int lock)
{
	struct buf q = BUF_INIT;
	const char *v[1] = {name};
	PGresult *r;
	char *val = NULL;

	if (!pg_table_exists(c, t))
		return NULL;
	if (lock) {
		/* FOR UPDATE locks no row that does not exist yet: without one,
		 * two loads would both read "unset" and the later commit could
		 * move the watermark back.  A row with a NULL value (unset) is
		 * made first; a concurrent maker waits here for the other's
		 * transaction to end, then reads what it committed. */
		buf_printf(&q, "INSERT INTO %s (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
			   t->quoted);
		PQclear(pg_exec_params(c, t->display, q.p, 1, v));
		buf_reset(&q);
	}
	buf_printf(&q, "SELECT value FROM %s WHERE name = $1%s", t->quoted,
		   lock ? " FOR UPDATE" : "");
	r = pg_exec_params(c, t->display, q.p, 1, v);
	if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		val = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	buf_release(&q);
	return val;
}

void pg_state_set(PGconn *c, const struct pg_table *t, const char *name, const char *value)
{
	struct buf q = BUF_INIT;
	const char *v[2] = {name, value};

	buf_printf(&q,
		   "INSERT INTO %s (name, value, updated_at) VALUES ($1, $2, now()) "
		   "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, "
		   "updated_at = EXCLUDED.updated_at",
		   t->quoted);
	PQclear(pg_exec_params(c, t->display, q.p, 2, v));
	buf_release(&q);
}

void pg_state_offsets(PGconn *c, const struct pg_table *t, const char *name, struct offset_set *s)
{
	char *v = pg_state_get(c, t, name, 0);

	if (v && offset_set_add_text(s, v, strlen(v)) < 0) {
		struct buf where = BUF_INIT;

		buf_printf(&where, "%s: %s", t->display, name);
		free(v);
		etl_die(ETL_EXIT_DATA, where.p, "the stored value is not an offset set");
	}
	free(v);
}
