/* queue: the queue daemon's shared state and the functions its parts call
 * on each other. main.c runs the service; submit.c takes messages from
 * sources; commit.c makes them durable in batches; recover.c reads the
 * spool at start; sched.c decides when each message is tried; deliver.c
 * runs one delivery round (alias expansion, agents, results); bounce.c
 * writes DSNs; control.c serves ternctl; agent_lmtp.c delivers over LMTP.
 * Invariants: everything runs on the loop thread except commit.c's fsync
 * jobs; a message is in the list from its durable commit (or recovery)
 * until its files are removed; at most one round runs per message. */
#ifndef TERN_QUEUE_QUEUE_H
#define TERN_QUEUE_QUEUE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "qmsg.h"
#include "service.h"
#include "spool.h"

struct commit;
struct dirclient;

#define QUEUE_MAX_ACTIVE 64	  /* delivery rounds at once */
#define QUEUE_TXN_MAX_RCPT 1000	  /* recipients per LMTP transaction */

struct queue {
	struct service_ctx *ctx;
	struct spool spool;
	struct qid_gen gen;
	struct commit *commit;
	struct dirclient *dc;
	struct agent *local; /* LMTP */
	struct qmsg *head, *tail;
	size_t count, active, sources;
	uint64_t kick_timer, run_timer;
	bool unclean; /* the previous run crashed: ;R on first attempts */
	/* settings, seconds unless said otherwise */
	char hostname[256];
	uint64_t min_backoff, max_backoff, run_delay, lifetime, bounce_lifetime;
	uint64_t bounce_size_limit; /* bytes */
};

/* main.c */
int64_t queue_now(void);
void queue_read_settings(struct queue *q);

/* sched.c: the message list and when to try what. */
void sched_add(struct queue *q, struct qmsg *m);
/* Unlink m from the list and free it (its files stay: the caller removes them). */
void sched_drop(struct queue *q, struct qmsg *m);
struct qmsg *sched_find(struct queue *q, const char *id);
/* Look for work soon (after a commit, a finished round, a flush). */
void sched_kick(struct queue *q);
void sched_start(struct queue *q);
void sched_stop(struct queue *q);

/* deliver.c: one delivery round of m (m->busy while it runs). */
void deliver_round(struct queue *q, struct qmsg *m);
/* Append state records for m (logged on failure). */
void deliver_record(struct queue *q, struct qmsg *m, struct buf *recs);
/* Remove m's files and drop it. */
void deliver_remove(struct queue *q, struct qmsg *m, const char *why);

/* bounce.c: queue a DSN to m's sender for the failed finals idx[0..n);
 * cb(ctx, 0) once it is durable (or not needed), cb(ctx, -1) on failure.
 * cb runs on the loop, never inside the call. */
typedef void bounce_cb(void *ctx, int result);
void bounce_send(struct queue *q, struct qmsg *m, const size_t *idx, size_t n, bounce_cb *cb,
		 void *ctx);

/* recover.c: load the spool at start. 0 or -1. */
int recover_spool(struct queue *q);

/* submit.c / control.c: connections. */
void submit_accept(struct queue *q, int fd, const char *peer);
void control_accept(struct queue *q, int fd, const char *peer);

#endif
