#!/usr/bin/env bats
# tests/etl-profile.bats - etl-profile: the profile of each field, the table,
# the JSON Schema.
#
# Exact records on small fixtures (types, logical types, nested and quoted
# paths, repeated keys, numbers of any size, dates by instant, bytewise
# strings); the counts of a generated file of a few thousand records against
# an independent Python reference (tests/helpers/profile-ref.py); exact
# distinct counts up to --exact-distinct, then the estimate within its
# stated error; the schema checked against the 2020-12 meta-schema and the
# data against the schema; bad records, --stats, usage errors, and the
# manual's examples.

load helpers/common

REF="$BATS_TEST_DIRNAME/helpers/profile-ref.py"

setup() {
	cd "$TMP" || return 1
}

# field NAME: etl-profile's record of field NAME from profile.ndjson, as
# written (jq would respell its numbers).
field() {
	grep -F "{\"field\":$(jq -n --arg f "$1" '$f')," profile.ndjson
}

stat_counts() {
	jq -r '"\(.records_in) \(.records_out) \(.bad) \(.dropped)"' "$1"
}

# --- records ------------------------------------------------------------------

@test "one record per field in first-seen order, every key documented" {
	put in.ndjson '{"id":1,"name":"Ann","price":19.99}\n{"id":2,"name":"","price":null,"extra":true}\n{"id":2,"name":"Ann","price":1e2}\n'
	run --separate-stderr etl-profile in.ndjson
	assert_success
	assert_no_stderr
	assert_output - <<'EOF'
{"field":"id","records":3,"count":3,"missing":0,"nulls":0,"types":{"number":3},"type":"integer","empty":0,"distinct":2,"distinct_exact":true,"distinct_error":0,"min":1,"max":2,"top":[{"value":2,"count":2},{"value":1,"count":1}],"top_exact":true,"min_length":null,"max_length":null,"precision":1,"scale":0}
{"field":"name","records":3,"count":3,"missing":0,"nulls":0,"types":{"string":3},"type":"text","empty":1,"distinct":2,"distinct_exact":true,"distinct_error":0,"min":"","max":"Ann","top":[{"value":"Ann","count":2},{"value":"","count":1}],"top_exact":true,"min_length":0,"max_length":3,"precision":null,"scale":null}
{"field":"price","records":3,"count":3,"missing":0,"nulls":1,"types":{"null":1,"number":2},"type":"decimal","empty":0,"distinct":2,"distinct_exact":true,"distinct_error":0,"min":19.99,"max":1e2,"top":[{"value":19.99,"count":1},{"value":1e2,"count":1}],"top_exact":true,"min_length":null,"max_length":null,"precision":5,"scale":2}
{"field":"extra","records":3,"count":1,"missing":2,"nulls":0,"types":{"boolean":1},"type":"boolean","empty":0,"distinct":1,"distinct_exact":true,"distinct_error":0,"min":true,"max":true,"top":[{"value":true,"count":1}],"top_exact":true,"min_length":null,"max_length":null,"precision":null,"scale":null}
EOF
	# every key the output has is described in the manual's OUTPUT section
	for k in $(head -1 <<<"$output" | jq -r 'keys_unsorted[]'); do
		grep -q "^\*$k\*" "$ETL_ROOT/man/etl-profile.1.scd" ||
			grep -q "^\*[a-z_]*\*, \*$k\*" "$ETL_ROOT/man/etl-profile.1.scd" ||
			fail "key $k is not described in man/etl-profile.1.scd"
	done
}

@test "the logical type each kind of value gets" {
	put in.ndjson '{"i":-7,"d":"2026-11-24","t":"2026-11-24T18:30:00Z","u":"123e4567-e89b-12d3-a456-426614174000","e":"ann.lee+x@mail.example.com","b":false,"x":"hello","a":[1],"o":{},"n":null,"m":1,"dt":"2026-11-24","ie":"@x"}\n{"i":12345678901234567890123,"m":"1","dt":"2026-11-24T10:00:00Z","ie":"a@b"}\n'
	etl-profile in.ndjson >profile.ndjson
	run jq -r '"\(.field) \(.type)"' profile.ndjson
	assert_output - <<'EOF'
i integer
d date
t timestamp
u uuid
e email
b boolean
x text
a array
o object
n null
m mixed
dt text
ie text
EOF
}

