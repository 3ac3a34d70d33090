#!/usr/bin/env bats
# tests/etl-top.bats - etl-top: the N best records per group, byte-exact.
#
# Ranking (largest first, --asc, ties by input order, exact numbers, nulls
# left out), groups (first-seen order, canonical keys), --rank-field, the
# common options, usage and data errors with their exact messages and
# statuses, and the record counts of --stats.  Fixtures of the man page are in
# tests/data/top/; the rest is written per test into $TMP.

load helpers/common

setup() {
	cd "$TMP" || return 1
	TOP="$DATA/top"
}

# stat_counts FILE: "in out bad dropped" of a --stats record.
stat_counts() {
	jq -r '"\(.records_in) \(.records_out) \(.bad) \(.dropped)"' "$1"
}

# --- ranking --------------------------------------------------------------

@test "keeps the N largest values, best first, lines byte-exact" {
	put in.ndjson '{"id":1,"v":5}\n{ "id" : 2 ,  "v":  9.50 }\n{"id":3,"v":1e1}\n{"id":4,"v":7}\n'
	run --separate-stderr etl-top -n 2 --by v -o out.ndjson in.ndjson
	assert_success
	assert_no_stderr
	assert_bytes out.ndjson '{"id":3,"v":1e1}\n{ "id" : 2 ,  "v":  9.50 }\n'
}

@test "N defaults to 10" {
	seq 1 12 | sed 's/.*/{"v":&}/' >in.ndjson
	run --separate-stderr etl-top --by v in.ndjson
	assert_success
	assert_output "$(seq 12 -1 3 | sed 's/.*/{"v":&}/')"
	assert_no_stderr
}

@test "N larger than the input writes every record, sorted" {
	put in.ndjson '{"v":2}\n{"v":3}\n{"v":1}\n'
	run --separate-stderr etl-top -n 1000000 --by v in.ndjson
	assert_success
	assert_output $'{"v":3}\n{"v":2}\n{"v":1}'
}

@test "--asc keeps the smallest values, smallest first" {
	put in.ndjson '{"v":5}\n{"v":-2}\n{"v":9}\n{"v":0}\n{"v":-2.5}\n'
	run --separate-stderr etl-top -n 3 --asc --by v in.ndjson
	assert_success
	assert_output $'{"v":-2.5}\n{"v":-2}\n{"v":0}'
	assert_no_stderr
}

@test "ties rank by input order: the earlier record first" {
	put in.ndjson '{"id":"a","v":1}\n{"id":"b","v":2}\n{"id":"c","v":1}\n{"id":"d","v":2}\n{"id":"e","v":1}\n'
	run --separate-stderr etl-top -n 4 --by v in.ndjson
	assert_success
	assert_output $'{"id":"b","v":2}\n{"id":"d","v":2}\n{"id":"a","v":1}\n{"id":"c","v":1}'
}

@test "ties rank by input order with --asc too" {
	put in.ndjson '{"id":"a","v":1}\n{"id":"b","v":2}\n{"id":"c","v":1}\n{"id":"d","v":2}\n{"id":"e","v":1}\n'
	run --separate-stderr etl-top -n 4 --asc --by v in.ndjson
	assert_success
	assert_output $'{"id":"a","v":1}\n{"id":"c","v":1}\n{"id":"e","v":1}\n{"id":"b","v":2}'
}

@test "a later record equal to the last kept one does not displace it" {
	put in.ndjson '{"id":1,"v":3}\n{"id":2,"v":2}\n{"id":3,"v":2}\n{"id":4,"v":3}\n'
	run --separate-stderr etl-top -n 2 --by v in.ndjson
	assert_success
	assert_output $'{"id":1,"v":3}\n{"id":4,"v":3}'
	run --separate-stderr etl-top -n 3 --by v in.ndjson
	assert_output $'{"id":1,"v":3}\n{"id":4,"v":3}\n{"id":2,"v":2}'
}

@test "the order is the same whatever heap order the input produces" {
	# 200 records, values 0..19 ten times each: the top 25 are the ten 19s,
	# the ten 18s and the first five 17s, in input order within each value
	for i in $(seq 0 199); do printf '{"i":%d,"v":%d}\n' "$i" $((i * 7 % 20)); done >in.ndjson
	run --separate-stderr etl-top -n 25 --by v in.ndjson
	assert_success
	jq -c 'select(.v >= 17)' in.ndjson | jq -s -c 'sort_by(-.v, .i) | .[:25] | .[]' >want
	assert_output "$(cat want)"
}

