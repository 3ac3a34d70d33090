#!/usr/bin/env bats
# tests/etl-fetch-api.bats - etl-fetch-api against a real HTTP server of our
# own (tests/tools/apiserver.py, on 127.0.0.1, a port the system picks),
# started once for the file and stopped at its end.  The server logs every
# request it receives (one JSON line each), which the tests read to check
# what was sent: the pages asked for, the retries, the pauses, the auth.

load helpers/common

setup_file() {
	local i

	command -v python3 >/dev/null || skip "python3 is needed for the test server"
	export API_LOG="$BATS_FILE_TMPDIR/requests.log" API_PORT_FILE="$BATS_FILE_TMPDIR/port"
	# the server exits by itself after its lifetime, whatever happens here
	python3 "$BATS_TEST_DIRNAME/tools/apiserver.py" --port-file "$API_PORT_FILE" \
		--log "$API_LOG" --lifetime 600 >"$BATS_FILE_TMPDIR/server.out" 2>&1 3>&- &
	echo $! >"$BATS_FILE_TMPDIR/server.pid"
	for ((i = 0; i < 100; i++)); do
		[[ -s $API_PORT_FILE ]] && break
		sleep 0.1
	done
	[[ -s $API_PORT_FILE ]] || fail "the test server did not start: $(cat "$BATS_FILE_TMPDIR/server.out")"
	export API="http://127.0.0.1:$(cat "$API_PORT_FILE")"
	# a PostgreSQL cluster for the state table, when one is installed
	export PG_OK=
	if "$BATS_TEST_DIRNAME/pg.sh" start "$BATS_FILE_TMPDIR/pg" >"$BATS_FILE_TMPDIR/pg.env" \
		2>"$BATS_FILE_TMPDIR/pg.err"; then
		# shellcheck disable=SC1091
		source "$BATS_FILE_TMPDIR/pg.env"
		export PGHOST PGPORT PGUSER PGDATABASE PG_OK=1
	fi
}

teardown_file() {
	[[ -f $BATS_FILE_TMPDIR/server.pid ]] && kill "$(cat "$BATS_FILE_TMPDIR/server.pid")" 2>/dev/null
	[[ -n ${PG_OK:-} ]] && "$BATS_TEST_DIRNAME/pg.sh" stop "$BATS_FILE_TMPDIR/pg"
	return 0
}

# need_pg: skip the test when no PostgreSQL server could be started.
need_pg() {
	[[ -n $PG_OK ]] || skip "no PostgreSQL server: $(head -c 200 "$BATS_FILE_TMPDIR/pg.err")"
	psql -X -q -c 'DROP TABLE IF EXISTS etl_state' >/dev/null
}

# changes LO HI: the /changes records LO..HI.
changes() {
	local i

	for ((i = $1; i <= $2; i++)); do
		printf '{"id":%d,"updated_at":"2026-01-01T00:00:0%dZ"}\n' "$i" "$i"
	done
}

setup() {
	cd "$TMP" || return 1
	: >"$API_LOG"
}

# fetch ARGS...: etl-fetch-api, bounded in time like every request loop here.
fetch() {
	timeout 60 etl-fetch-api "$@"
}

# items LO HI: the server's records LO..HI as etl-fetch-api writes them.
items() {
	awk -v lo="$1" -v hi="$2" 'BEGIN { for (i = lo; i <= hi; i++)
		printf "{\"id\":%d,\"name\":\"item %d\",\"price\":19.990,\"qty\":1e2,\"big\":12345678901234567890,\"tags\":[\"a\",\"b\"]}\n", i, i }'
}

# requests: the paths the server received, one per line, in order.
requests() {
	python3 -c 'import json, sys
for l in open(sys.argv[1]): print(json.loads(l)["path"])' "$API_LOG"
}

# logged FIELD: one value of each logged request (a top-level field, or
# headers.NAME), "-" when absent.
logged() {
	python3 -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    for k in sys.argv[2].split("."): r = r.get(k, "-") if isinstance(r, dict) else "-"
    print(r)' "$API_LOG" "$1"
}

# gaps: the seconds between consecutive requests, one per line.
gaps() {
	python3 -c 'import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1])]
for a, b in zip(t, t[1:]): print("%.3f" % (b - a))' "$API_LOG"
}

# ---- records ----

@test "a top-level array: one line per record, numbers and key order kept, blanks gone" {
	items 1 5 >expected
	run --separate-stderr fetch "$API/items?n=5"
	assert_success
	assert_no_stderr
	assert_output "$(cat expected)"
}

@test "--records finds the records inside the body; --meta adds the page's values at the end" {
	run --separate-stderr fetch "$API/wrapped" --records data.items --meta rid=request_id \
		--meta page=page.n --meta none=no.such
	assert_success
	assert_no_stderr
	assert_output "$(items 1 3 | sed 's/}$/,"rid":"req-7","page":1,"none":null}/')"
}

@test "--records with [*] reaches into each element; a single object is one record" {
	run --separate-stderr fetch "$API/attrs" --records 'data[*].attributes'
	assert_success
	assert_output "$(printf '%s\n' '{"id":1,"v":1.50}' '{"id":2,"v":2.50}')"
	run --separate-stderr fetch "$API/single"
	assert_success
	assert_output '{"id":1,"amount":0.10}'
	run --separate-stderr fetch "$API/empty" --records data
	assert_success
	assert_output ""
	assert_no_stderr
}

@test "NDJSON bodies: one record per line, through the pages" {
	run --separate-stderr fetch "$API/ndjson" --format ndjson --paginate link
	assert_success
	assert_output "$(items 1 25)"
	assert_equal "$(requests | tr '\n' ' ')" "/ndjson /ndjson?page=2 /ndjson?page=3 "
}

