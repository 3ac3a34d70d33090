#!/usr/bin/env bats
# tests/etl-dedupe.bats - etl-dedupe: duplicates dropped by key, records
# written byte-exact.
#
# Keys (whole record or -k paths, compared by value: numbers, escapes, key
# order; --exact; missing == null; --require-key), which record wins (first,
# --keep last, --latest-by with its ties), spilling with a tiny --memory
# (the same output as in memory, checked against an awk reference), the
# stream modes --window and --within (out-of-order events, offsets), the
# note and the counts of --stats, and every usage and data error with its
# exact message and status.  Fixtures of the man page are in tests/data/dedupe/;
# the rest is written per test into $TMP.

load helpers/common

setup() {
	cd "$TMP" || return 1
	DD="$DATA/dedupe"
}

TRY="Try 'etl-dedupe --help' for more information."

# usage_error TEXT: status 2, nothing on stdout, exactly "etl-dedupe: TEXT"
# and the hint on stderr.
usage_error() {
	assert_failure 2
	assert_output ""
	assert_stderr "$(printf 'etl-dedupe: %s\n%s' "$1" "$TRY")"
}

# stat_counts FILE: "in out bad dropped" of a --stats record.
stat_counts() {
	jq -r '"\(.records_in) \(.records_out) \(.bad) \(.dropped)"' "$1"
}

# assert_balanced FILE: records_in = records_out + bad + dropped.
assert_balanced() {
	local n

	n=$(jq '.records_in - .records_out - .bad - .dropped' "$1")
	assert_equal "$n" 0
}

# --- whole records ---------------------------------------------------------

@test "without -k, repeated records are dropped and the first is written byte-exact" {
	put in.ndjson '{"a":1}\n{ "a" : 2 ,"t":"x" }\n{"a":1}\n{"a":3}\n{ "a" : 2 ,"t":"x" }\n'
	run --separate-stderr etl-dedupe -o out.ndjson in.ndjson
	assert_success
	assert_stderr "etl-dedupe: 2 duplicates dropped"
	assert_bytes out.ndjson '{"a":1}\n{ "a" : 2 ,"t":"x" }\n{"a":3}\n'
}

@test "whole records compare by value: key order, spacing, number spelling, escapes" {
	put in.ndjson '{"id":1,"p":19.90,"s":"caf\\u00e9","n":{"y":1,"x":[1,2]}}\n{"n":{"x":[1.0,2e0],"y":1}, "s":"café","id":1.000,"p":1.99e1}\n{"id":1,"p":19.9,"s":"cafe","n":{"x":[1,2],"y":1}}\n{"id":1,"p":19.9,"s":"café","n":{"x":[2,1],"y":1}}\n'
	run --separate-stderr etl-dedupe in.ndjson
	assert_success
	assert_output "$(sed -n '1p;3p;4p' in.ndjson)"
	assert_stderr "etl-dedupe: 1 duplicate dropped"
}

@test "a key repeated inside a record counts with its last value" {
	put in.ndjson '{"a":1,"a":2}\n{"a":2}\n{"a":1}\n'
	run --separate-stderr etl-dedupe in.ndjson
	assert_success
	assert_output $'{"a":1,"a":2}\n{"a":1}'
}

@test "white space around a record does not make it another" {
	put in.ndjson '{"a":1}\n  {"a":1}\t\n{"a":1}\r\n'
	run --separate-stderr etl-dedupe in.ndjson
	assert_success
	assert_output '{"a":1}'
	assert_stderr "etl-dedupe: 2 duplicates dropped"
}

@test "--exact without -k compares the lines byte for byte" {
	put in.ndjson '{"a":1}\n{"a":1.0}\n{ "a":1}\n{"a":1}\n{"a":1.0}\n'
	run --separate-stderr etl-dedupe --exact in.ndjson
	assert_success
	assert_output $'{"a":1}\n{"a":1.0}\n{ "a":1}'
	assert_stderr "etl-dedupe: 2 duplicates dropped"
}

# --- key fields ------------------------------------------------------------

@test "-k keeps the first record of each key, written byte-exact" {
	put in.ndjson '{"id":1,"v":"a"}\n{"id":2,"v":"b"}\n{ "v" : "c", "id" : 1 }\n{"id":3,"v":12345678901234567890123}\n{"id":2}\n'
	run --separate-stderr etl-dedupe -k id in.ndjson
	assert_success
	assert_output $'{"id":1,"v":"a"}\n{"id":2,"v":"b"}\n{"id":3,"v":12345678901234567890123}'
	assert_stderr "etl-dedupe: 2 duplicates dropped"
}

@test "numeric keys compare by value at any size" {
	put in.ndjson '{"k":1}\n{"k":1.0}\n{"k":1.00}\n{"k":1e0}\n{"k":100}\n{"k":1e2}\n{"k":-0}\n{"k":0.0}\n{"k":123456789012345678901234567890123456789012}\n{"k":1.23456789012345678901234567890123456789012e41}\n{"k":1e400}\n{"k":10e399}\n{"k":1e401}\n'
	run --separate-stderr etl-dedupe -k k in.ndjson
	assert_success
	assert_output "$(printf '%s\n' '{"k":1}' '{"k":100}' '{"k":-0}' \
		'{"k":123456789012345678901234567890123456789012}' '{"k":1e400}' '{"k":1e401}')"
	assert_stderr "etl-dedupe: 7 duplicates dropped"
}

@test "string keys compare by content; a number and a string are different keys" {
	put in.ndjson '{"k":"a"}\n{"k":"\\u0061"}\n{"k":"1"}\n{"k":1}\n{"k":"true"}\n{"k":true}\n{"k":"A"}\n{"k":"\\/"}\n{"k":"/"}\n'
	run --separate-stderr etl-dedupe -k k in.ndjson
	assert_success
	assert_output "$(printf '%s\n' '{"k":"a"}' '{"k":"1"}' '{"k":1}' '{"k":"true"}' '{"k":true}' \
		'{"k":"A"}' '{"k":"\/"}')"
}

