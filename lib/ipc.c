/* ipc: Dovecot tab-escaping and field splitting, netstrings, base64.
 * Invariants: no decoder reads outside [in, in + len); each rejects input
 * that a strict reading of its format does not allow (bad escapes, leading
 * zeros or signs in netstring lengths, non-canonical base64) instead of
 * repairing it. */
#include "ipc.h"

#include <string.h>

void ipc_tabescape(struct buf *out, const char *s, size_t len)
{
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		char esc;
		switch (s[i]) {
		case '\001': esc = '1'; break;
		case '\t': esc = 't'; break;
		case '\r': esc = 'r'; break;
		case '\n': esc = 'n'; break;
		case '\0': esc = '0'; break;
		default: continue;
		}
		buf_append(out, s + run, i - run);
		buf_append_char(out, '\001');
		buf_append_char(out, esc);
		run = i + 1;
	}
	buf_append(out, s + run, len - run);
}

long ipc_tabunescape(char *s, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '\001') {
			s[o++] = s[i];
			continue;
		}
		if (++i == len)
			return -1;
		switch (s[i]) {
		case '1': s[o++] = '\001'; break;
		case 't': s[o++] = '\t'; break;
		case 'r': s[o++] = '\r'; break;
		case 'n': s[o++] = '\n'; break;
		case '0': s[o++] = '\0'; break;
		default: return -1;
		}
	}
	return (long)o;
}

int ipc_split_fields(char *line, size_t len, char **fields, size_t *lens, int max_fields)
{
	if (max_fields <= 0)
		return -1;
	int n = 0;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != '\t')
			continue;
		if (n == max_fields)
			return -1;
		long ulen = ipc_tabunescape(line + start, i - start);
		if (ulen < 0)
			return -1;
		line[start + (size_t)ulen] = '\0';
		fields[n] = line + start;
		if (lens)
			lens[n] = (size_t)ulen;
		n++;
		start = i + 1;
	}
	return n;
}

void ipc_netstring_put(struct buf *out, const char *data, size_t len)
{
	buf_printf(out, "%zu:", len);
	buf_append(out, data, len);
	buf_append_char(out, ',');
}

#define NETSTRING_MAX_DIGITS 9

int ipc_netstring_get(const char *in, size_t inlen, size_t max_len, const char **data_r,
		      size_t *len_r, size_t *used_r)
{
	size_t i = 0, n = 0;
	for (; i < inlen && in[i] >= '0' && in[i] <= '9'; i++) {
		if (i == NETSTRING_MAX_DIGITS)
			return -1;
		if (i == 1 && in[0] == '0')
			return -1; /* leading zero */
		n = n * 10 + (size_t)(in[i] - '0');
		if (n > max_len)
			return -1;
	}
	if (i == inlen)
		return 0; /* (maybe) more digits or the ':' to come */
	if (i == 0 || in[i] != ':')
		return -1;
	size_t start = i + 1;
	if (inlen - start < n + 1)
		return 0;
	if (in[start + n] != ',')
		return -1;
	*data_r = in + start;
	*len_r = n;
	*used_r = start + n + 1;
	return 1;
}

static const char b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long ipc_base64_decode(const char *in, size_t len, unsigned char *out)
{
	size_t o = 0;
	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		bool last = i + 4 == len;
		int pad = 0;
		if (last && in[i + 3] == '=')
			pad = in[i + 2] == '=' ? 2 : 1;
		int v[4] = { 0, 0, 0, 0 };
		for (int k = 0; k < 4 - pad; k++) {
			v[k] = b64_value((unsigned char)in[i + (size_t)k]);
			if (v[k] < 0)
				return -1;
		}
		unsigned long q = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 |
				  (unsigned long)v[2] << 6 | (unsigned long)v[3];
		/* canonical: the bits that padding drops must be zero */
		if ((pad == 1 && (q & 0xff)) || (pad == 2 && (q & 0xffff)))
			return -1;
		out[o++] = (unsigned char)(q >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(q >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)q;
	}
	return (long)o;
}

void ipc_base64_encode(struct buf *out, const unsigned char *in, size_t len)
{
	char quad[4];
	for (size_t i = 0; i < len; i += 3) {
		size_t left = len - i;
		unsigned long q = (unsigned long)in[i] << 16;
		if (left > 1)
			q |= (unsigned long)in[i + 1] << 8;
		if (left > 2)
			q |= in[i + 2];
		quad[0] = b64_chars[(q >> 18) & 63];
		quad[1] = b64_chars[(q >> 12) & 63];
		quad[2] = left > 1 ? b64_chars[(q >> 6) & 63] : '=';
		quad[3] = left > 2 ? b64_chars[q & 63] : '=';
		buf_append(out, quad, 4);
	}
}
