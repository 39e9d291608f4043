/* test_lmtpd: lmtpd's delivery logic without the protocol: recipient
 * detail splitting, XTERNID parsing, the Maildir root from userdb fields,
 * the uid/gid check, the reply for each delivery result and the ;R
 * duplicate check (lmtp_deliver_batch: test_lmtpd_deliver.c). */
#include <check.h>
#include <errno.h>
#include <sys/mman.h>

#include "lmtpd.h"
#include "maildir_fixture.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *addr, *delims, *user, *detail;
} splits[] = {
	{ "user+detail@d.test", "+", "user@d.test", "detail" },
	{ "user@d.test", "+", "user@d.test", "" },
	{ "a+b+c@d.test", "+", "a@d.test", "b+c" },
	{ "a-b@d.test", "+-", "a@d.test", "b" },
	{ "a+b@d.test", "", "a+b@d.test", "" },
	{ "a+b@d.test", NULL, "a+b@d.test", "" },
	{ "postmaster", "+", "postmaster", "" },
	{ "a+@d.test", "+", "a@d.test", "" },
	{ "x@y+z@d.test", "+", "x@y@d.test", "z" },
};

START_TEST(test_split)
{
	char user[64], detail[64];
	ck_assert_int_eq(lmtp_split_address(splits[_i].addr, splits[_i].delims, user,
					    sizeof(user), detail, sizeof(detail)), 0);
	ck_assert_str_eq(user, splits[_i].user);
	ck_assert_str_eq(detail, splits[_i].detail);
}
END_TEST

START_TEST(test_split_overlong)
{
	char user[8], detail[4];
	ck_assert_int_eq(lmtp_split_address("abcdefgh@d", "+", user, sizeof(user), detail,
					    sizeof(detail)), -1);
	ck_assert_int_eq(lmtp_split_address("a+detail@d", "+", user, sizeof(user), detail,
					    sizeof(detail)), -1);
}
END_TEST

static const struct {
	const char *in, *base;
	bool retry;
} xids[] = {
	{ "1700000000.0ABCDEFGHJK1.0", "1700000000.Q0ABCDEFGHJK1R0", false },
	{ "1700000000.0ABCDEFGHJK1.12;R", "1700000000.Q0ABCDEFGHJK1R12", true },
	{ "1.x.9", "1.QxR9", false },
	{ "", NULL, false }, { "1700000000", NULL, false }, { "1.Q.", NULL, false },
	{ "1..0", NULL, false }, { "a.B.0", NULL, false }, { "1.B.x", NULL, false },
	{ "1.B.0;r", NULL, false }, { "1.B.0;R;R", NULL, false }, { "1.B/C.0", NULL, false },
	{ "1.B.0 ", NULL, false }, { "1.B:2.0", NULL, false }, { "1.B,S=1.0", NULL, false },
	{ "123456789012345678901.B.0", NULL, false }, { "1.B.12345678901", NULL, false },
	{ "1.ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456.0", NULL, false },
};

