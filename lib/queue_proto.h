/* queue_proto: the protocol between a message source (smtpd, submission,
 * the sendmail injector) and the queue, on the queue's "submit" UNIX
 * socket. Tab-separated lines (ipc.h escaping), one transaction at a time
 * per connection, and the message data written by the source straight into
 * a spool file whose fd the queue passes over the socket (SCM_RIGHTS), so
 * the bytes are written to disk once.
 *
 *   source -> queue                          queue -> source
 *   BEGIN\t<client-ip>\t<helo>\t<proto>     (proto: SMTP, ESMTP, ESMTPS, ESMTPSA, LOCAL)
 *                                            OK\t<queue-id>   + the spool fd (tag 'F')
 *                                            | TEMP\t<reason>
 *   MAIL\t<sender>\t[key=value ...]         (sender "" = null sender; ret=FULL|HDRS, envid=, size=, body=, smtputf8)
 *   RCPT\t<address>\t[key=value ...]        (orcpt=, notify=NEVER|SUCCESS,FAILURE,DELAY)
 *   ... the source writes the message (CRLF lines, dot-unstuffed, with its
 *   Received: header first) into the fd, at offset 0, and closes its copy
 *   COMMIT\t<size>                           OK\t<queue-id>   (the message and its envelope are
 *                                                              durable: only now may smtpd say 250)
 *                                            | TEMP\t<reason> (e.g. disk full: smtpd says 451/452)
 *                                            | PERM\t<reason>
 *   ABORT                                    (drop the transaction; no reply)
 *
 * Invariants: the queue answers OK to COMMIT only after the spool file
 * (data and envelope) and its directory entry are on disk (fsync), and it
 * batches those fsyncs across concurrent transactions (group commit); a
 * connection that closes before COMMIT leaves nothing queued; <size> must
 * equal the bytes in the file, else PERM. A source never reads the file
 * back. Limits: a line is at most QUEUE_PROTO_MAX_LINE bytes, a
 * transaction at most QUEUE_PROTO_MAX_RCPT recipients. */
#ifndef TERN_QUEUE_PROTO_H
#define TERN_QUEUE_PROTO_H

#define QUEUE_PROTO_MAX_LINE 4096
#define QUEUE_PROTO_MAX_RCPT 10000
#define QUEUE_PROTO_FD_TAG 'F'

#endif
