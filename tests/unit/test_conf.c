/* test_conf: tern.conf syntax: a table of bad configs with their exact
 * "file:line: message", continuation lines, quoting, service blocks,
 * listeners, defaults, files (missing, NUL bytes, too large), every prefix
 * of a config, garbage, and the aborts on programming errors.
 * Types, $expansion, fingerprints and user templates: test_conf_values.c. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

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
	const char *text;
	const char *error;
} bad[] = {
	{ "myhostnam = x\n", "t.conf:1: unknown setting \"myhostnam\"" },
	{ "# c\n\nauth_failure_delay = 2 parsecs\n",
	  "t.conf:3: setting \"auth_failure_delay\": bad time value \"2 parsecs\"" },
	{ "listen = a unix:x\n", "t.conf:1: \"listen\" is only valid inside a service block" },
	{ "user = x\n", "t.conf:1: \"user\" is only valid inside a service block" },
	{ "service authd {\n  passwd_file = x\n}\n",
	  "t.conf:2: \"passwd_file\" is not valid inside a service block" },
	{ "myhostname\n", "t.conf:1: missing \"=\" in \"myhostname\"" },
	{ "service authd {\nuser\n}\n", "t.conf:2: missing \"=\" in \"user\"" },
	{ "\n= x\n", "t.conf:2: missing setting name before \"=\"" },
	{ "log_level = info\n\nlog_level = debug\n",
	  "t.conf:3: setting \"log_level\" already set at line 1" },
	{ "log_level = info\nservice authd {\nuser = x\n",
	  "t.conf:2: service \"authd\" block is not closed" },
	{ "service authd {", "t.conf:1: service \"authd\" block is not closed" },
	{ "service foo {\n}\n", "t.conf:1: unknown service \"foo\"" },
	{ "service AUTHD {\n}\n", "t.conf:1: unknown service \"AUTHD\"" },
	{ "service authd {\n}\nservice authd {\n}\n",
	  "t.conf:3: service \"authd\" already defined at line 1" },
	{ "service authd {\nservice smtpd {\n}\n}\n",
	  "t.conf:2: service blocks do not nest (block \"authd\" is open)" },
	{ "}\n", "t.conf:1: \"}\" without an open service block" },
	{ " continued\n",
	  "t.conf:1: continuation line (starts with whitespace) without a setting before it" },
	{ "service authd {\n}\n  user = x\n",
	  "t.conf:3: continuation line (starts with whitespace) without a setting before it" },
	{ "service authd\n", "t.conf:1: expected \"service NAME {\", got \"service authd\"" },
	{ "service authd smtpd {\n}\n",
	  "t.conf:1: expected \"service NAME {\", got \"service authd smtpd {\"" },
	{ "service authd { }\n", "t.conf:1: expected \"service NAME {\", got \"service authd { }\"" },
	{ "service = x\n", "t.conf:1: unknown setting \"service\"" },
	{ "service authd {\nuser = a\ngroup = b\nuser = b\n}\n",
	  "t.conf:4: setting \"user\" already set at line 2" },
	{ "\x01key = x\n", "t.conf:1: unknown setting \"\\x01key\"" },
	{ "my hostname = x\n", "t.conf:1: unknown setting \"my hostname\"" },
	/* quoting */
	{ "log_path = \"abc\n", "t.conf:1: setting \"log_path\": missing closing quote" },
	{ "log_path = \"abc\\\"\n", "t.conf:1: setting \"log_path\": missing closing quote" },
	{ "log_path = \"a\"b\n", "t.conf:1: setting \"log_path\": text after closing quote" },
	{ "log_path = \"a\\n\"\n",
	  "t.conf:1: setting \"log_path\": bad escape \"\\x5cn\" in quoted value (only \\\" and \\\\)" },
	{ "log_path = \"a\\\n", "t.conf:1: setting \"log_path\": bad escape \"\\x5c\" in quoted "
			     "value (only \\\" and \\\\)" },
	/* listeners */
	{ "service authd {\nlisten = a unix:x\n listen = b unix:y\n\tlisten = a inet:1.2.3.4:5\n}\n",
	  "t.conf:4: listener \"a\" already defined at line 2" },
	{ "service authd {\nlisten = A unix:x\n}\n",
	  "t.conf:2: setting \"listen\": bad listener name \"A\" (1-31 of a-z 0-9 _ -)" },
	{ "service authd {\nlisten = abcdefghijklmnopqrstuvwxyz0123456 unix:x\n}\n",
	  "t.conf:2: setting \"listen\": bad listener name \"abcdefghijklmnopqrstuvwxyz0123456\" "
	  "(1-31 of a-z 0-9 _ -)" },
	{ "service authd {\nlisten = a tcp:1\n}\n",
	  "t.conf:2: setting \"listen\": bad listener address \"tcp:1\" (inet:HOST:PORT or "
	  "unix:PATH, under 256 bytes)" },
	{ "service authd {\nlisten = a unix:\n}\n",
	  "t.conf:2: setting \"listen\": bad listener address \"unix:\" (inet:HOST:PORT or "
	  "unix:PATH, under 256 bytes)" },
	{ "service authd {\nlisten = a unix:x color=red\n}\n",
	  "t.conf:2: setting \"listen\": unknown listener option \"color=red\" (mode= user= group= "
	  "backlog=)" },
	{ "service authd {\nlisten = a unix:x mode\n}\n",
	  "t.conf:2: setting \"listen\": unknown listener option \"mode\" (mode= user= group= "
	  "backlog=)" },
	{ "service authd {\nlisten = a unix:x mode=0999\n}\n",
	  "t.conf:2: setting \"listen\": bad listener option \"mode=0999\"" },
	{ "service authd {\nlisten = a unix:x mode=010000\n}\n",
	  "t.conf:2: setting \"listen\": bad listener option \"mode=010000\"" },
	{ "service authd {\nlisten = a unix:x mode=\n}\n",
	  "t.conf:2: setting \"listen\": bad listener option \"mode=\"" },
	{ "service authd {\nlisten = a unix:x backlog=0\n}\n",
	  "t.conf:2: setting \"listen\": bad listener option \"backlog=0\"" },
	{ "service authd {\nlisten = a unix:x backlog=65536\n}\n",
	  "t.conf:2: setting \"listen\": bad listener option \"backlog=65536\"" },
	{ "service authd {\nlisten = a unix:x backlog=99999999999999999999999\n}\n",
	  "t.conf:2: setting \"listen\": bad listener option \"backlog=99999999999999999999999\"" },
	{ "service authd {\nlisten = a unix:x backlog=1x\n}\n",
	  "t.conf:2: setting \"listen\": bad listener option \"backlog=1x\"" },
	{ "service authd {\nlisten = a unix:x user=\n}\n",
	  "t.conf:2: setting \"listen\": bad listener option \"user=\"" },
	{ "service authd {\nlisten = a unix:x user=0123456789012345678901234567890123456789"
	  "012345678901234567890123\n}\n",
	  "t.conf:2: setting \"listen\": bad listener option \"user=012345678901234567890123456789"
	  "0123456789012345678901234567890123\"" },
	{ "service authd {\nlisten = a unix:x mode=0600 mode=0600\n}\n",
	  "t.conf:2: setting \"listen\": listener option \"mode\" given twice" },
	{ "service authd {\nlisten = a\n}\n",
	  "t.conf:2: setting \"listen\": expected \"NAME ADDRESS [options]\", got \"a\"" },
	{ "service authd {\nlisten =\n}\n",
	  "t.conf:2: setting \"listen\": expected \"NAME ADDRESS [options]\", got \"\"" },
	{ "service authd {\nenabled = maybe\n}\n",
	  "t.conf:2: setting \"enabled\": bad boolean value \"maybe\" (use yes or no)" },
	/* the earliest bad value is reported; syntax errors come first */
	{ "auth_client_limit = x\nauth_failure_delay = y\n",
	  "t.conf:1: setting \"auth_client_limit\": bad integer value \"x\"" },
	{ "auth_failure_delay = y\nauth_client_limit = x\n",
	  "t.conf:1: setting \"auth_failure_delay\": bad time value \"y\"" },
	{ "auth_client_limit = x\nnosuch = 1\n", "t.conf:2: unknown setting \"nosuch\"" },
	{ "service authd {\nenabled = x\n}\nauth_client_limit = x\n",
	  "t.conf:2: setting \"enabled\": bad boolean value \"x\" (use yes or no)" },
};

