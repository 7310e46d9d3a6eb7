#!/bin/sh
# Installs the Debian packages whose programs the tests drive as real peers.
# No -dev package: otpgate builds without cgo and loads libpam0g and
# libpcsclite1 at run time.
# It is idempotent: packages already present are left alone, and apt-get is
# only called when something is missing. Run as root (CI is root).
set -eu

PKGS="oathtool python3-pyotp python3-pskc pskctool python3-cryptography
stoken sqlite3 zbar-tools
pcscd libpcsclite1 vsmartcard-vpcd yubikey-manager libyubikey-dev
libpam0g pamtester libpam-oath libpam-google-authenticator
freeradius freeradius-utils libpam-radius-auth ocserv openconnect postgresql
openvpn openssl iproute2 apache2-utils bsdutils prometheus argon2
strongswan-charon strongswan-swanctl libcharon-extra-plugins libcharon-extauth-plugins
libstrongswan-standard-plugins passwd systemd
curl libpam-yubico postfix sasl2-bin
slapd ldap-utils samba samba-ad-dc samba-ad-provision winbind
chromium
lintian man-db groff-base zsh adduser"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-test-deps: missing packages:$missing; run as root or install them" >&2
	exit 1
fi
echo "install-test-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# The tests start every daemon they need themselves, on ports they choose:
# keep the packages' own services (ocserv on 443, freeradius on 1812,
# postgresql, prometheus, ...) from starting during the install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# Postfix would ask how to configure the machine's mail system; the tests
# run instances of their own (internal/testpeer/postfix.go) and need none.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
