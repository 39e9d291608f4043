/* sql: MariaDB/MySQL through MariaDB Connector/C, for authd's lookups.
 * A `struct sql_db` is one database target (a hosts list with failover,
 * credentials, timeouts, TLS) with a small pool of connections; targets
 * with identical settings are shared (sql_db_get), as Postfix's proxymap
 * shares connections between maps.
 * Invariants: thread-safe (any thread may query; each query holds one
 * pooled connection exclusively); a server that is down, unreachable or
 * too slow gives SQL_TEMP, never an empty result; a lost connection is
 * re-established (another host if need be) and the query retried once; a
 * host that failed is skipped for retry_interval while others work; no
 * password is ever logged. */
#ifndef TERN_SQL_H
#define TERN_SQL_H
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define SQL_MAX_HOSTS 16

struct sql_settings {
	/* Hosts as Postfix's mysql_table(5) "hosts" or Dovecot's host=:
	 * "inet:host[:port]", "host[:port]", "unix:/path", "/path".
	 * "localhost" means the default UNIX socket, as in libmysqlclient. */
	const char *hosts[SQL_MAX_HOSTS];
	size_t nhosts;
	const char *user, *password, *dbname;
	const char *charset;		/* NULL = "utf8mb4" */
	unsigned connect_timeout_s;	/* 0 = 5 */
	unsigned read_timeout_s;	/* 0 = 30 */
	unsigned write_timeout_s;	/* 0 = 30 */
	unsigned retry_interval_s;	/* a failed host is skipped this long; 0 = 60 */
	unsigned max_connections;	/* pool size; 0 = 8 */
	/* TLS to the server; all NULL/false = no TLS. */
	const char *tls_ca_file, *tls_ca_path, *tls_cert_file, *tls_key_file, *tls_ciphers;
	bool tls_verify_cert;
	bool tls_required;		/* use TLS even without any file set */
};

enum sql_status { SQL_OK = 0, SQL_TEMP = -1, SQL_PERM = -2 };

/* A result set: nrows x ncols cells, row-major; a cell is NULL for SQL
 * NULL; colnames[i] is the column name (or alias). */
struct sql_result {
	size_t nrows, ncols;
	char **colnames;
	char **cells;
};

/* A shared target for these settings (compared by value, strings
 * included): created on first use, refcounted. Connects lazily, so a
 * database that is down at start is not an error here. NULL with err on
 * bad settings (no hosts, bad host syntax). */
struct sql_db *sql_db_get(const struct sql_settings *s, char *err, size_t errsize);
/* Drop one reference; the last closes every connection. */
void sql_db_put(struct sql_db **dbp);

/* Run one statement. SQL_OK with *res_r (free with sql_result_free; a
 * statement without result set gives 0 rows); SQL_TEMP when no host
 * answers in time or the connection broke twice; SQL_PERM when the server
 * rejects the statement (syntax, unknown table): err says why. */
enum sql_status sql_query(struct sql_db *db, const char *query, struct sql_result **res_r,
			  char *err, size_t errsize);
void sql_result_free(struct sql_result **resp);
/* Cell of a row by column name (case-insensitive); NULL when the column
 * is absent or the value is SQL NULL. *present_r (may be NULL) tells the
 * two apart. */
const char *sql_result_get(const struct sql_result *res, size_t row, const char *column,
			   bool *present_r);

/* Append s escaped for use inside a single-quoted SQL string literal:
 * ' -> '', \ -> \\, NUL, CR, LF, ^Z as \0 \r \n \Z. Correct with and without
 * NO_BACKSLASH_ESCAPES for injection safety. */
void sql_escape(struct buf *out, const char *s, size_t len);

#endif
