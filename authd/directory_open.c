/* directory_open: building the directory from the settings (passwd_file or
 * dovecot_sql_file, the map lists, templates, limits), reloading its files
 * and freeing it. See directory.h for the contract. */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "conf.h"
#include "directory_int.h"
#include "log.h"

void directory_limits(const struct directory *dir, struct dir_limits *limits_r)
{
	limits_r->delimiters = dir->delimiters;
	limits_r->recursion = dir->recursion_limit;
	limits_r->expansion = dir->expansion_limit;
}

/* Remember an SQL config file's identity, to notice later edits. */
static void note_sql_file(struct directory *dir, const char *path)
{
	struct stat st;
	if (dir->sql_file_count >= DIR_MAX_SQL_FILES || stat(path, &st) < 0)
		return;
	struct dir_file_id *f = &dir->sql_files[dir->sql_file_count];
	if ((f->path = strdup(path)) == NULL)
		return;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = st.st_size;
	f->mtime = st.st_mtim;
	dir->sql_file_count++;
}

static bool file_changed(const struct dir_file_id *f)
{
	struct stat st;
	if (stat(f->path, &st) < 0)
		return true;
	return st.st_dev != f->dev || st.st_ino != f->ino || st.st_size != f->size ||
	       st.st_mtim.tv_sec != f->mtime.tv_sec || st.st_mtim.tv_nsec != f->mtime.tv_nsec;
}

bool directory_sql_files_changed(const struct directory *dir, const char **path_r)
{
	for (size_t i = 0; i < dir->sql_file_count; i++)
		if (file_changed(&dir->sql_files[i])) {
			*path_r = dir->sql_files[i].path;
			return true;
		}
	return false;
}

/* Remember the SQL files among a setting's table items. */
static void note_sql_items(struct directory *dir, const struct conf *conf, const char *setting)
{
	const char *const *items;
	size_t n = conf_list(conf, NULL, setting, &items);
	for (size_t i = 0; i < n; i++) {
		const char *p = items[i];
		if (strncasecmp(p, "proxy:", 6) == 0)
			p += 6;
		if (strncasecmp(p, "mysql:", 6) == 0)
			note_sql_file(dir, p + 6);
	}
}

static int domain_item(struct directory *dir, const char *item, char *err, size_t errsize)
{
	char key[DIR_MAX_ADDRESS + 1];
	if (item[0] == '/' || strchr(item, ':'))
		return dir_map_add(&dir->domain_maps, "virtual_mailbox_domains", item, DSRC_KEYS,
				   DSRC_LIST, err, errsize);
	if (strlen(item) > 255 || dir_key_lower(item, key) < 0 || strchr(item, '@')) {
		snprintf(err, errsize, "virtual_mailbox_domains: bad domain \"%.200s\"", item);
		return -1;
	}
	if (strmap_add(dir->domains, key, NULL, NULL) < 0) {
		snprintf(err, errsize, "virtual_mailbox_domains: out of memory");
		return -1;
	}
	return 0;
}

static int map_setting(const struct conf *conf, const char *setting, struct dir_map_list *l,
		       char *err, size_t errsize)
{
	const char *const *items;
	size_t n = conf_list(conf, NULL, setting, &items);
	for (size_t i = 0; i < n; i++)
		if (dir_map_add(l, setting, items[i], DSRC_MAP, DSRC_MAP, err, errsize) < 0)
			return -1;
	return 0;
}

static int parse_tables(struct directory *dir, const struct conf *conf, char *err,
			size_t errsize)
{
	const char *const *items;
	size_t n = conf_list(conf, NULL, "virtual_mailbox_domains", &items);
	for (size_t i = 0; i < n; i++)
		if (domain_item(dir, items[i], err, errsize) < 0)
			return -1;
	return map_setting(conf, "virtual_mailbox_maps", &dir->mailbox_maps, err, errsize) < 0 ||
			       map_setting(conf, "virtual_alias_maps", &dir->aliases, err, errsize) < 0 ||
			       map_setting(conf, "alias_domain_maps", &dir->alias_domains, err, errsize) < 0
		       ? -1
		       : 0;
}

