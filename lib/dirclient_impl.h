/* dirclient_impl: the structures shared by dirclient.c (sockets, queue,
 * timers) and dirclient_proto.c (request encoding, reply parsing). Not for
 * use outside lib/dirclient*.
 * Invariants: a socket's requests form one list in submission order; the
 * sent ones are a prefix of it and exist only while `conn` is open. */
#ifndef TERN_DIRCLIENT_IMPL_H
#define TERN_DIRCLIENT_IMPL_H
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "conn.h"
#include "dirclient.h"

#define DIRC_MAX_REPLY 100000	    /* socketmap (Postfix's limit) and USER lines */
#define DIRC_MAX_FIELDS 128	    /* fields of one auth-master reply line */
#define DIRC_MAX_INFLIGHT 1000	    /* requests sent and not yet answered */
#define DIRC_MAX_OUTPUT (256 * 1024) /* bytes buffered before we stop sending */
#define DIRC_CONNECT_MS 1000	    /* bound on connect() to a full backlog */
#define DIRC_ORPHANS 8		    /* answers owed for requests we could not allocate */

enum dirc_kind { DIRC_KIND_MAP, DIRC_KIND_USER };

struct dirc_sock;

struct dirc_request {
	struct dirc_sock *sock;
	struct dirc_request *prev, *next;
	dirc_map_cb *map_cb;
	dirc_user_cb *user_cb;
	void *ctx;
	char *wire; /* the encoded request, kept for a resend */
	size_t wirelen;
	uint32_t id; /* auth-master request id */
	uint64_t timer_id;
	bool sent, retried, cancelled;
};

/* A conn's ctx: survives the sock letting go of the conn (sock = NULL). */
struct dirc_link {
	struct dirc_sock *sock;
};

struct dirc_sock {
	struct dirclient *dc;
	enum dirc_kind kind;
	char *path; /* NULL: not configured */
	struct conn *conn;
	struct dirc_link *link;
	struct dirc_request *head, *tail;
	size_t inflight;
	uint64_t kick_id;
	uint32_t next_id;
};

struct dirc_orphan {
	dirc_map_cb *map_cb;
	dirc_user_cb *user_cb;
	void *ctx;
};

struct dirclient {
	struct ev_loop *loop;
	uint64_t timeout_ms;
	struct dirc_sock sm, ud;
	int depth;  /* > 0 while our handlers run callbacks */
	bool dying; /* dirclient_free ran inside a callback */
	struct dirc_orphan orphans[DIRC_ORPHANS];
	size_t norphans;
	uint64_t orphan_timer;
};

/* dirclient.c */
/* Answer req (unlinks and frees it; no callback when cancelled). */
void dirc_complete(struct dirc_request *req, enum dirc_result r, const char *value,
		   const char *user, const char *const *fields, size_t nfields);
/* Drop the connection; sent requests are resent once (retry) or failed. */
void dirc_sock_reset(struct dirc_sock *s, bool retry, const char *why);
/* Send what is queued (from the loop). */
void dirc_sock_send(struct dirc_sock *s);

/* dirclient_proto.c */
/* Encode into req->wire; -1 on a request that cannot be expressed. */
int dirc_encode_map(struct dirc_request *req, const char *map, const char *key);
int dirc_encode_user(struct dirc_request *req, const char *user, const char *service);
/* Parse and dispatch the replies buffered on the socket's conn. */
void dirc_sm_on_data(struct conn *c, struct buf *in);
void dirc_ud_on_line(struct conn *c, char *line, size_t len, bool overlong);
/* Parse one socketmap reply (data[len] == 0): result, *value_r into data. */
enum dirc_result dirc_parse_sm_reply(char *data, size_t len, const char **value_r);

#endif
