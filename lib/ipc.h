/* ipc: the wire codecs shared by every daemon: Dovecot-style tab-separated
 * lines with \001 escaping, and netstrings (Postfix socketmap).
 * Invariants: decoders never read past the given length, reject rather than
 * guess on malformed input, and are bounded by explicit limits. */
#ifndef TERN_IPC_H
#define TERN_IPC_H
#include <stdbool.h>
#include <stddef.h>
#include "buf.h"

/* Append `len` bytes of s to out, escaped as Dovecot's str_append_tabescaped:
 * \001 -> \001 '1', \t -> \001 't', \r -> \001 'r', \n -> \001 'n',
 * NUL -> \001 '0'. */
void ipc_tabescape(struct buf *out, const char *s, size_t len);
/* Unescape in place; returns the new length, or -1 on a bad escape (a \001
 * at the end or followed by anything but 1 t r n 0). The result may hold NUL
 * bytes when the input escaped one; callers that want C strings reject
 * those (memchr). */
long ipc_tabunescape(char *s, size_t len);

/* Split a line (no line end) in place at tabs into at most max_fields
 * fields, unescaping each. Returns the field count, -1 when there are more
 * than max_fields or an escape is bad. Field i is fields[i] (NUL-terminated,
 * may contain an embedded NUL if one was escaped: see lens[i]). lens may be
 * NULL. */
int ipc_split_fields(char *line, size_t len, char **fields, size_t *lens, int max_fields);

/* Netstring encode: "<len>:<data>," appended to out. */
void ipc_netstring_put(struct buf *out, const char *data, size_t len);
/* Try to decode one netstring from the start of in[0..inlen).
 * Returns 1 with *data_r and *len_r pointing into `in` and *used_r the total
 * bytes consumed; 0 when more input is needed; -1 when malformed (non-digit
 * length, leading zeros other than "0:", length over max_len, missing ','). */
int ipc_netstring_get(const char *in, size_t inlen, size_t max_len, const char **data_r,
		      size_t *len_r, size_t *used_r);

/* Base64 (RFC 4648, with padding) for SASL. decode returns the decoded length
 * or -1 on anything that is not canonical base64 (bad chars, bad padding,
 * whitespace). out must hold (len/4)*3 bytes; encode appends to a buf. */
long ipc_base64_decode(const char *in, size_t len, unsigned char *out);
void ipc_base64_encode(struct buf *out, const unsigned char *in, size_t len);

#endif
