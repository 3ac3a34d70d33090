#!/usr/bin/env bats
# tests/etl-to-csv.bats - NDJSON to CSV: the columns (first record or
# --fields, nested paths), how each kind of value is written, quoting only
# where RFC 4180 needs it, the delimiter, quote, null and line-end options,
# bad records, the common options, round trips through etl-from-csv, and the
# man page's examples.

load helpers/common

setup() {
	require_program etl-to-csv
	cd "$TMP" || return 1
}

TRY="Try 'etl-to-csv --help' for more information."

usage_error() {
	assert_failure 2
	assert_output ""
	assert_stderr "$(printf 'etl-to-csv: %s\n%s' "$1" "$TRY")"
}

# ---- columns ----

@test "the first record's keys are the columns, in its order" {
	put in.ndjson '{"id":1,"name":"Ann","qty":2}\n{"id":2,"name":"Bob","qty":10}\n'
	run --separate-stderr etl-to-csv in.ndjson
	assert_success
	assert_no_stderr
	assert_output 'id,name,qty
1,Ann,2
2,Bob,10'
}

@test "later records may order their keys differently" {
	put in.ndjson '{"a":1,"b":2,"c":3}\n{"c":6,"a":4,"b":5}\n{"b":8}\n'
	run --separate-stderr etl-to-csv in.ndjson
	assert_success
	assert_no_stderr
	assert_output 'a,b,c
1,2,3
4,5,6
,8,'
}

@test "a key that is not in the first record is left out, with one warning" {
	put in.ndjson '{"a":1}\n{"a":2,"zip":"x"}\n{"a":3,"more":1,"zip":2}\n'
	run --separate-stderr etl-to-csv in.ndjson
	assert_success
	assert_output 'a
1
2
3'
	assert_stderr 'etl-to-csv: in.ndjson:2: key "zip" is not in the first record: left out (further ones are not reported; --all-keys keeps them)'
	run --separate-stderr etl-to-csv -q in.ndjson
	assert_success
	assert_no_stderr
}

@test "a key repeated in a record: one column, the last value counts" {
	put in.ndjson '{"a":1,"b":2,"a":3}\n{"a":4,"a":5,"b":6}\n'
	run --separate-stderr etl-to-csv in.ndjson
	assert_success
	assert_no_stderr
	assert_output 'a,b
3,2
5,6'
}

@test "keys written with escapes match the same decoded key" {
	put in.ndjson '{"caf\\u00e9":1,"a\\"b":2}\n{"café":3,"a\\u0022b":4}\n'
	run --separate-stderr etl-to-csv in.ndjson
	assert_success
	assert_output 'café,"a""b"
1,2
3,4'
}

@test "--fields chooses the columns, nested paths included; the header joins keys with dots" {
	put in.ndjson '{"id":1,"customer":{"name":"Ann","addr":{"city":"Lyon"}},"x":0}\n{"id":2,"customer":{"name":"Bob"}}\n'
	run --separate-stderr etl-to-csv --fields customer.name,id,customer.addr.city in.ndjson
	assert_success
	assert_no_stderr
	assert_output 'customer.name,id,customer.addr.city
Ann,1,Lyon
Bob,2,'
}

@test "-f takes quoted keys holding dots, commas and spaces" {
	put in.ndjson '{"a.b":1,"c,d":2,"unit price":3,"a":{"b":4}}\n'
	run --separate-stderr etl-to-csv -f '"a.b","c,d","unit price",a.b' in.ndjson
	assert_success
	assert_output 'a.b,"c,d",unit price,a.b
1,2,3,4'
}

@test "--fields: the header is written even without records" {
	put empty.ndjson ''
	run --separate-stderr etl-to-csv --fields a,b empty.ndjson
	assert_success
	assert_output 'a,b'
	run --separate-stderr etl-to-csv empty.ndjson
	assert_success
	assert_output ''
}

@test "--fields: an invalid path is a usage error" {
	run --separate-stderr etl-to-csv --fields 'a,,b' /dev/null
	usage_error "--fields: column 3: empty field name"
	run --separate-stderr etl-to-csv --fields '"a' /dev/null
	usage_error "--fields: column 3: unterminated quoted segment"
}

