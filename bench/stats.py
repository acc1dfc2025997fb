"""Stop-and-search statistics (openwitness.stats): import and answer speed, beside pandas.

Part 1, the shared files: import the 122 real stop-and-search files (and the population tables)
into a fresh store and answer Metropolitan 2018 (officer-defined) and the 2019-01 by-force
cross-section, end to end, against a plain pandas implementation of the same work run beside it
(``read_csv`` of the same files, force and month from the file name, ``groupby`` counts by force,
month and ethnicity, the population CSV, the same rate and ratio arithmetic). Both must give the
same counts and ratios; runs alternate, medians are reported. Target: >= 5x faster than pandas.

Part 2, ten years of every force: ~6,000,000 rows made by resampling the real rows of each force
into force-month files named like data.police.uk's (written once into a temporary folder, not
timed), imported in a **child process** (wall clock inside it; peak RSS from ``os.wait4``),
beside DuckDB merely counting the same files' rows (the parsing floor). Then disproportionality
for random forces and periods: cold (a new ``PoliceStats`` each call: nothing cached in the
process), uncached (answer cache off) and cached; the by-force cross-section; and, when the
``/stats`` page exists, its server time through a real ``witness serve`` (``Server-Timing``).
Targets: import < 20 s, peak RSS < 1 GB, disproportionality < 100 ms, ``/stats`` < 200 ms.

Run:  .venv/bin/python bench/stats.py              (10 years, ~6M rows; ~3-5 min)
      .venv/bin/python bench/stats.py --quick      (1 year, ~600k rows)
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import (
    REPO,
    SHARED,
    Row,
    add_common_args,
    free_port,
    ms,
    print_footer,
    print_header,
    print_table,
    stats,
    temp_dir,
    write_json,
)

sys.path.insert(0, str(REPO / "src"))

from openwitness.stats.service import PoliceStats

DATA = SHARED / "data" / "police-uk"
POPULATION_5 = DATA / "population" / "census-2011-ethnic-group-by-police-force-area-5-groups.csv"
GROUPS = ("White", "Black", "Asian", "Mixed", "Other")
SPEEDUP_TARGET = 5.0
IMPORT_TARGET = 20.0
RSS_TARGET = 1000 * 1000 * 1000
QUERY_TARGET = 0.100
PAGE_TARGET = 0.200
CHILD_IMPORT = """
import sys, time
from pathlib import Path
from openwitness.stats.service import PoliceStats
start = time.perf_counter()
reports = PoliceStats(Path(sys.argv[2])).import_paths([Path(sys.argv[1])])
took = time.perf_counter() - start
rows = sum(r.rows_imported for r in reports if r.kind == "stop-and-search")
bad = [r.file for r in reports if r.status == "refused"]
print(f"{took} {rows} {len(reports)} {len(bad)}")
"""


# -- part 1: the shared files, ours against pandas -------------------------------------------


def ours(store: Path) -> dict[str, Any]:
    stats_ = PoliceStats(store)
    stats_.import_paths([DATA])
    met = stats_.disproportionality("metropolitan", "2018-01", "2018-12", "officer")
    cross = stats_.by_force("2019-01", "officer")
    return {
        "met": {g: met["groups"][g]["searches"] for g in GROUPS},
        "met_ratio": met["rate_ratios"]["Black"]["ratio"],
        "cross": {a["force"]: {g: a["groups"][g]["searches"] for g in GROUPS} for a in cross},
        "cross_ratio": {a["force"]: a["rate_ratios"]["Black"]["ratio"] for a in cross},
    }


def pandas_way() -> dict[str, Any]:
    import pandas as pd

    frames = []
    for path in sorted(DATA.glob("*/*-stop-and-search.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        frame["force"] = path.name[8 : -len("-stop-and-search.csv")]
        frame["month"] = path.name[:7]
        frames.append(frame)
    rows = pd.concat(frames, ignore_index=True)
    counts = rows.groupby(["force", "month", "Officer-defined ethnicity"]).size()
    people = pd.read_csv(POPULATION_5)
    people["force"] = (
        people["Police force"].str.strip().str.lower().str.replace("&", "and")
        .str.replace(" ", "-")
    )  # fmt: skip
    people = people.set_index("force")
    # officer-defined convention: Chinese counted in Other, not Asian
    population = pd.DataFrame({
        "White": people["White"], "Black": people["Black (or Black British)"],
        "Asian": people["Asian (or Asian British)"], "Mixed": people["Mixed"],
        "Other": people["Other"] + people["Chinese"],
    })  # fmt: skip

    def ratio(searches: dict[str, int], force: str, months: int) -> float | None:
        if force not in population.index or force == "city-of-london":
            return None
        per_year = 12 / months
        rate = {g: searches[g] / population.loc[force, g] * 1000 * per_year for g in GROUPS}
        return float(rate["Black"] / rate["White"]) if rate["White"] else None

    met_rows = counts.loc["metropolitan"]
    met_rows = met_rows[met_rows.index.get_level_values(0).str.startswith("2018")]
    met = {g: int(met_rows.xs(g, level=1).sum()) if g in met_rows.index.get_level_values(1)
           else 0 for g in GROUPS}  # fmt: skip
    cross_rows = counts.xs("2019-01", level="month")
    cross: dict[str, dict[str, int]] = {}
    for (force, group), n in cross_rows.items():
        cross.setdefault(force, {g: 0 for g in GROUPS})[group] = int(n)
    for force in sorted(set(rows.loc[rows["month"] == "2019-01", "force"])):
        cross.setdefault(force, {g: 0 for g in GROUPS})
    return {
        "met": met,
        "met_ratio": ratio(met, "metropolitan", 12),
        "cross": cross,
        "cross_ratio": {f: ratio(c, f, 1) for f, c in cross.items()},
    }


def same(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    problems = []
    if a["met"] != b["met"]:
        problems.append(f"Met 2018 counts differ: {a['met']} vs {b['met']}")
    if a["cross"] != b["cross"]:
        problems.append("2019-01 by-force counts differ")
    pairs = [(a["met_ratio"], b["met_ratio"])] + [
        (a["cross_ratio"][f], b["cross_ratio"].get(f)) for f in a["cross_ratio"]
    ]
    for x, y in pairs:
        if (x is None) != (y is None) or (x is not None and abs(x - y) > 1e-3 * abs(y)):
            problems.append(f"a ratio differs: {x} vs {y}")
            break
    return problems


def part_shared(tmp: Path, repeat: int) -> list[Row]:
    print("-- part 1: the 122 shared files + population, ours against pandas")
    import pandas  # noqa: F401  (imported once, outside the timings, like duckdb)

    took_ours, took_pandas = [], []
    answer_ours = answer_pandas = None
    for i in range(repeat):
        store = tmp / f"shared-{i}"
        start = time.perf_counter()
        answer_ours = ours(store)
        took_ours.append(time.perf_counter() - start)
        shutil.rmtree(store)
        start = time.perf_counter()
        answer_pandas = pandas_way()
        took_pandas.append(time.perf_counter() - start)
        print(f"   run {i + 1}: ours {took_ours[-1]:.2f} s, pandas {took_pandas[-1]:.2f} s")
    assert answer_ours is not None and answer_pandas is not None
    problems = same(answer_ours, answer_pandas)
    for problem in problems:
        print(f"   MISMATCH: {problem}")
    o, p = statistics.median(took_ours), statistics.median(took_pandas)
    print(
        f"   Met 2018 officer: {sum(answer_ours['met'].values()):,} searches with a group; "
        f"Black/White {answer_ours['met_ratio']:.2f} (pandas {answer_pandas['met_ratio']:.2f})"
    )
    return [
        Row("shared files: import + Met 2018 + 2019-01 by force (end to end)",
            f"{o:.2f} s (median of {repeat})",
            f"pandas read_csv + groupby + same arithmetic: {p:.2f} s; answers "
            + ("identical" if not problems else "DIFFER"), "-", None),
        Row("speed-up against pandas", f"{p / o:.1f}x", f"pandas {p:.2f} s",
            f">= {SPEEDUP_TARGET:.0f}x", p / o >= SPEEDUP_TARGET and not problems),
    ]  # fmt: skip


# -- part 2: ten years of every force --------------------------------------------------------


def generate(out: Path, years: range, target_rows: int, seed: int = 11) -> tuple[int, int]:
    """Resample each force's real rows into force-month files; dates moved into the month."""
    rng = random.Random(seed)
    rows_of: dict[str, list[str]] = {}
    base: dict[str, int] = {}
    header = ""
    for path in sorted(DATA.glob("*/*-stop-and-search.csv")):
        force = path.name[8 : -len("-stop-and-search.csv")]
        lines = path.read_text().splitlines()
        header = lines[0]
        rows_of.setdefault(force, []).extend(lines[1:])
        if path.name.startswith("2019-01-"):
            base[force] = len(lines) - 1
    months = [f"{y}-{m:02d}" for y in years for m in range(1, 13)]
    factor = target_rows / (len(months) * sum(base.values()))
    total = 0
    for month in months:
        folder = out / month
        folder.mkdir(parents=True)
        for force, rows in sorted(rows_of.items()):
            n = max(1, round(base[force] * factor * rng.uniform(0.8, 1.2)))
            body = []
            for line in rng.choices(rows, k=n):
                kind, date, rest = line.split(",", 2)
                day = min(int(date[8:10]), 28)
                body.append(f"{kind},{month}-{day:02d}{date[10:]},{rest}")
            name = f"{month}-{force}-stop-and-search.csv"
            (folder / name).write_text(header + "\n" + "\n".join(body) + "\n")
            total += n
    shutil.copytree(DATA / "population", out / "population")
    return total, len(months) * len(rows_of)


