"""Helpers the benchmark scripts share: timing statistics, the results table, run metadata.

Nothing here asserts on wall-clock time: a benchmark prints what it measured beside a baseline
measured in the same run and the target, and says whether the target was met. Its exit status
only reflects whether it *ran* (a crash or a wrong proof), never how fast it was.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
MEDIA = SHARED / "data" / "media"
VENV_BIN = Path(sys.executable).parent


@dataclass
class Row:
    """One line of a results table."""

    figure: str
    measured: str
    baselines: str
    target: str
    met: bool | None  # None: no target, informational
    bench: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def met_text(self) -> str:
        return "n/a" if self.met is None else ("yes" if self.met else "**NO**")


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
    }


def cpu_busy(interval: float = 1.0) -> float:
    """Fraction of all CPU time that was busy (anyone's) over ``interval`` seconds."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    try:
        total0, idle0 = sample()
        time.sleep(interval)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return float("nan")
    return 1.0 - (idle1 - idle0) / max(1, total1 - total0)


def load_text() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min), CPU busy now {cpu_busy(0.5):.0%}"


def wait_idle(max_wait: float, threshold: float = 0.15) -> None:
    """Wait (up to ``max_wait`` s) until the machine's CPUs are mostly idle for 3 s running.

    Other people's test runs on a 2-core machine move these figures a lot; this does not make
    them go away, it only avoids starting in the middle of one.
    """
    if max_wait <= 0:
        return
    deadline = time.monotonic() + max_wait
    quiet = 0
    while time.monotonic() < deadline:
        busy = cpu_busy(1.0)
        quiet = quiet + 1 if busy < threshold else 0
        if quiet >= 3:
            print(f"   machine idle (CPU busy {busy:.0%}); starting")
            return
    print(f"   machine still busy after waiting {max_wait:.0f} s; starting anyway")


def print_header(title: str, idle_wait: float = 0.0) -> None:
    info = machine_info()
    print(f"== {title} ==")
    print(
        f"   {info['date']}, {info['cores']} cores ({info['cpu']}), {info['memory']} RAM, "
        f"Python {info['python']}, SQLite {info['sqlite']}, Linux {info['kernel']}"
    )
    wait_idle(idle_wait)
    print(f"   at start: {load_text()}")


def print_footer() -> None:
    print(f"   at end: {load_text()}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms" if seconds < 0.01 else f"{seconds * 1000:.1f} ms"


def stats(samples: Sequence[float]) -> dict[str, float]:
    """Median, p95, min and mean of a list of durations (seconds)."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {
        "median": statistics.median(ordered),
        "p95": p95,
        "min": ordered[0],
        "max": ordered[-1],
        "mean": statistics.fmean(ordered),
        "n": float(len(ordered)),
    }


def print_table(rows: Sequence[Row]) -> None:
    headers = ("figure", "measured", "baseline(s), same run", "target", "met?")
    cells = [(r.figure, r.measured, r.baselines, r.target, r.met_text) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print()
    print(line)
    print("-" * len(line))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
    for r in rows:
        for note in r.notes:
            print(f"  note ({r.figure}): {note}")
    print()


def markdown_table(rows: Sequence[Row]) -> str:
    out = [
        "| figure | measured | baseline(s), same run | target | met? |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        out.append(f"| {r.figure} | {r.measured} | {r.baselines} | {r.target} | {r.met_text} |")
    return "\n".join(out)


def write_json(path: str | None, bench: str, rows: Sequence[Row], extra: dict[str, object]) -> None:
    if not path:
        return
    for r in rows:
        r.bench = bench
    payload = {"bench": bench, "machine": machine_info(), "rows": [asdict(r) for r in rows]}
    payload.update(extra)
    Path(path).write_text(json.dumps(payload, indent=2))


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", metavar="PATH", help="also write the results as JSON (used by run_all.py)"
    )
    parser.add_argument(
        "--tmp",
        metavar="DIR",
        default="/tmp",
        help="where to put temporary files and databases (default: /tmp)",
    )
    parser.add_argument(
        "--wait-idle",
        metavar="SECONDS",
        type=float,
        default=0.0,
        help="first wait up to this long for the CPUs to be idle (others' test runs skew "
        "the figures on a small machine); default 0 = start at once",
    )


@contextmanager
def temp_dir(base: str, prefix: str, keep: bool = False) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    try:
        yield path
    finally:
        if keep:
            print(f"   kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def fake_entry(i: int) -> bytes:
    """A distinct entry shaped like a real evidence entry (canonical JSON, ~170 bytes)."""
    digest = hashlib.sha256(i.to_bytes(8, "big")).hexdigest()
    return (
        '{"kind":"evidence","media_type":"image/jpeg","received_at":"2025-01-01T00:00:00Z",'
        f'"sha256":"{digest}","size":{1000 + i},"v":1}}'
    ).encode()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def await_server(
    proc: subprocess.Popen[bytes], url: str, log: Path, timeout: float = 120.0
) -> None:
    """Wait until a `witness serve` child answers ``url`` with 200; exit with its log if it
    dies or does not answer in time."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"witness serve exited:\n{log.read_text()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("witness serve did not answer in time")
