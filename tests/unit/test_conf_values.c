/* test_conf_values: tern.conf value types (time, size, bool, int, mode, list)
 * with their edge cases and overflows, $name expansion including loops and
 * limits, per-service fingerprints, and conf_expand_user templates.
 * Syntax, blocks and files: test_conf.c. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf_impl.h"

static char err[512];

static struct conf *load(const char *text)
{
	err[0] = 'X';
	struct conf *conf = conf_load_string(text, "t.conf", err, sizeof(err));
	if (conf != NULL)
		ck_assert_str_eq(err, "");
	return conf;
}

static const struct {
	enum conf_type type;
	const char *text;
	int ok;
	uint64_t num;
	const char *why;
} values[] = {
	{ CONF_TIME, "0", 1, 0, NULL },
	{ CONF_TIME, "10", 1, 10000, NULL },
	{ CONF_TIME, "10s", 1, 10000, NULL },
	{ CONF_TIME, "500ms", 1, 500, NULL },
	{ CONF_TIME, "5m", 1, 300000, NULL },
	{ CONF_TIME, "1h", 1, 3600000, NULL },
	{ CONF_TIME, "2d", 1, 172800000, NULL },
	{ CONF_TIME, "007s", 1, 7000, NULL },
	{ CONF_TIME, "18446744073709551615ms", 1, UINT64_MAX, NULL },
	{ CONF_TIME, "18446744073709551616ms", 0, 0, "time value \"18446744073709551616ms\" out of range" },
	{ CONF_TIME, "213503982334d", 1, 213503982334ull * 86400000ull, NULL },
	{ CONF_TIME, "213503982335d", 0, 0, "time value \"213503982335d\" out of range" },
	{ CONF_TIME, "18446744073709551615", 0, 0, "time value \"18446744073709551615\" out of range" },
	{ CONF_TIME, "", 0, 0, "bad time value \"\"" },
	{ CONF_TIME, "s", 0, 0, "bad time value \"s\"" },
	{ CONF_TIME, "10 s", 0, 0, "bad time value \"10 s\"" },
	{ CONF_TIME, "10S", 0, 0, "bad time value \"10S\"" },
	{ CONF_TIME, "1.5s", 0, 0, "bad time value \"1.5s\"" },
	{ CONF_TIME, "-1", 0, 0, "bad time value \"-1\"" },
	{ CONF_TIME, "+1", 0, 0, "bad time value \"+1\"" },
	{ CONF_TIME, "10sec", 0, 0, "bad time value \"10sec\"" },
	{ CONF_TIME, "1w", 0, 0, "bad time value \"1w\"" },
	{ CONF_SIZE, "0", 1, 0, NULL },
	{ CONF_SIZE, "1024", 1, 1024, NULL },
	{ CONF_SIZE, "10k", 1, 10240, NULL },
	{ CONF_SIZE, "10K", 1, 10240, NULL },
	{ CONF_SIZE, "3m", 1, 3u << 20, NULL },
	{ CONF_SIZE, "10M", 1, 10u << 20, NULL },
	{ CONF_SIZE, "1g", 1, 1u << 30, NULL },
	{ CONF_SIZE, "4G", 1, 4ull << 30, NULL },
	{ CONF_SIZE, "17179869183G", 1, 17179869183ull << 30, NULL },
	{ CONF_SIZE, "17179869184G", 0, 0, "size value \"17179869184G\" out of range" },
	{ CONF_SIZE, "99999999999999999999", 0, 0, "size value \"99999999999999999999\" out of range" },
	{ CONF_SIZE, "1T", 0, 0, "bad size value \"1T\"" },
	{ CONF_SIZE, "1kb", 0, 0, "bad size value \"1kb\"" },
	{ CONF_SIZE, "k", 0, 0, "bad size value \"k\"" },
	{ CONF_SIZE, "0x10", 0, 0, "bad size value \"0x10\"" },
	{ CONF_BOOL, "yes", 1, 1, NULL },
	{ CONF_BOOL, "YES", 1, 1, NULL },
	{ CONF_BOOL, "True", 1, 1, NULL },
	{ CONF_BOOL, "on", 1, 1, NULL },
	{ CONF_BOOL, "1", 1, 1, NULL },
	{ CONF_BOOL, "no", 1, 0, NULL },
	{ CONF_BOOL, "FALSE", 1, 0, NULL },
	{ CONF_BOOL, "Off", 1, 0, NULL },
	{ CONF_BOOL, "0", 1, 0, NULL },
	{ CONF_BOOL, "", 0, 0, "bad boolean value \"\" (use yes or no)" },
	{ CONF_BOOL, "y", 0, 0, "bad boolean value \"y\" (use yes or no)" },
	{ CONF_BOOL, "2", 0, 0, "bad boolean value \"2\" (use yes or no)" },
	{ CONF_BOOL, "yes!", 0, 0, "bad boolean value \"yes!\" (use yes or no)" },
	{ CONF_INT, "0", 1, 0, NULL },
	{ CONF_INT, "42", 1, 42, NULL },
	{ CONF_INT, "18446744073709551615", 1, UINT64_MAX, NULL },
	{ CONF_INT, "18446744073709551616", 0, 0, "integer value \"18446744073709551616\" out of range" },
	{ CONF_INT, "-1", 0, 0, "bad integer value \"-1\"" },
	{ CONF_INT, "+1", 0, 0, "bad integer value \"+1\"" },
	{ CONF_INT, "1k", 0, 0, "bad integer value \"1k\"" },
	{ CONF_INT, "", 0, 0, "bad integer value \"\"" },
	{ CONF_INT, " 1", 0, 0, "bad integer value \" 1\"" },
	{ CONF_MODE, "0", 1, 0, NULL },
	{ CONF_MODE, "0660", 1, 0660, NULL },
	{ CONF_MODE, "660", 1, 0660, NULL },
	{ CONF_MODE, "07777", 1, 07777, NULL },
	{ CONF_MODE, "000000644", 1, 0644, NULL },
	{ CONF_MODE, "010000", 0, 0, "bad mode \"010000\" (octal, 0 to 07777)" },
	{ CONF_MODE, "0668", 0, 0, "bad mode \"0668\" (octal, 0 to 07777)" },
	{ CONF_MODE, "", 0, 0, "bad mode \"\" (octal, 0 to 07777)" },
	{ CONF_MODE, "-0644", 0, 0, "bad mode \"-0644\" (octal, 0 to 07777)" },
	{ CONF_MODE, "77777777777777777777777", 0, 0,
	  "bad mode \"77777777777777777777777\" (octal, 0 to 07777)" },
};

START_TEST(test_value_types)
{
	struct conf_value v = { .text = (char *)values[_i].text };
	char why[200] = "";
	int ret = conf_value_parse(values[_i].type, &v, why, sizeof(why));
	ck_assert_msg(ret == (values[_i].ok ? 0 : -1), "%s: %d %s", values[_i].text, ret, why);
	if (values[_i].ok)
		ck_assert_msg(v.num == values[_i].num, "%s: %llu", values[_i].text,
			      (unsigned long long)v.num);
	else
		ck_assert_str_eq(why, values[_i].why);
}
END_TEST

static const struct {
	const char *text;
	size_t n;
	const char *items[4];
} lists[] = {
	{ "", 0, { NULL } },
	{ " , ,\t", 0, { NULL } },
	{ "a", 1, { "a" } },
	{ "plain login", 2, { "plain", "login" } },
	{ "a,b", 2, { "a", "b" } },
	{ ",a,, b ,\tc,", 3, { "a", "b", "c" } },
	{ "texthash:/etc/x  /y", 2, { "texthash:/etc/x", "/y" } },
};

START_TEST(test_lists)
{
	char text[100];
	snprintf(text, sizeof(text), "auth_mechanisms = %s\n", lists[_i].text);
	struct conf *conf = load(text);
	ck_assert_ptr_nonnull(conf);
	const char *const *items;
	ck_assert_uint_eq(conf_list(conf, NULL, "auth_mechanisms", &items), lists[_i].n);
	for (size_t k = 0; k < lists[_i].n; k++)
		ck_assert_str_eq(items[k], lists[_i].items[k]);
	conf_free(&conf);
}
END_TEST

/* Values through the file and the public getters. */
START_TEST(test_getters)
{
	struct conf *conf = load("auth_failure_delay = 250ms\n"
				 "auth_max_request_size = 64k\n"
				 "auth_client_limit = 5\n"
				 "service authd {\n enabled = NO\n}\n");
	ck_assert_ptr_nonnull(conf);
	ck_assert_uint_eq(conf_time_ms(conf, NULL, "auth_failure_delay"), 250);
	ck_assert_uint_eq(conf_time_ms(conf, "authd", "auth_failure_delay"), 250);
	ck_assert_uint_eq(conf_size(conf, NULL, "auth_max_request_size"), 65536);
	ck_assert_uint_eq(conf_int(conf, NULL, "auth_client_limit"), 5);
	ck_assert(!conf_bool(conf, "authd", "enabled"));
	conf_free(&conf);
}
END_TEST

