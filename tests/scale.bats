#!/usr/bin/env bats
# tests/scale.bats - distributed pipelines give the one-machine result, byte
# for byte (after a sort where the order is not defined):
#
#   - the daily sales aggregation by partial states on three ssh hosts with
#     GNU parallel (--transferfile, --return, --cleanup, --joblog,
#     --retries), merged on the client;
#   - a sharded deduplication (etl-shard, then etl-dedupe per shard) and a
#     sharded top list (etl-top --partial per shard, --merge);
#   - etl-extract-pg --partition K/N from one PostgreSQL, one partition per
#     host, through the server's socket on the shared filesystem;
#   - a host whose sshd stops mid-run: --retries moves its job elsewhere;
#   - and on one machine, parallel --pipe-part by partial states.
#
# The hosts are network namespaces of this machine with their own sshd
# (tests/helpers/hosts.bash); the file's host tests are skipped when that is
# not possible (not root, no ip netns).  Everything they make is removed in
# teardown_file, even after a failure.

load helpers/common
load helpers/hosts
load data/pg/cluster

setup_file() {
	export SKIP_HOSTS
	SKIP_HOSTS=$(hosts_available)
	[[ -n $SKIP_HOSTS ]] && return 0
	hosts_up "$BATS_FILE_TMPDIR/hosts" 3
	export HOSTS_DIR HOSTS_CLIENT HOSTS_SSH HOSTS_SSHLOGIN
	export HOSTS_ADDR_LIST="${HOSTS_ADDR[*]}"
}

teardown_file() {
	hosts_down "$BATS_FILE_TMPDIR/hosts"
	[[ ! -d $BATS_FILE_TMPDIR/pg ]] || pg_teardown_file
}

setup() {
	cd "$TMP" || return 1
}

need_hosts() {
	[[ -z $SKIP_HOSTS ]] || skip "$SKIP_HOSTS"
}

# sales N FILE: N order lines of 40 days and 200 products, exact prices
sales() {
	awk -v n="$1" 'BEGIN { srand(11); for (i = 0; i < n; i++) {
		printf "{\"order_id\":%d,\"line_no\":%d,\"date\":\"2026-11-%02d\",\"product_id\":%d,\"qty\":%d,\"unit_price\":%d.%02d}\n",
			100000 + int(i / 3), i % 3 + 1, 1 + int(rand() * 28), int(rand() * 200), 1 + int(rand() * 9),
			int(rand() * 300), int(rand() * 100)
	} }' >"$2"
}

AGG=(-g date,product_id -a 'units=sum(qty)' -a 'revenue=sum(qty*unit_price)' -a 'orders=count_distinct(order_id)')

# dist JOBLOG ARGS...: parallel on the hosts, from the client's namespace,
# with the programs on the hosts' PATH and a private remote folder
dist() {
	local joblog=$1
	shift
	mkdir -p "$TMP/remote"
	on_client timeout 300 parallel --ssh "$HOSTS_SSH" -S "$HOSTS_SSHLOGIN" --wd "$TMP/remote" \
		--joblog "$joblog" --retries 2 "$@"
}

# on the hosts, a command finds the programs through this prefix
ENVP="export PATH=$ETL_BIN:\$PATH;"

@test "daily sales: partial states on three ssh hosts, merged, equal one process" {
	need_hosts
	sales 60000 sales.ndjson
	split -n l/6 -d --additional-suffix=.ndjson sales.ndjson part-
	etl-agg "${AGG[@]}" sales.ndjson >one.ndjson
	ls part-0*.ndjson | dist jl --transferfile {} --return {.}.state --cleanup \
		"$ENVP etl-agg --partial ${AGG[*]@Q} {} -o {.}.state"
	# every job ran once and succeeded, on more than one host
	assert_equal "$(awk 'NR > 1 && $7 == 0' jl | wc -l)" 6
	(($(awk 'NR > 1 { print $2 }' jl | sort -u | wc -l) > 1)) || fail "one host did everything"
	# the parts' states, merged in input order
	cat part-0{0..5}.state | etl-agg --merge "${AGG[@]}" >dist.ndjson
	cmp one.ndjson dist.ndjson
	# --cleanup left nothing on the hosts
	assert_equal "$(ls -A "$TMP/remote")" ""
}

