/* submit: the queue side of lib/queue_proto.h on the "submit" listener.
 * A source's transaction: BEGIN creates incoming/<id> and passes its fd;
 * MAIL and RCPT build the envelope (errors are remembered and answered at
 * COMMIT, as the protocol has no reply for them); COMMIT checks the size,
 * appends the trailer and hands the file to the group commit; only when
 * that reports the file and directory durable does the source get OK.
 * Invariants: a file whose transaction ends without a successful commit
 * (ABORT, close, any error) is unlinked; the message enters the scheduler
 * exactly when it is durable, even if its source has gone meanwhile. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commit.h"
#include "conn.h"
#include "ipc.h"
#include "log.h"
#include "net.h"
#include "queue.h"
#include "queue_proto.h"

#define SUBMIT_TIMEOUT_MS (10 * 60 * 1000)
#define SUBMIT_MAX_FIELDS 16

struct source;

struct pending {
	struct queue *q;
	struct source *src; /* NULL once the source has gone */
	int fd;
	struct qenv env;
};

struct source {
	struct queue *q;
	struct conn *c;
	int fd; /* the spool file of the open transaction, -1 = none */
	struct qenv env;
	bool have_mail;
	const char *bad; /* why COMMIT must fail */
	struct pending *committing;
};

static void drop_file(struct source *s)
{
	if (s->fd < 0)
		return;
	unlinkat(s->q->spool.incoming_fd, s->env.id, 0);
	close(s->fd);
	s->fd = -1;
	qenv_free(&s->env);
	s->have_mail = false;
	s->bad = NULL;
}

static void on_begin(struct source *s, char **f, int n)
{
	if (s->fd >= 0 || n != 4) {
		log_warning("%s submit-protocol-error reason=unexpected-begin", conn_id(s->c));
		conn_close(s->c);
		return;
	}
	qenv_init(&s->env);
	s->fd = spool_create(&s->q->spool, &s->q->gen, s->env.id);
	if (s->fd < 0) {
		log_error("%s spool-create-failed error=%s", conn_id(s->c), log_str(strerror(errno)));
		conn_printf(s->c, "TEMP\tcannot create a spool file: %s", strerror(errno));
		return;
	}
	if (qenv_set(&s->env.client_ip, f[1]) < 0 || qenv_set(&s->env.helo, f[2]) < 0 ||
	    qenv_set(&s->env.proto, f[3]) < 0)
		s->bad = "out of memory";
	/* The line, then the fd with its tag byte, in this order on the wire:
	 * written directly (conn's buffer is empty in this lock-step protocol;
	 * a reply it held would have to go first). */
	char ok[8 + QID_SIZE];
	int len = snprintf(ok, sizeof(ok), "OK\t%s\n", s->env.id);
	const char *step = conn_outbuf(s->c)->len != 0 ? "pending-output" :
			   send(conn_fd(s->c), ok, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) != len ?
			   "send" :
			   net_send_fd(conn_fd(s->c), s->fd, QUEUE_PROTO_FD_TAG) < 0 ? "send-fd" : NULL;
	if (step) {
		log_warning("%s submit-fd-pass-failed id=%s step=%s error=%s", conn_id(s->c),
			    s->env.id, step, log_str(strerror(errno)));
		conn_close(s->c);
	}
}

/* "key=value" fields from f[from]; value NULL for a bare keyword. */
static const char *param(char **f, int n, int from, const char *key, bool *present_r)
{
	size_t kl = strlen(key);
	for (int i = from; i < n; i++)
		if (strncasecmp(f[i], key, kl) == 0 && (f[i][kl] == '=' || f[i][kl] == '\0')) {
			*present_r = true;
			return f[i][kl] == '=' ? f[i] + kl + 1 : NULL;
		}
	*present_r = false;
	return NULL;
}

static void on_mail(struct source *s, char **f, int n)
{
	bool p;
	if (s->fd < 0 || s->have_mail || n < 2) {
		s->bad = "MAIL out of sequence";
		return;
	}
	s->have_mail = true;
	if (qenv_set(&s->env.sender, f[1]) < 0 ||
	    qenv_set(&s->env.ret, param(f, n, 2, "ret", &p)) < 0 ||
	    qenv_set(&s->env.envid, param(f, n, 2, "envid", &p)) < 0 ||
	    qenv_set(&s->env.body, param(f, n, 2, "body", &p)) < 0)
		s->bad = "out of memory";
	param(f, n, 2, "smtputf8", &p);
	s->env.smtputf8 = p;
}

static void on_rcpt(struct source *s, char **f, int n)
{
	bool p;
	if (s->fd < 0 || !s->have_mail || n < 2 || !f[1][0]) {
		s->bad = "RCPT out of sequence";
		return;
	}
	if (s->env.nrcpt >= QUEUE_PROTO_MAX_RCPT) {
		s->bad = "too many recipients";
		return;
	}
	const char *orcpt = param(f, n, 2, "orcpt", &p);
	const char *notify = param(f, n, 2, "notify", &p);
	if (qenv_add_rcpt(&s->env, f[1], orcpt && *orcpt ? orcpt : NULL,
			  notify && *notify ? notify : NULL) < 0)
		s->bad = "out of memory";
}

