-- The warehouse's table of user events, whatever their source, in one shape.
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS user_events (
	source text NOT NULL,          -- 'activity', 'orders' or 'subscriptions'
	source_id text NOT NULL,       -- the event's id in its source
	user_id text NOT NULL,
	event text NOT NULL,           -- login, order_paid, subscription_started, ...
	amount numeric(12,2),          -- money, when the event has an amount
	occurred_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL, -- the source's, for its watermark
	PRIMARY KEY (source, source_id)
);
