/* maildir_quota_rule: parse Dovecot quota_rule and quota_grace values.
 * Invariants: units are powers of 1024 decided by the first letter after
 * the number (b/k/M/G/T, any case) as in Dovecot's quota_limit_parse;
 * storage= without a unit is kilobytes; results never overflow int64. */
#include "maildir_impl.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Signed decimal at *s (Dovecot's str_parse_int64); *s moves past it. */
static int parse_int64(const char **s, int64_t *value_r)
{
	const char *p = *s;
	bool neg = *p == '-';
	uint64_t v = 0;

	if (neg)
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > ((uint64_t)INT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*value_r = neg ? -(int64_t)v : (int64_t)v;
	*s = p;
	return 0;
}

/* Apply the unit at `unit` to *value; *percent_r set for '%'. */
static int apply_unit(const char *unit, int64_t mult, int64_t *value, int *percent_r,
		      const char **error_r)
{
	switch (toupper((unsigned char)*unit)) {
	case '\0': break;
	case 'B': mult = 1; break;
	case 'K': mult = 1024; break;
	case 'M': mult = 1024 * 1024; break;
	case 'G': mult = 1024LL * 1024 * 1024; break;
	case 'T': mult = 1024LL * 1024 * 1024 * 1024; break;
	case '%':
		if (*value <= -100 || *value > INT_MAX) { /* it is stored in an int */
			*error_r = "Invalid percentage";
			return -1;
		}
		*percent_r = (int)*value;
		*value = 0;
		return 0;
	default:
		*error_r = "Unknown unit";
		return -1;
	}
	if (*value > INT64_MAX / mult || *value < -(INT64_MAX / mult)) {
		*error_r = "Limit too large";
		return -1;
	}
	*value *= mult;
	return 0;
}

/* "<n>S,<n>C" (Maildir++ header / backend= rule); false on a bad part but
 * keeps what parsed, like Dovecot's maildir_parse_limit. */
bool maildir_quota_parse_limits(const char *s, uint64_t *bytes_r, uint64_t *count_r)
{
	bool ok = true;

	*bytes_r = *count_r = 0;
	while (*s != '\0') {
		const char *end = strchr(s, ',');
		size_t len = end != NULL ? (size_t)(end - s) : strlen(s);
		uint64_t v = 0;
		size_t i = 0;

		for (; i < len && s[i] >= '0' && s[i] <= '9' && v < UINT64_MAX / 10 - 10; i++)
			v = v * 10 + (uint64_t)(s[i] - '0');
		if (i == 0 || i + 1 != len || (s[i] != 'S' && s[i] != 'C'))
			ok = false;
		else if (v != 0)
			*(s[i] == 'S' ? bytes_r : count_r) = v;
		s += len + (end != NULL);
	}
	return ok;
}

static int parse_limit(struct maildir_quota_rule *r, const char *arg, size_t len,
		       const char **error_r)
{
	char buf[128];
	const char *value, *p;
	int64_t *limit, mult = 1;
	int *percent;

	if (len >= sizeof(buf)) {
		*error_r = "Rule limit too long";
		return -1;
	}
	memcpy(buf, arg, len);
	buf[len] = '\0';
	value = strchr(buf, '=');
	value = value != NULL ? value + 1 : buf + len;
	if (*value == '+') {
		if (r->is_default) {
			*error_r = "Rule limit cannot have '+'";
			return -1;
		}
		value++;
	}
	if (strncmp(buf, "storage=", 8) == 0) {
		mult = 1024, limit = &r->bytes, percent = &r->bytes_percent;
	} else if (strncmp(buf, "bytes=", 6) == 0) {
		limit = &r->bytes, percent = &r->bytes_percent;
	} else if (strncmp(buf, "messages=", 9) == 0) {
		limit = &r->count, percent = &r->count_percent;
	} else {
		*error_r = "Unknown rule limit name";
		return -1;
	}
	p = value;
	if (parse_int64(&p, limit) < 0) {
		*error_r = "Invalid limit";
		return -1;
	}
	if (*p == '%' && r->is_default) {
		*error_r = "Default rule can't be a percentage";
		return -1;
	}
	return apply_unit(p, mult, limit, percent, error_r);
}

int maildir_quota_rule_parse(const char *def, struct maildir_quota_rule *rule_r,
			     const char **error_r)
{
	const char *colon = strchr(def, ':'), *p;
	size_t mlen = colon != NULL ? (size_t)(colon - def) : 0;

	memset(rule_r, 0, sizeof(*rule_r));
	if (colon == NULL || mlen == 0 || mlen > MAILDIR_FOLDER_MAX) {
		*error_r = "Invalid rule";
		return -1;
	}
	memcpy(rule_r->mailbox, def, mlen);
	rule_r->is_default = strcmp(rule_r->mailbox, "*") == 0 || strcmp(rule_r->mailbox, "?") == 0;
	rule_r->force = strcmp(rule_r->mailbox, "*") == 0;
	if (strcasecmp(rule_r->mailbox, "INBOX") == 0)
		strcpy(rule_r->mailbox, "INBOX");
	p = colon + 1;
	if (strcmp(p, "ignore") == 0) {
		rule_r->ignore = true;
		return 0;
	}
	if (strncmp(p, "backend=", 8) == 0) {
		uint64_t b, c;

		if (strcmp(p + 8, "NOQUOTA") != 0 && !maildir_quota_parse_limits(p + 8, &b, &c)) {
			*error_r = "Invalid Maildir++ quota rule";
			return -1;
		}
		if (strcmp(p + 8, "NOQUOTA") == 0)
			b = c = 0;
		rule_r->bytes = b > INT64_MAX ? INT64_MAX : (int64_t)b;
		rule_r->count = c > INT64_MAX ? INT64_MAX : (int64_t)c;
		return 0;
	}
	if (*p == '\0') {
		*error_r = "Unknown rule limit name";
		return -1;
	}
	while (*p != '\0') {
		const char *end = strchr(p, ':');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (parse_limit(rule_r, p, len, error_r) < 0)
			return -1;
		p += len + (end != NULL);
	}
	if (rule_r->is_default && (rule_r->bytes < 0 || rule_r->count < 0)) {
		*error_r = rule_r->bytes < 0 ? "Bytes limit can't be negative"
					     : "Count limit can't be negative";
		return -1;
	}
	return 0;
}

int maildir_quota_grace_parse(const char *def, int64_t *bytes_r, int *percent_r)
{
	const char *p = def != NULL ? def : "10%", *error;

	*bytes_r = 0;
	*percent_r = 0;
	if (parse_int64(&p, bytes_r) < 0 || apply_unit(p, 1, bytes_r, percent_r, &error) < 0 ||
	    *bytes_r < 0 || *percent_r < 0)
		return -1;
	return 0;
}
