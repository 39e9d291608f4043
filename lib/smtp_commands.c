/* smtp_commands: the command table of the SMTP/LMTP engine, one small
 * handler per verb, and the MAIL/RCPT parameter checks.
 * Invariants: a line is copied into s->cmd before it is parsed in place,
 * so the strings handed to the backend stay valid until its reply; every
 * syntax or state error is a reply (counted by smtp_send_reply), never a
 * crash; a handler either replies or waits for the backend (smtp_wait). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "smtp_impl.h"

enum { C_HELO = 1, C_NOARG = 2, C_SMTP = 4, C_LMTP = 8 };

typedef void cmd_fn(struct smtp_session *s, char *arg);

#define R(code, enh, text) smtp_send_reply(s, code, enh, text)

static void cmd_ehlo(struct smtp_session *s, char *arg, bool esmtp)
{
	if (!arg[0]) {
		R(501, "5.5.4", s->set.mode == SMTP_MODE_LMTP ? "Syntax: LHLO hostname"
							       : "Syntax: EHLO hostname");
		return;
	}
	smtp_txn_reset(s);
	free(s->helo);
	s->helo = strdup(arg);
	s->esmtp = esmtp;
	s->state = s->helo ? SS_READY : SS_HELO;
	if (esmtp)
		smtp_ehlo_reply(s);
	else
		smtp_send_reply(s, 250, NULL, s->set.hostname);
}

void smtp_ehlo_reply(struct smtp_session *s)
{
	char text[1024];
	int n = snprintf(text, sizeof(text), "%s\nPIPELINING\n", s->set.hostname);
	if (s->set.message_size_limit)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "SIZE %llu\n",
			      (unsigned long long)s->set.message_size_limit);
	else
		n += snprintf(text + n, sizeof(text) - (size_t)n, "SIZE\n");
	if (s->set.tls && !conn_tls_active(s->conn))
		n += snprintf(text + n, sizeof(text) - (size_t)n, "STARTTLS\n");
	if (s->set.offer_auth)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "AUTH PLAIN LOGIN\n");
	for (const char *e = s->set.extra_extensions; e && *e;) { /* one per line */
		size_t len = strcspn(e, " ");
		if (len > 0 && len < 64)
			n += snprintf(text + n, sizeof(text) - (size_t)n, "%.*s\n", (int)len, e);
		e += len + (e[len] == ' ');
	}
	snprintf(text + n, sizeof(text) - (size_t)n,
		 "ENHANCEDSTATUSCODES\n8BITMIME\nDSN\nSMTPUTF8\nCHUNKING");
	smtp_send_reply(s, 250, NULL, text);
}

static void cmd_ehlo_esmtp(struct smtp_session *s, char *arg) { cmd_ehlo(s, arg, true); }
static void cmd_helo(struct smtp_session *s, char *arg) { cmd_ehlo(s, arg, false); }

static bool extra_extension(const struct smtp_session *s, const char *key)
{
	const char *e = s->set.extra_extensions;
	size_t klen = strlen(key);
	while (e && *e) {
		size_t n = strcspn(e, " ");
		if (n == klen && strncasecmp(e, key, n) == 0)
			return true;
		e += n + (e[n] == ' ');
	}
	return false;
}

/* SIZE=digits, at most 20 of them, without overflow. */
static int parse_size(const char *v, uint64_t *out)
{
	uint64_t n = 0;
	if (!v || !*v || strlen(v) > 20)
		return -1;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	*out = n;
	return 0;
}

