/* fuzz_dovecot_sql: libFuzzer harness for authd/dovecot_sql*.c: the bytes as
 * a dovecot-sql.conf.ext (written to one per-process temp file,
 * dovecot_sql_open reads it; it never connects: sql_db_get is lazy), then
 * dovecot_sql_expand with the first line as template and the next three as
 * user, service and remote IP.
 * Invariants checked: an opened file has driver mysql, a scheme, >= 1 host
 * and three queries that expand for any variables (they were checked at
 * open); a failed open says "path:"; a template without '%' expands to
 * itself; %u, %n, %d, %% and %{user} expand exactly as a model does (the
 * value SQL-escaped); an error names what was wrong. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dovecot_sql.h"
#include "dovecot_sql_int.h"
#include "log.h"
#include "sql.h"

static char path[64];

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_dovecot_sql: invariant failed: %s\n", what);
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
	log_open("fuzz_dovecot_sql", "/dev/null");
	snprintf(path, sizeof(path), "/tmp/fuzz_dovecot_sql.%ld.conf", (long)getpid());
	atexit(cleanup);
	return 0;
}

/* %u %n %d %% and %{user} only: the expected text; -1 when not such. */
static int model(const char *tmpl, const struct dsql_vars *v, struct buf *out)
{
	const char *user = v->user ? v->user : "", *at = strchr(user, '@');
	for (const char *p = tmpl; *p; p++) {
		if (*p != '%') {
			buf_append_char(out, *p);
			continue;
		}
		p++;
		if (*p == '%')
			buf_append_char(out, '%');
		else if (*p == 'u')
			sql_escape(out, user, strlen(user));
		else if (*p == 'n')
			sql_escape(out, user, at ? (size_t)(at - user) : strlen(user));
		else if (*p == 'd')
			sql_escape(out, at ? at + 1 : "", at ? strlen(at + 1) : 0);
		else if (strncmp(p, "{user}", 6) == 0) {
			sql_escape(out, user, strlen(user));
			p += 5;
		} else
			return -1;
	}
	return 0;
}

static void expand(const char *tmpl, const struct dsql_vars *v)
{
	struct buf out, m;
	char err[128] = "";
	buf_init(&out, 0);
	int r = dovecot_sql_expand(tmpl, v, &out, err, sizeof(err));
	check(r == 0 || r == -1, "expand result");
	check(r == 0 || err[0] != '\0', "an error says why");
	check(!buf_error(&out), "no buffer error");
	if (!strchr(tmpl, '%'))
		check(r == 0 && strcmp(buf_str(&out), tmpl) == 0, "no variables: itself");
	buf_init(&m, 0);
	if (model(tmpl, v, &m) == 0)
		check(r == 0 && out.len == m.len && (m.len == 0 || memcmp(out.data, m.data, m.len) == 0),
		      "expansion equals the model");
	buf_free(&m);
	buf_free(&out);
}

static void conf(const uint8_t *data, size_t size, const struct dsql_vars *v)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	check(fd >= 0, "temp file");
	check(write(fd, data, size) == (ssize_t)size, "temp file write");
	close(fd);
	char err[512] = "";
	struct dovecot_sql *d = dovecot_sql_open(path, err, sizeof(err));
	if (!d) {
		check(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':',
		      "open error names the file");
		return;
	}
	check(d->db && d->driver && strcmp(d->driver, "mysql") == 0 && d->connect && d->scheme[0] &&
		      d->hosts[0],
	      "opened file");
	const char *queries[] = { d->password_query, d->user_query, d->iterate_query };
	for (size_t i = 0; i < 3; i++) {
		struct buf b;
		buf_init(&b, 0);
		check(queries[i] && dovecot_sql_expand(queries[i], v, &b, err, sizeof(err)) == 0,
		      "every query expands");
		buf_free(&b);
	}
	dovecot_sql_free(&d);
	check(d == NULL, "free nulls");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *s = malloc(size + 1);
	check(s != NULL, "out of memory");
	memcpy(s, data, size);
	s[size] = '\0';
	char *line[4] = { s, NULL, NULL, NULL };
	for (int i = 1; i < 4 && line[i - 1]; i++) {
		char *nl = strchr(line[i - 1], '\n');
		if (nl) {
			*nl = '\0';
			line[i] = nl + 1;
		}
	}
	struct dsql_vars v = { .user = line[1], .service = line[2], .rip = line[3], .lip = "10.0.0.1" };
	conf(data, size, &v);
	expand(line[0], &v);
	free(s);
	return 0;
}
