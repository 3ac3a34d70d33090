#!/usr/bin/env python3
"""gen-events.py - a stream of card payments as a fraud monitor sees it.

    gen-events.py [--events N] [--users N] [--seed S] > events.ndjson

Each line is one payment: {"id":..,"user":"u007","ts":"...","amount":123.45}.
Lines come in arrival order; the event time "ts" lags behind the arrival
clock by a random delay: a few seconds for most events, up to 90 seconds
for some (out of order, but within a lateness of 2 minutes), and 4 to 15
minutes for about 2% (late for any window of 5 minutes with a lateness of 2
minutes).  About one time in ten is written with a +01:00 offset, the same
instant.  The output depends only on the arguments: the generator uses its
own integer PRNG, not Python's random module.
"""
import argparse
import datetime
import sys


class Rng:
    """64-bit LCG; the top bits are good enough for test data."""

    def __init__(self, seed):
        self.s = (seed * 2862933555777941757 + 3037000493) % 2**64

    def next(self, n):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) % 2**64
        return (self.s >> 33) % n


def iso(us, offset_h):
    t = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
        microseconds=us)
    if offset_h:
        t = t.astimezone(datetime.timezone(datetime.timedelta(hours=offset_h)))
        return t.strftime('%Y-%m-%dT%H:%M:%S') + '+%02d:00' % offset_h
    return t.strftime('%Y-%m-%dT%H:%M:%SZ')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--events', type=int, default=20000)
    ap.add_argument('--users', type=int, default=40)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    r = Rng(a.seed)
    start = 1795510800 * 10**6  # 2026-11-24T09:00:00Z
    clock = start
    out = sys.stdout
    for i in range(1, a.events + 1):
        clock += r.next(600) * 1000  # 0.3 s between arrivals on average
        p = r.next(100)
        if p < 2:
            delay = 240 + r.next(660)  # late: 4 to 15 minutes
        elif p < 12:
            delay = 5 + r.next(85)  # out of order, within 90 s
        else:
            delay = r.next(5)
        ts = clock - clock % 10**6 - delay * 10**6
        user = 'u%03d' % r.next(a.users)
        cents = 100 + r.next(50000)
        out.write('{"id":%d,"user":"%s","ts":"%s","amount":%d.%02d}\n' %
                  (i, user, iso(ts, 1 if r.next(10) == 0 else 0), cents // 100, cents % 100))


if __name__ == '__main__':
    main()
