/* maildir: Maildir++ layout creation, folder name checks and mapping to
 * directories, the user+detail folder choice, file name size fields.
 * Invariants: a folder directory name is always '.' + mUTF-7 of a name that
 * passed maildir_folder_valid(), so it cannot escape the root; root/tmp is
 * created last, marking a complete layout. */
#include "maildir_impl.h"
#include "mutf7.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const maildir_default_folders[] = { "Drafts", "Sent", "Trash", "Junk", NULL };

static char hostname_buf[128];

void maildir_err_set(struct maildir_err *err, enum maildir_fail kind, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->kind = kind;
	err->errnum = 0;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
}

void maildir_err_sys(struct maildir_err *err, const char *op, const char *path)
{
	int e = errno;

	maildir_err_set(err, MAILDIR_FAIL_TEMP, "%s(%s): %s", op, path, strerror(e));
	if (err != NULL)
		err->errnum = e;
	errno = e;
}

int maildir_pathf(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int maildir_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret, e;

	if (fd < 0)
		return -1;
	ret = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return ret;
}

int maildir_mkdir(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 1;
	if (errno != EEXIST)
		return -1;
	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* mkdir -p for `path` (mode 0700); *created_r tells whether the last
 * component was made, so the caller can fsync its parent. */
static int mkdir_parents(const char *path, bool *created_r)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);
	int ret;

	if (len == 0 || len >= sizeof(tmp)) {
		errno = len == 0 ? ENOENT : ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, len + 1);
	while (len > 1 && tmp[len - 1] == '/')
		tmp[--len] = '\0';
	for (char *p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		ret = maildir_mkdir(tmp, 0700);
		*p = '/';
		if (ret < 0)
			return -1;
	}
	if ((ret = maildir_mkdir(tmp, 0700)) < 0)
		return -1;
	*created_r = ret > 0;
	return 0;
}

int maildir_make_folder_dir(const char *dir, bool is_root, struct maildir_err *err_r)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	char path[PATH_MAX];
	int fd;

	if (maildir_mkdir(dir, 0700) < 0) {
		maildir_err_sys(err_r, "mkdir", dir);
		return -1;
	}
	for (size_t i = 0; i < 3; i++) {
		if (maildir_pathf(path, sizeof(path), "%s/%s", dir, subs[i]) < 0 ||
		    maildir_mkdir(path, 0700) < 0) {
			maildir_err_sys(err_r, "mkdir", path);
			return -1;
		}
	}
	if (!is_root) {
		if (maildir_pathf(path, sizeof(path), "%s/maildirfolder", dir) < 0 ||
		    (fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
			maildir_err_sys(err_r, "open", path);
			return -1;
		}
		close(fd);
	}
	if (maildir_fsync_dir(dir) < 0) {
		maildir_err_sys(err_r, "fsync", dir);
		return -1;
	}
	return 0;
}

void maildir_temp_tag(char *out, size_t size)
{
	static atomic_ulong counter;
	snprintf(out, size, "%s.%ld.%ld.%lu", maildir_hostname(), (long)getpid(), (long)gettid(),
		 atomic_fetch_add(&counter, 1));
}

/* Write the v2 subscriptions file unless present: temp file + link(). */
static int write_subscriptions(const char *root, struct maildir_err *err_r)
{
	char path[PATH_MAX], tmp[PATH_MAX], text[256] = "V\t2\n\n";
	size_t len;
	int fd, ret;

	char tag[160];
	maildir_temp_tag(tag, sizeof(tag));
	if (maildir_pathf(path, sizeof(path), "%s/subscriptions", root) < 0 ||
	    maildir_pathf(tmp, sizeof(tmp), "%s/temp.%s.subscriptions", root, tag) < 0) {
		maildir_err_sys(err_r, "open", root);
		return -1;
	}
	if (access(path, F_OK) == 0)
		return 0;
	for (size_t i = 0; maildir_default_folders[i] != NULL; i++) {
		strcat(text, maildir_default_folders[i]);
		strcat(text, "\n");
	}
	len = strlen(text);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600); /* a unique name */
	if (fd < 0) {
		maildir_err_sys(err_r, "open", tmp);
		return -1;
	}
	ret = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0 ? 0 : -1;
	if (ret < 0 && errno == 0)
		errno = EIO;
	if (ret < 0)
		maildir_err_sys(err_r, "write", tmp);
	close(fd);
	if (ret == 0 && link(tmp, path) < 0 && errno != EEXIST) {
		maildir_err_sys(err_r, "link", path);
		ret = -1;
	}
	(void)unlink(tmp);
	return ret;
}

