#!/usr/bin/env bats
# tests/etl-join.bats - etl-join: every mode against a Python reference
# (tests/helpers/joinref.py) on generated data with keys repeated on both
# sides and spelled many ways; the record's own bytes kept; name clashes;
# the counts of --stats; usage errors with their exact messages.

load helpers/common

REF="$BATS_TEST_DIRNAME/helpers/joinref.py"

setup() {
	cd "$TMP" || return 1
}

stat_counts() {
	jq -r '"\(.records_in) \(.records_out) \(.bad) \(.dropped)"' "$1"
}

usage_error() {
	assert_failure 2
	assert_output ""
	assert_stderr "$1"$'\n'"Try 'etl-join --help' for more information."
}

@test "every mode equals the Python reference, with keys repeated on both sides" {
	python3 "$REF" gen 3000 400 1 in.ndjson side.ndjson
	for mode in inner left semi anti; do
		python3 "$REF" join "$mode" "" in.ndjson side.ndjson >want
		etl-join -k k --with side.ndjson --with-key id "--$mode" in.ndjson >got
		cmp want got || fail "--$mode differs from the reference"
		[[ $mode == semi || $mode == anti ]] && continue
		python3 "$REF" join "$mode" "s_" in.ndjson side.ndjson >want
		etl-join -k k --with side.ndjson --with-key id "--$mode" --prefix s_ in.ndjson >got
		cmp want got || fail "--$mode --prefix s_ differs from the reference"
	done
	# several matches per record and unmatched ones both occur
	python3 "$REF" join inner "" in.ndjson side.ndjson | wc -l >n_inner
	(($(cat n_inner) > 3000))
	python3 "$REF" join anti "" in.ndjson side.ndjson | wc -l >n_anti
	(($(cat n_anti) > 0))
}

@test "a --with file beyond --memory is joined by partitions on disk, with the same output" {
	python3 "$REF" gen 3000 400 2 in.ndjson side.ndjson
	for mode in inner left semi anti; do
		python3 "$REF" join "$mode" "p_" in.ndjson side.ndjson >want
		prefix=(--prefix p_)
		[[ $mode == semi || $mode == anti ]] && prefix=()
		[[ $mode == semi || $mode == anti ]] && python3 "$REF" join "$mode" "" in.ndjson side.ndjson >want
		etl-join -k k --with side.ndjson --with-key id "--$mode" "${prefix[@]}" \
			--memory 2k --temp-dir "$TMP" --stats st.json in.ndjson >got
		cmp want got || fail "--$mode --memory 2k differs from the reference"
		assert_equal "$(jq .records_out st.json)" "$(wc -l <want)"
	done
	assert_equal "$(find "$TMP" -name 'etl-*' | wc -l)" 0
}

@test "--sorted merges inputs sorted on the key, with the output of the reference" {
	python3 "$REF" gen 3000 400 3 in0 side0
	etl-sort -k k in0 >in.ndjson
	etl-sort -k id side0 >side.ndjson
	for mode in inner left semi anti; do
		python3 "$REF" join "$mode" "" in.ndjson side.ndjson >want
		etl-join -k k --with side.ndjson --with-key id "--$mode" --sorted --stats st.json in.ndjson >got
		cmp want got || fail "--$mode --sorted differs from the reference"
		assert_equal "$(jq .records_in st.json)" 3000
	done
}

@test "--sorted: a key with a null field in any place matches nothing; either side out of order is bad data" {
	put side.ndjson '{"a":1,"b":2,"s":2}\n{"a":1,"b":2,"s":3}\n{"a":1,"b":null,"s":1}\n{"a":2,"s":4}\n'
	put in.ndjson '{"a":1,"b":2}\n{"a":1,"b":null}\n{"a":2}\n'
	run --separate-stderr etl-join -k a,b --left --sorted --with side.ndjson in.ndjson
	assert_success
	assert_output $'{"a":1,"b":2,"s":2}\n{"a":1,"b":2,"s":3}\n{"a":1,"b":null}\n{"a":2}'
	put bad.ndjson '{"a":2}\n{"a":1}\n'
	run --separate-stderr etl-join -k a --sorted --with side.ndjson bad.ndjson
	assert_failure 65
	assert_stderr "etl-join: bad.ndjson:2: out of order: --sorted needs the input sorted on the key"
	run --separate-stderr etl-join -k a --sorted --with bad.ndjson in.ndjson
	assert_failure 65
	assert_stderr "etl-join: bad.ndjson:2: out of order: --sorted needs --with sorted on the key"
}

