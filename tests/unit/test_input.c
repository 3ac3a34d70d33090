/*
 * test_input.c - unit tests of common/input.c, the line reader.
 *
 * What is proved: lines come out whole whatever their length and wherever
 * the 1 MiB read chunks cut them; "\r\n" and a missing final newline are
 * handled; blank lines are lines (they count for line numbers); numbering
 * restarts with each file; every line is followed by the '\0' sentinel the
 * scanner needs; stdin is "-" or no file at all; byte counts and the known
 * total add up; input_chunk() hands out each file's bytes exactly; a file
 * read in ranges (input_open_range) reads as the whole file; a timeout gives
 * INPUT_TIMEOUT and keeps the part of a line already read; lines that come
 * through a pipe in small pieces come out whole; and a file
 * that cannot be opened or read ends the program with status 74 and a
 * message naming it.
 *
 * The files are written into a fresh folder under $TMPDIR (or /tmp) and
 * removed at the end.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "stats.h"
#include "unit.h"

#include "banned.h"

static char dir[256];
static char *made[64];
static int nmade;

static void point(int ok, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void point(int ok, int line, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	unit_point(ok, __FILE__, line, what);
}

/* Write n bytes to a new file NAME in the test folder; returns its path. */
static char *file(const char *name, const char *p, size_t n)
{
	struct buf b = BUF_INIT;
	FILE *f;

	buf_printf(&b, "%s/%s", dir, name);
	f = fopen(b.p, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		printf("Bail out! cannot write %s: %s\n", b.p, strerror(errno));
		exit(1);
	}
	made[nmade++] = b.p;
	return b.p;
}

static char *sfile(const char *name, const char *s)
{
	return file(name, s, strlen(s));
}

/* All lines of the files as "file:line:text|" (text with \r shown as \\r),
 * checking the sentinel of each. */
static const char *all_lines(char **files, size_t n)
{
	static struct buf out;
	struct input *in = input_open(files, n);
	struct line l;
	int sentinel_ok = 1;

	buf_reset(&out);
	while (input_line(in, &l)) {
		const char *slash = strrchr(l.file, '/');

		if (l.p[l.n] != '\0')
			sentinel_ok = 0;
		buf_printf(&out, "%s:%llu:", slash ? slash + 1 : l.file,
			   (unsigned long long)l.lineno);
		for (size_t i = 0; i < l.n; i++) {
			if (l.p[i] == '\r')
				buf_adds(&out, "\\r");
			else if (l.p[i] == '\0')
				buf_adds(&out, "\\0");
			else
				buf_addc(&out, l.p[i]);
		}
		buf_addc(&out, '|');
	}
	input_close(in);
	if (!sentinel_ok)
		buf_adds(&out, "NO SENTINEL");
	return out.p ? out.p : "";
}

static const char *lines_of(const char *name, const char *content)
{
	char *f = sfile(name, content);

	return all_lines(&f, 1);
}

static void test_endings(void)
{
	CHECK_STR(lines_of("lf", "a\nb\nc\n"), "lf:1:a|lf:2:b|lf:3:c|");
	CHECK_STR(lines_of("crlf", "a\r\nb\r\nc\r\n"), "crlf:1:a|crlf:2:b|crlf:3:c|");
	CHECK_STR(lines_of("mixed", "a\r\nb\nc\r\n"), "mixed:1:a|mixed:2:b|mixed:3:c|");
	CHECK_STR(lines_of("nofinal", "a\nb"), "nofinal:1:a|nofinal:2:b|");
	CHECK_STR(lines_of("nofinalcr", "a\r\nb\r"), "nofinalcr:1:a|nofinalcr:2:b|");
	CHECK_STR(lines_of("lonecr", "a\rb\n"), "lonecr:1:a\\rb|");
	CHECK_STR(lines_of("twocr", "a\r\r\n"), "twocr:1:a\\r|");
	CHECK_STR(lines_of("empty", ""), "");
	CHECK_STR(lines_of("onenl", "\n"), "onenl:1:|");
	CHECK_STR(lines_of("onecrlf", "\r\n"), "onecrlf:1:|");
	CHECK_STR(lines_of("blanks", "\n\nx\n\n"), "blanks:1:|blanks:2:|blanks:3:x|blanks:4:|");
	CHECK_STR(lines_of("spaces", "  \n\t\nx"), "spaces:1:  |spaces:2:\t|spaces:3:x|");
	CHECK_STR(lines_of("nofinalx", "x"), "nofinalx:1:x|");
	{
		char *f = file("nul", "a\0b\n\0\n", 6);

		CHECK_STR(all_lines(&f, 1), "nul:1:a\\0b|nul:2:\\0|");
	}
}

