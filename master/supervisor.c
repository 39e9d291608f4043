/* supervisor: master's life cycle. Starts every enabled service, reaps
 * children and restarts crashed ones with exponential backoff (the reason,
 * exit code or signal, is logged), reloads on SIGHUP (only services whose
 * settings changed are restarted; the others get SIGHUP; listening sockets
 * stay open), and stops on SIGTERM/SIGINT: children get SIGTERM, then
 * SIGKILL after shutdown_timeout, and master exits when none is left. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "master.h"
#include "signals.h"

#define QUICK_CRASH_MS 10000 /* a child that dies sooner counts toward backoff */

struct master_service *master_find_service(struct master *m, const char *name)
{
	for (size_t i = 0; i < m->service_count; i++)
		if (strcmp(m->services[i].name, name) == 0)
			return &m->services[i];
	return NULL;
}

static bool service_enabled(const struct conf *conf, const char *name)
{
	return conf_service_defined(conf, name) && conf_bool(conf, name, "enabled") &&
	       strcmp(name, "master") != 0;
}

int master_start_services(struct master *m, char *err, size_t errsize)
{
	for (unsigned i = 0; i < CONF_SERVICE_COUNT; i++) {
		const char *name = conf_service_names[i];
		if (!service_enabled(m->conf, name))
			continue;
		struct master_service *svc = &m->services[m->service_count++];
		memset(svc, 0, sizeof(*svc));
		svc->owner = m;
		snprintf(svc->name, sizeof(svc->name), "%s", name);
		svc->fingerprint = conf_fingerprint(m->conf, name);
		if (master_bind_listeners(m->conf, svc, NULL, err, errsize) < 0)
			return -1;
	}
	for (size_t i = 0; i < m->service_count; i++)
		master_spawn(m, &m->services[i]);
	return 0;
}

static void restart_timer_fired(struct ev_loop *loop, void *arg)
{
	struct master_service *svc = arg;
	(void)loop;
	svc->restart_timer = 0;
	struct master *m = svc->owner;
	if (!m->stopping && !svc->removed && svc->pid == 0 && master_spawn(m, svc) < 0)
		svc->restart_timer = ev_timer_add(m->loop, 1000, restart_timer_fired, svc);
}

static uint64_t backoff_ms(const struct master *m, unsigned streak)
{
	uint64_t delay = conf_time_ms(m->conf, NULL, "restart_delay");
	uint64_t max = conf_time_ms(m->conf, NULL, "restart_delay_max");
	for (unsigned i = 1; i < streak && delay < max; i++)
		delay *= 2;
	return delay < max ? delay : max;
}

static void log_exit(const struct master_service *svc, pid_t pid, int status, bool expected)
{
	if (WIFEXITED(status) && (expected || WEXITSTATUS(status) == 0))
		log_info("exited service=%s pid=%ld status=%d", svc->name, (long)pid,
			 WEXITSTATUS(status));
	else if (WIFEXITED(status))
		log_warning("crashed service=%s pid=%ld status=%d", svc->name, (long)pid,
			    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_msg(expected ? LOG_LEVEL_INFO : LOG_LEVEL_WARNING,
			"%s service=%s pid=%ld signal=%s", expected ? "exited" : "crashed",
			svc->name, (long)pid, strsignal(WTERMSIG(status)));
}

static void child_exited(struct master *m, struct master_service *svc, pid_t pid, int status)
{
	if (!m->stopping && !svc->removed && WIFEXITED(status) &&
	    WEXITSTATUS(status) == SERVICE_EXIT_RESTART) {
		log_info("restart-requested service=%s pid=%ld", svc->name, (long)pid);
		svc->respawn_now = true; /* its own wish, not a crash */
	}
	bool expected = m->stopping || svc->removed || svc->respawn_now;
	log_exit(svc, pid, status, expected);
	svc->pid = 0;
	if (m->stopping)
		return;
	if (svc->removed) {
		master_close_listeners(svc);
		return;
	}
	if (svc->respawn_now) {
		svc->respawn_now = false;
		svc->crash_streak = 0;
		master_spawn(m, svc);
		return;
	}
	bool quick = ev_now_ms() - svc->started_ms < QUICK_CRASH_MS;
	svc->crash_streak = quick ? svc->crash_streak + 1 : 1;
	svc->restarts++;
	uint64_t delay = backoff_ms(m, svc->crash_streak);
	log_info("restart-scheduled service=%s delay_ms=%llu restarts=%u", svc->name,
		 (unsigned long long)delay, svc->restarts);
	svc->restart_timer = ev_timer_add(m->loop, delay, restart_timer_fired, svc);
}

static size_t running_children(const struct master *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->service_count; i++)
		n += m->services[i].pid != 0;
	return n;
}

static void reap(struct master *m)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < m->service_count; i++)
			if (m->services[i].pid == pid)
				child_exited(m, &m->services[i], pid, status);
	}
	if (m->stopping && running_children(m) == 0)
		ev_loop_break(m->loop);
}

static void kill_stragglers(struct ev_loop *loop, void *arg)
{
	struct master *m = arg;
	(void)loop;
	for (size_t i = 0; i < m->service_count; i++) {
		if (m->services[i].pid == 0)
			continue;
		log_warning("stop-timeout service=%s pid=%ld action=kill", m->services[i].name,
			    (long)m->services[i].pid);
		kill(m->services[i].pid, SIGKILL);
	}
}

void master_begin_stop(struct master *m)
{
	if (m->stopping)
		return;
	m->stopping = true;
	log_info("master-stopping children=%zu", running_children(m));
	for (size_t i = 0; i < m->service_count; i++) {
		struct master_service *svc = &m->services[i];
		if (svc->restart_timer)
			ev_timer_del(m->loop, svc->restart_timer);
		svc->restart_timer = 0;
		master_close_listeners(svc);
		if (svc->pid)
			kill(svc->pid, SIGTERM);
	}
	ev_timer_add(m->loop, conf_time_ms(m->conf, NULL, "shutdown_timeout") + 1000,
		     kill_stragglers, m);
	if (running_children(m) == 0)
		ev_loop_break(m->loop);
}

static void on_signal(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct master *m = arg;
	struct signalfd_siginfo si;
	(void)loop;
	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(m);
			break;
		case SIGHUP:
			if (!m->stopping)
				master_reload(m);
			break;
		default:
			master_begin_stop(m);
		}
	}
}

int master_setup_signals(struct master *m)
{
	static const int watched[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };
	m->signal_fd = signals_watch(m->loop, watched, 4, on_signal, m);
	return m->signal_fd < 0 ? -1 : 0;
}
