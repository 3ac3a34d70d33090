/*
 * my.c - MySQL and MariaDB plumbing over libmariadb (my.h).
 *
 * Failures: every error has a number (the server's ER_*, or libmariadb's
 * CR_* from 2000 up for what happened on the client's side) and a SQLSTATE;
 * my_exit_status() turns them into the scheduler's answer (retry later,
 * alert, fix the job).  A connection that cannot be made or is lost is a
 * client error: retry later.
 *
 * Passwords never reach a message: they are given to libmariadb only
 * through MYSQL_PWD or an option file, which it reads itself, and the WHERE
 * of a message about the connection is made of the socket, host and port.
 *
 * The session is set so that the text of each value is what myval.c
 * expects: UTF-8 (utf8mb4), TIMESTAMPs in UTC.  A stream read with
 * mysql_use_result() waits for its reader: net_write_timeout is raised so
 * that a slow pipeline downstream is not taken for a dead client.
 */
#include "my.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "die.h"
#include "mem.h"
#include "path.h"
#include "banned.h"

static char *where_text;
static MYSQL *open_conn;

int my_exit_status(unsigned err, const char *sqlstate)
{
	const char *st = sqlstate ? sqlstate : "";

	switch (err) {
	/* missing things and refusals: alert a human */
	case ER_ACCESS_DENIED_ERROR:
	case ER_DBACCESS_DENIED_ERROR:
	case ER_BAD_DB_ERROR:
	case ER_NO_SUCH_TABLE:
	case ER_TABLEACCESS_DENIED_ERROR:
	case ER_COLUMNACCESS_DENIED_ERROR:
	case ER_HOST_NOT_PRIVILEGED:
	case ER_HOST_IS_BLOCKED:
	case ER_SPECIFIC_ACCESS_DENIED_ERROR:
	case ER_PROCACCESS_DENIED_ERROR:
	case ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
	case ER_NOT_SUPPORTED_AUTH_MODE:
	case CR_AUTH_PLUGIN_CANNOT_LOAD:
		return ETL_EXIT_UNAVAIL;
	/* passing states: too many clients, a deadlock, a shutdown... */
	case ER_CON_COUNT_ERROR:
	case ER_TOO_MANY_USER_CONNECTIONS:
	case ER_OUT_OF_RESOURCES:
	case ER_OUTOFMEMORY:
	case ER_SERVER_SHUTDOWN:
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
	case ER_QUERY_INTERRUPTED:
	case ER_CONNECTION_KILLED:
	case ER_NET_READ_ERROR:
	case ER_NET_READ_INTERRUPTED:
	case ER_NET_ERROR_ON_WRITE:
	case ER_NET_WRITE_INTERRUPTED:
	case ER_NET_PACKETS_OUT_OF_ORDER:
	case ER_ABORTING_CONNECTION:
	case ER_NEW_ABORTING_CONNECTION:
	case ER_STATEMENT_TIMEOUT:
		return ETL_EXIT_TEMPFAIL;
	/* the SQL of the query or of the options */
	case ER_NO_DB_ERROR:
	case ER_PARSE_ERROR:
	case ER_BAD_FIELD_ERROR:
	case ER_DUP_FIELDNAME:
	case ER_NON_UNIQ_ERROR:
	case ER_DERIVED_MUST_HAVE_ALIAS:
	case ER_WRONG_TABLE_NAME:
	case ER_WRONG_DB_NAME:
		return ETL_EXIT_USAGE;
	}
	if (err >= CR_MIN_ERROR && err <= CR_MAX_ERROR)
		return ETL_EXIT_TEMPFAIL;
	if (!strncmp(st, "08", 2) || !strncmp(st, "40", 2))
		return ETL_EXIT_TEMPFAIL;
	if (!strncmp(st, "28", 2) || !strcmp(st, "42S02"))
		return ETL_EXIT_UNAVAIL;
	if (!strncmp(st, "22", 2) || !strncmp(st, "23", 2))
		return ETL_EXIT_DATA;
	if (!strncmp(st, "42", 2))
		return ETL_EXIT_USAGE;
	return ETL_EXIT_UNAVAIL;
}

void my_die(MYSQL *m, const char *where)
{
	etl_die(my_exit_status(mysql_errno(m), mysql_sqlstate(m)), where, "%s", mysql_error(m));
}

const char *my_where(void)
{
	return where_text ? where_text : "localhost";
}

/* Exit hook: whatever way the program ends, the connection is closed (an
 * open transaction is then rolled back by the server). */
