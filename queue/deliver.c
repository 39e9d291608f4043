/* deliver: one delivery round of a message (round.h): expire it when its
 * lifetime is over, else expand its recipients, hand its pending local
 * finals to the LMTP agent in transactions of up to QUEUE_TXN_MAX_RCPT,
 * defer remote ones (no remote delivery yet), record every result, send
 * one DSN for the failures, then remove the message or schedule its next
 * try with backoff.
 * Invariants: each result is recorded (state file) before the round ends;
 * a failure is marked reported (N) only after its DSN is durable or when
 * none is due (null sender, NOTIFY=NEVER or without FAILURE); a message is
 * removed only when nothing is pending. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dsn.h"
#include "log.h"
#include "round.h"

struct djob {
	struct agent_job job;
	struct round *r;
	size_t *idx;
	char (*xid)[96];
};

static void step_deliver(struct round *r);
static void step_bounce(struct round *r);
static void finish(struct round *r);

void deliver_record(struct queue *q, struct qmsg *m, struct buf *recs)
{
	if (recs->len == 0)
		return;
	if (buf_error(recs) || spool_state_append(&q->spool, m->env.id, recs->data, recs->len) < 0)
		log_error("state-write-failed id=%s error=%s", m->env.id,
			  buf_error(recs) ? "out-of-memory" : log_str(strerror(errno)));
	buf_reset(recs);
}

void deliver_remove(struct queue *q, struct qmsg *m, const char *why)
{
	if (spool_remove(&q->spool, m->env.id) < 0)
		log_error("spool-remove-failed id=%s error=%s", m->env.id, log_str(strerror(errno)));
	log_info("removed id=%s reason=%s", m->env.id, why);
	sched_drop(q, m);
}

static uint64_t lifetime(const struct queue *q, const struct qmsg *m)
{
	return m->env.sender[0] ? q->lifetime : q->bounce_lifetime;
}

/* Lifetime over: every pending recipient fails with its latest reason. */
static void expire(struct round *r)
{
	struct qmsg *m = r->m;
	for (size_t i = 0; i < m->env.nrcpt; i++) {
		if (m->expanded[i])
			continue;
		long f = qmsg_find_final(m, m->env.rcpt[i].address);
		if (f < 0 && (f = qmsg_add_final(m, i, m->env.rcpt[i].address, true)) >= 0) {
			qmsg_set_reason(&m->final[f], "4.4.7", m->orig_reason[i]);
			qrec_final(&r->recs, i, m->env.rcpt[i].address, true);
		}
		m->expanded[i] = true;
		qrec_expanded(&r->recs, i);
	}
	for (size_t i = 0; i < m->nfinal; i++) {
		struct qfinal *f = &m->final[i];
		if (f->state != QF_PENDING)
			continue;
		char diag[LMTP_REPLY_MAX + 64];
		snprintf(diag, sizeof(diag), "message expired in the queue: %s",
			 f->diag ? f->diag : "delivery temporarily suspended");
		qmsg_set_reason(f, f->status[0] == '4' ? f->status : "4.4.7", diag);
		f->state = QF_FAILED;
		qrec_reason(&r->recs, 'F', i, f->status, f->diag);
		log_info("expired id=%s to=<%s> status=%s", m->env.id, log_str(f->address), f->status);
	}
}

void deliver_round(struct queue *q, struct qmsg *m)
{
	struct round *r = calloc(1, sizeof(*r));
	bool *temp = calloc(m->env.nrcpt ? m->env.nrcpt : 1, sizeof(bool));
	if (!r || !temp) {
		free(r);
		free(temp);
		return;
	}
	r->q = q;
	r->m = m;
	r->orig_temp = temp;
	r->fd = -1;
	buf_init(&r->recs, 0);
	m->busy = true;
	m->flush = false;
	q->active++;
	if (m->attempts > 0 && (uint64_t)(queue_now() - m->env.arrival) >= lifetime(q, m)) {
		expire(r);
		step_bounce(r);
		return;
	}
	r->next = step_deliver;
	expand_start(r);
}