static void test_files(void)
{
	char *f[5];

	f[0] = sfile("one", "a\nb");
	f[1] = sfile("two", "c\n\nd\n");
	f[2] = sfile("three", "");
	f[3] = sfile("four", "e\r\n");
	CHECK_STR(all_lines(f, 4), "one:1:a|one:2:b|two:1:c|two:2:|two:3:d|four:1:e|");
	/* the same file twice is read twice */
	f[1] = f[0];
	CHECK_STR(all_lines(f, 2), "one:1:a|one:2:b|one:1:a|one:2:b|");
	/* the file name is kept as given */
	{
		struct input *in = input_open(f, 1);
		struct line l;

		CHECK(input_line(in, &l) && l.file && strcmp(l.file, f[0]) == 0);
		input_close(in);
	}
}

/* Lines of many lengths, some much longer than the read chunk, so that lines
 * straddle every kind of buffer boundary; each is checked byte for byte. */
static void test_long_lines(void)
{
	static const size_t lens[] =
		{0,       1,  100,           (1 << 20) - 1, 1 << 20, (1 << 20) + 1,
		 3 << 20, 17, (1 << 19) + 3, 5 << 20,       2,       (1 << 20) - 2,
		 1 << 21, 0,  12345};
	const size_t nl = sizeof(lens) / sizeof(lens[0]);
	struct buf content = BUF_INIT;
	struct input *in;
	struct line l;
	size_t i = 0, total = 0;
	int good = 1;
	char *f;

	for (size_t k = 0; k < nl; k++) {
		for (size_t j = 0; j < lens[k]; j++)
			buf_addc(&content, 'a' + (char)((j + k) % 26));
		buf_adds(&content, k % 3 == 1 ? "\r\n" : "\n");
		total += lens[k] + (k % 3 == 1 ? 2 : 1);
	}
	f = file("long", content.p, content.len);
	in = input_open(&f, 1);
	while (input_line(in, &l)) {
		int ok = i < nl && l.n == lens[i] && l.lineno == i + 1 && l.p[l.n] == '\0';

		for (size_t j = 0; ok && j < l.n; j++)
			ok = l.p[j] == 'a' + (char)((j + i) % 26);
		if (!ok) {
			printf("# line %zu: length %zu, expected %zu\n", i + 1, l.n,
			       i < nl ? lens[i] : 0);
			good = 0;
		}
		i++;
	}
	point(good && i == nl, __LINE__, "%zu lines of up to 5 MiB come out whole", nl);
	point(input_bytes(in) == total, __LINE__, "input_bytes counts all %zu bytes", total);
	point(input_total(in) == total, __LINE__, "input_total is the file's size");
	input_close(in);
	buf_release(&content);

	/* one 50 MB line without a final newline */
	{
		size_t n = 50 * 1000 * 1000;
		char *big = malloc(n);

		memset(big, 'x', n);
		big[0] = '{';
		big[n - 1] = '}';
		f = file("huge", big, n);
		free(big);
		in = input_open(&f, 1);
		point(input_line(in, &l) && l.n == n && l.p[0] == '{' && l.p[n - 1] == '}' &&
			      l.p[n] == '\0',
		      __LINE__, "a 50 MB line without a final newline is one line");
		CHECK(!input_line(in, &l));
		input_close(in);
		unlink(f);
	}
}

/* Standard input, with a file put on fd 0. */
static void test_stdin(void)
{
	char *f = sfile("data", "x\r\ny\n");
	int saved = dup(0), fd = open(f, O_RDONLY);
	char *dash[] = {"-"};

	dup2(fd, 0);
	close(fd);
	CHECK_STR(all_lines(NULL, 0), "<stdin>:1:x|<stdin>:2:y|");
	lseek(0, 0, SEEK_SET);
	CHECK_STR(all_lines(dash, 1), "<stdin>:1:x|<stdin>:2:y|");
	lseek(0, 0, SEEK_SET);
	{
		char *mix[] = {f, "-", f};

		CHECK_STR(all_lines(mix, 3), "data:1:x|data:2:y|<stdin>:1:x|<stdin>:2:y|"
					     "data:1:x|data:2:y|");
	}
	{
		struct input *in = input_open(dash, 1);

		CHECK(input_total(in) == 0);
		input_close(in);
	}
	dup2(saved, 0);
	close(saved);
}

