/* conf_value: the second pass of conf_load. Expands $name / ${name} (Postfix
 * style, global keys only, memoized, depth-limited, loops are errors), then
 * checks every value against its type and parses listeners.
 * Invariants: values are handled in file-line order so the first error
 * reported is the earliest line; an expanded value is at most CONF_VALUE_MAX
 * bytes; a bad table default aborts (programming error). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf_impl.h"

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static int resolve(struct conf *conf, int i, unsigned line, int depth);

/* Parse "$name", "${name}" or "$$" at p (p[0] == '$'); returns the length
 * consumed, sets *name_r and *len_r (len 0 for "$$"), or -1 on a syntax error. */
static long ref_syntax(const char *p, const char **name_r, size_t *len_r)
{
	if (p[1] == '$') {
		*len_r = 0;
		return 2;
	}
	size_t n = 0;
	if (p[1] == '{') {
		while (is_name_char(p[2 + n]))
			n++;
		if (n == 0 || p[2 + n] != '}')
			return -1;
		*name_r = p + 2;
		*len_r = n;
		return (long)n + 3;
	}
	while (is_name_char(p[1 + n]))
		n++;
	if (n == 0)
		return -1;
	*name_r = p + 1;
	*len_r = n;
	return (long)n + 1;
}

/* Expand raw (of setting `key`) into *out_r. */
static int expand(struct conf *conf, const char *key, const char *raw, unsigned line,
		  int depth, char **out_r)
{
	char q[CONF_QUOTE_MAX];
	struct conf_sb sb = { .limit = CONF_VALUE_MAX };
	const char *p = raw;
	while (*p != '\0') {
		const char *d = strchr(p, '$'), *name = NULL;
		size_t n = d != NULL ? (size_t)(d - p) : strlen(p);
		conf_sb_add(&sb, p, n);
		if (d == NULL)
			break;
		long used = ref_syntax(d, &name, &n);
		if (used < 0) {
			free(sb.s);
			return conf_error(conf, line,
					  "setting \"%s\": bad \"$\" at %s (use $name, ${name} or $$)",
					  key, conf_quote(q, d, strnlen(d, 20)));
		}
		p = d + used;
		if (n == 0) {
			conf_sb_add(&sb, "$", 1);
			continue;
		}
		int j = conf_setting_index(name, n);
		if (j < 0 || conf_settings[j].service_scope) {
			free(sb.s);
			return conf_error(conf, line, "setting \"%s\": undefined \"$%.*s\"", key,
					  (int)n, name);
		}
		if (conf->global[j].state == CONF_BUSY) {
			free(sb.s);
			return conf_error(conf, line, "setting \"%s\": expansion loop through \"$%s\"",
					  key, conf_settings[j].name);
		}
		if (resolve(conf, j, line, depth + 1) < 0) {
			free(sb.s);
			return -1;
		}
		if (conf->global[j].text == NULL) {
			free(sb.s);
			return conf_error(conf, line, "setting \"%s\": \"$%s\" has no value", key,
					  conf_settings[j].name);
		}
		conf_sb_add(&sb, conf->global[j].text, strlen(conf->global[j].text));
	}
	conf_sb_add(&sb, "", 0);
	if (sb.error) {
		free(sb.s);
		return conf_error(conf, line, "setting \"%s\": value longer than %d bytes after "
				  "expansion", key, CONF_VALUE_MAX);
	}
	*out_r = sb.s;
	return 0;
}

/* mydomain's default: myhostname minus its first label. */
static int derive_mydomain(struct conf *conf, struct conf_value *v, unsigned line, int depth)
{
	int h = conf_setting_index("myhostname", 10);
	if (conf->global[h].state == CONF_BUSY)
		return conf_error(conf, line, "setting \"mydomain\": expansion loop through "
				  "\"$myhostname\" (mydomain defaults to it)");
	if (resolve(conf, h, line, depth + 1) < 0)
		return -1;
	const char *host = conf->global[h].text, *dot = strchr(host, '.');
	v->text = strdup(dot != NULL && dot[1] != '\0' ? dot + 1 : host);
	return v->text != NULL ? 0 : conf_error(conf, line, "out of memory");
}

/* Make global[i].text; `line` is the nearest file line for messages. */
static int resolve(struct conf *conf, int i, unsigned line, int depth)
{
	struct conf_value *v = &conf->global[i];
	if (v->state == CONF_DONE)
		return 0;
	if (v->line != 0)
		line = v->line;
	if (depth > CONF_EXPAND_DEPTH)
		return conf_error(conf, line, "setting \"%s\": $expansion nested deeper than %d",
				  conf_settings[i].name, CONF_EXPAND_DEPTH);
	v->state = CONF_BUSY;
	int ret = 0;
	if (v->raw == NULL && strcmp(conf_settings[i].name, "mydomain") == 0)
		ret = derive_mydomain(conf, v, line, depth);
	else if (v->raw != NULL && v->literal)
		ret = (v->text = strdup(v->raw)) != NULL ? 0 : conf_error(conf, line, "out of memory");
	else if (v->raw != NULL)
		ret = expand(conf, conf_settings[i].name, v->raw, line, depth, &v->text);
	v->state = CONF_DONE;
	return ret;
}

