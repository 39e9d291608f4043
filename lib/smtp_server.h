/* smtp_server: the SMTP/LMTP server engine shared by smtpd, submission and
 * lmtpd. It owns the connection (lib/conn, TLS via lib/tls), parses
 * commands (RFC 5321, 2033, 3030, 3207, 3461, 1870, 6152, 6531, 2034),
 * runs the state machine and its limits, reads DATA and BDAT, and asks the
 * daemon (the "backend") about each step through callbacks; the backend
 * answers asynchronously with the smtp_*_reply functions.
 * Invariants:
 * - one command is handled at a time: while the backend has not answered,
 *   input waits in the buffer (PIPELINING works; replies keep order);
 * - every line is bounded (smtp_line_limit), every state has a timeout,
 *   errors per session are counted and the client is dropped past the
 *   limit; a parse error is a reply, never a crash;
 * - DATA ends only at CRLF "." CRLF; a bare LF or bare CR never ends it
 *   (SMTP smuggling); a message containing bare LF/CR is rejected after
 *   DATA (550 5.6.0) unless the setting normalizes it to CRLF;
 * - STARTTLS discards any input pipelined after it and resets the
 *   session (RFC 3207 §4.2): EHLO is required again;
 * - message data reaches the backend dot-unstuffed with CRLF line ends,
 *   the engine's Received: header first; the size limit is enforced on
 *   SIZE= before DATA and on the bytes received (552 5.3.4).
 */
#ifndef TERN_SMTP_SERVER_H
#define TERN_SMTP_SERVER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "ev.h"
#include "tls.h"

struct smtp_session;

enum smtp_mode { SMTP_MODE_SMTP, SMTP_MODE_LMTP };

struct smtp_server_settings {
	enum smtp_mode mode;
	const char *hostname;		/* greeting, Received: "by" */
	const char *service;		/* "smtpd", "lmtpd": log lines */
	struct tls_server_ctx *tls;	/* NULL = no STARTTLS */
	bool implicit_tls;		/* port 465 style */
	bool offer_auth;		/* submission: AUTH (later issue) */
	uint64_t message_size_limit;	/* bytes; 0 = none */
	size_t recipient_limit;		/* smtpd_recipient_limit */
	size_t hard_error_limit;	/* smtpd_hard_error_limit */
	size_t line_limit;		/* longest command line */
	uint64_t timeout_ms;		/* smtpd_timeout: any state */
	bool forbid_bare_newline;	/* true: reject; false: normalize to CRLF */
	bool vrfy_enabled;		/* false: 502; true: 252 */
	const char *extra_extensions;	/* space-separated EHLO/LHLO keywords also
					 * advertised (lmtpd: "XTERNID"); MAIL/RCPT
					 * parameters of those names are accepted */
};

/* An envelope parameter list as given (key=value, keys uppercased). */
struct smtp_param {
	char key[32];
	char *value;			/* NULL for keyword-only params */
};

struct smtp_mail {
	const char *sender;		/* "" for <> */
	uint64_t size;			/* SIZE= or 0 */
	const char *ret;		/* DSN RET=FULL|HDRS or NULL */
	const char *envid;		/* DSN ENVID= (xtext decoded) or NULL */
	const char *body;		/* 7BIT, 8BITMIME, BINARYMIME or NULL */
	bool smtputf8;
	const struct smtp_param *params; /* all parameters as given */
	size_t nparams;
};

struct smtp_rcpt {
	const char *address;		/* as given, without <> */
	const char *orcpt;		/* DSN ORCPT= (decoded) or NULL */
	const char *notify;		/* DSN NOTIFY= or NULL */
	size_t index;			/* 0-based among accepted recipients so far */
	const struct smtp_param *params; /* all parameters as given */
	size_t nparams;
};

struct smtp_backend {
	/* Connection accepted; answer with smtp_reply(s, 220, ...) (or 554 to
	 * refuse, e.g. too many connections from this IP). */
	void (*on_connect)(struct smtp_session *s);
	/* MAIL FROM parsed and syntactically valid. Answer smtp_reply(). The
	 * strings of mail (and of rcpt below) stay valid until the reply. */
	void (*on_mail)(struct smtp_session *s, const struct smtp_mail *mail);
	/* RCPT TO parsed. Answer smtp_reply(); a 2xx accepts the recipient. */
	void (*on_rcpt)(struct smtp_session *s, const struct smtp_rcpt *rcpt);
	/* DATA or the first BDAT with at least one recipient: prepare a sink.
	 * Answer smtp_data_ready(s, queue_id) or an error via smtp_reply(). */
	void (*on_data_start)(struct smtp_session *s);
	/* Message bytes (Received: header first, CRLF, unstuffed). Return 0, or
	 * -1 when the sink failed (the engine then answers 451 at the end). */
	int (*on_data)(struct smtp_session *s, const char *data, size_t len);
	/* End of message, within limits. SMTP: answer smtp_reply() once (250
	 * only when durable). LMTP: answer smtp_reply() once per accepted
	 * recipient, in order. */
	void (*on_data_end)(struct smtp_session *s, uint64_t size);
	/* The transaction is over: dropped (RSET, error, disconnect) or
	 * answered (after the last reply to on_data_end): free its state. */
	void (*on_reset)(struct smtp_session *s);
	/* The session ends (after on_reset if a transaction was open). */
	void (*on_close)(struct smtp_session *s);
};

/* Start a session on an accepted fd. peer is the client's IP ("unix" for
 * UNIX sockets). ctx is the backend's per-session pointer. */
struct smtp_session *smtp_session_new(struct ev_loop *loop, int fd, const char *peer,
				      const struct smtp_server_settings *settings,
				      const struct smtp_backend *backend, void *ctx);
void *smtp_session_ctx(const struct smtp_session *s);
const char *smtp_session_id(const struct smtp_session *s);
const char *smtp_session_peer(const struct smtp_session *s);
const char *smtp_session_helo(const struct smtp_session *s);
bool smtp_session_tls(const struct smtp_session *s);
/* "SMTP", "ESMTP", "ESMTPS", "LMTP", "LMTPS" (Received:, queue BEGIN). */
const char *smtp_session_proto(const struct smtp_session *s);

/* Answer the pending step: code (e.g. 250), enhanced status ("2.1.0", or
 * NULL when ENHANCEDSTATUSCODES does not apply) and text. Multi-line
 * replies: text with '\n' separators. */
void smtp_reply(struct smtp_session *s, int code, const char *enhanced, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* on_data_start succeeded: the engine sends 354 (DATA) or takes the chunk
 * (BDAT), writes its Received: header naming queue_id, and streams. */
void smtp_data_ready(struct smtp_session *s, const char *queue_id);
/* End the session (after pending output), e.g. on a fatal backend error. */
void smtp_session_close(struct smtp_session *s);
/* Number of live sessions (per-process limits). */
size_t smtp_session_count(void);

/* Settings from tern.conf for a service: message_size_limit,
 * smtpd_recipient_limit, smtpd_hard_error_limit, smtpd_timeout,
 * smtpd_forbid_bare_newline, disable_vrfy_command, myhostname. */
void smtp_server_settings_from_conf(struct smtp_server_settings *out, const struct conf *conf,
				    enum smtp_mode mode, const char *service);

#endif
