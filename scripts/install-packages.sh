#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages named as arguments that are not installed yet
# (apt-get, as root). Postfix, if named, is installed with "No configuration": no system
# mail server is set up or started. No package's service is started by the install either
# (the tests run their own private instances): while apt-get runs, /usr/sbin/policy-rc.d
# answers 101 ("not allowed") to invoke-rc.d, so e.g. dovecot-core's postinst does not
# start a system Dovecot on *:143/993. An existing policy-rc.d is left as it is.
# Used by tests/run.sh and benches/run.sh.
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "$0: missing packages: ${missing[*]}; run as root (or install them) first" >&2
  exit 1
fi
echo "installing ${missing[*]}" >&2
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string smtp.test.invalid" | debconf-set-selections
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# written by mailroom scripts/install-packages.sh while it installs\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
