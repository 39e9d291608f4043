/* tls: the server context: one SSL_CTX per certificate pair, all configured
 * alike (TLS 1.2-1.3, server cipher order, no compression or renegotiation,
 * a session cache and tickets), the first being the default; the SNI
 * callback moves a handshake to the pair whose names match.
 * Invariants: every pair's SSL_CTX has the same options and session id
 * context, so resumption works whichever pair served; `refs` counts the
 * owner and every live conn using the context. */
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "conf.h"

#define TLS_SID_CTX "tern"
#define TLS_MAX_NAMES 100

struct tls_pair {
	SSL_CTX *ctx;
	char **names; /* DNS SANs, else the CN (matched case-insensitively) */
	size_t n_names;
};

struct tls_server_ctx {
	int refs;
	struct tls_pair *pairs;
	size_t n;
};

/* Postfix's protocol names; only TLSv1.2 (bit 1) and TLSv1.3 (bit 2) can be
 * enabled, the others parse so that "!SSLv3" or ">=TLSv1" still work. */
static const struct {
	const char *name;
	int version;
} tls_versions[] = {
	{ "SSLv2", SSL2_VERSION },   { "SSLv3", SSL3_VERSION },	   { "TLSv1", TLS1_VERSION },
	{ "TLSv1.1", TLS1_1_VERSION }, { "TLSv1.2", TLS1_2_VERSION }, { "TLSv1.3", TLS1_3_VERSION },
};
#define TLS_NVERSIONS (sizeof(tls_versions) / sizeof(tls_versions[0]))

