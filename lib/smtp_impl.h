/* smtp_impl: the session shared by smtp_server.c (life cycle, replies,
 * timers), smtp_commands.c (one handler per verb) and smtp_data.c (DATA
 * and BDAT readers). Not for use outside lib/smtp_*.c.
 * States: GREETING (on_connect pending) -> HELO (EHLO/LHLO needed) ->
 * READY (no transaction) <-> MAIL (transaction open; BDAT chunks are
 * read in it) -> DATA (conn in raw mode) -> MAIL (on_data_end) -> READY; `pend` says which backend answer is
 * awaited; while it is set the conn is paused. */
#ifndef TERN_SMTP_IMPL_H
#define TERN_SMTP_IMPL_H
#include "buf.h"
#include "conn.h"
#include "smtp_parse.h"
#include "smtp_server.h"

enum smtp_state { SS_GREETING, SS_HELO, SS_READY, SS_MAIL, SS_DATA };
enum smtp_pend { SP_NONE, SP_CONNECT, SP_MAIL, SP_RCPT, SP_DATA, SP_BDAT, SP_END };

struct smtp_session {
	struct ev_loop *loop;
	struct conn *conn;
	struct smtp_server_settings set;
	const struct smtp_backend *be;
	void *ctx;
	char id[16], peer[64];
	char *helo;
	bool esmtp, closing, in_callback;
	enum smtp_state state;
	enum smtp_pend pend;
	size_t errors, nrcpt, end_replies;
	char *cmd; /* copy of the current command line (parsed in place) */
	struct smtp_param params[SMTP_MAX_PARAMS];
	const char *cur_addr; /* MAIL/RCPT awaiting the backend: in cmd */
	bool smtputf8;	      /* MAIL had SMTPUTF8 */
	char envid[SMTP_XTEXT_MAX + 1], orcpt[SMTP_XTEXT_MAX + 1]; /* decoded */
	char *sender;	      /* of the open transaction (logs) */
	char *first_rcpt;     /* Received: "for" */
	uint64_t timer_id, last_active;
	/* message data */
	bool sink_open, used_data, used_bdat, bdat_last, bare, too_big, sink_failed;
	int dstate;		 /* smtp_data.c reader state */
	bool crlf_bol;		 /* the DATA line began after CRLF */
	uint64_t chunk_left;	 /* BDAT bytes still to read */
	uint64_t msg_bytes;	 /* client bytes after unstuffing (the limit) */
	uint64_t sink_bytes;	 /* bytes given to on_data, Received: included */
	struct buf dbuf;	 /* output batch for on_data */
	int deferred_code;	 /* BDAT: reply sent once the chunk is read */
	char deferred_enh[8], deferred_text[96];
};

/* smtp_server.c */
void smtp_send_reply(struct smtp_session *s, int code, const char *enh, const char *text);
/* End the transaction (on_reset when one was open); state back to READY. */
void smtp_txn_reset(struct smtp_session *s);
/* Wait for the backend: pause input until smtp_reply/smtp_data_ready. */
void smtp_wait(struct smtp_session *s, enum smtp_pend pend);
void smtp_touch(struct smtp_session *s);
/* BDAT: the reply to send once the chunk has been read (and dropped). */
void smtp_defer(struct smtp_session *s, int code, const char *enh, const char *text);
void smtp_log_reject(struct smtp_session *s, int code, const char *enh, const char *text);

/* smtp_commands.c */
void smtp_command(struct smtp_session *s, char *line, size_t len, bool overlong);
void smtp_ehlo_reply(struct smtp_session *s);

/* smtp_data.c */
/* The sink is ready: start reading DATA (354) or the pending BDAT chunk. */
void smtp_data_begin(struct smtp_session *s, const char *queue_id);
/* BDAT parsed: read (and maybe discard) a chunk of size bytes. */
void smtp_bdat_read(struct smtp_session *s);
void smtp_data_free(struct smtp_session *s);

#endif
