/* test_passwd_file: Dovecot passwd-file lines, good and malformed (table),
 * extra fields and the userdb_ prefix, whole files with comments and
 * duplicates, every truncation of a fixture, and random garbage. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "passwd_file.h"

struct lcase {
	const char *line;
	int ret;
	const char *user, *password, *home, *mail, *quota;
	long uid, gid;
	size_t extras;
};

static const struct lcase lines[] = {
	{ "u@d:{PLAIN}x", 0, "u@d", "{PLAIN}x", "", "", "", -1, -1, 0 },
	{ "u@d", 0, "u@d", "", "", "", "", -1, -1, 0 },
	{ "U@D.ORG:pw:1:2", 0, "u@d.org", "pw", "", "", "", 1, 2, 0 },
	{ "u:pw:1:2:gecos:/home/u:/bin/sh", 0, "u", "pw", "/home/u", "", "", 1, 2, 0 },
	{ "u:pw:::::", 0, "u", "pw", "", "", "", -1, -1, 0 },
	{ "u:pw:0:0::/h::userdb_mail=maildir:~/M userdb_quota_rule=*:storage=1G", 0, "u", "pw",
	  "/h", "maildir:~/M", "*:storage=1G", 0, 0, 0 },
	{ "u:pw:::::: mail=mbox:~/mail quota_rule=*:bytes=10", 0, "u", "pw", "", "mbox:~/mail",
	  "*:bytes=10", -1, -1, 0 },
	{ "u:pw:::::: userdb_home=/x userdb_uid=7 userdb_gid=8", 0, "u", "pw", "/x", "", "", 7, 8,
	  0 },
	{ "u:pw:1:2::/h:: userdb_home=/x userdb_uid=7", 0, "u", "pw", "/x", "", "", 7, 2, 0 },
	{ "u:pw:::::: allow_nets=10.0.0.0/8 Userdb_Foo=Bar", 0, "u", "pw", "", "", "", -1, -1, 2 },
	{ "u:pw:root:root", 0, "u", "pw", "", "", "", 0, 0, 0 },
	{ "u:$6$salt$hash", 0, "u", "$6$salt$hash", "", "", "", -1, -1, 0 },
	/* malformed */
	{ "", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0 },
	{ ":pw", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0 },
	{ "a user:pw", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0 },
	{ "u:pw:x1", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0 },
	{ "u:pw:1x", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0 },
	{ "u:pw:-1", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0 },
	{ "u:pw:99999999999999999999", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0 },
	{ "u:pw:1:no-such-group-tern-xyz", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0 },
	{ "u:pw:::::: =x", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0 },
	{ "u:pw:::::: userdb_=x", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0 },
	{ "u:pw:::::: uid=nosuchuser-tern-xyz", -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0 },
};

START_TEST(test_lines)
{
	const struct lcase *c = &lines[_i];
	struct dir_user *u = malloc(sizeof(*u));
	const char *why = NULL;
	int r = passwd_file_parse_line(c->line, strlen(c->line), u, &why);

	ck_assert_msg(r == c->ret, "line %d (%s): got %d (%s)", _i, c->line, r, why ? why : "");
	if (r == 0) {
		ck_assert_str_eq(u->user, c->user);
		ck_assert_str_eq(u->password, c->password);
		ck_assert_str_eq(u->home, c->home);
		ck_assert_str_eq(u->mail, c->mail);
		ck_assert_str_eq(u->quota_rule, c->quota);
		ck_assert_int_eq(u->uid, c->uid);
		ck_assert_int_eq(u->gid, c->gid);
		ck_assert_uint_eq(u->extra_count, c->extras);
	} else {
		ck_assert_ptr_nonnull(why);
	}
	free(u);
}
END_TEST

START_TEST(test_flags_and_extras)
{
	struct dir_user *u = malloc(sizeof(*u));
	const char *why = NULL;
	const char *l1 = "u:p:::::: nopassword nologin=y NODELAY=yes allow_nets=1.2.3.4 userdb_X=Y";
	const char *l2 = "u:p:::::: nopassword=no nologin=0 nodelay=false";

	ck_assert_int_eq(passwd_file_parse_line(l1, strlen(l1), u, &why), 0);
	ck_assert(u->nopassword && u->nologin && u->nodelay);
	ck_assert_uint_eq(u->extra_count, 2);
	ck_assert_str_eq(u->extra[0], "allow_nets=1.2.3.4");
	ck_assert_str_eq(u->extra[1], "x=Y");
	ck_assert_int_eq(passwd_file_parse_line(l2, strlen(l2), u, &why), 0);
	ck_assert(!u->nopassword && !u->nologin && !u->nodelay);
	free(u);
}
END_TEST

