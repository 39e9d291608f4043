/* test_queue_envelope: the queue's pure logic: CRC-32 test vectors, queue
 * id encoding and ordering, the spool trailer codec (round trip, every
 * truncation, flipped bytes, garbage, hostile records, size mismatches),
 * state record replay (torn and malformed lines), the backoff schedule and
 * the DSN's structure. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsn.h"
#include "envelope.h"
#include "qid.h"
#include "qmsg.h"

START_TEST(test_crc32)
{
	ck_assert_uint_eq(qcrc32(0, "", 0), 0);
	ck_assert_uint_eq(qcrc32(0, "123456789", 9), 0xCBF43926u);
	ck_assert_uint_eq(qcrc32(0, "The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
	uint32_t c = qcrc32(0, "12345", 5); /* in pieces = at once */
	ck_assert_uint_eq(qcrc32(c, "6789", 4), 0xCBF43926u);
}
END_TEST

START_TEST(test_qid)
{
	struct qid_gen g = { 0 };
	char a[QID_SIZE], b[QID_SIZE];
	uint64_t v1 = qid_next(&g, 1763770000000000ull), v2 = qid_next(&g, 1763770000000000ull);
	ck_assert(v2 == v1 + 1); /* same microsecond: still unique */
	uint64_t v3 = qid_next(&g, 5);	/* clock stepped back: still increasing */
	ck_assert(v3 == v2 + 1);
	qid_encode(v1, a);
	qid_encode(v2, b);
	ck_assert_uint_eq(strlen(a), QID_LEN);
	ck_assert(strcmp(a, b) < 0); /* sortable as text */
	uint64_t back;
	ck_assert_int_eq(qid_decode(a, &back), 0);
	ck_assert(back == v1);
	qid_encode((1ull << 60) - 1, a);
	ck_assert_str_eq(a, "ZZZZZZZZZZZZ");
	qid_encode(0, a);
	ck_assert_str_eq(a, "000000000000");
	static const char *const bad[] = { "", "ABC", "0000000000000", "00000000000I",
					   "00000000000a", "00000000000-", "0000000000 0", "00000000000U" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!qid_valid(bad[i]), "accepted %s", bad[i]);
	ck_assert(qid_valid("01K0T9KAFF49"));
}
END_TEST

static void sample(struct qenv *e)
{
	qenv_init(e);
	strcpy(e->id, "01K0T9KAFF49");
	e->size = 5;
	e->arrival = 1763770000;
	qenv_set(&e->sender, "a\tb@x.test"); /* hostile bytes survive escaping */
	qenv_set(&e->ret, "HDRS");
	qenv_set(&e->envid, "E\n1");
	qenv_set(&e->client_ip, "192.0.2.1");
	qenv_set(&e->helo, "h");
	qenv_set(&e->proto, "ESMTP");
	e->smtputf8 = true;
	qenv_add_rcpt(e, "u1@x.test", "rfc822;u1@x.test", "FAILURE");
	qenv_add_rcpt(e, "u2@x.test", NULL, NULL);
	for (int i = 0; i < 7; i++)
		qenv_add_rcpt(e, "many@x.test", NULL, NULL);
}

/* A whole file image: data + trailer. */
static size_t image(char **out)
{
	struct qenv e;
	struct buf b;
	sample(&e);
	buf_init(&b, 0);
	buf_append(&b, "hello", 5);
	qenv_encode(&e, &b);
	ck_assert(!buf_error(&b));
	qenv_free(&e);
	*out = b.data;
	return b.len;
}

/* Locate + decode on an in-memory image, as qenv_read_fd does. */
static int decode_image(const char *img, size_t len, struct qenv *e)
{
	uint64_t dsize, tlen;
	uint32_t crc;
	char err[64];
	size_t tail = len < QENV_END_MAX ? len : QENV_END_MAX;
	qenv_init(e);
	if (qenv_locate(img + len - tail, tail, len, &dsize, &tlen, &crc) < 0)
		return -1;
	return qenv_decode(img + dsize, tlen, crc, dsize, e, err, sizeof(err));
}

