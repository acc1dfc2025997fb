"""Early warning in the product: a model kept with its evaluation, flags and percentiles that
follow the records as they change, and a stored model that is checked before it is used."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import update

from openwitness.patterns.evaluate import evaluate
from openwitness.patterns.flags import fact_dict, flag
from openwitness.patterns.records import load_records
from openwitness.patterns.service import ModelUnusableError, StoredFlag, as_of_day
from openwitness.services import Services, open_services
from openwitness.storage.models import PatternModel
from tests.patterns.conftest import FORCE, SOURCE, load, make_rows, write_csv
from tests.support import env_for


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """A jurisdiction of its own (these tests add records to it) with a sustained model."""
    roster, rows = make_rows()
    services = open_services(load(tmp_path_factory.mktemp("trained"), roster, rows))
    services.early_warning.train("sustained", "tester")
    yield services
    services.close()


def source_ids(services: Services) -> dict[int, str]:
    with services.db.read() as conn:
        return dict(conn.exec_driver_sql("SELECT id, source_id FROM officer").all())


def test_the_model_is_kept_with_the_evaluation_run_on_the_same_records(
    trained: Services,
) -> None:
    (info,) = trained.early_warning.models()
    assert info.label == "sustained" and info.trained_by == "tester"
    assert info.records_to == date(2019, 12, 31) or info.records_to.year == 2019
    expected = json.loads(json.dumps(evaluate(load_records(trained.db), "sustained").to_dict()))
    assert info.evaluation == expected
    assert info.to_dict()["evaluation"]["rules"]["rule>=3/12m"]["budget"] > 0
    assert "years" in info.to_dict(full=True)["evaluation"]


def test_the_flags_are_the_stored_models_ranking_with_its_facts(trained: Services) -> None:
    run = trained.early_warning.current("sustained")
    assert run is not None and run.flags
    records = load_records(trained.db)
    assert run.as_of == date(1900, 1, 1) + timedelta(days=records.last_day)  # a closed release
    day, expected = flag(records, "sustained")  # the same training, done afresh
    assert run.as_of == day
    assert [f.officer_id for f in run.flags] == [f.officer_id for f in expected]
    assert [f.rank for f in run.flags] == list(range(1, len(expected) + 1))
    assert all(f.facts for f in run.flags), "every flag says why"
    for stored, fresh in zip(run.flags, expected, strict=True):
        assert stored.facts == json.loads(json.dumps([fact_dict(f) for f in fresh.facts]))
        assert stored.percentiles["percentile"] == fresh.peer_percentile
    # the run is kept: a second read with nothing changed scores nothing again
    again = trained.early_warning.current("sustained")
    assert again is not None and again.id == run.id


def test_a_kept_run_lasts_a_day(trained: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing changed, but a day has passed: every window moved, so everyone is scored again
    (as of the new day where the records are current)."""
    from openwitness.patterns import service

    run = trained.early_warning.current("sustained")
    assert run is not None
    assert trained.early_warning.current("sustained").id == run.id  # type: ignore[union-attr]
    monkeypatch.setattr(service, "today", lambda: date.today() + timedelta(days=1))
    later = trained.early_warning.current("sustained")
    assert later is not None and later.id != run.id


def test_flags_and_percentiles_are_recomputed_when_allegations_change(
    trained: Services, tmp_path: Path
) -> None:
    before = trained.early_warning.current("sustained")
    assert before is not None
    flagged = {f.officer_id for f in before.flags}
    ids = source_ids(trained)
    quiet = next(
        officer for officer in sorted(ids)
        if officer not in flagged and (s := trained.early_warning.standing(officer))
        and s.percentiles.get("allegations_5y") == 1
    )  # fmt: skip
    standing = trained.early_warning.standing(quiet)
    assert standing is not None and standing.flag is None
    # eight allegations of force in the records' last months, four found proven
    end = before.as_of
    rows = [
        {
            "complaint_id": f"NEW{n}", "received_on": (end - timedelta(days=10 * n)).isoformat(),
            "officer_id": ids[quiet], "category": "use-of-force", "status": "closed",
            "final_finding": "sustained" if n % 2 else "not-sustained",
            "decided_on": (end - timedelta(days=5 * n)).isoformat(),
        }
        for n in range(1, 9)
    ]  # fmt: skip
    report = trained.importers.complaints(
        write_csv(tmp_path / "more.csv", rows), FORCE, SOURCE, "test"
    )
    assert not report.rejected
    after = trained.early_warning.current("sustained")
    assert after is not None and after.id != before.id and after.as_of == end
    standing = trained.early_warning.standing(quiet)
    assert standing is not None
    assert standing.percentiles["allegations_5y"] == 9
    assert standing.percentiles["by_category"]["use-of-force"] > 90
    assert standing.flag is not None  # eight in a few months, four proven: flagged now
    assert any("allegation" in fact["words"] for fact in standing.flag.facts)


