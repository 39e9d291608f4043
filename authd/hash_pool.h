/* hash_pool: password verification off the event loop. Deliberately slow
 * hashes (SHA512-CRYPT, BLF-CRYPT, Argon2) would stall every other client
 * of authd if run inline, so a few worker threads run pw_verify and the
 * loop is told through an eventfd when results are ready.
 * Invariants: callbacks run on the loop thread only; a cancelled job's
 * callback never runs (its memory is freed by the pool); secrets are wiped
 * when a job is freed; hash_pool_free joins every thread. */
#ifndef TERN_HASH_POOL_H
#define TERN_HASH_POOL_H
#include <stdbool.h>
#include <stddef.h>

#include "ev.h"
#include "passwd_scheme.h"

struct hash_pool;
struct hash_job;

typedef void hash_job_done(enum pw_result result, const char *scheme, void *ctx);

/* Start `threads` workers (at least 1). NULL on failure. */
struct hash_pool *hash_pool_new(struct ev_loop *loop, unsigned threads);
/* Stop and join the workers; pending callbacks are dropped. */
void hash_pool_free(struct hash_pool **poolp);
/* Queue pw_verify(stored, password, len, default_scheme, user). Copies
 * everything. Returns the job (to cancel) or NULL on allocation failure. */
struct hash_job *hash_pool_submit(struct hash_pool *pool, const char *stored,
				  const char *password, size_t len, const char *default_scheme,
				  const char *user, hash_job_done *done, void *ctx);
/* The owner no longer wants the answer (client gone). */
void hash_pool_cancel(struct hash_job *job);
/* Jobs queued or running. */
size_t hash_pool_pending(const struct hash_pool *pool);

#endif
