/* lmtp_client: the LMTP client state machine (see lmtp_client.h).
 * States: DOWN (no connection) -> GREETING -> LHLO -> READY; a transaction
 * runs REPLIES (MAIL, each RCPT, DATA, pipelined) -> DATA (streaming) ->
 * FINAL (one reply per accepted recipient) -> READY. Any error, timeout or
 * unexpected reply ends in DEAD with the connection closed.
 * Invariants: at most one transaction; `t` is non-NULL exactly while one
 * is in flight; results are final once the done timer is armed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "lmtp_client.h"
#include "strutil.h"

#define LMTP_LINE_MAX 4096
#define LMTP_CHUNK (64 * 1024)

enum lstate { L_DOWN, L_GREETING, L_LHLO, L_READY, L_REPLIES, L_DATA, L_FINAL, L_DEAD };

struct lmtp_client {
	struct ev_loop *loop;
	struct net_addr addr;
	char lhlo[256];
	uint64_t timeout_ms, timer, done_timer;
	int fd;
	enum lstate state;
	struct buf in, out;
	char exts[1024]; /* " KEYWORD KEYWORD " */
	struct lmtp_txn *t;
	lmtp_done_cb *cb;
	void *ctx;
	size_t reply_idx; /* REPLIES: 0 MAIL, 1..n RCPT, n+1 DATA */
	size_t final_idx; /* FINAL: next recipient awaiting its reply */
	int mail_code;
	char mail_text[LMTP_REPLY_MAX];
	uint64_t data_off;
	bool at_bol, data_sent;
	unsigned lhlo_lines;
};

static void io_cb(struct ev_loop *loop, int fd, unsigned events, void *arg);

struct lmtp_client *lmtp_client_new(struct ev_loop *loop, const struct net_addr *addr,
				    const char *lhlo, uint64_t timeout_ms)
{
	struct lmtp_client *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->loop = loop;
	c->addr = *addr;
	snprintf(c->lhlo, sizeof(c->lhlo), "%s", lhlo);
	c->timeout_ms = timeout_ms;
	c->fd = -1;
	buf_init(&c->in, LMTP_LINE_MAX + 2);
	buf_init(&c->out, 0);
	return c;
}

static void close_fd(struct lmtp_client *c)
{
	if (c->fd >= 0) {
		ev_io_del(c->loop, c->fd);
		close(c->fd);
		c->fd = -1;
	}
	ev_timer_del(c->loop, c->timer);
	c->timer = 0;
}

void lmtp_client_free(struct lmtp_client **cp)
{
	struct lmtp_client *c = *cp;
	if (!c)
		return;
	close_fd(c);
	ev_timer_del(c->loop, c->done_timer);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	*cp = NULL;
}

bool lmtp_client_busy(const struct lmtp_client *c)
{
	return c->t != NULL;
}

bool lmtp_client_dead(const struct lmtp_client *c)
{
	return c->state == L_DEAD;
}

