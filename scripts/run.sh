#!/usr/bin/env bash
# Runs Mailroom (README): on Debian or Ubuntu as root, first installs the libraries the
# window loads at run time if they are missing; then builds and starts the app.
# Arguments go to mailroom (e.g. `scripts/run.sh send --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
libs=(libx11-6 libx11-xcb1 libxcb1 libxcursor1 libxi6 libxkbcommon0 libxkbcommon-x11-0
      libfontconfig1 libvulkan1 mesa-vulkan-drivers libegl1 libgl1-mesa-dri)
if command -v dpkg >/dev/null && [ "$(id -u)" = 0 ]; then
  bash scripts/install-packages.sh "${libs[@]}"
fi
exec cargo run --release --quiet -- "$@"
