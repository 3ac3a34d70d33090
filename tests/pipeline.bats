#!/usr/bin/env bats
# The cleaning pipeline on the bench's generated sales data (with its
# duplicates, re-sent updates and missing values), checked record for record
# against tests/data/pipeline/reference.py, which computes the same with
# Python's csv and decimal modules.

load helpers/common

setup_file() {
	export SALES="$BATS_FILE_TMPDIR/sales"
	python3 "$ETL_ROOT/bench/gen-sales.py" --rows 30000 --csv "$SALES.csv" \
		--ndjson "$SALES.ndjson" >/dev/null 2>&1
}

@test "from-csv | map | dedupe | top gives the reference's top records, to the cent" {
	etl-from-csv --infer --null '' "$SALES.csv" |
		etl-map --default qty=0 --set 'revenue=qty*unit_price' |
		etl-dedupe -q -k order_id,line_no |
		etl-top -g date -n 3 --by revenue >"$TMP/top.ndjson"
	python3 "$TESTS/data/pipeline/reference.py" "$SALES.csv" 3 >"$TMP/want"
	[ "$(wc -l <"$TMP/want")" -gt 100 ]
	# the fields' raw text, so revenue is compared as written, not through doubles
	"$NDCAT" -f date,order_id,line_no,revenue "$TMP/top.ndjson" | tr '\t' ' ' |
		sed 's/^"\([^"]*\)"/\1/' >"$TMP/got"
	diff "$TMP/want" "$TMP/got"
}

@test "the NDJSON and CSV of the bench data give the same records through the pipeline" {
	etl-from-csv --infer --null '' "$SALES.csv" | etl-dedupe -q -k order_id,line_no >"$TMP/a"
	etl-dedupe -q -k order_id,line_no "$SALES.ndjson" >"$TMP/b"
	cmp "$TMP/a" "$TMP/b"
}
