/* conf_get: reading a loaded conf: the typed getters, listeners, the
 * per-service fingerprint, and %u/%n/%d user templates (conf_expand_user).
 * Invariants: getters never fail on input (the conf was validated at load);
 * an unknown key or service, or a getter of the wrong type, is a programming
 * error and aborts with a message. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf_impl.h"

__attribute__((noreturn)) static void die(const char *fn, const char *service, const char *key,
					  const char *why)
{
	fprintf(stderr, "conf: %s(service=%s, key=%s): %s\n", fn, service ? service : "(global)",
		key ? key : "(null)", why);
	abort();
}

static int svc_index(const char *fn, const char *service, const char *key)
{
	if (service == NULL)
		die(fn, service, key, "a service-scope setting needs a service name");
	int k = conf_service_index(service, strlen(service));
	if (k < 0)
		die(fn, service, key, "unknown service");
	return k;
}

static int key_index(const char *fn, const char *service, const char *key)
{
	int i = key != NULL ? conf_setting_index(key, strlen(key)) : -1;
	if (i < 0)
		die(fn, service, key, "unknown setting");
	return i;
}

/* The effective value of a key in a scope (block value, else default). A
 * global key reads the same in every scope. */
static const struct conf_value *get(const struct conf *conf, const char *service,
				    const char *key, enum conf_type type, const char *fn)
{
	int i = key_index(fn, service, key);
	const struct conf_setting *s = &conf_settings[i];
	if (s->type != type)
		die(fn, service, key, "getter does not match the setting's type");
	if (!s->service_scope) {
		if (service != NULL)
			svc_index(fn, service, key);
		return &conf->global[i];
	}
	const struct conf_value *v = &conf->svc[svc_index(fn, service, key)].vals[i];
	return v->line != 0 ? v : &conf->defaults[i];
}

const char *conf_str(const struct conf *conf, const char *service, const char *key)
{
	return get(conf, service, key, CONF_STR, __func__)->text;
}

bool conf_bool(const struct conf *conf, const char *service, const char *key)
{
	return get(conf, service, key, CONF_BOOL, __func__)->num != 0;
}

uint64_t conf_int(const struct conf *conf, const char *service, const char *key)
{
	return get(conf, service, key, CONF_INT, __func__)->num;
}

uint64_t conf_time_ms(const struct conf *conf, const char *service, const char *key)
{
	return get(conf, service, key, CONF_TIME, __func__)->num;
}

uint64_t conf_size(const struct conf *conf, const char *service, const char *key)
{
	return get(conf, service, key, CONF_SIZE, __func__)->num;
}

unsigned conf_mode(const struct conf *conf, const char *service, const char *key)
{
	return (unsigned)get(conf, service, key, CONF_MODE, __func__)->num;
}

size_t conf_list(const struct conf *conf, const char *service, const char *key,
		 const char *const **items_r)
{
	const struct conf_value *v = get(conf, service, key, CONF_LIST, __func__);
	*items_r = v->items;
	return v->nitems;
}

size_t conf_listeners(const struct conf *conf, const char *service,
		      const struct conf_listen **listens_r)
{
	const struct conf_service *s = &conf->svc[svc_index(__func__, service, "listen")];
	*listens_r = s->listens;
	return s->nlisten;
}

bool conf_service_defined(const struct conf *conf, const char *service)
{
	return conf->svc[svc_index(__func__, service, NULL)].defined;
}

