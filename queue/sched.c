/* sched: the message list and the queue's clock. A new, flushed or
 * released message is tried at once (sched_kick); a deferred one at the
 * first queue run (every queue_run_delay) after its backoff has passed.
 * At most QUEUE_MAX_ACTIVE rounds run at once; a finished round kicks
 * the scheduler so waiting messages start.
 * Invariants: held and busy messages are never started; nothing starts
 * once the service is stopping. */
#include <string.h>

#include "log.h"
#include "queue.h"

void sched_add(struct queue *q, struct qmsg *m)
{
	m->prev = q->tail;
	m->next = NULL;
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->count++;
	if (!m->hold)
		sched_kick(q);
}

void sched_drop(struct queue *q, struct qmsg *m)
{
	if (m->prev)
		m->prev->next = m->next;
	else
		q->head = m->next;
	if (m->next)
		m->next->prev = m->prev;
	else
		q->tail = m->prev;
	q->count--;
	qmsg_free(&m);
}

struct qmsg *sched_find(struct queue *q, const char *id)
{
	for (struct qmsg *m = q->head; m; m = m->next)
		if (strcmp(m->env.id, id) == 0)
			return m;
	return NULL;
}

static void scan(struct queue *q)
{
	int64_t now = queue_now();
	struct qmsg *m = q->head, *next;
	for (; m && q->active < QUEUE_MAX_ACTIVE && !q->ctx->stopping; m = next) {
		next = m->next; /* a round may remove m (expired, nothing to do) */
		if (m->busy || m->hold || (!m->flush && m->next_try > now))
			continue;
		deliver_round(q, m);
	}
}

static void kick_cb(struct ev_loop *loop, void *arg)
{
	struct queue *q = arg;
	(void)loop;
	q->kick_timer = 0;
	scan(q);
}

void sched_kick(struct queue *q)
{
	if (!q->kick_timer)
		q->kick_timer = ev_timer_add(q->ctx->loop, 0, kick_cb, q);
}

static void run_cb(struct ev_loop *loop, void *arg)
{
	struct queue *q = arg;
	q->run_timer = ev_timer_add(loop, q->run_delay * 1000, run_cb, q);
	scan(q);
}

void sched_start(struct queue *q)
{
	q->run_timer = ev_timer_add(q->ctx->loop, q->run_delay * 1000, run_cb, q);
	sched_kick(q);
}

void sched_stop(struct queue *q)
{
	ev_timer_del(q->ctx->loop, q->run_timer);
	ev_timer_del(q->ctx->loop, q->kick_timer);
	q->run_timer = q->kick_timer = 0;
}
