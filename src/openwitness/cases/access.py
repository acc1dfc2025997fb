"""Who may see which case, and how much of it: one place, used by every listing and lookup.

- ``admin``: every case in full, but not the sealed personal details of the people involved.
- ``caseworker``: in full, the cases of their organisation and imported public records (which
  belong to no organisation); the personal details only in their organisation's cases.
- ``analyst``: every case, de-identified (no narrative, place, exact dates or people).
- ``screener``: as an analyst here; its own work is screening its organisation's chats.
- ``operator``: the person running the CLI on the server, who holds the keys anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, true

from openwitness.evidence.custody import Entitlement
from openwitness.storage.models import Complaint


@dataclass(frozen=True)
class Viewer:
    name: str
    role: str  # admin, caseworker, analyst, screener or operator
    organisation_id: str | None = None

    @classmethod
    def operator(cls, name: str) -> Viewer:
        return cls(name, "operator")

    @property
    def de_identified(self) -> bool:
        return self.role in ("analyst", "screener")

    def scope(self) -> ColumnElement[bool]:
        """The condition on ``complaint`` rows this viewer may see at all."""
        if self.role != "caseworker":
            return true()
        return or_(
            Complaint.organisation_id == self.organisation_id,
            and_(Complaint.organisation_id.is_(None), Complaint.source.is_not(None)),
        )

    def may_see(self, organisation_id: str | None, source: str | None) -> bool:
        if self.role != "caseworker":
            return True
        return organisation_id == self.organisation_id or (
            organisation_id is None and source is not None
        )

    def may_open_people(self, organisation_id: str | None) -> bool:
        if self.role == "operator":
            return True
        return self.role == "caseworker" and organisation_id == self.organisation_id

    def entitlement(self, claims: tuple[str, ...] = ()) -> Entitlement:
        """What this viewer may link and see of the vault: admins and the operator see every
        case's evidence already; others what their organisation holds or they claim."""
        return Entitlement(self.organisation_id, self.role in ("admin", "operator"), claims)

    def may_edit(self, organisation_id: str | None) -> bool:
        if self.role in ("admin", "operator"):
            return True
        return self.role == "caseworker" and organisation_id == self.organisation_id
