/* passwd_file: parses passwd-file lines into struct dir_user and keeps each
 * user as one packed record (numbers + NUL-separated strings) in a strmap.
 * Invariants: a record unpacks to exactly the dir_user its line parsed to
 * (minus the user name, which is the map key); no field is ever truncated:
 * a field that does not fit its dir_user array makes the line malformed. */
#include "passwd_file.h"

#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "strmap.h"

struct passwd_file {
	struct strmap *users; /* lowercased user -> struct pwf_rec */
};

#define PWF_NOPASSWORD 1u
#define PWF_NOLOGIN 2u
#define PWF_NODELAY 4u

struct pwf_rec {
	long uid, gid;
	unsigned flags;
	size_t extra_count;
	char data[]; /* password, home, mail, quota_rule, extra[i]: NUL-terminated */
};

static int fail(const char **why_r, const char *why)
{
	*why_r = why;
	return -1;
}

static int copy_field(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size)
		return -1;
	memcpy(dst, src, len + 1);
	return 0;
}

/* Numeric id, or a name resolved in the system database. -1 = unknown. */
static long parse_id(const char *s, bool group)
{
	char buf[16384];
	char *end;
	unsigned long v;

	if (s[0] >= '0' && s[0] <= '9') {
		v = strtoul(s, &end, 10);
		return (*end || v >= UINT32_MAX) ? -1 : (long)v;
	}
	if (group) {
		struct group gr, *res = NULL;

		return getgrnam_r(s, &gr, buf, sizeof(buf), &res) == 0 && res ? (long)gr.gr_gid : -1;
	}
	struct passwd pw, *res = NULL;

	return getpwnam_r(s, &pw, buf, sizeof(buf), &res) == 0 && res ? (long)pw.pw_uid : -1;
}

static bool flag_value(const char *v)
{
	return !v || !*v || strcasecmp(v, "y") == 0 || strcasecmp(v, "yes") == 0 ||
	       strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0;
}

