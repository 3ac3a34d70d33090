#!/usr/bin/env bats
# tests/etl-load-pg.bats - etl-load-pg against a real PostgreSQL server:
# round trips through etl-from-csv and etl-extract-pg, the three modes,
# values checked before COPY (bad ones to the reject file with their line),
# all-or-nothing loads and resumable batches, watermarks that move only with
# the data, new tables and columns, and hostile names and values.

load helpers/common
load data/pg/cluster

P="$DATA/pg"

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

# rows TABLE [ORDER]: the table's rows as NDJSON, by etl-extract-pg.
rows() {
	etl-extract-pg -t "$1" --order-by "${2:-id}"
}

count() {
	sql "SELECT count(*) FROM $1"
}

rt_table() {
	sql "CREATE TABLE rt (id bigint PRIMARY KEY, qty integer, price numeric,
		ratio double precision, ok boolean, day date, at timestamptz, name text,
		meta jsonb, big numeric)"
}

# --- round trips ---------------------------------------------------------------

@test "CSV -> etl-from-csv -> etl-load-pg -> etl-extract-pg gives the same records" {
	rt_table
	etl-from-csv --types id=int,qty=int,price=decimal,ratio=float,ok=bool,day=date,at=timestamp,meta=json,big=int \
		"$P/roundtrip.csv" >want.ndjson
	run --separate-stderr etl-load-pg -t rt want.ndjson
	assert_success
	assert_no_stderr
	rows rt >got.ndjson
	assert_same_file want.ndjson got.ndjson
}

@test "every extracted type loads back into the same table unchanged" {
	sql "$(cat "$P/types.sql")"
	sql "CREATE TABLE types2 (LIKE types INCLUDING ALL)"
	etl-extract-pg -t types >all.ndjson
	run --separate-stderr etl-load-pg -t types2 all.ndjson
	assert_success
	rows types2 >got.ndjson
	assert_same_file "$P/types.ndjson" got.ndjson
}

@test "numbers keep every digit" {
	sql "CREATE TABLE n (id int, v numeric, i bigint)"
	put in.ndjson '{"id":1,"v":123456789012345678901234567890123456789012345.678901,"i":9223372036854775807}\n{"id":2,"v":19.990,"i":-9223372036854775808}\n{"id":3,"v":1.5e2,"i":1e3}\n'
	etl-load-pg -t n in.ndjson
	run sql "SELECT v, i FROM n ORDER BY id"
	assert_output $'123456789012345678901234567890123456789012345.678901\t9223372036854775807\n19.990\t-9223372036854775808\n150\t1000'
}

# --- columns -------------------------------------------------------------------

@test "fields map to columns by name, in any order; missing fields are NULL" {
	sql "CREATE TABLE t (id int, a text, b int)"
	put in.ndjson '{"b":2,"id":1,"a":"x"}\n{"id":2}\n{"a":"z","id":3}\n'
	run --separate-stderr etl-load-pg -t t in.ndjson
	assert_success
	run sql "SELECT id, coalesce(a, '-'), coalesce(b, -1) FROM t ORDER BY id"
	assert_output $'1\tx\t2\n2\t-\t-1\n3\tz\t-1'
}

@test "a column that no record names gets its default" {
	sql "CREATE TABLE t (id serial, a text, made timestamptz NOT NULL DEFAULT '2000-01-01Z', n int DEFAULT 7)"
	put in.ndjson '{"a":"x"}\n{"a":"y"}\n'
	etl-load-pg -t t in.ndjson
	run sql "SELECT id, a, made = '2000-01-01Z', n FROM t ORDER BY id"
	assert_output $'1\tx\tt\t7\n2\ty\tt\t7'
}

@test "an extra field is a bad record, unless --ignore-extra or --evolve" {
	sql "CREATE TABLE t (id int)"
	put in.ndjson '{"id":1,"more":"x"}\n'
	run --separate-stderr etl-load-pg -t t in.ndjson
	assert_failure 65
	assert_stderr 'etl-load-pg: in.ndjson:1: field "more" is not a column of t (--evolve adds it, --ignore-extra drops it)'
	run --separate-stderr etl-load-pg -t t --ignore-extra in.ndjson
	assert_success
	run sql "SELECT * FROM t"
	assert_output 1
}

@test "--evolve adds columns of the data's types, only for good records" {
	sql "CREATE TABLE t (id int)"
	put in.ndjson '{"id":1,"s":"x","n":1.50,"big":7}\n{"id":"bad","never":1}\n{"id":3,"js":{"a":1},"at":"2026-11-24T18:30:00Z","nul":null}\n'
	run --separate-stderr etl-load-pg -t t --evolve --bad-records rej.ndjson in.ndjson
	assert_success
	run sql "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_name = 't'"
	assert_output "id integer, s text, n numeric, big bigint, js jsonb, at timestamp with time zone"
	run rows t
	assert_output $'{"id":1,"s":"x","n":1.50,"big":7,"js":null,"at":null}\n{"id":3,"s":null,"n":null,"big":null,"js":{"a":1},"at":"2026-11-24T18:30:00Z"}'
	run jq -r .line rej.ndjson
	assert_output 2
}

