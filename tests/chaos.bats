#!/usr/bin/env bats
# tests/chaos.bats - exactly-once, proved by killing: a fixed stream of
# payments (tests/tools/gen-payments.awk: out of order, some late) goes
#
#     SOURCE | etl-agg --window tumbling:1m --lateness 30s --late LATE
#                      -g card --checkpoint DIR --from-state K
#            | etl-load-pg --mode upsert --key window_start,card --offsets K
#
# into a table, SOURCE being `etl-map --follow --from-state K FILE` (or
# $ETL_CHAOS_SOURCE, with {K} and {FILE} in it, to swap in another source).
# An undisturbed run makes the reference, checked against a plain batch
# etl-agg of the file.  Then the same command line is started again and
# again: stopped at the crash points (ETL_CRASH_AT: after the sink's commit,
# after a checkpoint before its results, in the middle of a batch), then
# $ETL_CHAOS_KILLS times (default 20) one random stage is sent SIGKILL at a
# random moment within half a second of its start, the others ending on
# their own (the stream is usually consumed halfway through: the later
# rounds restart and kill a pipeline that replays its last checkpoint);
# then it runs to the end of the input.  The table and the late-records file must be those of the
# undisturbed run, byte for byte: nothing lost, nothing twice.
#
# Bounded: $ETL_CHAOS_SECONDS (default 180) for the killing rounds, 15 s for
# a pipeline to end after a kill, 60 s for a run to catch up; the random
# moments come from $ETL_CHAOS_SEED (default 1), printed on failure.
# $ETL_CHAOS_EVENTS sets the stream's size (default 100000; for the Kafka
# source $ETL_CHAOS_KAFKA_EVENTS, default 30000: the mock cluster keeps about
# 5 MB of a partition).

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
	awk -v n="${ETL_CHAOS_EVENTS:-100000}" -f "$ETL_ROOT/tests/tools/gen-payments.awk" >events.ndjson
	RANDOM=${ETL_CHAOS_SEED:-1}
}

teardown() {
	local p

	[[ -n ${PIDS_MOCK:-} ]] && kill "$PIDS_MOCK" 2>/dev/null

	for p in "${PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null || true
	done
}

# table NAME: make the features table of a run.
table() {
	sql "CREATE TABLE $1 (card text, window_start timestamptz, window_end timestamptz,
		n bigint, total numeric, PRIMARY KEY (window_start, card))"
}

