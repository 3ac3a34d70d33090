/*
 * metrics.c - --metrics FILE (metrics.h).
 *
 * The text is built in one buffer and written through replace_open() /
 * replace_commit(), the same atomic replacement as -o, so a scraper reads
 * either the previous file or the new one.  A failure to write the file is
 * a warning, not the end of the run: monitoring must not stop the data.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "mem.h"
#include "metrics.h"
#include "out.h"
#include "stats.h"
#include "banned.h"

struct metric {
	const char *name, *help;
	const uint64_t *counter;
	const int64_t *gauge;
};

static char *path;
static int64_t interval, last;
static unsigned countdown;
static struct metric *metrics;
static size_t nmetrics, cap;
static int warned;

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void add(const char *name, const char *help, const uint64_t *c, const int64_t *g)
{
	xgrow(&metrics, &cap, nmetrics + 1, sizeof(*metrics));
	metrics[nmetrics++] = (struct metric){name, help, c, g};
}

static void write_file(void)
{
	struct buf b = BUF_INIT, prefix = BUF_INIT;
	struct replace r;
	size_t off = 0;
	int rc;

	buf_adds(&prefix, "etl_");
	for (const char *p = strncmp(etl_progname, "etl-", 4) ? etl_progname : etl_progname + 4; *p;
	     p++)
		buf_addc(&prefix, *p == '-' ? '_' : *p);
	for (size_t i = 0; i < nmetrics; i++) {
		const struct metric *m = &metrics[i];
		const char *type = m->counter ? "counter" : "gauge";

		buf_printf(&b, "# HELP %s_%s %s\n# TYPE %s_%s %s\n", prefix.p, m->name, m->help,
			   prefix.p, m->name, type);
		if (m->counter)
			buf_printf(&b, "%s_%s %llu\n", prefix.p, m->name,
				   (unsigned long long)*m->counter);
		else
			buf_printf(&b, "%s_%s %lld\n", prefix.p, m->name, (long long)*m->gauge);
	}
	if (replace_open(&r, path) < 0)
		goto fail;
	while (off < b.len) {
		ssize_t w = write(r.fd, b.p + off, b.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			replace_abort(&r);
			goto fail;
		}
		off += (size_t)w;
	}
	rc = replace_commit(&r);
	free(r.target);
	if (rc < 0)
		goto fail;
	goto done;
fail:
	if (!warned++)
		etl_warn(path, "cannot write the metrics: %s", strerror(errno));
done:
	buf_release(&b);
	buf_release(&prefix);
}

static void at_exit(int status)
{
	(void)status;
	write_file();
	free(metrics);
	free(path);
}

void metrics_setup(const char *p, int64_t interval_us)
{
	if (!p)
		return;
	path = xstrdup(p);
	interval = interval_us;
	last = now_us();
	countdown = 4096;
	add("records_in_total", "Records read.", &stats.records_in, NULL);
	add("records_out_total", "Records written.", &stats.records_out, NULL);
	add("bad_total", "Bad records.", &stats.bad, NULL);
	add("dropped_total", "Records dropped on purpose.", &stats.dropped, NULL);
	etl_atexit(at_exit);
	write_file();
}

void metrics_counter(const char *name, const char *help, const uint64_t *v)
{
	if (path)
		add(name, help, v, NULL);
}

void metrics_gauge(const char *name, const char *help, const int64_t *v)
{
	if (path)
		add(name, help, NULL, v);
}

void metrics_tick(int force)
{
	int64_t t;

	if (!path || (!force && --countdown))
		return;
	countdown = 4096;
	t = now_us();
	if (t - last < interval)
		return;
	last = t;
	write_file();
}