@test "--columns loads only the fields named" {
	sql "CREATE TABLE t (id int, a text, b text)"
	put in.ndjson '{"id":1,"a":"x","b":"y","zzz":0}\n'
	etl-load-pg -t t --columns id,b in.ndjson
	run sql "SELECT id, coalesce(a, '-'), b FROM t"
	assert_output $'1\t-\ty'
	run --separate-stderr etl-load-pg -t t --columns id,nope in.ndjson
	assert_failure 2
	assert_stderr_regex '^etl-load-pg: --columns: no column "nope" in t'
}

@test "--create makes the table from the data's types, with --key as primary key" {
	put in.ndjson '{"id":1,"n":2.50,"f":1e-3,"ok":true,"d":"2026-11-24","at":"2026-11-24T18:30:00Z","s":"x","j":[1],"mix":1}\n{"id":2,"mix":"a","s":null}\n'
	run --separate-stderr etl-load-pg -t made --create --key id in.ndjson
	assert_success
	run sql "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_name = 'made'"
	assert_output "id bigint, n numeric, f double precision, ok boolean, d date, at timestamp with time zone, s text, j jsonb, mix jsonb"
	run sql "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'made'::regclass AND i.indisprimary"
	assert_output id
	run rows made
	assert_output $'{"id":1,"n":2.50,"f":0.001,"ok":true,"d":"2026-11-24","at":"2026-11-24T18:30:00Z","s":"x","j":[1],"mix":1}\n{"id":2,"n":null,"f":null,"ok":null,"d":null,"at":null,"s":null,"j":null,"mix":"a"}'
}

@test "--create without a record creates nothing and succeeds" {
	run --separate-stderr etl-load-pg -t made --create --key id </dev/null
	assert_success
	assert_stderr 'etl-load-pg: made: no records: the table is not created'
	run sql "SELECT to_regclass('made') IS NULL"
	assert_output t
}

@test "-t names the table as written, case and all: Mixed is not folded to mixed as psql folds" {
	put in.ndjson '{"Id":1}\n'
	run --separate-stderr etl-load-pg -t Mixed --create in.ndjson
	assert_success
	run sql "SELECT relname FROM pg_class WHERE relname ILIKE 'mixed' ORDER BY 1"
	assert_output Mixed
	run sql 'SELECT "Id" FROM "Mixed"'
	assert_output 1
	run --separate-stderr etl-load-pg -t mixed in.ndjson
	assert_failure 69
	assert_stderr 'etl-load-pg: mixed: no such table (--create makes it from the data)'
	run --separate-stderr etl-extract-pg -t Mixed
	assert_success
	assert_output '{"Id":1}'
}

@test "a missing table exits 69 without --create" {
	put in.ndjson '{"id":1}\n'
	run --separate-stderr etl-load-pg -t nosuch in.ndjson
	assert_failure 69
	assert_stderr 'etl-load-pg: nosuch: no such table (--create makes it from the data)'
}

# --- values checked before COPY ----------------------------------------------------

@test "bad values go to the reject file with their line; the good ones load" {
	sql "CREATE TABLE t (id int PRIMARY KEY, s smallint, n numeric(5,2), v varchar(3), d date,
		at timestamptz, b boolean, u uuid, j jsonb, x text NOT NULL DEFAULT 'x', tags int[])"
	cat >in.ndjson <<'EOF'
{"id":1,"s":1,"n":1.5,"v":"abc","d":"2026-11-24","at":"2026-11-24T18:30:00+01:00","b":"yes","u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","j":{"k":"v"},"tags":[1,2]}
{"id":2,"s":40000}
{"id":3,"n":1.234}
{"id":4,"n":1234.5}
{"id":5,"v":"abcd"}
{"id":6,"d":"2026-02-30"}
{"id":7,"at":"2026-11-24T25:00:00Z"}
{"id":8,"b":"maybe"}
{"id":9,"u":"not-a-uuid"}
{"id":10,"j":{"k":"\u0000"}}
{"id":11,"x":null}
{"id":12.5}
{"id":13,"tags":[[1,2],[3]]}
{"id":14,"tags":["x"]}
{"id":15,"v":"a\u0000"}
{"id":null}
{"id":17,"d":"2026-11-24T00:00:00Z"}
{"id":18,"s":"12"}

{"id":20,"n":"NaN"}
EOF
	run --separate-stderr etl-load-pg -t t --bad-records rej.ndjson in.ndjson
	assert_success
	assert_stderr 'etl-load-pg: 16 bad records written to rej.ndjson'
	run jq -r '"\(.line) \(.error)"' rej.ndjson
	assert_output - <<'EOF'
