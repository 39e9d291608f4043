/* tls_fixture: shared by test_tls.c and test_tls_conn.c: two self-signed
 * certificates (mail.a.test and *.b.test, made with the openssl CLI in a
 * mkdtemp dir), a log file, a server conn on a socketpair on a real ev loop,
 * and an OpenSSL client on the other end driven in-process, non-blocking,
 * turning the loop between its steps. Header-only: include it once. */
#ifndef TERN_TEST_TLS_FIXTURE_H
#define TERN_TEST_TLS_FIXTURE_H
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "conn.h"
#include "ev.h"
#include "log.h"
#include "tls.h"

#define MAXLINES 3000
#define PEER "192.0.2.7"

static char tmpdir[64] = "/tmp/test_tls.XXXXXX";
static char a_cert[128], a_key[128], b_cert[128], b_key[128], combo[128], logpath[128];

struct harness {
	struct ev_loop *loop;
	struct conn *c;
	struct tls_server_ctx *sctx;
	int peer, logfd;
	int nlines;
	char *lines[MAXLINES];
	size_t lens[MAXLINES];
	bool overlong[MAXLINES];
	int closes, tls_ready;
	enum conn_close_reason reason;
	uint64_t break_id, closed_at;
};

static struct harness H;

static void on_line(struct conn *c, char *line, size_t len, bool overlong)
{
	ck_assert_ptr_eq(c, H.c);
	ck_assert_int_lt(H.nlines, MAXLINES);
	H.lines[H.nlines] = strndup(line, len);
	H.lens[H.nlines] = len;
	H.overlong[H.nlines++] = overlong;
	if (strcmp(line, "STARTTLS") == 0) {
		conn_printf(c, "220 Ready to start TLS");
		ck_assert_int_eq(conn_start_tls(c, H.sctx), 0);
		ck_assert_int_eq(conn_start_tls(c, H.sctx), -1); /* only once */
		conn_printf(c, "after starttls");		  /* must go encrypted */
	} else if (strncmp(line, "ECHO ", 5) == 0) {
		conn_printf(c, "echo %s", line + 5);
	} else if (strcmp(line, "BIG") == 0) {
		static char chunk[300000];
		memset(chunk, 'z', sizeof(chunk));
		conn_write(c, chunk, sizeof(chunk));
		conn_write(c, "\r\n", 2);
	} else if (strcmp(line, "BYE") == 0) {
		conn_printf(c, "bye");
		conn_close_after_flush(c);
	}
}

static void on_close(struct conn *c, enum conn_close_reason reason)
{
	ck_assert_ptr_eq(c, H.c);
	H.closes++;
	H.reason = reason;
	H.closed_at = ev_now_ms();
	H.c = NULL;
	ev_loop_break(H.loop);
}

static void on_tls(struct conn *c)
{
	ck_assert(conn_tls_active(c));
	H.tls_ready++;
}

static const struct conn_handlers handlers = { on_line, on_close, NULL };

static void break_cb(struct ev_loop *loop, void *ctx)
{
	(void)ctx;
	H.break_id = 0;
	ev_loop_break(loop);
}

static void run(uint64_t ms)
{
	H.break_id = ev_timer_add(H.loop, ms, break_cb, NULL);
	ck_assert_int_eq(ev_loop_run(H.loop), 0);
	ev_timer_del(H.loop, H.break_id);
}

static struct tls_server_ctx *make_sctx(const char *protocols)
{
	const char *certs[] = { a_cert, b_cert }, *keys[] = { a_key, b_key };
	struct tls_server_config cfg = { certs, keys, 2, protocols, NULL, 0 };
	char err[512];
	struct tls_server_ctx *t = tls_server_ctx_new(&cfg, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	return t;
}

/* A server conn on a socketpair; implicit: TLS from the first byte. */
static void start(struct tls_server_ctx *sctx, bool implicit, uint64_t timeout_ms)
{
	int sp[2];
	for (int i = 0; i < H.nlines; i++)
		free(H.lines[i]);
	struct ev_loop *loop = H.loop ? H.loop : ev_loop_new();
	int logfd = H.logfd;
	memset(&H, 0, sizeof(H));
	H.loop = loop;
	H.logfd = logfd;
	H.sctx = sctx;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp), 0);
	H.peer = sp[1];
	H.c = conn_new(H.loop, sp[0], PEER, &handlers, NULL, 1000, timeout_ms);
	ck_assert_ptr_nonnull(H.c);
	conn_set_crlf(H.c, true);
	conn_set_tls_handler(H.c, on_tls);
	if (implicit)
		ck_assert_int_eq(conn_start_tls(H.c, sctx), 0);
}

/* Close the server conn (if still open) and the client fd. */
static void stop(void)
{
	if (H.c)
		conn_close(H.c);
	ck_assert_int_eq(H.closes, 1);
	ck_assert_uint_eq(conn_count(), 0);
	if (H.peer >= 0)
		close(H.peer);
	H.peer = -1;
}

static void finish(void)
{
	for (int i = 0; i < H.nlines; i++)
		free(H.lines[i]);
	H.nlines = 0;
	ev_loop_free(&H.loop);
}

