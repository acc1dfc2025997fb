"""Every flag's facts come from the features that produced its score, in words that say the
officer's own values; `witness patterns flags` lists them."""

from __future__ import annotations

import json
import re
import subprocess

import numpy as np

from openwitness.patterns.evaluate import snapshot_days
from openwitness.patterns.explain import describe, explain
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
            drops[name] = float(scores[row] - model.predict(changed)[0])
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
