"""`witness log publish` of a large log as static C2SP tlog-tiles: the first run, then an
incremental run after 1,000 more appends, each beside the time to write the same files with
plain Python file writes (the I/O floor) and `cp -r` of the published folder, in the same run.

The log is built as bench/proofs.py builds it (the sequencer's ``_append_batch`` in batches of
8,192). The published checkpoint must equal the log's latest one, and the entry bundles must
hold every entry, or the run fails.

Run:  .venv/bin/python bench/publish.py            (1,000,000 entries)
      .venv/bin/python bench/publish.py --quick    (100,000)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

from _common import (
    Row,
    add_common_args,
    print_footer,
    print_header,
    print_table,
    temp_dir,
    write_json,
)
from proofs import build_batches

from openwitness.ledger.note import Signer
from openwitness.ledger.publish import TILE_WIDTH, FolderDestination, publish, tile_path
from openwitness.ledger.store import TransparencyLog
from openwitness.storage.db import Database


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def write_plainly(files: dict[str, bytes], target: Path) -> float:
    """The floor: the same files written with open/write (no hashing, no database), then a
    sync, as the publish's own writes are followed by one here too."""
    start = time.perf_counter()
    for name, data in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    os.sync()
    return time.perf_counter() - start


def timed_publish(log: TransparencyLog, folder: Path) -> tuple[float, int, int]:
    start = time.perf_counter()
    done = publish(log, FolderDestination(folder))
    os.sync()
    return time.perf_counter() - start, done.tiles, done.entry_bundles


def check(log: TransparencyLog, folder: Path) -> None:
    if (folder / "checkpoint").read_text() != log.latest_checkpoint():
        raise SystemExit("the published checkpoint is not the log's latest")
    entries, size = 0, log.size()
    for index in range(-(-size // TILE_WIDTH)):  # the bundles this size needs (older partial
        width = min(TILE_WIDTH, size - index * TILE_WIDTH)  # ones stay for older readers)
        data, at = (folder / "tile" / "entries" / tile_path(index, width)).read_bytes(), 0
        while at < len(data):  # each entry: a 2-byte big-endian length, then the bytes
            at += 2 + int.from_bytes(data[at : at + 2], "big")
            entries += 1
    if entries != log.size():
        raise SystemExit(f"the entry bundles hold {entries:,} entries, not {log.size():,}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1_000_000, help="log size (1,000,000)")
    parser.add_argument("--more", type=int, default=1000, help="appends before the second run")
    parser.add_argument("--quick", action="store_true", help="100,000 entries")
    add_common_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.entries = 100_000

    print_header(f"witness log publish of {args.entries:,} entries", args.wait_idle)
    with temp_dir(args.tmp, "wbench-publish-") as work:
        db = Database(f"sqlite:///{work / 'log.db'}")
        db.migrate()
        log = TransparencyLog(db, Signer.generate("bench.local/log"))
        log.initialise()
        start = time.perf_counter()
        build_batches(log, 0, args.entries, 8192)
        print(f"   built {args.entries:,} entries in {time.perf_counter() - start:.1f} s")

        site = work / "site"
        first_s, first_tiles, first_bundles = timed_publish(log, site)
        check(log, site)
        published = files_under(site)
        size_mb = sum(len(d) for d in published.values()) / 1e6
        floor_s = write_plainly(published, work / "plain")
        start = time.perf_counter()
        subprocess.run(["cp", "-r", str(site), str(work / "copy")], check=True)
        os.sync()
        cp_s = time.perf_counter() - start
        print(f"   first: {first_s:.2f} s, {len(published):,} files, {size_mb:.0f} MB")

        build_batches(log, args.entries, args.more, 8192)
        before = {name: data for name, data in files_under(site).items()}
        again_s, again_tiles, again_bundles = timed_publish(log, site)
        check(log, site)
        after = files_under(site)
        changed = {n: d for n, d in after.items() if before.get(n) != d}
        again_floor_s = write_plainly(changed, work / "plain-again")
        print(f"   after {args.more:,} appends: {again_s:.3f} s, {len(changed):,} files changed")

    rows = [
        Row(
            f"publish {args.entries:,} entries, first run",
            f"{first_s:.2f} s ({first_tiles:,} tiles, {first_bundles:,} bundles, {size_mb:.0f} MB)",
            f"the same files written with open/write: {floor_s:.2f} s; cp -r: {cp_s:.2f} s",
            "none set (informational)",
            None,
        ),
        Row(
            f"publish again after {args.more:,} appends",
            f"{again_s * 1000:.0f} ms ({again_tiles:,} tiles, {again_bundles:,} bundles)",
            f"the {len(changed):,} changed files written with open/write: "
            f"{again_floor_s * 1000:.0f} ms",
            "none set (informational)",
            None,
        ),
    ]
    print_table(rows)
    write_json(args.json, "publish", rows, {"first_s": first_s, "again_s": again_s})
    print_footer()


if __name__ == "__main__":
    main()