@test "object and array keys compare by value, arrays in order" {
	put in.ndjson '{"k":{"a":1,"b":[1,2]}}\n{"k":{"b":[1.0,2],"a":1}}\n{"k":{"a":1,"b":[2,1]}}\n{"k":[]}\n{"k":{}}\n'
	run --separate-stderr etl-dedupe -k k in.ndjson
	assert_success
	assert_output "$(sed -n '1p;3p;4p;5p' in.ndjson)"
}

@test "several key fields are compared together, not as joined text" {
	put in.ndjson '{"a":"x","b":"yz"}\n{"a":"xy","b":"z"}\n{"a":"x","b":"yz","c":1}\n{"a":1,"b":23}\n{"a":12,"b":3}\n'
	run --separate-stderr etl-dedupe -k a,b in.ndjson
	assert_success
	assert_output "$(sed -n '1p;2p;4p;5p' in.ndjson)"
}

@test "-k given twice adds fields: -k a -k b is -k a,b" {
	put in.ndjson '{"a":1,"b":1}\n{"a":1,"b":2}\n{"a":1,"b":1}\n'
	run --separate-stderr etl-dedupe -k a -k b in.ndjson
	assert_success
	assert_output $'{"a":1,"b":1}\n{"a":1,"b":2}'
	run --separate-stderr etl-dedupe --key=a,b in.ndjson
	assert_output $'{"a":1,"b":1}\n{"a":1,"b":2}'
}

@test "-k reaches into nested objects and takes quoted keys" {
	put in.ndjson '{"c":{"id":1},"a.b":1}\n{"c":{"id":1},"a.b":2}\n{"c":{"id":2},"a.b":1}\n{"c":{"id":1.0},"a.b":1}\n'
	run --separate-stderr etl-dedupe -k 'c.id,"a.b"' in.ndjson
	assert_success
	assert_output "$(sed -n '1,3p' in.ndjson)"
	run --separate-stderr etl-dedupe -k c.id in.ndjson
	assert_output "$(sed -n '1p;3p' in.ndjson)"
}

@test "a missing key field is null: such records are one key" {
	put in.ndjson '{"id":1}\n{"x":1}\n{"id":null}\n{"x":2}\n{"id":{}}\n{"id":"null"}\n'
	run --separate-stderr etl-dedupe -k id in.ndjson
	assert_success
	assert_output $'{"id":1}\n{"x":1}\n{"id":{}}\n{"id":"null"}'
	assert_stderr "etl-dedupe: 2 duplicates dropped"
}

@test "a key field under a non-object is missing" {
	put in.ndjson '{"a":1}\n{"a":{"b":null}}\n{"a":[1]}\n{"a":{"b":2}}\n'
	run --separate-stderr etl-dedupe -k a.b in.ndjson
	assert_success
	assert_output $'{"a":1}\n{"a":{"b":2}}'
}

@test "--exact compares key values as written" {
	put in.ndjson '{"k":1}\n{"k":1.0}\n{"k":"\\u0061"}\n{"k":"a"}\n{"k": 1}\n{"x":0}\n{"k":null}\n'
	run --separate-stderr etl-dedupe --exact -k k in.ndjson
	assert_success
	assert_output $'{"k":1}\n{"k":1.0}\n{"k":"\\u0061"}\n{"k":"a"}\n{"x":0}'
	assert_stderr "etl-dedupe: 2 duplicates dropped"
}

@test "--require-key: a missing key field is a bad record (status 65)" {
	put in.ndjson '{"id":1}\n{"id":2}\n{"id":1}\n{"x":1}\n{"id":3}\n'
	run --separate-stderr etl-dedupe --require-key -k id in.ndjson
	assert_failure 65
	# the records before it are handed on, as by every failing run
	assert_output $'{"id":1}\n{"id":2}'
	assert_stderr "etl-dedupe: in.ndjson:4: key field id is missing"
}

@test "--require-key: a null key field is a bad record, with its column" {
	put in.ndjson '{"id":1,"n":2}\n{"id":1, "n":null}\n'
	run --separate-stderr etl-dedupe --require-key -k id,n in.ndjson
	assert_failure 65
	assert_stderr "etl-dedupe: in.ndjson:2:14: key field n is null"
}

@test "--require-key with --bad-records skip: counted as bad, the rest deduplicated" {
	put in.ndjson '{"id":1}\n{"x":1}\n{"id":1}\n{"id":null}\n{"id":2}\n'
	run --separate-stderr etl-dedupe --require-key -k id --bad-records skip --stats st.json in.ndjson
	assert_success
	assert_output $'{"id":1}\n{"id":2}'
	assert_stderr "$(printf '%s\n' \
		'etl-dedupe: in.ndjson:2: key field id is missing (skipped; further bad records are counted)' \
		'etl-dedupe: 1 duplicate dropped' \
		'etl-dedupe: 2 bad records skipped')"
	assert_equal "$(stat_counts st.json)" "5 2 2 1"
}

@test "--require-key with a reject file records the line and the reason" {
	put in.ndjson '{"id":1}\n{"x":"\\u00e9"}\n'
	run --separate-stderr etl-dedupe -q --require-key -k id --bad-records rej.ndjson in.ndjson
	assert_success
	assert_output '{"id":1}'
	assert_equal "$(cat rej.ndjson)" \
		'{"file":"in.ndjson","line":2,"error":"key field id is missing","raw":"{\"x\":\"\\u00e9\"}"}'
}

# --- which record wins -----------------------------------------------------

@test "--keep first is the default" {
	put in.ndjson '{"id":1,"v":1}\n{"id":1,"v":2}\n'
	run --separate-stderr etl-dedupe -k id --keep first in.ndjson
	assert_success
	assert_output '{"id":1,"v":1}'
}

