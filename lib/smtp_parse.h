/* smtp_parse: RFC 5321 syntax for the SMTP/LMTP engine and its backends:
 * reverse and forward paths (quoted local parts, source routes, address
 * literals, RFC 6531 UTF-8), ESMTP parameters, xtext (RFC 3461) and the
 * Received: header. Every function works on bounded input, rejects rather
 * than guesses, and never reads past a NUL. */
#ifndef TERN_SMTP_PARSE_H
#define TERN_SMTP_PARSE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

struct smtp_param;

#define SMTP_PATH_MAX 256   /* an address without <> (Postfix-like: the whole path) */
#define SMTP_DOMAIN_MAX 255 /* RFC 5321 4.5.3.1.2 */
#define SMTP_MAX_PARAMS 16  /* parameters on one MAIL or RCPT */
#define SMTP_XTEXT_MAX 500  /* decoded ENVID / ORCPT */

/* Parse the argument of MAIL FROM: / RCPT TO: (after the colon; spaces
 * before '<' are allowed, as Postfix does), in place. "<>" gives "".
 * A source route ("<@a,@b:user@d>") is accepted and dropped (RFC 5321
 * 4.1.1.3, C.). On success *addr_r is the address without <> and route
 * (NUL-terminated inside arg), *params_r the parameter text after the
 * path (maybe ""), *utf8_r whether the address has non-ASCII bytes (only
 * valid UTF-8 is accepted). An address without "@domain" is accepted only
 * as "postmaster" (any case). Returns 0, or -1 with *err_r a reason. */
int smtp_parse_path(char *arg, char **addr_r, char **params_r, bool *utf8_r, const char **err_r);

/* Split space-separated "KEY[=VALUE]" parameters in place into out (at
 * most max). Keys are RFC 5321 esmtp-keywords, stored uppercased; values
 * are esmtp-values (printable ASCII but '=', or UTF-8); a repeated key is
 * an error. Returns the count, or -1 with *err_r a reason. */
int smtp_parse_params(char *s, struct smtp_param *out, size_t max, const char **err_r);
/* The parameter named key (uppercase) among n, or NULL. */
const struct smtp_param *smtp_param_find(const struct smtp_param *p, size_t n, const char *key);

/* Decode RFC 3461 xtext ("+XX" hex escapes, uppercase hex) into out (size
 * outsize). Returns the length, or -1 for a bad character or escape, an
 * escaped NUL or control byte, or an output that does not fit. */
long smtp_xtext_decode(const char *in, char *out, size_t outsize);

/* Split an address (as smtp_parse_path returns it) at its last '@' outside
 * quotes and address literals ([...]) into the local part (quotes and quoted-pairs removed) and the
 * domain. Returns 0, or -1 when there is no domain or a part does not fit. */
int smtp_addr_split(const char *addr, char *local_r, size_t localsize, char *domain_r,
		    size_t domainsize);

/* What goes into a Received: header. tls_info is conn_tls_info()'s text
 * ("version=... cipher=... bits=...") or NULL; rcpt NULL unless there is
 * exactly one recipient. */
struct smtp_received {
	const char *helo, *peer, *hostname, *proto, *queue_id, *tls_info, *rcpt;
	time_t when;
};
/* Append the header, folded, with CRLF line ends. Hostile text (HELO) is
 * reduced to printable ASCII and bounded. */
void smtp_received_header(struct buf *out, const struct smtp_received *r);

#endif
