/* migrate: "ternctl migrate check [POSTFIX_DIR] [DOVECOT_DIR]": reads the
 * old install, prints one line per setting ("<file>:<line>: <verdict>:
 * <setting> = <value> -> <what tern does>") and a count per verdict to the
 * report stream (stderr), and the suggested tern.conf to stdout, so
 * "ternctl migrate check > tern.conf.new" keeps only the config.
 * Exit 0 = report made, 2 = main.cf or dovecot.conf unreadable. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"
#include "ternctl.h"

int mig_read_dovecot_sql(struct mig_report *r, const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		mig_add(r, path, 0, MIG_ATTENTION, "(file)", "",
			"cannot read the SQL file: tern's authd must be able to");
		return -1;
	}
	r->files_read++;
	char *buf = NULL, *logical = NULL;
	size_t cap = 0, len, llen = 0;
	unsigned lineno = 0, start = 0;
	for (char *line; (line = mig_getline(f, &buf, &cap, &len)) != NULL;) {
		lineno++;
		start = logical ? start : lineno;
		bool more = len > 0 && line[len - 1] == '\\';
		if (more)
			line[--len] = '\0';
		char *grown = llen + len + 2 > MIG_MAX_LINE ? NULL : realloc(logical, llen + len + 2);
		if (grown == NULL) {
			mig_add(r, path, start, MIG_ATTENTION, "(line)", "", "logical line longer than 4 MiB: not read");
			free(logical);
			logical = NULL;
			llen = 0;
			continue;
		}
		logical = grown;
		llen += (size_t)sprintf(logical + llen, "%s%s", llen ? " " : "", line);
		if (more)
			continue;
		char *t = mig_trim(logical), *eq = strchr(t, '=');
		if (*t && *t != '#') {
			if (eq && eq != t) {
				*eq = '\0';
				mig_setting(r, MIG_SRC_SQL, path, start, mig_trim(t), mig_trim(eq + 1), false);
			} else {
				mig_add(r, path, start, MIG_ATTENTION, t, "", "not a 'name = value' line");
			}
		}
		free(logical);
		logical = NULL;
		llen = 0;
	}
	free(logical);
	free(buf);
	fclose(f);
	return 0;
}

/* Addresses for listen lines: "*" unless an interfaces list names some. */
static size_t addresses(const char *spec, char addr[][80], size_t max)
{
	size_t n = 0;
	if (spec == NULL || strcmp(spec, "all") == 0 || spec[0] == '\0' || strchr(spec, '$')) {
		strcpy(addr[0], "*");
		return 1;
	}
	if (strcmp(spec, "loopback-only") == 0 || strcmp(spec, "localhost") == 0) {
		strcpy(addr[0], "127.0.0.1");
		return 1;
	}
	for (const char *p = spec; *p && n < max;) {
		p += strspn(p, ", \t");
		size_t len = strcspn(p, ", \t");
		if (len == 0)
			break;
		bool v6 = memchr(p, ':', len) && p[0] != '[';
		bool any = (len == 1 && p[0] == '*') || (len == 2 && strncmp(p, "::", 2) == 0);
		if (any)
			snprintf(addr[n], 80, "*");
		else
			snprintf(addr[n], 80, "%s%.*s%s", v6 ? "[" : "", (int)(len < 70 ? len : 70), p,
				 v6 ? "]" : "");
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup |= strcmp(addr[i], addr[n]) == 0;
		n += !dup;
		p += len;
	}
	if (n == 0)
		strcpy(addr[n++], "*");
	return n;
}

static void listen_lines(struct mig_report *r, const char *svc, const char *name,
			 const char *ports, const char *spec)
{
	char addr[8][80], value[1024];
	size_t n = addresses(spec, addr, 8);
	for (const char *p = ports; p && *p;) {
		p += strspn(p, " ");
		size_t len = strcspn(p, " ");
		if (len == 0)
			break;
		const char *colon = memrchr(p, ':', len);
		for (size_t i = 0; i < (colon ? 1 : n); i++) {
			if (colon)
				snprintf(value, sizeof(value), "%s inet:%.*s", name, (int)len, p);
			else
				snprintf(value, sizeof(value), "%s inet:%s:%.*s", name, addr[i], (int)len, p);
			mig_snip_add(r, svc, "listen", value, NULL);
		}
		p += len;
	}
}

