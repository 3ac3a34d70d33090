#!/usr/bin/env bash
# examples/demo.sh - the main demo (`make demo`): the daily sales job,
# examples/daily-sales/job.sh, end to end against a throwaway PostgreSQL
# server, run twice to show that a second run leaves the table as it was.
#
#     examples/demo.sh [SALES.csv]        (default: examples/sales.csv)
#
# The server is started with tests/pg.sh in a temporary folder, listens only
# on a Unix socket there, and is stopped and removed when the demo ends, also
# when it fails or is interrupted.  Works as root (the server then runs as
# the system user etltest) and as any other user.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
csv=${1:-$here/sales.csv}
export PATH=${ETL_BIN:-$root/bin}:$PATH

tmp=$(mktemp -d)
cleanup() {
	"$root/tests/pg.sh" stop "$tmp/pg" || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sql() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off "$@"; }
# totals: the table's row count, units and revenue, and a digest of its rows.
totals() {
	sql -At -F ' ' -c "SELECT count(*), sum(units), sum(revenue),
		md5(string_agg(t::text, ';' ORDER BY date, product_id)) FROM daily_summary t"
}

echo "== a throwaway PostgreSQL server"
if ! env=$("$root/tests/pg.sh" start "$tmp/pg"); then
	echo "demo: PostgreSQL did not start (tools/install-deps installs it)" >&2
	exit 1
fi
eval "$env"
export PGTZ=UTC
sql -At -c 'SELECT version()'

echo
echo "== the input: $(basename "$csv"), $(etl-from-csv "$csv" | wc -l) order lines, a few columns"
etl-from-csv "$csv" | etl-to-csv --fields order_id,line_no,date,product_id,qty,unit_price | head -n 8
echo "..."
[[ $csv != "$here/sales.csv" ]] ||
	echo "(1002/1 and 1005 are sent twice; 1003/1 and 1009/1 have no quantity, 1007/1 no price)"

echo
echo "== the job: examples/daily-sales/job.sh"
sed -n '/^etl-from-csv/,/^mkdir/p' "$here/daily-sales/job.sh" | grep -v -e '^#' -e '^$' -e '^mkdir'
"$here/daily-sales/job.sh" "$csv" "$tmp/out"

echo
echo "== the table daily_summary"
sql -c 'SELECT * FROM daily_summary ORDER BY date, product_id'

echo "== the top 5 products of each day (top-products.csv)"
cat "$tmp/out/top-products.csv"

echo
echo "== the same job again: the table must be unchanged"
read -r n units revenue digest1 < <(totals)
echo "after run 1: $n rows, $units units, revenue $revenue"
"$here/daily-sales/job.sh" "$csv" "$tmp/out"
read -r n units revenue digest2 < <(totals)
echo "after run 2: $n rows, $units units, revenue $revenue"
if [[ $digest1 != "$digest2" ]]; then
	echo "demo: the second run changed the table" >&2
	exit 1
fi
echo "identical, row for row"

echo
echo "== next"
echo "To use these programs from your shell: . ./env.sh  (or: make install PREFIX=\$HOME/.local)"
echo "then: etl  (the programs), etl help map, man etl-agg, and examples/README.md for the other jobs."