bool lmtp_client_has(const struct lmtp_client *c, const char *ext)
{
	char key[64];
	int n = snprintf(key, sizeof(key), " %s ", ext);
	if (n <= 2 || (size_t)n >= sizeof(key))
		return false;
	for (char *p = key; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	return strstr(c->exts, key) != NULL;
}

void lmtp_xtext(const char *s, char *out, size_t outsize)
{
	size_t o = 0;
	for (; *s && o + 4 < outsize; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 33 || ch > 126 || ch == '+' || ch == '=')
			o += (size_t)snprintf(out + o, outsize - o, "+%02X", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
}

static void done_fire(struct ev_loop *loop, void *arg)
{
	struct lmtp_client *c = arg;
	(void)loop;
	c->done_timer = 0;
	struct lmtp_txn *t = c->t;
	lmtp_done_cb *cb = c->cb;
	c->t = NULL;
	if (t && cb)
		cb(c, t, c->ctx);
}

/* End the transaction: recipients without a result get `why`. */
static void finish(struct lmtp_client *c, const char *why)
{
	struct lmtp_txn *t = c->t;
	if (!t || c->done_timer)
		return;
	for (size_t i = 0; t && i < t->nrcpt; i++) {
		struct lmtp_rcpt *r = &t->rcpt[i];
		bool final_pending = c->state == L_FINAL && i >= c->final_idx && r->code / 100 == 2;
		bool data_pending = c->state == L_DATA && r->code / 100 == 2;
		if (why && (r->code == 0 || final_pending || data_pending)) {
			r->unknown = final_pending && c->data_sent;
			r->code = 0;
			snprintf(r->text, sizeof(r->text), "%s", why);
		}
	}
	c->done_timer = ev_timer_add(c->loop, 0, done_fire, c);
}

static void die(struct lmtp_client *c, const char *why)
{
	finish(c, why);
	close_fd(c);
	c->state = L_DEAD;
}

static void timeout_cb(struct ev_loop *loop, void *arg)
{
	struct lmtp_client *c = arg;
	(void)loop;
	c->timer = 0;
	die(c, "4.4.2 timeout talking to the LMTP server");
}

static void arm(struct lmtp_client *c)
{
	ev_timer_del(c->loop, c->timer);
	c->timer = ev_timer_add(c->loop, c->timeout_ms, timeout_cb, c);
}

static void want(struct lmtp_client *c)
{
	if (c->fd >= 0)
		ev_io_set(c->loop, c->fd, EV_READ | (c->out.len ? EV_WRITE : 0), io_cb, c);
}

static bool clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 32 || *s == 127 || *s == '<' || *s == '>')
			return false;
	return true;
}

/* The next recipient at or after i whose RCPT reply is still due. */
static size_t next_unreplied(const struct lmtp_client *c, size_t i)
{
	while (i < c->t->nrcpt && c->t->rcpt[i].code != 0)
		i++;
	return i;
}

static size_t next_accepted(const struct lmtp_client *c, size_t i)
{
	while (i < c->t->nrcpt && c->t->rcpt[i].code / 100 != 2)
		i++;
	return i;
}

static void start_txn(struct lmtp_client *c)
{
	struct lmtp_txn *t = c->t;
	char x[1024];
	if (!clean(t->sender)) {
		for (size_t i = 0; i < t->nrcpt; i++) {
			t->rcpt[i].code = 550;
			snprintf(t->rcpt[i].text, LMTP_REPLY_MAX, "550 5.1.7 bad sender address");
		}
		finish(c, NULL);
		return;
	}
	buf_printf(&c->out, "MAIL FROM:<%s>", t->sender);
	if (lmtp_client_has(c, "SIZE"))
		buf_printf(&c->out, " SIZE=%llu", (unsigned long long)t->size);
	if (lmtp_client_has(c, "DSN") && t->ret && clean(t->ret) && !strchr(t->ret, ' '))
		buf_printf(&c->out, " RET=%s", t->ret);
	if (lmtp_client_has(c, "DSN") && t->envid) {
		lmtp_xtext(t->envid, x, sizeof(x));
		buf_printf(&c->out, " ENVID=%s", x);
	}
	if (lmtp_client_has(c, "8BITMIME") && t->body && clean(t->body) && !strchr(t->body, ' '))
		buf_printf(&c->out, " BODY=%s", t->body);
	if (lmtp_client_has(c, "SMTPUTF8") && t->smtputf8)
		buf_append_str(&c->out, " SMTPUTF8");
	buf_append_str(&c->out, "\r\n");
	bool xid = lmtp_client_has(c, "XTERNID");
	for (size_t i = 0; i < t->nrcpt; i++) {
		struct lmtp_rcpt *r = &t->rcpt[i];
		r->code = 0;
		r->unknown = false;
		if (!clean(r->address) || (r->xternid && (!clean(r->xternid) || strchr(r->xternid, ' ')))) {
			r->code = 550;
			snprintf(r->text, sizeof(r->text), "550 5.1.3 bad recipient address");
			continue;
		}
		buf_printf(&c->out, "RCPT TO:<%s>", r->address);
		if (xid && r->xternid)
			buf_printf(&c->out, " XTERNID=%s", r->xternid);
		buf_append_str(&c->out, "\r\n");
	}
	buf_append_str(&c->out, "DATA\r\n");
	if (buf_error(&c->out)) {
		die(c, "4.3.0 out of memory");
		return;
	}
	c->state = L_REPLIES;
	c->reply_idx = 0;
	c->mail_code = 0;
	c->data_off = 0;
	c->at_bol = true;
	c->data_sent = false;
	arm(c);
	want(c);
}

