/* net: address parsing, listening/connecting sockets, fd passing.
 * Invariants: net_addr_parse accepts only the documented forms (numeric
 * hosts, ports 1-65535, unix paths that fit sun_path) and fills an error
 * otherwise; every fd handed out is O_NONBLOCK and FD_CLOEXEC; on failure
 * nothing is leaked and errno tells why. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int net_fail(char *err, size_t errsize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int net_fail(char *err, size_t errsize, const char *fmt, ...)
{
	if (err && errsize) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errsize, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int net_parse_unix(const char *path, const char *base, struct net_addr *out,
			  char *err, size_t errsize)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&out->ss;
	char full[sizeof(out->path) + 1];
	int n;
	if (*path == '\0')
		return net_fail(err, errsize, "empty unix socket path");
	if (path[0] != '/' && base && *base)
		n = snprintf(full, sizeof(full), "%s/%s", base, path);
	else
		n = snprintf(full, sizeof(full), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(sun->sun_path) || (size_t)n >= sizeof(out->path))
		return net_fail(err, errsize, "unix socket path too long");
	out->is_unix = true;
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, full, (size_t)n + 1);
	memcpy(out->path, full, (size_t)n + 1);
	out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n + 1);
	return 0;
}

/* Port: 1-5 decimal digits, 1..65535. */
static int net_parse_port(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
		return -1;
	long v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

static int net_parse_inet(const char *spec, struct net_addr *out, char *err, size_t errsize)
{
	const char *hs = spec, *he, *port;
	bool v6 = spec[0] == '[';
	char host[64];
	if (v6) {
		hs = spec + 1;
		he = strchr(hs, ']');
		if (!he || he[1] != ':')
			return net_fail(err, errsize, "bad [IPv6]:port syntax: %s", spec);
		port = he + 2;
	} else {
		he = strrchr(spec, ':');
		if (!he)
			return net_fail(err, errsize, "missing port: %s", spec);
		port = he + 1;
	}
	size_t hlen = (size_t)(he - hs);
	if (hlen == 0)
		return net_fail(err, errsize, "empty host: %s", spec);
	if (hlen >= sizeof(host))
		return net_fail(err, errsize, "host too long: %s", spec);
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	int pnum = net_parse_port(port);
	if (pnum < 0)
		return net_fail(err, errsize, "bad port (1-65535): %s", spec);
	out->is_unix = false;
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return net_fail(err, errsize, "bad IPv6 address: %s", host);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)pnum);
		out->len = sizeof(*s6);
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;
	if (strcmp(host, "*") == 0)
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (strcmp(host, "localhost") == 0)
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return net_fail(err, errsize, "bad host (numeric IPv4, [IPv6], * or localhost): %s",
				host);
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)pnum);
	out->len = sizeof(*s4);
	return 0;
}

int net_addr_parse(const char *spec, const char *unix_base, struct net_addr *out,
		   char *err, size_t errsize)
{
	memset(out, 0, sizeof(*out));
	if (err && errsize)
		err[0] = '\0';
	if (strncmp(spec, "unix:", 5) == 0)
		return net_parse_unix(spec + 5, unix_base, out, err, errsize);
	if (strncmp(spec, "inet:", 5) == 0)
		return net_parse_inet(spec + 5, out, err, errsize);
	return net_fail(err, errsize, "address must start with inet: or unix: : %s", spec);
}

int net_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	int nfl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return nfl == fl ? 0 : fcntl(fd, F_SETFL, nfl) < 0 ? -1 : 0;
}

int net_set_cloexec(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0)
		return -1;
	int nfl = on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC;
	return nfl == fl ? 0 : fcntl(fd, F_SETFD, nfl) < 0 ? -1 : 0;
}

static int net_close_keep_errno(int fd)
{
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

int net_listen(const struct net_addr *addr, int backlog)
{
	int family = addr->ss.ss_family;
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	if (addr->is_unix) {
		struct stat st;
		if (lstat(addr->path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(addr->path);
	} else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		   (family == AF_INET6 &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)) {
		return net_close_keep_errno(fd);
	}
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0 ||
	    listen(fd, backlog) < 0)
		return net_close_keep_errno(fd);
	return fd;
}

/* Wait for a non-blocking connect to finish. 0 or -1 (errno). */
static int net_connect_wait(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int r;
	do
		r = poll(&pfd, 1, timeout_ms > 0 ? timeout_ms : -1);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -1;
	if (soerr) {
		errno = soerr;
		return -1;
	}
	return 0;
}

int net_connect(const struct net_addr *addr, int timeout_ms)
{
	int fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
			(addr->is_unix ? 0 : SOCK_NONBLOCK), 0);
	if (fd < 0)
		return -1;
	if (addr->is_unix && timeout_ms > 0) {
		/* a full UNIX backlog blocks connect(); SO_SNDTIMEO bounds it */
		struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
			return net_close_keep_errno(fd);
	}
	if (connect(fd, (const struct sockaddr *)&addr->ss, addr->len) < 0) {
		if (addr->is_unix && (errno == EAGAIN || errno == EINPROGRESS))
			errno = ETIMEDOUT;
		if (addr->is_unix || errno != EINPROGRESS || net_connect_wait(fd, timeout_ms) < 0)
			return net_close_keep_errno(fd);
	}
	if (addr->is_unix) {
		struct timeval zero = { 0, 0 };
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof(zero)) < 0 ||
		    net_set_nonblock(fd, true) < 0)
			return net_close_keep_errno(fd);
	}
	return fd;
}

int net_connect_unix(const char *path, int timeout_ms)
{
	struct net_addr addr;
	if (net_parse_unix(path, NULL, &addr, NULL, 0) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return net_connect(&addr, timeout_ms);
}

static void net_format(const struct sockaddr_storage *ss, char *ip, size_t ipsize)
{
	char tmp[INET6_ADDRSTRLEN] = "unknown";
	if (ss->ss_family == AF_UNIX) {
		snprintf(tmp, sizeof(tmp), "unix");
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, tmp, sizeof(tmp));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], tmp, sizeof(tmp));
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, tmp, sizeof(tmp));
	}
	if (ip && ipsize)
		snprintf(ip, ipsize, "%s", tmp);
}

int net_accept(int listen_fd, char *ip, size_t ipsize)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;
	do {
		len = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		fd = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	net_format(&ss, ip, ipsize);
	return fd;
}

int net_peer_ip(int fd, char *ip, size_t ipsize)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	net_format(&ss, ip, ipsize);
	return 0;
}

int net_send_fd(int sock, int fd, char tag)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &tag, .iov_len = 1 };
	struct msghdr msg = { 0 };
	memset(&u, 0, sizeof(u));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

#define NET_RECV_MAX_FDS 8

/* Take the first passed fd out of msg and close any extra ones. */
static int net_take_fd(struct msghdr *msg)
{
	int got = -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (got < 0)
				got = fd;
			else
				close(fd);
		}
	}
	return got;
}

int net_recv_fd(int sock, char *tag_r)
{
	union {
		char buf[CMSG_SPACE(NET_RECV_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	char tag = 0;
	struct iovec iov = { .iov_base = &tag, .iov_len = 1 };
	struct msghdr msg = { 0 };
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	ssize_t n;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	int fd = net_take_fd(&msg);
	if (n == 0 && fd < 0) {
		errno = ECONNRESET; /* the peer closed: no message at all */
		return -1;
	}
	if (tag_r)
		*tag_r = tag;
	if (fd < 0)
		return -2;
	if (net_set_nonblock(fd, true) < 0) {
		net_close_keep_errno(fd);
		return -1;
	}
	return fd;
}
