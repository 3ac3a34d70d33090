/*
 * test_evtime.c - the one rule for event times: ISO-8601 strings with their
 * offset, numbers of seconds, digits past the microsecond dropped (down,
 * before 1970 too), and everything else refused with its message.
 */
#include <stdint.h>
#include <string.h>

#include "evtime.h"
#include "unit.h"

static struct buf tmp = BUF_INIT;

#define BAD INT64_MIN
#define MISSING (INT64_MIN + 1)

/* The instant of the JSON text j, or BAD (MISSING for a missing field). */
static int64_t ev(const char *j)
{
	int64_t us = -1;
	int r = evtime_read((struct span){j, j ? strlen(j) : 0}, &us, &tmp);

	if (r == EVTIME_MISSING)
		return MISSING;
	return r == EVTIME_OK ? us : BAD;
}

static const char *msg(const char *j)
{
	static char err[256];
	int64_t us;
	struct span v = {j, j ? strlen(j) : 0};

	evtime_message(evtime_read(v, &us, &tmp), "a.ts", v, err, sizeof(err));
	return err;
}

int main(void)
{
	CHECK(ev("\"1970-01-01T00:00:01Z\"") == 1000000);
	CHECK(ev("\"1970-01-01T01:00:01+01:00\"") == 1000000);
	CHECK(ev("\"1970-01-01T00:00:01.5\"") == 1500000);
	CHECK(ev("\"1970-01-02\"") == 86400000000);
	CHECK(ev("\"1970-01-01T00:00:\\u00301Z\"") == 1000000);
	CHECK(ev("1") == 1000000);
	CHECK(ev("1.5") == 1500000);
	CHECK(ev("15e-1") == 1500000);
	CHECK(ev("0") == 0);
	CHECK(ev("-0") == 0);
	CHECK(ev("0.0000019") == 1);
	CHECK(ev("\"1970-01-01T00:00:00.0000019Z\"") == 1);
	CHECK(ev("-0.0000001") == -1); /* down */
	CHECK(ev("-1.0000001") == -1000001);
	CHECK(ev("253402300799.999999") == 253402300799999999);
	CHECK(ev("253402300800") == BAD);
	CHECK(ev("-62167219200") == -62167219200000000);
	CHECK(ev("-62167219200.000001") == BAD);
	CHECK(ev("1795514400000") == BAD); /* milliseconds */
	/* digits past the microsecond, however many, and exponents */
	CHECK(ev("1795514400.1234567890123456789012345678901234567890") == 1795514400123456);
	CHECK(ev("-1795514400.1234560000000000000000000000000000000001") == -1795514400123457);
	CHECK(ev("-1795514400.1234560000000000000000000000000000000000") == -1795514400123456);
	CHECK(ev("1.7955144001234567890123456789012345678901234e9") == 1795514400123456);
	CHECK(ev("17955144001234567e-7") == 1795514400123456);
	CHECK(ev("0.0001e4") == 1000000);
	CHECK(ev("1e-400") == 0);
	CHECK(ev("-1e-400") == -1);
	CHECK(ev("-1e-99999999999999999999999999999999999999") == -1);
	CHECK(ev("1e99999999999999999999999999999999999999") == BAD);
	CHECK(ev("1e12") == BAD);
	CHECK(ev("1e11") == 100000000000000000);
	CHECK(ev("9999999999999999999") == BAD);
	CHECK(ev("-0.0") == 0);
	CHECK(ev("1e400") == BAD);
	CHECK(ev("-1e400") == BAD);
	CHECK(ev("\"1795514400\"") == BAD);
	CHECK(ev("\"2026-02-30\"") == BAD);
	CHECK(ev("true") == BAD);
	CHECK(ev("{}") == BAD);
	CHECK(ev(NULL) == MISSING);
	CHECK_STR(msg(NULL), "a.ts: no event time (the field is missing)");
	CHECK_STR(msg("null"), "a.ts: no event time (the field is null)");
	CHECK_STR(msg("\"soon\""),
		  "a.ts: not an ISO-8601 time or seconds since the epoch: \"soon\"");
	CHECK_STR(msg("\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9\""),
		  "a.ts: not an ISO-8601 time or seconds since the epoch: "
		  "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	buf_release(&tmp);
	return unit_done();
}
