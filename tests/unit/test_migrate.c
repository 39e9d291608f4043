/* test_migrate: "ternctl migrate check" on config trees written into a
 * mkdtemp dir: the PostfixAdmin install of seed 002, the custom-schema one
 * of seed 004, Dovecot includes and nested sections, continuation lines,
 * missing files, garbage, a 1 MB line, include loops and glob fan-out
 * (must end: depth and file limits). Asserts the verdict per setting and
 * that the suggested tern.conf loads. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "migrate.h"

static char root[64], pf[128], dv[128];

static void put(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

#include "migrate_fixture.h"

static void setup(void)
{
	strcpy(root, "/tmp/test_migrate.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(pf, sizeof(pf), "%s/postfix", root);
	snprintf(dv, sizeof(dv), "%s/dovecot", root);
	mkdir(pf, 0700);
	mkdir(dv, 0700);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* The first item whose setting is `setting` (and whose file ends in `file`). */
static const struct mig_item *item(const struct mig_report *r, const char *file,
				   const char *setting)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct mig_item *it = &r->items[i];
		size_t fl = strlen(it->file), l = file ? strlen(file) : 0;
		if (strcmp(it->setting, setting) == 0 && (!file || (fl >= l && strcmp(it->file + fl - l, file) == 0)))
			return it;
	}
	return NULL;
}

#define VERDICT(r, file, setting, v)                                                          \
	do {                                                                                  \
		const struct mig_item *it_ = item(r, file, setting);                          \
		ck_assert_msg(it_ != NULL, "no item for %s", setting);                        \
		ck_assert_msg(it_->verdict == (v), "%s: %s (%s)", setting,                    \
			      mig_verdict_name(it_->verdict), it_->note);                     \
	} while (0)

/* Expected verdicts, table-driven: the first item named so, in any file. */
struct want {
	const char *setting;
	enum mig_verdict verdict;
};

static void verdicts(const struct mig_report *r, const struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		VERDICT(r, NULL, w[i].setting, w[i].verdict);
}

/* Every needle (NULL-terminated list) is in hay. */
static void contains(const char *hay, ...)
{
	va_list ap;
	va_start(ap, hay);
	for (const char *n; (n = va_arg(ap, const char *)) != NULL;)
		ck_assert_msg(strstr(hay, n) != NULL, "no \"%s\" in:\n%s", n, hay);
	va_end(ap);
}

static bool has_item_note(const struct mig_report *r, const char *needle)
{
	for (size_t i = 0; i < r->count; i++)
		if (strstr(r->items[i].note, needle))
			return true;
	return false;
}

static char *snippet_of(const struct mig_report *r)
{
	char *report = NULL, *snip = NULL;
	size_t rl, sl;
	FILE *rf = open_memstream(&report, &rl), *sf = open_memstream(&snip, &sl);
	mig_report_print(r, rf, sf);
	fclose(rf);
	fclose(sf);
	ck_assert_ptr_nonnull(strstr(report, "summary: "));
	free(report);
	return snip;
}

static int check(struct mig_report *r)
{
	mig_report_init(r, pf, dv);
	return mig_check(r);
}

