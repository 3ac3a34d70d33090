#!/usr/bin/env bats
# tests/etl-kafka.bats - etl-kafka against librdkafka's mock cluster
# (tests/tools/kafka-mock, on loopback), with kcat as the independent client
# both ways: values byte-exact, keys, headers, timestamps and partitions;
# -e, -p, -c, -G; bad values under each policy; --from-state against a real
# PostgreSQL state table (tests/pg.sh); undelivered messages; counts in =
# out + bad; metrics; a clean stop on SIGTERM; secrets kept out of --stats.

load helpers/common
load data/pg/cluster

MOCK="$ETL_BUILD/tests/tools/kafka-mock"

setup_file() {
	[[ -x $MOCK ]] || skip "kafka-mock is not built (make $ETL_BUILD/tests/tools/kafka-mock)"
	command -v kcat >/dev/null || skip "kcat is not installed"
	# one topic per test, so that no test sees another's messages
	"$MOCK" -s 300 kp:3 kc:2 kend:4 kbad:1 ktext:1 kstate:2 kgroup:3 kstop:1 kmetrics:2 \
		kfail:1 kkey:1 kts:1 kvel:1 kexact:2 kcrash:2 kcoop:4 >"$BATS_FILE_TMPDIR/mock.addr" 2>"$BATS_FILE_TMPDIR/mock.err" &
	echo $! >"$BATS_FILE_TMPDIR/mock.pid"
	for _ in $(seq 100); do
		[[ -s $BATS_FILE_TMPDIR/mock.addr ]] && break
		sleep 0.1
	done
	[[ -s $BATS_FILE_TMPDIR/mock.addr ]] || return 1
	pg_setup_file
}

teardown_file() {
	[[ -f $BATS_FILE_TMPDIR/mock.pid ]] && kill "$(cat "$BATS_FILE_TMPDIR/mock.pid")" 2>/dev/null
	[[ -f $BATS_FILE_TMPDIR/pg.env ]] && pg_teardown_file
	return 0
}

setup() {
	B=$(cat "$BATS_FILE_TMPDIR/mock.addr")
	cd "$TMP" || return 1
}

# counts STATS: "records_in records_out bad" of a --stats file.
counts() {
	jq -r '"\(.records_in) \(.records_out) \(.bad)"' "$1"
}

# kcat_values TOPIC: every message as "partition offset key value", sorted.
kcat_values() {
	kcat -b "$B" -C -e -q -t "$1" -f '%p %o %k %s\n' | sort
}

