/* test_tls: lib/tls contexts and TLS handshakes on a lib/conn server (see
 * tls_fixture.h): TLS 1.3 and 1.2, old protocols refused, lines over TLS
 * (many small records, a 100 KB overlong line, a large reply), close_notify,
 * SNI (exact, wildcard, default), session resumption (tickets and the
 * server cache), context errors and the tern.conf keys. */
#include "tls_fixture.h"

START_TEST(test_tls13_lines)
{
	struct tls_server_ctx *sctx = make_sctx(NULL);
	SSL_CTX *x = client_ctx(0, 0);
	char info[256], got[400000];
	start(sctx, true, 5000);
	ck_assert(!conn_tls_active(H.c));
	ck_assert_int_eq(conn_tls_info(H.c, info, sizeof(info)), -1);
	SSL *s = client_new(x, NULL);
	ck_assert_int_eq(client_handshake(s), 1);
	ck_assert_int_eq(SSL_version(s), TLS1_3_VERSION);
	ck_assert_int_eq(H.tls_ready, 1);
	ck_assert(conn_tls_active(H.c));
	ck_assert_int_eq(conn_tls_info(H.c, info, sizeof(info)), 0);
	ck_assert_msg(strncmp(info, "version=TLSv1.3 cipher=TLS_", 27) == 0 && strstr(info, " bits="),
		      "%s", info);
	ck_assert_ptr_null(conn_tls_servername(H.c));
	/* many small records, then a reply */
	for (int i = 0; i < 1000; i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "line%d\r\n", i);
		client_write(s, line, (size_t)n);
	}
	client_write(s, "ECHO done\r\n", 11);
	ck_assert_uint_eq(client_read(s, got, sizeof(got), 11), 11);
	ck_assert_str_eq(got, "echo done\r\n");
	ck_assert_int_eq(H.nlines, 1001);
	ck_assert_str_eq(H.lines[0], "line0");
	ck_assert_str_eq(H.lines[999], "line999");
	/* a 100 KB line is cut to max_line; the next one is intact */
	static char big[100000];
	memset(big, 'x', sizeof(big));
	client_write(s, big, sizeof(big));
	client_write(s, "\r\nafter\r\n", 9);
	client_write(s, "BIG\r\n", 5);
	ck_assert_uint_eq(client_read(s, got, sizeof(got), 300002), 300002);
	ck_assert_int_eq(H.nlines, 1004);
	ck_assert(H.overlong[1001]);
	ck_assert_uint_eq(H.lens[1001], 1000);
	ck_assert_str_eq(H.lines[1002], "after");
	ck_assert(!H.overlong[1002]);
	ck_assert(got[0] == 'z' && got[299999] == 'z' && strcmp(got + 300000, "\r\n") == 0);
	/* close after flush sends close_notify */
	client_write(s, "BYE\r\n", 5);
	ck_assert_uint_eq(client_read(s, got, sizeof(got), 100), 5);
	ck_assert_str_eq(got, "bye\r\n");
	ck_assert(SSL_get_shutdown(s) & SSL_RECEIVED_SHUTDOWN);
	ck_assert_int_eq(H.reason, CONN_LOCAL);
	client_free(&s, &x);
	stop();
	tls_server_ctx_free(&sctx);
	finish();
}
END_TEST

START_TEST(test_tls12)
{
	struct tls_server_ctx *sctx = make_sctx(NULL);
	SSL_CTX *x = client_ctx(0, TLS1_2_VERSION);
	char info[256], got[64];
	start(sctx, true, 5000);
	SSL *s = client_new(x, NULL);
	ck_assert_int_eq(client_handshake(s), 1);
	ck_assert_int_eq(SSL_version(s), TLS1_2_VERSION);
	ck_assert_int_eq(conn_tls_info(H.c, info, sizeof(info)), 0);
	ck_assert_msg(strncmp(info, "version=TLSv1.2 cipher=ECDHE-ECDSA-", 35) == 0, "%s", info);
	ck_assert(strstr(info, "GCM") || strstr(info, "CHACHA20"));
	client_write(s, "ECHO tls12\r\n", 12);
	ck_assert_uint_eq(client_read(s, got, sizeof(got), 12), 12);
	ck_assert_str_eq(got, "echo tls12\r\n");
	/* the client leaves without close_notify: an ordinary EOF */
	client_free(&s, &x);
	close(H.peer);
	H.peer = -1;
	run(1000);
	ck_assert_msg(H.reason == CONN_EOF, "%d %s", H.reason, logged());
	stop();
	tls_server_ctx_free(&sctx);
	finish();
}
END_TEST

