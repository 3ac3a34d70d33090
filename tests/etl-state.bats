#!/usr/bin/env bats
# tests/etl-state.bats - etl-state against a real PostgreSQL server: get,
# set, list and delete, the table created by the first set only, names and
# values kept exactly, hostile names harmless, and the exit status of every
# kind of failure (usage, unreachable server, refused login, no rights).

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
	sql "DROP TABLE IF EXISTS etl_state; DROP SCHEMA IF EXISTS jobs CASCADE"
}

@test "set then get prints the value" {
	run --separate-stderr etl-state set orders.updated_at 2026-11-24T18:30:00Z
	assert_success
	assert_no_stderr
	assert_output ""
	run --separate-stderr etl-state get orders.updated_at
	assert_success
	assert_no_stderr
	assert_output 2026-11-24T18:30:00Z
}

@test "get of an unset name prints nothing and succeeds" {
	etl-state set other 1
	run --separate-stderr etl-state get nothere
	assert_success
	assert_no_stderr
	assert_output ""
}

@test "get before any set: no table, no value, and the table is not created" {
	run --separate-stderr etl-state get x
	assert_success
	assert_output ""
	run --separate-stderr etl-state list
	assert_success
	assert_output ""
	run sql "SELECT to_regclass('etl_state') IS NULL"
	assert_output t
}

@test "get --default prints the default only when the name is unset" {
	run --separate-stderr etl-state get --default 1970-01-01T00:00:00Z wm
	assert_success
	assert_output 1970-01-01T00:00:00Z
	etl-state set wm 5
	run --separate-stderr etl-state get wm --default 0
	assert_output 5
}

@test "set replaces the value and moves updated_at" {
	etl-state set n 1
	t1=$(sql "SELECT updated_at FROM etl_state WHERE name = 'n'")
	etl-state set n 2
	run etl-state get n
	assert_output 2
	run sql "SELECT count(*), bool_and(updated_at > '$t1') FROM etl_state"
	assert_output $'1\tt'
}

@test "the table has the documented columns" {
	etl-state set n 1
	run sql "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_name = 'etl_state'"
	assert_output "name text, value text, updated_at timestamp with time zone"
}

@test "list prints one NDJSON record per name, sorted by name" {
	etl-state set b 2
	etl-state set a 'x "y"'
	run --separate-stderr etl-state list
	assert_success
	assert_no_stderr
	assert_equal "${#lines[@]}" 2
	assert_line -n 0 --regexp '^\{"name":"a","value":"x \\"y\\"","updated_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"\}$'
	assert_line -n 1 --regexp '^\{"name":"b","value":"2","updated_at":"[^"]+Z"\}$'
	printf '%s\n' "$output" | "$NDCAT" >/dev/null
}

@test "a name whose value is NULL is unset for get and list" {
	etl-state set a 1
	sql "INSERT INTO etl_state (name) VALUES ('held')"
	run --separate-stderr etl-state get held
	assert_success
	assert_no_stderr
	assert_output ""
	run --separate-stderr etl-state get --default 0 held
	assert_output 0
	run --separate-stderr etl-state list
	assert_success
	assert_no_stderr
	assert_output --regexp '^\{"name":"a","value":"1","updated_at":"[^"]+Z"\}$'
}

@test "delete removes a name; deleting an unset name is not an error" {
	etl-state set a 1
	etl-state set b 2
	run --separate-stderr etl-state delete a
	assert_success
	assert_output ""
	run etl-state get a
	assert_output ""
	run etl-state get b
	assert_output 2
	run --separate-stderr etl-state delete nothere
	assert_success
}

@test "names and values are kept exactly: quotes, newlines, unicode, SQL" {
	v=$'it\'s "quoted"\n\tand \\ backslashed; DROP TABLE etl_state; -- é ✓'
	etl-state set "$v" "$v"
	run --separate-stderr etl-state get "$v"
	assert_success
	assert_output "$v"
	run sql "SELECT count(*) FROM etl_state"
	assert_output 1
}

@test "--table names another table, with a schema" {
	sql "CREATE SCHEMA jobs"
	etl-state --table jobs.state set a 1
	run etl-state -t jobs.state get a
	assert_output 1
	run etl-state get a
	assert_output ""
	run sql "SELECT value FROM jobs.state"
	assert_output 1
}

@test "--table: a quoted part may hold a dot; a hostile name is only a name" {
	etl-state --table '"my.state"' set a 1
	run sql 'SELECT value FROM "my.state"'
	assert_output 1
	etl-state --table '"x; DROP TABLE \"my.state\""' set a 2
	run sql 'SELECT (SELECT value FROM "my.state"), (SELECT value FROM "x; DROP TABLE ""my.state""")'
	assert_output $'1\t2'
}

@test "--table: a malformed name is a usage error" {
	run --separate-stderr etl-state --table 'a.b.c' get x
	assert_failure 2
	assert_stderr $'etl-state: --table: expected [schema.]table\nTry \'etl-state --help\' for more information.'
	run --separate-stderr etl-state --table '"open' get x
	assert_failure 2
}

