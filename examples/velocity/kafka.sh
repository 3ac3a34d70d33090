#!/bin/sh
# kafka.sh - the velocity job of run.sh on a Kafka topic: the payments are
# produced to a topic keyed by user, consumed back as NDJSON (with _off, _ts
# and _key appended) and windowed by etl-agg; the windows (which then carry
# _off, the place in the topic they reflect) must be, _off aside, exactly
# those of run.sh's file-based run over the same events.
#
#     examples/velocity/kafka.sh [EVENTS]     (default 20000)
#
# With KAFKA_BROKERS set it uses that cluster (and the topic
# $KAFKA_TOPIC, default etl-velocity, which should be new and have one
# partition); otherwise it starts librdkafka's mock cluster, the test tool
# build/tests/tools/kafka-mock (make build/tests/tools/kafka-mock), and stops
# it at the end.  One partition keeps the events in the order they were
# produced, so event time and lateness are the file's.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PATH="$here/../../bin:$PATH"
n=${1:-20000}
tmp=$(mktemp -d)
mock=
cleanup() {
	[ -z "$mock" ] || kill "$mock" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
topic=${KAFKA_TOPIC:-etl-velocity}
if [ -z "${KAFKA_BROKERS:-}" ]; then
	"${ETL_BUILD:-$here/../../build}/tests/tools/kafka-mock" -s 600 "$topic:1" >"$tmp/addr" &
	mock=$!
	i=0
	while [ ! -s "$tmp/addr" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	KAFKA_BROKERS=$(cat "$tmp/addr")
fi

python3 "$here/gen-events.py" --events "$n" >"$tmp/events.ndjson"
etl-kafka produce -b "$KAFKA_BROKERS" -t "$topic" -k '{user}' --timestamp-field ts \
	"$tmp/events.ndjson"
etl-kafka consume -b "$KAFKA_BROKERS" -t "$topic" -e --stats "$tmp/consumed.json" |
	etl-agg --window hopping:5m,1m -t ts --lateness 2m -g user \
		-a 'n=count()' -a 'total=sum(amount)' --late "$tmp/late.ndjson" |
	etl-map --drop _off >"$tmp/velocity.ndjson"
etl-agg --window hopping:5m,1m -t ts --lateness 2m -g user \
	-a 'n=count()' -a 'total=sum(amount)' --late "$tmp/late.expected" \
	"$tmp/events.ndjson" >"$tmp/velocity.expected"

echo "events: $n; consumed: $(jq .records_out "$tmp/consumed.json");" \
	"windows: $(wc -l <"$tmp/velocity.ndjson"); late: $(wc -l <"$tmp/late.ndjson")"
cmp "$tmp/velocity.ndjson" "$tmp/velocity.expected"
[ "$(wc -l <"$tmp/late.ndjson")" = "$(wc -l <"$tmp/late.expected")" ]
echo "the windows from Kafka are those from the file"
