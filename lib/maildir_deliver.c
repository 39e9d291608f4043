/* maildir_deliver: write one message into tmp/, move it into new/ and make
 * it durable, for one or many targets (group commit).
 * Invariants: a target's err_r.kind stays NONE only if its file is in new/,
 * fsync()ed, and new/ was fsync()ed after the link; every failure path
 * unlinks what the target created in tmp/ and new/; base names increase
 * strictly within the process (Dovecot's maildir_filename_generate). */
#include "maildir_impl.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define WBUF_SIZE 65536
#define NAME_TRIES 20

struct job {
	char dir[PATH_MAX];  /* folder directory */
	char tmp[PATH_MAX];  /* tmp/<base> while have_tmp */
	char base[MAILDIR_NAME_MAX];
	dev_t dev;
	bool have_tmp, in_new;
	bool pending; /* counted in the quota's pending usage */
};

struct writer {
	int fd;
	size_t len;
	uint64_t size, vsize;
	bool cr;            /* a CR was seen and not yet emitted */
	unsigned char last; /* last byte written */
	unsigned char buf[WBUF_SIZE];
};

static pthread_mutex_t name_lock = PTHREAD_MUTEX_INITIALIZER;
static struct timeval last_tv;

static void gen_base(char *out, size_t size)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	pthread_mutex_lock(&name_lock);
	if (tv.tv_sec < last_tv.tv_sec ||
	    (tv.tv_sec == last_tv.tv_sec && tv.tv_usec <= last_tv.tv_usec)) {
		tv = last_tv;
		if (++tv.tv_usec == 1000000) {
			tv.tv_sec++;
			tv.tv_usec = 0;
		}
	}
	last_tv = tv;
	pthread_mutex_unlock(&name_lock);
	snprintf(out, size, "%lld.M%ldP%ld.%s", (long long)tv.tv_sec, (long)tv.tv_usec,
		 (long)getpid(), maildir_hostname());
}

/* The target's base name: "<base_id>.<host>" when the caller gave one. */
static void job_base(char *out, size_t size, const struct maildir_target *t)
{
	if (t->base_id != NULL)
		snprintf(out, size, "%s.%s", t->base_id, maildir_hostname());
	else
		gen_base(out, size);
}

/* A caller's base id must keep the name parseable: see maildir.h. */
static bool base_id_valid(const char *id)
{
	size_t len = strlen(id);
	if (len == 0 || len > 100 || id[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)id[i] <= 0x20 || id[i] == 0x7f || strchr("/:,", id[i]))
			return false;
	return true;
}

static int w_flush(struct writer *w)
{
	size_t off = 0;

	while (off < w->len) {
		ssize_t n = write(w->fd, w->buf + off, w->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		off += (size_t)n;
	}
	w->len = 0;
	return 0;
}

static inline int w_put(struct writer *w, unsigned char c)
{
	if (w->len == WBUF_SIZE && w_flush(w) < 0)
		return -1;
	w->buf[w->len++] = c;
	w->size++;
	/* Dovecot's message_get_size(): a LF without CR counts as CRLF */
	w->vsize += c == '\n' && w->last != '\r' ? 2 : 1;
	w->last = c;
	return 0;
}

/* CRLF -> LF; a CR not followed by LF is kept, also across calls. */
static int w_feed(struct writer *w, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (w->cr) {
			w->cr = false;
			if (c != '\n' && w_put(w, '\r') < 0)
				return -1;
		}
		if (c == '\r')
			w->cr = true;
		else if (w_put(w, c) < 0)
			return -1;
	}
	return 0;
}

static int w_end(struct writer *w)
{
	if (w->cr) {
		w->cr = false;
		if (w_put(w, '\r') < 0)
			return -1;
	}
	return w_flush(w);
}