static const struct {
	const char *text, *key, *value, *error;
} expansions[] = {
	{ "mydomain = example.test\nmyhostname = mail.$mydomain\n", "myhostname", "mail.example.test", NULL },
	{ "myhostname = mail.$mydomain\nmydomain = example.test\n", "myhostname", "mail.example.test", NULL },
	{ "myhostname = mail.example.test\n", "mydomain", "example.test", NULL },
	{ "myhostname = localhost\n", "mydomain", "localhost", NULL },
	{ "myhostname = host.\n", "mydomain", "host.", NULL },
	{ "mydomain = d\nmyhostname = ${mydomain}x$mydomain-y\n", "myhostname", "dxd-y", NULL },
	{ "log_path = $run_directory/log\n", "log_path", "/run/tern/log", NULL },
	{ "run_directory = /r\nlog_path = $run_directory/$control_socket\n", "log_path", "/r/master.ctl", NULL },
	{ "log_path = a$$b$$\n", "log_path", "a$b$", NULL },
	{ "log_path = \"$$ $log_level \"\n", "log_path", "$ info ", NULL },
	{ "log_path = $$log_level\n", "log_path", "$log_level", NULL },
	{ "a1 = x\n", NULL, NULL, "t.conf:1: unknown setting \"a1\"" },
	{ "myhostname = $nosuch\n", NULL, NULL, "t.conf:1: setting \"myhostname\": undefined \"$nosuch\"" },
	{ "log_path = ${user}\n", NULL, NULL, "t.conf:1: setting \"log_path\": undefined \"$user\"" },
	{ "log_path = $listen\n", NULL, NULL, "t.conf:1: setting \"log_path\": undefined \"$listen\"" },
	{ "log_level = $log_level\n", NULL, NULL,
	  "t.conf:1: setting \"log_level\": expansion loop through \"$log_level\"" },
	{ "myhostname = $mydomain\nmydomain = $myhostname\n", NULL, NULL,
	  "t.conf:2: setting \"mydomain\": expansion loop through \"$myhostname\"" },
	{ "log_path = $log_level\nlog_level = $mail_home\nmail_home = $log_path\n", NULL, NULL,
	  "t.conf:3: setting \"mail_home\": expansion loop through \"$log_path\"" },
	{ "myhostname = mail.$mydomain\n", NULL, NULL,
	  "t.conf:1: setting \"mydomain\": expansion loop through \"$myhostname\" (mydomain "
	  "defaults to it)" },
	{ "log_path = a$\n", NULL, NULL,
	  "t.conf:1: setting \"log_path\": bad \"$\" at \"$\" (use $name, ${name} or $$)" },
	{ "log_path = ${log_level\n", NULL, NULL,
	  "t.conf:1: setting \"log_path\": bad \"$\" at \"${log_level\" (use $name, ${name} or $$)" },
	{ "log_path = ${}\n", NULL, NULL,
	  "t.conf:1: setting \"log_path\": bad \"$\" at \"${}\" (use $name, ${name} or $$)" },
	{ "log_path = $-x\n", NULL, NULL,
	  "t.conf:1: setting \"log_path\": bad \"$\" at \"$-x\" (use $name, ${name} or $$)" },
	{ "auth_client_limit = $log_level\n", NULL, NULL,
	  "t.conf:1: setting \"auth_client_limit\": bad integer value \"info\"" },
	{ "service authd {\nchroot = $nosuch\n}\n", NULL, NULL,
	  "t.conf:2: setting \"chroot\": undefined \"$nosuch\"" },
	{ "service authd {\nlisten = a unix:$nosuch\n}\n", NULL, NULL,
	  "t.conf:2: setting \"listen\": undefined \"$nosuch\"" },
	{ "service authd {\nlisten = a unix:$log_level\n}\nlog_level = $log_level\n", NULL, NULL,
	  "t.conf:4: setting \"log_level\": expansion loop through \"$log_level\"" },
};

