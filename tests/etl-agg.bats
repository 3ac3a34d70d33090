#!/usr/bin/env bats
# tests/etl-agg.bats - etl-agg: group-by aggregation, windows, partial
# states, spilling, parallel runs.
#
# Every function with its nulls, empty input and one group; exact decimals,
# big integers, strings and times in min/max; keys and order; --sort; exact
# revenue and averages against Python's decimal module over generated
# sales; parallel runs equal to one process; --partial/--merge over shards
# equal to one run; --memory spilling equal to no spilling; windows at their
# edges (an event on a boundary, late by one second, out of order within the
# lateness, sessions merging), --late, --emit update, --idle-timeout; the
# transaction-velocity example against its independent reference; usage and
# data errors with their statuses; the man page's examples and options.

load helpers/common

setup_file() {
	# a sales file big enough to be split between processes (>= 16 MB)
	python3 "$BATS_TEST_DIRNAME/../bench/gen-sales.py" --rows 70000 \
		--csv "$BATS_FILE_TMPDIR/sales.csv" --ndjson "$BATS_FILE_TMPDIR/sales.ndjson" >/dev/null
}

setup() {
	cd "$TMP" || return 1
	AGG="$DATA/agg"
	SALES="$BATS_FILE_TMPDIR/sales.ndjson"
}

# skip_if_sanitized: peak memory means nothing under AddressSanitizer, which
# keeps freed memory in quarantine.
skip_if_sanitized() {
	if ldd "$(command -v etl-agg)" 2>/dev/null | grep -q libasan; then
		skip "built with AddressSanitizer"
	fi
}

# stat_counts FILE: "in out bad dropped" of a --stats record.
stat_counts() {
	jq -r '"\(.records_in) \(.records_out) \(.bad) \(.dropped)"' "$1"
}

# Every aggregate over x, for the tests that compare whole runs.
ALL=(-a 'n=count()' -a 'c=count(x)' -a 'cd=count_distinct(x)' -a 'ad=approx_distinct(x)'
	-a 's=sum(x)' -a 'a=avg(x)' -a 'lo=min(x)' -a 'hi=max(x)' -a 'f=first(x)' -a 'l=last(x)'
	-a 'sd=stddev(x)' -a 'v=var(x)' -a 'md=median(x)' -a 'p9=percentile(x, 0.9)'
	-a 'all=collect(x)' -a 'mo=mode(x)')

# --- functions ----------------------------------------------------------------

@test "count() counts records, count(EXPR) the non-null values" {
	put in.ndjson '{"x":1}\n{"x":null}\n{}\n{"x":0}\n{"x":false}\n'
	run --separate-stderr etl-agg -a 'n=count()' -a 'c=count(x)' in.ndjson
	assert_success
	assert_output '{"n":5,"c":3}'
	assert_no_stderr
}

@test "sum of decimals is exact to the last digit and keeps the largest scale" {
	put in.ndjson '{"x":0.1}\n{"x":0.2}\n{"x":19.99}\n{"x":0.01}\n{"x":-0.30}\n'
	run --separate-stderr etl-agg -a 's=sum(x)' in.ndjson
	assert_success
	assert_output '{"s":20.00}'
	put in.ndjson '{"x":0.10}\n{"x":0.20}\n{"x":0.10}\n{"x":0.30}\n'
	run etl-agg -a 's=sum(x)' in.ndjson
	assert_output '{"s":0.70}'
}

@test "sum of revenue is the cents the sales add up to, where doubles drift" {
	run --separate-stderr etl-agg -g date -a 'revenue=sum(qty * unit_price)' "$AGG/sales.ndjson"
	assert_success
	assert_line --index 1 '{"date":"2026-11-25","revenue":300.08}'
	# the same sum in binary floating point
	run jq -s '[.[] | select(.date == "2026-11-25" and .qty != null) | .qty * .unit_price] | add' \
		"$AGG/sales.ndjson"
	assert_output '300.08000000000004'
}

@test "sum of integers beyond 64 bits and beyond 38 digits is exact" {
	put in.ndjson '{"x":18446744073709551615}\n{"x":18446744073709551615}\n{"x":1}\n'
	run etl-agg -a 's=sum(x)' in.ndjson
	assert_output '{"s":36893488147419103231}'
	put in.ndjson '{"x":99999999999999999999999999999999999999}\n{"x":1}\n{"x":0.5}\n'
	run etl-agg -a 's=sum(x)' in.ndjson
	assert_output '{"s":100000000000000000000000000000000000000.5}'
	put in.ndjson '{"x":123456789012345678901234567890123456789012345678901234567890}\n{"x":-123456789012345678901234567890123456789012345678901234567888.99}\n'
	run etl-agg -a 's=sum(x)' in.ndjson
	assert_output '{"s":1.01}'
	put in.ndjson '{"x":1e50}\n{"x":1e-20}\n'
	run etl-agg -a 's=sum(x)' in.ndjson
	assert_output '{"s":100000000000000000000000000000000000000000000000000.00000000000000000001}'
}

@test "sum, avg and the others give null for an all-null group, count 0" {
	put in.ndjson '{"g":"a","x":null}\n{"g":"a"}\n{"g":"b","x":1}\n'
	run --separate-stderr etl-agg -g g "${ALL[@]}" in.ndjson
	assert_success
	assert_line --index 0 '{"g":"a","n":2,"c":0,"cd":0,"ad":0,"s":null,"a":null,"lo":null,"hi":null,"f":null,"l":null,"sd":null,"v":null,"md":null,"p9":null,"all":null,"mo":null}'
	assert_line --index 1 '{"g":"b","n":1,"c":1,"cd":1,"ad":1,"s":1,"a":1,"lo":1,"hi":1,"f":1,"l":1,"sd":null,"v":null,"md":1,"p9":1,"all":[1],"mo":1}'
}

@test "empty input: one result without -g, none with -g" {
	: >in.ndjson
	run --separate-stderr etl-agg "${ALL[@]}" in.ndjson
	assert_success
	assert_output '{"n":0,"c":0,"cd":0,"ad":0,"s":null,"a":null,"lo":null,"hi":null,"f":null,"l":null,"sd":null,"v":null,"md":null,"p9":null,"all":null,"mo":null}'
	run --separate-stderr etl-agg -g x "${ALL[@]}" in.ndjson
	assert_success
	assert_output ''
}

@test "one group: every function over the same values" {
	put in.ndjson '{"x":4}\n{"x":2}\n{"x":9}\n{"x":4}\n{"x":5}\n{"x":7}\n{"x":5}\n{"x":4}\n'
	run --separate-stderr etl-agg "${ALL[@]}" in.ndjson
	assert_success
	assert_output '{"n":8,"c":8,"cd":5,"ad":5,"s":40,"a":5,"lo":2,"hi":9,"f":4,"l":4,"sd":2.138089935299395,"v":4.571428571428571,"md":4.5,"p9":7.6,"all":[4,2,9,4,5,7,5,4],"mo":4}'
}

@test "avg is rounded once and printed in the shortest round-trip form" {
	put in.ndjson '{"x":0.1}\n{"x":0.2}\n{"x":0.3}\n'
	run etl-agg -a 'a=avg(x)' in.ndjson
	assert_output '{"a":0.2}'
	put in.ndjson '{"x":1}\n{"x":2}\n{"x":2}\n'
	run etl-agg -a 'a=avg(x)' in.ndjson
	assert_output '{"a":1.6666666666666667}'
	put in.ndjson '{"x":12345678901234567890123456789012345678}\n{"x":99999999999999999999999999999999999999}\n{"x":1}\n'
	run etl-agg -a 'a=avg(x)' -a 'sd=stddev(x)' in.ndjson
	assert_output '{"a":3.7448559633744857e+37,"sd":5.452170178748071e+37}'
}

@test "min and max: numbers by exact value, whatever their size and spelling" {
	put in.ndjson '{"x":12345678901234567890123}\n{"x":12345678901234567890122}\n{"x":1e1}\n{"x":-0.5}\n{"x":9.99}\n'
	run etl-agg -a 'lo=min(x)' -a 'hi=max(x)' in.ndjson
	assert_output '{"lo":-0.5,"hi":12345678901234567890123}'
	put in.ndjson '{"x":1.0}\n{"x":1}\n{"x":1.00}\n'
	run etl-agg -a 'lo=min(x)' -a 'hi=max(x)' in.ndjson
	assert_output '{"lo":1.0,"hi":1.0}'
}

@test "min and max of strings compare bytewise" {
	put in.ndjson '{"x":"pear"}\n{"x":"Apple"}\n{"x":"apple"}\n{"x":"\\u00e9clair"}\n'
	run etl-agg -a 'lo=min(x)' -a 'hi=max(x)' in.ndjson
	assert_output '{"lo":"Apple","hi":"éclair"}'
}