@test "decimals compare exactly: 0.10 and 0.1 tie, 0.3 beats 0.29999999999999999999" {
	put in.ndjson '{"id":1,"v":0.29999999999999999999}\n{"id":2,"v":0.10}\n{"id":3,"v":0.3}\n{"id":4,"v":0.1}\n{"id":5,"v":1e-1}\n'
	run --separate-stderr etl-top -n 5 --by v in.ndjson
	assert_success
	assert_output $'{"id":3,"v":0.3}\n{"id":1,"v":0.29999999999999999999}\n{"id":2,"v":0.10}\n{"id":4,"v":0.1}\n{"id":5,"v":1e-1}'
}

@test "big integers compare exactly, beyond 64 bits and beyond doubles" {
	put in.ndjson '{"v":12345678901234567890122}\n{"v":12345678901234567890123}\n{"v":9007199254740993}\n{"v":9007199254740992}\n{"v":-12345678901234567890123}\n'
	run --separate-stderr etl-top -n 5 --by v in.ndjson
	assert_success
	assert_output $'{"v":12345678901234567890123}\n{"v":12345678901234567890122}\n{"v":9007199254740993}\n{"v":9007199254740992}\n{"v":-12345678901234567890123}'
	run --separate-stderr etl-top -n 1 --asc --by v in.ndjson
	assert_output '{"v":-12345678901234567890123}'
}

@test "numbers of more than 38 digits compare exactly" {
	put in.ndjson '{"v":100000000000000000000000000000000000000000001}\n{"v":100000000000000000000000000000000000000000002}\n{"v":1e44}\n'
	run --separate-stderr etl-top -n 3 --by v in.ndjson
	assert_success
	assert_output $'{"v":100000000000000000000000000000000000000000002}\n{"v":100000000000000000000000000000000000000000001}\n{"v":1e44}'
}

@test "exponents and negative numbers compare by value, text kept" {
	put in.ndjson '{"v":1e2}\n{"v":99.5}\n{"v":-1E3}\n{"v":100.0}\n{"v":-0}\n'
	run --separate-stderr etl-top -n 5 --by v in.ndjson
	assert_success
	assert_output $'{"v":1e2}\n{"v":100.0}\n{"v":99.5}\n{"v":-0}\n{"v":-1E3}'
}

@test "strings compare bytewise after decoding escapes" {
	put in.ndjson '{"v":"apple"}\n{"v":"\\u00e9t\\u00e9"}\n{"v":"Zebra"}\n{"v":"zoo"}\n{"v":"été"}\n'
	run --separate-stderr etl-top -n 5 --by v in.ndjson
	assert_success
	assert_output "$(printf '%s\n' '{"v":"\u00e9t\u00e9"}' '{"v":"été"}' '{"v":"zoo"}' '{"v":"apple"}' '{"v":"Zebra"}')"
}

@test "values of different kinds: strings rank above numbers, numbers above booleans" {
	put in.ndjson '{"v":"1"}\n{"v":2}\n{"v":true}\n{"v":false}\n'
	run --separate-stderr etl-top -n 4 --by v in.ndjson
	assert_success
	assert_output $'{"v":"1"}\n{"v":2}\n{"v":true}\n{"v":false}'
}

@test "a nested field path as --by" {
	put in.ndjson '{"o":{"total":5}}\n{"o":{"total":8}}\n{"o":3}\n{"o":{"total":6}}\n'
	run --separate-stderr etl-top -n 2 --by o.total in.ndjson
	assert_success
	assert_output $'{"o":{"total":8}}\n{"o":{"total":6}}'
}

# --- nulls ----------------------------------------------------------------

@test "records whose value is null or missing never enter the top" {
	put in.ndjson '{"id":1,"v":null}\n{"id":2}\n{"id":3,"v":1}\n{"id":4,"v":2}\n'
	run --separate-stderr etl-top -n 3 --by v --stats st.json in.ndjson
	assert_success
	assert_output $'{"id":4,"v":2}\n{"id":3,"v":1}'
	run stat_counts st.json
	assert_output "4 2 0 2"
}

