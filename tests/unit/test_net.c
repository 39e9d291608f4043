/* test_net: address parsing tables (valid and malformed), TCP listen,
 * connect and accept on 127.0.0.1 (and ::1 when available), UNIX sockets
 * in a temporary directory, fd passing over a socketpair, fd flags. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "net.h"

struct good_case {
	const char *spec;
	const char *base;
	int family;
	const char *host; /* printable address, or the unix path */
	int port;
};

static const struct good_case good[] = {
	{ "inet:127.0.0.1:25", NULL, AF_INET, "127.0.0.1", 25 },
	{ "inet:*:2525", NULL, AF_INET, "0.0.0.0", 2525 },
	{ "inet:localhost:587", NULL, AF_INET, "127.0.0.1", 587 },
	{ "inet:0.0.0.0:65535", NULL, AF_INET, "0.0.0.0", 65535 },
	{ "inet:192.0.2.1:1", NULL, AF_INET, "192.0.2.1", 1 },
	{ "inet:[::1]:25", NULL, AF_INET6, "::1", 25 },
	{ "inet:[::]:143", NULL, AF_INET6, "::", 143 },
	{ "inet:[2001:db8::5]:993", NULL, AF_INET6, "2001:db8::5", 993 },
	{ "unix:/run/tern/auth", NULL, AF_UNIX, "/run/tern/auth", 0 },
	{ "unix:auth-client", "/run/tern", AF_UNIX, "/run/tern/auth-client", 0 },
	{ "unix:/abs/path", "/run/tern", AF_UNIX, "/abs/path", 0 },
	{ "unix:relative", NULL, AF_UNIX, "relative", 0 },
};

START_TEST(test_parse_good)
{
	const struct good_case *tc = &good[_i];
	struct net_addr a;
	char err[128] = "";
	ck_assert_msg(net_addr_parse(tc->spec, tc->base, &a, err, sizeof(err)) == 0,
		      "%s: %s", tc->spec, err);
	ck_assert_int_eq(a.ss.ss_family, tc->family);
	char ip[INET6_ADDRSTRLEN];
	if (tc->family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a.ss;
		ck_assert(!a.is_unix);
		ck_assert_uint_eq(a.len, sizeof(*s4));
		ck_assert_int_eq(ntohs(s4->sin_port), tc->port);
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		ck_assert_str_eq(ip, tc->host);
	} else if (tc->family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a.ss;
		ck_assert_uint_eq(a.len, sizeof(*s6));
		ck_assert_int_eq(ntohs(s6->sin6_port), tc->port);
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		ck_assert_str_eq(ip, tc->host);
	} else {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)&a.ss;
		ck_assert(a.is_unix);
		ck_assert_str_eq(a.path, tc->host);
		ck_assert_str_eq(sun->sun_path, tc->host);
	}
}
END_TEST

static const char *const bad[] = {
	"",
	"inet:",
	"inet:127.0.0.1",
	"inet:127.0.0.1:",
	"inet:127.0.0.1:0",
	"inet:127.0.0.1:00000",
	"inet:127.0.0.1:65536",
	"inet:127.0.0.1:99999",
	"inet:127.0.0.1:123456",
	"inet:127.0.0.1:2x",
	"inet:127.0.0.1:+25",
	"inet:127.0.0.1:-1",
	"inet:127.0.0.1: 25",
	"inet:127.0.0.1:25 ",
	"inet::25",
	"inet:[]:25",
	"inet:[::1]25",
	"inet:[::1]:",
	"inet:[::1:25",
	"inet:::1:25",
	"inet:[127.0.0.1]:25",
	"inet:[::1]:0",
	"inet:example.com:25",
	"inet:mail:25",
	"inet:256.1.1.1:25",
	"inet:1.2.3:25",
	"inet: 127.0.0.1:25",
	"inet:**:25",
	"INET:127.0.0.1:25",
	"tcp:127.0.0.1:25",
	"127.0.0.1:25",
	"unix:",
	"unixx:/x",
};

START_TEST(test_parse_bad)
{
	struct net_addr a;
	char err[128] = "";
	ck_assert_msg(net_addr_parse(bad[_i], "/run/tern", &a, err, sizeof(err)) == -1,
		      "accepted '%s'", bad[_i]);
	ck_assert_msg(err[0] != '\0', "no reason for '%s'", bad[_i]);
}
END_TEST

