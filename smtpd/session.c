/* session: smtpd's backend for the SMTP engine: the greeting (and the
 * per-IP connection limit), MAIL (syntax only), RCPT (rcpt.c), and the
 * message path to the queue: BEGIN at DATA, the bytes into the spool fd,
 * COMMIT at the end; 250 only when the queue says the message is durable.
 * Invariants: a transaction's queue_txn is freed (ABORT) on every reset,
 * so a message is queued only through a successful COMMIT; every refusal
 * and every queued message is one log line with rip=. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "smtp_parse.h"
#include "smtpd.h"

void smtpd_set_busy(struct smtpd_session *ss, bool busy)
{
	if (ss->busy != busy)
		busy ? smtpd.busy++ : smtpd.busy--;
	ss->busy = busy;
}

void smtpd_log_reject(struct smtpd_session *ss, const char *to, int code, const char *reason)
{
	log_info("%s reject service=smtpd rip=%s from=%s to=%s code=%d reason=%s",
		 smtp_session_id(ss->s), ss->ip, log_str(ss->sender ? ss->sender : ""),
		 log_str(to ? to : ""), code, log_str(reason));
}

static void on_connect(struct smtp_session *s)
{
	struct smtpd_session *ss = smtp_session_ctx(s);
	ss->s = s;
	log_info("%s connect service=smtpd rip=%s", smtp_session_id(s), ss->ip);
	if (!smtpd_client_add(ss->ip, smtpd.conn_limit)) {
		smtpd_log_reject(ss, NULL, 421, "too many connections from this client");
		smtp_reply(s, 421, "4.7.0", "%s Error: too many connections from %s",
			   smtpd.set.hostname, ss->ip);
		return;
	}
	ss->counted = true;
	smtp_reply(s, 220, NULL, "%s ESMTP tern", smtpd.set.hostname);
}

static void envelope_free(struct smtpd_session *ss)
{
	free(ss->sender);
	free(ss->ret);
	free(ss->envid);
	free(ss->body);
	ss->sender = ss->ret = ss->envid = ss->body = NULL;
	ss->smtputf8 = false;
	ss->size_param = 0;
}

static void on_mail(struct smtp_session *s, const struct smtp_mail *m)
{
	struct smtpd_session *ss = smtp_session_ctx(s);
	envelope_free(ss);
	ss->sender = strdup(m->sender);
	ss->ret = m->ret ? strdup(m->ret) : NULL;
	ss->envid = m->envid ? strdup(m->envid) : NULL;
	ss->body = m->body ? strdup(m->body) : NULL;
	ss->smtputf8 = m->smtputf8;
	ss->size_param = m->size;
	if (!ss->sender || (m->ret && !ss->ret) || (m->envid && !ss->envid) ||
	    (m->body && !ss->body)) {
		smtp_reply(s, 452, "4.3.0", "Error: out of memory");
		return;
	}
	smtp_reply(s, 250, "2.1.0", "Ok");
}

static void on_rcpt(struct smtp_session *s, const struct smtp_rcpt *r)
{
	smtpd_check_rcpt(smtp_session_ctx(s), r);
}

/* 4xx for a queue TEMP: disk full is 452 4.3.1 (RFC 3463), else 451. */
static void queue_temp(struct smtpd_session *ss, const char *reason)
{
	bool full = strstr(reason, "No space") || strstr(reason, "disk full") ||
		    strstr(reason, "quota");
	smtpd_log_reject(ss, NULL, full ? 452 : 451, reason);
	if (full)
		smtp_reply(ss->s, 452, "4.3.1", "Error: insufficient system storage");
	else
		smtp_reply(ss->s, 451, "4.3.0", "Error: queue file write error");
}