@test "nulls stay out with --asc as well" {
	put in.ndjson '{"id":1,"v":null}\n{"id":2}\n{"id":3,"v":1}\n{"id":4,"v":2}\n'
	run --separate-stderr etl-top -n 3 --asc --by v in.ndjson
	assert_success
	assert_output $'{"id":3,"v":1}\n{"id":4,"v":2}'
}

@test "only nulls: nothing written, all dropped" {
	put in.ndjson '{"v":null}\n{}\n'
	run --separate-stderr etl-top -n 3 --by v --stats st.json in.ndjson
	assert_success
	assert_output ""
	assert_no_stderr
	run stat_counts st.json
	assert_output "2 0 0 2"
}

# --- groups ---------------------------------------------------------------

@test "groups come in first-seen order, each ranked best first" {
	put in.ndjson '{"g":"b","v":1}\n{"g":"a","v":5}\n{"g":"b","v":3}\n{"g":"c","v":0}\n{"g":"a","v":7}\n{"g":"b","v":2}\n{"g":"a","v":6}\n'
	run --separate-stderr etl-top -n 2 -g g --by v in.ndjson
	assert_success
	assert_output $'{"g":"b","v":3}\n{"g":"b","v":2}\n{"g":"a","v":7}\n{"g":"a","v":6}\n{"g":"c","v":0}'
	assert_no_stderr
}

@test "a group takes the place of its first record, even one whose value is null" {
	put in.ndjson '{"g":"b","v":null}\n{"g":"a","v":1}\n{"g":"b","v":2}\n'
	run --separate-stderr etl-top -n 1 --group-by g --by v in.ndjson
	assert_success
	assert_output $'{"g":"b","v":2}\n{"g":"a","v":1}'
}

@test "group keys compare as values: 1, 1.0, 1.00 and 1e0 are one group" {
	put in.ndjson '{"g":1,"v":1}\n{"g":1.0,"v":2}\n{"g":1.00,"v":3}\n{"g":1e0,"v":4}\n{"g":2,"v":0}\n'
	run --separate-stderr etl-top -n 2 -g g --by v in.ndjson
	assert_success
	assert_output $'{"g":1e0,"v":4}\n{"g":1.00,"v":3}\n{"g":2,"v":0}'
}

@test "group keys: escapes decode, a number and a string differ" {
	put in.ndjson '{"g":"a","v":1}\n{"g":"\\u0061","v":2}\n{"g":1,"v":3}\n{"g":"1","v":4}\n'
	run --separate-stderr etl-top -n 1 -g g --by v in.ndjson
	assert_success
	assert_output $'{"g":"\\u0061","v":2}\n{"g":1,"v":3}\n{"g":"1","v":4}'
}

@test "a missing group field and null are one group of their own" {
	put in.ndjson '{"g":null,"v":1}\n{"g":"x","v":1}\n{"v":3}\n{"g":"null","v":9}\n{"g":null,"v":2}\n'
	run --separate-stderr etl-top -n 5 -g g --by v in.ndjson
	assert_success
	assert_output $'{"v":3}\n{"g":null,"v":2}\n{"g":null,"v":1}\n{"g":"x","v":1}\n{"g":"null","v":9}'
}

@test "several group fields, nested paths, and object keys in any order" {
	put in.ndjson '{"a":1,"b":{"c":"x"},"v":1}\n{"a":1,"b":{"c":"y"},"v":2}\n{"a":1,"b":{"c":"x"},"v":3}\n{"a":2,"b":{"c":"x"},"v":4}\n'
	run --separate-stderr etl-top -n 1 -g a,b.c --by v in.ndjson
	assert_success
	assert_output $'{"a":1,"b":{"c":"x"},"v":3}\n{"a":1,"b":{"c":"y"},"v":2}\n{"a":2,"b":{"c":"x"},"v":4}'
	put in2.ndjson '{"k":{"x":1,"y":2},"v":1}\n{"k":{"y":2,"x":1.0},"v":2}\n'
	run --separate-stderr etl-top -n 1 -g k --by v in2.ndjson
	assert_output '{"k":{"y":2,"x":1.0},"v":2}'
}

