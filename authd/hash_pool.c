/* hash_pool: pw_verify on the work pool (see hash_pool.h). A job carries
 * copies of the stored hash and the password, wiped when it is freed. */
#include "hash_pool.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "workpool.h"

struct hash_pool {
	struct workpool *pool;
};

struct hash_job {
	struct workpool_job *job;
	char *stored, *password, *default_scheme, *user;
	size_t len;
	enum pw_result result;
	const char *scheme;
	hash_job_done *done;
	void *ctx;
	bool cancelled;
};

static void job_free(struct hash_job *job)
{
	if (job->password) {
		sodium_memzero(job->password, job->len);
		free(job->password);
	}
	if (job->stored) {
		sodium_memzero(job->stored, strlen(job->stored));
		free(job->stored);
	}
	free(job->default_scheme);
	free(job->user);
	free(job);
}

static void verify(void *arg)
{
	struct hash_job *job = arg;
	job->result = pw_verify(job->stored, job->password, job->len, job->default_scheme,
				job->user, &job->scheme);
}

static void verified(void *arg, bool cancelled)
{
	struct hash_job *job = arg;
	if (!cancelled && !job->cancelled)
		job->done(job->result, job->scheme, job->ctx);
	job_free(job);
}

struct hash_pool *hash_pool_new(struct ev_loop *loop, unsigned threads)
{
	struct hash_pool *hp = calloc(1, sizeof(*hp));
	if (hp == NULL)
		return NULL;
	hp->pool = workpool_new(loop, threads);
	if (hp->pool == NULL) {
		free(hp);
		return NULL;
	}
	return hp;
}

void hash_pool_free(struct hash_pool **hpp)
{
	struct hash_pool *hp = *hpp;
	if (hp == NULL)
		return;
	/* pending jobs get verified(ctx, cancelled=true): freed, no callback */
	workpool_free(&hp->pool);
	free(hp);
	*hpp = NULL;
}

static char *dup_or_null(const char *s, bool *failed)
{
	if (s == NULL)
		return NULL;
	char *copy = strdup(s);
	if (copy == NULL)
		*failed = true;
	return copy;
}

struct hash_job *hash_pool_submit(struct hash_pool *hp, const char *stored, const char *password,
				  size_t len, const char *default_scheme, const char *user,
				  hash_job_done *done, void *ctx)
{
	struct hash_job *job = calloc(1, sizeof(*job));
	bool failed = job == NULL;
	if (failed)
		return NULL;
	job->stored = dup_or_null(stored, &failed);
	job->default_scheme = dup_or_null(default_scheme, &failed);
	job->user = dup_or_null(user, &failed);
	job->password = malloc(len + 1);
	if (failed || job->password == NULL) {
		job_free(job);
		return NULL;
	}
	memcpy(job->password, password, len);
	job->password[len] = '\0';
	job->len = len;
	job->done = done;
	job->ctx = ctx;
	job->job = workpool_submit(hp->pool, verify, verified, job);
	if (job->job == NULL) {
		job_free(job);
		return NULL;
	}
	return job;
}

void hash_pool_cancel(struct hash_job *job)
{
	job->cancelled = true;
	workpool_cancel(job->job);
}

size_t hash_pool_pending(const struct hash_pool *hp)
{
	return workpool_pending(hp->pool);
}
