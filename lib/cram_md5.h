/* cram_md5: the HMAC-MD5 key "context" Dovecot's {CRAM-MD5} (alias
 * HMAC-MD5) password scheme stores: the MD5 chaining state after the
 * key^opad block, then after the key^ipad block, 4 words each, little-
 * endian (Dovecot src/lib/hmac-cram-md5.c). It lets a server answer
 * CRAM-MD5 without the plain password; here it is one more hash to verify.
 * Invariants: no heap use; every buffer that held key material is wiped. */
#ifndef TERN_CRAM_MD5_H
#define TERN_CRAM_MD5_H
#include <stddef.h>

#define CRAM_MD5_CONTEXT_LEN 32

/* The context of key (len bytes, any bytes; keys over 64 bytes are first
 * hashed with MD5, as HMAC does) into out. */
void cram_md5_context(const void *key, size_t len, unsigned char out[CRAM_MD5_CONTEXT_LEN]);

#endif
