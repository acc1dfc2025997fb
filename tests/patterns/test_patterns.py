"""Early warning on a jurisdiction loaded through the generic CSV importers: features use
nothing after their day, counts and labels agree with the csv module's, and the evaluation
answers in the documented shape."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from openwitness.patterns import EPOCH
from openwitness.patterns.evaluate import evaluate, rule_flags, snapshot_days
from openwitness.patterns.features import FeatureBuilder
from openwitness.patterns.records import load_records
from openwitness.services import Services
from tests.patterns.conftest import load, make_rows
from tests.support import env_for

T = (date(2015, 1, 1) - EPOCH).days


def by_officer(services: Services, t: int) -> dict[int, dict[str, float]]:
    """Each officer's features at t, keyed by the source's officer number."""
    records = load_records(services.db)
    snapshot = FeatureBuilder(records).snapshot(t)
    with services.db.read() as conn:
        source_ids = dict(conn.exec_driver_sql("SELECT id, source_id FROM officer").all())
    out = {}
    for row, officer in enumerate(snapshot.officers):
        key = int(source_ids[int(records.officer_ids[officer])].removeprefix("S"))
        out[key] = dict(zip(snapshot.names, snapshot.features[row].tolist(), strict=True))
    return out


def test_counts_and_labels_agree_with_the_csv(
    synthetic: tuple[Services, list[dict[str, str]]],
) -> None:
    services, rows = synthetic
    day = date(2015, 1, 1)
    last_year = Counter(
        r["officer_id"]
        for r in rows
        if day - timedelta(days=365) < date.fromisoformat(r["received_on"]) <= day
    )
    five_years = Counter(
        r["officer_id"]
        for r in rows
        if day - timedelta(days=5 * 365) < date.fromisoformat(r["received_on"]) <= day
    )
    horizon = day + timedelta(days=365)
    next_year = {r["officer_id"] for r in rows
                 if day < date.fromisoformat(r["received_on"]) <= horizon}  # fmt: skip
    features = by_officer(services, T)
    assert set(features) == {int(o[1:]) for o in five_years}  # the population: active in 5 years
    for officer, values in features.items():
        assert values["allegations_1y"] == last_year[f"S{officer}"]
        assert values["allegations_5y"] == five_years[f"S{officer}"]
    records = load_records(services.db)
    snapshot = FeatureBuilder(records).snapshot(T)
    flagged = rule_flags(snapshot, 3, 12)
    assert flagged.sum() == sum(1 for o in five_years if last_year[o] >= 3)
    with services.db.read() as conn:
        source_ids = dict(conn.exec_driver_sql("SELECT id, source_id FROM officer").all())
    labelled = {
        source_ids[int(records.officer_ids[o])] for o in snapshot.officers[snapshot.any_next_year]
    }
    assert labelled == next_year & set(five_years)


def test_features_as_of_a_day_ignore_everything_after_it(
    synthetic: tuple[Services, list[dict[str, str]]], tmp_path: Path
) -> None:
    services, rows = synthetic
    day = date(2015, 1, 1)
    roster, _ = make_rows()
    # every allegation made after the day removed, and every outcome decided after it changed
    before = [dict(r) for r in rows if date.fromisoformat(r["received_on"]) <= day]
    for row in before:
        if date.fromisoformat(row["decided_on"]) > day:
            row["final_finding"] = (
                "exonerated" if row["final_finding"] == "sustained" else "sustained"
            )
            row["final_result"] = "no-further-action"
    settings = load(tmp_path / "cut", roster, before)
    from openwitness.services import open_services

    cut = open_services(settings)
    try:
        assert by_officer(cut, T) == by_officer(services, T)
        # and the check can fail: a day later, the cut records lack what the full ones have
        later = T + 200
        assert by_officer(cut, later) != by_officer(services, later)
    finally:
        cut.close()


def test_the_evaluation_answers_in_the_documented_shape(
    synthetic: tuple[Services, list[dict[str, str]]],
) -> None:
    services, _ = synthetic
    records = load_records(services.db)
    result = evaluate(records, "any").to_dict()
    assert result["label"] == "any"
    days = snapshot_days(records)
    assert [y["year"] for y in result["years"]] == [
        (EPOCH + timedelta(days=t)).year for t in days[3:]
    ]
    for name in ("rule>=3/12m", "rule>=2/12m"):
        pooled = result["rules"][name]
        assert set(pooled) >= {"budget", "rule_precision", "model_precision",
                               "hits_difference_pct", "hits_difference_ci95"}  # fmt: skip
        assert pooled["budget"] == sum(y["rules"][name]["budget"] for y in result["years"])
        low, high = pooled["hits_difference_ci95"]
        assert low <= pooled["hits_difference_pct"] <= high
        expected = 100 * (pooled["model_hits"] - pooled["rule_hits"]) / pooled["rule_hits"]
        assert pooled["hits_difference_pct"] == pytest.approx(expected, abs=0.01)
    # the records say sex and race: flag rates are given for each group
    assert set(result["years"][-1]["flag_rates"]) == {"gender", "race"}


def test_the_model_sees_only_earlier_years(
    synthetic: tuple[Services, list[dict[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test year's model is trained on snapshots whose following year ended by then."""
    from openwitness.patterns import evaluate as module

    services, _ = synthetic
    seen: list[tuple[int, list[int]]] = []
    real = module.fit_model

    def spy(snapshots, labels, seed=0):  # type: ignore[no-untyped-def]
        seen.append((0, [s.t for s in snapshots]))
        return real(snapshots, labels, seed)

    monkeypatch.setattr(module, "fit_model", spy)
    records = load_records(services.db)
    days = snapshot_days(records, "sustained")
    evaluate(records, "sustained")
    for (_, trained), tested in zip(seen, days[3:], strict=True):
        assert max(trained) + 365 <= tested


