/* conf: tern.conf, parsed and validated against the settings table.
 * Format (Postfix main.cf style, with Dovecot-style service blocks):
 *     # comment
 *     key = value
 *         continued value (a line starting with whitespace continues)
 *     service authd {
 *         user = tern-auth
 *         listen = client unix:auth-client mode=0666
 *     }
 * Invariants: every key is in the settings table (settings.c) for its scope
 * (global or service); every value is checked against its type at load;
 * errors name "file:line: message"; a conf is immutable after conf_load
 * (reload = load a new one and swap). */
#ifndef TERN_CONF_H
#define TERN_CONF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;

enum conf_type {
	CONF_STR,	/* any string */
	CONF_BOOL,	/* yes/no/true/false/1/0 */
	CONF_INT,	/* non-negative integer */
	CONF_TIME,	/* "10", "10s", "500ms", "5m", "1h", "1d" -> milliseconds */
	CONF_SIZE,	/* "1024", "10k", "10M", "1G" (1024-based) -> bytes */
	CONF_LIST,	/* items separated by commas and/or whitespace */
	CONF_LISTEN,	/* repeatable: "NAME ADDRESS [mode=0660] [user=U] [group=G]" */
	CONF_MODE,	/* octal file mode, e.g. 0660 */
};

/* Services, as bits: which daemons read a setting. */
enum conf_service_bit {
	SVC_MASTER = 1u << 0,
	SVC_SMTPD = 1u << 1,
	SVC_SUBMISSION = 1u << 2,
	SVC_QUEUE = 1u << 3,
	SVC_LMTPD = 1u << 4,
	SVC_IMAPD = 1u << 5,
	SVC_POP3D = 1u << 6,
	SVC_AUTHD = 1u << 7,
	SVC_ALL = 0xffu,
};

struct conf_setting {
	const char *name;
	enum conf_type type;
	const char *def; /* default value text, NULL = unset */
	unsigned services; /* SVC_* bits of the daemons that read it (global keys) */
	bool service_scope; /* key belongs inside "service NAME { }" */
	const char *doc; /* one-line description (README, ternctl config dump) */
};

/* The settings table, terminated by a {NULL} entry (settings.c). */
extern const struct conf_setting conf_settings[];
/* Service names known to tern, index = bit position in enum conf_service_bit. */
extern const char *const conf_service_names[];
#define CONF_SERVICE_COUNT 8
/* Bit for a service name, 0 when unknown. */
unsigned conf_service_bit(const char *name);

/* One listener of a service, as parsed from a "listen" line. */
struct conf_listen {
	char name[32];	  /* role inside the daemon, e.g. "client" */
	char address[256]; /* "inet:..." or "unix:..." as written */
	unsigned mode;	  /* for unix sockets; default 0666 */
	char user[64];	  /* owner for unix sockets, "" = service user */
	char group[64];
	int backlog;
};

/* Load and validate. On error returns NULL and writes "file:line: message"
 * into err. `path` NULL = TERN_DEFAULT_CONFIG. A missing file is an error. */
struct conf *conf_load(const char *path, char *err, size_t errsize);
/* Load from a string (tests); `name` is used in error messages. */
struct conf *conf_load_string(const char *text, const char *name, char *err, size_t errsize);
void conf_free(struct conf **confp);
const char *conf_path(const struct conf *conf);

/* Typed getters. `service` NULL = global scope; for service scope, the
 * service block's value, else the table default. Getting an unknown key or
 * a key of another type aborts (a programming error, not input). */
const char *conf_str(const struct conf *conf, const char *service, const char *key);
bool conf_bool(const struct conf *conf, const char *service, const char *key);
uint64_t conf_int(const struct conf *conf, const char *service, const char *key);
uint64_t conf_time_ms(const struct conf *conf, const char *service, const char *key);
uint64_t conf_size(const struct conf *conf, const char *service, const char *key);
unsigned conf_mode(const struct conf *conf, const char *service, const char *key);
/* List items: returns the count and sets *items_r to an array owned by conf. */
size_t conf_list(const struct conf *conf, const char *service, const char *key,
		 const char *const **items_r);
/* Listeners of a service. */
size_t conf_listeners(const struct conf *conf, const char *service,
		      const struct conf_listen **listens_r);
/* The path of service's UNIX listener `name` ("unix:PATH"; relative paths
 * are under run_directory) into out. 0, or -1 when there is no such
 * listener, it is not a UNIX socket, or the path does not fit. */
int conf_listener_unix_path(const struct conf *conf, const char *service, const char *name,
			    char *out, size_t outsize);
/* True when the file has a "service NAME { }" block. */
bool conf_service_defined(const struct conf *conf, const char *service);
/* Was the key set explicitly (not default)? */
bool conf_is_set(const struct conf *conf, const char *service, const char *key);

/* A stable text of everything the given service reads: its block plus every
 * global key whose `services` mask includes it, with values normalized.
 * master compares these across reloads to restart only what changed.
 * Returns a malloc'd string. */
char *conf_fingerprint(const struct conf *conf, const char *service);

/* Expand %u (whole user), %n (local part), %d (domain), %% in a template
 * such as mail_home, with Dovecot's modifier L (lowercase): %Lu, %Ld, %Ln.
 * Writes into out (size outsize); returns 0 or -1 if it does not fit or the
 * template has an unknown variable. */
int conf_expand_user(const char *tmpl, const char *user, char *out, size_t outsize);

#endif