@test "--keep last writes each key's last record, in first-seen order of the keys" {
	put in.ndjson '{"id":"b","v":1}\n{"id":"a","v":1}\n{"id":"b", "v":2.50}\n{"id":"c","v":1}\n{"id":"a","v":2}\n{"id":"b","v":3}\n'
	run --separate-stderr etl-dedupe -k id --keep last in.ndjson
	assert_success
	assert_output $'{"id":"b","v":3}\n{"id":"a","v":2}\n{"id":"c","v":1}'
	assert_stderr "etl-dedupe: 3 duplicates dropped"
}

@test "--keep last keeps the winning line byte-exact" {
	put in.ndjson '{"id":1,"v":1}\n {"id" : 1.0 ,"v":  1e2 ,"s":"\\u00e9"} \n'
	run --separate-stderr etl-dedupe -k id --keep last -o out.ndjson in.ndjson
	assert_success
	assert_bytes out.ndjson ' {"id" : 1.0 ,"v":  1e2 ,"s":"\\u00e9"} \n'
}

@test "--latest-by keeps the greatest value, numbers compared by value" {
	put in.ndjson '{"id":1,"u":9}\n{"id":1,"u":10}\n{"id":1,"u":9.99}\n{"id":2,"u":1e3}\n{"id":2,"u":999}\n{"id":3,"u":-1}\n{"id":3,"u":-2}\n'
	run --separate-stderr etl-dedupe -k id --latest-by u in.ndjson
	assert_success
	assert_output $'{"id":1,"u":10}\n{"id":2,"u":1e3}\n{"id":3,"u":-1}'
}

@test "--latest-by on ISO-8601 timestamps in one format and offset picks the newest" {
	put in.ndjson '{"id":1,"t":"2026-11-24T10:00:00.000Z","s":"b"}\n{"id":1,"t":"2026-11-24T09:59:59.999Z","s":"a"}\n{"id":1,"t":"2026-11-24T10:00:00.500Z","s":"c"}\n{"id":1,"t":"2026-11-23T23:00:00.000Z","s":"d"}\n'
	run --separate-stderr etl-dedupe -k id --latest-by t in.ndjson
	assert_success
	assert_output '{"id":1,"t":"2026-11-24T10:00:00.500Z","s":"c"}'
}

@test "--latest-by compares strings bytewise: mixed formats do not order as instants" {
	# "10:00:00.5Z" sorts before "10:00:00Z" ('.' < 'Z'), and +01:00 is not
	# converted: what the man page warns about
	put in.ndjson '{"id":1,"t":"2026-11-24T10:00:00Z","s":"a"}\n{"id":1,"t":"2026-11-24T10:00:00.5Z","s":"b"}\n{"id":2,"t":"2026-11-24T09:30:00Z","s":"c"}\n{"id":2,"t":"2026-11-24T10:00:00+01:00","s":"d"}\n'
	run --separate-stderr etl-dedupe -k id --latest-by t in.ndjson
	assert_success
	assert_output $'{"id":1,"t":"2026-11-24T10:00:00Z","s":"a"}\n{"id":2,"t":"2026-11-24T10:00:00+01:00","s":"d"}'
}

@test "--latest-by ties go to the later record, equal values spelled differently too" {
	put in.ndjson '{"id":1,"u":5,"s":"first"}\n{"id":1,"u":5.0,"s":"second"}\n{"id":1,"u":4,"s":"third"}\n{"id":2,"u":"x","s":"a"}\n{"id":2,"u":"\\u0078","s":"b"}\n'
	run --separate-stderr etl-dedupe -k id --latest-by u in.ndjson
	assert_success
	assert_output $'{"id":1,"u":5.0,"s":"second"}\n{"id":2,"u":"\\u0078","s":"b"}'
}

@test "--latest-by: missing is null, the lowest; kinds rank null < bool < number < string" {
	put in.ndjson '{"id":1,"u":"2"}\n{"id":1,"u":3}\n{"id":2,"u":1}\n{"id":2}\n{"id":2,"u":null}\n{"id":3}\n{"id":3,"u":false}\n{"id":3,"u":null}\n'
	run --separate-stderr etl-dedupe -k id --latest-by u in.ndjson
	assert_success
	assert_output $'{"id":1,"u":"2"}\n{"id":2,"u":1}\n{"id":3,"u":false}'
}

@test "--latest-by with --keep last is allowed; with --keep first it is a usage error" {
	put in.ndjson '{"id":1,"u":2}\n{"id":1,"u":1}\n'
	run --separate-stderr etl-dedupe -k id --keep last --latest-by u in.ndjson
	assert_success
	assert_output '{"id":1,"u":2}'
	run --separate-stderr etl-dedupe -k id --keep first --latest-by u in.ndjson
	usage_error "--latest-by: cannot be combined with --keep first"
	run --separate-stderr etl-dedupe -k id --latest-by u --keep first in.ndjson
	usage_error "--latest-by: cannot be combined with --keep first"
}

# --- spilling --------------------------------------------------------------

# make_updates N K: N records over K keys, every key updated several times,
# with a "u" that is not in arrival order, and lines of varied length.
make_updates() {
	awk -v n="$1" -v k="$2" 'BEGIN {
		for (i = 1; i <= n; i++) {
			key = (i * 7919) % k
			pad = substr("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1, (i * 13) % 48)
			printf "{\"k\":%d,\"u\":%d,\"i\":%d,\"pad\":\"%s\"}\n", key, (i * 37) % 101, i, pad
		}
	}' >in.ndjson
}

# reference MODE: the expected output, computed by awk from in.ndjson
# (MODE last: the last line per key; latest: the greatest u, ties later).
reference() {
	awk -v mode="$1" '{
		match($0, /"k":[0-9]+/); k = substr($0, RSTART + 4, RLENGTH - 4)
		match($0, /"u":[0-9]+/); u = substr($0, RSTART + 4, RLENGTH - 4) + 0
		if (!(k in best)) { order[++n] = k; best[k] = $0; bu[k] = u; next }
		if (mode == "last" || u >= bu[k]) { best[k] = $0; bu[k] = u }
	} END { for (i = 1; i <= n; i++) print best[order[i]] }' in.ndjson
}

