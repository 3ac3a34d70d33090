-- The shop's PostgreSQL database: its orders.  updated_at is set by every
-- writer and rises with time; the job extracts by it.  @DAY@ is the day of
-- the data (examples/incremental/seed.sh writes yesterday's date there).
SET client_min_messages = warning;
CREATE TABLE orders (
	id bigint PRIMARY KEY,
	user_id text NOT NULL,
	total numeric(12,2) NOT NULL,
	status text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_updated_at ON orders (updated_at);
INSERT INTO orders VALUES
	(101, 'u-1', 164.00, 'paid',    '@DAY@ 06:15:02Z', '@DAY@ 06:16:00Z'),
	(102, 'u-2',  39.98, 'paid',    '@DAY@ 08:01:40Z', '@DAY@ 08:01:40Z'),
	(103, 'u-3',  24.90, 'pending', '@DAY@ 09:30:00Z', '@DAY@ 09:30:00Z'),
	(104, 'u-1', 399.98, 'paid',    '@DAY@ 10:12:13Z', '@DAY@ 10:12:13Z');