/* Queue more dot-stuffed data; after the last byte, the final dot. */
static int fill(struct lmtp_client *c)
{
	static char chunk[LMTP_CHUNK];
	struct lmtp_txn *t = c->t;
	while (c->state == L_DATA && c->out.len < LMTP_CHUNK) {
		uint64_t left = t->len - c->data_off;
		size_t n = left < LMTP_CHUNK ? (size_t)left : LMTP_CHUNK;
		ssize_t got = n ? pread(t->fd, chunk, n, (off_t)c->data_off) : 0;
		if (got != (ssize_t)n)
			return -1;
		for (size_t i = 0; i < n; i++) {
			if (c->at_bol && chunk[i] == '.')
				buf_append_char(&c->out, '.');
			buf_append_char(&c->out, chunk[i]);
			c->at_bol = chunk[i] == '\n';
		}
		c->data_off += n;
		if (c->data_off == t->len) {
			buf_append_str(&c->out, c->at_bol ? ".\r\n" : "\r\n.\r\n");
			c->data_sent = true;
			c->state = L_FINAL;
			c->final_idx = next_accepted(c, 0);
		}
	}
	return buf_error(&c->out) ? -1 : 0;
}

static void set_reply(struct lmtp_rcpt *r, int code, const char *line)
{
	r->code = code;
	str_copy(r->text, sizeof(r->text), line);
}

static void on_txn_reply(struct lmtp_client *c, int code, const char *line)
{
	struct lmtp_txn *t = c->t;
	if (c->reply_idx == 0) { /* MAIL */
		c->mail_code = code;
		str_copy(c->mail_text, sizeof(c->mail_text), line);
		c->reply_idx = next_unreplied(c, 0) + 1;
		return;
	}
	if (c->reply_idx <= t->nrcpt) { /* RCPT */
		struct lmtp_rcpt *r = &t->rcpt[c->reply_idx - 1];
		if (c->mail_code / 100 != 2 && code / 100 == 2)
			set_reply(r, c->mail_code, c->mail_text);
		else if (c->mail_code / 100 != 2)
			set_reply(r, c->mail_code / 100 >= 4 ? c->mail_code : code, c->mail_text);
		else
			set_reply(r, code, line);
		c->reply_idx = next_unreplied(c, c->reply_idx) + 1;
		return;
	}
	if (code == 354 && next_accepted(c, 0) < t->nrcpt) { /* DATA */
		c->state = L_DATA;
		if (fill(c) < 0)
			die(c, "4.3.0 cannot read the message from the spool");
		return;
	}
	for (size_t i = 0; i < t->nrcpt; i++)
		if (t->rcpt[i].code / 100 == 2)
			set_reply(&t->rcpt[i], code / 100 == 5 ? code : 451, line);
	die(c, NULL); /* the transaction did not end cleanly: no reuse */
}

static void add_ext(struct lmtp_client *c, const char *kw)
{
	size_t n = strcspn(kw, " "), have = strlen(c->exts);
	if (n == 0 || have + n + 2 >= sizeof(c->exts))
		return;
	if (have == 0)
		c->exts[have++] = ' ';
	for (size_t i = 0; i < n; i++)
		c->exts[have++] = (char)(kw[i] >= 'a' && kw[i] <= 'z' ? kw[i] - 32 : kw[i]);
	c->exts[have++] = ' ';
	c->exts[have] = '\0';
}

