/* smtp_server: the session life cycle of the SMTP/LMTP engine: creation on
 * an accepted fd, replies (engine and backend), the error limit, the
 * per-state timeout, transaction reset and teardown (see smtp_server.h;
 * states in smtp_impl.h).
 * Invariants: while `pend` is set the conn is paused, so pipelined input
 * waits and replies keep order; a session is freed only from the conn's
 * on_close, after on_reset (when a transaction was open) and on_close. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "smtp_impl.h"

#define SMTP_LINE_LIMIT 2048 /* Postfix line_length_limit */
#define SMTP_CONN_SLACK_MS 10000

static size_t session_live;
static const struct smtp_backend no_backend;

static const char *const state_names[] = { "CONNECT", "HELO", "READY", "MAIL", "DATA" };

static void write_reply(struct smtp_session *s, int code, const char *enh, const char *text)
{
	struct buf *out = conn_outbuf(s->conn);
	const char *p = text;
	for (;;) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		buf_printf(out, "%d%c", code, nl ? '-' : ' ');
		if (enh)
			buf_printf(out, "%s ", enh);
		buf_printf(out, "%.*s\r\n", len, p);
		if (!nl)
			break;
		p = nl + 1;
	}
	conn_flush(s->conn);
	smtp_touch(s);
}

/* Count a failed command; past the limit say 421 and hang up. */
static void count_error(struct smtp_session *s, int code, const char *enh)
{
	if (code < 400 || code == 421 || (code == 452 && enh && strcmp(enh, "4.5.3") == 0))
		return;
	if (++s->errors < s->set.hard_error_limit || s->set.hard_error_limit == 0 || s->closing)
		return;
	log_info("%s too-many-errors service=%s rip=%s errors=%zu", s->id, s->set.service,
		 log_str(s->peer), s->errors);
	char text[300];
	snprintf(text, sizeof(text), "%s Error: too many errors", s->set.hostname);
	write_reply(s, 421, "4.7.0", text);
	smtp_session_close(s);
}

void smtp_log_reject(struct smtp_session *s, int code, const char *enh, const char *text)
{
	log_info("%s reject service=%s rip=%s state=%s code=%d%s%s reason=%s", s->id,
		 s->set.service, log_str(s->peer), state_names[s->state], code, enh ? " enh=" : "",
		 enh ? enh : "", log_str(text));
}

void smtp_send_reply(struct smtp_session *s, int code, const char *enh, const char *text)
{
	if (!s->conn || s->closing)
		return;
	if (code >= 400)
		smtp_log_reject(s, code, enh, text);
	write_reply(s, code, enh, text);
	count_error(s, code, enh);
}

void smtp_touch(struct smtp_session *s)
{
	s->last_active = ev_now_ms();
}

void smtp_wait(struct smtp_session *s, enum smtp_pend pend)
{
	s->pend = pend;
	conn_pause(s->conn);
}

void smtp_txn_reset(struct smtp_session *s)
{
	bool open = s->state >= SS_MAIL;
	s->state = s->helo ? SS_READY : SS_HELO;
	s->nrcpt = s->end_replies = 0;
	free(s->first_rcpt);
	s->first_rcpt = NULL;
	s->sink_open = s->used_data = s->used_bdat = s->bdat_last = false;
	s->bare = s->too_big = s->sink_failed = false;
	s->msg_bytes = s->sink_bytes = s->chunk_left = 0;
	s->deferred_code = 0;
	buf_reset(&s->dbuf);
	if (open && s->be->on_reset)
		s->be->on_reset(s);
}

static void on_line(struct conn *c, char *line, size_t len, bool overlong)
{
	struct smtp_session *s = conn_ctx(c);
	smtp_touch(s);
	smtp_command(s, line, len, overlong);
}

