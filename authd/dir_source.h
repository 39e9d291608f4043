/* dir_source: one data file of the directory (a passwd-file, a texthash
 * table or a name list) with its parsed content and the identity (device,
 * inode, size, mtime) of the file it was parsed from.
 * Invariants: `loaded` is true iff the data pointer is valid; a failed
 * (re)load keeps the previous data and logs why (once per distinct error,
 * so a file missing for an hour does not log every second); an unchanged
 * file is not read again. */
#ifndef TERN_DIR_SOURCE_H
#define TERN_DIR_SOURCE_H
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "passwd_file.h"
#include "texthash.h"

#define DIR_SOURCE_MAX_SIZE (256L * 1024 * 1024) /* larger files are refused */

enum dir_source_kind {
	DSRC_PASSWD, /* passwd-file -> pf */
	DSRC_MAP,    /* texthash table, key value -> th */
	DSRC_KEYS,   /* texthash table, value optional (domains) -> th */
	DSRC_LIST,   /* names separated by whitespace or commas -> th */
};

struct dir_source {
	enum dir_source_kind kind;
	char *path;
	bool loaded;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int last_error; /* errno of the last failure logged, 0 after a success */
	struct passwd_file *pf;
	struct texthash *th;
};

/* Set up an empty, unloaded source for path. Returns 0, -1 when out of memory. */
int dir_source_init(struct dir_source *s, enum dir_source_kind kind, const char *path);
/* (Re)load the file when it changed since the last load or was never
 * loaded. Returns 0 (loaded or unchanged), -1 on failure (logged; previous
 * data, if any, kept). */
int dir_source_load(struct dir_source *s);
void dir_source_free(struct dir_source *s);

#endif
