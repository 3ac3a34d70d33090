-- The shop's own database: its table of orders, as on the first day.
-- updated_at is set by every writer (here explicitly; in production by the
-- application or a trigger), and rises with time: the incremental job
-- extracts by it.
CREATE TABLE orders (
	id bigint PRIMARY KEY,
	customer_email text NOT NULL,
	total numeric(12,2) NOT NULL,
	currency text NOT NULL DEFAULT 'EUR',
	status text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_updated_at ON orders (updated_at);

INSERT INTO orders VALUES
	(1, 'ana@example.com', 164.00, 'EUR', 'paid',    '2026-11-24 08:15:02Z', '2026-11-24 08:16:00Z'),
	(2, 'bo@example.com',   39.98, 'EUR', 'paid',    '2026-11-24 09:01:40Z', '2026-11-24 09:01:40Z'),
	(3, 'cy@example.com',   24.90, 'EUR', 'pending', '2026-11-24 09:30:00Z', '2026-11-24 09:30:00Z'),
	(4, 'dee@example.com', 399.98, 'EUR', 'paid',    '2026-11-24 11:12:13Z', '2026-11-24 11:12:13Z'),
	(5, 'ana@example.com',  27.46, 'EUR', 'pending', '2026-11-24 17:45:00Z', '2026-11-24 17:45:00Z');
