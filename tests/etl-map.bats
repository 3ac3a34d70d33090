#!/usr/bin/env bats
# tests/etl-map.bats - etl-map: every operation and its errors, the order of
# operations, exact decimals, untouched text kept byte for byte, the record
# counts of --stats, and the flatten/nest round trip.

load helpers/common

M="$DATA/map"

setup() {
	cd "$TMP" || return 1
}

# --- pass-through ------------------------------------------------------------

@test "no operation: a validating pass-through, byte-exact" {
	put in.ndjson '{ "a" : 1e2 ,"b":"\\u00e9\\n","c":[1, {"d":19.990}]}\r\n\n{"big":123456789012345678901234567890}\n{}'
	printf '{ "a" : 1e2 ,"b":"\\u00e9\\n","c":[1, {"d":19.990}]}\n{"big":123456789012345678901234567890}\n{}\n' >want
	run --separate-stderr etl-map in.ndjson
	assert_success
	assert_no_stderr
	printf '%s\n' "$output" >got
	assert_same_file want got
}

@test "no operation: stdin, and - among files" {
	put a.ndjson '{"a":1}\n'
	run --separate-stderr bash -c 'printf "{\"b\":2}\n" | etl-map a.ndjson - a.ndjson'
	assert_success
	assert_output $'{"a":1}\n{"b":2}\n{"a":1}'
}

@test "a record that no operation changes is written byte-exact" {
	put in.ndjson '{ "qty" : 1 , "x":"a\\/b" }\n{"qty":null , "x":1.50}\n'
	run --separate-stderr etl-map --default qty=0 --drop nothere --rename zz=yy --cast x=string \
		--select qty,x in.ndjson
	assert_success
	assert_line -n 0 '{ "qty" : 1 , "x":"a\/b" }'
	assert_line -n 1 '{"qty":0,"x":"1.50"}'
}

@test "invalid JSON is a bad record with its location" {
	put in.ndjson '{"a":1}\n{"a":1,}\n'
	run --separate-stderr etl-map --drop a in.ndjson
	assert_failure 65
	assert_stderr 'etl-map: in.ndjson:2:8: invalid JSON: expected a string key'
}

# --- select, drop, rename -----------------------------------------------------

@test "--select keeps the listed fields in the listed order" {
	run --separate-stderr etl-map --select qty,order_id,nothere "$M/orders.ndjson"
	assert_success
	assert_output - <<'EOF'
{"qty":4,"order_id":1001}
{"qty":2,"order_id":1002}
{"qty":null,"order_id":1003}
{"qty":3,"order_id":1004}
{"order_id":1005}
EOF
}

@test "--select with nested paths keeps their parents" {
	put in.ndjson '{"a":1,"c":{"d":3,"e":{"f":4,"g":5}},"b":2}\n'
	run --separate-stderr etl-map --select 'b,c.e.g,c.d' in.ndjson
	assert_success
	assert_output '{"b":2,"c":{"e":{"g":5},"d":3}}'
}

@test "--select of the same fields in the same order changes nothing" {
	put in.ndjson '{"a" :1, "b":2}\n'
	run --separate-stderr etl-map --select a,b in.ndjson
	assert_output '{"a" :1, "b":2}'
}

@test "--select: a bad field list is a usage error" {
	run --separate-stderr etl-map --select 'a,,b' /dev/null
	assert_failure 2
	assert_stderr $'etl-map: --select: column 3: empty field name\nTry \'etl-map --help\' for more information.'
	run --separate-stderr etl-map --select 'a b' /dev/null
	assert_failure 2
	assert_stderr $'etl-map: --select: column 2: expected \',\' between field paths\nTry \'etl-map --help\' for more information.'
}

@test "--drop removes top-level and nested fields; missing ones are fine" {
	run --separate-stderr etl-map --drop 'customer.name,unit_price,nothere,a.b' "$M/orders.ndjson"
	assert_success
	assert_line -n 0 '{"order_id":1001,"date":"2026-11-24","customer":{"id":"C0042"},"product":"Kids Footrest","qty":4}'
	assert_line -n 4 '{"order_id":1005,"date":"2026-11-26","customer":{"id":"C0007"},"product":"Kids Footrest"}'
}

@test "--drop removes every occurrence of a duplicate key" {
	put in.ndjson '{"a":1,"b":2,"a":3}\n'
	run etl-map --drop a in.ndjson
	assert_output '{"b":2}'
}

@test "--rename keeps the position; a field of the new name is replaced" {
	put in.ndjson '{"a":1,"b":2,"c":3}\n'
	run --separate-stderr etl-map --rename 'a=x,c=b' in.ndjson
	assert_success
	assert_output '{"x":1,"b":3}'
}

