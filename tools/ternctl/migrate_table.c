/* migrate_table: what tern does with each Postfix and Dovecot setting, one
 * row per known setting (extend here; value-dependent rows name a judge
 * from migrate_judge.c).
 * Invariants: a row naming a tern.conf key is only "same"/"mapped" when this
 * build's settings table has that key (else attention "not yet"); unknown
 * settings are attention "unknown to tern"; notes are static strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "migrate.h"

#define P MIG_SRC_POSTFIX
#define D MIG_SRC_DOVECOT
#define S MIG_SRC_SQL
#define SAME MIG_SAME
#define MAP MIG_MAPPED
#define ATT MIG_ATTENTION
#define IGN MIG_IGNORED

#define TLS_LATER "TLS settings come with the smtpd issue"
#define SSL_LATER "TLS settings come with the imapd/pop3d issue"
#define LOCAL_ONLY "local (Unix account) delivery: tern delivers to virtual mailboxes only"
#define QUEUE_LATER "outbound delivery and queue settings come with the queue issue"

const struct mig_rule mig_table[] = {
	/* Postfix main.cf: same name in tern.conf */
	{ "myhostname", P, SAME, "myhostname", "tern reads it unchanged", NULL },
	{ "mydomain", P, SAME, "mydomain", "tern reads it unchanged", NULL },
	{ "message_size_limit", P, SAME, "message_size_limit", "tern's smtpd limit, same meaning", NULL },
	{ "recipient_delimiter", P | D, SAME, "recipient_delimiter", "tern reads it unchanged", NULL },
	{ "virtual_mailbox_domains", P, SAME, "virtual_mailbox_domains", "", mig_judge_maps },
	{ "virtual_mailbox_maps", P, SAME, "virtual_mailbox_maps", "", mig_judge_maps },
	{ "virtual_alias_maps", P, SAME, "virtual_alias_maps", "", mig_judge_maps },
	{ "virtual_alias_recursion_limit", P, SAME, "virtual_alias_recursion_limit", "tern reads it unchanged", NULL },
	{ "virtual_alias_expansion_limit", P, SAME, "virtual_alias_expansion_limit", "tern reads it unchanged", NULL },
	{ "smtpd_tls_cert_file", P, SAME, "smtpd_tls_cert_file", TLS_LATER, NULL },
	{ "smtpd_tls_key_file", P, SAME, "smtpd_tls_key_file", TLS_LATER, NULL },
	{ "smtpd_tls_chain_files", P, SAME, "smtpd_tls_chain_files", TLS_LATER, NULL },
	{ "smtpd_tls_security_level", P, SAME, "smtpd_tls_security_level", TLS_LATER, NULL },
	/* Postfix: another form in tern */
	{ "inet_interfaces", P, MAP, NULL, "the addresses of the smtpd/submission listen lines", NULL },
	{ "inet_protocols", P, MAP, NULL, "listen inet:*:PORT binds every address; use inet:0.0.0.0:PORT for IPv4 only", NULL },
	{ "virtual_transport", P, MAP, NULL, "", mig_judge_transport },
	{ "mailbox_transport", P, MAP, NULL, "", mig_judge_transport },
	{ "virtual_mailbox_base", P, MAP, NULL, "tern's lmtpd delivers into mail_location / the directory's home (same Maildirs)", NULL },
	{ "virtual_uid_maps", P, MAP, "mail_uid", "owner of mail of users without a uid", mig_judge_static_id },
	{ "virtual_gid_maps", P, MAP, "mail_gid", "group of mail of users without a gid", mig_judge_static_id },
	{ "smtpd_sasl_type", P, MAP, NULL, "tern's smtpd asks its own authd directly", mig_judge_sasl_type },
	{ "smtpd_sasl_path", P, MAP, NULL, "tern's smtpd asks its own authd directly", NULL },
	{ "smtpd_sasl_auth_enable", P, MAP, NULL, "tern's submission service offers AUTH (auth_mechanisms)", NULL },
	{ "smtpd_sasl_security_options", P, MAP, NULL, "tern never offers anonymous AUTH", NULL },
	{ "smtpd_tls_auth_only", P, MAP, NULL, "tern offers AUTH only after TLS (" TLS_LATER ")", NULL },
	{ "smtpd_tls_wrappermode", P, MAP, NULL, "implicit TLS: tern's submission service, listener submissions", mig_judge_yes },
	{ "smtpd_reject_unlisted_recipient", P, MAP, NULL, "tern rejects unknown recipients at RCPT TO", NULL },
	{ "smtpd_helo_required", P, MAP, NULL, "tern's smtpd policy (comes with the smtpd issue)", NULL },
	{ "disable_vrfy_command", P, MAP, NULL, "tern's smtpd has no VRFY", NULL },
	{ "smtpd_recipient_restrictions", P, MAP, NULL, "the fixed policy tern's smtpd applies", mig_judge_restrictions },
	{ "smtpd_relay_restrictions", P, MAP, NULL, "the fixed policy tern's smtpd applies", mig_judge_restrictions },
	{ "smtpd_sender_restrictions", P, MAP, NULL, "the fixed policy tern's smtpd applies", mig_judge_restrictions },
	{ "smtpd_client_restrictions", P, MAP, NULL, "the fixed policy tern's smtpd applies", mig_judge_restrictions },
	{ "smtpd_helo_restrictions", P, MAP, NULL, "the fixed policy tern's smtpd applies", mig_judge_restrictions },
	{ "smtpd_data_restrictions", P, MAP, NULL, "the fixed policy tern's smtpd applies", mig_judge_restrictions },
	{ "mua_*", P, MAP, NULL, "the fixed policy tern's submission applies", mig_judge_restrictions },
	/* Postfix: not done by tern (yet), or risky */
	{ "mynetworks", P, ATT, NULL, "wider than loopback: these clients may relay without login; tern relays only after login", mig_judge_mynetworks },
	{ "mynetworks_style", P, ATT, NULL, "tern relays only after login", NULL },
	{ "mydestination", P, ATT, NULL, LOCAL_ONLY, mig_judge_unset_ignored },
	{ "alias_maps", P, ATT, NULL, LOCAL_ONLY "; put postmaster/abuse aliases in virtual_alias_maps", mig_judge_unset_ignored },
	{ "local_recipient_maps", P, ATT, NULL, LOCAL_ONLY, mig_judge_unset_ignored },
	{ "local_transport", P, ATT, NULL, LOCAL_ONLY, NULL },
	{ "mailbox_command", P, ATT, NULL, LOCAL_ONLY, mig_judge_unset_ignored },
	{ "home_mailbox", P, ATT, NULL, LOCAL_ONLY, mig_judge_unset_ignored },
	{ "relayhost", P, ATT, NULL, "tern delivers outbound mail directly: no smarthost (yet)", mig_judge_unset_ignored },
	{ "relay_domains", P, ATT, NULL, "tern does not relay for backup-MX domains (yet)", mig_judge_unset_ignored },
	{ "relay_recipient_maps", P, ATT, NULL, "tern does not relay for backup-MX domains (yet)", mig_judge_unset_ignored },
	{ "transport_maps", P, ATT, NULL, "per-domain transports (e.g. vacation autoreplies) are not supported (yet)", mig_judge_unset_ignored },
	{ "content_filter", P, ATT, NULL, "tern has no content filter (amavis, spamassassin) hook (yet)", mig_judge_unset_ignored },
	{ "smtpd_milters", P, ATT, NULL, "tern has no milter support (yet): DKIM signing/checks done by the milter stop", mig_judge_unset_ignored },
	{ "non_smtpd_milters", P, ATT, NULL, "tern has no milter support (yet)", mig_judge_unset_ignored },
	{ "receive_override_options", P, ATT, NULL, "content filter plumbing: tern has no content filter (yet)", mig_judge_unset_ignored },
	{ "header_checks", P, ATT, NULL, "tern has no header/body checks (yet)", mig_judge_unset_ignored },
	{ "body_checks", P, ATT, NULL, "tern has no header/body checks (yet)", mig_judge_unset_ignored },
	{ "mime_header_checks", P, ATT, NULL, "tern has no header/body checks (yet)", mig_judge_unset_ignored },
	{ "postscreen_*", P, ATT, NULL, "tern has no postscreen (yet): smtpd takes port 25 directly", NULL },
	{ "smtpd_sender_login_maps", P, ATT, NULL, "sender/login match comes with the submission issue", NULL },
	{ "smtpd_client_*_limit", P, ATT, NULL, "tern's smtpd has no per-client rate limits (yet)", NULL },
	{ "smtpd_client_*_rate_limit", P, ATT, NULL, "tern's smtpd has no per-client rate limits (yet)", NULL },
	{ "anvil_*", P, ATT, NULL, "tern's smtpd has no per-client rate limits (yet)", NULL },
	{ "queue_directory", P, ATT, NULL, "tern does not read Postfix's queue: let it drain (mailq empty) before switching", NULL },
	{ "soft_bounce", P, ATT, NULL, "tern has no soft_bounce switch", NULL },
	{ "virtual_alias_domains", P, ATT, NULL, "list alias-only domains in virtual_mailbox_domains; their aliases in virtual_alias_maps", mig_judge_unset_ignored },
	{ "*canonical_maps", P, ATT, NULL, "tern does not rewrite addresses (yet)", mig_judge_unset_ignored },
	{ "*bcc_maps", P, ATT, NULL, "tern has no BCC maps (yet)", mig_judge_unset_ignored },
	{ "always_bcc", P, ATT, NULL, "tern has no BCC maps (yet)", mig_judge_unset_ignored },
	{ "masquerade_domains", P, ATT, NULL, "tern does not rewrite addresses (yet)", mig_judge_unset_ignored },
	{ "address_verify_*", P, ATT, NULL, "tern has no address verification (yet)", NULL },
	{ "maximal_queue_lifetime", P, ATT, NULL, QUEUE_LATER, NULL },
	{ "bounce_queue_lifetime", P, ATT, NULL, QUEUE_LATER, NULL },
	{ "delay_warning_time", P, ATT, NULL, QUEUE_LATER, NULL },
	{ "smtp_tls_loglevel", P, IGN, NULL, "tern logs one line per event", NULL },
	{ "smtp_tls_session_cache_database", P, IGN, NULL, "Postfix's TLS session cache", NULL },
	{ "smtp_*", P, ATT, NULL, QUEUE_LATER, NULL },
	{ "smtpd_tls_loglevel", P, IGN, NULL, "tern logs one line per event", NULL },
	{ "smtpd_tls_session_cache_*", P, IGN, NULL, "Postfix's TLS session cache", NULL },
	{ "smtpd_tls_*", P, ATT, NULL, TLS_LATER, NULL },
	{ "smtpd_use_tls", P, ATT, NULL, TLS_LATER, NULL },
	{ "tls_*", P, ATT, NULL, TLS_LATER, NULL },
	/* Postfix: cosmetic or internal */
	{ "biff", P, IGN, NULL, "no local biff in tern", NULL },
	{ "append_dot_mydomain", P, IGN, NULL, "tern does not rewrite addresses", NULL },
	{ "readme_directory", P, IGN, NULL, "Postfix's documentation", NULL },
	{ "html_directory", P, IGN, NULL, "Postfix's documentation", NULL },
	{ "manpage_directory", P, IGN, NULL, "Postfix's documentation", NULL },
	{ "sample_directory", P, IGN, NULL, "Postfix's documentation", NULL },
	{ "compatibility_level", P, IGN, NULL, "Postfix's defaults version", NULL },
	{ "smtpd_banner", P, IGN, NULL, "tern greets with '<myhostname> ESMTP'", NULL },
	{ "myorigin", P, IGN, NULL, "tern's own mail (bounces) comes from MAILER-DAEMON@myhostname", NULL },
	{ "alias_database", P, IGN, NULL, "built by newaliases for local delivery", NULL },
	{ "command_directory", P, IGN, NULL, "Postfix's programs", NULL },
	{ "daemon_directory", P, IGN, NULL, "Postfix's programs (tern's own daemon_directory differs)", NULL },
	{ "data_directory", P, IGN, NULL, "Postfix's caches", NULL },
	{ "meta_directory", P, IGN, NULL, "Postfix's programs", NULL },
	{ "shlib_directory", P, IGN, NULL, "Postfix's programs", NULL },
	{ "mail_owner", P, IGN, NULL, "tern's daemons run as their own users", NULL },
	{ "setgid_group", P, IGN, NULL, "tern's daemons run as their own users", NULL },
	{ "sendmail_path", P, IGN, NULL, "Postfix's programs", NULL },
	{ "newaliases_path", P, IGN, NULL, "Postfix's programs", NULL },
	{ "mailq_path", P, IGN, NULL, "Postfix's programs", NULL },
	{ "syslog_name", P, IGN, NULL, "tern logs as its daemon's name", NULL },
	{ "maillog_file", P, IGN, NULL, "tern's log_path", NULL },
	{ "mailbox_size_limit", P, IGN, NULL, "for local mbox delivery; tern's quota comes from quota_rule", NULL },
	{ "virtual_mailbox_limit", P, IGN, NULL, "for virtual(8); tern's quota comes from quota_rule", NULL },
	{ "virtual_minimum_uid", P, IGN, NULL, "for virtual(8)", NULL },
	{ "smtputf8_enable", P, IGN, NULL, "tern's smtpd decides SMTPUTF8 itself", NULL },
	{ "broken_sasl_auth_clients", P, IGN, NULL, "for pre-2005 Outlook clients", NULL },
	{ "smtpd_sasl_local_domain", P, IGN, NULL, "tern logins are user@domain", NULL },
	{ "smtpd_sasl_authenticated_header", P, IGN, NULL, "tern does not name the login in Received:", NULL },
	{ "milter_*", P, IGN, NULL, "meaningful only with milters (see smtpd_milters)", NULL },
	{ "proxy_read_maps", P, IGN, NULL, "tern pools SQL connections itself", NULL },
	{ "dovecot_destination_recipient_limit", P, IGN, NULL, "tern's queue hands mail to its lmtpd", NULL },
	{ "lmtp_*", P, IGN, NULL, "tern's queue hands mail to its lmtpd", NULL },
	{ "unknown_*_reject_code", P, IGN, NULL, "tern answers 550 for unknown recipients", NULL },
	{ "notify_classes", P, IGN, NULL, "tern logs problems instead of mailing postmaster", NULL },
	{ "smtpd_timeout", P, IGN, NULL, "tern's smtpd has its own timeouts", NULL },
	{ "smtpd_*error*", P, IGN, NULL, "tern's smtpd has its own error limits", NULL },
	{ "default_process_limit", P, IGN, NULL, "tern's daemons are event-driven", NULL },
	/* Dovecot */
	{ "mail_location", D, SAME, "mail_location", "tern reads it unchanged", NULL },
	{ "mail_home", D, SAME, "mail_home", "tern reads it unchanged", NULL },
	{ "mail_uid", D, SAME, "mail_uid", "tern reads it unchanged", NULL },
	{ "mail_gid", D, SAME, "mail_gid", "tern reads it unchanged", NULL },
	{ "auth_mechanisms", D, SAME, "auth_mechanisms", "tern reads it unchanged", mig_judge_mechanisms },
	{ "auth_username_format", D, SAME, "auth_username_format", "tern reads it unchanged", NULL },
	{ "auth_failure_delay", D, SAME, "auth_failure_delay", "tern reads it unchanged", NULL },
	{ "auth_cache_ttl", D, SAME, "auth_cache_ttl", "tern reads it unchanged", NULL },
	{ "auth_cache_negative_ttl", D, SAME, "auth_cache_negative_ttl", "tern reads it unchanged", NULL },
	{ "auth_cache_size", D, SAME, "auth_cache_size", "tern reads it unchanged", NULL },
	{ "auth_worker_max_count", D, SAME, "auth_worker_max_count", "tern reads it unchanged", NULL },
	{ "log_path", D, SAME, "log_path", "tern reads it unchanged (syslog, stderr or a file)", NULL },
	{ "ssl_cert", D, MAP, "ssl_cert", SSL_LATER, mig_judge_strip_lt },
	{ "ssl_key", D, MAP, "ssl_key", SSL_LATER, mig_judge_strip_lt },
	{ "protocols", D, MAP, NULL, "service imapd / pop3d / lmtpd blocks", mig_judge_protocols },
	{ "listen", D, MAP, NULL, "the addresses of the imapd/pop3d listen lines", NULL },
	{ "disable_plaintext_auth", D, MAP, NULL, "tern offers plain/login only after TLS (" SSL_LATER ")", NULL },
	{ "auth_default_realm", D, ATT, NULL, "tern does not add a realm: users log in as user@domain", NULL },
	{ "auth_realms", D, ATT, NULL, "tern does not add a realm: users log in as user@domain", NULL },
	{ "ssl_dh", D, IGN, NULL, "tern uses ECDHE", NULL },
	{ "ssl*", D, ATT, NULL, SSL_LATER, NULL },
	{ "mail_plugins", D, ATT, NULL, "tern has none of Dovecot's plugins (quota, sieve, ...) (yet)", mig_judge_plugins },
	{ "protocol/mail_plugins", D, ATT, NULL, "tern has none of Dovecot's plugins (quota, sieve, ...) (yet)", mig_judge_plugins },
	{ "protocol/*", D, ATT, NULL, "per-protocol setting: review against tern's daemon", NULL },
	{ "plugin/sieve*", D, ATT, NULL, "tern has no Sieve filtering (yet): users' scripts would be ignored", NULL },
	{ "plugin/quota*", D, ATT, NULL, "tern has no quota plugin (dict usage, warnings) (yet)", NULL },
	{ "plugin/*", D, ATT, NULL, "Dovecot plugin setting: tern has no plugins (yet)", NULL },
	{ "dict/*", D, ATT, NULL, "tern has no dict (quota usage in SQL) (yet)", NULL },
	{ "service/*", D, IGN, NULL, "process tuning: tern runs one event-driven daemon per service", NULL },
	{ "quota*", D, ATT, NULL, "tern has no quota plugin (yet)", NULL },
	{ "sieve*", D, ATT, NULL, "tern has no Sieve (yet)", NULL },
	{ "managesieve*", D, ATT, NULL, "tern has no ManageSieve (yet)", NULL },
	{ "pop3_uidl_format", D, ATT, NULL, "POP3 UIDs must not change: comes with the pop3d issue", NULL },
	{ "imap_*", D, ATT, NULL, "comes with the imapd issue", NULL },
	{ "pop3_*", D, ATT, NULL, "comes with the pop3d issue", NULL },
	{ "lmtp_*", D, ATT, NULL, "comes with the lmtpd issue", NULL },
	{ "lda_*", D, ATT, NULL, "comes with the lmtpd issue", NULL },
	{ "postmaster_address", D, ATT, NULL, "comes with the lmtpd issue", NULL },
	{ "mail_max_userip_connections", D, ATT, NULL, "comes with the imapd issue", NULL },
	{ "auth_verbose*", D, IGN, NULL, "tern logs every login outcome; log_level = debug for more", NULL },
	{ "auth_debug*", D, IGN, NULL, "log_level = debug", NULL },
	{ "mail_debug", D, IGN, NULL, "log_level = debug", NULL },
	{ "verbose_*", D, IGN, NULL, "log_level = debug", NULL },
	{ "info_log_path", D, IGN, NULL, "tern has one log_path", NULL },
	{ "debug_log_path", D, IGN, NULL, "tern has one log_path", NULL },
	{ "syslog_facility", D, IGN, NULL, "tern logs to facility mail", NULL },
	{ "login_greeting", D, IGN, NULL, "tern's own greeting", NULL },
	{ "first_valid_*", D, IGN, NULL, "tern never delivers as root", NULL },
	{ "last_valid_*", D, IGN, NULL, "tern never delivers as root", NULL },
	{ "mail_privileged_group", D, IGN, NULL, "for /var/mail locking; tern delivers to Maildirs", NULL },
	{ "mail_access_groups", D, IGN, NULL, "tern's lmtpd runs as mail_uid", NULL },
	{ "mail_fsync", D, IGN, NULL, "tern always fsyncs", NULL },
	{ "mmap_disable", D, IGN, NULL, "Dovecot index tuning", NULL },
	{ "mail_nfs_*", D, IGN, NULL, "Dovecot index tuning", NULL },
	{ "base_dir", D, IGN, NULL, "tern's run_directory", NULL },
	{ "state_dir", D, IGN, NULL, "Dovecot's state", NULL },
	{ "instance_name", D, IGN, NULL, "Dovecot's process titles", NULL },
	{ "import_environment", D, IGN, NULL, "Dovecot's process environment", NULL },
	{ "shutdown_clients", D, IGN, NULL, "tern closes sessions on stop", NULL },
	{ "dovecot_config_version", D, IGN, NULL, "Dovecot 2.4 config marker", NULL },
	{ "dovecot_storage_version", D, IGN, NULL, "Dovecot 2.4 config marker", NULL },
	/* dovecot-sql.conf.ext: tern reads the file itself (dovecot_sql_file) */
	{ "driver", S, SAME, NULL, "tern reads it from dovecot_sql_file", mig_judge_sql_driver },
	{ "connect", S, SAME, NULL, "tern reads it from dovecot_sql_file", NULL },
	{ "default_pass_scheme", S | D, SAME, NULL, "tern reads it from dovecot_sql_file", NULL },
	{ "password_query", S, SAME, NULL, "tern reads it from dovecot_sql_file", NULL },
	{ "user_query", S, SAME, NULL, "tern reads it from dovecot_sql_file", NULL },
	{ "iterate_query", S, SAME, NULL, "tern reads it from dovecot_sql_file (ternctl user list)", NULL },
	{ NULL, 0, IGN, NULL, NULL, NULL },
};

