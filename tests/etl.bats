#!/usr/bin/env bats
# tests/etl.bats - etl, the front door: the list of programs with their
# summaries, running a program by its short name (arguments, input, output
# and status passed through), manuals from the build tree, and usage errors.

load helpers/common

setup() {
	cd "$TMP" || return 1
}

@test "etl lists every program of the Makefile with the summary of its --help" {
	local p want
	run --separate-stderr etl
	assert_success
	assert_no_stderr
	assert_line --index 0 'Usage: etl NAME [ARG...]    run etl-NAME'
	for p in $(awk '/^PROGS *=/ { on = 1; sub(/^PROGS *=/, "") }
			on { cont = sub(/\\[ \t]*$/, ""); print; if (!cont) on = 0 }' "$ETL_ROOT/Makefile"); do
		want=$("$p" --help | sed -n 2p)
		assert_line --regexp "^  ${p#etl-} +$(printf '%s' "$want" | sed 's/[][\.*^$()+?{}|]/\\&/g')\$"
	done
	run --separate-stderr etl --help
	assert_success
	assert_line --index 0 'Usage: etl NAME [ARG...]    run etl-NAME'
}

@test "etl lists a program of the user's own on PATH, once even when found twice" {
	mkdir -p mine
	printf '#!/bin/sh\necho "Usage: etl-hello"\necho "Say hello."\n' >mine/etl-hello
	chmod +x mine/etl-hello
	PATH="$TMP/mine:$ETL_BIN:$PATH" run --separate-stderr etl
	assert_success
	assert_line --regexp '^  hello +Say hello\.$'
	assert_equal "$(grep -c '^  map ' <<<"$output")" 1
}

@test "etl NAME runs etl-NAME with the arguments, input, output and status" {
	printf '{"a":1}\n{"a":2}\n{"a":3}\n' >in.ndjson
	run --separate-stderr etl head -n 2 in.ndjson
	assert_success
	assert_output $'{"a":1}\n{"a":2}'
	run --separate-stderr bash -c 'etl etl-head --tail 1 <in.ndjson'
	assert_success
	assert_output '{"a":3}'
	printf 'oops\n' >bad.ndjson
	run --separate-stderr etl head bad.ndjson
	assert_failure 65
	assert_stderr "etl-head: bad.ndjson:1:1: invalid JSON: expected a JSON object"
}

@test "etl runs the programs beside it before those on PATH" {
	mkdir -p other
	printf '#!/bin/sh\necho impostor\n' >other/etl-head
	chmod +x other/etl-head
	PATH="$TMP/other:$PATH" run --separate-stderr "$ETL_BIN/etl" head -n 1 /dev/null
	assert_success
	assert_output ""
}

@test "etl help NAME shows the manual from the build tree" {
	MANPAGER=cat MANWIDTH=80 run --separate-stderr etl help head
	assert_success
	assert_line --regexp '^ +etl-head - the first or last N records, per group, or a random sample$'
	MANPAGER=cat MANWIDTH=80 run --separate-stderr etl help etl-head
	assert_success
	assert_line --regexp '^ +etl-head - the first or last N records'
	MANPAGER=cat MANWIDTH=80 run --separate-stderr etl help
	assert_success
	assert_line --regexp '^ +etl - '
	MANPAGER=cat MANWIDTH=80 run --separate-stderr etl help expr
	assert_success
	assert_line --regexp '^ +etl-expr - '
}

@test "an unknown program, a bad name or option is a usage error" {
	run --separate-stderr etl nosuch
	assert_failure 2
	assert_output ""
	assert_stderr "etl: 'nosuch' is not an etl program; 'etl' lists them"
	run --separate-stderr etl ../bin/etl-head
	assert_failure 2
	assert_stderr "etl: '../bin/etl-head' is not an etl program; 'etl' lists them"
	run --separate-stderr etl help 'a b'
	assert_failure 2
	assert_stderr "etl: help: 'a b' is not an etl program name"
	run --separate-stderr etl --bogus
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl: --bogus: unknown option"
}

@test "etl --version prints the version; a full disk is status 74" {
	run --separate-stderr etl --version
	assert_success
	assert_output --regexp '^etl [0-9]+\.[0-9]+\.[0-9]+$'
	run --separate-stderr bash -c 'etl --version >/dev/full'
	assert_failure 74
	assert_stderr "etl: standard output: No space left on device"
}

@test "bash completion: program names after etl, then the program's own options" {
	run bash -c "source '$ETL_ROOT/completions/etl.bash'
		COMP_WORDS=(etl he); COMP_CWORD=1; _etl_front_complete; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(etl head --ta); COMP_CWORD=2; _etl_front_complete; echo \"\${COMPREPLY[*]}\"
		COMP_WORDS=(etl help ag); COMP_CWORD=2; _etl_front_complete; echo \"\${COMPREPLY[*]}\""
	assert_success
	assert_output $'help head\n--tail\nagg'
}

@test "env.sh puts the build tree's programs and manuals in reach, once" {
	[[ -f $ETL_ROOT/build/man/man1/etl-head.1 ]] || skip "the manuals are built by make all into build/man"
	run bash -c "PATH=/usr/bin:/bin; . '$ETL_ROOT/env.sh'; . '$ETL_ROOT/env.sh'
		tr : '\n' <<<\"\$PATH\" | grep -c -x '$ETL_ROOT/bin'
		command -v etl-head
		MANPAGER=cat MANWIDTH=80 man etl-head 2>/dev/null | grep -m1 -- '- the first or last N'
		type -t _etl_front_complete"
	assert_success
	assert_line --index 0 1
	assert_line --index 1 "$ETL_ROOT/bin/etl-head"
	assert_line --index 2 --regexp '^ +etl-head - the first or last N records'
	assert_line --index 3 function
}
