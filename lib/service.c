/* service: the daemon skeleton (see service.h). Order of a start, which is
 * the security argument: args -> config -> log -> inherited listeners ->
 * init_privileged -> chroot + drop to the service user (verified) -> init ->
 * event loop. Nothing from the network is read before the drop. The loop
 * owns signals through a signalfd, so handlers are ordinary callbacks. */
#include "service.h"

#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h> /* struct signalfd_siginfo */
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "net.h"
#include "signals.h"

struct skeleton {
	const struct service_def *def;
	bool restart_requested;
	struct service_ctx ctx;
	int signal_fd;
	uint64_t stop_deadline_ms;
};

static void usage_exit(const char *prog)
{
	fprintf(stderr, "usage: %s -c CONFIG [-s SERVICE]\n", prog);
	exit(1);
}

/* TERN_LISTEN="client=3 userdb=4": the fds master passed us, by role. */
static int take_listeners(struct service_ctx *ctx)
{
	const char *env = getenv("TERN_LISTEN");
	if (env == NULL || *env == '\0')
		return 0;
	char *copy = strdup(env), *save = NULL;
	if (copy == NULL)
		return -1;
	for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		if (eq == NULL || ctx->listener_count >= SERVICE_MAX_LISTENERS ||
		    (size_t)(eq - tok) >= sizeof(ctx->listeners[0].name)) {
			log_error("startup-error reason=bad-TERN_LISTEN value=%s", log_str(env));
			free(copy);
			return -1;
		}
		struct service_listener *l = &ctx->listeners[ctx->listener_count++];
		memcpy(l->name, tok, (size_t)(eq - tok));
		l->name[eq - tok] = '\0';
		l->fd = atoi(eq + 1);
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		l->is_unix = getsockname(l->fd, (struct sockaddr *)&ss, &sslen) == 0 &&
			     ss.ss_family == AF_UNIX;
		net_set_nonblock(l->fd, true);
		net_set_cloexec(l->fd, true);
	}
	free(copy);
	unsetenv("TERN_LISTEN");
	return 0;
}

const char *service_default_user(const struct conf *conf, const char *service)
{
	if (strcmp(service, "authd") == 0)
		return "tern-auth";
	if (strcmp(service, "lmtpd") == 0)
		return conf_str(conf, NULL, "mail_uid");
	return "tern";
}

static int drop_to_service_user(struct skeleton *sk, char *err, size_t errsize)
{
	struct service_ctx *ctx = &sk->ctx;
	if (geteuid() != 0)
		return 0; /* development: run as the invoking user, same path */
	const char *user = conf_str(ctx->conf, ctx->name, "user");
	if (user == NULL)
		user = service_default_user(ctx->conf, ctx->name);
	uid_t uid;
	gid_t gid;
	if (service_resolve_ids(user, conf_str(ctx->conf, ctx->name, "group"), &uid, &gid, err,
				errsize) < 0)
		return -1;
	return service_drop_privileges(uid, gid, conf_str(ctx->conf, ctx->name, "chroot"), err,
				       errsize);
}

static void on_listener(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct skeleton *sk = arg;
	(void)loop;
	(void)events;
	for (int i = 0; i < 64 && !sk->ctx.stopping; i++) {
		char peer[64];
		int cfd = net_accept(fd, peer, sizeof(peer));
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED &&
			    errno != EINTR)
				log_warning("accept-error error=%s", strerror(errno));
			return;
		}
		for (size_t j = 0; j < sk->ctx.listener_count; j++)
			if (sk->ctx.listeners[j].fd == fd) {
				sk->def->on_accept(&sk->ctx, &sk->ctx.listeners[j], cfd, peer);
				break;
			}
	}
}

static void close_listeners(struct service_ctx *ctx)
{
	for (size_t i = 0; i < ctx->listener_count; i++) {
		if (ctx->listeners[i].fd < 0)
			continue;
		ev_io_del(ctx->loop, ctx->listeners[i].fd);
		close(ctx->listeners[i].fd);
		ctx->listeners[i].fd = -1;
	}
}

static void check_stopped(struct ev_loop *loop, void *arg)
{
	struct skeleton *sk = arg;
	bool idle = sk->def->idle == NULL || sk->def->idle(&sk->ctx);
	if (idle || ev_now_ms() >= sk->stop_deadline_ms) {
		if (!idle)
			log_warning("stop-timeout service=%s", sk->ctx.name);
		ev_loop_break(loop);
		return;
	}
	ev_timer_add(loop, 50, check_stopped, sk);
}

static void begin_stop(struct skeleton *sk)
{
	if (sk->ctx.stopping)
		return;
	sk->ctx.stopping = true;
	log_info("stopping service=%s", sk->ctx.name);
	close_listeners(&sk->ctx);
	sk->stop_deadline_ms = ev_now_ms() + conf_time_ms(sk->ctx.conf, NULL, "shutdown_timeout");
	check_stopped(sk->ctx.loop, sk);
}

