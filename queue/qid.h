/* qid: queue ids and the CRC32 of spool trailers.
 * A queue id is 12 characters of Crockford base32 (0-9 A-Z without I L O
 * U; ASCII order = numeric order) holding 60 bits: the wall clock in
 * microseconds, made strictly increasing within a process (max(now, last
 * + 1)). Ids therefore sort by arrival, are unique within one queue (a
 * clock stepping back is caught by O_EXCL on the spool file and the next
 * value is tried), and fit a file name and an XTERNID. */
#ifndef TERN_QUEUE_QID_H
#define TERN_QUEUE_QID_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QID_LEN 12
#define QID_SIZE (QID_LEN + 1)

struct qid_gen {
	uint64_t last;
};

/* The next id value for a clock reading now_us: max(now_us, last + 1),
 * kept to 60 bits. */
uint64_t qid_next(struct qid_gen *g, uint64_t now_us);
/* 60-bit value -> 12 characters + NUL. */
void qid_encode(uint64_t v, char out[QID_SIZE]);
/* 12 base32 characters (upper case only) -> value; -1 on anything else
 * (length, alphabet). */
int qid_decode(const char *s, uint64_t *v_r);
static inline bool qid_valid(const char *s)
{
	uint64_t v;
	return qid_decode(s, &v) == 0;
}

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32): start with crc 0 and
 * feed the bytes in pieces. */
uint32_t qcrc32(uint32_t crc, const void *data, size_t len);

#endif
