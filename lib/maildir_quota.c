/* maildir_quota: Maildir++ quota kept in <root>/maildirsize as Dovecot's
 * quota-maildir backend does (header "<bytes>S,<count>C", then signed
 * "<bytes> <count>" lines whose sum is the usage).
 * Invariants: deltas are appended with a single O_APPEND write(); the
 * file is only ever replaced whole (temp file + rename()); a recalculation
 * is not written if a scanned directory changed during the scan. */
#include "maildir_impl.h"
#include "mutf7.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAILDIRSIZE_MAX 5120
#define MAILDIRSIZE_STALE_SECS (15 * 60)

struct maildir_quota {
	char root[PATH_MAX];
	char path[PATH_MAX];
	struct maildir_quota_rule *rules;
	size_t nrules;
	struct maildir_quota_rule def; /* "*" or "?" rule, zero if none */
	int64_t grace_bytes;
	int grace_percent;
	uint64_t bytes_limit, count_limit; /* effective default limits */
	uint64_t bytes, count;             /* usage */
	uint64_t pending_bytes, pending_count; /* checked, not yet added */
};

struct maildir_quota *maildir_quota_new(const char *root, const struct maildir_quota_rule *rules,
					size_t nrules, int64_t grace_bytes, int grace_percent)
{
	struct maildir_quota *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	if (maildir_pathf(q->root, sizeof(q->root), "%s", root) < 0 ||
	    maildir_pathf(q->path, sizeof(q->path), "%s/maildirsize", root) < 0 ||
	    (nrules > 0 && (q->rules = calloc(nrules, sizeof(*rules))) == NULL)) {
		free(q);
		return NULL;
	}
	for (size_t i = 0; i < nrules; i++) {
		q->rules[i] = rules[i];
		/* later default rules override earlier ones, "*" wins over "?" */
		if (rules[i].is_default && !rules[i].ignore) {
			bool force = q->def.force || rules[i].force;

			q->def = rules[i];
			q->def.force = force;
		}
	}
	q->nrules = nrules;
	q->grace_bytes = grace_bytes;
	q->grace_percent = grace_percent;
	return q;
}

void maildir_quota_free(struct maildir_quota **quotap)
{
	if (quotap == NULL || *quotap == NULL)
		return;
	free((*quotap)->rules);
	free(*quotap);
	*quotap = NULL;
}

/* The non-default rule for `folder` (UTF-8 name, NULL = INBOX), or NULL. */
static const struct maildir_quota_rule *folder_rule(const struct maildir_quota *q,
						    const char *folder)
{
	bool inbox = maildir_is_inbox(folder);

	for (size_t i = 0; i < q->nrules; i++) {
		const struct maildir_quota_rule *r = &q->rules[i];

		if (!r->is_default &&
		    (inbox ? strcmp(r->mailbox, "INBOX") == 0 : strcmp(r->mailbox, folder) == 0))
			return r;
	}
	return NULL;
}

/* Whether folder directory `dname` (".<mUTF-7>") is ignored by a rule. */
static bool dir_ignored(const struct maildir_quota *q, const char *dname)
{
	char name[MAILDIR_FOLDER_MAX * 4 + 1];
	const struct maildir_quota_rule *r;

	if (mutf7_decode(dname + 1, name, sizeof(name)) < 0)
		return false;
	r = folder_rule(q, name);
	return r != NULL && r->ignore;
}

struct scan {
	uint64_t bytes, count;
	struct timespec newest;
	bool changed, checking;
};

static bool ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

/* Sum one new/ or cur/ (Dovecot's maildir_sum_dir), or when checking,
 * only note whether it changed after the newest mtime seen. */
