/*
 * test_offset.c - unit tests of common/offset.h.
 *
 * What is proved: positions compare component by component as numbers,
 * whatever their leading zeros; a set keeps the greatest position per
 * stream and never lowers one; offset text with several entries, streams
 * holding ':' and every malformed form (empty, no ':', empty stream or
 * position, trailing ',', letters) are told apart, and a malformed text
 * leaves the set as it was; covers() holds exactly when every entry is at
 * or before the set's position for its stream; the canonical text sorts
 * streams and reads back to the same set; a derived position (one more
 * component) sorts after its input point and before the next, and cuts
 * back to it.
 */
#include "offset.h"

#include <string.h>

#include "unit.h"

#include "banned.h"

static int cmp(const char *a, const char *b)
{
	return offset_pos_cmp(a, strlen(a), b, strlen(b));
}

static int add(struct offset_set *s, const char *t)
{
	return offset_set_add_text(s, t, strlen(t));
}

static int covers(const struct offset_set *s, const char *t)
{
	return offset_set_covers(s, t, strlen(t));
}

static const char *fmt(const struct offset_set *s)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	offset_set_format(s, &b);
	return b.p ? b.p : "";
}

int main(void)
{
	struct offset_set s = OFFSET_SET_INIT, t = OFFSET_SET_INIT;
	const char *bad[] = {"",       "a",    "a:",   ":1",   "a:1,",  ",a:1",   "a:1x",
			     "a:1..2", "a:.1", "a:1.", "a:-1", "a:1,b", "a:1,:2", "a:+1"};

	CHECK(cmp("9", "10") < 0);
	CHECK(cmp("10", "9") > 0);
	CHECK(cmp("007", "7") == 0);
	CHECK(cmp("0", "00") == 0);
	CHECK(cmp("5.2", "5.10") < 0);
	CHECK(cmp("5", "5.0") < 0);
	CHECK(cmp("5.0", "5") > 0);
	CHECK(cmp("6", "5.99") > 0);
	CHECK(cmp("18446744073709551616", "18446744073709551615") > 0);
	CHECK(offset_pos_valid("1.2.3", 5));
	CHECK(!offset_pos_valid("1.", 2));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = add(&s, bad[i]);

		CHECK(r == -1 && s.n == 0);
		CHECK(covers(&s, bad[i]) == -1);
	}

	CHECK(add(&s, "t/1:10") == 0);
	CHECK(add(&s, "t/0:5,t/1:9") == 0);
	CHECK_STR(fmt(&s), "t/0:5,t/1:10");
	CHECK(add(&s, "t/0:6,bad") == -1);
	CHECK_STR(fmt(&s), "t/0:5,t/1:10");
	CHECK(add(&s, "/var/x:y.ndjson:4096") == 0);
	CHECK_STR(offset_set_get(&s, "/var/x:y.ndjson", 15)->pos, "4096");
	CHECK(covers(&s, "t/0:5") == 1);
	CHECK(covers(&s, "t/0:4,t/1:10") == 1);
	CHECK(covers(&s, "t/0:6") == 0);
	CHECK(covers(&s, "t/0:5,t/1:11") == 0);
	CHECK(covers(&s, "t/2:0") == 0);

	CHECK(add(&t, fmt(&s)) == 0);
	CHECK_STR(fmt(&t), fmt(&s));
	offset_set_clear(&t);
	CHECK(add(&t, "t/1:3,t/2:7") == 0);
	offset_set_merge(&s, &t);
	CHECK_STR(fmt(&s), "/var/x:y.ndjson:4096,t/0:5,t/1:10,t/2:7");

	{
		struct buf b = BUF_INIT;

		offset_stream_escape(&b, "a,b%c", 5);
		CHECK_STR(b.p, "a%2Cb%25c");
		buf_release(&b);
	}
	/* derived positions: one more component, after the input point and
	 * before the next; cut back to the first component */
	{
		struct buf b = BUF_INIT;

		offset_set_clear(&t);
		CHECK(add(&t, "p/0:15,p/1:7") == 0);
		offset_set_format_sub(&t, 2, &b);
		CHECK_STR(b.p, "p/0:15.2,p/1:7.2");
		offset_set_clear(&t);
		CHECK(add(&t, b.p) == 0);
		CHECK(covers(&t, "p/0:15") == 1);
		CHECK(covers(&t, "p/0:15.2,p/1:7.1") == 1);
		CHECK(covers(&t, "p/0:15.3") == 0);
		CHECK(covers(&t, "p/0:16") == 0);
		offset_set_clear(&s);
		offset_set_first(&s, &t);
		CHECK_STR(fmt(&s), "p/0:15,p/1:7");
		buf_release(&b);
	}
	offset_set_release(&s);
	offset_set_release(&t);
	return unit_done();
}
