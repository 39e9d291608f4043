/* test_mutf7: modified UTF-7 encoding/decoding against RFC 3501 and
 * Dovecot-style folder names, round trips, invalid UTF-8 and invalid
 * mUTF-7 rejection, output buffer limits. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mutf7.h"

static const struct {
	const char *utf8, *mutf7;
} pairs[] = {
	{ "", "" },
	{ "INBOX", "INBOX" },
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	  "~peter/mail/&U,BTFw-/&ZeVnLIqe-" }, /* RFC 3501 5.1.3 */
	{ "Entw\xc3\xbcrfe", "Entw&APw-rfe" },
	{ "Gel\xc3\xb6schte Elemente", "Gel&APY-schte Elemente" },
	{ "\xf0\x9f\x98\x80", "&2D3eAA-" }, /* U+1F600: surrogate pair */
	{ "a\x01" "b", "a&AAE-b" },
	{ "\xd0\x9e\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xbd"
	  "\xd1\x8b\xd0\xb5", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-" },
	{ "A&B", "A&-B" },
	{ "&", "&-" },
	{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e&x", "&ZeVnLIqe-&-x" },
	{ "\xc3\xbc\xf0\x9f\x98\x80\xc3\xbc", "&APzYPd4AAPw-" },
};

START_TEST(test_pairs)
{
	char out[256];

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		ck_assert_int_eq(mutf7_encode(pairs[i].utf8, out, sizeof(out)),
				 (int)strlen(pairs[i].mutf7));
		ck_assert_str_eq(out, pairs[i].mutf7);
		ck_assert_int_eq(mutf7_decode(pairs[i].mutf7, out, sizeof(out)),
				 (int)strlen(pairs[i].utf8));
		ck_assert_str_eq(out, pairs[i].utf8);
	}
}
END_TEST

START_TEST(test_bad_utf8)
{
	static const char *const bad[] = {
		"\x80", "a\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", /* surrogate */
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "ok\xc3(",
	};
	char out[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_int_eq(mutf7_encode(bad[i], out, sizeof(out)), -1);
		ck_assert_int_eq(errno, EILSEQ);
	}
}
END_TEST

START_TEST(test_bad_mutf7)
{
	static const char *const bad[] = {
		"&", "&U,BTFw", "&-&", "&AGE-",  /* 'a' must not be encoded */
		"&2D0-",                          /* lone high surrogate */
		"&3gA-",                          /* lone low surrogate */
		"&APx-",                          /* non-zero pad bits */
		"&AP-",                           /* truncated unit */
		"&U/BTFw-",                       /* '/' is not the mUTF-7 alphabet */
		"a\x01", "\xc3\xbc", "&&-", "&AAE",
		"Foo&AAA-bar",                    /* encoded U+0000 (found by fuzzing) */
		"&AOQ-&AOQ-",                     /* two runs back to back: not canonical */
	};
	char out[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(mutf7_decode(bad[i], out, sizeof(out)) == -1, "accepted %s", bad[i]);
		ck_assert_int_eq(errno, EILSEQ);
	}
}
END_TEST

START_TEST(test_sizes)
{
	char out[8];

	ck_assert_int_eq(mutf7_encode("1234567", out, sizeof(out)), 7);
	ck_assert_int_eq(mutf7_encode("12345678", out, sizeof(out)), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_int_eq(mutf7_encode("\xc3\xbc\xc3\xbc", out, sizeof(out)), -1);
	ck_assert_int_eq(mutf7_encode("x", out, 0), -1);
	ck_assert_int_eq(mutf7_decode("&APwA,A-", out, sizeof(out)), 4);
	ck_assert_int_eq(mutf7_decode("&APwA,A-", out, 4), -1);
}
END_TEST

/* Every BMP code point except surrogates, and some astral ones, round trip. */
START_TEST(test_round_trip_all)
{
	char in[8], enc[64], dec[16];

	for (unsigned cp = 1; cp < 0x110000; cp += cp < 0x10000 ? 1 : 997) {
		size_t n = 0;

		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		if (cp < 0x80) {
			in[n++] = (char)cp;
		} else if (cp < 0x800) {
			in[n++] = (char)(0xc0 | (cp >> 6));
			in[n++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			in[n++] = (char)(0xe0 | (cp >> 12));
			in[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			in[n++] = (char)(0x80 | (cp & 0x3f));
		} else {
			in[n++] = (char)(0xf0 | (cp >> 18));
			in[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			in[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			in[n++] = (char)(0x80 | (cp & 0x3f));
		}
		in[n] = '\0';
		ck_assert_int_ge(mutf7_encode(in, enc, sizeof(enc)), 1);
		for (const char *p = enc; *p != '\0'; p++)
			ck_assert(*p >= 0x20 && *p <= 0x7e);
		ck_assert_int_eq(mutf7_decode(enc, dec, sizeof(dec)), (int)n);
		ck_assert_str_eq(dec, in);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mutf7");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pairs);
	tcase_add_test(tc, test_bad_utf8);
	tcase_add_test(tc, test_bad_mutf7);
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_round_trip_all);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
