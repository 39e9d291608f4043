/* passdb: the credential check behind SASL. Looks the user up in the
 * directory and verifies the password with passwd_scheme.
 * Invariants: an unknown user costs a hash verification too (a dummy one),
 * so timing does not tell which users exist; a directory that cannot answer
 * gives PASSDB_TEMP, never a failure that would count as a wrong password;
 * no password or hash is ever logged. */
#include <stdio.h>
#include <string.h>

#include "authd.h"
#include "log.h"
#include "passwd_scheme.h"

/* SHA512-CRYPT of a random string: verified against for unknown users. */
static const char dummy_hash[] =
	"$6$dummy.salt.tern$dbS5TSe3hbbm8Qy9w4SgIYqNy0o.oWO/Y9RHXvH8dZ1jX.3XWqO3kFbkr3Yd8lb2N9n1k3/e2hZEp6wpvv0pN0";

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

static enum passdb_result verify(const struct dir_user *u, const char *password, size_t len,
				 const char **reason_r)
{
	if (u->nologin) {
		*reason_r = "nologin";
		return PASSDB_FAIL;
	}
	if (u->nopassword) {
		*reason_r = "nopassword";
		return PASSDB_OK;
	}
	const char *scheme = NULL;
	enum pw_result r = pw_verify(u->password, password, len,
				     u->scheme_default[0] ? u->scheme_default : NULL, u->user,
				     &scheme);
	switch (r) {
	case PW_MATCH:
		*reason_r = "password";
		return PASSDB_OK;
	case PW_MISMATCH:
		*reason_r = "password";
		return PASSDB_FAIL;
	case PW_UNKNOWN_SCHEME:
		log_error("passdb-error user=%s reason=unknown-scheme", log_str(u->user));
		*reason_r = "unknown-scheme";
		return PASSDB_FAIL;
	default:
		log_error("passdb-error user=%s reason=malformed-hash scheme=%s", log_str(u->user),
			  log_str(scheme ? scheme : "?"));
		*reason_r = "malformed-hash";
		return PASSDB_FAIL;
	}
}

enum passdb_result passdb_check(struct authd *a, const char *login, const char *password,
				size_t password_len, char *user_r, const char **reason_r,
				bool *nodelay_r)
{
	*nodelay_r = false;
	if (passdb_normalize_user(a, login, user_r, DIR_MAX_ADDRESS + 1) < 0) {
		snprintf(user_r, DIR_MAX_ADDRESS + 1, "%.*s", 64, login);
		*reason_r = "invalid-username";
		return PASSDB_FAIL;
	}
	static struct dir_user u; /* large; authd is single-threaded */
	memset(&u, 0, sizeof(u));
	switch (directory_user(a->dir, user_r, &u)) {
	case DIR_TEMP:
		*reason_r = "directory-unavailable";
		return PASSDB_TEMP;
	case DIR_NOTFOUND:
		(void)pw_verify(dummy_hash, password, password_len, NULL, NULL, NULL);
		*reason_r = "unknown-user";
		return PASSDB_FAIL;
	case DIR_FOUND:
		break;
	}
	*nodelay_r = u.nodelay;
	enum passdb_result r = verify(&u, password, password_len, reason_r);
	memset(u.password, 0, sizeof(u.password));
	return r;
}
