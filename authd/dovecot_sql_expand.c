/* dovecot_sql_expand: Dovecot's %-variables in SQL query templates: 2.3
 * short forms (%u %n %d %s %r %l %p, modifiers L U T before the letter or
 * before {name}), long forms %{user} ..., and 2.4's %{user | lower}.
 * Invariants: every expanded value is SQL-escaped after its modifiers;
 * an unknown variable, modifier or filter is -1 with err naming it (out
 * may then hold a partial expansion: callers discard it). */
#include "dovecot_sql.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sql.h"

#define MAX_MODS 8

enum mod { MOD_LOWER, MOD_UPPER, MOD_TRIM, MOD_USERNAME, MOD_DOMAIN };

struct var {
	const char *name; /* long form */
	char letter;	  /* short form, 0 = none */
	int field;	  /* which dsql_vars member, or a derived one */
};

enum { F_USER, F_USERNAME, F_DOMAIN, F_SERVICE, F_RIP, F_LIP, F_PID };

static const struct var vars_table[] = {
	{ "user", 'u', F_USER },	    { "username", 'n', F_USERNAME },
	{ "domain", 'd', F_DOMAIN },	    { "service", 's', F_SERVICE },
	{ "rip", 'r', F_RIP },		    { "lip", 'l', F_LIP },
	{ "pid", 'p', F_PID },		    { "orig_user", 0, F_USER },
	{ "original_user", 0, F_USER },	    { "protocol", 0, F_SERVICE },
	{ "remote_ip", 0, F_RIP },	    { "local_ip", 0, F_LIP },
	{ "real_rip", 0, F_RIP },	    { "real_lip", 0, F_LIP },
	{ "real_remote_ip", 0, F_RIP },	    { "real_local_ip", 0, F_LIP },
	{ NULL, 0, 0 },
};

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* The raw value of a variable appended to val. */
static void value_of(int field, const struct dsql_vars *v, struct buf *val)
{
	const char *user = str_or_empty(v->user), *at = strchr(user, '@');
	switch (field) {
	case F_USER: buf_append_str(val, user); break;
	case F_USERNAME: buf_append(val, user, at ? (size_t)(at - user) : strlen(user)); break;
	case F_DOMAIN: buf_append_str(val, at ? at + 1 : ""); break;
	case F_SERVICE: buf_append_str(val, str_or_empty(v->service)); break;
	case F_RIP: buf_append_str(val, str_or_empty(v->rip)); break;
	case F_LIP: buf_append_str(val, str_or_empty(v->lip)); break;
	default: buf_printf(val, "%ld", (long)getpid()); break;
	}
}

static void apply(enum mod m, char *val)
{
	char *at;
	size_t len;
	switch (m) {
	case MOD_LOWER:
	case MOD_UPPER:
		for (char *c = val; *c; c++)
			*c = (char)(m == MOD_LOWER ? tolower((unsigned char)*c)
						   : toupper((unsigned char)*c));
		break;
	case MOD_TRIM:
		len = strlen(val);
		while (len > 0 && (val[len - 1] == ' ' || val[len - 1] == '\t'))
			val[--len] = '\0';
		break;
	case MOD_USERNAME:
		if ((at = strchr(val, '@')) != NULL)
			*at = '\0';
		break;
	case MOD_DOMAIN:
		at = strchr(val, '@');
		memmove(val, at ? at + 1 : val + strlen(val), strlen(at ? at + 1 : "") + 1);
		break;
	}
}

static int fail(char *err, size_t errsize, const char *what, const char *name, size_t len)
{
	snprintf(err, errsize, "%s '%.*s'", what, (int)(len > 64 ? 64 : len), name);
	return -1;
}

static int find_var(const char *name, size_t len, char letter)
{
	for (const struct var *v = vars_table; v->name; v++)
		if (letter ? v->letter == letter
			   : (strlen(v->name) == len && strncmp(v->name, name, len) == 0))
			return v->field;
	return -1;
}

