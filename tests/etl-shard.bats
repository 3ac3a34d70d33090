#!/usr/bin/env bats
# tests/etl-shard.bats - etl-shard: records split by a stable hash of their
# key, byte-exact, into atomic files or per-shard commands; and the --shard
# K/N option of the programs with keyed state, which cuts the same slices.

load helpers/common

setup() {
	cd "$TMP" || return 1
}

# keys N: N records with 50 distinct keys in several spellings, some nested
keys() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) {
		k = i % 50
		if (i % 3 == 0) printf "{\"k\":%d.0,\"i\":%d}\n", k, i
		else if (i % 3 == 1) printf "{ \"i\" : %d , \"k\" : %d }\n", i, k
		else printf "{\"k\":%de0,\"i\":%d,\"x\":{\"y\":[1,2]}}\n", k, i
	} }'
}

@test "every record goes to exactly one shard, byte-exact, in input order" {
	keys 1000 >in.ndjson
	run --separate-stderr etl-shard -k k -n 4 -o 'part-{}.ndjson' --stats st.json in.ndjson
	assert_success
	assert_no_stderr
	# together the shards hold the input's lines exactly, each once
	diff <(sort in.ndjson) <(cat part-*.ndjson | sort)
	# within a shard, input order
	for f in part-*.ndjson; do
		diff "$f" <(grep -Fxf "$f" in.ndjson)
	done
	assert_equal "$(jq -c '[.records_in, .records_out, .dropped, .shards]' st.json)" \
		"[1000,1000,0,[$(wc -l <part-0.ndjson),$(wc -l <part-1.ndjson),$(wc -l <part-2.ndjson),$(wc -l <part-3.ndjson)]]"
}

@test "a key's records meet in one shard whatever the spelling of its value" {
	keys 600 >in.ndjson
	etl-shard -k k -n 3 -o 'p{}.ndjson' in.ndjson
	for f in p0.ndjson p1.ndjson p2.ndjson; do
		etl-map --cast k=int --select k "$f" | sort -u >"$f.keys"
	done
	# no key in two shards
	assert_equal "$(cat p*.keys | sort | uniq -d)" ""
	assert_equal "$(cat p*.keys | wc -l)" 50
}

@test "the shard is XXH3-128 high64 mod N of the canonical key text" {
	# the man page's figures: "C0042" -> 0xf94b50f27abf7012 = 17963540541069029394
	put in.ndjson '{"c":"C0042"}\n{"c":"C\\u0030042"}\n'
	for n in 3 5 7 11; do
		etl-shard -k c -n "$n" -o "n$n-{}.ndjson" in.ndjson
		k=$(bc <<<"17963540541069029394 % $n")
		assert_equal "$(wc -l <"n$n-$k.ndjson")" 2
	done
}

@test "--shard K/N of etl-dedupe, etl-top, etl-agg and etl-validate keeps the shard of etl-shard" {
	keys 500 >in.ndjson
	etl-shard -k k -n 3 -o 'part-{}.ndjson' in.ndjson
	for k in 0 1 2; do
		etl-dedupe -q --shard "$k/3" --shard-key k -k i in.ndjson | cmp - "part-$k.ndjson"
		etl-validate -q --unique i --shard "$k/3" --shard-key k in.ndjson | cmp - "part-$k.ndjson"
		etl-top -n 1000 --by i --asc --shard "$k/3" --shard-key k in.ndjson | cmp - "part-$k.ndjson"
		assert_equal "$(etl-agg -a 'n=count()' --shard "$k/3" --shard-key k in.ndjson)" \
			"{\"n\":$(wc -l <"part-$k.ndjson")}"
	done
}

@test "--shard of etl-head -g: the shards' heads together are the heads of every group" {
	keys 900 >in.ndjson
	etl-head -n 2 -g k in.ndjson | sort >one.ndjson
	for k in 0 1 2; do etl-head -n 2 -g k --shard "$k/3" --shard-key k in.ndjson; done | sort |
		cmp - one.ndjson
}

@test "--shard counts the other shards' records as dropped and skipped" {
	keys 300 >in.ndjson
	etl-shard -k k -n 2 -o 'part-{}.ndjson' in.ndjson
	run --separate-stderr etl-dedupe -k k --shard 1/2 --shard-key k --stats st.json in.ndjson
	assert_success
	skipped=$(wc -l <part-0.ndjson)
	kept=$(etl-dedupe -q -k k part-1.ndjson | wc -l)
	assert_equal "$(jq -c '[.records_in, .records_out, .bad, .dropped, .skipped]' st.json)" \
		"[300,$kept,0,$((300 - kept)),$skipped]"
	# the note counts the duplicates only
	assert_equal "$stderr" "etl-dedupe: $((300 - kept - skipped)) duplicates dropped"
	kept1=$(wc -l <part-1.ndjson)
	# a sharded run of etl-agg says so too; one without --shard does not
	etl-agg -a 'n=count()' --shard 0/2 --shard-key k --stats st2.json in.ndjson >/dev/null
	assert_equal "$(jq -c '[.records_in, .dropped, .skipped]' st2.json)" "[300,$kept1,$kept1]"
	etl-agg -a 'n=count()' --stats st3.json in.ndjson >/dev/null
	assert_equal "$(jq -c 'has("skipped")' st3.json)" false
}

