/* authbench: a load generator for Dovecot-protocol auth servers (tern authd
 * and Dovecot auth) and Postfix socketmap servers (tern authd): N
 * non-blocking connections on one poll() loop, each with at most one request
 * in flight: AUTH PLAIN (mode auth), auth-master USER lookups (mode userdb),
 * socketmap "MAP key" lookups (mode socketmap), or just the handshake, then
 * held open (mode idle). With -n every request names a new unknown user.
 * Invariants: counters only count after the warm-up; an op is an answer of
 * the expected kind (found, or not found with -n), anything else an error
 * (TEMP/temporary failures also counted apart); at the end no new request is
 * sent and in-flight ones are awaited (up to 10 s) before closing, since
 * Dovecot counts a request aborted by a disconnect as a failed login (auth
 * penalty); the result is exactly one "key=value ..." line on stdout; a
 * dropped connection is an error. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ipc.h"

enum mode { M_AUTH, M_USERDB, M_SOCKETMAP, M_IDLE };

struct user {
	char *name;
	char *pass;
	char *resp; /* base64("\0user\0password") */
};

struct bconn {
	int fd;
	bool ready;    /* handshake done */
	bool inflight; /* a request is waiting for its reply */
	unsigned id;
	struct buf in, out;
};

struct bench {
	enum mode mode;
	const char *sock;
	const char *map; /* socketmap: the map asked */
	bool unknown;	 /* -n: a new unknown user per request */
	size_t conc;
	double secs, warmup;
	struct user *users;
	size_t nusers, next_user;
	unsigned long seq; /* -n: unknown users made */
	struct bconn *conns;
	struct pollfd *pfds;
	unsigned long ops, errors, temp, ready, inflight;
	bool counting, draining;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *msg)
{
	fprintf(stderr, "authbench: %s\n", msg);
	exit(2);
}

/* users.txt: "user:password" per line; blank lines and # comments skipped. */
static void load_users(struct bench *b, const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		die("cannot open users file");
	char line[1024];
	size_t cap = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		char *colon = strchr(line, ':');
		if (line[0] == '#' || colon == NULL)
			continue;
		*colon = 0;
		if (b->nusers == cap) {
			cap = cap ? cap * 2 : 64;
			b->users = realloc(b->users, cap * sizeof(*b->users));
			if (b->users == NULL)
				die("out of memory");
		}
		size_t ulen = strlen(line), plen = strlen(colon + 1);
		struct buf raw, enc;
		buf_init(&raw, 0);
		buf_init(&enc, 0);
		buf_append_char(&raw, 0);
		buf_append(&raw, line, ulen);
		buf_append_char(&raw, 0);
		buf_append(&raw, colon + 1, plen);
		ipc_base64_encode(&enc, (const unsigned char *)raw.data, raw.len);
		b->users[b->nusers].name = strdup(line);
		b->users[b->nusers].pass = strdup(colon + 1);
		b->users[b->nusers].resp = strdup(buf_str(&enc));
		buf_free(&raw);
		buf_free(&enc);
		b->nusers++;
	}
	fclose(f);
	if (b->nusers == 0)
		die("no users in users file");
}

static void send_request(struct bench *b, struct bconn *c);

static int open_conn(struct bench *b, struct bconn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(b->sock) >= sizeof(sa.sun_path))
		die("socket path too long");
	strcpy(sa.sun_path, b->sock);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	buf_init(&c->in, 1 << 20);
	buf_init(&c->out, 1 << 20);
	if (b->mode == M_SOCKETMAP) { /* no handshake */
		c->ready = true;
		b->ready++;
		send_request(b, c);
	} else if (b->mode == M_USERDB)
		buf_append_str(&c->out, "VERSION\t1\t1\n");
	else
		buf_printf(&c->out, "VERSION\t1\t2\nCPID\t%ld\n", (long)getpid());
	return 0;
}

static void close_conn(struct bench *b, struct bconn *c, bool error)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	buf_free(&c->in);
	buf_free(&c->out);
	if (c->ready)
		b->ready--;
	if (c->inflight)
		b->inflight--;
	c->ready = c->inflight = false;
	if (error)
		b->errors++;
}