int maildir_create(const char *root, struct maildir_err *err_r)
{
	char path[PATH_MAX];
	struct stat st;
	bool created = false;

	if (maildir_pathf(path, sizeof(path), "%s/tmp", root) < 0) {
		maildir_err_sys(err_r, "stat", root);
		return -1;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (mkdir_parents(root, &created) < 0) {
		maildir_err_sys(err_r, "mkdir", root);
		return -1;
	}
	for (size_t i = 0; maildir_default_folders[i] != NULL; i++) {
		if (maildir_folder_path(root, maildir_default_folders[i], path, sizeof(path)) < 0) {
			maildir_err_sys(err_r, "mkdir", root);
			return -1;
		}
		if (maildir_make_folder_dir(path, false, err_r) < 0)
			return -1;
	}
	if (write_subscriptions(root, err_r) < 0 || maildir_make_folder_dir(root, true, err_r) < 0)
		return -1;
	if (created) {
		char *slash;

		snprintf(path, sizeof(path), "%s", root);
		while ((slash = strrchr(path, '/')) != NULL && slash[1] == '\0' && slash != path)
			*slash = '\0';
		slash = strrchr(path, '/');
		if (slash == path)
			slash[1] = '\0';
		else if (slash != NULL)
			*slash = '\0';
		else
			strcpy(path, ".");
		if (maildir_fsync_dir(path) < 0) {
			maildir_err_sys(err_r, "fsync", path);
			return -1;
		}
	}
	return 1;
}

bool maildir_is_inbox(const char *name)
{
	return name == NULL || *name == '\0' || strcasecmp(name, "INBOX") == 0;
}

bool maildir_folder_valid(const char *name)
{
	char enc[MAILDIR_FOLDER_MAX + 1];
	size_t len;

	if (name == NULL || *name == '\0')
		return false;
	if (strcasecmp(name, "INBOX") == 0)
		return true;
	len = strlen(name);
	if (len > MAILDIR_FOLDER_MAX || name[0] == '.' || name[len - 1] == '.' ||
	    strstr(name, "..") != NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '*' || *p == '%')
			return false;
	}
	/* on disk: '.' + encoded name must fit in NAME_MAX (255) */
	return mutf7_encode(name, enc, sizeof(enc) - 1) >= 0;
}

int maildir_folder_path(const char *root, const char *name, char *path_r, size_t size)
{
	char enc[MAILDIR_FOLDER_MAX + 1];

	if (maildir_is_inbox(name))
		return maildir_pathf(path_r, size, "%s", root);
	if (!maildir_folder_valid(name) || mutf7_encode(name, enc, sizeof(enc) - 1) < 0) {
		errno = EINVAL;
		return -1;
	}
	return maildir_pathf(path_r, size, "%s/.%s", root, enc);
}

int maildir_folder_exists(const char *root, const char *name)
{
	char path[PATH_MAX];
	size_t len;
	struct stat st;

	if (!maildir_is_inbox(name) && !maildir_folder_valid(name))
		return 0;
	if (maildir_folder_path(root, name, path, sizeof(path) - 4) < 0)
		return -1;
	len = strlen(path);
	memcpy(path + len, "/cur", 5);
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? 1 : 0;
	return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
}

int maildir_detail_folder(const char *root, const char *detail, char *folder_r)
{
	int ret = 0;

	strcpy(folder_r, "INBOX");
	if (detail == NULL || maildir_is_inbox(detail) || !maildir_folder_valid(detail))
		return 0;
	ret = maildir_folder_exists(root, detail);
	if (ret > 0)
		snprintf(folder_r, MAILDIR_FOLDER_MAX + 1, "%s", detail);
	return ret;
}

void maildir_set_hostname(const char *host)
{
	char raw[256];
	size_t o = 0;

	if (host == NULL) {
		if (gethostname(raw, sizeof(raw)) < 0)
			strcpy(raw, "localhost");
		raw[sizeof(raw) - 1] = '\0';
		host = raw;
	}
	/* keep names well under NAME_MAX: cut the escaped host at 100 bytes */
	for (; *host != '\0' && o + 5 < sizeof(hostname_buf) && o < 100; host++) {
		if (*host == '/' || *host == ':') {
			o += (size_t)snprintf(hostname_buf + o, sizeof(hostname_buf) - o, "\\%03o",
					      (unsigned char)*host);
		} else {
			hostname_buf[o++] = *host;
		}
	}
	hostname_buf[o] = '\0';
	if (o == 0)
		strcpy(hostname_buf, "localhost");
}

const char *maildir_hostname(void)
{
	if (hostname_buf[0] == '\0')
		maildir_set_hostname(NULL);
	return hostname_buf;
}

static int64_t name_size(const char *fname, char type)
{
	int64_t size = 0;
	int digits = 0;

	for (; *fname != '\0'; fname++) {
		if (fname[0] == ',' && fname[1] == type && fname[2] == '=') {
			fname += 3;
			break;
		}
	}
	if (*fname == '\0')
		return -1;
	for (; *fname >= '0' && *fname <= '9'; fname++) {
		if (++digits > 18)
			return -1;
		size = size * 10 + (*fname - '0');
	}
	if (*fname != ':' && *fname != ',' && *fname != '\0')
		return -1;
	return size;
}

void maildir_filename_sizes(const char *fname, int64_t *size_r, int64_t *vsize_r)
{
	if (size_r != NULL)
		*size_r = name_size(fname, 'S');
	if (vsize_r != NULL)
		*vsize_r = name_size(fname, 'W');
}
