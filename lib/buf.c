/* buf: a growable byte buffer with a hard limit and a sticky error flag.
 * Invariants: when data != NULL, data[len] == 0 and len < cap; len never
 * passes the limit; once `error` is set every append is a no-op until
 * buf_reset(). Growth doubles the capacity (minimum 64 bytes). */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MIN_CAP 64

static size_t buf_limit(const struct buf *b)
{
	return b->limit ? b->limit : SIZE_MAX / 2;
}

void buf_init(struct buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
	b->error = false;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->error = false;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->error = false;
	if (b->data)
		b->data[0] = '\0';
}

/* Ensure room for n more bytes plus the NUL; sets error and returns false
 * when that would pass the limit or memory runs out. */
static bool buf_grow(struct buf *b, size_t n)
{
	if (b->error)
		return false;
	if (n > buf_limit(b) - b->len) {
		b->error = true;
		return false;
	}
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : BUF_MIN_CAP;
	while (cap < need)
		cap = cap > SIZE_MAX / 4 ? need : cap * 2;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->error = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void buf_append(struct buf *b, const void *data, size_t len)
{
	if (!buf_grow(b, len))
		return;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void buf_append_str(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_append_char(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	if (!buf_grow(b, 0))
		return;
	size_t room = b->cap - b->len;
	va_copy(ap2, ap);
	int n = vsnprintf(b->data + b->len, room, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (size_t)n > buf_limit(b) - b->len) {
		b->data[b->len] = '\0';
		b->error = true;
		return;
	}
	if ((size_t)n >= room) {
		b->data[b->len] = '\0';
		if (!buf_grow(b, (size_t)n))
			return;
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	}
	b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
	}
	if (b->data)
		b->data[b->len] = '\0';
}

void buf_truncate(struct buf *b, size_t n)
{
	if (n >= b->len)
		return;
	b->len = n;
	b->data[n] = '\0';
}

char *buf_reserve(struct buf *b, size_t n)
{
	if (!buf_grow(b, n))
		return NULL;
	return b->data + b->len;
}

void buf_added(struct buf *b, size_t n)
{
	if (b->error || !b->data || n >= b->cap - b->len)
		return;
	b->len += n;
	b->data[b->len] = '\0';
}
