/* qmsg: a message in the queue's memory: its envelope (from the trailer),
 * its final recipients after alias expansion and their state, and the
 * state file records that persist that state.
 * State file (spool/state/<id>), one tab-escaped record per line, appended
 * with write(2) and never rewritten; a torn last line is ignored:
 *   X <orig> <address> <l|r>   a final recipient of original recipient
 *                              <orig> (index = order of X records), local or remote
 *   x <orig>                   <orig> is fully expanded
 *   D <final>                  delivered
 *   F <final> <status> <diag>  failed permanently (a DSN is due)
 *   N <final>                  failure reported (DSN queued, or none due)
 *   d <final> <status> <diag>  deferred (latest reason, for queue list)
 *   M <final>                  an attempt's outcome is unknown (XTERNID ;R)
 *   T <attempts> <next-try>    retry schedule (unix seconds)
 *   H / U                      held / released */
#ifndef TERN_QUEUE_QMSG_H
#define TERN_QUEUE_QMSG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "envelope.h"

enum qf_state { QF_PENDING, QF_DONE, QF_FAILED, QF_NOTIFIED };

struct qfinal {
	char *address;
	size_t orig;	    /* index into env.rcpt */
	enum qf_state state;
	bool local;	    /* delivered over LMTP; else remote */
	bool maybe;	    /* an earlier attempt may have delivered: XTERNID ;R */
	char status[12];    /* latest status, "" = none yet */
	char *diag;	    /* latest reply or reason */
};

struct qmsg {
	struct qenv env;
	bool *expanded;	    /* per original recipient */
	char **orig_reason; /* why an original recipient is not expanded yet */
	struct qfinal *final;
	size_t nfinal, capfinal;
	unsigned attempts;
	int64_t next_try;
	bool hold;
	bool busy;	    /* a delivery round is running */
	bool flush;	    /* try at the next chance, whatever next_try says */
	bool unclean;	    /* recovered after a crash: new finals get `maybe` */
	struct qmsg *prev, *next;
};

/* A new message owning env (moved: *env is emptied). NULL on ENOMEM. */
struct qmsg *qmsg_new(struct qenv *env);
void qmsg_free(struct qmsg **mp);
/* Add a final recipient; its index, or -1 (ENOMEM). */
long qmsg_add_final(struct qmsg *m, size_t orig, const char *address, bool local);
/* The final recipient with this address (case-insensitive), or -1. */
long qmsg_find_final(const struct qmsg *m, const char *address);
/* Set a final's latest status and reason (diag may be NULL). */
void qmsg_set_reason(struct qfinal *f, const char *status, const char *diag);
/* True when every original recipient is expanded and every final is DONE
 * or NOTIFIED: the message can be removed. */
bool qmsg_complete(const struct qmsg *m);

/* Apply state file bytes to m (fresh from the trailer). Malformed and
 * out-of-range records are skipped; returns how many were. */
size_t qmsg_apply_state(struct qmsg *m, char *data, size_t len);
/* Record builders: append one line to out. */
void qrec_final(struct buf *out, size_t orig, const char *address, bool local);
void qrec_expanded(struct buf *out, size_t orig);
void qrec_mark(struct buf *out, char what, size_t final); /* D, N, M */
void qrec_reason(struct buf *out, char what, size_t final, const char *status,
		 const char *diag); /* F, d */
void qrec_schedule(struct buf *out, unsigned attempts, int64_t next_try);
void qrec_hold(struct buf *out, bool hold);

#endif
