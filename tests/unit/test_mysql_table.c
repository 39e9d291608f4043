/* test_mysql_table: Postfix mysql_table(5) files: the query and
 * result_format expansions as tables (suppression, escaping, hostile and
 * 10 KB keys), good and bad files (PostfixAdmin's and the seed guides' maps
 * as fixtures), lookup suppression against an unreachable server, and,
 * when tests/tools/mariadb-private.sh can run mariadbd, real lookups. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "mysql_table.h"

struct qcase {
	const char *tmpl, *key;
	int ret;
	const char *want;
};

static const struct qcase qcases[] = {
	{ "%s", "a@b.c", 1, "a@b.c" },
	{ "%u", "a@b.c", 1, "a" },
	{ "%d", "a@b.c", 1, "b.c" },
	{ "%u", "user", 1, "user" },		/* no '@': the whole key */
	{ "%d", "user", 0, NULL },		/* no domain: suppressed */
	{ "%u", "@b.c", 0, NULL },		/* empty local part */
	{ "%d", "@b.c", 1, "b.c" },
	{ "%s", "@b.c", 1, "@b.c" },
	{ "%d", "user@", 0, NULL },		/* empty domain */
	{ "%u", "user@", 1, "user" },
	{ "%u|%d", "a@b@c", 1, "a@b|c" },	/* the last '@' splits */
	{ "%1 %2 %3", "u@mail.example.com", 1, "com example mail" },
	{ "%3", "u@example.com", 0, NULL },	/* too few labels */
	{ "%1", "user", 0, NULL },
	{ "%1", "u@com", 1, "com" },
	{ "%9", "u@a.b.c.d.e.f.g.h.i", 1, "a" },
	{ "%2", "u@a..com.", 1, "a" },		/* empty labels do not count */
	{ "%2", "u@..com", 0, NULL },
	{ "%S|%U|%D", "a@b", 1, "a@b|a|b" },	/* same as lower case in a query */
	{ "%D", "ab", 0, NULL },
	{ "%U", "@b", 0, NULL },
	{ "%%", "x", 1, "%" },
	{ "LIKE 'smtp%%'", "x", 1, "LIKE 'smtp%'" },
	{ "a%%b'%s'", "x", 1, "a%b'x'" },
	{ "no expansion", "x", 1, "no expansion" },
	{ "%s", "", 0, NULL },			/* empty key: no query */
	{ "%x", "a@b", -1, NULL },
	{ "abc%", "a@b", -1, NULL },		/* trailing % */
	{ "%", "a", -1, NULL },
	{ "%s%0", "a", -1, NULL },
	{ "%x", "", -1, NULL },			/* bad template wins over an empty key */
	{ "%s", "o'neil@x", 1, "o''neil@x" },
	{ "%s", "a\\b", 1, "a\\\\b" },
	{ "%s", "x' OR '1'='1", 1, "x'' OR ''1''=''1" },
	{ "%s", "a\nb\rc\032d", 1, "a\\nb\\rc\\Zd" },
	{ "%s", "50%_x", 1, "50%_x" },		/* LIKE wildcards are data here */
	{ "%s", "\x01@\x7f", 1, "\x01@\x7f" },
	{ "%u", "o'x@d'y", 1, "o''x" },
	{ "%d", "o'x@d'y", 1, "d''y" },
	{ "SELECT goto FROM alias WHERE address='%s' AND active = '1'", "a@b.org", 1,
	  "SELECT goto FROM alias WHERE address='a@b.org' AND active = '1'" },
	{ "SELECT goto FROM alias,alias_domain WHERE alias_domain.alias_domain = '%d' and "
	  "alias.address = CONCAT('%u', '@', alias_domain.target_domain)",
	  "x@alias.org", 1,
	  "SELECT goto FROM alias,alias_domain WHERE alias_domain.alias_domain = 'alias.org' and "
	  "alias.address = CONCAT('x', '@', alias_domain.target_domain)" },
};