2 s: '40000' is out of range for smallint
3 n: '1.234' would be rounded: numeric(5,2) keeps fewer decimal places
4 n: '1234.5' is too large for numeric(5,2)
5 v: 'abcd' is longer than character varying(3) allows
6 d: '2026-02-30' is not an ISO-8601 date (YYYY-MM-DD)
7 at: '2026-11-24T25:00:00Z' is not an ISO-8601 date and time (YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+HH:MM])
8 b: 'maybe' is not a boolean
9 u: 'not-a-uuid' is not a UUID
10 j: jsonb cannot hold \u0000 in a string
11 x: the column cannot be null
12 id: '12.5' is not an integer
13 tags: a multidimensional array needs sub-arrays of equal lengths
14 tags: 'x' is not an integer
15 v: text cannot hold a NUL character (\u0000)
16 id: the column cannot be null
17 d: '2026-11-24T00:00:00Z' is not an ISO-8601 date (YYYY-MM-DD)
EOF
	run sql "SELECT id FROM t ORDER BY id"
	assert_output $'1\n18\n20'
	run sql "SELECT at, b, tags, s FROM t WHERE id IN (1, 18) ORDER BY id"
	assert_output $'2026-11-24 17:30:00+00\tt\t{1,2}\t1\n\t\t\t12'
}

@test "a record lacking a NOT NULL column without a default is a bad record" {
	sql "CREATE TABLE t (id int, c text NOT NULL, d text NOT NULL DEFAULT 'd', n serial)"
	put in.ndjson '{"id":1}\n{"id":2,"c":"x"}\n'
	run --separate-stderr etl-load-pg -t t --bad-records skip in.ndjson
	assert_success
	assert_stderr $'etl-load-pg: in.ndjson:1: c: the column cannot be null (skipped; further bad records are counted)\netl-load-pg: 1 bad record skipped'
	run sql "SELECT id, c, d, n FROM t"
	assert_output $'2\tx\td\t1'
	run --separate-stderr etl-load-pg -t t in.ndjson
	assert_failure 65
	assert_stderr 'etl-load-pg: in.ndjson:1: c: the column cannot be null'
	run count t
	assert_output 1
}

@test "a bad record under --bad-records fail loads nothing: exit 65 with its line" {
	sql "CREATE TABLE t (id int)"
	put in.ndjson '{"id":1}\n{"id":2}\n{"id":"three"}\n{"id":4}\n'
	run --separate-stderr etl-load-pg -t t in.ndjson
	assert_failure 65
	assert_stderr "etl-load-pg: in.ndjson:3: id: 'three' is not an integer"
	run count t
	assert_output 0
}

@test "a reject file that cannot be written commits nothing: exit 74" {
	sql "CREATE TABLE t (id int)"
	put in.ndjson '{"id":1}\n{"id":"x"}\n{"id":3}\n'
	run --separate-stderr etl-load-pg -t t --bad-records /dev/full in.ndjson
	assert_failure 74
	assert_stderr 'etl-load-pg: /dev/full: write error: No space left on device'
	run count t
	assert_output 0
}

@test "a value only the server can check fails the load at its record's line" {
	sql "CREATE TYPE color AS ENUM ('red', 'green'); CREATE TABLE t (id int, c color)"
	put in.ndjson '{"id":1,"c":"red"}\n\n{"id":2,"c":"green"}\n{"id":3,"c":"blue"}\n'
	run --separate-stderr etl-load-pg -t t in.ndjson
	assert_failure 65
	assert_stderr 'etl-load-pg: in.ndjson:4: t: invalid input value for enum color: "blue"'
	run count t
	assert_output 0
}

@test "a row the server refuses deep in a big load is named by its file and line" {
	# many COPY chunks, two files, and a rejected record in between: the
	# server's "COPY t, line N" still maps back to the input line
	sql "CREATE TABLE t (id int PRIMARY KEY, note text)"
	seq 1 12000 | sed 's/.*/{"id":&,"note":"some text to fill the line"}/' >a.ndjson
	sed -i '7000s/.*/{"id":"seven thousand"}/' a.ndjson
	{
		seq 12001 20000 | sed 's/.*/{"id":&,"note":"more"}/'
	} >b.ndjson
	sed -i '5000s/.*/{"id":42,"note":"again"}/' b.ndjson
	run --separate-stderr etl-load-pg -t t --bad-records skip -q a.ndjson b.ndjson
	assert_failure 65
	assert_stderr 'etl-load-pg: b.ndjson:5000: t: duplicate key value violates unique constraint "t_pkey" (Key (id)=(42) already exists.)'
	run count t
	assert_output 0
}

