/* smtp_parse: RFC 5321 paths and parameters, RFC 3461 xtext, address
 * splitting and the Received: header (see smtp_parse.h).
 * Invariants: parsers walk NUL-terminated text with explicit bounds, write
 * only inside the caller's buffer (in place) or into sized outputs, and
 * report the first error; a non-ASCII byte is accepted only as part of a
 * well-formed UTF-8 sequence. */
#include "smtp_parse.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp_server.h"

static bool is_atext(unsigned char ch)
{
	return isalnum(ch) || (ch && strchr("!#$%&'*+-/=?^_`{|}~", ch)) || ch >= 0x80;
}

/* Length of the UTF-8 sequence at p (1..4), or 0 when malformed. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0; /* overlong, surrogate, above U+10FFFF */
	return n;
}

static bool utf8_valid(const char *s, bool *nonascii_r)
{
	const unsigned char *p = (const unsigned char *)s;
	*nonascii_r = false;
	while (*p) {
		size_t n = utf8_len(p);
		if (n == 0)
			return false;
		if (n > 1)
			*nonascii_r = true;
		p += n;
	}
	return true;
}

/* A domain or address literal at *pp; advances past it. 0 or -1. */
static int parse_domain(const char **pp)
{
	const char *p = *pp, *start = p;
	if (*p == '[') {
		for (p++; *p && *p != ']'; p++)
			if ((unsigned char)*p < 33 || (unsigned char)*p > 126 || *p == '[' || *p == '\\')
				return -1;
		if (*p != ']' || p == start + 1)
			return -1;
		*pp = p + 1;
		return p + 1 - start > SMTP_DOMAIN_MAX ? -1 : 0;
	}
	for (;;) {
		const char *label = p;
		while (isalnum((unsigned char)*p) || *p == '-' || (unsigned char)*p >= 0x80)
			p++;
		if (p == label || p - label > 63 || *label == '-' || p[-1] == '-')
			return -1;
		if (*p != '.')
			break;
		p++;
	}
	if (p - start > SMTP_DOMAIN_MAX)
		return -1;
	*pp = p;
	return 0;
}

/* "@d1,@d2:" at *pp (a source route); advances past the colon. */
static int parse_route(const char **pp)
{
	const char *p = *pp;
	for (;;) {
		if (*p++ != '@' || parse_domain(&p) < 0)
			return -1;
		if (*p == ':')
			break;
		if (*p++ != ',')
			return -1;
	}
	*pp = p + 1;
	return 0;
}

/* Local part at *pp: dot-string or quoted string. */
static int parse_local(const char **pp)
{
	const char *p = *pp;
	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			unsigned char ch = (unsigned char)*p;
			if (ch == '\\') {
				ch = (unsigned char)*++p;
				if (ch < 32 || ch > 126)
					return -1;
			} else if (ch < 32 || ch == 127) {
				return -1; /* includes the NUL at the end: unterminated */
			}
		}
		*pp = p + 1;
		return 0;
	}
	while (is_atext((unsigned char)*p) || *p == '.')
		p++;
	if (p == *pp)
		return -1;
	*pp = p;
	return 0;
}

int smtp_parse_path(char *arg, char **addr_r, char **params_r, bool *utf8_r, const char **err_r)
{
	char *p = arg;
	while (*p == ' ')
		p++;
	if (*p++ != '<')
		return *err_r = "address must be in <>", -1;
	const char *q = p;
	bool route = *q == '@';
	if (route && parse_route(&q) < 0)
		return *err_r = "bad source route", -1;
	char *addr = (char *)q;
	if (*q == '>') {
		if (route)
			return *err_r = "empty address after source route", -1;
	} else {
		if (parse_local(&q) < 0)
			return *err_r = "bad local part", -1;
		if (*q == '@') {
			q++;
			if (parse_domain(&q) < 0)
				return *err_r = "bad domain", -1;
		} else if ((size_t)(q - addr) != 10 || strncasecmp(addr, "postmaster", 10) != 0) {
			return *err_r = "domain missing", -1;
		}
		if (*q != '>')
			return *err_r = *q ? "bad character in address" : "missing >", -1;
	}
	if ((size_t)(q - addr) > SMTP_PATH_MAX)
		return *err_r = "address too long", -1;
	p = (char *)q;
	*p++ = '\0';
	if (!utf8_valid(addr, utf8_r))
		return *err_r = "bad UTF-8 in address", -1;
	if (*p != '\0' && *p != ' ')
		return *err_r = "garbage after address", -1;
	while (*p == ' ')
		p++;
	*addr_r = addr;
	*params_r = p;
	return 0;
}

