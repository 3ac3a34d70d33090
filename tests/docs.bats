#!/usr/bin/env bats
# tests/docs.bats - the documentation says what the programs do: for every
# program in the Makefile's PROGS, each long option that --help prints is in
# its man page and in both completion scripts; each man page has the sections
# of CONVENTIONS section 5 and compiles with scdoc; and the EXAMPLES of each
# man page and of etl(7) (the lines "$ etl-..." of their scdoc source) run and
# exit 0.
#
# Examples run with bash -o pipefail from the repository's root, in a fresh
# copy of examples/ (so they read the files shipped there, examples/sales.csv
# and examples/data/..., as a user who tries them does, and write files
# freely).  Every page renders without a warning from mandoc -Tlint or
# groff -ww; `make install PREFIX=DIR` installs what man(1) and a shell need.
# An example that calls an etl program the Makefile does not build (yet) is
# left out with a note; one that calls a listed program that was not built
# fails.

load helpers/common

SECTIONS=(NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO")

# progs: the Makefile's PROGS, one per line (continuation lines included).
progs() {
	awk '
		/^PROGS[ \t]*[:+]?=/ { on = 1; sub(/^PROGS[ \t]*[:+]?=/, "") }
		on { cont = sub(/\\[ \t]*$/, ""); print; if (!cont) on = 0 }
	' "$ETL_ROOT/Makefile" | tr ' \t' '\n\n' | sed '/^$/d'
}

# long_options PROG: the long options --help lists, one per line, without "--"
# (for etl, the front door, those of its usage lines: "etl --version").
long_options() {
	"$ETL_BIN/$1" --help | sed -n -e 's/^ *\(-[A-Za-z0-9], \)\{0,1\}--\([A-Za-z0-9][A-Za-z0-9-]*\).*/\2/p' \
		-e 's/^\(Usage:\)\{0,1\} *etl --\([A-Za-z0-9][A-Za-z0-9-]*\).*/\2/p'
}

# examples FILE: the commands of the EXAMPLES section, one per line, with
# continuation lines joined.
examples() {
	awk '
		/^#+ / { on = ($0 ~ /^# EXAMPLES[ \t]*$/); next }
		!on { next }
		{
			line = $0
			if (pending != "") {
				sub(/^[ \t]+/, "", line)
				pending = pending " " line
			} else if (line ~ /^[ \t]*\$ etl-/) {
				sub(/^[ \t]*\$ /, "", line)
				pending = line
			} else {
				next
			}
			if (pending ~ /\\$/) {
				sub(/\\$/, "", pending)
				next
			}
			print pending
			pending = ""
		}
	' "$1"
}

setup() {
	mapfile -t PROGS < <(progs)
	((${#PROGS[@]} > 0)) || fail "no PROGS found in the Makefile"
}

@test "the Makefile lists programs and each is built" {
	local p missing=()

	for p in "${PROGS[@]}"; do
		[[ -x $ETL_BIN/$p ]] || missing+=("$p")
	done
	((${#missing[@]} == 0)) || fail "not built in $ETL_BIN: ${missing[*]}"
}

@test "every program has a man page with the required sections that scdoc compiles" {
	local p s man fails=()

	for p in "${PROGS[@]}"; do
		man="$ETL_ROOT/man/$p.1.scd"
		if [[ ! -f $man ]]; then
			fails+=("$p: man/$p.1.scd is missing")
			continue
		fi
		for s in "${SECTIONS[@]}"; do
			grep -qx "# $s" "$man" || fails+=("$p: man page has no section '# $s'")
		done
		head -1 "$man" | grep -q "^$p(1)" || fails+=("$p: first line is not '$p(1)'")
		scdoc <"$man" >/dev/null 2>"$BATS_TEST_TMPDIR/err" ||
			fails+=("$p: scdoc: $(cat "$BATS_TEST_TMPDIR/err")")
	done
	((${#fails[@]} == 0)) || fail "$(printf '%s\n' "${fails[@]}")"
}

@test "etl(7) exists, has its sections and compiles" {
	local man="$ETL_ROOT/man/etl.7.scd" s

	[[ -f $man ]] || fail "man/etl.7.scd is missing"
	head -1 "$man" | grep -q '^etl(7)' || fail "first line is not 'etl(7)'"
	for s in NAME DESCRIPTION "EXIT STATUS" "SEE ALSO"; do
		grep -qx "# $s" "$man" || fail "etl(7) has no section '# $s'"
	done
	scdoc <"$man" >/dev/null
}

@test "every long option of --help is in the program's man page" {
	local p o fails=() man

	for p in "${PROGS[@]}" etl; do
		man="$ETL_ROOT/man/$p.1.scd"
		[[ -x $ETL_BIN/$p ]] || { fails+=("$p: not built"); continue; }
		[[ -f $man ]] || { fails+=("$p: no man page"); continue; }
		for o in $(long_options "$p"); do
			grep -qF -- "--$o" "$man" || fails+=("$p: --$o is not in man/$p.1.scd")
		done
	done
	((${#fails[@]} == 0)) || fail "$(printf '%s\n' "${fails[@]}")"
}

@test "every long option of --help is in the bash and zsh completions" {
	local p o f fails=()

	for f in etl.bash _etl; do
		[[ -f $ETL_ROOT/completions/$f ]] || fails+=("completions/$f is missing")
	done
	((${#fails[@]} == 0)) || fail "$(printf '%s\n' "${fails[@]}")"
	for p in "${PROGS[@]}" etl; do
		[[ -x $ETL_BIN/$p ]] || { fails+=("$p: not built"); continue; }
		for f in etl.bash _etl; do
			grep -qF -- "$p" "$ETL_ROOT/completions/$f" ||
				fails+=("$p: not named in completions/$f")
			for o in $(long_options "$p"); do
				grep -qF -- "--$o" "$ETL_ROOT/completions/$f" ||
					fails+=("$p: --$o is not in completions/$f")
			done
		done
	done
	((${#fails[@]} == 0)) || fail "$(printf '%s\n' "${fails[@]}")"
}

@test "the bash completion script loads in bash" {
	local f="$ETL_ROOT/completions/etl.bash"

	[[ -f $f ]] || fail "completions/etl.bash is missing"
	bash -n "$f"
	run bash -c "source '$f' && complete -p ${PROGS[0]}"
	assert_success
}

@test "the EXAMPLES of every man page run and exit 0" {
	local p man cmd prog fails=() ran=0 left=() work="$BATS_TEST_TMPDIR/data" rc

	[[ -d $ETL_ROOT/examples/data ]] || fail "examples/data is missing: no files for the examples"
	for p in "${PROGS[@]}" etl.7; do
		man="$ETL_ROOT/man/$p.1.scd"
		[[ $p == *.7 ]] && man="$ETL_ROOT/man/$p.scd"
		[[ -f $man ]] || { fails+=("$p: no man page"); continue; }
		while IFS= read -r cmd; do
			# every etl program the example calls must exist
			local unknown=
			for prog in $(grep -o 'etl-[a-z0-9-]*' <<<"$cmd" | sort -u); do
				[[ " ${PROGS[*]} " == *" $prog "* ]] || unknown+=" $prog"
			done
			if [[ -n $unknown ]]; then
				left+=("$p: '$cmd' (calls$unknown, not in PROGS)")
				continue
			fi
			rm -rf "$work"
			mkdir "$work"
			cp -R "$ETL_ROOT/examples" "$work/examples"
			rc=0
			(cd "$work" && timeout 60 bash -o pipefail -c "$cmd") \
				>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" </dev/null || rc=$?
			ran=$((ran + 1))
			((rc == 0)) || fails+=("$p: '$cmd' exited $rc: $(head -c 300 "$BATS_TEST_TMPDIR/err")")
		done < <(examples "$man")
	done
	((${#left[@]} == 0)) || printf '# left out: %s\n' "${left[@]}" >&3
	echo "# $ran examples run" >&3
	((${#fails[@]} == 0)) || fail "$(printf '%s\n' "${fails[@]}")"
	((ran > 0)) || fail "no example found in the man pages' EXAMPLES sections"
}

@test "the tests cover every program: etl and each of PROGS" {
	local p n

	for p in etl-extract-mysql etl-fetch-api etl-validate; do
		[[ " ${PROGS[*]} " == *" $p "* ]] || fail "$p is not in the Makefile's PROGS"
	done
	run long_options etl
	assert_output "version"
	n=$(long_options etl-validate | wc -l)
	((n > 30)) || fail "only $n long options found in etl-validate --help"
}

# pages: every built man page, one per line.
pages() {
	ls "$ETL_ROOT"/man/*.1 "$ETL_ROOT"/man/*.7
}

@test "every man page renders without warnings (mandoc -Tlint, groff -t -ww)" {
	local page fails=() n=0

	command -v mandoc >/dev/null || fail "mandoc is not installed (tools/install-deps)"
	command -v groff >/dev/null || fail "groff is not installed (tools/install-deps)"
	while IFS= read -r page; do
		n=$((n + 1))
		mandoc -Tlint -W warning "$page" >"$BATS_TEST_TMPDIR/lint" 2>&1 ||
			fails+=("$(cat "$BATS_TEST_TMPDIR/lint")")
		[[ ! -s $BATS_TEST_TMPDIR/lint ]] || fails+=("$(cat "$BATS_TEST_TMPDIR/lint")")
		# -t: tables through tbl, as man(1) does
		groff -t -ww -man -Tutf8 "$page" 2>"$BATS_TEST_TMPDIR/groff" >/dev/null ||
			fails+=("$page: groff failed")
		[[ ! -s $BATS_TEST_TMPDIR/groff ]] || fails+=("$page: $(cat "$BATS_TEST_TMPDIR/groff")")
	done < <(pages)
	((n == ${#PROGS[@]} + 3)) || fails+=("$n pages built, expected ${#PROGS[@]} + 3 (etl.1, etl.7, etl-expr.7)")
	((${#fails[@]} == 0)) || fail "$(printf '%s\n' "${fails[@]}")"
}

@test "the man pages' examples name files that are shipped in examples/" {
	local f fails=()

	for f in "$ETL_ROOT"/man/*.scd; do
		while IFS= read -r line; do
			fails+=("$(basename "$f"): $line")
		done < <(awk '/^#+ /{ on = ($0 ~ /^# EXAMPLES/) } on' "$f" | grep -n -e '\.\./' -e 'tests/data')
	done
	((${#fails[@]} == 0)) || fail "$(printf '%s\n' "${fails[@]}")"
}

@test "the README's first pipeline reads a file that exists" {
	local f

	f=$(grep -m 1 -o 'etl-from-csv [^|]*' "$ETL_ROOT/README.md" | awk '{ print $NF }')
	[[ $f == examples/sales.csv ]] || fail "the README's first pipeline reads '$f'"
	[[ -f $ETL_ROOT/$f ]]
}

@test "make install PREFIX=DIR installs programs, pages and completions that work" {
	local d=$BATS_TEST_TMPDIR/inst p

	command -v man >/dev/null || skip "man is not installed"
	run env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ETL_ROOT" O="$ETL_BUILD" B="$ETL_BIN" \
		install PREFIX="$d"
	assert_success
	for p in etl "${PROGS[@]}"; do
		[[ -x $d/bin/$p ]] || fail "bin/$p was not installed"
		[[ -f $d/share/man/man1/$p.1 ]] || fail "man1/$p.1 was not installed"
		[[ -f $d/share/bash-completion/completions/$p ]] || fail "no bash completion for $p"
	done
	[[ -f $d/share/man/man7/etl.7 && -f $d/share/man/man7/etl-expr.7 ]]
	[[ -f $d/share/zsh/site-functions/_etl ]]
	run env MANPAGER=cat MANWIDTH=80 man -M "$d/share/man" etl-agg
	assert_success
	assert_output --partial 'etl-agg - group records and aggregate them'
	run env MANPAGER=cat man -M "$d/share/man" 7 etl
	assert_success
	run "$d/bin/etl-from-csv" "$ETL_ROOT/examples/sales.csv"
	assert_success
	assert_line --index 0 --partial '"order_id":"1001"'
	run env PATH="$d/bin:/usr/bin:/bin" etl map --version
	assert_success
	assert_output --partial 'etl-map '
}
