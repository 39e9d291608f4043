/* dovecot_sql: Dovecot's dovecot-sql.conf.ext read unchanged (driver =
 * mysql, connect, default_pass_scheme, password_query, user_query,
 * iterate_query; "\" continuations, # comments), and the passdb/userdb
 * lookups it describes. Variables as Dovecot 2.3 expands them, SQL-escaped:
 * %u %n %d %s %r %l %p %% and long forms %{user} %{username} %{domain}
 * %{service} %{rip} %{lip}, with modifiers L (lower) U (upper) T (trim);
 * Dovecot 2.4's %{user | lower} style is accepted too.
 * Result columns: user (canonical name), password, home, mail, uid, gid,
 * quota_rule, nopassword, nologin, nodelay, allow_nets and any other
 * column as an extra field; "userdb_" prefixes are stripped. A NULL column
 * is absent.
 * Invariants: thread-safe; DB trouble is DIR_TEMP; no password logged. */
#ifndef TERN_DOVECOT_SQL_H
#define TERN_DOVECOT_SQL_H
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "directory.h"

struct dovecot_sql;

/* The request context variables refer to; NULL fields expand to "". */
struct dsql_vars {
	const char *user;    /* %u */
	const char *service; /* %s */
	const char *rip;     /* %r */
	const char *lip;     /* %l */
};

/* Parse the file; NULL with "file:line: message" in err. driver must be
 * mysql; connect's host= (repeatable), port, dbname, user, password,
 * connect_timeout, read_timeout, write_timeout, ssl_ca, ssl_ca_path,
 * ssl_cert, ssl_key, ssl_cipher, ssl_verify_server_cert map to
 * sql_settings. */
struct dovecot_sql *dovecot_sql_open(const char *path, char *err, size_t errsize);
void dovecot_sql_free(struct dovecot_sql **dp);

/* password_query: u gets user (the row's canonical "user" if returned),
 * password, scheme_default (default_pass_scheme), nopassword, nologin,
 * nodelay, allow_nets and userdb_* fields. NOTFOUND when no row. */
enum dir_result dovecot_sql_passdb(struct dovecot_sql *d, const struct dsql_vars *vars,
				   struct dir_user *u);
/* user_query: home, mail, uid, gid, quota_rule, other fields as extra. */
enum dir_result dovecot_sql_userdb(struct dovecot_sql *d, const struct dsql_vars *vars,
				   struct dir_user *u);
/* iterate_query: each row's user (or username@domain). */
enum dir_result dovecot_sql_iterate(struct dovecot_sql *d, bool (*cb)(const char *user, void *ctx),
				    void *ctx);

/* Expand a query template (exposed for tests). 0, or -1 for an unknown
 * variable or modifier (err names it). */
int dovecot_sql_expand(const char *tmpl, const struct dsql_vars *vars, struct buf *out,
		       char *err, size_t errsize);

#endif
