/* spool: files and directories of the queue (spool.h).
 * Invariants: every file is created 0600 and O_EXCL; nothing here fsyncs
 * message files (commit.c does, in batches); errors leave errno set for
 * the caller to log. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "fileio.h"
#include "spool.h"

#define STATE_MAX (64u << 20)

static int subdir(int dir_fd, const char *name, char *err, size_t errsize)
{
	if (mkdirat(dir_fd, name, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errsize, "mkdir %s: %s", name, strerror(errno));
		return -1;
	}
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		snprintf(err, errsize, "open %s: %s", name, strerror(errno));
	return fd;
}

int spool_open(struct spool *sp, const char *path, char *err, size_t errsize)
{
	sp->incoming_fd = sp->state_fd = sp->corrupt_fd = -1;
	sp->dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dir_fd < 0) {
		snprintf(err, errsize, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if ((sp->incoming_fd = subdir(sp->dir_fd, "incoming", err, errsize)) < 0 ||
	    (sp->state_fd = subdir(sp->dir_fd, "state", err, errsize)) < 0 ||
	    (sp->corrupt_fd = subdir(sp->dir_fd, "corrupt", err, errsize)) < 0 ||
	    spool_sync_dir(sp->dir_fd) < 0) {
		spool_close(sp);
		return -1;
	}
	return 0;
}

void spool_close(struct spool *sp)
{
	int *fds[] = { &sp->dir_fd, &sp->incoming_fd, &sp->state_fd, &sp->corrupt_fd };
	for (size_t i = 0; i < 4; i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

int spool_create(struct spool *sp, struct qid_gen *gen, char id_r[QID_SIZE])
{
	for (int tries = 0; tries < 100; tries++) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		uint64_t us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
		qid_encode(qid_next(gen, us), id_r);
		int fd = openat(sp->incoming_fd, id_r, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int spool_open_message(struct spool *sp, const char *id)
{
	return openat(sp->incoming_fd, id, O_RDONLY | O_CLOEXEC);
}

int spool_remove(struct spool *sp, const char *id)
{
	if (unlinkat(sp->incoming_fd, id, 0) < 0 && errno != ENOENT)
		return -1;
	if (unlinkat(sp->state_fd, id, 0) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

int spool_move_corrupt(struct spool *sp, const char *id)
{
	char st[QID_SIZE + 16];
	if (renameat(sp->incoming_fd, id, sp->corrupt_fd, id) < 0 && errno != ENOENT)
		return -1;
	snprintf(st, sizeof(st), "%s.state", id);
	if (renameat(sp->state_fd, id, sp->corrupt_fd, st) < 0 && errno != ENOENT)
		return -1;
	return spool_sync_dir(sp->corrupt_fd);
}

int spool_state_append(struct spool *sp, const char *id, const char *data, size_t len)
{
	int fd = openat(sp->state_fd, id, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, data, len);
	int saved = errno;
	close(fd);
	if (n != (ssize_t)len) {
		errno = n < 0 ? saved : ENOSPC;
		return -1;
	}
	return 0;
}

int spool_state_read(struct spool *sp, const char *id, char **data_r, size_t *len_r)
{
	int fd = openat(sp->state_fd, id, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		*len_r = 0;
		return (*data_r = calloc(1, 1)) ? 0 : -1;
	}
	if (fd < 0)
		return -1;
	int r = file_read_fd(fd, STATE_MAX, data_r, len_r);
	close(fd);
	return r;
}

int spool_sync_dir(int fd)
{
	return fsync(fd);
}

int spool_mark_running(struct spool *sp, bool *was_r)
{
	int fd = openat(sp->dir_fd, "unclean", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	*was_r = fd < 0 && errno == EEXIST;
	if (fd < 0)
		return *was_r ? 0 : -1;
	close(fd);
	return spool_sync_dir(sp->dir_fd);
}

void spool_mark_stopped(struct spool *sp)
{
	if (unlinkat(sp->dir_fd, "unclean", 0) == 0)
		spool_sync_dir(sp->dir_fd);
}
