/* test_dirclient: the authd clients against fake servers on the same loop
 * (dirclient_fixture.h): FIFO matching and pipelining (1000 and more
 * requests, over the in-flight cap), id matching of out-of-order USER
 * replies, timeouts, the server closing mid-request (one transparent retry),
 * malformed replies, cancel, reconnect after a server restart, freeing from
 * a callback, no synchronous callbacks; the reply parser, the request
 * encoder, dirclient_field and dirclient_socket_path. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dirclient.h"
#include "dirclient_fixture.h"
#include "dirclient_impl.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
static void setup(void)
{
	fx_setup();
	nres = 0;
	free_at_tag = -1;
	DC = dirclient_new(fx_loop, fx_sm.path + 5, fx_ud.path + 5, 2000);
	ck_assert_ptr_nonnull(DC);
}

static void teardown(void)
{
	dirclient_free(&DC);
	fx_teardown();
}

static void map(const char *key, int tag)
{
	ck_assert_ptr_nonnull(dirclient_map(DC, "domain", key, map_cb, (void *)(intptr_t)tag));
}

static void user(const char *name, int tag)
{
	ck_assert_ptr_nonnull(dirclient_user(DC, name, "lmtp", user_cb, (void *)(intptr_t)tag));
}

static void expect(int i, int tag, enum dirc_result r, const char *value)
{
	ck_assert_int_gt(nres, i);
	ck_assert_int_eq(R[i].tag, tag);
	ck_assert_int_eq(R[i].r, r);
	if (value)
		ck_assert_str_eq(R[i].value, value);
}

START_TEST(test_map_results)
{
	map("example.test", 1);
	map("nf", 2);
	map("temp", 3);
	map("perm", 4);
	ck_assert_int_eq(nres, 0); /* never inside the call */
	fx_wait(&nres, 4, 2000);
	expect(0, 1, DIRC_FOUND, "domain:example.test");
	expect(1, 2, DIRC_NOTFOUND, "");
	expect(2, 3, DIRC_TEMP, "busy now");
	expect(3, 4, DIRC_PERM, "bad map");
	ck_assert_int_eq(fx_sm.accepted, 1);
}
END_TEST

static void pipeline(int count)
{
	char key[32];
	for (int i = 0; i < count; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		map(key, i);
	}
	fx_wait(&nres, count, 10000);
	ck_assert_int_eq(nres, count);
	for (int i = 0; i < count; i++) {
		snprintf(key, sizeof(key), "domain:k%d", i);
		expect(i, i, DIRC_FOUND, key);
	}
	ck_assert_int_eq(fx_sm.accepted, 1);
	ck_assert_int_eq(fx_sm.requests, count);
}

START_TEST(test_map_pipeline_1000)
{
	pipeline(1000);
}
END_TEST

START_TEST(test_map_pipeline_over_cap)
{
	pipeline(3500); /* more than DIRC_MAX_INFLIGHT: sent as replies come */
}
END_TEST

START_TEST(test_map_bad_content)
{
	map("okns", 1);
	map("junk", 2);
	map("fine", 3);
	fx_wait(&nres, 3, 2000);
	expect(0, 1, DIRC_TEMP, "malformed directory reply");
	expect(1, 2, DIRC_TEMP, "malformed directory reply");
	expect(2, 3, DIRC_FOUND, "domain:fine");
	ck_assert_int_eq(fx_sm.accepted, 1); /* framing intact: same connection */
}
END_TEST

START_TEST(test_map_bad_netstring)
{
	map("badns", 1);
	map("behind", 2);
	fx_wait(&nres, 2, 2000);
	expect(0, 1, DIRC_TEMP, NULL);
	expect(1, 2, DIRC_TEMP, NULL);
	map("after", 3);
	fx_wait(&nres, 3, 2000);
	expect(2, 3, DIRC_FOUND, "domain:after");
	ck_assert_int_eq(fx_sm.accepted, 2);
}
END_TEST

START_TEST(test_map_timeout)
{
	dirclient_free(&DC);
	DC = dirclient_new(fx_loop, fx_sm.path + 5, NULL, 150);
	uint64_t start = ev_now_ms();
	map("hang", 1);
	fx_spin(50); /* its own deadline is later than the hung one's */
	map("behind", 2);
	fx_wait(&nres, 2, 2000);
	ck_assert_uint_ge(ev_now_ms() - start, 140);
	expect(0, 1, DIRC_TEMP, "directory timeout");
	expect(1, 2, DIRC_FOUND, "domain:behind"); /* resent on a fresh connection */
	ck_assert_int_eq(fx_sm.accepted, 2);
}
END_TEST

