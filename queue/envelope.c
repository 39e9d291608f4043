/* envelope: the trailer codec (see envelope.h for the format).
 * Invariants: the decoder never reads outside the given bytes, accepts
 * each scalar record once, rejects unknown records, NUL bytes, a missing
 * final newline, a bad CRC and any size mismatch; what it rejects leaves
 * nothing allocated. The encoder's output always decodes to the same
 * envelope. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envelope.h"
#include "ipc.h"

#define MAGIC "TERNQ\t1\n"

void qenv_init(struct qenv *e)
{
	memset(e, 0, sizeof(*e));
}

void qenv_free(struct qenv *e)
{
	free(e->sender);
	free(e->ret);
	free(e->envid);
	free(e->body);
	free(e->client_ip);
	free(e->helo);
	free(e->proto);
	for (size_t i = 0; i < e->nrcpt; i++) {
		free(e->rcpt[i].address);
		free(e->rcpt[i].orcpt);
		free(e->rcpt[i].notify);
	}
	free(e->rcpt);
	qenv_init(e);
}

int qenv_set(char **dst, const char *s)
{
	char *copy = s ? strdup(s) : NULL;
	if (s && !copy)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

int qenv_add_rcpt(struct qenv *e, const char *address, const char *orcpt, const char *notify)
{
	size_t n = e->nrcpt;
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) { /* full: cap is 4, 8, 16... */
		size_t cap = n == 0 ? 4 : n * 2;
		struct qenv_rcpt *r = realloc(e->rcpt, cap * sizeof(*r));
		if (!r)
			return -1;
		e->rcpt = r;
	}
	struct qenv_rcpt *r = &e->rcpt[e->nrcpt];
	memset(r, 0, sizeof(*r));
	if (qenv_set(&r->address, address) < 0 || qenv_set(&r->orcpt, orcpt) < 0 ||
	    qenv_set(&r->notify, notify) < 0) {
		free(r->address);
		free(r->orcpt);
		return -1;
	}
	e->nrcpt++;
	return 0;
}

static void field(struct buf *out, const char *s)
{
	buf_append_char(out, '\t');
	if (s)
		ipc_tabescape(out, s, strlen(s));
}

static void record(struct buf *out, const char *name, const char *value)
{
	if (!value)
		return;
	buf_append_str(out, name);
	field(out, value);
	buf_append_char(out, '\n');
}

void qenv_encode(const struct qenv *e, struct buf *out)
{
	size_t start = out->len;
	buf_append_str(out, MAGIC);
	record(out, "id", e->id);
	buf_printf(out, "arrival\t%" PRId64 "\nsize\t%" PRIu64 "\n", e->arrival, e->size);
	record(out, "sender", e->sender ? e->sender : "");
	record(out, "ret", e->ret);
	record(out, "envid", e->envid);
	record(out, "body", e->body);
	if (e->smtputf8)
		buf_append_str(out, "smtputf8\t1\n");
	buf_append_str(out, "client");
	field(out, e->client_ip);
	field(out, e->helo);
	field(out, e->proto);
	buf_append_char(out, '\n');
	for (size_t i = 0; i < e->nrcpt; i++) {
		buf_append_str(out, "rcpt");
		field(out, e->rcpt[i].address);
		field(out, e->rcpt[i].orcpt);
		field(out, e->rcpt[i].notify);
		buf_append_char(out, '\n');
	}
	if (buf_error(out))
		return;
	size_t tlen = out->len - start;
	uint32_t crc = qcrc32(0, out->data + start, tlen);
	buf_printf(out, "end\t%" PRIu64 "\t%zu\t%08x\n", e->size, tlen, crc);
}

