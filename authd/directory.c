/* directory: the embedded file backend behind directory.h: settings parsed
 * at open, data files as dir_sources, single-level lookups (user, domain,
 * alias domain, mailbox, alias). Full resolution is in resolve.c.
 * Invariants: every key is lowercased before lookup; a source that never
 * loaded answers TEMP; sources are searched in configuration order and the
 * first one that cannot answer stops the search with TEMP (as Postfix). */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf.h"
#include "dir_source.h"
#include "directory_int.h"
#include "log.h"
#include "strmap.h"

struct source_list {
	struct dir_source *v;
	size_t n;
};

struct directory {
	struct dir_source passwd; /* path NULL when passwd_file is empty */
	struct strmap *domains;	  /* literal virtual_mailbox_domains */
	struct source_list domain_files, aliases, alias_domains;
	char default_scheme[32];
	char mail_home[512], mail_location[512];
	char delimiters[16];
	long mail_uid, mail_gid;
	size_t recursion_limit, expansion_limit;
	struct timespec last_refresh;
};

int dir_key_lower(const char *in, char *out)
{
	size_t i;

	for (i = 0; in[i]; i++) {
		if (i == DIR_MAX_ADDRESS)
			return -1;
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] - 'A' + 'a') : in[i];
	}
	out[i] = '\0';
	return 0;
}

void directory_limits(const struct directory *dir, struct dir_limits *limits_r)
{
	limits_r->delimiters = dir->delimiters;
	limits_r->recursion = dir->recursion_limit;
	limits_r->expansion = dir->expansion_limit;
}

static int add_source(struct source_list *l, enum dir_source_kind kind, const char *path)
{
	struct dir_source *v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v)
		return -1;
	l->v = v;
	if (dir_source_init(&l->v[l->n], kind, path) < 0)
		return -1;
	l->n++;
	return 0;
}

/* A table item: "texthash:/abs" or "/abs". */
static int table_item(const char *setting, const char *item, enum dir_source_kind kind,
		      struct source_list *l, char *err, size_t errsize)
{
	const char *path = strncasecmp(item, "texthash:", 9) == 0 ? item + 9 : item;

	if (path[0] != '/') {
		snprintf(err, errsize, "%s: unsupported table \"%.200s\" (texthash:/path or /path)",
			 setting, item);
		return -1;
	}
	if (add_source(l, kind, path) < 0) {
		snprintf(err, errsize, "%s: out of memory", setting);
		return -1;
	}
	return 0;
}

