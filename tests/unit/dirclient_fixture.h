/* dirclient_fixture: fake authd servers for test_dirclient (header-only).
 * Both listen on UNIX sockets in a mkdtemp directory and run on the same
 * ev loop as the client. Replies are chosen by the key / user name:
 *   socketmap: "nf" NOTFOUND, "temp" TEMP, "perm" PERM, "okns" "OK" (no
 *     space), "junk" an unknown word, "badns" a broken netstring, "hang"
 *     stalls the connection (no reply to it or anything after), "close"
 *     closes the connection, "close1" closes it the first time only;
 *     anything else "OK <map>:<key>".
 *   userdb: "nf" NOTFOUND, "fail" FAIL, "bogus" an unknown reply line,
 *     "short" USER without a name, "nul" a field with an escaped NUL,
 *     "wrongid" a reply for an id never sent, "hang", "close", "close1" as
 *     above; anything else USER <name> home=/home/<name> uid=1 gid=2.
 * With `hold` set, replies are kept and written by fx_release() (in
 * reverse order for userdb when `reverse` is set). */
#ifndef TERN_TEST_DIRCLIENT_FIXTURE_H
#define TERN_TEST_DIRCLIENT_FIXTURE_H
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "dirclient.h"
#include "ev.h"
#include "ipc.h"
#include "net.h"

#define FX_MAX_CONNS 64
#define FX_MAX_HELD 4000

struct fx_conn {
	struct fake_server *srv;
	struct conn *c;
	bool stalled, closed;
	char *held[FX_MAX_HELD];
	size_t held_len[FX_MAX_HELD];
	int nheld;
};

struct fake_server {
	bool userdb;
	char path[200];
	int lfd;
	int accepted;  /* connections ever accepted */
	int requests;  /* requests ever read */
	int close1;    /* "close1" seen */
	bool hold, reverse;
	struct fx_conn *conns[FX_MAX_CONNS];
};

static struct ev_loop *fx_loop;
static char fx_tmp[128];
static struct fake_server fx_sm, fx_ud;

static void fx_send(struct fx_conn *fc, const char *data, size_t len)
{
	if (fc->srv->hold || fc->stalled) {
		ck_assert_int_lt(fc->nheld, FX_MAX_HELD);
		fc->held[fc->nheld] = malloc(len + 1);
		memcpy(fc->held[fc->nheld], data, len);
		fc->held_len[fc->nheld++] = len;
		return;
	}
	conn_write(fc->c, data, len);
	conn_flush(fc->c);
}

static void fx_drop_held(struct fx_conn *fc)
{
	for (int i = 0; i < fc->nheld; i++)
		free(fc->held[i]);
	fc->nheld = 0;
}

/* Write every held reply of every connection. */
static void fx_release(struct fake_server *srv)
{
	srv->hold = false;
	for (int i = 0; i < FX_MAX_CONNS; i++) {
		struct fx_conn *fc = srv->conns[i];
		if (fc == NULL || fc->stalled)
			continue;
		for (int k = 0; k < fc->nheld; k++) {
			int j = srv->reverse ? fc->nheld - 1 - k : k;
			conn_write(fc->c, fc->held[j], fc->held_len[j]);
		}
		conn_flush(fc->c);
		fx_drop_held(fc);
	}
}

static bool fx_special_close(struct fake_server *srv, struct fx_conn *fc, const char *key)
{
	if (strcmp(key, "close") == 0 || (strcmp(key, "close1") == 0 && srv->close1++ == 0)) {
		fc->closed = true;
		conn_close(fc->c);
		return true;
	}
	if (strcmp(key, "hang") == 0)
		fc->stalled = true;
	return false;
}

