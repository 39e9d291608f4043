/* smtp_data: the message readers of the SMTP/LMTP engine: DATA (dot-
 * unstuffing, end only at CRLF "." CRLF, bare CR/LF rejected or normalized)
 * and BDAT chunks (RFC 3030, read byte-exactly, discarded after an error),
 * both with the conn in raw mode, batching the bytes to the backend.
 * Invariants: a line begun after a bare LF never ends DATA (SMTP
 * smuggling); message_size_limit counts the client's bytes after
 * unstuffing; after too_big, a sink failure, a forbidden bare newline or a
 * deferred error nothing more reaches on_data, and on_data_end is called
 * only for a message that is complete and within every limit. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "smtp_impl.h"

#define SINK_BATCH 65536

/* DATA reader states; `crlf_bol` in D_BOL/D_DOT/D_DOTCR: the line began
 * after a real CRLF (only then may "." CRLF end the message). */
enum { D_BOL, D_DOT, D_DOTCR, D_MID, D_CR };

static bool blocked(const struct smtp_session *s)
{
	return s->too_big || s->sink_failed || s->deferred_code ||
	       (s->bare && s->set.forbid_bare_newline);
}

static void flush_sink(struct smtp_session *s)
{
	if (s->dbuf.len > 0 && !blocked(s)) {
		if (s->be->on_data(s, s->dbuf.data, s->dbuf.len) < 0)
			s->sink_failed = true;
		else
			s->sink_bytes += s->dbuf.len;
	}
	buf_reset(&s->dbuf);
}

static void emit(struct smtp_session *s, const char *p, size_t n)
{
	s->msg_bytes += n;
	if (s->set.message_size_limit && s->msg_bytes > s->set.message_size_limit)
		s->too_big = true;
	if (blocked(s))
		return;
	buf_append(&s->dbuf, p, n);
	if (s->dbuf.len >= SINK_BATCH)
		flush_sink(s);
}

static void bare(struct smtp_session *s)
{
	s->bare = true;
	emit(s, "\r\n", 2); /* normalized (dropped anyway when forbidden) */
}

/* Scan DATA input; returns the bytes consumed, *end set at CRLF.CRLF. */
static size_t data_scan(struct smtp_session *s, const char *p, size_t len, bool *end)
{
	size_t i = 0;
	while (i < len) {
		char ch = p[i];
		switch (s->dstate) {
		case D_BOL:
			s->dstate = ch == '.' ? D_DOT : D_MID;
			i += ch == '.'; /* unstuffing: the leading dot goes */
			break;
		case D_DOT:
			if (ch == '\r') {
				s->dstate = D_DOTCR;
				i++;
			} else if (ch == '\n') { /* "." bare LF: never the end */
				bare(s);
				s->crlf_bol = false;
				s->dstate = D_BOL;
				i++;
			} else {
				s->dstate = D_MID;
			}
			break;
		case D_DOTCR:
			if (ch == '\n' && s->crlf_bol) {
				*end = true;
				return i + 1;
			}
			if (ch == '\n') { /* "." CRLF after a bare LF: content */
				emit(s, "\r\n", 2);
				s->crlf_bol = true;
				s->dstate = D_BOL;
				i++;
			} else {
				bare(s); /* "." bare CR */
				s->dstate = D_MID;
			}
			break;
		case D_MID: {
			size_t j = i;
			while (j < len && p[j] != '\r' && p[j] != '\n')
				j++;
			emit(s, p + i, j - i);
			if (j < len && p[j] == '\r') {
				s->dstate = D_CR;
			} else if (j < len) {
				bare(s);
				s->crlf_bol = false;
				s->dstate = D_BOL;
			}
			i = j + (j < len);
			break;
		}
		case D_CR:
			if (ch == '\n') {
				emit(s, "\r\n", 2);
				s->crlf_bol = true;
				s->dstate = D_BOL;
				i++;
			} else {
				bare(s); /* bare CR; ch is read again in D_MID */
				s->dstate = D_MID;
			}
			break;
		}
	}
	return len;
}

