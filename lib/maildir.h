/* maildir: the delivery side of a Dovecot-compatible Maildir++ store: create
 * a user's Maildir, map folder names to directories, write messages into
 * new/ durably (alone or many at once with one fsync per directory), and
 * keep Dovecot's Maildir++ quota file `maildirsize`.
 * Invariants: a message file is visible in new/ only complete and fsync()ed,
 * and success is reported only after its directory entry is fsync()ed too;
 * a failed delivery leaves nothing behind in tmp/ or new/; existing files
 * are never overwritten; every path component derived from a folder name
 * has passed maildir_folder_valid(). See
 * /work/shared/ref/dovecot-maildir-compat.md for the on-disk formats. */
#ifndef TERN_MAILDIR_H
#define TERN_MAILDIR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Big enough for "<secs>.M<usecs>P<pid>.<host>,S=<n>,W=<n>"; the escaped
 * host name is cut at 100 bytes so a later ":2,<flags>" still fits. */
#define MAILDIR_NAME_MAX 256
/* Longest folder name accepted (UTF-8 bytes, and also mUTF-7 bytes on disk
 * including the leading '.'). */
#define MAILDIR_FOLDER_MAX 255

/* Why an operation failed; lmtpd maps these to SMTP replies. */
enum maildir_fail {
	MAILDIR_FAIL_NONE = 0,
	/* A system error: ENOSPC, EDQUOT, EIO, EFBIG, EACCES, EMFILE, a read
	 * error on the source... Retry later (451 4.2.0 / 452 4.3.1). */
	MAILDIR_FAIL_TEMP,
	/* The request itself is wrong and will not get better: invalid folder
	 * name, folder missing without MAILDIR_CREATE_FOLDER, malformed
	 * prepended header (550 5.2.0 / fall back to INBOX). */
	MAILDIR_FAIL_PERM,
	/* Delivery would exceed the quota (552 5.2.2, or 452 4.2.2 when the
	 * admin wants quota_full_tempfail). */
	MAILDIR_FAIL_QUOTA,
};

struct maildir_err {
	enum maildir_fail kind;
	int errnum;     /* errno of the failed call, 0 for PERM/QUOTA */
	char text[200]; /* "rename(<path>): No space left on device" etc. */
};

/* ---- layout and folders (maildir.c) ---- */

/* Default folders created with a new Maildir, in this order; also the
 * order of the `subscriptions` file. NULL-terminated. */
extern const char *const maildir_default_folders[];

/* Make sure the Maildir at `root` exists: root (and missing parents) with
 * cur/ new/ tmp/, the default folders as `.Name/` with cur/ new/ tmp/ and
 * an empty `maildirfolder`, and a v2 `subscriptions` file listing them
 * (written only when absent). Directories are 0700, files 0600. Safe to
 * run concurrently from several processes: EEXIST is success and files
 * appear atomically via link(). root/tmp is created last, so its presence
 * means the layout is complete, and the created entries are fsync()ed.
 * Returns 1 when something was created, 0 when it was already complete,
 * -1 on error (*err_r set, kind TEMP). */
int maildir_create(const char *root, struct maildir_err *err_r);

/* Whether `name` (UTF-8, '.' separates hierarchy levels as in Dovecot's
 * default Maildir++ namespace) may name a folder: non-empty, valid UTF-8,
 * at most MAILDIR_FOLDER_MAX bytes, no control bytes or DEL, no '/', '*'
 * or '%', does not start or end with '.', no empty level (".."), and its
 * on-disk name fits. "INBOX" in any case is valid and means the root. */
bool maildir_folder_valid(const char *name);

/* Directory of folder `name` under `root` into `path_r` (size `size`):
 * `root` for INBOX (NULL, "" or any case of "INBOX"), otherwise
 * `root/.<mUTF-7 of name>`. Returns 0, or -1 with errno EINVAL (invalid
 * name) or ENAMETOOLONG. */
int maildir_folder_path(const char *root, const char *name, char *path_r, size_t size);

/* Whether folder `name` exists under `root` as a Maildir (its cur/ is a
 * directory). Names compare exactly, like Dovecot (only INBOX is
 * case-insensitive). Returns 1 yes, 0 no (also for an invalid name), -1 on
 * a system error other than ENOENT/ENOTDIR (errno set). */
int maildir_folder_exists(const char *root, const char *name);

