/* conn: buffered line I/O on the event loop (reads, LF splitting, writes,
 * idle timeout, deferred close); TLS is in conn_tls.c (states: conn_impl.h).
 * Invariants: `depth` > 0 while our handlers run user callbacks, and a conn
 * is only freed (finish) at depth 0, so a callback may conn_close(); once
 * `closed` is set no user callback but on_close runs and the API is a no-op;
 * input in[in_pos..len) is unconsumed, its first `scanned` bytes hold no LF;
 * EV_READ is off while paused with >= 2*max_line buffered, at EOF, or when
 * closing; EV_WRITE is on exactly while `want_write` (with TLS, a read
 * waiting for writability and a write waiting for readability swap them). */
#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn_impl.h"
#include "net.h"

#define CONN_READ_SIZE 16384
#define CONN_MAX_OUTPUT (1024 * 1024)
#define CONN_FLUSH_TIMEOUT_MS 5000
#define CONN_DEFAULT_MAX_LINE 8192
#define CONN_KEEP_CAP (64 * 1024) /* larger empty buffers are released */
static size_t conn_live;
static struct conn *conn_all;
static unsigned conn_seq;

static void conn_io_cb(struct ev_loop *loop, int fd, unsigned events, void *ctx);
static void conn_timer_cb(struct ev_loop *loop, void *ctx);
static void conn_kick_cb(struct ev_loop *loop, void *ctx);

size_t conn_count(void)
{
	return conn_live;
}

/* Free everything; on_close runs first. Only at depth 0. */
static void conn_finish(struct conn *c)
{
	ev_io_del(c->loop, c->fd);
	ev_timer_del(c->loop, c->timer_id);
	ev_timer_del(c->loop, c->kick_id);
	c->depth++;
	if (c->h.on_close)
		c->h.on_close(c, c->reason);
	conn_tls_free(c);
	close(c->fd);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c->peer);
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else
		conn_all = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	free(c);
	conn_live--;
}

/* Run deferred work (line delivery, a close) from the loop soon. */
void conn_kick(struct conn *c)
{
	if (!c->kick_id)
		c->kick_id = ev_timer_add(c->loop, 0, conn_kick_cb, c);
}

/* Mark closed; the conn is freed when no handler of ours is running, or
 * from the loop when we were called outside one. */
void conn_fail(struct conn *c, enum conn_close_reason reason)
{
	if (c->closed)
		return;
	c->closed = true;
	c->reason = reason;
	if (c->depth == 0)
		conn_kick(c);
}

static void conn_close_when_flushed(struct conn *c, enum conn_close_reason reason);

/* May we read more input now (plaintext or TLS application data)? */
static bool conn_read_ok(const struct conn *c)
{
	return !c->closed && !c->eof && !c->closing &&
	       (c->tls == CONN_TLS_OFF || c->tls == CONN_TLS_ON) &&
	       !(c->paused && c->in.len - c->in_pos >= c->max_line * 2);
}

void conn_update_io(struct conn *c)
{
	bool rd = conn_read_ok(c), wr = !c->closed && c->want_write;
	if (c->tls == CONN_TLS_HANDSHAKE && !c->closed) {
		rd = c->hs_mask & EV_READ;
		wr = c->hs_mask & EV_WRITE;
	} else if (c->tls == CONN_TLS_ON) {
		bool r2 = (rd && !c->tls_rd_wr) || (wr && c->tls_wr_rd);
		wr = (wr && !c->tls_wr_rd) || (rd && c->tls_rd_wr);
		/* plaintext OpenSSL already holds: epoll will not tell us */
		if (rd && !c->tls_rd_wr && SSL_pending(c->ssl) > 0)
			conn_kick(c);
		rd = r2;
	}
	unsigned mask = (rd ? EV_READ : 0) | (wr ? EV_WRITE : 0);
	if (mask == c->io_mask)
		return;
	if (ev_io_set(c->loop, c->fd, mask, conn_io_cb, c) < 0) {
		conn_fail(c, CONN_ERROR);
		return;
	}
	c->io_mask = mask;
}

