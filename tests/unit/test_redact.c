/*
 * test_redact.c - unit tests of common/redact.c.
 *
 * What is proved: the password of a libpq connection string goes in every
 * quoting libpq accepts, with its blank, and nothing else does; the password
 * of a URI's user information and password parameters of its query go
 * (also percent-encoded), the rest of the URI stays; a URI inside other text
 * is found; and a secret once seen is hidden by value in any later text,
 * unless it is too short to look for.
 */
#include "redact.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "unit.h"

#include "banned.h"

static const char *r(const char *in)
{
	static char *last;

	free(last);
	last = redact(in);
	return last;
}

int main(void)
{
	/* libpq key=value */
	CHECK_STR(r("host=/x password=s3cr3tPW dbname=db"), "host=/x dbname=db");
	CHECK_STR(r("password=s3cr3tPW host=/x"), "host=/x");
	CHECK_STR(r("host=/x password=s3cr3tPW"), "host=/x");
	CHECK_STR(r("host=/x password = 'a b\\' c' port=5"), "host=/x port=5");
	CHECK_STR(r("host=/x\tpassword='' port=5"), "host=/x port=5");
	CHECK_STR(r("host=/x PASSWORD=s3cr3tPW"), "host=/x");
	CHECK_STR(r("sslpassword=k3yPW host=/x"), "host=/x");
	CHECK_STR(r("--db=password=s3cr3tPW host=/x"), "--db=host=/x");
	/* not a password pair */
	CHECK_STR(r("dbname=password user=passwords"), "dbname=password user=passwords");
	CHECK_STR(r("passfile=/p host=h"), "passfile=/p host=h");
	CHECK_STR(r("nosuchdb"), "nosuchdb");
	CHECK_STR(r(""), "");
	/* URIs */
	CHECK_STR(r("postgresql://u:s3cr3tPW@h:5432/db"), "postgresql://u@h:5432/db");
	CHECK_STR(r("postgres://u:s3cr3tPW@h1,h2/db?sslmode=require"),
		  "postgres://u@h1,h2/db?sslmode=require");
	CHECK_STR(r("postgresql://u:p@ss@h/db"), "postgresql://u@h/db");
	CHECK_STR(r("postgresql:///db?password=s3cr3tPW&host=/x"), "postgresql:///db?host=/x");
	CHECK_STR(r("postgresql:///db?host=/x&password=s3cr3tPW"), "postgresql:///db?host=/x");
	CHECK_STR(r("postgresql:///db?host=/x&%70assword=s3cr3tPW&port=5"),
		  "postgresql:///db?host=/x&port=5");
	CHECK_STR(r("postgresql:///db?password=s3cr3tPW"), "postgresql:///db");
	CHECK_STR(r("postgresql://u@h/db"), "postgresql://u@h/db");
	CHECK_STR(r("https://tok:abcdefgh@api.example.com/v1"), "https://tok@api.example.com/v1");
	CHECK_STR(r("bad URI: \"postgresql://u:s3cr3tPW@[::1\" at 3"),
		  "bad URI: \"postgresql://u@[::1\" at 3");
	/* by value: secrets seen above are hidden in any text */
	CHECK_STR(r("missing \"=\" after \"s3cr3tPW\""), "missing \"=\" after \"***\"");
	CHECK_STR(r("a b' c and k3yPW"), "*** and ***");
	redact_remember("xy", 2);
	CHECK_STR(r("xyz"), "xyz");
	redact_remember("envSecret", 9);
	{
		struct buf b = BUF_INIT;

		buf_adds(&b, "etl-x: host=h password=abc: envSecret!");
		redact_buf(&b);
		CHECK_STR(b.p, "etl-x: host=h ***!");
		buf_release(&b);
	}
	r("");
	return unit_done();
}
