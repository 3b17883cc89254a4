#!/usr/bin/env bash
# Renders assets/icons/mailroom.svg into the hicolor PNG sizes under
# assets/icons/hicolor/<N>x<N>/apps/mailroom.png. The PNGs are committed, so a build or
# a package needs no SVG renderer; run this again after changing the SVG.
# Needs rsvg-convert (Debian/Ubuntu: librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")/.."
svg=assets/icons/mailroom.svg
command -v rsvg-convert >/dev/null || { echo "rsvg-convert not found (apt-get install librsvg2-bin)" >&2; exit 1; }
for n in 16 24 32 48 64 128 256 512; do
  dir=assets/icons/hicolor/${n}x${n}/apps
  mkdir -p "$dir"
  rsvg-convert --width "$n" --height "$n" --keep-aspect-ratio --format png \
    --output "$dir/mailroom.png" "$svg"
  echo "$dir/mailroom.png"
done
