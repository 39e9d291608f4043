/* sql: the registry of shared targets (sql_db_get/put), settings
 * normalization and comparison, host list parsing, and the connector's
 * per-process and per-thread initialization.
 * Invariants: one struct sql_db per distinct normalized settings, found by
 * value under registry_lock; refs counts sql_db_get minus sql_db_put; a db
 * is destroyed outside the lock once unlinked; host parsing rejects
 * anything it cannot map to exactly one TCP endpoint or socket path. */
#include "sql_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sql_db *registry;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_key;
static bool init_ok;
static char thread_marker;

int64_t sql_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sql_thread_end(void *value)
{
	(void)value;
	mysql_thread_end();
}

static void sql_init(void)
{
	init_ok = mysql_library_init(0, NULL, NULL) == 0 &&
		  pthread_key_create(&thread_key, sql_thread_end) == 0;
}

int sql_thread_setup(void)
{
	pthread_once(&init_once, sql_init);
	if (!init_ok)
		return -1;
	if (pthread_getspecific(thread_key) == NULL) {
		if (mysql_thread_init() != 0)
			return -1;
		pthread_setspecific(thread_key, &thread_marker);
	}
	return 0;
}

static void sql_err(char *err, size_t errsize, const char *msg, const char *spec)
{
	if (errsize > 0)
		snprintf(err, errsize, "%s: %s", msg, spec);
}

/* Port digits, 1..65535. */
static int sql_port_parse(const char *s, unsigned *port_r)
{
	unsigned long v = 0;
	if (!*s || strlen(s) > 5)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port_r = (unsigned)v;
	return 0;
}

static bool sql_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 255)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || c == '/' || c == '[' || c == ']')
			return false;
	}
	return true;
}