@test "--no-header writes the rows only" {
	put in.ndjson '{"a":1,"b":2}\n'
	run --separate-stderr etl-to-csv --no-header in.ndjson
	assert_success
	assert_output '1,2'
}

# ---- values ----

@test "strings are decoded, numbers keep their text, true and false stay" {
	put in.ndjson '{"s":"caf\\u00e9 \\ud83d\\ude00 \\\\ \\/","n":41.00,"big":12345678901234567890123,"e":1E+5,"neg":-0.0,"t":true,"f":false}\n'
	run --separate-stderr etl-to-csv in.ndjson
	assert_success
	assert_output 's,n,big,e,neg,t,f
café 😀 \ /,41.00,12345678901234567890123,1E+5,-0.0,true,false'
}

@test "null and missing fields are empty, or --null's text" {
	put in.ndjson '{"a":1,"b":null,"c":"x"}\n{"a":null}\n'
	run --separate-stderr etl-to-csv in.ndjson
	assert_success
	assert_output 'a,b,c
1,,x
,,'
	run --separate-stderr etl-to-csv --null NA in.ndjson
	assert_success
	assert_output 'a,b,c
1,NA,x
NA,NA,NA'
	run --separate-stderr etl-to-csv --null 'n,a' in.ndjson
	assert_success
	assert_line --index 1 '1,"n,a",x'
}

@test "objects and arrays are written as compact JSON" {
	put in.ndjson '{"o":{ "a" : [1, 2 , {"b": "x y"}] },"e":[],"s":"{ not json }"}\n'
	run --separate-stderr etl-to-csv in.ndjson
	assert_success
	assert_output 'o,e,s
"{""a"":[1,2,{""b"":""x y""}]}",[],{ not json }'
}

@test "quotes only where needed: delimiter, quote, CR, LF; spaces need none" {
	put in.ndjson '{"a":"x,y","b":"say \\"hi\\"","c":"l1\\nl2","d":"cr\\r","e":"  pad  ","f":"","g":"it'"'"'s"}\n'
	run --separate-stderr etl-to-csv in.ndjson
	assert_success
	assert_output "a,b,c,d,e,f,g
\"x,y\",\"say \"\"hi\"\"\",\"l1
l2\",\"cr"$'\r'"\",  pad  ,,it's"
}

@test "a one-column table writes an empty value as \"\" so its row is not blank" {
	put in.ndjson '{"a":"x"}\n{"a":""}\n{"a":null}\n{"a":"y"}\n'
	run --separate-stderr etl-to-csv in.ndjson
	assert_success
	assert_output 'a
x
""
""
y'
}

@test "header names are quoted like values" {
	put in.ndjson '{"a,b":1,"say \\"x\\"":2,"":3}\n'
	run --separate-stderr etl-to-csv in.ndjson
	assert_success
	assert_output '"a,b","say ""x""",
1,2,3'
}

# ---- format options ----

@test "-d and --delimiter change the delimiter and what needs quotes" {
	put in.ndjson '{"a":"x;y","b":"p,q","c":1.5}\n'
	run --separate-stderr etl-to-csv -d ';' in.ndjson
	assert_success
	assert_output 'a;b;c
"x;y";p,q;1.5'
	run --separate-stderr etl-to-csv --delimiter . in.ndjson
	assert_success
	assert_output 'a.b.c
x;y.p,q."1.5"'
}

@test "--tsv and -d '\\t' write tab-separated values" {
	put in.ndjson '{"a":"x\\ty","b":"p,q"}\n'
	run --separate-stderr etl-to-csv --tsv in.ndjson
	assert_success
	assert_output $'a\tb\n"x\ty"\tp,q'
	run --separate-stderr etl-to-csv -d '\t' in.ndjson
	assert_success
	assert_output $'a\tb\n"x\ty"\tp,q'
}

@test "--quote sets the quote character" {
	put in.ndjson '{"a":"x,y","b":"it'"'"'s","c":"say \\"hi\\""}\n'
	run --separate-stderr etl-to-csv --quote "'" in.ndjson
	assert_success
	assert_output "a,b,c
'x,y','it''s',say \"hi\""
}