static ssize_t conn_write_some(struct conn *c)
{
	size_t len = c->tls == CONN_TLS_FLUSHING ? c->plain_left : c->out.len;
	if (c->tls == CONN_TLS_ON)
		return conn_tls_write(c, c->out.data, len);
	return c->is_socket ? send(c->fd, c->out.data, len, MSG_NOSIGNAL)
			    : write(c->fd, c->out.data, len);
}

void conn_try_write(struct conn *c)
{
	while (c->out.len > 0 && !c->closed && c->tls != CONN_TLS_HANDSHAKE &&
	       !(c->tls == CONN_TLS_FLUSHING && c->plain_left == 0)) {
		ssize_t n = conn_write_some(c);
		if (n > 0) {
			buf_consume(&c->out, (size_t)n);
			if (c->tls == CONN_TLS_FLUSHING)
				c->plain_left -= (size_t)n;
			c->last_active = ev_now_ms();
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			break;
		} else {
			conn_fail(c, CONN_ERROR);
			return;
		}
	}
	if (c->tls == CONN_TLS_FLUSHING && c->plain_left == 0 && !c->closed)
		conn_tls_begin(c); /* the plaintext reply is out */
	c->want_write = c->out.len > 0 && c->tls != CONN_TLS_HANDSHAKE;
	if (c->out.len == 0 && c->out.cap > CONN_KEEP_CAP)
		buf_free(&c->out); /* idle conns stay small; the limit is kept */
	if (c->out.len == 0 && c->closing)
		conn_fail(c, c->flush_reason);
	conn_update_io(c);
}

/* Find the next LF in the unconsumed input, or -1. */
static long conn_find_lf(struct conn *c)
{
	const char *start = c->in.data + c->in_pos;
	size_t avail = c->in.len - c->in_pos;
	const char *lf = memchr(start + c->scanned, '\n', avail - c->scanned);
	if (!lf) {
		c->scanned = avail;
		return -1;
	}
	return lf - start;
}

static void conn_consume(struct conn *c, size_t n)
{
	c->in_pos += n;
	c->scanned = 0;
}

/* Deliver one line (or overlong head) from in[in_pos..]; false when there is
 * no complete line and nothing to discard. */
static bool conn_next_line(struct conn *c)
{
	char *start = c->in.data + c->in_pos;
	size_t avail = c->in.len - c->in_pos;
	if (avail == 0)
		return false;
	long lf = conn_find_lf(c);
	if (c->discarding) {
		conn_consume(c, lf < 0 ? avail : (size_t)lf + 1);
		c->discarding = lf < 0;
		return lf >= 0;
	}
	if (lf < 0) {
		/* a partial line: overlong unless it may be exactly max_line + CR */
		if (avail <= c->max_line ||
		    (avail == c->max_line + 1 && start[c->max_line] == '\r'))
			return false;
		start[c->max_line] = '\0';
		conn_consume(c, avail);
		c->discarding = true;
		c->h.on_line(c, start, c->max_line, true);
		return true;
	}
	size_t len = (size_t)lf;
	if (len > 0 && start[len - 1] == '\r')
		len--;
	bool overlong = len > c->max_line;
	if (overlong)
		len = c->max_line;
	start[len] = '\0';
	conn_consume(c, (size_t)lf + 1);
	c->h.on_line(c, start, len, overlong);
	return true;
}

/* Raw mode: hand new input to on_data, which consumes what it parsed. */
static void conn_deliver_raw(struct conn *c)
{
	if (c->paused || c->closed || c->closing || !c->fresh || c->in.len == 0)
		return;
	c->fresh = false;
	c->h.on_data(c, &c->in);
	if (!c->closed && c->h.on_data && c->in.len > c->max_line)
		conn_fail(c, CONN_OVERFLOW);
}

/* Deliver lines (or raw data) while allowed; at EOF, close once all are
 * delivered. Runs inside one of our handlers (depth > 0). */
