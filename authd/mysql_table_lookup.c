/* mysql_table_lookup: one key through a parsed mysql_table(5) map as
 * Postfix's dict_mysql_lookup(): domain list and UTF-8 checks, query
 * expansion (or suppression), then every non-NULL cell of every row through
 * result_format, comma-joined.
 * Invariants: thread-safe (the table is read-only here, the error memo is
 * locked); database trouble, expansion_limit and a short out are DIR_TEMP. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mysql_table_int.h"
#include "sql.h"

/* Postfix's db_common_check_domain(): with a domain list, only
 * local@domain keys whose domain is listed ("!d" excludes d) are asked. */
static bool domain_ok(const struct mysql_table *t, const char *key)
{
	if (t->ndomains == 0)
		return true;
	const char *at = strrchr(key, '@');
	if (!at || at == key)
		return false;
	for (size_t i = 0; i < t->ndomains; i++) {
		const char *pat = t->domains[i];
		bool neg = pat[0] == '!';
		if (strcasecmp(pat + neg, at + 1) == 0)
			return !neg;
	}
	return false;
}

/* As dict_mysql: a key that is not UTF-8 is not looked up. */
static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p++, n, min, cp;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, min = 0x80, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, min = 0x800, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, min = 0x10000, cp = c & 0x07;
		else
			return false;
		for (; n > 0; n--, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (*p & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

/* Log a database error once per distinct message (the server being down
 * must not write a line per lookup). */
static void log_db_error(struct mysql_table *t, const char *what, const char *msg)
{
	char v[256];
	pthread_mutex_lock(&t->lock);
	bool fresh = strncmp(t->last_error, msg, sizeof(t->last_error) - 1) != 0;
	if (fresh)
		snprintf(t->last_error, sizeof(t->last_error), "%s", msg);
	pthread_mutex_unlock(&t->lock);
	if (fresh)
		log_error("mysql-table-%s path=%s reason=%s", what, t->path,
			  log_value(v, sizeof(v), msg, strlen(msg)));
}

static void log_key(const struct mysql_table *t, const char *event, const char *key)
{
	char v[256];
	log_warning("mysql-table-%s path=%s key=%s", event, t->path,
		    log_value(v, sizeof(v), key, strlen(key)));
}

/* Every non-NULL cell through result_format, comma-joined into out. */
static enum dir_result collect(const struct mysql_table *t, const char *key,
			       const struct sql_result *rs, char *out, size_t outsize)
{
	struct buf b;
	unsigned long n = 0;
	enum dir_result r = DIR_FOUND;

	buf_init(&b, outsize > 1 ? outsize - 1 : 1);
	for (size_t i = 0; r == DIR_FOUND && i < rs->nrows * rs->ncols; i++) {
		const char *v = rs->cells[i];
		size_t mark = b.len;
		if (!v)
			continue;
		if (b.len)
			buf_append_char(&b, ',');
		if (mysql_table_format_result(t->result_format, key, v, &b) <= 0) {
			buf_truncate(&b, mark);
			if (!v[0])
				log_key(t, "empty-result-ignored", key);
		} else if (t->expansion_limit && ++n > t->expansion_limit) {
			log_key(t, "expansion-limit-exceeded", key);
			r = DIR_TEMP;
		}
	}
	if (r == DIR_FOUND && (buf_error(&b) || b.len >= outsize)) {
		log_key(t, "result-too-long", key);
		r = DIR_TEMP;
	}
	if (r == DIR_FOUND && b.len == 0)
		r = DIR_NOTFOUND;
	if (r == DIR_FOUND)
		memcpy(out, b.data, b.len + 1);
	buf_free(&b);
	return r;
}

enum dir_result mysql_table_lookup(struct mysql_table *t, const char *key, char *out,
				   size_t outsize)
{
	struct buf q;
	struct sql_result *rs = NULL;
	char err[256] = "";
	enum dir_result r = DIR_NOTFOUND;

	if (outsize)
		out[0] = '\0';
	if (!domain_ok(t, key) || !valid_utf8(key))
		return DIR_NOTFOUND;
	buf_init(&q, MT_MAX_QUERY);
	/* result_format's %D %U %1..%9 need parts of the key as well: Postfix
	 * skips the query for a key without them. "x@x" has every value part. */
	int e = mysql_table_format_result(t->result_format, key, "x@x", &q);
	buf_reset(&q);
	if (e > 0)
		e = mysql_table_expand_query(t->query, key, &q);
	if (e > 0 && buf_error(&q)) {
		log_key(t, "query-too-long", key);
		r = DIR_TEMP;
	} else if (e > 0) {
		enum sql_status st = sql_query(t->db, buf_str(&q), &rs, err, sizeof(err));
		if (st != SQL_OK)
			log_db_error(t, st == SQL_PERM ? "query-failed" : "database-unavailable",
				     err[0] ? err : "unknown error");
		r = st != SQL_OK ? DIR_TEMP : collect(t, key, rs, out, outsize);
		sql_result_free(&rs);
	}
	buf_free(&q);
	return r;
}