def test_the_command_prints_json(synthetic: tuple[Services, list[dict[str, str]]]) -> None:
    services, _ = synthetic
    from tests.cli.test_cli_evidence import WITNESS

    answer = subprocess.run(
        [WITNESS, "patterns", "evaluate", "--label", "sustained", "--json"],
        env=env_for(services.settings), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert answer.returncode == 0, answer.stderr
    parsed = json.loads(answer.stdout)
    assert parsed["label"] == "sustained" and "rule>=3/12m" in parsed["rules"]
    assert np.isfinite(parsed["rules"]["rule>=3/12m"]["hits_difference_pct"])


def test_the_report_is_one_page_with_its_charts_and_the_json_beside_it(
    synthetic: tuple[Services, list[dict[str, str]]], tmp_path: Path
) -> None:
    services, _ = synthetic
    from tests.cli.test_cli_evidence import WITNESS

    folder = tmp_path / "report"
    answer = subprocess.run(
        [WITNESS, "patterns", "evaluate", "--json", "--report", str(folder)],
        env=env_for(services.settings), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert answer.returncode == 0, answer.stderr
    printed = json.loads(answer.stdout)
    assert json.loads((folder / "evaluation.json").read_text()) == printed
    page = (folder / "index.html").read_text()
    assert page.count("<svg") == 2  # precision-recall and calibration
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    for name, pooled in printed["rules"].items():
        low, high = pooled["hits_difference_ci95"]
        assert f"{pooled['hits_difference_pct']:+.1f}%" in page
        assert f"{low:+.1f}% to {high:+.1f}%" in page
        assert f"<td>{name.replace('>', '&gt;')}</td>" in page


def test_peer_percentiles_follow_cpdps_method_with_ties_shared(
    synthetic: tuple[Services, list[dict[str, str]]],
) -> None:
    """Allegations per year of service over 5 years, against the force's officers with a year's
    service: the share with a strictly lower rate, so equal records get equal percentiles
    (computed here from the CSV rows alone)."""
    services, rows = synthetic
    roster, _ = make_rows()
    day = date(2015, 1, 1)
    counts = Counter(
        r["officer_id"]
        for r in rows
        if day - timedelta(days=5 * 365) < date.fromisoformat(r["received_on"]) <= day
    )
    rates = {}
    for person in roster:
        years = (day - date.fromisoformat(person["employment_date"])).days / 365
        if years >= 1:
            rates[int(person["officer_id"][1:])] = counts[person["officer_id"]] / min(years, 5)
    features = by_officer(services, T)
    tied = Counter(rates[o] for o in features)
    assert max(tied.values()) > 1  # the check covers ties
    for officer, values in features.items():
        lower = sum(rate < rates[officer] for rate in rates.values())
        assert values["peer_percentile"] == pytest.approx(100 * lower / len(rates))
