#!/usr/bin/env bats
# tests/etl-extract-pg.bats - etl-extract-pg against a real PostgreSQL
# server: every type's JSON form, tables, queries and query files,
# incremental extraction with a bound watermark, disjoint partitions, and
# the message and exit status of each kind of failure, including a server
# that goes away in the middle of the stream.

load helpers/common
load data/pg/cluster

P="$DATA/pg"

setup_file() {
	pg_setup_file
	sql "$(cat "$DATA/pg/types.sql")"
	sql "CREATE TABLE ev (id int PRIMARY KEY, at timestamptz, cat text);
		INSERT INTO ev VALUES (1, '2026-11-24 10:00Z', 'a'), (2, '2026-11-24 11:00Z', 'b'),
			(3, '2026-11-24 11:00Z', NULL), (4, '2026-11-24 12:00Z', 'a'),
			(5, '2026-11-23 09:00Z', 'c')"
}

teardown_file() {
	pg_teardown_file
}

setup() {
	cd "$TMP" || return 1
}

@test "every type has its JSON form" {
	run --separate-stderr etl-extract-pg -t types --order-by id
	assert_success
	assert_no_stderr
	printf '%s\n' "$output" >got
	assert_same_file "$P/types.ndjson" got
}

@test "the output is valid NDJSON, one record per row" {
	etl-extract-pg -t types >got
	run "$NDCAT" got
	assert_success
	assert_equal "$(wc -l <got)" 4
}

@test "integers, numerics and floats keep every digit" {
	run etl-extract-pg -c "SELECT 123456789012345678901234567890123456789012.5::numeric AS n,
		'-9223372036854775808'::bigint AS i, 0.30000000000000004::float8 AS f, 2.50::numeric AS m"
	assert_output '{"n":123456789012345678901234567890123456789012.5,"i":-9223372036854775808,"f":0.30000000000000004,"m":2.50}'
}

@test "timestamps are UTC ISO-8601 whatever the session's time zone" {
	run env PGTZ=Asia/Kolkata etl-extract-pg -c "SELECT '2026-11-24 18:30:00+05:30'::timestamptz AS t"
	assert_output '{"t":"2026-11-24T13:00:00Z"}'
}

@test "--query: a query's rows, in its column order, with its names" {
	run --separate-stderr etl-extract-pg --query "SELECT id, cat AS \"the.cat\", 1 + 1 FROM ev WHERE id < 3 ORDER BY id;  "
	assert_success
	assert_output $'{"id":1,"the.cat":"a","?column?":2}\n{"id":2,"the.cat":"b","?column?":2}'
}

@test "--file: the query in a file, ending with semicolons and comments" {
	cat >q.sql <<'EOF'
SELECT id FROM ev /* ; */
WHERE id <= 2 AND $$;--$$ <> E'\';' AND "id" = id
ORDER BY id; -- the first two
;
EOF
	run --separate-stderr etl-extract-pg -f q.sql
	assert_success
	assert_output $'{"id":1}\n{"id":2}'
}

@test "array and composite columns of a query are JSON" {
	run etl-extract-pg -c "SELECT ARRAY['2026-01-01'::date] AS ds, ROW(1, 'x') AS r, ev AS whole FROM ev WHERE id = 1"
	assert_output '{"ds":["2026-01-01"],"r":{"f1":1,"f2":"x"},"whole":{"id":1,"at":"2026-11-24T10:00:00+00:00","cat":"a"}}'
}

@test "a table name and column names with dots, quotes and spaces" {
	sql 'CREATE SCHEMA "s.1"; CREATE TABLE "s.1"."my ""t""" ("a.b" int, "c d" text);
		INSERT INTO "s.1"."my ""t""" VALUES (1, $$x$$)'
	run --separate-stderr etl-extract-pg -t '"s.1"."my \"t\""'
	assert_success
	assert_output '{"a.b":1,"c d":"x"}'
}