# start NAME: the pipeline of run NAME (table, state name, checkpoint
# folder and late file all NAME...), its three processes in PIDS.
start() {
	local name=$1 src=${ETL_CHAOS_SOURCE:-'etl-map --follow --from-state {K} {FILE}'}

	src=${src//\{K\}/$name}
	src=${src//\{FILE\}/events.ndjson}
	[[ -p $name.1 ]] || mkfifo "$name.1" "$name.2"
	(eval "exec $src") >"$name.1" 2>>"$name.err" &
	PIDS[0]=$!
	etl-agg --window tumbling:1m -t ts --lateness 30s --late "$name.late" -g card \
		-a 'n=count()' -a 'total=sum(amount)' --checkpoint "$name.ckpt" --from-state "$name" \
		<"$name.1" >"$name.2" 2>>"$name.err" &
	PIDS[1]=$!
	etl-load-pg -t "$name" --mode upsert --key window_start,card --offsets "$name" \
		<"$name.2" 2>>"$name.err" &
	PIDS[2]=$!
	# the pipes are opened before the programs start; a stage killed
	# while it waits for the other end would leave that end waiting
	# forever, so the storm begins once all three run
	local i n=0
	for i in 0 1 2; do
		until [[ $(cat "/proc/${PIDS[i]}/comm" 2>/dev/null) == etl-* ]] ||
			! kill -0 "${PIDS[i]}" 2>/dev/null; do
			((n++ < 100)) || fail "stage $i did not start"
			sleep 0.05
		done
	done
}

# finish [KILLED]: wait for the pipeline's processes to end (15 s at most);
# each must end with status 0, but the one killed (an index of PIDS).
finish() {
	local i n=0 rc

	while :; do
		local alive=0
		for i in 0 1 2; do
			kill -0 "${PIDS[i]}" 2>/dev/null && alive=1
		done
		((alive)) || break
		((n++ < 150)) || fail "the pipeline did not end after a kill (seed ${ETL_CHAOS_SEED:-1}):
$(ps -o pid,stat,wchan:20,args -p "${PIDS[0]},${PIDS[1]},${PIDS[2]}")"
		sleep 0.1
	done
	for i in 0 1 2; do
		rc=0
		wait "${PIDS[i]}" || rc=$?
		if [[ $i != "${1:-}" ]] && ((rc != 0)); then
			fail "stage $i ended with status $rc: $(tail -n 5 "$NAME.err")"
		fi
	done
	PIDS=()
}

offsets() {
	etl-state get "$1" 2>/dev/null || true
}

# done NAME: has the sink committed the results of the last input line
# (target), or those written at the end of the input too (final)?
done_() {
	local at

	at=$(offsets "$1")
	[[ $at == "$target" || $at == "$final" ]]
}

# catch_up NAME: until done_ (60 s at most).
catch_up() {
	local n=0

	until done_ "$1"; do
		((n++ < 600)) || fail "run $1 did not reach $target: at $(offsets "$1")"
		sleep 0.1
	done
}

# stop: end the pipeline as an operator would: the source first.
stop() {
	kill -TERM "${PIDS[0]}"
	finish 0
}

dump() {
	sql "SELECT card, window_start, window_end, n, total FROM $1 ORDER BY window_start, card" >"$1.rows"
}

# storm LAST: the undisturbed run, then the storm, then the comparisons;
# LAST is the _off of the stream's last record, without the index of the
# results written there (events.ndjson:BYTE for the followed file).
storm() {
	local last=$1 n=0 prev= kills=0 i stage t0=$SECONDS budget=${ETL_CHAOS_SECONDS:-180}

	# the reference: a batch run of the whole file
	etl-agg --window tumbling:1m -t ts --lateness 30s --late batch.late -g card \
		-a 'n=count()' -a 'total=sum(amount)' events.ndjson >batch.ndjson
	table batch
	etl-load-pg -t batch batch.ndjson

	# the undisturbed run, to the last line's results
	table calm
	NAME=calm
	start calm
	while [[ $(offsets calm) != "$last".* || $(offsets calm) != "$prev" ]]; do
		prev=$(offsets calm)
		((n++ < 120)) || fail "the undisturbed run did not end: at $(offsets calm)"
		sleep 1
	done
	target=$prev
	stop
	final=$(offsets calm)
	dump calm
	dump batch
	assert_same_file batch.rows calm.rows
	# the late records as the source gave them, without the fields it added
	sed 's/,"_off":".*}$/}/' calm.late >calm.late.plain
	assert_same_file batch.late calm.late.plain

	# the storm
	table storm
	NAME=storm
	# the rare windows, forced: stage 2 after a commit, stage 1 after a
	# checkpoint before its results, stage 2 in the middle of a batch
	for i in 2:load-pg-committed@2 1:agg-checkpointed@40 2:load-pg-row@20000; do
		ETL_CRASH_AT=${i#*:} start storm
		finish "${i%%:*}"
		! done_ storm || fail "the input ended before the crash at ${i#*:}"
	done
	while ((kills < ${ETL_CHAOS_KILLS:-20})) && ((SECONDS - t0 < budget)); do
		start storm
		sleep "0.$((RANDOM % 6))$((RANDOM % 10))"
		stage=$((RANDOM % 3))
		kill -9 "${PIDS[stage]}"
		finish "$stage"
		kills=$((kills + 1))
	done
	echo "# $kills kills in $((SECONDS - t0)) s" >&3
	start storm
	catch_up storm
	stop
	dump storm
	assert_same_file calm.rows storm.rows
	assert_same_file calm.late storm.late
	assert_equal "$(offsets storm)" "$(offsets calm)"
}

@test "killed anywhere, again and again, the pipeline loads every window once and writes every late record once" {
	storm "events.ndjson:$(($(wc -c <events.ndjson) - $(tail -n 1 events.ndjson | wc -c)))"
}

@test "the same with a Kafka topic as the source: etl-kafka consume --from-state" {
	local mock="$ETL_BUILD/tests/tools/kafka-mock" b

	[[ -x $mock ]] || skip "kafka-mock is not built (make $ETL_BUILD/tests/tools/kafka-mock)"
	"$mock" -s 400 payments:1 >mock.addr 2>mock.err &
	PIDS_MOCK=$!
	for _ in $(seq 100); do
		[[ -s mock.addr ]] && break
		sleep 0.1
	done
	b=$(cat mock.addr)
	[[ -n $b ]] || fail "the mock cluster did not start: $(cat mock.err)"
	# the mock cluster keeps about 5 MB of a partition's log and drops
	# older messages: a stream that fits (one partition keeps the order,
	# and so which records are late)
	awk -v n="${ETL_CHAOS_KAFKA_EVENTS:-30000}" -f "$ETL_ROOT/tests/tools/gen-payments.awk" >events.ndjson
	etl-kafka produce -b "$b" -t payments events.ndjson
	ETL_CHAOS_SOURCE="etl-kafka consume -b $b -t payments --from-state {K}" \
		storm "payments/0:$(($(wc -l <events.ndjson) - 1))"
}
