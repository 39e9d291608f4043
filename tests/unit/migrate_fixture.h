/* migrate_fixture: the seed 002 install (Postfix + Dovecot + PostfixAdmin,
 * LMTP, SASL via Dovecot, SQL maps with proxy:) as files for test_migrate;
 * included after test_migrate.c's put(). */
#ifndef TERN_MIGRATE_FIXTURE_H
#define TERN_MIGRATE_FIXTURE_H

static const char seed002_main[] =
	"# See /usr/share/postfix/main.cf.dist\n"
	"smtpd_banner = $myhostname ESMTP $mail_name (Ubuntu)\n"
	"biff = no\nappend_dot_mydomain = no\nreadme_directory = no\n"
	"smtpd_tls_cert_file=/etc/letsencrypt/live/mail.annth.io.vn/fullchain.pem\n"
	"smtpd_tls_key_file=/etc/letsencrypt/live/mail.annth.io.vn/privkey.pem\n"
	"smtpd_tls_security_level=may \n"
	"smtpd_tls_session_cache_database = btree:${data_directory}/smtpd_scache\n"
	"smtp_tls_security_level = may\n" "myhostname = mail.annth.io.vn\nmydomain = annth.io.vn\n"
	"mydestination = $myhostname, localhost.$mydomain, localhost\n"
	"relayhost =\nmynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128\n"
	"recipient_delimiter = +\ninet_interfaces = all\nmessage_size_limit = 52428800\n"
	"mailbox_transport = lmtp:unix:private/dovecot-lmtp\n"
	"virtual_mailbox_domains = proxy:mysql:/etc/postfix/sql/mysql_virtual_domains_maps.cf\n"
	"virtual_mailbox_maps =\n"
	"   proxy:mysql:/etc/postfix/sql/mysql_virtual_mailbox_maps.cf,\n"
	"   proxy:mysql:/etc/postfix/sql/mysql_virtual_alias_domain_mailbox_maps.cf\n"
	"virtual_alias_maps =\n" "   proxy:mysql:/etc/postfix/sql/mysql_virtual_alias_maps.cf,\n"
	"   proxy:mysql:/etc/postfix/sql/mysql_virtual_alias_domain_maps.cf,\n"
	"   proxy:mysql:/etc/postfix/sql/mysql_virtual_alias_domain_catchall_maps.cf\n"
	"virtual_transport = lmtp:unix:private/dovecot-lmtp\n"
	"virtual_mailbox_base = /var/vmail\nvirtual_uid_maps = static:2000\n"
	"virtual_gid_maps = static:2000\n";

static const char seed002_master[] =
	"smtp      inet  n       -       y       -       -       smtpd\n"
	"submission     inet     n    -    y    -    -    smtpd\n"
	"  -o syslog_name=postfix/submission\n  -o smtpd_tls_security_level=encrypt\n"
	"  -o smtpd_tls_wrappermode=no\n  -o smtpd_sasl_auth_enable=yes\n"
	"  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n"
	"  -o smtpd_sasl_type=dovecot\n  -o smtpd_sasl_path=private/auth\n"
	"pickup    unix  n       -       y       60      1       pickup\n"
	"smtp      unix  -       -       y       -       -       smtp\n";

static void write_seed002(void)
{
	put("postfix/main.cf", seed002_main);
	put("postfix/master.cf", seed002_master);
	put("dovecot/dovecot.conf", "protocols = imap lmtp\n!include conf.d/*.conf\n");
	put("dovecot/conf.d/10-auth.conf", "auth_username_format = %u\n"
		"auth_default_realm = annth.io.vn\n!include auth-sql.conf.ext\n");
	put("dovecot/conf.d/auth-sql.conf.ext",
	    "passdb {\n  driver = sql\n  args = /etc/dovecot/dovecot-sql.conf.ext\n}\n"
	    "userdb {\n  driver = sql\n  args = /etc/dovecot/dovecot-sql.conf.ext\n}\n");
	put("dovecot/conf.d/10-mail.conf", "mail_home = /var/vmail/%d/%n/\n"
		"mail_location = maildir:/var/vmail/%d/%n/\n");
	put("dovecot/conf.d/10-master.conf",
	    "service lmtp {\n  unix_listener /var/spool/postfix/private/dovecot-lmtp {\n"
	    "    mode = 0600\n    user = postfix\n    group = postfix\n  }\n}\n"
	    "service auth {\n    unix_listener /var/spool/postfix/private/auth {\n"
	    "      mode = 0660\n      user = postfix\n      group = postfix\n    }\n}\n");
	put("dovecot/conf.d/10-ssl.conf", "ssl = required\n"
		"ssl_cert = </etc/letsencrypt/live/mail.annth.io.vn/fullchain.pem\n");
	put("dovecot/dovecot-sql.conf.ext", "driver = mysql\n"
		"connect = host=localhost dbname=postfixadmin user=postfixadmin password=Qaz@123\n"
		"default_pass_scheme = ARGON2I\n"
		"password_query = SELECT username AS user,password FROM mailbox WHERE username = '%u' AND active='1'\n"
		"iterate_query = SELECT username AS user FROM mailbox\n");
}

#endif