/* "[v6]:port", "[v6]", "host:port", "host", a bare IPv6 address. */
static int sql_inet_parse(const char *p, struct sql_host *h)
{
	const char *host = p, *end, *port = NULL;
	if (*p == '[') {
		host = p + 1;
		end = strchr(host, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -1;
		if (end[1] == ':')
			port = end + 2;
	} else {
		end = strchr(p, ':');
		if (end && strchr(end + 1, ':'))
			end = p + strlen(p);	/* bare IPv6, no port */
		else if (end)
			port = end + 1;
		else
			end = p + strlen(p);
	}
	if (!sql_name_ok(host, (size_t)(end - host)))
		return -1;
	if (port && sql_port_parse(port, &h->port) < 0)
		return -1;
	h->host = strndup(host, (size_t)(end - host));
	return h->host ? 0 : -1;
}

static int sql_socket_parse(const char *path, struct sql_host *h)
{
	if (path[0] != '/' || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -1;
	for (const char *q = path; *q; q++)
		if ((unsigned char)*q < ' ' || *q == 0x7f)
			return -1;
	h->socket = strdup(path);
	return h->socket ? 0 : -1;
}

static int sql_host_parse(const char *spec, struct sql_host *h, char *err, size_t errsize)
{
	int r;
	memset(h, 0, sizeof(*h));
	if (!spec || !*spec) {
		sql_err(err, errsize, "bad sql host", "\"\"");
		return -1;
	}
	if (strncmp(spec, "unix:", 5) == 0)
		r = sql_socket_parse(spec + 5, h);
	else if (spec[0] == '/')
		r = sql_socket_parse(spec, h);
	else if (strncmp(spec, "inet:", 5) == 0)
		r = sql_inet_parse(spec + 5, h);
	else if (strcasecmp(spec, "localhost") == 0)
		r = 0;	/* the default UNIX socket: host NULL, socket NULL */
	else
		r = sql_inet_parse(spec, h);
	if (r == 0)
		h->spec = strdup(spec);
	if (r < 0 || !h->spec) {
		free(h->host);
		free(h->socket);
		memset(h, 0, sizeof(*h));
		sql_err(err, errsize, "bad sql host", spec);
		return -1;
	}
	return 0;
}

/* A shallow copy of s with the defaults filled in. */
static void sql_settings_normalize(const struct sql_settings *s, struct sql_settings *n_r)
{
	*n_r = *s;
	if (!n_r->charset)
		n_r->charset = "utf8mb4";
	if (!n_r->connect_timeout_s)
		n_r->connect_timeout_s = 5;
	if (!n_r->read_timeout_s)
		n_r->read_timeout_s = 30;
	if (!n_r->write_timeout_s)
		n_r->write_timeout_s = 30;
	if (!n_r->retry_interval_s)
		n_r->retry_interval_s = 60;
	if (!n_r->max_connections)
		n_r->max_connections = 8;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The string fields of struct sql_settings, for comparing and copying. */
#define SQL_STR_FIELDS(X)                                                                          \
	X(user) X(password) X(dbname) X(charset) X(tls_ca_file) X(tls_ca_path) X(tls_cert_file)  \
	X(tls_key_file) X(tls_ciphers)

static bool sql_settings_eq(const struct sql_settings *a, const struct sql_settings *b)
{
	if (a->nhosts != b->nhosts || a->connect_timeout_s != b->connect_timeout_s ||
	    a->read_timeout_s != b->read_timeout_s || a->write_timeout_s != b->write_timeout_s ||
	    a->retry_interval_s != b->retry_interval_s ||
	    a->max_connections != b->max_connections || a->tls_verify_cert != b->tls_verify_cert ||
	    a->tls_required != b->tls_required)
		return false;
	for (size_t i = 0; i < a->nhosts; i++)
		if (!str_eq(a->hosts[i], b->hosts[i]))
			return false;
#define SQL_CMP(f) if (!str_eq(a->f, b->f)) return false;
	SQL_STR_FIELDS(SQL_CMP)
#undef SQL_CMP
	return true;
}

static void sql_db_free(struct sql_db *db)
{
	if (!db)
		return;
	sql_pool_close_all(db);
	pthread_mutex_destroy(&db->lock);
	pthread_cond_destroy(&db->cond);
	for (size_t i = 0; i < SQL_MAX_HOSTS; i++) {
		free(db->hosts[i].spec);
		free(db->hosts[i].host);
		free(db->hosts[i].socket);
		free((char *)db->set.hosts[i]);
	}
	if (db->set.password)
		explicit_bzero((char *)db->set.password, strlen(db->set.password));
#define SQL_FREE(f) free((char *)db->set.f);
	SQL_STR_FIELDS(SQL_FREE)
#undef SQL_FREE
	free(db);
}

static int sql_db_copy_strings(struct sql_db *db, const struct sql_settings *n)
{
	bool ok = true;
	for (size_t i = 0; i < n->nhosts; i++)
		ok &= (db->set.hosts[i] = strdup(n->hosts[i])) != NULL;
#define SQL_DUP(f) ok &= !n->f || (db->set.f = strdup(n->f)) != NULL;
	SQL_STR_FIELDS(SQL_DUP)
#undef SQL_DUP
	return ok ? 0 : -1;
}

static struct sql_db *sql_db_new(const struct sql_settings *n, char *err, size_t errsize)
{
	struct sql_db *db = calloc(1, sizeof(*db));
	pthread_condattr_t ca;
	if (!db) {
		sql_err(err, errsize, "out of memory", "sql_db");
		return NULL;
	}
	pthread_mutex_init(&db->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&db->cond, &ca);
	pthread_condattr_destroy(&ca);
	db->set = *n;
	memset((void *)db->set.hosts, 0, sizeof(db->set.hosts));
#define SQL_ZERO(f) db->set.f = NULL;
	SQL_STR_FIELDS(SQL_ZERO)
#undef SQL_ZERO
	db->refs = 1;
	db->rng = (uint64_t)sql_now_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)db;
	db->rng |= 1;
	if (sql_db_copy_strings(db, n) < 0) {
		sql_err(err, errsize, "out of memory", "sql_db");
		sql_db_free(db);
		return NULL;
	}
	for (size_t i = 0; i < n->nhosts; i++) {
		if (sql_host_parse(n->hosts[i], &db->hosts[i], err, errsize) < 0) {
			sql_db_free(db);
			return NULL;
		}
	}
	return db;
}

static struct sql_db *sql_registry_find(const struct sql_settings *n)
{
	for (struct sql_db *db = registry; db; db = db->next) {
		if (sql_settings_eq(&db->set, n)) {
			db->refs++;
			return db;
		}
	}
	return NULL;
}

struct sql_db *sql_db_get(const struct sql_settings *s, char *err, size_t errsize)
{
	struct sql_settings n;
	struct sql_db *db, *found;
	if (!s || s->nhosts == 0 || s->nhosts > SQL_MAX_HOSTS) {
		sql_err(err, errsize, "bad sql settings", s && s->nhosts ? "too many hosts" : "no hosts");
		return NULL;
	}
	for (size_t i = 0; i < s->nhosts; i++) {
		if (!s->hosts[i]) {
			sql_err(err, errsize, "empty sql host", "NULL");
			return NULL;
		}
	}
	if (sql_thread_setup() < 0) {
		sql_err(err, errsize, "sql init failed", "mysql_library_init");
		return NULL;
	}
	sql_settings_normalize(s, &n);
	pthread_mutex_lock(&registry_lock);
	found = sql_registry_find(&n);
	pthread_mutex_unlock(&registry_lock);
	if (found)
		return found;
	if (!(db = sql_db_new(&n, err, errsize)))
		return NULL;
	pthread_mutex_lock(&registry_lock);
	found = sql_registry_find(&n);	/* another thread may have won */
	if (!found) {
		db->next = registry;
		registry = db;
	}
	pthread_mutex_unlock(&registry_lock);
	if (found) {
		sql_db_free(db);
		return found;
	}
	return db;
}

void sql_db_put(struct sql_db **dbp)
{
	struct sql_db *db = dbp ? *dbp : NULL;
	bool last = false;
	if (!db)
		return;
	*dbp = NULL;
	pthread_mutex_lock(&registry_lock);
	if (--db->refs == 0) {
		last = true;
		for (struct sql_db **pp = &registry; *pp; pp = &(*pp)->next) {
			if (*pp == db) {
				*pp = db->next;
				break;
			}
		}
	}
	pthread_mutex_unlock(&registry_lock);
	if (last)
		sql_db_free(db);
}