@test "a body that is not JSON is status 65 with the URL and the offset, and no record of it is written" {
	run --separate-stderr fetch "$API/bad" --records data
	assert_failure 65
	assert_output ""
	assert_stderr "etl-fetch-api: $API/bad: offset 26: invalid JSON: expected a string key"
	run --separate-stderr fetch "$API/notobj"
	assert_failure 65
	assert_output ""
	assert_stderr "etl-fetch-api: $API/notobj: offset 10: a record is not an object"
	run --separate-stderr fetch "$API/badndjson" --format ndjson
	assert_failure 65
	assert_output ""
	assert_stderr "etl-fetch-api: $API/badndjson: offset 16: invalid JSON: unexpected end of line, expected ',' or '}'"
}

# csv_items LO HI [infer]: the /csv records LO..HI as etl-fetch-api
# --format csv writes them (with infer: as with --infer).
csv_items() {
	awk -v lo="$1" -v hi="$2" -v infer="${3:-}" -v d="${CSV_D:-,}" 'BEGIN { for (i = lo; i <= hi; i++) {
		note = i % 2 ? "z" : "x" d "y"
		if (infer) {
			qty = i % 5 ? i : "null"
			printf "{\"id\":%d,\"name\":\"item %d\",\"price\":19.990,\"qty\":%s,\"note\":\"%s\"}\n", i, i, qty, note
		} else {
			qty = i % 5 ? i : ""
			printf "{\"id\":\"%d\",\"name\":\"item %d\",\"price\":\"19.990\",\"qty\":\"%s\",\"note\":\"%s\"}\n", i, i, qty, note
		}
	} }'
}

@test "--format csv: each row of a CSV body is a record, strings unless --infer" {
	run --separate-stderr fetch "$API/csv?size=3" --format csv
	assert_success
	assert_no_stderr
	assert_output "$(csv_items 1 3)"
	assert_equal "$(logged headers.accept)" "text/csv"
	run --separate-stderr fetch "$API/csv?size=6" --format csv -i
	assert_success
	assert_output "$(csv_items 1 6 infer)"
	run --separate-stderr fetch "$API/csv?size=6" --format csv --infer --null 19.990 --null z
	assert_success
	assert_output "$(csv_items 1 6 infer | sed 's/"price":19.990/"price":null/; s/"note":"z"/"note":null/')"
}

@test "--format csv: the delimiter is detected per page (--verbose says it) or given" {
	CSV_D=';' csv_items 1 25 >expected
	run --separate-stderr fetch "$API/csv?per_page=10&d=%3B" --paginate link --format csv --verbose
	assert_success
	assert_output "$(cat expected)"
	assert_equal "$(grep -c "the delimiter is ';'" <<<"$stderr")" 3
	CSV_D='|' csv_items 1 3 >expected
	run --separate-stderr fetch "$API/csv?size=3&d=%7C" --format csv --delimiter '|'
	assert_success
	assert_no_stderr
	assert_output "$(cat expected)"
	CSV_D='\\t' csv_items 1 2 >expected
	run --separate-stderr fetch "$API/csv?size=2&d=%09" --format csv
	assert_output "$(cat expected)"
}

@test "--format csv with the pagination styles that need no body: link, header-cursor, page, offset" {
	run --separate-stderr fetch "$API/csv?per_page=10" --paginate link --format csv
	assert_success
	assert_output "$(csv_items 1 25)"
	assert_equal "$(requests | wc -l)" 3
	: >"$API_LOG"
	run --separate-stderr fetch "$API/csv?hc=1" --paginate header-cursor:after=X-Next-Cursor --format csv
	assert_success
	assert_output "$(csv_items 1 25)"
	assert_equal "$(requests | tr '\n' ' ')" "/csv?hc=1 /csv?hc=1&after=10 /csv?hc=1&after=20 "
	: >"$API_LOG"
	run --separate-stderr fetch "$API/csv" --paginate page:page,size=10,size-param=size --format csv
	assert_success
	assert_output "$(csv_items 1 25)"
	assert_equal "$(requests | wc -l)" 3
	: >"$API_LOG"
	run --separate-stderr fetch "$API/csv" --paginate offset:offset,limit=10 --format csv
	assert_success
	assert_output "$(csv_items 1 25)"
	assert_equal "$(requests | tr '\n' ' ')" \
		"/csv?offset=0&limit=10 /csv?offset=10&limit=10 /csv?offset=20&limit=10 "
	: >"$API_LOG"
	# a page of a header and no row is empty: the end
	run --separate-stderr fetch "$API/csv" --paginate page:page,start=3 --format csv
	assert_success
	assert_output "$(csv_items 21 25)"
	assert_equal "$(requests | tr '\n' ' ')" "/csv?page=3 /csv?page=4 "
}

@test "--format csv: a bad CSV body fails with 65, its URL and line, and writes nothing of it" {
	run --separate-stderr fetch "$API/csv?size=5&bad=3" --format csv
	assert_failure 65
	assert_output ""
	assert_stderr "etl-fetch-api: $API/csv?size=5&bad=3: line 4: expected 5 fields, found 4"
	printf '{"n":3}\n{"n":0}\n' >in.ndjson
	run --separate-stderr fetch "$API/csv?size=5&bad={n}" --for-each --format csv \
		--bad-records skip <in.ndjson
	assert_success
	assert_output "$(csv_items 1 5)"
	assert_stderr "etl-fetch-api: <stdin>:1: $API/csv?size=5&bad=3: line 4: expected 5 fields, found 4 (skipped; further bad records are counted)
etl-fetch-api: 1 bad record skipped"
}

