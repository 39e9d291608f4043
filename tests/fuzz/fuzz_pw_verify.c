/* fuzz_pw_verify: libFuzzer harness for pw_verify (lib/passwd_scheme.c):
 * scheme prefixes, .B64/.HEX decoding, bare crypt strings, default schemes.
 * Input: byte 0 picks default_scheme, byte 1 a cheap scheme for pw_make,
 * then "stored\npassword" (password may hold any byte). Checks: results in
 * range, a made hash verifies and a changed password does not. Slow hashes
 * are refused by the crypt_r / crypto_pwhash_str_verify wrappers below. */
#include <crypt.h>
#include <dlfcn.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "passwd_scheme.h"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_pw_verify: invariant failed: %s\n", what);
		abort();
	}
}

/* Cost of a crypt setting: only cheap ones reach the real crypt_r. */
static bool crypt_cheap(const char *s)
{
	if (strncmp(s, "$1$", 3) == 0 || strncmp(s, "$3$", 3) == 0)
		return true;
	if (strncmp(s, "$5$", 3) == 0 || strncmp(s, "$6$", 3) == 0) {
		unsigned long rounds = 0;
		if (strncmp(s + 3, "rounds=", 7) != 0)
			return true; /* default: 5000 */
		for (s += 10; *s >= '0' && *s <= '9' && rounds <= 5000; s++)
			rounds = rounds * 10 + (unsigned long)(*s - '0');
		return rounds <= 5000;
	}
	if (s[0] == '$' && s[1] == '2' && s[2] && s[3] == '$')
		return s[4] == '0' && s[5] >= '0' && s[5] <= '5'; /* cost <= 5 */
	return s[0] != '\0' && s[0] != '$' && s[0] != '_'; /* DES and garbage */
}

/* Interposes libcrypt's crypt_r: ternlib's call binds here. */
char *crypt_r(const char *phrase, const char *setting, struct crypt_data *cd)
{
	static char *(*real)(const char *, const char *, struct crypt_data *);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "crypt_r");
	check(real != NULL, "dlsym crypt_r");
	if (crypt_cheap(setting))
		return real(phrase, setting, cd);
	strcpy(cd->output, "*0"); /* libxcrypt's failure token */
	return cd->output;
}

/* Interposes libsodium's verify: only tiny Argon2 costs are computed. */
int crypto_pwhash_str_verify(const char *str, const char *passwd, unsigned long long passwdlen)
{
	static int (*real)(const char *, const char *, unsigned long long);
	const char *p = strstr(str, "$m=");
	unsigned long m, t, par;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "crypto_pwhash_str_verify");
	check(real != NULL, "dlsym crypto_pwhash_str_verify");
	if (!p || sscanf(p, "$m=%lu,t=%lu,p=%lu", &m, &t, &par) != 3 || m > 64 || t > 3 || par > 1)
		return -1;
	return real(str, passwd, passwdlen);
}

static const char *const defaults[] = {
	NULL, "PLAIN", "SHA512-CRYPT", "CRYPT", "SHA256", "SSHA512.HEX", "PLAIN-MD5", "MD5-CRYPT",
	"ARGON2ID", "BLF-CRYPT", "sha1.b64", "CLEAR.HEX", "NOPE", "", "SHA.", "{PLAIN}",
};
static const char *const makeable[] = {
	"PLAIN",   "PLAIN.B64",	 "CLEARTEXT.HEX", "SHA",	  "SHA1.HEX",  "SHA256",
	"SHA512.B64", "SSHA",	 "SSHA256.HEX",	  "SSHA512", "SMD5",	  "PLAIN-MD5",
	"LDAP-MD5",   "MD5-CRYPT", "SHA256-CRYPT",	  "sha512-crypt",
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void made(const char *scheme, const char *pw, size_t len)
{
	char hash[2048], *other;
	const char *name = NULL;
	if (memchr(pw, '\0', len))
		len = strlen(pw);
	char *copy = strndup(pw, len);
	check(copy != NULL, "out of memory");
	if (pw_make(scheme, copy, hash, sizeof(hash)) == 0) {
		check(hash[0] == '{', "made hash has a scheme");
		check(pw_verify(hash, copy, len, "NOPE", NULL, &name) == PW_MATCH, "made hash verifies");
		check(strncasecmp(name, scheme, strlen(name)) == 0, "scheme name");
		check((other = malloc(len + 1)) != NULL, "out of memory");
		memcpy(other, copy, len);
		other[len] = 'x';
		check(pw_verify(hash, other, len + 1, NULL, NULL, NULL) == PW_MISMATCH,
		      "longer password mismatches");
		free(other);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const char *def = defaults[data[0] % COUNT(defaults)];
	const char *make = makeable[data[1] % COUNT(makeable)];
	const char *in = (const char *)data + 2, *end = in + size - 2;
	const char *nl = memchr(in, '\n', size - 2);
	const char *pw = nl ? nl + 1 : end;
	size_t len = (size_t)(end - pw);
	char *stored = strndup(in, (size_t)((nl ? nl : end) - in));
	const char *scheme = NULL;

	check(stored != NULL, "out of memory");
	enum pw_result r = pw_verify(stored, pw, len, def, "user@example.org", &scheme);
	check(r >= PW_MALFORMED && r <= PW_MATCH, "result range");
	check(scheme != NULL && scheme[0] != '\0', "scheme name set");
	check(r != PW_UNKNOWN_SCHEME || strcmp(scheme, "UNKNOWN") == 0, "unknown scheme name");
	check(pw_verify(stored, NULL, 0, def, NULL, NULL) >= PW_MALFORMED, "NULL password");
	check(pw_verify(stored, NULL, 1, def, NULL, NULL) == PW_MALFORMED, "NULL password with length");
	free(stored);
	made(make, pw, len);
	return 0;
}
