/* master: tern's privilege-separated supervisor (root in production). It
 * reads tern.conf, creates directories, binds every listener, spawns each
 * service and keeps it running; SIGHUP reloads, SIGTERM stops. It parses no
 * network input. Runs in the foreground (systemd Type=simple). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "master.h"

static int usage(void)
{
	fprintf(stderr, "usage: master [-c CONFIG]\n");
	return 1;
}

static int fail(struct master *m, const char *err)
{
	log_error("master-startup-error error=%s", log_str(err));
	if (m->conf && strcmp(conf_str(m->conf, NULL, "log_path"), "stderr") != 0)
		fprintf(stderr, "tern master: %s\n", err);
	return 1;
}

static void cleanup(struct master *m)
{
	conn_close_all();
	master_control_close(m);
	for (size_t i = 0; i < m->service_count; i++) {
		master_close_listeners(&m->services[i]);
		free(m->services[i].fingerprint);
	}
	if (m->signal_fd >= 0)
		close(m->signal_fd);
	if (m->pid_fd >= 0) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/master.pid", conf_str(m->conf, NULL, "run_directory"));
		unlink(path);
		close(m->pid_fd);
	}
	ev_loop_free(&m->loop);
	conf_free(&m->conf);
	for (size_t i = 0; i < m->stop_waiter_count; i++)
		close(m->stop_waiters[i]); /* last: ternctl stop returns now */
}

int main(int argc, char **argv)
{
	struct master m = { .signal_fd = -1, .control_fd = -1, .pid_fd = -1 };
	const char *config = TERN_DEFAULT_CONFIG;
	char err[1024], abspath[PATH_MAX];
	int opt;
	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt != 'c')
			return usage();
		config = optarg;
	}
	if (optind != argc)
		return usage();
	log_use_fd("master", STDERR_FILENO);
	if (realpath(config, abspath) == NULL) {
		fprintf(stderr, "tern master: %s: cannot open config\n", config);
		return 1;
	}
	m.config_path = abspath;
	m.conf = conf_load(abspath, err, sizeof(err));
	if (m.conf == NULL) {
		fprintf(stderr, "tern master: %s\n", err);
		return 1;
	}
	if (log_open("master", conf_str(m.conf, NULL, "log_path")) < 0) {
		fprintf(stderr, "tern master: cannot open log %s\n", conf_str(m.conf, NULL, "log_path"));
		conf_free(&m.conf);
		return 1;
	}
	int level = log_level_parse(conf_str(m.conf, NULL, "log_level"));
	if (level >= 0)
		log_set_level((enum log_level)level);
	m.started_ms = ev_now_ms();
	int rc = 1;
	m.loop = ev_loop_new();
	if (m.loop == NULL || master_setup_signals(&m) < 0)
		rc = fail(&m, "event loop or signals unavailable");
	else if (master_prepare_dirs(m.conf, err, sizeof(err)) < 0 ||
		 master_lock_pidfile(&m, err, sizeof(err)) < 0 ||
		 master_control_open(&m, err, sizeof(err)) < 0 ||
		 master_start_services(&m, err, sizeof(err)) < 0)
		rc = fail(&m, err);
	else {
		log_info("master-started pid=%ld config=%s services=%zu", (long)getpid(),
			 log_str(abspath), m.service_count);
		rc = ev_loop_run(m.loop) < 0;
		log_info("master-stopped");
	}
	cleanup(&m);
	log_close();
	return rc;
}
