#!/usr/bin/env bats
# tests/etl-sort.bats - etl-sort: the typed order against a Python reference
# (tests/helpers/sortref.py) on generated data with nulls, missing fields,
# numbers in every spelling and size, strings and duplicates (stability);
# the external sort's output equal to the in-memory one; -u, --check,
# --merge; the counts of --stats; usage errors with their exact messages.

load helpers/common

REF="$BATS_TEST_DIRNAME/helpers/sortref.py"

setup() {
	cd "$TMP" || return 1
}

# usage_error MSG: the run failed with status 2, MSG and the hint to --help.
usage_error() {
	assert_failure 2
	assert_output ""
	assert_stderr "$1"$'\n'"Try 'etl-sort --help' for more information."
}

stat_counts() {
	jq -r '"\(.records_in) \(.records_out) \(.bad) \(.dropped)"' "$1"
}

# --- the order ----------------------------------------------------------------

@test "numbers sort by exact value whatever their text; equal ones keep input order" {
	put in.ndjson '{"v":100,"n":1}\n{"v":1e2,"n":2}\n{"v":99.999999999999999999999999,"n":3}\n{"v":12345678901234567890123456789012345678901,"n":4}\n{"v":-0.5,"n":5}\n{"v":1e-400,"n":6}\n{"v":-0,"n":7}\n{"v":100.0,"n":8}\n{"v":-1e99999999999999999999999,"n":9}\n'
	run --separate-stderr etl-sort -k v in.ndjson
	assert_success
	assert_no_stderr
	assert_output '{"v":-1e99999999999999999999999,"n":9}
{"v":-0.5,"n":5}
{"v":-0,"n":7}
{"v":1e-400,"n":6}
{"v":99.999999999999999999999999,"n":3}
{"v":100,"n":1}
{"v":1e2,"n":2}
{"v":100.0,"n":8}
{"v":12345678901234567890123456789012345678901,"n":4}'
}

@test "kinds in order false, true, numbers, strings, arrays and objects; null last, first with :desc" {
	put in.ndjson '{"v":"b"}\n{"v":null}\n{"v":[1]}\n{"x":1}\n{"v":true}\n{"v":"\\u0061"}\n{"v":2}\n{"v":false}\n{"v":{"a":1}}\n{"v":"10"}\n'
	run --separate-stderr etl-sort -k v in.ndjson
	assert_success
	assert_output '{"v":false}
{"v":true}
{"v":2}
{"v":"10"}
{"v":"\u0061"}
{"v":"b"}
{"v":[1]}
{"v":{"a":1}}
{"v":null}
{"x":1}'
	run --separate-stderr etl-sort -k v:desc in.ndjson
	assert_success
	assert_output '{"v":null}
{"x":1}
{"v":{"a":1}}
{"v":[1]}
{"v":"b"}
{"v":"\u0061"}
{"v":"10"}
{"v":2}
{"v":true}
{"v":false}'
	run --separate-stderr etl-sort -k v:nulls-first in.ndjson
	assert_success
	assert_line -n 0 '{"v":null}'
	assert_line -n 1 '{"x":1}'
	assert_line -n 2 '{"v":false}'
	run --separate-stderr etl-sort -k v:desc:nulls-last in.ndjson
	assert_success
	assert_line -n 0 '{"v":{"a":1}}'
	assert_line -n 9 '{"x":1}'
}

@test "records are written byte-exact, nested key paths and quoted keys" {
	put in.ndjson '{ "a" : {"b": 2} ,"x":"1.50"}\n{"a":{"b":1.50}}\r\n{"a.b":0,"a":{"b":3}}\n'
	run --separate-stderr etl-sort -k a.b:desc in.ndjson
	assert_success
	assert_output $'{"a.b":0,"a":{"b":3}}\n{ "a" : {"b": 2} ,"x":"1.50"}\n{"a":{"b":1.50}}'
	run --separate-stderr etl-sort -k '"a.b",a.b' in.ndjson
	assert_success
	assert_output $'{"a.b":0,"a":{"b":3}}\n{"a":{"b":1.50}}\n{ "a" : {"b": 2} ,"x":"1.50"}'
}

@test "the order equals the Python reference on generated data, for every kind of key" {
	python3 "$REF" gen 3000 1 >in.ndjson
	for k in v v:desc v:nulls-first v:desc:nulls-last,w w,v:desc w:asc,v:nulls-first; do
		python3 "$REF" sort "$k" in.ndjson >want
		etl-sort -k "$k" in.ndjson >got
		cmp want got || fail "-k $k differs from the reference"
		python3 "$REF" sort "$k" -u in.ndjson >want
		etl-sort -u -k "$k" in.ndjson >got
		cmp want got || fail "-u -k $k differs from the reference"
	done
}

@test "beyond --memory the output is the in-memory one, byte for byte, with many runs" {
	python3 "$REF" gen 3000 2 >in.ndjson
	for k in v:desc,w w,v; do
		etl-sort -k "$k" in.ndjson >mem
		python3 "$REF" sort "$k" in.ndjson >want
		cmp want mem || fail "-k $k differs from the reference"
		# about 10 records a run: hundreds of runs, merged in steps
		etl-sort -k "$k" --memory 1k --temp-dir "$TMP" --stats st.json in.ndjson >disk
		cmp mem disk || fail "-k $k --memory 1k differs from the in-memory sort"
		assert_equal "$(stat_counts st.json)" "3000 3000 0 0"
		etl-sort -u -k "$k" --memory 2k in.ndjson >disk
		etl-sort -u -k "$k" in.ndjson >mem
		cmp mem disk || fail "-u -k $k --memory 2k differs from the in-memory sort"
	done
	# the temporary files are gone
	assert_equal "$(find "$TMP" -name 'etl-*' | wc -l)" 0
}

