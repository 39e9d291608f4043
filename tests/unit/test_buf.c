/* test_buf: struct buf appends, limits and the sticky error flag,
 * printf growth, consume/truncate and reserve/added. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

START_TEST(test_empty)
{
	struct buf b;
	buf_init(&b, 0);
	ck_assert_str_eq(buf_str(&b), "");
	ck_assert_uint_eq(b.len, 0);
	ck_assert(!buf_error(&b));
	buf_consume(&b, 10);
	buf_truncate(&b, 0);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
	buf_free(&b);
}
END_TEST

START_TEST(test_append)
{
	struct buf b;
	buf_init(&b, 0);
	buf_append_str(&b, "hello");
	buf_append_char(&b, ' ');
	buf_append(&b, "world!!", 5);
	ck_assert_str_eq(buf_str(&b), "hello world");
	ck_assert_uint_eq(b.len, 11);
	ck_assert_int_eq(b.data[b.len], 0);
	/* embedded NUL is kept and counted */
	buf_append(&b, "a\0b", 3);
	ck_assert_uint_eq(b.len, 14);
	ck_assert_mem_eq(b.data + 11, "a\0b", 3);
	buf_append(&b, NULL, 0);
	ck_assert_uint_eq(b.len, 14);
	/* grow through many reallocations */
	buf_reset(&b);
	for (int i = 0; i < 10000; i++)
		buf_append_char(&b, (char)('a' + i % 26));
	ck_assert_uint_eq(b.len, 10000);
	ck_assert_int_eq(b.data[9999], 'a' + 9999 % 26);
	ck_assert_int_eq(b.data[10000], 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_limit_sticky)
{
	struct buf b;
	buf_init(&b, 10);
	buf_append_str(&b, "0123456789");
	ck_assert(!buf_error(&b));
	ck_assert_uint_eq(b.len, 10);
	buf_append_char(&b, 'x');
	ck_assert(buf_error(&b));
	ck_assert_uint_eq(b.len, 10);
	/* sticky: even a fitting append is ignored now */
	buf_consume(&b, 5);
	buf_append_char(&b, 'y');
	ck_assert(buf_error(&b));
	ck_assert_str_eq(buf_str(&b), "56789");
	buf_reset(&b);
	ck_assert(!buf_error(&b));
	ck_assert_str_eq(buf_str(&b), "");
	buf_append_str(&b, "abc");
	ck_assert_str_eq(buf_str(&b), "abc");
	/* a huge length must not wrap around */
	buf_append(&b, "x", (size_t)-1);
	ck_assert(buf_error(&b));
	ck_assert_str_eq(buf_str(&b), "abc");
	buf_free(&b);
}
END_TEST

START_TEST(test_printf)
{
	struct buf b;
	buf_init(&b, 0);
	buf_printf(&b, "%d-%s", 42, "x");
	ck_assert_str_eq(buf_str(&b), "42-x");
	char big[5000];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_printf(&b, "[%s]", big);
	ck_assert_uint_eq(b.len, 4 + 2 + 4999);
	ck_assert_int_eq(b.data[4], '[');
	ck_assert_int_eq(b.data[b.len - 1], ']');
	ck_assert_int_eq(b.data[b.len], 0);
	buf_free(&b);

	buf_init(&b, 8);
	buf_printf(&b, "%s", "1234");
	buf_printf(&b, "%s", "56789");
	ck_assert(buf_error(&b));
	ck_assert_str_eq(buf_str(&b), "1234");
	buf_free(&b);
}
END_TEST

START_TEST(test_consume_truncate)
{
	struct buf b;
	buf_init(&b, 0);
	buf_append_str(&b, "abcdef");
	buf_consume(&b, 2);
	ck_assert_str_eq(buf_str(&b), "cdef");
	buf_truncate(&b, 10);
	ck_assert_str_eq(buf_str(&b), "cdef");
	buf_truncate(&b, 2);
	ck_assert_str_eq(buf_str(&b), "cd");
	buf_consume(&b, 100);
	ck_assert_str_eq(buf_str(&b), "");
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_reserve)
{
	struct buf b;
	buf_init(&b, 100);
	char *p = buf_reserve(&b, 50);
	ck_assert_ptr_nonnull(p);
	memcpy(p, "12345", 5);
	buf_added(&b, 5);
	ck_assert_str_eq(buf_str(&b), "12345");
	ck_assert_ptr_null(buf_reserve(&b, 96));
	ck_assert(buf_error(&b));
	buf_added(&b, 3);
	ck_assert_uint_eq(b.len, 5);
	buf_reset(&b);
	p = buf_reserve(&b, 100);
	ck_assert_ptr_nonnull(p);
	memset(p, 'q', 100);
	buf_added(&b, 100);
	ck_assert_uint_eq(b.len, 100);
	ck_assert_int_eq(b.data[100], 0);
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_limit_sticky);
	tcase_add_test(tc, test_printf);
	tcase_add_test(tc, test_consume_truncate);
	tcase_add_test(tc, test_reserve);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
