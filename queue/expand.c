/* expand: virtual alias expansion for a delivery round (round.h). Each
 * original recipient not yet expanded is resolved through authd's
 * "resolve" socketmap (recursive, loop-safe and deduplicated there):
 * FOUND gives the final addresses, NOTFOUND fails the recipient with
 * 5.1.1, TEMP leaves it for the next round. Then each final address's
 * domain is looked up in the "domain" map to tell local (LMTP) from
 * remote. Finals are deduplicated across the whole message.
 * Invariants: an original recipient is marked expanded only together
 * with all of its finals (one records buffer, one write); callbacks
 * arrive from the loop, and r->next runs once, after the last one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dirclient.h"
#include "log.h"
#include "round.h"

struct lookup {
	struct round *r;
	size_t i; /* original recipient or domain index */
};

static void lookup_domains(struct round *r);
static void add_finals(struct round *r);

static void lookup_done(struct round *r, void (*then)(struct round *))
{
	if (--r->lookups == 0)
		then(r);
}

static int add_cand(struct round *r, size_t orig, const char *addr, size_t len)
{
	if (r->ncand == r->capcand) {
		size_t cap = r->capcand ? r->capcand * 2 : 8;
		struct cand *c = realloc(r->cands, cap * sizeof(*c));
		if (!c)
			return -1;
		r->cands = c;
		r->capcand = cap;
	}
	char *a = strndup(addr, len);
	if (!a)
		return -1;
	r->cands[r->ncand++] = (struct cand){ .orig = orig, .addr = a };
	return 0;
}

static void fail_unknown(struct round *r, size_t i)
{
	struct qmsg *m = r->m;
	const char *addr = m->env.rcpt[i].address;
	long f = qmsg_find_final(m, addr);
	if (f < 0 && (f = qmsg_add_final(m, i, addr, true)) >= 0)
		qrec_final(&r->recs, i, addr, true);
	if (f < 0)
		return;
	char diag[600];
	snprintf(diag, sizeof(diag), "550 5.1.1 <%.500s>: Recipient address rejected: User unknown",
		 addr);
	if (m->final[f].state == QF_PENDING) {
		m->final[f].state = QF_FAILED;
		qmsg_set_reason(&m->final[f], "5.1.1", diag);
		qrec_reason(&r->recs, 'F', (size_t)f, "5.1.1", diag);
	}
	m->expanded[i] = true;
	qrec_expanded(&r->recs, i);
}

static void resolve_cb(enum dirc_result res, const char *value, void *arg)
{
	struct lookup *lk = arg;
	struct round *r = lk->r;
	size_t i = lk->i;
	free(lk);
	size_t before = r->ncand;
	if (res == DIRC_FOUND) {
		for (const char *p = value; *p;) {
			size_t n = strcspn(p, ",");
			while (n > 0 && (*p == ' ' || *p == '\t'))
				p++, n--;
			size_t len = n;
			while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
				len--;
			if (len > 0 && add_cand(r, i, p, len) < 0)
				r->orig_temp[i] = true;
			p += n;
			if (*p == ',')
				p++;
		}
		if (r->ncand == before && !r->orig_temp[i])
			fail_unknown(r, i); /* FOUND but empty: nowhere to deliver */
	} else if (res == DIRC_NOTFOUND) {
		fail_unknown(r, i);
	} else {
		char *why = strdup(value && *value ? value : "directory unavailable");
		free(r->m->orig_reason[i]);
		r->m->orig_reason[i] = why;
		r->orig_temp[i] = true;
	}
	lookup_done(r, lookup_domains);
}

static void domain_cb(enum dirc_result res, const char *value, void *arg)
{
	struct lookup *lk = arg;
	struct round *r = lk->r;
	(void)value;
	r->doms[lk->i].result = res == DIRC_FOUND ? 1 : res == DIRC_NOTFOUND ? 0 : -1;
	free(lk);
	lookup_done(r, add_finals);
}