@test "a match adds the side's fields but its key before the closing brace; the record's bytes stay" {
	put side.ndjson '{"name":"Lamp","id":1,"tags":[1, 2]}\n{"id":2}\n'
	put in.ndjson '{ "pid" : 1.0 , "x":"1.50" }  \n{"pid":2}\n{"pid":"1"}\n'
	run --separate-stderr etl-join -k pid --with side.ndjson --with-key id in.ndjson
	assert_success
	assert_no_stderr
	assert_output $'{ "pid" : 1.0 , "x":"1.50" ,"name":"Lamp","tags":[1, 2]}  \n{"pid":2}'
}

@test "an empty record gets the fields without a comma; nested keys are looked up" {
	put side.ndjson '{"a":{"b":5},"v":true}\n'
	put in.ndjson '{"k":{"b":5e0}}\n'
	run --separate-stderr etl-join -k k.b --with side.ndjson --with-key a.b in.ndjson
	assert_success
	assert_output '{"k":{"b":5e0},"a":{"b":5},"v":true}'
	put side2.ndjson '{"id":1}\n'
	put in2.ndjson '{"id":1}\n'
	run --separate-stderr etl-join -k id --with side2.ndjson in2.ndjson
	assert_output '{"id":1}'
}

@test "null and missing keys match nothing, not even each other" {
	put side.ndjson '{"id":null,"s":1}\n{"s":2}\n{"id":0,"s":3}\n'
	put in.ndjson '{"id":null}\n{"x":1}\n{"id":-0.0}\n'
	run --separate-stderr etl-join -k id --left --stats st.json --with side.ndjson in.ndjson
	assert_success
	assert_output $'{"id":null}\n{"x":1}\n{"id":-0.0,"s":3}'
	assert_equal "$(stat_counts st.json)" "3 3 0 0"
}

@test "a field added under a name the record has is a bad record; --prefix keeps them apart" {
	put side.ndjson '{"id":1,"name":"Lamp"}\n'
	put in.ndjson '{"id":1,"name":"mine"}\n{"id":2,"name":"other"}\n'
	run --separate-stderr etl-join -k id --with side.ndjson in.ndjson
	assert_failure 65
	assert_output ""
	assert_stderr 'etl-join: in.ndjson:1: field "name" is also a field of side.ndjson; --prefix names them apart'
	run --separate-stderr etl-join -k id --with side.ndjson --left --bad-records skip -q --stats st.json in.ndjson
	assert_success
	assert_output '{"id":2,"name":"other"}'
	assert_equal "$(stat_counts st.json)" "2 1 1 0"
	run --separate-stderr etl-join -k id --with side.ndjson --prefix 'p_' in.ndjson
	assert_success
	assert_output '{"id":1,"name":"mine","p_name":"Lamp"}'
	run --separate-stderr etl-join -k id --with side.ndjson --prefix 'a"' in.ndjson
	assert_output '{"id":1,"name":"mine","a\"name":"Lamp"}'
}

@test "a clash is found however the record spells the name, and only in its own keys" {
	put side.ndjson '{"id":1,"name":"Lamp","a\\"b":2}\n'
	put in.ndjson '{"id":1,"n\\u0061me":"mine"}\n'
	run --separate-stderr etl-join -k id --with side.ndjson in.ndjson
	assert_failure 65
	assert_stderr 'etl-join: in.ndjson:1: field "n\u0061me" is also a field of side.ndjson; --prefix names them apart'
	put in.ndjson '{"id":1,"a\\"b":0}\n'
	run --separate-stderr etl-join -k id --with side.ndjson in.ndjson
	assert_failure 65
	assert_stderr 'etl-join: in.ndjson:1: field "a\"b" is also a field of side.ndjson; --prefix names them apart'
	put in.ndjson '{"id":1,"x":"name","y":{"name":1}}\n'
	run --separate-stderr etl-join -k id --with side.ndjson in.ndjson
	assert_success
	assert_output '{"id":1,"x":"name","y":{"name":1},"name":"Lamp","a\"b":2}'
}

@test "--stats counts the input's records only, once per match written" {
	put side.ndjson '{"id":1,"s":1}\n{"id":1,"s":2}\n{"id":3}\n'
	put in.ndjson '{"id":1}\n{"id":2}\n'
	run --separate-stderr etl-join -k id --with side.ndjson --stats st.json in.ndjson
	assert_output $'{"id":1,"s":1}\n{"id":1,"s":2}'
	assert_equal "$(stat_counts st.json)" "2 2 0 1"
	run --separate-stderr etl-join -k id --semi --with side.ndjson --stats st.json in.ndjson
	assert_output '{"id":1}'
	assert_equal "$(stat_counts st.json)" "2 1 0 1"
}

