#!/usr/bin/env bats
# tests/ndjson.bats - reading NDJSON, through ndcat (the library's validating
# pass-through): JSONTestSuite conformance, the reader's edge cases, field
# access with -f, several inputs, and the record counts of --stats.
#
# JSONTestSuite documents are turned into one NDJSON line each (jts_line): a
# final newline is dropped, other newlines become spaces (in a valid document
# they can only be white space between tokens), and a document whose top
# level is not an object is wrapped as {"v":DOC}, because NDJSON records are
# objects.  The i_ verdicts are pinned in I_VERDICTS below and documented in
# etl(7), section CONFORMANCE; the two must agree.

load helpers/common

JTS="$TESTDATA/JSONTestSuite/test_parsing"

setup() {
	[[ -x $NDCAT ]] || fail "ndcat is not built: $NDCAT (make check builds it)"
	cd "$TMP" || return 1
}

# jts_is_object FILE: does the document's first non-blank byte open an object?
jts_is_object() {
	[[ $(LC_ALL=C tr -d ' \t\r\n' <"$1" | head -c1 | od -An -tx1 | tr -d ' \n') == 7b ]]
}

# jts_line SRC DST: the document as one NDJSON line (see the top of the file).
jts_line() {
	local src=$1 dst=$2 obj=

	jts_is_object "$src" && obj=1
	{
		[[ $obj ]] || printf '{"v":'
		if [[ $(tail -c1 "$src" | od -An -tx1 | tr -d ' \n') == 0a ]]; then
			head -c -1 "$src"
		else
			cat "$src"
		fi | tr '\n' ' '
		[[ $obj ]] || printf '}'
		printf '\n'
	} >"$dst"
}

# has_inner_newline FILE: a newline other than a final one.
has_inner_newline() {
	local n

	n=$(tr -cd '\n' <"$1" | wc -c)
	[[ $(tail -c1 "$1" | od -An -tx1 | tr -d ' \n') == 0a ]] && n=$((n - 1))
	((n > 0))
}

# is_blank FILE: only spaces, tabs, CRs and newlines (no NDJSON record at all).
is_blank() {
	[[ -z $(LC_ALL=C tr -d ' \t\r\n' <"$1" | head -c1 | od -An -tx1) ]]
}

# The i_ documents (implementation-defined in RFC 8259): what etl does with
# each, as one NDJSON line made by jts_line.  Keep in step with etl(7).
I_VERDICTS='
i_number_double_huge_neg_exp accepted
i_number_huge_exp accepted
i_number_neg_int_huge_exp accepted
i_number_pos_double_huge_exp accepted
i_number_real_neg_overflow accepted
i_number_real_pos_overflow accepted
i_number_real_underflow accepted
i_number_too_big_neg_int accepted
i_number_too_big_pos_int accepted
i_number_very_big_negative_int accepted
i_object_key_lone_2nd_surrogate rejected
i_string_1st_surrogate_but_2nd_missing rejected
i_string_1st_valid_surrogate_2nd_invalid rejected
i_string_UTF-16LE_with_BOM rejected
i_string_UTF-8_invalid_sequence rejected
i_string_UTF8_surrogate_U+D800 rejected
i_string_incomplete_surrogate_and_escape_valid rejected
i_string_incomplete_surrogate_pair rejected
i_string_incomplete_surrogates_escape_valid rejected
i_string_invalid_lonely_surrogate rejected
i_string_invalid_surrogate rejected
i_string_invalid_utf-8 rejected
i_string_inverted_surrogates_U+1D11E rejected
i_string_iso_latin_1 rejected
i_string_lone_second_surrogate rejected
i_string_lone_utf8_continuation_byte rejected
i_string_not_in_unicode_range rejected
i_string_overlong_sequence_2_bytes rejected
i_string_overlong_sequence_6_bytes rejected
i_string_overlong_sequence_6_bytes_null rejected
i_string_truncated-utf-8 rejected
i_string_utf16BE_no_BOM rejected
i_string_utf16LE_no_BOM rejected
i_structure_500_nested_arrays accepted
i_structure_UTF-8_BOM_empty_object rejected
'

# nested D: one record of D objects nested through the key "a".
nested() {
	awk -v d="$1" 'BEGIN {
		for (i = 1; i < d; i++) printf "{\"a\":"
		printf "{}"
		for (i = 1; i < d; i++) printf "}"
		printf "\n"
	}'
}