START_TEST(test_expand_query)
{
	const struct qcase *c = &qcases[_i];
	struct buf b;
	buf_init(&b, 0);
	buf_append_str(&b, "PRE");
	int r = mysql_table_expand_query(c->tmpl, c->key, &b);
	ck_assert_msg(r == c->ret, "case %d: ret %d", _i, r);
	if (r == 1)
		ck_assert_str_eq(buf_str(&b) + 3, c->want);
	else
		ck_assert_str_eq(buf_str(&b), "PRE"); /* nothing appended */
	buf_free(&b);
}
END_TEST

struct rcase {
	const char *fmt, *key, *value;
	int ret;
	const char *want;
};

static const struct rcase rcases[] = {
	{ "%s", "k", "v", 1, "v" },
	{ "%u", "k", "a@b", 1, "a" },
	{ "%u", "k", "ab", 1, "ab" },
	{ "%u", "k", "@b", 0, NULL },
	{ "%d", "k", "a@b", 1, "b" },
	{ "%d", "k", "ab", 0, NULL },
	{ "%d", "k", "ab@", 0, NULL },
	{ "%S", "key@d", "v", 1, "key@d" },
	{ "%U", "key@d", "v", 1, "key" },
	{ "%U", "key", "v", 1, "key" },
	{ "%D", "key@d", "v", 1, "d" },
	{ "%D", "key", "v", 0, NULL },		/* key lacks the domain */
	{ "%1.%2", "k@a.b.c", "v", 1, "c.b" },
	{ "%3", "k@b.c", "v", 0, NULL },
	{ "smtp:[%s]", "k", "relay.example", 1, "smtp:[relay.example]" },
	{ "%u+%S@%d", "x@y", "a@b", 1, "a+x@y@b" },
	{ "%s", "k", "", 0, NULL },		/* empty values are skipped */
	{ "%s", "k", "o'x\\", 1, "o'x\\" },	/* results are not escaped */
	{ "100%%", "k", "v", 1, "100%" },
	{ "%q", "k", "v", -1, NULL },
	{ "%", "k", "v", -1, NULL },
	{ "%s", NULL, "v", 1, "v" },
};

START_TEST(test_format_result)
{
	const struct rcase *c = &rcases[_i];
	struct buf b;
	buf_init(&b, 0);
	buf_append_str(&b, "x,");
	int r = mysql_table_format_result(c->fmt, c->key, c->value, &b);
	ck_assert_msg(r == c->ret, "case %d: ret %d", _i, r);
	if (r == 1)
		ck_assert_str_eq(buf_str(&b) + 2, c->want);
	else
		ck_assert_str_eq(buf_str(&b), "x,");
	buf_free(&b);
}
END_TEST

START_TEST(test_expand_long_keys)
{
	size_t n = 10 * 1024;
	char *key = malloc(n + 16), *want = malloc(2 * n + 16);
	struct buf b;
	memset(key, 'a', n);
	strcpy(key + n, "@x.org");
	buf_init(&b, 0);
	ck_assert_int_eq(mysql_table_expand_query("'%s'", key, &b), 1);
	ck_assert_uint_eq(b.len, n + 8);
	ck_assert_int_eq(mysql_table_expand_query("%u", key, &b), 1);
	/* every byte a quote: doubled */
	memset(key, '\'', n);
	key[n] = '\0';
	memset(want, '\'', 2 * n);
	want[2 * n] = '\0';
	buf_reset(&b);
	ck_assert_int_eq(mysql_table_expand_query("%s", key, &b), 1);
	ck_assert_str_eq(buf_str(&b), want);
	/* a bounded buffer overflows with the sticky error, never more */
	struct buf small;
	buf_init(&small, 100);
	ck_assert_int_eq(mysql_table_expand_query("%s", key, &small), 1);
	ck_assert(buf_error(&small));
	ck_assert_uint_le(small.len, 100);
	/* all bytes 1..255 survive or are escaped, none disappear */
	for (int i = 1; i < 256; i++)
		key[i - 1] = (char)i;
	key[255] = '\0';
	buf_reset(&b);
	ck_assert_int_eq(mysql_table_expand_query("%s", key, &b), 1);
	ck_assert_uint_eq(b.len, 255 + 5); /* ' \ \n \r ^Z each take 2 bytes */
	buf_free(&small);
	buf_free(&b);
	free(key);
	free(want);
}
END_TEST

static char tmpdir[64];

