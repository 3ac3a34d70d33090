#!/usr/bin/env bats
# tests/etl-validate.bats - etl-validate: records a JSON Schema and --check
# rules accept pass through byte-exact; the others go to --rejects with
# every reason; a bad schema is a usage error with the pointer of the fault.

load helpers/common

V="$DATA/validate"

@test "valid records pass through byte-exact; invalid ones are counted on stderr" {
	run --separate-stderr etl-validate --schema "$V/orders.schema.json" "$V/orders.ndjson"
	assert_success
	assert_output - <<-'OUT'
	{"order_id":"O1001","qty":2,"unit_price":19.99,"currency":"EUR","date":"2026-11-24"}
	{"order_id":"O1004","qty":7,"unit_price":19.99,"currency":"USD"}
	OUT
	assert_stderr "etl-validate: $V/orders.ndjson:2: /qty: 0 is less than the minimum of 1
etl-validate: 2 invalid records dropped"
}

@test "--rejects lists every violation of each invalid record, with the record as read" {
	cd "$TMP"
	run --separate-stderr etl-validate -q --schema "$V/orders.schema.json" --rejects rej.ndjson \
		"$V/orders.ndjson"
	assert_success
	assert_equal "$(wc -l <rej.ndjson)" 2
	run cat rej.ndjson
	assert_output - <<-OUT
	{"file":"$V/orders.ndjson","line":2,"errors":[{"rule":"minimum","path":"/qty","schema_path":"/properties/qty/minimum","message":"0 is less than the minimum of 1"},{"rule":"multipleOf","path":"/unit_price","schema_path":"/properties/unit_price/multipleOf","message":"4.355 is not a multiple of 0.01"}],"record":{"order_id":"O1002","qty":0,"unit_price":4.355,"currency":"EUR","date":"2026-11-24"}}
	{"file":"$V/orders.ndjson","line":3,"errors":[{"rule":"pattern","path":"/order_id","schema_path":"/properties/order_id/pattern","message":"\"1003\" does not match the pattern ^O[0-9]{4}\$"},{"rule":"enum","path":"/currency","schema_path":"defs.json#/\$defs/currency/enum","message":"\"CHF\" is not one of the allowed values"},{"rule":"format","path":"/date","schema_path":"/properties/date/format","message":"\"2026-02-30\" is not a valid date"}],"record":{"order_id":"1003","qty":1,"unit_price":41.00,"currency":"CHF","date":"2026-02-30"}}
	OUT
}

@test "the summary names the reject file; stats count invalid records as dropped" {
	cd "$TMP"
	run --separate-stderr etl-validate --schema "$V/orders.schema.json" --rejects rej.ndjson \
		--stats st.json "$V/orders.ndjson"
	assert_success
	assert_stderr "etl-validate: $V/orders.ndjson:2: /qty: 0 is less than the minimum of 1
etl-validate: 2 invalid records written to rej.ndjson"
	run grep -o '"records_in":4,"records_out":2,"bad":0,"dropped":2' st.json
	assert_success
}

@test "--format-annotation does not check formats" {
	cd "$TMP"
	run --separate-stderr etl-validate -q --format-annotation --schema "$V/orders.schema.json" \
		--rejects rej.ndjson "$V/orders.ndjson"
	assert_success
	run grep -c '"rule":"format"' rej.ndjson
	assert_output 0
}

@test "numbers are exact: multipleOf on decimals, maximum beyond 2^53, 1 equals 1.0 but not true" {
	cd "$TMP"
	cat >s.json <<-'EOF'
	{"properties": {"p": {"multipleOf": 0.01}, "n": {"maximum": 9007199254740992},
	 "c": {"const": 1}, "u": {"uniqueItems": true}}}
	EOF
	printf '%s\n' '{"p":4.35}' '{"p":4.351}' '{"n":9007199254740992}' '{"n":9007199254740993}' \
		'{"c":1.0}' '{"c":true}' '{"u":[1,1.0]}' '{"u":[1,true]}' >in.ndjson
	run --separate-stderr etl-validate -q --schema s.json in.ndjson
	assert_success
	assert_output - <<-'OUT'
	{"p":4.35}
	{"n":9007199254740992}
	{"c":1.0}
	{"u":[1,true]}
	OUT
}

