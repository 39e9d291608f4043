/* workpool: worker threads with a FIFO under one mutex, a done list, and
 * an eventfd that wakes the loop to run done callbacks (see workpool.h). */
#include "workpool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define WORKPOOL_MAX_THREADS 64

struct workpool_job {
	struct workpool_job *next;
	workpool_work *work;
	workpool_done *done;
	void *ctx;
	bool cancelled; /* loop thread only */
};

struct workpool {
	struct ev_loop *loop;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct workpool_job *queue_head, *queue_tail, *done_list;
	size_t pending; /* loop thread only */
	bool stopping;
	int event_fd;
	unsigned nthreads;
	pthread_t threads[WORKPOOL_MAX_THREADS];
};

static void *worker(void *arg)
{
	struct workpool *pool = arg;
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (!pool->stopping && pool->queue_head == NULL)
			pthread_cond_wait(&pool->wake, &pool->lock);
		if (pool->stopping)
			break;
		struct workpool_job *job = pool->queue_head;
		pool->queue_head = job->next;
		if (pool->queue_head == NULL)
			pool->queue_tail = NULL;
		pthread_mutex_unlock(&pool->lock);
		job->work(job->ctx);
		pthread_mutex_lock(&pool->lock);
		job->next = pool->done_list;
		pool->done_list = job;
		uint64_t one = 1;
		if (write(pool->event_fd, &one, sizeof(one)) < 0) {
			/* counter saturated: the loop is due to wake anyway */
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* Take the done list, oldest first. */
static struct workpool_job *take_done(struct workpool *pool)
{
	pthread_mutex_lock(&pool->lock);
	struct workpool_job *list = pool->done_list, *ordered = NULL;
	pool->done_list = NULL;
	pthread_mutex_unlock(&pool->lock);
	while (list) {
		struct workpool_job *next = list->next;
		list->next = ordered;
		ordered = list;
		list = next;
	}
	return ordered;
}

static void finish_list(struct workpool *pool, struct workpool_job *job, bool force_cancel)
{
	while (job) {
		struct workpool_job *next = job->next;
		pool->pending--;
		job->done(job->ctx, job->cancelled || force_cancel);
		free(job);
		job = next;
	}
}

static void on_wake(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct workpool *pool = arg;
	uint64_t count;
	(void)loop;
	(void)events;
	if (read(fd, &count, sizeof(count)) < 0) {
		/* EAGAIN: spurious */
	}
	finish_list(pool, take_done(pool), false);
}

struct workpool *workpool_new(struct ev_loop *loop, unsigned threads)
{
	struct workpool *pool = calloc(1, sizeof(*pool));
	if (pool == NULL)
		return NULL;
	pool->loop = loop;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	pool->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pool->event_fd < 0 || ev_io_set(loop, pool->event_fd, EV_READ, on_wake, pool) < 0) {
		workpool_free(&pool);
		return NULL;
	}
	if (threads == 0)
		threads = 1;
	if (threads > WORKPOOL_MAX_THREADS)
		threads = WORKPOOL_MAX_THREADS;
	for (; pool->nthreads < threads; pool->nthreads++)
		if (pthread_create(&pool->threads[pool->nthreads], NULL, worker, pool) != 0)
			break;
	if (pool->nthreads == 0)
		workpool_free(&pool);
	return pool;
}

void workpool_free(struct workpool **poolp)
{
	struct workpool *pool = *poolp;
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (unsigned i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	finish_list(pool, take_done(pool), true);
	finish_list(pool, pool->queue_head, true);
	if (pool->event_fd >= 0) {
		ev_io_del(pool->loop, pool->event_fd);
		close(pool->event_fd);
	}
	pthread_cond_destroy(&pool->wake);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
	*poolp = NULL;
}

struct workpool_job *workpool_submit(struct workpool *pool, workpool_work *work,
				     workpool_done *done, void *ctx)
{
	struct workpool_job *job = calloc(1, sizeof(*job));
	if (job == NULL)
		return NULL;
	job->work = work;
	job->done = done;
	job->ctx = ctx;
	pool->pending++;
	pthread_mutex_lock(&pool->lock);
	if (pool->queue_tail)
		pool->queue_tail->next = job;
	else
		pool->queue_head = job;
	pool->queue_tail = job;
	pthread_cond_signal(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	return job;
}

void workpool_cancel(struct workpool_job *job)
{
	job->cancelled = true;
}

size_t workpool_pending(const struct workpool *pool)
{
	return pool->pending;
}
