#!/usr/bin/env bats
# tests/etl-extract-pg-cdc.bats - etl-extract-pg --follow against a real
# PostgreSQL server decoding its WAL (tests/pg.sh --logical) with wal2json:
# the snapshot and the changes in the JSON of a plain extract, offsets in
# order, a snapshot and a stream without gap or overlap under concurrent
# writes, a restart from a sink's committed offsets, the slot never
# acknowledged past them, a walsender killed mid-stream, and the failures.
# Every follower stops by itself (--idle-exit) and runs under timeout.

load helpers/common
load data/pg/cluster

setup_file() {
	command -v /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 ||
		skip "no PostgreSQL server installed"
	ls /usr/lib/postgresql/*/lib/wal2json.so >/dev/null 2>&1 || skip "wal2json is not installed"
	pg_setup_file --logical
	sql "$(cat "$DATA/pg/types.sql")"
	sql "CREATE TABLE acct (id int PRIMARY KEY, owner text, amount numeric(12,2));
		CREATE TABLE other (x int);
		INSERT INTO acct VALUES (1, 'ann', 10.00), (2, 'bob', 20.50)"
}

teardown_file() {
	pg_teardown_file
}

setup() {
	cd "$TMP" || return 1
}

# follow ARGS...: follow until 2 s without a change, at most 60 s.
follow() {
	timeout 60 etl-extract-pg --follow --idle-exit 2s "$@"
}

# user: the records without the stream's fields, as a plain extract has them.
user() {
	etl-map --drop _op,_table,_lsn,_off,_ts,_old "$@"
}

# offsets FILE: the _off of each record, one a line.
offsets() {
	jq -r ._off "$1"
}

# ordered FILE: succeed when the positions of FILE's _off strictly increase.
ordered() {
	offsets "$1" | awk -F: '{
		n = split($NF, p, ".")
		if (NR > 1) {
			m = (n > pn ? n : pn); c = 0
			for (i = 1; i <= m && c == 0; i++) {
				a = (i <= pn ? q[i] : -1); b = (i <= n ? p[i] : -1)
				if (a + 0 < b + 0) c = -1; else if (a + 0 > b + 0) c = 1
			}
			if (c >= 0) { print "not increasing at line " NR ": " $0; exit 1 }
		}
		pn = n; for (i = 1; i <= n; i++) q[i] = p[i]
	}'
}

# slot_lsn SLOT: the slot's confirmed_flush_lsn as a decimal number.
slot_lsn() {
	sql "SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots WHERE slot_name = '$1'"
}

@test "--follow --create-slot: the snapshot has the JSON of a plain extract" {
	run --separate-stderr follow --slot snap1 --create-slot -t types
	assert_success
	assert_no_stderr
	printf '%s\n' "$output" >got
	assert_equal "$(jq -r '[._op, ._table] | join(" ")' got | sort -u)" "snapshot public.types"
	etl-extract-pg -t types >want
	user got | sort >a
	sort want >b
	assert_same_file b a
	run ordered got
	assert_success
	# the last row of the snapshot says so
	assert_regex "$(tail -n 1 got | jq -r ._off)" '^snap1:[0-9]+\.0\.4\.0$'
	assert_regex "$(head -n 1 got | jq -r ._off)" '^snap1:[0-9]+\.0\.1$'
	assert_equal "$(sql "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'snap1'")" 1
}

@test "--follow: inserts carry the JSON of a plain extract of the same rows" {
	sql "CREATE TABLE types_c (LIKE types)"
	follow --slot types1 --create-slot -t types_c >got 2>err &
	sleep 1
	# wal2json writes the floats NaN and Infinity as null: row 2 holds them
	sql "INSERT INTO types_c SELECT * FROM types WHERE id <> 2"
	wait
	assert_equal "$(cat err)" ""
	assert_equal "$(jq -r ._op got | sort | uniq -c | tr -s ' ')" " 3 insert"
	user got | sort >a
	etl-extract-pg -t types_c | sort >b
	assert_same_file b a
}

@test "--follow: inserts, updates and deletes of a transaction, in order, one commit LSN" {
	follow --slot ops1 --create-slot -t acct >got 2>err &
	sleep 1
	sql "BEGIN; INSERT INTO acct VALUES (3, 'cy', 1.25); UPDATE acct SET amount = 30.75 WHERE id = 3;
		UPDATE acct SET id = 4 WHERE id = 3; DELETE FROM acct WHERE id = 4; INSERT INTO other VALUES (1);
		COMMIT"
	wait
	assert_equal "$(cat err)" ""
	# the two snapshot rows, then the four changes
	assert_equal "$(jq -r ._op got | tr '\n' ' ')" "snapshot snapshot insert update update delete "
	run ordered got
	assert_success
	lsn=$(sed -n 3p got | jq -r ._off | sed 's/^ops1:\([0-9]*\)\..*/\1/')
	assert_equal "$(sed -n '3,6p' got | jq -r ._off | tr '\n' ' ')" "ops1:$lsn.1 ops1:$lsn.2 ops1:$lsn.3 ops1:$lsn.4 "
	assert_equal "$(sed -n 3p got | jq -r ._lsn)" "$(sql "SELECT '0/0'::pg_lsn + $lsn")"
	assert_equal "$(sed -n 4p got | user)" '{"id":3,"owner":"cy","amount":30.75}'
	assert_equal "$(sed -n 5p got | jq -c ._old)" '{"id":3}'
	assert_equal "$(sed -n 5p got | user)" '{"id":4,"owner":"cy","amount":30.75}'
	assert_equal "$(sed -n 6p got | user)" '{"id":4}'
	assert_equal "$(sed -n 6p got | jq -r ._table)" "public.acct"
	assert_regex "$(sed -n 6p got | jq -r ._ts)" '^20[0-9-]+T[0-9:.]+Z$'
}

