/* dovecot_sql: reads dovecot-sql.conf.ext as Dovecot 2.3's settings_read()
 * does (# comments outside quotes, "\" joins lines with a space, quoted
 * values unescaped, unknown settings are errors) and the MySQL connect
 * string (host= repeatable, port for TCP hosts, "quoted values").
 * Invariants: a missing query takes Dovecot's default; every template is
 * checked at open so lookups never meet a bad one; no password logged. */
#include "dovecot_sql.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dovecot_sql_int.h"
#include "fileio.h"
#include "log.h"

#define IS_WHITE(c) ((c) == ' ' || (c) == '\t')

static const struct {
	const char *name;
	size_t off;
} keys[] = {
	{ "driver", offsetof(struct dovecot_sql, driver) },
	{ "connect", offsetof(struct dovecot_sql, connect) },
	{ "password_query", offsetof(struct dovecot_sql, password_query) },
	{ "user_query", offsetof(struct dovecot_sql, user_query) },
	{ "iterate_query", offsetof(struct dovecot_sql, iterate_query) },
	{ "update_query", offsetof(struct dovecot_sql, update_query) },
	{ "default_pass_scheme", offsetof(struct dovecot_sql, default_pass_scheme) },
	{ "userdb_warning_disable", offsetof(struct dovecot_sql, userdb_warning_disable) },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static char **field(struct dovecot_sql *d, size_t i)
{
	return (char **)((char *)d + keys[i].off);
}

static int fail(char *err, size_t errsize, const char *path, unsigned line, const char *msg)
{
	if (line)
		snprintf(err, errsize, "%s:%u: %s", path, line, msg);
	else
		snprintf(err, errsize, "%s: %s", path, msg);
	return -1;
}

/* Dovecot's str_unescape(): "\x" -> "x", in place. */
static void unescape(char *s)
{
	char *d = s;
	for (; *s; s++) {
		if (*s == '\\' && *++s == '\0')
			break;
		*d++ = *s;
	}
	*d = '\0';
}

/* key = value on one logical line. */
static int set_line(struct dovecot_sql *d, char *line, unsigned lineno, char *err, size_t errsize)
{
	char *key = line, msg[160];
	while (*line && !IS_WHITE(*line) && *line != '=')
		line++;
	char *key_end = line;
	while (IS_WHITE(*line))
		line++;
	if (*line != '=')
		return fail(err, errsize, d->path, lineno, "expecting '=' (sections are not supported)");
	*key_end = '\0';
	for (line++; IS_WHITE(*line); line++)
		;
	size_t len = strlen(line);
	if (len >= 2 && (line[0] == '"' || line[0] == '\'') && line[len - 1] == line[0]) {
		line[len - 1] = '\0';
		unescape(++line);
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, key) == 0) {
			char *v = strdup(line);
			if (!v)
				return fail(err, errsize, d->path, lineno, "out of memory");
			free(*field(d, i));
			*field(d, i) = v;
			d->lines[i] = lineno;
			return 0;
		}
	snprintf(msg, sizeof(msg), "unknown setting: %.100s", key);
	return fail(err, errsize, d->path, lineno, msg);
}

/* Cut a # comment outside quotes (warning when not after a blank). */
static void strip_comment(char *line, const struct dovecot_sql *d, unsigned lineno)
{
	for (char *p = line; *p; p++) {
		if (*p == '\'' || *p == '"') {
			char quote = *p;
			for (p++; *p && *p != quote; p++)
				if (*p == '\\' && p[1])
					p++;
			if (!*p)
				return;
		} else if (*p == '#') {
			if (!IS_WHITE(p[-1]))
				log_warning("dovecot-sql-ambiguous-comment path=%s line=%u", d->path, lineno);
			*p = '\0';
			return;
		}
	}
}

/* One physical line (NUL-terminated, without "\n"); full gathers "\" lines. */
static int physical_line(struct dovecot_sql *d, char *line, unsigned lineno, struct buf *full,
			 unsigned *start, char *err, size_t errsize)
{
	while (IS_WHITE(*line))
		line++;
	size_t len = strlen(line);
	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (*line == '#' || *line == '\0')
		return 0;
	strip_comment(line, d, lineno);
	len = strlen(line);
	while (len > 0 && IS_WHITE(line[len - 1]))
		line[--len] = '\0';
	if (!*start)
		*start = lineno;
	if (len > 0 && line[len - 1] == '\\') {
		for (len--; len > 0 && IS_WHITE(line[len - 1]); len--)
			;
		buf_append(full, line, len);
		buf_append_char(full, ' ');
		return 0;
	}
	buf_append_str(full, line);
	if (buf_error(full))
		return fail(err, errsize, d->path, *start, "line too long");
	int r = full->len ? set_line(d, full->data, *start, err, errsize) : 0;
	buf_reset(full);
	*start = 0;
	return r;
}

