/* signals: signalfd-based signal delivery on the loop (see signals.h). */
#include "signals.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

int signals_watch(struct ev_loop *loop, const int *signals, size_t count, ev_io_cb *cb,
		  void *ctx)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < count; i++)
		sigaddset(&set, signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < count; i++)
		signal(signals[i], SIG_DFL);
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ev_io_set(loop, fd, EV_READ, cb, ctx) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void signals_reset_mask(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}
