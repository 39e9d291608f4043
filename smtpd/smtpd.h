/* smtpd: the port 25 daemon: the SMTP engine (lib/smtp_server) with a
 * backend that checks recipients through authd (lib/dirclient) and hands
 * messages to the queue (lib/queue_client). Shared by the files of smtpd/. */
#ifndef TERN_SMTPD_H
#define TERN_SMTPD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dirclient.h"
#include "queue_client.h"
#include "service.h"
#include "smtp_server.h"

#define SMTPD_LOOKUP_TIMEOUT_MS 20000 /* one directory request */
#define SMTPD_QUEUE_TIMEOUT_MS 100000 /* BEGIN or COMMIT at the queue */

struct smtpd {
	struct service_ctx *ctx;
	struct smtp_server_settings set;
	struct tls_server_ctx *tls;
	struct dirclient *dir;
	char queue_path[256];	/* "" = no queue configured */
	char mydomain[256];	/* for a bare RCPT TO:<postmaster> */
	uint64_t conn_limit;	/* smtpd_client_connection_count_limit */
	size_t busy;		/* sessions with a lookup or a queue step in flight */
	struct smtpd_client *clients[1024]; /* connections per IP */
};

extern struct smtpd smtpd;

struct smtpd_rcpt {
	char *address, *orcpt, *notify;
};

/* A session's backend state (smtp_session_ctx). */
struct smtpd_session {
	struct smtp_session *s;
	char ip[64];
	struct dirc_request *req;	/* RCPT lookup in flight */
	struct queue_txn *txn;		/* DATA: the queue transaction */
	bool busy;			/* counted in smtpd.busy */
	bool counted;			/* in the per-IP connection count */
	/* the transaction */
	char *sender, *ret, *envid, *body;
	bool smtputf8;
	uint64_t size_param;
	struct smtpd_rcpt *rcpts;
	size_t nrcpt, rcpt_cap;
	/* the RCPT being checked */
	char *cur_addr, *cur_orcpt, *cur_notify, *cur_key;
	size_t messages;
};

/* session.c: the engine's backend */
extern const struct smtp_backend smtpd_backend;
/* One log line for a refused command. */
void smtpd_log_reject(struct smtpd_session *ss, const char *to, int code, const char *reason);
void smtpd_set_busy(struct smtpd_session *ss, bool busy);

/* rcpt.c: the recipient policy (relay check, then the directory) */
void smtpd_check_rcpt(struct smtpd_session *ss, const struct smtp_rcpt *r);
void smtpd_rcpts_free(struct smtpd_session *ss);

/* clients.c: connections per client IP */
/* Count one more connection from ip; false (not counted) past the limit. */
bool smtpd_client_add(const char *ip, uint64_t limit);
void smtpd_client_del(const char *ip);
void smtpd_clients_free(void);

#endif
