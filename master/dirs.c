/* dirs: master creates tern's directories with the right owners and modes
 * before any child starts: run_directory (sockets; 0755 so clients reach
 * the sockets), spool_directory (0700, owned by the queue's user) and the
 * log file (0640). It holds a lock on run_directory/master.pid so two
 * masters never run on one config. Without root, owners stay the invoking
 * user. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "master.h"

static int make_dir(const char *path, mode_t mode, uid_t uid, gid_t gid, char *err,
		    size_t errsize)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		snprintf(err, errsize, "mkdir %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errsize, "%s is not a directory", path);
		return -1;
	}
	if (geteuid() == 0 && (st.st_uid != uid || st.st_gid != gid) && chown(path, uid, gid) < 0) {
		snprintf(err, errsize, "chown %s: %s", path, strerror(errno));
		return -1;
	}
	if ((st.st_mode & 07777) != mode && chmod(path, mode) < 0) {
		snprintf(err, errsize, "chmod %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int queue_owner(const struct conf *conf, uid_t *uid_r, gid_t *gid_r, char *err,
		       size_t errsize)
{
	*uid_r = geteuid();
	*gid_r = getegid();
	if (geteuid() != 0)
		return 0;
	const char *user = conf_str(conf, "queue", "user");
	if (user == NULL)
		user = service_default_user(conf, "queue");
	return service_resolve_ids(user, conf_str(conf, "queue", "group"), uid_r, gid_r, err,
				   errsize);
}

int master_prepare_dirs(const struct conf *conf, char *err, size_t errsize)
{
	if (make_dir(conf_str(conf, NULL, "run_directory"), 0755, 0, 0, err, errsize) < 0)
		return -1;
	/* The spool belongs to the queue's user. Before a queue service is
	 * configured that user need not exist yet: root keeps it meanwhile. */
	uid_t uid;
	gid_t gid;
	if (queue_owner(conf, &uid, &gid, err, errsize) < 0) {
		if (conf_service_defined(conf, "queue"))
			return -1;
		uid = geteuid();
		gid = getegid();
	}
	return make_dir(conf_str(conf, NULL, "spool_directory"), 0700, uid, gid, err, errsize);
}

int master_lock_pidfile(struct master *m, char *err, size_t errsize)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/master.pid", conf_str(m->conf, NULL, "run_directory"));
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errsize, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errsize, "another master is running (%s is locked)", path);
		close(fd);
		return -1;
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		snprintf(err, errsize, "write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	m->pid_fd = fd;
	return 0;
}