@test "--crlf ends rows with CRLF; line breaks inside fields stay as they are" {
	put in.ndjson '{"a":"l1\\nl2","b":1}\n{"a":"x","b":2}\n'
	etl-to-csv --crlf in.ndjson >out.csv
	assert_bytes out.csv 'a,b\r\n"l1\nl2",1\r\nx,2\r\n'
	etl-to-csv in.ndjson >out.csv
	assert_bytes out.csv 'a,b\n"l1\nl2",1\nx,2\n'
}

@test "bad delimiters and quotes are usage errors" {
	run --separate-stderr etl-to-csv -d ab /dev/null
	usage_error "-d: expected one character, got 'ab'"
	run --separate-stderr etl-to-csv -d $'\r' /dev/null
	usage_error "-d: cannot be a line break or a non-ASCII byte"
	run --separate-stderr etl-to-csv --tsv -d , /dev/null
	usage_error "-d: conflicts with --tsv"
	run --separate-stderr etl-to-csv --quote , /dev/null
	usage_error "--quote: the quote and the delimiter must differ"
	run --separate-stderr etl-to-csv --quote '' /dev/null
	usage_error "--quote: expected one character, got ''"
}

# ---- input and bad records ----

@test "white space around a record and blank lines are fine" {
	put in.ndjson '  {"a":1}  \r\n\n\t{"a":2}\n'
	run --separate-stderr etl-to-csv in.ndjson
	assert_success
	assert_output 'a
1
2'
}

@test "a line that is not a JSON object is a bad record" {
	put in.ndjson '{"a":1}\n[2]\n{"a":\n{"a":4}\n'
	run --separate-stderr etl-to-csv in.ndjson
	assert_failure 65
	assert_stderr "etl-to-csv: in.ndjson:2:1: not a JSON object: an array"
	run --separate-stderr etl-to-csv --bad-records skip in.ndjson
	assert_success
	assert_output 'a
1
4'
	assert_stderr "etl-to-csv: in.ndjson:2:1: not a JSON object: an array (skipped; further bad records are counted)
etl-to-csv: 2 bad records skipped"
}

@test "--bad-records FILE and --max-bad" {
	put in.ndjson '{"a":1}\n[2]\n3\n{"a":4}\n'
	run --separate-stderr etl-to-csv --bad-records rej.ndjson in.ndjson
	assert_success
	assert_output 'a
1
4'
	run jq -c '[.line, .raw]' rej.ndjson
	assert_output '[2,"[2]"]
[3,"3"]'
	run --separate-stderr etl-to-csv --bad-records skip --max-bad 1 in.ndjson
	assert_failure 1
	assert_stderr "etl-to-csv: in.ndjson:2:1: not a JSON object: an array (skipped; further bad records are counted)
etl-to-csv: in.ndjson:3:1: too many bad records: more than 1 (--max-bad)"
}

@test "several files and standard input are read in order; the columns are the first record's" {
	put a.ndjson '{"a":1,"b":2}\n'
	put b.ndjson '{"b":3,"a":4}\n'
	run --separate-stderr bash -c 'printf "{\"a\":5}\n" | etl-to-csv a.ndjson - b.ndjson'
	assert_success
	assert_output 'a,b
1,2
5,
4,3'
}

# ---- common options ----

@test "-o writes atomically; a failed run leaves no file" {
	put in.ndjson '{"a":1}\n'
	run --separate-stderr etl-to-csv -o out.csv in.ndjson
	assert_success
	assert_output ""
	assert_bytes out.csv 'a\n1\n'
	put bad.ndjson '{"a":1}\n[2]\n'
	run --separate-stderr etl-to-csv --output new.csv bad.ndjson
	assert_failure 65
	assert_stderr "etl-to-csv: bad.ndjson:2:1: not a JSON object: an array"
	[[ ! -e new.csv ]] || fail "new.csv was written"
	assert_no_temp_files .
}

@test "--stats counts the records: in = out + bad" {
	put in.ndjson '{"a":1}\nx\n{"a":2}\n'
	run --separate-stderr etl-to-csv --bad-records skip -q --stats st.json in.ndjson
	assert_success
	assert_output 'a
1
2'
	run jq -c '[.program, .records_in, .records_out, .bad, .exit_status]' st.json
	assert_output '["etl-to-csv",3,2,1,0]'
}

