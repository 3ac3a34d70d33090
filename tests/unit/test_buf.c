/*
 * test_buf.c - unit tests of common/buf.c, the growable byte buffer.
 *
 * What is proved: the buffer is NUL-terminated after every operation and may
 * hold NUL bytes within its length; buf_reset() forgets the content but keeps
 * the memory; buf_grow() makes room for what it is asked; buf_printf()
 * appends output of any length; buf_detach() hands over a string (never
 * NULL) and leaves an empty buffer; buf_release() returns to the initial
 * state; and content survives growth to many megabytes.
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "banned.h"

static void test_basics(void)
{
	struct buf b = BUF_INIT;

	CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
	buf_add(&b, "abc", 3);
	CHECK(b.len == 3 && b.cap >= 4 && memcmp(b.p, "abc", 4) == 0);
	buf_addc(&b, 'd');
	CHECK_STR(b.p, "abcd");
	buf_adds(&b, "ef");
	CHECK_STR(b.p, "abcdef");
	CHECK(b.len == 6 && b.p[6] == '\0');
	buf_add(&b, "", 0);
	CHECK(b.len == 6 && b.p[6] == '\0');

	/* NUL bytes within the content */
	buf_add(&b, "x\0y", 3);
	CHECK(b.len == 9 && memcmp(b.p, "abcdefx\0y", 10) == 0);

	/* reset keeps the memory */
	{
		char *p = b.p;
		size_t cap = b.cap;

		buf_reset(&b);
		CHECK(b.len == 0 && b.p == p && b.cap == cap && b.p[0] == '\0');
		buf_adds(&b, "again");
		CHECK(b.p == p);
		CHECK_STR(b.p, "again");
	}
	buf_release(&b);
	CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
	/* reset and release of an empty buffer are harmless */
	buf_reset(&b);
	buf_release(&b);
	CHECK(b.p == NULL);

	buf_init(&b);
	buf_addc(&b, 'z');
	CHECK_STR(b.p, "z");
	buf_release(&b);
}

static void test_grow(void)
{
	struct buf b = BUF_INIT;

	buf_grow(&b, 0);
	CHECK(b.p != NULL && b.cap >= 1);
	buf_grow(&b, 1000);
	CHECK(b.cap >= 1001);
	{
		size_t cap = b.cap;

		buf_grow(&b, 10);
		CHECK(b.cap == cap);
	}
	buf_adds(&b, "0123456789");
	buf_grow(&b, 5000);
	CHECK(b.cap >= b.len + 5001);
	CHECK_STR(b.p, "0123456789");
	buf_release(&b);

	/* addc across many reallocations */
	{
		int ok = 1;

		for (int i = 0; i < 100000; i++)
			buf_addc(&b, (char)('a' + i % 26));
		for (int i = 0; i < 100000 && ok; i++)
			ok = b.p[i] == (char)('a' + i % 26);
		CHECK(ok && b.len == 100000 && b.p[100000] == '\0');
		buf_release(&b);
	}

	/* adds of blocks to 20 MB */
	{
		char block[4096];
		int ok = 1;

		for (size_t i = 0; i < sizeof(block); i++)
			block[i] = (char)(i * 31);
		for (int i = 0; i < 5000; i++)
			buf_add(&b, block, sizeof(block));
		for (int i = 0; i < 5000 && ok; i++)
			ok = memcmp(b.p + (size_t)i * sizeof(block), block, sizeof(block)) == 0;
		CHECK(ok && b.len == 5000 * sizeof(block) && b.p[b.len] == '\0');
		CHECK(b.cap > b.len);
		buf_release(&b);
	}

	/* one large add at once */
	{
		size_t n = 3 << 20;
		char *big = malloc(n);

		memset(big, 'q', n);
		buf_adds(&b, "<");
		buf_add(&b, big, n);
		CHECK(b.len == n + 1 && b.p[0] == '<' && b.p[n] == 'q' && b.p[n + 1] == '\0');
		free(big);
		buf_release(&b);
	}
}

static void test_printf(void)
{
	struct buf b = BUF_INIT;
	char longs[300];

	buf_printf(&b, "%d-%s", 42, "x");
	CHECK_STR(b.p, "42-x");
	CHECK(b.len == 4);
	buf_printf(&b, "%s", "");
	CHECK(b.len == 4 && b.p[4] == '\0');
	buf_printf(&b, ",%05.1f", 3.14159);
	CHECK_STR(b.p, "42-x,003.1");

	/* output longer than the room left: formatted a second time */
	memset(longs, 'L', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	buf_printf(&b, "[%s]", longs);
	CHECK(b.len == 10 + 2 + 299 && b.p[10] == '[' && b.p[11] == 'L' && b.p[309] == 'L' &&
	      b.p[310] == ']' && b.p[311] == '\0');
	buf_release(&b);

	/* many small printfs in a row, each exactly filling or crossing capacity */
	{
		int ok = 1;
		char want[16];

		for (int i = 0; i < 10000; i++)
			buf_printf(&b, "%d;", i);
		for (int i = 0, off = 0; i < 10000 && ok; i++) {
			int n = snprintf(want, sizeof(want), "%d;", i);

			ok = memcmp(b.p + off, want, n) == 0;
			off += n;
		}
		CHECK(ok && b.p[b.len] == '\0' && strlen(b.p) == b.len);
		buf_release(&b);
	}

	/* a %s longer than a megabyte */
	{
		size_t n = (1 << 20) + 17;
		char *s = malloc(n + 1);

		memset(s, 's', n);
		s[n] = '\0';
		buf_printf(&b, "%s!", s);
		CHECK(b.len == n + 1 && b.p[n] == '!' && b.p[n + 1] == '\0');
		free(s);
		buf_release(&b);
	}
}

static void test_detach(void)
{
	struct buf b = BUF_INIT;
	size_t len = 99;
	char *s;

	s = buf_detach(&b, &len);
	CHECK(s != NULL && s[0] == '\0' && len == 0);
	CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
	free(s);

	buf_adds(&b, "hello");
	s = buf_detach(&b, &len);
	CHECK(s != NULL && len == 5);
	CHECK_STR(s, "hello");
	CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
	free(s);

	buf_add(&b, "a\0b", 3);
	s = buf_detach(&b, NULL);
	CHECK(memcmp(s, "a\0b", 4) == 0);
	free(s);

	/* the buffer is usable again after detaching */
	buf_adds(&b, "next");
	CHECK_STR(b.p, "next");
	buf_release(&b);
}

int main(void)
{
	test_basics();
	test_grow();
	test_printf();
	test_detach();
	return unit_done();
}