@test "--keep last with a tiny --memory spills and writes the same as in memory" {
	make_updates 3000 400
	reference last >want.ndjson
	mkdir spill
	TMPDIR=$TMP/spill run --separate-stderr etl-dedupe -k k --keep last --memory 1K --stats st.json \
		-o small.ndjson in.ndjson
	assert_success
	assert_stderr "etl-dedupe: 2600 duplicates dropped"
	run --separate-stderr etl-dedupe -q -k k --keep last -o big.ndjson in.ndjson
	assert_success
	assert_same_file want.ndjson big.ndjson
	assert_same_file want.ndjson small.ndjson
	assert_equal "$(stat_counts st.json)" "3000 400 0 2600"
	# the temporary file is gone
	assert_equal "$(ls -A spill)" ""
}

@test "--latest-by spills with --memory 0 and with a budget between, same output" {
	make_updates 2000 150
	reference latest >want.ndjson
	local m

	for m in 0 100 5K 64K 1G; do
		run --separate-stderr etl-dedupe -q -k k --latest-by u --memory "$m" -o "out-$m.ndjson" in.ndjson
		assert_success
		assert_same_file want.ndjson "out-$m.ndjson"
	done
}

@test "a record larger than --memory goes to the file on its own" {
	awk 'BEGIN { for (i = 0; i < 5; i++) { printf "{\"k\":%d,\"s\":\"", i % 2; for (j = 0; j < 3000 * (i + 1); j++) printf "y"; print "\"}" } }' >in.ndjson
	run --separate-stderr etl-dedupe -q -k k --keep last --memory 2K in.ndjson
	assert_success
	assert_output "$(sed -n 5p in.ndjson; sed -n 4p in.ndjson)"
}

@test "records of over a megabyte spill and come back whole" {
	awk 'BEGIN { for (i = 0; i < 6; i++) { printf "{\"k\":%d,\"u\":%d,\"s\":\"", i % 3, (i * 7) % 5; for (j = 0; j < 1100000 + i; j++) printf "z"; print "\"}" } }' >in.ndjson
	run --separate-stderr etl-dedupe -q -k k --latest-by u --memory 1M -o out.ndjson in.ndjson
	assert_success
	reference latest >want.ndjson
	assert_same_file want.ndjson out.ndjson
}

@test "spilling really goes through \$TMPDIR: an unusable one fails with status 74" {
	make_updates 200 20
	TMPDIR=$TMP/missing run --separate-stderr etl-dedupe -k k --keep last --memory 1K in.ndjson
	assert_failure 74
	assert_output ""
	assert_stderr "etl-dedupe: $TMP/missing: cannot create a temporary file: No such file or directory"
	# with room in memory, no file is needed
	TMPDIR=$TMP/missing run --separate-stderr etl-dedupe -q -k k --keep last --memory 1M in.ndjson
	assert_success
	assert_output "$(reference last)"
}

@test "--temp-dir chooses the spill folder over \$TMPDIR, and applies only to held records" {
	make_updates 200 20
	mkdir spill
	TMPDIR=$TMP/missing run --separate-stderr etl-dedupe -q -k k --keep last --memory 1K \
		--temp-dir spill in.ndjson
	assert_success
	assert_output "$(reference last)"
	assert_equal "$(ls -A spill)" ""
	TMPDIR=$TMP/spill run --separate-stderr etl-dedupe -k k --keep last --memory 1K \
		--temp-dir "$TMP/missing" in.ndjson
	assert_failure 74
	assert_stderr "etl-dedupe: $TMP/missing: cannot create a temporary file: No such file or directory"
	run --separate-stderr etl-dedupe -k k --temp-dir spill in.ndjson
	usage_error "--temp-dir: applies only to --keep last and --latest-by"
}
@test "a full disk while spilling exits 74, naming the spill folder, and writes nothing" {
	fault_shim
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"k\":%d,\"pad\":\"%0100d\"}\n", i, 0 }' >in.ndjson
	run --separate-stderr env LD_PRELOAD="$FAULT_SO" ETL_FAULT=write-enospc \
		etl-dedupe -k k --keep last --memory 64k --temp-dir "$TMP" in.ndjson
	assert_failure 74
	assert_output ""
	assert_stderr "etl-dedupe: $TMP: cannot write a temporary file: No space left on device"
}

@test "--memory takes sizes with K, M, G, T suffixes and rejects the rest" {
	put in.ndjson '{"k":1,"v":1}\n{"k":1,"v":2}\n'
	local s

	for s in 0 1 512 1k 1K 64M 2G 1T 1.5G 2GB 100b; do
		run --separate-stderr etl-dedupe -q -k k --keep last --memory "$s" in.ndjson
		assert_success
		assert_output '{"k":1,"v":2}'
	done
	for s in "" -1 +1 1e3 .5 1. 1.k 1X 2BB M 99999999999999999999 17179869184T; do
		run --separate-stderr etl-dedupe -k k --keep last --memory "$s" in.ndjson
		usage_error "--memory: expected a size (512M, 1.5G, 64k), got '$s'"
	done
}

@test "--memory without --keep last or --latest-by is a usage error" {
	run --separate-stderr etl-dedupe -k k --memory 1M /dev/null
	usage_error "--memory: applies only to --keep last and --latest-by"
}

# --- streams: --window -----------------------------------------------------

