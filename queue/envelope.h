/* envelope: a queued message's envelope and its on-disk trailer.
 * A spool file is the message data (CRLF lines, as the source wrote it)
 * followed by the trailer the queue appends at COMMIT:
 *     TERNQ\t1\n  id\t..\n  arrival\t<unix secs>\n  size\t<data bytes>\n
 *     sender\t..\n  [ret\t..\n] [envid\t..\n] [body\t..\n] [smtputf8\t1\n]
 *     client\t<ip>\t<helo>\t<proto>\n  rcpt\t<address>\t<orcpt>\t<notify>\n ...
 *     end\t<data bytes>\t<trailer bytes>\t<crc32 of the trailer, 8 hex>\n
 * Fields are tab-escaped (ipc.h). The end line is the file's last line and
 * locates the trailer, so a reader validates a file from its tail: the
 * sizes must add up to the file size, the CRC must match, the records must
 * parse. A file without a valid trailer was never committed. */
#ifndef TERN_QUEUE_ENVELOPE_H
#define TERN_QUEUE_ENVELOPE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "qid.h"

#define QENV_TRAILER_MAX (32u << 20) /* 10,000 long recipients fit */
#define QENV_END_MAX 80		     /* longest end line */

struct qenv_rcpt {
	char *address;
	char *orcpt;  /* DSN ORCPT as given ("rfc822;a@b"), NULL = none */
	char *notify; /* DSN NOTIFY ("NEVER", "SUCCESS,FAILURE"...), NULL = none */
};

struct qenv {
	char id[QID_SIZE];
	uint64_t size;	 /* bytes of message data at the start of the file */
	int64_t arrival; /* unix seconds */
	char *sender;	 /* "" = null sender */
	char *ret;	 /* FULL or HDRS, NULL = not given */
	char *envid;
	char *body;
	bool smtputf8;
	char *client_ip, *helo, *proto;
	size_t nrcpt;
	struct qenv_rcpt *rcpt;
};

void qenv_init(struct qenv *e);
void qenv_free(struct qenv *e);
/* Replace *dst with a copy of s (NULL allowed). 0 or -1 (ENOMEM). */
int qenv_set(char **dst, const char *s);
/* Append a recipient (orcpt/notify may be NULL). 0 or -1. */
int qenv_add_rcpt(struct qenv *e, const char *address, const char *orcpt, const char *notify);

/* Append e's trailer, end line included, to out (check buf_error). */
void qenv_encode(const struct qenv *e, struct buf *out);
/* The end line from the last bytes of a file of file_size bytes (tail
 * holds its final taillen bytes): the data size, trailer length and CRC.
 * 0, or -1 when there is no well-formed end line or the sizes do not add
 * up to file_size. */
int qenv_locate(const char *tail, size_t taillen, uint64_t file_size, uint64_t *data_size_r,
		uint64_t *trailer_len_r, uint32_t *crc_r);
/* Parse trailer bytes (without the end line) into e (initialized, empty),
 * checking the CRC and that the size record equals data_size. 0, or -1
 * with a reason in err (e then holds nothing: it is freed). */
int qenv_decode(const char *t, size_t len, uint32_t crc, uint64_t data_size, struct qenv *e,
		char *err, size_t errsize);
/* Both, on an open spool file. 0, or -1 with a reason. */
int qenv_read_fd(int fd, struct qenv *e, char *err, size_t errsize);

#endif