/* -n: "nx<pid>-<seq>-local@domain", never in the database */
static void unknown_user(struct bench *b, const struct user *u, struct buf *name_r,
			 struct buf *resp_r)
{
	buf_printf(name_r, "nx%ld-%lu-%s", (long)getpid(), ++b->seq, u->name);
	struct buf raw;
	buf_init(&raw, 0);
	buf_append_char(&raw, 0);
	buf_append(&raw, name_r->data, name_r->len);
	buf_append_char(&raw, 0);
	buf_append_str(&raw, u->pass);
	ipc_base64_encode(resp_r, (const unsigned char *)raw.data, raw.len);
	buf_free(&raw);
}

static void send_request(struct bench *b, struct bconn *c)
{
	const struct user *u = &b->users[b->next_user++ % b->nusers];
	const char *name = u->name, *resp = u->resp;
	struct buf nbuf, rbuf;
	buf_init(&nbuf, 0);
	buf_init(&rbuf, 0);
	if (b->unknown) {
		unknown_user(b, u, &nbuf, &rbuf);
		name = buf_str(&nbuf);
		resp = buf_str(&rbuf);
	}
	c->id++;
	if (b->mode == M_AUTH)
		buf_printf(&c->out, "AUTH\t%u\tPLAIN\tservice=smtp\tresp=%s\n", c->id, resp);
	else if (b->mode == M_USERDB)
		buf_printf(&c->out, "USER\t%u\t%s\tservice=bench\n", c->id, name);
	else
		buf_printf(&c->out, "%zu:%s %s,", strlen(b->map) + 1 + strlen(name), b->map, name);
	buf_free(&nbuf);
	buf_free(&rbuf);
	c->inflight = true;
	b->inflight++;
}

enum answer { A_FOUND, A_NOTFOUND, A_TEMP, A_OTHER };

/* The kind of a reply (without its id, for the line protocols). */
static enum answer classify(const struct bench *b, const char *msg, size_t len)
{
#define IS(lit) (len >= sizeof(lit) - 1 && memcmp(msg, lit, sizeof(lit) - 1) == 0)
	switch (b->mode) {
	case M_AUTH:
		if (IS("OK\t"))
			return A_FOUND;
		if (IS("FAIL\t"))
			return memmem(msg, len, "\ttemp", 5) ? A_TEMP : A_NOTFOUND;
		return A_OTHER;
	case M_USERDB:
		return IS("USER\t") ? A_FOUND : IS("NOTFOUND\t") ? A_NOTFOUND
					: IS("FAIL\t") ? A_TEMP : A_OTHER;
	case M_SOCKETMAP:
		return IS("OK ") ? A_FOUND : IS("NOTFOUND ") ? A_NOTFOUND
				     : IS("TEMP") ? A_TEMP : A_OTHER;
	default:
		return A_OTHER;
	}
#undef IS
}

static void count_answer(struct bench *b, enum answer a, const char *msg, size_t len)
{
	if (!b->counting)
		return;
	if (a == (b->unknown ? A_NOTFOUND : A_FOUND)) {
		b->ops++;
		return;
	}
	b->errors++;
	if (a == A_TEMP)
		b->temp++;
	if (b->errors <= 3) /* a sample of what went wrong */
		fprintf(stderr, "authbench: unexpected reply: %.*s\n", (int)(len > 200 ? 200 : len),
			msg);
}

/* The reply to c's request is in: the next one goes out. */
static int request_done(struct bench *b, struct bconn *c)
{
	c->inflight = false;
	b->inflight--;
	if (!b->draining)
		send_request(b, c);
	return 0;
}

/* One reply line: returns -1 when the connection must be dropped. */
static int handle_line(struct bench *b, struct bconn *c, const char *line)
{
	if (!c->ready) {
		/* auth: everything up to DONE; userdb: VERSION then SPID */
		bool done = b->mode == M_USERDB ? strncmp(line, "SPID\t", 5) == 0
						: strcmp(line, "DONE") == 0;
		if (done) {
			c->ready = true;
			b->ready++;
			if (b->mode != M_IDLE && !b->draining)
				send_request(b, c);
		}
		return 0;
	}
	if (!c->inflight)
		return -1;
	const char *tab = strchr(line, '\t');
	if (tab == NULL || strtoul(tab + 1, NULL, 10) != c->id)
		return -1;
	if (b->mode == M_AUTH && strncmp(line, "CONT\t", 5) == 0)
		return -1; /* PLAIN with an initial response never continues */
	count_answer(b, classify(b, line, strlen(line)), line, strlen(line));
	return request_done(b, c);
}

