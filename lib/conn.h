/* conn: a buffered, line-oriented, non-blocking connection on the event loop.
 * It raises events: a complete line, the peer closing, an error or a timeout.
 * Invariants: an input line is at most `max_line` bytes (without its line
 * end); a longer one raises on_line with `overlong` set once and the rest of
 * it up to the next LF is discarded; output is buffered up to `max_output`
 * bytes, after which the connection is closed as a slow reader. Callbacks
 * may call conn_close() (the conn is freed after the callback returns). The
 * idle timer restarts on every read. With TLS (conn_start_tls), no byte
 * received before the handshake is ever delivered, and output queued after
 * conn_start_tls is only sent encrypted. */
#ifndef TERN_CONN_H
#define TERN_CONN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "ev.h"

struct conn;

/* CONN_TLS: the TLS handshake failed (logged with the peer and reason). */
enum conn_close_reason { CONN_EOF, CONN_ERROR, CONN_TIMEOUT, CONN_OVERFLOW, CONN_LOCAL, CONN_TLS };

struct conn_handlers {
	/* A complete line (CRLF or LF stripped; line[len] == 0). `overlong`
	 * means the line was longer than max_line: `line` holds its first
	 * max_line bytes, the rest is dropped. Lines are delivered one at a
	 * time; conn_pause() stops delivery (e.g. while waiting for a lookup)
	 * until conn_resume(). */
	void (*on_line)(struct conn *c, char *line, size_t len, bool overlong);
	/* Called once when the connection ends for any reason, just before it
	 * is freed; the owner drops its pointer here. */
	void (*on_close)(struct conn *c, enum conn_close_reason reason);
	/* Optional raw mode (framings without lines, e.g. netstrings): when
	 * set, on_line is never called; after each read on_data gets the
	 * input buffer and consumes what it parsed with buf_consume(). While
	 * more than max_line bytes stay unconsumed the conn is closed with
	 * CONN_OVERFLOW. */
	void (*on_data)(struct conn *c, struct buf *in);
};

/* Take ownership of fd (non-blocking). `peer` is the printable client
 * address (copied). timeout_ms 0 = no idle timeout. */
struct conn *conn_new(struct ev_loop *loop, int fd, const char *peer,
		      const struct conn_handlers *h, void *ctx, size_t max_line,
		      uint64_t timeout_ms);
void *conn_ctx(const struct conn *c);
const char *conn_peer(const struct conn *c);
int conn_fd(const struct conn *c);
/* A short unique session id (hex) for log lines. */
const char *conn_id(const struct conn *c);

/* Queue output. conn_printf appends "\n" ("\r\n" with crlf set) unless the
 * text already ends in a newline; conn_write sends bytes unchanged. */
void conn_write(struct conn *c, const void *data, size_t len);
void conn_printf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void conn_set_crlf(struct conn *c, bool crlf);
/* The output buffer, to build a reply in place; conn_flush() sends it. */
struct buf *conn_outbuf(struct conn *c);
void conn_flush(struct conn *c);
/* Switch delivery between lines (on_data NULL) and raw mode (on_data as in
 * conn_handlers), e.g. for SMTP DATA and BDAT, also from inside on_line or
 * on_data. Input already buffered is kept and delivered in the new mode
 * (from the loop). */
void conn_set_raw(struct conn *c, void (*on_data)(struct conn *c, struct buf *in));
/* Stop / restart delivering lines. */
void conn_pause(struct conn *c);
void conn_resume(struct conn *c);
/* Change the idle timeout (ms, 0 = none). */
void conn_set_timeout(struct conn *c, uint64_t timeout_ms);
/* Close after pending output is written (bounded by 5 s). */
void conn_close_after_flush(struct conn *c);
/* Close now; on_close(CONN_LOCAL) is called. */
void conn_close(struct conn *c);
/* Close every conn of this process now (on_close(CONN_LOCAL) for each);
 * for a daemon's exit, outside any callback. */
void conn_close_all(void);
/* Number of open conns in this process. */
size_t conn_count(void);

struct tls_server_ctx;
struct tls_client_ctx;
/* Switch to TLS as the server (STARTTLS, STLS, or implicit TLS right after
 * conn_new): output already queued (e.g. "220 Ready to start TLS") is sent
 * in plaintext first; all input received so far, and anything that is not
 * the handshake, is discarded (CVE-2011-0411: commands pipelined after
 * STARTTLS are never executed); then the handshake runs, bounded by the idle
 * timeout from now (60 s when there is none), after which lines are
 * delivered again (after the conn_set_tls_handler callback). A failed handshake is logged
 * ("<id> tls_handshake_failed rip=... reason=...") and closes the conn with
 * CONN_TLS; a late one with CONN_TIMEOUT. The conn holds a reference to ctx.
 * Returns 0, or -1 (conn unchanged; the caller should close it) when TLS was
 * already started or the SSL object cannot be made. */
int conn_start_tls(struct conn *c, struct tls_server_ctx *ctx);
/* The same as a client (SMTP to a remote MX); servername is sent as SNI and,
 * with a verifying ctx, must match the peer's certificate. */
int conn_start_tls_client(struct conn *c, struct tls_client_ctx *ctx, const char *servername);
/* Optional: call on_tls(c) when the handshake has completed (e.g. to log
 * conn_tls_info); line delivery resumes after it returns. */
void conn_set_tls_handler(struct conn *c, void (*on_tls)(struct conn *c));
/* True once the handshake completed. */
bool conn_tls_active(const struct conn *c);
/* "version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256" into out (for
 * logs and Received:). Returns 0, or -1 with out = "" when TLS is not up. */
int conn_tls_info(const struct conn *c, char *out, size_t size);
/* The SNI name the client sent (server side) or we sent (client side), or
 * NULL (none, or TLS not up). Valid until the conn is freed. */
const char *conn_tls_servername(const struct conn *c);

#endif
