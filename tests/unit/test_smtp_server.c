/* test_smtp_server: the SMTP/LMTP engine driven over a socketpair on a real
 * loop with a fake backend (answers sync or from a timer), transcript
 * style: client bytes -> expected reply codes. Covers pipelining, DATA
 * unstuffing and its end, bare LF/CR (rejected or normalized), BDAT (sizes,
 * LAST, mixing with DATA, errors discard the chunk), SIZE and byte limits,
 * the recipient limit, state errors, overlong lines, NUL bytes, the error
 * limit, timeouts, forbidden verbs, LMTP replies per recipient, and
 * STARTTLS discarding pipelined plaintext (certificate via openssl CLI). */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conn.h"
#include "ev.h"
#include "log.h"
#include "smtp_server.h"

static struct {
	struct ev_loop *loop;
	struct smtp_session *s;
	int peer;
	struct buf in;	 /* what the client received */
	struct buf msg;	 /* what on_data got */
	int resets, closes, data_ends, mails, rcpts;
	uint64_t end_size, timer;
	bool async, fail_start, fail_sink;
	SSL *ssl;
} B;

static char tmpdir[64] = "/tmp/test_smtp.XXXXXX", cert[128], key[128];

/* ------------------------------------------------------------ backend */

static void later_cb(struct ev_loop *loop, void *ctx);

struct later {
	int code;
	const char *enh, *text;
	int ready; /* smtp_data_ready instead */
	int times; /* LMTP: replies */
};
static struct later pending;

static void answer(struct smtp_session *s, int code, const char *enh, const char *text, int ready,
		   int times)
{
	if (!B.async) {
		for (int i = 0; i < times; i++)
			ready ? smtp_data_ready(s, "QID1") : smtp_reply(s, code, enh, "%s", text);
		return;
	}
	pending = (struct later){ code, enh, text, ready, times };
	B.timer = ev_timer_add(B.loop, 1, later_cb, s);
}

static void later_cb(struct ev_loop *loop, void *ctx)
{
	(void)loop;
	B.timer = 0;
	for (int i = 0; i < pending.times; i++)
		pending.ready ? smtp_data_ready(ctx, "QID1")
			      : smtp_reply(ctx, pending.code, pending.enh, "%s", pending.text);
}

static void be_connect(struct smtp_session *s)
{
	answer(s, 220, NULL, "mx.test ESMTP", 0, 1);
}

static void be_mail(struct smtp_session *s, const struct smtp_mail *m)
{
	B.mails++;
	ck_assert_ptr_nonnull(m->sender);
	answer(s, 250, "2.1.0", "Ok", 0, 1);
}

static void be_rcpt(struct smtp_session *s, const struct smtp_rcpt *r)
{
	B.rcpts++;
	if (strncmp(r->address, "unknown", 7) == 0)
		answer(s, 550, "5.1.1", "unknown user", 0, 1);
	else
		answer(s, 250, "2.1.5", "Ok", 0, 1);
}

static void be_data_start(struct smtp_session *s)
{
	buf_reset(&B.msg);
	if (B.fail_start)
		answer(s, 451, "4.3.0", "queue unavailable", 0, 1);
	else
		answer(s, 0, NULL, NULL, 1, 1);
}

static int be_data(struct smtp_session *s, const char *data, size_t len)
{
	(void)s;
	buf_append(&B.msg, data, len);
	return B.fail_sink ? -1 : 0;
}

static size_t lmtp_rcpts;

static void be_data_end(struct smtp_session *s, uint64_t size)
{
	B.data_ends++;
	B.end_size = size;
	ck_assert_uint_eq(size, B.msg.len);
	answer(s, 250, "2.0.0", "Ok: queued as QID1", 0, lmtp_rcpts ? (int)lmtp_rcpts : 1);
}

static void be_reset(struct smtp_session *s)
{
	(void)s;
	B.resets++;
}

static void be_close(struct smtp_session *s)
{
	(void)s;
	B.closes++;
	ev_timer_del(B.loop, B.timer);
	B.s = NULL;
}

static const struct smtp_backend backend = { be_connect, be_mail, be_rcpt, be_data_start,
					     be_data, be_data_end, be_reset, be_close };

