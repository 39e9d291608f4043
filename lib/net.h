/* net: listening and connecting sockets (TCP and UNIX) and fd passing.
 * Invariants: every fd returned is non-blocking and close-on-exec; addresses
 * are parsed by net_addr_parse only ("inet:HOST:PORT", "inet:[V6]:PORT",
 * "inet:*:PORT", "unix:PATH"); a malformed address is an error, never a
 * guess. */
#ifndef TERN_NET_H
#define TERN_NET_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

struct net_addr {
	bool is_unix;
	struct sockaddr_storage ss;
	socklen_t len;
	char path[108]; /* for unix: the path as given */
};

/* Parse "inet:127.0.0.1:25", "inet:[::1]:25", "inet:*:25", "inet:localhost:25"
 * (host resolved numerically only, except "localhost" -> 127.0.0.1) or
 * "unix:/path". A relative unix path is taken relative to `unix_base`
 * (may be NULL). Returns 0 or -1 with a reason in err (size errsize). */
int net_addr_parse(const char *spec, const char *unix_base, struct net_addr *out,
		   char *err, size_t errsize);
/* Listening socket (SO_REUSEADDR; IPV6_V6ONLY for v6; an existing UNIX socket
 * file is unlinked first). Returns fd or -1 (errno set). */
int net_listen(const struct net_addr *addr, int backlog);
/* Blocking connect with a timeout in ms, then the fd is made non-blocking.
 * Returns fd or -1 (errno set; ETIMEDOUT on timeout). */
int net_connect(const struct net_addr *addr, int timeout_ms);
/* Convenience: connect to a UNIX socket path. */
int net_connect_unix(const char *path, int timeout_ms);
/* accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC; the peer's printable address goes
 * to ip (size ipsize), "unix" for UNIX sockets (IPv4-mapped v6 shown as v4).
 * Returns fd or -1 (errno set; EAGAIN when none is pending). */
int net_accept(int listen_fd, char *ip, size_t ipsize);
/* Printable address of a connected socket's peer into ip. 0 or -1. */
int net_peer_ip(int fd, char *ip, size_t ipsize);
/* O_NONBLOCK and FD_CLOEXEC helpers. 0 or -1. */
int net_set_nonblock(int fd, bool on);
int net_set_cloexec(int fd, bool on);

/* Send fd over a UNIX socket with one byte of payload `tag`. 0 or -1. */
int net_send_fd(int sock, int fd, char tag);
/* Receive a passed fd; *tag_r gets the payload byte. Returns the fd, -1 on
 * error (errno), and -2 when the message carried no fd. */
int net_recv_fd(int sock, char *tag_r);

#endif