@test "a duplicate key in append mode fails at the line of the duplicate" {
	sql "CREATE TABLE t (id int PRIMARY KEY)"
	put a.ndjson '{"id":1}\n{"id":2}\n'
	put b.ndjson '{"id":3}\n{"id":1}\n'
	run --separate-stderr etl-load-pg -t t a.ndjson b.ndjson
	assert_failure 65
	assert_stderr 'etl-load-pg: b.ndjson:2: t: duplicate key value violates unique constraint "t_pkey" (Key (id)=(1) already exists.)'
	run count t
	assert_output 0
}

# --- modes ---------------------------------------------------------------------------

@test "upsert inserts new keys and updates existing ones; twice is the same as once" {
	sql "CREATE TABLE t (id int, k text, v text, PRIMARY KEY (id, k)); INSERT INTO t VALUES (1, 'a', 'old'), (9, 'z', 'keep')"
	put in.ndjson '{"id":1,"k":"a","v":"new"}\n{"id":2,"k":"b","v":"x"}\n'
	etl-load-pg -t t --mode upsert --key id,k in.ndjson
	rows t id,k >once
	run --separate-stderr etl-load-pg -t t -m upsert -k id,k in.ndjson
	assert_success
	rows t id,k >twice
	assert_same_file once twice
	run cat twice
	assert_output $'{"id":1,"k":"a","v":"new"}\n{"id":2,"k":"b","v":"x"}\n{"id":9,"k":"z","v":"keep"}'
}

@test "upsert: of several records with one key, the last wins" {
	sql "CREATE TABLE t (id int PRIMARY KEY, v text)"
	put in.ndjson '{"id":1,"v":"first"}\n{"id":2,"v":"only"}\n{"id":1,"v":"second"}\n{"id":1,"v":"last"}\n'
	etl-load-pg -t t --mode upsert --key id in.ndjson
	run sql "SELECT id, v FROM t ORDER BY id"
	assert_output $'1\tlast\n2\tonly'
}

@test "upsert needs a unique index on the key" {
	sql "CREATE TABLE t (id int, v text)"
	put in.ndjson '{"id":1,"v":"x"}\n'
	run --separate-stderr etl-load-pg -t t --mode upsert --key id in.ndjson
	assert_failure 2
	assert_stderr 'etl-load-pg: --key: t has no primary key or unique index on (id), which upsert needs'
}

@test "replace swaps the content in one transaction" {
	sql "CREATE TABLE t (id int, v text); INSERT INTO t VALUES (1, 'old'), (2, 'old')"
	put in.ndjson '{"id":3,"v":"new"}\n'
	etl-load-pg -t t --mode replace in.ndjson
	run sql "SELECT id, v FROM t"
	assert_output $'3\tnew'
}

@test "replace: a concurrent reader never sees an empty table, nor old and new mixed" {
	sql "CREATE TABLE t (id int, v text); INSERT INTO t SELECT g, 'x' FROM generate_series(1, 50000) g"
	seq 50000 | sed 's/.*/{"id":&,"v":"a"}/' >a.ndjson
	seq 50000 | sed 's/.*/{"id":&,"v":"b"}/' >b.ndjson
	# at least 5 rounds, and on until the reader has looked 20 times (a
	# loaded machine may give it few turns), within 60 s
	: >counts
	(end=$((SECONDS + 60)) n=0
	while ((n < 5 || ($(wc -l <counts) < 20 && SECONDS < end))); do
		etl-load-pg -t t --mode replace a.ndjson || echo FAILED
		etl-load-pg -t t --mode replace b.ndjson || echo FAILED
		n=$((n + 1))
	done; touch done) >load.log 2>&1 &
	while [[ ! -e done ]]; do
		sql "SELECT count(*) || ' ' || count(DISTINCT v) FROM t" >>counts
	done
	wait
	run cat load.log
	assert_output ""
	run sort -u counts
	assert_output "50000 1"
	assert [ "$(wc -l <counts)" -gt 5 ]
}

@test "replace refuses to empty the table on empty input, unless --allow-empty" {
	sql "CREATE TABLE t (id int); INSERT INTO t VALUES (1)"
	: >empty.ndjson
	run --separate-stderr etl-load-pg -t t --mode replace empty.ndjson
	assert_failure 1
	assert_stderr 'etl-load-pg: t: no records to load: refusing to empty the table (--allow-empty allows it)'
	run count t
	assert_output 1
	put bad.ndjson '{"id":"x"}\n'
	run --separate-stderr etl-load-pg -t t --mode replace --bad-records skip bad.ndjson
	assert_failure 1
	run count t
	assert_output 1
	run --separate-stderr etl-load-pg -t t --mode replace --allow-empty empty.ndjson
	assert_success
	run count t
	assert_output 0
}

@test "append of empty input changes nothing and succeeds" {
	sql "CREATE TABLE t (id int); INSERT INTO t VALUES (1)"
	run --separate-stderr etl-load-pg -t t </dev/null
	assert_success
	run count t
	assert_output 1
}

