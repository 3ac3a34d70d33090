/*
 * partial.c - partial states read back: --merge finishes them, and a
 * parallel run uses them to bring its workers' results home (--partial
 * writes them through result.c, as the workers do).
 *
 * A partial stream is NDJSON: a header naming the options that made it,
 *   {"etl_agg":"partial","version":1,"group_by":[...],"aggregates":[...]}
 * then one record per group,
 *   {"key":{"date":"2026-03-14","product_id":275},"state":[...]}
 * whose states hold everything a result needs (exact sums as exact numbers,
 * sketches as their registers or centroids).  --merge takes the same -g and
 * -a as the producers and refuses a header that differs, so states are never
 * folded into the wrong function.  Streams of several producers may simply
 * be concatenated: groups are folded in input order, which is what makes
 * first(), last(), mode() and collect() come out as one pass over the
 * producers' inputs in that order would.
 *
 * Parallel runs.  A large regular input file is cut at line boundaries into
 * parts; part 0 is read by this process, parts 1..N-1 by forked workers
 * that aggregate into their own copy of the (empty) group table and write
 * their groups as partial records to a pipe, then exit without running the
 * exit hooks (the -o temp file and --stats belong to the parent).  The
 * parent folds the workers' streams in part order.  A worker that meets a
 * bad record gives up at once and exits with WORKER_FALLBACK: its part is
 * then read again by the parent, with the right line numbers and the
 * --bad-records policy, after the parts before it, so messages, reject
 * files and fail-fast behave as in a sequential run.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agg.h"
#include "cli.h"
#include "die.h"
#include "input.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "shard.h"
#include "stats.h"
#include "banned.h"

#define WORKER_FALLBACK 3
#define MAX_WORKERS 64
/* Parts smaller than this are not worth a process. */
#define MIN_PART ((uint64_t)8 << 20)
/* Default --jobs: the processors available, at most this many. */
#define DEFAULT_JOBS 4
/* The pipe a worker writes to (Linux's limit for unprivileged users). */
#define PIPE_BUF_WANTED (1 << 20)

static void *mtmp; /* a state block to load into before folding */

/* Fold one partial record into its group.  The state is loaded into a
 * scratch block first, so that a malformed one changes nothing. */
static int merge_record(struct span key, struct span state, char *err, size_t errsz)
{
	struct span gv[64], *gvp = gv, inner;
	struct group *g;
	struct hash128 h = {1, 0};

	if (!mtmp)
		mtmp = states_new();
	if (states_load(mtmp, state, err, errsz) != 0) {
		states_release(mtmp);
		memset(mtmp, 0, plan.stsize);
		return -1;
	}
	if (plan.ngpaths > 64)
		gvp = xcalloc(plan.ngpaths, sizeof(*gvp));
	for (size_t i = 0; i < plan.ngpaths; i++)
		gvp[i] = scan_lookup(key, &plan.gpaths[i]);
	if (plan.ngpaths)
		h = key_hash(gvp);
	/* the key's members as written, without the braces */
	inner.p = key.p + 1;
	inner.n = key.n - 2;
	while (inner.n && (*inner.p == ' ' || *inner.p == '\t'))
		inner.p++, inner.n--;
	while (inner.n && (inner.p[inner.n - 1] == ' ' || inner.p[inner.n - 1] == '\t'))
		inner.n--;
	g = group_get(gvp, h, inner.p, inner.n);
	group_fold(g, mtmp);
	memset(mtmp, 0, plan.stsize);
	if (gvp != gv)
		free(gvp);
	return 0;
}

static struct path mpaths[4];

static void merge_paths(void)
{
	static const char *const names[] = {"etl_agg", "key", "state", "etl_agg_worker"};
	const char *err;
	size_t off;

	if (mpaths[0].nseg)
		return;
	for (size_t i = 0; i < 4; i++)
		path_parse(&mpaths[i], names[i], 1, &err, &off);
}