/* Copy the source through the writer; `*op_r` names the failing call. */
static int feed_source(struct writer *w, const struct maildir_source *src, const char **op_r)
{
	unsigned char rbuf[16384];
	off_t off = src->offset;
	ssize_t n;

	if (src->fd < 0) {
		*op_r = "write";
		return src->len == 0 ? 0 : w_feed(w, src->data, src->len);
	}
	for (;;) {
		n = pread(src->fd, rbuf, sizeof(rbuf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*op_r = "pread";
			return -1;
		}
		if (n == 0)
			return 0;
		off += n;
		*op_r = "write";
		if (w_feed(w, rbuf, (size_t)n) < 0)
			return -1;
	}
}

/* Create tmp/<new base> exclusively; fd or -1. With a caller's base id a
 * leftover tmp file (a crashed attempt at the same delivery) is replaced. */
static int open_tmp(struct job *j, const struct maildir_target *t, struct maildir_err *err)
{
	for (int tries = 0; tries < NAME_TRIES; tries++) {
		job_base(j->base, sizeof(j->base), t);
		if (maildir_pathf(j->tmp, sizeof(j->tmp), "%s/tmp/%s", j->dir, j->base) < 0)
			break;
		int fd = open(j->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : (maildir_err_sys(err, "open", j->tmp), -1);
		if (t->base_id != NULL && (tries > 0 || unlink(j->tmp) < 0))
			break;
	}
	maildir_err_sys(err, "open", j->tmp);
	return -1;
}

static int write_copy(struct job *j, const struct maildir_source *src, struct maildir_target *t)
{
	struct writer *w = malloc(sizeof(*w));
	const char *op = "write";
	int ret = -1;

	if (w == NULL) {
		maildir_err_sys(&t->err_r, "malloc", j->dir);
		return -1;
	}
	w->len = 0;
	w->size = w->vsize = 0;
	w->cr = false;
	w->last = 0;
	if ((w->fd = open_tmp(j, t, &t->err_r)) < 0) {
		free(w);
		return -1;
	}
	j->have_tmp = true;
	if ((t->prepend != NULL &&
	     w_feed(w, (const unsigned char *)t->prepend, strlen(t->prepend)) < 0) ||
	    feed_source(w, src, &op) < 0 || (op = "write", w_end(w) < 0)) {
		maildir_err_sys(&t->err_r, op, j->tmp);
	} else if (src->mtime != 0 &&
		   futimens(w->fd, (struct timespec[2]){ { src->mtime, 0 }, { src->mtime, 0 } }) < 0) {
		maildir_err_sys(&t->err_r, "futimens", j->tmp);
	} else if (fsync(w->fd) < 0) {
		maildir_err_sys(&t->err_r, "fsync", j->tmp);
	} else {
		t->size_r = w->size;
		t->vsize_r = w->vsize;
		ret = 0;
	}
	if (close(w->fd) < 0 && ret == 0) {
		maildir_err_sys(&t->err_r, "close", j->tmp);
		ret = -1;
	}
	free(w);
	return ret;
}

static bool same_prepend(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* Reuse an earlier target's tmp file by hard link when possible. */
static bool link_copy(struct job *jobs, struct maildir_target *targets, size_t i)
{
	for (size_t k = 0; k < i; k++) {
		if (!jobs[k].have_tmp || jobs[k].dev != jobs[i].dev ||
		    !same_prepend(targets[k].prepend, targets[i].prepend))
			continue;
		for (int tries = 0; tries < NAME_TRIES; tries++) {
			job_base(jobs[i].base, sizeof(jobs[i].base), &targets[i]);
			if (maildir_pathf(jobs[i].tmp, sizeof(jobs[i].tmp), "%s/tmp/%s", jobs[i].dir,
					  jobs[i].base) < 0)
				return false;
			if (link(jobs[k].tmp, jobs[i].tmp) == 0) {
				jobs[i].have_tmp = true;
				targets[i].size_r = targets[k].size_r;
				targets[i].vsize_r = targets[k].vsize_r;
				return true;
			}
			if (errno != EEXIST || (targets[i].base_id != NULL &&
						(tries > 0 || unlink(jobs[i].tmp) < 0)))
				return false; /* EXDEV, EMLINK, EPERM: write a copy */
		}
		return false;
	}
	return false;
}

/* Check the folder name, create the Maildir/folder as allowed, fill j->dir. */
static int prepare(struct job *j, struct maildir_target *t)
{
	char path[PATH_MAX];
	struct stat st;
	size_t plen = t->prepend != NULL ? strlen(t->prepend) : 0;
	int ret;

	if (t->root == NULL || *t->root == '\0') {
		maildir_err_set(&t->err_r, MAILDIR_FAIL_PERM, "no Maildir root");
		return -1;
	}
	if (!maildir_is_inbox(t->folder) && !maildir_folder_valid(t->folder)) {
		maildir_err_set(&t->err_r, MAILDIR_FAIL_PERM, "invalid folder name");
		return -1;
	}
	if (t->base_id != NULL && !base_id_valid(t->base_id)) {
		maildir_err_set(&t->err_r, MAILDIR_FAIL_PERM, "invalid base name");
		return -1;
	}
	if (plen > 0 && t->prepend[plen - 1] != '\n') {
		maildir_err_set(&t->err_r, MAILDIR_FAIL_PERM, "prepended header lacks a line end");
		return -1;
	}
	if (maildir_create(t->root, &t->err_r) < 0)
		return -1;
	if (maildir_folder_path(t->root, t->folder, j->dir, sizeof(j->dir)) < 0) {
		maildir_err_sys(&t->err_r, "open", t->root);
		return -1;
	}
	if ((ret = maildir_folder_exists(t->root, t->folder)) < 0) {
		maildir_err_sys(&t->err_r, "stat", j->dir);
		return -1;
	}
	if (ret == 0 && (t->flags & MAILDIR_CREATE_FOLDER) == 0) {
		maildir_err_set(&t->err_r, MAILDIR_FAIL_PERM, "no such folder");
		return -1;
	}
	if (ret == 0) {
		if (maildir_make_folder_dir(j->dir, false, &t->err_r) < 0)
			return -1;
		if (maildir_fsync_dir(t->root) < 0) {
			maildir_err_sys(&t->err_r, "fsync", t->root);
			return -1;
		}
	}
	if (maildir_pathf(path, sizeof(path), "%s/tmp", j->dir) < 0 || stat(path, &st) < 0) {
		maildir_err_sys(&t->err_r, "stat", j->dir);
		return -1;
	}
	j->dev = st.st_dev;
	return 0;
}

static void drop_tmp(struct job *j)
{
	if (j->have_tmp)
		(void)unlink(j->tmp);
	j->have_tmp = false;
}

/* Phase 1 for one target: tmp file written and durable, quota checked. */
static int stage(struct job *jobs, struct maildir_target *targets, size_t i,
		 const struct maildir_source *src)
{
	struct maildir_target *t = &targets[i];

	if (prepare(&jobs[i], t) < 0)
		return -1;
	if (!link_copy(jobs, targets, i) && write_copy(&jobs[i], src, t) < 0) {
		drop_tmp(&jobs[i]);
		return -1;
	}
	if (t->quota != NULL) {
		if (maildir_quota_check(t->quota, t->folder, t->size_r, &t->err_r) != 1) {
			drop_tmp(&jobs[i]);
			return -1;
		}
		maildir_quota_pending(t->quota, t->size_r, true);
		jobs[i].pending = true;
	}
	return 0;
}

/* Phase 2: tmp/<base> -> new/<base>,S=,W= without overwriting. */
static int move_to_new(struct job *j, struct maildir_target *t)
{
	char path[PATH_MAX];

	for (int tries = 0; tries < NAME_TRIES; tries++) {
		if (tries > 0 && t->base_id != NULL)
			break; /* the caller's name exists already: no other name */
		if (tries > 0)
			gen_base(j->base, sizeof(j->base));
		if (maildir_pathf(t->name_r, sizeof(t->name_r), "%s,S=%llu,W=%llu", j->base,
				  (unsigned long long)t->size_r, (unsigned long long)t->vsize_r) < 0 ||
		    maildir_pathf(path, sizeof(path), "%s/new/%s", j->dir, t->name_r) < 0)
			break;
		if (renameat2(AT_FDCWD, j->tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0) {
			j->have_tmp = false;
			j->in_new = true;
			return 0;
		}
		if (errno == EINVAL || errno == ENOSYS) {
			/* file system without RENAME_NOREPLACE */
			if (link(j->tmp, path) == 0) {
				drop_tmp(j);
				j->in_new = true;
				return 0;
			}
		}
		if (errno != EEXIST)
			break;
	}
	maildir_err_sys(&t->err_r, "rename", path);
	drop_tmp(j);
	t->name_r[0] = '\0';
	return -1;
}

/* Phase 3: fsync each distinct new/ once; on failure undo its targets. */
static void sync_dirs(struct job *jobs, struct maildir_target *targets, size_t count)
{
	char path[PATH_MAX], file[PATH_MAX];

	for (size_t i = 0; i < count; i++) {
		bool seen = false;

		if (!jobs[i].in_new)
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = jobs[k].in_new && strcmp(jobs[k].dir, jobs[i].dir) == 0;
		if (seen)
			continue;
		if (maildir_pathf(path, sizeof(path), "%s/new", jobs[i].dir) == 0 &&
		    maildir_fsync_dir(path) == 0)
			continue;
		for (size_t k = i; k < count; k++) {
			if (!jobs[k].in_new || strcmp(jobs[k].dir, jobs[i].dir) != 0)
				continue;
			maildir_err_sys(&targets[k].err_r, "fsync", path);
			if (maildir_pathf(file, sizeof(file), "%s/new/%s", jobs[k].dir,
					  targets[k].name_r) == 0)
				(void)unlink(file);
			jobs[k].in_new = false;
			targets[k].name_r[0] = '\0';
		}
	}
}

int maildir_deliver_many(const struct maildir_source *src, struct maildir_target *targets,
			 size_t count)
{
	struct job *jobs = calloc(count > 0 ? count : 1, sizeof(*jobs));
	struct maildir_err qerr;
	int ret = 0;

	for (size_t i = 0; i < count; i++) {
		targets[i].name_r[0] = '\0';
		targets[i].size_r = targets[i].vsize_r = 0;
		memset(&targets[i].err_r, 0, sizeof(targets[i].err_r));
		if (jobs == NULL)
			maildir_err_sys(&targets[i].err_r, "calloc", "jobs");
	}
	if (jobs == NULL)
		return -1;
	for (size_t i = 0; i < count; i++)
		(void)stage(jobs, targets, i, src);
	for (size_t i = 0; i < count; i++) {
		if (jobs[i].have_tmp)
			(void)move_to_new(&jobs[i], &targets[i]);
	}
	sync_dirs(jobs, targets, count);
	for (size_t i = 0; i < count; i++) {
		struct maildir_target *t = &targets[i];

		if (jobs[i].pending)
			maildir_quota_pending(t->quota, t->size_r, false);
		if (!jobs[i].in_new) {
			ret = -1;
			continue;
		}
		if (t->quota != NULL &&
		    maildir_quota_add(t->quota, t->folder, (int64_t)t->size_r, 1, &qerr) < 0)
			log_warning("maildir_quota_update_failed error=%s", log_str(qerr.text));
	}
	free(jobs);
	return ret;
}

int maildir_deliver(const struct maildir_source *src, struct maildir_target *target)
{
	return maildir_deliver_many(src, target, 1);
}
