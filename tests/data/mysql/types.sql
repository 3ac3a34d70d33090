-- tests/data/mysql/types.sql - a table with a column of every MariaDB type
-- that etl-extract-mysql converts, and rows at the edges of each: the
-- largest integers, every digit of a DECIMAL, a FLOAT's own digits, a
-- TIMESTAMP written at +05:30, strings with quotes and line breaks, binary
-- bytes, JSON with blanks and an exact number, and a row of NULLs.
-- types.ndjson is what etl-extract-mysql -t types --order-by id writes.
SET time_zone = '+05:30';
CREATE TABLE types (
	id INT PRIMARY KEY,
	ti TINYINT, si SMALLINT UNSIGNED, mi MEDIUMINT, i INT, bi BIGINT, ub BIGINT UNSIGNED,
	zf INT(6) ZEROFILL, bo BOOLEAN,
	dc DECIMAL(40,10), dz DECIMAL(8,2) ZEROFILL,
	f FLOAT, d DOUBLE,
	b BIT(12), y YEAR,
	dt DATE, dtm DATETIME(6), ts TIMESTAMP(3) NULL, tm TIME(3),
	c CHAR(5), vc VARCHAR(40), tx TEXT, e ENUM('small', 'large'), st SET('red', 'green', 'blue'),
	bn BINARY(4), vb VARBINARY(8), bl BLOB,
	j JSON, g GEOMETRY
);
INSERT INTO types VALUES
	(1, -128, 65535, -8388608, 2147483647, -9223372036854775808, 18446744073709551615,
	 42, TRUE,
	 123456789012345678901234567890.1234567890, 12.5,
	 3.1415927, 0.1 + 0.2e0,
	 b'101010101010', 2026,
	 '2026-11-24', '2026-11-24 18:30:00.123456', '2026-11-24 18:30:00.5', '-838:59:59.5',
	 'ab', 'héllo "q" \\ /', 'line 1\nline 2\ttab', 'large', 'blue,red',
	 x'00ff1020', x'', 'raw\0bytes',
	 '{"b": [1, 2.50, "x"],\n "a": null}', ST_GeomFromText('POINT(1 2)')),
	(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
	(3, 0, 0, 0, -1, 9007199254740993, 0,
	 0, FALSE,
	 -0.0000000001, 0,
	 0.1, -2.5e-100,
	 b'0', 1901,
	 '1000-01-01', '9999-12-31 23:59:59.999999', '1970-01-01 05:30:01', '00:00:00',
	 '', 'tab\there', '', 'small', '',
	 x'', x'ffffffffffffffff', '',
	 '[]', NULL);
