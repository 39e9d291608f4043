/* test_smtp_parse: RFC 5321 paths (good, malformed, hostile: missing <>,
 * spaces, NUL, overlong, bad UTF-8, source routes), ESMTP parameters
 * (duplicates, bad keywords and values), xtext decoding, address splitting
 * and the Received: header. Tables; each input is also tried truncated at
 * every length (no crash, no read past the end under ASan). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_parse.h"
#include "smtp_server.h"

static const struct {
	const char *in, *addr, *params; /* addr NULL = must fail */
	bool utf8;
} paths[] = {
	{ "<user@example.test>", "user@example.test", "", false },
	{ " <user@example.test>", "user@example.test", "", false },
	{ "<>", "", "", false },
	{ "<> SIZE=10", "", "SIZE=10", false },
	{ "<a.b+c@x.y.z> SIZE=100 BODY=8BITMIME", "a.b+c@x.y.z", "SIZE=100 BODY=8BITMIME", false },
	{ "<\"quoted user\"@example.test>", "\"quoted user\"@example.test", "", false },
	{ "<\"a@b\"@example.test>", "\"a@b\"@example.test", "", false },
	{ "<\"a\\\"b\"@example.test>", "\"a\\\"b\"@example.test", "", false },
	{ "<@a.test,@b.test:user@d.test>", "user@d.test", "", false },
	{ "<@ours.test:user@other.test>", "user@other.test", "", false },
	{ "<user%other.test@ours.test>", "user%other.test@ours.test", "", false },
	{ "<user@[192.0.2.1]>", "user@[192.0.2.1]", "", false },
	{ "<user@[IPv6:2001:db8::1]>", "user@[IPv6:2001:db8::1]", "", false },
	{ "<Postmaster>", "Postmaster", "", false },
	{ "<j\xc3\xb6rg@b\xc3\xbc.test>", "j\xc3\xb6rg@b\xc3\xbc.test", "", true },
	{ "<x@y.test>   A=1", "x@y.test", "A=1", false },
	/* malformed */
	{ "user@example.test", NULL, NULL, false },
	{ "<user@example.test", NULL, NULL, false },
	{ "user@example.test>", NULL, NULL, false },
	{ "<user @example.test>", NULL, NULL, false },
	{ "<user@ example.test>", NULL, NULL, false },
	{ "<user@example.test>SIZE=1", NULL, NULL, false },
	{ "<user>", NULL, NULL, false },
	{ "<@example.test>", NULL, NULL, false },
	{ "<user@>", NULL, NULL, false },
	{ "<user@-bad.test>", NULL, NULL, false },
	{ "<user@bad-.test>", NULL, NULL, false },
	{ "<user@a..test>", NULL, NULL, false },
	{ "<user@a.test.>", NULL, NULL, false },
	{ "<user@[1.2.3.4>", NULL, NULL, false },
	{ "<user@[]>", NULL, NULL, false },
	{ "<\"unterminated@example.test>", NULL, NULL, false },
	{ "<\"ctl\x01\"@example.test>", NULL, NULL, false },
	{ "<a(b)@example.test>", NULL, NULL, false },
	{ "<a<b@example.test>", NULL, NULL, false },
	{ "<@a.test:>", NULL, NULL, false },
	{ "<@a.test,b.test:u@d.test>", NULL, NULL, false },
	{ "<@a.test user@d.test>", NULL, NULL, false },
	{ "<u@d.test>>", NULL, NULL, false },
	{ "<bad\xff@x.test>", NULL, NULL, false },
	{ "<bad\xc3@x.test>", NULL, NULL, false },
	{ "<bad\xc0\x80@x.test>", NULL, NULL, false },
	{ "<bad\xed\xa0\x80@x.test>", NULL, NULL, false },
	{ "", NULL, NULL, false },
	{ "<", NULL, NULL, false },
};

START_TEST(test_paths)
{
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char buf[600], *addr, *params;
		const char *err = NULL;
		bool utf8;
		snprintf(buf, sizeof(buf), "%s", paths[i].in);
		int r = smtp_parse_path(buf, &addr, &params, &utf8, &err);
		if (!paths[i].addr) {
			ck_assert_msg(r == -1 && err, "accepted: %s", paths[i].in);
			continue;
		}
		ck_assert_msg(r == 0, "rejected %s: %s", paths[i].in, err);
		ck_assert_str_eq(addr, paths[i].addr);
		ck_assert_str_eq(params, paths[i].params);
		ck_assert_int_eq(utf8, paths[i].utf8);
		/* every truncation parses or fails cleanly */
		for (size_t n = 0; n < strlen(paths[i].in); n++) {
			char *t = strndup(paths[i].in, n);
			smtp_parse_path(t, &addr, &params, &utf8, &err);
			free(t);
		}
	}
}
END_TEST

