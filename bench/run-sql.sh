#!/bin/sh
# bench/run-sql.sh BUILD_DIR: tern authd vs Debian's Dovecot auth, both on
# the same private MariaDB holding a PostfixAdmin database (schema
# etc/postfixadmin/schema-3.3.sql, 1000 {PLAIN} mailboxes + 100
# {SHA512-CRYPT} ones, self-aliases, 3-target aliases, an alias domain) and
# the same dovecot-sql.conf.ext queries (etc/dovecot). tern also gets the
# Postfix mysql: maps (etc/postfix/sql) for its socketmap. Four servers run
# side by side: tern and Dovecot each with the lookup cache off
# (auth_cache_size = 0) and on (10M, ttl 5s, negative ttl 5s). Loads from
# bench/authbench at concurrency 1 and 32: SASL PLAIN logins, auth-master
# USER lookups, unknown users (-n, a new name per request), and tern's
# socketmap "resolve". Output: Markdown tables on stdout and in
# bench/results/authd-sql.md. Never part of the tests; run by bench/run.sh.
# Environment: BENCH_SECS (5), BENCH_WARMUP (1), BENCH_ROUNDS (2),
# BENCH_SQL_USERS (1000), BENCH_KEEP=1 keeps the temp dir.
set -eu

[ $# -eq 1 ] || { echo "usage: sh bench/run-sql.sh BUILD_DIR" >&2; exit 2; }
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$1" && pwd)
BIN=$BUILD/bin
AB=$BIN/authbench
SECS=${BENCH_SECS:-5}
WARM=${BENCH_WARMUP:-1}
ROUNDS=${BENCH_ROUNDS:-2}
NUSERS=${BENCH_SQL_USERS:-1000}
NCRYPT=100
NLISTS=100
DBTOOL=$SRC/tests/tools/mariadb-private.sh
for f in master authd authbench; do
	[ -x "$BIN/$f" ] || { echo "run-sql.sh: $BIN/$f missing (make build)" >&2; exit 1; }
done
DOVECOT=/usr/sbin/dovecot
[ -x "$DOVECOT" ] || { echo "run-sql.sh: $DOVECOT missing (apt-get install dovecot-core)" >&2; exit 1; }
for f in /usr/lib/dovecot/modules/auth/libdriver_mysql.so /usr/lib/dovecot/modules/libdriver_mysql.so; do
	[ -e "$f" ] && DV_MYSQL=$f
done
[ -n "${DV_MYSQL:-}" ] || { echo "run-sql.sh: Dovecot's MySQL driver missing (apt-get install dovecot-mysql)" >&2; exit 1; }
[ -x /usr/sbin/mariadbd ] || { echo "run-sql.sh: mariadbd missing (apt-get install mariadb-server)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "run-sql.sh: openssl missing" >&2; exit 1; }

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d /tmp/tern-bsql.XXXXXX)
chmod 755 "$TMP"
DB_DIR=$TMP/db
DB_STARTED=0
SERVERS="tn dn tc dc" # tern no cache, Dovecot no cache, tern cached, Dovecot cached
MASTER_PIDS=""        # "name:pid" of the four servers' masters
SEEN_PIDS=""          # server children seen, killed at the end if still alive

alive() { # alive PID: the process exists and is not a zombie
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] &&
		[ "$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]
}

stop_pid() { # stop_pid PID: TERM, up to 5 s, then KILL
	alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null || true
	i=0
	while alive "$1" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	alive "$1" && kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

cleanup() {
	for m in $MASTER_PIDS; do stop_pid "${m#*:}"; done
	for p in $SEEN_PIDS; do
		alive "$p" && kill -KILL "$p" 2>/dev/null || true
	done
	[ "$DB_STARTED" = 1 ] && sh "$DBTOOL" stop "$DB_DIR" >/dev/null 2>&1 || true
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---------------------------------------------------------------- database
echo "run-sql.sh: starting MariaDB, loading $NUSERS + $NCRYPT mailboxes" >&2
DB_STARTED=1
SOCK=$(sh "$DBTOOL" start "$DB_DIR" | tail -n 1) || {
	echo "run-sql.sh: MariaDB did not start" >&2
	exit 1
}
DB_PID=$(cat "$DB_DIR/pid")
sql() { mariadb --no-defaults --socket="$SOCK" -uroot -N -B "$@"; }
DB_PW="bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
sql <<EOF
CREATE DATABASE postfix CHARACTER SET latin1 COLLATE latin1_general_ci;
CREATE USER 'postfix'@'localhost' IDENTIFIED BY '$DB_PW';
GRANT ALL PRIVILEGES ON postfix.* TO 'postfix'@'localhost';
FLUSH PRIVILEGES;
EOF
sql postfix <"$SRC/etc/postfixadmin/schema-3.3.sql"

# users files for authbench ("user:password") and the rows behind them
i=1
: >"$TMP/crypt-pw"
while [ $i -le $NCRYPT ]; do
	echo "pw-crypt-$i-$$" >>"$TMP/crypt-pw"
	i=$((i + 1))
done
openssl passwd -6 -stdin <"$TMP/crypt-pw" >"$TMP/crypt-hash"
[ "$(grep -c '^\$6\$' "$TMP/crypt-hash")" -eq $NCRYPT ] || {
	echo "run-sql.sh: openssl passwd -6 failed" >&2
	exit 1
}
awk -v n="$NUSERS" -v nc="$NCRYPT" -v nl="$NLISTS" -v pid=$$ -v dir="$TMP" '
function q(s) { return "\x27" s "\x27" }
function mb(local, stored) {
	user = local "@bench.test"
	mbox[++nmb] = "(" q(user) "," q(stored) "," q(local) "," q("bench.test/" local "/") \
		",1073741824," q(local) ",\x27bench.test\x27,NOW(),NOW(),1)"
	alias[++nal] = "(" q(user) "," q(user) ",\x27bench.test\x27,NOW(),NOW())"
}
# insert HEAD ROWS N: multi-row INSERTs of 200 rows
function insert(head, rows, cnt,   i) {
	for (i = 1; i <= cnt; i++)
		printf "%s%s%s", (i % 200 == 1 ? head " VALUES " : ""), rows[i],
			(i % 200 == 0 || i == cnt ? ";\n" : ",")
}
BEGIN {
	print "INSERT INTO domain (domain,description,transport,created,modified) VALUES " \
		"(\x27bench.test\x27,\x27bench\x27,\x27virtual\x27,NOW(),NOW())," \
		"(\x27alias.bench.test\x27,\x27bench alias\x27,\x27virtual\x27,NOW(),NOW());"
	print "INSERT INTO alias_domain (alias_domain,target_domain,created,modified) VALUES " \
		"(\x27alias.bench.test\x27,\x27bench.test\x27,NOW(),NOW());"
	for (i = 1; i <= n; i++) {
		l = sprintf("plain%04d", i); pw = sprintf("pw-%04d-%d", i, pid)
		mb(l, "{PLAIN}" pw)
		print l "@bench.test:" pw > (dir "/users-plain")
	}
	for (i = 1; i <= nc; i++) {
		getline pw < (dir "/crypt-pw"); getline h < (dir "/crypt-hash")
		l = sprintf("crypt%03d", i)
		mb(l, "{SHA512-CRYPT}" h)
		print l "@bench.test:" pw > (dir "/users-crypt")
	}
	for (i = 1; i <= nl; i++) {    # aliases with 3 mailboxes each
		a = sprintf("list%03d@bench.test", i)
		g = sprintf("plain%04d@bench.test,plain%04d@bench.test,plain%04d@bench.test",
			(i * 3) % n + 1, (i * 7) % n + 1, (i * 11) % n + 1)
		alias[++nal] = "(" q(a) "," q(g) ",\x27bench.test\x27,NOW(),NOW())"
		print a ":x" > (dir "/users-lists")
	}
	insert("INSERT INTO mailbox (username,password,name,maildir,quota,local_part,domain,created,modified,active)", mbox, nmb)
	insert("INSERT INTO alias (address,goto,domain,created,modified)", alias, nal)
}' >"$TMP/data.sql"
sql postfix <"$TMP/data.sql"
counts=$(sql postfix -e "SELECT (SELECT COUNT(*) FROM mailbox), (SELECT COUNT(*) FROM alias)")
echo "run-sql.sh: mailboxes, aliases: $counts" >&2

# Dovecot's SQL file as shipped, pointing at the private server
sed "s|^connect = .*|connect = host=$SOCK dbname=postfix user=postfix password=$DB_PW|" \
	"$SRC/etc/dovecot/dovecot-sql.conf.ext" >"$TMP/dovecot-sql.conf.ext"
mkdir -p "$TMP/maps"
for f in "$SRC"/etc/postfix/sql/*.cf; do
	sed -e "s|^hosts = .*|hosts = unix:$SOCK|" -e "s|^password = .*|password = $DB_PW|" \
		"$f" >"$TMP/maps/$(basename "$f")"
done
chmod 644 "$TMP/dovecot-sql.conf.ext" "$TMP"/maps/*.cf
chmod 755 "$TMP/maps"
M=mysql:$TMP/maps

# ---------------------------------------------------------------- tern
# tern_conf NAME CACHE_SETTINGS
tern_conf() {
	mkdir -p "$TMP/$1"
	cat >"$TMP/$1/tern.conf" <<EOF
# generated by bench/run-sql.sh
run_directory = $TMP/$1/run
spool_directory = $TMP/$1/spool
daemon_directory = $BIN
log_path = $TMP/$1/tern.log
dovecot_sql_file = $TMP/dovecot-sql.conf.ext
virtual_mailbox_domains = $M/mysql_virtual_domains_maps.cf
virtual_mailbox_maps = $M/mysql_virtual_mailbox_maps.cf, $M/mysql_virtual_alias_domain_mailbox_maps.cf
virtual_alias_maps = $M/mysql_virtual_alias_maps.cf, $M/mysql_virtual_alias_domain_maps.cf, $M/mysql_virtual_alias_domain_catchall_maps.cf
auth_failure_delay = 0
auth_client_limit = 2000
$2
service authd {
    listen = client unix:auth-client mode=0666
    listen = userdb unix:auth-userdb mode=0666
    listen = socketmap unix:auth-socketmap mode=0666
}
EOF
}
tern_conf tn "auth_cache_size = 0"
tern_conf tc "auth_cache_size = 10M
auth_cache_ttl = 5s
auth_cache_negative_ttl = 5s"

# ---------------------------------------------------------------- Dovecot
if [ "$(id -u)" -eq 0 ]; then dv_user=root; else dv_user=$(id -un); fi
# dovecot_conf NAME CACHE_SETTINGS
dovecot_conf() {
	mkdir -p "$TMP/$1/run" "$TMP/$1/state"
	cat >"$TMP/$1/dovecot.conf" <<EOF
# generated by bench/run-sql.sh
base_dir = $TMP/$1/run
state_dir = $TMP/$1/state
instance_name = bench-$1
log_path = $TMP/$1/dovecot.log
protocols =
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = $dv_user
default_login_user = $dv_user
$2
passdb {
  driver = sql
  args = $TMP/dovecot-sql.conf.ext
}
userdb {
  driver = sql
  args = $TMP/dovecot-sql.conf.ext
}
service auth {
  client_limit = 2000
  idle_kill = 1h
  unix_listener auth-client {
    mode = 0666
  }
  unix_listener auth-userdb {
    mode = 0666
  }
}
service auth-worker {
  idle_kill = 1h
}
EOF
	if ! doveconf -c "$TMP/$1/dovecot.conf" -n >/dev/null 2>"$TMP/doveconf.err"; then
		echo "run-sql.sh: doveconf rejects the generated config:" >&2
		cat "$TMP/doveconf.err" >&2
		exit 1
	fi
}
dovecot_conf dn "auth_cache_size = 0"
dovecot_conf dc "auth_cache_size = 10M
auth_cache_ttl = 5s
auth_cache_negative_ttl = 5s"

# sock SERVER auth|userdb|socketmap
sock() {
	case $2 in
	auth) echo "$TMP/$1/run/auth-client" ;;
	userdb) echo "$TMP/$1/run/auth-userdb" ;;
	socketmap) echo "$TMP/$1/run/auth-socketmap" ;;
	esac
}

# wait_ready SOCKET MODE: one lookup of a known user succeeds within 10 s
wait_ready() {
	i=0
	while [ $i -lt 100 ]; do
		if [ -S "$1" ] && "$AB" -s "$1" -m "$2" -c 1 -d 0.1 -u "$TMP/users-plain" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "run-sql.sh: $1 not ready after 10 s" >&2
	return 1
}

for s in tn tc; do
	"$BIN/master" -c "$TMP/$s/tern.conf" </dev/null >"$TMP/$s/master.out" 2>&1 &
	MASTER_PIDS="$MASTER_PIDS $s:$!"
done
for s in dn dc; do
	"$DOVECOT" -F -c "$TMP/$s/dovecot.conf" </dev/null >"$TMP/$s/dovecot.out" 2>&1 &
	MASTER_PIDS="$MASTER_PIDS $s:$!"
done
for s in $SERVERS; do
	modes="auth userdb"
	case $s in t*) modes="$modes socketmap" ;; esac
	for m in $modes; do
		wait_ready "$(sock $s $m)" $m || {
			cat "$TMP/$s"/*.out "$TMP/$s"/*.log >&2 2>/dev/null
			exit 1
		}
	done
done

# ---------------------------------------------------------------- measuring
master_pid() {
	for mp in $MASTER_PIDS; do
		[ "${mp%%:*}" = "$1" ] && echo "${mp#*:}"
	done
}
# server_pids SERVER: tern's authd; Dovecot's auth, auth-worker and anvil
server_pids() {
	case $1 in
	db) echo "$DB_PID" ;;
	t*) ps -o pid=,comm= --ppid "$(master_pid "$1")" | awk '$2 == "authd" { print $1 }' ;;
	d*) ps -o pid=,comm= --ppid "$(master_pid "$1")" |
		awk '$2 == "auth" || $2 == "auth-worker" || $2 == "anvil" { print $1 }' ;;
	esac
}
remember_pids() {
	for rp_s in $SERVERS; do
		for p in $(server_pids "$rp_s"); do
			case " $SEEN_PIDS " in *" $p "*) ;; *) SEEN_PIDS="$SEEN_PIDS $p" ;; esac
		done
	done
}
TICKS=$(getconf CLK_TCK)
cpu_ms() { # cpu_ms SERVER|db: utime+stime of its processes (all threads), ms
	t=0
	for p in $(server_pids "$1"); do
		v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }')
		t=$((t + ${v:-0}))
	done
	echo $((t * 1000 / TICKS))
}
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
addf() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }
get() { eval "echo \${$1_$2}"; }
put() { eval "$1_$2=\$3"; }

# measure SERVER MODE CONC USERS [AUTHBENCH_ARGS]: a warm-up run, then a
# measured one added to the server's totals (OPS_ SECS_ ERR_ TEMP_ CPU_ DB_)
measure() {
	ms=$1 mode=$2 conc=$3 users=$4
	shift 4
	sk=$(sock "$ms" "$mode")
	"$AB" -s "$sk" -m "$mode" -c "$conc" -d "$WARM" -u "$users" "$@" >/dev/null 2>&1 || true
	remember_pids
	c0=$(cpu_ms "$ms") m0=$(cpu_ms db)
	line=$("$AB" -s "$sk" -m "$mode" -c "$conc" -d "$SECS" -u "$users" "$@" 2>"$TMP/ab.err" || true)
	c1=$(cpu_ms "$ms") m1=$(cpu_ms db)
	remember_pids
	if [ -z "$line" ]; then
		echo "run-sql.sh: authbench failed against $ms: $(cat "$TMP/ab.err")" >&2
		line="ops=0 secs=0 errors=1 temp=0"
	fi
	echo "  $ms: $line cpu_ms=$((c1 - c0)) mariadbd_ms=$((m1 - m0))" >&2
	sed 's/^/    /' "$TMP/ab.err" >&2
	put OPS "$ms" $(($(get OPS "$ms") + $(field ops "$line")))
	put SECS "$ms" "$(addf "$(get SECS "$ms")" "$(field secs "$line")")"
	put ERR "$ms" $(($(get ERR "$ms") + $(field errors "$line")))
	put TEMP "$ms" $(($(get TEMP "$ms") + $(field temp "$line")))
	put CPU "$ms" $(($(get CPU "$ms") + c1 - c0))
	put DB "$ms" $(($(get DB "$ms") + m1 - m0))
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "–" }'; }
per1000() { awk -v c="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.1f", c * 1000 / n; else print "–" }'; }

ROWS1=""
ROWS2=""
# run_load LABEL SERVERS MODE CONC USERS [AUTHBENCH_ARGS]: ROUNDS rounds,
# the servers' order rotating so drift in the machine's load hits all alike
run_load() {
	label=$1 set=$2
	shift 2
	echo "$label" >&2
	for rl in $SERVERS; do
		put OPS $rl 0; put SECS $rl 0; put ERR $rl 0; put TEMP $rl 0; put CPU $rl 0; put DB $rl 0
	done
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		order=$set
		if [ $((r % 2)) -eq 1 ]; then
			order=$(echo "$set" | tr ' ' '\n' | tac | tr '\n' ' ')
		fi
		for rl in $order; do measure "$rl" "$@"; done
		r=$((r + 1))
	done
	errs="" cpus=""
	for rl in $SERVERS; do
		case " $set " in
		*" $rl "*)
			put R $rl "$(rate "$(get OPS $rl)" "$(get SECS $rl)")"
			errs="$errs / $(get ERR $rl) ($(get TEMP $rl))"
			cpus="$cpus | $(per1000 "$(get CPU $rl)" "$(get OPS $rl)") | $(per1000 "$(get DB $rl)" "$(get OPS $rl)")"
			;;
		*)
			put R $rl ""
			errs="$errs / –"
			cpus="$cpus | – | –"
			;;
		esac
	done
	cell() { v=$(get R "$1"); echo "${v:-–}"; }
	ROWS1="$ROWS1| $label | $(cell tn) | $(cell dn) | $(ratio "$R_tn" "$R_dn") | $(cell tc) | $(cell dc) | $(ratio "$R_tc" "$R_dc") | $(ratio "$R_tc" "$R_tn") | $(ratio "$R_dc" "$R_dn") | ${errs# / } |
"
	ROWS2="$ROWS2| $label$cpus |
"
}

ALL="tn dn tc dc"
TERN="tn tc"
P=$TMP/users-plain
run_load "auth PLAIN, conc 1" "$ALL" auth 1 "$P"
run_load "auth PLAIN, conc 32" "$ALL" auth 32 "$P"
run_load "auth PLAIN, unknown users, conc 32 (tern only, see notes)" "$TERN" auth 32 "$P" -n
run_load "auth SHA512-CRYPT, conc 32" "$ALL" auth 32 "$TMP/users-crypt"
run_load "userdb USER, conc 1" "$ALL" userdb 1 "$P"
run_load "userdb USER, conc 32" "$ALL" userdb 32 "$P"
run_load "userdb USER, unknown users, conc 32" "$ALL" userdb 32 "$P" -n
run_load "socketmap resolve mailbox, conc 1" "$TERN" socketmap 1 "$P"
run_load "socketmap resolve mailbox, conc 32" "$TERN" socketmap 32 "$P"
run_load "socketmap resolve 3-target alias, conc 32" "$TERN" socketmap 32 "$TMP/users-lists"
run_load "socketmap resolve unknown, conc 32" "$TERN" socketmap 32 "$P" -n

# tern's log: anything at warning or above during the run
LOGNOTES=""
TERN_BAD=': (warning|error|fatal|panic): |auth-tempfail'
DV_BAD='(Warning|Error|Fatal|Panic): '
for s in tn tc; do
	n=$(grep -ciE "$TERN_BAD" "$TMP/$s/tern.log" || true)
	if [ "${n:-0}" -gt 0 ]; then
		LOGNOTES="$LOGNOTES
- tern ($s) logged $n warning/error line(s), e.g.: \`$(grep -iE "$TERN_BAD" "$TMP/$s/tern.log" | head -n 1 | cut -c1-200)\`"
	fi
done
for s in dn dc; do
	n=$(grep -cE "$DV_BAD" "$TMP/$s/dovecot.log" || true)
	if [ "${n:-0}" -gt 0 ]; then
		LOGNOTES="$LOGNOTES
- Dovecot ($s) logged $n warning/error line(s), e.g.: \`$(grep -E "$DV_BAD" "$TMP/$s/dovecot.log" | head -n 1 | cut -c1-200)\`"
	fi
done
[ -n "$LOGNOTES" ] || LOGNOTES="
- no warnings or errors in the servers' logs"

# ---------------------------------------------------------------- report
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
sanitize=$(sed -n 's/^TERN_SANITIZE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
tern_version=$(sed -n 's/^project(tern VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
tern_rev=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
mariadb_version=$(/usr/sbin/mariadbd --version 2>/dev/null | sed 's/^.*Ver //; s/ for .*//')
REPORT=$(cat <<EOF
# authd on MariaDB: tern vs Dovecot

- date: $(date -u '+%Y-%m-%d %H:%M UTC')
- machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, Linux $(uname -r);
  load average before the run: $LOADAVG
- tern $tern_version (git $tern_rev, build type ${build_type:-default}, sanitizers ${sanitize:-OFF});
  Dovecot $("$DOVECOT" --version) with dovecot-mysql; MariaDB $mariadb_version
- data: one private mariadbd (UNIX socket, 16 MB buffer pool) with the
  PostfixAdmin 3.3 schema: $NUSERS mailboxes with {PLAIN} passwords (the
  database path is what is measured), $NCRYPT with {SHA512-CRYPT}, a
  self-alias per mailbox, $NLISTS aliases to 3 mailboxes, an alias domain.
  Both servers use etc/dovecot/dovecot-sql.conf.ext unchanged but for
  connect= (one password_query, one user_query per lookup); tern's socketmap
  uses etc/postfix/sql/*.cf as virtual_mailbox_domains, virtual_mailbox_maps
  and virtual_alias_maps (Dovecot has no socketmap: tern-only rows).
- servers, all four running side by side: tern and Dovecot without lookup
  cache (auth_cache_size = 0) and with it (auth_cache_size = 10M,
  auth_cache_ttl = 5s, auth_cache_negative_ttl = 5s: tern's defaults).
  Both: auth_failure_delay = 0 (else the unknown-user logins measure the
  delay), client limit 2000. Dovecot: auth_verbose = no, auth-worker
  idle_kill = 1h (the MySQL driver is blocking: lookups run in auth-worker
  processes, up to 30). tern: log_level = info, 8 lookup threads.
- method: bench/authbench (one process, poll loop, one request in flight per
  connection; it shares the 2 CPUs with the servers and mariadbd) against
  each server's UNIX sockets. Per load $ROUNDS round(s), the server order
  reversed every other round, each a ${WARM} s warm-up then ${SECS} s
  measured; ops/s = all ops / all measured seconds. Known users are picked
  round-robin ($NUSERS users: with the cache on, after the warm-up nearly
  every lookup is a hit; entries expire after 5 s and are fetched again).
  "unknown users": every request names a new user (nx<pid>-<n>-plainNNNN@bench.test),
  so every lookup misses the cache and goes to the database; the expected
  answer is FAIL / NOTFOUND. Logins of unknown users are tern-only: Dovecot
  answers a failed login only on its next 0.5 s failure-queue tick even with
  auth_failure_delay = 0, plus the anvil auth penalty (2 s, 4 s, 8 s, ...
  also without rip), so it would measure those delays; tern verifies a dummy
  SHA512-CRYPT hash for an unknown user (timing does not tell which users
  exist), so that row costs a hash per login, like the SHA512-CRYPT row.
- an op is an answer of the expected kind; anything else is an error,
  temporary failures (FAIL temp, userdb FAIL, socketmap TEMP) in brackets.
- CPU = utime+stime during the measured runs, of tern's authd (all threads),
  of Dovecot's auth + auth-worker + anvil processes, and of mariadbd (only
  the server under load is busy while it runs).

## Throughput (ops/s, higher is better)

| load | tern | Dovecot | tern/Dovecot | tern cached | Dovecot cached | tern/Dovecot cached | cache gain tern | cache gain Dovecot | errors (temp) tern / Dovecot / tern cached / Dovecot cached |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$ROWS1
## CPU ms per 1000 ops (lower is better)

| load | tern authd | its mariadbd | Dovecot auth | its mariadbd | tern cached authd | its mariadbd | Dovecot cached auth | its mariadbd |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
$ROWS2
## Logs
$LOGNOTES
EOF
)
mkdir -p "$SRC/bench/results"
echo "$REPORT" | tee "$SRC/bench/results/authd-sql.md"