@test "integers and decimals together are decimal; precision and scale fit every number" {
	put in.ndjson '{"n":123456789012345678901234567890123456789012}\n{"n":-1e50}\n{"n":0.000}\n{"n":1.10e-3}\n{"n":-0}\n'
	etl-profile in.ndjson >profile.ndjson
	run field n
	assert_output '{"field":"n","records":5,"count":5,"missing":0,"nulls":0,"types":{"number":5},"type":"decimal","empty":0,"distinct":4,"distinct_exact":true,"distinct_error":0,"min":-1e50,"max":123456789012345678901234567890123456789012,"top":[{"value":0.000,"count":2},{"value":123456789012345678901234567890123456789012,"count":1},{"value":-1e50,"count":1},{"value":1.10e-3,"count":1}],"top_exact":true,"min_length":null,"max_length":null,"precision":56,"scale":5}'
	put in.ndjson '{"p":0.05}\n{"p":0.5}\n{"q":0}\n'
	etl-profile in.ndjson >profile.ndjson
	assert_equal "$(jq -c '[.field, .type, .precision, .scale]' profile.ndjson)" $'["p","decimal",2,2]\n["q","integer",1,0]'
}

@test "numbers are compared by value whatever their spelling; the first spelling is kept" {
	put in.ndjson '{"p":41.00}\n{"p":41.0}\n{"p":1.9999e2}\n{"p":199.99}\n{"p":4.1e1}\n'
	etl-profile in.ndjson >profile.ndjson
	assert_equal "$(field p | jq -c .distinct)" 2
	assert_equal "$(field p | grep -o '"min":.*"top_exact"')" \
		'"min":41.00,"max":1.9999e2,"top":[{"value":41.00,"count":3},{"value":1.9999e2,"count":2}],"top_exact"'
}

@test "timestamps compare by instant, strings bytewise and by decoded content" {
	put in.ndjson '{"t":"2026-11-24T18:30:00+01:00","s":"b"}\n{"t":"2026-11-24T18:00:00Z","s":"B"}\n{"t":"2026-11-24 17:00","s":"\\u00e9"}\n{"s":"z"}\n{"s":"é"}\n'
	etl-profile in.ndjson >profile.ndjson
	assert_equal "$(field t | jq -c '[.type, .min, .max, .min_length, .max_length]')" \
		'["timestamp","2026-11-24 17:00","2026-11-24T18:00:00Z",16,25]'
	assert_equal "$(field s | jq -c '[.distinct, .min, .max, .top[0]]')" \
		'[4,"B","é",{"value":"é","count":2}]'
	# a value is shown as first written
	assert_equal "$(field s | grep -o '"top":\[{[^}]*}')" '"top":[{"value":"\u00e9","count":2}'
}

@test "a mixed field orders false < true < numbers < strings; arrays have no min or max" {
	put in.ndjson '{"m":"a","a":[2]}\n{"m":10}\n{"m":true}\n{"m":false,"a":[1, 2]}\n{"m":"0","a":[1,2]}\n'
	etl-profile in.ndjson >profile.ndjson
	assert_equal "$(field m | jq -c '[.type, .types, .min, .max]')" \
		'["mixed",{"boolean":2,"number":1,"string":2},false,"a"]'
	assert_equal "$(field a | jq -c '[.type, .distinct, .min, .max, .top]')" \
		'["array",2,null,null,[{"value":[1,2],"count":2},{"value":[2],"count":1}]]'
}

@test "nested objects are flattened as paths, keys with dots quoted; an object is listed before its members" {
	put in.ndjson '{"a":{"b":1,"c.d":"x"},"k":1}\n{"a":null,"k":2}\n{"a":{"b":2,"e":{"f":true}},"\\u006b":3}\n{"k":4}\n'
	etl-profile in.ndjson >profile.ndjson
	run jq -c '[.field, .count, .missing, .nulls, .types]' profile.ndjson
	assert_output - <<'EOF'
["a",3,1,1,{"null":1,"object":2}]
["a.b",2,2,0,{"number":2}]
["a.\"c.d\"",1,3,0,{"string":1}]
["a.e",1,3,0,{"object":1}]
["a.e.f",1,3,0,{"boolean":1}]
["k",4,0,0,{"number":4}]
EOF
	assert_equal "$(field a | jq -c '[.type, .distinct, .distinct_exact, .min, .top]')" '["object",null,null,null,[]]'
}

