#!/usr/bin/env bats
# tests/examples.bats - the jobs of examples/ against throwaway servers (one
# PostgreSQL server for the file; the incremental tests start their own
# PostgreSQL, MariaDB and API servers with examples/incremental/servers.sh):
#
#   daily-sales  job.sh and its Makefile give, in daily_summary, exactly what
#                SQL computes from a raw copy of the CSV, and the same again
#                on a second run; a failed step loads nothing and leaves no
#                target behind; run-job sends the failed stage's report to
#                ALERT_CMD (never on success) and make resumes there; the
#                systemd units verify; DATABASE_URL alone moves the target
#   incremental  job.sh loads three sources (MariaDB, PostgreSQL, the API)
#                into user_events, a re-run moves nothing; failures in the
#                middle (API 503, an invalid record, the database stopped)
#                are each alerted and repaired by the next run, which ends
#                with the table of an undisturbed run
#   demo.sh      the main demo runs, and stops and removes its server on
#                success and on failure (incremental/demo.sh too);
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
		etl-load-pg etl-extract-pg etl-state etl-extract-mysql etl-validate etl-fetch-api
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
	[[ -z ${INC_DIR:-} ]] || "$EX/incremental/servers.sh" stop "$INC_DIR"
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

@test "daily-sales: top-products.csv ranks the five products with most revenue each day" {
	sql "DROP TABLE IF EXISTS daily_summary"
	"$EX/daily-sales/job.sh" "$EX/sales.csv" out
	expected_daily "$EX/sales.csv" >/dev/null
	psql -X -q -v ON_ERROR_STOP=1 -c "\\copy (SELECT date, product_id, units, revenue, rank
		FROM (SELECT *, row_number() OVER (PARTITION BY date ORDER BY revenue DESC) AS rank
		      FROM expected WHERE revenue IS NOT NULL) r
		WHERE rank <= 5 ORDER BY date, rank) TO 'want.csv' WITH (FORMAT csv, HEADER true)"
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

@test "daily-sales: run-job sends the failed stage's report to ALERT_CMD, and make resumes there" {
	sql "DROP TABLE IF EXISTS daily_summary"
	sed '3s/,1,199.99,/,one,199.99,/' "$EX/sales.csv" >sales.csv
	export ALERT_CMD="cat >>'$TMP/alerts.ndjson'"
	run --separate-stderr "$EX/run-job" --name daily-sales env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$EX/daily-sales" O="$TMP/r" SALES="$TMP/sales.csv"
	assert_failure 65
	[[ $stderr == *"etl-map: $TMP/r/lines.ndjson:2: --set revenue"* ]]
	run jq -r '[.job, .stage, .exit_status, .command_status] | @tsv' alerts.ndjson
	assert_output $'daily-sales\t'"$TMP/r/clean.ndjson"$'\t65\t2'
	run jq -r .stderr_tail alerts.ndjson
	assert_output --partial "etl-map: $TMP/r/lines.ndjson:2: --set revenue: qty*unit_price: cannot multiply the string \"one\""
	run sql "SELECT count(*) FROM pg_tables WHERE tablename = 'daily_summary'"
	assert_output 0
	# the export corrected in place: make redoes the stages from the first,
	# whose input changed, and no alert is sent
	touch -d '1 hour ago' r/lines.ndjson
	cp "$EX/sales.csv" sales.csv
	run --separate-stderr "$EX/run-job" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$EX/daily-sales" O="$TMP/r" SALES="$TMP/sales.csv"
	assert_success
	assert_output --partial 'etl-map --default qty=0'
	run jq -s length alerts.ndjson
	assert_output 1
	run sql "SELECT count(*), sum(units), sum(revenue) FROM daily_summary"
	assert_output $'9\t27\t1124.46'
	# a failed load: the stages before it are not redone
	rm r/loaded
	run --separate-stderr env PGHOST=/nonexistent "$EX/run-job" --name daily-sales \
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$EX/daily-sales" O="$TMP/r" SALES="$TMP/sales.csv"
	assert_failure 75
	refute_output --partial 'etl-map'
	run jq -r '[.stage, .exit_status] | @tsv' <(tail -n 1 alerts.ndjson)
	assert_output "$TMP/r/loaded"$'\t75'
	run mk -s -C "$EX/daily-sales" O="$TMP/r" SALES="$TMP/sales.csv"
	assert_success
	[[ -f r/loaded ]]
}

