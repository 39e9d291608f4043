/* agent: the interface between the queue and a delivery agent (LMTP to
 * lmtpd today; remote SMTP later). The queue hands an agent a job: one
 * message (an fd and the length of its data), one envelope sender and up
 * to QUEUE_TXN_MAX_RCPT recipients with the same destination; the agent
 * runs the transaction(s) and fills in one result per recipient, then
 * calls job->done on the loop. An agent decides itself how many
 * connections it keeps and reuses.
 * Invariants: done runs exactly once per accepted job, never inside
 * deliver(); a recipient's code is its reply (2xx delivered, 4xx retry,
 * 5xx failed) or 0 for "no answer" (retry; `unknown` then says it may
 * have been delivered). */
#ifndef TERN_QUEUE_AGENT_H
#define TERN_QUEUE_AGENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lmtp_client.h"

struct agent_job {
	struct lmtp_txn txn; /* envelope, data and recipients (lmtp_client.h) */
	void (*done)(struct agent_job *job);
	void *ctx;
	struct agent_job *next; /* the agent's wait list */
};

struct agent_ops {
	const char *name;
	/* Take the job. 0, or -1 when it cannot even be queued. */
	int (*deliver)(void *self, struct agent_job *job);
	/* No job in flight. */
	bool (*idle)(void *self);
	/* Free; jobs in flight are dropped without done. */
	void (*free)(void *self);
};

struct agent {
	const struct agent_ops *ops;
	void *self;
};

/* agent_lmtp.c: LMTP to addr with up to `connections` sessions. NULL on
 * ENOMEM. */
struct agent *agent_lmtp_new(struct ev_loop *loop, const struct net_addr *addr,
			     const char *hostname, uint64_t timeout_ms, size_t connections);
void agent_free(struct agent **ap);

#endif