@test "of a key written twice in one object the last counts, for its whole subtree" {
	put in.ndjson '{"a":1,"a":{"x":1}}\n{"a":{"y":2},"a":{"z":3},"\\u0062":"B","b":"C"}\n'
	etl-profile in.ndjson >profile.ndjson
	run jq -c '[.field, .count, .types, .min]' profile.ndjson
	assert_output - <<'EOF'
["a",2,{"object":2},null]
["a.x",1,{"number":1},1]
["a.z",1,{"number":1},3]
["b",1,{"string":1},"C"]
EOF
}

@test "an empty input has no fields" {
	run --separate-stderr etl-profile --stats st.json /dev/null
	assert_success
	assert_output ""
	assert_equal "$(stat_counts st.json)" "0 0 0 0"
}

# --- against a reference --------------------------------------------------------

@test "the counts of 4000 generated records agree with the Python reference" {
	python3 "$REF" gen 4000 11 >in.ndjson
	python3 "$REF" ref in.ndjson >want.ndjson
	etl-profile in.ndjson | python3 "$REF" norm >got.ndjson
	assert_equal "$(wc -l <want.ndjson)" 16
	run diff want.ndjson got.ndjson
	assert_success
	assert_output ""
}

@test "the reference agrees on another seed, read from stdin, with CRLF lines" {
	python3 "$REF" gen 3000 5 | sed 's/$/\r/' >in.ndjson
	python3 "$REF" gen 3000 5 >lf.ndjson
	python3 "$REF" ref lf.ndjson >want.ndjson
	etl-profile <in.ndjson | python3 "$REF" norm >got.ndjson
	run diff want.ndjson got.ndjson
	assert_success
}

# --- distinct values: exact, then estimated ----------------------------------------

@test "distinct counts are exact up to --exact-distinct, then a HyperLogLog estimate within its error" {
	awk 'BEGIN { for (i = 1; i <= 20000; i++) printf "{\"v\":%d,\"w\":%d}\n", i, i % 100 }' >in.ndjson
	etl-profile --exact-distinct 20000 in.ndjson >profile.ndjson
	assert_equal "$(field v | jq -c '[.distinct, .distinct_exact, .distinct_error, .top_exact]')" '[20000,true,0,true]'
	etl-profile --exact-distinct 19999 in.ndjson >profile.ndjson
	run field v
	assert_equal "$(jq -c '[.distinct_exact, .distinct_error, .top_exact]' <<<"$output")" '[false,0.008125,false]'
	# within three standard errors of the true count
	run jq -e '(.distinct - 20000 | fabs) <= 3 * 0.008125 * 20000' <<<"$output"
	assert_success
	# the same value counted twice is still one, estimated or not
	cat in.ndjson in.ndjson >twice.ndjson
	assert_equal "$(etl-profile --exact-distinct 100 twice.ndjson | jq -c 'select(.field == "v") | .distinct')" \
		"$(etl-profile --exact-distinct 100 in.ndjson | jq -c 'select(.field == "v") | .distinct')"
	# w has 100 values: exact at 100, estimated at 99
	assert_equal "$(field w | jq -c '[.distinct, .distinct_exact]')" '[100,true]'
	etl-profile --exact-distinct 99 in.ndjson >profile.ndjson
	assert_equal "$(field w | jq -c '.distinct_exact')" false
}

@test "past --exact-distinct the top values are those first seen, still counted exactly" {
	# a..c first, then 50 singletons, then many z: z came too late to be counted
	{
		for v in a b c a b a; do echo "{\"v\":\"$v\"}"; done
		for i in $(seq 1 50); do echo "{\"v\":\"s$i\"}"; done
		for i in $(seq 1 20); do echo '{"v":"z"}'; done
		echo '{"v":"a"}'
	} >in.ndjson
	etl-profile --exact-distinct 10 in.ndjson >profile.ndjson
	assert_equal "$(field v | jq -c '[.top_exact, .top[0:4]]')" \
		'[false,[{"value":"a","count":4},{"value":"b","count":2},{"value":"c","count":1},{"value":"s1","count":1}]]'
	etl-profile in.ndjson >profile.ndjson
	assert_equal "$(field v | jq -c '[.distinct, .top_exact, .top[0:2]]')" \
		'[54,true,[{"value":"z","count":20},{"value":"a","count":4}]]'
}

# --- the table --------------------------------------------------------------------