START_TEST(test_bad)
{
	struct conf *conf = load(bad[_i].text);
	if (conf != NULL)
		ck_abort_msg("config %d loaded: %s", _i, bad[_i].text);
	ck_assert_str_eq(err, bad[_i].error);
}
END_TEST

START_TEST(test_limits)
{
	size_t n = 70000;
	char *text = malloc(n + 100);
	/* a physical line over 64 KiB */
	memset(text, 'x', n);
	strcpy(text + 65537, "\n");
	ck_assert_ptr_null(load(text));
	ck_assert_str_eq(err, "t.conf:1: line longer than 65536 bytes");
	/* exactly 64 KiB is fine as a comment */
	text[0] = '#';
	text[65536] = '\0';
	struct conf *conf = load(text);
	ck_assert_ptr_nonnull(conf);
	conf_free(&conf);
	/* a value over 16 KiB, and one of exactly 16 KiB */
	strcpy(text, "log_path = ");
	memset(text + 11, 'v', 16385);
	text[11 + 16385] = '\0';
	ck_assert_ptr_null(load(text));
	ck_assert_str_eq(err, "t.conf:1: setting \"log_path\": value longer than 16384 bytes");
	text[11 + 16384] = '\0';
	conf = load(text);
	ck_assert_ptr_nonnull(conf);
	ck_assert_uint_eq(strlen(conf_str(conf, NULL, "log_path")), 16384);
	conf_free(&conf);
	/* continuation lines adding up past 64 KiB */
	strcpy(text, "log_path = a\n");
	for (size_t len = 13; len + 1001 < n; len += 1001) {
		memset(text + len, 'z', 1000);
		text[len] = ' ';
		text[len + 1000] = '\n';
		text[len + 1001] = '\0';
	}
	ck_assert_ptr_null(load(text));
	ck_assert_str_eq(err, "t.conf:1: line longer than 65536 bytes with its continuation lines");
	free(text);
}
END_TEST

