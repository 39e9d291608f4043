/* dirclient_proto: the two wire formats of dirclient. Socketmap: netstring
 * "<map> <key>" out, netstring "OK <value>" / "NOTFOUND " / "TEMP <why>" /
 * "PERM <why>" back, strictly in request order. Auth-master: "VERSION\t1\t1"
 * then "USER\t<id>\t<user>\tservice=<s>" out; "USER\t<id>\t<user>\tk=v...",
 * "NOTFOUND\t<id>" or "FAIL\t<id>\t..." back, matched by id.
 * Invariants: a reply that breaks the framing (bad netstring, overlong or
 * unknown line, unknown id) resets the connection and fails every sent
 * request with TEMP; a well-framed reply with bad content is TEMP for its
 * request only; nothing malformed ever becomes FOUND or NOTFOUND. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dirclient_impl.h"
#include "ipc.h"
#include "log.h"

static const char malformed[] = "malformed directory reply";

int dirc_encode_map(struct dirc_request *req, const char *map, const char *key)
{
	size_t maplen = strlen(map), keylen = strlen(key);
	if (maplen == 0 || strchr(map, ' ') || maplen + 1 + keylen > DIRC_MAX_REPLY)
		return -1;
	struct buf plain, out;
	buf_init(&plain, 0);
	buf_init(&out, 0);
	buf_printf(&plain, "%s %s", map, key);
	ipc_netstring_put(&out, plain.data, plain.len);
	buf_free(&plain);
	if (buf_error(&out)) {
		buf_free(&out);
		return -1;
	}
	req->wire = out.data; /* ownership moves to the request */
	req->wirelen = out.len;
	return 0;
}

int dirc_encode_user(struct dirc_request *req, const char *user, const char *service)
{
	struct dirc_sock *s = req->sock;
	if (user[0] == '\0' || strlen(user) + strlen(service) > DIRC_MAX_REPLY / 2)
		return -1;
	req->id = s->next_id++;
	if (s->next_id == 0)
		s->next_id = 1;
	struct buf out;
	buf_init(&out, 0);
	buf_printf(&out, "USER\t%u\t", req->id);
	ipc_tabescape(&out, user, strlen(user));
	buf_append_str(&out, "\tservice=");
	ipc_tabescape(&out, service, strlen(service));
	buf_append_char(&out, '\n');
	if (buf_error(&out)) {
		buf_free(&out);
		return -1;
	}
	req->wire = out.data;
	req->wirelen = out.len;
	return 0;
}

/* "WORD" alone or "WORD <rest>": *rest_r = rest (or ""). */
static bool reply_is(char *data, const char *word, const char **rest_r)
{
	size_t n = strlen(word);
	if (strncmp(data, word, n) != 0 || (data[n] != '\0' && data[n] != ' '))
		return false;
	*rest_r = data[n] ? data + n + 1 : "";
	return true;
}

enum dirc_result dirc_parse_sm_reply(char *data, size_t len, const char **value_r)
{
	const char *rest;
	*value_r = malformed;
	if (memchr(data, '\0', len) != NULL)
		return DIRC_TEMP;
	if (strncmp(data, "OK ", 3) == 0) {
		*value_r = data + 3;
		return DIRC_FOUND;
	}
	if (reply_is(data, "NOTFOUND", &rest)) {
		*value_r = "";
		return DIRC_NOTFOUND;
	}
	if (reply_is(data, "TEMP", &rest) || reply_is(data, "PERM", &rest)) {
		*value_r = rest[0] ? rest : "directory unavailable";
		return data[0] == 'T' ? DIRC_TEMP : DIRC_PERM;
	}
	return DIRC_TEMP;
}

static void protocol_error(struct dirc_sock *s, const char *what)
{
	log_warning("dirclient-protocol-error socket=%s error=%s", log_str(s->path),
		    log_str(what));
	dirc_sock_reset(s, false, malformed);
}