@test "--rename inside an object, and out of it to the end" {
	run --separate-stderr etl-map --rename 'customer.name=customer.full_name,customer.id=customer_id' \
		"$M/orders.ndjson"
	assert_success
	assert_line -n 0 '{"order_id":1001,"date":"2026-11-24","customer":{"full_name":"Ana"},"product":"Kids Footrest","qty":4,"unit_price":41.00,"customer_id":"C0042"}'
}

@test "--rename of a missing field does nothing" {
	put in.ndjson '{"a":1}\n'
	run etl-map --rename 'b=c' in.ndjson
	assert_output '{"a":1}'
}

@test "--rename: malformed lists are usage errors" {
	run --separate-stderr etl-map --rename a /dev/null
	assert_failure 2
	assert_stderr $'etl-map: --rename: column 2: expected \'=\' after the field name\nTry \'etl-map --help\' for more information.'
	run --separate-stderr etl-map --rename 'a=b=c' /dev/null
	assert_failure 2
	assert_stderr $'etl-map: --rename: column 4: expected \',\' between renames\nTry \'etl-map --help\' for more information.'
	run --separate-stderr etl-map --rename 'a=' /dev/null
	assert_failure 2
	assert_stderr $'etl-map: --rename: column 3: empty field name\nTry \'etl-map --help\' for more information.'
}

@test "--rename into a field that is not an object is a bad record" {
	put in.ndjson '{"a":1,"n":2}\n{"a":1,"n":{}}\n'
	run --separate-stderr etl-map --rename a=n.a in.ndjson
	assert_failure 65
	assert_stderr 'etl-map: in.ndjson:1: --rename a=n.a: n is a number, not an object'
	run --separate-stderr etl-map --bad-records skip --rename a=n.a in.ndjson
	assert_success
	assert_output '{"n":{"a":1}}'
}

# --- default ------------------------------------------------------------------

@test "--default fills null and missing fields, and only those" {
	run --separate-stderr etl-map --default qty=0 "$M/orders.ndjson"
	assert_success
	assert_output - <<'EOF'
{"order_id":1001,"date":"2026-11-24","customer":{"id":"C0042","name":"Ana"},"product":"Kids Footrest","qty":4,"unit_price":41.00}
{"order_id":1002,"date":"2026-11-24","customer":{"id":"C0007","name":"Bo"},"product":"Desk Lamp","qty":2,"unit_price":19.99}
{"order_id":1003,"date":"2026-11-25","customer":{"id":"C0042","name":"Ana"},"product":"Desk Lamp","qty":0,"unit_price":19.99}
{"order_id":1004,"date":"2026-11-25","customer":{"id":"C0113","name":"Chloé"},"product":"Webcam","unit_price":68.16,"qty":3}
{"order_id":1005,"date":"2026-11-26","customer":{"id":"C0007","name":"Bo"},"product":"Kids Footrest","unit_price":41.00,"qty":0}
EOF
}

@test "--default: a JSON literal is itself, anything else a string" {
	put in.ndjson '{}\n'
	run --separate-stderr etl-map --default a=0 --default b=1.50 --default 'c="x"' --default d=true \
		--default e=abc --default f= --default g=007 --default 'h=[1, 2]' --default 'i= 3 ' \
		--default 'j={"k":null}' --default 'k=né' in.ndjson
	assert_success
	assert_output '{"a":0,"b":1.50,"c":"x","d":true,"e":"abc","f":"","g":"007","h":[1, 2],"i":3,"j":{"k":null},"k":"né"}'
}

@test "--default null sets a JSON null; quoted, it is the string" {
	put in.ndjson '{"a":1}\n'
	run etl-map --default b=null --default 'c="null"' in.ndjson
	assert_output '{"a":1,"b":null,"c":"null"}'
}

@test "--default into a nested object creates or extends it" {
	put in.ndjson '{"c":{"id":1}}\n{"c":{"id":2,"tier":"gold"}}\n{"id":3}\n{"c":null}\n'
	run --separate-stderr etl-map --default c.tier=std in.ndjson
	assert_success
	assert_output - <<'EOF'
{"c":{"id":1,"tier":"std"}}
{"c":{"id":2,"tier":"gold"}}
{"id":3,"c":{"tier":"std"}}
{"c":{"tier":"std"}}
EOF
}

@test "--default: without '=' it is a usage error" {
	run --separate-stderr etl-map --default qty /dev/null
	assert_failure 2
	assert_stderr $'etl-map: --default: column 4: expected \'=\' after the field name\nTry \'etl-map --help\' for more information.'
}

# --- cast ---------------------------------------------------------------------

