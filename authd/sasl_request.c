/* sasl_request: the life of one authentication (see sasl_request.h).
 * Invariants: a request ends exactly once, with OK or FAIL, after which it
 * is unlinked and freed; a delayed FAIL keeps it alive only until its
 * timer; secrets live on the stack and are wiped before return. */
#include "sasl_request.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authd.h"
#include "buf.h"
#include "ipc.h"
#include "log.h"
#include "strutil.h"

/* Copy a client-supplied value, cut to the field's size. */
static void copy_param(char *dst, size_t size, const char *value)
{
	str_copy(dst, size, value);
}

struct sasl_request *sasl_request_new(struct sasl_client *cl, unsigned id, const char *mech,
				      char **params, size_t nparams)
{
	struct sasl_request *req = calloc(1, sizeof(*req));
	if (req == NULL)
		return NULL;
	req->client = cl;
	req->id = id;
	copy_param(req->mech_name, sizeof(req->mech_name), mech);
	copy_param(req->service, sizeof(req->service), "");
	copy_param(req->rip, sizeof(req->rip), "");
	for (size_t i = 0; i < nparams; i++) {
		const char *p = params[i];
		if (strncmp(p, "service=", 8) == 0)
			copy_param(req->service, sizeof(req->service), p + 8);
		else if (strncmp(p, "rip=", 4) == 0)
			copy_param(req->rip, sizeof(req->rip), p + 4);
		else if (strncmp(p, "lip=", 4) == 0)
			copy_param(req->lip, sizeof(req->lip), p + 4);
		else if (strncmp(p, "resp=", 5) == 0) {
			req->initial = p + 5;
			req->initial_len = strlen(p + 5);
			req->has_initial = true;
		}
	}
	return req;
}

void sasl_request_free(struct sasl_request *req)
{
	struct authd *a = sasl_client_authd(req->client);
	if (req->checking)
		passdb_cancel(req->checking);
	if (req->fail_timer) {
		ev_timer_del(a->ctx->loop, req->fail_timer);
		a->pending--;
	}
	free(req);
}

static void finish(struct sasl_request *req)
{
	sasl_client_unlink(req->client, req);
	sasl_request_free(req);
}

static void log_outcome(struct sasl_request *req, const char *event, const char *reason)
{
	log_info("%s service=%s mech=%s user=%s rip=%s lip=%s reason=%s", event,
		 log_str(req->service), req->mech_name, log_str(req->user), log_str(req->rip),
		 log_str(req->lip), reason);
}

static void send_fail(struct sasl_request *req, const char *reason, bool temp)
{
	char user[SASL_MAX_USER + 8], why[128];
	const char *extra[3];
	size_t n = 0;
	snprintf(user, sizeof(user), "user=%s", req->user);
	if (req->user[0])
		extra[n++] = user;
	if (temp)
		extra[n++] = "temp";
	if (reason) {
		snprintf(why, sizeof(why), "reason=%s", reason);
		extra[n++] = why;
	}
	sasl_client_reply(req->client, req, "FAIL", extra, n);
	finish(req);
}

static void delayed_fail_fired(struct ev_loop *loop, void *arg)
{
	struct sasl_request *req = arg;
	(void)loop;
	req->fail_timer = 0;
	sasl_client_authd(req->client)->pending--;
	send_fail(req, NULL, false);
}

/* A failed login: answered after auth_failure_delay. */
static void fail_delayed(struct sasl_request *req, const char *reason, bool nodelay)
{
	struct authd *a = sasl_client_authd(req->client);
	log_outcome(req, "auth-fail", reason);
	uint64_t delay = conf_time_ms(authd_conf(a), NULL, "auth_failure_delay");
	req->waiting = false;
	if (nodelay || delay == 0) {
		send_fail(req, NULL, false);
		return;
	}
	req->fail_timer = ev_timer_add(a->ctx->loop, delay, delayed_fail_fired, req);
	a->pending++;
}

