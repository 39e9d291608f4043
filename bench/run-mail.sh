#!/bin/sh
# bench/run-mail.sh BUILD_DIR: the mail path, tern (smtpd -> queue -> lmtpd)
# vs Debian's Postfix (smtpd -> cleanup -> qmgr -> lmtp) + Dovecot LMTP,
# side by side on this machine in this run, reported as ratios. Each system
# is a private instance in a temp dir (own config, queue, Maildirs, logs,
# unprivileged ports) with the same virtual users in example.test. Loads
# from bench/smtpbench (4 KiB messages, no pipelining, several messages per
# connection) at 1, 10 and 50 sessions: accepted messages/s, end-to-end
# messages/s until all are in the Maildirs, CPU seconds per 1000 messages of
# all the system's processes; plus the disk's fsync ceiling (bench/fsyncbench).
# Output: a Markdown report on stdout and in bench/results/mail.md. Run by
# bench/run.sh; needs root (Postfix's and Dovecot's masters start as root).
# Environment: BENCH_MAIL_MSGS (2000 per run; 500 at 1 session),
# BENCH_MAIL_PER_CONN (10), BENCH_MAIL_SIZE (4096), BENCH_MAIL_USERS (20),
# BENCH_ROUNDS (2), BENCH_MAIL_SYSTEMS ("tern pd"), BENCH_KEEP=1 keeps the
# temp dir.
set -eu

[ $# -eq 1 ] || { echo "usage: sh bench/run-mail.sh BUILD_DIR" >&2; exit 2; }
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$1" && pwd)
BIN=$BUILD/bin
NMSG=${BENCH_MAIL_MSGS:-2000}
NMSG1=${BENCH_MAIL_MSGS1:-$((NMSG / 4))}
PER_CONN=${BENCH_MAIL_PER_CONN:-10}
SIZE=${BENCH_MAIL_SIZE:-4096}
NUSERS=${BENCH_MAIL_USERS:-20}
ROUNDS=${BENCH_ROUNDS:-2}
SYSTEMS=${BENCH_MAIL_SYSTEMS:-tern pd}
E2E_TIMEOUT=${BENCH_MAIL_TIMEOUT:-300}
FSYNC_SECS=${BENCH_FSYNC_SECS:-5}
POSTFIX=/usr/sbin/postfix
DOVECOT=/usr/sbin/dovecot
MAIL_USER=vmail

for f in master authd smtpd queue lmtpd ternctl smtpbench fsyncbench; do
	[ -x "$BIN/$f" ] || { echo "run-mail.sh: $BIN/$f missing (make build)" >&2; exit 1; }
done
[ -x "$POSTFIX" ] || { echo "run-mail.sh: $POSTFIX missing (apt-get install postfix)" >&2; exit 1; }
if [ ! -x "$DOVECOT" ] || [ ! -x /usr/lib/dovecot/lmtp ]; then
	echo "run-mail.sh: Dovecot LMTP missing (apt-get install dovecot-core dovecot-lmtpd)" >&2
	exit 1
fi
[ "$(id -u)" -eq 0 ] || { echo "run-mail.sh: needs root (Postfix and Dovecot start as root)" >&2; exit 1; }
for u in postfix "$MAIL_USER" tern tern-auth; do
	getent passwd "$u" >/dev/null || { echo "run-mail.sh: system user $u missing (make deps)" >&2; exit 1; }
done
getent group postdrop >/dev/null || { echo "run-mail.sh: group postdrop missing (apt-get install postfix)" >&2; exit 1; }

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d /tmp/tern-mailbench.XXXXXX)
chmod 755 "$TMP"
T=$TMP/tern PF=$TMP/postfix DV=$TMP/dovecot
TERN_PID="" DV_PID="" PF_STARTED=0
SEEN="" # pid:starttime of every server process seen, killed at the end if still alive

