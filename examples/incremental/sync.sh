#!/usr/bin/env bash
# incremental/sync.sh - the orders that are new or changed since the last
# run, from two sources, merged into one table of the warehouse, all_orders,
# keyed by (source, source_id):
#
#   shop         the shop's PostgreSQL database, table orders
#   marketplace  a paginated, rate-limited REST API; so that the example
#                runs offline, a folder of its pages stands in for it
#                (api_pages)
#
#     SHOP_DB='host=db1 dbname=shop' WAREHOUSE_DB='host=dw dbname=warehouse' \
#         API_EXPORT=/srv/marketplace/export examples/incremental/sync.sh
#
# SHOP_DB and WAREHOUSE_DB are libpq connection strings (default: the
# databases shop and warehouse, the rest from PGHOST etc.); API_EXPORT is the
# folder of pages (default: api/day-1 here); WORK is where the batches and
# rejected.ndjson are written (default: ./work).
#
# Each source has its own watermark (orders_wm, marketplace_wm) in the
# warehouse's etl_state table, moved by etl-load-pg in the transaction of the
# rows it describes.  Running the job again, or after a failure, is harmless:
# rows read twice are upserted to the same values.
#
# Data checks, until etl-validate exists: a record whose values do not fit
# the shape (an amount that is not a number, a time that is not ISO-8601) is
# rejected to $WORK/rejected.ndjson, and when more than 1% of a batch is, the
# job stops with exit status 1 before anything is loaded.  Other statuses are
# those of etl(7): 75 means retry later, anything else means alert.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH=${ETL_BIN:-$here/../../bin}:$PATH
shop=${SHOP_DB:-dbname=shop}
warehouse=${WAREHOUSE_DB:-dbname=warehouse}
api=${API_EXPORT:-$here/api/day-1}
work=${WORK:-work}
mkdir -p "$work"
rm -f "$work/rejected.ndjson"

# The marketplace's orders modified at or after $1 (all of them when empty),
# one JSON object per line, read from the pages that the API returned.
api_pages() {
	if [ -z "$1" ]; then
		cat "$api"/page-*.ndjson
	else
		cat "$api"/page-*.ndjson | etl-map --where "modified >= parse_time('$1')"
	fi
}

# The shape both sources are brought to, and the checks on it.
shape=(--cast amount=decimal --cast ordered_at=timestamp --cast updated_at=timestamp
	--select 'source,source_id,customer,amount,currency,status,ordered_at,updated_at'
	--bad-records "$work/rejected.ndjson" --max-bad 1%)

# The warehouse table (made by the first run), and where each source got to
# (empty on the first run: from the beginning).
psql -X -q -v ON_ERROR_STOP=1 -d "$warehouse" -f "$here/warehouse.sql"
orders_wm=$(etl-state --db "$warehouse" get orders_wm)
marketplace_wm=$(etl-state --db "$warehouse" get marketplace_wm)

# 1. Extract and normalize both batches; a check that fails stops here.
etl-extract-pg --db "$shop" -t orders --since-column updated_at --since "$orders_wm" |
	etl-map --set "source='shop'" --cast id=string \
		--rename id=source_id,customer_email=customer,total=amount,created_at=ordered_at \
		"${shape[@]}" -o "$work/shop.ndjson"

# Against the API itself, this line only becomes (examples/README.md):
#   etl-fetch-api "$MARKETPLACE_URL" --format ndjson --paginate link --rate 5/s \
#       --since-param modified_since --since "$marketplace_wm" --bearer-env MARKETPLACE_TOKEN |
api_pages "$marketplace_wm" |
	etl-map --where 'not (test ?? false)' --set "source='marketplace'" \
		--rename id=source_id,buyer.email=customer,state=status,placed=ordered_at,modified=updated_at \
		--set 'currency=upper(currency)' --set 'status=lower(status)' \
		"${shape[@]}" -o "$work/marketplace.ndjson"

# 2. Load each batch, and move its watermark in the same transaction.
load() {
	etl-load-pg --db "$warehouse" -t all_orders --mode upsert --key source,source_id \
		--state-key "$1" --watermark updated_at "$2"
	echo "$(basename "$2" .ndjson): upserted $(wc -l <"$2"), $1 = $(etl-state --db "$warehouse" get "$1")"
}
load orders_wm "$work/shop.ndjson"
load marketplace_wm "$work/marketplace.ndjson"
