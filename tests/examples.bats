#!/usr/bin/env bats
# tests/examples.bats - the jobs of examples/ against one throwaway PostgreSQL
# server:
#
#   daily-sales  job.sh and its Makefile give, in daily_summary, exactly what
#                SQL computes from a raw copy of the CSV, and the same again
#                on a second run; a failed step loads nothing and leaves no
#                target behind
#   incremental  sync.sh loads both sources into all_orders, a re-run moves
#                nothing, a second batch moves the watermarks, and a batch
#                with more than 1% bad records fails with status 1 and
#                changes nothing
#   demo.sh      the main demo runs, and stops and removes its server on
#                success and on failure (walkthrough.sh of incremental too);
#                sales-demo.sh, the CSV round trip, keeps every record
#
# Skipped when no PostgreSQL server is installed.

load helpers/common
load data/pg/cluster

EX="$ETL_ROOT/examples"

setup_file() {
	pg_setup_file
}

teardown_file() {
	pg_teardown_file
}

setup() {
	require_program etl-from-csv etl-map etl-dedupe etl-agg etl-top etl-to-csv \
		etl-load-pg etl-extract-pg etl-state
	export PGTZ=UTC
	cd "$TMP" || return 1
}

# demo_tmp: a folder for the demo's temporary files that the server's own
# user (etltest, when run as root) can reach.
demo_tmp() {
	DEMO_TMP=$(mktemp -d /tmp/etl-demo-test.XXXXXX)
	chmod 755 "$DEMO_TMP"
}

teardown() {
	[[ -z ${DEMO_TMP:-} ]] || rm -rf "$DEMO_TMP"
}

# --- daily-sales ---------------------------------------------------------------

# daily_rows: the table daily_summary, ordered, tab-separated.
daily_rows() {
	sql "SELECT date, product_id, units, revenue FROM daily_summary ORDER BY date, product_id"
}

# expected_daily CSV: daily_summary as SQL computes it from a raw copy of CSV:
# empty and NA cells are NULL, a missing quantity is 0, the first line of
# each (order_id, line_no) counts, revenue is the sum of qty * unit_price.
expected_daily() {
	sql "DROP TABLE IF EXISTS raw CASCADE; CREATE TABLE raw (seq bigserial, order_id text,
		line_no text, ts text, date text, customer_id text, product_id text,
		product_name text, qty text, unit_price text, currency text, country text,
		channel text, updated_at text)"
	psql -X -q -v ON_ERROR_STOP=1 -c "\\copy raw (order_id, line_no, ts, date, customer_id,
		product_id, product_name, qty, unit_price, currency, country, channel, updated_at)
		FROM '$1' WITH (FORMAT csv, HEADER true)"
	sql "CREATE OR REPLACE VIEW expected AS
		WITH lines AS (
			SELECT DISTINCT ON (order_id::numeric, line_no::numeric)
				date::date AS date, product_id::bigint AS product_id,
				coalesce(nullif(nullif(qty, ''), 'NA')::numeric, 0) AS qty,
				nullif(nullif(unit_price, ''), 'NA')::numeric AS unit_price
			FROM raw ORDER BY order_id::numeric, line_no::numeric, seq)
		SELECT date, product_id, sum(qty) AS units, sum(qty * unit_price) AS revenue
		FROM lines GROUP BY date, product_id"
	sql "SELECT * FROM expected ORDER BY date, product_id"
}

