#!/usr/bin/env bats
# tests/etl-extract-mysql.bats - etl-extract-mysql against a real MariaDB
# server: every type's JSON form, exact numbers and time zones, tables,
# queries and query files, incremental extraction with a checked watermark,
# disjoint partitions, the connection options and the password that is
# never shown, the message and exit status of each kind of failure, and
# every type carried into PostgreSQL by etl-load-pg unchanged.

load helpers/common
load data/mysql/server
load data/pg/cluster

M="$DATA/mysql"

setup_file() {
	my_setup_file
	mariadb <"$M/types.sql"
	msql "CREATE TABLE ev (id int PRIMARY KEY, at timestamp NULL, cat varchar(10), f float);
		INSERT INTO ev VALUES (1, '2026-11-24 10:00', 'a', 0.5), (2, '2026-11-24 11:00', 'b', 1.5),
			(3, '2026-11-24 11:00', NULL, 2.5), (4, '2026-11-24 12:00', 'a', 3.5),
			(5, '2026-11-23 09:00', 'c', 4.5)"
}

teardown_file() {
	my_teardown_file
	# the PostgreSQL cluster of the last test, should it have failed midway
	pg_teardown_file
}

setup() {
	cd "$TMP" || return 1
}

@test "every type has its JSON form" {
	run --separate-stderr etl-extract-mysql -t types --order-by id
	assert_success
	assert_no_stderr
	printf '%s\n' "$output" >got
	assert_same_file "$M/types.ndjson" got
}

@test "the output is valid NDJSON, one record per row" {
	etl-extract-mysql -t types >got
	run "$NDCAT" got
	assert_success
	assert_equal "$(wc -l <got)" 3
}

@test "integers, decimals and floats keep every digit" {
	run --separate-stderr etl-extract-mysql -c "SELECT CAST('1234567890123456789012345678901234567890123456789012345678901234.5' AS DECIMAL(65,1)) AS n,
		-9223372036854775808 AS i, 18446744073709551615 AS u, 0.1e0 + 0.2e0 AS f, 2.50 AS m,
		CAST(16777217 AS FLOAT) AS s, 1e300 * 10 AS big"
	assert_success
	assert_output '{"n":1234567890123456789012345678901234567890123456789012345678901234.5,"i":-9223372036854775808,"u":18446744073709551615,"f":0.30000000000000004,"m":2.50,"s":16777216,"big":1e+301}'
}

@test "TIMESTAMPs are UTC whatever the server's or the option file's time zone" {
	msql "SET GLOBAL time_zone = '+05:30'"
	cat >tz.cnf <<EOF
[client]
socket = $MYSQL_UNIX_PORT
user = root
database = etltest
init-command = SET time_zone = '-08:00'
EOF
	run --separate-stderr etl-extract-mysql --defaults-file tz.cnf -c "SELECT at, CAST(at AS DATETIME) AS naive, @@time_zone AS tz FROM ev WHERE id = 1"
	msql "SET GLOBAL time_zone = 'SYSTEM'"
	assert_success
	assert_output '{"at":"2026-11-24T10:00:00Z","naive":"2026-11-24T10:00:00","tz":"+00:00"}'
}

@test "zero dates are written as the server shows them: ISO-8601 has none" {
	msql "SET sql_mode = ''; CREATE TABLE zd (d date, dt datetime, ts timestamp NULL);
		INSERT INTO zd VALUES ('0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00'),
			('2026-00-01', '2026-11-00 10:00:00', NULL)"
	run --separate-stderr etl-extract-mysql -t zd
	assert_success
	assert_output - <<'EOF'
{"d":"0000-00-00","dt":"0000-00-00 00:00:00","ts":"0000-00-00 00:00:00"}
{"d":"2026-00-01","dt":"2026-11-00 10:00:00","ts":null}
EOF
}

@test "--query: a query's rows, in its own order, with its names" {
	run --separate-stderr etl-extract-mysql --query "SELECT id, cat AS \`the.cat\`, 1 + 1 FROM ev WHERE id < 3 ORDER BY id DESC;  "
	assert_success
	assert_output $'{"id":2,"the.cat":"b","1 + 1":2}\n{"id":1,"the.cat":"a","1 + 1":2}'
}

