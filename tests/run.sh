#!/usr/bin/env bash
# The test command (README): installs what the integration tests need on Debian or
# Ubuntu — Postfix with Cyrus SASL, gnome-keyring and D-Bus, python3, cron, Xvfb with
# ImageMagick — then runs `cargo test`. Postfix's master process must start as root, so run this as root.
# Extra arguments go to `cargo test` (e.g. `tests/run.sh --test keyring`).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(postfix sasl2-bin libsasl2-modules openssl dbus-daemon dbus-bin gnome-keyring
          libsecret-tools python3 cron
          # a real window: Xvfb, screenshots, and what eframe loads at run time
          xvfb xauth x11-utils imagemagick libx11-6 libx11-xcb1 libxcb1 libxcursor1 libxi6
          libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libvulkan1 mesa-vulkan-drivers libegl1
          libgl1-mesa-dri)
bash scripts/install-packages.sh "${packages[@]}"

# --show-output: the crash and fault tests print their counts.
exec cargo test --no-fail-fast "$@" -- --show-output
