#!/bin/sh
# The daily sales demo: CSV -> NDJSON -> CSV with the etl programs.
#
# etl-from-csv reads the day's sales export, turns empty and "NA" cells into
# null, keeps every number's exact text (41.00 stays 41.00) and writes one
# JSON object per row; etl-to-csv turns the records back into CSV.  Each step
# fails loudly on bad input, with file:line and a documented exit status.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${ETL_BIN:-$here/../bin}
out=${DEMO_OUT:-$(mktemp -d)}
PATH=$bin:$PATH

echo "== sales.csv as NDJSON (first 3 records)"
etl-from-csv --infer --null '' --null NA "$here/sales.csv" -o "$out/sales.ndjson" \
	--stats "$out/from-csv.stats.json"
head -n 3 "$out/sales.ndjson"

echo
echo "== back to CSV, a few columns"
etl-to-csv --fields order_id,line_no,product_name,qty,unit_price "$out/sales.ndjson" \
	-o "$out/sales-slim.csv"
cat "$out/sales-slim.csv"

echo
echo "== run statistics"
cat "$out/from-csv.stats.json"

echo
echo "== round trip: the records survive CSV -> NDJSON -> CSV -> NDJSON"
etl-from-csv "$here/sales.csv" | etl-to-csv | etl-from-csv > "$out/roundtrip.ndjson"
etl-from-csv "$here/sales.csv" > "$out/direct.ndjson"
if cmp -s "$out/roundtrip.ndjson" "$out/direct.ndjson"; then
	echo "identical ($(wc -l < "$out/direct.ndjson") records)"
else
	echo "round trip differs" >&2
	exit 1
fi
echo
echo "outputs in $out"
