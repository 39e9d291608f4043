/* test_maildir_quota: quota_rule / quota_grace parsing (Dovecot units and
 * errors), maildirsize creation, appends, recalculation triggers (missing,
 * >= 5120 bytes, corrupt, negative, changed limits, stale over-quota),
 * over-quota refusal with grace, folder and ignore rules, and concurrent
 * O_APPEND updates. */
#include "maildir_fixture.h"

#include <errno.h>
#include <sys/wait.h>
#include <utime.h>

#include "maildir.h"

#define K 1024LL
#define M (1024LL * 1024)
#define G (1024LL * 1024 * 1024)

static const struct {
	const char *def;
	const char *mailbox;
	int64_t bytes, count;
	int bytes_pct;
	bool force, ignore;
} rules_ok[] = {
	{ "*:storage=1G", "*", G, 0, 0, true, false },
	{ "*:storage=1024", "*", 1024 * K, 0, 0, true, false }, /* kilobytes */
	{ "*:bytes=1048576", "*", M, 0, 0, true, false },
	{ "*:bytes=100M", "*", 100 * M, 0, 0, true, false },
	{ "*:storage=1GB", "*", G, 0, 0, true, false },
	{ "*:storage=1g", "*", G, 0, 0, true, false },
	{ "*:storage=5b", "*", 5, 0, 0, true, false },
	{ "*:storage=2T", "*", 2048 * G, 0, 0, true, false },
	{ "*:messages=1000", "*", 0, 1000, 0, true, false },
	{ "*:messages=1k", "*", 0, 1024, 0, true, false },
	{ "*:storage=0", "*", 0, 0, 0, true, false },
	{ "?:storage=10M", "?", 10 * M, 0, 0, false, false },
	{ "*:storage=10M:messages=100", "*", 10 * M, 100, 0, true, false },
	{ "Trash:storage=+100M", "Trash", 100 * M, 0, 0, false, false },
	{ "Trash:storage=100M", "Trash", 100 * M, 0, 0, false, false },
	{ "Trash:storage=-5M", "Trash", -5 * M, 0, 0, false, false },
	{ "Trash:storage=+10%", "Trash", 0, 0, 10, false, false },
	{ "inbox:messages=+10", "INBOX", 0, 10, 0, false, false },
	{ "SPAM:ignore", "SPAM", 0, 0, 0, false, true },
	{ "*:backend=1000S,20C", "*", 1000, 20, 0, true, false },
	{ "*:backend=NOQUOTA", "*", 0, 0, 0, true, false },
};

static const char *const rules_bad[] = {
	"storage=1G", ":storage=1", "*:storage=+1G", "*:storage=10%", "*:storage=-1",
	"*:storage=1X", "*:storage=abc", "*:foo=1", "*:storage=", "*:storage",
	"*:storage=99999999999999999999", "*:storage=9000000000T", "*:backend=12Q",
	"*:", "Trash:storage=-100%",
};

START_TEST(test_rule_parse)
{
	struct maildir_quota_rule r;
	const char *error;

	for (size_t i = 0; i < sizeof(rules_ok) / sizeof(rules_ok[0]); i++) {
		error = NULL;
		ck_assert_msg(maildir_quota_rule_parse(rules_ok[i].def, &r, &error) == 0, "%s: %s",
			      rules_ok[i].def, error);
		ck_assert_str_eq(r.mailbox, rules_ok[i].mailbox);
		ck_assert_int_eq(r.bytes, rules_ok[i].bytes);
		ck_assert_int_eq(r.count, rules_ok[i].count);
		ck_assert_int_eq(r.bytes_percent, rules_ok[i].bytes_pct);
		ck_assert(r.force == rules_ok[i].force);
		ck_assert(r.ignore == rules_ok[i].ignore);
		ck_assert(r.is_default == (r.mailbox[0] == '*' || r.mailbox[0] == '?'));
	}
	for (size_t i = 0; i < sizeof(rules_bad) / sizeof(rules_bad[0]); i++) {
		error = NULL;
		ck_assert_msg(maildir_quota_rule_parse(rules_bad[i], &r, &error) == -1, "%s",
			      rules_bad[i]);
		ck_assert_ptr_nonnull(error);
	}
}
END_TEST

