"""Screening a chat export as a job: run again (its worker killed half way, its form sent
twice) it makes one screening, never two, and reports its progress as it goes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openwitness.core.config import Settings
from openwitness.jobs import tasks
from openwitness.services import Services, initialise
from openwitness.storage.screening_models import ScreeningExport, ScreeningMessage
from tests.web.test_screening_pages import ZIP_NAME, exported_zip


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[Services]:
    settings = Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'w.db'}")
    services, _ = initialise(settings, "test.openwitness.local/screening-jobs")
    services.accounts.add_organisation("law-centre", "Law Centre")
    yield services
    services.close()


def rows(services: Services, model: type) -> int:
    from sqlalchemy import func, select

    with services.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_screening_job_run_twice_makes_one_screening(installed: Services) -> None:
    with installed.vault.upload() as staged:
        installed.vault.write(staged, exported_zip(photo_bytes=1024))
        sha256, _ = installed.screening.log_staged(staged, ZIP_NAME, "law-centre")
    assert rows(installed, ScreeningExport) == 0  # logged, not yet screened
    args = {"sha256": sha256, "file_name": ZIP_NAME, "lodged_by": "scr",
            "organisation_id": "law-centre", "complaint_id": None}  # fmt: skip
    first = installed.jobs.create("screening.lodge", args, "scr")
    tasks.run(installed, first)
    done = installed.jobs.get(first)
    assert done.state == "done", done.message
    assert done.result is not None and done.message == "7 messages screened, 2 flagged"
    assert done.done == 2  # the one attachment, then the scoring, each reported
    again = installed.jobs.create("screening.lodge", args, "scr")  # the form sent twice
    tasks.run(installed, again)
    assert installed.jobs.get(again).result == done.result
    assert rows(installed, ScreeningExport) == 1 and rows(installed, ScreeningMessage) == 7
    # another organisation lodging the same bytes gets a screening of its own
    installed.accounts.add_organisation("other-org", "Other")
    other = installed.jobs.create("screening.lodge", {**args, "organisation_id": "other-org"},
                                  "oth")  # fmt: skip
    tasks.run(installed, other)
    assert installed.jobs.get(other).result["export_id"] != done.result["export_id"]  # type: ignore[index]


def test_two_screenings_of_one_export_at_once_keep_one(
    installed: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second job started before the first had finished (so its first look found
    nothing), and finishes after it: it returns the first's screening, not a second one."""
    with installed.vault.upload() as staged:
        installed.vault.write(staged, exported_zip())
        sha256, _ = installed.screening.log_staged(staged, ZIP_NAME, "law-centre")
    first = installed.screening.screen(sha256, ZIP_NAME, "scr", "law-centre")
    looked = installed.screening._lodged
    calls: list[int] = []

    def not_yet_the_first_time(*args: object) -> object:
        calls.append(1)
        return None if len(calls) == 1 else looked(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(installed.screening, "_lodged", not_yet_the_first_time)
    second = installed.screening.screen(sha256, ZIP_NAME, "scr", "law-centre")
    assert second.export_id == first.export_id and not second.created
    assert rows(installed, ScreeningExport) == 1