START_TEST(test_expansion)
{
	struct conf *conf = load(expansions[_i].text);
	if (expansions[_i].error != NULL) {
		ck_assert_msg(conf == NULL, "%s loaded", expansions[_i].text);
		ck_assert_str_eq(err, expansions[_i].error);
		return;
	}
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_str_eq(conf_str(conf, NULL, expansions[_i].key), expansions[_i].value);
	conf_free(&conf);
}
END_TEST

START_TEST(test_expansion_scopes)
{
	struct conf *conf = load("mydomain = ex.test\n"
				 "virtual_mailbox_domains = $mydomain, other.test\n"
				 "service authd {\n"
				 "  chroot = $run_directory/jail\n"
				 "  listen = a unix:$run_directory/auth user=$mail_uid\n"
				 "}\n");
	ck_assert_ptr_nonnull(conf);
	const char *const *items;
	ck_assert_uint_eq(conf_list(conf, NULL, "virtual_mailbox_domains", &items), 2);
	ck_assert_str_eq(items[0], "ex.test");
	ck_assert_str_eq(conf_str(conf, "authd", "chroot"), "/run/tern/jail");
	const struct conf_listen *l;
	ck_assert_uint_eq(conf_listeners(conf, "authd", &l), 1);
	ck_assert_str_eq(l[0].address, "unix:/run/tern/auth");
	ck_assert_str_eq(l[0].user, "vmail");
	conf_free(&conf);
}
END_TEST

