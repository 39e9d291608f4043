/* smtpbench: an SMTP load generator for `make bench` (bench/run-mail.sh):
 * CONC sessions on one poll() loop against HOST:PORT, each EHLO once, then
 * MAIL/RCPT/DATA transactions back to back (no RSET, no PIPELINING: one
 * command in flight) with -m messages per connection before QUIT and a new
 * connection (-m 1: one message per connection). Recipients round-robin
 * from a file; messages of about -s bytes. Ends after -n messages (fixed
 * count) or after -w + -d seconds (only the -d part counted).
 * Invariants: a message counts once, at its 250 after the final dot; any
 * other reply or a dropped connection is an error (4xx temp, 5xx perm) and
 * the session is closed and reopened after 50 ms; the result is one
 * "key=value ..." line on stdout. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

enum state { S_CLOSED, S_CONNECT, S_GREET, S_EHLO, S_MAIL, S_RCPT, S_DATA, S_DOT, S_QUIT };

struct sconn {
	int fd;
	enum state st;
	unsigned sent;	 /* messages begun on this connection */
	double retry_at; /* S_CLOSED: reopen not before this */
	struct buf in, out;
};

struct bench {
	struct sockaddr_in addr;
	size_t conc;
	unsigned per_conn; /* messages per connection, 0: no limit */
	size_t size;
	unsigned long total; /* -n, 0: timed run */
	double secs, warmup;
	const char *sender;
	char **rcpts;
	size_t nrcpts, next_rcpt;
	struct buf body; /* the message after its headers, ending in ".\r\n" */
	struct sconn *conns;
	struct pollfd *pfds;
	unsigned long started, msgs, all, errors, temp, perm, drops, conns_opened, seq;
	bool counting, stop_new;
	double t0, t_end, t0_real;
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

static double real_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *msg)
{
	fprintf(stderr, "smtpbench: %s\n", msg);
	exit(2);
}

/* rcpts file: one address per line; blank lines and # comments skipped. */
static void load_rcpts(struct bench *b, const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		die("cannot open recipients file");
	char line[512];
	size_t cap = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == '#' || line[0] == 0)
			continue;
		if (b->nrcpts == cap) {
			cap = cap ? cap * 2 : 64;
			b->rcpts = realloc(b->rcpts, cap * sizeof(*b->rcpts));
			if (b->rcpts == NULL)
				die("out of memory");
		}
		b->rcpts[b->nrcpts++] = strdup(line);
	}
	fclose(f);
	if (b->nrcpts == 0)
		die("no recipients in recipients file");
}

/* The part after the headers: 76 'x' + CRLF lines, then the final dot. */
static void make_body(struct bench *b)
{
	buf_init(&b->body, 0);
	buf_append_str(&b->body, "\r\n");
	size_t want = b->size > 300 ? b->size - 300 : 80; /* ~300 bytes of headers */
	while (b->body.len < want)
		buf_append_str(&b->body, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
					 "xxxxxxxxxxxxxxxxxxxxxxxxxx\r\n");
	buf_append_str(&b->body, ".\r\n");
}

static void close_conn(struct bench *b, struct sconn *c, bool error)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (error && c->st >= S_MAIL && c->st <= S_DOT)
		b->started--; /* the transaction failed: it may be sent again */
	c->st = S_CLOSED;
	c->retry_at = error ? now_s() + 0.05 : 0;
	buf_reset(&c->in);
	buf_reset(&c->out);
}

static void open_conn(struct bench *b, struct sconn *c)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket failed");
	int one = 1;
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->sent = 0;
	b->conns_opened++;
	if (connect(c->fd, (struct sockaddr *)&b->addr, sizeof(b->addr)) == 0)
		c->st = S_GREET;
	else if (errno == EINPROGRESS)
		c->st = S_CONNECT;
	else {
		b->errors++;
		close_conn(b, c, true);
	}
}

static void count_error(struct bench *b, int code, const char *line)
{
	b->errors++;
	if (code >= 400 && code < 500)
		b->temp++;
	else if (code >= 500 && code < 600)
		b->perm++;
	if (b->errors <= 3)
		fprintf(stderr, "smtpbench: unexpected reply: %.200s\n", line);
}

/* Start the next transaction on c, or QUIT when c or the run is done. */
static void next_message(struct bench *b, struct sconn *c)
{
	bool more = !b->stop_new && (b->total == 0 || b->started < b->total);
	if (!more || (b->per_conn > 0 && c->sent >= b->per_conn)) {
		buf_append_str(&c->out, "QUIT\r\n");
		c->st = S_QUIT;
		return;
	}
	b->started++;
	c->sent++;
	buf_printf(&c->out, "MAIL FROM:<%s>\r\n", b->sender);
	c->st = S_MAIL;
}