static void test_chunks(void)
{
	struct buf a = BUF_INIT, got = BUF_INIT;
	char *f[3];
	struct input *in;
	const char *p, *name;
	size_t n;
	int first, nfirst = 0, ok = 1, nchunks = 0;

	for (size_t i = 0; i < (3u << 20) + 7; i++)
		buf_addc(&a, (char)(i * 7 % 251));
	f[0] = file("c1", a.p, a.len);
	f[1] = sfile("c2", "");
	f[2] = sfile("c3", "tail\n");
	in = input_open(f, 3);
	point(input_total(in) == a.len + 5, __LINE__, "input_total of regular files is their sum");
	while (input_chunk(in, &p, &n, &name, &first)) {
		nchunks++;
		if (first) {
			nfirst++;
			/* the previous file must be complete when the next one starts */
			if (nfirst == 2)
				ok = got.len == a.len && memcmp(got.p, a.p, a.len) == 0 &&
				     strcmp(name, f[2]) == 0;
			buf_reset(&got);
		}
		buf_add(&got, p, n);
		if (n == 0)
			ok = 0;
	}
	point(ok, __LINE__, "input_chunk hands out the first file's 3 MiB exactly");
	point(nfirst == 2, __LINE__, "first is set once per non-empty file");
	point(got.len == 5 && memcmp(got.p, "tail\n", 5) == 0, __LINE__,
	      "input_chunk hands out the last file exactly");
	point(nchunks >= 4, __LINE__, "a large file comes in several chunks");
	point(input_bytes(in) == a.len + 5, __LINE__, "input_bytes counts chunked reads");
	input_close(in);
	buf_release(&a);
	buf_release(&got);
}

/* A file read in ranges cut at line boundaries reads as the whole file,
 * with the line numbers continuing from range to range. */
static void test_ranges(void)
{
	const char *text = "a\nbb\nccc\n\ndddd\r\neeeee";
	char *f = sfile("ranged", text);
	size_t n = strlen(text);

	{
		struct input *in = input_open_range(f, 2, 9, 1);
		struct buf got = BUF_INIT;
		struct line l;

		while (input_line(in, &l) > 0) {
			buf_printf(&got, "%llu:%.*s|", (unsigned long long)l.lineno, (int)l.n, l.p);
			if (input_lineno(in) != l.lineno)
				buf_adds(&got, "(input_lineno differs)");
		}
		CHECK_STR(got.p, "2:bb|3:ccc|");
		CHECK(input_total(in) == 7);
		CHECK(input_bytes(in) == 7);
		input_close(in);
		buf_release(&got);
	}
	{
		struct input *in = input_open_range(f, 9, n, 3);
		struct buf got = BUF_INIT;
		struct line l;

		while (input_line(in, &l) > 0)
			buf_printf(&got, "%llu:%.*s|", (unsigned long long)l.lineno, (int)l.n, l.p);
		CHECK_STR(got.p, "4:|5:dddd|6:eeeee|");
		input_close(in);
		buf_release(&got);
	}
	{
		struct input *in = input_open_range(f, 5, 5, 2);
		struct line l;

		CHECK(input_line(in, &l) == 0);
		input_close(in);
	}

	/* the long-lines file cut at every few line boundaries */
	{
		static const size_t lens[] = {10, (1 << 20) + 5, 0, 3, 2 << 20, 7,
					      1,  (1 << 20) - 1, 4};
		const size_t nl = sizeof(lens) / sizeof(lens[0]);
		struct buf content = BUF_INIT;
		size_t starts[16], ok = 1, seen = 0;
		char *g;

		for (size_t k = 0; k < nl; k++) {
			starts[k] = content.len;
			for (size_t j = 0; j < lens[k]; j++)
				buf_addc(&content, (char)('A' + (j + k) % 26));
			buf_addc(&content, '\n');
		}
		starts[nl] = content.len;
		g = file("ranged-long", content.p, content.len);
		/* ranges of 1, 2 and 3 lines */
		for (size_t width = 1; width <= 3; width++) {
			for (size_t k = 0; k < nl; k += width) {
				size_t last = k + width < nl ? k + width : nl;
				struct input *in = input_open_range(g, starts[k], starts[last], k);
				struct line l;
				size_t i = k;

				while (input_line(in, &l) > 0) {
					int good = i < last && l.lineno == i + 1 &&
						   l.n == lens[i] && l.p[l.n] == '\0';

					for (size_t j = 0; good && j < l.n; j++)
						good = l.p[j] == (char)('A' + (j + i) % 26);
					ok &= good;
					i++;
					seen++;
				}
				ok &= i == last;
				input_close(in);
			}
		}
		point(ok && seen == 3 * nl, __LINE__,
		      "a file read in ranges of 1, 2 and 3 lines gives every line once, numbered");
		buf_release(&content);
	}
}