START_TEST(test_map_server_close)
{
	map("close1", 1);
	fx_wait(&nres, 1, 2000);
	expect(0, 1, DIRC_FOUND, "domain:close1"); /* one transparent retry */
	ck_assert_int_eq(fx_sm.accepted, 2);
	map("close", 2);
	fx_wait(&nres, 2, 2000);
	expect(1, 2, DIRC_TEMP, NULL); /* second failure: TEMP */
	ck_assert_int_eq(fx_sm.accepted, 3);
	map("again", 3);
	fx_wait(&nres, 3, 2000);
	expect(2, 3, DIRC_FOUND, "domain:again");
}
END_TEST

START_TEST(test_map_restart)
{
	map("a", 1);
	fx_wait(&nres, 1, 2000);
	fx_stop(&fx_sm);
	fx_start(&fx_sm);
	map("b", 2); /* the old connection is dead: detected, then reconnect */
	fx_wait(&nres, 2, 2000);
	expect(1, 2, DIRC_FOUND, "domain:b");
	fx_stop(&fx_sm);
	fx_spin(20);
	map("c", 3); /* nothing listens: TEMP, from the loop */
	ck_assert_int_eq(nres, 2);
	fx_wait(&nres, 3, 2000);
	expect(2, 3, DIRC_TEMP, "directory unavailable");
	fx_start(&fx_sm);
	map("d", 4);
	fx_wait(&nres, 4, 2000);
	expect(3, 4, DIRC_FOUND, "domain:d");
	ck_assert_int_eq(fx_sm.accepted, 3);
}
END_TEST

START_TEST(test_map_cancel)
{
	struct dirc_request *a = dirclient_map(DC, "domain", "a", map_cb, (void *)1);
	map("b", 2);
	dirclient_cancel(a); /* not sent yet */
	fx_wait(&nres, 1, 2000);
	fx_spin(20);
	ck_assert_int_eq(nres, 1);
	expect(0, 2, DIRC_FOUND, "domain:b");
	fx_sm.hold = true;
	map("c", 3);
	struct dirc_request *d = dirclient_map(DC, "domain", "d", map_cb, (void *)4);
	map("e", 5);
	fx_wait(&fx_sm.requests, 4, 2000);
	dirclient_cancel(d); /* sent: its reply must still be consumed */
	fx_release(&fx_sm);
	fx_wait(&nres, 3, 2000);
	fx_spin(20);
	ck_assert_int_eq(nres, 3);
	expect(1, 3, DIRC_FOUND, "domain:c");
	expect(2, 5, DIRC_FOUND, "domain:e");
	ck_assert_int_eq(fx_sm.accepted, 1);
}
END_TEST

START_TEST(test_no_socket)
{
	dirclient_free(&DC);
	DC = dirclient_new(fx_loop, NULL, "/nonexistent/tern/sock", 1000);
	map("a", 1);
	user("u", 2);
	ck_assert_ptr_nonnull(dirclient_map(DC, "", "x", map_cb, (void *)3)); /* bad map */
	ck_assert_int_eq(nres, 0);
	fx_wait(&nres, 3, 2000);
	ck_assert_int_eq(nres, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(R[i].r, DIRC_TEMP);
}
END_TEST

START_TEST(test_free_in_callback)
{
	free_at_tag = 2;
	for (int i = 1; i <= 5; i++)
		map("x", i);
	user("u", 6);
	fx_wait(&nres, 2, 2000);
	fx_spin(30);
	ck_assert_ptr_null(DC);
	ck_assert_int_le(nres, 3); /* the USER answer may have come first */
	ck_assert_int_eq(R[nres - 1].tag, 2);
}
END_TEST

START_TEST(test_free_pending)
{
	map("a", 1);
	user("u", 2);
	fx_spin(1);
	map("b", 3);
	dirclient_free(&DC);
	fx_spin(20);
	ck_assert_int_le(nres, 2);
}
END_TEST

START_TEST(test_user_results)
{
	user("alice", 1);
	user("nf", 2);
	user("fail", 3);
	user("short", 4);
	user("nul", 5);
	user("bob", 6);
	fx_wait(&nres, 6, 2000);
	ck_assert_int_eq(nres, 6);
	expect(0, 1, DIRC_FOUND, NULL);
	ck_assert_str_eq(R[0].user, "alice");
	ck_assert_str_eq(R[0].home, "/home/alice");
	ck_assert_uint_eq(R[0].nfields, 3);
	expect(1, 2, DIRC_NOTFOUND, NULL);
	expect(2, 3, DIRC_TEMP, NULL);
	expect(3, 4, DIRC_TEMP, NULL);
	expect(4, 5, DIRC_TEMP, NULL);
	expect(5, 6, DIRC_FOUND, NULL);
	ck_assert_str_eq(R[5].user, "bob");
	ck_assert_int_eq(fx_ud.accepted, 1);
}
END_TEST

START_TEST(test_user_out_of_order)
{
	char name[32];
	fx_ud.hold = fx_ud.reverse = true;
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		user(name, i);
	}
	fx_wait(&fx_ud.requests, 1000, 5000);
	fx_release(&fx_ud);
	fx_wait(&nres, 1000, 5000);
	ck_assert_int_eq(nres, 1000);
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(R[i].tag, 999 - i);
		snprintf(name, sizeof(name), "u%d", R[i].tag);
		ck_assert_str_eq(R[i].user, name);
		ck_assert_int_eq(R[i].r, DIRC_FOUND);
	}
	ck_assert_int_eq(fx_ud.accepted, 1);
}
END_TEST