/* Type-check a value; a failing default (line 0) is a bug in the table. */
static int typecheck(struct conf *conf, int i, struct conf_value *v)
{
	char why[CONF_QUOTE_MAX + 64];
	if (v->text == NULL || conf_value_parse(conf_settings[i].type, v, why, sizeof(why)) == 0)
		return 0;
	if (v->line == 0) {
		fprintf(stderr, "conf: default of \"%s\" is invalid: %s\n", conf_settings[i].name,
			why);
		abort();
	}
	return conf_error(conf, v->line, "setting \"%s\": %s", conf_settings[i].name, why);
}

/* Defaults: global slots not set in the file, and the service-scope table. */
static int set_defaults(struct conf *conf)
{
	for (size_t i = 0; i < conf->nsettings; i++) {
		const struct conf_setting *s = &conf_settings[i];
		struct conf_value *v = s->service_scope ? &conf->defaults[i] : &conf->global[i];
		if (v->line != 0)
			continue;
		if (s->def != NULL) {
			if ((v->raw = strdup(s->def)) == NULL)
				return conf_error(conf, 0, "out of memory");
		} else if (strcmp(s->name, "myhostname") == 0) {
			char host[256] = "";
			if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
				strcpy(host, "localhost");
			v->literal = true;
			if ((v->raw = strdup(host)) == NULL)
				return conf_error(conf, 0, "out of memory");
		}
	}
	for (size_t i = 0; i < conf->nsettings; i++) {
		struct conf_value *v = &conf->defaults[i];
		if (!conf_settings[i].service_scope || v->raw == NULL)
			continue;
		if ((v->text = strdup(v->raw)) == NULL)
			return conf_error(conf, 0, "out of memory");
		typecheck(conf, (int)i, v);
	}
	return 0;
}

/* One explicit value of a service block or one listener, for line ordering. */
struct item {
	unsigned line;
	int svc;	   /* -1 = global */
	int idx;	   /* setting index, -1 = the svc's listener number `lis` */
	size_t lis;
};

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	return (x->line > y->line) - (x->line < y->line);
}

static int check_listener(struct conf *conf, struct conf_service *s, size_t k)
{
	char why[CONF_QUOTE_MAX + 64];
	struct conf_rawlisten *r = &s->raws[k];
	if (expand(conf, "listen", r->raw, r->line, 0, &r->text) < 0)
		return -1;
	if (conf_listen_parse(r->text, &s->listens[k], why, sizeof(why)) < 0)
		return conf_error(conf, r->line, "setting \"listen\": %s", why);
	for (size_t j = 0; j < s->nlisten; j++)
		if (j != k && s->raws[j].text != NULL &&
		    strcmp(s->listens[j].name, s->listens[k].name) == 0)
			return conf_error(conf, r->line, "listener \"%s\" already defined at line %u",
					  s->listens[k].name, s->raws[j].line);
	return 0;
}

static int check_item(struct conf *conf, const struct item *it)
{
	if (it->svc < 0) {
		if (resolve(conf, it->idx, it->line, 0) < 0)
			return -1;
		return typecheck(conf, it->idx, &conf->global[it->idx]);
	}
	struct conf_service *s = &conf->svc[it->svc];
	if (it->idx < 0)
		return check_listener(conf, s, it->lis);
	struct conf_value *v = &s->vals[it->idx];
	if (expand(conf, conf_settings[it->idx].name, v->raw, v->line, 0, &v->text) < 0)
		return -1;
	return typecheck(conf, it->idx, v);
}

/* Every explicit value of the file, sorted by line. */
static struct item *collect(struct conf *conf, size_t *n_r)
{
	size_t n = conf->nsettings * (CONF_SERVICE_COUNT + 1);
	for (int k = 0; k < CONF_SERVICE_COUNT; k++)
		n += conf->svc[k].nlisten;
	struct item *items = calloc(n + 1, sizeof(*items));
	if (items == NULL)
		return NULL;
	n = 0;
	for (size_t i = 0; i < conf->nsettings; i++)
		if (conf->global[i].line != 0)
			items[n++] = (struct item){ conf->global[i].line, -1, (int)i, 0 };
	for (int k = 0; k < CONF_SERVICE_COUNT; k++) {
		struct conf_service *s = &conf->svc[k];
		for (size_t i = 0; i < conf->nsettings; i++)
			if (s->vals[i].line != 0)
				items[n++] = (struct item){ s->vals[i].line, k, (int)i, 0 };
		for (size_t j = 0; j < s->nlisten; j++)
			items[n++] = (struct item){ s->raws[j].line, k, -1, j };
	}
	qsort(items, n, sizeof(*items), item_cmp);
	*n_r = n;
	return items;
}

int conf_finish(struct conf *conf)
{
	if (set_defaults(conf) < 0)
		return -1;
	for (int k = 0; k < CONF_SERVICE_COUNT; k++) {
		struct conf_service *s = &conf->svc[k];
		if (s->nlisten > 0 && (s->listens = calloc(s->nlisten, sizeof(*s->listens))) == NULL)
			return conf_error(conf, 0, "out of memory");
	}
	size_t n;
	struct item *items = collect(conf, &n);
	if (items == NULL)
		return conf_error(conf, 0, "out of memory");
	int ret = 0;
	for (size_t k = 0; k < n && ret == 0; k++)
		ret = check_item(conf, &items[k]);
	free(items);
	for (size_t i = 0; i < conf->nsettings && ret == 0; i++) {
		if (conf_settings[i].service_scope || conf->global[i].line != 0)
			continue;
		ret = resolve(conf, (int)i, 0, 0);
		if (ret == 0)
			ret = typecheck(conf, (int)i, &conf->global[i]);
	}
	return ret;
}