/* A 2.4 filter name (between '|'s, spaces trimmed). */
static int find_filter(const char *s, size_t len)
{
	static const char *const names[] = { "lower", "upper", "trim", "username", "domain" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncmp(names[i], s, len) == 0)
			return (int)i;
	return -1;
}

static void trim_span(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

/* "name" or "name | filter | ..." between { and }; adds filters to mods. */
static int parse_long(const char *s, const char *end, enum mod *mods, size_t *nmods,
		      char *err, size_t errsize)
{
	const char *bar = memchr(s, '|', (size_t)(end - s));
	const char *name_end = bar ? bar : end;
	trim_span(&s, &name_end);
	int field = find_var(s, (size_t)(name_end - s), 0);
	if (field < 0)
		return fail(err, errsize, "unknown variable", s, (size_t)(name_end - s));
	while (bar) {
		const char *f = bar + 1;
		bar = memchr(f, '|', (size_t)(end - f));
		const char *f_end = bar ? bar : end;
		trim_span(&f, &f_end);
		int m = find_filter(f, (size_t)(f_end - f));
		if (m < 0)
			return fail(err, errsize, "unknown filter", f, (size_t)(f_end - f));
		if (*nmods == MAX_MODS)
			return fail(err, errsize, "too many filters in", s, (size_t)(end - s));
		mods[(*nmods)++] = (enum mod)m;
	}
	return field;
}

/* One %... at *pp (just after the '%'); advances *pp past it. */
static int expand_one(const char **pp, const struct dsql_vars *vars, struct buf *out,
		      char *err, size_t errsize)
{
	const char *p = *pp;
	enum mod mods[MAX_MODS];
	size_t nmods = 0;
	int field;
	struct buf val;

	if (*p == '%') {
		buf_append_char(out, '%');
		*pp = p + 1;
		return 0;
	}
	for (; *p == 'L' || *p == 'U' || *p == 'T'; p++) {
		if (nmods == MAX_MODS)
			return fail(err, errsize, "too many modifiers in", *pp, strlen(*pp));
		mods[nmods++] = *p == 'L' ? MOD_LOWER : *p == 'U' ? MOD_UPPER : MOD_TRIM;
	}
	if (*p == '{') {
		const char *end = strchr(p, '}');
		if (!end)
			return fail(err, errsize, "unterminated variable", p, strlen(p));
		if ((field = parse_long(p + 1, end, mods, &nmods, err, errsize)) < 0)
			return -1;
		p = end + 1;
	} else {
		if (!*p)
			return fail(err, errsize, "unknown variable", "%", 1);
		if ((field = find_var(NULL, 0, *p)) < 0)
			return fail(err, errsize, "unknown variable", p, 1);
		p++;
	}
	buf_init(&val, 0);
	value_of(field, vars, &val);
	if (buf_error(&val)) {
		buf_free(&val);
		return fail(err, errsize, "out of memory expanding", *pp, (size_t)(p - *pp));
	}
	if (val.data) {
		for (size_t i = 0; i < nmods; i++)
			apply(mods[i], val.data);
		sql_escape(out, val.data, strlen(val.data));
	}
	buf_free(&val);
	*pp = p;
	return 0;
}

int dovecot_sql_expand(const char *tmpl, const struct dsql_vars *vars, struct buf *out,
		       char *err, size_t errsize)
{
	static const struct dsql_vars none = { 0 };
	if (!vars)
		vars = &none;
	if (errsize)
		err[0] = '\0';
	for (const char *p = tmpl; *p;) {
		if (*p != '%') {
			const char *pct = strchr(p, '%');
			size_t n = pct ? (size_t)(pct - p) : strlen(p);
			buf_append(out, p, n);
			p += n;
			continue;
		}
		p++;
		if (expand_one(&p, vars, out, err, errsize) < 0)
			return -1;
	}
	return 0;
}