@test "min and max of timestamps compare instants, whatever the offset" {
	put in.ndjson '{"t":"2026-11-24T18:30:00+01:00"}\n{"t":"2026-11-24T18:00:00Z"}\n{"t":"2026-11-24T17:45:00Z"}\n{"t":"2026-11-24T19:10:00+02:00"}\n'
	run --separate-stderr etl-agg -a 'first=min(t)' -a 'last=max(t)' in.ndjson
	assert_success
	assert_output '{"first":"2026-11-24T19:10:00+02:00","last":"2026-11-24T18:00:00Z"}'
	put in.ndjson '{"d":"2026-11-24"}\n{"d":"2026-01-31"}\n{"d":"2026-12-01"}\n'
	run etl-agg -a 'lo=min(d)' -a 'hi=max(d)' in.ndjson
	assert_output '{"lo":"2026-01-31","hi":"2026-12-01"}'
}

@test "min and max across kinds follow the order of etl-expr(7)" {
	put in.ndjson '{"x":"a"}\n{"x":3}\n{"x":true}\n{"x":[1]}\n{"x":false}\n'
	run etl-agg -a 'lo=min(x)' -a 'hi=max(x)' in.ndjson
	assert_output '{"lo":false,"hi":[1]}'
}

@test "first and last skip nulls and follow input order; values keep their text" {
	put in.ndjson '{"x":null}\n{"x":1.50}\n{"x":{"a":[1, 2]}}\n{"x":"z"}\n{}\n'
	run etl-agg -a 'f=first(x)' -a 'l=last(x)' -a 'all=collect(x)' in.ndjson
	assert_output '{"f":1.50,"l":"z","all":[1.50,{"a":[1, 2]},"z"]}'
}

@test "var and stddev are the sample ones, exact up to the last rounding" {
	put in.ndjson '{"x":2}\n{"x":4}\n{"x":4}\n{"x":4}\n{"x":5}\n{"x":5}\n{"x":7}\n{"x":9}\n'
	run etl-agg -a 'v=var(x)' -a 'sd=stddev(x)' in.ndjson
	assert_output '{"v":4.571428571428571,"sd":2.138089935299395}'
	# a large offset does not lose the variance (no catastrophic cancellation)
	put in.ndjson '{"x":1000000000.1}\n{"x":1000000000.2}\n{"x":1000000000.3}\n'
	run etl-agg -a 'v=var(x)' in.ndjson
	assert_output '{"v":0.01}'
}

@test "avg, var and stddev beyond the range of doubles are numbers, never null" {
	put in.ndjson '{"x":1e200}\n{"x":-1e200}\n{"x":3e200}\n'
	run --separate-stderr etl-agg -a 'v=var(x)' -a 'sd=stddev(x)' -a 'a=avg(x)' in.ndjson
	assert_success
	assert_output '{"v":4e+400,"sd":2e+200,"a":1e+200}'
	assert_no_stderr
	put in.ndjson '{"x":1}\n{"x":1e400}\n'
	run --separate-stderr etl-agg -a 'a=avg(x)' -a 'sd=stddev(x)' in.ndjson
	assert_success
	assert_output '{"a":5e+399,"sd":7.0710678118654752e+399}'
	assert_no_stderr
	# below the least double, the same
	put in.ndjson '{"x":1e-200}\n{"x":-1e-200}\n{"x":3e-200}\n{"x":1e-400}\n'
	run --separate-stderr etl-agg -a 'v=var(x)' -a 'a=avg(x)' in.ndjson
	assert_success
	assert_output '{"v":2.9166666666666667e-400,"a":7.5e-201}'
	# merged partial states finish alike
	put in.ndjson '{"x":-1e400}\n{"x":-3e400}\n'
	etl-agg --partial -a 'a=avg(x)' -a 'v=var(x)' -a 'sd=stddev(x)' in.ndjson >p.ndjson
	run --separate-stderr etl-agg --merge -a 'a=avg(x)' -a 'v=var(x)' -a 'sd=stddev(x)' p.ndjson
	assert_success
	assert_output '{"a":-2e+400,"v":2e+800,"sd":1.414213562373095e+400}'
}

@test "median and percentile refuse a number a double cannot hold, as a bad record" {
	put in.ndjson '{"x":1}\n{"x":1e400}\n'
	run --separate-stderr etl-agg -a 'm=median(x)' in.ndjson
	assert_failure 65
	assert_output ''
	assert_stderr 'etl-agg: in.ndjson:2: m=median(x): number out of range: 1e400'
	put in.ndjson '{"x":1}\n{"x":1e-400}\n{"x":0}\n'
	run --separate-stderr etl-agg -a 'p=percentile(x, 0)' in.ndjson
	assert_failure 65
	assert_output ''
	assert_stderr 'etl-agg: in.ndjson:2: p=percentile(x, 0): number out of range: 1e-400'
	run --separate-stderr etl-agg -a 'p=percentile(x, 0)' -a 'a=avg(x)' --bad-records skip -q in.ndjson
	assert_success
	assert_output '{"p":0,"a":0.5}'
	assert_no_stderr
	# between the largest doubles of either sign, the step overflows, the
	# quantile does not
	put in.ndjson '{"x":-1.7e308}\n{"x":1.7e308}\n'
	run --separate-stderr etl-agg -a 'm=median(x)' -a 'p=percentile(x, 0.75)' in.ndjson
	assert_success
	assert_output '{"m":0,"p":8.5e+307}'
	assert_no_stderr
}

@test "median and percentile interpolate, exactly over decimals" {
	put in.ndjson '{"x":19.99}\n{"x":20.00}\n'
	run etl-agg -a 'm=median(x)' -a 'p0=percentile(x, 0)' -a 'p1=percentile(x, 1)' -a 'p25=percentile(x, 0.25)' in.ndjson
	assert_output '{"m":19.995,"p0":19.99,"p1":20.00,"p25":19.9925}'
	put in.ndjson '{"x":1}\n{"x":2}\n{"x":3}\n{"x":4}\n{"x":null}\n'
	run etl-agg -a 'm=median(x)' -a 'p=percentile(x, 0.9)' in.ndjson
	assert_output '{"m":2.5,"p":3.7}'
	put in.ndjson '{"x":1}\n{"x":4}\n{"x":2}\n'
	run etl-agg -a 'm=median(x)' in.ndjson
	assert_output '{"m":2}'
}

@test "percentile over more than 10,000 values uses the sketch, within its error" {
	seq 1 50000 | awk '{ print "{\"x\":" ($1 * 7919) % 50000 "}" }' >in.ndjson
	run --separate-stderr etl-agg -a 'm=median(x)' -a 'p9=percentile(x, 0.9)' -a 'lo=percentile(x, 0)' -a 'hi=percentile(x, 1)' in.ndjson
	assert_success
	run jq -r '[(.m - 24999.5 | fabs) < 125, (.p9 - 44999.1 | fabs) < 125, .lo, .hi] | @tsv' <<<"$output"
	assert_output $'true\ttrue\t0\t49999'
}

@test "percentile takes a fraction from 0 to 1" {
	put in.ndjson '{"x":1}\n'
	run --separate-stderr etl-agg -a 'p=percentile(x, 90)' in.ndjson
	assert_failure 2
	assert_stderr $'etl-agg: --aggregate: \'p=percentile(x, 90)\': the fraction must be a number from 0 to 1, got \'90\'\nTry \'etl-agg --help\' for more information.'
	run --separate-stderr etl-agg -a 'p=percentile(x)' in.ndjson
	assert_failure 2
	assert_stderr_regex "percentile\(\) takes two arguments: EXPR, P"
}

@test "collect keeps every non-null value in input order; all-null is null" {
	put in.ndjson '{"g":1,"x":"a"}\n{"g":2,"x":null}\n{"g":1,"x":[true]}\n{"g":1,"x":"a"}\n'
	run etl-agg -g g -a 'xs=collect(x)' in.ndjson
	assert_output $'{"g":1,"xs":["a",[true],"a"]}\n{"g":2,"xs":null}'
}

@test "mode: the most frequent value, the first seen among equals; 1 and 1.0 are one value" {
	put in.ndjson '{"x":"b"}\n{"x":"a"}\n{"x":"a"}\n{"x":"b"}\n{"x":"c"}\n'
	run etl-agg -a 'm=mode(x)' in.ndjson
	assert_output '{"m":"b"}'
	put in.ndjson '{"x":2}\n{"x":1}\n{"x":1.0}\n{"x":"1"}\n{"x":2}\n{"x":1e0}\n'
	run etl-agg -a 'm=mode(x)' in.ndjson
	assert_output '{"m":1}'
}

@test "count_distinct is exact: 1 and 1.0 are one value, 1 and \"1\" two" {
	put in.ndjson '{"x":1}\n{"x":1.0}\n{"x":"1"}\n{"x":{"a":1,"b":2}}\n{"x":{"b":2,"a":1}}\n{"x":null}\n{"x":"\\u0061"}\n{"x":"a"}\n'
	run etl-agg -a 'n=count_distinct(x)' -a 'a=approx_distinct(x)' in.ndjson
	assert_output '{"n":4,"a":4}'
}

