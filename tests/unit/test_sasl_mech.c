/* Unit tests for authd/sasl_mech: PLAIN and LOGIN response decoding,
 * including malformed base64, wrong NUL counts, authzid impersonation and
 * overlong fields. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ipc.h"
#include "sasl_mech.h"

static char *b64(const char *raw, size_t len)
{
	struct buf b;
	buf_init(&b, 0);
	ipc_base64_encode(&b, (const unsigned char *)raw, len);
	char *s = strdup(buf_str(&b));
	buf_free(&b);
	return s;
}

struct plain_case {
	const char *raw;
	size_t len;
	int rc;
	const char *user, *pass, *why;
};

static const struct plain_case plain_cases[] = {
	{ "\0demo\0secret", 12, 0, "demo", "secret", NULL },
	{ "demo\0demo\0secret", 16, 0, "demo", "secret", NULL },
	{ "DEMO\0demo\0secret", 16, 0, "demo", "secret", NULL },
	{ "\0demo\0", 6, 0, "demo", "", NULL },
	{ "victim\0attacker\0pw", 18, -1, NULL, NULL, "authzid mismatch" },
	{ "\0\0secret", 8, -1, NULL, NULL, "malformed PLAIN" },
	{ "demo\0secret", 11, -1, NULL, NULL, "malformed PLAIN" },
	{ "\0demo\0sec\0ret", 13, -1, NULL, NULL, "malformed PLAIN" },
	{ "", 0, -1, NULL, NULL, "malformed PLAIN" },
	{ "nonuls", 6, -1, NULL, NULL, "malformed PLAIN" },
};

START_TEST(plain_table)
{
	const struct plain_case *c = &plain_cases[_i];
	struct sasl_creds creds;
	const char *why = NULL;
	char *enc = b64(c->raw, c->len);
	ck_assert_int_eq(sasl_plain_decode(enc, strlen(enc), &creds, &why), c->rc);
	if (c->rc == 0) {
		ck_assert_str_eq(creds.user, c->user);
		ck_assert_str_eq(creds.pass, c->pass);
		ck_assert_uint_eq(creds.pass_len, strlen(c->pass));
	} else {
		ck_assert_str_eq(why, c->why);
	}
	free(enc);
}
END_TEST

START_TEST(plain_bad_base64)
{
	static const char *bad[] = { "AGRlbW8AcHc", "AGRlbW8AcHc*", "AGRl bW8AcHc=", "=", "====",
				     "AGRlbW8AcHc==" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sasl_creds creds;
		const char *why = NULL;
		ck_assert_int_eq(sasl_plain_decode(bad[i], strlen(bad[i]), &creds, &why), -1);
		ck_assert_str_eq(why, "invalid base64");
	}
}
END_TEST

START_TEST(plain_overlong)
{
	size_t len = 20000;
	char *raw = malloc(len);
	memset(raw, 'a', len);
	raw[0] = '\0';
	raw[10] = '\0';
	char *enc = b64(raw, len);
	struct sasl_creds creds;
	const char *why = NULL;
	ck_assert_int_eq(sasl_plain_decode(enc, strlen(enc), &creds, &why), -1);
	ck_assert_str_eq(why, "too long");
	free(enc);
	free(raw);
}
END_TEST

START_TEST(login_decode)
{
	char out[64];
	const char *why = NULL;
	char *enc = b64("demo@example.test", 17);
	ck_assert_int_eq(sasl_login_decode(enc, strlen(enc), out, sizeof(out), &why), 17);
	ck_assert_str_eq(out, "demo@example.test");
	free(enc);
	enc = b64("de\0mo", 5);
	ck_assert_int_eq(sasl_login_decode(enc, strlen(enc), out, sizeof(out), &why), -1);
	ck_assert_str_eq(why, "NUL in LOGIN response");
	free(enc);
	enc = b64("0123456789", 10);
	ck_assert_int_eq(sasl_login_decode(enc, strlen(enc), out, 10, &why), -1);
	ck_assert_str_eq(why, "too long");
	free(enc);
	ck_assert_int_eq(sasl_login_decode("!!!!", 4, out, sizeof(out), &why), -1);
	ck_assert_str_eq(why, "invalid base64");
	ck_assert_int_eq(sasl_login_decode("", 0, out, sizeof(out), &why), 0);
}
END_TEST

START_TEST(mech_names)
{
	ck_assert_int_eq(sasl_mech_parse("plain"), SASL_PLAIN);
	ck_assert_int_eq(sasl_mech_parse("LOGIN"), SASL_LOGIN);
	ck_assert_int_eq(sasl_mech_parse("CRAM-MD5"), SASL_UNKNOWN);
	ck_assert_int_eq(sasl_mech_parse(""), SASL_UNKNOWN);
	ck_assert_str_eq(sasl_mech_name(SASL_PLAIN), "PLAIN");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sasl_mech");
	TCase *tc = tcase_create("decode");
	tcase_add_loop_test(tc, plain_table, 0, sizeof(plain_cases) / sizeof(plain_cases[0]));
	tcase_add_test(tc, plain_bad_base64);
	tcase_add_test(tc, plain_overlong);
	tcase_add_test(tc, login_decode);
	tcase_add_test(tc, mech_names);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