static struct buf own; /* this run's header: static, so that dying frees nothing */

void merge_run(void)
{
	static struct ndjson *nd; /* static: reachable when a record dies */
	struct record rec;
	char err[256];
	int seen = 0;

	merge_paths();
	partial_header(&own);
	nd = nd_open(cli.files, cli.nfiles, mpaths, 3);
	while (nd_next(nd, &rec) > 0) {
		struct span hdr = rec.vals[0], key = rec.vals[1], state = rec.vals[2];

		arena_reset(&scratch);
		if (hdr.p) {
			if (rec.line.n != own.len || memcmp(rec.line.p, own.p, own.len) != 0)
				etl_die(ETL_EXIT_USAGE, etl_where(rec.file, rec.lineno, 0),
					"partial states of other options: this run's -g and -a make "
					"%s",
					own.p);
			seen = 1;
			stats.records_out++;
			continue;
		}
		if (!seen) {
			nd_reject(nd, &rec, 0,
				  "not a partial state of etl-agg (no header before it)");
			continue;
		}
		if (scan_kind(key) != SCAN_OBJECT || !state.p) {
			nd_reject(nd, &rec, 0, "not a partial state of etl-agg");
			continue;
		}
		if (merge_record(key, state, err, sizeof(err)) != 0) {
			nd_reject(nd, &rec, 0, "%s", err);
			continue;
		}
		stats.records_out++;
	}
	nd_close(nd);
	buf_release(&own);
	groups_write();
	if (mtmp)
		states_release(mtmp);
	free(mtmp);
	for (size_t i = 0; i < 4; i++)
		path_release(&mpaths[i]);
}

/* ---- workers ---- */

struct worker {
	pid_t pid;
	int fd;
	uint64_t start, end;
};
static struct worker workers[MAX_WORKERS];
static int nworkers;
static const char *wfile;

static void kill_workers(int status)
{
	(void)status;
	for (int i = 0; i < nworkers; i++)
		if (workers[i].pid > 0)
			kill(workers[i].pid, SIGTERM);
}

static int ncpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/* The offset just after the first '\n' at or after off (size if none). */
static uint64_t next_line(int fd, uint64_t off, uint64_t size)
{
	char b[65536];

	while (off < size) {
		ssize_t r = pread(fd, b, sizeof(b), (off_t)off);
		char *nl;

		if (r <= 0)
			return size;
		nl = memchr(b, '\n', (size_t)r);
		if (nl)
			return off + (uint64_t)(nl - b) + 1;
		off += (uint64_t)r;
	}
	return size;
}

/* The number of lines before offset end (for a part read again). */
static uint64_t lines_before(const char *file, uint64_t end)
{
	char b[65536];
	uint64_t off = 0, n = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		etl_die(ETL_EXIT_IOERR, file, "cannot open: %s", strerror(errno));
	while (off < end) {
		size_t want = end - off < sizeof(b) ? (size_t)(end - off) : sizeof(b);
		ssize_t r = pread(fd, b, want, (off_t)off);

		if (r <= 0)
			etl_die(ETL_EXIT_IOERR, file, "read error: %s",
				r < 0 ? strerror(errno) : "file shrank");
		for (char *p = b, *e = b + r; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
			n++;
		off += (uint64_t)r;
	}
	close(fd);
	return n;
}

static void write_fd(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			_exit(ETL_EXIT_IOERR);
		p += w;
		n -= (size_t)w;
	}
}

