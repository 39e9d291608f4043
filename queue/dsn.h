/* dsn: delivery status notifications (RFC 3464) and the retry policy.
 * dsn_compose writes a complete bounce message (CRLF line ends, lines
 * under 1000 bytes) in multipart/report form: a human-readable part, a
 * message/delivery-status part with one block per failed recipient, and
 * the original message (message/rfc822) or its header
 * (text/rfc822-headers). queue_backoff is Postfix's schedule. */
#ifndef TERN_QUEUE_DSN_H
#define TERN_QUEUE_DSN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct dsn_rcpt {
	const char *final;  /* Final-Recipient address */
	const char *orcpt;  /* ORCPT as given ("rfc822;a@b") or NULL */
	const char *status; /* "5.1.1" */
	const char *diag;   /* the remote reply or our reason, or NULL */
};

struct dsn_input {
	const char *hostname; /* Reporting-MTA and From: MAILER-DAEMON@ */
	const char *qid;      /* the original's queue id */
	const char *envid;    /* Original-Envelope-Id or NULL */
	const char *sender;   /* the original sender: To: */
	int64_t arrival, now; /* unix seconds */
	bool headers_only;    /* RET=HDRS or the message is too big */
	const char *orig;     /* the original message (CRLF), orig_len bytes */
	size_t orig_len;
	size_t nrcpt;
	const struct dsn_rcpt *rcpt;
};

/* Append the DSN to out. */
void dsn_compose(const struct dsn_input *in, struct buf *out);
/* Length of the header section of a message (up to and including the
 * empty line that ends it; the whole message when there is none). */
size_t dsn_header_len(const char *msg, size_t len);
/* RFC 5322 date of a unix time, in UTC ("Sat, 22 Nov 2025 10:00:00 +0000"). */
void dsn_date(int64_t t, char *out, size_t size);
/* The enhanced status of a reply ("550 5.1.1 text" -> "5.1.1"); when the
 * reply has none, "<class>.0.0" from its code. out holds >= 12 bytes. */
void dsn_status_of(int code, const char *text, char *out, size_t size);

/* Seconds until the next try after `attempts` failed tries (>= 1):
 * min_s doubled per further attempt, at most max_s (and at least min_s). */
uint64_t queue_backoff(uint64_t min_s, uint64_t max_s, unsigned attempts);

#endif