@test "approx_distinct is exact up to 1024 values and within 2.5% beyond" {
	seq 1 1000 | sed 's/.*/{"x":&}/' >in.ndjson
	seq 1 1000 | sed 's/.*/{"x":&}/' >>in.ndjson
	run etl-agg -a 'n=count_distinct(x)' -a 'a=approx_distinct(x)' in.ndjson
	assert_output '{"n":1000,"a":1000}'
	seq 1 200000 | sed 's/.*/{"x":"id-&"}/' >in.ndjson
	run etl-agg -a 'n=count_distinct(x)' -a 'a=approx_distinct(x)' in.ndjson
	run jq -r '.n, ((.a - 200000 | fabs) / 200000 < 0.025)' <<<"$output"
	assert_output $'200000\ntrue'
}

@test "numeric functions refuse other values: a bad record named by its aggregate" {
	put in.ndjson '{"x":1}\n{"x":"12"}\n{"x":2}\n'
	run --separate-stderr etl-agg -a 'n=count()' -a 's=sum(x)' in.ndjson
	assert_failure 65
	assert_stderr 'etl-agg: in.ndjson:2: s=sum(x): expected a number, got a string'
	assert_output ''
	run --separate-stderr etl-agg -a 'n=count()' -a 's=sum(x)' --bad-records skip -q in.ndjson
	assert_success
	assert_output '{"n":2,"s":3}'
	put in.ndjson '{"x":true}\n'
	run --separate-stderr etl-agg -a 'm=median(x)' in.ndjson
	assert_failure 65
	assert_stderr 'etl-agg: in.ndjson:1: m=median(x): expected a number, got a boolean'
}

@test "a number beyond 4000 digits is refused, not rounded" {
	put in.ndjson '{"x":1e5000}\n{"x":1}\n'
	run --separate-stderr etl-agg -a 's=sum(x)' --bad-records skip in.ndjson
	assert_success
	assert_output '{"s":1}'
	assert_stderr_regex 'in.ndjson:1: s=sum\(x\): number out of range'
}