@test "--file: the query in a file, ending with semicolons and comments" {
	cat >q.sql <<'EOF'
SELECT id FROM ev /* ; */
WHERE id <= 2 AND ';--' <> 'it\'s;' AND `id` = id AND "a;" = 'a;'
ORDER BY id; -- the first two
# and a comment of MySQL's own;
;
EOF
	run --separate-stderr etl-extract-mysql -f q.sql
	assert_success
	assert_output $'{"id":1}\n{"id":2}'
}

@test "a database and a table with dots, quotes and spaces in their names" {
	msql 'CREATE DATABASE `s.1`; CREATE TABLE `s.1`.`my "t"` (`a.b` int, `c d` text);
		INSERT INTO `s.1`.`my "t"` VALUES (1, "x")'
	run --separate-stderr etl-extract-mysql -t '"s.1"."my \"t\""'
	assert_success
	assert_output '{"a.b":1,"c d":"x"}'
	run --separate-stderr etl-extract-mysql -D s.1 -t '"my \"t\""'
	assert_success
	assert_output '{"a.b":1,"c d":"x"}'
}

@test "--since-column alone: every row, ordered by the column" {
	run --separate-stderr etl-extract-mysql -t ev --since-column at --order-by id --since ''
	assert_success
	assert_output - <<'EOF'
{"id":5,"at":"2026-11-23T09:00:00Z","cat":"c","f":4.5}
{"id":1,"at":"2026-11-24T10:00:00Z","cat":"a","f":0.5}
{"id":2,"at":"2026-11-24T11:00:00Z","cat":"b","f":1.5}
{"id":3,"at":"2026-11-24T11:00:00Z","cat":null,"f":2.5}
{"id":4,"at":"2026-11-24T12:00:00Z","cat":"a","f":3.5}
EOF
}

@test "--since: the rows at or after the watermark; ties are extracted again" {
	run --separate-stderr etl-extract-mysql -t ev --since-column at --since 2026-11-24T11:00:00Z --order-by id
	assert_success
	assert_output - <<'EOF'
{"id":2,"at":"2026-11-24T11:00:00Z","cat":"b","f":1.5}
{"id":3,"at":"2026-11-24T11:00:00Z","cat":null,"f":2.5}
{"id":4,"at":"2026-11-24T12:00:00Z","cat":"a","f":3.5}
EOF
	# the same instant at another offset, and the last record's own value
	run --separate-stderr etl-extract-mysql -t ev --since-column at --since 2026-11-24T16:30:00+05:30 --order-by id
	assert_success
	assert_equal "$(jq -c .id <<<"$output" | tr '\n' ' ')" "2 3 4 "
	run --separate-stderr etl-extract-mysql -t ev --since-column at --since "$(etl-extract-mysql -t ev --since-column at | tail -n 1 | jq -r .at)"
	assert_success
	assert_output '{"id":4,"at":"2026-11-24T12:00:00Z","cat":"a","f":3.5}'
}

@test "--since on numbers, DATETIMEs and strings compares as the column's type" {
	run --separate-stderr etl-extract-mysql -t types --since-column bi --since 9007199254740992 -q
	assert_success
	assert_equal "$(jq -c .id <<<"$output")" 3
	run --separate-stderr etl-extract-mysql -t types --since-column dc --since 123456789012345678901234567890.123456789
	assert_equal "$(jq -c .id <<<"$output")" 1
	run --separate-stderr etl-extract-mysql -t types --since-column dtm --since 2026-11-24T18:30:00.123456
	assert_success
	assert_equal "$(jq -c .id <<<"$output" | tr '\n' ' ')" "1 3 "
	# a FLOAT's shortest text is above its value; its row is not lost
	msql "CREATE TABLE fl (id int, f float); INSERT INTO fl VALUES (1, 0.7), (2, 0.8), (3, 0.6)"
	run --separate-stderr etl-extract-mysql -t fl --since-column f --since 0.7
	assert_success
	assert_output $'{"id":1,"f":0.7}\n{"id":2,"f":0.8}'
	# binary values are written in base64, and read back as watermarks so
	run --separate-stderr etl-extract-mysql -t types --since-column vb --since AA==
	assert_success
	assert_equal "$(jq -c .id <<<"$output")" 3
	run --separate-stderr etl-extract-mysql -t types --since-column vb --since '//////////8='
	assert_equal "$(jq -c .id <<<"$output")" 3
	# nine 0xff bytes: above the row's eight, though its text is below them
	run --separate-stderr etl-extract-mysql -t types --since-column vb --since '////////////'
	assert_success
	assert_output ""
	run --separate-stderr etl-extract-mysql -t types --since-column vb --since 'AA'
	assert_failure 2
	assert_stderr "etl-extract-mysql: --since: 'AA' is not a value of vb's type varbinary: not base64"
	run --separate-stderr etl-extract-mysql -t ev --since-column cat --since b
	assert_success
	assert_equal "$(jq -c .id <<<"$output" | tr '\n' ' ')" "2 5 "
}

