/* fuzz_sasl: libFuzzer harness for authd/sasl_mech.c. The input is used
 * twice: as the base64 text of a PLAIN and a LOGIN response (results are
 * checked against ipc_base64_decode of the same text), and as the raw
 * decoded bytes, base64-encoded here, so the fuzzer steers the PLAIN field
 * layout directly (the accept/reject decision is predicted from RFC 4616
 * and sasl_mech.h). Also sasl_mech_parse on the text. Violations abort. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "ipc.h"
#include "sasl_mech.h"

#define B64_LIMIT (4 * ((SASL_MAX_USER * 2 + SASL_MAX_PASS + 3) / 3 + 1))

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_sasl: invariant failed: %s\n", what);
		abort();
	}
}

/* Would PLAIN accept these decoded bytes? Fills user/pass spans if so. */
static bool plain_valid(const unsigned char *raw, size_t n, const unsigned char **user_r,
			size_t *ulen_r, const unsigned char **pass_r, size_t *plen_r)
{
	const unsigned char *nul1 = memchr(raw, '\0', n), *nul2, *end = raw + n;
	if (!nul1 || !(nul2 = memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1))) ||
	    memchr(nul2 + 1, '\0', (size_t)(end - nul2 - 1)))
		return false;
	size_t zlen = (size_t)(nul1 - raw);
	*user_r = nul1 + 1;
	*ulen_r = (size_t)(nul2 - nul1 - 1);
	*pass_r = nul2 + 1;
	*plen_r = (size_t)(end - nul2 - 1);
	if (*ulen_r == 0 || *ulen_r > SASL_MAX_USER || *plen_r > SASL_MAX_PASS)
		return false;
	return zlen == 0 ||
	       (zlen == *ulen_r && strncasecmp((const char *)raw, (const char *)*user_r, zlen) == 0);
}

/* Decode b64 with both mechanisms and compare with the expected bytes
 * (raw, n; raw NULL = the text is not valid base64 or too long). */
static void decode_both(const char *b64, size_t len, const unsigned char *raw, long n,
			size_t outsize)
{
	struct sasl_creds *c = malloc(sizeof(*c));
	char *out = malloc(outsize);
	const char *why = NULL;
	const unsigned char *user, *pass;
	size_t ulen, plen;

	check(c && out, "out of memory");
	bool want = raw && plain_valid(raw, (size_t)n, &user, &ulen, &pass, &plen);
	int r = sasl_plain_decode(b64, len, c, &why);
	check(r == 0 || r == -1, "plain return");
	check(want == (r == 0), "plain accepts exactly valid PLAIN");
	if (r == 0) {
		check(strlen(c->user) == ulen && memcmp(c->user, user, ulen) == 0, "plain user");
		check(c->pass_len == plen && c->pass[plen] == '\0' && memcmp(c->pass, pass, plen) == 0,
		      "plain password");
	} else {
		check(why != NULL && why[0] != '\0', "plain reason");
	}

	why = NULL;
	long l = sasl_login_decode(b64, len, out, outsize, &why);
	want = raw && (size_t)n < outsize && !memchr(raw, '\0', (size_t)n);
	check(want == (l >= 0), "login accepts exactly NUL-free answers that fit");
	if (l >= 0)
		check(l == n && out[l] == '\0' && memcmp(out, raw, (size_t)n) == 0, "login answer");
	else
		check(l == -1 && why != NULL && why[0] != '\0', "login reason");
	free(c);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t outsize = size > 0 ? (size_t)data[0] * 8 + 1 : 1;

	/* 1. the input as base64 text */
	unsigned char *raw = malloc(size / 4 * 3 + 1);
	long n = ipc_base64_decode(text, size, raw);
	check(n >= -1, "base64 return");
	decode_both(text, size, n >= 0 && size <= B64_LIMIT ? raw : NULL, n, outsize);
	free(raw);

	/* 2. the input as decoded bytes */
	struct buf b;
	buf_init(&b, 0);
	ipc_base64_encode(&b, data, size);
	check(!buf_error(&b), "encode");
	decode_both(buf_str(&b), b.len, b.len <= B64_LIMIT ? data : NULL, (long)size,
		    SASL_MAX_USER + 1);
	buf_free(&b);

	/* 3. mechanism names */
	char *name = strndup(text, size);
	check(name != NULL, "out of memory");
	enum sasl_mech m = sasl_mech_parse(name);
	check(m == SASL_PLAIN || m == SASL_LOGIN || m == SASL_UNKNOWN, "mech range");
	check(m == SASL_UNKNOWN || strcasecmp(sasl_mech_name(m), name) == 0, "mech name");
	check(sasl_mech_parse(sasl_mech_name(m)) == m || m == SASL_UNKNOWN, "mech round trip");
	free(name);
	return 0;
}
