/* lmtpd: local delivery over LMTP (RFC 2033) into Maildir, running as the
 * mail user (mail_uid). Listener "lmtp" (UNIX socket; TCP works too).
 * Users come from authd's userdb socket; messages are written by worker
 * threads (see deliver.c) so one slow disk sync never stalls the others. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "lmtpd.h"
#include "log.h"

static struct lmtpd lmtpd;
static char hostname[256]; /* outlives a reloaded conf: sessions point here */

static void lmtpd_settings(struct service_ctx *ctx)
{
	smtp_server_settings_from_conf(&lmtpd.smtp, ctx->conf, SMTP_MODE_LMTP, "lmtpd");
	snprintf(hostname, sizeof(hostname), "%s", lmtpd.smtp.hostname);
	lmtpd.smtp.hostname = hostname;
	lmtpd.smtp.extra_extensions = "XTERNID";
}

static int lmtpd_init(struct service_ctx *ctx)
{
	char userdb[4096];
	lmtpd.ctx = ctx;
	lmtpd.uid = getuid();
	lmtpd.gid = getgid();
	maildir_set_hostname(NULL); /* before the delivery threads read it */
	if (dirclient_socket_path(ctx->conf, "userdb", userdb, sizeof(userdb)) < 0) {
		log_error("startup-error service=lmtpd error=\"service authd has no userdb listener\"");
		return -1;
	}
	lmtpd.dir = dirclient_new(ctx->loop, NULL, userdb, LMTP_LOOKUP_TIMEOUT_MS);
	lmtpd.pool = workpool_new(ctx->loop, LMTP_DELIVERY_THREADS);
	if (lmtpd.dir == NULL || lmtpd.pool == NULL) {
		log_error("startup-error service=lmtpd error=\"out of memory\"");
		return -1;
	}
	lmtpd_settings(ctx);
	ctx->data = &lmtpd;
	return 0;
}

static void lmtpd_accept(struct service_ctx *ctx, const struct service_listener *l, int fd,
			 const char *peer)
{
	(void)ctx;
	if (strcmp(l->name, "lmtp") != 0) {
		log_error("unknown-listener service=lmtpd listener=%s", log_str(l->name));
		close(fd);
		return;
	}
	lmtp_session_start(&lmtpd, fd, peer);
}

static void lmtpd_reload(struct service_ctx *ctx)
{
	lmtpd_settings(ctx); /* new sessions use them; open ones keep theirs */
}

static bool lmtpd_idle(struct service_ctx *ctx)
{
	(void)ctx;
	return smtp_session_count() == 0 && workpool_pending(lmtpd.pool) == 0;
}

static void lmtpd_deinit(struct service_ctx *ctx)
{
	(void)ctx;
	conn_close_all();	   /* sessions detach from their deliveries */
	workpool_free(&lmtpd.pool); /* finishes (or cancels) the deliveries */
	dirclient_free(&lmtpd.dir);
}

static const struct service_def lmtpd_def = {
	.name = "lmtpd",
	.init = lmtpd_init,
	.on_accept = lmtpd_accept,
	.on_reload = lmtpd_reload,
	.idle = lmtpd_idle,
	.deinit = lmtpd_deinit,
};

int main(int argc, char **argv)
{
	service_main(argc, argv, &lmtpd_def);
}
