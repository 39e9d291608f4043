/* userdb_server: the Dovecot auth-master protocol on authd's "userdb"
 * socket, used by lmtpd/imapd/pop3d (and by Dovecot's own tools when they
 * point at tern): USER (userdb fields), PASS (does the user exist for
 * login, without the hash), LIST (every user, then DONE).
 * Invariants: answers echo the request id; a directory that cannot answer
 * gives FAIL (temporary), never NOTFOUND; malformed input ends only that
 * connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd.h"
#include "conn.h"
#include "ipc.h"
#include "log.h"

#define MAX_FIELDS 32

struct userdb_client {
	struct authd *a;
	struct conn *c;
	bool got_version;
};

static void put_field(struct buf *out, const char *key, const char *value)
{
	buf_append_char(out, '\t');
	if (key) {
		buf_append_str(out, key);
		buf_append_char(out, '=');
	}
	ipc_tabescape(out, value, strlen(value));
}

static void put_user_fields(struct buf *out, const struct dir_user *u)
{
	char num[32];
	if (u->home[0])
		put_field(out, "home", u->home);
	if (u->uid >= 0) {
		snprintf(num, sizeof(num), "%ld", u->uid);
		put_field(out, "uid", num);
	}
	if (u->gid >= 0) {
		snprintf(num, sizeof(num), "%ld", u->gid);
		put_field(out, "gid", num);
	}
	if (u->mail[0])
		put_field(out, "mail", u->mail);
	if (u->quota_rule[0])
		put_field(out, "quota_rule", u->quota_rule);
	for (size_t i = 0; i < u->extra_count; i++)
		put_field(out, NULL, u->extra[i]);
}

static void protocol_error(struct userdb_client *cl, const char *what)
{
	log_warning("userdb-protocol-error session=%s error=%s", conn_id(cl->c), log_str(what));
	conn_close(cl->c);
}

static void lookup(struct userdb_client *cl, const char *verb, const char *id, const char *login)
{
	static struct dir_user u;
	char user[DIR_MAX_ADDRESS + 1];
	struct buf *out = conn_outbuf(cl->c);
	enum dir_result r = DIR_NOTFOUND;
	memset(&u, 0, sizeof(u));
	if (passdb_normalize_user(cl->a, login, user, sizeof(user)) == 0)
		r = directory_user(cl->a->dir, user, &u);
	memset(u.password, 0, sizeof(u.password)); /* never leaves authd */
	if (r == DIR_TEMP) {
		buf_printf(out, "FAIL\t%s\treason=directory unavailable\n", id);
	} else if (r == DIR_NOTFOUND) {
		buf_printf(out, "NOTFOUND\t%s\n", id);
	} else if (strcmp(verb, "USER") == 0) {
		buf_printf(out, "USER\t%s", id);
		put_field(out, NULL, u.user);
		put_user_fields(out, &u);
		buf_append_char(out, '\n');
	} else {
		buf_printf(out, "PASS\t%s", id);
		put_field(out, "user", u.user);
		buf_append_char(out, '\n');
	}
	log_debug("userdb-lookup session=%s request=%s user=%s result=%s", conn_id(cl->c), verb,
		  log_str(login), r == DIR_FOUND ? "found" : r == DIR_TEMP ? "temp" : "notfound");
	conn_flush(cl->c);
}

struct list_ctx {
	struct buf *out;
	const char *id;
};

static bool list_one(const char *user, void *arg)
{
	struct list_ctx *lc = arg;
	buf_printf(lc->out, "LIST\t%s", lc->id);
	put_field(lc->out, NULL, user);
	buf_append_char(lc->out, '\n');
	return !buf_error(lc->out);
}

static void list_users(struct userdb_client *cl, const char *id)
{
	struct list_ctx lc = { conn_outbuf(cl->c), id };
	if (directory_iterate_users(cl->a->dir, list_one, &lc) == DIR_TEMP)
		buf_printf(lc.out, "FAIL\t%s\treason=directory unavailable\n", id);
	else
		buf_printf(lc.out, "DONE\t%s\n", id);
	conn_flush(cl->c);
}

static bool valid_id(const char *s)
{
	size_t len = strlen(s);
	return len > 0 && len <= 10 && strspn(s, "0123456789") == len;
}

static void on_line(struct conn *c, char *line, size_t len, bool overlong)
{
	struct userdb_client *cl = conn_ctx(c);
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
		return;
	}
	if (!cl->got_version)
		return protocol_error(cl, "request before VERSION");
	if ((strcmp(f[0], "USER") == 0 || strcmp(f[0], "PASS") == 0) && n >= 3 && valid_id(f[1]))
		lookup(cl, f[0], f[1], f[2]);
	else if (strcmp(f[0], "LIST") == 0 && n >= 2 && valid_id(f[1]))
		list_users(cl, f[1]);
	else
		protocol_error(cl, "bad request");
}

static void on_close(struct conn *c, enum conn_close_reason reason)
{
	(void)reason;
	free(conn_ctx(c));
}

static const struct conn_handlers handlers = { on_line, on_close, NULL };

void userdb_server_accept(struct authd *a, int fd, const char *peer)
{
	struct userdb_client *cl = calloc(1, sizeof(*cl));
	if (cl == NULL) {
		close(fd);
		return;
	}
	cl->a = a;
	cl->c = authd_conn_new(a, fd, peer, &handlers, cl, 0);
	if (cl->c == NULL)
		return;
	conn_printf(cl->c, "VERSION\t1\t1\nSPID\t%ld\n", (long)getpid());
}