static long find_dom(struct round *r, const char *addr)
{
	const char *at = strrchr(addr, '@');
	const char *d = at ? at + 1 : "";
	for (size_t i = 0; i < r->ndom; i++)
		if (strcasecmp(r->doms[i].name, d) == 0)
			return (long)i;
	if (r->ndom == r->capdom) {
		size_t cap = r->capdom ? r->capdom * 2 : 4;
		struct dom *n = realloc(r->doms, cap * sizeof(*n));
		if (!n)
			return -1;
		r->doms = n;
		r->capdom = cap;
	}
	char *name = strdup(d);
	if (!name)
		return -1;
	r->doms[r->ndom] = (struct dom){ .name = name, .result = -1 };
	return (long)r->ndom++;
}

static void lookup_domains(struct round *r)
{
	size_t first_new = r->ndom;
	r->lookups = 1; /* held while requests are made */
	for (size_t i = 0; i < r->ncand; i++) {
		long d = find_dom(r, r->cands[i].addr);
		if (d < 0) {
			r->orig_temp[r->cands[i].orig] = true;
			r->cands[i].dom = SIZE_MAX;
			continue;
		}
		r->cands[i].dom = (size_t)d;
	}
	for (size_t d = first_new; d < r->ndom; d++) {
		struct lookup *lk = malloc(sizeof(*lk));
		if (!lk)
			continue; /* stays -1: TEMP */
		*lk = (struct lookup){ r, d };
		r->lookups++;
		dirclient_map(r->q->dc, "domain", r->doms[d].name, domain_cb, lk);
	}
	lookup_done(r, add_finals);
}

/* Every original recipient whose finals are all classified gets them. */
static void add_finals(struct round *r)
{
	struct qmsg *m = r->m;
	for (size_t i = 0; i < r->ncand; i++) {
		struct cand *c = &r->cands[i];
		if (c->dom == SIZE_MAX || r->doms[c->dom].result < 0)
			r->orig_temp[c->orig] = true;
	}
	for (size_t i = 0; i < r->ncand; i++) {
		struct cand *c = &r->cands[i];
		if (r->orig_temp[c->orig] || qmsg_find_final(m, c->addr) >= 0)
			continue;
		bool local = r->doms[c->dom].result == 1;
		long f = qmsg_add_final(m, c->orig, c->addr, local);
		if (f < 0) {
			r->orig_temp[c->orig] = true; /* finals added so far stay: deduplicated later */
			continue;
		}
		m->final[f].maybe = m->unclean;
		qrec_final(&r->recs, c->orig, c->addr, local);
	}
	for (size_t i = 0; i < r->ncand; i++) {
		size_t o = r->cands[i].orig;
		if (!r->orig_temp[o] && !m->expanded[o]) {
			m->expanded[o] = true;
			qrec_expanded(&r->recs, o);
		}
	}
	for (size_t o = 0; o < m->env.nrcpt; o++)
		if (!m->expanded[o])
			r->retry = true;
	r->next(r);
}

void expand_start(struct round *r)
{
	struct qmsg *m = r->m;
	r->lookups = 1;
	for (size_t i = 0; i < m->env.nrcpt; i++) {
		if (m->expanded[i])
			continue;
		struct lookup *lk = malloc(sizeof(*lk));
		if (!lk) {
			r->orig_temp[i] = true;
			continue;
		}
		*lk = (struct lookup){ r, i };
		r->lookups++;
		dirclient_map(r->q->dc, "resolve", m->env.rcpt[i].address, resolve_cb, lk);
	}
	lookup_done(r, lookup_domains);
}

void expand_free(struct round *r)
{
	for (size_t i = 0; i < r->ncand; i++)
		free(r->cands[i].addr);
	free(r->cands);
	for (size_t i = 0; i < r->ndom; i++)
		free(r->doms[i].name);
	free(r->doms);
	free(r->orig_temp);
}