START_TEST(test_seed002)
{
	struct mig_report r;
	write_seed002();
	ck_assert_int_eq(check(&r), 0);
	static const struct want want1[] = {
		{ "myhostname", MIG_SAME }, { "recipient_delimiter", MIG_SAME },
		{ "virtual_mailbox_domains", MIG_SAME }, { "virtual_alias_maps", MIG_SAME },
	};
	verdicts(&r, want1, sizeof(want1) / sizeof(want1[0]));
	/* same when this tern has the key, else attention "not yet" */
	VERDICT(&r, "main.cf", "message_size_limit",
		mig_tern_has("message_size_limit") ? MIG_SAME : MIG_ATTENTION);
	VERDICT(&r, "main.cf", "smtpd_tls_cert_file",
		mig_tern_has("smtpd_tls_cert_file") ? MIG_SAME : MIG_ATTENTION);
	static const struct want want2[] = {
		{ "virtual_transport", MIG_MAPPED }, { "virtual_uid_maps", MIG_MAPPED },
		{ "inet_interfaces", MIG_MAPPED }, { "mynetworks", MIG_IGNORED },
		{ "relayhost", MIG_IGNORED }, { "biff", MIG_IGNORED },
		{ "readme_directory", MIG_IGNORED }, { "mydestination", MIG_ATTENTION },
		{ "smtp", MIG_MAPPED }, { "submission", MIG_MAPPED },
		{ "submission -o smtpd_tls_wrappermode", MIG_IGNORED },
		{ "submission -o syslog_name", MIG_IGNORED },
		{ "submission -o smtpd_sasl_type", MIG_MAPPED }, { "pickup", MIG_IGNORED },
		{ "passdb", MIG_MAPPED }, { "default_pass_scheme", MIG_SAME },
		{ "driver", MIG_SAME }, { "mail_location", MIG_SAME },
		{ "auth_default_realm", MIG_ATTENTION }, { "unix_listener", MIG_MAPPED },
	};
	verdicts(&r, want2, sizeof(want2) / sizeof(want2[0]));
	ck_assert(has_item_note(&r, "proxy: prefix is fine"));
	/* the SQL file is read once, though passdb and userdb both name it */
	ck_assert_uint_eq(r.files_read, 9);
	char *snip = snippet_of(&r);
	contains(snip, "\ndovecot_sql_file = /etc/dovecot/dovecot-sql.conf.ext\n",
		 "\nmail_uid = 2000\n", "\tlisten = smtp inet:*:25\n",
		 "\tlisten = submission inet:*:587\n", "\tlisten = imaps inet:*:993\n", NULL);
	ck_assert_ptr_null(strstr(snip, "pop3"));
	ck_assert_ptr_nonnull(strstr(snip, "\tlisten = client unix:/var/spool/postfix/private/auth "
					   "mode=0660 user=postfix group=postfix\n"));
	ck_assert_ptr_null(strstr(snip, "smtpd_banner"));
	char err[512];
	struct conf *c = conf_load_string(snip, "snippet", err, sizeof(err));
	ck_assert_msg(c != NULL, "snippet does not load: %s\n%s", err, snip);
	conf_free(&c);
	free(snip);
	mig_report_free(&r);
}
END_TEST

