/* queuecmd: "ternctl queue list|flush|hold ID|release ID|delete ID|show ID"
 * over the queue's "control" socket: one command line out, then text
 * lines starting with "+" (printed without it) until "OK" or "ERROR ...".
 * Exit 0 = OK, 1 = the queue said ERROR (e.g. no such message), 2 =
 * trouble (cannot connect, garbled reply). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ternctl.h"

int ctl_queue(const struct conf *conf, const char *cmd, const char *id)
{
	static const char *const verbs[][2] = {
		{ "list", "LIST" },   { "flush", "FLUSH" },	{ "hold", "HOLD" },
		{ "release", "RELEASE" }, { "delete", "DELETE" }, { "show", "SHOW" },
	};
	const char *verb = NULL;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(cmd, verbs[i][0]) == 0)
			verb = verbs[i][1];
	bool needs_id = verb && strcmp(verb, "LIST") != 0 && strcmp(verb, "FLUSH") != 0;
	if (!verb || needs_id != (id != NULL) || (id && strpbrk(id, " \t\r\n"))) {
		fprintf(stderr, "ternctl: queue list|flush|hold ID|release ID|delete ID|show ID\n");
		return 2;
	}
	int fd = ctl_connect_listener(conf, "queue", "control");
	if (fd < 0)
		return 2;
	char line[4096];
	snprintf(line, sizeof(line), "%s%s%s\n", verb, id ? " " : "", id ? id : "");
	int rc = 2;
	if (ctl_write_all(fd, line, strlen(line)) < 0)
		goto out;
	while (ctl_read_line(fd, line, sizeof(line)) == 1) {
		if (line[0] == '+') {
			printf("%s\n", line + 1);
		} else if (strcmp(line, "OK") == 0) {
			rc = 0;
			break;
		} else if (strncmp(line, "ERROR", 5) == 0) {
			fprintf(stderr, "ternctl: queue: %s\n", line[5] ? line + 6 : "error");
			rc = 1;
			break;
		} else {
			fprintf(stderr, "ternctl: unexpected reply from the queue\n");
			break;
		}
	}
	if (rc == 2)
		fprintf(stderr, "ternctl: no complete reply from the queue\n");
out:
	close(fd);
	return rc;
}
