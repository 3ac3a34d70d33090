#!/usr/bin/env bash
# incremental/walkthrough.sh - sync.sh over three days, against a throwaway
# PostgreSQL server holding both the shop's database and the warehouse:
#
#   day 1        the first run loads everything; its re-run moves nothing
#   day 2        two orders changed in the shop, one is new, and one in the
#                marketplace changed, one is new: the watermarks move
#   day 3        the marketplace's export is broken: the run fails with
#                status 1, and neither the table nor the watermarks move
#
#     examples/incremental/walkthrough.sh
#
# The server is stopped and removed when the script ends, whatever way.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PATH=${ETL_BIN:-$root/bin}:$PATH

tmp=$(mktemp -d)
cleanup() {
	"$root/tests/pg.sh" stop "$tmp/pg" || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
env=$("$root/tests/pg.sh" start "$tmp/pg")
eval "$env"
export PGTZ=UTC WORK=$tmp/work

sql() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off "$@"; }
show() {
	sql -d warehouse -c "SELECT source, source_id, customer, amount, status, updated_at
		FROM all_orders ORDER BY source, source_id"
}
# digest: the table's rows and the watermarks, as one checksum.
digest() {
	sql -d warehouse -At -c "SELECT md5(string_agg(t::text, ';' ORDER BY source, source_id))
		|| ' ' || (SELECT string_agg(value, ' ' ORDER BY name) FROM etl_state) FROM all_orders t"
}
unchanged() {
	[[ $(digest) == "$1" ]] || { echo "walkthrough: the table or a watermark changed" >&2; exit 1; }
	echo "table and watermarks unchanged"
}
run_day() {
	API_EXPORT=$here/api/$1 "$here/sync.sh"
}
sql -c 'CREATE DATABASE shop' -c 'CREATE DATABASE warehouse'
sql -d shop -f "$here/shop.sql"

echo "== day 1: the first run loads everything"
run_day day-1
show
before=$(digest)

echo "== day 1 again: the rows at the watermarks are read again, and nothing changes"
run_day day-1
unchanged "$before"

echo
echo "== day 2: two orders changed in the shop and one is new; in the marketplace too"
sql -d shop -f "$here/shop-day-2.sql"
run_day day-2
show
before=$(digest)

echo "== day 3: the marketplace's export is broken"
status=0
run_day day-3 || status=$?
echo "exit status $status; $(wc -l <"$WORK/rejected.ndjson") records in rejected.ndjson:"
etl-map --select line,error "$WORK/rejected.ndjson"
unchanged "$before"
[[ $status == 1 ]]