alive() {
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] &&
		[ "$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]
}
stop_pid() { # stop_pid PID: TERM, up to 10 s, then KILL
	alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null || true
	i=0
	while alive "$1" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	alive "$1" && kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
pf_master_pid() {
	[ -f "$PF/spool/pid/master.pid" ] && tr -d ' \n' <"$PF/spool/pid/master.pid" || true
}
starttime() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }'; }

# tree_pids ROOT...: the roots and all their descendants
tree_pids() {
	ps -e -o pid=,ppid= | awk -v roots="$*" '
		BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) in_t[r[i]] = 1 }
		{ par[$1] = $2 }
		END {
			do {
				more = 0
				for (p in par)
					if (!(p in in_t) && (par[p] in in_t)) { in_t[p] = 1; more = 1 }
			} while (more)
			for (p in in_t) if (p in par) print p
		}'
}
remember() {
	# shellcheck disable=SC2046 # a list of pids
	for p in $(tree_pids $TERN_PID $(pf_master_pid) $DV_PID); do
		st=$(starttime "$p")
		case " $SEEN " in *" $p:$st "*) ;; *) [ -n "$st" ] && SEEN="$SEEN $p:$st" ;; esac
	done
}

cleanup() {
	trap - EXIT INT TERM HUP
	remember
	if [ -n "$TERN_PID" ] && alive "$TERN_PID"; then
		timeout 20 "$BIN/ternctl" -c "$T/tern.conf" stop >/dev/null 2>&1 || true
		stop_pid "$TERN_PID"
	fi
	if [ "$PF_STARTED" = 1 ]; then
		timeout 20 "$POSTFIX" -c "$PF/etc" stop >/dev/null 2>&1 || true
		p=$(pf_master_pid)
		i=0
		while alive "$p" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	fi
	stop_pid "$DV_PID"
	sleep 0.5
	for ps in $SEEN; do # only processes that are still the ones we saw
		p=${ps%:*}
		if alive "$p" && [ "$(starttime "$p")" = "${ps#*:}" ]; then
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
TERN_PORT=$(free_port)
PF_PORT=$(free_port)
while [ "$PF_PORT" = "$TERN_PORT" ]; do PF_PORT=$(free_port); done

# ---------------------------------------------------------------- data
mkdir -p "$T/mail" "$PF/etc" "$PF/spool" "$PF/data" "$DV/run" "$DV/state" "$DV/vmail"
: >"$TMP/passwd"
: >"$TMP/rcpts"
: >"$PF/etc/vmailbox"
i=1
while [ $i -le "$NUSERS" ]; do
	u=$(printf 'user%02d@example.test' $i)
	echo "$u:{PLAIN}pw-$i-$$::::::" >>"$TMP/passwd"
	echo "$u" >>"$TMP/rcpts"
	echo "$u OK" >>"$PF/etc/vmailbox"
	i=$((i + 1))
done
chmod 644 "$TMP/passwd"
chown "$MAIL_USER:$MAIL_USER" "$T/mail" "$DV/vmail"
chown postfix "$PF/data"

# ---------------------------------------------------------------- tern
cat >"$T/tern.conf" <<EOF
# generated by bench/run-mail.sh
myhostname = tern.bench.test
run_directory = $T/run
spool_directory = $T/spool
daemon_directory = $BIN
log_path = $T/tern.log
passwd_file = $TMP/passwd
virtual_mailbox_domains = example.test
mail_home = $T/mail/%d/%n
mail_uid = $MAIL_USER
mail_gid = $MAIL_USER
smtpd_client_connection_count_limit = 0
service authd {
    listen = client unix:auth-client mode=0666
    listen = userdb unix:auth-userdb mode=0666
    listen = socketmap unix:auth-socketmap mode=0666
}
service smtpd {
    listen = smtp inet:127.0.0.1:$TERN_PORT
}
service queue {
    listen = submit unix:queue-submit mode=0666
    listen = control unix:queue-control mode=0600
}
service lmtpd {
    listen = lmtp unix:lmtp mode=0666
}
EOF

# ---------------------------------------------------------------- Dovecot
cat >"$DV/dovecot.conf" <<EOF
# generated by bench/run-mail.sh: LMTP only, defaults (mail_fsync = optimized)
base_dir = $DV/run
state_dir = $DV/state
log_path = $DV/dovecot.log
protocols = lmtp
ssl = no
default_internal_user = dovecot
default_login_user = dovenull
mail_uid = $MAIL_USER
mail_gid = $MAIL_USER
mail_location = maildir:$DV/vmail/%d/%n
passdb {
  driver = passwd-file
  args = $TMP/passwd
}
userdb {
  driver = passwd-file
  args = $TMP/passwd
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
EOF
if ! doveconf -c "$DV/dovecot.conf" -n >/dev/null 2>"$TMP/doveconf.err"; then
	echo "run-mail.sh: doveconf rejects the generated config:" >&2
	cat "$TMP/doveconf.err" >&2
	exit 1
fi

# ---------------------------------------------------------------- Postfix
cat >"$PF/etc/main.cf" <<EOF
# generated by bench/run-mail.sh: a private instance, defaults otherwise
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.bench.test
mydomain = bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps =
alias_database =
local_transport = error:no local delivery
virtual_mailbox_domains = example.test
virtual_mailbox_maps = texthash:$PF/etc/vmailbox
virtual_transport = lmtp:unix:$DV/run/lmtp
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions =
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
biff = no
EOF
cat >"$PF/etc/master.cf" <<EOF
# generated by bench/run-mail.sh: Debian's services, no chroot, smtpd on $PF_PORT
127.0.0.1:$PF_PORT inet n - n - - smtpd
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF

# ---------------------------------------------------------------- start
# wait_smtp PORT: a 220 greeting within 15 s
wait_smtp() {
	python3 - "$1" <<'EOF'
import socket, sys, time
end = time.monotonic() + 15
while time.monotonic() < end:
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)
        s.settimeout(2)
        ok = s.recv(512).startswith(b"220")
        s.sendall(b"QUIT\r\n")
        s.close()
        if ok:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
EOF
}
has() { case " $SYSTEMS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if has tern; then
	"$BIN/master" -c "$T/tern.conf" </dev/null >"$T/master.out" 2>&1 &
	TERN_PID=$!
	wait_smtp "$TERN_PORT" || {
		echo "run-mail.sh: tern's smtpd not up" >&2
		cat "$T/master.out" "$T/tern.log" >&2
		exit 1
	}
fi
if has pd; then
	"$DOVECOT" -F -c "$DV/dovecot.conf" </dev/null >"$DV/dovecot.out" 2>&1 &
	DV_PID=$!
	PF_STARTED=1
	if ! "$POSTFIX" -c "$PF/etc" start >"$PF/start.out" 2>&1 || ! wait_smtp "$PF_PORT"; then
		echo "run-mail.sh: Postfix not up" >&2
		cat "$PF/start.out" "$PF/maillog" >&2 2>/dev/null || true
		exit 1
	fi
	i=0
	while [ ! -S "$DV/run/lmtp" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -S "$DV/run/lmtp" ] || { echo "run-mail.sh: Dovecot not up" >&2; cat "$DV/dovecot.out" "$DV/dovecot.log" >&2; exit 1; }
fi

# ---------------------------------------------------------------- measuring
# roots SYSTEM: the master processes whose trees are the system
roots() {
	case $1 in
	tern) echo "$TERN_PID" ;;
	postfix) pf_master_pid ;;
	dovecot) echo "$DV_PID" ;;
	pd) echo "$(pf_master_pid) $DV_PID" ;;
	esac
}
TICKS=$(getconf CLK_TCK)
# cpu_ticks SYSTEM: utime+stime of its live processes plus the reaped
# children's (cutime+cstime), so processes that exit in between still count
cpu_ticks() {
	t=0
	# shellcheck disable=SC2046 # a list of pids
	for p in $(tree_pids $(roots "$1")); do
		v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }')
		t=$((t + ${v:-0}))
	done
	echo $t
}
maildirs() { [ "$1" = tern ] && echo "$T/mail" || echo "$DV/vmail"; }
port() { [ "$1" = tern ] && echo "$TERN_PORT" || echo "$PF_PORT"; }
count_mail() { find "$(maildirs "$1")" -type f \( -path '*/new/*' -o -path '*/cur/*' \) | wc -l; }
last_ctime() { find "$(maildirs "$1")" -type f \( -path '*/new/*' -o -path '*/cur/*' \) -printf '%C@\n' | sort -n | tail -n 1; }
clear_mail() { find "$(maildirs "$1")" -type f \( -path '*/new/*' -o -path '*/cur/*' \) -delete; }
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a - b }'; }
addf() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }
get() { eval "echo \${$1_$2}"; }
put() { eval "$1_$2=\$3"; }

