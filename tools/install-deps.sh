#!/bin/sh
# Installs the Debian packages given as arguments when any is missing, and,
# when run as root, the system users tern's daemons run as. Noninteractive:
# safe in CI (no stdin). Without root it only reports what is missing.
set -eu
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing Debian packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
		exit 1
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	case " $missing " in
	*" postfix "*)
		# no debconf dialog: install the binaries, leave main.cf alone
		echo "postfix postfix/main_mailer_type select No configuration" |
			debconf-set-selections ;;
	esac
	apt-get update -q || true
	apt-get install -y -q --no-install-recommends $missing
fi
if [ "$(id -u)" -eq 0 ]; then
	for u in tern tern-auth vmail; do
		getent passwd "$u" >/dev/null 2>&1 ||
			useradd --system --no-create-home --home-dir /nonexistent \
				--shell /usr/sbin/nologin --user-group "$u"
	done
fi
