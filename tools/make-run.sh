#!/bin/sh
# make run: the whole suite on loopback with all state under ./run/ (config,
# directory files, spool, mail, logs, a self-signed certificate), a demo
# domain example.test and mailbox demo@example.test / demo. Stays in the
# foreground until Ctrl-C; `ternctl -c run/tern.conf stop` also stops it.
# Running it again reuses ./run/ (delete it to start afresh).
set -eu
BUILD=${1:-build}
TOP=$(pwd)
RUN=$TOP/run
BIN=$TOP/$BUILD/bin
mkdir -p "$RUN" "$RUN/sock" "$RUN/spool" "$RUN/mail" "$RUN/log"
chmod 0755 "$RUN" "$RUN/sock" "$RUN/log"

if [ "$(id -u)" -eq 0 ]; then
	MAIL_UID=vmail MAIL_GID=vmail
	chown vmail:vmail "$RUN/mail"
else
	MAIL_UID=$(id -u) MAIL_GID=$(id -g)
fi

if [ ! -f "$RUN/tern.conf" ]; then
	cat > "$RUN/tern.conf" <<CONF
# tern.conf for \`make run\`: everything on loopback, all state under $RUN.
myhostname = mail.example.test
run_directory = $RUN/sock
spool_directory = $RUN/spool
daemon_directory = $BIN
log_path = $RUN/log/tern.log
passwd_file = $RUN/passwd
virtual_mailbox_domains = texthash:$RUN/domains
virtual_alias_maps = texthash:$RUN/aliases
alias_domain_maps = texthash:$RUN/alias_domains
mail_home = $RUN/mail/%d/%n
mail_uid = $MAIL_UID
mail_gid = $MAIL_GID
tls_cert_file = $RUN/cert.pem
tls_key_file = $RUN/key.pem

service authd {
    listen = client unix:auth-client mode=0666
    listen = userdb unix:auth-userdb mode=0666
    listen = socketmap unix:auth-socketmap mode=0666
}

# the mail queue: smtpd hands messages over "submit" (smtpd runs as tern
# too, so 0666 only spares a group setup); ternctl talks to "control"
service queue {
    listen = submit unix:queue-submit mode=0666
    listen = control unix:queue-control mode=0600
}

service smtpd {
    listen = smtp inet:127.0.0.1:2525
}

service lmtpd {
    listen = lmtp unix:lmtp
}
CONF
fi
if [ ! -f "$RUN/passwd" ]; then
	printf 'demo@example.test:%s::::::userdb_quota_rule=*:storage=1G\n' \
		"$("$BIN/ternctl" pw -s SHA512-CRYPT -p demo)" > "$RUN/passwd"
	printf 'example.test\n' > "$RUN/domains"
	printf 'postmaster@example.test demo@example.test\nabuse@example.test demo@example.test\n' > "$RUN/aliases"
	printf '# alias.domain target.domain\n' > "$RUN/alias_domains"
fi
if [ "$(id -u)" -eq 0 ]; then
	chgrp tern-auth "$RUN/passwd" && chmod 0640 "$RUN/passwd"
fi
if [ ! -f "$RUN/cert.pem" ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mail.example.test" \
		-keyout "$RUN/key.pem" -out "$RUN/cert.pem" >/dev/null 2>&1
	chmod 0600 "$RUN/key.pem"
fi

"$BIN/ternctl" -c "$RUN/tern.conf" config check >/dev/null
cat <<INFO

  tern is starting with config $RUN/tern.conf
  demo mailbox:  demo@example.test   password: demo
  log:           $RUN/log/tern.log (shown below)

  Running now:   SMTP (MX) on 127.0.0.1:2525 with STARTTLS (self-signed certificate):
                   swaks --server 127.0.0.1:2525 --to demo@example.test --tls
                 mail lands in $RUN/mail/example.test/demo/Maildir
                 queue:     $BIN/ternctl -c $RUN/tern.conf queue list
                 directory: $BIN/ternctl -c $RUN/tern.conf auth test demo@example.test demo
  Not yet (each port appears when its daemon lands): submission 2587 (STARTTLS),
                 submissions 2465 (TLS), IMAP 2143, IMAPS 2993, POP3 2110, POP3S 2995
  Stop:          Ctrl-C, or $BIN/ternctl -c $RUN/tern.conf stop

INFO
touch "$RUN/log/tern.log"
tail -n 0 -F "$RUN/log/tern.log" 2>/dev/null &
TAIL=$!
trap 'kill $TAIL 2>/dev/null' EXIT
trap ':' INT # master handles Ctrl-C; this script waits for it to finish
"$BIN/master" -c "$RUN/tern.conf" || true
