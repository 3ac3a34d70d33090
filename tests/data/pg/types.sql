-- Every type etl-extract-pg maps, one row of values and one of NULLs.
CREATE TABLE types (
	id integer PRIMARY KEY,
	i2 smallint, i8 bigint, n numeric, n2 numeric(10,2), f8 double precision, f4 real,
	b boolean, t text, vc varchar(10), c char(3),
	d date, ts timestamptz, tsl timestamp, tm time,
	j json, jb jsonb, ia integer[], ta text[], by bytea, u uuid, iv interval
);
INSERT INTO types VALUES
(1, -32768, 9223372036854775807, 123456789012345678901234567890.123456789, 19.90, 0.1, 0.1,
 true, E'tab\there\nnew "line" \\ back é✓', 'short', 'ab',
 '2026-11-24', '2026-11-24 18:30:00.123+00', '2026-11-24 18:30:00', '18:30:05',
 E'{"b" : [1, 2],\n  "a":"x\\ny"}', '{"b": 1, "a": {"c": 1.50}}', '{1,NULL,3}', E'{"a b","c\\"d",NULL}',
 '\x00ff10', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day 02:03:04'),
(2, 0, -1, 'NaN', 0, 'Infinity', '-Infinity',
 false, '', '', '',
 '0001-01-01', '2026-01-01 00:00:00+05:30', '2026-01-01 00:00:00.5', '00:00',
 'null', '"s"', '{}', '{{"a","b"},{"c","d"}}', '', '00000000-0000-0000-0000-000000000000', '-1 mons'),
(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL),
(4, 1, 2, 1e-20, -0.5, 1e300, 1.5e-7, true, 'x', 'x', 'x', '2026-02-28', 'infinity', '-infinity',
 '23:59:59.999999', '[]', '[]', '{{1,2},{3,4}}', '{}', '\xdeadbeef', NULL, 'PT0S');
