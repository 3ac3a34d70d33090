#!/usr/bin/env python3
"""reference.py - what etl-agg must write for transaction velocity per user,
computed independently, in plain Python with exact decimals.

    reference.py [--size S] [--hop S] [--lateness S] [--late FILE] EVENTS

The same as
    etl-agg --window hopping:SIZE,HOP -t ts --lateness LATENESS -g user \\
        -a 'n=count()' -a 'total=sum(amount)' --late FILE EVENTS
by the rules of etl-agg(1), section Windows: windows of SIZE seconds start
every HOP seconds since the epoch; the watermark is the greatest event time
seen minus the lateness; a record is late when the oldest window it belongs
to ends at or before the watermark, and then counts nowhere and goes to the
late file as read; windows come out by end, then start, then the order in
which they were opened.  Times are ISO-8601 with 'Z' or an offset.
"""
import argparse
import datetime
import json
from decimal import Decimal

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def micros(ts):
    t = datetime.datetime.fromisoformat(ts.replace('Z', '+00:00'))
    return (t - EPOCH) // datetime.timedelta(microseconds=1)


def iso(us):
    return (EPOCH + datetime.timedelta(microseconds=us)).strftime('%Y-%m-%dT%H:%M:%SZ')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--size', type=int, default=300)
    ap.add_argument('--hop', type=int, default=60)
    ap.add_argument('--lateness', type=int, default=120)
    ap.add_argument('--late')
    ap.add_argument('events')
    a = ap.parse_args()
    size, hop, lateness = a.size * 10**6, a.hop * 10**6, a.lateness * 10**6
    windows = {}  # (user, k) -> [opened, n, total]
    opened = 0
    watermark = None
    late = []
    with open(a.events, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line.strip():
                continue
            r = json.loads(line, parse_float=Decimal)
            t = micros(r['ts'])
            first = (t - size) // hop + 1  # the oldest window holding t
            if watermark is not None and first * hop + size <= watermark:
                late.append(line)
                continue
            for k in range(first, t // hop + 1):
                w = windows.get((r['user'], k))
                if w is None:
                    w = windows[(r['user'], k)] = [opened, 0, Decimal(0)]
                    opened += 1
                w[1] += 1
                if r.get('amount') is not None:
                    w[2] += Decimal(r['amount'])
            if watermark is None or t - lateness > watermark:
                watermark = t - lateness
    order = sorted(windows.items(), key=lambda kv: (kv[0][1] * hop + size, kv[0][1] * hop, kv[1][0]))
    for (user, k), (_, n, total) in order:
        print('{"user":%s,"window_start":"%s","window_end":"%s","n":%d,"total":%s}' %
              (json.dumps(user), iso(k * hop), iso(k * hop + size), n, total))
    if a.late:
        with open(a.late, 'w', encoding='utf-8') as f:
            for line in late:
                f.write(line + '\n')


if __name__ == '__main__':
    main()