static void fx_sm_request(struct fx_conn *fc, const char *req, size_t len)
{
	char map[64] = "", key[512] = "";
	struct buf out, reply;
	const char *sp = memchr(req, ' ', len);
	ck_assert_ptr_nonnull(sp);
	snprintf(map, sizeof(map), "%.*s", (int)(sp - req), req);
	snprintf(key, sizeof(key), "%.*s", (int)(len - (size_t)(sp - req) - 1), sp + 1);
	if (fx_special_close(fc->srv, fc, key) || fc->stalled)
		return;
	buf_init(&out, 0);
	buf_init(&reply, 0);
	if (strcmp(key, "badns") == 0)
		buf_append_str(&out, "9x:OK,");
	else {
		if (strcmp(key, "nf") == 0)
			buf_append_str(&reply, "NOTFOUND ");
		else if (strcmp(key, "temp") == 0)
			buf_append_str(&reply, "TEMP busy now");
		else if (strcmp(key, "perm") == 0)
			buf_append_str(&reply, "PERM bad map");
		else if (strcmp(key, "okns") == 0)
			buf_append_str(&reply, "OK");
		else if (strcmp(key, "junk") == 0)
			buf_append_str(&reply, "MAYBE so");
		else
			buf_printf(&reply, "OK %s:%s", map, key);
		ipc_netstring_put(&out, reply.data, reply.len);
	}
	fx_send(fc, out.data, out.len);
	buf_free(&out);
	buf_free(&reply);
}

static void fx_sm_on_data(struct conn *c, struct buf *in)
{
	struct fx_conn *fc = conn_ctx(c);
	for (;;) {
		const char *data;
		size_t len, used;
		int r = ipc_netstring_get(in->data, in->len, 100000, &data, &len, &used);
		ck_assert_int_ge(r, 0);
		if (r == 0)
			return;
		fc->srv->requests++;
		fx_sm_request(fc, data, len);
		buf_consume(in, used);
		if (fc->closed)
			return;
	}
}

static void fx_ud_on_line(struct conn *c, char *line, size_t len, bool overlong)
{
	struct fx_conn *fc = conn_ctx(c);
	char *f[16], out[1024];
	ck_assert(!overlong);
	int n = ipc_split_fields(line, len, f, NULL, 16);
	ck_assert_int_ge(n, 1);
	if (strcmp(f[0], "VERSION") == 0)
		return;
	ck_assert_str_eq(f[0], "USER");
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(f[3], "service=lmtp");
	fc->srv->requests++;
	const char *u = f[2], *id = f[1];
	if (fx_special_close(fc->srv, fc, u) || fc->stalled)
		return;
	if (strcmp(u, "nf") == 0)
		snprintf(out, sizeof(out), "NOTFOUND\t%s\n", id);
	else if (strcmp(u, "fail") == 0)
		snprintf(out, sizeof(out), "FAIL\t%s\treason=db down\n", id);
	else if (strcmp(u, "bogus") == 0)
		snprintf(out, sizeof(out), "MAYBE\t%s\n", id);
	else if (strcmp(u, "short") == 0)
		snprintf(out, sizeof(out), "USER\t%s\n", id);
	else if (strcmp(u, "nul") == 0)
		snprintf(out, sizeof(out), "USER\t%s\tnul\thome=/a\0010b\n", id);
	else if (strcmp(u, "wrongid") == 0)
		snprintf(out, sizeof(out), "NOTFOUND\t%lu\n", strtoul(id, NULL, 10) + 100000);
	else
		snprintf(out, sizeof(out), "USER\t%s\t%s\thome=/home/%s\tuid=1\tgid=2\n", id, u, u);
	fx_send(fc, out, strlen(out));
}

static void fx_on_close(struct conn *c, enum conn_close_reason reason)
{
	struct fx_conn *fc = conn_ctx(c);
	(void)reason;
	for (int i = 0; i < FX_MAX_CONNS; i++)
		if (fc->srv->conns[i] == fc)
			fc->srv->conns[i] = NULL;
	fx_drop_held(fc);
	free(fc);
}

static const struct conn_handlers fx_sm_handlers = { .on_data = fx_sm_on_data,
						     .on_close = fx_on_close };
static const struct conn_handlers fx_ud_handlers = { .on_line = fx_ud_on_line,
						     .on_close = fx_on_close };

