/* test_ev: timer order (also 2000 random timers with random deletes),
 * timer ids and deletion, io callbacks, removing (and replacing) an fd
 * from inside a callback within the same epoll batch, zero-delay timers
 * not starving io, ev_loop_break. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev.h"

static int order[64];
static int norder;

static void record_cb(struct ev_loop *loop, void *ctx)
{
	(void)loop;
	order[norder++] = (int)(long)ctx;
}

static void break_cb(struct ev_loop *loop, void *ctx)
{
	(void)ctx;
	ev_loop_break(loop);
}

START_TEST(test_timer_order)
{
	struct ev_loop *loop = ev_loop_new();
	ck_assert_ptr_nonnull(loop);
	norder = 0;
	uint64_t start = ev_now_ms();
	uint64_t a = ev_timer_add(loop, 30, record_cb, (void *)3L);
	uint64_t b = ev_timer_add(loop, 10, record_cb, (void *)1L);
	uint64_t c = ev_timer_add(loop, 20, record_cb, (void *)2L);
	ev_timer_add(loop, 0, record_cb, (void *)0L);
	ev_timer_add(loop, 20, record_cb, (void *)22L); /* same deadline: after c */
	ev_timer_add(loop, 40, break_cb, NULL);
	ck_assert(a > 0 && b > a && c > b);
	ck_assert_int_eq(ev_loop_run(loop), 0);
	ck_assert_uint_ge(ev_now_ms() - start, 40);
	ck_assert_int_eq(norder, 5);
	ck_assert_int_eq(order[0], 0);
	ck_assert_int_eq(order[1], 1);
	ck_assert_int_eq(order[2], 2);
	ck_assert_int_eq(order[3], 22);
	ck_assert_int_eq(order[4], 3);
	ev_loop_free(&loop);
	ck_assert_ptr_null(loop);
}
END_TEST

static uint64_t victim;

static void delete_victim_cb(struct ev_loop *loop, void *ctx)
{
	(void)ctx;
	ev_timer_del(loop, victim);
	order[norder++] = 100;
}

START_TEST(test_timer_delete)
{
	struct ev_loop *loop = ev_loop_new();
	norder = 0;
	uint64_t t1 = ev_timer_add(loop, 5, record_cb, (void *)1L);
	uint64_t t2 = ev_timer_add(loop, 5, record_cb, (void *)2L);
	ev_timer_del(loop, t1);
	ev_timer_del(loop, t1); /* twice: no-op */
	ev_timer_del(loop, 0);
	ev_timer_del(loop, 987654321);
	ev_timer_add(loop, 10, delete_victim_cb, NULL);
	victim = ev_timer_add(loop, 10, record_cb, (void *)3L); /* same deadline, later */
	ev_timer_add(loop, 30, break_cb, NULL);
	ev_loop_run(loop);
	ck_assert_int_eq(norder, 2);
	ck_assert_int_eq(order[0], 2);
	ck_assert_int_eq(order[1], 100);
	ev_timer_del(loop, t2); /* already fired: no-op */
	/* a timer never run is freed with the loop (ASan checks leaks) */
	ev_timer_add(loop, 100000, record_cb, NULL);
	ev_loop_free(&loop);
}
END_TEST

static uint64_t last_when;
static int fired, bad_order;

static void heap_cb(struct ev_loop *loop, void *ctx)
{
	uint64_t when = (uint64_t)(uintptr_t)ctx;
	(void)loop;
	if (when < last_when)
		bad_order++;
	last_when = when;
	fired++;
}

