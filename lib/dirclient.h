/* dirclient: asynchronous clients of authd's sockets for the daemons on
 * the event loop: recipient lookups over Postfix socketmap (maps domain,
 * mailbox, alias, resolve) and user lookups over Dovecot auth-master
 * (USER). One dirclient keeps one connection per socket, reconnects on
 * demand, pipelines requests in order, and answers every request exactly
 * once.
 * Invariants: callbacks run on the loop, never inside the call that
 * submitted the request; a socket that cannot be reached, a timeout
 * (each request is bounded) or a malformed reply gives DIRC_TEMP, never
 * NOTFOUND; a cancelled request's callback never runs. */
#ifndef TERN_DIRCLIENT_H
#define TERN_DIRCLIENT_H
#include <stddef.h>
#include <stdint.h>

#include "ev.h"

struct dirclient;
struct dirc_request;

enum dirc_result { DIRC_FOUND = 1, DIRC_NOTFOUND = 0, DIRC_TEMP = -1, DIRC_PERM = -2 };

/* A socketmap answer: value is the text after "OK " (FOUND) or the reason
 * (TEMP/PERM); "" for NOTFOUND. Valid during the callback only. */
typedef void dirc_map_cb(enum dirc_result r, const char *value, void *ctx);
/* A USER answer: fields are the tab-separated "key=value" fields after the
 * user name (home=, uid=, gid=, mail=, quota_rule=, ...), nfields of them;
 * user is the canonical name. Valid during the callback only. */
typedef void dirc_user_cb(enum dirc_result r, const char *user, const char *const *fields,
			  size_t nfields, void *ctx);

/* socketmap_path / userdb_path: UNIX socket paths (either may be NULL when
 * the daemon does not need it); timeout_ms bounds every request. */
struct dirclient *dirclient_new(struct ev_loop *loop, const char *socketmap_path,
				const char *userdb_path, uint64_t timeout_ms);
/* Fails (TEMP) and frees every pending request without calling back. */
void dirclient_free(struct dirclient **dcp);

/* Look key up in map ("domain", "mailbox", "alias", "resolve"). Returns a
 * handle for dirclient_cancel, or NULL when the request could not even be
 * queued (then cb is still called, with DIRC_TEMP, from the loop). */
struct dirc_request *dirclient_map(struct dirclient *dc, const char *map, const char *key,
				   dirc_map_cb *cb, void *ctx);
/* USER lookup with service=<service>. Same handle rules. */
struct dirc_request *dirclient_user(struct dirclient *dc, const char *user, const char *service,
				    dirc_user_cb *cb, void *ctx);
/* The owner (e.g. a session that is closing) no longer wants the answer. */
void dirclient_cancel(struct dirc_request *req);

/* Helper: the value of "key=" among USER fields, or NULL. */
const char *dirclient_field(const char *const *fields, size_t nfields, const char *key);

/* Where a daemon finds authd's sockets: the "socketmap" / "userdb"
 * listeners of service authd in conf, as absolute paths into out (size
 * outsize); -1 when not configured. */
struct conf;
int dirclient_socket_path(const struct conf *conf, const char *listener, char *out,
			  size_t outsize);

#endif
