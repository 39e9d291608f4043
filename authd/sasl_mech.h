/* sasl_mech: decoding of SASL PLAIN (RFC 4616) and LOGIN responses.
 * Invariants: input is base64 checked strictly; PLAIN needs exactly
 * authzid NUL authcid NUL password with a non-empty authcid and an authzid
 * that is empty or the authcid itself (no master users); no field may hold
 * a NUL (LOGIN) and all are bounded. Secrets are wiped by the caller. */
#ifndef TERN_SASL_MECH_H
#define TERN_SASL_MECH_H
#include <stddef.h>

#define SASL_MAX_USER 320
#define SASL_MAX_PASS 1024

enum sasl_mech { SASL_PLAIN, SASL_LOGIN, SASL_UNKNOWN };

struct sasl_creds {
	char user[SASL_MAX_USER + 1];
	char pass[SASL_MAX_PASS + 1];
	size_t pass_len;
};

/* Mechanism by name (case-insensitive). */
enum sasl_mech sasl_mech_parse(const char *name);
const char *sasl_mech_name(enum sasl_mech mech);

/* Decode a PLAIN response. Returns 0, or -1 with *why_r = "invalid base64",
 * "malformed PLAIN", "authzid mismatch" or "too long". */
int sasl_plain_decode(const char *b64, size_t len, struct sasl_creds *out, const char **why_r);
/* Decode one base64 LOGIN answer (user name or password) into out (size
 * outsize, NUL-terminated); returns its length or -1 with *why_r. */
long sasl_login_decode(const char *b64, size_t len, char *out, size_t outsize, const char **why_r);

#endif
