#!/usr/bin/env bash
# Builds Mailroom's .deb with cargo-deb (configured in Cargo.toml, [package.metadata.deb]):
#   scripts/build-deb.sh           the release build → target/debian/mailroom_<version>_<arch>.deb
#   scripts/build-deb.sh --dev     the debug build (quicker to make; what tests/package.rs packs)
# Prints the path of the .deb on its last line. Installs cargo-deb (and dpkg-dev, for the
# shared-library dependencies) when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release dir=release
if [ "${1:-}" = --dev ]; then profile=dev dir=debug; fi

command -v dpkg-shlibdeps >/dev/null || bash scripts/install-packages.sh dpkg-dev
command -v cargo-deb >/dev/null || cargo install --locked cargo-deb --version 3.8.0

cargo build --quiet --profile "$profile" --bin mailroom
bash scripts/package-files.sh "target/$dir/mailroom"
# --fast: the debug binary is large, and xz at its best takes minutes over it.
extra=(); [ "$profile" = dev ] && extra=(--fast)
cargo deb --no-build --profile "$profile" "${extra[@]}"
