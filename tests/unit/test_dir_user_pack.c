/* Unit tests for authd/dir_user_pack: round trips of full and empty users
 * and rejection of truncated, garbage and oversized packed forms. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dir_user_pack.h"

static void fill(struct dir_user *u)
{
	memset(u, 0, sizeof(*u));
	strcpy(u->user, "alice@example.test");
	strcpy(u->password, "{SHA512-CRYPT}$6$x$y");
	strcpy(u->scheme_default, "MD5-CRYPT");
	u->uid = 5000;
	u->gid = -1;
	strcpy(u->home, "/var/vmail/example.test/alice");
	strcpy(u->mail, "maildir:~/Maildir");
	strcpy(u->quota_rule, "*:bytes=1000");
	u->nologin = true;
	u->nodelay = true;
	strcpy(u->allow_nets, "192.0.2.0/24");
	u->extra_count = 2;
	strcpy(u->extra[0], "proxy=y");
	strcpy(u->extra[1], "host=10.0.0.1");
}

START_TEST(round_trip)
{
	struct dir_user u, v;
	fill(&u);
	struct buf b;
	buf_init(&b, 0);
	dir_user_pack(&u, &b);
	ck_assert_uint_lt(b.len, 300); /* compact: not the 6 KB struct */
	ck_assert_int_eq(dir_user_unpack(b.data, b.len, &v), 0);
	ck_assert_str_eq(v.user, u.user);
	ck_assert_str_eq(v.password, u.password);
	ck_assert_str_eq(v.scheme_default, u.scheme_default);
	ck_assert_int_eq(v.uid, 5000);
	ck_assert_int_eq(v.gid, -1);
	ck_assert_str_eq(v.home, u.home);
	ck_assert_str_eq(v.mail, u.mail);
	ck_assert_str_eq(v.quota_rule, u.quota_rule);
	ck_assert(!v.nopassword && v.nologin && v.nodelay);
	ck_assert_str_eq(v.allow_nets, u.allow_nets);
	ck_assert_uint_eq(v.extra_count, 2);
	ck_assert_str_eq(v.extra[1], "host=10.0.0.1");
	/* every truncation is rejected */
	for (size_t len = 0; len < b.len; len++)
		ck_assert_int_eq(dir_user_unpack(b.data, len, &v), -1);
	buf_free(&b);
}
END_TEST

START_TEST(malformed)
{
	struct dir_user v;
	static const char bad1[] = "U2\0" "1\0" "1\0" "000\0";
	ck_assert_int_eq(dir_user_unpack(bad1, sizeof(bad1), &v), -1);
	ck_assert_int_eq(dir_user_unpack("garbage", 7, &v), -1);
	ck_assert_int_eq(dir_user_unpack("", 0, &v), -1);
	/* an extra count past the struct's room */
	struct dir_user u;
	fill(&u);
	u.extra_count = 0;
	struct buf b;
	buf_init(&b, 0);
	dir_user_pack(&u, &b);
	char *copy = malloc(b.len + 8);
	memcpy(copy, b.data, b.len);
	memcpy(copy + b.len - 2, "99", 3); /* "0\0" -> "99\0" */
	ck_assert_int_eq(dir_user_unpack(copy, b.len + 1, &v), -1);
	/* a field longer than its slot */
	struct buf big;
	buf_init(&big, 0);
	static const char head[] = "U1\0" "1\0" "1\0" "000\0";
	buf_append(&big, head, sizeof(head) - 1);
	for (int i = 0; i < 400; i++)
		buf_append_char(&big, 'a');
	buf_append_char(&big, '\0');
	ck_assert_int_eq(dir_user_unpack(big.data, big.len, &v), -1);
	free(copy);
	buf_free(&b);
	buf_free(&big);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dir_user_pack");
	TCase *tc = tcase_create("pack");
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, malformed);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
