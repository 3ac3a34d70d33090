#!/usr/bin/env bash
# tests/mariadb.sh - a throwaway MariaDB server for the tests and the examples.
#
#     eval "$(tests/mariadb.sh start DIR)"   # start a server, set the variables below
#     tests/mariadb.sh env DIR               # print the export lines again
#     tests/mariadb.sh stop DIR              # stop it and remove its files
#
# The server listens only on a Unix socket (--skip-networking), so two test
# files never share or collide on a TCP port, and nothing outside the machine
# can reach it.  It trades durability for speed: it is for tests only.
# `start` prints export lines for eval:
#
#   MYSQL_UNIX_PORT  the socket (libmariadb's default socket, when no option
#                    file names another)
#   ETL_MYCNF        an option file for --defaults-file and `mariadb
#                    --defaults-file`: the socket, the user root (no
#                    password) and the database `etltest`, created empty
#   ETL_MYSQL_DIR    the server's folder (its log is server.log there)
#
# mariadbd refuses to run as root without --user.  Run as root, the script
# creates the system user `etltest` when missing and runs the server as that
# user; the server then lives in a fresh directory that `etltest` can reach
# (a test's DIR usually sits under a private 0700 parent), recorded in
# DIR/mydir.  The account root@localhost logs in without a password.
#
# Starting and stopping are bounded in time (60 and 30 seconds); a server
# that does not stop in time is killed.
#
# Exit status: 0, 1 on failure, 2 for usage, 3 when no MariaDB server is
# installed (the test files then skip their tests).
set -euo pipefail

die() {
	echo "mariadb.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: tests/mariadb.sh start|stop|env DIR" >&2
	exit 2
}

need_server() {
	local p

	for p in mariadb-install-db mariadbd mariadb-admin; do
		command -v "$p" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v "$p" >/dev/null 2>&1 || {
			echo "mariadb.sh: $p not found: install the MariaDB server (apt-get install mariadb-server)" >&2
			exit 3
		}
	done
	PATH=$PATH:/usr/sbin
}

# as_server CMD...: run CMD as the user that owns the server.
as_server() {
	if ((EUID == 0)); then
		runuser -u etltest -- "$@"
	else
		"$@"
	fi
}

# The server's own directory: DIR itself, or the one recorded in DIR/mydir.
serverdir() {
	local dir=$1

	if [[ -f $dir/mydir ]]; then
		cat "$dir/mydir"
	else
		echo "$dir"
	fi
}

print_env() {
	local dir=$1 c

	c=$(serverdir "$dir")
	[[ -S $c/sock ]] || die "$dir: no server here (run: tests/mariadb.sh start $dir)"
	printf 'export MYSQL_UNIX_PORT=%q\n' "$c/sock"
	printf 'export ETL_MYCNF=%q\n' "$c/client.cnf"
	printf 'export ETL_MYSQL_DIR=%q\n' "$c"
	# no password or port of the caller's may interfere
	printf 'unset MYSQL_PWD MYSQL_TCP_PORT MYSQL_HOST\n'
}

admin() {
	local c=$1
	shift
	mariadb-admin --no-defaults --socket="$c/sock" --user=root --connect-timeout=5 "$@"
}

start() {
	local dir=$1 c i

	need_server
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[[ -S $(serverdir "$dir")/sock ]] && die "$dir: a server is there already"
	if ((EUID == 0)); then
		id etltest >/dev/null 2>&1 ||
			useradd --system --no-create-home --shell /usr/sbin/nologin etltest
		c=$(mktemp -d "${TMPDIR:-/tmp}/etl-my.XXXXXX")
		chown etltest: "$c"
		chmod 755 "$c"
		runuser -u etltest -- test -w "$c" ||
			die "$c: the user etltest cannot write there (set TMPDIR to a reachable folder)"
		echo "$c" >"$dir/mydir"
	else
		c=$dir
	fi
	# a socket path is limited to about 100 bytes
	((${#c} < 90)) || die "$c: path too long for a Unix socket; use a shorter DIR"
	# the server's temporary files go to its own folder: the caller's TMPDIR
	# may be one the server's user cannot write to
	as_server env TMPDIR="$c" mariadb-install-db --no-defaults --datadir="$c/data" --skip-test-db \
		--auth-root-authentication-method=normal >"$c/install.log" 2>&1 || {
		cat "$c/install.log" >&2
		stop "$dir"
		die "mariadb-install-db failed"
	}
	# detached from the caller's terminal and descriptors (bats waits for them)
	as_server setsid mariadbd --no-defaults --datadir="$c/data" --tmpdir="$c" --socket="$c/sock" \
		--skip-networking --pid-file="$c/mariadbd.pid" --log-error="$c/server.log" \
		--innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
		--innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --skip-log-bin \
		--performance-schema=off --skip-name-resolve --max-connections=40 \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
		</dev/null >/dev/null 2>&1 &
	for ((i = 0; i < 600; i++)); do
		admin "$c" ping >/dev/null 2>&1 && break
		sleep 0.1
	done
	if ((i == 600)); then
		cat "$c/server.log" >&2 || true
		stop "$dir"
		die "the server did not start within 60 seconds"
	fi
	mariadb --no-defaults --socket="$c/sock" --user=root -e 'CREATE DATABASE etltest'
	cat >"$c/client.cnf" <<EOF
[client]
socket = $c/sock
user = root
database = etltest
EOF
	print_env "$dir"
}

stop() {
	local dir=$1 c pid i

	need_server
	[[ -d $dir ]] || return 0
	c=$(serverdir "$dir")
	if [[ -f $c/mariadbd.pid ]]; then
		pid=$(cat "$c/mariadbd.pid")
		admin "$c" shutdown >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
		for ((i = 0; i < 300; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -rf "${c:?}/data" "$c/sock" "$c/sock.lock" "$c/client.cnf" "$c/install.log" \
		"$c/server.log" "$c/mariadbd.pid"
	if [[ $c != "$dir" ]]; then
		rm -rf "$c"
		rm -f "$dir/mydir"
	fi
}

(($# == 2)) || usage
case $1 in
start) start "$2" ;;
stop) stop "$2" ;;
env) print_env "$2" ;;
*) usage ;;
esac