@test "every finite double, the least and the greatest, is added exactly as its shortest text" {
	put in.ndjson '{"x":5e-324}\n{"x":-1.7976931348623157e308}\n{"x":1}\n'
	run --separate-stderr etl-agg -a 's=sum(x / 1)' in.ndjson
	assert_success
	assert_no_stderr
	local s
	s=$(python3 -c 'from decimal import Decimal as D, getcontext
getcontext().prec = 1000
print(format(D("5e-324") + D("-1.7976931348623157e308") + 1, "f"))')
	assert_output "{\"s\":$s}"
}

@test "an expression that fails at run time is a bad record; a record counts in all or none" {
	put in.ndjson '{"a":1,"b":2}\n{"a":"x","b":2}\n{"a":3,"b":4}\n'
	run --separate-stderr etl-agg -a 'n=count()' -a 'sa=sum(b)' -a 'p=sum(a * b)' --bad-records rej.ndjson in.ndjson
	assert_success
	assert_output '{"n":2,"sa":6,"p":14}'
	run jq -r '"\(.line) \(.error)"' rej.ndjson
	assert_output --regexp '^2 .+'
}

# --- groups, keys, order ------------------------------------------------------

@test "groups in first-seen order; 1.0 and 1 one group, spelt as first seen" {
	put in.ndjson '{"k":"b","v":1}\n{"k":1.0,"v":2}\n{"k":"a","v":3}\n{"k":1,"v":4}\n{"k":"b","v":5}\n{"k":"1","v":6}\n'
	run --separate-stderr etl-agg -g k -a 's=sum(v)' in.ndjson
	assert_success
	assert_output $'{"k":"b","s":6}\n{"k":1.0,"s":6}\n{"k":"a","s":3}\n{"k":"1","s":6}'
}

@test "a missing group field and null are one group, written as null" {
	put in.ndjson '{"k":null,"v":1}\n{"v":2}\n{"k":"x","v":3}\n'
	run etl-agg -g k -a 's=sum(v)' in.ndjson
	assert_output $'{"k":null,"s":3}\n{"k":"x","s":3}'
}

@test "several group fields; nested paths are written nested" {
	put in.ndjson '{"c":{"id":7,"tier":"gold"},"d":"x","v":1}\n{"c":{"tier":"gold","id":7},"d":"x","v":2}\n{"c":{"id":8},"d":"x","v":3}\n'
	run etl-agg -g c.id,c.tier,d -a 'n=count()' in.ndjson
	assert_output $'{"c":{"id":7,"tier":"gold"},"d":"x","n":2}\n{"c":{"id":8,"tier":null},"d":"x","n":1}'
	put in.ndjson '{"a.b":1}\n{"a.b":1}\n'
	run etl-agg -g '"a.b"' -a 'n=count()' in.ndjson
	assert_output '{"a.b":1,"n":2}'
}

@test "--sort orders by keys and aggregates, descending with -, ties in first-seen order" {
	put in.ndjson '{"k":"b","v":1}\n{"k":"c","v":5}\n{"k":"a","v":1}\n{"k":"d","v":10}\n'
	run --separate-stderr etl-agg -g k -a 's=sum(v)' --sort -s in.ndjson
	assert_success
	assert_output $'{"k":"d","s":10}\n{"k":"c","s":5}\n{"k":"b","s":1}\n{"k":"a","s":1}'
	run etl-agg -g k -a 's=sum(v)' --sort s,-k in.ndjson
	assert_output $'{"k":"b","s":1}\n{"k":"a","s":1}\n{"k":"c","s":5}\n{"k":"d","s":10}'
	run --separate-stderr etl-agg -g k -a 's=sum(v)' --sort v in.ndjson
	assert_failure 2
	assert_stderr_regex "^etl-agg: --sort: 'v' is not a field of the results"
}

# --- exactness at scale: generated sales against Python's decimal module ------

@test "exact revenue and correctly rounded averages for every group of 70,000 sales" {
	run --separate-stderr etl-agg -j 1 -g date,product_id -a 'n=count()' -a 'units=sum(qty)' \
		-a 'revenue=sum(qty*unit_price)' -a 'avg_price=avg(unit_price)' -o out.ndjson "$SALES"
	assert_success
	python3 - "$SALES" out.ndjson <<'EOF'
import json, sys
from decimal import Decimal
from fractions import Fraction
groups, order = {}, []
for line in open(sys.argv[1]):
    r = json.loads(line, parse_float=Decimal, parse_int=Decimal)
    k = (r['date'], r['product_id'])
    if k not in groups:
        groups[k] = [0, None, None, []]
        order.append(k)
    g = groups[k]
    g[0] += 1
    q, p = r.get('qty'), r.get('unit_price')
    if q is not None:
        g[1] = q if g[1] is None else g[1] + q
    if q is not None and p is not None:
        g[2] = q * p if g[2] is None else g[2] + q * p
    if p is not None:
        g[3].append(p)
def num(x):
    return 'null' if x is None else str(x)
def avg(v):
    if not v:
        return 'null'
    r = repr(float(sum(Fraction(x) for x in v) / len(v)))
    return r[:-2] if r.endswith('.0') else r
want = ['{"date":"%s","product_id":%s,"n":%d,"units":%s,"revenue":%s,"avg_price":%s}'
        % (k[0], k[1], g[0], num(g[1]), num(g[2]), avg(g[3]))
        for k, g in ((k, groups[k]) for k in order)]
got = open(sys.argv[2]).read().split('\n')[:-1]
bad = [(w, o) for w, o in zip(want, got) if w != o]
if len(want) != len(got) or bad:
    print('groups: want %d, got %d; first difference: %s' % (len(want), len(got), bad[:1]))
    sys.exit(1)
EOF
}

# --- parallel runs ------------------------------------------------------------

@test "a run split between processes writes the same bytes as one process" {
	local args=(-g country,channel -a 'n=count()' -a 'rev=sum(qty*unit_price)' -a 'a=avg(qty)'
		-a 'f=first(order_id)' -a 'l=last(order_id)' -a 'c=count_distinct(customer_id)'
		-a 'm=mode(product_id)' -a 'md=median(qty)' -a 'lo=min(ts)' -a 'hi=max(ts)')
	run etl-agg -j 1 "${args[@]}" -o one.ndjson --stats one.json "$SALES"
	assert_success
	run etl-agg -j 2 "${args[@]}" -o two.ndjson --stats two.json "$SALES"
	assert_success
	run etl-agg -j 3 "${args[@]}" -o three.ndjson "$SALES"
	assert_success
	assert_same_file one.ndjson two.ndjson
	assert_same_file one.ndjson three.ndjson
	[[ $(stat_counts one.json) == "$(stat_counts two.json)" ]]
	[[ $(jq .bytes_in one.json) == "$(jq .bytes_in two.json)" ]]
}

@test "a bad record in a worker's part is reported as one process would" {
	local n
	n=$(wc -l <"$SALES")
	{ head -n $((n - 100)) "$SALES"; echo '{"broken":'; tail -n 100 "$SALES"; } >in.ndjson
	run --separate-stderr etl-agg -j 1 -g country -a 'n=count()' in.ndjson
	assert_failure 65
	assert_stderr_regex "^etl-agg: in.ndjson:$((n - 99)):11: invalid JSON: "
	local one=$stderr
	run --separate-stderr etl-agg -j 2 -g country -a 'n=count()' in.ndjson
	assert_failure 65
	assert_stderr "$one"
	run --separate-stderr etl-agg -j 2 -g country -a 'n=count()' --bad-records skip -q -o two.ndjson --stats two.json in.ndjson
	assert_success
	etl-agg -j 1 -g country -a 'n=count()' --bad-records skip -q -o one.ndjson --stats one.json in.ndjson
	assert_same_file one.ndjson two.ndjson
	[[ $(stat_counts two.json) == "$((n + 1)) $n 1 0" ]]
}

# --- partial states and merging -----------------------------------------------

@test "merging the partial states of shards gives exactly the single run" {
	local args=(-g country,currency "${ALL[@]}")
	jq -c '{country, currency, x: .unit_price}' "$SALES" >all.ndjson
	split -n l/4 -d all.ndjson shard.
	for s in shard.0?; do
		etl-agg --partial "${args[@]}" "$s" >"$s.partial"
	done
	run --separate-stderr etl-agg -j 1 "${args[@]}" -o single.ndjson all.ndjson
	assert_success
	run --separate-stderr etl-agg --merge "${args[@]}" -o merged.ndjson shard.0?.partial
	assert_success
	assert_no_stderr
	assert_same_file single.ndjson merged.ndjson
	# concatenated on stdin, the same
	cat shard.0?.partial | etl-agg --merge "${args[@]}" >merged2.ndjson
	assert_same_file single.ndjson merged2.ndjson
	# merged in stages: two shards, then two, then the two merged states
	etl-agg --merge --partial "${args[@]}" shard.00.partial shard.01.partial >a.partial
	etl-agg --merge --partial "${args[@]}" shard.02.partial shard.03.partial >b.partial
	etl-agg --merge "${args[@]}" a.partial b.partial >merged3.ndjson
	assert_same_file single.ndjson merged3.ndjson
}

@test "partial states of big groups (sketches) merge within their error" {
	seq 1 60000 | awk '{ print "{\"g\":" ($1 % 2) ",\"x\":" ($1 * 7919) % 60000 "}" }' >all.ndjson
	split -n l/3 -d all.ndjson shard.
	for s in shard.0?; do
		etl-agg --partial -g g -a 'd=approx_distinct(x)' -a 'm=median(x)' "$s" >"$s.partial"
	done
	run --separate-stderr etl-agg --merge -g g -a 'd=approx_distinct(x)' -a 'm=median(x)' shard.0?.partial
	assert_success
	run jq -r '[.g, ((.d - 30000 | fabs) < 750), ((.m - 30000 | fabs) < 300)] | @tsv' <<<"$output"
	assert_output $'1\ttrue\ttrue\n0\ttrue\ttrue'
}

@test "count_distinct merges big sets in linear time, whatever their tables' sizes" {
	# 0.45 * 2^21 keys, then 0.69 * 2^21: the second set's table order once
	# piled its keys onto the first's probe runs (minutes, not seconds)
	seq 1 943718 | awk '{ print "{\"k\":" $1 "}" }' |
		etl-agg --partial -a 'n=count_distinct(k)' >a.partial
	seq 943719 2390752 | awk '{ print "{\"k\":" $1 "}" }' |
		etl-agg --partial -a 'n=count_distinct(k)' >b.partial
	run --separate-stderr timeout 60 etl-agg --merge -a 'n=count_distinct(k)' a.partial b.partial
	assert_success
	assert_output '{"n":2390752}'
	assert_no_stderr
	# overlapping sets, and the same set twice
	run --separate-stderr timeout 60 etl-agg --merge -a 'n=count_distinct(k)' b.partial a.partial b.partial
	assert_success
	assert_output '{"n":2390752}'
	assert_no_stderr
	# a hash of anything but 32 lowercase hex digits is refused, whole
	for h in 0123456789abcdef0123456789abcdeF 0123456789abcdef0123456789abcdeg \
		0123456789abcdef0123456789abcde 0123456789abcdef0123456789abcde: \
		'0123456789abcdef0123456789abcd\u0041'; do
		{ head -n 1 a.partial; echo "{\"key\":{},\"state\":[[\"$h\"]]}"; } >c.partial
		run --separate-stderr etl-agg --merge -a 'n=count_distinct(k)' c.partial
		assert_failure 65
		assert_output ''
		assert_stderr 'etl-agg: c.partial:2: invalid state of n=count_distinct(k)'
	done
	{ head -n 1 a.partial; echo '{"key":{},"state":[["0123456789abcdef0123456789abcdef", "00000000000000000000000000000000"]]}'; } >c.partial
	run --separate-stderr etl-agg --merge -a 'n=count_distinct(k)' c.partial
	assert_success
	assert_output '{"n":2}'
}

@test "--partial writes a header and one state per group" {
	run --separate-stderr etl-agg --partial -g k -a 'n=count()' -a 's=sum(v)' -a 'a=avg(v)' <<<$'{"k":"a","v":1.5}\n{"k":"a","v":2}\n{"k":"b"}'
	assert_success
	assert_output '{"etl_agg":"partial","version":1,"group_by":["k"],"aggregates":["n=count()","s=sum(v)","a=avg(v)"]}
{"key":{"k":"a"},"state":[2,[2,3.5],[2,3.5]]}
{"key":{"k":"b"},"state":[1,[0,0],[0,0]]}'
}

@test "--merge refuses partial states made with other options, and other records" {
	etl-agg --partial -g k -a 'n=count()' <<<'{"k":1}' >p.ndjson
	run --separate-stderr etl-agg --merge -g k -a 'n=count()' -a 's=sum(v)' p.ndjson
	assert_failure 2
	assert_stderr_regex "^etl-agg: p.ndjson:1: partial states of other options: this run's -g and -a make \{\"etl_agg\":\"partial\""
	put q.ndjson '{"k":1}\n'
	run --separate-stderr etl-agg --merge -g k -a 'n=count()' q.ndjson
	assert_failure 65
	assert_stderr 'etl-agg: q.ndjson:1: not a partial state of etl-agg (no header before it)'
	{ cat p.ndjson; echo '{"key":{"k":2},"state":["x"]}'; } >r.ndjson
	run --separate-stderr etl-agg --merge -g k -a 'n=count()' r.ndjson
	assert_failure 65
	assert_stderr 'etl-agg: r.ndjson:3: invalid state of n=count()'
}

# --- spilling to disk ---------------------------------------------------------

@test "--memory spills and merges: the same bytes as in memory, every function" {
	local args=(-g country,currency "${ALL[@]}")
	jq -c '{country, currency, x: .qty}' "$SALES" | head -n 5000 >all.ndjson
	etl-agg "${args[@]}" all.ndjson >mem.ndjson
	run --separate-stderr etl-agg --memory 1k --temp-dir "$TMP" "${args[@]}" all.ndjson
	assert_success
	assert_no_stderr
	assert_output "$(cat mem.ndjson)"
	assert_no_temp_files "$TMP"
	[[ -z $(find "$TMP" -name 'etl-agg.*') ]]
}

@test "--memory: a full disk while spilling exits 74, naming the spill folder" {
	fault_shim
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"k\":%d,\"pad\":\"%0100d\"}\n", i, 0 }' >in.ndjson
	run --separate-stderr env LD_PRELOAD="$FAULT_SO" ETL_FAULT=write-enospc \
		etl-agg -g k,pad -a 'n=count()' --memory 64k --temp-dir "$TMP" in.ndjson
	assert_failure 74
	assert_output ""
	assert_stderr "etl-agg: $TMP: cannot write a temporary file: No space left on device"
}

@test "--memory with many groups, --sort and --partial" {
	jq -c '{d: .date, p: .product_id, x: .unit_price}' "$SALES" >all.ndjson
	etl-agg -g d,p -a 'n=count()' -a 's=sum(x)' -a 'f=first(x)' --sort -s,d all.ndjson >mem.ndjson
	run --separate-stderr etl-agg --memory 64k -g d,p -a 'n=count()' -a 's=sum(x)' -a 'f=first(x)' --sort -s,d all.ndjson
	assert_success
	assert_output "$(cat mem.ndjson)"
	etl-agg -g d,p -a 'n=count()' -a 's=sum(x)' --partial all.ndjson >mem.partial
	run etl-agg --memory 64k -g d,p -a 'n=count()' -a 's=sum(x)' --partial all.ndjson
	assert_output "$(cat mem.partial)"
	etl-agg -j 1 -g d,p -a 'n=count()' -a 's=sum(x)' all.ndjson >mem.ndjson
	run etl-agg --memory 64k --merge -g d,p -a 'n=count()' -a 's=sum(x)' mem.partial
	assert_output "$(cat mem.ndjson)"
}

@test "--memory keeps peak memory bounded" {
	jq -c '{c: .customer_id, x: .qty}' "$SALES" >all.ndjson
	command -v /usr/bin/time >/dev/null || skip "GNU time is not installed"
	skip_if_sanitized
	/usr/bin/time -f %M -o rss etl-agg -g c -a 'n=count()' -a 'xs=collect(x)' --memory 2M all.ndjson >spill.ndjson
	etl-agg -g c -a 'n=count()' -a 'xs=collect(x)' all.ndjson >mem.ndjson
	assert_same_file mem.ndjson spill.ndjson
	(($(cat rss) < 40000)) || fail "peak RSS $(cat rss) KB"
}

