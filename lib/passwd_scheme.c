/* passwd_scheme: verify and make Dovecot-style password hashes: plain,
 * crypt(3) family (libxcrypt crypt_r), Argon2 (libsodium), the simple
 * OpenSSL digests (SHA*, SSHA*, MD5) and CRAM-MD5 contexts, each with
 * optional .B64/.HEX encoding.
 * Invariants: secrets are compared with sodium_memcmp after a length check;
 * every heap or stack buffer that held a password or a hash is wiped with
 * sodium_memzero before it is freed or goes out of scope; nothing is logged. */
#include "passwd_scheme.h"

#include <crypt.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cram_md5.h"
#include "ipc.h"

enum pw_kind { PK_PLAIN, PK_CRYPT, PK_ARGON2I, PK_ARGON2ID, PK_DIGEST, PK_SDIGEST, PK_CRAM };
enum pw_enc { ENC_NONE, ENC_B64, ENC_HEX };

struct pw_scheme {
	const char *name;
	enum pw_kind kind;
	enum pw_enc enc;		/* default encoding of the stored data */
	const EVP_MD *(*md)(void);	/* digest of PK_DIGEST / PK_SDIGEST */
	const char *prefix;		/* crypt_gensalt prefix; NULL = cannot make */
};

static const struct pw_scheme schemes[] = {
	{ "PLAIN", PK_PLAIN, ENC_NONE, NULL, NULL },
	{ "CLEAR", PK_PLAIN, ENC_NONE, NULL, NULL },
	{ "CLEARTEXT", PK_PLAIN, ENC_NONE, NULL, NULL },
	{ "CRYPT", PK_CRYPT, ENC_NONE, NULL, NULL },
	{ "MD5-CRYPT", PK_CRYPT, ENC_NONE, NULL, "$1$" },
	{ "SHA256-CRYPT", PK_CRYPT, ENC_NONE, NULL, "$5$" },
	{ "SHA512-CRYPT", PK_CRYPT, ENC_NONE, NULL, "$6$" },
	{ "BLF-CRYPT", PK_CRYPT, ENC_NONE, NULL, "$2b$" },
	{ "ARGON2I", PK_ARGON2I, ENC_NONE, NULL, NULL },
	{ "ARGON2ID", PK_ARGON2ID, ENC_NONE, NULL, NULL },
	{ "SHA", PK_DIGEST, ENC_B64, EVP_sha1, NULL },
	{ "SHA1", PK_DIGEST, ENC_B64, EVP_sha1, NULL },
	{ "SHA256", PK_DIGEST, ENC_B64, EVP_sha256, NULL },
	{ "SHA512", PK_DIGEST, ENC_B64, EVP_sha512, NULL },
	{ "SSHA", PK_SDIGEST, ENC_B64, EVP_sha1, NULL },
	{ "SSHA256", PK_SDIGEST, ENC_B64, EVP_sha256, NULL },
	{ "SSHA512", PK_SDIGEST, ENC_B64, EVP_sha512, NULL },
	{ "SMD5", PK_SDIGEST, ENC_B64, EVP_md5, NULL },
	{ "PLAIN-MD5", PK_DIGEST, ENC_HEX, EVP_md5, NULL },
	{ "LDAP-MD5", PK_DIGEST, ENC_B64, EVP_md5, NULL },
	{ "CRAM-MD5", PK_CRAM, ENC_HEX, NULL, NULL },
	{ "HMAC-MD5", PK_CRAM, ENC_HEX, NULL, NULL },
};
#define SCHEME_COUNT (sizeof(schemes) / sizeof(schemes[0]))

/* Bare crypt strings (no {SCHEME}) and the scheme each prefix means. */
static const struct { const char *prefix; const char *scheme; } bare_prefixes[] = {
	{ "$1$", "MD5-CRYPT" },	     { "$5$", "SHA256-CRYPT" }, { "$6$", "SHA512-CRYPT" },
	{ "$2a$", "BLF-CRYPT" },     { "$2b$", "BLF-CRYPT" },	{ "$2y$", "BLF-CRYPT" },
	{ "$argon2i$", "ARGON2I" }, { "$argon2id$", "ARGON2ID" },
};