/* Fields that do not fit are errors, never silently cut. */
START_TEST(test_limits)
{
	struct dir_user *u = malloc(sizeof(*u));
	char *line = malloc(20000);
	const char *why = NULL;
	size_t n;

	memset(line, 'a', DIR_MAX_ADDRESS);
	strcpy(line + DIR_MAX_ADDRESS, ":pw");
	ck_assert_int_eq(passwd_file_parse_line(line, strlen(line), u, &why), 0);
	memset(line, 'a', DIR_MAX_ADDRESS + 1);
	strcpy(line + DIR_MAX_ADDRESS + 1, ":pw");
	ck_assert_int_eq(passwd_file_parse_line(line, strlen(line), u, &why), -1);
	ck_assert_str_eq(why, "bad-user-name");
	strcpy(line, "u:");
	memset(line + 2, 'p', sizeof(u->password) - 1);
	line[2 + sizeof(u->password) - 1] = '\0';
	ck_assert_int_eq(passwd_file_parse_line(line, strlen(line), u, &why), 0);
	strcat(line, "p");
	ck_assert_int_eq(passwd_file_parse_line(line, strlen(line), u, &why), -1);
	ck_assert_str_eq(why, "password-too-long");
	strcpy(line, "u:p::::::");
	for (int i = 0; i < DIR_MAX_EXTRA; i++)
		strcat(line, " k=v");
	ck_assert_int_eq(passwd_file_parse_line(line, strlen(line), u, &why), 0);
	ck_assert_uint_eq(u->extra_count, DIR_MAX_EXTRA);
	strcat(line, " one=more");
	ck_assert_int_eq(passwd_file_parse_line(line, strlen(line), u, &why), -1);
	ck_assert_str_eq(why, "too-many-extra-fields");
	strcpy(line, "u:p:::::: k=");
	n = strlen(line);
	memset(line + n, 'v', 300);
	line[n + 300] = '\0';
	ck_assert_int_eq(passwd_file_parse_line(line, strlen(line), u, &why), -1);
	ck_assert_str_eq(why, "extra-field-too-long");
	ck_assert_int_eq(passwd_file_parse_line("u\0:p", 4, u, &why), -1);
	ck_assert_str_eq(why, "nul-byte");
	free(line);
	free(u);
}
END_TEST

static const char fixture[] =
	"# users\n"
	"   # indented comment\n"
	"\n"
	"alice@a.org:{PLAIN}a:1:1::/home/a::userdb_quota_rule=*:storage=1G\r\n"
	"bad line\n"
	"BOB@a.org:b\n"
	"alice@a.org:second\n"
	"carol@a.org:c:::::: nologin";

static bool collect(const char *user, void *ctx)
{
	size_t *n = ctx;

	ck_assert(strcmp(user, "alice@a.org") == 0 || strcmp(user, "bob@a.org") == 0 ||
		  strcmp(user, "carol@a.org") == 0);
	++*n;
	return true;
}

START_TEST(test_file)
{
	struct passwd_file *pf = passwd_file_parse(fixture, strlen(fixture), "fixture");
	struct dir_user *u = malloc(sizeof(*u));
	size_t n = 0;

	ck_assert_uint_eq(passwd_file_count(pf), 3);
	ck_assert_int_eq(passwd_file_lookup(pf, "alice@a.org", u), DIR_FOUND);
	ck_assert_str_eq(u->user, "alice@a.org");
	ck_assert_str_eq(u->password, "{PLAIN}a");
	ck_assert_str_eq(u->quota_rule, "*:storage=1G");
	ck_assert_str_eq(u->home, "/home/a");
	ck_assert_int_eq(passwd_file_lookup(pf, "bob@a.org", u), DIR_FOUND);
	ck_assert_str_eq(u->password, "b");
	ck_assert_int_eq(passwd_file_lookup(pf, "BOB@a.org", u), DIR_NOTFOUND); /* caller folds */
	ck_assert_int_eq(passwd_file_lookup(pf, "carol@a.org", u), DIR_FOUND);
	ck_assert(u->nologin);
	ck_assert(passwd_file_exists(pf, "carol@a.org"));
	ck_assert(!passwd_file_exists(pf, "bad line"));
	ck_assert(passwd_file_iterate(pf, collect, &n));
	ck_assert_uint_eq(n, 3);
	passwd_file_free(&pf);
	ck_assert_ptr_null(pf);
	free(u);
}
END_TEST

START_TEST(test_truncations)
{
	size_t n = strlen(fixture);

	for (size_t len = 0; len <= n; len++) {
		char *copy = malloc(len ? len : 1); /* exact size: ASan catches overreads */
		struct passwd_file *pf;

		memcpy(copy, fixture, len);
		pf = passwd_file_parse(copy, len, "t");
		ck_assert_ptr_nonnull(pf);
		ck_assert_uint_le(passwd_file_count(pf), 3);
		passwd_file_free(&pf);
		free(copy);
	}
}
END_TEST

START_TEST(test_garbage)
{
	unsigned char buf[2048];
	unsigned seed = 777;

	for (int round = 0; round < 300; round++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));
		struct passwd_file *pf;

		for (size_t i = 0; i < len; i++) {
			static const char special[] = ":\n =#\t\0u";
			unsigned r = (unsigned)rand_r(&seed);

			buf[i] = (r & 1) ? (unsigned char)special[(r >> 1) % 8] : (unsigned char)(r >> 8);
		}
		pf = passwd_file_parse((const char *)buf, len, "t");
		ck_assert_ptr_nonnull(pf);
		passwd_file_free(&pf);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("passwd_file");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	log_close(); /* warnings are expected; keep the output quiet */
	tcase_add_loop_test(tc, test_lines, 0, (int)(sizeof(lines) / sizeof(lines[0])));
	tcase_add_test(tc, test_flags_and_extras);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_truncations);
	tcase_add_test(tc, test_garbage);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