START_TEST(test_seed004)
{
	struct mig_report r;
	put("postfix/main.cf",
	    "myhostname = mail.yourdomain.com\nmyorigin = $mydomain\ninet_interfaces = all\n"
	    "virtual_mailbox_domains = mysql:/etc/postfix/mysql-virtual-mailbox-domains.cf\n"
	    "virtual_alias_maps = mysql:/etc/postfix/mysql-virtual-alias-maps.cf\n"
	    "smtpd_sasl_type = dovecot\nbroken_sasl_auth_clients = yes\n"
	    "smtpd_recipient_restrictions =\n    permit_mynetworks,\n    permit_sasl_authenticated,\n"
	    "    reject_unauth_destination,\n    reject_invalid_hostname\n"
	    "smtpd_sender_restrictions =\n    permit_mynetworks,\n    reject_sender_login_mismatch\n"
	    "smtpd_client_connection_count_limit = 10\nsmtpd_client_message_rate_limit = 100\n"
	    "milter_default_action = accept\nsmtpd_milters = inet:127.0.0.1:8891\n"
	    "non_smtpd_milters = $smtpd_milters\nmynetworks = 127.0.0.0/8 192.168.0.0/16\n"
	    "content_filter = amavis:[127.0.0.1]:10024\nvirtual_mailbox_maps = hash:/etc/postfix/vmailbox\n"
	    "transport_maps = hash:/etc/postfix/transport\n");
	put("postfix/master.cf",
	    "submission inet n       -       y       -       -       smtpd\n"
	    "  -o smtpd_tls_security_level=encrypt\n  -o milter_macro_daemon_name=ORIGINATING\n"
	    "smtps     inet  n       -       y       -       -       smtpd\n"
	    "  -o smtpd_tls_wrappermode=yes\n"
	    "dovecot   unix  -       n       n       -       -       pipe\n"
	    "  flags=DRhu user=vmail:vmail argv=/usr/lib/dovecot/deliver -d ${recipient}\n");
	put("dovecot/dovecot.conf", "protocols = imap pop3 lmtp\nlisten = *\n"
		"!include conf.d/*.conf\n");
	put("dovecot/conf.d/10-mail.conf",
	    "mail_location = maildir:/var/mail/vhosts/%d/%n\nmail_privileged_group = mail\n"
	    "namespace inbox {\n  inbox = yes\n  mailbox Drafts {\n    special_use = \\Drafts\n"
	    "    auto = subscribe\n  }\n}\n");
	put("dovecot/conf.d/10-auth.conf", "disable_plaintext_auth = yes\n"
		"auth_mechanisms = plain login cram-md5\n!include auth-sql.conf.ext\n");
	put("dovecot/conf.d/auth-sql.conf.ext",
	    "passdb {\n  driver = sql\n  args = /etc/dovecot/dovecot-sql.conf.ext\n}\n");
	put("dovecot/conf.d/10-master.conf",
	    "service auth {\n  unix_listener auth-userdb {\n    mode = 0600\n    user = vmail\n  }\n}\n");
	put("dovecot/conf.d/10-ssl.conf", "ssl_min_protocol = TLSv1.2\n");
	put("dovecot/dovecot-sql.conf.ext",
	    "driver = mysql\ndefault_pass_scheme = SHA512-CRYPT\n\n"
	    "password_query = \\\n  SELECT email as user, password_hash as password \\\n"
	    "  FROM mail_mailboxes \\\n  WHERE email = '%u'\n\n"
	    "user_query = \\\n  SELECT email as user \\\n  FROM mail_mailboxes\n");
	ck_assert_int_eq(check(&r), 0);
	static const struct want want3[] = {
		{ "smtpd_milters", MIG_ATTENTION }, { "non_smtpd_milters", MIG_ATTENTION },
		{ "milter_default_action", MIG_IGNORED }, { "content_filter", MIG_ATTENTION },
		{ "transport_maps", MIG_ATTENTION }, { "mynetworks", MIG_ATTENTION },
		{ "smtpd_client_connection_count_limit", MIG_ATTENTION },
		{ "smtpd_recipient_restrictions", MIG_MAPPED },
		{ "smtpd_sender_restrictions", MIG_ATTENTION },
		{ "virtual_mailbox_maps", MIG_MAPPED }, { "smtps", MIG_MAPPED },
		{ "smtps -o smtpd_tls_wrappermode", MIG_MAPPED }, { "dovecot", MIG_ATTENTION },
		{ "namespace", MIG_ATTENTION },
	};
	verdicts(&r, want3, sizeof(want3) / sizeof(want3[0]));
	ck_assert_ptr_null(item(&r, NULL, "mailbox Drafts/special_use"));
	static const struct want want4[] = {
		{ "mail_privileged_group", MIG_IGNORED }, { "auth_mechanisms", MIG_ATTENTION },
		{ "disable_plaintext_auth", MIG_MAPPED }, { "ssl_min_protocol", MIG_ATTENTION },
	};
	verdicts(&r, want4, sizeof(want4) / sizeof(want4[0]));
	const struct mig_item *q = item(&r, "dovecot-sql.conf.ext", "user_query");
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(q->line, 9); /* where the continued line starts */
	ck_assert_uint_eq(q->verdict, MIG_SAME);
	ck_assert_ptr_nonnull(strstr(q->value, "SELECT email as user "));
	ck_assert_ptr_nonnull(strstr(q->value, " FROM mail_mailboxes"));
	char *snip = snippet_of(&r);
	contains(snip, "virtual_mailbox_maps = texthash:/etc/postfix/vmailbox\n",
		 "\tlisten = submissions inet:*:465\n", "\tlisten = pop3s inet:*:995\n",
		 "\tlisten = userdb unix:auth-userdb mode=0600 user=vmail\n", NULL);
	ck_assert_ptr_null(strstr(snip, "auth_mechanisms")); /* attention: not carried */
	free(snip);
	mig_report_free(&r);
}
END_TEST

