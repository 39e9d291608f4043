/* sql_impl: internals shared by sql.c (registry, settings, hosts),
 * sql_pool.c (connections, queries) and sql_result.c. Not for other modules.
 * Invariants: db->lock guards hosts[].down/failed_at, the idle list, nopen
 * and rng; nopen counts idle + busy + being-opened connections and never
 * passes set.max_connections; settings strings are the db's own copies. */
#ifndef TERN_SQL_IMPL_H
#define TERN_SQL_IMPL_H
#include <pthread.h>
#include <stdint.h>
#include <mysql.h>

#include "sql.h"

struct sql_host {
	char *spec;	/* as configured, for log lines */
	char *host;	/* TCP host name or address; NULL for a UNIX socket */
	char *socket;	/* UNIX socket path; NULL = TCP or the default socket */
	unsigned port;	/* 0 = default */
	bool down;	/* failed and not yet seen working again */
	int64_t failed_ms; /* monotonic time of the last failure */
};

struct sql_conn {
	MYSQL *my;
	size_t host;	/* index in db->hosts */
	struct sql_conn *next;
};

struct sql_db {
	struct sql_db *next;	/* registry list, under the registry lock */
	unsigned refs;		/* under the registry lock */
	struct sql_settings set; /* normalized: defaults filled in */
	struct sql_host hosts[SQL_MAX_HOSTS];
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* a connection was released */
	struct sql_conn *idle;
	size_t nopen;
	uint64_t rng;
};

/* Monotonic clock in milliseconds. */
int64_t sql_now_ms(void);
/* mysql_library_init once per process, mysql_thread_init once per thread
 * (mysql_thread_end runs when the thread exits). 0 or -1. */
int sql_thread_setup(void);
/* Close every idle connection (at the last sql_db_put). */
void sql_pool_close_all(struct sql_db *db);
/* Copy a stored result into a new struct sql_result; NULL r gives 0x0.
 * 0 or -1 (out of memory). */
int sql_result_build(MYSQL_RES *r, struct sql_result **res_r);

#endif
