/* Unit tests for authd/hash_pool: results arrive on the loop thread in
 * completion order, cancelled jobs never call back, many jobs across
 * threads all complete, and freeing a pool with work queued is clean. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ev.h"
#include "hash_pool.h"

struct tally {
	struct ev_loop *loop;
	int matches, mismatches, calls, expected;
};

static void done(enum pw_result r, const char *scheme, void *arg)
{
	struct tally *t = arg;
	(void)scheme;
	t->calls++;
	if (r == PW_MATCH)
		t->matches++;
	else if (r == PW_MISMATCH)
		t->mismatches++;
	if (t->calls == t->expected)
		ev_loop_break(t->loop);
}

static void give_up(struct ev_loop *loop, void *arg)
{
	(void)arg;
	ev_loop_break(loop);
}

START_TEST(results_arrive)
{
	struct ev_loop *loop = ev_loop_new();
	struct hash_pool *pool = hash_pool_new(loop, 4);
	ck_assert_ptr_nonnull(pool);
	struct tally t = { .loop = loop, .expected = 200 };
	for (int i = 0; i < 200; i++) {
		const char *pw = i % 2 ? "secret" : "wrong";
		ck_assert_ptr_nonnull(hash_pool_submit(pool, "{PLAIN}secret", pw, strlen(pw), NULL,
						       "u@example.test", done, &t));
	}
	ck_assert_uint_eq(hash_pool_pending(pool), 200);
	ev_timer_add(loop, 10000, give_up, NULL);
	ev_loop_run(loop);
	ck_assert_int_eq(t.calls, 200);
	ck_assert_int_eq(t.matches, 100);
	ck_assert_int_eq(t.mismatches, 100);
	ck_assert_uint_eq(hash_pool_pending(pool), 0);
	hash_pool_free(&pool);
	ck_assert_ptr_null(pool);
	ev_loop_free(&loop);
}
END_TEST

START_TEST(cancelled_jobs_stay_silent)
{
	struct ev_loop *loop = ev_loop_new();
	struct hash_pool *pool = hash_pool_new(loop, 2);
	struct tally t = { .loop = loop, .expected = 5 };
	struct hash_job *jobs[10];
	for (int i = 0; i < 10; i++)
		jobs[i] = hash_pool_submit(pool, "{PLAIN}x", "x", 1, NULL, NULL, done, &t);
	for (int i = 0; i < 10; i += 2)
		hash_pool_cancel(jobs[i]);
	ev_timer_add(loop, 1000, give_up, NULL); /* would catch extra calls */
	t.expected = -1;
	ev_loop_run(loop);
	ck_assert_int_eq(t.calls, 5);
	ck_assert_int_eq(t.matches, 5);
	hash_pool_free(&pool);
	ev_loop_free(&loop);
}
END_TEST

START_TEST(free_with_work_queued)
{
	struct ev_loop *loop = ev_loop_new();
	struct hash_pool *pool = hash_pool_new(loop, 1);
	struct tally t = { .loop = loop, .expected = 1000 };
	for (int i = 0; i < 50; i++)
		hash_pool_submit(pool, "$6$rounds=5000$abcdefgh$", "pw", 2, NULL, NULL, done, &t);
	hash_pool_free(&pool); /* joins; queued jobs are dropped without callbacks */
	ck_assert_int_eq(t.calls, 0);
	ev_loop_free(&loop);
}
END_TEST

START_TEST(slow_hash_does_not_block_loop)
{
	struct ev_loop *loop = ev_loop_new();
	struct hash_pool *pool = hash_pool_new(loop, 1);
	char hash[256];
	ck_assert_int_eq(pw_make("SHA512-CRYPT", "pw", hash, sizeof(hash)), 0);
	struct tally t = { .loop = loop, .expected = 20 };
	uint64_t start = ev_now_ms();
	for (int i = 0; i < 20; i++)
		hash_pool_submit(pool, hash, "pw", 2, NULL, NULL, done, &t);
	/* submitting returned at once: the hashing happens elsewhere */
	ck_assert_uint_lt(ev_now_ms() - start, 50);
	ev_timer_add(loop, 20000, give_up, NULL);
	ev_loop_run(loop);
	ck_assert_int_eq(t.matches, 20);
	hash_pool_free(&pool);
	ev_loop_free(&loop);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hash_pool");
	TCase *tc = tcase_create("pool");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, results_arrive);
	tcase_add_test(tc, cancelled_jobs_stay_silent);
	tcase_add_test(tc, free_with_work_queued);
	tcase_add_test(tc, slow_hash_does_not_block_loop);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
