/* buf: a growable byte buffer with a hard size limit and a sticky error flag.
 * Invariants: data is always NUL-terminated (data[len] == 0) so it can be used
 * as a C string when it holds text; len <= limit; once an append would pass
 * the limit (or allocation fails) `error` is set and every later append is a
 * no-op until buf_reset(). Callers check buf_error() once after a series of
 * appends instead of after each one. */
#ifndef TERN_BUF_H
#define TERN_BUF_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t limit; /* maximal len; 0 means SIZE_MAX/2 */
	bool error;
};

/* Initialize an empty buffer that may grow to `limit` bytes (0 = no limit). */
void buf_init(struct buf *b, size_t limit);
/* Release the memory; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);
/* Empty the buffer and clear the error flag; keeps the allocation. */
void buf_reset(struct buf *b);
/* Append bytes / a C string / one byte / printf output. Set error on overflow. */
void buf_append(struct buf *b, const void *data, size_t len);
void buf_append_str(struct buf *b, const char *s);
void buf_append_char(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Remove the first n bytes (n > len removes all). */
void buf_consume(struct buf *b, size_t n);
/* Truncate to n bytes (no-op when n >= len). */
void buf_truncate(struct buf *b, size_t n);
/* Make room for `n` more bytes and return a pointer to it (NULL and error set
 * when that would pass the limit); commit what was written with buf_added(). */
char *buf_reserve(struct buf *b, size_t n);
void buf_added(struct buf *b, size_t n);
static inline bool buf_error(const struct buf *b) { return b->error; }
static inline const char *buf_str(const struct buf *b) { return b->data ? b->data : ""; }

#endif
