/* migrate_postfix: reads main.cf (key = value, # comment lines, indented
 * lines continue the previous one, $var references kept as written) and
 * master.cf (service lines, indented -o overrides) for "migrate check".
 * Invariants: every logical line yields exactly one report item (garbage
 * included); a logical line longer than MIG_MAX_LINE is reported, not kept. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

struct logical {
	char *text;
	size_t len, cap;
	unsigned start;
	bool too_long, active;
};

static void logical_set(struct logical *l, const char *s, unsigned lineno, bool append)
{
	size_t n = strlen(s);
	if (!append) {
		l->len = 0;
		l->too_long = false;
		l->start = lineno;
		l->active = true;
	}
	if (l->too_long || l->len + n + 2 > MIG_MAX_LINE) {
		l->too_long = true;
		return;
	}
	if (l->len + n + 2 > l->cap) {
		size_t ncap = (l->len + n + 2) * 2;
		char *t = realloc(l->text, ncap);
		if (t == NULL) {
			l->too_long = true;
			return;
		}
		l->text = t;
		l->cap = ncap;
	}
	if (append && l->len)
		l->text[l->len++] = ' ';
	memcpy(l->text + l->len, s, n + 1);
	l->len += n;
}

static void main_flush(struct mig_report *r, const char *path, struct logical *l)
{
	if (!l->active)
		return;
	l->active = false;
	if (l->too_long) {
		mig_add(r, path, l->start, MIG_ATTENTION, "(line)", "",
			"logical line longer than 4 MiB: not read");
		return;
	}
	char *eq = strchr(l->text, '=');
	char *name = eq ? (*eq = '\0', mig_trim(l->text)) : NULL;
	if (name == NULL || *name == '\0' || strpbrk(name, " \t")) {
		if (eq)
			*eq = '=';
		mig_add(r, path, l->start, MIG_ATTENTION, l->text, "",
			"not a 'name = value' line: Postfix would refuse to start");
		return;
	}
	char *value = mig_trim(eq + 1);
	if (strcmp(name, "inet_interfaces") == 0) {
		free(r->inet_interfaces);
		r->inet_interfaces = strdup(value);
	}
	mig_setting(r, MIG_SRC_POSTFIX, path, l->start, name, value, true);
}

static FILE *open_report(struct mig_report *r, const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		mig_add(r, path, 0, MIG_ATTENTION, "(file)", "", strerror(errno));
		return NULL;
	}
	r->files_read++;
	return f;
}

int mig_read_main_cf(struct mig_report *r, const char *path)
{
	FILE *f = open_report(r, path);
	if (f == NULL)
		return -1;
	struct logical l = { 0 };
	char *buf = NULL;
	size_t cap = 0, len;
	unsigned lineno = 0;
	for (char *line; (line = mig_getline(f, &buf, &cap, &len)) != NULL;) {
		lineno++;
		char *t = mig_trim(line);
		if (*t == '\0' || *t == '#')
			continue;
		if (t == line) {
			main_flush(r, path, &l);
			logical_set(&l, t, lineno, false);
		} else if (l.active) {
			logical_set(&l, t, lineno, true);
		} else {
			mig_add(r, path, lineno, MIG_ATTENTION, t, "",
				"indented line with no setting before it: Postfix would refuse to start");
		}
	}
	main_flush(r, path, &l);
	free(l.text);
	free(buf);
	fclose(f);
	return 0;
}

/* ---- master.cf */

struct entry {
	char service[128], type[16], command[64];
	unsigned line;
	bool active, pending_o;
};

static const char *const internal[] = {
	"pickup", "cleanup", "qmgr", "oqmgr", "tlsmgr", "trivial-rewrite", "bounce", "showq",
	"flush", "smtp", "error", "discard", "local", "virtual", "lmtp", "anvil", "scache",
	"postlogd", "proxymap", "verify", "tlsproxy", "dnsblog", "retry",
};

static int port_of(const char *service, char *host, size_t hsize)
{
	static const struct { const char *name; int port; } known[] = {
		{ "smtp", 25 }, { "submission", 587 }, { "smtps", 465 }, { "submissions", 465 },
	};
	const char *colon = strrchr(service, ':');
	const char *p = colon ? colon + 1 : service;
	snprintf(host, hsize, "%.*s", colon ? (int)(colon - service) : 0, service);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(p, known[i].name) == 0)
			return known[i].port;
	char *end;
	long n = strtol(p, &end, 10);
	return *p && *end == '\0' && n > 0 && n < 65536 ? (int)n : -1;
}

static void add_port(char **list, const char *host, int port)
{
	char item[160], *n = NULL;
	snprintf(item, sizeof(item), "%s%s%d", host, host[0] ? ":" : "", port);
	if (asprintf(&n, "%s%s%s", *list ? *list : "", *list ? " " : "", item) < 0)
		return;
	free(*list);
	*list = n;
}