@test "--since is checked, never run: SQL in it is only a bad value" {
	run --separate-stderr etl-extract-mysql -t ev --since-column id --since "0 OR 1=1"
	assert_failure 2
	assert_output ""
	assert_stderr "etl-extract-mysql: --since: '0 OR 1=1' is not a value of id's type int: Truncated incorrect DECIMAL value: '0 OR 1=1'"
	run --separate-stderr etl-extract-mysql -t ev --since-column cat --since "z'; DROP TABLE ev; --"
	assert_success
	assert_output ""
	run msql "SELECT count(*) FROM ev"
	assert_output 5
	run --separate-stderr etl-extract-mysql -t types --since-column dtm --since 2026-11-24T18:30:00Z
	assert_failure 2
	assert_stderr "etl-extract-mysql: --since: '2026-11-24T18:30:00Z' is not a value of dtm's type datetime: a datetime has no time zone, and the value has one"
	run --separate-stderr etl-extract-mysql -t ev --since-column at --since yesterday
	assert_failure 2
	assert_stderr "etl-extract-mysql: --since: 'yesterday' is not a value of at's type timestamp: not an ISO-8601 date and time"
	run --separate-stderr etl-extract-mysql -t types --since-column dt --since 2026-02-30
	assert_failure 2
	assert_stderr "etl-extract-mysql: --since: '2026-02-30' is not a value of dt's type date: Incorrect datetime value: '2026-02-30'"
}

@test "--partition: the slices are disjoint and together hold every row" {
	msql "CREATE TABLE many (id int PRIMARY KEY, k varchar(10)) SELECT seq AS id, IF(seq % 7 = 0, NULL, seq % 100) AS k FROM seq_1_to_1000"
	for k in 1 2 3; do
		etl-extract-mysql -t many --partition "$k/3" --partition-column k >"p$k"
	done
	cat p1 p2 p3 | sort >all
	etl-extract-mysql -t many | sort >want
	assert_equal "$(wc -l <want)" 1000
	assert_same_file want all
	run bash -c 'cat p1 p2 p3 | sort | uniq -d'
	assert_output ""
	# each slice holds some rows; a NULL partition value goes to the first
	[[ -s p1 && -s p2 && -s p3 ]]
	run grep -c '"k":null' p1
	assert_output 142
}

@test "--partition takes K/N in digits only; it needs --partition-column" {
	local v

	for v in 3/2 0/2 1/0; do
		run --separate-stderr etl-extract-mysql -t ev --partition "$v" --partition-column id
		assert_failure 2
		assert_equal "${stderr_lines[0]}" "etl-extract-mysql: --partition: expected K/N with 1 <= K <= N, got '$v'"
	done
	for v in ' 1/2' '+1/2' '1/2x' 1/ /2 1 ''; do
		run --separate-stderr etl-extract-mysql -t ev --partition "$v" --partition-column id
		assert_failure 2
		assert_equal "${stderr_lines[0]}" "etl-extract-mysql: --partition: expected K/N, got '$v'"
	done
	run --separate-stderr etl-extract-mysql -t ev --partition 1/2
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-extract-mysql: --partition: --partition and --partition-column go together"
	run --separate-stderr etl-extract-mysql -t ev --partition 1/1 --partition-column id
	assert_success
	assert_equal "${#lines[@]}" 5
}