@test "--window N forgets a key once N newer keys came after it" {
	put in.ndjson '{"k":1}\n{"k":2}\n{"k":1}\n{"k":3}\n{"k":1}\n{"k":2}\n{"k":4}\n{"k":3}\n{"k":1}\n'
	run --separate-stderr etl-dedupe -k k --window 2 --stats st.json in.ndjson
	assert_success
	# window {1,2} -> 1 dup -> +3 evicts 1 -> 1 new, evicts 2 -> 2 new, evicts 3
	# -> +4 evicts 1 -> 3 new, evicts 2 -> 1 new, evicts 4
	assert_output "$(printf '{"k":%s}\n' 1 2 3 1 2 4 3 1)"
	assert_stderr "etl-dedupe: 1 duplicate dropped"
	assert_equal "$(stat_counts st.json)" "9 8 0 1"
}

@test "--window larger than the number of keys is plain deduplication" {
	put in.ndjson '{"k":1}\n{"k":2}\n{"k":1.0}\n{"k":3}\n{"k":2}\n'
	run --separate-stderr etl-dedupe -k k --window 1000000 in.ndjson
	assert_success
	assert_output $'{"k":1}\n{"k":2}\n{"k":3}'
}

@test "--window on a long stream holds exactly the last N keys" {
	# keys 0..999 then 0..999 again: with N=1000 all repeats are dropped,
	# with N=999 none is (each key was evicted just before it came back)
	awk 'BEGIN { for (r = 0; r < 2; r++) for (i = 0; i < 1000; i++) printf "{\"k\":%d}\n", i }' >in.ndjson
	run --separate-stderr etl-dedupe -k k --window 1000 in.ndjson
	assert_success
	assert_stderr "etl-dedupe: 1000 duplicates dropped"
	assert_equal "${#lines[@]}" 1000
	run --separate-stderr etl-dedupe -k k --window 999 in.ndjson
	assert_stderr "etl-dedupe: 0 duplicates dropped"
	assert_equal "${#lines[@]}" 2000
}

@test "--window rejects a count that is not positive" {
	local n

	for n in 0 -1 1K 1.5 x ""; do
		run --separate-stderr etl-dedupe --window "$n" /dev/null
		usage_error "--window: expected a positive integer, got '$n'"
	done
}

@test "--window cannot be combined with --keep last, --latest-by or --within" {
	run --separate-stderr etl-dedupe --window 3 --keep last /dev/null
	usage_error "--window: keeps the first record of a key; it cannot be combined with --keep last or --latest-by"
	run --separate-stderr etl-dedupe --window 3 --latest-by u /dev/null
	usage_error "--window: keeps the first record of a key; it cannot be combined with --keep last or --latest-by"
	run --separate-stderr etl-dedupe --window 3 --within 1s --time-field t /dev/null
	usage_error "--window: cannot be combined with --within"
}

# --- streams: --within -----------------------------------------------------

@test "--within: a duplicate only within the duration of the written record" {
	put in.ndjson '{"t":"2026-01-01T00:00:00Z","k":1}\n{"t":"2026-01-01T00:00:30Z","k":1}\n{"t":"2026-01-01T00:01:00Z","k":1}\n{"t":"2026-01-01T00:01:01Z","k":1}\n{"t":"2026-01-01T00:01:30Z","k":1}\n{"t":"2026-01-01T00:02:01Z","k":1}\n{"t":"2026-01-01T00:02:02Z","k":1}\n'
	run --separate-stderr etl-dedupe -k k --within 1m --time-field t in.ndjson
	assert_success
	# exactly one minute apart is within; the key then takes the new time
	assert_output "$(sed -n '1p;4p;7p' in.ndjson)"
	assert_stderr "etl-dedupe: 4 duplicates dropped"
}

@test "--within reads times with their offset; dates alone are midnight UTC" {
	put in.ndjson '{"t":"2026-01-01T10:00:00+01:00","k":"a"}\n{"t":"2026-01-01T09:00:10Z","k":"a"}\n{"t":"2026-01-01T04:00:10.5-05:00","k":"a"}\n{"t":"2026-01-02","k":"b"}\n{"t":"2026-01-01T23:59:59.9Z","k":"b"}\n{"t":"2026-01-01 23:59:00","k":"b"}\n'
	run --separate-stderr etl-dedupe -k k --within 1s --time-field t in.ndjson
	assert_success
	assert_output "$(sed -n '1p;2p;4p;6p' in.ndjson)"
}

@test "--within catches records out of order by up to the duration" {
	# 00:03 for s2 arrives after 00:07, four minutes late: its original at
	# 00:01 is still remembered; 00:02 for s3 arrives eleven minutes late,
	# after its key (00:00) was forgotten, and is written again
	put in.ndjson '{"t":"2026-01-01T00:00:00Z","s":"s3"}\n{"t":"2026-01-01T00:01:00Z","s":"s2"}\n{"t":"2026-01-01T00:07:00Z","s":"s1"}\n{"t":"2026-01-01T00:03:00Z","s":"s2"}\n{"t":"2026-01-01T00:13:00Z","s":"s1"}\n{"t":"2026-01-01T00:02:00Z","s":"s3"}\n'
	run --separate-stderr etl-dedupe -k s --within 5m --time-field t in.ndjson
	assert_success
	assert_output "$(sed -n '1,3p;5p;6p' in.ndjson)"
	assert_stderr "etl-dedupe: 1 duplicate dropped"
}

@test "--within: a late record of a key with a newer time is compared with that time" {
	put in.ndjson '{"t":"2026-01-01T00:10:00Z","k":1}\n{"t":"2026-01-01T00:01:00Z","k":1}\n{"t":"2026-01-01T00:02:00Z","k":1}\n{"t":"2026-01-01T00:09:30Z","k":1}\n'
	run --separate-stderr etl-dedupe -k k --within 1m --time-field t in.ndjson
	assert_success
	# the late ones are written (more than a minute from 00:10), and 00:10
	# stays the key's time: 00:09:30 is its duplicate
	assert_output "$(sed -n '1,3p' in.ndjson)"
}

