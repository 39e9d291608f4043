/* tls: OpenSSL 3 contexts for tern's servers (certificates chosen by SNI) and
 * for its SMTP client (opportunistic or verified STARTTLS to remote MXes).
 * Invariants: only TLS 1.2 and 1.3 are ever enabled; compression and
 * renegotiation are off; a context is immutable once built (reload = build
 * a new one; conns using the old one keep it alive by reference). Errors
 * name the setting or file and give OpenSSL's reason. One thread only. */
#ifndef TERN_TLS_H
#define TERN_TLS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

struct conf;
struct tls_server_ctx;
struct tls_client_ctx;

/* Mozilla "intermediate" TLS 1.2 suites (ECDHE with AES-GCM or ChaCha20);
 * TLS 1.3 keeps OpenSSL's default suites. */
#define TLS_DEFAULT_CIPHERS                                                     \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"            \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"            \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct tls_server_config {
	/* n_certs certificate files (PEM, the leaf first, then its chain)
	 * and their keys, paired in order; key_files NULL or an entry that
	 * is NULL/"" = the key is in the certificate file. The first pair is
	 * the default; the others are picked by SNI (exact name, else a
	 * "*.domain" wildcard, from the certificate's DNS SANs or else CN). */
	const char *const *cert_files;
	const char *const *key_files;
	size_t n_certs;
	/* Postfix syntax: ">=TLSv1.2", "TLSv1.2 TLSv1.3", "!TLSv1.2", ...;
	 * NULL or "" = ">=TLSv1.2". Versions below 1.2 are never enabled. */
	const char *protocols;
	/* TLS 1.2 cipher list in OpenSSL syntax; NULL or "" = the default. */
	const char *ciphers;
	/* Session cache and ticket lifetime; 0 = 3600 s. */
	uint64_t session_timeout_ms;
};

/* Build a server context. Returns NULL with a reason in err (e.g.
 * "tls_cert_file /etc/tern/x.pem: No such file or directory"). */
struct tls_server_ctx *tls_server_ctx_new(const struct tls_server_config *cfg, char *err,
					  size_t errsize);
/* The same from tern.conf's global keys tls_cert_file, tls_key_file (empty
 * = keys in the cert files), tls_protocols, tls_ciphers and
 * tls_session_cache_timeout. An empty tls_cert_file is an error. */
struct tls_server_ctx *tls_server_ctx_from_conf(const struct conf *conf, char *err,
						size_t errsize);
/* Take another reference (conns hold one while their TLS lives). */
struct tls_server_ctx *tls_server_ctx_ref(struct tls_server_ctx *ctx);
/* Drop a reference; the context is freed with the last. *ctxp = NULL. */
void tls_server_ctx_free(struct tls_server_ctx **ctxp);
/* Number of certificate pairs. */
size_t tls_server_ctx_count(const struct tls_server_ctx *ctx);

/* A client context, TLS 1.2+. verify: the peer's chain must verify against
 * ca_file (PEM; NULL = the system's default store) and its certificate must
 * name the servername given to tls_client_ssl_new; otherwise the session is
 * encrypted without authentication (opportunistic). NULL + err on error. */
struct tls_client_ctx *tls_client_ctx_new(bool verify, const char *ca_file, char *err,
					  size_t errsize);
void tls_client_ctx_free(struct tls_client_ctx **ctxp);

/* Per-connection objects (used by lib/conn; see conn_start_tls). A server
 * SSL in accept state; a client SSL in connect state sending servername as
 * SNI (unless NULL or an IP literal). NULL on failure. */
SSL *tls_server_ssl_new(struct tls_server_ctx *ctx);
SSL *tls_client_ssl_new(struct tls_client_ctx *ctx, const char *servername);
/* Attach a non-blocking socket fd (not closed by SSL_free; writes never
 * raise SIGPIPE). 0 or -1. */
int tls_ssl_set_fd(SSL *ssl, int fd);
/* "version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256" into out.
 * Returns 0, or -1 (out = "") before the handshake completed. */
int tls_ssl_info(SSL *ssl, char *out, size_t size);
/* Why an SSL call failed: OpenSSL's error queue (which is emptied), else
 * from ssl_error (SSL_get_error) and sys_errno. Writes into out. */
const char *tls_error_reason(char *out, size_t size, int ssl_error, int sys_errno);

#endif