@test "--format csv: what needs a JSON body, and CSV options without it, are usage errors" {
	run --separate-stderr fetch "$API/csv" --format csv --records data
	assert_failure 2
	assert_stderr "etl-fetch-api: --records: does not apply to --format csv: each row is a record
Try 'etl-fetch-api --help' for more information."
	run --separate-stderr fetch "$API/csv" --format csv --paginate next-url:next
	assert_failure 2
	assert_stderr "etl-fetch-api: --paginate: a cursor or next URL in the body needs --format json
Try 'etl-fetch-api --help' for more information."
	run --separate-stderr fetch "$API/csv" --format csv --total-path total
	assert_failure 2
	run --separate-stderr fetch "$API/csv" --infer
	assert_failure 2
	assert_stderr "etl-fetch-api: --infer: needs --format csv
Try 'etl-fetch-api --help' for more information."
	run --separate-stderr fetch "$API/csv" --delimiter ';'
	assert_failure 2
	assert_stderr "etl-fetch-api: --delimiter: needs --format csv
Try 'etl-fetch-api --help' for more information."
	run --separate-stderr fetch "$API/csv" --format xml
	assert_failure 2
	assert_stderr "etl-fetch-api: --format: expected json, ndjson or csv, got 'xml'
Try 'etl-fetch-api --help' for more information."
}

# ---- requests ----

@test "requests name the toolkit, accept compressed bodies, and decode them" {
	run --separate-stderr fetch "$API/echo"
	assert_success
	assert_output --regexp '"ua":"etl-fetch-api/[0-9]+\.[0-9]+\.[0-9]+"'
	assert_output --partial '"accept":"application/json"'
	assert_output --regexp '"encoding":"[^"]*gzip'
	run --separate-stderr fetch "$API/gzip?n=4"
	assert_success
	assert_output "$(items 1 4)"
	assert_equal "$(logged headers.accept-encoding)" "$(logged headers.accept-encoding | grep gzip)"
}

@test "-X, -H, --data and --query make the request asked for, the query encoded" {
	run --separate-stderr fetch "$API/echo?a=1" -X PUT -H 'X-Trace: t1' \
		--data '{"q":"x y"}' --query 'name=a b&c' --query 'é=ü'
	assert_success
	assert_output '{"path":"/echo?a=1&name=a%20b%26c&%c3%a9=%c3%bc","ua":"etl-fetch-api/0.1.0","accept":"application/json","encoding":"deflate, gzip, br, zstd","method":"PUT","body":"{\"q\":\"x y\"}"}'
	assert_equal "$(logged headers.x-trace)" "t1"
	assert_equal "$(logged headers.content-type)" "application/json"
	printf 'from a file' >body.txt
	: >"$API_LOG"
	run --separate-stderr fetch "$API/echo" --data @body.txt --records nothing
	assert_success
	assert_equal "$(logged method)" "POST"
	assert_equal "$(logged body)" "from a file"
}

# ---- pagination ----

@test "--paginate link follows rel=next among other links, to the last page" {
	run --separate-stderr fetch "$API/link" --query per_page=10 --paginate link
	assert_success
	assert_output "$(items 1 25)"
	assert_equal "$(requests | tr '\n' ' ')" \
		"/link?per_page=10 /link?page=2&per_page=10 /link?page=3&per_page=10 "
}

@test "--paginate next-url follows a relative URL in the body until it is null" {
	run --separate-stderr fetch "$API/next" --records results --paginate next-url:next
	assert_success
	assert_output "$(items 1 25)"
	assert_equal "$(requests | tr '\n' ' ')" "/next /next?page=2 /next?page=3 "
}

@test "--paginate cursor sends the cursor back; --stop-when has_more=false ends it" {
	run --separate-stderr fetch "$API/cursor" --records data --query limit=10 \
		--paginate cursor:starting_after=last --stop-when has_more=false
	assert_success
	assert_output "$(items 1 25)"
	assert_equal "$(requests | tr '\n' ' ')" \
		"/cursor?limit=10 /cursor?limit=10&starting_after=10 /cursor?limit=10&starting_after=20 "
}

@test "a cursor path may name the last record's field (Stripe's starting_after)" {
	run --separate-stderr fetch "$API/cursor" --records data --query limit=7 \
		--paginate 'cursor:starting_after=data[-1].id' --stop-when has_more=false
	assert_success
	assert_output "$(items 1 25)"
	assert_equal "$(requests | wc -l)" 4
}

@test "--paginate cursor-body puts the cursor in the POST body" {
	run --separate-stderr fetch "$API/search" --data '{"q":"x","cursor":"0"}' \
		--records items --paginate cursor-body:cursor=next_cursor
	assert_success
	assert_output "$(items 1 25)"
	assert_equal "$(logged body | tr '\n' ' ')" \
		'{"q":"x","cursor":"0"} {"q":"x","cursor":"10"} {"q":"x","cursor":"20"} '
	assert_equal "$(logged method | sort -u)" "POST"
}

@test "--paginate header-cursor reads the cursor from a response header" {
	run --separate-stderr fetch "$API/hcursor" --paginate header-cursor:after=X-Next-Cursor
	assert_success
	assert_output "$(items 1 25)"
	assert_equal "$(requests | tr '\n' ' ')" "/hcursor /hcursor?after=10 /hcursor?after=20 "
}

@test "--paginate page stops at a short page with size=, at an empty one without" {
	run --separate-stderr fetch "$API/page" --records items \
		--paginate page:page,size=10,size-param=size
	assert_success
	assert_output "$(items 1 25)"
	assert_equal "$(requests | tr '\n' ' ')" \
		"/page?page=1&size=10 /page?page=2&size=10 /page?page=3&size=10 "
	: >"$API_LOG"
	run --separate-stderr fetch "$API/page" --records items --paginate page:page,start=2
	assert_success
	assert_output "$(items 11 25)"
	assert_equal "$(requests | tr '\n' ' ')" "/page?page=2 /page?page=3 /page?page=4 "
}

@test "--paginate offset with --total-path stops when the total is reached" {
	run --separate-stderr fetch "$API/offset" --records items \
		--paginate offset:offset,limit=5 --total-path total
	assert_success
	assert_output "$(items 1 25)"
	assert_equal "$(requests | tr '\n' ' ')" \
		"/offset?offset=0&limit=5 /offset?offset=5&limit=5 /offset?offset=10&limit=5 /offset?offset=15&limit=5 /offset?offset=20&limit=5 "
}