/* What was logged so far. */
static __attribute__((unused)) const char *logged(void)
{
	static char text[65536];
	ssize_t n = pread(H.logfd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

static SSL_CTX *client_ctx(int min, int max)
{
	SSL_CTX *x = SSL_CTX_new(TLS_client_method());
	ck_assert_ptr_nonnull(x);
	SSL_CTX_set_verify(x, SSL_VERIFY_NONE, NULL);
	if (min)
		SSL_CTX_set_min_proto_version(x, min);
	if (max)
		SSL_CTX_set_max_proto_version(x, max);
	if (min && min < TLS1_2_VERSION)
		SSL_CTX_set_cipher_list(x, "DEFAULT:@SECLEVEL=0");
	return x;
}

static SSL *client_new(SSL_CTX *x, const char *sni)
{
	SSL *s = SSL_new(x);
	SSL_set_fd(s, H.peer);
	SSL_set_connect_state(s);
	if (sni)
		SSL_set_tlsext_host_name(s, sni);
	return s;
}

/* Drive the client's handshake, turning the server loop: 1 done, -1 failed. */
static int client_handshake(SSL *s)
{
	for (int i = 0; i < 400; i++) {
		int r = SSL_do_handshake(s);
		if (r == 1) {
			run(10); /* let the server see our Finished */
			return 1;
		}
		int e = SSL_get_error(s, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			ERR_clear_error();
			return -1;
		}
		run(5);
	}
	return 0;
}

static __attribute__((unused)) void client_write(SSL *s, const void *data, size_t len)
{
	size_t done = 0, n;
	for (int i = 0; done < len && i < 2000; i++) {
		if (SSL_write_ex(s, (const char *)data + done, len - done, &n) == 1)
			done += n;
		else
			run(2);
	}
	ck_assert_uint_eq(done, len);
}

/* Read until `want` bytes, EOF (close_notify) or about 2 s. */
static __attribute__((unused)) size_t client_read(SSL *s, char *out, size_t size, size_t want)
{
	size_t got = 0, n;
	for (int i = 0; i < 400 && got < want; i++) {
		if (SSL_read_ex(s, out + got, size - 1 - got, &n) == 1) {
			got += n;
			continue;
		}
		if (SSL_get_error(s, 0) == SSL_ERROR_ZERO_RETURN)
			break;
		run(5);
	}
	out[got] = '\0';
	return got;
}

static __attribute__((unused)) void peer_write(const void *data, size_t len)
{
	ck_assert_int_eq(write(H.peer, data, len), (ssize_t)len);
}

/* Plaintext read by the client (waits up to 1 s for `want` bytes). */
static __attribute__((unused)) size_t peer_read(char *out, size_t size, size_t want)
{
	size_t got = 0;
	for (int i = 0; i < 200 && got < want; i++) {
		ssize_t n = read(H.peer, out + got, size - 1 - got);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0)
			break;
		else
			run(5);
	}
	out[got] = '\0';
	return got;
}

static void client_free(SSL **sp, SSL_CTX **xp)
{
	SSL_free(*sp);
	SSL_CTX_free(*xp);
	*sp = NULL;
	*xp = NULL;
}

static void make_cert(const char *cn, const char *cert, const char *key)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
		 "-subj '/CN=%s' -addext 'subjectAltName=DNS:%s' -keyout %s -out %s >/dev/null 2>&1",
		 cn, cn, key, cert);
	if (system(cmd) != 0) {
		fprintf(stderr, "failed: %s\n", cmd);
		exit(EXIT_FAILURE);
	}
}

/* Certificates and the log; exits when the openssl CLI fails. */
static void fixture_init(void)
{
	char cmd[512];
	signal(SIGPIPE, SIG_IGN); /* the test client writes with plain write() */
	if (!mkdtemp(tmpdir))
		exit(EXIT_FAILURE);
	snprintf(a_cert, sizeof(a_cert), "%s/a.pem", tmpdir);
	snprintf(a_key, sizeof(a_key), "%s/a.key", tmpdir);
	snprintf(b_cert, sizeof(b_cert), "%s/b.pem", tmpdir);
	snprintf(b_key, sizeof(b_key), "%s/b.key", tmpdir);
	snprintf(combo, sizeof(combo), "%s/combo.pem", tmpdir);
	snprintf(logpath, sizeof(logpath), "%s/log", tmpdir);
	make_cert("mail.a.test", a_cert, a_key);
	make_cert("*.b.test", b_cert, b_key);
	snprintf(cmd, sizeof(cmd), "cat %s %s > %s", b_cert, b_key, combo);
	if (system(cmd) != 0)
		exit(EXIT_FAILURE);
	H.logfd = open(logpath, O_RDWR | O_CREAT | O_APPEND, 0600);
	log_use_fd("test_tls", H.logfd);
	log_set_level(LOG_LEVEL_DEBUG);
}

/* Run the suite, remove the directory; the exit status. */
static int fixture_run(Suite *s)
{
	char cmd[512];
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		failed++;
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