/* With a timeout, a quiet stream gives INPUT_TIMEOUT and keeps the part of a
 * line it has; the line comes whole once its end arrives. */
static void test_timeout(void)
{
	int pfd[2], saved = dup(0);
	struct input *in;
	struct line l;
	ssize_t w;

	if (pipe(pfd) != 0) {
		printf("Bail out! pipe: %s\n", strerror(errno));
		exit(1);
	}
	dup2(pfd[0], 0);
	close(pfd[0]);
	in = input_open(NULL, 0);
	input_set_timeout(in, 50);
	CHECK(input_line(in, &l) == INPUT_TIMEOUT);
	w = write(pfd[1], "{\"a\":", 5);
	CHECK(w == 5);
	CHECK(input_line(in, &l) == INPUT_TIMEOUT);
	w = write(pfd[1], "1}\n{\"b\"", 7);
	CHECK(w == 7);
	CHECK(input_line(in, &l) == 1 && l.n == 7 && memcmp(l.p, "{\"a\":1}", 7) == 0 &&
	      l.lineno == 1);
	CHECK(input_line(in, &l) == INPUT_TIMEOUT);
	w = write(pfd[1], ":2}", 3);
	CHECK(w == 3);
	close(pfd[1]);
	CHECK(input_line(in, &l) == 1 && l.n == 7 && memcmp(l.p, "{\"b\":2}", 7) == 0 &&
	      l.lineno == 2);
	CHECK(input_line(in, &l) == 0);
	input_close(in);
	dup2(saved, 0);
	close(saved);
}

/* Lines that come through a pipe a few bytes at a time, the long one in
 * thousands of small reads, come out whole: the reader looks for the end of
 * a line only in the bytes each read brings, and must still find it wherever
 * it falls. */