@test "a group field named with a dot is quoted" {
	put in.ndjson '{"a.b":1,"v":1}\n{"a.b":2,"v":2}\n{"a.b":1,"v":3}\n'
	run --separate-stderr etl-top -n 1 -g '"a.b"' --by v in.ndjson
	assert_success
	assert_output $'{"a.b":1,"v":3}\n{"a.b":2,"v":2}'
}

@test "the last -g counts" {
	put in.ndjson '{"a":1,"b":1,"v":1}\n{"a":1,"b":2,"v":2}\n'
	run --separate-stderr etl-top -n 1 -g b -g a --by v in.ndjson
	assert_success
	assert_output '{"a":1,"b":2,"v":2}'
}

# --- --rank-field ---------------------------------------------------------

@test "--rank-field adds the rank as the last field, the rest byte-exact" {
	put in.ndjson '{"g":"x","v":1.50}\n  { "g" : "x" , "v" : 2e0 }  \n{"g":"y","v":7}\n{"g":"x","v":1}\n'
	run --separate-stderr etl-top -n 2 -g g --by v --rank-field rank -o out.ndjson in.ndjson
	assert_success
	assert_no_stderr
	assert_bytes out.ndjson '  { "g" : "x" , "v" : 2e0 ,"rank":1}  \n{"g":"x","v":1.50,"rank":2}\n{"g":"y","v":7,"rank":1}\n'
}

@test "--rank-field name is escaped as a JSON key" {
	put in.ndjson '{"v":1}\n'
	run --separate-stderr etl-top --by v --rank-field 'a "b"\c' in.ndjson
	assert_success
	assert_output '{"v":1,"a \"b\"\\c":1}'
}

@test "--rank-field on a record that already has the field adds a second member" {
	put in.ndjson '{"rank":"old","v":1}\n'
	run --separate-stderr etl-top --by v --rank-field rank in.ndjson
	assert_success
	assert_output '{"rank":"old","v":1,"rank":1}'
}

@test "--rank-field on empty objects" {
	put in.ndjson '{}\n{ }\n'
	run --separate-stderr etl-top -n 2 --by 1 --rank-field r -o out.ndjson in.ndjson
	assert_success
	assert_bytes out.ndjson '{"r":1}\n{ "r":2}\n'
}

@test "--rank-field after a nested object or array at the end" {
	put in.ndjson '{"v":1,"o":{}}\n{"v":2,"a":[]}\n'
	run --separate-stderr etl-top --by v --rank-field r in.ndjson
	assert_success
	assert_output $'{"v":2,"a":[],"r":1}\n{"v":1,"o":{},"r":2}'
}

@test "--rank-field must not be empty" {
	run --separate-stderr etl-top --by v --rank-field '' /dev/null
	assert_failure 2
	assert_output ""
	assert_stderr $'etl-top: --rank-field: the name is empty\nTry \'etl-top --help\' for more information.'
}

@test "--rank-field must be valid UTF-8" {
	run --separate-stderr etl-top --by v --rank-field $'\xff' /dev/null
	assert_failure 2
	assert_output ""
	assert_stderr $'etl-top: --rank-field: the name is not valid UTF-8\nTry \'etl-top --help\' for more information.'
}

# --- expressions ----------------------------------------------------------

@test "--by takes an expression: exact products" {
	put in.ndjson '{"id":1,"q":3,"p":0.10}\n{"id":2,"q":1,"p":0.30}\n{"id":3,"q":2,"p":0.16}\n{"id":4,"p":9}\n'
	run --separate-stderr etl-top -n 3 --by 'q * p' in.ndjson
	assert_success
	assert_output $'{"id":3,"q":2,"p":0.16}\n{"id":1,"q":3,"p":0.10}\n{"id":2,"q":1,"p":0.30}'
}

@test "--by on computed strings: each kept value survives the next records" {
	put in.ndjson '{"n":"b"}\n{"n":"A"}\n{"n":"c"}\n{"n":"B"}\n{"n":"a"}\n'
	run --separate-stderr etl-top -n 4 --by 'lower(n)' in.ndjson
	assert_success
	assert_output $'{"n":"c"}\n{"n":"b"}\n{"n":"B"}\n{"n":"A"}'
	run --separate-stderr etl-top -n 2 --asc --by 'lower(n)' in.ndjson
	assert_output $'{"n":"A"}\n{"n":"a"}'
}

