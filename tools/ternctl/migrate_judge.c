/* migrate_judge: the value-dependent verdicts of migrate_table.c: map
 * lists (mysql:/texthash: as is, hash: files as texthash:), transports,
 * mynetworks, restrictions, SASL mechanisms and the like.
 * Invariants: a judge only lowers or refines the row's verdict; notes are
 * static strings or note_buf (one judgement at a time: ternctl is single
 * threaded and mig_setting copies the note at once). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "migrate.h"

static char note_buf[512]; /* for notes built from the value (one at a time) */

static const char *const words_sep = ", \t";

/* Calls fn on each comma/space separated word of value; stops on false. */
static void each_word(const char *value, bool (*fn)(const char *w, size_t n, void *arg), void *arg)
{
	for (const char *p = value; *p;) {
		p += strspn(p, words_sep);
		size_t n = strcspn(p, words_sep);
		if (n == 0 || !fn(p, n, arg))
			return;
		p += n;
	}
}

static bool word_is(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp(w, s, n) == 0;
}

static bool prefix_is(const char *w, size_t n, const char *s)
{
	size_t l = strlen(s);
	return n >= l && strncasecmp(w, s, l) == 0;
}

struct maps_ctx {
	enum mig_verdict v;
	bool proxy;
	char bad[64];
	char out[4096];
	bool overflow;
};

static bool maps_word(const char *w, size_t n, void *arg)
{
	struct maps_ctx *c = arg;
	static const char *const hashed[] = { "hash:", "btree:", "lmdb:", "cdb:", "dbm:", "sdbm:" };
	const char *item = w;
	size_t len = n;
	if (prefix_is(item, len, "proxy:")) {
		c->proxy = true;
		item += 6;
		len -= 6;
	}
	const char *type = "";
	for (size_t i = 0; i < sizeof(hashed) / sizeof(hashed[0]); i++)
		if (prefix_is(item, len, hashed[i])) {
			size_t tl = strlen(hashed[i]);
			item += tl;
			len -= tl;
			type = "texthash:";
			if (c->v == MIG_SAME)
				c->v = MIG_MAPPED;
		}
	const char *colon = memchr(item, ':', len);
	if (!*type && colon && !prefix_is(item, len, "mysql:") && !prefix_is(item, len, "texthash:")) {
		snprintf(c->bad, sizeof(c->bad), "%.*s", (int)(colon - item + 1), item);
		c->v = MIG_ATTENTION;
		return false;
	}
	size_t used = strlen(c->out);
	if (used + len + 16 >= sizeof(c->out))
		c->overflow = true;
	else
		snprintf(c->out + used, sizeof(c->out) - used, "%s%s%.*s", used ? ", " : "", type,
			 (int)len, item);
	return true;
}

void mig_judge_maps(const struct mig_rule *rule, const char *value,
		    struct mig_judgement *j)
{
	(void)rule;
	struct maps_ctx c = { .v = MIG_SAME };
	each_word(value, maps_word, &c);
	j->verdict = c.v;
	if (c.v == MIG_ATTENTION) {
		snprintf(note_buf, sizeof(note_buf),
			 "tern reads mysql: and texthash: tables; %s tables are not supported",
			 c.bad);
	} else if (c.v == MIG_MAPPED && !c.overflow) {
		j->value = strdup(c.out);
		snprintf(note_buf, sizeof(note_buf), "tern reads the source text of hash-type files "
			 "(texthash:), no postmap needed%s",
			 c.proxy ? "; proxy: is not needed: tern pools connections itself" : "");
	} else {
		snprintf(note_buf, sizeof(note_buf), "tern reads these tables as they are%s",
			 c.proxy ? " (the proxy: prefix is fine: tern pools connections itself)" : "");
	}
	j->note = note_buf;
}

void mig_judge_unset_ignored(const struct mig_rule *rule, const char *value,
		     struct mig_judgement *j)
{
	(void)rule;
	if (value[0] == '\0') {
		j->verdict = MIG_IGNORED;
		j->note = "empty: nothing to carry over";
	}
}

void mig_judge_transport(const struct mig_rule *rule, const char *value,
		     struct mig_judgement *j)
{
	(void)rule;
	if (strncmp(value, "lmtp:", 5) == 0 || strcmp(value, "dovecot") == 0 ||
	    strcmp(value, "virtual") == 0) {
		j->verdict = MIG_MAPPED;
		j->note = "tern's queue delivers through its own lmtpd into mail_location; no socket to configure";
	} else if (value[0] == '\0') {
		j->verdict = MIG_IGNORED;
		j->note = "empty: nothing to carry over";
	} else {
		j->verdict = MIG_ATTENTION;
		j->note = "delivery through another transport: tern delivers only through its own lmtpd";
	}
}

static bool loopback_word(const char *w, size_t n, void *arg)
{
	bool *all = arg;
	if (!(prefix_is(w, n, "127.") || prefix_is(w, n, "[::1]") || prefix_is(w, n, "::1") ||
	      prefix_is(w, n, "[::ffff:127.")))
		*all = false;
	return *all;
}