START_TEST(test_dovecot_sections)
{
	struct mig_report r;
	put("postfix/main.cf", "myhostname = h.example\n");
	put("dovecot/dovecot.conf",
	    "# comment\n!include_try nothing-here.conf\n!include missing.conf\n"
	    "!include \"conf.d/*.conf\"\nbogus_setting = 1 # trailing comment\n"
	    "service imap-login {\n  inet_listener imap {\n    port = 0\n  }\n"
	    "  inet_listener imaps {\n    port = 10993\n    ssl = yes\n  }\n  process_limit = 5\n}\n"
	    "protocol lmtp {\n  mail_plugins = $mail_plugins sieve\n}\n"
	    "protocol imap {\n  mail_plugins = $mail_plugins\n}\n"
	    "plugin {\n  sieve = ~/.dovecot.sieve\n  quota = dict:User quota::proxy::quota\n}\n"
	    "this line is garbage\n}\nunclosed {\n");
	put("dovecot/conf.d/auth.conf",
	    "passdb {\n  driver = passwd-file\n  args = scheme=SHA512-CRYPT username_format=%u /etc/dovecot/users\n}\n"
	    "userdb {\n  driver = static\n  args = uid=vmail gid=vmail home=/var/vmail/%d/%n\n}\n"
	    "passdb {\n  driver = pam\n}\n");
	ck_assert_int_eq(check(&r), 0);
	VERDICT(&r, "dovecot.conf", "!include", MIG_ATTENTION);
	ck_assert_ptr_nonnull(strstr(item(&r, "dovecot.conf", "!include")->value, "missing.conf"));
	VERDICT(&r, "dovecot.conf", "bogus_setting", MIG_ATTENTION);
	ck_assert_str_eq(item(&r, NULL, "bogus_setting")->note, "unknown to tern");
	ck_assert_str_eq(item(&r, NULL, "bogus_setting")->value, "1");
	static const struct want want5[] = {
		{ "protocol lmtp/mail_plugins", MIG_ATTENTION },
		{ "protocol imap/mail_plugins", MIG_IGNORED }, { "plugin/sieve", MIG_ATTENTION },
		{ "plugin/quota", MIG_ATTENTION },
		{ "service imap-login/process_limit", MIG_IGNORED },
		{ "this line is garbage", MIG_ATTENTION }, { "}", MIG_ATTENTION },
		{ "unclosed", MIG_ATTENTION }, { "passdb", MIG_MAPPED }, { "userdb", MIG_MAPPED },
	};
	verdicts(&r, want5, sizeof(want5) / sizeof(want5[0]));
	ck_assert_uint_eq(item(&r, "auth.conf", "passdb")->line, 1);
	ck_assert(has_item_note(&r, "system (Unix) users"));
	VERDICT(&r, NULL, "(file)", MIG_ATTENTION); /* no master.cf */
	char *snip = snippet_of(&r);
	contains(snip, "\npasswd_file = /etc/dovecot/users\n",
		 "\ndefault_pass_scheme = SHA512-CRYPT\n", "\nmail_home = /var/vmail/%d/%n\n",
		 "\nmail_uid = vmail\n", "\tlisten = imaps inet:*:10993\n", NULL);
	ck_assert_ptr_null(strstr(snip, "listen = imap inet")); /* port = 0 disables */
	free(snip);
	mig_report_free(&r);
}
END_TEST

