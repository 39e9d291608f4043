/* clients: how many connections each client IP holds now, for
 * smtpd_client_connection_count_limit (like Postfix's anvil, in-process:
 * smtpd is one process).
 * Invariants: an entry exists exactly while its count is > 0; every
 * successful smtpd_client_add is matched by one smtpd_client_del. */
#include <stdlib.h>
#include <string.h>

#include "smtpd.h"

#define NBUCKETS (sizeof(smtpd.clients) / sizeof(smtpd.clients[0]))

struct smtpd_client {
	struct smtpd_client *next;
	size_t count;
	char ip[64];
};

static struct smtpd_client **bucket(const char *ip)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a: IPs are short, the table small */
	for (const unsigned char *p = (const unsigned char *)ip; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return &smtpd.clients[h % NBUCKETS];
}

bool smtpd_client_add(const char *ip, uint64_t limit)
{
	struct smtpd_client **b = bucket(ip), *c;
	for (c = *b; c && strcmp(c->ip, ip) != 0; c = c->next)
		;
	if (c && limit && c->count >= limit)
		return false;
	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return true; /* out of memory: do not refuse, do not count */
		strncpy(c->ip, ip, sizeof(c->ip) - 1);
		c->next = *b;
		*b = c;
	}
	c->count++;
	return true;
}

void smtpd_client_del(const char *ip)
{
	for (struct smtpd_client **p = bucket(ip); *p; p = &(*p)->next) {
		struct smtpd_client *c = *p;
		if (strcmp(c->ip, ip) != 0)
			continue;
		if (--c->count == 0) {
			*p = c->next;
			free(c);
		}
		return;
	}
}

void smtpd_clients_free(void)
{
	for (size_t i = 0; i < NBUCKETS; i++)
		while (smtpd.clients[i]) {
			struct smtpd_client *c = smtpd.clients[i];
			smtpd.clients[i] = c->next;
			free(c);
		}
}