@test "--within without -k uses the whole record, time included" {
	put in.ndjson '{"t":"2026-01-01T00:00:00Z","k":1}\n{"t":"2026-01-01T00:00:00Z","k":1}\n{"t":"2026-01-01T00:00:01Z","k":1}\n'
	run --separate-stderr etl-dedupe --within 1h --time-field t in.ndjson
	assert_success
	assert_output "$(sed -n '1p;3p' in.ndjson)"
}

@test "--within accepts durations in ms, s, m, h, d and sums of them" {
	put in.ndjson '{"t":"2026-01-01T00:00:00Z"}\n{"t":"2026-01-02T01:30:00Z"}\n{"t":"2026-01-03T03:00:00.250Z"}\n'
	run --separate-stderr etl-dedupe -k x --within 1d1h30m --time-field t in.ndjson
	assert_success
	assert_output "$(sed -n '1p;3p' in.ndjson)"
	run --separate-stderr etl-dedupe -k x --within 91800s --time-field t in.ndjson
	assert_output "$(sed -n '1p;3p' in.ndjson)"
	run --separate-stderr etl-dedupe -k x --within 91799s --time-field t in.ndjson
	assert_output "$(cat in.ndjson)"
	run --separate-stderr etl-dedupe -k x --within 2d --time-field t in.ndjson
	assert_output "$(sed -n '1p;3p' in.ndjson)"
	run --separate-stderr etl-dedupe -k x --within 3d --time-field t in.ndjson
	assert_output "$(sed -n 1p in.ndjson)"
	put ms.ndjson '{"t":"2026-01-01T00:00:00Z"}\n{"t":"2026-01-01T00:00:00.250Z"}\n{"t":"2026-01-01T00:00:00.501Z"}\n'
	run --separate-stderr etl-dedupe -k x --within 250ms --time-field t ms.ndjson
	assert_output "$(sed -n '1p;3p' ms.ndjson)"
	run --separate-stderr etl-dedupe -k x --within 500ms --time-field t ms.ndjson
	assert_output "$(sed -n '1p;3p' ms.ndjson)"
	run --separate-stderr etl-dedupe -k x --within 501ms --time-field t ms.ndjson
	assert_output "$(sed -n '1p' ms.ndjson)"
}

@test "--within rejects durations that are not one" {
	local d

	for d in 5 0 0s 1x 1.5h m 1h- "" 1H 99999999999999999999d 30000000d; do
		run --separate-stderr etl-dedupe --within "$d" --time-field t /dev/null
		usage_error "--within: expected a positive duration (30s, 5m, 1h30m), got '$d'"
	done
}

@test "--within and --time-field need each other; --within excludes keep last" {
	run --separate-stderr etl-dedupe --within 5m /dev/null
	usage_error "--within: needs --time-field"
	run --separate-stderr etl-dedupe --time-field ts /dev/null
	usage_error "--time-field: applies only to --within"
	run --separate-stderr etl-dedupe --within 5m --time-field ts --keep last /dev/null
	usage_error "--within: keeps the first record of a key; it cannot be combined with --keep last or --latest-by"
	run --separate-stderr etl-dedupe --time-field 'a..b' --within 5m /dev/null
	usage_error "--time-field: column 3: empty field name"
}

@test "--within: a missing, null or invalid time is a bad record, with the message of etl-agg" {
	put missing.ndjson '{"t":"2026-01-01T00:00:00Z"}\n{"x":1}\n'
	run --separate-stderr etl-dedupe --within 5m --time-field t missing.ndjson
	assert_failure 65
	assert_output '{"t":"2026-01-01T00:00:00Z"}'
	assert_stderr "etl-dedupe: missing.ndjson:2: t: no event time (the field is missing)"
	put null.ndjson '{"t":null}\n'
	run --separate-stderr etl-dedupe --within 5m --time-field t null.ndjson
	assert_failure 65
	assert_stderr "etl-dedupe: null.ndjson:1:6: t: no event time (the field is null)"
	put bad.ndjson '{"a":1, "t":"2026-02-30T00:00:00Z"}\n'
	run --separate-stderr etl-dedupe --within 5m --time-field t bad.ndjson
	assert_failure 65
	assert_stderr 'etl-dedupe: bad.ndjson:1:13: t: not an ISO-8601 time or seconds since the epoch: "2026-02-30T00:00:00Z"'
	local v
	for v in true '"1767225600"' 1767225600000 '{"s":1}'; do
		put odd.ndjson "{\"t\":$v}\n"
		run --separate-stderr etl-dedupe --within 5m --time-field t odd.ndjson
		assert_failure 65
		assert_stderr "etl-dedupe: odd.ndjson:1:6: t: not an ISO-8601 time or seconds since the epoch: $v"
	done
}

@test "--within reads numbers as seconds since the epoch, as etl-agg does (etl(7), EVENT TIME)" {
	# 1767225600 is 2026-01-01T00:00:00Z; digits past the microsecond are
	# dropped from numbers as from strings
	put in.ndjson '{"t":1767225600,"k":1}\n{"t":"2026-01-01T00:00:59.9999999Z","k":1}\n{"t":1767225660.0000009,"k":1}\n{"t":1767225660.000001,"k":1}\n{"t":"2026-01-01T00:00:00.000001Z","k":2}\n{"t":1767225600.0000019,"k":2}\n'
	run --separate-stderr etl-dedupe -k k --within 1m --time-field t in.ndjson
	assert_success
	assert_output "$(sed -n '1p;4p;5p' in.ndjson)"
	assert_stderr "etl-dedupe: 3 duplicates dropped"
	put neg.ndjson '{"t":-0.5}\n{"t":"1969-12-31T23:59:59.5Z"}\n{"t":-1.0000001}\n'
	run --separate-stderr etl-dedupe -k x --within 500ms --time-field t neg.ndjson
	assert_success
	# before 1970 too, down means earlier: -1.0000001 is -1.000001
	assert_output "$(sed -n '1p;3p' neg.ndjson)"
}

