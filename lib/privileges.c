/* privileges: resolving service users and dropping root for good.
 * Invariants: after service_drop_privileges returns 0 as root, real,
 * effective and saved ids are the target ones, supplementary groups are only
 * the target gid, and setuid(0) has been shown to fail. Without root it only
 * accepts the invoking user (development mode). */
#include "service.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_id(const char *s, long *id_r)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 0 || v > 0x7fffffff)
		return -1;
	*id_r = v;
	return 0;
}

int service_resolve_ids(const char *user, const char *group, uid_t *uid_r, gid_t *gid_r,
			char *err, size_t errsize)
{
	char pwbuf[4096];
	struct passwd pw, *pwp = NULL;
	long id;
	if (user == NULL || *user == '\0') {
		snprintf(err, errsize, "no user configured");
		return -1;
	}
	if (parse_id(user, &id) == 0) {
		*uid_r = (uid_t)id;
		*gid_r = (gid_t)id;
		if (getpwuid_r((uid_t)id, &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 && pwp)
			*gid_r = pw.pw_gid;
	} else {
		if (getpwnam_r(user, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || pwp == NULL) {
			snprintf(err, errsize, "unknown user \"%s\"", user);
			return -1;
		}
		*uid_r = pw.pw_uid;
		*gid_r = pw.pw_gid;
	}
	if (group == NULL || *group == '\0')
		return 0;
	if (parse_id(group, &id) == 0) {
		*gid_r = (gid_t)id;
		return 0;
	}
	char grbuf[4096];
	struct group gr, *grp = NULL;
	if (getgrnam_r(group, &gr, grbuf, sizeof(grbuf), &grp) != 0 || grp == NULL) {
		snprintf(err, errsize, "unknown group \"%s\"", group);
		return -1;
	}
	*gid_r = gr.gr_gid;
	return 0;
}

int service_drop_privileges(uid_t uid, gid_t gid, const char *chroot_dir, char *err,
			    size_t errsize)
{
	if (geteuid() != 0) {
		if (uid != getuid()) {
			snprintf(err, errsize, "not root: cannot become uid %ld", (long)uid);
			return -1;
		}
		return 0;
	}
	if (uid == 0) {
		snprintf(err, errsize, "refusing to run a service as root");
		return -1;
	}
	if (chroot_dir && *chroot_dir) {
		if (chroot(chroot_dir) < 0 || chdir("/") < 0) {
			snprintf(err, errsize, "chroot %s: %s", chroot_dir, strerror(errno));
			return -1;
		}
	}
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
		snprintf(err, errsize, "dropping privileges: %s", strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		snprintf(err, errsize, "root could be regained after the drop");
		return -1;
	}
	return 0;
}
