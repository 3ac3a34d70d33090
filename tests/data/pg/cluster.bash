# tests/data/pg/cluster.bash - one throwaway PostgreSQL cluster per bats file
# (tests/pg.sh), for the suites of etl-state, etl-extract-pg and etl-load-pg.
#
#     load data/pg/cluster
#     setup_file() { pg_setup_file; }    # pg_setup_file --logical: for CDC
#     teardown_file() { pg_teardown_file; }
#
# The tests then find PGHOST, PGPORT, PGUSER (a superuser) and PGDATABASE in
# the environment, so both psql and the programs connect without options.
# sql TEXT runs statements and prints bare tab-separated rows.

pg_setup_file() {
	local rc=0

	"$BATS_TEST_DIRNAME/pg.sh" start "$BATS_FILE_TMPDIR/pg" "$@" >"$BATS_FILE_TMPDIR/pg.env" || rc=$?
	((rc == 3)) && skip "no PostgreSQL server installed"
	((rc == 0)) || return "$rc"
	# shellcheck disable=SC1091
	source "$BATS_FILE_TMPDIR/pg.env"
	export PGHOST PGPORT PGUSER PGDATABASE ETL_PGDATA
}

pg_teardown_file() {
	"$BATS_TEST_DIRNAME/pg.sh" stop "$BATS_FILE_TMPDIR/pg"
}

# sql TEXT: run TEXT with psql, stop at the first error; rows unaligned,
# tab-separated, without headers.
sql() {
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -A -t -F $'\t' -c "$1"
}
