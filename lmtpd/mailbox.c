/* mailbox: lmtpd's pure helpers: the lookup name and detail of a
 * recipient, the XTERNID parameter, a user's Maildir root from the userdb
 * fields, the uid/gid check, the reply for a delivery result, and the
 * exactly-once check for a retried XTERNID delivery.
 * Invariants: malformed input is refused (-1), never guessed at; results
 * are NUL-terminated and bounded by the given sizes. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "lmtpd.h"

static int copy(char *out, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int lmtp_split_address(const char *address, const char *delims, char *user_r, size_t usize,
		       char *detail_r, size_t dsize)
{
	const char *at = strrchr(address, '@');
	size_t local = at ? (size_t)(at - address) : strlen(address);
	size_t cut = local;
	if (delims != NULL && delims[0] != '\0') {
		for (size_t i = 0; i < local; i++)
			if (strchr(delims, address[i]) != NULL) {
				cut = i;
				break;
			}
	}
	const char *domain = at ? at : "";
	if (cut + strlen(domain) >= usize)
		return -1;
	memcpy(user_r, address, cut);
	strcpy(user_r + cut, domain);
	size_t dlen = cut < local ? local - cut - 1 : 0;
	return copy(detail_r, dsize, address + cut + (cut < local), dlen);
}

static size_t span(const char *s, const char *set)
{
	return strspn(s, set);
}

int lmtp_xternid_parse(const char *value, char *base_id_r, bool *retry_r)
{
	static const char digits[] = "0123456789";
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	const char *p = value;
	size_t secs = span(p, digits);
	if (secs == 0 || secs > 20 || p[secs] != '.')
		return -1;
	const char *qid = p + secs + 1;
	size_t qlen = span(qid, alnum);
	if (qlen == 0 || qlen > 32 || qid[qlen] != '.')
		return -1;
	const char *idx = qid + qlen + 1;
	size_t ilen = span(idx, digits);
	if (ilen == 0 || ilen > 10)
		return -1;
	const char *rest = idx + ilen;
	if (strcmp(rest, ";R") != 0 && rest[0] != '\0')
		return -1;
	*retry_r = rest[0] != '\0';
	snprintf(base_id_r, LMTP_BASE_ID_MAX, "%.*s.Q%.*sR%.*s", (int)secs, p, (int)qlen, qid,
		 (int)ilen, idx);
	return 0;
}

/* Replace "~" at the start and every "%h" by home; other '%' stay. */
static int expand_home(const char *loc, const char *home, char *out, size_t size)
{
	size_t o = 0, hlen = strlen(home);
	while (hlen > 1 && home[hlen - 1] == '/')
		hlen--; /* "~/Maildir" with home "/h/" is "/h/Maildir" */
	for (const char *p = loc; *p != '\0'; p++) {
		bool h = (p == loc && *p == '~') || (p[0] == '%' && p[1] == 'h');
		if (h && hlen == 0)
			return -1;
		const char *add = h ? home : p;
		size_t n = h ? hlen : (p[0] == '%' && p[1] == '%' ? 2 : 1);
		if (o + n >= size)
			return -1;
		memcpy(out + o, add, n);
		o += n;
		p += (h && *p == '%') || (!h && n == 2);
	}
	out[o] = '\0';
	return 0;
}

int lmtp_maildir_root(const char *mail, const char *default_location, const char *home,
		      const char *user, char *root_r, size_t size, const char **why_r)
{
	char path[4096], tmp[4096];
	const char *loc = mail != NULL && mail[0] != '\0' ? mail : default_location;
	*why_r = "no mail location";
	if (loc == NULL || loc[0] == '\0')
		return -1;
	size_t scheme = strcspn(loc, ":/");
	if (strncmp(loc, "maildir:", 8) == 0)
		loc += 8;
	else if (loc[scheme] == ':') { /* mbox:, sdbox:, mdbox: ... */
		*why_r = "mail location is not a Maildir";
		return -1;
	}
	size_t len = strcspn(loc, ":"); /* options (LAYOUT=, INBOX=, ...) ignored */
	if (copy(tmp, sizeof(tmp), loc, len) < 0 ||
	    expand_home(tmp, home ? home : "", path, sizeof(path)) < 0) {
		*why_r = "mail location needs a home";
		return -1;
	}
	if (strchr(path, '%') != NULL) {
		if (conf_expand_user(path, user, tmp, sizeof(tmp)) < 0) {
			*why_r = "bad mail location template";
			return -1;
		}
		strcpy(path, tmp);
	}
	len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	if (path[0] != '/' || strstr(path, "/../") != NULL ||
	    (len >= 3 && strcmp(path + len - 3, "/..") == 0)) {
		*why_r = "mail location is not an absolute path";
		return -1;
	}
	if (copy(root_r, size, path, len) < 0) {
		*why_r = "mail location too long";
		return -1;
	}
	return 0;
}