static void on_close(struct conn *c, enum conn_close_reason reason)
{
	struct smtp_session *s = conn_ctx(c);
	if (reason != CONN_LOCAL && (s->state >= SS_MAIL || s->pend != SP_NONE))
		log_info("%s lost-connection service=%s rip=%s state=%s reason=%s", s->id,
			 s->set.service, log_str(s->peer), state_names[s->state],
			 reason == CONN_EOF ? "eof" : reason == CONN_TIMEOUT ? "timeout" : "error");
	s->conn = NULL;
	ev_timer_del(s->loop, s->timer_id);
	smtp_txn_reset(s);
	if (s->be->on_close)
		s->be->on_close(s);
	smtp_data_free(s);
	free(s->helo);
	free(s->sender);
	free(s->cmd);
	free(s);
	session_live--;
}

static void timer_cb(struct ev_loop *loop, void *ctx)
{
	struct smtp_session *s = ctx;
	uint64_t idle = ev_now_ms() - s->last_active;
	s->timer_id = 0;
	if (!s->conn || s->closing)
		return;
	if (idle < s->set.timeout_ms) {
		s->timer_id = ev_timer_add(loop, s->set.timeout_ms - idle, timer_cb, s);
		return;
	}
	log_info("%s timeout service=%s rip=%s state=%s", s->id, s->set.service, log_str(s->peer),
		 state_names[s->state]);
	char text[300];
	snprintf(text, sizeof(text), "%s Error: timeout exceeded", s->set.hostname);
	write_reply(s, 421, "4.4.2", text);
	smtp_session_close(s);
}

struct smtp_session *smtp_session_new(struct ev_loop *loop, int fd, const char *peer,
				      const struct smtp_server_settings *settings,
				      const struct smtp_backend *backend, void *ctx)
{
	static const struct conn_handlers handlers = { on_line, on_close, NULL };
	struct smtp_session *s = calloc(1, sizeof(*s));
	size_t line_limit = settings->line_limit ? settings->line_limit : SMTP_LINE_LIMIT;
	if (!s || !(s->cmd = malloc(line_limit + 1))) {
		free(s);
		close(fd);
		return NULL;
	}
	s->loop = loop;
	s->set = *settings;
	s->set.line_limit = line_limit;
	s->be = backend;
	s->ctx = ctx;
	snprintf(s->peer, sizeof(s->peer), "%s", peer ? peer : "unknown");
	uint64_t t = settings->timeout_ms;
	s->conn = conn_new(loop, fd, peer, &handlers, s, line_limit, t ? t + SMTP_CONN_SLACK_MS : 0);
	if (!s->conn) {
		free(s->cmd);
		free(s);
		return NULL;
	}
	session_live++;
	buf_init(&s->dbuf, 0);
	snprintf(s->id, sizeof(s->id), "%s", conn_id(s->conn));
	conn_set_crlf(s->conn, true);
	smtp_touch(s);
	if (t)
		s->timer_id = ev_timer_add(loop, t, timer_cb, s);
	if (settings->implicit_tls && (!settings->tls || conn_start_tls(s->conn, settings->tls) < 0)) {
		s->be = &no_backend; /* the backend never saw this session */
		conn_close(s->conn);
		return NULL;
	}
	smtp_wait(s, SP_CONNECT);
	if (backend->on_connect)
		backend->on_connect(s);
	else
		smtp_reply(s, 220, NULL, "%s ESMTP", s->set.hostname);
	return s;
}

void *smtp_session_ctx(const struct smtp_session *s) { return s->ctx; }
const char *smtp_session_id(const struct smtp_session *s) { return s->id; }
const char *smtp_session_peer(const struct smtp_session *s) { return s->peer; }
const char *smtp_session_helo(const struct smtp_session *s) { return s->helo; }
bool smtp_session_tls(const struct smtp_session *s) { return s->conn && conn_tls_active(s->conn); }
size_t smtp_session_count(void) { return session_live; }

