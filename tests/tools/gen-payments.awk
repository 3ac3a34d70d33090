# tests/tools/gen-payments.awk - a fixed stream of card payments for
# tests/chaos.bats and bench/: awk -v n=100000 [-v seed=1] -f gen-payments.awk
#
# One event about every 0.6 s of event time from 2026-01-01T00:00:00Z, over
# 500 cards; most arrive up to 20 s out of order, one in a hundred up to
# 4 minutes late (late for a 30 s lateness), and the last line is an event a
# day later that closes every window.  A linear congruential generator of
# its own makes the same bytes on every awk.
function rnd() {
	state = (state * 1103515245 + 12345) % 2147483648
	return state / 2147483648
}
BEGIN {
	if (!n)
		n = 100000
	state = seed ? seed : 1
	base = 1767225600 # 2026-01-01T00:00:00Z
	for (i = 0; i < n; i++) {
		t = i * 0.6
		r = rnd()
		if (r < 0.01)
			t -= 30 + rnd() * 210
		else
			t -= rnd() * 20
		if (t < 0)
			t = 0
		card = int(rnd() * 500)
		cents = 100 + int(rnd() * 50000)
		printf "{\"id\":%d,\"card\":\"c%03d\",\"amount\":%d.%02d,\"ts\":\"%s.%03dZ\"}\n", i, card,
			int(cents / 100), cents % 100, strftime("%Y-%m-%dT%H:%M:%S", base + int(t), 1),
			int((t - int(t)) * 1000)
	}
	printf "{\"id\":%d,\"card\":\"end\",\"amount\":0,\"ts\":\"%s.000Z\"}\n", n,
		strftime("%Y-%m-%dT%H:%M:%S", base + int(n * 0.6) + 86400, 1)
}