void mig_report_finish(struct mig_report *r)
{
	listen_lines(r, "smtpd", "smtp", r->smtp_ports, r->inet_interfaces);
	listen_lines(r, "submission", "submission", r->submission_ports, r->inet_interfaces);
	listen_lines(r, "submission", "submissions", r->submissions_ports, r->inet_interfaces);
	if (!r->protocols_seen)
		r->proto_imap = r->proto_pop3 = r->proto_lmtp = true; /* Dovecot's default */
	static const struct { const char *svc, *name; size_t off; int proto; } d[] = {
		{ "imapd", "imap", offsetof(struct mig_report, port_imap), 0 },
		{ "imapd", "imaps", offsetof(struct mig_report, port_imaps), 0 },
		{ "pop3d", "pop3", offsetof(struct mig_report, port_pop3), 1 },
		{ "pop3d", "pop3s", offsetof(struct mig_report, port_pop3s), 1 },
	};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		int port = *(const int *)((const char *)r + d[i].off);
		if (port <= 0 || !(d[i].proto ? r->proto_pop3 : r->proto_imap))
			continue;
		char p[16];
		snprintf(p, sizeof(p), "%d", port);
		listen_lines(r, d[i].svc, d[i].name, p, r->dovecot_listen);
	}
	if (r->proto_lmtp)
		mig_snip(r, "lmtpd", "enabled", "yes", NULL);
}

static void print_snip(FILE *out, const struct mig_snip *s, const char *indent)
{
	if (s->comment)
		fprintf(out, "%s# %s:\n%s# %s = %s\n", indent, s->comment, indent, s->key, s->value);
	else
		fprintf(out, "%s%s = %s\n", indent, s->key, s->value);
}

void mig_report_print(const struct mig_report *r, FILE *report, FILE *snippet)
{
	for (size_t i = 0; i < r->count; i++) {
		const struct mig_item *it = &r->items[i];
		fprintf(report, "%s:%u: %s: %s = %s -> %s\n", it->file, it->line,
			mig_verdict_name(it->verdict), it->setting, it->value, it->note);
	}
	fprintf(report, "summary: %u same, %u mapped, %u attention, %u ignored%s\n",
		r->counts[MIG_SAME], r->counts[MIG_MAPPED], r->counts[MIG_ATTENTION],
		r->counts[MIG_IGNORED], r->oom ? " (out of memory: report incomplete)" : "");
	fprintf(snippet, "# tern.conf suggested by ternctl migrate check %s %s\n", r->postfix_dir,
		r->dovecot_dir);
	for (size_t i = 0; i < r->snip_count; i++)
		if (r->snips[i].service == NULL)
			print_snip(snippet, &r->snips[i], "");
	for (size_t i = 0; i < r->snip_count; i++) {
		const char *svc = r->snips[i].service;
		bool first = svc != NULL;
		for (size_t k = 0; first && k < i; k++)
			first = !(r->snips[k].service && strcmp(r->snips[k].service, svc) == 0);
		if (!first)
			continue;
		fprintf(snippet, "service %s {\n", svc);
		for (size_t k = i; k < r->snip_count; k++)
			if (r->snips[k].service && strcmp(r->snips[k].service, svc) == 0)
				print_snip(snippet, &r->snips[k], "\t");
		fprintf(snippet, "}\n");
	}
}

int mig_check(struct mig_report *r)
{
	char main_cf[4096], master_cf[4096], dovecot_conf[4096];
	snprintf(main_cf, sizeof(main_cf), "%s/main.cf", r->postfix_dir);
	snprintf(master_cf, sizeof(master_cf), "%s/master.cf", r->postfix_dir);
	snprintf(dovecot_conf, sizeof(dovecot_conf), "%s/dovecot.conf", r->dovecot_dir);
	int rc = mig_read_main_cf(r, main_cf);
	mig_read_master_cf(r, master_cf);
	if (mig_read_dovecot(r, dovecot_conf) < 0)
		rc = -1;
	mig_report_finish(r);
	return rc;
}

int ctl_migrate_check(int argc, char **argv)
{
	struct mig_report r;
	mig_report_init(&r, argc > 0 ? argv[0] : "/etc/postfix", argc > 1 ? argv[1] : "/etc/dovecot");
	int rc = mig_check(&r);
	mig_report_print(&r, stderr, stdout);
	if (rc < 0)
		fprintf(stderr, "ternctl: cannot read %s/main.cf or %s/dovecot.conf\n", r.postfix_dir,
			r.dovecot_dir);
	mig_report_free(&r);
	return rc < 0 ? 2 : 0;
}