/* ------------------------------------------------------------ harness */

static struct smtp_server_settings settings(void)
{
	struct smtp_server_settings st = { 0 };
	st.mode = SMTP_MODE_SMTP;
	st.hostname = "mx.test";
	st.service = "smtpd";
	st.message_size_limit = 100000;
	st.recipient_limit = 1000;
	st.hard_error_limit = 20;
	st.line_limit = 512;
	st.timeout_ms = 5000;
	st.forbid_bare_newline = true;
	return st;
}

static void start(const struct smtp_server_settings *st, bool async)
{
	int sp[2];
	struct ev_loop *loop = B.loop ? B.loop : ev_loop_new();
	buf_free(&B.in);
	buf_free(&B.msg);
	memset(&B, 0, sizeof(B));
	B.loop = loop;
	B.async = async;
	buf_init(&B.in, 0);
	buf_init(&B.msg, 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp), 0);
	B.peer = sp[1];
	static struct smtp_server_settings keep;
	keep = *st;
	B.s = smtp_session_new(B.loop, sp[0], "192.0.2.9", &keep, &backend, NULL);
	ck_assert_ptr_nonnull(B.s);
}

static void break_cb(struct ev_loop *loop, void *ctx)
{
	(void)ctx;
	ev_loop_break(loop);
}

static void run(uint64_t ms)
{
	uint64_t id = ev_timer_add(B.loop, ms, break_cb, NULL);
	ev_loop_run(B.loop);
	ev_timer_del(B.loop, id);
}

static void send_raw(const void *data, size_t len)
{
	size_t done = 0;
	for (int i = 0; done < len && i < 5000; i++) {
		ssize_t n = B.ssl ? (SSL_write(B.ssl, (const char *)data + done, (int)(len - done)))
				  : write(B.peer, (const char *)data + done, len - done);
		if (n > 0)
			done += (size_t)n;
		else
			run(1);
	}
	ck_assert_uint_eq(done, len);
}

static void send_str(const char *s)
{
	send_raw(s, strlen(s));
}

/* Read what is there; true at EOF. */
static bool pump(void)
{
	char tmp[65536];
	for (;;) {
		ssize_t n = B.ssl ? SSL_read(B.ssl, tmp, sizeof(tmp)) : read(B.peer, tmp, sizeof(tmp));
		if (n > 0) {
			buf_append(&B.in, tmp, (size_t)n);
			continue;
		}
		if (B.ssl) {
			int e = SSL_get_error(B.ssl, (int)n);
			ERR_clear_error();
			return e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL;
		}
		return n == 0;
	}
}

/* Collect the codes of n complete replies ("250 354 ..."), or fewer at EOF
 * / after ~3 s; the reply lines are consumed from B.in. */
static const char *codes(int n, char *out, size_t size)
{
	size_t used = 0;
	int got = 0;
	out[0] = '\0';
	for (int t = 0; t < 600 && got < n; t++) {
		bool eof = pump();
		char *line;
		while (got < n && B.in.len && (line = memchr(B.in.data, '\n', B.in.len))) {
			size_t len = (size_t)(line - B.in.data) + 1;
			if (len >= 5 && B.in.data[3] == ' ') {
				used += (size_t)snprintf(out + used, size - used, "%s%.3s",
							 got ? " " : "", B.in.data);
				got++;
			}
			buf_consume(&B.in, len);
		}
		if (eof || got == n)
			break;
		run(5);
	}
	return out;
}

static void expect(const char *send, const char *want)
{
	char got[8192];
	int n = want[0] != '\0';
	for (const char *p = want; *p; p++)
		n += *p == ' ';
	if (send)
		send_str(send);
	codes(n, got, sizeof(got));
	ck_assert_msg(strcmp(got, want) == 0, "sent %.60s: want %s got %s", send ? send : "",
		      want, got);
}

static bool closed_by_server(void)
{
	for (int t = 0; t < 300 && B.s; t++)
		run(5);
	return B.s == NULL;
}

