/* mysql_table: reads a Postfix mysql_table(5) file (main.cf syntax as
 * Postfix's readllines() + split_nameval(): indented lines continue a
 * logical line, # lines are skipped, the last of two equal names wins)
 * into the map that mysql_table_lookup.c queries.
 * Invariants: the table is immutable after open (lookups share it across
 * threads; only the "last error logged" memo is locked); every database
 * problem is DIR_TEMP; passwords never reach a log line. */
#include "mysql_table.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fileio.h"
#include "log.h"
#include "mysql_table_int.h"
#include "sql.h"

static const char *const known_keys[] = {
	"hosts", "user", "password", "dbname", "query", "result_format", "expansion_limit",
	"domain", "charset", "retry_interval", "idle_interval", "option_file", "option_group",
	"require_result_set", "tls_cert_file", "tls_key_file", "tls_CAfile", "tls_CApath",
	"tls_ciphers", "tls_verify_cert", "select_field", "table", "where_field",
	"additional_conditions", NULL,
};

#define IS_SPACE(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n' || \
		     (c) == '\v' || (c) == '\f')

static int fail(char *err, size_t errsize, const char *path, unsigned line, const char *msg)
{
	if (line)
		snprintf(err, errsize, "%s:%u: %s", path, line, msg);
	else
		snprintf(err, errsize, "%s: %s", path, msg);
	return -1;
}

static const char *param(const struct mysql_table *t, const char *name)
{
	for (size_t i = 0; i < t->nparams; i++)
		if (strcmp(t->params[i].name, name) == 0)
			return t->params[i].value;
	return NULL;
}

static unsigned param_line(const struct mysql_table *t, const char *name)
{
	for (size_t i = 0; i < t->nparams; i++)
		if (strcmp(t->params[i].name, name) == 0)
			return t->params[i].line;
	return 0;
}

/* name = value (split_nameval): store it, replacing an earlier one. */
static int add_line(struct mysql_table *t, char *s, unsigned line, char *err, size_t errsize)
{
	while (IS_SPACE(*s))
		s++;
	char *name = s;
	while (*s && !IS_SPACE(*s) && *s != '=')
		s++;
	char *name_end = s;
	while (IS_SPACE(*s))
		s++;
	if (*s != '=')
		return fail(err, errsize, t->path, line, "missing '=' after attribute name");
	*name_end = '\0';
	for (s++; IS_SPACE(*s); s++)
		;
	size_t len = strlen(s);
	while (len > 0 && IS_SPACE(s[len - 1]))
		s[--len] = '\0';
	for (size_t i = 0; i < t->nparams; i++)
		if (strcmp(t->params[i].name, name) == 0) {
			char *v = strdup(s);
			if (!v)
				return fail(err, errsize, t->path, line, "out of memory");
			free(t->params[i].value);
			t->params[i].value = v;
			t->params[i].line = line;
			return 0;
		}
	struct mt_param *np = realloc(t->params, (t->nparams + 1) * sizeof(*np));
	if (!np)
		return fail(err, errsize, t->path, line, "out of memory");
	t->params = np;
	np[t->nparams] = (struct mt_param){ strdup(name), strdup(s), line };
	if (!np[t->nparams].name || !np[t->nparams].value) {
		free(np[t->nparams].name);
		free(np[t->nparams].value);
		return fail(err, errsize, t->path, line, "out of memory");
	}
	t->nparams++;
	return 0;
}


/* Logical lines as Postfix's readllines(): physical lines concatenated,
 * blank and # lines skipped anywhere, text that starts with whitespace
 * without a line before it skipped with a warning. */
static int parse_text(struct mysql_table *t, char *data, size_t len, char *err, size_t errsize)
{
	struct buf ll;
	unsigned lineno = 0, start = 0;
	bool active = false, skipping = false;
	int r = 0;

	buf_init(&ll, MT_MAX_FILE);
	for (char *p = data; r == 0 && p < data + len;) {
		char *nl = memchr(p, '\n', (size_t)(data + len - p));
		char *end = nl ? nl : data + len;
		char *q = p;
		lineno++;
		if (memchr(p, '\0', (size_t)(end - p)))
			r = fail(err, errsize, t->path, lineno, "NUL byte in line");
		while (q < end && IS_SPACE(*q))
			q++;
		if (r == 0 && q < end && *q != '#') {
			if (p == q) { /* a new logical line */
				if (active && !skipping)
					r = add_line(t, ll.data, start, err, errsize);
				buf_reset(&ll);
				active = true;
				skipping = false;
				start = lineno;
			} else if (!active) {
				log_warning("mysql-table-line-skipped path=%s line=%u "
					    "reason=logical-line-starts-with-whitespace",
					    t->path, lineno);
				active = skipping = true;
			}
			buf_append(&ll, p, (size_t)(end - p));
		}
		p = nl ? nl + 1 : data + len;
	}
	if (r == 0 && active && !skipping)
		r = add_line(t, ll.data, start, err, errsize);
	buf_free(&ll);
	return r;
}

