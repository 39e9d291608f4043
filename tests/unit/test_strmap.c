/* test_strmap: insert/find/iterate, duplicates keep the first value, growth
 * across many keys, hostile keys (long, similar, empty), value freeing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

START_TEST(test_basic)
{
	struct strmap *m = strmap_new();
	int a = 1, b = 2;
	void *v = NULL;

	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(strmap_count(m), 0);
	ck_assert(!strmap_find(m, "x", &v));
	ck_assert_ptr_null(strmap_get(m, "x"));
	ck_assert_int_eq(strmap_add(m, "x", &a, NULL), 1);
	ck_assert_int_eq(strmap_add(m, "x", &b, &v), 0);
	ck_assert_ptr_eq(v, &a);
	ck_assert_ptr_eq(strmap_get(m, "x"), &a);
	ck_assert_int_eq(strmap_add(m, "", &b, NULL), 1);
	ck_assert_ptr_eq(strmap_get(m, ""), &b);
	ck_assert_int_eq(strmap_add(m, "null", NULL, NULL), 1);
	ck_assert(strmap_find(m, "null", &v));
	ck_assert_ptr_null(v);
	ck_assert(strmap_find(m, "null", NULL));
	ck_assert(!strmap_find(m, "nul", NULL));
	ck_assert(!strmap_find(m, "X", NULL)); /* case-sensitive: callers fold */
	ck_assert_uint_eq(strmap_count(m), 3);
	strmap_free(&m, NULL);
	ck_assert_ptr_null(m);
	strmap_free(&m, NULL);
	strmap_free(NULL, NULL);
}
END_TEST

/* The key passed in is copied: changing the caller's buffer changes nothing. */
START_TEST(test_key_copied)
{
	struct strmap *m = strmap_new();
	char key[8] = "abc";
	int a = 1;

	ck_assert_int_eq(strmap_add(m, key, &a, NULL), 1);
	key[0] = 'z';
	ck_assert_ptr_eq(strmap_get(m, "abc"), &a);
	ck_assert_ptr_null(strmap_get(m, "zbc"));
	strmap_free(&m, NULL);
}
END_TEST

START_TEST(test_many)
{
	enum { N = 50000 };
	struct strmap *m = strmap_new();
	char key[64];
	size_t pos = 0, seen = 0;
	const char *k;
	void *v;
	char *marks = calloc(N, 1);

	for (long i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "user%ld@example.org", i);
		ck_assert_int_eq(strmap_add(m, key, (void *)(i + 1), NULL), 1);
	}
	ck_assert_uint_eq(strmap_count(m), N);
	for (long i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "user%ld@example.org", i);
		ck_assert_ptr_eq(strmap_get(m, key), (void *)(i + 1));
		snprintf(key, sizeof(key), "user%ld@example.net", i);
		ck_assert(!strmap_find(m, key, NULL));
	}
	while (strmap_next(m, &pos, &k, &v)) {
		long i = (long)v - 1;

		ck_assert(i >= 0 && i < N);
		ck_assert_int_eq(marks[i], 0);
		marks[i] = 1;
		snprintf(key, sizeof(key), "user%ld@example.org", i);
		ck_assert_str_eq(k, key);
		seen++;
	}
	ck_assert_uint_eq(seen, N);
	ck_assert(!strmap_next(m, &pos, &k, &v));
	free(marks);
	strmap_free(&m, NULL);
}
END_TEST

START_TEST(test_hostile_keys)
{
	struct strmap *m = strmap_new();
	char *big = malloc(100001);
	static const char *const odd[] = { "%", "%%d", "\"", "\\", "a b", "\t", "\xff\xfe", "'" };

	memset(big, 'a', 100000);
	big[100000] = '\0';
	ck_assert_int_eq(strmap_add(m, big, big, NULL), 1);
	big[99999] = 'b';
	ck_assert(!strmap_find(m, big, NULL));
	big[99999] = 'a';
	ck_assert_ptr_eq(strmap_get(m, big), big);
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		ck_assert_int_eq(strmap_add(m, odd[i], (void *)odd[i], NULL), 1);
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		ck_assert_ptr_eq(strmap_get(m, odd[i]), odd[i]);
	strmap_free(&m, NULL);
	free(big);
}
END_TEST

START_TEST(test_free_values)
{
	struct strmap *m = strmap_new();

	for (int i = 0; i < 100; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", i);
		ck_assert_int_eq(strmap_add(m, key, strdup(key), NULL), 1);
	}
	ck_assert_str_eq(strmap_get(m, "k42"), "k42");
	strmap_free(&m, free); /* ASan reports a leak if values were not freed */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("strmap");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_key_copied);
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_hostile_keys);
	tcase_add_test(tc, test_free_values);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