@test "--max-pages stops after N pages" {
	run --separate-stderr fetch "$API/link" --paginate link --max-pages 2
	assert_success
	assert_output "$(items 1 20)"
	assert_equal "$(requests | wc -l)" 2
}

@test "a next link back to a page already fetched is an error, not an endless loop" {
	run --separate-stderr fetch "$API/loop" --paginate link
	assert_failure 65
	assert_output "$(items 1 2; items 1 2)"
	assert_stderr "etl-fetch-api: $API/loop?page=1: this request was made before in this run: the pagination would loop"
	assert_equal "$(requests | wc -l)" 2
}

# ---- failures and retries ----

@test "a 4xx fails at once with status 69, the status and the start of the body" {
	run --separate-stderr fetch "$API/status/404"
	assert_failure 69
	assert_output ""
	assert_stderr "etl-fetch-api: $API/status/404: HTTP 404: nope: status 404"
	assert_equal "$(requests | wc -l)" 1
}

@test "--ignore-status takes such a response as an empty page" {
	run --separate-stderr fetch "$API/status/404" --ignore-status 410,404
	assert_success
	assert_output ""
	assert_no_stderr
}

@test "500 and 503 are retried; each record comes once; --stats counts the retries by cause" {
	run --separate-stderr fetch "$API/flaky/r1?fail=500,503" --stats st.json
	assert_success
	assert_output "$(items 1 3)"
	assert_no_stderr
	assert_equal "$(requests | wc -l)" 3
	run jq -c '{records_out, requests, pages, waits, retries, exit_status}' st.json
	assert_output '{"records_out":3,"requests":3,"pages":1,"waits":2,"retries":{"500":1,"503":1},"exit_status":0}'
}

@test "a dropped connection and a stalled response (--timeout) are retried" {
	run --separate-stderr fetch "$API/flaky/r2?fail=drop,stall" --timeout 1s --stats st.json
	assert_success
	assert_output "$(items 1 3)"
	run jq -c '.retries' st.json
	assert_output '{"connection":1,"timeout":1}'
}

@test "retries run out: status 75 with the last failure" {
	run --separate-stderr fetch "$API/flaky/r3?fail=502,502,502" --retries 2
	assert_failure 75
	assert_output ""
	assert_stderr "etl-fetch-api: $API/flaky/r3?fail=502,502,502: HTTP 502 (after 2 retries): failing"
	assert_equal "$(requests | wc -l)" 3
	run --separate-stderr fetch "$API/flaky/r4?fail=500" --retries 0
	assert_failure 75
	assert_stderr "etl-fetch-api: $API/flaky/r4?fail=500: HTTP 500 (after 0 retries): failing"
}

@test "nothing listens: connection errors are retried, then status 75" {
	local port

	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run --separate-stderr fetch "http://127.0.0.1:$port/x" --retries 1
	assert_failure 75
	assert_stderr_regex "^etl-fetch-api: http://127.0.0.1:$port/x: .*(Couldn't connect|Connection refused).* \(after 1 retries\)$"
}

@test "429 waits as Retry-After says, in seconds and as an HTTP date" {
	local start=$SECONDS

	run --separate-stderr fetch "$API/flaky/r5?fail=429s,429d" --stats st.json
	assert_success
	assert_output "$(items 1 3)"
	run jq -c '.retries' st.json
	assert_output '{"429":2}'
	# 1 s, then until a date 2 s ahead (1 to 2 s at a second's resolution)
	gaps >gaps.txt
	run awk 'NR == 1 && $1 < 0.95 { print "first gap " $1 } NR == 2 && $1 < 0.95 { print "second gap " $1 }' gaps.txt
	assert_output ""
}

@test "a Retry-After beyond --max-wait fails at once with status 75" {
	run --separate-stderr fetch "$API/flaky/r6?fail=429long"
	assert_failure 75
	assert_stderr "etl-fetch-api: $API/flaky/r6?fail=429long: HTTP 429: Retry-After asks to wait 3600s, more than --max-wait"
	assert_equal "$(requests | wc -l)" 1
	run --separate-stderr fetch "$API/flaky/r7?fail=429s" --max-wait 0s
	assert_failure 75
	assert_stderr "etl-fetch-api: $API/flaky/r7?fail=429s: HTTP 429: Retry-After asks to wait 1s, more than --max-wait"
}

@test "--retry-max-time caps the pauses of one request" {
	run --separate-stderr fetch "$API/flaky/r8?fail=429s,429s" --retry-max-time 1500ms
	assert_failure 75
	assert_stderr "etl-fetch-api: $API/flaky/r8?fail=429s,429s: HTTP 429 (the retries would wait more than --retry-max-time)"
	assert_equal "$(requests | wc -l)" 2
}

@test "X-RateLimit-Remaining 0 holds the next request until the reset, or fails past --max-wait" {
	run --separate-stderr fetch "$API/ratelimit" --paginate page:page
	assert_failure 75
	assert_output "$(items 1 1)"
	assert_stderr "etl-fetch-api: $API/ratelimit?page=2: the rate limit asks to wait 7200s, more than --max-wait"
	assert_equal "$(requests | wc -l)" 1
}

@test "a RateLimit or X-RateLimit header with nothing left holds the next request until the reset" {
	run --separate-stderr fetch "$API/ratelimit?reset=1" --paginate page:page --stats st.json
	assert_success
	assert_output "$(items 1 2)"
	assert_equal "$(requests | wc -l)" 3
	gaps >gaps.txt
	run awk '$1 < 0.95 { print "too close: " $1 }' gaps.txt
	assert_output ""
	: >"$API_LOG"
	run --separate-stderr fetch "$API/ratelimit?reset=1&ietf=1" --paginate page:page
	assert_success
	assert_output "$(items 1 2)"
	gaps >gaps.txt
	run awk '$1 < 0.95 { print "too close: " $1 }' gaps.txt
	assert_output ""
}