static void stop(void)
{
	if (B.ssl) {
		SSL_CTX *x = SSL_get_SSL_CTX(B.ssl);
		SSL_free(B.ssl);
		SSL_CTX_free(x);
		B.ssl = NULL;
	}
	close(B.peer);
	closed_by_server();
	ck_assert_ptr_null(B.s);
	ck_assert_int_eq(B.closes, 1);
	ck_assert_uint_eq(smtp_session_count(), 0);
	ck_assert_uint_eq(conn_count(), 0);
	buf_free(&B.in);
	buf_free(&B.msg);
	ev_loop_free(&B.loop);
}

/* The message as received, without our Received: header. */
static const char *body(void)
{
	const char *p = B.msg.data;
	ck_assert_ptr_nonnull(p);
	ck_assert_msg(strncmp(p, "Received: from ", 15) == 0, "%s", p);
	while ((p = strstr(p, "\r\n")) && (p[2] == '\t'))
		p += 2;
	ck_assert_ptr_nonnull(p);
	return p + 2;
}

#define EHLO "EHLO client.test\r\n"
#define ENV "MAIL FROM:<a@b.test>\r\nRCPT TO:<r@x.test>\r\n"

/* ------------------------------------------------------------ tests */

START_TEST(test_pipelined_session)
{
	struct smtp_server_settings st = settings();
	for (int async = 0; async < 2; async++) {
		start(&st, async);
		expect(NULL, "220");
		send_str(EHLO);
		for (int t = 0; t < 100 && !strstr(B.in.data ? B.in.data : "", "CHUNKING"); t++) {
			pump();
			run(5);
		}
		const char *ehlo = B.in.data;
		ck_assert_ptr_nonnull(strstr(ehlo, "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 100000\r\n"));
		ck_assert_ptr_nonnull(strstr(ehlo, "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
						   "250-SMTPUTF8\r\n250 CHUNKING\r\n"));
		ck_assert_ptr_null(strstr(ehlo, "STARTTLS"));
		ck_assert_ptr_null(strstr(ehlo, "AUTH"));
		buf_reset(&B.in);
		/* the whole transaction in one write */
		expect("MAIL FROM:<a@b.test> SIZE=10 BODY=8BITMIME RET=HDRS ENVID=x+2By\r\n"
		       "RCPT TO:<r@x.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;r+40x.test\r\n"
		       "RCPT TO:<unknown@x.test>\r\nRCPT TO:<s@x.test>\r\nDATA\r\n"
		       "Subject: hi\r\n\r\n..dot\r\n..\r\nlast\r\n.\r\nNOOP\r\nQUIT\r\n",
		       "250 250 550 250 354 250 250 221");
		ck_assert_str_eq(body(), "Subject: hi\r\n\r\n.dot\r\n.\r\nlast\r\n");
		ck_assert_int_eq(B.data_ends, 1);
		ck_assert_int_eq(B.resets, 1);
		ck_assert_ptr_nonnull(strstr(B.msg.data, "by mx.test (tern) with ESMTP id QID1"));
		ck_assert_ptr_null(strstr(B.msg.data, "for <")); /* two recipients */
		ck_assert(closed_by_server());
		stop();
	}
}
END_TEST

