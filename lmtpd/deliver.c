/* deliver: one LMTP transaction written into the recipients' Maildirs on
 * a worker thread (maildir_deliver_many: one fsync per new/ directory for
 * the whole transaction), then one reply per recipient, in RCPT order.
 * Each copy gets "Return-Path: <sender>" and "Delivered-To: <rcpt>" first,
 * as Dovecot's LMTP writes them. With XTERNID the file base name is
 * "<secs>.Q<queue-id>R<index>.<host>" and a retried (;R) recipient whose
 * file already exists in new/ or cur/ is answered 250 without a copy.
 * Invariants: the worker touches only the transaction (never the session
 * or the loop); a session that ends meanwhile is detached and gets no
 * replies; nothing is answered 250 before its file and directory are
 * durable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lmtpd.h"
#include "log.h"

struct lmtp_txn {
	struct lmtp_session *ls; /* NULL once detached */
	struct lmtpd *d;
	int fd;
	char *sender;
	struct lmtp_rcpt *rcpts;
	size_t n;
	struct lmtp_deliver_opts o;
	bool quota_tempfail;
	char id[32], sid[32];
};

/* Folder choice and the ;R check for one recipient (worker thread). */
static void prepare_rcpt(const struct lmtp_deliver_opts *o, struct lmtp_rcpt *r)
{
	char dir[4096];
	snprintf(r->folder, sizeof(r->folder), "INBOX");
	if (o->save_detail && r->detail != NULL)
		(void)maildir_detail_folder(r->root, r->detail, r->folder);
	if (!r->retry || r->base_id[0] == '\0')
		return;
	int found = 0;
	if (maildir_folder_path(r->root, r->folder, dir, sizeof(dir)) == 0)
		found = lmtp_dedup_find(dir, r->base_id, r->name);
	if (found == 0 && strcmp(r->folder, "INBOX") != 0)
		found = lmtp_dedup_find(r->root, r->base_id, r->name);
	if (found < 0) {
		r->err.kind = MAILDIR_FAIL_TEMP;
		r->err.errnum = errno;
		snprintf(r->err.text, sizeof(r->err.text), "duplicate check: %s", strerror(errno));
	}
	r->duplicate = found > 0;
}

/* The quota of recipient i: shared with an earlier recipient of the same
 * root (so the batch's pending usage is counted once), else a new one
 * owned by qs[i]. NULL when out of memory. */
static struct maildir_quota *quota_for(const struct lmtp_deliver_opts *o,
				       const struct lmtp_rcpt *rcpts, struct maildir_quota **qs,
				       size_t i)
{
	const struct lmtp_rcpt *r = &rcpts[i];
	for (size_t k = 0; k < i; k++)
		if (qs[k] != NULL && strcmp(rcpts[k].root, r->root) == 0)
			return qs[k];
	qs[i] = maildir_quota_new(r->root, r->rules, r->nrules, o->grace_bytes, o->grace_percent);
	return qs[i];
}

static void fail_all(struct lmtp_rcpt *rcpts, size_t n, const char *why)
{
	for (size_t i = 0; i < n; i++)
		if (rcpts[i].err.kind == MAILDIR_FAIL_NONE && !rcpts[i].duplicate) {
			rcpts[i].err.kind = MAILDIR_FAIL_TEMP;
			snprintf(rcpts[i].err.text, sizeof(rcpts[i].err.text), "%s", why);
		}
}

