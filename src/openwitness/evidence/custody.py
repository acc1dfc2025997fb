"""Who may link and see a vault item: knowing its hash is never enough.

Every hash is public in the log, so a hash cited in a request proves nothing. An item may be
linked to a case or an officer only by someone entitled to it:

- its uploader's organisation, which holds it from the upload on (an authenticated upload
  records custody);
- the bearer of the item's *claim*: a one-time secret handed to whoever uploaded the bytes
  (the answer to ``POST /api/v1/evidence``, or the tus upload's own id), which is how an
  anonymous reporter's uploads are tied to their report;
- admins and the operator, who see every case's evidence already.

An entitled link hands the item to the organisation the case goes to (a public report's
intake organisation, or the one a case is assigned to). Custody is recorded, never inferred
from a link, so a link made before this rule (or by mistake) grants nothing: the same rule
decides who may see an item's bytes and metadata, on every route, beside the check on the
case or officer.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, delete, exists, insert, select

from openwitness.core.clock import now
from openwitness.core.errors import ForbiddenError, InvalidRequestError
from openwitness.storage.models import Evidence, EvidenceClaim, EvidenceCustody

CLAIM_PREFIX = "owc_"
#: a claim is for linking an upload to the report being written: long enough for a slow
#: upload over a bad connection (tus keeps partial uploads 2 days), not for ever
CLAIM_DAYS = 7
_CLAIM_AGE = timedelta(days=CLAIM_DAYS)
MAX_CLAIM_LENGTH = 100


@dataclass(frozen=True)
class Entitlement:
    """Who asks to link or see vault items, and the claims they bring."""

    organisation_id: str | None
    privileged: bool = False  # admins and the operator
    claims: tuple[str, ...] = ()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_claim(conn: Connection, sha256: str, token: str | None = None) -> str:
    """Record a claim on an item for its uploader; returns the secret (shown once).

    ``token`` lets a protocol use a secret the uploader already holds (a tus upload's id)."""
    token = token or CLAIM_PREFIX + secrets.token_urlsafe(32)
    started = now()
    conn.execute(delete(EvidenceClaim).where(EvidenceClaim.created_at < started - _CLAIM_AGE))
    conn.execute(
        delete(EvidenceClaim).where(EvidenceClaim.token_sha256 == _digest(token))
    )  # the same upload lodged again (a retried request) keeps one claim
    conn.execute(
        insert(EvidenceClaim).values(token_sha256=_digest(token), sha256=sha256, created_at=started)
    )
    return token


def record_custody(conn: Connection, sha256: str, organisation_id: str | None) -> None:
    """The organisation holds the item from now on (idempotent)."""
    if organisation_id is None or holds(conn, sha256, organisation_id):
        return
    conn.execute(
        insert(EvidenceCustody).values(
            sha256=sha256, organisation_id=organisation_id, added_at=now()
        )
    )


def holds(conn: Connection, sha256: str, organisation_id: str | None) -> bool:
    """Whether the organisation holds the item (it lodged it, or was handed it)."""
    if organisation_id is None:
        return False
    custody = exists().where(
        EvidenceCustody.sha256 == sha256, EvidenceCustody.organisation_id == organisation_id
    )
    return bool(conn.execute(select(custody)).scalar())


def may_see(conn: Connection, sha256: str, who: Entitlement) -> bool:
    return who.privileged or holds(conn, sha256, who.organisation_id)


def _claimed(conn: Connection, claims: Iterable[str]) -> dict[str, str]:
    """The items the given claims prove, by sha256 (to the claim's digest); expired and
    unknown claims prove nothing."""
    digests = [_digest(c) for c in claims if c and len(c) <= MAX_CLAIM_LENGTH]
    if not digests:
        return {}
    rows = conn.execute(
        select(EvidenceClaim.sha256, EvidenceClaim.token_sha256).where(
            EvidenceClaim.token_sha256.in_(digests),
            EvidenceClaim.created_at >= now() - _CLAIM_AGE,
        )
    )
    return {row.sha256: row.token_sha256 for row in rows}


def check_may_link(
    conn: Connection,
    field: str,
    sha256s: Iterable[str],
    who: Entitlement,
    handed_to: str | None = None,
) -> None:
    """Refuse (naming the field) any item the caller is not entitled to; the claims used are
    spent, and the caller's organisation and ``handed_to`` (the organisation the record goes
    to) hold the items from now on."""
    wanted = list(dict.fromkeys(sha256s))
    for sha256 in wanted:
        if not conn.execute(select(Evidence.sha256).where(Evidence.sha256 == sha256)).first():
            raise InvalidRequestError(f"{field}: {sha256!r} is not in the vault")
    claimed = {} if who.privileged else _claimed(conn, who.claims)
    for sha256 in wanted:
        if not (who.privileged or sha256 in claimed or holds(conn, sha256, who.organisation_id)):
            raise ForbiddenError(
                f"{field}: {sha256[:12]}… was not lodged by you or your organisation; "
                "link only files you uploaded (with the claim given at upload)"
            )
    used = [claimed[sha256] for sha256 in wanted if sha256 in claimed]
    if used:
        conn.execute(delete(EvidenceClaim).where(EvidenceClaim.token_sha256.in_(used)))
    for sha256 in wanted:
        record_custody(conn, sha256, who.organisation_id)
        record_custody(conn, sha256, handed_to)
