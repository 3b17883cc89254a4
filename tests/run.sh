#!/usr/bin/env bash
# The test command (README): installs what the integration tests need on Debian or
# Ubuntu — Postfix with Cyrus SASL, Dovecot (IMAP + token checks for the OAuth2 test bed),
# Node.js with the bed's npm package, gnome-keyring and D-Bus, python3, cron, dnsmasq, Xvfb with
# ImageMagick, the desktop tools (xdg-utils, desktop-file-utils, appstream) and cargo-deb
# — then runs `cargo test`. Postfix's master process must start as root, so run this as root.
# Extra arguments go to `cargo test` (e.g. `tests/run.sh --test keyring`).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(postfix sasl2-bin libsasl2-modules openssl dbus-daemon dbus-bin gnome-keyring
          libsecret-tools python3 cron
          # account detection's DNS server (MX, SRV, A records on a loopback port)
          dnsmasq-base
          # a real window: Xvfb, screenshots, and what eframe loads at run time
          xvfb xauth x11-utils imagemagick libx11-6 libx11-xcb1 libxcb1 libxcursor1 libxi6
          libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libvulkan1 mesa-vulkan-drivers libegl1
          libgl1-mesa-dri
          # the OAuth2 + IMAP test bed (tests/support/oauth-testbed.sh, README-oauth.md)
          dovecot-core dovecot-imapd
          # the desktop and the .deb (tests/desktop.rs, tests/package.rs): the menu entry's
          # and metainfo's validators, xdg-open / xdg-mime, dpkg-shlibdeps, man
          desktop-file-utils appstream xdg-utils dpkg-dev man-db
          # chattr: a folder even root cannot write, for saves that fail (support::Immutable)
          e2fsprogs
          # the accessibility tests read the window over AT-SPI (tests/support/atspi-tree.py)
          python3-pyatspi at-spi2-core libglib2.0-bin)
# Node.js runs the bed's OAuth2 server. A node + npm that came with the machine (not
# Debian's) is used as it is: Debian's npm package conflicts with it.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
bash scripts/install-packages.sh "${packages[@]}"

# The bed's npm package (oauth2-mock-server, pinned with its lock file in
# tests/support/oauth-node/), installed once into target/oauth-node and reused by each run.
node_dir=target/oauth-node
lock=tests/support/oauth-node/package-lock.json
if ! cmp -s "$lock" "$node_dir/package-lock.json" || [ ! -d "$node_dir/node_modules/oauth2-mock-server" ]; then
  rm -rf "$node_dir"; mkdir -p "$node_dir"
  cp tests/support/oauth-node/package.json "$lock" "$node_dir/"
  echo "installing the OAuth test bed's npm package into $node_dir" >&2
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
OAUTH_NODE_MODULES=$(cd "$node_dir/node_modules" && pwd)
export OAUTH_NODE_MODULES

# cargo-deb builds the .deb that tests/package.rs installs (once per machine).
command -v cargo-deb >/dev/null 2>&1 || cargo install --quiet --locked cargo-deb --version 3.8.0

# --show-output: the crash and fault tests print their counts.
exec cargo test --no-fail-fast "$@" -- --show-output
