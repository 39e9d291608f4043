/* commit: group commit. Each request is a spool file that must become
 * durable; requests that arrive while a batch is being synced form the
 * next batch. A batch fsyncs its files in parallel on a small thread pool
 * (concurrent fsyncs let the filesystem fold them into few journal
 * commits), then fsyncs the incoming directory once, then calls back
 * every request. No request is answered before both its fsync and the
 * directory fsync that follows it have returned. */
#ifndef TERN_QUEUE_COMMIT_H
#define TERN_QUEUE_COMMIT_H
#include <stddef.h>

#include "ev.h"

struct commit;
/* err: 0 = durable, else the errno of the failed fsync. */
typedef void commit_cb(void *ctx, int err);

struct commit *commit_new(struct ev_loop *loop, int dir_fd, unsigned threads);
/* Fails every request not yet answered (cb with ECANCELED). */
void commit_free(struct commit **cp);
/* Make fd's file and the directory durable; the fd stays the caller's and
 * must stay open until cb. cb runs on the loop, never inside this call.
 * 0, or -1 (ENOMEM: nothing will be called). */
int commit_submit(struct commit *c, int fd, commit_cb *cb, void *ctx);
/* Requests not yet answered. */
size_t commit_pending(const struct commit *c);

#endif