@test "sharded dedupe: etl-shard, then etl-dedupe per shard on the hosts, equals one process" {
	need_hosts
	sales 30000 a.ndjson
	# every line twice, the second time with other spellings of its numbers
	sed 's/"qty":\([0-9]*\)/"qty":\1.0/' a.ndjson | cat a.ndjson - >in.ndjson
	etl-dedupe -q -k order_id,line_no in.ndjson | sort >one.ndjson
	etl-shard -k order_id,line_no -n 5 -o 'shard-{}.ndjson' in.ndjson
	ls shard-*.ndjson | dist jl --transferfile {} --return {.}.out --cleanup \
		"$ENVP etl-dedupe -q -k order_id,line_no {} -o {.}.out"
	cat shard-*.out | sort | cmp - one.ndjson
	assert_equal "$(wc -l <one.ndjson)" 30000
}

@test "sharded top: etl-top --partial per shard on the hosts, --merge, equals one process" {
	need_hosts
	sales 20000 in.ndjson
	etl-top -n 3 --by 'qty*unit_price' -g product_id in.ndjson | sort >one.ndjson
	etl-shard -k product_id -n 4 -o 'shard-{}.ndjson' in.ndjson
	ls shard-*.ndjson | dist jl --transferfile {} --return {.}.state --cleanup \
		"$ENVP etl-top -n 3 --by 'qty*unit_price' -g product_id --partial {} -o {.}.state"
	cat shard-*.state | etl-top -n 3 --by 'qty*unit_price' -g product_id --merge | sort |
		cmp - one.ndjson
}

@test "etl-extract-pg --partition K/4 on the hosts from one PostgreSQL equals one extract" {
	need_hosts
	pg_setup_file
	sql "CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric(12,2), note text);
	     INSERT INTO orders SELECT g, (g * 7919 % 100000) / 100.0, 'n' || g FROM generate_series(1, 20000) g;"
	etl-extract-pg -t orders --order-by id | sort >one.ndjson
	# the server listens on a socket in a folder of this filesystem, which
	# the hosts share
	local pgenv="export PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER PGDATABASE=$PGDATABASE;"
	dist jl --return part-{}.ndjson --cleanup \
		"$ENVP $pgenv etl-extract-pg -t orders --partition {}/4 --partition-column id -o part-{}.ndjson" \
		::: 1 2 3 4
	assert_equal "$(awk 'NR > 1 && $7 == 0' jl | wc -l)" 4
	cat part-{1..4}.ndjson | sort | cmp - one.ndjson
	assert_equal "$(wc -l <one.ndjson)" 20000
}

@test "a host whose sshd stops mid-run: --retries moves its job to another host, same result" {
	need_hosts
	local pid n=0 sshd2
	sales 30000 sales.ndjson
	split -n l/6 -d --additional-suffix=.ndjson sales.ndjson part-
	etl-agg "${AGG[@]}" sales.ndjson >one.ndjson
	# each job waits a little, so that host 2 certainly has one running
	ls part-0*.ndjson | dist jl --transferfile {} --return {.}.state --cleanup \
		"sleep 2; $ENVP etl-agg --partial ${AGG[*]@Q} {} -o {.}.state" >out 2>err &
	pid=$!
	sshd2=$(cat "$HOSTS_DIR/sshd2.pid")
	while [[ -z $(ps -o pid= --ppid "$sshd2") ]] && ((n < 200)); do
		sleep 0.05
		n=$((n + 1))
	done
	((n < 200)) || fail "host 2 never got a job"
	host_stop 2
	wait "$pid" || fail "parallel failed: $(cat err)"
	# the job lost with host 2 ran again elsewhere (the job log keeps each
	# job's last attempt): six successes, none of them on host 2
	assert_equal "$(awk 'NR > 1 && $7 == 0 && $2 != "10.210.0.12"' jl | wc -l)" 6
	cat part-0{0..5}.state | etl-agg --merge "${AGG[@]}" | cmp - one.ndjson
}

@test "one machine: parallel --pipe-part by partial states equals one process" {
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
	sales 100000 big.ndjson
	etl-agg "${AGG[@]}" big.ndjson >one.ndjson
	run --separate-stderr bash -c "timeout 300 parallel --pipe-part -a big.ndjson --block 1M -k -j2 \
		\"etl-agg --partial ${AGG[*]@Q}\" | etl-agg --merge ${AGG[*]@Q}"
	assert_success
	assert_equal "$output" "$(cat one.ndjson)"
	# more than one block, or the test proves nothing
	(($(stat -c %s big.ndjson) > 2 * 1024 * 1024)) || fail "the input is less than two blocks"
}