@test "--by on times compares instants, whatever the offset" {
	put in.ndjson '{"t":"2026-11-24T18:30:00+01:00"}\n{"t":"2026-11-24T17:45:00Z"}\n{"t":"2026-11-24T17:30:00Z"}\n'
	run --separate-stderr etl-top --by 'parse_time(t)' --rank-field r in.ndjson
	assert_success
	assert_output $'{"t":"2026-11-24T17:45:00Z","r":1}\n{"t":"2026-11-24T18:30:00+01:00","r":2}\n{"t":"2026-11-24T17:30:00Z","r":3}'
}

@test "--by giving null for some records (an operation on null) leaves them out" {
	put in.ndjson '{"id":1,"q":2}\n{"id":2}\n{"id":3,"q":5}\n'
	run --separate-stderr etl-top --by 'q * 10' --stats st.json in.ndjson
	assert_success
	assert_output $'{"id":3,"q":5}\n{"id":1,"q":2}'
	run stat_counts st.json
	assert_output "3 2 0 1"
}

@test "the man page's examples run from tests/data/csv and print what they show" {
	check_man_examples etl-top 4
}

@test "a syntax error in --by is a usage error" {
	run --separate-stderr etl-top --by 'v +' /dev/null
	assert_failure 2
	assert_output ""
	assert_stderr $'etl-top: --by: column 4: expected an operand, found the end of the expression\nTry \'etl-top --help\' for more information.'
	run --separate-stderr etl-top --by 'qty *' --by 'nosuch(qty)' /dev/null
	assert_failure 2
	assert_output ""
	assert_stderr_regex "^etl-top: --by: column 1: unknown function 'nosuch'"
}

@test "a run-time error in --by makes the record bad: fail stops with 65" {
	put in.ndjson '{"v":1}\n{"v":"abc"}\n{"v":3}\n'
	run --separate-stderr etl-top --by 'v * 2' in.ndjson
	assert_failure 65
	assert_output ""
	assert_stderr 'etl-top: in.ndjson:2: --by: v * 2: cannot multiply the string "abc"'
}

@test "a run-time error in --by with skip: counted as bad, the rest ranked" {
	put in.ndjson '{"v":1}\n{"v":"abc"}\n{"v":3}\n'
	run --separate-stderr etl-top --by 'v * 2' --bad-records skip --stats st.json in.ndjson
	assert_success
	assert_output $'{"v":3}\n{"v":1}'
	assert_stderr $'etl-top: in.ndjson:2: --by: v * 2: cannot multiply the string "abc" (skipped; further bad records are counted)\netl-top: 1 bad record skipped'
	run stat_counts st.json
	assert_output "3 2 1 0"
}

# --- usage errors ---------------------------------------------------------

@test "-n must be a positive integer" {
	local bad

	for bad in 0 -1 abc 1x '' ' 3' +3 1.5; do
		run --separate-stderr etl-top -n "$bad" --by v /dev/null
		assert_failure 2
		assert_output ""
		assert_stderr "etl-top: -n: expected a positive integer, got '$bad'"$'\n'"Try 'etl-top --help' for more information."
	done
}

@test "-n too large; a message names the option as it was spelled" {
	run --separate-stderr etl-top --count 999999999999999999999999 --by v /dev/null
	assert_failure 2
	assert_output ""
	assert_stderr $'etl-top: --count: too large: \'999999999999999999999999\'\nTry \'etl-top --help\' for more information.'
	run --separate-stderr etl-top -n 999999999999999999999999 --by v /dev/null
	assert_failure 2
	assert_stderr $'etl-top: -n: too large: \'999999999999999999999999\'\nTry \'etl-top --help\' for more information.'
	run --separate-stderr etl-top --count 0 --by v /dev/null
	assert_failure 2
	assert_stderr $'etl-top: --count: expected a positive integer, got \'0\'\nTry \'etl-top --help\' for more information.'
}

@test "--by is required" {
	run --separate-stderr etl-top -n 3 /dev/null
	assert_failure 2
	assert_output ""
	assert_stderr $'etl-top: --by: is required\nTry \'etl-top --help\' for more information.'
}