/* MAIL parameters into mail; 0, or -1 after replying. */
static int mail_params(struct smtp_session *s, struct smtp_mail *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *k = s->params[i].key, *v = s->params[i].value;
		if (strcmp(k, "SIZE") == 0) {
			if (parse_size(v, &m->size) < 0)
				return R(501, "5.5.4", "Bad SIZE parameter"), -1;
		} else if (strcmp(k, "BODY") == 0) {
			if (!v || (strcasecmp(v, "7BIT") != 0 && strcasecmp(v, "8BITMIME") != 0))
				return R(501, "5.5.4", "Unsupported BODY parameter"), -1;
			m->body = v;
		} else if (strcmp(k, "SMTPUTF8") == 0 && !v) {
			m->smtputf8 = true;
		} else if (strcmp(k, "RET") == 0) {
			if (!v || (strcasecmp(v, "FULL") != 0 && strcasecmp(v, "HDRS") != 0))
				return R(501, "5.5.4", "Bad RET parameter"), -1;
			m->ret = v;
		} else if (strcmp(k, "ENVID") == 0) {
			if (!v || smtp_xtext_decode(v, s->envid, 101) < 0)
				return R(501, "5.5.4", "Bad ENVID parameter"), -1;
			m->envid = s->envid;
		} else if (!extra_extension(s, k)) {
			char text[96];
			snprintf(text, sizeof(text), "Unsupported option: %s", k);
			return R(555, "5.5.4", text), -1;
		}
	}
	if (m->size && s->set.message_size_limit && m->size > s->set.message_size_limit)
		return R(552, "5.3.4", "Message size exceeds fixed limit"), -1;
	return 0;
}

/* Parse "FROM:<path> params" / "TO:<path> params"; 0 or -1 after replying. */
static int parse_cmd_path(struct smtp_session *s, char *arg, const char *prefix,
			  const char *enh_bad, char **addr_r, bool *utf8_r, int *nparams_r)
{
	char *params, text[128];
	const char *err;
	size_t plen = strlen(prefix);
	if (strncasecmp(arg, prefix, plen) != 0) {
		snprintf(text, sizeof(text), "Syntax: %s %s<address>",
			 plen == 5 ? "MAIL" : "RCPT", prefix);
		return R(501, "5.5.4", text), -1;
	}
	if (smtp_parse_path(arg + plen, addr_r, &params, utf8_r, &err) < 0) {
		snprintf(text, sizeof(text), "Bad %s address syntax: %s",
			 plen == 5 ? "sender" : "recipient", err);
		return R(501, enh_bad, text), -1;
	}
	if ((*nparams_r = smtp_parse_params(params, s->params, SMTP_MAX_PARAMS, &err)) < 0) {
		snprintf(text, sizeof(text), "Bad parameter syntax: %s", err);
		return R(501, "5.5.4", text), -1;
	}
	return 0;
}

static void cmd_mail(struct smtp_session *s, char *arg)
{
	struct smtp_mail m = { 0 };
	char *addr;
	bool utf8;
	int n;
	if (s->state >= SS_MAIL) {
		R(503, "5.5.1", "Error: nested MAIL command");
		return;
	}
	if (parse_cmd_path(s, arg, "FROM:", "5.1.7", &addr, &utf8, &n) < 0 ||
	    mail_params(s, &m, (size_t)n) < 0)
		return;
	if (utf8 && !m.smtputf8) {
		R(553, "5.6.7", "Must declare SMTPUTF8 to send UTF8 address");
		return;
	}
	m.sender = addr;
	m.params = s->params;
	m.nparams = (size_t)n;
	s->smtputf8 = m.smtputf8;
	s->cur_addr = addr;
	smtp_wait(s, SP_MAIL);
	s->be->on_mail(s, &m);
}

/* NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY. */
static bool notify_ok(const char *v)
{
	char tmp[64];
	if (!v || strlen(v) >= sizeof(tmp))
		return false;
	if (strcasecmp(v, "NEVER") == 0)
		return true;
	snprintf(tmp, sizeof(tmp), "%s", v);
	for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (strcasecmp(t, "SUCCESS") != 0 && strcasecmp(t, "FAILURE") != 0 &&
		    strcasecmp(t, "DELAY") != 0)
			return false;
	return v[strlen(v) - 1] != ',' && v[0] != ',' && !strstr(v, ",,");
}

/* ORCPT=addr-type;xtext, kept as "addr-type;decoded". */
static bool orcpt_ok(struct smtp_session *s, const char *v)
{
	const char *semi = v ? strchr(v, ';') : NULL;
	if (!semi || semi == v || semi - v > 20)
		return false;
	int tl = (int)(semi - v);
	snprintf(s->orcpt, sizeof(s->orcpt), "%.*s;", tl, v);
	return smtp_xtext_decode(semi + 1, s->orcpt + tl + 1, sizeof(s->orcpt) - (size_t)tl - 1) > 0;
}