@test "--follow: a snapshot and the stream, under concurrent writes, without gap or overlap" {
	sql "CREATE TABLE w (id int PRIMARY KEY, v int)"
	seq 1 400 | sed 's/.*/INSERT INTO w VALUES (&, &); UPDATE w SET v = v + 1 WHERE id = &;/' >writes.sql
	psql -X -q -f writes.sql >/dev/null &
	writer=$!
	sleep 0.3
	follow --slot gap1 --create-slot -t w >got 2>err
	wait "$writer"
	assert_equal "$(cat err)" ""
	# replaying snapshot and changes in order gives the table
	jq -r 'if ._op == "snapshot" or ._op == "insert" then "\(.id) \(.v)" elif ._op == "update" then "\(.id) \(.v)" else empty end' got |
		awk '{ v[$1] = $2 } END { for (k in v) print k, v[k] }' | sort -n >replayed
	sql "SELECT id, v FROM w ORDER BY id" | tr '\t' ' ' >table
	assert_same_file table replayed
	# and each row enters exactly once: by the snapshot or by its insert
	assert_equal "$(jq -r 'select(._op == "snapshot" or ._op == "insert") | .id' got | sort | uniq -d)" ""
	assert_equal "$(jq -r 'select(._op == "snapshot" or ._op == "insert") | .id' got | wc -l)" 400
	run ordered got
	assert_success
}

@test "--from-state: a restart resumes after the sink's committed offset, exactly" {
	sql "CREATE TABLE r (id int PRIMARY KEY)"
	follow --slot rs1 --create-slot -t r >first 2>err &
	sleep 1
	for i in 1 2 3; do sql "BEGIN; INSERT INTO r VALUES ($i * 10 + 1); INSERT INTO r VALUES ($i * 10 + 2); COMMIT"; done
	wait
	assert_equal "$(jq -r ._op first | tr '\n' ' ')" "insert insert insert insert insert insert "
	# a sink committed the first three changes: the middle of a transaction
	off=$(sed -n 3p first | jq -r ._off)
	sql "CREATE TABLE IF NOT EXISTS etl_state (name text PRIMARY KEY, value text, updated_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO etl_state (name, value) VALUES ('rs1k', '$off')"
	sql "INSERT INTO r VALUES (41)"
	follow --slot rs1 -t r --from-state rs1k --stats stats.json >second 2>err
	assert_equal "$(cat err)" ""
	# the transaction of the offset comes again: its first change is skipped, and counted
	assert_equal "$(jq -c '[.records_in, .records_out, .dropped, .exit_status]' stats.json)" "[5,4,1,0]"
	head -n 3 first >joined
	cat second >>joined
	# what the first run wrote after the offset, then the new change
	assert_equal "$(jq -r .id joined | tr '\n' ' ')" "11 12 21 22 31 32 41 "
	assert_equal "$(sed -n '4,6p' first)" "$(head -n 3 second)"
	run ordered joined
	assert_success
}

