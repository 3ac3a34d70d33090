# tests/data/mysql/server.bash - one throwaway MariaDB server per bats file
# (tests/mariadb.sh), for the suite of etl-extract-mysql.
#
#     load data/mysql/server
#     setup_file() { my_setup_file; }
#     teardown_file() { my_teardown_file; }
#
# HOME is then a folder of the file's own whose ~/.my.cnf names the server's
# socket, the user root and the database etltest, so that both the mariadb
# client and the programs connect without options, as a user's option file
# makes them.  msql TEXT runs statements and prints bare tab-separated rows.

my_setup_file() {
	local rc=0

	"$BATS_TEST_DIRNAME/mariadb.sh" start "$BATS_FILE_TMPDIR/my" >"$BATS_FILE_TMPDIR/my.env" || rc=$?
	((rc == 3)) && skip "no MariaDB server installed"
	((rc == 0)) || return "$rc"
	# shellcheck disable=SC1091
	source "$BATS_FILE_TMPDIR/my.env"
	export MYSQL_UNIX_PORT ETL_MYCNF ETL_MYSQL_DIR
	export HOME="$BATS_FILE_TMPDIR/home"
	mkdir -p "$HOME"
	cp "$ETL_MYCNF" "$HOME/.my.cnf"
}

my_teardown_file() {
	"$BATS_TEST_DIRNAME/mariadb.sh" stop "$BATS_FILE_TMPDIR/my"
}

# msql TEXT: run TEXT with the mariadb client, stop at the first error; rows
# tab-separated, without headers.
msql() {
	mariadb --batch --skip-column-names -e "$1"
}
