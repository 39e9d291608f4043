/* socketmap_server: Postfix's socketmap protocol on authd's "socketmap"
 * socket: netstring requests "<map> <key>", netstring replies "OK <value>",
 * "NOTFOUND ", "TEMP <reason>" or "PERM <reason>". Maps: domain, mailbox,
 * alias (one level, as Postfix's virtual_alias_maps: Postfix recurses
 * itself; see postfix_alias.c) and resolve (tern's full expansion, see directory_resolve).
 * Invariants: a malformed netstring or a request over the limit is logged
 * and ends that connection only; keys with control bytes or over the
 * address limit are NOTFOUND without a lookup. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd.h"
#include "conn.h"
#include "ipc.h"
#include "log.h"
#include "postfix_alias.h"

#define SOCKETMAP_MAX_REQUEST 100000 /* Postfix's socketmap limit */
#define SOCKETMAP_MAX_REPLY 100000

struct socketmap_client {
	struct authd *a;
	struct conn *c;
};

static bool plausible_key(const char *key, size_t len)
{
	if (len == 0 || len > DIR_MAX_ADDRESS)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)key[i] < 0x21 || key[i] == 0x7f)
			return false;
	return true;
}

/* The mailbox map's value: the user's Maildir path ("maildir:~/Maildir"
 * with ~ expanded to the home), so a Postfix using this map as
 * virtual_mailbox_maps with virtual_mailbox_base = / finds it. */
static enum dir_result mailbox_path(struct authd *a, const char *key, char *out, size_t size)
{
	static struct dir_user u;
	enum dir_result r = directory_user(a->dir, key, &u);
	memset(u.password, 0, sizeof(u.password));
	if (r != DIR_FOUND)
		return r;
	const char *loc = u.mail[0] ? u.mail : "maildir:~/Maildir";
	if (strncmp(loc, "maildir:", 8) == 0)
		loc += 8;
	size_t len = strcspn(loc, ":");
	int n = loc[0] == '~' ? snprintf(out, size, "%s%.*s", u.home, (int)len - 1, loc + 1)
			      : snprintf(out, size, "%.*s", (int)len, loc);
	if (n > 0 && (size_t)n + 1 < size && out[n - 1] != '/')
		strcat(out, "/");
	return DIR_FOUND;
}

/* Run one lookup; the reply text (without netstring framing) goes to out. */
static void answer(struct authd *a, const char *map, const char *key, size_t keylen,
		   struct buf *out)
{
	char value[8192];
	enum dir_result r;
	if (!plausible_key(key, keylen)) {
		buf_append_str(out, "NOTFOUND ");
		return;
	}
	value[0] = '\0';
	if (strcmp(map, "domain") == 0) {
		r = directory_domain(a->dir, key);
		for (size_t i = 0; i < keylen && i + 1 < sizeof(value); i++)
			value[i] = (char)tolower((unsigned char)key[i]), value[i + 1] = '\0';
	} else if (strcmp(map, "mailbox") == 0) {
		r = mailbox_path(a, key, value, sizeof(value));
	} else if (strcmp(map, "alias") == 0) {
		r = postfix_alias_lookup(a->dir, key, value, sizeof(value));
	} else if (strcmp(map, "resolve") == 0) {
		r = directory_resolve(a->dir, key, value, sizeof(value));
	} else {
		buf_append_str(out, "PERM unknown map");
		return;
	}
	if (r == DIR_FOUND)
		buf_printf(out, "OK %s", value);
	else if (r == DIR_NOTFOUND)
		buf_append_str(out, "NOTFOUND ");
	else
		buf_printf(out, "TEMP %s", value[0] ? value : "directory unavailable");
}

static void handle(struct socketmap_client *cl, const char *req, size_t len)
{
	char map[32];
	const char *space = memchr(req, ' ', len);
	struct buf reply;
	buf_init(&reply, SOCKETMAP_MAX_REPLY);
	size_t maplen = space ? (size_t)(space - req) : 0;
	if (space == NULL || maplen == 0 || maplen >= sizeof(map) || memchr(req, '\0', len)) {
		buf_append_str(&reply, "PERM malformed request");
	} else {
		memcpy(map, req, maplen);
		map[maplen] = '\0';
		char *key = strndup(space + 1, len - maplen - 1);
		if (key == NULL)
			buf_append_str(&reply, "TEMP out of memory");
		else
			answer(cl->a, map, key, len - maplen - 1, &reply);
		log_debug("socketmap-lookup session=%s map=%s key=%s reply=%s", conn_id(cl->c),
			  log_str(map), log_str(key ? key : ""), log_str(buf_str(&reply)));
		free(key);
	}
	if (buf_error(&reply)) {
		buf_reset(&reply);
		buf_append_str(&reply, "PERM reply too long");
	}
	struct buf *out = conn_outbuf(cl->c);
	ipc_netstring_put(out, reply.data, reply.len);
	buf_free(&reply);
	conn_flush(cl->c);
}

static void on_data(struct conn *c, struct buf *in)
{
	struct socketmap_client *cl = conn_ctx(c);
	for (;;) {
		const char *data;
		size_t len, used;
		int r = ipc_netstring_get(in->data, in->len, SOCKETMAP_MAX_REQUEST, &data, &len, &used);
		if (r == 0)
			return;
		if (r < 0) {
			log_warning("socketmap-protocol-error session=%s error=malformed-netstring",
				    conn_id(c));
			conn_close(c);
			return;
		}
		handle(cl, data, len);
		buf_consume(in, used);
	}
}

static void on_close(struct conn *c, enum conn_close_reason reason)
{
	(void)reason;
	free(conn_ctx(c));
}

static const struct conn_handlers handlers = { NULL, on_close, on_data };

void socketmap_server_accept(struct authd *a, int fd, const char *peer)
{
	struct socketmap_client *cl = calloc(1, sizeof(*cl));
	if (cl == NULL) {
		close(fd);
		return;
	}
	cl->a = a;
	cl->c = authd_conn_new(a, fd, peer, &handlers, cl, SOCKETMAP_MAX_REQUEST + 16);
}
