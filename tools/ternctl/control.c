/* control: ternctl's side of master's control socket: status, reload and
 * stop (which waits until master has exited). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ternctl.h"

static int request(const struct conf *conf, const char *what, char *first, size_t size)
{
	char path[4096];
	const char *name = conf_str(conf, NULL, "control_socket");
	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", conf_str(conf, NULL, "run_directory"), name);
	int fd = ctl_connect_path(path);
	if (fd < 0) {
		fprintf(stderr, "ternctl: is master running?\n");
		return -1;
	}
	char line[1024];
	snprintf(line, sizeof(line), "%s\n", what);
	if (ctl_write_all(fd, line, strlen(line)) < 0) {
		close(fd);
		return -1;
	}
	int got = 0, r;
	while ((r = ctl_read_line(fd, line, sizeof(line))) == 1) {
		if (got++ == 0 && first)
			snprintf(first, size, "%s", line);
		if (strncmp(line, "error:", 6) == 0)
			fprintf(stderr, "ternctl: %s\n", line);
		else if (!first)
			printf("%s\n", line);
	}
	close(fd);
	return r < 0 || got == 0 ? -1 : 0;
}

int ctl_status(const struct conf *conf)
{
	return request(conf, "status", NULL, 0) < 0 ? 1 : 0;
}

int ctl_reload(const struct conf *conf)
{
	char reply[256];
	if (request(conf, "reload", reply, sizeof(reply)) < 0 || strcmp(reply, "ok") != 0)
		return 1;
	printf("reloaded\n");
	return 0;
}

int ctl_stop(const struct conf *conf)
{
	char reply[256];
	/* master holds this connection open until it has exited: the EOF that
	 * ends request() is the signal that the stop is complete. */
	ctl_read_timeout_ms = (int)conf_time_ms(conf, NULL, "shutdown_timeout") + 5000;
	if (request(conf, "stop", reply, sizeof(reply)) < 0 || strncmp(reply, "ok pid=", 7) != 0)
		return 1;
	printf("stopped\n");
	return 0;
}
