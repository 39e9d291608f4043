/* authcmd: ternctl's authd clients: "auth test" over the SASL socket
 * (Dovecot auth protocol, PLAIN), "user" over the userdb socket
 * (auth-master USER) and "lookup" over the socketmap socket. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ipc.h"
#include "ternctl.h"

static int send_buf(int fd, struct buf *b)
{
	int r = buf_error(b) ? -1 : ctl_write_all(fd, b->data, b->len);
	buf_free(b);
	return r;
}

/* Skip the server's handshake up to DONE (SASL) or SPID (userdb). */
static int skip_handshake(int fd, const char *last)
{
	char line[4096];
	while (ctl_read_line(fd, line, sizeof(line)) == 1)
		if (strncmp(line, last, strlen(last)) == 0)
			return 0;
	fprintf(stderr, "ternctl: authd closed the connection during the handshake\n");
	return -1;
}

int ctl_auth_test(const struct conf *conf, const char *user, const char *password)
{
	int fd = ctl_connect_listener(conf, "authd", "client");
	if (fd < 0 || skip_handshake(fd, "DONE") < 0)
		return 2;
	struct buf raw, req;
	buf_init(&raw, 4096);
	buf_init(&req, 8192);
	buf_append_char(&raw, '\0');
	buf_append_str(&raw, user);
	buf_append_char(&raw, '\0');
	buf_append_str(&raw, password);
	buf_printf(&req, "VERSION\t1\t2\nCPID\t%ld\nAUTH\t1\tPLAIN\tservice=ternctl\tresp=",
		   (long)getpid());
	ipc_base64_encode(&req, (const unsigned char *)raw.data, raw.len);
	buf_append_char(&req, '\n');
	buf_free(&raw);
	char line[4096];
	if (send_buf(fd, &req) < 0 || ctl_read_line(fd, line, sizeof(line)) != 1) {
		fprintf(stderr, "ternctl: no answer from authd\n");
		close(fd);
		return 2;
	}
	close(fd);
	/* "OK\t1\tuser=x" -> "auth succeeded: user=x" */
	char *f[16];
	int n = ipc_split_fields(line, strlen(line), f, NULL, 16);
	bool ok = n >= 2 && strcmp(f[0], "OK") == 0;
	printf("auth %s:", ok ? "succeeded" : "failed");
	for (int i = 2; i < n; i++)
		printf(" %s", f[i]);
	printf("\n");
	return ok ? 0 : 1;
}

int ctl_user(const struct conf *conf, const char *user)
{
	int fd = ctl_connect_listener(conf, "authd", "userdb");
	if (fd < 0 || skip_handshake(fd, "SPID") < 0)
		return 2;
	struct buf req;
	buf_init(&req, 4096);
	buf_append_str(&req, "VERSION\t1\t1\nUSER\t1\t");
	ipc_tabescape(&req, user, strlen(user));
	buf_append_str(&req, "\tservice=ternctl\n");
	char line[8192];
	if (send_buf(fd, &req) < 0 || ctl_read_line(fd, line, sizeof(line)) != 1) {
		fprintf(stderr, "ternctl: no answer from authd\n");
		close(fd);
		return 2;
	}
	close(fd);
	char *f[32];
	int n = ipc_split_fields(line, strlen(line), f, NULL, 32);
	if (n >= 3 && strcmp(f[0], "USER") == 0) {
		printf("user=%s\n", f[2]);
		for (int i = 3; i < n; i++)
			printf("%s\n", f[i]);
		return 0;
	}
	if (n >= 1 && strcmp(f[0], "NOTFOUND") == 0)
		fprintf(stderr, "ternctl: user %s not found\n", user);
	else
		fprintf(stderr, "ternctl: lookup failed: %s\n", n >= 3 ? f[2] : "bad reply");
	return n >= 1 && strcmp(f[0], "NOTFOUND") == 0 ? 1 : 2;
}

int ctl_lookup(const struct conf *conf, const char *map, const char *key)
{
	int fd = ctl_connect_listener(conf, "authd", "socketmap");
	if (fd < 0)
		return 2;
	struct buf q, req;
	buf_init(&q, 8192);
	buf_init(&req, 8300);
	buf_printf(&q, "%s %s", map, key);
	ipc_netstring_put(&req, q.data, q.len);
	buf_free(&q);
	char head[16], *reply = NULL;
	size_t i = 0;
	int rc = 2;
	if (send_buf(fd, &req) < 0)
		goto out;
	for (; i < sizeof(head) - 1; i++) {
		if (ctl_read_exact(fd, &head[i], 1) < 0)
			goto out;
		if (head[i] == ':')
			break;
	}
	head[i] = '\0';
	size_t len = strtoul(head, NULL, 10);
	reply = malloc(len + 2);
	if (reply == NULL || i == sizeof(head) - 1 || len > 100000 ||
	    ctl_read_exact(fd, reply, len + 1) < 0 || reply[len] != ',')
		goto out;
	reply[len] = '\0';
	printf("%s\n", reply);
	rc = strncmp(reply, "OK ", 3) == 0 ? 0 : strncmp(reply, "NOTFOUND", 8) == 0 ? 1 : 2;
out:
	if (rc == 2 && reply == NULL)
		fprintf(stderr, "ternctl: bad or no answer from authd\n");
	free(reply);
	close(fd);
	return rc;
}