@test "--check rules: a false, null or failing rule makes the record invalid" {
	cd "$TMP"
	printf '%s\n' '{"qty":2,"status":"ok"}' '{"qty":0,"status":"ok"}' '{"void":true}' \
		'{"qty":"x"}' >in.ndjson
	run --separate-stderr etl-validate -c 'positive_qty: qty > 0' \
		-c 'qty_set: (not is_null(qty)) or void == true' --rejects rej.ndjson in.ndjson
	assert_success
	assert_output '{"qty":2,"status":"ok"}'
	run cat rej.ndjson
	assert_output - <<-'OUT'
	{"file":"in.ndjson","line":2,"errors":[{"rule":"positive_qty","path":"","schema_path":null,"message":"not true: qty > 0"}],"record":{"qty":0,"status":"ok"}}
	{"file":"in.ndjson","line":3,"errors":[{"rule":"positive_qty","path":"","schema_path":null,"message":"not true: qty > 0"}],"record":{"void":true}}
	{"file":"in.ndjson","line":4,"errors":[{"rule":"positive_qty","path":"","schema_path":null,"message":"qty > 0: cannot compare a string with a number"}],"record":{"qty":"x"}}
	OUT
}

@test "--at validates the value at a path; a record without it is invalid" {
	cd "$TMP"
	run --separate-stderr etl-validate --schema "$V/orders.schema.json" --at after \
		--rejects rej.ndjson "$V/events.ndjson"
	assert_success
	assert_output '{"_op":"insert","after":{"order_id":"O2001","qty":1,"unit_price":5.00,"currency":"EUR"}}'
	run cat rej.ndjson
	assert_output - <<-OUT
	{"file":"$V/events.ndjson","line":2,"errors":[{"rule":"minimum","path":"/qty","schema_path":"/properties/qty/minimum","message":"-1 is less than the minimum of 1"}],"record":{"_op":"update","after":{"order_id":"O2001","qty":-1,"unit_price":5.00,"currency":"EUR"}}}
	{"file":"$V/events.ndjson","line":3,"errors":[{"rule":"at","path":"","schema_path":null,"message":"the record has no field after"}],"record":{"_op":"delete"}}
	OUT
}

@test "a relative \$ref resolves against the schema file; --resolve maps absolute URIs to a folder" {
	cd "$TMP"
	mkdir -p sub schemas
	echo '{"$ref": "sub/b.json"}' >a.json
	echo '{"$ref": "https://example.com/s/c.json#/$defs/pos"}' >sub/b.json
	echo '{"$defs": {"pos": {"properties": {"x": {"minimum": 0}}}}}' >schemas/c.json
	printf '%s\n' '{"x":1}' '{"x":-1}' >in.ndjson
	run --separate-stderr etl-validate -q --schema a.json --resolve https://example.com/s/=schemas \
		in.ndjson
	assert_success
	assert_output '{"x":1}'
	run --separate-stderr etl-validate --schema a.json in.ndjson
	assert_failure 2
	assert_stderr "etl-validate: --schema: sub/b.json#/\$ref: cannot resolve the reference 'https://example.com/s/c.json#/\$defs/pos'"
}

@test "\$dynamicRef extends a recursive schema found through --resolve" {
	cd "$TMP"
	mkdir -p schemas
	cat >schemas/tree <<-'EOF'
	{"$id": "https://example.com/tree", "$dynamicAnchor": "node", "type": "object",
	 "properties": {"data": true, "children": {"type": "array", "items": {"$dynamicRef": "#node"}}}}
	EOF
	cat >strict.json <<-'EOF'
	{"$id": "https://example.com/strict-tree", "$dynamicAnchor": "node",
	 "$ref": "tree", "unevaluatedProperties": false}
	EOF
	printf '%s\n' '{"children":[{"data":1}]}' '{"children":[{"daat":1}]}' >in.ndjson
	run --separate-stderr etl-validate --schema strict.json --resolve https://example.com/=schemas \
		--rejects rej.ndjson in.ndjson
	assert_success
	assert_output '{"children":[{"data":1}]}'
	run cat rej.ndjson
	assert_output '{"file":"in.ndjson","line":2,"errors":[{"rule":"unevaluatedProperties","path":"/children/0/daat","schema_path":"/unevaluatedProperties","message":"the property is not allowed"}],"record":{"children":[{"daat":1}]}}'
	run --separate-stderr etl-validate -q --schema schemas/tree in.ndjson
	assert_success
	assert_equal "${#lines[@]}" 2
}

