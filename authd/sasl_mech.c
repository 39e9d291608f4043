/* sasl_mech: PLAIN and LOGIN response decoding (see sasl_mech.h). */
#include "sasl_mech.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ipc.h"

enum sasl_mech sasl_mech_parse(const char *name)
{
	if (strcasecmp(name, "PLAIN") == 0)
		return SASL_PLAIN;
	if (strcasecmp(name, "LOGIN") == 0)
		return SASL_LOGIN;
	return SASL_UNKNOWN;
}

const char *sasl_mech_name(enum sasl_mech mech)
{
	return mech == SASL_PLAIN ? "PLAIN" : mech == SASL_LOGIN ? "LOGIN" : "?";
}

/* Decode base64 into a heap buffer the caller wipes and frees. */
static unsigned char *decode(const char *b64, size_t len, long *outlen_r, const char **why_r)
{
	if (len > 4 * ((SASL_MAX_USER * 2 + SASL_MAX_PASS + 3) / 3 + 1)) {
		*why_r = "too long";
		return NULL;
	}
	unsigned char *raw = malloc(len / 4 * 3 + 3);
	if (raw == NULL) {
		*why_r = "out of memory";
		return NULL;
	}
	*outlen_r = ipc_base64_decode(b64, len, raw);
	if (*outlen_r < 0) {
		free(raw);
		*why_r = "invalid base64";
		return NULL;
	}
	return raw;
}

static void wipe_free(unsigned char *p, size_t len)
{
	sodium_memzero(p, len);
	free(p);
}

int sasl_plain_decode(const char *b64, size_t len, struct sasl_creds *out, const char **why_r)
{
	long n;
	unsigned char *raw = decode(b64, len, &n, why_r);
	if (raw == NULL)
		return -1;
	const unsigned char *end = raw + n;
	const unsigned char *nul1 = memchr(raw, '\0', (size_t)n);
	const unsigned char *nul2 = nul1 ? memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1)) : NULL;
	int rc = -1;
	*why_r = "malformed PLAIN";
	if (nul2 == NULL || memchr(nul2 + 1, '\0', (size_t)(end - nul2 - 1)) != NULL)
		goto out;
	size_t zlen = (size_t)(nul1 - raw), ulen = (size_t)(nul2 - nul1 - 1);
	size_t plen = (size_t)(end - nul2 - 1);
	if (ulen == 0)
		goto out;
	if (ulen > SASL_MAX_USER || plen > SASL_MAX_PASS) {
		*why_r = "too long";
		goto out;
	}
	if (zlen != 0 && (zlen != ulen || strncasecmp((const char *)raw, (const char *)nul1 + 1, ulen) != 0)) {
		*why_r = "authzid mismatch";
		goto out;
	}
	memcpy(out->user, nul1 + 1, ulen);
	out->user[ulen] = '\0';
	memcpy(out->pass, nul2 + 1, plen);
	out->pass[plen] = '\0';
	out->pass_len = plen;
	rc = 0;
out:
	wipe_free(raw, (size_t)n);
	return rc;
}

long sasl_login_decode(const char *b64, size_t len, char *out, size_t outsize, const char **why_r)
{
	long n;
	unsigned char *raw = decode(b64, len, &n, why_r);
	if (raw == NULL)
		return -1;
	long rc = -1;
	if ((size_t)n >= outsize) {
		*why_r = "too long";
	} else if (memchr(raw, '\0', (size_t)n) != NULL) {
		*why_r = "NUL in LOGIN response";
	} else {
		memcpy(out, raw, (size_t)n);
		out[n] = '\0';
		rc = n;
	}
	wipe_free(raw, (size_t)n);
	return rc;
}