@test "a CSV file is read by etl-from-csv --infer: its numbers match the input's" {
	printf 'id,name,price\n17,Lamp,9.90\n18,"Chair, large",100\n' >products.csv
	put in.ndjson '{"pid":17}\n{"pid":18.0}\n{"pid":"17"}\n'
	run --separate-stderr etl-join -k pid --with products.csv --with-key id in.ndjson
	assert_success
	assert_no_stderr
	assert_output $'{"pid":17,"name":"Lamp","price":9.90}\n{"pid":18.0,"name":"Chair, large","price":100}'
	cp products.csv products.txt
	run --separate-stderr etl-join -k pid --with products.txt --with-format csv --with-key id --left --sorted in.ndjson
	assert_success
	assert_output $'{"pid":17,"name":"Lamp","price":9.90}\n{"pid":18.0,"name":"Chair, large","price":100}\n{"pid":"17"}'
	run --separate-stderr etl-join -k pid --with products.csv --with-format ndjson --with-key id in.ndjson
	assert_failure 65
	assert_stderr "etl-join: products.csv:1:1: invalid JSON: expected a JSON object"
}

@test "a CSV error stops the run with its file:line and status 65; records are numbered" {
	printf 'id,name\n1,"open\n' >bad.csv
	put in.ndjson '{"id":1}\n'
	run --separate-stderr etl-join -k id --with bad.csv in.ndjson
	assert_failure 65
	assert_output ""
	assert_stderr "etl-join: bad.csv:2:2: invalid CSV: quoted field not closed at the end of the file"
	printf 'id,name\n1,a\n2\n' >short.csv
	run --separate-stderr etl-join -k id --bad-records skip --with short.csv in.ndjson
	assert_failure 65
	assert_output ""
	assert_stderr "etl-join: short.csv:3: expected 2 fields, found 1"
	printf 'id\n2\n1\n' >unsorted.csv
	run --separate-stderr etl-join -k id --sorted --with unsorted.csv in.ndjson
	assert_failure 65
	assert_stderr "etl-join: unsorted.csv: record 2: out of order: --sorted needs --with sorted on the key"
	run --separate-stderr etl-join -k id --with x --with-format tsv in.ndjson
	usage_error "etl-join: --with-format: expected 'ndjson' or 'csv', got 'tsv'"
}

@test "a CSV --with is read in the process as etl-from-csv --infer reads it: delimiter detected" {
	printf 'id;name;price\n17;Lamp;9.90\n18;"Chair; large";\n' >products.csv
	put in.ndjson '{"pid":17}\n{"pid":18}\n'
	run --separate-stderr env PATH=/nonexistent "$ETL_BIN/etl-join" -k pid --with-key id \
		--with products.csv in.ndjson
	assert_success
	assert_no_stderr
	assert_output $'{"pid":17,"name":"Lamp","price":9.90}\n{"pid":18,"name":"Chair; large","price":null}'
}

@test "a bad record of --with is reported with its file and line" {
	put side.ndjson '{"id":1}\n[1]\n'
	put in.ndjson '{"id":1}\n'
	run --separate-stderr etl-join -k id --with side.ndjson in.ndjson
	assert_failure 65
	assert_stderr "etl-join: side.ndjson:2:1: not a JSON object: an array"
}

@test "usage errors name the option" {
	run --separate-stderr etl-join --with x in.ndjson
	usage_error "etl-join: --key: required: the input's key fields"
	run --separate-stderr etl-join -k a in.ndjson
	usage_error "etl-join: --with: required: the file to look records up in"
	run --separate-stderr etl-join -k a,b --with x --with-key c
	usage_error "etl-join: --with-key: 1 fields for the 2 of --key"
	run --separate-stderr etl-join -k a --with x --left --anti
	usage_error "etl-join: --anti: cannot be used with --left"
	run --separate-stderr etl-join -k a --with x --semi --prefix p_
	usage_error "etl-join: --prefix: cannot be used with --semi (it adds no field)"
	run --separate-stderr etl-join -k a --with x --prefix $'\xff'
	usage_error "etl-join: --prefix: not valid UTF-8"
	run --separate-stderr etl-join -k a --with x --sorted --memory 1M
	usage_error "etl-join: --memory: cannot be used with --sorted (it holds one key's records)"
	run --separate-stderr etl-join -k a --with x --sorted --temp-dir .
	usage_error "etl-join: --temp-dir: cannot be used with --sorted (it writes no temporary file)"
}

@test "the man page's examples print what they show" {
	check_man_examples etl-join 3
}
