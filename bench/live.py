"""Live recordings: how soon a chunk's receipt comes back, with 20 phones streaming at once.

Target (issue 12): a chunk is logged (receipt back) within 1 s of arriving on a loopback
server, with 20 concurrent live recordings at 2 Mbit/s. A real ``witness serve`` (embedded
SQLite) runs in a fresh OPENWITNESS_HOME after ``witness init``, with the ``live`` and
``uploads`` rates and the daily upload bytes raised (``BENCH_ENV``). Each recording, with its
own keep-alive ``httpx.AsyncClient``, starts with ``POST /api/v1/live`` and then PUTs a chunk
every ``--period`` s of ``bitrate * period / 8`` bytes: chunk 0 is a real MediaRecorder WebM's
first chunk (``tests/live/fixtures``), then SimpleBlocks of random bytes. Starts are
staggered across the first period. Latency runs from starting to send to the whole answer; the
"server part" from the body's last byte handed to the socket (httpcore trace) to the answer.
Every answer must be 201 with a receipt whose entry names the recording, seq, previous chunk
and the chunk's own SHA-256; each recording is then finished (timed) and its bundle checked
with ``verify_bundle`` against ``keys/log.vkey`` (one with its whole file from ``/media``).
Baselines, same run: the same-size files as ordinary evidence (``POST /api/v1/evidence``) on
the same schedule; ``GET /checkpoint`` alone and during each phase; a chunk-sized PUT that is
read whole, then refused 404 (transfer without storing or logging).

Run:  .venv/bin/python bench/live.py                 (20 recordings, 60 s; ~2.5 min in all)
      .venv/bin/python bench/live.py --seconds 30    (shorter)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import (
    REPO,
    Row,
    add_common_args,
    await_server,
    free_port,
    machine_info,
    ms,
    print_footer,
    print_header,
    print_table,
    temp_dir,
)

sys.path.insert(0, str(REPO / "src"))

from openwitness.ledger.entry import LiveChunkEntry, parse_entry
from openwitness.ledger.note import parse_verifier_key
from openwitness.ledger.receipt import parse_receipt
from openwitness.ledger.verify import VerificationError
from openwitness.live.bundle import verify_bundle

TARGET = 1.0
FIXTURES = REPO / "tests" / "live" / "fixtures"
START_TIMEOUT = 120.0
#: budgets no benchmark request reaches (the defaults would refuse the 11th recording)
BENCH_ENV = {
    "OPENWITNESS_RATE_LIVE": "1000000 per 1 minute",
    "OPENWITNESS_RATE_UPLOADS": "1000000 per 1 minute",
    "OPENWITNESS_UPLOAD_BYTES_PER_DAY": str(10**15),
}


def webm_header() -> bytes:
    """The first chunk Chromium's MediaRecorder produced (EBML header, Segment, Tracks, the
    first Cluster), cut before the byte that starts its next SimpleBlock, so that what follows
    begins at an element boundary."""
    sizes = json.loads((FIXTURES / "mediarecorder.chunks.json").read_text())
    first = (FIXTURES / "mediarecorder.webm").read_bytes()[: sizes[0]]
    assert first[-1] == 0xA3, "the fixture's first chunk ends where a SimpleBlock starts"
    return first[:-1]


def continuation(size: int) -> bytes:
    """One WebM SimpleBlock (id 0xA3, an 8-byte size) of random bytes, as compressed video
    looks: the server walks element headers across chunks (``openwitness.live.stream``), so the
    stream must stay well-formed; what is inside a block is not read."""
    payload = size - 9
    return b"\xa3\x01" + payload.to_bytes(7, "big") + os.urandom(payload)


def chunk_size(args: argparse.Namespace) -> int:
    """A chunk's bytes at the bitrate: 2 Mbit/s x 3 s = 750,000."""
    return int(args.bitrate * args.period / 8)


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def spread(samples: list[float], tail: bool = True) -> str:
    if not samples:
        return "no samples"
    text = f"p50 {ms(pct(samples, 50))}, p95 {ms(pct(samples, 95))}"
    return text + (f", p99 {ms(pct(samples, 99))}, max {ms(max(samples))}" if tail else "")


