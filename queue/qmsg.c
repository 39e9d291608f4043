/* qmsg: in-memory messages and their state file records (qmsg.h).
 * Invariants: final recipient indexes are the order of their X records
 * and never change; a record that names an unknown index, a malformed
 * number or a torn line changes nothing; states only move forward
 * (PENDING -> DONE | FAILED -> NOTIFIED), so replaying records in order
 * after a crash gives the state they described. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ipc.h"
#include "qmsg.h"

struct qmsg *qmsg_new(struct qenv *env)
{
	struct qmsg *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	size_t n = env->nrcpt ? env->nrcpt : 1;
	m->expanded = calloc(n, sizeof(*m->expanded));
	m->orig_reason = calloc(n, sizeof(*m->orig_reason));
	if (!m->expanded || !m->orig_reason) {
		free(m->expanded);
		free(m->orig_reason);
		free(m);
		return NULL;
	}
	m->env = *env;
	qenv_init(env);
	return m;
}

void qmsg_free(struct qmsg **mp)
{
	struct qmsg *m = *mp;
	if (!m)
		return;
	for (size_t i = 0; i < m->nfinal; i++) {
		free(m->final[i].address);
		free(m->final[i].diag);
	}
	for (size_t i = 0; i < m->env.nrcpt; i++)
		free(m->orig_reason[i]);
	free(m->final);
	free(m->expanded);
	free(m->orig_reason);
	qenv_free(&m->env);
	free(m);
	*mp = NULL;
}

long qmsg_add_final(struct qmsg *m, size_t orig, const char *address, bool local)
{
	if (m->nfinal == m->capfinal) {
		size_t cap = m->capfinal ? m->capfinal * 2 : 4;
		struct qfinal *f = realloc(m->final, cap * sizeof(*f));
		if (!f)
			return -1;
		m->final = f;
		m->capfinal = cap;
	}
	struct qfinal *f = &m->final[m->nfinal];
	memset(f, 0, sizeof(*f));
	if (!(f->address = strdup(address)))
		return -1;
	f->orig = orig;
	f->local = local;
	return (long)m->nfinal++;
}

long qmsg_find_final(const struct qmsg *m, const char *address)
{
	for (size_t i = 0; i < m->nfinal; i++)
		if (strcasecmp(m->final[i].address, address) == 0)
			return (long)i;
	return -1;
}

void qmsg_set_reason(struct qfinal *f, const char *status, const char *diag)
{
	size_t n = strlen(status);
	if (n >= sizeof(f->status))
		n = sizeof(f->status) - 1;
	memcpy(f->status, status, n);
	f->status[n] = '\0';
	char *d = diag ? strdup(diag) : NULL;
	free(f->diag);
	f->diag = d;
}

bool qmsg_complete(const struct qmsg *m)
{
	for (size_t i = 0; i < m->env.nrcpt; i++)
		if (!m->expanded[i])
			return false;
	for (size_t i = 0; i < m->nfinal; i++)
		if (m->final[i].state != QF_DONE && m->final[i].state != QF_NOTIFIED)
			return false;
	return true;
}

static int num(const char *s, uint64_t max, uint64_t *v_r)
{
	char *end;
	if (!s[0] || s[0] < '0' || s[0] > '9')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v > max)
		return -1;
	*v_r = v;
	return 0;
}

/* A final index record: f[1] must name an existing final. */
static struct qfinal *final_of(struct qmsg *m, const char *s)
{
	uint64_t i;
	return num(s, SIZE_MAX, &i) == 0 && i < m->nfinal ? &m->final[i] : NULL;
}

static int apply_one(struct qmsg *m, char **f, int n)
{
	struct qfinal *q = n >= 2 ? final_of(m, f[1]) : NULL;
	uint64_t a, b;
	char c = strlen(f[0]) == 1 ? f[0][0] : 0;
	if (c == 'X' && n == 4 && num(f[1], m->env.nrcpt - 1, &a) == 0 && f[2][0] &&
	    (!strcmp(f[3], "l") || !strcmp(f[3], "r")))
		return qmsg_add_final(m, (size_t)a, f[2], f[3][0] == 'l') < 0 ? -1 : 0;
	if (c == 'x' && n == 2 && num(f[1], m->env.nrcpt - 1, &a) == 0)
		return m->expanded[a] = true, 0;
	if (c == 'D' && n == 2 && q)
		return q->state = QF_DONE, 0;
	if (c == 'N' && n == 2 && q && q->state == QF_FAILED)
		return q->state = QF_NOTIFIED, 0;
	if (c == 'M' && n == 2 && q)
		return q->maybe = true, 0;
	if ((c == 'F' || c == 'd') && n == 4 && q && q->state == QF_PENDING) {
		qmsg_set_reason(q, f[2], f[3][0] ? f[3] : NULL);
		if (c == 'F')
			q->state = QF_FAILED;
		return 0;
	}
	if (c == 'T' && n == 3 && num(f[1], UINT32_MAX, &a) == 0 && num(f[2], INT64_MAX, &b) == 0) {
		m->attempts = (unsigned)a;
		m->next_try = (int64_t)b;
		return 0;
	}
	if ((c == 'H' || c == 'U') && n == 1)
		return m->hold = c == 'H', 0;
	return -1;
}

size_t qmsg_apply_state(struct qmsg *m, char *data, size_t len)
{
	size_t bad = 0;
	char *end = data + len;
	for (char *p = data; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *f[6];
		size_t lens[6];
		if (!nl)
			return bad + 1; /* torn last line */
		int n = ipc_split_fields(p, (size_t)(nl - p), f, lens, 6);
		bool nul = false;
		for (int i = 0; i < n; i++)
			nul |= memchr(f[i], '\0', lens[i]) != NULL;
		if (n < 1 || nul || m->env.nrcpt == 0 || apply_one(m, f, n) < 0)
			bad++;
		p = nl + 1;
	}
	return bad;
}

static void fld(struct buf *out, const char *s)
{
	buf_append_char(out, '\t');
	ipc_tabescape(out, s, strlen(s));
}

void qrec_final(struct buf *out, size_t orig, const char *address, bool local)
{
	buf_printf(out, "X\t%zu", orig);
	fld(out, address);
	buf_append_str(out, local ? "\tl\n" : "\tr\n");
}

void qrec_expanded(struct buf *out, size_t orig)
{
	buf_printf(out, "x\t%zu\n", orig);
}

void qrec_mark(struct buf *out, char what, size_t final)
{
	buf_printf(out, "%c\t%zu\n", what, final);
}

void qrec_reason(struct buf *out, char what, size_t final, const char *status, const char *diag)
{
	buf_printf(out, "%c\t%zu", what, final);
	fld(out, status);
	fld(out, diag ? diag : "");
	buf_append_char(out, '\n');
}

void qrec_schedule(struct buf *out, unsigned attempts, int64_t next_try)
{
	buf_printf(out, "T\t%u\t%" PRId64 "\n", attempts, next_try);
}

void qrec_hold(struct buf *out, bool hold)
{
	buf_append_str(out, hold ? "H\n" : "U\n");
}
