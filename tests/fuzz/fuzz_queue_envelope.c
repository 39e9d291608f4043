/* fuzz_queue_envelope: libFuzzer harness for queue/envelope.c, the spool
 * trailer codec. Byte 0 picks the mode: even = the rest is a whole spool
 * file (qenv_locate on its tail, then qenv_decode); odd = the rest is a
 * trailer without its end line, decoded with its true CRC and the size its
 * "size" record claims (the fuzzer cannot forge CRCs).
 * Invariants checked: locate's sizes add up to the file size; a decoded
 * envelope is complete (id, sender, client, >= 1 recipient, size); its
 * encoding locates and decodes back to an equal envelope. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "envelope.h"
#include "qid.h"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_queue_envelope: invariant failed: %s\n", what);
		abort();
	}
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool qenv_eq(const struct qenv *a, const struct qenv *b)
{
	if (strcmp(a->id, b->id) != 0 || a->size != b->size || a->arrival != b->arrival ||
	    !str_eq(a->sender, b->sender) || !str_eq(a->ret, b->ret) ||
	    !str_eq(a->envid, b->envid) || !str_eq(a->body, b->body) ||
	    a->smtputf8 != b->smtputf8 || !str_eq(a->client_ip, b->client_ip) ||
	    !str_eq(a->helo, b->helo) || !str_eq(a->proto, b->proto) || a->nrcpt != b->nrcpt)
		return false;
	for (size_t i = 0; i < a->nrcpt; i++)
		if (!str_eq(a->rcpt[i].address, b->rcpt[i].address) ||
		    !str_eq(a->rcpt[i].orcpt, b->rcpt[i].orcpt) ||
		    !str_eq(a->rcpt[i].notify, b->rcpt[i].notify))
			return false;
	return true;
}

/* e decoded: check it, encode it, locate + decode the encoding. */
static void round_trip(const struct qenv *e, uint64_t data_size)
{
	char err[128];
	check(qid_valid(e->id) && e->sender && e->client_ip && e->helo && e->proto &&
		      e->nrcpt > 0 && e->size == data_size,
	      "decoded envelope is complete");
	for (size_t i = 0; i < e->nrcpt; i++)
		check(e->rcpt[i].address && e->rcpt[i].address[0] &&
			      (!e->rcpt[i].orcpt || e->rcpt[i].orcpt[0]) &&
			      (!e->rcpt[i].notify || e->rcpt[i].notify[0]),
		      "recipients well formed");
	struct buf b;
	buf_init(&b, 0);
	qenv_encode(e, &b);
	check(!buf_error(&b) && b.len > 0 && b.data[b.len - 1] == '\n', "encoded");
	/* the encoding is the tail of a file of data_size + b.len bytes */
	uint64_t dsize, tlen;
	uint32_t crc;
	check(qenv_locate(b.data, b.len, data_size + b.len, &dsize, &tlen, &crc) == 0,
	      "encoding locates");
	check(dsize == data_size && tlen < b.len, "located sizes");
	size_t tail = b.len < QENV_END_MAX ? b.len : QENV_END_MAX;
	uint64_t d2, t2;
	uint32_t c2;
	check(qenv_locate(b.data + b.len - tail, tail, data_size + b.len, &d2, &t2, &c2) == 0 &&
		      d2 == dsize && t2 == tlen && c2 == crc,
	      "a QENV_END_MAX tail locates the same");
	struct qenv e2;
	check(qenv_decode(b.data, (size_t)tlen, crc, dsize, &e2, err, sizeof(err)) == 0,
	      "encoding decodes");
	check(qenv_eq(e, &e2), "decode(encode(e)) == e");
	qenv_free(&e2);
	buf_free(&b);
}

static void whole_file(const char *in, size_t len)
{
	uint64_t dsize, tlen;
	uint32_t crc;
	size_t taillen = len < QENV_END_MAX ? len : QENV_END_MAX;
	if (qenv_locate(in + len - taillen, taillen, len, &dsize, &tlen, &crc) < 0)
		return;
	check(dsize <= len && tlen <= len - dsize && dsize + tlen < len, "sizes add up");
	struct qenv e;
	char err[128];
	if (qenv_decode(in + dsize, (size_t)tlen, crc, dsize, &e, err, sizeof(err)) < 0) {
		check(e.nrcpt == 0 && e.rcpt == NULL && e.sender == NULL, "a failed decode is empty");
		return;
	}
	round_trip(&e, dsize);
	qenv_free(&e);
}

/* The size the trailer's first "size\t<n>" record claims, or 0. */
static uint64_t claimed_size(const char *t, size_t len)
{
	for (const char *p = t; p && p < t + len;) {
		if ((size_t)(t + len - p) > 5 && memcmp(p, "size\t", 5) == 0)
			return strtoull(p + 5, NULL, 10);
		p = memchr(p, '\n', (size_t)(t + len - p));
		p = p ? p + 1 : NULL;
	}
	return 0;
}

static void trailer(const char *in, size_t len)
{
	struct qenv e;
	char err[128];
	char *copy = malloc(len + 1); /* strtoull needs a terminator */
	check(copy != NULL, "out of memory");
	memcpy(copy, in, len);
	copy[len] = '\0';
	uint64_t size = claimed_size(copy, len);
	if (qenv_decode(copy, len, qcrc32(0, copy, len), size, &e, err, sizeof(err)) == 0) {
		round_trip(&e, size);
		qenv_free(&e);
	} else {
		check(err[0] != '\0', "a failed decode says why");
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	const char *in = (const char *)data + 1;
	if (data[0] & 1)
		trailer(in, size - 1);
	else
		whole_file(in, size - 1);
	return 0;
}
