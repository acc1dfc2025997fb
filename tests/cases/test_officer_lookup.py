"""Officers found by what people know (collar number, name, force) and shown that way, on
SQLite and PostgreSQL: the casework pages' officer fields and filters rely on this."""

from __future__ import annotations

import pytest

from openwitness.core.errors import InvalidRequestError
from openwitness.services import Services


def test_a_collar_number_is_found_within_the_force_however_it_is_typed(
    services: Services,
) -> None:
    officers = services.officers
    met = officers.add("metropolitan", {"collar": "1234", "name": "Jane Example",
                                        "rank": "Police Constable"}, "t")  # fmt: skip
    kent = officers.add("kent", {"collar": "1234"}, "t")
    other = officers.add("metropolitan", {"collar": "77", "name": "Sam Other"}, "t")
    for typed in ("1234", " pc 1234 ", "PC 1234", "Sgt. 1234", "jane example"):
        assert officers.find_by_identifier("metropolitan", typed).id == met.id, typed
    assert officers.find_by_identifier("kent", "PC 1234").id == kent.id
    # A record number: said explicitly, or bare digits that are no collar in the force.
    assert officers.find_by_identifier("metropolitan", f"#{other.id}").id == other.id
    assert officers.find_by_identifier(None, f"id {kent.id}").id == kent.id
    assert officers.find_by_identifier("metropolitan", str(other.id)).id == other.id
    # In any force only when one force's officer matches; otherwise the forces are named.
    assert officers.find_by_identifier(None, "77").id == other.id
    with pytest.raises(InvalidRequestError) as both:
        officers.find_by_identifier(None, "PC 1234")
    assert str(both.value).startswith("officer: ")
    assert "Kent Police" in str(both.value) and "Metropolitan Police Service" in str(both.value)
    with pytest.raises(InvalidRequestError, match="no officer 999 in Kent Police"):
        officers.find_by_identifier("kent", "999")
    with pytest.raises(InvalidRequestError, match=r"no officer #\d+ in Kent Police"):
        officers.find_by_identifier("kent", f"#{other.id}")  # another force's record
    # A collar number reissued: the officer holding it now is meant; a shared name is asked.
    before = officers.add("metropolitan", {"collar": "4321", "name": "Sam Other"}, "t")
    officers.update(before.id, "collar", "9999", "t")
    now = officers.add("metropolitan", {"collar": "4321"}, "t")
    assert officers.find_by_identifier("metropolitan", "PC 4321").id == now.id
    with pytest.raises(InvalidRequestError) as shared:
        officers.find_by_identifier("metropolitan", "sam other")
    assert f"#{other.id}" in str(shared.value) and f"#{before.id}" in str(shared.value)
    assert "record number" in str(shared.value)
    for nonsense in ("", "   ", "x" * 300, "a\x00b", "#99999999999"):
        with pytest.raises(InvalidRequestError, match=r"^officer: "):
            officers.find_by_identifier("kent", nonsense)


def test_officers_are_labelled_by_rank_collar_name_and_force_never_by_record_number(
    services: Services,
) -> None:
    officers = services.officers
    jane = officers.add("metropolitan", {"collar": "1234", "name": "Jane Example",
                                         "rank": "Police Constable"}, "t")  # fmt: skip
    unnamed = officers.add("kent", {"collar": "AB12"}, "t")
    warrant = officers.add("btp", {"warrant": "W99"}, "t")
    labels = officers.labels([jane.id, unnamed.id, warrant.id])
    assert labels == {
        jane.id: "PC 1234 Jane Example (Metropolitan Police Service)",
        unnamed.id: "collar AB12 (Kent Police)",
        warrant.id: "warrant W99 (British Transport Police)",
    }
    assert officers.labels([]) == {}