@test "the N --shard runs of etl-dedupe together equal one run, in any order" {
	keys 2000 >in.ndjson
	etl-dedupe -q -k k in.ndjson | sort >one.ndjson
	for k in 0 1 2 3 4; do
		etl-dedupe -q -k k --shard "$k/5" --shard-key k in.ndjson
	done | sort >sharded.ndjson
	cmp one.ndjson sharded.ndjson
}

@test "--to-command runs one command per shard with its records and ETL_SHARD" {
	keys 400 >in.ndjson
	etl-shard -k k -n 3 -o 'part-{}.ndjson' in.ndjson
	run --separate-stderr etl-shard -k k -n 3 --to-command 'cat >cmd-{}.ndjson; echo "$ETL_SHARD" >env-{}' in.ndjson
	assert_success
	for k in 0 1 2; do
		cmp "cmd-$k.ndjson" "part-$k.ndjson"
		assert_equal "$(cat "env-$k")" "$k"
	done
}

@test "a failing --to-command fails the run with its status" {
	keys 100 >in.ndjson
	run --separate-stderr etl-shard -k k -n 3 --to-command 'cat >/dev/null; [ {} != 1 ] || exit 9' \
		--stats st.json in.ndjson
	assert_failure 9
	assert_equal "$stderr" "etl-shard: --to-command: 'cat >/dev/null; [ 1 != 1 ] || exit 9' failed with status 9"
	assert_equal "$(jq -c '[.records_in, .records_out, .unwritten, .exit_status]' st.json)" "[100,0,100,9]"
	run --separate-stderr etl-shard -k k -n 2 --to-command 'kill -KILL $$' in.ndjson
	assert_failure 137
}

@test "a command that stops reading fails the run with status 74" {
	keys 200000 >in.ndjson
	run --separate-stderr etl-shard -k k -n 2 --to-command 'head -c 10 >/dev/null' in.ndjson
	echo "status $status: $stderr"
	assert_failure 74
	assert_equal "${stderr%%$'\n'*}" "etl-shard: head -c 10 >/dev/null: the command exited before reading its records"
}

@test "a bad record leaves no -o file and stops the commands" {
	keys 10 >in.ndjson
	printf '{"k":1,\n' >>in.ndjson
	run --separate-stderr etl-shard -k k -n 2 -o 'part-{}.ndjson' in.ndjson
	assert_failure 65
	assert_equal "$stderr" "etl-shard: in.ndjson:11:8: invalid JSON: unexpected end of line, expected a key"
	assert_equal "$(ls -A | grep part)" ""
	run --separate-stderr etl-shard -k k -n 2 --to-command 'cat >/dev/null; touch done-{}' in.ndjson
	assert_failure 65
	[[ ! -e done-0 && ! -e done-1 ]] || fail "a command ran to its end after a failed run"
}

@test "empty shards get an empty file; an empty input gives N empty files" {
	put in.ndjson '{"k":1}\n'
	etl-shard -k k -n 5 -o 'p-{}.ndjson' in.ndjson
	assert_equal "$(cat p-*.ndjson)" '{"k":1}'
	assert_equal "$(ls p-*.ndjson | wc -l)" 5
	: | etl-shard -k k -n 2 -o 'e-{}-{}.ndjson'
	assert_equal "$(ls e-*)" $'e-0-0.ndjson\ne-1-1.ndjson'
}

@test "usage errors" {
	run --separate-stderr etl-shard -n 2 -o 'p{}'
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "etl-shard: --key: is required"
	run --separate-stderr etl-shard -k k -o 'p{}'
	assert_equal "${stderr%%$'\n'*}" "etl-shard: --shards: is required"
	run --separate-stderr etl-shard -k k -n 2
	assert_equal "${stderr%%$'\n'*}" "etl-shard: give -o PATTERN or --to-command CMD"
	run --separate-stderr etl-shard -k k -n 2 -o p.ndjson
	assert_equal "${stderr%%$'\n'*}" "etl-shard: -o: the pattern has no {} for the shard number"
	run --separate-stderr etl-shard -k k -n 0 -o 'p{}'
	assert_equal "${stderr%%$'\n'*}" "etl-shard: -n: expected a positive integer, got '0'"
	run --separate-stderr etl-shard -k k -n 2 -o 'p{}' --to-command cat
	assert_equal "${stderr%%$'\n'*}" "etl-shard: --to-command: not with --output"
	run --separate-stderr etl-dedupe --shard 2/2 --shard-key k
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "etl-dedupe: --shard: shard 2 of 2: K must be less than N and N at least 1"
	run --separate-stderr etl-dedupe --shard 1-2 --shard-key k
	assert_equal "${stderr%%$'\n'*}" "etl-dedupe: --shard: expected K/N (shard K of N, 0 <= K < N), got '1-2'"
	run --separate-stderr etl-top --by v --shard 0/2
	assert_equal "${stderr%%$'\n'*}" "etl-top: --shard: needs --shard-key"
	run --separate-stderr etl-agg -a 'n=count()' --shard-key k
	assert_equal "${stderr%%$'\n'*}" "etl-agg: --shard-key: applies only with --shard"
	run --separate-stderr etl-agg -a 'n=count()' --merge --shard 0/2 --shard-key k
	assert_equal "${stderr%%$'\n'*}" "etl-agg: --shard: cannot be combined with --merge"
	run --separate-stderr etl-map --shard 0/2 --shard-key k
	assert_equal "${stderr%%$'\n'*}" "etl-map: --shard: unknown option"
}

