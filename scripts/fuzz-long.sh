#!/usr/bin/env bash
# Long property-test runs ("fuzzing", README: Reliability): each target alone for SECONDS
# (default 600), two at a time (the machine has 2 cores), with as many cases as fit.
# Prints, per target, how many cases ran and whether anything failed; the logs are in
# target/fuzz/. A target that reaches the time limit without a failure "survived".
#   scripts/fuzz-long.sh [SECONDS] [TARGET-NAME-PART[,PART...]]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
IFS=',' read -r -a only <<<"${2:-}"
wanted() { # $1 = a target's name: is it one of the parts asked for (all when none)?
  [ ${#only[@]} -eq 0 ] && return 0
  local part; for part in "${only[@]}"; do [[ $1 == *"$part"* ]] && return 0; done
  return 1
}
mkdir -p target/fuzz
# The test binaries themselves (run directly, so `timeout` ends exactly them).
built=$(cargo test --no-run --test properties --lib 2>&1 | grep -o 'Executable .*(target/[^)]*)')
properties_bin=$(grep -o '(target/.*properties-[^)]*)' <<<"$built" | tr -d '()')
library_bin=$(grep 'unittests src/lib.rs' <<<"$built" | grep -o '(target/[^)]*)' | tr -d '()')

integration=(mailto_never_panics eml_import_never_panics the_logic_apps_payload_parser_never_panics
             when_never_panics address_lists_never_panic_and_read_back_the_same
             the_header_writer_round_trips_through_mail_parser html_to_text_never_panics_and_keeps_the_words
             the_outbox_slot_decoder_reads_what_was_written_or_nothing autoconfig_never_panics)
library=(properties_the_request_line_parser_never_panics properties_code_and_state_come_back_as_sent
         properties_any_token_answer_becomes_tokens_or_an_error)

run() { # $1 = the test binary, $2 = the target, $3 = its test path
  local log=target/fuzz/$2.log
  PROPTEST_CASES=4000000000 MAILROOM_FUZZ_PROGRESS=1 timeout -s KILL "$seconds" \
    "$1" --exact "$3" --nocapture >"$log" 2>&1 || true
  local cases; cases=$(grep -o "[0-9]* cases" "$log" | tail -1 || true)
  if grep -q "test result: FAILED\|panicked" "$log"; then
    echo "$2: FAILED after ${cases:-<10000 cases} (see $log)"
  elif grep -q "test result: ok" "$log"; then
    echo "$2: all cases passed before the limit"
  else
    echo "$2: ${cases:-fewer than 10000 cases} in ${seconds} s, no failure"
  fi
}

jobs=()
for t in "${integration[@]}"; do wanted "$t" && jobs+=("$properties_bin|$t|$t"); done
for t in "${library[@]}"; do
  wanted "$t" || continue
  module=$([[ $t == properties_any_token* ]] && echo oauth::flow || echo oauth::callback)
  jobs+=("$library_bin|$t|$module::properties::$t")
done
running=0
for job in "${jobs[@]}"; do
  IFS='|' read -r bin name path <<<"$job"
  run "$bin" "$name" "$path" 2>/dev/null &
  running=$((running + 1))
  if [ "$running" -ge 2 ]; then wait -n; running=$((running - 1)); fi
done
wait
