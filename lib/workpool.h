/* workpool: run blocking work (slow password hashes, SQL queries) on a
 * few threads and finish it on the event loop. work(ctx) runs on a worker
 * thread; done(ctx, cancelled) runs later on the loop thread, exactly once
 * per submitted job, and owns ctx from then on (frees it).
 * Invariants: done never runs on a worker thread; jobs start in submission
 * order; a cancelled job still gets done(ctx, true) (so its memory is
 * freed), and never done(ctx, false); workpool_free joins every thread and
 * calls done(ctx, true) for each job not yet finished. */
#ifndef TERN_WORKPOOL_H
#define TERN_WORKPOOL_H
#include <stdbool.h>
#include <stddef.h>

#include "ev.h"

struct workpool;
struct workpool_job;

typedef void workpool_work(void *ctx);
typedef void workpool_done(void *ctx, bool cancelled);

/* Start `threads` workers (1..64). NULL on failure. */
struct workpool *workpool_new(struct ev_loop *loop, unsigned threads);
void workpool_free(struct workpool **poolp);
/* Queue a job. NULL on allocation failure (then nothing will be called). */
struct workpool_job *workpool_submit(struct workpool *pool, workpool_work *work,
				     workpool_done *done, void *ctx);
/* From the loop thread: the owner no longer wants the result. */
void workpool_cancel(struct workpool_job *job);
/* Jobs submitted whose done has not run yet. */
size_t workpool_pending(const struct workpool *pool);

#endif
