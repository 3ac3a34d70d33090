#!/usr/bin/env bats
# tests/scale-dask.bats - examples/scale-out/dask_pipeline.py: a Dask bag of
# input files, each piped through etl-agg --partial on a worker, the states
# merged by etl-agg --merge on one worker, gives exactly the one-process
# result: on a LocalCluster of worker processes, on a `dask scheduler` and
# `dask worker` processes started here (loopback only, bounded by timeout),
# and when a worker is killed mid-run.  Skipped without Debian's
# python3-distributed (it needs /usr/bin/python3).

load helpers/common

PY=/usr/bin/python3
PIPELINE="$ETL_ROOT/examples/scale-out/dask_pipeline.py"
AGG="-g date,product_id -a 'units=sum(qty)' -a 'revenue=sum(qty*unit_price)' -a 'orders=count_distinct(order_id)'"

setup() {
	"$PY" -c 'import distributed' 2>/dev/null || skip "python3-distributed is not installed"
	cd "$TMP" || return 1
	PIDS=()
	awk -v n=40000 'BEGIN { srand(5); for (i = 0; i < n; i++)
		printf "{\"order_id\":%d,\"date\":\"2026-11-%02d\",\"product_id\":%d,\"qty\":%d,\"unit_price\":%d.%02d}\n",
			100000 + int(i / 3), 1 + int(rand() * 28), int(rand() * 150), 1 + int(rand() * 9),
			int(rand() * 300), int(rand() * 100) }' >sales.ndjson
	split -n l/4 -d --additional-suffix=.ndjson sales.ndjson part-
	eval "etl-agg $AGG sales.ndjson" >one.ndjson
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}

# start_cluster N [WORKER OPTIONS]: a scheduler and N workers on loopback
start_cluster() {
	local n=$1 i
	shift
	timeout 300 dask scheduler --host 127.0.0.1 --port 0 --no-dashboard \
		--scheduler-file sched.json >sched.log 2>&1 &
	PIDS+=($!)
	for ((i = 0; i < 200; i++)); do
		[[ -s sched.json ]] && break
		sleep 0.1
	done
	[[ -s sched.json ]] || fail "no scheduler: $(cat sched.log)"
	for ((i = 1; i <= n; i++)); do
		timeout 300 dask worker --scheduler-file sched.json --host 127.0.0.1 --nthreads 1 \
			--no-dashboard --local-directory "$TMP/w$i" --name "w$i" "$@" >"w$i.log" 2>&1 &
		PIDS+=($!)
		echo $! >"w$i.pid"
	done
}

@test "a LocalCluster of two worker processes gives the one-process result" {
	run --separate-stderr timeout 300 "$PY" "$PIPELINE" --local 2 \
		--map "etl-agg --partial $AGG" --merge "etl-agg --merge $AGG" -o dist.ndjson part-0*.ndjson
	assert_success
	cmp one.ndjson dist.ndjson
}

@test "dask scheduler and dask worker processes give the one-process result" {
	start_cluster 2
	run --separate-stderr timeout 300 "$PY" "$PIPELINE" --scheduler-file sched.json \
		--map "etl-agg --partial $AGG" --merge "etl-agg --merge $AGG" part-0*.ndjson
	assert_success
	assert_equal "$output" "$(cat one.ndjson)"
}

@test "a worker killed mid-run: its tasks run again on the other, the result is the same" {
	local pid n
	# no nanny: the worker process is the one killed, and nobody restarts it
	start_cluster 2 --no-nanny
	mkdir started
	timeout 300 "$PY" "$PIPELINE" --scheduler-file sched.json \
		--map "touch $TMP/started/\$\$; sleep 2; etl-agg --partial $AGG" \
		--merge "etl-agg --merge $AGG" -o dist.ndjson part-0*.ndjson 2>err &
	pid=$!
	# both workers busy
	for ((n = 0; n < 300 && $(ls started | wc -l) < 2; n++)); do sleep 0.1; done
	(($(ls started | wc -l) >= 2)) || fail "the workers never both started a task"
	# w1.pid is timeout's; the worker is its child
	kill -KILL "$(ps -o pid= --ppid "$(cat w1.pid)" | tr -d ' ')"
	wait "$pid" || fail "the pipeline failed: $(cat err)"
	cmp one.ndjson dist.ndjson
	# the lost worker's task ran again: more tasks started than there are files
	(($(ls started | wc -l) > 4)) || fail "no task ran twice: $(ls started | wc -l) started"
}

@test "a failing command fails the pipeline with its message" {
	run --separate-stderr timeout 300 "$PY" "$PIPELINE" --local 1 --retries 0 \
		--map "etl-agg --partial -a 'n=nosuch(x)'" --merge "etl-agg --merge" part-0*.ndjson
	assert_failure 1
	assert_output ""
	[[ $stderr == *"failed with status 2"*"unknown function"* ]] || fail "stderr: $stderr"
}
