/* dir_map: the tables of the directory, files and SQL (see dir_map.h). */
#include "dir_map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int add(struct dir_map_list *l, struct dir_map *m)
{
	struct dir_map *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	l->v = v;
	l->v[l->n++] = *m;
	return 0;
}

int dir_map_add(struct dir_map_list *l, const char *setting, const char *item,
		enum dir_source_kind file_kind, enum dir_source_kind bare_path_kind, char *err,
		size_t errsize)
{
	struct dir_map m = { 0 };
	const char *path = item;
	if (strncasecmp(path, "proxy:", 6) == 0) /* Postfix's connection sharing: ours is built in */
		path += 6;
	if (strncasecmp(path, "mysql:", 6) == 0) {
		m.is_sql = true;
		m.sql = mysql_table_open(path + 6, err, errsize);
		if (m.sql == NULL)
			return -1;
	} else {
		enum dir_source_kind kind = file_kind;
		if (strncasecmp(path, "texthash:", 9) == 0)
			path += 9;
		else if (path == item && path[0] == '/')
			kind = bare_path_kind;
		if (path[0] != '/') {
			snprintf(err, errsize,
				 "%s: unsupported table \"%.200s\" (texthash:/path, /path or mysql:/path.cf)",
				 setting, item);
			return -1;
		}
		if (dir_source_init(&m.file, kind, path) < 0) {
			snprintf(err, errsize, "%s: out of memory", setting);
			return -1;
		}
	}
	if (add(l, &m) < 0) {
		if (m.is_sql)
			mysql_table_free(&m.sql);
		else
			dir_source_free(&m.file);
		snprintf(err, errsize, "%s: out of memory", setting);
		return -1;
	}
	return 0;
}

/* A file table's value, copied under the read lock. */
static enum dir_result file_get(struct dir_map_list *l, struct dir_source *s, const char *key,
				char *out, size_t outsize)
{
	enum dir_result r = DIR_NOTFOUND;
	pthread_rwlock_rdlock(l->lock);
	if (!s->loaded) {
		r = DIR_TEMP;
	} else {
		const char *v = texthash_get(s->th, key);
		if (v != NULL) {
			size_t len = strlen(v);
			r = len < outsize ? DIR_FOUND : DIR_TEMP;
			if (r == DIR_FOUND)
				memcpy(out, v, len + 1);
		}
	}
	pthread_rwlock_unlock(l->lock);
	return r;
}

static __thread bool cache_only, cache_missed;

void directory_cache_only(bool on)
{
	cache_only = on;
	cache_missed = false;
}

bool directory_cache_missed(void)
{
	bool missed = cache_missed;
	cache_missed = false;
	return missed;
}

bool dir_cache_only_active(void)
{
	return cache_only;
}

bool dir_cache_only_miss(void)
{
	if (cache_only)
		cache_missed = true;
	return cache_only;
}

/* An SQL table's answer, through the cache (TEMP is never cached). */
static enum dir_result sql_get(struct dir_map_list *l, size_t index, const char *key, char *out,
			       size_t outsize)
{
	char ckey[DIR_MAX_ADDRESS + 16];
	size_t len = outsize - 1;
	bool found;
	snprintf(ckey, sizeof(ckey), "%c%zu\001%s", l->cache_tag, index, key);
	if (lookup_cache_get(l->cache, ckey, out, &len, &found)) {
		out[found ? len : 0] = '\0';
		return found ? DIR_FOUND : DIR_NOTFOUND;
	}
	if (dir_cache_only_miss())
		return DIR_TEMP; /* the caller retries on a worker thread */
	enum dir_result r = mysql_table_lookup(l->v[index].sql, key, out, outsize);
	if (r != DIR_TEMP)
		lookup_cache_put(l->cache, ckey, out, strlen(out), r == DIR_FOUND);
	return r;
}

enum dir_result dir_map_get(struct dir_map_list *l, const char *key, char *out, size_t outsize)
{
	if (outsize == 0)
		return DIR_TEMP;
	out[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		struct dir_map *m = &l->v[i];
		enum dir_result r = m->is_sql ? sql_get(l, i, key, out, outsize)
					      : file_get(l, &m->file, key, out, outsize);
		if (r != DIR_NOTFOUND)
			return r;
	}
	return DIR_NOTFOUND;
}

int dir_map_reload(struct dir_map_list *l)
{
	int r = 0;
	for (size_t i = 0; i < l->n; i++)
		if (!l->v[i].is_sql && dir_source_load(&l->v[i].file) < 0)
			r = -1;
	return r;
}

bool dir_map_blocking(const struct dir_map_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].is_sql)
			return true;
	return false;
}

void dir_map_free(struct dir_map_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].is_sql)
			mysql_table_free(&l->v[i].sql);
		else
			dir_source_free(&l->v[i].file);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
