#!/usr/bin/env python3
"""profile-ref.py - an independent reference for tests/etl-profile.bats.

    profile-ref.py gen N SEED        N records of varied data on stdout
    profile-ref.py ref FILE          the profile of FILE, normalized
    profile-ref.py norm [FILE]       etl-profile's NDJSON output, normalized

"ref" computes each field's counts with Python's own JSON reader, numbers
kept as their text and compared as decimal.Decimal; "norm" rewrites
etl-profile's records into the same form, so that the two can be compared
with diff: one line per field, values in a canonical spelling (numbers
normalized, strings tagged), the top values as [value, count] pairs.
"""
import datetime
import decimal
import json
import random
import re
import sys

decimal.getcontext().prec = 200


class Int(str):
    pass


class Dec(str):
    pass


def load(line):
    return json.loads(line, parse_int=Int, parse_float=Dec)


def canon(v):
    """A canonical text of a JSON value: equal values, equal texts."""
    if v is None:
        return "null"
    if v is True or v is False:
        return "b:" + ("true" if v else "false")
    if isinstance(v, (Int, Dec)):
        d = decimal.Decimal(v)
        return "n:" + ("0" if d == 0 else str(d.normalize()))
    if isinstance(v, str):
        return "s:" + v
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    return "{" + ",".join(json.dumps(k) + ":" + canon(x) for k, x in sorted(v.items())) + "}"


def jtype(v):
    if v is None:
        return "null"
    if v is True or v is False:
        return "boolean"
    if isinstance(v, (Int, Dec)):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array" if isinstance(v, list) else "object"


DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
TS = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?\Z")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
EMAIL = re.compile(LOCAL + "@" + LABEL + r"(?:\." + LABEL + ")+\Z")


def instant(s):
    """The instant of an ISO date or timestamp in microseconds, or None."""
    try:
        if DATE.match(s):
            d = datetime.date.fromisoformat(s)
            return (d - datetime.date(1970, 1, 1)).days * 86400 * 10**6
        m = TS.match(s)
        if not m:
            return None
        d = datetime.date.fromisoformat(m.group(1))
        h, mi, sec = int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)
        if h > 23 or mi > 59 or sec > 59:
            return None
        us = int(((m.group(5) or "") + "000000")[:6])
        off = 0
        if m.group(6) and m.group(6) != "Z":
            z = m.group(6).replace(":", "")
            off = (int(z[1:3]) * 60 + (int(z[3:5]) if len(z) > 3 else 0)) * 60
            off = -off if z[0] == "-" else off
        days = (d - datetime.date(1970, 1, 1)).days
        return ((days * 86400 + h * 3600 + mi * 60 + sec - off) * 10**6) + us
    except ValueError:
        return None


def kind(v):
    t = jtype(v)
    if t == "number":
        return "integer" if isinstance(v, Int) else "decimal"
    if t != "string":
        return t
    if v and instant(v) is not None:
        return "date" if DATE.match(v) else "timestamp"
    if UUID.match(v):
        return "uuid"
    if EMAIL.match(v) and len(v.split("@")[0]) <= 64:
        return "email"
    return "text"


def logical(kinds):
    fam = {"integer": "number", "decimal": "number"}
    fams = {fam.get(k, k if k in ("boolean", "array", "object") else "string") for k in kinds}
    if not kinds:
        return "null"
    if len(fams) > 1:
        return "mixed"
    f = fams.pop()
    if f == "number":
        return "decimal" if "decimal" in kinds else "integer"
    if f == "string":
        return kinds.pop() if len(kinds) == 1 else "text"
    return f


def bare(k):
    return k != "" and not any(c in k for c in '.,"= \t\n\r\0')


def segment(k):
    return k if bare(k) else '"' + k.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Field:
    def __init__(self, path):
        self.path = path
        self.types = {}
        self.kinds = set()
        self.empty = 0
        self.counts = {}  # canon -> [count, first index]
        self.vals = []  # non-null, non-object values
        self.lengths = []
        self.scale = 0
        self.intd = 0
        self.kids = []


def profile(path):
    fields, order, root = {}, [], Field("")
    records = 0

    def walk(parent, obj, prefix):
        for k, v in obj.items():
            p = (prefix + "." if prefix else "") + segment(k)
            if p not in fields:
                fields[p] = Field(p)
                parent.kids.append(fields[p])
            f = fields[p]
            t = jtype(v)
            f.types[t] = f.types.get(t, 0) + 1
            if t == "null":
                continue
            f.kinds.add(kind(v))
            if t == "object":
                walk(f, v, p)
                continue
            c = canon(v)
            if c not in f.counts:
                f.counts[c] = [0, len(f.counts)]
            f.counts[c][0] += 1
            f.vals.append(v)
            if t == "string":
                f.lengths.append(len(v))
                f.empty += v == ""
            if t == "number":
                d = decimal.Decimal(v)
                f.scale = max(f.scale, -d.as_tuple().exponent)
                if d != 0:
                    f.intd = max(f.intd, d.adjusted() + 1)

    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            records += 1
            walk(root, load(line), "")

    def dfs(f):
        for k in f.kids:
            order.append(k)
            dfs(k)

    dfs(root)
    out = []
    for f in order:
        ty = logical(set(f.kinds))
        count = sum(f.types.values())
        rec = {
            "field": f.path,
            "records": records,
            "count": count,
            "missing": records - count,
            "nulls": f.types.get("null", 0),
            "types": {t: f.types[t] for t in ("null", "boolean", "number", "string", "array", "object") if t in f.types},
            "type": ty,
            "empty": f.empty,
            "distinct": None if f.kinds == {"object"} else len(f.counts),
            "min": None,
            "max": None,
            "top": [[c, n] for c, (n, i) in sorted(f.counts.items(), key=lambda x: (-x[1][0], x[1][1]))[:5]],
            "min_length": min(f.lengths) if f.lengths else None,
            "max_length": max(f.lengths) if f.lengths else None,
            "precision": max(1, f.intd + f.scale) if "number" in f.types else None,
            "scale": f.scale if "number" in f.types else None,
        }
        vals = f.vals
        if vals and not f.kinds & {"array", "object"}:
            if ty in ("date", "timestamp"):
                key = lambda v: instant(v)
            else:
                rank = {"boolean": 0, "number": 1, "string": 2}
                key = lambda v: (
                    rank[jtype(v)],
                    decimal.Decimal(v) if jtype(v) == "number" else v.encode("utf-8") if jtype(v) == "string" else v,
                )
            rec["min"] = canon(min(vals, key=key))
            rec["max"] = canon(max(vals, key=key))
        out.append(rec)
    return out


