/* test_resolve: directory_resolve over the fixture of directory_fixture.h:
 * aliases with several targets, PostfixAdmin self-aliases, +detail,
 * catch-all, alias domains, dedup of diamonds, loops, recursion and
 * expansion limits, output overflow, case and hostile addresses. */
#include "directory_fixture.h"

struct rcase {
	const char *address;
	enum dir_result want;
	const char *out;
};

static const struct rcase rcases[] = {
	{ "alice@example.org", DIR_FOUND, "alice@example.org" },
	{ "ALICE@Example.Org", DIR_FOUND, "alice@example.org" },
	{ "sales@example.org", DIR_FOUND, "alice@example.org,bob@example.org,carol@example.org" },
	{ "postmaster@example.org", DIR_FOUND, "postmaster@example.org,ext@gmail.com" },
	{ "self@example.org", DIR_FOUND, "self@example.org" },
	{ "alice+tag@example.org", DIR_FOUND, "alice+tag@example.org" },
	{ "sales+x@example.org", DIR_FOUND, "alice@example.org,bob@example.org,carol@example.org" },
	{ "postmaster+x@example.org", DIR_FOUND, "postmaster+x@example.org,ext@gmail.com" },
	{ "+x@example.org", DIR_NOTFOUND, "" },
	{ "alice+@example.org", DIR_FOUND, "alice+@example.org" },
	{ "anyone@example.net", DIR_FOUND, "alice@example.org" },
	{ "bob@alias.test", DIR_FOUND, "bob@example.org" },
	{ "sales@alias.test", DIR_FOUND, "alice@example.org,bob@example.org,carol@example.org" },
	{ "viadomain@example.org", DIR_FOUND, "bob@example.org" },
	{ "nobody@alias.test", DIR_NOTFOUND, "" },
	{ "nobody@example.org", DIR_NOTFOUND, "" },
	{ "nobody@example.com", DIR_NOTFOUND, "" },
	{ "someone@gmail.com", DIR_FOUND, "someone@gmail.com" },
	{ "Someone@GMAIL.com", DIR_FOUND, "someone@gmail.com" },
	{ "ghost@example.org", DIR_FOUND, "nobody@example.org" },
	{ "diamond@example.org", DIR_FOUND, "alice@example.org,d1@example.org,bob@example.org" },
	{ "fan@example.org", DIR_FOUND, "a@x.test,b@x.test,c@x.test,d@x.test,e@x.test,f@x.test" },
	{ "loop1@example.org", DIR_TEMP, "alias-loop" },
	{ "c0@example.org", DIR_TEMP, "alias-recursion-limit" },
	{ "c60@example.org", DIR_FOUND, "c150@example.org" },
	{ "s0@example.org", DIR_FOUND, "alice@example.org" },
	{ "weird%\"key\\'@example.org", DIR_FOUND, "carol@example.org" },
	{ "%@example.org", DIR_NOTFOUND, "" },
	{ "\"@\"@example.org", DIR_NOTFOUND, "" },
	{ "noatsign", DIR_NOTFOUND, "" },
	{ "trailing@", DIR_NOTFOUND, "" },
	{ "", DIR_NOTFOUND, "" },
};

START_TEST(test_resolve)
{
	const struct rcase *rc = &rcases[_i];
	struct directory *dir = open_dir("");
	char out[4096];

	memset(out, 'x', sizeof(out));
	ck_assert_int_eq(directory_resolve(dir, rc->address, out, sizeof(out)), rc->want);
	ck_assert_str_eq(out, rc->out);
	directory_free(&dir);
}
END_TEST

START_TEST(test_resolve_limits)
{
	struct directory *dir = open_dir("virtual_alias_expansion_limit = 5\n"
					 "virtual_alias_recursion_limit = 3\n"
					 "recipient_delimiter = -+\n");
	char out[4096];

	ck_assert_int_eq(directory_resolve(dir, "fan@example.org", out, sizeof(out)), DIR_TEMP);
	ck_assert_str_eq(out, "alias-expansion-limit");
	ck_assert_int_eq(directory_resolve(dir, "sales@example.org", out, sizeof(out)), DIR_FOUND);
	ck_assert_int_eq(directory_resolve(dir, "c10@example.org", out, sizeof(out)), DIR_TEMP);
	ck_assert_str_eq(out, "alias-recursion-limit");
	ck_assert_ptr_nonnull(strstr(read_log(), "directory-resolve-failed address=c10@example.org "
						 "reason=alias-recursion-limit"));
	ck_assert_int_eq(directory_resolve(dir, "c147@example.org", out, sizeof(out)), DIR_FOUND);
	ck_assert_str_eq(out, "c150@example.org");
	ck_assert_int_eq(directory_resolve(dir, "alice-x@example.org", out, sizeof(out)), DIR_FOUND);
	ck_assert_str_eq(out, "alice-x@example.org");
	ck_assert_int_eq(directory_resolve(dir, "alice+x@example.org", out, sizeof(out)), DIR_FOUND);
	/* output too small: TEMP with the reason cut to fit */
	ck_assert_int_eq(directory_resolve(dir, "sales@example.org", out, 30), DIR_TEMP);
	ck_assert_str_eq(out, "result-too-long");
	ck_assert_int_eq(directory_resolve(dir, "sales@example.org", out, 5), DIR_TEMP);
	ck_assert_str_eq(out, "resu");
	directory_free(&dir);
	dir = open_dir("recipient_delimiter =\n");
	ck_assert_int_eq(directory_resolve(dir, "alice+x@example.org", out, sizeof(out)),
			 DIR_NOTFOUND);
	directory_free(&dir);
}
END_TEST

/* A configured recursion limit above DIR_RECURSION_MAX is capped; 900
 * levels resolve without exhausting the stack. */
START_TEST(test_deep_chain)
{
	struct buf chain;
	struct directory *dir;
	char out[256];

	buf_init(&chain, 0);
	for (int i = 0; i < 1100; i++)
		buf_printf(&chain, "deep%d@example.org deep%d@example.org\n", i, i + 1);
	write_file("chain", buf_str(&chain));
	buf_free(&chain);
	dir = open_dir("virtual_alias_recursion_limit = 5000\n");
	ck_assert_int_eq(directory_resolve(dir, "deep200@example.org", out, sizeof(out)), DIR_FOUND);
	ck_assert_str_eq(out, "deep1100@example.org");
	ck_assert_int_eq(directory_resolve(dir, "deep0@example.org", out, sizeof(out)), DIR_TEMP);
	ck_assert_str_eq(out, "alias-recursion-limit");
	directory_free(&dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("files");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_resolve, 0, (int)(sizeof(rcases) / sizeof(rcases[0])));
	tcase_add_test(tc, test_resolve_limits);
	tcase_add_test(tc, test_deep_chain);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
