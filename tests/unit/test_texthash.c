/* test_texthash: the Postfix texthash and name-list parser: table of
 * inputs and expected lookups (continuations, comments, CRLF, duplicates,
 * NUL bytes, overlong lines), every truncation of a fixture, and garbage. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "texthash.h"

struct tcase {
	const char *text;
	size_t len; /* 0 = strlen(text) */
	enum texthash_mode mode;
	const char *key;
	const char *want; /* NULL = absent */
	size_t count;
};

static const struct tcase cases[] = {
	{ "a b\n", 0, TH_MAP, "a", "b", 1 },
	{ "a b", 0, TH_MAP, "a", "b", 1 },			/* no final newline */
	{ "a\tb  c , d  \n", 0, TH_MAP, "a", "b  c , d", 1 },	/* value kept, trimmed */
	{ "A@Example.ORG B@X\n", 0, TH_MAP, "a@example.org", "B@X", 1 }, /* key folded only */
	{ "A b\n", 0, TH_MAP, "A", NULL, 1 },		/* callers fold lookups */
	{ "a b,\n c,\n\td\n", 0, TH_MAP, "a", "b, c, d", 1 },
	{ "a b\r\nc d\r\n", 0, TH_MAP, "c", "d", 2 },
	{ "# c\n  # c2\n\n   \na b\n", 0, TH_MAP, "a", "b", 1 },
	{ "a b\n# comment inside\n c\n", 0, TH_MAP, "a", "b c", 1 },
	{ "a b\n\n c\n", 0, TH_MAP, "a", "b c", 1 },		/* blank lines do not end it */
	{ " a b\nc d\n", 0, TH_MAP, "a", NULL, 1 },		/* leading continuation */
	{ "a\n", 0, TH_MAP, "a", NULL, 0 },			/* no value */
	{ "a   \n", 0, TH_MAP, "a", NULL, 0 },
	{ "a b\na c\n", 0, TH_MAP, "a", "b", 1 },		/* first wins */
	{ "a b\nA c\n", 0, TH_MAP, "a", "b", 1 },
	{ "a b\nx\0y z\nc d\n", 14, TH_MAP, "c", "d", 2 },	/* NUL line skipped */
	{ "a b\nx\0y z\nc d\n", 14, TH_MAP, "x", NULL, 2 },
	{ "a b\n \0c\nd e\n", 12, TH_MAP, "a", NULL, 1 },	/* NUL taints the line */
	{ "a b\n \0c\nd e\n", 12, TH_MAP, "d", "e", 1 },
	{ "%\"\\' v\n", 0, TH_MAP, "%\"\\'", "v", 1 },
	{ "a\n", 0, TH_KEYS, "a", "", 1 },
	{ "a OK\n", 0, TH_KEYS, "a", "OK", 1 },
	{ "a, b\tc\n d,,e\n#f\n", 0, TH_LIST, "e", "", 5 },
	{ "a, b\tc\n d,,e\n#f\n", 0, TH_LIST, "#f", NULL, 5 },
	{ "X.ORG\n", 0, TH_LIST, "x.org", "", 1 },
	{ "", 0, TH_MAP, "a", NULL, 0 },
	{ "\n\n\n", 0, TH_LIST, "", NULL, 0 },
};

START_TEST(test_cases)
{
	const struct tcase *c = &cases[_i];
	size_t len = c->len ? c->len : strlen(c->text);
	struct texthash *th = texthash_parse(c->text, len, "t", c->mode);
	const char *v;

	ck_assert_ptr_nonnull(th);
	v = texthash_get(th, c->key);
	if (c->want)
		ck_assert_msg(v && strcmp(v, c->want) == 0, "case %d: got %s", _i, v ? v : "(null)");
	else
		ck_assert_msg(v == NULL, "case %d: got %s", _i, v);
	ck_assert_uint_eq(texthash_count(th), c->count);
	texthash_free(&th);
	ck_assert_ptr_null(th);
}
END_TEST

START_TEST(test_long_lines)
{
	size_t n = TEXTHASH_MAX_LINE * 2, pos = 4;
	char *text = malloc(n + 32);
	struct texthash *th;

	/* one logical line over the limit, built from continuations */
	memcpy(text, "big ", 4);
	while (pos < n) {
		memcpy(text + pos, "\n xxxxxxxx", 10);
		pos += 10;
	}
	strcpy(text + pos, "\nok yes\n");
	th = texthash_parse(text, strlen(text), "t", TH_MAP);
	ck_assert_ptr_null(texthash_get(th, "big"));
	ck_assert_str_eq(texthash_get(th, "ok"), "yes");
	texthash_free(&th);
	/* a long key that fits is kept whole */
	memset(text, 'k', 10000);
	strcpy(text + 10000, " v\n");
	th = texthash_parse(text, strlen(text), "t", TH_MAP);
	text[10000] = '\0';
	ck_assert_str_eq(texthash_get(th, text), "v");
	texthash_free(&th);
	free(text);
}
END_TEST

/* Every prefix of a fixture parses without reading past its length. */
START_TEST(test_truncations)
{
	static const char fixture[] = "# x\nsales@a.org b@a.org,\n  c@a.org\r\n@a.org d\nk\n e f\n";
	size_t n = strlen(fixture);

	for (size_t len = 0; len <= n; len++) {
		char *copy = malloc(len ? len : 1); /* exact size: ASan catches overreads */
		struct texthash *th;

		memcpy(copy, fixture, len);
		for (int mode = TH_MAP; mode <= TH_LIST; mode++) {
			th = texthash_parse(copy, len, "t", (enum texthash_mode)mode);
			ck_assert_ptr_nonnull(th);
			if (len == n && mode == TH_MAP) {
				ck_assert_str_eq(texthash_get(th, "sales@a.org"), "b@a.org, c@a.org");
				ck_assert_str_eq(texthash_get(th, "k"), "e f");
			}
			texthash_free(&th);
		}
		free(copy);
	}
}
END_TEST

START_TEST(test_garbage)
{
	unsigned char buf[4096];
	unsigned seed = 12345;

	for (int round = 0; round < 200; round++) {
		struct texthash *th;
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));

		for (size_t i = 0; i < len; i++) {
			unsigned r = (unsigned)rand_r(&seed);
			/* bias towards the bytes the parser cares about */
			static const char special[] = " \t\r\n#,\0a";

			buf[i] = (r & 1) ? (unsigned char)special[(r >> 1) % 8] : (unsigned char)(r >> 8);
		}
		th = texthash_parse((const char *)buf, len, "t", (enum texthash_mode)(round % 3));
		ck_assert_ptr_nonnull(th);
		texthash_free(&th);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("texthash");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	log_close(); /* warnings are expected; keep the output quiet */
	tcase_add_loop_test(tc, test_cases, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_truncations);
	tcase_add_test(tc, test_garbage);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