@test "unevaluatedProperties and \$anchor work in the program" {
	cd "$TMP"
	cat >s.json <<-'EOF'
	{"$ref": "#base", "$defs": {"base": {"$anchor": "base",
	 "properties": {"a": {"type": "integer"}}}},
	 "unevaluatedProperties": false}
	EOF
	printf '%s\n' '{"a":1}' '{"a":1,"b":2}' >in.ndjson
	run --separate-stderr etl-validate --schema s.json --rejects rej.ndjson in.ndjson
	assert_success
	assert_output '{"a":1}'
	run cat rej.ndjson
	assert_output '{"file":"in.ndjson","line":2,"errors":[{"rule":"unevaluatedProperties","path":"/b","schema_path":"/unevaluatedProperties","message":"the property is not allowed"}],"record":{"a":1,"b":2}}'
}

@test "a schema invalid against its meta-schema is a usage error with the pointer of the fault" {
	cd "$TMP"
	echo '{"properties": {"qty": {"minimum": "1"}}}' >s.json
	run --separate-stderr etl-validate --schema s.json /dev/null
	assert_failure 2
	assert_output ''
	assert_stderr 'etl-validate: --schema: s.json#/properties/qty/minimum: not valid against its meta-schema: "1" is not of type number'
}

@test "a schema that is not JSON, or cannot be read, is a usage error" {
	cd "$TMP"
	echo '{"type": }' >s.json
	run --separate-stderr etl-validate --schema s.json /dev/null
	assert_failure 2
	assert_stderr_regex '^etl-validate: --schema: s\.json: 1:10: invalid JSON: '
	run --separate-stderr etl-validate --schema nope.json /dev/null
	assert_failure 2
	assert_stderr 'etl-validate: --schema: nope.json: cannot read: No such file or directory'
}

@test "usage errors: nothing to check, a bad rule, options that need --schema" {
	run --separate-stderr etl-validate /dev/null
	assert_failure 2
	assert_stderr 'etl-validate: nothing to check: give --schema, --check or an expectation
Try '\''etl-validate --help'\'' for more information.'
	run --separate-stderr etl-validate -c 'qty > 0' /dev/null
	assert_failure 2
	assert_stderr "etl-validate: -c: expected 'NAME: EXPR'
Try 'etl-validate --help' for more information."
	run --separate-stderr etl-validate -c 'ok: qty >' /dev/null
	assert_failure 2
	assert_stderr_regex '^etl-validate: -c: column [0-9]+: .*'
	run --separate-stderr etl-validate -c 'ok: 1 == 1' --at x /dev/null
	assert_failure 2
	assert_stderr 'etl-validate: --at: needs --schema
Try '\''etl-validate --help'\'' for more information.'
	run --separate-stderr etl-validate -c 'ok: 1 == 1' --resolve x=y /dev/null
	assert_failure 2
	assert_stderr 'etl-validate: --resolve: needs --schema
Try '\''etl-validate --help'\'' for more information.'
}

@test "a line that is not JSON is a bad record, not an invalid one" {
	cd "$TMP"
	printf '%s\n' '{"qty":1}' 'nope' >in.ndjson
	run --separate-stderr etl-validate -c 'q: qty > 0' in.ndjson
	assert_failure 65
	assert_output '{"qty":1}'
	run --separate-stderr etl-validate -c 'q: qty > 0' --bad-records skip -q in.ndjson
	assert_success
	assert_output '{"qty":1}'
}

@test "the reject file is not left behind when the run fails" {
	cd "$TMP"
	printf '%s\n' '{"qty":0}' 'nope' >in.ndjson
	run --separate-stderr etl-validate -c 'q: qty > 0' --rejects rej.ndjson in.ndjson
	assert_failure 65
	[[ ! -e rej.ndjson ]]
}

# ---- data-set expectations ----

# exp_in: ten records, customer_id null in one, a duplicate key in none.
exp_in() {
	local i

	for i in 1 2 3 4 5 6 7 8 9 10; do
		if ((i == 7)); then
			printf '{"order_id":%d,"customer_id":null,"qty":%d,"cur":"EUR"}\n' "$i" "$i"
		else
			printf '{"order_id":%d,"customer_id":"C%d","qty":%d,"cur":"EUR"}\n' "$i" "$((i % 3))" "$i"
		fi
	done
}

@test "--not-null with a share: just passing at 0.9, just failing at 0.91" {
	cd "$TMP"
	exp_in >in.ndjson
	run --separate-stderr etl-validate --not-null customer_id:0.9 in.ndjson
	assert_success
	assert_equal "${#lines[@]}" 10
	assert_stderr 'etl-validate: passed: --not-null customer_id:0.9: null share 0.1, allowed 0.1'
	run --separate-stderr etl-validate --not-null customer_id:0.91 in.ndjson
	assert_failure 1
	assert_output ''
	assert_stderr 'etl-validate: failed: --not-null customer_id:0.91: null share 0.1, allowed 0.09; first at in.ndjson:7
etl-validate: 1 check failed: no record written'
}

