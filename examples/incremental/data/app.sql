-- The application's MariaDB database: what users do in the app.  updated_at
-- is set by the server on every insert and update, and the job extracts by
-- it.  @DAY@ is the day of the data (examples/incremental/seed.sh writes
-- yesterday's date there).
SET time_zone = '+00:00';
CREATE TABLE user_activity (
	id BIGINT PRIMARY KEY,
	user_id VARCHAR(20),
	action VARCHAR(40) NOT NULL,
	occurred_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
	KEY (updated_at)
);
INSERT INTO user_activity VALUES
	(1, 'u-1', 'login',          '@DAY@ 06:01:10', '@DAY@ 06:01:10'),
	(2, 'u-2', 'login',          '@DAY@ 06:30:00', '@DAY@ 06:30:00'),
	(3, 'u-1', 'export_report',  '@DAY@ 07:12:45', '@DAY@ 07:12:45'),
	(4, 'u-3', 'login',          '@DAY@ 09:00:00', '@DAY@ 09:00:00'),
	(5, 'u-2', 'invite_sent',    '@DAY@ 09:00:00', '@DAY@ 09:00:00'),
	(6, 'u-3', 'logout',         '@DAY@ 11:20:00', '@DAY@ 11:20:00');
