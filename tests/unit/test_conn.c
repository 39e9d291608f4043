/* test_conn: struct conn over a socketpair on a real ev loop: lines fed one
 * byte per loop turn (LF and CRLF), bulk input, overlong lines, pause and
 * resume (also with a full input buffer and at EOF), closing from inside a
 * callback, idle timeout, peer closing mid-line, writes and line ends,
 * close after flush, slow-reader overflow, write errors, ids and counts. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "ev.h"
#include "ipc.h"

#define MAXLINES 6000

struct harness {
	struct ev_loop *loop;
	struct conn *c;
	int peer;
	int nlines;
	char *lines[MAXLINES];
	size_t lens[MAXLINES];
	bool overlong[MAXLINES];
	int closes;
	enum conn_close_reason reason;
	uint64_t closed_at;
	uint64_t break_id;
	size_t raw_left; /* conn_set_raw test */
	struct buf raw;
};

static struct harness H;

static void log_line(const char *s, size_t len, bool overlong)
{
	ck_assert_int_lt(H.nlines, MAXLINES);
	H.lines[H.nlines] = malloc(len + 1);
	memcpy(H.lines[H.nlines], s, len);
	H.lines[H.nlines][len] = '\0';
	H.lens[H.nlines] = len;
	H.overlong[H.nlines] = overlong;
	H.nlines++;
}

static void resume_cb(struct ev_loop *loop, void *ctx)
{
	(void)loop;
	(void)ctx;
	if (H.c) {
		log_line("<resumed>", 9, false);
		conn_resume(H.c);
	}
}

/* conn_set_raw: take H.raw_left raw bytes as one "line", then lines again. */
static void switch_on_data(struct conn *c, struct buf *in)
{
	size_t n = in->len < H.raw_left ? in->len : H.raw_left;
	ck_assert_uint_gt(n, 0);
	buf_append(&H.raw, in->data, n);
	buf_consume(in, n);
	H.raw_left -= n;
	if (H.raw_left == 0) {
		log_line(H.raw.data, H.raw.len, false);
		buf_reset(&H.raw);
		conn_set_raw(c, NULL);
	}
}

static void on_line(struct conn *c, char *line, size_t len, bool overlong)
{
	ck_assert_ptr_eq(c, H.c);
	ck_assert_int_eq(line[len], 0);
	log_line(line, len, overlong);
	if (strcmp(line, "PAUSE") == 0) {
		conn_pause(c);
		ev_timer_add(H.loop, 30, resume_cb, NULL);
	} else if (strcmp(line, "PAUSE_RESUME") == 0) {
		conn_pause(c);
		conn_resume(c);
	} else if (strcmp(line, "CLOSE") == 0) {
		conn_close(c);
		conn_write(c, "ignored", 7); /* no-op after close */
		conn_close(c);
	} else if (strncmp(line, "ECHO ", 5) == 0) {
		conn_printf(c, "echo %s", line + 5);
	} else if (strcmp(line, "QUIT") == 0) {
		conn_write(c, "221 bye\n", 8);
		conn_close_after_flush(c);
	} else if (strcmp(line, "REPLY") == 0) {
		struct buf *out = conn_outbuf(c);
		buf_append_str(out, "250-a\n");
		buf_printf(out, "250 %d\n", 2);
		conn_flush(c);
	} else if (strncmp(line, "RAW ", 4) == 0) {
		H.raw_left = (size_t)atoi(line + 4);
		conn_set_raw(c, switch_on_data);
	} else if (strcmp(line, "FLOOD") == 0) {
		static char chunk[65536];
		memset(chunk, 'f', sizeof(chunk));
		for (int i = 0; i < 40; i++)
			conn_write(c, chunk, sizeof(chunk));
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

static const struct conn_handlers handlers = { on_line, on_close, NULL };

static void break_cb(struct ev_loop *loop, void *ctx)
{
	(void)ctx;
	H.break_id = 0;
	ev_loop_break(loop);
}

/* Run the loop for up to ms, or until the conn closes. */
static void run(uint64_t ms)
{
	H.break_id = ev_timer_add(H.loop, ms, break_cb, NULL);
	ck_assert_int_eq(ev_loop_run(H.loop), 0);
	ev_timer_del(H.loop, H.break_id);
}

static void start(size_t max_line, uint64_t timeout_ms)
{
	int sp[2];
	memset(&H, 0, sizeof(H));
	H.loop = ev_loop_new();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp), 0);
	H.peer = sp[1];
	H.c = conn_new(H.loop, sp[0], "peer-x", &handlers, &H, max_line, timeout_ms);
	ck_assert_ptr_nonnull(H.c);
}

