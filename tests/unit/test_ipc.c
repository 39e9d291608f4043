/* test_ipc: tab-escaping round trips and bad escapes, field splitting
 * limits, netstring tables (also fed byte by byte), base64 (RFC 4648
 * vectors, binary round trips, malformed and non-canonical input). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

START_TEST(test_tabescape_exact)
{
	static const char in[] = "a\001b\tc\rd\ne\0f";
	static const char want[] = "a\0011b\001tc\001rd\001ne\0010f";
	struct buf b;
	buf_init(&b, 0);
	ipc_tabescape(&b, in, sizeof(in) - 1);
	ck_assert_uint_eq(b.len, sizeof(want) - 1);
	ck_assert_mem_eq(b.data, want, b.len);
	long n = ipc_tabunescape(b.data, b.len);
	ck_assert_int_eq(n, (long)sizeof(in) - 1);
	ck_assert_mem_eq(b.data, in, (size_t)n);
	buf_free(&b);
}
END_TEST

START_TEST(test_tabescape_all_bytes)
{
	char in[512];
	for (int i = 0; i < 512; i++)
		in[i] = (char)(i & 0xff);
	struct buf b;
	buf_init(&b, 0);
	ipc_tabescape(&b, in, sizeof(in));
	ck_assert_ptr_null(memchr(b.data, '\t', b.len));
	ck_assert_ptr_null(memchr(b.data, '\n', b.len));
	ck_assert_ptr_null(memchr(b.data, '\r', b.len));
	ck_assert_ptr_null(memchr(b.data, '\0', b.len));
	ck_assert_uint_eq(b.len, sizeof(in) + 2 * 5);
	long n = ipc_tabunescape(b.data, b.len);
	ck_assert_int_eq(n, (long)sizeof(in));
	ck_assert_mem_eq(b.data, in, sizeof(in));
	buf_reset(&b);
	ipc_tabescape(&b, "", 0);
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

static const char *const bad_escapes[] = {
	"\001", "abc\001", "\001x", "a\001\001", "\0012", "\001T", "\001 ", "x\001\n",
};

START_TEST(test_tabunescape_bad)
{
	char tmp[16];
	const char *s = bad_escapes[_i];
	size_t len = strlen(s);
	memcpy(tmp, s, len + 1);
	ck_assert_int_eq(ipc_tabunescape(tmp, len), -1);
}
END_TEST

START_TEST(test_split_fields)
{
	char line[64];
	char *f[4];
	size_t lens[4];
	strcpy(line, "AUTH\t1\tPLAIN\tservice=smtp");
	ck_assert_int_eq(ipc_split_fields(line, strlen(line), f, lens, 4), 4);
	ck_assert_str_eq(f[0], "AUTH");
	ck_assert_str_eq(f[1], "1");
	ck_assert_str_eq(f[2], "PLAIN");
	ck_assert_str_eq(f[3], "service=smtp");
	ck_assert_uint_eq(lens[3], 12);

	strcpy(line, "a\tb\tc");
	ck_assert_int_eq(ipc_split_fields(line, 5, f, NULL, 2), -1);
	strcpy(line, "a\tb\tc");
	ck_assert_int_eq(ipc_split_fields(line, 5, f, NULL, 3), 3);
	ck_assert_int_eq(ipc_split_fields(line, 0, f, NULL, 0), -1);

	strcpy(line, "");
	ck_assert_int_eq(ipc_split_fields(line, 0, f, lens, 4), 1);
	ck_assert_str_eq(f[0], "");
	strcpy(line, "\t");
	ck_assert_int_eq(ipc_split_fields(line, 1, f, lens, 4), 2);
	ck_assert_str_eq(f[0], "");
	ck_assert_str_eq(f[1], "");

	/* escaped tab stays in its field; escaped NUL shows in lens */
	memcpy(line, "x\001ty\tp\0010q", 9);
	line[9] = '\0';
	ck_assert_int_eq(ipc_split_fields(line, 9, f, lens, 4), 2);
	ck_assert_str_eq(f[0], "x\ty");
	ck_assert_uint_eq(lens[1], 3);
	ck_assert_mem_eq(f[1], "p\0q", 3);
	ck_assert_int_eq(f[1][3], 0);

	strcpy(line, "ok\tbad\001");
	ck_assert_int_eq(ipc_split_fields(line, strlen(line), f, lens, 4), -1);
}
END_TEST

