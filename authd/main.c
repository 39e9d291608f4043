/* authd: tern's directory daemon (user tern-auth). Serves SASL (Dovecot
 * auth protocol), user lookups (auth-master protocol) and recipient
 * resolution (Postfix socketmap) from the configured directory. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd.h"
#include "conn.h"
#include "log.h"

#define AUTHD_LOOKUP_THREADS 8 /* blocking SQL lookups at once */

static struct authd authd;

/* Before the privilege drop: the directory's configuration files may be
 * root-only (an SQL file holds the database password), as with Dovecot,
 * which reads dovecot-sql.conf.ext as root. */
static int authd_init_privileged(struct service_ctx *ctx)
{
	char err[512];
	authd.ctx = ctx;
	authd.dir = directory_open(ctx->conf, err, sizeof(err));
	if (authd.dir == NULL) {
		log_error("startup-error service=authd error=%s", log_str(err));
		return -1;
	}
	return 0;
}

static int authd_init(struct service_ctx *ctx)
{
	if (sodium_init() < 0)
		return -1;
	unsigned char raw[16];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(authd.cookie, sizeof(authd.cookie), raw, sizeof(raw));
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned workers = (unsigned)conf_int(ctx->conf, NULL, "auth_worker_max_count");
	if (workers == 0)
		workers = cpus > 0 ? (unsigned)cpus : 1;
	authd.hashes = hash_pool_new(ctx->loop, workers);
	if (authd.hashes == NULL) {
		log_error("startup-error service=authd error=\"cannot start hash workers\"");
		return -1;
	}
	if (directory_blocking(authd.dir) &&
	    (authd.lookups = workpool_new(ctx->loop, AUTHD_LOOKUP_THREADS)) == NULL) {
		log_error("startup-error service=authd error=\"cannot start lookup workers\"");
		return -1;
	}
	ctx->data = &authd;
	return 0;
}

struct conn *authd_conn_new(struct authd *a, int fd, const char *peer,
			    const struct conn_handlers *h, void *client, size_t max_line)
{
	const struct conf *conf = authd_conf(a);
	if (max_line == 0)
		max_line = conf_size(conf, NULL, "auth_max_request_size");
	struct conn *c = conn_new(a->ctx->loop, fd, peer, h, client, max_line,
				  conf_time_ms(conf, NULL, "auth_client_timeout"));
	if (c == NULL)
		free(client);
	return c;
}

struct workpool_job *authd_run(struct authd *a, workpool_work *work, workpool_work *reset,
			       workpool_done *done, void *ctx)
{
	bool blocking = a->lookups != NULL && directory_blocking(a->dir);
	if (!blocking || directory_cached(a->dir)) {
		/* files, or first from the SQL cache right here */
		directory_cache_only(blocking);
		work(ctx);
		bool missed = blocking && directory_cache_missed();
		directory_cache_only(false);
		if (!missed) {
			done(ctx, false);
			return NULL;
		}
		reset(ctx); /* a miss: only it goes to a worker */
	}
	struct workpool_job *job = workpool_submit(a->lookups, work, done, ctx);
	if (job == NULL) /* out of memory: answer "cannot say now" rather than block */
		done(ctx, true);
	return job;
}

static void authd_accept(struct service_ctx *ctx, const struct service_listener *l, int fd,
			 const char *peer)
{
	(void)ctx;
	if (conn_count() >= conf_int(authd.ctx->conf, NULL, "auth_client_limit")) {
		log_warning("connection-limit service=authd listener=%s", l->name);
		close(fd);
		return;
	}
	directory_refresh(authd.dir);
	if (strcmp(l->name, "client") == 0)
		sasl_server_accept(&authd, fd, peer);
	else if (strcmp(l->name, "userdb") == 0)
		userdb_server_accept(&authd, fd, peer);
	else if (strcmp(l->name, "socketmap") == 0)
		socketmap_server_accept(&authd, fd, peer);
	else {
		log_error("unknown-listener service=authd listener=%s", log_str(l->name));
		close(fd);
	}
}

/* SIGHUP without a change to authd's settings (master restarts authd when
 * they change): re-read the data files, keeping the old data of any file
 * that cannot be read now. */
static void authd_reload(struct service_ctx *ctx)
{
	const char *changed;
	if (directory_sql_files_changed(authd.dir, &changed)) {
		/* read as root at start only: a fresh authd reads it again */
		log_info("reload-restart service=authd reason=sql-file-changed file=%s",
			 log_str(changed));
		service_request_restart(ctx);
		return;
	}
	directory_flush_cache(authd.dir);
	if (directory_reload(authd.dir) < 0)
		log_warning("reload-incomplete service=authd reason=\"some directory files kept their old data\"");
}

static bool authd_idle(struct service_ctx *ctx)
{
	(void)ctx;
	return authd.pending == 0 && (authd.lookups == NULL || workpool_pending(authd.lookups) == 0);
}

static void authd_deinit(struct service_ctx *ctx)
{
	(void)ctx;
	workpool_free(&authd.lookups); /* before the directory its jobs use */
	hash_pool_free(&authd.hashes);
	if (authd.dir)
		directory_free(&authd.dir);
}

static const struct service_def authd_def = {
	.name = "authd",
	.init_privileged = authd_init_privileged,
	.init = authd_init,
	.on_accept = authd_accept,
	.on_reload = authd_reload,
	.idle = authd_idle,
	.deinit = authd_deinit,
};

int main(int argc, char **argv)
{
	service_main(argc, argv, &authd_def);
}