/* fnmatch-lite: '*' matches any run (names are short, rows few). */
static bool name_match(const char *pat, const char *name)
{
	for (; *pat; pat++, name++) {
		if (*pat == '*') {
			for (const char *n = name;; n++) {
				if (name_match(pat + 1, n))
					return true;
				if (*n == '\0')
					return false;
			}
		}
		if (*pat != *name)
			return false;
	}
	return *name == '\0';
}

const struct mig_rule *mig_rule_find(unsigned source, const char *name)
{
	for (const struct mig_rule *r = mig_table; r->name; r++)
		if ((r->sources & source) && name_match(r->name, name))
			return r;
	return NULL;
}

bool mig_tern_has(const char *key)
{
	for (const struct conf_setting *s = conf_settings; s->name; s++)
		if (!s->service_scope && strcmp(s->name, key) == 0)
			return true;
	return false;
}

const char *mig_verdict_name(enum mig_verdict v)
{
	static const char *const names[MIG_VERDICTS] = { "same", "mapped", "attention", "ignored" };
	return (unsigned)v < MIG_VERDICTS ? names[v] : "?";
}

void mig_judge(unsigned source, const char *name, const char *value,
	       const struct mig_rule **rule_r, struct mig_judgement *j)
{
	static char later[640];
	const struct mig_rule *rule = mig_rule_find(source, name);
	*rule_r = rule;
	j->value = NULL;
	if (rule == NULL) {
		j->verdict = MIG_ATTENTION;
		j->note = "unknown to tern";
		return;
	}
	j->verdict = rule->verdict;
	j->note = rule->note;
	if (rule->judge)
		rule->judge(rule, value, j);
	if (rule->tern_key && (j->verdict == MIG_SAME || j->verdict == MIG_MAPPED) &&
	    !mig_tern_has(rule->tern_key)) {
		snprintf(later, sizeof(later), "tern.conf has no %s yet: %s", rule->tern_key, j->note);
		j->verdict = MIG_ATTENTION;
		j->note = later;
		free(j->value);
		j->value = NULL;
	}
}
