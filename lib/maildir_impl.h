/* maildir_impl: helpers shared by maildir.c, maildir_deliver.c and
 * maildir_quota.c; not part of the public API.
 * Invariants: every helper that fails sets errno; err helpers always
 * leave err->text NUL-terminated. */
#ifndef TERN_MAILDIR_IMPL_H
#define TERN_MAILDIR_IMPL_H
#include "maildir.h"

#include <limits.h>

/* Fill *err (may be NULL): kind TEMP with errno, text "<op>(<path>): <strerror>". */
void maildir_err_sys(struct maildir_err *err, const char *op, const char *path);
/* Fill *err with `kind`, errnum 0 and printf text. */
void maildir_err_set(struct maildir_err *err, enum maildir_fail kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* snprintf into out, -1 with ENAMETOOLONG when cut. */
int maildir_pathf(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* open(O_RDONLY|O_DIRECTORY) + fsync + close. */
int maildir_fsync_dir(const char *path);
/* mkdir that treats EEXIST (of a directory) as success; 1 created, 0 existed. */
int maildir_mkdir(const char *path, mode_t mode);
/* Create the Maildir directories for a folder dir (`dir`, cur/new/tmp and,
 * unless is_root, the maildirfolder file); fsyncs `dir`. */
int maildir_make_folder_dir(const char *dir, bool is_root, struct maildir_err *err_r);
/* The escaped host name used in file names. */
const char *maildir_hostname(void);
/* Whether `name` means INBOX (NULL, "" or any case of "INBOX"). */
bool maildir_is_inbox(const char *name);
/* Parse a Maildir++ limits header "<n>S,<n>C" (maildir_quota_rule.c). */
bool maildir_quota_parse_limits(const char *s, uint64_t *bytes_r, uint64_t *count_r);
/* Count (add) or forget (!add) a message of `bytes` that passed
 * maildir_quota_check() but is not in maildirsize yet, so later checks in
 * the same batch see it (maildir_quota.c). */
void maildir_quota_pending(struct maildir_quota *q, uint64_t bytes, bool add);

/* A temp-file name part unique per call across processes and threads:
 * "<host>.<pid>.<tid>.<counter>" (several delivery threads of one lmtpd
 * must never share a temp file). */
void maildir_temp_tag(char *out, size_t size);

#endif