# --- transactions ------------------------------------------------------------------------

@test "a load killed mid-way commits nothing, and a re-run completes it" {
	sql "CREATE TABLE t (id int, pad text)"
	seq 40000 | sed 's/.*/{"id":&,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}/' >all.ndjson
	mkfifo fifo
	etl-load-pg -t t fifo &
	pid=$!
	{ head -n 30000 all.ndjson; sleep 30; } >fifo &
	writer=$!
	# wait until the server has rows of this COPY, then kill the loader
	for _ in $(seq 200); do
		n=$(sql "SELECT count(*) FROM pg_stat_progress_copy WHERE tuples_processed > 0")
		[[ $n == 1 ]] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	kill "$writer" 2>/dev/null || true
	assert_equal "$n" 1
	run count t
	assert_output 0
	run --separate-stderr etl-load-pg -t t all.ndjson
	assert_success
	run count t
	assert_output 40000
}

@test "--batch commits every N records and says where to resume" {
	sql "CREATE TABLE t (id int PRIMARY KEY)"
	seq 10 | sed 's/.*/{"id":&}/' >in.ndjson
	echo '{"id":5}' >>in.ndjson
	run --separate-stderr etl-load-pg -t t --batch 4 in.ndjson
	assert_failure 65
	assert_stderr "etl-load-pg: t: committed 4 records, through in.ndjson:4
etl-load-pg: t: committed 8 records, through in.ndjson:8
etl-load-pg: in.ndjson:11: t: duplicate key value violates unique constraint \"t_pkey\" (Key (id)=(5) already exists.)
etl-load-pg: t: 8 records were committed, through in.ndjson:8; resume with the records after that line"
	run count t
	assert_output 8
	run --separate-stderr bash -c 'tail -n +9 in.ndjson | head -n 2 | etl-load-pg -t t --batch 4 -q'
	assert_success
	assert_no_stderr
	run count t
	assert_output 10
}

# --- watermarks ----------------------------------------------------------------------------

@test "--state-key records the greatest watermark value loaded, comparing instants" {
	sql "CREATE TABLE t (id int, at timestamptz)"
	put in.ndjson '{"id":1,"at":"2026-11-24T18:30:00Z"}\n{"id":2,"at":"2026-11-25T01:00:00+06:00"}\n{"id":3,"at":"2026-11-24T20:00:00Z"}\n{"id":4,"at":null}\n'
	run --separate-stderr etl-load-pg -t t --state-key t.at --watermark at in.ndjson
	assert_success
	run etl-state get t.at
	assert_output 2026-11-24T20:00:00Z
}

@test "the watermark moves only with the data" {
	sql "CREATE TABLE t (id int, n int)"
	put a.ndjson '{"id":1,"n":9}\n'
	etl-load-pg -t t --state-key wm --watermark n a.ndjson
	run etl-state get wm
	assert_output 9
	# a failed load moves nothing
	put b.ndjson '{"id":2,"n":10}\n{"id":"bad","n":11}\n'
	run --separate-stderr etl-load-pg -t t --state-key wm --watermark n b.ndjson
	assert_failure 65
	run etl-state get wm
	assert_output 9
	# a skipped record's value does not count
	run --separate-stderr etl-load-pg -t t --state-key wm --watermark n --bad-records skip b.ndjson
	assert_success
	run etl-state get wm
	assert_output 10
	# older data does not move it back
	put c.ndjson '{"id":3,"n":2}\n'
	etl-load-pg -t t --state-key wm --watermark n c.ndjson
	run etl-state get wm
	assert_output 10
	run count t
	assert_output 3
}

# --- stream offsets --------------------------------------------------------------------------

@test "--offsets commits the records' offset set with the rows and skips what it covers" {
	sql "CREATE TABLE t (id int, v text)"
	put a.ndjson '{"id":1,"v":"a","_off":"p/0:10"}\n{"id":2,"v":"b","_off":"p/1:4"}\n{"id":3,"v":"c","_off":"p/0:11"}\n'
	run --separate-stderr etl-load-pg -t t --offsets k --stats st.json a.ndjson
	assert_success
	run etl-state get k
	assert_output p/0:11,p/1:4
	# a replay with one new record loads only that one, and counts the rest
	put b.ndjson '{"id":1,"v":"a","_off":"p/0:10"}\n{"id":2,"v":"b","_off":"p/1:4"}\n{"id":3,"v":"c","_off":"p/0:11"}\n{"id":4,"v":"d","_off":"p/1:5"}\n'
	run --separate-stderr etl-load-pg -t t --offsets k --stats st.json b.ndjson
	assert_success
	run sql "SELECT id FROM t ORDER BY id"
	assert_output $'1\n2\n3\n4'
	run jq -c '[.records_in, .records_out, .dropped, .skipped]' st.json
	assert_output '[4,1,3,3]'
	run etl-state get k
	assert_output p/0:11,p/1:5
	# the stored set is merged, never moved back
	put c.ndjson '{"id":5,"v":"e","_off":"q/0:1"}\n'
	etl-load-pg -t t --offsets k c.ndjson
	run etl-state get k
	assert_output p/0:11,p/1:5,q/0:1
}

