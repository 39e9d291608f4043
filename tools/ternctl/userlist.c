/* userlist: "ternctl user list [GLOB]": every user of the directory through
 * authd's userdb socket (auth-master LIST). The mask also goes to authd as
 * Dovecot's "user=" field, but authd lists everyone, so ternctl filters
 * with fnmatch(3) itself. Exit 0 = listed (DONE), 1 = FAIL, 2 = trouble. */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ipc.h"
#include "ternctl.h"

static int send_list(int fd, const char *mask)
{
	struct buf req;
	buf_init(&req, 8192);
	buf_append_str(&req, "VERSION\t1\t1\nLIST\t1");
	if (mask) {
		buf_append_str(&req, "\tuser=");
		ipc_tabescape(&req, mask, strlen(mask));
	}
	buf_append_char(&req, '\n');
	int r = buf_error(&req) ? -1 : ctl_write_all(fd, req.data, req.len);
	buf_free(&req);
	return r;
}

/* One reply line: 1 = a user (printed), 0 = DONE, -1 = FAIL, -2 = garbage. */
static int list_reply(char *line, const char *mask, unsigned long *count)
{
	char *f[8];
	size_t lens[8];
	int n = ipc_split_fields(line, strlen(line), f, lens, 8);
	if (n >= 2 && strcmp(f[0], "DONE") == 0 && strcmp(f[1], "1") == 0)
		return 0;
	if (n >= 2 && strcmp(f[0], "FAIL") == 0 && strcmp(f[1], "1") == 0) {
		fprintf(stderr, "ternctl: user list failed: %s\n", n >= 3 ? f[2] : "no reason given");
		return -1;
	}
	if (n < 3 || strcmp(f[0], "LIST") != 0 || strcmp(f[1], "1") != 0 ||
	    memchr(f[2], '\0', lens[2]) != NULL)
		return -2;
	if (mask == NULL || fnmatch(mask, f[2], FNM_CASEFOLD) == 0) {
		printf("%s\n", f[2]);
		(*count)++;
	}
	return 1;
}

int ctl_user_list(const struct conf *conf, const char *mask)
{
	int fd = ctl_connect_listener(conf, "authd", "userdb");
	if (fd < 0)
		return 2;
	char line[8192];
	int rc = 2;
	unsigned long count = 0;
	while (ctl_read_line(fd, line, sizeof(line)) == 1 && strncmp(line, "SPID", 4) != 0)
		;
	if (send_list(fd, mask) < 0)
		goto out;
	for (;;) {
		if (ctl_read_line(fd, line, sizeof(line)) != 1) {
			fprintf(stderr, "ternctl: authd closed the connection during the list\n");
			break;
		}
		int r = list_reply(line, mask, &count);
		if (r == 1)
			continue;
		if (r == -2)
			fprintf(stderr, "ternctl: unexpected reply from authd\n");
		rc = r == 0 ? 0 : r == -1 ? 1 : 2;
		break;
	}
out:
	close(fd);
	return rc;
}
