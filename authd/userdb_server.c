/* userdb_server: the Dovecot auth-master protocol on authd's "userdb"
 * socket, used by lmtpd/imapd/pop3d (and by Dovecot's own tools when they
 * point at tern): USER (userdb fields), PASS (does the user exist for
 * login, without the hash), LIST [user=MASK] (users, then DONE).
 * Invariants: answers echo the request id; a directory that cannot answer
 * gives FAIL (temporary), never NOTFOUND; malformed input ends only that
 * connection; with a blocking (SQL) directory one request per connection
 * is in flight and input waits meanwhile, so replies keep request order. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd.h"
#include "conn.h"
#include "ipc.h"
#include "log.h"

#define MAX_FIELDS 32
#define LIST_MAX_REPLY (64 * 1024 * 1024)

struct userdb_client {
	struct authd *a;
	struct conn *c;
	bool got_version;
	struct userdb_job *pending; /* request in flight (SQL) */
};

struct userdb_job {
	struct userdb_client *cl; /* NULL once the client is gone */
	struct workpool_job *wjob;
	struct authd *a;
	char verb[8], id[16], login[DIR_MAX_ADDRESS + 1], mask[DIR_MAX_ADDRESS + 1];
	struct buf reply;
	enum dir_result result;
	struct dir_user u;
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

/* USER / PASS, on whatever thread authd_run picks. */
static void lookup_work(void *arg)
{
	struct userdb_job *j = arg;
	char user[DIR_MAX_ADDRESS + 1];
	bool is_user = strcmp(j->verb, "USER") == 0;
	j->result = DIR_NOTFOUND;
	if (passdb_normalize_user(j->a, j->login, user, sizeof(user)) == 0)
		j->result = is_user ? directory_user(j->a->dir, user, &j->u)
				    : directory_passdb(j->a->dir, user, "", "", &j->u);
	memset(j->u.password, 0, sizeof(j->u.password)); /* never leaves authd */
	if (j->result == DIR_TEMP) {
		buf_printf(&j->reply, "FAIL\t%s\treason=directory unavailable\n", j->id);
	} else if (j->result == DIR_NOTFOUND) {
		buf_printf(&j->reply, "NOTFOUND\t%s\n", j->id);
	} else if (is_user) {
		buf_printf(&j->reply, "USER\t%s", j->id);
		put_field(&j->reply, NULL, j->u.user);
		put_user_fields(&j->reply, &j->u);
		buf_append_char(&j->reply, '\n');
	} else {
		buf_printf(&j->reply, "PASS\t%s", j->id);
		put_field(&j->reply, "user", j->u.user);
		buf_append_char(&j->reply, '\n');
	}
}

static bool list_one(const char *user, void *arg)
{
	struct userdb_job *j = arg;
	if (j->mask[0] && fnmatch(j->mask, user, FNM_CASEFOLD) != 0)
		return true;
	buf_printf(&j->reply, "LIST\t%s", j->id);
	put_field(&j->reply, NULL, user);
	buf_append_char(&j->reply, '\n');
	return !buf_error(&j->reply);
}

static void list_work(void *arg)
{
	struct userdb_job *j = arg;
	j->result = directory_iterate_users(j->a->dir, list_one, j);
	if (j->result == DIR_TEMP || buf_error(&j->reply)) {
		buf_reset(&j->reply);
		buf_printf(&j->reply, "FAIL\t%s\treason=directory unavailable\n", j->id);
	} else {
		buf_printf(&j->reply, "DONE\t%s\n", j->id);
	}
}

/* A cache miss: forget the partial answer before the worker runs. */
static void job_reset(void *arg)
{
	struct userdb_job *j = arg;
	buf_reset(&j->reply);
}

static void job_done(void *arg, bool cancelled)
{
	struct userdb_job *j = arg;
	struct userdb_client *cl = j->cl;
	if (cl != NULL) {
		if (cancelled) {
			buf_reset(&j->reply);
			buf_printf(&j->reply, "FAIL\t%s\treason=directory unavailable\n", j->id);
		}
		conn_write(cl->c, j->reply.data, j->reply.len);
		log_debug("userdb-lookup session=%s request=%s user=%s result=%s", conn_id(cl->c),
			  j->verb, log_str(j->login),
			  cancelled || j->result == DIR_TEMP ? "temp"
			  : j->result == DIR_FOUND	      ? "found"
							      : "notfound");
		if (cl->pending == j) {
			cl->pending = NULL;
			conn_resume(cl->c);
		}
	}
	buf_free(&j->reply);
	memset(&j->u, 0, sizeof(j->u));
	free(j);
}

static void start_job(struct userdb_client *cl, const char *verb, const char *id,
		      const char *login, const char *mask, workpool_work *work)
{
	struct userdb_job *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return protocol_error(cl, "out of memory");
	j->cl = cl;
	j->a = cl->a;
	snprintf(j->verb, sizeof(j->verb), "%s", verb);
	snprintf(j->id, sizeof(j->id), "%s", id);
	snprintf(j->login, sizeof(j->login), "%s", login);
	snprintf(j->mask, sizeof(j->mask), "%s", mask);
	buf_init(&j->reply, LIST_MAX_REPLY);
	bool blocking = directory_blocking(cl->a->dir);
	if (blocking)
		conn_pause(cl->c); /* one request in flight: replies keep their order */
	struct workpool_job *wjob = authd_run(cl->a, work, job_reset, job_done, j);
	if (wjob != NULL) {
		j->wjob = wjob; /* done runs later, on the loop */
		cl->pending = j;
	} else if (blocking) {
		conn_resume(cl->c); /* done already ran (could not queue) */
	}
}

static bool valid_id(const char *s)
{
	size_t len = strlen(s);
	return len > 0 && len <= 10 && strspn(s, "0123456789") == len;
}

/* LIST's optional "user=MASK" parameter (doveadm sends user=*). */
static const char *list_mask(char **f, int n)
{
	for (int i = 2; i < n; i++)
		if (strncmp(f[i], "user=", 5) == 0)
			return strlen(f[i] + 5) <= DIR_MAX_ADDRESS ? f[i] + 5 : "";
	return "";
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
		start_job(cl, f[0], f[1], f[2], "", lookup_work);
	else if (strcmp(f[0], "LIST") == 0 && n >= 2 && valid_id(f[1]))
		start_job(cl, "LIST", f[1], "", list_mask(f, n), list_work);
	else
		protocol_error(cl, "bad request");
}

static void on_close(struct conn *c, enum conn_close_reason reason)
{
	struct userdb_client *cl = conn_ctx(c);
	(void)reason;
	if (cl->pending) { /* its done will find no client and only free it */
		cl->pending->cl = NULL;
		workpool_cancel(cl->pending->wjob);
	}
	free(cl);
}

static const struct conn_handlers handlers = { .on_line = on_line, .on_close = on_close };

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