@test "--table writes an aligned table, cells cut at 30 characters" {
	put in.ndjson '{"id":1,"name":"Ann","note":"a rather long text that goes on and on","p":1.50}\n{"id":2,"name":"","p":null}\n'
	run --separate-stderr etl-profile --table in.ndjson
	assert_success
	assert_output - <<'EOF'
field  type          count  nulls  missing  empty  distinct  min                             max                             length  top
id     integer           2      0        0      0         2  1                               2                                       1 (1)
name   text              2      0        0      1         2  ""                              Ann                             0..3    Ann (1)
note   text              1      0        1      0         1  a rather long text that goes …  a rather long text that goes …  38..38  a rather long text that goes … (1)
p      decimal(3,2)      2      1        0      0         1  1.50                            1.50                                    1.50 (1)
2 records, 4 fields
EOF
}

@test "on a terminal the output is the table; through a pipe or with -o it is NDJSON" {
	put in.ndjson '{"id":1}\n'
	command -v script >/dev/null || skip "script(1) is not installed"
	run script -qec "etl-profile in.ndjson" /dev/null
	assert_success
	assert_equal "$(tr -d '\r' <<<"$output")" $'field  type     count  nulls  missing  empty  distinct  min  max  length  top\nid     integer      1      0        0      0         1  1    1            1 (1)\n1 record, 1 field'
	run script -qec "etl-profile in.ndjson -o out.ndjson" /dev/null
	assert_success
	assert_output ""
	assert_equal "$(jq -r .type out.ndjson)" integer
}

# --- the schema -------------------------------------------------------------------

@test "--schema writes a JSON Schema 2020-12 of the data seen" {
	put in.ndjson '{"id":1,"d":"2026-11-24","t":"2026-11-24T18:30:00Z","u":"123e4567-e89b-12d3-a456-426614174000","e":"a@b.example","c":{"x":1,"y":"a"},"p":1.5,"tags":[1]}\n{"id":2,"d":"2026-11-25","t":"2026-11-24T18:30:00.5+01:00","u":null,"c":{"x":2},"p":2,"tags":[]}\n{"id":3,"d":"2026-11-25","t":"2026-11-24T18:30:00Z","c":null,"p":null,"s":"2026-11-24 18:30"}\n'
	run --separate-stderr etl-profile --schema schema.json -o /dev/null in.ndjson
	assert_success
	assert_no_stderr
	run jq -c . schema.json
	assert_output '{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"id":{"type":"integer"},"d":{"type":"string","format":"date"},"t":{"type":"string","format":"date-time"},"u":{"type":["null","string"],"format":"uuid"},"e":{"type":"string","format":"email"},"c":{"type":["null","object"],"properties":{"x":{"type":"integer"},"y":{"type":"string"}},"required":["x"]},"p":{"type":["null","number"]},"tags":{"type":"array"},"s":{"type":"string"}},"required":["id","d","t","c","p"]}'
}

@test "the schema is valid against the 2020-12 meta-schema and the data is valid against it" {
	require_testdata json-schema-metaschemas-2020-12
	# Debian's python3-jsonschema (tools/install-deps) is for Debian's python3,
	# which another python3 first on PATH may hide
	local py=python3
	"$py" -c 'import jsonschema' 2>/dev/null || py=/usr/bin/python3
	"$py" -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is not installed"
	python3 "$REF" gen 2000 3 >in.ndjson
	etl-profile --schema schema.json in.ndjson >/dev/null
	# a record that breaks it must be refused, or the check proves nothing
	printf '%s\n' '{"id":"one"}' >wrong.ndjson
	run "$py" - "$TESTDATA/json-schema-metaschemas-2020-12" schema.json in.ndjson wrong.ndjson <<'EOF'
import json, pathlib, sys
import jsonschema
from jsonschema import Draft202012Validator
try:
    from referencing import Registry, Resource
except ImportError:
    Registry = None

meta_dir, schema_path, good, bad = sys.argv[1:5]
schema = json.load(open(schema_path))
# the meta-schema and its vocabularies, from the shared copy, not the network
docs = [json.load(open(p)) for p in pathlib.Path(meta_dir).rglob("*.json")]
top = next(d for d in docs if d.get("$id") == "https://json-schema.org/draft/2020-12/schema")
if Registry:
    reg = Registry().with_resources((d["$id"], Resource.from_contents(d)) for d in docs if "$id" in d)
    Draft202012Validator(top, registry=reg).validate(schema)
else:
    Draft202012Validator(top).validate(schema)
v = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
n = 0
for line in open(good):
    v.validate(json.loads(line))
    n += 1
bad_ok = sum(v.is_valid(json.loads(line)) for line in open(bad))
print(n, bad_ok)
EOF
	assert_success
	assert_output "2000 0"
}