/* Folder for "user+detail" when lmtp_save_to_detail_mailbox is on: the
 * folder named exactly `detail` if it is valid and exists, else INBOX
 * (Dovecot does not create it). `detail` may be NULL or empty. Writes the
 * chosen name ("INBOX" or detail) to `folder_r` (size MAILDIR_FOLDER_MAX+1).
 * Returns 1 when the detail folder was chosen, 0 for INBOX, -1 on a system
 * error (folder_r is "INBOX" then too). */
int maildir_detail_folder(const char *root, const char *detail, char *folder_r);

/* Use `host` in file names instead of gethostname() (for tests and for the
 * `hostname` setting). '/' and ':' are escaped as \057 and \072. NULL goes
 * back to gethostname(). Not thread-safe; call at startup. */
void maildir_set_hostname(const char *host);

/* Physical (,S=) and virtual (,W=) size from a file name; each is set to
 * -1 when absent or malformed. Parsed like Dovecot: the first ",X=" in the
 * name, then digits followed by ',', ':' or the end (",S=:" gives 0,
 * ",S=" at the very end is malformed, as in Dovecot). */
void maildir_filename_sizes(const char *fname, int64_t *size_r, int64_t *vsize_r);

/* ---- quota (maildir_quota.c) ---- */

/* One parsed quota_rule value, "<mailbox>:<limits>" as in Dovecot:
 * mailbox "*" (default, forces the limits into maildirsize), "?" (default
 * used only when maildirsize has none) or a folder name; limits separated
 * by ':' among storage=N (kilobytes unless a unit is given), bytes=N,
 * messages=N, each with an optional unit b/k/M/G/T (powers of 1024, only
 * the first letter counts, case-insensitive) or '%'; "ignore"; or
 * "backend=<maildirsize header>" ("1000S,20C" / "NOQUOTA"). A folder rule
 * is relative to the default: "+100M", "-10M" or "+10%" of the default. */
struct maildir_quota_rule {
	char mailbox[MAILDIR_FOLDER_MAX + 1];
	bool is_default;      /* "*" or "?" */
	bool force;           /* "*" */
	bool ignore;          /* folder not counted at all */
	int64_t bytes;        /* 0 = unlimited for the default rule */
	int64_t count;
	int bytes_percent;    /* folder rules: % of the default, or 0 */
	int count_percent;
};

/* Parse one quota_rule value. Returns 0, or -1 with *error_r (static
 * text) set on a syntax error, an unknown limit or unit, a negative or '%'
 * default, or an overflow. */
int maildir_quota_rule_parse(const char *def, struct maildir_quota_rule *rule_r,
			     const char **error_r);

/* Parse a quota_grace value ("10%" of the byte limit, or a size with the
 * units above; Dovecot's default is "10%"). Returns 0 or -1. */
int maildir_quota_grace_parse(const char *def, int64_t *bytes_r, int *percent_r);

struct maildir_quota;

/* Quota state for the Maildir at `root`, from `nrules` parsed rules (they
 * are copied; 0 rules = limits only from an existing maildirsize) and a
 * grace (bytes, or percent of the byte limit when grace_percent > 0).
 * Returns NULL when out of memory. Nothing is read until first use. */
struct maildir_quota *maildir_quota_new(const char *root, const struct maildir_quota_rule *rules,
					size_t nrules, int64_t grace_bytes, int grace_percent);
/* Free; *quotap becomes NULL; NULL is a no-op. */
void maildir_quota_free(struct maildir_quota **quotap);

struct maildir_quota_usage {
	uint64_t bytes, count;             /* current usage */
	uint64_t bytes_limit, count_limit; /* effective; 0 = unlimited */
	bool enforced;                     /* some limit is in force */
};

/* Read maildirsize and recompute it the way Dovecot does when it is
 * missing (and limits are configured), unparsable, >= 5120 bytes, negative,
 * has limits other than a "*" rule's, or shows over-quota while having
 * more than one delta line or being older than 15 minutes: sum ,S= (stat()
 * as fallback) over new/ and cur/ of INBOX and every `.Folder` not matched
 * by an "ignore" rule, then write "<limits>\n<bytes> <count>\n" to a temp
 * file and rename() it into place, unless a directory changed meanwhile.
 * Returns 1 when usage is known, 0 when no quota applies (no limits and no
 * "*" rule), -1 on error (*err_r TEMP). */
int maildir_quota_usage(struct maildir_quota *quota, struct maildir_quota_usage *usage_r,
			struct maildir_err *err_r);

