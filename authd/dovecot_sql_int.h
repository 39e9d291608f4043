/* dovecot_sql_int: the parsed dovecot-sql.conf.ext shared by
 * dovecot_sql.c (file, connect string) and dovecot_sql_lookup.c (queries
 * and result columns); private to those two.
 * Invariants: immutable after dovecot_sql_open() returns, except the
 * last_error memo, which is only touched under lock. */
#ifndef TERN_DOVECOT_SQL_INT_H
#define TERN_DOVECOT_SQL_INT_H
#include <pthread.h>

#include "dovecot_sql.h"
#include "sql.h"

#define DSQL_MAX_FILE (1024 * 1024)
#define DSQL_MAX_QUERY (256 * 1024)

struct dovecot_sql {
	char *path;
	char *driver, *connect, *password_query, *user_query, *iterate_query;
	char *update_query, *default_pass_scheme, *userdb_warning_disable;
	unsigned lines[8];  /* line of each of the above, in that order; 0 = unset */
	char *connect_copy; /* connect split in place; settings point into it */
	char *hosts[SQL_MAX_HOSTS];
	char scheme[32];    /* default_pass_scheme, "MD5" as MD5-CRYPT */
	struct sql_db *db;
	pthread_mutex_t lock;
	char last_error[256];
};

#endif