START_TEST(test_continuation_quotes)
{
	struct conf *conf = load("# comment\n"
				 "   # indented comment\n"
				 "virtual_mailbox_domains = a.test,\n"
				 "  b.test\n"
				 "# comment inside\n"
				 "\n"
				 "\tc.test ,, d.test\n"
				 "log_level\n"
				 "  = debug\r\n"
				 "mail_home = /a # not a comment\n"
				 "log_path = \"  spaced \\\"q\\\" \\\\ \"\n"
				 "mail_location=x\"y\n"
				 "default_pass_scheme = \"\"\n"
				 "passwd_file=  /etc/p  \n");
	ck_assert_ptr_nonnull(conf);
	const char *const *items;
	ck_assert_uint_eq(conf_list(conf, NULL, "virtual_mailbox_domains", &items), 4);
	ck_assert_str_eq(items[0], "a.test");
	ck_assert_str_eq(items[1], "b.test");
	ck_assert_str_eq(items[2], "c.test");
	ck_assert_str_eq(items[3], "d.test");
	ck_assert_str_eq(conf_str(conf, NULL, "log_level"), "debug");
	ck_assert_str_eq(conf_str(conf, NULL, "mail_home"), "/a # not a comment");
	ck_assert_str_eq(conf_str(conf, NULL, "log_path"), "  spaced \"q\" \\ ");
	ck_assert_str_eq(conf_str(conf, NULL, "mail_location"), "x\"y");
	ck_assert_str_eq(conf_str(conf, NULL, "default_pass_scheme"), "");
	ck_assert_str_eq(conf_str(conf, NULL, "passwd_file"), "/etc/p");
	ck_assert(conf_is_set(conf, NULL, "passwd_file"));
	ck_assert(!conf_is_set(conf, NULL, "spool_directory"));
	conf_free(&conf);
	/* continuation joins with one space; empty value */
	conf = load("mail_home = /a\n  /b\t\n\t /c\nrecipient_delimiter =\n");
	ck_assert_ptr_nonnull(conf);
	ck_assert_str_eq(conf_str(conf, NULL, "mail_home"), "/a /b /c");
	ck_assert_str_eq(conf_str(conf, NULL, "recipient_delimiter"), "");
	ck_assert(conf_is_set(conf, NULL, "recipient_delimiter"));
	conf_free(&conf);
}
END_TEST

