"""The log's side of witnessing in one process: `Cosigning.collect` against in-process
witnesses (the real `Witness` service, each on its own database) reached through the
replaceable ``post`` function, so timing and failures can be arranged exactly."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openwitness.ledger.cosignature import Cosigner, cosigned_by, parse_policy
from openwitness.ledger.note import parse_note
from openwitness.services import Services
from openwitness.storage.db import Database
from openwitness.witnessing.collect import Cosigning
from openwitness.witnessing.service import Witness, WitnessRefusal

NAMES = ("w1", "w2", "w3")


def witnesses(services: Services, tmp_path: Path) -> dict[str, Witness]:
    made = {}
    for name in NAMES:
        db = Database(f"sqlite:///{tmp_path / name}.db")
        db.migrate()
        cosigner = Cosigner(f"{name}.example/witness", Ed25519PrivateKey.generate())
        made[name] = Witness(db, cosigner, [services.log.signer.verifier])
    return made


def cosigning(services: Services, found: dict[str, Witness], post) -> Cosigning:  # type: ignore[no-untyped-def]
    policy = parse_policy(
        f"log {services.log.signer.verifier.vkey}\n"
        + "".join(
            f"witness {name} {w.cosigner.vkey} https://{name}.example/witness\n"
            for name, w in found.items()
        )
        + f"group all-three all {' '.join(found)}\nquorum all-three\n"
    )
    return Cosigning(services.db, services.log, policy, post)


def answer(found: dict[str, Witness], url: str, body: bytes) -> tuple[int, str]:
    name = url.removeprefix("https://").split(".", 1)[0]
    try:
        return 200, found[name].add_checkpoint(body)
    except WitnessRefusal as refusal:
        return refusal.status, refusal.body


def test_witnesses_are_asked_at_the_same_time(services: Services, tmp_path: Path) -> None:
    """A round lasts as long as the slowest witness, not the sum: each answer here waits
    until all three requests have arrived, which never happens if they are sent in turn."""
    found = witnesses(services, tmp_path)
    all_asked = threading.Barrier(len(NAMES), timeout=10)

    def post(url: str, body: bytes) -> tuple[int, str]:
        all_asked.wait()  # BrokenBarrierError (a failed test) if the witnesses are asked in turn
        return answer(found, url, body)

    services.log.append(b"to be witnessed")
    run = cosigning(services, found, post)
    outcomes = run.collect()
    assert [(o.witness, o.status, o.message) for o in outcomes] == [
        (name, 200, "cosigned") for name in NAMES
    ]
    note = services.log.latest_checkpoint()
    assert set(cosigned_by(note, run.policy.witnesses)) == set(NAMES)
    assert len(parse_note(note).signatures) == 4  # the log's own and three cosignatures


def test_one_witness_failing_does_not_cost_the_others(services: Services, tmp_path: Path) -> None:
    found = witnesses(services, tmp_path)

    def post(url: str, body: bytes) -> tuple[int, str]:
        if "w2." in url:
            return 0, "connection refused"
        return answer(found, url, body)

    services.log.append(b"entry")
    run = cosigning(services, found, post)
    outcomes = run.collect()
    assert [(o.witness, o.status) for o in outcomes] == [("w1", 200), ("w2", 0), ("w3", 200)]
    assert outcomes[1].message == "connection refused"
    note = services.log.latest_checkpoint()
    assert len(parse_note(note).signatures) == 3
    # The next round asks only the one that has not cosigned this checkpoint yet.
    again = run.collect()
    assert [(o.witness, o.message) for o in again][::2] == [
        ("w1", "already cosigned"),
        ("w3", "already cosigned"),
    ]


@pytest.mark.parametrize("appended", [1, 5])
def test_later_rounds_send_a_consistency_proof_from_the_size_each_cosigned(
    services: Services, tmp_path: Path, appended: int
) -> None:
    found = witnesses(services, tmp_path)
    run = cosigning(services, found, lambda url, body: answer(found, url, body))
    services.log.append(b"first")
    assert {o.status for o in run.collect()} == {200}
    for i in range(appended):
        services.log.append(b"more %d" % i)
    assert [o.message for o in run.collect()] == ["cosigned"] * 3
    note = services.log.latest_checkpoint()
    assert len(parse_note(note).signatures) == 4
