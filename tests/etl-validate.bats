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

@test "\$dynamicRef, unevaluatedProperties and \$anchor work in the program" {
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
	assert_stderr 'etl-validate: nothing to check: give --schema or --check
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
