/* sasl_request: one authentication in flight on a SASL client connection:
 * its mechanism state (PLAIN: waiting for the response; LOGIN: user name,
 * then password), the client's parameters (service, rip, lip) and the
 * delayed-failure timer. The request answers through its client and
 * removes itself when done. */
#ifndef TERN_SASL_REQUEST_H
#define TERN_SASL_REQUEST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sasl_mech.h"

struct sasl_client;
struct authd;
struct passdb_pending;

struct sasl_request {
	struct sasl_request *next;
	struct sasl_client *client;
	unsigned id;
	enum sasl_mech mech;
	int step;		/* LOGIN: 0 = wants user name, 1 = wants password */
	bool waiting;		/* a CONT from the client is expected */
	uint64_t fail_timer;	/* delayed FAIL pending */
	struct passdb_pending *checking; /* password being verified */
	char mech_name[16];
	char service[32];
	char rip[64];
	char lip[64];
	char user[SASL_MAX_USER + 1];
	const char *initial;	/* resp= of the AUTH line (valid during start) */
	size_t initial_len;
	bool has_initial;
};

/* Parse the AUTH parameters (key=value and flags). NULL on allocation
 * failure. */
struct sasl_request *sasl_request_new(struct sasl_client *cl, unsigned id, const char *mech,
				      char **params, size_t nparams);
void sasl_request_free(struct sasl_request *req);
/* Begin the mechanism (uses resp= when the AUTH line had one). */
void sasl_request_start(struct sasl_request *req, enum sasl_mech mech);
/* The client's CONT data for this request ("*" cancels). */
void sasl_request_continue(struct sasl_request *req, const char *data, size_t len);
bool sasl_request_wants_data(const struct sasl_request *req);
/* Answer FAIL immediately (protocol-level refusal, e.g. unknown mech). */
void sasl_request_fail_now(struct sasl_request *req, const char *reason);

/* Provided by sasl_server.c for the request. */
void sasl_client_reply(struct sasl_client *cl, struct sasl_request *req, const char *verb,
		       const char *const *extra, size_t nextra);
void sasl_client_unlink(struct sasl_client *cl, struct sasl_request *req);
struct authd *sasl_client_authd(struct sasl_client *cl);
const char *sasl_client_peer(struct sasl_client *cl);

#endif
