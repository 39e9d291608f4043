/* conf_parse: the tern.conf lexer. Splits text into lines, joins global
 * continuation lines (Postfix main.cf style), opens and closes service
 * blocks, splits "key = value", unquotes the value and stores it raw
 * (unexpanded, untyped) in the conf slot of its scope.
 * Invariants: never reads past len; a line is at most CONF_LINE_MAX bytes and
 * a value at most CONF_VALUE_MAX; stops at the first error (file:line). */
#include <stdlib.h>
#include <string.h>
#include "conf_impl.h"

struct lexer {
	struct conf *conf;
	int svc;	   /* service index of the open block, -1 = none */
	struct conf_sb pend; /* pending global logical line */
	bool pending;
	unsigned pend_line;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void trim(const char **s, size_t *len)
{
	while (*len > 0 && is_blank(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_blank((*s)[*len - 1]))
		(*len)--;
}

/* Unquote a value: "..." with \" and \\ escapes, or the text as is. */
static int unquote(struct lexer *lx, const char *key, const char *v, size_t n,
		   unsigned line, char **out_r)
{
	char q[CONF_QUOTE_MAX];
	char *out = malloc(n + 1), *o = out;
	if (out == NULL)
		return conf_error(lx->conf, line, "out of memory");
	if (n == 0 || v[0] != '"') {
		memcpy(out, v, n);
		out[n] = '\0';
		*out_r = out;
		return 0;
	}
	size_t i = 1;
	for (; i < n && v[i] != '"'; i++) {
		if (v[i] == '\\') {
			if (i + 1 >= n || (v[i + 1] != '"' && v[i + 1] != '\\')) {
				free(out);
				return conf_error(lx->conf, line,
						  "setting \"%s\": bad escape %s in quoted value "
						  "(only \\\" and \\\\)", key,
						  conf_quote(q, v + i, i + 1 < n ? 2 : 1));
			}
			i++;
		}
		*o++ = v[i];
	}
	*o = '\0';
	if (i >= n || i + 1 != n) {
		free(out);
		return conf_error(lx->conf, line, "setting \"%s\": %s", key,
				  i >= n ? "missing closing quote" : "text after closing quote");
	}
	*out_r = out;
	return 0;
}

static int store_listen(struct lexer *lx, char *value, unsigned line)
{
	struct conf_service *s = &lx->conf->svc[lx->svc];
	if (s->nlisten == s->listen_alloc) {
		size_t n = s->listen_alloc ? s->listen_alloc * 2 : 4;
		struct conf_rawlisten *r = realloc(s->raws, n * sizeof(*r));
		if (r == NULL) {
			free(value);
			return conf_error(lx->conf, line, "out of memory");
		}
		s->raws = r;
		s->listen_alloc = n;
	}
	s->raws[s->nlisten++] = (struct conf_rawlisten){ .raw = value, .line = line };
	return 0;
}

/* Find the key's slot in the current scope; -1 with an error when the key
 * does not belong there or is already set. */
static int key_slot(struct lexer *lx, const char *key, size_t keylen, unsigned line,
		    int *idx_r)
{
	char q[CONF_QUOTE_MAX];
	int i = conf_setting_index(key, keylen);
	if (i < 0)
		return conf_error(lx->conf, line, "unknown setting %s", conf_quote(q, key, keylen));
	const struct conf_setting *set = &conf_settings[i];
	if (lx->svc < 0 && set->service_scope)
		return conf_error(lx->conf, line, "\"%s\" is only valid inside a service block",
				  set->name);
	if (lx->svc >= 0 && !set->service_scope)
		return conf_error(lx->conf, line, "\"%s\" is not valid inside a service block",
				  set->name);
	const struct conf_value *v = lx->svc < 0 ? &lx->conf->global[i]
						 : &lx->conf->svc[lx->svc].vals[i];
	if (v->line != 0)
		return conf_error(lx->conf, line, "setting \"%s\" already set at line %u",
				  set->name, v->line);
	*idx_r = i;
	return 0;
}

/* One "key = value" logical line (already trimmed). */
static int assign(struct lexer *lx, const char *s, size_t n, unsigned line)
{
	char q[CONF_QUOTE_MAX];
	const char *eq = memchr(s, '=', n);
	if (eq == NULL)
		return conf_error(lx->conf, line, "missing \"=\" in %s", conf_quote(q, s, n));
	const char *key = s, *val = eq + 1;
	size_t keylen = (size_t)(eq - s), vallen = n - keylen - 1;
	trim(&key, &keylen);
	trim(&val, &vallen);
	if (keylen == 0)
		return conf_error(lx->conf, line, "missing setting name before \"=\"");
	int i = 0;
	if (key_slot(lx, key, keylen, line, &i) < 0)
		return -1;
	const char *name = conf_settings[i].name;
	if (vallen > CONF_VALUE_MAX)
		return conf_error(lx->conf, line, "setting \"%s\": value longer than %d bytes",
				  name, CONF_VALUE_MAX);
	char *value = NULL;
	if (unquote(lx, name, val, vallen, line, &value) < 0)
		return -1;
	if (conf_settings[i].type == CONF_LISTEN)
		return store_listen(lx, value, line);
	struct conf_value *v = lx->svc < 0 ? &lx->conf->global[i] : &lx->conf->svc[lx->svc].vals[i];
	v->raw = value;
	v->line = line;
	return 0;
}

static int flush(struct lexer *lx)
{
	if (!lx->pending)
		return 0;
	lx->pending = false;
	if (lx->pend.error)
		return conf_error(lx->conf, lx->pend_line,
				  "line longer than %d bytes with its continuation lines",
				  CONF_LINE_MAX);
	return assign(lx, lx->pend.s, lx->pend.len, lx->pend_line);
}

static int start(struct lexer *lx, const char *s, size_t n, unsigned line)
{
	lx->pend.len = 0;
	lx->pend.error = false;
	conf_sb_add(&lx->pend, s, n);
	lx->pending = true;
	lx->pend_line = line;
	return 0;
}

static int cont(struct lexer *lx, const char *s, size_t n, unsigned line)
{
	if (!lx->pending)
		return conf_error(lx->conf, line,
				  "continuation line (starts with whitespace) without a setting before it");
	conf_sb_add(&lx->pend, " ", 1);
	conf_sb_add(&lx->pend, s, n);
	return 0;
}

/* Is this line "service ..." (a block opener, not "service = ...")? */
static bool is_service_line(const char *s, size_t n)
{
	if (n < 8 || memcmp(s, "service", 7) != 0 || !is_blank(s[7]))
		return false;
	size_t i = 8;
	while (i < n && is_blank(s[i]))
		i++;
	return i < n && s[i] != '=';
}

static int open_block(struct lexer *lx, const char *s, size_t n, unsigned line)
{
	char q[CONF_QUOTE_MAX];
	if (lx->svc >= 0)
		return conf_error(lx->conf, line, "service blocks do not nest (block \"%s\" is open)",
				  conf_service_names[lx->svc]);
	if (s[n - 1] != '{')
		return conf_error(lx->conf, line, "expected \"service NAME {\", got %s",
				  conf_quote(q, s, n));
	const char *name = s + 8;
	size_t len = n - 9;
	trim(&name, &len);
	for (size_t i = 0; i < len; i++)
		if (is_blank(name[i]))
			return conf_error(lx->conf, line, "expected \"service NAME {\", got %s",
					  conf_quote(q, s, n));
	int svc = conf_service_index(name, len);
	if (svc < 0)
		return conf_error(lx->conf, line, "unknown service %s", conf_quote(q, name, len));
	struct conf_service *sv = &lx->conf->svc[svc];
	if (sv->defined)
		return conf_error(lx->conf, line, "service \"%s\" already defined at line %u",
				  conf_service_names[svc], sv->line);
	sv->defined = true;
	sv->line = line;
	lx->svc = svc;
	return 0;
}

static int lex_line(struct lexer *lx, const char *s, size_t n, unsigned line)
{
	if (n > CONF_LINE_MAX)
		return conf_error(lx->conf, line, "line longer than %d bytes", CONF_LINE_MAX);
	if (memchr(s, '\0', n) != NULL)
		return conf_error(lx->conf, line, "NUL byte in line");
	const char *t = s;
	size_t tn = n;
	trim(&t, &tn);
	if (tn == 0 || t[0] == '#')
		return 0;
	if (lx->svc >= 0) {
		if (tn == 1 && t[0] == '}') {
			lx->svc = -1;
			return 0;
		}
		if (is_service_line(t, tn))
			return open_block(lx, t, tn, line);
		return assign(lx, t, tn, line);
	}
	if (s[0] == ' ' || s[0] == '\t')
		return cont(lx, t, tn, line);
	if (flush(lx) < 0)
		return -1;
	if (tn == 1 && t[0] == '}')
		return conf_error(lx->conf, line, "\"}\" without an open service block");
	if (is_service_line(t, tn))
		return open_block(lx, t, tn, line);
	return start(lx, t, tn, line);
}

int conf_parse_text(struct conf *conf, const char *text, size_t len)
{
	struct lexer lx = { .conf = conf, .svc = -1, .pend = { .limit = CONF_LINE_MAX } };
	unsigned line = 0;
	size_t pos = 0;
	int ret = 0;
	while (ret == 0 && pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		ret = lex_line(&lx, text + pos, n, ++line);
		pos += n + (nl != NULL);
	}
	if (ret == 0)
		ret = flush(&lx);
	if (ret == 0 && lx.svc >= 0)
		ret = conf_error(conf, conf->svc[lx.svc].line, "service \"%s\" block is not closed",
				 conf_service_names[lx.svc]);
	free(lx.pend.s);
	return ret;
}
