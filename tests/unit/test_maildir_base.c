/* test_maildir_base: caller-supplied base names (maildir_target.base_id,
 * lmtpd's exactly-once naming): the name used, a leftover tmp file of a
 * crashed attempt replaced, an existing new/ file never overwritten nor
 * renamed around, invalid ids refused, and a many-target batch. */
#include <check.h>
#include <errno.h>

#include "maildir.h"
#include "maildir_fixture.h"

START_TEST(test_base_name_used)
{
	char root[300];
	snprintf(root, sizeof(root), "%s", fx_path("Maildir"));
	struct maildir_target t = { .root = root, .base_id = "1700000000.QAB12R0" };
	struct maildir_source src = { .fd = -1, .data = "Subject: x\r\n\r\nhi\r\n", .len = 18 };
	size_t len;
	maildir_set_hostname("mx.example.test");
	ck_assert_int_eq(maildir_deliver(&src, &t), 0);
	ck_assert_str_eq(t.name_r, "1700000000.QAB12R0.mx.example.test,S=15,W=18");
	char *data = fx_read(fx_path("Maildir/new/%s", t.name_r), &len);
	ck_assert_str_eq(data, "Subject: x\n\nhi\n");
	free(data);
	/* a leftover from a crash at the same delivery is replaced */
	t.base_id = "1700000000.QAB12R1";
	fx_write(fx_path("Maildir/tmp/1700000000.QAB12R1.mx.example.test"), "partial junk");
	ck_assert_int_eq(maildir_deliver(&src, &t), 0);
	ck_assert_str_eq(t.name_r, "1700000000.QAB12R1.mx.example.test,S=15,W=18");
	ck_assert_int_eq(fx_count(fx_path("Maildir/tmp")), 0);
	/* the same name again: refused, nothing written, the first kept */
	ck_assert_int_eq(maildir_deliver(&src, &t), -1);
	ck_assert_int_eq(t.err_r.kind, MAILDIR_FAIL_TEMP);
	ck_assert_int_eq(t.err_r.errnum, EEXIST);
	ck_assert_int_eq(fx_count(fx_path("Maildir/new")), 2);
	ck_assert_int_eq(fx_count(fx_path("Maildir/tmp")), 0);
	maildir_set_hostname(NULL);
}
END_TEST

static const char *const bad_ids[] = {
	"", ".hidden", "a/b", "a:2,S", "a,S=1", "a b", "a\tb", "a\nb",
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
};

START_TEST(test_base_id_invalid)
{
	struct maildir_target t = { .root = fx_path("Maildir"), .base_id = bad_ids[_i] };
	struct maildir_source src = { .fd = -1, .data = "x\n", .len = 2 };
	ck_assert_int_eq(maildir_deliver(&src, &t), -1);
	ck_assert_int_eq(t.err_r.kind, MAILDIR_FAIL_PERM);
	ck_assert_int_le(fx_count(fx_path("Maildir/new")), 0);
}
END_TEST

START_TEST(test_base_many)
{
	char a[300], b[300]; /* fx_path's buffers rotate */
	snprintf(a, sizeof(a), "%s", fx_path("a"));
	snprintf(b, sizeof(b), "%s", fx_path("b"));
	struct maildir_target t[3] = {
		{ .root = a, .base_id = "1.Q9R0", .prepend = "Delivered-To: a\r\n" },
		{ .root = b, .base_id = "1.Q9R1", .prepend = "Delivered-To: b\r\n" },
		{ .root = b, .base_id = "1.Q9R2", .prepend = "Delivered-To: b\r\n" },
	};
	struct maildir_source src = { .fd = -1, .data = "x\r\n", .len = 3 };
	maildir_set_hostname("h");
	ck_assert_int_eq(maildir_deliver_many(&src, t, 3), 0);
	ck_assert_str_eq(t[0].name_r, "1.Q9R0.h,S=18,W=20");
	ck_assert_str_eq(t[1].name_r, "1.Q9R1.h,S=18,W=20");
	ck_assert_str_eq(t[2].name_r, "1.Q9R2.h,S=18,W=20");
	ck_assert_int_eq(fx_count(fx_path("b/new")), 2);
	/* a stale tmp file where the linked copy goes */
	t[2].base_id = "1.Q9R3";
	t[1].base_id = "1.Q9R4";
	fx_write(fx_path("b/tmp/1.Q9R3.h"), "stale");
	int rc = maildir_deliver_many(&src, t + 1, 2);
	ck_assert_msg(rc == 0, "%s / %s", t[1].err_r.text, t[2].err_r.text);
	ck_assert_str_eq(t[2].name_r, "1.Q9R3.h,S=18,W=20");
	size_t len;
	char *data = fx_read(fx_path("b/new/1.Q9R3.h,S=18,W=20"), &len);
	ck_assert_str_eq(data, "Delivered-To: b\nx\n");
	free(data);
	ck_assert_int_eq(fx_count(fx_path("b/tmp")), 0);
	maildir_set_hostname(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("maildir_base");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_base_name_used);
	tcase_add_loop_test(tc, test_base_id_invalid, 0, sizeof(bad_ids) / sizeof(bad_ids[0]));
	tcase_add_test(tc, test_base_many);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