static void fx_accept(struct ev_loop *loop, int fd, unsigned events, void *ctx)
{
	struct fake_server *srv = ctx;
	(void)events;
	int cfd = net_accept(fd, NULL, 0);
	if (cfd < 0)
		return;
	struct fx_conn *fc = calloc(1, sizeof(*fc));
	fc->srv = srv;
	fc->c = conn_new(loop, cfd, "unix", srv->userdb ? &fx_ud_handlers : &fx_sm_handlers, fc,
			 200000, 0);
	srv->accepted++;
	for (int i = 0; i < FX_MAX_CONNS; i++)
		if (srv->conns[i] == NULL) {
			srv->conns[i] = fc;
			break;
		}
	if (srv->userdb)
		conn_printf(fc->c, "VERSION\t1\t1\nSPID\t%ld", (long)getpid());
}

static void fx_start(struct fake_server *srv)
{
	struct net_addr addr;
	char err[128];
	ck_assert_int_eq(net_addr_parse(srv->path, NULL, &addr, err, sizeof(err)), 0);
	srv->lfd = net_listen(&addr, 64);
	ck_assert_int_ge(srv->lfd, 0);
	ck_assert_int_eq(ev_io_set(fx_loop, srv->lfd, EV_READ, fx_accept, srv), 0);
}

/* Close the listener and every connection; the socket file goes away. */
static void fx_stop(struct fake_server *srv)
{
	if (srv->lfd < 0)
		return;
	ev_io_del(fx_loop, srv->lfd);
	close(srv->lfd);
	srv->lfd = -1;
	unlink(srv->path + 5);
	for (int i = 0; i < FX_MAX_CONNS; i++)
		if (srv->conns[i])
			conn_close(srv->conns[i]->c);
}

static void fx_break(struct ev_loop *loop, void *ctx)
{
	(void)ctx;
	ev_loop_break(loop);
}

/* Run the loop for about ms milliseconds. */
static void fx_spin(uint64_t ms)
{
	ev_timer_add(fx_loop, ms, fx_break, NULL);
	ev_loop_run(fx_loop);
}

/* Run the loop until *count reaches want or max_ms pass. */
static void fx_wait(const int *count, int want, uint64_t max_ms)
{
	uint64_t end = ev_now_ms() + max_ms;
	while (*count < want && ev_now_ms() < end)
		fx_spin(2);
}

static void fx_setup(void)
{
	strcpy(fx_tmp, "/tmp/tern-dirc-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx_tmp));
	fx_loop = ev_loop_new();
	memset(&fx_sm, 0, sizeof(fx_sm));
	memset(&fx_ud, 0, sizeof(fx_ud));
	fx_ud.userdb = true;
	snprintf(fx_sm.path, sizeof(fx_sm.path), "unix:%s/sm", fx_tmp);
	snprintf(fx_ud.path, sizeof(fx_ud.path), "unix:%s/ud", fx_tmp);
	fx_start(&fx_sm);
	fx_start(&fx_ud);
}

static void fx_teardown(void)
{
	fx_stop(&fx_sm);
	fx_stop(&fx_ud);
	fx_spin(5);
	conn_close_all();
	ev_loop_free(&fx_loop);
	rmdir(fx_tmp);
}

/* Answers recorded by the tests' callbacks, in arrival order; the
 * callback for tag free_at_tag frees the client. */
#define MAXRES 4000

struct res {
	int tag;
	enum dirc_result r;
	char value[128], user[64], home[128];
	size_t nfields;
};

static struct res R[MAXRES];
static int nres;
static struct dirclient *DC;
static int free_at_tag = -1;

static void map_cb(enum dirc_result r, const char *value, void *ctx)
{
	ck_assert_int_lt(nres, MAXRES);
	struct res *x = &R[nres++];
	x->tag = (int)(intptr_t)ctx;
	x->r = r;
	snprintf(x->value, sizeof(x->value), "%s", value);
	if (x->tag == free_at_tag)
		dirclient_free(&DC);
}

static void user_cb(enum dirc_result r, const char *user, const char *const *fields,
		    size_t nfields, void *ctx)
{
	ck_assert_int_lt(nres, MAXRES);
	struct res *x = &R[nres++];
	x->tag = (int)(intptr_t)ctx;
	x->r = r;
	snprintf(x->user, sizeof(x->user), "%s", user);
	const char *home = dirclient_field(fields, nfields, "home");
	snprintf(x->home, sizeof(x->home), "%s", home ? home : "-");
	x->nfields = nfields;
	if (x->tag == free_at_tag)
		dirclient_free(&DC);
}

#endif
