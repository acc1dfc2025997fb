"""Officer fields on the casework pages: what a caseworker types (a collar number as it is
said, a name, a record number) becomes an officer record number, by the core's lookup
(``Officers.find_by_identifier``), within the force where that collar number was issued."""

from __future__ import annotations

from typing import Any

from openwitness.accounts.service import Account
from openwitness.api.deps import viewer
from openwitness.core.errors import OpenWitnessError


def resolve_officer(services: Any, force: str | None, text: str | None) -> int | None:
    """The officer a form or filter names as people know them (collar number, name, record
    number), resolved by the core; ``None`` for an empty field. Errors name the field."""
    if not text:
        return None
    return int(services.officers.find_by_identifier(force, text).id)


def known_force(services: Any, force: str | None) -> str | None:
    """The force filter when it names a force (an unknown one is refused by the listing)."""
    known = {f.id for f in services.forces.list()}
    return force if force in known else None


def allegation_force(
    services: Any, account: Account, allegation_id: int, given: dict[str, str]
) -> str | None:
    """The force of the case the allegation is in (from the case the form was on, when the
    allegation is one of its own), so a collar number is looked up where it was issued."""
    case = given.get("case", "")
    if not (case.isdigit() and 0 < int(case) < 2**31):
        return None
    try:
        shown = services.cases.view(int(case), viewer(account))
    except OpenWitnessError:
        return None
    if allegation_id not in {a["id"] for a in shown["allegations"]}:
        return None
    return str(shown["incident"]["force"])