START_TEST(test_timer_heap_random)
{
	struct ev_loop *loop = ev_loop_new();
	uint64_t ids[2000];
	int deleted = 0;
	srand(42);
	fired = bad_order = 0;
	last_when = 0;
	for (int i = 0; i < 2000; i++) {
		uint64_t ms = (uint64_t)(rand() % 20) * 10; /* spread: no clock-tick ties */
		ids[i] = ev_timer_add(loop, ms, heap_cb, (void *)(uintptr_t)ms);
	}
	for (int i = 0; i < 2000; i += 3) {
		ev_timer_del(loop, ids[i]);
		deleted++;
	}
	ev_timer_add(loop, 250, break_cb, NULL);
	ev_loop_run(loop);
	ck_assert_int_eq(fired, 2000 - deleted);
	ck_assert_int_eq(bad_order, 0);
	ev_loop_free(&loop);
}
END_TEST

struct io_ctx {
	int calls;
	unsigned events;
	int other_fd;
	int *new_fd;
};

static void io_cb(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	struct io_ctx *x = ctx;
	char tmp[16];
	x->calls++;
	x->events |= events;
	if (events & EV_READ)
		ck_assert_int_gt(read(fd, tmp, sizeof(tmp)), 0);
	if (events & EV_WRITE)
		ev_io_del(loop, fd);
}

START_TEST(test_io_basic)
{
	struct ev_loop *loop = ev_loop_new();
	int p[2];
	struct io_ctx r = { 0 }, w = { 0 };
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ev_io_set(loop, p[0], EV_READ, io_cb, &r), 0);
	ck_assert_int_eq(ev_io_set(loop, p[1], EV_WRITE, io_cb, &w), 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ev_timer_add(loop, 30, break_cb, NULL);
	ev_loop_run(loop);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_uint_eq(r.events, EV_READ);
	ck_assert_int_eq(w.calls, 1);
	ck_assert_uint_eq(w.events, EV_WRITE);
	/* events 0 removes; re-registering replaces the callback context */
	struct io_ctx r2 = { 0 };
	ck_assert_int_eq(ev_io_set(loop, p[0], 0, io_cb, &r), 0);
	ck_assert_int_eq(write(p[1], "y", 1), 1);
	ev_timer_add(loop, 20, break_cb, NULL);
	ev_loop_run(loop);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(ev_io_set(loop, p[0], EV_READ, io_cb, &r), 0);
	ck_assert_int_eq(ev_io_set(loop, p[0], EV_READ, io_cb, &r2), 0);
	ev_timer_add(loop, 20, break_cb, NULL);
	ev_loop_run(loop);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r2.calls, 1);
	ev_io_del(loop, p[0]);
	ev_io_del(loop, p[0]);
	ev_io_del(loop, 12345);
	ck_assert_int_eq(ev_io_set(loop, -1, EV_READ, io_cb, &r), -1);
	close(p[0]);
	close(p[1]);
	ev_loop_free(&loop);
}
END_TEST

static int stale_calls;

static void stale_cb(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	(void)loop;
	(void)fd;
	(void)events;
	(void)ctx;
	stale_calls++;
}

/* Whichever of the two readable pipes comes first removes the other, closes
 * it and registers a fresh pipe (likely the same fd number) in its place. */
static void remover_cb(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	struct io_ctx *x = ctx;
	(void)events;
	x->calls++;
	ev_io_del(loop, fd);
	ev_io_del(loop, x->other_fd);
	close(x->other_fd);
	int np[2];
	ck_assert_int_eq(pipe(np), 0);
	ck_assert_int_eq(ev_io_set(loop, np[0], EV_READ, stale_cb, NULL), 0);
	x->new_fd[0] = np[0];
	x->new_fd[1] = np[1];
}

