/* session: lmtpd's backend for the SMTP engine in LMTP mode. MAIL keeps
 * the sender; each RCPT is looked up in the userdb (service=lmtp, the
 * recipient_delimiter detail stripped) and accepted with its Maildir root,
 * quota rules and XTERNID; DATA is spooled to an unlinked memfd; the end
 * of data hands everything to deliver.c, which answers per recipient.
 * Invariants: one lookup at a time (the engine waits for our reply);
 * every pending lookup is cancelled and every delivery detached before the
 * session is freed; NOTFOUND is 550 5.1.1, any lookup failure 451 4.3.0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lmtpd.h"
#include "log.h"

void lmtp_rcpt_clear(struct lmtp_rcpt *r)
{
	free(r->address);
	free(r->user);
	free(r->root);
	free(r->detail);
	memset(r, 0, sizeof(*r));
}

static void on_connect(struct smtp_session *s)
{
	struct lmtp_session *ls = smtp_session_ctx(s);
	smtp_reply(s, 220, NULL, "%s LMTP ready", ls->d->smtp.hostname);
}

static void on_mail(struct smtp_session *s, const struct smtp_mail *mail)
{
	struct lmtp_session *ls = smtp_session_ctx(s);
	free(ls->sender);
	ls->sender = strdup(mail->sender);
	if (ls->sender == NULL)
		return smtp_reply(s, 451, "4.3.0", "Out of memory");
	smtp_reply(s, 250, "2.1.0", "OK");
}

/* Quota rules: the userdb's quota_rule, quota_rule2..., else the setting. */
static int parse_rules(struct lmtp_rcpt *r, const struct conf *conf, const char *const *f,
		       size_t n)
{
	const char *err;
	char key[16];
	for (int i = 1; i <= LMTP_MAX_RULES; i++) {
		snprintf(key, sizeof(key), i == 1 ? "quota_rule" : "quota_rule%d", i);
		const char *v = dirclient_field(f, n, key);
		if (v == NULL && i == 1 && conf_str(conf, NULL, "quota_rule")[0] != '\0')
			v = conf_str(conf, NULL, "quota_rule");
		if (v == NULL || v[0] == '\0')
			continue;
		if (maildir_quota_rule_parse(v, &r->rules[r->nrules], &err) < 0) {
			log_warning("quota-rule-invalid user=%s rule=%s error=%s", log_str(r->user),
				    log_str(v), log_str(err));
			return -1;
		}
		r->nrules++;
	}
	return 0;
}

static int grow(struct lmtp_session *ls)
{
	if (ls->nrcpt < ls->cap)
		return 0;
	size_t cap = ls->cap * 2 + 8;
	struct lmtp_rcpt *r = reallocarray(ls->rcpts, cap, sizeof(*r));
	if (r == NULL)
		return -1;
	ls->rcpts = r;
	ls->cap = cap;
	return 0;
}

static const char *or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* A found user: check ids, find the Maildir, parse quota; 0 or -1 (logged). */
static int accept_user(struct lmtp_session *ls, struct lmtp_rcpt *r, const char *user,
		       const char *const *f, size_t n)
{
	const struct conf *conf = ls->d->ctx->conf;
	const char *sid = smtp_session_id(ls->s), *why;
	char root[4096];
	if ((r->user = strdup(user)) == NULL)
		return -1;
	if (!lmtp_ids_match(dirclient_field(f, n, "uid"), dirclient_field(f, n, "gid"),
			    ls->d->uid, ls->d->gid)) {
		log_warning("%s rcpt-uid-mismatch rcpt=%s user=%s uid=%s gid=%s process_uid=%ld "
			    "reason=\"tern delivers all mail as the one mail user (mail_uid)\"",
			    sid, log_str(r->address), log_str(user),
			    log_str(or_empty(dirclient_field(f, n, "uid"))),
			    log_str(or_empty(dirclient_field(f, n, "gid"))), (long)ls->d->uid);
		return -1;
	}
	if (lmtp_maildir_root(dirclient_field(f, n, "mail"), conf_str(conf, NULL, "mail_location"),
			      dirclient_field(f, n, "home"), user, root, sizeof(root), &why) < 0) {
		log_warning("%s rcpt-no-maildir rcpt=%s user=%s reason=%s", sid,
			    log_str(r->address), log_str(user), log_str(why));
		return -1;
	}
	if ((r->root = strdup(root)) == NULL)
		return -1;
	return parse_rules(r, conf, f, n);
}