/* One socketmap reply (a netstring's payload). */
static int handle_netstring(struct bench *b, struct bconn *c, const char *msg, size_t len)
{
	if (!c->inflight)
		return -1;
	count_answer(b, classify(b, msg, len), msg, len);
	return request_done(b, c);
}

/* The complete netstrings at the start of c->in; -1 when malformed. */
static int parse_netstrings(struct bench *b, struct bconn *c)
{
	while (c->fd >= 0 && c->in.len > 0) {
		size_t i = 0, n = 0;
		while (i < c->in.len && i < 7 && c->in.data[i] >= '0' && c->in.data[i] <= '9')
			n = n * 10 + (size_t)(c->in.data[i++] - '0');
		if (i == c->in.len)
			return 0; /* length not complete yet */
		if (i == 0 || c->in.data[i] != ':')
			return -1;
		if (c->in.len < i + 1 + n + 1)
			return 0;
		if (c->in.data[i + 1 + n] != ',')
			return -1;
		if (handle_netstring(b, c, c->in.data + i + 1, n) < 0)
			return -1;
		buf_consume(&c->in, i + 1 + n + 1);
	}
	return 0;
}

static int do_read(struct bench *b, struct bconn *c)
{
	for (;;) {
		char *p = buf_reserve(&c->in, 65536);
		if (p == NULL)
			return -1;
		ssize_t n = read(c->fd, p, 65536);
		if (n == 0)
			return -1;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		buf_added(&c->in, (size_t)n);
		if (b->mode == M_SOCKETMAP) {
			if (parse_netstrings(b, c) < 0)
				return -1;
			if ((size_t)n < 65536)
				return 0;
			continue;
		}
		char *nl;
		while (c->fd >= 0 && (nl = memchr(c->in.data, '\n', c->in.len)) != NULL) {
			*nl = 0;
			if (handle_line(b, c, c->in.data) < 0)
				return -1;
			buf_consume(&c->in, (size_t)(nl - c->in.data) + 1);
		}
		if ((size_t)n < 65536)
			return 0;
	}
}

static int do_write(struct bconn *c)
{
	while (c->out.len > 0) {
		ssize_t n = write(c->fd, c->out.data, c->out.len);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		buf_consume(&c->out, (size_t)n);
	}
	return 0;
}

/* Run the poll loop until `until` (monotonic seconds) or a signal. */
static void loop_until(struct bench *b, double until)
{
	while (!stop_flag) {
		double left = until - now_s();
		if (left <= 0)
			return;
		for (size_t i = 0; i < b->conc; i++) {
			struct bconn *c = &b->conns[i];
			b->pfds[i].fd = c->fd;
			b->pfds[i].events = POLLIN | (c->out.len ? POLLOUT : 0);
			b->pfds[i].revents = 0;
		}
		int ms = left > 0.1 ? 100 : (int)(left * 1000) + 1;
		int n = poll(b->pfds, b->conc, ms);
		if (n < 0 && errno != EINTR)
			die("poll failed");
		for (size_t i = 0; n > 0 && i < b->conc; i++) {
			struct bconn *c = &b->conns[i];
			short re = b->pfds[i].revents;
			if (c->fd < 0 || re == 0)
				continue;
			if (((re & (POLLIN | POLLHUP | POLLERR)) && do_read(b, c) < 0) ||
			    (c->fd >= 0 && (re & POLLOUT) && do_write(c) < 0)) {
				close_conn(b, c, true);
				continue;
			}
			if (c->out.len)
				(void)do_write(c); /* replies queued by do_read */
		}
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: authbench -s SOCKET -m auth|userdb|socketmap|idle -c CONCURRENCY "
			"-d SECONDS [-w WARMUP] [-k MAP] [-n] -u USERS_FILE\n"
			"  socketmap: netstring \"MAP user\" requests (-k, default resolve)\n"
			"  -n: every request names a new unknown user (nx<pid>-<n>-user),\n"
			"  the expected answer is a failure / NOTFOUND\n"
			"  idle: prints its line once all handshakes are done, then holds the\n"
			"  connections for SECONDS (or until SIGTERM/SIGINT)\n");
	exit(2);
}