@test "daily-sales: DATABASE_URL alone points job.sh and the Makefile at another database" {
	sql "DROP DATABASE IF EXISTS other"
	sql "CREATE DATABASE other"
	sql "DROP TABLE IF EXISTS daily_summary"
	run --separate-stderr env DATABASE_URL="dbname=other" "$EX/daily-sales/job.sh" "$EX/sales.csv" out
	assert_success
	run psql -X -A -t -F ' ' -d other -c "SELECT count(*), sum(revenue) FROM daily_summary"
	assert_output "9 1124.46"
	run sql "SELECT count(*) FROM pg_tables WHERE tablename = 'daily_summary'"
	assert_output 0
	psql -X -q -d other -c "DROP TABLE daily_summary"
	run mk -s -C "$EX/daily-sales" O="$TMP/u" DATABASE_URL="postgresql:///other?host=$PGHOST&port=$PGPORT"
	assert_success
	run psql -X -A -t -F ' ' -d other -c "SELECT count(*), sum(revenue) FROM daily_summary"
	assert_output "9 1124.46"
	run sql "SELECT count(*) FROM pg_tables WHERE tablename = 'daily_summary'"
	assert_output 0
}

@test "run-job: a script names its stage; the --report files it wrote are in the alert" {
	cat >job.sh <<'EOS'
#!/bin/bash
echo extract >"$ETL_JOB_STAGE_FILE"
echo validate >"$ETL_JOB_STAGE_FILE"
echo '{"valid":false,"records":3}' >report.json
echo "etl-validate: checks failed" >&2
exit 1
EOS
	chmod +x job.sh
	echo '{"old":true}' >old.json
	touch -d '1 hour ago' old.json
	ALERT_CMD="cat >alert.json" run --separate-stderr "$EX/run-job" --report report.json --report old.json ./job.sh
	assert_failure 1
	run jq -c '{job, stage, exit_status, command_status, stderr_tail, reports}' alert.json
	assert_output '{"job":"job.sh","stage":"validate","exit_status":1,"command_status":1,"stderr_tail":"etl-validate: checks failed","reports":{"report.json":{"valid":false,"records":3}}}'
	# without ALERT_CMD the report goes to stderr; a success sends nothing
	run --separate-stderr env -u ALERT_CMD "$EX/run-job" ./job.sh
	assert_failure 1
	[[ $(tail -n 1 <<<"$stderr" | jq -r .stage) == validate ]]
	rm alert.json
	ALERT_CMD="cat >alert.json" run "$EX/run-job" true
	assert_success
	[[ ! -e alert.json ]]
}

@test "run-job: the README's Slack ALERT_CMD posts the report as the webhook's text" {
	local port pid line i

	python3 "$ETL_ROOT/tests/tools/apiserver.py" --port-file port --log requests.ndjson \
		--lifetime 60 </dev/null >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		[[ -s port ]] && break
		sleep 0.1
	done
	port=$(cat port)
	# the README's line, as a user copies it
	line=$(grep -m 1 "export ALERT_CMD=.*SLACK_WEBHOOK_URL" "$EX/README.md")
	[[ -n $line ]] || fail "no Slack ALERT_CMD in examples/README.md"
	eval "$line"
	export SLACK_WEBHOOK_URL="http://127.0.0.1:$port/echo/hook"
	run --separate-stderr "$EX/run-job" --name nightly bash -c 'echo "etl-load-pg: no server" >&2; exit 75'
	kill "$pid" 2>/dev/null || true
	assert_failure 75
	run jq -r 'select(.path == "/echo/hook") | [.method, .headers["content-type"]] | @tsv' requests.ndjson
	assert_output $'POST\tapplication/json'
	run jq -r 'select(.path == "/echo/hook") | .body | fromjson | .text | fromjson | [.job, .exit_status, .stderr_tail] | @tsv' requests.ndjson
	assert_output $'nightly\t75\tetl-load-pg: no server'
}

@test "daily-sales: the systemd units are valid and the crontab line runs the Makefile through run-job" {
	if command -v systemd-analyze >/dev/null; then
		run systemd-analyze verify --man=no "$EX/daily-sales/etl-daily-sales.service" \
			"$EX/daily-sales/etl-daily-sales.timer"
		refute_output --partial "$EX"
	fi
	run grep -c 'examples/run-job --name daily-sales make -s -C examples/daily-sales' \
		"$EX/daily-sales/crontab" "$EX/daily-sales/etl-daily-sales.service"
	assert_output "$EX/daily-sales/crontab:1"$'\n'"$EX/daily-sales/etl-daily-sales.service:1"
}

# --- incremental ---------------------------------------------------------------