START_TEST(test_grace_parse)
{
	int64_t b;
	int pct;

	ck_assert_int_eq(maildir_quota_grace_parse(NULL, &b, &pct), 0);
	ck_assert(b == 0 && pct == 10);
	ck_assert_int_eq(maildir_quota_grace_parse("10M", &b, &pct), 0);
	ck_assert(b == 10 * M && pct == 0);
	ck_assert_int_eq(maildir_quota_grace_parse("0", &b, &pct), 0);
	ck_assert(b == 0 && pct == 0);
	ck_assert_int_eq(maildir_quota_grace_parse("abc", &b, &pct), -1);
	ck_assert_int_eq(maildir_quota_grace_parse("-5", &b, &pct), -1);
	ck_assert_int_eq(maildir_quota_grace_parse("5Q", &b, &pct), -1);
}
END_TEST

static char root_buf[1024];

static const char *root(void)
{
	snprintf(root_buf, sizeof(root_buf), "%s/Maildir", fx_dir);
	return root_buf;
}

static struct maildir_quota *quota_for(const char *r1, const char *r2, const char *grace)
{
	struct maildir_quota_rule rules[2];
	const char *error;
	int64_t gb;
	int gp;
	size_t n = 0;

	if (r1 != NULL)
		ck_assert_int_eq(maildir_quota_rule_parse(r1, &rules[n++], &error), 0);
	if (r2 != NULL)
		ck_assert_int_eq(maildir_quota_rule_parse(r2, &rules[n++], &error), 0);
	ck_assert_int_eq(maildir_quota_grace_parse(grace, &gb, &gp), 0);
	return maildir_quota_new(root(), rules, n, gb, gp);
}

/* Deliver `len` bytes of LF text (no CR) into folder; returns the result. */
static int put(struct maildir_quota *q, const char *folder, size_t len, struct maildir_target *t)
{
	static char body[4096];
	struct maildir_source src = { .fd = -1, .data = body, .len = len };

	memset(body, 'x', sizeof(body));
	memset(t, 0, sizeof(*t));
	t->root = root();
	t->folder = folder;
	t->quota = q;
	return maildir_deliver(&src, t);
}

static char *size_file(void)
{
	size_t len;

	return fx_read(fx_path("Maildir/maildirsize"), &len);
}

#define ck_file(expect) do { char *f_ = size_file(); ck_assert_str_eq(f_, expect); free(f_); } while (0)

START_TEST(test_create_and_append)
{
	struct maildir_quota *q = quota_for(NULL, NULL, "0");
	struct maildir_quota_usage u;
	struct maildir_err err;
	struct maildir_target t;

	/* no rules and no file: no quota, no file */
	ck_assert_int_eq(put(q, NULL, 100, &t), 0);
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 0);
	ck_assert_int_eq(access(fx_path("Maildir/maildirsize"), F_OK), -1);
	maildir_quota_free(&q);
	ck_assert_ptr_null(q);
	maildir_quota_free(&q);

	/* a "*" rule: the file is created by recounting all folders */
	q = quota_for("*:storage=1M", NULL, "0");
	ck_assert_int_eq(put(q, "Sent", 50, &t), 0); /* check recounts, add appends */
	ck_file("1048576S\n100 1\n50 1\n");
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_assert_uint_eq(u.bytes, 150);
	ck_assert_uint_eq(u.count, 2);
	ck_assert_uint_eq(u.bytes_limit, M);
	ck_assert_uint_eq(u.count_limit, 0);
	ck_assert(u.enforced);
	ck_assert_int_eq(maildir_quota_add(q, "Sent", -50, -1, &err), 0);
	ck_assert_int_eq(maildir_quota_add(q, "Sent", 0, 0, &err), 0);
	ck_file("1048576S\n100 1\n50 1\n-50 -1\n");
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_assert_uint_eq(u.bytes, 100);
	maildir_quota_free(&q);

	/* changed "*" limits rewrite the header (and recount) */
	q = quota_for("*:messages=10", NULL, "0");
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_file("10C\n150 2\n");
	maildir_quota_free(&q);
	q = quota_for("*:storage=0", NULL, "0");
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_file("0S\n150 2\n");
	ck_assert(!u.enforced);
	maildir_quota_free(&q);
	q = quota_for("*:bytes=7:messages=9", NULL, "0");
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_file("7S,9C\n150 2\n");
	maildir_quota_free(&q);
}
END_TEST

