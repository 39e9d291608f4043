/* Unit tests for lib/fileio: whole reads, the size bound (exact limit,
 * one past), embedded NUL bytes, empty files, missing files and pipes. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

static char path[] = "/tmp/tern-fileio-XXXXXX";

static void write_file(const char *data, size_t len)
{
	strcpy(path, "/tmp/tern-fileio-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

START_TEST(reads_exact_bytes_and_nul)
{
	write_file("a\0b\nc", 5);
	char *data;
	size_t len;
	ck_assert_int_eq(file_read_path(path, 5, &data, &len), 0);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(data, "a\0b\nc", 6), 0); /* NUL-terminated too */
	free(data);
	ck_assert_int_eq(file_read_path(path, 4, &data, &len), -1);
	ck_assert_int_eq(errno, EFBIG);
	unlink(path);
}
END_TEST

START_TEST(large_and_empty)
{
	size_t big = 100000;
	char *buf = malloc(big);
	memset(buf, 'x', big);
	write_file(buf, big);
	char *data;
	size_t len;
	ck_assert_int_eq(file_read_path(path, big, &data, &len), 0);
	ck_assert_uint_eq(len, big);
	ck_assert_int_eq(data[big], '\0');
	free(data);
	ck_assert_int_eq(file_read_path(path, big - 1, &data, &len), -1);
	unlink(path);
	free(buf);
	write_file("", 0);
	ck_assert_int_eq(file_read_path(path, 10, &data, &len), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(data, "");
	free(data);
	unlink(path);
}
END_TEST

START_TEST(missing_and_pipe)
{
	char *data;
	size_t len;
	ck_assert_int_eq(file_read_path("/nonexistent/tern/x", 10, &data, &len), -1);
	ck_assert_int_eq(errno, ENOENT);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "hello", 5), 5);
	close(p[1]);
	ck_assert_int_eq(file_read_fd(p[0], 100, &data, &len), 0);
	ck_assert_str_eq(data, "hello");
	free(data);
	close(p[0]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fileio");
	TCase *tc = tcase_create("read");
	tcase_add_test(tc, reads_exact_bytes_and_nul);
	tcase_add_test(tc, large_and_empty);
	tcase_add_test(tc, missing_and_pipe);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK); /* the tests share `path` */
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