/* A worker: aggregate [start, end) of the file and write the groups. */
static void worker_main(uint64_t start, uint64_t end, int fd) __attribute__((noreturn));
static void worker_main(uint64_t start, uint64_t end, int fd)
{
	struct input *in = input_open_range(wfile, start, end, 0);
	struct scan_want *w = scan_want_new(plan.want, plan.nwant);
	struct span *rv = xcalloc(plan.nwant + 1, sizeof(*rv));
	struct val *vals = xcalloc(plan.nex + 1, sizeof(*vals));
	struct buf b = BUF_INIT;
	uint64_t n = 0;
	struct line l;
	char err[256];

	nworkers = 0; /* the parent's, not ours to kill */
	progress_countdown = 0;
	while (input_line(in, &l) > 0) {
		struct scan_err serr;

		if (nd_blank(l.p, l.n))
			continue;
		n++;
		arena_reset(&scratch);
		if (scan_record(l.p, l.n, w, rv, &serr) != 0 ||
		    eval_record(rv, vals, err, sizeof(err)) != 0)
			_exit(WORKER_FALLBACK);
		group_add(rv + plan.gbase, vals);
	}
	for (size_t i = 0; i < batch.n; i++) {
		partial_group(&b, batch.list[i]->key, batch.list[i]->keylen, batch.list[i]->st);
		buf_addc(&b, '\n');
		if (b.len > (1 << 20)) {
			write_fd(fd, b.p, b.len);
			buf_reset(&b);
		}
	}
	buf_printf(&b, "{\"etl_agg_worker\":{\"records\":%llu,\"bytes\":%llu,\"seen\":[",
		   (unsigned long long)n, (unsigned long long)(end - start));
	for (size_t i = 0; i < plan.nex; i++) {
		if (i)
			buf_addc(&b, ',');
		expr_seen_write(plan.ex[i], &b);
	}
	buf_adds(&b, "]}}\n");
	write_fd(fd, b.p, b.len);
	_exit(0);
}

struct ndjson *workers_start(void)
{
	uint64_t cut[MAX_WORKERS + 1], size;
	struct stat st;
	int jobs = opt.jobs < 0 ? (ncpus() < DEFAULT_JOBS ? ncpus() : DEFAULT_JOBS) : opt.jobs;
	int fd, n = 0;

