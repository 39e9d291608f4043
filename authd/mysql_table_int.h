/* mysql_table_int: the parsed map shared by mysql_table.c (file and
 * settings) and mysql_table_lookup.c (lookups); private to those two.
 * Invariants: immutable after mysql_table_open() returns, except the
 * last_error memo, which is only touched under lock. */
#ifndef TERN_MYSQL_TABLE_INT_H
#define TERN_MYSQL_TABLE_INT_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "mysql_table.h"

#define MT_MAX_FILE (1024 * 1024)
#define MT_MAX_QUERY (256 * 1024)
#define MT_MAX_DOMAINS 256

struct mt_param {
	char *name, *value;
	unsigned line;
};

struct mysql_table {
	char *path;
	struct mt_param *params; /* owns every string the settings point to */
	size_t nparams;
	struct sql_db *db;
	const char *result_format;
	char *query; /* own copy (the obsolete form is built) */
	unsigned long expansion_limit;
	char *domains[MT_MAX_DOMAINS]; /* lowercased; "!x" negates */
	size_t ndomains;
	pthread_mutex_t lock;
	char last_error[256];
};

#endif
