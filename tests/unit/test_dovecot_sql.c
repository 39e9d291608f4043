/* test_dovecot_sql: dovecot-sql.conf.ext: the variable/modifier table
 * (2.3 and 2.4 forms, escaping, hostile and 10 KB users), good files
 * (PostfixAdmin's and the seed guides' as fixtures, "\" continuations,
 * quoted connect values) and bad ones with their "file:line" errors, and
 * lookups against a refusing server (TEMP, never NOTFOUND). */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dovecot_sql.h"
#include "log.h"

static const struct dsql_vars V = {
	.user = "Alice@Example.COM", .service = "imap", .rip = "192.0.2.1", .lip = "198.51.100.2"
};

struct ecase {
	const char *tmpl;
	const char *user; /* NULL = V.user */
	int ret;
	const char *want; /* or the error's expected substring */
};

static const struct ecase ecases[] = {
	{ "%u", NULL, 0, "Alice@Example.COM" },
	{ "%n", NULL, 0, "Alice" },
	{ "%d", NULL, 0, "Example.COM" },
	{ "%s|%r|%l", NULL, 0, "imap|192.0.2.1|198.51.100.2" },
	{ "%%u", NULL, 0, "%u" },
	{ "100%%", NULL, 0, "100%" },
	{ "%Lu", NULL, 0, "alice@example.com" },
	{ "%Ud", NULL, 0, "EXAMPLE.COM" },
	{ "%Ln/%Ld", NULL, 0, "alice/example.com" },
	{ "%LUu", NULL, 0, "ALICE@EXAMPLE.COM" }, /* applied in order */
	{ "%{user}", NULL, 0, "Alice@Example.COM" },
	{ "%{username}@%{domain}", NULL, 0, "Alice@Example.COM" },
	{ "%L{user}", NULL, 0, "alice@example.com" },
	{ "%{service} %{rip} %{lip}", NULL, 0, "imap 192.0.2.1 198.51.100.2" },
	{ "%{protocol} %{remote_ip} %{local_ip}", NULL, 0, "imap 192.0.2.1 198.51.100.2" },
	{ "%{orig_user} %{real_rip}", NULL, 0, "Alice@Example.COM 192.0.2.1" },
	{ "%{user | lower}", NULL, 0, "alice@example.com" },
	{ "%{user|upper}", NULL, 0, "ALICE@EXAMPLE.COM" },
	{ "%{user | domain}", NULL, 0, "Example.COM" },
	{ "%{user | username | lower}", NULL, 0, "alice" },
	{ "%{ user }", NULL, 0, "Alice@Example.COM" },
	{ "%u", "bob", 0, "bob" },
	{ "%n|%d", "bob", 0, "bob|" },		/* no '@': %d is empty */
	{ "%n|%d", "a@b@c", 0, "a|b@c" },	/* the first '@' splits */
	{ "%Tu|", "pad  \t", 0, "pad|" },
	{ "%u", "o'hara\\x", 0, "o''hara\\\\x" },
	{ "%u", "x' OR '1'='1", 0, "x'' OR ''1''=''1" },
	{ "%u", "a\nb\032", 0, "a\\nb\\Z" },
	{ "%{user | lower}", "O'X", 0, "o''x" },
	{ "%u", "", 0, "" },
	{ "plain text", NULL, 0, "plain text" },
	{ "SELECT username AS user,password FROM mailbox WHERE username = '%u' AND active='1'",
	  "a@b.org", 0,
	  "SELECT username AS user,password FROM mailbox WHERE username = 'a@b.org' AND active='1'" },
	{ "AND (('%s' = 'smtp' AND smtp_active = '1') OR ('%s' <> 'smtp' AND active = '1'))",
	  NULL, 0, "AND (('imap' = 'smtp' AND smtp_active = '1') OR ('imap' <> 'smtp' AND active = '1'))" },
	{ "'maildir:/var/mail/vhosts/%d/%n' as mail", "u@d.org", 0,
	  "'maildir:/var/mail/vhosts/d.org/u' as mail" },
	{ "%w", NULL, -1, "unknown variable 'w'" },
	{ "%x", NULL, -1, "unknown variable 'x'" },
	{ "%Eu", NULL, -1, "unknown variable 'E'" },
	{ "%1.2u", NULL, -1, "unknown variable '1'" },
	{ "%", NULL, -1, "unknown variable '%'" },
	{ "abc%L", NULL, -1, "unknown variable" },
	{ "%{foo}", NULL, -1, "unknown variable 'foo'" },
	{ "%{passdb:x}", NULL, -1, "unknown variable 'passdb:x'" },
	{ "%{user | bogus}", NULL, -1, "unknown filter 'bogus'" },
	{ "%{user | default('x')}", NULL, -1, "unknown filter" },
	{ "%{user", NULL, -1, "unterminated variable" },
	{ "%{}", NULL, -1, "unknown variable ''" },
};