@test "daily-sales: daily_summary holds what SQL computes from the raw CSV" {
	sql "DROP TABLE IF EXISTS daily_summary"
	run --separate-stderr "$EX/daily-sales/job.sh" "$EX/sales.csv" out
	assert_success
	assert_no_stderr
	expected_daily "$EX/sales.csv" >expected.tsv
	daily_rows >got.tsv
	assert_same_file expected.tsv got.tsv
	# and, spelt out: exact cents, a missing quantity as 0, no price as NULL
	run daily_rows
	assert_output "$(printf '%s\n' \
		$'2026-11-24\t118\t2\t39.98' \
		$'2026-11-24\t275\t3\t599.97' \
		$'2026-11-24\t503\t4\t164.00' \
		$'2026-11-24\t981\t10\t24.90' \
		$'2026-11-25\t118\t1\t19.99' \
		$'2026-11-25\t275\t1\t199.99' \
		$'2026-11-25\t503\t2\t' \
		$'2026-11-25\t640\t1\t68.16' \
		$'2026-11-25\t981\t3\t7.47')"
	run sql "SELECT count(*), sum(units), sum(revenue) FROM daily_summary"
	assert_output $'9\t27\t1124.46'
	[[ -f out/summary.ndjson ]]
}

@test "daily-sales: top-products.csv ranks the three products with most revenue each day" {
	sql "DROP TABLE IF EXISTS daily_summary"
	"$EX/daily-sales/job.sh" "$EX/sales.csv" out
	expected_daily "$EX/sales.csv" >/dev/null
	psql -X -q -v ON_ERROR_STOP=1 -c "\\copy (SELECT date, product_id, units, revenue, rank
		FROM (SELECT *, row_number() OVER (PARTITION BY date ORDER BY revenue DESC) AS rank
		      FROM expected WHERE revenue IS NOT NULL) r
		WHERE rank <= 3 ORDER BY date, rank) TO 'want.csv' WITH (FORMAT csv, HEADER true)"
	assert_same_file want.csv out/top-products.csv
}

@test "daily-sales: a second run leaves the table as the first did" {
	sql "DROP TABLE IF EXISTS daily_summary"
	"$EX/daily-sales/job.sh" "$EX/sales.csv" out
	daily_rows >once.tsv
	run --separate-stderr "$EX/daily-sales/job.sh" "$EX/sales.csv" out
	assert_success
	daily_rows >twice.tsv
	assert_same_file once.tsv twice.tsv
	run sql "SELECT count(*), sum(units), sum(revenue) FROM daily_summary"
	assert_output $'9\t27\t1124.46'
}

@test "daily-sales: a second day's export updates its rows and leaves the first day's" {
	sql "DROP TABLE IF EXISTS daily_summary"
	"$EX/daily-sales/job.sh" "$EX/sales.csv" out
	# the 25th again, corrected: order 1007 now has its price
	{
		head -n 1 "$EX/sales.csv"
		grep ',2026-11-25,' "$EX/sales.csv" | sed 's/,Kids Footrest,2,NA,/,Kids Footrest,2,41.00,/'
	} >day2.csv
	run --separate-stderr "$EX/daily-sales/job.sh" day2.csv out
	assert_success
	run sql "SELECT date, product_id, units, revenue FROM daily_summary WHERE product_id = 503 ORDER BY date"
	assert_output $'2026-11-24\t503\t4\t164.00\n2026-11-25\t503\t2\t82.00'
	run sql "SELECT count(*), sum(revenue) FROM daily_summary"
	assert_output $'9\t1206.46'
}

@test "daily-sales: a failing step loads nothing and leaves the output folder alone" {
	sql "DROP TABLE IF EXISTS daily_summary"
	"$EX/daily-sales/job.sh" "$EX/sales.csv" out
	daily_rows >before.tsv
	cp out/summary.ndjson summary.before
	# a quantity that is not a number: qty * unit_price fails on the 2nd record
	sed '3s/,1,199.99,/,one,199.99,/' "$EX/sales.csv" >bad.csv
	run --separate-stderr "$EX/daily-sales/job.sh" bad.csv out
	assert_failure 65
	assert_stderr 'etl-map: <stdin>:2: --set revenue: qty*unit_price: cannot multiply the string "one"'
	daily_rows >after.tsv
	assert_same_file before.tsv after.tsv
	assert_same_file summary.before out/summary.ndjson
}

# mk ARGS: make, without the options of a `make check` that runs this file.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"
}

