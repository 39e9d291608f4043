/* spool: the queue's directories and files, all reached through directory
 * fds (so they work in a chroot too):
 *   incoming/<id>  a message: data + trailer (envelope.h); created O_EXCL
 *                  0600 at BEGIN, complete once its trailer is durable
 *   state/<id>     its state records (qmsg.h), created on first need
 *   corrupt/<id>   files recovery could not validate (never delivered)
 *   unclean        exists (fsync'd) while a queue runs: found at start, it
 *                  says the last run crashed, so every pending recipient's
 *                  next attempt carries XTERNID ;R
 * Invariants: a message file is removed before its state file, so a state
 * file without a message is an orphan and a message is never left without
 * the records that say what is done. */
#ifndef TERN_QUEUE_SPOOL_H
#define TERN_QUEUE_SPOOL_H
#include <stdbool.h>
#include <stddef.h>

#include "qid.h"

struct spool {
	int dir_fd, incoming_fd, state_fd, corrupt_fd;
};

/* Open (creating the subdirectories, 0700) the spool at path. 0 or -1
 * with a reason. */
int spool_open(struct spool *sp, const char *path, char *err, size_t errsize);
void spool_close(struct spool *sp);
/* Create incoming/<new id> for reading and writing; the id goes to id_r.
 * Returns the fd or -1 (errno). */
int spool_create(struct spool *sp, struct qid_gen *gen, char id_r[QID_SIZE]);
/* Open incoming/<id> read-only; fd or -1. */
int spool_open_message(struct spool *sp, const char *id);
/* Remove the message, then its state file. 0 or -1 (errno). */
int spool_remove(struct spool *sp, const char *id);
/* Move incoming/<id> (and state/<id>) to corrupt/. 0 or -1. */
int spool_move_corrupt(struct spool *sp, const char *id);
/* Append records to state/<id> (one write, no fsync). 0 or -1. */
int spool_state_append(struct spool *sp, const char *id, const char *data, size_t len);
/* Read state/<id> (malloc'd, NUL-terminated; an absent file reads as
 * empty). 0 or -1. */
int spool_state_read(struct spool *sp, const char *id, char **data_r, size_t *len_r);
/* fsync a directory fd. 0 or -1. */
int spool_sync_dir(int fd);
/* Create the unclean marker; *was_r tells whether it was already there. */
int spool_mark_running(struct spool *sp, bool *was_r);
/* Remove it at a clean stop. */
void spool_mark_stopped(struct spool *sp);

#endif
