/* test_lmtpd_deliver: lmtp_deliver_batch end to end on temp Maildirs: the
 * first delivery creates the Maildir and its default folders, +detail goes
 * to an existing folder (else INBOX; never with the setting off),
 * Return-Path and Delivered-To come first, quota failures and their reply,
 * XTERNID base names, and the ;R duplicate check in new/ and cur/. */
#include <check.h>
#include <errno.h>
#include <sys/mman.h>

#include "lmtpd.h"
#include "maildir_fixture.h"

#define MSG "Received: from x\r\nSubject: t\r\n\r\nbody\r\n"

static int msg_fd(void)
{
	int fd = memfd_create("t", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, MSG, strlen(MSG)), (ssize_t)strlen(MSG));
	return fd;
}

static void mk(struct lmtp_rcpt *r, const char *addr, const char *user, const char *detail,
	       const char *base_id, bool retry, const char *rule)
{
	const char *err;
	memset(r, 0, sizeof(*r));
	r->address = strdup(addr);
	r->user = strdup(user);
	r->root = strdup(fx_path("%s/Maildir", user));
	r->detail = detail ? strdup(detail) : NULL;
	snprintf(r->base_id, sizeof(r->base_id), "%s", base_id ? base_id : "");
	r->retry = retry;
	if (rule) {
		ck_assert_int_eq(maildir_quota_rule_parse(rule, &r->rules[0], &err), 0);
		r->nrules = 1;
	}
}

static char *file_of(const struct lmtp_rcpt *r, const char *sub)
{
	char dir[600];
	size_t len;
	ck_assert_int_eq(maildir_folder_path(r->root, r->folder, dir, sizeof(dir)), 0);
	strcat(dir, sub);
	strcat(dir, r->name);
	return fx_read(dir, &len);
}

static void setup(void)
{
	fx_setup();
	maildir_set_hostname("h.test");
}

static void teardown(void)
{
	maildir_set_hostname(NULL);
	fx_teardown();
}

START_TEST(test_batch)
{
	struct lmtp_deliver_opts o = { .save_detail = true };
	struct lmtp_rcpt r[5];
	struct maildir_err err;
	mk(&r[0], "u1@d.test", "u1", NULL, NULL, false, NULL);
	mk(&r[1], "u2+work@d.test", "u2", "work", NULL, false, NULL);
	mk(&r[2], "u2+nofolder@d.test", "u2", "nofolder", NULL, false, NULL);
	mk(&r[3], "u3@d.test", "u3", NULL, NULL, false, "*:bytes=10");
	mk(&r[4], "u4@d.test", "u4", NULL, "1700000000.QX1R4", false, "*:storage=1M");
	ck_assert_int_eq(maildir_create(r[1].root, &err), 1);
	ck_assert_int_eq(mkdir(fx_path("u2/Maildir/.work"), 0700), 0);
	ck_assert_int_eq(mkdir(fx_path("u2/Maildir/.work/cur"), 0700), 0);
	ck_assert_int_eq(mkdir(fx_path("u2/Maildir/.work/new"), 0700), 0);
	ck_assert_int_eq(mkdir(fx_path("u2/Maildir/.work/tmp"), 0700), 0);
	int fd = msg_fd();
	lmtp_deliver_batch(&o, fd, "s@x.test", r, 5);
	close(fd);
	for (int i = 0; i < 5; i++)
		ck_assert_msg(r[i].err.kind == (i == 3 ? MAILDIR_FAIL_QUOTA : MAILDIR_FAIL_NONE),
			      "rcpt %d: %s", i, r[i].err.text);
	ck_assert_str_eq(r[0].folder, "INBOX");
	ck_assert_str_eq(r[1].folder, "work");
	ck_assert_str_eq(r[2].folder, "INBOX");
	char *data = file_of(&r[0], "/new/");
	ck_assert_str_eq(data, "Return-Path: <s@x.test>\nDelivered-To: u1@d.test\n"
			       "Received: from x\nSubject: t\n\nbody\n");
	free(data);
	ck_assert_int_eq(fx_is_dir(fx_path("u1/Maildir/.Drafts/cur")), 1);
	ck_assert_int_eq(fx_is_dir(fx_path("u1/Maildir/.Junk/new")), 1);
	data = file_of(&r[1], "/new/");
	ck_assert_ptr_nonnull(strstr(data, "Delivered-To: u2+work@d.test\n"));
	free(data);
	ck_assert_int_eq(fx_count(fx_path("u2/Maildir/new")), 1);
	ck_assert_int_eq(fx_count(fx_path("u3/Maildir/new")), 0);
	ck_assert_int_eq(fx_count(fx_path("u3/Maildir/tmp")), 0);
	size_t len = strlen("Return-Path: <s@x.test>\nDelivered-To: u4@d.test\n"
			    "Received: from x\nSubject: t\n\nbody\n");
	char want[200];
	snprintf(want, sizeof(want), "1700000000.QX1R4.h.test,S=%zu,W=%zu", len, len + 6);
	ck_assert_str_eq(r[4].name, want);
	data = fx_read(fx_path("u4/Maildir/maildirsize"), &len);
	ck_assert_ptr_nonnull(strstr(data, "1048576S"));
	free(data);
	for (int i = 0; i < 5; i++)
		lmtp_rcpt_clear(&r[i]);
}
END_TEST

