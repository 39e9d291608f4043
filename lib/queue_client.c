/* queue_client: the source side of the queue submit protocol (see
 * queue_client.h, queue_proto.h): a non-blocking UNIX socket read with
 * recvmsg (the spool fd arrives with a one-byte 'F' message after the OK
 * line of BEGIN; an 'F' before the line is accepted too), tab-escaped
 * request lines, and buffered writes into the passed spool file.
 * Invariants: at most one step (BEGIN or COMMIT) awaits a reply and it
 * has a timer; `busy` > 0 while a callback runs, and a txn freed then is
 * released when the callback returns; no fd is leaked on any path. */
#include "queue_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "ipc.h"
#include "net.h"
#include "queue_proto.h"

#define QC_WRITE_BATCH 65536

enum qc_state { QC_BEGIN, QC_FD, QC_OPEN, QC_COMMIT, QC_DONE };

struct queue_txn {
	struct ev_loop *loop;
	int sock, file;
	enum qc_state state;
	queue_cb *cb;
	void *ctx;
	struct buf in, out, data;
	uint64_t size, timeout_ms, timer;
	char id[64], reason[256];
	bool write_failed, lost, freed, committed;
	int write_errno; /* why a write to the spool file failed (ENOSPC...) */
	int busy; /* depth of our loop callbacks */
	int passed_fd; /* an fd received before its 'F' byte was parsed */
};

static void qc_io(struct ev_loop *loop, int fd, unsigned events, void *ctx);

static void release(struct queue_txn *t)
{
	ev_timer_del(t->loop, t->timer);
	if (t->sock >= 0) {
		ev_io_del(t->loop, t->sock);
		close(t->sock);
	}
	if (t->file >= 0)
		close(t->file);
	if (t->passed_fd >= 0)
		close(t->passed_fd);
	buf_free(&t->in);
	buf_free(&t->out);
	buf_free(&t->data);
	free(t);
}

/* Finish the awaited step with r. */
static void finish(struct queue_txn *t, enum queue_result r, const char *text)
{
	queue_cb *cb = t->cb;
	ev_timer_del(t->loop, t->timer);
	t->timer = 0;
	t->cb = NULL;
	if (r != QUEUE_OK || t->state == QC_COMMIT)
		t->state = QC_DONE;
	else
		t->state = QC_OPEN;
	if (!cb)
		return;
	cb(r, text, t->ctx);
}

/* Around every loop callback: a txn freed inside is released at the end. */
static void enter(struct queue_txn *t)
{
	t->busy++;
}

static void leave(struct queue_txn *t)
{
	if (--t->busy == 0 && t->freed)
		release(t);
}

static void update_io(struct queue_txn *t)
{
	if (t->sock < 0)
		return;
	unsigned mask = EV_READ | (t->out.len ? EV_WRITE : 0);
	if (ev_io_set(t->loop, t->sock, mask, qc_io, t) < 0)
		t->lost = true;
}

static void flush_out(struct queue_txn *t)
{
	while (t->out.len > 0 && t->sock >= 0) {
		ssize_t n = send(t->sock, t->out.data, t->out.len, MSG_NOSIGNAL);
		if (n > 0)
			buf_consume(&t->out, (size_t)n);
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && errno == EAGAIN)
			break;
		else {
			t->lost = true;
			buf_reset(&t->out);
		}
	}
	update_io(t);
}

static void timer_cb(struct ev_loop *loop, void *ctx)
{
	struct queue_txn *t = ctx;
	(void)loop;
	t->timer = 0;
	enter(t);
	if (t->cb)
		finish(t, QUEUE_TEMP, t->reason[0] ? t->reason : "queue timeout");
	leave(t);
}

/* Report from the loop (never inside the caller's call). */
static void soon(struct queue_txn *t, const char *reason)
{
	snprintf(t->reason, sizeof(t->reason), "%s", reason);
	ev_timer_del(t->loop, t->timer);
	t->timer = ev_timer_add(t->loop, 0, timer_cb, t);
}

