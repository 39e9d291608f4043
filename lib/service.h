/* service: the skeleton every tern daemon runs in. master starts a daemon as
 * "PROGRAM -c CONFIG -s SERVICE" with its listening sockets inherited as fds
 * and named in the environment (TERN_LISTEN="client=3 userdb=4"). The
 * skeleton loads the config, opens the log, takes the listeners, runs the
 * daemon's privileged init, chroots and drops to the service's user and
 * group (then verifies that root cannot be regained), installs signal
 * handling on the loop, accepts connections and hands them to the daemon.
 * Invariants: no network input is read before privileges are dropped;
 * SIGTERM closes the listeners and the process exits once the daemon says
 * it is idle or shutdown_timeout passes; SIGHUP reloads the config. */
#ifndef TERN_SERVICE_H
#define TERN_SERVICE_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "conf.h"
#include "ev.h"

#define SERVICE_MAX_LISTENERS 16

struct service_listener {
	char name[32];
	int fd;
	bool is_unix;
};

struct service_ctx {
	const char *name;	/* service name, e.g. "authd" */
	struct conf *conf;	/* current config (replaced on reload) */
	struct ev_loop *loop;
	size_t listener_count;
	struct service_listener listeners[SERVICE_MAX_LISTENERS];
	bool stopping;		/* SIGTERM received */
	void *data;		/* the daemon's own state */
};

struct service_def {
	const char *name;
	/* Before the jail, still root in production: open what needs
	 * privileges. May be NULL. Returns 0 or -1 (exit). */
	int (*init_privileged)(struct service_ctx *ctx);
	/* After dropping privileges, before the first accept. May be NULL. */
	int (*init)(struct service_ctx *ctx);
	/* A new connection on listener `l` from `peer` ("unix" or an IP). */
	void (*on_accept)(struct service_ctx *ctx, const struct service_listener *l, int fd,
			  const char *peer);
	/* SIGHUP: ctx->conf already holds the new config; refresh data. */
	void (*on_reload)(struct service_ctx *ctx);
	/* True when no request is in flight, so a stop may exit now. */
	bool (*idle)(struct service_ctx *ctx);
	/* Last call before exit: free everything. May be NULL. */
	void (*deinit)(struct service_ctx *ctx);
};

/* Exit status of a daemon that asks master to start it again at once
 * (not a crash: no backoff, not counted). */
#define SERVICE_EXIT_RESTART 3

/* Stop gracefully (as on SIGTERM) and exit with SERVICE_EXIT_RESTART, e.g.
 * when a file only root can read has changed. */
void service_request_restart(struct service_ctx *ctx);

/* Run a daemon. Never returns: exits 0 after a graceful stop, 1 on a startup
 * error (logged). */
int service_main(int argc, char **argv, const struct service_def *def) __attribute__((noreturn));

/* Default unprivileged user of a service when its block sets none: "tern",
 * "tern-auth" for authd, the mail_uid for lmtpd/imapd/pop3d mail parts. */
const char *service_default_user(const struct conf *conf, const char *service);

/* Resolve user (name or number) and group (name, number, or NULL = the
 * user's primary group). 0 or -1 with a reason in err. */
int service_resolve_ids(const char *user, const char *group, uid_t *uid_r, gid_t *gid_r,
			char *err, size_t errsize);
/* chroot (when dir non-empty), setgroups, setresgid, setresuid, then check
 * that setuid(0) fails. Without root only verifies uid matches (no-op when
 * uid == getuid()). 0 or -1 with reason. */
int service_drop_privileges(uid_t uid, gid_t gid, const char *chroot_dir, char *err,
			    size_t errsize);

#endif
