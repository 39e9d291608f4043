/* directory: the single-level lookups behind directory.h (user, domain,
 * alias domain, mailbox, alias) over the configured sources: passwd-file or
 * Dovecot SQL for users, file or SQL maps for the rest. Full resolution is
 * in resolve.c, settings and reloads in directory_open.c.
 * Invariants: every key is lowercased before lookup; a source that never
 * loaded or cannot be reached answers TEMP; maps are searched in
 * configuration order and the first one that cannot answer stops the
 * search with TEMP (as Postfix); file data is only read under the lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "conf.h"
#include "dir_user_pack.h"
#include "directory_int.h"
#include "log.h"

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

static int expand(const char *tmpl, const char *user, char *out, size_t size)
{
	if (conf_expand_user(tmpl, user, out, size) == 0)
		return 0;
	log_warning("directory-expand-failed user=%s reason=template-result-too-long", log_str(user));
	out[0] = '\0';
	return -1;
}

enum dir_result dir_user_defaults(struct directory *dir, const char *key, struct dir_user *u)
{
	if (!u->scheme_default[0])
		snprintf(u->scheme_default, sizeof(u->scheme_default), "%s", dir->default_scheme);
	if ((!u->home[0] && expand(dir->mail_home, key, u->home, sizeof(u->home)) < 0) ||
	    (!u->mail[0] && expand(dir->mail_location, key, u->mail, sizeof(u->mail)) < 0))
		return DIR_TEMP;
	if (u->uid < 0)
		u->uid = dir->mail_uid;
	if (u->gid < 0)
		u->gid = dir->mail_gid;
	return DIR_FOUND;
}

/* The passwd-file record of key (both passdb and userdb fields). */
static enum dir_result passwd_user(struct directory *dir, const char *key, struct dir_user *u)
{
	enum dir_result r = DIR_NOTFOUND;
	pthread_rwlock_rdlock(&dir->lock);
	if (!dir->passwd.loaded)
		r = DIR_TEMP;
	else
		r = passwd_file_lookup(dir->passwd.pf, key, u);
	pthread_rwlock_unlock(&dir->lock);
	return r;
}

/* A user from Dovecot's SQL queries, through the cache (packed: a cached
 * user costs its strings, not the whole struct). */
static enum dir_result sql_user(struct directory *dir, const char *key, const char *service,
				const char *rip, struct dir_user *u, bool want_pass)
{
	char ckey[DIR_MAX_ADDRESS + 160], packed[sizeof(*u)];
	size_t len = sizeof(packed);
	bool found;
	/* the query may use %s and %r: they are part of what was asked */
	snprintf(ckey, sizeof(ckey), "%c\001%s\001%.63s\001%.63s", want_pass ? 'P' : 'U', key,
		 service, rip);
	if (lookup_cache_get(dir->cache, ckey, packed, &len, &found) &&
	    (!found || dir_user_unpack(packed, len, u) == 0))
		return found ? DIR_FOUND : DIR_NOTFOUND;
	if (dir_cache_only_miss())
		return DIR_TEMP; /* the caller retries on a worker thread */
	struct dsql_vars vars = { .user = key, .service = service, .rip = rip };
	enum dir_result r = want_pass ? dovecot_sql_passdb(dir->sql, &vars, u)
				      : dovecot_sql_userdb(dir->sql, &vars, u);
	if (r == DIR_FOUND && !u->user[0])
		snprintf(u->user, sizeof(u->user), "%s", key);
	if (r == DIR_FOUND) {
		struct buf b;
		buf_init(&b, sizeof(packed));
		dir_user_pack(u, &b);
		if (!buf_error(&b))
			lookup_cache_put(dir->cache, ckey, b.data, b.len, true);
		sodium_memzero(b.data, b.len);
		buf_free(&b);
	} else if (r == DIR_NOTFOUND) {
		lookup_cache_put(dir->cache, ckey, NULL, 0, false);
	}
	sodium_memzero(packed, sizeof(packed));
	return r;
}

/* Users: want_pass selects Dovecot's password_query over its user_query. */
static enum dir_result lookup_user(struct directory *dir, const char *user, const char *service,
				   const char *rip, struct dir_user *u, bool want_pass)
{
	char key[DIR_MAX_ADDRESS + 1];
	enum dir_result r;
	memset(u, 0, sizeof(*u));
	u->uid = u->gid = -1;
	if (dir_key_lower(user, key) < 0)
		return DIR_NOTFOUND;
	if (dir->sql) {
		r = sql_user(dir, key, service, rip, u, want_pass);
	} else if (dir->passwd.path) {
		r = passwd_user(dir, key, u);
	} else {
		return DIR_NOTFOUND;
	}
	if (r != DIR_FOUND)
		return r;
	return dir_user_defaults(dir, u->user[0] ? u->user : key, u);
}

enum dir_result directory_user(struct directory *dir, const char *user, struct dir_user *u)
{
	return lookup_user(dir, user, "", "", u, false);
}

