/* migrate_dovecot: reads dovecot.conf for "migrate check": # comments,
 * backslash continuation, nested "type [name] {" ... "}" sections,
 * "!include" / "!include_try" (globs, relative to the including file),
 * and the dovecot-sql.conf.ext a passdb/userdb sql points to.
 * Invariants: includes are bounded (depth MIG_MAX_DEPTH, MIG_MAX_FILES in
 * all, a file already being read is a loop and skipped), so no input can
 * make the check hang; braces are counted even inside skipped sections. */
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"
#include "strutil.h"

#define MAX_SECTIONS 16
#define MAX_SQL_FILES 8

struct section {
	char type[32], name[256];
	char *file;
	unsigned line;
	bool skip;		     /* reported once at its start: inner lines are not */
	char driver[64], args[1024]; /* passdb / userdb */
	char port[16], mode[16], user[64], group[64];
};

struct dv {
	struct mig_report *r;
	struct section sec[MAX_SECTIONS];
	int depth, overflow; /* overflow: sections past MAX_SECTIONS */
	char *open[MIG_MAX_DEPTH + 2];
	int nopen;
	char *sql[MAX_SQL_FILES];
	int nsql;
};

static int read_file(struct dv *d, const char *path, int depth);

static bool skipping(const struct dv *d)
{
	for (int i = 0; i < d->depth; i++)
		if (d->sec[i].skip)
			return true;
	return d->overflow > 0;
}

/* Cut a comment: '#' at the start or after whitespace, outside quotes. */
static void cut_comment(char *s)
{
	bool quoted = false;
	for (char *p = s; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '#' && !quoted && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
	}
}

static char *unquote(char *s)
{
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = '\0';
		return s + 1;
	}
	return s;
}

static void include(struct dv *d, const char *file, unsigned line, char *arg, bool try_only,
		    int depth)
{
	char *dir_copy = strdup(file), *pattern = NULL;
	arg = unquote(mig_trim(arg));
	if (dir_copy == NULL || asprintf(&pattern, "%s%s%s", arg[0] == '/' ? "" : dirname(dir_copy),
					 arg[0] == '/' ? "" : "/", arg) < 0) {
		free(dir_copy);
		d->r->oom = true;
		return;
	}
	free(dir_copy);
	glob_t g;
	int rc = glob(pattern, 0, NULL, &g);
	if (rc == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			if (read_file(d, g.gl_pathv[i], depth + 1) < 0 && !try_only)
				mig_add(d->r, file, line, MIG_ATTENTION, "!include", arg,
					"cannot read the included file: Dovecot would refuse to start");
		globfree(&g);
	} else if (!try_only && strpbrk(arg, "*?[") == NULL) {
		mig_add(d->r, file, line, MIG_ATTENTION, "!include", arg,
			"included file not found: Dovecot would refuse to start");
	}
	free(pattern);
}

static void sql_file(struct dv *d, const char *path)
{
	char *real = mig_locate(d->r, path, d->r->dovecot_dir);
	if (real == NULL)
		return;
	for (int i = 0; i < d->nsql; i++)
		if (strcmp(d->sql[i], real) == 0) {
			free(real);
			return;
		}
	mig_read_dovecot_sql(d->r, real);
	if (d->nsql < MAX_SQL_FILES)
		d->sql[d->nsql++] = real;
	else
		free(real);
}

