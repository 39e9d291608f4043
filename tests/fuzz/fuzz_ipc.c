/* fuzz_ipc: libFuzzer harness for the wire codecs of lib/ipc.c: netstring
 * decoding, tab unescaping and field splitting, base64 decoding.
 * Invariants checked: decoders stay inside the input and their limits;
 * unescape(escape(x)) == x; accepted base64 re-encodes to the same text;
 * a decoded netstring re-encodes to the bytes it was read from. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ipc.h"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ipc: invariant failed: %s\n", what);
		abort();
	}
}

static void netstrings(const char *in, size_t len)
{
	const char *data;
	size_t dlen, used;
	while (len > 0) {
		int ret = ipc_netstring_get(in, len, 256, &data, &dlen, &used);
		check(ret >= -1 && ret <= 1, "netstring return");
		if (ret != 1)
			return;
		check(used <= len && dlen <= 256 && data >= in && data + dlen <= in + used,
		      "netstring bounds");
		struct buf b;
		buf_init(&b, 0);
		ipc_netstring_put(&b, data, dlen);
		check(b.len == used && memcmp(b.data, in, used) == 0, "netstring round trip");
		buf_free(&b);
		in += used;
		len -= used;
	}
}

static void tabs(const char *in, size_t len)
{
	char *s = malloc(len + 1);
	memcpy(s, in, len);
	s[len] = '\0';
	long n = ipc_tabunescape(s, len);
	check(n >= -1 && n <= (long)len, "unescape length");
	if (n >= 0) {
		struct buf b;
		buf_init(&b, 0);
		ipc_tabescape(&b, s, (size_t)n);
		/* an empty buf may have no storage yet: compare only when non-empty */
		if (b.len > 0) {
			check(memchr(b.data, '\t', b.len) == NULL && memchr(b.data, '\n', b.len) == NULL,
			      "escape removes tabs and newlines");
			long m = ipc_tabunescape(b.data, b.len);
			check(m == n && memcmp(b.data, s, (size_t)n) == 0, "tab escape round trip");
		}
		check((b.len == 0) == (n == 0), "escape of nothing is nothing");
		buf_free(&b);
	}
	memcpy(s, in, len);
	s[len] = '\0';
	char *fields[8];
	size_t lens[8];
	int nf = ipc_split_fields(s, len, fields, lens, 8);
	check(nf >= -1 && nf <= 8, "split count");
	for (int i = 0; i < nf; i++)
		check(fields[i] >= s && fields[i] + lens[i] <= s + len && fields[i][lens[i]] == '\0',
		      "split bounds");
	free(s);
}

static void base64(const char *in, size_t len)
{
	unsigned char *out = malloc(len / 4 * 3); /* exactly what ipc.h asks for */
	long n = ipc_base64_decode(in, len, out);
	check(n >= -1 && n <= (long)(len / 4 * 3), "base64 length");
	if (n >= 0) {
		struct buf b;
		buf_init(&b, 0);
		ipc_base64_encode(&b, out, (size_t)n);
		check(b.len == len && (len == 0 || memcmp(b.data, in, len) == 0),
		      "base64 canonical round trip");
		buf_free(&b);
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	netstrings(in, size);
	tabs(in, size);
	base64(in, size);
	return 0;
}
