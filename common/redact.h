/*
 * redact.h - secrets out of everything a program echoes.
 *
 * A program repeats what it was given in several places: the "arguments" of
 * --stats, the WHERE of a message about a connection, a libpq message that
 * quotes the connection string.  Each of them goes through this module, so
 * that a password given on the command line (CONVENTIONS section 2 allows
 * it, though it never requires it) or in the environment is never written
 * out.
 *
 * Two rules, applied together:
 *  - by form: a "password" or "sslpassword" pair of a libpq connection
 *    string, in any quoting (password=x, password = 'a b', password='it\'s'),
 *    the password of a URI's user information (scheme://user:PASSWORD@host),
 *    and a password or sslpassword parameter of a URI's query (?password=x,
 *    also percent-encoded) are taken out, with their separator;
 *  - by value: every secret seen by form, every value of an option marked
 *    secret and every secret remembered from the environment ($PGPASSWORD) is
 *    replaced by "***" wherever it appears.  Values shorter than 4 bytes are
 *    not searched for in free text, where they would garble the message
 *    rather than hide anything.
 */
#ifndef ETL_REDACT_H
#define ETL_REDACT_H

#include <stddef.h>

struct buf;

/* A copy of text with its secrets taken out (the caller frees it).  The
 * passwords found are remembered for the rule by value. */
char *redact(const char *text);
/* The same, in place, for a message being written. */
void redact_buf(struct buf *b);
/* Remember a secret of n bytes (NULL is ignored), to be hidden by value. */
void redact_remember(const char *secret, size_t n);

#endif