/* The path in passwd-file args: the last word without '='. */
static void passwd_file_args(struct dv *d, char *args, char *note, size_t size)
{
	char *save = NULL, *path = NULL;
	for (char *w = strtok_r(args, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (strncmp(w, "scheme=", 7) == 0)
			mig_snip(d->r, NULL, "default_pass_scheme", w + 7, NULL);
		else if (strchr(w, '=') == NULL)
			path = w;
	}
	if (path)
		mig_snip(d->r, NULL, "passwd_file", path, NULL);
	snprintf(note, size, "passwd_file = %s (tern reads Dovecot's passwd-file format)",
		 path ? path : "?");
}

static void static_args(struct dv *d, char *args)
{
	static const struct { const char *arg, *key; } map[] = {
		{ "uid=", "mail_uid" }, { "gid=", "mail_gid" }, { "home=", "mail_home" },
	};
	char *save = NULL;
	for (char *w = strtok_r(args, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strncmp(w, map[i].arg, strlen(map[i].arg)) == 0)
				mig_snip(d->r, NULL, map[i].key, w + strlen(map[i].arg), NULL);
}

static void db_close(struct dv *d, struct section *s)
{
	char value[1200], note[1200], args[1024];
	const char *drv = s->driver[0] ? s->driver : s->name;
	snprintf(value, sizeof(value), "driver=%s args=%s", drv, s->args);
	str_copy(args, sizeof(args), s->args);
	enum mig_verdict v = MIG_MAPPED;
	bool pass = strcmp(s->type, "passdb") == 0;
	if (strcmp(drv, "sql") == 0 && s->args[0]) {
		mig_snip(d->r, NULL, "dovecot_sql_file", s->args, NULL);
		snprintf(note, sizeof(note), "dovecot_sql_file = %s (tern reads Dovecot's SQL file itself)",
			 s->args);
	} else if (strcmp(drv, "passwd-file") == 0) {
		passwd_file_args(d, args, note, sizeof(note));
	} else if (strcmp(drv, "static") == 0 && !pass) {
		static_args(d, args);
		snprintf(note, sizeof(note), "mail_uid / mail_gid / mail_home from its uid= gid= home=");
	} else if (strcmp(drv, "prefetch") == 0) {
		v = MIG_IGNORED;
		snprintf(note, sizeof(note), "tern answers userdb from the same directory lookup");
	} else if (strcmp(drv, "pam") == 0 || strcmp(drv, "passwd") == 0 ||
		   strcmp(drv, "shadow") == 0 || strcmp(drv, "bsdauth") == 0) {
		v = MIG_ATTENTION;
		snprintf(note, sizeof(note), "system (Unix) users: tern serves virtual users only");
	} else {
		v = MIG_ATTENTION;
		snprintf(note, sizeof(note), "tern's directory is passwd-file or SQL (dovecot-sql.conf.ext) only");
	}
	mig_add(d->r, s->file, s->line, v, s->type, value, note);
	if (strcmp(drv, "sql") == 0 && s->args[0])
		sql_file(d, s->args);
}

static void listener_close(struct dv *d, const struct section *svc, struct section *s)
{
	struct mig_report *r = d->r;
	char note[1024], value[512];
	int port = s->port[0] ? atoi(s->port) : -1;
	snprintf(value, sizeof(value), "%s%s%s", s->port[0] ? "port=" : "", s->port, s->name);
	if (strcmp(svc->name, "imap-login") == 0 || strcmp(svc->name, "pop3-login") == 0) {
		bool imap = svc->name[0] == 'i';
		bool tls = strcmp(s->name, imap ? "imaps" : "pop3s") == 0;
		int *slot = imap ? (tls ? &r->port_imaps : &r->port_imap) : (tls ? &r->port_pop3s : &r->port_pop3);
		if (port >= 0)
			*slot = port;
		snprintf(note, sizeof(note), "service %s { listen = %s inet:ADDR:%d }%s",
			 imap ? "imapd" : "pop3d", s->name, *slot, *slot ? "" : " (disabled)");
		mig_add(r, s->file, s->line, MIG_MAPPED, "inet_listener", value, note);
	} else if (strcmp(svc->name, "lmtp") == 0) {
		mig_add(r, s->file, s->line, MIG_MAPPED, s->type, s->name,
			"tern's queue delivers through its own lmtpd: Postfix's lmtp socket is no longer needed");
	} else if (strcmp(svc->name, "auth") == 0 && strcmp(s->type, "unix_listener") == 0) {
		const char *base = strrchr(s->name, '/') ? strrchr(s->name, '/') + 1 : s->name;
		const char *role = strcmp(base, "auth-userdb") == 0 || strcmp(base, "auth-master") == 0 ?
					   "userdb" : "client";
		snprintf(value, sizeof(value), "%s unix:%s%s%s%s%s%s%s", role, s->name,
			 s->mode[0] ? " mode=" : "", s->mode, s->user[0] ? " user=" : "", s->user,
			 s->group[0] ? " group=" : "", s->group);
		mig_snip_add(r, "authd", "listen", value, NULL);
		snprintf(note, sizeof(note), "service authd { listen = %s } (same protocol)", value);
		mig_add(r, s->file, s->line, MIG_MAPPED, s->type, s->name, note);
	} else {
		mig_add(r, s->file, s->line, MIG_IGNORED, s->type, s->name,
			"Dovecot internal socket: tern's daemons have their own");
	}
}

static void open_section(struct dv *d, const char *file, unsigned line, char *head)
{
	if (skipping(d) || d->depth == MAX_SECTIONS) {
		if (d->depth == MAX_SECTIONS && !skipping(d))
			mig_add(d->r, file, line, MIG_ATTENTION, head, "", "sections nested too deep: not read");
		d->overflow++;
		return;
	}
	struct section *s = &d->sec[d->depth++];
	memset(s, 0, sizeof(*s));
	size_t tl = strcspn(head, " \t");
	snprintf(s->type, sizeof(s->type), "%.*s", (int)tl, head);
	snprintf(s->name, sizeof(s->name), "%s", unquote(mig_trim(head + tl)));
	s->file = strdup(file);
	s->line = line;
	const char *why = NULL;
	if (strcmp(s->type, "namespace") == 0)
		why = "namespaces and auto-created special-use folders come with the imapd issue";
	else if (strcmp(s->type, "local") == 0 || strcmp(s->type, "remote") == 0 ||
		 strcmp(s->type, "local_name") == 0)
		why = "per-address settings: tern has none (yet)";
	else if (strcmp(s->type, "service") == 0 &&
		 (strstr(s->name, "sieve") || strncmp(s->name, "quota", 5) == 0 ||
		  strcmp(s->name, "dict") == 0 || strcmp(s->name, "submission-login") == 0))
		why = "a service tern does not have (yet)";
	if (why) {
		s->skip = true;
		mig_add(d->r, file, line, MIG_ATTENTION, s->type, s->name, why);
	}
}

static void close_section(struct dv *d, const char *file, unsigned line)
{
	if (d->overflow > 0) {
		d->overflow--;
		return;
	}
	if (d->depth == 0) {
		mig_add(d->r, file, line, MIG_ATTENTION, "}", "", "'}' without a section: Dovecot would refuse to start");
		return;
	}
	struct section *s = &d->sec[--d->depth];
	if (!skipping(d) && !s->skip) {
		if (strcmp(s->type, "passdb") == 0 || strcmp(s->type, "userdb") == 0)
			db_close(d, s);
		else if (strstr(s->type, "_listener") && d->depth > 0 &&
			 strcmp(d->sec[d->depth - 1].type, "service") == 0)
			listener_close(d, &d->sec[d->depth - 1], s);
	}
	free(s->file);
	s->file = NULL;
}

static void record_protocols(struct mig_report *r, const char *value)
{
	bool keep = strstr(value, "$protocols") != NULL;
	if (!keep)
		r->proto_imap = r->proto_pop3 = r->proto_lmtp = false;
	r->proto_imap |= strstr(value, "imap") != NULL;
	r->proto_pop3 |= strstr(value, "pop3") != NULL;
	r->proto_lmtp |= strstr(value, "lmtp") != NULL;
	r->protocols_seen = true;
}

static bool listener_key(struct section *s, const char *key, const char *value)
{
	static const struct { const char *key; size_t off, size; } keys[] = {
		{ "port", offsetof(struct section, port), sizeof(((struct section *)0)->port) },
		{ "mode", offsetof(struct section, mode), sizeof(((struct section *)0)->mode) },
		{ "user", offsetof(struct section, user), sizeof(((struct section *)0)->user) },
		{ "group", offsetof(struct section, group), sizeof(((struct section *)0)->group) },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].key) == 0) {
			snprintf((char *)s + keys[i].off, keys[i].size, "%s", value);
			return true;
		}
	return strcmp(key, "ssl") == 0 || strcmp(key, "address") == 0 || strcmp(key, "haproxy") == 0;
}

