/* qid: queue id generation and encoding, and a table-driven CRC-32 (see
 * qid.h). Invariants: encode/decode are exact inverses on 60-bit values;
 * qid_next never returns the same value twice for one generator; the CRC
 * table is built once (pthread_once), so qcrc32 is thread-safe. */
#include <pthread.h>
#include <string.h>

#include "qid.h"

static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
#define QID_MASK ((UINT64_C(1) << 60) - 1)

uint64_t qid_next(struct qid_gen *g, uint64_t now_us)
{
	uint64_t v = now_us & QID_MASK;
	if (v <= g->last)
		v = (g->last + 1) & QID_MASK;
	g->last = v;
	return v;
}

void qid_encode(uint64_t v, char out[QID_SIZE])
{
	for (int i = QID_LEN - 1; i >= 0; i--) {
		out[i] = b32[v & 31];
		v >>= 5;
	}
	out[QID_LEN] = '\0';
}

int qid_decode(const char *s, uint64_t *v_r)
{
	uint64_t v = 0;
	for (size_t i = 0; i < QID_LEN; i++) {
		const char *p = s[i] ? strchr(b32, s[i]) : NULL;
		if (p == NULL)
			return -1;
		v = (v << 5) | (uint64_t)(p - b32);
	}
	if (s[QID_LEN] != '\0')
		return -1;
	*v_r = v;
	return 0;
}

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t qcrc32(uint32_t crc, const void *data, size_t len)
{
	const unsigned char *p = data;
	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