@test "a FLOAT keeps its digits in a derived table too; --order-by orders it" {
	run --separate-stderr etl-extract-mysql -c "SELECT id, f, CAST(0.1 AS FLOAT) AS t FROM ev" --order-by f
	assert_success
	assert_equal "${lines[0]}" '{"id":1,"f":0.5,"t":0.1}'
	assert_equal "${lines[4]}" '{"id":5,"f":4.5,"t":0.1}'
}

@test "a value the server cannot compute stops the stream with 65, after the rows before it" {
	run --separate-stderr etl-extract-mysql -c "SELECT id, IF(id = 2, 1e308 * 10, id) AS x FROM ev ORDER BY id"
	assert_failure 65
	assert_output '{"id":1,"x":1}'
	assert_stderr "etl-extract-mysql: --query: DOUBLE value is out of range in '1e308 * 10'"
}

@test "a --since that is not UTF-8 is a usage error" {
	run --separate-stderr etl-extract-mysql -t ev --since-column cat --since $'\xff'
	assert_failure 2
	assert_stderr "etl-extract-mysql: --since: not valid UTF-8"
}

@test "a column that the result lacks is a usage error" {
	run --separate-stderr etl-extract-mysql -t ev --order-by nope
	assert_failure 2
	assert_equal "${stderr_lines[0]}" 'etl-extract-mysql: --order-by: no column "nope" in the table'
	run --separate-stderr etl-extract-mysql -c "SELECT 1 AS a" --since-column nope --since 1
	assert_failure 2
	assert_equal "${stderr_lines[0]}" 'etl-extract-mysql: --since-column: no column "nope" in the query'
	run --separate-stderr etl-extract-mysql -t ev --partition 1/2 --partition-column nope
	assert_failure 2
	assert_equal "${stderr_lines[0]}" 'etl-extract-mysql: --partition-column: no column "nope" in the table'
}

@test "a missing table or database exits 69 with it named" {
	run --separate-stderr etl-extract-mysql -t nosuch
	assert_failure 69
	assert_output ""
	assert_stderr "etl-extract-mysql: nosuch: Table 'etltest.nosuch' doesn't exist"
	run --separate-stderr etl-extract-mysql -D nosuchdb -t ev
	assert_failure 69
	assert_stderr "etl-extract-mysql: localhost: could not connect: Unknown database 'nosuchdb'"
}

@test "no right to read exits 69" {
	msql "CREATE USER IF NOT EXISTS reader@localhost; GRANT SELECT ON etltest.types TO reader@localhost"
	run --separate-stderr etl-extract-mysql -u reader -t ev
	assert_failure 69
	assert_stderr "etl-extract-mysql: ev: SELECT command denied to user 'reader'@'localhost' for table \`etltest\`.\`ev\`"
	run --separate-stderr etl-extract-mysql -u reader -t types --order-by id
	assert_success
	assert_equal "${#lines[@]}" 3
}

@test "the password comes from MYSQL_PWD or an option file and is never shown" {
	local pw='S3cret-pw;x' f

	msql "CREATE USER IF NOT EXISTS pwuser@localhost IDENTIFIED BY '$pw'; GRANT SELECT ON etltest.* TO pwuser@localhost"
	run --separate-stderr env MYSQL_PWD="$pw" etl-extract-mysql -u pwuser -c "SELECT CURRENT_USER() AS u" --stats st1.json
	assert_success
	assert_output '{"u":"pwuser@localhost"}'
	printf '[client]\nsocket = %s\nuser = pwuser\npassword = %s\ndatabase = etltest\n' "$MYSQL_UNIX_PORT" "$pw" >pw.cnf
	run --separate-stderr etl-extract-mysql --defaults-file pw.cnf -t ev --stats st2.json --progress=always
	assert_success
	assert_equal "${#lines[@]}" 5
	printf '%s\n%s\n' "$output" "$stderr" >seen
	run --separate-stderr env MYSQL_PWD="${pw}x" etl-extract-mysql -u pwuser -t ev --stats st3.json -o out.ndjson
	assert_failure 69
	assert_stderr "etl-extract-mysql: localhost: could not connect: Access denied for user 'pwuser'@'localhost' (using password: YES)"
	printf '%s\n%s\n' "$output" "$stderr" >>seen
	[[ ! -e out.ndjson ]]
	for f in seen st1.json st2.json st3.json; do
		[[ -s $f ]] || fail "$f is empty"
		run grep -c -F -e "S3cret" "$f"
		assert_output 0
	done
	run jq -r .exit_status st3.json
	assert_output 69
}