void lmtp_deliver_batch(const struct lmtp_deliver_opts *o, int fd, const char *sender,
			struct lmtp_rcpt *rcpts, size_t n)
{
	struct maildir_target *tg = calloc(n, sizeof(*tg));
	struct maildir_quota **qs = calloc(n, sizeof(*qs));
	char **pre = calloc(n, sizeof(*pre));
	size_t *map = calloc(n, sizeof(*map)), m = 0;
	if (tg == NULL || qs == NULL || pre == NULL || map == NULL) {
		fail_all(rcpts, n, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct lmtp_rcpt *r = &rcpts[i];
		prepare_rcpt(o, r);
		if (r->duplicate || r->err.kind != MAILDIR_FAIL_NONE)
			continue;
		tg[m].quota = quota_for(o, rcpts, qs, i);
		if (tg[m].quota == NULL ||
		    asprintf(&pre[i], "Return-Path: <%s>\r\nDelivered-To: %s\r\n", sender,
			     r->address) < 0) {
			pre[i] = NULL;
			fail_all(rcpts, n, "out of memory");
			goto out;
		}
		tg[m].root = r->root;
		tg[m].folder = r->folder;
		tg[m].prepend = pre[i];
		tg[m].base_id = r->base_id[0] ? r->base_id : NULL;
		map[m++] = i;
	}
	struct maildir_source src = { .fd = fd };
	(void)maildir_deliver_many(&src, tg, m);
	for (size_t k = 0; k < m; k++) {
		struct lmtp_rcpt *r = &rcpts[map[k]];
		r->err = tg[k].err_r;
		snprintf(r->name, sizeof(r->name), "%s", tg[k].name_r);
	}
out:
	for (size_t i = 0; qs != NULL && i < n; i++)
		maildir_quota_free(&qs[i]);
	for (size_t i = 0; pre != NULL && i < n; i++)
		free(pre[i]);
	free(tg);
	free(qs);
	free(pre);
	free(map);
}

static void deliver_work(void *arg)
{
	struct lmtp_txn *t = arg;
	lmtp_deliver_batch(&t->o, t->fd, t->sender, t->rcpts, t->n);
}

static void log_result(const struct lmtp_txn *t, const struct lmtp_rcpt *r,
		       const struct lmtp_reply *rep)
{
	if (r->duplicate)
		log_info("%s duplicate-skipped msgid=%s rcpt=%s user=%s folder=%s file=%s", t->sid,
			 t->id, log_str(r->address), log_str(r->user), log_str(r->folder),
			 log_str(r->name));
	else if (rep->code == 250)
		log_info("%s saved msgid=%s rcpt=%s user=%s folder=%s file=%s", t->sid, t->id,
			 log_str(r->address), log_str(r->user), log_str(r->folder),
			 log_str(r->name));
	else
		log_warning("%s delivery-failed msgid=%s rcpt=%s user=%s code=%d error=%s", t->sid,
			    t->id, log_str(r->address), log_str(r->user), rep->code,
			    log_str(r->err.text));
}

static void txn_free(struct lmtp_txn *t)
{
	for (size_t i = 0; i < t->n; i++)
		lmtp_rcpt_clear(&t->rcpts[i]);
	free(t->rcpts);
	free(t->sender);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

static void deliver_done(void *arg, bool cancelled)
{
	struct lmtp_txn *t = arg;
	struct lmtp_session *ls = t->ls;
	if (cancelled)
		fail_all(t->rcpts, t->n, "delivery cancelled");
	if (ls != NULL)
		ls->txn = NULL;
	for (size_t i = 0; i < t->n; i++) {
		struct lmtp_rcpt *r = &t->rcpts[i];
		struct lmtp_reply rep;
		lmtp_result_reply(&r->err, t->quota_tempfail, &rep);
		log_result(t, r, &rep);
		if (ls == NULL)
			continue;
		if (rep.code == 250)
			smtp_reply(ls->s, 250, "2.0.0", "<%s> %s Saved", r->address, t->id);
		else
			smtp_reply(ls->s, rep.code, rep.enhanced, "<%s> %s", r->address, rep.text);
	}
	txn_free(t);
}

void lmtp_deliver_start(struct lmtp_session *ls)
{
	const struct conf *conf = ls->d->ctx->conf;
	struct lmtp_txn *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		for (size_t i = 0; i < ls->nrcpt; i++)
			smtp_reply(ls->s, 451, "4.3.0", "<%s> Out of memory", ls->rcpts[i].address);
		return;
	}
	t->ls = ls;
	t->d = ls->d;
	t->fd = ls->spool_fd;
	t->sender = ls->sender;
	t->rcpts = ls->rcpts;
	t->n = ls->nrcpt;
	ls->spool_fd = -1;
	ls->sender = NULL;
	ls->rcpts = NULL;
	ls->nrcpt = ls->cap = 0;
	snprintf(t->id, sizeof(t->id), "%s", ls->id);
	snprintf(t->sid, sizeof(t->sid), "%s", smtp_session_id(ls->s));
	t->o.save_detail = conf_bool(conf, NULL, "lmtp_save_to_detail_mailbox");
	t->quota_tempfail = conf_bool(conf, NULL, "quota_full_tempfail");
	if (maildir_quota_grace_parse(conf_str(conf, NULL, "quota_grace"), &t->o.grace_bytes,
				      &t->o.grace_percent) < 0)
		t->o.grace_bytes = 0, t->o.grace_percent = 10; /* Dovecot's default */
	if (t->sender == NULL && (t->sender = strdup("")) == NULL)
		fail_all(t->rcpts, t->n, "out of memory");
	ls->txn = t;
	if (workpool_submit(ls->d->pool, deliver_work, deliver_done, t) == NULL) {
		deliver_work(t); /* no memory for a job: do it here, blocking */
		deliver_done(t, false);
	}
}

void lmtp_deliver_detach(struct lmtp_session *ls)
{
	if (ls->txn != NULL) {
		ls->txn->ls = NULL;
		ls->txn = NULL;
	}
}
