/* strutil: small string helpers the C library lacks (glibc 2.36 has no
 * strlcpy). Invariants: the destination is always NUL-terminated when
 * size > 0; nothing is written past size. */
#ifndef TERN_STRUTIL_H
#define TERN_STRUTIL_H
#include <stddef.h>

/* Copy src into dst (size bytes), cut to fit. Returns strlen(src), so a
 * result >= size tells that it was cut. */
size_t str_copy(char *dst, size_t size, const char *src);

#endif
