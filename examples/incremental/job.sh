#!/usr/bin/env bash
# incremental/job.sh - the user events that are new or changed since the last
# run, from three sources, normalized into one PostgreSQL table, user_events
# (warehouse.sql), keyed by (source, source_id):
#
#   activity       MariaDB, the application's table user_activity
#   orders         PostgreSQL, the shop's table orders
#   subscriptions  a paginated, rate-limited REST API behind OAuth2
#
#     examples/incremental/job.sh
#
# Settings, from the environment:
#   DATABASE_URL        the warehouse (libpq connection string or URI;
#                       default: PGDATABASE etc., as psql)
#   SHOP_DB             the shop's database (default: dbname=shop)
#   MYSQL_DEFAULTS_FILE the MariaDB client option file (default: the
#                       client's own, ~/.my.cnf); MYSQL_DATABASE (default app)
#   API_URL             the API's base URL; API_CLIENT_ID and API_CLIENT_SECRET
#                       its OAuth2 client credentials
#   WORK                the folder of the batches, rejects and reports
#                       (default: ./work)
#   FRESH               how old a source's newest change may be (default 2d)
#   API_RETRIES         retries of a failed API request (default 5)
#
# For each source, in turn: extract what changed at or after its watermark
# (etl-state NAME_wm) into WORK/NAME.ndjson, in the table's shape (etl-map);
# check it (etl-validate: the JSON Schema user_events.schema.json, no
# invalid record, unique source_id, user_id never null, newest change at
# most FRESH old), the verdicts in WORK/NAME.report.json and the invalid
# records in WORK/NAME.rejects.ndjson; then upsert it with etl-load-pg,
# which moves the watermark in the transaction of the rows.  A failed step
# stops the job with its status (etl(7)): 1 a check failed, 75 retry later
# (a server down, the API failing past its retries), and the sources before
# it stay loaded; the next run resumes from the watermarks, and rows read
# twice are upserted to the same values.  The step is written to
# $ETL_JOB_STAGE_FILE for examples/run-job.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH=${ETL_BIN:-$here/../../bin}:$PATH
db=(--db "${DATABASE_URL:-}")
[[ -n ${DATABASE_URL:-} ]] || db=()
shop=${SHOP_DB:-dbname=shop}
my=(-D "${MYSQL_DATABASE:-app}")
[[ -z ${MYSQL_DEFAULTS_FILE:-} ]] || my=(--defaults-file "$MYSQL_DEFAULTS_FILE" "${my[@]}")
work=${WORK:-work}
mkdir -p "$work"

stage() { echo "$1" >"${ETL_JOB_STAGE_FILE:-/dev/null}"; }

# The columns of user_events, in order.
cols=source,source_id,user_id,event,amount,occurred_at,updated_at

stage warehouse
psql -X -q -v ON_ERROR_STOP=1 ${DATABASE_URL:+-d "$DATABASE_URL"} -f "$here/warehouse.sql"

# land NAME: check WORK/NAME.ndjson, then upsert it and move NAME_wm with it.
land() {
	local b=$work/$1
	stage "$1: validate"
	rm -f "$b.rejects.ndjson"
	etl-validate -q --schema "$here/user_events.schema.json" --max-invalid 0 \
		--unique source_id --not-null user_id --fresh "updated_at:${FRESH:-2d}" \
		--rejects "$b.rejects.ndjson" --report "$b.report.json" \
		-o "$b.valid.ndjson" "$b.ndjson"
	stage "$1: load"
	etl-load-pg "${db[@]}" -t user_events --mode upsert --key source,source_id \
		--state-key "$1_wm" --watermark updated_at "$b.valid.ndjson"
	echo "$1: upserted $(wc -l <"$b.valid.ndjson"), $1_wm = $(etl-state "${db[@]}" get "$1_wm")"
}

# wm NAME: the watermark of source NAME, empty on the first run.
wm() {
	stage "$1: extract"
	etl-state "${db[@]}" get "$1_wm"
}

w=$(wm activity)
etl-extract-mysql "${my[@]}" -t user_activity --since-column updated_at --since "$w" |
	etl-map --set "source='activity'" --cast id=string --rename id=source_id,action=event \
		--select "$cols" -o "$work/activity.ndjson"
land activity

w=$(wm orders)
etl-extract-pg --db "$shop" -t orders --since-column updated_at --since "$w" |
	etl-map --set "source='orders'" --cast id=string --set "event=concat('order_', status)" \
		--rename id=source_id,total=amount,created_at=occurred_at --select "$cols" -o "$work/orders.ndjson"
land orders

w=$(wm subscriptions)
etl-fetch-api "$API_URL/v1/events" --records events --paginate link --rate 4/s \
	--oauth2-token-url "$API_URL/oauth/token" --client-id-env API_CLIENT_ID \
	--client-secret-env API_CLIENT_SECRET --retries "${API_RETRIES:-5}" \
	--since-param since --since "$w" |
	etl-map --set "source='subscriptions'" --rename id=source_id,user.id=user_id,price=amount,created_at=occurred_at \
		--set "event=replace(type, '.', '_')" --cast amount=decimal --select "$cols" \
		-o "$work/subscriptions.ndjson"
land subscriptions
