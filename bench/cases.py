"""Case listing, filtering and full-text search through the HTTP API, and the time to import
Chicago's records (CPDP 2018: ~33,700 officers, ~181,000 complaints, ~244,000 allegations).

For SQLite, and for PostgreSQL when OPENWITNESS_BENCH_POSTGRES_URL (or --postgres-url) is set
(in a fresh schema ``ow_bench_<hex>``, dropped afterwards), in one run:

* import: a fresh installation (``openwitness.services.initialise``), then
  ``services.importers.cpdp(folder, "bench")`` timed end to end (wall clock: reading the gzip
  CSVs, mapping, the bulk inserts, the search index and ANALYZE). Baseline, same run: just
  reading the four CSV files the importer reads with ``gzip`` + ``csv.reader`` (every row),
  so what is left is the importer's own work and the database's. Target < 60 s.
* a real ``witness serve`` process on that installation, and one keep-alive ``httpx.Client``
  timing N requests (``--requests``, default 200) of each listing, interleaved round by round:
  filtered pages of ``GET /api/v1/cases`` (force, status, category, dates, officer, overdue,
  a deep offset), ``GET /api/v1/allegations?officer=``, ``/api/v1/allegations/overdue`` and
  ``/api/v1/officers/ID/record`` as a caseworker (target p95 < 50 ms, pooled), and full-text
  searches ``q=...`` (target p95 < 200 ms, pooled). Parameters rotate between requests (page
  offsets, years, the ten officers with the most allegations) so it is not one page served
  from a warm cache ten times over. Baseline, same client, same rounds: ``GET
  /api/v1/taxonomy``, which reads no table (the HTTP + framework + JSON floor).

Run:  .venv/bin/python bench/cases.py                 (200 requests per query)
      .venv/bin/python bench/cases.py --quick         (30 requests per query)
      OPENWITNESS_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
          .venv/bin/python bench/cases.py             (adds PostgreSQL)
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import (
    SHARED,
    VENV_BIN,
    Row,
    add_common_args,
    free_port,
    load_text,
    ms,
    print_footer,
    print_header,
    print_table,
    sqlite_url,
    stats,
    temp_dir,
    write_json,
)
from sqlalchemy import create_engine, func, make_url, select, text

from openwitness.core.config import Settings
from openwitness.services import Services, initialise
from openwitness.storage.models import Allegation as AllegationRow

CPDP = SHARED / "data" / "complaints" / "chicago-cpdp-2018"
CSV_FILES = (
    "final-profiles.csv.gz",
    "unit-history.csv.gz",
    "complaints-complaints.csv.gz",
    "complaints-accused.csv.gz",
)
ORIGIN = "bench.openwitness.local/log"
FORCE = "us-chicago-pd"
PASSWORD = "bench-password-" + "x" * 12  # a throwaway account in a temp dir
IMPORT_TARGET = 60.0
FILTER_TARGET = 0.050
SEARCH_TARGET = 0.200
START_TIMEOUT = 60.0
PAGES = 10  # filtered pages rotate through the first PAGES pages (offset 0, 50, ...)
TOP_OFFICERS = 10


@dataclass
class Query:
    """One listing to time: ``params(i)`` gives the i-th request's query string."""

    label: str
    group: str  # "filter", "search", "floor" or "role"
    path: Callable[[int], str]
    params: Callable[[int], dict[str, Any]] = lambda _i: {}
    token: str = "caseworker"
    samples: list[float] = field(default_factory=list)
    items: int | None = None  # items on the first page (a sanity check)


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema; yields a URL whose connections use it, and drops it afterwards."""
    schema = f"ow_bench_{secrets.token_hex(4)}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    print(f"   created PostgreSQL schema {schema}")
    try:
        scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        print(f"   dropped PostgreSQL schema {schema}")


def read_csvs(folder: Path) -> dict[str, Any]:
    """The baseline: every row of the four CSV files, gunzipped and split, nothing else."""
    start = time.perf_counter()
    rows: dict[str, int] = {}
    for name in CSV_FILES:
        with gzip.open(folder / name, "rb") as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
            rows[name] = sum(1 for _ in reader) - 1  # less the header row
    return {"seconds": time.perf_counter() - start, "rows": rows}


def progress_printer(started: float) -> Callable[[str, int, int], None]:
    """Print each import stage when it starts and at every quarter, with the time so far."""
    shown: dict[str, int] = {}

    def tick(stage: str, done: int, total: int) -> None:
        quarter = 4 if total == 0 else done * 4 // total
        if shown.get(stage, -1) < quarter:
            shown[stage] = quarter
            print(
                f"     {time.perf_counter() - started:6.1f} s  {stage}: {done:,}/{total:,}",
                flush=True,
            )

    return tick


def import_cpdp(services: Services, folder: Path) -> dict[str, Any]:
    print(f"   importing {folder.name} (reading the files first) ...", flush=True)
    start = time.perf_counter()
    report = services.importers.cpdp(folder, "bench", progress=progress_printer(start))
    wall = time.perf_counter() - start
    return {
        "seconds": wall,
        "write_seconds": report.seconds,  # the report's own clock: from the first insert
        "rows_read": dict(report.rows_read),
        "added": dict(report.added),
        "rejected": len(report.rejected),
    }


def analyze_counts(services: Services) -> dict[str, int]:
    """PostgreSQL: how many times each big table was ANALYZEd (the import runs it once at the
    end). More means another session's database-wide ANALYZE ran while the import's
    transaction was open, saw none of its uncommitted rows, and left the planner believing
    the tables were empty for the rest of the import."""
    if services.db.is_sqlite:
        return {}
    time.sleep(1.5)  # statistics reach the shared counters within a second
    with services.db.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT relname, analyze_count FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema() "
            "AND relname IN ('officer', 'incident', 'complaint', 'allegation')"
        ).all()
    return {str(name): int(count) for name, count in rows}


def busiest_officers(services: Services, n: int) -> list[tuple[int, int]]:
    count = func.count(AllegationRow.id)
    with services.db.read() as conn:
        rows = conn.execute(
            select(AllegationRow.officer_id, count)
            .where(AllegationRow.officer_id.is_not(None))
            .group_by(AllegationRow.officer_id)
            .order_by(count.desc(), AllegationRow.officer_id)
            .limit(n)
        ).all()
    return [(int(o), int(c)) for o, c in rows]


def tokens(services: Services) -> dict[str, str]:
    accounts = services.accounts
    accounts.add_organisation("bench-org", "Benchmark organisation")
    accounts.create("bench-admin", PASSWORD, "admin")
    accounts.create("bench-caseworker", PASSWORD, "caseworker", "bench-org")
    accounts.create("bench-analyst", PASSWORD, "analyst")
    return {
        role: accounts.create_token(f"bench-{role}") for role in ("admin", "caseworker", "analyst")
    }


@contextmanager
def serving(settings: Settings, log_file: Path) -> Iterator[str]:
    """``witness serve`` on a free port until the block ends; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env["OPENWITNESS_HOME"] = str(settings.home)
    env["OPENWITNESS_DATABASE_URL"] = settings.database_url
    env["PYTHONUNBUFFERED"] = "1"
    with log_file.open("wb") as output:
        proc = subprocess.Popen(
            [str(VENV_BIN / "witness"), "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if proc.poll() is not None:
                    raise SystemExit(
                        f"witness serve exited with {proc.returncode}:\n"
                        f"{log_file.read_text(errors='replace')}"
                    )
                try:
                    if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(
                        f"witness serve did not answer within {START_TIMEOUT:.0f} s:\n"
                        f"{log_file.read_text(errors='replace')}"
                    )
                time.sleep(0.1)
            print(f"   witness serve answering on {base} (pid {proc.pid})")
            yield base
            if proc.poll() is not None:
                raise SystemExit(f"witness serve died:\n{log_file.read_text(errors='replace')}")
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=15)


def queries(officers: list[int]) -> list[Query]:
    def page(i: int) -> int:
        return 50 * (i % PAGES)

    def officer(i: int) -> int:
        return officers[i % len(officers)]

    def year(i: int) -> int:
        return 2000 + i % 16  # 2000 ... 2015

    def cases(label: str, group: str, params: Callable[[int], dict[str, Any]], **kw: Any) -> Query:
        return Query(label, group, lambda _i: "/api/v1/cases", params, **kw)

    statuses = ("closed", "under-investigation")
    return [
        Query("taxonomy (floor)", "floor", lambda _i: "/api/v1/taxonomy"),
        cases("force", "filter", lambda i: {"force": FORCE, "offset": page(i)}),
        cases("status=closed", "filter", lambda i: {"status": "closed", "offset": page(i)}),
        cases(
            "category=use-of-force",
            "filter",
            lambda i: {"category": "use-of-force", "offset": page(i)},
        ),
        cases(
            "category=sexual-conduct",
            "filter",
            lambda i: {"category": "sexual-conduct", "offset": page(i)},
        ),
        cases(
            "force + status",
            "filter",
            lambda i: {"force": FORCE, "status": statuses[i % 2], "offset": page(i // 2)},
        ),
        cases(
            "received in one year",
            "filter",
            lambda i: {"received_from": f"{year(i)}-01-01", "received_to": f"{year(i)}-12-31"},
        ),
        cases("officer", "filter", lambda i: {"officer": officer(i)}),
        cases("overdue=true", "filter", lambda i: {"overdue": "true", "offset": page(i)}),
        cases("deep page (offset 5000+)", "filter", lambda i: {"offset": 5000 + page(i)}),
        Query(
            "allegations?officer",
            "filter",
            lambda _i: "/api/v1/allegations",
            lambda i: {"officer": officer(i)},
        ),
        Query("allegations/overdue", "filter", lambda _i: "/api/v1/allegations/overdue"),
        Query("officers/ID/record", "filter", lambda i: f"/api/v1/officers/{officer(i)}/record"),
        cases("q=excessive force", "search", lambda i: {"q": "excessive force", "offset": page(i)}),
        cases("q=illegal search", "search", lambda i: {"q": "illegal search", "offset": page(i)}),
        cases("q=verbal abuse", "search", lambda i: {"q": "verbal abuse", "offset": page(i)}),
        cases("q=bribery", "search", lambda i: {"q": "bribery", "offset": page(i)}),
        cases(
            "q=excessive force + force",
            "search",
            lambda i: {"q": "excessive force", "force": FORCE, "offset": page(i)},
        ),
        cases(
            "force, as admin",
            "role",
            lambda i: {"force": FORCE, "offset": page(i)},
            token="admin",
        ),
        cases(
            "force, as analyst",
            "role",
            lambda i: {"force": FORCE, "offset": page(i)},
            token="analyst",
        ),
    ]


def measure(base: str, keys: dict[str, str], officers: list[int], n: int) -> list[Query]:
    """Every query once untimed (and checked), then ``n`` interleaved rounds of all of them."""
    todo = queries(officers)
    headers = {role: {"Authorization": f"Bearer {token}"} for role, token in keys.items()}
    with httpx.Client(base_url=base, timeout=120) as client:

        def get(q: Query, i: int) -> httpx.Response:
            return client.get(q.path(i), params=q.params(i), headers=headers[q.token])

        for q in todo:
            answer = get(q, 0)
            if answer.status_code != 200:
                raise SystemExit(f"{q.label}: HTTP {answer.status_code}: {answer.text[:500]}")
            body = answer.json()
            if isinstance(body, dict) and isinstance(body.get("items"), list):
                q.items = len(body["items"])
            elif isinstance(body, dict) and isinstance(body.get("allegations"), list):
                q.items = len(body["allegations"])
        empty = [q.label for q in todo if q.items == 0]
        if empty:
            print(f"   note: first page empty for: {', '.join(empty)}")
        started = time.perf_counter()
        for i in range(n):
            for q in todo:
                t0 = time.perf_counter()
                answer = get(q, i)
                q.samples.append(time.perf_counter() - t0)
                if answer.status_code != 200:
                    raise SystemExit(f"{q.label} #{i}: HTTP {answer.status_code}: {answer.text}")
            if (i + 1) % max(1, n // 4) == 0:
                print(f"     round {i + 1}/{n} ({time.perf_counter() - started:.0f} s)", flush=True)
    return todo


def lat(samples: list[float]) -> str:
    s = stats(samples)
    return f"p50 {ms(s['median'])}, p95 {ms(s['p95'])}"


def run_database(
    label: str, settings: Settings, work: Path, n: int, csv_baseline: bool
) -> tuple[list[Row], list[Row], dict[str, Any]]:
    print(f"-- {label} --")
    baseline = None
    if csv_baseline:
        baseline = read_csvs(CPDP)
        total = sum(baseline["rows"].values())
        print(f"   baseline: gzip + csv.reader of {total:,} rows in {baseline['seconds']:.1f} s")
    services, _ = initialise(settings, ORIGIN)
    try:
        imported = import_cpdp(services, CPDP)
        added = imported["added"]
        print(
            f"   imported in {imported['seconds']:.1f} s "
            f"(writing {imported['write_seconds']:.1f} s):"
            f" read {', '.join(f'{k} {v:,}' for k, v in imported['rows_read'].items())}; "
            f"added {', '.join(f'{k} {v:,}' for k, v in added.items())}; "
            f"{imported['rejected']:,} rejected"
        )
        imported["analyze_counts"] = analyzed = analyze_counts(services)
        if analyzed:
            print(f"   times ANALYZEd (1 = only the import's own): {analyzed}")
            if max(analyzed.values()) > 1:
                print(
                    "   note: another session's ANALYZE ran during the import (stale "
                    "statistics for the rest of its transaction)"
                )
        top = busiest_officers(services, TOP_OFFICERS)
        print(f"   officers with the most allegations: {', '.join(f'{o} ({c})' for o, c in top)}")
        keys = tokens(services)
    finally:
        services.close()

    with serving(settings, work / f"serve-{label.lower()}.log") as base:
        print(f"   timing {n} rounds of every query; before: {load_text()}", flush=True)
        done = measure(base, keys, [o for o, _ in top], n)
        print(f"   after timing: {load_text()}")

    floor = next(q for q in done if q.group == "floor")
    floor_text = f"GET /api/v1/taxonomy (no table), same client: {lat(floor.samples)}"
    pooled = {g: [x for q in done if q.group == g for x in q.samples] for g in ("filter", "search")}
    csv_text = (
        f"gzip + csv.reader of the 4 files, every row: {baseline['seconds']:.1f} s"
        if baseline
        else "CSV baseline skipped"
    )
    rows = [
        Row(
            f"{label}: import CPDP 2018 ({added.get('officers', 0):,} officers, "
            f"{added.get('allegations', 0):,} allegations)",
            f"{imported['seconds']:.1f} s (of which writing {imported['write_seconds']:.1f} s)",
            csv_text,
            f"< {IMPORT_TARGET:.0f} s",
            imported["seconds"] < IMPORT_TARGET,
        ),
    ]
    for group, target, what in (
        ("filter", FILTER_TARGET, "filtered page"),
        ("search", SEARCH_TARGET, "full-text search"),
    ):
        members = [q for q in done if q.group == group]
        s = stats(pooled[group])
        rows.append(
            Row(
                f"{label}: {what}, {len(members)} queries x {n} (pooled)",
                f"p50 {ms(s['median'])}, p95 {ms(s['p95'])}, max {ms(s['max'])}",
                floor_text,
                f"p95 < {target * 1000:.0f} ms",
                s["p95"] < target,
            )
        )
    breakdown = []
    for q in done:
        target = {"filter": FILTER_TARGET, "search": SEARCH_TARGET, "role": FILTER_TARGET}.get(
            q.group
        )
        s = stats(q.samples)
        breakdown.append(
            Row(
                f"{label}: {q.label}",
                f"p50 {ms(s['median'])}, p95 {ms(s['p95'])}, max {ms(s['max'])}",
                f"first page: {q.items} items" if q.items is not None else "",
                f"p95 < {target * 1000:.0f} ms" if target else "—",
                s["p95"] < target if target else None,
            )
        )
    raw = {
        "import": imported,
        "csv_baseline": baseline,
        "busiest_officers": top,
        "queries": {q.label: {"group": q.group, **stats(q.samples)} for q in done},
    }
    return rows, breakdown, raw


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200, help="timed requests per query (200)")
    parser.add_argument("--quick", action="store_true", help="30 requests per query")
    parser.add_argument(
        "--skip-import-baseline",
        action="store_true",
        help="do not time reading the CSV files on their own",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("OPENWITNESS_BENCH_POSTGRES_URL"),
        help="also run on PostgreSQL (default: $OPENWITNESS_BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    add_common_args(parser)
    args = parser.parse_args()
    n = 30 if args.quick else args.requests
    if not CPDP.is_dir():
        raise SystemExit(f"{CPDP}: the CPDP release is not there")

    print_header(
        f"cases: import CPDP 2018, then listings over HTTP ({n} per query)", args.wait_idle
    )
    rows: list[Row] = []
    breakdown: list[Row] = []
    raw: dict[str, Any] = {}
    runs: list[tuple[str, str | None]] = []
    if not args.no_sqlite:
        runs.append(("SQLite", None))
    if args.postgres_url:
        runs.append(("PostgreSQL", args.postgres_url))
    else:
        print("   PostgreSQL skipped (set OPENWITNESS_BENCH_POSTGRES_URL or --postgres-url)")
    with temp_dir(args.tmp, "wbench-cases-") as work:
        for label, url in runs:
            home = work / label.lower()
            if url is None:
                settings = Settings(home=home, database_url=sqlite_url(home / "openwitness.db"))
                r, b, raw[label] = run_database(
                    label, settings, work, n, not args.skip_import_baseline
                )
            else:
                with postgres_schema(url) as scoped:
                    settings = Settings(home=home, database_url=scoped)
                    r, b, raw[label] = run_database(
                        label, settings, work, n, not args.skip_import_baseline
                    )
            rows += r
            breakdown += b
    print_footer()
    print(
        "   per query (met? against its group's target; 'role' rows: the force filter as"
        " admin and analyst, not pooled):"
    )
    print_table(breakdown)
    print_table(rows)
    write_json(
        args.json,
        "cases",
        rows,
        {"raw": raw, "breakdown": [vars(r) for r in breakdown]},
    )


if __name__ == "__main__":
    main()
