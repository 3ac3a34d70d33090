"""joinref.py - the reference of etl-join, in plain Python.

  joinref.py gen N M SEED MAIN SIDE   N input records (key k) and M --with
                                      records (key id), keys repeated on both
                                      sides, in many spellings
  joinref.py join MODE PREFIX MAIN SIDE   the expected output of
                                      etl-join -k k --with SIDE --with-key id
                                      --MODE [--prefix PREFIX] MAIN

The rule, written here independently of the C code: keys are equal when
they are the same JSON value (numbers by exact value, as decimal.Decimal;
a number never equals a string); a null or missing key matches nothing.
A match appends the --with record's fields but its key, as written, names
prefixed, before the input record's closing brace; one output per match,
in --with's order.  The generator writes --with records flat and compact,
with no comma or colon inside a value, so their fields are read back here
by splitting the text.
"""
import json
import random
import sys
from decimal import Decimal

KEYS = ['1', '1.0', '1e0', '10e-1', '2', '2.00', '"1"', '"a"', '"\\u0061"', '"b"', '3',
        '12345678901234567890123456789012345678901', '1.2345678901234567890123456789012345678901e40',
        'null', 'true', '-0', '0', None]


def gen(n, m, seed, main_path, side_path):
    r = random.Random(seed)
    with open(main_path, "w") as f:
        for i in range(n):
            parts = ['"i":%d' % i]
            k = r.choice(KEYS)
            if k is not None:
                parts.append('"k":' + k)
            parts.append('"q":%s' % r.choice(['1', '2.50', '"x"', 'null']))
            r.shuffle(parts)
            f.write("{" + ",".join(parts) + "}\n")
    with open(side_path, "w") as f:
        for j in range(m):
            parts = ['"name":"p%d"' % j, '"price":%s' % r.choice(['9.99', '1e2', '0', '-3'])]
            if r.random() < 0.3:
                parts.append('"tag":%s' % r.choice(['true', 'null', '"t"']))
            k = r.choice(KEYS)
            if k is not None:
                parts.insert(r.randrange(len(parts) + 1), '"id":' + k)
            f.write("{" + ",".join(parts) + "}\n")


def key_of(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, Decimal):
        return ("n", v)
    if isinstance(v, str):
        return ("s", v)
    raise ValueError("flat keys only")


def join(mode, prefix, main_path, side_path):
    side = {}
    with open(side_path) as f:
        for line in f:
            line = line.rstrip("\n")
            obj = json.loads(line, parse_float=Decimal, parse_int=Decimal)
            k = key_of(obj.get("id"))
            if k is None:
                continue
            fields = []
            for part in line[1:-1].split(","):
                name, raw = part.split(":", 1)
                if name != '"id"':
                    fields.append('"' + prefix + name[1:] + ":" + raw)
            side.setdefault(k, []).append(",".join(fields))
    out = []
    with open(main_path) as f:
        for line in f:
            line = line.rstrip("\n")
            obj = json.loads(line, parse_float=Decimal, parse_int=Decimal)
            k = key_of(obj.get("k"))
            matches = side.get(k, []) if k is not None else []
            if mode == "semi":
                if matches:
                    out.append(line)
            elif mode == "anti":
                if not matches:
                    out.append(line)
            elif matches:
                for text in matches:
                    out.append(line[:-1] + ("," + text if text else "") + "}")
            elif mode == "left":
                out.append(line)
    sys.stdout.write("".join(l + "\n" for l in out))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6])
    else:
        join(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
