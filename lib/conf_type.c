/* conf_type: the value types of tern.conf (time, size, bool, int, mode, list,
 * listen): parsing an expanded value text into its typed form, and printing
 * the typed form back in one normalized spelling (for fingerprints).
 * Invariants: numbers are unsigned decimal (octal for modes) without sign or
 * spaces and overflow is an error, never a wrap; a rejected value leaves
 * nothing allocated. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "conf_impl.h"

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Leading decimal digits of s into *n_r; returns the digit count, or -1 on
 * overflow. */
static int digits(const char *s, uint64_t *n_r)
{
	uint64_t n = 0;
	int i = 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++)
		if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, (uint64_t)(s[i] - '0'), &n))
			return -1;
	*n_r = n;
	return i;
}

struct unit {
	const char *name;
	uint64_t mul;
};

static const struct unit time_units[] = {
	{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	{ "d", 86400000 }, { NULL, 0 },
};
static const struct unit size_units[] = {
	{ "", 1 }, { "k", 1u << 10 }, { "K", 1u << 10 }, { "m", 1u << 20 }, { "M", 1u << 20 },
	{ "g", 1u << 30 }, { "G", 1u << 30 }, { NULL, 0 },
};

/* "<digits><unit>"; returns 0, -1 (syntax) or -2 (overflow). */
static int number_unit(const char *s, const struct unit *units, uint64_t *r)
{
	uint64_t n = 0;
	int nd = digits(s, &n);
	if (nd < 0)
		return -2;
	if (nd == 0)
		return -1;
	for (const struct unit *u = units; u->name != NULL; u++)
		if (strcmp(s + nd, u->name) == 0)
			return __builtin_mul_overflow(n, u->mul, r) ? -2 : 0;
	return -1;
}

static int parse_bool(const char *s, uint64_t *r)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
			*r = strcasecmp(s, yes[i]) == 0;
			return 0;
		}
	}
	return -1;
}

static int parse_mode(const char *s, size_t len, unsigned *r)
{
	unsigned m = 0;
	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -1;
		m = m * 8 + (unsigned)(s[i] - '0');
		if (m > 07777)
			return -1;
	}
	*r = m;
	return 0;
}

static int parse_list(struct conf_value *v)
{
	const char *t = v->text;
	size_t len = strlen(t), n = 0;
	for (size_t i = 0; i < len; i++)
		if (!is_sep(t[i]) && t[i] != ',' && (i == 0 || is_sep(t[i - 1]) || t[i - 1] == ','))
			n++;
	if (n == 0)
		return 0;
	const char **items = malloc(n * sizeof(char *) + len + 1);
	if (items == NULL)
		return -1;
	char *copy = memcpy((char *)(items + n), t, len + 1);
	size_t k = 0;
	for (char *p = copy; *p != '\0';) {
		while (*p != '\0' && (is_sep(*p) || *p == ','))
			*p++ = '\0';
		if (*p == '\0')
			break;
		items[k++] = p;
		while (*p != '\0' && !is_sep(*p) && *p != ',')
			p++;
	}
	v->items = items;
	v->nitems = k;
	return 0;
}

int conf_value_parse(enum conf_type type, struct conf_value *v, char *why, size_t whysize)
{
	char q[CONF_QUOTE_MAX];
	const char *t = v->text;
	int ret = 0;
	unsigned mode;
	switch (type) {
	case CONF_STR:
	case CONF_LISTEN:
		return 0;
	case CONF_LIST:
		if (parse_list(v) == 0)
			return 0;
		snprintf(why, whysize, "out of memory");
		return -1;
	case CONF_BOOL:
		if (parse_bool(t, &v->num) == 0)
			return 0;
		snprintf(why, whysize, "bad boolean value %s (use yes or no)",
			 conf_quote(q, t, strlen(t)));
		return -1;
	case CONF_MODE:
		if (parse_mode(t, strlen(t), &mode) == 0) {
			v->num = mode;
			return 0;
		}
		snprintf(why, whysize, "bad mode %s (octal, 0 to 07777)", conf_quote(q, t, strlen(t)));
		return -1;
	case CONF_INT:
		ret = number_unit(t, (const struct unit[]){ { "", 1 }, { NULL, 0 } }, &v->num);
		break;
	case CONF_TIME:
		ret = number_unit(t, time_units, &v->num);
		break;
	case CONF_SIZE:
		ret = number_unit(t, size_units, &v->num);
		break;
	}
	if (ret == 0)
		return 0;
	static const char *const names[] = {
		[CONF_INT] = "integer", [CONF_TIME] = "time", [CONF_SIZE] = "size",
	};
	snprintf(why, whysize, ret == -2 ? "%s value %s out of range" : "bad %s value %s",
		 names[type], conf_quote(q, t, strlen(t)));
	return -1;
}

