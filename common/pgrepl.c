/*
 * pgrepl.c - the streaming replication protocol (pgrepl.h).
 *
 * The messages inside CopyData, all integers big-endian:
 *   'w' XLogData: start LSN, end of WAL, send time (8 bytes each), data;
 *   'k' keepalive: end of WAL, send time (8 each), reply requested (1);
 *   'r' standby status update (ours): written, flushed, applied LSN, send
 *       time (8 each), reply requested (1).
 * Times are microseconds since 2000-01-01.  We report what we received as
 * written, and only the confirmed position as flushed and applied: the
 * server moves the slot's confirmed_flush_lsn to the flushed position.
 */
#include "pgrepl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "mem.h"
#include "wal2json.h"
#include "banned.h"

/* 2000-01-01 in Unix microseconds */
#define PG_EPOCH_US 946684800000000LL

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t get64(const char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | (unsigned char)p[i];
	return v;
}

static void put64(char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (char)(v & 0xff);
}

int pg_repl_create_slot(PGconn *c, const char *slot, const char *plugin, uint64_t *consistent,
			char **snapshot, PGresult **res)
{
	struct buf q = BUF_INIT;
	PGresult *r;
	const char *cp;

	buf_adds(&q, "CREATE_REPLICATION_SLOT ");
	{
		char *id = PQescapeIdentifier(c, slot, strlen(slot));

		buf_adds(&q, id ? id : "\"\"");
		PQfreemem(id);
	}
	buf_printf(&q, " LOGICAL %s (SNAPSHOT 'export')", plugin);
	r = PQexec(c, q.p);
	buf_release(&q);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) < 3) {
		*res = r;
		return -1;
	}
	cp = PQgetvalue(r, 0, 1);
	if (w2j_lsn_parse(cp, strlen(cp), consistent) < 0) {
		*res = r;
		return -1;
	}
	*snapshot = xstrdup(PQgetvalue(r, 0, 2));
	PQclear(r);
	return 0;
}

int pg_repl_start(struct pg_repl *r, PGconn *c, const char *slot, uint64_t start,
		  const char *const *opts, PGresult **res)
{
	struct buf q = BUF_INIT;
	PGresult *pr;
	char *id = PQescapeIdentifier(c, slot, strlen(slot));

	memset(r, 0, sizeof(*r));
	r->c = c;
	r->confirmed = 0;
	buf_printf(&q, "START_REPLICATION SLOT %s LOGICAL %X/%X", id ? id : "\"\"",
		   (unsigned)(start >> 32), (unsigned)start);
	PQfreemem(id);
	for (size_t i = 0; opts && opts[i]; i += 2) {
		char *name = PQescapeIdentifier(c, opts[i], strlen(opts[i]));
		char *val = PQescapeLiteral(c, opts[i + 1], strlen(opts[i + 1]));

		buf_printf(&q, "%s%s %s", i ? ", " : " (", name ? name : "\"\"", val ? val : "''");
		PQfreemem(name);
		PQfreemem(val);
	}
	if (opts && opts[0])
		buf_addc(&q, ')');
	pr = PQexec(c, q.p);
	buf_release(&q);
	if (PQresultStatus(pr) != PGRES_COPY_BOTH) {
		*res = pr;
		return -1;
	}
	PQclear(pr);
	r->last_status_us = now_us();
	return 0;
}

static int send_status(struct pg_repl *r, int reply)
{
	char m[1 + 8 * 4 + 1];
	int64_t now = now_us();

	m[0] = 'r';
	put64(m + 1, r->received > r->confirmed ? r->received : r->confirmed);
	put64(m + 9, r->confirmed);
	put64(m + 17, r->confirmed);
	put64(m + 25, (uint64_t)(now - PG_EPOCH_US));
	m[33] = (char)reply;
	if (PQputCopyData(r->c, m, sizeof(m)) != 1 || PQflush(r->c) != 0)
		return -1;
	r->last_status_us = now;
	return 0;
}

int pg_repl_confirm(struct pg_repl *r, uint64_t lsn)
{
	if (lsn > r->confirmed)
		r->confirmed = lsn;
	return send_status(r, 0);
}

int pg_repl_recv(struct pg_repl *r, int timeout_ms, uint64_t *start, const char **data, size_t *n)
{
	int64_t deadline = now_us() + (int64_t)timeout_ms * 1000;

	if (r->msg) {
		PQfreemem(r->msg);
		r->msg = NULL;
	}
	for (;;) {
		int len = PQgetCopyData(r->c, &r->msg, 1);
		int64_t now;

		if (len > 0) {
			char *m = r->msg;

			if (m[0] == 'w' && len >= 25) {
				uint64_t end;

				*start = get64(m + 1);
				end = *start;
				if (end > r->received)
					r->received = end;
				*data = m + 25;
				*n = (size_t)len - 25;
				return 1;
			}
			if (m[0] == 'k' && len >= 18) {
				int reply = m[17];

				PQfreemem(r->msg);
				r->msg = NULL;
				if (reply && send_status(r, 0) < 0)
					return -1;
				continue;
			}
			PQfreemem(r->msg);
			r->msg = NULL;
			continue;
		}
		if (len == -2)
			return -1;
		if (len == -1) {
			/* the copy ended: the server's result says why */
			PGresult *res;

			while ((res = PQgetResult(r->c)))
				PQclear(res);
			return -1;
		}
		now = now_us();
		if (now - r->last_status_us >= 10000000 && send_status(r, 0) < 0)
			return -1;
		if (now >= deadline)
			return 0;
		{
			struct pollfd pfd = {PQsocket(r->c), POLLIN, 0};
			int64_t wait = (deadline - now) / 1000 + 1;

			if (wait > 1000)
				wait = 1000;
			if (poll(&pfd, 1, (int)wait) < 0 && errno != EINTR)
				return -1;
		}
		if (!PQconsumeInput(r->c))
			return -1;
	}
}

void pg_repl_release(struct pg_repl *r)
{
	if (r->msg)
		PQfreemem(r->msg);
	r->msg = NULL;
}