static void handle_line(struct queue_txn *t, char *line, size_t len)
{
	char *f[3];
	int n = ipc_split_fields(line, len, f, NULL, 3);
	const char *text = n >= 2 ? f[1] : "";
	if (n >= 2 && strcmp(f[0], "OK") == 0 && t->state == QC_BEGIN) {
		snprintf(t->id, sizeof(t->id), "%s", f[1]);
		t->state = QC_FD;
	} else if (n >= 1 && strcmp(f[0], "OK") == 0 && t->state == QC_COMMIT) {
		t->committed = true;
		finish(t, QUEUE_OK, text[0] ? text : t->id);
	} else if (n >= 1 && strcmp(f[0], "TEMP") == 0 && t->state != QC_FD) {
		finish(t, QUEUE_TEMP, text[0] ? text : "queue temporary failure");
	} else if (n >= 1 && strcmp(f[0], "PERM") == 0 && t->state == QC_COMMIT) {
		finish(t, QUEUE_PERM, text[0] ? text : "queue permanent failure");
	} else {
		t->lost = true;
		finish(t, QUEUE_TEMP, "queue protocol error");
	}
}

/* Parse input: lines, and the 'F' byte that carries the spool fd. */
static void parse_input(struct queue_txn *t)
{
	while (t->in.len > 0 && t->state != QC_DONE && !t->freed) {
		if (t->in.data[0] == QUEUE_PROTO_FD_TAG && t->passed_fd >= 0 &&
		    (t->state == QC_FD || t->state == QC_BEGIN)) {
			buf_consume(&t->in, 1);
			t->file = t->passed_fd;
			t->passed_fd = -1;
			if (t->state == QC_FD)
				finish(t, QUEUE_OK, t->id);
			continue;
		}
		char *lf = memchr(t->in.data, '\n', t->in.len);
		if (!lf) {
			if (t->in.len > QUEUE_PROTO_MAX_LINE)
				finish(t, QUEUE_TEMP, "queue protocol error");
			return;
		}
		size_t len = (size_t)(lf - t->in.data);
		*lf = '\0';
		handle_line(t, t->in.data, len);
		if (t->freed || t->state == QC_DONE)
			return;
		buf_consume(&t->in, len + 1);
		if (t->state == QC_FD && t->file >= 0)
			finish(t, QUEUE_OK, t->id); /* the fd came first */
	}
}

static void read_some(struct queue_txn *t)
{
	char *p = buf_reserve(&t->in, 4096);
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct iovec iov = { p, 4096 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.space,
			      .msg_controllen = sizeof(cm.space) };
	ssize_t n = p ? recvmsg(t->sock, &msg, MSG_CMSG_CLOEXEC) : -1;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (t->passed_fd < 0 && t->file < 0)
				t->passed_fd = fd;
			else
				close(fd);
		}
	}
	if (n <= 0) {
		t->lost = true;
		ev_io_del(t->loop, t->sock);
		close(t->sock);
		t->sock = -1;
		if (t->cb)
			finish(t, QUEUE_TEMP, "queue connection lost");
		return;
	}
	buf_added(&t->in, (size_t)n);
	parse_input(t);
}

static void qc_io(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	struct queue_txn *t = ctx;
	(void)loop;
	(void)fd;
	enter(t);
	if (events & EV_WRITE)
		flush_out(t);
	if ((events & EV_READ) && t->sock >= 0 && !t->freed)
		read_some(t);
	leave(t);
}

static void put_line(struct queue_txn *t, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_append_char(&t->out, '\t');
		ipc_tabescape(&t->out, fields[i], strlen(fields[i]));
	}
	buf_append_char(&t->out, '\n');
	flush_out(t);
}