@test "a bad -g path is a usage error" {
	run --separate-stderr etl-top --by v -g 'a,' /dev/null
	assert_failure 2
	assert_output ""
	assert_stderr $'etl-top: -g: column 3: empty field name\nTry \'etl-top --help\' for more information.'
}

@test "an unknown option is a usage error" {
	run --separate-stderr etl-top --by v --desc /dev/null
	assert_failure 2
	assert_output ""
	assert_stderr $'etl-top: --desc: unknown option\nTry \'etl-top --help\' for more information.'
}

@test "-n without its argument is a usage error" {
	run --separate-stderr etl-top --by v -n
	assert_failure 2
	assert_output ""
	assert_stderr $'etl-top: -n: requires an argument\nTry \'etl-top --help\' for more information.'
}

@test "a usage error with -o leaves no file behind" {
	run --separate-stderr etl-top -o out.ndjson -n 0 --by v /dev/null
	assert_failure 2
	assert_output ""
	[[ ! -e out.ndjson ]]
	assert_no_temp_files .
}

# --- input, output and the common options ----------------------------------

@test "several inputs are one stream; - is stdin; options may follow files" {
	put a.ndjson '{"f":"a","v":1}\n{"f":"a","v":4}\n'
	put b.ndjson '{"f":"b","v":3}\n'
	run --separate-stderr bash -c 'printf "{\"f\":\"stdin\",\"v\":2}\n" | etl-top a.ndjson - b.ndjson -n 3 --by v'
	assert_success
	assert_output $'{"f":"a","v":4}\n{"f":"b","v":3}\n{"f":"stdin","v":2}'
}

@test "reads stdin without arguments; CRLF, blank lines and a missing final newline" {
	run --separate-stderr bash -c 'printf "{\"v\":1}\r\n\r\n{\"v\":2}\n\n{\"v\":3}" | etl-top -n 2 --by v -o out.ndjson'
	assert_success
	assert_output ""
	assert_bytes out.ndjson '{"v":3}\n{"v":2}\n'
}

@test "empty input: no output, zero counts" {
	run --separate-stderr etl-top --by v --stats st.json /dev/null
	assert_success
	assert_output ""
	assert_no_stderr
	run stat_counts st.json
	assert_output "0 0 0 0"
}

@test "-o writes the file atomically and nothing to stdout" {
	put in.ndjson '{"v":1}\n{"v":2}\n'
	run --separate-stderr etl-top --by v --output out.ndjson in.ndjson
	assert_success
	assert_output ""
	assert_bytes out.ndjson '{"v":2}\n{"v":1}\n'
	assert_no_temp_files .
}

@test "an invalid line fails with 65 and its location, -o left untouched" {
	put in.ndjson '{"v":1}\n{"v":2,}\n'
	put out.ndjson 'old\n'
	run --separate-stderr etl-top --by v -o out.ndjson in.ndjson
	assert_failure 65
	assert_output ""
	assert_stderr 'etl-top: in.ndjson:2:8: invalid JSON: expected a string key'
	assert_bytes out.ndjson 'old\n'
	assert_no_temp_files .
}

@test "--bad-records FILE gets invalid lines; the counts add up" {
	put in.ndjson '{"g":1,"v":1}\n[1]\n{"g":1,"v":2}\n{"g":2,"v":null}\n{"g":1,"v":3}\n'
	run --separate-stderr etl-top -n 2 -g g --by v --bad-records rej.ndjson --stats st.json in.ndjson
	assert_success
	assert_output $'{"g":1,"v":3}\n{"g":1,"v":2}'
	assert_stderr "etl-top: 1 bad record written to rej.ndjson"
	run jq -c '[.file, .line, .raw]' rej.ndjson
	assert_output '["in.ndjson",2,"[1]"]'
	run stat_counts st.json
	assert_output "5 2 1 2"
}

@test "-q silences the skip warnings" {
	put in.ndjson '{"v":1}\nnope\n'
	run --separate-stderr etl-top -q --by v --bad-records skip in.ndjson
	assert_success
	assert_output '{"v":1}'
	assert_no_stderr
}