# wait_mail SYSTEM N: until N messages are in its Maildirs (or the timeout);
# prints the count
wait_mail() {
	end=$(($(date +%s) + E2E_TIMEOUT))
	while :; do
		wm_n=$(count_mail "$1")
		if [ "$wm_n" -ge "$2" ] || [ "$(date +%s)" -ge "$end" ]; then
			echo "$wm_n"
			return
		fi
		sleep 0.5
	done
}

# send SYSTEM CONC PER_CONN N: one smtpbench run; prints its line
send() {
	sd_line=$("$BIN/smtpbench" -a "127.0.0.1:$(port "$1")" -c "$2" -m "$3" -n "$4" -s "$SIZE" \
		-r "$TMP/rcpts" 2>"$TMP/sb.err" || true)
	[ -n "$sd_line" ] || sd_line="msgs=0 secs=0 rate=0 errors=1 all=0 t_start=0"
	echo "$sd_line"
}

# measure SYSTEM CONC PER_CONN N: a warm-up at the same concurrency, then a
# measured run of N messages: adds to the system's totals
measure() {
	ms=$1 conc=$2 pc=$3 n=$4
	send "$ms" "$conc" "$pc" $((conc * 2 > 100 ? conc * 2 : 100)) >/dev/null
	wait_mail_quiet "$ms"
	clear_mail "$ms"
	remember
	c0=$(cpu_ticks "$ms") p0=0
	[ "$ms" = pd ] && p0=$(cpu_ticks postfix)
	line=$(send "$ms" "$conc" "$pc" "$n")
	all=$(field all "$line")
	got=$(wait_mail "$ms" "$all")
	c1=$(cpu_ticks "$ms") p1=0
	[ "$ms" = pd ] && p1=$(cpu_ticks postfix)
	remember
	last=$(last_ctime "$ms")
	e2e=$(fsub "${last:-0}" "$(field t_start "$line")")
	lost=$((all - got))
	echo "  $ms: $line delivered=$got e2e_secs=$e2e cpu_ticks=$((c1 - c0)) postfix_ticks=$((p1 - p0))" >&2
	sed 's/^/    /' "$TMP/sb.err" >&2
	put N "$ms" $(($(get N "$ms") + $(field msgs "$line")))
	put SECS "$ms" "$(addf "$(get SECS "$ms")" "$(field secs "$line")")"
	put DELIV "$ms" $(($(get DELIV "$ms") + got))
	put E2E "$ms" "$(addf "$(get E2E "$ms")" "$e2e")"
	put ERR "$ms" $(($(get ERR "$ms") + $(field errors "$line")))
	put LOST "$ms" $(($(get LOST "$ms") + (lost > 0 ? lost : 0)))
	put CPU "$ms" $(($(get CPU "$ms") + c1 - c0))
	put PCPU "$ms" $(($(get PCPU "$ms") + p1 - p0))
	clear_mail "$ms"
}
# wait_mail_quiet SYSTEM: until its Maildir count stops changing (warm-up drained)
wait_mail_quiet() {
	wq_prev=-1
	wq_i=0
	while [ $wq_i -lt 120 ]; do
		wq_n=$(count_mail "$1")
		[ "$wq_n" = "$wq_prev" ] && return
		wq_prev=$wq_n
		sleep 1
		wq_i=$((wq_i + 1))
	done
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "–" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "–" }'; }
per1000() { awk -v c="$1" -v n="$2" -v t="$TICKS" 'BEGIN { if (n > 0) printf "%.2f", c / t * 1000 / n; else print "–" }'; }

