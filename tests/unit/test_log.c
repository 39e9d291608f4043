/* test_log: lines written to a file (format, level prefixes and filtering,
 * control-byte replacement, truncation at LOG_LINE_MAX), log_value and
 * log_str escaping and cutting, level parsing, fd destinations. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static char tmpdir[64];
static char logpath[128];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/tern-test-log-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(logpath, sizeof(logpath), "%s/mail.log", tmpdir);
	umask(022);
	ck_assert_int_eq(log_open("testd", logpath), 0);
	log_set_level(LOG_LEVEL_INFO);
}

static void teardown(void)
{
	log_close();
	unlink(logpath);
	rmdir(tmpdir);
}

/* The whole log file (static buffer). */
static const char *slurp(size_t *len_r)
{
	static char data[65536];
	int fd = open(logpath, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ssize_t n = read(fd, data, sizeof(data) - 1);
	close(fd);
	ck_assert_int_ge(n, 0);
	data[n] = '\0';
	if (len_r)
		*len_r = (size_t)n;
	return data;
}

START_TEST(test_line_format)
{
	struct stat st;
	ck_assert_int_eq(stat(logpath, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	log_info("hello user=%s n=%d", "bob", 7);
	const char *data = slurp(NULL);
	char pattern[256];
	snprintf(pattern, sizeof(pattern),
		 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
		 "testd\\[%ld\\]: hello user=bob n=7\n$",
		 (long)getpid());
	regex_t re;
	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, data, 0, NULL, 0) == 0, "bad line: %s", data);
	regfree(&re);
}
END_TEST

START_TEST(test_levels)
{
	log_debug("d1");
	log_info("i1");
	log_warning("w1");
	log_error("e1");
	log_set_level(LOG_LEVEL_DEBUG);
	log_debug("d2");
	log_set_level(LOG_LEVEL_ERROR);
	log_warning("w2");
	log_error("e2");
	const char *data = slurp(NULL);
	ck_assert_ptr_null(strstr(data, "d1"));
	ck_assert_ptr_null(strstr(data, "w2"));
	ck_assert_ptr_nonnull(strstr(data, "]: i1\n"));
	ck_assert_ptr_nonnull(strstr(data, "]: warning: w1\n"));
	ck_assert_ptr_nonnull(strstr(data, "]: error: e1\n"));
	ck_assert_ptr_nonnull(strstr(data, "]: d2\n"));
	ck_assert_ptr_nonnull(strstr(data, "]: error: e2\n"));
}
END_TEST

START_TEST(test_control_bytes)
{
	log_info("a\nb\rc%s|%s", "\x01\x7f\t", "x\ny");
	size_t len;
	const char *data = slurp(&len);
	ck_assert_ptr_nonnull(strstr(data, "]: a?b?c???|x?y\n"));
	/* exactly one newline: the terminator */
	ck_assert_ptr_eq(strchr(data, '\n'), data + len - 1);
}
END_TEST

START_TEST(test_truncation)
{
	char big[LOG_LINE_MAX * 3];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_warning("long=%s", big);
	log_info("after");
	size_t len;
	const char *data = slurp(&len);
	const char *nl = strchr(data, '\n');
	ck_assert_ptr_nonnull(nl);
	size_t first = (size_t)(nl - data) + 1;
	ck_assert_uint_eq(first, LOG_LINE_MAX);
	ck_assert_mem_eq(nl - 3, "...", 3);
	ck_assert_ptr_nonnull(strstr(data, "]: warning: long=xxx"));
	ck_assert_ptr_nonnull(strstr(nl + 1, "]: after\n"));
}
END_TEST

START_TEST(test_errno_kept_and_close)
{
	errno = EACCES;
	log_info("keep errno");
	ck_assert_int_eq(errno, EACCES);
	log_close();
	log_error("not written");
	const char *data = slurp(NULL);
	ck_assert_ptr_nonnull(strstr(data, "keep errno"));
	ck_assert_ptr_null(strstr(data, "not written"));
	ck_assert_int_eq(log_open("x", "/nonexistent-dir/sub/log"), -1);
	/* syslog: works (or is silently dropped) without a socket at /dev/log */
	ck_assert_int_eq(log_open("testd", "syslog"), 0);
	log_warning("to syslog %s", "x");
	ck_assert_int_eq(log_open("testd", logpath), 0);
	log_info("back to file");
	ck_assert_ptr_nonnull(strstr(slurp(NULL), "]: back to file\n"));
}
END_TEST

START_TEST(test_use_fd)
{
	int p[2];
	char got[256];
	ck_assert_int_eq(pipe(p), 0);
	log_use_fd("piped", p[1]);
	log_info("via pipe %d", 1);
	ssize_t n = read(p[0], got, sizeof(got) - 1);
	ck_assert_int_gt(n, 0);
	got[n] = '\0';
	ck_assert_ptr_nonnull(strstr(got, " piped["));
	ck_assert_ptr_nonnull(strstr(got, "]: via pipe 1\n"));
	log_close();
	/* log_close must not close a borrowed fd */
	ck_assert_int_eq(write(p[1], "z", 1), 1);
	close(p[0]);
	close(p[1]);
}
END_TEST

struct value_case {
	const char *in;
	size_t len;
	const char *out;
};

static const struct value_case value_cases[] = {
	{ "alice", 5, "alice" },
	{ "a@b.example", 11, "a@b.example" },
	{ "", 0, "\"\"" },
	{ "a b", 3, "\"a b\"" },
	{ "a\"b", 3, "\"a\\\"b\"" },
	{ "a\\b", 3, "\"a\\\\b\"" },
	{ "x\ny", 3, "\"x\\x0ay\"" },
	{ "\r\t", 2, "\"\\x0d\\x09\"" },
	{ "n\0ul", 4, "\"n\\x00ul\"" },
	{ "\xc3\xa9t\xc3\xa9", 5, "\"\\xc3\\xa9t\\xc3\\xa9\"" },
	{ "\x7f", 1, "\"\\x7f\"" },
	{ "user=x", 6, "user=x" },
};

START_TEST(test_value_table)
{
	const struct value_case *tc = &value_cases[_i];
	char out[64];
	ck_assert_str_eq(log_value(out, sizeof(out), tc->in, tc->len), tc->out);
}
END_TEST

START_TEST(test_value_cut)
{
	char out[16];
	ck_assert_str_eq(log_value(out, 8, "abcdefghijkl", 12), "abcd...");
	ck_assert_str_eq(log_value(out, 13, "abcdefghijkl", 12), "abcdefghijkl");
	ck_assert_str_eq(log_value(out, 14, "a b c d e f g", 13), "\"a b c d ...\"");
	ck_assert_str_eq(log_value(out, 15, "a b c d e f g", 13), "\"a b c d e...\"");
	ck_assert_str_eq(log_value(out, 16, "a b c d e f g", 13), "\"a b c d e f g\"");
	ck_assert_str_eq(log_value(out, 12, "\n\n\n\n", 4), "\"\\x0a...\"");
	/* every size keeps the result NUL-terminated inside the buffer */
	static const char hostile[] = "ab \"\\\n\x01\xff zz\" \\x";
	for (size_t size = 1; size <= sizeof(out); size++) {
		memset(out, 'Q', sizeof(out));
		log_value(out, size, hostile, sizeof(hostile) - 1);
		ck_assert_ptr_nonnull(memchr(out, '\0', size));
		ck_assert_ptr_null(strchr(out, '\n'));
	}
	out[0] = 'Q';
	log_value(out, 0, "x", 1);
	ck_assert_int_eq(out[0], 'Q');
}
END_TEST

START_TEST(test_log_str)
{
	const char *a = log_str("one two");
	const char *b = log_str("plain");
	const char *c = log_str(NULL);
	const char *d = log_str("x\"y");
	ck_assert_str_eq(a, "\"one two\"");
	ck_assert_str_eq(b, "plain");
	ck_assert_str_eq(c, "\"\"");
	ck_assert_str_eq(d, "\"x\\\"y\"");
	char big[2000];
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const char *e = log_str(big);
	ck_assert_uint_eq(strlen(e), 511);
	ck_assert_str_eq(e + 508, "...");
}
END_TEST

START_TEST(test_level_parse)
{
	ck_assert_int_eq(log_level_parse("debug"), LOG_LEVEL_DEBUG);
	ck_assert_int_eq(log_level_parse("info"), LOG_LEVEL_INFO);
	ck_assert_int_eq(log_level_parse("warning"), LOG_LEVEL_WARNING);
	ck_assert_int_eq(log_level_parse("error"), LOG_LEVEL_ERROR);
	ck_assert_int_eq(log_level_parse("INFO"), -1);
	ck_assert_int_eq(log_level_parse(""), -1);
	ck_assert_int_eq(log_level_parse("warn"), -1);
	ck_assert_int_eq(log_level_parse("errors"), -1);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_line_format);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_control_bytes);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_errno_kept_and_close);
	tcase_add_test(tc, test_use_fd);
	suite_add_tcase(s, tc);
	tc = tcase_create("value");
	tcase_add_loop_test(tc, test_value_table, 0, N(value_cases));
	tcase_add_test(tc, test_value_cut);
	tcase_add_test(tc, test_log_str);
	tcase_add_test(tc, test_level_parse);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