static void close_conn(int status)
{
	(void)status;
	if (open_conn)
		mysql_close(open_conn);
	open_conn = NULL;
}

MYSQL *my_connect(const struct my_params *p)
{
	unsigned timeout = 30;
	MYSQL *m;

	if (p->socket)
		where_text = xstrdup(p->socket);
	else if (p->host || p->port) {
		struct buf b = BUF_INIT;

		buf_adds(&b, p->host ? p->host : "localhost");
		if (p->port)
			buf_printf(&b, ":%u", p->port);
		where_text = buf_detach(&b, NULL);
	} else if (p->defaults_file)
		where_text = xstrdup(p->defaults_file);
	if (p->defaults_file) {
		/* libmariadb skips a file it cannot read: the user named it */
		FILE *f = fopen(p->defaults_file, "r");

		if (!f)
			etl_die(ETL_EXIT_IOERR, p->defaults_file, "cannot open: %s",
				strerror(errno));
		fclose(f);
	}
	m = mysql_init(NULL);
	if (!m)
		etl_die(ETL_EXIT_SOFTWARE, my_where(), "could not connect: out of memory");
	open_conn = m;
	etl_atexit(close_conn);
	mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	if (p->defaults_file)
		mysql_optionsv(m, MYSQL_READ_DEFAULT_FILE, p->defaults_file);
	else
		mysql_optionsv(m, MYSQL_READ_DEFAULT_GROUP, "client");
	mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (p->port && !p->socket) {
		/* as for the mariadb client: a port means TCP, even to localhost,
		 * where the socket would otherwise be used and the port ignored */
		enum mysql_protocol_type tcp = MYSQL_PROTOCOL_TCP;

		mysql_optionsv(m, MYSQL_OPT_PROTOCOL, &tcp);
	}
	mysql_optionsv(m, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", etl_progname);
	/* the parameters given win over the option files, which libmariadb
	 * reads in mysql_real_connect(); NULL leaves a setting to them, and a
	 * NULL password to MYSQL_PWD */
	if (!mysql_real_connect(m, p->host, p->user, NULL, p->database, p->port, p->socket, 0))
		etl_die(my_exit_status(mysql_errno(m), mysql_sqlstate(m)), my_where(),
			"could not connect: %s", mysql_error(m));
	/* an option file may name another character set: ours is utf8mb4 */
	if (mysql_set_character_set(m, "utf8mb4"))
		my_die(m, my_where());
	my_run(m, my_where(), "SET time_zone = '+00:00', net_write_timeout = 3600");
	return m;
}

void my_run(MYSQL *m, const char *where, const char *sql)
{
	MYSQL_RES *r;

	if (mysql_real_query(m, sql, strlen(sql)))
		my_die(m, where);
	r = mysql_store_result(m);
	if (r)
		mysql_free_result(r);
	else if (mysql_errno(m))
		my_die(m, where);
}

void my_ident(struct buf *b, const char *name, size_t n)
{
	buf_addc(b, '`');
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '`')
			buf_addc(b, '`');
		buf_addc(b, name[i]);
	}
	buf_addc(b, '`');
}

void my_literal(struct buf *b, MYSQL *m, const char *s, size_t n)
{
	unsigned long len;

	buf_grow(b, 2 * n + 3);
	buf_addc(b, '\'');
	len = mysql_real_escape_string(m, b->p + b->len, s, n);
	if (len == (unsigned long)-1)
		etl_die(ETL_EXIT_SOFTWARE, my_where(), "cannot quote a value");
	b->len += len;
	buf_addc(b, '\'');
}

int my_table_parse(struct my_table *t, const char *spec, char *err, size_t errsz)
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
		snprintf(err, errsz, "expected [database.]table");
		return -1;
	}
	for (size_t i = 0; i < p.nseg; i++) {
		if (memchr(p.seg[i].s, '\0', p.seg[i].n)) {
			path_release(&p);
			buf_release(&q);
			snprintf(err, errsz, "a name cannot hold a NUL byte");
			return -1;
		}
		if (i)
			buf_addc(&q, '.');
		my_ident(&q, p.seg[i].s, p.seg[i].n);
	}
	if (p.nseg == 2)
		t->database = xstrdup(p.seg[0].s);
	t->name = xstrdup(p.seg[p.nseg - 1].s);
	t->quoted = buf_detach(&q, NULL);
	t->display = xstrdup(spec);
	path_release(&p);
	return 0;
}

void my_table_release(struct my_table *t)
{
	free(t->database);
	free(t->name);
	free(t->quoted);
	free(t->display);
	memset(t, 0, sizeof(*t));
}
