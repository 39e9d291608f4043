/* control: master's control socket for ternctl. One request line per
 * connection ("status", "reload", "stop"), answered with lines and then
 * closed. Invariants: the socket is mode 0600 in run_directory and a peer is
 * served only when its SO_PEERCRED uid is root or master's own uid; input is
 * bounded (one 256-byte line, 5 s). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "master.h"
#include "net.h"

static void control_path(const struct master *m, char *out, size_t size)
{
	const char *name = conf_str(m->conf, NULL, "control_socket");
	if (name[0] == '/')
		snprintf(out, size, "%s", name);
	else
		snprintf(out, size, "%s/%s", conf_str(m->conf, NULL, "run_directory"), name);
}

static void write_status(struct master *m, struct conn *c)
{
	uint64_t now = ev_now_ms();
	conn_printf(c, "master pid=%ld uptime=%llus\n", (long)getpid(),
		    (unsigned long long)((now - m->started_ms) / 1000));
	for (size_t i = 0; i < m->service_count; i++) {
		const struct master_service *svc = &m->services[i];
		if (svc->removed && svc->pid == 0)
			continue;
		const char *state = svc->pid ? (svc->removed ? "stopping" : "running")
					     : (m->stopping ? "stopped" : "restarting");
		conn_printf(c, "%s pid=%ld uptime=%llus restarts=%u state=%s\n", svc->name,
			    (long)svc->pid,
			    (unsigned long long)(svc->pid ? (now - svc->started_ms) / 1000 : 0),
			    svc->restarts, state);
	}
}

static void on_line(struct conn *c, char *line, size_t len, bool overlong)
{
	struct master *m = conn_ctx(c);
	(void)len;
	if (overlong) {
		conn_printf(c, "error: request too long\n");
	} else if (strcmp(line, "status") == 0) {
		write_status(m, c);
	} else if (strcmp(line, "reload") == 0) {
		log_info("control request=reload");
		conn_printf(c, "ok\n");
		master_reload(m);
	} else if (strcmp(line, "stop") == 0) {
		log_info("control request=stop");
		conn_printf(c, "ok pid=%ld\n", (long)getpid());
		if (m->stop_waiter_count < sizeof(m->stop_waiters) / sizeof(m->stop_waiters[0])) {
			int fd = fcntl(conn_fd(c), F_DUPFD_CLOEXEC, 0);
			if (fd >= 0)
				m->stop_waiters[m->stop_waiter_count++] = fd;
		}
		master_begin_stop(m);
	} else {
		log_warning("control-bad-request request=%s", log_str(line));
		conn_printf(c, "error: unknown request\n");
	}
	conn_close_after_flush(c);
}

static void on_close(struct conn *c, enum conn_close_reason reason)
{
	(void)c;
	(void)reason;
}

static const struct conn_handlers control_handlers = { .on_line = on_line, .on_close = on_close };

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void on_accept(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct master *m = arg;
	(void)events;
	char peer[64];
	int cfd = net_accept(fd, peer, sizeof(peer));
	if (cfd < 0)
		return;
	if (!peer_allowed(cfd)) {
		log_warning("control-denied");
		close(cfd);
		return;
	}
	conn_new(loop, cfd, "control", &control_handlers, m, 256, 5000);
}

int master_control_open(struct master *m, char *err, size_t errsize)
{
	char path[4096];
	control_path(m, path, sizeof(path));
	struct net_addr addr;
	char spec[4200];
	snprintf(spec, sizeof(spec), "unix:%s", path);
	if (net_addr_parse(spec, NULL, &addr, err, errsize) < 0)
		return -1;
	mode_t old = umask(0077);
	m->control_fd = net_listen(&addr, 16);
	umask(old);
	if (m->control_fd < 0 || chmod(path, 0600) < 0) {
		snprintf(err, errsize, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	return ev_io_set(m->loop, m->control_fd, EV_READ, on_accept, m);
}

void master_control_close(struct master *m)
{
	if (m->control_fd < 0)
		return;
	ev_io_del(m->loop, m->control_fd);
	close(m->control_fd);
	m->control_fd = -1;
	char path[4096];
	control_path(m, path, sizeof(path));
	unlink(path);
}
