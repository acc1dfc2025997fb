"""Durable log appends per second with concurrent writers, against the hardware's commit rate.

Measured in one run, each on a fresh database:

* concurrent: T threads each call ``TransparencyLog.append`` N times with distinct small entries
  (each call returns only once its batch is committed: group commit through the sequencer);
* sequential: the same number of appends from a single thread, one at a time, so each append is
  its own transaction (what the log would do without group commit);
* raw SQLite: one-row ``INSERT`` + ``COMMIT`` per row with python's sqlite3, WAL and
  synchronous=FULL (the settings the log uses): the disk's durable-commit rate, a floor on what
  one-transaction-per-append can reach.

With OPENWITNESS_BENCH_POSTGRES_URL (or --postgres-url) set, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/postgres, the first two are repeated on PostgreSQL
in a fresh schema (dropped afterwards), with a raw psycopg INSERT + COMMIT baseline.

Run:  .venv/bin/python bench/log_append.py            (16 threads x 1000 appends)
      .venv/bin/python bench/log_append.py --quick    (16 threads x 100)
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _common import (
    Row,
    add_common_args,
    fake_entry,
    ms,
    print_footer,
    print_header,
    print_table,
    stats,
    temp_dir,
    write_json,
)
from sqlalchemy import create_engine, func, make_url, select, text

from openwitness.ledger import merkle
from openwitness.ledger.note import Signer
from openwitness.ledger.store import TransparencyLog, _Append
from openwitness.storage.db import Database
from openwitness.storage.models import Checkpoint as CheckpointRow

SQLITE_TARGET = 10_000.0  # issue 15: 16 writers, durable
POSTGRES_TARGET = 5_000.0
PREFILL_BASE = 10**9  # prefill entries never collide with the timed ones


def prefill(log: TransparencyLog, n: int) -> None:
    """Put ``n`` entries in the log quickly (the store's batch function, big batches)."""
    done = 0
    while done < n:
        k = min(8192, n - done)
        batch = [_Append(fake_entry(PREFILL_BASE + done + j), None, None) for j in range(k)]
        log._append_batch(batch)
        done += k


@contextmanager
def sqlite_log(work: Path, name: str, filled: int = 0) -> Iterator[TransparencyLog]:
    db = Database(f"sqlite:///{work / name}.db")
    db.migrate()
    log = TransparencyLog(db, Signer.generate("bench.local/log"))
    log.initialise()
    prefill(log, filled)
    try:
        yield log
    finally:
        log.close()
        db.dispose()


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema; yields a URL whose connections use it, and drops it afterwards."""
    schema = f"owbench_{secrets.token_hex(4)}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        print(f"   dropped PostgreSQL schema {schema}")


@contextmanager
def postgres_log(url: str) -> Iterator[TransparencyLog]:
    with postgres_schema(url) as scoped:
        db = Database(scoped)
        db.migrate()
        log = TransparencyLog(db, Signer.generate("bench.local/log"))
        log.initialise()
        try:
            yield log
        finally:
            log.close()
            db.dispose()


def check_log(log: TransparencyLog, base: int, expected: int, indices: list[int]) -> int:
    """The appends got indices base..base+n-1, and the log's root is the right one.

    Returns the number of transactions (one signed checkpoint per committed batch).
    """
    size = log.size()
    if size != base + expected or sorted(indices) != list(range(base, base + expected)):
        raise SystemExit(f"log has {size} entries / wrong indices, expected {base + expected}")
    if size <= 200_000 and log.root(size) != merkle.root(log.entries(0, size)):
        raise SystemExit("stored root differs from the in-memory Merkle root")
    with log.db.read() as conn:
        query = select(func.count()).select_from(CheckpointRow).where(CheckpointRow.size > base)
        return int(conn.execute(query).scalar_one())


def concurrent(log: TransparencyLog, threads: int, per_thread: int) -> dict[str, object]:
    base = log.size()
    latencies: list[list[float]] = [[] for _ in range(threads)]
    indices: list[list[int]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads + 1)

    def writer(t: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                entry = fake_entry(t * per_thread + i)
                start = time.perf_counter()
                result = log.append(entry)
                latencies[t].append(time.perf_counter() - start)
                indices[t].append(result.index)
        except BaseException as exc:  # reported after the join
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    start = time.perf_counter()
    for w in workers:
        w.join()
    wall = time.perf_counter() - start
    if errors:
        raise errors[0]
    total = threads * per_thread
    txns = check_log(log, base, total, [i for part in indices for i in part])
    return {
        "n": total,
        "wall": wall,
        "rate": total / wall,
        "latency": stats([x for part in latencies for x in part]),
        "transactions": txns,
    }


def sequential(log: TransparencyLog, total: int) -> dict[str, object]:
    latencies: list[float] = []
    indices: list[int] = []
    start = time.perf_counter()
    for i in range(total):
        t = time.perf_counter()
        indices.append(log.append(fake_entry(i)).index)
        latencies.append(time.perf_counter() - t)
    wall = time.perf_counter() - start
    txns = check_log(log, 0, total, indices)
    return {
        "n": total,
        "wall": wall,
        "rate": total / wall,
        "latency": stats(latencies),
        "transactions": txns,
    }


def raw_sqlite(path: Path, total: int) -> dict[str, object]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (idx INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    start = time.perf_counter()
    for i in range(total):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, fake_entry(i)))
        conn.execute("COMMIT")
    wall = time.perf_counter() - start
    conn.close()
    return {"n": total, "wall": wall, "rate": total / wall}


def raw_postgres(url: str, total: int) -> dict[str, object]:
    import psycopg

    sa_url = make_url(url)
    conninfo = sa_url.set(drivername="postgresql").render_as_string(hide_password=False)
    with postgres_schema(url) as scoped:
        options = make_url(scoped).query["options"]
        with psycopg.connect(conninfo, options=options) as conn:
            conn.execute("CREATE TABLE t (idx BIGINT PRIMARY KEY, data BYTEA NOT NULL)")
            conn.commit()
            start = time.perf_counter()
            for i in range(total):
                conn.execute("INSERT INTO t VALUES (%s, %s)", (i, fake_entry(i)))
                conn.commit()
            wall = time.perf_counter() - start
    return {"n": total, "wall": wall, "rate": total / wall}


def repeated(open_log, repeat: int, threads: int, per_thread: int, label: str):  # type: ignore[no-untyped-def]
    """``repeat`` concurrent runs, each on a fresh log; returns the median run, with all rates."""
    runs = []
    for rep in range(repeat):
        with open_log(rep) as log:
            runs.append(concurrent(log, threads, per_thread))
        rate_row(f"{label}, run {rep + 1}", runs[-1])
    runs.sort(key=lambda r: r["rate"])
    median = dict(runs[len(runs) // 2])
    median["rates"] = [r["rate"] for r in runs]
    return median


def rate_row(label: str, result: dict[str, object]) -> str:
    text_ = f"{result['rate']:,.0f}/s ("
    if "rates" in result:
        rates = result["rates"]
        assert isinstance(rates, list)
        text_ = (
            f"{result['rate']:,.0f}/s (median of {len(rates)} runs: "
            f"{', '.join(f'{r:,.0f}' for r in rates)}; median run "
        )
    text_ += f"{result['n']:,} in {float(result['wall']):.2f} s"  # type: ignore[arg-type]
    if "latency" in result:
        lat = result["latency"]
        assert isinstance(lat, dict)
        text_ += f"; call latency median {ms(lat['median'])}, p95 {ms(lat['p95'])}"
    if "transactions" in result:
        txns = int(result["transactions"])  # type: ignore[call-overload]
        text_ += f"; {txns:,} transactions, mean batch {int(result['n']) / txns:.1f}"  # type: ignore[call-overload]
    print(f"   {label}: {text_})")
    return text_ + ")"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=16, help="concurrent writers (16)")
    parser.add_argument("--per-thread", type=int, default=1000, help="appends per writer (1000)")
    parser.add_argument(
        "--baseline-n",
        type=int,
        help="appends for the sequential and raw baselines (default: the same total)",
    )
    parser.add_argument(
        "--prefill",
        type=int,
        default=100_000,
        help="also time the concurrent appends on a log already holding this many entries "
        "(100,000; 0 skips it)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="concurrent runs of each kind, each on a fresh log; the median is reported (3)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="16 threads x 100 appends, prefill 10,000"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("OPENWITNESS_BENCH_POSTGRES_URL"),
        help="also run on PostgreSQL (default: $OPENWITNESS_BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the sequencer thread during an extra concurrent SQLite run",
    )
    add_common_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.per_thread = 100
        args.prefill = min(args.prefill, 10_000)
    total = args.threads * args.per_thread
    base_n = args.baseline_n or total

    print_header(f"durable log appends: {args.threads} writers x {args.per_thread}", args.wait_idle)
    rows: list[Row] = []
    raw: dict[str, object] = {}
    with temp_dir(args.tmp, "wbench-append-") as work:
        raw1 = raw_sqlite(work / "raw1.db", base_n)
        rate_row("SQLite raw INSERT+COMMIT (first)", raw1)
        conc = repeated(
            lambda rep: sqlite_log(work, f"concurrent{rep}"),
            args.repeat,
            args.threads,
            args.per_thread,
            "SQLite concurrent, empty log",
        )
        c_text = rate_row("SQLite concurrent, empty log", conc)
        with sqlite_log(work, "sequential") as log:
            seq = sequential(log, base_n)
        rate_row("SQLite sequential, empty log", seq)
        filled = None
        if args.prefill:
            filled = repeated(
                lambda rep: sqlite_log(work, f"filled{rep}", args.prefill),
                args.repeat,
                args.threads,
                args.per_thread,
                f"SQLite concurrent, log of {args.prefill:,}",
            )
            f_text = rate_row(f"SQLite concurrent, log of {args.prefill:,}", filled)
        raw2 = raw_sqlite(work / "raw2.db", base_n)
        rate_row("SQLite raw INSERT+COMMIT (last)", raw2)
        raw["sqlite"] = {
            "concurrent": conc,
            "sequential": seq,
            "concurrent_prefilled": filled,
            "raw_first": raw1,
            "raw_last": raw2,
        }
        raw_text = (
            f"raw sqlite3 INSERT+COMMIT (WAL, FULL), 1 row/txn: {raw1['rate']:,.0f}/s "
            f"(first) and {raw2['rate']:,.0f}/s (last)"
        )
        rows.append(
            Row(
                f"SQLite appends/s, {args.threads} threads x {args.per_thread}, empty log",
                c_text,
                f"sequential log.append: {seq['rate']:,.0f}/s; {raw_text}",
                f">= {SQLITE_TARGET:,.0f}/s",
                float(conc["rate"]) >= SQLITE_TARGET,  # type: ignore[arg-type]
            )
        )
        if filled is not None:
            rows.append(
                Row(
                    f"SQLite appends/s, {args.threads} threads x {args.per_thread}, "
                    f"log already holding {args.prefill:,}",
                    f_text,
                    f"same on an empty log: {conc['rate']:,.0f}/s; {raw_text}",
                    f">= {SQLITE_TARGET:,.0f}/s",
                    float(filled["rate"]) >= SQLITE_TARGET,  # type: ignore[arg-type]
                )
            )
        if args.profile:
            print("   cProfile of a concurrent run (sequencer thread):")
            import openwitness.ledger.store as store

            original = store.TransparencyLog._run
            profiler = cProfile.Profile()

            def run_profiled(self: TransparencyLog) -> None:
                profiler.enable()
                try:
                    original(self)
                finally:
                    profiler.disable()

            store.TransparencyLog._run = run_profiled  # type: ignore[method-assign]
            try:
                with sqlite_log(work, "profiled") as log:
                    prof = concurrent(log, args.threads, args.per_thread)
            finally:
                store.TransparencyLog._run = original  # type: ignore[method-assign]
            print(f"   (profiled run: {prof['rate']:,.0f}/s)")
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
            print(out.getvalue())
            raw["profile"] = out.getvalue()

    if args.postgres_url:
        pconc = repeated(
            lambda rep: postgres_log(args.postgres_url),
            args.repeat,
            args.threads,
            args.per_thread,
            "PostgreSQL concurrent",
        )
        with postgres_log(args.postgres_url) as log:
            pseq = sequential(log, base_n)
        praw = raw_postgres(args.postgres_url, base_n)
        raw["postgres"] = {"concurrent": pconc, "sequential": pseq, "raw": praw}
        pc_text = rate_row("PostgreSQL concurrent", pconc)
        rate_row("PostgreSQL sequential", pseq)
        rate_row("PostgreSQL raw INSERT+COMMIT", praw)
        rows.append(
            Row(
                f"PostgreSQL appends/s, {args.threads} threads x {args.per_thread}",
                pc_text,
                f"sequential log.append: {pseq['rate']:,.0f}/s; "
                f"raw psycopg INSERT+COMMIT: {praw['rate']:,.0f}/s",
                f">= {POSTGRES_TARGET:,.0f}/s",
                float(pconc["rate"]) >= POSTGRES_TARGET,  # type: ignore[arg-type]
            )
        )
    else:
        print("   PostgreSQL skipped (set OPENWITNESS_BENCH_POSTGRES_URL or --postgres-url)")
    print_footer()
    print_table(rows)
    write_json(args.json, "log_append", rows, {"raw": raw})


if __name__ == "__main__":
    main()