START_TEST(test_blocks_listeners)
{
	struct conf *conf = load("log_level = info\n"
				 "service authd {\n"
				 "    user = tern-auth\n"
				 "\n"
				 "    # comment\n"
				 "  listen = client unix:auth-client mode=0660 user=tern group=mail backlog=64\n"
				 "listen=master   unix:auth-master\n"
				 "\tlisten = web-1 inet:127.0.0.1:12345 backlog=65535\n"
				 "    enabled = off\n"
				 "  }  \n"
				 "service smtpd{\n"
				 "}\n");
	ck_assert_ptr_nonnull(conf);
	ck_assert_str_eq(conf_path(conf), "t.conf");
	ck_assert(conf_service_defined(conf, "authd"));
	ck_assert(conf_service_defined(conf, "smtpd"));
	ck_assert(!conf_service_defined(conf, "imapd"));
	ck_assert_str_eq(conf_str(conf, "authd", "user"), "tern-auth");
	ck_assert_ptr_null(conf_str(conf, "authd", "group"));
	ck_assert_ptr_null(conf_str(conf, "smtpd", "user"));
	ck_assert(!conf_bool(conf, "authd", "enabled"));
	ck_assert(conf_bool(conf, "smtpd", "enabled"));
	ck_assert(conf_bool(conf, "imapd", "enabled"));
	ck_assert_str_eq(conf_str(conf, "pop3d", "chroot"), "");
	ck_assert(conf_is_set(conf, "authd", "user"));
	ck_assert(conf_is_set(conf, "authd", "listen"));
	ck_assert(!conf_is_set(conf, "smtpd", "listen"));
	ck_assert(!conf_is_set(conf, "authd", "group"));
	ck_assert(conf_is_set(conf, "authd", "log_level")); /* global key, any scope */
	ck_assert_str_eq(conf_str(conf, "authd", "passwd_file"), "/etc/tern/passwd");

	const struct conf_listen *l;
	ck_assert_uint_eq(conf_listeners(conf, "authd", &l), 3);
	ck_assert_str_eq(l[0].name, "client");
	ck_assert_str_eq(l[0].address, "unix:auth-client");
	ck_assert_uint_eq(l[0].mode, 0660);
	ck_assert_str_eq(l[0].user, "tern");
	ck_assert_str_eq(l[0].group, "mail");
	ck_assert_int_eq(l[0].backlog, 64);
	ck_assert_str_eq(l[1].name, "master");
	ck_assert_str_eq(l[1].address, "unix:auth-master");
	ck_assert_uint_eq(l[1].mode, 0666);
	ck_assert_str_eq(l[1].user, "");
	ck_assert_str_eq(l[1].group, "");
	ck_assert_int_eq(l[1].backlog, 128);
	ck_assert_str_eq(l[2].name, "web-1");
	ck_assert_str_eq(l[2].address, "inet:127.0.0.1:12345");
	ck_assert_int_eq(l[2].backlog, 65535);
	ck_assert_uint_eq(conf_listeners(conf, "smtpd", &l), 0);
	conf_free(&conf);
	ck_assert_ptr_null(conf);
	conf_free(&conf);
}
END_TEST

START_TEST(test_listen_address_length)
{
	char text[600], addr[300];
	memset(addr, 'p', sizeof(addr));
	memcpy(addr, "unix:", 5);
	addr[255] = '\0'; /* 255 bytes: fits */
	snprintf(text, sizeof(text), "service authd {\nlisten = a %s\n}\n", addr);
	struct conf *conf = load(text);
	ck_assert_ptr_nonnull(conf);
	const struct conf_listen *l;
	ck_assert_uint_eq(conf_listeners(conf, "authd", &l), 1);
	ck_assert_str_eq(l[0].address, addr);
	conf_free(&conf);
	addr[255] = 'p';
	addr[256] = '\0';
	snprintf(text, sizeof(text), "service authd {\nlisten = a %s\n}\n", addr);
	ck_assert_ptr_null(load(text));
	ck_assert_ptr_nonnull(strstr(err, "t.conf:2: setting \"listen\": bad listener address \"unix:ppp"));
}
END_TEST

