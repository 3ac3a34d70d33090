#!/usr/bin/env bats
# tests/docs.bats - the documentation says what the programs do: for every
# program in the Makefile's PROGS, each long option that --help prints is in
# its man page and in both completion scripts; each man page has the sections
# of CONVENTIONS section 5 and compiles with scdoc; and the EXAMPLES of each
# man page and of etl(7) (the lines "$ etl-..." of their scdoc source) run and
# exit 0.
#
# Examples run with bash -o pipefail in csv/ of a fresh copy of tests/data/,
# so they may read the fixtures (../map/... included) and write files freely.
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

# long_options PROG: the long options --help lists, one per line, without "--".
long_options() {
	"$ETL_BIN/$1" --help | sed -n 's/^ *\(-[A-Za-z0-9], \)\{0,1\}--\([A-Za-z0-9][A-Za-z0-9-]*\).*/\2/p'
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

	for p in "${PROGS[@]}"; do
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
	for p in "${PROGS[@]}"; do
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

	[[ -d $DATA/csv ]] || skip "tests/data/csv is missing: no fixtures for the examples"
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
			cp -R "$DATA" "$work"
			rc=0
			(cd "$work/csv" && timeout 60 bash -o pipefail -c "$cmd") \
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
