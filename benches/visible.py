#!/usr/bin/env python3
"""Times launch to a *visible* window (P1's second row in benches/run.sh), as a person
waiting for it sees it: each program is started, `xdotool search --onlyvisible` looks
for its window by title every 10 ms (eframe keeps a window unmapped until its first frame
is painted), and once found the program is killed. The programs' runs alternate, so
whatever else the machine is doing falls on both. Writes hyperfine-shaped JSON (each
program's median and times, in seconds) for benches/report.py.

usage: visible.py OUT.json RUNS WARMUP NAME TITLE COMMAND [NAME TITLE COMMAND ...]
COMMAND is one shell word list (split on spaces); the environment is inherited.
"""

import json
import statistics
import subprocess
import sys
import tempfile
import time

POLL = 0.010
TIMEOUT = 30.0


def visible(title: str) -> bool:
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return found.returncode == 0


class NoWindow(Exception):
    """The program ended without showing its window."""


def one_run(title: str, command: list) -> float:
    """Seconds from launch to the window found visible."""
    if visible(title):
        sys.exit(f"visible.py: a window titled {title!r} is already on the display")
    errors = tempfile.TemporaryFile()
    start = time.monotonic()
    program = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
    try:
        polls = 0
        while True:
            if visible(title):
                return time.monotonic() - start
            if program.poll() is not None:
                errors.seek(0)
                said = errors.read().decode(errors="replace")[-2000:]
                raise NoWindow(f"{command[0]} ended ({program.returncode}) with no window:\n{said}")
            if time.monotonic() - start > TIMEOUT:
                sys.exit(f"visible.py: no window titled {title!r} after {TIMEOUT:.0f} s")
            polls += 1
            # Every 10 ms from launch, however long the last look took.
            time.sleep(max(0.0, start + polls * POLL - time.monotonic()))
    finally:
        program.kill()
        program.wait()
        errors.close()


def main() -> None:
    out, runs, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rest = sys.argv[4:]
    programs = [(rest[i], rest[i + 1], rest[i + 2].split()) for i in range(0, len(rest), 3)]
    times = {name: [] for name, _, _ in programs}
    # A program that could not reach the display (seen now and then under Xvfb while
    # the machine is loaded: "Failed to open connection to X server") is run again.
    retries = 3
    for n in range(warmup + runs):
        for name, title, command in programs:
            while True:
                try:
                    took = one_run(title, command)
                    break
                except NoWindow as e:
                    print(f"visible.py: {e}", file=sys.stderr)
                    retries -= 1
                    if retries < 0:
                        sys.exit("visible.py: too many runs ended with no window")
            if n >= warmup:
                times[name].append(took)
    results = [{"command": name, "median": statistics.median(t), "mean": statistics.mean(t),
                "min": min(t), "max": max(t), "times": t} for name, t in times.items()]
    for r in results:
        print(f"{r['command']}: median {r['median'] * 1000:.1f} ms "
              f"(min {r['min'] * 1000:.1f}, max {r['max'] * 1000:.1f}, {len(r['times'])} runs)",
              file=sys.stderr)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"results": results}, f, indent=1)


if __name__ == "__main__":
    main()
