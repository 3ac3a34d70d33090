/*
 * my.h - MySQL and MariaDB plumbing over libmariadb: connecting like the
 * mysql client, failures classified into the exit statuses of CONVENTIONS
 * section 3, identifiers and literals quoted.  The values themselves are
 * myval.h.
 */
#ifndef ETL_MY_H
#define ETL_MY_H

#include <stddef.h>

#include <mysql.h>

#include "buf.h"

/* Where to connect; NULL (0 for the port) leaves a setting to the option
 * files and libmariadb's defaults, as the mysql client does. */
struct my_params {
	const char *defaults_file; /* read only this option file */
	const char *host, *socket, *user, *database;
	unsigned port;
};

/* Connect.  The option files are read as the mysql client reads them (the
 * [client], [client-server] and [client-mariadb] groups of /etc/my.cnf,
 * /etc/mysql/my.cnf and ~/.my.cnf), or only defaults_file; the parameters
 * given override them; a port without a socket means TCP, even to
 * localhost, as for the mariadb client.  The password comes from the option files or
 * MYSQL_PWD only.  The session is set up for JSON: character set utf8mb4,
 * time zone UTC ('+00:00').  The connection is closed by an exit hook.  Dies
 * with 74 when defaults_file cannot be read, 69 when the server refuses
 * (authentication, unknown database), 75 when it cannot be reached. */
MYSQL *my_connect(const struct my_params *p);
/* The connection as a message's WHERE: the socket, HOST[:PORT] (localhost
 * when only a port is given), or the option file, as given; "localhost"
 * when nothing was. */
const char *my_where(void);

/* The exit status a failure deserves, from the error number and SQLSTATE:
 * 75 for a lost or refused connection, a deadlock, a lock wait timeout,
 * a shutdown or a lack of resources; 69 for a missing table or database,
 * a permission or authentication failure; 65 for a value out of range;
 * 2 for other errors in the SQL text itself. */
int my_exit_status(unsigned err, const char *sqlstate);
/* "etl-NAME: WHERE: message" and exit with my_exit_status(). */
__attribute__((noreturn)) void my_die(MYSQL *m, const char *where);

/* Run one statement and discard any result; die with my_die() unless it
 * succeeds. */
void my_run(MYSQL *m, const char *where, const char *sql);

/* Append name as a quoted identifier: `name`, a backquote doubled. */
void my_ident(struct buf *b, const char *name, size_t n);
/* Append s as a string literal: '...', escaped by libmariadb for the
 * connection's character set and SQL mode. */
void my_literal(struct buf *b, MYSQL *m, const char *s, size_t n);

/* A table named "[database.]table" on the command line; a part holding a
 * dot is written in double quotes, as field paths are ("my.db".t). */
struct my_table {
	char *database; /* NULL when not given: the default database */
	char *name;
	char *quoted;  /* `database`.`table`, for SQL text */
	char *display; /* as given, for messages */
};
/* 0, or -1 with a message in err. */
int my_table_parse(struct my_table *t, const char *spec, char *err, size_t errsz);
void my_table_release(struct my_table *t);

#endif