@test "--from-state: the slot is acknowledged up to the sink's commit, never past it" {
	sql "CREATE TABLE k (id int)"
	follow --slot ack1 --create-slot -t k --from-state ack1k --idle-exit 12s >got 2>err &
	sleep 1
	start=$(slot_lsn ack1)
	for i in 1 2 3 4 5; do sql "INSERT INTO k VALUES ($i)"; done
	sleep 3
	# nothing committed downstream yet: the slot has not moved
	assert_equal "$(slot_lsn ack1)" "$start"
	off=$(sed -n 3p got | jq -r ._off)
	lsn=${off#ack1:}
	lsn=${lsn%%.*}
	sql "CREATE TABLE IF NOT EXISTS etl_state (name text PRIMARY KEY, value text, updated_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO etl_state (name, value) VALUES ('ack1k', '$off')"
	for i in $(seq 1 20); do
		(($(slot_lsn ack1) == lsn)) && break
		sleep 0.5
	done
	assert_equal "$(slot_lsn ack1)" "$lsn"
	wait
	# later changes were read, and still the slot stays at the commit
	assert_equal "$(wc -l <got)" 5
	assert_equal "$(slot_lsn ack1)" "$lsn"
	assert_equal "$(cat err)" ""
}

@test "--follow: a walsender terminated mid-stream is reconnected, nothing lost or repeated" {
	sql "CREATE TABLE kill (id int PRIMARY KEY)"
	follow --slot kill1 --create-slot -t kill >got 2>err &
	sleep 1
	sql "INSERT INTO kill SELECT generate_series(1, 50)"
	sleep 1
	sql "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'kill1'" >/dev/null
	sql "INSERT INTO kill SELECT generate_series(51, 100)"
	wait
	assert_equal "$(jq -r .id got | sort -n | uniq | wc -l)" 100
	assert_equal "$(wc -l <got)" 100
	run ordered got
	assert_success
	run cat err
	assert_output --partial "etl-extract-pg: slot kill1: the replication connection was lost"
}

@test "--retries 0: a lost connection exits 75" {
	sql "CREATE TABLE lost (id int)"
	timeout 60 etl-extract-pg --follow --slot lost1 --create-slot -t lost --retries 0 >got 2>err &
	pid=$!
	sleep 1
	sql "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'lost1'" >/dev/null
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 75
	run tail -n 1 err
	assert_output "etl-extract-pg: slot lost1: the replication connection was lost; gave up after 0 retries"
}

@test "--follow: SIGTERM ends the run cleanly, its records written" {
	sql "CREATE TABLE term (id int)"
	timeout 60 etl-extract-pg --follow --slot term1 --create-slot -t term >got 2>err &
	pid=$!
	sleep 1
	sql "INSERT INTO term VALUES (1), (2)"
	sleep 1
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
	assert_equal "$(jq -r .id got | tr '\n' ' ')" "1 2 "
	assert_equal "$(cat err)" ""
}

@test "--follow: a missing slot without --create-slot exits 69" {
	run --separate-stderr etl-extract-pg --follow --slot nosuch -t acct
	assert_equal "$status" 69
	assert_stderr "etl-extract-pg: slot nosuch: no such replication slot (--create-slot makes it)"
}

@test "--follow: a slot whose snapshot never reached the sink is refused" {
	follow --slot cut1 --create-slot -t acct >got
	# the sink committed the first of the snapshot's rows only
	off=$(head -n 1 got | jq -r ._off)
	sql "CREATE TABLE IF NOT EXISTS etl_state (name text PRIMARY KEY, value text, updated_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO etl_state (name, value) VALUES ('cut1k', '$off')"
	run --separate-stderr follow --slot cut1 -t acct --from-state cut1k
	assert_equal "$status" 69
	assert_stderr "etl-extract-pg: slot cut1: the snapshot taken when the slot was made did not reach the sink whole: drop the slot (and what was loaded) and start again"
	# the whole snapshot committed: the run goes on
	sql "UPDATE etl_state SET value = '$(tail -n 1 got | jq -r ._off)' WHERE name = 'cut1k'"
	run --separate-stderr follow --slot cut1 -t acct --from-state cut1k
	assert_success
	assert_output ""
}

@test "--follow: a missing table exits 69, a state that is not offsets 65; usage errors exit 2" {
	run --separate-stderr etl-extract-pg --follow --slot x -t nosuch
	assert_equal "$status" 69
	assert_stderr "etl-extract-pg: nosuch: no such table"
	sql "CREATE TABLE IF NOT EXISTS etl_state (name text PRIMARY KEY, value text, updated_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO etl_state (name, value) VALUES ('junk', 'x:y:')"
	run --separate-stderr etl-extract-pg --follow --slot snap1 -t acct --from-state junk
	assert_equal "$status" 65
	assert_stderr "etl-extract-pg: etl_state: the state 'junk' is not a set of offsets: x:y:"
	run --separate-stderr etl-extract-pg --follow -t acct
	assert_equal "$status" 2
	assert_stderr "etl-extract-pg: --follow: needs --slot NAME
Try 'etl-extract-pg --help' for more information."
	run --separate-stderr etl-extract-pg --slot x -t acct
	assert_equal "$status" 2
	assert_stderr "etl-extract-pg: --slot: only with --follow
Try 'etl-extract-pg --help' for more information."
	run --separate-stderr etl-extract-pg --follow --slot x -c "SELECT 1"
	assert_equal "$status" 2
	assert_stderr "etl-extract-pg: --follow: follows tables (-t), not queries
Try 'etl-extract-pg --help' for more information."
	run --separate-stderr etl-extract-pg -t acct -t other
	assert_equal "$status" 2
	assert_stderr "etl-extract-pg: --table: one table, unless --follow
Try 'etl-extract-pg --help' for more information."
	run --separate-stderr etl-extract-pg --follow --slot x -t acct --state-db "dbname=x"
	assert_equal "$status" 2
	assert_stderr "etl-extract-pg: --state-db: only with --from-state
Try 'etl-extract-pg --help' for more information."
}

@test "chaos: the follower killed 20 times while a writer writes; each change loaded once" {
	etl-load-pg --help | grep -q -- '--offsets' ||
		skip "etl-load-pg has no --offsets yet (it commits the offsets a restart resumes from)"
	set -o pipefail
	sql "CREATE TABLE src (id int PRIMARY KEY, v int); INSERT INTO src SELECT g, 0 FROM generate_series(1, 50) g"
	sql "CREATE DATABASE sink"
	# the sink keeps every record it loads, with its offset
	PGDATABASE=sink sql "CREATE TABLE log (_off text, id int, v int)"
	# the slots are made before a loader runs: making one waits for every
	# open transaction of the cluster, a loader's included.  chaos2 is the
	# reference, read once at the end without interruption.
	follow --slot chaos1 --create-slot -t src >snapshot
	follow --slot chaos2 --create-slot -t src >/dev/null
	etl-map --drop _op,_table,_lsn,_ts,_old snapshot |
		PGDATABASE=sink etl-load-pg -t log --offsets chaos1k
	# the writer writes until the rounds are over
	(
		i=0
		while [[ ! -e stop ]]; do
			i=$((i + 1))
			echo "INSERT INTO src VALUES ($((i + 100)), $i) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v;"
			echo "BEGIN; UPDATE src SET v = v + 1 WHERE id = $((i % 50 + 1)); DELETE FROM src WHERE id = $((i + 90)); COMMIT;"
			sleep 0.01
		done
	) | psql -X -q >/dev/null &
	writer=$!
	mkfifo pipe
	for round in $(seq 1 20); do
		etl-extract-pg --follow --slot chaos1 -t src --from-state chaos1k --state-db dbname=sink \
			>pipe 2>>err &
		follower=$!
		etl-map --drop _table,_lsn,_ts,_old <pipe |
			PGDATABASE=sink etl-load-pg -t log --offsets chaos1k --ignore-extra 2>>err &
		loader=$!
		sleep 0.$((RANDOM % 5 + 3))
		kill -KILL "$follower" || fail "the follower ended by itself: $(cat err)"
		wait "$follower" "$loader" || true
	done
	touch stop
	wait "$writer"
	follow --slot chaos1 -t src --from-state chaos1k --state-db dbname=sink |
		etl-map --drop _table,_lsn,_ts,_old |
		PGDATABASE=sink etl-load-pg -t log --offsets chaos1k --ignore-extra
	# every change once: the offsets loaded are those of a run never killed
	follow --slot chaos2 -t src | jq -r ._off | sed "s/^chaos2:/chaos1:/" | sort >want
	PGDATABASE=sink sql "SELECT _off FROM log WHERE _off !~ '^chaos1:[0-9]+\.0\.'" >got.tmp
	sort got.tmp >got
	(($(wc -l <want) > 300)) || fail "the writer wrote too little to test anything"
	assert_same_file want got
	# and the log replayed gives the table
	PGDATABASE=sink sql "SELECT id, v FROM (SELECT DISTINCT ON (id) id, v, v IS NULL AS gone FROM log
		ORDER BY id, split_part(split_part(_off, ':', 2), '.', 1)::numeric DESC,
		split_part(_off, '.', 2)::numeric DESC) t WHERE NOT gone ORDER BY id" >replayed
	sql "SELECT id, v FROM src ORDER BY id" >table
	assert_same_file table replayed
}