static bool number(const char *s, unsigned long *v_r)
{
	char *end;
	if (s[0] == '\0' || !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	*v_r = strtoul(s, &end, 10);
	return *end == '\0' && errno == 0;
}

bool lmtp_ids_match(const char *uid, const char *gid, uid_t my_uid, gid_t my_gid)
{
	unsigned long v;
	char buf[4096];
	if (uid != NULL && uid[0] != '\0') {
		struct passwd pw, *pwp = NULL;
		if (number(uid, &v) ? v != my_uid
				    : getpwnam_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 ||
					      pwp == NULL || pw.pw_uid != my_uid)
			return false;
	}
	if (gid != NULL && gid[0] != '\0') {
		struct group gr, *grp = NULL;
		if (number(gid, &v) ? v != my_gid
				    : getgrnam_r(gid, &gr, buf, sizeof(buf), &grp) != 0 ||
					      grp == NULL || gr.gr_gid != my_gid)
			return false;
	}
	return true;
}

void lmtp_result_reply(const struct maildir_err *err, bool quota_tempfail,
		       struct lmtp_reply *reply_r)
{
	bool quota = err->kind == MAILDIR_FAIL_QUOTA ||
		     (err->kind == MAILDIR_FAIL_TEMP && err->errnum == EDQUOT);
	if (err->kind == MAILDIR_FAIL_NONE)
		*reply_r = (struct lmtp_reply){ 250, "2.0.0", "Saved" };
	else if (quota && quota_tempfail)
		*reply_r = (struct lmtp_reply){ 452, "4.2.2", "Quota exceeded (mailbox for user is full)" };
	else if (quota)
		*reply_r = (struct lmtp_reply){ 552, "5.2.2", "Quota exceeded (mailbox for user is full)" };
	else if (err->kind == MAILDIR_FAIL_TEMP && err->errnum == ENOSPC)
		*reply_r = (struct lmtp_reply){ 452, "4.3.1", "Insufficient system storage" };
	else if (err->kind == MAILDIR_FAIL_PERM)
		*reply_r = (struct lmtp_reply){ 550, "5.2.0", "Mailbox unavailable" };
	else
		*reply_r = (struct lmtp_reply){ 451, "4.2.0", "Temporary internal error" };
}

/* Does `name` have base "<base_id>.<something>" (up to ',' or ':')? */
static bool same_base(const char *name, const char *base_id, size_t idlen)
{
	if (strncmp(name, base_id, idlen) != 0 || name[idlen] != '.')
		return false;
	size_t host = strcspn(name + idlen + 1, ",:");
	return host > 0;
}

int lmtp_dedup_find(const char *dir, const char *base_id, char *name_r)
{
	static const char *const subs[] = { "new", "cur" };
	char path[4096];
	size_t idlen = strlen(base_id);
	for (size_t i = 0; i < 2; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", dir, subs[i]) >= (int)sizeof(path))
			return -1;
		DIR *d = opendir(path);
		if (d == NULL) {
			if (errno == ENOENT)
				continue; /* no Maildir yet: nothing delivered */
			return -1;
		}
		struct dirent *de;
		errno = 0;
		while ((de = readdir(d)) != NULL)
			if (same_base(de->d_name, base_id, idlen)) {
				snprintf(name_r, MAILDIR_NAME_MAX, "%s", de->d_name);
				closedir(d);
				return 1;
			}
		int err = errno;
		closedir(d);
		if (err != 0)
			return -1;
	}
	return 0;
}
