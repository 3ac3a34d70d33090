/*
 * test_base64.c - RFC 4648 test vectors, round trips and strict decoding.
 */
#include <stdlib.h>

#include "base64.h"
#include "unit.h"

static const char *enc(const char *s)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	b64_encode(&b, s, strlen(s));
	return b.p;
}

static const char *dec(const char *s)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	buf_adds(&b, "");
	if (b64_decode(&b, s, strlen(s)) != 0)
		return "(invalid)";
	return b.p;
}

int main(void)
{
	/* RFC 4648 section 10 */
	CHECK_STR(enc(""), "");
	CHECK_STR(enc("f"), "Zg==");
	CHECK_STR(enc("fo"), "Zm8=");
	CHECK_STR(enc("foo"), "Zm9v");
	CHECK_STR(enc("foob"), "Zm9vYg==");
	CHECK_STR(enc("fooba"), "Zm9vYmE=");
	CHECK_STR(enc("foobar"), "Zm9vYmFy");
	CHECK_STR(dec("Zm9vYmFy"), "foobar");
	CHECK_STR(dec("Zm9vYg=="), "foob");
	CHECK_STR(dec("Zm9vYmE="), "fooba");
	CHECK_STR(dec(""), "");
	/* strict: bad length, stray padding, foreign bytes */
	CHECK_STR(dec("Zm9"), "(invalid)");
	CHECK_STR(dec("Zg=a"), "(invalid)");
	CHECK_STR(dec("Zg==Zg=="), "(invalid)");
	CHECK_STR(dec("Zm 9"), "(invalid)");
	CHECK_STR(dec("Zm9-"), "(invalid)");
	/* strict: the bits before the padding that make no whole byte are 0 */
	CHECK_STR(dec("Zh=="), "(invalid)");
	CHECK_STR(dec("Zm9="), "(invalid)");
	CHECK_STR(dec("Zm9vYh=="), "(invalid)");
	CHECK_STR(dec("Zm9vYmF="), "(invalid)");
	{
		/* of the 64 spellings of "Z?==" and of "Zm?=", only those that
		 * encoding gives decode */
		static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					    "0123456789+/";
		int ok = 1, n1 = 0, n2 = 0;

		for (int i = 0; i < 64; i++) {
			char one[] = {'Z', alpha[i], '=', '=', 0};
			char two[] = {'Z', 'm', alpha[i], '=', 0};
			const char *d1 = dec(one), *d2;

			if (strcmp(d1, "(invalid)") != 0 && (n1++, strcmp(enc(d1), one) != 0))
				ok = 0;
			d2 = dec(two);
			if (strcmp(d2, "(invalid)") != 0 && (n2++, strcmp(enc(d2), two) != 0))
				ok = 0;
		}
		CHECK(ok && n1 == 4 && n2 == 16);
	}
	{
		struct buf e = BUF_INIT, d = BUF_INIT;
		unsigned char all[256];
		int ok = 1;

		for (int i = 0; i < 256; i++)
			all[i] = (unsigned char)i;
		for (size_t n = 0; n <= 256; n++) {
			buf_reset(&e);
			buf_reset(&d);
			b64_encode(&e, all, n);
			if (b64_decode(&d, e.p ? e.p : "", e.len) != 0 || d.len != n ||
			    (n && memcmp(d.p, all, n) != 0))
				ok = 0;
		}
		CHECK(ok); /* every length of every byte value round-trips */
		buf_release(&e);
		buf_release(&d);
	}
	return unit_done();
}
