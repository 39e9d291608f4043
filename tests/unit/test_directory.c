/* test_directory: the embedded directory's single-level lookups over
 * fixture files (directory_fixture.h): users with and without ids, extra
 * fields, malformed lines, domains, aliases, alias domains, hostile keys,
 * reload and refresh, missing files, bad settings. Resolution has its own
 * test (test_resolve.c); the parsers too (test_passwd_file.c,
 * test_texthash.c). */
#include "directory_fixture.h"

START_TEST(test_user)
{
	struct directory *dir = open_dir("");
	struct dir_user *u = malloc(sizeof(*u));

	ck_assert_int_eq(directory_user(dir, "alice@example.org", u), DIR_FOUND);
	ck_assert_str_eq(u->user, "alice@example.org");
	ck_assert_str_eq(u->password, "{PLAIN}secret");
	ck_assert_str_eq(u->scheme_default, "PLAIN");
	ck_assert_int_eq(u->uid, 1000);
	ck_assert_int_eq(u->gid, 1001);
	ck_assert_str_eq(u->home, "/home/alice");
	ck_assert_str_eq(u->mail, "maildir:/m/alice");
	ck_assert_str_eq(u->quota_rule, "*:storage=1G");
	ck_assert(u->nodelay && !u->nologin && !u->nopassword);
	ck_assert_uint_eq(u->extra_count, 1);
	ck_assert_str_eq(u->extra[0], "allow_nets=127.0.0.1/32");
	/* defaults from mail_home, mail_location, mail_uid, mail_gid */
	ck_assert_int_eq(directory_user(dir, "BOB@example.ORG", u), DIR_FOUND);
	ck_assert_str_eq(u->user, "bob@example.org");
	ck_assert_str_eq(u->home, "/var/vmail/example.org/bob");
	ck_assert_str_eq(u->mail, "maildir:~/Maildir");
	ck_assert_int_eq(u->uid, 5000);
	ck_assert_int_eq(u->gid, 5001);
	ck_assert_uint_eq(u->extra_count, 0);
	ck_assert_int_eq(directory_user(dir, "carol@example.org", u), DIR_FOUND);
	ck_assert_str_eq(u->password, "pw"); /* CRLF line end stripped */
	ck_assert_int_eq(directory_user(dir, "dave@example.org", u), DIR_FOUND);
	ck_assert(u->nologin && u->nopassword && !u->nodelay);
	ck_assert_int_eq(directory_user(dir, "root@example.org", u), DIR_FOUND);
	ck_assert_int_eq(u->uid, 0);
	ck_assert_int_eq(u->gid, 0);
	/* skipped lines: unknown uid name, duplicate keeps the first */
	ck_assert_int_eq(directory_user(dir, "eve@example.org", u), DIR_NOTFOUND);
	ck_assert_int_eq(directory_user(dir, "alice@example.org", u), DIR_FOUND);
	ck_assert_str_eq(u->password, "{PLAIN}secret");
	ck_assert_int_eq(directory_user(dir, "nobody@example.org", u), DIR_NOTFOUND);
	ck_assert_int_eq(directory_user(dir, "", u), DIR_NOTFOUND);
	ck_assert_int_eq(u->uid, -1);
	free(u);
	directory_free(&dir);
	ck_assert_ptr_null(dir);
}
END_TEST

START_TEST(test_malformed_lines_logged)
{
	struct directory *dir = open_dir("");
	const char *log = read_log();
	char want[160];

	/* passwd lines 7-9 malformed, 10 a duplicate; aliases 16 and 17 */
	static const int lines[] = { 7, 8, 9 };

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(want, sizeof(want), "at=%s/passwd:%d reason=", tmpdir, lines[i]);
		ck_assert_msg(strstr(log, want), "missing %s in %s", want, log);
	}
	snprintf(want, sizeof(want), "at=%s/passwd:10 reason=duplicate-user", tmpdir);
	ck_assert_msg(strstr(log, want), "missing %s", want);
	snprintf(want, sizeof(want), "at=%s/aliases:16 reason=expected-key", tmpdir);
	ck_assert_msg(strstr(log, want), "missing %s", want);
	snprintf(want, sizeof(want), "at=%s/aliases:17 reason=duplicate-key", tmpdir);
	ck_assert_msg(strstr(log, want), "missing %s", want);
	directory_free(&dir);
}
END_TEST

