#!/usr/bin/env bash
# Writes what the .deb ships besides the binary and assets/ — the manual page (gzipped,
# as Debian wants it), completions for bash, zsh and fish, the systemd user units — next
# to the binary, in <its folder>/package-files, where Cargo.toml's assets name them:
#   scripts/package-files.sh target/release/mailroom
set -euo pipefail
bin=${1:?usage: scripts/package-files.sh PATH/TO/mailroom}
out=$(dirname "$bin")/package-files
"$bin" package-files "$out" >/dev/null
gzip -9nf "$out/mailroom.1"
