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
#include "directory.h"
#include "ev.h"
#include "service.h"

struct authd {
	struct service_ctx *ctx;
	struct directory *dir;
	char cookie[33];	/* hex, sent to auth clients */
	unsigned next_cuid;
	size_t pending;		/* requests in flight (delayed failures) */
};

/* Shortcut for the current config. */
static inline const struct conf *authd_conf(const struct authd *a) { return a->ctx->conf; }

void sasl_server_accept(struct authd *a, int fd, const char *peer);
void userdb_server_accept(struct authd *a, int fd, const char *peer);
void socketmap_server_accept(struct authd *a, int fd, const char *peer);

enum passdb_result {
	PASSDB_OK,
	PASSDB_FAIL,		/* wrong password, unknown user, refused: delayed */
	PASSDB_TEMP,		/* directory could not answer: not delayed */
};

/* Check a login. `login` is the name as the client sent it; the normalized
 * name (auth_username_format) goes into user_r (size DIR_MAX_ADDRESS+1).
 * *reason_r is a short word for the log (password, unknown-user, ...).
 * *nodelay_r is set when the user's record asks for no failure delay. */
enum passdb_result passdb_check(struct authd *a, const char *login, const char *password,
				size_t password_len, char *user_r, const char **reason_r,
				bool *nodelay_r);
/* Normalize a login name per auth_username_format; -1 when it is not a
 * plausible name (empty, too long, control bytes, spaces). */
int passdb_normalize_user(const struct authd *a, const char *login, char *out, size_t outsize);

#endif
