/*
 * etl-shard - split records into N shards by a stable hash of a key: one
 * file per shard (-o 'part-{}.ndjson'), or one command per shard fed the
 * shard's records on its standard input (--to-command 'CMD {}').
 *
 * The shard of a record is shard_of() (shard.h): the upper 64 bits of the
 * XXH3-128 of the key's canonical text, modulo N, the rule that --shard K/N
 * of the programs with keyed state applies, so that "etl-shard -n N" and N
 * runs of "etl-dedupe --shard K/N" cut the same slices.
 *
 * Invariants:
 *  - Records are written byte-exact, each to exactly one shard, in input
 *    order within the shard.
 *  - Memory is flat: one buffer of BUFSZ bytes per shard (a longer record
 *    is written through), whatever the input.
 *  - -o files are atomic, all of them: each is written to a temporary file
 *    beside its target, and only a run that succeeds renames them, every
 *    shard (an empty one included) getting its file.
 *  - A command that fails fails the run with its own exit status (128+N
 *    when a signal ended it); one that stops reading before its records are
 *    all written fails the run with status 74.  Records count as written
 *    (records_out) only when the run succeeds.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bad.h"
#include "buf.h"
#include "cli.h"
#include "die.h"
#include "hash.h"
#include "mem.h"
#include "ndjson.h"
#include "out.h"
#include "path.h"
#include "shard.h"
#include "stats.h"
#include "banned.h"

enum { OPT_KEY = 1, OPT_SHARDS, OPT_OUTPUT, OPT_COMMAND };

static const struct cli_opt opts[] = {
	{OPT_KEY, "key", 'k', CLI_ARG, "FIELDS", "the key whose hash picks the shard (required)"},
	{OPT_SHARDS, "shards", 'n', CLI_ARG, "N", "the number of shards (required)"},
	{OPT_OUTPUT, "output", 'o', CLI_ARG, "PATTERN",
	 "write shard K to PATTERN with {} replaced by K, atomically"},
	{OPT_COMMAND, "to-command", 0, CLI_ARG, "CMD",
	 "run CMD ({} replaced by K) per shard, its records on stdin"},
	{0, NULL, 0, 0, NULL, NULL},
};

/* The most shards: each holds a descriptor and a buffer. */
#define MAX_SHARDS 4096
#define BUFSZ (64 * 1024)

static struct path *keys;
static size_t nkeys;
static uint64_t nshards;
static const char *pattern, *command;

struct shard {
	char *name; /* the -o file, or the command, with {} replaced */
	struct replace file;
	pid_t pid;
	int fd, stopped; /* stopped: the command closed its stdin */
	char *buf;
	size_t len;
	uint64_t records;
};

static struct shard *shards;
static int committed;

static void on_opt(int id, const char *arg)
{
	switch (id) {
	case OPT_KEY:
		path_list_free(keys, nkeys);
		keys = NULL;
		nkeys = 0;
		cli_paths(cli_optname, arg, &keys, &nkeys);
		break;
	case OPT_SHARDS:
		nshards = cli_uint(cli_optname, arg, 1, MAX_SHARDS);
		break;
	case OPT_OUTPUT:
		if (!strstr(arg, "{}"))
			cli_usage_error(cli_optname, "the pattern has no {} for the shard number");
		pattern = arg;
		break;
	case OPT_COMMAND:
		if (!*arg)
			cli_usage_error(cli_optname, "the command is empty");
		command = arg;
		break;
	}
}

static const struct cli_prog prog = {
	"etl-shard",
	"-k FIELDS -n N (-o PATTERN | --to-command CMD) [OPTIONS] [FILE...]",
	"Split records into N shards by a stable hash of a key, byte-exact.",
	opts,
	CLI_NO_OUTPUT,
	on_opt,
};

/* s with every "{}" replaced by k, as a new string. */
static char *subst(const char *s, uint64_t k)
{
	struct buf b = BUF_INIT;

	for (const char *p; (p = strstr(s, "{}")) != NULL; s = p + 2) {
		buf_add(&b, s, (size_t)(p - s));
		buf_printf(&b, "%llu", (unsigned long long)k);
	}
	buf_adds(&b, s);
	return buf_detach(&b, NULL);
}

/* A failed run leaves no -o file: the temporary ones go; and its commands,
 * which saw only part of their records, are stopped before they could take
 * the end of their input for the end of the data. */