@test "--db takes a connection string or a URI" {
	etl-state set a 1
	run --separate-stderr etl-state --db "host=$PGHOST port=$PGPORT dbname=postgres" get a
	assert_success
	assert_output 1
	run --separate-stderr etl-state -d "postgresql:///postgres?host=$PGHOST&port=$PGPORT" get a
	assert_success
	assert_output 1
}

@test "usage errors exit 2" {
	run --separate-stderr etl-state
	assert_failure 2
	assert_stderr $'etl-state: expected get, set, list, delete or offsets\nTry \'etl-state --help\' for more information.'
	run --separate-stderr etl-state frob
	assert_failure 2
	assert_stderr_regex "^etl-state: unknown command 'frob'"
	run --separate-stderr etl-state get
	assert_failure 2
	assert_stderr_regex '^etl-state: get takes NAME'
	run --separate-stderr etl-state set a
	assert_failure 2
	assert_stderr_regex '^etl-state: set takes NAME VALUE'
	run --separate-stderr etl-state list x
	assert_failure 2
	run --separate-stderr etl-state --default 1 set a b
	assert_failure 2
	assert_stderr_regex '^etl-state: --default: applies to get only'
	run --separate-stderr etl-state --db 'nokey=1' get a
	assert_failure 2
	assert_stderr 'etl-state: --db: invalid connection option "nokey"'
}

@test "an unreachable server exits 75, and the message hides the password" {
	run --separate-stderr etl-state --db "host=$TMP/nothere password=s3cret" get a
	assert_failure 75
	assert_stderr_regex "^etl-state: host=$TMP/nothere: could not connect: .*No such file"
	refute [ "${stderr/s3cret/}" != "$stderr" ]
	run --separate-stderr etl-state --db "postgresql://u:s3cret@/db?host=$TMP/nothere" get a
	assert_failure 75
	assert_stderr_regex "^etl-state: postgresql://u@/db\\?host=$TMP/nothere: could not connect: "
}

@test "a failed login exits 69, without a password too" {
	sql "DROP ROLE IF EXISTS etl_auth; CREATE ROLE etl_auth LOGIN PASSWORD 'right'"
	run --separate-stderr env PGPASSWORD=wrong etl-state --db "user=etl_auth" get a
	assert_failure 69
	assert_stderr_regex '^etl-state: user=etl_auth: could not connect: .*password authentication failed for user "etl_auth"$'
	run --separate-stderr etl-state --db "user=etl_auth" get a
	assert_failure 69
	assert_stderr_regex 'no password supplied$'
	run --separate-stderr env PGPASSWORD=right etl-state --db "user=etl_auth" get a
	assert_success
}

@test "an unknown database or role exits 69" {
	run --separate-stderr etl-state --db "dbname=nosuchdb" get a
	assert_failure 69
	assert_stderr_regex 'database "nosuchdb" does not exist$'
	run --separate-stderr etl-state --db "user=nosuchrole" get a
	assert_failure 69
	assert_stderr_regex 'role "nosuchrole" does not exist$'
}

@test "no right to the table exits 69 with the table named" {
	etl-state set a 1
	sql "DROP ROLE IF EXISTS reader; CREATE ROLE reader LOGIN"
	run --separate-stderr etl-state --db "user=reader" get a
	assert_failure 69
	assert_stderr 'etl-state: etl_state: permission denied for table etl_state'
	run --separate-stderr etl-state --db "user=reader" set a 2
	assert_failure 69
}

@test "offsets prints a committed offset set, one record per stream" {
	run --separate-stderr etl-state offsets k
	assert_success
	assert_output ''
	etl-state set k 'p/1:5,p/0:11.2,/var/log/a%2Cb.ndjson:4096'
	run --separate-stderr etl-state offsets k
	assert_success
	assert_output $'{"stream":"/var/log/a%2Cb.ndjson","position":"4096"}\n{"stream":"p/0","position":"11.2"}\n{"stream":"p/1","position":"5"}'
	etl-state set bad 'no offset'
	run --separate-stderr etl-state offsets bad
	assert_failure 65
	assert_stderr "etl-state: etl_state: \"bad\" is not an offset set: 'no offset'"
	run --separate-stderr etl-state offsets
	assert_failure 2
}

@test "--help lists every option; --version" {
	run --separate-stderr etl-state --help
	assert_success
	for o in --db --table --default --output --progress --stats --quiet --help --version; do
		assert_output --partial -- "$o"
	done
	refute_output --partial -- --bad-records
	run etl-state --version
	assert_output --regexp '^etl-state [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "--stats counts the values printed" {
	etl-state set a 1
	etl-state set b 2
	etl-state --stats st.json list >/dev/null
	run jq -c '[.program, .records_out, .exit_status]' st.json
	assert_output '["etl-state",2,0]'
}

@test "list into a full disk exits 74 and counts no line as written" {
	[[ -c /dev/full ]] || skip "no /dev/full on this system"
	local st=0

	etl-state set a 1
	etl-state set b 2
	etl-state list --stats st.json >/dev/full 2>err || st=$?
	assert_equal "$st $(cat err)" "74 etl-state: <stdout>: write error: No space left on device"
	assert_equal "$(jq -c '[.records_in, .records_out, .unwritten, .exit_status]' st.json)" '[0,0,0,74]'
}
