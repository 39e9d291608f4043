/* fileio: reading a whole (configuration or table) file into memory, the
 * one way every parser in tern does it.
 * Invariants: the result is NUL-terminated (embedded NUL bytes are kept
 * for the parser to report by line); never more than `max` bytes are
 * accepted (EFBIG); EINTR is retried. */
#ifndef TERN_FILEIO_H
#define TERN_FILEIO_H
#include <stddef.h>

/* Read fd to its end into a new buffer (*data_r, free() it) of *len_r
 * bytes plus a NUL. 0, or -1 with errno (EFBIG past max, ENOMEM, read's). */
int file_read_fd(int fd, size_t max, char **data_r, size_t *len_r);
/* Same for a path (opened O_RDONLY|O_CLOEXEC). */
int file_read_path(const char *path, size_t max, char **data_r, size_t *len_r);

/* file_read_path with the failure explained as "path: reason" in err
 * (size errsize). Returns the data (free() it) or NULL. */
char *file_read_explained(const char *path, size_t max, size_t *len_r, char *err,
			  size_t errsize);

#endif
