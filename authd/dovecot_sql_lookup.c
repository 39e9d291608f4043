/* dovecot_sql_lookup: password_query, user_query and iterate_query of a
 * dovecot-sql.conf.ext, and their result columns mapped into struct
 * dir_user as Dovecot's passdb-sql/userdb-sql do (a NULL column is absent;
 * "userdb_" prefixes stripped; other columns become extra fields).
 * Invariants: thread-safe; DB trouble and rows Dovecot calls an internal
 * failure (no password column, several passdb rows, bad uid) are DIR_TEMP;
 * a field never gets truncated: it fails the lookup or, for an extra
 * field, is dropped with a warning; no password is logged. */
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dovecot_sql_int.h"
#include "log.h"
#include "sql.h"

static void log_db_error(struct dovecot_sql *d, const char *what, const char *msg)
{
	char v[256];
	pthread_mutex_lock(&d->lock);
	bool fresh = strncmp(d->last_error, msg, sizeof(d->last_error) - 1) != 0;
	if (fresh)
		snprintf(d->last_error, sizeof(d->last_error), "%s", msg);
	pthread_mutex_unlock(&d->lock);
	if (fresh)
		log_error("dovecot-sql-%s path=%s reason=%s", what, d->path,
			  log_value(v, sizeof(v), msg, strlen(msg)));
}

static void log_user(const char *event, const struct dovecot_sql *d, const char *user,
		     const char *detail)
{
	char v[256];
	log_error("dovecot-sql-%s path=%s user=%s%s", event, d->path,
		  log_value(v, sizeof(v), user, strlen(user)), detail);
}

static void log_bad_field(const struct dovecot_sql *d, const char *user, const char *field)
{
	char v[80], detail[128];
	snprintf(detail, sizeof(detail), " field=%s reason=invalid-or-too-long",
		 log_value(v, sizeof(v), field, strlen(field)));
	log_user("bad-field", d, user, detail);
}

/* Run a query template for vars; SQL_OK with *res_r or DIR_TEMP logged. */
static int run(struct dovecot_sql *d, const char *tmpl, const struct dsql_vars *vars,
	       struct sql_result **res_r)
{
	struct buf q;
	char err[256] = "";
	int r = -1;

	buf_init(&q, DSQL_MAX_QUERY);
	if (dovecot_sql_expand(tmpl, vars, &q, err, sizeof(err)) < 0 || buf_error(&q)) {
		log_db_error(d, "expand-failed", err[0] ? err : "query too long");
	} else {
		enum sql_status st = sql_query(d->db, buf_str(&q), res_r, err, sizeof(err));
		if (st == SQL_OK)
			r = 0;
		else
			log_db_error(d, st == SQL_PERM ? "query-failed" : "database-unavailable",
				     err[0] ? err : "unknown error");
	}
	buf_free(&q);
	return r;
}

static int set_str(char *dst, size_t size, const char *v)
{
	size_t len = strlen(v);
	if (len >= size)
		return -1;
	memcpy(dst, v, len + 1);
	return 0;
}

static void add_extra(struct dir_user *u, const char *name, const char *v)
{
	if (u->extra_count < DIR_MAX_EXTRA &&
	    (size_t)snprintf(u->extra[u->extra_count], sizeof(u->extra[0]), "%s=%s", name, v) <
		    sizeof(u->extra[0])) {
		u->extra_count++;
		return;
	}
	char n[80];
	log_warning("dovecot-sql-extra-field-dropped field=%s reason=too-many-or-too-long",
		    log_value(n, sizeof(n), name, strlen(name)));
}

/* uid/gid: a number or a system user/group name; "" = unset. */
static int parse_id(const char *v, bool gid, long *out)
{
	char *end, bufp[16384];
	if (!*v) {
		*out = -1;
		return 0;
	}
	unsigned long long n = strtoull(v, &end, 10);
	if (*v >= '0' && *v <= '9' && !*end)
		return n < UINT32_MAX ? (*out = (long)n, 0) : -1;
	if (gid) {
		struct group g, *gp = NULL;
		if (getgrnam_r(v, &g, bufp, sizeof(bufp), &gp) != 0 || !gp)
			return -1;
		*out = (long)gp->gr_gid;
	} else {
		struct passwd p, *pp = NULL;
		if (getpwnam_r(v, &p, bufp, sizeof(bufp), &pp) != 0 || !pp)
			return -1;
		*out = (long)pp->pw_uid;
	}
	return 0;
}