/* One extra field "key[=value]" (key lowercased in place). */
static int extra_field(char *item, struct dir_user *u, const char **why_r)
{
	char *value = strchr(item, '=');
	char *key = item;

	if (value)
		*value++ = '\0';
	for (char *p = key; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (strncmp(key, "userdb_", 7) == 0)
		key += 7;
	if (!*key)
		return fail(why_r, "empty-extra-field-name");
	if (strcmp(key, "nopassword") == 0)
		u->nopassword = flag_value(value);
	else if (strcmp(key, "nologin") == 0)
		u->nologin = flag_value(value);
	else if (strcmp(key, "nodelay") == 0)
		u->nodelay = flag_value(value);
	else if (value && strcmp(key, "mail") == 0)
		return copy_field(u->mail, sizeof(u->mail), value) < 0 ? fail(why_r, "mail-too-long") : 0;
	else if (value && strcmp(key, "quota_rule") == 0)
		return copy_field(u->quota_rule, sizeof(u->quota_rule), value) < 0
			       ? fail(why_r, "quota-rule-too-long") : 0;
	else if (value && strcmp(key, "home") == 0) /* extra fields override */
		return copy_field(u->home, sizeof(u->home), value) < 0 ? fail(why_r, "home-too-long") : 0;
	else if (value && (strcmp(key, "uid") == 0 || strcmp(key, "gid") == 0)) {
		long *id = key[0] == 'u' ? &u->uid : &u->gid;

		if ((*id = parse_id(value, key[0] == 'g')) < 0)
			return fail(why_r, "unknown-uid-or-gid");
	} else {
		if (u->extra_count == DIR_MAX_EXTRA)
			return fail(why_r, "too-many-extra-fields");
		int n = snprintf(u->extra[u->extra_count], sizeof(u->extra[0]), "%s%s%s", key,
				 value ? "=" : "", value ? value : "");
		if (n < 0 || (size_t)n >= sizeof(u->extra[0]))
			return fail(why_r, "extra-field-too-long");
		u->extra_count++;
	}
	return 0;
}

static int parse_fields(char *s, struct dir_user *u, const char **why_r)
{
	char *f[8] = { NULL };
	size_t n = 0;
	char *save = NULL;

	for (f[n++] = s; n < 8 && (s = strchr(s, ':')); f[n++] = s)
		*s++ = '\0';
	if (!f[0][0] || strlen(f[0]) > DIR_MAX_ADDRESS || f[0][strcspn(f[0], " \t\r\v\f")])
		return fail(why_r, "bad-user-name");
	for (char *p = f[0]; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	memcpy(u->user, f[0], strlen(f[0]) + 1);
	if (f[1] && copy_field(u->password, sizeof(u->password), f[1]) < 0)
		return fail(why_r, "password-too-long");
	if (f[2] && f[2][0] && (u->uid = parse_id(f[2], false)) < 0)
		return fail(why_r, "unknown-uid");
	if (f[3] && f[3][0] && (u->gid = parse_id(f[3], true)) < 0)
		return fail(why_r, "unknown-gid");
	if (f[5] && copy_field(u->home, sizeof(u->home), f[5]) < 0)
		return fail(why_r, "home-too-long");
	if (!f[7])
		return 0;
	for (char *item = strtok_r(f[7], " \t", &save); item; item = strtok_r(NULL, " \t", &save))
		if (extra_field(item, u, why_r) < 0)
			return -1;
	return 0;
}

int passwd_file_parse_line(const char *line, size_t len, struct dir_user *u, const char **why_r)
{
	char *copy;
	int r;

	memset(u, 0, sizeof(*u));
	u->uid = u->gid = -1;
	if (memchr(line, '\0', len))
		return fail(why_r, "nul-byte");
	if (!(copy = malloc(len + 1)))
		return fail(why_r, "out-of-memory");
	memcpy(copy, line, len);
	copy[len] = '\0';
	r = parse_fields(copy, u, why_r);
	free(copy);
	return r;
}

static struct pwf_rec *pack(const struct dir_user *u)
{
	const char *parts[4 + DIR_MAX_EXTRA] = { u->password, u->home, u->mail, u->quota_rule };
	size_t nparts = 4 + u->extra_count, size = 0, lens[4 + DIR_MAX_EXTRA];
	struct pwf_rec *rec;
	char *p;

	for (size_t i = 0; i < u->extra_count; i++)
		parts[4 + i] = u->extra[i];
	for (size_t i = 0; i < nparts; i++)
		size += (lens[i] = strlen(parts[i])) + 1;
	if (!(rec = malloc(sizeof(*rec) + size)))
		return NULL;
	rec->uid = u->uid;
	rec->gid = u->gid;
	rec->flags = (u->nopassword ? PWF_NOPASSWORD : 0) | (u->nologin ? PWF_NOLOGIN : 0) |
		     (u->nodelay ? PWF_NODELAY : 0);
	rec->extra_count = u->extra_count;
	p = rec->data;
	for (size_t i = 0; i < nparts; i++) {
		memcpy(p, parts[i], lens[i] + 1);
		p += lens[i] + 1;
	}
	return rec;
}

static void unpack(const struct pwf_rec *rec, struct dir_user *u)
{
	char *fields[4] = { u->password, u->home, u->mail, u->quota_rule };
	const char *p = rec->data;

	u->uid = rec->uid;
	u->gid = rec->gid;
	u->nopassword = rec->flags & PWF_NOPASSWORD;
	u->nologin = rec->flags & PWF_NOLOGIN;
	u->nodelay = rec->flags & PWF_NODELAY;
	for (size_t i = 0; i < 4; i++) {
		strcpy(fields[i], p); /* fit: checked when parsed */
		p += strlen(p) + 1;
	}
	u->extra_count = rec->extra_count;
	for (size_t i = 0; i < rec->extra_count; i++) {
		strcpy(u->extra[i], p);
		p += strlen(p) + 1;
	}
}

static void line_warn(const char *name, unsigned line, const char *why)
{
	log_warning("directory-line-skipped at=%s:%u reason=%s", log_str(name), line, why);
}

/* Parse and add one line; -1 only when out of memory. */
static int add_line(struct passwd_file *pf, const char *p, size_t n, unsigned lineno,
		    const char *name, struct dir_user *u)
{
	const char *why = NULL;
	struct pwf_rec *rec;
	size_t i = 0;
	int r;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i == n || p[i] == '#')
		return 0;
	if (passwd_file_parse_line(p, n, u, &why) < 0) {
		line_warn(name, lineno, why);
		return 0;
	}
	if (!(rec = pack(u)))
		return -1;
	r = strmap_add(pf->users, u->user, rec, NULL);
	if (r != 1)
		free(rec);
	if (r == 0)
		line_warn(name, lineno, "duplicate-user-first-kept");
	return r < 0 ? -1 : 0;
}

struct passwd_file *passwd_file_parse(const char *text, size_t len, const char *name)
{
	struct passwd_file *pf = calloc(1, sizeof(*pf));
	struct dir_user *u = malloc(sizeof(*u));
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	int r = 0;

	if (!pf || !u || !(pf->users = strmap_new())) {
		free(pf);
		free(u);
		return NULL;
	}
	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		r = add_line(pf, p, n, ++lineno, name, u);
		p = nl ? nl + 1 : end;
	}
	free(u);
	if (r < 0)
		passwd_file_free(&pf);
	return pf;
}

void passwd_file_free(struct passwd_file **pfp)
{
	struct passwd_file *pf = pfp ? *pfp : NULL;

	if (!pf)
		return;
	strmap_free(&pf->users, free);
	free(pf);
	*pfp = NULL;
}

enum dir_result passwd_file_lookup(const struct passwd_file *pf, const char *user,
				   struct dir_user *u)
{
	void *rec;

	memset(u, 0, sizeof(*u));
	u->uid = u->gid = -1;
	if (strlen(user) > DIR_MAX_ADDRESS || !strmap_find(pf->users, user, &rec))
		return DIR_NOTFOUND;
	memcpy(u->user, user, strlen(user) + 1);
	unpack(rec, u);
	return DIR_FOUND;
}

bool passwd_file_exists(const struct passwd_file *pf, const char *user)
{
	return strmap_find(pf->users, user, NULL);
}

size_t passwd_file_count(const struct passwd_file *pf)
{
	return strmap_count(pf->users);
}

bool passwd_file_iterate(const struct passwd_file *pf, bool (*cb)(const char *user, void *ctx),
			 void *ctx)
{
	size_t pos = 0;
	const char *key;

	while (strmap_next(pf->users, &pos, &key, NULL))
		if (!cb(key, ctx))
			return false;
	return true;
}
