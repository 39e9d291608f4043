/* ternctl: the admin's command-line tool. main.c dispatches; control.c
 * talks to master's control socket; authcmd.c talks to authd's sockets
 * (auth test, user, lookup), userlist.c lists users; migrate*.c read an old
 * Postfix + Dovecot install (migrate.h); client_io.c holds the small blocking socket
 * helpers they share. */
#ifndef TERN_TERNCTL_H
#define TERN_TERNCTL_H
#include <stddef.h>

#include "conf.h"

#define TERNCTL_TIMEOUT_MS 10000
/* How long a read may wait (ms); stop raises it to cover shutdown_timeout. */
extern int ctl_read_timeout_ms;

/* client_io.c */
int ctl_connect_listener(const struct conf *conf, const char *service, const char *name);
int ctl_connect_path(const char *path);
int ctl_write_all(int fd, const void *data, size_t len);
/* Read one line (without LF) into out; 1 = line, 0 = EOF, -1 = error/timeout. */
int ctl_read_line(int fd, char *out, size_t size);
/* Read exactly len bytes; 0 or -1. */
int ctl_read_exact(int fd, char *out, size_t len);

/* control.c */
int ctl_status(const struct conf *conf);
int ctl_reload(const struct conf *conf);
int ctl_stop(const struct conf *conf);

/* authcmd.c */
int ctl_auth_test(const struct conf *conf, const char *user, const char *password);
int ctl_user(const struct conf *conf, const char *user);
int ctl_lookup(const struct conf *conf, const char *map, const char *key);

/* userlist.c: every user (auth-master LIST), filtered by the glob mask
 * (NULL = all); 0 listed, 1 authd answered FAIL, 2 trouble. */
int ctl_user_list(const struct conf *conf, const char *mask);

/* queuecmd.c: "queue list|flush|hold|release|delete|show" (id NULL for
 * list and flush) over the queue's control socket; 0 done, 1 the queue
 * said ERROR, 2 trouble. */
int ctl_queue(const struct conf *conf, const char *cmd, const char *id);

/* migrate.c: "migrate check [POSTFIX_DIR] [DOVECOT_DIR]" (argv after
 * "check"); 0 report made, 2 main.cf or dovecot.conf unreadable. */
int ctl_migrate_check(int argc, char **argv);

#endif
