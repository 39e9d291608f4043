/* Unit tests for authd/allow_nets: CIDR matching of client IPs, v4 and v6,
 * "local", and malformed lists that must match nothing. */
#include <check.h>
#include <stdlib.h>

#include "allow_nets.h"

static const struct {
	const char *nets, *rip;
	bool allowed;
} cases[] = {
	{ "", "192.0.2.1", true },
	{ NULL, "", true },
	{ " , ", "192.0.2.1", true },
	{ "192.0.2.0/24", "192.0.2.77", true },
	{ "192.0.2.0/24", "192.0.3.1", false },
	{ "10.0.0.0/8, 192.0.2.1", "192.0.2.1", true },
	{ "10.0.0.0/8,192.0.2.1", "192.0.2.2", false },
	{ "0.0.0.0/0", "203.0.113.9", true },
	{ "2001:db8::/32", "2001:db8:1::5", true },
	{ "2001:db8::/32", "2001:db9::5", false },
	{ "::1", "::1", true },
	{ "127.0.0.1", "::ffff:127.0.0.1", true },
	{ "192.0.2.0/33", "192.0.2.1", false },
	{ "192.0.2.0/", "192.0.2.1", false },
	{ "192.0.2.0/x", "192.0.2.1", false },
	{ "garbage", "192.0.2.1", false },
	{ "192.0.2.0/24", "", false },
	{ "192.0.2.0/24", "not-an-ip", false },
	{ "local", "", true },
	{ "local", "192.0.2.1", false },
	{ "192.0.2.1/31", "192.0.2.0", true },
	{ "192.0.2.1/31", "192.0.2.2", false },
	{ "::/0", "192.0.2.1", true },
};

START_TEST(table)
{
	ck_assert_msg(allow_nets_match(cases[_i].nets, cases[_i].rip) == cases[_i].allowed,
		      "nets=%s rip=%s", cases[_i].nets ? cases[_i].nets : "(null)", cases[_i].rip);
}
END_TEST

START_TEST(overlong_items)
{
	char nets[4096];
	for (size_t i = 0; i < sizeof(nets) - 1; i++)
		nets[i] = '1';
	nets[sizeof(nets) - 1] = '\0';
	ck_assert(!allow_nets_match(nets, "192.0.2.1"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("allow_nets");
	TCase *tc = tcase_create("match");
	tcase_add_loop_test(tc, table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, overlong_items);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
