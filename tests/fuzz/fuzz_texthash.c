/* fuzz_texthash: libFuzzer harness for authd/texthash.c. The first byte
 * picks the mode (map, keys, list); the rest is parsed as a table file.
 * A small model of the format (logical lines, comments, NUL taint, the
 * line limit) predicts every key: each must be found with the value of its
 * first definition, and texthash_count must equal the distinct keys.
 * Violations abort. Warnings go to /dev/null. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "texthash.h"

#define BLANKS " \t\r\v\f"

struct entry {
	char *key, *value;
	size_t order;
};

struct model {
	struct entry *e;
	size_t n, cap;
	struct buf line; /* logical line being assembled */
	bool active, bad;
	enum texthash_mode mode;
};

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_texthash: invariant failed: %s\n", what);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_open("fuzz_texthash", "/dev/null");
	return 0;
}

static void expect(struct model *m, const char *key, size_t klen, const char *value)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 16;
		m->e = realloc(m->e, m->cap * sizeof(*m->e));
		check(m->e != NULL, "out of memory");
	}
	struct entry *e = &m->e[m->n];
	e->key = strndup(key, klen);
	e->value = strdup(value);
	check(e->key && e->value, "out of memory");
	for (char *p = e->key; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	e->order = m->n++;
}

/* The logical line is complete: what it should have added. */
static void finish(struct model *m)
{
	if (!m->active)
		return;
	m->active = false;
	if (m->bad || buf_error(&m->line))
		return;
	char *s = m->line.data;
	size_t len = m->line.len;
	while (len > 0 && strchr(BLANKS, s[len - 1]))
		s[--len] = '\0';
	if (m->mode == TH_LIST) {
		for (size_t i = 0; i < len;) {
			size_t t = strcspn(s + i, BLANKS ",");
			if (t > 0)
				expect(m, s + i, t, "");
			i += t ? t : 1;
		}
		return;
	}
	size_t klen = strcspn(s, BLANKS);
	const char *value = s + klen;
	value += strspn(value, BLANKS);
	if (m->mode == TH_MAP && !*value)
		return;
	expect(m, s, klen, value);
}

static void physical(struct model *m, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] != '\0' && strchr(BLANKS, p[i]))
		i++;
	if (memchr(p, '\0', n)) {
		if (i > 0 && m->active)
			m->bad = true;
		else
			finish(m);
		return;
	}
	if (i == n || p[i] == '#')
		return;
	if (i > 0) {
		if (m->active) {
			buf_append_char(&m->line, ' ');
			buf_append(&m->line, p + i, n - i);
		}
		return;
	}
	finish(m);
	buf_reset(&m->line);
	buf_append(&m->line, p, n);
	m->active = true;
	m->bad = false;
}

static int by_key(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static void verify(struct model *m, const struct texthash *th)
{
	size_t distinct = 0;
	if (m->n > 0) /* qsort(NULL, 0, ...) is undefined */
		qsort(m->e, m->n, sizeof(*m->e), by_key);
	for (size_t i = 0; i < m->n; i++) {
		if (i > 0 && strcmp(m->e[i].key, m->e[i - 1].key) == 0)
			continue;
		distinct++;
		const char *v = texthash_get(th, m->e[i].key);
		check(v != NULL, "expected key missing");
		check(strcmp(v, m->e[i].value) == 0, "value is not the first definition's");
	}
	check(texthash_count(th) == distinct, "count differs from distinct keys");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct model m = { .mode = (enum texthash_mode)(data[0] % 3) };
	const char *text = (const char *)data + 1, *p = text, *end = text + size - 1;
	struct texthash *th = texthash_parse(text, size - 1, "fuzz.cf", m.mode);
	check(th != NULL, "parse returned NULL");

	buf_init(&m.line, TEXTHASH_MAX_LINE);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		physical(&m, p, n);
		p = nl ? nl + 1 : end;
	}
	finish(&m);
	verify(&m, th);
	check(texthash_get(th, "") == NULL, "empty key");

	for (size_t i = 0; i < m.n; i++) {
		free(m.e[i].key);
		free(m.e[i].value);
	}
	free(m.e);
	buf_free(&m.line);
	texthash_free(&th);
	check(th == NULL, "free clears the pointer");
	return 0;
}
