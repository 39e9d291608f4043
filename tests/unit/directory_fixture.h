/* directory_fixture: shared by test_directory.c and test_resolve.c: data
 * files written into a mkdtemp dir, a logger writing into it, and a
 * directory opened from a conf_load_string() config naming those files.
 * Header-only (static functions): each test program includes it once. */
#ifndef TERN_TEST_DIRECTORY_FIXTURE_H
#define TERN_TEST_DIRECTORY_FIXTURE_H
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "directory.h"
#include "log.h"

static char tmpdir[64];
static char logpath[128];

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static const char passwd_text[] =
	"# users\n"
	"\n"
	"alice@example.org:{PLAIN}secret:1000:1001::/home/alice::userdb_quota_rule=*:storage=1G "
	"userdb_mail=maildir:/m/alice nodelay allow_nets=127.0.0.1/32\n"
	"Bob@Example.ORG:{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3u"
	"BnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1\n"
	"carol@example.org:pw\r\n"
	"dave@example.org:pw::::::nologin nopassword=yes\n"
	"this line is not a user\n"
	":nouser\n"
	"eve@example.org:x:no-such-user-tern-xyz\n"
	"alice@example.org:duplicate\n"
	"root@example.org:pw:root:0\n"
	"postmaster@example.org:pw\n"
	"d1@example.org:pw\n";

static const char aliases_text[] =
	"# aliases\n"
	"sales@example.org   alice@example.org, bob@example.org\n"
	"  carol@example.org\n"
	"postmaster@example.org postmaster@example.org, ext@gmail.com\n"
	"@example.net alice@example.org\n"
	"loop1@example.org loop2@example.org\n"
	"loop2@example.org loop1@example.org\n"
	"self@example.org self@example.org\n"
	"diamond@example.org d1@example.org d2@example.org\n"
	"d1@example.org alice@example.org,d1@example.org\n"
	"d2@example.org ALICE@example.org, bob@example.org\n"
	"ghost@example.org nobody@example.org\n"
	"fan@example.org a@x.test b@x.test c@x.test d@x.test e@x.test f@x.test\n"
	"weird%\"key\\'@example.org carol@example.org\n"
	"viadomain@example.org bob@alias.test\n"
	"noval@example.org\n"
	"SALES@example.org duplicate@example.org\n";

#define CONF_TEMPLATE \
	"passwd_file = %s/passwd\n" \
	"virtual_mailbox_domains = example.org, %s/domains texthash:%s/domains.th\n" \
	"virtual_alias_maps = texthash:%s/aliases, %s/chain\n" \
	"alias_domain_maps = texthash:%s/aliasdomains\n" \
	"%s%s"

static struct directory *open_dir(const char *extra)
{
	char text[4096], err[256];
	struct conf *conf;
	struct directory *dir;

	snprintf(text, sizeof(text), CONF_TEMPLATE, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir,
		 strstr(extra, "mail_uid") ? "" : "mail_uid = 5000\nmail_gid = 5001\n", extra);
	conf = conf_load_string(text, "test.conf", err, sizeof(err));
	ck_assert_msg(conf != NULL, "%s", err);
	dir = directory_open(conf, err, sizeof(err));
	ck_assert_msg(dir != NULL, "%s", err);
	conf_free(&conf);
	return dir;
}

static void setup(void)
{
	struct buf chain;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/tern-dir-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(logpath, sizeof(logpath), "%s/log", tmpdir);
	ck_assert_int_eq(log_open("test", logpath), 0);
	write_file("passwd", passwd_text);
	write_file("aliases", aliases_text);
	write_file("domains", "example.net\n# comment\nExample.COM other.test,third.test\n");
	write_file("domains.th", "keys.test OK\nbare.test\n");
	write_file("aliasdomains", "alias.test example.org\nat.test @example.org\n");
	/* c0 -> c1 -> ... -> c150 (past the recursion limit), s0 -> ... -> s50 */
	buf_init(&chain, 0);
	for (int i = 0; i < 150; i++)
		buf_printf(&chain, "c%d@example.org c%d@example.org\n", i, i + 1);
	for (int i = 0; i < 50; i++)
		buf_printf(&chain, "s%d@example.org s%d@example.org\n", i, i + 1);
	buf_append_str(&chain, "s50@example.org alice@example.org\n");
	write_file("chain", buf_str(&chain));
	buf_free(&chain);
}

static void teardown(void)
{
	char cmd[128];

	log_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *read_log(void)
{
	static char text[65536];
	FILE *f = fopen(logpath, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

#endif
