#!/usr/bin/env bats
# tests/etl-head.bats - etl-head: first and last N, per group, reservoir and
# Bernoulli samples.
#
# Each mode's output against a reference computed here (byte-exact lines, in
# input order), early stop on -n (an upstream writer ends, a big file is not
# read), reproducibility of the seeded modes, the uniformity of --sample
# over many seeds (a chi-square test), the counts of --stats, and usage
# errors with their exact messages.

load helpers/common

setup() {
	cd "$TMP" || return 1
}

# nums N: N records {"i":1,"g":1%3} ... one per line.
nums() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"i\":%d,\"g\":%d}\n", i, i % 3 }'
}

stat_counts() {
	jq -r '"\(.records_in) \(.records_out) \(.bad) \(.dropped)"' "$1"
}

# --- first N ------------------------------------------------------------------

@test "-n N writes the first N records byte-exact; 10 by default" {
	put in.ndjson '{ "a" : 1.50 }\n{"a":2}\n{"a":1e2}\n'
	run --separate-stderr etl-head -n 2 in.ndjson
	assert_success
	assert_no_stderr
	assert_output $'{ "a" : 1.50 }\n{"a":2}'
	nums 12 >n.ndjson
	run --separate-stderr etl-head n.ndjson
	assert_success
	assert_output "$(nums 10)"
}

@test "-n stops reading at the N-th record: a bad line after it is never read" {
	printf '{"a":1}\n{"a":2}\nnot json\n' >in.ndjson
	run --separate-stderr etl-head -n 2 --stats st.json in.ndjson
	assert_success
	assert_output $'{"a":1}\n{"a":2}'
	assert_equal "$(stat_counts st.json)" "2 2 0 0"
	run --separate-stderr etl-head -n 3 in.ndjson
	assert_failure 65
	assert_stderr "etl-head: in.ndjson:3:2: invalid JSON: invalid literal"
}

@test "-n ends an endless upstream writer and answers at once" {
	# yes never ends by itself: only a closed pipe stops it
	run --separate-stderr timeout 10 bash -c "yes '{\"a\":1}' | etl-head -n 3"
	assert_success
	assert_output $'{"a":1}\n{"a":1}\n{"a":1}'
}

@test "-n 0 writes nothing and reads nothing" {
	run --separate-stderr etl-head -n 0 --stats st.json /dev/null
	assert_success
	assert_output ""
	assert_equal "$(stat_counts st.json)" "0 0 0 0"
}

@test "-g -n N writes the first N records of each group, in input order" {
	nums 10 >in.ndjson
	run --separate-stderr etl-head -g g -n 2 --stats st.json in.ndjson
	assert_success
	assert_output "$(nums 10 | awk -F'"g":' '{ g = $2 + 0; if (c[g]++ < 2) print }')"
	assert_equal "$(stat_counts st.json)" "10 6 0 4"
}

@test "groups compare values as JSON: 1, 1.0 and missing vs null" {
	put in.ndjson '{"k":1,"n":1}\n{"k":1.0,"n":2}\n{"n":3}\n{"k":null,"n":4}\n{"k":"1","n":5}\n'
	run --separate-stderr etl-head -g k -n 1 in.ndjson
	assert_success
	assert_output $'{"k":1,"n":1}\n{"n":3}\n{"k":"1","n":5}'
}

# --- last N -------------------------------------------------------------------

@test "--tail N writes the last N records, in input order" {
	nums 25 >in.ndjson
	run --separate-stderr etl-head --tail 3 --stats st.json in.ndjson
	assert_success
	assert_output "$(nums 25 | tail -n 3)"
	assert_equal "$(stat_counts st.json)" "25 3 0 22"
	run --separate-stderr etl-head --tail 30 in.ndjson
	assert_output "$(nums 25)"
}

@test "-g --tail N writes each group's last N records, in input order" {
	nums 20 >in.ndjson
	run --separate-stderr etl-head -g g --tail 2 in.ndjson
	assert_success
	assert_output "$(nums 20 | tail -n 6)"
}

# --- samples ------------------------------------------------------------------

@test "--sample N with a seed: N distinct input records, in input order, the same every run" {
	nums 1000 >in.ndjson
	etl-head --sample 50 --seed 42 --stats st.json in.ndjson >a.ndjson
	etl-head --sample 50 --seed 42 in.ndjson >b.ndjson
	assert_same_file a.ndjson b.ndjson
	assert_equal "$(wc -l <a.ndjson)" 50
	assert_equal "$(sort -u a.ndjson | wc -l)" 50
	# every line is an input line, and they come in input order
	assert_equal "$(grep -c -x -F -f a.ndjson in.ndjson)" 50
	assert_equal "$(jq -r .i a.ndjson | sort -n -c && echo sorted)" sorted
	assert_equal "$(stat_counts st.json)" "1000 50 0 950"
	etl-head --sample 50 --seed 43 in.ndjson >c.ndjson
	run cmp -s a.ndjson c.ndjson
	assert_failure
}

