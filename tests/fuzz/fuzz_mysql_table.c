/* fuzz_mysql_table: libFuzzer harness for authd/mysql_table*.c: the bytes
 * as a Postfix mysql_table(5) file (written to one per-process temp file,
 * mysql_table_open reads it; it never connects: sql_db_get is lazy), then
 * mysql_table_expand_query / mysql_table_format_result with the first
 * line as template, the second as key, the third as value; and sql_escape
 * on the key.
 * Invariants checked: an opened table's query and result_format always
 * expand (they were checked at open); a failed open says "path:"; 0 and -1
 * leave out untouched; templates made only of %% and %s expand exactly as
 * a model does; sql_escape's output is a closed literal in both MySQL
 * modes and unescapes to the key. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "mysql_table.h"
#include "mysql_table_int.h"
#include "sql.h"

static char path[64];

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_mysql_table: invariant failed: %s\n", what);
		abort();
	}
}

static void cleanup(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_open("fuzz_mysql_table", "/dev/null");
	snprintf(path, sizeof(path), "/tmp/fuzz_mysql_table.%ld.cf", (long)getpid());
	atexit(cleanup);
	return 0;
}

/* sql_escape(s) is a closed single-quoted literal in backslash mode and in
 * NO_BACKSLASH_ESCAPES mode; unescaped (backslash mode) it is s again. */
static void escape_check(const char *s, size_t len)
{
	struct buf b, u;
	buf_init(&b, 0);
	buf_init(&u, 0);
	sql_escape(&b, s, len);
	check(!buf_error(&b), "escape built");
	for (size_t i = 0; i < b.len; i++) {
		char c = b.data[i];
		check(c != '\0' && c != '\r' && c != '\n' && c != '\032', "no raw NUL CR LF ^Z");
		if (c == '\'') { /* '' in both modes */
			check(i + 1 < b.len && b.data[i + 1] == '\'', "quote doubled");
			buf_append_char(&u, '\'');
			i++;
		} else if (c == '\\') {
			check(i + 1 < b.len, "no trailing backslash");
			char n = b.data[++i];
			buf_append_char(&u, n == '0' ? '\0' : n == 'r' ? '\r' : n == 'n' ? '\n'
							: n == 'Z' ? '\032' : n);
		} else {
			buf_append_char(&u, c);
		}
	}
	/* NO_BACKSLASH_ESCAPES: \ is literal, so "\'" must not occur unpaired:
	 * every quote already came in pairs above, which covers both modes. */
	check(u.len == len && (len == 0 || memcmp(u.data, s, len) == 0), "unescape(escape(s)) == s");
	buf_free(&b);
	buf_free(&u);
}

/* Templates with only %% and %s: the expected query. -1 when not such. */
static int model(const char *tmpl, const char *key, struct buf *out)
{
	for (const char *p = tmpl; *p; p++) {
		if (*p != '%') {
			buf_append_char(out, *p);
			continue;
		}
		if (p[1] == '%')
			buf_append_char(out, '%');
		else if (p[1] == 's')
			sql_escape(out, key, strlen(key));
		else
			return -1;
		p++;
	}
	return 0;
}

static void expansions(const char *tmpl, const char *key, const char *value)
{
	struct buf out, m;
	buf_init(&out, 0);
	buf_append_str(&out, "x");
	int r = mysql_table_expand_query(tmpl, key, &out);
	check(r >= -1 && r <= 1, "expand result");
	check(r == 1 || out.len == 1, "0 and -1 leave out untouched");
	buf_init(&m, 0);
	buf_append_str(&m, "x");
	if (model(tmpl, key, &m) == 0) {
		check(r == (key[0] ? 1 : 0), "a %%/%s template expands unless the key is empty");
		if (r == 1)
			check(out.len == m.len && memcmp(out.data, m.data, m.len) == 0,
			      "expansion equals the model");
	}
	buf_free(&m);
	buf_reset(&out);
	buf_append_str(&out, "x");
	r = mysql_table_format_result(tmpl, key, value, &out);
	check(r >= -1 && r <= 1, "format result");
	check(r == 1 || out.len == 1, "format: 0 and -1 leave out untouched");
	if (!strchr(tmpl, '%') && value[0])
		check(r == 1 && strcmp(buf_str(&out) + 1, tmpl) == 0, "plain format is itself");
	buf_free(&out);
}

static void table(const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	check(fd >= 0, "temp file");
	check(write(fd, data, size) == (ssize_t)size, "temp file write");
	close(fd);
	char err[512] = "";
	struct mysql_table *t = mysql_table_open(path, err, sizeof(err));
	if (!t) {
		check(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':',
		      "open error names the file");
		return;
	}
	check(t->db != NULL && t->query != NULL && t->result_format != NULL, "opened table");
	check(strcmp(mysql_table_path(t), path) == 0, "path");
	static const char *const keys[] = { "user@example.com", "x", "a@b.c.d.e.f.g.h.i.j",
					    "'; DROP TABLE x; --@d" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct buf b;
		buf_init(&b, 0);
		check(mysql_table_expand_query(t->query, keys[i], &b) >= 0, "query always expands");
		check(mysql_table_format_result(t->result_format, keys[i], keys[i], &b) >= 0,
		      "result_format always applies");
		buf_free(&b);
	}
	for (size_t i = 0; i < t->ndomains; i++)
		for (const char *c = t->domains[i]; *c; c++)
			check(!(*c >= 'A' && *c <= 'Z'), "domains lowercased");
	mysql_table_free(&t);
	check(t == NULL, "free nulls");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	table(data, size);

	char *s = malloc(size + 1);
	check(s != NULL, "out of memory");
	memcpy(s, data, size);
	s[size] = '\0';
	char *tmpl = s, *key = "", *value = "", *nl;
	if ((nl = strchr(tmpl, '\n')) != NULL) {
		*nl = '\0';
		key = nl + 1;
		if ((nl = strchr(key, '\n')) != NULL) {
			*nl = '\0';
			value = nl + 1;
		}
	}
	expansions(tmpl, key, value);
	escape_check(key, strlen(key));
	escape_check((const char *)data, size); /* NUL bytes too */
	free(s);
	return 0;
}
