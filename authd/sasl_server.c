/* sasl_server: the Dovecot authentication client protocol on authd's
 * "client" socket (what Postfix's smtpd_sasl_type = dovecot speaks):
 * handshake (VERSION, MECH, SPID, CUID, COOKIE, DONE), then AUTH / CONT
 * requests answered with OK, CONT or FAIL, each echoing the request id.
 * Invariants: a protocol violation (unknown command, bad id, duplicate id,
 * AUTH before VERSION, overlong line) is logged and ends that connection
 * only; every failure except a temporary one is answered after
 * auth_failure_delay; every auth outcome is logged with user= and rip=. */
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "authd.h"
#include "conn.h"
#include "ipc.h"
#include "log.h"
#include "sasl_mech.h"
#include "sasl_request.h"

#define MAX_FIELDS 32
#define MAX_PENDING_PER_CLIENT 128

struct sasl_client {
	struct authd *a;
	struct conn *c;
	bool got_version;
	struct sasl_request *requests;
	size_t count;
};

static void send_fields(struct conn *c, const char *const *fields, size_t n)
{
	struct buf *out = conn_outbuf(c);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_append_char(out, '\t');
		ipc_tabescape(out, fields[i], strlen(fields[i]));
	}
	buf_append_char(out, '\n');
	conn_flush(c);
}

static void protocol_error(struct sasl_client *cl, const char *what)
{
	log_warning("auth-protocol-error session=%s rip=%s error=%s", conn_id(cl->c),
		    log_str(conn_peer(cl->c)), log_str(what));
	conn_close(cl->c);
}

static void send_handshake(struct sasl_client *cl)
{
	struct authd *a = cl->a;
	const char *const *mechs;
	size_t n = conf_list(authd_conf(a), NULL, "auth_mechanisms", &mechs);
	conn_printf(cl->c, "VERSION\t1\t2\n");
	for (size_t i = 0; i < n; i++)
		if (sasl_mech_parse(mechs[i]) != SASL_UNKNOWN)
			conn_printf(cl->c, "MECH\t%s\tplaintext\n", sasl_mech_name(sasl_mech_parse(mechs[i])));
	conn_printf(cl->c, "SPID\t%ld\nCUID\t%u\nCOOKIE\t%s\nDONE\n", (long)getpid(),
		    ++a->next_cuid, a->cookie);
}

static bool mech_enabled(const struct authd *a, enum sasl_mech mech)
{
	const char *const *mechs;
	size_t n = conf_list(authd_conf(a), NULL, "auth_mechanisms", &mechs);
	for (size_t i = 0; i < n; i++)
		if (sasl_mech_parse(mechs[i]) == mech)
			return true;
	return false;
}

/* Decimal request id, 1..UINT_MAX, digits only. */
static int parse_id(const char *s, unsigned *id_r)
{
	size_t len = strlen(s);
	if (len == 0 || len > 10 || strspn(s, "0123456789") != len)
		return -1;
	unsigned long long v = strtoull(s, NULL, 10);
	if (v == 0 || v > UINT_MAX)
		return -1;
	*id_r = (unsigned)v;
	return 0;
}

void sasl_client_reply(struct sasl_client *cl, struct sasl_request *req, const char *verb,
		       const char *const *extra, size_t nextra)
{
	const char *fields[8];
	char id[16];
	snprintf(id, sizeof(id), "%u", req->id);
	size_t n = 0;
	fields[n++] = verb;
	fields[n++] = id;
	for (size_t i = 0; i < nextra && n < 8; i++)
		fields[n++] = extra[i];
	send_fields(cl->c, fields, n);
}

struct authd *sasl_client_authd(struct sasl_client *cl) { return cl->a; }
const char *sasl_client_peer(struct sasl_client *cl) { return conn_peer(cl->c); }

void sasl_client_unlink(struct sasl_client *cl, struct sasl_request *req)
{
	for (struct sasl_request **p = &cl->requests; *p; p = &(*p)->next) {
		if (*p == req) {
			*p = req->next;
			cl->count--;
			return;
		}
	}
}

static struct sasl_request *find_request(struct sasl_client *cl, unsigned id)
{
	for (struct sasl_request *r = cl->requests; r; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

static void cmd_auth(struct sasl_client *cl, char **f, int n)
{
	unsigned id;
	if (!cl->got_version)
		return protocol_error(cl, "AUTH before VERSION");
	if (n < 3 || parse_id(f[1], &id) < 0)
		return protocol_error(cl, "bad AUTH line");
	if (find_request(cl, id))
		return protocol_error(cl, "duplicate request id");
	if (cl->count >= MAX_PENDING_PER_CLIENT)
		return protocol_error(cl, "too many requests in flight");
	struct sasl_request *req = sasl_request_new(cl, id, f[2], f + 3, (size_t)(n - 3));
	if (req == NULL)
		return protocol_error(cl, "out of memory");
	req->next = cl->requests;
	cl->requests = req;
	cl->count++;
	enum sasl_mech mech = sasl_mech_parse(f[2]);
	if (mech == SASL_UNKNOWN || !mech_enabled(cl->a, mech))
		sasl_request_fail_now(req, "unsupported mechanism");
	else
		sasl_request_start(req, mech);
}

static void cmd_cont(struct sasl_client *cl, char **f, int n)
{
	unsigned id;
	if (n != 3 || parse_id(f[1], &id) < 0)
		return protocol_error(cl, "bad CONT line");
	struct sasl_request *req = find_request(cl, id);
	if (req == NULL || !sasl_request_wants_data(req))
		return protocol_error(cl, "CONT for unknown request");
	sasl_request_continue(req, f[2], strlen(f[2]));
}

static void on_line(struct conn *c, char *line, size_t len, bool overlong)
{
	struct sasl_client *cl = conn_ctx(c);
	char *f[MAX_FIELDS];
	if (overlong)
		return protocol_error(cl, "line too long");
	int n = ipc_split_fields(line, len, f, NULL, MAX_FIELDS);
	if (n < 1)
		return protocol_error(cl, "malformed line");
	if (strcmp(f[0], "VERSION") == 0) {
		if (n < 3 || strcmp(f[1], "1") != 0)
			return protocol_error(cl, "unsupported protocol version");
		cl->got_version = true;
	} else if (strcmp(f[0], "CPID") == 0) {
		if (n != 2 || !cl->got_version)
			return protocol_error(cl, "bad CPID");
	} else if (strcmp(f[0], "AUTH") == 0) {
		cmd_auth(cl, f, n);
	} else if (strcmp(f[0], "CONT") == 0) {
		cmd_cont(cl, f, n);
	} else {
		protocol_error(cl, "unknown command");
	}
}

static void on_close(struct conn *c, enum conn_close_reason reason)
{
	struct sasl_client *cl = conn_ctx(c);
	(void)reason;
	while (cl->requests) {
		struct sasl_request *req = cl->requests;
		sasl_client_unlink(cl, req);
		sasl_request_free(req);
	}
	free(cl);
}

static const struct conn_handlers handlers = { .on_line = on_line, .on_close = on_close };

void sasl_server_accept(struct authd *a, int fd, const char *peer)
{
	struct sasl_client *cl = calloc(1, sizeof(*cl));
	if (cl == NULL) {
		close(fd);
		return;
	}
	cl->a = a;
	cl->c = authd_conn_new(a, fd, peer, &handlers, cl, 0);
	if (cl->c == NULL)
		return;
	send_handshake(cl);
}
