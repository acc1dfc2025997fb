"""Early warning (openwitness.patterns): features and scoring for the whole Chicago release, and
a full evaluation, beside a plain pandas groupby of the same counts.

The CPDP 2018 release is imported once into a temporary installation (not timed). Then, timed:
reading the allegations into arrays, building every officer's features for every covered year
(one snapshot a year, 1996-2017) and scoring the last year with a model trained on the others;
beside it, pandas computing only the windowed allegation counts (90 days, 1, 2, 5 years) per
officer for the same snapshots with ``groupby``, from the same arrays (so it is the counting
alone, no database). The two must agree on the counts. Then ``evaluate`` for both labels.
Targets (issue 13): features and scoring < 30 s; a full evaluate < 3 minutes.

Run:  .venv/bin/python bench/patterns.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
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

from openwitness.core.config import Settings
from openwitness.patterns.evaluate import evaluate, snapshot_days
from openwitness.patterns.features import WINDOWS, FeatureBuilder
from openwitness.patterns.model import fit_model
from openwitness.patterns.records import load_records
from openwitness.services import open_services

CHICAGO = SHARED / "data" / "complaints" / "chicago-cpdp-2018"
FEATURES_TARGET = 30.0
EVALUATE_TARGET = 180.0


def import_chicago(home: Path) -> Settings:
    """The release imported by the real CLI, as a user would (not timed)."""
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'w.db'}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWITNESS_")}
    env.update(OPENWITNESS_HOME=str(home), OPENWITNESS_DATABASE_URL=settings.database_url)
    for args in (["init", "--origin", "bench.patterns/log"], ["import", "cpdp", str(CHICAGO)]):
        subprocess.run([str(VENV_BIN / "witness"), *args], env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    return settings


def pandas_counts(records: Any, days: list[int]) -> tuple[float, dict[int, Any]]:
    """The baseline: only the four windowed counts per officer, with pandas groupby."""
    import pandas as pd

    started = time.perf_counter()
    frame = pd.DataFrame({"officer": records.officer, "day": records.day})
    out = {}
    for t in days:
        counts = {}
        for name, width in WINDOWS.items():
            window = frame[(frame.day <= t) & (frame.day > t - width)]
            counts[name] = window.groupby("officer").size()
        out[t] = counts
    return time.perf_counter() - started, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(parser)
    args = parser.parse_args()
    print_header("patterns: early warning on the Chicago release", args.wait_idle)
    with temp_dir(args.tmp, "ow-bench-patterns-") as tmp:
        settings = import_chicago(Path(tmp))
        services = open_services(settings)
        try:
            started = time.perf_counter()
            records = load_records(services.db)
            loaded = time.perf_counter()
            builder = FeatureBuilder(records)
            days = snapshot_days(records)
            snapshots = [builder.snapshot(t) for t in days]
            built = time.perf_counter()
            model = fit_model(snapshots[:-1], [s.any_next_year for s in snapshots[:-1]])
            scores = model.predict(snapshots[-1].features)
            scored = time.perf_counter()
        finally:
            services.close()
        pandas_seconds, counts = pandas_counts(records, days)
        for snapshot in snapshots:  # the same counts, for the officers in the population
            for name in WINDOWS:
                theirs = counts[snapshot.t][name].reindex(snapshot.officers, fill_value=0)
                assert np.array_equal(theirs.to_numpy(), snapshot.column(f"allegations_{name}"))
        timings = {}
        for label in ("any", "sustained"):
            begun = time.perf_counter()
            evaluate(records, label)
            timings[label] = time.perf_counter() - begun
    total = scored - started
    rows = [
        Row(
            f"features + scoring, Chicago ({len(records.day):,} allegations, "
            f"{len(records.officer_ids):,} officers, {len(days)} yearly snapshots)",
            f"{total:.1f} s (read {loaded - started:.1f} s, features {built - loaded:.1f} s, "
            f"train and score {scored - built:.1f} s; {len(scores):,} officers scored)",
            f"pandas groupby of the 4 windowed counts alone: {pandas_seconds:.1f} s "
            f"(features here: {built - loaded:.1f} s for {len(snapshots[0].names)} features)",
            f"< {FEATURES_TARGET:.0f} s",
            total < FEATURES_TARGET,
        ),
        *(
            Row(
                f"witness patterns evaluate --label {label}, Chicago",
                f"{seconds:.1f} s",
                "-",
                f"< {EVALUATE_TARGET:.0f} s",
                seconds < EVALUATE_TARGET,
            )
            for label, seconds in timings.items()
        ),
    ]
    print_table(rows)
    write_json(args.json, "patterns", rows, {})
    print_footer()


if __name__ == "__main__":
    sys.exit(main())