@test "--sample is uniform: every record equally likely over 400 seeds (chi-square)" {
	nums 20 >in.ndjson
	for s in $(seq 1 400); do etl-head --sample 5 --seed "$s" in.ndjson; done >all.ndjson
	# 400 x 5 picks over 20 records: 100 expected each; with 19 degrees
	# of freedom, chi-square above 43.8 has probability 0.001
	run jq -rs 'group_by(.i) | map(length) |
		[length, (map((. - 100) * (. - 100) / 100) | add)] | @tsv' all.ndjson
	assert_success
	local n chi
	read -r n chi <<<"$output"
	assert_equal "$n" 20
	awk -v c="$chi" 'BEGIN { exit !(c < 43.8) }' || fail "chi-square $chi: not uniform"
}

@test "-g --sample N keeps N per group; a group smaller than N is kept whole" {
	nums 30 >in.ndjson
	put small.ndjson '{"g":"x","i":1}\n'
	cat small.ndjson >>in.ndjson
	run --separate-stderr etl-head -g g --sample 4 --seed 1 in.ndjson
	assert_success
	assert_equal "$(jq -r .g <<<"$output" | sort | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" "40 41 42 1x "
}

@test "--fraction P keeps about P of the records, seeded, in input order" {
	nums 10000 >in.ndjson
	etl-head --fraction 0.1 --seed 9 --stats st.json in.ndjson >a.ndjson
	etl-head --fraction 0.1 --seed 9 in.ndjson >b.ndjson
	assert_same_file a.ndjson b.ndjson
	local n
	n=$(wc -l <a.ndjson)
	# 1000 expected, standard deviation 30: 5 sigmas either side
	((n > 850 && n < 1150)) || fail "kept $n of 10000"
	assert_equal "$(stat_counts st.json)" "10000 $n 0 $((10000 - n))"
	assert_equal "$(jq -r .i a.ndjson | sort -n -c && echo sorted)" sorted
	run --separate-stderr etl-head --fraction 0 in.ndjson
	assert_output ""
	run --separate-stderr etl-head --fraction 1 in.ndjson
	assert_output "$(cat in.ndjson)"
}

# --- usage --------------------------------------------------------------------

@test "one mode at a time, and options that fit the mode" {
	run --separate-stderr etl-head -n 2 --tail 3
	assert_failure 2
	assert_stderr $'etl-head: --tail: cannot be used with -n\nTry \'etl-head --help\' for more information.'
	run --separate-stderr etl-head --sample 2 --count 3
	assert_failure 2
	assert_stderr $'etl-head: --count: cannot be used with --sample\nTry \'etl-head --help\' for more information.'
	run --separate-stderr etl-head --seed 1 -n 3
	assert_failure 2
	assert_stderr $'etl-head: --seed: only --sample and --fraction draw at random\nTry \'etl-head --help\' for more information.'
	run --separate-stderr etl-head --fraction 0.5 -g a
	assert_failure 2
	assert_stderr $'etl-head: --group-by: cannot be used with --fraction (each record is drawn alone)\nTry \'etl-head --help\' for more information.'
}

@test "bad counts, probabilities and seeds are usage errors" {
	run --separate-stderr etl-head -n -1
	assert_failure 2
	assert_stderr $'etl-head: -n: expected a non-negative integer, got \'-1\'\nTry \'etl-head --help\' for more information.'
	for p in 1.5 -0.1 1e-3 '' . 0.5x; do
		run --separate-stderr etl-head --fraction "$p"
		assert_failure 2
	done
	run --separate-stderr etl-head --fraction 2
	assert_stderr $'etl-head: --fraction: a probability is at most 1, got \'2\'\nTry \'etl-head --help\' for more information.'
	run --separate-stderr etl-head --fraction abc
	assert_stderr $'etl-head: --fraction: expected a probability from 0 to 1 (0.1, .25), got \'abc\'\nTry \'etl-head --help\' for more information.'
	run --separate-stderr etl-head --sample 3 --seed 18446744073709551616
	assert_failure 2
	assert_stderr $'etl-head: --seed: too large: \'18446744073709551616\'\nTry \'etl-head --help\' for more information.'
}

@test "bad records follow the policy in every mode" {
	printf '{"a":1}\n[1]\n{"a":2}\n' >in.ndjson
	for m in "--tail 5" "--sample 5 --seed 1" "-g a -n 5" "--fraction 1 --seed 1"; do
		# shellcheck disable=SC2086
		run --separate-stderr etl-head $m --bad-records skip --stats st.json in.ndjson
		assert_success
		assert_output $'{"a":1}\n{"a":2}'
		assert_equal "$(stat_counts st.json)" "3 2 1 0"
	done
}

@test "the man page's examples run from tests/data/csv and print what they show" {
	check_man_examples etl-head 4
}