enum dir_result directory_passdb(struct directory *dir, const char *user, const char *service,
				 const char *rip, struct dir_user *u)
{
	return lookup_user(dir, user, service ? service : "", rip ? rip : "", u, true);
}

enum dir_result directory_iterate_users(struct directory *dir,
					bool (*cb)(const char *user, void *ctx), void *ctx)
{
	if (dir->sql)
		return dir_cache_only_miss() ? DIR_TEMP : dovecot_sql_iterate(dir->sql, cb, ctx);
	if (!dir->passwd.path)
		return DIR_FOUND;
	enum dir_result r = DIR_FOUND;
	pthread_rwlock_rdlock(&dir->lock);
	if (!dir->passwd.loaded)
		r = DIR_TEMP;
	else
		passwd_file_iterate(dir->passwd.pf, cb, ctx);
	pthread_rwlock_unlock(&dir->lock);
	return r;
}

enum dir_result directory_domain(struct directory *dir, const char *domain)
{
	char key[DIR_MAX_ADDRESS + 1], v[1024];
	if (dir_key_lower(domain, key) < 0 || !key[0])
		return DIR_NOTFOUND;
	pthread_rwlock_rdlock(&dir->lock);
	bool literal = strmap_find(dir->domains, key, NULL);
	pthread_rwlock_unlock(&dir->lock);
	if (literal)
		return DIR_FOUND;
	enum dir_result r = dir_map_get(&dir->domain_maps, key, v, sizeof(v));
	if (r != DIR_NOTFOUND)
		return r;
	return dir_map_get(&dir->alias_domains, key, v, sizeof(v));
}

enum dir_result directory_alias_domain(struct directory *dir, const char *domain, char *target)
{
	char key[DIR_MAX_ADDRESS + 1], v[1024];
	target[0] = '\0';
	if (dir_key_lower(domain, key) < 0 || !key[0])
		return DIR_NOTFOUND;
	enum dir_result r = dir_map_get(&dir->alias_domains, key, v, sizeof(v));
	if (r != DIR_FOUND)
		return r;
	const char *p = v + (v[0] == '@');
	size_t len = strcspn(p, " \t,");
	if (len == 0 || len > DIR_MAX_ADDRESS) {
		log_warning("directory-bad-alias-domain domain=%s", log_str(key));
		return DIR_NOTFOUND;
	}
	memcpy(target, p, len);
	target[len] = '\0';
	dir_key_lower(target, target);
	return DIR_FOUND;
}

enum dir_result directory_mailbox(struct directory *dir, const char *address)
{
	char key[DIR_MAX_ADDRESS + 1], v[1024];
	if (dir_key_lower(address, key) < 0)
		return DIR_NOTFOUND;
	if (dir->mailbox_maps.n > 0)
		return dir_map_get(&dir->mailbox_maps, key, v, sizeof(v));
	if (dir->sql) {
		static __thread struct dir_user u; /* large: not on a worker's stack */
		enum dir_result r = sql_user(dir, key, "", "", &u, false);
		memset(&u, 0, sizeof(u));
		return r;
	}
	if (!dir->passwd.path)
		return DIR_NOTFOUND;
	pthread_rwlock_rdlock(&dir->lock);
	enum dir_result r = !dir->passwd.loaded ? DIR_TEMP
			    : passwd_file_exists(dir->passwd.pf, key) ? DIR_FOUND
								       : DIR_NOTFOUND;
	pthread_rwlock_unlock(&dir->lock);
	return r;
}

enum dir_result directory_mailbox_map(struct directory *dir, const char *address, char *out,
				      size_t outsize, bool *no_maps_r)
{
	char key[DIR_MAX_ADDRESS + 1];
	*no_maps_r = dir->mailbox_maps.n == 0;
	if (outsize)
		out[0] = '\0';
	if (*no_maps_r || dir_key_lower(address, key) < 0)
		return DIR_NOTFOUND;
	return dir_map_get(&dir->mailbox_maps, key, out, outsize);
}

/* Targets separated by commas and/or whitespace -> "a,b,c". -1 = too long. */
static int join_targets(const char *v, char *out, size_t outsize)
{
	size_t o = 0;
	while (*v) {
		v += strspn(v, " \t,");
		size_t len = strcspn(v, " \t,");
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
	if (outsize == 0)
		return DIR_TEMP;
	out[0] = '\0';
	if (dir_key_lower(key, k) < 0 || !k[0])
		return DIR_NOTFOUND;
	char *raw = malloc(outsize);
	if (raw == NULL)
		return DIR_TEMP;
	enum dir_result r = dir_map_get(&dir->aliases, k, raw, outsize);
	if (r == DIR_FOUND && join_targets(raw, out, outsize) < 0) {
		log_warning("directory-alias-too-long key=%s", log_str(k));
		out[0] = '\0';
		r = DIR_TEMP;
	}
	free(raw);
	if (r == DIR_TEMP && out[0] == '\0')
		return DIR_TEMP;
	return r == DIR_FOUND && !out[0] ? DIR_NOTFOUND : r;
}