@test "--cast from strings: the forms of etl-from-csv --types" {
	run --separate-stderr etl-map --cast 'qty=int,price=decimal,paid=bool,day=date,at=timestamp,note=string' \
		"$M/raw.ndjson"
	assert_success
	assert_output - <<'EOF'
{"id":"A-1","qty":7,"price":19.990,"paid":true,"day":"2026-11-24","at":"2026-11-24T18:30:00Z","note":"12"}
{"id":"A-2","qty":12,"price":5,"paid":false,"day":"2026-11-25","at":"2026-11-25T09:00:00Z","note":"true"}
EOF
}

@test "--cast of numbers keeps their exact text where it can" {
	put in.ndjson '{"a":7,"b":7.0,"c":1e2,"d":19.990,"e":1.5e-3,"f":123456789012345678901234567890}\n'
	run --separate-stderr etl-map --cast 'a=int,b=int,c=int,d=decimal,e=decimal,f=int' in.ndjson
	assert_success
	assert_output '{"a":7,"b":7,"c":100,"d":19.990,"e":0.0015,"f":123456789012345678901234567890}'
	run --separate-stderr etl-map --cast 'a=float,b=float,c=float,d=float,e=float,f=float' in.ndjson
	assert_success
	assert_output '{"a":7,"b":7,"c":100,"d":19.99,"e":0.0015,"f":1.2345678901234568e+29}'
	run --separate-stderr etl-map --cast 'a=string,b=string,c=string,d=string,e=bool' in.ndjson
	assert_success
	assert_output '{"a":"7","b":"7.0","c":"1e2","d":"19.990","e":true,"f":123456789012345678901234567890}'
}

@test "--cast: a 40-digit string to int and decimal keeps every digit" {
	put in.ndjson '{"a":"+0001234567890123456789012345678901234567890","b":"-1234567890123456789012345678901234567890.50"}\n'
	run --separate-stderr etl-map --cast 'a=int,b=decimal' in.ndjson
	assert_success
	assert_output '{"a":1234567890123456789012345678901234567890,"b":-1234567890123456789012345678901234567890.50}'
}

@test "--cast to bool, of numbers, words and booleans" {
	put in.ndjson '{"a":0,"b":0.00,"c":2,"d":"Yes","e":"0","f":false,"g":true}\n'
	run --separate-stderr etl-map --cast 'a=bool,b=bool,c=bool,d=bool,e=bool,f=bool,g=int' in.ndjson
	assert_success
	assert_output '{"a":false,"b":false,"c":true,"d":true,"e":false,"f":false,"g":1}'
}

@test "--cast to date and timestamp: ISO-8601 text and Unix seconds" {
	put in.ndjson '{"a":"2026-11-24T23:30:00-05:00","b":"2026-11-24","c":1764000000,"d":1764000000.25,"e":"2026-11-24T18:30:00.120+01:00","f":"2026-11-24 18:30:00,5+0100"}\n'
	run --separate-stderr etl-map --cast 'a=date,b=timestamp,c=timestamp,d=timestamp,e=timestamp,f=timestamp' in.ndjson
	assert_success
	assert_output '{"a":"2026-11-24","b":"2026-11-24T00:00:00Z","c":"2025-11-24T16:00:00Z","d":"2025-11-24T16:00:00.250Z","e":"2026-11-24T18:30:00.120+01:00","f":"2026-11-24T18:30:00.5+01:00"}'
	run --separate-stderr etl-map --cast 'c=date' in.ndjson
	assert_line --partial '"c":"2025-11-24"'
}

@test "--cast to timestamp keeps every digit of a fraction, as etl-from-csv --types does" {
	put in.ndjson '{"a":"2026-11-24 18:30:00.123456789","b":"2026-11-24T18:30-0330","c":"2026-11-24T18:30:00.123456789-05:30"}\n'
	run --separate-stderr etl-map --cast 'a=timestamp,b=timestamp,c=timestamp' in.ndjson
	assert_success
	assert_output '{"a":"2026-11-24T18:30:00.123456789Z","b":"2026-11-24T18:30:00-03:30","c":"2026-11-24T18:30:00.123456789-05:30"}'
}

@test "--cast json reads a string as JSON; an object cast to string is its compact text" {
	put in.ndjson '{"a":"{\\"x\\": [1, 2]}","b":"42","c":{"y": [1, "z w"]},"d":1.50,"e":"nope"}\n'
	run --separate-stderr etl-map --cast 'a=json,b=json,c=string,d=json' in.ndjson
	assert_success
	assert_output '{"a":{"x":[1,2]},"b":42,"c":"{\"y\":[1,\"z w\"]}","d":1.50,"e":"nope"}'
	run --separate-stderr etl-map --cast e=json in.ndjson
	assert_failure 65
	assert_stderr 'etl-map: in.ndjson:1: --cast e=json: not JSON: "nope"'
}