# ---- JSONTestSuite ----

@test "JSONTestSuite y_ objects pass through byte-exact" {
	require_testdata JSONTestSuite/test_parsing
	local f name fails=() n=0 rc

	for f in "$JTS"/y_*.json; do
		jts_is_object "$f" || continue
		name=$(basename "$f" .json)
		jts_line "$f" "$name.ndjson"
		n=$((n + 1))
		rc=0
		"$NDCAT" "$name.ndjson" >"$name.out" 2>"$name.err" || rc=$?
		if ((rc != 0)); then
			fails+=("$name: exit $rc $(head -c 200 "$name.err")")
		elif ! cmp -s "$name.ndjson" "$name.out"; then
			fails+=("$name: output differs")
		elif [[ -s $name.err ]]; then
			fails+=("$name: wrote to stderr: $(head -c 200 "$name.err")")
		fi
	done
	echo "# y_ objects: $n checked" >&3
	((n >= 10)) || fail "only $n y_ objects found in $JTS"
	((${#fails[@]} == 0)) || fail "$(printf '%s\n' "${fails[@]}")"
}

@test "JSONTestSuite y_ values of every other kind, wrapped in an object, pass through byte-exact" {
	require_testdata JSONTestSuite/test_parsing
	local f name fails=() n=0 rc

	for f in "$JTS"/y_*.json; do
		jts_is_object "$f" && continue
		name=$(basename "$f" .json)
		jts_line "$f" "$name.ndjson"
		n=$((n + 1))
		rc=0
		"$NDCAT" "$name.ndjson" >"$name.out" 2>"$name.err" || rc=$?
		if ((rc != 0)); then
			fails+=("$name: exit $rc $(head -c 200 "$name.err")")
		elif ! cmp -s "$name.ndjson" "$name.out"; then
			fails+=("$name: output differs")
		fi
	done
	echo "# y_ other values: $n checked" >&3
	((n >= 60)) || fail "only $n y_ non-objects found in $JTS"
	((${#fails[@]} == 0)) || fail "$(printf '%s\n' "${fails[@]}")"
}

@test "JSONTestSuite y_ values pass through when read from a wanted field" {
	require_testdata JSONTestSuite/test_parsing
	local f name fails=() want got

	# the scanner's tracked path (-f) validates the same way and returns
	# the value's text as written
	for f in "$JTS"/y_*.json; do
		jts_is_object "$f" && continue
		name=$(basename "$f" .json)
		jts_line "$f" "$name.ndjson"
		want=$(head -c -2 "$name.ndjson" | tail -c +6 | sed 's/^[ \t]*//; s/[ \t]*$//')
		if ! got=$("$NDCAT" -f v "$name.ndjson" 2>&1); then
			fails+=("$name: $got")
		elif [[ $got != "$want" ]]; then
			fails+=("$name: got '$got', want '$want'")
		fi
	done
	((${#fails[@]} == 0)) || fail "$(printf '%s\n' "${fails[@]}")"
}

@test "JSONTestSuite n_ documents are bad records: status 65 and FILE:LINE:COL" {
	require_testdata JSONTestSuite/test_parsing
	local f name fails=() n=0 line rc msg rest

	for f in "$JTS"/n_*.json; do
		is_blank "$f" && continue # no record at all: next test
		name=$(basename "$f")
		n=$((n + 1))
		# the first line that is not blank is the bad record
		line=$(awk '!/^[ \t\r]*$/ { print NR; exit }' "$f")
		rc=0
		"$NDCAT" "$f" >/dev/null 2>err || rc=$?
		msg=$(cat err)
		rest=${msg#"ndcat: $f:$line:"}
		if ((rc != 65)); then
			fails+=("$name: exit $rc, expected 65")
		elif [[ $(wc -l <err) != 1 || $rest == "$msg" ]] || ! [[ $rest =~ ^[0-9]+:\ .+ ]]; then
			fails+=("$name: message: $(head -c 300 err)")
		fi
	done
	echo "# n_ documents: $n checked" >&3
	((n >= 180)) || fail "only $n n_ documents found in $JTS"
	((${#fails[@]} == 0)) || fail "$(printf '%s\n' "${fails[@]}")"
}

@test "JSONTestSuite n_ documents that are only white space hold no record" {
	require_testdata JSONTestSuite/test_parsing
	local f n=0

	for f in "$JTS"/n_*.json; do
		is_blank "$f" || continue
		n=$((n + 1))
		run --separate-stderr "$NDCAT" --stats stats.json "$f"
		assert_success
		assert_output ""
		assert_no_stderr
		assert_equal "$(json_get stats.json .records_in)" 0
	done
	((n > 0)) || skip "no blank n_ document in this JSONTestSuite"
}

@test "JSONTestSuite n_ documents stay bad inside an object (the scanner rejects them, not only the top level)" {
	require_testdata JSONTestSuite/test_parsing
	local f name fails=() n=0 left=0 col rc msg

	for f in "$JTS"/n_*.json; do
		name=$(basename "$f" .json)
		if has_inner_newline "$f"; then
			left=$((left + 1)) # newlines inside: not one line
			continue
		fi
		n=$((n + 1))
		{
			printf '{"v":'
			if [[ $(tail -c1 "$f" | od -An -tx1 | tr -d ' \n') == 0a ]]; then
				head -c -1 "$f"
			else
				cat "$f"
			fi
			printf '}\n'
		} >"$name.ndjson"
		rc=0
		"$NDCAT" "$name.ndjson" >/dev/null 2>err || rc=$?
		if ((rc != 65)); then
			fails+=("$name: exit $rc, expected 65")
			continue
		fi
		# the column points into the document, after '{"v":'
		msg=$(cat err)
		col=${msg#"ndcat: $name.ndjson:1:"}
		col=${col%%:*}
		if ! [[ $col =~ ^[0-9]+$ ]] || ((col < 6)); then
			fails+=("$name: message: $(head -c 300 err)")
		fi
	done
	echo "# n_ documents inside an object: $n checked, $left with inner newlines left out" >&3
	((n >= 180)) || fail "only $n n_ documents checked"
	((${#fails[@]} == 0)) || fail "$(printf '%s\n' "${fails[@]}")"
}

@test "JSONTestSuite i_ documents keep their pinned verdicts" {
	require_testdata JSONTestSuite/test_parsing
	local f name want got fails=() n=0 rc

	for f in "$JTS"/i_*.json; do
		name=$(basename "$f" .json)
		want=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$I_VERDICTS")
		if [[ -z $want ]]; then
			fails+=("$name: not in I_VERDICTS (add it there and to etl(7))")
			continue
		fi
		n=$((n + 1))
		jts_line "$f" "$name.ndjson"
		rc=0
		"$NDCAT" "$name.ndjson" >"$name.out" 2>"$name.err" || rc=$?
		if ((rc == 0)); then
			got=accepted
			cmp -s "$name.ndjson" "$name.out" || fails+=("$name: accepted but not byte-exact")
		else
			got=rejected
			((rc == 65)) || fails+=("$name: rejected with status $rc")
		fi
		[[ $got == "$want" ]] || fails+=("$name: $got, pinned as $want")
	done
	((n == $(grep -c '^i_' <<<"$I_VERDICTS"))) ||
		fails+=("I_VERDICTS names documents this JSONTestSuite does not have")
	((${#fails[@]} == 0)) || fail "$(printf '%s\n' "${fails[@]}")"
}

@test "etl(7) documents the same i_ verdicts as the tests pin" {
	local man="$ETL_ROOT/man/etl.7.scd" name want got fails=()

	[[ -f $man ]] || fail "man/etl.7.scd is missing"
	while read -r name want; do
		[[ -n $name ]] || continue
		# scdoc list items: "- NAME: VERDICT; WHY"
		got=$(awk -v n="$name" '
			$1 == "-" && $2 == n ":" { sub(/;$/, "", $3); print $3; exit }' "$man")
		[[ $got == "$want" ]] || fails+=("$name: etl(7) says '${got:-nothing}', tests pin '$want'")
	done <<<"$I_VERDICTS"
	((${#fails[@]} == 0)) || fail "$(printf '%s\n' "${fails[@]}")"
}

# ---- the reader ----

@test "CRLF line endings are accepted and not written back" {
	put in.ndjson '{"a":1}\r\n{"b":"x"}\r\n'
	"$NDCAT" in.ndjson >out
	assert_bytes out '{"a":1}\n{"b":"x"}\n'
}

@test "a missing final newline still ends a record" {
	put in.ndjson '{"a":1}\n{"b":2}'
	"$NDCAT" in.ndjson >out
	assert_bytes out '{"a":1}\n{"b":2}\n'
	put in2.ndjson '{"only":true}'
	"$NDCAT" in2.ndjson >out2
	assert_bytes out2 '{"only":true}\n'
}

@test "blank and white-space-only lines are skipped and not counted" {
	put in.ndjson '\n  \n\t\r\n{"a":1}\n\n \t \n{"b":2}\r\n\r\n'
	"$NDCAT" --stats stats.json in.ndjson >out
	assert_bytes out '{"a":1}\n{"b":2}\n'
	assert_equal "$(json_get stats.json .records_in)" 2
	assert_equal "$(json_get stats.json .records_out)" 2
	assert_equal "$(json_get stats.json .bad)" 0
}

@test "blank lines still count for line numbers in messages" {
	put in.ndjson '\n\n{"a":1}\n \n[1]\n'
	run --separate-stderr "$NDCAT" in.ndjson
	assert_failure 65
	assert_stderr "ndcat: in.ndjson:5:1: not a JSON object: an array"
}

@test "white space around a record is kept byte-exact" {
	put in.ndjson ' {"a":1} \n\t{"b":2}\t\n'
	"$NDCAT" in.ndjson >out
	assert_bytes out ' {"a":1} \n\t{"b":2}\t\n'
}

@test "a 50 MB line passes through byte-exact" {
	{
		printf '{"k":"'
		head -c 50000000 /dev/zero | tr '\0' 'x'
		printf '","n":1}\n{"next":true}\n'
	} >big.ndjson
	run --separate-stderr "$NDCAT" --stats stats.json big.ndjson -o out
	assert_success
	assert_same_file big.ndjson out
	assert_equal "$(json_get stats.json .records_in)" 2
	assert_equal "$(json_get stats.json .bytes_in)" "$(wc -c <big.ndjson)"
}

@test "a field of a 50 MB line is found" {
	{
		printf '{"k":"'
		head -c 50000000 /dev/zero | tr '\0' 'y'
		printf '","n":19.99}\n'
	} >big.ndjson
	run --separate-stderr "$NDCAT" -f n big.ndjson
	assert_success
	assert_output "19.99"
}

@test "a NUL byte makes a bad record" {
	printf '{"a":"x\0y"}\n' >in.ndjson
	run --separate-stderr "$NDCAT" in.ndjson
	assert_failure 65
	assert_stderr "ndcat: in.ndjson:1:8: NUL byte"
	printf '{"a":1}\0\n' >in2.ndjson
	run --separate-stderr "$NDCAT" in2.ndjson
	assert_failure 65
	assert_stderr "ndcat: in2.ndjson:1:8: NUL byte"
	printf '\0\n' >in3.ndjson
	run --separate-stderr "$NDCAT" in3.ndjson
	assert_failure 65
	assert_stderr "ndcat: in3.ndjson:1:1: NUL byte"
}

@test "invalid UTF-8 makes a bad record, at the first bad byte" {
	local -A cases=(
		[overlong]='{"a":"\xc0\xaf"}'
		[overlong3]='{"a":"ok\xe0\x80\xaf"}'
		[surrogate]='{"a":"\xed\xa0\x80"}'
		[above10ffff]='{"a":"\xf4\x90\x80\x80"}'
		[truncated]='{"a":"\xe2\x82"}'
		[latin1]='{"caf\xe9":1}'
		[continuation]='{"a":"\x80"}'
		[lead_ff]='{"a":"\xff"}'
		[value_ff]='{"a":\xff}'
		[key_ff]='{ \xff:1}'
		[after_ff]='{"a":1\xff}'
		[line_ff]='\xff'
		[value_truncated]='{"a":\xe2\x82}'
	)
	local -A cols=([overlong]=7 [overlong3]=9 [surrogate]=7 [above10ffff]=7 [truncated]=7
		[latin1]=6 [continuation]=7 [lead_ff]=7 [value_ff]=6 [key_ff]=3 [after_ff]=7
		[line_ff]=1 [value_truncated]=6)
	local k

	for k in "${!cases[@]}"; do
		put "$k.ndjson" "${cases[$k]}\n"
		run --separate-stderr "$NDCAT" "$k.ndjson"
		assert_failure 65
		assert_stderr "ndcat: $k.ndjson:1:${cols[$k]}: invalid UTF-8"
	done
}

@test "valid UTF-8 where JSON allows no text is invalid JSON, not invalid UTF-8" {
	put in.ndjson '{"a":\xc3\xa9}\n'
	run --separate-stderr "$NDCAT" in.ndjson
	assert_failure 65
	assert_stderr "ndcat: in.ndjson:1:6: invalid JSON: expected a value"
}

@test "valid UTF-8 of every length passes, noncharacters and U+10FFFF included" {
	put in.ndjson '{"s":"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\xef\xbf\xbe\xef\xb7\x90"}\n'
	"$NDCAT" in.ndjson >out
	assert_same_file in.ndjson out
}

@test "lines that are not objects are bad records" {
	local doc want

	while IFS='|' read -r doc want; do
		printf '%s\n' "$doc" >in.ndjson
		run --separate-stderr "$NDCAT" in.ndjson
		assert_failure 65
		assert_stderr "ndcat: in.ndjson:1:$want"
	done <<-'EOF'
	[]|1: not a JSON object: an array
	[{"a":1}]|1: not a JSON object: an array
	1|1: not a JSON object: a number
	-1.5|1: not a JSON object: a number
	"s"|1: not a JSON object: a string
	null|1: not a JSON object: null
	true|1: not a JSON object: a boolean
	false|1: not a JSON object: a boolean
	  [1]|3: not a JSON object: an array
	abc|1: invalid JSON: expected a JSON object
	{"a":1}{"b":2}|8: invalid JSON: unexpected data after the value
	{"a":1},|8: invalid JSON: unexpected data after the value
	{"a":1|7: invalid JSON: unexpected end of line, expected ',' or '}'
	{"a":[1,]}|9: invalid JSON: expected a value
	{"a":01}|7: invalid JSON: expected ',' or '}'
	{"a":"\ud800"}|7: invalid JSON: lone high surrogate in \u escape
	{"a":"\udc00"}|7: invalid JSON: lone low surrogate in \u escape
	{'a':1}|2: invalid JSON: expected a string key
	EOF
}

@test "nesting up to 1024 levels passes, 1025 is a bad record" {
	local d

	for d in 1023 1024; do
		nested $d >deep$d.ndjson
		"$NDCAT" deep$d.ndjson >out
		assert_same_file deep$d.ndjson out
		run --separate-stderr "$NDCAT" -f a.a.a deep$d.ndjson
		assert_success
	done
	nested 1025 >deep1025.ndjson
	run --separate-stderr "$NDCAT" deep1025.ndjson
	assert_failure 65
	assert_stderr "ndcat: deep1025.ndjson:1:5121: invalid JSON: nesting too deep"
	run --separate-stderr "$NDCAT" -f a.a deep1025.ndjson
	assert_failure 65
	assert_stderr "ndcat: deep1025.ndjson:1:5121: invalid JSON: nesting too deep"
	# arrays count the same; 100000 of them are refused without a crash
	{
		printf '{"a":'
		head -c 100000 /dev/zero | tr '\0' '['
		printf '\n'
	} >arrays.ndjson
	run --separate-stderr "$NDCAT" arrays.ndjson
	assert_failure 65
	assert_stderr "ndcat: arrays.ndjson:1:1029: invalid JSON: nesting too deep"
}

@test "numbers pass through as written: big integers, exponents, decimals" {
	put in.ndjson '{"big":12345678901234567890123,"neg":-98765432109876543210,"e":1e2,"E":1E+2,"price":19.99,"z":0.10,"m":-0,"tiny":1e-400,"huge":1e400}\n'
	"$NDCAT" in.ndjson >out
	assert_same_file in.ndjson out
	run --separate-stderr "$NDCAT" -f big,e,price,z,m,tiny in.ndjson
	assert_success
	assert_output "$(printf '12345678901234567890123\t1e2\t19.99\t0.10\t-0\t1e-400')"
}

# ---- field access (-f) ----

@test "-f reaches into nested objects" {
	put in.ndjson '{"a":{"b":{"c":42}},"x":1}\n{"a":{"b":{"c":"str"}}}\n{"a":{"b":{}}}\n'
	run --separate-stderr "$NDCAT" -f a.b.c in.ndjson
	assert_success
	assert_output "$(printf '42\n"str"\n(missing)')"
}

@test "-f prints raw values: strings with quotes and escapes, objects, arrays, null" {
	put in.ndjson '{"s":"a\\"b\\u00e9","o":{ "k" : [1, 2] },"l":[],"n":null,"t":true}\n'
	run --separate-stderr "$NDCAT" -f s,o,l,n,t in.ndjson
	assert_success
	assert_output "$(printf '"a\\"b\\u00e9"\t{ "k" : [1, 2] }\t[]\tnull\ttrue')"
}

@test "-f takes quoted keys that hold dots, commas and spaces" {
	put in.ndjson '{"a.b":{"c":1},"a":{"b":{"c":2}},"x,y":3,"p q":4,"":5}\n'
	run --separate-stderr "$NDCAT" -f '"a.b".c,a.b.c,"x,y","p q",""' in.ndjson
	assert_success
	assert_output "$(printf '1\t2\t3\t4\t5')"
}

@test "-f matches keys written with escapes by their decoded text" {
	put in.ndjson '{"\\u0061":1,"caf\\u00e9":2,"q\\"k":3,"\\ud83d\\ude00":4}\n'
	run --separate-stderr "$NDCAT" -f "a,café,\"q\\\"k\",😀" in.ndjson
	assert_success
	assert_output "$(printf '1\t2\t3\t4')"
}

@test "-f: with duplicate keys the last one wins" {
	put in.ndjson '{"a":1,"b":{"c":1},"a":2,"b":{"d":2}}\n'
	run --separate-stderr "$NDCAT" -f a,b.c,b.d,b in.ndjson
	assert_success
	assert_output "$(printf '2\t(missing)\t2\t{"d":2}')"
}

@test "-f: a missing field, or one under a value that is not an object, is missing" {
	put in.ndjson '{"a":[{"b":1}],"s":"x","n":null,"o":{}}\n'
	run --separate-stderr "$NDCAT" -f nope,a.b,s.x,n.x,o.x,o in.ndjson
	assert_success
	assert_output "$(printf '(missing)\t(missing)\t(missing)\t(missing)\t(missing)\t{}')"
}

@test "-f with a bad path is a usage error" {
	put in.ndjson '{"a":1}\n'
	# the option is named as it was written; the column is 1-based
	run --separate-stderr "$NDCAT" -f 'a..b' in.ndjson
	assert_failure 2
	assert_stderr "$(printf "ndcat: -f: column 3: empty field name\nTry 'ndcat --help' for more information.")"
	run --separate-stderr "$NDCAT" --fields '"a' in.ndjson
	assert_failure 2
	assert_stderr "$(printf "ndcat: --fields: column 3: unterminated quoted segment\nTry 'ndcat --help' for more information.")"
	run --separate-stderr "$NDCAT" --fields 'a,b c' in.ndjson
	assert_failure 2
	assert_stderr "$(printf "ndcat: --fields: column 4: expected ',' between field paths\nTry 'ndcat --help' for more information.")"
}

@test "-f still validates the whole record" {
	put in.ndjson '{"a":1,"b":[1,}\n'
	run --separate-stderr "$NDCAT" -f a in.ndjson
	assert_failure 65
	assert_stderr "ndcat: in.ndjson:1:15: invalid JSON: expected a value"
}

# ---- several inputs ----

@test "several files are read in order" {
	put a.ndjson '{"f":"a","n":1}\n{"f":"a","n":2}\n'
	put b.ndjson '{"f":"b","n":1}'
	put c.ndjson '\n{"f":"c","n":1}\n'
	"$NDCAT" a.ndjson b.ndjson c.ndjson >out
	assert_bytes out '{"f":"a","n":1}\n{"f":"a","n":2}\n{"f":"b","n":1}\n{"f":"c","n":1}\n'
}

@test "messages name the right file and line when there are several files" {
	put a.ndjson '{"n":1}\n{"n":2}\n{"n":3}\n'
	put b.ndjson '{"n":4}\n\n[5]\n'
	run --separate-stderr "$NDCAT" a.ndjson b.ndjson
	assert_failure 65
	assert_stderr "ndcat: b.ndjson:3:1: not a JSON object: an array"
	put c.ndjson '{"n":6}\nnope\n'
	run --separate-stderr "$NDCAT" --bad-records skip a.ndjson b.ndjson c.ndjson
	assert_success
	assert_stderr "$(printf '%s\n' \
		'ndcat: b.ndjson:3:1: not a JSON object: an array (skipped; further bad records are counted)' \
		'ndcat: 2 bad records skipped')"
	assert_output "$(printf '{"n":%s}\n' 1 2 3 4 6)"
}

@test "stdin is read for '-' and when no file is named" {
	put a.ndjson '{"from":"a"}\n'
	put b.ndjson '{"from":"b"}\n'
	"$NDCAT" <a.ndjson >out
	assert_bytes out '{"from":"a"}\n'
	"$NDCAT" - <a.ndjson >out
	assert_bytes out '{"from":"a"}\n'
	"$NDCAT" b.ndjson - b.ndjson <a.ndjson >out
	assert_bytes out '{"from":"b"}\n{"from":"a"}\n{"from":"b"}\n'
	put s.ndjson '{"ok":1}\n[2]\n'
	run --separate-stderr "$NDCAT" <s.ndjson
	assert_failure 65
	assert_stderr "ndcat: <stdin>:2:1: not a JSON object: an array"
}

@test "--stats: records_in = records_out + bad over mixed files" {
	put a.ndjson '{"n":1}\n[2]\n{"n":3}\n'
	put b.ndjson '\n{"n":4}\n{"n":\n5\n{"n":6}'
	run --separate-stderr "$NDCAT" --bad-records skip -q --stats stats.json a.ndjson b.ndjson
	assert_success
	assert_no_stderr
	assert_equal "$(json_get stats.json .records_in)" 7
	assert_equal "$(json_get stats.json .records_out)" 4
	assert_equal "$(json_get stats.json .bad)" 3
	assert_equal "$(json_get stats.json .dropped)" 0
	assert_equal "$(json_get stats.json '.records_in == .records_out + .bad + .dropped')" true
	assert_equal "$(json_get stats.json .bytes_in)" $(($(wc -c <a.ndjson) + $(wc -c <b.ndjson)))
}

# ---- the fixtures in tests/data/ndjson ----

@test "records.ndjson passes through byte-exact, alone and after itself" {
	"$NDCAT" "$DATA/ndjson/records.ndjson" >out
	assert_same_file "$DATA/ndjson/records.ndjson" out
	"$NDCAT" "$DATA/ndjson/records.ndjson" - <"$DATA/ndjson/records.ndjson" >out2
	cat "$DATA/ndjson/records.ndjson" "$DATA/ndjson/records.ndjson" >want2
	assert_same_file want2 out2
}

@test "records.ndjson: fields by path, quoted, duplicated, escaped and missing" {
	run --separate-stderr "$NDCAT" -f 'id,nested.a.b.c,"a.b".c,dup,"",esc,big' "$DATA/ndjson/records.ndjson"
	assert_success
	local m='(missing)'
	assert_output "$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
		1 $m $m $m $m $m $m \
		2 $m $m $m $m $m $m \
		3 true $m $m $m $m 12345678901234567890123 \
		4 $m $m $m $m $m $m \
		5 $m '"dotted key"' $m $m '"\ud83d\ude00"' $m \
		6 $m $m 2 '"empty key"' $m $m \
		7 $m $m $m $m $m $m \
		$m $m $m $m $m $m $m)"
}

@test "bad.ndjson: every line is a bad record, each with its location and reason" {
	run --separate-stderr "$NDCAT" -q --bad-records rej.ndjson --stats stats.json "$DATA/ndjson/bad.ndjson"
	assert_success
	assert_output ""
	assert_equal "$(jq -c '[.line,.column,.error]' rej.ndjson)" "$(cat <<-'EOF2'
	[1,1,"not a JSON object: an array"]
	[2,1,"not a JSON object: a string"]
	[3,8,"invalid JSON: expected a string key"]
	[4,7,"invalid JSON: expected ',' or '}'"]
	[5,7,"invalid JSON: lone high surrogate in \\u escape"]
	[6,8,"invalid JSON: unexpected data after the value"]
	[7,2,"invalid JSON: expected a string key"]
	[8,6,"invalid JSON: expected a value"]
	[9,20,"invalid JSON: unterminated string"]
	[10,7,"invalid UTF-8"]
	[11,8,"NUL byte"]
	EOF2
	)"
	assert_equal "$(jq -c '[.records_in,.records_out,.bad]' stats.json)" '[11,0,11]'
	# raw (or raw_base64) gives back each line exactly
	jq -r 'if .raw then .raw | @base64 else .raw_base64 end' rej.ndjson |
		while IFS= read -r b; do printf '%s' "$b" | base64 -d; printf '\n'; done >back
	assert_same_file "$DATA/ndjson/bad.ndjson" back
}