@test "--rows: just passing at its bounds, just failing past them" {
	cd "$TMP"
	exp_in >in.ndjson
	run --separate-stderr etl-validate -q --rows 10..10 in.ndjson
	assert_success
	run --separate-stderr etl-validate --rows 11.. in.ndjson
	assert_failure 1
	assert_stderr 'etl-validate: failed: --rows 11..: 10 rows, expected at least 11
etl-validate: 1 check failed: no record written'
	run --separate-stderr etl-validate --rows ..9 in.ndjson
	assert_failure 1
	assert_stderr 'etl-validate: failed: --rows ..9: 10 rows, expected at most 9
etl-validate: 1 check failed: no record written'
}

@test "--unique: distinct keys pass, a repeated key (1 and 1.0 are equal) fails" {
	cd "$TMP"
	exp_in >in.ndjson
	run --separate-stderr etl-validate -q --unique order_id,cur in.ndjson
	assert_success
	echo '{"order_id":3.0,"cur":"EUR"}' >>in.ndjson
	run --separate-stderr etl-validate --unique order_id,cur in.ndjson
	assert_failure 1
	assert_stderr 'etl-validate: failed: --unique order_id,cur: 1 duplicate; first at in.ndjson:11
etl-validate: 1 check failed: no record written'
}

@test "--distinct: 3 values pass 1..3 and fail 4.." {
	cd "$TMP"
	exp_in >in.ndjson
	run --separate-stderr etl-validate -q --distinct customer_id:1..3 in.ndjson
	assert_success
	run --separate-stderr etl-validate --distinct customer_id:4.. in.ndjson
	assert_failure 1
	assert_stderr 'etl-validate: failed: --distinct customer_id:4..: 3 distinct values, expected at least 4
etl-validate: 1 check failed: no record written'
}

@test "--accepted and --range: values at the edges pass, one past them fails" {
	cd "$TMP"
	exp_in >in.ndjson
	run --separate-stderr etl-validate -q --accepted cur:EUR,USD --range qty:1..10.0 in.ndjson
	assert_success
	run --separate-stderr etl-validate --range qty:1..9.99 in.ndjson
	assert_failure 1
	assert_stderr 'etl-validate: failed: --range qty:1..9.99: 1 value outside; first at in.ndjson:10
etl-validate: 1 check failed: no record written'
	run --separate-stderr etl-validate --accepted cur:USD in.ndjson
	assert_failure 1
	assert_stderr 'etl-validate: failed: --accepted cur:USD: 10 values outside; first at in.ndjson:1
etl-validate: 1 check failed: no record written'
}

@test "--fresh: a time within the duration passes, an older one fails" {
	cd "$TMP"
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	old=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
	printf '{"t":"%s"}\n{"t":"%s"}\n' "$old" "$now" >in.ndjson
	run --separate-stderr etl-validate -q --fresh t:1h in.ndjson
	assert_success
	printf '{"t":"%s"}\n' "$old" >old.ndjson
	run --separate-stderr etl-validate --fresh t:1h old.ndjson
	assert_failure 1
	assert_stderr_regex '^etl-validate: failed: --fresh t:1h: newest is 7[0-9]{3}s old, allowed 3600s'
}

@test "--max-invalid: N and N% at the threshold pass, one more fails" {
	cd "$TMP"
	exp_in >in.ndjson
	run --separate-stderr etl-validate -q -c 'small: qty < 9' --max-invalid 2 in.ndjson
	assert_success
	assert_equal "${#lines[@]}" 8
	run --separate-stderr etl-validate -q -c 'small: qty < 9' --max-invalid 20% in.ndjson
	assert_success
	run --separate-stderr etl-validate -q -c 'small: qty < 9' --max-invalid 1 in.ndjson
	assert_failure 1
	assert_output ''
	run --separate-stderr etl-validate -q -c 'small: qty < 9' --max-invalid 19.9% in.ndjson
	assert_failure 1
}