@test "an error in the SQL exits 2; a duplicate column name too" {
	run --separate-stderr etl-extract-mysql -c "SELEC 1"
	assert_failure 2
	assert_stderr "etl-extract-mysql: --query: You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'SELEC 1' at line 1"
	run --separate-stderr etl-extract-mysql -c "SELECT 1 AS a, 2 AS a"
	assert_failure 2
	assert_stderr 'etl-extract-mysql: --query: the column name "a" occurs twice: give one an alias, a record cannot hold both'
	run --separate-stderr etl-extract-mysql -c "DO 1"
	assert_failure 2
	assert_stderr 'etl-extract-mysql: --query: the query returns no columns'
}

@test "no database chosen: a table needs -D or a database in its name" {
	run --separate-stderr etl-extract-mysql --defaults-file /dev/null -S "$MYSQL_UNIX_PORT" -u root -t ev
	assert_failure 2
	assert_stderr 'etl-extract-mysql: ev: No database selected'
	run --separate-stderr etl-extract-mysql --defaults-file /dev/null -S "$MYSQL_UNIX_PORT" -u root -t etltest.ev --order-by id
	assert_success
	assert_equal "${#lines[@]}" 5
}

@test "an unreachable server exits 75" {
	run --separate-stderr etl-extract-mysql -S "$TMP/none.sock" -t ev
	assert_failure 75
	assert_output ""
	assert_stderr "etl-extract-mysql: $TMP/none.sock: could not connect: Can't connect to local server through socket '$TMP/none.sock' (2)"
	run --separate-stderr etl-extract-mysql --host 127.0.0.1 -P 1 -t ev
	assert_failure 75
	assert_stderr_regex "^etl-extract-mysql: 127\.0\.0\.1:1: could not connect: Can't connect to server on '127\.0\.0\.1' "
	# a port means TCP, even without a host: not the socket of the option file
	run --separate-stderr etl-extract-mysql -P 1 -t ev
	assert_failure 75
	assert_stderr_regex "^etl-extract-mysql: localhost:1: could not connect: Can't connect to server on 'localhost' "
}

@test "a server that goes away in the middle of the stream: 75, and -o leaves nothing" {
	msql "CREATE TABLE big (id int PRIMARY KEY, pad varchar(200)) SELECT seq AS id, repeat('x', 100) AS pad FROM seq_1_to_300000"
	etl-extract-mysql -t big -o out.ndjson 2>err &
	pid=$!
	for _ in $(seq 100); do
		n=$(msql "SELECT id FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT * FROM \`big\`%'")
		[[ -n $n ]] && msql "KILL $n" && break
		sleep 0.02
	done
	status=0
	wait "$pid" || status=$?
	if [[ -z $n ]]; then
		skip "the extraction ended before it could be interrupted"
	fi
	assert_equal "$status" 75
	run cat err
	assert_output --regexp '^etl-extract-mysql: big: (Lost connection to server during query|Server has gone away|Connection was killed)'
	[[ ! -e out.ndjson ]]
	assert_no_temp_files .
}

@test "memory stays constant however many rows" {
	# AddressSanitizer keeps freed memory in quarantine: no measure there
	if ldd "$(command -v etl-extract-mysql)" | grep -q libasan; then
		skip "built with AddressSanitizer"
	fi
	msql "CREATE TABLE IF NOT EXISTS big2 (id int PRIMARY KEY, h char(32)) SELECT seq AS id, md5(seq) AS h FROM seq_1_to_400000"
	/usr/bin/time -f %M -o small.rss etl-extract-mysql -c "SELECT * FROM big2 LIMIT 1000" >/dev/null
	/usr/bin/time -f %M -o large.rss etl-extract-mysql -t big2 >/dev/null
	small=$(tail -n 1 small.rss) large=$(tail -n 1 large.rss)
	# kilobytes: 400 times the rows may not cost more than a few MB more
	((large < small + 4096)) || fail "max RSS $small kB for 1000 rows, $large kB for 400000"
}

