/* fuzz_conf: libFuzzer harness for the tern.conf parser. Loads arbitrary
 * bytes with conf_load_string (up to the first NUL), then reads every
 * setting of every scope back, the fingerprints, and conf_expand_user.
 * Invariants checked: a failed load names "fuzz.conf"; values read back are
 * well formed (list items non-empty, listeners valid). Violations abort. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_conf: invariant failed: %s\n", what);
		abort();
	}
}

static void read_value(const struct conf *conf, const char *svc, const struct conf_setting *s)
{
	const char *const *items;
	const struct conf_listen *l;
	size_t n;
	switch (s->type) {
	case CONF_STR:
		(void)conf_str(conf, svc, s->name);
		break;
	case CONF_BOOL:
		(void)conf_bool(conf, svc, s->name);
		break;
	case CONF_INT:
		(void)conf_int(conf, svc, s->name);
		break;
	case CONF_TIME:
		(void)conf_time_ms(conf, svc, s->name);
		break;
	case CONF_SIZE:
		(void)conf_size(conf, svc, s->name);
		break;
	case CONF_MODE:
		check(conf_mode(conf, svc, s->name) <= 07777, "mode range");
		break;
	case CONF_LIST:
		n = conf_list(conf, svc, s->name, &items);
		for (size_t i = 0; i < n; i++)
			check(items[i][0] != '\0' && strpbrk(items[i], ", \t") == NULL, "list item");
		break;
	case CONF_LISTEN:
		n = conf_listeners(conf, svc, &l);
		for (size_t i = 0; i < n; i++)
			check(l[i].name[0] != '\0' && l[i].mode <= 07777 && l[i].backlog > 0 &&
				      (strncmp(l[i].address, "inet:", 5) == 0 ||
				       strncmp(l[i].address, "unix:", 5) == 0),
			      "listener");
		break;
	}
	(void)conf_is_set(conf, svc, s->name);
}

static void read_all(const struct conf *conf)
{
	for (const struct conf_setting *s = conf_settings; s->name != NULL; s++) {
		if (!s->service_scope)
			read_value(conf, NULL, s);
		for (int k = 0; k < CONF_SERVICE_COUNT; k++)
			read_value(conf, conf_service_names[k], s);
	}
	for (int k = 0; k < CONF_SERVICE_COUNT; k++) {
		(void)conf_service_defined(conf, conf_service_names[k]);
		char *a = conf_fingerprint(conf, conf_service_names[k]);
		char *b = conf_fingerprint(conf, conf_service_names[k]);
		check(a != NULL && b != NULL && strcmp(a, b) == 0, "fingerprint stable");
		free(a);
		free(b);
	}
}

/* The first line is a template, the rest a user name. */
static void expand_user(const char *text, size_t size)
{
	const char *nl = strchr(text, '\n');
	if (nl == NULL)
		return;
	char *tmpl = strndup(text, (size_t)(nl - text)), out[128];
	size_t outsize = size % sizeof(out) + 1;
	memset(out, 'z', sizeof(out));
	int ret = conf_expand_user(tmpl, nl + 1, out, outsize);
	check(ret == 0 || ret == -1, "expand_user return");
	check(memchr(out, '\0', outsize) != NULL, "expand_user terminates");
	check(ret < 0 || strlen(out) < outsize, "expand_user fits");
	free(tmpl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[256];
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct conf *conf = conf_load_string(text, "fuzz.conf", err, sizeof(err));
	if (conf != NULL)
		read_all(conf);
	else
		check(strncmp(err, "fuzz.conf:", 10) == 0, "error names the file");
	conf_free(&conf);
	expand_user(text, size);
	free(text);
	return 0;
}