START_TEST(test_batch_no_detail_setting)
{
	struct lmtp_deliver_opts o = { .save_detail = false };
	struct lmtp_rcpt r;
	struct maildir_target t = { .root = NULL, .folder = "work", .flags = MAILDIR_CREATE_FOLDER };
	struct maildir_source src = { .fd = -1, .data = "x\n", .len = 2 };
	mk(&r, "u+work@d.test", "u", "work", NULL, false, NULL);
	t.root = r.root;
	ck_assert_int_eq(maildir_deliver(&src, &t), 0);
	int fd = msg_fd();
	lmtp_deliver_batch(&o, fd, "", &r, 1);
	close(fd);
	ck_assert_int_eq(r.err.kind, MAILDIR_FAIL_NONE);
	ck_assert_str_eq(r.folder, "INBOX");
	char *data = file_of(&r, "/new/");
	ck_assert(strncmp(data, "Return-Path: <>\n", 16) == 0);
	free(data);
	lmtp_rcpt_clear(&r);
}
END_TEST

START_TEST(test_batch_duplicates)
{
	struct lmtp_deliver_opts o = { .save_detail = true };
	struct lmtp_rcpt r[4];
	char from[700], to[700];
	int fd = msg_fd();
	mk(&r[0], "u@d.test", "u", NULL, "5.QABCR0", false, NULL);
	mk(&r[1], "u+work@d.test", "u", "work", "5.QABCR1", false, NULL);
	lmtp_deliver_batch(&o, fd, "s@x.test", r, 2);
	ck_assert_int_eq(r[0].err.kind, MAILDIR_FAIL_NONE);
	ck_assert_str_eq(r[1].folder, "INBOX"); /* no such folder yet */
	/* the user reads the first one: new/ -> cur/ with flags */
	snprintf(from, sizeof(from), "%s/new/%s", r[0].root, r[0].name);
	snprintf(to, sizeof(to), "%s/cur/%s:2,S", r[0].root, r[0].name);
	ck_assert_int_eq(rename(from, to), 0);
	lmtp_rcpt_clear(&r[0]);
	lmtp_rcpt_clear(&r[1]);
	ck_assert_int_eq(mkdir(fx_path("u/Maildir/.work"), 0700), 0);
	ck_assert_int_eq(mkdir(fx_path("u/Maildir/.work/cur"), 0700), 0);
	/* retries: both found (R1 in INBOX although .work exists now) */
	mk(&r[0], "u@d.test", "u", NULL, "5.QABCR0", true, NULL);
	mk(&r[1], "u+work@d.test", "u", "work", "5.QABCR1", true, NULL);
	mk(&r[2], "u@d.test", "u", NULL, "5.QABCR2", true, NULL);  /* never delivered */
	mk(&r[3], "u@d.test", "u", NULL, "5.QABCR3", false, NULL); /* failed at RCPT */
	r[3].err.kind = MAILDIR_FAIL_TEMP;
	lmtp_deliver_batch(&o, fd, "s@x.test", r, 4);
	close(fd);
	ck_assert(r[0].duplicate && r[1].duplicate && !r[2].duplicate);
	ck_assert(strncmp(r[0].name, "5.QABCR0.h.test,S=", 18) == 0);
	ck_assert(strstr(r[0].name, ":2,S") != NULL);
	ck_assert_int_eq(r[2].err.kind, MAILDIR_FAIL_NONE);
	ck_assert(strncmp(r[2].name, "5.QABCR2.h.test,S=", 18) == 0);
	ck_assert_int_eq(fx_count(fx_path("u/Maildir/new")), 2); /* R1 and R2 */
	ck_assert_int_eq(fx_count(fx_path("u/Maildir/cur")), 1);
	ck_assert_int_eq(fx_count(fx_path("u/Maildir/.work/cur")), 0);
	for (int i = 0; i < 4; i++)
		lmtp_rcpt_clear(&r[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lmtpd_deliver");
	TCase *tc = tcase_create("batch");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_batch);
	tcase_add_test(tc, test_batch_no_detail_setting);
	tcase_add_test(tc, test_batch_duplicates);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
