/* fuzz_smtp_parse: libFuzzer harness for lib/smtp_parse.c, the network-facing
 * MAIL/RCPT argument parser: paths, ESMTP parameters, xtext, address split
 * and the Received: header built from a parsed path and a hostile HELO.
 * Invariants checked: results point inside the argument and respect the
 * header's limits; a parsed path reparses to itself; keys are unique and
 * uppercase; xtext decodes within bounds and lmtp_xtext() round-trips; the
 * header has CRLF line ends only, folded lines start with a tab. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "lmtp_client.h"
#include "smtp_parse.h"
#include "smtp_server.h"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_smtp_parse: invariant failed: %s\n", what);
		abort();
	}
}

static bool inside(const char *p, const char *s, size_t len)
{
	return p >= s && p <= s + len;
}

static void params(char *s, size_t len)
{
	struct smtp_param p[SMTP_MAX_PARAMS];
	const char *err = NULL;
	int n = smtp_parse_params(s, p, SMTP_MAX_PARAMS, &err);
	check(n >= -1 && n <= SMTP_MAX_PARAMS, "param count");
	check(n >= 0 || err != NULL, "param error has a reason");
	for (int i = 0; i < n; i++) {
		size_t klen = strlen(p[i].key);
		check(klen > 0 && klen < sizeof(p[i].key), "key length");
		for (size_t k = 0; k < klen; k++)
			check(isdigit((unsigned char)p[i].key[k]) || isupper((unsigned char)p[i].key[k]) ||
				      p[i].key[k] == '-',
			      "key is uppercase esmtp-keyword");
		check(smtp_param_find(p, (size_t)n, p[i].key) == &p[i], "keys unique and found");
		if (p[i].value) {
			check(inside(p[i].value, s, len), "value inside input");
			check(p[i].value[0] && !strchr(p[i].value, ' ') && !strchr(p[i].value, '='),
			      "value is an esmtp-value");
		}
	}
}

/* The Received: header with a parsed address as rcpt and hostile HELO. */
static void received(const char *helo, const char *rcpt)
{
	struct buf b;
	struct smtp_received r = { .helo = helo, .peer = "192.0.2.1", .hostname = "mx.example",
				   .proto = "ESMTPS", .queue_id = "0ABCDEFGHJKM",
				   .tls_info = "version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256",
				   .rcpt = rcpt, .when = 1700000000 };
	buf_init(&b, 0);
	smtp_received_header(&b, &r);
	check(!buf_error(&b) && b.len >= 2, "header built");
	check(b.data[b.len - 2] == '\r' && b.data[b.len - 1] == '\n', "header ends in CRLF");
	for (size_t i = 0; i < b.len; i++) {
		unsigned char ch = (unsigned char)b.data[i];
		check(ch != '\0', "no NUL in header");
		if (ch == '\r')
			check(i + 1 < b.len && b.data[i + 1] == '\n', "CR only before LF");
		if (ch == '\n') {
			check(i > 0 && b.data[i - 1] == '\r', "LF only after CR");
			check(i + 1 == b.len || b.data[i + 1] == '\t', "folded lines start with a tab");
		}
	}
	buf_free(&b);
}

static void path(char *s, size_t len, const char *orig)
{
	char *addr = NULL, *rest = NULL;
	bool utf8 = false;
	const char *err = NULL;
	if (smtp_parse_path(s, &addr, &rest, &utf8, &err) < 0) {
		check(err != NULL, "path error has a reason");
		return;
	}
	size_t alen = strlen(addr);
	check(inside(addr, s, len) && inside(rest, s, len) && addr + alen < rest + 1,
	      "path results inside input, address before parameters");
	check(alen <= SMTP_PATH_MAX, "address within SMTP_PATH_MAX");
	check(rest[0] != ' ', "parameters start after the spaces");
	bool nonascii = false;
	for (const char *c = addr; *c; c++)
		nonascii |= (unsigned char)*c >= 0x80;
	check(utf8 == nonascii, "utf8 flag = non-ASCII address");

	char local[SMTP_PATH_MAX + 1], domain[SMTP_DOMAIN_MAX + 1];
	if (alen > 0) {
		const char *at = strrchr(addr, '@');
		int r = smtp_addr_split(addr, local, sizeof(local), domain, sizeof(domain));
		if (at) {
			check(r == 0, "a parsed address splits");
			size_t dlen = strlen(domain);
			check(dlen < alen && addr[alen - dlen - 1] == '@' &&
				      strcmp(addr + alen - dlen, domain) == 0,
			      "domain is the address's tail after an '@'");
			check(local[0] != '\0' || addr[0] == '"', "local part non-empty unless quoted");
			char probe[SMTP_DOMAIN_MAX + 8], *a3, *r3;
			bool u3;
			snprintf(probe, sizeof(probe), "<x@%s>", domain);
			check(smtp_parse_path(probe, &a3, &r3, &u3, &err) == 0,
			      "the split domain is a domain");
		} else {
			check(strcasecmp(addr, "postmaster") == 0, "no domain only for postmaster");
			check(r == -1, "postmaster has no domain to split");
		}
	}
	/* reparse "<addr>": the same address, nothing after it */
	char *again = malloc(alen + 3), *addr2, *rest2;
	bool utf2;
	check(again != NULL, "out of memory");
	again[0] = '<';
	memcpy(again + 1, addr, alen);
	memcpy(again + 1 + alen, ">", 2);
	check(smtp_parse_path(again, &addr2, &rest2, &utf2, &err) == 0, "parsed path reparses");
	check(strcmp(addr2, addr) == 0 && rest2[0] == '\0' && utf2 == utf8, "reparse is identical");
	free(again);

	received(orig, alen ? addr : NULL);
	params(rest, len - (size_t)(rest - s));
}

static void xtext(const char *in, size_t len)
{
	char out[SMTP_XTEXT_MAX + 1];
	long n = smtp_xtext_decode(in, out, sizeof(out));
	check(n >= -1 && n <= SMTP_XTEXT_MAX, "xtext length");
	if (n >= 0)
		check(strlen(out) == (size_t)n, "xtext NUL-terminated, no NUL inside");
	for (size_t small = 0; n >= 0 && small <= (size_t)n + 1; small += 1 + (size_t)n / 4) {
		long m = smtp_xtext_decode(in, out, small);
		check(small > (size_t)n ? m == n : m == -1, "xtext respects outsize");
	}
	/* encode with lmtp_xtext, decode: the same text when it has no CTLs */
	bool ctl = false;
	for (size_t i = 0; i < len; i++)
		ctl |= (unsigned char)in[i] < 32 || in[i] == 127;
	size_t encsize = 3 * len + 5;
	char *enc = malloc(encsize), *dec = malloc(len + 1);
	check(enc && dec, "out of memory");
	lmtp_xtext(in, enc, encsize);
	long d = smtp_xtext_decode(enc, dec, len + 1);
	if (!ctl)
		check(d == (long)len && memcmp(dec, in, len) == 0, "lmtp_xtext round trip");
	else
		check(d == -1, "xtext never carries control bytes");
	free(enc);
	free(dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *in = malloc(size + 1), *s = malloc(size + 1);
	check(in && s, "out of memory");
	memcpy(in, data, size);
	in[size] = '\0';
	size_t len = strlen(in); /* the parsers take C strings */
	memcpy(s, in, len + 1);
	path(s, len, in);
	memcpy(s, in, len + 1);
	params(s, len);
	xtext(in, len);
	free(s);
	free(in);
	return 0;
}