static const char *const broken_users[] = { "bogus", "wrongid" };

START_TEST(test_user_protocol_error)
{
	fx_ud.hold = true;
	user(broken_users[_i], 1);
	user("behind", 2);
	fx_wait(&fx_ud.requests, 2, 2000);
	fx_release(&fx_ud);
	fx_wait(&nres, 2, 2000);
	expect(0, 1, DIRC_TEMP, NULL);
	expect(1, 2, DIRC_TEMP, NULL); /* the connection was reset under it */
	user("after", 3);
	fx_wait(&nres, 3, 2000);
	expect(2, 3, DIRC_FOUND, NULL);
	ck_assert_int_eq(fx_ud.accepted, 2);
}
END_TEST

START_TEST(test_user_timeout_close_cancel)
{
	dirclient_free(&DC);
	DC = dirclient_new(fx_loop, NULL, fx_ud.path + 5, 150);
	user("hang", 1);
	fx_spin(50);
	user("after", 2);
	fx_wait(&nres, 2, 2000);
	expect(0, 1, DIRC_TEMP, NULL);
	expect(1, 2, DIRC_FOUND, NULL);
	user("close1", 3);
	fx_wait(&nres, 3, 2000);
	expect(2, 3, DIRC_FOUND, NULL);
	fx_ud.hold = true;
	struct dirc_request *r = dirclient_user(DC, "x", "lmtp", user_cb, (void *)4);
	user("y", 5);
	fx_wait(&fx_ud.requests, 6, 2000);
	dirclient_cancel(r);
	fx_release(&fx_ud);
	fx_wait(&nres, 4, 2000);
	fx_spin(20);
	ck_assert_int_eq(nres, 4);
	expect(3, 5, DIRC_FOUND, NULL);
	ck_assert_int_eq(fx_ud.accepted, 3);
}
END_TEST

static const struct {
	const char *in;
	enum dirc_result r;
	const char *value;
} sm_replies[] = {
	{ "OK value", DIRC_FOUND, "value" },
	{ "OK ", DIRC_FOUND, "" },
	{ "OK a b c", DIRC_FOUND, "a b c" },
	{ "NOTFOUND ", DIRC_NOTFOUND, "" },
	{ "NOTFOUND", DIRC_NOTFOUND, "" },
	{ "TEMP", DIRC_TEMP, "directory unavailable" },
	{ "TEMP db down", DIRC_TEMP, "db down" },
	{ "PERM x", DIRC_PERM, "x" },
	{ "OK", DIRC_TEMP, "malformed directory reply" },
	{ "ok value", DIRC_TEMP, "malformed directory reply" },
	{ "NOTFOUNDX", DIRC_TEMP, "malformed directory reply" },
	{ "OKAY x", DIRC_TEMP, "malformed directory reply" },
	{ "", DIRC_TEMP, "malformed directory reply" },
	{ "TEMPORARY", DIRC_TEMP, "malformed directory reply" },
};

START_TEST(test_parse_sm_reply)
{
	char text[64];
	const char *value;
	snprintf(text, sizeof(text), "%s", sm_replies[_i].in);
	ck_assert_int_eq(dirc_parse_sm_reply(text, strlen(text), &value), sm_replies[_i].r);
	ck_assert_str_eq(value, sm_replies[_i].value);
}
END_TEST

START_TEST(test_parse_sm_reply_nul)
{
	char text[] = "OK a\0b";
	const char *value;
	ck_assert_int_eq(dirc_parse_sm_reply(text, sizeof(text) - 1, &value), DIRC_TEMP);
}
END_TEST