@test "--cast: null stays null, a missing field stays missing" {
	put in.ndjson '{"a":null}\n'
	run --separate-stderr etl-map --cast 'a=int,b=date' in.ndjson
	assert_success
	assert_output '{"a":null}'
}

@test "--cast: a value that cannot be cast is a bad record" {
	put in.ndjson '{"q":"12"}\n{"q":"7.5"}\n{"q":"abc"}\n{"q":[1]}\n'
	run --separate-stderr etl-map --cast q=int in.ndjson
	assert_failure 65
	assert_stderr 'etl-map: in.ndjson:2: --cast q=int: not an integer: "7.5"'
	run --separate-stderr etl-map --bad-records rej.ndjson --stats st.json --cast q=int in.ndjson
	assert_success
	assert_output '{"q":12}'
	assert_stderr 'etl-map: 3 bad records written to rej.ndjson'
	run cat rej.ndjson
	assert_output - <<'EOF'
{"file":"in.ndjson","line":2,"error":"--cast q=int: not an integer: \"7.5\"","raw":"{\"q\":\"7.5\"}"}
{"file":"in.ndjson","line":3,"error":"--cast q=int: not a number: \"abc\"","raw":"{\"q\":\"abc\"}"}
{"file":"in.ndjson","line":4,"error":"--cast q=int: an array: [1]","raw":"{\"q\":[1]}"}
EOF
	[[ $(json_get st.json '[.records_in, .records_out, .bad, .dropped] | @csv') == 4,1,3,0 ]]
}

@test "--cast: more error messages" {
	put in.ndjson '{"d":"2026-02-30","t":"24:00","f":1e999,"b":"maybe","x":1e50,"u":1.0000001}\n'
	for spec in d=date t=timestamp f=float b=bool x=int u=timestamp x=date; do
		run --separate-stderr etl-map --cast "$spec" in.ndjson
		assert_failure 65
		case $spec in
		d=date) assert_stderr 'etl-map: in.ndjson:1: --cast d=date: not a date: "2026-02-30"' ;;
		t=timestamp) assert_stderr 'etl-map: in.ndjson:1: --cast t=timestamp: not a timestamp: "24:00"' ;;
		f=float) assert_stderr 'etl-map: in.ndjson:1: --cast f=float: out of range for a float: 1e999' ;;
		b=bool) assert_stderr 'etl-map: in.ndjson:1: --cast b=bool: not a bool (true/false, yes/no, 1/0): "maybe"' ;;
		x=int) assert_stderr 'etl-map: in.ndjson:1: --cast x=int: too many digits for an exact integer: 1e50' ;;
		u=timestamp) assert_stderr 'etl-map: in.ndjson:1: --cast u=timestamp: more precise than a microsecond: 1.0000001' ;;
		x=date) assert_stderr 'etl-map: in.ndjson:1: --cast x=date: out of range for a time: 1e50' ;;
		esac
	done
}

@test "--cast: an unknown type is a usage error" {
	run --separate-stderr etl-map --cast 'a=int,b=integer' /dev/null
	assert_failure 2
	assert_stderr $'etl-map: --cast: column 9: unknown type \'integer\' (string, int, decimal, float, bool, date, timestamp or json)\nTry \'etl-map --help\' for more information.'
}

@test "--cast: a malformed list is reported as etl-from-csv --types reports it" {
	run --separate-stderr etl-map --cast qty /dev/null
	assert_failure 2
	assert_stderr $'etl-map: --cast: column 4: expected \'=\' after \'qty\'\nTry \'etl-map --help\' for more information.'
	run --separate-stderr etl-map --cast a.b=int,a.b=date /dev/null
	assert_failure 2
	assert_stderr $'etl-map: --cast: column 9: \'a.b\' is typed twice\nTry \'etl-map --help\' for more information.'
	run --separate-stderr etl-map --cast =int /dev/null
	assert_failure 2
	assert_stderr $'etl-map: --cast: column 1: empty field name\nTry \'etl-map --help\' for more information.'
}

# --- set and where ------------------------------------------------------------

@test "--set: exact decimal arithmetic" {
	put in.ndjson '{"qty":3,"price":19.99}\n{"qty":3,"price":68.16}\n'
	run --separate-stderr etl-map --set 'total=qty*price' --set 'x=0.1+0.2' \
		--set 'big=123456789012345678901234567890+1' in.ndjson
	assert_success
	assert_output - <<'EOF'
{"qty":3,"price":19.99,"total":59.97,"x":0.3,"big":123456789012345678901234567891}
{"qty":3,"price":68.16,"total":204.48,"x":0.3,"big":123456789012345678901234567891}
EOF
}