static void result(struct round *r, size_t fi, const struct lmtp_rcpt *rc)
{
	struct qmsg *m = r->m;
	struct qfinal *f = &m->final[fi];
	char status[16];
	const char *text = rc->text[0] ? rc->text : "4.4.2 no reply";
	dsn_status_of(rc->code ? rc->code : 451, rc->code ? text + (strlen(text) > 4 ? 4 : 0) : text,
		      status, sizeof(status));
	if (rc->code / 100 == 2) {
		f->state = QF_DONE;
		qrec_mark(&r->recs, 'D', fi);
		log_info("delivered id=%s to=<%s> orig_to=<%s> relay=lmtp status=%s reply=%s",
			 m->env.id, log_str(f->address), log_str(m->env.rcpt[f->orig].address),
			 status, log_str(text));
		return;
	}
	qmsg_set_reason(f, status, text);
	if (rc->code / 100 == 5) {
		f->state = QF_FAILED;
		qrec_reason(&r->recs, 'F', fi, status, text);
		log_info("failed id=%s to=<%s> relay=lmtp status=%s reply=%s", m->env.id,
			 log_str(f->address), status, log_str(text));
		return;
	}
	if (rc->unknown && !f->maybe) {
		f->maybe = true;
		qrec_mark(&r->recs, 'M', fi);
	}
	qrec_reason(&r->recs, 'd', fi, status, text);
	r->retry = true;
	log_info("deferred id=%s to=<%s> relay=lmtp status=%s reply=%s%s", m->env.id,
		 log_str(f->address), status, log_str(text), rc->unknown ? " outcome=unknown" : "");
}

static void job_done(struct agent_job *job)
{
	struct djob *dj = (struct djob *)job;
	struct round *r = dj->r;
	for (size_t i = 0; i < job->txn.nrcpt; i++)
		result(r, dj->idx[i], &job->txn.rcpt[i]);
	deliver_record(r->q, r->m, &r->recs);
	free(job->txn.rcpt);
	free(dj->idx);
	free(dj->xid);
	free(dj);
	if (--r->jobs == 0)
		step_bounce(r);
}

static int submit_job(struct round *r, const size_t *idx, size_t n)
{
	struct qmsg *m = r->m;
	struct djob *dj = calloc(1, sizeof(*dj));
	struct lmtp_rcpt *rc = calloc(n, sizeof(*rc));
	size_t *ix = malloc(n * sizeof(*ix));
	char(*xid)[96] = calloc(n, sizeof(*xid));
	if (!dj || !rc || !ix || !xid) {
		free(dj);
		free(rc);
		free(ix);
		free(xid);
		return -1;
	}
	memcpy(ix, idx, n * sizeof(*ix));
	for (size_t i = 0; i < n; i++) {
		struct qfinal *f = &m->final[idx[i]];
		snprintf(xid[i], sizeof(xid[i]), "%" PRId64 ".%s.%zu%s", m->env.arrival, m->env.id,
			 idx[i], f->maybe ? ";R" : "");
		rc[i].address = f->address;
		rc[i].xternid = xid[i];
	}
	dj->r = r;
	dj->idx = ix;
	dj->xid = xid;
	dj->job.txn = (struct lmtp_txn){
		.sender = m->env.sender, .size = m->env.size, .ret = m->env.ret,
		.envid = m->env.envid, .body = m->env.body, .smtputf8 = m->env.smtputf8,
		.fd = r->fd, .len = m->env.size, .nrcpt = n, .rcpt = rc,
	};
	dj->job.done = job_done;
	dj->job.ctx = dj;
	r->jobs++;
	if (r->q->local->ops->deliver(r->q->local->self, &dj->job) < 0) {
		r->jobs--;
		free(rc);
		free(ix);
		free(xid);
		free(dj);
		return -1;
	}
	return 0;
}

static void defer_remote(struct round *r, size_t fi)
{
	struct qfinal *f = &r->m->final[fi];
	static const char why[] = "4.4.0 no remote delivery yet (remote SMTP is not implemented)";
	if (!f->diag || strcmp(f->diag, why) != 0) {
		qmsg_set_reason(f, "4.4.0", why);
		qrec_reason(&r->recs, 'd', fi, "4.4.0", why);
	}
	r->retry = true;
}

