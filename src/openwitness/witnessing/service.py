"""The witness (C2SP tlog-witness ``add-checkpoint``): cosign a log's checkpoint only when it
is signed by that log's key and consistent with the last one this witness cosigned for it.

The last cosigned size and root are kept per log in the database and compared and replaced
in one transaction (SQLite's write lock, PostgreSQL's row lock), so two requests racing can
never roll the witness's view back (the race the spec describes). Every refusal carries the
status code the spec gives it.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update

from openwitness.core.errors import OpenWitnessError
from openwitness.ledger import merkle
from openwitness.ledger.checkpoint import CheckpointError, parse_checkpoint_text
from openwitness.ledger.cosignature import Cosigner
from openwitness.ledger.note import NoteVerificationError, Verifier, b64decode_strict, open_note
from openwitness.storage.db import Database
from openwitness.storage.scale_models import WitnessedLog

MAX_PROOF_LINES = 63
EMPTY_ROOT = hashlib.sha256(b"").digest()
SIZE_TYPE = "text/x.tlog.size"


class WitnessRefusal(OpenWitnessError):
    """Not cosigned; ``status`` is tlog-witness's code, ``body`` what the answer carries."""

    def __init__(self, status: int, message: str, body: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body if body is not None else message + "\n"
        self.content_type = SIZE_TYPE if status == 409 else "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Request:
    old_size: int
    proof: list[bytes]
    note: str


def parse_request(body: bytes) -> Request:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WitnessRefusal(400, "the request is not UTF-8 text") from None
    head, separator, note = text.partition("\n\n")
    lines = head.split("\n")
    if not separator or not lines[0].startswith("old "):
        raise WitnessRefusal(400, "the request must start with an 'old <size>' line")
    size = lines[0][4:]
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise WitnessRefusal(400, "the old size must be a decimal number without leading zeroes")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise WitnessRefusal(400, f"at most {MAX_PROOF_LINES} consistency proof lines")
    try:
        proof = [b64decode_strict(line) for line in lines[1:]]
    except ValueError:
        raise WitnessRefusal(400, "a consistency proof line is not base64") from None
    return Request(int(size), proof, note)


class Witness:
    def __init__(self, db: Database, cosigner: Cosigner, logs: list[Verifier]) -> None:
        self.db = db
        self.cosigner = cosigner
        self.logs: dict[str, list[Verifier]] = {}
        for key in logs:
            self.logs.setdefault(key.name, []).append(key)

    def add_checkpoint(self, body: bytes, now: float | None = None) -> str:
        """The cosignature line(s) for the checkpoint in ``body``, or a WitnessRefusal."""
        request = parse_request(body)
        origin = request.note.split("\n", 1)[0]
        keys = self.logs.get(origin)
        if keys is None:
            raise WitnessRefusal(404, f"this witness does not follow the log {origin!r}")
        try:
            text, _ = open_note(request.note, keys)
        except NoteVerificationError as error:
            raise WitnessRefusal(403, f"the checkpoint {error}") from None
        try:
            checkpoint = parse_checkpoint_text(text)
        except CheckpointError as error:
            raise WitnessRefusal(400, f"the checkpoint is malformed: {error}") from None
        if request.old_size > checkpoint.size:
            raise WitnessRefusal(400, "the old size is larger than the checkpoint's size")
        if checkpoint.size == 0 and checkpoint.root_hash != EMPTY_ROOT:
            raise WitnessRefusal(422, "a checkpoint of size 0 must have the empty tree's root")
        with self.db.write() as conn:
            row = conn.execute(
                select(WitnessedLog).where(WitnessedLog.origin == origin).with_for_update()
            ).first()
            known_size = row.size if row else 0
            if request.old_size != known_size:
                raise WitnessRefusal(
                    409, f"this witness last cosigned size {known_size}", f"{known_size}\n"
                )
            if row is not None and not merkle.verify_consistency(
                row.size, checkpoint.size, row.root_hash, checkpoint.root_hash, request.proof
            ):
                raise WitnessRefusal(
                    422,
                    f"the checkpoint of size {checkpoint.size} is not consistent with the one of "
                    f"size {row.size} this witness cosigned: a fork, or a bad proof",
                )
            if row is None and request.proof:
                raise WitnessRefusal(422, "no consistency proof is needed from size 0")
            values = {
                "size": checkpoint.size,
                "root_hash": checkpoint.root_hash,
                "checkpoint": request.note,
                "updated_at": datetime.now(UTC),
            }
            if row is None:
                conn.execute(insert(WitnessedLog).values(origin=origin, **values))
            else:
                conn.execute(
                    update(WitnessedLog).where(WitnessedLog.origin == origin).values(**values)
                )
        return self.cosigner.cosign(text, int(now if now is not None else time.time()))

    def state(self) -> list[dict[str, object]]:
        """What this witness has cosigned, per log (for its operator and monitors)."""
        with self.db.read() as conn:
            rows = conn.execute(select(WitnessedLog).order_by(WitnessedLog.origin)).all()
        return [{"origin": r.origin, "size": r.size, "checkpoint": r.checkpoint} for r in rows]
