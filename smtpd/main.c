/* smtpd: tern's SMTP server for incoming mail (port 25): the SMTP engine
 * with recipient checks through authd and a queue hand-off that answers
 * 250 only for durable messages (smtpd.h). One process, one event loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "smtpd.h"

struct smtpd smtpd;

/* Before the privilege drop: the TLS key may be readable by root only. */
static int smtpd_init_privileged(struct service_ctx *ctx)
{
	char err[512];
	const char *const *certs;
	smtpd.ctx = ctx;
	if (conf_list(ctx->conf, NULL, "tls_cert_file", &certs) == 0)
		return 0; /* no certificate: no STARTTLS */
	smtpd.tls = tls_server_ctx_from_conf(ctx->conf, err, sizeof(err));
	if (!smtpd.tls) {
		log_error("startup-error service=smtpd error=%s", log_str(err));
		return -1;
	}
	return 0;
}

static void smtpd_configure(const struct conf *conf)
{
	char sock[256];
	smtp_server_settings_from_conf(&smtpd.set, conf, SMTP_MODE_SMTP, "smtpd");
	smtpd.set.tls = smtpd.tls;
	smtpd.conn_limit = conf_int(conf, NULL, "smtpd_client_connection_count_limit");
	if (queue_submit_path(conf, smtpd.queue_path, sizeof(smtpd.queue_path)) < 0) {
		smtpd.queue_path[0] = '\0';
		log_warning("config-warning service=smtpd reason=\"no submit listener in service queue\"");
	}
	const char *d = conf_str(conf, NULL, "mydomain");
	if (!d || !d[0]) {
		const char *dot = strchr(smtpd.set.hostname, '.');
		d = dot ? dot + 1 : smtpd.set.hostname;
	}
	snprintf(smtpd.mydomain, sizeof(smtpd.mydomain), "%s", d);
	if (dirclient_socket_path(conf, "socketmap", sock, sizeof(sock)) < 0) {
		log_warning("config-warning service=smtpd reason=\"no socketmap listener in service authd\"");
		sock[0] = '\0';
	}
	dirclient_free(&smtpd.dir);
	smtpd.dir = dirclient_new(smtpd.ctx->loop, sock[0] ? sock : NULL, NULL,
				  SMTPD_LOOKUP_TIMEOUT_MS);
}

static int smtpd_init(struct service_ctx *ctx)
{
	smtpd_configure(ctx->conf);
	if (!smtpd.dir) {
		log_error("startup-error service=smtpd error=\"cannot create the directory client\"");
		return -1;
	}
	ctx->data = &smtpd;
	return 0;
}

static void smtpd_accept(struct service_ctx *ctx, const struct service_listener *l, int fd,
			 const char *peer)
{
	(void)ctx;
	(void)l;
	struct smtpd_session *ss = calloc(1, sizeof(*ss));
	if (!ss) {
		close(fd);
		return;
	}
	snprintf(ss->ip, sizeof(ss->ip), "%s", peer);
	/* on failure the fd is closed and on_close never ran: ss is ours */
	if (!smtp_session_new(ctx->loop, fd, peer, &smtpd.set, &smtpd_backend, ss) && !ss->s)
		free(ss);
}

/* SIGHUP: master restarts smtpd when its settings change; the directory
 * client reconnects on demand, so there is nothing to refresh. */
static void smtpd_reload(struct service_ctx *ctx)
{
	(void)ctx;
}

static bool smtpd_idle(struct service_ctx *ctx)
{
	(void)ctx;
	return smtpd.busy == 0;
}

static void smtpd_deinit(struct service_ctx *ctx)
{
	(void)ctx;
	conn_close_all();
	dirclient_free(&smtpd.dir);
	tls_server_ctx_free(&smtpd.tls);
	smtpd_clients_free();
}

static const struct service_def smtpd_def = {
	.name = "smtpd",
	.init_privileged = smtpd_init_privileged,
	.init = smtpd_init,
	.on_accept = smtpd_accept,
	.on_reload = smtpd_reload,
	.idle = smtpd_idle,
	.deinit = smtpd_deinit,
};

int main(int argc, char **argv)
{
	service_main(argc, argv, &smtpd_def);
}