# inc_start: the servers of examples/incremental (servers.sh), in a folder the
# servers' own user can reach; their settings are exported.  inc_stop stops
# them (teardown does too).
inc_start() {
	command -v mariadbd >/dev/null || [[ -x /usr/sbin/mariadbd ]] || skip "no MariaDB server installed"
	demo_tmp
	INC_DIR=$DEMO_TMP/servers
	"$EX/incremental/servers.sh" start "$INC_DIR" >"$DEMO_TMP/env" || return 1
	# shellcheck disable=SC1091
	source "$DEMO_TMP/env"
	export WORK=$TMP/work ALERT_CMD="cat >>'$TMP/alerts.ndjson'"
}

# inc_job [VAR=VALUE...]: job.sh through run-job, bounded in time.
inc_job() {
	env "$@" timeout 120 "$EX/run-job" --name incremental --report "$WORK/activity.report.json" \
		--report "$WORK/orders.report.json" --report "$WORK/subscriptions.report.json" \
		"$EX/incremental/job.sh"
}

# events DB: the table user_events of database DB, ordered, and the watermarks.
events() {
	psql -X -A -t -F $'\t' -d "$1" -c "SELECT * FROM user_events ORDER BY source, source_id" \
		-c "SELECT name, value FROM etl_state ORDER BY name"
}

# ahead: the watermarks that are past the newest row of their source that
# landed (none, when all is well).
ahead() {
	psql -X -A -t -d warehouse -c "SELECT s.name FROM etl_state s WHERE s.value::timestamptz >
		(SELECT coalesce(max(e.updated_at), '-infinity') FROM user_events e
		 WHERE e.source || '_wm' = s.name)"
}

# pg_ctl_server start|stop: the PostgreSQL server of servers.sh, as its user.
pg_ctl_server() {
	local bin u=()
	bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	((EUID == 0)) && u=(runuser -u etltest --)
	if [[ $1 == stop ]]; then
		"${u[@]}" "$bin/pg_ctl" -D "$ETL_PGDATA" -m fast -w -t 30 stop >/dev/null
	else
		"${u[@]}" "$bin/pg_ctl" -D "$ETL_PGDATA" -l "$ETL_PGDATA/../server.log" -w -t 60 start >/dev/null
	fi
}

@test "incremental: three sources land in user_events; a second run changes nothing and sends no alert" {
	inc_start
	run --separate-stderr inc_job
	assert_success
	assert_no_stderr
	assert_line --regexp '^activity: upserted 6, activity_wm = [0-9-]+T11:20:00Z$'
	assert_line --regexp '^orders: upserted 4, orders_wm = [0-9-]+T10:12:13Z$'
	assert_line --regexp '^subscriptions: upserted 7, subscriptions_wm = [0-9-]+T13:45:00Z$'
	run psql -X -A -t -F ' ' -d warehouse -c "SELECT source, count(*), sum(amount), count(DISTINCT user_id)
		FROM user_events GROUP BY source ORDER BY source"
	assert_output $'activity 6  3\norders 4 628.86 3\nsubscriptions 7 62.00 5'
	run psql -X -A -t -F ' ' -d warehouse -c "SELECT source_id, user_id, event, amount FROM user_events
		WHERE source_id IN ('5', '103', 'ev-3', 'ev-4') ORDER BY source_id"
	assert_output $'103 u-3 order_pending 24.90\n5 u-2 invite_sent \nev-3 u-4 trial_started \nev-4 u-2 subscription_upgraded 19.00'
	events warehouse >once.tsv
	run --separate-stderr inc_job
	assert_success
	assert_output --regexp 'activity: upserted 1,'
	events warehouse >twice.tsv
	assert_same_file once.tsv twice.tsv
	[[ ! -e alerts.ndjson ]]
	run ahead
	assert_output ""
}