static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len ? len : strlen(text), f), len ? len : strlen(text));
	fclose(f);
	return path;
}

static void setup_dir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_mysql_table.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

#define PFA_HEAD "user = postfix\npassword = secret\nhosts = 127.0.0.1\ndbname = postfix\n"
#define SEED2_HEAD "user = postfixadmin\npassword = Qaz@123\nhosts = localhost\ndbname = postfixadmin\n"
#define SEED4_HEAD "user = mail_user\npassword = your_database_password\nhosts = 127.0.0.1\n" \
		   "dbname = your_database\n"

/* Map files as PostfixAdmin documents them and as the seed guides write them. */
static const char *const good_files[] = {
	PFA_HEAD "query = SELECT domain FROM domain WHERE domain='%s' AND active = '1'\n",
	PFA_HEAD "query = SELECT goto FROM alias WHERE address='%s' AND active = '1'\n",
	PFA_HEAD "query = SELECT goto FROM alias,alias_domain WHERE alias_domain.alias_domain = '%d' "
		 "and alias.address = CONCAT('%u', '@', alias_domain.target_domain) AND "
		 "alias.active='1' AND alias_domain.active='1'\n",
	PFA_HEAD "query = SELECT goto FROM alias,alias_domain WHERE alias_domain.alias_domain = '%d' "
		 "and alias.address = CONCAT('@', alias_domain.target_domain) AND alias.active='1' "
		 "AND alias_domain.active='1'\n",
	PFA_HEAD "query = SELECT maildir FROM mailbox WHERE username='%s' AND active = '1'\n",
	PFA_HEAD "query = SELECT maildir FROM mailbox,alias_domain WHERE alias_domain.alias_domain "
		 "= '%d' and mailbox.username = CONCAT('%u', '@', alias_domain.target_domain) AND "
		 "mailbox.active='1' AND alias_domain.active='1'\n",
	PFA_HEAD "query = SELECT domain FROM domain WHERE domain='%s' AND active = '1' AND "
		 "(transport LIKE 'smtp%%' OR transport LIKE 'relay%%')\n",
	PFA_HEAD "query = SELECT REPLACE(transport, 'virtual', ':') AS transport FROM domain WHERE "
		 "domain='%s' AND active = '1'\n",
	PFA_HEAD "query = SELECT username FROM mailbox WHERE username = '%s' AND active = '1'\n",
	PFA_HEAD "query = SELECT quota FROM mailbox WHERE username='%s' AND active = '1'\n",
	SEED2_HEAD "query = SELECT domain FROM domain WHERE domain='%s' AND active = '1'\n",
	SEED2_HEAD "query = SELECT maildir FROM mailbox,alias_domain WHERE alias_domain.alias_domain "
		   "= '%d' and mailbox.username = CONCAT('%u', '@', alias_domain.target_domain) AND "
		   "mailbox.active = 1 AND alias_domain.active='1'\n",
	SEED2_HEAD "query = SELECT goto FROM alias,alias_domain WHERE alias_domain.alias_domain = "
		   "'%d' and alias.address = CONCAT('@', alias_domain.target_domain) AND alias.active "
		   "= 1 AND alias_domain.active='1'\n",
	SEED4_HEAD "query = SELECT 1 FROM mail_domains WHERE domain_name = '%s' AND is_verified = 1 "
		   "AND deleted_at IS NULL\n",
	SEED4_HEAD "query = SELECT 1 FROM mail_mailboxes WHERE email = '%s' AND is_active = 1 AND "
		   "deleted_at IS NULL\n",
	SEED4_HEAD "query = SELECT destination_email FROM mail_aliases WHERE alias_email = '%s' AND "
		   "is_active = 1\n",
	/* syntax variants */
	"# comment\n\n   # indented comment\nhosts = unix:/run/mysqld/mysqld.sock, inet:db1:3306 "
	"db2\nquery = SELECT goto\n    FROM alias\n# comment inside\n\n\tWHERE address='%s'\n",
	"hosts=127.0.0.1\nquery=SELECT 1 WHERE a='%s'\r\nuser=\npassword =\n",
	"hosts = 127.0.0.1\nselect_field = goto\ntable = alias\nwhere_field = address\n"
	"additional_conditions = AND active = '1'\n",
	"hosts = 127.0.0.1\nselect_field = goto\ntable = alias\nwhere_field = address\n",
	"hosts = 127.0.0.1\nquery = SELECT 1\nresult_format = smtp:[%s] %u %d %S %U %D %1 %%\n"
	"expansion_limit = 1\ndomain = example.com, example.org !x.org\ncharset = latin1\n"
	"retry_interval = 30\nidle_interval = 1m\nrequire_result_set = no\ntls_verify_cert = yes\n"
	"tls_CAfile = /etc/ssl/ca.pem\ntls_CApath = /etc/ssl/certs\ntls_cert_file = /c.pem\n"
	"tls_key_file = /k.pem\ntls_ciphers = HIGH\noption_file = /etc/my.cnf\noption_group = x\n",
	"hosts = 127.0.0.1\nquery = SELECT 1\nno_such_setting = 1\nsleep = 5\n", /* warnings */
	" query = %x\nhosts = h\nquery = SELECT 1\n", /* leading whitespace: skipped */
	"hosts = h\nquery = %x\nquery = SELECT '%s'\n", /* the last one wins */
	"query = SELECT '%s'\n",			/* no hosts: localhost */
	"hosts = inet:[::1]:3306\nquery = CALL lookup('%s')\n",
};

