/* Unit tests for lib/lookup_cache: hits and misses, negative entries,
 * expiry, replacement, the memory bound, and concurrent use. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lookup_cache.h"

START_TEST(disabled_cache_is_null)
{
	ck_assert_ptr_null(lookup_cache_new(0, 1000, 1000));
	ck_assert_ptr_null(lookup_cache_new(1000, 0, 0));
	char v[8];
	size_t len = sizeof(v);
	bool found;
	ck_assert_int_eq(lookup_cache_get(NULL, "k", v, &len, &found), 0);
	lookup_cache_put(NULL, "k", "v", 1, true); /* no-op, no crash */
}
END_TEST

START_TEST(hit_miss_negative)
{
	struct lookup_cache *c = lookup_cache_new(1 << 20, 10000, 10000);
	char v[32];
	size_t len = sizeof(v);
	bool found = false;
	ck_assert_int_eq(lookup_cache_get(c, "a@x", v, &len, &found), 0);
	lookup_cache_put(c, "a@x", "value", 5, true);
	lookup_cache_put(c, "b@x", NULL, 0, false);
	len = sizeof(v);
	ck_assert_int_eq(lookup_cache_get(c, "a@x", v, &len, &found), 1);
	ck_assert(found);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(v, "value", 5), 0);
	len = sizeof(v);
	ck_assert_int_eq(lookup_cache_get(c, "b@x", v, &len, &found), 1);
	ck_assert(!found);
	lookup_cache_put(c, "a@x", "other", 5, true); /* replaces */
	len = sizeof(v);
	ck_assert_int_eq(lookup_cache_get(c, "a@x", v, &len, &found), 1);
	ck_assert_int_eq(memcmp(v, "other", 5), 0);
	len = 2; /* too small: a miss, not a cut value */
	ck_assert_int_eq(lookup_cache_get(c, "a@x", v, &len, &found), 0);
	uint64_t hits, misses;
	lookup_cache_stats(c, &hits, &misses);
	ck_assert_uint_eq(hits, 3);
	ck_assert_uint_eq(misses, 2);
	lookup_cache_clear(c);
	len = sizeof(v);
	ck_assert_int_eq(lookup_cache_get(c, "a@x", v, &len, &found), 0);
	lookup_cache_free(&c);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(expiry_and_negative_ttl_zero)
{
	struct lookup_cache *c = lookup_cache_new(1 << 20, 50, 0);
	char v[8];
	size_t len = sizeof(v);
	bool found;
	lookup_cache_put(c, "neg", NULL, 0, false); /* negative caching off */
	ck_assert_int_eq(lookup_cache_get(c, "neg", v, &len, &found), 0);
	lookup_cache_put(c, "pos", "1", 1, true);
	ck_assert_int_eq(lookup_cache_get(c, "pos", v, &len, &found), 1);
	usleep(80 * 1000);
	len = sizeof(v);
	ck_assert_int_eq(lookup_cache_get(c, "pos", v, &len, &found), 0);
	lookup_cache_free(&c);
}
END_TEST

START_TEST(memory_bound_evicts_oldest)
{
	struct lookup_cache *c = lookup_cache_new(4096, 100000, 100000);
	char key[32], v[64];
	memset(v, 'x', sizeof(v));
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		lookup_cache_put(c, key, v, sizeof(v), true);
	}
	size_t len = sizeof(v);
	bool found;
	ck_assert_int_eq(lookup_cache_get(c, "key0", v, &len, &found), 0);
	len = sizeof(v);
	ck_assert_int_eq(lookup_cache_get(c, "key999", v, &len, &found), 1);
	char big[8192] = { 0 };
	lookup_cache_put(c, "huge", big, sizeof(big), true); /* larger than the cache */
	len = sizeof(big);
	ck_assert_int_eq(lookup_cache_get(c, "huge", big, &len, &found), 0);
	lookup_cache_free(&c);
}
END_TEST

static void *hammer(void *arg)
{
	struct lookup_cache *c = arg;
	char key[32], v[16];
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "k%d", i % 300);
		size_t len = sizeof(v);
		bool found;
		if (!lookup_cache_get(c, key, v, &len, &found))
			lookup_cache_put(c, key, key, strlen(key), i % 2);
	}
	return NULL;
}

START_TEST(concurrent_use)
{
	struct lookup_cache *c = lookup_cache_new(8192, 100000, 100000);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, hammer, c);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	lookup_cache_free(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lookup_cache");
	TCase *tc = tcase_create("cache");
	tcase_add_test(tc, disabled_cache_is_null);
	tcase_add_test(tc, hit_miss_negative);
	tcase_add_test(tc, expiry_and_negative_ttl_zero);
	tcase_add_test(tc, memory_bound_evicts_oldest);
	tcase_add_test(tc, concurrent_use);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