	/* a shard's records are a sparse slice of the file: one process */
	if (jobs < 2 || opt.memory || shard_slice.n || cli.nfiles != 1 ||
	    strcmp(cli.files[0], "-") == 0)
		return NULL;
	wfile = cli.files[0];
	if (stat(wfile, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	size = (uint64_t)st.st_size;
	if (size / MIN_PART < (uint64_t)jobs)
		jobs = (int)(size / MIN_PART);
	if (jobs < 2)
		return NULL;
	fd = open(wfile, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL; /* the reader reports it */
	cut[n++] = 0;
	for (int k = 1; k < jobs; k++) {
		uint64_t c = next_line(fd, size / (uint64_t)jobs * (uint64_t)k - 1, size);

		if (c > cut[n - 1] && c < size)
			cut[n++] = c;
	}
	cut[n] = size;
	close(fd);
	if (n < 2)
		return NULL;
	etl_atexit(kill_workers);
	etl_atsignal(kill_workers); /* kill() is async-signal-safe */
	for (int k = 1; k < n; k++) {
		int p[2];
		pid_t pid;

		if (pipe(p) != 0)
			etl_die(ETL_EXIT_SOFTWARE, NULL, "pipe: %s", strerror(errno));
		/* A worker's states can be large (a count_distinct of millions):
		 * a bigger pipe spares a read and a wake-up per 64 KiB.  The
		 * default is fine when the system refuses. */
		(void)fcntl(p[0], F_SETPIPE_SZ, PIPE_BUF_WANTED);
		/* a signal between the fork and the note of the pid would leave
		 * the worker unknown to kill_workers() */
		etl_signals_hold();
		pid = fork();
		if (pid < 0)
			etl_die(ETL_EXIT_SOFTWARE, NULL, "fork: %s", strerror(errno));
		if (pid == 0) {
			etl_signals_release();
			close(p[0]);
			worker_main(cut[k], cut[k + 1], p[1]);
		}
		close(p[1]);
		workers[nworkers].pid = pid;
		workers[nworkers].fd = p[0];
		workers[nworkers].start = cut[k];
		workers[nworkers].end = cut[k + 1];
		nworkers++;
		etl_signals_release();
	}
	return nd_open_input(input_open_range(wfile, 0, cut[1], 0), plan.want, plan.nwant);
}

/* Member key of a validated object (p == NULL when missing). */
static struct span member(struct span obj, const char *key)
{
	struct scan_iter it;
	struct span k, v;

	scan_iter_init(&it, obj);
	while (scan_iter_next(&it, &k, &v))
		if (scan_key_eq(k, key, strlen(key)))
			return v;
	return (struct span){NULL, 0};
}

/* The number in member key of a validated object (0 when missing). */
static uint64_t member_u64(struct span obj, const char *key)
{
	struct span v = member(obj, key);

	return v.p && scan_kind(v) == SCAN_NUMBER ? strtoull(v.p, NULL, 10) : 0;
}

/* Add a worker's counts of the fields its expressions read. */
static void add_seen(struct span seen)
{
	struct scan_iter it;
	struct span k, v;
	size_t i = 0;

	if (seen.p && scan_kind(seen) == SCAN_ARRAY) {
		scan_iter_init(&it, seen);
		while (i < plan.nex && scan_iter_next(&it, &k, &v)) {
			if (expr_seen_add(plan.ex[i], v) != 0)
				break;
			i++;
		}
	}
	if (i != plan.nex)
		etl_die(ETL_EXIT_SOFTWARE, NULL, "a worker's counts of fields seen do not match");
}

/* Fold a worker's stream; 0, or -1 when it gave up (nothing folded). */
static int fold_worker(struct worker *w)
{
	char name[32], err[256];
	char *files[1] = {name};
	struct stats saved = stats;
	static struct ndjson *nd;
	struct record rec;
	uint64_t records = 0, bytes = 0;
	int status, trailer = 0;

	merge_paths();
	snprintf(name, sizeof(name), "/dev/fd/%d", w->fd);
	nd = nd_open(files, 1, mpaths, 4);
	while (nd_next(nd, &rec) > 0) {
		arena_reset(&scratch);
		if (rec.vals[3].p) {
			records = member_u64(rec.vals[3], "records");
			bytes = member_u64(rec.vals[3], "bytes");
			add_seen(member(rec.vals[3], "seen"));
			trailer = 1;
			continue;
		}
		if (merge_record(rec.vals[1], rec.vals[2], err, sizeof(err)) != 0)
			etl_die(ETL_EXIT_SOFTWARE, etl_where(rec.file, rec.lineno, 0),
				"a worker's partial state: %s", err);
	}
	nd_close(nd);
	close(w->fd);
	stats = saved;
	while (waitpid(w->pid, &status, 0) < 0)
		if (errno != EINTR)
			etl_die(ETL_EXIT_SOFTWARE, NULL, "waitpid: %s", strerror(errno));
	w->pid = 0;
	if (WIFSIGNALED(status))
		etl_die(ETL_EXIT_SOFTWARE, NULL, "a worker process was killed by signal %d",
			WTERMSIG(status));
	if (WEXITSTATUS(status) == WORKER_FALLBACK)
		return -1;
	if (WEXITSTATUS(status) != 0)
		etl_exit(WEXITSTATUS(status)); /* the worker said why */
	if (!trailer)
		etl_die(ETL_EXIT_SOFTWARE, NULL, "a worker ended without its results");
	stats.records_in += records;
	stats.records_out += records;
	stats.bytes_in += bytes;
	return 0;
}

void workers_finish(void)
{
	for (int i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];

		if (fold_worker(w) != 0) {
			uint64_t lineno = lines_before(wfile, w->start);
			static struct ndjson *nd;

			nd = nd_open_input(input_open_range(wfile, w->start, w->end, lineno),
					   plan.want, plan.nwant);

			consume(nd);
			nd_close(nd);
		}
	}
	nworkers = 0;
}