static void on_reply(struct lmtp_client *c, int code, bool last, const char *line)
{
	if (c->state == L_LHLO && code == 250 && c->lhlo_lines++ > 0 && strlen(line) > 4)
		add_ext(c, line + 4);
	if (!last)
		return;
	if (code == 421) {
		die(c, line);
		return;
	}
	switch (c->state) {
	case L_GREETING:
		if (code != 220) {
			die(c, line);
			return;
		}
		buf_printf(&c->out, "LHLO %s\r\n", c->lhlo);
		c->exts[0] = '\0';
		c->lhlo_lines = 0;
		c->state = L_LHLO;
		break;
	case L_LHLO:
		if (code != 250) {
			die(c, line);
			return;
		}
		c->state = L_READY;
		if (c->t)
			start_txn(c);
		return;
	case L_REPLIES:
		on_txn_reply(c, code, line);
		break;
	case L_FINAL:
		if (c->final_idx >= c->t->nrcpt) {
			die(c, "4.5.0 unexpected reply from the LMTP server");
			return;
		}
		set_reply(&c->t->rcpt[c->final_idx], code, line);
		c->final_idx = next_accepted(c, c->final_idx + 1);
		if (c->final_idx >= c->t->nrcpt) {
			c->state = L_READY;
			ev_timer_del(c->loop, c->timer);
			c->timer = 0;
			finish(c, NULL);
			return;
		}
		break;
	default:
		die(c, "4.5.0 unexpected reply from the LMTP server");
		return;
	}
	if (c->fd >= 0)
		arm(c);
}

/* Parse the complete lines in c->in. */
static void read_lines(struct lmtp_client *c)
{
	while (c->fd >= 0) {
		char *nl = memchr(c->in.data, '\n', c->in.len);
		if (!nl) {
			if (c->in.len > LMTP_LINE_MAX)
				die(c, "4.5.0 overlong reply from the LMTP server");
			return;
		}
		size_t len = (size_t)(nl - c->in.data);
		if (len > 0 && c->in.data[len - 1] == '\r')
			len--;
		char line[LMTP_LINE_MAX + 1];
		memcpy(line, c->in.data, len);
		line[len] = '\0';
		buf_consume(&c->in, (size_t)(nl - c->in.data) + 1);
		if (len < 3 || line[0] < '1' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
		    line[2] < '0' || line[2] > '9' || (len > 3 && line[3] != ' ' && line[3] != '-')) {
			die(c, "4.5.0 malformed reply from the LMTP server");
			return;
		}
		on_reply(c, atoi(line), len == 3 || line[3] == ' ', line);
	}
}

static void io_cb(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct lmtp_client *c = arg;
	(void)loop;
	(void)fd;
	if (events & EV_WRITE) {
		while (c->out.len > 0) {
			ssize_t n = write(c->fd, c->out.data, c->out.len);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				die(c, "4.4.2 lost connection to the LMTP server");
				return;
			}
			buf_consume(&c->out, (size_t)n);
			if (c->state == L_DATA && fill(c) < 0) {
				die(c, "4.3.0 cannot read the message from the spool");
				return;
			}
		}
	}
	if (events & EV_READ) {
		char *p = buf_reserve(&c->in, 4096);
		ssize_t n = p ? read(c->fd, p, 4096) : -1;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			n = -2;
		if (n == 0 || n == -1) {
			die(c, "4.4.2 lost connection to the LMTP server");
			return;
		}
		if (n > 0) {
			buf_added(&c->in, (size_t)n);
			read_lines(c);
		}
	}
	want(c);
}

int lmtp_client_send(struct lmtp_client *c, struct lmtp_txn *t, lmtp_done_cb *cb, void *ctx)
{
	if (c->t || c->state == L_DEAD || (c->state != L_DOWN && c->state != L_READY))
		return -1;
	c->t = t;
	c->cb = cb;
	c->ctx = ctx;
	for (size_t i = 0; i < t->nrcpt; i++) {
		t->rcpt[i].code = 0;
		t->rcpt[i].unknown = false;
		t->rcpt[i].text[0] = '\0';
	}
	if (c->state == L_READY) {
		start_txn(c);
		return 0;
	}
	c->fd = net_connect(&c->addr, (int)(c->timeout_ms < 30000 ? c->timeout_ms : 30000));
	if (c->fd < 0) {
		char why[LMTP_REPLY_MAX];
		snprintf(why, sizeof(why), "4.4.1 cannot connect to the LMTP server: %s",
			 strerror(errno));
		c->state = L_DEAD;
		finish(c, why);
		return 0;
	}
	c->state = L_GREETING;
	arm(c);
	want(c);
	return 0;
}