static void lookup_done(enum dirc_result res, const char *user, const char *const *fields,
			size_t nfields, void *ctx)
{
	struct lmtp_session *ls = ctx;
	struct lmtp_rcpt *r = &ls->pending;
	const char *sid = smtp_session_id(ls->s);
	ls->lookup = NULL;
	if (res == DIRC_NOTFOUND) {
		log_info("%s rcpt-unknown rcpt=%s", sid, log_str(r->address));
		smtp_reply(ls->s, 550, "5.1.1", "<%s> User doesn't exist", r->address);
	} else if (res != DIRC_FOUND) {
		log_warning("%s rcpt-lookup-failed rcpt=%s", sid, log_str(r->address));
		smtp_reply(ls->s, 451, "4.3.0", "<%s> Temporary internal error", r->address);
	} else if (accept_user(ls, r, user, fields, nfields) < 0) {
		smtp_reply(ls->s, 451, "4.3.0", "<%s> Temporary internal error", r->address);
	} else if (grow(ls) < 0) {
		log_error("%s out-of-memory", sid);
		smtp_reply(ls->s, 451, "4.3.0", "Out of memory");
	} else {
		ls->rcpts[ls->nrcpt++] = *r;
		memset(r, 0, sizeof(*r));
		smtp_reply(ls->s, 250, "2.1.5", "OK");
		return;
	}
	lmtp_rcpt_clear(r);
}

static void on_rcpt(struct smtp_session *s, const struct smtp_rcpt *rcpt)
{
	struct lmtp_session *ls = smtp_session_ctx(s);
	struct lmtp_rcpt *r = &ls->pending;
	const char *delims = conf_str(ls->d->ctx->conf, NULL, "recipient_delimiter");
	char user[1024], detail[512];
	lmtp_rcpt_clear(r);
	for (size_t i = 0; i < rcpt->nparams; i++)
		if (strcmp(rcpt->params[i].key, "XTERNID") == 0 &&
		    (rcpt->params[i].value == NULL ||
		     lmtp_xternid_parse(rcpt->params[i].value, r->base_id, &r->retry) < 0))
			return smtp_reply(s, 501, "5.5.4", "Invalid XTERNID parameter");
	if (lmtp_split_address(rcpt->address, delims, user, sizeof(user), detail,
			       sizeof(detail)) < 0)
		return smtp_reply(s, 501, "5.1.3", "Bad recipient address syntax");
	r->address = strdup(rcpt->address);
	r->detail = detail[0] ? strdup(detail) : NULL;
	if (r->address == NULL || (detail[0] && r->detail == NULL)) {
		lmtp_rcpt_clear(r);
		return smtp_reply(s, 451, "4.3.0", "Out of memory");
	}
	ls->lookup = dirclient_user(ls->d->dir, user, "lmtp", lookup_done, ls);
}

static void on_data_start(struct smtp_session *s)
{
	struct lmtp_session *ls = smtp_session_ctx(s);
	if (ls->spool_fd >= 0)
		close(ls->spool_fd);
	ls->spool_fd = memfd_create("lmtpd-message", MFD_CLOEXEC);
	if (ls->spool_fd < 0) {
		log_error("%s spool-failed error=%s", smtp_session_id(s), log_str(strerror(errno)));
		return smtp_reply(s, 451, "4.3.0", "Temporary internal error");
	}
	snprintf(ls->id, sizeof(ls->id), "%s%04X", smtp_session_id(s),
		 ls->d->txn_seq++ & 0xffffu);
	smtp_data_ready(s, ls->id);
}

static int on_data(struct smtp_session *s, const char *data, size_t len)
{
	struct lmtp_session *ls = smtp_session_ctx(s);
	while (len > 0) {
		ssize_t n = write(ls->spool_fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("%s spool-write-failed error=%s", smtp_session_id(s),
				  log_str(strerror(n < 0 ? errno : EIO)));
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static void on_data_end(struct smtp_session *s, uint64_t size)
{
	(void)size;
	lmtp_deliver_start(smtp_session_ctx(s));
}

static void on_reset(struct smtp_session *s)
{
	struct lmtp_session *ls = smtp_session_ctx(s);
	lmtp_deliver_detach(ls);
	for (size_t i = 0; i < ls->nrcpt; i++)
		lmtp_rcpt_clear(&ls->rcpts[i]);
	ls->nrcpt = 0;
	free(ls->sender);
	ls->sender = NULL;
	if (ls->spool_fd >= 0)
		close(ls->spool_fd);
	ls->spool_fd = -1;
}

static void on_close(struct smtp_session *s)
{
	struct lmtp_session *ls = smtp_session_ctx(s);
	dirclient_cancel(ls->lookup);
	ls->lookup = NULL;
	on_reset(s);
	lmtp_rcpt_clear(&ls->pending);
	free(ls->rcpts);
	free(ls);
}

static const struct smtp_backend backend = {
	.on_connect = on_connect,
	.on_mail = on_mail,
	.on_rcpt = on_rcpt,
	.on_data_start = on_data_start,
	.on_data = on_data,
	.on_data_end = on_data_end,
	.on_reset = on_reset,
	.on_close = on_close,
};

void lmtp_session_start(struct lmtpd *d, int fd, const char *peer)
{
	struct lmtp_session *ls = calloc(1, sizeof(*ls));
	if (ls == NULL) {
		close(fd);
		return;
	}
	ls->d = d;
	ls->spool_fd = -1;
	ls->s = smtp_session_new(d->ctx->loop, fd, peer, &d->smtp, &backend, ls);
	if (ls->s == NULL)
		free(ls);
}
