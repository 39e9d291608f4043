/* agent_lmtp: the LMTP delivery agent (agent.h) over lib/lmtp_client:
 * a fixed set of connection slots to one LMTP server, each reused for
 * the next job; jobs wait in FIFO order for a free slot.
 * Invariants: a slot holds at most one job; a dead connection is freed
 * and replaced on the next dispatch; every job's done runs exactly once
 * (from lmtp_client's callback, so never inside deliver). */
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"

struct lslot {
	struct lagent *a;
	struct lmtp_client *cl;
	struct agent_job *job;
};

struct lagent {
	struct ev_loop *loop;
	struct net_addr addr;
	char host[256];
	uint64_t timeout_ms;
	size_t nslots, busy;
	struct lslot *slots;
	struct agent_job *wait_head, **wait_tail;
};

static void dispatch(struct lagent *a);

static void txn_done(struct lmtp_client *cl, struct lmtp_txn *t, void *arg)
{
	struct lslot *s = arg;
	struct lagent *a = s->a;
	struct agent_job *job = s->job;
	(void)t;
	s->job = NULL;
	a->busy--;
	if (lmtp_client_dead(cl))
		lmtp_client_free(&s->cl);
	job->done(job);
	dispatch(a);
}

static struct lslot *free_slot(struct lagent *a)
{
	for (size_t i = 0; i < a->nslots; i++) {
		struct lslot *s = &a->slots[i];
		if (s->job)
			continue;
		if (s->cl && lmtp_client_dead(s->cl))
			lmtp_client_free(&s->cl);
		if (!s->cl)
			s->cl = lmtp_client_new(a->loop, &a->addr, a->host, a->timeout_ms);
		if (s->cl)
			return s;
	}
	return NULL;
}

static void dispatch(struct lagent *a)
{
	struct lslot *s;
	while (a->wait_head && (s = free_slot(a)) != NULL) {
		struct agent_job *job = a->wait_head;
		a->wait_head = job->next;
		if (!a->wait_head)
			a->wait_tail = &a->wait_head;
		job->next = NULL;
		s->job = job;
		a->busy++;
		if (lmtp_client_send(s->cl, &job->txn, txn_done, s) < 0) {
			/* cannot happen for a fresh or ready client; retry later */
			s->job = NULL;
			a->busy--;
			lmtp_client_free(&s->cl);
			job->next = a->wait_head;
			a->wait_head = job;
			if (!job->next)
				a->wait_tail = &job->next;
			return;
		}
	}
}

static int lagent_deliver(void *self, struct agent_job *job)
{
	struct lagent *a = self;
	job->next = NULL;
	*a->wait_tail = job;
	a->wait_tail = &job->next;
	dispatch(a);
	return 0;
}

static bool lagent_idle(void *self)
{
	struct lagent *a = self;
	return a->busy == 0 && a->wait_head == NULL;
}

static void lagent_free(void *self)
{
	struct lagent *a = self;
	for (size_t i = 0; i < a->nslots; i++)
		lmtp_client_free(&a->slots[i].cl);
	free(a->slots);
	free(a);
}

static const struct agent_ops lmtp_ops = {
	.name = "lmtp",
	.deliver = lagent_deliver,
	.idle = lagent_idle,
	.free = lagent_free,
};

struct agent *agent_lmtp_new(struct ev_loop *loop, const struct net_addr *addr,
			     const char *hostname, uint64_t timeout_ms, size_t connections)
{
	struct agent *ag = calloc(1, sizeof(*ag));
	struct lagent *a = calloc(1, sizeof(*a));
	struct lslot *slots = calloc(connections ? connections : 1, sizeof(*slots));
	if (!ag || !a || !slots) {
		free(ag);
		free(a);
		free(slots);
		return NULL;
	}
	a->loop = loop;
	a->addr = *addr;
	snprintf(a->host, sizeof(a->host), "%s", hostname);
	a->timeout_ms = timeout_ms;
	a->nslots = connections ? connections : 1;
	a->slots = slots;
	for (size_t i = 0; i < a->nslots; i++)
		slots[i].a = a;
	a->wait_tail = &a->wait_head;
	ag->ops = &lmtp_ops;
	ag->self = a;
	return ag;
}

void agent_free(struct agent **ap)
{
	struct agent *ag = *ap;
	if (!ag)
		return;
	ag->ops->free(ag->self);
	free(ag);
	*ap = NULL;
}