@test "--within with --bad-records skip keeps the counts balanced" {
	put in.ndjson '{"t":"2026-01-01T00:00:00Z","k":1}\n{"t":"soon","k":1}\n{"t":"2026-01-01T00:00:\\u0030\\u0031Z","k":1}\nnot json\n{"t":"2026-01-01T01:00:00Z","k":1}\n'
	run --separate-stderr etl-dedupe -q -k k --within 1m --time-field t --bad-records skip --stats st.json in.ndjson
	assert_success
	assert_output "$(sed -n '1p;5p' in.ndjson)"
	assert_equal "$(stat_counts st.json)" "5 2 2 1"
	assert_balanced st.json
}

@test "a long bad time in a reject file is cut between characters, so the file stays valid JSON" {
	local x62

	x62=$(printf 'x%.0s' {1..62})
	put in.ndjson "{\"t\":\"${x62}\xc3\xa9\"}\n"
	run --separate-stderr etl-dedupe -q --within 5m --time-field t --bad-records rej.ndjson in.ndjson
	assert_success
	assert_output ""
	run python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]' rej.ndjson
	assert_success
	assert_equal "$(jq -r .error rej.ndjson)" "t: not an ISO-8601 time or seconds since the epoch: \"$x62"
}

# --- counts, the note, common options --------------------------------------

@test "--stats counts records in, out, bad and dropped in every mode" {
	put in.ndjson '{"k":1,"u":1,"t":"2026-01-01"}\n{"k":2,"u":1,"t":"2026-01-01"}\n[1]\n{"k":1,"u":2,"t":"2026-01-01"}\n{"k":1,"u":0,"t":"2026-01-01"}\n'
	local mode

	for mode in "" "--keep last" "--latest-by u" "--window 5" "--within 1s --time-field t" "--exact"; do
		run --separate-stderr etl-dedupe -q -k k $mode --bad-records skip --stats st.json in.ndjson
		assert_success
		assert_equal "$(stat_counts st.json)" "5 2 1 2"
		assert_equal "${#lines[@]}" 2
	done
	assert_equal "$(jq -c .arguments st.json)" \
		'["-q","-k","k","--exact","--bad-records","skip","--stats","st.json","in.ndjson"]'
	assert_equal "$(jq -r .program st.json)" etl-dedupe
}

@test "the counts balance on a larger input" {
	awk 'BEGIN { for (i = 0; i < 5000; i++) printf "{\"a\":%d,\"b\":%d}\n", i % 97, i % 13 }' >in.ndjson
	run --separate-stderr etl-dedupe -k a,b --stats st.json -o out.ndjson in.ndjson
	assert_success
	assert_stderr "etl-dedupe: 3739 duplicates dropped"
	assert_equal "$(wc -l <out.ndjson)" 1261
	assert_equal "$(sort -u out.ndjson | wc -l)" 1261
	assert_equal "$(stat_counts st.json)" "5000 1261 0 3739"
}

@test "the note says how many duplicates were dropped; -q silences it" {
	put in.ndjson '{"a":1}\n{"a":2}\n'
	run --separate-stderr etl-dedupe in.ndjson
	assert_success
	assert_stderr "etl-dedupe: 0 duplicates dropped"
	put in.ndjson '{"a":1}\n{"a":1}\n'
	run --separate-stderr etl-dedupe in.ndjson
	assert_stderr "etl-dedupe: 1 duplicate dropped"
	run --separate-stderr etl-dedupe -q in.ndjson
	assert_success
	assert_output '{"a":1}'
	assert_no_stderr
	run --separate-stderr etl-dedupe --quiet in.ndjson
	assert_no_stderr
}

@test "several inputs and stdin are one stream: duplicates across files are dropped" {
	put a.ndjson '{"k":1}\n{"k":2}'
	put b.ndjson '{"k":2}\n{"k":3}\n'
	run --separate-stderr bash -c 'printf "{\"k\":3}\n{\"k\":4}\n" | etl-dedupe -q -k k a.ndjson - b.ndjson'
	assert_success
	assert_output "$(printf '{"k":%s}\n' 1 2 3 4)"
	run --separate-stderr bash -c 'printf "{\"k\":1}\n{\"k\":1}\n" | etl-dedupe -q'
	assert_output '{"k":1}'
}

@test "blank lines are skipped and CRLF endings accepted" {
	put in.ndjson '{"a":1}\r\n\n  \n{"a":1}\r\n{"a":2}'
	run --separate-stderr etl-dedupe in.ndjson
	assert_success
	assert_output $'{"a":1}\n{"a":2}'
	assert_stderr "etl-dedupe: 1 duplicate dropped"
}

@test "a bad record stops the run with its location; the records before it are written" {
	put in.ndjson '{"a":1}\n{"a":2}\n{"a":1}\n{"a":1,}\n{"a":3}\n'
	run --separate-stderr etl-dedupe in.ndjson
	assert_failure 65
	assert_output $'{"a":1}\n{"a":2}'
	assert_stderr "etl-dedupe: in.ndjson:4:8: invalid JSON: expected a string key"
}

@test "a failing run with --keep last writes nothing: no winner is known yet" {
	put in.ndjson '{"a":1,"v":1}\n{"a":2}\n{"a":1,"v":2}\n[]\n'
	run --separate-stderr etl-dedupe -k a --keep last in.ndjson
	assert_failure 65
	assert_output ""
	assert_stderr "etl-dedupe: in.ndjson:4:1: not a JSON object: an array"
}

@test "-o writes atomically; a failed run leaves no file" {
	put in.ndjson '{"a":1}\n{"a":1}\n'
	run --separate-stderr etl-dedupe -q -k a --keep last -o out.ndjson in.ndjson
	assert_success
	assert_output ""
	assert_bytes out.ndjson '{"a":1}\n'
	put bad.ndjson '{"a":1}\n[1]\n'
	run --separate-stderr etl-dedupe -q -o out2.ndjson bad.ndjson
	assert_failure 65
	[[ ! -e out2.ndjson ]] || fail "out2.ndjson was left behind"
	assert_no_temp_files .
}

