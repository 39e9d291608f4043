/* control: the queue's admin socket for ternctl ("control" listener).
 * One command per line: LIST, FLUSH, HOLD <id>, RELEASE <id>, DELETE <id>,
 * SHOW <id>. Each reply is text lines starting with "+" and then a final
 * "OK" or "ERROR <reason>" line. Control bytes in addresses and headers are
 * shown as '?', so one queue entry can never forge another's line.
 * Invariants: a message being delivered cannot be deleted (try again);
 * hold and release are recorded in the state file. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "dsn.h"
#include "log.h"
#include "queue.h"

#define CONTROL_TIMEOUT_MS 60000
#define SHOW_HEADER_MAX (64 * 1024)

static void out(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(struct conn *c, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 32 && *p != '\t')
			*p = '?';
	conn_printf(c, "+%s", line);
}

static const char *state_name(const struct qfinal *f)
{
	static const char *const names[] = { "pending", "delivered", "failed", "bounced" };
	return names[f->state];
}

static void list_one(struct conn *c, const struct qmsg *m)
{
	char date[64];
	dsn_date(m->env.arrival, date, sizeof(date));
	out(c, "%s%s %10" PRIu64 " %s %s", m->env.id, m->hold ? "!" : m->busy ? "*" : " ",
	    m->env.size, date, m->env.sender[0] ? m->env.sender : "MAILER-DAEMON");
	for (size_t i = 0; i < m->env.nrcpt; i++)
		if (!m->expanded[i])
			out(c, "        %s status=pending reason=%s", m->env.rcpt[i].address,
			    m->orig_reason[i] ? m->orig_reason[i] : "not tried yet");
	for (size_t i = 0; i < m->nfinal; i++) {
		const struct qfinal *f = &m->final[i];
		const char *orig = m->env.rcpt[f->orig].address;
		bool alias = strcmp(orig, f->address) != 0;
		out(c, "        %s%s%s status=%s%s%s%s", f->address, alias ? " <- " : "",
		    alias ? orig : "", state_name(f), f->diag ? " reason=(" : "",
		    f->diag ? f->diag : "", f->diag ? ")" : "");
	}
	if (m->attempts > 0) {
		dsn_date(m->next_try, date, sizeof(date));
		out(c, "        attempts=%u next_try=%s", m->attempts, date);
	}
}

static void cmd_list(struct queue *q, struct conn *c)
{
	uint64_t bytes = 0;
	for (struct qmsg *m = q->head; m; m = m->next) {
		list_one(c, m);
		bytes += m->env.size;
	}
	if (q->count == 0)
		out(c, "Mail queue is empty");
	else
		out(c, "-- %" PRIu64 " Kbytes in %zu Request%s.", (bytes + 1023) / 1024, q->count,
		    q->count == 1 ? "" : "s");
	conn_printf(c, "OK");
}

static void cmd_show(struct queue *q, struct conn *c, struct qmsg *m)
{
	char date[64];
	dsn_date(m->env.arrival, date, sizeof(date));
	out(c, "id: %s", m->env.id);
	out(c, "arrival: %s", date);
	out(c, "size: %" PRIu64, m->env.size);
	out(c, "sender: <%s>", m->env.sender);
	out(c, "client: %s helo=%s proto=%s", m->env.client_ip, m->env.helo, m->env.proto);
	if (m->env.ret || m->env.envid)
		out(c, "dsn: ret=%s envid=%s", m->env.ret ? m->env.ret : "",
		    m->env.envid ? m->env.envid : "");
	for (size_t i = 0; i < m->env.nrcpt; i++)
		out(c, "recipient: <%s>%s%s%s%s", m->env.rcpt[i].address,
		    m->env.rcpt[i].orcpt ? " orcpt=" : "", m->env.rcpt[i].orcpt ? m->env.rcpt[i].orcpt : "",
		    m->env.rcpt[i].notify ? " notify=" : "",
		    m->env.rcpt[i].notify ? m->env.rcpt[i].notify : "");
	list_one(c, m);
	out(c, "%s", "");
	size_t want = m->env.size < SHOW_HEADER_MAX ? (size_t)m->env.size : SHOW_HEADER_MAX;
	char *data = malloc(want + 1);
	int fd = spool_open_message(&q->spool, m->env.id);
	ssize_t n = data && fd >= 0 ? pread(fd, data, want, 0) : -1;
	if (fd >= 0)
		close(fd);
	if (n >= 0) {
		size_t hl = dsn_header_len(data, (size_t)n);
		for (size_t p = 0; p < hl;) {
			size_t e = p;
			while (e < hl && data[e] != '\n')
				e++;
			size_t l = e - p;
			if (l > 0 && data[p + l - 1] == '\r')
				l--;
			if (l > 0)
				out(c, "%.*s", (int)(l > 1000 ? 1000 : l), data + p);
			p = e + 1;
		}
	}
	free(data);
	conn_printf(c, n >= 0 ? "OK" : "ERROR cannot read the message");
}

static void set_hold(struct queue *q, struct qmsg *m, bool hold)
{
	struct buf recs;
	buf_init(&recs, 0);
	m->hold = hold;
	qrec_hold(&recs, hold);
	deliver_record(q, m, &recs);
	buf_free(&recs);
	if (!hold) {
		m->flush = true;
		sched_kick(q);
	}
}

static void on_line(struct conn *c, char *line, size_t len, bool overlong)
{
	struct queue *q = conn_ctx(c);
	char cmd[16] = "", id[64] = "";
	(void)len;
	if (overlong || sscanf(line, "%15s %63s", cmd, id) < 1) {
		conn_printf(c, "ERROR bad command");
		return;
	}
	log_info("%s queue-control command=%s id=%s", conn_id(c), log_str(cmd), log_str(id));
	if (strcmp(cmd, "LIST") == 0) {
		cmd_list(q, c);
		return;
	}
	if (strcmp(cmd, "FLUSH") == 0) {
		for (struct qmsg *m = q->head; m; m = m->next)
			m->flush = true;
		sched_kick(q);
		conn_printf(c, "OK");
		return;
	}
	struct qmsg *m = id[0] ? sched_find(q, id) : NULL;
	if (!id[0] || (strcmp(cmd, "SHOW") && strcmp(cmd, "HOLD") && strcmp(cmd, "RELEASE") &&
		       strcmp(cmd, "DELETE"))) {
		conn_printf(c, "ERROR unknown command");
	} else if (!m) {
		conn_printf(c, "ERROR no such message: %s", log_str(id));
	} else if (strcmp(cmd, "SHOW") == 0) {
		cmd_show(q, c, m);
	} else if (strcmp(cmd, "HOLD") == 0 || strcmp(cmd, "RELEASE") == 0) {
		set_hold(q, m, cmd[0] == 'H');
		conn_printf(c, "OK");
	} else if (m->busy) {
		conn_printf(c, "ERROR message is being delivered, try again");
	} else {
		deliver_remove(q, m, "deleted-by-admin");
		conn_printf(c, "OK");
	}
}

static void on_close(struct conn *c, enum conn_close_reason reason)
{
	(void)c;
	(void)reason;
}

void control_accept(struct queue *q, int fd, const char *peer)
{
	static const struct conn_handlers h = { .on_line = on_line, .on_close = on_close };
	conn_new(q->ctx->loop, fd, peer, &h, q, 1024, CONTROL_TIMEOUT_MS);
}