static bool count_cb(const char *user, void *ctx)
{
	(void)user;
	return ++*(size_t *)ctx < 1000;
}

static bool stop_cb(const char *user, void *ctx)
{
	(void)user;
	++*(size_t *)ctx;
	return false;
}

START_TEST(test_iterate)
{
	struct directory *dir = open_dir("");
	size_t n = 0;

	ck_assert_int_eq(directory_iterate_users(dir, count_cb, &n), DIR_FOUND);
	ck_assert_uint_eq(n, 7);
	n = 0;
	ck_assert_int_eq(directory_iterate_users(dir, stop_cb, &n), DIR_FOUND);
	ck_assert_uint_eq(n, 1);
	directory_free(&dir);
}
END_TEST

START_TEST(test_domains)
{
	struct directory *dir = open_dir("");
	char target[DIR_MAX_ADDRESS + 1];

	ck_assert_int_eq(directory_domain(dir, "example.org"), DIR_FOUND);
	ck_assert_int_eq(directory_domain(dir, "EXAMPLE.org"), DIR_FOUND);
	ck_assert_int_eq(directory_domain(dir, "example.net"), DIR_FOUND);
	ck_assert_int_eq(directory_domain(dir, "example.com"), DIR_FOUND);
	ck_assert_int_eq(directory_domain(dir, "other.test"), DIR_FOUND);
	ck_assert_int_eq(directory_domain(dir, "third.test"), DIR_FOUND);
	ck_assert_int_eq(directory_domain(dir, "keys.test"), DIR_FOUND);
	ck_assert_int_eq(directory_domain(dir, "bare.test"), DIR_FOUND);
	ck_assert_int_eq(directory_domain(dir, "alias.test"), DIR_FOUND);
	ck_assert_int_eq(directory_domain(dir, "gmail.com"), DIR_NOTFOUND);
	ck_assert_int_eq(directory_domain(dir, "comment"), DIR_NOTFOUND);
	ck_assert_int_eq(directory_domain(dir, "# comment"), DIR_NOTFOUND);
	ck_assert_int_eq(directory_domain(dir, ""), DIR_NOTFOUND);
	ck_assert_int_eq(directory_alias_domain(dir, "Alias.Test", target), DIR_FOUND);
	ck_assert_str_eq(target, "example.org");
	ck_assert_int_eq(directory_alias_domain(dir, "at.test", target), DIR_FOUND);
	ck_assert_str_eq(target, "example.org");
	ck_assert_int_eq(directory_alias_domain(dir, "example.org", target), DIR_NOTFOUND);
	ck_assert_int_eq(directory_mailbox(dir, "Alice@Example.org"), DIR_FOUND);
	ck_assert_int_eq(directory_mailbox(dir, "sales@example.org"), DIR_NOTFOUND);
	directory_free(&dir);
}
END_TEST

START_TEST(test_alias)
{
	struct directory *dir = open_dir("");
	char out[1024];

	ck_assert_int_eq(directory_alias(dir, "sales@example.org", out, sizeof(out)), DIR_FOUND);
	ck_assert_str_eq(out, "alice@example.org,bob@example.org,carol@example.org");
	ck_assert_int_eq(directory_alias(dir, "SALES@EXAMPLE.ORG", out, sizeof(out)), DIR_FOUND);
	ck_assert_str_eq(out, "alice@example.org,bob@example.org,carol@example.org");
	ck_assert_int_eq(directory_alias(dir, "@example.net", out, sizeof(out)), DIR_FOUND);
	ck_assert_str_eq(out, "alice@example.org");
	ck_assert_int_eq(directory_alias(dir, "weird%\"key\\'@example.org", out, sizeof(out)),
			 DIR_FOUND);
	ck_assert_str_eq(out, "carol@example.org");
	ck_assert_int_eq(directory_alias(dir, "noval@example.org", out, sizeof(out)), DIR_NOTFOUND);
	ck_assert_int_eq(directory_alias(dir, "alice@example.org", out, sizeof(out)), DIR_NOTFOUND);
	ck_assert_str_eq(out, "");
	/* second table */
	ck_assert_int_eq(directory_alias(dir, "c3@example.org", out, sizeof(out)), DIR_FOUND);
	ck_assert_str_eq(out, "c4@example.org");
	/* does not fit: TEMP, never a truncated list */
	ck_assert_int_eq(directory_alias(dir, "sales@example.org", out, 20), DIR_TEMP);
	ck_assert_str_eq(out, "");
	directory_free(&dir);
}
END_TEST

