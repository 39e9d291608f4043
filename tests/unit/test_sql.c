/* test_sql: sql_escape tables, host list parsing, target sharing, and live
 * tests against a private mariadbd (tests/tools/mariadb-private.sh, on a
 * mkdtemp dir, stopped at exit): rows, NULLs, aliases, CALL, SQL_PERM,
 * failover and skipping of a dead host, pool limits and timeouts, 8
 * threads x 200 queries, stop/restart/kill -9 of the server. Without
 * mariadbd the live tests fail as root (make check installs it), else skip. */
#include <check.h>
#include <mysql.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "sql.h"

#define DB_USER "tern"
#define DB_PASSWORD "tern-test-pw"

static char live_dir[64], live_sock[128], live_helper[1024], live_why[4096];
static unsigned live_port;
static pid_t main_pid;
static char logpath[160];

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* ---- escaping ---- */

struct esc_case { const char *in; size_t inlen; const char *want; size_t wantlen; };
#define E(a, b) { a, sizeof(a) - 1, b, sizeof(b) - 1 }
static const struct esc_case esc_cases[] = {
	E("", ""), E("abc", "abc"), E("'", "''"), E("a'b''c", "a''b''''c"),
	E("\\", "\\\\"), E("\\'", "\\\\''"), E("a\0b", "a\\0b"), E("\0", "\\0"),
	E("\r\n", "\\r\\n"), E("\032", "\\Z"), E("%_*?", "%_*?"), E("\"`;--", "\"`;--"),
	E("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
	E("\xff\xfe\x80", "\xff\xfe\x80"), E("' OR '1'='1", "'' OR ''1''=''1"),
	E("\\' OR 1=1 -- ", "\\\\'' OR 1=1 -- "), E("x\t\x01\x7f", "x\t\x01\x7f"),
};

START_TEST(test_escape_table)
{
	const struct esc_case *c = &esc_cases[_i];
	struct buf b;
	buf_init(&b, 0);
	buf_append_str(&b, "<");
	sql_escape(&b, c->in, c->inlen);
	ck_assert(!buf_error(&b));
	ck_assert_uint_eq(b.len, c->wantlen + 1);
	ck_assert_mem_eq(b.data + 1, c->want, c->wantlen);
	buf_free(&b);
}
END_TEST

START_TEST(test_escape_big)
{
	char in[10240];
	struct buf b;
	for (size_t i = 0; i < sizeof(in); i += 4)
		memcpy(in + i, "a'\\\0", 4);
	buf_init(&b, 0);
	sql_escape(&b, in, sizeof(in));
	ck_assert(!buf_error(&b));
	ck_assert_uint_eq(b.len, sizeof(in) / 4 * 7);
	for (size_t i = 0; i < b.len; i += 7)
		ck_assert_mem_eq(b.data + i, "a''\\\\\\0", 7);
	buf_free(&b);
	buf_init(&b, 5);	/* the limit is honoured */
	sql_escape(&b, "''''", 4);
	ck_assert(buf_error(&b));
	buf_free(&b);
}
END_TEST

/* ---- settings and hosts (no server) ---- */

static struct sql_settings one_host(const char *host)
{
	struct sql_settings s = { .nhosts = 1, .user = DB_USER, .password = DB_PASSWORD,
				  .dbname = "terntest", .connect_timeout_s = 2 };
	s.hosts[0] = host;
	return s;
}

static const char *good_hosts[] = {
	"localhost", "LOCALHOST", "inet:localhost", "127.0.0.1", "127.0.0.1:3306",
	"inet:db.example.org:3307", "[::1]:3306", "inet:[::1]", "::1", "db-1.example",
	"unix:/var/run/mysqld/mysqld.sock", "/tmp/x.sock",
};
static const char *bad_hosts[] = {
	"", "inet:", ":3306", "host:", "host:0", "host:65536", "host:12a", "host:99999999",
	"[::1", "[::1]x", "[::1]:", "inet:[]:1", "unix:", "unix:relative", "ho st", "host\n",
	"inet:/path", "h\x01", "unix:/a\nb",
	("unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
};

START_TEST(test_hosts_good)
{
	struct sql_settings s = one_host(good_hosts[_i]);
	char err[256] = "";
	struct sql_db *db = sql_db_get(&s, err, sizeof(err));
	ck_assert_msg(db != NULL, "%s: %s", good_hosts[_i], err);
	sql_db_put(&db);
	ck_assert_ptr_null(db);
}
END_TEST

START_TEST(test_hosts_bad)
{
	struct sql_settings s = one_host("localhost");
	char err[256] = "";
	s.hosts[1] = bad_hosts[_i];	/* second place: the whole list is checked */
	s.nhosts = 2;
	ck_assert_msg(sql_db_get(&s, err, sizeof(err)) == NULL, "accepted %s", bad_hosts[_i]);
	ck_assert_msg(strstr(err, "bad sql host") != NULL, "%s", err);
}
END_TEST

START_TEST(test_settings_bad)
{
	struct sql_settings s = one_host("localhost");
	char err[128] = "";
	s.nhosts = 0;
	ck_assert_ptr_null(sql_db_get(&s, err, sizeof(err)));
	ck_assert(err[0] != '\0');
	s.nhosts = SQL_MAX_HOSTS + 1;
	ck_assert_ptr_null(sql_db_get(&s, err, sizeof(err)));
	s.nhosts = 2;	/* hosts[1] NULL */
	ck_assert_ptr_null(sql_db_get(&s, err, sizeof(err)));
	ck_assert_ptr_null(sql_db_get(NULL, NULL, 0));
}
END_TEST

START_TEST(test_shared)
{
	char h1[] = "unix:/nonexistent/a.sock", h2[] = "unix:/nonexistent/a.sock";
	char u1[] = DB_USER, u2[] = DB_USER, err[128];
	struct sql_settings a = one_host(h1), b = one_host(h2);
	a.user = u1;
	b.user = u2;
	b.charset = "utf8mb4";	/* the default, spelled out */
	b.max_connections = 8;
	struct sql_db *d1 = sql_db_get(&a, err, sizeof(err)), *d2 = sql_db_get(&b, err, sizeof(err));
	ck_assert_ptr_nonnull(d1);
	ck_assert_ptr_eq(d1, d2);
	b.password = "other";
	struct sql_db *d3 = sql_db_get(&b, err, sizeof(err));
	ck_assert_ptr_nonnull(d3);
	ck_assert_ptr_ne(d1, d3);
	b.password = a.password;
	b.tls_required = true;
	struct sql_db *d4 = sql_db_get(&b, err, sizeof(err));
	ck_assert_ptr_ne(d1, d4);
	sql_db_put(&d2);
	struct sql_db *d5 = sql_db_get(&a, err, sizeof(err));	/* still registered */
	ck_assert_ptr_eq(d1, d5);
	sql_db_put(&d1);
	sql_db_put(&d3);
	sql_db_put(&d4);
	sql_db_put(&d5);
	sql_db_put(&d5);	/* NULL: no-op */
}
END_TEST

static int count_in_log(const char *needle)
{
	char line[4096];
	int n = 0;
	FILE *f = fopen(logpath, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

START_TEST(test_dead_host)
{
	struct sql_settings s = one_host("unix:/nonexistent/tern.sock");
	struct sql_result *res = (void *)1;
	char err[256];
	struct sql_db *db = sql_db_get(&s, err, sizeof(err));
	ck_assert_ptr_nonnull(db);	/* lazily: no error yet */
	for (int i = 0; i < 3; i++) {
		long t0 = now_ms();
		ck_assert_int_eq(sql_query(db, "SELECT 1", &res, err, sizeof(err)), SQL_TEMP);
		ck_assert_ptr_null(res);
		ck_assert_int_lt(now_ms() - t0, 3000); /* bounded; slack for a loaded CI box */
		ck_assert_msg(strstr(err, "/nonexistent/tern.sock") != NULL, "%s", err);
	}
	ck_assert_int_eq(sql_query(db, "SELECT 1", &res, NULL, 0), SQL_TEMP);
	/* Down once, logged once, without the password. */
	ck_assert_int_eq(count_in_log("sql-connect-failed host=unix:/nonexistent/tern.sock"), 1);
	ck_assert_int_eq(count_in_log(DB_PASSWORD), 0);
	sql_db_put(&db);
}
END_TEST

START_TEST(test_result_get_edge)
{
	bool present = true;
	ck_assert_ptr_null(sql_result_get(NULL, 0, "x", &present));
	ck_assert(!present);
	sql_result_free(NULL);
	struct sql_result *res = NULL;
	sql_result_free(&res);
}
END_TEST

static void log_setup(void)
{
	snprintf(logpath, sizeof(logpath), "/tmp/tern-test-sql-%ld.log", (long)getpid());
	unlink(logpath);
	ck_assert_int_eq(log_open("test_sql", logpath), 0);
}

static void log_teardown(void)
{
	log_close();
	unlink(logpath);
	mysql_library_end();
}

/* ---- the private server ---- */

static char live_unix[160], live_tcp[64];

static void live_stop(void)
{
	char cmd[1400];
	if (!live_dir[0] || getpid() != main_pid)
		return;
	snprintf(cmd, sizeof(cmd), "'%s' stop '%s' >/dev/null 2>&1; rm -rf '%s'", live_helper,
		 live_dir, live_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_sql: stopping the server in %s failed\n", live_dir);
	live_dir[0] = '\0';
}

static void live_signal(int sig)
{
	live_stop();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Run the helper: "VERB DIR [tcp PORT]"; 0 when it exits 0. */
static int helper(const char *verb, char *out, size_t outsize)
{
	char cmd[1400], tail[64] = "";
	size_t n = 0;
	if (strcmp(verb, "start") == 0)
		snprintf(tail, sizeof(tail), "tcp %u", live_port);
	snprintf(cmd, sizeof(cmd), "'%s' %s '%s' %s 2>&1", live_helper, verb, live_dir, tail);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out && outsize) {
		n = fread(out, 1, outsize - 1, p);
		out[n] = '\0';
	} else {
		char sink[256];
		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	return pclose(p) == 0 ? 0 : -1;
}

static unsigned free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static const char schema[] =
	"CREATE DATABASE terntest;\nUSE terntest;\n"
	"CREATE TABLE mailbox (username VARCHAR(255) PRIMARY KEY, password VARCHAR(255),"
	" name VARCHAR(255) NULL, quota BIGINT NOT NULL DEFAULT 0, active TINYINT(1));\n"
	"INSERT INTO mailbox VALUES ('alice@example.org', '{BLF-CRYPT}$2y$05$x', 'Alice', 1024, 1),"
	" ('bob@example.org', 'pw2', NULL, 0, 1), ('o''brien@example.org', 'pw3', 'O''Brien', 5, 0);\n"
	"DELIMITER //\nCREATE PROCEDURE two_sets() BEGIN SELECT 1 AS a; SELECT 2 AS b; END //\n"
	"DELIMITER ;\n";

static void live_start(void)
{
	const char *src = getenv("TERN_SRC");
	char out[2048], cmd[1400];
	main_pid = getpid();
	if (src && *src)
		snprintf(live_helper, sizeof(live_helper), "%s/tests/tools/mariadb-private.sh", src);
	else
		snprintf(live_helper, sizeof(live_helper), "%.*s/tools/mariadb-private.sh",
			 (int)(strstr(__FILE__, "/unit/test_sql.c") - __FILE__), __FILE__);
	if (access("/usr/sbin/mariadbd", X_OK) != 0 || access("/usr/bin/mariadb", X_OK) != 0) {
		snprintf(live_why, sizeof(live_why), "mariadb server/client not installed "
			 "(/usr/sbin/mariadbd, /usr/bin/mariadb): apt-get install mariadb-server");
		return;
	}
	strcpy(live_dir, "/tmp/tern-sql-XXXXXX");
	if (!mkdtemp(live_dir) || (live_port = free_port()) == 0) {
		snprintf(live_why, sizeof(live_why), "no temp dir or free port");
		live_dir[0] = '\0';
		return;
	}
	setenv("MARIADB_TLS", "1", 1);	/* restarts too */
	atexit(live_stop);
	signal(SIGINT, live_signal);
	signal(SIGTERM, live_signal);
	signal(SIGHUP, live_signal);
	if (helper("start", out, sizeof(out)) < 0) {
		snprintf(live_why, sizeof(live_why), "%s start failed: %s", live_helper, out);
		return;
	}
	snprintf(live_sock, sizeof(live_sock), "%s/sock", live_dir);
	snprintf(live_unix, sizeof(live_unix), "unix:%s", live_sock);
	snprintf(live_tcp, sizeof(live_tcp), "inet:127.0.0.1:%u", live_port);
	snprintf(cmd, sizeof(cmd), "mariadb --no-defaults --socket='%s' -uroot >/dev/null 2>&1",
		 live_sock);
	FILE *p = popen(cmd, "w");
	if (!p || fputs(schema, p) < 0 || pclose(p) != 0)
		snprintf(live_why, sizeof(live_why), "creating the test database failed");
}

static void live_setup(void)
{
	if (live_why[0])
		ck_abort_msg("live sql tests: %s", live_why);
	log_setup();
}

static struct sql_settings live_settings(unsigned max_connections)
{
	struct sql_settings s = one_host(live_unix);
	s.max_connections = max_connections;
	return s;
}

static struct sql_result *query_ok(struct sql_db *db, const char *q)
{
	struct sql_result *res = NULL;
	char err[512] = "";
	enum sql_status st = sql_query(db, q, &res, err, sizeof(err));
	ck_assert_msg(st == SQL_OK, "%s: status %d: %s", q, st, err);
	ck_assert_ptr_nonnull(res);
	return res;
}

/* The single cell of "query PREFIX + escaped(in) + SUFFIX". */
static char *query_escaped(struct sql_db *db, const char *pre, const char *in, size_t len,
			   const char *post)
{
	struct buf b;
	buf_init(&b, 0);
	buf_append_str(&b, pre);
	sql_escape(&b, in, len);
	buf_append_str(&b, post);
	struct sql_result *res = query_ok(db, buf_str(&b));
	buf_free(&b);
	ck_assert_uint_eq(res->nrows, 1);
	ck_assert_uint_eq(res->ncols, 1);
	char *v = strdup(res->cells[0] ? res->cells[0] : "(null)");
	sql_result_free(&res);
	return v;
}

START_TEST(test_live_rows)
{
	struct sql_settings s = live_settings(0);
	struct sql_db *db = sql_db_get(&s, NULL, 0);
	bool present = false;
	struct sql_result *res = query_ok(db, "SELECT username AS user, password, name, quota "
					      "FROM mailbox ORDER BY username");
	ck_assert_uint_eq(res->nrows, 3);
	ck_assert_uint_eq(res->ncols, 4);
	ck_assert_str_eq(res->colnames[0], "user");
	ck_assert_str_eq(sql_result_get(res, 0, "USER", &present), "alice@example.org");
	ck_assert(present);
	ck_assert_str_eq(sql_result_get(res, 0, "password", NULL), "{BLF-CRYPT}$2y$05$x");
	ck_assert_ptr_null(sql_result_get(res, 1, "name", &present));
	ck_assert(present);	/* SQL NULL */
	ck_assert_ptr_null(sql_result_get(res, 1, "username", &present));
	ck_assert(!present);	/* only the alias exists */
	ck_assert_ptr_null(sql_result_get(res, 3, "user", &present));
	ck_assert(!present);
	ck_assert_str_eq(sql_result_get(res, 1, "quota", NULL), "0");
	ck_assert_str_eq(sql_result_get(res, 2, "name", NULL), "O'Brien");
	sql_result_free(&res);
	ck_assert_ptr_null(res);
	/* Escaped values: a match, an injection attempt, a byte-exact round trip. */
	static const char *pre = "SELECT COUNT(*) FROM mailbox WHERE username='";
	char *v = query_escaped(db, pre, "o'brien@example.org", 19, "'");
	ck_assert_str_eq(v, "1");
	free(v);
	v = query_escaped(db, pre, "x' OR '1'='1", 12, "'");
	ck_assert_str_eq(v, "0");
	free(v);
	static const char raw[] = "a'b\\c\0d\r\ne\032f%_g\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80'";
	char hex[2 * sizeof(raw) + 1];
	for (size_t i = 0; i < sizeof(raw) - 1; i++)
		snprintf(hex + 2 * i, 3, "%02X", (unsigned char)raw[i]);
	v = query_escaped(db, "SELECT HEX('", raw, sizeof(raw) - 1, "')");
	ck_assert_str_eq(v, hex);
	free(v);
	sql_db_put(&db);
}
END_TEST

START_TEST(test_live_empty_and_call)
{
	struct sql_settings s = live_settings(1);
	struct sql_db *db = sql_db_get(&s, NULL, 0);
	struct sql_result *res = query_ok(db, "SELECT username FROM mailbox WHERE username='none'");
	ck_assert_uint_eq(res->nrows, 0);
	ck_assert_uint_eq(res->ncols, 1);
	ck_assert_ptr_null(sql_result_get(res, 0, "username", NULL));
	sql_result_free(&res);
	res = query_ok(db, "UPDATE mailbox SET active=1 WHERE username='none'");
	ck_assert_uint_eq(res->nrows, 0);
	ck_assert_uint_eq(res->ncols, 0);
	sql_result_free(&res);
	for (int i = 0; i < 3; i++) {	/* the rest is drained: the connection stays usable */
		res = query_ok(db, "CALL two_sets()");
		ck_assert_uint_eq(res->nrows, 1);
		ck_assert_str_eq(sql_result_get(res, 0, "a", NULL), "1");
		sql_result_free(&res);
		res = query_ok(db, "SELECT 3 AS c");
		ck_assert_str_eq(sql_result_get(res, 0, "c", NULL), "3");
		sql_result_free(&res);
	}
	sql_db_put(&db);
}
END_TEST

START_TEST(test_live_perm)
{
	static const char *const cases[][2] = {
		{ "SELEC 1", "1064" }, { "SELECT * FROM nosuchtable", "1146" },
		{ "SELECT nosuchcol FROM mailbox", "1054" }, { "SELECT 1; SELECT 2", "1064" },
	};
	struct sql_settings s = live_settings(1);
	struct sql_db *db = sql_db_get(&s, NULL, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sql_result *res = (void *)1;
		char err[512] = "";
		ck_assert_int_eq(sql_query(db, cases[i][0], &res, err, sizeof(err)), SQL_PERM);
		ck_assert_ptr_null(res);
		ck_assert_msg(strstr(err, cases[i][1]) != NULL, "%s: %s", cases[i][0], err);
		res = query_ok(db, "SELECT 1");
		sql_result_free(&res);
	}
	ck_assert_int_eq(count_in_log("sql-"), 0);	/* no host went down */
	sql_db_put(&db);
}
END_TEST

START_TEST(test_live_no_backslash_escapes)
{
	static const char *const hostile[] = { "\\' OR 1=1 -- ", "\\'; DROP TABLE mailbox; -- ",
						"a\\", "\\\\' OR '1'='1" };
	struct sql_settings s = live_settings(1);
	s.read_timeout_s = 29;	/* a db of its own */
	struct sql_db *db = sql_db_get(&s, NULL, 0);
	for (int mode = 0; mode < 2; mode++) {
		struct sql_result *res = query_ok(db, mode ? "SET SESSION sql_mode='NO_BACKSLASH_ESCAPES'"
							   : "SET SESSION sql_mode=DEFAULT");
		sql_result_free(&res);
		for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
			char *v = query_escaped(db, "SELECT COUNT(*) FROM mailbox WHERE username='",
						hostile[i], strlen(hostile[i]), "'");
			ck_assert_msg(strcmp(v, "0") == 0, "mode %d: %s", mode, hostile[i]);
			free(v);
		}
		char *v = query_escaped(db, "SELECT '", "it's", 4, "'");
		ck_assert_str_eq(v, "it's");
		free(v);
	}
	sql_db_put(&db);
}
END_TEST

struct dead_listener { int fd; int count; bool stop; pthread_t thread; pthread_mutex_t lock; };

static void *dead_accept(void *arg)
{
	struct dead_listener *d = arg;
	for (;;) {
		struct pollfd pfd = { .fd = d->fd, .events = POLLIN };
		pthread_mutex_lock(&d->lock);
		bool stop = d->stop;
		pthread_mutex_unlock(&d->lock);
		if (stop)
			return NULL;
		if (poll(&pfd, 1, 50) == 1) {
			int c = accept(d->fd, NULL, NULL);
			if (c >= 0) {
				pthread_mutex_lock(&d->lock);
				d->count++;
				pthread_mutex_unlock(&d->lock);
				close(c);	/* the client sees EOF at the handshake */
			}
		}
	}
}

static int dead_count(struct dead_listener *d)
{
	pthread_mutex_lock(&d->lock);
	int n = d->count;
	pthread_mutex_unlock(&d->lock);
	return n;
}

struct slow_query { struct sql_db *db; const char *q; enum sql_status st; };

static void *slow_run(void *arg)
{
	struct slow_query *sq = arg;
	struct sql_result *res = NULL;
	sq->st = sql_query(sq->db, sq->q, &res, NULL, 0);
	sql_result_free(&res);
	return NULL;
}

START_TEST(test_live_failover)
{
	struct sql_settings s = live_settings(0);
	s.hosts[0] = "unix:/nonexistent/tern.sock";
	s.hosts[1] = live_unix;
	s.nhosts = 2;
	struct sql_db *db = sql_db_get(&s, NULL, 0);
	for (int i = 0; i < 5; i++) {
		struct sql_result *res = query_ok(db, "SELECT 1 AS one");
		sql_result_free(&res);
	}
	sql_db_put(&db);
	/* A dead UNIX socket (tried first: sockets go first) and the server on
	 * TCP; the dead host is tried once, then skipped. */
	struct dead_listener d = { .fd = socket(AF_UNIX, SOCK_STREAM, 0) };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dead_host[160];
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/dead.sock", live_dir);
	snprintf(dead_host, sizeof(dead_host), "unix:%s", sun.sun_path);
	unlink(sun.sun_path);
	ck_assert_int_eq(bind(d.fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(d.fd, 16), 0);
	pthread_mutex_init(&d.lock, NULL);
	pthread_create(&d.thread, NULL, dead_accept, &d);
	s.hosts[0] = live_tcp;
	s.hosts[1] = dead_host;
	s.max_connections = 2;
	db = sql_db_get(&s, NULL, 0);
	struct sql_result *res = query_ok(db, "SELECT 2");
	sql_result_free(&res);
	ck_assert_int_eq(dead_count(&d), 1);
	struct slow_query sq = { db, "SELECT SLEEP(1)", SQL_PERM };
	pthread_t t;
	pthread_create(&t, NULL, slow_run, &sq);
	usleep(300 * 1000);
	res = query_ok(db, "SELECT 3");	/* needs a second connection */
	sql_result_free(&res);
	pthread_join(t, NULL);
	ck_assert_int_eq(sq.st, SQL_OK);
	ck_assert_int_eq(dead_count(&d), 1);
	char needle[200];
	snprintf(needle, sizeof(needle), "sql-connect-failed host=%s ", dead_host);
	ck_assert_int_eq(count_in_log(needle), 1);
	pthread_mutex_lock(&d.lock);
	d.stop = true;
	pthread_mutex_unlock(&d.lock);
	pthread_join(d.thread, NULL);
	close(d.fd);
	unlink(sun.sun_path);
	pthread_mutex_destroy(&d.lock);
	sql_db_put(&db);
}
END_TEST

START_TEST(test_live_pool_wait)
{
	struct sql_settings s = live_settings(1);
	s.connect_timeout_s = 1;
	struct sql_db *db = sql_db_get(&s, NULL, 0);
	struct slow_query sq = { db, "SELECT SLEEP(2)", SQL_PERM };
	struct sql_result *res = (void *)1;
	char err[256] = "";
	pthread_t t;
	pthread_create(&t, NULL, slow_run, &sq);
	usleep(300 * 1000);
	long t0 = now_ms();
	ck_assert_int_eq(sql_query(db, "SELECT 1", &res, err, sizeof(err)), SQL_TEMP);
	long dt = now_ms() - t0;
	ck_assert_ptr_null(res);
	ck_assert_msg(dt >= 900 && dt < 5000, "waited %ld ms", dt);
	ck_assert_msg(strstr(err, "no sql connection") != NULL, "%s", err);
	pthread_join(t, NULL);
	ck_assert_int_eq(sq.st, SQL_OK);
	res = query_ok(db, "SELECT 1");
	sql_result_free(&res);
	sql_db_put(&db);
}
END_TEST

START_TEST(test_live_read_timeout)
{
	struct sql_settings s = live_settings(1);
	s.read_timeout_s = 1;
	struct sql_db *db = sql_db_get(&s, NULL, 0);
	struct sql_result *res = (void *)1;
	char err[256] = "";
	long t0 = now_ms();
	ck_assert_int_eq(sql_query(db, "SELECT SLEEP(5)", &res, err, sizeof(err)), SQL_TEMP);
	long dt = now_ms() - t0;
	ck_assert_ptr_null(res);
	ck_assert_msg(dt >= 900 && dt < 9000, "took %ld ms: %s", dt, err);	/* two tries */
	res = query_ok(db, "SELECT 1");	/* reconnects */
	sql_result_free(&res);
	/* down, up (the retry connected), down again, up */
	ck_assert_int_eq(count_in_log("sql-connection-lost"), 2);
	ck_assert_int_eq(count_in_log("sql-host-up"), 2);
	sql_db_put(&db);
}
END_TEST

#define NTHREADS 8
#define NQUERIES 200

struct worker { struct sql_db *db; int id, failures; unsigned long conn_ids[NQUERIES]; };

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < NQUERIES; i++) {
		char q[200], want[32];
		struct sql_result *res = NULL;
		snprintf(q, sizeof(q), "SELECT %d AS n, username, CONNECTION_ID() AS c FROM mailbox "
			 "WHERE username='alice@example.org'", w->id * 1000 + i);
		snprintf(want, sizeof(want), "%d", w->id * 1000 + i);
		if (sql_query(w->db, q, &res, NULL, 0) != SQL_OK || res->nrows != 1 ||
		    strcmp(sql_result_get(res, 0, "n", NULL), want) != 0 ||
		    strcmp(sql_result_get(res, 0, "username", NULL), "alice@example.org") != 0)
			w->failures++;
		else
			w->conn_ids[i] = strtoul(sql_result_get(res, 0, "c", NULL), NULL, 10);
		sql_result_free(&res);
	}
	return NULL;
}

START_TEST(test_live_threads)
{
	struct sql_settings s = live_settings(4);
	struct sql_db *db = sql_db_get(&s, NULL, 0);
	static struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	unsigned long ids[4];
	size_t nids = 0;
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .db = sql_db_get(&s, NULL, 0), .id = i };
		ck_assert_ptr_eq(w[i].db, db);
		pthread_create(&t[i], NULL, worker_run, &w[i]);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
		for (int k = 0; k < NQUERIES; k++) {	/* never more than 4 connections */
			size_t j = 0;
			while (j < nids && ids[j] != w[i].conn_ids[k])
				j++;
			if (j == nids) {
				ck_assert_uint_lt(nids, 4);
				ids[nids++] = w[i].conn_ids[k];
			}
		}
		sql_db_put(&w[i].db);
	}
	sql_db_put(&db);
}
END_TEST

START_TEST(test_live_bad_password)
{
	struct sql_settings s = live_settings(0);
	struct sql_result *res = (void *)1;
	char err[512] = "";
	s.password = "wrong-secret-pw";
	struct sql_db *db = sql_db_get(&s, NULL, 0);
	ck_assert_int_eq(sql_query(db, "SELECT 1", &res, err, sizeof(err)), SQL_TEMP);
	ck_assert_ptr_null(res);
	ck_assert_msg(strstr(err, "Access denied") != NULL, "%s", err);
	ck_assert_ptr_null(strstr(err, "wrong-secret-pw"));
	ck_assert_int_eq(count_in_log("sql-connect-failed"), 1);
	ck_assert_int_eq(count_in_log("wrong-secret-pw"), 0);
	sql_db_put(&db);
}
END_TEST

/* The session's TLS cipher ("" without TLS), or NULL when the query fails. */
static char *tls_cipher(const struct sql_settings *s, char *err, size_t errsize)
{
	struct sql_db *db = sql_db_get(s, err, errsize);
	struct sql_result *res = NULL;
	char *v = NULL;
	ck_assert_ptr_nonnull(db);
	if (sql_query(db, "SHOW SESSION STATUS LIKE 'Ssl_cipher'", &res, err, errsize) == SQL_OK) {
		ck_assert_uint_eq(res->nrows, 1);
		v = strdup(sql_result_get(res, 0, "Value", NULL));
	}
	sql_result_free(&res);
	sql_db_put(&db);
	return v;
}

START_TEST(test_live_tls)
{
	struct sql_settings s = live_settings(0);
	char ca[160], err[512] = "", *v;
	snprintf(ca, sizeof(ca), "%s/tls/cert.pem", live_dir);
	s.hosts[0] = live_tcp;
	v = tls_cipher(&s, err, sizeof(err));	/* no TLS settings: plain */
	ck_assert_msg(v && !*v, "plain: %s %s", v ? v : "NULL", err);
	free(v);
	s.tls_required = true;	/* no files: encrypted, unverified */
	v = tls_cipher(&s, err, sizeof(err));
	ck_assert_msg(v && *v, "tls_required: %s", err);
	free(v);
	s.tls_required = false;	/* the server's own cert as CA, verified */
	s.tls_ca_file = ca;
	s.tls_verify_cert = true;
	v = tls_cipher(&s, err, sizeof(err));
	ck_assert_msg(v && *v, "verified: %s", err);
	free(v);
	if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0) {
		s.tls_ca_file = "/etc/ssl/certs/ca-certificates.crt";	/* not ours */
		ck_assert_ptr_null(tls_cipher(&s, err, sizeof(err)));
		ck_assert_int_eq(count_in_log("sql-connect-failed"), 1);
	}
	s = live_settings(0);	/* a UNIX socket is local: no TLS needed */
	s.tls_required = true;
	v = tls_cipher(&s, err, sizeof(err));
	ck_assert_msg(v != NULL, "unix: %s", err);
	free(v);
}
END_TEST

static void expect_temp_fast(struct sql_db *db, long limit_ms)
{
	struct sql_result *res = (void *)1;
	char err[256] = "";
	long t0 = now_ms();
	ck_assert_int_eq(sql_query(db, "SELECT 1", &res, err, sizeof(err)), SQL_TEMP);
	ck_assert_ptr_null(res);
	/* slack for a loaded machine: the point is "bounded", not "fast" */
	ck_assert_msg(now_ms() - t0 < limit_ms * 3, "took %ld ms: %s", now_ms() - t0, err);
}

START_TEST(test_live_stop_restart)
{
	struct sql_settings s = live_settings(2);
	struct sql_db *db = sql_db_get(&s, NULL, 0);	/* connect_timeout 2 s */
	struct sql_result *res = query_ok(db, "SELECT 1");
	sql_result_free(&res);
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(helper(round ? "kill9" : "stop", NULL, 0), 0);
		expect_temp_fast(db, 2000);
		expect_temp_fast(db, 2000);	/* all hosts down: still tried */
		char out[2048];
		ck_assert_msg(helper("start", out, sizeof(out)) == 0, "restart: %s", out);
		res = query_ok(db, "SELECT 1");	/* the same db reconnects */
		sql_result_free(&res);
		ck_assert_int_eq(count_in_log("sql-host-up"), round + 1);
	}
	sql_db_put(&db);
}
END_TEST