START_TEST(test_netstring_put)
{
	struct buf b;
	buf_init(&b, 0);
	ipc_netstring_put(&b, "hello", 5);
	ipc_netstring_put(&b, "", 0);
	ipc_netstring_put(&b, "a,b:c", 5);
	ck_assert_str_eq(buf_str(&b), "5:hello,0:,5:a,b:c,");
	buf_free(&b);
}
END_TEST

struct ns_case {
	const char *in;
	size_t max;
	int ret;
	const char *data;
	size_t used;
};

static const struct ns_case ns_cases[] = {
	{ "5:hello,", 100, 1, "hello", 8 },
	{ "0:,", 100, 1, "", 3 },
	{ "5:hello,3:abc,", 100, 1, "hello", 8 },
	{ "3:a,b,", 100, 1, "a,b", 6 },
	{ "", 100, 0, NULL, 0 },
	{ "5", 100, 0, NULL, 0 },
	{ "5:", 100, 0, NULL, 0 },
	{ "5:hel", 100, 0, NULL, 0 },
	{ "5:hello", 100, 0, NULL, 0 },
	{ "123456789", 2000000000, 0, NULL, 0 },
	{ "5:helloX", 100, -1, NULL, 0 },
	{ "5:hello;", 100, -1, NULL, 0 },
	{ "05:hello,", 100, -1, NULL, 0 },
	{ "00:,", 100, -1, NULL, 0 },
	{ "0", 100, 0, NULL, 0 },
	{ "01", 100, -1, NULL, 0 },
	{ "+5:hello,", 100, -1, NULL, 0 },
	{ "-1:x,", 100, -1, NULL, 0 },
	{ ":,", 100, -1, NULL, 0 },
	{ "a:", 100, -1, NULL, 0 },
	{ " 5:hello,", 100, -1, NULL, 0 },
	{ "5 :hello,", 100, -1, NULL, 0 },
	{ "1234567890:", 2000000000, -1, NULL, 0 },
	{ "123456789x", 2000000000, -1, NULL, 0 },
	{ "6:abcdef,", 5, -1, NULL, 0 },
	{ "10", 5, -1, NULL, 0 },
	{ "5:abcde,", 5, 1, "abcde", 8 },
};

START_TEST(test_netstring_table)
{
	const struct ns_case *tc = &ns_cases[_i];
	const char *data = NULL;
	size_t len = 0, used = 0;
	int r = ipc_netstring_get(tc->in, strlen(tc->in), tc->max, &data, &len, &used);
	ck_assert_msg(r == tc->ret, "case %d '%s': got %d want %d", _i, tc->in, r, tc->ret);
	if (r == 1) {
		ck_assert_uint_eq(len, strlen(tc->data));
		ck_assert_mem_eq(data, tc->data, len);
		ck_assert_uint_eq(used, tc->used);
	}
}
END_TEST

START_TEST(test_netstring_bytewise)
{
	static const char stream[] = "5:hello,0:,12:hello\0world!,1:\n,";
	static const char *const want[] = { "hello", "", "hello\0world!", "\n" };
	static const size_t wantlen[] = { 5, 0, 12, 1 };
	size_t pos = 0, total = sizeof(stream) - 1;
	int got = 0;
	while (pos < total) {
		const char *data;
		size_t len, used;
		int r = 0;
		size_t avail;
		/* grow the visible window one byte at a time */
		for (avail = 1; avail <= total - pos; avail++) {
			char *copy = malloc(avail); /* exact size: ASan catches overreads */
			memcpy(copy, stream + pos, avail);
			r = ipc_netstring_get(copy, avail, 100, &data, &len, &used);
			if (r == 1) {
				ck_assert_uint_eq(len, wantlen[got]);
				ck_assert_mem_eq(data, want[got], len);
				ck_assert_uint_eq(used, avail);
			}
			free(copy);
			ck_assert_int_ne(r, -1);
			if (r == 1)
				break;
		}
		ck_assert_int_eq(r, 1);
		pos += used;
		got++;
	}
	ck_assert_int_eq(got, 4);
}
END_TEST