@test "--progress=always draws a status line on stderr" {
	python3 -c '[print("{\"a\":%d}" % i) for i in range(5000)]' >in.ndjson
	run --separate-stderr etl-to-csv --progress=always in.ndjson
	assert_success
	[[ ${#lines[@]} -eq 5001 ]] || fail "rows missing"
	assert_stderr_regex 'etl-to-csv: 4096 records, '
}

@test "a missing input file exits 74; an unknown option exits 2" {
	run --separate-stderr etl-to-csv nope.ndjson
	assert_failure 74
	assert_output ""
	assert_stderr "etl-to-csv: nope.ndjson: cannot open: No such file or directory"
	run --separate-stderr etl-to-csv --nope
	usage_error "--nope: unknown option"
}

@test "--help lists every option; --version prints the version" {
	local o
	run --separate-stderr etl-to-csv --help
	assert_success
	assert_line --index 0 "Usage: etl-to-csv [OPTIONS] [FILE...]"
	for o in -f, --fields --no-header -d, --delimiter --tsv --quote --null --crlf -o, --output \
		--bad-records --max-bad --progress --stats -q, --quiet -h, --help --version; do
		assert_output --partial -- "$o"
	done
	run --separate-stderr etl-to-csv -h
	assert_success
	assert_line --index 0 "Usage: etl-to-csv [OPTIONS] [FILE...]"
	run --separate-stderr etl-to-csv --version
	assert_success
	assert_output --regexp '^etl-to-csv [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "the man page and the completions name every option of --help" {
	local o
	run etl-to-csv --help
	for o in $(grep -oE -- '--[a-z][a-z-]+' <<<"$output" | sort -u); do
		grep -qF -- "*$o*" "$ETL_ROOT/man/etl-to-csv.1.scd" || fail "man page lacks $o"
		grep -qF -- "$o" "$ETL_ROOT/completions/etl.bash" || fail "bash completion lacks $o"
		grep -qF -- "$o" "$ETL_ROOT/completions/_etl" || fail "zsh completion lacks $o"
	done
	assert_output --partial 'etl-to-csv(1)'
}

@test "the man page's examples run and print what the page shows" {
	require_program etl-from-csv
	check_man_examples etl-to-csv 4
}

# ---- round trips ----

@test "NDJSON of strings -> CSV -> NDJSON gives back the records exactly" {
	require_program etl-from-csv
	put in.ndjson '{"a":"x, \\"y\\"","b":"line\\none","c":""}\n{"a":"  spaced  ","b":"","c":"€"}\n{"a":"\\r\\n","b":",","c":"\\""}\n{"a":"\\u0000\\u001f","b":"\\t","c":"ok"}\n'
	etl-to-csv in.ndjson | etl-from-csv >out.ndjson
	assert_same_file in.ndjson out.ndjson
	etl-to-csv --crlf --tsv in.ndjson | etl-from-csv --tsv >out.ndjson
	assert_same_file in.ndjson out.ndjson
	etl-to-csv --quote "'" -d ';' in.ndjson | etl-from-csv --quote "'" -d ';' >out.ndjson
	assert_same_file in.ndjson out.ndjson
}

@test "a one-column table with empty values survives the round trip" {
	require_program etl-from-csv
	put in.ndjson '{"a":""}\n{"a":"x"}\n{"a":""}\n'
	etl-to-csv in.ndjson | etl-from-csv >out.ndjson
	assert_same_file in.ndjson out.ndjson
}

@test "numbers, booleans and nulls come back with etl-from-csv --infer --null ''" {
	require_program etl-from-csv
	put in.ndjson '{"id":1,"price":41.00,"big":12345678901234567890123,"ok":true,"none":null,"s":"007"}\n'
	etl-to-csv in.ndjson | etl-from-csv --infer --null '' >out.ndjson
	assert_same_file in.ndjson out.ndjson
}

@test "csv-spectrum and the fixtures: CSV -> NDJSON -> CSV -> NDJSON is stable" {
	require_program etl-from-csv
	require_testdata csv-spectrum
	local f
	for f in "$TESTDATA"/csv-spectrum/csvs/*.csv "$DATA"/csv/*.csv; do
		etl-from-csv "$f" >once.ndjson
		etl-to-csv once.ndjson | etl-from-csv >twice.ndjson
		assert_same_file once.ndjson twice.ndjson
	done
	run bash -c "etl-from-csv '$DATA/csv/orders.csv' | etl-to-csv"
	assert_output "$(cat "$DATA/csv/orders.csv")"
	run bash -c "etl-from-csv '$DATA/csv/tricky.csv' | etl-to-csv --crlf"
	assert_output "$(printf 'id,text,note,empty\r\n1,"a, ""quoted"" one","multi\r\nline",\r\n2,  spaced  ,"5'"'"'11""",\r\n3,\xe2\x82\xac \xca\xa4,,x\r')"
}

# dialect_error WANT ARGS...: etl-from-csv and etl-to-csv both refuse ARGS
# with status 2 and the message WANT.
dialect_error() {
	local want=$1 p
	shift
	for p in etl-from-csv etl-to-csv; do
		run --separate-stderr "$p" "$@" /dev/null
		assert_failure 2
		assert_output ""
		assert_stderr "$p: $want
Try '$p --help' for more information."
	done
}

@test "the CSV dialect options are read alike by etl-from-csv and etl-to-csv" {
	dialect_error "-d: expected one character, got 'ab'" -d ab
	dialect_error "-d: conflicts with --tsv" --tsv -d ';'
	dialect_error "--tsv: conflicts with --delimiter" -d ';' --tsv
	dialect_error "--quote: the quote and the delimiter must differ" --quote ,
	dialect_error "--quote: the quote and the delimiter must differ" --tsv --quote '\t'
	dialect_error "--quote: expected one character, got 'é'" --quote é
	dialect_error "--delimiter: cannot be a line break or a non-ASCII byte" --delimiter $'\n'
}

# --- --flatten, --all-keys ------------------------------------------------------

@test "--all-keys: the keys of all the records, in first-seen order, no warning" {
	put in.ndjson '{"a":1}\n{"a":2,"zip":"x"}\n{"more":true,"a":3,"zip":2}\n'
	run --separate-stderr etl-to-csv --all-keys --stats st.json in.ndjson
	assert_success
	assert_no_stderr
	assert_output $'a,zip,more\n1,,\n2,x,\n3,2,true'
	[[ $(jq -c '[.records_in,.records_out,.bad,.dropped]' st.json) == '[3,3,0,0]' ]]
}

@test "--flatten: nested objects as columns, named with --sep; arrays and empty objects stay JSON" {
	put in.ndjson '{"id":1,"c":{"n":"Ann","a":{"z":"L"}},"t":[1,{"x":2}],"e":{}}\n{"id":2,"c":{"n":"Bob"}}\n'
	run --separate-stderr etl-to-csv --flatten in.ndjson
	assert_success
	assert_output $'id,c.n,c.a.z,t,e\n1,Ann,L,"[1,{""x"":2}]",{}\n2,Bob,,,'
	run --separate-stderr etl-to-csv --flatten --sep _ --all-keys in.ndjson
	assert_success
	assert_output $'id,c_n,c_a_z,t,e\n1,Ann,L,"[1,{""x"":2}]",{}\n2,Bob,,,'
	# the same names as etl-map --flatten gives
	run bash -c 'etl-map --flatten in.ndjson | etl-to-csv --all-keys'
	assert_output $'id,c.n,c.a.z,t,e\n1,Ann,L,"[1,{""x"":2}]",{}\n2,Bob,,,'
}

@test "--all-keys keeps memory flat: the records wait in a temporary file, removed at the end" {
	mkdir spill
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"id\":%d,\"k%d\":\"%0200d\"}\n", i, i % 3, i }' >in.ndjson
	run --separate-stderr etl-to-csv --all-keys --temp-dir spill -o out.csv in.ndjson
	assert_success
	[[ $(head -n 1 out.csv) == id,k0,k1,k2 ]]
	[[ $(wc -l <out.csv) == 20001 ]]
	[[ -z $(ls -A spill) ]]
	run --separate-stderr etl-to-csv --all-keys --temp-dir nothere in.ndjson
	assert_failure 74
	assert_stderr_regex '^etl-to-csv: nothere: '
}

@test "--flatten, --all-keys, --sep, --max-width, --temp-dir: misuse is a usage error" {
	put in.ndjson '{"a":1}\n'
	run --separate-stderr etl-to-csv --flatten -f a in.ndjson
	assert_failure 2
	assert_stderr_regex '^etl-to-csv: --flatten: not with --fields'
	run --separate-stderr etl-to-csv --all-keys -f a in.ndjson
	assert_failure 2
	run --separate-stderr etl-to-csv --sep _ in.ndjson
	assert_failure 2
	assert_stderr_regex '^etl-to-csv: --sep: needs --flatten or --pretty'
	run --separate-stderr etl-to-csv --flatten --sep '' in.ndjson
	assert_failure 2
	assert_stderr_regex '^etl-to-csv: --sep: the separator cannot be empty'
	run --separate-stderr etl-to-csv --max-width 5 in.ndjson
	assert_failure 2
	run --separate-stderr etl-to-csv --temp-dir . in.ndjson
	assert_failure 2
	run --separate-stderr etl-to-csv --pretty --no-header in.ndjson
	assert_failure 2
	run --separate-stderr etl-to-csv --pretty --max-width 1 in.ndjson
	assert_failure 2
}

# --- --pretty -------------------------------------------------------------------

@test "--pretty: aligned columns, numbers right-aligned, nested values flattened, every key" {
	put in.ndjson '{"id":1,"c":{"n":"Ann"},"amount":199.90}\n{"id":22,"c":{"n":"Bob"},"amount":null,"note":"late"}\n{"id":3,"amount":-5}\n'
	run --separate-stderr etl-to-csv --pretty in.ndjson
	assert_success
	assert_no_stderr
	assert_output - <<-'OUT'
	id  c.n  amount  note
	 1  Ann  199.90
	22  Bob          late
	 3           -5
	OUT
	run --separate-stderr etl-to-csv --pretty --null NA -f id,c in.ndjson
	assert_output - <<-'OUT'
	id  c
	 1  {"n":"Ann"}
	22  {"n":"Bob"}
	 3  NA
	OUT
}

@test "--pretty: widths count terminal columns; wide cells are cut with an ellipsis" {
	put in.ndjson '{"t":"日本語テキスト","n":1}\n{"t":"cafe\\u0301 au lait","n":2}\n{"t":"a\\nb","n":3}\n{"t":"abcdefgh","n":4}\n'
	run --separate-stderr etl-to-csv --pretty --max-width 7 in.ndjson
	assert_success
	assert_line -n 0 't        n'
	assert_line -n 1 '日本語…  1'
	assert_line -n 2 $'cafe\u0301 a…  2'
	assert_line -n 3 'a b      3'
	assert_line -n 4 'abcdef…  4'
	run --separate-stderr etl-to-csv --pretty --max-width 0 in.ndjson
	assert_line -n 1 '日本語テキスト  1'
}

@test "--pretty -n: the first N records, a last line that says so; stdout not a terminal shows all" {
	seq 1 30 | sed 's/.*/{"i":&}/' >in.ndjson
	run --separate-stderr etl-to-csv --pretty -n 2 --stats st.json in.ndjson
	assert_success
	assert_output $'i\n1\n2\n(the first 2 records; -n 0 shows all)'
	[[ $(jq -c '[.records_in,.records_out,.dropped]' st.json) == '[3,2,1]' ]]
	run --separate-stderr etl-to-csv --pretty in.ndjson
	[[ ${#lines[@]} == 31 ]]
	run --separate-stderr etl-to-csv --pretty -n 30 in.ndjson
	[[ ${#lines[@]} == 31 ]]
	run --separate-stderr etl-to-csv -n 2 in.ndjson
	assert_output $'i\n1\n2'
}

@test "--pretty on a terminal shows the first 20 records" {
	command -v script >/dev/null || skip "script(1) is not installed"
	seq 1 30 | sed 's/.*/{"i":&}/' >in.ndjson
	run script -qec "etl-to-csv --pretty in.ndjson" /dev/null
	assert_success
	[[ ${#lines[@]} == 22 ]]
	assert_line -n 21 $'(the first 20 records; -n 0 shows all)\r'
}