@test "the man page's examples print what it shows" {
	local cmd want n=0
	# from a folder holding a copy of examples/, as from the root of the sources
	cp -R "$ETL_ROOT/examples" examples
	while IFS= read -r -d '' cmd && IFS= read -r -d '' want; do
		run --separate-stderr bash -o pipefail -c "$cmd"
		[[ $status == 0 ]] || fail "example failed ($status): $cmd: $stderr"
		[[ -z $want || $output == "$want" ]] || fail "example: $cmd
want: $want
got:  $output"
		n=$((n + 1))
	done < <(awk '
		/^# / { on = ($0 == "# EXAMPLES") }
		on && /^```/ { if (inblock) { if (cmd != "") printf "%s%c%s%c", cmd, 0, out, 0; cmd = "" } inblock = !inblock; next }
		on && inblock && /^\$ etl-/ { if (cmd != "") printf "%s%c%s%c", cmd, 0, out, 0; cmd = substr($0, 3); out = ""; next }
		on && inblock && cmd != "" { out = out (out == "" ? "" : "\n") $0 }
	' "$ETL_ROOT/man/etl-shard.1.scd")
	((n >= 4)) || fail "only $n examples found"
}

@test "SIGTERM ends the run and its commands" {
	local pid n=0
	keys 100 >in.ndjson
	mkfifo fifo
	# the input never ends: the run is waiting when it is told to stop
	etl-shard -k k -n 2 --to-command 'echo $$ >pid-{}; exec sleep 30' fifo &
	pid=$!
	exec 4>fifo
	cat in.ndjson >&4
	while [[ ! -s pid-0 || ! -s pid-1 ]] && ((n < 200)); do
		sleep 0.05
		n=$((n + 1))
	done
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	exec 4>&-
	assert_equal "$rc" 143
	sleep 0.2
	# gone, or a zombie waiting for whoever inherited it
	for k in 0 1; do
		[[ $(ps -o stat= -p "$(cat "pid-$k")") != [^Z]* ]] ||
			fail "command $k still runs: $(ps -o stat=,args= -p "$(cat "pid-$k")")"
	done
}

@test "--max-bad N% exceeded: no -o file, no command finishes" {
	keys 10 >in.ndjson
	printf 'nope\nnope\n' >>in.ndjson
	run --separate-stderr etl-shard -k k -n 2 -o 'part-{}.ndjson' --bad-records skip --max-bad 10% in.ndjson
	assert_failure 1
	assert_equal "$(ls -A | grep part)" ""
	run --separate-stderr etl-shard -k k -n 2 --to-command 'cat >/dev/null; touch done-{}' \
		--bad-records skip --max-bad 10% in.ndjson
	assert_failure 1
	[[ ! -e done-0 && ! -e done-1 ]] || fail "a command ran to its end after a failed run"
	run --separate-stderr etl-shard -k k -n 2 -o 'part-{}.ndjson' --bad-records skip --max-bad 20% \
		--stats st.json in.ndjson
	assert_success
	assert_equal "${stderr##*$'\n'}" "etl-shard: 2 bad records skipped"
	assert_equal "$(jq -c '[.records_in, .records_out, .bad]' st.json)" "[12,10,2]"
}

@test "etl-agg --shard: the slices' groups together are the whole run's, with or without --memory" {
	keys 3000 >in.ndjson
	etl-agg -g k -a 'n=count()' -a 's=sum(i)' in.ndjson | sort >one.ndjson
	for k in 0 1 2; do
		etl-agg -g k -a 'n=count()' -a 's=sum(i)' --shard "$k/3" --shard-key k in.ndjson >"s$k.ndjson"
		etl-agg -g k -a 'n=count()' -a 's=sum(i)' --shard "$k/3" --shard-key k --memory 1k in.ndjson |
			cmp - "s$k.ndjson"
	done
	cat s?.ndjson | sort | cmp - one.ndjson
}
