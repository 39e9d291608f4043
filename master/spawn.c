/* spawn: fork and exec one daemon with its listeners. The child gets its
 * listening sockets as fds 3, 4, ... named in TERN_LISTEN, runs in its own
 * process group (Ctrl-C on master's terminal reaches master only, which
 * then stops the children in order) and execs
 * daemon_directory/NAME -c CONFIG -s NAME. The daemon itself drops
 * privileges (service.c) before it reads any input. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "master.h"
#include "signals.h"

/* In the child: move listener fds to 3.. and clear close-on-exec on them. */
static void child_setup_fds(struct master_service *svc, char *env, size_t envsize)
{
	int tmp[SERVICE_MAX_LISTENERS];
	for (size_t i = 0; i < svc->listener_count; i++)
		tmp[i] = fcntl(svc->listeners[i].fd, F_DUPFD_CLOEXEC, 3 + SERVICE_MAX_LISTENERS);
	size_t off = (size_t)snprintf(env, envsize, "TERN_LISTEN=");
	for (size_t i = 0; i < svc->listener_count; i++) {
		int target = 3 + (int)i;
		dup2(tmp[i], target); /* dup2 clears FD_CLOEXEC on target */
		off += (size_t)snprintf(env + off, envsize - off, "%s%s=%d", i ? " " : "",
					svc->listeners[i].spec.name, target);
	}
}

int master_spawn(struct master *m, struct master_service *svc)
{
	char program[4096];
	snprintf(program, sizeof(program), "%s/%s", conf_str(m->conf, NULL, "daemon_directory"),
		 svc->name);
	if (access(program, X_OK) < 0) {
		log_error("spawn-failed service=%s program=%s error=%s", svc->name,
			  log_str(program), strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_error("spawn-failed service=%s error=%s", svc->name, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char env_listen[1024], env_master[64];
		signals_reset_mask();
		setpgid(0, 0);
		child_setup_fds(svc, env_listen, sizeof(env_listen));
		snprintf(env_master, sizeof(env_master), "%ld", (long)getppid());
		putenv(env_listen);
		setenv("TERN_MASTER_PID", env_master, 1);
		execl(program, program, "-c", m->config_path, "-s", svc->name, (char *)NULL);
		fprintf(stderr, "tern master: exec %s: %s\n", program, strerror(errno));
		_exit(127);
	}
	svc->pid = pid;
	svc->started_ms = ev_now_ms();
	log_info("spawned service=%s pid=%ld", svc->name, (long)pid);
	return 0;
}