@test "--offsets: a record without a valid _off is bad; a table column _off is loaded" {
	sql "CREATE TABLE t (id int)"
	put a.ndjson '{"id":1,"_off":"p/0:1"}\n{"id":2}\n{"id":3,"_off":"p/0:x"}\n'
	run --separate-stderr etl-load-pg -t t --offsets k a.ndjson
	assert_failure 65
	assert_stderr 'etl-load-pg: a.ndjson:2: no _off string (--offsets needs the stream offset of each record)'
	run --separate-stderr etl-load-pg -t t --offsets k --bad-records skip a.ndjson
	assert_success
	run sql "SELECT id FROM t"
	assert_output 1
	sql "CREATE TABLE u (id int, _off text)"
	etl-load-pg -t u --offsets k2 a.ndjson --bad-records skip
	run sql "SELECT id, _off FROM u"
	assert_output $'1\tp/0:1'
}

@test "--offsets commits while the input flows and when it waits, not only at its end" {
	sql "CREATE TABLE t (id int)"
	mkfifo in.fifo
	etl-load-pg -t t --offsets k in.fifo &
	local pid=$! n=0
	exec 4>in.fifo
	echo '{"id":1,"_off":"p/0:1"}' >&4
	# the input waits: the row and its offset are committed
	while [[ $(sql "SELECT count(*) FROM t") != 1 ]] && ((n++ < 50)); do sleep 0.1; done
	run etl-state get k
	assert_output p/0:1
	# a steady flow commits at least every --commit-interval
	for i in 2 3 4 5 6 7 8 9; do
		echo "{\"id\":$i,\"_off\":\"p/0:$i\"}" >&4
		sleep 0.05
	done
	n=0
	while [[ $(sql "SELECT count(*) FROM t") != 9 ]] && ((n++ < 50)); do sleep 0.1; done
	run sql "SELECT count(*) FROM t"
	assert_output 9
	exec 4>&-
	wait "$pid"
}

@test "--offsets: a crash in the middle of a batch or after its commit loads each record once" {
	sql "CREATE TABLE t (id int, v int)"
	for i in $(seq 1 20); do echo "{\"id\":$i,\"v\":$i,\"_off\":\"s:$i\"}"; done >in.ndjson
	# killed while the 7th row is sent: the batch of rows 5-7 is lost
	ETL_CRASH_AT=load-pg-row@7 run etl-load-pg -t t --offsets k --batch 2 in.ndjson
	assert_failure 137
	run etl-state get k
	assert_output s:6
	# killed just after the 3rd commit
	ETL_CRASH_AT=load-pg-committed@3 run etl-load-pg -t t --offsets k --batch 2 in.ndjson
	assert_failure 137
	run etl-state get k
	assert_output s:12
	run etl-load-pg -t t --offsets k --batch 2 in.ndjson
	assert_success
	run sql "SELECT count(*), count(DISTINCT id), sum(v) FROM t"
	assert_output $'20\t20\t210'
}

@test "--offsets refuses --mode replace; --commit-interval wants a duration" {
	run etl-load-pg -t t --offsets k --mode replace
	assert_failure 2
	assert_output --partial '--offsets: cannot be combined with --mode replace'
	run etl-load-pg -t t --commit-interval 5x
	assert_failure 2
}

@test "two concurrent loads never move the watermark back, even on its first save" {
	# the state table exists, the name does not yet
	etl-state set other 1
	# the load of id 1 waits in its COMMIT, its watermark written, until
	# another load waits for it
	sql "CREATE TABLE t (id int, n int);
		CREATE FUNCTION hold() RETURNS trigger LANGUAGE plpgsql AS \$\$
		BEGIN
			IF NEW.id = 1 THEN
				FOR i IN 1..500 LOOP
					PERFORM pg_stat_clear_snapshot();
					EXIT WHEN EXISTS (SELECT FROM pg_stat_activity
						WHERE application_name = 'etl-load-pg' AND wait_event_type = 'Lock');
					PERFORM pg_sleep(0.02);
				END LOOP;
			END IF;
			RETURN NULL;
		END \$\$;
		CREATE CONSTRAINT TRIGGER hold AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED
			FOR EACH ROW EXECUTE FUNCTION hold()"
	put a.ndjson '{"id":1,"n":10}\n'
	put b.ndjson '{"id":2,"n":5}\n'
	etl-load-pg -t t --state-key wm --watermark n a.ndjson 3>&- &
	pid=$!
	for _ in $(seq 250); do
		n=$(sql "SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'etl-load-pg' AND wait_event = 'PgSleep'")
		[[ $n == 1 ]] && break
		sleep 0.02
	done
	assert_equal "$n" 1
	run --separate-stderr etl-load-pg -t t --state-key wm --watermark n b.ndjson
	assert_success
	wait "$pid"
	run etl-state get wm
	assert_output 10
	run count t
	assert_output 2
}