@test "--memory: mode over many distinct values is as fast as without" {
	# its size is asked twice per record: over 30 s when that walked every
	# value, a tenth of a second now
	seq 1 200000 | sed 's/.*/{"x":&}/' >in.ndjson
	run --separate-stderr timeout 10 etl-agg --memory 2G -a 'm=mode(x)' in.ndjson
	assert_success
	assert_no_stderr
	assert_output '{"m":1}'
}

# --- windows ------------------------------------------------------------------

# ev USER TIME [AMOUNT]: one event line.
ev() {
	printf '{"user":"%s","ts":"2026-11-24T%sZ","amount":%s}\n' "$1" "$2" "${3:-1}"
}

W=(--window tumbling:5m -t ts -g user -a 'n=count()' -a 'total=sum(amount)')

@test "windows: an event exactly on a boundary opens the next window" {
	{ ev a 10:00:00; ev a 10:04:59.999999; ev a 10:05:00; } >in.ndjson
	run --separate-stderr etl-agg "${W[@]}" in.ndjson
	assert_success
	assert_output '{"user":"a","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:05:00Z","n":2,"total":2}
{"user":"a","window_start":"2026-11-24T10:05:00Z","window_end":"2026-11-24T10:10:00Z","n":1,"total":1}'
}

@test "windows: late by one second is late; on time by one second is not" {
	{ ev a 10:00:10; ev b 10:05:00; ev a 10:04:59; ev a 10:05:00; } >in.ndjson
	run --separate-stderr etl-agg "${W[@]}" --late late.ndjson --stats st.json in.ndjson
	assert_success
	assert_no_stderr
	assert_output '{"user":"a","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:05:00Z","n":1,"total":1}
{"user":"b","window_start":"2026-11-24T10:05:00Z","window_end":"2026-11-24T10:10:00Z","n":1,"total":1}
{"user":"a","window_start":"2026-11-24T10:05:00Z","window_end":"2026-11-24T10:10:00Z","n":1,"total":1}'
	assert_bytes late.ndjson "$(ev a 10:04:59)\n"
	[[ $(stat_counts st.json) == "4 3 0 1" ]]
	run --separate-stderr etl-agg "${W[@]}" --lateness 1s in.ndjson
	assert_line --index 0 '{"user":"a","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:05:00Z","n":2,"total":2}'
}

@test "windows: out of order within the lateness counts where it belongs" {
	{ ev a 10:06:00 1; ev a 10:02:00 2; ev a 10:09:00 4; ev a 10:04:30 8; ev a 10:12:00 16; ev a 10:03:00 32; } >in.ndjson
	run --separate-stderr etl-agg "${W[@]}" --lateness 5m in.ndjson
	assert_success
	assert_output '{"user":"a","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:05:00Z","n":2,"total":10}
{"user":"a","window_start":"2026-11-24T10:05:00Z","window_end":"2026-11-24T10:10:00Z","n":2,"total":5}
{"user":"a","window_start":"2026-11-24T10:10:00Z","window_end":"2026-11-24T10:15:00Z","n":1,"total":16}'
	assert_stderr 'etl-agg: 1 late record dropped (the first at in.ndjson:6); --late FILE keeps them'
}

@test "windows: results are written as windows close, not at the end" {
	{ ev a 10:00:00; ev b 10:01:00; ev a 10:07:00; } >in.ndjson
	run --separate-stderr bash -c 'etl-agg "$@" in.ndjson | head -n 2' _ "${W[@]}"
	assert_success
	assert_output '{"user":"a","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:05:00Z","n":1,"total":1}
{"user":"b","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:05:00Z","n":1,"total":1}'
}

@test "windows: hopping windows hold every event they span" {
	{ ev a 10:02:30 1; ev a 10:04:00 2; ev a 10:06:00 4; } >in.ndjson
	run --separate-stderr etl-agg --window hopping:4m,2m -t ts -g user -a 'total=sum(amount)' in.ndjson
	assert_success
	assert_output '{"user":"a","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:04:00Z","total":1}
{"user":"a","window_start":"2026-11-24T10:02:00Z","window_end":"2026-11-24T10:06:00Z","total":3}
{"user":"a","window_start":"2026-11-24T10:04:00Z","window_end":"2026-11-24T10:08:00Z","total":6}
{"user":"a","window_start":"2026-11-24T10:06:00Z","window_end":"2026-11-24T10:10:00Z","total":4}'
}

@test "windows: many hops per record stay fast (each window found in one walk)" {
	# 4000 records a second apart, each in 3600 windows: over 15 s when every
	# window was looked up by scanning all the open ones, a tenth of a second now
	seq 0 3999 | awk '{ print "{\"ts\":" 1800000000 + $1 "}" }' >in.ndjson
	run --separate-stderr timeout 10 etl-agg --window hopping:1h,1s -t ts -a 'n=count()' in.ndjson
	assert_success
	assert_no_stderr
	run jq -sc '[length, (map(.n) | add), (map(.n) | max), .[0], .[-1]]' <<<"$output"
	assert_output '[7599,14400000,3600,{"window_start":"2027-01-15T07:00:01Z","window_end":"2027-01-15T08:00:01Z","n":1},{"window_start":"2027-01-15T09:06:39Z","window_end":"2027-01-15T10:06:39Z","n":1}]'
}

@test "windows: sessions grow with each event and merge when an event bridges two" {
	{ ev a 10:00:00 1; ev a 10:08:00 2; ev b 10:09:00 4; ev a 10:04:00 8; ev a 10:30:00 16; } >in.ndjson
	run --separate-stderr etl-agg --window session:5m -t ts --lateness 10m -g user -a 'n=count()' -a 'total=sum(amount)' -a 'f=first(amount)' in.ndjson
	assert_success
	assert_output '{"user":"a","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:13:00Z","n":3,"total":11,"f":1}
{"user":"b","window_start":"2026-11-24T10:09:00Z","window_end":"2026-11-24T10:14:00Z","n":1,"total":4,"f":4}
{"user":"a","window_start":"2026-11-24T10:30:00Z","window_end":"2026-11-24T10:35:00Z","n":1,"total":16,"f":16}'
	# a gap of exactly 5 minutes separates two sessions
	{ ev a 10:00:00; ev a 10:05:00; } >in.ndjson
	run etl-agg --window session:5m -t ts -g user -a 'n=count()' in.ndjson
	assert_output '{"user":"a","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:05:00Z","n":1}
{"user":"a","window_start":"2026-11-24T10:05:00Z","window_end":"2026-11-24T10:10:00Z","n":1}'
}

@test "windows: sessions joined by an out-of-order record list the first session's records, then the other's (as documented)" {
	# D (8s) joins [0s, 11s) and [15s, 25s): B, read before C, comes after it
	put in.ndjson '{"t":0,"x":"A"}\n{"t":15,"x":"B","v":1.0}\n{"t":1,"x":"C","v":1}\n{"t":8,"x":"D"}\n'
	run --separate-stderr etl-agg --window session:10s -t t --lateness 1m -a 'xs=collect(x)' \
		-a 'f=first(v)' -a 'l=last(v)' -a 'lo=min(v)' -a 'm=mode(v)' in.ndjson
	assert_success
	assert_no_stderr
	assert_output '{"window_start":"1970-01-01T00:00:00Z","window_end":"1970-01-01T00:00:25Z","xs":["A","C","B","D"],"f":1,"l":1.0,"lo":1,"m":1}'
	# in one batch, input order
	run --separate-stderr etl-agg -a 'xs=collect(x)' -a 'f=first(v)' -a 'l=last(v)' -a 'lo=min(v)' -a 'm=mode(v)' in.ndjson
	assert_output '{"xs":["A","B","C","D"],"f":1.0,"l":1,"lo":1.0,"m":1.0}'
}

@test "windows: a record that would reach a session already written is late" {
	{ ev a 10:00:00; ev b 10:20:00; ev a 10:03:00; } >in.ndjson
	run --separate-stderr etl-agg --window session:5m -t ts --lateness 13m -g user -a 'n=count()' --late late.ndjson in.ndjson
	assert_success
	assert_line --index 0 '{"user":"a","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:05:00Z","n":1}'
	assert_bytes late.ndjson "$(ev a 10:03:00)\n"
}

@test "windows: --late fail stops at the first late record with status 1" {
	{ ev a 10:10:00; ev a 10:01:00; } >in.ndjson
	run --separate-stderr etl-agg "${W[@]}" --late fail in.ndjson
	assert_failure 1
	assert_stderr 'etl-agg: in.ndjson:2: late record: event time 2026-11-24T10:01:00Z, its window closed at watermark 2026-11-24T10:10:00Z'
}