@test "the IETF RateLimit fields, structured or as three fields, hold the next request until the reset" {
	run --separate-stderr fetch "$API/ratelimit?reset=1&ietf=sf" --paginate page:page
	assert_success
	assert_output "$(items 1 2)"
	assert_equal "$(requests | wc -l)" 3
	gaps >gaps.txt
	run awk '$1 < 0.95 { print "too close: " $1 }' gaps.txt
	assert_output ""
	: >"$API_LOG"
	run --separate-stderr fetch "$API/ratelimit?reset=1&ietf=trio" --paginate page:page
	assert_success
	assert_output "$(items 1 2)"
	gaps >gaps.txt
	run awk '$1 < 0.95 { print "too close: " $1 }' gaps.txt
	assert_output ""
	: >"$API_LOG"
	run --separate-stderr fetch "$API/ratelimit?ietf=sf" --paginate page:page
	assert_failure 75
	assert_stderr "etl-fetch-api: $API/ratelimit?ietf=sf&page=2: the rate limit asks to wait 7200s, more than --max-wait"
}

@test "RateLimit-Policy: past its quota in its window, no request before the window ends" {
	run --separate-stderr fetch "$API/policy?q=3&w=1" --paginate page:page
	assert_success
	assert_output "$(items 1 4)"
	assert_equal "$(requests | wc -l)" 5
	# 3 answers in the first second: the 4th request waits for the next window
	gaps >gaps.txt
	run awk 'NR == 3 && $1 < 0.8 { print "too early: " $1 } { t += $1 } END { if (t < 0.95) print "too fast: " t }' gaps.txt
	assert_output ""
	: >"$API_LOG"
	# a loose policy (100 a second) never speeds up --rate 4/s
	run --separate-stderr fetch "$API/policy?q=100&w=1" --paginate page:page --rate 4/s
	assert_success
	gaps >gaps.txt
	run awk '$1 < 0.2 { print "too close: " $1 }' gaps.txt
	assert_output ""
	: >"$API_LOG"
	# one request in 3600 s: the second waits past --max-wait
	run --separate-stderr fetch "$API/policy?q=1&w=3600" --paginate page:page --max-wait 10s
	assert_failure 75
	assert_output "$(items 1 1)"
	assert_stderr "etl-fetch-api: $API/policy?q=1&w=3600&page=2: the rate limit asks to wait 3600s, more than --max-wait"
}

@test "--rate spaces every request, retries included" {
	run --separate-stderr fetch "$API/link?per_page=5" --paginate link --rate 5/s --stats st.json
	assert_success
	assert_output "$(items 1 25)"
	assert_equal "$(requests | wc -l)" 5
	# the requests leave 0.2 s apart; their arrival may jitter a little
	gaps >gaps.txt
	run awk '$1 < 0.15 { print "too close: " $1 } { t += $1 } END { if (t < 0.78) print "too fast: " t }' gaps.txt
	assert_output ""
	run jq -c '.waits >= 4' st.json
	assert_output true
	: >"$API_LOG"
	run --separate-stderr fetch "$API/flaky/r9?fail=503" --rate 2/s --retries 1
	assert_success
	gaps >gaps.txt
	run awk '$1 < 0.45 { print "too close: " $1 }' gaps.txt
	assert_output ""
}

# ---- auth and secrets ----

@test "bearer, basic, header and query secrets come from the environment" {
	export BT=s3cr3t-bearer BA=ann:pa55-w0rd KEY=k3y-v4lue QS=q-s3cr3t
	run --separate-stderr fetch "$API/auth/bearer" --bearer-env BT
	assert_success
	assert_output "$(items 1 2)"
	run --separate-stderr fetch "$API/auth/basic" --basic-env BA
	assert_success
	assert_output "$(items 1 2)"
	run --separate-stderr fetch "$API/auth/key" --header-env X-Api-Key=KEY
	assert_success
	assert_output "$(items 1 2)"
	run --separate-stderr fetch "$API/auth/query" --query-env api_key=QS
	assert_success
	assert_output "$(items 1 2)"
	run --separate-stderr fetch "$API/auth/bearer" --bearer-env NO_SUCH_VAR_X
	assert_failure 2
	assert_stderr "etl-fetch-api: --bearer-env: the environment variable NO_SUCH_VAR_X is not set"
}

@test "a refused secret is status 69, and the message hides --query-env values" {
	export QS=wr0ng-s3cr3t
	run --separate-stderr fetch "$API/auth/query" --query-env api_key=QS --query a=1
	assert_failure 69
	assert_stderr "etl-fetch-api: $API/auth/query?a=1&api_key=***: HTTP 401: {\"error\":\"unauthorized\"}"
}

@test "OAuth2: a token is fetched, kept, and replaced once on a 401" {
	export CID=cl-id CSEC=cl-s3cr3t
	# each token serves 2 requests, then the server refuses it
	run --separate-stderr fetch "$API/oauth/data" --records items --paginate page:page \
		--oauth2-token-url "$API/oauth/token?uses=2" --client-id-env CID \
		--client-secret-env CSEC --stats st.json
	assert_success
	assert_output "$(items 1 25)"
	run jq -c '{requests, token_requests, pages}' st.json
	assert_output '{"requests":11,"token_requests":3,"pages":6}'
	assert_equal "$(logged headers.authorization | grep -c Basic)" 3
}

