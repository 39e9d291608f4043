/* passwd_scheme: verifying and making password hashes in the formats Dovecot
 * and PostfixAdmin store: "{SCHEME}data" or a bare crypt string ($1$, $2y$,
 * $5$, $6$, $argon2i$, $argon2id$).
 * Invariants: comparisons of secrets are constant-time (sodium_memcmp);
 * unknown schemes and malformed hashes are reported, never crash; no secret
 * is logged; intermediate buffers holding secrets are wiped. */
#ifndef TERN_PASSWD_SCHEME_H
#define TERN_PASSWD_SCHEME_H
#include <stdbool.h>
#include <stddef.h>

enum pw_result {
	PW_MATCH = 1,
	PW_MISMATCH = 0,
	PW_UNKNOWN_SCHEME = -1, /* "{FOO}..." with a scheme we do not know */
	PW_MALFORMED = -2,	/* known scheme, hash not parseable */
};

/* Verify `password` (len bytes, may contain any byte but is rejected if it
 * contains NUL for crypt-based schemes) against `stored`. A stored value
 * without "{SCHEME}" and not a recognizable crypt string is interpreted
 * with default_scheme (e.g. "PLAIN", "SHA512-CRYPT"; NULL = "PLAIN").
 * `user` is needed only by schemes that salt with the user name (none yet).
 * *scheme_r (may be NULL) gets the scheme name used, for logs. */
enum pw_result pw_verify(const char *stored, const char *password, size_t len,
			 const char *default_scheme, const char *user,
			 const char **scheme_r);

/* Make a hash of password in `scheme` ("SHA512-CRYPT", "ARGON2ID",
 * "ARGON2I", "PLAIN", ...), written as "{SCHEME}..." into out. Returns 0,
 * or -1 for an unknown scheme, a failure or a too small out. */
int pw_make(const char *scheme, const char *password, char *out, size_t outsize);

/* True when verifying against `stored` is deliberately slow (crypt(3)
 * schemes, Argon2): worth running off the event loop. Plain and digest
 * schemes cost microseconds. */
bool pw_is_expensive(const char *stored, const char *default_scheme);

/* Space-separated list of schemes pw_verify knows (for ternctl and docs). */
const char *pw_scheme_list(void);

#endif