@test "daily-sales: the Makefile loads the same table; a failed step leaves no target" {
	sql "DROP TABLE IF EXISTS daily_summary"
	run mk -s -C "$EX/daily-sales" O="$TMP/m"
	assert_success
	expected_daily "$EX/sales.csv" >expected.tsv
	daily_rows >got.tsv
	assert_same_file expected.tsv got.tsv
	[[ -f m/loaded && -f m/top-products.csv ]]
	run mk -C "$EX/daily-sales" O="$TMP/m"
	assert_output --partial "Nothing to be done"

	sed '3s/,1,199.99,/,one,199.99,/' "$EX/sales.csv" >bad.csv
	run mk -s -C "$EX/daily-sales" O="$TMP/b" SALES="$TMP/bad.csv"
	assert_failure
	[[ -f b/lines.ndjson ]]
	[[ ! -e b/clean.ndjson && ! -e b/summary.ndjson && ! -e b/loaded ]]
	assert_no_temp_files b
	daily_rows >after.tsv
	assert_same_file expected.tsv after.tsv
}

# --- incremental ---------------------------------------------------------------

# fresh: a new shop database with the first day's orders, an empty warehouse.
fresh() {
	local db

	for db in shop warehouse; do
		sql "DROP DATABASE IF EXISTS $db"
		sql "CREATE DATABASE $db"
	done
	psql -X -q -v ON_ERROR_STOP=1 -d shop -f "$EX/incremental/shop.sql"
	export WORK=$TMP/work
}

# sync DAY: run sync.sh with the marketplace's export of DAY.
sync_day() {
	API_EXPORT="$EX/incremental/api/$1" "$EX/incremental/sync.sh"
}

orders() {
	psql -X -A -t -F $'\t' -d warehouse -c "SELECT source, source_id, customer, amount,
		currency, status, ordered_at, updated_at FROM all_orders ORDER BY source, source_id"
}

watermarks() {
	echo "$(etl-state --db dbname=warehouse get orders_wm) $(etl-state --db dbname=warehouse get marketplace_wm)"
}

DAY1=$(printf '%s\n' \
	$'marketplace\tmp-7Q2X\tfay@example.net\t129.00\tEUR\tpaid\t2026-11-24 08:58:00+00\t2026-11-24 09:02:11+00' \
	$'marketplace\tmp-7Q3A\tgus@example.net\t19.99\tEUR\tshipped\t2026-11-24 10:20:00+00\t2026-11-24 14:40:00+00' \
	$'marketplace\tmp-7Q4B\tida@example.net\t249.50\tEUR\tpaid\t2026-11-24 17:05:00+00\t2026-11-24 17:06:30+00' \
	$'shop\t1\tana@example.com\t164.00\tEUR\tpaid\t2026-11-24 08:15:02+00\t2026-11-24 08:16:00+00' \
	$'shop\t2\tbo@example.com\t39.98\tEUR\tpaid\t2026-11-24 09:01:40+00\t2026-11-24 09:01:40+00' \
	$'shop\t3\tcy@example.com\t24.90\tEUR\tpending\t2026-11-24 09:30:00+00\t2026-11-24 09:30:00+00' \
	$'shop\t4\tdee@example.com\t399.98\tEUR\tpaid\t2026-11-24 11:12:13+00\t2026-11-24 11:12:13+00' \
	$'shop\t5\tana@example.com\t27.46\tEUR\tpending\t2026-11-24 17:45:00+00\t2026-11-24 17:45:00+00')

@test "incremental: the first run loads both sources in one shape, test orders left out" {
	fresh
	run --separate-stderr sync_day day-1
	assert_success
	assert_no_stderr
	assert_output $'shop: upserted 5, orders_wm = 2026-11-24T17:45:00Z\nmarketplace: upserted 3, marketplace_wm = 2026-11-24T18:06:30+01:00'
	run orders
	assert_output "$DAY1"
	run watermarks
	assert_output "2026-11-24T17:45:00Z 2026-11-24T18:06:30+01:00"
	# the records loaded, in the shape of both sources
	run head -n 1 work/shop.ndjson work/marketplace.ndjson
	assert_line '{"source":"shop","source_id":"1","customer":"ana@example.com","amount":164.00,"currency":"EUR","status":"paid","ordered_at":"2026-11-24T08:15:02Z","updated_at":"2026-11-24T08:16:00Z"}'
	assert_line '{"source":"marketplace","source_id":"mp-7Q2X","customer":"fay@example.net","amount":129.00,"currency":"EUR","status":"paid","ordered_at":"2026-11-24T09:58:00+01:00","updated_at":"2026-11-24T10:02:11+01:00"}'
}