START_TEST(test_io_remove_in_callback)
{
	struct ev_loop *loop = ev_loop_new();
	int a[2], b[2], fresh[2] = { -1, -1 };
	ck_assert_int_eq(pipe(a), 0);
	ck_assert_int_eq(pipe(b), 0);
	struct io_ctx xa = { 0, 0, b[0], fresh }, xb = { 0, 0, a[0], fresh };
	ck_assert_int_eq(write(a[1], "1", 1), 1);
	ck_assert_int_eq(write(b[1], "2", 1), 1);
	ck_assert_int_eq(ev_io_set(loop, a[0], EV_READ, remover_cb, &xa), 0);
	ck_assert_int_eq(ev_io_set(loop, b[0], EV_READ, remover_cb, &xb), 0);
	ev_timer_add(loop, 30, break_cb, NULL);
	ev_loop_run(loop);
	ck_assert_int_eq(xa.calls + xb.calls, 1);
	ck_assert_int_eq(stale_calls, 0);
	ck_assert_int_ge(fresh[0], 0);
	int kept = xa.calls ? a[0] : b[0];
	ev_io_del(loop, fresh[0]);
	close(kept);
	close(a[1]);
	close(b[1]);
	close(fresh[0]);
	close(fresh[1]);
	ev_loop_free(&loop);
}
END_TEST

static int spins;
static int io_seen_at = -1;

static void spin_cb(struct ev_loop *loop, void *ctx)
{
	(void)ctx;
	if (++spins == 50)
		ev_loop_break(loop);
	else
		ev_timer_add(loop, 0, spin_cb, NULL);
}

static void seen_cb(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	(void)events;
	(void)ctx;
	io_seen_at = spins;
	ev_io_del(loop, fd);
}

START_TEST(test_zero_timers_do_not_starve_io)
{
	struct ev_loop *loop = ev_loop_new();
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ev_timer_add(loop, 0, spin_cb, NULL);
	ck_assert_int_eq(ev_io_set(loop, p[0], EV_READ, seen_cb, NULL), 0);
	ev_timer_add(loop, 0, record_cb, (void *)1L);
	norder = 0;
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ev_loop_run(loop);
	ck_assert_int_eq(spins, 50);
	ck_assert_int_ge(io_seen_at, 0);
	ck_assert_int_lt(io_seen_at, 3);
	ck_assert_int_eq(norder, 1);
	close(p[0]);
	close(p[1]);
	ev_loop_free(&loop);
}
END_TEST

static void break_io_cb(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	int *calls = ctx;
	(void)fd;
	(void)events;
	(*calls)++;
	ev_loop_break(loop);
}

START_TEST(test_break_from_io)
{
	struct ev_loop *loop = ev_loop_new();
	int p[2], calls = 0;
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ev_io_set(loop, p[1], EV_WRITE, break_io_cb, &calls), 0);
	uint64_t start = ev_now_ms();
	ck_assert_int_eq(ev_loop_run(loop), 0);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(ev_loop_run(loop), 0);
	ck_assert_int_eq(calls, 2);
	ck_assert_uint_lt(ev_now_ms() - start, 1000);
	ev_io_del(loop, p[1]);
	close(p[0]);
	close(p[1]);
	ev_loop_free(&loop);
}
END_TEST

START_TEST(test_high_fd)
{
	struct ev_loop *loop = ev_loop_new();
	int p[2], calls = 0;
	ck_assert_int_eq(pipe(p), 0);
	int hi = dup2(p[1], 700);
	ck_assert_int_eq(hi, 700);
	ck_assert_int_eq(ev_io_set(loop, hi, EV_WRITE, break_io_cb, &calls), 0);
	ev_loop_run(loop);
	ck_assert_int_eq(calls, 1);
	ev_io_del(loop, hi);
	close(hi);
	close(p[0]);
	close(p[1]);
	ev_loop_free(&loop);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ev");
	TCase *tc = tcase_create("timers");
	tcase_add_test(tc, test_timer_order);
	tcase_add_test(tc, test_timer_delete);
	tcase_add_test(tc, test_timer_heap_random);
	suite_add_tcase(s, tc);
	tc = tcase_create("io");
	tcase_add_test(tc, test_io_basic);
	tcase_add_test(tc, test_io_remove_in_callback);
	tcase_add_test(tc, test_zero_timers_do_not_starve_io);
	tcase_add_test(tc, test_break_from_io);
	tcase_add_test(tc, test_high_fd);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
