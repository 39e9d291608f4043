/* mysql_table: a Postfix mysql_table(5) map file ("mysql:/etc/postfix/x.cf"),
 * read unchanged: hosts, user, password, dbname, query, result_format,
 * expansion_limit, domain, charset, retry_interval, idle_interval,
 * tls_* (and the obsolete select_field/table/where_field/
 * additional_conditions form). Lookups behave as Postfix's: %s %u %d
 * %1..%9 (and %S %U %D) expand SQL-escaped; an expansion that cannot be
 * made suppresses the query (NOTFOUND); several rows or columns join with
 * commas after result_format; more than expansion_limit values is TEMP.
 * Invariants: thread-safe lookups; DB trouble is DIR_TEMP. */
#ifndef TERN_MYSQL_TABLE_H
#define TERN_MYSQL_TABLE_H
#include <stddef.h>

#include "buf.h"
#include "directory.h"

struct mysql_table;

/* Parse the file (name = value lines as main.cf: # comments, indented
 * continuation lines) and attach to its (shared) database. NULL with
 * "file:line: message" in err for a bad file (unknown keys are accepted
 * with a warning, as Postfix ignores them). */
struct mysql_table *mysql_table_open(const char *path, char *err, size_t errsize);
void mysql_table_free(struct mysql_table **tp);
const char *mysql_table_path(const struct mysql_table *t);

/* Look key up: FOUND with the comma-joined values in out, NOTFOUND, or
 * TEMP (database trouble, expansion_limit exceeded, out too small). */
enum dir_result mysql_table_lookup(struct mysql_table *t, const char *key, char *out,
				   size_t outsize);

/* Building blocks, exposed for unit tests and fuzzing. */
/* Expand a query template for key. 1 = expanded into out, 0 = suppressed
 * (e.g. %u with an empty local part, %d without '@', %3 with two labels),
 * -1 = bad template (unknown %x). Values are SQL-escaped. */
int mysql_table_expand_query(const char *tmpl, const char *key, struct buf *out);
/* Apply result_format to one value; 1 = appended, 0 = skipped (e.g. %d of a
 * value without '@'), -1 = bad format. Not escaped. */
int mysql_table_format_result(const char *fmt, const char *key, const char *value,
			      struct buf *out);

#endif