@test "--since-column alone: every row, ordered by the column" {
	run etl-extract-pg -t ev --since-column at --order-by id --since ''
	assert_output - <<'EOF'
{"id":5,"at":"2026-11-23T09:00:00Z","cat":"c"}
{"id":1,"at":"2026-11-24T10:00:00Z","cat":"a"}
{"id":2,"at":"2026-11-24T11:00:00Z","cat":"b"}
{"id":3,"at":"2026-11-24T11:00:00Z","cat":null}
{"id":4,"at":"2026-11-24T12:00:00Z","cat":"a"}
EOF
}

@test "--since: the rows at or after the watermark; ties are extracted again" {
	run --separate-stderr etl-extract-pg -t ev --since-column at --since 2026-11-24T11:00:00Z --order-by id
	assert_success
	assert_output - <<'EOF'
{"id":2,"at":"2026-11-24T11:00:00Z","cat":"b"}
{"id":3,"at":"2026-11-24T11:00:00Z","cat":null}
{"id":4,"at":"2026-11-24T12:00:00Z","cat":"a"}
EOF
}

@test "--since takes the watermark that etl-state keeps" {
	etl-state set ev.at 2026-11-24T12:00:00Z
	run etl-extract-pg -t ev --since-column at --since "$(etl-state get ev.at)"
	assert_output '{"id":4,"at":"2026-11-24T12:00:00Z","cat":"a"}'
}

@test "--since is bound, never pasted: SQL in it is only a bad value" {
	run --separate-stderr etl-extract-pg -t ev --since-column id --since "0 OR 1=1"
	assert_failure 2
	assert_stderr_regex "^etl-extract-pg: --since: '0 OR 1=1' is not a value of id's type integer: invalid input syntax for type integer"
	run --separate-stderr etl-extract-pg -t ev --since-column cat --since "z'; DROP TABLE ev; --"
	assert_success
	assert_output ""
	run sql "SELECT count(*) FROM ev"
	assert_output 5
}

@test "--partition: the slices are disjoint and together hold every row" {
	for k in 1 2 3; do
		etl-extract-pg -t ev --partition "$k/3" --partition-column cat >"p$k"
	done
	cat p1 p2 p3 | sort >all
	etl-extract-pg -t ev | sort >want
	assert_same_file want all
	run bash -c 'cat p1 p2 p3 | sort | uniq -d'
	assert_output ""
	# a NULL partition value goes to the first slice
	run grep -c '"cat":null' p1
	assert_output 1
}

@test "--partition 1/1 is everything; bad K/N are usage errors" {
	run etl-extract-pg -t ev --partition 1/1 --partition-column id
	assert_equal "${#lines[@]}" 5
	run --separate-stderr etl-extract-pg -t ev --partition 4/3 --partition-column id
	assert_failure 2
	assert_stderr_regex "^etl-extract-pg: --partition: expected K/N with 1 <= K <= N"
	run --separate-stderr etl-extract-pg -t ev --partition 1/2
	assert_failure 2
	assert_stderr_regex "^etl-extract-pg: --partition: --partition and --partition-column go together"
}

@test "--partition takes K/N in digits only; the message shows the whole argument" {
	local v

	for v in 3/2 0/2 1/0 0/0; do
		run --separate-stderr etl-extract-pg -t ev --partition "$v" --partition-column id
		assert_failure 2
		assert_output ""
		assert_equal "${stderr_lines[0]}" "etl-extract-pg: --partition: expected K/N with 1 <= K <= N, got '$v'"
	done
	for v in ' 1/2' '1/ 2' '+1/2' '1/+2' '-1/2' '1/-2' '1/2 ' '1/2x' 1/ /2 1 1/2/3 0x1/2 a/b ''; do
		run --separate-stderr etl-extract-pg -t ev --partition "$v" --partition-column id
		assert_failure 2
		assert_output ""
		assert_equal "${stderr_lines[0]}" "etl-extract-pg: --partition: expected K/N, got '$v'"
	done
	run --separate-stderr etl-extract-pg -t ev --partition 1/99999999999999999999 --partition-column id
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-extract-pg: --partition: too large: '1/99999999999999999999'"
	run etl-extract-pg -t ev --partition 02/02 --partition-column id
	assert_success
}

