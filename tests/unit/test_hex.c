/*
 * test_hex.c - unit tests of common/hex.h.
 *
 * What is proved: every digit of either case has its value and every other
 * byte is -1; hex_4 reads four digits and stops at the first byte that is
 * not one, so it never reads past a '\0'; hex_put64 and hex_read64 are
 * inverse on 64-bit values, and hex_read64 refuses any byte but [0-9a-f] in
 * any of its 16 places.
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

static void test_64(void)
{
	const uint64_t xs[] = {0,         1, 0xf, 0x10, 0x0123456789abcdefu, 0xfedcba9876543210u,
			       UINT64_MAX};
	char t[17];
	uint64_t x;
	int ok = 1;

	t[16] = '\0';
	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		hex_put64(t, xs[i]);
		if (hex_read64(t, &x) != 0 || x != xs[i]) {
			printf("# %s does not read back\n", t);
			ok = 0;
		}
	}
	CHECK(ok);
	hex_put64(t, 0x0123456789abcdefu);
	CHECK(!strcmp(t, "0123456789abcdef"));
	/* every place refuses what is not a lowercase digit */
	ok = 1;
	for (int at = 0; at < 16; at++) {
		const char bad[] = {'g', 'A', 'F', '/', ':', '`', ' ', '\0', (char)0xe9};

		for (size_t k = 0; k < sizeof(bad); k++) {
			memcpy(t, "0123456789abcdef", 16);
			t[at] = bad[k];
			if (hex_read64(t, &x) != -1) {
				printf("# byte %d at %d accepted\n", bad[k], at);
				ok = 0;
			}
		}
	}
	CHECK(ok);
}

int main(void)
{
	test_val();
	test_4();
	test_64();
	return unit_done();
}