START_TEST(test_xternid)
{
	char base[LMTP_BASE_ID_MAX];
	bool retry = !xids[_i].retry;
	int r = lmtp_xternid_parse(xids[_i].in, base, &retry);
	if (xids[_i].base == NULL) {
		ck_assert_int_eq(r, -1);
		return;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(base, xids[_i].base);
	ck_assert(retry == xids[_i].retry);
}
END_TEST

static const struct {
	const char *mail, *def, *home, *root;
} roots[] = {
	{ "maildir:~/Maildir", NULL, "/home/u", "/home/u/Maildir" },
	{ NULL, "maildir:~/Maildir", "/home/u", "/home/u/Maildir" },
	{ "", "maildir:%h/M:LAYOUT=fs", "/h", "/h/M" },
	{ "maildir:/srv/mail/%d/%n/", NULL, "", "/srv/mail/d.test/u" },
	{ "/var/m/%Lu", NULL, NULL, "/var/m/u@d.test" },
	{ "maildir:~/Maildir:INBOX=/x:UTF-8", NULL, "/h/", "/h/Maildir" },
	{ "maildir:~/Maildir", NULL, "", NULL },
	{ "maildir:~/Maildir", NULL, NULL, NULL },
	{ "mdbox:~/mdbox", NULL, "/h", NULL },
	{ "mbox:/var/mail/u", NULL, "/h", NULL },
	{ "maildir:Maildir", NULL, "/h", NULL },
	{ "maildir:/h/../etc", NULL, "/h", NULL },
	{ "maildir:/h/..", NULL, "/h", NULL },
	{ "maildir:/h/%x", NULL, "/h", NULL },
	{ NULL, NULL, "/h", NULL },
	{ NULL, "", "/h", NULL },
};

START_TEST(test_maildir_root)
{
	char root[64];
	const char *why = NULL;
	int r = lmtp_maildir_root(roots[_i].mail, roots[_i].def, roots[_i].home, "u@d.test", root,
				  sizeof(root), &why);
	if (roots[_i].root == NULL) {
		ck_assert_int_eq(r, -1);
		ck_assert_ptr_nonnull(why);
		return;
	}
	ck_assert_msg(r == 0, "%s", why);
	ck_assert_str_eq(root, roots[_i].root);
}
END_TEST

START_TEST(test_maildir_root_overlong)
{
	char root[16], mail[8192];
	const char *why;
	memset(mail, 'a', sizeof(mail) - 1);
	mail[0] = '/';
	mail[sizeof(mail) - 1] = '\0';
	ck_assert_int_eq(lmtp_maildir_root(mail, NULL, "/h", "u", root, sizeof(root), &why), -1);
	ck_assert_int_eq(lmtp_maildir_root("/a/b/c/d/e/f/g/h/i", NULL, "/h", "u", root,
					   sizeof(root), &why), -1);
}
END_TEST

START_TEST(test_ids)
{
	ck_assert(lmtp_ids_match(NULL, NULL, 5, 6));
	ck_assert(lmtp_ids_match("5", "6", 5, 6));
	ck_assert(lmtp_ids_match("", "", 5, 6));
	ck_assert(!lmtp_ids_match("7", "6", 5, 6));
	ck_assert(!lmtp_ids_match("5", "7", 5, 6));
	ck_assert(!lmtp_ids_match("5x", NULL, 5, 6));
	ck_assert(!lmtp_ids_match("-5", NULL, 5, 6));
	ck_assert(lmtp_ids_match("root", "root", 0, 0));
	ck_assert(!lmtp_ids_match("root", NULL, 5, 6));
	ck_assert(!lmtp_ids_match("no-such-user-tern", NULL, 5, 6));
	ck_assert(!lmtp_ids_match(NULL, "no-such-group-tern", 5, 6));
}
END_TEST

static const struct {
	enum maildir_fail kind;
	int errnum;
	bool tempfail;
	int code;
	const char *enh;
} replies[] = {
	{ MAILDIR_FAIL_NONE, 0, false, 250, "2.0.0" },
	{ MAILDIR_FAIL_QUOTA, 0, false, 552, "5.2.2" },
	{ MAILDIR_FAIL_QUOTA, 0, true, 452, "4.2.2" },
	{ MAILDIR_FAIL_TEMP, EDQUOT, false, 552, "5.2.2" },
	{ MAILDIR_FAIL_TEMP, ENOSPC, false, 452, "4.3.1" },
	{ MAILDIR_FAIL_TEMP, ENOSPC, true, 452, "4.3.1" },
	{ MAILDIR_FAIL_TEMP, EIO, false, 451, "4.2.0" },
	{ MAILDIR_FAIL_TEMP, 0, false, 451, "4.2.0" },
	{ MAILDIR_FAIL_PERM, 0, false, 550, "5.2.0" },
};

START_TEST(test_reply)
{
	struct maildir_err err = { .kind = replies[_i].kind, .errnum = replies[_i].errnum };
	struct lmtp_reply rep;
	lmtp_result_reply(&err, replies[_i].tempfail, &rep);
	ck_assert_int_eq(rep.code, replies[_i].code);
	ck_assert_str_eq(rep.enhanced, replies[_i].enh);
	ck_assert(rep.text[0] != '\0');
}
END_TEST

START_TEST(test_dedup)
{
	char name[MAILDIR_NAME_MAX], root[300];
	snprintf(root, sizeof(root), "%s", fx_path("M"));
	ck_assert_int_eq(lmtp_dedup_find(root, "1.QABR0", name), 0); /* no Maildir yet */
	struct maildir_err err;
	ck_assert_int_ge(maildir_create(root, &err), 0);
	fx_write(fx_path("M/new/1.QABR00.h,S=1,W=1"), "x");  /* another index */
	fx_write(fx_path("M/new/1.QABR0,S=1,W=1"), "x");     /* no host part */
	fx_write(fx_path("M/cur/11.QABR0.h,S=1,W=1"), "x");  /* other secs */
	ck_assert_int_eq(lmtp_dedup_find(root, "1.QABR0", name), 0);
	fx_write(fx_path("M/cur/1.QABR0.host.x,S=1,W=1:2,S"), "x");
	ck_assert_int_eq(lmtp_dedup_find(root, "1.QABR0", name), 1);
	ck_assert_str_eq(name, "1.QABR0.host.x,S=1,W=1:2,S");
	fx_write(fx_path("M/new/2.QABR0.h"), "x");
	ck_assert_int_eq(lmtp_dedup_find(root, "2.QABR0", name), 1);
	ck_assert_str_eq(name, "2.QABR0.h");
	ck_assert_int_eq(chmod(fx_path("M/cur"), 0), 0);
	if (geteuid() != 0) /* root reads anyway */
		ck_assert_int_eq(lmtp_dedup_find(root, "3.QABR0", name), -1);
	chmod(fx_path("M/cur"), 0700);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lmtpd");
	TCase *tc = tcase_create("helpers"), *tb = tcase_create("batch");
	tcase_add_loop_test(tc, test_split, 0, N(splits));
	tcase_add_test(tc, test_split_overlong);
	tcase_add_loop_test(tc, test_xternid, 0, N(xids));
	tcase_add_loop_test(tc, test_maildir_root, 0, N(roots));
	tcase_add_test(tc, test_maildir_root_overlong);
	tcase_add_test(tc, test_ids);
	tcase_add_loop_test(tc, test_reply, 0, N(replies));
	tcase_add_checked_fixture(tb, fx_setup, fx_teardown);
	tcase_add_test(tb, test_dedup);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tb);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
