#!/usr/bin/env bash
# incremental/demo.sh - `make demo-incremental`: job.sh end to end against
# throwaway servers (servers.sh: PostgreSQL, MariaDB and the API, started
# here and stopped when the demo ends, also when it fails or is interrupted),
# offline, run through examples/run-job:
#
#   1. the first run loads the three sources into user_events;
#   2. a second run reads again only the rows at the watermarks, and changes
#      nothing;
#   3. new and changed rows in each source: the third run upserts them and
#      moves each watermark with its rows.
#
#     examples/incremental/demo.sh
#
# Works as root (the database servers then run as the system user etltest)
# and as any other user.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PATH=${ETL_BIN:-$root/bin}:$PATH

tmp=$(mktemp -d)
chmod 755 "$tmp"
cleanup() {
	"$here/servers.sh" stop "$tmp/servers" || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== throwaway servers: PostgreSQL (shop, warehouse), MariaDB (app), the API"
if ! env=$("$here/servers.sh" start "$tmp/servers"); then
	echo "demo: the servers did not start (tools/install-deps installs them)" >&2
	exit 1
fi
eval "$env"
export WORK=$tmp/work

sql() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d warehouse "$@"; }
digest() {
	sql -At -c "SELECT count(*) || ' rows, ' || md5(string_agg(t::text, ';' ORDER BY source, source_id))
		|| ', watermarks ' || (SELECT string_agg(name || '=' || value, ' ' ORDER BY name) FROM etl_state)
		FROM user_events t"
}
run() {
	"$here/../run-job" --name incremental --report "$WORK/activity.report.json" \
		--report "$WORK/orders.report.json" --report "$WORK/subscriptions.report.json" \
		"$here/job.sh"
}

echo
echo "== run 1: everything is new"
run
sql -c 'SELECT source, source_id, user_id, event, amount, occurred_at FROM user_events
	ORDER BY source, source_id'
first=$(digest)
echo "after run 1: $first"

echo
echo "== run 2: nothing changed; the rows at the watermarks are read again"
run
second=$(digest)
echo "after run 2: $second"
if [[ $first != "$second" ]]; then
	echo "demo: the second run changed the table" >&2
	exit 1
fi
echo "identical, row for row"

echo
echo "== run 3: an order is paid, a user logs out, a trial becomes a subscription"
psql -X -q -v ON_ERROR_STOP=1 -d shop -c \
	"UPDATE orders SET status = 'paid', updated_at = now() WHERE id = 103"
mariadb --defaults-file="$MYSQL_DEFAULTS_FILE" -D app -e \
	"INSERT INTO user_activity (id, user_id, action) VALUES (7, 'u-1', 'logout')"
echo "{\"id\":\"ev-8\",\"user\":{\"id\":\"u-5\"},\"type\":\"subscription.started\",\"plan\":\"basic\",\"price\":\"5.00\",\"created_at\":\"$(date -u +%FT%TZ)\",\"updated_at\":\"$(date -u +%FT%TZ)\"}" \
	>>"$ETL_API_DIR/events.ndjson"
run
sql -c "SELECT source, source_id, user_id, event, amount FROM user_events
	WHERE updated_at > now() - interval '1 hour' ORDER BY source, source_id"
echo "after run 3: $(digest)"