@test "a schema file that cannot be written fails at once, before any output" {
	put in.ndjson '{"a":1}\n'
	run --separate-stderr etl-profile --schema nodir/s.json in.ndjson
	assert_failure 74
	assert_output ""
	assert_stderr "etl-profile: nodir/s.json: cannot open: No such file or directory"
}

@test "a failed run leaves no schema file behind" {
	put in.ndjson '{"a":1}\nnot json\n'
	run --separate-stderr etl-profile --schema s.json in.ndjson
	assert_failure 65
	[[ ! -e s.json ]]
	assert_no_temp_files .
}

# --- bad records, stats, usage ----------------------------------------------------

@test "a bad record stops the run with its location, and nothing is written" {
	put in.ndjson '{"a":1}\noops\n{"a":2}\n'
	run --separate-stderr etl-profile in.ndjson
	assert_failure 65
	assert_output ""
	assert_stderr "etl-profile: in.ndjson:2:1: invalid JSON: expected a JSON object"
}

@test "--bad-records skip and FILE leave bad records out of every count; --stats adds up" {
	put in.ndjson '{"a":1}\noops\n{"a":2}\n[3]\n'
	run --separate-stderr etl-profile --bad-records skip --stats st.json in.ndjson
	assert_success
	assert_equal "$(jq -c '[.records, .count, .distinct, .max]' <<<"$output")" '[2,2,2,2]'
	assert_stderr $'etl-profile: in.ndjson:2:1: invalid JSON: expected a JSON object (skipped; further bad records are counted)\netl-profile: 2 bad records skipped'
	assert_equal "$(stat_counts st.json)" "4 2 2 0"
	run --separate-stderr etl-profile --bad-records rej.ndjson in.ndjson
	assert_success
	assert_equal "$(jq -c '[.line, .raw]' rej.ndjson)" $'[2,"oops"]\n[4,"[3]"]'
	run --separate-stderr etl-profile --bad-records skip --max-bad 1 in.ndjson
	assert_failure 1
}

@test "--stats: every valid record is profiled (records_out), none dropped" {
	python3 "$REF" gen 500 1 >in.ndjson
	etl-profile --stats st.json in.ndjson >profile.ndjson
	assert_equal "$(stat_counts st.json)" "500 500 0 0"
	assert_equal "$(jq -r .exit_status st.json)" 0
}

@test "usage errors: --exact-distinct needs a positive count; --rules needs a file" {
	run --separate-stderr etl-profile --exact-distinct 0 /dev/null
	assert_failure 2
	assert_stderr $'etl-profile: --exact-distinct: expected a positive integer, got \'0\'\nTry \'etl-profile --help\' for more information.'
	run --separate-stderr etl-profile --exact-distinct 1k /dev/null
	assert_failure 2
	run --separate-stderr etl-profile --rules
	assert_failure 2
	assert_stderr_regex '^etl-profile: --rules: '
}

@test "-o writes the profile atomically" {
	put in.ndjson '{"a":1}\n'
	run --separate-stderr etl-profile -o out.ndjson in.ndjson
	assert_success
	assert_output ""
	assert_equal "$(jq -r .field out.ndjson)" a
	put bad.ndjson '{"a":1}\nx\n'
	run --separate-stderr etl-profile -o out.ndjson bad.ndjson
	assert_failure 65
	assert_equal "$(jq -r .field out.ndjson)" a
	assert_no_temp_files .
}

@test "memory does not grow with the input: --exact-distinct bounds it" {
	command -v /usr/bin/time >/dev/null || skip "GNU time is not installed"
	awk 'BEGIN { for (i = 1; i <= 500000; i++) printf "{\"v\":%d}\n", i }' >big.ndjson
	head -n 50000 big.ndjson >small.ndjson
	/usr/bin/time -f %M -o small.rss etl-profile --exact-distinct 1000 small.ndjson >/dev/null
	/usr/bin/time -f %M -o big.rss etl-profile --exact-distinct 1000 big.ndjson >/dev/null
	# ten times the records, at most 1 MiB more
	(($(tail -1 big.rss) < $(tail -1 small.rss) + 1024)) ||
		fail "peak RSS $(tail -1 small.rss) KiB -> $(tail -1 big.rss) KiB"
}