static int scan_dir(const char *dir, struct scan *s)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (stat(dir, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	if (s->checking) {
		s->changed |= ts_after(st.st_mtim, s->newest);
		return 0;
	}
	if (ts_after(st.st_mtim, s->newest))
		s->newest = st.st_mtim;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		int64_t size;

		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || de->d_name[1] == '.'))
			continue;
		maildir_filename_sizes(de->d_name, &size, NULL);
		if (size < 0 && maildir_pathf(path, sizeof(path), "%s/%s", dir, de->d_name) == 0 &&
		    stat(path, &st) == 0)
			size = st.st_size;
		if (size >= 0) {
			s->bytes += (uint64_t)size;
			s->count++;
		}
	}
	closedir(d);
	return 0;
}

/* Run scan_dir over new/ and cur/ of INBOX and every counted folder. */
static int scan_all(const struct maildir_quota *q, struct scan *s)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (maildir_pathf(path, sizeof(path), "%s/new", q->root) < 0 || scan_dir(path, s) < 0 ||
	    maildir_pathf(path, sizeof(path), "%s/cur", q->root) < 0 || scan_dir(path, s) < 0)
		return -1;
	if ((d = opendir(q->root)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while (ret == 0 && (de = readdir(d)) != NULL) {
		const char *n = de->d_name;

		if (n[0] != '.' || n[1] == '\0' || n[1] == '.' || dir_ignored(q, n))
			continue;
		if (maildir_pathf(path, sizeof(path), "%s/%s/new", q->root, n) < 0 ||
		    scan_dir(path, s) < 0 ||
		    maildir_pathf(path, sizeof(path), "%s/%s/cur", q->root, n) < 0 ||
		    scan_dir(path, s) < 0)
			ret = -1;
	}
	closedir(d);
	return ret;
}

static void format_header(const struct maildir_quota *q, char *out, size_t size)
{
	size_t n = 0;

	/* Dovecot writes "0S" rather than an empty line when unlimited */
	if (q->bytes_limit != 0 || q->count_limit == 0)
		n = (size_t)snprintf(out, size, "%" PRIu64 "S", q->bytes_limit);
	if (q->count_limit != 0)
		snprintf(out + n, size - n, "%s%" PRIu64 "C", n > 0 ? "," : "", q->count_limit);
}

/* Effective limits: a "*" rule wins, then the file's header, then "?". */
static void set_limits(struct maildir_quota *q, bool have_header, uint64_t hb, uint64_t hc)
{
	if (q->def.force || !have_header) {
		q->bytes_limit = (uint64_t)q->def.bytes;
		q->count_limit = (uint64_t)q->def.count;
	} else {
		q->bytes_limit = hb;
		q->count_limit = hc;
	}
}

/* Sum the delta lines after the header; -1 when one is malformed. */
static int sum_lines(const char *p, int64_t *bytes_r, int64_t *count_r, int *lines_r)
{
	*bytes_r = *count_r = 0;
	*lines_r = 0;
	while (*p != '\0') {
		char *end;
		long long b = strtoll(p, &end, 10), c;

		if (end == p || *end != ' ')
			return -1;
		p = end;
		c = strtoll(p, &end, 10);
		if (end == p || (*end != '\n' && *end != '\0'))
			return -1;
		if (__builtin_add_overflow(*bytes_r, b, bytes_r) ||
		    __builtin_add_overflow(*count_r, c, count_r))
			return -1;
		(*lines_r)++;
		p = *end == '\n' ? end + 1 : end;
	}
	return 0;
}

/* Read maildirsize: 1 usage trusted, 0 recalculation needed, -1 error. */
static int read_file(struct maildir_quota *q)
{
	char buf[MAILDIRSIZE_MAX + 1], *nl;
	uint64_t hb, hc;
	int64_t tb, tc;
	size_t size = 0;
	struct stat st;
	int fd, lines;
	ssize_t n = 1;

	if ((fd = open(q->path, O_RDONLY | O_CLOEXEC)) < 0) {
		set_limits(q, false, 0, 0);
		return errno == ENOENT ? 0 : -1;
	}
	while (size < sizeof(buf) - 1 && (n = read(fd, buf + size, sizeof(buf) - 1 - size)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		size += (size_t)n;
	}
	if (fstat(fd, &st) < 0)
		st.st_mtime = 0;
	close(fd);
	bool too_big = size >= MAILDIRSIZE_MAX;
	while (size > 0 && buf[size - 1] != '\n')
		size--; /* an unfinished last line is being written */
	buf[size] = '\0';
	if (size == 0 || memchr(buf, '\0', size) != NULL) {
		set_limits(q, false, 0, 0);
		return n < 0 && size == 0 ? -1 : 0;
	}
	nl = strchr(buf, '\n');
	*nl = '\0';
	(void)maildir_quota_parse_limits(buf, &hb, &hc);
	hb = hb > INT64_MAX ? INT64_MAX : hb;
	hc = hc > INT64_MAX ? INT64_MAX : hc;
	set_limits(q, true, hb, hc);
	if (q->def.force && (hb != (uint64_t)q->def.bytes || hc != (uint64_t)q->def.count))
		return 0; /* limits changed: rewrite */
	if (too_big || n < 0 || sum_lines(nl + 1, &tb, &tc, &lines) < 0 || tb < 0 || tc < 0)
		return 0;
	if (((uint64_t)tb > q->bytes_limit && q->bytes_limit != 0) ||
	    ((uint64_t)tc > q->count_limit && q->count_limit != 0)) {
		/* over quota: trust only a fresh, single-line file */
		if (lines > 1 || st.st_mtime < time(NULL) - MAILDIRSIZE_STALE_SECS)
			return 0;
	}
	q->bytes = (uint64_t)tb;
	q->count = (uint64_t)tc;
	return 1;
}

/* Recount from the directories and rewrite the file (best effort). */
static int recalc(struct maildir_quota *q, struct maildir_err *err_r)
{
	char tmp[PATH_MAX], text[128];
	struct scan s = { 0 };
	size_t hl;
	int fd;

	if (scan_all(q, &s) < 0) {
		maildir_err_sys(err_r, "scan", q->root);
		return -1;
	}
	s.checking = true;
	if (scan_all(q, &s) < 0) {
		maildir_err_sys(err_r, "scan", q->root);
		return -1;
	}
	q->bytes = s.bytes;
	q->count = s.count;
	if (s.changed) {
		/* a delivery raced the scan: let a later call recount */
		if (q->def.force)
			(void)unlink(q->path);
		return 0;
	}
	format_header(q, text, sizeof(text));
	hl = strlen(text);
	snprintf(text + hl, sizeof(text) - hl, "\n%" PRIu64 " %" PRIu64 "\n", q->bytes, q->count);
	char tag[160];
	maildir_temp_tag(tag, sizeof(tag));
	if (maildir_pathf(tmp, sizeof(tmp), "%s.%s", q->path, tag) < 0)
		return 0;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return 0;
	hl = strlen(text);
	bool ok = write(fd, text, hl) == (ssize_t)hl;

	if (close(fd) < 0)
		ok = false;
	if (!ok || rename(tmp, q->path) < 0)
		(void)unlink(tmp);
	return 0;
}

/* Make usage current: 1 known, 0 no quota applies, -1 error. */
static int refresh(struct maildir_quota *q, struct maildir_err *err_r)
{
	int ret = read_file(q);

	if (ret < 0) {
		maildir_err_sys(err_r, "read", q->path);
		return -1;
	}
	if (ret > 0)
		return 1;
	if (q->bytes_limit == 0 && q->count_limit == 0 && !q->def.force)
		return 0;
	return recalc(q, err_r) < 0 ? -1 : 1;
}

int maildir_quota_usage(struct maildir_quota *q, struct maildir_quota_usage *usage_r,
			struct maildir_err *err_r)
{
	int ret = refresh(q, err_r);

	memset(usage_r, 0, sizeof(*usage_r));
	if (ret <= 0)
		return ret;
	usage_r->bytes = q->bytes;
	usage_r->count = q->count;
	usage_r->bytes_limit = q->bytes_limit;
	usage_r->count_limit = q->count_limit;
	usage_r->enforced = q->bytes_limit != 0 || q->count_limit != 0;
	return 1;
}

/* A limit widened (or narrowed) by a folder rule, only when the default is
 * limited; saturating, so absurd rules cannot overflow (found by fuzzing). */
static uint64_t widen(uint64_t limit, int64_t add, int percent)
{
	if (limit == 0)
		return 0;
	bool shrink;
	uint64_t delta;
	if (percent != 0) {
		uint64_t unit = limit / 100, p = percent < 0 ? (uint64_t)-(int64_t)percent
							    : (uint64_t)percent;
		shrink = percent < 0;
		delta = unit != 0 && p > UINT64_MAX / unit ? UINT64_MAX : unit * p;
	} else {
		shrink = add < 0;
		delta = add < 0 ? (uint64_t)-(add + 1) + 1 : (uint64_t)add;
	}
	if (shrink)
		return delta >= limit ? 1 : limit - delta;
	return delta > UINT64_MAX - limit ? UINT64_MAX : limit + delta;
}

int maildir_quota_check(struct maildir_quota *q, const char *folder, uint64_t bytes,
			struct maildir_err *err_r)
{
	const struct maildir_quota_rule *r = folder_rule(q, folder);
	uint64_t bl, cl, grace, used, used_count;
	int ret;

	if (r != NULL && r->ignore)
		return 1;
	if ((ret = refresh(q, err_r)) <= 0)
		return ret < 0 ? -1 : 1;
	bl = widen(q->bytes_limit, r != NULL ? r->bytes : 0, r != NULL ? r->bytes_percent : 0);
	cl = widen(q->count_limit, r != NULL ? r->count : 0, r != NULL ? r->count_percent : 0);
	used = q->bytes + q->pending_bytes;
	used_count = q->count + q->pending_count;
	grace = q->grace_percent > 0 ? bl / 100 * (uint64_t)q->grace_percent : (uint64_t)q->grace_bytes;
	if (cl != 0 && used_count + 1 > cl) {
		maildir_err_set(err_r, MAILDIR_FAIL_QUOTA, "Quota exceeded (message count)");
		return 0;
	}
	if (bl != 0 && (bytes == 0 ? used > bl
		       : used + bytes > bl && (used >= bl || used + bytes > bl + grace))) {
		maildir_err_set(err_r, MAILDIR_FAIL_QUOTA, "Quota exceeded (mailbox for user is full)");
		return 0;
	}
	return 1;
}

int maildir_quota_add(struct maildir_quota *q, const char *folder, int64_t bytes, int64_t count,
		      struct maildir_err *err_r)
{
	const struct maildir_quota_rule *r = folder_rule(q, folder);
	char line[64];
	ssize_t n;
	int fd, len;

	if ((r != NULL && r->ignore) || (bytes == 0 && count == 0))
		return 0;
	if ((fd = open(q->path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0) {
		if (errno != ENOENT) {
			maildir_err_sys(err_r, "open", q->path);
			return -1;
		}
		/* missing: a recount already includes this change */
		return refresh(q, err_r) < 0 ? -1 : 0;
	}
	len = snprintf(line, sizeof(line), "%lld %lld\n", (long long)bytes, (long long)count);
	n = write(fd, line, (size_t)len);
	if (n != len) {
		if (n >= 0)
			errno = EIO;
		maildir_err_sys(err_r, "write", q->path);
		close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		maildir_err_sys(err_r, "close", q->path);
		return -1;
	}
	return 0;
}

void maildir_quota_pending(struct maildir_quota *q, uint64_t bytes, bool add)
{
	if (add) {
		q->pending_bytes += bytes;
		q->pending_count++;
	} else {
		q->pending_bytes -= bytes < q->pending_bytes ? bytes : q->pending_bytes;
		q->pending_count -= q->pending_count > 0;
	}
}
