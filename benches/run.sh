#!/usr/bin/env bash
# The benchmarks (README "Performance"): builds Mailroom in release, installs what they
# need (hyperfine, msmtp, curl, GNU time, the test Postfix, Xvfb, xdotool), measures each figure
# and its floor in the same run, and prints one Markdown table (benches/report.py).
# It reports: a missed target is not an error; it exits non-zero only when something
# fails to run. Run it as root on Debian 12 / Ubuntu (Postfix's master starts as root).
#
#   benches/run.sh            all rows; BENCH_KEEP=1 keeps the work folder for a look
#   BENCH_ONLY="P3 P5" benches/run.sh   just those rows (P5 and P6 are measured together)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bash scripts/install-packages.sh hyperfine msmtp curl time python3 \
  postfix sasl2-bin libsasl2-modules openssl \
  xvfb xauth xdotool libx11-6 libx11-xcb1 libxcb1 libxcursor1 libxi6 libxkbcommon0 libxkbcommon-x11-0 \
  libfontconfig1 libvulkan1 mesa-vulkan-drivers libegl1 libgl1-mesa-dri

echo "building in release (the first time takes several minutes)…" >&2
cargo build --release --quiet --bin mailroom \
  --example bench_bare_window --example bench_frames --example bench_seed_drafts
# P1's second floor: eframe's default features, so a package of its own (benches/bare-default).
cargo build --release --quiet --manifest-path benches/bare-default/Cargo.toml --target-dir "$root/target"
mr=$root/target/release/mailroom
examples=$root/target/release/examples
bare_default=$root/target/release/bench_bare_default