static void conn_process_input(struct conn *c)
{
	if (c->tls == CONN_TLS_FLUSHING || c->tls == CONN_TLS_HANDSHAKE)
		return; /* nothing is delivered until TLS is up */
	void (*mode)(struct conn *, struct buf *) = c->h.on_data;
	if (c->h.on_data)
		conn_deliver_raw(c);
	else
		while (!c->h.on_data && !c->paused && !c->closed && !c->closing &&
		       conn_next_line(c))
			;
	if (c->in_pos > 0) {
		buf_consume(&c->in, c->in_pos);
		c->in_pos = 0;
	}
	if (c->in.len == 0 && c->in.cap > CONN_KEEP_CAP)
		buf_free(&c->in);
	if (c->eof && !c->paused && !c->closed && !c->closing &&
	    (mode == c->h.on_data || c->in.len == 0)) { /* else: conn_set_raw kicked */
		/* the trailing partial line, if any, is dropped */
		conn_close_when_flushed(c, CONN_EOF);
	}
}

static void conn_do_read(struct conn *c)
{
	char *p = buf_reserve(&c->in, CONN_READ_SIZE);
	if (!p) {
		conn_fail(c, CONN_ERROR);
		return;
	}
	ssize_t n = c->tls == CONN_TLS_ON ? conn_tls_read(c, p, CONN_READ_SIZE)
					  : read(c->fd, p, CONN_READ_SIZE);
	if (n > 0) {
		buf_added(&c->in, (size_t)n);
		c->fresh = true;
		c->last_active = ev_now_ms();
	} else if (n == 0) {
		c->eof = true;
	} else if (errno != EAGAIN && errno != EINTR) {
		conn_fail(c, CONN_ERROR);
	}
}

/* End of every handler: flush what callbacks queued, then free or re-arm. */
static void conn_leave(struct conn *c)
{
	if (!c->closed && c->out.len > 0 && !c->want_write)
		conn_try_write(c);
	if (--c->depth > 0)
		return;
	if (c->closed)
		conn_finish(c);
	else
		conn_update_io(c);
}

static void conn_io_cb(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	struct conn *c = ctx;
	(void)loop;
	(void)fd;
	c->depth++;
	if (c->tls == CONN_TLS_HANDSHAKE) {
		conn_tls_handshake(c);
	} else {
		/* with TLS a write may wait for EV_READ and a read for EV_WRITE */
		bool rd = (events & (c->tls_rd_wr ? EV_WRITE : EV_READ)) != 0;
		if (events & (c->tls_wr_rd ? EV_READ : EV_WRITE))
			conn_try_write(c);
		if (rd && !c->closed && !c->eof &&
		    (c->tls == CONN_TLS_OFF || c->tls == CONN_TLS_ON)) {
			conn_do_read(c);
			conn_process_input(c);
		}
	}
	conn_leave(c);
}

static void conn_kick_cb(struct ev_loop *loop, void *ctx)
{
	struct conn *c = ctx;
	(void)loop;
	c->kick_id = 0;
	c->depth++;
	if (!c->closed && c->tls == CONN_TLS_HANDSHAKE) {
		conn_tls_handshake(c);
	} else if (!c->closed) {
		/* plaintext OpenSSL holds (epoll cannot see it): read, deliver */
		if (c->tls == CONN_TLS_ON && conn_read_ok(c) && !c->tls_rd_wr &&
		    SSL_pending(c->ssl) > 0)
			conn_do_read(c);
		conn_process_input(c);
	}
	conn_leave(c);
}

void conn_arm_timer(struct conn *c, uint64_t ms)
{
	ev_timer_del(c->loop, c->timer_id);
	c->timer_id = ms ? ev_timer_add(c->loop, ms, conn_timer_cb, c) : 0;
}

/* Idle timeout (restarted lazily: activity only moves last_active), or the
 * close_after_flush deadline when closing. */
static void conn_timer_cb(struct ev_loop *loop, void *ctx)
{
	struct conn *c = ctx;
	(void)loop;
	c->timer_id = 0;
	c->depth++;
	uint64_t idle = ev_now_ms() - c->last_active;
	if (c->closing)
		conn_fail(c, CONN_TIMEOUT);
	else if (c->tls == CONN_TLS_FLUSHING || c->tls == CONN_TLS_HANDSHAKE)
		conn_tls_timer(c);
	else if (c->timeout_ms && idle >= c->timeout_ms)
		conn_fail(c, CONN_TIMEOUT);
	else if (c->timeout_ms)
		conn_arm_timer(c, c->timeout_ms - idle);
	conn_leave(c);
}

