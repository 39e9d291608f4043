/* authd: shared state of the directory daemon and the entry points of its
 * three protocol servers: sasl_server.c (Dovecot auth client protocol),
 * userdb_server.c (Dovecot auth-master protocol) and socketmap_server.c
 * (Postfix socketmap). passdb.c checks credentials for the SASL side.
 * Invariants: authd is the only process that reads the directory; every
 * answer is FOUND/NOTFOUND/TEMP-faithful (a directory that cannot answer is
 * never reported as "no such user" or "wrong password"). */
#ifndef TERN_AUTHD_H
#define TERN_AUTHD_H
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "conn.h"
#include "directory.h"
#include "hash_pool.h"
#include "workpool.h"
#include "ev.h"
#include "service.h"

struct authd {
	struct service_ctx *ctx;
	struct directory *dir;
	char cookie[33];	/* hex, sent to auth clients */
	unsigned next_cuid;
	struct hash_pool *hashes;	/* password verification workers */
	struct workpool *lookups;	/* blocking (SQL) directory lookups */
	size_t pending;		/* requests in flight (delayed failures, hashing) */
};

/* Shortcut for the current config. */
static inline const struct conf *authd_conf(const struct authd *a) { return a->ctx->conf; }

/* A conn for a new client of authd with its limits (auth_max_request_size
 * unless max_line is given, auth_client_timeout). When it cannot be made,
 * `client` is freed and NULL returned (the fd is closed either way). */
struct conn *authd_conn_new(struct authd *a, int fd, const char *peer,
			    const struct conn_handlers *h, void *client, size_t max_line);

/* Run a directory job. work() first runs right here with the directory in
 * cache-only mode; when that answered everything (always, for files), done()
 * follows at once and NULL is returned. On a cache miss reset(ctx) undoes
 * the partial answer and work() runs again on the lookup pool, done() later
 * on the loop; the returned job can be cancelled (done then gets
 * cancelled=true). done always frees ctx. */
struct workpool_job *authd_run(struct authd *a, workpool_work *work, workpool_work *reset,
			       workpool_done *done, void *ctx);

void sasl_server_accept(struct authd *a, int fd, const char *peer);
void userdb_server_accept(struct authd *a, int fd, const char *peer);
void socketmap_server_accept(struct authd *a, int fd, const char *peer);

enum passdb_result {
	PASSDB_OK,
	PASSDB_FAIL,		/* wrong password, unknown user, refused: delayed */
	PASSDB_TEMP,		/* directory could not answer: not delayed */
	PASSDB_PENDING,		/* a hash is being verified: the callback follows */
};

struct passdb_pending;
/* Outcome of a pending check; `reason` is a short word for the log
 * (password, unknown-user, ...); `nodelay` when the user's record asks for
 * no failure delay; `user` the canonical name (the directory's, e.g. the
 * "user" column of Dovecot's password_query). */
typedef void passdb_done(enum passdb_result result, const char *reason, bool nodelay,
			 const char *user, void *ctx);

/* Check a login. `login` is the name as the client sent it; the normalized
 * name (auth_username_format) goes into user_r (size DIR_MAX_ADDRESS+1).
 * `service` and `rip` (the client's address, for allow_nets) may be "". Answers at once
 * (OK, FAIL, TEMP with *reason_r and *nodelay_r set), or PASSDB_PENDING with
 * *pending_r set: done(ctx) is called later from the loop, unless
 * passdb_cancel(*pending_r) comes first. Slow hashes and SQL lookups run on
 * worker threads, so they never stall the loop. */
enum passdb_result passdb_check(struct authd *a, const char *login, const char *password,
				size_t password_len, const char *service, const char *rip, char *user_r,
				const char **reason_r, bool *nodelay_r, passdb_done *done,
				void *ctx, struct passdb_pending **pending_r);
void passdb_cancel(struct passdb_pending *pending);
/* Normalize a login name per auth_username_format; -1 when it is not a
 * plausible name (empty, too long, control bytes, spaces). */
int passdb_normalize_user(const struct authd *a, const char *login, char *out, size_t outsize);

#endif
