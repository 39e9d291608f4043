/* dir_map: one lookup table of the directory, as main.cf names it: a
 * Postfix texthash file ("texthash:/path", or a bare "/path"), a name list
 * file (virtual_mailbox_domains' "/path"), or a Postfix mysql_table(5) file
 * ("mysql:/path.cf", also "proxy:mysql:/path.cf"). Lists of maps are
 * searched in order, as Postfix searches the maps of one setting.
 * Invariants: file tables are read under the directory's lock (readers
 * share it; a reload takes it exclusively and briefly); SQL tables take no
 * lock (their queries may be slow and run on worker threads); the first map
 * that cannot answer stops a search with TEMP. */
#ifndef TERN_DIR_MAP_H
#define TERN_DIR_MAP_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "dir_source.h"
#include "lookup_cache.h"
#include "directory.h"
#include "mysql_table.h"

struct dir_map {
	bool is_sql;
	struct dir_source file;	  /* !is_sql */
	struct mysql_table *sql;  /* is_sql */
};

struct dir_map_list {
	struct dir_map *v;
	size_t n;
	pthread_rwlock_t *lock;	  /* the directory's file lock */
	struct lookup_cache *cache; /* for SQL answers, or NULL */
	char cache_tag;		  /* tells this list's entries apart in the cache */
};

/* Add the map named by item for setting (error messages). `file_kind` is
 * how a file is read (DSRC_MAP, DSRC_KEYS or DSRC_LIST for "/path" lists).
 * 0, or -1 with a reason in err. */
int dir_map_add(struct dir_map_list *l, const char *setting, const char *item,
		enum dir_source_kind file_kind, enum dir_source_kind bare_path_kind, char *err,
		size_t errsize);
/* First map with key: FOUND and its value copied into out ("" for a key
 * without value), NOTFOUND, or TEMP. */
enum dir_result dir_map_get(struct dir_map_list *l, const char *key, char *out, size_t outsize);
/* (Re)load changed files; 0 or -1 if some file failed (old data kept).
 * Call with the lock held for writing. */
int dir_map_reload(struct dir_map_list *l);
/* In cache-only mode (directory_cache_only): true, and the miss is
 * remembered, when a lookup would now have to query the database. */
bool dir_cache_only_miss(void);
/* Is this thread in cache-only mode (its TEMP answers are not real)? */
bool dir_cache_only_active(void);
/* Does any map block (SQL)? */
bool dir_map_blocking(const struct dir_map_list *l);
void dir_map_free(struct dir_map_list *l);

#endif