static void setting(struct dv *d, const char *file, unsigned line, char *key, char *value)
{
	struct mig_report *r = d->r;
	if (skipping(d))
		return;
	if (d->depth == 0) {
		if (strcmp(key, "protocols") == 0)
			record_protocols(r, value);
		if (strcmp(key, "listen") == 0) {
			free(r->dovecot_listen);
			r->dovecot_listen = strdup(value);
		}
		mig_setting(r, MIG_SRC_DOVECOT, file, line, key, value, true);
		return;
	}
	struct section *s = &d->sec[d->depth - 1];
	if (strcmp(s->type, "passdb") == 0 || strcmp(s->type, "userdb") == 0) {
		if (strcmp(key, "driver") == 0)
			snprintf(s->driver, sizeof(s->driver), "%s", value);
		else if (strcmp(key, "args") == 0)
			snprintf(s->args, sizeof(s->args), "%s", value);
		else
			mig_add(r, file, line, MIG_ATTENTION, key, value, "passdb/userdb option: not carried over, review");
		return;
	}
	if (strstr(s->type, "_listener") && listener_key(s, key, value))
		return;
	char name[320];
	snprintf(name, sizeof(name), "%s/%s", d->sec[0].type, key);
	const struct mig_rule *rule;
	struct mig_judgement j;
	mig_judge(MIG_SRC_DOVECOT, name, value, &rule, &j);
	snprintf(name, sizeof(name), "%s%s%s/%s", s->type, s->name[0] ? " " : "", s->name, key);
	mig_add(r, file, line, j.verdict, name, value, j.note);
	free(j.value);
}

