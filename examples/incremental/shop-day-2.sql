-- The second day in the shop's database: two orders change, one is new.
UPDATE orders SET status = 'paid',      updated_at = '2026-11-25 08:00:00Z' WHERE id = 3;
UPDATE orders SET status = 'cancelled', updated_at = '2026-11-25 09:10:00Z' WHERE id = 5;
INSERT INTO orders VALUES
	(6, 'eve@example.com', 68.16, 'EUR', 'paid', '2026-11-25 10:05:31Z', '2026-11-25 10:05:31Z');