@test "a --warn- check that does not hold is reported, and the records are released" {
	cd "$TMP"
	exp_in >in.ndjson
	run --separate-stderr etl-validate --warn-not-null customer_id --rows 1.. in.ndjson
	assert_success
	assert_equal "${#lines[@]}" 10
	assert_stderr 'etl-validate: warning: --warn-not-null customer_id: null share 0.1, allowed 0; first at in.ndjson:7
etl-validate: passed: --rows 1..: 10 rows, expected at least 1'
}

@test "the gate holds a large input past --memory and releases nothing when a check fails at the end" {
	cd "$TMP"
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"id\":%d,\"pad\":\"%0100d\"}\n", i, 0 }' \
		>big.ndjson
	echo '{"id":5,"pad":"last"}' >>big.ndjson
	run --separate-stderr etl-validate -q --memory 64K --unique id --stats st.json big.ndjson
	assert_failure 1
	assert_output ''
	run grep -o '"records_in":20001,"records_out":0,"bad":0,"dropped":20001' st.json
	assert_success
	head -n 20000 big.ndjson >ok.ndjson
	run --separate-stderr etl-validate -q --memory 64K --unique id -o out.ndjson ok.ndjson
	assert_success
	cmp out.ndjson ok.ndjson
}

@test "the gate holds records of a pipe past --memory in a temporary file, in input order" {
	cd "$TMP"
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"id\":%d,\"pad\":\"%0100d\"}\n", i, 0 }' \
		>ok.ndjson
	run --separate-stderr bash -c 'cat ok.ndjson | etl-validate -q --memory 64K --unique id -o out.ndjson'
	assert_success
	cmp out.ndjson ok.ndjson
}

@test "the gate holds a file's records as its byte ranges, and lines it cannot read again as bytes" {
	cd "$TMP"
	# invalid records, a blank line, CRLF endings and no final newline break the ranges; a
	# pipe between two files; --memory small enough that the held lines spill
	{
		printf '{"id":1,"q":1}\n{"id":2,"q":-1}\n{"id":3,"q":1}\n\n{"id":4,"q":1}\r\n'
		printf '{"id":5,"q":1}\n{"id":6,"q":1}'
	} >a.ndjson
	awk 'BEGIN { for (i = 10; i < 2000; i++) printf "{\"id\":%d,\"q\":%d}\n", i, i % 7 ? 1 : -1 }' \
		>b.ndjson
	printf '{"id":7,"q":1}\r\n{"id":8,"q":-1}\n{"id":9,"q":1}\n' >c.ndjson
	run --separate-stderr bash -c 'cat c.ndjson | etl-validate -q -c "p: q > 0" --unique id --memory 1K a.ndjson - b.ndjson'
	assert_success
	expected=$({ cat a.ndjson; echo; cat c.ndjson b.ndjson; } | tr -d '\r' | grep '"q":1}')
	assert_output "$expected"
	run --separate-stderr bash -c 'etl-validate -q -c "p: q > 0" a.ndjson - b.ndjson <c.ndjson'
	assert_output "$expected"
}

@test "the gate holds the records of many files, past the descriptors it keeps, in order" {
	cd "$TMP"
	for i in $(seq 1 300); do printf '{"id":%d}\n{"id":-%d}\n' "$i" "$i" >"f$i.ndjson"; done
	run --separate-stderr etl-validate -q --unique id -c 'p: id > 0' $(seq -f 'f%g.ndjson' 1 300)
	assert_success
	assert_output "$(seq -f '{"id":%g}' 1 300)"
	# with few descriptors allowed, the input and the temporary file still find one
	run --separate-stderr bash -c "ulimit -n 32; etl-validate -q --unique id -c 'p: id > 0' --memory 1K f*.ndjson -o out.ndjson"
	assert_success
	assert_equal "$(sort out.ndjson)" "$(seq -f '{"id":%g}' 1 300 | sort)"
}

@test "a file that changes before the gate releases its records is an I/O error, nothing written" {
	cd "$TMP"
	printf '{"id":1}\n{"id":2}\n' >a.ndjson
	mkfifo more
	# the FIFO opens once etl-validate has read a.ndjson to its end: then a.ndjson grows
	{ printf '{"id":3}\n' >>a.ndjson; printf '{"id":4}\n'; } >more &
	run --separate-stderr etl-validate -q --unique id --stats st.json a.ndjson more
	wait
	assert_failure 74
	assert_output ''
	assert_stderr "etl-validate: a.ndjson: the file changed while it was read: the held records are not written"
}

@test "with -o, a failed check leaves no output file" {
	cd "$TMP"
	exp_in >in.ndjson
	run --separate-stderr etl-validate -q --rows 100.. -o out.ndjson in.ndjson
	assert_failure 1
	[[ ! -e out.ndjson ]]
}

