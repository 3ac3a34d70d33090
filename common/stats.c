/*
 * stats.c - counters, the --progress line and the --stats record.
 *
 * The progress line is redrawn at most five times a second; between redraws
 * the per-record cost is one decrement (progress_tick).  Its bar and ETA
 * come from the bytes read out of the inputs' total size, or, when that is
 * unknown, from the records read out of an expected count.  The --stats record
 * is written by an exit hook, so it is there whatever way the run ends, with
 * the exit status that the scheduler will see.
 */
#include "stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "input.h"
#include "jsonw.h"
#include "out.h"
#include "banned.h"

struct stats stats;
unsigned progress_countdown;

#define TICK_EVERY 4096

static int progress_on, progress_shown;
static uint64_t total_bytes, total_records;
static double t0, last_draw;
static const char *stats_path;
static void (*extra)(struct buf *b);
static void (*pextra)(struct buf *b);
static int sargc;
static char **sargv;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void start_clock(void)
{
	if (t0 == 0)
		t0 = now();
}

void progress_setup(int mode)
{
	start_clock();
	progress_on = mode == 2 || (mode == 1 && isatty(2));
	if (progress_on)
		progress_countdown = TICK_EVERY;
}

void progress_input(const struct input *in)
{
	total_bytes = input_total(in);
}

void progress_total_records(uint64_t n)
{
	total_records = n;
}

static void hms(char *b, size_t n, double s)
{
	long t = (long)s;

	if (t >= 3600)
		snprintf(b, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(b, n, "%ld:%02ld", t / 60, t % 60);
}

static void draw(double t)
{
	double el = t - t0 > 1e-9 ? t - t0 : 1e-9;
	uint64_t bytes = stats.bytes_in, done = bytes, total = total_bytes;
	char e[32], line[256];
	int n;

	if (!total) {
		done = stats.records_in;
		total = total_records;
	}
	hms(e, sizeof(e), el);
	n = snprintf(line, sizeof(line), "%s: %llu records, %.0f rec/s, %.1f MB/s, %s",
		     etl_progname, (unsigned long long)stats.records_in, stats.records_in / el,
		     bytes / el / 1e6, e);
	if (pextra && n > 0 && (size_t)n < sizeof(line)) {
		struct buf b = BUF_INIT;

		pextra(&b);
		n += snprintf(line + n, sizeof(line) - n, "%s", b.p ? b.p : "");
		buf_release(&b);
	}
	if (total && done <= total && n > 0 && (size_t)n < sizeof(line)) {
		double f = (double)done / total;
		char bar[21], eta[32];
		int k = (int)(f * 20);

		for (int i = 0; i < 20; i++)
			bar[i] = i < k ? '=' : (i == k ? '>' : ' ');
		bar[20] = '\0';
		hms(eta, sizeof(eta), f > 0 ? el / f - el : 0);
		snprintf(line + n, sizeof(line) - n, " [%s] %3.0f%% ETA %s", bar, f * 100, eta);
	}
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	progress_shown = 1;
	last_draw = t;
}

void progress_update(void)
{
	double t = now();

	progress_countdown = TICK_EVERY;
	if (t - last_draw >= 0.2)
		draw(t);
}

void progress_clear(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}

void stats_setup(const char *path, int argc, char **argv)
{
	start_clock();
	stats_path = path;
	sargc = argc;
	sargv = argv;
	etl_atexit(stats_finish);
}

void stats_path_set(const char *path)
{
	stats_path = path;
}

void stats_extra(void (*fn)(struct buf *b))
{
	extra = fn;
}

void progress_extra(void (*fn)(struct buf *b))
{
	pextra = fn;
}

void stats_finish(int status)
{
	struct buf b = BUF_INIT;
	struct replace r;
	int rc;

	if (progress_on && status == 0)
		draw(now());
	progress_clear();
	if (!stats_path)
		return;
	buf_adds(&b, "{\"program\":");
	jw_string(&b, etl_progname, strlen(etl_progname));
	buf_adds(&b, ",\"arguments\":[");
	for (int i = 1; i < sargc; i++) {
		if (i > 1)
			buf_addc(&b, ',');
		jw_string(&b, sargv[i], strlen(sargv[i]));
	}
	buf_printf(&b,
		   "],\"records_in\":%llu,\"records_out\":%llu,\"bad\":%llu,\"dropped\":%llu,"
		   "\"bytes_in\":%llu,\"seconds\":%.3f,\"exit_status\":%d",
		   (unsigned long long)stats.records_in, (unsigned long long)stats.records_out,
		   (unsigned long long)stats.bad, (unsigned long long)stats.dropped,
		   (unsigned long long)stats.bytes_in, now() - t0, status);
	if (extra)
		extra(&b);
	buf_adds(&b, "}\n");
	/* replaced in one step like -o: a monitor never reads half a record */
	if (replace_open(&r, stats_path) != 0)
		goto fail;
	for (size_t off = 0; off < b.len;) {
		ssize_t w = write(r.fd, b.p + off, b.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;

			replace_abort(&r);
			free(r.target);
			errno = e;
			goto fail;
		}
		off += (size_t)w;
	}
	rc = replace_commit(&r);
	free(r.target);
	if (rc != 0)
		goto fail;
	buf_release(&b);
	return;
fail:
	/* exiting already: report, and make a success a failure */
	etl_error(stats_path, "cannot write statistics: %s", strerror(errno));
	buf_release(&b);
	if (status == 0)
		exit(ETL_EXIT_IOERR);
}
