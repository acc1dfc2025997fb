"""Cosigning latency with three witnesses: how long one collection round takes, from asking
every witness to the cosignatures being stored in the log's checkpoint.

Three witnesses, each a real `witness serve` on loopback with its own database and witness
key, follow one log (in this process, SQLite). Each round appends an entry (so there is a new
checkpoint to cosign) and runs `Cosigning.collect()`: a tlog-witness `add-checkpoint` request
with a consistency proof to each witness, their cosignatures checked and written into the
stored checkpoint. Every round checks all three cosigned and the checkpoint verifies under a
3-of-3 policy. Rounds alternate with the same round run with the witnesses asked one after
another (the code's behaviour before 2026-12-04), and with the HTTP floor: a `GET /checkpoint`
to each of the three servers at the same time, through the same urllib client.

Run:  .venv/bin/python bench/cosign.py            (100 rounds of each)
      .venv/bin/python bench/cosign.py --quick    (20)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

from _common import (
    REPO,
    Row,
    add_common_args,
    await_server,
    free_port,
    ms,
    print_footer,
    print_header,
    print_table,
    stats,
    temp_dir,
    write_json,
)

from openwitness.core.config import Settings
from openwitness.ledger.cosignature import cosigned_by, parse_policy
from openwitness.services import initialise
from openwitness.witnessing import collect as collect_module
from openwitness.witnessing.collect import Cosigning
from openwitness.witnessing.keys import load_or_create, witness_name

NAMES = ("w1", "w2", "w3")


@contextmanager
def witness_server(home: Path, follows: Path, log: Path) -> Iterator[tuple[str, str]]:
    """A witness following the log in ``follows``; yields (its URL, its witness vkey)."""
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'w.db'}")
    services, _ = initialise(settings, f"bench.openwitness.local/{home.name}")
    cosigner = load_or_create(settings.witness_key_path, witness_name(services.log.origin))
    services.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWITNESS_")}
    env.update(
        OPENWITNESS_HOME=str(home), OPENWITNESS_DATABASE_URL=settings.database_url,
        OPENWITNESS_WITNESS_LOGS=str(follows), PYTHONPATH=str(REPO / "src"), PYTHONUNBUFFERED="1",
    )  # fmt: skip
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from openwitness.cli.main import app; app()",
             "serve", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        await_server(proc, f"{url}/checkpoint", log)
        yield url, cosigner.vkey
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def http_floor(urls: list[str]) -> float:
    """The three servers' cheapest request, sent at the same time."""

    def get(url: str) -> None:
        with urllib.request.urlopen(f"{url}/checkpoint", timeout=10) as answer:
            answer.read()

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        list(pool.map(get, urls))
    return time.perf_counter() - start


def one_at_a_time(max_workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=100, help="rounds of each kind (100)")
    parser.add_argument("--quick", action="store_true", help="20 rounds")
    add_common_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.rounds = 20

    print_header(f"cosigning latency, three witnesses on loopback, {args.rounds} rounds",
                 args.wait_idle)  # fmt: skip
    together: list[float] = []
    in_turn: list[float] = []
    floor: list[float] = []
    with temp_dir(args.tmp, "wbench-cosign-") as work, ExitStack() as running:
        settings = Settings(home=work / "log", database_url=f"sqlite:///{work / 'log.db'}")
        services, _ = initialise(settings, "bench.openwitness.local/log")
        running.callback(services.close)
        follows = work / "follows"
        follows.write_text(f"log {services.log.signer.verifier.vkey}\n")
        witnesses = {
            name: running.enter_context(witness_server(work / name, follows, work / f"{name}.log"))
            for name in NAMES
        }
        policy = parse_policy(
            f"log {services.log.signer.verifier.vkey}\n"
            + "".join(f"witness {n} {key} {url}/witness\n" for n, (url, key) in witnesses.items())
            + f"group all-three all {' '.join(NAMES)}\nquorum all-three\n"
        )
        cosigning = Cosigning(services.db, services.log, policy)
        urls = [url for url, _ in witnesses.values()]

        def timed_round(i: int) -> float:
            services.log.append(b"bench cosigning round %d" % i)
            start = time.perf_counter()
            outcomes = cosigning.collect()
            took = time.perf_counter() - start
            if [o.message for o in outcomes] != ["cosigned"] * 3:
                raise SystemExit(f"round {i}: {outcomes}")
            note = services.log.latest_checkpoint()
            if set(cosigned_by(note, policy.witnesses)) != set(NAMES):
                raise SystemExit(f"round {i}: the checkpoint lacks a valid cosignature")
            return took

        for i in range(3):  # warm-up: first requests, first witness state rows
            timed_round(-1 - i)
            http_floor(urls)
        for i in range(args.rounds):
            together.append(timed_round(2 * i))
            with mock.patch.object(collect_module, "ThreadPoolExecutor", one_at_a_time):
                in_turn.append(timed_round(2 * i + 1))
            floor.append(http_floor(urls))
        print(f"   log size at the end: {services.log.size()}")

    t, s, f = stats(together), stats(in_turn), stats(floor)
    rows = [
        Row(
            "cosigning round, 3 witnesses (ask all, verify, store)",
            f"median {ms(t['median'])}, p95 {ms(t['p95'])}",
            f"the same round asking the witnesses in turn: median {ms(s['median'])}, "
            f"p95 {ms(s['p95'])}; GET /checkpoint to the three at once: median "
            f"{ms(f['median'])}, p95 {ms(f['p95'])}",
            "none set (informational)",
            None,
        )
    ]
    print_table(rows)
    write_json(args.json, "cosign", rows,
               {"together_s": together, "in_turn_s": in_turn, "floor_s": floor})  # fmt: skip
    print_footer()


if __name__ == "__main__":
    main()
