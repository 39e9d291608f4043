/* fileio: whole-file reads (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

int file_read_fd(int fd, size_t max, char **data_r, size_t *len_r)
{
	size_t len = 0, size = 4096;
	char *data = malloc(size);
	for (;;) {
		if (data == NULL) {
			errno = ENOMEM;
			return -1;
		}
		if (len + 1 == size) { /* full: grow, unless past the limit */
			if (len > max) {
				free(data);
				errno = EFBIG;
				return -1;
			}
			char *p = realloc(data, size * 2);
			if (p == NULL)
				free(data);
			data = p;
			size *= 2;
			continue;
		}
		ssize_t n = read(fd, data + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			free(data);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(data);
		errno = EFBIG;
		return -1;
	}
	data[len] = '\0';
	*data_r = data;
	*len_r = len;
	return 0;
}

int file_read_path(const char *path, size_t max, char **data_r, size_t *len_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = file_read_fd(fd, max, data_r, len_r);
	int saved = errno;
	close(fd);
	errno = saved;
	return r;
}

char *file_read_explained(const char *path, size_t max, size_t *len_r, char *err,
			  size_t errsize)
{
	char *data;
	if (file_read_path(path, max, &data, len_r) < 0) {
		snprintf(err, errsize, "%s: %s", path,
			 errno == EFBIG ? "unreadable or too large" : strerror(errno));
		return NULL;
	}
	return data;
}