/* A chain through every global key: deep but legal. */
START_TEST(test_expansion_chain)
{
	char text[4096] = "", *prev = NULL;
	int n = 0;
	for (int i = 0; conf_settings[i].name != NULL; i++) {
		if (conf_settings[i].service_scope)
			continue;
		if (prev != NULL)
			snprintf(prev, sizeof(text) - (size_t)(prev - text), "$%s\n", conf_settings[i].name);
		size_t len = strlen(text);
		snprintf(text + len, sizeof(text) - len, "%s = ", conf_settings[i].name);
		prev = text + strlen(text);
		n++;
	}
	strcat(text, "1\n");
	ck_assert_int_gt(n, 25);
	struct conf *conf = load(text);
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_str_eq(conf_str(conf, NULL, "myhostname"), "1");
	ck_assert_uint_eq(conf_time_ms(conf, NULL, "shutdown_timeout"), 1000);
	conf_free(&conf);
}
END_TEST

/* Expanded values are bounded even when each reference is short. */
START_TEST(test_expansion_limit)
{
	char *text = malloc(40000);
	strcpy(text, "control_socket = ");
	memset(text + 17, 'c', 10000);
	strcpy(text + 17 + 10000, "\nlog_path = $control_socket$control_socket\n");
	ck_assert_ptr_null(load(text));
	ck_assert_str_eq(err, "t.conf:2: setting \"log_path\": value longer than 16384 bytes after "
			      "expansion");
	/* a chain that doubles at every step: 64, 128, ..., 1024, then 17 * 1024 */
	strcpy(text, "log_level = ");
	memset(text + 12, 'x', 64);
	strcpy(text + 12 + 64, "\nlog_path = $log_level$log_level\n"
	       "mail_home = $log_path$log_path\n"
	       "mail_location = $mail_home$mail_home\n"
	       "control_socket = $mail_location$mail_location\n"
	       "passwd_file = $control_socket$control_socket$control_socket$control_socket"
	       "$control_socket$control_socket$control_socket$control_socket$control_socket"
	       "$control_socket$control_socket$control_socket$control_socket$control_socket"
	       "$control_socket$control_socket$control_socket\n");
	ck_assert_ptr_null(load(text));
	ck_assert_str_eq(err, "t.conf:6: setting \"passwd_file\": value longer than 16384 bytes "
			      "after expansion");
	free(text);
}
END_TEST

static char *fp(const char *text, const char *service)
{
	struct conf *conf = load(text);
	ck_assert_msg(conf != NULL, "%s", err);
	char *f = conf_fingerprint(conf, service);
	ck_assert_ptr_nonnull(f);
	conf_free(&conf);
	return f;
}

/* Does changing base to changed alter the fingerprint of service? */
static bool fp_changes(const char *base, const char *changed, const char *service)
{
	char *a = fp(base, service), *b = fp(changed, service);
	bool differ = strcmp(a, b) != 0;
	free(a);
	free(b);
	return differ;
}

static const char fp_base[] = "mydomain = ex.test\nservice authd {\n listen = a unix:x\n}\n";

