/* dirclient: requests, connections and timers of the authd clients; the
 * wire formats are in dirclient_proto.c. Each socket has one connection,
 * opened from the loop (a 0 ms "kick" timer, so nothing runs inside
 * dirclient_map/dirclient_user) and reopened on demand.
 * Failure policy: a request's timer bounds it from submission; when it
 * fires on a sent request the connection is reset (a socketmap reply stream
 * would be out of sync, and a fresh connection gets a fresh authd worker)
 * and the other sent requests are resent once on a new connection. When
 * authd closes the connection (restart) they are likewise resent once; a
 * second failure, an unreachable socket or a malformed reply is DIRC_TEMP.
 * A cancelled request that was already sent stays queued without a
 * callback until its reply (or the reset) consumes it. */
#include "dirclient.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dirclient_impl.h"
#include "log.h"
#include "net.h"

static void sock_kick_cb(struct ev_loop *loop, void *ctx);

static void dc_enter(struct dirclient *dc)
{
	dc->depth++;
}

/* Leave a handler; the last one out frees a client freed meanwhile. */
static void dc_leave(struct dirclient *dc)
{
	if (--dc->depth == 0 && dc->dying)
		free(dc);
}

static void req_unlink(struct dirc_request *req)
{
	struct dirc_sock *s = req->sock;
	if (req->prev)
		req->prev->next = req->next;
	else
		s->head = req->next;
	if (req->next)
		req->next->prev = req->prev;
	else
		s->tail = req->prev;
	req->prev = req->next = NULL;
	if (req->sent)
		s->inflight--;
}

static void req_free(struct dirc_request *req)
{
	ev_timer_del(req->sock->dc->loop, req->timer_id);
	free(req->wire);
	free(req);
}

void dirc_complete(struct dirc_request *req, enum dirc_result r, const char *value,
		   const char *user, const char *const *fields, size_t nfields)
{
	req_unlink(req);
	ev_timer_del(req->sock->dc->loop, req->timer_id);
	req->timer_id = 0;
	if (!req->cancelled) {
		if (req->map_cb)
			req->map_cb(r, value ? value : "", req->ctx);
		else
			req->user_cb(r, user ? user : "", fields, nfields, req->ctx);
	}
	req_free(req);
}

/* Answer every request of a private list with TEMP, in order; stops calling
 * back (only frees) once the client is being freed. */
static void fail_list(struct dirclient *dc, struct dirc_request *list, const char *why)
{
	while (list) {
		struct dirc_request *req = list;
		list = req->next;
		req->prev = req->next = NULL;
		if (!req->cancelled && !dc->dying) {
			if (req->map_cb)
				req->map_cb(DIRC_TEMP, why, req->ctx);
			else
				req->user_cb(DIRC_TEMP, "", NULL, 0, req->ctx);
		}
		req_free(req);
	}
}

static void sock_schedule(struct dirc_sock *s)
{
	if (!s->kick_id && !s->dc->dying)
		s->kick_id = ev_timer_add(s->dc->loop, 0, sock_kick_cb, s);
}

/* Let go of the conn: its on_close finds no sock and only frees the link. */
static void sock_drop_conn(struct dirc_sock *s)
{
	if (s->conn == NULL)
		return;
	struct conn *c = s->conn;
	s->link->sock = NULL;
	s->conn = NULL;
	s->link = NULL;
	conn_close(c);
}

void dirc_sock_reset(struct dirc_sock *s, bool retry, const char *why)
{
	struct dirc_request *fail = NULL, **tailp = &fail;
	bool resend = false;
	sock_drop_conn(s);
	for (struct dirc_request *req = s->head, *next; req && req->sent; req = next) {
		next = req->next;
		req->sent = false;
		s->inflight--;
		if (req->cancelled) {
			req_unlink(req);
			req_free(req);
		} else if (retry && !req->retried) {
			req->retried = true;
			resend = true;
		} else {
			req_unlink(req);
			*tailp = req;
			tailp = &req->next;
		}
	}
	if (resend || s->head)
		sock_schedule(s);
	fail_list(s->dc, fail, why);
}

