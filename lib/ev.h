/* ev: the epoll event loop with a timer heap, one per process.
 * Invariants: callbacks run on the loop's thread only; a handler may remove
 * or re-register any fd or timer (including its own) from inside a
 * callback; a removed fd gets no further callbacks even if epoll already
 * reported it in the current batch. Timers fire in deadline order; a timer
 * is one-shot (re-add it to repeat). Time is CLOCK_MONOTONIC milliseconds. */
#ifndef TERN_EV_H
#define TERN_EV_H
#include <stdbool.h>
#include <stdint.h>

struct ev_loop;
#define EV_READ 1u
#define EV_WRITE 2u

typedef void ev_io_cb(struct ev_loop *loop, int fd, unsigned events, void *ctx);
typedef void ev_timer_cb(struct ev_loop *loop, void *ctx);

struct ev_loop *ev_loop_new(void);
/* Free the loop (registered fds are not closed). *loopp becomes NULL. */
void ev_loop_free(struct ev_loop **loopp);

/* Watch fd for EV_READ and/or EV_WRITE (level-triggered). Registering an fd
 * again replaces its mask, callback and ctx. Returns 0 or -1. */
int ev_io_set(struct ev_loop *loop, int fd, unsigned events, ev_io_cb *cb, void *ctx);
/* Stop watching fd (does not close it). Safe for unknown fds. */
void ev_io_del(struct ev_loop *loop, int fd);

/* Run cb(ctx) once after `ms` milliseconds. Returns a timer id > 0. */
uint64_t ev_timer_add(struct ev_loop *loop, uint64_t ms, ev_timer_cb *cb, void *ctx);
/* Cancel a pending timer; no-op for 0 or an id that already fired. */
void ev_timer_del(struct ev_loop *loop, uint64_t id);

/* Run until ev_loop_break(); returns 0, or -1 on an epoll error. */
int ev_loop_run(struct ev_loop *loop);
/* Make ev_loop_run return after the current callback. */
void ev_loop_break(struct ev_loop *loop);
/* Monotonic clock in milliseconds. */
uint64_t ev_now_ms(void);

#endif