static void cmd_rcpt(struct smtp_session *s, char *arg)
{
	struct smtp_rcpt r = { 0 };
	char *addr;
	bool utf8;
	int n;
	if (s->state < SS_MAIL) {
		R(503, "5.5.1", "Error: need MAIL command");
		return;
	}
	if (parse_cmd_path(s, arg, "TO:", "5.1.3", &addr, &utf8, &n) < 0)
		return;
	if (!addr[0]) {
		R(501, "5.1.3", "Bad recipient address syntax");
		return;
	}
	if (s->set.recipient_limit && s->nrcpt >= s->set.recipient_limit) {
		R(452, "4.5.3", "Error: too many recipients");
		return;
	}
	if (utf8 && !s->smtputf8) {
		R(553, "5.6.7", "Must declare SMTPUTF8 to send UTF8 address");
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *k = s->params[i].key, *v = s->params[i].value;
		if (strcmp(k, "NOTIFY") == 0 && notify_ok(v)) {
			r.notify = v;
		} else if (strcmp(k, "ORCPT") == 0 && orcpt_ok(s, v)) {
			r.orcpt = s->orcpt;
		} else if (strcmp(k, "NOTIFY") == 0 || strcmp(k, "ORCPT") == 0) {
			R(501, "5.5.4", strcmp(k, "NOTIFY") == 0 ? "Bad NOTIFY parameter"
								  : "Bad ORCPT parameter");
			return;
		} else if (!extra_extension(s, k)) {
			char text[96];
			snprintf(text, sizeof(text), "Unsupported option: %s", k);
			R(555, "5.5.4", text);
			return;
		}
	}
	r.address = addr;
	r.index = s->nrcpt;
	r.params = s->params;
	r.nparams = (size_t)n;
	s->cur_addr = addr;
	smtp_wait(s, SP_RCPT);
	s->be->on_rcpt(s, &r);
}

static void cmd_data(struct smtp_session *s, char *arg)
{
	(void)arg;
	if (s->state < SS_MAIL)
		R(503, "5.5.1", "Error: need MAIL command");
	else if (s->nrcpt == 0)
		R(503, "5.5.1", "Error: need RCPT command");
	else if (s->used_bdat)
		R(503, "5.5.1", "Error: DATA after BDAT");
	else {
		s->used_data = true;
		smtp_wait(s, SP_DATA);
		s->be->on_data_start(s);
	}
}

static void cmd_bdat(struct smtp_session *s, char *arg)
{
	char *sp = strchr(arg, ' ');
	bool last = false;
	if (sp) {
		*sp = '\0';
		last = strcasecmp(sp + 1, "LAST") == 0;
	}
	if ((sp && !last) || parse_size(arg, &s->chunk_left) < 0) {
		R(501, "5.5.4", "Syntax: BDAT size [LAST]");
		return;
	}
	s->bdat_last = last;
	if (s->state == SS_HELO)
		smtp_defer(s, 503, "5.5.1", "Error: send HELO/EHLO first");
	else if (s->state < SS_MAIL)
		smtp_defer(s, 503, "5.5.1", "Error: need MAIL command");
	else if (s->nrcpt == 0)
		smtp_defer(s, 503, "5.5.1", "Error: need RCPT command");
	if (s->deferred_code || s->sink_open) {
		smtp_bdat_read(s);
		return;
	}
	s->used_bdat = true;
	smtp_wait(s, SP_BDAT);
	s->be->on_data_start(s);
}

static void cmd_rset(struct smtp_session *s, char *arg)
{
	(void)arg;
	smtp_txn_reset(s);
	R(250, "2.0.0", "Ok");
}

static void cmd_noop(struct smtp_session *s, char *arg)
{
	(void)arg;
	R(250, "2.0.0", "Ok");
}

static void cmd_quit(struct smtp_session *s, char *arg)
{
	(void)arg;
	R(221, "2.0.0", "Bye");
	smtp_session_close(s);
}

