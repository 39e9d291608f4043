/* passdb: the credential check behind SASL. Looks the user up in the
 * directory (passdb view) and verifies the password.
 * Paths: a file directory is read inline and only a slow hash goes to the
 * hash pool; an SQL directory runs lookup and verification together as one
 * job on the lookup pool.
 * Invariants: an unknown user costs a hash verification too (a dummy one),
 * so timing does not tell which users exist; a directory that cannot answer
 * gives PASSDB_TEMP, never a failure that would count as a wrong password;
 * no password or hash is ever logged, and copies are wiped. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allow_nets.h"
#include "authd.h"
#include "log.h"
#include "passwd_scheme.h"

/* SHA512-CRYPT of a random string: verified against for unknown users. */
static const char dummy_hash[] =
	"$6$dummy.salt.tern$dbS5TSe3hbbm8Qy9w4SgIYqNy0o.oWO/Y9RHXvH8dZ1jX.3XWqO3kFbkr3Yd8lb2N9n1k3/e2hZEp6wpvv0pN0";

struct passdb_pending {
	struct authd *a;
	struct hash_job *hash_job;	  /* file directory, slow hash */
	struct workpool_job *lookup_job;  /* SQL directory: lookup + verify */
	passdb_done *done;
	void *ctx;
	char user[DIR_MAX_ADDRESS + 1];
	char rip[64], service[32];
	char *password;
	size_t password_len;
	struct dir_user u;		  /* SQL job: the record */
	enum passdb_result result;
	const char *reason;
	bool nodelay, unknown_user;
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
static enum passdb_result judge(const char *user, bool unknown_user, enum pw_result r,
				const char *scheme, const char **reason_r)
{
	if (unknown_user) {
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
		log_error("passdb-error user=%s reason=unknown-scheme", log_str(user));
		*reason_r = "unknown-scheme";
		return PASSDB_FAIL;
	default:
		log_error("passdb-error user=%s reason=malformed-hash scheme=%s", log_str(user),
			  log_str(scheme ? scheme : "?"));
		*reason_r = "malformed-hash";
		return PASSDB_FAIL;
	}
}

/* Refusals and acceptances decided by the record alone; -1 = verify. */
static int decide_without_hash(const struct dir_user *u, const char *rip, const char **reason_r)
{
	if (u->nologin) {
		*reason_r = "nologin";
		return PASSDB_FAIL;
	}
	if (!allow_nets_match(u->allow_nets, rip)) {
		*reason_r = "allow-nets";
		return PASSDB_FAIL;
	}
	if (u->nopassword) {
		*reason_r = "nopassword";
		return PASSDB_OK;
	}
	if (u->password[0] == '\0') { /* no password set: never "any password" */
		*reason_r = "no-password";
		return PASSDB_FAIL;
	}
	return -1;
}

/* The whole decision once the record is known (synchronous). */
static enum passdb_result decide(struct dir_user *u, enum dir_result found, const char *user,
				 const char *password, size_t len, const char *rip,
				 const char **reason_r, bool *nodelay_r)
{
	*nodelay_r = found == DIR_FOUND && u->nodelay;
	if (found == DIR_TEMP) {
		*reason_r = "directory-unavailable";
		return PASSDB_TEMP;
	}
	int early = found == DIR_FOUND ? decide_without_hash(u, rip, reason_r) : -1;
	if (early >= 0)
		return (enum passdb_result)early;
	const char *stored = found == DIR_FOUND ? u->password : dummy_hash;
	const char *scheme = NULL;
	enum pw_result r = pw_verify(stored, password, len,
				     u->scheme_default[0] ? u->scheme_default : NULL, user, &scheme);
	sodium_memzero(u->password, sizeof(u->password));
	return judge(user, found != DIR_FOUND, r, scheme, reason_r);
}

static void pending_free(struct passdb_pending *p)
{
	if (p->password) {
		sodium_memzero(p->password, p->password_len);
		free(p->password);
	}
	sodium_memzero(&p->u, sizeof(p->u));
	free(p);
}

static void hash_verified(enum pw_result r, const char *scheme, void *arg)
{
	struct passdb_pending *p = arg;
	const char *reason;
	enum passdb_result result = judge(p->user, p->unknown_user, r, scheme, &reason);
	p->a->pending--;
	p->done(result, reason, p->nodelay, p->user, p->ctx);
	pending_free(p);
}

/* SQL: worker thread does lookup and verification. */
static void sql_check_work(void *arg)
{
	struct passdb_pending *p = arg;
	enum dir_result found = directory_passdb(p->a->dir, p->user, p->service, p->rip, &p->u);
	if (found == DIR_FOUND && p->u.user[0])
		snprintf(p->user, sizeof(p->user), "%s", p->u.user);
	p->result = decide(&p->u, found, p->user, p->password, p->password_len, p->rip,
			   &p->reason, &p->nodelay);
}

static void sql_check_done(void *arg, bool cancelled)
{
	struct passdb_pending *p = arg;
	if (!cancelled) {
		p->a->pending--;
		p->done(p->result, p->reason, p->nodelay, p->user, p->ctx);
	}
	pending_free(p);
}

void passdb_cancel(struct passdb_pending *p)
{
	p->a->pending--;
	if (p->lookup_job) {
		workpool_cancel(p->lookup_job); /* sql_check_done frees p */
		return;
	}
	hash_pool_cancel(p->hash_job);
	pending_free(p);
}

static struct passdb_pending *pending_new(struct authd *a, const char *user, const char *service,
					  const char *rip, passdb_done *done, void *ctx)
{
	struct passdb_pending *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->a = a;
	p->done = done;
	p->ctx = ctx;
	snprintf(p->user, sizeof(p->user), "%s", user);
	snprintf(p->rip, sizeof(p->rip), "%s", rip ? rip : "");
	snprintf(p->service, sizeof(p->service), "%s", service ? service : "");
	return p;
}

static enum passdb_result check_sql(struct authd *a, const char *user, const char *password,
				    size_t len, const char *service, const char *rip,
				    passdb_done *done, void *ctx, struct passdb_pending **pending_r,
				    const char **reason_r)
{
	struct passdb_pending *p = pending_new(a, user, service, rip, done, ctx);
	if (p == NULL || (p->password = malloc(len + 1)) == NULL) {
		free(p);
		*reason_r = "out-of-memory";
		return PASSDB_TEMP;
	}
	memcpy(p->password, password, len);
	p->password[len] = '\0';
	p->password_len = len;
	p->lookup_job = workpool_submit(a->lookups, sql_check_work, sql_check_done, p);
	if (p->lookup_job == NULL) {
		pending_free(p);
		*reason_r = "out-of-memory";
		return PASSDB_TEMP;
	}
	a->pending++;
	*pending_r = p;
	return PASSDB_PENDING;
}

/* Files: the record is read here; only a slow hash leaves the loop. */
/* The record is known (read on the loop: a file, or the SQL cache): decide
 * now, or hand only a slow hash to the hash pool. */
static enum passdb_result check_record(struct authd *a, struct dir_user *u, enum dir_result found,
				       const char *user, const char *password, size_t len,
				       const char *service, const char *rip, const char **reason_r,
				       bool *nodelay_r, passdb_done *done, void *ctx,
				       struct passdb_pending **pending_r)
{
	const char *scheme = u->scheme_default[0] ? u->scheme_default : NULL;
	const char *stored = found == DIR_FOUND ? u->password : dummy_hash;
	bool slow = found != DIR_TEMP && pw_is_expensive(stored, scheme) &&
		    (found != DIR_FOUND || decide_without_hash(u, rip, reason_r) < 0);
	if (!slow)
		return decide(u, found, user, password, len, rip, reason_r, nodelay_r);
	struct passdb_pending *p = pending_new(a, user, service, rip, done, ctx);
	if (p != NULL) {
		p->nodelay = found == DIR_FOUND && u->nodelay;
		p->unknown_user = found != DIR_FOUND;
		p->hash_job = hash_pool_submit(a->hashes, stored, password, len, scheme, user,
					       hash_verified, p);
	}
	sodium_memzero(u->password, sizeof(u->password));
	if (p == NULL || p->hash_job == NULL) {
		free(p);
		*reason_r = "out-of-memory";
		return PASSDB_TEMP;
	}
	a->pending++;
	*pending_r = p;
	return PASSDB_PENDING;
}

enum passdb_result passdb_check(struct authd *a, const char *login, const char *password,
				size_t password_len, const char *service, const char *rip,
				char *user_r, const char **reason_r, bool *nodelay_r,
				passdb_done *done, void *ctx, struct passdb_pending **pending_r)
{
	*nodelay_r = false;
	if (passdb_normalize_user(a, login, user_r, DIR_MAX_ADDRESS + 1) < 0) {
		snprintf(user_r, DIR_MAX_ADDRESS + 1, "%.64s", login);
		*reason_r = "invalid-username";
		return PASSDB_FAIL;
	}
	static struct dir_user u; /* large; only the loop thread uses it */
	bool blocking = directory_blocking(a->dir);
	if (blocking && !directory_cached(a->dir)) /* SQL without cache: straight to a worker */
		return check_sql(a, user_r, password, password_len, service, rip, done, ctx,
				 pending_r, reason_r);
	/* SQL: a cached record is read here, like a file; only a miss needs
	 * the database, on a worker thread */
	directory_cache_only(blocking);
	enum dir_result found = directory_passdb(a->dir, user_r, service, rip, &u);
	bool missed = blocking && directory_cache_missed();
	directory_cache_only(false);
	if (missed)
		return check_sql(a, user_r, password, password_len, service, rip, done, ctx,
				 pending_r, reason_r);
	if (found == DIR_FOUND && u.user[0])
		snprintf(user_r, DIR_MAX_ADDRESS + 1, "%s", u.user); /* canonical name */
	return check_record(a, &u, found, user_r, password, password_len, service, rip,
			    reason_r, nodelay_r, done, ctx, pending_r);
}
