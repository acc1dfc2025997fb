"""The demo data set: its shape, that a seed reproduces it, and `witness serve --demo`."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from openwitness.cases.access import Viewer
from openwitness.cases.listing import Filters
from openwitness.core.clock import today
from openwitness.core.config import Settings
from openwitness.core.errors import OpenWitnessError
from openwitness.demo import CASES, DEMO_ORIGIN, DEMO_PASSWORD, FICTIONAL, DemoSummary, seed_demo
from openwitness.services import Services, initialise, open_services
from openwitness.storage.models import Allegation as AllegationRow
from openwitness.storage.models import Complaint as ComplaintRow
from openwitness.storage.models import Officer as OfficerRow
from tests.api.test_api_server import WITNESS, free_port, stop

OPERATOR = Viewer.operator("t")
START_TIMEOUT = 60.0  # the first start seeds the demo folder before it listens


def sqlite_settings_in(home: Path) -> Settings:
    return Settings(home=home, database_url=f"sqlite:///{home / 'openwitness.db'}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, DemoSummary]]:
    """One seeded installation shared by the read-only checks (seeding takes a few seconds)."""
    svc, _ = initialise(sqlite_settings_in(tmp_path_factory.mktemp("demo")), DEMO_ORIGIN)
    started = time.monotonic()
    summary = seed_demo(svc)
    print(f"seeded in {time.monotonic() - started:.1f}s: {summary}")
    yield svc, summary
    svc.close()


def everything(svc: Services) -> dict[str, object]:
    """What a reader sees of every case and officer (people's details opened)."""
    listing = svc.listings.cases(Filters(), OPERATOR, limit=200)
    assert not listing.has_more
    return {
        "listing": listing.items,
        "cases": [svc.cases.view(item["id"], OPERATOR) for item in listing.items],
        "officers": [o.to_dict() for o in svc.officers.find()],
        "overdue": svc.listings.overdue_counts(OPERATOR),
    }


def test_the_demo_has_cases_officers_with_histories_and_overdue_follow_ups(
    demo: tuple[Services, DemoSummary],
) -> None:
    svc, summary = demo
    assert summary.cases >= 100 and summary.officers >= 30
    assert set(summary.organisations) == {"southside-law", "northgate-legal"}
    assert {a[0] for a in summary.accounts} == {"demo-admin", "demo-caseworker", "demo-analyst"}
    svc.accounts.authenticate("demo-caseworker", DEMO_PASSWORD)

    officers = svc.officers.find()
    records = [svc.listings.officer_record(o.id) for o in officers]
    heavy = [r for r in records if r["counts"]["allegations"] >= 5]
    assert len(heavy) >= 3, "a few officers accumulate many allegations"
    assert any(r["co_accused"] for r in heavy)
    history = [i for o in officers for i in o.identifiers]
    assert any(i.kind == "collar" and i.valid_to is not None for i in history)
    assert any(i.kind == "rank" and i.valid_to is not None for i in history)
    assert any(i.kind == "unit" and i.valid_to is not None for i in history)
    named_later = [
        o
        for o in officers
        if (name := next((i for i in o.identifiers if i.kind == "name"), None))
        and (collar := next((i for i in o.identifiers if i.kind == "collar"), None))
        and name.valid_from
        and collar.valid_from
        and name.valid_from > collar.valid_from
    ]
    assert named_later, "some officers were known first only by collar number"
    assert any(o.current("name") is None for o in officers), "some are still unidentified"

    with svc.db.read() as conn:
        merged = list(conn.execute(select(OfficerRow).where(OfficerRow.merged_into.is_not(None))))
        assert len(merged) == summary.merged_officers >= 1
        left_behind = conn.execute(
            select(func.count())
            .select_from(AllegationRow)
            .where(AllegationRow.officer_id.in_([m.id for m in merged]))
        ).scalar_one()
        allegations = list(conn.execute(select(AllegationRow)))
        received = list(conn.execute(select(ComplaintRow.received_at)).scalars())
    assert left_behind == 0, "merging moved the duplicate's allegations to the kept record"
    kept = svc.listings.officer_record(merged[0].merged_into)
    assert kept["counts"]["allegations"] >= 5

    assert len(allegations) == summary.allegations
    assert {a.status for a in allegations} == {
        "received",
        "assessed",
        "under-investigation",
        "closed",
    }
    assert {a.handling for a in allegations} >= {
        "outside-schedule-3",
        "schedule-3",
        "referred-to-iopc",
    }
    differ = [
        a
        for a in allegations
        if a.recommended_finding and a.final_finding and a.recommended_finding != a.final_finding
    ]
    assert len(differ) >= 5, "the gap between recommendation and decision is in the demo"
    assert any(a.final_result == "written-warning" for a in differ)
    closed = [a for a in allegations if a.status == "closed"]
    assert closed and all(a.closed_on and a.outcome_notified_on for a in closed)
    assert all(a.closed_on <= today() for a in closed if a.closed_on)
    assert any(a.review_requested_on for a in closed)

    overdue = svc.listings.overdue_counts(OPERATOR)["overdue"]
    still_open = [a for a in allegations if a.status != "closed"]
    assert overdue == summary.overdue_allegations > 0
    assert 0.05 <= overdue / len(still_open) <= 0.3, (overdue, len(still_open))
    soon = today() + timedelta(days=7)
    assert any(a.due_on and today() <= a.due_on <= soon for a in still_open), "some due soon"

    now = datetime.now(UTC)
    dated = [r.replace(tzinfo=UTC) for r in received]
    assert all(r < now for r in dated) and min(dated) < now - timedelta(days=2 * 365)
    case = svc.cases.view(1, OPERATOR)
    assert case["incident"]["narrative"].endswith(FICTIONAL)
    assert svc.log.size() == 0, "the demo lodges no evidence in the public log"

    lines = "\n".join(summary.lines())
    assert "demo-caseworker" in lines and DEMO_PASSWORD in lines and "fictional" in lines


def test_the_same_seed_gives_the_same_demo(
    demo: tuple[Services, DemoSummary], sqlite_services: Services
) -> None:
    svc, summary = demo
    assert seed_demo(sqlite_services) == summary
    assert everything(sqlite_services) == everything(svc)


def test_an_installation_with_cases_is_refused(demo: tuple[Services, DemoSummary]) -> None:
    svc, summary = demo
    with pytest.raises(OpenWitnessError, match="already holds"):
        seed_demo(svc)
    assert svc.listings.cases(Filters(), OPERATOR, limit=200).items[-1]["id"] == 1
    assert len(svc.listings.cases(Filters(), OPERATOR, limit=200).items) == summary.cases


def start_serving(env: dict[str, str], port: int, log_file: Path) -> subprocess.Popen[bytes]:
    """`witness serve --demo` on ``port``, once it answers."""
    with log_file.open("ab") as output:
        proc = subprocess.Popen(
            [WITNESS, "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            pytest.fail(
                f"witness serve --demo exited with {proc.returncode}:\n{log_file.read_text()}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            stop(proc)
            pytest.fail(f"witness serve --demo did not answer in time:\n{log_file.read_text()}")
        time.sleep(0.1)


def test_witness_serve_demo_serves_a_seeded_separate_folder(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENWITNESS_DATABASE_URL", "OPENWITNESS_PERSONAL_DATA_KEY")
    }
    env["OPENWITNESS_HOME"] = str(tmp_path)
    env["PYTHONUNBUFFERED"] = "1"
    log_file = tmp_path.parent / f"{tmp_path.name}-serve.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_serving(env, port, log_file)
    try:
        svc = open_services(sqlite_settings_in(tmp_path / "demo"))
        try:
            token = svc.accounts.create_token("demo-caseworker", "test")
        finally:
            svc.close()
        headers = {"Authorization": f"Bearer {token}"}
        cases = httpx.get(f"{base}/api/v1/cases", params={"overdue": "true"}, headers=headers)
        assert cases.status_code == 200, cases.text
        items = cases.json()["items"]
        assert items and all(c["overdue"] >= 1 for c in items)
        assert {c["organisation"] for c in items} == {"southside-law"}
        counts = httpx.get(f"{base}/api/v1/allegations/overdue", headers=headers)
        assert counts.status_code == 200 and counts.json()["overdue"] > 0
    finally:
        stop(proc)
    first = log_file.read_text()
    assert "demo-caseworker" in first and DEMO_PASSWORD in first, first
    assert f"Demo data folder: {tmp_path / 'demo'}" in first
    # Nothing went into the real installation's folder: no database, no keys.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]
    assert (tmp_path / "demo" / "openwitness.db").exists()

    # A second start keeps the seeded demo as it is.
    proc = start_serving(env, free_port(), log_file)
    stop(proc)
    second = log_file.read_text()[len(first) :]
    assert f"{CASES} cases" in second and "error" not in second.lower(), second
    svc = open_services(sqlite_settings_in(tmp_path / "demo"))
    try:
        assert len(svc.listings.cases(Filters(), OPERATOR, limit=200).items) == CASES
    finally:
        svc.close()