ROWS1="" ROWS2=""
# run_load LABEL CONC PER_CONN N: ROUNDS rounds, the order alternating
run_load() {
	echo "$1" >&2
	for s in tern pd; do
		for k in N SECS DELIV E2E ERR LOST CPU PCPU; do put $k $s 0; done
	done
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		order=$SYSTEMS
		[ $((r % 2)) -eq 1 ] && order=$(echo "$SYSTEMS" | tr ' ' '\n' | tac | tr '\n' ' ')
		for s in $order; do measure "$s" "$2" "$3" "$4"; done
		r=$((r + 1))
	done
	ta=$(rate "$N_tern" "$SECS_tern") pa=$(rate "$N_pd" "$SECS_pd")
	te=$(rate "$DELIV_tern" "$E2E_tern") pe=$(rate "$DELIV_pd" "$E2E_pd")
	tc=$(per1000 "$CPU_tern" "$DELIV_tern") pc=$(per1000 "$CPU_pd" "$DELIV_pd")
	pfc=$(per1000 "$PCPU_pd" "$DELIV_pd") dvc=$(per1000 $((CPU_pd - PCPU_pd)) "$DELIV_pd")
	ROWS1="$ROWS1| $1 | $ta | $pa | $(ratio "$ta" "$pa") | $te | $pe | $(ratio "$te" "$pe") | $ERR_tern / $ERR_pd | $LOST_tern / $LOST_pd |
"
	ROWS2="$ROWS2| $1 | $tc | $pc ($pfc + $dvc) | $(ratio "$tc" "$pc") |
"
}

