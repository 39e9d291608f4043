/* migrate_report: the items of a migration check and the suggested
 * tern.conf snippet, plus the small text helpers the readers share.
 * Invariants: every string is copied in; shown values are truncated and
 * stripped of control bytes so a hostile file cannot garble the report;
 * allocation failure sets r->oom and drops the item, never crashes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate.h"

#define SHOW_MAX 160

void mig_report_init(struct mig_report *r, const char *postfix_dir, const char *dovecot_dir)
{
	memset(r, 0, sizeof(*r));
	r->postfix_dir = postfix_dir;
	r->dovecot_dir = dovecot_dir;
	r->port_imap = 143;
	r->port_imaps = 993;
	r->port_pop3 = 110;
	r->port_pop3s = 995;
}

void mig_report_free(struct mig_report *r)
{
	for (size_t i = 0; i < r->count; i++) {
		free(r->items[i].file);
		free(r->items[i].setting);
		free(r->items[i].value);
		free(r->items[i].note);
	}
	for (size_t i = 0; i < r->snip_count; i++) {
		free(r->snips[i].service);
		free(r->snips[i].key);
		free(r->snips[i].value);
		free(r->snips[i].comment);
	}
	free(r->items);
	free(r->snips);
	free(r->inet_interfaces);
	free(r->dovecot_listen);
	free(r->smtp_ports);
	free(r->submission_ports);
	free(r->submissions_ports);
	memset(r, 0, sizeof(*r));
}

/* A printable copy, at most max bytes of text plus "...". */
static char *shown(const char *s, size_t max)
{
	if (s == NULL)
		return NULL;
	size_t len = strlen(s), n = len > max ? max : len;
	char *out = malloc(n + 4);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	strcpy(out + n, len > max ? "..." : "");
	return out;
}

static bool grow(void **arr, size_t *cap, size_t count, size_t size)
{
	if (count < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 64;
	void *n = realloc(*arr, ncap * size);
	if (n == NULL)
		return false;
	*arr = n;
	*cap = ncap;
	return true;
}

void mig_add(struct mig_report *r, const char *file, unsigned line, enum mig_verdict v,
	     const char *setting, const char *value, const char *note)
{
	if (!grow((void **)&r->items, &r->cap, r->count, sizeof(*r->items))) {
		r->oom = true;
		return;
	}
	struct mig_item *it = &r->items[r->count];
	it->file = strdup(file);
	it->line = line;
	it->verdict = v;
	it->setting = shown(setting, 80);
	it->value = shown(value ? value : "", SHOW_MAX);
	it->note = strdup(note);
	if (!it->file || !it->setting || !it->value || !it->note) {
		free(it->file);
		free(it->setting);
		free(it->value);
		free(it->note);
		r->oom = true;
		return;
	}
	r->count++;
	r->counts[v]++;
}

static void snip_set(struct mig_snip *s, const char *service, const char *key,
		     const char *value, const char *comment)
{
	s->service = service ? strdup(service) : NULL;
	s->key = strdup(key);
	s->value = strdup(value);
	s->comment = comment ? strdup(comment) : NULL;
}

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

void mig_snip_add(struct mig_report *r, const char *service, const char *key,
		  const char *value, const char *comment)
{
	if (!grow((void **)&r->snips, &r->snip_cap, r->snip_count, sizeof(*r->snips))) {
		r->oom = true;
		return;
	}
	snip_set(&r->snips[r->snip_count++], service, key, value, comment);
}

void mig_snip(struct mig_report *r, const char *service, const char *key, const char *value,
	      const char *comment)
{
	for (size_t i = 0; i < r->snip_count; i++) {
		struct mig_snip *s = &r->snips[i];
		if (same_str(s->service, service) && strcmp(s->key, key) == 0) {
			free(s->service);
			free(s->key);
			free(s->value);
			free(s->comment);
			snip_set(s, service, key, value, comment);
			return;
		}
	}
	mig_snip_add(r, service, key, value, comment);
}

/* The first "$name" / "${name}" in value that tern.conf cannot expand. */
static bool unknown_ref(const char *value, char *name, size_t size)
{
	for (const char *p = strchr(value, '$'); p; p = strchr(p + 1, '$')) {
		const char *s = p + 1 + (p[1] == '{' || p[1] == '(');
		size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		if (p[1] == '$') {
			p++;
			continue;
		}
		snprintf(name, size, "%.*s", (int)(n < 60 ? n : 60), s);
		if (n == 0 || !mig_tern_has(name))
			return true;
	}
	return false;
}

enum mig_verdict mig_setting(struct mig_report *r, unsigned source, const char *file,
			     unsigned line, const char *name, const char *value, bool to_snippet)
{
	const struct mig_rule *rule;
	struct mig_judgement j;
	mig_judge(source, name, value, &rule, &j);
	const char *tern_value = j.value ? j.value : value;
	char note[512], ref[64];
	if (rule && rule->tern_key && (j.verdict == MIG_SAME || j.verdict == MIG_MAPPED) &&
	    source != MIG_SRC_SQL) {
		if (j.verdict == MIG_MAPPED)
			snprintf(note, sizeof(note), "%s = %s (%s)", rule->tern_key, tern_value,
				 j.note);
		else
			snprintf(note, sizeof(note), "%s", j.note);
		if (to_snippet)
			mig_snip(r, NULL, rule->tern_key, tern_value,
				 unknown_ref(tern_value, ref, sizeof(ref)) ?
					 "refers to a setting tern.conf does not have: write it out" :
					 NULL);
	} else {
		snprintf(note, sizeof(note), "%s", j.note);
	}
	mig_add(r, file, line, j.verdict, name, value, note);
	free(j.value);
	return j.verdict;
}

char *mig_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
			 s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

char *mig_getline(FILE *f, char **buf, size_t *cap, size_t *len_r)
{
	ssize_t n = getline(buf, cap, f);
	if (n < 0)
		return NULL;
	while (n > 0 && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r'))
		(*buf)[--n] = '\0';
	*len_r = (size_t)n;
	return *buf;
}

char *mig_locate(const struct mig_report *r, const char *path, const char *base_dir)
{
	static const struct { const char *prefix; int which; } roots[] = {
		{ "/etc/postfix/", 0 }, { "/etc/dovecot/", 1 },
	};
	char *out = NULL;
	if (path[0] != '/') {
		if (asprintf(&out, "%s/%s", base_dir, path) < 0)
			return NULL;
		return out;
	}
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		const char *dir = roots[i].which ? r->dovecot_dir : r->postfix_dir;
		size_t plen = strlen(roots[i].prefix);
		if (strncmp(path, roots[i].prefix, plen) != 0 ||
		    strncmp(dir, roots[i].prefix, plen - 1) == 0 ||
		    asprintf(&out, "%s/%s", dir, path + plen) < 0)
			continue;
		if (access(out, F_OK) == 0)
			return out; /* the copied tree's file */
		free(out);
		out = NULL;
	}
	return strdup(path);
}
