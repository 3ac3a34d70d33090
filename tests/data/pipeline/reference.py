#!/usr/bin/env python3
"""The cleaning pipeline of tests/pipeline.bats, computed independently.

Reads the bench sales CSV with Python's csv module and exact decimal
arithmetic and prints, per date in first-seen order, the top N records by
revenue = qty * unit_price (missing qty is 0; a missing price gives no
revenue, and such a record never ranks), after dropping repeated
(order_id, line_no) keys (the first one wins).  Ties rank by input order.
One line per record: date order_id line_no revenue.
"""
import csv
import sys
from decimal import Decimal

path, n = sys.argv[1], int(sys.argv[2])
seen = set()
groups = {}  # date -> list of (revenue, position, order_id, line_no); dict keeps first-seen order
with open(path, newline='', encoding='utf-8') as f:
    for pos, row in enumerate(csv.DictReader(f)):
        key = (row['order_id'], row['line_no'])
        if key in seen:
            continue
        seen.add(key)
        group = groups.setdefault(row['date'], [])
        if row['unit_price'] == '':
            continue
        qty = Decimal(row['qty']) if row['qty'] != '' else Decimal(0)
        group.append((qty * Decimal(row['unit_price']), pos, row['order_id'], row['line_no']))
for date, recs in groups.items():
    recs.sort(key=lambda r: (-r[0], r[1]))
    for rev, _, oid, line in recs[:n]:
        print(date, oid, line, rev)