static void judge_inet(struct mig_report *r, const char *path, struct entry *e, const char *value)
{
	char host[128], note[256];
	int port = port_of(e->service, host, sizeof(host));
	const char *svc = port == 25 ? "smtpd" : "submission";
	const char *name = port == 25 ? "smtp" : port == 587 ? "submission" : "submissions";
	char **list = port == 25 ? &r->smtp_ports :
		      port == 587 ? &r->submission_ports : &r->submissions_ports;
	bool smtp_port = port == 25 || port == 587 || port == 465;
	if (strcmp(e->command, "postscreen") == 0 && smtp_port) {
		add_port(list, host, port);
		mig_add(r, path, e->line, MIG_ATTENTION, e->service, value,
			"postscreen: tern has no pre-greet screening (yet); its smtpd takes port 25 itself");
	} else if (strcmp(e->command, "smtpd") == 0 && smtp_port) {
		add_port(list, host, port);
		snprintf(note, sizeof(note), "service %s { listen = %s inet:%s:%d }%s", svc, name,
			 host[0] ? host : "ADDR", port, port == 465 ? " (implicit TLS)" : "");
		mig_add(r, path, e->line, MIG_MAPPED, e->service, value, note);
	} else if (strcmp(e->command, "smtpd") == 0) {
		mig_add(r, path, e->line, MIG_ATTENTION, e->service, value,
			"extra SMTP listener (a content filter's re-injection port?): tern has no content filter (yet)");
	} else {
		mig_add(r, path, e->line, MIG_ATTENTION, e->service, value,
			"network service tern does not have");
	}
}

static void entry_judge(struct mig_report *r, const char *path, struct entry *e)
{
	char value[160];
	snprintf(value, sizeof(value), "%s %s", e->type, e->command);
	if (strcmp(e->type, "inet") == 0)
		return judge_inet(r, path, e, value);
	for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
		if (strcmp(e->command, internal[i]) == 0)
			return mig_add(r, path, e->line, MIG_IGNORED, e->service, value,
				       "Postfix internal service: tern's master and queue have their own");
	if (strcmp(e->command, "smtpd") == 0)
		mig_add(r, path, e->line, MIG_IGNORED, e->service, value,
			"smtpd behind postscreen: tern's smtpd takes port 25 itself");
	else if (strcmp(e->command, "pipe") == 0)
		mig_add(r, path, e->line, MIG_ATTENTION, e->service, value,
			"pipe to an external program (vacation, dovecot-lda, a filter): tern does not run delivery programs (yet)");
	else if (strcmp(e->command, "spawn") == 0)
		mig_add(r, path, e->line, MIG_ATTENTION, e->service, value,
			"policy service or helper program: tern has none (yet)");
	else
		mig_add(r, path, e->line, MIG_ATTENTION, e->service, value, "unknown to tern");
}

static void override(struct mig_report *r, const char *path, unsigned line, struct entry *e,
		     const char *tok)
{
	char name[256], shown[400], note[512];
	const char *eq = strchr(tok, '=');
	if (eq == NULL || eq == tok) {
		snprintf(shown, sizeof(shown), "%s -o", e->service);
		mig_add(r, path, line, MIG_ATTENTION, shown, tok,
			"not a name=value override: Postfix would refuse it");
		return;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - tok), tok);
	snprintf(shown, sizeof(shown), "%s -o %s", e->service, name);
	const struct mig_rule *rule;
	struct mig_judgement j;
	mig_judge(MIG_SRC_POSTFIX, name, eq + 1, &rule, &j);
	snprintf(note, sizeof(note), "%s (for %s only)", j.note, e->service);
	mig_add(r, path, line, j.verdict, shown, eq + 1, note);
	free(j.value);
}

static void master_tokens(struct mig_report *r, const char *path, unsigned line,
			  struct entry *e, char *rest)
{
	char *save = NULL;
	for (char *tok = strtok_r(rest, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (e->pending_o) {
			e->pending_o = false;
			override(r, path, line, e, tok);
		} else if (strcmp(tok, "-o") == 0) {
			e->pending_o = true;
		} else if (strncmp(tok, "-o", 2) == 0) {
			override(r, path, line, e, tok + 2);
		}
	}
}

static void master_line(struct mig_report *r, const char *path, unsigned lineno,
			struct entry *e, char *t, bool indented)
{
	if (indented) {
		if (!e->active)
			mig_add(r, path, lineno, MIG_ATTENTION, t, "",
				"indented line with no service before it: Postfix would refuse it");
		else
			master_tokens(r, path, lineno, e, t);
		return;
	}
	char *f[8], *save = NULL;
	int n = 0;
	char copy[512];
	snprintf(copy, sizeof(copy), "%s", t);
	for (char *tok = strtok_r(t, " \t", &save); tok && n < 8; tok = strtok_r(NULL, " \t", &save))
		f[n++] = tok;
	e->active = n == 8;
	if (!e->active) {
		mig_add(r, path, lineno, MIG_ATTENTION, copy, "",
			"not a master.cf service line: Postfix would refuse it");
		return;
	}
	snprintf(e->service, sizeof(e->service), "%s", f[0]);
	snprintf(e->type, sizeof(e->type), "%s", f[1]);
	snprintf(e->command, sizeof(e->command), "%s", f[7]);
	e->line = lineno;
	e->pending_o = false;
	entry_judge(r, path, e);
	char *rest = save && *save ? save : NULL;
	if (rest)
		master_tokens(r, path, lineno, e, rest);
}

int mig_read_master_cf(struct mig_report *r, const char *path)
{
	FILE *f = open_report(r, path);
	if (f == NULL)
		return -1;
	struct entry e = { 0 };
	char *buf = NULL;
	size_t cap = 0, len;
	unsigned lineno = 0;
	for (char *line; (line = mig_getline(f, &buf, &cap, &len)) != NULL;) {
		lineno++;
		char *t = mig_trim(line);
		if (*t == '\0' || *t == '#')
			continue;
		master_line(r, path, lineno, &e, t, t != line);
	}
	free(buf);
	fclose(f);
	return 0;
}