START_TEST(test_data_end_bytewise)
{
	static const char in[] = EHLO ENV "DATA\r\nline\r\n.x\r\n\r\n.\r\nQUIT\r\n";
	struct smtp_server_settings st = settings();
	start(&st, true);
	expect(NULL, "220");
	for (size_t i = 0; i < sizeof(in) - 1; i++) {
		send_raw(in + i, 1);
		run(1);
	}
	expect(NULL, "250 250 250 354 250 221");
	ck_assert_str_eq(body(), "line\r\nx\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(B.msg.data, "\tfor <r@x.test>; "));
	stop();
}
END_TEST

/* Smuggling: bare LF / bare CR never end DATA; rejected by default. */
START_TEST(test_bare_newlines)
{
	static const char *const tails[] = { "a\n.\nMAIL FROM:<evil@x.test>\r\n.\r\n",
					     "a\r\n.\nRSET\r\n.\r\n",
					     "a\r.\rRSET\r\n.\r\n",
					     "a\n.\r\nRSET\r\n.\r\n",
					     "a\r\n.\r\rRSET\r\n.\r\n" };
	struct smtp_server_settings st = settings();
	for (size_t i = 0; i < 5; i++) {
		start(&st, false);
		expect(NULL, "220");
		expect(EHLO ENV "DATA\r\n", "250 250 250 354");
		expect(tails[i], "550");
		ck_assert_int_eq(B.data_ends, 0);
		ck_assert_int_eq(B.resets, 1);
		expect("NOOP\r\n", "250"); /* nothing of the tail ran as a command */
		ck_assert_int_eq(B.mails, 1);
		stop();
	}
	/* normalized instead */
	st.forbid_bare_newline = false;
	static const char *const want[] = { "a\r\n\r\nMAIL FROM:<evil@x.test>\r\n",
					    "a\r\n\r\nRSET\r\n", "a\r\n.\r\nRSET\r\n",
					    "a\r\n\r\nRSET\r\n", "a\r\n\r\n\r\nRSET\r\n" };
	for (size_t i = 0; i < 5; i++) {
		start(&st, false);
		expect(NULL, "220");
		expect(EHLO ENV "DATA\r\n", "250 250 250 354");
		expect(tails[i], "250");
		ck_assert_str_eq(body(), want[i]);
		ck_assert_int_eq(B.mails, 1);
		stop();
	}
}
END_TEST

START_TEST(test_bdat)
{
	struct smtp_server_settings st = settings();
	for (int async = 0; async < 2; async++) {
		start(&st, async);
		expect(NULL, "220");
		expect(EHLO ENV "BDAT 5\r\nab\r\n.BDAT 4 LAST\r\nxyz\n", "250 250 250 250 250");
		ck_assert_str_eq(body(), "ab\r\n.xyz\n");
		ck_assert_int_eq(B.data_ends, 1);
		/* BDAT 0 LAST; DATA after BDAT; BDAT without MAIL discards its chunk */
		expect(ENV "BDAT 2\r\nhiDATA\r\nBDAT 0 LAST\r\n", "250 250 250 503 250");
		ck_assert_str_eq(body(), "hi");
		expect("BDAT 6\r\nNOOP\r\nRSET\r\n", "503 250");
		expect("BDAT x\r\nBDAT 1 FIRST\r\nBDAT\r\nBDAT 123456789012345678901\r\n",
		       "501 501 501 501");
		/* wrong size: the surplus is read as commands */
		expect(ENV "BDAT 3 LAST\r\nabcdef\r\n", "250 250 250 500");
		ck_assert_str_eq(body(), "abc");
		/* too short: the next command is eaten as data */
		expect(ENV "BDAT 11 LAST\r\nabc\r\nQUIT\r\n", "250 250 250");
		ck_assert_str_eq(body(), "abc\r\nQUIT\r\n");
		/* data start refused: chunk discarded, then the reply */
		B.fail_start = true;
		expect(ENV "BDAT 4\r\nNOOPBDAT 1 LAST\r\nx", "250 250 451 503");
		ck_assert_int_eq(B.data_ends, 4);
		B.fail_start = false;
		/* no EHLO after STARTTLS-less reset: BDAT before HELO */
		close(B.peer);
		closed_by_server();
		B.peer = -1;
		start(&st, async);
		expect("BDAT 4\r\nQUITNOOP\r\n", "220 503 250");
		stop();
	}
}
END_TEST

START_TEST(test_size_limits)
{
	struct smtp_server_settings st = settings();
	st.message_size_limit = 1000;
	start(&st, true);
	expect(NULL, "220");
	expect(EHLO "MAIL FROM:<a@b.test> SIZE=1001\r\nMAIL FROM:<a@b.test> SIZE=abc\r\n"
		    "MAIL FROM:<a@b.test> SIZE=99999999999999999999999\r\n",
	       "250 552 501 501");
	ck_assert_int_eq(B.mails, 0);
	char big[1200];
	memset(big, 'x', sizeof(big));
	memcpy(big + 600, "\r\n", 2);
	expect(ENV "DATA\r\n", "250 250 354");
	send_raw(big, sizeof(big));
	expect("\r\n.\r\n", "552");
	ck_assert_int_eq(B.data_ends, 0);
	ck_assert_int_eq(B.resets, 1);
	ck_assert_uint_lt(B.msg.len, 1000);
	/* BDAT over the limit: 552 at the chunk that passes it */
	expect(ENV "BDAT 600\r\n", "250 250");
	send_raw(big, 600);
	expect(NULL, "250");
	expect("BDAT 600 LAST\r\n", "");
	send_raw(big, 600);
	expect("RCPT TO:<r@x.test>\r\n", "552 503");
	ck_assert_int_eq(B.data_ends, 0);
	ck_assert_int_eq(B.resets, 2);
	/* exactly at the limit is fine */
	expect(ENV "BDAT 1000 LAST\r\n", "250 250");
	send_raw(big, 1000);
	expect(NULL, "250");
	ck_assert_int_eq(B.data_ends, 1);
	stop();
}
END_TEST

START_TEST(test_recipient_limit)
{
	struct smtp_server_settings st = settings();
	start(&st, false);
	expect(NULL, "220");
	struct buf cmds, want;
	buf_init(&cmds, 0);
	buf_init(&want, 0);
	buf_append_str(&cmds, EHLO "MAIL FROM:<>\r\n");
	buf_append_str(&want, "250 250");
	for (int i = 0; i < 1001; i++) {
		buf_printf(&cmds, "RCPT TO:<user%d@x.test>\r\n", i);
		buf_append_str(&want, i < 1000 ? " 250" : " 452");
	}
	buf_append_str(&cmds, "DATA\r\nhi\r\n.\r\n");
	buf_append_str(&want, " 354 250");
	expect(cmds.data, want.data);
	ck_assert_int_eq(B.rcpts, 1000);
	ck_assert_int_eq(B.data_ends, 1);
	buf_free(&cmds);
	buf_free(&want);
	stop();
}
END_TEST

static const struct {
	const char *send, *want;
} errors_tab[] = {
	{ "MAIL FROM:<a@b.test>\r\n", "503" }, /* before EHLO */
	{ "RCPT TO:<a@b.test>\r\n", "503" },
	{ "DATA\r\n", "503" },
	{ "XYZZY\r\n", "500" },
	{ "\r\n", "500" },
	{ "HELO\r\n", "501" },
	{ EHLO, "250" },
	{ "DATA\r\n", "503" }, /* without MAIL */
	{ "MAIL FROM:<a@b.test>\r\nDATA\r\n", "250 503" }, /* without RCPT */
	{ "MAIL FROM:<c@d.test>\r\n", "503" },		 /* nested */
	{ "RCPT TO:<>\r\nRCPT TO:r@x.test\r\nRCPT FROM:<r@x.test>\r\n", "501 501 501" },
	{ "RCPT TO:<r@x.test> NOTIFY=SOMETIMES\r\nRCPT TO:<r@x.test> ORCPT=bad\r\n", "501 501" },
	{ "RCPT TO:<r@x.test> FOO=1\r\nRCPT TO:<j\xc3\xb6@x.test>\r\n", "555 553" },
	{ "RSET\r\nMAIL FROM:<a@b.test> BODY=BINARYMIME\r\nMAIL FROM:<a@b.test> X=1\r\n",
	  "250 501 555" },
	{ "MAIL FROM:<a@b.test> SIZE=1 SIZE=2\r\nMAIL FROM:<a@b.test> ENVID=+zz\r\n", "501 501" },
	{ "MAIL FROM:<j\xc3\xb6@x.test> SMTPUTF8\r\nRSET foo\r\nRSET\r\n", "250 501 250" },
	{ "MAIL FROM:<a@b.test\r\nMAIL FROM:<a b@c.test>\r\n", "501 501" },
	{ "VRFY\r\nVRFY a@b.test\r\nEXPN x\r\nHELP\r\nNOOP x\r\n", "501 502 502 214 250" },
	{ "STARTTLS\r\nAUTH PLAIN\r\nmail from:<a@b.test>\r\nrcpt to:<r@x.test>\r\n",
	  "502 502 250 250" },
	{ "NUL\0BYTE\r\n", "500" },
	{ "LHLO x\r\n", "500" },
};

START_TEST(test_state_errors)
{
	struct smtp_server_settings st = settings();
	st.hard_error_limit = 100;
	start(&st, false);
	expect(NULL, "220");
	for (size_t i = 0; i < sizeof(errors_tab) / sizeof(errors_tab[0]); i++) {
		const char *s = errors_tab[i].send;
		size_t len = strlen(s);
		if (strncmp(s, "NUL", 3) == 0)
			len = 11;
		send_raw(s, len);
		expect(NULL, errors_tab[i].want);
	}
	/* an overlong line, then the session goes on */
	char line[2000];
	memset(line, 'A', sizeof(line));
	send_raw(line, sizeof(line));
	expect("\r\nNOOP\r\n", "500 250");
	ck_assert_ptr_nonnull(B.s);
	stop();
}
END_TEST

START_TEST(test_error_limit)
{
	struct smtp_server_settings st = settings();
	st.hard_error_limit = 3;
	start(&st, false);
	expect(NULL, "220");
	expect("FOO\r\nBAR\r\nNOOP\r\nBAZ\r\nNOOP\r\n", "500 500 250 500 421");
	ck_assert(closed_by_server());
	stop();
	/* forbidden verbs hang up at once */
	st = settings();
	start(&st, false);
	expect("GET / HTTP/1.0\r\nHost: x\r\n\r\n", "220 221");
	ck_assert(closed_by_server());
	stop();
}
END_TEST

START_TEST(test_timeouts)
{
	struct smtp_server_settings st = settings();
	st.timeout_ms = 150;
	/* idle in command state, in DATA, and waiting mid-line */
	static const char *const sends[] = { EHLO, EHLO ENV "DATA\r\npart", EHLO "NO" };
	static const char *const wants[] = { "220 250 421", "220 250 250 250 354 421",
					     "220 250 421" };
	for (int i = 0; i < 3; i++) {
		start(&st, false);
		uint64_t t0 = ev_now_ms();
		expect(sends[i], wants[i]);
		ck_assert_uint_ge(ev_now_ms() - t0, 140);
		ck_assert(closed_by_server());
		ck_assert_int_eq(B.data_ends, 0);
		stop();
	}
}
END_TEST

START_TEST(test_sink_failure)
{
	struct smtp_server_settings st = settings();
	start(&st, true);
	B.fail_sink = true;
	expect(EHLO ENV "DATA\r\nhello\r\n.\r\nRSET\r\n", "220 250 250 250 354 451 250");
	ck_assert_int_eq(B.data_ends, 0);
	ck_assert_int_eq(B.resets, 1);
	B.fail_sink = false;
	B.fail_start = true;
	expect(ENV "DATA\r\nRSET\r\n", "250 250 451 250");
	stop();
}
END_TEST

START_TEST(test_lmtp)
{
	struct smtp_server_settings st = settings();
	st.mode = SMTP_MODE_LMTP;
	st.extra_extensions = "XTERNID";
	start(&st, true);
	expect("EHLO x\r\nHELO x\r\nMAIL FROM:<a@b.test>\r\n", "220 500 500 503");
	send_str("LHLO x\r\n");
	for (int t = 0; t < 100 && !strstr(B.in.data ? B.in.data : "", "CHUNKING"); t++) {
		pump();
		run(5);
	}
	ck_assert_ptr_nonnull(strstr(B.in.data, "250-XTERNID\r\n"));
	buf_reset(&B.in);
	lmtp_rcpts = 2;
	expect("MAIL FROM:<a@b.test>\r\nRCPT TO:<r@x.test> XTERNID=1.Q.0;R\r\n"
	       "RCPT TO:<unknown@x.test>\r\nRCPT TO:<s@x.test> XTERNID=1.Q.2\r\n"
	       "RCPT TO:<s@x.test> XTERNID=1.Q.2 XTERNID=3\r\nDATA\r\nhi\r\n.\r\nNOOP\r\n",
	       "250 250 550 250 501 354 250 250 250");
	lmtp_rcpts = 0;
	ck_assert_ptr_nonnull(strstr(B.msg.data, "with LMTP id QID1"));
	stop();
}
END_TEST

/* ------------------------------------------------------------ STARTTLS */

static struct tls_server_ctx *server_tls(void)
{
	const char *certs[] = { cert }, *keys[] = { key };
	struct tls_server_config cfg = { certs, keys, 1, NULL, NULL, 0 };
	char err[512];
	struct tls_server_ctx *t = tls_server_ctx_new(&cfg, err, sizeof(err));
	ck_assert_msg(t != NULL, "%s", err);
	return t;
}

static void client_handshake(void)
{
	SSL_CTX *x = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(x, SSL_VERIFY_NONE, NULL);
	B.ssl = SSL_new(x);
	SSL_set_fd(B.ssl, B.peer);
	SSL_set_connect_state(B.ssl);
	for (int i = 0; i < 400; i++) {
		int r = SSL_do_handshake(B.ssl);
		if (r == 1) {
			run(20); /* the server reads our Finished */
			return;
		}
		int e = SSL_get_error(B.ssl, r);
		ck_assert_msg(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE, "handshake %d", e);
		run(5);
	}
	ck_abort_msg("handshake timed out");
}

START_TEST(test_starttls)
{
	struct smtp_server_settings st = settings();
	st.tls = server_tls();
	start(&st, false);
	expect(NULL, "220");
	send_str(EHLO);
	for (int t = 0; t < 100 && !strstr(B.in.data ? B.in.data : "", "CHUNKING"); t++) {
		pump();
		run(5);
	}
	ck_assert_ptr_nonnull(strstr(B.in.data, "250-STARTTLS\r\n"));
	buf_reset(&B.in);
	/* plaintext pipelined after STARTTLS is never executed */
	expect("STARTTLS\r\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<evil@x.test>\r\n", "220");
	ck_assert_uint_eq(B.in.len, 0);
	client_handshake();
	ck_assert(smtp_session_tls(B.s));
	/* EHLO is needed again; the first reply over TLS is to our MAIL */
	expect(ENV, "503 503");
	send_str(EHLO);
	for (int t = 0; t < 100 && !strstr(B.in.data ? B.in.data : "", "CHUNKING"); t++) {
		pump();
		run(5);
	}
	ck_assert_ptr_null(strstr(B.in.data, "STARTTLS"));
	buf_reset(&B.in);
	expect("STARTTLS\r\n" ENV "DATA\r\nx\r\n.\r\n", "554 250 250 354 250");
	ck_assert_int_eq(B.mails, 1);
	ck_assert_ptr_nonnull(strstr(B.msg.data, "with ESMTPS id QID1"));
	ck_assert_ptr_nonnull(strstr(B.msg.data, "(using TLSv1."));
	stop();
	tls_server_ctx_free(&st.tls);
}
END_TEST

static void fixture(void)
{
	char cmd[1024];
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(tmpdir))
		exit(EXIT_FAILURE);
	snprintf(cert, sizeof(cert), "%s/cert.pem", tmpdir);
	snprintf(key, sizeof(key), "%s/key.pem", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
		 "-subj '/CN=mx.test' -keyout %s -out %s >/dev/null 2>&1",
		 key, cert);
	if (system(cmd) != 0)
		exit(EXIT_FAILURE);
	snprintf(cmd, sizeof(cmd), "%s/log", tmpdir);
	log_use_fd("test_smtp_server", open(cmd, O_WRONLY | O_CREAT | O_APPEND, 0600));
}

int main(void)
{
	fixture();
	Suite *s = suite_create("smtp_server");
	TCase *tc = tcase_create("session");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pipelined_session);
	tcase_add_test(tc, test_data_end_bytewise);
	tcase_add_test(tc, test_bare_newlines);
	tcase_add_test(tc, test_bdat);
	tcase_add_test(tc, test_size_limits);
	tcase_add_test(tc, test_recipient_limit);
	tcase_add_test(tc, test_state_errors);
	tcase_add_test(tc, test_error_limit);
	tcase_add_test(tc, test_timeouts);
	tcase_add_test(tc, test_sink_failure);
	tcase_add_test(tc, test_lmtp);
	tcase_add_test(tc, test_starttls);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		failed++;
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
