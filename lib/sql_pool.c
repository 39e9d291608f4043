/* sql_pool: connections and queries for a struct sql_db. Hosts are tried in
 * a random order, UNIX sockets first, skipping hosts that failed within
 * retry_interval unless every host did; a query that loses its connection
 * marks the host failed and is retried once on another connection.
 * Invariants: a connection is used by one thread at a time (taken off the
 * idle list under db->lock); connector calls run without db->lock held;
 * host up/down transitions are logged once each, never with the password. */
#include "sql_impl.h"

#include <errno.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

enum sql_run { RUN_OK, RUN_PERM, RUN_TEMP, RUN_LOST };

static void sql_seterr(char *err, size_t errsize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void sql_seterr(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;
	if (!err || errsize == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
}

static uint64_t sql_rand(struct sql_db *db)
{
	db->rng ^= db->rng << 13;
	db->rng ^= db->rng >> 7;
	db->rng ^= db->rng << 17;
	return db->rng;
}

static bool sql_host_usable(const struct sql_db *db, const struct sql_host *h, int64_t now)
{
	return !h->down || now - h->failed_ms >= (int64_t)db->set.retry_interval_s * 1000;
}

/* Append the hosts of one kind (UNIX or TCP) to order[], shuffled. */
static size_t sql_order_add(struct sql_db *db, size_t *order, size_t n, bool want_unix,
			    bool all, int64_t now)
{
	size_t start = n;
	for (size_t i = 0; i < db->set.nhosts; i++) {
		const struct sql_host *h = &db->hosts[i];
		if ((h->host == NULL) == want_unix && (all || sql_host_usable(db, h, now)))
			order[n++] = i;
	}
	for (size_t i = n - start; i > 1; i--) {
		size_t j = (size_t)(sql_rand(db) % i), t = order[start + i - 1];
		order[start + i - 1] = order[start + j];
		order[start + j] = t;
	}
	return n;
}

/* The hosts to try, in order; every host when none is usable. */
static size_t sql_host_order(struct sql_db *db, size_t order[SQL_MAX_HOSTS])
{
	int64_t now = sql_now_ms();
	size_t n;
	pthread_mutex_lock(&db->lock);
	n = sql_order_add(db, order, 0, true, false, now);
	n = sql_order_add(db, order, n, false, false, now);
	if (n == 0) {
		n = sql_order_add(db, order, 0, true, true, now);
		n = sql_order_add(db, order, n, false, true, now);
	}
	pthread_mutex_unlock(&db->lock);
	return n;
}

static void sql_host_failed(struct sql_db *db, size_t i, const char *event, const char *error)
{
	struct sql_host *h = &db->hosts[i];
	char v1[256], v2[512];
	bool was_up;
	pthread_mutex_lock(&db->lock);
	was_up = !h->down;
	h->down = true;
	h->failed_ms = sql_now_ms();
	pthread_mutex_unlock(&db->lock);
	if (was_up)
		log_warning("%s host=%s error=%s", event, log_value(v1, sizeof(v1), h->spec, strlen(h->spec)),
			    log_value(v2, sizeof(v2), error, strlen(error)));
}

static void sql_host_ok(struct sql_db *db, size_t i)
{
	struct sql_host *h = &db->hosts[i];
	char v[256];
	bool was_down;
	pthread_mutex_lock(&db->lock);
	was_down = h->down;
	h->down = false;
	pthread_mutex_unlock(&db->lock);
	if (was_down)
		log_info("sql-host-up host=%s", log_value(v, sizeof(v), h->spec, strlen(h->spec)));
}

static void sql_set_tls(MYSQL *my, const struct sql_settings *s)
{
	my_bool yes = 1, verify = s->tls_verify_cert;
	if (s->tls_key_file)
		mysql_optionsv(my, MYSQL_OPT_SSL_KEY, s->tls_key_file);
	if (s->tls_cert_file)
		mysql_optionsv(my, MYSQL_OPT_SSL_CERT, s->tls_cert_file);
	if (s->tls_ca_file)
		mysql_optionsv(my, MYSQL_OPT_SSL_CA, s->tls_ca_file);
	if (s->tls_ca_path)
		mysql_optionsv(my, MYSQL_OPT_SSL_CAPATH, s->tls_ca_path);
	if (s->tls_ciphers)
		mysql_optionsv(my, MYSQL_OPT_SSL_CIPHER, s->tls_ciphers);
	mysql_optionsv(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
	if (s->tls_required)
		mysql_optionsv(my, MYSQL_OPT_SSL_ENFORCE, &yes);
}

static void sql_set_options(MYSQL *my, const struct sql_settings *s, bool tcp)
{
	unsigned ct = s->connect_timeout_s, rt = s->read_timeout_s, wt = s->write_timeout_s;
	unsigned proto = tcp ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET, no_infile = 0;
	my_bool no = 0;
	mysql_optionsv(my, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_optionsv(my, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_optionsv(my, MYSQL_OPT_WRITE_TIMEOUT, &wt);
	mysql_optionsv(my, MYSQL_SET_CHARSET_NAME, s->charset);
	mysql_optionsv(my, MYSQL_OPT_RECONNECT, &no);
	mysql_optionsv(my, MYSQL_OPT_PROTOCOL, &proto);
	mysql_optionsv(my, MYSQL_OPT_LOCAL_INFILE, &no_infile);
	sql_set_tls(my, s);
}

/* One connection to host i; NULL with err (the connector's message). */
static MYSQL *sql_connect_host(struct sql_db *db, size_t i, char *err, size_t errsize)
{
	const struct sql_host *h = &db->hosts[i];
	const struct sql_settings *s = &db->set;
	MYSQL *my = mysql_init(NULL);
	if (!my) {
		sql_seterr(err, errsize, "%s", "out of memory");
		return NULL;
	}
	sql_set_options(my, s, h->host != NULL);
	if (!mysql_real_connect(my, h->host ? h->host : "localhost", s->user, s->password, s->dbname,
				h->port, h->socket, CLIENT_MULTI_RESULTS)) {
		sql_seterr(err, errsize, "%s", mysql_error(my));
		mysql_close(my);
		return NULL;
	}
	/* Older connectors take SSL_ENFORCE as "TLS if offered": check. A UNIX
	 * socket is local (and newer connectors never use TLS on one). */
	if (s->tls_required && h->host && !mysql_get_ssl_cipher(my)) {
		sql_seterr(err, errsize, "%s", "TLS required, but the server does not support it");
		mysql_close(my);
		return NULL;
	}
	return my;
}

/* A new connection to the first host that answers. */
static struct sql_conn *sql_conn_open(struct sql_db *db, char *err, size_t errsize)
{
	size_t order[SQL_MAX_HOSTS], n = sql_host_order(db, order);
	char why[512];
	struct sql_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		sql_seterr(err, errsize, "%s", "out of memory");
		return NULL;
	}
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];
		if ((c->my = sql_connect_host(db, i, why, sizeof(why))) != NULL) {
			c->host = i;
			sql_host_ok(db, i);
			return c;
		}
		sql_host_failed(db, i, "sql-connect-failed", why);
		sql_seterr(err, errsize, "sql connect to %s failed: %s", db->hosts[i].spec, why);
	}
	free(c);
	return NULL;
}

static void sql_conn_close(struct sql_conn *c)
{
	if (c) {
		mysql_close(c->my);
		free(c);
	}
}

/* 1: an idle connection in *c_r; 0: a free slot, open a connection;
 * -1: none freed within connect_timeout. */
static int sql_pool_take(struct sql_db *db, struct sql_conn **c_r)
{
	int64_t deadline = sql_now_ms() + (int64_t)db->set.connect_timeout_s * 1000;
	struct timespec ts = { (time_t)(deadline / 1000), (long)(deadline % 1000) * 1000000 };
	int r = -1, rc = 0;
	*c_r = NULL;
	pthread_mutex_lock(&db->lock);
	for (;;) {
		if (db->idle) {
			*c_r = db->idle;
			db->idle = db->idle->next;
			r = 1;
			break;
		}
		if (db->nopen < db->set.max_connections) {
			db->nopen++;
			r = 0;
			break;
		}
		if (rc == ETIMEDOUT)
			break;
		rc = pthread_cond_timedwait(&db->cond, &db->lock, &ts);
	}
	pthread_mutex_unlock(&db->lock);
	return r;
}

/* Give back a taken slot: c (kept idle when keep) or a slot without one. */
static void sql_pool_give(struct sql_db *db, struct sql_conn *c, bool keep)
{
	if (c && !keep) {
		sql_conn_close(c);
		c = NULL;
	}
	pthread_mutex_lock(&db->lock);
	if (c) {
		c->next = db->idle;
		db->idle = c;
	} else {
		db->nopen--;
	}
	pthread_cond_signal(&db->cond);
	pthread_mutex_unlock(&db->lock);
}

/* Close the idle connections to host i (or all with i == SIZE_MAX). */
static void sql_pool_drop(struct sql_db *db, size_t i)
{
	struct sql_conn *drop = NULL, **pp;
	pthread_mutex_lock(&db->lock);
	for (pp = &db->idle; *pp;) {
		struct sql_conn *c = *pp;
		if (i != SIZE_MAX && c->host != i) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		c->next = drop;
		drop = c;
		db->nopen--;
	}
	pthread_cond_broadcast(&db->cond);
	pthread_mutex_unlock(&db->lock);
	while (drop) {
		struct sql_conn *next = drop->next;
		sql_conn_close(drop);
		drop = next;
	}
}

void sql_pool_close_all(struct sql_db *db)
{
	sql_pool_drop(db, SIZE_MAX);
}

/* Does this error mean the connection (or server) is gone? */
static bool sql_errno_lost(unsigned e)
{
	if (e >= CR_MIN_ERROR && e <= CR_MAX_ERROR)
		return true;
	switch (e) {
	case ER_CON_COUNT_ERROR: case ER_SERVER_SHUTDOWN: case ER_NORMAL_SHUTDOWN:
	case ER_GOT_SIGNAL: case ER_SHUTDOWN_COMPLETE: case ER_FORCING_CLOSE:
	case ER_ABORTING_CONNECTION: case ER_NET_READ_ERROR_FROM_PIPE: case ER_NET_FCNTL_ERROR:
	case ER_NET_PACKETS_OUT_OF_ORDER: case ER_NET_UNCOMPRESS_ERROR:
	case 4031: /* ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8) */
		return true;
	}
	return false;
}

/* Temporary, but the connection is fine: retry later, not now. */
static bool sql_errno_temp(unsigned e)
{
	switch (e) {
	case ER_LOCK_WAIT_TIMEOUT: case ER_LOCK_DEADLOCK: case ER_QUERY_INTERRUPTED:
	case ER_OUTOFMEMORY: case ER_OUT_OF_SORTMEMORY: case ER_OUT_OF_RESOURCES:
	case ER_DISK_FULL: case ER_TOO_MANY_USER_CONNECTIONS:
	case 1969: /* ER_STATEMENT_TIMEOUT (MariaDB max_statement_time) */
	case 3024: /* ER_QUERY_TIMEOUT (MySQL max_execution_time) */
		return true;
	}
	return false;
}

static enum sql_run sql_run_error(MYSQL *my, char *err, size_t errsize)
{
	unsigned e = mysql_errno(my);
	sql_seterr(err, errsize, "sql error %u: %s", e, mysql_error(my));
	if (e == 0 || sql_errno_lost(e))
		return RUN_LOST;
	return sql_errno_temp(e) ? RUN_TEMP : RUN_PERM;
}

/* Skip the result sets after the first (CALL). */
static enum sql_run sql_drain(MYSQL *my, char *err, size_t errsize)
{
	while (mysql_more_results(my)) {
		int rc = mysql_next_result(my);
		if (rc > 0)
			return sql_run_error(my, err, errsize);
		if (rc < 0)
			break;
		MYSQL_RES *r = mysql_store_result(my);
		if (r)
			mysql_free_result(r);
		else if (mysql_field_count(my) != 0)
			return sql_run_error(my, err, errsize);
	}
	return RUN_OK;
}

static enum sql_run sql_run(MYSQL *my, const char *query, struct sql_result **res_r, char *err,
			    size_t errsize)
{
	MYSQL_RES *r;
	enum sql_run run;
	if (mysql_real_query(my, query, strlen(query)) != 0)
		return sql_run_error(my, err, errsize);
	r = mysql_store_result(my);
	if (!r && mysql_field_count(my) != 0)
		return sql_run_error(my, err, errsize);
	if (sql_result_build(r, res_r) < 0) {
		if (r)
			mysql_free_result(r);
		sql_seterr(err, errsize, "%s", "out of memory");
		return RUN_LOST;	/* results may be pending: do not reuse */
	}
	if (r)
		mysql_free_result(r);
	if ((run = sql_drain(my, err, errsize)) != RUN_OK)
		sql_result_free(res_r);
	return run;
}

enum sql_status sql_query(struct sql_db *db, const char *query, struct sql_result **res_r,
			  char *err, size_t errsize)
{
	char local[512];
	*res_r = NULL;
	if (!err || errsize == 0) {
		err = local;
		errsize = sizeof(local);
	}
	err[0] = '\0';
	if (!db || !query) {
		sql_seterr(err, errsize, "%s", "sql_query: no db or query");
		return SQL_PERM;
	}
	if (sql_thread_setup() < 0) {
		sql_seterr(err, errsize, "%s", "sql thread init failed");
		return SQL_TEMP;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		struct sql_conn *c;
		int got = sql_pool_take(db, &c);
		if (got < 0) {
			sql_seterr(err, errsize, "%s", "no sql connection free in time");
			return SQL_TEMP;
		}
		if (got == 0 && !(c = sql_conn_open(db, err, errsize))) {
			sql_pool_give(db, NULL, false);
			return SQL_TEMP;
		}
		enum sql_run run = sql_run(c->my, query, res_r, err, errsize);
		if (run != RUN_LOST) {
			sql_pool_give(db, c, true);
			return run == RUN_OK ? SQL_OK : run == RUN_PERM ? SQL_PERM : SQL_TEMP;
		}
		sql_host_failed(db, c->host, "sql-connection-lost", err);
		sql_pool_drop(db, c->host);
		sql_pool_give(db, c, false);
	}
	return SQL_TEMP;
}