static void finish(void)
{
	if (H.c)
		conn_close(H.c);
	ck_assert_int_eq(H.closes, 1);
	ck_assert_uint_eq(conn_count(), 0);
	for (int i = 0; i < H.nlines; i++)
		free(H.lines[i]);
	if (H.peer >= 0)
		close(H.peer);
	ev_loop_free(&H.loop);
}

static void peer_write(const void *data, size_t len)
{
	ck_assert_int_eq(write(H.peer, data, len), (ssize_t)len);
}

/* Write one byte per loop turn from a 0 ms timer. */
struct feeder {
	const char *data;
	size_t len, pos;
	bool close_after;
};

static void feed_cb(struct ev_loop *loop, void *ctx)
{
	struct feeder *f = ctx;
	if (f->pos < f->len) {
		peer_write(f->data + f->pos++, 1);
		ev_timer_add(loop, 0, feed_cb, f);
	} else if (f->close_after) {
		close(H.peer);
		H.peer = -1;
	}
}

static void assert_lines(const char *const *want, int n)
{
	ck_assert_int_eq(H.nlines, n);
	for (int i = 0; i < n; i++)
		ck_assert_str_eq(H.lines[i], want[i]);
}

/* Read what the peer got (waits up to 1 s for `want` bytes). */
static size_t peer_read(char *out, size_t size, size_t want)
{
	size_t got = 0;
	for (int tries = 0; tries < 100 && got < want; tries++) {
		ssize_t n = read(H.peer, out + got, size - 1 - got);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0)
			break;
		else
			run(10);
	}
	out[got] = '\0';
	return got;
}

START_TEST(test_lines_bytewise)
{
	static const char input[] = "HELO a\r\nMAIL FROM:<x>\nempty next\n\r\n\nlast\r\nNUL\0in\n"
				    "tail without end";
	static const char *const want[] = { "HELO a", "MAIL FROM:<x>", "empty next", "", "",
					    "last", "NUL" };
	start(100, 0);
	struct feeder f = { input, sizeof(input) - 1, 0, true };
	ev_timer_add(H.loop, 0, feed_cb, &f);
	run(5000);
	assert_lines(want, 7);
	ck_assert_uint_eq(H.lens[6], 6);
	ck_assert_mem_eq(H.lines[6], "NUL\0in", 6);
	ck_assert_int_eq(H.closes, 1);
	ck_assert_int_eq(H.reason, CONN_EOF);
	finish();
}
END_TEST

START_TEST(test_lines_bulk)
{
	char *input = malloc(5000 * 12);
	size_t len = 0;
	start(64, 0);
	for (int i = 0; i < 5000; i++)
		len += (size_t)sprintf(input + len, "line%d%s", i, i % 2 ? "\r\n" : "\n");
	peer_write(input, len);
	close(H.peer);
	H.peer = -1;
	run(5000);
	ck_assert_int_eq(H.nlines, 5000);
	for (int i = 0; i < 5000; i += 499) {
		char want[16];
		sprintf(want, "line%d", i);
		ck_assert_str_eq(H.lines[i], want);
	}
	ck_assert_int_eq(H.reason, CONN_EOF);
	free(input);
	finish();
}
END_TEST

START_TEST(test_overlong)
{
	static const char input[] = "0123456789\n"	 /* exactly max_line */
				    "0123456789\r\n" /* max_line + CRLF */
				    "0123456789A\n"	 /* one too long */
				    "abc\n"
				    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n"
				    "ok\n";
	start(10, 0);
	struct feeder f = { input, sizeof(input) - 1, 0, true };
	ev_timer_add(H.loop, 0, feed_cb, &f);
	run(5000);
	static const char *const want[] = { "0123456789", "0123456789", "0123456789", "abc",
					    "0123456789", "ok" };
	assert_lines(want, 6);
	ck_assert(!H.overlong[0] && !H.overlong[1] && !H.overlong[3] && !H.overlong[5]);
	ck_assert(H.overlong[2] && H.overlong[4]);
	ck_assert_int_eq(H.reason, CONN_EOF);
	finish();
}
END_TEST

