/* directory: what authd knows about users, domains and aliases, behind one
 * interface so the embedded files (this issue) and SQL (later) are
 * interchangeable. Every lookup answers FOUND, NOTFOUND or TEMP; TEMP means
 * "cannot say now" (file unreadable, database down) and must never be
 * turned into NOTFOUND or a wrong password by callers.
 * Invariants: addresses and domains are compared case-insensitively (keys
 * are lowercased on load and on lookup); lookups never block on the network
 * for the file backend; reload is atomic (a failed reload keeps the old
 * data and logs why). */
#ifndef TERN_DIRECTORY_H
#define TERN_DIRECTORY_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct conf;
struct directory;

enum dir_result { DIR_FOUND = 1, DIR_NOTFOUND = 0, DIR_TEMP = -1 };

#define DIR_MAX_ADDRESS 320 /* RFC 5321: 64 local + @ + 255 domain */
#define DIR_MAX_EXTRA 16

/* One user, as the passdb and userdb see it. Strings are "" when unset;
 * uid/gid are -1 when unset. `extra` holds the remaining key=value extra
 * fields from the source with a userdb_ prefix removed (e.g. "quota_rule=*:storage=1G"
 * is parsed into quota_rule; unknown ones stay in extra). */
struct dir_user {
	char user[DIR_MAX_ADDRESS + 1];
	char password[512];
	char scheme_default[32]; /* default_pass_scheme of the source */
	long uid, gid;
	char home[512];
	char mail[512];	  /* mail location, e.g. "maildir:~/Maildir" */
	char quota_rule[128];
	bool nopassword;  /* extra field "nopassword" */
	bool nologin;	  /* extra field "nologin": refuse login */
	bool nodelay;	  /* extra field "nodelay": no failure delay */
	char allow_nets[256]; /* extra field allow_nets: comma-separated CIDRs, "" = any */
	size_t extra_count;
	char extra[DIR_MAX_EXTRA][256];
};

/* Open the directory described by conf (passwd_file, virtual_mailbox_domains,
 * virtual_alias_maps, alias_domain_maps, mail_home, mail_location, mail_uid,
 * mail_gid, recipient_delimiter). Returns NULL with a reason in err when a
 * setting is malformed; a missing or unreadable data file is not fatal here
 * (its lookups answer TEMP and the reason is logged). */
struct directory *directory_open(const struct conf *conf, char *err, size_t errsize);
void directory_free(struct directory **dirp);
/* Re-read every data file (SIGHUP). Files whose mtime/size/inode did not
 * change are kept. Returns 0, or -1 if some file failed (old data kept). */
int directory_reload(struct directory *dir);
/* SQL configuration files (dovecot_sql_file, mysql: maps) are read once at
 * open, as root (they hold database passwords and are often root-only):
 * has one of them changed since? *path_r names it. */
bool directory_sql_files_changed(const struct directory *dir, const char **path_r);
/* Forget cached SQL answers (SIGHUP: the admin expects fresh data). */
void directory_flush_cache(struct directory *dir);
/* Cheap check (at most once a second): reload files changed on disk. */
void directory_refresh(struct directory *dir);

/* User by login name (full address; lowercased). Fills *u with passdb and
 * userdb fields, home/mail expanded from mail_home/mail_location when the
 * source leaves them empty, uid/gid from mail_uid/mail_gid when unset. */
enum dir_result directory_user(struct directory *dir, const char *user, struct dir_user *u);
/* The passdb view of a user (for logins; service and rip, may be "", are
 * the %s and %r of Dovecot's query): with Dovecot SQL, the
 * password_query (password, scheme, nologin/nodelay/nopassword/allow_nets
 * and userdb_ fields); with a passwd-file, the same record as
 * directory_user. */
enum dir_result directory_passdb(struct directory *dir, const char *user, const char *service,
				 const char *rip, struct dir_user *u);
/* Does a lookup possibly block (SQL)? Then callers run lookups on worker
 * threads; every lookup function here is thread-safe. */
bool directory_blocking(const struct directory *dir);
/* Cache-only mode for this thread (the event loop): a lookup that would
 * need the database answers DIR_TEMP instead and is remembered as a miss;
 * directory_cache_missed() tells (and clears it). Lets the loop answer
 * cached SQL lookups itself and send only misses to worker threads. */
void directory_cache_only(bool on);
bool directory_cache_missed(void);
/* Is cache-only mode worth trying (an SQL lookup cache is configured)? */
bool directory_cached(const struct directory *dir);
/* Iterate all user names (ternctl user list); cb returns false to stop. */
enum dir_result directory_iterate_users(struct directory *dir,
					bool (*cb)(const char *user, void *ctx), void *ctx);

/* Is domain one of ours (virtual_mailbox_domains or an alias domain)? */
enum dir_result directory_domain(struct directory *dir, const char *domain);
/* Alias domain -> its target domain (into target, size DIR_MAX_ADDRESS+1). */
enum dir_result directory_alias_domain(struct directory *dir, const char *domain, char *target);
/* Does a mailbox (a user) exist for this exact address? */
enum dir_result directory_mailbox(struct directory *dir, const char *address);
/* With virtual_mailbox_maps configured: the maps' answer for the address
 * (Postfix's mailbox value, e.g. PostfixAdmin's maildir column) into out.
 * Without them: NOTFOUND and *no_maps_r set. */
enum dir_result directory_mailbox_map(struct directory *dir, const char *address, char *out,
				      size_t outsize, bool *no_maps_r);
/* One level of virtual_alias_maps for an exact key ("user@domain" or the
 * catch-all "@domain"): the targets, comma-separated, into out. */
enum dir_result directory_alias(struct directory *dir, const char *key, char *out, size_t outsize);

/* Full recipient resolution, where tern expands aliases (queue asks authd
 * this through the socketmap "resolve"):
 *   1. address lowercased; "user+detail@d" also tried as "user@d" when the
 *      exact address is unknown (recipient_delimiter);
 *   2. an alias entry for the address -> each target resolved recursively
 *      (a target equal to the address itself means "also deliver to the
 *      mailbox", as PostfixAdmin stores mailboxes);
 *   3. else a mailbox -> the address itself;
 *   4. else an alias domain -> local@target-domain resolved;
 *   5. else the catch-all "@domain" alias -> its targets resolved;
 *   6. else NOTFOUND if the domain is ours; an address in a domain that is
 *      not ours (a forward target) resolves to itself.
 * Result: distinct final addresses, comma-separated, into out. Depth is
 * limited (virtual_alias_recursion_limit, 1000 addresses at most); a loop
 * or an overflow answers TEMP with reason in out. */
enum dir_result directory_resolve(struct directory *dir, const char *address, char *out,
				  size_t outsize);

#endif
