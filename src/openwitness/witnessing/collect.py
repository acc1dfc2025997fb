"""The log's side: ask each witness in the configured policy to cosign the latest checkpoint
(tlog-witness ``add-checkpoint``, with a consistency proof from the size that witness last
cosigned) and add the cosignatures that verify to the stored checkpoint, so receipts and the
served checkpoint carry them."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from openwitness.ledger.checkpoint import parse_checkpoint_text
from openwitness.ledger.cosignature import Policy, cosigned_by
from openwitness.ledger.note import parse_note
from openwitness.ledger.store import TransparencyLog
from openwitness.storage.db import Database
from openwitness.storage.models import Checkpoint as CheckpointRow
from openwitness.storage.scale_models import LogWitnessState

#: (url, body) -> (status, body); urllib by default, replaceable where a test needs it
Post = Callable[[str, bytes], tuple[int, str]]
TIMEOUT_SECONDS = 10


def http_post(url: str, body: bytes) -> tuple[int, str]:
    if not url.startswith(("https://", "http://")):
        return 0, f"a witness URL must be http(s), not {url!r}"
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 (checked above)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            return int(answer.status), answer.read(64 * 1024).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return int(error.code), error.read(64 * 1024).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        return 0, str(getattr(error, "reason", error))


@dataclass(frozen=True)
class Outcome:
    witness: str
    status: int
    message: str


class Cosigning:
    def __init__(
        self, db: Database, log: TransparencyLog, policy: Policy, post: Post = http_post
    ) -> None:
        self.db = db
        self.log = log
        self.policy = policy
        self.post = post

    def collect(self) -> list[Outcome]:
        """One round: every witness with a URL is asked once (again after a 409, from the
        size it says it has), all at the same time, so a round takes as long as the slowest
        witness rather than the sum of them. Returns what each answered."""
        note = self.log.latest_checkpoint()
        parsed = parse_note(note)
        size = parse_checkpoint_text(parsed.text).size
        already = {s.name for s in parsed.signatures}
        asked = sorted(self.policy.urls.items())
        with ThreadPoolExecutor(max_workers=max(1, len(asked))) as pool:
            answers = list(
                pool.map(lambda item: self._cosign(item[0], item[1], note, size, already), asked)
            )
        cosigned = {outcome.witness: lines for outcome, lines in answers if lines}
        if cosigned:
            self._store(size, cosigned)
        return [outcome for outcome, _ in answers]

    def _cosign(
        self, name: str, url: str, note: str, size: int, already: set[str]
    ) -> tuple[Outcome, list[str]]:
        """Ask one witness; its outcome and the cosignature lines it gave (if any)."""
        key = self.policy.witnesses[name]
        if key.name in already:
            return Outcome(name, 200, "already cosigned"), []
        old = self._last_size(name)
        status, answer = self._ask(url, note, old, size)
        if status == 409 and answer.strip().isdigit():
            old = int(answer.strip())
            status, answer = self._ask(url, note, old, size)
        if status == 200:
            if name in cosigned_by(note + answer, {name: key}):
                prefix = f"\u2014 {key.name} "
                lines = [line + "\n" for line in answer.splitlines() if line.startswith(prefix)]
                return Outcome(name, 200, "cosigned"), lines
            status, answer = 502, "the answer holds no valid cosignature from this witness"
        return Outcome(name, status, answer.strip()[:300]), []

    def _ask(self, url: str, note: str, old: int, size: int) -> tuple[int, str]:
        proof = self.log.consistency_proof(old, size) if 0 < old < size else []
        body = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
        return self.post(url.rstrip("/") + "/add-checkpoint", (body + "\n" + note).encode())

    def _last_size(self, witness: str) -> int:
        with self.db.read() as conn:
            size = conn.execute(
                select(LogWitnessState.size).where(LogWitnessState.witness == witness)
            ).scalar_one_or_none()
        return int(size or 0)

    def _store(self, size: int, cosigned: dict[str, list[str]]) -> None:
        """Append the cosignature lines to the stored checkpoint (its signed text unchanged)
        and remember the size each witness cosigned, in one transaction: one commit per
        round, not one per witness."""
        with self.db.write() as conn:
            note = conn.execute(
                select(CheckpointRow.note).where(CheckpointRow.size == size).with_for_update()
            ).scalar_one()
            present = {s.name for s in parse_note(note).signatures}
            lines = [line for found in cosigned.values() for line in found]
            new = [line for line in lines if line.split(" ", 2)[1] not in present]
            conn.execute(
                update(CheckpointRow)
                .where(CheckpointRow.size == size)
                .values(note=note + "".join(new))
            )
            for witness in sorted(cosigned):
                done = conn.execute(
                    update(LogWitnessState)
                    .where(LogWitnessState.witness == witness)
                    .values(size=size)
                )
                if done.rowcount == 0:
                    conn.execute(insert(LogWitnessState).values(witness=witness, size=size))