static void cmd_vrfy(struct smtp_session *s, char *arg)
{
	if (!arg[0])
		R(501, "5.5.4", "Syntax: VRFY address");
	else if (!s->set.vrfy_enabled)
		R(502, "5.5.1", "VRFY command is disabled");
	else
		R(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
}

static void cmd_expn(struct smtp_session *s, char *arg)
{
	(void)arg;
	R(502, "5.5.1", "Error: command not implemented");
}

static void cmd_help(struct smtp_session *s, char *arg)
{
	(void)arg;
	R(214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY STARTTLS");
}

static void cmd_starttls(struct smtp_session *s, char *arg)
{
	(void)arg;
	if (!s->set.tls)
		R(502, "5.5.1", "Error: command not implemented");
	else if (conn_tls_active(s->conn))
		R(554, "5.5.1", "Error: TLS already active");
	else if (s->state >= SS_MAIL)
		R(503, "5.5.1", "Error: MAIL transaction in progress");
	else {
		R(220, "2.0.0", "Ready to start TLS");
		if (conn_start_tls(s->conn, s->set.tls) < 0) {
			smtp_session_close(s);
			return;
		}
		/* RFC 3207 4.2: forget everything; conn dropped pipelined input */
		free(s->helo);
		s->helo = NULL;
		s->esmtp = false;
		s->state = SS_HELO;
	}
}

static void cmd_auth(struct smtp_session *s, char *arg)
{
	(void)arg;
	if (!s->set.offer_auth)
		R(502, "5.5.1", "Error: authentication not enabled");
	else
		R(504, "5.5.4", "Error: authentication not implemented");
}

static void cmd_lhlo(struct smtp_session *s, char *arg) { cmd_ehlo(s, arg, true); }

static const struct smtp_cmd {
	const char *verb;
	cmd_fn *fn;
	unsigned flags;
} commands[] = {
	{ "EHLO", cmd_ehlo_esmtp, C_SMTP },  { "HELO", cmd_helo, C_SMTP },
	{ "LHLO", cmd_lhlo, C_LMTP },	     { "MAIL", cmd_mail, C_HELO },
	{ "RCPT", cmd_rcpt, C_HELO },	     { "DATA", cmd_data, C_HELO | C_NOARG },
	{ "BDAT", cmd_bdat, 0 },	     { "RSET", cmd_rset, C_NOARG },
	{ "NOOP", cmd_noop, 0 },	     { "QUIT", cmd_quit, C_NOARG },
	{ "VRFY", cmd_vrfy, 0 },	     { "EXPN", cmd_expn, 0 },
	{ "HELP", cmd_help, 0 },	     { "STARTTLS", cmd_starttls, C_HELO | C_NOARG },
	{ "AUTH", cmd_auth, C_HELO | C_SMTP },
};

/* Web and proxy requests: the client is not speaking SMTP (Postfix's
 * smtpd_forbidden_commands). */
static bool forbidden(const char *verb)
{
	static const char *const verbs[] = { "GET", "POST", "HEAD", "PUT", "CONNECT", "USER" };
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcasecmp(verb, verbs[i]) == 0)
			return true;
	return false;
}

void smtp_command(struct smtp_session *s, char *line, size_t len, bool overlong)
{
	if (s->closing)
		return;
	if (overlong || memchr(line, '\0', len)) {
		R(500, "5.5.2", overlong ? "Error: line too long" : "Error: NUL byte in command");
		return;
	}
	memcpy(s->cmd, line, len + 1);
	char *verb = s->cmd, *arg = s->cmd + strcspn(s->cmd, " ");
	if (*arg)
		*arg++ = '\0';
	while (*arg == ' ')
		arg++;
	if (forbidden(verb)) {
		log_info("%s forbidden-command service=%s rip=%s command=%s", s->id, s->set.service,
			 log_str(s->peer), log_str(verb));
		R(221, "2.7.0", "Error: I can break rules, too. Goodbye.");
		smtp_session_close(s);
		return;
	}
	unsigned mode = s->set.mode == SMTP_MODE_LMTP ? C_SMTP : C_LMTP;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct smtp_cmd *c = &commands[i];
		if (strcasecmp(verb, c->verb) != 0 || (c->flags & mode))
			continue;
		if ((c->flags & C_HELO) && s->state == SS_HELO)
			R(503, "5.5.1", s->set.mode == SMTP_MODE_LMTP ? "Error: send LHLO first"
								       : "Error: send HELO/EHLO first");
		else if ((c->flags & C_NOARG) && arg[0]) {
			char text[64];
			snprintf(text, sizeof(text), "Syntax: %s", c->verb);
			R(501, "5.5.4", text);
		} else
			c->fn(s, arg);
		return;
	}
	R(500, "5.5.2", "Error: command not recognized");
}
