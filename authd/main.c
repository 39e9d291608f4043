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

static struct authd authd;

static int authd_init(struct service_ctx *ctx)
{
	char err[512];
	if (sodium_init() < 0)
		return -1;
	authd.ctx = ctx;
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
	authd.dir = directory_open(ctx->conf, err, sizeof(err));
	if (authd.dir == NULL) {
		log_error("startup-error service=authd error=%s", log_str(err));
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
	(void)ctx;
	if (directory_reload(authd.dir) < 0)
		log_warning("reload-incomplete service=authd reason=\"some directory files kept their old data\"");
}

static bool authd_idle(struct service_ctx *ctx)
{
	(void)ctx;
	return authd.pending == 0;
}

static void authd_deinit(struct service_ctx *ctx)
{
	(void)ctx;
	if (authd.dir)
		directory_free(&authd.dir);
	hash_pool_free(&authd.hashes);
}

static const struct service_def authd_def = {
	.name = "authd",
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
