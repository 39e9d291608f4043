/* mysql_table_expand: Postfix's db_common_expand() for mysql_table(5)
 * query templates and result_format, as pure functions.
 * Invariants: the template is checked before anything is appended (-1, out
 * untouched, for an unknown %x or a trailing %); a key or value lacking a
 * part the template needs gives 0 with out untouched; every value put into
 * a query goes through sql_escape, result values are copied as they are. */
#include "mysql_table.h"

#include <stdbool.h>
#include <string.h>

#include "sql.h"

#define NEED_USER 1
#define NEED_DOMAIN 2

/* What a template needs from the lookup key and from the result value. */
struct need {
	int key, value;
	int nparts; /* highest %1..%9 */
};

/* An address split as Postfix does: the domain follows the last '@'. */
struct parts {
	const char *s;
	const char *domain; /* NULL without '@' */
	size_t local_len;
};

static int scan(const char *tmpl, bool query, struct need *n)
{
	memset(n, 0, sizeof(*n));
	for (const char *p = tmpl; *p; p++) {
		if (*p != '%')
			continue;
		char c = *++p;
		if (c == '%' || c == 's' || c == 'S')
			continue;
		if (c == 'u')
			*(query ? &n->key : &n->value) |= NEED_USER;
		else if (c == 'd')
			*(query ? &n->key : &n->value) |= NEED_DOMAIN;
		else if (c == 'U')
			n->key |= NEED_USER;
		else if (c == 'D')
			n->key |= NEED_DOMAIN;
		else if (c >= '1' && c <= '9') {
			n->key |= NEED_DOMAIN;
			if (n->nparts < c - '0')
				n->nparts = c - '0';
		} else
			return -1; /* includes a '%' at the very end */
	}
	return 0;
}

static void split(const char *s, struct parts *p)
{
	const char *at = strrchr(s, '@');
	p->s = s;
	p->domain = at ? at + 1 : NULL;
	p->local_len = at ? (size_t)(at - s) : strlen(s);
}

/* Label n (1 = rightmost) of a domain; empty labels do not count, as with
 * Postfix's argv_split(). NULL when there are fewer labels. */
static const char *label(const char *d, int n, size_t *len_r)
{
	const char *end = d + strlen(d);
	while (end > d) {
		while (end > d && end[-1] == '.')
			end--;
		if (end == d)
			break;
		const char *start = end;
		while (start > d && start[-1] != '.')
			start--;
		if (--n == 0) {
			*len_r = (size_t)(end - start);
			return start;
		}
		end = start;
	}
	return NULL;
}

/* Does s have every part in need (and nparts labels when nparts > 0)? */
static bool has_parts(const struct parts *p, int need, int nparts)
{
	size_t len;
	if ((need & NEED_DOMAIN) && (!p->domain || !p->domain[0]))
		return false;
	if ((need & NEED_USER) && p->domain && p->local_len == 0)
		return false;
	return nparts == 0 || label(p->domain, nparts, &len) != NULL;
}

static void put(struct buf *out, const char *s, size_t len, bool quote)
{
	if (quote)
		sql_escape(out, s, len);
	else
		buf_append(out, s, len);
}

/* The local part of p, or all of it without '@' (%u). */
static void put_local(struct buf *out, const struct parts *p, bool quote)
{
	put(out, p->s, p->local_len, quote);
}

/* value: the key (query) or a result value; key: NULL for a query. */
static int expand(const char *tmpl, const char *value, const char *key, struct buf *out,
		  bool quote)
{
	struct need n;
	struct parts v, k;
	bool query = key == NULL;
	size_t len;

	if (scan(tmpl, query, &n) < 0)
		return -1;
	if (!value || !value[0])
		return 0;
	split(value, &v);
	split(query ? value : key, &k);
	if (!has_parts(&v, query ? 0 : n.value, 0) || !has_parts(&k, n.key, n.nparts))
		return 0;
	for (const char *p = tmpl; *p; p++) {
		if (*p != '%') {
			buf_append_char(out, *p);
			continue;
		}
		const char *s;
		switch (*++p) {
		case '%': buf_append_char(out, '%'); break;
		case 's': put(out, value, strlen(value), quote); break;
		case 'u': put_local(out, &v, quote); break;
		case 'd': put(out, v.domain, strlen(v.domain), quote); break;
		case 'S': put(out, k.s, strlen(k.s), quote); break;
		case 'U': put_local(out, &k, quote); break;
		case 'D': put(out, k.domain, strlen(k.domain), quote); break;
		default: /* '1'..'9', checked by scan() and has_parts() */
			s = label(k.domain, *p - '0', &len);
			put(out, s, len, quote);
			break;
		}
	}
	return 1;
}

int mysql_table_expand_query(const char *tmpl, const char *key, struct buf *out)
{
	return expand(tmpl, key, NULL, out, true);
}

int mysql_table_format_result(const char *fmt, const char *key, const char *value,
			      struct buf *out)
{
	return expand(fmt, value, key ? key : "", out, false);
}