@test "incremental: API 503, an invalid record, the database stopped: each alerted, each repaired by a re-run" {
	inc_start
	# 1. the API fails past its retries: the sources before it land
	echo 503 >"$ETL_API_DIR/faults"
	run --separate-stderr inc_job API_RETRIES=1
	assert_failure 75
	run jq -r '[.stage, .exit_status] | @tsv' alerts.ndjson
	assert_output $'subscriptions: extract\t75'
	run jq -r .stderr_tail alerts.ndjson
	assert_output --regexp 'etl-fetch-api: http://127\.0\.0\.1:[0-9]+/v1/events.*HTTP 503 \(after 1 retries\)'
	refute_output --partial cl-s3cr3t
	run psql -X -A -t -d warehouse -c "SELECT string_agg(name, ' ' ORDER BY name) FROM etl_state"
	assert_output "activity_wm orders_wm"
	run ahead
	assert_output ""
	rm "$ETL_API_DIR/faults"

	# 2. a record that fails validation: nothing of its batch lands
	mariadb --defaults-file="$MYSQL_DEFAULTS_FILE" -D app -e \
		"INSERT INTO user_activity (id, user_id, action) VALUES (7, NULL, 'logout')"
	psql -X -q -d shop -c "UPDATE orders SET status = 'paid', updated_at = now() WHERE id = 103"
	wm=$(etl-state --db dbname=warehouse get activity_wm)
	run --separate-stderr inc_job
	assert_failure 1
	run jq -r '[.stage, .exit_status, (.reports["activity.report.json"].checks[] | select(.verdict == "fail") | .check)] | @tsv' <(tail -n 1 alerts.ndjson)
	assert_output --regexp $'^activity: validate\t1\t'
	run jq -c '.reports["activity.report.json"] | has("checks")' <(tail -n 1 alerts.ndjson)
	assert_output true
	run jq -r .record.source_id work/activity.rejects.ndjson
	assert_output 7
	[[ $(etl-state --db dbname=warehouse get activity_wm) == "$wm" ]]
	run psql -X -A -t -d warehouse -c "SELECT count(*) FROM user_events WHERE source = 'activity' AND source_id = '7'"
	assert_output 0
	run ahead
	assert_output ""

	# 3. the warehouse stops while the API is slow: the load fails
	mariadb --defaults-file="$MYSQL_DEFAULTS_FILE" -D app -e "UPDATE user_activity SET user_id = 'u-1' WHERE id = 7"
	echo sleep:2 >"$ETL_API_DIR/faults"
	inc_job >job.out 2>job.err &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		grep -q '^orders: upserted' job.out && break
		sleep 0.1
	done
	grep -q '^orders: upserted 2' job.out
	pg_ctl_server stop
	status=0
	wait "$pid" || status=$?
	((status == 75)) || fail "job exited $status, not 75: $(cat job.err)"
	run jq -r '[.stage, .exit_status] | @tsv' <(tail -n 1 alerts.ndjson)
	assert_output $'subscriptions: load\t75'
	pg_ctl_server start
	rm "$ETL_API_DIR/faults"
	run ahead
	assert_output ""

	# 4. the re-run completes; the table is that of an undisturbed run
	run --separate-stderr inc_job
	assert_success
	run jq -s -r 'map(.exit_status) | @tsv' alerts.ndjson
	assert_output $'75\t1\t75'
	psql -X -q -c 'CREATE DATABASE reference'
	run --separate-stderr inc_job DATABASE_URL=dbname=reference WORK="$TMP/ref"
	assert_success
	events warehouse >got.tsv
	events reference >want.tsv
	assert_same_file want.tsv got.tsv
	run psql -X -A -t -F ' ' -d warehouse -c "SELECT count(*), count(DISTINCT (source, source_id)) FROM user_events"
	assert_output "18 18"
	run jq -s length alerts.ndjson
	assert_output 3
}

@test "incremental: the example's API limits the rate; etl-fetch-api waits as told and gets every event" {
	local pid i

	sed "s/@DAY@/2026-11-24/g" "$EX/incremental/data/events.ndjson" >events.ndjson
	python3 "$ETL_ROOT/tests/tools/apiserver.py" --port-file port --log requests.ndjson \
		--lifetime 60 --data events.ndjson </dev/null >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		[[ -s port ]] && break
		sleep 0.1
	done
	# one event a page and no --rate: 7 requests at once, past 5 a second
	run --separate-stderr env API_CLIENT_ID=cl-id API_CLIENT_SECRET=cl-s3cr3t timeout 60 \
		etl-fetch-api "http://127.0.0.1:$(cat port)/v1/events" --records events --paginate link \
		--query per_page=1 --oauth2-token-url "http://127.0.0.1:$(cat port)/oauth/token" \
		--client-id-env API_CLIENT_ID --client-secret-env API_CLIENT_SECRET
	kill "$pid" 2>/dev/null || true
	assert_success
	run jq -r .id <<<"$output"
	assert_output "$(printf 'ev-%d\n' 1 2 3 4 5 6 7)"
	# more requests than pages: some were refused (429) and asked again
	n=$(jq -r 'select(.path | startswith("/v1/events")) | .path' requests.ndjson | wc -l)
	((n > 7)) || fail "$n requests for 7 pages: the rate limit never answered 429"
}

@test "incremental: make demo-incremental runs the job three times and removes its servers" {
	command -v mariadbd >/dev/null || [[ -x /usr/sbin/mariadbd ]] || skip "no MariaDB server installed"
	demo_tmp
	run --separate-stderr env TMPDIR="$DEMO_TMP" timeout 300 "$EX/incremental/demo.sh"
	assert_success
	assert_line --regexp '^after run 1: 17 rows, '
	assert_line 'identical, row for row'
	assert_line --regexp '^after run 3: 19 rows, '
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