START_TEST(test_parse_long_unix)
{
	struct net_addr a;
	char spec[300], base[120], err[64];
	memset(base, 'b', sizeof(base));
	base[0] = '/';
	base[90] = '\0';
	strcpy(spec, "unix:");
	memset(spec + 5, 'p', 107);
	spec[5] = '/';
	spec[5 + 107] = '\0'; /* 107 chars: fits sun_path with its NUL */
	ck_assert_int_eq(net_addr_parse(spec, NULL, &a, err, sizeof(err)), 0);
	spec[5 + 107] = 'p';
	spec[5 + 108] = '\0'; /* 108: does not */
	ck_assert_int_eq(net_addr_parse(spec, NULL, &a, err, sizeof(err)), -1);
	memset(spec + 5, 'q', 250);
	spec[255] = '\0';
	ck_assert_int_eq(net_addr_parse(spec, NULL, &a, err, sizeof(err)), -1);
	/* short relative path made too long by the base */
	ck_assert_int_eq(net_addr_parse("unix:abcdefghijklmnopqrstuvwxyz", base, &a, err,
					sizeof(err)), -1);
	/* NULL err is allowed */
	ck_assert_int_eq(net_addr_parse("bogus", NULL, &a, NULL, 0), -1);
}
END_TEST

static void assert_flags(int fd)
{
	ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

static int accept_wait(int lfd, char *ip, size_t ipsize)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };
	ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
	return net_accept(lfd, ip, ipsize);
}

START_TEST(test_tcp_v4)
{
	struct net_addr a;
	char ip[64];
	ck_assert_int_eq(net_addr_parse("inet:127.0.0.1:1", NULL, &a, NULL, 0), 0);
	((struct sockaddr_in *)&a.ss)->sin_port = 0;
	int lfd = net_listen(&a, 16);
	ck_assert_int_ge(lfd, 0);
	assert_flags(lfd);
	ck_assert_int_eq(net_accept(lfd, ip, sizeof(ip)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	socklen_t len = sizeof(a.ss);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a.ss, &len), 0);
	ck_assert_int_ne(ntohs(((struct sockaddr_in *)&a.ss)->sin_port), 0);
	int cfd = net_connect(&a, 2000);
	ck_assert_int_ge(cfd, 0);
	assert_flags(cfd);
	int sfd = accept_wait(lfd, ip, sizeof(ip));
	ck_assert_int_ge(sfd, 0);
	assert_flags(sfd);
	ck_assert_str_eq(ip, "127.0.0.1");
	ck_assert_int_eq(net_peer_ip(cfd, ip, sizeof(ip)), 0);
	ck_assert_str_eq(ip, "127.0.0.1");
	ck_assert_int_eq(write(cfd, "ping", 4), 4);
	char got[8];
	struct pollfd pfd = { .fd = sfd, .events = POLLIN };
	ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
	ck_assert_int_eq(read(sfd, got, sizeof(got)), 4);
	ck_assert_mem_eq(got, "ping", 4);
	close(sfd);
	close(cfd);
	close(lfd);
	/* nobody listens there any more */
	ck_assert_int_eq(net_connect(&a, 2000), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_int_eq(net_peer_ip(-1, ip, sizeof(ip)), -1);
}
END_TEST

START_TEST(test_tcp_v6)
{
	struct net_addr a;
	char ip[64];
	ck_assert_int_eq(net_addr_parse("inet:[::1]:1", NULL, &a, NULL, 0), 0);
	((struct sockaddr_in6 *)&a.ss)->sin6_port = 0;
	int lfd = net_listen(&a, 16);
	if (lfd < 0 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL))
		return; /* no IPv6 loopback in this sandbox */
	ck_assert_int_ge(lfd, 0);
	int v6only = 0;
	socklen_t olen = sizeof(v6only);
	getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen);
	ck_assert_int_eq(v6only, 1);
	socklen_t len = sizeof(a.ss);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&a.ss, &len), 0);
	int cfd = net_connect(&a, 2000);
	ck_assert_int_ge(cfd, 0);
	int sfd = accept_wait(lfd, ip, sizeof(ip));
	ck_assert_int_ge(sfd, 0);
	ck_assert_str_eq(ip, "::1");
	close(sfd);
	close(cfd);
	close(lfd);
}
END_TEST