START_TEST(test_good_files)
{
	char err[256] = "";
	const char *path = write_file("good.cf", good_files[_i], 0);
	struct mysql_table *t = mysql_table_open(path, err, sizeof(err));
	ck_assert_msg(t != NULL, "file %d: %s", _i, err);
	ck_assert_str_eq(mysql_table_path(t), path);
	mysql_table_free(&t);
	ck_assert_ptr_null(t);
	mysql_table_free(&t); /* NULL is fine */
}
END_TEST

struct badfile {
	const char *text;
	size_t len;
	const char *err; /* expected suffix of "path<err>" */
};

static const struct badfile bad_files[] = {
	{ "hosts = h\n", 0, ": missing query" },
	{ "hosts = h\nquery =\n", 0, ": missing query" },
	{ "hosts = h\nquery = SELECT %x\n", 0, ":2: invalid query template (unknown % expansion)" },
	{ "hosts = h\nquery = SELECT\n  '%s' %\n", 0, ":2: invalid query template (unknown % expansion)" },
	{ "hosts = h\nquery = SELECT '%s'\n\n#c\n %z\n", 0, ":2: invalid query template (unknown % expansion)" },
	{ "hosts = h\nquery = SELECT 1\nresult_format = %v\n", 0,
	  ":3: invalid result_format (unknown % expansion)" },
	{ "hosts = h\nquery SELECT 1\n", 0, ":2: missing '=' after attribute name" },
	{ "hosts = h\nquery = a\njunk\n", 0, ":3: missing '=' after attribute name" },
	{ "hosts = h\nquery = a\nexpansion_limit = x\n", 0, ":3: bad expansion_limit" },
	{ "hosts = h\nquery = a\nexpansion_limit = -1\n", 0, ":3: bad expansion_limit" },
	{ "hosts = h\nquery = a\nretry_interval = 10x\n", 0, ":3: bad retry_interval" },
	{ "hosts = h\nquery = a\nidle_interval = \n", 0, ":3: bad idle_interval" },
	{ "hosts = h\nquery = a\ntls_verify_cert = maybe\n", 0, ":3: bad tls_verify_cert" },
	{ "hosts = h\nquery = a\nrequire_result_set = 2\n", 0, ":3: bad require_result_set" },
	{ "hosts = h\nquery = a\ndomain = hash:/etc/postfix/domains\n", 0,
	  ":3: domain: a table or file reference is not supported (list the domains)" },
	{ "hosts = h\nquery = a\ndomain = a.org /etc/x\n", 0,
	  ":3: domain: a table or file reference is not supported (list the domains)" },
	{ "hosts = h\ntable = alias\nselect_field = goto\n", 0,
	  ": no query, and the obsolete form needs table, select_field and where_field" },
	{ "hosts = h\nquery = a\0b\n", sizeof("hosts = h\nquery = a\0b\n") - 1, ":2: NUL byte in line" },
	{ "hosts = a b c d e f g h i j k l m n o p q\nquery = a\n", 0, ":1: too many hosts" },
};

