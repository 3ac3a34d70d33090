/*
 * shard.h - one slice of the records, chosen by a stable hash of a key, so
 * that N processes on N hosts each take their own records and every record
 * of a key meets the others of its key in one process.
 *
 * The shard of a record is
 *
 *   shard = XXH3-128(canonical key text).high64 mod N
 *
 * where the canonical key text is that of hash.h (the canonical JSON texts
 * of the key fields, joined by ","; a missing field is null), the hash is
 * XXH3-128 with seed 0 (the hash every keyed program uses), and high64 its
 * upper 64 bits as an unsigned integer.  The upper half, not the lower:
 * hash tables (hash.h) take their slot from the lower bits, and a process
 * that holds one shard of keys whose lower bits agree would crowd its table.
 * Any host, any language with XXH3 computes the same shard.
 *
 * The slice a program keeps (--shard K/N --shard-key FIELDS, the common
 * option group of the programs with keyed state, cli.h CLI_SHARD) is global
 * to the process: the NDJSON reader (ndjson.h) skips the records of other
 * shards, counting them as dropped and as skipped (stats.h).
 */
#ifndef ETL_SHARD_H
#define ETL_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "path.h"
#include "scan.h"

struct shard_slice {
	uint64_t k, n; /* keep shard k of n; n == 0: keep everything */
	struct path *keys;
	size_t nkeys;
};
/* The slice of this process, set by the command line. */
extern struct shard_slice shard_slice;

/* The shard, in [0, n), of the key made of the values vals[0..nvals)
 * (absent values are null); c is scratch, reused from key to key. */
uint64_t shard_of(struct hash_canon *c, const struct span *vals, size_t nvals, uint64_t n);

/* Parse "K/N" (0 <= K < N, N >= 1): 0, or -1 with a message in err. */
int shard_parse(const char *s, uint64_t *k, uint64_t *n, char *err, size_t errlen);

#endif
