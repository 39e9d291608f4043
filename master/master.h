/* master: shared state of the supervisor, split over dirs.c (directories),
 * listeners.c (binding), spawn.c (fork/exec of a daemon), supervisor.c
 * (signals, restarts, reload, stop) and control.c (the ternctl socket).
 * Invariants: master parses no network input; every child it runs is one
 * `struct master_service`; a listener's fd survives a reload when its spec
 * is unchanged, so clients never see a refused connection. */
#ifndef TERN_MASTER_H
#define TERN_MASTER_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "ev.h"
#include "service.h"

struct master_listener {
	struct conf_listen spec;
	int fd;
};

struct master;

struct master_service {
	struct master *owner;
	char name[32];
	char *fingerprint;	/* conf_fingerprint at spawn time */
	size_t listener_count;
	struct master_listener listeners[SERVICE_MAX_LISTENERS];
	pid_t pid;		/* 0 when not running */
	uint64_t started_ms;
	uint64_t restart_timer;
	unsigned restarts;	/* total since master start */
	unsigned crash_streak;	/* consecutive quick crashes, for backoff */
	bool removed;		/* gone from config: do not restart */
	bool respawn_now;	/* changed by reload: start again at exit */
};

struct master {
	struct conf *conf;
	const char *config_path;	/* absolute */
	struct ev_loop *loop;
	struct master_service services[CONF_SERVICE_COUNT];
	size_t service_count;
	int signal_fd;
	int control_fd;
	int pid_fd;
	/* ternctl stop connections, held open until master exits: their EOF
	 * tells ternctl the stop is complete (zombie or not). */
	int stop_waiters[8];
	size_t stop_waiter_count;
	bool stopping;
	uint64_t stop_deadline_ms;
	uint64_t started_ms;
};

/* dirs.c: run, spool and log locations with owners and modes; pid file lock. */
int master_prepare_dirs(const struct conf *conf, char *err, size_t errsize);
int master_lock_pidfile(struct master *m, char *err, size_t errsize);

/* listeners.c: bind the listeners of a service (reusing fds of `old`, an
 * earlier generation, where the spec is unchanged). 0 or -1 with reason. */
int master_bind_listeners(const struct conf *conf, struct master_service *svc,
			  struct master_service *old, char *err, size_t errsize);
void master_close_listeners(struct master_service *svc);

/* spawn.c: fork and exec the daemon of svc. 0 or -1 (logged). */
int master_spawn(struct master *m, struct master_service *svc);

/* supervisor.c */
int master_start_services(struct master *m, char *err, size_t errsize);
void master_reload(struct master *m);
void master_begin_stop(struct master *m);
int master_setup_signals(struct master *m);
struct master_service *master_find_service(struct master *m, const char *name);

/* control.c: the control socket. */
int master_control_open(struct master *m, char *err, size_t errsize);
void master_control_close(struct master *m);

#endif