static void commit_done(void *arg, int err)
{
	struct pending *p = arg;
	struct queue *q = p->q;
	struct source *s = p->src;
	if (err) {
		log_error("commit-failed id=%s error=%s", p->env.id, log_str(strerror(err)));
		unlinkat(q->spool.incoming_fd, p->env.id, 0);
		if (s)
			conn_printf(s->c, "TEMP\tcannot sync the spool: %s", strerror(err));
	} else {
		log_info("%s queued id=%s from=<%s> nrcpt=%zu size=%llu client=%s proto=%s",
			 s ? conn_id(s->c) : "-", p->env.id, log_str(p->env.sender), p->env.nrcpt,
			 (unsigned long long)p->env.size, log_str(p->env.client_ip),
			 log_str(p->env.proto));
		if (s)
			conn_printf(s->c, "OK\t%s", p->env.id);
		struct qmsg *m = qmsg_new(&p->env);
		if (m)
			sched_add(q, m);
		else /* on disk and complete: the next start delivers it */
			log_error("queue-out-of-memory id=%s", p->env.id);
	}
	close(p->fd);
	qenv_free(&p->env);
	if (s) {
		s->committing = NULL;
		conn_resume(s->c);
	}
	free(p);
}

static int check_commit(struct source *s, char **f, int n, const char **why_r)
{
	struct stat st;
	char *end;
	unsigned long long size = n == 2 && f[1][0] >= '0' && f[1][0] <= '9' ?
					  strtoull(f[1], &end, 10) : 0;
	if (n != 2 || f[1][0] < '0' || f[1][0] > '9' || *end)
		*why_r = "bad COMMIT";
	else if (s->bad)
		*why_r = s->bad;
	else if (!s->have_mail || s->env.nrcpt == 0)
		*why_r = "no sender or no recipients";
	else if (fstat(s->fd, &st) < 0 || (unsigned long long)st.st_size != size)
		*why_r = "size mismatch";
	else {
		s->env.size = size;
		return 0;
	}
	return -1;
}

static int write_trailer(struct source *s)
{
	struct buf t;
	buf_init(&t, QENV_TRAILER_MAX + QENV_END_MAX);
	s->env.arrival = queue_now();
	qenv_encode(&s->env, &t);
	ssize_t n = buf_error(&t) ? -1 : pwrite(s->fd, t.data, t.len, (off_t)s->env.size);
	int ok = n == (ssize_t)t.len;
	if (!ok && n >= 0)
		errno = ENOSPC;
	buf_free(&t);
	return ok ? 0 : -1;
}

static void on_commit(struct source *s, char **f, int n)
{
	const char *why;
	if (s->fd < 0) {
		conn_printf(s->c, "PERM\tno transaction");
		return;
	}
	if (check_commit(s, f, n, &why) < 0) {
		log_warning("%s submit-rejected id=%s reason=%s", conn_id(s->c), s->env.id,
			    log_str(why));
		conn_printf(s->c, "PERM\t%s", why);
		drop_file(s);
		return;
	}
	struct pending *p = calloc(1, sizeof(*p));
	if (!p || write_trailer(s) < 0 || commit_submit(s->q->commit, s->fd, commit_done, p) < 0) {
		int e = p ? errno : ENOMEM;
		log_error("%s spool-write-failed id=%s error=%s", conn_id(s->c), s->env.id,
			  log_str(strerror(e)));
		conn_printf(s->c, "TEMP\t%s", e == ENOSPC || e == EDQUOT ? "spool disk full" :
						    strerror(e));
		free(p);
		drop_file(s);
		return;
	}
	*p = (struct pending){ .q = s->q, .src = s, .fd = s->fd, .env = s->env };
	qenv_init(&s->env);
	s->fd = -1;
	s->have_mail = false;
	s->bad = NULL;
	s->committing = p;
	conn_pause(s->c);
}

static void on_line(struct conn *c, char *line, size_t len, bool overlong)
{
	struct source *s = conn_ctx(c);
	char *f[SUBMIT_MAX_FIELDS];
	size_t lens[SUBMIT_MAX_FIELDS];
	int n = overlong ? -1 : ipc_split_fields(line, len, f, lens, SUBMIT_MAX_FIELDS);
	for (int i = 0; i < n; i++)
		if (memchr(f[i], '\0', lens[i]))
			n = -1;
	if (n >= 1 && strcmp(f[0], "BEGIN") == 0)
		on_begin(s, f, n);
	else if (n >= 1 && strcmp(f[0], "MAIL") == 0)
		on_mail(s, f, n);
	else if (n >= 1 && strcmp(f[0], "RCPT") == 0)
		on_rcpt(s, f, n);
	else if (n >= 1 && strcmp(f[0], "COMMIT") == 0)
		on_commit(s, f, n);
	else if (n == 1 && strcmp(f[0], "ABORT") == 0)
		drop_file(s);
	else if (overlong || n < 0) {
		if (s->fd >= 0)
			s->bad = "malformed line";
		else
			conn_close(c);
	} else {
		log_warning("%s submit-protocol-error reason=unknown-command", conn_id(c));
		conn_close(c);
	}
}

static void on_close(struct conn *c, enum conn_close_reason reason)
{
	struct source *s = conn_ctx(c);
	(void)reason;
	if (s->fd >= 0)
		log_info("%s submit-abandoned id=%s", conn_id(c), s->env.id);
	drop_file(s);
	if (s->committing)
		s->committing->src = NULL;
	s->q->sources--;
	free(s);
}

void submit_accept(struct queue *q, int fd, const char *peer)
{
	static const struct conn_handlers h = { .on_line = on_line, .on_close = on_close };
	struct source *s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return;
	}
	s->q = q;
	s->fd = -1;
	qenv_init(&s->env);
	s->c = conn_new(q->ctx->loop, fd, peer, &h, s, QUEUE_PROTO_MAX_LINE, SUBMIT_TIMEOUT_MS);
	if (!s->c) {
		free(s);
		return;
	}
	q->sources++;
}
