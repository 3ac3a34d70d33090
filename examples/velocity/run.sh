#!/bin/sh
# run.sh - transaction velocity per user: how many payments, and how much, in
# the last 5 minutes, every minute, over an out-of-order stream with late
# events; then the same computed by reference.py, and the two compared.
#
#     examples/velocity/run.sh [EVENTS]     (default 20000)
#
# Uses the programs in bin/ (run make first); writes into a temporary folder.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PATH="$here/../../bin:$PATH"
n=${1:-20000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 "$here/gen-events.py" --events "$n" >"$tmp/events.ndjson"
etl-agg --window hopping:5m,1m -t ts --lateness 2m -g user \
	-a 'n=count()' -a 'total=sum(amount)' \
	--late "$tmp/late.ndjson" --stats "$tmp/stats.json" \
	"$tmp/events.ndjson" >"$tmp/velocity.ndjson"
python3 "$here/reference.py" --size 300 --hop 60 --lateness 120 \
	--late "$tmp/late.expected" "$tmp/events.ndjson" >"$tmp/velocity.expected"

echo "events: $n; windows: $(wc -l <"$tmp/velocity.ndjson"); late: $(wc -l <"$tmp/late.ndjson")"
echo "stats: $(cat "$tmp/stats.json")"
echo "busiest windows:"
etl-agg --sort -n,window_start -g user,window_start -a 'n=max(n)' -a 'total=max(total)' \
	"$tmp/velocity.ndjson" | head -n 3
cmp "$tmp/velocity.ndjson" "$tmp/velocity.expected"
cmp "$tmp/late.ndjson" "$tmp/late.expected"
echo "etl-agg and reference.py agree, windows and late events alike"