@test "an unreadable input is an I/O error (status 74)" {
	run --separate-stderr etl-dedupe nosuch.ndjson
	assert_failure 74
	assert_output ""
	assert_stderr "etl-dedupe: nosuch.ndjson: cannot open: No such file or directory"
}

@test "a closed pipe ends the run quietly" {
	awk 'BEGIN { for (i = 0; i < 200000; i++) printf "{\"k\":%d}\n", i }' >in.ndjson
	run --separate-stderr bash -c 'set -o pipefail; etl-dedupe -k k in.ndjson | head -1'
	assert_success
	assert_output '{"k":0}'
	assert_no_stderr
}

# live_run ARGS...: pipe three records into etl-dedupe ARGS (the second a
# duplicate) and keep the pipe open until out.ndjson holds the first and the
# third, for at most 5 s; then copy it to mid.ndjson and send a last
# duplicate.  A record held back until the next one comes never shows up.
live_run() {
	: >out.ndjson
	{
		printf '{"a":1,"b":1}\n{"a":1,"b":1}\n{"a":2,"b":1}\n'
		for ((i = 0; i < 100; i++)); do
			[[ $(cat out.ndjson) == $'{"a":1,"b":1}\n{"a":2,"b":1}' ]] && break
			sleep 0.05
		done
		cp out.ndjson mid.ndjson
		printf '{"a":2,"b":1}\n'
	} | etl-dedupe "$@" >out.ndjson
}

@test "on a live input each record is written as soon as it is read, with -k, without and with --exact" {
	local args
	for args in "-k a" "" "--exact"; do
		# shellcheck disable=SC2086
		run --separate-stderr live_run $args
		assert_success
		assert_stderr "etl-dedupe: 2 duplicates dropped"
		assert_equal "$(cat mid.ndjson)" $'{"a":1,"b":1}\n{"a":2,"b":1}'
		assert_equal "$(cat out.ndjson)" $'{"a":1,"b":1}\n{"a":2,"b":1}'
	done
}

# --- usage -----------------------------------------------------------------

@test "bad -k paths are usage errors with the column of the fault, named as the option was written" {
	run --separate-stderr etl-dedupe -k 'a,,b' /dev/null
	usage_error "-k: column 3: empty field name"
	run --separate-stderr etl-dedupe -k 'a.' /dev/null
	usage_error "-k: column 3: empty field name"
	run --separate-stderr etl-dedupe -k '"a' /dev/null
	usage_error "-k: column 3: unterminated quoted segment"
	run --separate-stderr etl-dedupe -k 'a=1' /dev/null
	usage_error "-k: column 2: expected ',' between field paths"
	run --separate-stderr etl-dedupe --key 'a=1' /dev/null
	usage_error "--key: column 2: expected ',' between field paths"
	run --separate-stderr etl-dedupe -k '' /dev/null
	usage_error "-k: column 1: empty field name"
	run --separate-stderr etl-dedupe -k
	usage_error "-k: requires an argument"
}

@test "--latest-by takes one path" {
	run --separate-stderr etl-dedupe --latest-by 'a,b' /dev/null
	usage_error "--latest-by: column 2: unexpected character in field path"
}

@test "--keep takes first or last" {
	run --separate-stderr etl-dedupe --keep middle /dev/null
	usage_error "--keep: expected 'first' or 'last', got 'middle'"
}

@test "--require-key needs -k" {
	run --separate-stderr etl-dedupe --require-key /dev/null
	usage_error "--require-key: needs key fields (-k)"
}

@test "an unknown option is a usage error" {
	run --separate-stderr etl-dedupe --unique /dev/null
	usage_error "--unique: unknown option"
	run --separate-stderr etl-dedupe --exact=yes /dev/null
	usage_error "--exact: takes no argument"
}

@test "--help lists every option and --version prints the version" {
	run --separate-stderr etl-dedupe --help
	assert_success
	assert_no_stderr
	assert_line --index 0 "Usage: etl-dedupe [-k FIELDS] [--keep first|last] [--latest-by FIELD] [OPTIONS] [FILE...]"
	local o

	for o in "-k, --key FIELDS" "--keep first|last" "--latest-by FIELD" --exact --require-key \
		"--memory SIZE" "--window N" "--within DURATION" "--time-field FIELD" \
		--output --bad-records --max-bad --progress --stats --quiet --help --version; do
		assert_line --partial -- "$o"
	done
	run --separate-stderr etl-dedupe --version
	assert_success
	assert_output --regexp '^etl-dedupe [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "the man page documents every option of --help" {
	local o opts

	opts=$(etl-dedupe --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
	[[ -n $opts ]] || fail "no options in --help"
	for o in $opts; do
		grep -qF -- "*$o*" "$ETL_ROOT/man/etl-dedupe.1.scd" || fail "$o is not in the man page"
	done
	# and nothing more: every option the man page describes is in --help
	for o in $(grep -oE '^\*-(-[a-z][a-z-]+|[a-z])\*' "$ETL_ROOT/man/etl-dedupe.1.scd" | tr -d '*'); do
		grep -qF -- "$o" <<<"$opts" || [[ $o == -? ]] || fail "$o is in the man page, not in --help"
	done
}

@test "the completions offer every option of --help" {
	local o f

	for f in "$ETL_ROOT/completions/etl.bash" "$ETL_ROOT/completions/_etl"; do
		[[ -f $f ]] || skip "$f is not there yet"
		grep -q 'etl-dedupe' "$f" || skip "$f has no etl-dedupe block yet"
	done
	for o in $(etl-dedupe --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		grep -qF -- "$o" "$ETL_ROOT/completions/etl.bash" || fail "$o missing in etl.bash"
		grep -qF -- "$o" "$ETL_ROOT/completions/_etl" || fail "$o missing in _etl"
	done
}

@test "the man page's examples run from tests/data/csv and print what they show" {
	check_man_examples etl-dedupe 6
}