@test "--report writes each check's verdict, observed value and first lines" {
	cd "$TMP"
	exp_in >in.ndjson
	run --separate-stderr etl-validate -q --not-null customer_id:0.95 --warn-rows ..5 \
		--report rep.json in.ndjson
	assert_failure 1
	run cat rep.json
	assert_output '{"passed":false,"records":10,"invalid":0,"checks":[{"check":"not-null","arg":"customer_id:0.95","severity":"fail","verdict":"fail","observed":0.1,"offending":1,"first_lines":["in.ndjson:7"]},{"check":"rows","arg":"..5","severity":"warn","verdict":"warn","observed":10,"offending":0,"first_lines":[]}]}'
}

@test "--gate alone holds the records and releases them at the end" {
	cd "$TMP"
	exp_in >in.ndjson
	run --separate-stderr etl-validate --gate -c 'q: qty > 0' in.ndjson
	assert_success
	assert_equal "${#lines[@]}" 10
}

@test "bad expectation values are usage errors" {
	run --separate-stderr etl-validate --rows 5 /dev/null
	assert_failure 2
	assert_stderr "etl-validate: --rows: expected MIN..MAX, got '5'
Try 'etl-validate --help' for more information."
	run --separate-stderr etl-validate --not-null a:1.5 /dev/null
	assert_failure 2
	assert_stderr "etl-validate: --not-null: expected FIELD[:MOSTLY], MOSTLY from 0 to 1, got 'a:1.5'
Try 'etl-validate --help' for more information."
	run --separate-stderr etl-validate --range 'a:9..1' /dev/null
	assert_failure 2
	assert_stderr "etl-validate: --range: MIN is greater than MAX in 'a:9..1'
Try 'etl-validate --help' for more information."
	run --separate-stderr etl-validate --max-invalid 5x /dev/null
	assert_failure 2
	assert_stderr "etl-validate: --max-invalid: expected a count N or a percentage N%, got '5x'
Try 'etl-validate --help' for more information."
	run --separate-stderr etl-validate --fresh t:soon /dev/null
	assert_failure 2
	assert_stderr "etl-validate: --fresh: expected FIELD:DURATION (30m, 1h, 2d), got 't:soon'
Try 'etl-validate --help' for more information."
	run --separate-stderr etl-validate -c 'q: 1 == 1' --memory 1M /dev/null
	assert_failure 2
	assert_stderr "etl-validate: --memory: needs --gate or an expectation
Try 'etl-validate --help' for more information."
}

# ---- rules file and schema drift ----

@test "--rules reads the schema (relative to it), rules and expectations with their severity" {
	cd "$TMP"
	mkdir -p job
	cp "$V/orders.schema.json" "$V/defs.json" job/
	cat >job/rules.json <<-'EOF'
	{"schema": "orders.schema.json",
	 "checks": {"small": "qty < 5"},
	 "expect": [{"unique": "order_id"}, {"rows": "..3", "severity": "warn"}]}
	EOF
	run --separate-stderr etl-validate --rules job/rules.json "$V/orders.ndjson"
	assert_success
	assert_output '{"order_id":"O1001","qty":2,"unit_price":19.99,"currency":"EUR","date":"2026-11-24"}'
	assert_stderr "etl-validate: $V/orders.ndjson:2: /qty: 0 is less than the minimum of 1
etl-validate: 3 invalid records dropped
etl-validate: passed: --unique order_id: 0 duplicates
etl-validate: warning: --warn-rows ..3: 4 rows, expected at most 3"
}

@test "a wrong entry of a rules file is a usage error with its JSON pointer" {
	cd "$TMP"
	echo '{"expect": [{"rows": "1.."}, {"nope": "x"}]}' >r.json
	run --separate-stderr etl-validate --rules r.json /dev/null
	assert_failure 2
	assert_stderr "etl-validate: r.json#/expect/1: unknown or second check 'nope'
Try 'etl-validate --help' for more information."
	echo '{"expect": [{"rows": "5"}]}' >r.json
	run --separate-stderr etl-validate --rules r.json /dev/null
	assert_failure 2
	assert_stderr "etl-validate: r.json#/expect/0: expected MIN..MAX, got '5'
Try 'etl-validate --help' for more information."
	echo '{"checks": {"q": 1}, "x": 1}' >r.json
	run --separate-stderr etl-validate --rules r.json /dev/null
	assert_failure 2
	assert_stderr "etl-validate: r.json#/checks/q: expected a string
Try 'etl-validate --help' for more information."
	echo '{"schemas": "s.json"}' >r.json
	run --separate-stderr etl-validate --rules r.json /dev/null
	assert_failure 2
	assert_stderr "etl-validate: r.json#/schemas: unknown entry (schema, at, format_annotation, checks, expect)
Try 'etl-validate --help' for more information."
}

