"""Every flag's facts come from the features that produced its score, in words that say the
officer's own values; `witness patterns flags` lists them."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date
from pathlib import Path

import numpy as np

from openwitness.patterns.evaluate import snapshot_days
from openwitness.patterns.explain import describe, explain, percent_down
from openwitness.patterns.features import FeatureBuilder
from openwitness.patterns.model import fit_model
from openwitness.patterns.records import load_records
from openwitness.services import Services
from tests.support import env_for


def test_the_facts_are_the_features_that_raised_the_score_most(
    synthetic: tuple[Services, list[dict[str, str]]],
) -> None:
    services, _ = synthetic
    records = load_records(services.db)
    builder = FeatureBuilder(records)
    snapshots = [builder.snapshot(t) for t in snapshot_days(records)]
    model = fit_model(snapshots[:-1], [s.any_next_year for s in snapshots[:-1]])
    now = snapshots[-1]
    scores = model.predict(now.features)
    rows = np.argsort(-scores)[:10]
    explained = explain(model, now.features, rows)
    typical = np.median(now.features, axis=0)
    for row, facts in zip(rows, explained, strict=True):
        assert facts, "a flag always has a reason"
        # recomputed here, one feature at a time, straight from the model
        drops = {}
        for j, name in enumerate(now.names):
            changed = now.features[[row]].copy()
            changed[0, j] = typical[j]
            raw = model.trees.predict_proba(np.vstack([now.features[[row]], changed]))[:, 1]
            drops[name] = float(raw[0] - raw[1])
        strongest = sorted(drops, key=lambda n: -drops[n])[: len(facts)]
        assert [fact.feature for fact in facts] == strongest
        for fact in facts:
            assert fact.value == now.features[row, now.names.index(fact.feature)]
            assert fact.contribution == round(drops[fact.feature], 4) > 0
            assert fact.words == describe(fact.feature, fact.value)


def test_the_words_say_the_values() -> None:
    assert describe("allegations_1y", 4) == "4 allegations in 12 months"
    assert describe("allegations_90d", 1) == "1 allegation in 90 days"
    assert describe("unresolved", 3) == "3 allegations still unresolved"
    assert (
        describe("coaccused_partners", 2) == "accused with 2 other officers in 2 or more complaints"
    )
    assert describe("use-of-force_5y", 5) == "5 allegations of use of force in 5 years"
    assert describe("peer_percentile", 97.0).startswith(
        "more allegations per year of service than 97%"
    )
    assert describe("years_of_service", -1.0) == "no start date on record"
    assert "than 99% of officers" in describe("peer_percentile", 99.58)
    assert describe("partners_proven_5y", 2).startswith("the officers accused with this one in 2")
    assert percent_down(99.97) == 99.9 and percent_down(100.0 * 3 / 10) == 30.0


def test_the_command_lists_flags_with_their_facts(
    synthetic: tuple[Services, list[dict[str, str]]],
) -> None:
    services, _ = synthetic
    from tests.cli.test_cli_evidence import WITNESS

    run = subprocess.run(
        [WITNESS, "patterns", "flags", "--label", "any", "--as-of", "2018-01-01", "--top", "5",
         "--json"],
        env=env_for(services.settings), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["as_of"] == "2018-01-01" and len(answer["flags"]) == 5
    scores = [flag["score"] for flag in answer["flags"]]
    assert scores == sorted(scores, reverse=True)
    for flag in answer["flags"]:
        assert flag["facts"] and all(re.search(r"\d", f["words"]) for f in flag["facts"])
    bad = subprocess.run(
        [WITNESS, "patterns", "flags", "--as-of", "yesterday"],
        env=env_for(services.settings), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and "--as-of must be a date" in bad.stderr + bad.stdout


def test_a_flag_names_the_officers_accused_with_this_one(tmp_path: Path) -> None:
    from openwitness.patterns.explain import Fact
    from openwitness.patterns.flags import _with_partners
    from openwitness.patterns.records import day_number
    from openwitness.services import open_services
    from tests.patterns.conftest import load

    roster = [{"officer_id": f"S{n}", "name": f"Officer {n}"} for n in range(4)]
    rows = []
    together = {1: 3, 2: 2, 3: 1}  # S0 with S1 in 3 complaints, S2 in 2, S3 in 1
    for partner, times in together.items():
        for k in range(times):
            for officer in (0, partner):
                rows.append({"complaint_id": f"C{partner}-{k}", "received_on": f"2014-0{k + 1}-10",
                             "officer_id": f"S{officer}", "category": "use-of-force"})  # fmt: skip
    services = open_services(load(tmp_path / "pairs", roster, rows))
    try:
        records = load_records(services.db)
        with services.db.read() as conn:
            ids = {source: db_id for db_id, source in
                   conn.exec_driver_sql("SELECT id, source_id FROM officer").all()}  # fmt: skip
    finally:
        services.close()
    builder = FeatureBuilder(records)
    index = {int(officer_id): i for i, officer_id in enumerate(records.officer_ids)}
    t = day_number(date(2015, 1, 1))
    s0 = index[ids["S0"]]
    assert builder.partners_of(s0, t) == [(index[ids["S1"]], 3), (index[ids["S2"]], 2)]
    fact = Fact("coaccused_partners", 2.0, 0.1, describe("coaccused_partners", 2.0))
    named = _with_partners(fact, builder, s0, t)
    assert named.words == (
        f"accused with officer {ids['S1']} in 3 complaints and officer {ids['S2']} in 2 complaints"
    )
    assert named.partners == ((ids["S1"], 3), (ids["S2"], 2))
    # five years on, those complaints are out of the window
    assert builder.partners_of(s0, day_number(date(2020, 1, 1))) == []


def test_nothing_to_explain_when_no_one_is_flagged(
    synthetic: tuple[Services, list[dict[str, str]]],
) -> None:
    """A day on which the rule flags no one flags no one (the model's budget is zero)."""
    services, _ = synthetic
    records = load_records(services.db)
    builder = FeatureBuilder(records)
    snapshots = [builder.snapshot(t) for t in snapshot_days(records)]
    model = fit_model(snapshots[:-1], [s.any_next_year for s in snapshots[:-1]])
    assert explain(model, snapshots[-1].features, np.array([], np.int64)) == []