static void test_pipe_pieces(void)
{
	static const size_t lens[] = {5, 3 << 20, 0, 1, 70000, 2, (1 << 20) + 1, 3};
	const size_t nl = sizeof(lens) / sizeof(lens[0]);
	struct buf content = BUF_INIT;
	int pfd[2], saved = dup(0), good = 1, ws;
	struct input *in;
	struct line l;
	size_t i = 0;
	pid_t pid;

	for (size_t k = 0; k < nl; k++) {
		for (size_t j = 0; j < lens[k]; j++)
			buf_addc(&content, (char)('a' + (j + k) % 26));
		/* the last line has no final newline */
		if (k + 1 < nl)
			buf_adds(&content, k % 2 ? "\r\n" : "\n");
	}
	fflush(stdout);
	if (pipe(pfd) != 0 || (pid = fork()) < 0) {
		printf("Bail out! pipe: %s\n", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		/* pieces of 1000 bytes, and of 1 byte around each line end */
		close(pfd[0]);
		for (size_t off = 0; off < content.len;) {
			size_t n = content.len - off < 1000 ? content.len - off : 1000;
			const char *nlp = memchr(content.p + off, '\n', n);

			if (nlp && nlp - (content.p + off) < 2)
				n = 1;
			else if (nlp)
				n = nlp - (content.p + off) - 1;
			if (write(pfd[1], content.p + off, n) != (ssize_t)n)
				_exit(1);
			off += n;
		}
		_exit(0);
	}
	close(pfd[1]);
	dup2(pfd[0], 0);
	close(pfd[0]);
	in = input_open(NULL, 0);
	while (input_line(in, &l)) {
		int ok = i < nl && l.n == lens[i] && l.lineno == i + 1 && l.p[l.n] == '\0';

		for (size_t j = 0; ok && j < l.n; j++)
			ok = l.p[j] == (char)('a' + (j + i) % 26);
		if (!ok) {
			printf("# line %zu: length %zu, expected %zu\n", i + 1, l.n,
			       i < nl ? lens[i] : 0);
			good = 0;
		}
		i++;
	}
	point(good && i == nl, __LINE__,
	      "%zu lines of up to 3 MiB written to a pipe in small pieces come out whole", nl);
	point(input_bytes(in) == content.len, __LINE__, "input_bytes counts the pipe's bytes");
	input_close(in);
	waitpid(pid, &ws, 0);
	CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	dup2(saved, 0);
	close(saved);
	buf_release(&content);
}

/* Run fn in a child process; check its exit status and its stderr. */
static void expect_exit(void (*fn)(void), int status, const char *err, const char *what)
{
	int pfd[2];
	pid_t pid;
	char msg[1024];
	size_t n = 0;
	ssize_t r;
	int ws;

	fflush(stdout);
	if (pipe(pfd) != 0 || (pid = fork()) < 0) {
		printf("Bail out! fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		close(pfd[0]);
		dup2(pfd[1], 2);
		fn();
		_exit(0);
	}
	close(pfd[1]);
	while (n < sizeof(msg) - 1 && (r = read(pfd[0], msg + n, sizeof(msg) - 1 - n)) > 0)
		n += r;
	msg[n] = '\0';
	close(pfd[0]);
	waitpid(pid, &ws, 0);
	point(WIFEXITED(ws) && WEXITSTATUS(ws) == status, __LINE__, "%s: exit status %d", what,
	      status);
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != status)
		printf("#   got %d\n", WIFEXITED(ws) ? WEXITSTATUS(ws) : -WTERMSIG(ws));
	point(strcmp(msg, err) == 0, __LINE__, "%s: message", what);
	if (strcmp(msg, err) != 0)
		printf("#   got  '%s'\n#   want '%s'\n", msg, err);
}

static char *fatal_file;

static void read_all(void)
{
	struct input *in = input_open(&fatal_file, 1);
	struct line l;

	while (input_line(in, &l))
		;
	input_close(in);
}

static void chunk_all(void)
{
	struct input *in = input_open(&fatal_file, 1);
	const char *p, *name;
	size_t n;
	int first;

	while (input_chunk(in, &p, &n, &name, &first))
		;
	input_close(in);
}

static void test_fatal(void)
{
	struct buf want = BUF_INIT;

	etl_progname = "etl-test";
	fatal_file = "nosuch.ndjson";
	expect_exit(read_all, ETL_EXIT_IOERR,
		    "etl-test: nosuch.ndjson: cannot open: No such file or directory\n",
		    "a missing file");
	expect_exit(chunk_all, ETL_EXIT_IOERR,
		    "etl-test: nosuch.ndjson: cannot open: No such file or directory\n",
		    "a missing file, chunked");
	fatal_file = dir;
	buf_printf(&want, "etl-test: %s: read error: Is a directory\n", dir);
	expect_exit(read_all, ETL_EXIT_IOERR, want.p, "a folder");
	buf_release(&want);
	/* a file that cannot be opened after others were read: the lines before
	 * were handed out, then the run stops */
	{
		char *f[2] = {sfile("before", "ok\n"), "nosuch2"};
		struct input *in;
		struct line l;
		int pid, ws;

		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			int devnull = open("/dev/null", O_WRONLY);

			dup2(devnull, 2);
			in = input_open(f, 2);
			if (!input_line(in, &l) || strcmp(l.p, "ok") != 0)
				_exit(3);
			input_line(in, &l);
			_exit(4);
		}
		waitpid(pid, &ws, 0);
		point(WIFEXITED(ws) && WEXITSTATUS(ws) == ETL_EXIT_IOERR, __LINE__,
		      "a missing second file stops the run after the first file's lines");
	}
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/etl-test-input.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_endings();
	test_files();
	test_long_lines();
	test_stdin();
	test_chunks();
	test_ranges();
	test_timeout();
	test_pipe_pieces();
	test_fatal();
	for (int i = 0; i < nmade; i++) {
		unlink(made[i]);
		free(made[i]);
	}
	rmdir(dir);
	return unit_done();
}
