/* tls_io: the per-connection side of lib/tls: a socket BIO that never raises
 * SIGPIPE and never closes the fd, the client context, session info and
 * error reasons.
 * Invariants: the BIO sets OpenSSL's retry flags exactly on EAGAIN, so
 * SSL_get_error() reports WANT_READ/WANT_WRITE for a non-blocking fd; client
 * contexts speak TLS 1.2+ and verify only when asked. */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

struct tls_client_ctx {
	SSL_CTX *ctx;
	bool verify;
};

static BIO_METHOD *tls_bio_method;
static pthread_once_t tls_bio_once = PTHREAD_ONCE_INIT;

static int tls_bio_fd(BIO *b)
{
	return (int)(intptr_t)BIO_get_data(b);
}

static int tls_bio_write(BIO *b, const char *data, int len)
{
	ssize_t n;
	BIO_clear_retry_flags(b);
	do
		n = send(tls_bio_fd(b), data, (size_t)len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == ENOTSOCK)
		n = write(tls_bio_fd(b), data, (size_t)len);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_write(b);
	return (int)n;
}

static int tls_bio_read(BIO *b, char *data, int len)
{
	ssize_t n;
	BIO_clear_retry_flags(b);
	do
		n = read(tls_bio_fd(b), data, (size_t)len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_read(b);
	else if (n == 0)
		BIO_set_flags(b, BIO_FLAGS_IN_EOF); /* for BIO_CTRL_EOF */
	return (int)n;
}

static long tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	(void)ptr;
	if (cmd == BIO_CTRL_EOF)
		return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int tls_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void tls_bio_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tern socket");
	if (m && BIO_meth_set_write(m, tls_bio_write) && BIO_meth_set_read(m, tls_bio_read) &&
	    BIO_meth_set_ctrl(m, tls_bio_ctrl) && BIO_meth_set_create(m, tls_bio_create))
		tls_bio_method = m;
	else
		BIO_meth_free(m);
}

int tls_ssl_set_fd(SSL *ssl, int fd)
{
	pthread_once(&tls_bio_once, tls_bio_init);
	BIO *b = tls_bio_method ? BIO_new(tls_bio_method) : NULL;
	if (!b)
		return -1;
	BIO_set_data(b, (void *)(intptr_t)fd);
	SSL_set_bio(ssl, b, b); /* one reference, taken by SSL for both */
	return 0;
}

const char *tls_error_reason(char *out, size_t size, int ssl_error, int sys_errno)
{
	unsigned long first = ERR_get_error(), e;
	const char *why = NULL;
	while ((e = ERR_get_error()) != 0)
		; /* keep the first, the root cause; empty the queue */
	if (first) {
		why = ERR_reason_error_string(first);
		if (!why && ERR_SYSTEM_ERROR(first))
			why = strerror(ERR_GET_REASON(first));
		if (!why) {
			ERR_error_string_n(first, out, size);
			return out;
		}
	} else if (ssl_error == SSL_ERROR_ZERO_RETURN ||
		   (ssl_error == SSL_ERROR_SYSCALL && sys_errno == 0)) {
		why = "connection closed by peer";
	} else if (sys_errno) {
		why = strerror(sys_errno);
	} else {
		why = "unknown error";
	}
	snprintf(out, size, "%s", why);
	return out;
}

int tls_ssl_info(SSL *ssl, char *out, size_t size)
{
	const SSL_CIPHER *cipher = ssl ? SSL_get_current_cipher(ssl) : NULL;
	if (size)
		out[0] = '\0';
	if (!cipher || !SSL_is_init_finished(ssl))
		return -1;
	snprintf(out, size, "version=%s cipher=%s bits=%d", SSL_get_version(ssl),
		 SSL_CIPHER_get_name(cipher), SSL_CIPHER_get_bits(cipher, NULL));
	return 0;
}

struct tls_client_ctx *tls_client_ctx_new(bool verify, const char *ca_file, char *err,
					  size_t errsize)
{
	char why[256];
	struct tls_client_ctx *t = calloc(1, sizeof(*t));
	ERR_clear_error();
	if (!t || !(t->ctx = SSL_CTX_new(TLS_client_method()))) {
		snprintf(err, errsize, "SSL_CTX_new: %s",
			 tls_error_reason(why, sizeof(why), SSL_ERROR_SSL, ENOMEM));
		free(t);
		return NULL;
	}
	t->verify = verify;
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
					    SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
					 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_verify(t->ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	if (verify && (ca_file ? SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL)
			       : SSL_CTX_set_default_verify_paths(t->ctx)) != 1) {
		snprintf(err, errsize, "CA file %s: %s", ca_file ? ca_file : "(system default)",
			 tls_error_reason(why, sizeof(why), SSL_ERROR_SSL, 0));
		tls_client_ctx_free(&t);
		return NULL;
	}
	return t;
}

void tls_client_ctx_free(struct tls_client_ctx **ctxp)
{
	struct tls_client_ctx *t = *ctxp;
	*ctxp = NULL;
	if (t) {
		SSL_CTX_free(t->ctx);
		free(t);
	}
}

static bool tls_is_ip(const char *s)
{
	unsigned char a[16];
	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

SSL *tls_client_ssl_new(struct tls_client_ctx *ctx, const char *servername)
{
	SSL *ssl = SSL_new(ctx->ctx);
	if (!ssl)
		return NULL;
	SSL_set_connect_state(ssl);
	bool named = servername && *servername && !tls_is_ip(servername);
	if (named && SSL_set_tlsext_host_name(ssl, servername) != 1)
		goto fail;
	if (ctx->verify && servername && *servername) {
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if ((named ? SSL_set1_host(ssl, servername)
			   : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), servername)) != 1)
			goto fail;
	}
	return ssl;
fail:
	SSL_free(ssl);
	return NULL;
}