/* Clients the server must refuse: TLS 1.1, and 1.2 when only 1.3 is on. */
START_TEST(test_old_protocol_refused)
{
	static const struct {
		const char *protocols;
		int client_min, client_max;
	} cases[] = {
		{ NULL, TLS1_VERSION, TLS1_1_VERSION },
		{ ">=TLSv1", TLS1_1_VERSION, TLS1_1_VERSION },
		{ "TLSv1.3", 0, TLS1_2_VERSION },
		{ "!TLSv1.3", TLS1_3_VERSION, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tls_server_ctx *sctx = make_sctx(cases[i].protocols);
		SSL_CTX *x = client_ctx(cases[i].client_min, cases[i].client_max);
		start(sctx, true, 5000);
		SSL *s = client_new(x, NULL);
		ck_assert_int_eq(client_handshake(s), -1);
		run(1000);
		ck_assert_int_eq(H.closes, 1);
		ck_assert_int_eq(H.reason, CONN_TLS);
		ck_assert_int_eq(H.tls_ready, 0);
		ck_assert_ptr_nonnull(strstr(logged(), "tls_handshake_failed rip=" PEER " reason="));
		client_free(&s, &x);
		stop();
		tls_server_ctx_free(&sctx);
	}
	finish();
}
END_TEST

START_TEST(test_sni)
{
	static const struct {
		const char *sni, *cn;
	} cases[] = {
		{ "mail.a.test", "mail.a.test" }, { "MAIL.A.Test", "mail.a.test" },
		{ "x.b.test", "*.b.test" },	  { "IMAP.B.TEST", "*.b.test" },
		{ "deep.x.b.test", "mail.a.test" }, { "b.test", "mail.a.test" },
		{ ".b.test", "mail.a.test" },	  { "other.test", "mail.a.test" },
		{ NULL, "mail.a.test" },
	};
	struct tls_server_ctx *sctx = make_sctx(NULL);
	ck_assert_uint_eq(tls_server_ctx_count(sctx), 2);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		SSL_CTX *x = client_ctx(0, i % 2 ? TLS1_2_VERSION : 0);
		char cn[64] = "";
		start(sctx, true, 5000);
		SSL *s = client_new(x, cases[i].sni);
		ck_assert_int_eq(client_handshake(s), 1);
		X509 *cert = SSL_get1_peer_certificate(s);
		ck_assert_ptr_nonnull(cert);
		X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
		X509_free(cert);
		ck_assert_msg(strcmp(cn, cases[i].cn) == 0, "sni %s: got %s", cases[i].sni, cn);
		const char *name = conn_tls_servername(H.c);
		if (cases[i].sni)
			ck_assert_str_eq(name, cases[i].sni);
		else
			ck_assert_ptr_null(name);
		client_free(&s, &x);
		stop();
	}
	tls_server_ctx_free(&sctx);
	finish();
}
END_TEST

/* A second connection resumes the first one's session. */
START_TEST(test_resumption)
{
	static const struct {
		int max;
		bool no_ticket;
	} cases[] = { { 0, false }, { TLS1_2_VERSION, false }, { TLS1_2_VERSION, true } };
	struct tls_server_ctx *sctx = make_sctx(NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		SSL_CTX *x = client_ctx(0, cases[i].max);
		SSL_SESSION *sess = NULL;
		char got[64];
		if (cases[i].no_ticket)
			SSL_CTX_set_options(x, SSL_OP_NO_TICKET); /* the server's cache */
		for (int round = 0; round < 2; round++) {
			start(sctx, true, 5000);
			SSL *s = client_new(x, "mail.a.test");
			if (sess)
				SSL_set_session(s, sess);
			ck_assert_int_eq(client_handshake(s), 1);
			ck_assert_int_eq(SSL_session_reused(s), round);
			client_write(s, "ECHO r\r\n", 8); /* TLS 1.3 tickets come now */
			ck_assert_uint_eq(client_read(s, got, sizeof(got), 8), 8);
			if (!sess)
				sess = SSL_get1_session(s);
			SSL_shutdown(s);
			run(1000); /* the server sees close_notify and closes */
			ck_assert_int_eq(H.reason, CONN_EOF);
			SSL_free(s);
			stop();
		}
		SSL_SESSION_free(sess);
		SSL_CTX_free(x);
	}
	tls_server_ctx_free(&sctx);
	finish();
}
END_TEST