/* Stop reading and delivering; close with `reason` once the output is
 * written, or with CONN_TIMEOUT after CONN_FLUSH_TIMEOUT_MS. */
static void conn_close_when_flushed(struct conn *c, enum conn_close_reason reason)
{
	if (c->closed || c->closing)
		return;
	c->closing = true;
	c->flush_reason = reason;
	if (c->out.len == 0) {
		conn_fail(c, reason);
		return;
	}
	conn_arm_timer(c, CONN_FLUSH_TIMEOUT_MS);
	if (c->depth == 0 && !c->want_write)
		conn_try_write(c);
	else
		conn_update_io(c);
}

struct conn *conn_new(struct ev_loop *loop, int fd, const char *peer,
		      const struct conn_handlers *h, void *ctx, size_t max_line,
		      uint64_t timeout_ms)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct stat st;
	if (!c || !(c->peer = strdup(peer ? peer : "unknown"))) {
		free(c);
		close(fd);
		return NULL;
	}
	c->loop = loop;
	c->fd = fd;
	c->h = *h;
	c->ctx = ctx;
	c->max_line = max_line ? max_line : CONN_DEFAULT_MAX_LINE;
	buf_init(&c->in, 0);
	buf_init(&c->out, CONN_MAX_OUTPUT);
	c->is_socket = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
	snprintf(c->id, sizeof(c->id), "%05x%07x", (unsigned)getpid() & 0xfffffu,
		 ++conn_seq & 0xfffffffu);
	if (net_set_nonblock(fd, true) < 0 ||
	    ev_io_set(loop, fd, EV_READ, conn_io_cb, c) < 0) {
		free(c->peer);
		free(c);
		close(fd);
		return NULL;
	}
	c->io_mask = EV_READ;
	c->last_active = ev_now_ms();
	c->timeout_ms = timeout_ms;
	conn_arm_timer(c, timeout_ms);
	conn_live++;
	c->all_next = conn_all;
	if (conn_all)
		conn_all->all_prev = c;
	conn_all = c;
	return c;
}

void *conn_ctx(const struct conn *c) { return c->ctx; }
const char *conn_peer(const struct conn *c) { return c->peer; }
int conn_fd(const struct conn *c) { return c->fd; }
const char *conn_id(const struct conn *c) { return c->id; }

void conn_pause(struct conn *c)
{
	c->paused = true;
}

void conn_resume(struct conn *c)
{
	if (c->closed || !c->paused)
		return;
	c->paused = false;
	c->fresh = true;
	/* deliver buffered lines (or the pending EOF) from the loop, never
	 * from inside the caller's stack */
	if (c->in.len > 0 || c->eof)
		conn_kick(c);
	if (c->depth == 0)
		conn_update_io(c);
}

void conn_set_raw(struct conn *c, void (*on_data)(struct conn *c, struct buf *in))
{
	if (c->closed)
		return;
	if (c->in_pos > 0) { /* line mode had consumed these */
		buf_consume(&c->in, c->in_pos);
		c->in_pos = 0;
	}
	c->scanned = 0;
	c->discarding = false;
	c->h.on_data = on_data;
	c->fresh = true;
	if (c->in.len > 0)
		conn_kick(c); /* the rest goes out in the new mode */
}

void conn_set_timeout(struct conn *c, uint64_t timeout_ms)
{
	if (c->closed)
		return;
	c->timeout_ms = timeout_ms;
	c->last_active = ev_now_ms();
	if (!c->closing && (c->tls == CONN_TLS_OFF || c->tls == CONN_TLS_ON))
		conn_arm_timer(c, timeout_ms); /* a handshake keeps its deadline */
}

void conn_close_after_flush(struct conn *c)
{
	conn_close_when_flushed(c, CONN_LOCAL);
}

void conn_close(struct conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	c->reason = CONN_LOCAL;
	if (c->depth == 0)
		conn_finish(c);
}

void conn_close_all(void)
{
	while (conn_all) {
		struct conn *c = conn_all;
		if (!c->closed)
			conn_close(c);
		else if (c->depth == 0)
			conn_finish(c); /* closed, its deferred free not run yet */
		else
			break; /* inside a callback: not an exit path */
	}
}
