#!/usr/bin/env bash
# A desktop session as a person has it, under Xvfb (tests/desktop.rs): Mailroom installed
# for the user with `desktop install --mailto`, mail links opened with xdg-open, a second
# start while the window is open, a saved .eml opened, and the window killed and started
# again. Writes what each step printed, and screenshots, into OUT:
#   tests/support/desktop-session.sh OUT   (MAILROOM_BIN, MAILROOM_HOME set by the test)
set -euo pipefail
out=$(realpath "${1:?usage: desktop-session.sh OUT}")
export BIN=${MAILROOM_BIN:?} OUT=$out
export XDG_DATA_HOME=$out/xdg-data XDG_CONFIG_HOME=$out/xdg-config XDG_RUNTIME_DIR=$out/run
export XDG_DATA_DIRS=/usr/local/share:/usr/share
# xdg-utils' generic mode, whatever desktop the tests run under (GNOME or KDE would ask
# gio or kde's tools, which read the person's own settings).
unset XDG_CURRENT_DESKTOP KDE_FULL_SESSION KDE_SESSION_VERSION GNOME_DESKTOP_SESSION_ID DE DESKTOP_SESSION
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"

inner=$(cat <<'INNER'
set -euo pipefail
# xvfb-run can hand over before its server takes clients (seen once under load: "Failed
# to open connection to X server"): wait until the display answers.
for _ in $(seq 100); do xwininfo -root >/dev/null 2>&1 && break; sleep 0.1; done
window_up() {  # waits for a Mailroom window on screen; fails after 30 s
  for _ in $(seq 300); do
    xwininfo -name Mailroom 2>/dev/null | grep -q 'Map State: IsViewable' && return 0
    sleep 0.1
  done
  echo "no Mailroom window appeared" >&2; return 1
}
window_gone() {
  for _ in $(seq 300); do
    xwininfo -root -tree 2>/dev/null | grep -q '"Mailroom"' || return 0
    sleep 0.1
  done
  return 1
}
shot() {  # the window as it is now
  sleep "${SHOT_DELAY:-1.5}"
  geometry=$(xwininfo -name Mailroom | awk '/Absolute upper-left X/{x=$4} /Absolute upper-left Y/{y=$4} /Width:/{w=$2} /Height:/{h=$2} END{print w "x" h "+" x "+" y}')
  import -window root -crop "$geometry" +repage "$OUT/$1"
}

"$BIN" desktop install --mailto > "$OUT/install.txt"
xdg-mime query default x-scheme-handler/mailto > "$OUT/default.txt"
desktop-file-validate "$XDG_DATA_HOME/applications/mailroom.desktop" > "$OUT/validate.txt" 2>&1 || true

# No window yet: the link starts one (xdg-open waits for it, so in the background).
xdg-open 'mailto:ana@example.org?subject=Hello%20from%20a%20link' > "$OUT/first.txt" 2>&1 &
window_up
shot first.png
# While it is open: a plain start, a second link and a saved message reach that window.
"$BIN" > "$OUT/show.txt" 2>&1
xdg-open 'mailto:bob@example.org?subject=Second%20link' > "$OUT/second.txt" 2>&1
shot second.png
"$BIN" compose "$OUT/saved.eml" > "$OUT/eml.txt" 2>&1
imported=no
for _ in $(seq 300); do
  "$BIN" drafts list > "$OUT/drafts.txt" 2>&1
  if grep -q 'Minutes of Monday' "$OUT/drafts.txt"; then imported=yes; break; fi
  sleep 0.1
done
[ "$imported" = yes ] || { echo "the window did not import saved.eml in 30 s" >&2; exit 1; }
xwininfo -root -tree | grep -c '"Mailroom"' > "$OUT/windows.txt" || true
# The window dies without cleaning up; the next link must still open a window.
window_pid() { xprop -name Mailroom _NET_WM_PID | awk '{print $3}'; }
kill -KILL "$(window_pid)"
window_gone
# Two links at the same moment (the socket is stale): one window, which opens both.
xdg-open 'mailto:carol@example.org?subject=After%20a%20crash' > "$OUT/after-crash.txt" 2>&1 &
xdg-open 'mailto:dave@example.org?subject=At%20the%20same%20moment' > "$OUT/same-moment.txt" 2>&1 &
window_up
sleep 2
xwininfo -root -tree | grep -c '"Mailroom"' > "$OUT/windows-after-crash.txt" || true
"$BIN" > "$OUT/show-after-crash.txt" 2>&1
kill -TERM "$(window_pid)"
window_gone
INNER
)
xvfb-run -a -s '-screen 0 1100x760x24' bash -c "$inner"