/* Without a "*" rule the file's limits are used, even over a "?" rule. */
START_TEST(test_limits_from_file)
{
	struct maildir_quota *q;
	struct maildir_quota_usage u;
	struct maildir_err err;

	ck_assert_int_ge(maildir_create(root(), &err), 0);
	fx_write(fx_path("Maildir/maildirsize"), "5000S,7C\n10 1\n");
	q = quota_for(NULL, NULL, "0");
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_assert(u.bytes_limit == 5000 && u.count_limit == 7 && u.bytes == 10 && u.count == 1);
	maildir_quota_free(&q);
	q = quota_for("?:storage=1", NULL, "0");
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_assert_uint_eq(u.bytes_limit, 5000);
	ck_assert_int_eq(unlink(fx_path("Maildir/maildirsize")), 0);
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1); /* "?" used, file rebuilt */
	ck_assert_uint_eq(u.bytes_limit, 1024);
	ck_assert_uint_eq(u.bytes, 0);
	ck_file("1024S\n0 0\n");
	maildir_quota_free(&q);
}
END_TEST

/* Files that must be recounted instead of trusted. */
START_TEST(test_recalc_triggers)
{
	static const char *const bad[] = {
		"1000S\n5 x\n", "1000S\n-100 -1\n", "1000S\n5\n", "\n", "",
		"1000S\n999 1\n5 1\n",  /* over quota with more than one delta line */
	};
	struct maildir_quota *q = quota_for("*:bytes=1000", NULL, "0");
	struct maildir_quota_usage u;
	struct maildir_err err;
	struct maildir_target t;
	char big[6000] = "1000S\n";
	struct utimbuf old = { time(NULL) - 16 * 60, time(NULL) - 16 * 60 };

	ck_assert_int_eq(put(q, NULL, 300, &t), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fx_write(fx_path("Maildir/maildirsize"), bad[i]);
		ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
		ck_assert_uint_eq(u.bytes, 300);
		ck_file("1000S\n300 1\n");
	}
	/* a NUL byte */
	int fd = open(fx_path("Maildir/maildirsize"), O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "1000S\n3\0 1\n", 11), 11);
	close(fd);
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_file("1000S\n300 1\n");
	/* >= 5120 bytes: recounted although the sum is right */
	while (strlen(big) < 5120)
		strcat(big, "0 0\n");
	memcpy(big + 6, "300 1\n", 6);
	fx_write(fx_path("Maildir/maildirsize"), big);
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_file("1000S\n300 1\n");
	/* an unfinished last line is ignored */
	fx_write(fx_path("Maildir/maildirsize"), "1000S\n300 1\n5");
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_assert_uint_eq(u.bytes, 300);
	ck_file("1000S\n300 1\n5");
	/* over quota in one line: trusted while fresh, recounted when stale */
	fx_write(fx_path("Maildir/maildirsize"), "1000S\n2000 1\n");
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_assert_uint_eq(u.bytes, 2000);
	ck_assert_int_eq(utime(fx_path("Maildir/maildirsize"), &old), 0);
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_assert_uint_eq(u.bytes, 300);
	/* under quota and old: trusted */
	fx_write(fx_path("Maildir/maildirsize"), "1000S\n10 1\n");
	ck_assert_int_eq(utime(fx_path("Maildir/maildirsize"), &old), 0);
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_assert_uint_eq(u.bytes, 10);
	/* recount uses ,S= and falls back to stat() for foreign names */
	fx_write(fx_path("Maildir/.Trash/cur/1.V1I1M1.other:2,S"), "12345");
	fx_write(fx_path("Maildir/.Trash/cur/2.M1P1.h,S=77:2,S"), "1");
	ck_assert_int_eq(unlink(fx_path("Maildir/maildirsize")), 0);
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_assert_uint_eq(u.bytes, 300 + 5 + 77);
	ck_assert_uint_eq(u.count, 3);
	maildir_quota_free(&q);
}
END_TEST

