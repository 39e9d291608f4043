/* mutf7: modified UTF-7 <-> UTF-8 for mailbox names.
 * Invariants: output is always NUL-terminated when the call succeeds; a
 * shifted run is UTF-16BE packed 6 bits per base64 letter, closed by '-'
 * with zero pad bits; surrogate pairs encode code points above U+FFFF. */
#include "mutf7.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

struct out {
	char *p;
	size_t len, size;
	bool overflow;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 >= o->size) {
		o->overflow = true;
		return;
	}
	o->p[o->len++] = c;
}

/* Next code point of UTF-8 `s` at *pos, or -1 when invalid. */
static int32_t utf8_next(const unsigned char *s, size_t *pos)
{
	unsigned char c = s[*pos];
	int32_t cp, min;
	int n;

	if (c < 0x80) {
		(*pos)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; min = 0x80; }
	else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; min = 0x800; }
	else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; min = 0x10000; }
	else return -1;
	for (int i = 1; i <= n; i++) {
		if ((s[*pos + i] & 0xc0) != 0x80)
			return -1; /* also stops at the NUL */
		cp = (cp << 6) | (s[*pos + i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*pos += (size_t)n + 1;
	return cp;
}

static void put_utf8(struct out *o, uint32_t cp)
{
	if (cp < 0x80) {
		put(o, (char)cp);
	} else if (cp < 0x800) {
		put(o, (char)(0xc0 | (cp >> 6)));
		put(o, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		put(o, (char)(0xe0 | (cp >> 12)));
		put(o, (char)(0x80 | ((cp >> 6) & 0x3f)));
		put(o, (char)(0x80 | (cp & 0x3f)));
	} else {
		put(o, (char)(0xf0 | (cp >> 18)));
		put(o, (char)(0x80 | ((cp >> 12) & 0x3f)));
		put(o, (char)(0x80 | ((cp >> 6) & 0x3f)));
		put(o, (char)(0x80 | (cp & 0x3f)));
	}
}

static int finish(struct out *o, bool bad)
{
	if (bad || o->overflow) {
		if (o->size > 0)
			o->p[0] = '\0';
		errno = bad ? EILSEQ : ENAMETOOLONG;
		return -1;
	}
	o->p[o->len] = '\0';
	return (int)o->len;
}

static bool is_direct(int32_t cp)
{
	return cp >= 0x20 && cp <= 0x7e;
}

int mutf7_encode(const char *in, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	struct out o = { out, 0, size, size == 0 || size > INT32_MAX };
	size_t pos = 0;

	while (s[pos] != '\0') {
		int32_t cp = utf8_next(s, &pos);
		uint32_t bits = 0;
		int nbits = 0;

		if (cp < 0)
			return finish(&o, true);
		if (is_direct(cp)) {
			put(&o, (char)cp);
			if (cp == '&')
				put(&o, '-');
			continue;
		}
		put(&o, '&');
		for (;;) {
			uint16_t units[2];
			int n = 1;

			if (cp >= 0x10000) {
				units[0] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
				units[1] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
				n = 2;
			} else {
				units[0] = (uint16_t)cp;
			}
			for (int i = 0; i < n; i++) {
				bits = (bits << 16) | units[i];
				nbits += 16;
				while (nbits >= 6) {
					nbits -= 6;
					put(&o, b64[(bits >> nbits) & 0x3f]);
				}
			}
			if (s[pos] == '\0' || s[pos] < 0x80) {
				/* ASCII (even a control byte) ends the run
				 * unless it is not directly encodable */
				if (s[pos] == '\0' || is_direct(s[pos]))
					break;
			}
			if ((cp = utf8_next(s, &pos)) < 0)
				return finish(&o, true);
		}
		if (nbits > 0)
			put(&o, b64[(bits << (6 - nbits)) & 0x3f]);
		put(&o, '-');
	}
	return finish(&o, false);
}

static int b64_value(unsigned char c)
{
	const char *p = c != '\0' ? strchr(b64, c) : NULL;

	return p != NULL ? (int)(p - b64) : -1;
}

/* Decode one shifted run starting after '&'; *pos ends after the '-'. */
static bool decode_run(const unsigned char *s, size_t *pos, struct out *o)
{
	uint32_t bits = 0, high = 0;
	int nbits = 0, v;
	size_t start = *pos;

	while ((v = b64_value(s[*pos])) >= 0) {
		(*pos)++;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t unit = (bits >> nbits) & 0xffff;
		if (high != 0) {
			if (unit < 0xdc00 || unit > 0xdfff)
				return false;
			put_utf8(o, 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00));
			high = 0;
		} else if (unit >= 0xd800 && unit <= 0xdbff) {
			high = unit;
		} else if ((unit >= 0xdc00 && unit <= 0xdfff) || is_direct((int32_t)unit) || unit == 0) {
			return false;
		} else {
			put_utf8(o, unit);
		}
	}
	if (s[*pos] != '-' || *pos == start || high != 0 || nbits >= 6 ||
	    (bits & ((1u << nbits) - 1)) != 0)
		return false;
	(*pos)++;
	return true;
}

int mutf7_decode(const char *in, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	struct out o = { out, 0, size, size == 0 || size > INT32_MAX };
	size_t pos = 0;

	while (s[pos] != '\0') {
		if (s[pos] != '&') {
			if (!is_direct(s[pos]))
				return finish(&o, true);
			put(&o, (char)s[pos++]);
		} else if (s[++pos] == '-') {
			put(&o, '&');
			pos++;
		} else if (!decode_run(s, &pos, &o) || (s[pos] == '&' && s[pos + 1] != '-')) {
			/* "&..-&..-": an encoder writes one run, never two in a row */
			return finish(&o, true);
		}
	}
	return finish(&o, false);
}