START_TEST(test_fingerprint)
{
	char *a = fp(fp_base, "authd");
	char *b = fp(fp_base, "authd");
	ck_assert_str_eq(a, b);
	ck_assert_ptr_nonnull(strstr(a, "service=authd defined=yes\n"));
	ck_assert_ptr_nonnull(strstr(a, "\npasswd_file=/etc/tern/passwd\n"));
	ck_assert_ptr_nonnull(strstr(a, "\nauth_failure_delay=2000ms\n"));
	ck_assert_ptr_nonnull(strstr(a, "\nmydomain=ex.test\n"));
	ck_assert_ptr_nonnull(strstr(a, "\nservice.enabled=yes\n"));
	ck_assert_ptr_nonnull(strstr(a, "\nservice.listen=a unix:x mode=0666 user= group= backlog=128\n"));
	ck_assert_ptr_null(strstr(a, "spool_directory"));
	ck_assert_ptr_null(strstr(a, "service.user"));
	/* sorted: auth_client_limit before auth_failure_delay before passwd_file */
	ck_assert((uintptr_t)strstr(a, "auth_client_limit=") < (uintptr_t)strstr(a, "auth_failure_delay="));
	ck_assert((uintptr_t)strstr(a, "auth_failure_delay=") < (uintptr_t)strstr(a, "passwd_file="));
	free(a);
	free(b);
	a = fp(fp_base, "smtpd");
	ck_assert_ptr_nonnull(strstr(a, "service=smtpd defined=no\n"));
	ck_assert_ptr_nonnull(strstr(a, "\nspool_directory=/var/spool/tern\n"));
	ck_assert_ptr_null(strstr(a, "passwd_file"));
	free(a);
	a = fp(fp_base, NULL);
	ck_assert_ptr_nonnull(strstr(a, "passwd_file="));
	ck_assert_ptr_null(strstr(a, "service"));
	free(a);
}
END_TEST

static const struct {
	const char *changed;
	bool authd, smtpd, master;
} fp_changes_table[] = {
	{ "mydomain = ex.test\nservice authd {\n listen = a unix:x\n}\n# only a comment\n", 0, 0, 0 },
	{ "mydomain=ex.test\nservice authd {\nlisten = a   unix:x mode=666\n}\n", 0, 0, 0 },
	{ "auth_failure_delay = 2000ms\n" /* same value as the default */
	  "mydomain = ex.test\nservice authd {\n listen = a unix:x\n}\n", 0, 0, 0 },
	{ "service authd {\n enabled = yes\n listen = a unix:x\n}\nmydomain = ex.test\n", 0, 0, 0 },
	{ "passwd_file = /etc/p2\nmydomain = ex.test\nservice authd {\n listen = a unix:x\n}\n", 1, 0, 0 },
	{ "spool_directory = /q\nmydomain = ex.test\nservice authd {\n listen = a unix:x\n}\n", 0, 1, 1 },
	{ "log_level = debug\nmydomain = ex.test\nservice authd {\n listen = a unix:x\n}\n", 1, 1, 1 },
	{ "mydomain = ex2.test\nservice authd {\n listen = a unix:x\n}\n", 1, 1, 1 },
	{ "mydomain = ex.test\nservice authd {\n listen = a unix:x\n user = u\n}\n", 1, 0, 0 },
	{ "mydomain = ex.test\nservice authd {\n listen = a unix:x mode=0600\n}\n", 1, 0, 0 },
	{ "mydomain = ex.test\nservice authd {\n listen = a unix:x\n listen = b unix:y\n}\n", 1, 0, 0 },
	{ "mydomain = ex.test\nservice authd {\n listen = a unix:x\n}\nservice smtpd {\n}\n", 0, 1, 0 },
	{ "mydomain = ex.test\n", 1, 0, 0 },
	{ "mydomain = ex.test\nrestart_delay = 2s\nservice authd {\n listen = a unix:x\n}\n", 0, 0, 1 },
};

START_TEST(test_fingerprint_changes)
{
	const char *changed = fp_changes_table[_i].changed;
	ck_assert_msg(fp_changes(fp_base, changed, "authd") == fp_changes_table[_i].authd, "authd %d", _i);
	ck_assert_msg(fp_changes(fp_base, changed, "smtpd") == fp_changes_table[_i].smtpd, "smtpd %d", _i);
	ck_assert_msg(fp_changes(fp_base, changed, "master") == fp_changes_table[_i].master, "master %d", _i);
}
END_TEST