START_TEST(test_defaults)
{
	struct conf *conf = load("");
	ck_assert_ptr_nonnull(conf);
	char host[256] = "";
	ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
	ck_assert_str_eq(conf_str(conf, NULL, "myhostname"), host);
	const char *dot = strchr(host, '.');
	ck_assert_str_eq(conf_str(conf, NULL, "mydomain"), dot && dot[1] ? dot + 1 : host);
	ck_assert_str_eq(conf_str(conf, NULL, "run_directory"), "/run/tern");
	ck_assert_str_eq(conf_str(conf, NULL, "daemon_directory"), TERN_DEFAULT_DAEMON_DIR);
	ck_assert_uint_eq(conf_time_ms(conf, NULL, "shutdown_timeout"), 10000);
	ck_assert_uint_eq(conf_time_ms(conf, NULL, "auth_client_timeout"), 300000);
	ck_assert_uint_eq(conf_size(conf, NULL, "auth_max_request_size"), 16384);
	ck_assert_uint_eq(conf_int(conf, NULL, "virtual_alias_recursion_limit"), 100);
	const char *const *items;
	ck_assert_uint_eq(conf_list(conf, NULL, "auth_mechanisms", &items), 2);
	ck_assert_str_eq(items[0], "plain");
	ck_assert_str_eq(items[1], "login");
	ck_assert_uint_eq(conf_list(conf, NULL, "virtual_alias_maps", &items), 0);
	for (int i = 0; i < CONF_SERVICE_COUNT; i++) {
		ck_assert(!conf_service_defined(conf, conf_service_names[i]));
		ck_assert(conf_bool(conf, conf_service_names[i], "enabled"));
		ck_assert_ptr_null(conf_str(conf, conf_service_names[i], "user"));
		ck_assert_uint_eq(conf_service_bit(conf_service_names[i]), 1u << i);
	}
	ck_assert_uint_eq(conf_service_bit("nosuch"), 0);
	ck_assert_uint_eq(conf_service_bit(NULL), 0);
	conf_free(&conf);
}
END_TEST

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_files)
{
	char path[] = "/tmp/test_conf_XXXXXX", msg[600];
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_file(path, "log_level = debug\nservice authd {\n}\n", 36);
	struct conf *conf = conf_load(path, err, sizeof(err));
	ck_assert_ptr_nonnull(conf);
	ck_assert_str_eq(conf_path(conf), path);
	ck_assert_str_eq(conf_str(conf, NULL, "log_level"), "debug");
	conf_free(&conf);
	/* a NUL byte is reported with its line */
	write_file(path, "log_level = debug\nlog_path = a\0b\n", 33);
	ck_assert_ptr_null(conf_load(path, err, sizeof(err)));
	snprintf(msg, sizeof(msg), "%s:2: NUL byte in line", path);
	ck_assert_str_eq(err, msg);
	/* too large */
	size_t big = 5 * 1024 * 1024;
	char *data = malloc(big);
	memset(data, '#', big);
	write_file(path, data, big);
	free(data);
	ck_assert_ptr_null(conf_load(path, err, sizeof(err)));
	snprintf(msg, sizeof(msg), "%s: cannot read: file larger than 4 MiB", path);
	ck_assert_str_eq(err, msg);
	unlink(path);
	ck_assert_ptr_null(conf_load(path, err, sizeof(err)));
	snprintf(msg, sizeof(msg), "%s: cannot open: No such file or directory", path);
	ck_assert_str_eq(err, msg);
	/* small or no error buffer */
	char tiny[8];
	ck_assert_ptr_null(conf_load(path, tiny, sizeof(tiny)));
	ck_assert_str_eq(tiny, "/tmp/te");
	ck_assert_ptr_null(conf_load(path, NULL, 0));
	ck_assert_ptr_null(conf_load_string("x", NULL, err, sizeof(err)));
	ck_assert_str_eq(err, "(string):1: missing \"=\" in \"x\"");
}
END_TEST

