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

struct socketmap_job;

struct socketmap_client {
	struct authd *a;
	struct conn *c;
	struct socketmap_job *pending; /* lookup in flight (SQL) */
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

/* The mailbox map's value: virtual_mailbox_maps' answer when configured;
 * else the user's Maildir path ("maildir:~/Maildir" with ~ expanded to the
 * home), so a Postfix using this map as virtual_mailbox_maps with
 * virtual_mailbox_base = / finds it. */
static enum dir_result mailbox_path(struct authd *a, const char *key, char *out, size_t size)
{
	bool no_maps;
	enum dir_result r = directory_mailbox_map(a->dir, key, out, size, &no_maps);
	if (!no_maps) /* virtual_mailbox_maps answer, as Postfix would get it */
		return r;
	static __thread struct dir_user u; /* large: not on a worker's stack */
	r = directory_user(a->dir, key, &u);
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

struct socketmap_job {
	struct socketmap_client *cl; /* NULL once the client is gone */
	struct authd *a;
	struct workpool_job *wjob;
	char map[32];
	char *key;
	size_t keylen;
	struct buf reply;
};

static void job_work(void *arg)
{
	struct socketmap_job *j = arg;
	if (j->key == NULL)
		buf_append_str(&j->reply, "PERM malformed request");
	else
		answer(j->a, j->map, j->key, j->keylen, &j->reply);
	if (buf_error(&j->reply)) {
		buf_reset(&j->reply);
		buf_append_str(&j->reply, "PERM reply too long");
	}
}

/* A cache miss: forget the partial answer before the worker runs. */
static void job_reset(void *arg)
{
	struct socketmap_job *j = arg;
	buf_reset(&j->reply);
}

static void job_done(void *arg, bool cancelled)
{
	struct socketmap_job *j = arg;
	struct socketmap_client *cl = j->cl;
	if (cl != NULL) {
		if (cancelled) {
			buf_reset(&j->reply);
			buf_append_str(&j->reply, "TEMP directory unavailable");
		}
		log_debug("socketmap-lookup session=%s map=%s key=%s reply=%s", conn_id(cl->c),
			  log_str(j->map), log_str(j->key ? j->key : ""), log_str(buf_str(&j->reply)));
		ipc_netstring_put(conn_outbuf(cl->c), j->reply.data, j->reply.len);
		conn_flush(cl->c);
		if (cl->pending == j) {
			cl->pending = NULL;
			conn_resume(cl->c);
		}
	}
	buf_free(&j->reply);
	free(j->key);
	free(j);
}

/* One request "<map> <key>": answered now (files) or by a job (SQL). */
static void handle(struct socketmap_client *cl, const char *req, size_t len)
{
	struct socketmap_job *j = calloc(1, sizeof(*j));
	if (j == NULL) {
		ipc_netstring_put(conn_outbuf(cl->c), "TEMP out of memory", 18);
		conn_flush(cl->c);
		return;
	}
	j->cl = cl;
	j->a = cl->a;
	buf_init(&j->reply, SOCKETMAP_MAX_REPLY);
	const char *space = memchr(req, ' ', len);
	size_t maplen = space ? (size_t)(space - req) : 0;
	if (space != NULL && maplen > 0 && maplen < sizeof(j->map) && !memchr(req, '\0', len)) {
		memcpy(j->map, req, maplen);
		j->map[maplen] = '\0';
		j->keylen = len - maplen - 1;
		j->key = strndup(space + 1, j->keylen);
	}
	bool blocking = directory_blocking(cl->a->dir);
	if (blocking)
		conn_pause(cl->c); /* socketmap has no ids: one request at a time */
	struct workpool_job *wjob = authd_run(cl->a, job_work, job_reset, job_done, j);
	if (wjob != NULL) {
		j->wjob = wjob;
		cl->pending = j;
	} else if (blocking) {
		conn_resume(cl->c);
	}
}

static void on_data(struct conn *c, struct buf *in)
{
	struct socketmap_client *cl = conn_ctx(c);
	while (cl->pending == NULL) {
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
	struct socketmap_client *cl = conn_ctx(c);
	(void)reason;
	if (cl->pending) { /* its done will find no client and only free it */
		cl->pending->cl = NULL;
		workpool_cancel(cl->pending->wjob);
	}
	free(cl);
}

static const struct conn_handlers handlers = { .on_close = on_close, .on_data = on_data };

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