static int domain_item(struct directory *dir, const char *item, char *err, size_t errsize)
{
	char key[DIR_MAX_ADDRESS + 1];

	if (item[0] == '/')
		return table_item("virtual_mailbox_domains", item, DSRC_LIST, &dir->domain_files,
				  err, errsize);
	if (strchr(item, ':'))
		return table_item("virtual_mailbox_domains", item, DSRC_KEYS, &dir->domain_files,
				  err, errsize);
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

static int parse_tables(struct directory *dir, const struct conf *conf, char *err,
			size_t errsize)
{
	const char *const *items;
	size_t n;

	n = conf_list(conf, NULL, "virtual_mailbox_domains", &items);
	for (size_t i = 0; i < n; i++)
		if (domain_item(dir, items[i], err, errsize) < 0)
			return -1;
	n = conf_list(conf, NULL, "virtual_alias_maps", &items);
	for (size_t i = 0; i < n; i++)
		if (table_item("virtual_alias_maps", items[i], DSRC_MAP, &dir->aliases, err,
			       errsize) < 0)
			return -1;
	n = conf_list(conf, NULL, "alias_domain_maps", &items);
	for (size_t i = 0; i < n; i++)
		if (table_item("alias_domain_maps", items[i], DSRC_MAP, &dir->alias_domains, err,
			       errsize) < 0)
			return -1;
	return 0;
}

/* mail_uid / mail_gid: a number or a name; -1 (with a warning) if unknown. */
static long system_id(const char *setting, const char *v, bool group)
{
	char buf[16384], *end;
	unsigned long n;

	if (!v[0])
		return -1;
	n = strtoul(v, &end, 10);
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

static int parse_settings(struct directory *dir, const struct conf *conf, char *err,
			  size_t errsize)
{
	char sample[1024];
	const char *pf = conf_str(conf, NULL, "passwd_file");

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
	dir->mail_uid = system_id("mail_uid", conf_str(conf, NULL, "mail_uid"), false);
	dir->mail_gid = system_id("mail_gid", conf_str(conf, NULL, "mail_gid"), true);
	if (pf && pf[0] && dir_source_init(&dir->passwd, DSRC_PASSWD, pf) < 0) {
		snprintf(err, errsize, "passwd_file: out of memory");
		return -1;
	}
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
	if (parse_settings(dir, conf, err, errsize) < 0) {
		directory_free(&dir);
		return NULL;
	}
	(void)directory_reload(dir);
	clock_gettime(CLOCK_MONOTONIC, &dir->last_refresh);
	return dir;
}

static void free_list(struct source_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		dir_source_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void directory_free(struct directory **dirp)
{
	struct directory *dir = dirp ? *dirp : NULL;

	if (!dir)
		return;
	dir_source_free(&dir->passwd);
	strmap_free(&dir->domains, NULL);
	free_list(&dir->domain_files);
	free_list(&dir->aliases);
	free_list(&dir->alias_domains);
	free(dir);
	*dirp = NULL;
}

static int reload_list(struct source_list *l)
{
	int r = 0;

	for (size_t i = 0; i < l->n; i++)
		if (dir_source_load(&l->v[i]) < 0)
			r = -1;
	return r;
}

int directory_reload(struct directory *dir)
{
	int r = 0;

	if (dir->passwd.path && dir_source_load(&dir->passwd) < 0)
		r = -1;
	if (reload_list(&dir->domain_files) < 0)
		r = -1;
	if (reload_list(&dir->aliases) < 0)
		r = -1;
	if (reload_list(&dir->alias_domains) < 0)
		r = -1;
	return r;
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

/* First table in l with key: FOUND with *value_r, NOTFOUND, or TEMP at the
 * first table that never loaded. */
static enum dir_result list_get(const struct source_list *l, const char *key, const char **value_r)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!l->v[i].loaded)
			return DIR_TEMP;
		if ((*value_r = texthash_get(l->v[i].th, key)) != NULL)
			return DIR_FOUND;
	}
	return DIR_NOTFOUND;
}

static int expand(const char *tmpl, const char *user, char *out, size_t size)
{
	if (conf_expand_user(tmpl, user, out, size) == 0)
		return 0;
	log_warning("directory-expand-failed user=%s reason=template-result-too-long", log_str(user));
	out[0] = '\0';
	return -1;
}

enum dir_result directory_user(struct directory *dir, const char *user, struct dir_user *u)
{
	char key[DIR_MAX_ADDRESS + 1];
	enum dir_result r;

	memset(u, 0, sizeof(*u));
	u->uid = u->gid = -1;
	if (dir_key_lower(user, key) < 0 || !dir->passwd.path)
		return DIR_NOTFOUND;
	if (!dir->passwd.loaded)
		return DIR_TEMP;
	if ((r = passwd_file_lookup(dir->passwd.pf, key, u)) != DIR_FOUND)
		return r;
	memcpy(u->scheme_default, dir->default_scheme, sizeof(u->scheme_default));
	if ((!u->home[0] && expand(dir->mail_home, key, u->home, sizeof(u->home)) < 0) ||
	    (!u->mail[0] && expand(dir->mail_location, key, u->mail, sizeof(u->mail)) < 0))
		return DIR_TEMP;
	if (u->uid < 0)
		u->uid = dir->mail_uid;
	if (u->gid < 0)
		u->gid = dir->mail_gid;
	return DIR_FOUND;
}

enum dir_result directory_iterate_users(struct directory *dir,
					bool (*cb)(const char *user, void *ctx), void *ctx)
{
	if (!dir->passwd.path)
		return DIR_FOUND;
	if (!dir->passwd.loaded)
		return DIR_TEMP;
	passwd_file_iterate(dir->passwd.pf, cb, ctx);
	return DIR_FOUND;
}

enum dir_result directory_domain(struct directory *dir, const char *domain)
{
	char key[DIR_MAX_ADDRESS + 1];
	const char *v;
	enum dir_result r;

	if (dir_key_lower(domain, key) < 0 || !key[0])
		return DIR_NOTFOUND;
	if (strmap_find(dir->domains, key, NULL))
		return DIR_FOUND;
	if ((r = list_get(&dir->domain_files, key, &v)) != DIR_NOTFOUND)
		return r;
	return list_get(&dir->alias_domains, key, &v);
}

enum dir_result directory_alias_domain(struct directory *dir, const char *domain, char *target)
{
	char key[DIR_MAX_ADDRESS + 1];
	const char *v;
	size_t len;
	enum dir_result r;

	target[0] = '\0';
	if (dir_key_lower(domain, key) < 0 || !key[0])
		return DIR_NOTFOUND;
	if ((r = list_get(&dir->alias_domains, key, &v)) != DIR_FOUND)
		return r;
	v += (*v == '@');
	len = strcspn(v, " \t,");
	if (len == 0 || len > DIR_MAX_ADDRESS) {
		log_warning("directory-bad-alias-domain domain=%s", log_str(key));
		return DIR_NOTFOUND;
	}
	memcpy(target, v, len);
	target[len] = '\0';
	dir_key_lower(target, target);
	return DIR_FOUND;
}

enum dir_result directory_mailbox(struct directory *dir, const char *address)
{
	char key[DIR_MAX_ADDRESS + 1];

	if (dir_key_lower(address, key) < 0 || !dir->passwd.path)
		return DIR_NOTFOUND;
	if (!dir->passwd.loaded)
		return DIR_TEMP;
	return passwd_file_exists(dir->passwd.pf, key) ? DIR_FOUND : DIR_NOTFOUND;
}

/* Targets separated by commas and/or whitespace -> "a,b,c". -1 = too long. */
static int join_targets(const char *v, char *out, size_t outsize)
{
	size_t o = 0;

	while (*v) {
		size_t len;

		v += strspn(v, " \t,");
		len = strcspn(v, " \t,");
		if (len == 0)
			break;
		if (o + (o > 0) + len >= outsize)
			return -1;
		if (o > 0)
			out[o++] = ',';
		memcpy(out + o, v, len);
		o += len;
		v += len;
	}
	out[o] = '\0';
	return 0;
}

enum dir_result directory_alias(struct directory *dir, const char *key, char *out, size_t outsize)
{
	char k[DIR_MAX_ADDRESS + 1];
	const char *v;
	enum dir_result r;

	if (outsize == 0)
		return DIR_TEMP;
	out[0] = '\0';
	if (dir_key_lower(key, k) < 0 || !k[0])
		return DIR_NOTFOUND;
	if ((r = list_get(&dir->aliases, k, &v)) != DIR_FOUND)
		return r;
	if (join_targets(v, out, outsize) < 0) {
		log_warning("directory-alias-too-long key=%s", log_str(k));
		out[0] = '\0';
		return DIR_TEMP;
	}
	return out[0] ? DIR_FOUND : DIR_NOTFOUND;
}
