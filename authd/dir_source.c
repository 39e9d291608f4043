/* dir_source: reads a whole data file (bounded by DIR_SOURCE_MAX_SIZE) and
 * hands it to the parser of its kind; swaps the result in only on success.
 * Invariants: the identity recorded is the fstat of the descriptor that was
 * read, so a file replaced while we read is seen as changed next time;
 * parse warnings name the file and line. */
#include "dir_source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"

int dir_source_init(struct dir_source *s, enum dir_source_kind kind, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->path = strdup(path);
	return s->path ? 0 : -1;
}

static bool same_file(const struct dir_source *s, const struct stat *st)
{
	return s->loaded && s->dev == st->st_dev && s->ino == st->st_ino &&
	       s->size == st->st_size && s->mtime.tv_sec == st->st_mtim.tv_sec &&
	       s->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static int parse(struct dir_source *s, const char *data, size_t len)
{
	static const enum texthash_mode modes[] = {
		[DSRC_MAP] = TH_MAP, [DSRC_KEYS] = TH_KEYS, [DSRC_LIST] = TH_LIST,
	};

	if (s->kind == DSRC_PASSWD) {
		struct passwd_file *pf = passwd_file_parse(data, len, s->path);

		if (!pf)
			return -1;
		passwd_file_free(&s->pf);
		s->pf = pf;
	} else {
		struct texthash *th = texthash_parse(data, len, s->path, modes[s->kind]);

		if (!th)
			return -1;
		texthash_free(&s->th);
		s->th = th;
	}
	return 0;
}

int dir_source_load(struct dir_source *s)
{
	struct stat st;
	size_t len = 0;
	char *data = NULL;
	int fd, r = -1;

	errno = 0;
	if (stat(s->path, &st) == 0 && same_file(s, &st))
		return 0;
	fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0 && fstat(fd, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			errno = EINVAL;
		else if (file_read_fd(fd, DIR_SOURCE_MAX_SIZE, &data, &len) == 0)
			r = parse(s, data, len);
	}
	if (r < 0) {
		int e = errno ? errno : ENOMEM;

		if (e != s->last_error)
			log_warning("directory-load-failed file=%s error=%s%s", log_str(s->path),
				    log_str(strerror(e)), s->loaded ? " old-data=kept" : "");
		s->last_error = e;
	} else {
		s->last_error = 0;
		s->loaded = true;
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->size = st.st_size;
		s->mtime = st.st_mtim;
	}
	free(data);
	if (fd >= 0)
		close(fd);
	return r;
}

void dir_source_free(struct dir_source *s)
{
	passwd_file_free(&s->pf);
	texthash_free(&s->th);
	free(s->path);
	memset(s, 0, sizeof(*s));
}