void sasl_request_fail_now(struct sasl_request *req, const char *reason)
{
	log_outcome(req, "auth-fail", reason);
	send_fail(req, reason, false);
}

/* The outcome of the credential check, now or from the hash pool. */
static void checked(enum passdb_result r, const char *reason, bool nodelay, const char *user,
		    void *arg)
{
	struct sasl_request *req = arg;
	req->checking = NULL;
	copy_param(req->user, sizeof(req->user), user);
	if (r == PASSDB_OK) {
		char field[SASL_MAX_USER + 8];
		snprintf(field, sizeof(field), "user=%s", req->user);
		const char *extra[] = { field };
		log_outcome(req, "auth-ok", reason);
		sasl_client_reply(req->client, req, "OK", extra, 1);
		finish(req);
	} else if (r == PASSDB_TEMP) {
		log_outcome(req, "auth-tempfail", reason);
		send_fail(req, "Temporary authentication failure", true);
	} else {
		fail_delayed(req, reason, nodelay);
	}
}

static void check(struct sasl_request *req, const char *login, const char *pass, size_t len)
{
	struct authd *a = sasl_client_authd(req->client);
	const char *reason = "?";
	bool nodelay = false;
	char user[DIR_MAX_ADDRESS + 1];
	enum passdb_result r = passdb_check(a, login, pass, len, req->service, req->rip, user, &reason, &nodelay,
					    checked, req, &req->checking);
	copy_param(req->user, sizeof(req->user), user);
	if (r != PASSDB_PENDING)
		checked(r, reason, nodelay, user, req);
}

static void ask(struct sasl_request *req, const char *challenge)
{
	struct buf b64;
	buf_init(&b64, 256);
	ipc_base64_encode(&b64, (const unsigned char *)challenge, strlen(challenge));
	const char *extra[] = { buf_str(&b64) };
	req->waiting = true;
	sasl_client_reply(req->client, req, "CONT", extra, 1);
	buf_free(&b64);
}

static void plain_step(struct sasl_request *req, const char *data, size_t len)
{
	struct sasl_creds creds;
	const char *why = "";
	if (sasl_plain_decode(data, len, &creds, &why) < 0) {
		sasl_request_fail_now(req, why);
		return;
	}
	check(req, creds.user, creds.pass, creds.pass_len);
	sodium_memzero(&creds, sizeof(creds));
}

static void login_step(struct sasl_request *req, const char *data, size_t len)
{
	char value[SASL_MAX_PASS + 1];
	const char *why = "";
	long n = sasl_login_decode(data, len, value, req->step == 0 ? SASL_MAX_USER + 1 : sizeof(value),
				   &why);
	if (n < 0) {
		sasl_request_fail_now(req, why);
	} else if (req->step == 0) {
		copy_param(req->user, sizeof(req->user), value);
		req->step = 1;
		ask(req, "Password:");
	} else {
		check(req, req->user, value, (size_t)n);
	}
	sodium_memzero(value, sizeof(value));
}

void sasl_request_start(struct sasl_request *req, enum sasl_mech mech)
{
	req->mech = mech;
	copy_param(req->mech_name, sizeof(req->mech_name), sasl_mech_name(mech));
	bool initial = req->has_initial && (mech == SASL_PLAIN || req->initial_len > 0);
	const char *data = req->initial;
	size_t len = req->initial_len;
	req->initial = NULL;
	if (!initial)
		ask(req, mech == SASL_LOGIN ? "Username:" : "");
	else if (mech == SASL_PLAIN)
		plain_step(req, data, len);
	else
		login_step(req, data, len);
}

bool sasl_request_wants_data(const struct sasl_request *req)
{
	return req->waiting && req->fail_timer == 0 && req->checking == NULL;
}

void sasl_request_continue(struct sasl_request *req, const char *data, size_t len)
{
	req->waiting = false;
	if (len == 1 && data[0] == '*') {
		sasl_request_fail_now(req, "cancelled");
		return;
	}
	if (req->mech == SASL_PLAIN)
		plain_step(req, data, len);
	else
		login_step(req, data, len);
}
