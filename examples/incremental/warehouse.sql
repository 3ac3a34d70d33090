-- The warehouse's table of all orders, whatever their source, in one shape.
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS all_orders (
	source text NOT NULL,          -- 'shop' or 'marketplace'
	source_id text NOT NULL,       -- the order's id in its source
	customer text NOT NULL,        -- e-mail address
	amount numeric(12,2) NOT NULL,
	currency text NOT NULL,        -- ISO 4217, upper case
	status text NOT NULL,          -- lower case
	ordered_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (source, source_id)
);