/* mail_uid / mail_gid: a number or a name; -1 (with a warning) if unknown. */
static long system_id(const char *setting, const char *v, bool group)
{
	char buf[16384], *end;
	if (!v[0])
		return -1;
	unsigned long n = strtoul(v, &end, 10);
	if (v[0] >= '0' && v[0] <= '9' && !*end && n < 0xffffffffUL)
		return (long)n;
	if (group) {
		struct group gr, *res = NULL;
		if (getgrnam_r(v, &gr, buf, sizeof(buf), &res) == 0 && res)
			return (long)gr.gr_gid;
	} else {
		struct passwd pw, *res = NULL;
		if (getpwnam_r(v, &pw, buf, sizeof(buf), &res) == 0 && res)
			return (long)pw.pw_uid;
	}
	log_warning("directory-config-warning setting=%s value=%s reason=unknown-%s", setting,
		    log_str(v), group ? "group" : "user");
	return -1;
}

static int copy_setting(char *dst, size_t size, const struct conf *conf, const char *key,
			char *err, size_t errsize)
{
	const char *v = conf_str(conf, NULL, key);
	if (!v)
		v = "";
	if (strlen(v) >= size) {
		snprintf(err, errsize, "%s: value too long", key);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int parse_limits(struct directory *dir, const struct conf *conf, char *err,
			size_t errsize)
{
	dir->recursion_limit = conf_int(conf, NULL, "virtual_alias_recursion_limit");
	dir->expansion_limit = conf_int(conf, NULL, "virtual_alias_expansion_limit");
	if (dir->recursion_limit == 0 || dir->expansion_limit == 0) {
		snprintf(err, errsize, "virtual_alias_recursion_limit and "
				       "virtual_alias_expansion_limit must be at least 1");
		return -1;
	}
	if (dir->expansion_limit > DIR_EXPANSION_MAX)
		dir->expansion_limit = DIR_EXPANSION_MAX;
	if (dir->recursion_limit > DIR_RECURSION_MAX)
		dir->recursion_limit = DIR_RECURSION_MAX;
	return 0;
}

/* Where users come from: Dovecot's SQL file, else the passwd-file. */
static int parse_users(struct directory *dir, const struct conf *conf, char *err, size_t errsize)
{
	const char *sqlfile = conf_str(conf, NULL, "dovecot_sql_file");
	const char *pf = conf_str(conf, NULL, "passwd_file");
	if (sqlfile && sqlfile[0]) {
		note_sql_file(dir, sqlfile);
		dir->sql = dovecot_sql_open(sqlfile, err, errsize);
		return dir->sql ? 0 : -1;
	}
	if (pf && pf[0] && dir_source_init(&dir->passwd, DSRC_PASSWD, pf) < 0) {
		snprintf(err, errsize, "passwd_file: out of memory");
		return -1;
	}
	return 0;
}

static int parse_settings(struct directory *dir, const struct conf *conf, char *err,
			  size_t errsize)
{
	char sample[1024];
	if (copy_setting(dir->default_scheme, sizeof(dir->default_scheme), conf,
			 "default_pass_scheme", err, errsize) < 0 ||
	    copy_setting(dir->mail_home, sizeof(dir->mail_home), conf, "mail_home", err,
			 errsize) < 0 ||
	    copy_setting(dir->mail_location, sizeof(dir->mail_location), conf, "mail_location",
			 err, errsize) < 0 ||
	    copy_setting(dir->delimiters, sizeof(dir->delimiters), conf, "recipient_delimiter",
			 err, errsize) < 0)
		return -1;
	if (conf_expand_user(dir->mail_home, "user@example.org", sample, sizeof(sample)) < 0 ||
	    conf_expand_user(dir->mail_location, "user@example.org", sample, sizeof(sample)) < 0) {
		snprintf(err, errsize, "mail_home/mail_location: bad template");
		return -1;
	}
	if (parse_limits(dir, conf, err, errsize) < 0)
		return -1;
	dir->mail_uid = system_id("mail_uid", conf_str(conf, NULL, "mail_uid"), false);
	dir->mail_gid = system_id("mail_gid", conf_str(conf, NULL, "mail_gid"), true);
	if (parse_users(dir, conf, err, errsize) < 0)
		return -1;
	static const char *const table_settings[] = { "virtual_mailbox_domains", "virtual_mailbox_maps",
						       "virtual_alias_maps", "alias_domain_maps" };
	for (size_t i = 0; i < sizeof(table_settings) / sizeof(table_settings[0]); i++)
		note_sql_items(dir, conf, table_settings[i]);
	return parse_tables(dir, conf, err, errsize);
}

struct directory *directory_open(const struct conf *conf, char *err, size_t errsize)
{
	struct directory *dir = calloc(1, sizeof(*dir));
	if (!dir || !(dir->domains = strmap_new())) {
		snprintf(err, errsize, "directory: out of memory");
		free(dir);
		return NULL;
	}
	pthread_rwlock_init(&dir->lock, NULL);
	dir->cache = lookup_cache_new(conf_size(conf, NULL, "auth_cache_size"),
				      conf_time_ms(conf, NULL, "auth_cache_ttl"),
				      conf_time_ms(conf, NULL, "auth_cache_negative_ttl"));
	struct dir_map_list *lists[] = { &dir->domain_maps, &dir->mailbox_maps, &dir->aliases,
					 &dir->alias_domains };
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		lists[i]->lock = &dir->lock;
		lists[i]->cache = dir->cache;
		lists[i]->cache_tag = (char)('a' + i);
	}
	if (parse_settings(dir, conf, err, errsize) < 0) {
		directory_free(&dir);
		return NULL;
	}
	(void)directory_reload(dir);
	clock_gettime(CLOCK_MONOTONIC, &dir->last_refresh);
	return dir;
}

void directory_free(struct directory **dirp)
{
	struct directory *dir = dirp ? *dirp : NULL;
	if (!dir)
		return;
	dir_source_free(&dir->passwd);
	dovecot_sql_free(&dir->sql);
	strmap_free(&dir->domains, NULL);
	dir_map_free(&dir->domain_maps);
	dir_map_free(&dir->mailbox_maps);
	dir_map_free(&dir->aliases);
	dir_map_free(&dir->alias_domains);
	pthread_rwlock_destroy(&dir->lock);
	lookup_cache_free(&dir->cache);
	for (size_t i = 0; i < dir->sql_file_count; i++)
		free(dir->sql_files[i].path);
	free(dir);
	*dirp = NULL;
}

int directory_reload(struct directory *dir)
{
	int r = 0;
	pthread_rwlock_wrlock(&dir->lock);
	if (dir->passwd.path && dir_source_load(&dir->passwd) < 0)
		r = -1;
	struct dir_map_list *lists[] = { &dir->domain_maps, &dir->mailbox_maps, &dir->aliases,
					 &dir->alias_domains };
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (dir_map_reload(lists[i]) < 0)
			r = -1; /* every list is tried: one bad file stops no other */
	pthread_rwlock_unlock(&dir->lock);
	return r;
}

bool directory_cached(const struct directory *dir)
{
	return dir->cache != NULL;
}

void directory_flush_cache(struct directory *dir)
{
	lookup_cache_clear(dir->cache);
}

void directory_refresh(struct directory *dir)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - dir->last_refresh.tv_sec) * 1000000000L +
		    (now.tv_nsec - dir->last_refresh.tv_nsec) < 1000000000L)
		return;
	dir->last_refresh = now;
	(void)directory_reload(dir);
}

bool directory_blocking(const struct directory *dir)
{
	return dir->sql != NULL || dir_map_blocking(&dir->domain_maps) ||
	       dir_map_blocking(&dir->mailbox_maps) || dir_map_blocking(&dir->aliases) ||
	       dir_map_blocking(&dir->alias_domains);
}