static void statement(struct dv *d, const char *file, unsigned line, char *t, int depth)
{
	size_t n = strlen(t);
	if (strncmp(t, "!include_try", 12) == 0 && (t[12] == ' ' || t[12] == '\t'))
		return skipping(d) ? (void)0 : include(d, file, line, t + 12, true, depth);
	if (strncmp(t, "!include", 8) == 0 && (t[8] == ' ' || t[8] == '\t'))
		return skipping(d) ? (void)0 : include(d, file, line, t + 8, false, depth);
	if (strcmp(t, "}") == 0)
		return close_section(d, file, line);
	char *eq = strchr(t, '=');
	if (t[n - 1] == '{' && (eq == NULL || strchr(eq, '{') == &t[n - 1])) {
		t[n - 1] = '\0';
		if (eq == NULL)
			return open_section(d, file, line, mig_trim(t));
	}
	if (eq && eq != t) {
		*eq = '\0';
		char *key = mig_trim(t), *value = unquote(mig_trim(eq + 1));
		if (*key && !strpbrk(key, " \t"))
			return setting(d, file, line, key, value);
		*eq = '=';
	}
	if (!skipping(d))
		mig_add(d->r, file, line, MIG_ATTENTION, t, "", "not a Dovecot setting line: Dovecot would refuse to start");
}

static bool on_stack(struct dv *d, const char *real)
{
	for (int i = 0; i < d->nopen; i++)
		if (strcmp(d->open[i], real) == 0)
			return true;
	return false;
}

static void read_lines(struct dv *d, FILE *f, const char *path, int depth)
{
	char *buf = NULL, *logical = NULL;
	size_t cap = 0, len, llen = 0;
	unsigned lineno = 0, start = 0;
	for (char *line; (line = mig_getline(f, &buf, &cap, &len)) != NULL;) {
		lineno++;
		if (logical == NULL)
			start = lineno;
		bool more = len > 0 && line[len - 1] == '\\';
		if (more)
			line[--len] = '\0';
		if (llen + len + 2 > MIG_MAX_LINE) {
			mig_add(d->r, path, start, MIG_ATTENTION, "(line)", "", "logical line longer than 4 MiB: not read");
			free(logical);
			logical = NULL;
			llen = 0;
			continue;
		}
		char *grown = realloc(logical, llen + len + 2);
		if (grown == NULL)
			break;
		logical = grown;
		if (llen)
			logical[llen++] = ' ';
		memcpy(logical + llen, line, len);
		llen += len;
		logical[llen] = '\0';
		if (more)
			continue;
		cut_comment(logical);
		char *t = mig_trim(logical);
		if (*t)
			statement(d, path, start, t, depth);
		free(logical);
		logical = NULL;
		llen = 0;
	}
	free(logical);
	free(buf);
}

static int read_file(struct dv *d, const char *path, int depth)
{
	char real[PATH_MAX];
	if (realpath(path, real) == NULL)
		return -1;
	if (on_stack(d, real)) {
		mig_add(d->r, path, 0, MIG_ATTENTION, "!include", path, "include loop: skipped");
		return 0;
	}
	if (depth > MIG_MAX_DEPTH || d->r->files_read >= MIG_MAX_FILES) {
		mig_add(d->r, path, 0, MIG_ATTENTION, "!include", path,
			"includes nested too deep or too many files: skipped");
		return 0;
	}
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	d->r->files_read++;
	d->open[d->nopen++] = real;
	read_lines(d, f, path, depth);
	d->nopen--;
	fclose(f);
	return 0;
}

int mig_read_dovecot(struct mig_report *r, const char *path)
{
	struct dv d = { .r = r };
	int rc = read_file(&d, path, 0);
	if (rc < 0)
		mig_add(r, path, 0, MIG_ATTENTION, "(file)", "", strerror(errno));
	while (d.depth > 0) {
		struct section *s = &d.sec[d.depth - 1];
		mig_add(r, s->file, s->line, MIG_ATTENTION, s->type, s->name,
			"section not closed: Dovecot would refuse to start");
		free(s->file);
		d.depth--;
	}
	for (int i = 0; i < d.nsql; i++)
		free(d.sql[i]);
	return rc;
}