@test "--schema-drift: the first run saves the fields; a new, a missing and a retyped field are findings" {
	cd "$TMP"
	printf '%s\n' '{"a":1,"b":{"c":"x"},"d":null}' '{"a":2,"b":{"c":"y"},"d":"z"}' >r1.ndjson
	run --separate-stderr etl-validate --schema-drift drift.json r1.ndjson
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_stderr 'etl-validate: passed: --schema-drift drift.json: no previous run in drift.json'
	run cat drift.json
	assert_output - <<-'OUT'
	{"fields":{
	"a":["integer"],
	"b":["object"],
	"b.c":["string"],
	"d":["null","string"]
	}}
	OUT
	run --separate-stderr etl-validate -q --schema-drift drift.json r1.ndjson
	assert_success
	printf '%s\n' '{"a":1.5,"b":{"c":"x"},"g":[]}' >r2.ndjson
	cp drift.json before.json
	run --separate-stderr etl-validate --schema-drift drift.json --report rep.json r2.ndjson
	assert_failure 1
	assert_output ''
	assert_stderr 'etl-validate: failed: --schema-drift drift.json: 3 findings: type of a: number, was integer
etl-validate: 1 check failed: no record written'
	cmp drift.json before.json
	run cat rep.json
	assert_output '{"passed":false,"records":1,"invalid":0,"checks":[{"check":"schema-drift","arg":"drift.json","severity":"fail","verdict":"fail","observed":3,"offending":3,"findings":["type of a: number, was integer","missing field d (was null, string)","new field g (array)"]}]}'
}

@test "--warn-schema-drift reports the findings, passes, and saves the new fields" {
	cd "$TMP"
	echo '{"a":1}' >r1.ndjson
	echo '{"b":1}' >r2.ndjson
	etl-validate -q --schema-drift drift.json r1.ndjson >/dev/null
	run --separate-stderr etl-validate --warn-schema-drift drift.json r2.ndjson
	assert_success
	assert_output '{"b":1}'
	assert_stderr 'etl-validate: warning: --warn-schema-drift drift.json: 2 findings: missing field a (was integer)'
	run cat drift.json
	assert_output - <<-'OUT'
	{"fields":{
	"b":["integer"]
	}}
	OUT
}

# ---- partial states ----

@test "--partial on the parts of an input and --merge decide as one run over the whole" {
	cd "$TMP"
	awk 'BEGIN { for (i = 0; i < 400; i++) printf "{\"id\":%d,\"c\":%s,\"t\":\"2026-11-2%dT10:00:00Z\"}\n", i % 350, (i % 50 ? "\"x" i % 7 "\"" : "null"), i % 8 + 1 }' >all.ndjson
	head -n 200 all.ndjson >p1.ndjson
	tail -n 200 all.ndjson >p2.ndjson
	set -- --unique id --not-null c:0.9 --distinct c:1..7 --rows 300.. --warn-range id:0..299 \
		--schema-drift drift.json
	run --separate-stderr etl-validate -q "$@" --report one.json all.ndjson
	assert_failure 1
	rm -f drift.json
	run --separate-stderr etl-validate -q "$@" --partial s1.json p1.ndjson
	assert_success
	assert_equal "${#lines[@]}" 200
	run --separate-stderr etl-validate -q "$@" --partial s2.json p2.ndjson
	assert_success
	[[ ! -e drift.json ]]
	run --separate-stderr etl-validate "$@" --merge --report merged.json s1.json s2.json
	assert_failure 1
	assert_output ''
	assert_stderr 'etl-validate: failed: --unique id: 50 duplicates
etl-validate: passed: --not-null c:0.9: null share 0.02, allowed 0.1
etl-validate: passed: --distinct c:1..7: 7 distinct values, expected 1..7
etl-validate: passed: --rows 300..: 400 rows, expected at least 300
etl-validate: warning: --warn-range id:0..299: 50 values outside; first at p2.ndjson:101
etl-validate: passed: --schema-drift drift.json: no previous run in drift.json
etl-validate: 1 check failed'
	sed 's/"first_lines":\[[^]]*\]//g' one.json >a
	sed 's/"first_lines":\[[^]]*\]//g' merged.json >b
	cmp a b
}

