/* conn_tls: TLS on a conn: starting it (STARTTLS or implicit), the
 * non-blocking handshake with its deadline, reads and writes through the
 * SSL object with WANT_READ/WANT_WRITE in both directions, close_notify.
 * Invariants: starting TLS empties the input buffer and nothing is read in
 * plaintext again; OpenSSL's error queue is cleared before every SSL call;
 * after a fatal TLS error (tls_dead) no SSL call but SSL_free is made. */
#include <errno.h>
#include <stdio.h>
#include <openssl/err.h>

#include "conn_impl.h"
#include "log.h"

#define CONN_TLS_TIMEOUT_MS 60000 /* handshake bound for conns without one */

static void conn_tls_log_failure(struct conn *c, const char *event, int ssl_error, int sys_errno)
{
	char why[256];
	tls_error_reason(why, sizeof(why), ssl_error, sys_errno);
	log_info("%s %s rip=%s reason=%s", c->id, event, log_str(c->peer), log_str(why));
}

static int conn_tls_setup(struct conn *c, SSL *ssl)
{
	if (tls_ssl_set_fd(ssl, c->fd) < 0) {
		SSL_free(ssl);
		return -1;
	}
	c->ssl = ssl;
	/* CVE-2011-0411: what came with or after STARTTLS is never a command */
	buf_reset(&c->in);
	c->in_pos = c->scanned = 0;
	c->discarding = c->fresh = false;
	c->plain_left = c->out.len;
	c->tls = CONN_TLS_FLUSHING;
	c->tls_deadline = ev_now_ms() + (c->timeout_ms ? c->timeout_ms : CONN_TLS_TIMEOUT_MS);
	if (!c->closing)
		conn_arm_timer(c, c->tls_deadline - ev_now_ms());
	if (c->plain_left == 0)
		conn_tls_begin(c);
	else if (c->depth == 0 && !c->want_write)
		conn_try_write(c);
	if (c->depth == 0 && !c->closed)
		conn_update_io(c);
	return 0;
}

int conn_start_tls(struct conn *c, struct tls_server_ctx *ctx)
{
	if (c->closed || c->tls != CONN_TLS_OFF || !ctx)
		return -1;
	ERR_clear_error();
	SSL *ssl = tls_server_ssl_new(ctx);
	c->tls_sctx = tls_server_ctx_ref(ctx); /* the SNI callback uses it */
	if (!ssl || conn_tls_setup(c, ssl) < 0) {
		tls_server_ctx_free(&c->tls_sctx);
		ERR_clear_error();
		return -1;
	}
	return 0;
}

int conn_start_tls_client(struct conn *c, struct tls_client_ctx *ctx, const char *servername)
{
	if (c->closed || c->tls != CONN_TLS_OFF || !ctx)
		return -1;
	ERR_clear_error();
	SSL *ssl = tls_client_ssl_new(ctx, servername);
	if (!ssl || conn_tls_setup(c, ssl) < 0) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

void conn_tls_begin(struct conn *c)
{
	c->tls = CONN_TLS_HANDSHAKE;
	c->hs_mask = 0;
	conn_kick(c); /* the first step runs from the loop */
}

static void conn_tls_established(struct conn *c)
{
	char info[192];
	c->tls = CONN_TLS_ON;
	c->hs_mask = 0;
	c->last_active = ev_now_ms();
	if (!c->closing)
		conn_arm_timer(c, c->timeout_ms);
	const char *sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
	tls_ssl_info(c->ssl, info, sizeof(info));
	log_debug("%s tls_established rip=%s %s sni=%s", c->id, log_str(c->peer), info,
		  log_str(sni ? sni : ""));
	if (c->on_tls)
		c->on_tls(c);
	if (!c->closed && c->out.len > 0)
		conn_try_write(c); /* output held during the handshake */
}

void conn_tls_handshake(struct conn *c)
{
	ERR_clear_error();
	errno = 0;
	int r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		conn_tls_established(c);
		return;
	}
	int saved = errno, e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->hs_mask = e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE;
		return;
	}
	conn_tls_log_failure(c, "tls_handshake_failed", e, saved);
	c->tls_dead = true;
	c->hs_mask = 0;
	conn_fail(c, CONN_TLS);
}

void conn_tls_timer(struct conn *c)
{
	uint64_t now = ev_now_ms();
	if (now < c->tls_deadline) {
		conn_arm_timer(c, c->tls_deadline - now);
		return;
	}
	log_info("%s tls_handshake_timeout rip=%s", c->id, log_str(c->peer));
	c->tls_dead = true;
	conn_fail(c, CONN_TIMEOUT);
}

/* A failed SSL_read/SSL_write: -1 with errno EAGAIN when it is only a
 * wait, else the conn's TLS is dead. */
static ssize_t conn_tls_retry(struct conn *c, int e, int saved, bool reading)
{
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		if (reading)
			c->tls_rd_wr = e == SSL_ERROR_WANT_WRITE;
		else
			c->tls_wr_rd = e == SSL_ERROR_WANT_READ;
		errno = EAGAIN;
		return -1;
	}
	if (reading && (e == SSL_ERROR_ZERO_RETURN ||
			(e == SSL_ERROR_SYSCALL && saved == 0 && ERR_peek_error() == 0)))
		return 0; /* close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF) */
	char why[256];
	tls_error_reason(why, sizeof(why), e, saved);
	log_debug("%s %s rip=%s reason=%s", c->id, reading ? "tls_read_failed" : "tls_write_failed",
		  log_str(c->peer), log_str(why));
	c->tls_dead = true;
	errno = EPROTO;
	return -1;
}

ssize_t conn_tls_read(struct conn *c, void *p, size_t size)
{
	size_t n = 0;
	ERR_clear_error();
	errno = 0;
	c->tls_rd_wr = false;
	if (SSL_read_ex(c->ssl, p, size, &n) == 1)
		return (ssize_t)n;
	int saved = errno;
	return conn_tls_retry(c, SSL_get_error(c->ssl, 0), saved, true);
}

ssize_t conn_tls_write(struct conn *c, const void *p, size_t len)
{
	size_t n = 0;
	ERR_clear_error();
	errno = 0;
	c->tls_wr_rd = false;
	if (SSL_write_ex(c->ssl, p, len, &n) == 1)
		return (ssize_t)n;
	int saved = errno;
	return conn_tls_retry(c, SSL_get_error(c->ssl, 0), saved, false);
}

void conn_tls_free(struct conn *c)
{
	if (!c->ssl)
		return;
	if (c->tls == CONN_TLS_ON && !c->tls_dead) {
		ERR_clear_error();
		SSL_shutdown(c->ssl); /* our close_notify; the peer's is not awaited */
	}
	SSL_free(c->ssl);
	c->ssl = NULL;
	ERR_clear_error();
	tls_server_ctx_free(&c->tls_sctx);
}

void conn_set_tls_handler(struct conn *c, void (*on_tls)(struct conn *c))
{
	c->on_tls = on_tls;
}

bool conn_tls_active(const struct conn *c)
{
	return c->tls == CONN_TLS_ON;
}

int conn_tls_info(const struct conn *c, char *out, size_t size)
{
	if (c->tls != CONN_TLS_ON) {
		if (size)
			out[0] = '\0';
		return -1;
	}
	return tls_ssl_info(c->ssl, out, size);
}

const char *conn_tls_servername(const struct conn *c)
{
	if (c->tls != CONN_TLS_ON)
		return NULL;
	return SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
}
