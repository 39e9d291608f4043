/* dir_user_pack: NUL-separated fields in a fixed order:
 * "U1" uid gid flags user password scheme home mail quota_rule allow_nets
 * extra_count extra... (numbers as decimal text). See dir_user_pack.h. */
#include "dir_user_pack.h"

#include <stdlib.h>
#include <string.h>

#include "strutil.h"

static void put(struct buf *out, const char *s)
{
	buf_append(out, s, strlen(s) + 1);
}

void dir_user_pack(const struct dir_user *u, struct buf *out)
{
	buf_printf(out, "U1%c%ld%c%ld%c%d%d%d%c", 0, u->uid, 0, u->gid, 0, u->nopassword,
		   u->nologin, u->nodelay, 0);
	put(out, u->user);
	put(out, u->password);
	put(out, u->scheme_default);
	put(out, u->home);
	put(out, u->mail);
	put(out, u->quota_rule);
	put(out, u->allow_nets);
	buf_printf(out, "%zu%c", u->extra_count, 0);
	for (size_t i = 0; i < u->extra_count && i < DIR_MAX_EXTRA; i++)
		put(out, u->extra[i]);
}

/* Next NUL-terminated field, or NULL past the end. */
static const char *next(const char **p, const char *end)
{
	const char *nul = *p < end ? memchr(*p, '\0', (size_t)(end - *p)) : NULL;
	if (nul == NULL)
		return NULL;
	const char *field = *p;
	*p = nul + 1;
	return field;
}

static int field(const char **p, const char *end, char *dst, size_t size)
{
	const char *f = next(p, end);
	return f != NULL && str_copy(dst, size, f) < size ? 0 : -1;
}

int dir_user_unpack(const char *data, size_t len, struct dir_user *u)
{
	const char *p = data, *end = data + len, *f;
	memset(u, 0, sizeof(*u));
	if ((f = next(&p, end)) == NULL || strcmp(f, "U1") != 0)
		return -1;
	const char *uid = next(&p, end), *gid = next(&p, end), *flags = next(&p, end);
	if (uid == NULL || gid == NULL || flags == NULL || strlen(flags) != 3)
		return -1;
	u->uid = strtol(uid, NULL, 10);
	u->gid = strtol(gid, NULL, 10);
	u->nopassword = flags[0] == '1';
	u->nologin = flags[1] == '1';
	u->nodelay = flags[2] == '1';
	if (field(&p, end, u->user, sizeof(u->user)) < 0 ||
	    field(&p, end, u->password, sizeof(u->password)) < 0 ||
	    field(&p, end, u->scheme_default, sizeof(u->scheme_default)) < 0 ||
	    field(&p, end, u->home, sizeof(u->home)) < 0 ||
	    field(&p, end, u->mail, sizeof(u->mail)) < 0 ||
	    field(&p, end, u->quota_rule, sizeof(u->quota_rule)) < 0 ||
	    field(&p, end, u->allow_nets, sizeof(u->allow_nets)) < 0 || (f = next(&p, end)) == NULL)
		return -1;
	char *stop;
	unsigned long n = strtoul(f, &stop, 10);
	if (*f == '\0' || *stop != '\0' || n > DIR_MAX_EXTRA)
		return -1;
	u->extra_count = n;
	for (size_t i = 0; i < n; i++)
		if (field(&p, end, u->extra[i], sizeof(u->extra[i])) < 0)
			return -1;
	return p == end ? 0 : -1;
}