@test "incremental: a re-run reads only the rows at the watermarks and changes nothing" {
	fresh
	sync_day day-1 >/dev/null
	orders >before.tsv
	run --separate-stderr sync_day day-1
	assert_success
	assert_output $'shop: upserted 1, orders_wm = 2026-11-24T17:45:00Z\nmarketplace: upserted 1, marketplace_wm = 2026-11-24T18:06:30+01:00'
	orders >after.tsv
	assert_same_file before.tsv after.tsv
	run watermarks
	assert_output "2026-11-24T17:45:00Z 2026-11-24T18:06:30+01:00"
	run jq -r .source_id work/shop.ndjson work/marketplace.ndjson
	assert_output $'5\nmp-7Q4B'
}

@test "incremental: a second batch of changes moves the watermarks with the rows" {
	fresh
	sync_day day-1 >/dev/null
	psql -X -q -v ON_ERROR_STOP=1 -d shop -f "$EX/incremental/shop-day-2.sql"
	run --separate-stderr sync_day day-2
	assert_success
	assert_output $'shop: upserted 3, orders_wm = 2026-11-25T10:05:31Z\nmarketplace: upserted 3, marketplace_wm = 2026-11-25T11:30:00+01:00'
	run watermarks
	assert_output "2026-11-25T10:05:31Z 2026-11-25T11:30:00+01:00"
	# three rows changed, two are new, the others are as on day 1
	run orders
	assert_output "$(printf '%s\n' \
		$'marketplace\tmp-7Q2X\tfay@example.net\t129.00\tEUR\tpaid\t2026-11-24 08:58:00+00\t2026-11-24 09:02:11+00' \
		$'marketplace\tmp-7Q3A\tgus@example.net\t19.99\tEUR\tdelivered\t2026-11-24 10:20:00+00\t2026-11-25 08:12:45+00' \
		$'marketplace\tmp-7Q4B\tida@example.net\t249.50\tEUR\tpaid\t2026-11-24 17:05:00+00\t2026-11-24 17:06:30+00' \
		$'marketplace\tmp-7Q5C\tjo@example.net\t74.90\tEUR\tpaid\t2026-11-25 10:28:00+00\t2026-11-25 10:30:00+00' \
		$'shop\t1\tana@example.com\t164.00\tEUR\tpaid\t2026-11-24 08:15:02+00\t2026-11-24 08:16:00+00' \
		$'shop\t2\tbo@example.com\t39.98\tEUR\tpaid\t2026-11-24 09:01:40+00\t2026-11-24 09:01:40+00' \
		$'shop\t3\tcy@example.com\t24.90\tEUR\tpaid\t2026-11-24 09:30:00+00\t2026-11-25 08:00:00+00' \
		$'shop\t4\tdee@example.com\t399.98\tEUR\tpaid\t2026-11-24 11:12:13+00\t2026-11-24 11:12:13+00' \
		$'shop\t5\tana@example.com\t27.46\tEUR\tcancelled\t2026-11-24 17:45:00+00\t2026-11-25 09:10:00+00' \
		$'shop\t6\teve@example.com\t68.16\tEUR\tpaid\t2026-11-25 10:05:31+00\t2026-11-25 10:05:31+00')"
	# what moved: the changed rows, and those at the old watermarks
	run jq -r .source_id work/shop.ndjson work/marketplace.ndjson
	assert_output $'3\n5\n6\nmp-7Q3A\nmp-7Q4B\nmp-7Q5C'
}

