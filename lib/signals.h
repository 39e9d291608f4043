/* signals: process signals as ordinary event-loop callbacks (signalfd).
 * Invariants: the watched signals are blocked and reset to their default
 * disposition first (an inherited SIG_IGN would discard them before the
 * signalfd sees them); SIGPIPE is ignored, so a dead peer is an EPIPE. */
#ifndef TERN_SIGNALS_H
#define TERN_SIGNALS_H
#include <stddef.h>

#include "ev.h"

/* Watch the given signals; cb gets the signalfd, which the caller reads
 * struct signalfd_siginfo records from. Returns the fd or -1. */
int signals_watch(struct ev_loop *loop, const int *signals, size_t count, ev_io_cb *cb,
		  void *ctx);
/* Unblock everything again (a child before exec). */
void signals_reset_mask(void);

#endif
