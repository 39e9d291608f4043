/* round: one delivery round of one message, shared by deliver.c (the
 * round's course: expiry, agents, results, bounces, the next schedule)
 * and expand.c (alias expansion through authd's "resolve" map and the
 * local/remote split through its "domain" map).
 * Invariants: a round owns its records buffer and flushes it to the state
 * file before the message's in-memory state is used by anyone else. */
#ifndef TERN_QUEUE_ROUND_H
#define TERN_QUEUE_ROUND_H
#include "queue.h"

struct cand {
	size_t orig;
	char *addr;
	size_t dom;
};

struct dom {
	char *name;
	int result; /* 1 ours, 0 not ours, -1 unknown (TEMP) */
};

struct round {
	struct queue *q;
	struct qmsg *m;
	size_t lookups; /* dirclient requests in flight */
	bool *orig_temp;
	struct cand *cands;
	size_t ncand, capcand;
	struct dom *doms;
	size_t ndom, capdom;
	size_t jobs;	/* agent jobs in flight */
	int fd;		/* the message file, for agents and bounces */
	bool retry;	/* something must be tried again */
	struct buf recs;
	size_t *bounce_idx;
	size_t nbounce;
	void (*next)(struct round *r);
};

/* expand.c: expand every original recipient not yet expanded, add the
 * resulting finals (records into r->recs), then call r->next. */
void expand_start(struct round *r);
void expand_free(struct round *r);

#endif