bool conf_is_set(const struct conf *conf, const char *service, const char *key)
{
	int i = key_index(__func__, service, key);
	if (!conf_settings[i].service_scope) {
		if (service != NULL)
			svc_index(__func__, service, key);
		return conf->global[i].line != 0;
	}
	const struct conf_service *s = &conf->svc[svc_index(__func__, service, key)];
	return conf_settings[i].type == CONF_LISTEN ? s->nlisten > 0 : s->vals[i].line != 0;
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted "key=value" lines of a scope; NULL on allocation failure. */
static char **fingerprint_lines(const struct conf *conf, int k, size_t *n_r)
{
	char **lines = calloc(conf->nsettings + 1, sizeof(char *));
	size_t n = 0;
	for (size_t i = 0; lines != NULL && i < conf->nsettings; i++) {
		const struct conf_setting *s = &conf_settings[i];
		const struct conf_value *v = NULL;
		if (!s->service_scope && (k < 0 || (s->services & (1u << k))))
			v = &conf->global[i];
		else if (s->service_scope && k >= 0 && s->type != CONF_LISTEN)
			v = conf->svc[k].vals[i].line ? &conf->svc[k].vals[i] : &conf->defaults[i];
		if (v == NULL || v->text == NULL)
			continue;
		struct conf_sb sb = { 0 };
		conf_sb_printf(&sb, "%s%s=", s->service_scope ? "service." : "", s->name);
		conf_value_norm(&sb, s->type, v);
		conf_sb_add(&sb, "\n", 1);
		lines[n++] = sb.s;
		if (sb.error) {
			while (n > 0)
				free(lines[--n]);
			free(lines);
			return NULL;
		}
	}
	if (lines != NULL)
		qsort(lines, n, sizeof(char *), line_cmp);
	*n_r = n;
	return lines;
}

char *conf_fingerprint(const struct conf *conf, const char *service)
{
	int k = service != NULL ? svc_index(__func__, service, NULL) : -1;
	size_t n;
	char **lines = fingerprint_lines(conf, k, &n);
	if (lines == NULL)
		return NULL;
	struct conf_sb sb = { 0 };
	conf_sb_add(&sb, "", 0);
	if (k >= 0)
		conf_sb_printf(&sb, "service=%s defined=%s\n", service,
			       conf->svc[k].defined ? "yes" : "no");
	for (size_t i = 0; i < n; i++) {
		conf_sb_add(&sb, lines[i], strlen(lines[i]));
		free(lines[i]);
	}
	free(lines);
	for (size_t j = 0; k >= 0 && j < conf->svc[k].nlisten; j++) {
		conf_sb_add(&sb, "service.listen=", 15);
		conf_listen_norm(&sb, &conf->svc[k].listens[j]);
		conf_sb_add(&sb, "\n", 1);
	}
	if (sb.error) {
		free(sb.s);
		return NULL;
	}
	return sb.s;
}

/* One variable of a user template at p (after '%' and an optional 'L');
 * sets *val_r and *len_r, returns the template bytes consumed, -1 if unknown. */
static int user_var(const char *p, const char *user, char **val_r, size_t *len_r)
{
	static const struct {
		const char *name;
		char part; /* u whole, n local part, d domain */
	} vars[] = { { "u", 'u' }, { "n", 'n' }, { "d", 'd' }, { "{user}", 'u' },
		     { "{username}", 'n' }, { "{domain}", 'd' } };
	const char *at = strchr(user, '@');
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		size_t len = strlen(vars[i].name);
		if (strncmp(p, vars[i].name, len) != 0)
			continue;
		*val_r = (char *)user;
		*len_r = strlen(user);
		if (vars[i].part == 'n' && at != NULL)
			*len_r = (size_t)(at - user);
		if (vars[i].part == 'd') {
			*val_r = at != NULL ? (char *)at + 1 : (char *)"";
			*len_r = strlen(*val_r);
		}
		return (int)len;
	}
	return -1;
}

int conf_expand_user(const char *tmpl, const char *user, char *out, size_t outsize)
{
	if (out == NULL || outsize == 0)
		return -1;
	out[0] = '\0';
	if (tmpl == NULL || user == NULL)
		return -1;
	size_t o = 0;
	for (const char *p = tmpl; *p != '\0';) {
		char *val = (char *)p;
		size_t len = 1;
		bool lower = false;
		if (*p == '%') {
			lower = p[1] == 'L';
			p += 1 + lower;
			int used = *p == '%' && !lower ? 1 : user_var(p, user, &val, &len);
			if (used < 0) {
				out[0] = '\0';
				return -1;
			}
			p += used;
		} else {
			p++;
		}
		if (len >= outsize - o) {
			out[0] = '\0';
			return -1;
		}
		for (size_t i = 0; i < len; i++)
			out[o++] = lower ? (char)tolower((unsigned char)val[i]) : val[i];
		out[o] = '\0';
	}
	return 0;
}

int conf_listener_unix_path(const struct conf *conf, const char *service, const char *name,
			    char *out, size_t outsize)
{
	const struct conf_listen *ls;
	size_t n = conf_listeners(conf, service, &ls);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ls[i].name, name) != 0)
			continue;
		if (strncmp(ls[i].address, "unix:", 5) != 0 || ls[i].address[5] == '\0')
			return -1;
		const char *path = ls[i].address + 5;
		int len = path[0] == '/' ? snprintf(out, outsize, "%s", path)
					 : snprintf(out, outsize, "%s/%s",
						    conf_str(conf, NULL, "run_directory"), path);
		return len > 0 && (size_t)len < outsize ? 0 : -1;
	}
	return -1;
}
