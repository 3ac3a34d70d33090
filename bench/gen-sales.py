#!/usr/bin/env python3
"""gen-sales.py - synthetic order lines for the benchmarks, as CSV and NDJSON.

    bench/gen-sales.py --rows N --csv FILE --ndjson FILE [--seed S]

Each row is one line of a web-shop order:

    order_id,line_no,ts,date,customer_id,product_id,product_name,qty,unit_price,
    currency,country,channel,updated_at

The stream looks like what an ETL job receives from a real feed:
  - orders of 1..5 lines, spread over about 120 days, timestamps in UTC;
  - product names with commas, double quotes and non-ASCII text, so CSV quoting and
    JSON escaping are exercised on every run;
  - about 2% exact duplicates (a recent row sent again verbatim);
  - about 1% re-sent updates (same order_id and line_no, a later updated_at, another qty);
  - about 1% missing values (qty or unit_price empty in CSV, null in NDJSON).

Invariants:
  - The output depends only on --rows and --seed. The generator has its own PRNG (a 64-bit
    LCG, integers only) and never uses `random`, floats, hashing or the clock, so the files
    are byte-identical across Python versions and machines.
  - Both files hold the same rows in the same order, written in one pass. The NDJSON object
    has the CSV's columns as keys in the same order; numbers are JSON numbers with exactly the
    CSV text (unit_price 68.10 stays 68.10), strings are escaped with non-ASCII as raw UTF-8.
  - CSV is RFC 4180 with a header, LF line ends, fields quoted only when they must be.
  - A file appears under its name only when complete: it is written beside it and renamed.
"""

import argparse
import datetime
import json
import os
import sys
import time

COLUMNS = ("order_id", "line_no", "ts", "date", "customer_id", "product_id", "product_name",
           "qty", "unit_price", "currency", "country", "channel", "updated_at")

SPAN_DAYS = 120
START = datetime.date(2026, 1, 5)
N_PRODUCTS = 1000
N_CUSTOMERS = 60000
HISTORY = 4096            # recent rows that duplicates and updates are drawn from
FIRST_ORDER_ID = 1000001

# Per mille of rows: exact duplicates, re-sent updates; per cent of new rows: missing value.
DUP_PERMILLE = 20
UPDATE_PERMILLE = 10
MISSING_PERCENT = 1


class Rng:
    """A 64-bit linear congruential generator (Knuth's MMIX constants).

    Only the high 32 bits are used: the low bits of an LCG are weak. below(n) maps them
    onto 0..n-1 by multiplication, which is unbiased enough for test data and cheap."""

    __slots__ = ("s",)

    def __init__(self, seed):
        self.s = (seed * 0x9E3779B97F4A7C15 + 1) & 0xFFFFFFFFFFFFFFFF
        for _ in range(4):
            self.below(2)

    def below(self, n):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        return ((self.s >> 32) * n) >> 32

    def pick(self, seq):
        return seq[self.below(len(seq))]


ADJECTIVES = ("Basic", "Classic", "Compact", "Deluxe", "Ergonomic", "Premium", "Slim",
              "Heavy-Duty", "Eco", "Travel", "Studio", "Nordic", "Urban", "Vintage", "Smart",
              "Foldable", "Wireless", "Kids", "Pro", "Mini")
NOUNS = ("Chair", "Desk", "Desk Lamp", "Bookshelf", "Monitor Arm", "Keyboard", "Mouse",
         "Notebook", "Pen Set", "Coffee Mug", "Backpack", "USB-C Cable", "Charger",
         "Headphones", "Stool", "Seat Cushion", "Rug", "Kettle", "Water Bottle", "Whiteboard",
         "Stapler", "Paper Tray", "Webcam", "Speaker", "Drawer Unit", "Footrest", "Plant Pot",
         "Wall Clock", "Coat Hook", "Filing Box", "Café Table", "Crème Brûlée Set")
# Suffixes that make a name need CSV quoting or JSON escaping, or carry non-ASCII text.
COMMA_SUFFIXES = (", black", ", oak", ", 2-pack", ", 120 cm", ", white, matte")
QUOTE_SUFFIXES = (' "Deluxe"', ' 24" wide', ' "Office" line', ', "Deluxe" – Größe L',
                  ', "Pro" – 北欧')
UNICODE_SUFFIXES = (" – Größe L", " – Größe M", " (Édition spéciale)", " «Café»",
                    " Ø 30 cm", " 2× pack", " – 北欧スタイル", " Łódź")

