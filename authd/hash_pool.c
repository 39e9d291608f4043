/* hash_pool: worker threads for pw_verify (see hash_pool.h). Jobs go into
 * a FIFO under one mutex; finished ones into a done list, and an eventfd
 * write wakes the loop, which runs the callbacks. */
#include "hash_pool.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define HASH_POOL_MAX_THREADS 32

struct hash_job {
	struct hash_job *next;
	char *stored, *password, *default_scheme, *user;
	size_t len;
	enum pw_result result;
	const char *scheme;
	hash_job_done *done;
	void *ctx;
	bool cancelled;
};

struct hash_pool {
	struct ev_loop *loop;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct hash_job *queue_head, *queue_tail, *done_list;
	size_t pending;
	bool stopping;
	int event_fd;
	unsigned nthreads;
	pthread_t threads[HASH_POOL_MAX_THREADS];
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

static void *worker(void *arg)
{
	struct hash_pool *pool = arg;
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (!pool->stopping && pool->queue_head == NULL)
			pthread_cond_wait(&pool->wake, &pool->lock);
		if (pool->stopping)
			break;
		struct hash_job *job = pool->queue_head;
		pool->queue_head = job->next;
		if (pool->queue_head == NULL)
			pool->queue_tail = NULL;
		pthread_mutex_unlock(&pool->lock);
		job->result = pw_verify(job->stored, job->password, job->len, job->default_scheme,
					job->user, &job->scheme);
		pthread_mutex_lock(&pool->lock);
		job->next = pool->done_list;
		pool->done_list = job;
		uint64_t one = 1;
		if (write(pool->event_fd, &one, sizeof(one)) < 0) {
			/* counter saturated: the loop is already due to wake */
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* Loop side: run callbacks of finished jobs, oldest first. */
static void on_done(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct hash_pool *pool = arg;
	uint64_t count;
	(void)loop;
	(void)events;
	if (read(fd, &count, sizeof(count)) < 0) {
		/* EAGAIN: nothing new */
	}
	pthread_mutex_lock(&pool->lock);
	struct hash_job *list = pool->done_list, *ordered = NULL;
	pool->done_list = NULL;
	pthread_mutex_unlock(&pool->lock);
	while (list) { /* reverse into completion order */
		struct hash_job *next = list->next;
		list->next = ordered;
		ordered = list;
		list = next;
	}
	while (ordered) {
		struct hash_job *job = ordered;
		ordered = job->next;
		pool->pending--;
		if (!job->cancelled)
			job->done(job->result, job->scheme, job->ctx);
		job_free(job);
	}
}

struct hash_pool *hash_pool_new(struct ev_loop *loop, unsigned threads)
{
	struct hash_pool *pool = calloc(1, sizeof(*pool));
	if (pool == NULL)
		return NULL;
	pool->loop = loop;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	pool->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pool->event_fd < 0 || ev_io_set(loop, pool->event_fd, EV_READ, on_done, pool) < 0) {
		hash_pool_free(&pool);
		return NULL;
	}
	if (threads == 0)
		threads = 1;
	if (threads > HASH_POOL_MAX_THREADS)
		threads = HASH_POOL_MAX_THREADS;
	for (; pool->nthreads < threads; pool->nthreads++)
		if (pthread_create(&pool->threads[pool->nthreads], NULL, worker, pool) != 0)
			break;
	if (pool->nthreads == 0)
		hash_pool_free(&pool);
	return pool;
}

static void free_list(struct hash_job *job)
{
	while (job) {
		struct hash_job *next = job->next;
		job_free(job);
		job = next;
	}
}

void hash_pool_free(struct hash_pool **poolp)
{
	struct hash_pool *pool = *poolp;
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (unsigned i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	free_list(pool->queue_head);
	free_list(pool->done_list);
	if (pool->event_fd >= 0) {
		ev_io_del(pool->loop, pool->event_fd);
		close(pool->event_fd);
	}
	pthread_cond_destroy(&pool->wake);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
	*poolp = NULL;
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

struct hash_job *hash_pool_submit(struct hash_pool *pool, const char *stored,
				  const char *password, size_t len, const char *default_scheme,
				  const char *user, hash_job_done *done, void *ctx)
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
	pthread_mutex_lock(&pool->lock);
	if (pool->queue_tail)
		pool->queue_tail->next = job;
	else
		pool->queue_head = job;
	pool->queue_tail = job;
	pool->pending++;
	pthread_cond_signal(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	return job;
}

void hash_pool_cancel(struct hash_job *job)
{
	job->cancelled = true; /* read by the loop thread only */
}

size_t hash_pool_pending(const struct hash_pool *pool)
{
	return pool->pending;
}