@test "--set replaces a field in place and appends a new one" {
	put in.ndjson '{"a":1e2,"b":19.990,"c":"x"}\n'
	run --separate-stderr etl-map --set 'b=2' --set 'd=c' in.ndjson
	assert_success
	assert_output '{"a":1e2,"b":2,"c":"x","d":"x"}'
}

@test "--set: operations run in command-line order" {
	put in.ndjson '{"a":5}\n'
	run --separate-stderr etl-map --set a=1 --set b=a+1 --rename a=z --set c=z+b in.ndjson
	assert_success
	assert_output '{"z":1,"b":2,"c":3}'
}

@test "--set into a nested object creates or updates it" {
	run --separate-stderr etl-map --set "customer.tier='gold'" --set 'customer.name=upper(customer.name)' \
		--select order_id,customer "$M/orders.ndjson"
	assert_success
	assert_line -n 0 '{"order_id":1001,"customer":{"id":"C0042","name":"ANA","tier":"gold"}}'
	put in.ndjson '{"a":1}\n'
	run --separate-stderr etl-map --set 'x.y.z=a' in.ndjson
	assert_output '{"a":1,"x":{"y":{"z":1}}}'
}

@test "--set inside a field that is not an object is a bad record" {
	put in.ndjson '{"c":"Ana"}\n'
	run --separate-stderr etl-map --set "c.tier='gold'" in.ndjson
	assert_failure 65
	assert_stderr 'etl-map: in.ndjson:1: --set c.tier: c is a string, not an object'
}

@test "--set: a field set to null is null, not removed" {
	put in.ndjson '{"a":1}\n'
	run --separate-stderr etl-map --set 'a=nothere' --set 'b=a+1' in.ndjson
	assert_output '{"a":null,"b":null}'
	assert_stderr 'etl-map: --set: field nothere never present in 1 records'
}

@test "--set: untouched fields keep their text and their order" {
	put in.ndjson '{"z":1e2,"p":19.990,"big":123456789012345678901234567890,"s":"caf\\u00e9 \\"q\\"","u":"日本","n":{"k": [1, 2.50]},"qty":2}\n'
	run --separate-stderr etl-map --set 'qty=qty+1' in.ndjson
	assert_success
	assert_output '{"z":1e2,"p":19.990,"big":123456789012345678901234567890,"s":"caf\u00e9 \"q\"","u":"日本","n":{"k": [1, 2.50]},"qty":3}'
}

@test "--set: a syntax error is a usage error with its column" {
	run --separate-stderr etl-map --set 'total=qty*' /dev/null
	assert_failure 2
	assert_stderr_regex $'^etl-map: --set: column 11: .+\nTry \'etl-map --help\' for more information.$'
	run --separate-stderr etl-map --set 'total' /dev/null
	assert_failure 2
	assert_stderr $'etl-map: --set: column 6: expected \'=\' after the field name\nTry \'etl-map --help\' for more information.'
}

@test "--set: a runtime type error is a bad record" {
	put in.ndjson '{"a":"abc"}\n{"a":2}\n'
	run --separate-stderr etl-map --set 'b=a*2' in.ndjson
	assert_failure 65
	assert_stderr 'etl-map: in.ndjson:1: --set b: a*2: cannot multiply the string "abc"'
	run --separate-stderr etl-map -q --bad-records skip --set 'b=a*2' in.ndjson
	assert_success
	assert_output '{"a":2,"b":4}'
}

@test "--where keeps the records where the expression is true" {
	run --separate-stderr etl-map --where 'qty >= 3' --stats st.json "$M/orders.ndjson"
	assert_success
	assert_output - <<'EOF'
{"order_id":1001,"date":"2026-11-24","customer":{"id":"C0042","name":"Ana"},"product":"Kids Footrest","qty":4,"unit_price":41.00}
{"order_id":1004,"date":"2026-11-25","customer":{"id":"C0113","name":"Chloé"},"product":"Webcam","unit_price":68.16,"qty":3}
EOF
	[[ $(json_get st.json '[.records_in, .records_out, .bad, .dropped] | @csv') == 5,2,0,3 ]]
}

@test "--where between operations sees the record as it is at that point" {
	run --separate-stderr etl-map --default qty=0 --where 'qty < 3' --set 'qty=qty+10' \
		--select order_id,qty "$M/orders.ndjson"
	assert_success
	assert_output - <<'EOF'
{"order_id":1002,"qty":12}
{"order_id":1003,"qty":10}
{"order_id":1005,"qty":10}
EOF
}