#define SCHEME_NAME_MAX 32
#define SSHA_SALT_LEN 16

/* A parsed scheme name: the table entry and the encoding to use. */
struct pw_spec {
	const struct pw_scheme *s;
	enum pw_enc enc;
	bool enc_explicit;
};

static bool name_eq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

/* Parse "NAME" or "NAME.B64|.BASE64|.HEX" (len bytes). Returns 0 or -1. */
static int spec_parse(const char *name, size_t len, struct pw_spec *spec_r)
{
	const char *dot = memchr(name, '.', len);
	size_t base_len = dot ? (size_t)(dot - name) : len;

	spec_r->enc_explicit = dot != NULL;
	if (dot) {
		const char *suf = dot + 1;
		size_t suf_len = len - base_len - 1;

		if (name_eq(suf, suf_len, "B64") || name_eq(suf, suf_len, "BASE64"))
			spec_r->enc = ENC_B64;
		else if (name_eq(suf, suf_len, "HEX"))
			spec_r->enc = ENC_HEX;
		else
			return -1;
	}
	for (size_t i = 0; i < SCHEME_COUNT; i++) {
		if (name_eq(name, base_len, schemes[i].name)) {
			spec_r->s = &schemes[i];
			if (!dot)
				spec_r->enc = schemes[i].enc;
			return 0;
		}
	}
	return -1;
}

/* Split stored into its scheme and data. Returns 0, or -1 for an unknown
 * scheme (explicit or default). */