START_TEST(test_ctx_errors)
{
	static const char *const none[] = { "/nonexistent/cert.pem" };
	const char *a[] = { a_cert }, *bk[] = { b_key }, *ak[] = { a_key }, *cb[] = { combo };
	const char *garbage[] = { logpath };
	static const struct {
		int certs; /* 0 none, 1 missing, 2 a + b key, 3 a, 4 combo, 5 garbage */
		const char *protocols, *ciphers, *want;
	} cases[] = {
		{ 1, NULL, NULL, "tls_cert_file /nonexistent/cert.pem: " },
		{ 2, NULL, NULL, "tls_key_file " },
		{ 5, NULL, NULL, "tls_cert_file " },
		{ 0, NULL, NULL, "no certificate" },
		{ 3, "TLSv1.1", NULL, "no protocol left" },
		{ 3, ">=TLSv1.2 !TLSv1.2 !TLSv1.3", NULL, "no protocol left" },
		{ 3, "TLSv9", NULL, "unknown protocol \"TLSv9\"" },
		{ 3, "=>TLSv1.2", NULL, "unknown protocol" },
		{ 3, NULL, "NOSUCHCIPHER", "tls_ciphers \"NOSUCHCIPHER\": " },
		{ 3, "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", NULL, NULL },
		{ 3, "<=TLSv1.3 >=TLSv1", "HIGH:!aNULL", NULL },
		{ 4, "TLSv1.2:TLSv1.3", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tls_server_config cfg = { a, ak, 1, cases[i].protocols, cases[i].ciphers, 0 };
		char err[512] = "";
		if (cases[i].certs == 0)
			cfg.n_certs = 0;
		else if (cases[i].certs == 1)
			cfg.cert_files = none;
		else if (cases[i].certs == 2)
			cfg.key_files = bk;
		else if (cases[i].certs == 4)
			cfg.cert_files = cb, cfg.key_files = NULL;
		else if (cases[i].certs == 5)
			cfg.cert_files = garbage;
		struct tls_server_ctx *t = tls_server_ctx_new(&cfg, err, sizeof(err));
		if (!cases[i].want) {
			ck_assert_msg(t != NULL, "case %zu: %s", i, err);
			tls_server_ctx_free(&t);
			ck_assert_ptr_null(t);
			continue;
		}
		ck_assert_msg(t == NULL && strstr(err, cases[i].want), "case %zu: %s", i, err);
		ck_assert_uint_eq(ERR_peek_error(), 0);
	}
	char err[512];
	ck_assert_ptr_null(tls_client_ctx_new(true, "/nonexistent/ca.pem", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/ca.pem"));
}
END_TEST

/* Replace @a @b (certs), @A @B (keys) and @c (combined) in tmpl. */
static void expand(const char *tmpl, char *out, size_t size)
{
	size_t n = 0;
	for (const char *p = tmpl; *p && n + 1 < size; p++) {
		const char *v = NULL;
		if (*p == '@' && p[1]) {
			v = p[1] == 'a' ? a_cert : p[1] == 'b' ? b_cert : p[1] == 'A' ? a_key
			  : p[1] == 'B' ? b_key : p[1] == 'c' ? combo : NULL;
		}
		if (v) {
			n += (size_t)snprintf(out + n, size - n, "%s", v);
			p++;
		} else {
			out[n++] = *p;
		}
	}
	out[n < size ? n : size - 1] = '\0';
}

START_TEST(test_from_conf)
{
	char text[1024], err[512];
	static const struct {
		const char *tmpl;
		size_t count;
		const char *want;
	} cases[] = {
		{ "tls_cert_file = @a @b\ntls_key_file = @A, @B\n", 2, NULL },
		{ "tls_cert_file = @c\ntls_session_cache_timeout = 10m\n", 1, NULL },
		{ "tls_cert_file = @a @b\ntls_key_file = @A\n", 0, "tls_key_file has 1" },
		{ "myhostname = x\n", 0, "no certificate" },
		{ "tls_cert_file = @a\ntls_key_file = @A\ntls_protocols = SSLv3\n", 0, "no protocol" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expand(cases[i].tmpl, text, sizeof(text));
		struct conf *conf = conf_load_string(text, "t.conf", err, sizeof(err));
		ck_assert_msg(conf != NULL, "%s", err);
		struct tls_server_ctx *t = tls_server_ctx_from_conf(conf, err, sizeof(err));
		if (cases[i].want) {
			ck_assert_msg(!t && strstr(err, cases[i].want), "case %zu: %s", i, err);
		} else {
			ck_assert_msg(t != NULL, "case %zu: %s", i, err);
			ck_assert_uint_eq(tls_server_ctx_count(t), cases[i].count);
			tls_server_ctx_free(&t);
		}
		conf_free(&conf);
	}
}
END_TEST

int main(void)
{
	fixture_init();
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("server");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tls13_lines);
	tcase_add_test(tc, test_tls12);
	tcase_add_test(tc, test_old_protocol_refused);
	tcase_add_test(tc, test_sni);
	tcase_add_test(tc, test_resumption);
	suite_add_tcase(s, tc);
	tc = tcase_create("context");
	tcase_add_test(tc, test_ctx_errors);
	tcase_add_test(tc, test_from_conf);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
