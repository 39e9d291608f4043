#!/bin/sh
# mariadb-private.sh: a throwaway MariaDB server for tests, in a directory of
# its own (no system config, no system socket, no network unless asked).
#   start DIR [tcp PORT]  init DIR/data on first use, start mariadbd on the
#                         socket DIR/sock (and 127.0.0.1:PORT with tcp), wait
#                         until it answers, print the socket path
#   stop DIR              shut it down (SIGTERM via DIR/pid) and wait
#   kill9 DIR             SIGKILL it (a crash), wait until it is gone
# On first start a user $TERN_DB_USER (default "tern") with password
# $TERN_DB_PASSWORD (default "tern-test-pw") gets all privileges, from
# localhost and 127.0.0.1; root@localhost has no password.
# With MARIADB_TLS=1, start makes a self-signed certificate for 127.0.0.1
# and localhost (DIR/tls/cert.pem, also the CA to trust) and enables TLS.
set -u

MARIADBD=${MARIADBD:-/usr/sbin/mariadbd}
INSTALL_DB=${MARIADB_INSTALL_DB:-/usr/bin/mariadb-install-db}
CLIENT=${MARIADB_CLIENT:-/usr/bin/mariadb}
ADMIN=${MARIADB_ADMIN:-/usr/bin/mariadb-admin}
DB_USER=${TERN_DB_USER:-tern}
DB_PASSWORD=${TERN_DB_PASSWORD:-tern-test-pw}
START_TIMEOUT=${MARIADB_START_TIMEOUT:-60}

die() { echo "mariadb-private: $*" >&2; exit 1; }

usage() { die "usage: $0 start DIR [tcp PORT] | stop DIR | kill9 DIR"; }

# The pid from DIR/pid when that process is alive.
live_pid() {
	[ -s "$1/pid" ] || return 1
	pid=$(cat "$1/pid" 2>/dev/null) || return 1
	case $pid in ''|*[!0-9]*) return 1 ;; esac
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

# Wait (up to $2 tenths of a second) until process $1 is gone.
wait_gone() {
	n=0
	while kill -0 "$1" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -le "$2" ] || return 1
		sleep 0.1
	done
	return 0
}

as_root_opt() { [ "$(id -u)" = 0 ] && echo "--user=root"; }

do_start() {
	dir=$1; shift
	net="--skip-networking"
	if [ $# -ge 1 ]; then
		if [ "$1" != tcp ] || [ $# -ne 2 ]; then usage; fi
		case $2 in ''|*[!0-9]*) die "bad port: $2" ;; esac
		net="--port=$2 --bind-address=127.0.0.1"
	fi
	for b in "$MARIADBD" "$INSTALL_DB" "$CLIENT" "$ADMIN"; do
		[ -x "$b" ] || die "not installed: $b (apt-get install mariadb-server mariadb-client)"
	done
	mkdir -p "$dir" || die "cannot create $dir"
	dir=$(cd "$dir" && pwd) || exit 1
	sock="$dir/sock"
	[ ${#sock} -lt 100 ] || die "socket path too long: $sock"
	if pid=$(live_pid "$dir"); then
		die "already running in $dir (pid $pid)"
	fi
	fresh=0
	if [ ! -d "$dir/data/mysql" ]; then
		fresh=1
		# shellcheck disable=SC2046
		"$INSTALL_DB" --no-defaults --datadir="$dir/data" $(as_root_opt) \
			--auth-root-authentication-method=normal --skip-test-db \
			>"$dir/install.log" 2>&1 ||
			die "mariadb-install-db failed, see $dir/install.log"
	fi
	tls=""
	if [ "${MARIADB_TLS:-0}" = 1 ]; then
		if [ ! -s "$dir/tls/cert.pem" ]; then
			mkdir -p "$dir/tls" || die "cannot create $dir/tls"
			openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
				-subj /CN=127.0.0.1 \
				-addext subjectAltName=IP:127.0.0.1,DNS:localhost \
				-keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" \
				>"$dir/tls/openssl.log" 2>&1 ||
				die "openssl req failed, see $dir/tls/openssl.log"
		fi
		tls="--ssl-cert=$dir/tls/cert.pem --ssl-key=$dir/tls/key.pem"
	fi
	rm -f "$dir/pid"
	# shellcheck disable=SC2086,SC2046
	"$MARIADBD" --no-defaults --datadir="$dir/data" --socket="$sock" $net \
		--pid-file="$dir/pid" --log-error="$dir/err.log" $(as_root_opt) \
		--skip-log-bin --innodb-buffer-pool-size=16M --max-connections=200 \
		--skip-name-resolve $tls </dev/null >/dev/null 2>&1 &
	srv=$!
	n=0
	until "$ADMIN" --no-defaults --socket="$sock" -uroot --connect-timeout=2 \
		ping >/dev/null 2>&1; do
		if ! kill -0 "$srv" 2>/dev/null; then
			die "mariadbd exited, see $dir/err.log"
		fi
		n=$((n + 1))
		if [ "$n" -gt $((START_TIMEOUT * 10)) ]; then
			kill -9 "$srv" 2>/dev/null
			die "mariadbd did not answer within ${START_TIMEOUT}s, see $dir/err.log"
		fi
		sleep 0.1
	done
	# mariadbd writes the pid file itself; make sure it is there for stop.
	[ -s "$dir/pid" ] || echo "$srv" >"$dir/pid"
	if [ "$fresh" = 1 ]; then
		"$CLIENT" --no-defaults --socket="$sock" -uroot <<SQL || { do_kill9 "$dir"; die "creating user $DB_USER failed"; }
CREATE USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
	fi
	echo "$sock"
}

do_stop() {
	pid=$(live_pid "$1") || return 0
	kill -TERM "$pid" 2>/dev/null
	if ! wait_gone "$pid" 300; then
		kill -KILL "$pid" 2>/dev/null
		wait_gone "$pid" 100 || die "pid $pid does not die"
	fi
	rm -f "$1/pid"
}

do_kill9() {
	pid=$(live_pid "$1") || return 0
	kill -KILL "$pid" 2>/dev/null
	wait_gone "$pid" 100 || die "pid $pid does not die"
	rm -f "$1/pid"
}

[ $# -ge 2 ] || usage
cmd=$1; shift
case $cmd in
start) do_start "$@" ;;
stop) [ $# -eq 1 ] || usage; do_stop "$1" ;;
kill9) [ $# -eq 1 ] || usage; do_kill9 "$1" ;;
*) usage ;;
esac
