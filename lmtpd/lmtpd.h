/* lmtpd: shared state of the LMTP delivery daemon: the process-wide
 * settings and clients (main.c), the per-session backend (session.c), the
 * delivery of one transaction on a worker thread (deliver.c) and the pure
 * helpers for addresses, Maildir roots, XTERNID and replies (mailbox.c).
 * Invariants: a session has at most one lookup and one delivery in flight;
 * a recipient is in `rcpts` only once it was answered 2xx at RCPT, so its
 * index equals the engine's smtp_rcpt.index and the queue's XTERNID index. */
#ifndef TERN_LMTPD_H
#define TERN_LMTPD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dirclient.h"
#include "maildir.h"
#include "service.h"
#include "smtp_server.h"
#include "workpool.h"

#define LMTP_MAX_RULES 8	    /* quota_rule, quota_rule2 ... */
#define LMTP_BASE_ID_MAX 96	    /* "<secs>.Q<queue-id>R<index>" */
#define LMTP_LOOKUP_TIMEOUT_MS 10000
#define LMTP_DELIVERY_THREADS 8	    /* transactions written at once */

struct lmtpd {
	struct service_ctx *ctx;
	struct dirclient *dir;
	struct workpool *pool;
	struct smtp_server_settings smtp;
	uid_t uid; /* the process's: every user's uid/gid must match */
	gid_t gid;
	unsigned txn_seq;
};

struct lmtp_rcpt {
	char *address;			/* as given in RCPT TO */
	char *user;			/* canonical name from the userdb */
	char *root;			/* Maildir root */
	char *detail;			/* "user+detail" part, or NULL */
	char base_id[LMTP_BASE_ID_MAX]; /* from XTERNID, "" = none */
	bool retry;			/* XTERNID ...;R */
	struct maildir_quota_rule rules[LMTP_MAX_RULES];
	size_t nrules;
	/* results, filled by the delivery */
	char folder[MAILDIR_FOLDER_MAX + 1];
	char name[MAILDIR_NAME_MAX];
	bool duplicate; /* ;R and the file was already there */
	struct maildir_err err;
};

struct lmtp_txn;

struct lmtp_session {
	struct lmtpd *d;
	struct smtp_session *s;
	char *sender;
	struct lmtp_rcpt *rcpts;
	size_t nrcpt, cap;
	struct lmtp_rcpt pending;      /* the recipient being looked up */
	struct dirc_request *lookup;
	int spool_fd;		       /* memfd with the message, -1 = none */
	char id[32];		       /* transaction id (Received:, replies) */
	struct lmtp_txn *txn;	       /* delivery in flight */
};

/* session.c */
void lmtp_session_start(struct lmtpd *d, int fd, const char *peer);
void lmtp_rcpt_clear(struct lmtp_rcpt *r);

/* deliver.c */
struct lmtp_deliver_opts {
	bool save_detail; /* lmtp_save_to_detail_mailbox */
	int64_t grace_bytes; /* quota_grace */
	int grace_percent;
};
/* Deliver the message in fd (CRLF or LF lines, read with pread from 0) to
 * every recipient without an error yet (blocking; a worker thread): picks
 * the folder, does the ;R duplicate check, prepends Return-Path and
 * Delivered-To, applies the quota, and fills each recipient's folder,
 * name, duplicate and err. */
void lmtp_deliver_batch(const struct lmtp_deliver_opts *o, int fd, const char *sender,
			struct lmtp_rcpt *rcpts, size_t n);
/* Deliver the session's message to its recipients on a worker
 * thread, then answer each recipient in order. Takes the recipients and
 * the spool fd from the session. */
void lmtp_deliver_start(struct lmtp_session *ls);
/* The session is going away: its delivery finishes without replies. */
void lmtp_deliver_detach(struct lmtp_session *ls);

/* mailbox.c */
/* "local<delim>detail@domain" -> lookup name "local@domain" and detail
 * ("" when none). Any byte of delims separates (Postfix); the first one in
 * the local part counts. 0, or -1 when a result does not fit. */
int lmtp_split_address(const char *address, const char *delims, char *user_r, size_t usize,
		       char *detail_r, size_t dsize);
/* XTERNID "<secs>.<queue-id>.<index>[;R]" -> base id "<secs>.Q<queue-id>R<index>"
 * (size LMTP_BASE_ID_MAX) and *retry_r. 0, or -1 when malformed. */
int lmtp_xternid_parse(const char *value, char *base_id_r, bool *retry_r);
/* The Maildir root from the userdb `mail` field (NULL: default_location,
 * i.e. the mail_location setting): "maildir:" prefix optional, "~" or "%h"
 * = home, %u %n %d as in mail_home, options after the path (":LAYOUT=...")
 * ignored. 0, or -1 with *why_r (static text). */
int lmtp_maildir_root(const char *mail, const char *default_location, const char *home,
		      const char *user, char *root_r, size_t size, const char **why_r);
/* Whether the userdb's uid= / gid= (name or number, absent = ours) are
 * this process's. tern writes all mail as one virtual mail user. */
bool lmtp_ids_match(const char *uid, const char *gid, uid_t my_uid, gid_t my_gid);
/* The reply to a recipient after delivery. */
struct lmtp_reply {
	int code;
	const char *enhanced;
	const char *text;
};
void lmtp_result_reply(const struct maildir_err *err, bool quota_tempfail,
		       struct lmtp_reply *reply_r);
/* Is there a message with base "<base_id>.<host>" in dir's new/ or cur/
 * (a user may have moved it to cur/ with ":2,<flags>")? 1 yes (name_r set,
 * size MAILDIR_NAME_MAX), 0 no, -1 on a read error. */
int lmtp_dedup_find(const char *dir, const char *base_id, char *name_r);

#endif