@test "-u writes the first record of each key and counts the rest as dropped" {
	put in.ndjson '{"k":1,"n":1}\n{"k":"1","n":2}\n{"k":1.0,"n":3}\n{"n":4}\n{"k":null,"n":5}\n{"k":0,"n":6}\n'
	run --separate-stderr etl-sort -u -k k --stats st.json in.ndjson
	assert_success
	assert_output $'{"k":0,"n":6}\n{"k":1,"n":1}\n{"k":"1","n":2}\n{"n":4}'
	assert_equal "$(stat_counts st.json)" "6 4 0 2"
}

# --- --check and --merge --------------------------------------------------------

@test "--check: status 0 and no output when sorted, 1 at the first record out of order" {
	put in.ndjson '{"v":1}\n{"v":1e0}\n{"v":2}\n{"v":1.5}\n{"v":0}\n'
	run --separate-stderr etl-sort --check -k v in.ndjson
	assert_failure 1
	assert_output ""
	assert_stderr "etl-sort: in.ndjson:4: out of order: sorts before line 3"
	etl-sort -k v in.ndjson >sorted.ndjson
	run --separate-stderr etl-sort --check -k v --stats st.json sorted.ndjson
	assert_success
	assert_output ""
	assert_no_stderr
	assert_equal "$(stat_counts st.json)" "5 0 0 5"
	run --separate-stderr etl-sort -c -u -k v sorted.ndjson
	assert_failure 1
	assert_stderr "etl-sort: sorted.ndjson:3: not unique: the same key as line 2"
	put a.ndjson '{"v":3}\n'
	run --separate-stderr etl-sort -c -k v a.ndjson sorted.ndjson
	assert_failure 1
	assert_stderr "etl-sort: sorted.ndjson:1: out of order: sorts before the last record of a.ndjson"
}

@test "--merge merges sorted inputs, ties to the first input, as a stable sort of them all" {
	python3 "$REF" gen 500 3 >a0
	python3 "$REF" gen 700 4 >b0
	etl-sort -k w,v:desc a0 >a.ndjson
	etl-sort -k w,v:desc b0 >b.ndjson
	python3 "$REF" sort w,v:desc a.ndjson b.ndjson >want
	run --separate-stderr etl-sort -m -k w,v:desc --stats st.json a.ndjson - <b.ndjson
	assert_success
	assert_no_stderr
	assert_output "$(cat want)"
	assert_equal "$(stat_counts st.json)" "1200 1200 0 0"
	python3 "$REF" sort w,v:desc -u a.ndjson b.ndjson >want
	run --separate-stderr etl-sort --merge -u -k w,v:desc a.ndjson b.ndjson
	assert_output "$(cat want)"
}

@test "--merge: an input out of order is bad data" {
	put a.ndjson '{"v":1}\n{"v":3}\n'
	put b.ndjson '{"v":2}\n{"v":1}\n'
	run --separate-stderr etl-sort --merge -k v a.ndjson b.ndjson
	assert_failure 65
	assert_stderr "etl-sort: b.ndjson:2: out of order: --merge needs inputs sorted on the key"
}

# --- errors -----------------------------------------------------------------------

@test "a bad record fails with its location, or is skipped and counted" {
	put in.ndjson '{"v":2}\n{"v":\n{"v":1}\n'
	run --separate-stderr etl-sort -k v in.ndjson
	assert_failure 65
	assert_output ""
	assert_stderr_regex '^etl-sort: in.ndjson:2:[0-9]+: invalid JSON'
	run --separate-stderr etl-sort -k v --bad-records skip -q --stats st.json in.ndjson
	assert_success
	assert_output $'{"v":1}\n{"v":2}'
	assert_equal "$(stat_counts st.json)" "3 2 1 0"
}

@test "usage errors name the option" {
	run --separate-stderr etl-sort in.ndjson
	usage_error "etl-sort: --key: required: the fields to sort on"
	run --separate-stderr etl-sort -k v:desc:asc
	usage_error "etl-sort: -k: column 8: 'asc' after another direction"
	run --separate-stderr etl-sort -k 'a,,b'
	usage_error "etl-sort: -k: column 3: expected a field"
	run --separate-stderr etl-sort -k v --check --merge
	usage_error "etl-sort: --check: cannot be used with --merge"
	run --separate-stderr etl-sort -k v --merge --memory 1M
	usage_error "etl-sort: --memory: cannot be used with --merge (it holds no records)"
	run --separate-stderr etl-sort -k v --check --temp-dir .
	usage_error "etl-sort: --temp-dir: cannot be used with --check (it writes no temporary file)"
	run --separate-stderr etl-sort -k v --memory lots
	usage_error "etl-sort: --memory: expected a size of at least 1 (512M, 1.5G, 64k), got 'lots'"
}

@test "a field whose name holds a colon is still a field" {
	put in.ndjson '{"a:b":2}\n{"a:b":1}\n'
	run --separate-stderr etl-sort -k 'a:b:desc' in.ndjson
	assert_success
	assert_output $'{"a:b":2}\n{"a:b":1}'
	run --separate-stderr etl-sort -k 'a:b' in.ndjson
	assert_output $'{"a:b":1}\n{"a:b":2}'
}

@test "the man page's examples print what they show" {
	check_man_examples etl-sort 3
}
