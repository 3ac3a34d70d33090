/*
 * test_spill.c - a spill gives back what was written: by offset, whether
 * the bytes are still in the write buffer, in the read-ahead or only on
 * disk, in order or jumping about; and as lines, of any length, the last
 * one without its '\n', each followed by a NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spill.h"
#include "unit.h"

/* Byte i of the test pattern: not periodic at any buffer size. */
static char pat(uint64_t i)
{
	return (char)('a' + (i * 7 + i / 1000) % 26);
}

static int same(const char *p, uint64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != pat(off + i))
			return 0;
	return 1;
}

static void by_offset(void)
{
	struct spill *s = spill_open(NULL);
	/* pieces from a byte to past the buffer's size */
	static const size_t len[] = {1, 7, 100, 4096, 70000, 3, 300000, 65536, 12, 1};
	enum { NLEN = sizeof(len) / sizeof(len[0]), ROUNDS = 8 };
	uint64_t off[NLEN * ROUNDS], total = 0;
	char *big = malloc(300000), *got = malloc(300000);
	int ok = 1, at_ok = 1;

	CHECK(spill_size(s) == 0);
	for (int r = 0; r < ROUNDS; r++)
		for (size_t i = 0; i < NLEN; i++) {
			for (size_t j = 0; j < len[i]; j++)
				big[j] = pat(total + j);
			off[r * NLEN + i] = spill_write(s, big, len[i]);
			at_ok &= off[r * NLEN + i] == total;
			total += len[i];
			/* what was just written reads back at once */
			spill_read(s, off[r * NLEN + i], got, len[i]);
			ok &= same(got, total - len[i], len[i]);
		}
	CHECK(at_ok);
	CHECK(ok);
	CHECK(spill_size(s) == total);
	/* in order, as a final pass reads */
	ok = 1;
	for (size_t k = 0; k < NLEN * ROUNDS; k++) {
		size_t n = len[k % NLEN];

		spill_read(s, off[k], got, n);
		ok &= same(got, off[k], n);
	}
	CHECK(ok);
	/* backwards, and pieces that straddle pieces */
	ok = 1;
	for (size_t k = NLEN * ROUNDS; k-- > 0;) {
		uint64_t o = off[k] + len[k % NLEN] / 2;
		size_t n = total - o < 5000 ? (size_t)(total - o) : 5000;

		spill_read(s, o, got, n);
		ok &= same(got, o, n);
	}
	CHECK(ok);
	spill_write(s, "z", 1);
	spill_read(s, total, got, 1);
	CHECK(got[0] == 'z');
	spill_close(s);
	spill_close(NULL);
	free(big);
	free(got);
}

static void lines(void)
{
	struct spill *s = spill_open(NULL);
	const char *line;
	size_t n, longn = 200000;
	char *longl = malloc(longn + 1);
	int ok;

	for (size_t j = 0; j < longn; j++)
		longl[j] = pat(j);
	longl[longn] = '\n';
	spill_write(s, "one\n\ntwo\n", 9);
	spill_write(s, longl, longn + 1);
	for (int i = 0; i < 20000; i++)
		spill_write(s, "{\"k\":12345}\n", 12);
	spill_write(s, "last", 4);
	spill_rewind(s);
	CHECK(spill_line(s, &line, &n) && n == 3 && strcmp(line, "one") == 0);
	CHECK(spill_line(s, &line, &n) && n == 0 && line[0] == '\0');
	CHECK(spill_line(s, &line, &n) && n == 3 && strcmp(line, "two") == 0);
	CHECK(spill_line(s, &line, &n) && n == longn && same(line, 0, n) && line[n] == '\0');
	ok = 1;
	for (int i = 0; i < 20000; i++)
		ok &= spill_line(s, &line, &n) && n == 11 && strcmp(line, "{\"k\":12345}") == 0;
	CHECK(ok);
	CHECK(spill_line(s, &line, &n) && n == 4 && strcmp(line, "last") == 0);
	CHECK(spill_line(s, &line, &n) == 0);
	CHECK(spill_line(s, &line, &n) == 0);
	spill_close(s);

	s = spill_open(NULL);
	spill_rewind(s);
	CHECK(spill_line(s, &line, &n) == 0);
	spill_close(s);

	s = spill_open(NULL);
	spill_write(s, "a\n", 2);
	spill_rewind(s);
	CHECK(spill_line(s, &line, &n) && n == 1 && strcmp(line, "a") == 0);
	CHECK(spill_line(s, &line, &n) == 0);
	spill_close(s);
	free(longl);
}

int main(void)
{
	by_offset();
	lines();
	return unit_done();
}