static void free_params(struct mysql_table *t)
{
	for (size_t i = 0; i < t->nparams; i++) {
		free(t->params[i].name);
		free(t->params[i].value);
	}
	free(t->params);
	t->params = NULL;
	t->nparams = 0;
}

void mysql_table_free(struct mysql_table **tp)
{
	struct mysql_table *t = *tp;
	if (!t)
		return;
	*tp = NULL;
	if (t->db)
		sql_db_put(&t->db);
	free_params(t);
	for (size_t i = 0; i < t->ndomains; i++)
		free(t->domains[i]);
	free(t->query);
	free(t->path);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

const char *mysql_table_path(const struct mysql_table *t)
{
	return t->path;
}

/* Seconds, with Postfix's optional s/m/h/d/w unit. */
static int parse_time(const char *s, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	unsigned long mult = 1;
	if (end == s || *s == '-' || errno)
		return -1;
	if (*end && !end[1]) {
		const char *units = "smhdw";
		static const unsigned long mults[] = { 1, 60, 3600, 86400, 604800 };
		const char *u = strchr(units, *end);
		if (!u)
			return -1;
		mult = mults[u - units];
		end++;
	}
	if (*end || v > UINT32_MAX / mult)
		return -1;
	*out = (unsigned)(v * mult);
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0)
		*out = true;
	else if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

/* Split list on whitespace and commas into v (pointers into list). */
static size_t split_list(char *list, char **v, size_t max, bool *overflow_r)
{
	size_t n = 0;
	char *save = NULL;
	*overflow_r = false;
	for (char *tok = strtok_r(list, " \t\r\n\v\f,", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n\v\f,", &save)) {
		if (n == max) {
			*overflow_r = true;
			break;
		}
		v[n++] = tok;
	}
	return n;
}

static int set_domains(struct mysql_table *t, const char *list, char *err, size_t errsize)
{
	char *copy = strdup(list), *v[MT_MAX_DOMAINS];
	bool overflow;
	unsigned line = param_line(t, "domain");
	if (!copy)
		return fail(err, errsize, t->path, line, "out of memory");
	size_t n = split_list(copy, v, MT_MAX_DOMAINS, &overflow);
	int r = overflow ? fail(err, errsize, t->path, line, "domain: too many domains") : 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (strchr(v[i], ':') || strchr(v[i], '/')) {
			char d[128];
			log_value(d, sizeof(d), v[i], strlen(v[i]));
			log_error("mysql-table-unsupported path=%s domain=%s "
				  "reason=table-or-file-not-supported", t->path, d);
			r = fail(err, errsize, t->path, line,
				 "domain: a table or file reference is not supported (list the domains)");
		} else if (!(t->domains[t->ndomains] = strdup(v[i]))) {
			r = fail(err, errsize, t->path, line, "out of memory");
		} else {
			for (char *c = t->domains[t->ndomains++]; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
		}
	}
	free(copy);
	return r;
}

/* query, or the obsolete select_field/table/where_field form. */
static int set_query(struct mysql_table *t, char *err, size_t errsize)
{
	const char *q = param(t, "query");
	const char *table = param(t, "table"), *sel = param(t, "select_field");
	const char *where = param(t, "where_field"), *cond = param(t, "additional_conditions");
	struct buf b;
	int r = 0;

	if (q && !q[0])
		q = NULL;
	if (!q && !table && !sel && !where)
		return fail(err, errsize, t->path, 0, "missing query");
	buf_init(&b, MT_MAX_QUERY);
	if (q)
		buf_append_str(&b, q);
	else if (!table || !sel || !where)
		r = fail(err, errsize, t->path, 0,
			 "no query, and the obsolete form needs table, select_field and where_field");
	else
		buf_printf(&b, "SELECT %s FROM %s WHERE %s='%%s' %s", sel, table, where,
			   cond ? cond : "");
	if (r == 0 && buf_error(&b))
		r = fail(err, errsize, t->path, 0, "query too long");
	if (r == 0 && !(t->query = strdup(buf_str(&b))))
		r = fail(err, errsize, t->path, 0, "out of memory");
	buf_free(&b);
	if (r == 0) {
		struct buf probe;
		buf_init(&probe, 0);
		if (mysql_table_expand_query(t->query, "x", &probe) < 0)
			r = fail(err, errsize, t->path, param_line(t, q ? "query" : "table"),
				 "invalid query template (unknown % expansion)");
		buf_free(&probe);
	}
	return r;
}

static void warn_unknown(const struct mysql_table *t)
{
	for (size_t i = 0; i < t->nparams; i++) {
		size_t k = 0;
		while (known_keys[k] && strcmp(known_keys[k], t->params[i].name) != 0)
			k++;
		if (!known_keys[k]) {
			char name[128];
			log_value(name, sizeof(name), t->params[i].name, strlen(t->params[i].name));
			log_warning("mysql-table-unknown-parameter path=%s line=%u name=%s",
				    t->path, t->params[i].line, name);
		}
	}
	const char *of = param(t, "option_file"), *og = param(t, "option_group");
	if ((of && of[0]) || (og && og[0] && strcmp(og, "client") != 0))
		log_warning("mysql-table-option-file-ignored path=%s reason=not-supported", t->path);
}

/* Settings that are numbers, booleans and lists. */
static int set_scalars(struct mysql_table *t, struct sql_settings *s, char *err, size_t errsize)
{
	const char *v;
	bool b;
	unsigned idle;
	char *end;

	if ((v = param(t, "expansion_limit")) != NULL) {
		errno = 0;
		t->expansion_limit = strtoul(v, &end, 10);
		if (!v[0] || *end || *v == '-' || errno)
			return fail(err, errsize, t->path, param_line(t, "expansion_limit"),
				    "bad expansion_limit");
	}
	if ((v = param(t, "retry_interval")) && parse_time(v, &s->retry_interval_s) < 0)
		return fail(err, errsize, t->path, param_line(t, "retry_interval"), "bad retry_interval");
	if ((v = param(t, "idle_interval")) && parse_time(v, &idle) < 0)
		return fail(err, errsize, t->path, param_line(t, "idle_interval"), "bad idle_interval");
	if ((v = param(t, "tls_verify_cert")) && parse_bool(v, &s->tls_verify_cert) < 0)
		return fail(err, errsize, t->path, param_line(t, "tls_verify_cert"), "bad tls_verify_cert");
	if ((v = param(t, "require_result_set")) && parse_bool(v, &b) < 0)
		return fail(err, errsize, t->path, param_line(t, "require_result_set"),
			    "bad require_result_set");
	t->result_format = (v = param(t, "result_format")) && v[0] ? v : "%s";
	struct buf probe;
	buf_init(&probe, 0);
	int bad = mysql_table_format_result(t->result_format, "x", "x", &probe) < 0;
	buf_free(&probe);
	if (bad)
		return fail(err, errsize, t->path, param_line(t, "result_format"),
			    "invalid result_format (unknown % expansion)");
	if ((v = param(t, "domain")) && v[0] && set_domains(t, v, err, errsize) < 0)
		return -1;
	return 0;
}

static const char *nonempty(const struct mysql_table *t, const char *name)
{
	const char *v = param(t, name);
	return v && v[0] ? v : NULL;
}

static int configure(struct mysql_table *t, char *err, size_t errsize)
{
	struct sql_settings s = { 0 };
	char *hosts;
	bool overflow;

	warn_unknown(t);
	if (set_query(t, err, errsize) < 0 || set_scalars(t, &s, err, errsize) < 0)
		return -1;
	hosts = (char *)param(t, "hosts"); /* owned by t->params; split in place */
	if (hosts) {
		char *v[SQL_MAX_HOSTS];
		s.nhosts = split_list(hosts, v, SQL_MAX_HOSTS, &overflow);
		if (overflow)
			return fail(err, errsize, t->path, param_line(t, "hosts"), "too many hosts");
		for (size_t i = 0; i < s.nhosts; i++)
			s.hosts[i] = v[i];
	}
	if (s.nhosts == 0) { /* as Postfix: no hosts means localhost */
		log_warning("mysql-table-no-hosts path=%s using=localhost", t->path);
		s.hosts[s.nhosts++] = "localhost";
	}
	s.user = param(t, "user");
	s.password = param(t, "password");
	s.dbname = param(t, "dbname");
	s.charset = nonempty(t, "charset");
	s.tls_cert_file = nonempty(t, "tls_cert_file");
	s.tls_key_file = nonempty(t, "tls_key_file");
	s.tls_ca_file = nonempty(t, "tls_CAfile");
	s.tls_ca_path = nonempty(t, "tls_CApath");
	s.tls_ciphers = nonempty(t, "tls_ciphers");
	char dberr[256];
	if (!(t->db = sql_db_get(&s, dberr, sizeof(dberr))))
		return fail(err, errsize, t->path, 0, dberr);
	return 0;
}

struct mysql_table *mysql_table_open(const char *path, char *err, size_t errsize)
{
	size_t len;
	char *data;
	struct mysql_table *t = calloc(1, sizeof(*t));

	if (!t || !(t->path = strdup(path))) {
		free(t);
		snprintf(err, errsize, "%s: out of memory", path);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	if (!(data = file_read_explained(path, MT_MAX_FILE, &len, err, errsize))) {
		mysql_table_free(&t);
		return NULL;
	}
	int r = parse_text(t, data, len, err, errsize);
	free(data);
	if (r < 0 || configure(t, err, errsize) < 0)
		mysql_table_free(&t);
	return t;
}