START_TEST(test_main_cf_lines)
{
	struct mig_report r;
	put("postfix/main.cf",
	    "  indented_first = x\n" "myhostname = a.example\r\n"
	    "virtual_alias_maps = texthash:/etc/postfix/a,\n"
	    "# a comment inside the continuation\n" "\n" "\ttexthash:/etc/postfix/b\n"
	    "this is garbage\n" "= no name\n" "mydomain=$myhostname\n"
	    "virtual_mailbox_domains = ldap:/etc/postfix/ldap.cf\n" "recipient_delimiter = +\n"
	    "recipient_delimiter = -\n"
	    "x\001y = z\n");
	put("dovecot/dovecot.conf", "");
	ck_assert_int_eq(check(&r), 0);
	const struct mig_item *it = item(&r, "main.cf", "virtual_alias_maps");
	ck_assert_ptr_nonnull(it);
	ck_assert_uint_eq(it->line, 3);
	ck_assert_str_eq(it->value, "texthash:/etc/postfix/a, texthash:/etc/postfix/b");
	ck_assert_uint_eq(it->verdict, MIG_SAME);
	VERDICT(&r, "main.cf", "indented_first = x", MIG_ATTENTION);
	VERDICT(&r, "main.cf", "this is garbage", MIG_ATTENTION);
	VERDICT(&r, "main.cf", "= no name", MIG_ATTENTION);
	VERDICT(&r, "main.cf", "x?y", MIG_ATTENTION); /* control byte shown as '?' */
	VERDICT(&r, "main.cf", "virtual_mailbox_domains", MIG_ATTENTION);
	ck_assert_str_eq(item(&r, NULL, "myhostname")->value, "a.example");
	ck_assert_str_eq(item(&r, NULL, "mydomain")->value, "$myhostname");
	ck_assert_uint_eq(item(&r, NULL, "mydomain")->line, 9);
	char *snip = snippet_of(&r);
	ck_assert_ptr_nonnull(strstr(snip, "\nrecipient_delimiter = -\n")); /* last wins */
	ck_assert_ptr_null(strstr(snip, "recipient_delimiter = +"));
	ck_assert_ptr_nonnull(strstr(snip, "\nmydomain = $myhostname\n"));
	free(snip);
	mig_report_free(&r);
}
END_TEST

START_TEST(test_missing)
{
	struct mig_report r;
	ck_assert_int_eq(check(&r), -1);
	ck_assert_uint_ge(r.counts[MIG_ATTENTION], 3);
	mig_report_free(&r);
	put("postfix/main.cf", "myhostname = a.example\n");
	ck_assert_int_eq(check(&r), -1); /* dovecot.conf still missing */
	VERDICT(&r, "main.cf", "myhostname", MIG_SAME);
	mig_report_free(&r);
	put("dovecot/dovecot.conf", "passdb {\n driver = sql\n args = sql.conf\n}\n");
	ck_assert_int_eq(check(&r), 0); /* master.cf and the SQL file missing: reported */
	VERDICT(&r, "master.cf", "(file)", MIG_ATTENTION);
	VERDICT(&r, "sql.conf", "(file)", MIG_ATTENTION);
	mig_report_free(&r);
}
END_TEST

START_TEST(test_long_lines)
{
	struct mig_report r;
	size_t big = 1u << 20;
	char *text = malloc(big + 64), *p = text;
	p += sprintf(p, "mynetworks = ");
	for (; (size_t)(p - text) < big; p += 9)
		memcpy(p, "10.0.0.1 ", 9);
	strcpy(p, "\nbiff = no\n");
	put("postfix/main.cf", text);
	put("postfix/master.cf", text + 13); /* a 1 MB garbage service line */
	put("dovecot/dovecot.conf", text);
	ck_assert_int_eq(check(&r), 0);
	const struct mig_item *it = item(&r, "main.cf", "mynetworks");
	ck_assert_ptr_nonnull(it);
	ck_assert_uint_eq(it->verdict, MIG_ATTENTION);
	ck_assert_uint_le(strlen(it->value), 163);
	ck_assert_str_eq(it->value + strlen(it->value) - 3, "...");
	VERDICT(&r, "main.cf", "biff", MIG_IGNORED);
	VERDICT(&r, "dovecot.conf", "mynetworks", MIG_ATTENTION);
	mig_report_free(&r);
	/* past MIG_MAX_LINE: one continued logical line of 5 MiB */
	*p = '\0';
	char path[256];
	snprintf(path, sizeof(path), "%s/main.cf", pf);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("virtual_alias_maps = a\n", f);
	for (int i = 0; i < 5; i++)
		fprintf(f, " %s\n", text + 13);
	fputs("biff = no\n", f);
	fclose(f);
	ck_assert_int_eq(check(&r), 0);
	VERDICT(&r, "main.cf", "(line)", MIG_ATTENTION);
	VERDICT(&r, "main.cf", "biff", MIG_IGNORED);
	mig_report_free(&r);
	free(text);
}
END_TEST