static int tls_version_index(const char *name, size_t len)
{
	for (size_t i = 0; i < TLS_NVERSIONS; i++)
		if (strlen(tls_versions[i].name) == len &&
		    strncasecmp(tls_versions[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* Parse a protocols setting into [min, max]. 0 or -1 with err. */
static int tls_parse_protocols(const char *spec, int *min_r, int *max_r, char *err,
			       size_t errsize)
{
	unsigned include = 0, exclude = 0;
	int lo = 0, hi = (int)TLS_NVERSIONS - 1;
	const char *all = spec && *spec ? spec : ">=TLSv1.2", *p = all;
	while (*p) {
		size_t skip = strspn(p, " \t,:"), len;
		p += skip;
		if (!*p)
			break;
		len = strcspn(p, " \t,:");
		int op = p[0] == '!' ? '!' : 0;
		if (len > 2 && p[1] == '=' && (p[0] == '>' || p[0] == '<'))
			op = p[0];
		size_t off = op == '!' ? 1 : op ? 2 : 0;
		int i = tls_version_index(p + off, len - off);
		if (i < 0) {
			snprintf(err, errsize, "tls_protocols: unknown protocol \"%.*s\"", (int)len, p);
			return -1;
		}
		if (op == '!')
			exclude |= 1u << i;
		else if (op == '>')
			lo = i > lo ? i : lo;
		else if (op == '<')
			hi = i < hi ? i : hi;
		else
			include |= 1u << i;
		p += len;
	}
	unsigned allowed = 0;
	for (int i = 4; i < (int)TLS_NVERSIONS; i++) /* TLSv1.2 and up only */
		if (i >= lo && i <= hi && !(exclude & (1u << i)) && (!include || (include & (1u << i))))
			allowed |= 1u << i;
	if (!allowed) {
		snprintf(err, errsize,
			 "tls_protocols \"%s\": no protocol left (tern speaks TLSv1.2 and TLSv1.3)", all);
		return -1;
	}
	*min_r = tls_versions[(allowed & (1u << 4)) ? 4 : 5].version;
	*max_r = tls_versions[(allowed & (1u << 5)) ? 5 : 4].version;
	return 0;
}

static bool tls_name_match(const char *pattern, const char *host, bool wildcard)
{
	if (!wildcard)
		return strcasecmp(pattern, host) == 0;
	const char *dot = strchr(host, '.');
	return pattern[0] == '*' && pattern[1] == '.' && dot && dot > host &&
	       strcasecmp(dot + 1, pattern + 2) == 0;
}

/* The pair for an SNI name: an exact match first, then a wildcard. */
static struct tls_pair *tls_pick(struct tls_server_ctx *t, const char *host)
{
	for (int wild = 0; wild < 2; wild++)
		for (size_t i = 0; i < t->n; i++)
			for (size_t j = 0; j < t->pairs[i].n_names; j++)
				if (tls_name_match(t->pairs[i].names[j], host, wild))
					return &t->pairs[i];
	return NULL;
}

static int tls_sni_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_server_ctx *t = arg;
	const char *host = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	(void)alert;
	if (!host || t->n < 2)
		return SSL_TLSEXT_ERR_OK;
	struct tls_pair *p = tls_pick(t, host);
	if (p && p->ctx != SSL_get_SSL_CTX(ssl))
		SSL_set_SSL_CTX(ssl, p->ctx);
	return SSL_TLSEXT_ERR_OK; /* unknown names get the default certificate */
}

static int tls_add_name(struct tls_pair *p, const unsigned char *s, int len)
{
	if (len <= 0 || memchr(s, '\0', (size_t)len) || p->n_names >= TLS_MAX_NAMES)
		return 0; /* not a usable host name: ignore */
	char **names = realloc(p->names, (p->n_names + 1) * sizeof(*names));
	if (!names)
		return -1;
	p->names = names;
	if (!(names[p->n_names] = strndup((const char *)s, (size_t)len)))
		return -1;
	p->n_names++;
	return 0;
}

/* Collect the names of the pair's certificate: DNS SANs, else the CN. */
static int tls_cert_names(struct tls_pair *p)
{
	X509 *x = SSL_CTX_get0_certificate(p->ctx);
	GENERAL_NAMES *san = x ? X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL) : NULL;
	int r = 0;
	for (int i = 0; san && i < sk_GENERAL_NAME_num(san) && r == 0; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
		if (g->type == GEN_DNS)
			r = tls_add_name(p, ASN1_STRING_get0_data(g->d.dNSName),
					 ASN1_STRING_length(g->d.dNSName));
	}
	GENERAL_NAMES_free(san);
	if (r == 0 && p->n_names == 0 && x) {
		X509_NAME *subj = X509_get_subject_name(x);
		int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
		unsigned char *cn = NULL;
		X509_NAME_ENTRY *e = idx < 0 ? NULL : X509_NAME_get_entry(subj, idx);
		int len = e ? ASN1_STRING_to_UTF8(&cn, X509_NAME_ENTRY_get_data(e)) : -1;
		if (len > 0)
			r = tls_add_name(p, cn, len);
		OPENSSL_free(cn);
	}
	return r;
}

/* Options every pair shares. */
static int tls_setup(SSL_CTX *ctx, const struct tls_server_config *cfg, char *err,
		     size_t errsize)
{
	char why[256];
	int min, max;
	if (tls_parse_protocols(cfg->protocols, &min, &max, err, errsize) < 0)
		return -1;
	SSL_CTX_set_min_proto_version(ctx, min);
	SSL_CTX_set_max_proto_version(ctx, max);
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
					 SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	const char *ciphers = cfg->ciphers && *cfg->ciphers ? cfg->ciphers : TLS_DEFAULT_CIPHERS;
	if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
		snprintf(err, errsize, "tls_ciphers \"%s\": %s", ciphers,
			 tls_error_reason(why, sizeof(why), SSL_ERROR_SSL, 0));
		return -1;
	}
	uint64_t ms = cfg->session_timeout_ms ? cfg->session_timeout_ms : 3600000;
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)TLS_SID_CTX, strlen(TLS_SID_CTX));
	SSL_CTX_set_timeout(ctx, (long)(ms / 1000 ? ms / 1000 : 1));
	return 0;
}