@test "with --batch, the watermark follows each committed batch" {
	sql "CREATE TABLE t (id int PRIMARY KEY)"
	seq 6 | sed 's/.*/{"id":&}/' >in.ndjson
	echo '{"id":1}' >>in.ndjson
	run --separate-stderr etl-load-pg -t t --batch 3 --state-key wm --watermark id -q in.ndjson
	assert_failure 65
	run etl-state get wm
	assert_output 6
	run count t
	assert_output 6
}

@test "--state-table keeps the watermark in another table" {
	sql "CREATE TABLE t (id int); CREATE SCHEMA jobs"
	put in.ndjson '{"id":5}\n'
	etl-load-pg -t t --state-key wm --watermark id --state-table jobs.state in.ndjson
	run etl-state --table jobs.state get wm
	assert_output 5
}

@test "a malformed --state-table is a usage error before anything loads" {
	sql "CREATE TABLE t (id int)"
	put in.ndjson '{"id":1}\n'
	run --separate-stderr etl-load-pg -t t --state-key k --watermark ts --state-table a.b.c in.ndjson
	assert_failure 2
	assert_stderr $'etl-load-pg: --state-table: expected [schema.]table\nTry \'etl-load-pg --help\' for more information.'
	run count t
	assert_output 0
	run sql "SELECT to_regclass('etl_state') IS NULL"
	assert_output t
}

# --- names and failures ------------------------------------------------------------------------

@test "hostile table and column names and values are only names and values" {
	put in.ndjson '{"id; DROP TABLE x; --":1,"v":"'"'"'); DROP TABLE x; --"}\n'
	sql "CREATE TABLE x (id int); INSERT INTO x VALUES (1)"
	run --separate-stderr etl-load-pg -t '"x\"; DROP TABLE x; --"' --create in.ndjson
	assert_success
	run sql 'SELECT * FROM "x""; DROP TABLE x; --"'
	assert_output $'1\t\'); DROP TABLE x; --'
	run count x
	assert_output 1
}

@test "a schema-qualified table; a quoted part may hold a dot" {
	sql 'CREATE SCHEMA "s.1"; CREATE TABLE "s.1".t (id int)'
	put in.ndjson '{"id":1}\n'
	run --separate-stderr etl-load-pg -t '"s.1".t' in.ndjson
	assert_success
	run sql 'SELECT * FROM "s.1".t'
	assert_output 1
}

@test "no right to write exits 69" {
	sql "CREATE TABLE t (id int); DROP ROLE IF EXISTS reader; CREATE ROLE reader LOGIN; GRANT SELECT ON t TO reader"
	put in.ndjson '{"id":1}\n'
	run --separate-stderr etl-load-pg --db "user=reader" -t t in.ndjson
	assert_failure 69
	assert_stderr 'etl-load-pg: t: permission denied for table t'
}

@test "an unreachable server exits 75" {
	put in.ndjson '{"id":1}\n'
	run --separate-stderr etl-load-pg --db "host=$TMP/none" -t t in.ndjson
	assert_failure 75
	assert_stderr_regex "^etl-load-pg: host=$TMP/none: could not connect: "
}

@test "--stats: records in, loaded and bad" {
	sql "CREATE TABLE t (id int)"
	put in.ndjson '{"id":1}\n{"id":"x"}\nnot json\n{"id":3}\n'
	run --separate-stderr etl-load-pg -t t --bad-records skip --stats st.json in.ndjson
	assert_success
	run jq -c '[.records_in, .records_out, .bad, .exit_status]' st.json
	assert_output '[4,2,2,0]'
}

@test "usage errors exit 2" {
	run --separate-stderr etl-load-pg
	assert_failure 2
	assert_stderr $'etl-load-pg: --table: required: the table to load\nTry \'etl-load-pg --help\' for more information.'
	run --separate-stderr etl-load-pg -t t --mode merge
	assert_failure 2
	assert_stderr_regex "^etl-load-pg: --mode: expected append, upsert or replace, got 'merge'"
	run --separate-stderr etl-load-pg -t t --mode upsert
	assert_failure 2
	assert_stderr_regex '^etl-load-pg: --mode: upsert needs --key'
	run --separate-stderr etl-load-pg -t t --mode replace --batch 10
	assert_failure 2
	run --separate-stderr etl-load-pg -t t --batch 0
	assert_failure 2
	run --separate-stderr etl-load-pg -t t --state-key x
	assert_failure 2
	run --separate-stderr etl-load-pg -t t --allow-empty
	assert_failure 2
	run --separate-stderr etl-load-pg -t t -o x
	assert_failure 2
}