struct queue_txn *queue_txn_begin(struct ev_loop *loop, const char *socket_path,
				  uint64_t timeout_ms, const char *client_ip, const char *helo,
				  const char *proto, queue_cb *cb, void *ctx)
{
	struct queue_txn *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->loop = loop;
	t->file = t->passed_fd = -1;
	t->cb = cb;
	t->ctx = ctx;
	t->timeout_ms = timeout_ms ? timeout_ms : 60000;
	buf_init(&t->in, 0);
	buf_init(&t->out, 0);
	buf_init(&t->data, 0);
	t->sock = net_connect_unix(socket_path, (int)t->timeout_ms);
	if (t->sock < 0) {
		char reason[200];
		snprintf(reason, sizeof(reason), "queue unreachable: %s", strerror(errno));
		soon(t, reason);
		return t;
	}
	const char *f[] = { "BEGIN", client_ip ? client_ip : "", helo ? helo : "",
			    proto ? proto : "SMTP" };
	put_line(t, f, 4);
	t->timer = ev_timer_add(loop, t->timeout_ms, timer_cb, t);
	return t;
}

static void envelope_line(struct queue_txn *t, const char *verb, const char *addr,
			  const char *const *kv, size_t n)
{
	const char *f[2 + 16];
	if (t->state != QC_OPEN || n > 16)
		return;
	f[0] = verb;
	f[1] = addr;
	for (size_t i = 0; i < n; i++)
		f[2 + i] = kv[i];
	put_line(t, f, 2 + n);
}

void queue_txn_mail(struct queue_txn *t, const char *sender, const char *const *kv, size_t n)
{
	envelope_line(t, "MAIL", sender, kv, n);
}

void queue_txn_rcpt(struct queue_txn *t, const char *address, const char *const *kv, size_t n)
{
	envelope_line(t, "RCPT", address, kv, n);
}

static int write_data(struct queue_txn *t)
{
	size_t off = 0;
	while (off < t->data.len && !t->write_failed) {
		ssize_t n = write(t->file, t->data.data + off, t->data.len - off);
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else {
			t->write_failed = true;
			t->write_errno = n < 0 ? errno : EIO;
		}
	}
	buf_reset(&t->data);
	return t->write_failed ? -1 : 0;
}

int queue_txn_write(struct queue_txn *t, const void *data, size_t len)
{
	if (t->state != QC_OPEN || t->file < 0 || t->write_failed)
		return -1;
	t->size += len;
	if (t->data.len + len > QC_WRITE_BATCH && write_data(t) < 0)
		return -1;
	if (len >= QC_WRITE_BATCH) {
		buf_append(&t->data, data, len); /* written at once below */
		return write_data(t);
	}
	buf_append(&t->data, data, len);
	return buf_error(&t->data) ? (t->write_failed = true, -1) : 0;
}

uint64_t queue_txn_size(const struct queue_txn *t)
{
	return t->size;
}

void queue_txn_commit(struct queue_txn *t, queue_cb *cb, void *ctx)
{
	char size[32];
	t->cb = cb;
	t->ctx = ctx;
	if (t->state != QC_OPEN || t->file < 0 || write_data(t) < 0 || t->lost) {
		char why[128];
		snprintf(why, sizeof(why), "queue file write error: %s",
			 t->write_errno ? strerror(t->write_errno) : "not open");
		t->state = QC_COMMIT;
		soon(t, t->lost ? "queue connection lost" : why);
		return;
	}
	close(t->file);
	t->file = -1;
	t->state = QC_COMMIT;
	snprintf(size, sizeof(size), "%llu", (unsigned long long)t->size);
	const char *f[] = { "COMMIT", size };
	put_line(t, f, 2);
	ev_timer_del(t->loop, t->timer);
	t->timer = ev_timer_add(t->loop, t->timeout_ms, timer_cb, t);
}

const char *queue_txn_id(const struct queue_txn *t)
{
	return t->id;
}

void queue_txn_free(struct queue_txn **tp)
{
	struct queue_txn *t = *tp;
	*tp = NULL;
	if (!t || t->freed)
		return;
	if (t->sock >= 0 && !t->committed && !t->lost) {
		static const char abort_line[] = "ABORT\n";
		(void)!send(t->sock, abort_line, sizeof(abort_line) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	t->cb = NULL;
	t->freed = true;
	if (!t->busy)
		release(t);
}

int queue_submit_path(const struct conf *conf, char *out, size_t outsize)
{
	return conf_listener_unix_path(conf, "queue", "submit", out, outsize);
}