@test "windows: --emit update writes a result at every change" {
	{ ev a 10:00:00 1; ev a 10:01:00 2; ev b 10:02:00 4; ev a 10:06:00 8; } >in.ndjson
	run --separate-stderr etl-agg "${W[@]}" --emit update in.ndjson
	assert_success
	assert_output '{"user":"a","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:05:00Z","n":1,"total":1}
{"user":"a","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:05:00Z","n":2,"total":3}
{"user":"b","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:05:00Z","n":1,"total":4}
{"user":"a","window_start":"2026-11-24T10:05:00Z","window_end":"2026-11-24T10:10:00Z","n":1,"total":8}'
}

@test "windows: times with offsets, fractions and epoch seconds; a record without a time is bad" {
	put in.ndjson '{"u":1,"ts":"2026-11-24T11:04:59.5+01:00"}\n{"u":1,"ts":1795517999.25}\n{"u":1,"ts":1795518000}\n{"u":1}\n{"u":1,"ts":"yesterday"}\n'
	run --separate-stderr etl-agg --window tumbling:1h -t ts -a 'n=count()' --bad-records skip in.ndjson
	assert_success
	assert_output '{"window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T11:00:00Z","n":2}
{"window_start":"2026-11-24T11:00:00Z","window_end":"2026-11-24T12:00:00Z","n":1}'
	run --separate-stderr etl-agg --window tumbling:1h -t ts -a 'n=count()' in.ndjson
	assert_failure 65
	assert_stderr 'etl-agg: in.ndjson:4: ts: no event time (the field is missing)'
}

@test "windows: event times follow etl(7): digits past the microsecond dropped, milliseconds and digit strings refused" {
	# a number and a string of the same time agree: neither is rounded up
	# (and a number longer than the decimal type is read all the same)
	put in.ndjson '{"ts":1795514400.9999999}\n{"ts":"2026-11-24T10:00:00.9999999Z"}\n{"ts":"2026-11-24T11:00:00.9999999+01:00"}\n{"ts":1795514400.99999999999999999999999999999999999999999}\n{"ts":1.7955144009999999e9}\n'
	run --separate-stderr etl-agg --window session:1ms -t ts -a 'n=count()' in.ndjson
	assert_success
	assert_output '{"window_start":"2026-11-24T10:00:00.999999Z","window_end":"2026-11-24T10:00:01.000999Z","n":5}'
	local v
	for v in 1795514400000 '"1795514400"' true '[1]'; do
		put odd.ndjson "{\"ts\":$v}\n"
		run --separate-stderr etl-agg --window tumbling:1h -t ts -a 'n=count()' odd.ndjson
		assert_failure 65
		assert_stderr "etl-agg: odd.ndjson:1: ts: not an ISO-8601 time or seconds since the epoch: $v"
	done
	# a long value in the message is cut between characters
	local x62
	x62=$(printf 'x%.0s' {1..62})
	put long.ndjson "{\"ts\":\"${x62}\xc3\xa9\"}\n"
	run --separate-stderr etl-agg --window tumbling:1h -t ts -a 'n=count()' long.ndjson
	assert_failure 65
	assert_stderr "etl-agg: long.ndjson:1: ts: not an ISO-8601 time or seconds since the epoch: \"$x62"
}

@test "windows: --idle-timeout closes windows when the input goes quiet" {
	mkfifo fifo
	etl-agg "${W[@]}" --idle-timeout 200ms fifo >out.ndjson &
	local pid=$!
	{
		ev a 10:00:00
		ev b 10:01:00
		sleep 1.5
		cp out.ndjson mid.ndjson
		ev a 10:02:00
	} >fifo
	wait "$pid"
	# both windows were written while the input was still open
	run cat mid.ndjson
	assert_output '{"user":"a","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:05:00Z","n":1,"total":1}
{"user":"b","window_start":"2026-11-24T10:00:00Z","window_end":"2026-11-24T10:05:00Z","n":1,"total":1}'
	# and the event that came after them was late for their window
	run cat out.ndjson
	assert_output "$(cat mid.ndjson)"
}

@test "windows: memory holds only open windows" {
	command -v /usr/bin/time >/dev/null || skip "GNU time is not installed"
	skip_if_sanitized
	python3 "$ETL_ROOT/examples/velocity/gen-events.py" --events 20000 --users 500 >a.ndjson
	python3 "$ETL_ROOT/examples/velocity/gen-events.py" --events 200000 --users 500 >b.ndjson
	/usr/bin/time -f %M -o rss.a etl-agg --window hopping:5m,1m -t ts --lateness 2m -g user -a 'n=count()' a.ndjson >/dev/null
	/usr/bin/time -f %M -o rss.b etl-agg --window hopping:5m,1m -t ts --lateness 2m -g user -a 'n=count()' b.ndjson >/dev/null
	(($(cat rss.b) < $(cat rss.a) + 2048)) || fail "peak RSS grew from $(cat rss.a) KB to $(cat rss.b) KB"
}

@test "transaction velocity per user matches an independent reference" {
	local v="$ETL_ROOT/examples/velocity"
	python3 "$v/gen-events.py" --events 30000 --users 60 --seed 7 >events.ndjson
	run --separate-stderr etl-agg --window hopping:5m,1m -t ts --lateness 2m -g user \
		-a 'n=count()' -a 'total=sum(amount)' --late late.ndjson --stats st.json \
		-o velocity.ndjson events.ndjson
	assert_success
	assert_no_stderr
	python3 "$v/reference.py" --size 300 --hop 60 --lateness 120 --late late.expected events.ndjson >velocity.expected
	assert_same_file velocity.expected velocity.ndjson
	assert_same_file late.expected late.ndjson
	(($(wc -l <late.ndjson) > 100))
	[[ $(stat_counts st.json) == "30000 $((30000 - $(wc -l <late.ndjson))) 0 $(wc -l <late.ndjson)" ]]
}

@test "windows: option checks" {
	run --separate-stderr etl-agg --window tumbling:5x -t ts -a 'n=count()'
	assert_failure 2
	assert_stderr_regex "^etl-agg: --window: expected tumbling:SIZE, hopping:SIZE,HOP \(HOP <= SIZE, SIZE/HOP <= 10000\) or session:GAP"
	run --separate-stderr etl-agg --window hopping:1m,5m -t ts -a 'n=count()'
	assert_failure 2
	run --separate-stderr etl-agg --window hopping:1d,1s -t ts -a 'n=count()'
	assert_failure 2
	run --separate-stderr etl-agg --window tumbling:5m -a 'n=count()'
	assert_failure 2
	assert_stderr_regex "^etl-agg: --window: needs --time-field"
	run --separate-stderr etl-agg --lateness 1m -a 'n=count()'
	assert_failure 2
	assert_stderr_regex "^etl-agg: --lateness: needs --window"
	run --separate-stderr etl-agg --window session:1m -t ts --partial -a 'n=count()'
	assert_failure 2
}

# --- offsets and checkpoints -------------------------------------------------------

# events N: N card payments, out of order within a few minutes, with offsets.
events() {
	awk -v n="$1" 'BEGIN {
		for (i = 0; i < n; i++) {
			s = (i * 7) % 50 + int(i / 10) * 20
			printf "{\"card\":\"c%d\",\"amt\":%d,\"ts\":\"2026-01-01T%02d:%02d:%02dZ\",\"_off\":\"f:%d\"}\n",
				i % 3, i, int(s / 3600), int(s / 60) % 60, s % 60, i * 100
		}
	}'
}

WIN=(--window tumbling:1m -t ts -g card -a 'n=count()' -a 's=sum(amt)')

@test "window results carry the input offset with their index at that point" {
	events 40 >ev.ndjson
	run --separate-stderr etl-agg "${WIN[@]}" ev.ndjson
	assert_success
	run jq -r '._off' <<<"$output"
	# every offset distinct, increasing, with one more component
	assert_equal "$(sort -u <<<"$output" | wc -l)" "$(wc -l <<<"$output")"
	assert_line --index 0 f:1300.0
	assert_line --index 1 f:1300.1
	assert_line --index 2 f:1300.2
	# records without offsets give results without
	run etl-agg "${WIN[@]}" "$DATA/agg/sales.ndjson" --bad-records skip
	refute_output --partial _off
	# a field _off that is not an offset neither (nor is the record bad)
	put odd.ndjson '{"card":"a","amt":1,"ts":"2026-01-01T00:00:00Z","_off":"nope"}\n'
	run --separate-stderr etl-agg "${WIN[@]}" odd.ndjson
	assert_success
	assert_output '{"card":"a","window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-01T00:01:00Z","n":1,"s":1}'
}

@test "--checkpoint: a run killed after a checkpoint and started again writes exactly the rest" {
	events 300 >ev.ndjson
	etl-agg "${WIN[@]}" ev.ndjson >want.ndjson
	local at
	for at in 1 4 9; do
		rm -rf ck
		ETL_CRASH_AT=agg-checkpointed@$at run etl-agg "${WIN[@]}" --checkpoint ck ev.ndjson
		assert_failure 137
		printf '%s\n' "$output" | sed '/^$/d' >out1.ndjson
		run --separate-stderr etl-agg "${WIN[@]}" --checkpoint ck --stats st.json ev.ndjson
		assert_success
		printf '%s\n' "$output" >out2.ndjson
		cat out1.ndjson out2.ndjson >got.ndjson
		assert_same_file want.ndjson got.ndjson
		run jq -r '.skipped > 0 and .records_in == .records_out + .dropped' st.json
		assert_output true
		# only the newest checkpoint is kept
		run ls ck
		assert_equal "$(wc -l <<<"$output")" 1
	done
}