@test "OAuth2: a token is renewed before it expires, and credentials may go in the body" {
	export CID=cl-id CSEC=cl-s3cr3t
	run --separate-stderr fetch "$API/oauth/data" --records items --paginate page:page \
		--oauth2-token-url "$API/oauth/token?ttl=1" --oauth2-auth post --client-id-env CID \
		--client-secret-env CSEC --scope 'read write' --rate 4/s --stats st.json
	assert_success
	assert_output "$(items 1 25)"
	# no 401 met: every request but the tokens' is a page
	run jq -c '.requests - .token_requests == .pages and .token_requests >= 2' st.json
	assert_output true
	assert_equal "$(logged headers.authorization | grep -c Basic)" 0
	run grep -c 'client_secret=cl-s3cr3t' "$API_LOG"
	assert_output "$(jq .token_requests st.json)"
	run grep -c 'grant_type=client_credentials&scope=read%20write&client_id=cl-id' "$API_LOG"
	assert_output "$(jq .token_requests st.json)"
	export CSEC=wr0ng
	run --separate-stderr fetch "$API/oauth/data" --oauth2-token-url "$API/oauth/token" \
		--client-id-env CID --client-secret-env CSEC
	assert_failure 69
	assert_stderr "etl-fetch-api: $API/oauth/token: HTTP 401: {\"error\":\"invalid_client\"}"
}

@test "secrets appear in no output: stdout, stderr, --stats, --progress" {
	local s

	export BT=s3cr3t-bearer BA=ann:pa55-w0rd KEY=k3y-v4lue QS=q-s3cr3t CID=cl-id CSEC=cl-s3cr3t
	{
		fetch "$API/auth/bearer" --bearer-env BT --progress=always --stats st1.json
		fetch "$API/auth/basic" --basic-env BA --progress=always --stats st2.json
		fetch "$API/auth/key" --header-env X-Api-Key=KEY --progress=always --stats st3.json
		fetch "$API/auth/query" --query-env api_key=QS --progress=always --stats st4.json
		fetch "$API/status/500?x=1" --query-env api_key=QS --retries 0 --stats st5.json ||
			true
		fetch "$API/auth/bearer" --header-env X-Api-Key=KEY --stats st6.json || true
		fetch "$API/oauth/data" --records items --oauth2-token-url "$API/oauth/token?uses=1" \
			--client-id-env CID --client-secret-env CSEC --paginate page:page --progress=always \
			--stats st7.json
		BT=wrong fetch "$API/oauth/token" --bearer-env BT -X POST --stats st8.json ||
			true
		fetch "$API/auth/bearer" -H 'Authorization: Bearer s3cr3t-bearer' --stats st9.json
	} >out.txt 2>err.txt
	[[ -s out.txt && -s err.txt ]] || fail "the runs wrote nothing"
	for s in s3cr3t-bearer pa55-w0rd "$(printf ann:pa55-w0rd | base64)" k3y-v4lue q-s3cr3t \
		cl-s3cr3t t0k-; do
		run grep -l -F -- "$s" out.txt err.txt st1.json st2.json st3.json st4.json st5.json \
			st6.json st7.json st8.json st9.json
		assert_output ""
	done
	run grep -c 'api_key=\*\*\*' err.txt
	assert_output 1
	# the -H secret reached the server, and --stats shows it hidden
	assert_equal "$(tail -1 "$API_LOG" | grep -c 'Bearer s3cr3t-bearer')" 1
	run jq -c '.arguments[1:3]' st9.json
	assert_output '["-H","Authorization: ***"]'
}

@test "--progress shows records, pages, requests and the time spent waiting" {
	run --separate-stderr fetch "$API/link" --paginate link --progress=always
	assert_success
	assert_output "$(items 1 25)"
	assert_stderr_regex $'\retl-fetch-api: 25 records, [0-9]+ rec/s, [0-9.]+ MB/s, 0:0[0-9], 3 pages, 3 requests, [0-9.]+ req/s, waited 0\.0s\e\[K\r\e\[K$'
}

@test "redirects are followed, but not with a secret header that libcurl would pass on" {
	export KEY=k3y-v4lue
	# the server's redirect drops the query: all 25 items
	run --separate-stderr fetch "$API/redirect/items?n=2"
	assert_success
	assert_output "$(items 1 25)"
	assert_equal "$(requests | tr '\n' ' ')" "/redirect/items?n=2 /items "
	: >"$API_LOG"
	run --separate-stderr fetch "$API/redirect/auth/key" --header-env X-Api-Key=KEY
	assert_failure 69
	assert_output ""
	assert_stderr "etl-fetch-api: $API/redirect/auth/key: HTTP 302"
	assert_equal "$(requests)" "/redirect/auth/key"
	run --separate-stderr fetch "$API/redirect/auth/key" -H 'X-Api-Key: k3y-v4lue'
	assert_failure 69
	assert_stderr "etl-fetch-api: $API/redirect/auth/key: HTTP 302"
}

@test "--netrc takes the user and password for the host from ~/.netrc" {
	mkdir home
	printf 'machine 127.0.0.1\nlogin ann\npassword pa55-w0rd\n' >home/.netrc
	chmod 600 home/.netrc
	HOME=$PWD/home run --separate-stderr fetch "$API/auth/basic" --netrc
	assert_success
	assert_output "$(items 1 2)"
	HOME=$PWD/home run --separate-stderr fetch "$API/auth/basic"
	assert_failure 69
}

@test "TLS is verified: an unknown certificate is refused (69), --cacert or --insecure accept it" {
	local i port

	command -v openssl >/dev/null || skip "openssl is needed to make a certificate"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	python3 "$BATS_TEST_DIRNAME/tools/apiserver.py" --port-file tls.port --log tls.log \
		--lifetime 60 --tls cert.pem key.pem >tls.out 2>&1 3>&- &
	echo $! >tls.pid
	for ((i = 0; i < 100; i++)); do
		[[ -s tls.port ]] && break
		sleep 0.1
	done
	port=$(cat tls.port)
	run --separate-stderr fetch "https://127.0.0.1:$port/items?n=2" --retries 0
	assert_failure 69
	assert_output ""
	assert_stderr_regex "^etl-fetch-api: https://127.0.0.1:$port/items\?n=2: .*certificate"
	run --separate-stderr fetch "https://127.0.0.1:$port/items?n=2" --cacert cert.pem
	assert_success
	assert_output "$(items 1 2)"
	run --separate-stderr fetch "https://127.0.0.1:$port/items?n=2" --insecure
	assert_success
	assert_output "$(items 1 2)"
	kill "$(cat tls.pid)"
}