/* A decimal number of at most 19 digits, no sign, no leading zeros. */
static int parse_u64(const char *s, size_t len, uint64_t *v_r)
{
	uint64_t v = 0;
	if (len == 0 || len > 19 || (s[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*v_r = v;
	return 0;
}

int qenv_locate(const char *tail, size_t taillen, uint64_t file_size, uint64_t *data_size_r,
		uint64_t *trailer_len_r, uint32_t *crc_r)
{
	if (taillen < 2 || tail[taillen - 1] != '\n')
		return -1;
	size_t i = taillen - 1;
	while (i > 0 && tail[i - 1] != '\n')
		i--;
	if (i == 0 && taillen != file_size) /* the line must be whole */
		return -1;
	const char *line = tail + i;
	size_t len = taillen - 1 - i, endlen = len + 1;
	const char *f[4];
	size_t fl[4], n = 0;
	for (size_t p = 0, s = 0; p <= len && n < 4; p++)
		if (p == len || line[p] == '\t') {
			f[n] = line + s;
			fl[n++] = p - s;
			s = p + 1;
			if (p == len)
				break;
		}
	uint64_t dsize, tlen, crc;
	if (n != 4 || fl[0] != 3 || memcmp(f[0], "end", 3) != 0 || fl[3] != 8 ||
	    parse_u64(f[1], fl[1], &dsize) < 0 || parse_u64(f[2], fl[2], &tlen) < 0)
		return -1;
	char hex[9];
	memcpy(hex, f[3], 8);
	hex[8] = '\0';
	char *endp;
	if (strspn(hex, "0123456789abcdef") != 8)
		return -1;
	crc = strtoull(hex, &endp, 16);
	if (tlen > QENV_TRAILER_MAX || dsize > file_size || tlen + endlen > file_size - dsize ||
	    dsize + tlen + endlen != file_size)
		return -1;
	*data_size_r = dsize;
	*trailer_len_r = tlen;
	*crc_r = (uint32_t)crc;
	return 0;
}

/* One record's fields, unescaped; C strings without NUL bytes. */
static int split_record(char *line, size_t len, char **f, int max)
{
	size_t lens[8];
	int n = ipc_split_fields(line, len, f, lens, max);
	for (int i = 0; i < n; i++)
		if (memchr(f[i], '\0', lens[i]) != NULL)
			return -1;
	return n;
}

static int set_once(char **dst, const char *v)
{
	return *dst != NULL ? -1 : qenv_set(dst, v);
}

static const char *nonempty(const char *s)
{
	return s[0] ? s : NULL;
}

/* Apply one record to e; seen tracks the scalars id/arrival/size. */
static int apply(struct qenv *e, char **f, int n, unsigned *seen)
{
	uint64_t v;
	if (strcmp(f[0], "id") == 0 && n == 2 && !(*seen & 1) && qid_valid(f[1])) {
		memcpy(e->id, f[1], QID_SIZE);
		*seen |= 1;
	} else if (strcmp(f[0], "arrival") == 0 && n == 2 && !(*seen & 2) &&
		   parse_u64(f[1], strlen(f[1]), &v) == 0 && v < INT64_MAX) {
		e->arrival = (int64_t)v;
		*seen |= 2;
	} else if (strcmp(f[0], "size") == 0 && n == 2 && !(*seen & 4) &&
		   parse_u64(f[1], strlen(f[1]), &v) == 0) {
		e->size = v;
		*seen |= 4;
	} else if (strcmp(f[0], "sender") == 0 && n == 2) {
		return set_once(&e->sender, f[1]);
	} else if (strcmp(f[0], "ret") == 0 && n == 2) {
		return set_once(&e->ret, f[1]);
	} else if (strcmp(f[0], "envid") == 0 && n == 2) {
		return set_once(&e->envid, f[1]);
	} else if (strcmp(f[0], "body") == 0 && n == 2) {
		return set_once(&e->body, f[1]);
	} else if (strcmp(f[0], "smtputf8") == 0 && n == 2 && strcmp(f[1], "1") == 0 &&
		   !e->smtputf8) {
		e->smtputf8 = true;
	} else if (strcmp(f[0], "client") == 0 && n == 4 && !e->client_ip) {
		if (qenv_set(&e->client_ip, f[1]) < 0 || qenv_set(&e->helo, f[2]) < 0 ||
		    qenv_set(&e->proto, f[3]) < 0)
			return -1;
	} else if (strcmp(f[0], "rcpt") == 0 && n == 4 && f[1][0]) {
		return qenv_add_rcpt(e, f[1], nonempty(f[2]), nonempty(f[3]));
	} else {
		return -1;
	}
	return 0;
}

static int fail(struct qenv *e, char *err, size_t errsize, const char *why)
{
	qenv_free(e);
	snprintf(err, errsize, "%s", why);
	return -1;
}

int qenv_decode(const char *t, size_t len, uint32_t crc, uint64_t data_size, struct qenv *e,
		char *err, size_t errsize)
{
	qenv_init(e);
	size_t mlen = strlen(MAGIC);
	if (len < mlen || memcmp(t, MAGIC, mlen) != 0)
		return fail(e, err, errsize, "bad-magic");
	if (qcrc32(0, t, len) != crc)
		return fail(e, err, errsize, "bad-crc");
	if (t[len - 1] != '\n' || memchr(t, '\0', len) != NULL)
		return fail(e, err, errsize, "bad-trailer");
	char *copy = malloc(len - mlen + 1);
	if (!copy)
		return fail(e, err, errsize, "out-of-memory");
	memcpy(copy, t + mlen, len - mlen);
	unsigned seen = 0;
	const char *why = NULL;
	for (char *p = copy, *end = copy + (len - mlen); p < end && !why;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *f[8];
		int n = split_record(p, (size_t)(nl - p), f, 8);
		if (n < 1 || apply(e, f, n, &seen) < 0)
			why = "bad-record";
		p = nl + 1;
	}
	free(copy);
	if (!why && (seen != 7 || !e->sender || !e->client_ip || e->nrcpt == 0))
		why = "missing-record";
	if (!why && e->size != data_size)
		why = "size-mismatch";
	return why ? fail(e, err, errsize, why) : 0;
}

int qenv_read_fd(int fd, struct qenv *e, char *err, size_t errsize)
{
	struct stat st;
	char tail[QENV_END_MAX];
	qenv_init(e);
	if (fstat(fd, &st) < 0)
		return fail(e, err, errsize, strerror(errno));
	uint64_t fsize = (uint64_t)st.st_size, dsize, tlen;
	uint32_t crc;
	size_t n = fsize < sizeof(tail) ? (size_t)fsize : sizeof(tail);
	if (n == 0 || pread(fd, tail, n, (off_t)(fsize - n)) != (ssize_t)n)
		return fail(e, err, errsize, "no-trailer");
	if (qenv_locate(tail, n, fsize, &dsize, &tlen, &crc) < 0)
		return fail(e, err, errsize, "no-trailer");
	char *t = malloc(tlen ? tlen : 1);
	if (!t)
		return fail(e, err, errsize, "out-of-memory");
	int r = -1;
	if (pread(fd, t, tlen, (off_t)dsize) != (ssize_t)tlen)
		fail(e, err, errsize, "short-read");
	else
		r = qenv_decode(t, tlen, crc, dsize, e, err, errsize);
	free(t);
	return r;
}