START_TEST(test_unix)
{
	char dir[] = "/tmp/tern-test-net-XXXXXX", path[128], spec[160], ip[16];
	struct net_addr a;
	struct stat st;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	ck_assert_int_eq(net_addr_parse("unix:sock", dir, &a, NULL, 0), 0);
	ck_assert_str_eq(a.path, path);
	ck_assert_int_eq(net_connect_unix(path, 500), -1);
	ck_assert_int_eq(errno, ENOENT);
	int lfd = net_listen(&a, 8);
	ck_assert_int_ge(lfd, 0);
	close(lfd);
	/* the stale socket file is replaced */
	ck_assert_int_eq(stat(path, &st), 0);
	lfd = net_listen(&a, 8);
	ck_assert_int_ge(lfd, 0);
	assert_flags(lfd);
	int cfd = net_connect_unix(path, 1000);
	ck_assert_int_ge(cfd, 0);
	assert_flags(cfd);
	int sfd = accept_wait(lfd, ip, sizeof(ip));
	ck_assert_int_ge(sfd, 0);
	assert_flags(sfd);
	ck_assert_str_eq(ip, "unix");
	ck_assert_int_eq(net_peer_ip(cfd, ip, sizeof(ip)), 0);
	ck_assert_str_eq(ip, "unix");
	close(sfd);
	close(cfd);
	close(lfd);
	unlink(path);
	/* a regular file in the way is not deleted */
	int f = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(f, 0);
	close(f);
	ck_assert_int_eq(net_listen(&a, 8), -1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	unlink(path);
	snprintf(spec, sizeof(spec), "unix:%s/x", dir);
	ck_assert_int_eq(net_addr_parse(spec, NULL, &a, NULL, 0), 0);
	ck_assert_int_eq(net_connect(&a, 100), -1);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_fd_passing)
{
	int sp[2], p[2];
	char tag = 0, got[8];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(net_send_fd(sp[0], p[1], 'M'), 0);
	close(p[1]);
	int fd = net_recv_fd(sp[1], &tag);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(tag, 'M');
	assert_flags(fd);
	ck_assert_int_eq(write(fd, "via", 3), 3);
	close(fd);
	ck_assert_int_eq(read(p[0], got, sizeof(got)), 3);
	ck_assert_mem_eq(got, "via", 3);
	close(p[0]);
	/* a message without an fd */
	ck_assert_int_eq(write(sp[0], "Q", 1), 1);
	ck_assert_int_eq(net_recv_fd(sp[1], &tag), -2);
	ck_assert_int_eq(tag, 'Q');
	/* nothing pending on a non-blocking socket */
	net_set_nonblock(sp[1], true);
	ck_assert_int_eq(net_recv_fd(sp[1], &tag), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* peer gone */
	close(sp[0]);
	ck_assert_int_eq(net_recv_fd(sp[1], &tag), -1);
	ck_assert_int_eq(net_send_fd(sp[1], 0, 'x'), -1);
	close(sp[1]);
}
END_TEST

START_TEST(test_fd_flags)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(net_set_nonblock(p[0], true), 0);
	ck_assert(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	ck_assert_int_eq(net_set_nonblock(p[0], false), 0);
	ck_assert(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
	ck_assert_int_eq(net_set_cloexec(p[0], true), 0);
	ck_assert(fcntl(p[0], F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(net_set_cloexec(p[0], false), 0);
	ck_assert(!(fcntl(p[0], F_GETFD) & FD_CLOEXEC));
	close(p[0]);
	close(p[1]);
	ck_assert_int_eq(net_set_nonblock(p[0], true), -1);
	ck_assert_int_eq(net_set_cloexec(p[0], true), -1);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_good, 0, N(good));
	tcase_add_loop_test(tc, test_parse_bad, 0, N(bad));
	tcase_add_test(tc, test_parse_long_unix);
	suite_add_tcase(s, tc);
	tc = tcase_create("sockets");
	tcase_add_test(tc, test_tcp_v4);
	tcase_add_test(tc, test_tcp_v6);
	tcase_add_test(tc, test_unix);
	tcase_add_test(tc, test_fd_passing);
	tcase_add_test(tc, test_fd_flags);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