START_TEST(test_include_loops)
{
	struct mig_report r;
	put("postfix/main.cf", "biff = no\n");
	put("dovecot/dovecot.conf", "!include dovecot.conf\n!include conf.d/*.conf\nmail_uid = vmail\n");
	put("dovecot/conf.d/a.conf", "!include ../dovecot.conf\n!include *.conf\nmail_gid = vmail\n");
	/* fan-out: 20 files that each include all 20 */
	for (int i = 0; i < 20; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "dovecot/conf.d/f%02d.conf", i);
		put(rel, "!include_try *.conf\nlog_path = syslog\n");
	}
	time_t t0 = time(NULL);
	ck_assert_int_eq(check(&r), 0);
	ck_assert_int_le(time(NULL) - t0, 20);
	ck_assert(has_item_note(&r, "include loop"));
	ck_assert(has_item_note(&r, "too many files"));
	ck_assert_uint_le(r.files_read, MIG_MAX_FILES + 1);
	VERDICT(&r, "dovecot.conf", "mail_uid", MIG_SAME);
	VERDICT(&r, "a.conf", "mail_gid", MIG_SAME);
	mig_report_free(&r);
}
END_TEST

START_TEST(test_table)
{
	for (const struct mig_rule *row = mig_table; row->name; row++) {
		ck_assert_msg(row->sources != 0, "%s", row->name);
		ck_assert_msg(row->note != NULL, "%s", row->name);
		if (row->tern_key && row->verdict == MIG_SAME && row->judge == NULL)
			ck_assert_msg(strcmp(row->tern_key, row->name) == 0, "%s", row->name);
	}
	const struct mig_rule *rule;
	struct mig_judgement j;
	mig_judge(MIG_SRC_POSTFIX, "postscreen_dnsbl_sites", "zen.spamhaus.org", &rule, &j);
	ck_assert_uint_eq(j.verdict, MIG_ATTENTION);
	mig_judge(MIG_SRC_POSTFIX, "no_such_setting_anywhere", "x", &rule, &j);
	ck_assert_ptr_null(rule);
	ck_assert_str_eq(j.note, "unknown to tern");
	mig_judge(MIG_SRC_DOVECOT, "myhostname", "x", &rule, &j); /* Postfix-only row */
	ck_assert_ptr_null(rule);
	mig_judge(MIG_SRC_POSTFIX, "virtual_alias_maps", "hash:/a, proxy:mysql:/b.cf, texthash:/c",
		  &rule, &j);
	ck_assert_uint_eq(j.verdict, MIG_MAPPED);
	ck_assert_str_eq(j.value, "texthash:/a, mysql:/b.cf, texthash:/c");
	free(j.value);
	mig_judge(MIG_SRC_POSTFIX, "virtual_alias_maps", "pcre:/etc/postfix/x", &rule, &j);
	ck_assert_uint_eq(j.verdict, MIG_ATTENTION);
	mig_judge(MIG_SRC_POSTFIX, "virtual_transport", "dovecot", &rule, &j);
	ck_assert_uint_eq(j.verdict, MIG_MAPPED);
	mig_judge(MIG_SRC_POSTFIX, "virtual_transport", "smtp:[relay]", &rule, &j);
	ck_assert_uint_eq(j.verdict, MIG_ATTENTION);
	mig_judge(MIG_SRC_SQL, "driver", "pgsql", &rule, &j);
	ck_assert_uint_eq(j.verdict, MIG_ATTENTION);
	mig_judge(MIG_SRC_DOVECOT, "ssl_cert", "</etc/ssl/c.pem", &rule, &j);
	ck_assert(j.verdict == (mig_tern_has("ssl_cert") ? MIG_MAPPED : MIG_ATTENTION));
	free(j.value);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("migrate");
	TCase *tc = tcase_create("check");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_seed002);
	tcase_add_test(tc, test_seed004);
	tcase_add_test(tc, test_dovecot_sections);
	tcase_add_test(tc, test_main_cf_lines);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_include_loops);
	tcase_add_test(tc, test_table);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