START_TEST(test_expand)
{
	const struct ecase *c = &ecases[_i];
	struct dsql_vars v = V;
	struct buf b;
	char err[128] = "junk";
	if (c->user)
		v.user = c->user;
	buf_init(&b, 0);
	int r = dovecot_sql_expand(c->tmpl, &v, &b, err, sizeof(err));
	ck_assert_msg(r == c->ret, "case %d: ret %d (%s)", _i, r, err);
	if (r == 0)
		ck_assert_str_eq(buf_str(&b), c->want);
	else
		ck_assert_msg(strstr(err, c->want), "case %d: err %s", _i, err);
	buf_free(&b);
}
END_TEST

START_TEST(test_expand_misc)
{
	struct buf b;
	char err[64], want[32];
	buf_init(&b, 0);
	/* NULL vars and NULL fields expand to "" */
	ck_assert_int_eq(dovecot_sql_expand("[%u|%n|%d|%s|%r|%l]", NULL, &b, err, sizeof(err)), 0);
	ck_assert_str_eq(buf_str(&b), "[|||||]");
	struct dsql_vars none = { 0 };
	buf_reset(&b);
	ck_assert_int_eq(dovecot_sql_expand("%{user | lower}x", &none, &b, err, sizeof(err)), 0);
	ck_assert_str_eq(buf_str(&b), "x");
	buf_reset(&b);
	ck_assert_int_eq(dovecot_sql_expand("%p=%{pid}", &V, &b, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%ld=%ld", (long)getpid(), (long)getpid());
	ck_assert_str_eq(buf_str(&b), want);
	/* a 10 KB user, every byte a quote: all of it, doubled */
	char *u = malloc(10241), *w = malloc(20481);
	memset(u, '\'', 10240);
	u[10240] = '\0';
	memset(w, '\'', 20480);
	w[20480] = '\0';
	struct dsql_vars big = { .user = u };
	buf_reset(&b);
	ck_assert_int_eq(dovecot_sql_expand("%u", &big, &b, err, sizeof(err)), 0);
	ck_assert_str_eq(buf_str(&b), w);
	/* bytes 1..255 in a user: only ' \ CR LF ^Z grow */
	for (int i = 1; i < 256; i++)
		u[i - 1] = (char)i;
	u[255] = '\0';
	buf_reset(&b);
	ck_assert_int_eq(dovecot_sql_expand("%u", &big, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.len, 260);
	/* a long unknown name is cut in the message */
	memset(u, 'z', 1000);
	memcpy(u, "%{", 2);
	strcpy(u + 1000, "}");
	ck_assert_int_eq(dovecot_sql_expand(u, &V, &b, err, sizeof(err)), -1);
	ck_assert_uint_lt(strlen(err), sizeof(err));
	free(u);
	free(w);
	buf_free(&b);
}
END_TEST

static char tmpdir[64];

static const char *write_file(const char *text, size_t len)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/dovecot-sql.conf.ext", tmpdir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len ? len : strlen(text), f), len ? len : strlen(text));
	fclose(f);
	return path;
}

static void setup_dir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_dovecot_sql.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

#define REFUSE "connect = host=127.0.0.1 port=1 dbname=x user=u password=p\n"

static const char *const good_files[] = {
	/* PostfixAdmin's DOVECOT.TXT (2.3) */
	"driver = mysql\n"
	"connect = host=localhost dbname=postfix user=postfix password=secret\n"
	"default_pass_scheme = MD5-CRYPT\n"
	"password_query = SELECT username AS user,password FROM mailbox WHERE username = '%u' "
	"AND active='1'\n"
	"user_query = SELECT CONCAT('/var/mail/vmail/', maildir) AS home, 1001 AS uid, 1001 AS gid, "
	"CONCAT('*:bytes=', quota) AS quota_rule FROM mailbox WHERE username = '%u' AND active='1'\n"
	"iterate_query = SELECT username as user FROM mailbox WHERE active = '1'\n",
	/* seed 004, as written (continuations, a blank line) */
	"driver = mysql\n"
	"connect = host=127.0.0.1 dbname=your_database user=mail_user password=your_database_password\n"
	"\n"
	"default_pass_scheme = SHA512-CRYPT\n"
	"\n"
	"password_query = \\\n"
	"  SELECT email as user, password_hash as password \\\n"
	"  FROM mail_mailboxes \\\n"
	"  WHERE email = '%u' AND is_active = 1 AND deleted_at IS NULL\n"
	"\n"
	"user_query = \\\n"
	"  SELECT \\\n"
	"    email as user, \\\n"
	"    'maildir:/var/mail/vhosts/%d/%n' as mail, \\\n"
	"    5000 AS uid, 5000 AS gid, \\\n"
	"    CONCAT('*:storage=', CAST(storage_quota AS CHAR), 'M') AS quota_rule \\\n"
	"  FROM mail_mailboxes \\\n"
	"  WHERE email = '%u' AND is_active = 1 AND deleted_at IS NULL\n",
	/* seed 002 */
	"driver = mysql\n"
	"connect = host=localhost dbname=postfixadmin user=postfixadmin password=Qaz@123\n"
	"default_pass_scheme = ARGON2I\n"
	"password_query = SELECT username AS user,password FROM mailbox WHERE username = '%u' AND "
	"active='1'\n"
	"user_query = SELECT maildir, 2000 AS uid, 2000 AS gid FROM mailbox WHERE username = '%u' "
	"AND active='1'\n"
	"iterate_query = SELECT username AS user FROM mailbox\n",
	/* smtp_active variant, 2.4-style variables, comments, quoting */
	"# dovecot-sql\r\ndriver = mysql # the driver\r\n"
	"connect = host=/run/mysqld/mysqld.sock host=db2 port=3307 host=::1 dbname=p user=p "
	"password=\"pa ss#w\\\"d\" connect_timeout=3 read_timeout=10 write_timeout=10 "
	"ssl_ca=/etc/ssl/ca.pem ssl_verify_server_cert=yes maxconns=4 client_flags=0\n"
	"password_query = SELECT username AS user, password FROM mailbox WHERE username = "
	"'%{user | lower}' AND (('%s' = 'smtp' AND smtp_active = '1') OR ('%s' <> 'smtp' AND "
	"active = '1')) AND x = '#'   # trailing comment\n"
	"user_query = SELECT '/var/vmail/%{user | domain}/%{user | username}' AS home\n",
	"driver = mysql\nconnect = \"host=localhost dbname=x\"\n", /* defaults for the queries */
	"driver=mysql\nconnect=host=h\nupdate_query = UPDATE x SET y='%u'\nuserdb_warning_disable = yes\n",
	"driver = mysql\nconnect = host=h\npassword_query = SELECT 1 \\\n",	/* "\" at EOF */
	"driver = mysql\nconnect = host=h\n  # indented comment\n\tdriver = mysql\n",
	"driver = mysql\nconnect = host=h dbname=x\ndefault_pass_scheme = MD5\n",
	"driver = mysql\nconnect = hostaddr=192.0.2.7 port=3306\n",
};

START_TEST(test_good_files)
{
	char err[256] = "";
	struct dovecot_sql *d = dovecot_sql_open(write_file(good_files[_i], 0), err, sizeof(err));
	ck_assert_msg(d != NULL, "file %d: %s", _i, err);
	dovecot_sql_free(&d);
	ck_assert_ptr_null(d);
	dovecot_sql_free(&d);
}
END_TEST

struct badfile {
	const char *text;
	size_t len;
	const char *err; /* expected suffix of "path<err>" */
};

#define D "driver = mysql\n"
#define C "connect = host=h\n"
static const struct badfile bad_files[] = {
	{ C, 0, ": driver not set" },
	{ "driver = pgsql\n" C, 0, ":1: driver must be mysql" },
	{ D, 0, ": connect not set" },
	{ D C "foo = bar\n", 0, ":3: unknown setting: foo" },
	{ D C "password_query SELECT 1\n", 0, ":3: expecting '=' (sections are not supported)" },
	{ D C "passdb {\n", 0, ":3: expecting '=' (sections are not supported)" },
	{ D C "password_query = SELECT '%w'\n", 0, ":3: password_query: unknown variable 'w'" },
	{ D C "user_query = \\\n SELECT \\\n '%{bogus}'\n", 0,
	  ":3: user_query: unknown variable 'bogus'" },
	{ D C "iterate_query = SELECT %{user | nope}\n", 0, ":3: iterate_query: unknown filter 'nope'" },
	{ D "connect = host=h foo=bar\n", 0, ":2: connect: unknown connect string setting foo" },
	{ D "connect = host=h dbname\n", 0,
	  ":2: connect: expected name=value (or an unterminated quote)" },
	{ D "connect = host=h password=\"abc\n", 0,
	  ":2: connect: expected name=value (or an unterminated quote)" },
	{ D "connect = host=h password=\"a\"b\n", 0,
	  ":2: connect: expected name=value (or an unterminated quote)" },
	{ D "connect = host=h port=abc\n", 0, ":2: connect: bad value for port" },
	{ D "connect = host=h port=0\n", 0, ":2: connect: bad value for port" },
	{ D "connect = host=h port=65536\n", 0, ":2: connect: bad value for port" },
	{ D "connect = host=\n", 0, ":2: connect: bad value for host" },
	{ D "connect = host=h connect_timeout=-1\n", 0, ":2: connect: bad value for connect_timeout" },
	{ D "connect = host=h ssl_verify_server_cert=maybe\n", 0,
	  ":2: connect: bad value for ssl_verify_server_cert" },
	{ D "connect = host=1 host=2 host=3 host=4 host=5 host=6 host=7 host=8 host=9 host=10 "
	    "host=11 host=12 host=13 host=14 host=15 host=16 host=17\n", 0,
	  ":2: connect: too many hosts in host" },
	{ D C "default_pass_scheme = SOME-VERY-LONG-SCHEME-NAME-THAT-IS-NOT-REAL\n", 0,
	  ":3: default_pass_scheme too long" },
	{ D "connect = host=h\0x\n", sizeof(D "connect = host=h\0x\n") - 1, ":2: NUL byte in line" },
};

START_TEST(test_bad_files)
{
	char err[256] = "", want[256];
	const struct badfile *c = &bad_files[_i];
	const char *path = write_file(c->text, c->len);
	struct dovecot_sql *d = dovecot_sql_open(path, err, sizeof(err));
	ck_assert_msg(d == NULL, "file %d opened", _i);
	snprintf(want, sizeof(want), "%s%s", path, c->err);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_missing_file)
{
	char err[256] = "", path[128];
	snprintf(path, sizeof(path), "%s/none", tmpdir);
	ck_assert_ptr_null(dovecot_sql_open(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
}
END_TEST

static bool count_cb(const char *user, void *ctx)
{
	(void)user;
	(*(int *)ctx)++;
	return true;
}

/* A refusing server: every lookup is TEMP and leaves u empty. */
START_TEST(test_lookups_temp)
{
	char err[256] = "";
	struct dovecot_sql *d = dovecot_sql_open(write_file(D REFUSE, 0), err, sizeof(err));
	struct dir_user u;
	int n = 0;
	ck_assert_msg(d != NULL, "%s", err);
	memset(&u, 0x55, sizeof(u));
	ck_assert_int_eq(dovecot_sql_passdb(d, &V, &u), DIR_TEMP);
	ck_assert_str_eq(u.password, "");
	ck_assert(!u.nopassword);
	ck_assert_int_eq(u.uid, -1);
	ck_assert_int_eq(dovecot_sql_userdb(d, &V, &u), DIR_TEMP);
	ck_assert_int_eq(dovecot_sql_iterate(d, count_cb, &n), DIR_TEMP);
	ck_assert_int_eq(n, 0);
	dovecot_sql_free(&d);
}
END_TEST

#define LIVE_SQL \
	"CREATE DATABASE IF NOT EXISTS ds;\n" \
	"CREATE TABLE ds.mailbox (username VARCHAR(255), password VARCHAR(255), maildir TEXT,\n" \
	" quota BIGINT, active TINYINT);\n" \
	"INSERT INTO ds.mailbox VALUES ('alice@x.org','{PLAIN}pw','x.org/alice/',1000,1),\n" \
	" ('bob@x.org',NULL,'x.org/bob/',0,1);\n"

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

#define DS_HEAD "driver = mysql\nconnect = host=", \
	" dbname=ds user=tern password=\"tern-test-pw\"\n"

#define PFA_PASS "password_query = SELECT username AS user,password FROM mailbox " \
	"WHERE username = '%u' AND active='1'\n"
#define PFA_USER "user_query = SELECT CONCAT('/var/mail/', maildir) AS home, 1001 AS uid, " \
	"'root' AS gid, CONCAT('*:bytes=', quota) AS quota_rule, 'v' AS userdb_foo, NULL AS bar, " \
	"maildir FROM mailbox WHERE username = '%u' AND active='1'\n"

static struct dovecot_sql *live_open(const char *body)
{
	char err[256] = "";
	struct dovecot_sql *d = dovecot_sql_open(live_file(DS_HEAD, body), err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	return d;
}

static bool collect_cb(const char *user, void *ctx)
{
	struct buf *b = ctx;
	buf_printf(b, "%s;", user);
	return true;
}

START_TEST(test_live_postfixadmin)
{
	struct dir_user u;
	struct dsql_vars v = { .user = "ALICE@X.ORG", .service = "imap" };
	struct buf b;
	if (!live_ok)
		return;
	struct dovecot_sql *d = live_open(PFA_PASS PFA_USER
					  "iterate_query = SELECT username AS user FROM mailbox "
					  "ORDER BY username\n");
	ck_assert_int_eq(dovecot_sql_passdb(d, &v, &u), DIR_FOUND);
	ck_assert_str_eq(u.user, "alice@x.org"); /* canonical, from the row */
	ck_assert_str_eq(u.password, "{PLAIN}pw");
	ck_assert_str_eq(u.scheme_default, "MD5-CRYPT");
	ck_assert(!u.nopassword && !u.nologin && !u.nodelay);
	ck_assert_int_eq(dovecot_sql_userdb(d, &v, &u), DIR_FOUND);
	ck_assert_str_eq(u.home, "/var/mail/x.org/alice/");
	ck_assert_int_eq(u.uid, 1001);
	ck_assert_int_eq(u.gid, 0);
	ck_assert_str_eq(u.quota_rule, "*:bytes=1000");
	ck_assert_uint_eq(u.extra_count, 2);
	ck_assert_str_eq(u.extra[0], "foo=v");
	ck_assert_str_eq(u.extra[1], "maildir=x.org/alice/");
	v.user = "bob@x.org"; /* NULL password, no nopassword: refused */
	ck_assert_int_eq(dovecot_sql_passdb(d, &v, &u), DIR_FOUND);
	ck_assert_str_eq(u.password, "");
	ck_assert(u.nologin && !u.nopassword);
	v.user = "nobody@x.org";
	ck_assert_int_eq(dovecot_sql_passdb(d, &v, &u), DIR_NOTFOUND);
	ck_assert_int_eq(dovecot_sql_userdb(d, &v, &u), DIR_NOTFOUND);
	v.user = "x' OR '1'='1";
	ck_assert_int_eq(dovecot_sql_passdb(d, &v, &u), DIR_NOTFOUND);
	buf_init(&b, 0);
	ck_assert_int_eq(dovecot_sql_iterate(d, collect_cb, &b), DIR_FOUND);
	ck_assert_str_eq(buf_str(&b), "alice@x.org;bob@x.org;");
	buf_free(&b);
	dovecot_sql_free(&d);
}
END_TEST

START_TEST(test_live_fields)
{
	struct dir_user u;
	struct dsql_vars v = { .user = "Alice@x.org" };
	struct buf b;
	if (!live_ok)
		return;
	struct dovecot_sql *d = live_open(
		"default_pass_scheme = SHA512-CRYPT\n"
		"password_query = SELECT SUBSTRING_INDEX(username, '@', 1) AS username, 'x.org' AS "
		"domain, password, NULL AS nopassword, 'y' AS nodelay, '10.0.0.0/8' AS allow_nets, "
		"'/h' AS userdb_home, 7 AS userdb_uid, 'r' AS reason FROM mailbox "
		"WHERE username = '%Lu'\n"
		"user_query = SELECT '' AS uid, NULL AS gid, 'no-such-user-xyz' AS userdb_x "
		"FROM mailbox WHERE username = '%Lu'\n"
		"iterate_query = SELECT SUBSTRING_INDEX(username, '@', 1) AS username, 'x.org' AS domain "
		"FROM mailbox ORDER BY username\n");
	ck_assert_int_eq(dovecot_sql_passdb(d, &v, &u), DIR_FOUND);
	ck_assert_str_eq(u.user, "alice@x.org");
	ck_assert_str_eq(u.scheme_default, "SHA512-CRYPT");
	ck_assert(u.nodelay && !u.nopassword && !u.nologin);
	ck_assert_str_eq(u.allow_nets, "10.0.0.0/8");
	ck_assert_str_eq(u.home, "/h");
	ck_assert_int_eq(u.uid, 7);
	ck_assert_uint_eq(u.extra_count, 1);
	ck_assert_str_eq(u.extra[0], "reason=r");
	ck_assert_int_eq(dovecot_sql_userdb(d, &v, &u), DIR_FOUND);
	ck_assert_int_eq(u.uid, -1); /* "" = unset */
	ck_assert_int_eq(u.gid, -1);
	buf_init(&b, 0);
	ck_assert_int_eq(dovecot_sql_iterate(d, collect_cb, &b), DIR_FOUND);
	ck_assert_str_eq(buf_str(&b), "alice@x.org;bob@x.org;");
	buf_free(&b);
	dovecot_sql_free(&d);
}
END_TEST

/* Rows Dovecot calls an internal failure are TEMP. */
static const char *const temp_bodies[] = {
	"password_query = SELECT username AS user FROM mailbox WHERE username = '%u'\n",
	"password_query = SELECT username AS user, password FROM mailbox\n",
	"user_query = SELECT 'no-such-user-xyz' AS uid FROM mailbox WHERE username = '%u'\n",
	"user_query = SELECT '12abc' AS gid FROM mailbox WHERE username = '%u'\n",
	"user_query = SELECT REPEAT('h', 600) AS home FROM mailbox WHERE username = '%u'\n",
	"password_query = SELECT password FROM no_such_table WHERE username = '%u'\n",
	"iterate_query = SELECT maildir FROM mailbox\n",
};

START_TEST(test_live_temp)
{
	struct dir_user u;
	struct dsql_vars v = { .user = "alice@x.org" };
	int n = 0;
	if (!live_ok)
		return;
	struct dovecot_sql *d = live_open(temp_bodies[_i]);
	const char *q = temp_bodies[_i];
	enum dir_result r = q[0] == 'p' ? dovecot_sql_passdb(d, &v, &u)
			  : q[0] == 'u' ? dovecot_sql_userdb(d, &v, &u)
					: dovecot_sql_iterate(d, count_cb, &n);
	ck_assert_int_eq(r, DIR_TEMP);
	dovecot_sql_free(&d);
}
END_TEST

START_TEST(test_live_nopassword)
{
	struct dir_user u;
	struct dsql_vars v = { .user = "bob@x.org" };
	if (!live_ok)
		return;
	struct dovecot_sql *d = live_open(
		"password_query = SELECT NULL AS password, 'Y' AS nopassword FROM mailbox "
		"WHERE username = '%u'\n");
	ck_assert_int_eq(dovecot_sql_passdb(d, &v, &u), DIR_FOUND);
	ck_assert(u.nopassword && !u.nologin);
	dovecot_sql_free(&d);
	/* nopassword with a real password: Dovecot ignores nopassword */
	d = live_open("password_query = SELECT 'x' AS password, 'Y' AS nopassword FROM mailbox "
		      "WHERE username = '%u'\n");
	ck_assert_int_eq(dovecot_sql_passdb(d, &v, &u), DIR_FOUND);
	ck_assert(!u.nopassword);
	ck_assert_str_eq(u.password, "x");
	dovecot_sql_free(&d);
}
END_TEST

int main(void)
{
	log_use_fd("test", 2);
	log_set_level(LOG_LEVEL_ERROR);
	Suite *s = suite_create("dovecot_sql");
	TCase *tc = tcase_create("expand");
	tcase_add_loop_test(tc, test_expand, 0, sizeof(ecases) / sizeof(ecases[0]));
	tcase_add_test(tc, test_expand_misc);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_loop_test(tc, test_good_files, 0, sizeof(good_files) / sizeof(good_files[0]));
	tcase_add_loop_test(tc, test_bad_files, 0, sizeof(bad_files) / sizeof(bad_files[0]));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_lookups_temp);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	tc = tcase_create("live");
	tcase_add_unchecked_fixture(tc, live_start, live_stop);
	tcase_add_test(tc, test_live_postfixadmin);
	tcase_add_test(tc, test_live_fields);
	tcase_add_loop_test(tc, test_live_temp, 0, sizeof(temp_bodies) / sizeof(temp_bodies[0]));
	tcase_add_test(tc, test_live_nopassword);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