int smtp_parse_params(char *s, struct smtp_param *out, size_t max, const char **err_r)
{
	size_t n = 0;
	char *p = s;
	while (*p) {
		char *key = p, *value = NULL;
		if (!isalnum((unsigned char)*p))
			return *err_r = "bad parameter keyword", -1;
		while (isalnum((unsigned char)*p) || *p == '-')
			p++;
		size_t klen = (size_t)(p - key);
		if (klen >= sizeof(out[0].key))
			return *err_r = "parameter keyword too long", -1;
		if (*p == '=') {
			value = ++p;
			while (*p && *p != ' ') {
				unsigned char ch = (unsigned char)*p;
				size_t u = utf8_len((const unsigned char *)p);
				if (ch == '=' || ch < 33 || ch == 127 || u == 0)
					return *err_r = "bad parameter value", -1;
				p += u;
			}
			if (p == value)
				return *err_r = "empty parameter value", -1;
		} else if (*p && *p != ' ') {
			return *err_r = "bad parameter keyword", -1;
		}
		if (n == max)
			return *err_r = "too many parameters", -1;
		for (size_t i = 0; i < klen; i++)
			out[n].key[i] = (char)toupper((unsigned char)key[i]);
		out[n].key[klen] = '\0';
		if (smtp_param_find(out, n, out[n].key))
			return *err_r = "duplicate parameter", -1;
		out[n++].value = value;
		if (*p == ' ')
			*p++ = '\0';
		while (*p == ' ')
			p++;
		if (value)
			value[strcspn(value, " ")] = '\0';
	}
	return (int)n;
}

const struct smtp_param *smtp_param_find(const struct smtp_param *p, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].key, key) == 0)
			return &p[i];
	return NULL;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

long smtp_xtext_decode(const char *in, char *out, size_t outsize)
{
	size_t n = 0;
	for (const char *p = in; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '+') {
			int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
			if (lo < 0)
				return -1;
			ch = (unsigned char)(hi * 16 + lo);
			if (ch < 32 || ch == 127)
				return -1;
			p += 2;
		} else if (ch < 33 || ch > 126 || ch == '=') {
			return -1;
		}
		if (n + 1 >= outsize)
			return -1;
		out[n++] = (char)ch;
	}
	if (outsize == 0)
		return -1;
	out[n] = '\0';
	return (long)n;
}

int smtp_addr_split(const char *addr, char *local_r, size_t localsize, char *domain_r,
		    size_t domainsize)
{
	const char *at = NULL;
	bool quoted = false, literal = false; /* an address literal may hold '@' */
	for (const char *p = addr; *p; p++) {
		if (quoted && *p == '\\' && p[1])
			p++;
		else if (*p == '"' && !literal)
			quoted = !quoted;
		else if (!quoted && (*p == '[' || *p == ']'))
			literal = *p == '[';
		else if (*p == '@' && !quoted && !literal)
			at = p;
	}
	if (!at || strlen(at + 1) >= domainsize || at == addr)
		return -1;
	size_t n = 0;
	quoted = false;
	for (const char *p = addr; p < at; p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted && *p == '\\' && p + 1 < at)
			p++;
		if (n + 1 >= localsize)
			return -1;
		local_r[n++] = *p;
	}
	local_r[n] = '\0';
	strcpy(domain_r, at + 1);
	return 0;
}

/* Hostile text (HELO) for a header comment: printable, no ()\", bounded. */
static void append_clean(struct buf *out, const char *s)
{
	size_t n = 0;
	for (; *s && n < 255; s++, n++) {
		unsigned char ch = (unsigned char)*s;
		buf_append_char(out, ch > 32 && ch < 127 && !strchr("()\\\"", ch) ? (char)ch : '?');
	}
}

void smtp_received_header(struct buf *out, const struct smtp_received *r)
{
	char date[64], version[32] = "", cipher[96] = "";
	unsigned bits = 0;
	struct tm tm;
	buf_append_str(out, "Received: from ");
	append_clean(out, r->helo && r->helo[0] ? r->helo : "unknown");
	if (r->peer && strcmp(r->peer, "unix") != 0)
		buf_printf(out, " (unknown [%s])", r->peer);
	if (r->tls_info && sscanf(r->tls_info, "version=%31s cipher=%95s bits=%u", version,
				  cipher, &bits) == 3)
		buf_printf(out, "\r\n\t(using %s with cipher %s (%u/%u bits))", version, cipher, bits,
			   bits);
	buf_printf(out, "\r\n\tby %s (tern) with %s id %s", r->hostname, r->proto, r->queue_id);
	if (r->rcpt)
		buf_printf(out, "\r\n\tfor <%s>", r->rcpt);
	localtime_r(&r->when, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	buf_printf(out, "; %s\r\n", date);
}
