#!/usr/bin/env bash
# The test command (README): installs what the integration tests need on Debian or
# Ubuntu — Postfix with Cyrus SASL, gnome-keyring and D-Bus, python3 — then runs
# `cargo test`. Postfix's master process must start as root, so run this as root.
# Extra arguments go to `cargo test` (e.g. `tests/run.sh --test keyring`).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(postfix sasl2-bin libsasl2-modules openssl dbus-daemon dbus-bin gnome-keyring
          libsecret-tools python3 cron)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "tests/run.sh: missing packages: ${missing[*]}; run as root (or install them) first" >&2
    exit 1
  fi
  echo "tests/run.sh: installing ${missing[*]}"
  # "No configuration": no system mail server is set up or started.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  echo "postfix postfix/mailname string smtp.test.invalid" | debconf-set-selections
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --show-output: the crash and fault tests print their counts.
exec cargo test --no-fail-fast "$@" -- --show-output