static void begin_done(enum queue_result r, const char *text, void *ctx)
{
	struct smtpd_session *ss = ctx;
	char kv[6][SMTP_XTEXT_MAX + 16];
	const char *p[6];
	size_t n = 0;
	smtpd_set_busy(ss, false);
	if (r != QUEUE_OK) {
		queue_temp(ss, text);
		queue_txn_free(&ss->txn);
		return;
	}
#define KV(fmt, val) (snprintf(kv[n], sizeof(kv[n]), fmt, val), p[n] = kv[n], n++)
	if (ss->ret)
		KV("ret=%s", ss->ret);
	if (ss->envid)
		KV("envid=%s", ss->envid);
	if (ss->body)
		KV("body=%s", ss->body);
	if (ss->size_param)
		KV("size=%llu", (unsigned long long)ss->size_param);
	if (ss->smtputf8)
		KV("%s", "smtputf8");
	queue_txn_mail(ss->txn, ss->sender, p, n);
	for (size_t i = 0; i < ss->nrcpt; i++) {
		n = 0;
		if (ss->rcpts[i].orcpt)
			KV("orcpt=%s", ss->rcpts[i].orcpt);
		if (ss->rcpts[i].notify)
			KV("notify=%s", ss->rcpts[i].notify);
		queue_txn_rcpt(ss->txn, ss->rcpts[i].address, p, n);
	}
#undef KV
	smtp_data_ready(ss->s, text);
}

static void on_data_start(struct smtp_session *s)
{
	struct smtpd_session *ss = smtp_session_ctx(s);
	if (!smtpd.queue_path[0]) {
		queue_temp(ss, "no queue submit socket configured");
		return;
	}
	ss->txn = queue_txn_begin(smtpd.ctx->loop, smtpd.queue_path, SMTPD_QUEUE_TIMEOUT_MS, ss->ip,
				  smtp_session_helo(s), smtp_session_proto(s), begin_done, ss);
	if (!ss->txn) {
		queue_temp(ss, "out of memory");
		return;
	}
	smtpd_set_busy(ss, true);
}

static int on_data(struct smtp_session *s, const char *data, size_t len)
{
	struct smtpd_session *ss = smtp_session_ctx(s);
	if (ss->txn == NULL)
		return -1;
	/* A failed write (e.g. ENOSPC) is remembered by the transaction and
	 * reported, with its reason, at COMMIT: the reply can then say 452
	 * 4.3.1 for a full disk, and the log says why. */
	(void)queue_txn_write(ss->txn, data, len);
	return 0;
}

static void commit_done(enum queue_result r, const char *text, void *ctx)
{
	struct smtpd_session *ss = ctx;
	smtpd_set_busy(ss, false);
	if (r == QUEUE_OK) {
		ss->messages++;
		log_info("%s queued service=smtpd id=%s from=%s nrcpt=%zu size=%llu rip=%s tls=%s",
			 smtp_session_id(ss->s), log_str(text), log_str(ss->sender), ss->nrcpt,
			 (unsigned long long)queue_txn_size(ss->txn), ss->ip,
			 smtp_session_tls(ss->s) ? "yes" : "no");
		smtp_reply(ss->s, 250, "2.0.0", "Ok: queued as %s", text);
	} else if (r == QUEUE_TEMP) {
		queue_temp(ss, text);
	} else {
		smtpd_log_reject(ss, NULL, 554, text);
		smtp_reply(ss->s, 554, "5.3.0", "Error: message not accepted by the queue");
	}
}

static void on_data_end(struct smtp_session *s, uint64_t size)
{
	struct smtpd_session *ss = smtp_session_ctx(s);
	(void)size;
	smtpd_set_busy(ss, true);
	queue_txn_commit(ss->txn, commit_done, ss);
}

static void on_reset(struct smtp_session *s)
{
	struct smtpd_session *ss = smtp_session_ctx(s);
	queue_txn_free(&ss->txn);
	smtpd_rcpts_free(ss);
	envelope_free(ss);
	if (!ss->req) /* a pending RCPT lookup finishes with on_close */
		smtpd_set_busy(ss, false);
}

static void on_close(struct smtp_session *s)
{
	struct smtpd_session *ss = smtp_session_ctx(s);
	if (ss->req)
		dirclient_cancel(ss->req);
	ss->req = NULL;
	on_reset(s);
	smtpd_set_busy(ss, false);
	free(ss->cur_addr);
	free(ss->cur_orcpt);
	free(ss->cur_notify);
	free(ss->cur_key);
	if (ss->counted)
		smtpd_client_del(ss->ip);
	log_info("%s disconnect service=smtpd rip=%s messages=%zu", smtp_session_id(s), ss->ip,
		 ss->messages);
	free(ss);
}

const struct smtp_backend smtpd_backend = {
	on_connect, on_mail, on_rcpt, on_data_start, on_data, on_data_end, on_reset, on_close,
};
