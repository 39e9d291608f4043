/* passdb: the credential check behind SASL. Looks the user up in the
 * directory and has the password verified on the hash pool.
 * Invariants: an unknown user costs a hash verification too (a dummy one),
 * so timing does not tell which users exist; a directory that cannot answer
 * gives PASSDB_TEMP, never a failure that would count as a wrong password;
 * no password or hash is ever logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authd.h"
#include "log.h"
#include "passwd_scheme.h"

/* SHA512-CRYPT of a random string: verified against for unknown users. */
static const char dummy_hash[] =
	"$6$dummy.salt.tern$dbS5TSe3hbbm8Qy9w4SgIYqNy0o.oWO/Y9RHXvH8dZ1jX.3XWqO3kFbkr3Yd8lb2N9n1k3/e2hZEp6wpvv0pN0";

struct passdb_pending {
	struct authd *a;
	struct hash_job *job;
	passdb_done *done;
	void *ctx;
	bool nodelay, unknown_user;
	char user[DIR_MAX_ADDRESS + 1];
};

int passdb_normalize_user(const struct authd *a, const char *login, char *out, size_t outsize)
{
	size_t len = strlen(login);
	if (len == 0 || len > DIR_MAX_ADDRESS)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)login[i];
		if (ch <= 0x20 || ch == 0x7f)
			return -1;
	}
	return conf_expand_user(conf_str(authd_conf(a), NULL, "auth_username_format"), login, out,
				outsize);
}

/* Map a verification result to the passdb outcome and a log word. */
static enum passdb_result judge(const struct passdb_pending *p, enum pw_result r,
				const char *scheme, const char **reason_r)
{
	if (p->unknown_user) {
		*reason_r = "unknown-user";
		return PASSDB_FAIL;
	}
	switch (r) {
	case PW_MATCH:
		*reason_r = "password";
		return PASSDB_OK;
	case PW_MISMATCH:
		*reason_r = "password";
		return PASSDB_FAIL;
	case PW_UNKNOWN_SCHEME:
		log_error("passdb-error user=%s reason=unknown-scheme", log_str(p->user));
		*reason_r = "unknown-scheme";
		return PASSDB_FAIL;
	default:
		log_error("passdb-error user=%s reason=malformed-hash scheme=%s", log_str(p->user),
			  log_str(scheme ? scheme : "?"));
		*reason_r = "malformed-hash";
		return PASSDB_FAIL;
	}
}

static void verified(enum pw_result r, const char *scheme, void *arg)
{
	struct passdb_pending *p = arg;
	const char *reason;
	enum passdb_result result = judge(p, r, scheme, &reason);
	p->a->pending--;
	p->done(result, reason, p->nodelay, p->ctx);
	free(p);
}

void passdb_cancel(struct passdb_pending *p)
{
	hash_pool_cancel(p->job);
	p->a->pending--;
	free(p);
}

/* A cheap scheme (PLAIN, digests): verified here, answered at once. */
static enum passdb_result check_inline(struct dir_user *u, enum dir_result found,
				       const char *user, const char *password, size_t len,
				       const char **reason_r, bool *nodelay_r)
{
	struct passdb_pending p = { .nodelay = u->nodelay, .unknown_user = found == DIR_NOTFOUND };
	snprintf(p.user, sizeof(p.user), "%s", user);
	const char *scheme = NULL;
	enum pw_result r = pw_verify(u->password, password, len,
				     u->scheme_default[0] ? u->scheme_default : NULL, user, &scheme);
	memset(u->password, 0, sizeof(u->password));
	*nodelay_r = u->nodelay;
	return judge(&p, r, scheme, reason_r);
}

/* Answers that need no hashing: refusals decided by the record itself. */
static enum passdb_result decide_without_hash(const struct dir_user *u, const char **reason_r)
{
	if (u->nologin) {
		*reason_r = "nologin";
		return PASSDB_FAIL;
	}
	*reason_r = "nopassword";
	return PASSDB_OK;
}

enum passdb_result passdb_check(struct authd *a, const char *login, const char *password,
				size_t password_len, char *user_r, const char **reason_r,
				bool *nodelay_r, passdb_done *done, void *ctx,
				struct passdb_pending **pending_r)
{
	*nodelay_r = false;
	if (passdb_normalize_user(a, login, user_r, DIR_MAX_ADDRESS + 1) < 0) {
		snprintf(user_r, DIR_MAX_ADDRESS + 1, "%.64s", login);
		*reason_r = "invalid-username";
		return PASSDB_FAIL;
	}
	static struct dir_user u; /* large; only the loop thread uses it */
	memset(&u, 0, sizeof(u));
	enum dir_result found = directory_user(a->dir, user_r, &u);
	if (found == DIR_TEMP) {
		*reason_r = "directory-unavailable";
		return PASSDB_TEMP;
	}
	if (found == DIR_FOUND && (u.nologin || u.nopassword)) {
		*nodelay_r = u.nodelay;
		return decide_without_hash(&u, reason_r);
	}
	const char *stored = found == DIR_FOUND ? u.password : dummy_hash;
	const char *scheme = u.scheme_default[0] ? u.scheme_default : NULL;
	if (!pw_is_expensive(stored, scheme)) /* microseconds: no thread hand-off */
		return check_inline(&u, found, user_r, password, password_len, reason_r, nodelay_r);
	struct passdb_pending *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		*reason_r = "out-of-memory";
		return PASSDB_TEMP;
	}
	*p = (struct passdb_pending){ .a = a, .done = done, .ctx = ctx, .nodelay = u.nodelay,
				      .unknown_user = found == DIR_NOTFOUND };
	snprintf(p->user, sizeof(p->user), "%s", user_r);
	p->job = hash_pool_submit(a->hashes, stored, password, password_len, scheme, user_r,
				  verified, p);
	memset(u.password, 0, sizeof(u.password));
	if (p->job == NULL) {
		free(p);
		*reason_r = "out-of-memory";
		return PASSDB_TEMP;
	}
	a->pending++;
	*pending_r = p;
	return PASSDB_PENDING;
}