START_TEST(test_encode)
{
	struct dirc_sock s = { .next_id = 7 };
	struct dirc_request req = { .sock = &s };
	ck_assert_int_eq(dirc_encode_user(&req, "a\tb\nc", "lm\001tp"), 0);
	ck_assert_str_eq(req.wire, "USER\t7\ta\001tb\001nc\tservice=lm\0011tp\n");
	free(req.wire);
	ck_assert_int_eq(dirc_encode_user(&req, "", "lmtp"), -1);
	ck_assert_int_eq(dirc_encode_map(&req, "mailbox", "u@x"), 0);
	ck_assert_str_eq(req.wire, "11:mailbox u@x,");
	free(req.wire);
	ck_assert_int_eq(dirc_encode_map(&req, "", "k"), -1);
	ck_assert_int_eq(dirc_encode_map(&req, "a b", "k"), -1);
	s.next_id = UINT32_MAX;
	ck_assert_int_eq(dirc_encode_user(&req, "u", "s"), 0);
	free(req.wire);
	ck_assert_uint_eq(s.next_id, 1); /* ids skip 0 on wrap */
}
END_TEST

START_TEST(test_field)
{
	const char *f[] = { "home=/h", "uid=5", "mail=maildir:~/M:LAYOUT=fs", "homeless" };
	ck_assert_str_eq(dirclient_field(f, 4, "home"), "/h");
	ck_assert_str_eq(dirclient_field(f, 4, "home="), "/h");
	ck_assert_str_eq(dirclient_field(f, 4, "mail"), "maildir:~/M:LAYOUT=fs");
	ck_assert_ptr_null(dirclient_field(f, 4, "homeless"));
	ck_assert_ptr_null(dirclient_field(f, 4, "ho"));
	ck_assert_ptr_null(dirclient_field(f, 0, "home"));
}
END_TEST

START_TEST(test_socket_path)
{
	char err[256], out[256];
	struct conf *conf = conf_load_string(
		"run_directory = /run/x\nservice authd {\n listen = userdb unix:auth-userdb\n"
		" listen = socketmap unix:/abs/sm\n listen = client inet:127.0.0.1:99\n}\n",
		"t", err, sizeof(err));
	ck_assert_msg(conf != NULL, "%s", err);
	ck_assert_int_eq(dirclient_socket_path(conf, "userdb", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/run/x/auth-userdb");
	ck_assert_int_eq(dirclient_socket_path(conf, "socketmap", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/abs/sm");
	ck_assert_int_eq(dirclient_socket_path(conf, "client", out, sizeof(out)), -1);
	ck_assert_int_eq(dirclient_socket_path(conf, "nope", out, sizeof(out)), -1);
	ck_assert_int_eq(dirclient_socket_path(conf, "userdb", out, 10), -1);
	conf_free(&conf);
	conf = conf_load_string("myhostname = x\n", "t", err, sizeof(err));
	ck_assert_int_eq(dirclient_socket_path(conf, "userdb", out, sizeof(out)), -1);
	conf_free(&conf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dirclient");
	TCase *tc = tcase_create("socketmap"), *tu = tcase_create("userdb");
	TCase *tk = tcase_create("codec");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(tu, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_set_timeout(tu, 30);
	tcase_add_test(tc, test_map_results);
	tcase_add_test(tc, test_map_pipeline_1000);
	tcase_add_test(tc, test_map_pipeline_over_cap);
	tcase_add_test(tc, test_map_bad_content);
	tcase_add_test(tc, test_map_bad_netstring);
	tcase_add_test(tc, test_map_timeout);
	tcase_add_test(tc, test_map_server_close);
	tcase_add_test(tc, test_map_restart);
	tcase_add_test(tc, test_map_cancel);
	tcase_add_test(tc, test_no_socket);
	tcase_add_test(tc, test_free_in_callback);
	tcase_add_test(tc, test_free_pending);
	tcase_add_test(tu, test_user_results);
	tcase_add_test(tu, test_user_out_of_order);
	tcase_add_loop_test(tu, test_user_protocol_error, 0, N(broken_users));
	tcase_add_test(tu, test_user_timeout_close_cancel);
	tcase_add_loop_test(tk, test_parse_sm_reply, 0, N(sm_replies));
	tcase_add_test(tk, test_parse_sm_reply_nul);
	tcase_add_test(tk, test_encode);
	tcase_add_test(tk, test_field);
	tcase_add_test(tk, test_socket_path);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tu);
	suite_add_tcase(s, tk);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