static int parse_text(struct dovecot_sql *d, char *data, size_t len, char *err, size_t errsize)
{
	struct buf full;
	unsigned lineno = 0, start = 0;
	int r = 0;

	buf_init(&full, DSQL_MAX_FILE);
	for (char *p = data; r == 0 && p < data + len;) {
		char *nl = memchr(p, '\n', (size_t)(data + len - p));
		char *end = nl ? nl : data + len;
		lineno++;
		if (memchr(p, '\0', (size_t)(end - p)))
			r = fail(err, errsize, d->path, lineno, "NUL byte in line");
		*end = '\0';
		if (r == 0)
			r = physical_line(d, p, lineno, &full, &start, err, errsize);
		p = end + 1;
	}
	if (r == 0 && full.len) /* "\" on the last line: take what we have */
		r = set_line(d, full.data, start, err, errsize);
	buf_free(&full);
	return r;
}


void dovecot_sql_free(struct dovecot_sql **dp)
{
	struct dovecot_sql *d = *dp;
	if (!d)
		return;
	*dp = NULL;
	if (d->db)
		sql_db_put(&d->db);
	for (size_t i = 0; i < NKEYS; i++)
		free(*field(d, i));
	for (size_t i = 0; i < SQL_MAX_HOSTS; i++)
		free(d->hosts[i]);
	free(d->connect_copy);
	free(d->path);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static int parse_uint(const char *v, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (!*v || *v == '-' || *end || errno || n > max)
		return -1;
	*out = (unsigned)n;
	return 0;
}

/* Next "name=value" token of the connect string, value unquoted in place. */
static int next_token(char **sp, char **name_r, char **value_r)
{
	char *s = *sp;
	while (IS_WHITE(*s) || *s == '\n')
		s++;
	if (!*s)
		return 0;
	*name_r = s;
	while (*s && *s != '=' && !IS_WHITE(*s))
		s++;
	if (*s != '=')
		return -1;
	*s++ = '\0';
	*value_r = s;
	if (*s == '"') {
		char *w = s;
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			*w++ = *s;
		}
		if (*s != '"')
			return -1;
		s++;
		*w = '\0';
		if (*s && !IS_WHITE(*s))
			return -1;
	} else {
		while (*s && !IS_WHITE(*s))
			s++;
	}
	if (*s)
		*s++ = '\0';
	*sp = s;
	return 1;
}

/* One connect-string setting into s (hosts gathered into raw). */
static int connect_kv(struct sql_settings *s, const char **raw, size_t *nraw, unsigned *port,
		      const char *name, const char *v, const char **why_r)
{
	unsigned n;
	*why_r = "bad value for";
	if (strcmp(name, "host") == 0 || strcmp(name, "hostaddr") == 0) {
		if (!*v)
			return -1;
		*why_r = "too many hosts in";
		if (*nraw == SQL_MAX_HOSTS)
			return -1;
		raw[(*nraw)++] = v;
	} else if (strcmp(name, "port") == 0) {
		if (parse_uint(v, 65535, port) < 0 || *port == 0)
			return -1;
	} else if (strcmp(name, "dbname") == 0) {
		s->dbname = v;
	} else if (strcmp(name, "user") == 0) {
		s->user = v;
	} else if (strcmp(name, "password") == 0) {
		s->password = v;
	} else if (strcmp(name, "connect_timeout") == 0 || strcmp(name, "read_timeout") == 0 ||
		   strcmp(name, "write_timeout") == 0) {
		if (parse_uint(v, 86400, &n) < 0)
			return -1;
		*(name[0] == 'c' ? &s->connect_timeout_s
				 : name[0] == 'r' ? &s->read_timeout_s : &s->write_timeout_s) = n;
	} else if (strcmp(name, "maxconns") == 0) {
		if (parse_uint(v, 1000, &s->max_connections) < 0)
			return -1;
	} else if (strcmp(name, "ssl_ca") == 0) {
		s->tls_ca_file = v;
	} else if (strcmp(name, "ssl_ca_path") == 0) {
		s->tls_ca_path = v;
	} else if (strcmp(name, "ssl_cert") == 0) {
		s->tls_cert_file = v;
	} else if (strcmp(name, "ssl_key") == 0) {
		s->tls_key_file = v;
	} else if (strcmp(name, "ssl_cipher") == 0) {
		s->tls_ciphers = v;
	} else if (strcmp(name, "ssl_verify_server_cert") == 0) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return -1;
		s->tls_verify_cert = strcmp(v, "yes") == 0;
	} else if (strcmp(name, "client_flags") == 0 || strcmp(name, "option_file") == 0 ||
		   strcmp(name, "option_group") == 0) {
		log_warning("dovecot-sql-connect-setting-ignored setting=%s", name);
	} else {
		*why_r = "unknown connect string setting";
		return -1;
	}
	return 0;
}

/* Hosts as lib/sql wants them: sockets and localhost as they are, TCP
 * hosts with the port when one is set. */