/* Whether a message of `bytes` (count 1; bytes 0 checks "is the user
 * already over") fits when saved into `folder` (NULL = INBOX): folder
 * rules add to the limits, ignored folders always fit; the byte limit may
 * be passed by up to the grace when usage is still under it, like
 * Dovecot's LDA/LMTP. Messages of a maildir_deliver_many() batch that
 * passed the check but are not yet in maildirsize count as used. Returns
 * 1 fits, 0 over quota (*err_r kind QUOTA), -1 on error (*err_r TEMP). */
int maildir_quota_check(struct maildir_quota *quota, const char *folder, uint64_t bytes,
			struct maildir_err *err_r);

/* Record a change of `bytes`/`count` in `folder` (NULL = INBOX; ignored
 * folders are skipped) by appending "<bytes> <count>\n" to maildirsize
 * with one O_APPEND write(); recalculates instead when the file is
 * missing. No-op without quota. Returns 0 or -1 (*err_r TEMP). */
int maildir_quota_add(struct maildir_quota *quota, const char *folder, int64_t bytes,
		      int64_t count, struct maildir_err *err_r);

/* ---- delivery (maildir_deliver.c) ---- */

/* The message: either `fd` >= 0, read with pread() from `offset` to EOF
 * (a regular file or memfd; it is read once per distinct copy written), or
 * `data`/`len` when fd < 0. Line ends may be LF or CRLF: each CRLF is
 * stored as LF (Dovecot's mail_save_crlf=no); a CR not followed by LF is
 * kept. No line end is added to a last line that lacks one. The ,S= size
 * is the stored byte count; ,W= is that plus one for every stored LF not
 * preceded by CR (Dovecot's message_get_size()), i.e. the size with every
 * line end as CRLF = IMAP RFC822.SIZE. Example: "a\r\nb" is stored as
 * "a\nb", S=3, W=4. */
struct maildir_source {
	int fd;
	off_t offset;
	const void *data;
	size_t len;
	time_t mtime; /* file mtime = IMAP INTERNALDATE; 0 = time of writing */
};

/* Options for a target. */
#define MAILDIR_CREATE_FOLDER 0x1u /* create a missing folder (Sieve :create) */

/* One destination. `prepend` are header lines written before the message
 * (e.g. "Return-Path: <a@b>\r\nDelivered-To: c@d\r\n"), converted and
 * counted like the message; they must end in a line end. Results: on
 * success `name_r` is the file name in `new/` and size/vsize the ,S=/,W=
 * values; otherwise `err_r` says why. */
struct maildir_target {
	const char *root;
	const char *folder;  /* NULL or "INBOX" = INBOX */
	const char *prepend; /* NULL = none */
	struct maildir_quota *quota; /* NULL = no quota */
	unsigned int flags;
	/* NULL: generated base names. Else the base is "<base_id>.<host>"
	 * (lmtpd's "<secs>.Q<queue-id>R<n>" for exactly-once delivery): the
	 * caller guarantees it is unique to this message and target; it must
	 * be 1-100 bytes without '/', ':', ',', blanks or controls and not
	 * start with '.' (else PERM). A leftover tmp/<base> of a crashed
	 * attempt is replaced; an existing new/<base>,S=..,W=.. fails the
	 * target (TEMP, EEXIST) instead of taking another name. */
	const char *base_id;

	char name_r[MAILDIR_NAME_MAX];
	uint64_t size_r, vsize_r;
	struct maildir_err err_r;
};

/* Deliver `src` into each of `targets` (a group commit for one LMTP
 * transaction): for every target, create the Maildir if needed, check
 * the folder, write tmp/<base> (O_EXCL; a hard link of an earlier
 * target's file when prepend is equal and the file system the same),
 * fsync it, check the quota with the real size; then link each file into
 * new/<base>,S=<size>,W=<vsize> without overwriting (renameat2
 * RENAME_NOREPLACE, or link()+unlink(); a new name on collision); then
 * fsync every distinct new/ directory once; then append the quota deltas.
 * Base names are "<secs>.M<usecs>P<pid>.<host>", strictly increasing
 * within the process as in Dovecot. A target succeeds only once its file
 * and directory entry are durable; failures are cleaned up. Returns 0 when
 * all targets succeeded, -1 when at least one failed (see each err_r). */
int maildir_deliver_many(const struct maildir_source *src, struct maildir_target *targets,
			 size_t count);

/* maildir_deliver_many() with one target. Returns 0 or -1 (target->err_r). */
int maildir_deliver(const struct maildir_source *src, struct maildir_target *target);

#endif