@test "--max-bad: more bad records than allowed fail with 1" {
	put in.ndjson '{"v":1}\nx\ny\n{"v":2}\n'
	run --separate-stderr etl-top --by v --bad-records skip --max-bad 1 in.ndjson
	assert_failure 1
	assert_output ""
	assert_stderr_regex 'etl-top: in\.ndjson:3:1: too many bad records: more than 1 \(--max-bad\)$'
}

@test "--stats: records_in = records_out + bad + dropped, with groups" {
	for i in $(seq 1 50); do printf '{"g":%d,"v":%d}\n' $((i % 3)) "$i"; done >in.ndjson
	printf '{"g":0}\n' >>in.ndjson
	run --separate-stderr etl-top -n 4 -g g --by v --stats st.json in.ndjson
	assert_success
	assert_equal "$(wc -l <<<"$output")" 12
	assert_equal "$(head -1 <<<"$output")" '{"g":1,"v":49}'
	run stat_counts st.json
	assert_output "51 12 0 39"
	run jq -c '[.program, .arguments, .exit_status]' st.json
	assert_output '["etl-top",["-n","4","-g","g","--by","v","--stats","st.json","in.ndjson"],0]'
}

@test "--progress=always writes a status line on stderr, not on stdout" {
	put in.ndjson '{"v":1}\n{"v":2}\n'
	run --separate-stderr etl-top --progress=always --by v in.ndjson
	assert_success
	assert_output $'{"v":2}\n{"v":1}'
	assert_stderr_regex 'etl-top: 2 records'
}

@test "a closed pipe ends the run quietly" {
	seq 1 200000 | sed 's/.*/{"v":&}/' >in.ndjson
	run --separate-stderr bash -c 'set -o pipefail; etl-top -n 100000 --by v in.ndjson | head -n 1'
	assert_success
	assert_output '{"v":200000}'
	assert_no_stderr
}

@test "--help lists every option; --version prints the version" {
	run --separate-stderr etl-top --help
	assert_success
	assert_line --index 0 'Usage: etl-top [-n N] --by EXPR [--asc] [-g FIELDS] [--partial | --merge] [OPTIONS] [FILE...]'
	for o in -n, --count --by --asc -g, --group-by --rank-field --partial --merge --shard --shard-key -o, --bad-records --max-bad \
		--progress --stats -q, -h, --version; do
		assert_output --partial -- "$o"
	done
	run --separate-stderr etl-top --version
	assert_success
	assert_output --regexp '^etl-top [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "the man page and the completions name every option of --help" {
	local o
	run etl-top --help
	for o in $(grep -oE -- '--[a-z][a-z-]+' <<<"$output" | sort -u); do
		grep -qF -- "*$o*" "$ETL_ROOT/man/etl-top.1.scd" || fail "man page lacks $o"
		grep -qF -- "$o" "$ETL_ROOT/completions/etl.bash" || fail "bash completion lacks $o"
		grep -qF -- "$o" "$ETL_ROOT/completions/_etl" || fail "zsh completion lacks $o"
	done
	assert_output --partial 'etl-top(1)'
}

@test "a --by field that no record had: a warning, an error with --strict" {
	put in.ndjson '{"qty":1}\n{"qty":2}\n'
	run --separate-stderr etl-top -n 1 --by qyt in.ndjson
	assert_success
	assert_stderr 'etl-top: --by: field qyt never present in 2 records'
	run --separate-stderr etl-top -n 1 --strict --by qyt -o out.ndjson in.ndjson
	assert_failure 1
	assert_stderr 'etl-top: --by: field qyt never present in 2 records'
	[[ ! -e out.ndjson ]]
	run --separate-stderr etl-top -n 1 --strict --by qty in.ndjson
	assert_success
	assert_output '{"qty":2}'
}

# --- partial states and merging -------------------------------------------

# mixed N: N records with groups, ties, nulls and numbers in several spellings
mixed() {
	awk -v n="$1" 'BEGIN { srand(7); for (i = 0; i < n; i++) {
		g = int(rand() * 5); v = int(rand() * 20)
		if (i % 11 == 0) printf "{\"id\":%d,\"g\":%d}\n", i, g
		else if (i % 7 == 0) printf "{ \"id\" : %d, \"g\" : \"%d\", \"v\" : %d.00 }\n", i, g, v
		else printf "{\"id\":%d,\"g\":%d,\"v\":%de0}\n", i, g, v
	} }'
}

