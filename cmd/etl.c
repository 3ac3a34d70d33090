/*
 * etl - the toolkit's front door: lists the programs, opens their manuals,
 * and runs them by their short names, as git does with its commands.
 *
 *   etl                    the programs, one line each
 *   etl NAME [ARG...]      run etl-NAME with the arguments
 *   etl help [NAME]        the manual of etl-NAME (etl(7) without NAME)
 *   etl --version
 *
 * A program is looked for next to this executable first, then on PATH, so
 * a build tree's bin/etl runs that tree's programs, and an installed etl
 * runs the installed ones; a program of the user's own named etl-NAME on
 * PATH is found the same way.  The list is what those places hold, each
 * with the one-line summary its --help prints on its second line, so it
 * never drifts from the programs.  A manual is taken from the build tree's
 * man/ folder (beside bin/) when there is one, else from man(1)'s path.
 *
 * Exit status: that of the program run; 2 for a usage error (an unknown
 * program); 0 for the list, help and the version.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "mem.h"
#include "banned.h"

static char self_dir[PATH_MAX]; /* the folder of this executable, or "" */

static void find_self(void)
{
	ssize_t n = readlink("/proc/self/exe", self_dir, sizeof(self_dir) - 1);
	char *slash;

	if (n <= 0) {
		self_dir[0] = '\0';
		return;
	}
	self_dir[n] = '\0';
	slash = strrchr(self_dir, '/');
	if (slash)
		*slash = '\0';
}