START_TEST(test_live_unavailable)
{
	ck_abort_msg("live sql tests: %s", live_why);
}
END_TEST

static void add_live(Suite *s)
{
	live_start();
	if (live_why[0] && !live_dir[0] && geteuid() != 0) {
		printf("test_sql: skipping the live tests: %s\n", live_why);
		return;
	}
	TCase *tc = tcase_create("live");
	tcase_set_timeout(tc, 60);
	if (live_why[0]) {
		tcase_add_test(tc, test_live_unavailable);
		suite_add_tcase(s, tc);
		return;
	}
	tcase_add_checked_fixture(tc, live_setup, log_teardown);
	tcase_add_test(tc, test_live_rows);
	tcase_add_test(tc, test_live_empty_and_call);
	tcase_add_test(tc, test_live_perm);
	tcase_add_test(tc, test_live_no_backslash_escapes);
	tcase_add_test(tc, test_live_threads);
	tcase_add_test(tc, test_live_failover);
	tcase_add_test(tc, test_live_pool_wait);
	tcase_add_test(tc, test_live_bad_password);
	tcase_add_test(tc, test_live_tls);
	tcase_add_test(tc, test_live_read_timeout);
	tcase_add_test(tc, test_live_stop_restart);
	suite_add_tcase(s, tc);
}

int main(void)
{
	Suite *s = suite_create("sql");
	TCase *tc = tcase_create("escape");
	tcase_add_loop_test(tc, test_escape_table, 0, (int)(sizeof(esc_cases) / sizeof(esc_cases[0])));
	tcase_add_test(tc, test_escape_big);
	suite_add_tcase(s, tc);
	tc = tcase_create("settings");
	tcase_add_checked_fixture(tc, log_setup, log_teardown);
	tcase_add_loop_test(tc, test_hosts_good, 0, (int)(sizeof(good_hosts) / sizeof(good_hosts[0])));
	tcase_add_loop_test(tc, test_hosts_bad, 0, (int)(sizeof(bad_hosts) / sizeof(bad_hosts[0])));
	tcase_add_test(tc, test_settings_bad);
	tcase_add_test(tc, test_shared);
	tcase_add_test(tc, test_dead_host);
	tcase_add_test(tc, test_result_get_edge);
	suite_add_tcase(s, tc);
	add_live(s);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	live_stop();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
