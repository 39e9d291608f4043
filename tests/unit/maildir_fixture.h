/* maildir_fixture: temp directories and small file helpers shared by the
 * maildir unit tests (header-only, static functions). */
#ifndef TERN_TEST_MAILDIR_FIXTURE_H
#define TERN_TEST_MAILDIR_FIXTURE_H
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fx_dir[256];

static int fx_rm(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static inline void fx_setup(void)
{
	strcpy(fx_dir, "/tmp/tern-maildir-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx_dir));
}

static inline void fx_teardown(void)
{
	nftw(fx_dir, fx_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* fx_dir + "/" + rel into a static rotating buffer. */
static inline const char *fx_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline const char *fx_path(const char *fmt, ...)
{
	static char bufs[4][1024];
	static int slot;
	char *b = bufs[slot++ % 4];
	int n = snprintf(b, 1024, "%s/", fx_dir);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b + n, 1024 - (size_t)n, fmt, ap);
	va_end(ap);
	return b;
}

/* Number of entries (not . and ..) in a directory; -1 if missing. */
static inline int fx_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Whole file into a malloc()ed buffer; *len_r its size. */
static inline char *fx_read(const char *path, size_t *len_r)
{
	struct stat st;
	char *data;
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	data = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(read(fd, data, (size_t)st.st_size), st.st_size);
	data[st.st_size] = '\0';
	close(fd);
	*len_r = (size_t)st.st_size;
	return data;
}

static inline void fx_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static inline int fx_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700;
}

#endif