void service_request_restart(struct service_ctx *ctx)
{
	struct skeleton *sk = (struct skeleton *)((char *)ctx - offsetof(struct skeleton, ctx));
	sk->restart_requested = true;
	begin_stop(sk);
}

static void reload(struct skeleton *sk)
{
	char err[512];
	struct conf *fresh = conf_load(conf_path(sk->ctx.conf), err, sizeof(err));
	if (fresh == NULL) {
		log_error("reload-failed service=%s error=%s", sk->ctx.name, log_str(err));
		return;
	}
	conf_free(&sk->ctx.conf);
	sk->ctx.conf = fresh;
	int level = log_level_parse(conf_str(fresh, NULL, "log_level"));
	if (level >= 0)
		log_set_level((enum log_level)level);
	log_info("reloaded service=%s", sk->ctx.name);
	if (sk->def->on_reload)
		sk->def->on_reload(&sk->ctx);
}

static void on_signal(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct skeleton *sk = arg;
	struct signalfd_siginfo si;
	(void)loop;
	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload(sk);
		else
			begin_stop(sk);
	}
}

static int setup_signals(struct skeleton *sk)
{
	static const int watched[] = { SIGTERM, SIGINT, SIGHUP };
	sk->signal_fd = signals_watch(sk->ctx.loop, watched, 3, on_signal, sk);
	return sk->signal_fd < 0 ? -1 : 0;
}

static int start(struct skeleton *sk, const char *config_path)
{
	struct service_ctx *ctx = &sk->ctx;
	char err[512];
	ctx->conf = conf_load(config_path, err, sizeof(err));
	if (ctx->conf == NULL) {
		log_use_fd(ctx->name, STDERR_FILENO);
		log_error("startup-error service=%s error=%s", ctx->name, log_str(err));
		return -1;
	}
	if (log_open(ctx->name, conf_str(ctx->conf, NULL, "log_path")) < 0)
		log_use_fd(ctx->name, STDERR_FILENO);
	int level = log_level_parse(conf_str(ctx->conf, NULL, "log_level"));
	if (level >= 0)
		log_set_level((enum log_level)level);
	ctx->loop = ev_loop_new();
	if (ctx->loop == NULL || take_listeners(ctx) < 0 || setup_signals(sk) < 0)
		return -1;
	if (sk->def->init_privileged && sk->def->init_privileged(ctx) < 0)
		return -1;
	if (drop_to_service_user(sk, err, sizeof(err)) < 0) {
		log_error("startup-error service=%s error=%s", ctx->name, log_str(err));
		return -1;
	}
#ifdef TERN_SANITIZE
	prctl(PR_SET_DUMPABLE, 1); /* LeakSanitizer needs to ptrace itself */
#endif
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* after the uid change, which clears it */
	if (getenv("TERN_MASTER_PID") && getppid() != (pid_t)atol(getenv("TERN_MASTER_PID")))
		return -1; /* master died before we got here */
	if (sk->def->init && sk->def->init(ctx) < 0)
		return -1;
	for (size_t i = 0; i < ctx->listener_count; i++)
		if (ev_io_set(ctx->loop, ctx->listeners[i].fd, EV_READ, on_listener, sk) < 0)
			return -1;
	log_info("started service=%s pid=%ld uid=%ld listeners=%zu", ctx->name, (long)getpid(),
		 (long)geteuid(), ctx->listener_count);
	return 0;
}

static void finish(struct skeleton *sk, int code) __attribute__((noreturn));
static void finish(struct skeleton *sk, int code)
{
	conn_close_all(); /* clients still connected at a stop */
	if (sk->def->deinit && sk->ctx.conf)
		sk->def->deinit(&sk->ctx);
	close_listeners(&sk->ctx);
	if (sk->signal_fd >= 0)
		close(sk->signal_fd);
	ev_loop_free(&sk->ctx.loop);
	conf_free(&sk->ctx.conf);
	if (code == 0)
		log_info("stopped service=%s", sk->ctx.name);
	log_close();
	exit(code);
}

int service_main(int argc, char **argv, const struct service_def *def)
{
	struct skeleton sk = { .def = def, .signal_fd = -1 };
	const char *config_path = NULL;
	sk.ctx.name = def->name;
	int opt;
	while ((opt = getopt(argc, argv, "c:s:")) != -1) {
		if (opt == 'c')
			config_path = optarg;
		else if (opt == 's')
			sk.ctx.name = optarg;
		else
			usage_exit(argv[0]);
	}
	if (optind != argc)
		usage_exit(argv[0]);
	if (start(&sk, config_path) < 0)
		finish(&sk, 1);
	int rc = ev_loop_run(sk.ctx.loop);
	finish(&sk, rc < 0 ? 1 : sk.restart_requested ? SERVICE_EXIT_RESTART : 0);
}