START_TEST(test_path_lengths)
{
	char buf[1200], *addr, *params;
	const char *err;
	bool utf8;
	/* Postfix-like: a 200-byte local part is fine, a 257-byte path is not */
	memset(buf, 0, sizeof(buf));
	buf[0] = '<';
	memset(buf + 1, 'a', 200);
	strcat(buf, "@example.test>");
	ck_assert_int_eq(smtp_parse_path(buf, &addr, &params, &utf8, &err), 0);
	ck_assert_uint_eq(strlen(addr), 213);
	memset(buf + 1, 'a', 250);
	strcpy(buf + 251, "@example.test>");
	ck_assert_int_eq(smtp_parse_path(buf, &addr, &params, &utf8, &err), -1);
	/* a label over 63 and a domain over 255 */
	snprintf(buf, sizeof(buf), "<u@%0*d.test>", 64, 0);
	ck_assert_int_eq(smtp_parse_path(buf, &addr, &params, &utf8, &err), -1);
	strcpy(buf, "<@");
	for (int i = 0; i < 70; i++)
		strcat(buf, "abcd.");
	strcat(buf, "test:u@d.test>");
	ck_assert_int_eq(smtp_parse_path(buf, &addr, &params, &utf8, &err), -1);
	/* a NUL inside: the parser sees the string end (missing >) */
	memcpy(buf, "<a\0b@x.test>", 13);
	ck_assert_int_eq(smtp_parse_path(buf, &addr, &params, &utf8, &err), -1);
}
END_TEST

static const struct {
	const char *in;
	int n;
	const char *k0, *v0, *k1, *v1;
} params_tab[] = {
	{ "", 0, NULL, NULL, NULL, NULL },
	{ "SIZE=100", 1, "SIZE", "100", NULL, NULL },
	{ "size=100 body=8bitmime", 2, "SIZE", "100", "BODY", "8bitmime" },
	{ "SMTPUTF8", 1, "SMTPUTF8", NULL, NULL, NULL },
	{ "SMTPUTF8  RET=HDRS", 2, "SMTPUTF8", NULL, "RET", "HDRS" },
	{ "ENVID=a+2Bb X-Y=1", 2, "ENVID", "a+2Bb", "X-Y", "1" },
	{ "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b", 2, "NOTIFY", "SUCCESS,FAILURE", "ORCPT", "rfc822;a@b" },
	/* malformed */
	{ "SIZE=1 SIZE=2", -1, NULL, NULL, NULL, NULL },
	{ "size=1 SIZE=2", -1, NULL, NULL, NULL, NULL },
	{ "SIZE=", -1, NULL, NULL, NULL, NULL },
	{ "=1", -1, NULL, NULL, NULL, NULL },
	{ "-X=1", -1, NULL, NULL, NULL, NULL },
	{ "A=b=c", -1, NULL, NULL, NULL, NULL },
	{ "A_B=1", -1, NULL, NULL, NULL, NULL },
	{ "A=\x01", -1, NULL, NULL, NULL, NULL },
	{ "A=\x7f", -1, NULL, NULL, NULL, NULL },
	{ "A=\xff", -1, NULL, NULL, NULL, NULL },
	{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=1", -1, NULL, NULL, NULL, NULL },
	{ "A=1 B=1 C=1 D=1 E=1 F=1 G=1 H=1 I=1 J=1 K=1 L=1 M=1 N=1 O=1 P=1 Q=1", -1, NULL, NULL, NULL, NULL },
};

START_TEST(test_params)
{
	for (size_t i = 0; i < sizeof(params_tab) / sizeof(params_tab[0]); i++) {
		struct smtp_param p[SMTP_MAX_PARAMS];
		char buf[256];
		const char *err = NULL;
		snprintf(buf, sizeof(buf), "%s", params_tab[i].in);
		int n = smtp_parse_params(buf, p, SMTP_MAX_PARAMS, &err);
		ck_assert_msg(n == params_tab[i].n, "%s: %d (%s)", params_tab[i].in, n, err);
		if (n < 0) {
			ck_assert_ptr_nonnull(err);
			continue;
		}
		const char *k[] = { params_tab[i].k0, params_tab[i].k1 };
		const char *v[] = { params_tab[i].v0, params_tab[i].v1 };
		for (int j = 0; j < n && j < 2; j++) {
			ck_assert_str_eq(p[j].key, k[j]);
			if (v[j])
				ck_assert_str_eq(p[j].value, v[j]);
			else
				ck_assert_ptr_null(p[j].value);
			ck_assert_ptr_eq(smtp_param_find(p, (size_t)n, k[j]), &p[j]);
		}
	}
	struct smtp_param p[2];
	const char *err;
	char buf[] = "A=1 B=2 C=3";
	ck_assert_int_eq(smtp_parse_params(buf, p, 2, &err), -1);
	ck_assert_ptr_null(smtp_param_find(p, 0, "A"));
}
END_TEST

static const struct {
	const char *in, *out; /* out NULL = error */
} xtexts[] = {
	{ "abc", "abc" },
	{ "a+2Bb", "a+b" },
	{ "+3D+2B", "=+" },
	{ "rfc822+3Bx", "rfc822;x" },
	{ "", "" },
	{ "a+2b", NULL },  /* lowercase hex */
	{ "a+2", NULL },   /* truncated */
	{ "a+", NULL },
	{ "a+G0", NULL },
	{ "a+00", NULL },  /* NUL */
	{ "a+0A", NULL },  /* control */
	{ "a=b", NULL },
	{ "a b", NULL },
	{ "a\x80", NULL },
};

START_TEST(test_xtext)
{
	char out[32];
	for (size_t i = 0; i < sizeof(xtexts) / sizeof(xtexts[0]); i++) {
		long n = smtp_xtext_decode(xtexts[i].in, out, sizeof(out));
		if (!xtexts[i].out) {
			ck_assert_msg(n == -1, "accepted %s", xtexts[i].in);
			continue;
		}
		ck_assert_int_eq(n, (long)strlen(xtexts[i].out));
		ck_assert_str_eq(out, xtexts[i].out);
	}
	/* output bound */
	ck_assert_int_eq(smtp_xtext_decode("abcdef", out, 6), -1);
	ck_assert_int_eq(smtp_xtext_decode("abcde", out, 6), 5);
}
END_TEST

static const struct {
	const char *in, *local, *domain; /* local NULL = error */
} splits[] = {
	{ "user@example.test", "user", "example.test" },
	{ "\"a@b\"@example.test", "a@b", "example.test" },
	{ "\"a\\\"b\"@ex.test", "a\"b", "ex.test" },
	{ "user%other.test@ours.test", "user%other.test", "ours.test" },
	{ "a@[x@y]", "a", "[x@y]" }, /* '@' inside an address literal (found by fuzzing) */
	{ "Postmaster", NULL, NULL },
	{ "@x.test", NULL, NULL },
	{ "", NULL, NULL },
};

START_TEST(test_split)
{
	char local[64], domain[64];
	for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
		int r = smtp_addr_split(splits[i].in, local, sizeof(local), domain, sizeof(domain));
		if (!splits[i].local) {
			ck_assert_int_eq(r, -1);
			continue;
		}
		ck_assert_int_eq(r, 0);
		ck_assert_str_eq(local, splits[i].local);
		ck_assert_str_eq(domain, splits[i].domain);
	}
	ck_assert_int_eq(smtp_addr_split("abcdefgh@x.test", local, 8, domain, 64), -1);
	ck_assert_int_eq(smtp_addr_split("a@abcdefgh", local, 8, domain, 8), -1);
}
END_TEST