START_TEST(test_overlong_bulk)
{
	char big[20000];
	start(100, 0);
	memset(big, 'x', sizeof(big));
	peer_write("first\n", 6);
	peer_write(big, sizeof(big));
	peer_write("\nafter\n", 7);
	run(200);
	ck_assert_int_eq(H.nlines, 3);
	ck_assert_str_eq(H.lines[0], "first");
	ck_assert_uint_eq(H.lens[1], 100);
	ck_assert(H.overlong[1]);
	ck_assert_str_eq(H.lines[2], "after");
	ck_assert(!H.overlong[2]);
	ck_assert_int_eq(H.closes, 0);
	finish();
	ck_assert_int_eq(H.reason, CONN_LOCAL);
}
END_TEST

START_TEST(test_pause_resume)
{
	start(100, 0);
	peer_write("A\nPAUSE\nB\nPAUSE_RESUME\nC\n", 25);
	run(300);
	static const char *const want[] = { "A", "PAUSE", "<resumed>", "B", "PAUSE_RESUME",
					    "C" };
	assert_lines(want, 6);
	finish();
}
END_TEST

START_TEST(test_pause_stops_reading)
{
	static char input[5000 * 10 + 6];
	start(100, 0);
	memcpy(input, "PAUSE\n", 6);
	for (int i = 0; i < 5000; i++)
		memcpy(input + 6 + i * 10, "xxxxxxxxx\n", 10);
	peer_write(input, sizeof(input));
	/* the resume timer fires after 30 ms: look at 20 ms */
	run(20);
	ck_assert_int_eq(H.nlines, 1);
	int pending = 0;
	ck_assert_int_eq(ioctl(conn_fd(H.c), FIONREAD, &pending), 0);
	ck_assert_int_gt(pending, (int)sizeof(input) - 200 - 16384 - 1);
	run(500);
	ck_assert_int_eq(H.nlines, 2 + 5000);
	ck_assert_str_eq(H.lines[2 + 4999], "xxxxxxxxx");
	finish();
}
END_TEST

START_TEST(test_eof_while_paused)
{
	start(100, 0);
	peer_write("PAUSE\nB\nC\npartial", 17);
	close(H.peer);
	H.peer = -1;
	run(1000);
	static const char *const want[] = { "PAUSE", "<resumed>", "B", "C" };
	assert_lines(want, 4);
	ck_assert_int_eq(H.reason, CONN_EOF);
	finish();
}
END_TEST

START_TEST(test_close_in_callback)
{
	start(100, 0);
	ck_assert_uint_eq(conn_count(), 1);
	peer_write("A\nCLOSE\nB\n", 10);
	run(1000);
	static const char *const want[] = { "A", "CLOSE" };
	assert_lines(want, 2);
	ck_assert_int_eq(H.reason, CONN_LOCAL);
	/* our end is closed: the peer sees EOF */
	char tmp[4];
	ck_assert_int_eq(read(H.peer, tmp, sizeof(tmp)), 0);
	finish();
}
END_TEST

START_TEST(test_timeout)
{
	start(100, 50);
	uint64_t t0 = ev_now_ms();
	run(2000);
	ck_assert_int_eq(H.closes, 1);
	ck_assert_int_eq(H.reason, CONN_TIMEOUT);
	ck_assert_uint_ge(H.closed_at - t0, 50);
	ck_assert_uint_lt(H.closed_at - t0, 1000);
	finish();
}
END_TEST

static void trickle_cb(struct ev_loop *loop, void *ctx)
{
	int *left = ctx;
	if (H.peer >= 0 && (*left)-- > 0) {
		peer_write("x", 1);
		ev_timer_add(loop, 20, trickle_cb, ctx);
	}
}

START_TEST(test_timeout_restarts_on_read)
{
	int left = 8; /* one byte per 20 ms for 160 ms, timeout 60 ms */
	start(100, 60);
	uint64_t t0 = ev_now_ms();
	ev_timer_add(H.loop, 20, trickle_cb, &left);
	run(3000);
	ck_assert_int_eq(H.reason, CONN_TIMEOUT);
	ck_assert_uint_ge(H.closed_at - t0, 160 + 60);
	finish();
}
END_TEST