# ---- the command line ----

@test "usage errors" {
	run --separate-stderr fetch
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: expected a URL"
	run --separate-stderr fetch "$API/a" "$API/b"
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: expected one URL, got 2 arguments"
	run --separate-stderr fetch ftp://x/y
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: not an http or https URL: 'ftp://x/y'"
	run --separate-stderr fetch "$API/a" --paginate pages:p
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: --paginate: expected link, next-url:PATH, cursor:PARAM=PATH, cursor-body:PARAM=PATH, header-cursor:PARAM=HEADER, page:PARAM or offset:PARAM,limit=N, got 'pages:p'"
	run --separate-stderr fetch "$API/a" --paginate offset:o
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: --paginate: 'offset:o': offset needs limit=N"
	run --separate-stderr fetch "$API/a" --paginate cursor-body:c=next
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: --paginate: cursor-body needs --data with a JSON object"
	run --separate-stderr fetch "$API/a" --format ndjson --records data
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: --records: needs --format json"
	run --separate-stderr fetch "$API/a" --rate 5/day
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: --rate: expected N/s or N/min, got '5/day'"
	run --separate-stderr fetch "$API/a" --oauth2-token-url "$API/t"
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: --oauth2-token-url: needs --client-id-env and --client-secret-env"
	run --separate-stderr fetch "$API/a" -H 'no colon'
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: -H: expected 'NAME: VALUE', got 'no colon'"
	assert_equal "$(requests | wc -l)" 0
}

@test "-o leaves no file behind when the run fails, and writes it whole when it succeeds" {
	run --separate-stderr fetch "$API/link" --paginate link -o out.ndjson --retries 0 \
		--max-pages 2
	assert_success
	assert_equal "$(cat out.ndjson)" "$(items 1 20)"
	run --separate-stderr fetch "$API/loop" --paginate link -o loop.ndjson
	assert_failure 65
	[[ ! -e loop.ndjson ]] || fail "loop.ndjson was left behind"
	run bash -c "ls -A | grep -v '^separate-stderr-'"
	assert_output "out.ndjson"
}

# ---- incremental ----

@test "--since sends the watermark as --since-param; an empty one sends nothing" {
	run --separate-stderr fetch "$API/changes" --since 2026-01-01T00:00:05Z --since-param since
	assert_success
	assert_output "$(changes 5 6)"
	run --separate-stderr fetch "$API/changes" --since '' --since-param since
	assert_success
	assert_output "$(changes 1 6)"
	assert_equal "$(requests | tr '\n' ' ')" "/changes?since=2026-01-01T00%3a00%3a05Z /changes "
}

@test "--state-key reads the watermark from etl-state's table and stores the new greatest --cursor-field" {
	need_pg
	run --separate-stderr fetch "$API/changes" --since-param since --state-key api.changes \
		--cursor-field updated_at
	assert_success
	assert_output "$(changes 1 6)"
	run etl-state get api.changes
	assert_output 2026-01-01T00:00:06Z
	etl-state set api.changes 2026-01-01T00:00:04Z
	: >"$API_LOG"
	run --separate-stderr fetch "$API/changes" --since-param since --state-key api.changes \
		--cursor-field updated_at --since-lag 2s
	assert_success
	assert_output "$(changes 2 6)"
	assert_equal "$(requests)" "/changes?since=2026-01-01T00%3a00%3a02Z"
	run etl-state get api.changes
	assert_output 2026-01-01T00:00:06Z
}

@test "--state-key: a failed run leaves the watermark as it was" {
	need_pg
	etl-state set api.changes 2026-01-01T00:00:02Z
	run --separate-stderr fetch "$API/changes?next=/status/503" --paginate link --retries 0 \
		--since-param since --state-key api.changes --cursor-field updated_at
	assert_failure 75
	assert_output "$(changes 2 6)"
	run etl-state get api.changes
	assert_output 2026-01-01T00:00:02Z
}

@test "--state-key, --since and their partners are checked before any request" {
	run --separate-stderr fetch "$API/changes" --state-key k --since-param since
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: --state-key: --state-key and --cursor-field go together"
	run --separate-stderr fetch "$API/changes" --since x
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: --since: needs --since-param"
	run --separate-stderr fetch "$API/changes" --since x --since-param s --state-key k \
		--cursor-field f
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: --since: give --since or --state-key, not both"
	run --separate-stderr fetch "$API/changes" --since-lag 1h --since x --since-param s
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: --since-lag: needs --state-key"
	assert_equal "$(requests | wc -l)" 0
}

# ---- --for-each ----

@test "--for-each makes one request per input record, the URL template's values encoded" {
	printf '{"cid":1}\n{"cid":2,"x":true}\n\n{"cid":3}\n' >in.ndjson
	run --separate-stderr fetch "$API/cust/{cid}" --for-each <in.ndjson
	assert_success
	assert_no_stderr
	assert_output "$(printf '%s\n' '{"id":1,"plan":"p1","orders":[{"n":1,"total":9.90}]}' \
		'{"id":2,"plan":"p2","orders":[{"n":1,"total":9.90}]}' \
		'{"id":3,"plan":"p0","orders":[{"n":1,"total":9.90}]}')"
	assert_equal "$(requests | tr '\n' ' ')" "/cust/1 /cust/2 /cust/3 "
	: >"$API_LOG"
	printf '{"cid":"a b/c"}\n' >in.ndjson
	run --separate-stderr fetch "$API/cust/{cid}" --for-each --bad-records skip -q <in.ndjson
	assert_success
	assert_equal "$(requests)" "/cust/a%20b%2Fc"
}

