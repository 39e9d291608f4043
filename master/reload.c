/* reload: SIGHUP in master. The new config is loaded beside the old one and
 * only swapped in when valid. A service whose fingerprint (its block plus
 * the global settings it reads) is unchanged keeps running and gets SIGHUP
 * to re-read its data; a changed one is stopped gracefully and started
 * again with the new settings; listeners with an unchanged spec keep their
 * fd throughout, so no connection is refused during a reload. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "master.h"

static struct master_service *slot_for(struct master *m, const char *name)
{
	struct master_service *svc = master_find_service(m, name);
	if (svc)
		return svc;
	svc = &m->services[m->service_count++];
	memset(svc, 0, sizeof(*svc));
	svc->owner = m;
	svc->removed = true; /* not running; reset below */
	snprintf(svc->name, sizeof(svc->name), "%s", name);
	return svc;
}

/* Apply new settings to one service that must (re)start. */
static void restart_changed(struct master *m, const struct conf *conf,
			    struct master_service *svc, char *fingerprint)
{
	struct master_service old = *svc; /* listeners of the previous generation */
	char err[512];
	if (master_bind_listeners(conf, svc, &old, err, sizeof(err)) < 0) {
		log_error("reload-service-failed service=%s error=%s", svc->name, log_str(err));
		*svc = old;
		free(fingerprint);
		return;
	}
	master_close_listeners(&old); /* whatever was not taken over */
	free(svc->fingerprint);
	svc->fingerprint = fingerprint;
	bool was_removed = svc->removed;
	svc->removed = false;
	if (svc->pid) {
		svc->respawn_now = true;
		kill(svc->pid, SIGTERM);
		log_info("reload-restart service=%s pid=%ld", svc->name, (long)svc->pid);
	} else if (svc->restart_timer == 0 || was_removed) {
		master_spawn(m, svc);
	}
}

static void apply(struct master *m, const struct conf *conf)
{
	for (unsigned i = 0; i < CONF_SERVICE_COUNT; i++) {
		const char *name = conf_service_names[i];
		bool enabled = conf_service_defined(conf, name) && conf_bool(conf, name, "enabled") &&
			       strcmp(name, "master") != 0;
		struct master_service *svc = master_find_service(m, name);
		if (!enabled) {
			if (svc && !svc->removed) {
				svc->removed = true;
				master_close_listeners(svc);
				if (svc->pid)
					kill(svc->pid, SIGTERM);
				log_info("reload-remove service=%s", name);
			}
			continue;
		}
		svc = slot_for(m, name);
		char *fp = conf_fingerprint(conf, name);
		if (!svc->removed && svc->fingerprint && strcmp(svc->fingerprint, fp) == 0) {
			free(fp);
			if (svc->pid)
				kill(svc->pid, SIGHUP);
			continue;
		}
		restart_changed(m, conf, svc, fp);
	}
}

void master_reload(struct master *m)
{
	char err[512];
	struct conf *conf = conf_load(m->config_path, err, sizeof(err));
	if (conf == NULL) {
		log_error("reload-failed error=%s", log_str(err));
		return;
	}
	if (master_prepare_dirs(conf, err, sizeof(err)) < 0) {
		log_error("reload-failed error=%s", log_str(err));
		conf_free(&conf);
		return;
	}
	struct conf *old = m->conf;
	m->conf = conf; /* spawns below must see the new config */
	apply(m, conf);
	conf_free(&old);
	int level = log_level_parse(conf_str(conf, NULL, "log_level"));
	if (level >= 0)
		log_set_level((enum log_level)level);
	log_info("reloaded config=%s", log_str(m->config_path));
}
