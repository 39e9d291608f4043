/* lmtp_client: an asynchronous LMTP (RFC 2033) client on the event loop,
 * one connection per object, one transaction at a time, reused for the
 * next. A transaction is pipelined (RFC 2033 makes PIPELINING mandatory):
 * MAIL FROM (SIZE, RET, ENVID, BODY, SMTPUTF8 when advertised), one RCPT
 * per recipient (XTERNID=<id> when the server advertises XTERNID), DATA;
 * then the data region of a file, read with pread and dot-stuffed on the
 * fly (it must already have CRLF line ends), and one reply per accepted
 * recipient.
 * Invariants: every recipient gets a result exactly once: the server's
 * reply, or code 0 when there was none (then `unknown` says whether the
 * message data had been sent completely, i.e. whether the recipient may
 * have been delivered); the done callback runs on the loop, never inside
 * lmtp_client_send; every wait is bounded by timeout_ms; a connection
 * whose transaction did not end cleanly is closed, never reused. */
#ifndef TERN_LMTP_CLIENT_H
#define TERN_LMTP_CLIENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev.h"
#include "net.h"

#define LMTP_REPLY_MAX 512

struct lmtp_client;

struct lmtp_rcpt {
	const char *address;
	const char *xternid; /* XTERNID parameter value, NULL = none */
	int code;	     /* result: the reply code, 0 = no reply */
	bool unknown;	     /* code 0 after the whole data was sent */
	char text[LMTP_REPLY_MAX]; /* the reply ("550 5.1.1 ...") or our reason */
};

struct lmtp_txn {
	const char *sender;   /* "" = null sender */
	uint64_t size;	      /* SIZE= (when advertised) */
	const char *ret;      /* RET= (DSN) or NULL */
	const char *envid;    /* ENVID= (DSN; sent xtext-encoded) or NULL */
	const char *body;     /* BODY= (8BITMIME) or NULL */
	bool smtputf8;
	int fd;		      /* message data: bytes [0, len) of fd */
	uint64_t len;
	size_t nrcpt;
	struct lmtp_rcpt *rcpt;
};

typedef void lmtp_done_cb(struct lmtp_client *c, struct lmtp_txn *t, void *ctx);

/* A client for the LMTP server at addr (connected on first use); lhlo is
 * our name in LHLO. */
struct lmtp_client *lmtp_client_new(struct ev_loop *loop, const struct net_addr *addr,
				    const char *lhlo, uint64_t timeout_ms);
/* Close and free; a transaction in flight is dropped without its callback. */
void lmtp_client_free(struct lmtp_client **cp);
/* Start a transaction (t must stay valid until cb). 0, or -1 when the
 * client is busy or dead. Results go into t->rcpt[]. */
int lmtp_client_send(struct lmtp_client *c, struct lmtp_txn *t, lmtp_done_cb *cb, void *ctx);
/* A transaction is in flight. */
bool lmtp_client_busy(const struct lmtp_client *c);
/* The connection failed or was closed: free this client, make another. */
bool lmtp_client_dead(const struct lmtp_client *c);
/* The server advertised this LHLO keyword (case-insensitive). */
bool lmtp_client_has(const struct lmtp_client *c, const char *ext);
/* Append s xtext-encoded (RFC 3461) to out (size outsize; cut to fit). */
void lmtp_xtext(const char *s, char *out, size_t outsize);

#endif
