#!/usr/bin/env python3
"""Prints the table of benches/run.sh from what it measured in WORK_DIR: hyperfine's JSON
(medians; benches/visible.py writes the same shape), GNU time's peak RSS and the key=value lines of bench_frames.

usage: report.py WORK_DIR
"""

import json
import sys
from pathlib import Path

MIB = 1024 * 1024


def medians(path: Path) -> dict:
    """Each command's median wall time in seconds, by its hyperfine name."""
    results = json.loads(path.read_text())["results"]
    return {r["command"]: r["median"] for r in results}


def figures(path: Path) -> dict:
    """The key=value figures a bench_frames line printed."""
    return {k: float(v) for k, v in (pair.split("=") for pair in path.read_text().split())}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def ratio_row(row_id: str, what: str, figure: str, floor: str, ratio: float, limit: float,
              at_least: bool = False) -> tuple:
    """A row whose target is a ratio to its floor: at most `limit`, or at least it."""
    met = ratio >= limit if at_least else ratio <= limit
    target = f"{'≥' if at_least else '≤'} {limit:g}×"
    return (row_id, what, figure, floor, f"{ratio:.2f}×", target, verdict(met))


def p1_rows(work: Path) -> list:
    p1 = medians(work / "p1.json")
    return [ratio_row("P1", "start to first painted frame (Xvfb)", ms(p1["mailroom"]),
                      f"bare eframe window {ms(p1['floor'])}",
                      p1["mailroom"] / p1["floor"], 1.3)]


def p1_visible_rows(work: Path) -> list:
    p1 = medians(work / "p1-visible.json")
    return [ratio_row("P1", "start to a visible window (Xvfb, polled every 10 ms)",
                      ms(p1["mailroom"]),
                      f"bare eframe window, default features {ms(p1['floor'])}",
                      p1["mailroom"] / p1["floor"], 1.3)]


def p2_rows(work: Path) -> list:
    p2 = medians(work / "p2.json")
    fastest = min(("curl", "msmtp"), key=lambda name: p2[name])
    rss = int((work / "p2-rss-kib.txt").read_text().split()[-1]) * 1024
    attachment = int((work / "p2-attachment-bytes.txt").read_text())
    return [ratio_row("P2", "`send` with a 25 MiB attachment, STARTTLS + AUTH",
                      ms(p2["mailroom"]),
                      f"{fastest} {ms(p2[fastest])} (curl {ms(p2['curl'])}, "
                      f"msmtp {ms(p2['msmtp'])})",
                      p2["mailroom"] / p2[fastest], 1.2),
            ratio_row("P2", "peak RSS of that send", f"{rss / MIB:.1f} MiB",
                      f"the attachment {attachment / MIB:.0f} MiB", rss / attachment, 3)]


def p3_rows(work: Path) -> list:
    p3 = medians(work / "p3.json")
    return [ratio_row("P3", "`outbox run` draining 500 due messages (rate)",
                      f"{500 / p3['mailroom']:.0f} msg/s",
                      f"python3 smtplib, one connection: {500 / p3['floor']:.0f} msg/s",
                      p3["floor"] / p3["mailroom"], 1.0, at_least=True)]


def p4_rows(work: Path) -> list:
    p4 = medians(work / "p4.json")
    return [ratio_row("P4", "`drafts list` over 10,000 drafts", ms(p4["mailroom"]),
                      f"cat of their draft.json {ms(p4['floor'])}",
                      p4["mailroom"] / p4["floor"], 1.5)]


def p5_rows(work: Path) -> list:
    p5 = figures(work / "p5.txt")
    rows = []
    for prefix, how in (("", "AccessKit off, as without a screen reader"),
                        ("reader_", "AccessKit on (egui_kittest), as with a screen reader")):
        full, empty = p5[prefix + "full_ms"], p5[prefix + "empty_ms"]
        rows.append(("P5", f"a frame typing into a 1 MB body; {how}", f"{full:.2f} ms",
                     f"empty body {empty:.2f} ms", f"{full / empty:.0f}×", "≤ 16 ms",
                     verdict(full <= 16)))
    return rows


def p6_rows(work: Path) -> list:
    p6 = figures(work / "p6.txt")
    return [("P6", "longest gap between frames while sending 25 MiB",
             f"{p6['longest_gap_ms']:.1f} ms",
             f"{p6['frames']:.0f} frames in {p6['seconds']:.1f} s", "—", "≤ 50 ms",
             verdict(p6["longest_gap_ms"] <= 50))]


# Each row's figures, by the file the bench wrote them to (BENCH_ONLY may skip some).
ROWS = (("p1.json", p1_rows), ("p1-visible.json", p1_visible_rows), ("p2.json", p2_rows),
        ("p3.json", p3_rows), ("p4.json", p4_rows), ("p5.txt", p5_rows), ("p6.txt", p6_rows))


def main() -> None:
    work = Path(sys.argv[1])
    header = ("id", "what", "Mailroom", "floor (same run)", "ratio", "target", "")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for file, rows in ROWS:
        if (work / file).exists():
            for row in rows(work):
                print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
