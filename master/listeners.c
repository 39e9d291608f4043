/* listeners: master binds every listening socket a service needs (TCP ports
 * below 1024 too, since master is root) and sets owner and mode on UNIX
 * sockets. Invariants: an fd whose spec did not change across a reload is
 * handed over, not re-bound, so the port never closes; a bind failure names
 * the service, the listener and the address. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "master.h"
#include "net.h"

static bool same_spec(const struct conf_listen *a, const struct conf_listen *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->address, b->address) == 0 &&
	       a->mode == b->mode && strcmp(a->user, b->user) == 0 &&
	       strcmp(a->group, b->group) == 0 && a->backlog == b->backlog;
}

/* Take over the fd of an identical listener from the previous generation. */
static int take_old_fd(struct master_service *old, const struct conf_listen *spec)
{
	if (old == NULL)
		return -1;
	for (size_t i = 0; i < old->listener_count; i++) {
		if (old->listeners[i].fd >= 0 && same_spec(&old->listeners[i].spec, spec)) {
			int fd = old->listeners[i].fd;
			old->listeners[i].fd = -1;
			return fd;
		}
	}
	return -1;
}

static int set_unix_owner(const struct conf *conf, const char *service,
			  const struct conf_listen *spec, const char *path, char *err,
			  size_t errsize)
{
	if (geteuid() == 0) {
		const char *user = spec->user[0] ? spec->user : conf_str(conf, service, "user");
		if (user == NULL)
			user = service_default_user(conf, service);
		const char *group = spec->group[0] ? spec->group : conf_str(conf, service, "group");
		uid_t uid;
		gid_t gid;
		if (service_resolve_ids(user, group, &uid, &gid, err, errsize) < 0)
			return -1;
		if (chown(path, uid, gid) < 0) {
			snprintf(err, errsize, "chown %s: %s", path, strerror(errno));
			return -1;
		}
	}
	if (chmod(path, spec->mode) < 0) {
		snprintf(err, errsize, "chmod %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int bind_one(const struct conf *conf, const char *service, const struct conf_listen *spec,
		    char *err, size_t errsize)
{
	struct net_addr addr;
	char why[256];
	if (net_addr_parse(spec->address, conf_str(conf, NULL, "run_directory"), &addr, why,
			   sizeof(why)) < 0) {
		snprintf(err, errsize, "service %s listen %s: %s", service, spec->name, why);
		return -1;
	}
	int fd = net_listen(&addr, spec->backlog > 0 ? spec->backlog : 128);
	if (fd < 0) {
		snprintf(err, errsize, "service %s listen %s %s: %s", service, spec->name,
			 spec->address, strerror(errno));
		return -1;
	}
	if (addr.is_unix && set_unix_owner(conf, service, spec, addr.path, err, errsize) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int master_bind_listeners(const struct conf *conf, struct master_service *svc,
			  struct master_service *old, char *err, size_t errsize)
{
	const struct conf_listen *specs;
	size_t n = conf_listeners(conf, svc->name, &specs);
	if (n > SERVICE_MAX_LISTENERS) {
		snprintf(err, errsize, "service %s: more than %d listeners", svc->name,
			 SERVICE_MAX_LISTENERS);
		return -1;
	}
	svc->listener_count = 0;
	for (size_t i = 0; i < n; i++) {
		int fd = take_old_fd(old, &specs[i]);
		if (fd < 0)
			fd = bind_one(conf, svc->name, &specs[i], err, errsize);
		if (fd < 0) {
			master_close_listeners(svc);
			return -1;
		}
		svc->listeners[svc->listener_count].spec = specs[i];
		svc->listeners[svc->listener_count].fd = fd;
		svc->listener_count++;
	}
	return 0;
}

void master_close_listeners(struct master_service *svc)
{
	for (size_t i = 0; i < svc->listener_count; i++) {
		if (svc->listeners[i].fd >= 0)
			close(svc->listeners[i].fd);
		svc->listeners[i].fd = -1;
	}
	svc->listener_count = 0;
}
