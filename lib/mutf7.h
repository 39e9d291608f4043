/* mutf7: IMAP "modified UTF-7" (RFC 3501 5.1.3), the encoding Dovecot uses
 * for mailbox names on disk unless mail_location has :UTF-8.
 * Invariants: both directions are strict and total: encoding rejects
 * invalid UTF-8 (overlongs, surrogates, > U+10FFFF); decoding rejects
 * anything a conforming encoder cannot produce (bad base64, non-zero pad
 * bits, unpaired surrogates, encoded printable ASCII, bytes >= 0x80), so
 * decode(encode(x)) == x and every name has exactly one spelling. */
#ifndef TERN_MUTF7_H
#define TERN_MUTF7_H
#include <stddef.h>

/* Encode the UTF-8 string `in` into `out` (size `size`, NUL-terminated).
 * Printable ASCII except '&' is copied, '&' becomes "&-", everything else
 * becomes "&<base64 of UTF-16BE, ',' for '/', no padding>-". Returns the
 * output length, or -1 when `in` is not valid UTF-8 or `out` is too small
 * (errno EILSEQ / ENAMETOOLONG). */
int mutf7_encode(const char *in, char *out, size_t size);

/* Decode a modified UTF-7 string into UTF-8 in `out` (size `size`).
 * Returns the output length, or -1 (errno EILSEQ / ENAMETOOLONG). */
int mutf7_decode(const char *in, char *out, size_t size);

#endif