START_TEST(test_set_timeout)
{
	start(100, 0);
	conn_set_timeout(H.c, 30);
	run(1000);
	ck_assert_int_eq(H.reason, CONN_TIMEOUT);
	finish();
}
END_TEST

START_TEST(test_peer_close_midline)
{
	start(100, 0);
	static const char input[] = "A\nhalf a li";
	struct feeder f = { input, sizeof(input) - 1, 0, true };
	ev_timer_add(H.loop, 0, feed_cb, &f);
	run(2000);
	static const char *const want[] = { "A" };
	assert_lines(want, 1);
	ck_assert_int_eq(H.reason, CONN_EOF);
	finish();
}
END_TEST

START_TEST(test_writes)
{
	char got[256];
	start(100, 0);
	ck_assert_str_eq(conn_peer(H.c), "peer-x");
	ck_assert_ptr_eq(conn_ctx(H.c), &H);
	peer_write("ECHO one\nREPLY\n", 15);
	run(50);
	peer_read(got, sizeof(got), 22);
	ck_assert_str_eq(got, "echo one\n250-a\n250 2\n");
	conn_set_crlf(H.c, true);
	conn_printf(H.c, "%d %s", 220, "ready");
	conn_printf(H.c, "already ended\r\n");
	conn_write(H.c, "raw", 3);
	peer_read(got, sizeof(got), 29);
	ck_assert_str_eq(got, "220 ready\r\nalready ended\r\nraw");
	finish();
}
END_TEST

START_TEST(test_close_after_flush)
{
	char got[64];
	start(100, 0);
	peer_write("QUIT\nMORE\n", 10);
	run(1000);
	static const char *const want[] = { "QUIT" };
	assert_lines(want, 1);
	ck_assert_int_eq(H.reason, CONN_LOCAL);
	ck_assert_uint_eq(peer_read(got, sizeof(got), 100), 8);
	ck_assert_str_eq(got, "221 bye\n");
	finish();
}
END_TEST

START_TEST(test_eof_flushes_reply)
{
	char got[64];
	start(100, 0);
	peer_write("ECHO last\n", 10);
	shutdown(H.peer, SHUT_WR);
	run(1000);
	ck_assert_int_eq(H.reason, CONN_EOF);
	ck_assert_uint_eq(peer_read(got, sizeof(got), 100), 10);
	ck_assert_str_eq(got, "echo last\n");
	finish();
}
END_TEST

START_TEST(test_slow_reader_overflow)
{
	start(100, 0);
	peer_write("FLOOD\n", 6);
	run(2000);
	ck_assert_int_eq(H.reason, CONN_OVERFLOW);
	finish();
}
END_TEST

START_TEST(test_write_error)
{
	start(100, 0);
	close(H.peer);
	H.peer = -1;
	/* outside any callback: the error is reported from the loop */
	conn_write(H.c, "x\n", 2);
	ck_assert_int_eq(H.closes, 0);
	run(1000);
	ck_assert_int_eq(H.closes, 1);
	ck_assert(H.reason == CONN_ERROR || H.reason == CONN_EOF);
	finish();
}
END_TEST

START_TEST(test_ids_and_count)
{
	struct ev_loop *loop = ev_loop_new();
	struct conn *c[50];
	char ids[50][32];
	memset(&H, 0, sizeof(H));
	H.loop = loop;
	for (int i = 0; i < 50; i++) {
		int sp[2];
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
		c[i] = conn_new(loop, sp[0], NULL, &handlers, NULL, 0, 0);
		ck_assert_ptr_nonnull(c[i]);
		close(sp[1]);
		ck_assert_uint_ge(strlen(conn_id(c[i])), 8);
		ck_assert_uint_eq(strspn(conn_id(c[i]), "0123456789abcdef"), strlen(conn_id(c[i])));
		snprintf(ids[i], sizeof(ids[i]), "%s", conn_id(c[i]));
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(ids[i], ids[j]);
	}
	ck_assert_str_eq(conn_peer(c[0]), "unknown");
	ck_assert_uint_eq(conn_count(), 50);
	for (int i = 0; i < 50; i++) {
		H.c = c[i];
		conn_close(c[i]); /* outside callbacks: on_close runs at once */
		ck_assert_int_eq(H.closes, i + 1);
		ck_assert_int_eq(H.reason, CONN_LOCAL);
	}
	ck_assert_uint_eq(conn_count(), 0);
	ev_loop_free(&loop);
}
END_TEST

