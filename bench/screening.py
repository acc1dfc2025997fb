"""Conduct screening (openwitness.screening): parsing and scoring 100,000 messages, whole
process, with its peak memory, beside the keyword baseline on the same file.

The chat is made by resampling: message texts drawn from the real WhatsApp samples in
../shared/data/chat-exports and the abuse-text corpora (one in ten a multi-line message),
authors from a pool of 30, written as one Android export. Timed, each as its own process:
``witness screening score FILE`` (read, parse, load the model, score every message alone and
with its context, rank), and beside it a process that reads and parses the same file and
flags it with the keyword list. Peak memory is the process and its worker processes
together, sampled every 0.1 s. Targets (issue 14): under 60 s and under 1 GB peak RSS.

Run:  .venv/bin/python bench/screening.py
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    SHARED,
    VENV_BIN,
    Row,
    add_common_args,
    print_footer,
    print_header,
    print_table,
    temp_dir,
    write_json,
)

from openwitness.screening import corpora
from openwitness.screening.exports import open_export

MESSAGES = 100_000
SECONDS_TARGET = 60.0
RSS_TARGET_MB = 1024.0

KEYWORD_PROCESS = """
import sys
from openwitness.screening.exports import open_export
from openwitness.screening.keywords import keyword_flags
messages = open_export(__import__("pathlib").Path(sys.argv[1])).parsed.messages
texts = [m.text for m in messages if m.kind == "message"]
print(int(keyword_flags(texts).sum()))
"""


def texts_to_resample() -> list[str]:
    samples = SHARED / "data" / "chat-exports"
    texts = [
        m.text
        for path in sorted(samples.rglob("*.txt"))
        for m in open_export(path).parsed.messages
        if m.kind == "message" and m.text
    ]
    root = SHARED / "data" / "abuse-text"
    texts += [e.text for e in corpora.training_set(root)]
    texts += [e.text for rows in corpora.test_sets(root).values() for e in rows]
    return [t for t in texts if t.strip()]


def write_chat(path: Path, count: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    pool = texts_to_resample()
    authors = [f"Officer {n}" for n in range(25)] + [f"+44 7700 9001{n:02d}" for n in range(5)]
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            minute = n  # one a minute, from 1 Jan 2024
            day, rest = divmod(minute, 24 * 60)
            hour, mins = divmod(rest, 60)
            text = rng.choice(pool)
            if n % 10 == 0:
                text += "\n" + rng.choice(pool)
            text = text.replace("\r", " ")
            stamp = f"{1 + day % 28:02d}/{1 + (day // 28) % 12:02d}/{2024 + day // 336}"
            out.write(f"{stamp}, {hour:02d}:{mins:02d} - {rng.choice(authors)}: {text}\n")


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants now (from /proc), in MB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
            )
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total / 1024


def run(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB (the process and its workers together, sampled every
    0.1 s) and stdout of one whole process."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output_file:
        child = subprocess.Popen(args, stdout=output_file, stderr=subprocess.DEVNULL)
        peak = 0.0
        while child.poll() is None:
            peak = max(peak, tree_rss_mb(child.pid))
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed")
        output_file.seek(0)
        return seconds, peak, output_file.read().decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(parser)
    parser.add_argument("--messages", type=int, default=MESSAGES)
    args = parser.parse_args()
    print_header(f"screening: parse and score {args.messages:,} messages", args.wait_idle)
    with temp_dir(args.tmp, "ow-bench-screening-") as tmp:
        chat = Path(tmp) / "WhatsApp Chat with Bench.txt"
        write_chat(chat, args.messages)
        size_mb = chat.stat().st_size / 1024**2
        env_home = str(Path(tmp) / "home")
        os.environ["OPENWITNESS_HOME"] = env_home
        ours = run([str(VENV_BIN / "witness"), "screening", "score", str(chat), "--top", "20"])
        keywords = run([sys.executable, "-c", KEYWORD_PROCESS, str(chat)])
    seconds, rss, _ = ours
    rows = [
        Row(
            f"witness screening score, {args.messages:,} messages ({size_mb:.1f} MB), "
            "whole process",
            f"{seconds:.1f} s, peak RSS {rss:,.0f} MB",
            f"parse + keyword list, whole process: {keywords[0]:.1f} s, "
            f"peak RSS {keywords[1]:,.0f} MB ({int(keywords[2]):,} flagged)",
            f"< {SECONDS_TARGET:.0f} s, < {RSS_TARGET_MB:.0f} MB",
            seconds < SECONDS_TARGET and rss < RSS_TARGET_MB,
        )
    ]
    print_table(rows)
    write_json(args.json, "screening", rows, {})
    print_footer()


if __name__ == "__main__":
    sys.exit(main())