def norm(fh):
    out = []
    for line in fh:
        r = load(line)
        rec = {k: r[k] for k in ("field", "records", "count", "missing", "nulls", "types", "type", "empty", "distinct")}
        for k in ("records", "count", "missing", "nulls", "empty", "distinct"):
            rec[k] = None if rec[k] is None else int(rec[k])
        rec["types"] = {k: int(v) for k, v in rec["types"].items()}
        rec["min"] = None if r["min"] is None else canon(r["min"])
        rec["max"] = None if r["max"] is None else canon(r["max"])
        rec["top"] = [[canon(t["value"]), int(t["count"])] for t in r["top"]]
        for k in ("min_length", "max_length", "precision", "scale"):
            rec[k] = None if r[k] is None else int(r[k])
        out.append(rec)
    return out


def gen(n, seed):
    """Records of every kind, numbers in varied spellings, fields sometimes
    missing or null, one nested object, one key with a dot."""
    rnd = random.Random(seed)
    names = ["Ana", "Bo", "Chloé", "Dražen", "", "Émile", "李", "Zoë", "ana", "bo"]
    out = []
    for i in range(n):
        m = []
        m.append('"id":%d' % (i + 1))
        if rnd.random() < 0.9:
            m.append('"qty":%s' % rnd.choice(["null", str(rnd.randint(-5, 40))]))
        cents = rnd.randint(0, 500000)
        price = rnd.choice(["%d.%02d" % (cents // 100, cents % 100), "%d.%02de0" % (cents // 100, cents % 100),
                            "%de-2" % cents, "%d" % (cents // 100)])
        m.append('"price":%s' % ("null" if rnd.random() < 0.05 else price))
        if rnd.random() < 0.95:
            m.append('"name":%s' % json.dumps(rnd.choice(names), ensure_ascii=rnd.random() < 0.5))
        day = datetime.date(2026, 1, 1) + datetime.timedelta(days=rnd.randint(0, 400))
        m.append('"day":"%s"' % day.isoformat())
        off = rnd.choice(["Z", "+01:00", "-05:30", "+00:00"])
        m.append('"ts":"%sT%02d:%02d:%02d%s"' % (day.isoformat(), rnd.randint(0, 23), rnd.randint(0, 59),
                                                rnd.randint(0, 59), off))
        m.append('"flag":%s' % rnd.choice(["true", "false", "null"]))
        m.append('"mix":%s' % rnd.choice(["1", "2.5", '"x"', "true", "[1,2]", '"1"']))
        m.append('"mix2":%s' % rnd.choice(["-3", "2.50", '"x"', "true", "false", '"10"', "null"]))
        if rnd.random() < 0.8:
            cust = ['"id":"C%04d"' % rnd.randint(1, 3000)]
            if rnd.random() < 0.7:
                cust.append('"email":"u%d@example.com"' % rnd.randint(1, 50))
            m.append('"customer":{%s}' % ",".join(cust))
        elif rnd.random() < 0.5:
            m.append('"customer":null')
        if rnd.random() < 0.3:
            m.append('"a.b":"%08x-%04x-4%03x-8%03x-%012x"' % (rnd.getrandbits(32), rnd.getrandbits(16),
                                                             rnd.getrandbits(12), rnd.getrandbits(12),
                                                             rnd.getrandbits(48)))
        m.append('"tags":%s' % rnd.choice(["[]", '["x"]', '["x","y"]', "[1, 2]", "[1,2.0]"]))
        frac = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(0, 4)))
        m.append('"dec":%s%d%s' % (rnd.choice(["", "-"]), rnd.choice([0, 0, 1, 9, 10, 99, 100, 12345]),
                                   "." + frac if frac else ""))
        m.append('"big":%s' % rnd.choice(["123456789012345678901234567890123456789012", "-1e50", "7", "0.5"]))
        rnd.shuffle(m) if rnd.random() < 0.1 else None
        out.append("{" + ",".join(m) + "}")
    return "\n".join(out) + "\n"


def main():
    cmd = sys.argv[1]
    if cmd == "gen":
        sys.stdout.write(gen(int(sys.argv[2]), int(sys.argv[3])))
        return
    recs = profile(sys.argv[2]) if cmd == "ref" else norm(open(sys.argv[2]) if len(sys.argv) > 2 else sys.stdin)
    for r in recs:
        print(json.dumps(r, ensure_ascii=False))


if __name__ == "__main__":
    main()