/* A listener option "key=value". */
static int listen_option(const char *opt, size_t len, struct conf_listen *l, unsigned *seen,
			 char *why, size_t whysize)
{
	static const char *const keys[] = { "mode=", "user=", "group=", "backlog=" };
	char q[CONF_QUOTE_MAX];
	size_t k = 0;
	while (k < 4 && strncmp(opt, keys[k], strlen(keys[k])) != 0)
		k++;
	if (k == 4) {
		snprintf(why, whysize, "unknown listener option %s (mode= user= group= backlog=)",
			 conf_quote(q, opt, len));
		return -1;
	}
	if (*seen & (1u << k)) {
		snprintf(why, whysize, "listener option \"%.*s\" given twice",
			 (int)strlen(keys[k]) - 1, keys[k]);
		return -1;
	}
	*seen |= 1u << k;
	const char *val = opt + strlen(keys[k]);
	size_t vlen = len - strlen(keys[k]);
	uint64_t n = 0;
	bool ok;
	if (k == 0) {
		ok = parse_mode(val, vlen, &l->mode) == 0;
	} else if (k == 3) {
		ok = digits(val, &n) == (int)vlen && vlen > 0 && n >= 1 && n <= 65535;
		l->backlog = ok ? (int)n : 0;
	} else {
		char *dst = k == 1 ? l->user : l->group;
		ok = vlen > 0 && vlen < sizeof(l->user);
		if (ok)
			memcpy(dst, val, vlen), dst[vlen] = '\0';
	}
	if (!ok)
		snprintf(why, whysize, "bad listener option %s", conf_quote(q, opt, len));
	return ok ? 0 : -1;
}

static bool listen_name_ok(const char *s, size_t len)
{
	if (len < 1 || len > 31)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

int conf_listen_parse(const char *text, struct conf_listen *l, char *why, size_t whysize)
{
	char q[CONF_QUOTE_MAX];
	unsigned seen = 0;
	memset(l, 0, sizeof(*l));
	l->mode = 0666;
	l->backlog = 128;
	int tok = 0;
	for (const char *p = text; *p != '\0';) {
		while (*p != '\0' && is_sep(*p))
			p++;
		size_t len = 0;
		while (p[len] != '\0' && !is_sep(p[len]))
			len++;
		if (len == 0)
			break;
		if (tok == 0 && !listen_name_ok(p, len)) {
			snprintf(why, whysize, "bad listener name %s (1-31 of a-z 0-9 _ -)",
				 conf_quote(q, p, len));
			return -1;
		} else if (tok == 0) {
			memcpy(l->name, p, len);
		} else if (tok == 1) {
			if (len >= sizeof(l->address) || len <= 5 ||
			    (strncmp(p, "inet:", 5) != 0 && strncmp(p, "unix:", 5) != 0)) {
				snprintf(why, whysize, "bad listener address %s (inet:HOST:PORT or "
					 "unix:PATH, under 256 bytes)", conf_quote(q, p, len));
				return -1;
			}
			memcpy(l->address, p, len);
		} else if (listen_option(p, len, l, &seen, why, whysize) < 0) {
			return -1;
		}
		tok++;
		p += len;
	}
	if (tok < 2) {
		snprintf(why, whysize, "expected \"NAME ADDRESS [options]\", got %s",
			 conf_quote(q, text, strlen(text)));
		return -1;
	}
	return 0;
}

void conf_value_norm(struct conf_sb *sb, enum conf_type type, const struct conf_value *v)
{
	switch (type) {
	case CONF_STR:
	case CONF_LISTEN:
		conf_sb_add(sb, v->text, strlen(v->text));
		break;
	case CONF_BOOL:
		conf_sb_add(sb, v->num ? "yes" : "no", v->num ? 3 : 2);
		break;
	case CONF_INT:
	case CONF_SIZE:
		conf_sb_printf(sb, "%" PRIu64, v->num);
		break;
	case CONF_TIME:
		conf_sb_printf(sb, "%" PRIu64 "ms", v->num);
		break;
	case CONF_MODE:
		conf_sb_printf(sb, "%04" PRIo64, v->num);
		break;
	case CONF_LIST:
		for (size_t i = 0; i < v->nitems; i++)
			conf_sb_printf(sb, "%s%s", i ? "," : "", v->items[i]);
		break;
	}
}

void conf_listen_norm(struct conf_sb *sb, const struct conf_listen *l)
{
	conf_sb_printf(sb, "%s %s mode=%04o user=%s group=%s backlog=%d", l->name, l->address,
		       l->mode, l->user, l->group, l->backlog);
}
