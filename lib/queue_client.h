/* queue_client: a message source's side of lib/queue_proto.h (smtpd, later
 * submission and the sendmail injector) on the event loop.
 * Design: one UNIX connection per transaction (BEGIN .. COMMIT), opened
 * by queue_txn_begin and closed by queue_txn_free; a connect to a local
 * socket costs microseconds, and no state survives a failed transaction.
 * The message bytes go through a 64 KiB buffer straight into the spool
 * file the queue passed (written once, never read back).
 * Invariants: callbacks run from the loop, never inside the call that
 * started the step, and never after queue_txn_free; each step's callback
 * runs exactly once; a lost connection, a malformed reply or a timeout is
 * QUEUE_TEMP; the caller owns the txn and always frees it (which sends
 * ABORT when it was not committed, so nothing is queued). */
#ifndef TERN_QUEUE_CLIENT_H
#define TERN_QUEUE_CLIENT_H
#include <stddef.h>
#include <stdint.h>

#include "ev.h"

struct queue_txn;

enum queue_result { QUEUE_OK = 0, QUEUE_TEMP = -1, QUEUE_PERM = -2 };

/* text: the queue id for QUEUE_OK, else the reason. Valid during the call. */
typedef void queue_cb(enum queue_result r, const char *text, void *ctx);

/* Connect to the queue's submit socket and send BEGIN; cb gets OK (the
 * spool file is open: MAIL, RCPT and write may follow) or TEMP. proto is
 * SMTP, ESMTP, ESMTPS, ... NULL only when out of memory. */
struct queue_txn *queue_txn_begin(struct ev_loop *loop, const char *socket_path,
				  uint64_t timeout_ms, const char *client_ip, const char *helo,
				  const char *proto, queue_cb *cb, void *ctx);
/* Envelope lines; kv are "key=value" (or bare "key") fields, lowercase keys
 * as queue_proto.h names them. No reply (errors surface at COMMIT). */
void queue_txn_mail(struct queue_txn *t, const char *sender, const char *const *kv, size_t n);
void queue_txn_rcpt(struct queue_txn *t, const char *address, const char *const *kv, size_t n);
/* Message bytes, appended to the spool file. 0, or -1 once any write has
 * failed (sticky; the commit then fails with TEMP without COMMIT). */
int queue_txn_write(struct queue_txn *t, const void *data, size_t len);
/* Bytes written so far. */
uint64_t queue_txn_size(const struct queue_txn *t);
/* Flush, close the file, send COMMIT; cb gets OK (durable: say 250 now),
 * TEMP or PERM. */
void queue_txn_commit(struct queue_txn *t, queue_cb *cb, void *ctx);
/* The queue id once BEGIN succeeded, else "". */
const char *queue_txn_id(const struct queue_txn *t);
/* Abort (unless committed) and free; *tp = NULL. Safe inside callbacks. */
void queue_txn_free(struct queue_txn **tp);

/* The queue's submit socket: the "submit" listener of service queue in
 * conf, as an absolute path into out. 0, or -1 when not configured. */
struct conf;
int queue_submit_path(const struct conf *conf, char *out, size_t outsize);

#endif