@test "--merge refuses states made with other expectations; --partial and --merge misuse" {
	cd "$TMP"
	echo '{"id":1}' >in.ndjson
	etl-validate -q --unique id --partial s.json in.ndjson >/dev/null
	run --separate-stderr etl-validate --unique id --rows 1.. --merge s.json
	assert_failure 2
	assert_stderr 'etl-validate: s.json: made with other expectations than this run'"'"'s'
	run --separate-stderr etl-validate --unique id,x --merge s.json
	assert_failure 2
	assert_stderr 'etl-validate: s.json: made with other expectations than this run'"'"'s (expectation 1)'
	run --separate-stderr etl-validate --unique id --merge in.ndjson
	assert_failure 2
	assert_stderr 'etl-validate: in.ndjson: not a partial state of etl-validate'
	run --separate-stderr etl-validate --unique id --merge --schema x.json s.json
	assert_failure 2
	assert_stderr "etl-validate: --merge: not with --schema
Try 'etl-validate --help' for more information."
	run --separate-stderr etl-validate --unique id --partial s.json --report r.json in.ndjson
	assert_failure 2
	assert_stderr "etl-validate: --partial: not with --report
Try 'etl-validate --help' for more information."
	run --separate-stderr etl-validate -c 'a: 1 == 1' --partial s.json in.ndjson
	assert_failure 2
	assert_stderr "etl-validate: --partial: needs an expectation
Try 'etl-validate --help' for more information."
}

# ---- a pipeline into PostgreSQL ----

teardown() {
	if [[ -f $TMP/pg.env ]]; then
		"$TESTS/pg.sh" stop "$TMP/pg" >/dev/null 2>&1 || true
	fi
}

@test "etl-validate | etl-load-pg loads nothing when an expectation fails, all when every one holds" {
	local rc=0

	"$TESTS/pg.sh" start "$TMP/pg" >"$TMP/pg.env" || rc=$?
	((rc == 3)) && skip "no PostgreSQL server installed"
	((rc == 0))
	# shellcheck disable=SC1091
	source "$TMP/pg.env"
	export PGHOST PGPORT PGUSER PGDATABASE
	cd "$TMP"
	psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE TABLE sales (id bigint, qty integer)'
	awk 'BEGIN { for (i = 1; i <= 5000; i++) printf "{\"id\":%d,\"qty\":%d}\n", i, i % 9 }' >good.ndjson
	cp good.ndjson bad.ndjson
	echo '{"id":17,"qty":1}' >>bad.ndjson
	run bash -o pipefail -c 'etl-validate -q --unique id --memory 16K bad.ndjson | etl-load-pg -q -t sales'
	assert_failure 1
	run psql -X -A -t -c 'SELECT count(*) FROM sales'
	assert_output 0
	run bash -o pipefail -c 'etl-validate -q --unique id --memory 16K good.ndjson | etl-load-pg -q -t sales'
	assert_success
	run psql -X -A -t -c 'SELECT count(*), sum(qty) FROM sales'
	assert_output '5000|19995'
}

@test "a --check field that no record had: a warning, and with --strict the run fails and --gate writes nothing" {
	cd "$TMP"
	put in.ndjson '{"country":"FR"}\n{"country":"DE"}\n'
	run --separate-stderr etl-validate -c 'de: country != "DE"' in.ndjson
	assert_success
	assert_output ''
	assert_stderr_regex $'--check de: field "DE" never present in 2 records; for the text DE write \'DE\''
	run --separate-stderr etl-validate --strict --gate -c "ok: country != 'XX'" -c 'de: country != "DE"' in.ndjson
	assert_failure 1
	assert_output ''
	assert_stderr $'etl-validate: in.ndjson:1: --check de: not true: country != "DE"\netl-validate: --check de: field "DE" never present in 2 records; for the text DE write \'DE\''
	run --separate-stderr etl-validate --strict -c "de: country != 'DE'" in.ndjson
	assert_success
	assert_output '{"country":"FR"}'
	run --separate-stderr etl-validate --strict --rows 1.. in.ndjson
	assert_failure 2
	assert_stderr_regex '^etl-validate: --strict: needs --check'
	echo '{"checks":{"de":"country != \"DE\""}}' >rules.json
	run --separate-stderr etl-validate --strict --rules rules.json in.ndjson
	assert_failure 1
	assert_stderr_regex '--check de: field "DE" never present in 2 records'
}