@test "produce: each record is one message, its value the record's bytes, its key from the template" {
	printf '%s\n' '{"card":"c1","amount":19.99}' '{"card":"c2","amount":1e2}' \
		'{"card":"c1","amount":12345678901234567890, "sp" : [1 ,2]}' >in.ndjson
	run --separate-stderr etl-kafka produce -b "$B" -t kp -k '{card}' --stats st.json in.ndjson
	assert_success
	assert_no_stderr
	run kcat_values kp
	assert_success
	[[ ${#lines[@]} == 3 ]]
	# the same key, the same partition, in order
	c1=$(grep ' c1 ' <<<"$output" | cut -d' ' -f1 | sort -u)
	[[ $(wc -l <<<"$c1") == 1 ]]
	kcat -b "$B" -C -e -q -t kp -p "$c1" -f '%k %s\n' >c1.txt
	assert_equal "$(cat c1.txt)" 'c1 {"card":"c1","amount":19.99}
c1 {"card":"c1","amount":12345678901234567890, "sp" : [1 ,2]}'
	assert_equal "$(counts st.json)" "3 3 0"
}

@test "consume: a JSON value passes byte-exact with _off, _ts, _key and the headers appended" {
	printf '{"amount":19.99,"big":12345678901234567890}' |
		kcat -b "$B" -P -t kc -p 1 -k card7 -H source=pos -H trace=abc
	printf '{}' | kcat -b "$B" -P -t kc -p 1
	run --separate-stderr etl-kafka consume -b "$B" -t kc -e --headers-field hdr
	assert_success
	assert_no_stderr
	[[ ${#lines[@]} == 2 ]]
	assert_line --index 0 --regexp '^\{"amount":19\.99,"big":12345678901234567890,"_off":"kc/1:0","_ts":"20[0-9-]{8}T[0-9:]{8}\.[0-9]{3}Z","_key":"card7","hdr":\{"source":"pos","trace":"abc"\}\}$'
	assert_line --index 1 --regexp '^\{"_off":"kc/1:1","_ts":"[^"]*","hdr":\{\}\}$'
}

@test "consume: a value written on several lines stays one record" {
	printf '{"a": 1,\n "b": "x"\n}\n' | kcat -b "$B" -P -t ktext -p 0 -D '\0'
	run --separate-stderr etl-kafka consume -b "$B" -t ktext -e -c 1
	assert_success
	assert_output --regexp '^\{"a": 1,  "b": "x" ,"_off":"ktext/0:0","_ts":"[^"]*"\}$'
}

@test "consume --value-format text: the value is the string field value" {
	printf 'not json\n' | kcat -b "$B" -P -t ktext -p 0
	run --separate-stderr etl-kafka consume -b "$B" -t ktext -e --value-format text -p 0
	assert_success
	assert_line --index 1 --regexp '^\{"value":"not json","_off":"ktext/0:1","_ts":"[^"]*"\}$'
}

@test "produce then consume: the timestamp from --timestamp-field, headers from --headers-field" {
	printf '%s\n' '{"id":1,"ts":"2026-11-24T18:30:00.123+01:00","h":{"src":"pos","n":null}}' \
		'{"id":2}' >in.ndjson
	etl-kafka produce -b "$B" -t kts --timestamp-field ts --headers-field h in.ndjson
	run kcat -b "$B" -C -e -q -t kts -f '%T %h\n'
	assert_line --index 0 '1795541400123 src=pos,n=NULL'
	run --separate-stderr etl-kafka consume -b "$B" -t kts -e --headers-field hh
	assert_success
	assert_line --index 0 '{"id":1,"ts":"2026-11-24T18:30:00.123+01:00","h":{"src":"pos","n":null},"_off":"kts/0:0","_ts":"2026-11-24T17:30:00.123Z","hh":{"src":"pos","n":null}}'
	assert_line --index 1 --regexp '^\{"id":2,"_off":"kts/0:1","_ts":"[^"]*","hh":\{\}\}$'
}

@test "-e ends once every partition is at its end, empty ones included; -p and -c choose fewer" {
	for i in $(seq 10); do echo "{\"i\":$i}"; done >in.ndjson
	etl-kafka produce -b "$B" -t kend --partition 2 in.ndjson
	echo '{"i":0}' | etl-kafka produce -b "$B" -t kend --partition 0
	run --separate-stderr etl-kafka consume -b "$B" -t kend -e --stats st.json
	assert_success
	[[ ${#lines[@]} == 11 ]]
	assert_equal "$(counts st.json)" "11 11 0"
	run --separate-stderr etl-kafka consume -b "$B" -t kend -e -p 0,1
	assert_success
	assert_output --regexp '^\{"i":0,"_off":"kend/0:0","_ts":"[^"]*"\}$'
	run --separate-stderr etl-kafka consume -b "$B" -t kend -p 2 -c 3
	assert_success
	[[ ${#lines[@]} == 3 ]]
	assert_line --index 2 --regexp '"_off":"kend/2:2"'
	run --separate-stderr etl-kafka consume -b "$B" -t kend -e -p 7
	assert_failure 69
	assert_stderr "etl-kafka: $B: kend: no partition 7"
}

@test "a value that is not a JSON object is a bad record, located at topic/partition:offset" {
	printf '%s\n' '{"ok":1}' '[1,2]' '{"ok":2}' | kcat -b "$B" -P -t kbad -p 0
	run --separate-stderr etl-kafka consume -b "$B" -t kbad -e
	assert_failure 65
	assert_output --regexp '^\{"ok":1,"_off":"kbad/0:0","_ts":"[^"]*"\}$'
	assert_stderr "etl-kafka: kbad/0:1: the value: not a JSON object: an array at byte 1"
	run --separate-stderr etl-kafka consume -b "$B" -t kbad -e --bad-records rej.ndjson --stats st.json
	assert_success
	[[ ${#lines[@]} == 2 ]]
	run cat rej.ndjson
	assert_output '{"file":"kbad/0","line":1,"error":"the value: not a JSON object: an array at byte 1","raw":"[1,2]"}'
	assert_equal "$(counts st.json)" "3 2 1"
}

@test "--from-state resumes each partition after the sink's committed offset; others start at the beginning" {
	for i in 0 1 2 3; do echo "{\"i\":$i}"; done >in.ndjson
	etl-kafka produce -b "$B" -t kstate --partition 0 in.ndjson
	etl-kafka produce -b "$B" -t kstate --partition 1 in.ndjson
	etl-state set pay 'kstate/0:1,other/5:9'
	run --separate-stderr etl-kafka consume -b "$B" -t kstate -e --from-state pay
	assert_success
	run jq -r ._off <<<"$output"
	assert_equal "$(sort <<<"$output" | tr '\n' ' ')" "kstate/0:2 kstate/0:3 kstate/1:0 kstate/1:1 kstate/1:2 kstate/1:3 "
	# a derived offset (a window's output) resumes after its first component
	etl-state set pay 'kstate/0:2.1,kstate/1:3.0'
	run --separate-stderr etl-kafka consume -b "$B" -t kstate -e --from-state pay
	assert_success
	assert_output --regexp '^\{"i":3,"_off":"kstate/0:3","_ts":"[^"]*"\}$'
	# a name never set: from --start
	run --separate-stderr etl-kafka consume -b "$B" -t kstate -e --from-state none --start latest
	assert_success
	assert_output ""
	etl-state set pay 'not an offset'
	run --separate-stderr etl-kafka consume -b "$B" -t kstate -e --from-state pay
	assert_failure 65
	assert_stderr "etl-kafka: etl_state: pay: the stored value is not an offset set"
	run --separate-stderr etl-kafka consume -b "$B" -t kstate -e --from-state pay --state-db 'host=/nonexistent'
	assert_failure 75
}

@test "-G: the group assigns every partition, and nothing is committed to Kafka" {
	for i in $(seq 9); do echo "{\"card\":\"c$i\"}"; done >in.ndjson
	etl-kafka produce -b "$B" -t kgroup -k '{card}' in.ndjson
	run --separate-stderr etl-kafka consume -b "$B" -t kgroup -G g1 -e --stats st.json
	assert_success
	[[ ${#lines[@]} == 9 ]]
	# read again in the same group: all again, since no offset was committed
	run --separate-stderr etl-kafka consume -b "$B" -t kgroup -G g1 -e
	assert_success
	[[ ${#lines[@]} == 9 ]]
}

@test "produce: a record whose key template cannot be filled is a bad record" {
	printf '%s\n' '{"card":"a"}' '{"x":1}' '{"card":"b"}' >in.ndjson
	run --separate-stderr etl-kafka produce -b "$B" -t kkey -k '{card}' --bad-records skip -q --stats st.json in.ndjson
	assert_success
	assert_equal "$(counts st.json)" "3 2 1"
	run kcat_values kkey
	assert_output '0 0 a {"card":"a"}
0 1 b {"card":"b"}'
	run --separate-stderr etl-kafka produce -b "$B" -t kkey -k '{card}' in.ndjson
	assert_failure 65
	assert_stderr "etl-kafka: in.ndjson:2: --key: the field card of the template is missing"
}

@test "produce: undelivered messages fail the run with 75 and go to --bad-records" {
	printf '%s\n' '{"a":1}' '{"a":2}' >in.ndjson
	run --separate-stderr etl-kafka produce -b "$B" -t kfail --partition 5 -X message.timeout.ms=1000 \
		--bad-records rej.ndjson --stats st.json in.ndjson
	assert_failure 75
	assert_stderr_regex "^etl-kafka: $B: 2 of 2 messages were not delivered; the first: in.ndjson:1: "
	[[ $(wc -l <rej.ndjson) == 2 ]]
	run jq -r '.raw' rej.ndjson
	assert_output '{"a":1}
{"a":2}'
	assert_equal "$(counts st.json)" "2 0 2"
}

@test "--metrics writes the Prometheus text with the consumer lag" {
	for i in $(seq 5); do echo "{\"i\":$i}"; done | etl-kafka produce -b "$B" -t kmetrics --partition 1
	run --separate-stderr etl-kafka consume -b "$B" -t kmetrics -c 2 --metrics m.prom
	assert_success
	run grep -v '^#' m.prom
	assert_output 'etl_kafka_records_in_total 2
etl_kafka_records_out_total 2
etl_kafka_bad_total 0
etl_kafka_dropped_total 0
etl_kafka_consumer_lag 3'
	grep -qx '# TYPE etl_kafka_consumer_lag gauge' m.prom
}

@test "SIGTERM stops consume cleanly: what was read is written and counted, status 143" {
	for i in $(seq 3); do echo "{\"i\":$i}"; done | etl-kafka produce -b "$B" -t kstop
	etl-kafka consume -b "$B" -t kstop --stats st.json >out.ndjson 2>err.txt &
	pid=$!
	for _ in $(seq 100); do
		[[ $(wc -l <out.ndjson) == 3 ]] && break
		sleep 0.1
	done
	kill -TERM $pid
	rc=0
	wait $pid || rc=$?
	assert_equal "$rc" 143
	assert_equal "$(wc -l <out.ndjson)" 3
	assert_equal "$(counts st.json) $(json_get st.json .exit_status)" "3 3 0 143"
	assert_equal "$(cat err.txt)" ""
}

@test "usage errors: the mode, an option of the other mode, a missing broker, a bad setting" {
	run --separate-stderr etl-kafka -b x -t y
	assert_failure 2
	assert_stderr "etl-kafka: expected consume or produce
Try 'etl-kafka --help' for more information."
	run --separate-stderr etl-kafka consume -b x -t y -k '{a}'
	assert_failure 2
	assert_stderr "etl-kafka: -k: only produce takes it
Try 'etl-kafka --help' for more information."
	run --separate-stderr etl-kafka produce -b x -t y -e
	assert_failure 2
	assert_stderr "etl-kafka: -e: only consume takes it
Try 'etl-kafka --help' for more information."
	run --separate-stderr etl-kafka consume -t y
	assert_failure 2
	assert_stderr "etl-kafka: --brokers: is required
Try 'etl-kafka --help' for more information."
	run --separate-stderr etl-kafka consume -b "$B" -t y -X no.such.setting=1
	assert_failure 2
	assert_stderr 'etl-kafka: --set: No such configuration property: "no.such.setting"
Try '"'etl-kafka --help'"' for more information.'
	run --separate-stderr etl-kafka consume -b "$B" -t y -G g -p 1
	assert_failure 2
	run --separate-stderr etl-kafka consume -b "$B" -t y --metrics-interval 1s
	assert_failure 2
	assert_stderr "etl-kafka: --metrics-interval: only --metrics is written at intervals
Try 'etl-kafka --help' for more information."
	run --separate-stderr etl-kafka consume -b "$B" -t y --state-db x
	assert_failure 2
	run --separate-stderr etl-kafka produce -b "$B" -t a,b
	assert_failure 2
	assert_stderr "etl-kafka: --topic: produce writes to one topic
Try 'etl-kafka --help' for more information."
}

@test "a password given with -X is in no output, --stats included" {
	run --separate-stderr etl-kafka consume -b "$B" -t kc -e -c 1 -X sasl.password=hunter22 --stats st.json
	assert_success
	run grep -c hunter22 st.json
	assert_output 0
}

@test "examples/velocity/kafka.sh: the windows of the events read back from Kafka are those of the file" {
	run env ETL_BUILD="$ETL_BUILD" KAFKA_BROKERS="$B" KAFKA_TOPIC=kvel "$ETL_ROOT/examples/velocity/kafka.sh" 3000
	assert_success
	assert_line --index 0 --regexp '^events: 3000; consumed: 3000; windows: [0-9]+; late: [0-9]+$'
	assert_line --index 1 "the windows from Kafka are those from the file"
}

@test "with etl-load-pg --offsets as the sink, each message is loaded once, however often the topic is read" {
	etl-load-pg --help | grep -q -- '--offsets' || skip "etl-load-pg has no --offsets (the sink of the offsets contract)"
	sql "DROP TABLE IF EXISTS pay_rows; DELETE FROM etl_state WHERE name = 'exact'" 2>/dev/null || true
	for i in $(seq 10); do echo "{\"id\":$i}"; done >a.ndjson
	head -n 5 a.ndjson | etl-kafka produce -b "$B" -t kexact --partition 0
	tail -n 5 a.ndjson | etl-kafka produce -b "$B" -t kexact --partition 1
	etl-kafka consume -b "$B" -t kexact -e --from-state exact |
		etl-load-pg -t pay_rows --create --offsets exact --stats l1.json
	assert_equal "$(sql 'SELECT count(*), count(DISTINCT id) FROM pay_rows')" "10	10"
	run etl-state get exact
	assert_output 'kexact/0:4,kexact/1:4'
	# five more: a restart from the state reads only them
	for i in $(seq 11 15); do echo "{\"id\":$i}"; done >b.ndjson
	etl-kafka produce -b "$B" -t kexact --partition 0 b.ndjson
	etl-kafka consume -b "$B" -t kexact -e --from-state exact --stats c2.json |
		etl-load-pg -t pay_rows --offsets exact
	assert_equal "$(jq .records_out c2.json)" 5
	assert_equal "$(sql 'SELECT count(*), count(DISTINCT id) FROM pay_rows')" "15	15"
	assert_equal "$(etl-state get exact)" "kexact/0:9,kexact/1:4"
	# the whole topic again, without --from-state: the sink skips all of it
	etl-kafka consume -b "$B" -t kexact -e | etl-load-pg -t pay_rows --offsets exact --stats l3.json
	assert_equal "$(sql 'SELECT count(*), count(DISTINCT id) FROM pay_rows')" "15	15"
	assert_equal "$(jq '[.records_in, .records_out]' -c l3.json)" "[15,0]"
}

@test "a sink killed mid-batch: the restart from --from-state loads each message once" {
	etl-load-pg --help | grep -q -- '--offsets' || skip "etl-load-pg has no --offsets (the sink of the offsets contract)"
	sql "DROP TABLE IF EXISTS crash_rows; DELETE FROM etl_state WHERE name = 'crash'" 2>/dev/null || true
	for i in $(seq 12); do echo "{\"id\":$i}"; done >a.ndjson
	head -n 6 a.ndjson | etl-kafka produce -b "$B" -t kcrash --partition 0
	tail -n 6 a.ndjson | etl-kafka produce -b "$B" -t kcrash --partition 1
	sql "CREATE TABLE crash_rows (id int)"
	# killed at the 7th row: what was committed before (if anything) stays
	run bash -c "etl-kafka consume -b '$B' -t kcrash -e --from-state crash |
		ETL_CRASH_AT=load-pg-row@7 etl-load-pg -t crash_rows --ignore-extra --offsets crash"
	assert_failure 137
	(($(sql 'SELECT count(*) FROM crash_rows') < 7))
	etl-kafka consume -b "$B" -t kcrash -e --from-state crash |
		etl-load-pg -t crash_rows --ignore-extra --offsets crash
	assert_equal "$(sql 'SELECT count(*), count(DISTINCT id) FROM crash_rows')" "12	12"
	assert_equal "$(etl-state get crash)" "kcrash/0:5,kcrash/1:5"
	etl-kafka consume -b "$B" -t kcrash -e --from-state crash --stats c.json |
		etl-load-pg -t crash_rows --ignore-extra --offsets crash
	assert_equal "$(jq .records_out c.json)" 0
	assert_equal "$(sql 'SELECT count(*), count(DISTINCT id) FROM crash_rows')" "12	12"
}

@test "two consumers of one group (cooperative rebalancing) read every message between them and stop cleanly" {
	for i in $(seq 200); do echo "{\"i\":$i}"; done >in.ndjson
	etl-kafka produce -b "$B" -t kcoop -k '{i}' in.ndjson
	for c in a b; do
		etl-kafka consume -b "$B" -t kcoop -G coop -X partition.assignment.strategy=cooperative-sticky \
			--stats "$c.json" >"$c.out" 2>"$c.err" &
		echo $! >"$c.pid"
	done
	# a group settles slowly on a loaded machine (a sanitizer build, other
	# suites beside): up to 90 s for the two to have read everything, and
	# the stop only then, not in the middle of a rebalance
	for _ in $(seq 900); do
		(($(cat a.out b.out | jq -r ._off | sort -u | wc -l) == 200)) && break
		sleep 0.1
	done
	assert_equal "$(cat a.out b.out | jq -r ._off | sort -u | wc -l)" 200
	kill -TERM "$(cat a.pid)" "$(cat b.pid)"
	for c in a b; do
		rc=0
		wait "$(cat $c.pid)" || rc=$?
		assert_equal "$rc" 143
		assert_equal "$(cat $c.err)" ""
		assert_equal "$(jq -r '"\(.records_in) \(.records_out)"' $c.json)" "$(wc -l <$c.out) $(wc -l <$c.out)"
	done
	assert_equal "$(cat a.out b.out | jq -r ._off | sort -u | wc -l)" 200
}
