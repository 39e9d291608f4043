/* client_io: blocking socket helpers for ternctl, with a deadline on every
 * read so a stuck daemon cannot hang the tool. Reads are byte-buffered per
 * fd in a tiny static buffer: ternctl has one connection at a time. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "ternctl.h"

int ctl_read_timeout_ms = TERNCTL_TIMEOUT_MS;
static char rbuf[8192];
static size_t rlen, rpos;
static int rfd = -1;

int ctl_connect_path(const char *path)
{
	int fd = net_connect_unix(path, TERNCTL_TIMEOUT_MS);
	if (fd < 0)
		fprintf(stderr, "ternctl: connect %s: %s\n", path, strerror(errno));
	return fd;
}

int ctl_connect_listener(const struct conf *conf, const char *service, const char *name)
{
	const struct conf_listen *ls;
	size_t n = conf_listeners(conf, service, &ls);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ls[i].name, name) != 0)
			continue;
		struct net_addr addr;
		char err[256];
		if (net_addr_parse(ls[i].address, conf_str(conf, NULL, "run_directory"), &addr, err,
				   sizeof(err)) < 0) {
			fprintf(stderr, "ternctl: %s\n", err);
			return -1;
		}
		int fd = net_connect(&addr, TERNCTL_TIMEOUT_MS);
		if (fd < 0)
			fprintf(stderr, "ternctl: connect %s: %s\n", ls[i].address, strerror(errno));
		return fd;
	}
	fprintf(stderr, "ternctl: service %s has no \"%s\" listener in %s\n", service, name,
		conf_path(conf));
	return -1;
}

int ctl_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { fd, POLLOUT, 0 };
			if (poll(&pfd, 1, TERNCTL_TIMEOUT_MS) <= 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fill(int fd)
{
	if (rfd != fd) {
		rfd = fd;
		rlen = rpos = 0;
	}
	if (rpos < rlen)
		return 1;
	struct pollfd pfd = { fd, POLLIN, 0 };
	if (poll(&pfd, 1, ctl_read_timeout_ms) <= 0)
		return -1;
	ssize_t n = read(fd, rbuf, sizeof(rbuf));
	if (n < 0)
		return -1;
	rlen = (size_t)n;
	rpos = 0;
	return n > 0;
}

int ctl_read_line(int fd, char *out, size_t size)
{
	size_t len = 0;
	for (;;) {
		int r = fill(fd);
		if (r <= 0)
			return len > 0 ? -1 : r;
		char ch = rbuf[rpos++];
		if (ch == '\n') {
			out[len] = '\0';
			return 1;
		}
		if (len + 1 >= size)
			return -1;
		out[len++] = ch;
	}
}

int ctl_read_exact(int fd, char *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (fill(fd) <= 0)
			return -1;
		out[i] = rbuf[rpos++];
	}
	return 0;
}