static void parse_args(struct bench *b, int argc, char **argv)
{
	const char *users = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "s:m:c:d:w:u:k:n")) != -1) {
		switch (opt) {
		case 's': b->sock = optarg; break;
		case 'm':
			if (strcmp(optarg, "auth") == 0)
				b->mode = M_AUTH;
			else if (strcmp(optarg, "userdb") == 0)
				b->mode = M_USERDB;
			else if (strcmp(optarg, "socketmap") == 0)
				b->mode = M_SOCKETMAP;
			else if (strcmp(optarg, "idle") == 0)
				b->mode = M_IDLE;
			else
				usage();
			break;
		case 'c': b->conc = strtoul(optarg, NULL, 10); break;
		case 'd': b->secs = strtod(optarg, NULL); break;
		case 'w': b->warmup = strtod(optarg, NULL); break;
		case 'u': users = optarg; break;
		case 'k': b->map = optarg; break;
		case 'n': b->unknown = true; break;
		default: usage();
		}
	}
	if (b->map == NULL)
		b->map = "resolve";
	if (b->sock == NULL || b->conc == 0 || b->secs <= 0 || b->warmup < 0 ||
	    strlen(b->map) == 0 || strchr(b->map, ' ') != NULL ||
	    (users == NULL && b->mode != M_IDLE))
		usage();
	if (users)
		load_users(b, users);
}

static const char *const mode_names[] = { "auth", "userdb", "socketmap", "idle" };

int main(int argc, char **argv)
{
	struct bench b = { .mode = M_AUTH, .secs = 5 };
	parse_args(&b, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	b.conns = calloc(b.conc, sizeof(*b.conns));
	b.pfds = calloc(b.conc, sizeof(*b.pfds));
	if (b.conns == NULL || b.pfds == NULL)
		die("out of memory");
	for (size_t i = 0; i < b.conc; i++)
		if (open_conn(&b, &b.conns[i]) < 0)
			b.errors++;
	double t0 = now_s(), secs = b.secs;
	if (b.mode == M_IDLE) {
		/* wait (up to 30 s) for every handshake, report, then hold */
		while (!stop_flag && b.ready + b.errors < b.conc && now_s() - t0 < 30)
			loop_until(&b, now_s() + 0.05);
		secs = now_s() - t0;
		b.ops = b.ready;
		b.errors = b.conc - b.ready;
	} else {
		loop_until(&b, t0 + b.warmup);
		b.counting = true;
		t0 = now_s();
		loop_until(&b, t0 + b.secs);
		secs = now_s() - t0;
		b.counting = false;
		b.draining = true;
		double end = now_s() + 10;
		while (!stop_flag && b.inflight > 0 && now_s() < end)
			loop_until(&b, now_s() + 0.01);
		b.errors += b.inflight; /* never answered */
	}
	printf("mode=%s conc=%zu ops=%lu secs=%.2f ops_per_s=%.0f errors=%lu temp=%lu\n",
	       mode_names[b.mode], b.conc, b.ops, secs, secs > 0 ? (double)b.ops / secs : 0.0,
	       b.errors, b.temp);
	fflush(stdout);
	if (b.mode == M_IDLE)
		loop_until(&b, now_s() + b.secs);
	for (size_t i = 0; i < b.conc; i++)
		close_conn(&b, &b.conns[i], false);
	for (size_t i = 0; i < b.nusers; i++) {
		free(b.users[i].name);
		free(b.users[i].pass);
		free(b.users[i].resp);
	}
	free(b.users);
	free(b.conns);
	free(b.pfds);
	return b.errors > 0 ? 1 : 0;
}