struct b64_case {
	const char *plain;
	const char *enc;
};

static const struct b64_case b64_cases[] = {
	{ "", "" },	      { "f", "Zg==" },	       { "fo", "Zm8=" },
	{ "foo", "Zm9v" },    { "foob", "Zm9vYg==" },  { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" }, { "\xff\xfe\xfd", "//79" }, { "\xfb\xef", "++8=" },
};

START_TEST(test_base64_vectors)
{
	const struct b64_case *tc = &b64_cases[_i];
	struct buf b;
	unsigned char out[64];
	buf_init(&b, 0);
	ipc_base64_encode(&b, (const unsigned char *)tc->plain, strlen(tc->plain));
	ck_assert_str_eq(buf_str(&b), tc->enc);
	long n = ipc_base64_decode(tc->enc, strlen(tc->enc), out);
	ck_assert_int_eq(n, (long)strlen(tc->plain));
	ck_assert_mem_eq(out, tc->plain, (size_t)n);
	buf_free(&b);
}
END_TEST

START_TEST(test_base64_binary)
{
	unsigned char in[256], out[256 + 3];
	for (int i = 0; i < 256; i++)
		in[i] = (unsigned char)(255 - i);
	for (size_t len = 0; len <= 256; len += 1) {
		struct buf b;
		buf_init(&b, 0);
		ipc_base64_encode(&b, in, len);
		ck_assert_uint_eq(b.len, (len + 2) / 3 * 4);
		long n = ipc_base64_decode(b.data ? b.data : "", b.len, out);
		ck_assert_int_eq(n, (long)len);
		ck_assert_mem_eq(out, in, len);
		buf_free(&b);
	}
}
END_TEST

static const char *const b64_bad[] = {
	"Zg=",	    "Zg",	"Z",	    "Zm9vY",   "Z===",	   "====",    "Zg==Zg==",
	"Zm9v\n",   " Zm9v",	"Zm9v ",    "Zm 9v",   "Zm9v\r\n", "Zm=v",    "Z*9v",
	"Zh==",	    "Zm9=",	"Zm-_",	    "=Zm9",    "Zg=A",	   "Zm9v====", "Zm8=Zm8=",
};

START_TEST(test_base64_bad)
{
	unsigned char out[16];
	const char *s = b64_bad[_i];
	ck_assert_msg(ipc_base64_decode(s, strlen(s), out) == -1, "accepted '%s'", s);
}
END_TEST

START_TEST(test_base64_nul)
{
	unsigned char out[8];
	ck_assert_int_eq(ipc_base64_decode("Zm\0v", 4, out), -1);
	ck_assert_int_eq(ipc_base64_decode("AA==", 4, out), 1);
	ck_assert_int_eq(out[0], 0);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
	Suite *s = suite_create("ipc");
	TCase *tc = tcase_create("tabescape");
	tcase_add_test(tc, test_tabescape_exact);
	tcase_add_test(tc, test_tabescape_all_bytes);
	tcase_add_loop_test(tc, test_tabunescape_bad, 0, N(bad_escapes));
	tcase_add_test(tc, test_split_fields);
	suite_add_tcase(s, tc);
	tc = tcase_create("netstring");
	tcase_add_test(tc, test_netstring_put);
	tcase_add_loop_test(tc, test_netstring_table, 0, N(ns_cases));
	tcase_add_test(tc, test_netstring_bytewise);
	suite_add_tcase(s, tc);
	tc = tcase_create("base64");
	tcase_add_loop_test(tc, test_base64_vectors, 0, N(b64_cases));
	tcase_add_test(tc, test_base64_binary);
	tcase_add_loop_test(tc, test_base64_bad, 0, N(b64_bad));
	tcase_add_test(tc, test_base64_nul);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