@test "--checkpoint: late records are written once, the --late file cut back to the checkpoint" {
	events 300 >ev.ndjson
	etl-agg "${WIN[@]}" --late want-late.ndjson ev.ndjson >want.ndjson
	[[ -s want-late.ndjson ]]
	ETL_CRASH_AT=agg-checkpointed@9 run etl-agg "${WIN[@]}" --late late.ndjson --checkpoint ck ev.ndjson
	assert_failure 137
	# a late record written after the checkpoint, before the crash
	echo '{"late":"after the checkpoint"}' >>late.ndjson
	etl-agg "${WIN[@]}" --late late.ndjson --checkpoint ck ev.ndjson >/dev/null
	assert_same_file want-late.ndjson late.ndjson
}

@test "--checkpoint refuses another command's checkpoint, and records without _off" {
	events 100 >ev.ndjson
	etl-agg "${WIN[@]}" --checkpoint ck ev.ndjson >/dev/null
	run etl-agg --window tumbling:2m -t ts -g card -a 'n=count()' --checkpoint ck ev.ndjson
	assert_failure 2
	assert_output --partial 'the checkpoint is of another command'
	put plain.ndjson '{"card":"a","ts":"2026-01-01T00:00:00Z"}\n'
	run etl-agg "${WIN[@]}" --checkpoint ck2 plain.ndjson
	assert_failure 65
	assert_output --partial 'plain.ndjson:1: no _off string (--checkpoint needs the stream offset of each record)'
	run etl-agg -g card -a 'n=count()' --checkpoint ck3 plain.ndjson
	assert_failure 2
	assert_output --partial '--checkpoint: needs --window'
	run etl-agg "${WIN[@]}" --from-state k plain.ndjson
	assert_failure 2
	assert_output --partial '--from-state: needs --checkpoint'
	run etl-agg "${WIN[@]}" --checkpoint ck4 --emit update plain.ndjson
	assert_failure 2
	# a --late device is not a file to cut back
	run --separate-stderr etl-agg "${WIN[@]}" --late /dev/null --checkpoint ck5 ev.ndjson
	assert_success
}

@test "--idle-timeout closes the windows of a followed file that goes quiet" {
	events 30 | jq -c 'del(._off)' >ev.ndjson
	etl-agg "${WIN[@]}" -q ev.ndjson >want.ndjson
	etl-map --follow ev.ndjson | etl-agg "${WIN[@]}" -q --idle-timeout 300ms >out.ndjson &
	local n=0
	# all windows come out although the file never ends
	# (out.ndjson appears when the shell in the background has started)
	until [[ -f out.ndjson ]] && (($(wc -l <out.ndjson) >= $(wc -l <want.ndjson))); do
		((n++ < 100)) || break
		sleep 0.05
	done
	kill %1
	jq -c 'del(._off)' out.ndjson >got.ndjson
	assert_same_file want.ndjson got.ndjson
}

# --- usage errors ---------------------------------------------------------------

@test "-j takes a count of processes from 1 to 64, named as it was written" {
	run --separate-stderr etl-agg -j 0 -a 'n=count()' /dev/null
	assert_failure 2
	assert_output ""
	assert_stderr $'etl-agg: -j: expected a positive integer, got \'0\'\nTry \'etl-agg --help\' for more information.'
	run --separate-stderr etl-agg --jobs x -a 'n=count()' /dev/null
	assert_failure 2
	assert_stderr $'etl-agg: --jobs: expected a positive integer, got \'x\'\nTry \'etl-agg --help\' for more information.'
	run --separate-stderr etl-agg -j 65 -a 'n=count()' /dev/null
	assert_failure 2
	assert_stderr $'etl-agg: -j: too large: \'65\'\nTry \'etl-agg --help\' for more information.'
	run --separate-stderr etl-agg --jobs 64 -a 'n=count()' /dev/null
	assert_success
	assert_output '{"n":0}'
}

@test "an aggregate without a name is named after its call: sum(qty) is sum_qty" {
	put in.ndjson '{"k":"a","qty":2,"p":1.5}\n{"k":"a","qty":3,"p":2.5}\n{"k":"b","qty":1,"p":0.5}\n'
	run --separate-stderr etl-agg -g k -a 'sum(qty)' -a 'count()' -a 'max( qty * p )' \
		-a 'percentile(p, 0.5)' -a 'sum=sum(qty)' -a 'n = count()' in.ndjson
	assert_success
	assert_no_stderr
	assert_output '{"k":"a","sum_qty":5,"count":2,"max_qty_p":7.5,"percentile_p_0_5":2.0,"sum":5,"n":2}
{"k":"b","sum_qty":1,"count":1,"max_qty_p":0.5,"percentile_p_0_5":0.5,"sum":1,"n":1}'
	# a name that is a known function's, with =, is a name
	run --separate-stderr etl-agg -a 'count=sum(x == 1)' /dev/null
	assert_success
	assert_output '{"count":null}'
}

@test "usage errors: missing or malformed aggregates, unknown functions, bad expressions" {
	run --separate-stderr etl-agg -g k
	assert_failure 2
	assert_stderr $'etl-agg: --aggregate: at least one is required (-a \'n=count()\')\nTry \'etl-agg --help\' for more information.'
	run --separate-stderr etl-agg -a 'x + 1'
	assert_failure 2
	assert_stderr_regex "^etl-agg: --aggregate: 'x \+ 1': expected NAME=FUNC\(EXPR\)"
	run --separate-stderr etl-agg -a 'total(x)'
	assert_failure 2
	assert_stderr_regex "^etl-agg: --aggregate: 'total\(x\)': unknown function 'total' \(known: count, "
	run --separate-stderr etl-agg -a 'sum(x)' -a 'sum_x=count()'
	assert_failure 2
	assert_stderr_regex "the name 'sum_x' is taken twice"
	run --separate-stderr etl-agg -a 's=total(x)'
	assert_failure 2
	assert_stderr_regex "^etl-agg: --aggregate: 's=total\(x\)': unknown function 'total' \(known: count, count_distinct, "
	run --separate-stderr etl-agg -a 's=sum()'
	assert_failure 2
	assert_stderr_regex "sum\(\) takes one argument"
	run --separate-stderr etl-agg -a 's=sum(x +)'
	assert_failure 2
	assert_stderr_regex "^etl-agg: --aggregate: 's=sum\(x \+\)': column [0-9]+ of 'x \+': "
	run --separate-stderr etl-agg -a 's=sum(x)' -a 's=count()'
	assert_failure 2
	assert_stderr_regex "the name 's' is taken twice"
	run --separate-stderr etl-agg -g s -a 's=sum(x)'
	assert_failure 2
	assert_stderr_regex "'s' is a group field"
	run --separate-stderr etl-agg -g a,a.b -a 'n=count()'
	assert_failure 2
	assert_stderr_regex "^etl-agg: --group-by: 'a.b' lies within 'a'"
	run --separate-stderr etl-agg --memory lots -a 'n=count()'
	assert_failure 2
}

@test "usage errors: options that would be ignored are refused (--temp-dir without --memory, --jobs with --merge)" {
	local try='Try '\''etl-agg --help'\'' for more information.'

	run --separate-stderr etl-agg --temp-dir "$TMP" -a 'n=count()' /dev/null
	assert_failure 2
	assert_stderr "etl-agg: --temp-dir: applies only with --memory"$'\n'"$try"
	run --separate-stderr etl-agg --merge -j 2 -a 'n=count()' /dev/null
	assert_failure 2
	assert_stderr "etl-agg: --jobs: cannot be combined with --merge"$'\n'"$try"
	run --separate-stderr etl-agg --memory 1M --temp-dir "$TMP" -a 'n=count()' /dev/null
	assert_success
	assert_output '{"n":0}'
}