void mig_judge_mynetworks(const struct mig_rule *rule, const char *value,
		     struct mig_judgement *j)
{
	(void)rule;
	bool all = true;
	each_word(value, loopback_word, &all);
	if (all) {
		j->verdict = MIG_IGNORED;
		j->note = "loopback only: nothing to carry over";
	}
}

void mig_judge_sasl_type(const struct mig_rule *rule, const char *value,
		     struct mig_judgement *j)
{
	(void)rule;
	if (strcmp(value, "dovecot") != 0) {
		j->verdict = MIG_ATTENTION;
		j->note = "tern's smtpd authenticates through its own authd (Dovecot's protocol), not Cyrus SASL";
	}
}

static bool mech_word(const char *w, size_t n, void *arg)
{
	bool *ok = arg;
	if (!word_is(w, n, "plain") && !word_is(w, n, "login"))
		*ok = false;
	return *ok;
}

void mig_judge_mechanisms(const struct mig_rule *rule, const char *value,
		     struct mig_judgement *j)
{
	(void)rule;
	bool ok = true;
	each_word(value, mech_word, &ok);
	if (!ok) {
		j->verdict = MIG_ATTENTION;
		j->note = "tern offers plain and login only; the other mechanisms would be dropped";
	}
}

static bool restriction_word(const char *w, size_t n, void *arg)
{
	static const char *const known[] = {
		"permit_mynetworks", "permit_sasl_authenticated", "reject_unauth_destination",
		"reject", "permit", "defer_unauth_destination", "reject_unauth_pipelining",
		"reject_non_fqdn_recipient", "reject_non_fqdn_sender", "reject_unknown_recipient_domain",
		"reject_unknown_sender_domain", "reject_unlisted_recipient", "reject_non_fqdn_helo_hostname",
		"reject_invalid_helo_hostname", "reject_invalid_hostname", "permit_auth_destination",
	};
	char *bad = arg;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (word_is(w, n, known[i]))
			return true;
	snprintf(bad, 64, "%.*s", (int)(n < 60 ? n : 60), w);
	return false;
}

void mig_judge_restrictions(const struct mig_rule *rule, const char *value,
		     struct mig_judgement *j)
{
	(void)rule;
	char bad[64] = "";
	each_word(value, restriction_word, bad);
	if (bad[0]) {
		j->verdict = MIG_ATTENTION;
		snprintf(note_buf, sizeof(note_buf),
			 "tern's smtpd has a fixed policy (our domains for everyone, relay after "
			 "login); %s is not carried over: review", bad);
		j->note = note_buf;
	}
}

void mig_judge_static_id(const struct mig_rule *rule, const char *value,
		     struct mig_judgement *j)
{
	(void)rule;
	if (strncmp(value, "static:", 7) == 0 && value[7]) {
		j->value = strdup(value + 7);
	} else {
		j->verdict = MIG_ATTENTION;
		j->note = "only static:N maps to tern's mail_uid/mail_gid; per-user ids come from the directory";
	}
}

void mig_judge_strip_lt(const struct mig_rule *rule, const char *value,
		     struct mig_judgement *j)
{
	(void)rule;
	if (value[0] == '<')
		j->value = strdup(value + 1 + strspn(value + 1, " \t"));
}

void mig_judge_sql_driver(const struct mig_rule *rule, const char *value,
		     struct mig_judgement *j)
{
	(void)rule;
	if (strcmp(value, "mysql") != 0) {
		j->verdict = MIG_ATTENTION;
		j->note = "tern's SQL backend speaks MySQL/MariaDB only";
	}
}

static bool plugin_word(const char *w, size_t n, void *arg)
{
	bool *any = arg;
	if (!word_is(w, n, "$mail_plugins") && !word_is(w, n, "${mail_plugins}"))
		*any = true;
	return !*any;
}

void mig_judge_plugins(const struct mig_rule *rule, const char *value,
		     struct mig_judgement *j)
{
	(void)rule;
	bool any = false;
	each_word(value, plugin_word, &any);
	if (!any) {
		j->verdict = MIG_IGNORED;
		j->note = "no plugins";
	}
}

static bool proto_word(const char *w, size_t n, void *arg)
{
	bool *ok = arg;
	if (!word_is(w, n, "imap") && !word_is(w, n, "pop3") && !word_is(w, n, "lmtp") &&
	    !word_is(w, n, "none") && !word_is(w, n, "$protocols"))
		*ok = false;
	return *ok;
}

void mig_judge_protocols(const struct mig_rule *rule, const char *value,
		     struct mig_judgement *j)
{
	(void)rule;
	bool ok = true;
	each_word(value, proto_word, &ok);
	if (!ok) {
		j->verdict = MIG_ATTENTION;
		j->note = "tern has imapd, pop3d and lmtpd: other protocols (sieve, submission) are not served";
	}
}

void mig_judge_yes(const struct mig_rule *rule, const char *value,
		   struct mig_judgement *j)
{
	(void)rule;
	if (strcasecmp(value, "yes") != 0) {
		j->verdict = MIG_IGNORED;
		j->note = "off (the default)";
	}
}
