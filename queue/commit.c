/* commit: group commit of spool files (commit.h).
 * A batch: every request's fdatasync runs as a workpool job; when the last
 * returns, one job fsyncs the directory; then each request's callback runs
 * with its own error (or the directory's). Requests arriving meanwhile
 * wait in `pending` and become the next batch, so batches grow with load
 * and a lone request waits for exactly one file and one directory sync.
 * Invariants: one batch at a time; every request is answered once. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "commit.h"
#include "workpool.h"

struct creq {
	struct creq *next;
	struct commit *c;
	int fd, err;
	commit_cb *cb;
	void *ctx;
};

struct commit {
	struct ev_loop *loop;
	struct workpool *pool;
	int dir_fd, dir_err;
	struct creq *pending, **pending_tail, *batch;
	size_t outstanding, count;
	uint64_t kick_timer;
	bool in_batch, freeing;
};

static void start_batch(struct commit *c);

struct commit *commit_new(struct ev_loop *loop, int dir_fd, unsigned threads)
{
	struct commit *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->loop = loop;
	c->dir_fd = dir_fd;
	c->pending_tail = &c->pending;
	if (!(c->pool = workpool_new(loop, threads))) {
		free(c);
		return NULL;
	}
	return c;
}

static void answer_batch(struct commit *c)
{
	struct creq *r = c->batch;
	c->batch = NULL;
	c->in_batch = false;
	while (r) {
		struct creq *next = r->next;
		int err = c->freeing ? ECANCELED : r->err ? r->err : c->dir_err;
		c->count--;
		r->cb(r->ctx, err);
		free(r);
		r = next;
	}
	if (c->pending && !c->freeing)
		start_batch(c);
}

static void dir_work(void *arg)
{
	struct commit *c = arg;
	c->dir_err = fsync(c->dir_fd) < 0 ? errno : 0;
}

static void dir_done(void *arg, bool cancelled)
{
	struct commit *c = arg;
	if (cancelled)
		c->dir_err = ECANCELED;
	answer_batch(c);
}

static void file_work(void *arg)
{
	struct creq *r = arg;
	r->err = fdatasync(r->fd) < 0 ? errno : 0;
}

static void file_done(void *arg, bool cancelled)
{
	struct creq *r = arg;
	struct commit *c = r->c;
	if (cancelled)
		r->err = ECANCELED;
	if (--c->outstanding > 0)
		return;
	c->dir_err = 0;
	if (c->freeing || !workpool_submit(c->pool, dir_work, dir_done, c)) {
		c->dir_err = c->freeing ? ECANCELED : ENOMEM;
		answer_batch(c);
	}
}

static void start_batch(struct commit *c)
{
	c->batch = c->pending;
	c->pending = NULL;
	c->pending_tail = &c->pending;
	c->in_batch = true;
	c->outstanding = 1; /* held until every job is submitted */
	for (struct creq *r = c->batch; r; r = r->next) {
		c->outstanding++;
		if (!workpool_submit(c->pool, file_work, file_done, r)) {
			r->err = ENOMEM;
			c->outstanding--;
		}
	}
	struct creq hold = { .c = c };
	file_done(&hold, false);
}

static void kick(struct ev_loop *loop, void *arg)
{
	struct commit *c = arg;
	(void)loop;
	c->kick_timer = 0;
	if (!c->in_batch && c->pending)
		start_batch(c);
}

int commit_submit(struct commit *c, int fd, commit_cb *cb, void *ctx)
{
	struct creq *r = calloc(1, sizeof(*r));
	if (!r)
		return -1;
	r->c = c;
	r->fd = fd;
	r->cb = cb;
	r->ctx = ctx;
	*c->pending_tail = r;
	c->pending_tail = &r->next;
	c->count++;
	if (!c->in_batch && !c->kick_timer) /* gather what arrives in this loop turn */
		c->kick_timer = ev_timer_add(c->loop, 0, kick, c);
	return 0;
}

size_t commit_pending(const struct commit *c)
{
	return c->count;
}

void commit_free(struct commit **cp)
{
	struct commit *c = *cp;
	if (!c)
		return;
	c->freeing = true;
	ev_timer_del(c->loop, c->kick_timer);
	workpool_free(&c->pool); /* cancelled jobs finish the batch */
	if (c->in_batch)
		answer_batch(c);
	struct creq *r = c->pending;
	while (r) {
		struct creq *next = r->next;
		r->cb(r->ctx, ECANCELED);
		free(r);
		r = next;
	}
	free(c);
	*cp = NULL;
}