work=$(mktemp -d /tmp/mailroom-bench.XXXXXX)
chmod 755 "$work" # Postfix's daemons run as user postfix and must reach their queue
xvfb_pid=""
cleanup() {
  bash "$root/tests/support/postfix-testbed.sh" stop "$work/postfix" >/dev/null 2>&1 || true
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  [ -n "${BENCH_KEEP:-}" ] && echo "work folder kept: $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

step() { echo "== $*" >&2; }
# Whether row $1 is to be measured (BENCH_ONLY, default all).
wants() { [[ " ${BENCH_ONLY:-P1 P2 P3 P4 P5 P6} " == *" $1 "* ]]; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- the real SMTP server of the tests: STARTTLS + AUTH, a test CA, a 40 MiB SIZE -------
sub=$(free_port)
SMTP_SUBMISSION_PORT=$sub SMTP_SMTPS_PORT=$(free_port) SMTP_PLAIN_PORT=$(free_port) \
  bash tests/support/postfix-testbed.sh start "$work/postfix" >"$work/postfix.txt" || { cat "$work/postfix.txt" >&2; exit 1; }
ca=$work/postfix/certs/ca.crt
maildir=$work/postfix/Maildir/new
queue=$work/postfix/queue
# Waits until Postfix has delivered everything it took, then empties its Maildir, so one
# timed run never pays for the last one's delivery.
drain="while [ -n \"\$(find $queue/incoming $queue/active $queue/deferred -type f 2>/dev/null)\" ]; do sleep 0.1; done; find $maildir -type f -delete"

# A Mailroom home whose default profile is that server (the password by command).
new_home() {
  MAILROOM_HOME=$1 "$mr" profile add bench --host localhost --port "$sub" --user testuser \
    --from "Bench <bench@example.org>" --ca-file "$ca" --password-command "printf testpass" >/dev/null
}

# The 25 MiB attachment of P2 and P6.
if wants P2 || wants P6; then head -c 25M /dev/urandom >"$work/big.bin"; fi

# --- P1: start-up under Xvfb, two ways ----------------------------------------------------
# First row: launch to the first painted frame, against a bare window with Mailroom's own
# eframe features. Second row: launch to the window visible (found by polling every 10 ms,
# benches/visible.py), against a bare window with eframe's default features.
if wants P1; then
step "P1 start-up under Xvfb"
display=90
while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
# -noreset: by default Xvfb resets when its last client leaves, and a program started
# during the reset cannot open the display (seen between runs: "XOpenDisplayFailed").
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp -noreset >/dev/null 2>&1 & xvfb_pid=$!
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done
mkdir -p "$work/runtime" && chmod 700 "$work/runtime"
DISPLAY=":$display" XDG_RUNTIME_DIR=$work/runtime MAILROOM_EXIT_AFTER_FIRST_FRAME=1 \
  MAILROOM_HOME=$work/p1 hyperfine -N --style none --warmup 3 --runs 20 \
  --export-json "$work/p1.json" -n floor "$examples/bench_bare_window" -n mailroom "$mr" >&2
DISPLAY=":$display" XDG_RUNTIME_DIR=$work/runtime MAILROOM_HOME=$work/p1-visible \
  python3 benches/visible.py "$work/p1-visible.json" 20 3 \
  floor Bare "$bare_default" mailroom Mailroom "$mr" >&2
fi

# --- P2: one message with a 25 MiB attachment, against curl and msmtp ----------------------
if wants P2; then
step "P2 a 25 MiB attachment through STARTTLS + AUTH"
new_home "$work/p2"
send_big="$mr send --to ana@example.org --subject 'A big attachment' --body 'The file is attached.' --attach $work/big.bin"
MAILROOM_HOME=$work/p2 bash -c "$send_big --eml $work/big.eml"
export MAILROOM_HOME=$work/p2
hyperfine --style none --warmup 1 --runs 5 --export-json "$work/p2.json" \
  --prepare "$drain; rm -rf $work/p2/data/sent" \
  -n curl "curl -sS --ssl-reqd --cacert $ca --url smtp://localhost:$sub --user testuser:testpass --mail-from bench@example.org --mail-rcpt ana@example.org --upload-file $work/big.eml" \
  -n msmtp "msmtp --host=localhost --port=$sub --tls=on --tls-starttls=on --tls-trust-file=$ca --auth=on --user=testuser --passwordeval='printf testpass' --from=bench@example.org ana@example.org < $work/big.eml" \
  -n mailroom "$send_big" >&2
bash -c "$drain"
/usr/bin/time -f %M -o "$work/p2-rss-kib.txt" bash -c "exec $send_big"
stat -c %s "$work/big.bin" >"$work/p2-attachment-bytes.txt"
# What arrived is what was attached (a 34 MiB message goes as several BDAT chunks).
for _ in $(seq 100); do [ -n "$(ls -A "$maildir")" ] && break; sleep 0.1; done
python3 - "$maildir" "$work/big.bin" <<'PY'
import email, pathlib, sys
delivered = next(pathlib.Path(sys.argv[1]).iterdir())
parts = [p for p in email.message_from_bytes(delivered.read_bytes()).walk() if p.get_filename()]
if [p.get_payload(decode=True) for p in parts] != [pathlib.Path(sys.argv[2]).read_bytes()]:
    sys.exit("P2: the delivered attachment differs from the file sent")
PY
unset MAILROOM_HOME
fi

# --- P3: draining 500 due messages, against smtplib over one connection --------------------
if wants P3; then
step "P3 draining an outbox of 500 due messages"
new_home "$work/p3-template"
for n in $(seq 500); do
  MAILROOM_HOME=$work/p3-template "$mr" send --at now --to "Ana <ana@example.org>" \
    --subject "Message $n of 500" --body "A short note, number $n, scheduled for now." >/dev/null
done
MAILROOM_HOME=$work/p3-template "$mr" outbox list --json >"$work/p3-entries.json"
# Each run starts from a fresh copy of the outbox, after the file system has settled: on
# ext4 without a journal, creating a file within seconds of deleting many scans past
# them, so without the pause whichever run follows the larger deletion (the copy made
# for smtplib, which leaves it untouched) pays for it — in Postfix's queue files too.
hyperfine --style none --warmup 1 --runs 5 --export-json "$work/p3.json" \
  --prepare "$drain; rm -rf $work/p3; cp -a $work/p3-template $work/p3; sync; sleep 5" \
  -n floor "python3 $root/benches/smtplib_send.py localhost $sub $ca testuser testpass $work/p3-template/data/outbox $work/p3-entries.json" \
  -n mailroom "MAILROOM_HOME=$work/p3 $mr outbox run" >&2
left=$(MAILROOM_HOME=$work/p3 "$mr" outbox list --json)
[ "$(tr -d '[:space:]' <<<"$left")" = "[]" ] || { echo "P3: the outbox was not drained: $left" >&2; exit 1; }
fi

# --- P4: listing 10,000 drafts, against cat of their files --------------------------------
if wants P4; then
step "P4 listing 10,000 drafts"
"$examples/bench_seed_drafts" "$work/p4" 10000
hyperfine --style none --warmup 3 --runs 20 --export-json "$work/p4.json" \
  -n floor "cat $work/p4/data/drafts/*/draft.json >/dev/null" \
  -n mailroom "MAILROOM_HOME=$work/p4 $mr drafts list >/dev/null" >&2
listed=$(MAILROOM_HOME=$work/p4 "$mr" drafts list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$listed" = 10000 ] || { echo "P4: drafts list showed $listed drafts, not 10000" >&2; exit 1; }
fi

# --- P5 and P6: frames of the desktop app (egui_kittest, release) ---------------------------
if wants P5 || wants P6; then
step "P5 typing into a 1 MB body"
"$examples/bench_frames" typing >"$work/p5.txt"
step "P6 frames while the app sends the 25 MiB message"
new_home "$work/p6"
echo "undo_send_seconds = 0" >"$work/p6/config/settings.toml"
bash -c "$drain"
"$examples/bench_frames" sending "$work/p6" "$maildir" "$work/big.bin" >"$work/p6.txt"

fi

python3 benches/report.py "$work"