START_TEST(test_bad_files)
{
	char err[256] = "", want[256];
	const struct badfile *c = &bad_files[_i];
	const char *path = write_file("bad.cf", c->text, c->len);
	struct mysql_table *t = mysql_table_open(path, err, sizeof(err));
	ck_assert_msg(t == NULL, "file %d opened", _i);
	snprintf(want, sizeof(want), "%s%s", path, c->err);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_missing_file)
{
	char err[256] = "", path[128];
	snprintf(path, sizeof(path), "%s/none.cf", tmpdir);
	ck_assert_ptr_null(mysql_table_open(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	ck_assert_ptr_null(mysql_table_open(tmpdir, err, sizeof(err))); /* a directory */
}
END_TEST

START_TEST(test_bad_host)
{
	char err[256] = "";
	const char *path = write_file("h.cf", "hosts = inet:[::1\nquery = SELECT 1\n", 0);
	ck_assert_ptr_null(mysql_table_open(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

/* A server that refuses connections: whatever is queried is TEMP, so
 * NOTFOUND proves the query was suppressed before the database. */
struct scase {
	const char *extra, *key;
	enum dir_result want;
};

static const struct scase scases[] = {
	{ "query = SELECT '%s'\n", "a@b", DIR_TEMP },
	{ "query = SELECT '%s'\n", "", DIR_NOTFOUND },
	{ "query = SELECT '%s'\n", "\xff@b", DIR_NOTFOUND },		/* not UTF-8 */
	{ "query = SELECT '%s'\n", "\xc3\xa9@b", DIR_TEMP },		/* é */
	{ "query = SELECT '%s'\n", "\xc0\xaf@b", DIR_NOTFOUND },	/* overlong */
	{ "query = SELECT '%s'\n", "\xed\xa0\x80@b", DIR_NOTFOUND },	/* surrogate */
	{ "query = SELECT '%d'\n", "user", DIR_NOTFOUND },
	{ "query = SELECT '%d'\n", "u@d", DIR_TEMP },
	{ "query = SELECT '%u'\n", "@d", DIR_NOTFOUND },
	{ "query = SELECT '%3'\n", "u@a.b", DIR_NOTFOUND },
	{ "query = SELECT '%3'\n", "u@a.b.c", DIR_TEMP },
	{ "query = SELECT '%s'\nresult_format = %D\n", "user", DIR_NOTFOUND },
	{ "query = SELECT '%s'\nresult_format = %D\n", "u@d", DIR_TEMP },
	{ "query = SELECT '%s'\nresult_format = %u\n", "user", DIR_TEMP }, /* value side */
	{ "query = SELECT '%s'\ndomain = example.com EXAMPLE.org\n", "a@example.com", DIR_TEMP },
	{ "query = SELECT '%s'\ndomain = example.com EXAMPLE.org\n", "a@Example.ORG", DIR_TEMP },
	{ "query = SELECT '%s'\ndomain = example.com EXAMPLE.org\n", "a@other.com", DIR_NOTFOUND },
	{ "query = SELECT '%s'\ndomain = example.com EXAMPLE.org\n", "example.com", DIR_NOTFOUND },
	{ "query = SELECT '%s'\ndomain = example.com EXAMPLE.org\n", "@example.com", DIR_NOTFOUND },
	{ "query = SELECT '%s'\ndomain = example.com EXAMPLE.org\n", "a@sub.example.com",
	  DIR_NOTFOUND },
	{ "query = SELECT '%s'\ndomain = !bad.com, bad.com good.com\n", "a@bad.com", DIR_NOTFOUND },
	{ "query = SELECT '%s'\ndomain = !bad.com, bad.com good.com\n", "a@good.com", DIR_TEMP },
};

START_TEST(test_lookup_suppressed)
{
	char text[512], err[256] = "", out[64] = "junk";
	const struct scase *c = &scases[_i];
	snprintf(text, sizeof(text), "hosts = inet:127.0.0.1:1\nuser = u\npassword = p\n%s", c->extra);
	struct mysql_table *t = mysql_table_open(write_file("s.cf", text, 0), err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_int_eq(mysql_table_lookup(t, c->key, out, sizeof(out)), c->want);
	ck_assert_str_eq(out, "");
	/* twice: the error is logged once, the answer stays */
	ck_assert_int_eq(mysql_table_lookup(t, c->key, out, sizeof(out)), c->want);
	mysql_table_free(&t);
}
END_TEST

#define LIVE_SQL \
	"CREATE DATABASE IF NOT EXISTS mt;\n" \
	"CREATE TABLE mt.alias (address VARCHAR(255), goto TEXT, active TINYINT);\n" \
	"INSERT INTO mt.alias VALUES ('a@x.org','b@x.org,c@x.org',1), ('multi@x.org','m1@y',1),\n" \
	" ('multi@x.org','m2@y',1), ('null@x.org',NULL,1), ('empty@x.org','',1),\n" \
	" ('o''q\\\\@x.org','quoted@y',1), ('off@x.org','z@y',0);\n"

/* Live tests: a private mariadbd from tests/tools/mariadb-private.sh
 * (skipped, with a note, when it cannot run here). */
static char live_dir[64], live_sock[128];
static bool live_ok;

static int live_sql(const char *sql)
{
	char path[192];
	snprintf(path, sizeof(path), "%s/in.sql", live_dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(sql, f);
	fclose(f);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "mariadb --no-defaults --socket='%s' -uroot < '%s'", live_sock, path);
	return system(cmd) == 0 ? 0 : -1;
}

static void live_start(void)
{
	const char *src = getenv("TERN_SRC");
	char cmd[512];
	live_ok = false;
	snprintf(live_dir, sizeof(live_dir), "/tmp/tern-live.XXXXXX");
	if (!src || !mkdtemp(live_dir) || access("/usr/sbin/mariadbd", X_OK) != 0) {
		fprintf(stderr, "live tests skipped: no TERN_SRC or mariadbd\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/tools/mariadb-private.sh' start '%s' 2>&1", src,
		 live_dir);
	FILE *p = popen(cmd, "r");
	if (!p || !fgets(live_sock, sizeof(live_sock), p)) {
		if (p)
			pclose(p);
		fprintf(stderr, "live tests skipped: mariadb-private.sh start failed\n");
		return;
	}
	live_sock[strcspn(live_sock, "\n")] = '\0';
	live_ok = pclose(p) == 0 && live_sql(LIVE_SQL) == 0;
	if (!live_ok)
		fprintf(stderr, "live tests skipped: server did not start (%s)\n", live_sock);
}

static void live_stop(void)
{
	char cmd[512];
	const char *src = getenv("TERN_SRC");
	if (src && live_dir[0]) {
		snprintf(cmd, sizeof(cmd), "sh '%s/tests/tools/mariadb-private.sh' stop '%s'; rm -rf '%s'",
			 src, live_dir, live_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "live server stop failed\n");
	}
}

/* A file in live_dir with "hosts"/"connect" pointing at the server. */
static const char *live_file(const char *pre, const char *post, const char *body)
{
	static char path[192];
	snprintf(path, sizeof(path), "%s/f.conf", live_dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(pre, f);
	fputs(live_sock, f);
	fputs(post, f);
	fputs(body, f);
	fclose(f);
	return path;
}

#define MT_HEAD "hosts = unix:", "\nuser = tern\npassword = tern-test-pw\ndbname = mt\n"

struct lcase {
	const char *body, *key;
	size_t outsize; /* 0 = 256 */
	enum dir_result want;
	const char *out;
};

#define ALIAS_Q "query = SELECT goto FROM alias WHERE address='%s' AND active = '1' ORDER BY goto\n"
static const struct lcase lcases[] = {
	{ ALIAS_Q, "a@x.org", 0, DIR_FOUND, "b@x.org,c@x.org" },
	{ ALIAS_Q, "A@X.ORG", 0, DIR_FOUND, "b@x.org,c@x.org" }, /* the collation folds */
	{ ALIAS_Q, "multi@x.org", 0, DIR_FOUND, "m1@y,m2@y" },
	{ ALIAS_Q, "null@x.org", 0, DIR_NOTFOUND, "" },
	{ ALIAS_Q, "empty@x.org", 0, DIR_NOTFOUND, "" },
	{ ALIAS_Q, "off@x.org", 0, DIR_NOTFOUND, "" },
	{ ALIAS_Q, "none@x.org", 0, DIR_NOTFOUND, "" },
	{ ALIAS_Q, "o'q\\@x.org", 0, DIR_FOUND, "quoted@y" },
	{ ALIAS_Q, "x' OR '1'='1", 0, DIR_NOTFOUND, "" },
	{ ALIAS_Q, "x\\' OR 1=1 -- ", 0, DIR_NOTFOUND, "" },
	{ ALIAS_Q, "a@x.org", 15, DIR_TEMP, "" },		/* out too small */
	{ ALIAS_Q, "a@x.org", 16, DIR_FOUND, "b@x.org,c@x.org" },
	{ ALIAS_Q "result_format = smtp:[%s]\n", "multi@x.org", 0, DIR_FOUND,
	  "smtp:[m1@y],smtp:[m2@y]" },
	{ ALIAS_Q "result_format = %u+%U@%d\n", "multi@x.org", 0, DIR_FOUND, "m1+multi@y,m2+multi@y" },
	{ ALIAS_Q "expansion_limit = 1\n", "multi@x.org", 0, DIR_TEMP, "" },
	{ ALIAS_Q "expansion_limit = 2\n", "multi@x.org", 0, DIR_FOUND, "m1@y,m2@y" },
	{ ALIAS_Q "domain = x.org\n", "multi@x.org", 0, DIR_FOUND, "m1@y,m2@y" },
	{ "query = SELECT goto, address FROM alias WHERE address='%s' ORDER BY goto\n",
	  "multi@x.org", 0, DIR_FOUND, "m1@y,multi@x.org,m2@y,multi@x.org" },
	{ "query = SELECT NULL, goto FROM alias WHERE address='%s'\n", "a@x.org", 0, DIR_FOUND,
	  "b@x.org,c@x.org" },
	{ "select_field = goto\ntable = alias\nwhere_field = address\n"
	  "additional_conditions = AND active = '1'\n", "off@x.org", 0, DIR_NOTFOUND, "" },
	{ "select_field = goto\ntable = alias\nwhere_field = address\n", "off@x.org", 0, DIR_FOUND,
	  "z@y" },
	{ "query = SELECT goto FROM no_such_table WHERE a='%s'\n", "a@x.org", 0, DIR_TEMP, "" },
	{ "query = SELEC garbage '%s'\n", "a@x.org", 0, DIR_TEMP, "" },
};

START_TEST(test_live_lookup)
{
	const struct lcase *c = &lcases[_i];
	char err[256] = "", out[256];
	if (!live_ok)
		return;
	struct mysql_table *t = mysql_table_open(live_file(MT_HEAD, c->body), err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	enum dir_result r = mysql_table_lookup(t, c->key, out, c->outsize ? c->outsize : sizeof(out));
	ck_assert_msg(r == c->want, "case %d: %d", _i, r);
	ck_assert_str_eq(out, c->out);
	mysql_table_free(&t);
}
END_TEST

int main(void)
{
	log_use_fd("test", 2);
	log_set_level(LOG_LEVEL_ERROR);
	Suite *s = suite_create("mysql_table");
	TCase *tc = tcase_create("expand");
	tcase_add_loop_test(tc, test_expand_query, 0, sizeof(qcases) / sizeof(qcases[0]));
	tcase_add_loop_test(tc, test_format_result, 0, sizeof(rcases) / sizeof(rcases[0]));
	tcase_add_test(tc, test_expand_long_keys);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_loop_test(tc, test_good_files, 0, sizeof(good_files) / sizeof(good_files[0]));
	tcase_add_loop_test(tc, test_bad_files, 0, sizeof(bad_files) / sizeof(bad_files[0]));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_bad_host);
	tcase_add_loop_test(tc, test_lookup_suppressed, 0, sizeof(scases) / sizeof(scases[0]));
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	tc = tcase_create("live");
	tcase_add_unchecked_fixture(tc, live_start, live_stop);
	tcase_add_loop_test(tc, test_live_lookup, 0, sizeof(lcases) / sizeof(lcases[0]));
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