static int stored_split(const char *stored, const char *default_scheme,
			struct pw_spec *spec_r, const char **data_r)
{
	if (stored[0] == '{') {
		const char *end = strchr(stored, '}');

		if (end && end - stored - 1 <= SCHEME_NAME_MAX &&
		    strcspn(stored + 1, "${ \t") >= (size_t)(end - stored - 1)) {
			*data_r = end + 1;
			return spec_parse(stored + 1, (size_t)(end - stored - 1), spec_r);
		}
	}
	*data_r = stored;
	for (size_t i = 0; i < sizeof(bare_prefixes) / sizeof(bare_prefixes[0]); i++) {
		const char *p = bare_prefixes[i].prefix;

		if (strncmp(stored, p, strlen(p)) == 0)
			return spec_parse(bare_prefixes[i].scheme,
					  strlen(bare_prefixes[i].scheme), spec_r);
	}
	if (!default_scheme)
		default_scheme = "PLAIN";
	return spec_parse(default_scheme, strlen(default_scheme), spec_r);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode data (len bytes) in enc into a new NUL-terminated heap buffer.
 * Returns it with its length in *len_r, or NULL when malformed. */
static unsigned char *data_decode(const char *data, size_t len, enum pw_enc enc, size_t *len_r)
{
	unsigned char *out = malloc(len + 1);
	long n = -1;

	if (!out)
		return NULL;
	if (enc == ENC_NONE) {
		memcpy(out, data, len);
		n = (long)len;
	} else if (enc == ENC_B64) {
		n = ipc_base64_decode(data, len, out);
	} else if (len % 2 == 0) {
		for (n = 0; (size_t)n < len / 2; n++) {
			int hi = hexval(data[2 * n]), lo = hexval(data[2 * n + 1]);

			if (hi < 0 || lo < 0) {
				n = -1;
				break;
			}
			out[n] = (unsigned char)(hi << 4 | lo);
		}
	}
	if (n < 0) {
		sodium_memzero(out, len + 1);
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*len_r = (size_t)n;
	return out;
}

static void secret_free(void *p, size_t len)
{
	if (p) {
		sodium_memzero(p, len);
		free(p);
	}
}

static enum pw_result verify_plain(const unsigned char *raw, size_t rawlen, const char *pw,
				   size_t len)
{
	if (rawlen != len)
		return PW_MISMATCH;
	return sodium_memcmp(raw, pw, len) == 0 ? PW_MATCH : PW_MISMATCH;
}

static enum pw_result verify_crypt(const char *raw, size_t rawlen, const char *pw, size_t len)
{
	struct crypt_data *cd;
	char *phrase;
	const char *out;
	enum pw_result ret;

	if (memchr(pw, '\0', len) || len > CRYPT_MAX_PASSPHRASE_SIZE)
		return PW_MISMATCH;
	if (strlen(raw) != rawlen || rawlen == 0)
		return PW_MALFORMED;
	cd = calloc(1, sizeof(*cd));
	phrase = malloc(len + 1);
	if (!cd || !phrase) {
		free(cd);
		free(phrase);
		return PW_MALFORMED;
	}
	memcpy(phrase, pw, len);
	phrase[len] = '\0';
	out = crypt_r(phrase, raw, cd);
	if (!out || out[0] == '*' || strlen(out) != rawlen)
		ret = PW_MALFORMED; /* same length for every password: not a leak */
	else
		ret = sodium_memcmp(out, raw, rawlen) == 0 ? PW_MATCH : PW_MISMATCH;
	secret_free(phrase, len + 1);
	secret_free(cd, sizeof(*cd));
	return ret;
}

static enum pw_result verify_argon2(const char *raw, size_t rawlen, const char *pw, size_t len)
{
	if (strlen(raw) != rawlen)
		return PW_MALFORMED;
	if (strncmp(raw, "$argon2i$", 9) != 0 && strncmp(raw, "$argon2id$", 10) != 0)
		return PW_MALFORMED;
	/* needs_rehash parses the string fully: -1 means it is not valid. */
	if (crypto_pwhash_str_needs_rehash(raw, crypto_pwhash_OPSLIMIT_INTERACTIVE,
					   crypto_pwhash_MEMLIMIT_INTERACTIVE) < 0)
		return PW_MALFORMED;
	return crypto_pwhash_str_verify(raw, pw, len) == 0 ? PW_MATCH : PW_MISMATCH;
}

/* digest(password + salt) into md (EVP_MAX_MD_SIZE); returns its length or 0. */
static unsigned digest(const EVP_MD *type, const void *pw, size_t len, const void *salt,
		       size_t salt_len, unsigned char *md)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned mdlen = 0;

	if (!ctx)
		return 0;
	if (EVP_DigestInit_ex(ctx, type, NULL) != 1 || EVP_DigestUpdate(ctx, pw, len) != 1 ||
	    (salt_len && EVP_DigestUpdate(ctx, salt, salt_len) != 1) ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		mdlen = 0;
	EVP_MD_CTX_free(ctx);
	return mdlen;
}

static enum pw_result verify_digest(const struct pw_scheme *s, const unsigned char *raw,
				    size_t rawlen, const char *pw, size_t len)
{
	const EVP_MD *type = s->md();
	size_t mdsize = (size_t)EVP_MD_get_size(type);
	unsigned char md[EVP_MAX_MD_SIZE];
	enum pw_result ret;

	if (s->kind == PK_DIGEST ? rawlen != mdsize : rawlen <= mdsize)
		return PW_MALFORMED;
	if (digest(type, pw, len, raw + mdsize, rawlen - mdsize, md) != mdsize)
		return PW_MALFORMED;
	ret = sodium_memcmp(md, raw, mdsize) == 0 ? PW_MATCH : PW_MISMATCH;
	sodium_memzero(md, sizeof(md));
	return ret;
}

/* CRAM-MD5: the HMAC-MD5 context of the candidate against the stored one.
 * HMAC pads keys with zeros, so "pw" and "pw\0" would share a context: a
 * password with a NUL never matches (as with crypt). */
static enum pw_result verify_cram(const unsigned char *raw, size_t rawlen, const char *pw,
				  size_t len)
{
	unsigned char ctx[CRAM_MD5_CONTEXT_LEN];
	enum pw_result ret;

	if (rawlen != CRAM_MD5_CONTEXT_LEN)
		return PW_MALFORMED;
	if (memchr(pw, '\0', len))
		return PW_MISMATCH;
	cram_md5_context(pw, len, ctx);
	ret = sodium_memcmp(ctx, raw, sizeof(ctx)) == 0 ? PW_MATCH : PW_MISMATCH;
	sodium_memzero(ctx, sizeof(ctx));
	return ret;
}

/* Unsalted digests with the default encoding: hex when the length says so
 * (Dovecot accepts both for these), else the scheme's default. */
static enum pw_enc digest_guess_enc(const struct pw_spec *spec, size_t datalen)
{
	if (spec->enc_explicit || spec->s->kind != PK_DIGEST)
		return spec->enc;
	return datalen == 2 * (size_t)EVP_MD_get_size(spec->s->md()) ? ENC_HEX : ENC_B64;
}

enum pw_result pw_verify(const char *stored, const char *password, size_t len,
			 const char *default_scheme, const char *user, const char **scheme_r)
{
	struct pw_spec spec;
	const char *data;
	unsigned char *raw;
	size_t rawlen = 0, datalen;
	enum pw_result ret = PW_MALFORMED;

	(void)user;
	if (scheme_r)
		*scheme_r = "UNKNOWN";
	if (!stored || (!password && len > 0))
		return PW_MALFORMED;
	if (!password)
		password = "";
	if (sodium_init() < 0)
		return PW_MALFORMED;
	if (stored_split(stored, default_scheme, &spec, &data) < 0)
		return PW_UNKNOWN_SCHEME;
	if (scheme_r)
		*scheme_r = spec.s->name;
	datalen = strlen(data);
	raw = data_decode(data, datalen, digest_guess_enc(&spec, datalen), &rawlen);
	if (!raw)
		return PW_MALFORMED;
	switch (spec.s->kind) {
	case PK_PLAIN:
		ret = verify_plain(raw, rawlen, password, len);
		break;
	case PK_CRYPT:
		ret = verify_crypt((const char *)raw, rawlen, password, len);
		break;
	case PK_ARGON2I:
	case PK_ARGON2ID:
		ret = verify_argon2((const char *)raw, rawlen, password, len);
		break;
	case PK_DIGEST:
	case PK_SDIGEST:
		ret = verify_digest(spec.s, raw, rawlen, password, len);
		break;
	case PK_CRAM:
		ret = verify_cram(raw, rawlen, password, len);
		break;
	}
	secret_free(raw, rawlen + 1);
	return ret;
}

/* Make the raw hash (before encoding) of pw into *raw (a secret buf). */
static int make_raw(const struct pw_scheme *s, const char *pw, struct buf *raw)
{
	size_t len = strlen(pw);

	switch (s->kind) {
	case PK_PLAIN:
		buf_append(raw, pw, len);
		return 0;
	case PK_CRYPT: {
		char setting[CRYPT_GENSALT_OUTPUT_SIZE];
		struct crypt_data *cd;
		const char *out;
		bool blf = strcmp(s->prefix, "$2b$") == 0;
		int ret = -1;

		if (len > CRYPT_MAX_PASSPHRASE_SIZE ||
		    !crypt_gensalt_rn(s->prefix, blf ? 10 : 0, NULL, 0, setting,
				      sizeof(setting)))
			return -1;
		if (blf)
			setting[2] = 'y'; /* PHP's and PostfixAdmin's $2y$ */
		if (!(cd = calloc(1, sizeof(*cd))))
			return -1;
		out = crypt_r(pw, setting, cd);
		if (out && out[0] != '*') {
			buf_append_str(raw, out);
			ret = 0;
		}
		secret_free(cd, sizeof(*cd));
		return ret;
	}
	case PK_ARGON2I:
	case PK_ARGON2ID: {
		char out[crypto_pwhash_STRBYTES];
		int r = s->kind == PK_ARGON2I
				? crypto_pwhash_argon2i_str(out, pw, len,
							    crypto_pwhash_argon2i_OPSLIMIT_INTERACTIVE,
							    crypto_pwhash_argon2i_MEMLIMIT_INTERACTIVE)
				: crypto_pwhash_argon2id_str(out, pw, len,
							     crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
							     crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE);
		if (r == 0)
			buf_append_str(raw, out);
		return r == 0 ? 0 : -1;
	}
	case PK_DIGEST:
	case PK_SDIGEST: {
		unsigned char md[EVP_MAX_MD_SIZE + SSHA_SALT_LEN];
		size_t salt_len = s->kind == PK_SDIGEST ? SSHA_SALT_LEN : 0;
		unsigned char salt[SSHA_SALT_LEN];
		unsigned mdlen;

		randombytes_buf(salt, sizeof(salt));
		mdlen = digest(s->md(), pw, len, salt, salt_len, md);
		if (mdlen == 0)
			return -1;
		memcpy(md + mdlen, salt, salt_len);
		buf_append(raw, md, mdlen + salt_len);
		sodium_memzero(md, sizeof(md));
		return 0;
	}
	case PK_CRAM: {
		unsigned char ctx[CRAM_MD5_CONTEXT_LEN];

		cram_md5_context(pw, len, ctx);
		buf_append(raw, ctx, sizeof(ctx));
		sodium_memzero(ctx, sizeof(ctx));
		return 0;
	}
	}
	return -1;
}

static void hex_encode(struct buf *out, const unsigned char *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		buf_append_char(out, hex[in[i] >> 4]);
		buf_append_char(out, hex[in[i] & 15]);
	}
}

int pw_make(const char *scheme, const char *password, char *out, size_t outsize)
{
	struct pw_spec spec;
	struct buf raw, enc;
	const char *dot;
	int ret = -1;

	if (!scheme || !password || sodium_init() < 0 ||
	    spec_parse(scheme, strlen(scheme), &spec) < 0)
		return -1;
	if (spec.s->kind == PK_CRYPT && !spec.s->prefix)
		return -1; /* "CRYPT" names no algorithm to make */
	buf_init(&raw, 0);
	buf_init(&enc, 0);
	/* Reserve once so no realloc leaves a copy of a secret behind. */
	buf_reserve(&raw, strlen(password) + 256);
	buf_reserve(&enc, 2 * strlen(password) + 512);
	dot = strchr(scheme, '.');
	buf_printf(&enc, "{%s%s", spec.s->name, dot ? dot : "");
	for (size_t i = 0; i < enc.len; i++)
		if (enc.data[i] >= 'a' && enc.data[i] <= 'z')
			enc.data[i] = (char)(enc.data[i] - 'a' + 'A');
	buf_append_char(&enc, '}');
	if (make_raw(spec.s, password, &raw) == 0 && !buf_error(&raw)) {
		if (spec.enc == ENC_B64)
			ipc_base64_encode(&enc, (const unsigned char *)raw.data, raw.len);
		else if (spec.enc == ENC_HEX)
			hex_encode(&enc, (const unsigned char *)raw.data, raw.len);
		else
			buf_append(&enc, raw.data, raw.len);
		if (!buf_error(&enc) && enc.len < outsize) {
			memcpy(out, enc.data, enc.len + 1);
			ret = 0;
		}
	}
	if (raw.data)
		sodium_memzero(raw.data, raw.cap);
	if (enc.data)
		sodium_memzero(enc.data, enc.cap);
	buf_free(&raw);
	buf_free(&enc);
	return ret;
}

bool pw_is_expensive(const char *stored, const char *default_scheme)
{
	struct pw_spec spec;
	const char *data;
	if (stored == NULL || stored_split(stored, default_scheme, &spec, &data) < 0)
		return false; /* unknown: answered at once, without hashing */
	return spec.s->kind == PK_CRYPT || spec.s->kind == PK_ARGON2I ||
	       spec.s->kind == PK_ARGON2ID;
}

const char *pw_scheme_list(void)
{
	return "PLAIN CLEAR CLEARTEXT CRYPT MD5-CRYPT SHA256-CRYPT SHA512-CRYPT BLF-CRYPT "
	       "ARGON2I ARGON2ID SHA SHA1 SHA256 SHA512 SSHA SSHA256 SSHA512 SMD5 PLAIN-MD5 "
	       "LDAP-MD5 CRAM-MD5 HMAC-MD5";
}