START_TEST(test_hostile_keys)
{
	struct directory *dir = open_dir("");
	char *big = malloc(10241);
	char out[512];
	struct dir_user *u = malloc(sizeof(*u));

	memset(big, 'a', 10240);
	big[10240] = '\0';
	big[5000] = '@';
	ck_assert_int_eq(directory_resolve(dir, big, out, sizeof(out)), DIR_NOTFOUND);
	ck_assert_int_eq(directory_user(dir, big, u), DIR_NOTFOUND);
	ck_assert_int_eq(directory_mailbox(dir, big), DIR_NOTFOUND);
	ck_assert_int_eq(directory_domain(dir, big), DIR_NOTFOUND);
	ck_assert_int_eq(directory_alias(dir, big, out, sizeof(out)), DIR_NOTFOUND);
	ck_assert_int_eq(directory_alias_domain(dir, big, out), DIR_NOTFOUND);
	/* exactly DIR_MAX_ADDRESS is a valid length; one more is not */
	memset(big, 'b', DIR_MAX_ADDRESS);
	memcpy(big + DIR_MAX_ADDRESS - 12, "@example.org", 13);
	ck_assert_int_eq(directory_resolve(dir, big, out, sizeof(out)), DIR_NOTFOUND);
	memcpy(big + DIR_MAX_ADDRESS - 12, "@example.xyz", 13);
	ck_assert_int_eq(directory_resolve(dir, big, out, sizeof(out)), DIR_FOUND);
	ck_assert_str_eq(out, big);
	memcpy(big + DIR_MAX_ADDRESS - 11, "@example.xyz", 13);
	ck_assert_int_eq(directory_resolve(dir, big, out, sizeof(out)), DIR_NOTFOUND);
	ck_assert_int_eq(directory_user(dir, "a'b\"c\\d%s%n@example.org", u), DIR_NOTFOUND);
	ck_assert_int_eq(directory_resolve(dir, "\x01\xff@example.org", out, sizeof(out)),
			 DIR_NOTFOUND);
	free(u);
	free(big);
	directory_free(&dir);
}
END_TEST

