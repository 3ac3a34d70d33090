/*
 * test_shard.c - unit tests of common/shard.c.
 *
 * What is proved: K/N parses strictly (digits only, K < N, N >= 1, no
 * overflow) with the messages the programs print; the shard of a key is the
 * upper 64 bits of XXH3-128 of its canonical text modulo N, with a fixed
 * vector that any other implementation can check ("C0042" -> high64
 * 0xf94b50f27abf7012); spellings of one value fall in one shard; a missing
 * value is null; and shards are spread evenly over many keys.
 */
#include "shard.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"

#include "banned.h"

static struct hash_canon canon;

static struct span sp(const char *s)
{
	struct span v = {s, strlen(s)};

	return v;
}

static void test_parse(void)
{
	uint64_t k, n;
	char err[160];

	CHECK(shard_parse("0/1", &k, &n, err, sizeof(err)) == 0 && k == 0 && n == 1);
	CHECK(shard_parse("3/4", &k, &n, err, sizeof(err)) == 0 && k == 3 && n == 4);
	CHECK(shard_parse("007/010", &k, &n, err, sizeof(err)) == 0 && k == 7 && n == 10);
	CHECK(shard_parse("4/4", &k, &n, err, sizeof(err)) == -1);
	CHECK_STR(err, "shard 4 of 4: K must be less than N and N at least 1");
	CHECK(shard_parse("0/0", &k, &n, err, sizeof(err)) == -1);
	CHECK(shard_parse("1-2", &k, &n, err, sizeof(err)) == -1);
	CHECK_STR(err, "expected K/N (shard K of N, 0 <= K < N), got '1-2'");
	CHECK(shard_parse("/2", &k, &n, err, sizeof(err)) == -1);
	CHECK(shard_parse("1/", &k, &n, err, sizeof(err)) == -1);
	CHECK(shard_parse(" 1/2", &k, &n, err, sizeof(err)) == -1);
	CHECK(shard_parse("+1/2", &k, &n, err, sizeof(err)) == -1);
	CHECK(shard_parse("1/2/3", &k, &n, err, sizeof(err)) == -1);
	CHECK(shard_parse("1/99999999999999999999", &k, &n, err, sizeof(err)) == -1);
	CHECK(shard_parse("1/18446744073709551615", &k, &n, err, sizeof(err)) == -1);
	CHECK(shard_parse("1/1844674407370955161", &k, &n, err, sizeof(err)) == 0);
}

static void test_rule(void)
{
	struct span v[2];
	/* the man page's vector: high64 of XXH3-128("\"C0042\"") */
	const uint64_t high = UINT64_C(0xf94b50f27abf7012);

	v[0] = sp("\"C0042\"");
	for (uint64_t n = 1; n < 100; n++)
		CHECK(shard_of(&canon, v, 1, n) == high % n);
	CHECK(hash_bytes("\"C0042\"", 7).hi == high);
	/* spellings of one value */
	v[0] = sp("\"C\\u0030042\"");
	CHECK(shard_of(&canon, v, 1, 1000003) == high % 1000003);
	/* two fields: their canonical texts joined by a comma */
	v[0] = sp("1001.0");
	v[1] = sp(" 1e0 ");
	CHECK(shard_of(&canon, v, 2, UINT64_MAX) == hash_bytes("1001,1", 6).hi % UINT64_MAX);
	/* a missing value is null */
	v[0] = (struct span){NULL, 0};
	v[1] = sp("null");
	CHECK(shard_of(&canon, v, 1, 7) == shard_of(&canon, v + 1, 1, 7));
}

static void test_spread(void)
{
	enum { KEYS = 60000, N = 6 };
	unsigned count[N] = {0};
	char key[32];
	int even = 1;

	for (int i = 0; i < KEYS; i++) {
		struct span v;

		snprintf(key, sizeof(key), "%d", i);
		v = sp(key);
		count[shard_of(&canon, &v, 1, N)]++;
	}
	/* each shard within 5% of KEYS/N */
	for (int k = 0; k < N; k++)
		if (count[k] < KEYS / N * 95 / 100 || count[k] > KEYS / N * 105 / 100)
			even = 0;
	CHECK(even);
}

int main(void)
{
	hash_canon_init(&canon, 0);
	test_parse();
	test_rule();
	test_spread();
	hash_canon_release(&canon);
	return unit_done();
}