static const struct {
	const char *tmpl, *user, *out;
	int ret;
} users[] = {
	{ "%u", "Joe@Ex.Test", "Joe@Ex.Test", 0 },
	{ "%Lu", "Joe@Ex.Test", "joe@ex.test", 0 },
	{ "%n", "Joe@Ex.Test", "Joe", 0 },
	{ "%Ln", "Joe@Ex.Test", "joe", 0 },
	{ "%d", "Joe@Ex.Test", "Ex.Test", 0 },
	{ "%Ld", "Joe@Ex.Test", "ex.test", 0 },
	{ "/var/vmail/%d/%n", "joe@ex.test", "/var/vmail/ex.test/joe", 0 },
	{ "/home/%Ld/%Ln/", "JOE@EX.TEST", "/home/ex.test/joe/", 0 },
	{ "%{user}:%{username}:%{domain}", "a@b", "a@b:a:b", 0 },
	{ "%L{user}", "A@B", "a@b", 0 },
	{ "%n/%d.", "joe", "joe/.", 0 },
	{ "%n", "a@b@c", "a", 0 },
	{ "%d", "a@b@c", "b@c", 0 },
	{ "%d", "@b", "b", 0 },
	{ "%n", "@b", "", 0 },
	{ "100%% %u", "x", "100% x", 0 },
	{ "", "x", "", 0 },
	{ "plain", "x", "plain", 0 },
	{ "%x", "x", "", -1 },
	{ "a%", "x", "", -1 },
	{ "%L", "x", "", -1 },
	{ "%L%", "x", "", -1 },
	{ "%{bogus}", "x", "", -1 },
	{ "%{user", "x", "", -1 },
	{ "%U", "x", "", -1 },
};

START_TEST(test_expand_user)
{
	char out[64] = "garbage";
	int ret = conf_expand_user(users[_i].tmpl, users[_i].user, out, sizeof(out));
	ck_assert_int_eq(ret, users[_i].ret);
	ck_assert_str_eq(out, users[_i].out);
}
END_TEST

START_TEST(test_expand_user_overflow)
{
	char out[32];
	/* "/v/ex.test/joe" is 14 bytes: needs 15 with the NUL */
	ck_assert_int_eq(conf_expand_user("/v/%d/%n", "joe@ex.test", out, 15), 0);
	ck_assert_str_eq(out, "/v/ex.test/joe");
	memset(out, 'z', sizeof(out));
	ck_assert_int_eq(conf_expand_user("/v/%d/%n", "joe@ex.test", out, 14), -1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(out[14], 'z');
	for (size_t n = 1; n < 14; n++) {
		memset(out, 'z', sizeof(out));
		ck_assert_int_eq(conf_expand_user("/v/%d/%n", "joe@ex.test", out, n), -1);
		ck_assert_str_eq(out, "");
		ck_assert_int_eq(out[n], 'z');
	}
	ck_assert_int_eq(conf_expand_user("abc", "x", out, 3), -1);
	ck_assert_int_eq(conf_expand_user("%%", "x", out, 2), 0);
	ck_assert_str_eq(out, "%");
	ck_assert_int_eq(conf_expand_user("%u", "x", out, 0), -1);
	ck_assert_int_eq(conf_expand_user("%u", "", out, 1), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(conf_expand_user(NULL, "x", out, sizeof(out)), -1);
	ck_assert_int_eq(conf_expand_user("%u", NULL, out, sizeof(out)), -1);
	ck_assert_int_eq(conf_expand_user("%u", "x", NULL, 10), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("conf_values");
	TCase *tc = tcase_create("values");
	tcase_add_loop_test(tc, test_value_types, 0, (int)(sizeof(values) / sizeof(values[0])));
	tcase_add_loop_test(tc, test_lists, 0, (int)(sizeof(lists) / sizeof(lists[0])));
	tcase_add_test(tc, test_getters);
	tcase_add_loop_test(tc, test_expansion, 0, (int)(sizeof(expansions) / sizeof(expansions[0])));
	tcase_add_test(tc, test_expansion_scopes);
	tcase_add_test(tc, test_expansion_chain);
	tcase_add_test(tc, test_expansion_limit);
	tcase_add_test(tc, test_fingerprint);
	tcase_add_loop_test(tc, test_fingerprint_changes, 0,
			    (int)(sizeof(fp_changes_table) / sizeof(fp_changes_table[0])));
	tcase_add_loop_test(tc, test_expand_user, 0, (int)(sizeof(users) / sizeof(users[0])));
	tcase_add_test(tc, test_expand_user_overflow);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