/* Raw mode: netstrings (as Postfix socketmap sends them). */
static void on_data(struct conn *c, struct buf *in)
{
	const char *data;
	size_t len, used;
	int r;
	ck_assert_ptr_eq(c, H.c);
	while ((r = ipc_netstring_get(in->data, in->len, 1000, &data, &len, &used)) == 1) {
		log_line(data, len, false);
		if (len == 5 && memcmp(data, "PAUSE", 5) == 0) {
			conn_pause(c);
			ev_timer_add(H.loop, 30, resume_cb, NULL);
		}
		buf_consume(in, used);
		if (H.c && len == 5 && memcmp(data, "PAUSE", 5) == 0)
			return;
	}
	if (r < 0)
		conn_close(c);
}

static const struct conn_handlers raw_handlers = { NULL, on_close, on_data };

START_TEST(test_raw_mode)
{
	static const char input[] = "5:hello,0:,5:PAUSE,3:a\nb,12:hello world!,";
	static const char *const want[] = { "hello", "", "PAUSE", "<resumed>", "a\nb",
					    "hello world!" };
	int sp[2];
	memset(&H, 0, sizeof(H));
	H.loop = ev_loop_new();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp), 0);
	H.peer = sp[1];
	H.c = conn_new(H.loop, sp[0], "raw", &raw_handlers, NULL, 50, 0);
	struct feeder f = { input, sizeof(input) - 1, 0, false };
	ev_timer_add(H.loop, 0, feed_cb, &f);
	run(300);
	assert_lines(want, 6);
	ck_assert_int_eq(H.closes, 0);
	/* more than max_line unconsumed: closed as overflow */
	char big[80];
	memset(big, 'z', sizeof(big));
	peer_write("200:", 4);
	peer_write(big, sizeof(big));
	run(1000);
	ck_assert_int_eq(H.reason, CONN_OVERFLOW);
	finish();
}
END_TEST

/* conn_set_raw: lines -> raw -> lines inside one read and byte by byte;
 * input buffered past the switch (pipelined) is kept. */
START_TEST(test_set_raw)
{
	static const char input[] = "A\r\nRAW 7\r\nxy\r\n.\nzB\r\nRAW 1\r\n\nC\nRAW 3\r\nabc";
	static const char *const want[] = { "A", "RAW 7", "xy\r\n.\nz", "B", "RAW 1", "\n",
					    "C", "RAW 3", "abc" };
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		start(100, 0);
		buf_init(&H.raw, 0);
		struct feeder f = { input, sizeof(input) - 1, 0, true };
		if (bytewise) {
			ev_timer_add(H.loop, 0, feed_cb, &f);
		} else {
			peer_write(input, sizeof(input) - 1);
			close(H.peer);
			H.peer = -1;
		}
		run(5000);
		assert_lines(want, 9);
		ck_assert_int_eq(H.reason, CONN_EOF);
		buf_free(&H.raw);
		finish();
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("input");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_lines_bytewise);
	tcase_add_test(tc, test_lines_bulk);
	tcase_add_test(tc, test_overlong);
	tcase_add_test(tc, test_overlong_bulk);
	tcase_add_test(tc, test_pause_resume);
	tcase_add_test(tc, test_pause_stops_reading);
	tcase_add_test(tc, test_eof_while_paused);
	tcase_add_test(tc, test_close_in_callback);
	tcase_add_test(tc, test_peer_close_midline);
	tcase_add_test(tc, test_raw_mode);
	tcase_add_test(tc, test_set_raw);
	suite_add_tcase(s, tc);
	tc = tcase_create("timeout");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_timeout_restarts_on_read);
	tcase_add_test(tc, test_set_timeout);
	suite_add_tcase(s, tc);
	tc = tcase_create("output");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_writes);
	tcase_add_test(tc, test_close_after_flush);
	tcase_add_test(tc, test_eof_flushes_reply);
	tcase_add_test(tc, test_slow_reader_overflow);
	tcase_add_test(tc, test_write_error);
	tcase_add_test(tc, test_ids_and_count);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