START_TEST(test_over_quota)
{
	struct maildir_quota *q = quota_for("*:bytes=100", NULL, "0");
	struct maildir_err err;
	struct maildir_target t;

	ck_assert_int_eq(put(q, NULL, 60, &t), 0);
	ck_assert_int_eq(put(q, NULL, 60, &t), -1);
	ck_assert_int_eq(t.err_r.kind, MAILDIR_FAIL_QUOTA);
	ck_assert_str_eq(t.name_r, "");
	ck_assert_int_eq(fx_count(fx_path("Maildir/new")), 1);
	ck_assert_int_eq(fx_count(fx_path("Maildir/tmp")), 0);
	ck_file("100S\n0 0\n60 1\n");
	ck_assert_int_eq(put(q, NULL, 40, &t), 0); /* exactly at the limit */
	ck_assert_int_eq(maildir_quota_check(q, NULL, 0, &err), 1); /* at, not over */
	ck_assert_int_eq(put(q, NULL, 1, &t), -1);
	ck_assert_int_eq(t.err_r.kind, MAILDIR_FAIL_QUOTA);
	/* an over-quota delta file is recounted (the files say 100 bytes) */
	ck_assert_int_eq(maildir_quota_add(q, NULL, 1, 1, &err), 0);
	ck_assert_int_eq(maildir_quota_check(q, NULL, 0, &err), 1);
	ck_file("100S\n100 2\n");
	/* a fresh single-line file is trusted: RCPT-time check says over */
	fx_write(fx_path("Maildir/maildirsize"), "100S\n101 2\n");
	ck_assert_int_eq(maildir_quota_check(q, NULL, 0, &err), 0);
	ck_assert_int_eq(err.kind, MAILDIR_FAIL_QUOTA);
	maildir_quota_free(&q);
}
END_TEST

START_TEST(test_grace_and_count)
{
	struct maildir_quota *q = quota_for("*:bytes=100:messages=3", NULL, "10%");
	struct maildir_err err;
	struct maildir_target t;

	ck_assert_int_eq(put(q, NULL, 95, &t), 0);
	ck_assert_int_eq(put(q, NULL, 16, &t), -1); /* 111 > 100 + 10 */
	ck_assert_int_eq(put(q, NULL, 15, &t), 0);  /* 110: the last mail may pass */
	ck_assert_int_eq(maildir_quota_check(q, NULL, 1, &err), 0); /* already over */
	maildir_quota_free(&q);
	q = quota_for("*:messages=3", NULL, "10%");
	ck_assert_int_eq(put(q, NULL, 1, &t), 0);
	ck_assert_int_eq(put(q, NULL, 1, &t), -1);
	ck_assert_int_eq(t.err_r.kind, MAILDIR_FAIL_QUOTA);
	ck_assert_int_eq(fx_count(fx_path("Maildir/new")), 3);
	maildir_quota_free(&q);
}
END_TEST