@test "--merge of the partial states of consecutive parts equals one run, byte for byte" {
	local args
	mixed 3000 >in.ndjson
	split -n l/4 -d in.ndjson part.
	for args in "-n 3 --by v" "-n 5 --by v -g g" "-n 2 --by id --asc -g g" "-n 4000 --by v -g g"; do
		etl-top $args in.ndjson >one.ndjson
		for f in part.0*; do etl-top $args --partial "$f"; done >states.ndjson
		etl-top $args --merge states.ndjson | cmp - one.ndjson
		# in stages: merged states merge again
		etl-top $args --merge --partial states.ndjson | etl-top $args --merge | cmp - one.ndjson
	done
	etl-top -n 2 --by v -g g --rank-field r in.ndjson >one.ndjson
	for f in part.0*; do etl-top -n 2 --by v -g g --partial "$f"; done |
		etl-top -n 2 --by v -g g --rank-field r --merge | cmp - one.ndjson
}

@test "a partial state: a header, then each group with its records best first, as strings" {
	put in.ndjson '{"g":1,"v":null}\n{"g":2, "v":5}\n{"g":1.0,"v":"x"}\n{"g":2,"v":7}\n'
	run --separate-stderr etl-top -n 1 --by v -g g --partial --stats st.json in.ndjson
	assert_success
	assert_output '{"etl_top":"partial","version":1,"count":1,"by":"v","asc":false,"group_by":"g"}
{"key":[1],"top":["{\"g\":1.0,\"v\":\"x\"}"]}
{"key":[2],"top":["{\"g\":2,\"v\":7}"]}'
	assert_equal "$(stat_counts st.json)" "4 2 0 2"
}

@test "a group without a record in its top keeps its place through a merge" {
	put a.ndjson '{"g":"a","v":null}\n{"g":"b","v":1}\n'
	put b.ndjson '{"g":"a","v":2}\n'
	cat a.ndjson b.ndjson | etl-top --by v -g g >one.ndjson
	{ etl-top --by v -g g --partial a.ndjson; etl-top --by v -g g --partial b.ndjson; } >st.ndjson
	run --separate-stderr etl-top --by v -g g --merge --stats st.json st.ndjson
	assert_success
	assert_output "$(cat one.ndjson)"
	# 4 lines: 2 headers and 1 empty group dropped, 2 records carried in 2 lines
	assert_equal "$(stat_counts st.json)" "5 2 0 3"
}

@test "--merge refuses the states of other options, and lines that are no state" {
	put in.ndjson '{"v":1}\n'
	etl-top -n 2 --by v --partial in.ndjson >st.ndjson
	run --separate-stderr etl-top -n 3 --by v --merge st.ndjson
	assert_failure 2
	assert_equal "$stderr" 'etl-top: st.ndjson:1: partial states of other options: this run'"'"'s -n, --by, --asc and -g make {"etl_top":"partial","version":1,"count":3,"by":"v","asc":false,"group_by":null}'
	put bad.ndjson '{"key":[],"top":[]}\n'
	run --separate-stderr etl-top --by v --merge bad.ndjson
	assert_failure 2
	assert_equal "$stderr" "etl-top: bad.ndjson:1: not a partial state of etl-top: no header before it"
	{ cat st.ndjson; echo '{"key":[],"top":[1]}'; } >bad2.ndjson
	run --separate-stderr etl-top -n 2 --by v --merge bad2.ndjson
	assert_failure 65
	assert_equal "$stderr" "etl-top: bad2.ndjson:3: not a partial state of etl-top: a record is not a string"
	run --separate-stderr etl-top --by v --partial --rank-field r in.ndjson
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "etl-top: --rank-field: not with --partial: ranks are given at the merge"
}

@test "--shard keeps one slice; the slices' tops together are the tops of every group" {
	mixed 2000 >in.ndjson
	etl-top -n 3 --by v -g g in.ndjson | sort >one.ndjson
	for k in 0 1 2; do etl-top -n 3 --by v -g g --shard "$k/3" --shard-key g in.ndjson; done |
		sort | cmp - one.ndjson
}