# Countries weighted by how often customers come from them, and the currency they pay in.
COUNTRIES = ("DE",) * 20 + ("FR",) * 12 + ("GB",) * 14 + ("US",) * 18 + ("NL",) * 7 + \
    ("ES",) * 6 + ("IT",) * 6 + ("AT",) * 4 + ("BE",) * 4 + ("IE",) * 3 + ("FI",) * 2 + \
    ("PT",) * 2 + ("PL",) * 2
CURRENCY = {"GB": "GBP", "US": "USD"}   # everyone else pays in EUR
RATE = {"EUR": 100, "USD": 108, "GBP": 86}   # price in currency = EUR price * RATE / 100
CHANNELS = ("web",) * 6 + ("store",) * 3 + ("phone",)


def csv_field(s):
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def make_products(rng):
    """Returns (csv_name, json_name, eur_cents) per product id; index 0 is unused."""
    products = [None]
    for _ in range(N_PRODUCTS):
        name = rng.pick(ADJECTIVES) + " " + rng.pick(NOUNS)
        kind = rng.below(100)
        if kind < 12:
            name += rng.pick(COMMA_SUFFIXES)
        elif kind < 20:
            name += rng.pick(QUOTE_SUFFIXES)
        elif kind < 32:
            name += rng.pick(UNICODE_SUFFIXES)
        # Cheap items are common, expensive ones rare: the smaller of two draws.
        cents = 99 + min(rng.below(40000), rng.below(40000))
        products.append((csv_field(name), json.dumps(name, ensure_ascii=False), cents))
    return products


def make_customers(rng):
    """Returns (customer_id, country, currency) per customer number; index 0 is unused."""
    customers = [None]
    for n in range(1, N_CUSTOMERS + 1):
        country = rng.pick(COUNTRIES)
        customers.append(("C%06d" % n, country, CURRENCY.get(country, "EUR")))
    return customers


