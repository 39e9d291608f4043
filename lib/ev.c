/* ev: epoll (level-triggered) plus a binary min-heap of one-shot timers.
 * Invariants: fds[fd].gen changes whenever fd is removed, and each epoll
 * event carries the gen it was registered with, so an event for a removed
 * (or removed and re-added) fd is dropped; timer ids grow strictly: an id is
 * (sequence << 24 | slot), slots[slot].id == id while the timer is pending;
 * timers added while expired ones run wait for the next loop turn. */
#include "ev.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define EV_BATCH 128
#define EV_SLOT_BITS 24
#define EV_SLOT_MASK ((1u << EV_SLOT_BITS) - 1)

struct ev_fd {
	ev_io_cb *cb;
	void *ctx;
	unsigned events; /* 0 = not registered */
	uint32_t gen;
};

struct ev_timer {
	uint64_t id; /* 0 = free slot */
	uint64_t when;
	ev_timer_cb *cb;
	void *ctx;
	uint32_t heap_pos;
	uint32_t next_free;
};

struct ev_loop {
	int epfd;
	bool brk;
	struct ev_fd *fds;
	size_t nfds;
	struct ev_timer *slots;
	uint32_t nslots;
	uint32_t free_head; /* UINT32_MAX = none */
	uint32_t *heap; /* slot indexes ordered by (when, id) */
	uint32_t heap_len;
	uint64_t seq;
};

uint64_t ev_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct ev_loop *ev_loop_new(void)
{
	struct ev_loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->free_head = UINT32_MAX;
	loop->seq = 1;
	return loop;
}

void ev_loop_free(struct ev_loop **loopp)
{
	struct ev_loop *loop = *loopp;
	if (!loop)
		return;
	close(loop->epfd);
	free(loop->fds);
	free(loop->slots);
	free(loop->heap);
	free(loop);
	*loopp = NULL;
}

static int ev_fds_grow(struct ev_loop *loop, int fd)
{
	size_t n = loop->nfds ? loop->nfds : 64;
	while (n <= (size_t)fd)
		n *= 2;
	struct ev_fd *p = realloc(loop->fds, n * sizeof(*p));
	if (!p)
		return -1;
	memset(p + loop->nfds, 0, (n - loop->nfds) * sizeof(*p));
	loop->fds = p;
	loop->nfds = n;
	return 0;
}

int ev_io_set(struct ev_loop *loop, int fd, unsigned events, ev_io_cb *cb, void *ctx)
{
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	events &= EV_READ | EV_WRITE;
	if (events == 0) {
		ev_io_del(loop, fd);
		return 0;
	}
	if ((size_t)fd >= loop->nfds && ev_fds_grow(loop, fd) < 0)
		return -1;
	struct ev_fd *f = &loop->fds[fd];
	struct epoll_event ee = { 0 };
	ee.events = ((events & EV_READ) ? EPOLLIN : 0) | ((events & EV_WRITE) ? EPOLLOUT : 0);
	ee.data.u64 = (uint64_t)f->gen << 32 | (uint32_t)fd;
	int op = f->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(loop->epfd, op, fd, &ee) < 0) {
		/* the fd was closed (and maybe reopened) without ev_io_del */
		if (errno != ENOENT && errno != EEXIST)
			return -1;
		op = op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
		if (epoll_ctl(loop->epfd, op, fd, &ee) < 0)
			return -1;
	}
	f->events = events;
	f->cb = cb;
	f->ctx = ctx;
	return 0;
}

void ev_io_del(struct ev_loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nfds || !loop->fds[fd].events)
		return;
	struct ev_fd *f = &loop->fds[fd];
	/* fails harmlessly when the fd was already closed */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	f->events = 0;
	f->cb = NULL;
	f->ctx = NULL;
	f->gen++;
}

/* --- timer heap --- */

static bool ev_timer_before(const struct ev_loop *loop, uint32_t a, uint32_t b)
{
	const struct ev_timer *ta = &loop->slots[a], *tb = &loop->slots[b];
	return ta->when < tb->when || (ta->when == tb->when && ta->id < tb->id);
}

static void ev_heap_place(struct ev_loop *loop, uint32_t pos, uint32_t slot)
{
	loop->heap[pos] = slot;
	loop->slots[slot].heap_pos = pos;
}

static void ev_heap_up(struct ev_loop *loop, uint32_t pos)
{
	uint32_t slot = loop->heap[pos];
	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;
		if (!ev_timer_before(loop, slot, loop->heap[parent]))
			break;
		ev_heap_place(loop, pos, loop->heap[parent]);
		pos = parent;
	}
	ev_heap_place(loop, pos, slot);
}