/* A userdb field (also passdb's userdb_*). -1 = the lookup fails. */
static int userdb_field(struct dir_user *u, const char *name, const char *v)
{
	if (strcmp(name, "home") == 0)
		return set_str(u->home, sizeof(u->home), v);
	if (strcmp(name, "mail") == 0)
		return set_str(u->mail, sizeof(u->mail), v);
	if (strcmp(name, "quota_rule") == 0)
		return set_str(u->quota_rule, sizeof(u->quota_rule), v);
	if (strcmp(name, "uid") == 0 || strcmp(name, "gid") == 0)
		return parse_id(v, name[0] == 'g', name[0] == 'g' ? &u->gid : &u->uid);
	if (strcmp(name, "user") == 0)
		return set_str(u->user, sizeof(u->user), v);
	add_extra(u, name, v);
	return 0;
}

/* user / username / domain as Dovecot's auth_request_set_field(): username
 * keeps the current @domain, domain replaces or adds it. */
static int set_user(struct dir_user *u, const char *name, const char *v)
{
	char tmp[sizeof(u->user)];
	const char *at = strchr(u->user, '@');
	int n;
	if (strcmp(name, "user") == 0)
		return set_str(u->user, sizeof(u->user), v);
	if (strcmp(name, "username") == 0)
		n = snprintf(tmp, sizeof(tmp), "%s%s", v, strchr(v, '@') || !at ? "" : at);
	else
		n = snprintf(tmp, sizeof(tmp), "%.*s@%s",
			     (int)(at ? at - u->user : (long)strlen(u->user)), u->user, v);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	memcpy(u->user, tmp, (size_t)n + 1);
	return 0;
}

static int passdb_field(struct dir_user *u, const char *name, const char *v)
{
	if (strcmp(name, "password") == 0 || strcmp(name, "password_noscheme") == 0)
		return set_str(u->password, sizeof(u->password), v);
	if (strcmp(name, "user") == 0 || strcmp(name, "username") == 0 ||
	    strcmp(name, "domain") == 0)
		return set_user(u, name, v);
	if (strcmp(name, "nopassword") == 0)
		u->nopassword = true;
	else if (strcmp(name, "nologin") == 0)
		u->nologin = true;
	else if (strcmp(name, "nodelay") == 0)
		u->nodelay = true;
	else if (strcmp(name, "allow_nets") == 0)
		return set_str(u->allow_nets, sizeof(u->allow_nets), v);
	else if (strncmp(name, "userdb_", 7) == 0)
		return userdb_field(u, name + 7, v);
	else
		add_extra(u, name, v);
	return 0;
}

/* Row 0 of res into u; name of the failing column in *bad_r on -1. */
static int fill(struct dir_user *u, const struct sql_result *res, bool passdb,
		const char **bad_r)
{
	for (size_t c = 0; c < res->ncols; c++) {
		const char *name = res->colnames[c], *v = res->cells[c];
		if (!v)
			continue;
		int r = passdb ? passdb_field(u, name, v)
			       : userdb_field(u, strncmp(name, "userdb_", 7) == 0 ? name + 7 : name, v);
		if (r < 0) {
			*bad_r = name;
			return -1;
		}
	}
	return 0;
}

static void reset(struct dir_user *u, const struct dsql_vars *vars)
{
	memset(u, 0, sizeof(*u));
	u->uid = u->gid = -1;
	if (vars && vars->user)
		set_str(u->user, sizeof(u->user), vars->user);
}