static int build_hosts(struct dovecot_sql *d, struct sql_settings *s, const char **raw,
		       size_t nraw, unsigned port)
{
	if (nraw == 0)
		raw[nraw++] = "localhost"; /* libmysqlclient's NULL host */
	for (size_t i = 0; i < nraw; i++) {
		const char *h = raw[i];
		size_t len = strlen(h) + 16;
		if (!(d->hosts[i] = malloc(len)))
			return -1;
		if (h[0] == '/' || strcasecmp(h, "localhost") == 0)
			snprintf(d->hosts[i], len, "%s", h);
		else if (port)
			snprintf(d->hosts[i], len, strchr(h, ':') ? "inet:[%s]:%u" : "inet:%s:%u", h, port);
		else
			snprintf(d->hosts[i], len, "inet:%s", h);
		s->hosts[s->nhosts++] = d->hosts[i];
	}
	return 0;
}

static int parse_connect(struct dovecot_sql *d, struct sql_settings *s, char *err, size_t errsize)
{
	const char *raw[SQL_MAX_HOSTS], *why;
	size_t nraw = 0;
	unsigned port = 0, line = d->lines[1];
	char *p, *name, *value, msg[160];
	int r;

	if (!(p = d->connect_copy = strdup(d->connect)))
		return fail(err, errsize, d->path, line, "out of memory");
	while ((r = next_token(&p, &name, &value)) > 0)
		if (connect_kv(s, raw, &nraw, &port, name, value, &why) < 0) {
			snprintf(msg, sizeof(msg), "connect: %s %.64s", why, name);
			return fail(err, errsize, d->path, line, msg);
		}
	if (r < 0)
		return fail(err, errsize, d->path, line,
			    "connect: expected name=value (or an unterminated quote)");
	s->tls_required = s->tls_ca_file || s->tls_ca_path || s->tls_cert_file || s->tls_key_file ||
			  s->tls_ciphers;
	if (build_hosts(d, s, raw, nraw, port) < 0)
		return fail(err, errsize, d->path, line, "out of memory");
	return 0;
}

static const char *const default_queries[] = {
	"SELECT username, domain, password FROM users WHERE username = '%n' AND domain = '%d'",
	"SELECT home, uid, gid FROM users WHERE username = '%n' AND domain = '%d'",
	"SELECT username, domain FROM users",
};

/* Defaults, the driver, the scheme, and every query template. */
static int check_settings(struct dovecot_sql *d, char *err, size_t errsize)
{
	char msg[200], verr[128];
	if (!d->driver || !d->driver[0])
		return fail(err, errsize, d->path, 0, "driver not set");
	if (strcmp(d->driver, "mysql") != 0)
		return fail(err, errsize, d->path, d->lines[0], "driver must be mysql");
	if (!d->connect)
		return fail(err, errsize, d->path, 0, "connect not set");
	for (size_t i = 2; i <= 4; i++)
		if (!*field(d, i) && !(*field(d, i) = strdup(default_queries[i - 2])))
			return fail(err, errsize, d->path, 0, "out of memory");
	for (size_t i = 2; i <= 4; i++) {
		struct buf b;
		buf_init(&b, 0);
		int r = dovecot_sql_expand(*field(d, i), NULL, &b, verr, sizeof(verr));
		buf_free(&b);
		if (r < 0) {
			snprintf(msg, sizeof(msg), "%s: %s", keys[i].name, verr);
			return fail(err, errsize, d->path, d->lines[i], msg);
		}
	}
	/* unset or empty (e.g. "default_pass_scheme = # comment"): Dovecot's default */
	const char *sch = d->default_pass_scheme && d->default_pass_scheme[0] ? d->default_pass_scheme
									    : "MD5";
	if (strcasecmp(sch, "MD5") == 0) /* Dovecot's MD5 is MD5-CRYPT */
		sch = "MD5-CRYPT";
	if (strlen(sch) >= sizeof(d->scheme))
		return fail(err, errsize, d->path, d->lines[6], "default_pass_scheme too long");
	snprintf(d->scheme, sizeof(d->scheme), "%s", sch);
	if (d->update_query || d->userdb_warning_disable)
		log_warning("dovecot-sql-setting-ignored path=%s setting=%s", d->path,
			    d->update_query ? "update_query" : "userdb_warning_disable");
	return 0;
}

struct dovecot_sql *dovecot_sql_open(const char *path, char *err, size_t errsize)
{
	size_t len;
	char *data, dberr[256];
	struct sql_settings s = { 0 };
	struct dovecot_sql *d = calloc(1, sizeof(*d));

	if (!d || !(d->path = strdup(path))) {
		free(d);
		snprintf(err, errsize, "%s: out of memory", path);
		return NULL;
	}
	pthread_mutex_init(&d->lock, NULL);
	if (!(data = file_read_explained(path, DSQL_MAX_FILE, &len, err, errsize))) {
		dovecot_sql_free(&d);
		return NULL;
	}
	int r = parse_text(d, data, len, err, errsize);
	free(data);
	if (r == 0)
		r = check_settings(d, err, errsize);
	if (r == 0)
		r = parse_connect(d, &s, err, errsize);
	if (r == 0 && !(d->db = sql_db_get(&s, dberr, sizeof(dberr))))
		r = fail(err, errsize, path, 0, dberr);
	if (r < 0)
		dovecot_sql_free(&d);
	return d;
}