START_TEST(test_folder_rules)
{
	struct maildir_quota *q = quota_for("*:bytes=100", "Trash:bytes=+50", "0");
	struct maildir_quota_usage u;
	struct maildir_err err;
	struct maildir_target t;

	ck_assert_int_eq(put(q, NULL, 90, &t), 0);
	ck_assert_int_eq(put(q, NULL, 20, &t), -1);
	ck_assert_int_eq(put(q, "Trash", 20, &t), 0);
	maildir_quota_free(&q);
	q = quota_for("*:bytes=100", "Junk:ignore", "0");
	ck_assert_int_eq(unlink(fx_path("Maildir/maildirsize")), 0);
	ck_assert_int_eq(put(q, "Junk", 500, &t), 0); /* ignored: always fits */
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_assert_uint_eq(u.bytes, 110); /* Junk not counted */
	ck_assert_int_eq(maildir_quota_add(q, "Junk", 5, 1, &err), 0);
	ck_file("100S\n110 2\n");
	maildir_quota_free(&q);
	q = quota_for("*:bytes=100", "Trash:storage=+100%", "0");
	ck_assert_int_eq(put(q, "Trash", 85, &t), 0); /* 195 <= 200 */
	maildir_quota_free(&q);
}
END_TEST

/* Two processes append 200 deltas each: no line is torn or lost. */
START_TEST(test_concurrent_append)
{
	struct maildir_quota *q = quota_for("*:bytes=1G", NULL, "0");
	struct maildir_quota_usage u;
	struct maildir_err err;
	pid_t pids[2];
	int status, lines = 0;
	char *f, *line, *save;

	ck_assert_int_ge(maildir_create(root(), &err), 0);
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	for (int p = 0; p < 2; p++) {
		pids[p] = fork();
		ck_assert_int_ge(pids[p], 0);
		if (pids[p] == 0) {
			for (int i = 0; i < 200; i++) {
				if (maildir_quota_add(q, NULL, 1000 + p, 1, &err) < 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (int p = 0; p < 2; p++) {
		ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	f = size_file();
	for (line = strtok_r(f, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (lines++ < 2)
			continue;
		ck_assert_msg(strcmp(line, "1000 1") == 0 || strcmp(line, "1001 1") == 0, "%s", line);
	}
	ck_assert_int_eq(lines, 402);
	free(f);
	maildir_quota_free(&q);
}
END_TEST

/* In one batch, a later target sees the earlier targets' bytes. */
START_TEST(test_batch_quota)
{
	struct maildir_quota *q = quota_for("*:bytes=100", NULL, "0");
	char body[60];
	struct maildir_source src = { .fd = -1, .data = body, .len = sizeof(body) };
	struct maildir_target t[3] = {
		{ .root = root(), .quota = q }, { .root = root(), .folder = "Sent", .quota = q },
		{ .root = root(), .folder = "../x", .quota = q },
	};
	struct maildir_quota_usage u;
	struct maildir_err err;

	memset(body, 'y', sizeof(body));
	ck_assert_int_eq(maildir_deliver_many(&src, t, 3), -1);
	ck_assert_int_eq(t[0].err_r.kind, MAILDIR_FAIL_NONE);
	ck_assert_int_eq(t[1].err_r.kind, MAILDIR_FAIL_QUOTA);
	ck_assert_int_eq(t[2].err_r.kind, MAILDIR_FAIL_PERM);
	ck_assert_int_eq(fx_count(fx_path("Maildir/.Sent/tmp")), 0);
	ck_assert_int_eq(fx_count(fx_path("Maildir/.Sent/new")), 0);
	ck_assert_int_eq(maildir_quota_usage(q, &u, &err), 1);
	ck_assert_uint_eq(u.bytes, 60);
	ck_assert_int_eq(maildir_quota_check(q, NULL, 40, &err), 1); /* nothing left pending */
	maildir_quota_free(&q);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("maildir_quota");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rule_parse);
	tcase_add_test(tc, test_grace_parse);
	tcase_add_test(tc, test_create_and_append);
	tcase_add_test(tc, test_limits_from_file);
	tcase_add_test(tc, test_recalc_triggers);
	tcase_add_test(tc, test_over_quota);
	tcase_add_test(tc, test_batch_quota);
	tcase_add_test(tc, test_grace_and_count);
	tcase_add_test(tc, test_folder_rules);
	tcase_add_test(tc, test_concurrent_append);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