@test "a column that the query lacks is a usage error" {
	run --separate-stderr etl-extract-pg -t ev --order-by nope
	assert_failure 2
	assert_stderr_regex '^etl-extract-pg: --order-by: no column "nope" in the table'
	run --separate-stderr etl-extract-pg -t ev --since-column nope --since 1
	assert_failure 2
	run --separate-stderr etl-extract-pg -t ev --since-column nope
	assert_failure 2
	assert_stderr_regex '^etl-extract-pg: --since-column: no column "nope" in the table'
}

@test "a missing table exits 69 with the table named" {
	run --separate-stderr etl-extract-pg -t nosuch
	assert_failure 69
	assert_stderr 'etl-extract-pg: nosuch: relation "nosuch" does not exist'
}

@test "no right to read exits 69" {
	sql "DROP ROLE IF EXISTS reader; CREATE ROLE reader LOGIN"
	run --separate-stderr etl-extract-pg --db "user=reader" -t ev
	assert_failure 69
	assert_stderr 'etl-extract-pg: ev: permission denied for table ev'
}

@test "an error in the SQL exits 2; a duplicate column name too" {
	run --separate-stderr etl-extract-pg -c "SELEC 1"
	assert_failure 2
	assert_stderr_regex '^etl-extract-pg: --query: syntax error at or near "SELEC"'
	run --separate-stderr etl-extract-pg -c "SELECT 1 AS a, 2 AS a"
	assert_failure 2
	assert_stderr 'etl-extract-pg: --query: the column name "a" occurs twice: give one an alias, a record cannot hold both'
}

@test "an unterminated quote in the query is the server's syntax error" {
	run --separate-stderr etl-extract-pg -c "SELECT 'abc"
	assert_failure 2
	assert_stderr $'etl-extract-pg: --query: unterminated quoted string at or near "\'abc"'
	run --separate-stderr etl-extract-pg -c 'SELECT "abc'
	assert_failure 2
	assert_stderr 'etl-extract-pg: --query: unterminated quoted identifier at or near ""abc"'
	run --separate-stderr etl-extract-pg -c "SELECT E'abc\\"
	assert_failure 2
	assert_stderr $'etl-extract-pg: --query: unterminated quoted string at or near "E\'abc\\"'
}

@test "an unreachable server exits 75" {
	run --separate-stderr etl-extract-pg --db "host=$TMP/none" -t ev
	assert_failure 75
	assert_stderr_regex "^etl-extract-pg: host=$TMP/none: could not connect: "
}

