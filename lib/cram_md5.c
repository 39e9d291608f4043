/* cram_md5: Dovecot's CRAM-MD5 password context, i.e. the MD5 chaining
 * state after one 64-byte block of key^opad and of key^ipad. MD5's block
 * function is written out here because OpenSSL 3 exposes the chaining
 * state only through deprecated interfaces.
 * Invariants: no heap use; the padded key, the schedule and the hashed
 * long key are wiped before return. */
#include "cram_md5.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#define MD5_BLOCK 64

static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
	0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
	0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
	0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
	0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
	0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
	0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
	0xeb86d391,
};
static const unsigned char md5_r[64] = {
	7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
	5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
	4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
	6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
};

static uint32_t rol32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

/* MD5's compression of one block into the initial state, result in st. */
static void md5_first_block(const unsigned char block[MD5_BLOCK], uint32_t st[4])
{
	uint32_t m[16], a = 0x67452301, b = 0xefcdab89, c = 0x98badcfe, d = 0x10325476;

	for (int i = 0; i < 16; i++)
		m[i] = (uint32_t)block[4 * i] | (uint32_t)block[4 * i + 1] << 8 |
		       (uint32_t)block[4 * i + 2] << 16 | (uint32_t)block[4 * i + 3] << 24;
	for (unsigned i = 0; i < 64; i++) {
		uint32_t f, t;
		unsigned g;

		if (i < 16) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (i < 32) {
			f = (d & b) | (~d & c);
			g = (5 * i + 1) % 16;
		} else if (i < 48) {
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
		}
		t = d;
		d = c;
		c = b;
		b = b + rol32(a + f + md5_k[i] + m[g], md5_r[i]);
		a = t;
	}
	st[0] = 0x67452301 + a;
	st[1] = 0xefcdab89 + b;
	st[2] = 0x98badcfe + c;
	st[3] = 0x10325476 + d;
	sodium_memzero(m, sizeof(m));
}

static void put_le32(unsigned char *p, const uint32_t st[4])
{
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			p[4 * i + j] = (unsigned char)(st[i] >> (8 * j));
}

void cram_md5_context(const void *key, size_t len, unsigned char out[CRAM_MD5_CONTEXT_LEN])
{
	unsigned char k[MD5_BLOCK] = { 0 }, block[MD5_BLOCK];
	unsigned int mdlen = 0;
	uint32_t st[4];

	if (len > MD5_BLOCK) {
		if (EVP_Digest(key, len, k, &mdlen, EVP_md5(), NULL) != 1)
			memset(k, 0, sizeof(k)); /* cannot happen with OpenSSL's md5 */
	} else if (len > 0) {
		memcpy(k, key, len);
	}
	for (int i = 0; i < MD5_BLOCK; i++)
		block[i] = k[i] ^ 0x5c;
	md5_first_block(block, st);
	put_le32(out, st);
	for (int i = 0; i < MD5_BLOCK; i++)
		block[i] = k[i] ^ 0x36;
	md5_first_block(block, st);
	put_le32(out + 16, st);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(block, sizeof(block));
	sodium_memzero(st, sizeof(st));
}