static void step_deliver(struct round *r)
{
	struct qmsg *m = r->m;
	size_t *batch = malloc(QUEUE_TXN_MAX_RCPT * sizeof(*batch)), n = 0;
	r->jobs = 1; /* held while jobs are made */
	if (m->nfinal > 0 && (r->fd = spool_open_message(&r->q->spool, m->env.id)) < 0)
		log_error("spool-open-failed id=%s error=%s", m->env.id, log_str(strerror(errno)));
	for (size_t i = 0; i < m->nfinal; i++) {
		struct qfinal *f = &m->final[i];
		if (f->state != QF_PENDING)
			continue;
		if (!f->local) {
			defer_remote(r, i);
			continue;
		}
		if (!batch || r->fd < 0) {
			r->retry = true;
			continue;
		}
		batch[n++] = i;
		if (n == QUEUE_TXN_MAX_RCPT) {
			if (submit_job(r, batch, n) < 0)
				r->retry = true;
			n = 0;
		}
	}
	if (n > 0 && submit_job(r, batch, n) < 0)
		r->retry = true;
	free(batch);
	deliver_record(r->q, m, &r->recs);
	if (--r->jobs == 0)
		step_bounce(r);
}

static bool wants_failure_dsn(const struct qenv_rcpt *o)
{
	if (!o->notify)
		return true;
	return strcasestr(o->notify, "NEVER") == NULL && strcasestr(o->notify, "FAILURE") != NULL;
}

static void bounce_done(void *arg, int res)
{
	struct round *r = arg;
	for (size_t i = 0; i < r->nbounce; i++) {
		if (res == 0) {
			r->m->final[r->bounce_idx[i]].state = QF_NOTIFIED;
			qrec_mark(&r->recs, 'N', r->bounce_idx[i]);
		}
	}
	if (res != 0)
		r->retry = true;
	finish(r);
}

static void step_bounce(struct round *r)
{
	struct qmsg *m = r->m;
	r->bounce_idx = malloc((m->nfinal ? m->nfinal : 1) * sizeof(size_t));
	for (size_t i = 0; i < m->nfinal; i++) {
		struct qfinal *f = &m->final[i];
		if (f->state != QF_FAILED)
			continue;
		const char *why = !m->env.sender[0] ? "null-sender" :
				  !wants_failure_dsn(&m->env.rcpt[f->orig]) ? "notify" : NULL;
		if (why || !r->bounce_idx) {
			if (!r->bounce_idx) {
				r->retry = true;
				continue;
			}
			log_info("bounce-suppressed id=%s to=<%s> reason=%s", m->env.id,
				 log_str(f->address), why);
			f->state = QF_NOTIFIED;
			qrec_mark(&r->recs, 'N', i);
			continue;
		}
		r->bounce_idx[r->nbounce++] = i;
	}
	if (r->nbounce > 0)
		bounce_send(r->q, m, r->bounce_idx, r->nbounce, bounce_done, r);
	else
		finish(r);
}

static void finish(struct round *r)
{
	struct queue *q = r->q;
	struct qmsg *m = r->m;
	if (r->fd >= 0)
		close(r->fd);
	m->busy = false;
	q->active--;
	if (qmsg_complete(m)) {
		deliver_record(q, m, &r->recs);
		deliver_remove(q, m, "done");
	} else {
		m->attempts++;
		int64_t now = queue_now();
		uint64_t wait = queue_backoff(q->min_backoff, q->max_backoff, m->attempts);
		m->next_try = now + (int64_t)wait;
		if ((uint64_t)(now - m->env.arrival) >= lifetime(q, m))
			m->next_try = now; /* lifetime over: the next round bounces */
		qrec_schedule(&r->recs, m->attempts, m->next_try);
		deliver_record(q, m, &r->recs);
	}
	buf_free(&r->recs);
	expand_free(r);
	free(r->bounce_idx);
	free(r);
	sched_kick(q);
}
