/* fuzz_passwd_file: libFuzzer harness for authd/passwd_file.c. Parses the
 * input as a passwd-file, then re-parses it line by line with
 * passwd_file_parse_line and checks that the first good line of each user is
 * exactly what passwd_file_lookup returns (the packed record round-trips),
 * that iteration and count agree, and that every field is NUL-terminated
 * within its array. Violations abort. Warnings go to /dev/null. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "passwd_file.h"

struct seen {
	char **users;
	size_t n, cap;
};

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_passwd_file: invariant failed: %s\n", what);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_open("fuzz_passwd_file", "/dev/null");
	return 0;
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_user(const struct dir_user *u)
{
	check(terminated(u->user, sizeof(u->user)) && terminated(u->password, sizeof(u->password)) &&
		      terminated(u->home, sizeof(u->home)) && terminated(u->mail, sizeof(u->mail)) &&
		      terminated(u->quota_rule, sizeof(u->quota_rule)) &&
		      terminated(u->scheme_default, sizeof(u->scheme_default)),
	      "field not terminated");
	check(u->extra_count <= DIR_MAX_EXTRA, "extra_count");
	for (size_t i = 0; i < u->extra_count; i++)
		check(terminated(u->extra[i], sizeof(u->extra[i])) && u->extra[i][0] != '\0',
		      "extra field");
	check(u->uid >= -1 && u->gid >= -1 && u->uid <= (long)UINT32_MAX &&
		      u->gid <= (long)UINT32_MAX,
	      "uid/gid range");
	check(u->user[0] != '\0' && u->user[strcspn(u->user, "ABCDEFGHIJKLMNOPQRSTUVWXYZ \t:")] == '\0',
	      "user name lowercased, no blanks or colons");
}

static bool same_user(const struct dir_user *a, const struct dir_user *b)
{
	if (strcmp(a->user, b->user) || strcmp(a->password, b->password) ||
	    strcmp(a->home, b->home) || strcmp(a->mail, b->mail) ||
	    strcmp(a->quota_rule, b->quota_rule) || a->uid != b->uid || a->gid != b->gid ||
	    a->nopassword != b->nopassword || a->nologin != b->nologin ||
	    a->nodelay != b->nodelay || a->extra_count != b->extra_count)
		return false;
	for (size_t i = 0; i < a->extra_count; i++)
		if (strcmp(a->extra[i], b->extra[i]))
			return false;
	return true;
}

/* Is user new? Then remember it. */
static bool first_time(struct seen *s, const char *user)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->users[i], user) == 0)
			return false;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->users = realloc(s->users, s->cap * sizeof(*s->users));
		check(s->users != NULL, "out of memory");
	}
	check((s->users[s->n++] = strdup(user)) != NULL, "out of memory");
	return true;
}

static bool iterate_cb(const char *user, void *ctx)
{
	const struct passwd_file *pf = ctx;
	check(passwd_file_exists(pf, user), "iterated user does not exist");
	return true;
}

static bool stop_cb(const char *user, void *ctx)
{
	(void)user;
	(void)ctx;
	return false;
}

/* Each good line: the first one of its user is what lookup returns. */
static void lines(const struct passwd_file *pf, const char *p, const char *end, struct seen *s,
		  struct dir_user *u, struct dir_user *got)
{
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p), i = 0;
		const char *why = NULL;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i < n && p[i] != '#') {
			int r = passwd_file_parse_line(p, n, u, &why);
			check(r == 0 || (r == -1 && why != NULL && why[0] != '\0'), "parse_line result");
			if (r == 0) {
				check_user(u);
				if (first_time(s, u->user)) {
					check(passwd_file_lookup(pf, u->user, got) == DIR_FOUND,
					      "parsed user not found");
					check_user(got);
					check(same_user(u, got), "lookup differs from the parsed line");
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct passwd_file *pf = passwd_file_parse(text, size, "fuzz.passwd");
	struct dir_user *u = malloc(sizeof(*u)), *got = malloc(sizeof(*got));
	struct seen s = { 0 };

	check(pf != NULL && u != NULL && got != NULL, "parse returned NULL");
	lines(pf, text, text + size, &s, u, got);
	check(passwd_file_count(pf) == s.n, "count differs from distinct users");
	check(passwd_file_iterate(pf, iterate_cb, pf), "iterate stopped");
	check(passwd_file_iterate(pf, stop_cb, NULL) == (s.n == 0), "iterate did not stop");
	check(passwd_file_lookup(pf, "", got) == DIR_NOTFOUND && got->uid == -1, "empty user");

	for (size_t i = 0; i < s.n; i++)
		free(s.users[i]);
	free(s.users);
	free(u);
	free(got);
	passwd_file_free(&pf);
	check(pf == NULL, "free clears the pointer");
	return 0;
}