static const char sample[] = "# tern\n"
			     "mydomain = example.test\n"
			     "myhostname = mail.$mydomain\n"
			     "virtual_mailbox_domains = $mydomain,\n"
			     "    other.test\n"
			     "log_path = \"/var/log/tern.log\"\n"
			     "auth_failure_delay = 500ms\n"
			     "service authd {\n"
			     "    user = tern-auth\n"
			     "    listen = client unix:auth-client mode=0660\n"
			     "}\n";

/* Every prefix of a good config loads or fails with a located error. */
START_TEST(test_prefixes)
{
	char text[sizeof(sample)];
	int ok = 0;
	for (size_t n = 0; n < sizeof(sample); n++) {
		memcpy(text, sample, n);
		text[n] = '\0';
		struct conf *conf = load(text);
		if (conf != NULL)
			ok++;
		else
			ck_assert_msg(strncmp(err, "t.conf:", 7) == 0, "prefix %zu: %s", n, err);
		conf_free(&conf);
	}
	ck_assert_int_gt(ok, 10);
	struct conf *conf = load(sample);
	ck_assert_ptr_nonnull(conf);
	ck_assert_str_eq(conf_str(conf, NULL, "myhostname"), "mail.example.test");
	conf_free(&conf);
	memcpy(text, sample, sizeof(sample) - 3);
	text[sizeof(sample) - 3] = '\0';
	ck_assert_ptr_null(load(text));
	ck_assert_str_eq(err, "t.conf:8: service \"authd\" block is not closed");
}
END_TEST

START_TEST(test_garbage)
{
	static const char alphabet[] = "ab_=$ {}\"\\\n\t#,:\x01\xff" "service authd listen";
	unsigned seed = 12345;
	char text[300];
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = 0;
		for (; n < sizeof(text) - 1; n++) {
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 97 == 0)
				break;
			text[n] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		text[n] = '\0';
		struct conf *conf = load(text);
		if (conf == NULL)
			ck_assert_msg(strncmp(err, "t.conf:", 7) == 0, "%s -> %s", text, err);
		conf_free(&conf);
	}
}
END_TEST

/* Programming errors abort. */
static struct conf *abort_conf(void)
{
	struct conf *conf = load("");
	ck_assert_ptr_nonnull(conf);
	return conf;
}
START_TEST(test_abort_unknown_key) { conf_str(abort_conf(), NULL, "nosuch"); }
END_TEST
START_TEST(test_abort_type) { conf_int(abort_conf(), NULL, "log_level"); }
END_TEST
START_TEST(test_abort_type_list) { conf_str(abort_conf(), NULL, "auth_mechanisms"); }
END_TEST
START_TEST(test_abort_no_service) { conf_str(abort_conf(), NULL, "user"); }
END_TEST
START_TEST(test_abort_bad_service) { conf_bool(abort_conf(), "nosuch", "enabled"); }
END_TEST
START_TEST(test_abort_listeners)
{
	const struct conf_listen *l;
	conf_listeners(abort_conf(), NULL, &l);
}
END_TEST
START_TEST(test_abort_mode) { conf_mode(abort_conf(), NULL, "log_level"); }
END_TEST

int main(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("syntax");
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_continuation_quotes);
	tcase_add_test(tc, test_blocks_listeners);
	tcase_add_test(tc, test_listen_address_length);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_files);
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_garbage);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	TCase *ta = tcase_create("abort");
	tcase_add_test_raise_signal(ta, test_abort_unknown_key, SIGABRT);
	tcase_add_test_raise_signal(ta, test_abort_type, SIGABRT);
	tcase_add_test_raise_signal(ta, test_abort_type_list, SIGABRT);
	tcase_add_test_raise_signal(ta, test_abort_no_service, SIGABRT);
	tcase_add_test_raise_signal(ta, test_abort_bad_service, SIGABRT);
	tcase_add_test_raise_signal(ta, test_abort_listeners, SIGABRT);
	tcase_add_test_raise_signal(ta, test_abort_mode, SIGABRT);
	suite_add_tcase(s, ta);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
