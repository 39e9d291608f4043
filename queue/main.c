/* queue: tern's mail queue (user tern, owns spool_directory). Takes
 * messages from smtpd over the "submit" socket (lib/queue_proto.h) and
 * makes them durable with group commit, delivers them over LMTP with
 * retries and bounces, recovers the spool after a restart, and answers
 * ternctl on the "control" socket. See queue.h for the parts. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commit.h"
#include "conn.h"
#include "dirclient.h"
#include "log.h"
#include "queue.h"

#define QUEUE_COMMIT_THREADS 8
#define QUEUE_LMTP_CONNECTIONS 8
#define QUEUE_LMTP_TIMEOUT_MS (10 * 60 * 1000)
#define QUEUE_DIR_TIMEOUT_MS 10000

static struct queue queue;

int64_t queue_now(void)
{
	return (int64_t)time(NULL);
}

void queue_read_settings(struct queue *q)
{
	const struct conf *conf = q->ctx->conf;
	const char *h = conf_str(conf, NULL, "myhostname");
	if (h && h[0])
		snprintf(q->hostname, sizeof(q->hostname), "%s", h);
	else if (gethostname(q->hostname, sizeof(q->hostname) - 1) < 0)
		snprintf(q->hostname, sizeof(q->hostname), "localhost");
	q->min_backoff = conf_time_ms(conf, NULL, "minimal_backoff_time") / 1000;
	q->max_backoff = conf_time_ms(conf, NULL, "maximal_backoff_time") / 1000;
	q->run_delay = conf_time_ms(conf, NULL, "queue_run_delay") / 1000;
	q->lifetime = conf_time_ms(conf, NULL, "maximal_queue_lifetime") / 1000;
	q->bounce_lifetime = conf_time_ms(conf, NULL, "bounce_queue_lifetime") / 1000;
	q->bounce_size_limit = conf_size(conf, NULL, "bounce_size_limit");
	if (q->min_backoff == 0)
		q->min_backoff = 1;
	if (q->run_delay == 0)
		q->run_delay = 1;
}

/* lmtp_destination, or service lmtpd's "lmtp" listener. */
static int lmtp_address(const struct conf *conf, struct net_addr *addr)
{
	char err[256];
	const char *dest = conf_str(conf, NULL, "lmtp_destination");
	const struct conf_listen *ls;
	size_t n = conf_listeners(conf, "lmtpd", &ls);
	for (size_t i = 0; (!dest || !dest[0]) && i < n; i++)
		if (strcmp(ls[i].name, "lmtp") == 0)
			dest = ls[i].address;
	if (!dest || !dest[0])
		dest = "unix:lmtp";
	if (net_addr_parse(dest, conf_str(conf, NULL, "run_directory"), addr, err, sizeof(err)) < 0) {
		log_error("startup-error service=queue error=%s", log_str(err));
		return -1;
	}
	return 0;
}

static int queue_init(struct service_ctx *ctx)
{
	struct queue *q = &queue;
	char err[512], sockmap[4096];
	struct net_addr lmtp;
	q->ctx = ctx;
	ctx->data = q;
	queue_read_settings(q);
	if (spool_open(&q->spool, conf_str(ctx->conf, NULL, "spool_directory"), err,
		       sizeof(err)) < 0 ||
	    spool_mark_running(&q->spool, &q->unclean) < 0) {
		log_error("startup-error service=queue error=%s", log_str(err));
		return -1;
	}
	if (dirclient_socket_path(ctx->conf, "socketmap", sockmap, sizeof(sockmap)) < 0)
		sockmap[0] = '\0';
	if (lmtp_address(ctx->conf, &lmtp) < 0)
		return -1;
	q->commit = commit_new(ctx->loop, q->spool.incoming_fd, QUEUE_COMMIT_THREADS);
	q->dc = dirclient_new(ctx->loop, sockmap[0] ? sockmap : NULL, NULL, QUEUE_DIR_TIMEOUT_MS);
	q->local = agent_lmtp_new(ctx->loop, &lmtp, q->hostname, QUEUE_LMTP_TIMEOUT_MS,
				  QUEUE_LMTP_CONNECTIONS);
	if (!q->commit || !q->dc || !q->local || recover_spool(q) < 0) {
		log_error("startup-error service=queue error=\"cannot start\"");
		return -1;
	}
	sched_start(q);
	return 0;
}

static void queue_accept(struct service_ctx *ctx, const struct service_listener *l, int fd,
			 const char *peer)
{
	(void)ctx;
	if (strcmp(l->name, "submit") == 0)
		submit_accept(&queue, fd, peer);
	else if (strcmp(l->name, "control") == 0)
		control_accept(&queue, fd, peer);
	else {
		log_error("unknown-listener service=queue listener=%s", log_str(l->name));
		close(fd);
	}
}

static void queue_reload(struct service_ctx *ctx)
{
	(void)ctx;
	queue_read_settings(&queue);
}

static bool queue_idle(struct service_ctx *ctx)
{
	(void)ctx;
	return queue.active == 0 && (!queue.commit || commit_pending(queue.commit) == 0);
}

static void queue_deinit(struct service_ctx *ctx)
{
	struct queue *q = &queue;
	bool clean = queue_idle(ctx);
	(void)ctx;
	sched_stop(q);
	conn_close_all();
	commit_free(&q->commit);
	agent_free(&q->local);
	dirclient_free(&q->dc);
	while (q->head) {
		struct qmsg *m = q->head;
		sched_drop(q, m);
	}
	if (clean)
		spool_mark_stopped(&q->spool);
	spool_close(&q->spool);
}

static const struct service_def queue_def = {
	.name = "queue",
	.init = queue_init,
	.on_accept = queue_accept,
	.on_reload = queue_reload,
	.idle = queue_idle,
	.deinit = queue_deinit,
};

int main(int argc, char **argv)
{
	service_main(argc, argv, &queue_def);
}