@test "-o writes atomically; --stats counts the rows" {
	run --separate-stderr etl-extract-mysql -t ev -o out.ndjson --stats st.json
	assert_success
	assert_output ""
	assert_equal "$(wc -l <out.ndjson)" 5
	run jq -c '[.program, .records_in, .records_out, .bad, .exit_status]' st.json
	assert_output '["etl-extract-mysql",5,5,0,0]'
}

@test "--progress of a table: a bar from the server's row estimate; a query has none" {
	msql "CREATE TABLE prog (id int PRIMARY KEY) SELECT seq AS id FROM seq_1_to_50; ANALYZE TABLE prog"
	run --separate-stderr etl-extract-mysql --progress=always -t prog
	assert_success
	assert_equal "${#lines[@]}" 50
	assert_stderr_regex 'etl-extract-mysql: 50 records, .* \[====================\] 100% ETA 0:00'
	run --separate-stderr etl-extract-mysql --progress=always -c 'SELECT id FROM prog'
	assert_success
	assert_stderr_regex 'etl-extract-mysql: 50 records, '
	[[ $stderr != *ETA* ]]
}

@test "usage errors exit 2" {
	run --separate-stderr etl-extract-mysql
	assert_failure 2
	assert_stderr $'etl-extract-mysql: give one of --table, --query and --file\nTry \'etl-extract-mysql --help\' for more information.'
	run --separate-stderr etl-extract-mysql -t ev -c "SELECT 1"
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-extract-mysql: give one of --table, --query and --file"
	run --separate-stderr etl-extract-mysql -t ev --since 1
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-extract-mysql: --since: needs --since-column"
	run --separate-stderr etl-extract-mysql -t ev extra
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-extract-mysql: unexpected argument 'extra'"
	run --separate-stderr etl-extract-mysql -t ev -P 70000
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-extract-mysql: -P: too large: '70000'"
	run --separate-stderr etl-extract-mysql -t ev --user ''
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-extract-mysql: --user: cannot be empty"
	run --separate-stderr etl-extract-mysql -c " ; -- nothing"
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-extract-mysql: --query: the query is empty"
	run --separate-stderr etl-extract-mysql -t 'a.b.c'
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-extract-mysql: --table: expected [database.]table"
	run --separate-stderr etl-extract-mysql -f nothere.sql
	assert_failure 74
	assert_stderr "etl-extract-mysql: nothere.sql: cannot open: No such file or directory"
	run --separate-stderr etl-extract-mysql --defaults-file nothere.cnf -t ev
	assert_failure 74
	assert_stderr "etl-extract-mysql: nothere.cnf: cannot open: No such file or directory"
}

@test "--help lists every option; --version" {
	run --separate-stderr etl-extract-mysql --help
	assert_success
	assert_line --index 0 "Usage: etl-extract-mysql [OPTIONS] (-t TABLE | -c SQL | -f FILE.sql) [--since-column COL --since VALUE]"
	for o in --defaults-file --host --port --socket --user --database --table --query --file \
		--since-column --since --order-by --partition --partition-column --output --progress \
		--stats --quiet --help --version; do
		assert_output --partial -- "$o"
	done
	refute_output --partial -- --bad-records
	run etl-extract-mysql --version
	assert_output --regexp '^etl-extract-mysql [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "every type goes into PostgreSQL with etl-load-pg and comes back the same" {
	require_program etl-load-pg etl-extract-pg
	pg_setup_file
	sql "CREATE TABLE types (id int PRIMARY KEY, ti smallint, si integer, mi integer, i integer,
		bi bigint, ub numeric(20), zf integer, bo smallint, dc numeric(40,10), dz numeric(8,2),
		f real, d double precision, b integer, y smallint, dt date, dtm timestamp(6),
		ts timestamptz(3), tm text, c text, vc varchar(40), tx text, e text, st text,
		bn bytea, vb bytea, bl bytea, j json, g bytea)"
	run --separate-stderr bash -o pipefail -c 'etl-extract-mysql -t types | etl-load-pg -t types'
	status_load=$status
	run --separate-stderr etl-extract-pg -t types --order-by id
	pg_teardown_file
	assert_equal "$status_load" 0
	assert_success
	printf '%s\n' "$output" >got
	assert_same_file "$M/types.ndjson" got
}