@test "the manual's examples print what they show" {
	check_man_examples etl-profile 3
	# the schema example writes a file: what the page shows is what it holds
	etl-profile --schema s.json -o /dev/null "$DATA/map/orders.ndjson"
	assert_equal "$(grep -F '{"$schema"' "$ETL_ROOT/man/etl-profile.1.scd" | sed 's/^\t//')" "$(cat s.json)"
}

@test "etl-validate --schema accepts the schema written, passes the data and refuses a wrong record" {
	python3 "$REF" gen 2000 3 >in.ndjson
	etl-profile --schema schema.json in.ndjson >/dev/null
	run --separate-stderr etl-validate --schema schema.json -o valid.ndjson in.ndjson
	assert_success
	assert_same_file in.ndjson valid.ndjson
	printf '%s\n' '{"id":"one"}' >wrong.ndjson
	run --separate-stderr etl-validate --schema schema.json --rejects rej.ndjson wrong.ndjson
	assert_output ""
	assert_equal "$(jq -c '[.errors[] | select(.path == "/id") | .rule]' rej.ndjson)" '["type"]'
}

# --- --rules --------------------------------------------------------------------

@test "--rules: expectations that etl-validate --rules accepts; the same data passes, altered data fails" {
	put in.ndjson '{"id":1,"c":{"n":"Ann"},"country":"FR","qty":3,"price":19.99,"note":"x"}
{"id":2,"c":{"n":"Bob"},"country":"DE","qty":null,"price":5,"note":"a, b"}
{"id":3,"c":{"n":"Cy"},"country":"FR","qty":12,"price":1e2,"note":"x"}
{"id":4,"c":{"n":"Di"},"country":"DE","price":7.50,"note":"x"}\n'
	run --separate-stderr etl-profile --rules r.json -o /dev/null in.ndjson
	assert_success
	assert_no_stderr
	run cat r.json
	assert_output - <<-'OUT'
	{"expect": [
	  {"rows": "1.."},
	  {"not-null": "id"},
	  {"unique": "id"},
	  {"range": "id:1..4"},
	  {"not-null": "c.n"},
	  {"unique": "c.n"},
	  {"not-null": "country"},
	  {"accepted": "country:FR,DE"},
	  {"range": "qty:3..12"},
	  {"not-null": "price"},
	  {"unique": "price"},
	  {"range": "price:5..1e2"},
	  {"not-null": "note"}
	]}
	OUT
	run --separate-stderr etl-validate -q --rules r.json in.ndjson
	assert_success
	assert_output "$(cat in.ndjson)"
	# each alteration breaks one expectation
	local alt
	for alt in 's/"id":4/"id":3/' 's/"country":"DE","price"/"country":"BE","price"/' \
		's/"qty":12/"qty":13/' 's/"price":5,/"price":null,/' 's/"c":{"n":"Di"}/"c":{}/'; do
		sed "$alt" in.ndjson >alt.ndjson
		! cmp -s in.ndjson alt.ndjson || fail "$alt changed nothing"
		run --separate-stderr etl-validate --rules r.json alt.ndjson
		assert_failure 1
		assert_output ''
		assert_stderr_regex 'failed: --'
	done
}

@test "--rules: estimated distinct counts give no unique; an empty input expects no records; a bad path is an I/O error" {
	seq 1 50 | sed 's/.*/{"k":&}/' >in.ndjson
	run --separate-stderr etl-profile --exact-distinct 10 --rules r.json -o /dev/null in.ndjson
	assert_success
	run jq -c '.expect' r.json
	assert_output '[{"rows":"1.."},{"not-null":"k"},{"range":"k:1..50"}]'
	: >empty.ndjson
	run --separate-stderr etl-profile --rules r.json -o /dev/null empty.ndjson
	assert_success
	run jq -c '.expect' r.json
	assert_output '[{"rows":"0..0"}]'
	run etl-validate -q --rules r.json empty.ndjson
	assert_success
	run --separate-stderr etl-profile --rules nothere/r.json -o out.ndjson in.ndjson
	assert_failure 74
	assert_stderr_regex '^etl-profile: nothere/r.json: cannot open'
	[[ ! -e out.ndjson ]]
}