@test "a server that goes away in the middle of the stream: 75, and -o leaves nothing" {
	sql "CREATE TABLE big AS SELECT g AS id, repeat('x', 100) AS pad FROM generate_series(1, 300000) g"
	etl-extract-pg -t big -o out.ndjson 2>err &
	pid=$!
	for _ in $(seq 100); do
		n=$(sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = 'etl-extract-pg' AND state = 'active'")
		[[ $n == 1 ]] && break
		sleep 0.02
	done
	status=0
	wait "$pid" || status=$?
	if [[ $n != 1 ]]; then
		skip "the extraction ended before it could be interrupted"
	fi
	assert_equal "$status" 75
	run cat err
	# the server's last words, or libpq's when they were lost with the socket
	assert_output --regexp '^etl-extract-pg: big: (terminating connection due to administrator command|server closed the connection unexpectedly)'
	[[ ! -e out.ndjson ]]
	assert_no_temp_files .
}

@test "memory stays constant however many rows" {
	# AddressSanitizer keeps freed memory in quarantine: no measure there
	if ldd "$(command -v etl-extract-pg)" | grep -q libasan; then
		skip "built with AddressSanitizer"
	fi
	sql "CREATE TABLE IF NOT EXISTS big2 AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 400000) g"
	/usr/bin/time -f %M -o small.rss etl-extract-pg -c "SELECT * FROM big2 LIMIT 1000" >/dev/null
	/usr/bin/time -f %M -o large.rss etl-extract-pg -t big2 >/dev/null
	small=$(tail -n 1 small.rss) large=$(tail -n 1 large.rss)
	# kilobytes: 400 times the rows may not cost more than a few MB more
	((large < small + 4096)) || fail "max RSS $small kB for 1000 rows, $large kB for 400000"
}

@test "-o writes atomically; --stats counts the rows" {
	run --separate-stderr etl-extract-pg -t ev -o out.ndjson --stats st.json
	assert_success
	assert_equal "$(wc -l <out.ndjson)" 5
	run jq -c '[.program, .records_in, .records_out, .bad, .exit_status]' st.json
	assert_output '["etl-extract-pg",5,5,0,0]'
}

@test "--progress of a table: a bar and an ETA from the planner's row estimate; a query has none" {
	sql "CREATE TABLE prog AS SELECT g AS id FROM generate_series(1, 50) g; ANALYZE prog"
	run --separate-stderr etl-extract-pg --progress=always -t prog
	assert_success
	assert_equal "$(wc -l <<<"$output")" 50
	assert_stderr_regex 'etl-extract-pg: 50 records, .* \[====================\] 100% ETA 0:00'
	# a partition expects its share; past the estimate the bar is left out
	run --separate-stderr etl-extract-pg --progress=always --partition 1/2 --partition-column id -t prog
	n1=$(wc -l <<<"$output")
	run --separate-stderr etl-extract-pg --progress=always --partition 2/2 --partition-column id -t prog
	assert_success
	if (($(wc -l <<<"$output") <= 25)); then
		assert_stderr_regex 'records, .* \[[=> ]{20}\] +[0-9]+% ETA'
	else
		[[ $stderr != *ETA* ]]
	fi
	assert_equal $((n1 + $(wc -l <<<"$output"))) 50
	run --separate-stderr etl-extract-pg --progress=always -c 'SELECT id FROM prog'
	assert_success
	assert_stderr_regex 'etl-extract-pg: 50 records, '
	[[ $stderr != *ETA* ]]
}

@test "usage errors exit 2" {
	run --separate-stderr etl-extract-pg
	assert_failure 2
	assert_stderr $'etl-extract-pg: give one of --table, --query and --file\nTry \'etl-extract-pg --help\' for more information.'
	run --separate-stderr etl-extract-pg -t ev -c "SELECT 1"
	assert_failure 2
	run --separate-stderr etl-extract-pg -t ev --since 1
	assert_failure 2
	assert_stderr_regex '^etl-extract-pg: --since: needs --since-column'
	run --separate-stderr etl-extract-pg -t ev extra
	assert_failure 2
	assert_stderr_regex "^etl-extract-pg: unexpected argument 'extra'"
	run --separate-stderr etl-extract-pg -c " ; "
	assert_failure 2
	run --separate-stderr etl-extract-pg -f nothere.sql
	assert_failure 74
}

@test "--help lists every option; --version" {
	run --separate-stderr etl-extract-pg --help
	assert_success
	for o in --db --table --query --file --since-column --since --order-by --partition \
		--partition-column --output --progress --stats --quiet --help --version; do
		assert_output --partial -- "$o"
	done
	refute_output --partial -- --bad-records
	run etl-extract-pg --version
	assert_output --regexp '^etl-extract-pg [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "a closed pipe and a full disk: the counts add up, unwritten says what was lost" {
	[[ -c /dev/full ]] || skip "no /dev/full on this system"
	local st

	sql "CREATE TABLE IF NOT EXISTS many AS SELECT g AS id FROM generate_series(1, 100000) g"
	etl-extract-pg -t many --stats st.json 2>err | head -1 >/dev/null
	st=${PIPESTATUS[0]}
	assert_equal "$st $(cat err)" "0 "
	assert_equal "$(jq '.records_in == .records_out + .bad + .dropped + .unwritten and .unwritten > 0 and .exit_status == 0' st.json)" true
	st=0
	etl-extract-pg -t many --stats st.json >/dev/full 2>err || st=$?
	assert_equal "$st $(cat err)" "74 etl-extract-pg: <stdout>: write error: No space left on device"
	assert_equal "$(jq -c '[.records_out, .records_in == .unwritten, .exit_status]' st.json)" '[0,true,74]'
}
