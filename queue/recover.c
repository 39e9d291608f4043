/* recover: load the spool at start. Every file in incoming/ with a valid
 * trailer is a committed message: its state records are replayed and it
 * is queued again (or removed when nothing is left to do); any other file
 * (a transaction cut off by a crash, damage) goes to corrupt/, is logged
 * and never delivered. State files without a message are orphans left by
 * a crash between the two unlinks and are removed.
 * Invariants: nothing in incoming/ is deleted without being either
 * complete per its records or moved aside; after an unclean stop every
 * pending recipient is marked `maybe`, so its next attempt asks lmtpd to
 * check for an earlier copy (XTERNID ;R). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"

static void corrupt(struct queue *q, const char *name, const char *why)
{
	log_error("corrupt-spool-file id=%s reason=%s action=moved-to-corrupt", log_str(name), why);
	if (spool_move_corrupt(&q->spool, name) < 0)
		log_error("corrupt-move-failed id=%s error=%s", log_str(name),
			  log_str(strerror(errno)));
}

static void load_one(struct queue *q, const char *name)
{
	char err[128];
	struct qenv env;
	if (!qid_valid(name)) {
		corrupt(q, name, "bad-name");
		return;
	}
	int fd = spool_open_message(&q->spool, name);
	if (fd < 0 || qenv_read_fd(fd, &env, err, sizeof(err)) < 0) {
		if (fd >= 0)
			close(fd);
		corrupt(q, name, fd < 0 ? "unreadable" : err);
		return;
	}
	close(fd);
	if (strcmp(env.id, name) != 0) {
		qenv_free(&env);
		corrupt(q, name, "id-mismatch");
		return;
	}
	struct qmsg *m = qmsg_new(&env);
	char *st = NULL;
	size_t len;
	if (!m || spool_state_read(&q->spool, name, &st, &len) < 0) {
		log_error("recover-failed id=%s error=%s", name, log_str(strerror(errno)));
		qenv_free(&env);
		qmsg_free(&m);
		free(st);
		return; /* left in place for the next start */
	}
	size_t bad = qmsg_apply_state(m, st, len);
	free(st);
	if (bad)
		log_warning("state-records-skipped id=%s count=%zu", name, bad);
	m->unclean = q->unclean;
	for (size_t i = 0; q->unclean && i < m->nfinal; i++)
		if (m->final[i].state == QF_PENDING)
			m->final[i].maybe = true;
	m->next_try = 0; /* try everything once after a start */
	sched_add(q, m);
	if (qmsg_complete(m))
		deliver_remove(q, m, "done-before-restart");
}

static DIR *open_sub(int fd)
{
	int d = dup(fd);
	DIR *dir = d >= 0 ? fdopendir(d) : NULL;
	if (d >= 0 && !dir)
		close(d);
	if (dir)
		rewinddir(dir);
	return dir;
}

static void drop_orphans(struct queue *q)
{
	DIR *dir = open_sub(q->spool.state_fd);
	struct dirent *de;
	while (dir && (de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (faccessat(q->spool.incoming_fd, de->d_name, F_OK, 0) < 0 && errno == ENOENT) {
			log_info("orphan-state-removed id=%s", log_str(de->d_name));
			unlinkat(q->spool.state_fd, de->d_name, 0);
		}
	}
	if (dir)
		closedir(dir);
}

int recover_spool(struct queue *q)
{
	DIR *dir = open_sub(q->spool.incoming_fd);
	if (!dir) {
		log_error("recover-failed error=%s", log_str(strerror(errno)));
		return -1;
	}
	struct dirent *de;
	size_t n = 0;
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		load_one(q, de->d_name);
		n++;
	}
	closedir(dir);
	drop_orphans(q);
	log_info("recovered files=%zu queued=%zu unclean=%s", n, q->count,
		 q->unclean ? "yes" : "no");
	return 0;
}
