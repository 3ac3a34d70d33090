#!/usr/bin/env bash
# tests/pg.sh - a throwaway PostgreSQL cluster for the tests, the demo and
# the examples.
#
#     eval "$(tests/pg.sh start DIR)"   # start a cluster, set PGHOST etc.
#     tests/pg.sh start DIR --logical   # the same, ready for logical decoding
#     tests/pg.sh env DIR               # print the export lines again
#     tests/pg.sh stop DIR              # stop it and remove its files
#
# The cluster listens only on a Unix socket (listen_addresses is empty), so
# two test files never share or collide on a TCP port, and nothing outside
# the machine can reach it.  It trades durability for speed (fsync off): it
# is for tests only.  `start` prints `export PGHOST=... PGPORT=...
# PGUSER=... PGDATABASE=...` lines for eval, plus ETL_PGDATA (the data
# directory, for tests that edit the server's configuration).
#
# initdb refuses to run as root.  Run as root, the script creates the system
# user `etltest` when missing and runs the server as that user; the cluster
# then lives in a fresh directory that `etltest` can reach (a test's DIR
# usually sits under a private 0700 parent), recorded in DIR/pgdir.  The
# superuser role is the user that runs the server (`etltest` under root), and
# PGUSER names it, so `psql` connects as a superuser.
#
# Authentication is `trust` on the socket, except for the role `etl_auth`
# (not created here), which must give a password: the tests of
# authentication failures use it.
#
# With --logical the cluster also decodes its WAL for change data capture:
# wal_level = logical, a few replication slots and WAL senders, and wal2json
# allowed as an output plugin (where the server restricts them).
#
# Exit status: 0, 1 on failure, 2 for usage, 3 when no PostgreSQL server
# is installed (the test files then skip their tests).
#
# Environment: PG_BINDIR overrides where initdb and pg_ctl are looked up
# (default: the newest /usr/lib/postgresql/*/bin, else PATH).
set -euo pipefail

die() {
	echo "pg.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: tests/pg.sh start DIR [--logical] | stop DIR | env DIR" >&2
	exit 2
}

bindir() {
	local d

	if [[ -n ${PG_BINDIR:-} ]]; then
		echo "$PG_BINDIR"
		return
	fi
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [[ -n $d && -x $d/initdb ]]; then
		echo "$d"
	elif command -v initdb >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
	else
		echo "pg.sh: initdb not found: install the PostgreSQL server (apt-get install postgresql)" >&2
		exit 3
	fi
}

# as_server CMD...: run CMD as the user that owns the cluster.
as_server() {
	if ((EUID == 0)); then
		runuser -u etltest -- "$@"
	else
		"$@"
	fi
}

server_user() {
	if ((EUID == 0)); then
		echo etltest
	else
		id -un
	fi
}

# The cluster's own directory: DIR itself, or the one recorded in DIR/pgdir.
clusterdir() {
	local dir=$1

	if [[ -f $dir/pgdir ]]; then
		cat "$dir/pgdir"
	else
		echo "$dir"
	fi
}

print_env() {
	local dir=$1 c

	c=$(clusterdir "$dir")
	[[ -f $c/data/PG_VERSION ]] || die "$dir: no cluster here (run: tests/pg.sh start $dir)"
	printf 'export PGHOST=%q\n' "$c"
	printf 'export PGPORT=5432\n'
	printf 'export PGUSER=%q\n' "$(cat "$c/user")"
	printf 'export PGDATABASE=postgres\n'
	printf 'export ETL_PGDATA=%q\n' "$c/data"
	# no password file or service of the caller's may interfere
	printf 'unset PGPASSWORD PGSERVICE PGHOSTADDR PGOPTIONS\n'
}

start() {
	local dir=$1 logical=${2:-} bin c user

	bin=$(bindir)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[[ -f $(clusterdir "$dir")/data/PG_VERSION ]] && die "$dir: a cluster is there already"
	if ((EUID == 0)); then
		id etltest >/dev/null 2>&1 ||
			useradd --system --no-create-home --shell /usr/sbin/nologin etltest
		c=$(mktemp -d "${TMPDIR:-/tmp}/etl-pg.XXXXXX")
		chown etltest: "$c"
		chmod 755 "$c"
		runuser -u etltest -- test -w "$c" ||
			die "$c: the user etltest cannot write there (set TMPDIR to a reachable folder)"
		echo "$c" >"$dir/pgdir"
	else
		c=$dir
	fi
	# a socket path is limited to about 100 bytes
	((${#c} < 90)) || die "$c: path too long for a Unix socket; use a shorter DIR"
	user=$(server_user)
	echo "$user" >"$c/user"
	as_server "$bin/initdb" -D "$c/data" -U "$user" --auth=trust --encoding=UTF8 --no-locale \
		--no-sync >"$c/initdb.log" 2>&1 || {
		cat "$c/initdb.log" >&2
		stop "$dir"
		die "initdb failed"
	}
	as_server tee -a "$c/data/postgresql.conf" >/dev/null <<EOF
listen_addresses = ''
unix_socket_directories = '$c'
port = 5432
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 40
EOF
	if [[ -n $logical ]]; then
		as_server tee -a "$c/data/postgresql.conf" >/dev/null <<EOF
wal_level = logical
max_replication_slots = 30
max_wal_senders = 20
wal_sender_timeout = 10s
EOF
		# a server built to restrict output plugins lists the allowed ones
		if as_server "$bin/postgres" -D "$c/data" -C output_plugin_libraries >/dev/null 2>&1; then
			echo "output_plugin_libraries = 'pgoutput, test_decoding, wal2json'" |
				as_server tee -a "$c/data/postgresql.conf" >/dev/null
		fi
	fi
	as_server sh -c 'f=$1; { echo "local all etl_auth scram-sha-256"; cat "$f"; } >"$f.new" &&
		mv "$f.new" "$f"' sh "$c/data/pg_hba.conf"
	as_server "$bin/pg_ctl" -D "$c/data" -l "$c/server.log" -w -t 60 start >/dev/null || {
		cat "$c/server.log" >&2
		stop "$dir"
		die "the server did not start"
	}
	print_env "$dir"
}

stop() {
	local dir=$1 bin c

	bin=$(bindir)
	[[ -d $dir ]] || return 0
	c=$(clusterdir "$dir")
	if [[ -f $c/data/postmaster.pid ]]; then
		as_server "$bin/pg_ctl" -D "$c/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "${c:?}/data" "$c/user" "$c/initdb.log" "$c/server.log"
	if [[ $c != "$dir" ]]; then
		rm -rf "$c"
		rm -f "$dir/pgdir"
	fi
}

(($# == 2)) || [[ $# == 3 && $1 == start && $3 == --logical ]] || usage
case $1 in
start) start "$2" "${3:-}" ;;
stop) stop "$2" ;;
env) print_env "$2" ;;
*) usage ;;
esac
