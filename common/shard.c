/*
 * shard.c - the shard of a key, and the slice a process keeps (shard.h).
 */
#include "shard.h"

#include <stdio.h>

#include "banned.h"

struct shard_slice shard_slice;

uint64_t shard_of(struct hash_canon *c, const struct span *vals, size_t nvals, uint64_t n)
{
	hash_canon_reset(c);
	for (size_t i = 0; i < nvals; i++)
		hash_canon_add(c, vals[i]);
	return hash_canon_sum(c).hi % n;
}

static int parse_u64(const char *s, const char *end, uint64_t *v)
{
	uint64_t r = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || r > (UINT64_MAX - 9) / 10)
			return -1;
		r = r * 10 + (uint64_t)(*s - '0');
	}
	*v = r;
	return 0;
}

int shard_parse(const char *s, uint64_t *k, uint64_t *n, char *err, size_t errlen)
{
	const char *slash = s, *end = s;

	while (*end)
		end++;
	while (*slash && *slash != '/')
		slash++;
	if (!*slash || parse_u64(s, slash, k) != 0 || parse_u64(slash + 1, end, n) != 0) {
		snprintf(err, errlen, "expected K/N (shard K of N, 0 <= K < N), got '%s'", s);
		return -1;
	}
	if (*n == 0 || *k >= *n) {
		snprintf(err, errlen, "shard %llu of %llu: K must be less than N and N at least 1",
			 (unsigned long long)*k, (unsigned long long)*n);
		return -1;
	}
	return 0;
}