/* After the columns: Dovecot's checks on password and nopassword. */
static enum dir_result check_password(const struct dovecot_sql *d, struct dir_user *u,
				      const struct sql_result *res, const char *user)
{
	bool has_pw = false, has_nopw = false;
	sql_result_get(res, 0, "password", &has_pw);
	sql_result_get(res, 0, "password_noscheme", &has_nopw);
	if (!has_pw && !has_nopw) {
		log_user("password-column-missing", d, user,
			 " reason=password_query-must-return-a-password-column");
		return DIR_TEMP;
	}
	if (u->nopassword && u->password[0]) {
		const char *p = u->password, *end = p[0] == '{' ? strchr(p, '}') : NULL;
		if (!end || end[1]) {
			log_user("nopassword-ignored", d, user, " reason=password-is-not-empty");
			u->nopassword = false;
		}
	}
	if (!u->password[0] && !u->nopassword) {
		/* Dovecot: a password mismatch. An empty password must never
		 * verify (PLAIN would accept ""): refuse the login outright. */
		log_user("empty-password", d, user, " reason=NULL-password-without-nopassword");
		u->nologin = true;
	}
	return DIR_FOUND;
}

enum dir_result dovecot_sql_passdb(struct dovecot_sql *d, const struct dsql_vars *vars,
				   struct dir_user *u)
{
	struct sql_result *res = NULL;
	const char *bad = "", *user = vars && vars->user ? vars->user : "";
	enum dir_result r = DIR_NOTFOUND;

	reset(u, vars);
	if (run(d, d->password_query, vars, &res) < 0)
		return DIR_TEMP;
	if (res->nrows > 1) {
		log_user("multiple-matches", d, user, " query=password_query");
		r = DIR_TEMP;
	} else if (res->nrows == 1 && fill(u, res, true, &bad) < 0) {
		log_bad_field(d, user, bad);
		r = DIR_TEMP;
	} else if (res->nrows == 1) {
		snprintf(u->scheme_default, sizeof(u->scheme_default), "%s", d->scheme);
		r = check_password(d, u, res, user);
	}
	sql_result_free(&res);
	if (r != DIR_FOUND)
		reset(u, vars);
	return r;
}

enum dir_result dovecot_sql_userdb(struct dovecot_sql *d, const struct dsql_vars *vars,
				   struct dir_user *u)
{
	struct sql_result *res = NULL;
	const char *bad = "", *user = vars && vars->user ? vars->user : "";
	enum dir_result r = DIR_NOTFOUND;

	reset(u, vars);
	if (run(d, d->user_query, vars, &res) < 0)
		return DIR_TEMP;
	if (res->nrows > 0) { /* Dovecot's userdb-sql uses the first row */
		r = DIR_FOUND;
		if (fill(u, res, false, &bad) < 0) {
			log_bad_field(d, user, bad);
			r = DIR_TEMP;
		}
	}
	sql_result_free(&res);
	if (r != DIR_FOUND)
		reset(u, vars);
	return r;
}

enum dir_result dovecot_sql_iterate(struct dovecot_sql *d, bool (*cb)(const char *user, void *ctx),
				    void *ctx)
{
	struct sql_result *res = NULL;
	struct buf name;
	bool has_user = false, has_username = false;
	enum dir_result r = DIR_FOUND;

	if (run(d, d->iterate_query, NULL, &res) < 0)
		return DIR_TEMP;
	if (res->nrows > 0) {
		sql_result_get(res, 0, "user", &has_user);
		sql_result_get(res, 0, "username", &has_username);
	}
	if (res->nrows > 0 && !has_user && !has_username) {
		log_db_error(d, "iterate-failed", "iterate_query returned no user or username column");
		r = DIR_TEMP;
	}
	buf_init(&name, 0);
	for (size_t i = 0; r == DIR_FOUND && i < res->nrows; i++) {
		const char *u = sql_result_get(res, i, has_user ? "user" : "username", NULL);
		const char *dom = has_user ? NULL : sql_result_get(res, i, "domain", NULL);
		if (!u)
			continue;
		buf_reset(&name);
		buf_printf(&name, "%s%s%s", u, dom ? "@" : "", dom ? dom : "");
		if (!buf_error(&name) && !cb(buf_str(&name), ctx))
			break;
	}
	buf_free(&name);
	sql_result_free(&res);
	return r;
}
