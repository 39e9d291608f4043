/* passwd_file: Dovecot's passwd-file format, parsed into memory:
 *     user:password:uid:gid:gecos:home:shell:extra_fields
 * Trailing fields may be left out ("user:password" is a whole line);
 * extra_fields is the rest of the line (it may hold ':'), space-separated
 * key=value items whose "userdb_" prefix is dropped; home, mail, uid, gid
 * and quota_rule among them override the positional fields.
 * Invariants: user names are lowercased; the first line of a user wins
 * (later ones are logged); malformed lines are logged with file:line and
 * skipped; uid/gid names are resolved at parse time, never at lookup. */
#ifndef TERN_PASSWD_FILE_H
#define TERN_PASSWD_FILE_H
#include <stdbool.h>
#include <stddef.h>

#include "directory.h"

struct passwd_file;

/* Parse text (len bytes) named `name` in log lines. NULL only when out of
 * memory. */
struct passwd_file *passwd_file_parse(const char *text, size_t len, const char *name);
void passwd_file_free(struct passwd_file **pfp);

/* Fill *u (all of it) for user (lowercased by the caller): DIR_FOUND or
 * DIR_NOTFOUND. Fields the line leaves out stay ""/-1; no defaults. */
enum dir_result passwd_file_lookup(const struct passwd_file *pf, const char *user,
				   struct dir_user *u);
bool passwd_file_exists(const struct passwd_file *pf, const char *user);
size_t passwd_file_count(const struct passwd_file *pf);
/* Call cb for every user until it returns false; returns false if stopped. */
bool passwd_file_iterate(const struct passwd_file *pf, bool (*cb)(const char *user, void *ctx),
			 void *ctx);

/* Parse one line (len bytes, no line end) into *u. Returns 0, or -1 with
 * a short reason word in *why_r. */
int passwd_file_parse_line(const char *line, size_t len, struct dir_user *u, const char **why_r);

#endif
