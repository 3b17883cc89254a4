#!/usr/bin/env bash
# Runs the real mailroom window under Xvfb, waits for its first frame, and saves a
# screenshot: scripts/screenshot.sh OUT.png [MAILROOM ARGS...]
# MAILROOM_HOME is a fresh temp folder unless set. Needs xvfb, xauth, x11-utils and
# imagemagick (tests/run.sh installs them). Exits non-zero if no window appears.
set -euo pipefail
out=${1:?usage: scripts/screenshot.sh OUT.png [ARGS...]}; shift || true
cd "$(dirname "$0")/.."
bin=${MAILROOM_BIN:-target/debug/mailroom}
[ -x "$bin" ] || cargo build --quiet
home=${MAILROOM_HOME:-$(mktemp -d)}
runtime=$(mktemp -d); chmod 700 "$runtime"
out=$(realpath -m "$out")

# Inside the virtual display: start the app, wait for its window, give it a moment to
# paint, take the picture, close the app.
inner=$(cat <<'INNER'
set -euo pipefail
# xvfb-run can hand over before its server takes clients (seen once under load: "Failed
# to open connection to X server"): wait until the display answers.
for _ in $(seq 100); do xwininfo -root >/dev/null 2>&1 && break; sleep 0.1; done
"$BIN" "$@" & pid=$!
for _ in $(seq 100); do
  if xwininfo -root -tree 2>/dev/null | grep -q '"Mailroom"'; then break; fi
  kill -0 "$pid" 2>/dev/null || { echo "mailroom exited before showing a window" >&2; exit 1; }
  sleep 0.1
done
xwininfo -root -tree | grep -q '"Mailroom"' || { echo "no Mailroom window appeared" >&2; kill "$pid"; exit 1; }
sleep "${SHOT_DELAY:-2}"
geometry=$(xwininfo -name Mailroom | awk '/Absolute upper-left X/{x=$4} /Absolute upper-left Y/{y=$4} /Width:/{w=$2} /Height:/{h=$2} END{print w "x" h "+" x "+" y}')
import -window root -crop "$geometry" +repage "$OUT"
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
INNER
)
BIN=$(realpath "$bin") OUT="$out" MAILROOM_HOME="$home" XDG_RUNTIME_DIR="$runtime" \
  xvfb-run -a -s '-screen 0 1100x760x24' bash -c "$inner" bash "$@"
rm -rf "$runtime"
echo "screenshot: $out"