START_TEST(test_roundtrip)
{
	char *img;
	size_t len = image(&img);
	struct qenv e;
	ck_assert_int_eq(decode_image(img, len, &e), 0);
	ck_assert_str_eq(e.id, "01K0T9KAFF49");
	ck_assert_str_eq(e.sender, "a\tb@x.test");
	ck_assert_str_eq(e.envid, "E\n1");
	ck_assert_str_eq(e.ret, "HDRS");
	ck_assert(e.smtputf8);
	ck_assert_ptr_null(e.body);
	ck_assert_uint_eq(e.nrcpt, 9);
	ck_assert_str_eq(e.rcpt[0].orcpt, "rfc822;u1@x.test");
	ck_assert_str_eq(e.rcpt[0].notify, "FAILURE");
	ck_assert_ptr_null(e.rcpt[1].orcpt);
	ck_assert_uint_eq(e.size, 5);
	ck_assert_int_eq(e.arrival, 1763770000);
	qenv_free(&e);
	/* through a real file */
	char path[] = "/tmp/test_queue_envXXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, img, len), (ssize_t)len);
	char err[64];
	ck_assert_int_eq(qenv_read_fd(fd, &e, err, sizeof(err)), 0);
	ck_assert_uint_eq(e.nrcpt, 9);
	qenv_free(&e);
	ck_assert_int_eq(ftruncate(fd, (off_t)len - 1), 0);
	ck_assert_int_eq(qenv_read_fd(fd, &e, err, sizeof(err)), -1);
	close(fd);
	unlink(path);
	free(img);
}
END_TEST

/* Every proper prefix of a committed file is rejected (a crash mid-write). */
START_TEST(test_truncations)
{
	char *img;
	size_t len = image(&img);
	struct qenv e;
	for (size_t n = 0; n < len; n++)
		ck_assert_msg(decode_image(img, n, &e) < 0, "prefix %zu accepted", n);
	free(img);
}
END_TEST

/* Any single changed byte of the trailer or end line is caught. */
START_TEST(test_flips)
{
	char *img;
	size_t len = image(&img);
	struct qenv e;
	for (size_t i = 5; i < len; i++) {
		char saved = img[i];
		img[i] ^= 0x01;
		ck_assert_msg(decode_image(img, len, &e) < 0, "flip at %zu accepted", i);
		img[i] = saved;
	}
	ck_assert_int_eq(decode_image(img, len, &e), 0);
	qenv_free(&e);
	free(img);
}
END_TEST

/* Trailers with a valid CRC but hostile records. */
static int decode_records(const char *records, uint64_t dsize)
{
	struct qenv e;
	char err[64];
	size_t len = strlen(records);
	int r = qenv_decode(records, len, qcrc32(0, records, len), dsize, &e, err, sizeof(err));
	if (r == 0)
		qenv_free(&e);
	return r;
}