static void on_close(struct conn *c, enum conn_close_reason reason)
{
	struct dirc_link *l = conn_ctx(c);
	struct dirc_sock *s = l->sock;
	free(l);
	if (s == NULL)
		return; /* we closed it */
	s->link = NULL;
	s->conn = NULL;
	struct dirclient *dc = s->dc;
	if (s->inflight > 0)
		log_warning("dirclient-disconnected socket=%s reason=%s inflight=%zu",
			    log_str(s->path), reason == CONN_EOF ? "eof" : "error", s->inflight);
	dc_enter(dc);
	dirc_sock_reset(s, true, "directory connection lost");
	dc_leave(dc);
}

static const struct conn_handlers sm_handlers = { .on_close = on_close,
						  .on_data = dirc_sm_on_data };
static const struct conn_handlers ud_handlers = { .on_close = on_close,
						  .on_line = dirc_ud_on_line };

static int sock_connect(struct dirc_sock *s)
{
	if (s->path == NULL)
		return -1;
	uint64_t ms = s->dc->timeout_ms < DIRC_CONNECT_MS ? s->dc->timeout_ms : DIRC_CONNECT_MS;
	int fd = net_connect_unix(s->path, (int)(ms ? ms : 1));
	if (fd < 0) {
		log_warning("dirclient-connect-failed socket=%s error=%s", log_str(s->path),
			    log_str(strerror(errno)));
		return -1;
	}
	struct dirc_link *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		close(fd);
		return -1;
	}
	bool map = s->kind == DIRC_KIND_MAP;
	s->conn = conn_new(s->dc->loop, fd, "unix", map ? &sm_handlers : &ud_handlers, l,
			   DIRC_MAX_REPLY + 16, 0);
	if (s->conn == NULL) {
		free(l);
		return -1;
	}
	l->sock = s;
	s->link = l;
	if (!map)
		conn_write(s->conn, "VERSION\t1\t1\n", 12);
	return 0;
}

/* Move the unsent requests that cannot be encoded to a private list. */
static struct dirc_request *take_unencodable(struct dirc_sock *s)
{
	struct dirc_request *fail = NULL, **tailp = &fail;
	for (struct dirc_request *req = s->head, *next; req; req = next) {
		next = req->next;
		if (!req->sent && req->wirelen == 0) {
			req_unlink(req);
			*tailp = req;
			tailp = &req->next;
		}
	}
	return fail;
}

void dirc_sock_send(struct dirc_sock *s)
{
	struct dirc_request *bad = take_unencodable(s), *req = s->head;
	while (req && req->sent)
		req = req->next;
	if (req != NULL && s->conn == NULL && sock_connect(s) < 0) {
		struct dirc_request *list = s->head; /* nothing is sent without a conn */
		s->head = s->tail = NULL;
		fail_list(s->dc, bad, "malformed request");
		fail_list(s->dc, list, s->path ? "directory unavailable" : "no directory socket");
		return;
	}
	for (; req && s->inflight < DIRC_MAX_INFLIGHT &&
	       conn_outbuf(s->conn)->len < DIRC_MAX_OUTPUT;
	     req = req->next) {
		conn_write(s->conn, req->wire, req->wirelen);
		req->sent = true;
		s->inflight++;
	}
	if (s->conn)
		conn_flush(s->conn);
	fail_list(s->dc, bad, "malformed request");
}

static void sock_kick_cb(struct ev_loop *loop, void *ctx)
{
	struct dirc_sock *s = ctx;
	struct dirclient *dc = s->dc;
	(void)loop;
	s->kick_id = 0;
	dc_enter(dc);
	dirc_sock_send(s);
	dc_leave(dc);
}

static void req_timer_cb(struct ev_loop *loop, void *ctx)
{
	struct dirc_request *req = ctx;
	struct dirc_sock *s = req->sock;
	struct dirclient *dc = s->dc;
	(void)loop;
	req->timer_id = 0;
	bool was_sent = req->sent;
	log_warning("dirclient-timeout socket=%s sent=%s", log_str(s->path),
		    was_sent ? "yes" : "no");
	dc_enter(dc);
	dirc_complete(req, DIRC_TEMP, "directory timeout", "", NULL, 0);
	if (was_sent && !dc->dying)
		dirc_sock_reset(s, true, "directory timeout");
	dc_leave(dc);
}

static void orphan_cb(struct ev_loop *loop, void *ctx)
{
	struct dirclient *dc = ctx;
	(void)loop;
	dc->orphan_timer = 0;
	dc_enter(dc);
	while (dc->norphans > 0 && !dc->dying) {
		struct dirc_orphan o = dc->orphans[0];
		memmove(dc->orphans, dc->orphans + 1, --dc->norphans * sizeof(o));
		if (o.map_cb)
			o.map_cb(DIRC_TEMP, "out of memory", o.ctx);
		else
			o.user_cb(DIRC_TEMP, "", NULL, 0, o.ctx);
	}
	dc_leave(dc);
}