static void ev_heap_down(struct ev_loop *loop, uint32_t pos)
{
	uint32_t slot = loop->heap[pos];
	for (;;) {
		uint32_t child = pos * 2 + 1;
		if (child >= loop->heap_len)
			break;
		if (child + 1 < loop->heap_len &&
		    ev_timer_before(loop, loop->heap[child + 1], loop->heap[child]))
			child++;
		if (!ev_timer_before(loop, loop->heap[child], slot))
			break;
		ev_heap_place(loop, pos, loop->heap[child]);
		pos = child;
	}
	ev_heap_place(loop, pos, slot);
}

static void ev_heap_remove(struct ev_loop *loop, uint32_t pos)
{
	uint32_t last = loop->heap[--loop->heap_len];
	if (pos == loop->heap_len)
		return;
	ev_heap_place(loop, pos, last);
	ev_heap_up(loop, pos);
	ev_heap_down(loop, loop->slots[last].heap_pos);
}

static int ev_slots_grow(struct ev_loop *loop)
{
	uint32_t n = loop->nslots ? loop->nslots * 2 : 64;
	if (n > EV_SLOT_MASK)
		return -1;
	struct ev_timer *s = realloc(loop->slots, n * sizeof(*s));
	if (!s)
		return -1;
	loop->slots = s;
	uint32_t *h = realloc(loop->heap, n * sizeof(*h));
	if (!h)
		return -1;
	loop->heap = h;
	for (uint32_t i = n; i-- > loop->nslots;) {
		s[i].id = 0;
		s[i].next_free = loop->free_head;
		loop->free_head = i;
	}
	loop->nslots = n;
	return 0;
}

uint64_t ev_timer_add(struct ev_loop *loop, uint64_t ms, ev_timer_cb *cb, void *ctx)
{
	if (loop->free_head == UINT32_MAX && ev_slots_grow(loop) < 0)
		abort(); /* out of memory: a lost timer would hang a session */
	uint32_t slot = loop->free_head;
	struct ev_timer *t = &loop->slots[slot];
	loop->free_head = t->next_free;
	uint64_t now = ev_now_ms();
	t->id = loop->seq++ << EV_SLOT_BITS | slot;
	t->when = ms > UINT64_MAX - now ? UINT64_MAX : now + ms;
	t->cb = cb;
	t->ctx = ctx;
	loop->heap[loop->heap_len++] = slot;
	ev_heap_up(loop, loop->heap_len - 1);
	return t->id;
}

static void ev_slot_release(struct ev_loop *loop, uint32_t slot)
{
	loop->slots[slot].id = 0;
	loop->slots[slot].next_free = loop->free_head;
	loop->free_head = slot;
}

void ev_timer_del(struct ev_loop *loop, uint64_t id)
{
	uint32_t slot = (uint32_t)(id & EV_SLOT_MASK);
	if (id == 0 || slot >= loop->nslots || loop->slots[slot].id != id)
		return;
	ev_heap_remove(loop, loop->slots[slot].heap_pos);
	ev_slot_release(loop, slot);
}

/* Run timers that are due and were added before this pass started. */
static void ev_run_timers(struct ev_loop *loop)
{
	uint64_t now = ev_now_ms();
	uint64_t first_new = loop->seq << EV_SLOT_BITS;
	while (loop->heap_len > 0 && !loop->brk) {
		uint32_t slot = loop->heap[0];
		struct ev_timer *t = &loop->slots[slot];
		if (t->when > now || t->id >= first_new)
			break;
		ev_timer_cb *cb = t->cb;
		void *ctx = t->ctx;
		ev_heap_remove(loop, 0);
		ev_slot_release(loop, slot);
		cb(loop, ctx);
	}
}

static int ev_wait_timeout(const struct ev_loop *loop)
{
	if (loop->heap_len == 0)
		return -1;
	uint64_t when = loop->slots[loop->heap[0]].when;
	uint64_t now = ev_now_ms();
	if (when <= now)
		return 0;
	return when - now > INT_MAX ? INT_MAX : (int)(when - now);
}

static void ev_dispatch(struct ev_loop *loop, const struct epoll_event *ee)
{
	int fd = (int)(uint32_t)ee->data.u64;
	uint32_t gen = (uint32_t)(ee->data.u64 >> 32);
	if ((size_t)fd >= loop->nfds)
		return;
	struct ev_fd *f = &loop->fds[fd];
	if (!f->events || f->gen != gen)
		return;
	unsigned got = 0;
	if (ee->events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		got |= EV_READ;
	if (ee->events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		got |= EV_WRITE;
	got &= f->events;
	if (got)
		f->cb(loop, fd, got, f->ctx);
}

int ev_loop_run(struct ev_loop *loop)
{
	struct epoll_event events[EV_BATCH];
	loop->brk = false;
	while (!loop->brk) {
		int n = epoll_wait(loop->epfd, events, EV_BATCH, ev_wait_timeout(loop));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < n && !loop->brk; i++)
			ev_dispatch(loop, &events[i]);
		if (!loop->brk)
			ev_run_timers(loop);
	}
	return 0;
}

void ev_loop_break(struct ev_loop *loop)
{
	loop->brk = true;
}
