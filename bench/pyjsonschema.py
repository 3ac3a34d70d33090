"""bench/pyjsonschema.py SCHEMA FILE - validate each line of the NDJSON FILE against the JSON
Schema (draft 2020-12) in SCHEMA with Python's jsonschema, as a user would write it; prints
the number of invalid records."""
import json
import sys

import jsonschema

with open(sys.argv[1], encoding="utf-8") as f:
    validator = jsonschema.Draft202012Validator(json.load(f))
invalid = 0
with open(sys.argv[2], encoding="utf-8") as f:
    for line in f:
        if line.strip() and not validator.is_valid(json.loads(line)):
            invalid += 1
print(invalid)