def test_percentiles_without_start_dates_compare_counts_and_say_so(tmp_path: Path) -> None:
    """A release with no start dates (as New York's): the 5-year count against the force's
    officers, computed here from the CSV alone."""
    roster, rows = make_rows()
    for person in roster:
        del person["employment_date"]
    services = open_services(load(tmp_path, roster, rows))
    try:
        services.early_warning.train("any", "tester")
        run = services.early_warning.current("any")
        assert run is not None
        day = run.as_of
        counts = Counter(
            r["officer_id"] for r in rows
            if day - timedelta(days=5 * 365) < date.fromisoformat(r["received_on"]) <= day
        )  # fmt: skip
        every = [counts[p["officer_id"]] for p in roster]
        by_source = {v: k for k, v in source_ids(services).items()}
        for person in roster[:40]:
            standing = services.early_warning.standing(by_source[person["officer_id"]], "any")
            assert standing is not None
            mine = counts[person["officer_id"]]
            assert standing.percentiles["method"] == "count"
            assert standing.percentiles["allegations_5y"] == mine
            lower = sum(c < mine for c in every)
            # to one decimal, rounded down (never "more than 100%")
            assert standing.percentiles["percentile"] == (1000 * lower // len(every)) / 10
    finally:
        services.close()


def test_a_de_identified_flag_names_no_officer_and_no_partner() -> None:
    fact = {
        "feature": "coaccused_partners",
        "value": 2.0,
        "contribution": 0.01,
        "words": "accused with officer 77 in 3 complaints and officer 78 in 2 complaints",
        "partners": [{"officer": 77, "complaints": 3}, {"officer": 78, "complaints": 2}],
    }
    flag = StoredFlag(41, "kent", 1, 0.9, {"percentile": 99.0}, [fact])  # fmt: skip
    assert flag.to_dict()["officer"] == 41 and flag.to_dict()["facts"] == [fact]
    hidden = flag.to_dict(de_identified=True)
    assert "officer" not in hidden and "41" not in json.dumps(hidden)
    assert hidden["facts"] == [
        {"feature": "coaccused_partners", "value": 2.0, "contribution": 0.01,
         "words": "accused with 2 other officers in 2 or more complaints"}
    ]  # fmt: skip


def test_the_commands_train_and_list_versions(trained: Services) -> None:
    from tests.cli.test_cli_evidence import WITNESS

    env = env_for(trained.settings)
    run = subprocess.run(
        [WITNESS, "patterns", "train", "--label", "any", "--json"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    made = json.loads(run.stdout)
    assert made["label"] == "any" and made["trained_by"].startswith("cli:")
    assert "the rolling evaluation" in run.stderr  # progress, on stderr
    listed = subprocess.run(
        [WITNESS, "patterns", "models"], env=env, capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].startswith(f"model {made['id']}: any") and "sustained" in lines[1]
    pooled = made["evaluation"]["rules"]["rule>=3/12m"]
    assert f"{pooled['hits_difference_pct']:+.1f}% hits" in lines[0]


def test_a_version_is_exported_as_the_model_file_and_its_evaluation(
    trained: Services, tmp_path: Path
) -> None:
    from tests.cli.test_cli_evidence import WITNESS

    info = next(m for m in trained.early_warning.models() if m.label == "sustained")
    run = subprocess.run(
        [WITNESS, "patterns", "export", str(info.id), str(tmp_path / "out")],
        env=env_for(trained.settings), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    model_file = tmp_path / "out" / f"openwitness-model-{info.id}.pkl"
    described = json.loads((tmp_path / "out" / f"openwitness-model-{info.id}.json").read_text())
    assert hashlib.sha256(model_file.read_bytes()).hexdigest() == described["model_sha256"]
    assert described["model_sha256"] == info.sha256
    assert described["evaluation"] == info.evaluation and described["label"] == "sustained"
    missing = subprocess.run(
        [WITNESS, "patterns", "export", "999", str(tmp_path / "none")],
        env=env_for(trained.settings), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert missing.returncode == 1 and "no early-warning model 999" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_a_stored_model_that_was_altered_is_refused(trained: Services) -> None:
    info = next(m for m in trained.early_warning.models() if m.label == "sustained")
    with trained.db.write() as conn:
        conn.execute(
            update(PatternModel).where(PatternModel.id == info.id).values(model=b"\x80\x05N.")
        )
    fresh = open_services(trained.settings)  # no model held in memory
    try:
        with pytest.raises(ModelUnusableError, match="does not match its recorded SHA-256"):
            fresh.early_warning._load(info)
        other = type(info)(**{**vars(info), "software": {"scikit-learn": "0.0"}})
        with pytest.raises(ModelUnusableError, match="train it again"):
            fresh.early_warning._load(other)
    finally:
        fresh.close()


def test_a_closed_release_is_flagged_as_of_the_end_of_its_last_covered_year(
    trained: Services,
) -> None:
    """As CPDP's: records run into a year barely entered; flags are as of the last year the
    records really cover, not a day when hardly anyone has a recent complaint."""
    records = load_records(trained.db)
    stray = np.full(5, (date(2021, 3, 1) - date(1900, 1, 1)).days)
    with_stray = replace(records, day=np.concatenate([records.day, stray]))
    end_2019 = (date(2019, 12, 31) - date(1900, 1, 1)).days
    assert as_of_day(with_stray, date(2026, 12, 2)) == end_2019
    # an open data set (records within the last year) is flagged as of today
    assert as_of_day(with_stray, date(2021, 6, 1)) == (date(2021, 6, 1) - date(1900, 1, 1)).days


def test_the_model_and_its_runs_are_kept_in_postgresql(
    postgres_schema_url: str, tmp_path: Path
) -> None:
    """The same on the server database a larger group runs: the model's bytes, its
    evaluation, the run's scores and percentiles, and a new run when the records change."""
    roster, rows = make_rows()
    services = open_services(load(tmp_path, roster, rows, postgres_schema_url))
    try:
        info = services.early_warning.train("sustained", "tester")
        fresh = open_services(services.settings)  # reads the model back from the database
        try:
            run = fresh.early_warning.current("sustained")
            assert run is not None and run.model.sha256 == info.sha256 and run.flags
            top = fresh.early_warning.standing(run.flags[0].officer_id)
            assert top is not None and top.flag is not None and top.flag.rank == 1
            more = [{**rows[0], "complaint_id": "PG1", "received_on": run.as_of.isoformat()}]
            fresh.importers.complaints(write_csv(tmp_path / "more.csv", more), FORCE, SOURCE, "t")
            again = fresh.early_warning.current("sustained")
            assert again is not None and again.id != run.id
        finally:
            fresh.close()
    finally:
        services.close()


def test_a_figure_that_could_not_be_computed_is_kept_as_null(
    trained: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NaN is not JSON: PostgreSQL's JSON and the API's answers refuse it."""
    from openwitness.patterns import evaluate as evaluation_module

    class Undefined:
        def to_dict(self) -> dict[str, object]:
            return {"rules": {"rule>=3/12m": {"hits_difference_ci95": [float("nan"), 1.0]}}}

    monkeypatch.setattr(evaluation_module, "evaluate", lambda *_args: Undefined())
    info = trained.early_warning.train("any", "tester")
    assert info.evaluation["rules"]["rule>=3/12m"]["hits_difference_ci95"] == [None, 1.0]
    json.dumps(info.to_dict(full=True), allow_nan=False)  # what the API sends
    from openwitness.cli.patterns import _interval

    assert _interval(info.evaluation["rules"]["rule>=3/12m"]).startswith("no 95% interval")