/* The message is complete: reply to a failure, or ask the backend. */
static void finish_message(struct smtp_session *s)
{
	flush_sink(s);
	int code = 0;
	const char *enh = NULL, *text = NULL;
	if (s->too_big)
		code = 552, enh = "5.3.4", text = "Error: message file too big";
	else if (s->bare && s->set.forbid_bare_newline)
		code = 550, enh = "5.6.0", text = "Error: bare <CR> or <LF> received in message";
	else if (s->sink_failed)
		code = 451, enh = "4.3.0", text = "Error: queue file write error";
	if (code) {
		smtp_txn_reset(s);
		smtp_send_reply(s, code, enh, text);
		return;
	}
	s->state = SS_MAIL;
	smtp_wait(s, SP_END);
	s->be->on_data_end(s, s->sink_bytes);
}

static void data_on_data(struct conn *c, struct buf *in)
{
	struct smtp_session *s = conn_ctx(c);
	bool end = false;
	smtp_touch(s);
	size_t used = data_scan(s, in->data, in->len, &end);
	buf_consume(in, used);
	if (!end)
		return;
	conn_set_raw(c, NULL);
	finish_message(s);
}

/* A BDAT chunk has been read (or there was none). */
static void bdat_done(struct smtp_session *s)
{
	char text[128];
	if (s->deferred_code) {
		int code = s->deferred_code;
		s->deferred_code = 0;
		if (s->state >= SS_MAIL)
			smtp_txn_reset(s);
		snprintf(text, sizeof(text), "%s", s->deferred_text);
		smtp_send_reply(s, code, s->deferred_enh[0] ? s->deferred_enh : NULL, text);
	} else if (s->too_big) {
		smtp_txn_reset(s);
		smtp_send_reply(s, 552, "5.3.4", "Error: message file too big");
	} else if (!s->bdat_last) {
		snprintf(text, sizeof(text), "Ok: %llu octets",
			 (unsigned long long)s->msg_bytes);
		smtp_send_reply(s, 250, "2.0.0", text);
	} else {
		finish_message(s);
	}
}

static void bdat_on_data(struct conn *c, struct buf *in)
{
	struct smtp_session *s = conn_ctx(c);
	size_t n = in->len < s->chunk_left ? in->len : (size_t)s->chunk_left;
	smtp_touch(s);
	emit(s, in->data, n);
	buf_consume(in, n);
	s->chunk_left -= n;
	if (s->chunk_left > 0)
		return;
	conn_set_raw(c, NULL);
	bdat_done(s);
}

void smtp_bdat_read(struct smtp_session *s)
{
	if (s->chunk_left == 0) {
		bdat_done(s);
	} else {
		conn_set_raw(s->conn, bdat_on_data);
	}
	if (s->pend == SP_NONE)
		conn_resume(s->conn);
}

void smtp_data_begin(struct smtp_session *s, const char *queue_id)
{
	char tls[192];
	bool data = s->pend == SP_DATA;
	s->pend = SP_NONE;
	s->sink_open = true;
	struct smtp_received r = {
		.helo = s->helo, .peer = s->peer, .hostname = s->set.hostname,
		.proto = smtp_session_proto(s), .queue_id = queue_id && *queue_id ? queue_id : "-",
		.tls_info = conn_tls_info(s->conn, tls, sizeof(tls)) == 0 ? tls : NULL,
		.rcpt = s->nrcpt == 1 ? s->first_rcpt : NULL, .when = time(NULL),
	};
	buf_reset(&s->dbuf);
	smtp_received_header(&s->dbuf, &r);
	if (!data) {
		smtp_bdat_read(s);
		return;
	}
	smtp_send_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	s->state = SS_DATA;
	s->dstate = D_BOL;
	s->crlf_bol = true;
	conn_set_raw(s->conn, data_on_data);
	conn_resume(s->conn);
}

void smtp_data_free(struct smtp_session *s)
{
	buf_free(&s->dbuf);
}
