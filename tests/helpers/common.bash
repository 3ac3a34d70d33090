# tests/helpers/common.bash - what every bats file of the project loads first
# (`load helpers/common`): bats-support and bats-assert, the programs on PATH,
# and a few small helpers.
#
# Environment (tests/run and `make check` set the first two):
#   ETL_BIN       the programs' folder (default: the repository's bin/)
#   ETL_BUILD     the build folder holding tests/tools/ndcat (default: build/)
#   ETL_TESTDATA  the shared conformance data (default: ../shared/testdata
#                 beside the repository)
#
# Exposed to the tests:
#   $ETL_ROOT  the repository root        $NDCAT     the ndcat test tool
#   $TESTDATA  the conformance data       $TMP       this test's own empty folder
#   $TESTS     the tests/ folder          $DATA      tests/data/

bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

ETL_ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
TESTS="$ETL_ROOT/tests"
DATA="$TESTS/data"
ETL_BIN="${ETL_BIN:-$ETL_ROOT/bin}"
ETL_BUILD="${ETL_BUILD:-$ETL_ROOT/build}"
NDCAT="$ETL_BUILD/tests/tools/ndcat"
TESTDATA="${ETL_TESTDATA:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/shared/testdata}"
TMP="${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-}}"
PATH="$ETL_BIN:$PATH"
export ETL_ROOT ETL_BIN ETL_BUILD NDCAT TESTDATA PATH

# Skip the test when the shared conformance data is not beside the repository
# (a clone without ../shared): such a run says so instead of failing.
require_testdata() {
	local sub=${1:-}

	[[ -d "$TESTDATA/$sub" ]] ||
		skip "conformance data missing: $TESTDATA/$sub (clone the repository beside shared/)"
}

# Skip when a program or tool has not been built yet.
require_program() {
	local p

	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || [[ -x "$p" ]] || skip "$p is not built"
	done
}

# assert_stderr TEXT: the captured stderr of `run --separate-stderr` is
# exactly TEXT (bats strips the final newline of both).
assert_stderr() {
	if [[ "$stderr" != "$1" ]]; then
		batslib_print_kv_single_or_multi 8 expected "$1" actual "$stderr" |
			batslib_decorate 'stderr differs' | fail
	fi
}

# assert_stderr_regex RE: stderr matches the extended regular expression RE.
assert_stderr_regex() {
	if ! [[ "$stderr" =~ $1 ]]; then
		batslib_print_kv_single_or_multi 8 regex "$1" actual "$stderr" |
			batslib_decorate 'stderr does not match' | fail
	fi
}

# assert_no_stderr: nothing at all was written to stderr.
assert_no_stderr() {
	assert_stderr ""
}

# assert_same_file EXPECTED ACTUAL: byte-for-byte equal, with a hex diff of
# the first difference when they are not.
assert_same_file() {
	if ! cmp -s -- "$1" "$2"; then
		{
			echo "expected: $1 ($(wc -c <"$1") bytes)"
			echo "actual:   $2 ($(wc -c <"$2") bytes)"
			cmp -- "$1" "$2" 2>&1 | head -1
			diff <(od -An -c -- "$1" | head -40) <(od -An -c -- "$2" | head -40) | head -20
		} | batslib_decorate 'files differ' | fail
	fi
}

# assert_bytes FILE TEXT: FILE holds exactly the bytes of printf '%b' TEXT.
assert_bytes() {
	printf '%b' "$2" >"$TMP/.expected"
	assert_same_file "$TMP/.expected" "$1"
}

# put FILE TEXT: write printf '%b' TEXT to FILE (relative to $TMP).
put() {
	local f=$1

	[[ $f == /* ]] || f="$TMP/$f"
	printf '%b' "$2" >"$f"
}

# json_get FILE FILTER: one jq value from a JSON file, as raw text.
json_get() {
	jq -r "$2" "$1"
}

# no_temp_files DIR: DIR holds no leftover temporary files of -o (".NAME.XXXXXX").
assert_no_temp_files() {
	local left

	left=$(find "$1" -maxdepth 1 -name '.*.??????' -print)
	if [[ -n $left ]]; then
		echo "temporary files left: $left" | batslib_decorate 'leftover files' | fail
	fi
}

# check_man_examples PROG MIN: run the ```-fenced "$ etl-..." examples of
# man/PROG.1.scd as a user does from the root of the sources (in a folder
# holding a copy of examples/, so that they read the files shipped there),
# each with pipefail, and compare what each prints with the lines the page
# shows under it (an example that shows nothing must still print something).
# Fails when fewer than MIN are found.
check_man_examples() {
	local page="$ETL_ROOT/man/$1.1.scd" min=$2 line cmd="" want="" inblock="" n=0
	local work="$BATS_TEST_TMPDIR/man-examples"

	mkdir -p "$work"
	cp -R "$ETL_ROOT/examples" "$work/examples"
	run_example() {
		[[ -n $cmd ]] || return 0
		n=$((n + 1))
		run --separate-stderr bash -c "set -o pipefail; cd '$work' && ${cmd#\$ }"
		assert_success
		if [[ -n $want ]]; then
			assert_output "${want%$'\n'}"
		else
			assert_output
		fi
		cmd="" want=""
	}
	while IFS= read -r line; do
		if [[ $line == '```' ]]; then
			if [[ -n $inblock ]]; then
				run_example
				inblock=""
			else
				inblock=1
			fi
			continue
		fi
		[[ -n $inblock ]] || continue
		if [[ $line == '$ etl-'* ]]; then
			run_example
			cmd=$line
		elif [[ -n $cmd ]]; then
			want+="$line"$'\n'
		fi
	done <"$page"
	((n >= min)) || fail "only $n examples found in $page"
}

# fault_shim: build tests/preload/fault.c once per file run; skip without cc.
fault_shim() {
	local so="$BATS_FILE_TMPDIR/fault.so"

	if [[ ! -f $so ]]; then
		command -v cc >/dev/null || skip "no C compiler for the fault-injection shim"
		cc -shared -fPIC -O1 -o "$so" "$TESTS/preload/fault.c" -ldl ||
			fail "cannot build the fault-injection shim"
	fi
	FAULT_SO=$so
	# a sanitizer build wants its runtime first; the shim only wraps libc
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
}

# all_programs: the Makefile's PROGS, one per line, for tests that run every
# program.
all_programs() {
	awk '
		/^PROGS[ \t]*[:+]?=/ { on = 1; sub(/^PROGS[ \t]*[:+]?=/, "") }
		on { cont = sub(/\\[ \t]*$/, ""); print; if (!cont) on = 0 }
	' "$ETL_ROOT/Makefile" | tr ' \t' '\n\n' | sed '/^$/d'
}