static void send_data(struct bench *b, struct sconn *c)
{
	const char *rcpt = b->rcpts[(b->next_rcpt - 1) % b->nrcpts];
	char date[64];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	b->seq++;
	buf_printf(&c->out,
		   "From: Bench Sender <%s>\r\nTo: <%s>\r\nSubject: smtpbench message %lu\r\n"
		   "Date: %s\r\nMessage-ID: <%ld.%lu@smtpbench.test>\r\n"
		   "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n",
		   b->sender, rcpt, b->seq, date, (long)getpid(), b->seq);
	buf_append(&c->out, b->body.data, b->body.len);
}

/* A complete reply with code `code` (last line `line`) arrived on c. */
static int on_reply(struct bench *b, struct sconn *c, int code, const char *line)
{
	static const int want[] = { [S_GREET] = 220, [S_EHLO] = 250, [S_MAIL] = 250,
				    [S_RCPT] = 250,  [S_DATA] = 354, [S_DOT] = 250,
				    [S_QUIT] = 221 };
	if (c->st < S_GREET || code != want[c->st]) {
		count_error(b, code, line);
		return -1;
	}
	switch (c->st) {
	case S_GREET:
		buf_append_str(&c->out, "EHLO smtpbench.test\r\n");
		c->st = S_EHLO;
		break;
	case S_MAIL:
		buf_printf(&c->out, "RCPT TO:<%s>\r\n", b->rcpts[b->next_rcpt++ % b->nrcpts]);
		c->st = S_RCPT;
		break;
	case S_RCPT:
		buf_append_str(&c->out, "DATA\r\n");
		c->st = S_DATA;
		break;
	case S_DATA:
		send_data(b, c);
		c->st = S_DOT;
		break;
	case S_DOT:
		b->all++;
		if (b->counting && (b->total > 0 || !b->stop_new)) {
			b->msgs++;
			b->t_end = now_s();
		}
		next_message(b, c);
		break;
	case S_EHLO:
		next_message(b, c);
		break;
	case S_QUIT:
		close_conn(b, c, false);
		return 1;
	default:
		return -1;
	}
	return 0;
}

/* Complete reply lines in c->in: -1 drops the connection. */
static int parse_replies(struct bench *b, struct sconn *c)
{
	char *nl;
	while (c->fd >= 0 && (nl = memchr(c->in.data, '\n', c->in.len)) != NULL) {
		*nl = 0;
		const char *l = c->in.data;
		size_t len = (size_t)(nl - l);
		if (len < 3 || l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '9' ||
		    l[2] < '0' || l[2] > '9') {
			count_error(b, 0, l);
			return -1;
		}
		int code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
		int r = 0;
		if (len == 3 || l[3] != '-')
			r = on_reply(b, c, code, l);
		if (r < 0)
			return -1;
		if (r > 0)
			return 0; /* closed after QUIT */
		buf_consume(&c->in, len + 1);
	}
	return 0;
}

static int do_read(struct bench *b, struct sconn *c)
{
	for (;;) {
		char *p = buf_reserve(&c->in, 16384);
		if (p == NULL)
			return -1;
		ssize_t n = read(c->fd, p, 16384);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			b->drops++;
			b->errors++;
			return -1;
		}
		if (n < 0)
			return 0;
		buf_added(&c->in, (size_t)n);
		if (parse_replies(b, c) < 0)
			return -1;
		if (c->fd < 0 || n < 16384)
			return 0;
	}
}

static int do_write(struct sconn *c)
{
	while (c->out.len > 0) {
		ssize_t n = write(c->fd, c->out.data, c->out.len);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		buf_consume(&c->out, (size_t)n);
	}
	return 0;
}

/* The connect of c finished (POLLOUT): -1 when it failed. */
static int connect_done(struct bench *b, struct sconn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
		b->errors++;
		if (b->errors <= 3)
			fprintf(stderr, "smtpbench: connect: %s\n", strerror(err));
		return -1;
	}
	c->st = S_GREET;
	return 0;
}

static void handle_events(struct bench *b, struct sconn *c, short re)
{
	if (c->st == S_CONNECT) {
		if ((re & (POLLOUT | POLLERR | POLLHUP)) && connect_done(b, c) < 0)
			close_conn(b, c, true);
		return;
	}
	if (((re & (POLLIN | POLLHUP | POLLERR)) && do_read(b, c) < 0) ||
	    (c->fd >= 0 && do_write(c) < 0))
		close_conn(b, c, true);
}

/* Has the run ended: its time is up, or all messages done and sessions closed? */
static bool finished(struct bench *b, double now)
{
	if (b->total == 0 && !b->stop_new && now >= b->t0 + b->warmup + b->secs) {
		b->stop_new = true;
		b->t_end = now; /* a timed run counts up to here */
	}
	if (b->total > 0 && b->msgs >= b->total)
		b->stop_new = true;
	if (!b->stop_new)
		return false;
	for (size_t i = 0; i < b->conc; i++)
		if (b->conns[i].fd >= 0)
			return false;
	return true;
}