def child_import(folder: Path, store: Path) -> tuple[float, int, int, int]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD_IMPORT, str(folder), str(store)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout and proc.stderr
    out, err = proc.stdout.read(), proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"the import failed:\n{err.decode()}")
    took, rows, _reports, refused = out.decode().splitlines()[-1].split()
    if int(refused):
        raise SystemExit(f"{refused} generated files were refused")
    return float(took), int(rows), usage.ru_maxrss * 1024, int(usage.ru_utime + usage.ru_stime)


def parse_floor(folder: Path) -> float:
    import duckdb

    start = time.perf_counter()
    with duckdb.connect(config={"threads": 2}) as con:
        con.execute(
            f"SELECT count(*) FROM read_csv('{folder}/*/*-stop-and-search.csv', header=true, "
            "all_varchar=true)"
        ).fetchall()
    return time.perf_counter() - start


def time_queries(store: Path, years: range, n: int) -> dict[str, dict[str, float]]:
    rng = random.Random(7)
    forces = PoliceStats(store).forces()
    asks = []
    for _ in range(n):
        y0 = rng.choice(years)
        y1 = rng.choice([y for y in years if y >= y0])
        m0, m1 = rng.randint(1, 12), rng.randint(1, 12)
        start, end = f"{y0}-{m0:02d}", f"{y1}-{m1:02d}"
        if end < start:
            start, end = end, start
        asks.append((rng.choice(forces), start, end, rng.choice(["officer", "self"])))
    cold, uncached, cached = [], [], []
    plain = PoliceStats(store, cache_size=0)
    warm = PoliceStats(store)
    for ask in asks:
        t = time.perf_counter()
        PoliceStats(store).disproportionality(*ask)
        cold.append(time.perf_counter() - t)
        t = time.perf_counter()
        plain.disproportionality(*ask)
        uncached.append(time.perf_counter() - t)
        warm.disproportionality(*ask)
        t = time.perf_counter()
        warm.disproportionality(*ask)
        cached.append(time.perf_counter() - t)
    cross = []
    for year in years:
        t = time.perf_counter()
        plain.by_force(f"{year}-01", "officer")
        cross.append(time.perf_counter() - t)
    breakdown = []
    for ask in asks[: max(5, n // 10)]:
        t = time.perf_counter()
        plain.breakdowns(*ask[:3])
        breakdown.append(time.perf_counter() - t)
    return {"cold": stats(cold), "uncached": stats(uncached), "cached": stats(cached),
            "by_force": stats(cross), "breakdowns": stats(breakdown)}  # fmt: skip


def time_page(home: Path, n: int) -> tuple[str, dict[str, float] | None, dict[str, float] | None]:
    """Server time of GET /stats (and the taxonomy API as floor) through a real server."""
    import httpx

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWITNESS_")}
    env.update(OPENWITNESS_HOME=str(home), PYTHONPATH=str(REPO / "src"))
    log = home / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from openwitness.cli.main import app; app()", "serve",
         "--demo", "--port", str(port)],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                return f"witness serve did not start: {log.read_text()[-300:]}", None, None
            try:
                if httpx.get(f"{base}/api/v1/taxonomy", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        rng = random.Random(3)
        with httpx.Client(base_url=base, timeout=60) as client:
            probe = client.get("/stats", params={"force": "metropolitan"})
            if probe.status_code == 404:
                return "no /stats route in this version (it is on the h-web branch)", None, None
            page, floor = [], []
            for _ in range(n):
                force = rng.choice(["metropolitan", "essex", "kent", "west-midlands", "btp"])
                year = rng.randint(2015, 2024)
                answer = client.get("/stats", params={
                    "force": force, "from": f"{year}-01", "to": f"{year}-12",
                })  # fmt: skip
                if answer.status_code != 200:
                    return f"GET /stats answered {answer.status_code}", None, None
                page.append(_server_time(answer))
                floor.append(_server_time(client.get("/api/v1/taxonomy")))
            return "", stats(page), stats(floor)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _server_time(answer: Any) -> float:
    found = re.search(r"app;dur=([0-9.]+)", answer.headers.get("server-timing", ""))
    return float(found.group(1)) / 1000 if found else float("nan")


def part_generated(
    tmp: Path, years: range, target_rows: int, queries: int, pages: int
) -> list[Row]:
    print(f"-- part 2: {len(years)} years x every force, ~{target_rows:,} rows (resampled)")
    folder = tmp / "generated"
    start = time.perf_counter()
    rows, files = generate(folder, years, target_rows)
    size = sum(p.stat().st_size for p in folder.rglob("*.csv"))
    print(f"   wrote {files:,} files, {rows:,} rows, {size / 1e9:.2f} GB in "
          f"{time.perf_counter() - start:.0f} s (not timed)")  # fmt: skip
    floor = parse_floor(folder)
    home = tmp / "home"
    store = home / "stats"
    took, imported, rss, cpu = child_import(folder, store)
    print(f"   import: {took:.1f} s, {imported:,} rows, peak RSS {rss / 1e6:.0f} MB, CPU {cpu} s")
    if imported != rows:
        raise SystemExit(f"imported {imported:,} rows of {rows:,}")
    q = time_queries(store, years, queries)
    why, page, page_floor = time_page(home, pages)
    out = [
        Row(f"import {files:,} files, {rows:,} rows (child process, wall)", f"{took:.1f} s",
            f"DuckDB only counting the same files' rows: {floor:.1f} s; import CPU {cpu} s "
            "(2 cores)", f"< {IMPORT_TARGET:.0f} s", took < IMPORT_TARGET),
        Row("peak RSS of the importing process", f"{rss / 1e6:.0f} MB", "-",
            "< 1 GB", rss < RSS_TARGET),
    ]  # fmt: skip
    for label, key in (("uncached (answer cache off)", "uncached"),
                       ("cold (new PoliceStats per call)", "cold")):  # fmt: skip
        s = q[key]
        out.append(Row(
            f"disproportionality, random force + period, {label}",
            f"median {ms(s['median'])}, p95 {ms(s['p95'])}",
            f"cached: median {ms(q['cached']['median'])}", f"< {QUERY_TARGET * 1000:.0f} ms",
            s["p95"] < QUERY_TARGET,
        ))  # fmt: skip
    out.append(Row("by-force cross-section for one month, uncached",
                   f"median {ms(q['by_force']['median'])}, p95 {ms(q['by_force']['p95'])}",
                   "-", "-", None))  # fmt: skip
    out.append(Row("breakdowns (NFA, find rate, s60, age, gender), uncached",
                   f"median {ms(q['breakdowns']['median'])}, p95 {ms(q['breakdowns']['p95'])}",
                   "from the counts kept in the manifests", "-", None))  # fmt: skip
    if page is None or page_floor is None:
        out.append(Row("GET /stats server time", "not measured", why,
                       f"< {PAGE_TARGET * 1000:.0f} ms", None))  # fmt: skip
    else:
        out.append(Row(
            "GET /stats server time (a force, one year)",
            f"median {ms(page['median'])}, p95 {ms(page['p95'])}",
            f"GET /api/v1/taxonomy: median {ms(page_floor['median'])}",
            f"< {PAGE_TARGET * 1000:.0f} ms", page["p95"] < PAGE_TARGET,
        ))  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser)
    parser.add_argument("--quick", action="store_true", help="1 year (~600k rows), fewer runs")
    parser.add_argument("--skip-shared", action="store_true", help="only part 2")
    parser.add_argument("--skip-generated", action="store_true", help="only part 1")
    args = parser.parse_args()
    years = range(2024, 2025) if args.quick else range(2015, 2025)
    target = 600_000 if args.quick else 6_000_000
    print_header("stats: stop-and-search import and answers", args.wait_idle)
    rows: list[Row] = []
    with temp_dir(args.tmp, "owbench-stats-") as tmp:
        if not args.skip_shared:
            rows += part_shared(tmp, 2 if args.quick else 3)
        if not args.skip_generated:
            rows += part_generated(tmp, years, target, 50 if args.quick else 200,
                                   20 if args.quick else 50)  # fmt: skip
    print_table(rows)
    print_footer()
    write_json(args.json, "stats", rows, {})


if __name__ == "__main__":
    main()