@test "--where: records_in = records_out + bad + dropped" {
	put in.ndjson '{"a":1}\n{"a":"x"}\nnot json\n{"a":3}\n{"a":0}\n'
	run --separate-stderr etl-map -q --bad-records skip --stats st.json --where 'a * 1 > 0' in.ndjson
	assert_success
	assert_output $'{"a":1}\n{"a":3}'
	[[ $(json_get st.json '[.records_in, .records_out, .bad, .dropped] | @csv') == 5,2,2,1 ]]
}

@test "--where: a syntax error is a usage error" {
	run --separate-stderr etl-map --where 'qty >' /dev/null
	assert_failure 2
	assert_stderr_regex $'^etl-map: --where: column [0-9]+: .+\nTry \'etl-map --help\' for more information.$'
}

@test "-s and -w are --set and --where" {
	put in.ndjson '{"a":1}\n{"a":2}\n'
	run --separate-stderr etl-map -w 'a > 1' -s 'b=a*10' in.ndjson
	assert_output '{"a":2,"b":20}'
}

@test "--set: small numbers never underflow: exact, or the record is bad" {
	put in.ndjson '{"x":1e-400}\n{"x":1e-38}\n'
	run --separate-stderr etl-map --set 'z=x+0' --set 'r=x*1e-400' --set 'y=x+1' --select z,r,y in.ndjson
	assert_success
	assert_no_stderr
	assert_line -n 0 '{"z":1e-400,"r":1e-800,"y":1.'"$(printf '%0399d' 0)"'1}'
	assert_line -n 1 '{"z":0.00000000000000000000000000000000000001,"r":1e-438,"y":1.00000000000000000000000000000000000001}'
	run --separate-stderr etl-map --set 'r=x/3' in.ndjson
	assert_failure 65
	assert_output ''
	assert_stderr 'etl-map: in.ndjson:1: --set r: x/3: the result is too small for a number'
	put big.ndjson '{"x":1e-3000}\n'
	run --separate-stderr etl-map --set 'r=x+1' big.ndjson
	assert_failure 65
	assert_stderr 'etl-map: big.ndjson:1: --set r: x+1: the exact result needs more than 2000 digits'
}

@test "--set: the remainder of a number beyond a double is exact" {
	put in.ndjson '{"x":1e400}\n'
	run --separate-stderr etl-map --set 'r=x%3' --set 's=-x%7' in.ndjson
	assert_success
	assert_no_stderr
	assert_output '{"x":1e400,"r":1,"s":-4}'
}

# --- flatten and nest ---------------------------------------------------------

@test "--flatten: nested objects become top-level keys" {
	put in.ndjson '{"id":1,"a":{"b":1,"c":{"d":[1,{"x":1}],"e":{}}},"f":{},"g":[]}\n'
	run --separate-stderr etl-map --flatten in.ndjson
	assert_success
	assert_output '{"id":1,"a.b":1,"a.c.d":[1,{"x":1}],"a.c.e":{},"f":{},"g":[]}'
	run --separate-stderr etl-map --flatten --sep _ in.ndjson
	assert_output '{"id":1,"a_b":1,"a_c_d":[1,{"x":1}],"a_c_e":{},"f":{},"g":[]}'
}

@test "--nest: keys with the separator become nested objects" {
	put in.ndjson '{"id":1,"a.b":1,"a.c.d":2,"x":3,"a.e":4}\n'
	run --separate-stderr etl-map --nest in.ndjson
	assert_success
	assert_output '{"id":1,"a":{"b":1,"c":{"d":2},"e":4},"x":3}'
}

@test "--flatten then --nest gives the compact input back" {
	run --separate-stderr bash -c "etl-map --flatten --sep :: '$M/orders.ndjson' | etl-map --nest --sep ::"
	assert_success
	printf '%s\n' "$output" >got
	assert_same_file "$M/orders.ndjson" got
	put in.ndjson '{"a":{"b":{"c":1e2,"d":{}},"":{"e":"\\u00e9"}},"f":[{"g":1}]}\n'
	run --separate-stderr bash -c "etl-map --flatten in.ndjson | etl-map --nest"
	assert_output '{"a":{"b":{"c":1e2,"d":{}},"":{"e":"\u00e9"}},"f":[{"g":1}]}'
}

@test "--nest: a key that is both a value and a parent is a bad record" {
	put in.ndjson '{"a":1,"a.b":2}\n{"a.b":2,"a":1}\n'
	run --separate-stderr etl-map --bad-records rej.ndjson --nest in.ndjson
	assert_success
	assert_output ''
	run jq -r .error rej.ndjson
	assert_output $'--nest: a is a number, not an object\n--nest: key "a" is both a field and the parent of nested keys'
}