/* Load pair i: certificate chain, key, and their match. */
static int tls_load_pair(struct tls_server_ctx *t, size_t i, const struct tls_server_config *cfg,
			 char *err, size_t errsize)
{
	struct tls_pair *p = &t->pairs[i];
	const char *cert = cfg->cert_files[i];
	const char *key = cfg->key_files && cfg->key_files[i] && *cfg->key_files[i]
				  ? cfg->key_files[i] : cert;
	char why[256];
	ERR_clear_error();
	if (!(p->ctx = SSL_CTX_new(TLS_server_method()))) {
		snprintf(err, errsize, "SSL_CTX_new: %s", tls_error_reason(why, sizeof(why), SSL_ERROR_SSL, 0));
		return -1;
	}
	if (tls_setup(p->ctx, cfg, err, errsize) < 0)
		return -1;
	if (SSL_CTX_use_certificate_chain_file(p->ctx, cert) != 1) {
		snprintf(err, errsize, "tls_cert_file %s: %s", cert,
			 tls_error_reason(why, sizeof(why), SSL_ERROR_SSL, 0));
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(p->ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(p->ctx) != 1) {
		snprintf(err, errsize, "tls_key_file %s (for %s): %s", key, cert,
			 tls_error_reason(why, sizeof(why), SSL_ERROR_SSL, 0));
		return -1;
	}
	if (tls_cert_names(p) < 0) {
		snprintf(err, errsize, "tls_cert_file %s: out of memory", cert);
		return -1;
	}
	SSL_CTX_set_tlsext_servername_callback(p->ctx, tls_sni_cb);
	SSL_CTX_set_tlsext_servername_arg(p->ctx, t);
	return 0;
}

struct tls_server_ctx *tls_server_ctx_new(const struct tls_server_config *cfg, char *err,
					  size_t errsize)
{
	struct tls_server_ctx *t;
	if (!cfg->n_certs) {
		snprintf(err, errsize, "tls_cert_file: no certificate configured");
		return NULL;
	}
	if (!(t = calloc(1, sizeof(*t))) || !(t->pairs = calloc(cfg->n_certs, sizeof(*t->pairs)))) {
		free(t);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	t->refs = 1;
	t->n = cfg->n_certs;
	for (size_t i = 0; i < cfg->n_certs; i++) {
		if (tls_load_pair(t, i, cfg, err, errsize) < 0) {
			tls_server_ctx_free(&t);
			ERR_clear_error();
			return NULL;
		}
	}
	return t;
}

struct tls_server_ctx *tls_server_ctx_from_conf(const struct conf *conf, char *err,
						size_t errsize)
{
	const char *const *certs, *const *keys;
	size_t n = conf_list(conf, NULL, "tls_cert_file", &certs);
	size_t nk = conf_list(conf, NULL, "tls_key_file", &keys);
	if (nk && nk != n) {
		snprintf(err, errsize, "tls_key_file has %zu entries but tls_cert_file has %zu", nk, n);
		return NULL;
	}
	struct tls_server_config cfg = {
		.cert_files = certs,
		.key_files = nk ? keys : NULL,
		.n_certs = n,
		.protocols = conf_str(conf, NULL, "tls_protocols"),
		.ciphers = conf_str(conf, NULL, "tls_ciphers"),
		.session_timeout_ms = conf_time_ms(conf, NULL, "tls_session_cache_timeout"),
	};
	return tls_server_ctx_new(&cfg, err, errsize);
}

struct tls_server_ctx *tls_server_ctx_ref(struct tls_server_ctx *ctx)
{
	ctx->refs++;
	return ctx;
}

void tls_server_ctx_free(struct tls_server_ctx **ctxp)
{
	struct tls_server_ctx *t = *ctxp;
	*ctxp = NULL;
	if (!t || --t->refs > 0)
		return;
	for (size_t i = 0; i < t->n; i++) {
		SSL_CTX_free(t->pairs[i].ctx);
		for (size_t j = 0; j < t->pairs[i].n_names; j++)
			free(t->pairs[i].names[j]);
		free(t->pairs[i].names);
	}
	free(t->pairs);
	free(t);
}

size_t tls_server_ctx_count(const struct tls_server_ctx *ctx)
{
	return ctx->n;
}

SSL *tls_server_ssl_new(struct tls_server_ctx *ctx)
{
	SSL *ssl = SSL_new(ctx->pairs[0].ctx);
	if (ssl)
		SSL_set_accept_state(ssl);
	return ssl;
}
