/* conn: a buffered, line-oriented, non-blocking connection on the event loop.
 * It raises events: a complete line, the peer closing, an error or a timeout.
 * Invariants: an input line is at most `max_line` bytes (without its line
 * end); a longer one raises on_line with `overlong` set once and the rest of
 * it up to the next LF is discarded; output is buffered up to `max_output`
 * bytes, after which the connection is closed as a slow reader. Callbacks
 * may call conn_close() (the conn is freed after the callback returns). The
 * idle timer restarts on every read. */
#ifndef TERN_CONN_H
#define TERN_CONN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "ev.h"

struct conn;

enum conn_close_reason { CONN_EOF, CONN_ERROR, CONN_TIMEOUT, CONN_OVERFLOW, CONN_LOCAL };

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

#endif
