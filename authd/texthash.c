/* texthash: joins physical lines into logical lines (continuations start
 * with whitespace), then splits each into key and value into a strmap.
 * Invariants: a logical line is at most TEXTHASH_MAX_LINE bytes (longer
 * ones are skipped with a warning); a physical line with a NUL byte taints
 * its whole logical line; values are malloc'd strings, NULL standing for "". */
#include "texthash.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "strmap.h"

struct texthash {
	struct strmap *map;
};

/* The logical line being assembled. */
struct lline {
	struct buf buf;
	unsigned start; /* physical line number of its first line */
	bool active;
	bool bad;	/* already reported; drop it */
};

#define BLANKS " \t\r\v\f"

static void line_warn(const char *name, unsigned line, const char *why)
{
	log_warning("directory-line-skipped at=%s:%u reason=%s", log_str(name), line, why);
}

static void lowercase(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Add key -> value (value NULL = ""); warn about duplicates. -1 = no memory. */
static int add(struct texthash *th, char *key, const char *value, const char *name,
	       unsigned line, bool warn_dup)
{
	char *v = NULL;
	int r;

	lowercase(key);
	if (value && value[0] && !(v = strdup(value)))
		return -1;
	r = strmap_add(th->map, key, v, NULL);
	if (r != 1)
		free(v);
	if (r == 0 && warn_dup)
		line_warn(name, line, "duplicate-key-first-kept");
	return r < 0 ? -1 : 0;
}

static int flush_list(struct texthash *th, char *s, const char *name, unsigned line)
{
	char *save = NULL;

	for (char *tok = strtok_r(s, BLANKS ",", &save); tok; tok = strtok_r(NULL, BLANKS ",", &save))
		if (add(th, tok, NULL, name, line, false) < 0)
			return -1;
	return 0;
}

static int flush(struct texthash *th, struct lline *ll, const char *name, enum texthash_mode mode)
{
	char *s, *value;
	size_t len;

	if (!ll->active)
		return 0;
	ll->active = false;
	if (ll->bad)
		return 0;
	if (buf_error(&ll->buf)) {
		line_warn(name, ll->start, "line-too-long");
		return 0;
	}
	s = ll->buf.data;
	len = ll->buf.len;
	while (len > 0 && strchr(BLANKS, s[len - 1]))
		s[--len] = '\0';
	if (mode == TH_LIST)
		return flush_list(th, s, name, ll->start);
	value = s + strcspn(s, BLANKS);
	if (*value) {
		*value++ = '\0';
		value += strspn(value, BLANKS);
	}
	if (mode == TH_MAP && !*value) {
		line_warn(name, ll->start, "expected-key-whitespace-value");
		return 0;
	}
	return add(th, s, value, name, ll->start, true);
}

/* One physical line (no line end). Returns -1 when out of memory. */
static int physical(struct texthash *th, struct lline *ll, const char *p, size_t n,
		    unsigned lineno, const char *name, enum texthash_mode mode)
{
	size_t i = 0;

	while (i < n && strchr(BLANKS, p[i]) && p[i] != '\0')
		i++;
	if (memchr(p, '\0', n)) {
		line_warn(name, lineno, "nul-byte");
		if (i > 0 && ll->active)
			ll->bad = true;
		else if (flush(th, ll, name, mode) < 0)
			return -1;
		return 0;
	}
	if (i == n || p[i] == '#')
		return 0;
	if (i > 0) {
		if (!ll->active) {
			line_warn(name, lineno, "continuation-without-line");
			return 0;
		}
		buf_append_char(&ll->buf, ' ');
		buf_append(&ll->buf, p + i, n - i);
		return 0;
	}
	if (flush(th, ll, name, mode) < 0)
		return -1;
	buf_reset(&ll->buf);
	buf_append(&ll->buf, p, n);
	ll->start = lineno;
	ll->active = true;
	ll->bad = false;
	return 0;
}

struct texthash *texthash_parse(const char *text, size_t len, const char *name,
				enum texthash_mode mode)
{
	struct texthash *th = calloc(1, sizeof(*th));
	struct lline ll = { .active = false };
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	int r = 0;

	if (!th || !(th->map = strmap_new())) {
		free(th);
		return NULL;
	}
	buf_init(&ll.buf, TEXTHASH_MAX_LINE);
	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		r = physical(th, &ll, p, n, ++lineno, name, mode);
		p = nl ? nl + 1 : end;
	}
	if (r == 0)
		r = flush(th, &ll, name, mode);
	buf_free(&ll.buf);
	if (r < 0)
		texthash_free(&th);
	return th;
}

void texthash_free(struct texthash **thp)
{
	struct texthash *th = thp ? *thp : NULL;

	if (!th)
		return;
	strmap_free(&th->map, free);
	free(th);
	*thp = NULL;
}

const char *texthash_get(const struct texthash *th, const char *key)
{
	void *v;

	if (!strmap_find(th->map, key, &v))
		return NULL;
	return v ? v : "";
}

size_t texthash_count(const struct texthash *th)
{
	return strmap_count(th->map);
}
