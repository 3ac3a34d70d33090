"""sortref.py - the reference of etl-sort's order, in plain Python.

  sortref.py gen N SEED          N records with a key v of every kind and
                                 spelling (and w, a second key), on stdout
  sortref.py sort KEYS [-u] FILE...  FILE's records in the order of KEYS
                                 (etl-sort's -k syntax, top-level fields)

The rule, written here independently of the C code: null and missing are
larger than every value (last ascending, first descending) unless
:nulls-first or :nulls-last says; then false < true < numbers (exact, as
decimal.Decimal) < strings (by their UTF-8 bytes); Python's sort is stable;
-u keeps the first record of each key.
"""
import functools
import json
import random
import sys
from decimal import Decimal


def gen(n, seed):
    r = random.Random(seed)
    strings = ['"a"', '"b"', '"ab"', '""', '"\\u0061"', '"\u00e9"', '"\\u00e9"', '"Z"',
               '"2026-11-24"', '"2026-11-24T18:30:00Z"', '"2026-01-02"', '"10"', '"9"']

    def number():
        k = r.randrange(9)
        if k == 0:
            return str(r.randint(-50, 50))
        if k == 1:
            return "%d.%02d" % (r.randint(-20, 20), r.randint(0, 99))
        if k == 2:
            return "%de%d" % (r.randint(-99, 99), r.randint(-3, 3))
        if k == 3:
            return "%d.%d0" % (r.randint(0, 9), r.randint(0, 9))
        if k == 4:
            return "%s%d" % (r.choice(["", "-"]), r.randint(10**39, 10**40))
        if k == 5:
            return r.choice(["0", "-0", "0.0", "0e5", "1e2", "100", "100.000", "1E+2"])
        if k == 6:
            return "%d.%de-%d" % (r.randint(1, 9), r.randint(0, 99), r.randint(300, 500))
        if k == 7:
            return "0.%s%d" % ("0" * r.randint(0, 40), r.randint(1, 999))
        return str(r.randint(-3, 3))

    def value():
        k = r.randrange(10)
        if k < 5:
            return number()
        if k < 7:
            return r.choice(strings)
        if k == 7:
            return "null"
        if k == 8:
            return r.choice(["true", "false"])
        return None  # missing

    for i in range(n):
        parts = ['"i":%d' % i]
        v, w = value(), r.choice(['1', '2', '"x"', 'null', None])
        if v is not None:
            parts.append('"v":' + v)
        if w is not None:
            parts.append('"w":' + w)
        r.shuffle(parts)
        print("{" + ",".join(parts) + "}")


def kind(v):
    if v is None:
        return 0
    if v is False:
        return 1
    if v is True:
        return 2
    if isinstance(v, Decimal):
        return 3
    if isinstance(v, str):
        return 4
    raise ValueError("no arrays or objects here")


def cmp_values(a, b):
    ka, kb = kind(a), kind(b)
    if ka != kb:
        return -1 if ka < kb else 1
    if ka == 4:
        a, b = a.encode("utf-8"), b.encode("utf-8")
    return (a > b) - (a < b)


def parse_keys(spec):
    keys = []
    for item in spec.split(","):
        parts = item.split(":")
        desc = "desc" in parts[1:]
        nulls_first = desc
        if "nulls-first" in parts[1:]:
            nulls_first = True
        if "nulls-last" in parts[1:]:
            nulls_first = False
        keys.append((parts[0], desc, nulls_first))
    return keys


def sort(spec, unique, files):
    keys = parse_keys(spec)
    recs = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                line = line.rstrip("\n")
                recs.append((json.loads(line, parse_float=Decimal, parse_int=Decimal), line))

    def cmp_key(x, y):
        for name, desc, nulls_first in keys:
            a, b = x[0].get(name), y[0].get(name)
            if a is None or b is None:
                if a is None and b is None:
                    continue
                c = 1 if a is None else -1
                return -c if nulls_first else c
            c = cmp_values(a, b)
            if c:
                return -c if desc else c
        return 0

    recs.sort(key=functools.cmp_to_key(cmp_key))
    out = []
    for rec in recs:
        if unique and out and cmp_key(out[-1], rec) == 0:
            continue
        out.append(rec)
    sys.stdout.write("".join(line + "\n" for _, line in out))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]))
    else:
        args = sys.argv[3:]
        unique = "-u" in args
        sort(sys.argv[2], unique, [a for a in args if a != "-u"])