echo "fsync ceiling" >&2
mkdir -p "$TMP/fsync1" "$TMP/fsync2"
FS1=$("$BIN/fsyncbench" -d "$FSYNC_SECS" "$TMP/fsync1")
FS2=$("$BIN/fsyncbench" -D -d "$FSYNC_SECS" "$TMP/fsync2")
rm -rf "$TMP/fsync1" "$TMP/fsync2"
echo "  $FS1" >&2
echo "  $FS2" >&2

run_load "1 session" 1 "$PER_CONN" "$NMSG1"
run_load "10 sessions" 10 "$PER_CONN" "$NMSG"
run_load "50 sessions" 50 "$PER_CONN" "$NMSG"
run_load "50 sessions, 1 message per connection" 50 1 "$NMSG"

# ---------------------------------------------------------------- logs
LOGNOTES=""
note_log() { # note_log NAME FILE REGEX
	[ -f "$2" ] || return 0
	n=$(grep -cE "$3" "$2" || true)
	if [ "${n:-0}" -gt 0 ]; then
		LOGNOTES="$LOGNOTES
- $1 logged $n warning/error line(s), e.g.: \`$(grep -E "$3" "$2" | head -n 1 | cut -c1-220)\`"
	fi
}
note_log tern "$T/tern.log" ': (warning|error|fatal|panic)[: ]| (warning|error|fatal|panic) '
note_log Postfix "$PF/maillog" '(warning|error|fatal|panic): |status=(deferred|bounced)'
note_log Dovecot "$DV/dovecot.log" '(Warning|Error|Fatal|Panic): '
[ -n "$LOGNOTES" ] || LOGNOTES="
- no warnings or errors in the servers' logs"

# ---------------------------------------------------------------- report
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
sanitize=$(sed -n 's/^TERN_SANITIZE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
tern_version=$(sed -n 's/^project(tern VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
tern_rev=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
fs=$(df -T "$TMP" | awk 'NR == 2 { print $2 }')
REPORT=$(cat <<EOF
# Mail path benchmark: tern vs Postfix + Dovecot LMTP

- date: $(date -u '+%Y-%m-%d %H:%M UTC')
- machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, Linux $(uname -r), temp dir on $fs;
  load average before the run: $LOADAVG
- tern $tern_version (git $tern_rev, build type ${build_type:-default}, sanitizers ${sanitize:-OFF}):
  smtpd -> queue -> lmtpd, authd for recipients and users;
  Postfix $(postconf -d -h mail_version) (smtpd, cleanup, qmgr, trivial-rewrite, lmtp, ...)
  + Dovecot $("$DOVECOT" --version) LMTP (lmtp, auth, ...)
- disk fsync ceiling (bench/fsyncbench, one 4 KiB file at a time written,
  fsync'd, renamed): $(field rate "$FS1") files/s; with an fsync of the directory
  after each rename: $(field rate "$FS2") files/s
- setup: each system a private instance in a temp dir, both running side by
  side, on loopback: $NUSERS virtual users in example.test from the same
  passwd-file (tern authd / Dovecot passwd-file; Postfix virtual_mailbox_maps
  texthash), Maildirs in the temp dir owned by $MAIL_USER. Postfix: no chroot,
  smtpd straight on the port, virtual_transport = lmtp:unix: Dovecot's lmtp
  socket, otherwise defaults. Durability: every message is on disk before
  each 250, in both systems, with their defaults: Postfix fsyncs the queue
  file before its 250, Dovecot LMTP fsyncs the Maildir file (mail_fsync =
  optimized) before its 250 to Postfix; tern fsyncs the queue file and also
  the queue directory (batched) before the 250, and the Maildir file and
  also new/ (batched) before lmtpd's 250 to the queue: tern does more syncs
  per message, not fewer.
  All logs go to files (Postfix: postlogd, maillog_file).
- load: bench/smtpbench, one process, CONC sessions on a poll loop on
  127.0.0.1, no PIPELINING (one command in flight), EHLO once per connection,
  then MAIL/RCPT/DATA transactions back to back (no RSET), $PER_CONN messages per
  connection (one in the last row), one recipient each (round-robin over the
  users), $SIZE-byte messages. Per load $ROUNDS round(s), the systems' order
  reversed every other round; each a warm-up (max(100, 2 x CONC) messages, at the same
  concurrency, drained) then a measured run of a fixed count: $NMSG1 messages at 1
  session, $NMSG otherwise.
- accepted msg/s: messages / time from the first connect to the last 250.
  end-to-end msg/s: delivered messages / time from the first connect to the
  last file's ctime in the Maildirs (new/ or cur/). CPU: utime+stime of all
  processes of each system (the trees under tern's master, Postfix's master
  and Dovecot's master, exited children included via cutime/cstime) from
  before the run until the last message is in its Maildir, per 1000 delivered
  messages; Postfix + Dovecot also split as (Postfix + Dovecot). The load
  generator shares the $(nproc) CPUs with the servers.
- errors: replies other than the expected ones and dropped connections, as
  seen by smtpbench (a failed transaction is sent again); lost: accepted
  messages not in a Maildir $E2E_TIMEOUT s after the run.

## Throughput (messages/s, higher is better)

| load | tern accepted | Postfix accepted | tern/Postfix | tern end-to-end | Postfix+Dovecot end-to-end | tern/(P+D) | errors tern / P+D | lost tern / P+D |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
$ROWS1
## CPU seconds per 1000 messages, accept to Maildir (lower is better)

| load | tern | Postfix + Dovecot (Postfix + Dovecot) | tern/(P+D) |
|---|---:|---:|---:|
$ROWS2
## Logs
$LOGNOTES
EOF
)
if [ "$SYSTEMS" = "tern pd" ]; then
	mkdir -p "$SRC/bench/results"
	echo "$REPORT" | tee "$SRC/bench/results/mail.md"
else
	echo "$REPORT"
fi
