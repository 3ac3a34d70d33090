/*
 * test_hex.c - unit tests of common/hex.h.
 *
 * What is proved: every digit of either case has its value and every other
 * byte is -1; hex_4 reads four digits and stops at the first byte that is
 * not one, so it never reads past a '\0'.
 */
#include "hex.h"

#include "unit.h"

#include "banned.h"

static void test_val(void)
{
	int ok = 1;

	for (unsigned c = 0; c < 256; c++) {
		int want = c >= '0' && c <= '9'   ? (int)(c - '0')
			   : c >= 'a' && c <= 'f' ? (int)(c - 'a' + 10)
			   : c >= 'A' && c <= 'F' ? (int)(c - 'A' + 10)
						  : -1;

		if (hex_val(c) != want) {
			printf("# hex_val(%u) is %d, not %d\n", c, hex_val(c), want);
			ok = 0;
		}
	}
	CHECK(ok);
}

static void test_4(void)
{
	CHECK(hex_4("00e9") == 0xe9);
	CHECK(hex_4("D83d") == 0xd83d);
	CHECK(hex_4("ffff") == 0xffff);
	CHECK(hex_4("12g4") == -1);
	CHECK(hex_4("12") == -1); /* stops at the '\0' */
	CHECK(hex_4("") == -1);
}

int main(void)
{
	test_val();
	test_4();
	return unit_done();
}