def summary(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"n": 0}
    return {"n": len(samples), "p50": pct(samples, 50), "p95": pct(samples, 95),
            "p99": pct(samples, 99), "max": max(samples)}  # fmt: skip


# -- the server --------------------------------------------------------------------------


def witness(home: Path, *args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWITNESS_")}
    env.update(BENCH_ENV, OPENWITNESS_HOME=str(home), PYTHONPATH=str(REPO / "src"),
               PYTHONUNBUFFERED="1")  # fmt: skip
    out = log.open("ab") if log else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-c", "from openwitness.cli.main import app; app()", *args],
        env=env, stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip


def start_server(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    if witness(home, "init", "--origin", "bench.openwitness.local/log", log=log).wait() != 0:
        raise SystemExit(f"witness init failed:\n{log.read_text()}")
    proc = witness(home, "serve", "--port", str(port), log=log)
    await_server(proc, f"http://127.0.0.1:{port}/checkpoint", log, START_TIMEOUT)
    return proc


def cpu_seconds(server_pid: int) -> tuple[float, float, float]:
    """CPU seconds so far: the whole machine's (busy), the server's, this client's."""
    tick = os.sysconf("SC_CLK_TCK")
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(fields) - fields[3] - fields[4]
    stat = Path(f"/proc/{server_pid}/stat").read_text().rsplit(")", 1)[1].split()
    server = int(stat[11]) + int(stat[12])
    mine = os.times()
    return busy / tick, server / tick, mine.user + mine.system


# -- one timed request -------------------------------------------------------------------


@dataclass
class Timed:
    answer: httpx.Response
    latency: float  # start of the send to the whole answer read
    server: float  # last body byte handed to the socket to the whole answer read
    app: float  # the app's Server-Timing (headers parsed to the answer's start)
    started: float


async def timed(client: httpx.AsyncClient, method: str, url: str, **kw: Any) -> Timed:
    marks: dict[str, float] = {}

    async def trace(name: str, info: dict[str, Any]) -> None:
        if name.endswith("send_request_body.complete"):
            marks["sent"] = time.perf_counter()

    start = time.perf_counter()
    answer = await client.request(method, url, extensions={"trace": trace}, **kw)
    end = time.perf_counter()
    found = re.search(r"app;dur=([0-9.]+)", answer.headers.get("server-timing", ""))
    app = float(found.group(1)) / 1000 if found else float("nan")
    return Timed(answer, end - start, end - marks.get("sent", start), app, start)


# -- the live phase ----------------------------------------------------------------------


@dataclass
class Recording:
    id: str = ""
    token: str = ""
    sha256: list[str] = field(default_factory=list)
    whole: Any = field(default_factory=hashlib.sha256)
    size: int = 0
    bundle: dict[str, Any] | None = None


@dataclass
class Phase:
    latency: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)
    app: list[float] = field(default_factory=list)
    late: list[float] = field(default_factory=list)  # how long after its due time a send began
    start: list[float] = field(default_factory=list)  # POST /api/v1/live
    finish: list[float] = field(default_factory=list)
    finish_at: list[float] = field(default_factory=list)  # when each finish began
    floor: list[float] = field(default_factory=list)  # GET /checkpoint meanwhile
    floor_at: list[float] = field(default_factory=list)  # when each began, from the start
    sent_at: list[float] = field(default_factory=list)  # when each timed request began
    t0: float = 0.0
    errors: list[str] = field(default_factory=list)
    bytes: int = 0
    wall: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds: machine, server, client

    def cpu_text(self) -> str:
        machine, server, client = (self.cpu.get(k, 0.0) for k in ("machine", "server", "client"))
        others = max(0.0, machine - server - client)
        return (
            f"CPU over the {self.wall:.0f} s: server {server:.1f} s, client {client:.1f} s, "
            f"other processes {others:.1f} s (of {self.wall * (os.cpu_count() or 1):.0f} s)"
        )

    def add(self, t: Timed, due: float) -> None:
        self.sent_at.append(t.started - self.t0)
        self.latency.append(t.latency)
        self.server.append(t.server)
        self.app.append(t.app)
        self.late.append(max(0.0, t.started - due))


def check_chunk(rec: Recording, seq: int, digest: str, size: int, answer: httpx.Response) -> str:
    """What is wrong with a chunk's answer ('' if nothing): 201, and a receipt whose entry
    names this recording, this seq, the previous chunk and this chunk's own bytes."""
    if answer.status_code != 201:
        return f"chunk {seq} of {rec.id[:8]}: HTTP {answer.status_code} {answer.text[:200]}"
    try:
        body = answer.json()
        entry = parse_entry(parse_receipt(body["receipt"]).entry)
    except (ValueError, KeyError) as exc:
        return f"chunk {seq} of {rec.id[:8]}: unreadable answer: {exc}"
    want = (rec.id, seq, rec.sha256[seq - 1] if seq else None, digest, size)
    if not isinstance(entry, LiveChunkEntry) or body["seq"] != seq or body["sha256"] != digest:
        return f"chunk {seq} of {rec.id[:8]}: the answer is not for this chunk"
    got = (entry.recording, entry.seq, entry.prev_sha256, entry.sha256, entry.size)
    return "" if got == want else f"chunk {seq} of {rec.id[:8]}: receipt names {got}"


async def record(client: httpx.AsyncClient, i: int, n: int, args: argparse.Namespace, header: bytes,
                 t0: float, phase: Phase) -> Recording:  # fmt: skip
    size = chunk_size(args)
    chunks = int(args.seconds // args.period)
    rec = Recording()
    async with client:
        begin = t0 + i * args.period / n  # the person taps "start"
        await asyncio.sleep(max(0.0, begin - time.perf_counter()))
        t = await timed(client, "POST", "/api/v1/live", json={"audio_only": False})
        phase.start.append(t.latency)
        if t.answer.status_code != 201:
            phase.errors.append(f"start: HTTP {t.answer.status_code} {t.answer.text[:200]}")
            return rec
        rec.id, rec.token = t.answer.json()["recording"], t.answer.json()["token"]
        for seq in range(chunks):
            data = header + continuation(size - len(header)) if seq == 0 else continuation(size)
            digest = hashlib.sha256(data).hexdigest()
            due = begin + (seq + 1) * args.period  # MediaRecorder hands a chunk over at its end
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            headers = {"X-Recording-Token": rec.token, "X-Content-SHA256": digest,
                       "X-Chunk-End-Ms": str(int((seq + 1) * args.period * 1000))}  # fmt: skip
            if seq:
                headers["X-Prev-SHA256"] = rec.sha256[seq - 1]
            t = await timed(client, "PUT", f"/api/v1/live/{rec.id}/chunks/{seq}",
                            content=data, headers=headers)  # fmt: skip
            problem = check_chunk(rec, seq, digest, size, t.answer)
            if problem:
                phase.errors.append(problem)
                return rec
            phase.add(t, due)
            phase.bytes += size
            rec.sha256.append(digest)
            rec.whole.update(data)
            rec.size += size
        t = await timed(client, "POST", f"/api/v1/live/{rec.id}/finish",
                        json={"recorded_chunks": chunks},
                        headers={"X-Recording-Token": rec.token})  # fmt: skip
        phase.finish.append(t.latency)
        phase.finish_at.append(t.started - t0)
        if t.answer.status_code != 200:
            phase.errors.append(f"finish {rec.id[:8]}: HTTP {t.answer.status_code}")
            return rec
        done = t.answer.json()
        if (done["whole"]["sha256"], done["whole"]["size"]) != (rec.whole.hexdigest(), rec.size):
            phase.errors.append(f"finish {rec.id[:8]}: the whole file is not the chunks sent")
        rec.bundle = done["bundle"]
    return rec


async def probe_floor(
    client: httpx.AsyncClient, phase: Phase, stop: asyncio.Event, t0: float
) -> None:
    """GET /checkpoint twice a second while the recordings run: the floor under load."""
    async with client:
        while not stop.is_set():
            t = await timed(client, "GET", "/checkpoint")
            phase.floor.append(t.latency)
            phase.floor_at.append(t.started - t0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)


async def paced(base: str, args: argparse.Namespace, worker: Any) -> tuple[Phase, list[Any]]:
    """Run ``worker`` for each of the n recordings (or uploaders) at once, with the floor probe;
    each worker starts its schedule at ``t0`` plus its share of the first period."""
    phase, stop = Phase(), asyncio.Event()
    n, header = args.recordings, webm_header()
    # made beforehand: each client builds an SSL context, ~15 ms of this loop's time
    clients = [httpx.AsyncClient(base_url=base, timeout=120) for _ in range(n + 1)]
    cpu0 = cpu_seconds(args.server_pid)
    t0 = phase.t0 = time.perf_counter()
    floor = asyncio.create_task(probe_floor(clients[n], phase, stop, t0))
    done = await asyncio.gather(
        *(worker(clients[i], i, n, args, header, t0, phase) for i in range(n))
    )
    phase.wall = time.perf_counter() - t0
    used = zip(cpu0, cpu_seconds(args.server_pid), strict=True)
    phase.cpu = dict(zip(("machine", "server", "client"), (b - a for a, b in used), strict=True))
    stop.set()
    await floor
    return phase, list(done)


# -- baselines ---------------------------------------------------------------------------


async def lodge(client: httpx.AsyncClient, i: int, n: int, args: argparse.Namespace, header: bytes,
                t0: float, phase: Phase) -> None:  # fmt: skip
    """The same bytes as ordinary evidence, on the same schedule as a recording's chunks."""
    size = chunk_size(args)
    async with client:
        begin = t0 + i * args.period / n
        for k in range(int(args.baseline_seconds // args.period)):
            data = header + continuation(size - len(header))
            digest = hashlib.sha256(data).hexdigest()
            due = begin + (k + 1) * args.period
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            t = await timed(client, "POST", "/api/v1/evidence", content=data)
            if t.answer.status_code != 201:
                phase.errors.append(f"evidence: HTTP {t.answer.status_code} {t.answer.text[:200]}")
                return
            entry = parse_entry(parse_receipt(t.answer.json()["receipt"]).entry)
            if t.answer.json()["evidence"]["sha256"] != digest or entry.sha256 != digest:
                phase.errors.append("evidence: the receipt is not for the bytes sent")
                return
            phase.add(t, due)
            phase.bytes += size


async def idle_floor(base: str, args: argparse.Namespace) -> dict[str, list[float]]:
    """One client, one request at a time: GET /checkpoint, and a chunk-sized PUT that the
    server reads whole and then refuses (404: no such recording), storing and logging nothing."""
    size = chunk_size(args)
    out: dict[str, list[float]] = {"checkpoint": [], "put404": []}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for i in range(args.floor_requests + 1):
            t = await timed(client, "GET", "/checkpoint")
            if i:  # the first is a warm-up
                out["checkpoint"].append(t.latency)
        for i in range(max(5, args.floor_requests // 5) + 1):
            data = continuation(size)
            headers = {"X-Recording-Token": "owl_x", "X-Chunk-End-Ms": "3000",
                       "X-Content-SHA256": hashlib.sha256(data).hexdigest()}  # fmt: skip
            url = f"/api/v1/live/{secrets.token_hex(16)}/chunks/1"
            t = await timed(client, "PUT", url, content=data, headers=headers)
            if t.answer.status_code != 404:
                raise SystemExit(f"the transfer floor expected 404, got {t.answer.status_code}")
            if i:
                out["put404"].append(t.latency)
    return out


# -- checks and the table ----------------------------------------------------------------


def verify_all(home: Path, base: str, recs: list[Recording], chunks: int) -> tuple[list[str], int]:
    """Every finished recording's bundle verifies offline and names the chunks sent, in order;
    the first one's whole file (from /media) matches, chunk by chunk."""
    key = parse_verifier_key((home / "keys" / "log.vkey").read_text())
    problems: list[str] = []
    verified = 0
    for n, rec in enumerate(recs):
        if rec.bundle is None:
            problems.append(f"{rec.id[:8] or '?'}: no bundle")
            continue
        media = None
        if n == 0:
            answer = httpx.get(f"{base}/api/v1/live/{rec.id}/media", timeout=120,
                               headers={"X-Recording-Token": rec.token})  # fmt: skip
            media = Path(tempfile.mkstemp(dir=home, suffix=".webm")[1])
            media.write_bytes(answer.content)
        try:
            checked = verify_bundle(json.dumps(rec.bundle), key, media)
        except (VerificationError, ValueError) as exc:
            problems.append(f"{rec.id[:8]}: bundle does not verify: {exc}")
            continue
        verified += 1
        sent = [c.entry.sha256 for c in checked.chunks]
        if not checked.complete or sent != rec.sha256 or len(sent) != chunks:
            problems.append(f"{rec.id[:8]}: bundle is not the {chunks} chunks sent")
        if checked.whole is None or checked.whole.entry.sha256 != rec.whole.hexdigest():
            problems.append(f"{rec.id[:8]}: bundle's whole file is not the chunks sent")
        if media is not None and not checked.file_checked:
            problems.append(f"{rec.id[:8]}: the whole file was not checked")
    return problems, verified


def slowest(phase: Phase) -> str:
    at = phase.floor_at[phase.floor.index(max(phase.floor))] if phase.floor else 0.0
    first = f"; first finish at {min(phase.finish_at):.1f} s" if phase.finish_at else ""
    return f"{at:.1f} s of {phase.wall:.1f} s{first}"


def rows_for(args: argparse.Namespace, live: Phase, evidence: Phase,
             floors: dict[str, list[float]], verified: int) -> list[Row]:  # fmt: skip
    size = chunk_size(args)
    within = sum(x <= TARGET for x in live.latency) / max(1, len(live.latency))
    ev_within = sum(x <= TARGET for x in evidence.latency) / max(1, len(evidence.latency))
    shape = (f"{args.recordings} recordings x {args.bitrate / 1e6:g} Mbit/s "
             f"({size:,} B every {args.period:g} s)")  # fmt: skip
    late = sum(x > 0.05 for x in live.late)
    floor = (f"GET /checkpoint alone {spread(floors['checkpoint'], False)}; during the run "
             f"{spread(live.floor)} (max at {slowest(live)}); {size:,}-B PUT read then 404 "
             f"{spread(floors['put404'], False)}")  # fmt: skip
    return [
        Row(f"live chunk PUT to receipt, {shape}", spread(live.latency), floor,
            f"every chunk < {TARGET:g} s", bool(live.latency) and max(live.latency) < TARGET),
        Row("chunks within 1 s", f"{within:.1%} of {len(live.latency):,}",
            f"evidence, same bytes and schedule: {ev_within:.1%} of {len(evidence.latency):,}",
            "100%", within == 1.0),
        Row("live chunk PUT, server part (body sent to answer)", spread(live.server),
            f"app Server-Timing (incl. reading the body) {spread(live.app, False)}", "-", None),
        Row(f"evidence POST of the same bytes, same schedule ({args.baseline_seconds:g} s)",
            spread(evidence.latency),
            f"server part {spread(evidence.server, False)}; GET /checkpoint during it "
            f"{spread(evidence.floor, False)}", "-", None),
        Row(f"finish (POST /finish: {int(args.seconds // args.period)} chunks, "
            f"{size * int(args.seconds // args.period) / 1e6:.1f} MB lodged whole)",
            spread(live.finish), f"{verified} bundles verified offline; start (POST /live) "
            f"{spread(live.start, False)}", "-", None),
        Row("sends that began > 50 ms after their chunk was due", f"{late} of {len(live.late)}",
            f"live phase {live.wall:.1f} s, {live.bytes / live.wall * 8 / 1e6:.1f} Mbit/s "
            "received in all", "-", None),
        Row("CPU during the live phase", live.cpu_text(), f"evidence phase: {evidence.cpu_text()}",
            "-", None),
    ]  # fmt: skip


async def run(base: str, args: argparse.Namespace) -> dict[str, Any]:
    print("-- loopback floor (one client, one request at a time)", flush=True)
    floors = await idle_floor(base, args)
    print(f"-- live: {args.recordings} recordings, {args.seconds:g} s", flush=True)
    live, recs = await paced(base, args, record)
    print(f"   {len(live.latency):,} chunks logged, {len(live.errors)} problems", flush=True)
    print(f"-- evidence: {args.recordings} uploaders, {args.baseline_seconds:g} s", flush=True)
    evidence, _ = await paced(base, args, lodge)
    print(f"   {len(evidence.latency):,} files lodged, {len(evidence.errors)} problems")
    again = await idle_floor(base, args)
    floors = {k: v + again[k] for k, v in floors.items()}
    return {"live": live, "recs": recs, "evidence": evidence, "floors": floors}


def machine_output(
    args: argparse.Namespace, rows: list[Row], got: dict[str, Any], problems: list[str]
) -> dict[str, Any]:
    live, evidence = got["live"], got["evidence"]
    return {
        "bench": "live", "machine": machine_info(), "env": BENCH_ENV,
        "options": {k: v for k, v in vars(args).items() if k != "json"},
        "rows": [r.__dict__ | {"met_text": r.met_text} for r in rows],
        "live": {k: summary(getattr(live, k))
                 for k in ("latency", "server", "app", "late", "start", "finish", "floor")},
        "evidence": {k: summary(getattr(evidence, k)) for k in ("latency", "server", "floor")},
        "floor": {k: summary(v) for k, v in got["floors"].items()},
        "cpu_seconds": {"live": live.cpu, "evidence": evidence.cpu},
        "chunks_logged": len(live.latency),
        "within_target": sum(x <= TARGET for x in live.latency),
        "slowest_chunks": sorted(zip(live.latency, live.sent_at, strict=True))[-10:],
        "problems": problems,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recordings", type=int, default=20, help="concurrent recordings (20)")
    parser.add_argument("--bitrate", type=int, default=2_000_000, help="bits/s (2,000,000)")
    parser.add_argument("--period", type=float, default=3.0, help="seconds per chunk (3)")
    parser.add_argument("--seconds", type=float, default=60.0, help="each recording's length")
    parser.add_argument("--baseline-seconds", type=float, default=None,
                        help="the evidence baseline's length (default: --seconds)")  # fmt: skip
    parser.add_argument("--floor-requests", type=int, default=50, help="GET /checkpoint (50)")
    add_common_args(parser)
    args = parser.parse_args()
    if args.baseline_seconds is None:
        args.baseline_seconds = args.seconds
    if args.seconds < args.period:
        raise SystemExit("--seconds must be at least one --period")
    print_header("live: chunk receipts with concurrent recordings", args.wait_idle)
    print("   rates raised for the benchmark: "
          + ", ".join(f"{k}={v!r}" for k, v in BENCH_ENV.items()))  # fmt: skip
    with temp_dir(args.tmp, "owbench-live-") as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_server(tmp / "home", port, tmp / "serve.log")
        args.server_pid = proc.pid
        try:
            got = asyncio.run(run(base, args))
            live, recs, evidence, floors = got["live"], got["recs"], got["evidence"], got["floors"]
            problems = live.errors + evidence.errors
            found, verified = verify_all(tmp / "home", base, recs, int(args.seconds // args.period))
            problems += found
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    rows = rows_for(args, live, evidence, floors, verified)
    print_table(rows)
    print_footer()
    for problem in problems[:20]:
        print(f"   PROBLEM: {problem}")
    if args.json:
        text = json.dumps(machine_output(args, rows, got, problems), indent=2)
        print(text) if args.json == "-" else Path(args.json).write_text(text)
    if problems:
        raise SystemExit(f"{len(problems)} problem(s): the benchmark did not run cleanly")


if __name__ == "__main__":
    main()