@test "incremental: a batch with more than 1% bad records fails with status 1 and moves nothing" {
	fresh
	sync_day day-1 >/dev/null
	psql -X -q -v ON_ERROR_STOP=1 -d shop -f "$EX/incremental/shop-day-2.sql"
	sync_day day-2 >/dev/null
	orders >before.tsv
	run --separate-stderr sync_day day-3
	assert_failure 1
	assert_output ""
	assert_stderr_regex 'too many bad records: 2 of 4 \(50\.00%\) exceeds --max-bad 1%'
	orders >after.tsv
	assert_same_file before.tsv after.tsv
	run watermarks
	assert_output "2026-11-25T10:05:31Z 2026-11-25T11:30:00+01:00"
	run jq -r '.error' work/rejected.ndjson
	assert_output $'--cast amount=decimal: not a number: "12,50"\n--cast amount=decimal: not a number: "1.299,00"'
}

@test "incremental: one bad record in 200 stays under 1%: it is rejected, the rest loaded" {
	fresh
	mkdir api
	for i in $(seq 1 200); do
		amount="$i.50"
		((i == 77)) && amount="n/a"
		printf '{"id":"mp-%03d","buyer":{"email":"b%d@example.net"},"amount":"%s","currency":"eur","state":"PAID","placed":"2026-11-24T10:00:00+01:00","modified":"2026-11-24T10:%02d:%02d+01:00"}\n' \
			"$i" "$i" "$amount" $((i / 60)) $((i % 60))
	done >api/page-1.ndjson
	run --separate-stderr env API_EXPORT="$TMP/api" "$EX/incremental/sync.sh"
	assert_success
	assert_line 'marketplace: upserted 199, marketplace_wm = 2026-11-24T10:03:20+01:00'
	run psql -X -A -t -d warehouse -c "SELECT count(*), sum(amount) FROM all_orders WHERE source = 'marketplace'"
	assert_output "199|20122.50"  # (1.50 + ... + 200.50) - 77.50
	run jq -r .line work/rejected.ndjson
	assert_output 77
}

@test "incremental: walkthrough.sh runs the three days on a server of its own" {
	demo_tmp
	run --separate-stderr env TMPDIR="$DEMO_TMP" "$EX/incremental/walkthrough.sh"
	assert_success
	assert_line 'marketplace: upserted 3, marketplace_wm = 2026-11-25T11:30:00+01:00'
	assert_line 'exit status 1; 2 records in rejected.ndjson:'
	run grep -c '^table and watermarks unchanged$' <<<"$output"
	assert_output 2
	run ls -A "$DEMO_TMP"
	assert_output ""
}

# --- the demos ---------------------------------------------------------------------

@test "demo.sh: runs the daily job twice, prints the table, removes its server" {
	demo_tmp
	run --separate-stderr env TMPDIR="$DEMO_TMP" "$EX/demo.sh"
	assert_success
	assert_line --regexp '^ 2026-11-24 \| +275 \| +3 \| +599\.97$'
	assert_line 'after run 1: 9 rows, 27 units, revenue 1124.46'
	assert_line 'after run 2: 9 rows, 27 units, revenue 1124.46'
	assert_line '2026-11-25,275,1,199.99,1'
	run ls -A "$DEMO_TMP"
	assert_output ""
}

@test "demo.sh: a failing job still stops and removes the server" {
	demo_tmp
	printf 'order_id,line_no,date,product_id,qty,unit_price\n1,1,2026-11-24,7,"2\n' >broken.csv
	run --separate-stderr env TMPDIR="$DEMO_TMP" "$EX/demo.sh" "$TMP/broken.csv"
	assert_failure
	run ls -A "$DEMO_TMP"
	assert_output ""
}

@test "sales-demo.sh: the CSV round trip keeps every record" {
	run --separate-stderr env DEMO_OUT="$TMP" "$EX/sales-demo.sh"
	assert_success
	assert_line 'identical (15 records)'
}