START_TEST(test_received)
{
	struct buf b;
	buf_init(&b, 0);
	struct smtp_received r = { "client.test", "192.0.2.1", "mx.test", "ESMTPS", "ABC123",
				   "version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256",
				   "rcpt@example.test", 0 };
	smtp_received_header(&b, &r);
	ck_assert_msg(strncmp(b.data, "Received: from client.test (unknown [192.0.2.1])\r\n"
				      "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n"
				      "\tby mx.test (tern) with ESMTPS id ABC123\r\n"
				      "\tfor <rcpt@example.test>; ", b.len > 180 ? 180 : b.len) == 0,
		      "%s", b.data);
	ck_assert(b.len > 2 && strcmp(b.data + b.len - 2, "\r\n") == 0);
	ck_assert_ptr_null(strstr(b.data, "\r\n\r\n"));
	/* hostile HELO: no CR/LF/parentheses leak into the header */
	buf_reset(&b);
	struct smtp_received h = { "evil\r\nX-Injected: 1 (x)", "unix", "mx.test", "LMTP", "Q",
				   NULL, NULL, 0 };
	smtp_received_header(&b, &h);
	ck_assert_ptr_null(strstr(b.data, "\r\nX-Injected"));
	ck_assert_ptr_nonnull(strstr(b.data, "from evil??X-Injected:?1??x?\r\n\tby mx.test (tern) with LMTP id Q; "));
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("smtp_parse");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_path_lengths);
	tcase_add_test(tc, test_params);
	tcase_add_test(tc, test_xtext);
	tcase_add_test(tc, test_split);
	tcase_add_test(tc, test_received);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
