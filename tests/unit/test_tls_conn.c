/* test_tls_conn: TLS inside lib/conn against hostile or broken peers (see
 * tls_fixture.h): STARTTLS command injection (CVE-2011-0411) in one write,
 * after the reply, byte by byte; the plaintext reply flushed first; garbage
 * instead of a ClientHello; clients vanishing; handshake deadlines (silent
 * and dribbling peers); and the conn client side, verified or not. */
#include "tls_fixture.h"

/* CVE-2011-0411: "STARTTLS\r\nNOOP\r\n" in one write; NOOP never runs. */
START_TEST(test_starttls_injection)
{
	struct tls_server_ctx *sctx = make_sctx(NULL);
	SSL_CTX *x = client_ctx(0, 0);
	char got[128];
	start(sctx, false, 5000);
	peer_write("STARTTLS\r\nNOOP\r\nECHO injected\r\n", 32);
	ck_assert_uint_eq(peer_read(got, sizeof(got), 24), 24);
	ck_assert_str_eq(got, "220 Ready to start TLS\r\n");
	run(20);
	ck_assert_int_eq(read(H.peer, got, sizeof(got)), -1); /* nothing more in plaintext */
	ck_assert_int_eq(errno, EAGAIN);
	SSL *s = client_new(x, NULL);
	ck_assert_int_eq(client_handshake(s), 1);
	ck_assert_uint_eq(client_read(s, got, sizeof(got), 16), 16);
	ck_assert_str_eq(got, "after starttls\r\n");
	client_write(s, "ECHO x\r\n", 8);
	ck_assert_uint_eq(client_read(s, got, sizeof(got), 8), 8);
	ck_assert_str_eq(got, "echo x\r\n");
	ck_assert_int_eq(H.nlines, 2);
	ck_assert_str_eq(H.lines[0], "STARTTLS");
	ck_assert_str_eq(H.lines[1], "ECHO x");
	client_free(&s, &x);
	stop();
	tls_server_ctx_free(&sctx);
	finish();
}
END_TEST

/* Plaintext arriving after STARTTLS but before the handshake (whole, or
 * byte by byte) is a failed handshake, never a command. */
START_TEST(test_starttls_late_plaintext)
{
	struct tls_server_ctx *sctx = make_sctx(NULL);
	char got[128];
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		start(sctx, false, 5000);
		peer_write("STARTTLS\r\n", 10);
		ck_assert_uint_eq(peer_read(got, sizeof(got), 24), 24);
		if (bytewise) {
			for (const char *p = "NOOP\r\nQUIT\r\n"; *p && H.c; p++) {
				peer_write(p, 1);
				run(5);
			}
		} else {
			peer_write("NOOP\r\n", 6);
		}
		run(1000);
		ck_assert_int_eq(H.closes, 1);
		ck_assert_int_eq(H.reason, CONN_TLS);
		ck_assert_int_eq(H.nlines, 1);
		ck_assert_str_eq(H.lines[0], "STARTTLS");
		stop();
	}
	tls_server_ctx_free(&sctx);
	finish();
}
END_TEST

/* The plaintext reply is flushed before the handshake even when it does not
 * fit the socket at once. */
START_TEST(test_starttls_flushes_first)
{
	struct tls_server_ctx *sctx = make_sctx(NULL);
	SSL_CTX *x = client_ctx(0, 0);
	static char got[400000];
	start(sctx, false, 5000);
	peer_write("BIG\r\nSTARTTLS\r\n", 15);
	run(20);
	ck_assert_uint_eq(peer_read(got, sizeof(got), 300026), 300026);
	ck_assert_str_eq(got + 300002, "220 Ready to start TLS\r\n");
	SSL *s = client_new(x, NULL);
	ck_assert_int_eq(client_handshake(s), 1);
	ck_assert_uint_eq(client_read(s, got, sizeof(got), 16), 16);
	ck_assert_str_eq(got, "after starttls\r\n");
	client_free(&s, &x);
	stop();
	tls_server_ctx_free(&sctx);
	finish();
}
END_TEST

START_TEST(test_garbage_handshake)
{
	struct tls_server_ctx *sctx = make_sctx(NULL);
	start(sctx, true, 5000);
	peer_write("GET / HTTP/1.0\r\n\r\n", 18);
	run(1000);
	ck_assert_int_eq(H.closes, 1);
	ck_assert_int_eq(H.reason, CONN_TLS);
	ck_assert_int_eq(H.nlines, 0);
	const char *log = logged();
	ck_assert_msg(strstr(log, "tls_handshake_failed rip=" PEER " reason=") &&
			      strstr(log, "http request"), "%s", log);
	stop();
	tls_server_ctx_free(&sctx);
	finish();
}
END_TEST

/* The client goes away before, or in the middle of, the handshake. */
START_TEST(test_client_vanishes)
{
	struct tls_server_ctx *sctx = make_sctx(NULL);
	for (int hello = 0; hello < 2; hello++) {
		SSL_CTX *x = client_ctx(0, 0);
		start(sctx, true, 5000);
		SSL *s = client_new(x, NULL);
		if (hello) {
			ck_assert_int_eq(SSL_do_handshake(s), -1); /* ClientHello sent */
			run(20);				   /* the server answered */
		}
		close(H.peer);
		H.peer = -1;
		run(1000);
		ck_assert_int_eq(H.closes, 1);
		ck_assert_int_eq(H.reason, CONN_TLS);
		ck_assert_int_eq(H.tls_ready, 0);
		client_free(&s, &x);
		stop();
	}
	ck_assert_ptr_nonnull(strstr(logged(), "tls_handshake_failed rip=" PEER));
	tls_server_ctx_free(&sctx);
	finish();
}
END_TEST