@test "--help lists every option; --version" {
	run --separate-stderr etl-load-pg --help
	assert_success
	for o in --db --table --mode --key --create --evolve --ignore-extra --columns --batch \
		--allow-empty --state-key --watermark --state-table --bad-records --max-bad \
		--progress --stats --quiet --help --version; do
		assert_output --partial -- "$o"
	done
	refute_output --partial -- --output
	run etl-load-pg --version
	assert_output --regexp '^etl-load-pg [0-9]+\.[0-9]+\.[0-9]+$'
}

# --- secrets -------------------------------------------------------------------

@test "a password in --db reaches no output of a load, a failed load or an extract" {
	local kv="host=$PGHOST port=$PGPORT dbname=$PGDATABASE password=s3cr3tLIVE"
	local uri="postgresql://$PGUSER:s3cr3tLIVE@/$PGDATABASE?host=$PGHOST&port=$PGPORT"

	put in.ndjson '{"id":1}\n[2]\n{"id":3}\n'
	PGPASSWORD=s3cr3tENV etl-load-pg --db "$kv" -t t --create --bad-records rej.ndjson \
		--progress=always --stats st1.json in.ndjson >out1 2>err1
	assert_equal "$(count t)" 2
	run --separate-stderr etl-load-pg --db "$uri" -t nosuch --stats st2.json in.ndjson
	assert_failure 69
	etl-extract-pg --db "$uri" -t t --progress=always --stats st3.json >out3 2>err3
	assert_equal "$(cat out3)" "$(printf '{"id":1}\n{"id":3}')"
	assert_equal "$(jq -c .arguments[1] st1.json)" \
		"\"host=$PGHOST port=$PGPORT dbname=$PGDATABASE\""
	assert_equal "$(jq -c .arguments[1] st3.json)" \
		"\"postgresql://$PGUSER@/$PGDATABASE?host=$PGHOST&port=$PGPORT\""
	echo "$stderr" >err2
	run grep -rl s3cr3t .
	assert_failure 1
	assert_output ""
}

# --- what --stats counts as loaded ----------------------------------------------

@test "--stats: a load rolled back at COMMIT counts its records unwritten, not loaded" {
	sql "CREATE TABLE t (id int, CONSTRAINT u UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)"
	put in.ndjson '{"id":1}\n{"id":2}\n{"id":1}\n'
	run --separate-stderr etl-load-pg -t t --stats st.json in.ndjson
	assert_failure 65
	run count t
	assert_output 0
	run jq -c '[.records_in, .records_out, .bad, .dropped, .unwritten, .exit_status]' st.json
	assert_output '[3,0,0,0,3,65]'
}

@test "--stats with --batch: only the committed batches count as loaded" {
	sql "CREATE TABLE t (id int PRIMARY KEY)"
	seq 10 | sed 's/.*/{"id":&}/' >in.ndjson
	echo '{"id":5}' >>in.ndjson
	run --separate-stderr etl-load-pg -t t --batch 4 -q --stats st.json in.ndjson
	assert_failure 65
	run count t
	assert_output 8
	run jq -c '[.records_in, .records_out, .bad, .dropped, .unwritten, .exit_status]' st.json
	assert_output '[11,8,0,0,3,65]'
}

@test "a load ended by SIGTERM, SIGINT or SIGHUP commits nothing and counts nothing as loaded" {
	local sig pid writer rc n fd

	sql "CREATE TABLE t (id int, pad text)"
	seq 30000 | sed 's/.*/{"id":&,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}/' >all.ndjson
	for sig in TERM INT HUP; do
		rm -f fifo st.json && mkfifo fifo
		env --default-signal=INT etl-load-pg -t t --stats st.json fifo 2>err &
		pid=$!
		exec {fd}>fifo
		cat all.ndjson >&"$fd"
		# wait until the server has rows of this COPY, then signal the loader
		for _ in $(seq 200); do
			n=$(sql "SELECT count(*) FROM pg_stat_progress_copy WHERE tuples_processed > 0")
			[[ $n == 1 ]] && break
			sleep 0.05
		done
		assert_equal "$n" 1
		kill -"$sig" "$pid"
		rc=0
		timeout 10 tail --pid="$pid" -f /dev/null
		wait "$pid" || rc=$?
		exec {fd}>&-
		assert_equal "$sig $rc" "$sig $((128 + $(kill -l "$sig")))"
		assert_equal "$(cat err)" ""
		assert_equal "$(count t)" 0
		assert_equal "$(jq -c '[.records_in > 0, .records_out, .records_in == .unwritten, .exit_status]' st.json)" \
			"[true,0,true,$((128 + $(kill -l "$sig")))]"
	done
}