static int is_program(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The path of etl-NAME into out: next to etl, then on PATH.  1 if found. */
static int find_program(const char *name, struct buf *out)
{
	const char *path = getenv("PATH"), *p, *end;

	buf_reset(out);
	if (self_dir[0]) {
		buf_printf(out, "%s/etl-%s", self_dir, name);
		if (is_program(out->p))
			return 1;
	}
	for (p = path ? path : ""; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		buf_reset(out);
		if (end == p)
			buf_adds(out, ".");
		else
			buf_add(out, p, (size_t)(end - p));
		buf_printf(out, "/etl-%s", name);
		if (is_program(out->p))
			return 1;
	}
	return 0;
}

/* A program name is what follows "etl-": letters, digits and dashes. */
static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

/* ---- the list ---- */

static char **names;
static size_t nnames, capnames;

static void add_names_from(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		int seen = 0;

		if (strncmp(e->d_name, "etl-", 4) || !valid_name(e->d_name + 4))
			continue;
		for (size_t i = 0; i < nnames && !seen; i++)
			seen = !strcmp(names[i], e->d_name + 4);
		if (seen)
			continue;
		xgrow(&names, &capnames, nnames + 1, sizeof(*names));
		names[nnames++] = xstrdup(e->d_name + 4);
	}
	closedir(d);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The second line of `PROGRAM --help` (its summary), or "". */
static void summary_of(const char *path, struct buf *out)
{
	int fd[2];
	pid_t pid;
	char chunk[4096];
	struct buf text = BUF_INIT;
	ssize_t n;
	char *line, *nl;

	buf_reset(out);
	if (pipe(fd) != 0)
		return;
	pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(fd[1], 1);
		dup2(null, 2);
		close(fd[0]);
		execl(path, path, "--help", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	while (text.len < 65536 && (n = read(fd[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		buf_add(&text, chunk, (size_t)n);
	}
	close(fd[0]);
	waitpid(pid, NULL, 0);
	if (!text.p)
		return;
	line = strchr(text.p, '\n');
	if (line) {
		line++;
		nl = strchr(line, '\n');
		buf_add(out, line, nl ? (size_t)(nl - line) : strlen(line));
	}
	buf_release(&text);
}

static void usage(FILE *f)
{
	fputs("Usage: etl NAME [ARG...]    run etl-NAME\n"
	      "       etl help [NAME]      show the manual of etl-NAME (of etl(7) without NAME)\n"
	      "       etl --version\n",
	      f);
}

static int list(void)
{
	const char *path = getenv("PATH");
	struct buf p = BUF_INIT, sum = BUF_INIT;
	size_t width = 0;

	usage(stdout);
	if (self_dir[0])
		add_names_from(self_dir);
	if (path) {
		char *copy = xstrdup(path), *s = copy, *colon;

		do {
			colon = strchr(s, ':');
			if (colon)
				*colon = '\0';
			add_names_from(*s ? s : ".");
			s = colon + 1;
		} while (colon);
		free(copy);
	}
	qsort(names, nnames, sizeof(*names), by_name);
	for (size_t i = 0; i < nnames; i++)
		if (strlen(names[i]) > width)
			width = strlen(names[i]);
	printf("\nThe programs (etl help NAME for the manual of one):\n");
	for (size_t i = 0; i < nnames; i++) {
		if (find_program(names[i], &p))
			summary_of(p.p, &sum);
		printf("  %-*s  %s\n", (int)width, names[i], sum.p ? sum.p : "");
		buf_reset(&sum);
		free(names[i]);
	}
	printf("\nSee etl(7) for the conventions all etl programs share.\n");
	if (fflush(stdout) || ferror(stdout))
		etl_die(74, "standard output", "%s", strerror(errno));
	free(names);
	buf_release(&p);
	buf_release(&sum);
	return 0;
}

/* ---- help ---- */

static int help(const char *name)
{
	struct buf page = BUF_INIT, short_name = BUF_INIT;
	const char *section = "1";

	if (!name) {
		name = "etl";
		section = "7";
	} else {
		if (!strncmp(name, "etl-", 4))
			name += 4;
		if (!valid_name(name))
			etl_die(2, "help", "'%s' is not an etl program name", name);
		if (!strcmp(name, "expr"))
			section = "7";
		buf_printf(&short_name, "etl-%s", name);
		name = short_name.p;
	}
	fflush(stdout);
	if (self_dir[0]) {
		/* a build tree: man/NAME.1 beside bin/, or man/man1/NAME.1
		 * beside another build's bin/ (make O=... B=...) */
		buf_printf(&page, "%s/../man/%s.%s", self_dir, name, section);
		if (access(page.p, R_OK) == 0)
			execlp("man", "man", "-l", page.p, (char *)NULL);
		buf_reset(&page);
		buf_printf(&page, "%s/../man/man%s/%s.%s", self_dir, section, name, section);
		if (access(page.p, R_OK) == 0)
			execlp("man", "man", "-l", page.p, (char *)NULL);
	}
	execlp("man", "man", section, name, (char *)NULL);
	{
		int e = errno;

		buf_release(&page);
		buf_release(&short_name);
		etl_die(e == ENOENT ? 69 : 70, "help", "cannot run man: %s", strerror(e));
	}
}

int main(int argc, char **argv)
{
	struct buf path = BUF_INIT, argv0 = BUF_INIT;
	const char *name;

	etl_progname = "etl";
	find_self();
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return list();
	if (!strcmp(argv[1], "--version")) {
		printf("etl %s\n", ETL_VERSION);
		if (fflush(stdout) || ferror(stdout))
			etl_die(74, "standard output", "%s", strerror(errno));
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc > 3)
			etl_die(2, "help", "takes one program name at most");
		return help(argc == 3 ? argv[2] : NULL);
	}
	name = argv[1];
	if (name[0] == '-') {
		fprintf(stderr, "etl: %s: unknown option\n", name);
		usage(stderr);
		return 2;
	}
	if (!strncmp(name, "etl-", 4))
		name += 4;
	if (!valid_name(name) || !find_program(name, &path)) {
		fprintf(stderr, "etl: '%s' is not an etl program; 'etl' lists them\n", argv[1]);
		buf_release(&path);
		return 2;
	}
	buf_printf(&argv0, "etl-%s", name);
	argv[1] = argv0.p;
	execv(path.p, argv + 1);
	{
		int e = errno;
		char where[PATH_MAX];

		snprintf(where, sizeof(where), "%s", path.p);
		buf_release(&path);
		buf_release(&argv0);
		etl_die(e == ENOENT ? 69 : 70, where, "cannot run: %s", strerror(e));
	}
}