static void trickle_cb(struct ev_loop *loop, void *ctx)
{
	int *left = ctx;
	if (H.c && H.peer >= 0 && (*left)-- > 0) {
		peer_write(*left == 49 ? "\x16\x03\x01\x02\x00" : "\x01", *left == 49 ? 5 : 1);
		ev_timer_add(loop, 20, trickle_cb, ctx);
	}
}

/* The handshake has a deadline: silence or a dribbling ClientHello. */
START_TEST(test_handshake_timeout)
{
	struct tls_server_ctx *sctx = make_sctx(NULL);
	for (int dribble = 0; dribble < 2; dribble++) {
		int left = 50;
		start(sctx, true, 100);
		uint64_t t0 = ev_now_ms();
		if (dribble)
			ev_timer_add(H.loop, 0, trickle_cb, &left);
		run(3000);
		ck_assert_int_eq(H.closes, 1);
		ck_assert_int_eq(H.reason, CONN_TIMEOUT);
		ck_assert_uint_ge(H.closed_at - t0, 100);
		ck_assert_uint_lt(H.closed_at - t0, 400);
		stop();
	}
	ck_assert_ptr_nonnull(strstr(logged(), "tls_handshake_timeout rip=" PEER));
	tls_server_ctx_free(&sctx);
	finish();
}
END_TEST

/* The conn client side (the queue's STARTTLS) against the conn server. */
static struct {
	struct conn *c;
	char line[64];
	int closes, tls_ready;
	enum conn_close_reason reason;
} CL;

static void cl_line(struct conn *c, char *line, size_t len, bool overlong)
{
	(void)len;
	(void)overlong;
	snprintf(CL.line, sizeof(CL.line), "%s", line);
	conn_close(c);
}

static void cl_close(struct conn *c, enum conn_close_reason reason)
{
	ck_assert_ptr_eq(c, CL.c);
	CL.closes++;
	CL.reason = reason;
	CL.c = NULL;
}

static void cl_tls(struct conn *c)
{
	(void)c;
	CL.tls_ready++;
}

static const struct conn_handlers cl_handlers = { cl_line, cl_close, NULL };

START_TEST(test_conn_client)
{
	static const struct {
		bool verify;
		const char *servername;
		bool ok;
	} cases[] = {
		{ true, "mail.a.test", true }, { true, "imap.b.test", true },
		{ true, "wrong.test", false }, { false, "wrong.test", true },
		{ false, NULL, true },	       { true, "192.0.2.1", false },
	};
	struct tls_server_ctx *sctx = make_sctx(NULL);
	char err[256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *ca = strstr(cases[i].servername ? cases[i].servername : "", "b.test") ? b_cert : a_cert;
		struct tls_client_ctx *cctx = tls_client_ctx_new(cases[i].verify, ca, err, sizeof(err));
		ck_assert_msg(cctx != NULL, "%s", err);
		start(sctx, true, 5000);
		memset(&CL, 0, sizeof(CL));
		CL.c = conn_new(H.loop, H.peer, "mx", &cl_handlers, NULL, 1000, 5000);
		H.peer = -1;
		conn_set_crlf(CL.c, true);
		conn_set_tls_handler(CL.c, cl_tls);
		ck_assert_int_eq(conn_start_tls_client(CL.c, cctx, cases[i].servername), 0);
		tls_client_ctx_free(&cctx); /* the conn's SSL keeps what it needs */
		conn_printf(CL.c, "ECHO hello");	/* held until the handshake is done */
		for (int t = 0; t < 200 && CL.c; t++)
			run(5);
		ck_assert_ptr_null(CL.c);
		ck_assert_int_eq(CL.closes, 1);
		if (cases[i].ok) {
			ck_assert_int_eq(CL.tls_ready, 1);
			ck_assert_str_eq(CL.line, "echo hello");
			ck_assert_int_eq(H.nlines, 1);
		} else {
			ck_assert_int_eq(CL.reason, CONN_TLS);
			ck_assert_int_eq(CL.tls_ready, 0);
			ck_assert_int_eq(H.nlines, 0);
			ck_assert_ptr_nonnull(strstr(logged(), "certificate verify failed"));
		}
		run(200);
		stop();
	}
	tls_server_ctx_free(&sctx);
	finish();
}
END_TEST

int main(void)
{
	fixture_init();
	Suite *s = suite_create("tls_conn");
	TCase *tc = tcase_create("hostile");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_starttls_injection);
	tcase_add_test(tc, test_starttls_late_plaintext);
	tcase_add_test(tc, test_starttls_flushes_first);
	tcase_add_test(tc, test_garbage_handshake);
	tcase_add_test(tc, test_client_vanishes);
	tcase_add_test(tc, test_handshake_timeout);
	suite_add_tcase(s, tc);
	tc = tcase_create("client");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_conn_client);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
