/* rcpt: smtpd's recipient policy. After the engine's syntax checks (a
 * source route is already dropped, so "@ours:user@other" is judged by
 * "other"): the domain must be ours (authd map "domain"), else 554 5.7.1
 * relay denied; a local part holding '@', '%' or '!' (percent hack, bang
 * path, quoted "a@b") is a routing attempt and is refused the same way, 554
 * 5.7.1, as Postfix's allow_percent_hack=no / swap_bangpath=no leave no way
 * to deliver it; then the address must resolve (map "resolve"): 250 2.1.5,
 * 550 5.1.1 unknown, or 451 4.3.0 when the directory cannot answer.
 * Invariants: one lookup in flight per session, cancelled when it closes. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp_parse.h"
#include "smtpd.h"

static void lookup_done(enum dirc_result r, const char *value, void *ctx);

static void reply(struct smtpd_session *ss, int code, const char *enh, const char *text)
{
	if (code >= 400)
		smtpd_log_reject(ss, ss->cur_addr, code, text);
	free(ss->cur_addr);
	free(ss->cur_orcpt);
	free(ss->cur_notify);
	free(ss->cur_key);
	ss->cur_addr = ss->cur_orcpt = ss->cur_notify = ss->cur_key = NULL;
	smtp_reply(ss->s, code, enh, "%s", text);
}

static void accept_rcpt(struct smtpd_session *ss)
{
	if (ss->nrcpt == ss->rcpt_cap) {
		size_t cap = ss->rcpt_cap ? ss->rcpt_cap * 2 : 8;
		struct smtpd_rcpt *n = realloc(ss->rcpts, cap * sizeof(*n));
		if (!n) {
			reply(ss, 452, "4.3.0", "Error: out of memory");
			return;
		}
		ss->rcpts = n;
		ss->rcpt_cap = cap;
	}
	struct smtpd_rcpt *r = &ss->rcpts[ss->nrcpt++];
	r->address = ss->cur_addr;
	r->orcpt = ss->cur_orcpt;
	r->notify = ss->cur_notify;
	ss->cur_addr = ss->cur_orcpt = ss->cur_notify = NULL;
	reply(ss, 250, "2.1.5", "Ok");
}

static void lookup(struct smtpd_session *ss, const char *map, const char *key)
{
	smtpd_set_busy(ss, true);
	ss->req = dirclient_map(smtpd.dir, map, key, lookup_done, ss);
}

static void lookup_done(enum dirc_result r, const char *value, void *ctx)
{
	struct smtpd_session *ss = ctx;
	char text[512];
	bool domain_step = ss->cur_key != NULL;
	(void)value;
	ss->req = NULL;
	smtpd_set_busy(ss, false);
	if (r == DIRC_TEMP || r == DIRC_PERM) {
		snprintf(text, sizeof(text), "<%s>: Recipient address rejected: "
			 "Temporary lookup failure (directory unavailable)", ss->cur_addr);
		reply(ss, 451, "4.3.0", text);
	} else if (domain_step && r == DIRC_NOTFOUND) {
		snprintf(text, sizeof(text), "<%s>: Relay access denied", ss->cur_addr);
		reply(ss, 554, "5.7.1", text);
	} else if (domain_step) {
		char *key = ss->cur_key;
		ss->cur_key = NULL;
		lookup(ss, "resolve", key);
		free(key);
	} else if (r == DIRC_NOTFOUND) {
		snprintf(text, sizeof(text), "<%s>: Recipient address rejected: "
			 "User unknown in virtual mailbox table", ss->cur_addr);
		reply(ss, 550, "5.1.1", text);
	} else {
		accept_rcpt(ss);
	}
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void smtpd_check_rcpt(struct smtpd_session *ss, const struct smtp_rcpt *r)
{
	char local[SMTP_PATH_MAX + 1], domain[SMTP_DOMAIN_MAX + 1], text[512];
	ss->cur_addr = strdup(r->address);
	ss->cur_orcpt = dup_or_null(r->orcpt);
	ss->cur_notify = dup_or_null(r->notify);
	if (!ss->cur_addr) {
		reply(ss, 452, "4.3.0", "Error: out of memory");
		return;
	}
	if (strcasecmp(r->address, "postmaster") == 0) { /* RFC 5321 4.5.1 */
		snprintf(local, sizeof(local), "postmaster");
		snprintf(domain, sizeof(domain), "%s", smtpd.mydomain);
	} else if (smtp_addr_split(r->address, local, sizeof(local), domain, sizeof(domain)) < 0) {
		snprintf(text, sizeof(text), "<%s>: Recipient address rejected: bad address",
			 r->address);
		reply(ss, 501, "5.1.3", text);
		return;
	}
	for (char *p = domain; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strpbrk(local, "@%!") || domain[0] == '[') {
		snprintf(text, sizeof(text), "<%s>: Relay access denied", r->address);
		reply(ss, 554, "5.7.1", text);
		return;
	}
	size_t klen = strlen(local) + strlen(domain) + 2;
	if (!(ss->cur_key = malloc(klen))) {
		reply(ss, 452, "4.3.0", "Error: out of memory");
		return;
	}
	snprintf(ss->cur_key, klen, "%s@%s", local, domain);
	lookup(ss, "domain", domain);
}

void smtpd_rcpts_free(struct smtpd_session *ss)
{
	for (size_t i = 0; i < ss->nrcpt; i++) {
		free(ss->rcpts[i].address);
		free(ss->rcpts[i].orcpt);
		free(ss->rcpts[i].notify);
	}
	free(ss->rcpts);
	ss->rcpts = NULL;
	ss->nrcpt = ss->rcpt_cap = 0;
}