void dirc_sm_on_data(struct conn *c, struct buf *in)
{
	struct dirc_link *l = conn_ctx(c);
	struct dirc_sock *s = l->sock;
	if (s == NULL)
		return;
	struct dirclient *dc = s->dc;
	dc->depth++;
	while (!dc->dying && s->conn == c) {
		const char *data, *value;
		size_t len, used;
		int r = ipc_netstring_get(in->data, in->len, DIRC_MAX_REPLY, &data, &len, &used);
		if (r == 0)
			break;
		if (r < 0 || s->head == NULL || !s->head->sent) {
			protocol_error(s, r < 0 ? "malformed netstring" : "unexpected reply");
			break;
		}
		char *text = in->data + (data - in->data);
		text[len] = '\0'; /* over the ',' */
		enum dirc_result res = dirc_parse_sm_reply(text, len, &value);
		if (value == malformed)
			log_warning("dirclient-malformed-reply socket=%s reply=%s",
				    log_str(s->path), log_str(text));
		dirc_complete(s->head, res, value, NULL, NULL, 0);
		buf_consume(in, used);
	}
	if (!dc->dying && s->conn == c)
		dirc_sock_send(s);
	if (--dc->depth == 0 && dc->dying)
		free(dc);
}

static struct dirc_request *find_id(struct dirc_sock *s, const char *idtext)
{
	size_t n = strlen(idtext);
	if (n == 0 || n > 10 || strspn(idtext, "0123456789") != n)
		return NULL;
	unsigned long id = strtoul(idtext, NULL, 10);
	for (struct dirc_request *req = s->head; req && req->sent; req = req->next)
		if (req->id == id)
			return req;
	return NULL;
}

static const char *fail_reason(char **f, int n)
{
	for (int i = 2; i < n; i++)
		if (strncmp(f[i], "reason=", 7) == 0)
			return f[i] + 7;
	return "directory unavailable";
}

/* One reply line; false when it broke the protocol (conn was reset). */
static bool ud_line(struct dirc_sock *s, char *line, size_t len)
{
	char *f[DIRC_MAX_FIELDS];
	size_t lens[DIRC_MAX_FIELDS];
	int n = ipc_split_fields(line, len, f, lens, DIRC_MAX_FIELDS);
	if (n < 1)
		return protocol_error(s, "malformed line"), false;
	if (strcmp(f[0], "VERSION") == 0) {
		if (n < 2 || strcmp(f[1], "1") != 0)
			return protocol_error(s, "unsupported version"), false;
		return true;
	}
	if (strcmp(f[0], "SPID") == 0)
		return true;
	bool known = strcmp(f[0], "USER") == 0 || strcmp(f[0], "NOTFOUND") == 0 ||
		     strcmp(f[0], "FAIL") == 0;
	struct dirc_request *req = n >= 2 && known ? find_id(s, f[1]) : NULL;
	if (req == NULL)
		return protocol_error(s, known ? "reply for unknown id" : "unknown reply"), false;
	for (int i = 0; i < n; i++)
		if (memchr(f[i], '\0', lens[i]) != NULL) {
			dirc_complete(req, DIRC_TEMP, malformed, "", NULL, 0);
			return true;
		}
	if (f[0][0] == 'N')
		dirc_complete(req, DIRC_NOTFOUND, "", "", NULL, 0);
	else if (f[0][0] == 'F')
		dirc_complete(req, DIRC_TEMP, fail_reason(f, n), "", NULL, 0);
	else if (n < 3 || f[2][0] == '\0')
		dirc_complete(req, DIRC_TEMP, malformed, "", NULL, 0);
	else
		dirc_complete(req, DIRC_FOUND, "", f[2], (const char *const *)(f + 3),
			      (size_t)(n - 3));
	return true;
}

void dirc_ud_on_line(struct conn *c, char *line, size_t len, bool overlong)
{
	struct dirc_link *l = conn_ctx(c);
	struct dirc_sock *s = l->sock;
	if (s == NULL)
		return;
	struct dirclient *dc = s->dc;
	dc->depth++;
	if (overlong)
		protocol_error(s, "line too long");
	else if (ud_line(s, line, len) && !dc->dying && s->conn == c)
		dirc_sock_send(s);
	if (--dc->depth == 0 && dc->dying)
		free(dc);
}

const char *dirclient_field(const char *const *fields, size_t nfields, const char *key)
{
	size_t klen = strcspn(key, "="); /* "home" or "home=" */
	for (size_t i = 0; i < nfields; i++)
		if (strncmp(fields[i], key, klen) == 0 && fields[i][klen] == '=')
			return fields[i] + klen + 1;
	return NULL;
}

int dirclient_socket_path(const struct conf *conf, const char *listener, char *out,
			  size_t outsize)
{
	return conf_listener_unix_path(conf, "authd", listener, out, outsize);
}
