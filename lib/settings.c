/* settings: the table of every tern.conf key, its type, default, which
 * daemons read it, and its one-line documentation. conf.c validates files
 * against it; README's configuration reference follows it. Names follow
 * Postfix (main.cf) or Dovecot where either has the same setting. */
#include "conf.h"

const char *const conf_service_names[CONF_SERVICE_COUNT] = {
	"master", "smtpd", "submission", "queue", "lmtpd", "imapd", "pop3d", "authd",
};

#define G(name, type, def, svcs, doc) { name, type, def, svcs, false, doc }
#define S(name, type, def, doc) { name, type, def, 0, true, doc }

const struct conf_setting conf_settings[] = {
	/* identity */
	G("myhostname", CONF_STR, NULL, SVC_ALL, "this host's name in greetings and Received: (default: gethostname)"),
	G("mydomain", CONF_STR, NULL, SVC_ALL, "the parent domain of myhostname (default: myhostname minus its first label)"),
	/* directories and files */
	G("run_directory", CONF_STR, "/run/tern", SVC_ALL, "UNIX sockets and pid file; relative unix: listen paths are under it"),
	G("spool_directory", CONF_STR, "/var/spool/tern", SVC_MASTER | SVC_QUEUE | SVC_SMTPD, "the mail queue (owned by the queue's user, mode 0700)"),
	G("daemon_directory", CONF_STR, TERN_DEFAULT_DAEMON_DIR, SVC_MASTER, "where master finds the daemon programs"),
	G("log_path", CONF_STR, "syslog", SVC_ALL, "syslog, stderr, or a file that every process appends to"),
	G("log_level", CONF_STR, "info", SVC_ALL, "debug, info, warning or error"),
	G("shutdown_timeout", CONF_TIME, "10s", SVC_ALL, "how long a stopping daemon may finish its work before it is killed"),
	G("restart_delay", CONF_TIME, "1s", SVC_MASTER, "first delay before restarting a crashed daemon; doubles per crash up to restart_delay_max"),
	G("restart_delay_max", CONF_TIME, "60s", SVC_MASTER, "longest delay between restarts of a crashing daemon"),
	G("control_socket", CONF_STR, "master.ctl", SVC_MASTER, "master's control socket for ternctl (root only, mode 0600), relative to run_directory"),
	/* the directory (authd) */
	G("passwd_file", CONF_STR, "/etc/tern/passwd", SVC_AUTHD, "users in Dovecot passwd-file format: user:{SCHEME}hash:uid:gid::home::extra_fields"),
	G("dovecot_sql_file", CONF_STR, "", SVC_AUTHD, "Dovecot's dovecot-sql.conf.ext: when set, logins and user lookups use its queries instead of passwd_file"),
	G("default_pass_scheme", CONF_STR, "PLAIN", SVC_AUTHD, "scheme of stored passwords that carry no {SCHEME} prefix (Dovecot's name)"),
	G("virtual_mailbox_domains", CONF_LIST, "", SVC_AUTHD, "our domains: names, /file (one per line), texthash:/file or mysql:/file.cf"),
	G("virtual_mailbox_maps", CONF_LIST, "", SVC_AUTHD, "mailbox tables, mysql:/file.cf or texthash:/file (empty: the users of passwd_file / dovecot_sql_file)"),
	G("virtual_alias_maps", CONF_LIST, "", SVC_AUTHD, "alias tables, texthash:/file or mysql:/file.cf: 'address target, target' and '@domain target' (catch-all)"),
	G("alias_domain_maps", CONF_LIST, "", SVC_AUTHD, "alias-domain tables, texthash:/file: 'alias.domain target.domain'"),
	G("recipient_delimiter", CONF_STR, "+", SVC_AUTHD | SVC_LMTPD | SVC_SMTPD, "separator of address extensions (user+detail); empty disables"),
	G("virtual_alias_recursion_limit", CONF_INT, "100", SVC_AUTHD, "maximal nesting of alias expansion"),
	G("virtual_alias_expansion_limit", CONF_INT, "1000", SVC_AUTHD, "maximal number of addresses one recipient expands to"),
	G("mail_home", CONF_STR, "/var/vmail/%d/%n", SVC_AUTHD, "home of a user whose passwd line has none (%u user, %n local part, %d domain)"),
	G("mail_location", CONF_STR, "maildir:~/Maildir", SVC_AUTHD | SVC_LMTPD, "mail location of a user whose record has none (Dovecot's setting)"),
	G("mail_uid", CONF_STR, "vmail", SVC_AUTHD | SVC_MASTER, "system user owning mail of users with no uid (name or number)"),
	G("mail_gid", CONF_STR, "vmail", SVC_AUTHD | SVC_MASTER, "system group owning mail of users with no gid (name or number)"),
	G("auth_mechanisms", CONF_LIST, "plain login", SVC_AUTHD, "SASL mechanisms offered: plain, login"),
	G("auth_failure_delay", CONF_TIME, "2s", SVC_AUTHD, "delay before a failed authentication is answered"),
	G("auth_username_format", CONF_STR, "%Lu", SVC_AUTHD, "how a login name is normalized before lookup (%Lu lowercases)"),
	G("auth_max_request_size", CONF_SIZE, "16k", SVC_AUTHD, "longest line accepted on authd's sockets"),
	G("auth_client_timeout", CONF_TIME, "5m", SVC_AUTHD, "idle timeout of connections to authd"),
	G("auth_worker_max_count", CONF_INT, "0", SVC_AUTHD, "threads verifying password hashes (0: one per CPU)"),
	G("auth_cache_ttl", CONF_TIME, "5s", SVC_AUTHD, "how long a found SQL lookup result is reused (0: no cache)"),
	G("auth_cache_negative_ttl", CONF_TIME, "5s", SVC_AUTHD, "how long a not-found SQL lookup result is reused (0: not cached)"),
	G("auth_cache_size", CONF_SIZE, "10M", SVC_AUTHD, "memory for cached SQL lookup results (0: no cache)"),
	G("auth_client_limit", CONF_INT, "1000", SVC_AUTHD, "connections authd serves at once"),
	/* TLS (lib/tls.c) */
#define SVC_TLS (SVC_SMTPD | SVC_SUBMISSION | SVC_IMAPD | SVC_POP3D | SVC_QUEUE)
	G("tls_cert_file", CONF_LIST, "", SVC_TLS, "PEM certificate files (leaf then chain), one per name set; the first is the default, the others are chosen by SNI"),
	G("tls_key_file", CONF_LIST, "", SVC_TLS, "PEM private keys paired in order with tls_cert_file (empty: the keys are in the certificate files)"),
	G("tls_protocols", CONF_STR, ">=TLSv1.2", SVC_TLS, "TLS versions, Postfix syntax (>=TLSv1.2, !TLSv1.2, TLSv1.3); only TLSv1.2 and TLSv1.3 exist in tern"),
	G("tls_ciphers", CONF_STR, "", SVC_TLS, "TLSv1.2 cipher list in OpenSSL syntax (empty: ECDHE with AES-GCM or ChaCha20); TLSv1.3 uses OpenSSL's suites"),
	G("tls_session_cache_timeout", CONF_TIME, "3600s", SVC_TLS, "lifetime of TLS sessions in the server cache and in session tickets"),
#undef SVC_TLS
	/* SMTP server engine and smtpd (lib/smtp_server.c, smtpd/) */
#define SVC_SMTP (SVC_SMTPD | SVC_SUBMISSION | SVC_LMTPD)
	G("message_size_limit", CONF_SIZE, "10240000", SVC_SMTP | SVC_QUEUE, "largest message accepted, in bytes (SIZE= is checked before DATA; 0: no limit)"),
	G("smtpd_recipient_limit", CONF_INT, "1000", SVC_SMTP, "recipients per message; more get 452 4.5.3"),
	G("smtpd_hard_error_limit", CONF_INT, "20", SVC_SMTP, "errors in one session after which the client is disconnected (421)"),
	G("smtpd_timeout", CONF_TIME, "300s", SVC_SMTP, "how long a client may stay silent in any state (and a backend step may take) before 421"),
	G("smtpd_forbid_bare_newline", CONF_BOOL, "yes", SVC_SMTP, "yes: reject a message with bare <LF> or <CR> (550 5.6.0); no: normalize them to <CR><LF>; they never end DATA"),
	G("disable_vrfy_command", CONF_BOOL, "no", SVC_SMTP, "no: VRFY answers 252 without revealing anything; yes: 502"),
	G("smtpd_client_connection_count_limit", CONF_INT, "50", SVC_SMTPD | SVC_SUBMISSION, "simultaneous connections from one client IP; more get 421 4.7.0 (0: no limit)"),
#undef SVC_SMTP
	/* the queue (queue/): retries, lifetimes, bounces, delivery to lmtpd */
	G("maximal_queue_lifetime", CONF_TIME, "5d", SVC_QUEUE, "how long a message is retried before it is bounced (0: bounce at the first temporary failure)"),
	G("bounce_queue_lifetime", CONF_TIME, "5d", SVC_QUEUE, "the same for bounces (null sender); when over, the bounce is logged and dropped"),
	G("minimal_backoff_time", CONF_TIME, "300s", SVC_QUEUE, "wait after the first failed attempt; doubles per attempt up to maximal_backoff_time"),
	G("maximal_backoff_time", CONF_TIME, "4000s", SVC_QUEUE, "longest wait between attempts"),
	G("queue_run_delay", CONF_TIME, "300s", SVC_QUEUE, "how often deferred messages are scanned; one is retried at the first scan after its backoff"),
	G("lmtp_destination", CONF_STR, "", SVC_QUEUE, "where the queue delivers local mail over LMTP: unix:PATH (relative to run_directory) or inet:HOST:PORT (empty: service lmtpd's \"lmtp\" listener)"),
	G("bounce_size_limit", CONF_SIZE, "50000", SVC_QUEUE, "largest original message returned whole in a bounce; bigger ones return their header only"),
	/* local delivery (lmtpd/), Dovecot's names */
	G("lmtp_save_to_detail_mailbox", CONF_BOOL, "no", SVC_LMTPD, "yes: mail to user+detail@domain goes to folder 'detail' when it exists (else INBOX)"),
	G("quota_rule", CONF_STR, "", SVC_LMTPD, "Maildir++ quota of users whose userdb record has no quota_rule, e.g. *:storage=1G (empty: none)"),
	G("quota_grace", CONF_STR, "10%", SVC_LMTPD, "how far one last message may pass the byte quota while usage is under it (a size or a percentage)"),
	G("quota_full_tempfail", CONF_BOOL, "no", SVC_LMTPD, "over quota: no = 552 5.2.2 (bounce), yes = 452 4.2.2 (retry later)"),
	/* per-service keys, inside service NAME { } */
	S("enabled", CONF_BOOL, "yes", "whether master runs this service"),
	S("user", CONF_STR, NULL, "system user the daemon runs as (default: tern; authd: tern-auth; lmtpd: mail_uid)"),
	S("group", CONF_STR, NULL, "system group (default: the user's primary group)"),
	S("chroot", CONF_STR, "", "directory the daemon is jailed in after start (empty: none)"),
	S("listen", CONF_LISTEN, NULL, "repeatable: NAME ADDRESS [mode=0666] [user=U] [group=G] [backlog=N]; ADDRESS is inet:HOST:PORT or unix:PATH"),
	{ NULL, CONF_STR, NULL, 0, false, NULL },
};

unsigned conf_service_bit(const char *name)
{
	for (unsigned i = 0; i < CONF_SERVICE_COUNT; i++)
		if (name && __builtin_strcmp(name, conf_service_names[i]) == 0)
			return 1u << i;
	return 0;
}