@test "--sep: needs --flatten or --nest, and cannot be empty" {
	run --separate-stderr etl-map --sep _ /dev/null
	assert_failure 2
	assert_stderr $'etl-map: --sep: needs --flatten or --nest\nTry \'etl-map --help\' for more information.'
	run --separate-stderr etl-map --flatten --sep '' /dev/null
	assert_failure 2
	assert_stderr $'etl-map: --sep: the separator cannot be empty\nTry \'etl-map --help\' for more information.'
}

# --- the nesting limit ----------------------------------------------------------

# deep N: the path a.a.a... of N segments
deep() {
	local s=a i
	for ((i = 1; i < $1; i++)); do s+=.a; done
	printf '%s' "$s"
}

@test "--set on a 1024-segment path makes a record the next reader accepts" {
	put in.ndjson '{}\n'
	run --separate-stderr bash -c "etl-map --set '$(deep 1024)=1' in.ndjson | etl-map --stats st.json"
	assert_success
	assert_no_stderr
	run jq -c '[.records_in, .records_out, .bad]' st.json
	assert_output '[1,1,0]'
}

@test "--set on a 1025-segment path is a bad record, not a record no reader accepts" {
	local p
	p=$(deep 1025)
	put in.ndjson '{}\n{"b":1}\n'
	run --separate-stderr etl-map --set "$p=1" in.ndjson
	assert_failure 65
	assert_output ''
	assert_stderr "etl-map: in.ndjson:1: --set ${p:0:100}...: nesting too deep: the record would have 1025 levels, more than 1024"
}

@test "nesting: the depth of the value set counts, through --set, --rename, --cast and --nest" {
	local p
	p=$(deep 1021)
	put in.ndjson '{"b":{"c":[[1]]},"s":"[[[1]]]"}\n'
	run --separate-stderr etl-map --rename "b=$p" in.ndjson
	assert_success
	run --separate-stderr etl-map --rename "b=$p.a" in.ndjson
	assert_failure 65
	assert_stderr "etl-map: in.ndjson:1: --rename b=${p:0:100}...: nesting too deep: the record would have 1025 levels, more than 1024"
	run --separate-stderr etl-map --set "$p.a=b" in.ndjson
	assert_failure 65
	assert_stderr "etl-map: in.ndjson:1: --set ${p:0:100}...: nesting too deep: the record would have 1025 levels, more than 1024"
	run --separate-stderr etl-map --cast s=json --rename "s=$p.a.a" in.ndjson
	assert_failure 65
	assert_stderr "etl-map: in.ndjson:1: --rename s=${p:0:100}...: nesting too deep: the record would have 1026 levels, more than 1024"
	printf '{"%s":1}\n' "$(deep 1025)" >nest.ndjson
	run --separate-stderr etl-map --nest nest.ndjson
	assert_failure 65
	assert_stderr "etl-map: nest.ndjson:1: --nest: nesting too deep: the record would have 1025 levels, more than 1024"
}