static void run(struct bench *b)
{
	double drain_until = 0;
	for (;;) {
		double now = now_s();
		if (!b->counting && now >= b->t0 + b->warmup) {
			b->counting = true;
			b->t0 = now;
			b->t0_real = real_s();
			b->warmup = 0;
		}
		if (finished(b, now) || stop_flag)
			return;
		if (b->stop_new && drain_until == 0)
			drain_until = now + 30;
		if (drain_until > 0 && now > drain_until)
			return; /* sessions that never answered: their messages are lost */
		for (size_t i = 0; i < b->conc; i++) {
			struct sconn *c = &b->conns[i];
			if (c->st == S_CLOSED && !b->stop_new && now >= c->retry_at &&
			    (b->total == 0 || b->started < b->total))
				open_conn(b, c);
			b->pfds[i].fd = c->fd;
			b->pfds[i].events = c->st == S_CONNECT ? POLLOUT
					    : POLLIN | (c->out.len ? POLLOUT : 0);
			b->pfds[i].revents = 0;
		}
		int n = poll(b->pfds, b->conc, 20);
		if (n < 0 && errno != EINTR)
			die("poll failed");
		for (size_t i = 0; n > 0 && i < b->conc; i++)
			if (b->conns[i].fd >= 0 && b->pfds[i].revents)
				handle_events(b, &b->conns[i], b->pfds[i].revents);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: smtpbench -a HOST:PORT -c CONCURRENCY -r RCPTS_FILE\n"
			"         (-n MESSAGES | -d SECONDS [-w WARMUP]) [-m PER_CONNECTION]\n"
			"         [-s SIZE] [-f SENDER]\n"
			"  -m: messages per connection (default 10, 0: unlimited, 1: one each)\n"
			"  -s: message size in bytes (default 4096)\n");
	exit(2);
}

static void parse_addr(struct bench *b, const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		usage();
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	b->addr.sin_family = AF_INET;
	b->addr.sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &b->addr.sin_addr) != 1)
		die("-a wants an IPv4 address and a port");
}

static void parse_args(struct bench *b, int argc, char **argv)
{
	const char *rcpts = NULL;
	bool have_addr = false;
	int opt;
	while ((opt = getopt(argc, argv, "a:c:m:s:n:d:w:r:f:")) != -1) {
		switch (opt) {
		case 'a': parse_addr(b, optarg); have_addr = true; break;
		case 'c': b->conc = strtoul(optarg, NULL, 10); break;
		case 'm': b->per_conn = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': b->size = strtoul(optarg, NULL, 10); break;
		case 'n': b->total = strtoul(optarg, NULL, 10); break;
		case 'd': b->secs = strtod(optarg, NULL); break;
		case 'w': b->warmup = strtod(optarg, NULL); break;
		case 'r': rcpts = optarg; break;
		case 'f': b->sender = optarg; break;
		default: usage();
		}
	}
	if (!have_addr || rcpts == NULL || b->conc == 0 || b->conc > 10000 ||
	    (b->total == 0) == (b->secs <= 0))
		usage();
	if (b->total > 0)
		b->warmup = 0;
	load_rcpts(b, rcpts);
}

int main(int argc, char **argv)
{
	struct bench b = { .per_conn = 10, .size = 4096, .sender = "bench@sender.test" };
	parse_args(&b, argc, argv);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	make_body(&b);
	b.conns = calloc(b.conc, sizeof(*b.conns));
	b.pfds = calloc(b.conc, sizeof(*b.pfds));
	if (b.conns == NULL || b.pfds == NULL)
		die("out of memory");
	for (size_t i = 0; i < b.conc; i++) {
		b.conns[i].fd = -1;
		buf_init(&b.conns[i].in, 1 << 20);
		buf_init(&b.conns[i].out, 1 << 20);
	}
	b.t0 = now_s();
	b.t0_real = real_s();
	run(&b);
	double secs = (b.t_end > b.t0 ? b.t_end : now_s()) - b.t0;
	printf("conc=%zu size=%zu per_conn=%u msgs=%lu secs=%.3f rate=%.1f errors=%lu temp=%lu "
	       "perm=%lu drops=%lu conns=%lu all=%lu t_start=%.6f\n",
	       b.conc, b.size, b.per_conn, b.msgs, secs, secs > 0 ? (double)b.msgs / secs : 0,
	       b.errors, b.temp, b.perm, b.drops, b.conns_opened, b.all, b.t0_real);
	for (size_t i = 0; i < b.conc; i++) {
		if (b.conns[i].fd >= 0)
			close(b.conns[i].fd);
		buf_free(&b.conns[i].in);
		buf_free(&b.conns[i].out);
	}
	for (size_t i = 0; i < b.nrcpts; i++)
		free(b.rcpts[i]);
	free(b.rcpts);
	buf_free(&b.body);
	free(b.conns);
	free(b.pfds);
	return b.msgs > 0 ? 0 : 1;
}