const char *smtp_session_proto(const struct smtp_session *s)
{
	bool tls = smtp_session_tls(s);
	if (s->set.mode == SMTP_MODE_LMTP)
		return tls ? "LMTPS" : "LMTP";
	if (!s->esmtp)
		return "SMTP";
	return tls ? "ESMTPS" : "ESMTP";
}

void smtp_session_close(struct smtp_session *s)
{
	if (!s->conn || s->closing)
		return;
	s->closing = true;
	conn_close_after_flush(s->conn);
}

void smtp_defer(struct smtp_session *s, int code, const char *enh, const char *text)
{
	size_t n = strlen(text);
	if (n >= sizeof(s->deferred_text))
		n = sizeof(s->deferred_text) - 1; /* a long reason is cut */
	memcpy(s->deferred_text, text, n);
	s->deferred_text[n] = '\0';
	s->deferred_code = code;
	snprintf(s->deferred_enh, sizeof(s->deferred_enh), "%.7s", enh ? enh : "");
}

/* A backend answer to the pending step. */
static void backend_reply(struct smtp_session *s, int code, const char *enh, const char *text)
{
	enum smtp_pend pend = s->pend;
	bool ok = code / 100 == 2;
	if (pend != SP_END || s->set.mode == SMTP_MODE_SMTP || ++s->end_replies >= s->nrcpt)
		s->pend = SP_NONE;
	if (pend == SP_BDAT) { /* the chunk is still on the wire: read it first */
		smtp_defer(s, code, enh, text);
		smtp_bdat_read(s);
		return;
	}
	write_reply(s, code, enh, text);
	if (pend != SP_END)
		count_error(s, code, enh);
	if (pend == SP_CONNECT && ok)
		s->state = SS_HELO;
	else if (pend == SP_CONNECT || code == 421)
		smtp_session_close(s);
	else if (pend == SP_MAIL && ok) {
		s->state = SS_MAIL;
		free(s->sender);
		s->sender = strdup(s->cur_addr);
	} else if (pend == SP_RCPT && ok && s->nrcpt++ == 0) {
		s->first_rcpt = strdup(s->cur_addr);
	}
	if (pend == SP_END && s->pend == SP_NONE)
		smtp_txn_reset(s);
}

void smtp_reply(struct smtp_session *s, int code, const char *enhanced, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!s->conn || s->closing)
		return;
	if (s->pend == SP_NONE || code < 200 || code > 599) {
		log_warning("%s backend-reply-unexpected service=%s code=%d", s->id, s->set.service,
			    code);
		return;
	}
	backend_reply(s, code, enhanced, text);
	if (s->pend == SP_NONE && s->conn && !s->closing)
		conn_resume(s->conn);
}

void smtp_data_ready(struct smtp_session *s, const char *queue_id)
{
	if (!s->conn || s->closing || (s->pend != SP_DATA && s->pend != SP_BDAT))
		return;
	smtp_data_begin(s, queue_id);
}

void smtp_server_settings_from_conf(struct smtp_server_settings *out, const struct conf *conf,
				    enum smtp_mode mode, const char *service)
{
	static char host[256];
	const char *h = conf_str(conf, NULL, "myhostname");
	if (!h || !h[0]) {
		if (gethostname(host, sizeof(host) - 1) < 0)
			snprintf(host, sizeof(host), "localhost");
		h = host;
	}
	memset(out, 0, sizeof(*out));
	out->mode = mode;
	out->hostname = h;
	out->service = service;
	out->message_size_limit = conf_size(conf, NULL, "message_size_limit");
	out->recipient_limit = conf_int(conf, NULL, "smtpd_recipient_limit");
	out->hard_error_limit = conf_int(conf, NULL, "smtpd_hard_error_limit");
	out->line_limit = SMTP_LINE_LIMIT;
	out->timeout_ms = conf_time_ms(conf, NULL, "smtpd_timeout");
	out->forbid_bare_newline = conf_bool(conf, NULL, "smtpd_forbid_bare_newline");
	out->vrfy_enabled = !conf_bool(conf, NULL, "disable_vrfy_command");
}