@test "--cast json: a value 1023 levels deep is kept, one 1024 deep is a bad record" {
	local a b
	a=$(printf '%1023s' '' | tr ' ' '[')$(printf '%1023s' '' | tr ' ' ']')
	b="[$a]"
	printf '{"x":"%s"}\n{"x":"%s"}\n' "$a" "$b" >in.ndjson
	run --separate-stderr bash -c 'etl-map --cast x=json --bad-records skip -q in.ndjson | etl-map | wc -l'
	assert_success
	assert_output 1
	run --separate-stderr etl-map --cast x=json in.ndjson
	assert_failure 65
	assert_stderr "etl-map: in.ndjson:2: --cast x=json: nesting too deep for a record: \"$(printf "%39s" "" | tr " " "[")..."
}

# --- common options -----------------------------------------------------------

@test "-o writes the output atomically" {
	run --separate-stderr etl-map -o out.ndjson --select order_id "$M/orders.ndjson"
	assert_success
	assert_output ''
	run head -1 out.ndjson
	assert_output '{"order_id":1001}'
	assert_no_temp_files .
}

@test "--max-bad: more bad records than allowed fail the run" {
	put in.ndjson '{"q":"1"}\n{"q":"x"}\n{"q":"y"}\n{"q":"2"}\n'
	run --separate-stderr etl-map -q --bad-records skip --max-bad 1 --cast q=int in.ndjson
	assert_failure 1
	assert_stderr 'etl-map: in.ndjson:3: too many bad records: more than 1 (--max-bad)'
}

@test "--progress=always reports on stderr and leaves stdout alone" {
	run --separate-stderr etl-map --progress=always --select order_id "$M/orders.ndjson"
	assert_success
	assert_line -n 0 '{"order_id":1001}'
	assert_stderr_regex 'etl-map: 5 records'
}

@test "--default into a field that is not an object is a bad record" {
	put in.ndjson '{"a":3}\n'
	run --separate-stderr etl-map --default a.b=1 in.ndjson
	assert_failure 65
	assert_stderr 'etl-map: in.ndjson:1: --default a.b: a is a number, not an object'
}

@test "--help lists every option; --version prints the version" {
	run --separate-stderr etl-map --help
	assert_success
	for o in select drop rename default cast set where flatten nest sep output bad-records max-bad \
		progress stats quiet help version; do
		assert_output --partial -- "--$o"
	done
	run --separate-stderr etl-map --version
	assert_success
	assert_output --regexp '^etl-map [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "an unknown option is a usage error" {
	run --separate-stderr etl-map --frobnicate /dev/null
	assert_failure 2
	assert_stderr $'etl-map: --frobnicate: unknown option\nTry \'etl-map --help\' for more information.'
}

# --- the manual -----------------------------------------------------------------

@test "the EXAMPLES of etl-map(1) print what the manual shows" {
	local man="$ETL_ROOT/man/etl-map.1.scd" cmd want n=0

	# from a folder holding a copy of examples/, as from the root of the sources
	mkdir -p "$TMP/root"
	cp -R "$ETL_ROOT/examples" "$TMP/root/examples"
	# each code block: one "$ etl-..." line, then the output it prints
	while IFS= read -r -d '' block; do
		cmd=${block%%$'\n'*}
		want=${block#*$'\n'}
		run bash -o pipefail -c "cd '$TMP/root' && ${cmd#\$ }"
		assert_success
		assert_output "$want"
		n=$((n + 1))
	done < <(awk '
		/^```/ { if (inb) { printf "%s", b; printf "%c", 0 } inb = !inb; b = ""; next }
		inb { b = b $0 "\n" }
	' "$man" | sed -z 's/\n$//')
	((n >= 5))
}

# --- fields never present -----------------------------------------------------

@test "a field an expression reads that no record had: one warning at the end, with a hint for \"DE\"" {
	put in.ndjson '{"country":"FR","n":1}\n{"country":"DE","n":2}\n{"country":"FR","n":3}\n'
	run --separate-stderr etl-map --where 'country == "DE"' --set 'm=nn + 1' --set 'k=n' in.ndjson
	assert_success
	assert_output ''
	assert_stderr $'etl-map: --where: field "DE" never present in 3 records; for the text DE write \'DE\''
	run --separate-stderr etl-map --where "country == 'DE'" --set 'm=nn + 1' in.ndjson
	assert_success
	assert_output '{"country":"DE","n":2,"m":null}'
	assert_stderr 'etl-map: --set: field nn never present in 1 records'
	run --separate-stderr etl-map -q --where 'country == "DE"' in.ndjson
	assert_success
	assert_no_stderr
}

@test "a field present in one record only is not reported; one never read (after a false 'and') is not either" {
	put in.ndjson '{"a":1}\n{"a":2,"b":1}\n{"a":3}\n'
	run --separate-stderr etl-map --where 'b == 1' --where 'a > 5 and zz == 1' in.ndjson
	assert_success
	assert_no_stderr
	assert_output ''
}

@test "a quoted name with quotes inside: the hint escapes the text as a literal" {
	put in.ndjson '{"a":1}\n'
	run --separate-stderr etl-map --where '"it'"'"'s" == a' in.ndjson
	assert_success
	assert_stderr $'etl-map: --where: field "it\'s" never present in 1 records; for the text it\'s write \'it\\\'s\''
}

@test "--strict: a field never present is an error, exit 1, and no -o file" {
	put in.ndjson '{"country":"FR"}\n'
	run --separate-stderr etl-map --strict --where 'country == "DE"' -o out.ndjson --stats st.json in.ndjson
	assert_failure 1
	assert_stderr $'etl-map: --where: field "DE" never present in 1 records; for the text DE write \'DE\''
	[[ ! -e out.ndjson ]]
	[[ $(jq .exit_status st.json) == 1 ]]
	run --separate-stderr etl-map --strict -q --where 'country == "DE"' in.ndjson
	assert_failure 1
	assert_stderr_regex 'never present'
	run --separate-stderr etl-map --strict --where "country == 'FR'" in.ndjson
	assert_success
	assert_output '{"country":"FR"}'
	run --separate-stderr etl-map --strict --select country in.ndjson
	assert_failure 2
	assert_stderr_regex '^etl-map: --strict: needs --set or --where'
}