static void touch_later(const char *name, const char *text)
{
	char path[256];
	struct timespec ts[2];

	write_file(name, text);
	/* make sure the identity changes even on coarse mtime filesystems */
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec += 10;
	ts[1] = ts[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

START_TEST(test_reload)
{
	struct directory *dir = open_dir("");
	char out[1024], path[256];
	const char *log_text, *p;

	ck_assert_int_eq(directory_alias(dir, "new@example.org", out, sizeof(out)), DIR_NOTFOUND);
	touch_later("aliases", "new@example.org alice@example.org\n");
	ck_assert_int_eq(directory_reload(dir), 0);
	ck_assert_int_eq(directory_alias(dir, "new@example.org", out, sizeof(out)), DIR_FOUND);
	ck_assert_int_eq(directory_alias(dir, "sales@example.org", out, sizeof(out)), DIR_NOTFOUND);
	/* a failed reload keeps the old data */
	snprintf(path, sizeof(path), "%s/aliases", tmpdir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(directory_reload(dir), -1);
	ck_assert_int_eq(directory_alias(dir, "new@example.org", out, sizeof(out)), DIR_FOUND);
	ck_assert_int_eq(directory_reload(dir), -1);
	/* logged once, not once per reload */
	log_text = read_log();
	ck_assert_ptr_nonnull(p = strstr(log_text, "directory-load-failed"));
	ck_assert_ptr_nonnull(strstr(p, "old-data=kept"));
	ck_assert_ptr_null(strstr(p + 1, "directory-load-failed"));
	/* refresh: picks up changes, at most once a second */
	touch_later("passwd", "zed@example.org:pw\n");
	directory_refresh(dir); /* within a second of open: no reload */
	ck_assert_int_eq(directory_mailbox(dir, "zed@example.org"), DIR_NOTFOUND);
	sleep(1);
	usleep(100000);
	directory_refresh(dir);
	ck_assert_int_eq(directory_mailbox(dir, "zed@example.org"), DIR_FOUND);
	ck_assert_int_eq(directory_mailbox(dir, "alice@example.org"), DIR_NOTFOUND);
	directory_free(&dir);
}
END_TEST

START_TEST(test_missing_files)
{
	struct directory *dir;
	struct dir_user *u = malloc(sizeof(*u));
	char out[256], path[256];
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/passwd", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/domains", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/chain", tmpdir);
	unlink(path);
	dir = open_dir("");
	ck_assert_int_eq(directory_user(dir, "alice@example.org", u), DIR_TEMP);
	ck_assert_int_eq(directory_mailbox(dir, "alice@example.org"), DIR_TEMP);
	ck_assert_int_eq(directory_iterate_users(dir, count_cb, &n), DIR_TEMP);
	ck_assert_int_eq(directory_domain(dir, "example.org"), DIR_FOUND); /* literal */
	ck_assert_int_eq(directory_domain(dir, "example.net"), DIR_TEMP);
	/* first alias table answers; the missing second one makes misses TEMP */
	ck_assert_int_eq(directory_alias(dir, "sales@example.org", out, sizeof(out)), DIR_FOUND);
	ck_assert_int_eq(directory_alias(dir, "zzz@example.org", out, sizeof(out)), DIR_TEMP);
	ck_assert_int_eq(directory_resolve(dir, "alice@example.org", out, sizeof(out)), DIR_TEMP);
	ck_assert_str_eq(out, "directory-unavailable");
	ck_assert_int_eq(directory_resolve(dir, "sales@example.org", out, sizeof(out)), DIR_TEMP);
	/* the file appears: the next reload fixes it */
	write_file("passwd", passwd_text);
	ck_assert_int_eq(directory_reload(dir), -1); /* domains and chain still missing */
	ck_assert_int_eq(directory_user(dir, "alice@example.org", u), DIR_FOUND);
	free(u);
	directory_free(&dir);
}
END_TEST

START_TEST(test_open_errors)
{
	static const char *const bad[] = {
		"virtual_alias_maps = mysql:/etc/x.cf\n",
		"virtual_alias_maps = hash:/etc/postfix/virtual\n",
		"virtual_alias_maps = texthash:relative/path\n",
		"alias_domain_maps = ldap:/etc/ldap.cf\n",
		"virtual_mailbox_domains = pgsql:/etc/x.cf\n",
		"virtual_mailbox_domains = user@example.org\n",
		"mail_home = /var/vmail/%z\n",
		"virtual_alias_recursion_limit = 0\n",
	};
	static const char *const needle[] = {
		"/etc/x.cf" /* a mysql: map file that does not exist */, "hash:/etc/postfix/virtual", "texthash:relative/path",
		"ldap:/etc/ldap.cf", "pgsql:/etc/x.cf", "user@example.org", "mail_home",
		"recursion",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";
		struct conf *conf = conf_load_string(bad[i], "t.conf", err, sizeof(err));
		struct directory *dir;

		ck_assert_msg(conf != NULL, "%s", err);
		dir = directory_open(conf, err, sizeof(err));
		ck_assert_msg(dir == NULL, "accepted %s", bad[i]);
		ck_assert_msg(strstr(err, needle[i]), "error %s lacks %s", err, needle[i]);
		conf_free(&conf);
	}
}
END_TEST

START_TEST(test_unknown_mail_uid)
{
	struct directory *dir = open_dir("mail_uid = no-such-user-tern-xyz\n"
					 "mail_gid = no-such-group-tern-xyz\n");
	struct dir_user *u = malloc(sizeof(*u));

	ck_assert_int_eq(directory_user(dir, "bob@example.org", u), DIR_FOUND);
	ck_assert_int_eq(u->uid, -1);
	ck_assert_int_eq(u->gid, -1);
	ck_assert_ptr_nonnull(strstr(read_log(), "mail_uid"));
	free(u);
	directory_free(&dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("directory");
	TCase *tc = tcase_create("files");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_user);
	tcase_add_test(tc, test_malformed_lines_logged);
	tcase_add_test(tc, test_iterate);
	tcase_add_test(tc, test_domains);
	tcase_add_test(tc, test_alias);
	tcase_add_test(tc, test_hostile_keys);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_missing_files);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_unknown_mail_uid);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