@test "--for-each: --query and --data are templates too; --into nests the records in the input record" {
	printf '{"k":"x&y","n":7}\n{"k":"z","n":8.50}\n' >in.ndjson
	run --separate-stderr fetch "$API/echo" --for-each --query 'key={k}' --data '{"n":{n},"k":"{k}"}' \
		--records . --into got <in.ndjson
	assert_success
	assert_line --index 0 '{"k":"x&y","n":7,"got":[{"path":"/echo?key=x%26y","ua":"etl-fetch-api/0.1.0","accept":"application/json","encoding":"deflate, gzip, br, zstd","method":"POST","body":"{\"n\":7,\"k\":\"x&y\"}"}]}'
	assert_line --index 1 --partial '{"k":"z","n":8.50,"got":[{"path":"/echo?key=z",'
	assert_line --index 1 --partial '"body":"{\"n\":8.50,\"k\":\"z\"}"}]}'
}

@test "--for-each: a missing field or a 4xx is a bad record; --ignore-status makes it an empty answer" {
	printf '{"cid":1}\n{"other":2}\n{"cid":"gone"}\n{"cid":3}\n' >in.ndjson
	run --separate-stderr fetch "$API/cust/{cid}" --for-each <in.ndjson
	assert_failure 65
	assert_output '{"id":1,"plan":"p1","orders":[{"n":1,"total":9.90}]}'
	assert_stderr "etl-fetch-api: <stdin>:2: the field cid of the template is missing"
	run --separate-stderr fetch "$API/cust/{cid}" --for-each --bad-records rej.ndjson -q <in.ndjson
	assert_success
	assert_equal "$(wc -l <<<"$output")" 2
	run cat rej.ndjson
	assert_output "$(printf '%s\n' '{"file":"<stdin>","line":2,"error":"the field cid of the template is missing","raw":"{\"other\":2}"}' \
		"{\"file\":\"<stdin>\",\"line\":3,\"error\":\"$API/cust/gone: HTTP 404: {\\\"error\\\":\\\"no such customer\\\"}\",\"raw\":\"{\\\"cid\\\":\\\"gone\\\"}\"}")"
	printf '{"cid":"gone"}\n{"cid":3}\n' >in.ndjson
	run --separate-stderr fetch "$API/cust/{cid}" --for-each --ignore-status 404 --into c <in.ndjson
	assert_success
	assert_output "$(printf '%s\n' '{"cid":"gone","c":[]}' '{"cid":3,"c":[{"id":3,"plan":"p0","orders":[{"n":1,"total":9.90}]}]}')"
}

@test "--for-each --parallel: requests overlap, the output keeps the input order; --unordered does not" {
	local t0 t1

	# the first record's answer comes last
	printf '{"cid":%d,"d":%d}\n' 1 600 2 400 3 200 4 0 >in.ndjson
	t0=$(date +%s.%N)
	run --separate-stderr fetch "$API/cust/{cid}?delay={d}" --for-each --parallel 4 <in.ndjson
	t1=$(date +%s.%N)
	assert_success
	assert_equal "$(jq -c .id <<<"$output" | tr '\n' ' ')" "1 2 3 4 "
	# one after the other, 1.2 s; side by side, 0.6 s and a little
	run awk -v a="$t0" -v b="$t1" 'BEGIN { if (b - a >= 1.1) print "took " b - a " s" }'
	assert_output ""
	run --separate-stderr fetch "$API/cust/{cid}?delay={d}" --for-each --parallel 4 --unordered <in.ndjson
	assert_success
	assert_equal "$(jq -c .id <<<"$output" | tr '\n' ' ')" "4 3 2 1 "
}

@test "--for-each does not wait for a slow input before making the requests it can" {
	{
		echo '{"cid":1}'
		sleep 1.5
		echo '{"cid":2}'
	} | fetch "$API/cust/{cid}" --for-each --parallel 4 >out.ndjson
	assert_equal "$(jq -c .id out.ndjson | tr '\n' ' ')" "1 2 "
	# the first request went as soon as its record came, not with the second
	gaps >gaps.txt
	run awk '$1 < 1.2 { print "too close: " $1 }' gaps.txt
	assert_output ""
}

@test "--for-each: each record's request is retried alone; --rate holds over all of them" {
	printf '{"k":"fe%d"}\n' 1 2 3 4 5 6 >in.ndjson
	run --separate-stderr fetch "$API/flaky/{k}?fail=503" --for-each --parallel 3 --rate 10/s \
		--stats st.json --into r <in.ndjson
	assert_success
	assert_equal "$(jq -c '[.k, (.r | length)]' <<<"$output" | tr '\n' ' ')" \
		'["fe1",3] ["fe2",3] ["fe3",3] ["fe4",3] ["fe5",3] ["fe6",3] '
	run jq -c '{requests, retries, records_in, records_out}' st.json
	assert_output '{"requests":12,"retries":{"503":6},"records_in":6,"records_out":6}'
	gaps >gaps.txt
	run awk '$1 < 0.07 { print "too close: " $1 }' gaps.txt
	assert_output ""
}

@test "--for-each's options and the ones that cannot go with it" {
	run --separate-stderr fetch "$API/cust/1" --parallel 4
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: --parallel: needs --for-each"
	run --separate-stderr fetch "$API/cust/1" --bad-records skip
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: --bad-records: needs --for-each"
	run --separate-stderr fetch "$API/cust/{cid}" --for-each --paginate link </dev/null
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: --paginate: not with --for-each: one request per record"
	run --separate-stderr fetch "$API/cust/{cid}" --for-each --parallel 0 </dev/null
	assert_failure 2
	assert_equal "${stderr_lines[0]}" "etl-fetch-api: --parallel: expected a positive integer, got '0'"
	assert_equal "$(requests | wc -l)" 0
}
