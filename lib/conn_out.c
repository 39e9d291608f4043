/* conn_out: queuing output on a conn (conn_write, conn_printf, the output
 * buffer); conn.c writes it out.
 * Invariants: output is only appended here, never reordered, so a TLS write
 * that must be retried sees the same leading bytes; past the buffer's limit
 * the conn closes with CONN_OVERFLOW. */
#include <stdarg.h>

#include "conn_impl.h"

struct buf *conn_outbuf(struct conn *c)
{
	return &c->out;
}

void conn_set_crlf(struct conn *c, bool crlf)
{
	c->crlf = crlf;
}

/* Output was queued: check the limit, and write now unless a handler of
 * ours is running (it flushes on return) or we wait for EV_WRITE. */
static void conn_queued(struct conn *c)
{
	if (c->closed)
		return;
	if (buf_error(&c->out)) {
		conn_fail(c, CONN_OVERFLOW);
		return;
	}
	if (c->depth == 0 && !c->want_write && c->out.len > 0)
		conn_try_write(c);
}

void conn_write(struct conn *c, const void *data, size_t len)
{
	if (c->closed)
		return;
	buf_append(&c->out, data, len);
	conn_queued(c);
}

void conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	if (c->closed)
		return;
	size_t start = c->out.len;
	va_start(ap, fmt);
	buf_vprintf(&c->out, fmt, ap);
	va_end(ap);
	if (c->out.len == start || c->out.data[c->out.len - 1] != '\n')
		buf_append_str(&c->out, c->crlf ? "\r\n" : "\n");
	conn_queued(c);
}

void conn_flush(struct conn *c)
{
	conn_queued(c);
}
