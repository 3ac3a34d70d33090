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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "input.h"
#include "jsonw.h"
#include "mem.h"
#include "out.h"
#include "banned.h"

struct stats stats;
unsigned progress_countdown;

#define TICK_EVERY 4096

static int progress_on, progress_shown;
static uint64_t total_bytes, total_records;
static double t0, last_draw;
static const char *stats_path;
static int sargc;
static char **sargv;
static void (*extra)(struct buf *b);  /* a program's own --stats fields */
static void (*pextra)(struct buf *b); /* a program's own part of the progress line */

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
	if (total && done <= total && n > 0 && (size_t)n < sizeof(line)) {
		double f = (double)done / total;
		char bar[21], eta[32];
		int k = (int)(f * 20);

		for (int i = 0; i < 20; i++)
			bar[i] = i < k ? '=' : (i == k ? '>' : ' ');
		bar[20] = '\0';
		hms(eta, sizeof(eta), f > 0 ? el / f - el : 0);
		n += snprintf(line + n, sizeof(line) - n, " [%s] %3.0f%% ETA %s", bar, f * 100,
			      eta);
	}
	if (pextra && n > 0 && (size_t)n < sizeof(line)) {
		struct buf b = BUF_INIT;

		pextra(&b);
		snprintf(line + n, sizeof(line) - n, "%s", b.p ? b.p : "");
		buf_release(&b);
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

/* ---- the --stats record ---------------------------------------------------
 *
 * The record is made by render(), which only copies bytes and turns numbers
 * into digits, so that the signal hook can make it too: "program" and
 * "arguments" are rendered once, when the --stats file is known, into head;
 * the file names the signal hook needs are found then as well.  At a normal exit the file
 * is replaced like -o (replace_open); from a signal it is written to a
 * temporary name of this process and renamed.
 */

static char *head, *record;
static size_t headlen, recordcap;
static char *sig_target, *sig_tmp;
static int sig_in_place, sig_fd; /* in place, or through our descriptor (replace_target) */

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *put_u64(char *p, uint64_t v)
{
	char t[20];
	int n = 0;

	do
		t[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		*p++ = t[--n];
	return p;
}

/* The record, with its "\n", into record; its length.  Records read and not
 * accounted for as written, bad or dropped (the run ended before it was
 * through with them) are "unwritten", so that the counts add up. */
static size_t render(int status)
{
	uint64_t in = stats.records_in, out = stats.records_out, bad = stats.bad,
		 dropped = stats.dropped, done = out + bad + dropped, ms;
	double el = now() - t0;
	char *p = record;

	ms = el > 0 ? (uint64_t)(el * 1000 + 0.5) : 0;
	memcpy(p, head, headlen);
	p += headlen;
	p = put_u64(put_str(p, ",\"records_in\":"), in);
	p = put_u64(put_str(p, ",\"records_out\":"), out);
	p = put_u64(put_str(p, ",\"bad\":"), bad);
	p = put_u64(put_str(p, ",\"dropped\":"), dropped);
	if (stats.sharded)
		p = put_u64(put_str(p, ",\"skipped\":"), stats.skipped);
	p = put_u64(put_str(p, ",\"unwritten\":"), in > done ? in - done : 0);
	p = put_u64(put_str(p, ",\"bytes_in\":"), stats.bytes_in);
	p = put_u64(put_str(p, ",\"seconds\":"), ms / 1000);
	*p++ = '.';
	*p++ = (char)('0' + ms / 100 % 10);
	*p++ = (char)('0' + ms / 10 % 10);
	*p++ = (char)('0' + ms % 10);
	p = put_u64(put_str(p, ",\"exit_status\":"), status < 0 ? 0 : (uint64_t)status);
	p = put_str(p, "}\n");
	return (size_t)(p - record);
}

void stats_setup(const char *path, int argc, char **argv)
{
	start_clock();
	sargc = argc;
	sargv = argv;
	etl_atexit(stats_finish);
	etl_atsignal(stats_on_signal);
	stats_path_set(path);
}

/* Once the options are parsed (the program may still redact an argument
 * while it parses them), everything the record needs is made ready. */
void stats_path_set(const char *path)
{
	struct buf b = BUF_INIT;
	const char *slash;

	stats_path = path;
	free(sig_target);
	free(sig_tmp);
	free(head);
	free(record);
	sig_target = sig_tmp = head = record = NULL;
	if (!path)
		return;
	buf_adds(&b, "{\"program\":");
	jw_string(&b, etl_progname, strlen(etl_progname));
	buf_adds(&b, ",\"arguments\":[");
	for (int i = 1; i < sargc; i++) {
		if (i > 1)
			buf_addc(&b, ',');
		jw_string(&b, sargv[i], strlen(sargv[i]));
	}
	buf_addc(&b, ']');
	head = buf_detach(&b, &headlen);
	/* eight numbers of at most 20 digits and their names */
	recordcap = headlen + 512;
	record = xmalloc(recordcap);
	sig_target = replace_target(path, &sig_in_place, &sig_fd);
	slash = strrchr(sig_target, '/');
	buf_printf(&b, "%.*s.%s.%ld.signal", slash ? (int)(slash - sig_target + 1) : 0, sig_target,
		   slash ? slash + 1 : sig_target, (long)getpid());
	sig_tmp = buf_detach(&b, NULL);
}

static int write_full(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void stats_on_signal(int status)
{
	struct stat st;
	size_t n;
	mode_t mask;
	int fd, ok;

	if (progress_shown)
		write_full(2, "\r\033[K", 4);
	if (!stats_path || !record)
		return;
	n = render(status);
	if (sig_fd >= 0) {
		write_full(sig_fd, record, n);
		return;
	}
	if (sig_in_place || (stat(sig_target, &st) == 0 && !S_ISREG(st.st_mode))) {
		fd = open(sig_target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (fd >= 0) {
			write_full(fd, record, n);
			close(fd);
		}
		return;
	}
	fd = open(sig_tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	mask = umask(0);
	umask(mask);
	ok = write_full(fd, record, n) == 0 && fchmod(fd, 0666 & ~mask) == 0 && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = 0;
	if (!ok || rename(sig_tmp, sig_target) != 0)
		unlink(sig_tmp);
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
	struct replace r;
	struct buf b = BUF_INIT;
	const char *p;
	size_t n;
	int rc;

	if (progress_on && status == 0)
		draw(now());
	progress_clear();
	if (!stats_path)
		return;
	n = render(status);
	p = record;
	if (extra) {
		/* the program's fields go before the closing brace; a signal's
		 * record (stats_on_signal) has the common fields only */
		buf_add(&b, record, n - 2);
		extra(&b);
		buf_adds(&b, "}\n");
		p = b.p;
		n = b.len;
	}
	/* replaced in one step like -o: a monitor never reads half a record */
	if (replace_open(&r, stats_path) != 0)
		goto fail;
	if (write_full(r.fd, p, n) != 0) {
		int e = errno;

		replace_abort(&r);
		free(r.target);
		errno = e;
		goto fail;
	}
	buf_release(&b);
	rc = replace_commit(&r);
	free(r.target);
	if (rc != 0)
		goto fail;
	return;
fail:
	buf_release(&b);
	/* exiting already: report, and make a success a failure */
	etl_error(stats_path, "cannot write statistics: %s", strerror(errno));
	if (status == 0)
		exit(ETL_EXIT_IOERR);
}