@test "sizes and durations are read as in every program, with their least values" {
	local try='Try '\''etl-agg --help'\'' for more information.'

	run --separate-stderr etl-agg --memory 512 -a 'n=count()' /dev/null
	assert_failure 2
	assert_stderr "etl-agg: --memory: expected a size of at least 1k (512M, 1.5G, 64k), got '512'"$'\n'"$try"
	run --separate-stderr etl-agg --memory 1.5k -a 'n=count()' /dev/null
	assert_success
	assert_output '{"n":0}'
	run --separate-stderr etl-agg --idle-timeout 0 -a 'n=count()' /dev/null
	assert_failure 2
	assert_stderr "etl-agg: --idle-timeout: expected a duration of at least 1ms (30s, 5m, 1h30m), got '0'"$'\n'"$try"
	run --separate-stderr etl-agg --lateness 1.5h -a 'n=count()' /dev/null
	assert_failure 2
	assert_stderr "etl-agg: --lateness: expected a duration (30s, 5m, 1h30m), got '1.5h'"$'\n'"$try"
	run --separate-stderr etl-agg --lateness '' -a 'n=count()' /dev/null
	assert_failure 2
	assert_stderr "etl-agg: --lateness: expected a duration (30s, 5m, 1h30m), got ''"$'\n'"$try"
	# weeks and sums, in a window spec as in --lateness
	put in.ndjson '{"t":"2026-01-01T00:00:00Z"}\n{"t":"2026-01-14T23:59:59Z"}\n{"t":"2026-01-15T00:00:00Z"}\n'
	run --separate-stderr etl-agg -w tumbling:1w6d24h -t t --lateness 0 -a 'n=count()' in.ndjson
	assert_success
	assert_line --index 0 --partial '"n":2'
	assert_line --index 1 --partial '"n":1'
}

@test "expressions written alike are evaluated once; commas inside calls are arguments" {
	put in.ndjson '{"a":1,"b":2}\n{"a":3,"b":null}\n'
	run --separate-stderr etl-agg -a 's=sum(coalesce(b, a))' -a 'p=percentile(coalesce(b, a), 0.5)' -a 'm=max(coalesce(b, a))' in.ndjson
	assert_success
	assert_output '{"s":5,"p":2.5,"m":3}'
}

# --- common options -----------------------------------------------------------

@test "--stats: records_in = records_out + bad + dropped" {
	put in.ndjson '{"k":1,"v":1}\nnot json\n{"k":2,"v":"x"}\n{"k":1,"v":2}\n'
	run --separate-stderr etl-agg -g k -a 's=sum(v)' --bad-records skip --stats st.json -q in.ndjson
	assert_success
	assert_output '{"k":1,"s":3}'
	[[ $(stat_counts st.json) == "4 2 2 0" ]]
}

@test "-o writes atomically; a failed run leaves no file" {
	put in.ndjson '{"v":1}\n{"v":"x"}\n'
	run --separate-stderr etl-agg -a 's=sum(v)' -o out.ndjson in.ndjson
	assert_failure 65
	[[ ! -e out.ndjson ]]
	assert_no_temp_files .
	put in.ndjson '{"v":1}\n'
	run --separate-stderr etl-agg -a 's=sum(v)' -o out.ndjson in.ndjson
	assert_success
	assert_output ''
	assert_bytes out.ndjson '{"s":1}\n'
}

@test "reads stdin and several files as one stream; options may follow files" {
	put a.ndjson '{"k":1}\n'
	put b.ndjson '{"k":1}\r\n\n{"k":2}'
	run --separate-stderr bash -c 'cat b.ndjson | etl-agg a.ndjson - -g k -a "n=count()"'
	assert_success
	assert_output $'{"k":1,"n":2}\n{"k":2,"n":1}'
}

@test "--help lists every option; --version prints the version" {
	run --separate-stderr etl-agg --help
	assert_success
	assert_line --index 0 --partial 'Usage: etl-agg [-g FIELDS] -a [NAME=]FUNC(EXPR)'
	for o in -g, --group-by -a, --aggregate --sort --partial --merge -j, --jobs --memory \
		--temp-dir -w, --window -t, --time-field --lateness --late --emit --idle-timeout \
		-o, --bad-records --max-bad --progress --stats -q, -h, --version; do
		assert_output --partial -- "$o"
	done
	run --separate-stderr etl-agg --version
	assert_success
	assert_output --regexp '^etl-agg [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "the man page and the completions name every option of --help" {
	local o
	run etl-agg --help
	for o in $(grep -oE -- '--[a-z][a-z-]+' <<<"$output" | sort -u); do
		grep -qF -- "*$o*" "$ETL_ROOT/man/etl-agg.1.scd" || fail "man page lacks $o"
		grep -qF -- "$o" "$ETL_ROOT/completions/etl.bash" || fail "bash completion lacks $o"
		grep -qF -- "$o" "$ETL_ROOT/completions/_etl" || fail "zsh completion lacks $o"
	done
}

@test "the man page's examples print what it shows" {
	# each "$ etl-..." line of EXAMPLES followed by its output, up to the
	# block's end; run from a folder holding a copy of examples/, as from
	# the root of the sources
	local cmd want n=0
	cp -R "$ETL_ROOT/examples" examples
	while IFS= read -r -d '' cmd && IFS= read -r -d '' want; do
		run --separate-stderr bash -o pipefail -c "$cmd"
		[[ $status == 0 ]] || fail "example failed ($status): $cmd: $stderr"
		[[ -z $want || $output == "$want" ]] || fail "example: $cmd
want: $want
got:  $output"
		n=$((n + 1))
	done < <(awk '
		/^# / { on = ($0 == "# EXAMPLES") }
		on && /^```/ { if (inblock) { if (cmd != "") printf "%s%c%s%c", cmd, 0, out, 0; cmd = "" } inblock = !inblock; next }
		on && inblock && /^\$ etl-/ { if (cmd != "") printf "%s%c%s%c", cmd, 0, out, 0; cmd = substr($0, 3); out = ""; next }
		on && inblock && cmd != "" { out = out (out == "" ? "" : "\n") $0 }
	' "$ETL_ROOT/man/etl-agg.1.scd")
	((n >= 6)) || fail "only $n examples found"
}

@test "a parallel run ended by SIGTERM takes its workers with it and leaves no -o file" {
	local pid kid="" rc=0 n=0 pending

	awk 'BEGIN { for (i = 0; i < 600000; i++) printf "{\"k\":%d,\"v\":%d,\"pad\":\"................\"}\n", i, i % 7 }' >big.ndjson
	etl-agg -j2 -a 'n=count_distinct(k)' -o out.ndjson --stats st.json big.ndjson 2>err &
	pid=$!
	# hold the worker still, so that it is certainly running when the
	# parent is told to stop
	while [[ -z $kid ]] && ((n < 500)); do
		kid=$(ps --ppid "$pid" -o pid= | tr -d ' ')
		n=$((n + 1))
		[[ -n $kid ]] || sleep 0.01
	done
	[[ -n $kid ]] || fail "no worker process seen"
	kill -STOP "$kid"
	sleep 0.05
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert_equal "$rc" 143
	# the parent sent it SIGTERM on its way out: pending while it is stopped
	pending=$(printf '%d' "0x$(awk '/^ShdPnd:/ { print $2 }' "/proc/$kid/status")")
	kill -CONT "$kid" 2>/dev/null || true
	((pending & (1 << 14))) || fail "the worker was not sent SIGTERM"
	n=0
	while [[ $(ps -o stat= -p "$kid" 2>/dev/null) == [^Z]* ]] && ((n < 50)); do
		sleep 0.1
		n=$((n + 1))
	done
	[[ $(ps -o stat= -p "$kid" 2>/dev/null) != [^Z]* ]] || fail "the worker outlived its parent"
	assert_equal "$(cat err)" ""
	assert_equal "$(ls -A | tr '\n' ' ')" "big.ndjson err st.json "
	assert_equal "$(jq -c '[.records_in == .unwritten, .records_out, .exit_status]' st.json)" '[true,0,143]'
}

# --- fields never present -----------------------------------------------------

@test "an aggregate's field that no record had: a warning, an error with --strict" {
	put in.ndjson '{"g":"a","qty":1}\n{"g":"b","qty":2}\n'
	run --separate-stderr etl-agg -g g -a 'sum(qyt)' -a 'n=sum(if(g == "DE", 1, 0))' in.ndjson
	assert_success
	assert_output $'{"g":"a","sum_qyt":null,"n":0}\n{"g":"b","sum_qyt":null,"n":0}'
	assert_stderr $'etl-agg: --aggregate: field qyt never present in 2 records\netl-agg: --aggregate: field "DE" never present in 2 records; for the text DE write \'DE\''
	run --separate-stderr etl-agg --strict -a 'sum(qyt)' -o out.ndjson in.ndjson
	assert_failure 1
	assert_stderr 'etl-agg: --aggregate: field qyt never present in 2 records'
	[[ ! -e out.ndjson ]]
	run --separate-stderr etl-agg --strict -a 'sum(qty)' in.ndjson
	assert_success
	assert_no_stderr
	run --separate-stderr etl-agg --strict --merge -a 'sum(qty)' in.ndjson
	assert_failure 2
	assert_stderr_regex '^etl-agg: --strict: not with --merge'
}

@test "a run split between processes counts the fields its workers saw" {
	local n
	n=$(wc -l <"$SALES")
	{ cat "$SALES"; echo '{"country":"FR","late":1}'; } >in.ndjson
	run --separate-stderr etl-agg -j 2 -a 'sum(late)' -a 'sum(nothere)' in.ndjson
	assert_success
	assert_output '{"sum_late":1,"sum_nothere":null}'
	assert_stderr "etl-agg: --aggregate: field nothere never present in $((n + 1)) records"
	run --separate-stderr etl-agg -j 2 --strict -a 'sum(late)' in.ndjson
	assert_success
	assert_no_stderr
}
