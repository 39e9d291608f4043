/* conn_impl: struct conn and the internals shared by conn.c (buffers, lines,
 * the loop) and conn_tls.c (TLS on a conn). Not for use outside lib/conn*.
 * TLS states: OFF (plaintext) -> FLUSHING (the plaintext output queued
 * before conn_start_tls is written; nothing is read) -> HANDSHAKE (only the
 * handshake runs; output queued meanwhile waits) -> ON (all I/O through
 * `ssl`). Input buffered before FLUSHING is discarded, never delivered. */
#ifndef TERN_CONN_IMPL_H
#define TERN_CONN_IMPL_H
#include <sys/types.h>
#include <openssl/ssl.h>

#include "conn.h"
#include "tls.h"

enum conn_tls_state { CONN_TLS_OFF, CONN_TLS_FLUSHING, CONN_TLS_HANDSHAKE, CONN_TLS_ON };

struct conn {
	struct ev_loop *loop;
	int fd;
	char *peer;
	struct conn_handlers h;
	void *ctx;
	size_t max_line;
	uint64_t timeout_ms, last_active, timer_id, kick_id;
	struct buf in, out;
	size_t in_pos, scanned;
	unsigned io_mask;
	int depth;
	enum conn_close_reason reason, flush_reason;
	bool closed, paused, eof, closing, discarding, want_write, crlf, is_socket;
	bool fresh; /* raw mode: input arrived since on_data last ran */
	char id[16];
	struct conn *all_prev, *all_next; /* every live conn, for conn_close_all */
	/* TLS */
	SSL *ssl;
	struct tls_server_ctx *tls_sctx; /* server side: a reference */
	void (*on_tls)(struct conn *c);  /* conn_set_tls_handler */
	enum conn_tls_state tls;
	size_t plain_left;     /* FLUSHING: bytes of `out` still to go in plaintext */
	uint64_t tls_deadline; /* FLUSHING/HANDSHAKE: absolute handshake deadline */
	unsigned hs_mask;      /* HANDSHAKE: the EV_* the handshake waits for */
	bool tls_rd_wr;	       /* SSL_read wants the fd writable */
	bool tls_wr_rd;	       /* SSL_write wants the fd readable */
	bool tls_dead;	       /* fatal TLS error: no close_notify */
};

/* conn.c */
void conn_fail(struct conn *c, enum conn_close_reason reason);
void conn_kick(struct conn *c);
void conn_update_io(struct conn *c);
void conn_try_write(struct conn *c);
void conn_arm_timer(struct conn *c, uint64_t ms);

/* conn_tls.c */
/* Like read(2)/write(2) through TLS: -1 with errno EAGAIN = try later
 * (tls_rd_wr / tls_wr_rd say which event), other errno = fatal. */
ssize_t conn_tls_read(struct conn *c, void *p, size_t size);
ssize_t conn_tls_write(struct conn *c, const void *p, size_t len);
/* FLUSHING is done: start the handshake (from the loop). */
void conn_tls_begin(struct conn *c);
/* Drive the handshake; on success state ON and held output is written. */
void conn_tls_handshake(struct conn *c);
/* Handshake deadline check from the conn timer. */
void conn_tls_timer(struct conn *c);
/* At free: close_notify (when healthy), free the SSL, drop the context. */
void conn_tls_free(struct conn *c);

#endif
