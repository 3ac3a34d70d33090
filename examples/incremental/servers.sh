#!/usr/bin/env bash
# incremental/servers.sh - the three sources of job.sh and its warehouse, as
# throwaway servers on this machine, holding the example's data:
#
#     eval "$(examples/incremental/servers.sh start DIR)"
#     examples/incremental/servers.sh stop DIR
#
# start runs a PostgreSQL server (tests/pg.sh) with the databases shop
# (data/shop.sql) and warehouse, a MariaDB server (tests/mariadb.sh) with the
# database app (data/app.sql), and the test API server
# (tests/tools/apiserver.py) serving data/events.ndjson at /v1/events, each
# on a Unix socket or on 127.0.0.1 only; the data's day (@DAY@) is yesterday,
# UTC, so that it passes job.sh's freshness check.  It prints the settings of
# job.sh as export lines for eval, plus ETL_API_DIR, where the API's data
# (events.ndjson) and fault file (faults) are.  stop stops all three and
# removes their files.  The API server exits by itself after an hour; the
# others are started and stopped within 60 seconds.
#
# Exit status: 0, 1 when a server did not start, 2 for usage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

usage() {
	echo "usage: examples/incremental/servers.sh start|stop DIR" >&2
	exit 2
}
(($# == 2)) || usage
dir=$2

stop() {
	local pid
	if [[ -f $dir/api/pid ]]; then
		pid=$(cat "$dir/api/pid")
		kill "$pid" 2>/dev/null || true
		rm -rf "$dir/api"
	fi
	"$root/tests/mariadb.sh" stop "$dir/my" >/dev/null 2>&1 || true
	"$root/tests/pg.sh" stop "$dir/pg" >/dev/null 2>&1 || true
}

start() {
	local day env i
	mkdir -p "$dir/api"
	day=$(date -u -d yesterday +%F)

	env=$("$root/tests/pg.sh" start "$dir/pg") || return 1
	eval "$env"
	export PGTZ=UTC
	psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE shop' -c 'CREATE DATABASE warehouse'
	sed "s/@DAY@/$day/g" "$here/data/shop.sql" | psql -X -q -v ON_ERROR_STOP=1 -d shop
	echo "$env"
	printf 'export PGTZ=UTC SHOP_DB=dbname=shop DATABASE_URL=dbname=warehouse\n'

	env=$("$root/tests/mariadb.sh" start "$dir/my") || return 1
	eval "$env"
	mariadb --defaults-file="$ETL_MYCNF" -e 'CREATE DATABASE app'
	sed "s/@DAY@/$day/g" "$here/data/app.sql" | mariadb --defaults-file="$ETL_MYCNF" -D app
	echo "$env"
	printf 'export MYSQL_DEFAULTS_FILE=%q MYSQL_DATABASE=app\n' "$ETL_MYCNF"

	sed "s/@DAY@/$day/g" "$here/data/events.ndjson" >"$dir/api/events.ndjson"
	python3 "$root/tests/tools/apiserver.py" --port-file "$dir/api/port" --log /dev/null \
		--no-log --lifetime 3600 --data "$dir/api/events.ndjson" --faults "$dir/api/faults" \
		</dev/null >/dev/null 2>"$dir/api/server.log" &
	echo $! >"$dir/api/pid"
	for ((i = 0; i < 100; i++)); do
		[[ -s $dir/api/port ]] && break
		sleep 0.1
	done
	[[ -s $dir/api/port ]] || { cat "$dir/api/server.log" >&2; return 1; }
	printf 'export API_URL=http://127.0.0.1:%s API_CLIENT_ID=cl-id API_CLIENT_SECRET=cl-s3cr3t ETL_API_DIR=%q\n' \
		"$(cat "$dir/api/port")" "$dir/api"
}

case $1 in
start)
	start || {
		echo "servers.sh: a server did not start; stopping the others" >&2
		stop
		exit 1
	}
	;;
stop) stop ;;
*) usage ;;
esac
