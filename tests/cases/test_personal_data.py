"""Sealing personal details, on SQLite and PostgreSQL: what is stored gives nothing away."""

from __future__ import annotations

from sqlalchemy import select

from openwitness.cases.complaints import NewCase, NewPerson
from openwitness.services import Services
from openwitness.storage.models import Person
from tests.cases.test_cases import incident
from tests.support import ENTITLED

DETAILS = {"name": "Adaeze Okafor", "phone": "07700 900123"}


def test_two_sealings_of_the_same_details_use_different_nonces(services: Services) -> None:
    """AES-GCM with a repeated nonce leaks the XOR of the plaintexts and lets the key's
    authenticator be forged; the same details sealed twice must not even look alike."""
    people = tuple(NewPerson(role, dict(DETAILS)) for role in ("complainant", "witness"))
    case, _ = services.cases.add(NewCase(incident(), people=people), "tester", None, ENTITLED)
    services.cases.add(NewCase(incident(), people=people[:1]), "tester", None, ENTITLED)
    with services.db.read() as conn:
        sealed = conn.execute(select(Person.sealed).order_by(Person.id)).scalars().all()
    assert len(sealed) == 3 and all(blob is not None for blob in sealed)
    nonces = {bytes(blob[1:13]) for blob in sealed if blob}
    assert len(nonces) == 3
    assert len({bytes(blob[13:]) for blob in sealed if blob}) == 3
    assert all(services.cases.sealer.open(blob) == DETAILS for blob in sealed if blob)
    assert len({p.id for p in services.cases.get(case.id).people}) == 2