#define HEAD "TERNQ\t1\nid\t01K0T9KAFF49\narrival\t1\nsize\t5\nsender\t\nclient\tip\th\tSMTP\n"
START_TEST(test_hostile_records)
{
	ck_assert_int_eq(decode_records(HEAD "rcpt\ta@b\t\t\n", 5), 0);
	static const struct {
		const char *rec;
		uint64_t dsize;
	} bad[] = {
		{ HEAD, 5 },				 /* no recipient */
		{ HEAD "rcpt\ta@b\t\t\n", 6 },		 /* size mismatch */
		{ HEAD "rcpt\t\t\t\n", 5 },		 /* empty address */
		{ HEAD "rcpt\ta@b\n", 5 },		 /* wrong field count */
		{ HEAD "rcpt\ta@b\t\t\nsize\t5\n", 5 },	 /* duplicate scalar */
		{ HEAD "rcpt\ta@b\t\t\nsender\tx\n", 5 }, /* duplicate sender */
		{ HEAD "rcpt\ta@b\t\t\nbogus\t1\n", 5 },	 /* unknown record */
		{ HEAD "rcpt\ta\001\0b\t\t\n", 5 },	 /* escaped NUL (cut by strlen: bad escape) */
		{ HEAD "rcpt\ta\001\t\t\n", 5 },	 /* bad escape */
		{ HEAD "rcpt\ta@b\t\t", 5 },		 /* no final newline */
		{ "TERNQ\t2\n", 5 },			 /* unknown version */
		{ "", 5 },
		{ "TERNQ\t1\nid\tlowercase000\narrival\t1\nsize\t5\nsender\t\nclient\ti\th\tp\nrcpt\ta\t\t\n", 5 },
		{ "TERNQ\t1\nid\t01K0T9KAFF49\narrival\t-1\nsize\t5\nsender\t\nclient\ti\th\tp\nrcpt\ta\t\t\n", 5 },
		{ "TERNQ\t1\nid\t01K0T9KAFF49\narrival\t1\nsize\t05\nsender\t\nclient\ti\th\tp\nrcpt\ta\t\t\n", 5 },
		{ "TERNQ\t1\nid\t01K0T9KAFF49\narrival\t99999999999999999999\nsize\t5\nsender\t\nclient\ti\th\tp\nrcpt\ta\t\t\n", 5 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(decode_records(bad[i].rec, bad[i].dsize) < 0, "case %zu accepted", i);
	/* an embedded NUL byte in the trailer itself */
	char nul[] = HEAD "rcpt\ta@b\t\t\n";
	size_t l = sizeof(nul) - 1;
	nul[l - 5] = '\0';
	struct qenv e;
	char err[64];
	ck_assert_int_eq(qenv_decode(nul, l, qcrc32(0, nul, l), 5, &e, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_locate_garbage)
{
	uint64_t d, t;
	uint32_t c;
	static const char *const bad[] = {
		"", "\n", "end\n", "end\t1\t2\n", "end\t1\t2\t0000000g\n", "end\t1\t2\t000000000\n",
		"end\t-1\t2\t00000000\n", "end\t1\t\t00000000\n", "xend\t0\t0\t00000000\n",
		"end\t0\t0\t00000000", "end\t01\t2\t00000000\n",
		"end\t99999999999999999999\t2\t00000000\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i]);
		ck_assert_msg(qenv_locate(bad[i], n, n + 100, &d, &t, &c) < 0, "case %zu", i);
	}
	const char *ok = "x\nend\t10\t5\t0000abcd\n"; /* 10 + 5 + 18 = 33 */
	ck_assert_int_eq(qenv_locate(ok, strlen(ok), 33, &d, &t, &c), 0);
	ck_assert(d == 10 && t == 5 && c == 0xabcd);
	ck_assert_int_eq(qenv_locate(ok, strlen(ok), 34, &d, &t, &c), -1); /* sizes must add up */
	ck_assert_int_eq(qenv_locate(ok + 2, strlen(ok) - 2, 33, &d, &t, &c), -1); /* line not whole */
}
END_TEST

static struct qmsg *msg2(void)
{
	struct qenv e;
	sample(&e);
	struct qmsg *m = qmsg_new(&e);
	ck_assert_ptr_nonnull(m);
	return m;
}

START_TEST(test_state_replay)
{
	struct qmsg *m = msg2();
	struct buf b;
	buf_init(&b, 0);
	qrec_final(&b, 0, "f0@x.test", true);
	qrec_final(&b, 0, "f\t1@x.test", false);
	qrec_expanded(&b, 0);
	qrec_mark(&b, 'D', 0);
	qrec_reason(&b, 'F', 1, "5.1.1", "550 no\nway");
	qrec_mark(&b, 'N', 1);
	qrec_final(&b, 1, "f2@x.test", true);
	qrec_mark(&b, 'M', 2);
	qrec_reason(&b, 'd', 2, "4.2.0", "451 later");
	qrec_schedule(&b, 3, 1763770300);
	qrec_hold(&b, true);
	buf_append_str(&b, "D\t2"); /* torn last line: ignored */
	ck_assert_uint_eq(qmsg_apply_state(m, b.data, b.len), 1);
	ck_assert_uint_eq(m->nfinal, 3);
	ck_assert_str_eq(m->final[1].address, "f\t1@x.test");
	ck_assert(!m->final[1].local);
	ck_assert_int_eq(m->final[0].state, QF_DONE);
	ck_assert_int_eq(m->final[1].state, QF_NOTIFIED);
	ck_assert_str_eq(m->final[1].diag, "550 no\nway");
	ck_assert_int_eq(m->final[2].state, QF_PENDING);
	ck_assert(m->final[2].maybe);
	ck_assert_str_eq(m->final[2].status, "4.2.0");
	ck_assert(m->expanded[0] && !m->expanded[1]);
	ck_assert_uint_eq(m->attempts, 3);
	ck_assert_int_eq(m->next_try, 1763770300);
	ck_assert(m->hold);
	ck_assert(!qmsg_complete(m));
	buf_free(&b);
	qmsg_free(&m);
	ck_assert_ptr_null(m);
}
END_TEST

START_TEST(test_state_garbage)
{
	struct qmsg *m = msg2();
	static const char *const bad[] = {
		"D\t0\n",		 /* no such final yet */
		"X\t99\ta@b\tl\n",	 /* no such original recipient */
		"X\t0\ta@b\tq\n",	 /* bad class */
		"X\t0\t\tl\n",		 /* empty address */
		"x\t-1\n", "x\t9\n", "T\t1\n", "T\tx\t1\n", "H\tx\n", "Q\n", "\n", "DD\t0\n",
		"X\t0\ta\001z\tl\n",	 /* bad escape */
		"X\t0\ta\0010\tl\n",	 /* escaped NUL */
		"D\t18446744073709551616\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *copy = strdup(bad[i]);
		ck_assert_msg(qmsg_apply_state(m, copy, strlen(copy)) == 1, "case %zu", i);
		free(copy);
	}
	ck_assert_uint_eq(m->nfinal, 0);
	ck_assert(!m->expanded[0] && !m->hold && m->attempts == 0);
	/* states only move forward: N needs F first, F after D is ignored */
	char ok[] = "X\t0\ta@b\tl\nN\t0\nD\t0\nF\t0\t5.0.0\tx\n";
	ck_assert_uint_eq(qmsg_apply_state(m, ok, strlen(ok)), 2);
	ck_assert_int_eq(m->final[0].state, QF_DONE);
	qmsg_free(&m);
}
END_TEST

START_TEST(test_backoff)
{
	static const struct {
		unsigned attempts;
		uint64_t want;
	} cases[] = { { 1, 300 }, { 2, 600 }, { 3, 1200 }, { 4, 2400 }, { 5, 4000 }, { 50, 4000 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_uint_eq(queue_backoff(300, 4000, cases[i].attempts), cases[i].want);
	ck_assert_uint_eq(queue_backoff(300, 100, 1), 300); /* max below min: min wins */
	ck_assert_uint_eq(queue_backoff(1, UINT64_MAX, 200), UINT64_MAX);
	ck_assert_uint_eq(queue_backoff(1, 2, 0), 1);
}
END_TEST

START_TEST(test_status_of)
{
	char s[16];
	dsn_status_of(550, "5.1.1 no such user", s, sizeof(s));
	ck_assert_str_eq(s, "5.1.1");
	dsn_status_of(550, "4.1.1 class mismatch", s, sizeof(s));
	ck_assert_str_eq(s, "5.0.0");
	dsn_status_of(451, "try later", s, sizeof(s));
	ck_assert_str_eq(s, "4.0.0");
	dsn_status_of(452, "4.2.2", s, sizeof(s));
	ck_assert_str_eq(s, "4.2.2");
	dsn_status_of(550, "5.1.1x", s, sizeof(s));
	ck_assert_str_eq(s, "5.0.0");
	dsn_status_of(0, NULL, s, sizeof(s));
	ck_assert_str_eq(s, "4.0.0");
}
END_TEST

START_TEST(test_dsn)
{
	const char *orig = "Subject: hi\r\nFrom: a@b\r\n\r\nbody line\r\n";
	struct dsn_rcpt rc[2] = {
		{ "x@y.test", "rfc822;X@y.test", "5.1.1", "550 5.1.1 unknown\r\nInjected: yes" },
		{ "z@y.test", NULL, "4.4.7", NULL },
	};
	struct dsn_input in = { .hostname = "mx.test", .qid = "01K0T9KAFF49", .envid = "ENV1",
				.sender = "a@b", .arrival = 0, .now = 86400, .orig = orig,
				.orig_len = strlen(orig), .nrcpt = 2, .rcpt = rc };
	struct buf b;
	buf_init(&b, 0);
	dsn_compose(&in, &b);
	const char *d = b.data;
	ck_assert_ptr_nonnull(strstr(d, "Content-Type: multipart/report; report-type=delivery-status;"));
	ck_assert_ptr_nonnull(strstr(d, "Reporting-MTA: dns; mx.test\r\n"));
	ck_assert_ptr_nonnull(strstr(d, "Original-Envelope-Id: ENV1\r\n"));
	ck_assert_ptr_nonnull(strstr(d, "Arrival-Date: Thu, 1 Jan 1970 00:00:00 +0000\r\n"));
	ck_assert_ptr_nonnull(strstr(d, "Date: Fri, 2 Jan 1970 00:00:00 +0000\r\n"));
	ck_assert_ptr_nonnull(strstr(d, "Final-Recipient: rfc822; x@y.test\r\nOriginal-Recipient: "
					"rfc822;X@y.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(d, "Final-Recipient: rfc822; z@y.test\r\nAction: failed\r\n"
					"Status: 4.4.7\r\n"));
	ck_assert_ptr_null(strstr(d, "\r\nInjected:")); /* CR LF in a diagnostic cannot add a field */
	ck_assert_ptr_nonnull(strstr(d, "Content-Type: message/rfc822\r\n\r\nSubject: hi\r\n"));
	ck_assert_ptr_nonnull(strstr(d, "body line\r\n"));
	ck_assert_ptr_nonnull(strstr(d, "\r\n--01K0T9KAFF49.86400/mx.test--\r\n"));
	for (size_t i = 0; i < b.len; i++) /* CRLF only */
		if (d[i] == '\n')
			ck_assert(i > 0 && d[i - 1] == '\r');
	buf_reset(&b);
	in.headers_only = true;
	dsn_compose(&in, &b);
	ck_assert_ptr_nonnull(strstr(b.data, "Content-Type: text/rfc822-headers\r\n\r\nSubject: hi\r\n"));
	ck_assert_ptr_null(strstr(b.data, "body line"));
	buf_free(&b);
	ck_assert_uint_eq(dsn_header_len(orig, strlen(orig)), 26);
	ck_assert_uint_eq(dsn_header_len("\r\nbody", 6), 2);
	ck_assert_uint_eq(dsn_header_len("no end", 6), 6);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("queue_envelope");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_crc32);
	tcase_add_test(tc, test_qid);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_truncations);
	tcase_add_test(tc, test_flips);
	tcase_add_test(tc, test_hostile_records);
	tcase_add_test(tc, test_locate_garbage);
	tcase_add_test(tc, test_state_replay);
	tcase_add_test(tc, test_state_garbage);
	tcase_add_test(tc, test_backoff);
	tcase_add_test(tc, test_status_of);
	tcase_add_test(tc, test_dsn);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
