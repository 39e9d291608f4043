/* conf: loading tern.conf (conf_parse.c lexes, conf_value.c expands and
 * type-checks), the immutable struct conf and its typed getters, the
 * per-service fingerprint master compares across reloads, and %u/%n/%d user
 * templates.
 * Invariants: a conf handed out is complete and valid; getters never fail on
 * input, they abort on programming errors (unknown key, wrong type). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf_impl.h"
#include "fileio.h"

void conf_sb_add(struct conf_sb *sb, const char *s, size_t len)
{
	if (sb->error)
		return;
	size_t limit = sb->limit ? sb->limit : SIZE_MAX / 4;
	if (len > limit - sb->len) {
		sb->error = true;
		return;
	}
	if (sb->len + len + 1 > sb->size) {
		size_t size = sb->size ? sb->size : 64;
		while (size < sb->len + len + 1)
			size *= 2;
		char *p = realloc(sb->s, size);
		if (p == NULL) {
			sb->error = true;
			return;
		}
		sb->s = p;
		sb->size = size;
	}
	memcpy(sb->s + sb->len, s, len);
	sb->len += len;
	sb->s[sb->len] = '\0';
}

void conf_sb_printf(struct conf_sb *sb, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		char *big = NULL;
		va_start(ap, fmt);
		n = n < 0 ? -1 : vasprintf(&big, fmt, ap);
		va_end(ap);
		if (n >= 0)
			conf_sb_add(sb, big, (size_t)n);
		else
			sb->error = true;
		free(big);
		return;
	}
	conf_sb_add(sb, tmp, (size_t)n);
}

int conf_error(struct conf *conf, unsigned line, const char *fmt, ...)
{
	if (conf->err == NULL || conf->errsize == 0 || conf->err[0] != '\0')
		return -1; /* keep the first error */
	int n = line ? snprintf(conf->err, conf->errsize, "%s:%u: ", conf->path, line)
		     : snprintf(conf->err, conf->errsize, "%s: ", conf->path);
	if (n >= 0 && (size_t)n < conf->errsize) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(conf->err + n, conf->errsize - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

const char *conf_quote(char buf[CONF_QUOTE_MAX], const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	buf[o++] = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (o + 4 + 5 > CONF_QUOTE_MAX) {
			memcpy(buf + o, "\"...", 4);
			buf[o + 4] = '\0';
			return buf;
		}
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

int conf_setting_index(const char *name, size_t len)
{
	for (int i = 0; conf_settings[i].name != NULL; i++)
		if (strncmp(conf_settings[i].name, name, len) == 0 &&
		    conf_settings[i].name[len] == '\0')
			return i;
	return -1;
}

int conf_service_index(const char *name, size_t len)
{
	for (int i = 0; i < CONF_SERVICE_COUNT; i++)
		if (strncmp(conf_service_names[i], name, len) == 0 &&
		    conf_service_names[i][len] == '\0')
			return i;
	return -1;
}

void conf_value_clear(struct conf_value *v)
{
	free(v->raw);
	free(v->text);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

void conf_free(struct conf **confp)
{
	struct conf *conf = *confp;
	if (conf == NULL)
		return;
	for (size_t i = 0; i < conf->nsettings; i++) {
		conf_value_clear(&conf->global[i]);
		conf_value_clear(&conf->defaults[i]);
		for (int k = 0; k < CONF_SERVICE_COUNT; k++)
			conf_value_clear(&conf->svc[k].vals[i]);
	}
	for (int k = 0; k < CONF_SERVICE_COUNT; k++) {
		struct conf_service *s = &conf->svc[k];
		for (size_t j = 0; j < s->nlisten; j++) {
			free(s->raws[j].raw);
			free(s->raws[j].text);
		}
		free(s->raws);
		free(s->listens);
		free(s->vals);
	}
	free(conf->global);
	free(conf->defaults);
	free(conf->path);
	free(conf);
	*confp = NULL;
}

static struct conf *conf_new(const char *name)
{
	struct conf *conf = calloc(1, sizeof(*conf));
	if (conf == NULL)
		return NULL;
	while (conf_settings[conf->nsettings].name != NULL)
		conf->nsettings++;
	size_t n = conf->nsettings;
	bool ok = (conf->path = strdup(name)) != NULL &&
		  (conf->global = calloc(n, sizeof(struct conf_value))) != NULL &&
		  (conf->defaults = calloc(n, sizeof(struct conf_value))) != NULL;
	for (int k = 0; ok && k < CONF_SERVICE_COUNT; k++)
		ok = (conf->svc[k].vals = calloc(n, sizeof(struct conf_value))) != NULL;
	if (!ok)
		conf_free(&conf);
	return conf;
}

struct conf *conf_load_string(const char *text, const char *name, char *err, size_t errsize)
{
	if (err != NULL && errsize > 0)
		err[0] = '\0';
	struct conf *conf = conf_new(name != NULL ? name : "(string)");
	if (conf == NULL) {
		if (err != NULL && errsize > 0)
			snprintf(err, errsize, "%s: out of memory", name != NULL ? name : "(string)");
		return NULL;
	}
	conf->err = err;
	conf->errsize = errsize;
	int ret = text == NULL ? conf_error(conf, 0, "no text") : 0;
	if (ret == 0)
		ret = conf_parse_text(conf, text, strlen(text));
	if (ret == 0)
		ret = conf_finish(conf);
	conf->err = NULL;
	conf->errsize = 0;
	if (ret < 0)
		conf_free(&conf);
	return conf;
}

struct conf *conf_load(const char *path, char *err, size_t errsize)
{
	if (path == NULL)
		path = TERN_DEFAULT_CONFIG;
	if (err != NULL && errsize > 0)
		err[0] = '\0';
	struct conf *conf = conf_new(path);
	if (conf == NULL) {
		if (err != NULL && errsize > 0)
			snprintf(err, errsize, "%s: out of memory", path);
		return NULL;
	}
	conf->err = err;
	conf->errsize = errsize;
	const char *why = NULL;
	char *text = NULL;
	size_t len = 0;
	int ret, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		ret = conf_error(conf, 0, "cannot open: %s", strerror(errno));
	else if ((ret = file_read_fd(fd, CONF_FILE_MAX, &text, &len)) < 0) {
		why = errno == EFBIG ? "file larger than 4 MiB" : strerror(errno);
		conf_error(conf, 0, "cannot read: %s", why);
	}
	if (fd >= 0)
		close(fd);
	if (ret == 0)
		ret = conf_parse_text(conf, text, len);
	if (ret == 0)
		ret = conf_finish(conf);
	free(text);
	conf->err = NULL;
	conf->errsize = 0;
	if (ret < 0)
		conf_free(&conf);
	return conf;
}

const char *conf_path(const struct conf *conf)
{
	return conf->path;
}
