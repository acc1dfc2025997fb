"""A small synthetic jurisdiction, loaded through the generic roster and complaints CSV
importers exactly as a new force's records would be: 240 officers over 2008-2019, each with
their own rate of allegations; some partners are accused together; outcomes are decided a few
months after each complaint."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from openwitness.core.config import Settings
from openwitness.services import Services, initialise

FORCE = "kent"
SOURCE = "synthetic"
CATEGORIES = (
    "use-of-force",
    "individual-behaviours/impolite-language",
    "police-powers/premises-searches-and-seizure",
    "discriminatory-behaviour/race",
)


def make_rows(seed: int = 5) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    rng = random.Random(seed)
    roster, rows = [], []
    for n in range(240):
        start = date(1995 + rng.randrange(12), 1 + rng.randrange(12), 1)
        roster.append({
            "officer_id": f"S{n}", "name": f"Officer {n}", "collar": str(1000 + n),
            "gender": rng.choice(["male", "female"]), "race": rng.choice(["a", "b", "c"]),
            "employment_date": start.isoformat(),
        })  # fmt: skip
    rates = [rng.choice([0.2, 0.5, 1.0, 2.5]) for _ in roster]
    complaint = 0
    for year in range(2008, 2020):
        for n, rate in enumerate(rates):
            for _ in range(int(rng.expovariate(1 / rate)) if rate else 0):
                complaint += 1
                received = date(year, 1, 1) + timedelta(days=rng.randrange(365))
                accused = [n] + ([rng.randrange(240)] if rng.random() < 0.2 else [])
                for officer in dict.fromkeys(accused):
                    proven = rng.random() < 0.05 + 0.04 * rate
                    decided = received + timedelta(days=60 + rng.randrange(300))
                    rows.append({
                        "complaint_id": f"C{complaint}", "received_on": received.isoformat(),
                        "officer_id": f"S{officer}", "category": rng.choice(CATEGORIES),
                        "status": "closed",
                        "final_finding": "sustained" if proven else "not-sustained",
                        "final_result": "reprimand" if proven else "no-further-action",
                        "decided_on": decided.isoformat(), "closed_on": decided.isoformat(),
                    })  # fmt: skip
    return roster, rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    fields = sorted({key for row in rows for key in row})
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def import_rows(
    services: Services, folder: Path, roster: list[dict[str, str]], rows: list[dict[str, str]]
) -> None:
    """The roster and the complaints, through the generic CSV importers."""
    services.importers.roster(write_csv(folder / "roster.csv", roster), FORCE, SOURCE, "test")
    report = services.importers.complaints(
        write_csv(folder / "complaints.csv", rows), FORCE, SOURCE, "test"
    )
    assert not report.rejected, report.rejected[:3]


def load(
    home: Path,
    roster: list[dict[str, str]],
    rows: list[dict[str, str]],
    database_url: str | None = None,
) -> Settings:
    settings = Settings(home=home, database_url=database_url or f"sqlite:///{home / 'w.db'}")
    services, _ = initialise(settings, "patterns.test/log")
    try:
        import_rows(services, home, roster, rows)
    finally:
        services.close()
    return settings


@pytest.fixture(scope="module")
def synthetic(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Services, list[dict[str, str]]]]:
    roster, rows = make_rows()
    settings = load(tmp_path_factory.mktemp("synthetic"), roster, rows)
    from openwitness.services import open_services

    services = open_services(settings)
    yield services, rows
    services.close()