class Clock:
    """Formats epoch seconds as ISO-8601 UTC, caching the date part per day."""

    def __init__(self):
        self.base = datetime.datetime(START.year, START.month, START.day,
                                      tzinfo=datetime.timezone.utc)
        self.epoch0 = int(self.base.timestamp())
        self.days = {}

    def date(self, t):
        d = t // 86400
        s = self.days.get(d)
        if s is None:
            s = (datetime.date(1970, 1, 1) + datetime.timedelta(days=d)).isoformat()
            self.days[d] = s
        return s

    def iso(self, t):
        sec = t % 86400
        return "%sT%02d:%02d:%02dZ" % (self.date(t), sec // 3600, sec // 60 % 60, sec % 60)


class Writer:
    """A text file written under a temporary name and renamed when closed successfully.
    Anything that is not a regular file (say /dev/null) is written in place."""

    def __init__(self, path):
        self.path = path
        self.tmp = None
        if path is None:
            self.f = None
            return
        if os.path.exists(path) and not os.path.isfile(path):
            self.f = open(path, "w", encoding="utf-8", newline="")
        else:
            self.tmp = "%s.tmp%d" % (path, os.getpid())
            self.f = open(self.tmp, "w", encoding="utf-8", newline="")

    def write(self, s):
        if self.f is not None:
            self.f.write(s)

    def close(self):
        if self.f is not None:
            self.f.close()
            if self.tmp is not None:
                os.replace(self.tmp, self.path)
                self.tmp = None

    def discard(self):
        if self.f is not None:
            self.f.close()
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass


def generate(rows, seed, out_csv, out_json):
    rng = Rng(seed)
    products = make_products(rng)
    customers = make_customers(rng)
    clock = Clock()
    below = rng.below
    iso = clock.iso

    # Orders average 3 lines; spread the expected number of orders over SPAN_DAYS.
    orders_expected = max(1, rows * (1000 - DUP_PERMILLE - UPDATE_PERMILLE) // 3000)
    gap = max(1, SPAN_DAYS * 86400 // orders_expected)

    out_csv.write(",".join(COLUMNS) + "\n")

    # A row is a list:
    # [order_id, line_no, ts_text, date, customer_id, product_id, qty, unit_price,
    #  currency, country, channel, updated_at_epoch], qty and unit_price as text ("" if missing).
    history = []
    hist_next = 0
    now = clock.epoch0
    order_id = FIRST_ORDER_ID - 1
    lines_left = 0
    line_no = 0
    ts = date = cust = cur = country = channel = None
    dups = updates = missing = orders = 0
    buf_c = []
    buf_j = []

    for i in range(rows):
        r = below(1000)
        if r < DUP_PERMILLE and history:
            row = history[below(len(history))]
            dups += 1
        elif r < DUP_PERMILLE + UPDATE_PERMILLE and history:
            row = history[below(len(history))]
            old = row[6]
            q = 1 + below(20)
            if old and q == int(old):
                q = q % 20 + 1
            row[6] = str(q)
            row[11] = max(row[11], now) + 60 + below(2 * 86400)
            updates += 1
        else:
            if lines_left == 0:
                order_id += 1
                orders += 1
                lines_left = 1 + below(5)
                line_no = 0
                now += below(2 * gap + 1)
                ts = iso(now)
                date = ts[:10]
                # Regular customers: the smaller of two draws favours low numbers.
                cust, country, cur = customers[1 + min(below(N_CUSTOMERS), below(N_CUSTOMERS))]
                channel = CHANNELS[below(10)]
            lines_left -= 1
            line_no += 1
            pid = 1 + below(N_PRODUCTS)
            cents = products[pid][2] * RATE[cur] // 100
            if below(10) == 0:
                cents = cents * 9 // 10
            price = "%d.%02d" % (cents // 100, cents % 100)
            qty = str(1 + min(below(20), below(20)))
            if below(100) < MISSING_PERCENT:
                missing += 1
                if below(2):
                    qty = ""
                else:
                    price = ""
            row = [order_id, line_no, ts, date, cust, pid, qty, price, cur, country, channel,
                   now + below(300)]
            if len(history) < HISTORY:
                history.append(row)
            else:
                history[hist_next] = row
                hist_next = (hist_next + 1) % HISTORY

        p = products[row[5]]
        upd = iso(row[11])
        buf_c.append("%d,%d,%s,%s,%s,%d,%s,%s,%s,%s,%s,%s,%s\n" % (
            row[0], row[1], row[2], row[3], row[4], row[5], p[0], row[6], row[7], row[8],
            row[9], row[10], upd))
        buf_j.append(
            '{"order_id":%d,"line_no":%d,"ts":"%s","date":"%s","customer_id":"%s",'
            '"product_id":%d,"product_name":%s,"qty":%s,"unit_price":%s,"currency":"%s",'
            '"country":"%s","channel":"%s","updated_at":"%s"}\n' % (
                row[0], row[1], row[2], row[3], row[4], row[5], p[1], row[6] or "null",
                row[7] or "null", row[8], row[9], row[10], upd))
        if len(buf_c) == 8192:
            out_csv.write("".join(buf_c))
            out_json.write("".join(buf_j))
            buf_c.clear()
            buf_j.clear()

    out_csv.write("".join(buf_c))
    out_json.write("".join(buf_j))
    return {"rows": rows, "orders": orders, "duplicates": dups, "updates": updates,
            "missing": missing}


def main():
    ap = argparse.ArgumentParser(
        prog="gen-sales.py",
        description="Write synthetic sales order lines as CSV and NDJSON (deterministic).")
    ap.add_argument("--rows", type=int, required=True, help="number of data rows")
    ap.add_argument("--csv", metavar="FILE", help="CSV output")
    ap.add_argument("--ndjson", metavar="FILE", help="NDJSON output")
    ap.add_argument("--seed", type=int, default=1, help="PRNG seed (default 1)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    args = ap.parse_args()
    if args.rows < 0:
        ap.error("--rows must not be negative")
    if args.csv is None and args.ndjson is None:
        ap.error("give --csv FILE, --ndjson FILE, or both")

    started = time.monotonic()
    out_csv = Writer(args.csv)
    out_json = Writer(args.ndjson)
    try:
        stats = generate(args.rows, args.seed, out_csv, out_json)
        out_csv.close()
        out_json.close()
    except BaseException:
        out_csv.discard()
        out_json.discard()
        raise
    if not args.quiet:
        n = max(stats["rows"], 1)
        print("gen-sales.py: %d rows (%d orders), %d duplicates (%.2f%%), %d updates (%.2f%%), "
              "%d with a missing value (%.2f%%), %.1f s" % (
                  stats["rows"], stats["orders"], stats["duplicates"],
                  100.0 * stats["duplicates"] / n, stats["updates"], 100.0 * stats["updates"] / n,
                  stats["missing"], 100.0 * stats["missing"] / n, time.monotonic() - started),
              file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(1)
    except OSError as e:
        print("gen-sales.py: %s" % e, file=sys.stderr)
        sys.exit(74)
