#!/usr/bin/env bash
# daily-sales/job.sh - the daily sales batch: a CSV export of order lines in,
# units and revenue per day and product out, upserted into the PostgreSQL
# table daily_summary (created by the first run).
#
#     examples/daily-sales/job.sh [SALES.csv [OUTDIR]]
#
# SALES.csv defaults to examples/sales.csv.  The database is the one psql
# would connect to (PGHOST, PGDATABASE, ..., ~/.pgpass), or DATABASE_URL (a
# libpq connection string or URI) when set.  OUTDIR (default:
# the current folder) receives, once the load has committed,
# summary.ndjson (the rows loaded) and top-products.csv (the five products
# with the most revenue each day).  A failed run leaves OUTDIR and the table
# as they were, and exits with the status of the step that failed (etl(7)).
# Running it again is harmless: the upsert on (date, product_id) leaves the
# table as one run does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH=${ETL_BIN:-$here/../../bin}:$PATH
csv=${1:-$here/../sales.csv}
out=${2:-.}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Empty and "NA" cells are null; a missing quantity counts as 0; a line
# without a price has no revenue (null, as in SQL).  The export repeats some
# lines: keep the first of each order line.
etl-from-csv --infer --null '' --null NA "$csv" |
	etl-map --default qty=0 --set 'revenue=qty*unit_price' |
	etl-dedupe -q -k order_id,line_no |
	etl-agg -g date,product_id -a 'units=sum(qty)' -a 'revenue=sum(revenue)' \
		-o "$work/summary.ndjson"

etl-top -g date -n 5 --by revenue --rank-field rank "$work/summary.ndjson" |
	etl-to-csv -o "$work/top-products.csv"

# The load reads a finished file, not the pipe: when a step above fails,
# set -e stops the job before anything reaches the table.
etl-load-pg ${DATABASE_URL:+--db "$DATABASE_URL"} -t daily_summary --mode upsert \
	--key date,product_id --create "$work/summary.ndjson"

mkdir -p "$out"
mv "$work/summary.ndjson" "$work/top-products.csv" "$out/"
