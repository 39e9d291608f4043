/* directory_int: the directory's internals shared by directory.c
 * (lookups), directory_open.c (settings, open, reload) and resolve.c.
 * Invariants: internal to authd's directory; nothing else includes it. */
#ifndef TERN_DIRECTORY_INT_H
#define TERN_DIRECTORY_INT_H
#include <pthread.h>
#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#include "dir_map.h"
#include "dir_source.h"
#include "directory.h"
#include "dovecot_sql.h"
#include "lookup_cache.h"
#include "strmap.h"

#define DIR_EXPANSION_MAX 1000 /* hard cap on addresses one recipient expands to */
#define DIR_RECURSION_MAX 1000 /* hard cap on alias nesting */

#define DIR_MAX_SQL_FILES 32

/* Identity of a file read once at open (SQL config files may be root-only). */
struct dir_file_id {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct directory {
	pthread_rwlock_t lock;	  /* file data: lookups read, reloads write */
	struct dir_source passwd; /* path NULL when passwd_file is empty or SQL is used */
	struct dovecot_sql *sql;  /* dovecot_sql_file, or NULL */
	struct lookup_cache *cache; /* SQL answers (auth_cache_*), or NULL */
	struct strmap *domains;	  /* literal virtual_mailbox_domains */
	struct dir_map_list domain_maps, mailbox_maps, aliases, alias_domains;
	char default_scheme[32];
	char mail_home[512], mail_location[512];
	char delimiters[16];
	long mail_uid, mail_gid;
	size_t recursion_limit, expansion_limit;
	struct timespec last_refresh;
	struct dir_file_id sql_files[DIR_MAX_SQL_FILES];
	size_t sql_file_count;
};

struct dir_limits {
	const char *delimiters; /* recipient_delimiter characters, "" = none */
	size_t recursion;	/* min(virtual_alias_recursion_limit, DIR_RECURSION_MAX) */
	size_t expansion;	/* min(virtual_alias_expansion_limit, DIR_EXPANSION_MAX) */
};

void directory_limits(const struct directory *dir, struct dir_limits *limits_r);

/* Lowercase in into out (DIR_MAX_ADDRESS+1 bytes); -1 when longer than
 * DIR_MAX_ADDRESS. */
int dir_key_lower(const char *in, char *out);

/* Fill defaults (home, mail, uid, gid, scheme) a source left empty. */
enum dir_result dir_user_defaults(struct directory *dir, const char *key, struct dir_user *u);

#endif
