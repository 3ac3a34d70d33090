#!/usr/bin/env bats
# tests/follow.bats - --follow FILE (common/input.c, common/follow.c, shown
# through etl-map): a growing file read as tail -F reads it, each record
# tagged with its _off "PATH:BYTE" and its own bytes kept; unfinished lines
# waited for; rotation and truncation; --from-offset; --from-state resuming
# after what etl-load-pg --offsets committed, so a follower killed and
# started again loads every line once.

load helpers/common
load data/pg/cluster

setup_file() {
	pg_setup_file
}

teardown_file() {
	pg_teardown_file
}

setup() {
	cd "$TMP" || return 1
	sql "DROP SCHEMA public CASCADE; CREATE SCHEMA public; GRANT ALL ON SCHEMA public TO public"
}

# wait_lines FILE N: until FILE has N lines (at most 5 s).
wait_lines() {
	local n=0

	# the file appears when the program in the background has started
	until [[ -f $1 ]] && (($(wc -l <"$1") >= $2)); do
		((n++ < 100)) || return 0
		sleep 0.05
	done
}

@test "--follow tags each record with PATH:BYTE after its own bytes, which are kept" {
	put f.ndjson '{"a":1}\n{}\n{"b": "x" }  \n\n{"c":[1,{"d":2}]}\r\n'
	etl-map --follow f.ndjson >out.ndjson &
	local pid=$!
	wait_lines out.ndjson 4
	kill "$pid"
	assert_bytes out.ndjson '{"a":1,"_off":"f.ndjson:0"}\n{"_off":"f.ndjson:8"}\n{"b": "x" ,"_off":"f.ndjson:11"}  \n{"c":[1,{"d":2}],"_off":"f.ndjson:26"}\n'
}

@test "--follow waits for more, and for the end of an unfinished line" {
	put f.ndjson '{"a":1}\n{"b":'
	etl-map --follow f.ndjson >out.ndjson &
	local pid=$!
	wait_lines out.ndjson 1
	sleep 0.2
	run cat out.ndjson
	assert_output '{"a":1,"_off":"f.ndjson:0"}'
	printf '2}\n{"c":3}\n' >>f.ndjson
	wait_lines out.ndjson 3
	kill "$pid"
	run cat out.ndjson
	assert_output $'{"a":1,"_off":"f.ndjson:0"}\n{"b":2,"_off":"f.ndjson:8"}\n{"c":3,"_off":"f.ndjson:16"}'
}

@test "--follow goes on with a file rotated by rename, and with a truncated one" {
	put f.ndjson '{"a":1}\n'
	etl-map --follow f.ndjson >out.ndjson 2>err.txt &
	local pid=$!
	wait_lines out.ndjson 1
	echo '{"a":2}' >>f.ndjson
	mv f.ndjson f.ndjson.1
	echo '{"b":1}' >f.ndjson
	wait_lines out.ndjson 3
	sleep 0.2
	: >f.ndjson
	sleep 0.2
	echo '{"c":1}' >>f.ndjson
	wait_lines out.ndjson 4
	kill "$pid"
	run cat out.ndjson
	assert_output $'{"a":1,"_off":"f.ndjson:0"}\n{"a":2,"_off":"f.ndjson:8"}\n{"b":1,"_off":"f.ndjson:0"}\n{"c":1,"_off":"f.ndjson:0"}'
	run cat err.txt
	assert_output $'etl-map: f.ndjson: file replaced (rotated): following the new one\netl-map: f.ndjson: file truncated: following it from its start'
}

@test "--from-offset begins at a line; a record with its own _off is bad" {
	put f.ndjson '{"a":1}\n{"a":2,"_off":"x:1"}\n{"a":3}\n'
	etl-map --follow --from-offset 8 --bad-records bad.ndjson f.ndjson >out.ndjson &
	local pid=$!
	wait_lines out.ndjson 1
	kill "$pid"
	run cat out.ndjson
	assert_output '{"a":3,"_off":"f.ndjson:29"}'
	run jq -r .error bad.ndjson
	assert_output "a followed file's record has its own _off"
	run etl-map --follow --from-offset 3 f.ndjson
	assert_failure 2
	assert_output $'etl-map: --from-offset: byte 3 does not begin a line of f.ndjson\nTry \'etl-map --help\' for more information.'
	run etl-map --follow
	assert_failure 2
	run etl-map --follow a.ndjson f.ndjson
	assert_failure 2
	run etl-map --from-offset 8 f.ndjson
	assert_failure 2
	assert_output --partial 'etl-map: --from-offset: applies to --follow only'
}

@test "--from-state resumes after the line etl-load-pg --offsets committed; a kill loses nothing, loads nothing twice" {
	sql "CREATE TABLE t (id int, v int)"
	for i in $(seq 1 300); do echo "{\"id\":$i,\"v\":$i}"; done >f.ndjson
	local round prev=-1 pos n=0
	for round in 1 2 3; do
		# killed at its 40th row, after at least one commit (--batch 25);
		# the follower upstream then ends on its own
		ETL_CRASH_AT=load-pg-row@40 run timeout 20 bash -c 'etl-map --follow --from-state k f.ndjson |
			etl-load-pg -t t --offsets k --batch 25'
		assert_failure 137
		run etl-state get k
		assert_success
		pos=${output#f.ndjson:}
		((pos > prev))
		prev=$pos
	done
	# the committed offset is the first byte of a line that was loaded
	run bash -c "head -c $pos f.ndjson | wc -l"
	run sql "SELECT count(*) FROM t WHERE id = $((output + 1))"
	assert_output 1
	etl-map --follow --from-state k f.ndjson | etl-load-pg -t t --offsets k &
	while [[ $(sql "SELECT count(*) FROM t") != 300 ]] && ((n++ < 100)); do sleep 0.1; done
	kill %1
	run sql "SELECT count(*), count(DISTINCT id), sum(v) FROM t"
	assert_output $'300\t300\t45150'
}