static void abort_files(int status)
{
	(void)status;
	if (committed || !shards)
		return;
	for (uint64_t k = 0; k < nshards; k++) {
		struct shard *s = &shards[k];

		if (pattern && s->name) {
			replace_abort(&s->file);
		} else if (command && s->pid > 0) {
			kill(s->pid, SIGTERM);
			close(s->fd);
			while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
	}
}

static void abort_files_on_signal(int status)
{
	(void)status;
	if (committed || !shards)
		return;
	for (uint64_t k = 0; k < nshards; k++) {
		if (shards[k].file.tmp)
			unlink(shards[k].file.tmp);
		if (command && shards[k].pid > 0)
			kill(shards[k].pid, SIGTERM);
	}
}

static void start_command(struct shard *s, uint64_t k)
{
	sigset_t none;
	int p[2];
	char num[24];

	if (pipe(p) != 0)
		etl_die(ETL_EXIT_IOERR, "--to-command", "pipe: %s", strerror(errno));
	snprintf(num, sizeof(num), "%llu", (unsigned long long)k);
	etl_signals_hold();
	s->pid = fork();
	if (s->pid < 0)
		etl_die(ETL_EXIT_IOERR, "--to-command", "fork: %s", strerror(errno));
	if (s->pid == 0) {
		/* the earlier shards' pipes stay with their own commands */
		for (uint64_t j = 0; j < k; j++)
			close(shards[j].fd);
		close(p[1]);
		if (p[0] != STDIN_FILENO) {
			dup2(p[0], STDIN_FILENO);
			close(p[0]);
		}
		/* the command starts as any would: SIGPIPE back to its default, and
		 * none of the signals etl_signals_hold() blocked left blocked */
		signal(SIGPIPE, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setenv("ETL_SHARD", num, 1);
		execl("/bin/sh", "sh", "-c", s->name, (char *)NULL);
		_exit(127);
	}
	etl_signals_release();
	close(p[0]);
	s->fd = p[1];
}

static void open_shards(void)
{
	shards = xcalloc(nshards, sizeof(*shards));
	etl_atexit(abort_files);
	etl_atsignal(abort_files_on_signal);
	for (uint64_t k = 0; k < nshards; k++) {
		struct shard *s = &shards[k];

		s->name = subst(pattern ? pattern : command, k);
		s->buf = xmalloc(BUFSZ);
		if (command) {
			start_command(s, k);
			continue;
		}
		if (replace_open(&s->file, s->name) != 0)
			etl_die(ETL_EXIT_IOERR, s->name, "%s", strerror(errno));
		s->fd = s->file.fd;
	}
}

static void write_all(struct shard *s, const char *p, size_t n)
{
	if (s->stopped)
		return;
	while (n) {
		ssize_t w = write(s->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EPIPE && command) {
			s->stopped = 1; /* judged when the command has exited */
			return;
		}
		if (w <= 0)
			etl_die(ETL_EXIT_IOERR, s->name, "write error: %s",
				strerror(w < 0 ? errno : EIO));
		p += w;
		n -= (size_t)w;
	}
}

static void flush(struct shard *s)
{
	write_all(s, s->buf, s->len);
	s->len = 0;
}

static void put(struct shard *s, const char *p, size_t n)
{
	if (s->len + n + 1 > BUFSZ)
		flush(s);
	if (n + 1 > BUFSZ) {
		write_all(s, p, n);
		write_all(s, "\n", 1);
	} else {
		memcpy(s->buf + s->len, p, n);
		s->buf[s->len + n] = '\n';
		s->len += n + 1;
	}
	s->records++;
}

/* Wait for every command; the first failure (in shard order) is the run's. */
static void finish_commands(void)
{
	int fail = 0;
	const char *failed = NULL;

	for (uint64_t k = 0; k < nshards; k++)
		close(shards[k].fd);
	committed = 1; /* the commands have all their records */
	for (uint64_t k = 0; k < nshards; k++) {
		struct shard *s = &shards[k];
		int st, code;

		while (waitpid(s->pid, &st, 0) < 0)
			if (errno != EINTR)
				etl_die(ETL_EXIT_SOFTWARE, NULL, "waitpid: %s", strerror(errno));
		s->pid = 0;
		code = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
		if (code && !fail) {
			fail = code;
			failed = s->name;
		} else if (!code && s->stopped && !fail) {
			etl_error(s->name, "the command exited before reading its records");
			fail = ETL_EXIT_IOERR;
		}
	}
	if (failed)
		etl_error("--to-command", "'%s' failed with status %d", failed, fail);
	if (fail)
		etl_exit(fail);
}

static void finish_files(void)
{
	for (uint64_t k = 0; k < nshards; k++) {
		struct shard *s = &shards[k];

		if (replace_commit(&s->file) != 0)
			etl_die(ETL_EXIT_IOERR, s->name, "%s", strerror(errno));
		s->file.tmp = NULL;
	}
	committed = 1;
}

/* --stats: the records of each shard, in shard order. */
static void stats_shards(struct buf *b)
{
	buf_adds(b, ",\"shards\":[");
	for (uint64_t k = 0; shards && k < nshards; k++)
		buf_printf(b, "%s%llu", k ? "," : "", (unsigned long long)shards[k].records);
	buf_addc(b, ']');
}

int main(int argc, char **argv)
{
	static struct ndjson *nd; /* static: reachable when a record dies */
	struct hash_canon canon;
	struct record rec;
	uint64_t total = 0;
	int status;

	cli_start(&prog, argc, argv);
	if (!nkeys)
		cli_usage_error("--key", "is required");
	if (!nshards)
		cli_usage_error("--shards", "is required");
	if (!pattern == !command)
		cli_usage_error(pattern ? "--to-command" : NULL,
				pattern ? "not with --output"
					: "give -o PATTERN or --to-command CMD");
	stats_extra(stats_shards);
	open_shards();
	hash_canon_init(&canon, 0);
	nd = nd_open(cli.files, cli.nfiles, keys, nkeys);
	while (nd_next(nd, &rec)) {
		uint64_t k = shard_of(&canon, rec.vals, nkeys, nshards);

		put(&shards[k], rec.line.p, rec.line.n);
	}
	nd_close(nd);
	nd = NULL;
	for (uint64_t k = 0; k < nshards; k++) {
		flush(&shards[k]);
		total += shards[k].records;
	}
	/* --max-bad N% is decided before any file is renamed into place or any
	 * command sees the end of its input, as cli_finish() would for -o */
	status = bad_finish();
	if (status)
		etl_exit(status);
	if (command)
		finish_commands();
	else
		finish_files();
	stats.records_out = total;
	for (uint64_t k = 0; k < nshards; k++) {
		free(shards[k].name);
		free(shards[k].buf);
	}
	hash_canon_release(&canon);
	path_list_free(keys, nkeys);
	out_close();
	etl_exit(0);
}