/* No memory for a request: owe its TEMP answer from a fixed table. */
static void orphan(struct dirclient *dc, dirc_map_cb *mcb, dirc_user_cb *ucb, void *ctx)
{
	if (dc->norphans == DIRC_ORPHANS) {
		log_error("dirclient-out-of-memory lost-callback=yes");
		return;
	}
	dc->orphans[dc->norphans++] = (struct dirc_orphan){ mcb, ucb, ctx };
	if (!dc->orphan_timer)
		dc->orphan_timer = ev_timer_add(dc->loop, 0, orphan_cb, dc);
}

static struct dirc_request *submit(struct dirc_sock *s, struct dirc_request *req)
{
	req->sock = s;
	req->prev = s->tail;
	if (s->tail)
		s->tail->next = req;
	else
		s->head = req;
	s->tail = req;
	req->timer_id = ev_timer_add(s->dc->loop, s->dc->timeout_ms, req_timer_cb, req);
	sock_schedule(s);
	return req;
}

struct dirc_request *dirclient_map(struct dirclient *dc, const char *map, const char *key,
				   dirc_map_cb *cb, void *ctx)
{
	struct dirc_request *req = calloc(1, sizeof(*req));
	if (req == NULL) {
		orphan(dc, cb, NULL, ctx);
		return NULL;
	}
	req->map_cb = cb;
	req->ctx = ctx;
	req->sock = &dc->sm;
	if (dirc_encode_map(req, map, key) < 0)
		req->wirelen = 0; /* answered TEMP by the kick, like a dead socket */
	return submit(&dc->sm, req);
}

struct dirc_request *dirclient_user(struct dirclient *dc, const char *user, const char *service,
				    dirc_user_cb *cb, void *ctx)
{
	struct dirc_request *req = calloc(1, sizeof(*req));
	if (req == NULL) {
		orphan(dc, NULL, cb, ctx);
		return NULL;
	}
	req->user_cb = cb;
	req->ctx = ctx;
	req->sock = &dc->ud;
	if (dirc_encode_user(req, user, service) < 0)
		req->wirelen = 0;
	return submit(&dc->ud, req);
}

void dirclient_cancel(struct dirc_request *req)
{
	if (req == NULL || req->cancelled)
		return;
	req->cancelled = true;
	ev_timer_del(req->sock->dc->loop, req->timer_id);
	req->timer_id = 0;
	if (!req->sent) {
		req_unlink(req);
		req_free(req);
	}
}

static int sock_init(struct dirclient *dc, struct dirc_sock *s, enum dirc_kind kind,
		     const char *path)
{
	s->dc = dc;
	s->kind = kind;
	s->next_id = 1;
	return path == NULL || (s->path = strdup(path)) != NULL ? 0 : -1;
}

struct dirclient *dirclient_new(struct ev_loop *loop, const char *socketmap_path,
				const char *userdb_path, uint64_t timeout_ms)
{
	struct dirclient *dc = calloc(1, sizeof(*dc));
	if (dc == NULL)
		return NULL;
	dc->loop = loop;
	dc->timeout_ms = timeout_ms;
	if (sock_init(dc, &dc->sm, DIRC_KIND_MAP, socketmap_path) < 0 ||
	    sock_init(dc, &dc->ud, DIRC_KIND_USER, userdb_path) < 0) {
		free(dc->sm.path);
		free(dc);
		return NULL;
	}
	return dc;
}

static void sock_free(struct dirc_sock *s)
{
	sock_drop_conn(s);
	ev_timer_del(s->dc->loop, s->kick_id);
	s->kick_id = 0;
	while (s->head) {
		struct dirc_request *req = s->head;
		req_unlink(req);
		req_free(req);
	}
	free(s->path);
	s->path = NULL;
}

void dirclient_free(struct dirclient **dcp)
{
	struct dirclient *dc = *dcp;
	if (dc == NULL)
		return;
	*dcp = NULL;
	dc->dying = true;
	sock_free(&dc->sm);
	sock_free(&dc->ud);
	ev_timer_del(dc->loop, dc->orphan_timer);
	dc->norphans = 0;
	if (dc->depth == 0)
		free(dc);
}
