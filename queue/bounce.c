/* bounce: DSNs (RFC 3464) to a message's sender, queued as new messages
 * from the null sender (so they are never bounced themselves: a failed
 * DSN is logged and dropped, which also rules out bounce loops). The DSN
 * file is written and made durable through the same group commit as
 * submitted mail before the failures count as reported.
 * Invariants: the callback runs exactly once, on the loop, never inside
 * bounce_send; a DSN file that does not become durable is removed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commit.h"
#include "dsn.h"
#include "log.h"
#include "queue.h"

struct bjob {
	struct queue *q;
	int fd;
	struct qenv env;
	char orig_id[QID_SIZE];
	bounce_cb *cb;
	void *ctx;
	int result;
};

static void bjob_end(struct bjob *b)
{
	if (b->fd >= 0)
		close(b->fd);
	qenv_free(&b->env);
	b->cb(b->ctx, b->result);
	free(b);
}

static void fail_later(struct ev_loop *loop, void *arg)
{
	(void)loop;
	bjob_end(arg);
}

static void committed(void *arg, int err)
{
	struct bjob *b = arg;
	if (err) {
		log_error("bounce-commit-failed id=%s error=%s", b->env.id, log_str(strerror(err)));
		unlinkat(b->q->spool.incoming_fd, b->env.id, 0);
		b->result = -1;
	} else {
		log_info("bounce id=%s orig_id=%s to=<%s> size=%llu", b->env.id, b->orig_id,
			 log_str(b->env.rcpt[0].address), (unsigned long long)b->env.size);
		struct qmsg *m = qmsg_new(&b->env);
		if (m)
			sched_add(b->q, m);
		b->result = 0;
	}
	bjob_end(b);
}

/* The original message, or its first bounce_size_limit bytes. */
static char *read_original(struct queue *q, struct qmsg *m, size_t *len_r, bool *hdrs_r)
{
	uint64_t want = m->env.size;
	*hdrs_r = (m->env.ret && strcasecmp(m->env.ret, "HDRS") == 0) ||
		  m->env.size > q->bounce_size_limit;
	if (want > q->bounce_size_limit)
		want = q->bounce_size_limit;
	char *data = malloc(want + 1);
	int fd = spool_open_message(&q->spool, m->env.id);
	ssize_t n = data && fd >= 0 ? pread(fd, data, (size_t)want, 0) : -1;
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)want) {
		free(data);
		return NULL;
	}
	*len_r = (size_t)want;
	return data;
}

static int compose(struct queue *q, struct qmsg *m, const size_t *idx, size_t n,
		   struct buf *out)
{
	size_t olen;
	bool hdrs;
	char *orig = read_original(q, m, &olen, &hdrs);
	struct dsn_rcpt *rc = calloc(n, sizeof(*rc));
	char(*orcpt)[600] = calloc(n, sizeof(*orcpt));
	if (!orig || !rc || !orcpt) {
		free(orig);
		free(rc);
		free(orcpt);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct qfinal *f = &m->final[idx[i]];
		const struct qenv_rcpt *o = &m->env.rcpt[f->orig];
		rc[i].final = f->address;
		rc[i].status = f->status[0] ? f->status : "5.0.0";
		rc[i].diag = f->diag;
		if (o->orcpt)
			rc[i].orcpt = o->orcpt;
		else if (strcasecmp(o->address, f->address) != 0) {
			snprintf(orcpt[i], sizeof(orcpt[i]), "rfc822; %s", o->address);
			rc[i].orcpt = orcpt[i];
		}
	}
	struct dsn_input in = {
		.hostname = q->hostname, .qid = m->env.id, .envid = m->env.envid,
		.sender = m->env.sender, .arrival = m->env.arrival, .now = queue_now(),
		.headers_only = hdrs, .orig = orig, .orig_len = olen, .nrcpt = n, .rcpt = rc,
	};
	dsn_compose(&in, out);
	free(orig);
	free(rc);
	free(orcpt);
	return buf_error(out) ? -1 : 0;
}

static int write_dsn(struct queue *q, struct bjob *b, struct buf *msg)
{
	if (pwrite(b->fd, msg->data, msg->len, 0) != (ssize_t)msg->len)
		return -1;
	b->env.size = msg->len;
	buf_reset(msg);
	qenv_encode(&b->env, msg);
	if (buf_error(msg) || pwrite(b->fd, msg->data, msg->len, (off_t)b->env.size) !=
				      (ssize_t)msg->len)
		return -1;
	return commit_submit(q->commit, b->fd, committed, b);
}

void bounce_send(struct queue *q, struct qmsg *m, const size_t *idx, size_t n, bounce_cb *cb,
		 void *ctx)
{
	struct bjob *b = calloc(1, sizeof(*b));
	if (!b) {
		cb(ctx, -1); /* out of memory: no better place to report it */
		return;
	}
	*b = (struct bjob){ .q = q, .fd = -1, .cb = cb, .ctx = ctx, .result = -1 };
	qenv_init(&b->env);
	memcpy(b->orig_id, m->env.id, QID_SIZE);
	struct buf msg;
	buf_init(&msg, 0);
	int ok = compose(q, m, idx, n, &msg) == 0 &&
		 (b->fd = spool_create(&q->spool, &q->gen, b->env.id)) >= 0;
	b->env.arrival = queue_now();
	ok = ok && qenv_set(&b->env.sender, "") == 0 &&
	     qenv_set(&b->env.client_ip, "127.0.0.1") == 0 &&
	     qenv_set(&b->env.helo, q->hostname) == 0 && qenv_set(&b->env.proto, "LOCAL") == 0 &&
	     qenv_add_rcpt(&b->env, m->env.sender, NULL, NULL) == 0 && write_dsn(q, b, &msg) == 0;
	buf_free(&msg);
	if (ok)
		return;
	log_error("bounce-failed orig_id=%s error=%s", m->env.id, log_str(strerror(errno)));
	if (b->fd >= 0)
		unlinkat(q->spool.incoming_fd, b->env.id, 0);
	ev_timer_add(q->ctx->loop, 0, fail_later, b);
}
